"""Lexicon: building the reverse-channel table and looking spun forms up (inflection, held-out evidence)."""

import gzip
from pathlib import Path

import pytest

from unspin import lexicon as lx
from unspin.errors import PackError


@pytest.fixture
def table(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    quads = [
        *lx.thesaurus_pairs([("say", ["state", "declare", "tell"]), ("region", ["area", "zone"]),
                             ("finish", ["finishing", "end"])], "moby", 3.0),
        ("the place", "where", 0.0, "observed:page-a"),
        ("stated", "said", 0.0, "observed:page-c"),
        ("newshounds", "journalists", 0.0, "observed:page-b"),
        ("getting back", "returning", 0.0, "observed:page-d"),
        ("was once", "was", 0.0, "observed:page-d"),
        *lx.number_pairs(),
    ]
    path = tmp_path / "lexicon.tsv.gz"
    stats = lx.build_table(quads, path)
    assert stats["pairs"] > 0
    return path


def test_table_rows_have_five_columns(table):
    with gzip.open(table, "rt", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    assert rows and all(len(r) == 5 for r in rows)
    spun_orig = {(r[0], r[1]) for r in rows}
    assert ("state", "say") in spun_orig and ("say", "state") in spun_orig  # both directions
    assert ("the place", "where") in spun_orig
    # variants of the same word are not swaps a spinner makes
    assert ("finishing", "finish") not in spun_orig


def test_lookup_reinflects_through_the_lemma(table):
    lex = lx.Lexicon(table)
    originals = {c.original for c in lex.lookup("stated")}
    assert "said" in originals  # stated <- state <- say -> said
    assert {c.original for c in lex.lookup("areas")} >= {"regions"}


def test_lookup_phrases_and_numbers(table):
    lex = lx.Lexicon(table)
    assert [c.original for c in lex.lookup("the place")] == ["where"]
    assert lex.lookup("the place")[0].curated
    assert "41st" in {c.original for c in lex.lookup("forty first")}
    assert "four" in {c.original for c in lex.lookup("4")}
    assert lex.lookup("no such phrase here") == []


def test_held_out_evidence_is_ignored(table):
    lex = lx.Lexicon(table, exclude_evidence=["observed:page-b"])
    assert lex.lookup("newshounds") == []
    assert [c.original for c in lex.lookup("the place")] == ["where"]


def test_corrupt_or_missing_table_is_a_pack_error(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    with pytest.raises(PackError):
        lx.Lexicon(tmp_path / "missing.tsv.gz")
    bad = tmp_path / "bad.tsv.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage that is not gzip")
    with pytest.raises(PackError):
        lx.Lexicon(bad)
    assert not list((tmp_path / "cache" / "lexicon").glob("*.sqlite"))  # no half-built cache left behind


def test_number_pairs_cover_ordinals():
    pairs = {(s, o) for s, o, _, _ in lx.number_pairs()}
    assert ("twenty fifth", "25th") in pairs and ("forty first", "41st") in pairs and ("third", "3rd") in pairs


def test_damaged_cache_is_rebuilt(table, tmp_path):
    lx.Lexicon(table)  # builds the cache
    (db,) = (tmp_path / "cache" / "lexicon").glob("*.sqlite")
    db.write_bytes(b"this is not an sqlite database" * 100)
    lex = lx.Lexicon(table)
    assert [c.original for c in lex.lookup("the place")] == ["where"]


def test_observed_swaps_carry_over_to_other_forms_of_the_word(table):
    lex = lx.Lexicon(table)
    says = [c for c in lex.lookup("states") if c.original == "says"]
    assert says and says[0].curated  # seen as stated <- said, so states <- says
    assert any(c.original == "saying" and c.curated for c in lex.lookup("stating"))
    assert not any(c.curated for c in lx.Lexicon(table, exclude_evidence=["observed:page-c"]).lookup("states"))


def test_observed_phrase_swaps_carry_over_to_other_forms_of_the_verb(table):
    lex = lx.Lexicon(table)

    def curated(spun):
        return [c.original for c in lex.lookup(spun) if c.curated]

    # seen as "getting back" <- returning: the other forms of the phrase stand for the same forms of return
    assert curated("got back") == ["returned"] and curated("gets back") == ["returns"]
    assert curated("get back") == ["return"]
    # the same verb on both sides keeps the form it is written in (agreement): "were once" <- were, not was
    assert curated("were once") == ["were"] and curated("is once") == ["is"]
    assert curated("got away") == []  # another phrase
    held_out = lx.Lexicon(table, exclude_evidence=["observed:page-d"])
    assert not any(c.curated for c in held_out.lookup("got back"))


def test_aligned_pair_swaps_are_word_level_and_tagged_by_page(tmp_path):
    import json

    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({
        "id": "page-1",
        "original_text": "The manager said the team lost 4 games in the series. He was finally happy.",
        "spun_text": "The supervisor stated the team lost four video games within the collection. He was lastly happy.",
    }) + "\n", encoding="utf-8")
    swaps = {(s, o): tag for s, o, _, tag in lx.aligned_pair_swaps(pairs)}
    assert swaps.get(("supervisor", "manager")) == "observed:page-1"
    assert ("stated", "said") in swaps and ("collection", "series") in swaps and ("lastly", "finally") in swaps
    assert ("within", "in") not in swaps  # function-word swaps from one page are too noisy
    assert not any(any(c.isdigit() for c in s + o) for s, o in swaps)  # numbers are the numbers layer's job


def test_phrase_zipf_matches_wordfreq():
    """lexicon.zipf combines word frequencies itself for plain lower-case phrases (faster than wordfreq's
    tokenizer); it must give wordfreq's numbers, unknown words and odd phrases included."""
    from wordfreq import zipf_frequency

    phrases = ["for the reason that", "keep an eye on", "house run", "world series", "plot of ground",
               "the place", "qzxv blorp", "state-of-the-art design", "o'clock news", "twenty fifth", "a a a a",
               "conference call", "Main Points"]
    for p in phrases:
        lx.zipf.cache_clear()
        assert lx.zipf(p) == zipf_frequency(p, "en"), p


def test_direct_lemminflect_lookups_match_its_public_calls():
    """all_lemmas / all_inflections read lemminflect's tables without its per-call deep copies; they must
    give exactly what getAllLemmas / getAllInflections give, overrides and irregular forms included."""
    import lemminflect

    words = ["said", "say", "stated", "went", "go", "children", "child", "better", "good", "data", "media",
             "lay", "lie", "lain", "best", "was", "be", "am", "cannot", "can", "runs", "run", "quickly",
             "analyses", "axes", "geese", "themselves", "3-point", "ok", "news", "series", "fewer"]
    for w in words:
        assert lx.all_lemmas(w) == lemminflect.getAllLemmas(w), w
        for upos in ("VERB", "AUX", "NOUN", "ADJ", "ADV"):
            assert lx.all_inflections(w, upos) == lemminflect.getAllInflections(w, upos=upos), (w, upos)
            assert lx._lemmas_as(w, upos) == tuple(lemminflect.getAllLemmas(w, upos=upos).get(upos, ())), (w, upos)
    assert lx.all_lemmas("stated")["VERB"] == ("state",)
    assert lx.all_inflections("have", "AUX")["VBD"] == ("had",)  # auxiliaries: the verb tags, read directly
    # (lemminflect's public call parses its own copy of the tables, ~0.5 s, the first time it is used)
    import lemminflect.core.Inflections as infl_module
    calls = []
    real = infl_module.Inflections.getAllInflections
    infl_module.Inflections.getAllInflections = lambda *a, **k: calls.append(a) or real(*a, **k)
    try:
        lx.all_inflections.cache_clear()
        lx.all_inflections("will", "AUX")
    finally:
        infl_module.Inflections.getAllInflections = real
    assert not calls
    assert "VBD" in lx.all_inflections("say", "VERB") and lx.all_inflections("say", "VERB")["VBD"] == ("said",)
    # one form for one Penn tag, lemminflect's fallback tags included (a past participle standing in for a
    # missing past, an adverb for an adjective); checked equal on all 72,810 lower-case words of the shipped
    # lexicon's pairs when it was written
    tags = ("VBD", "VBN", "VBG", "VBZ", "VB", "VBP", "NNS", "NN", "JJR", "JJS", "JJ", "RBR", "RBS", "RB", "RP", "MD",
            "NNP", "NNPS")
    for w in [*words, "fast", "hard", "well", "ill", "far", "Paris", "US"]:
        for tag in tags:
            want = tuple(lemminflect.getInflection(w, tag=tag, inflect_oov=False))
            assert lx._inflection_of(w, tag) == want, (w, tag)
    assert lx._inflection_of("say", "VBD") == ("said",) and lx._inflection_of("xyzzy", "VBD") == ()


def test_observed_stretches_also_give_their_parts_under_the_same_page(tmp_path):
    """A hand-listed stretch of text gives the swaps it is made of, tagged with its page, peeled with the
    word pairs listed elsewhere; function-word and number parts are left out."""
    tsv = tmp_path / "substitutions.tsv"
    tsv.write_text(
        "spun\toriginal\texample_pair_id\tevidence\n"
        "limping via 42 mins\tlimping through 42 minutes\tpage-a\tverified\n"
        "recreation 5\tgame 5\tpage-b\tverified\n"
        "spring recreation in opposition to\tspring game against\tpage-c\tverified\n"
        "on the spoil\tat the break\tpage-a\tinferred\n", encoding="utf-8")
    rows = [(s, o, layer) for s, o, _, layer in lx.observed_pairs(tsv)]
    assert ("limping via 42 mins", "limping through 42 minutes", "observed:page-a") in rows  # kept whole too
    assert ("mins", "minutes", "observed:page-a") in rows and ("spoil", "break", "observed:page-a") in rows
    assert ("recreation", "game", "observed:page-b") in rows
    assert ("in opposition to", "against", "observed:page-c") in rows  # recreation <- game peeled off
    assert not any(o in ("through", "at") for _, o, _ in rows)  # via <- through, on <- at: function words only


def test_hand_listed_idioms_are_well_formed_and_leave_out_the_evaluation_swaps():
    """The shipped list of the content-farm spinner's rewrites (layer ``idioms``): what its header promises."""
    from wordfreq import zipf_frequency

    pairs = {(s, o) for s, o, _, layer in lx.idiom_pairs()}
    assert len(pairs) > 400 and {layer for *_, layer in lx.idiom_pairs()} == {"idioms"}
    assert ("the usage of", "using") in pairs and ("lend a hand", "help") in pairs
    # neither the Karabakh example's expected results nor swaps known to be on the held-out test pages
    left_out = {("patch", "region"), ("newshounds", "journalists"), ("main points", "details"),
                ("keep an eye on", "control"), ("historical past", "history"), ("surgical procedure", "surgery"),
                ("file", "record"), ("second", "moment"), ("extra", "more"), ("recreation", "game"),
                ("basic", "classic")}
    assert not pairs & left_out
    # a single spun word is rarer than its original (kept exceptions: spinner favourites attested elsewhere)
    common = {(s, o) for s, o in pairs if " " not in s and zipf_frequency(s, "en") >= zipf_frequency(o, "en")}
    assert common <= {("however", "but"), ("house", "home"), ("name", "call"), ("on-line", "online")}
    # the rewrites added after the first list bring no new common single-word original (the decoder takes a
    # listed original for a word the spinner never writes; a word that common, it likely does write): each is
    # an original of the first list or of a curated layer (observed, tortured) already
    from unspin.pack import load_pack

    with gzip.open(load_pack(verify=False).lexicon_path, "rt", encoding="utf-8") as f:
        curated = {o for _, o, evidence, *_ in (line.split("\t") for line in f) if lx.has_layer(evidence, lx.CURATED)}
    lines = lx.IDIOMS_FILE.read_text(encoding="utf-8").splitlines()
    cut = next(i for i, line in enumerate(lines) if line.startswith("# Added later"))
    first = curated | {line.split("\t")[1] for line in lines[:cut] if "\t" in line and not line.startswith("#")}
    later = [line.split("\t") for line in lines[cut:] if "\t" in line and not line.startswith("#")]
    assert len(later) > 300
    new_common = {o for _, o in later if " " not in o and "-" not in o and o not in first
                  and zipf_frequency(o, "en") >= 5.0}
    assert not new_common, new_common


def test_idioms_rank_with_curated_pairs_and_carry_over_to_other_forms(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    synonyms = [f"aid{i}" for i in range(8)]
    quads = [*lx.thesaurus_pairs([(w, ["assist"]) for w in synonyms], "moby", 0.0),
             ("assist", "help", 0.0, "idioms"), ("lend a hand", "help", 0.0, "idioms")]
    path = tmp_path / "lexicon.tsv.gz"
    lx.build_table(quads, path, max_per_spun=3)
    lex = lx.Lexicon(path)
    first = lex.lookup("assist")[0]
    assert first.original == "help" and first.listed and not first.curated  # kept ahead of thesaurus pairs
    assert any(c.original == "helped" and c.listed for c in lex.lookup("assisted"))  # other forms of the word
    assert any(c.original == "helped" and c.listed for c in lex.lookup("lent a hand"))  # and of the phrase


def test_idiom_pairs_reject_a_malformed_line(tmp_path):
    bad = tmp_path / "idioms.tsv"
    bad.write_text("# comment\nthe usage of\tusing\nno tab here\n", encoding="utf-8")
    with pytest.raises(PackError, match=":3:"):
        list(lx.idiom_pairs(bad))
    # a phrase longer than the decoder's longest span is an error, not a pair silently left out
    bad.write_text("on the finish of\tat the end of\nbecause of the truth that\tbecause\n", encoding="utf-8")
    with pytest.raises(PackError, match=":2: at most 4 words"):
        list(lx.idiom_pairs(bad))
    bad.write_text("on the finish of\tat the end of\n", encoding="utf-8")
    assert list(lx.idiom_pairs(bad)) == [("on the finish of", "at the end of", 0.0, "idioms")]


def test_shipped_lexicon_carries_the_shipped_idioms_list():
    """The pack's lexicon was rebuilt after the last edit of data/spinner-idioms.tsv (``unspin pack build
    --lexicon-only``): its ``idioms`` rows are exactly the list's pairs."""
    from unspin.pack import load_pack

    table = load_pack(verify=False).lexicon_path
    with gzip.open(table, "rt", encoding="utf-8") as f:
        rows = [(s, o, evidence.split(",")) for s, o, evidence, *_ in (line.split("\t") for line in f)]
    assert {(s, o) for s, o, ev in rows if "idioms" in ev} == {(s, o) for s, o, _, _ in lx.idiom_pairs()}
    common = {(s, o) for s, o, _, _ in lx.idiom_pairs(lx.IDIOMS_COMMON_FILE, lx.COMMON_ORIGINALS)}
    assert {(s, o) for s, o, ev in rows if lx.COMMON_ORIGINALS in ev} == common


def test_common_word_rewrites_follow_the_lists_rules():
    """data/spinner-idioms-common.tsv (layer ``idioms:common``): what its header promises."""
    from wordfreq import zipf_frequency

    pairs = [(s, o, layer) for s, o, _, layer in lx.idiom_pairs(lx.IDIOMS_COMMON_FILE, lx.COMMON_ORIGINALS)]
    assert len(pairs) > 50 and {layer for *_, layer in pairs} == {"idioms:common"}
    assert ("neatly", "well") in {(s, o) for s, o, _ in pairs}
    # rewrites into words ordinary prose uses for themselves were measured out (see the file's header)
    assert not {("simply", "just"), ("each", "both"), ("girls", "women")} & {(s, o) for s, o, _ in pairs}
    # every spun form, word or phrase, is rarer than its original
    assert not [(s, o) for s, o, _ in pairs if zipf_frequency(s, "en") >= zipf_frequency(o, "en")]
    # none of the swaps of the evaluation pages, nor one the main list already has
    main = {(s, o) for s, o, _, _ in lx.idiom_pairs()}
    left_out = {("patch", "region"), ("newshounds", "journalists"), ("main points", "details"),
                ("keep an eye on", "control"), ("historical past", "history"), ("surgical procedure", "surgery"),
                ("file", "record"), ("second", "moment"), ("extra", "more"), ("recreation", "game"),
                ("basic", "classic")}
    assert not {(s, o) for s, o, _ in pairs} & (main | left_out)
    subs = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-dev" / "substitutions.tsv"
    if subs.exists():  # the pages' listed swaps (../shared): no spun form of the list was seen there
        seen = {lx.norm_phrase(line.split("\t")[0]) for line in subs.read_text(encoding="utf-8").splitlines()[1:]}
        assert not {s for s, _, _ in pairs} & seen


@pytest.mark.slow
def test_common_word_rewrites_are_rare_in_clean_text():
    """The common-word list's last rule, measured again (~20 s): in clean text of the LM's training split (the
    first 6,000 press releases and 1,500 Wikipedia articles of that split, 7.3 M words), each spun form occurs
    at most once for every ten times its original does."""
    import json
    import re
    from collections import Counter

    from unspin.lmbuild import split_of

    corpora = Path(__file__).resolve().parents[2] / "shared" / "corpora"
    if not corpora.is_dir():
        pytest.skip("../shared not present")
    pairs = {(s, o) for s, o, _, _ in lx.idiom_pairs(lx.IDIOMS_COMMON_FILE, lx.COMMON_ORIGINALS)}
    wanted = {phrase for pair in pairs for phrase in pair}
    longest = max(p.count(" ") + 1 for p in wanted)
    word = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
    counts, words = Counter(), 0
    for corpus, limit in (("pressreleases", 6000), ("wikipedia-half", 1500)):
        with gzip.open(corpora / f"{corpus}.jsonl.gz", "rt", encoding="utf-8") as f:
            taken = 0
            for i, line in enumerate(f):
                if split_of(i) != "lm":
                    continue
                taken += 1
                if taken > limit:
                    break
                toks = word.findall(json.loads(line)["text"].lower())
                words += len(toks)
                for n in range(1, longest + 1):
                    counts.update(g for g in (" ".join(toks[j:j + n]) for j in range(len(toks) - n + 1))
                                  if g in wanted)
    assert words > 7_000_000
    assert not [(s, o, counts[s], counts[o]) for s, o in pairs if 10 * counts[s] > counts[o]]


def test_common_word_rewrites_are_dictionary_swaps_whose_originals_stay_unlisted(tmp_path, monkeypatch):
    """A rewrite of a common word (``idioms:common``) weighs and carries over like the main list's, and is
    left out with it where idioms are, but its original is no listed original: the spinner writes "just"
    too, so a "just" in the text is not taken for a word it left alone."""
    from unspin.restore import _only_idioms

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    quads = [("simply", "just", 0.0, lx.COMMON_ORIGINALS), ("the usage of", "using", 0.0, "idioms"),
             *lx.thesaurus_pairs([("just", ["simply", "merely"])], "moby", 0.0)]
    path = tmp_path / "lexicon.tsv.gz"
    lx.build_table(quads, path)
    lex = lx.Lexicon(path)
    first = lex.lookup("simply")[0]
    assert first.original == "just" and first.listed and not first.curated
    assert "simply" in lex._curated_keys
    assert lex.listed_originals() == {"using"}
    assert _only_idioms("idioms:common") and _only_idioms("idioms,+inflected") and not _only_idioms("idioms:common,moby")


def test_lemminflect_tables_are_cached_and_a_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    """lemminflect's parsed tables are kept as a pickle in unspin's cache folder: the next process loads
    them instead of parsing, and a damaged file is parsed again and replaced, with the same tables."""
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path))
    parse = lx._tables.__wrapped__
    first = parse()
    files = list((tmp_path / "lemminflect").glob("*.pickle"))
    assert len(files) == 1 and first is not None and len(first) == 4
    from lemminflect.core.Lemmatizer import Lemmatizer

    with monkeypatch.context() as m:
        m.setattr(Lemmatizer, "_getLemmaDict", lambda self: pytest.fail("parsed again"))
        assert parse() == first  # read back from the cache, not parsed
    files[0].write_bytes(b"not a pickle")
    assert parse() == first
    assert files[0].read_bytes() != b"not a pickle"  # replaced by a good one
    assert lx.all_lemmas("stated")["VERB"] == ("state",)


def test_a_phrase_whose_tail_ends_no_key_is_answered_without_a_lookup(table, monkeypatch):
    lex = lx.Lexicon(table)
    assert lex.may_list("the place") and lex.may_list("getting back") and lex.may_list("stated")
    assert lex.may_list("got back")  # a sibling form of a listed phrase keeps its tail
    assert not lex.may_list("the region") and not lex.may_list("no such phrase")
    queried = []
    monkeypatch.setattr(lex, "_query", lambda spun: queried.append(spun) or [])
    assert lex.lookup("the region") == [] and queried == []
    lex.lookup("were once")
    assert queried  # a possible phrase is still looked up
