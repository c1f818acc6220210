"""The word-level localiser: the decoder's token evidence, the tree ensemble stored as numbers, flagged spans."""

import json

import numpy as np
import pytest

from unspin.document import Document, Substitution
from unspin.errors import PackError, UnspinError
from unspin.localize import FEATURES, Localizer, TreeEnsemble, export_trees, fit_localizer, token_features
from unspin.restore import TOKEN_EVIDENCE, Restoration


def _fitted_hgb(seed=0):
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3000, 6))
    y = (X[:, 0] + X[:, 2] * X[:, 4] + 0.5 * rng.normal(size=3000) > 0).astype(int)
    return HistGradientBoostingClassifier(max_iter=40, max_depth=6, early_stopping=False, random_state=0).fit(X, y)


def test_exported_trees_give_scikit_learns_probabilities():
    model = _fitted_hgb()
    X = np.random.default_rng(1).normal(size=(400, 6))
    ours = TreeEnsemble(json.loads(json.dumps(export_trees(model)))).probability(X)  # through JSON and back
    np.testing.assert_allclose(ours, model.predict_proba(X)[:, 1], rtol=0, atol=1e-12)
    assert TreeEnsemble(export_trees(model)).probability(np.zeros((0, 6))).shape == (0,)


def test_tree_ensemble_rejects_inconsistent_arrays():
    trees = export_trees(_fitted_hgb())
    with pytest.raises(ValueError):
        TreeEnsemble({**trees, "value": trees["value"][:-1]})
    bad = dict(trees)
    bad["left"] = [len(trees["left"]) + 5 if not leaf else -1 for leaf in trees["leaf"]]
    with pytest.raises(ValueError):
        TreeEnsemble(bad)
    with pytest.raises(ValueError, match="features"):
        TreeEnsemble(trees).decision(np.zeros((3, 2)))


def test_decoder_records_evidence_for_changeable_words_only(restorer):
    text = "Officials stated the battle finished.\nTHE WAR IS OVER AND THE REGION IS QUIET"
    r = restorer.restore(Document(text))
    spans = [(row[0], row[1]) for row in r.token_evidence]
    words = [text[a:b] for a, b in spans]
    # the ALL-CAPS line is never changed, so it has no evidence; punctuation neither
    assert words == ["Officials", "stated", "the", "battle", "finished"]
    assert all(len(row) == 2 + len(TOKEN_EVIDENCE) for row in r.token_evidence)
    col = {name: k + 2 for k, name in enumerate(TOKEN_EVIDENCE)}
    by_word = dict(zip(words, r.token_evidence))
    # the decoder swaps "battle" -> war, so that word is on the path with its confidence
    assert by_word["battle"][col["on_path_swap"]] == 1.0 and by_word["battle"][col["swap_posterior"]] >= 0.5
    assert by_word["the"][col["alternatives"]] == 0.0 and by_word["the"][col["swap_posterior"]] == 0.0


def test_kept_word_with_a_better_alternative_has_evidence_even_below_the_confidence_gate(restorer):
    restorer.config.min_confidence = 0.999  # nothing is restored ...
    r = restorer.restore(Document("Officials stated the battle finished."))
    assert r.substitutions == []
    col = {name: k + 2 for k, name in enumerate(TOKEN_EVIDENCE)}
    battle = next(row for row in r.token_evidence if row[0] == len("Officials stated the "))
    # ... but the best path still swapped "battle", so its posterior stays as evidence
    assert battle[col["swap_posterior"]] > 0.5


def test_token_features_have_the_documented_columns(restorer):
    r = restorer.restore(Document("Officials stated the battle finished. Newshounds said the war ended."))
    spans, X = token_features(r)
    assert X.shape == (len(r.token_evidence), len(FEATURES)) and len(spans) == X.shape[0]
    col = {name: k for k, name in enumerate(FEATURES)}
    post = X[:, col["swap_posterior"]]
    np.testing.assert_allclose(X[1:, col["previous_posterior"]], post[:-1])
    assert X[0, col["previous_posterior"]] == 0 and X[-1, col["next_posterior"]] == 0
    np.testing.assert_allclose(X[2:, col["second_previous_posterior"]], post[:-2])
    np.testing.assert_allclose(X[:-1, col["next_posterior"]], post[1:])
    assert np.allclose(X[:, col["document_mean_posterior"]], post.mean())
    empty = Restoration(substitutions=[], restored="")
    assert token_features(empty)[1].shape == (0, len(FEATURES))


