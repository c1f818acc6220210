"""Tests for unspin.render: JSON Lines, the rich terminal report, and the HTML page.

Reports are built by hand so these tests need no model pack and run in milliseconds.
"""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import pytest
from rich.console import Console

from unspin.document import Report, Substitution
from unspin.render import highlight_segments, render_html, render_json, render_text, restored_segments

TEXT = "Russian forces left the Karabakh patch, the place they have got been stationed."
RESTORED = "Russian forces left the Karabakh region, where they have been stationed."


def sub(text: str, spun: str, original: str, confidence: float, evidence: str = "observed", nth: int = 0) -> Substitution:
    """A Substitution for the nth occurrence of ``spun`` in ``text``, offsets computed, not typed."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(spun, start + 1)
    return Substitution(start, start + len(spun), spun, original, confidence, evidence)


def make_report(text: str = TEXT, restored: str = RESTORED, subs: list[Substitution] | None = None, **kw) -> Report:
    if subs is None:
        subs = [
            sub(text, "patch", "region", 0.93, "tortured"),
            sub(text, "the place", "where", 0.71, "observed"),
            sub(text, "have got", "have", 0.42, "wordnet"),
        ]
    fields = dict(
        name="karabakh.txt",
        text=text,
        restored=restored,
        substitutions=subs,
        spin_probability=0.874,
        verdict="spun",
        words=13,
        features={"rate": 0.2307692},
    )
    fields.update(kw)
    return Report(**fields)


def text_output(report: Report, width: int = 100) -> str:
    console = Console(no_color=True, width=width, file=io.StringIO())
    render_text(report, console)
    return console.file.getvalue()


def squash(s: str) -> str:
    """Collapse whitespace, so assertions don't depend on where rich wraps lines."""
    return " ".join(s.split())


# ---------------------------------------------------------------------------------------------------
# highlight_segments / restored_segments
# ---------------------------------------------------------------------------------------------------


def test_segments_reassemble_text_and_mark_spans():
    report = make_report()
    segs = highlight_segments(report.text, report.substitutions)
    assert "".join(piece for piece, _ in segs) == TEXT
    marked = [(piece, s.original) for piece, s in segs if s is not None]
    assert marked == [("patch", "region"), ("the place", "where"), ("have got", "have")]


def test_segments_sort_skip_overlaps_and_bad_offsets():
    text = "alpha beta gamma"
    subs = [
        Substitution(11, 16, "gamma", "delta", 0.9),  # out of order, and ends exactly at the text end
        Substitution(0, 5, "alpha", "first", 0.9),  # starts at offset 0
        Substitution(3, 10, "ha beta", "x", 0.5),  # overlaps "alpha": skipped
        Substitution(14, 40, "ma...", "y", 0.5),  # runs past the end: skipped
        Substitution(6, 6, "", "z", 0.5),  # empty: skipped
    ]
    segs = highlight_segments(text, subs)
    assert "".join(p for p, _ in segs) == text
    assert [(p, s.original) for p, s in segs if s] == [("alpha", "first"), ("gamma", "delta")]


def test_restored_segments_follow_restorer_case():
    text = "The place it rained."
    report = make_report(text=text, restored="Where it rained.", subs=[sub(text, "The place", "where", 0.8)])
    pieces = restored_segments(report)
    assert "".join(p for p, _, _ in pieces) == "Where it rained."
    assert [p for p, _, changed in pieces if changed] == ["Where"]


def test_restored_segments_fall_back_to_a_diff():
    # The restorer also dropped a word the substitutions don't mention: the diff still finds "region".
    report = make_report(restored="Russian forces left Karabakh region, where they have been stationed.")
    pieces = restored_segments(report)
    assert "".join(p for p, _, _ in pieces) == report.restored
    changed = [(p, s.spun if s else None) for p, s, c in pieces if c]
    assert ("region", "patch") in changed


# ---------------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------------


def test_json_round_trip_and_offsets():
    report = make_report()
    line = render_json(report)
    assert "\n" not in line
    data = json.loads(line)
    assert set(data) >= {"name", "spin_probability", "verdict", "words", "substitutions", "text", "restored", "source", "features", "notes"}
    assert data["verdict"] == "spun" and data["spin_probability"] == pytest.approx(0.874)
    assert data["restored"] == RESTORED
    for s in data["substitutions"]:
        assert data["text"][s["start"] : s["end"]] == s["spun"]
    assert [s["original"] for s in data["substitutions"]] == ["region", "where", "have"]


