"""Spinner family fingerprints: which kind of spinner made a text, from what the decoder found in it.

Spinner families leave different traces in a restoration:

* a dense thesaurus spinner (SpinBot-like) swaps most content words, for synonyms of any sense and often
  rarer ones, that Moby lists (many swaps, a wide frequency gap, low word-vector similarity);
* a sparse synonym spinner (SpinnerChief-like) swaps one content word in four for a close, common synonym
  (few swaps, small frequency gap, high similarity);
* a phrase-dictionary spinner rewrites function words and multi-word expressions ("the place" for where,
  "for the reason that" for since), numbers as digits and ordinals as words;
* a naive WordNet spinner takes any lemma of any synset: chemical elements for prepositions ("astatine"
  for at), multi-word lemmas ("information technology" for it), base forms for inflected words ("say" for
  said), pairs only WordNet lists.

:func:`fingerprint_features` turns a :class:`~unspin.document.Report` or a
:class:`~unspin.restore.Restoration` into rates of those traces; a multinomial logistic regression
(scikit-learn, standardised features) trained on texts the project spins itself tells the families apart.
It is stored as plain numbers in ``fingerprint.json`` in the pack (no pickles) and applied with NumPy.

Training (``train_fingerprint``): documents of the corpora's ``train`` split (index % 10 == 8, never in
the LM's text), each spun by one family in turn at a rate drawn from the family's range and cut to a
random length, decoded with the pack; evaluation on the ``test`` split (index % 10 == 9) the same way.
"""

from __future__ import annotations

import functools
import json
import os
import random
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .errors import PackError, UnspinError

FINGERPRINT_FILE = "fingerprint.json"
VERSION = 1

FAMILY_NAMES = {
    "thesaurus": "dense thesaurus spinner (SpinBot-like)",
    "sparse": "sparse synonym spinner (SpinnerChief-like)",
    "phrase": "phrase-dictionary spinner",
    "wordnet": "naive WordNet spinner",
}
UNKNOWN = "unknown (too few swaps to tell)"
# simulated spinner -> family label, and the swap rates its tools are set to in the wild (as unspin.train)
TRAIN_SPINNERS = {
    "thesaurus": ("thesaurus", (0.4, 0.8)),
    "sparse": ("sparse", (0.1, 0.3)),
    "phrase": ("phrase", (0.5, 1.0)),
    "wordnet": ("wordnet", (0.15, 0.4)),
    "nlpaug-wordnet": ("wordnet", (0.15, 0.4)),
}
CORPORA = ("pressreleases", "reuters21578", "wikipedia-half")
MIN_SWAPS = 3  # below this a restoration says too little about the spinner

FEATURES = (
    "swaps_per_100_words",
    "function_word_share",  # original is function words only ("at", "where", "since")
    "spun_function_share",  # spun side is function words only
    "multiword_spun_share",
    "multiword_original_share",
    "inflected_share",  # a lemma standing for an inflected original (evidence "+inflected")
    "self_inflected_share",  # the spun word is the original's own lemma ("say" for said)
    "wordnet_only_share",
    "moby_only_share",
    "wordnet_and_moby_share",
    "curated_share",  # observed real swaps (of the content-farm spinner's pages) and tortured phrases
    "number_share",  # digits for number words or number words for ordinals
    "odd_sense_share",  # chemical elements and other senses no editor means ("astatine" for at)
    "capitalised_share",  # swaps inside names and titles
    "mean_similarity",  # GloVe cosine of spun and original (NaN without word vectors: imputed)
    "mean_zipf_spun",
    "mean_zipf_gap",  # Zipf frequency of the original minus that of the spun side
    "rare_spun_share",  # spun side rarer than Zipf 3
    "mean_confidence",
    "lm_gain_per_token",
    "rare_word_share",
    "first_pass_density",
)

