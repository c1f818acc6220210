"""Learning a spinner's dictionary from spun/original pairs: alignment, extraction, merging into a pack."""

import csv
import gzip
import json
from pathlib import Path

import pytest

from unspin import learn as ln
from unspin import lexicon as lx
from unspin.document import Document
from unspin.errors import PackError, UnspinError
from unspin.lm import KenLMScorer
from unspin.pack import _sha256, add_file_to_pack, load_pack
from unspin.restore import RestoreConfig, Restorer

from conftest import write_arpa

DATA = Path(__file__).parent / "data" / "learn"
PAIRS = DATA / "pairs.jsonl"
SHARED = Path(__file__).resolve().parents[2] / "shared"  # ../shared beside the project
REAL = SHARED / "data" / "real-dev"


def _pairs():
    return [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]


# ----------------------------------------------------------------------------------------------------------
# alignment
# ----------------------------------------------------------------------------------------------------------

def test_align_pair_with_boilerplate_and_a_missing_paragraph():
    page = _pairs()[0]  # spun page: banner line, comment form; original: a paragraph the spun page lacks
    spun = page["spun_text"]
    swaps = ln.align_pair(spun, page["original_text"])
    for sw in swaps:
        assert spun[sw.start : sw.end] == sw.spun
    assert [(sw.spun, sw.original) for sw in swaps] == [
        ("supervisor", "manager"), ("stated", "said"), ("keep away from", "avoid"), ("earlier than", "before"),
        ("sport", "game"), ("lastly", "finally"), ("acquired", "got"), ("assist", "help"),
        ("throughout", "during"), ("advised", "told"),
    ]
    # nothing from the banner, the comment form or the dateline's dropped "(AP)"
    assert all(sw.start < spun.index("PHOTOS") or sw.start > spun.index("the stadium") for sw in swaps)
    assert all(sw.end < spun.index("Leave a Reply") for sw in swaps)


def test_long_blocks_split_word_by_word_and_facts_are_not_swaps():
    spun = "The Angels lastly acquired some assist from Silseth and won 5-2 in the ninth."
    orig = "The Angels finally got some help from Urquidy and won 4-2 in the ninth."
    got = [(sw.spun, sw.original) for sw in ln.align_pair(spun, orig)]
    assert got == [("lastly", "finally"), ("acquired", "got"), ("assist", "help")]  # no Silseth/Urquidy, no 5-2/4-2
    # number words written as digits, ordinals as words: spinners' rewrites, kept
    got = ln.align_pair("He allowed 4 hits for his forty first win.", "He allowed four hits for his 41st win.")
    assert [(sw.spun, sw.original) for sw in got] == [("4", "four"), ("forty first", "41st")]


def test_unrelated_texts_give_no_swaps():
    assert ln.align_pair("Leave a reply. Your email address will not be published.",
                         "The manager said the team would avoid a long trip.") == []
    assert ln.align_pair("", "anything") == []


@pytest.mark.skipif(not (REAL / "pairs.jsonl").exists(), reason="shared real-dev data not available")
def test_real_pair_recovers_the_listed_substitutions():
    page = next(p for p in map(json.loads, (REAL / "pairs.jsonl").read_text(encoding="utf-8").splitlines())
                if p["id"] == "ohtani-41st-homer")
    with open(REAL / "substitutions.tsv", encoding="utf-8") as f:
        listed = [(r["spun"], r["original"]) for r in csv.DictReader(f, delimiter="\t")
                  if r["example_pair_id"] == "ohtani-41st-homer"]
    swaps = ln.align_pair(page["spun_text"], page["original_text"])
    for sw in swaps:
        assert page["spun_text"][sw.start : sw.end] == sw.spun
    got = {(lx.norm_phrase(sw.spun), lx.norm_phrase(sw.original)) for sw in swaps}

    def inside(big: str, small: str) -> bool:
        b, s = lx.norm_phrase(big.split(" (")[0]).split(), small.split()
        return any(b[i : i + len(s)] == s for i in range(len(b) - len(s) + 1))

    recovered = [(s, o) for s, o in listed if any(inside(s, gs) and inside(o, go) for gs, go in got)]
    assert len(listed) >= 20 and len(recovered) >= 20, sorted(set(listed) - set(recovered))


