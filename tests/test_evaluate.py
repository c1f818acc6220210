import pytest

from unspin.evaluate import aggregate, content_tokens, localisation_scores, matched_indices, restoration_scores

ORIGINAL = "the war ended since the region was quiet"
SPUN = "the battle finished for the reason that the patch was quiet"
RESTORED = "the war ended since the patch was quiet"


def test_restoration_hand_example():
    # original tokens: the(0) war(1) ended(2) since(3) the(4) region(5) was(6) quiet(7)
    # LCS(original, spun) = the, the, was, quiet -> M_spun = {0, 4, 6, 7}; destroyed = 8 - 4 = 4
    # LCS(original, restored) = all but "region" -> M_rest = {0,1,2,3,4,6,7}
    # recovered = {1,2,3,5} & M_rest = {1,2,3} -> 3; broken = M_spun - M_rest = {} -> 0
    s = restoration_scores(ORIGINAL, SPUN, RESTORED)
    assert (s["n_original"], s["destroyed"], s["recovered"], s["broken"]) == (8, 4, 3, 0)
    assert (s["matched_spun"], s["matched_restored"]) == (4, 7)
    assert s["recovery_rate"] == pytest.approx(0.75)
    assert s["break_rate"] == 0.0
    assert s["lcs_spun"] == pytest.approx(0.5)
    assert s["lcs_restored"] == pytest.approx(0.875)


def test_broken_counted_when_restorer_changes_a_correct_word():
    # "cat" was spun to "feline" and is recovered, but the intact "sat" is "corrected" to "perched".
    s = restoration_scores("The cat sat on the mat.", "The feline sat on the mat.", "The cat perched on the mat.")
    assert (s["n_original"], s["destroyed"], s["recovered"], s["broken"]) == (6, 1, 1, 1)
    assert s["recovery_rate"] == 1.0
    assert s["break_rate"] == pytest.approx(1 / 5)
    assert s["lcs_spun"] == pytest.approx(5 / 6)
    assert s["lcs_restored"] == pytest.approx(5 / 6)


def test_punctuation_case_and_typographic_quotes_do_not_count():
    s = restoration_scores("Don\u2019t stop, it\u2019s fine.", "don't stop -- it's fine!", "DON'T STOP it's fine")
    assert s["n_original"] == 6  # do n't stop it 's fine
    assert (s["destroyed"], s["recovered"], s["broken"]) == (0, 0, 0)
    assert s["lcs_spun"] == s["lcs_restored"] == 1.0
    assert s["recovery_rate"] == 0.0  # nothing destroyed: defined as 0, not a division error


def test_restoring_nothing_recovers_nothing():
    s = restoration_scores(ORIGINAL, SPUN, SPUN)
    assert (s["destroyed"], s["recovered"], s["broken"]) == (4, 0, 0)
    assert s["lcs_restored"] == s["lcs_spun"]


def test_matched_indices_is_a_true_lcs_over_tokens():
    a = "a b c d e f".split()
    b = "a x c y e f z".split()
    assert matched_indices(a, b) == {0, 2, 4, 5}
    # multi-character tokens are compared whole, not character by character
    assert matched_indices(["ab", "cd"], ["a", "bcd"]) == set()
    assert matched_indices([], b) == set()
    assert content_tokens("Hello, world!") == ["hello", "world"]


def test_aggregate_is_micro_average():
    s1 = restoration_scores(ORIGINAL, SPUN, RESTORED)
    s2 = restoration_scores("The cat sat on the mat.", "The feline sat on the mat.", "The cat perched on the mat.")
    agg = aggregate([s1, s2])
    assert agg["documents"] == 2
    assert (agg["n_original"], agg["destroyed"], agg["recovered"], agg["broken"]) == (14, 5, 4, 1)
    assert agg["recovery_rate"] == pytest.approx(4 / 5)  # not the mean of 0.75 and 1.0
    assert agg["break_rate"] == pytest.approx(1 / 9)
    assert agg["lcs_restored"] == pytest.approx(12 / 14)
    assert aggregate([]) == {"documents": 0}


def test_localisation_hand_example():
    text = "the battle finished for the reason that the patch was quiet."
    # tokens: the(0) battle(1) finished(2) for(3) the(4) reason(5) that(6) the(7) patch(8) was(9) quiet(10) .(11)

    def span(s):
        i = text.index(s)
        return (i, i + len(s))

    true = [span("battle finished"), span("for the reason that"), span("patch")]  # tokens 1-6, 8
    pred = [span("battle"), span("reason that the"), span("quiet.")]  # tokens 1, 5, 6, 7, 10 (+ '.')
    s = localisation_scores(text, true, pred)
    assert (s["tp"], s["fp"], s["fn"]) == (3, 2, 4)  # the '.' is not scored
    assert s["precision"] == pytest.approx(3 / 5)
    assert s["recall"] == pytest.approx(3 / 7)
    assert s["f1"] == pytest.approx(0.5)

    # a span touching part of a token flags the whole token; a span in the space between flags nothing
    i = text.index("patch")
    s = localisation_scores(text, [span("patch")], [(i + 2, i + 3), (i - 1, i)])
    assert (s["tp"], s["fp"], s["fn"]) == (1, 0, 0)


def test_localisation_empty_cases_and_aggregate():
    text = "nothing was spun here"
    assert localisation_scores(text, [], [])["f1"] == 1.0
    miss = localisation_scores(text, [(0, 7)], [])
    assert (miss["tp"], miss["fn"], miss["recall"], miss["precision"]) == (0, 1, 0.0, 0.0)
    false_alarm = localisation_scores(text, [], [(8, 11)])
    assert (false_alarm["fp"], false_alarm["precision"]) == (1, 0.0)
    agg = aggregate([miss, false_alarm, localisation_scores(text, [(0, 7)], [(0, 7)])])
    assert (agg["tp"], agg["fp"], agg["fn"]) == (1, 1, 1)
    assert agg["precision"] == agg["recall"] == agg["f1"] == pytest.approx(0.5)