_ELEMENTS = """hydrogen helium lithium beryllium boron carbon nitrogen oxygen fluorine neon sodium magnesium aluminum
aluminium silicon phosphorus sulfur sulphur chlorine argon potassium calcium scandium titanium vanadium chromium
manganese iron cobalt nickel copper zinc gallium germanium arsenic selenium bromine krypton rubidium strontium
yttrium zirconium niobium molybdenum technetium ruthenium rhodium palladium silver cadmium indium tin antimony
tellurium iodine xenon cesium caesium barium lanthanum cerium praseodymium neodymium promethium samarium europium
gadolinium terbium dysprosium holmium erbium thulium ytterbium lutetium hafnium tantalum tungsten wolfram rhenium
osmium iridium platinum gold mercury thallium lead bismuth polonium astatine radon francium radium actinium
thorium protactinium uranium neptunium plutonium americium curium berkelium californium einsteinium fermium
mendelevium nobelium lawrencium rutherfordium dubnium seaborgium bohrium hassium meitnerium""".split()
# senses of short function words and abbreviations that only a sense-blind WordNet spinner picks
ODD_SENSES = frozenset(_ELEMENTS) | {
    "information technology",  # it
    "crataegus laevigata",  # may
    "beaver state", "oregon",  # or
    "inch", "indiana", "hoosier state",  # in
    "maine", "pine tree state",  # me
    "ohio", "buckeye state",  # oh
    "united states",  # us
    "angstrom", "angstrom unit", "ampere", "adenine", "deoxyadenosine monophosphate", "vitamin a",  # a
    "nan",  # the, in one content farm's output
}
_NUMBER_WORDS = frozenset(
    """one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty sixty seventy
    eighty ninety first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth""".split())


def _norm(text: str) -> str:
    from .lexicon import norm_phrase

    return norm_phrase(text)


def _zipf(phrase: str) -> float:
    from .lexicon import zipf

    return zipf(phrase)


def _vectors():
    """GloVe vectors when the optional package is installed, else None (the feature is then imputed)."""
    from .lexicon import shared_vectors

    return shared_vectors()


def _function_only(phrase: str) -> bool:
    from .spinners import FUNCTION_WORDS

    words = phrase.split()
    return bool(words) and all(w in FUNCTION_WORDS for w in words)


def _is_number_swap(spun: str, original: str) -> bool:
    def digits(p: str) -> bool:
        return any(c.isdigit() for c in p)

    def words(p: str) -> bool:
        return bool(p) and all(w in _NUMBER_WORDS or w.split("-")[0] in _NUMBER_WORDS for w in p.split())

    return (digits(spun) and words(original)) or (words(spun) and digits(original))


def _summary(obj) -> tuple[list[tuple[str, str, str, float]], int, dict]:
    """``(substitutions, words, detection features)`` of a Report, a Restoration or a summary dict (the
    form training rows are cached in: ``{"substitutions": [[spun, original, evidence, confidence]...],
    "words": n, "features": {...}}``)."""
    if isinstance(obj, dict):
        subs = [tuple(s) if not isinstance(s, dict) else (s["spun"], s["original"], s.get("evidence", ""),
                                                          float(s.get("confidence", 1.0)))
                for s in obj.get("substitutions", [])]
        return subs, int(obj.get("words", 0)), dict(obj.get("features", {}))
    if not hasattr(obj, "substitutions") or not hasattr(obj, "words"):
        raise UnspinError(f"cannot fingerprint a {type(obj).__name__}: pass a Report or a Restoration")
    subs = [(s.spun, s.original, s.evidence, float(s.confidence)) for s in obj.substitutions]
    feats = getattr(obj, "features", None)
    if not isinstance(feats, dict) or not feats:
        from .detect import features

        feats = features(obj)
    return subs, int(obj.words), feats


def summarise(obj) -> dict:
    """The JSON-able summary of a Report or Restoration that :func:`fingerprint_features` needs."""
    subs, words, feats = _summary(obj)
    return {"substitutions": [list(s) for s in subs], "words": words,
            "features": {k: float(v) for k, v in feats.items()}}


