"""`unspin bench`'s detection of a third-party spinner no model was trained on, and how the CLI shows it."""

from pathlib import Path

import pytest

from unspin import bench

SHARED = Path(__file__).resolve().parents[2] / "shared"  # ../shared beside the project


@pytest.mark.skipif(not (SHARED / "corpora").is_dir(), reason="needs ../shared corpora")
def test_thirdparty_detection_scores_clean_and_spun_versions_of_the_same_documents():
    out = bench.bench_detection_thirdparty(SHARED, 2, corpora=("reuters21578",), rates=(0.3,))
    assert out["spinner"] == "nlpaug-wordnet"
    m = out["per_rate"]["0.3"]
    assert m["texts"] == 4 and m["clean"] == 2  # each document clean and spun
    assert m["auc"] is not None and 0.0 <= m["auc"] <= 1.0
    flagged = m["flagged"]
    assert flagged["documents"] == 2 and flagged["tp"] + flagged["fn"] > 0  # the spinner's swaps are the truth


def test_bench_cli_prints_the_thirdparty_rows(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from unspin.cli import cli

    det = {"texts": 60, "auc": 0.99, "f1": 0.9, "tpr_at_1pct_fpr": 0.8, "false_alarms": 1, "clean": 30}
    fake = {"date": "2026-11-29", "machine": "test", "split": "test",
            "detection": {"per_family": {"phrase": det}, "per_corpus": {"reuters21578": det}, "all": det,
                          "localisation": {}, "localisation_restored": {}},
            "detection_thirdparty": {"spinner": "nlpaug-wordnet",
                                     "per_rate": {"0.15": {**det, "flagged": {"f1": 0.712}}}},
            "real_detection": {"min_spun": 1.0, "max_clean": 0.19, "spun_flagged": 5, "spun": [1] * 5,
                               "clean_flagged": 0, "clean": [0] * 12}}
    monkeypatch.setattr(bench, "run", lambda *a, **k: fake)
    (tmp_path / "data").mkdir()
    result = CliRunner().invoke(cli, ["bench", "--shared", str(tmp_path), "--only", "detection"])
    assert result.exit_code == 0, result.output
    assert "never trained on: nlpaug-wordnet, rate 0.15" in result.output and "0.712" in result.output


def test_bench_cli_prints_throughput_in_one_process_and_as_check_runs_a_batch(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from unspin.cli import cli

    fake = {"date": "2026-11-29", "machine": "test", "split": "test",
            "throughput": {"documents": 572, "words": 23166, "seconds": 17.9, "words_per_second": 1296,
                           "peak_rss_mb": 522, "jobs": {"jobs": 2, "seconds": 11.2, "words_per_second": 2068},
                           "after_first_docs": {"documents": 472, "words": 115550, "words_per_second": 2150}}}
    monkeypatch.setattr(bench, "run", lambda *a, **k: fake)
    (tmp_path / "data").mkdir()
    result = CliRunner().invoke(cli, ["bench", "--shared", str(tmp_path), "--only", "throughput"])
    assert result.exit_code == 0, result.output
    assert "in one process: 1296 words/s" in result.output
    assert "--jobs auto: 2 workers" in result.output and "2068 words/s" in result.output
    assert "the 472 documents after the first 100" in result.output and "2150 words/s" in result.output
    assert "recovery" not in result.output  # no empty restoration table


def test_throughput_of_a_long_batch_is_measured_after_the_first_documents(monkeypatch, tmp_path):
    import types

    import unspin.api

    class FakeChecker:
        def __init__(self, pack):
            self.seen = 0

        def check(self, text):
            self.seen += 1
            return types.SimpleNamespace(words=len(text.split()))

    monkeypatch.setattr(unspin.api, "Checker", FakeChecker)
    docs = [{"text": "word " * (k % 7 + 1)} for k in range(bench.WARM_AFTER_DOCS + 30)]
    monkeypatch.setattr(bench, "corpus_docs", lambda path, split, n: docs[:n])
    out = bench.bench_throughput(tmp_path, len(docs), jobs=1)
    assert out["documents"] == len(docs) and out["words"] == sum(k % 7 + 1 for k in range(len(docs)))
    warm = out["after_first_docs"]
    assert warm["documents"] == 30 and warm["words"] == sum(k % 7 + 1 for k in range(bench.WARM_AFTER_DOCS, len(docs)))
    assert "jobs" not in out
    assert "after_first_docs" not in bench.bench_throughput(tmp_path, 50, jobs=1)
