"""Sparse fingerprints that survive synonym spinning.

A spinner swaps content words, so a fingerprint of a copied text must be built from what it leaves alone:

* **names**: capitalised words that do not start a sentence, alone and as pairs ("Standard Oil");
  spinners protect them because a swapped name is an obvious tell;
* **numbers**: any token starting with a digit ("155,221", "1987", "3.5");
* **quoted strings**: text between double quotes, for spinners that leave quotations alone;
* **stopword 8-grams** (Stamatatos 2011, "Plagiarism detection using stopword n-grams"): the text reduced
  to its most frequent function words, in order, cut into 8-grams. Spinners keep function words, so this
  skeleton of the syntax survives even when most content words are gone, and an 8-gram of it is specific
  enough to identify a document.

Stopword 8-grams are many (about one per two words), so only a **winnowed** subset is indexed (Schleimer
et al. 2003, the MOSS algorithm): the minimum hash of every window of ``WINNOW`` consecutive grams. Any
run of ``WINNOW + 7`` stopwords shared by two texts gives them at least one common fingerprint, and the
index keeps about 2/(WINNOW+1) of the grams.

Every feature is a signed 64-bit integer (an SQLite INTEGER key): names, numbers and quotes are BLAKE2b
hashes of ``type:string``; a stopword 8-gram is its exact base-50 code, passed through a 64-bit bijective
mixer so that the winnowing minimum is a fair sample rather than always the gram that starts with "the".
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from ..document import TOKEN_RE, fold

# Stamatatos (2011) lists the 50 most frequent words of the British National Corpus. "said" is dropped:
# it is a content verb that spinners do swap ("stated", "declared"), which would break every 8-gram
# of a news story that it touches. All the others are words our spinners and real ones leave alone.
STOPWORDS: tuple[str, ...] = (
    "the", "of", "and", "a", "in", "to", "is", "was", "it", "for", "with", "he", "be", "on", "i", "that",
    "by", "at", "you", "'s", "are", "not", "his", "this", "from", "but", "had", "which", "she", "they",
    "or", "an", "were", "we", "their", "been", "has", "have", "will", "would", "her", "n't", "there",
    "can", "all", "as", "if", "who", "what",
)
_SW_ID = {w: i for i, w in enumerate(STOPWORDS)}
_BASE = 50  # > len(STOPWORDS): a gram's code is exact, no hash collision between grams

NGRAM = 8
WINNOW = 4
# Quotes longer than this are not treated as one feature: a spinner that changes one word of a long
# quotation would lose it, and long quotes are rare anyway.
MAX_QUOTE_TOKENS = 12

_QUOTE_RE = re.compile(r'"([^"\n]{4,300})"')
_SENTENCE_END = frozenset(".!?")
_OPENERS = frozenset("\"'([{")

# Feature kinds, the prefix hashed with the string; also used in `explain` output.
NAME, NUMBER, QUOTE, STOPGRAM = "n", "d", "q", "s"


def _h64(kind: str, s: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{kind}:{s}".encode("utf-8"), digest_size=8).digest(), "little",
                          signed=True)


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection on 64-bit integers that scrambles the bits (numpy wraps)."""
    x = x.astype(np.uint64, copy=True)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return x


def stopword_grams(stop_ids: list[int], n: int = NGRAM) -> np.ndarray:
    """The (mixed) codes of every ``n``-gram of the stopword-id sequence, as uint64, in text order."""
    if len(stop_ids) < n:
        return np.empty(0, dtype=np.uint64)
    seq = np.asarray(stop_ids, dtype=np.uint64)
    windows = np.lib.stride_tricks.sliding_window_view(seq, n)
    powers = np.uint64(_BASE) ** np.arange(n - 1, -1, -1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        codes = (windows * powers).sum(axis=1, dtype=np.uint64)
    # Codes are < 50^8 < 2^46; setting bit 62 keeps them apart from small hashed values before mixing.
    return _mix64(codes | np.uint64(1 << 62))


def winnow(hashes: np.ndarray, w: int = WINNOW) -> np.ndarray:
    """The winnowing selection: the minimum of every window of ``w`` consecutive hashes (deduplicated)."""
    if len(hashes) == 0:
        return hashes
    if len(hashes) <= w:
        return np.unique(hashes[[int(np.argmin(hashes))]])
    windows = np.lib.stride_tricks.sliding_window_view(hashes, w)
    picks = windows.argmin(axis=1) + np.arange(len(windows))
    return np.unique(hashes[picks])


def _quote_norm(s: str) -> str | None:
    toks = [t.lower() for t in TOKEN_RE.findall(s) if t[:1].isalnum()]
    if 2 <= len(toks) <= MAX_QUOTE_TOKENS:
        return " ".join(toks)
    return None


def features(text: str, *, explain: bool = False) -> np.ndarray | dict[str, set[str]]:
    """The set of sparse features of ``text`` as a sorted, unique int64 array.

    With ``explain=True``, the readable features by kind instead (for debugging and tests)."""
    folded = fold(text)
    stop_ids: list[int] = []
    names: set[str] = set()
    numbers: set[str] = set()
    boundary = True  # the next word starts a sentence
    prev_end = 0
    prev_name: str | None = None  # the previous token when it was a (non-initial) name, for name pairs
    for m in TOKEN_RE.finditer(folded):
        tok = m.group()
        start = m.start()
        if "\n" in folded[prev_end:start]:
            boundary = True  # headlines and list items start without a full stop before them
            prev_name = None
        prev_end = m.end()
        low = tok.lower()
        sid = _SW_ID.get(low)
        if sid is not None:
            stop_ids.append(sid)
        c = tok[0]
        if c.isalpha():
            if c.isupper() and not boundary and sid is None and low != "i":
                names.add(low)
                if prev_name is not None:
                    names.add(prev_name + " " + low)
                prev_name = low
            else:
                prev_name = None
            boundary = False
        elif c.isdigit():
            numbers.add(low)
            prev_name = None
            boundary = False
        else:
            prev_name = None
            if tok in _SENTENCE_END:
                boundary = True
            elif not (boundary and tok in _OPENERS):
                boundary = False
    quotes = {q for q in (_quote_norm(m.group(1)) for m in _QUOTE_RE.finditer(folded)) if q}
    grams = winnow(stopword_grams(stop_ids))
    if explain:
        return {NAME: names, NUMBER: numbers, QUOTE: quotes, STOPGRAM: {f"{len(grams)} winnowed grams"}}
    hashed = [_h64(NAME, s) for s in names] + [_h64(NUMBER, s) for s in numbers] + [_h64(QUOTE, s) for s in quotes]
    out = np.concatenate([np.asarray(hashed, dtype=np.int64), grams.view(np.int64)])
    return np.unique(out)