def test_json_lines_with_multiline_and_unicode_text():
    text = "First line\nsecond \u2028 line \u00e9t\u00e9 \u201cquoted\u201d"
    reports = [make_report(text=text, restored=text, subs=[], name=f"r{i}") for i in range(2)]
    jsonl = "\n".join(render_json(r) for r in reports)
    lines = jsonl.splitlines()  # splitlines also splits on U+2028, which must therefore be escaped
    assert len(lines) == 2
    assert [json.loads(line)["name"] for line in lines] == ["r0", "r1"]
    assert json.loads(lines[0])["text"] == text
    assert "\u00e9t\u00e9" in lines[0]  # ensure_ascii=False: readable, not \u00e9


# ---------------------------------------------------------------------------------------------------
# Terminal
# ---------------------------------------------------------------------------------------------------


def test_text_render_header_inline_originals_and_restored():
    out = text_output(make_report(notes=["input truncated to 2,000,000 characters"]))
    flat = squash(out)
    assert "karabakh.txt" in out
    assert "spun" in out and "87%" in out
    assert "13 words" in flat and "3 swapped spans" in flat
    assert "patch[→region]" in flat
    assert "the place[→where]" in flat
    assert "have got[→have]" in flat
    assert "Restored text" in out
    assert RESTORED in flat
    assert "93%" in out and "tortured" in out  # the table row for "patch"
    assert "input truncated to 2,000,000 characters" in flat


def test_text_render_prints_markup_literally():
    text = "He said [bold]hello[/bold] and [red]left[/]."
    report = make_report(text=text, restored=text.replace("left", "departed"), subs=[sub(text, "left", "departed", 0.6)])
    flat = squash(text_output(report))
    assert "[bold]hello[/bold]" in flat
    assert "[red]left[→departed][/]" in flat


def test_text_render_verdicts_and_source():
    for verdict in ("spun", "uncertain", "not spun"):
        out = text_output(make_report(verdict=verdict, source={"title": "Troops leave [Karabakh]", "id": "w123", "score": 0.9312}))
        assert verdict in out
        assert "Source:" in out and "Troops leave [Karabakh]" in out and "w123" in out and "0.931" in out


def test_text_render_limits_table_rows():
    words = " ".join(f"w{i}" for i in range(60))
    subs = [
        Substitution(m.start(), m.end(), m.group(), "o" + m.group()[1:], 0.9, "moby")
        for m in re.finditer(r"\w+", words)
    ]
    out = text_output(make_report(text=words, restored=words, subs=subs, words=60), width=200)
    assert "... and 10 more" in out
    assert "o49" in out  # last tabled row (and inline)
    assert sum(1 for line in out.splitlines() if "moby" in line) == 50


def test_text_render_without_substitutions():
    text = "A plain, honest sentence."
    out = text_output(make_report(text=text, restored=text, subs=[], verdict="not spun", spin_probability=0.02))
    assert "not spun" in out and "2%" in out and "0 swapped spans" in out
    assert "→" not in out
    assert out.count(text) == 2  # the input and the restored text


# ---------------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------------


