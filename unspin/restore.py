"""Restore: decode the most plausible original wording of a (possibly) spun text.

Noisy-channel decoding. Each original unit (a word or short phrase) was either kept, with probability
``1 - r``, or swapped, with probability ``r``, for one of its synonyms ``s`` with probability
``P(s | o)`` (the lexicon's channel weight). The best original is

    argmax_o  lm_weight * log P_LM(o)  +  sum over units [ log(1 - r) | log r + channel_power * log P(s|o) ]

searched monotonically over a lattice of spans with one hypothesis stack per token position (as in
phrase-based translation), hypotheses recombined on the LM state and pruned to a beam.

``r`` depends on where the word stands: names inside a sentence, text inside quotation marks, numbers and
ALL-CAPS lines are rarely or never touched by real spinners, so they get a small prior or none.

Each substitution of the best path gets a posterior: the alternatives for the same span (keeping the spun
words included) are rescored in the best path's context and normalised; ``confidence`` is the probability
that the span was swapped at all.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
import re
from dataclasses import dataclass, field

from .cache import bounded_put
from .document import NAME_TOKEN, OPENERS, Document, Substitution, Token, lm_forms, tokenize as _tokenize
from .lexicon import IDIOMS, RISK_MARKERS, Lexicon, has_layer, number_word_values, shared_vectors, zipf as _zipf
from .lm import Scorer
from .topic import TOPIC_EVIDENCE, TopicFit

_CLITIC = re.compile(r"^(?:n't|'s|'re|'ve|'ll|'d|'m)$")
_DIGITS = frozenset("123456789")
_NO_SPACE_BEFORE = {".", ",", ";", ":", "!", "?", ")", "]", "%"}

# Words whose meaning a synonym spinner keeps: it swaps a word for a word that means the same, so one personal
# pronoun never stands for another ("me" for him) and a number never for a different number ("sixth" for
# second), though thesauri list them side by side. (Spinners do write a number another way: "4" for four,
# "forty first" for 41st.)
_PRONOUNS = frozenset(
    "i me my mine myself you your yours yourself yourselves he him his himself she her hers herself it its itself "
    "we us our ours ourselves they them their theirs themselves".split())
# Units of measure: "3 hours" is never spun from "3 years", though thesauri list time words side by side.
# Each class lists its units, a unit's forms joined by "/" ("mins" for minutes is a spinner's rewrite, not a
# change of facts). ("second" is left out: it is an ordinal, and spinners write it for "moment".)
_UNIT_CLASSES = (
    "seconds/secs minute/minutes/min/mins hour/hours/hr/hrs day/days week/weeks fortnight/fortnights "
    "month/months year/years/yr/yrs decade/decades century/centuries",
    "inch/inches foot/feet yard/yards mile/miles millimetre/millimetres/millimeter/millimeters/mm "
    "centimetre/centimetres/centimeter/centimeters/cm metre/metres/meter/meters "
    "kilometre/kilometres/kilometer/kilometers/km",
    "ounce/ounces/oz gram/grams kilogram/kilograms/kilo/kilos/kg ton/tons/tonne/tonnes",
    "monday tuesday wednesday thursday friday saturday sunday",
    "january february march april june july august september october november december",
)
# form -> (class, unit)
_UNIT = {form: (n, unit) for n, units in enumerate(_UNIT_CLASSES) for unit in units.split()
         for form in unit.split("/")}
_NUMBER_VALUES = number_word_values()
_ORDINAL_DIGITS = re.compile(r"^(\d+)(?:st|nd|rd|th)$")


def _number_value(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    m = _ORDINAL_DIGITS.match(word)
    return int(m.group(1)) if m else _NUMBER_VALUES.get(word)


def _meaning_bearing(word: str) -> bool:
    """A personal pronoun, a number or a unit (of time, length, weight; a weekday, a month): a word whose
    swaps :func:`changes_meaning` judges."""
    return word in _PRONOUNS or word in _UNIT or _number_value(word) is not None


def changes_meaning(spun: str, original: tuple[str, ...]) -> bool:
    """Whether restoring the one-word ``spun`` (normalised) as ``original`` would swap a personal pronoun
    for another, a number for a different number or a unit for another of its kind (hours for years): a
    change of facts, not of wording."""
    if len(original) != 1 or not _meaning_bearing(spun):
        return False
    o = original[0]
    if spun in _PRONOUNS and o in _PRONOUNS:
        return spun != o
    if spun in _UNIT and o in _UNIT:
        (cs, us), (co, uo) = _UNIT[spun], _UNIT[o]
        return cs == co and us != uo
    vs, vo = _number_value(spun), _number_value(o)
    return vs is not None and vo is not None and vs != vo


@dataclass
class RestoreConfig:
    swap_prior: float = 0.15  # r for ordinary words
    name_prior: float = 0.01  # capitalised words inside a sentence (names, titles)
    quote_prior: float = 0.02  # words inside quotation marks (spinners often skip quotes)
    # Channel log-weight of a thesaurus pair: bias + sim_weight * similarity - fanout_power * log(fan-out).
    thesaurus_bias: float = -1.5
    sim_weight: float = 4.0
    sim_default: float = 0.2  # similarity assumed when a side has no word vector
    fanout_power: float = 0.3  # tempers the 1/fan-out of thesauri, which list far more synonyms than spinners use
    curated_logweight: float = -0.7  # observed and tortured-phrase pairs, number rewrites
    # The hand-listed rewrites of the content-farm spinner (lexicon layer "idioms", data/spinner-idioms.tsv):
    # None leaves them out (a pair another layer lists too keeps that layer's weight). So text of unknown
    # origin is decoded as the pack's detector and localiser were trained; a page the fingerprint names that
    # spinner's is decoded with them at the weight of its observed swaps (unspin.api.FAMILY_DECODING).
    idioms_logweight: float | None = None
    reinflect_logweight: float = -3.0  # a base form standing for an inflected original ("say" for said)
    # extra log-weight for pairs a given lexicon layer lists, e.g. {"wordnet": 2.0} once a document is known
    # to come from a WordNet spinner (see unspin.fingerprint)
    layer_bonus: dict = field(default_factory=dict)
    lm_weight: float = 1.0
    beam: int = 6
    first_pass_beam: int = 2
    max_candidates: int = 20  # per spun key, the most likely originals
    rank_zipf_weight: float = 0.7  # originals in prose are common words: rank candidates by frequency too
    # Ranking only (not the channel): per word an original has beyond the spun span. Spinners swap about one
    # word for one or a phrase for a word ("the place" for where), rarely a word for a phrase, yet thesauri
    # list many phrases ("got it over" for completed) that would crowd the single words out of the list.
    rank_extra_word_cost: float = 2.5  # chosen on the train split: see BENCHMARKS.md
    extra_word_cost: float = 0.5  # per word the original has beyond the spun span (spinners swap ~1:1)
    # Spinners replace the natural word by a synonym, which is usually rarer ("stated" for said): a swap to a
    # more frequent original is likelier, by this much per Zipf unit.
    rarity_weight: float = 0.0
    max_span: int = 4  # tokens
    context_after: int = 3  # words of right context when scoring alternatives
    min_confidence: float = 0.5  # a best-path swap below this is left as it is
    adapt_prior: bool = True  # fit the swap prior to the document in a second pass
    adapt_min_words: int = 30  # too few words to estimate a density: keep the default prior
    first_pass_recall: float = 0.25  # share of true swaps the first pass finds, to turn its count into a density
    min_swap_prior: float = 0.03
    max_swap_prior: float = 0.4
    # per-token evidence for localisation (unspin.localize): how many of a kept word's likeliest
    # alternatives are rescored in the best path's context
    token_evidence: bool = True
    # A text not judged clean is decoded again with a per-word swap prior from the localiser: its probability
    # times word_prior_scale, within these bounds (0 disables; chosen on dev data; see unspin.api.Checker)
    word_prior_scale: float = 0.5
    word_prior_floor: float = 0.01
    word_prior_cap: float = 0.6
    # Swap prior of a lone digit 1-9 in that second decoding: some spinners write small numbers as digits
    # ("struck out 5" for five; news style spells out one to nine). Digits are never changed otherwise
    # (the first decoding and the localiser leave them alone). Chosen on dev data, see BENCHMARKS.md.
    digit_prior: float = 0.3
    evidence_alternatives: int = 8
    # One dictionary per document: spinners are tools with fixed dictionaries, so a spun word or phrase
    # restored confidently in one place was most likely swapped, for the same original, where it recurs.
    # In a text not judged clean, where such a word recurs unrestored, keeping it is weighed again against
    # that original with the swap prior raised to ``consistency_prior`` (0 disables) and the pair's channel
    # log-weight raised by ``consistency_bonus`` (chosen on dev data, see BENCHMARKS.md).
    # Names: inside a run of capitalised words that the pack's corpora never write as a name, a word the
    # lexicon can turn into one they do write ("World Sequence" -> World Series) is weighed again, keep against
    # those originals only, with this swap prior (0 disables; see unspin.names and Restorer.restore_names).
    name_swap_prior: float = 0.3
    consistency_min_confidence: float = 0.8
    consistency_prior: float = 0.5
    consistency_bonus: float = 1.0
    # A word or phrase that a recognised spinner's own dictionary (lexicon.DICTIONARY: the curated layers and
    # the hand-listed idioms) lists as its output is suspicious as such: the swap prior of its words is
    # raised to at least this (0: off; see unspin.api.FAMILY_DECODING)
    dictionary_key_prior: float = 0.0
    # A word that such a dictionary rewrites (a listed original) and never writes (no listed spun form) is
    # most likely text the spinner left alone: its swap prior is at most this (1: off)
    dictionary_original_prior: float = 1.0


@functools.lru_cache(maxsize=4096)
def _only_idioms(evidence: str) -> bool:
    """Whether the hand-listed idioms are the only layer of an evidence string ("idioms,+inflected",
    "idioms:common")."""
    return all(layer.split(":")[0] in (*IDIOMS, "+inflected") for layer in evidence.split(","))


KNOWN_NAME = "known-name"  # evidence tag of a swap restore_names made: the restored run is a known name


@dataclass(slots=True)
class _Edge:
    start: int
    end: int
    words: tuple[str, ...]
    cost: float
    evidence: str = ""  # empty for "keep"

    @property
    def is_keep(self) -> bool:
        return not self.evidence


def _by_score(hyp: tuple) -> float:
    """Sort key of a decoder hypothesis (score, state, back, edge): the best first."""
    return -hyp[0]


@dataclass
class Restoration:
    """The decoder's output for one document, with the numbers detection features are made of."""

    substitutions: list[Substitution]
    restored: str
    tokens: int = 0
    words: int = 0
    eligible_words: int = 0  # words the decoder was allowed to change
    candidate_words: int = 0  # of those, words for which the lexicon offered an original
    lm_input: float = 0.0  # natural-log LM probability of the input as it is
    lm_restored: float = 0.0  # of the restored wording
    swap_confidences: list[float] = field(default_factory=list)  # every best-path swap, kept or not
    prior_scale: float = 1.0  # how the second pass scaled the swap prior (1.0: one pass only)
    first_pass_swaps: float = 0.0  # share of eligible words the first pass swapped (-1: no first pass)
    oov_words: int = 0  # eligible words the language model has never seen
    backoff_words: int = 0  # words the LM knows only alone, in no known bigram with what precedes them
    short_match_words: int = 0  # words in no known trigram with what precedes them
    rare_words: int = 0  # eligible words rarer than Zipf 3 (spinners reach for odd synonyms)
    curated_swaps: int = 0  # swaps backed by the tortured-phrase list or observed real swaps
    # one row per changeable word of the final pass: (start, end, *values named by TOKEN_EVIDENCE)
    token_evidence: list[tuple] = field(default_factory=list)


