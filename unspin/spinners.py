"""Seeded adversary spinners for the benchmark: they spin a text and report exactly what they swapped.

Each spinner returns a :class:`SpinResult`: the spun text and its swaps as ``(start, end, spun, original)``
with ``start:end`` a character range of the *spun* text, so ``text[start:end] == spun``. Everything between
tokens (whitespace, punctuation, line breaks) is copied from the input unchanged, so the only differences
between input and output are the swaps.

Both spinners leave alone what content-farm spinners usually protect and what a restorer cannot be
expected to recover: names (capitalised words that do not start a sentence), numbers and anything with a
digit, punctuation, and clitics ('s, n't).

Determinism: the random stream is seeded from ``(seed, text)`` (Python's str seeding hashes with SHA-512,
so it does not depend on PYTHONHASHSEED), so a given seed and text always give the same result whatever
was spun before, and different documents get independent draws.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import random
import threading
from dataclasses import dataclass, field

from .document import Token, tokenize
from .errors import UnspinError
from .wordnet import load_wordnet

Swap = tuple[int, int, str, str]

_SENTENCE_END = frozenset(".!?")
# Tokens that may sit between a sentence end and the sentence's first word: "He left. (The ...", '."The'
_OPENERS = frozenset("\"'([{")


@dataclass(frozen=True, slots=True)
class SpinResult:
    text: str
    swaps: list[Swap] = field(default_factory=list)

    @property
    def spans(self) -> list[tuple[int, int]]:
        """The swapped character ranges of ``text``: the true spans for ``localisation_scores``."""
        return [(s, e) for s, e, _, _ in self.swaps]


def _rng_seed(seed: int, text: str) -> str:
    return f"{seed}\x00{text}"


def sentence_initial(text: str, tokens: list[Token]) -> list[bool]:
    """Whether each token starts a sentence: first token, or after . ! ? or a line break (skipping openers)."""
    out: list[bool] = []
    boundary = True
    prev_end = 0
    for tok in tokens:
        if "\n" in text[prev_end : tok.start]:
            boundary = True  # headings and list items start with a capital without a full stop before
        out.append(boundary)
        if tok.text in _SENTENCE_END:
            boundary = True
        elif not (boundary and tok.text in _OPENERS):
            boundary = False
        prev_end = tok.end
    return out


def protected_tokens(text: str, tokens: list[Token]) -> set[int]:
    """Indices of tokens a spinner must not touch: punctuation, numbers, clitics and names."""
    initial = sentence_initial(text, tokens)
    out: set[int] = set()
    for i, tok in enumerate(tokens):
        if (
            not tok.is_word  # punctuation, numbers ("2,000", "1990s") and clitics ("'s")
            or tok.norm == "n't"
            or any(c.isdigit() for c in tok.text)  # "mp3", "covid-19"
            or (tok.is_capitalized and not initial[i])  # a name
        ):
            out.add(i)
    return out


def _match_case(original: str, replacement: str) -> str:
    """Give ``replacement`` the case of ``original``'s first letter (the rest as WordNet spells it)."""
    if not replacement:
        return replacement
    first = replacement[0].upper() if original[:1].isupper() else replacement[0].lower()
    return first + replacement[1:]


def rebuild(text: str, tokens: list[Token], replacements: dict[int, str]) -> SpinResult:
    """Replace tokens by index, copying everything between tokens verbatim, and record output offsets."""
    parts: list[str] = []
    swaps: list[Swap] = []
    pos = 0  # read position in ``text``
    out_len = 0
    for i, tok in enumerate(tokens):
        if i not in replacements:
            continue
        gap = text[pos : tok.start]
        parts.append(gap)
        out_len += len(gap)
        new = replacements[i]
        parts.append(new)
        swaps.append((out_len, out_len + len(new), new, tok.text))
        out_len += len(new)
        pos = tok.end
    parts.append(text[pos:])
    return SpinResult("".join(parts), swaps)


def align_swaps(original: str, spun: str) -> list[Swap]:
    """Recover swaps from a black-box spinner's output by aligning the two token sequences.

    Replaced token runs become swaps (offsets into ``spun``); pure insertions and deletions are reported
    too, with an empty original or an empty spun range at the point of change.
    """
    a, b = tokenize(original), tokenize(spun)
    sm = difflib.SequenceMatcher(None, [t.norm for t in a], [t.norm for t in b], autojunk=False)
    swaps: list[Swap] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        orig = original[a[i1].start : a[i2 - 1].end] if i2 > i1 else ""
        if j2 > j1:
            s, e = b[j1].start, b[j2 - 1].end
        else:
            s = e = b[j1].start if j1 < len(b) else len(spun)
        swaps.append((s, e, spun[s:e], orig))
    return swaps


