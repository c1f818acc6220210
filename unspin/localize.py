"""Localise: which words of a text were swapped, each with a probability, whether or not the decoder could
restore them.

The decoder changes a word only when it is confident of the original; many swapped words are left alone
because the right original is not in the lexicon or the language model cannot tell. Those words still
look out of place: the language model finds them (and the word after them) unexpected for how common they
are, an alternative reads better, their neighbours are suspicious too, and the whole document reads as
densely spun. :data:`unspin.restore.TOKEN_EVIDENCE` records that for every changeable word; this module
turns it into a per-word probability with a gradient-boosted tree ensemble (scikit-learn's
``HistGradientBoostingClassifier``), trained by ``unspin train detector`` on text the project spins itself.

The trees are stored as plain numbers in ``localizer.json`` (no pickles, like ``detector.json``) and
evaluated here with NumPy, all trees at once; a test checks the result against scikit-learn's own
``predict_proba``.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import PackError, UnspinError
from .restore import TOKEN_EVIDENCE, Restoration

LOCALIZER_FILE = "localizer.json"

FEATURES = (
    *TOKEN_EVIDENCE,
    "context_fit",  # LM log-probability minus the word's unigram log-probability (how much context helps)
    "next_context_fit",  # context fit of the word after this one (a swap also disturbs its neighbour)
    "previous_posterior",  # swap posterior of the changeable word before / after this one
    "next_posterior",
    "previous_context_fit",
    "following_context_fit",  # context fit of the next changeable word
    "previous_lm_gain",
    "next_lm_gain",
    "second_previous_posterior",
    "second_next_posterior",
    "previous_best_channel",  # how thesaurus-like the neighbours' likeliest originals are
    "next_best_channel",
    "document_prior_scale",  # how densely the first decoding pass found the document spun
    "document_first_pass_swaps",
    "document_log_words",
    "document_mean_posterior",
    "document_mean_context_fit",
    "document_posterior_share",  # share of changeable words with a swap posterior >= 0.5
    "document_gain_share",  # share of changeable words an alternative reads better than
    "previous_topic_gain_local",  # the neighbours' topic gains (unspin.topic)
    "next_topic_gain_local",
    "document_topic_fit",  # the document's mean topic fits and gain: how coherent its vocabulary is overall
    "document_topic_fit_local",
    "document_topic_gain_local",
)

_LN10 = math.log(10.0)


def token_features(r: Restoration) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Character spans of the changeable words of a decoded document and their feature rows (FEATURES)."""
    if not r.token_evidence:
        return [], np.zeros((0, len(FEATURES)))
    ev = np.asarray([row[2:] for row in r.token_evidence], dtype=float)
    spans = [(int(row[0]), int(row[1])) for row in r.token_evidence]
    col = {name: ev[:, k] for k, name in enumerate(TOKEN_EVIDENCE)}
    fit = col["lm_logprob"] - (col["zipf"] - 9.0) * _LN10
    # the next changeable word is usually the next word, so its Zipf stands in for the next word's
    next_fit = col["lm_logprob_next"] - (_shift(col["zipf"], -1) - 9.0) * _LN10
    post, gain = col["swap_posterior"], col["best_lm_gain"]
    n = len(post)
    doc = np.array([r.prior_scale, r.first_pass_swaps, math.log(max(r.words, 1)), post.mean(), fit.mean(),
                    (post >= 0.5).mean(), (gain > 0).mean()])
    channel = col["best_channel"]
    topic_gain = col["topic_gain_local"]
    topic_doc = np.array([col["topic_fit_document"].mean(), col["topic_fit_local"].mean(), topic_gain.mean()])
    X = np.column_stack([ev, fit, next_fit, _shift(post, 1), _shift(post, -1), _shift(fit, 1), _shift(fit, -1),
                         _shift(gain, 1), _shift(gain, -1), _shift(post, 2), _shift(post, -2),
                         _shift(channel, 1), _shift(channel, -1), np.broadcast_to(doc, (n, len(doc))),
                         _shift(topic_gain, 1), _shift(topic_gain, -1), np.broadcast_to(topic_doc, (n, 3))])
    return spans, X


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """``a`` moved ``k`` places later (``k`` < 0: earlier), 0 where nothing moves in."""
    out = np.zeros_like(a)
    if k > 0:
        out[k:] = a[:-k]
    elif k < 0:
        out[:k] = a[-k:]
    else:
        out[:] = a
    return out


# --------------------------------------------------------------------------------------------------
# Tree ensemble as numbers
# --------------------------------------------------------------------------------------------------

def export_trees(model) -> dict:
    """The fitted trees of a binary ``HistGradientBoostingClassifier`` as plain lists (numerical features
    only, no missing values)."""
    feature, threshold, left, right, leaf, value, roots = [], [], [], [], [], [], []
    for (tree,) in model._predictors:
        nodes = tree.nodes
        base = len(feature)
        roots.append(base)
        for nd in nodes:
            is_leaf = bool(nd["is_leaf"])
            feature.append(int(nd["feature_idx"]) if not is_leaf else 0)
            threshold.append(float(nd["num_threshold"]) if not is_leaf else 0.0)
            left.append(base + int(nd["left"]) if not is_leaf else -1)
            right.append(base + int(nd["right"]) if not is_leaf else -1)
            leaf.append(is_leaf)
            value.append(float(nd["value"]))
    return {"baseline": float(np.ravel(model._baseline_prediction)[0]), "roots": roots, "feature": feature,
            "threshold": threshold, "left": left, "right": right, "leaf": leaf, "value": value}