# Real pages whose observed swaps (lexicon layer "observed:<page id>") come from another spinner than the
# content-farm phrase-dictionary one. The observed layer holds every real page's swaps, and the family the
# fingerprint learnt to recognise by its share of curated swaps is the content-farm one; counting this
# page's swaps as such named its own spinner's pages (*nan* for the, *astatine* for at) a phrase-dictionary
# spinner's (0.98) instead of a naive WordNet spinner's (0.93 without them). See BENCHMARKS.md, sixteenth
# session.
OBSERVED_OTHER_FAMILY = {"ohtani-first-win-kyodo-nan-spinner": "naive WordNet spinner"}


def _curated(base: set[str], layers: list[str], other_family: dict[str, str]) -> bool:
    """Whether a swap's evidence is the content-farm spinner's curated kind: a tortured phrase, or a swap
    observed on a real page of that spinner (not on a page or learnt layer of ``other_family``)."""
    if "tortured" in base:
        return True
    pages = [layer.split(":", 1)[1] for layer in layers if layer.startswith("observed:")]
    return "observed" in base and (not pages or any(p not in other_family for p in pages))


def fingerprint_features(obj, vectors="auto", other_family=None) -> dict[str, float]:
    """Rates of each family's traces among the swaps of a Report or Restoration (see :data:`FEATURES`).

    ``vectors``: word vectors for ``mean_similarity`` (``"auto"``: GloVe if installed; ``None``: NaN).
    ``other_family``: {page id or learnt layer tag: family} of observed swaps that another spinner than the
    content-farm one made (default :data:`OBSERVED_OTHER_FAMILY`). Shares are over the swaps; with no swap
    they are 0.
    """
    other_family = OBSERVED_OTHER_FAMILY if other_family is None else other_family
    subs, words, feats = _summary(obj)
    vec = _vectors() if vectors == "auto" else vectors
    n = len(subs)
    counts = dict.fromkeys(FEATURES, 0.0)
    sims, zs, gaps, confs = [], [], [], []
    for spun_text, original_text, evidence, confidence in subs:
        s, o = _norm(spun_text), _norm(original_text)
        layers = [l for l in evidence.split(",") if l]
        base = {l.split(":")[0] for l in layers} - {"+inflected", "self"}
        counts["function_word_share"] += _function_only(o)
        counts["spun_function_share"] += _function_only(s)
        counts["multiword_spun_share"] += " " in s
        counts["multiword_original_share"] += " " in o
        counts["inflected_share"] += evidence.endswith("+inflected")
        counts["self_inflected_share"] += evidence.startswith("self")
        counts["wordnet_only_share"] += base == {"wordnet"}
        counts["moby_only_share"] += base == {"moby"}
        counts["wordnet_and_moby_share"] += {"wordnet", "moby"} <= base
        counts["curated_share"] += _curated(base, layers, other_family)
        counts["number_share"] += "numbers" in base or _is_number_swap(s, o)
        counts["odd_sense_share"] += s in ODD_SENSES
        counts["capitalised_share"] += spun_text[:1].isupper()
        zs.append(_zipf(s))
        gaps.append(_zipf(o) - _zipf(s))
        counts["rare_spun_share"] += _zipf(s) < 3.0
        confs.append(confidence)
        if vec is not None:
            sim = vec.similarity(s, o)
            if sim is not None:
                sims.append(sim)
    out = {k: (v / n if n else 0.0) for k, v in counts.items()}
    out["swaps_per_100_words"] = 100.0 * n / max(words, 1)
    out["mean_similarity"] = float(np.mean(sims)) if sims else float("nan")
    out["mean_zipf_spun"] = float(np.mean(zs)) if zs else 0.0
    out["mean_zipf_gap"] = float(np.mean(gaps)) if gaps else 0.0
    out["mean_confidence"] = float(np.mean(confs)) if confs else 0.0
    for k in ("lm_gain_per_token", "rare_word_share", "first_pass_density"):
        out[k] = float(feats.get(k, float("nan")))
    return out