class WordNetSpinner:
    """A naive third-party-style WordNet spinner.

    Each unprotected word is swapped with probability ``rate`` for a random lemma of a random synset of
    the word, of any part of speech, with no inflection or sense check: the tools this imitates turn
    "at" into "astatine" and "ran" into "run". Multi-word lemmas have their underscores turned into spaces.
    Words none of whose synsets offers a different lemma are left as they are.
    """

    def __init__(self, rate: float = 0.3, seed: int = 0):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], not {rate}")
        self.rate = rate
        self.seed = seed
        self._wn = load_wordnet()

    def _replacement(self, word: str, rng: random.Random) -> str | None:
        synsets = list(self._wn.synsets(word))
        rng.shuffle(synsets)
        for synset in synsets:
            names = [lemma.name().replace("_", " ") for lemma in synset.lemmas()]
            candidates = [n for n in names if n.lower() != word]
            if candidates:
                return rng.choice(candidates)
        return None

    def spin(self, text: str) -> SpinResult:
        rng = random.Random(_rng_seed(self.seed, text))
        tokens = tokenize(text)
        skip = protected_tokens(text, tokens)
        replacements: dict[int, str] = {}
        for i, tok in enumerate(tokens):
            if i in skip:
                continue
            # One draw per eligible token whatever happens next, so the stream stays aligned with the text.
            if rng.random() >= self.rate:
                continue
            new = self._replacement(tok.norm, rng)
            if new is not None:
                replacements[i] = _match_case(tok.text, new)
        return rebuild(text, tokens, replacements)


# --- nlpaug -------------------------------------------------------------------------------------------

# Penn tags for closed-class words, standing in for NLTK's perceptron tagger (see NlpaugWordNetSpinner).
# nlpaug maps NN*/VB*/JJ*/RB* (and IN, to adjectives) to a WordNet POS, skips DT, and looks up every
# other tag in all parts of speech, so these tags reproduce what it does with the real tagger
# ("he" -> "helium", "can" -> "tin").
_CLOSED_CLASS: dict[str, str] = {}
for _tag, _words in {
    "DT": "the a an this that these those every each some any no all both either neither another",
    "PRP": "i you he she it we they me him her us them myself yourself himself herself itself ourselves themselves",
    "PRP$": "my your his its our their",
    "IN": "of in on at by for with from about as into through over under between after before during without "
    "within against among since until upon than because although though if while whether toward towards "
    "across behind beyond near around along off onto via per despite unless whereas",
    "CC": "and or but nor yet",
    "TO": "to",
    "MD": "can could will would shall should may might must",
    "WDT": "which",
    "WP": "who whom what",
    "WP$": "whose",
    "WRB": "when where why how",
    "EX": "there",
    "VBZ": "is has does",
    "VBP": "are am have do",
    "VBD": "was were had did",
    "VB": "be",
    "VBN": "been",
    "VBG": "being",
    "RB": "not n't",
    "POS": "'s",
}.items():
    for _w in _words.split():
        _CLOSED_CLASS.setdefault(_w, _tag)


@functools.lru_cache(maxsize=65536)
def _open_class_tag(word: str) -> str:
    """The Penn tag of the WordNet part of speech most used for ``word`` (SemCor counts), NN if unknown."""
    wn = load_wordnet()
    best, best_score = "NN", -1.0
    for pos, tag in (("n", "NN"), ("v", "VB"), ("a", "JJ"), ("r", "RB")):
        synsets = wn.synsets(word, pos)
        if not synsets:
            continue
        bases = {b.lower() for b in wn._morphy(word, pos)} or {word}
        score = sum(lm.count() for s in synsets for lm in s.lemmas() if lm.name().lower() in bases)
        score += 0.001 * len(synsets)  # break ties (words missing from SemCor) by polysemy
        if score > best_score:
            best, best_score = tag, score
    return best


def penn_tag(tokens: list[str]) -> list[tuple[str, str]]:
    """A data-free stand-in for ``nltk.pos_tag``: closed-class lexicon, then the most frequent WordNet POS."""
    out = []
    for t in tokens:
        low = t.lower()
        if not any(c.isalnum() for c in t):
            tag = t  # Penn tags punctuation with itself ('.', ',', ':')
        elif any(c.isdigit() for c in t):
            tag = "CD"
        elif low in _CLOSED_CLASS:
            tag = _CLOSED_CLASS[low]
        else:
            tag = _open_class_tag(low)
        out.append((t, tag))
    return out


