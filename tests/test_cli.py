"""Tests for the ``unspin`` command line.

Most run in-process with click's CliRunner; a few run the real console script in a subprocess to prove
that no traceback reaches a real terminal. Every bad input must give a non-zero exit and exactly one line
on stderr starting with ``unspin: error:``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from unspin.cli import cli
from unspin.pack import DEFAULT_PACK

REPO = Path(__file__).resolve().parent.parent
ARTICLE_HTML = Path(__file__).resolve().parent / "data" / "ingest" / "article.html"
DATA = Path(__file__).resolve().parent / "data" / "cli"
KARABAKH = REPO / "examples" / "karabakh-spun.txt"
CLEAN = DATA / "clean-news.txt"
UNREACHABLE_URL = "http://127.0.0.1:9/x"  # the discard port: nothing listens there

pytestmark = pytest.mark.skipif(not (DEFAULT_PACK / "lm.bin").is_file(), reason="default model pack not present")


# ---------------------------------------------------------------------------------------------------------
# Helpers and fixtures
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch):
    # UNSPIN_DEBUG would let tracebacks through on purpose; UNSPIN_PACK would change which pack loads.
    monkeypatch.delenv("UNSPIN_DEBUG", raising=False)
    monkeypatch.delenv("UNSPIN_PACK", raising=False)


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()  # click >= 8.2: stderr is always kept apart


def invoke(*args: str, input: str | bytes | None = None):
    return _runner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=True)


def assert_no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}"
    )
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr


def assert_clean_error(result, exit_code: int | None = None, message: str | None = None) -> str:
    """Non-zero exit, one line on stderr starting 'unspin: error:', no traceback, nothing on stdout."""
    assert_no_traceback(result)
    assert result.exit_code != 0, f"expected a failure, got exit 0 with stdout {result.stdout[:300]!r}"
    if exit_code is not None:
        assert result.exit_code == exit_code, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got {lines!r}"
    assert lines[0].startswith("unspin: error:"), lines[0]
    if message is not None:
        assert message.lower() in lines[0].lower(), lines[0]
    assert result.stdout == ""
    return lines[0]


def json_lines(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def assert_offsets_valid(report: dict) -> None:
    for s in report["substitutions"]:
        assert 0 <= s["start"] < s["end"] <= len(report["text"]), s
        assert report["text"][s["start"] : s["end"]] == s["spun"], s
        assert 0.5 <= s["confidence"] <= 1.0, s


def _script() -> list[str]:
    exe = Path(sys.executable).with_name("unspin")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "unspin.cli"]


def run_script(*args: str, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real console script, in a real process (what a user's terminal sees)."""
    env = {k: v for k, v in os.environ.items() if k not in ("UNSPIN_DEBUG", "UNSPIN_PACK")}
    return subprocess.run([*_script(), *map(str, args)], input=input, capture_output=True, cwd=REPO, env=env,
                          timeout=timeout)


def assert_script_clean_error(proc: subprocess.CompletedProcess, exit_code: int) -> str:
    stderr = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and b"Traceback" not in proc.stdout, stderr
    assert proc.returncode == exit_code, (proc.returncode, stderr)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("unspin: error:"), lines
    assert proc.stdout == b""
    return lines[0]


@pytest.fixture(scope="module")
def karabakh_json() -> dict:
    result = invoke("check", KARABAKH, "--format", "json")
    assert result.exit_code == 0, result.stderr
    reports = json_lines(result.stdout)
    assert len(reports) == 1
    return reports[0]


@pytest.fixture(scope="module")
def corrupt_pack(tmp_path_factory) -> Path:
    """A copy of the default pack whose lm.bin is truncated (the real pack is never touched)."""
    d = tmp_path_factory.mktemp("corrupt") / "pack"
    d.mkdir()
    shutil.copy2(DEFAULT_PACK / "manifest.json", d / "manifest.json")
    shutil.copy2(DEFAULT_PACK / "lexicon.tsv.gz", d / "lexicon.tsv.gz")
    with open(DEFAULT_PACK / "lm.bin", "rb") as src:
        (d / "lm.bin").write_bytes(src.read(5_000_000))
    return d


# ---------------------------------------------------------------------------------------------------------
# check: the three formats
# ---------------------------------------------------------------------------------------------------------


