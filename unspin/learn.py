"""Learn a spinner's dictionary from spun pages and the originals they were made from.

Given pairs of (spun text, original text), :func:`align_pair` recovers what the spinner swapped, word by
word and phrase by phrase, with character offsets into the spun text; :func:`learn` adds the swaps to a
pack's lexicon as a curated layer, so the decoder restores them next time.

Alignment is two-level, because a spun page is rarely a clean copy: content farms add banner lines
("PHOTOS: ..."), comment forms and embedded tweets, drop datelines and paragraphs, or show only a teaser.

1. *Sentences.* Both texts are split into sentences and aligned monotonically (dynamic programming, as
   for parallel corpora): a spun sentence is paired with one original sentence, or with two consecutive
   ones (or two spun with one) where the sentence breaks moved, or left unpaired (boilerplate). A pair
   must share enough words (Dice coefficient of the longest common subsequence of their words at least
   ``min_similarity``): spinners keep names, numbers and most function words, so a spun sentence still
   shares half its words with its source while a banner shares few with any sentence.
2. *Words.* Within each sentence pair, :class:`difflib.SequenceMatcher` on the lower-cased tokens gives
   ``replace`` blocks. A block is kept when it is anchored (unchanged words, or the sentence edge, on both
   sides), has 1-4 tokens on each side, and is not a difference of numbers or names only (a later version
   of the story with another score is not a swap). A block with as many tokens on each side is split into
   word pairs ("lastly acquired" / "finally got" -> lastly/finally, acquired/got).

The learned layer
-----------------
:func:`learn` writes the swaps into ``lexicon.tsv.gz`` as the evidence layer ``observed:<tag>`` (default
tag ``learned``). ``observed`` is a curated layer to the decoder (channel weight of a curated pair, fan-out
0 for pairs no thesaurus lists), and ``Checker(pack, exclude_evidence=["observed:<tag>"])`` holds a layer
out, as for the hand-made ``observed:<page-id>`` pairs. The table keeps its five columns; how often each
pair was seen, and on which pages, is kept beside it in ``learned.json`` in the pack::

    {"version": 1, "layers": {"<tag>": {"min_count": 1, "sources": ["page-id", ...],
                                        "pairs": [["spun", "original", count, ["page-id", ...]], ...],
                                        "family": "naive WordNet spinner"}}}

(``family`` only when the pages were named a spinner family's: ``unspin learn --family``.)

A pair enters the table once its count reaches ``min_count``, so counts accumulate over runs (a swap seen
once on each of two pages passes ``min_count=2`` after the second page). Pages already learned under a tag
(same ``id``, or same spun text when pairs have no id) are skipped, so re-running a file adds nothing.

Both files are replaced atomically (temporary file in the pack folder, then renamed, manifest updated):
a crash leaves the previous table. The lexicon's SQLite cache is keyed by the table's hash, so it
rebuilds itself on the next check.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import tempfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from difflib import SequenceMatcher
from pathlib import Path
from typing import NamedTuple

from .document import Token, tokenize
from .errors import PackError, UnspinError
from .lexicon import MAX_SPUN_TOKENS, norm_phrase

SIDECAR = "learned.json"
TABLE = "lexicon.tsv.gz"
DEFAULT_TAG = "learned"
MAX_PHRASE_TOKENS = MAX_SPUN_TOKENS  # on either side of a swap (the decoder's longest span)
_TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

_NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million
    billion first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth
    fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth fortieth fiftieth
    sixtieth seventieth eightieth ninetieth hundredth""".split())


class Swap(NamedTuple):
    """One swap found by alignment: ``spun`` is ``spun_text[start:end]``; ``original`` is the wording it
    replaced, as written in the original text."""

    spun: str
    original: str
    start: int
    end: int


# --------------------------------------------------------------------------------------------------
# Alignment
# --------------------------------------------------------------------------------------------------

def _sentences(tokens: list[Token], text: str) -> list[tuple[int, int]]:
    """Token ranges of sentences: split at line breaks and after . ! ? before a capital or a quote."""
    from .restore import sentences

    return sentences(tokens, text)


def _is_word(norm: str) -> bool:
    return any(c.isalnum() for c in norm)


def _words(tokens: list[Token], a: int, b: int) -> list[str]:
    return [t.norm for t in tokens[a:b] if _is_word(t.norm)]


def _lcs(a: list[str], b: list[str]) -> int:
    if not a or not b:
        return 0
    from rapidfuzz.distance import LCSseq

    return int(LCSseq.similarity(a, b))