class TreeEnsemble:
    """Evaluates exported trees on a feature matrix, every tree in step (a loop over depth, not trees)."""

    def __init__(self, t: dict):
        self.baseline = float(t["baseline"])
        self.roots = np.asarray(t["roots"], dtype=np.int64)
        feature = np.asarray(t["feature"], dtype=np.int64)
        threshold = np.asarray(t["threshold"], dtype=float)
        left = np.asarray(t["left"], dtype=np.int64)
        right = np.asarray(t["right"], dtype=np.int64)
        leaf = np.asarray(t["leaf"], dtype=bool)
        self.value = np.asarray(t["value"], dtype=float)
        n = len(feature)
        if not (len(threshold) == len(left) == len(right) == len(leaf) == len(self.value) == n):
            raise ValueError("tree arrays differ in length")
        inner = ~leaf
        if n == 0 or len(self.roots) == 0 or self.roots.min() < 0 or self.roots.max() >= n or (
                inner.any() and (min(left[inner].min(), right[inner].min()) < 0
                                 or max(left[inner].max(), right[inner].max()) >= n)):
            raise ValueError("tree node indices out of range")
        # a leaf points at itself whatever the feature says, so every tree can be walked the same number of
        # steps with no test for leaves
        own = np.arange(n)
        self.left, self.right = np.where(leaf, own, left), np.where(leaf, own, right)
        self.feature, self.threshold = np.where(leaf, 0, feature), np.where(leaf, np.inf, threshold)
        depth = np.zeros(n, dtype=np.int64)
        for i in range(n):  # nodes are stored parents first within each tree
            if inner[i]:
                depth[left[i]] = depth[right[i]] = depth[i] + 1
        self.depth = int(depth.max())
        self.n_features = int(feature[inner].max()) + 1 if inner.any() else 0

    def decision(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=float)
        if X.shape[0] == 0:
            return np.zeros(0)
        if X.shape[1] < self.n_features:
            raise ValueError(f"{X.shape[1]} features given, the trees use {self.n_features}")
        flat = X.ravel()
        offset = (np.arange(X.shape[0]) * X.shape[1])[None, :]
        node = np.repeat(self.roots[:, None], X.shape[0], axis=1)  # (trees, samples)
        for _ in range(self.depth):
            go_left = flat[offset + self.feature[node]] <= self.threshold[node]
            node = np.where(go_left, self.left[node], self.right[node])
        return self.baseline + self.value[node].sum(axis=0)

    def probability(self, X: np.ndarray) -> np.ndarray:
        # clipped: a very sure tree sum would overflow exp (and the probability is 0 or 1 either way)
        return 1.0 / (1.0 + np.exp(-np.clip(self.decision(X), -50.0, 50.0)))


# --------------------------------------------------------------------------------------------------
# The localiser
# --------------------------------------------------------------------------------------------------

@dataclass(slots=True)
class FlaggedSpan:
    """Consecutive words the localiser judges swapped; ``original`` when the decoder restored them."""

    start: int
    end: int
    text: str
    probability: float
    original: str | None = None

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text,
                "probability": round(self.probability, 4), "original": self.original}