# What the decoder knows about each changeable word, for the token-level localiser (unspin.localize).
TOKEN_EVIDENCE = (
    "lm_logprob",  # natural-log LM probability of the word after the input words before it
    "lm_logprob_next",  # of the word after it (a swapped word also makes its neighbour unexpected)
    "ngram_length",  # longest known n-gram ending in the word
    "ngram_length_next",
    "zipf",  # how common the word is
    "log_prior",  # the decoder's swap prior here (names, quotes)
    "alternatives",  # log(1 + number of originals the lexicon proposes for spans starting here)
    "swap_posterior",  # probability the word was swapped: the best path's confidence, or keep vs alternatives
    "best_lm_gain",  # LM gain of the best alternative over keeping, channel cost left out
    "on_path_swap",  # the best path changes this word
    "best_channel",  # the lexicon's channel log-weight of its likeliest original for this word
    "second_lm_gain",  # LM gain of the second-best alternative
    "gaining_alternatives",  # log(1 + number of alternatives that read better than keeping the word)
    "best_zipf_gain",  # Zipf frequency of the best-reading alternative minus the word's (spinners pick rarer words)
    *TOPIC_EVIDENCE,  # how well the word and its candidate originals fit the text around it (unspin.topic)
)


def sentences(tokens: list[Token], text: str) -> list[tuple[int, int]]:
    """Token ranges of sentences: split at line breaks and after . ! ? before a capital or a quote."""
    out, start = [], 0
    for i in range(1, len(tokens) + 1):
        if i == len(tokens):
            out.append((start, i))
            break
        gap = text[tokens[i - 1].end : tokens[i].start]
        prev = tokens[i - 1].norm
        if "\n" in gap or (prev in {".", "!", "?"} and gap and (tokens[i].text[:1].isupper() or tokens[i].norm in {'"', "'"})):
            out.append((start, i))
            start = i
    return [r for r in out if r[1] > r[0]]