def align_sentences(spun_tokens: list[Token], spun_sents: list[tuple[int, int]], orig_tokens: list[Token],
                    orig_sents: list[tuple[int, int]], min_similarity: float = 0.5, min_shared: int = 2,
                    gap_similarity: float = 0.25, max_gap: int = 3) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Monotone alignment of sentences: ``[((spun_a, spun_b), (orig_a, orig_b)), ...]`` token ranges.

    Beads are 1-1, 1-2 and 2-1 sentences (or a sentence left out on either side); a bead is allowed when
    its two sides share at least ``min_shared`` words and their Dice coefficient (2 x LCS of the words over
    the number of words on both sides) is at least ``min_similarity``. The alignment maximises the number
    of shared words; merged beads pay a little, so that a 1-1 bead is preferred when it shares as much.
    Gaps of at most ``max_gap`` sentences on each side between aligned beads (or before the first, after
    the last) are then filled with 1-1 pairs of Dice at least ``gap_similarity`` sharing three words.
    """
    S, O = len(spun_sents), len(orig_sents)
    sw = [_words(spun_tokens, a, b) for a, b in spun_sents]
    ow = [_words(orig_tokens, a, b) for a, b in orig_sents]
    # Candidate pairs through an inverted index of the original sentences, by the words they share that
    # few original sentences have (names, numbers, content words the spinner left): in a long text nearly
    # every pair of sentences shares a "the" and an "of". A spun sentence of common words only is compared
    # with the original sentences sharing at least t/4 x (words of the longer sentence) of its words (a
    # bead of Dice >= t shares that many between one of its spun and one of its original sentences).
    index: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for j, ws in enumerate(ow):
        for w, n in Counter(ws).items():
            index[w].append((j, n))
    rare = max(8, O // 20)
    near: list[set[int]] = []
    for ws in sw:
        counts = Counter(ws)
        hits: Counter = Counter()
        for w, n in counts.items():
            post = index.get(w, ())
            if len(post) <= rare:
                for j, _ in post:
                    hits[j] += 1
        if hits:
            best = max(hits.values())
            near.append({j for j, n in hits.items() if n >= min(2, best)})
            continue
        for w, n in counts.items():
            for j, m in index.get(w, ()):
                hits[j] += min(n, m)
        near.append({j for j, n in hits.items()
                     if n >= max(min(min_shared, len(ws)), min_similarity * max(len(ws), len(ow[j])) / 4)})

    def gain(i0: int, i1: int, j0: int, j1: int) -> float | None:
        if not any(j in near[i] for i in range(i0, i1) for j in range(j0, j1)):
            return None
        a = [w for i in range(i0, i1) for w in sw[i]]
        b = [w for j in range(j0, j1) for w in ow[j]]
        n = _lcs(a, b)
        if n < min_shared or 2.0 * n / (len(a) + len(b)) < min_similarity:
            return None
        return n - 0.5 * (i1 - i0 + j1 - j0 - 2)

    # Candidate beads: those holding a pair of sentences that share words. The best monotone chain of
    # beads (no two overlapping on either side; everything between them left out) is found with a
    # prefix-maximum tree over the original side, in O(K log O) for K candidates instead of O(S x O).
    cands: dict[tuple[int, int, int, int], float] = {}
    for i in range(S):
        for j in near[i]:
            for di, dj in ((1, 1), (1, 2), (2, 1)):
                for i0 in range(max(0, i - di + 1), min(i, S - di) + 1):
                    for j0 in range(max(0, j - dj + 1), min(j, O - dj) + 1):
                        key = (i0, i0 + di, j0, j0 + dj)
                        if key not in cands:
                            g = gain(*key)
                            if g is not None:
                                cands[key] = g
    beads_list = sorted(cands, key=lambda k: (k[0], k[2]))
    by_end = sorted(range(len(beads_list)), key=lambda n: beads_list[n][1])
    tree: list[tuple[float, int]] = [(0.0, -1)] * (O + 1)  # Fenwick tree of (best score, bead) by orig end

    def update(pos: int, val: tuple[float, int]) -> None:
        while pos <= O:
            if val[0] > tree[pos][0]:
                tree[pos] = val
            pos += pos & -pos

    def query(pos: int) -> tuple[float, int]:
        best = (0.0, -1)
        while pos > 0:
            if tree[pos][0] > best[0]:
                best = tree[pos]
            pos -= pos & -pos
        return best

    score = [0.0] * len(beads_list)
    back = [-1] * len(beads_list)
    inserted = 0
    for n, (i0, i1, j0, j1) in enumerate(beads_list):
        while inserted < len(by_end) and beads_list[by_end[inserted]][1] <= i0:
            m = by_end[inserted]
            update(beads_list[m][3], (score[m], m))
            inserted += 1
        prev, back[n] = query(j0)
        score[n] = prev + cands[(i0, i1, j0, j1)]
    chain = []
    n = max(range(len(beads_list)), key=score.__getitem__, default=-1)
    while n >= 0:
        chain.append(beads_list[n])
        n = back[n]
    chain.reverse()

    # Fill short gaps between aligned beads: a heavily spun sentence shares fewer words with its source,
    # but where it sits between two aligned sentences, its place confirms it. One sentence to one, the
    # most similar pair of the gap, at a lower similarity; then the same in what is left on either side.
    def fill(i0: int, i1: int, j0: int, j1: int) -> list[tuple[int, int, int, int]]:
        if not (0 < i1 - i0 <= max_gap and 0 < j1 - j0 <= max_gap):
            return []
        best, arg = 0.0, None
        for i in range(i0, i1):
            for j in range(j0, j1):
                n_shared = _lcs(sw[i], ow[j])
                dice = 2.0 * n_shared / (len(sw[i]) + len(ow[j])) if n_shared else 0.0
                if n_shared >= max(min_shared, 3) and dice >= gap_similarity and dice > best:
                    best, arg = dice, (i, j)
        if arg is None:
            return []
        i, j = arg
        return [*fill(i0, i, j0, j), (i, i + 1, j, j + 1), *fill(i + 1, i1, j + 1, j1)]

    filled = []
    prev_i, prev_j = 0, 0
    for bead in [*chain, (S, S, O, O)]:
        filled += fill(prev_i, bead[0], prev_j, bead[2])
        if bead[0] < S or bead[1] > bead[0]:
            filled.append(bead)
        prev_i, prev_j = bead[1], bead[3]
    return [((spun_sents[i0][0], spun_sents[i1 - 1][1]), (orig_sents[j0][0], orig_sents[j1 - 1][1]))
            for i0, i1, j0, j1 in filled if i1 > i0]


def _initial_offsets(tokens: list[Token], sents: list[tuple[int, int]]) -> set[int]:
    """Start offsets of the first word of each sentence (after any opening quote or bracket)."""
    out = set()
    for a, b in sents:
        for t in tokens[a:b]:
            if t.is_word:
                out.add(t.start)
                break
    return out


def _is_number(norm: str) -> bool:
    return any(c.isdigit() for c in norm)


def _keep_pair(s: list[Token], o: list[Token], initial: frozenset[int] = frozenset()) -> bool:
    """Whether an aligned difference looks like a spinner's swap, not a change of facts or a misalignment.
    ``initial``: start offsets of sentence-initial tokens (capitalised there without being names)."""
    if not s or not o or len(s) > MAX_PHRASE_TOKENS or len(o) > MAX_PHRASE_TOKENS:
        return False
    if not all(_is_word(t.norm) for t in s) or not all(_is_word(t.norm) for t in o):
        return False  # punctuation inside a phrase: a reflowed sentence, not a synonym
    sn, on = [t.norm for t in s], [t.norm for t in o]
    if sn == on or {*sn, *on} <= {"a", "an"}:
        return False  # "an" <- a is agreement with the next swapped word, not a swap of its own
    s_num, o_num = any(_is_number(w) for w in sn), any(_is_number(w) for w in on)
    if s_num and o_num:
        return False  # digits against digits: another score or date (a later version of the story)
    if s_num or o_num:
        # digits against words: a spinner writing numbers out ("4" <- four, "forty first" <- 41st), or a
        # phrase with a number in it ("12 months" <- year, "atomic number 85" <- at); bare digits against
        # other words ("21" <- Monday) are facts that changed
        digit_side, words = (sn, on) if s_num else (on, sn)
        spelled = all(w in _NUMBER_WORDS or w.split("-")[0] in _NUMBER_WORDS for w in words)
        if not spelled and not any(c.isalpha() for w in digit_side if not _is_number(w) for c in w):
            return False
    if not any(c.isalpha() for w in sn + on for c in w):
        return False
    if all(t.is_capitalized and t.start not in initial for t in s) and all(
            t.is_capitalized and t.start not in initial for t in o):
        # names on both sides: another person or place, unless both are ordinary words spinners do swap
        # in titles ("World Sequence" <- World Series, "Fall Basic" <- Fall Classic)
        from wordfreq import zipf_frequency

        if any(zipf_frequency(t.norm, "en") < 3.0 for t in (*s, *o)):
            return False
    return True


def _block_pairs(s: list[Token], o: list[Token]) -> Iterator[tuple[list[Token], list[Token]]]:
    """Swaps of one ``replace`` block: word by word when both sides have as many tokens, else the phrase."""
    # punctuation at either edge is reflow, not part of the swap
    while s and not _is_word(s[0].norm):
        s = s[1:]
    while s and not _is_word(s[-1].norm):
        s = s[:-1]
    while o and not _is_word(o[0].norm):
        o = o[1:]
    while o and not _is_word(o[-1].norm):
        o = o[:-1]
    if not s or not o:
        return
    if len(s) == len(o) and len(s) > 1:
        for a, b in zip(s, o):
            if a.norm != b.norm:
                yield [a], [b]
    else:
        yield s, o


def split_swap(spun: str, original: str, known: set[tuple[str, str]] | frozenset = frozenset()
               ) -> list[tuple[str, str]]:
    """The smaller swaps one observed swap is made of (both sides normalised phrases), or ``[]`` when it
    is not made of smaller ones.

    A hand-listed swap is often a stretch of text ("limping via 42 mins" <- limping through 42 minutes),
    and an aligned one a block of several neighbouring swaps ("recreation in opposition to" <- game
    against): as such they only ever recur in that same stretch. Split into the differences between its
    unchanged words (via <- through, mins <- minutes), and with the word pairs already ``known`` peeled
    off either edge of a difference (recreation <- game, which leaves in opposition to <- against), they
    carry over to other text of the same spinner. Words the spinner added or dropped are not split off:
    which neighbour they belong to is a guess ("second one" <- second, but "video games" <- games)."""
    s, o = spun.split(), original.split()
    parts: list[tuple[str, str]] = []
    ops = SequenceMatcher(None, s, o, autojunk=False).get_opcodes()
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag != "replace" or any(ops[n][0] != "equal" for n in (k - 1, k + 1) if 0 <= n < len(ops)):
            continue  # unchanged words, or a difference next to an insertion or deletion (unclear edges)
        bs, bo = s[i1:i2], o[j1:j2]
        if len(bs) == len(bo):
            parts.extend((a, b) for a, b in zip(bs, bo) if a != b)
            continue
        while len(bs) > 1 and len(bo) > 1 and (bs[0], bo[0]) in known:
            parts.append((bs[0], bo[0]))
            bs, bo = bs[1:], bo[1:]
        tail = []
        while len(bs) > 1 and len(bo) > 1 and (bs[-1], bo[-1]) in known:
            tail.append((bs[-1], bo[-1]))
            bs, bo = bs[:-1], bo[:-1]
        parts.append((" ".join(bs), " ".join(bo)))
        parts.extend(reversed(tail))
    return [] if parts == [(spun, original)] else parts


def learnable_parts(spun: str, original: str, known: set[tuple[str, str]] | frozenset = frozenset()
                    ) -> list[tuple[str, str]]:
    """The parts of a swap (:func:`split_swap`) worth learning on their own: as for aligned swaps, not a
    function word for a function word (too often a rewording: "on" <- at), no number rewrites (the numbers
    layer's job), and letters on both sides."""
    return [(ps, po) for ps, po in split_swap(spun, original, known)
            if not (_function_only(ps) and _function_only(po)) and not any(c.isdigit() for c in ps + po)
            and any(c.isalpha() for c in ps) and any(c.isalpha() for c in po)]


def align_pair(spun: str, original: str, min_similarity: float = 0.5) -> list[Swap]:
    """The swaps that turned ``original`` into ``spun``, with offsets into ``spun``, in text order.

    Tolerates boilerplate in the spun page and paragraphs missing from either side (see the module
    docstring). Only ``replace`` differences are swaps: words the spun page adds or drops are not reported.
    """
    st, ot = tokenize(spun), tokenize(original)
    if not st or not ot:
        return []
    s_sents, o_sents = _sentences(st, spun), _sentences(ot, original)
    beads = align_sentences(st, s_sents, ot, o_sents, min_similarity)
    initial = frozenset(_initial_offsets(st, s_sents) | _initial_offsets(ot, o_sents))
    out: list[Swap] = []
    for (sa, sb), (oa, ob) in beads:
        s_toks, o_toks = st[sa:sb], ot[oa:ob]
        sm = SequenceMatcher(None, [t.norm for t in s_toks], [t.norm for t in o_toks], autojunk=False)
        ops = sm.get_opcodes()
        for k, (tag, i1, i2, j1, j2) in enumerate(ops):
            if tag != "replace":
                continue
            left_ok = (k > 0 and ops[k - 1][0] == "equal") or (i1 == 0 and j1 == 0)
            right_ok = (k + 1 < len(ops) and ops[k + 1][0] == "equal") or (i2 == len(s_toks) and j2 == len(o_toks))
            if not (left_ok and right_ok):
                continue
            for s, o in _block_pairs(s_toks[i1:i2], o_toks[j1:j2]):
                if _keep_pair(s, o, initial):
                    start, end = s[0].start, s[-1].end
                    out.append(Swap(spun[start:end], original[o[0].start : o[-1].end], start, end))
    return out


def _pair_fields(pair: dict, where: str) -> tuple[str, str, str]:
    if not isinstance(pair, dict):
        raise UnspinError(f"{where}: a pair must be a JSON object with spun_text and original_text")
    for key in ("spun_text", "original_text"):
        if key not in pair:
            raise UnspinError(f"{where}: pair has no {key!r} field")
        if not isinstance(pair[key], str):
            raise UnspinError(f"{where}: {key!r} must be a string")
    pid = pair.get("id")
    if pid is None or str(pid).strip() == "":
        pid = "sha1:" + hashlib.sha1(pair["spun_text"].encode("utf-8")).hexdigest()[:12]
    return str(pid), pair["spun_text"], pair["original_text"]


def extract_substitutions(pairs: Iterable[dict]) -> Counter:
    """``Counter[(spun, original)]`` of the swaps in many pairs (dicts with ``spun_text``,
    ``original_text`` and optionally ``id``), both sides normalised as lexicon keys (lower-cased tokens
    joined by single spaces). Every occurrence counts."""
    counts: Counter = Counter()
    for n, pair in enumerate(pairs, 1):
        _, spun, original = _pair_fields(pair, f"pair {n}")
        for sw in align_pair(spun, original):
            counts[(norm_phrase(sw.spun), norm_phrase(sw.original))] += 1
    return counts


def _extract_by_page(pairs: Iterable[tuple[str, str, str]]) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for pid, spun, original in pairs:
        c = out.setdefault(pid, Counter())
        for sw in align_pair(spun, original):
            c[(norm_phrase(sw.spun), norm_phrase(sw.original))] += 1
    # a block of neighbouring swaps also teaches its parts (see split_swap), peeled with the word pairs of
    # all the pages learnt together
    known = {k for c in out.values() for k in c if " " not in k[0] and " " not in k[1]}
    for c in out.values():
        for (s, o), n in list(c.items()):
            for part in learnable_parts(s, o, known):
                c[part] += n
    return out


# --------------------------------------------------------------------------------------------------
# Reading pairs
# --------------------------------------------------------------------------------------------------

def read_pairs(path: str | os.PathLike) -> list[tuple[str, str, str]]:
    """``(id, spun_text, original_text)`` for each line of a JSON Lines file; bad input is an
    :class:`UnspinError` naming the file and line."""
    path = Path(path)
    if not path.exists():
        raise UnspinError(f"pairs file not found: {path}")
    if path.is_dir():
        raise UnspinError(f"pairs file is a folder: {path}")
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path}:{lineno}"
                try:
                    pair = json.loads(line)
                except json.JSONDecodeError as e:
                    raise UnspinError(f"{where}: not valid JSON ({e.msg})") from None
                out.append(_pair_fields(pair, where))
    except UnicodeDecodeError:
        raise UnspinError(f"pairs file is not UTF-8 text: {path}") from None
    except OSError as e:
        raise UnspinError(f"cannot read pairs file {path}: {e.strerror or e}") from None
    if not out:
        raise UnspinError(f"no pairs in {path}")
    return out