def _examples(n_docs, seed=0):
    """Restorations whose evidence says 'swapped' exactly where the truth is (plus noise)."""
    rng = np.random.default_rng(seed)
    out = []
    for d in range(n_docs):
        r = Restoration(substitutions=[], restored="", words=50)
        truth = []
        for i in range(50):
            swapped = rng.random() < 0.2
            post = float(np.clip((0.8 if swapped else 0.1) + 0.15 * rng.normal(), 0, 1))
            row = [0.0] * len(TOKEN_EVIDENCE)
            row[TOKEN_EVIDENCE.index("swap_posterior")] = post
            row[TOKEN_EVIDENCE.index("zipf")] = 4.0
            r.token_evidence.append((10 * i, 10 * i + 5, *row))
            if swapped:
                truth.append((10 * i, 10 * i + 5))
        out.append((r, truth, f"doc{d}"))
    return out


def test_fit_localizer_learns_the_evidence_and_round_trips_through_a_file(tmp_path):
    params, oof = fit_localizer(_examples(40), max_iter=30)
    assert [len(p) for p in oof] == [len(r.token_evidence) for r, _, _ in _examples(40)]
    assert all(((p >= 0) & (p <= 1)).all() for p in oof)
    assert params["calibration"]["f1"] > 0.8 and 0.2 <= params["threshold"] <= 0.7
    path = tmp_path / "localizer.json"
    path.write_text(json.dumps(params), encoding="utf-8")
    loc = Localizer.load(path)
    r, truth, _ = _examples(1, seed=5)[0]
    spans, probs = loc.probabilities(r)
    flagged = {s for s, p in zip(spans, probs) if p >= loc.threshold}
    assert len(flagged & set(truth)) >= 0.7 * len(truth) and len(flagged - set(truth)) <= 3