def test_extract_substitutions_counts_occurrences():
    counts = ln.extract_substitutions(_pairs())
    assert counts[("stated", "said")] == 3
    assert counts[("supervisor", "manager")] == 2
    assert counts[("newshounds", "journalists")] == 1  # capitalised at the start of a sentence, not a name
    assert counts[("keep away from", "avoid")] == 1
    with pytest.raises(UnspinError, match="original_text"):
        ln.extract_substitutions([{"spun_text": "x"}])


# ----------------------------------------------------------------------------------------------------------
# learning into a pack
# ----------------------------------------------------------------------------------------------------------

@pytest.fixture
def pack(tmp_path, monkeypatch):
    """A tiny but complete pack: a thesaurus-only lexicon, a bigram LM and a manifest with checksums."""
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    d = tmp_path / "pack"
    d.mkdir()
    quads = [*lx.thesaurus_pairs([("said", ["stated", "declared"]), ("region", ["area", "zone"]),
                                  ("war", ["battle"])], "moby", 0.0),
             ("the place", "where", 0.0, "observed:hand")]
    lx.build_table(quads, d / "lexicon.tsv.gz")
    write_arpa(["the manager said the region was quiet .", "the manager said the war ended .",
                "journalists said the war ended in 2020 .", "the mayor said the city needs help ."] * 3,
               d / "lm.bin")
    manifest = {"name": "tiny", "files": {n: {"bytes": (d / n).stat().st_size, "sha256": _sha256(d / n)}
                                          for n in ("lexicon.tsv.gz", "lm.bin")}}
    (d / "manifest.json").write_text(json.dumps(manifest))
    return d


def _rows(pack_dir):
    with gzip.open(pack_dir / "lexicon.tsv.gz", "rt", encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f]


def test_learn_merges_pairs_into_the_lexicon(pack):
    stats = ln.learn(PAIRS, pack, vectors=False)
    assert stats["pages"] == 2 and stats["pairs_in_layer"] == 12
    load_pack(pack)  # checksums match the rewritten table
    lex = lx.Lexicon(pack / "lexicon.tsv.gz")
    (manager,) = [c for c in lex.lookup("supervisor") if c.original == "manager"]
    assert manager.evidence == "observed:learned" and manager.curated and manager.fanout == 0
    assert "avoid" in {c.original for c in lex.lookup("keep away from")}
    # a pair the thesaurus already had keeps its fan-out and gains the layer
    (said,) = [c for c in lex.lookup("stated") if c.original == "said"]
    assert said.evidence == "moby,observed:learned" and said.fanout > 0
    # the rest of the table is untouched, and stays sorted by spun key
    rows = _rows(pack)
    assert ["the place", "where", "observed:hand", "", "0"] in rows
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    # the layer can be held out like any evidence
    held_out = lx.Lexicon(pack / "lexicon.tsv.gz", exclude_evidence=["observed:learned"])
    assert "manager" not in {c.original for c in held_out.lookup("supervisor")}
    side = json.loads((pack / "learned.json").read_text())["layers"]["learned"]
    assert side["sources"] == ["page-a", "page-b"]
    assert ["stated", "said", 3, ["page-a", "page-b"]] in side["pairs"]
    # the same pages again add nothing
    before = (pack / "lexicon.tsv.gz").read_bytes()
    again = ln.learn(PAIRS, pack, vectors=False)
    assert again["pages"] == 0 and again["pages_skipped"] == 2 and again["pairs_in_layer"] == 12
    assert _rows(pack) == rows and len(before) > 0


def test_learned_swaps_are_restored(pack):
    text = "The supervisor stated the region was quiet."
    ln.learn(PAIRS, pack, vectors=False)
    lex = lx.Lexicon(pack / "lexicon.tsv.gz")
    r = Restorer(lex, KenLMScorer(pack / "lm.bin"), RestoreConfig(swap_prior=0.3, adapt_prior=False))
    assert r.restore(Document(text)).restored == "The manager said the region was quiet."