# --------------------------------------------------------------------------------------------------
# Merging into a pack
# --------------------------------------------------------------------------------------------------

def _check_tag(tag: str | None) -> str:
    tag = DEFAULT_TAG if tag is None else str(tag)
    if not _TAG_RE.match(tag):
        raise UnspinError(f"bad layer tag {tag!r}: use letters, digits, '.', '_' or '-' (at most 64)")
    return tag


def _read_sidecar(pack_dir: Path) -> dict:
    p = pack_dir / SIDECAR
    if not p.exists():
        return {"version": 1, "layers": {}}
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        if not isinstance(data.get("layers"), dict):
            raise ValueError("no layers")
        for tag, layer in data["layers"].items():
            _check_tag(tag)
            int(layer.get("min_count", 1))
            if not isinstance(layer.get("sources", []), list):
                raise ValueError(f"layer {tag}: sources is not a list")
            if not isinstance(layer.get("family", ""), str):
                raise ValueError(f"layer {tag}: family is not a name")
            for s, o, n, pages in layer.get("pairs", []):
                if not (isinstance(s, str) and isinstance(o, str) and isinstance(n, int) and isinstance(pages, list)):
                    raise ValueError(f"layer {tag}: bad pair {[s, o, n, pages]}")
        return data
    except (OSError, ValueError, TypeError, UnicodeDecodeError, AttributeError, UnspinError) as e:
        raise PackError(f"corrupt {p}: {e}") from None