class Localizer:
    """Per-word swap probabilities from the decoder's token evidence (plain constructor over numbers)."""

    def __init__(self, params: dict):
        self.params = params
        self.trees = TreeEnsemble(params["trees"])
        self.threshold = float(params["threshold"])
        if list(params.get("features", [])) != list(FEATURES):
            raise ValueError("features differ")

    @classmethod
    def load(cls, path: Path) -> "Localizer":
        try:
            return cls(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise PackError(f"corrupt or outdated localizer {path} (retrain with `unspin train detector`): "
                            f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None

    def probabilities(self, r: Restoration) -> tuple[list[tuple[int, int]], np.ndarray]:
        spans, X = token_features(r)
        return spans, self.trees.probability(X)

    def flagged(self, text: str, spans: list[tuple[int, int]], probs: np.ndarray, substitutions=(),
                also=()) -> list[FlaggedSpan]:
        """Merge words at or above the threshold that only whitespace separates into spans; attach the
        restored wording of any substitution inside a span. ``also``: substitutions flagged whatever the
        localiser says of their words (at their own confidence), e.g. swaps a spinner's dictionary restored."""
        out: list[FlaggedSpan] = []
        judged = [((s, e), float(p)) for (s, e), p in zip(spans, probs) if p >= self.threshold]
        extra = [((x.start, x.end), float(x.confidence)) for x in also
                 if not any(s < x.end and x.start < e for (s, e), _ in judged)]
        for (s, e), p in sorted(judged + extra):
            if out and out[-1].end <= s and not text[out[-1].end : s].strip():
                out[-1].end, out[-1].probability = e, max(out[-1].probability, float(p))
            else:
                out.append(FlaggedSpan(s, e, "", float(p)))
        subs = sorted(substitutions, key=lambda x: x.start)
        for f in out:
            inside = [x for x in subs if x.start < f.end and f.start < x.end]
            if inside:
                f.start, f.end = min(f.start, inside[0].start), max(f.end, inside[-1].end)
                restored, last = [], f.start
                for x in inside:
                    restored += [text[last : x.start], x.original]
                    last = x.end
                restored.append(text[last : f.end])
                f.original = "".join(restored)
            f.text = text[f.start : f.end]
        return out


# Directions the swap probability may only move in as one value grows, the rest held: a word that reads
# worse than every alternative, or that its context predicts well, is never *more* suspicious for it.
# Without them, trees fitted on simulated text learnt odd corners there that real news lands in ("at
# least" flagged because its alternatives read 14 nats worse; BENCHMARKS.md, Localisation).
MONOTONIC = {
    "swap_posterior": 1,
    "best_lm_gain": 1,
    "second_lm_gain": 1,
    "topic_gain_local": 1,
    "topic_gain_document": 1,
    "lm_logprob": -1,
    "context_fit": -1,
}


def fit_localizer(examples, seed: int = 0, max_iter: int = 300, max_leaf_nodes: int = 63,
                  folds: int = 3, monotonic: dict[str, int] | None = None) -> tuple[dict, list]:
    """Fit on ``examples`` = (Restoration, true swap spans, group) by cross-fitting: the groups are dealt
    into ``folds`` folds, each fold's words are scored by trees fitted on the other folds, the flagging
    threshold is the best token F1 over all these out-of-fold probabilities (clean texts included), and the
    trees that ship are then fitted on every group.

    Returns the localiser's parameters and, per example, its out-of-fold word probabilities: a detector
    trained on them sees the localiser as it behaves on text it was not fitted on. ``monotonic``: feature
    name -> +1 / -1 constraints (default :data:`MONOTONIC`; ``{}`` for none)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    signs = MONOTONIC if monotonic is None else monotonic
    unknown = set(signs) - set(FEATURES)
    if unknown:
        raise ValueError(f"monotonic constraints on unknown features: {sorted(unknown)}")
    constraints = [signs.get(name, 0) for name in FEATURES]

    def fit(X, y):
        # depth is capped so that evaluating every tree in step stays cheap (see TreeEnsemble.decision); 300
        # trees of 63 leaves were chosen over 200 of 31 by grouped cross-validation on the train split
        # (BENCHMARKS.md, Localisation)
        return HistGradientBoostingClassifier(max_iter=max_iter, learning_rate=0.1, max_leaf_nodes=max_leaf_nodes,
                                              max_depth=8, monotonic_cst=constraints,
                                              early_stopping=False, random_state=seed).fit(X, y)

    groups = sorted({g for *_, g in examples})
    random.Random(seed).shuffle(groups)
    fold_of = {g: k % folds for k, g in enumerate(groups)}
    rows = []  # (fold, X, y) per example
    for k, (r, true_spans, g) in enumerate(examples):
        spans, X = token_features(r)
        y = np.asarray([any(a < e and s < b for a, b in true_spans) for s, e in spans], dtype=int)
        rows.append((fold_of[g], X, y))
    X_all = np.vstack([X for _, X, _ in rows]) if rows else np.zeros((0, len(FEATURES)))
    y_all = np.concatenate([y for *_, y in rows]) if rows else np.zeros(0, dtype=int)
    fold_all = np.concatenate([np.full(len(y), f) for f, _, y in rows]) if rows else np.zeros(0, dtype=int)
    if len(groups) < folds or any(len(set(y_all[fold_all != f])) < 2 for f in range(folds)):
        raise UnspinError("not enough training data to fit the localiser (need swapped and kept words)")
    oof = np.zeros(len(y_all))
    for f in range(folds):
        held = fold_all == f
        oof[held] = TreeEnsemble(export_trees(fit(X_all[~held], y_all[~held]))).probability(X_all[held])
    best = (0.0, 0.5)
    for thr in np.arange(0.2, 0.71, 0.025):
        pred = oof >= thr
        tp = int((pred & (y_all == 1)).sum())
        f1 = 2 * tp / max(int(pred.sum()) + int(y_all.sum()), 1)
        best = max(best, (f1, float(round(thr, 3))))
    trees = export_trees(fit(X_all, y_all))
    bounds = np.cumsum([0, *(len(y) for *_, y in rows)])
    oof_per_example = [oof[bounds[k] : bounds[k + 1]] for k in range(len(rows))]
    params = {"features": list(FEATURES), "threshold": best[1], "trees": trees,
              "calibration": {"tokens": int(len(y_all)), "f1": round(best[0], 4), "folds": folds},
              "fit_tokens": int(len(y_all))}
    return params, oof_per_example