def test_min_count_and_counts_accumulate_over_runs(pack, tmp_path):
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps(_pairs()[1]) + "\n")
    ln.learn(one, pack, min_count=2, tag="farm", vectors=False)
    lex = lx.Lexicon(pack / "lexicon.tsv.gz")
    assert {c.original for c in lex.lookup("stated")} >= {"said"}  # seen twice on page-b
    assert not lx.Lexicon(pack / "lexicon.tsv.gz").lookup("newshounds")  # once only: not yet
    ln.learn(PAIRS, pack, min_count=2, tag="farm", vectors=False)  # page-b skipped, page-a adds counts
    lex = lx.Lexicon(pack / "lexicon.tsv.gz")
    assert [c.evidence for c in lex.lookup("supervisor") if c.original == "manager"] == ["observed:farm"]
    assert "avoid" not in {c.original for c in lex.lookup("keep away from")}  # still once
    load_pack(pack)


def test_self_training_hook_forget_and_reapply(pack):
    a = _pairs()[0]
    ln.learn_from_aligned(a["spun_text"], a["original_text"], pack, tag="self", min_count=1, vectors=False)
    assert [c.evidence for c in lx.Lexicon(pack / "lexicon.tsv.gz").lookup("advised")] == ["observed:self"]
    # a rebuilt lexicon (no learned rows) gets the layers back from learned.json
    rows = [r for r in _rows(pack) if "observed:self" not in r[2]]
    with gzip.open(pack / "rebuilt.tmp", "wt", encoding="utf-8") as f:
        f.writelines("\t".join(r) + "\n" for r in rows)
    add_file_to_pack(pack, pack / "rebuilt.tmp", "lexicon.tsv.gz")
    assert lx.Lexicon(pack / "lexicon.tsv.gz").lookup("advised") == []
    ln.reapply_learned(pack, vectors=False)
    assert [c.evidence for c in lx.Lexicon(pack / "lexicon.tsv.gz").lookup("advised")] == ["observed:self"]
    ln.forget(pack, "self")
    assert lx.Lexicon(pack / "lexicon.tsv.gz").lookup("advised") == []
    assert all("observed:self" not in r[2] for r in _rows(pack))
    load_pack(pack)
    with pytest.raises(UnspinError, match="no learned layer"):
        ln.forget(pack, "self")


def test_a_crash_while_writing_leaves_the_old_pack(pack, monkeypatch):
    before = (pack / "lexicon.tsv.gz").read_bytes()
    manifest = (pack / "manifest.json").read_text()
    real = ln._write_table

    def crash(rows, tmp):
        def some():
            for i, row in enumerate(rows):
                if i == 3:
                    raise KeyboardInterrupt
                yield row
        real(some(), tmp)

    monkeypatch.setattr(ln, "_write_table", crash)
    with pytest.raises(KeyboardInterrupt):
        ln.learn(PAIRS, pack, vectors=False)
    assert (pack / "lexicon.tsv.gz").read_bytes() == before
    assert (pack / "manifest.json").read_text() == manifest
    assert not (pack / "learned.json").exists()
    assert sorted(p.name for p in pack.iterdir() if p.name.startswith(".") and p.name != ".learn.lock") == []
    load_pack(pack)


def test_merge_rows_adds_removes_and_keeps_order():
    table = [["alpha", "a", "moby", "0.50", "3"], ["gamma", "g", "moby", "", "2"],
             ["gamma", "x", "observed:t", "", "0"], ["zeta", "z", "moby,observed:t", "", "4"]]
    out = list(ln.merge_rows(lambda: iter(table), {"observed:t": {("beta", "b"), ("gamma", "g"), ("omega", "o")}}))
    assert out == [["alpha", "a", "moby", "0.50", "3"], ["beta", "b", "observed:t", "", "0"],
                   ["gamma", "g", "moby,observed:t", "", "2"], ["omega", "o", "observed:t", "", "0"],
                   ["zeta", "z", "moby", "", "4"]]


