"""Detect: turn the decoder's findings into a spin probability and a verdict.

This is a first, hand-set estimate (a logistic function of two features measured on development data);
the calibrated, trained detector replaces :func:`spin_probability` (see ``unspin train detector``).
"""

from __future__ import annotations

import math

from .restore import Restoration

# Verdict thresholds: below LOW is "not spun", at or above HIGH is "spun", between is "uncertain".
LOW, HIGH = 0.2, 0.8


def features(r: Restoration) -> dict[str, float]:
    words = max(r.words, 1)
    tokens = max(r.tokens, 1)
    confident = [c for c in r.swap_confidences if c >= 0.5]
    return {
        "swaps_per_100_words": 100.0 * len(r.substitutions) / words,
        "confident_swaps_per_100_words": 100.0 * len(confident) / words,
        "mean_swap_confidence": sum(confident) / len(confident) if confident else 0.0,
        "lm_gain_per_token": (r.lm_restored - r.lm_input) / tokens,
        "candidate_share": r.candidate_words / max(r.eligible_words, 1),
        "words": float(r.words),
    }


def spin_probability(f: dict[str, float]) -> float:
    # Clean news gets a few swaps per 100 words from the decoder's own false alarms; spun pages get 8-30.
    # Short texts carry less evidence, so the slope shrinks with length.
    evidence = min(1.0, f["words"] / 150.0)
    z = evidence * (0.9 * (f["swaps_per_100_words"] - 5.0) + 4.0 * (f["lm_gain_per_token"] - 0.4))
    return 1.0 / (1.0 + math.exp(-z))


def verdict(p: float) -> str:
    return "spun" if p >= HIGH else "not spun" if p < LOW else "uncertain"
