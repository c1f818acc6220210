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
    assert set(m["files"]) == {"lexicon.tsv.gz", "lm.bin", "names.txt.gz"}
    load_pack(out)  # checksums verify
    report = Checker(out).check("Officials stated the battle finished, journalists were told where it ended.")
    assert report.words == 11
    # an interrupted rebuild (here: an unknown corpus) leaves the previous pack usable
    with pytest.raises(Exception):
        build_pack(out, SHARED, corpora=["no-such-corpus"], lm_only=True)
    load_pack(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pack-")]
    shutil.rmtree(out)


def test_names_inside_a_sentence_are_one_word_for_the_lm(tmp_path):
    """A capitalised word inside a sentence that is rare in English (a name) is written as NAME_TOKEN, so
    the model learns "<name> said"; common capitalised words, and any word starting a sentence or a quote,
    keep their own form."""
    from unspin.document import NAME_TOKEN, lm_forms, tokenize

    assert lm_forms(tokenize("Manager Phil Nevin said Ohtani will return to Houston.")) == [
        "manager", "phil", NAME_TOKEN, "said", NAME_TOKEN, "will", "return", "to", "houston", "."]
    assert lm_forms(tokenize('Nevin said: "Ohtani is back."'))[:1] == ["nevin"]  # sentence start
    assert lm_forms(tokenize('He said: "Ohtani is back."'))[4] == "ohtani"  # a quoted sentence starts
    assert lm_forms(tokenize("the ohtani deal"))[1] == "ohtani"  # not capitalised: a word like any other
    path = _corpus(tmp_path, ["Manager Phil Nevin said Ohtani will return."])
    with open(tmp_path / "a.txt", "w", encoding="utf-8") as f:
        write_lm_text(read_corpus(path), f)
    with open(tmp_path / "b.txt", "w", encoding="utf-8") as f:
        write_lm_text(read_corpus(path), f, names=False)
    assert (tmp_path / "a.txt").read_text().split() == ["manager", "phil", NAME_TOKEN, "said", NAME_TOKEN, "will",
                                                        "return", "."]
    assert NAME_TOKEN not in (tmp_path / "b.txt").read_text()


def test_decoder_queries_names_as_the_lm_was_trained(tmp_path, monkeypatch):
    """The decoder writes names as NAME_TOKEN only for a language model that knows that word (packs built
    before name classes are queried as before)."""
    from conftest import write_arpa
    from unspin.document import NAME_TOKEN, Document
    from unspin.lexicon import Lexicon, build_table
    from unspin.lm import KenLMScorer
    from unspin.restore import Restorer, sentences as doc_sentences

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    table = tmp_path / "lexicon.tsv.gz"
    build_table([("stated", "said", 0.0, "observed:x")], table)
    doc = Document("Officials told Nevin the news.")
    tokens = doc.tokens()
    sents = doc_sentences(tokens, doc.text)
    with_names = Restorer(Lexicon(table), KenLMScorer(write_arpa([f"officials told {NAME_TOKEN} the news ."],
                                                                 tmp_path / "a.arpa")))
    assert with_names.lm_words(tokens, sents)[2] == NAME_TOKEN
    assert with_names.sentence_lm_words(tokens, 0, len(tokens))[2] == NAME_TOKEN
    plain = Restorer(Lexicon(table), KenLMScorer(write_arpa(["officials told nevin the news ."], tmp_path / "b.arpa")))
    assert plain.lm_words(tokens, sents)[2] == "nevin"


def test_lmplz_patch_initialises_its_flags():
    """lmplz of kenlm-ex 0.2.1 leaves three bools uninitialised when their flags are absent (it hung or crashed
    at step 2 on one build); the patch sets them, drops CLI11's duplicate help flag, and is idempotent."""
    from unspin.lmbuild import patch_lmplz_main

    code = ('int main() {\n    lm::builder::PipelineConfig pipeline;\n    bool verbose_header;\n'
            '    app.add_flag("-h,--help", help, "Show this help message");\n}\n')
    patched = patch_lmplz_main(code)
    assert "pipeline.renumber_vocabulary = false;" in patched and "pipeline.output_q = false;" in patched
    assert "bool verbose_header = false;" in patched and "bool verbose_header;" not in patched
    assert patched.index("app.set_help_flag();") < patched.index('app.add_flag("-h,--help"')
    assert patch_lmplz_main(patched) == patched


def test_one_cache_folder_for_every_part(tmp_path, monkeypatch):
    """The LM tools, the lexicon's SQLite copy and WordNet's files all live under the same cache folder."""
    from unspin import cache, lexicon, lmbuild, wordnet

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "c"))
    assert cache.cache_dir() == tmp_path / "c"
    assert lmbuild.cache_dir is lexicon.cache_dir is wordnet.cache_dir is cache.cache_dir
    monkeypatch.setenv("UNSPIN_CACHE", "")  # set but empty: the default, not the working folder
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "unspin"


def test_bounded_memo_drops_its_older_half_when_full():
    from unspin.cache import bounded_put

    memo: dict = {}
    for k in range(10):
        bounded_put(memo, k, str(k), limit=8)
    assert len(memo) <= 8
    assert list(memo)[-1] == 9 and 0 not in memo  # the newest kept, the oldest gone
    assert memo[9] == "9"