def test_out_of_fold_probabilities_never_come_from_trees_fitted_on_the_same_document():
    """Each document has its own Zipf value and is swapped throughout or not at all, at random: trees can
    memorise a document they were fitted on, but cannot predict one they have not seen."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    examples = []
    for d in range(60):
        r = Restoration(substitutions=[], restored="", words=20)
        swapped, zipf = bool(rng.random() < 0.5), float(rng.uniform(1, 7))
        for i in range(20):
            row = [0.0] * len(TOKEN_EVIDENCE)
            row[TOKEN_EVIDENCE.index("zipf")] = zipf
            r.token_evidence.append((10 * i, 10 * i + 5, *row))
        examples.append((r, [(0, 1000)] if swapped else [], f"doc{d}"))
    params, oof = fit_localizer(examples, max_iter=50)
    y = np.concatenate([np.full(20, 1 if truth else 0) for _, truth, _ in examples])
    in_sample = np.concatenate([TreeEnsemble(params["trees"]).probability(token_features(r)[1]) for r, _, _ in examples])
    assert roc_auc_score(y, in_sample) > 0.95  # the shipped trees, fitted on everything, memorise ...
    assert roc_auc_score(y, np.concatenate(oof)) < 0.75  # ... the out-of-fold ones cannot


def test_fit_localizer_needs_both_classes():
    only_clean = [(r, [], g) for r, _, g in _examples(10)]
    with pytest.raises(UnspinError):
        fit_localizer(only_clean, max_iter=5)


def _constant_localizer(p_by_posterior: bool = True) -> Localizer:
    """A one-stump ensemble: probability ~0.88 where swap_posterior > 0.5, ~0.12 elsewhere."""
    k = FEATURES.index("swap_posterior")
    trees = {"baseline": 0.0, "roots": [0], "feature": [k, 0, 0], "threshold": [0.5, 0, 0], "left": [1, -1, -1],
             "right": [2, -1, -1], "leaf": [False, True, True], "value": [0.0, -2.0, 2.0]}
    return Localizer({"features": list(FEATURES), "threshold": 0.5, "trees": trees})


def test_flagged_spans_merge_neighbours_and_carry_the_restoration():
    text = "They said the battle finished, then left."
    loc = _constant_localizer()
    spans = [(5, 9), (10, 13), (14, 20), (21, 29), (31, 35), (36, 40)]
    probs = np.array([0.1, 0.1, 0.9, 0.8, 0.1, 0.95])
    subs = [Substitution(start=14, end=20, spun="battle", original="war", confidence=0.9)]
    out = loc.flagged(text, spans, probs, subs)
    assert [(f.text, f.original) for f in out] == [("battle finished", "war finished"), ("left", None)]
    assert out[0].probability == pytest.approx(0.9)
    assert out[0].to_dict() == {"start": 14, "end": 29, "text": "battle finished", "probability": 0.9,
                                "original": "war finished"}
    # punctuation between flagged words keeps them apart
    out = loc.flagged(text, [(21, 29), (31, 35)], np.array([0.9, 0.9]))
    assert [f.text for f in out] == ["finished", "then"]


def test_flagged_spans_take_in_swaps_named_by_the_caller():
    """``also``: restorations flagged whatever the localiser says of their words (a spinner's dictionary
    restored them), at their own confidence; one the localiser already flags is not added twice."""
    text = "They said the battle finished, then left."
    loc = _constant_localizer()
    spans = [(5, 9), (10, 13), (14, 20), (21, 29), (31, 35), (36, 40)]
    probs = np.array([0.1, 0.1, 0.9, 0.1, 0.1, 0.1])
    war = Substitution(start=14, end=20, spun="battle", original="war", confidence=0.9)
    ended = Substitution(start=21, end=29, spun="finished", original="ended", confidence=0.7)
    out = loc.flagged(text, spans, probs, [war, ended], also=[war, ended])
    assert [(f.text, f.original) for f in out] == [("battle finished", "war ended")]
    assert out[0].probability == pytest.approx(0.9)
    assert [(f.text, f.probability) for f in loc.flagged(text, spans, probs * 0, [ended], also=[ended])] == [
        ("finished", pytest.approx(0.7))]


@pytest.mark.parametrize("content", ["not json", "[]", '{"features": [], "threshold": 0.5, "trees": {}}',
                                     json.dumps({"features": ["x"], "threshold": 0.5, "trees": {
                                         "baseline": 0, "roots": [0], "feature": [0], "threshold": [0],
                                         "left": [-1], "right": [-1], "leaf": [True], "value": [0]}})],
                         ids=["not-json", "list", "empty-trees", "other-features"])
def test_corrupt_localizer_file_is_a_pack_error(tmp_path, content):
    path = tmp_path / "localizer.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PackError, match="localizer"):
        Localizer.load(path)



def test_the_localiser_is_monotone_where_it_is_told_to_be():
    """Raising a word's best alternative's LM gain never lowers its swap probability, whatever the trees
    learnt elsewhere (unspin.localize.MONOTONIC)."""
    from unspin.localize import MONOTONIC

    rng = np.random.default_rng(7)
    examples = []
    for d in range(30):
        r = Restoration(substitutions=[], restored="", words=40)
        truth = []
        for i in range(40):
            row = [float(v) for v in rng.normal(size=len(TOKEN_EVIDENCE))]
            # noisy, non-monotone truth: very negative gains are also "swapped" here
            gain = row[TOKEN_EVIDENCE.index("best_lm_gain")] = float(rng.uniform(-15, 5))
            if gain > 1 or gain < -12 or rng.random() < 0.1:
                truth.append((10 * i, 10 * i + 5))
            r.token_evidence.append((10 * i, 10 * i + 5, *row))
        examples.append((r, truth, f"doc{d}"))
    col = FEATURES.index("best_lm_gain")
    r = examples[0][0]
    X = np.repeat(token_features(r)[1][:1], 41, axis=0)
    X[:, col] = np.linspace(-20, 5, 41)
    free = TreeEnsemble(fit_localizer(examples, max_iter=40, monotonic={})[0]["trees"]).probability(X)
    tied = TreeEnsemble(fit_localizer(examples, max_iter=40)[0]["trees"]).probability(X)
    assert MONOTONIC["best_lm_gain"] == 1
    assert (np.diff(tied) >= -1e-12).all()
    assert (np.diff(free) < -1e-3).any()  # without the constraint the trees follow the odd corner
    with pytest.raises(ValueError):
        fit_localizer(examples, max_iter=5, monotonic={"no_such_feature": 1})
