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
