"""Spinner family fingerprints: features of hand-made restorations, the classifier as JSON numbers."""

import json
import math

import numpy as np
import pytest

from unspin import fingerprint as fp
from unspin.document import Report, Substitution
from unspin.errors import PackError, UnspinError
from unspin.restore import Restoration


def _sub(spun, original, evidence, confidence=0.9):
    return Substitution(0, len(spun), spun, original, confidence, evidence)


WORDNET_LIKE = [_sub("astatine", "at", "wordnet"), _sub("information technology", "it", "wordnet"),
                _sub("say", "said", "self,+inflected"), _sub("caller", "company", "moby,wordnet")]
PHRASE_LIKE = [_sub("the place", "where", "observed:x"), _sub("for the reason that", "since", "observed:x"),
               _sub("4", "four", "numbers"), _sub("stated", "said", "moby")]


def test_features_of_a_naive_wordnet_restoration():
    r = Restoration(substitutions=WORDNET_LIKE, restored="", tokens=60, words=50)
    f = fp.fingerprint_features(r, vectors=None)
    assert set(f) == set(fp.FEATURES)
    assert f["swaps_per_100_words"] == pytest.approx(8.0)
    assert f["function_word_share"] == pytest.approx(0.5)  # at, it
    assert f["odd_sense_share"] == pytest.approx(0.5)  # astatine, information technology
    assert f["multiword_spun_share"] == pytest.approx(0.25)
    assert f["inflected_share"] == f["self_inflected_share"] == pytest.approx(0.25)
    assert f["wordnet_only_share"] == pytest.approx(0.5)
    assert f["wordnet_and_moby_share"] == pytest.approx(0.25)
    assert f["moby_only_share"] == f["number_share"] == f["curated_share"] == 0.0
    assert math.isnan(f["mean_similarity"])  # no vectors given
    assert f["mean_zipf_gap"] > 0  # originals are commoner than what the spinner put in
    assert f["mean_confidence"] == pytest.approx(0.9)


def test_features_of_a_phrase_spinner_report():
    rep = Report(name="x", text="", restored="", substitutions=PHRASE_LIKE, spin_probability=0.9,
                 verdict="spun", words=40, features={"lm_gain_per_token": 0.5, "rare_word_share": 0.1,
                                                    "first_pass_density": 1.2})
    f = fp.fingerprint_features(rep, vectors=None)
    assert f["multiword_spun_share"] == pytest.approx(0.5)
    assert f["function_word_share"] == pytest.approx(0.5)  # where, since
    assert f["spun_function_share"] == 0.0
    assert f["curated_share"] == pytest.approx(0.5)
    assert f["number_share"] == pytest.approx(0.25)
    assert f["moby_only_share"] == pytest.approx(0.25)
    assert f["lm_gain_per_token"] == 0.5 and f["first_pass_density"] == 1.2
    # the summary form rows are cached in gives the same features
    assert fp.fingerprint_features(fp.summarise(rep), vectors=None) == pytest.approx(f, nan_ok=True)


def test_swaps_observed_on_another_spinners_page_are_not_content_farm_evidence():
    """The observed layer holds every real page's swaps; only those of the content-farm spinner's pages (and
    tortured phrases) count as its curated swaps, not those of a page listed in OBSERVED_OTHER_FAMILY."""
    other = next(iter(fp.OBSERVED_OTHER_FAMILY))
    subs = [_sub("nan", "the", f"observed:{other}"), _sub("astatine", "at", f"wordnet,observed:{other}"),
            _sub("the place", "where", "observed:some-page"), _sub("counterfeit consciousness",
                                                                     "artificial intelligence", "tortured"),
            _sub("pinch", "with", f"observed:{other},observed:some-page")]
    r = Restoration(substitutions=subs, restored="", tokens=60, words=50)
    assert fp.fingerprint_features(r, vectors=None)["curated_share"] == pytest.approx(3 / 5)
    # a layer learnt from another family's pages (unspin learn --family) is named the same way
    learnt = [_sub("stated", "said", "moby,observed:mine"), _sub("the place", "where", "observed:mine")]
    r = Restoration(substitutions=learnt, restored="", tokens=60, words=50)
    assert fp.fingerprint_features(r, vectors=None)["curated_share"] == 1.0
    other_family = {**fp.OBSERVED_OTHER_FAMILY, "mine": fp.FAMILY_NAMES["wordnet"]}
    assert fp.fingerprint_features(r, vectors=None, other_family=other_family)["curated_share"] == 0.0


def test_no_swaps_and_bad_input():
    f = fp.fingerprint_features(Restoration(substitutions=[], restored="", words=0), vectors=None)
    assert f["swaps_per_100_words"] == 0.0 and f["function_word_share"] == 0.0
    with pytest.raises(UnspinError):
        fp.fingerprint_features("just a string")


def _toy_rows(seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for label, centre in (("phrase", 2.0), ("wordnet", -2.0), ("sparse", 0.0)):
        for _ in range(30):
            f = {k: float(rng.normal(0, 0.3)) for k in fp.FEATURES}
            f["multiword_spun_share"] += centre
            f["odd_sense_share"] -= centre
            f["mean_similarity"] = float("nan") if rng.random() < 0.2 else f["mean_similarity"]
            rows.append((f, label))
    return rows


def test_classifier_json_round_trip(tmp_path):
    rows = _toy_rows()
    model = fp.fit_classifier(rows)
    assert fp.evaluate(model, _toy_rows(1))["accuracy"] > 0.9
    path = tmp_path / "fingerprint.json"
    path.write_text(model.to_json())
    params = json.loads(path.read_text())
    assert all(isinstance(x, float) for x in params["mean"])  # plain numbers, no pickle
    loaded = fp.FamilyClassifier.load(path)
    for f, _ in rows[:10]:
        a, b = model.probabilities(f), loaded.probabilities(f)
        assert a.keys() == b.keys() and all(a[k] == pytest.approx(b[k]) for k in a)
        assert sum(a.values()) == pytest.approx(1.0)
    # prediction on a restoration: human-readable names; too few swaps to tell
    r = Restoration(substitutions=PHRASE_LIKE, restored="", tokens=60, words=50)
    name, p = fp.predict_family(r, model=path)
    assert name in fp.FAMILY_NAMES.values() and 0.0 < p <= 1.0
    assert fp.predict_family(Restoration(substitutions=PHRASE_LIKE[:2], restored="", words=50), model=loaded) \
        == (fp.UNKNOWN, 0.0)


def test_two_class_model_and_corrupt_models(tmp_path):
    rows = [r for r in _toy_rows() if r[1] != "sparse"]
    model = fp.fit_classifier(rows)
    assert model.coef.shape == (2, len(fp.FEATURES))
    assert fp.evaluate(model, rows)["accuracy"] > 0.9
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(PackError, match="corrupt"):
        fp.FamilyClassifier.load(bad)
    params = json.loads(model.to_json())
    params["coef"] = params["coef"][:1]
    bad.write_text(json.dumps(params))
    with pytest.raises(PackError, match="shapes"):
        fp.FamilyClassifier.load(bad)
    with pytest.raises(PackError, match="no spinner fingerprint"):
        fp.FamilyClassifier.load(tmp_path / "missing.json")
    with pytest.raises(UnspinError, match="two spinner families"):
        fp.fit_classifier([(rows[0][0], "phrase")])