class _Collector(HTMLParser):
    """Collects tags, attributes and text of a page, to check structure rather than substrings."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[str] = []
        self.marks: list[dict] = []  # attributes + text of each <mark>
        self.ins: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag not in ("br", "meta"):
            self.stack.append(tag)
        if tag == "mark":
            self.marks.append({**attrs, "text": ""})
        if tag == "ins":
            self.ins.append("")

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        if "mark" in self.stack:
            self.marks[-1]["text"] += data
        if "ins" in self.stack:
            self.ins[-1] += data


def parse(page: str) -> _Collector:
    parser = _Collector()
    parser.feed(page)
    parser.close()
    assert parser.stack == [], f"unclosed tags: {parser.stack}"
    return parser


def test_html_is_standalone_and_marks_spans():
    page = render_html([make_report(source={"title": "Troops leave", "id": "w1", "score": 0.9})])
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page and "<script" not in page
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)  # no external assets
    doc = parse(page)
    assert [(m["text"], m["data-original"], m["data-confidence"]) for m in doc.marks] == [
        ("patch", "region", "0.93"),
        ("the place", "where", "0.71"),
        ("have got", "have", "0.42"),
    ]
    assert all(m["class"] == "spun" for m in doc.marks)
    assert doc.marks[0]["title"].startswith("original: region (confidence 93%)")
    assert doc.ins == ["region", "where", "have"]
    assert "Troops leave" in page and "w1" in page  # source section
    assert "a tortured phrase is a risk marker, not a verdict." in page
    assert 'class="badge spun"' in page and "87%" in page


def test_html_escapes_user_text_and_attributes():
    text = 'Click <script>alert(1)</script> for "quotes" & more.'
    s = sub(text, '"quotes"', 'say "x" <b>', 0.9)
    report = make_report(
        text=text,
        restored=text.replace('"quotes"', 'say "x" <b>'),
        subs=[s],
        name="<img src=x onerror=alert(2)>",
        notes=["<i>note</i>"],
        source={"title": "</section><script>", "id": 1},
    )
    page = render_html([report])
    assert "<script" not in page
    assert "<img" not in page and "<i>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'data-original="say &quot;x&quot; &lt;b&gt;"' in page
    doc = parse(page)  # attributes decode back to the user's exact strings
    assert doc.marks[0]["data-original"] == 'say "x" <b>'
    assert doc.marks[0]["text"] == '"quotes"'
    assert doc.ins == ['say "x" <b>']


def test_html_paragraphs_and_line_breaks():
    text = "First paragraph patch.\n\nSecond line one\nline two.\n\n\n  Third."
    report = make_report(text=text, restored=text.replace("patch", "region"), subs=[sub(text, "patch", "region", 0.9)])
    page = render_html([report])
    doc = parse(page)
    input_col = page.split("<h3>Input text</h3>")[1].split("</div>")[0]
    assert input_col.count("<p>") == 3
    assert "<br>" in input_col and "line two." in input_col
    assert "<p></p>" not in page
    assert doc.marks[0]["text"] == "patch"


def test_html_span_across_lines_keeps_tags_nested():
    text = "the\n\nplace is here"
    report = make_report(text=text, restored="where is here", subs=[Substitution(0, 10, "the\n\nplace", "where", 0.7)])
    doc = parse(render_html([report]))  # parse() asserts every tag closes in order
    assert doc.marks[0]["data-original"] == "where"


def test_html_overlapping_and_edge_offsets_do_not_crash():
    text = "alpha beta gamma"
    subs = [
        Substitution(0, 5, "alpha", "first", 0.9),
        Substitution(3, 10, "ha beta", "x", 0.5),  # overlaps: skipped in the text, still tabled
        Substitution(11, 16, "gamma", "delta", 0.6),
        Substitution(15, 99, "a", "y", 0.5),  # beyond the end: skipped
    ]
    page = render_html([make_report(text=text, restored="first beta delta", subs=subs)])
    doc = parse(page)
    assert [m["text"] for m in doc.marks] == ["alpha", "gamma"]
    assert doc.ins == ["first", "delta"]
    assert page.count("<tr>") == 1 + 4  # header row + every substitution


def test_html_multiple_reports_and_empty_substitutions():
    a = make_report(name="first-page.html")
    b = make_report(name="second-page.html", text="Nothing here.", restored="Nothing here.", subs=[], verdict="not spun")
    page = render_html([a, b])
    doc = parse(page)
    assert "first-page.html" in page and "second-page.html" in page
    assert sum(1 for tag, attrs in doc.tags if tag == "section" and attrs.get("class") == "report") == 2
    assert 'class="badge not-spun"' in page
    assert "No substitutions found." in page
    assert len(doc.marks) == 3  # only the first report's spans


def test_html_page_of_several_reports_starts_with_a_summary():
    """A batch's page opens with the verdicts counted and one row per document, linking to its report; a
    single report has no summary."""
    a = make_report(name="first-page.html")
    b = make_report(name="<b>second</b>.html", text="Nothing here.", restored="Nothing here.", subs=[],
                    verdict="not spun", spin_probability=0.03)
    c = _attributed(name="third-page.html")
    page = render_html([a, b, c])
    doc = parse(page)
    assert "2 spun · 1 not spun" in page
    summary = page.split('<table class="summary">')[1].split("</table>")[0]
    assert summary.count("<tr>") == 4  # header and the three documents, in the input's order
    names = ("first-page.html", "&lt;b&gt;second&lt;/b&gt;.html", "third-page.html")  # escaped, in order
    assert [summary.index(n) for n in names] == sorted(summary.index(n) for n in names)
    assert '<a href="#report-2">' in summary and 'id="report-2"' in page
    assert "Russia starts withdrawing (ap-1)" in summary and ">3<" in summary and "87%" in summary
    assert sum(1 for tag, attrs in doc.tags if tag == "section" and attrs.get("class") == "report") == 3
    assert '<table class="summary">' not in render_html(a)


def test_html_legend_explains_the_highlights_only_where_there_are_some():
    page = render_html(make_report())
    assert '<p class="legend">' in page and "80% or more" in page and "suspected, no restoration" in page
    clean = make_report(text="Nothing here.", restored="Nothing here.", subs=[], verdict="not spun")
    assert '<p class="legend">' not in render_html(clean)


def test_html_accepts_a_single_report():
    page = render_html(make_report())
    assert "karabakh.txt" in page and page.count('<section class="report"') == 1


def test_flagged_spans_without_restoration_are_marked_as_suspected():
    """The localiser's flagged words that the decoder did not restore are shown (underlined, dotted in HTML)
    with no original; flagged words inside a substitution are not shown twice."""
    from unspin.localize import FlaggedSpan
    from unspin.render import suspected_spans

    text = "Russian forces left the Karabakh patch, the place they have got been stationed."
    report = make_report(text=text)
    s = text.index("stationed")
    p = text.index("patch")
    report.flagged = [FlaggedSpan(s, s + len("stationed"), "stationed", 0.61),
                      FlaggedSpan(p, p + len("patch"), "patch", 0.9, "region")]
    suspected = suspected_spans(report)
    assert [(x.spun, x.original) for x in suspected] == [("stationed", "")]
    out = squash(text_output(report))
    assert "3 swapped spans · 1 more suspected" in out
    assert "stationed[" not in out  # no inline original for a suspected word
    page = render_html(report)
    assert re.search(r'<mark class="suspected" title="suspected swap \(probability 61%\); no restoration" '
                     r'data-probability="0.61">stationed</mark>', page)
    assert "1 more suspected" in page
    assert json.loads(render_json(report))["flagged"][0] == {
        "start": s, "end": s + 9, "text": "stationed", "probability": 0.61, "original": None}


def _attributed(**kw) -> Report:
    """A report as ``unspin check --index`` gives it: the matches, and the aligned passage with the source's
    own words."""
    source_text = "Russian forces leave the Karabakh region, where they have been since 2020."
    source = {"matches": [{"id": "ap-1", "title": "Russia starts withdrawing", "url": None, "score": 0.951,
                           "verified": True, "sparse": 0.7, "dense": None},
                          {"id": "wiki-9", "title": "Karabakh", "url": "javascript:alert(1)", "score": 0.02,
                           "verified": False, "sparse": 0.03, "dense": None}],
              "passages": [{"query_start": 0, "query_end": len(TEXT), "source_start": 0,
                            "source_end": len(source_text), "similarity": 0.8421, "source_text": source_text}]}
    return make_report(source=source, **kw)


def test_text_render_names_the_source_and_its_aligned_passages():
    out = text_output(_attributed(), width=140)
    assert "Source: Russia starts withdrawing (ap-1)" in out and "score 95%" in out and "verified by alignment" in out
    assert "Aligned passages (1)" in out and "characters 0–" in out and "84%" in out
    assert "Karabakh region" in out  # the source's own words, beside the input's
    assert "{'id'" not in out and "'matches'" not in out  # never the raw structure


def test_html_source_section_shows_matches_and_the_passage_word_diff():
    page = render_html(_attributed())
    assert "{'id'" not in page and "&#x27;matches&#x27;" not in page
    assert '<table class="matches">' in page and "Russia starts withdrawing (ap-1)" in page and "95%" in page
    assert "href=" not in page  # a url from indexed metadata is linked only when http(s): javascript: is not
    assert '<details class="passage" open>' in page and "84% similar" in page
    # the words that differ are marked on both sides: the spinner's on the input side, the source's beside
    assert '<mark class="diff">patch</mark>' in page and '<ins class="diff">region</ins>' in page
    assert '<mark class="diff">the place</mark>' in page and '<ins class="diff">where</ins>' in page
    assert '<mark class="diff">Karabakh</mark>' not in page  # a word both sides share is not marked


def test_html_links_an_http_source_url():
    report = _attributed()
    report.source["matches"][0]["url"] = "https://example.org/story?a=1&b=2"
    page = render_html(report)
    assert '<a href="https://example.org/story?a=1&amp;b=2" rel="noreferrer noopener">' in page


def test_html_passage_diff_escapes_markup_on_both_sides():
    from unspin.render import _diff_html

    spun, source = _diff_html("<b>x</b> the patch", "<i>y</i> the region")
    assert "<b>" not in spun and "&lt;" in spun and "<i>" not in source and "&lt;" in source
    assert '<ins class="diff">region</ins>' in source


def test_source_with_no_match_says_so_in_both_views():
    report = make_report(source={"matches": [], "passages": []})
    assert "no indexed document shares this text" in text_output(report)
    page = render_html(report)
    assert "No indexed document shares this text." in page and '<table class="matches">' not in page