HEADLINE_MAX_WORDS = 20
HEADLINE_MAX_LINES = 3  # a title, the same title again, a dateline or byline


def kept_lines(text: str) -> tuple[list[int], list[bool]]:
    """Start offsets of the lines of ``text`` and whether each is a line spinners leave alone: an ALL-CAPS
    line (a headline or a banner), or a line of the headline block that opens a page (real spun pages keep
    their headlines, even where the body is spun throughout). Computed once per document: per sentence it
    would be quadratic on text with long lines."""
    starts, flags, pos = [], [], 0
    lines = text.split("\n")
    for line in lines:
        letters = [c for c in line if c.isalpha()]
        starts.append(pos)
        flags.append(len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.8)
        pos += len(line) + 1
    for k in _headline_block(lines):
        flags[k] = True
    return starts, flags


def _headline_block(lines: list[str]) -> list[int]:
    """The lines of a page's opening headline block: the paragraphs before the first paragraph of prose
    that are one short line not ended like a sentence (a title, a repeated title, a dateline or byline).
    A paragraph of several lines is no headline, however its lines end (hard-wrapped text). None when
    no prose follows (a short text of one or two lines is itself the text to check), or when more than
    HEADLINE_MAX_LINES such lines or no prose follow them (a list, a table of figures)."""
    block, k = [], 0
    while k < len(lines):
        if not lines[k].strip():
            k += 1
            continue
        end = k
        while end < len(lines) and lines[end].strip():
            end += 1
        line = lines[k].strip()
        if end - k > 1 or len(line.split()) > HEADLINE_MAX_WORDS or line[-1] in ".!?;:,\"\u201d\u2019'":
            # the first paragraph that is no headline: if it is prose, what came before it was the headline
            # block; if not (a table of figures, a list), the page has no headline block of this kind
            paragraph = " ".join(lines[k:end])
            return block if len(paragraph.split()) >= 12 and any(c in paragraph for c in ".!?") else []
        block.append(k)
        if len(block) > HEADLINE_MAX_LINES:  # a list or a table of figures, not a headline block
            return []
        k = end
    return []


def quoted_tokens(tokens: list[Token], text: str) -> list[bool]:
    """Whether each token lies inside a quotation (spinners often leave quotes alone). Tracked over the whole
    paragraph, not per sentence: a quote of several sentences ("You saw the first two games. It was good to
    capitalize today," Estevez said.) opens in one sentence and closes in another, and the words after it
    are prose again. Typographic marks say which way they face; an ASCII mark toggles. A line break ends
    any open quote (news style reopens a quote that runs on into the next paragraph)."""
    out, inside, prev_end = [], False, 0
    for t in tokens:
        if "\n" in text[prev_end : t.start]:
            inside = False
        after_digit = t.start == prev_end and t.start > 0 and text[t.start - 1].isdigit()
        prev_end = t.end
        if t.norm == '"':
            if t.text == '"' and after_digit:  # inches (6'2"), not a quotation mark
                out.append(False)
                continue
            inside = True if t.text == "\u201c" else False if t.text == "\u201d" else not inside
            out.append(False)  # the mark itself is punctuation
        else:
            out.append(inside)
    return out


def _after_opener(tokens: list[Token], quoted: list[bool], i: int) -> bool:
    """Whether ``tokens[i]`` follows a mark that may start a sentence: a bracket, a colon, an opening quote,
    or a closing quote after a full stop ("... we won." The team left). After a closing quote inside a
    sentence ("... today," Nevin said) a capital is a name's."""
    prev = tokens[i - 1].norm
    if prev != '"':
        return prev in OPENERS
    return quoted[i] or (i >= 2 and tokens[i - 2].norm in {".", "!", "?"})


def name_tokens(tokens: list[Token], sents: list[tuple[int, int]], quoted: list[bool]) -> list[bool]:
    """Whether each token is most likely (part of) a name: capitalised inside a sentence, or capitalised at
    the start of one while the same word is capitalised inside a sentence elsewhere in the text and never
    written in lower case there ("Nick Madrigal will ... Madrigal lately suffered"). Spinners leave names
    alone; a name that starts a sentence would otherwise be weighed as an ordinary word."""
    named = [False] * len(tokens)
    starts = {a for a, _ in sents}
    inside, lower = set(), set()
    for i, t in enumerate(tokens):
        if not t.is_word:
            continue
        if not t.is_capitalized:
            lower.add(t.norm)
        elif i not in starts and not _after_opener(tokens, quoted, i):
            named[i] = True
            inside.add(t.norm)
    for i, t in enumerate(tokens):
        if not named[i] and t.is_word and t.is_capitalized and t.norm in inside and t.norm not in lower:
            named[i] = True
    return named


def _marks(tokens: list[Token], text: str, sents: list[tuple[int, int]]) -> tuple[list[bool], list[bool]]:
    quoted = quoted_tokens(tokens, text)
    return quoted, name_tokens(tokens, sents, quoted)


def _line_is_kept(lines: tuple[list[int], list[bool]], pos: int) -> bool:
    starts, flags = lines
    return flags[bisect.bisect_right(starts, pos) - 1]


def detokenize(words: list[str] | tuple[str, ...]) -> str:
    out = ""
    for w in words:
        if out and not _CLITIC.match(w) and w not in _NO_SPACE_BEFORE:
            out += " "
        out += w
    return out


