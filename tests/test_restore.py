"""The noisy-channel decoder on a tiny hand-made language model and lexicon."""

from unspin.document import Document
from unspin.restore import apply_substitutions, detokenize, match_case, sentences


def test_restores_swapped_words_and_phrases(restorer):
    doc = Document("Officials stated the battle finished. Officials told newshounds the place they live.")
    r = restorer.restore(doc)
    assert r.restored == "Officials said the war ended. Officials told journalists where they live."
    for s in r.substitutions:
        assert doc.text[s.start : s.end] == s.spun  # offsets point at the input
        assert 0.5 <= s.confidence <= 1.0
    assert {(s.spun, s.original) for s in r.substitutions} >= {("the place", "where"), ("newshounds", "journalists")}


def test_leaves_plausible_text_alone(restorer):
    r = restorer.restore(Document("The war ended in 2020."))
    assert r.substitutions == [] and r.restored == "The war ended in 2020."


def test_capitalisation_follows_the_input(restorer):
    r = restorer.restore(Document("The place they live was quiet."))
    assert r.restored.startswith("Where they live")


def test_all_caps_lines_are_not_touched(restorer):
    text = "THE BATTLE FINISHED AND NEWSHOUNDS STATED IT\nthe battle finished ."
    r = restorer.restore(Document(text))
    assert r.restored.splitlines()[0] == text.splitlines()[0]
    assert "war ended" in r.restored.splitlines()[1]


def test_lm_scores_are_reported(restorer):
    r = restorer.restore(Document("Officials stated the battle finished."))
    assert r.lm_restored > r.lm_input  # the restored wording is more plausible to the LM
    assert r.words == 5 and r.eligible_words >= 4


def test_helpers():
    assert detokenize(["did", "n't", "say", "it", "."]) == "didn't say it."
    assert match_case("where", "The place") == "Where"
    assert match_case("where", "THE PLACE") == "WHERE"
    assert match_case("mvp", "Most Valuable Player") == "MVP"  # initials: an abbreviation written out
    assert match_case("mvp", "most valuable player") == "MVP"
    # a common word that happens to be the initials stays a word (the WordNet spinner's "it" -> "information technology")
    assert match_case("it", "information technology") == "it"
    # a word both sides share keeps the capitals the text gives it
    assert match_case("rbi single", "RBI azygous") == "RBI single"
    assert match_case("in the nba", "within the NBA") == "in the NBA"
    from unspin.document import Substitution

    subs = [Substitution(4, 9, "patch", "region", 0.9)]
    assert apply_substitutions("the patch is", subs) == "the region is"
    doc = Document("One sentence. Another one here!\nA new line")
    assert len(sentences(doc.tokens(), doc.text)) == 3


def test_candidate_ranking_keeps_single_words_ahead_of_longer_phrases(tmp_path, monkeypatch):
    """Thesauri list many phrases for one word; with a short candidate list they must not crowd out the
    single-word originals a spinner swaps one for one (rank_extra_word_cost, ranking only)."""
    import dataclasses

    from conftest import write_arpa
    from unspin import lexicon as lx
    from unspin.lm import KenLMScorer
    from unspin.restore import RestoreConfig, Restorer

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    phrases = ["got through", "made it", "got done", "did it", "got over"]
    arpa = write_arpa(["they finished the work .", *[f"they {p} ." for p in phrases]], tmp_path / "lm.arpa")
    # as in Moby: "finished" is listed under many headwords (a large fan-out), each phrase under few
    quads = [("completed", "finished", 259.0, "moby"), *[("completed", o, 3.0, "moby") for o in phrases]]
    table = tmp_path / "lexicon.tsv.gz"
    lx.build_table(quads, table)
    base = RestoreConfig(max_candidates=3, sim_default=0.5)
    ranked = Restorer(lx.Lexicon(table), KenLMScorer(arpa), base)
    assert ("finished",) in [w for _, w, _ in ranked._candidates("completed")]
    # the same list without the ranking cost: the frequent phrases take every place
    plain = Restorer(lx.Lexicon(table), KenLMScorer(arpa), dataclasses.replace(base, rank_extra_word_cost=0.0))
    assert ("finished",) not in [w for _, w, _ in plain._candidates("completed")]
    # ranking only: the channel weight of a candidate is the same either way
    weight = {w: lw for lw, w, _ in ranked._candidates("completed")}
    assert all(weight[w] == lw for lw, w, _ in plain._candidates("completed") if w in weight)