class NlpaugWordNetSpinner:
    """The third-party WordNet spinner of the benchmark: nlpaug's ``SynonymAug(aug_src='wordnet')``.

    What nlpaug needs offline, and how it is configured here:

    * WordNet: nlpaug imports ``nltk.corpus.wordnet``; :func:`unspin.wordnet.ensure_nltk_wordnet` points
      NLTK at the Debian ``wordnet-base`` files. ``omw-1.4`` is not needed for English (nlpaug only tries to
      download it if ``wordnet.synsets`` fails).
    * A POS tagger: ``SynonymAug`` tags every text with ``nltk.pos_tag``, whose model
      (``averaged_perceptron_tagger_eng``) is NLTK data that is not installed and cannot be downloaded here
      (nlpaug's fallback ``nltk.download`` fails). We replace the tagger on the augmenter's model by
      :func:`penn_tag`, a data-free approximation; sampling, candidate lookup (WordNet synsets of the
      tagged POS), candidate filtering and casing all remain nlpaug's own code.
    * Tokenisation: nlpaug's default tokenizer splits on every non-word character and its detokenizer
      re-joins with single spaces, so "don't" comes back as "don ' t". We pass :func:`unspin.document.tokenize`
      and a detokenizer that restores the input's exact inter-token text, which also gives the swaps
      exactly (token by token) instead of by aligning the output; :func:`align_swaps` is the fallback.
    * Settings: ``aug_max=None`` so ``rate`` applies to long texts (nlpaug caps at 10 swaps by default),
      ``aug_min=0`` so short texts are not forced to get a swap (``rate=0`` is short-circuited, as nlpaug
      treats ``aug_p=0`` as unset and uses 0.3), and the protected tokens (names, numbers) passed as
      per-text stopwords. nlpaug samples ``ceil(rate * tokens)`` positions counting punctuation tokens, and
      skips sampled words without a WordNet candidate, so the realised rate differs from ``rate``.
    * Seeding: nlpaug draws from the global ``random`` and ``numpy.random`` generators; :meth:`spin` seeds
      both from ``(seed, text)`` and restores their previous state afterwards.
    """

    def __init__(self, rate: float = 0.3, seed: int = 0):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], not {rate}")
        self.rate = rate
        self.seed = seed
        load_wordnet()  # also puts our WordNet on nltk.data.path for nlpaug's own import
        try:
            import nlpaug.augmenter.word as naw
        except ImportError as e:
            raise UnspinError(f"nlpaug is not installed (pip install 'unspin[bench]'): {e}") from e
        self._lock = threading.Lock()
        self._tokens: list[Token] = []
        self._data = ""
        self._augmented: list[str] | None = None
        self._aug = naw.SynonymAug(
            aug_src="wordnet",
            aug_p=rate,
            aug_min=0,
            aug_max=None,
            tokenizer=self._tokenize,
            reverse_tokenizer=self._detokenize,
        )
        # An instance attribute shadows nlpaug's classmethod WordNet.pos_tag (which calls nltk.pos_tag).
        self._aug.model.pos_tag = penn_tag

    def _tokenize(self, data: str) -> list[str]:
        self._data = data
        self._tokens = tokenize(data)
        return [t.text for t in self._tokens]

    def _detokenize(self, augmented: list[str]) -> str:
        self._augmented = list(augmented)
        if len(augmented) != len(self._tokens):
            return " ".join(augmented)  # cannot happen with substitution; spin() then aligns instead
        repl = {i: new for i, (tok, new) in enumerate(zip(self._tokens, augmented)) if new != tok.text}
        return rebuild(self._data, self._tokens, repl).text

    def spin(self, text: str) -> SpinResult:
        tokens = tokenize(text)
        skip = protected_tokens(text, tokens)
        # nlpaug reads aug_p=0 as "unset" and falls back to 0.3, so rate 0 is handled here.
        if self.rate == 0 or len(skip) == len(tokens):
            return SpinResult(text, [])
        digest = hashlib.sha256(_rng_seed(self.seed, text).encode("utf-8", "surrogatepass")).digest()
        seed = int.from_bytes(digest[:4], "big")
        import numpy as np

        with self._lock:
            py_state, np_state = random.getstate(), np.random.get_state()
            try:
                random.seed(seed)
                np.random.seed(seed)
                # Whole-token stopwords: a name is protected wherever it occurs, like a user stoplist.
                self._aug.stopwords = {tokens[i].text for i in skip}
                self._augmented = None
                out = self._aug.augment(text)
            finally:
                random.setstate(py_state)
                np.random.set_state(np_state)
            augmented = self._augmented
            data, inner = self._data, self._tokens
        spun = out[0] if isinstance(out, list) and out else text
        if augmented is None:  # nlpaug returned early (nothing to augment)
            return SpinResult(text, [])
        # nlpaug strips the input before tokenising; put the outer whitespace back.
        lead = len(text) - len(text.lstrip())
        if data == text.strip() and len(augmented) == len(inner):
            repl = {i: new for i, (tok, new) in enumerate(zip(inner, augmented)) if new != tok.text}
            shifted = [Token(t.text, t.start + lead, t.end + lead, t.norm) for t in inner]
            return rebuild(text, shifted, repl)
        spun = text[:lead] + spun + text[lead + len(data) :]
        return SpinResult(spun, align_swaps(text, spun))
