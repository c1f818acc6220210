"""Passage alignment between a (spun) text and its source, and restoration of the spun text from the source.

Text alignment in the style of Sanchez-Perez, Sidorov & Gelbukh (PAN 2014): **seeding** (sentence pairs
that are similar enough), **extension** (seeds close to each other in both texts are merged into passages,
and the sentences between two seeds are paired with the source sentences between them) and **filtering**
(passages too short or too weak to be more than chance are dropped).

The sentence similarity has to survive spinning, which swaps most content words: it is the Dice
coefficient of the longest common subsequence of the two sentences' lower-cased word tokens,
``2 * LCS / (len(a) + len(b))``. Function words, names and numbers stay in place in a spun sentence, so a
spun copy keeps ~0.6-0.8 of this with its source while two unrelated sentences share ~0.2-0.35 (the odd
"of the"). When the query was run through the LM restorer first, its proposed originals are tried too
(the similarity is the better of the two readings), which raises true pairs further.

Restoration from the source (:func:`source_restore`) then needs no guessing: within each aligned pair (or
block of sentences between two aligned pairs), ``difflib`` aligns the tokens and every run of query tokens
that differs from the source is replaced by the source's run, so "the place" becomes "where" again even
though the two have different lengths.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import LCSseq

from ..document import TOKEN_RE, Substitution, Token, fold, tokenize
from .fingerprints import STOPWORDS

# A sentence ends at . ! ? (and any closing quotes/brackets) followed by space and a capital or digit;
# a line break always ends one (headlines, list items, paragraphs).
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")

SEED_SIM = 0.45  # a sentence pair at least this similar is a seed
STRONG_SIM = 0.6  # a passage made of one seed must be at least this similar (and long enough)
MIN_SEED_WORDS = 4  # shorter sentences ("He said so.") match too many others to be seeds on their own
MAX_GAP = 3  # seeds at most this many sentences apart (in both texts) belong to one passage
MIN_PASSAGE_WORDS = 8
CANDIDATES = 12  # source sentences scored per query sentence, chosen by shared anchor words

# Anchor words for finding candidate sentences: everything but the commonest function words.
_COMMON = frozenset(STOPWORDS) | frozenset(
    "an am be been being do does did done has have had he her him his i it its me my not of on or our she "
    "so than that the their them then there these they this those to too us was we were what when where "
    "which while who whom why will with would you your also about after before into more most other over "
    "some such up out said says one two new".split())


@dataclass(slots=True)
class Sentence:
    text: str  # the whole text the sentence is in
    start: int
    end: int
    words: list[str]  # lower-cased word and number tokens: what similarity compares
    alt_words: list[str] | None = None  # the words with LM-restorer originals substituted, if any
    _tokens: list[Token] | None = None

    @property
    def tokens(self) -> list[Token]:
        """Every token with its offsets, punctuation included: what restoration diffs. Made on demand:
        a candidate source is mostly only compared by words."""
        if self._tokens is None:
            self._tokens = tokenize(self.text[self.start : self.end], self.start)
        return self._tokens


@dataclass(slots=True)
class Pair:
    q: int  # query sentence index
    s: int  # source sentence index
    sim: float
    seed: bool = True  # False: paired by extension (between two seeds), not on its own similarity


@dataclass(slots=True)
class Passage:
    pairs: list[Pair] = field(default_factory=list)
    query_start: int = 0
    query_end: int = 0
    source_start: int = 0
    source_end: int = 0
    similarity: float = 0.0

    def to_dict(self) -> dict:
        return {"query_start": self.query_start, "query_end": self.query_end, "source_start": self.source_start,
                "source_end": self.source_end, "similarity": round(self.similarity, 4)}


@dataclass(slots=True)
class Alignment:
    query: list[Sentence]
    source: list[Sentence]
    passages: list[Passage]

    def to_dicts(self) -> list[dict]:
        return [p.to_dict() for p in self.passages]


# ---------------------------------------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------------------------------------

def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of the sentences of ``text`` (stripped of surrounding whitespace)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        cuts = [0] + [m.end() for m in _SENTENCE_END.finditer(line)] + [len(line)]
        for a, b in zip(cuts, cuts[1:]):
            seg = line[a:b]
            left = len(seg) - len(seg.lstrip())
            right = len(seg.rstrip())
            if right > left:
                spans.append((pos + a + left, pos + a + right))
        pos += len(line) + 1
    return spans


def _is_word(norm: str) -> bool:
    return norm[:1].isalnum()


def sentences(text: str, substitutions: Iterable | None = None) -> list[Sentence]:
    subs = sorted(_sub_tuples(substitutions)) if substitutions else []
    folded = fold(text)
    lowered = folded.lower()
    if len(lowered) != len(folded):  # a few characters lower-case to two ("İ"): offsets would shift
        lowered = None
    out = []
    for a, b in sentence_spans(text):
        # findall gives the same tokens as tokenize() without building Token objects (a candidate source
        # can be a 20,000-word article, and is mostly compared by words only)
        if lowered is not None:
            words = [w for w in TOKEN_RE.findall(lowered, a, b) if w[:1].isalnum()]
        else:
            words = [w.lower() for w in TOKEN_RE.findall(folded, a, b) if w[:1].isalnum()]
        sent = Sentence(text, a, b, words)
        if subs:
            sent.alt_words = _alt_words(sent.tokens, subs, a, b)
        out.append(sent)
    return out


def _sub_tuples(substitutions) -> list[tuple[int, int, str]]:
    out = []
    for s in substitutions:
        if isinstance(s, Substitution):
            out.append((s.start, s.end, s.original))
        elif isinstance(s, dict):
            out.append((int(s["start"]), int(s["end"]), str(s["original"])))
        else:  # (start, end, original) or a spinner swap (start, end, spun, original)
            out.append((int(s[0]), int(s[1]), str(s[-1])))
    return out


def _alt_words(toks: list[Token], subs: list[tuple[int, int, str]], a: int, b: int) -> list[str] | None:
    inside = [s for s in subs if a <= s[0] and s[1] <= b]
    if not inside:
        return None
    words: list[str] = []
    k = 0
    emitted = -1  # the substitution whose original words are already in `words`
    for t in toks:
        while k < len(inside) and inside[k][1] <= t.start:
            k += 1
        if k < len(inside) and inside[k][0] <= t.start < inside[k][1]:
            if emitted != k:  # the span's first token stands for all of it
                words.extend(x.norm for x in tokenize(inside[k][2]) if _is_word(x.norm))
                emitted = k
            continue
        if _is_word(t.norm):
            words.append(t.norm)
    return words


def similarity(a: list[str], b: list[str]) -> float:
    """Dice coefficient of the token LCS: 2 * LCS / (len(a) + len(b))."""
    if not a or not b:
        return 0.0
    return 2.0 * LCSseq.similarity(a, b) / (len(a) + len(b))


def _sim(q: Sentence, s: Sentence) -> float:
    sim = similarity(q.words, s.words)
    if q.alt_words is not None:
        sim = max(sim, similarity(q.alt_words, s.words))
    return sim


# ---------------------------------------------------------------------------------------------------------
# Seeding, extension, filtering
# ---------------------------------------------------------------------------------------------------------

def _anchors(sent: Sentence) -> set[str]:
    return {w for w in (sent.alt_words or []) + sent.words if w not in _COMMON}


def _seeds(query: list[Sentence], source: list[Sentence]) -> list[Pair]:
    """For each query sentence, its most similar source sentence among those sharing anchor words."""
    postings: dict[str, list[int]] = defaultdict(list)
    for j, s in enumerate(source):
        for w in _anchors(s):
            postings[w].append(j)
    seeds = []
    for i, q in enumerate(query):
        if len(q.words) < MIN_SEED_WORDS:
            continue
        shared = Counter()
        for w in _anchors(q):
            plist = postings.get(w)
            if plist and len(plist) <= max(20, len(source) // 4):  # a word in every sentence says nothing
                shared.update(plist)
        best_j, best = -1, 0.0
        for j, _ in shared.most_common(CANDIDATES):
            sim = _sim(q, source[j])
            if sim > best:
                best_j, best = j, sim
        if best >= SEED_SIM:
            seeds.append(Pair(i, best_j, best))
    return seeds


def _chain(seeds: list[Pair]) -> list[list[Pair]]:
    """Group seeds (in query order) into monotone chains whose steps are at most MAX_GAP+1 in both texts."""
    chains: list[list[Pair]] = []
    for p in seeds:
        best = None
        for c in chains:
            last = c[-1]
            di, dj = p.q - last.q, p.s - last.s
            if 0 < di <= MAX_GAP + 1 and 0 < dj <= MAX_GAP + 1:
                if best is None or di + dj < best[0]:
                    best = (di + dj, c)
        if best is not None:
            best[1].append(p)
        else:
            chains.append([p])
    return chains


def _extend(chain: list[Pair], query: list[Sentence], source: list[Sentence]) -> list[Pair]:
    """Pair the sentences between consecutive seeds: a lone sentence between two seeds is paired with the
    lone source sentence between them whatever its similarity (it is sandwiched, so it is the copy, however
    heavily spun); larger gaps are filled by similarity (at a lower bar than seeding).

    At the ends of a chain, when both texts have the same (small) number of sentences left before the
    first seed or after the last one, those are paired one to one at the lower bar too: a whole copied
    article whose closing sentence was spun beyond recognition. A passage inside other text rarely has
    exactly as many sentences around it as its source."""
    first, last = chain[0], chain[-1]
    head = _run(query, source, first, -1, first.q) if first.q == first.s <= MAX_GAP else []
    left_q, left_s = len(query) - 1 - last.q, len(source) - 1 - last.s
    tail = _run(query, source, last, 1, left_q) if left_q == left_s <= MAX_GAP else []
    out = head[::-1] + [chain[0]]
    for a, b in zip(chain, chain[1:]):
        gq = list(range(a.q + 1, b.q))
        gs = list(range(a.s + 1, b.s))
        if gq and gs:
            if len(gq) == 1 and len(gs) == 1:
                out.append(Pair(gq[0], gs[0], _sim(query[gq[0]], source[gs[0]]), seed=False))
            else:
                last_s = a.s
                for i in gq:
                    options = [(j, _sim(query[i], source[j])) for j in gs if j > last_s]
                    if options:
                        j, sim = max(options, key=lambda x: x[1])
                        if sim >= SEED_SIM / 2:
                            out.append(Pair(i, j, sim, seed=False))
                            last_s = j
        out.append(b)
    return out + tail


def _run(query: list[Sentence], source: list[Sentence], seed: Pair, step: int, n: int) -> list[Pair]:
    """Up to ``n`` one-to-one pairs going away from ``seed`` (``step`` -1: before it, +1: after it), at the
    extension bar, stopping at the first that misses it so that the passage stays contiguous."""
    out = []
    for t in range(1, n + 1):
        i, j = seed.q + step * t, seed.s + step * t
        sim = _sim(query[i], source[j])
        if sim < SEED_SIM / 2:
            break
        out.append(Pair(i, j, sim, seed=False))
    return out


def _passage(pairs: list[Pair], query: list[Sentence], source: list[Sentence]) -> Passage:
    weight = [len(query[p.q].words) or 1 for p in pairs]
    sim = sum(w * p.sim for w, p in zip(weight, pairs)) / sum(weight)
    return Passage(pairs, query[pairs[0].q].start, query[pairs[-1].q].end,
                   min(source[p.s].start for p in pairs), max(source[p.s].end for p in pairs), sim)


def _keep(chain: list[Pair], query: list[Sentence]) -> bool:
    words = sum(len(query[p.q].words) for p in chain)
    if words < MIN_PASSAGE_WORDS:
        return False
    return len(chain) >= 2 or chain[0].sim >= STRONG_SIM


def align_sentences(query_text: str, source_text: str, substitutions: Iterable | None = None, *,
                    query: list[Sentence] | None = None) -> Alignment:
    """The full alignment: sentences of both texts and the aligned passages with their sentence pairs.
    ``query``: ``sentences(query_text, substitutions)`` when the caller already has them (one query aligned
    with several candidate sources)."""
    if query is None:
        query = sentences(query_text, substitutions)
    source = sentences(source_text)
    chains = [c for c in _chain(_seeds(query, source)) if _keep(c, query)]
    passages = [_passage(_extend(c, query, source), query, source) for c in chains]
    passages.sort(key=lambda p: p.query_start)
    return Alignment(query, source, passages)


def align(query_text: str, source_text: str, substitutions: Iterable | None = None) -> list[dict]:
    """Aligned passages ``[{query_start, query_end, source_start, source_end, similarity}]``, in query order.

    ``substitutions`` (optional): the LM restorer's findings for ``query_text`` (``Report.substitutions``,
    dicts with start/end/original, or spinner swaps), tried as an alternative reading of the query.
    """
    return align_sentences(query_text, source_text, substitutions).to_dicts()


# ---------------------------------------------------------------------------------------------------------
# Restoration from the source
# ---------------------------------------------------------------------------------------------------------

def _units(passage: Passage) -> Iterable[tuple[list[int], list[int]]]:
    """The blocks to diff: each pair, and between two pairs the unpaired sentences of both sides."""
    pairs = passage.pairs
    for k, p in enumerate(pairs):
        yield [p.q], [p.s]
        if k + 1 < len(pairs):
            n = pairs[k + 1]
            gq, gs = list(range(p.q + 1, n.q)), list(range(p.s + 1, n.s))
            if gq and gs:
                yield gq, gs


def _diff_edits(query_text: str, source_text: str, qt: list[Token], st: list[Token]) -> list[Substitution]:
    edits = []
    sm = difflib.SequenceMatcher(None, [t.norm for t in qt], [t.norm for t in st], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        new = source_text[st[j1].start : st[j2 - 1].end] if j2 > j1 else ""
        if op == "insert":  # the source has words the query lacks: put them, with its spacing, in the gap
            left = source_text[st[j1 - 1].end : st[j1].start] if j1 > 0 else " "
            right = source_text[st[j2 - 1].end : st[j2].start] if j2 < len(st) else " "
            if 0 < i1 < len(qt):
                start, end, new = qt[i1 - 1].end, qt[i1].start, left + new + right
            elif i1 == 0:
                start = end = qt[0].start
                new = new + right
            else:
                start = end = qt[-1].end
                new = left + new
        elif op == "delete":  # the query has words the source lacks: drop them, and their gap
            if 0 < i1 and i2 < len(qt):
                sep = source_text[st[j1 - 1].end : st[j1].start] if 0 < j1 < len(st) else " "
                start, end, new = qt[i1 - 1].end, qt[i2].start, sep
            elif i1 == 0:
                start, end = qt[0].start, qt[i2].start if i2 < len(qt) else qt[i2 - 1].end
            else:
                start, end = qt[i1 - 1].end, qt[i2 - 1].end
        else:  # replace
            start, end = qt[i1].start, qt[i2 - 1].end
            # Keep the source's spacing where it differs from the query's in kind: "wouldn't" restored
            # to "would not" needs the space the query did not have ("wouldnot" otherwise).
            if i1 > 0 and j1 > 0:
                s_sep = source_text[st[j1 - 1].end : st[j1].start]
                if (query_text[qt[i1 - 1].end : qt[i1].start] == "") != (s_sep == ""):
                    start, new = qt[i1 - 1].end, s_sep + new
            if i2 < len(qt) and j2 < len(st):
                s_sep = source_text[st[j2 - 1].end : st[j2].start]
                if (query_text[qt[i2 - 1].end : qt[i2].start] == "") != (s_sep == ""):
                    end, new = qt[i2].start, new + s_sep
        edits.append(Substitution(start, end, query_text[start:end], new, 1.0, "source"))
    return edits


def source_edits(query_text: str, source_text: str, substitutions: Iterable | None = None,
                 alignment: Alignment | None = None) -> list[Substitution]:
    """The edits that turn the aligned parts of ``query_text`` into the source's wording, as
    :class:`~unspin.document.Substitution` (``spun`` = query text, ``original`` = source text, confidence
    1.0, evidence ``"source"``), sorted by position. Text outside aligned passages is never touched."""
    al = alignment or align_sentences(query_text, source_text, substitutions)
    edits: list[Substitution] = []
    for passage in al.passages:
        for qs, ss in _units(passage):
            qt = [t for i in qs for t in al.query[i].tokens]
            st = [t for j in ss for t in al.source[j].tokens]
            if qt and st:
                edits.extend(_diff_edits(query_text, source_text, qt, st))
    edits.sort(key=lambda e: (e.start, e.end))
    # Blocks never overlap (sentences are disjoint), but an insert at a block's end and the next block's
    # first edit can touch the same point; keep edits strictly ordered so applying them is well defined.
    out: list[Substitution] = []
    for e in edits:
        if out and e.start < out[-1].end:
            continue
        out.append(e)
    return out


def apply_edits(text: str, edits: list[Substitution]) -> str:
    parts, pos = [], 0
    for e in edits:
        parts.append(text[pos : e.start])
        parts.append(e.original)
        pos = e.end
    parts.append(text[pos:])
    return "".join(parts)


def source_restore(query_text: str, source_text: str, substitutions: Iterable | None = None) -> str:
    """``query_text`` with every token run that differs from the aligned source replaced by the source's
    run, inside aligned passages only. ``substitutions`` (optional, the LM restorer's) only help alignment:
    the words put back are always the source's."""
    return apply_edits(query_text, source_edits(query_text, source_text, substitutions))


def restore_with_source(query_text: str, source_text: str, substitutions: Iterable | None = None,
                        alignment: Alignment | None = None) -> tuple[str, list[Substitution]]:
    """Merge the LM restorer's findings with the source's: inside aligned passages the source's edits
    replace the restorer's (the source is the truth there), outside them the restorer's substitutions are
    kept. Returns the restored text and the merged, position-sorted substitutions (``Substitution``
    objects; dict substitutions are converted)."""
    al = alignment or align_sentences(query_text, source_text, substitutions)
    edits = source_edits(query_text, source_text, alignment=al)
    spans = [(p.query_start, p.query_end) for p in al.passages]
    kept: list[Substitution] = []
    for s in substitutions or []:
        if isinstance(s, dict):
            s = Substitution(int(s["start"]), int(s["end"]), str(s.get("spun", query_text[s["start"]:s["end"]])),
                             str(s["original"]), float(s.get("confidence", 1.0)), str(s.get("evidence", "")))
        if not any(a < s.end and s.start < b for a, b in spans):
            kept.append(s)
    merged = sorted(kept + edits, key=lambda e: (e.start, e.end))
    return apply_edits(query_text, merged), merged