def test_one_dictionary_per_document(restorer):
    """A spun word restored confidently in one place is weighed again, for the same original, where it
    recurs unrestored; nothing else moves, and the offsets still point at the input."""
    import dataclasses

    doc = Document("Officials stated the battle finished. Journalists stated the region was quiet.")
    full = restorer.restore(doc)
    first = [s for s in full.substitutions if s.spun == "stated"][0]
    assert first.confidence >= restorer.config.consistency_min_confidence
    # as if the decoder had missed the second "stated" (and everything else)
    missed = dataclasses.replace(full, substitutions=[first])
    r = restorer.restore_consistent(doc, missed)
    assert [(s.spun, s.original) for s in r.substitutions] == [("stated", "said"), ("stated", "said")]
    second = r.substitutions[1]
    assert doc.text[second.start : second.end] == "stated" and second.start > first.start
    assert r.restored == "Officials said the battle finished. Journalists said the region was quiet."
    # a word restored with too little confidence does not spread
    unsure = dataclasses.replace(first, confidence=0.6)
    assert restorer.restore_consistent(doc, dataclasses.replace(full, substitutions=[unsure])).substitutions == [unsure]
    # switched off: the previous decoding comes back as it was
    off = type(restorer)(restorer.lexicon, restorer.scorer,
                         dataclasses.replace(restorer.config, consistency_prior=0.0))
    assert off.restore_consistent(doc, missed) is missed


def test_consistency_leaves_a_recurring_word_that_reads_right(restorer):
    """The language model still decides: "the battle was long" reads right, so a confident battle -> war
    elsewhere does not change it."""
    import dataclasses

    doc = Document("The battle finished last year. The battle was long.")
    full = restorer.restore(doc)
    first = [s for s in full.substitutions if s.spun.lower() == "battle"]
    assert first and first[0].start == 4 and first[0].original == "war"
    r = restorer.restore_consistent(doc, dataclasses.replace(full, substitutions=first[:1]))
    assert r.restored.endswith("The battle was long.")


def test_small_digits_are_weighed_only_in_the_second_decoding(tmp_path, monkeypatch):
    """Some spinners write small numbers as digits; digits are changeable only in the decoding that has
    the localiser's per-word priors (a text already judged spun), never in the first."""
    import dataclasses

    from conftest import write_arpa
    from unspin import lexicon as lx
    from unspin.lm import KenLMScorer
    from unspin.restore import RestoreConfig, Restorer

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    arpa = write_arpa(["he allowed four hits .", "he struck out five .", "it was 2020 ."] * 3, tmp_path / "lm.arpa")
    table = tmp_path / "lexicon.tsv.gz"
    lx.build_table(lx.number_pairs(), table)
    cfg = RestoreConfig(adapt_prior=False, sim_default=0.9)
    restorer = Restorer(lx.Lexicon(table), KenLMScorer(arpa), cfg)
    doc = Document("He allowed 4 hits.")
    assert restorer.restore(doc).restored == "He allowed 4 hits."  # first decoding: digits stay
    second = restorer.restore(doc, word_priors={})
    assert second.restored == "He allowed four hits."
    assert [(s.spun, s.original) for s in second.substitutions] == [("4", "four")]
    off = Restorer(restorer.lexicon, restorer.scorer, dataclasses.replace(cfg, digit_prior=0.0))
    assert off.restore(doc, word_priors={}).restored == "He allowed 4 hits."