@pytest.mark.parametrize("content, message", [
    (None, "pairs file not found"),
    ('{"spun_text": "a", "original_text": "b"}\nnot json\n', "pairs.jsonl:2: not valid JSON"),
    ('{"spun_text": "a"}\n', "pairs.jsonl:1: pair has no 'original_text'"),
    ('["a", "b"]\n', "pairs.jsonl:1: a pair must be a JSON object"),
    ('{"spun_text": 1, "original_text": "b"}\n', "'spun_text' must be a string"),
    ("\n\n", "no pairs in"),
])
def test_bad_pairs_files_are_one_line_errors(pack, tmp_path, content, message):
    path = tmp_path / "pairs.jsonl"
    if content is not None:
        path.write_text(content)
    before = (pack / "lexicon.tsv.gz").read_bytes()
    with pytest.raises(UnspinError, match=message) as e:
        ln.learn(path, pack, vectors=False)
    assert "\n" not in str(e.value)
    assert (pack / "lexicon.tsv.gz").read_bytes() == before


def test_a_layer_learnt_from_another_spinner_family_says_so(pack, tmp_path):
    """The family fingerprint takes observed swaps for the content-farm spinner's; a layer learnt with
    --family from another spinner's pages is recorded as that family's, and the checker passes it on."""
    stats = ln.learn(PAIRS, pack, tag="wn", vectors=False, family="wordnet")
    assert stats["family"] == "naive WordNet spinner"
    ln.learn(PAIRS, pack, tag="farm", vectors=False, family="phrase-dictionary spinner")  # a name works too
    ln.learn(PAIRS, pack, tag="plain", vectors=False)
    assert ln.learned_families(pack) == {"wn": "naive WordNet spinner", "farm": "phrase-dictionary spinner"}
    # learning again without --family keeps the family; another family under the same tag is refused
    assert ln.learn(PAIRS, pack, tag="wn", vectors=False)["family"] == "naive WordNet spinner"
    with pytest.raises(UnspinError, match="learn these pairs under another --tag"):
        ln.learn(PAIRS, pack, tag="wn", vectors=False, family="thesaurus")
    with pytest.raises(UnspinError, match="unknown spinner family 'spinbot'"):
        ln.learn(PAIRS, pack, tag="x", vectors=False, family="spinbot")
    from unspin.api import Checker
    from unspin.fingerprint import OBSERVED_OTHER_FAMILY

    other = Checker(pack, use_detector=False)._other_family
    assert other == {**OBSERVED_OTHER_FAMILY, "wn": "naive WordNet spinner"}


def test_bad_packs_tags_and_counts(pack, tmp_path):
    with pytest.raises(PackError, match="not found"):
        ln.learn(PAIRS, tmp_path / "nowhere", vectors=False)
    with pytest.raises(UnspinError, match="bad layer tag"):
        ln.learn(PAIRS, pack, tag="a,b", vectors=False)
    with pytest.raises(UnspinError, match="min_count"):
        ln.learn(PAIRS, pack, min_count=0, vectors=False)
    (pack / "lexicon.tsv.gz").write_bytes(b"garbage")
    with pytest.raises(PackError, match="corrupt"):
        ln.learn(PAIRS, pack, vectors=False)


def test_alignment_recovers_a_simulated_spinners_swaps():
    from unspin.spinners import make_spinner

    original = ("Officials said the company will open a new plant next year, where about four hundred people "
                "will work. Since the plant is near the river, the mayor said the city would build a new road.\n\n"
                "The company has been in the region for ten years and its products are sold in many countries. "
                "Journalists asked the manager whether the plant would be finished before the winter.")
    spun = make_spinner("phrase", rate=1.0, seed=1).spin(original)
    assert len(spun.swaps) >= 5
    page = "SHARE THIS ARTICLE\n" + spun.text + "\n\nRelated posts: The company opens a plant near the river"
    offset = len("SHARE THIS ARTICLE\n")
    truth = [(s + offset, e + offset) for s, e, _, _ in spun.swaps]
    found = ln.align_pair(page, original)
    assert found and all(any(s < sw.end and sw.start < e for s, e in truth) for sw in found)  # precision 1
    recovered = [t for t in truth if any(t[0] < sw.end and sw.start < t[1] for sw in found)]
    assert len(recovered) >= 0.8 * len(truth)