# --------------------------------------------------------------------------------------------------
# The classifier, as numbers
# --------------------------------------------------------------------------------------------------

class FamilyClassifier:
    """Standardised features -> multinomial logistic regression, applied with NumPy."""

    def __init__(self, params: dict):
        try:
            self.params = params
            self.features = list(params["features"])
            self.classes = list(params["classes"])
            self.names = {**FAMILY_NAMES, **params.get("names", {})}
            self.mean = np.asarray(params["mean"], dtype=float)
            self.scale = np.asarray(params["scale"], dtype=float)
            self.impute = np.asarray(params["impute"], dtype=float)
            self.coef = np.asarray(params["coef"], dtype=float)
            self.intercept = np.asarray(params["intercept"], dtype=float)
            self.min_swaps = int(params.get("min_swaps", MIN_SWAPS))
        except (KeyError, TypeError, ValueError) as e:
            raise PackError(f"corrupt fingerprint model: {e}") from None
        k, d = len(self.classes), len(self.features)
        if (self.coef.shape != (k, d) or self.intercept.shape != (k,) or self.mean.shape != (d,)
                or self.scale.shape != (d,) or self.impute.shape != (d,) or k < 2):
            raise PackError("corrupt fingerprint model: array shapes do not match the features")
        unknown = set(self.features) - set(FEATURES)
        if unknown:
            raise PackError(f"fingerprint model uses features this version of unspin lacks: {sorted(unknown)}")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "FamilyClassifier":
        try:
            params = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PackError(
                f"no spinner fingerprint model at {path} (train one with `unspin train fingerprint`)") from None
        except (OSError, ValueError, UnicodeDecodeError) as e:
            raise PackError(f"corrupt fingerprint model {path}: {e}") from None
        if not isinstance(params, dict):
            raise PackError(f"corrupt fingerprint model {path}: not a JSON object")
        return cls(params)

    def to_json(self) -> str:
        return json.dumps(self.params, indent=1)

    def _matrix(self, rows: Iterable[dict]) -> np.ndarray:
        X = np.array([[float(f.get(k, float("nan"))) for k in self.features] for f in rows], dtype=float)
        X = np.where(np.isfinite(X), X, self.impute)
        return (X - self.mean) / self.scale

    def probabilities(self, feats: dict) -> dict[str, float]:
        """Family label -> probability, for one feature dict."""
        z = self._matrix([feats])[0] @ self.coef.T + self.intercept
        p = np.exp(z - z.max())
        p /= p.sum()
        return dict(zip(self.classes, map(float, p)))

    def predict_label(self, feats: dict) -> tuple[str, float]:
        probs = self.probabilities(feats)
        label = max(probs, key=probs.get)
        return label, probs[label]

    def predict(self, obj, other_family=None) -> tuple[str, float]:
        """``(human-readable family name, probability)`` for a Report or Restoration; too few swaps to tell
        gives ``(UNKNOWN, 0.0)``. ``other_family``: as for :func:`fingerprint_features`."""
        subs, _, _ = _summary(obj)
        if len(subs) < self.min_swaps:
            return UNKNOWN, 0.0
        label, p = self.predict_label(fingerprint_features(obj, other_family=other_family))
        return self.names.get(label, label), p