def match_case(original: str, spun: str) -> str:
    """``original`` written in the case of the ``spun`` words it stands for. A word the two share that the
    spun text writes in capitals or mixed case keeps that form ("RBI azygous" -> RBI single)."""
    out = _match_case(original, spun)
    kept = {w.lower(): w for w in spun.split() if len(w) > 1 and w[1:] != w[1:].lower()}
    if not kept:
        return out
    return " ".join(kept.get(w.lower(), w) for w in out.split(" "))


def _match_case(original: str, spun: str) -> str:
    words = spun.split()
    if (len(words) > 1 and original.isalpha() and original == "".join(w[0] for w in words).lower()
            and _zipf(original) < 5.5):  # not a common word: "information technology" for it stays "it"
        return original.upper()  # an abbreviation written out ("most valuable player" for MVP)
    if len(spun) > 1 and spun.isupper() and any(c.isalpha() for c in spun):
        return original.upper()
    if len(words) > 1 and all(w[:1].isupper() for w in words) and len(original.split()) == len(words):
        return " ".join(o[:1].upper() + o[1:] for o in original.split())  # a name: "World Series"
    if spun[:1].isupper():
        return original[:1].upper() + original[1:]
    return original


def _substitution_index(tokens: list[Token], subs: list[Substitution]):
    """Token start offsets, the substitutions by their first token, and the tokens they cover."""
    starts = [t.start for t in tokens]
    by_token: dict[int, Substitution] = {}
    covered: set[int] = set()
    for s in subs:
        i, j = bisect.bisect_left(starts, s.start), bisect.bisect_left(starts, s.end)
        by_token[i] = s
        covered.update(range(i, j))
    return starts, by_token, covered


def _restored_sentence(starts: list[int], by_token: dict[int, Substitution], forms: list[str], a: int, b: int):
    """The LM words of tokens[a:b] as restored, and for each token the index in them where its output
    begins (for a token inside a substitution: where the next output begins)."""
    restored_words: list[str] = []
    starts_at: list[int] = []
    i = a
    while i < b:
        starts_at.append(len(restored_words))
        s = by_token.get(i)
        if s is not None:
            j = bisect.bisect_left(starts, s.end)
            restored_words.extend(t.norm for t in _tokenize(s.original))
            starts_at.extend([len(restored_words)] * (j - i - 1))
            i = j
        else:
            restored_words.append(forms[i])
            i += 1
    return restored_words, starts_at


def _with_added(previous: "Restoration", subs: list[Substitution], added: list[Substitution], text: str):
    result = dataclasses.replace(previous, substitutions=sorted(subs + added, key=lambda s: s.start))
    result.restored = apply_substitutions(text, result.substitutions)
    return result


