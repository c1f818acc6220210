"""Detect: turn the decoder's findings into a calibrated spin probability and a verdict.

Features come from the restoration of the text (no source needed, no second model to run): how many spans
the decoder changes and how confidently, how much more plausible the restored wording is to the language
model, how odd the vocabulary is, how many swaps are known tortured phrases, and how densely the document
seemed spun in the first decoding pass. All are rates (per word or per token), so they hold across lengths.

The classifier is a scikit-learn logistic regression on standardised features, calibrated with isotonic
regression on a held-out calibration split (``unspin train detector``). It is stored as plain numbers in
``detector.json`` in the pack (no pickles), and applied here with NumPy. Without a trained detector a
hand-set logistic function is used (marked in the report features as ``detector: 0``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .errors import PackError
from .restore import Restoration

# Verdict thresholds on the calibrated probability. HIGH is chosen at training time for a low false-alarm
# rate on clean text (see the detector's manifest); these are the defaults without a trained detector.
LOW, HIGH = 0.2, 0.8

FEATURES = (
    "swaps_per_100_words",
    "mean_swap_confidence",
    "lm_gain_per_token",
    "lm_logprob_per_token",
    "rare_word_share",
    "curated_swaps_per_1000_words",
    "first_pass_density",
    "first_pass_swaps",
    "strong_swaps_per_100_words",
    "oov_share",
    "backoff_share",
    "short_match_share",
    "candidate_share",
    "log_words",
    "token_spin_mean",  # the localiser's per-word swap probabilities (unspin.localize), averaged
    "token_spin_top_decile",  # mean of the highest tenth
    "flagged_per_100_words",  # words at or above the localiser's threshold
    "expected_swaps_per_100_words",  # sum of the probabilities: the expected number of swapped words
    "strong_flags_per_100_words",  # words the localiser is fairly sure of (probability >= 0.7)
    "token_spin_top5",  # mean of the five highest probabilities: a few clear swaps in a long text
    # the same probabilities per changeable word and on the log-odds scale, where many middling words (the
    # sparse spinner's mark) add up; chosen by grouped cross-validation on held-out train-split texts
    "token_spin_mean_logit",
    "token_spin_top_quartile_logit",
    "token_log_keep_mean",  # mean log(1 - p): how unlikely it is that no word was swapped, per word
    "token_share_above_0_2",
    "token_share_flagged",
    "token_share_above_0_5",
)


def _logit_features(probs: list[float], flag_threshold: float) -> dict[str, float]:
    """Per-changeable-word features of the localiser's probabilities (sorted ascending); 0 without any."""
    if not probs:
        return {"token_spin_mean_logit": 0.0, "token_spin_top_quartile_logit": 0.0, "token_log_keep_mean": 0.0,
                "token_share_above_0_2": 0.0, "token_share_flagged": 0.0, "token_share_above_0_5": 0.0}
    clipped = [min(max(p, 1e-4), 1 - 1e-4) for p in probs]
    logits = [math.log(p / (1 - p)) for p in clipped]
    quarter = logits[-max(1, len(logits) // 4):]
    n = len(probs)
    return {
        "token_spin_mean_logit": sum(logits) / n,
        "token_spin_top_quartile_logit": sum(quarter) / len(quarter),
        "token_log_keep_mean": sum(math.log1p(-p) for p in clipped) / n,
        "token_share_above_0_2": sum(p > 0.2 for p in probs) / n,
        "token_share_flagged": sum(p >= flag_threshold for p in probs) / n,
        "token_share_above_0_5": sum(p > 0.5 for p in probs) / n,
    }


def features(r: Restoration, token_probs=None, flag_threshold: float = 0.5) -> dict[str, float]:
    """Document features; ``token_probs``: the localiser's probabilities for the changeable words (none:
    the three token features are 0)."""
    words = max(r.words, 1)
    probs = sorted(float(p) for p in token_probs) if token_probs is not None and len(token_probs) else []
    top = probs[-max(1, len(probs) // 10):] if probs else []
    tokens = max(r.tokens, 1)
    confident = [c for c in r.swap_confidences if c >= 0.5]
    return {
        "swaps_per_100_words": 100.0 * len(r.substitutions) / words,
        "mean_swap_confidence": sum(confident) / len(confident) if confident else 0.0,
        "lm_gain_per_token": (r.lm_restored - r.lm_input) / tokens,
        "lm_logprob_per_token": r.lm_input / tokens,
        "rare_word_share": r.rare_words / max(r.eligible_words, 1),
        "curated_swaps_per_1000_words": 1000.0 * r.curated_swaps / words,
        "first_pass_density": r.prior_scale,
        "first_pass_swaps": r.first_pass_swaps,
        "strong_swaps_per_100_words": 100.0 * sum(c >= 0.9 for c in r.swap_confidences) / words,
        "oov_share": r.oov_words / max(r.eligible_words, 1),
        "backoff_share": r.backoff_words / words,
        "short_match_share": r.short_match_words / words,
        "candidate_share": r.candidate_words / max(r.eligible_words, 1),
        "log_words": math.log(words),
        "token_spin_mean": sum(probs) / len(probs) if probs else 0.0,
        "token_spin_top_decile": sum(top) / len(top) if top else 0.0,
        "flagged_per_100_words": 100.0 * sum(p >= flag_threshold for p in probs) / words,
        "expected_swaps_per_100_words": 100.0 * sum(probs) / words,
        "strong_flags_per_100_words": 100.0 * sum(p >= 0.7 for p in probs) / words,
        "token_spin_top5": sum(probs[-5:]) / len(probs[-5:]) if probs else 0.0,
        **_logit_features(probs, flag_threshold),
        "words": float(r.words),
    }


class Detector:
    """Logistic regression + isotonic calibration, as numbers."""

    def __init__(self, params: dict):
        self.params = params
        self.mean = np.asarray(params["mean"], dtype=float)
        self.scale = np.asarray(params["scale"], dtype=float)
        self.coef = np.asarray(params["coef"], dtype=float)
        self.intercept = float(params["intercept"])
        self.iso_x = np.asarray(params["isotonic_x"], dtype=float)
        self.iso_y = np.asarray(params["isotonic_y"], dtype=float)
        self.low = float(params.get("low", LOW))
        self.high = float(params.get("high", HIGH))

    @classmethod
    def load(cls, path: Path) -> "Detector":
        try:
            params = json.loads(Path(path).read_text(encoding="utf-8"))
            det = cls(params)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise PackError(f"corrupt detector {path}: {e}") from None
        n = len(FEATURES)
        if not (det.coef.shape == det.mean.shape == det.scale.shape == (n,)) or det.iso_x.ndim != 1 \
                or det.iso_x.shape != det.iso_y.shape or len(det.iso_x) == 0:
            raise PackError(f"detector {path} does not match this version of unspin (retrain it)")
        return det

    def decision(self, f: dict[str, float]) -> float:
        x = (np.array([f[k] for k in FEATURES], dtype=float) - self.mean) / self.scale
        return float(x @ self.coef + self.intercept)

    def probability(self, f: dict[str, float]) -> float:
        return float(np.interp(self.decision(f), self.iso_x, self.iso_y))

    def verdict(self, p: float) -> str:
        return "spun" if p >= self.high else "not spun" if p < self.low else "uncertain"


def spin_probability(f: dict[str, float]) -> float:
    """Hand-set fallback when the pack has no trained detector."""
    evidence = min(1.0, f["words"] / 150.0)
    z = evidence * (0.9 * (f["swaps_per_100_words"] - 5.0) + 4.0 * (f["lm_gain_per_token"] - 0.4))
    return 1.0 / (1.0 + math.exp(-z))


def verdict(p: float) -> str:
    return "spun" if p >= HIGH else "not spun" if p < LOW else "uncertain"