def test_swaps_that_change_meaning_are_left_in_the_second_decoding(tmp_path, monkeypatch):
    """A thesaurus lists *second* beside sixth and *him* beside me, but no synonym spinner writes one for the
    other: the decoding of a text already judged spun never makes such a swap; the first decoding (whose
    numbers the detector was trained on) still weighs them."""
    from conftest import write_arpa
    from unspin import lexicon as lx
    from unspin.lm import KenLMScorer
    from unspin.restore import RestoreConfig, Restorer, changes_meaning

    assert changes_meaning("sixth", ("second",)) and changes_meaning("me", ("him",))
    assert changes_meaning("5", ("four",)) and changes_meaning("3rd", ("second",))
    assert not changes_meaning("4", ("four",)) and not changes_meaning("forty first", ("41st",))
    assert not changes_meaning("stated", ("said",)) and not changes_meaning("helium", ("he",))
    assert not changes_meaning("primary", ("first",)) and not changes_meaning("me", ("me",))
    # a unit for another of its kind changes facts; another form of the same unit, or another kind, does not
    assert changes_meaning("hours", ("years",)) and changes_meaning("tuesday", ("monday",))
    assert not changes_meaning("mins", ("minutes",)) and not changes_meaning("hours", ("hour",))
    assert not changes_meaning("hours", ("time",)) and not changes_meaning("miles", ("years",))

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    arpa = write_arpa(["he homered in the second inning .", "they told him so ."] * 4, tmp_path / "lm.arpa")
    table = tmp_path / "lexicon.tsv.gz"
    lx.build_table(lx.thesaurus_pairs([("second", ["sixth"]), ("him", ["me"])], "moby", 0.0), table)
    restorer = Restorer(lx.Lexicon(table), KenLMScorer(arpa),
                        RestoreConfig(adapt_prior=False, sim_default=0.9, swap_prior=0.4))
    doc = Document("He homered in the sixth inning. They told me so.")
    first = restorer.restore(doc)
    assert {(s.spun, s.original) for s in first.substitutions} == {("sixth", "second"), ("me", "him")}
    second = restorer.restore(doc, word_priors={})
    assert second.substitutions == [] and second.restored == doc.text


def test_layer_bonus_names_a_layer_or_a_layer_and_page(restorer):
    """``layer_bonus`` weighs a whole layer up ("observed": every real page's swaps, for a page of the family
    they come from) or one page's layer ("observed:x")."""
    import dataclasses

    from unspin.lexicon import Candidate
    from unspin.restore import Restorer

    cand = Candidate("journalists", "moby,observed:x", None, 0)
    base = restorer.channel_logweight(cand)
    for bonus in ({"observed": 1.0}, {"observed:x": 1.0}):
        cfg = dataclasses.replace(restorer.config, layer_bonus=bonus)
        assert Restorer(restorer.lexicon, restorer.scorer, cfg).channel_logweight(cand) == base + 1.0
    cfg = dataclasses.replace(restorer.config, layer_bonus={"observed:y": 1.0, "wordnet": 2.0})
    assert Restorer(restorer.lexicon, restorer.scorer, cfg).channel_logweight(cand) == base


def test_idioms_count_only_where_a_family_decoding_weighs_them(tmp_path, monkeypatch, tiny_arpa):
    """The hand-listed content-farm rewrites are left out of the decoding of text of unknown origin (the
    pack's models were trained without them) and weigh ``idioms_logweight`` where it is set; a pair another
    layer lists too keeps that layer's weight."""
    import dataclasses

    from unspin import lexicon as lx
    from unspin.lm import KenLMScorer
    from unspin.restore import RestoreConfig, Restorer

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    quads = [*lx.thesaurus_pairs([("war", ["battle"])], "moby", 0.0),
             ("newshounds", "journalists", 0.0, "idioms"), ("battle", "war", 0.0, "idioms")]
    table = tmp_path / "lexicon.tsv.gz"
    lx.build_table(quads, table)
    cfg = RestoreConfig(swap_prior=0.3, adapt_prior=False, sim_default=0.9)
    plain = Restorer(lx.Lexicon(table), KenLMScorer(tiny_arpa), cfg)
    family = Restorer(plain.lexicon, plain.scorer, dataclasses.replace(cfg, idioms_logweight=0.3))
    text = "Officials told newshounds the battle was long."
    assert "newshounds" in plain.restore(Document(text)).restored
    assert "journalists" in family.restore(Document(text)).restored
    both = next(c for c in plain.lexicon.lookup("battle") if c.original == "war")
    assert both.evidence == "idioms,moby"
    thesaurus_only = dataclasses.replace(both, evidence="moby")
    assert plain.channel_logweight(both) == plain.channel_logweight(thesaurus_only)
    assert family.channel_logweight(both) == 0.3