class Restorer:
    """Decode the most plausible original wording of a document (scikit-learn style: plain constructor)."""

    def __init__(self, lexicon: Lexicon, scorer: Scorer, config: RestoreConfig | None = None,
                 reranker=None):
        self.lexicon = lexicon
        self.scorer = scorer
        self.config = config or RestoreConfig()
        # optional second opinion on the uncertain spans of the final pass (unspin.neural.NeuralReranker)
        self.reranker = reranker
        self._vocab: dict[str, bool] = {}
        self._cand_cache: dict[str, list] = {}
        # a pack whose LM was trained with names as one word is queried the same way (unspin.document.lm_forms)
        in_vocabulary = getattr(scorer, "in_vocabulary", None)
        self._names = bool(in_vocabulary and in_vocabulary(NAME_TOKEN))
        self._topic: TopicFit | None = None

    @property
    def topic(self) -> TopicFit:
        if self._topic is None:  # the word vectors load on the first per-word evidence (~0.5 s)
            self._topic = TopicFit(self._usable_candidates, shared_vectors())
        return self._topic

    def lm_words(self, tokens: list[Token], sents: list[tuple[int, int]]) -> list[str]:
        """What the language model sees for each token: its lower-cased form, or NAME_TOKEN for a name."""
        out = [t.norm for t in tokens]
        if self._names:
            for a, b in sents:
                out[a:b] = lm_forms(tokens[a:b])
        return out

    def sentence_lm_words(self, tokens: list[Token], a: int, b: int) -> list[str]:
        """:meth:`lm_words` of the sentence ``tokens[a:b]`` alone."""
        return lm_forms(tokens[a:b]) if self._names else [t.norm for t in tokens[a:b]]

    # -- priors ------------------------------------------------------------------------------------
    def _priors(self, lines, marks: tuple[list[bool], list[bool]], tokens: list[Token], sent: tuple[int, int],
                scale: float = 1.0, digits: bool = False) -> list[float]:
        """Swap prior of each word of a sentence. ``marks``: (quoted, named) per token of the text, from
        ``quoted_tokens`` and ``name_tokens``."""
        cfg = self.config
        a, b = sent
        kept_line = _line_is_kept(lines, tokens[a].start)
        quoted, named = marks
        priors = []
        for i in range(a, b):
            t = tokens[i]
            if kept_line:
                priors.append(0.0)
            elif digits and t.norm in _DIGITS:  # lone small digits, once a text is judged spun: digit_prior
                priors.append(cfg.digit_prior)
            elif not t.is_word:
                priors.append(0.0)
            elif named[i]:
                priors.append(cfg.name_prior)
            elif quoted[i]:
                priors.append(cfg.quote_prior)
            else:
                priors.append(min(cfg.swap_prior * scale, cfg.max_swap_prior))
        return priors

    def channel_logweight(self, c) -> float:
        cfg = self.config
        if c.evidence.endswith("+inflected"):
            # a lemma standing for an inflected form: the naive-spinner pattern; "self" = the same word
            base = 0.0 if c.evidence.startswith("self") else self._base_logweight(c)
            return base + cfg.reinflect_logweight
        return self._base_logweight(c)

    def _base_logweight(self, c) -> float:
        cfg = self.config
        # a bonus named by layer ("wordnet") or by layer and page ("observed:page-1")
        bonus = max((cfg.layer_bonus.get(layer, cfg.layer_bonus.get(layer.split(":")[0], 0.0))
                     for layer in c.evidence.split(",")), default=0.0) if cfg.layer_bonus else 0.0
        return bonus + self._layer_logweight(c)

    def _layer_logweight(self, c) -> float:
        cfg = self.config
        if c.curated:
            return cfg.curated_logweight
        if not c.fanout:  # listed only by the idioms or by held-out evidence
            w = cfg.thesaurus_bias + cfg.sim_weight * ((c.similarity or cfg.sim_default) - 1.0)
        else:
            sim = cfg.sim_default if c.similarity is None else c.similarity
            w = cfg.thesaurus_bias + cfg.sim_weight * (sim - 1.0) - cfg.fanout_power * math.log(max(c.fanout, 1))
        return max(w, cfg.idioms_logweight) if cfg.idioms_logweight is not None and has_layer(c.evidence, IDIOMS) else w

    def _dictionary_priors(self, tokens: list[Token], a: int, b: int, priors: list[float]) -> None:
        """The swap priors a recognised spinner's dictionary implies: capped (``dictionary_original_prior``)
        for a word it rewrites but never writes, raised (``dictionary_key_prior``) for the words of a spun form
        it lists. Words whose prior is 0, such as names and quotes, stay as they are."""
        cfg = self.config
        originals = self.lexicon.listed_originals() if cfg.dictionary_original_prior < 1 else ()
        for i in range(a, b):
            if priors[i - a] <= 0:
                continue
            listed = self._lists_spun_form(tokens[i].norm)
            if not listed and tokens[i].norm in originals:
                priors[i - a] = min(priors[i - a], cfg.dictionary_original_prior)
            for n in range(1, min(cfg.max_span, b - i) + 1) if cfg.dictionary_key_prior > 0 else ():
                if any(p <= 0 for p in priors[i - a : i - a + n]):
                    break
                if listed if n == 1 else self._lists_spun_form(" ".join(t.norm for t in tokens[i : i + n])):
                    for j in range(i - a, i - a + n):
                        priors[j] = max(priors[j], cfg.dictionary_key_prior)

    def _lists_spun_form(self, key: str) -> bool:
        """Whether a spinner's dictionary (a listed layer this config uses) writes ``key`` for something."""
        return any(c.listed and self._usable(c) for c in self.lexicon.lookup(key))

    def _usable_candidates(self, key: str) -> list:
        return [c for c in self.lexicon.lookup(key) if self._usable(c)]

    def _usable(self, c) -> bool:
        """Whether a candidate's evidence counts under this config (see ``RestoreConfig.idioms_logweight``)."""
        return self.config.idioms_logweight is not None or not _only_idioms(c.evidence)

    def _known(self, word: str) -> bool:
        known = self._vocab.get(word)
        if known is None:
            known = self._vocab[word] = self.scorer.in_vocabulary(word)
        return known

    def _candidates(self, key: str) -> list[tuple[float, tuple[str, ...], str]]:
        """The likeliest originals of a spun key, by channel weight and word frequency, with their channel
        log-weights (the LM decides among them). Cached: it does not depend on the document."""
        hit = self._cand_cache.get(key)
        if hit is not None:
            return hit
        if not self.lexicon.may_list(key):  # most phrases of a text: nothing to look up, nothing to keep
            return []
        cfg = self.config
        n_spun = key.count(" ") + 1
        spun_zipf = _zipf(key)
        scored = []
        for c in self.lexicon.lookup(key):
            if not self._usable(c):
                continue
            words = tuple(c.original.split())
            # An original the LM has never seen cannot be scored fairly (and is rarely right).
            if all(self._known(w) for w in words):
                extra, z = max(0, len(words) - n_spun), _zipf(c.original)
                logw = (self.channel_logweight(c) - cfg.extra_word_cost * extra
                        + cfg.rarity_weight * max(0.0, z - spun_zipf))
                rank = logw + cfg.rank_zipf_weight * z - cfg.rank_extra_word_cost * extra
                scored.append((rank, logw, words, c.evidence))
        scored.sort(key=lambda x: -x[0])
        out = [(logw, words, ev) for _, logw, words, ev in scored[: cfg.max_candidates]]
        bounded_put(self._cand_cache, key, out)
        return out

    # -- lattice -----------------------------------------------------------------------------------
    def _edges(self, tokens: list[Token], a: int, b: int, priors: list[float],
               forms: list[str], keep_meaning: bool = False) -> tuple[list[list[_Edge]], int]:
        cfg = self.config
        edges: list[list[_Edge]] = [[] for _ in range(b - a)]
        candidate_words = 0
        for i in range(a, b):
            p = priors[i - a]
            edges[i - a].append(_Edge(i, i + 1, (forms[i],), math.log1p(-p) if p > 0 else 0.0))
            if p <= 0:
                continue
            had = False
            span_prior = p
            words_so_far: list[str] = []
            for j in range(i + 1, min(b, i + cfg.max_span) + 1):
                pj = priors[j - 1 - a]
                if pj <= 0:
                    break
                span_prior = min(span_prior, pj)
                words_so_far.append(tokens[j - 1].norm)
                key = " ".join(words_so_far)  # tokens i..j-1
                candidates = self._candidates(key)
                if not candidates:
                    continue
                guard = keep_meaning and _meaning_bearing(key)  # once per key, not per candidate
                log_prior, row = math.log(span_prior), edges[i - a]
                for logw, words, evidence in candidates:
                    if guard and changes_meaning(key, words):
                        continue
                    row.append(_Edge(i, j, words, log_prior + logw, evidence))
                    had = True
            candidate_words += had
        return edges, candidate_words

    # -- search ------------------------------------------------------------------------------------
    def _decode(self, edges: list[list[_Edge]], a: int, b: int, beam: int) -> list[_Edge]:
        cfg, lm = self.config, self.scorer
        extend, lm_weight = lm.extend, cfg.lm_weight
        n = b - a
        # A hypothesis is a tuple (score, LM state, previous hypothesis, edge): this loop runs ~100 times per
        # word of text, and a tuple is the cheapest thing to make and read. Stacks recombine on the LM state.
        stacks: list[dict] = [dict() for _ in range(n + 1)]
        start = lm.begin()
        stacks[0][start] = (0.0, start, None, None)
        # floor[j]: a score every hypothesis that stack j will expand reaches. Stacks only gain hypotheses
        # or better scores, so the beam-th best score seen so far only rises; an LM score is at most 0, so
        # an edge whose score before the LM is already below it cannot enter the beam and is not scored.
        # Exact: the best path is the same as without the bound. The last stack is never cut to a beam
        # (the sentence end is scored on all of it), so it keeps no floor.
        floor = [-math.inf] * (n + 1)
        for i in range(n):
            stack = stacks[i]
            if not stack:
                continue
            hyps = sorted(stack.values(), key=_by_score)
            if len(hyps) > beam:
                del hyps[beam:]
            row = [(e.end - a, e.cost, e.words, e) for e in edges[i]]
            targets = {r[0] for r in row if r[0] < n}
            for h in hyps:
                hs, hstate = h[0], h[1]
                for j, cost, words, e in row:
                    s = hs + cost
                    if s < floor[j]:
                        continue
                    lp, st = extend(hstate, words)
                    s += lm_weight * lp
                    target = stacks[j]
                    old = target.get(st)
                    if old is None or old[0] < s:
                        target[st] = (s, st, h, e)
                for j in targets:
                    target = stacks[j]
                    if len(target) >= beam:
                        floor[j] = sorted([x[0] for x in target.values()])[-beam]
        best = max(stacks[n].values(), key=lambda h: h[0] + lm_weight * lm.end(h[1]))
        path = []
        while best[3] is not None:
            path.append(best[3])
            best = best[2]
        return path[::-1]

    def _posterior(self, alts: list[_Edge], state, right: list[str]) -> list[float]:
        cfg, lm = self.config, self.scorer
        scores = []
        for e in alts:
            s, st = e.cost, state
            for w in (*e.words, *right):
                lp, st = lm.step(st, w)
                s += cfg.lm_weight * lp
            scores.append(s)
        m = max(scores)
        z = sum(math.exp(x - m) for x in scores)
        return [math.exp(x - m) / z for x in scores]

    def restore(self, doc: Document, suspects: dict | None = None, word_priors: dict | None = None,
                evidence: bool = True, digits: bool | None = None) -> Restoration:
        """Decode ``doc``. With ``adapt_prior``, decode twice: the first pass estimates how densely this
        document is spun, the second decodes with a swap prior fitted to that (empirical Bayes). A clean
        text then gets a smaller prior than the default (fewer false alarms) and a heavily spun one a larger
        prior (more recovery).

        ``suspects``: {(start, end): probability} of words a localiser judged swapped, for the reranker's
        proposals (only with a reranker). ``word_priors``: {(start, end): swap prior} replacing the
        ordinary prior of those words, decoded in one pass. ``evidence``: False skips the per-word evidence
        (a second decoding whose words were already judged). ``digits``: whether lone digits 1-9 may
        be restored to words (``digit_prior``) in the final pass; by default only with ``word_priors``
        (a text already judged spun)."""
        cfg = self.config
        tokens = doc.tokens()
        sents = sentences(tokens, doc.text)
        forms = self.lm_words(tokens, sents)
        # where the text's lines, quotations and names are: the same for every pass over this text
        layout = (kept_lines(doc.text), _marks(tokens, doc.text, sents))
        if word_priors is not None:  # a per-word prior is known: one pass with it
            return self._pass(doc.text, tokens, sents, forms, layout, 1.0, cfg.beam, suspects=suspects,
                              word_priors=word_priors, evidence=evidence, digits=digits is not False)
        adapt = cfg.adapt_prior and sum(t.is_word for t in tokens) >= cfg.adapt_min_words
        # the first pass only estimates a density when a second follows: a narrower beam is enough
        result = self._pass(doc.text, tokens, sents, forms, layout, 1.0, cfg.first_pass_beam if adapt else cfg.beam,
                            final=not adapt,
                            suspects=suspects, evidence=evidence, digits=bool(digits) and not adapt)
        if adapt and result.eligible_words >= cfg.adapt_min_words:
            swapped = sum(c >= 0.5 for c in result.swap_confidences)
            density = swapped / result.eligible_words / cfg.first_pass_recall
            scale = max(cfg.min_swap_prior, min(cfg.max_swap_prior, density)) / cfg.swap_prior
            first_pass_swaps = swapped / result.eligible_words
            result = self._pass(doc.text, tokens, sents, forms, layout, scale, cfg.beam, suspects=suspects,
                                evidence=evidence, digits=bool(digits))
            result.prior_scale = scale
            result.first_pass_swaps = first_pass_swaps
        elif adapt:  # too few changeable words to fit a prior: decode once more, fully, with the default
            result = self._pass(doc.text, tokens, sents, forms, layout, 1.0, cfg.beam, suspects=suspects,
                                evidence=evidence, digits=bool(digits))
        return result

    def restore_consistent(self, doc: Document, previous: Restoration) -> Restoration:
        """One dictionary per document: where a spun word or phrase that ``previous`` restored confidently
        recurs unrestored, weigh keeping it against the same original(s), in the restored context, with the
        swap prior raised to ``consistency_prior`` and those pairs' channel weight raised by
        ``consistency_bonus`` (see :class:`RestoreConfig`). Only those words can change: re-decoding
        whole sentences would also move words that have nothing to do with the dictionary. Returns
        ``previous`` itself when nothing recurs."""
        cfg, lm = self.config, self.scorer
        if cfg.consistency_prior <= 0:
            return previous
        tokens = doc.tokens()
        subs = sorted(previous.substitutions, key=lambda s: s.start)
        starts, by_token, covered = _substitution_index(tokens, subs)
        confident: dict[str, set[str]] = {}
        for i, s in by_token.items():
            key = " ".join(t.norm for t in tokens[i : bisect.bisect_left(starts, s.end)])
            if key and s.confidence >= cfg.consistency_min_confidence:
                confident.setdefault(key, set()).add(s.original.lower())
        if not confident:
            return previous
        lengths = sorted({k.count(" ") + 1 for k in confident})
        added: list[Substitution] = []
        sents = sentences(tokens, doc.text)
        lines, marks = kept_lines(doc.text), _marks(tokens, doc.text, sents)
        forms = self.lm_words(tokens, sents)
        for a, b in sents:
            priors = None
            # the sentence as restored, for the LM context
            restored_words, starts_at = _restored_sentence(starts, by_token, forms, a, b)
            for i in range(a, b):
                for n in lengths:
                    key = " ".join(t.norm for t in tokens[i : i + n]) if i + n <= b else ""
                    if key not in confident or covered.intersection(range(i, i + n)):
                        continue
                    if priors is None:
                        priors = self._priors(lines, marks, tokens, (a, b))
                    if any(p <= 0 for p in priors[i - a : i - a + n]):
                        continue
                    q = max(cfg.consistency_prior, min(priors[i - a : i - a + n]))
                    pos = starts_at[i - a]
                    _, state = lm.extend(lm.begin(), restored_words[:pos])
                    right = restored_words[pos + n : pos + n + cfg.context_after]
                    keep = _Edge(i, i + n, tuple(forms[i : i + n]), n * math.log1p(-q))
                    alts = []
                    for logw, words, evidence in self._candidates(key):
                        bonus = cfg.consistency_bonus if detokenize(words) in confident[key] else 0.0
                        alts.append(_Edge(i, i + n, words, math.log(q) + logw + bonus, evidence))
                    if not alts:
                        continue
                    post = self._posterior([keep, *alts], state, right)
                    best = max(range(1, len(post)), key=post.__getitem__)
                    e = alts[best - 1]
                    p_swap = 1.0 - post[0]
                    if p_swap >= cfg.min_confidence and detokenize(e.words) in confident[key]:
                        span = doc.text[tokens[i].start : tokens[i + n - 1].end]
                        added.append(Substitution(start=tokens[i].start, end=tokens[i + n - 1].end, spun=span,
                                                  original=match_case(detokenize(e.words), span),
                                                  confidence=p_swap, evidence=e.evidence))
                        covered.update(range(i, i + n))
        return _with_added(previous, subs, added, doc.text) if added else previous

    def restore_names(self, doc: Document, previous: Restoration, names: frozenset[str]) -> Restoration:
        """Spun words inside capitalised names (see :mod:`unspin.names`). For each run of capitalised words
        not yet restored, a word that belongs to no known name inside the run is weighed again, in the
        restored context, keeping it against the originals that make the whole run a known name ("World
        Sequence": *series* makes "world series"), with the swap prior ``name_swap_prior``. Nothing
        else moves. Returns ``previous`` itself when nothing changes."""
        from .names import run_key, title_runs

        cfg, lm = self.config, self.scorer
        if cfg.name_swap_prior <= 0 or not names:
            return previous
        tokens = doc.tokens()
        subs = sorted(previous.substitutions, key=lambda s: s.start)
        starts, by_token, covered = _substitution_index(tokens, subs)
        lines = kept_lines(doc.text)
        sents = sentences(tokens, doc.text)
        forms: list[str] | None = None
        added: list[Substitution] = []
        q = cfg.name_swap_prior
        for a, b in sents:
            runs = [(i, j) for i, j in title_runs(tokens, a, b)
                    if not covered.intersection(range(i, j)) and not _line_is_kept(lines, tokens[i].start)]
            for i, j in runs:
                words = [t.norm for t in tokens[i:j]]
                # a word inside a known name of two or more words (the whole run or part of it) is real
                protected = {k for p in range(i, j) for r in range(p + 2, j + 1)
                             if run_key(tokens, p, r) in names for k in range(p, r)}
                for k in range(i, j):
                    if k in protected or not tokens[k].is_word:
                        continue
                    # originals that make the whole run a known name: a known name inside a longer unknown
                    # one is mostly chance (on dev, "Fars Provincial League" -> *Little League*)
                    originals = [(logw, cand, evidence) for logw, cand, evidence in self._candidates(tokens[k].norm)
                                 if len(cand) == 1 and cand[0].isalpha()
                                 and not changes_meaning(tokens[k].norm, cand)
                                 and " ".join(words[:k - i] + [cand[0]] + words[k - i + 1:]) in names]
                    if not originals:
                        continue
                    if forms is None:
                        forms = self.lm_words(tokens, sents)
                    context, _ = _restored_sentence(starts, by_token, forms, a, k)  # as restored, up to k
                    _, state = lm.extend(lm.begin(), context)
                    right = forms[k + 1 : min(b, k + 1 + cfg.context_after)]
                    keep = _Edge(k, k + 1, (forms[k],), math.log1p(-q))
                    alts = [_Edge(k, k + 1, cand, math.log(q) + logw, evidence)
                            for logw, cand, evidence in originals]
                    post = self._posterior([keep, *alts], state, right)
                    best = max(range(1, len(post)), key=post.__getitem__)
                    p_swap = 1.0 - post[0]
                    if p_swap >= cfg.min_confidence:
                        e, span = alts[best - 1], tokens[k].text
                        added.append(Substitution(start=tokens[k].start, end=tokens[k].end, spun=span,
                                                  original=match_case(detokenize(e.words), span),
                                                  confidence=p_swap, evidence=f"{e.evidence},{KNOWN_NAME}"))
        return _with_added(previous, subs, added, doc.text) if added else previous

    def _pass(self, text: str, tokens: list[Token], sents: list[tuple[int, int]], forms: list[str], layout,
              scale: float, beam: int, final: bool = True, suspects: dict | None = None,
              word_priors: dict | None = None, evidence: bool = True, digits: bool = False) -> Restoration:
        cfg, lm = self.config, self.scorer
        result = Restoration(substitutions=[], restored=text, tokens=len(tokens))
        result.words = sum(t.is_word for t in tokens)
        lines, marks = layout
        left: list[str] = []  # restored earlier sentences: the reranker's left context
        for a, b in sents:
            priors = self._priors(lines, marks, tokens, (a, b), scale, digits=digits and cfg.digit_prior > 0)
            if word_priors is not None:
                ordinary = min(cfg.swap_prior * scale, cfg.max_swap_prior)
                for i in range(a, b):
                    q = word_priors.get((tokens[i].start, tokens[i].end))
                    if q is not None and priors[i - a] == ordinary:
                        priors[i - a] = min(cfg.word_prior_cap, max(cfg.word_prior_floor, q))
            if cfg.dictionary_key_prior > 0 or cfg.dictionary_original_prior < 1:
                self._dictionary_priors(tokens, a, b, priors)
            result.eligible_words += sum(p > 0 for p in priors)
            result.rare_words += sum(1 for p, t in zip(priors, tokens[a:b]) if p > 0 and _zipf(t.norm) < 3.0)
            result.oov_words += sum(1 for p, t in zip(priors, tokens[a:b]) if p > 0 and not self._known(t.norm))
            # the decoding of a text already judged spun (``digits``) restores only swaps that keep the
            # meaning; earlier decodings keep every candidate, as the detector and localiser were trained so
            edges, cw = self._edges(tokens, a, b, priors, forms, keep_meaning=digits)
            result.candidate_words += cw
            path = self._decode(edges, a, b, beam)
            judged: dict = {}
            if final and self.reranker is not None:
                n_left = self.reranker.config.left_sentences
                path, judged = self.reranker.rerank_sentence(
                    self, text, tokens, a, b, edges, path, priors, " ".join(left[-n_left:]) if n_left else "",
                    suspects=suspects)
                left.append(self.reranker.render(text, tokens, path, first_gap=False))
            # LM score of the input as it is, and of the path, for detection features (final pass only)
            token_scores = None
            if final and hasattr(lm, "token_scores"):
                token_scores = lm.token_scores(forms[a:b])
                for t, (_, n) in zip(tokens[a:b], token_scores):
                    if t.is_word:
                        result.backoff_words += n <= 1
                        result.short_match_words += n <= 2
            if final:
                lp, st = lm.extend(lm.begin(), forms[a:b])
                result.lm_input += lp + lm.end(st)
            out_words = [w for e in path for w in e.words]
            st = lm.begin()
            states = []  # LM state before each path edge
            for e in path:
                states.append(st)
                lp, st = lm.extend(st, e.words)
                result.lm_restored += lp
            result.lm_restored += lm.end(st)
            # posteriors for the swaps on the best path
            pos = 0
            path_swaps: dict[int, float] = {}  # token index -> confidence of the path swap covering it
            for k, e in enumerate(path):
                n_words = len(e.words)
                if not e.is_keep:
                    right = out_words[pos + n_words : pos + n_words + cfg.context_after]
                    alts = [x for x in edges[e.start - a] if x.end == e.end and not x.is_keep]
                    keep = _Edge(e.start, e.end, tuple(forms[e.start : e.end]),
                                 sum(math.log1p(-p) for p in priors[e.start - a : e.end - a]))
                    if (e.start, e.end) in judged:
                        p_swap = judged[(e.start, e.end)]
                    else:
                        post = self._posterior([keep, *alts], states[k], right)
                        p_swap = 1.0 - post[0]
                    result.swap_confidences.append(p_swap)
                    for i in range(e.start, e.end):
                        path_swaps[i] = p_swap
                    if p_swap >= cfg.min_confidence and has_layer(e.evidence, RISK_MARKERS):
                        result.curated_swaps += 1
                    if p_swap >= cfg.min_confidence:
                        span = text[tokens[e.start].start : tokens[e.end - 1].end]
                        result.substitutions.append(Substitution(
                            start=tokens[e.start].start, end=tokens[e.end - 1].end, spun=span,
                            original=match_case(detokenize(e.words), span), confidence=p_swap,
                            evidence=e.evidence))
                pos += n_words
            if final and evidence and cfg.token_evidence and token_scores is not None:
                self._token_evidence(result, tokens, a, b, edges, path, states, priors, token_scores, path_swaps,
                                     forms)
        if result.token_evidence:
            topic = self.topic.rows(text, [(row[0], row[1]) for row in result.token_evidence])
            result.token_evidence = [(*row, *map(float, t)) for row, t in zip(result.token_evidence, topic)]
        result.restored = apply_substitutions(text, result.substitutions)
        return result

    def _token_evidence(self, result: Restoration, tokens: list[Token], a: int, b: int, edges, path, states,
                        priors: list[float], token_scores, path_swaps: dict[int, float], norms: list[str]) -> None:
        """Append one TOKEN_EVIDENCE row per changeable word of the sentence ``a:b``.

        A word the best path keeps is rescored against its likeliest alternatives in the path's context,
        so a swap too uncertain to restore still leaves evidence that the word is out of place."""
        cfg, lm = self.config, self.scorer
        state_at = {e.start: states[k] for k, e in enumerate(path)}
        for i in range(a, b):
            p = priors[i - a]
            if p <= 0 or not tokens[i].is_word:
                continue
            lp, n = token_scores[i - a]
            lp_next, n_next = token_scores[i - a + 1]
            alts = [x for x in edges[i - a] if not x.is_keep]
            n_alts = len(alts)
            local, gain = 0.0, 0.0
            # the same as the best of x.cost - log(p): subtracting one number keeps the order, exactly
            best_channel = max(x.cost for x in alts) - math.log(p) if alts else -20.0
            gains: list[tuple[float, tuple[str, ...]]] = []
            if alts and i in state_at:
                alts = sorted(alts, key=lambda x: -x.cost)[: cfg.evidence_alternatives]
                state = state_at[i]
                by_end: dict[int, list[_Edge]] = {}
                for x in alts:
                    by_end.setdefault(x.end, []).append(x)
                gain = -math.inf
                for end, group in by_end.items():
                    right = norms[end : min(b, end + cfg.context_after)]
                    keep_cost = sum(math.log1p(-q) if q > 0 else 0.0 for q in priors[i - a : end - a])
                    keep_lm, _ = lm.extend(state, [*norms[i:end], *right])
                    scores = [keep_cost + cfg.lm_weight * keep_lm]
                    for x in group:
                        alt_lm, _ = lm.extend(state, [*x.words, *right])
                        gain = max(gain, alt_lm - keep_lm)
                        gains.append((alt_lm - keep_lm, x.words))
                        scores.append(x.cost + cfg.lm_weight * alt_lm)
                    m = max(scores)
                    z = sum(math.exp(v - m) for v in scores)
                    local = max(local, 1.0 - math.exp(scores[0] - m) / z)
            posterior = path_swaps.get(i, local)
            gains.sort(reverse=True)
            second = gains[1][0] if len(gains) > 1 else (gains[0][0] if gains else 0.0)
            zipf_gain = _zipf(" ".join(gains[0][1])) - _zipf(tokens[i].norm) if gains else 0.0
            result.token_evidence.append((
                tokens[i].start, tokens[i].end, lp, lp_next, float(n), float(n_next), _zipf(tokens[i].norm),
                math.log(p), math.log1p(n_alts), posterior, max(-20.0, min(20.0, gain)),
                1.0 if i in path_swaps else 0.0, max(-20.0, best_channel), max(-20.0, min(20.0, second)),
                math.log1p(sum(g > 0 for g, _ in gains)), zipf_gain))


def apply_substitutions(text: str, subs: list[Substitution]) -> str:
    out, last = [], 0
    for s in sorted(subs, key=lambda s: s.start):
        if s.start < last:
            continue
        out.append(text[last : s.start])
        out.append(s.original)
        last = s.end
    out.append(text[last:])
    return "".join(out)
