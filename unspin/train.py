"""``unspin train detector``: fit the word-level localiser and the calibrated spin detector on text the
project spins itself.

Data: documents of the ``train`` split (index % 10 == 8, never in the LM's training text) of the shared
corpora, each used once clean and once spun by a spinner family drawn in turn (dense thesaurus, sparse,
phrase dictionary, naive WordNet), at a rate drawn from the family's range, cut to a random length so the
detector sees short and long texts. The isotonic calibration and the verdict threshold are chosen on
out-of-fold decision values (documents split into five folds), never on a model's own training texts. The ``test`` split
(index % 10 == 9) is left to ``unspin bench``.

Each text is decoded once. The localiser (:mod:`unspin.localize`) is fitted first, on the words of those
decodings and the spinner's true swaps; the detector then uses its per-word probabilities as features.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np

from .detect import FEATURES, features
from .document import Document
from .errors import UnspinError
from .lmbuild import read_corpus

CORPORA = ("pressreleases", "reuters21578", "wikipedia-half")
# family -> (low, high) swap rate: what each family's tools are set to in the wild
FAMILIES = {"thesaurus": (0.4, 0.8), "sparse": (0.1, 0.3), "phrase": (0.5, 1.0), "wordnet": (0.15, 0.4)}
TARGET_FPR = 0.01


def _truncate(text: str, rng: random.Random) -> str:
    paras = [p for p in text.split("\n") if p.strip()]
    words_wanted = rng.choice([60, 120, 250, 500, 1000])
    out, n = [], 0
    for p in paras:
        out.append(p)
        n += len(p.split())
        if n >= words_wanted:
            break
    return "\n\n".join(out)


def make_examples(shared: Path, checker, n_docs: int, split: str = "train", seed: int = 0,
                  families=tuple(FAMILIES), log=sys.stderr):
    """Yield (restoration, true swap spans, label, family, group) for clean and spun versions of ``n_docs``
    per corpus."""
    from .spinners import make_spinner

    rng = random.Random(seed)
    k = 0
    for corpus in CORPORA:
        path = shared / "corpora" / f"{corpus}.jsonl.gz"
        taken = 0
        for text in read_corpus(path, split=split):
            if taken >= n_docs:
                break
            if len(text.split()) < 80:
                continue
            text = _truncate(text, rng)
            family = families[k % len(families)]
            lo, hi = FAMILIES[family]
            spinner = make_spinner(family, rate=rng.uniform(lo, hi), seed=rng.randrange(1 << 30))
            spun = spinner.spin(text)
            group = f"{corpus}:{taken}"
            for label, t, swaps in ((0, text, []), (1, spun.text, [(a, b) for a, b, *_ in spun.swaps])):
                r = checker.restorer.restore(Document(t))
                yield r, swaps, label, family if label else "clean", group
            taken += 1
            k += 1
        print(f"  {corpus}: {taken} documents", file=log)


def feature_rows(examples, localizer=None, word_probabilities=None) -> list[tuple[dict, int, str, str]]:
    """(features, label, family, group) of decoded examples, with word probabilities from the localiser,
    or ``word_probabilities`` given per example (the localiser's out-of-fold probabilities in training)."""
    rows = []
    threshold = localizer.threshold if localizer is not None else 0.5
    for k, (r, _, label, family, group) in enumerate(examples):
        if word_probabilities is not None:
            probs = word_probabilities[k]
        else:
            probs = localizer.probabilities(r)[1] if localizer is not None else None
        rows.append((features(r, probs, threshold), label, family, group))
    return rows


def fit_detector(rows: list[tuple[dict, int, str, str]], seed: int = 0, folds: int = 5) -> dict:
    """Fit scaler + logistic regression, with isotonic calibration and the verdict threshold cross-fitted.

    The documents (groups) are split into ``folds`` folds; each fold's decision values come from a model
    fitted on the other folds, so every text is scored out of fold. The isotonic calibration and the
    threshold are fitted on those out-of-fold values of all texts, and the model shipped is fitted on all of
    them (scikit-learn's ``CalibratedClassifierCV(ensemble=False)`` does the same). Calibrating on a held-out
    30% instead put the 1%-false-alarm threshold on the 6th-highest of ~540 clean texts' probabilities: it
    moved between 0.66 and 0.92 with the seed of the split alone (BENCHMARKS.md)."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    groups = sorted({g for *_, g in rows})
    random.Random(seed).shuffle(groups)
    fold_of = {g: i % folds for i, g in enumerate(groups)}
    X = np.array([[f[name] for name in FEATURES] for f, *_ in rows], dtype=float)
    y = np.array([label for _, label, *_ in rows])
    fold = np.array([fold_of[g] for *_, g in rows])
    if len(set(y)) < 2 or len(groups) < folds or any(len(set(y[fold != i])) < 2 for i in range(folds)):
        raise UnspinError("not enough training data to fit the detector (need clean and spun documents)")

    def fit(mask):
        scaler = StandardScaler().fit(X[mask])
        return scaler, LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(X[mask]), y[mask])

    oof = np.zeros(len(y))
    for i in range(folds):
        scaler, lr = fit(fold != i)
        oof[fold == i] = lr.decision_function(scaler.transform(X[fold == i]))
    scaler, lr = fit(np.ones(len(y), dtype=bool))
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(oof, y)
    p_oof = iso.predict(oof)
    # verdict threshold: the lowest probability at which at most TARGET_FPR of the clean texts would be
    # called spun (and never below 0.5)
    clean_p = np.sort(p_oof[y == 0])
    q = clean_p[min(len(clean_p) - 1, int(np.ceil((1 - TARGET_FPR) * len(clean_p))))] if len(clean_p) else 0.5
    high = float(max(0.5, min(0.99, q + 1e-6)))
    return {
        "features": list(FEATURES),
        "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
        "coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0]),
        "isotonic_x": iso.X_thresholds_.tolist(), "isotonic_y": iso.y_thresholds_.tolist(),
        # "not spun" below even odds; "spun" only above the threshold that keeps false alarms at TARGET_FPR
        "low": 0.5, "high": high, "target_fpr": TARGET_FPR,
        "calibration": {"documents": int(len(y)), "auc": float(roc_auc_score(y, oof)), "folds": folds,
                        "out_of_fold": True},
        "fit_documents": int(len(y)),
    }


def train_detector(shared: Path, pack_dir: Path | None, n_docs: int = 600, seed: int = 0, log=sys.stderr) -> dict:
    """Train the localiser and the detector on the shared corpora and write ``localizer.json`` and
    ``detector.json`` into the pack (each atomically, manifest updated). Returns the detector's params with
    the localiser's summary under ``localizer``."""
    from .api import Checker
    from .localize import Localizer, fit_localizer
    from .pack import load_pack, write_json_to_pack

    pack = load_pack(pack_dir)
    checker = Checker(pack.path, use_detector=False)
    t0 = time.time()
    print(f"decoding examples from {n_docs} documents per corpus ...", file=log)
    examples = list(make_examples(Path(shared), checker, n_docs, seed=seed, log=log))
    print("fitting the localiser ...", file=log)
    loc_params, oof = fit_localizer([(r, swaps, group) for r, swaps, _, _, group in examples], seed=seed)
    loc_params["trained"] = time.strftime("%Y-%m-%d")
    localizer = Localizer(loc_params)
    print("fitting the detector ...", file=log)
    # on the localiser's out-of-fold probabilities: in-sample ones would be overconfident, and the detector
    # would learn to trust them more than it should on new text
    params = fit_detector(feature_rows(examples, localizer, oof), seed=seed)
    params["trained"] = time.strftime("%Y-%m-%d")
    params["seconds"] = round(time.time() - t0, 1)
    params["families"] = {k: list(v) for k, v in FAMILIES.items()}
    # the localiser first: a detector is only valid with the localiser its features came from
    write_json_to_pack(pack.path, "localizer.json", loc_params, indent=None)
    write_json_to_pack(pack.path, "detector.json", params)
    return {**params, "localizer": {"threshold": loc_params["threshold"], **loc_params["calibration"]}}