def test_dictionary_key_prior_raises_the_prior_of_a_listed_spun_form(restorer):
    """``dictionary_key_prior``: words making up a spun form that a curated or idioms layer lists get at
    least that swap prior (not words with no prior, such as names); off by default."""
    import dataclasses

    from unspin.restore import Restorer

    doc = Document("They live in the place near the battle.")
    tokens = doc.tokens()
    priors = [0.1] * len(tokens)
    restorer._dictionary_priors(tokens, 0, len(tokens), priors)  # off: unchanged
    assert priors == [0.1] * len(tokens)
    on = Restorer(restorer.lexicon, restorer.scorer, dataclasses.replace(restorer.config, dictionary_key_prior=0.5))
    priors = [0.1] * len(tokens)
    priors[0] = 0.0
    on._dictionary_priors(tokens, 0, len(tokens), priors)
    raised = [t.text for t, p in zip(tokens, priors) if p == 0.5]
    assert raised == ["the", "place"]  # "the place" <- where is observed; "battle" has thesaurus pairs only
    assert priors[0] == 0.0


def test_dictionary_original_prior_lowers_words_the_dictionary_rewrites_but_never_writes(restorer):
    """``dictionary_original_prior``: a listed original ("where", "journalists") that is no listed spun form
    was most likely left alone by the spinner; its swap prior is capped. Held-out evidence does not count."""
    import dataclasses

    from unspin import lexicon as lx
    from unspin.restore import Restorer

    assert restorer.lexicon.listed_originals() == {"where", "journalists"}
    cfg = dataclasses.replace(restorer.config, dictionary_original_prior=0.02)
    on = Restorer(restorer.lexicon, restorer.scorer, cfg)
    doc = Document("Journalists know where the battle was.")
    tokens = doc.tokens()
    priors = [0.3] * len(tokens)
    on._dictionary_priors(tokens, 0, len(tokens), priors)
    assert [t.text for t, p in zip(tokens, priors) if p == 0.02] == ["Journalists", "where"]
    held_out = lx.Lexicon(restorer.lexicon.table_path, exclude_evidence=["observed:x"])
    assert held_out.listed_originals() == frozenset()


def test_listed_originals_agree_with_a_lookup_of_every_curated_key(tmp_path, monkeypatch):
    """``listed_originals`` reads the curated keys' pairs in one query: the same words as looking up each
    key and keeping the originals a listed layer names, with and without held-out evidence."""
    from unspin import lexicon as lx

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    quads = [
        ("the place", "where", 0.0, "observed:x"), ("the place", "location", 0.0, "moby"),
        ("newshounds", "journalists", 0.0, "observed:y"), ("stated", "said", 0.0, "idioms"),
        ("stated", "declared", 0.0, "moby"), ("battle", "war", 0.0, "moby"), ("pinnacle", "head", 0.0, "tortured"),
    ]
    table = tmp_path / "lexicon.tsv.gz"
    lx.build_table(quads, table)

    def by_lookup(lex, layers):
        keys = [k for (k,) in lex._con.execute("SELECT spun FROM curated_keys")]
        return {c.original for k in keys for c in lex._query(k) if lx.has_layer(c.evidence, layers)}

    for exclude in ([], ["observed:x"], ["idioms", "observed:y"]):
        lex = lx.Lexicon(table, exclude_evidence=exclude)
        for layers in (lx.DICTIONARY, ("observed",), ("moby",)):
            assert lex.listed_originals(layers) == by_lookup(lex, layers)
    lex = lx.Lexicon(table)
    assert lex.listed_originals() == {"where", "journalists", "said", "head"}
    assert lex.listed_originals(("moby",)) == {"location", "declared"}  # thesaurus pairs of curated keys only
    assert lx.Lexicon(table, exclude_evidence=["observed:x", "idioms"]).listed_originals() == {"journalists", "head"}