def fit_classifier(rows: list[tuple[dict, str]], C: float = 0.3, min_swaps: int = MIN_SWAPS) -> FamilyClassifier:
    """Fit on ``(features, family label)`` rows (rows with fewer than ``min_swaps`` swaps are the unknown
    case and should be left out by the caller)."""
    from sklearn.linear_model import LogisticRegression

    labels = sorted({y for _, y in rows})
    if len(labels) < 2:
        raise UnspinError("need examples of at least two spinner families to fit a fingerprint model")
    X = np.array([[float(f.get(k, float("nan"))) for k in FEATURES] for f, _ in rows], dtype=float)
    y = np.array([y for _, y in rows])
    finite = np.isfinite(X)
    impute = np.array([X[finite[:, j], j].mean() if finite[:, j].any() else 0.0 for j in range(X.shape[1])])
    X = np.where(finite, X, impute)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    # balanced: the naive WordNet family has two simulated spinners, and should not win ties for that
    lr = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit((X - mean) / scale, y)
    coef, intercept = lr.coef_, lr.intercept_
    if len(lr.classes_) == 2:  # scikit-learn keeps one row for two classes: spell out both
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return FamilyClassifier({
        "version": VERSION, "features": list(FEATURES), "classes": [str(c) for c in lr.classes_],
        "names": {c: FAMILY_NAMES.get(c, c) for c in map(str, lr.classes_)},
        "mean": mean.tolist(), "scale": scale.tolist(), "impute": impute.tolist(),
        "coef": coef.tolist(), "intercept": intercept.tolist(), "min_swaps": min_swaps, "C": C,
    })


def evaluate(model: FamilyClassifier, rows: list[tuple[dict, str]]) -> dict:
    """Accuracy and confusion counts (true label -> predicted label -> n) on ``(features, label)`` rows."""
    confusion: dict[str, dict[str, int]] = {}
    right = 0
    for f, y in rows:
        pred, _ = model.predict_label(f)
        confusion.setdefault(y, {}).setdefault(pred, 0)
        confusion[y][pred] += 1
        right += pred == y
    per_family = {y: row.get(y, 0) / sum(row.values()) for y, row in sorted(confusion.items())}
    return {"documents": len(rows), "accuracy": right / len(rows) if rows else 0.0,
            "balanced_accuracy": sum(per_family.values()) / len(per_family) if per_family else 0.0,
            "per_family": per_family, "confusion": confusion}


# --------------------------------------------------------------------------------------------------
# Training data: the project's own spinners over held-out corpus documents
# --------------------------------------------------------------------------------------------------

def _truncate(text: str, words_wanted: int) -> str:
    out, n = [], 0
    for p in (p for p in text.split("\n") if p.strip()):
        out.append(p)
        n += len(p.split())
        if n >= words_wanted:
            break
    return "\n\n".join(out)


def make_rows(shared: Path, checker, n_docs: int, split: str, seed: int = 0,
              spinners: Iterable[str] = tuple(TRAIN_SPINNERS), lengths=(150, 250, 400), log=sys.stderr) -> list[dict]:
    """Spin ``n_docs`` documents per spinner (one spinner per document, in turn, over the corpora) of
    ``split`` and decode them; each row is a :func:`summarise` dict plus ``family``, ``spinner``, ``rate``
    and ``doc``."""
    from .document import Document
    from .lmbuild import read_corpus
    from .spinners import make_spinner

    spinners = list(spinners)
    rng = random.Random(seed)
    paths = {c: Path(shared) / "corpora" / f"{c}.jsonl.gz" for c in CORPORA}
    for path in paths.values():
        if not path.exists():
            raise UnspinError(f"corpus not found: {path}")
    iters = {c: read_corpus(path, split=split) for c, path in paths.items()}
    rows: list[dict] = []
    want = n_docs * len(spinners)
    k = 0
    t0 = time.time()
    while len(rows) < want and iters:
        corpus = CORPORA[k % len(CORPORA)]
        k += 1
        if corpus not in iters:
            continue
        text = next(iters[corpus], None)
        if text is None:
            del iters[corpus]
            continue
        if len(text.split()) < 120:
            continue
        name = spinners[len(rows) % len(spinners)]
        family, (lo, hi) = TRAIN_SPINNERS[name]
        rate = rng.uniform(lo, hi)
        text = _truncate(text, rng.choice(lengths))
        spun = make_spinner(name, rate=rate, seed=rng.randrange(1 << 30)).spin(text).text
        row = summarise(checker.restorer.restore(Document(spun)))
        row.update(family=family, spinner=name, rate=round(rate, 3), doc=f"{corpus}:{k}")
        rows.append(row)
        if len(rows) % 25 == 0:
            print(f"  {split}: {len(rows)}/{want} documents ({time.time() - t0:.0f}s)", file=log)
    return rows


