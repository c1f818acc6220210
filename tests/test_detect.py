"""Document features for the spin detector."""

import math

import pytest

from unspin.detect import FEATURES, features
from unspin.restore import Restoration


def _restoration(words: int = 100) -> Restoration:
    return Restoration(substitutions=[], restored="", tokens=words + 10, words=words, eligible_words=words)


def test_every_feature_is_computed_with_and_without_localiser_probabilities():
    for probs in (None, [], [0.1, 0.9]):
        f = features(_restoration(), probs, 0.35)
        assert set(FEATURES) <= set(f)
        assert all(math.isfinite(f[k]) for k in FEATURES)


def test_per_word_localiser_features():
    f = features(_restoration(), [0.1, 0.3, 0.4, 0.9], 0.35)
    assert f["token_spin_mean_logit"] == pytest.approx(sum(math.log(p / (1 - p)) for p in (0.1, 0.3, 0.4, 0.9)) / 4)
    assert f["token_spin_top_quartile_logit"] == pytest.approx(math.log(0.9 / 0.1))  # the top one of four
    assert f["token_log_keep_mean"] == pytest.approx(sum(math.log1p(-p) for p in (0.1, 0.3, 0.4, 0.9)) / 4)
    assert f["token_share_above_0_2"] == 0.75
    assert f["token_share_flagged"] == 0.5  # 0.4 and 0.9 reach the 0.35 threshold
    assert f["token_share_above_0_5"] == 0.25
    none = features(_restoration(), None, 0.35)
    assert none["token_spin_mean_logit"] == 0.0 and none["token_share_flagged"] == 0.0


def test_many_middling_words_raise_the_log_odds_features():
    """Sparse spinning leaves many words somewhat suspicious rather than a few certain ones: the
    per-word log-odds features must see that even where the highest probabilities are the same."""
    clean = [0.02] * 90 + [0.6] * 10
    sparse = [0.25] * 90 + [0.6] * 10
    a, b = features(_restoration(), clean, 0.35), features(_restoration(), sparse, 0.35)
    assert a["token_spin_top5"] == b["token_spin_top5"]
    assert b["token_spin_mean_logit"] > a["token_spin_mean_logit"] + 1.0
    assert b["token_share_above_0_2"] > a["token_share_above_0_2"]
    assert b["token_log_keep_mean"] < a["token_log_keep_mean"]


def _rows(n_groups: int, seed: int = 1):
    """Synthetic (features, label, family, group) rows: one clean and one spun text per document, the spun
    one with more swaps per 100 words, overlapping so calibration has work to do."""
    import random

    rng = random.Random(seed)
    rows = []
    for g in range(n_groups):
        for label in (0, 1):
            f = {name: rng.gauss(0.0, 1.0) for name in FEATURES}
            f["swaps_per_100_words"] += 1.5 * label
            rows.append((f, label, "thesaurus" if label else "clean", f"c:{g}"))
    return rows


def test_detector_calibration_and_threshold_are_cross_fitted():
    import numpy as np

    from unspin.detect import Detector
    from unspin.train import TARGET_FPR, fit_detector

    rows = _rows(300)
    params = fit_detector(rows, seed=0)
    assert params["calibration"] == {"documents": 600, "auc": params["calibration"]["auc"], "folds": 5,
                                     "out_of_fold": True}
    assert 0.75 < params["calibration"]["auc"] < 0.99  # out of fold: informative, not perfect
    assert 0.5 <= params["high"] <= 0.99 and params["low"] == 0.5
    det = Detector(params)
    p = np.array([det.probability(f) for f, *_ in rows])
    assert np.all(np.diff(p[np.argsort([det.decision(f) for f, *_ in rows])]) >= -1e-12)  # monotone
    # on the texts it was fitted on, at most about TARGET_FPR of the clean ones reach the verdict "spun"
    clean = np.array([label == 0 for _, label, *_ in rows])
    assert (p[clean] >= params["high"]).mean() <= 3 * TARGET_FPR
    # the threshold hardly depends on how the documents fall into folds
    highs = [fit_detector(rows, seed=s)["high"] for s in range(3)]
    assert max(highs) - min(highs) < 0.2


def test_detector_needs_clean_and_spun_texts():
    from unspin.errors import UnspinError
    from unspin.train import fit_detector

    rows = [r for r in _rows(50) if r[1] == 1]
    with pytest.raises(UnspinError, match="not enough"):
        fit_detector(rows)