def test_quotation_state_runs_over_sentences_and_ends_at_a_line_break():
    """A quote of two sentences opens in the first and closes in the second: the words after the closing
    mark are prose again (spinners swap them), the words inside are quoted in both sentences."""
    from unspin.restore import quoted_tokens

    text = "\u201cWe saw it. It was good,\u201d Nevin stated. \u201cThen we left.\nHe stated \"no\" and left."
    tokens = Document(text).tokens()
    inside = {t.text for t, q in zip(tokens, quoted_tokens(tokens, text)) if q and t.is_word}
    assert inside == {"We", "saw", "it", "It", "was", "good", "Then", "we", "left", "no"}
    flags = dict(((t.start, t.text), q) for t, q in zip(tokens, quoted_tokens(tokens, text)))
    assert [q for (s, w), q in flags.items() if w == "stated"] == [False, False]
    assert [q for (s, w), q in flags.items() if w == "left"] == [True, False]  # the open quote ends at the line
    # an ASCII mark right after a digit is an inch mark, not a quotation
    text = 'He is 6\'2" tall and stated "no" twice.'
    tokens = Document(text).tokens()
    assert [t.text for t, q in zip(tokens, quoted_tokens(tokens, text)) if q] == ["no"]


def test_words_after_a_quote_that_closes_in_a_later_sentence_get_the_ordinary_prior(restorer):
    doc = Document("\u201cWe won. It was good,\u201d officials stated.")
    tokens = doc.tokens()
    from unspin.restore import _marks, kept_lines

    a, b = 4, len(tokens)  # the second sentence: It was good, " officials stated .
    priors = restorer._priors(kept_lines(doc.text), _marks(tokens, doc.text, sentences(tokens, doc.text)),
                              tokens, (a, b))
    by_word = {t.text: p for t, p in zip(tokens[a:b], priors)}
    assert by_word["good"] == restorer.config.quote_prior
    assert by_word["stated"] == restorer.config.swap_prior


def test_a_capital_after_a_closing_quote_is_a_name_but_after_an_opening_one_starts_a_sentence(restorer):
    doc = Document("\u201cWe won,\u201d Young stated. \u201cBattle on,\u201d he stated.")
    tokens = doc.tokens()
    from unspin.restore import _marks, kept_lines

    marks = _marks(tokens, doc.text, sentences(tokens, doc.text))
    priors = restorer._priors(kept_lines(doc.text), marks, tokens, (0, len(tokens)))
    by_word = {t.text: p for t, p in zip(tokens, priors)}
    assert by_word["Young"] == restorer.config.name_prior  # after the closing mark: a name
    assert by_word["Battle"] == restorer.config.quote_prior  # after the opening mark: quoted, not a name
    assert by_word["We"] == restorer.config.quote_prior
    # a closing quote after a full stop ends the sentence: the next capital starts one
    doc = Document("\u201cWe won.\u201d Officials stated it.")
    tokens = doc.tokens()
    priors = restorer._priors(kept_lines(doc.text), _marks(tokens, doc.text, sentences(tokens, doc.text)),
                              tokens, (0, len(tokens)))
    assert dict(zip((t.text for t in tokens), priors))["Officials"] == restorer.config.swap_prior


def test_a_name_that_starts_a_sentence_is_known_from_the_rest_of_the_text():
    """"Madrigal" starts a sentence, but the text writes it capitalised inside one ("Nick Madrigal") and never
    in lower case: a name. "Battle" starts a sentence and is written in lower case elsewhere: a word."""
    from unspin.restore import name_tokens, quoted_tokens

    text = "Nick Madrigal will miss the season. Madrigal was hurt. Battle lines formed in the battle."
    tokens = Document(text).tokens()
    named = name_tokens(tokens, sentences(tokens, text), quoted_tokens(tokens, text))
    assert [(t.start, t.text) for t, n in zip(tokens, named) if n] == [(5, "Madrigal"), (36, "Madrigal")]