def _labelled(rows: list[dict], min_swaps: int) -> list[tuple[dict, str]]:
    return [(fingerprint_features(r), r["family"]) for r in rows if len(r["substitutions"]) >= min_swaps]


def train_fingerprint(shared: Path, pack_dir: Path | None, n_docs: int = 40, n_test: int = 40, seed: int = 0,
                      checker=None, log=sys.stderr) -> dict:
    """Train on ``n_docs`` documents per simulated spinner from the ``train`` split, evaluate on ``n_test``
    per spinner from the ``test`` split, and write ``fingerprint.json`` into the pack (atomically, manifest
    updated). Returns the stored parameters, evaluation included."""
    from .api import Checker
    from .pack import load_pack, write_json_to_pack

    pack = load_pack(pack_dir)
    checker = checker or Checker(pack.path)
    t0 = time.time()
    print(f"fingerprints: decoding {n_docs} training documents per spinner ...", file=log)
    train_rows = make_rows(shared, checker, n_docs, "train", seed=seed, log=log)
    test_rows = make_rows(shared, checker, n_test, "test", seed=seed + 1, log=log) if n_test else []
    model = fit_classifier(_labelled(train_rows, MIN_SWAPS))
    params = dict(model.params)
    params["evaluation"] = {"split": "test", **evaluate(model, _labelled(test_rows, MIN_SWAPS)),
                            "too_few_swaps": sum(len(r["substitutions"]) < MIN_SWAPS for r in test_rows)}
    params["training"] = {"split": "train", "documents": len(train_rows), "spinners": {
        k: {"family": f, "rates": list(r)} for k, (f, r) in TRAIN_SPINNERS.items()}, "seed": seed,
        "trained": time.strftime("%Y-%m-%d"), "seconds": round(time.time() - t0, 1)}
    write_json_to_pack(pack.path, FINGERPRINT_FILE, params)
    return params


# --------------------------------------------------------------------------------------------------
# Prediction
# --------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _load_model(path: str, mtime: float) -> FamilyClassifier:
    return FamilyClassifier.load(path)


def load_model(pack: str | os.PathLike | None = None) -> FamilyClassifier:
    """The fingerprint model of a pack (default: the default pack, or ``$UNSPIN_PACK``)."""
    from .pack import load_pack

    p = load_pack(pack, verify=False).path / FINGERPRINT_FILE
    if not p.is_file():
        raise PackError(f"model pack {p.parent} has no {FINGERPRINT_FILE} (train one with `unspin train fingerprint`)")
    return _load_model(str(p), p.stat().st_mtime)


def predict_family(report_or_restoration, model: FamilyClassifier | str | os.PathLike | None = None
                   ) -> tuple[str, float]:
    """Which spinner family most likely made a text: ``(family name, probability)``, e.g.
    ``("naive WordNet spinner", 0.97)``; ``(UNKNOWN, 0.0)`` when the decoder found too few swaps.

    ``model``: a :class:`FamilyClassifier`, a ``fingerprint.json`` path, a pack folder, or ``None`` for the
    default pack's model.
    """
    if not isinstance(model, FamilyClassifier):
        if model is not None and Path(model).is_file():
            model = FamilyClassifier.load(model)
        else:
            model = load_model(model)
    return model.predict(report_or_restoration)


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m unspin.fingerprint", description="train the spinner fingerprint model")
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--pack", default=None)
    ap.add_argument("--n-docs", type=int, default=40)
    ap.add_argument("--n-test", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    params = train_fingerprint(Path(args.shared), args.pack, args.n_docs, args.n_test, args.seed)
    ev = params["evaluation"]
    print(f"held-out family accuracy {ev['accuracy']:.3f} on {ev['documents']} documents; "
          f"confusion {json.dumps(ev['confusion'])}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
