"""Preparing LM training text, and (slow) building KenLM's tools and a tiny pack end to end."""

import gzip
import json
import shutil
from pathlib import Path

import pytest

from unspin.lmbuild import read_corpus, sentences, write_lm_text

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _corpus(tmp_path, docs):
    path = tmp_path / "c.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for i, text in enumerate(docs):
            f.write(json.dumps({"id": str(i), "text": text}) + "\n")
        f.write("not json\n")  # a broken line is skipped, not fatal
    return path


def test_sentences_split_on_ends_and_lines():
    text = "Officials said the war ended. The region was quiet!\n\nNew paragraph here"
    assert list(sentences(text)) == ["Officials said the war ended.", "The region was quiet!", "New paragraph here"]


def test_lm_text_is_tokenised_like_the_decoder(tmp_path):
    path = _corpus(tmp_path, ["Azerbaijan’s forces didn’t leave. Two words", ""])
    out = tmp_path / "lm.txt"
    with open(out, "w", encoding="utf-8") as f:
        n = write_lm_text(read_corpus(path), f)
    lines = out.read_text().splitlines()
    assert lines == ["azerbaijan 's forces did n't leave ."]  # short sentences are dropped
    assert n == 7


@pytest.mark.slow
def test_pack_build_end_to_end(tmp_path, monkeypatch):
    """Builds lmplz/build_binary if needed (minutes on first run) and a tiny pack from ../shared."""
    if not (SHARED / "corpora").is_dir():
        pytest.skip("../shared not present")
    if not Path("/usr/share/wordnet").is_dir():
        pytest.skip("wordnet-base not installed")
    from unspin.api import Checker
    from unspin.pack import build_pack, load_pack

    out = tmp_path / "pack"
    m = build_pack(out, SHARED, corpora=["reuters21578"], order=3, prune=(0, 1, 1), limit_docs=2000)
    assert set(m["files"]) == {"lexicon.tsv.gz", "lm.bin"}
    load_pack(out)  # checksums verify
    report = Checker(out).check("Officials stated the battle finished, journalists were told where it ended.")
    assert report.words == 11
    # an interrupted rebuild (here: an unknown corpus) leaves the previous pack usable
    with pytest.raises(Exception):
        build_pack(out, SHARED, corpora=["no-such-corpus"], lm_only=True)
    load_pack(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pack-")]
    shutil.rmtree(out)