def _function_only(phrase: str) -> bool:
    from .spinners import FUNCTION_WORDS

    return all(w in FUNCTION_WORDS for w in phrase.split())


def _layer_pairs(layer: dict) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The layer's pairs that go into the table: ``(pairs, supported_only)``.

    A pair needs ``min_count`` sightings. A swap of function words for function words seen on one page
    only ("of" <- in) is as likely a rewording in another version of the story as a spinner's swap, and as
    a curated pair it would be tried at every "of": it is used only where a thesaurus layer lists it too
    (within <- in), until a second page shows it.
    """
    m = int(layer.get("min_count", 1))
    strong, weak = set(), set()
    for s, o, n, pages in layer.get("pairs", []):
        if n < m:
            continue
        if len(pages) < 2 and _function_only(s) and _function_only(o):
            weak.add((s, o))
        else:
            strong.add((s, o))
    return strong, weak


@contextlib.contextmanager
def _pack_lock(pack_dir: Path):
    """One learner at a time per pack (two at once would each drop the other's pairs)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    fd = os.open(pack_dir / ".learn.lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _table_rows(table: Path) -> Iterator[list[str]]:
    with gzip.open(table, "rt", encoding="utf-8") as f:
        for line in f:
            row = line.rstrip("\n").split("\t")
            if len(row) == 5:
                yield row


def merge_rows(rows: Callable[[], Iterable[list[str]]], layers: dict[str, set[tuple[str, str]]],
               similarity=None, supported_only: dict[str, set[tuple[str, str]]] | None = None
               ) -> Iterator[list[str]]:
    """Rewrite table rows so that each evidence tag in ``layers`` is on exactly its pairs.

    ``rows()`` gives the table's rows ``[spun, original, evidence, similarity, fanout]`` (it is read twice).
    A tag is added to a pair another layer already lists (its similarity and fan-out kept), removed from
    pairs no longer in its set (a row left with no evidence is dropped), and new pairs are written as
    curated rows (fan-out 0) ahead of their spun key's other rows; spun keys new to the table go where they
    sort (the table is sorted by spun key, as :func:`unspin.lexicon.build_table` writes it).
    ``similarity(spun, original)`` gives new rows' word-vector similarity (``None``: left empty).
    ``supported_only``: per tag, pairs that get the tag only where another layer already lists them.
    """
    supported_only = supported_only or {}
    tags = set(layers) | set(supported_only)
    want: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for tag, pairs in layers.items():
        for s, o in pairs:
            want[s][o].add(tag)
    weak = {pair for pairs in supported_only.values() for pair in pairs}
    weak_keys = {s for s, _ in weak}
    existing: set[tuple[str, str]] = set()
    keys_in_table: set[str] = set()
    for row in rows():
        if row[0] in want or row[0] in weak_keys:
            keys_in_table.add(row[0])
            existing.add((row[0], row[1]))
            if (row[0], row[1]) in weak and any(l and l not in tags for l in row[2].split(",")):
                for tag, pairs in supported_only.items():
                    if (row[0], row[1]) in pairs:
                        want[row[0]][row[1]].add(tag)
    keys_in_table &= set(want)
    new_keys = sorted(k for k in want if k not in keys_in_table)
    done: set[str] = set()
    k = 0

    def new_rows(key: str) -> Iterator[list[str]]:
        done.add(key)
        for o in sorted(want[key]):
            if (key, o) not in existing:
                sim = similarity(key, o) if similarity else None
                yield [key, o, ",".join(sorted(want[key][o])), "" if sim is None else f"{sim:.2f}", "0"]

    for row in rows():
        s, o = row[0], row[1]
        while k < len(new_keys) and new_keys[k] < s:
            yield from new_rows(new_keys[k])
            k += 1
        if s in want and s not in done:
            yield from new_rows(s)
        evidence = {l for l in row[2].split(",") if l and l not in tags} | want.get(s, {}).get(o, set())
        if evidence:
            yield [s, o, ",".join(sorted(evidence)), row[3], row[4]]
    for key in new_keys[k:]:
        yield from new_rows(key)


def _similarity_fn(vectors):
    if vectors is False or vectors is None:
        return None
    if vectors == "auto":
        from .lexicon import shared_vectors

        vectors = shared_vectors()  # None without the optional word vectors
        if vectors is None:
            return None
    return vectors.similarity


def _write_table(rows: Iterable[list[str]], tmp: Path) -> int:
    n = 0
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=6) as f:
        for row in rows:
            f.write("\t".join(row) + "\n")
            n += 1
    return n