def test_check_json_one_line(karabakh_json):
    r = karabakh_json
    print(r["verdict"], r["spin_probability"], len(r["substitutions"]))
    assert r["name"] == str(KARABAKH)
    assert r["verdict"] == "spun"
    assert r["spin_probability"] > 0.8


def test_check_json_report_fields_and_offsets(karabakh_json):
    r = karabakh_json
    assert {"spin_probability", "verdict", "text", "restored", "substitutions", "source", "notes"} <= set(r)
    assert r["text"] == KARABAKH.read_text(encoding="utf-8")
    assert len(r["substitutions"]) >= 15
    assert_offsets_valid(r)
    assert r["restored"] != r["text"]
    assert r["notes"] == ["restored with the dictionary of a phrase-dictionary spinner weighted up"]


def test_check_two_inputs_give_json_lines():
    result = invoke("check", KARABAKH, CLEAN, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("\n")
    lines = result.stdout.splitlines()
    assert len(lines) == 2, "JSON Lines: one object per input, each on one line"
    reports = [json.loads(line) for line in lines]
    assert [r["name"] for r in reports] == [str(KARABAKH), str(CLEAN)]
    for r in reports:
        assert_offsets_valid(r)
    assert reports[1]["verdict"] in ("not spun", "uncertain")
    assert reports[0]["spin_probability"] > reports[1]["spin_probability"]


def test_check_with_two_jobs_gives_the_same_lines_and_errors(tmp_path):
    """``--jobs 2``: inputs are checked in two worker processes; the output and the one-line error for a bad
    input are those of one process, in the inputs' order."""
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    args = ("check", CLEAN, empty, KARABAKH, "--format", "json")
    one, two = invoke(*args), invoke(*args, "--jobs", "2")
    assert one.exit_code == two.exit_code == 1
    assert two.stdout == one.stdout and [json.loads(x)["name"] for x in two.stdout.splitlines()] == \
           [str(CLEAN), str(KARABAKH)]
    assert two.stderr == one.stderr and "empty" in two.stderr and len(two.stderr.splitlines()) == 1
    assert_clean_error(invoke("check", CLEAN, KARABAKH, "--jobs", "2", "--neural"), 2, "--jobs")


def test_a_folder_stands_for_its_text_and_html_files(tmp_path):
    """A folder among the inputs is checked file by file (.txt and .html, recursively, in sorted order), as
    `index build` reads one; a folder with none is one error line among the results."""
    pages = tmp_path / "site"
    (pages / "b").mkdir(parents=True)
    shutil.copy(KARABAKH, pages / "b" / "karabakh.txt")
    shutil.copy(CLEAN, pages / "a-clean.txt")
    (pages / "notes.md").write_text("not a page", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    result = invoke("check", pages, tmp_path / "empty", "--format", "json")
    assert result.exit_code == 1  # one input failed, the others were checked
    names = [json.loads(line)["name"] for line in result.stdout.splitlines()]
    assert names == [str(pages / "a-clean.txt"), str(pages / "b" / "karabakh.txt")]
    assert result.stderr.strip().endswith("empty: no .txt or .html file in this folder")
    assert len(result.stderr.splitlines()) == 1


def test_restore_with_two_jobs_prints_the_same_texts_in_order():
    one, two = invoke("restore", KARABAKH, CLEAN), invoke("restore", KARABAKH, CLEAN, "--jobs", "2")
    assert one.exit_code == two.exit_code == 0, two.stderr
    assert two.stdout == one.stdout and "Karabakh" in one.stdout.split("\n")[0]


def test_text_check_of_several_inputs_ends_with_a_summary_line(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    result = invoke("check", KARABAKH, CLEAN, empty)
    assert result.exit_code == 1  # one input failed, the others were checked
    last = result.stdout.rstrip("\n").splitlines()[-1]
    assert re.fullmatch(r"3 inputs: 1 spun, 1 (uncertain|not spun), 1 failed", last), last
    single = invoke("check", KARABAKH)
    assert "inputs:" not in single.stdout


def test_jobs_auto_keeps_a_small_batch_in_one_process(monkeypatch, tmp_path):
    """The default ``--jobs auto`` starts no worker for a batch too small to repay their start; ``--jobs``
    takes a positive number or ``auto``, anything else is a usage error (exit 2), as for other options."""
    import unspin.api

    def no_workers(*a, **k):
        raise AssertionError("a worker pool was started for two inputs")

    monkeypatch.setattr(unspin.api, "check_many", no_workers)
    result = invoke("check", CLEAN, KARABAKH, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
    for bad in ("0", "-1", "two"):
        result = invoke("check", CLEAN, "--jobs", bad)
        assert_no_traceback(result)
        assert result.exit_code == 2 and "is not a number of jobs" in result.stderr


def test_jobs_auto_uses_the_cpus_for_a_large_batch(monkeypatch):
    from unspin import api

    monkeypatch.setattr(api.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert api.auto_jobs(api.AUTO_JOBS_MIN_TEXTS - 1) == 1
    assert api.auto_jobs(api.AUTO_JOBS_MIN_TEXTS) == 3
    monkeypatch.setattr(api.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert api.auto_jobs(1000) == api.AUTO_JOBS_MAX


def test_check_html_output_file(tmp_path):
    out = tmp_path / "out.html"
    result = invoke("check", KARABAKH, "--format", "html", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # the report went to the file
    html = out.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert html.count("<mark") >= 15
    assert html.count("<mark") == html.count("</mark>")
    assert "newshounds" in html
    assert [p.name for p in tmp_path.iterdir()] == ["out.html"], "no temporary file left behind"


def test_failed_run_does_not_clobber_existing_output(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    out = tmp_path / "report.html"
    out.write_text("KEEP ME\n", encoding="utf-8")
    for fmt in ("html", "json"):
        result = invoke("check", empty, "--format", fmt, "-o", out)
        assert_clean_error(result, 3, "empty")
        assert out.read_text(encoding="utf-8") == "KEEP ME\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.txt", "report.html"]


def test_partial_failure_writes_good_reports_and_exits_1(tmp_path):
    out = tmp_path / "out.jsonl"
    missing = tmp_path / "missing.txt"
    result = invoke("check", CLEAN, missing, "--format", "json", "-o", out)
    assert_no_traceback(result)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("unspin: error:") and "missing.txt" in lines[0]
    reports = json_lines(out.read_text(encoding="utf-8"))
    assert [r["name"] for r in reports] == [str(CLEAN)]


def test_check_text_format():
    result = invoke("check", KARABAKH, "--format", "text")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "\x1b[" not in out, "no ANSI colour codes when stdout is not a terminal"
    assert any(v in out for v in ("spun", "uncertain", "not spun"))
    assert "spin probability" in out
    assert "Restored" in out
    assert "[\u2192where]" in out  # the inline original after "the place"


def test_check_text_format_to_file(tmp_path):
    out = tmp_path / "report.txt"
    result = invoke("check", KARABAKH, "--format", "text", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert "Restored" in text and "spin probability" in text
    assert "\x1b[" not in text


def test_check_html_to_stdout():
    result = invoke("check", CLEAN, "--format", "html")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.lstrip().lower().startswith("<!doctype html")
    assert "Firefighters made progress" in result.stdout


def test_min_confidence_filters_substitutions(karabakh_json):
    result = invoke("check", KARABAKH, "--format", "json", "--min-confidence", "0.95")
    assert result.exit_code == 0, result.stderr
    (r,) = json_lines(result.stdout)
    assert_offsets_valid(r)
    assert all(s["confidence"] >= 0.95 for s in r["substitutions"])
    assert len(r["substitutions"]) <= len(karabakh_json["substitutions"])


@pytest.mark.parametrize("value", ["1.5", "-0.1", "abc"])
def test_min_confidence_out_of_range_is_a_usage_error(value):
    result = invoke("check", KARABAKH, "--min-confidence", value)
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert "min-confidence" in result.stderr


# ---------------------------------------------------------------------------------------------------------
# restore and stdin
# ---------------------------------------------------------------------------------------------------------


def test_restore_prints_restored_text(karabakh_json):
    result = invoke("restore", KARABAKH)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "where they have" in out or "where they had" in out
    assert "the place they" not in out
    assert out.rstrip("\n") == karabakh_json["restored"].rstrip("\n")


def test_check_stdin():
    text = KARABAKH.read_text(encoding="utf-8")
    result = invoke("check", "-", "--format", "json", input=text)
    assert result.exit_code == 0, result.stderr
    (r,) = json_lines(result.stdout)
    assert r["name"] == "-"
    assert r["text"] == text
    assert len(r["substitutions"]) >= 15
    assert_offsets_valid(r)


def test_check_html_from_stdin_extracts_the_article():
    result = invoke("check", "-", "--format", "json", input=ARTICLE_HTML.read_bytes())
    assert result.exit_code == 0, result.stderr
    (r,) = json_lines(result.stdout)
    assert "<p" not in r["text"] and "tracking" not in r["text"]
    assert "cookies" not in r["text"].lower(), "the cookie banner is not the article"
    assert_offsets_valid(r)


def test_check_empty_stdin_is_a_clean_error():
    assert_clean_error(invoke("check", "-", input=""), 3, "empty")


# ---------------------------------------------------------------------------------------------------------
# bad inputs: one line on stderr, non-zero exit, no traceback
# ---------------------------------------------------------------------------------------------------------


def _make_input(kind: str, tmp_path: Path) -> str:
    if kind == "empty":
        p = tmp_path / "empty.txt"
        p.write_bytes(b"")
    elif kind == "whitespace":
        p = tmp_path / "blank.txt"
        p.write_bytes(b"  \n\t\r\n   \n")
    elif kind == "binary":
        p = DATA / "header.png"
    elif kind == "undecodable":
        p = DATA / "cp1252-undecodable.txt"
    elif kind == "french":
        p = DATA / "french.txt"
    elif kind == "german":
        p = DATA / "german.txt"
    elif kind == "missing":
        p = tmp_path / "does-not-exist.txt"
    elif kind == "directory":
        p = tmp_path
    elif kind == "url":
        return UNREACHABLE_URL
    else:
        raise AssertionError(kind)
    return str(p)


BAD_INPUTS = {
    "empty": "empty",
    "whitespace": "empty",
    "binary": "binary",
    "undecodable": "encoding",
    "french": "French",
    "german": "German",
    "missing": "no such file",
    "directory": "directory",
    "url": "cannot fetch",
}


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_check_bad_input(kind, tmp_path):
    source = _make_input(kind, tmp_path)
    line = assert_clean_error(invoke("check", source, "--format", "json"), 3, BAD_INPUTS[kind])
    assert source in line


@pytest.mark.parametrize("kind", ["empty", "binary", "missing", "url"])
def test_restore_bad_input(kind, tmp_path):
    assert_clean_error(invoke("restore", _make_input(kind, tmp_path)), 3, BAD_INPUTS[kind])


def test_malformed_html_is_checked_or_refused_cleanly():
    result = invoke("check", DATA / "malformed.html", "--format", "json")
    assert_no_traceback(result)
    assert result.exit_code in (0, 3), result.stderr
    if result.exit_code == 0:
        (r,) = json_lines(result.stdout)
        assert "city council voted" in r["text"]
        assert "<div>" not in r["text"] and "<b>" not in r["text"]
        assert_offsets_valid(r)
    else:
        assert_clean_error(result, 3)


@pytest.fixture(scope="module")
def http_server():
    """A local web server for tests/data (no network needed)."""
    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, *args):  # the server's request log would land in the captured stderr
            pass

    handler = partial(QuietHandler, directory=str(ARTICLE_HTML.parent.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_check_url(http_server):
    url = f"{http_server}/ingest/article.html"
    result = invoke("check", url, "--format", "json")
    assert result.exit_code == 0, result.stderr
    (r,) = json_lines(result.stdout)
    assert r["name"] == url
    assert "cookies" not in r["text"].lower() and "<p" not in r["text"]
    assert_offsets_valid(r)


def test_check_url_404(http_server):
    assert_clean_error(invoke("check", f"{http_server}/nope.html"), 3, "HTTP 404")


def test_unwritable_output_is_a_clean_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = invoke("check", CLEAN, "--format", "json", "-o", blocker / "out.json")
    line = assert_clean_error(result)
    assert "internal error" not in line


def test_missing_pack():
    line = assert_clean_error(invoke("check", KARABAKH, "--pack", "/nonexistent"), 4, "not found")
    assert "/nonexistent" in line


def test_corrupt_pack(corrupt_pack):
    assert_clean_error(invoke("check", KARABAKH, "--pack", corrupt_pack), 4, "corrupt")
    assert_clean_error(invoke("restore", KARABAKH, "--pack", corrupt_pack), 4, "corrupt")
    assert_clean_error(invoke("pack", "info", "--pack", corrupt_pack), 4, "corrupt")


def test_missing_or_corrupt_neural_model(tmp_path, monkeypatch):
    """--neural with a missing or damaged model file (or without the extra installed): one line, exit 4."""
    monkeypatch.setenv("UNSPIN_NEURAL_MODEL", str(tmp_path / "missing.gguf"))
    line = assert_clean_error(invoke("check", KARABAKH, "--neural"), 4, "neural")
    assert "missing.gguf" in line or "extra" in line
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    monkeypatch.setenv("UNSPIN_NEURAL_MODEL", str(bad))
    assert_clean_error(invoke("restore", KARABAKH, "--neural"), 4, "neural")


def test_bad_input_does_not_need_the_pack():
    """An input error is reported as such even when the pack is missing (the pack loads only when needed)."""
    assert_clean_error(invoke("check", "/nonexistent/input.txt", "--pack", "/nonexistent"), 3, "no such file")


def test_huge_input_is_truncated_with_a_note(tmp_path):
    sentence = ("The city council voted on Tuesday to approve a new budget for the coming year, and the mayor said "
                "the plan would pay for more teachers and repair several roads. ")
    huge = tmp_path / "huge.txt"
    huge.write_text(sentence * (3_000_000 // len(sentence) + 1), encoding="utf-8")
    assert huge.stat().st_size >= 3_000_000
    result = invoke("check", huge, "--format", "json", "--max-chars", "20000")
    assert result.exit_code == 0, result.stderr
    (r,) = json_lines(result.stdout)
    assert len(r["text"]) <= 20000
    assert r["text"].endswith("roads.") or r["text"][-1].isalpha(), "cut at a word boundary"
    assert any("truncated" in note for note in r["notes"]), r["notes"]
    assert_offsets_valid(r)


# ---------------------------------------------------------------------------------------------------------
# pack info and --help
# ---------------------------------------------------------------------------------------------------------


def test_pack_info():
    result = invoke("pack", "info")
    assert result.exit_code == 0, result.stderr
    first, rest = result.stdout.split("\n", 1)
    assert "checksums OK" in first
    manifest = json.loads(rest)
    assert {"lexicon.tsv.gz", "lm.bin"} <= set(manifest["files"])


def test_pack_info_missing_pack():
    assert_clean_error(invoke("pack", "info", "--pack", "/nonexistent"), 4, "not found")


@pytest.mark.parametrize("args", [["check"], ["restore"], ["pack", "build"], ["bench"], ["pack", "info"], []])
def test_help(args):
    result = invoke(*args, "--help")
    assert_no_traceback(result)
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert "--help" in result.stdout


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert "0." in result.stdout


def test_no_inputs_is_a_usage_error():
    result = invoke("check")
    assert_no_traceback(result)
    assert result.exit_code == 2
    assert "INPUTS" in result.stderr


# ---------------------------------------------------------------------------------------------------------
# The real console script in a subprocess: what a user's terminal sees
# ---------------------------------------------------------------------------------------------------------


def test_script_check_json():
    proc = run_script("check", KARABAKH, "--format", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
    (r,) = json_lines(proc.stdout.decode("utf-8"))
    assert len(r["substitutions"]) >= 15
    assert_offsets_valid(r)


@pytest.mark.parametrize("kind", ["empty", "binary", "url"])
def test_script_bad_input(kind, tmp_path):
    proc = run_script("check", _make_input(kind, tmp_path))
    assert BAD_INPUTS[kind].lower() in assert_script_clean_error(proc, 3).lower()


def test_script_missing_pack():
    proc = run_script("check", KARABAKH, "--pack", "/nonexistent")
    assert "not found" in assert_script_clean_error(proc, 4)


def test_script_corrupt_pack(corrupt_pack):
    proc = run_script("check", KARABAKH, "--pack", corrupt_pack)
    assert "corrupt" in assert_script_clean_error(proc, 4)


def test_script_broken_pipe():
    """`unspin check ... | head -1`: the reader goes away; no traceback, no 'Exception ignored' noise."""
    p = subprocess.Popen([*_script(), "check", str(KARABAKH), str(KARABAKH), "--format", "json"], cwd=REPO,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env={k: v for k, v in os.environ.items() if k != "UNSPIN_DEBUG"})
    p.stdout.close()
    try:
        err = p.stderr.read()
        p.wait(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert b"Traceback" not in err and b"Exception ignored" not in err, err
    assert p.returncode != 0