def _exhaustive_decode(restorer, edges, a, b, beam):
    """The beam search without the score floor: every edge of every kept hypothesis is scored."""
    lm, w = restorer.scorer, restorer.config.lm_weight
    n = b - a
    stacks = [dict() for _ in range(n + 1)]
    start = lm.begin()
    stacks[0][start] = (0.0, start, None, None)
    for i in range(n):
        for h in sorted(stacks[i].values(), key=lambda h: -h[0])[:beam]:
            for e in edges[i]:
                lp, st = lm.extend(h[1], e.words)
                s = h[0] + e.cost + w * lp
                old = stacks[e.end - a].get(st)
                if old is None or old[0] < s:
                    stacks[e.end - a][st] = (s, st, h, e)
    best = max(stacks[n].values(), key=lambda h: h[0] + w * lm.end(h[1]))
    path = []
    while best[3] is not None:
        path.append(best[3])
        best = best[2]
    return path[::-1]


def test_the_score_floor_prunes_edges_without_changing_the_best_path(restorer):
    from unspin.restore import _Edge

    vocab = "the war ended in 2020 officials said journalists region was quiet since where they live battle".split()
    sentence = "officials said the battle ended since the region was quiet".split()
    n = len(sentence)
    # every word may stand for any word of the LM's vocabulary (and for two-word phrases), at varied costs
    edges = [[_Edge(i, i + 1, (w,), -0.05)] + [
        _Edge(i, i + 1, (v,), -1.0 - (k * 7 + i) % 11, "x") for k, v in enumerate(vocab) if v != w] + [
        _Edge(i, i + 2, (v, "was"), -3.0 - k % 5, "x") for k, v in enumerate(vocab[:6]) if i + 2 <= n]
        for i, w in enumerate(sentence)]
    calls = []
    extend = restorer.scorer.extend
    restorer.scorer.extend = lambda state, words: calls.append(1) or extend(state, words)
    pruned = exhaustive = 0
    for beam in (1, 3, 6):
        calls.clear()
        path = restorer._decode(edges, 0, n, beam)
        pruned += len(calls)
        calls.clear()
        reference = _exhaustive_decode(restorer, edges, 0, n, beam)
        exhaustive += len(calls)
        assert [(e.start, e.end, e.words) for e in path] == [(e.start, e.end, e.words) for e in reference]
    assert pruned < 0.9 * exhaustive  # the floor saved LM calls


def test_a_pages_headline_block_is_left_alone_but_a_short_text_is_checked(restorer):
    from unspin.restore import _headline_block

    body = "Officials stated the battle finished. Officials told newshounds the place they live."
    page = f"Officials stated the battle finished\n\nOfficials stated the battle finished\n\n\n{body}"
    assert _headline_block(page.split("\n")) == [0, 2]
    r = restorer.restore(Document(page))
    assert r.restored.startswith("Officials stated the battle finished\n\nOfficials stated the battle finished\n")
    assert r.restored.endswith("Officials said the war ended. Officials told journalists where they live.")
    # more than three such lines are a list or a table; a short line before no prose is not a headline
    assert _headline_block(["Oper shr 17 cts", "", "Oper net 636,000", "", "Revs 10.6 mln", "", "Year", "", body]) == []
    assert _headline_block(["Oper shr 17 cts", "", "Revs 10.6 mln vs 7,024,000"]) == []
    # no prose after it: the line is the text to check
    assert _headline_block(["Officials stated the battle finished"]) == []
    assert restorer.restore(Document("Officials stated the battle finished")).restored == "Officials said the war ended"
    # hard-wrapped prose: a paragraph of several short lines is not a headline
    assert _headline_block(["Officials stated the", "battle finished in", "2020.", "", "More text."]) == []
    # a one-line paragraph that ends like a sentence, or introduces a list, is prose
    assert _headline_block(["The offerings filed were:", "", "Body."]) == []
    assert _headline_block(["Title", "", "word " * 30 + "end.", "", "Not a headline"]) == [0]