def _sidecar_text(data: dict) -> str:
    """``learned.json`` with one pair per line (readable, and diffs well)."""
    layers = []
    for tag, layer in data["layers"].items():
        head = {k: v for k, v in layer.items() if k != "pairs"}
        pairs = ",\n".join("    " + json.dumps(p, ensure_ascii=False) for p in layer.get("pairs", []))
        body = json.dumps(head, ensure_ascii=False)[1:-1]
        layers.append(f'  {json.dumps(tag)}: {{{body}{", " if body else ""}"pairs": [\n{pairs}\n  ]}}')
    return f'{{"version": {int(data.get("version", 1))}, "layers": {{\n' + ",\n".join(layers) + "\n}}\n"


def _write_json_tmp(pack_dir: Path, data: dict, prefix: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=pack_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(_sidecar_text(data))
    return Path(tmp)


def _apply(pack_dir: Path, sidecar: dict, vectors) -> int:
    """Rewrite the pack's table from its sidecar's layers, then the sidecar; both atomically."""
    from .pack import add_file_to_pack

    split = {f"observed:{tag}": _layer_pairs(layer) for tag, layer in sidecar["layers"].items()}
    layers = {tag: strong for tag, (strong, _) in split.items()}
    weak = {tag: w for tag, (_, w) in split.items()}
    try:
        fd, name = tempfile.mkstemp(prefix=".lexicon.", suffix=".tsv.gz.tmp", dir=pack_dir)
    except OSError as e:
        raise PackError(f"cannot write to pack {pack_dir}: {e.strerror or e}") from None
    os.close(fd)
    tmp_table = Path(name)
    tmp_side = None
    try:
        try:
            merged = merge_rows(lambda: _table_rows(pack_dir / TABLE), layers, _similarity_fn(vectors), weak)
            rows = _write_table(merged, tmp_table)
        except (OSError, EOFError, UnicodeDecodeError, zlib.error) as e:
            raise PackError(f"cannot rewrite lexicon table {pack_dir / TABLE}: {e}") from None
        # the table first: a crash between the two renames leaves the new table with the old counts, and
        # re-running the same pairs then makes both agree (adding a tag twice is a no-op)
        try:
            add_file_to_pack(pack_dir, tmp_table, TABLE)
            tmp_side = _write_json_tmp(pack_dir, sidecar, ".learned.")
            add_file_to_pack(pack_dir, tmp_side, SIDECAR)
        except OSError as e:
            raise PackError(f"cannot update pack {pack_dir}: {e.strerror or e}") from None
    finally:
        tmp_table.unlink(missing_ok=True)
        if tmp_side is not None:
            tmp_side.unlink(missing_ok=True)
    return rows


def _family_name(family: str | None) -> str | None:
    """The fingerprint's name of a spinner family, given as a short label ("wordnet") or in full."""
    from .fingerprint import FAMILY_NAMES

    if family is None:
        return None
    if family in FAMILY_NAMES:
        return FAMILY_NAMES[family]
    if family in FAMILY_NAMES.values():
        return family
    raise UnspinError(f"unknown spinner family {family!r}: use one of {', '.join(FAMILY_NAMES)}")


def learned_families(pack_dir: str | os.PathLike) -> dict[str, str]:
    """{layer tag: spinner family} of the pack's learnt layers whose pages were named a family's."""
    sidecar = _read_sidecar(Path(pack_dir))
    return {tag: layer["family"] for tag, layer in sidecar["layers"].items() if layer.get("family")}


def _learn(pairs: list[tuple[str, str, str]], pack_dir, min_count: int, tag: str | None, vectors,
           family: str | None = None) -> dict:
    from .pack import load_pack

    if int(min_count) < 1:
        raise UnspinError(f"min_count must be at least 1, not {min_count}")
    tag = _check_tag(tag)
    family = _family_name(family)
    if pack_dir is None:
        raise UnspinError("name the pack to learn into (a pack folder)")
    pack = load_pack(pack_dir)  # exists, complete and intact: do not build on a corrupt table
    pack_dir = pack.path
    with _pack_lock(pack_dir):
        sidecar = _read_sidecar(pack_dir)
        layer = sidecar["layers"].setdefault(tag, {"min_count": int(min_count), "sources": [], "pairs": []})
        layer["min_count"] = int(min_count)
        if family is not None:
            if layer.get("family", family) != family:
                raise UnspinError(f"layer observed:{tag} holds a {layer['family']}'s swaps, not a {family}'s: "
                                  "learn these pairs under another --tag")
            layer["family"] = family
        known_sources = set(layer["sources"])
        fresh = [p for p in pairs if p[0] not in known_sources]
        by_page = _extract_by_page(fresh)
        table: dict[tuple[str, str], list] = {(s, o): [n, list(pages)] for s, o, n, pages in layer["pairs"]}
        for pid, counts in by_page.items():
            for key, n in counts.items():
                entry = table.setdefault(key, [0, []])
                entry[0] += n
                if pid not in entry[1]:
                    entry[1] = sorted([*entry[1], pid])
        layer["pairs"] = sorted([s, o, n, pages] for (s, o), (n, pages) in table.items())
        layer["sources"] = sorted(known_sources | set(by_page))
        rows = _apply(pack_dir, sidecar, vectors)
    strong, weak = _layer_pairs(layer)
    return {
        "layer": f"observed:{tag}",
        "family": layer.get("family"),
        "pages": len(by_page),
        "pages_skipped": len(pairs) - len(fresh),
        "swaps": sum(sum(c.values()) for c in by_page.values()),
        "new_pairs": len({k for c in by_page.values() for k in c}),
        "pairs_in_layer": len(strong),
        "pairs_needing_support": len(weak),  # function-word swaps seen on one page: used where a thesaurus agrees
        "pairs_below_min_count": len(layer["pairs"]) - len(strong) - len(weak),
        "table_rows": rows,
    }


def learn(pairs_path: str | os.PathLike, pack_dir: str | os.PathLike, min_count: int = 1, tag: str | None = None,
          vectors="auto", family: str | None = None) -> dict:
    """Learn swaps from a JSON Lines file of pairs (``spun_text``, ``original_text``, optional ``id``) and
    merge them into the pack's lexicon as the layer ``observed:<tag>`` (default ``observed:learned``).

    Pairs seen at least ``min_count`` times (over this and earlier runs with the same tag) go into the
    table. ``vectors``: ``"auto"`` scores new pairs' word-vector similarity with GloVe when installed,
    ``False`` leaves it empty. ``family``: the spinner family the pages come from, when known (a key or
    name of :data:`unspin.fingerprint.FAMILY_NAMES`). The family fingerprint takes observed swaps as a
    trace of the content-farm phrase-dictionary spinner, so a layer learnt from another spinner's pages
    must say so, or that spinner's pages are named the content farm's. Returns counts (pages, swaps,
    pairs in the layer, table rows).
    """
    return _learn(read_pairs(pairs_path), pack_dir, min_count, tag, vectors, family)


def learn_from_aligned(spun_text: str, source_text: str, pack_dir: str | os.PathLike, tag: str = "self",
                       page_id: str | None = None, min_count: int = 2, vectors="auto") -> dict:
    """Self-training hook (opt-in): when the source of a spun page has been found, learn the page's swaps.

    Goes into its own layer (``observed:self`` by default) so it can be held out or dropped, and needs
    ``min_count`` sightings (default 2, over all pages learned under the tag) before a pair is used: a
    found source may be another version of the story, and one page's alignment noise should not become a
    curated swap.
    """
    pair = {"spun_text": spun_text, "original_text": source_text}
    if page_id is not None:
        pair["id"] = page_id
    return _learn([_pair_fields(pair, "aligned page")], pack_dir, min_count, tag, vectors)


def reapply_learned(pack_dir: str | os.PathLike, vectors="auto") -> int:
    """Put the layers recorded in a pack's ``learned.json`` back into its table (after the lexicon was
    rebuilt with ``unspin pack build``). Returns the number of table rows."""
    from .pack import load_pack

    pack = load_pack(pack_dir)
    with _pack_lock(pack.path):
        sidecar = _read_sidecar(pack.path)
        if not sidecar["layers"]:
            return 0
        return _apply(pack.path, sidecar, vectors)


def forget(pack_dir: str | os.PathLike, tag: str, vectors=False) -> int:
    """Remove a learned layer from a pack's table and sidecar. Returns the number of table rows."""
    from .pack import load_pack

    tag = _check_tag(tag)
    pack = load_pack(pack_dir)
    with _pack_lock(pack.path):
        sidecar = _read_sidecar(pack.path)
        if tag not in sidecar["layers"]:
            raise UnspinError(f"pack {pack.path} has no learned layer {tag!r}")
        sidecar["layers"][tag] = {"min_count": 1, "sources": [], "pairs": []}
        rows = _apply(pack.path, sidecar, vectors)  # removes the tag from every row
        del sidecar["layers"][tag]
        tmp = _write_json_tmp(pack.path, sidecar, ".learned.")
        from .pack import add_file_to_pack

        add_file_to_pack(pack.path, tmp, SIDECAR)
        return rows