@pytest.mark.skipif(not (REAL / "pairs.jsonl").exists(), reason="shared real-dev data not available")
def test_bench_without_learning_holds_out_every_observed_page(monkeypatch):
    """`unspin bench` reports the real pages twice: without the page's own observed swaps (learnt from the
    other pages), and without any observed swaps (nothing learnt), which shows what learning adds."""
    import types

    import unspin.api
    from unspin import bench

    tags = bench.observed_tags(SHARED)
    assert {"observed:ohtani-41st-homer", "observed:heat-celtics-game7-accuratenewsinfo"} <= set(tags)
    seen = []

    class FakeChecker:
        def __init__(self, pack=None, config=None, exclude_evidence=(), neural=False):
            seen.append(list(exclude_evidence))

        def check(self, text, name=""):
            return types.SimpleNamespace(restored=text, words=len(text.split()), text=text, flagged=[],
                                         substitutions=[], spin_probability=1.0)

    monkeypatch.setattr(unspin.api, "Checker", FakeChecker)
    learned = bench.bench_real_pairs(SHARED, "test")
    assert learned["learned"] and all(len(ex) == 1 and ex[0].startswith("observed:") for ex in seen)
    seen.clear()
    unlearned = bench.bench_real_pairs(SHARED, "test", learned=False)
    assert not unlearned["learned"] and seen and all(set(tags) <= set(ex) for ex in seen)
    assert unlearned["total"]["recovered"] == 0  # the fake restores nothing: the scoring still runs


@pytest.mark.parametrize("spun, original, known, parts", [
    # a listed stretch of text: the differences between its unchanged words
    ("limping via 42 mins", "limping through 42 minutes", set(), [("via", "through"), ("mins", "minutes")]),
    ("lastly acquired some assist", "finally got some help", set(),
     [("lastly", "finally"), ("acquired", "got"), ("assist", "help")]),
    # a block of neighbouring swaps: a known word pair peeled off its edge leaves the phrase swap
    ("spring recreation in opposition to", "spring game against", {("recreation", "game")},
     [("recreation", "game"), ("in opposition to", "against")]),
    ("spring recreation in opposition to", "spring game against", set(), [("recreation in opposition to", "game against")]),
    # an added word: which neighbour it belongs to is a guess, so it is not split off
    ("second one time", "second time", set(), []),
    ("profitable the following two video games", "winning the next two games", set(),
     [("profitable", "winning"), ("following", "next")]),
    # nothing smaller inside
    ("stated", "said", set(), []),
    ("for the reason that", "since", set(), []),
])
def test_split_swap(spun, original, known, parts):
    assert ln.split_swap(spun, original, known) == parts


def test_learning_a_block_of_swaps_also_learns_its_parts(pack, tmp_path):
    """Pages learnt together: one shows *recreation* for game alone, another a block where it stands beside
    another swap; the block's other part is learnt as a swap of its own and restored elsewhere."""
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"id": "p1", "spun_text": "The recreation ended late in the evening after a long delay.",
         "original_text": "The game ended late in the evening after a long delay."},
        {"id": "p2", "spun_text": "He pitched in the spring recreation in opposition to Boston on Sunday night.",
         "original_text": "He pitched in the spring game against Boston on Sunday night."},
    ]
    pairs.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    ln.learn(pairs, pack, vectors=False)
    lex = lx.Lexicon(pack / "lexicon.tsv.gz")
    assert "against" in [c.original for c in lex.lookup("in opposition to")]
    assert "game against" in [c.original for c in lex.lookup("recreation in opposition to")]  # kept whole too
    side = json.loads((pack / ln.SIDECAR).read_text())
    pages = {(s, o): p for s, o, _, p in side["layers"]["learned"]["pairs"]}
    assert pages[("in opposition to", "against")] == ["p2"]


def test_learn_command_names_the_family(pack):
    from click.testing import CliRunner

    from unspin.cli import cli

    out = CliRunner().invoke(cli, ["learn", str(PAIRS), "--pack", str(pack), "--tag", "wn", "--family", "wordnet"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("observed:wn (naive WordNet spinner): 2 pages")
    bad = CliRunner().invoke(cli, ["learn", str(PAIRS), "--pack", str(pack), "--family", "spinbot"])
    assert bad.exit_code != 0 and "'spinbot' is not one of" in bad.output
