"""Capitalised names: the runs the table is made of, the table itself, and restoring spun names with it."""

import dataclasses
import gzip
import json
import shutil
from pathlib import Path

import pytest

from unspin.document import Document, tokenize
from unspin.errors import PackError
from unspin.names import NAMES_FILE, count_runs, load_names, run_key, title_runs, write_names
from unspin.pack import DEFAULT_PACK, add_names, load_pack


def _runs(sentence: str) -> list[str]:
    tokens = tokenize(sentence)
    return [run_key(tokens, i, j) for i, j in title_runs(tokens, 0, len(tokens))]


def test_runs_are_capitalised_words_inside_a_sentence():
    assert _runs("The Rangers won the World Sequence on Wednesday, the All-Star Game and Hall of Fame.") == [
        "world sequence", "all-star game", "hall of fame"]
    # a sentence's first word is capitalised anyway; a run after an opening quote starts a sentence too
    assert _runs("World Series tickets sold out.") == []
    assert _runs('He said: "Eastern Conference finals start now."') == []
    # one capitalised word is no run; acronyms, digits and a connector at the end break a run
    assert _runs("The Rangers beat AP Photo in Game 5 at the Bank of.") == []
    assert _runs("He met Phil Nevin at the Eastern Conference Finals.") == ["phil nevin", "eastern conference finals"]


def test_name_table_counts_runs_and_keeps_the_frequent_ones(tmp_path):
    texts = ["They won the World Series. Fans of the World Series cheered.",
             "The World Series ended. He joined the Hall of Fame."]
    counts = count_runs(texts)
    assert counts["world series"] == 3 and counts["hall of fame"] == 1
    out = tmp_path / NAMES_FILE
    assert write_names(counts, out, min_count=2) == 1
    assert load_names(out) == frozenset({"world series"})
    assert [p.name for p in tmp_path.iterdir()] == [NAMES_FILE]  # no temporary file left


def test_corrupt_name_table_raises_pack_error(tmp_path):
    bad = tmp_path / NAMES_FILE
    bad.write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    with pytest.raises(PackError, match="name table"):
        load_names(bad)


@pytest.fixture(scope="module")
def checker():
    from unspin.api import Checker

    return Checker()


@pytest.fixture(scope="module")
def restorer(checker):
    return checker.restorer


def _restore_names(restorer, text, names):
    """The names pass alone, after a decoding that changed nothing (the decoder itself may already restore
    a badly spun name from the language model alone)."""
    doc = Document(text)
    before = dataclasses.replace(restorer.restore(doc), substitutions=[], restored=text)
    return doc, before, restorer.restore_names(doc, before, frozenset(names))


def test_a_spun_word_inside_a_name_is_restored_to_the_known_name(restorer):
    text = "The Texas Rangers won the World Sequence on Wednesday night in Arizona."
    doc, before, after = _restore_names(restorer, text, {"world series", "texas rangers"})
    new = [s for s in after.substitutions if s not in before.substitutions]
    assert [(s.spun, s.original) for s in new] == [("Sequence", "Series")]
    assert new[0].evidence.endswith(",known-name")  # why it was restored, shown beside the swap
    assert text[new[0].start : new[0].end] == "Sequence" and 0.5 <= new[0].confidence <= 1.0
    assert "World Series" in after.restored


def test_names_the_table_knows_or_cannot_reach_stay(restorer):
    text = "The Texas Rangers won the World Sequence on Wednesday night in Arizona."
    # the spun run is itself a known name: a real name, left alone
    _, before, after = _restore_names(restorer, text, {"world sequence", "world series"})
    assert after is before
    # no original of any word makes a known name of the run
    _, before, after = _restore_names(restorer, text, {"texas rangers"})
    assert after is before
    # an empty table (an older pack) changes nothing
    _, before, after = _restore_names(restorer, text, set())
    assert after is before


def test_the_shipped_pack_has_a_name_table():
    pack = load_pack(None)
    names = load_names(pack.names_path)
    assert {"world series", "hall of fame", "eastern conference"} <= names
    assert "world sequence" not in names


def test_add_names_to_a_pack_keeps_its_other_files(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    shutil.copy2(DEFAULT_PACK / "manifest.json", pack / "manifest.json")
    for f in ("lexicon.tsv.gz", "lm.bin"):
        (pack / f).symlink_to(DEFAULT_PACK / f)
    corpus = tmp_path / "c.jsonl.gz"
    with gzip.open(corpus, "wt", encoding="utf-8") as f:
        for i in range(30):  # documents 8 and 9 of every 10 are held out of the LM split the table reads
            f.write(json.dumps({"id": str(i), "text": f"Fans of the Boston Red Sox cheered {i} times."}) + "\n")
    stats = add_names(pack, tmp_path, corpora=[str(corpus)], min_count=3)
    assert stats == {"names": 1, "min_count": 3}  # whole runs only: not "red sox" on its own
    assert load_names(pack / NAMES_FILE) == frozenset({"boston red sox"})
    manifest = json.loads((pack / "manifest.json").read_text())
    assert NAMES_FILE in manifest["files"]
    assert manifest["sources"]["names"] == {"corpora": [str(corpus)], "names": 1, "min_count": 3}
    load_pack(pack)  # checksums verify, the table included
    (pack / NAMES_FILE).write_bytes(b"tampered")
    with pytest.raises(PackError, match="corrupt"):
        load_pack(pack)


def test_check_restores_a_spun_name_in_a_spun_text(checker):
    """End to end: in a text judged spun, the last decoding restores a name the decoder left alone."""
    page = (Path(__file__).resolve().parents[1] / "examples" / "karabakh-spun.txt").read_text(encoding="utf-8")
    at = page.index("Russian forces are being withdrawn")
    text = page[:at] + "Patients were told about it as part of a National Health Help campaign in the UK. " + page[at:]
    report = checker.check(text)
    assert report.verdict == "spun"
    names = [s for s in report.substitutions if s.evidence.endswith(",known-name")]
    assert [(s.spun, s.original) for s in names] == [("Help", "Service")]
    assert text[names[0].start : names[0].end] == "Help" and "National Health Service campaign" in report.restored
    # the same sentence in a clean text is left alone: the step only runs for texts not judged clean
    clean = checker.check("Patients were told about it as part of a National Health Help campaign in the UK. " * 3)
    assert clean.verdict == "not spun"
    assert not [s for s in clean.substitutions if s.evidence.endswith(",known-name")]
