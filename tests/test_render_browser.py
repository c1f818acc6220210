"""The HTML report in a real browser: Debian's Chromium driven by Playwright (never a downloaded browser).

What a reader of the report relies on: it renders without errors; on a wide screen the input and its
restoration stand side by side (one above the other on a phone); every swapped span is highlighted with a
visible background, says its original on hover, and has its restoration, in the same order, in the other
column. Skipped where Chromium or Playwright is missing (.ci/run installs both).
"""

import shutil
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

REPO = Path(__file__).resolve().parents[1]
KARABAKH = REPO / "examples" / "karabakh-spun.txt"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# headless, and nothing that would reach for the network (this machine has none to give)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    from unspin.api import check
    from unspin.render import render_html

    report = check(KARABAKH.read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return report, path


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _open(browser, path: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    return page, errors


def test_swaps_are_highlighted_and_restored_side_by_side(browser, report_page):
    from unspin.render import suspected_spans

    report, path = report_page
    page, errors = _open(browser, path, 1400)
    try:
        assert page.title().startswith("unspin report")
        cols = page.locator(".columns > .col")
        assert cols.count() == 2
        left, right = cols.nth(0).bounding_box(), cols.nth(1).bounding_box()
        assert right["x"] >= left["x"] + left["width"] - 1, "restored text stands to the right of the input"
        assert abs(right["y"] - left["y"]) < 5
        assert cols.nth(0).locator("h3").inner_text() == "Input text"

        spun = page.locator("mark.spun")
        assert spun.count() == len(report.substitutions) > 20
        # each highlighted span reads as the input's characters, in order, and says its original on hover
        for k in (0, spun.count() // 2, spun.count() - 1):
            sub, mark = report.substitutions[k], spun.nth(k)
            assert mark.inner_text() == sub.spun
            assert mark.get_attribute("data-original") == sub.original
            assert mark.get_attribute("title").startswith(f"original: {sub.original} (confidence ")
            box = mark.bounding_box()
            assert box["width"] > 0 and box["height"] > 0
            bg = mark.evaluate("m => getComputedStyle(m).backgroundColor")
            assert bg not in ("rgba(0, 0, 0, 0)", "transparent"), "a highlight must be visible"
        # the restoration column shows each original where its spun span was, in the same order
        ins = cols.nth(1).locator("ins")
        assert ins.count() == len(report.substitutions)
        assert [ins.nth(k).inner_text() for k in range(3)] == [s.original for s in report.substitutions[:3]]
        assert ins.nth(0).get_attribute("title").startswith(f"was: {report.substitutions[0].spun} (")
        # words the localiser suspects but the decoder could not restore are marked apart, dotted
        suspected = page.locator("mark.suspected")
        assert suspected.count() == len(suspected_spans(report)) > 0
        assert suspected.first.evaluate("m => getComputedStyle(m).borderBottomStyle") == "dotted"
        assert page.locator(".badge").first.inner_text().strip() == report.verdict
        # the legend's swatches look like what they explain
        style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderBottomStyle]"
        for level in ("high", "mid"):
            marks = page.locator(f'mark.spun[data-level="{level}"]')
            if marks.count():
                assert page.locator(f".legend .key.{level}").evaluate(style) == marks.first.evaluate(style)
        assert page.locator(".legend .key.suspected").evaluate(style) == suspected.first.evaluate(style)
        assert page.locator(".legend .key.restored").evaluate(style) == ins.first.evaluate(style)
        assert not errors, errors
    finally:
        page.close()


def test_columns_stack_on_a_phone(browser, report_page):
    _, path = report_page
    page, errors = _open(browser, path, 390)
    try:
        cols = page.locator(".columns > .col")
        top, below = cols.nth(0).bounding_box(), cols.nth(1).bounding_box()
        assert below["y"] >= top["y"] + top["height"] - 1, "on a narrow screen the restoration comes below"
        # nothing wider than the screen: no sideways scrolling to read the text
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert not errors, errors
    finally:
        page.close()


def test_source_evidence_reads_side_by_side_and_on_a_phone(browser, report_page, tmp_path):
    """The Source section of a report that ``--index`` attributed: the aligned passage's input and source
    stand side by side with the differing words marked, and nothing needs sideways scrolling on a phone."""
    import copy

    from unspin.render import render_html

    report = copy.deepcopy(report_page[0])
    para = report.text.index("Russian forces are being withdrawn")
    end = report.text.index(".", para) + 1
    original = ("Russian forces are being withdrawn from Azerbaijan's Karabakh region, where they have been "
                "stationed as peacekeepers since the end of a war in 2020, officials of both countries said "
                "Wednesday.")
    report.source = {"matches": [{"id": "ap-karabakh-2024", "title": "Russia starts withdrawing peacekeepers",
                                  "url": "https://example.org/ap-karabakh", "score": 0.91, "verified": True}],
                     "passages": [{"query_start": para, "query_end": end, "source_start": 0,
                                   "source_end": len(original), "similarity": 0.81, "source_text": original}]}
    path = tmp_path / "attributed.html"
    path.write_text(render_html(report), encoding="utf-8")
    for width in (1400, 390):
        page, errors = _open(browser, path, width)
        try:
            passage = page.locator("details.passage")
            assert passage.count() == 1 and passage.get_attribute("open") is not None
            cols = passage.locator(".col")
            left, right = cols.nth(0).bounding_box(), cols.nth(1).bounding_box()
            if width > 800:
                assert right["x"] > left["x"] + left["width"] - 1 and abs(right["y"] - left["y"]) < 5
            else:
                assert right["y"] >= left["y"] + left["height"] - 1
                assert page.evaluate("document.documentElement.scrollWidth") <= width
            marked = [m.inner_text() for m in passage.locator("mark.diff").all()]
            inserted = [m.inner_text() for m in passage.locator("ins.diff").all()]
            assert "patch" in marked and "region" in inserted and "Karabakh" not in marked
            assert page.locator("table.matches a").get_attribute("href") == "https://example.org/ap-karabakh"
            assert not errors, errors
        finally:
            page.close()
