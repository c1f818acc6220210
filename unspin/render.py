"""Output formats for a :class:`~unspin.document.Report`: JSON Lines, a rich terminal report, and HTML.

All three renderers share one idea: the checked text is cut into *segments* (plain text, or a span some
substitution claims) by :func:`highlight_segments`, so the terminal and the HTML page highlight exactly the
same characters and agree on which spans were skipped as malformed.

User-supplied strings (the text, names, notes, source metadata) are never trusted as markup: the terminal
renderer builds :class:`rich.text.Text` objects (which do not parse ``[bold]``-style markup) and the HTML
renderer passes every such string through :func:`html.escape`, attribute values included.
"""

from __future__ import annotations

import difflib
import html
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .document import Report, Substitution

__all__ = ["highlight_segments", "restored_segments", "render_json", "render_text", "render_html"]

# How many substitutions the terminal table lists before summarising the rest: a heavily spun page can
# have hundreds, and the inline highlighting already shows every one of them.
MAX_TABLE_ROWS = 50

FOOTER = "unspin \u2014 a tortured phrase is a risk marker, not a verdict."

# rich styles per verdict; anything unexpected is printed unstyled rather than guessed at.
_VERDICT_STYLE = {"spun": "bold red", "uncertain": "bold yellow", "not spun": "bold green"}


# --------------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------------


def highlight_segments(text: str, substitutions: Iterable[Substitution]) -> list[tuple[str, Substitution | None]]:
    """Cut ``text`` into consecutive pieces, each plain (``None``) or the span of one substitution.

    The pieces concatenate back to ``text`` exactly. Substitutions are expected sorted and non-overlapping,
    but the renderers must not crash on a bad report, so they are sorted here and any span that overlaps
    an earlier kept one, is empty, or falls outside the text is skipped (not clamped: a clamped span would
    highlight words the substitution never referred to). The span's piece is always taken from ``text``
    by offset, because offsets, not ``Substitution.spun``, are what the pipeline guarantees.
    """
    segments: list[tuple[str, Substitution | None]] = []
    cursor = 0
    for sub in sorted(substitutions, key=lambda s: (s.start, s.end)):
        start, end = int(sub.start), int(sub.end)
        if start < cursor or start >= end or end > len(text):  # start < 0 is caught by start < cursor
            continue
        if start > cursor:
            segments.append((text[cursor:start], None))
        segments.append((text[start:end], sub))
        cursor = end
    if cursor < len(text):
        segments.append((text[cursor:], None))
    return segments


SUSPECTED = "suspected"  # evidence tag of a flagged span the decoder did not restore (rendered, never reported)


def suspected_spans(report: Report) -> list[Substitution]:
    """The localiser's flagged spans that no substitution covers, as substitutions with no original (so
    the renderers can mark them with the same segmentation)."""
    subs = sorted(report.substitutions, key=lambda s: s.start)
    out = []
    for f in getattr(report, "flagged", None) or []:
        try:
            start, end, p = int(f.start), int(f.end), float(f.probability)
        except (AttributeError, TypeError, ValueError):
            continue
        if any(x.start < end and start < x.end for x in subs):
            continue
        out.append(Substitution(start=start, end=end, spun=report.text[start:end], original="", confidence=p,
                                evidence=SUSPECTED))
    return out


def restored_segments(report: Report) -> list[tuple[str, Substitution | None, bool]]:
    """Cut ``report.restored`` into pieces ``(piece, substitution, changed)`` so restored words can be marked.

    The restorer's output is normally the input with each span replaced by its original, so that is tried
    first. The restorer may also adjust letter case (``the place`` at a sentence start restores to
    ``Where``), so a reconstruction that differs from ``restored`` only in case is sliced from ``restored``
    itself. If neither holds (the restorer did something else), a word-level diff finds the changed runs;
    ``substitution`` is then the one whose span the run replaced, if any.
    """
    restored = report.restored
    pieces = [(sub.original if sub else piece, sub) for piece, sub in highlight_segments(report.text, report.substitutions)]
    rebuilt = "".join(piece for piece, _ in pieces)
    if rebuilt == restored:
        return [(piece, sub, sub is not None) for piece, sub in pieces if piece]
    if len(rebuilt) == len(restored) and rebuilt.lower() == restored.lower():
        out, pos = [], 0
        for piece, sub in pieces:
            if piece:
                out.append((restored[pos : pos + len(piece)], sub, sub is not None))
                pos += len(piece)
        return out
    return _diff_segments(report)


# Words, runs of whitespace, and single punctuation marks: fine enough that "patch," -> "region," marks
# only the word, coarse enough that the diff stays readable.
_DIFF_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]")


def _diff_segments(report: Report) -> list[tuple[str, Substitution | None, bool]]:
    """Fallback for :func:`restored_segments`: mark what a word-level diff of text -> restored changed."""
    a = _DIFF_TOKEN_RE.findall(report.text)
    b = _DIFF_TOKEN_RE.findall(report.restored)
    a_offsets = [0]  # character offset in report.text of each token of a (and of the end)
    for tok in a:
        a_offsets.append(a_offsets[-1] + len(tok))
    kept = [sub for piece, sub in highlight_segments(report.text, report.substitutions) if sub is not None]
    out: list[tuple[str, Substitution | None, bool]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        piece = "".join(b[j1:j2])
        if not piece:  # a deletion leaves nothing in the restored text to mark
            continue
        if op == "equal":
            out.append((piece, None, False))
            continue
        lo, hi = a_offsets[i1], a_offsets[i2]
        # The substitution whose span this changed run replaced; for a pure insertion (lo == hi), one
        # touching the insertion point.
        owner = next((s for s in kept if (s.start < hi and s.end > lo) or (lo == hi and s.start <= lo <= s.end)), None)
        out.append((piece, owner, True))
    return out


def _pct(value: Any) -> str:
    """A probability as a whole percentage; '?' for a missing or non-finite value instead of crashing."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "?"
    return f"{v:.0%}" if math.isfinite(v) else "?"


def _conf_level(confidence: float) -> str:
    """Coarse confidence tier, used for colour strength in both renderers."""
    try:
        c = float(confidence)
    except (TypeError, ValueError):
        return "low"
    return "high" if c >= 0.8 else "mid" if c >= 0.5 else "low"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _source_items(source: Any) -> list[tuple[str, str]]:
    """The (label, value) pairs worth showing about where a text was found, in a stable order.

    ``title``, ``id`` and ``score`` come first; the source dict's other scalar fields follow so nothing the
    matcher reported is hidden. Returns [] when there is nothing recognisable to show.
    """
    if not isinstance(source, dict) or not any(k in source for k in ("title", "id", "score")):
        return []
    items = []
    keys = ["title", "id", "score"] + [k for k in source if k not in ("title", "id", "score")]
    for key in keys:
        if key not in source or source[key] is None or isinstance(source[key], (dict, list)):
            continue
        value = source[key]
        if isinstance(value, float):
            value = f"{value:.3g}"
        items.append((str(key), str(value)))
    return items


def _attribution(source: Any) -> tuple[list[dict], list[dict]] | None:
    """``(matches, passages)`` of a report's source as ``unspin check --index`` gives it, else None."""
    if not isinstance(source, dict) or not isinstance(source.get("matches"), list):
        return None
    matches = [m for m in source["matches"] if isinstance(m, dict)]
    passages = [p for p in source.get("passages") or [] if isinstance(p, dict)]
    return matches, passages


def _match_label(m: dict) -> str:
    """'Ohtani 41st homer (ap-ohtani-41st)', or the id alone."""
    title, ident = m.get("title"), m.get("id")
    return f"{title} ({ident})" if title and ident is not None and str(title) != str(ident) else str(title or ident)


def _score(m: dict) -> str:
    s = m.get("score")
    return _pct(s) if isinstance(s, (int, float)) else "?"


def _span(p: dict, side: str) -> str:
    """'characters 0-1,954' of one side ("query" or "source") of an aligned passage."""
    a, b = p.get(f"{side}_start"), p.get(f"{side}_end")
    return f"characters {a:,}\u2013{b:,}" if isinstance(a, int) and isinstance(b, int) else "characters ?"


def _similarity(p: dict) -> str:
    s = p.get("similarity")
    return f"{_pct(s)} similar" if isinstance(s, (int, float)) else "aligned"


def _excerpt(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


# --------------------------------------------------------------------------------------------------------
# JSON Lines
# --------------------------------------------------------------------------------------------------------


def _json_default(obj: Any) -> Any:
    # Features and source metadata may carry numpy scalars (np.float32 is not a float subclass); unwrap
    # them rather than failing the whole report. Anything else is shown as its string form.
    if hasattr(obj, "item"):
        return obj.item()
    return str(obj)


def render_json(report: Report) -> str:
    """One compact JSON object on one line, so several reports written one per line form JSON Lines."""
    line = json.dumps(report.to_dict(), ensure_ascii=False, default=_json_default)
    # json.dumps escapes "\n" inside strings, but with ensure_ascii=False it leaves U+2028/U+2029 raw, and
    # str.splitlines() (and JavaScript before ES2019) treat those as line breaks. Outside strings JSON never
    # contains them, so escaping them here is always valid.
    return line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


# --------------------------------------------------------------------------------------------------------
# Terminal (rich)
# --------------------------------------------------------------------------------------------------------

# Span styles by confidence tier: the more certain the swap, the louder the highlight. Reverse/bold
# survive no_color consoles, so the spans remain visible without colour.
_SPAN_STYLE = {"high": "bold reverse red", "mid": "bold reverse yellow", "low": "reverse"}


def _header_text(report: Report) -> Text:
    n_subs = len(report.substitutions)
    header = Text()
    header.append(str(report.name), style="bold")
    header.append("  ")
    header.append(str(report.verdict), style=_VERDICT_STYLE.get(str(report.verdict), ""))
    header.append(
        f"  \u00b7  spin probability {_pct(report.spin_probability)}"
        f"  \u00b7  {_plural(int(report.words), 'word')}"
        f"  \u00b7  {_plural(n_subs, 'swapped span')}"
    )
    n_suspected = len(suspected_spans(report))
    if n_suspected:
        header.append(f"  \u00b7  {n_suspected} more suspected")
    return header


def _family(report: Report) -> str:
    """'phrase-dictionary spinner (88%)' when the report names a likely spinner family."""
    fam = getattr(report, "family", None)
    if not isinstance(fam, dict) or not fam.get("name"):
        return ""
    p = fam.get("probability")
    return f"{fam['name']} ({_pct(p)})" if isinstance(p, (int, float)) else str(fam["name"])


def _print_attribution(console: Console, matches: list[dict], passages: list[dict], text: str) -> None:
    """The source an index found: the best match (score, whether alignment verified it) and each aligned
    passage as input and source excerpts (the whole passages are in the JSON and HTML reports)."""
    line = Text()
    line.append("Source: ", style="bold")
    if not matches:
        line.append("no indexed document shares this text")
        console.print(line)
        return
    best = matches[0]
    line.append(_match_label(best))
    line.append(f"  \u00b7  score {_score(best)}")
    if best.get("verified") is not None:
        line.append("  \u00b7  " + ("verified by alignment" if best.get("verified") else "not verified"))
    if best.get("url"):
        line.append(f"  \u00b7  {best['url']}")
    console.print(line)
    if not passages:
        return
    table = Table(title=Text(f"Aligned passages ({len(passages)})", style="bold"), show_edge=False, pad_edge=False,
                  header_style="bold")
    table.add_column("input")
    table.add_column("source")
    table.add_column("similarity", justify="right")
    for p in passages[:MAX_TABLE_ROWS]:
        qa, qb = p.get("query_start"), p.get("query_end")
        spun = text[qa:qb] if isinstance(qa, int) and isinstance(qb, int) else ""
        table.add_row(Text(f"{_span(p, 'query')}\n{_excerpt(spun)}"),
                      Text(f"{_span(p, 'source')}\n{_excerpt(p.get('source_text', ''))}"),
                      Text(_similarity(p).replace(" similar", "")))
    console.print(table)
    if len(passages) > MAX_TABLE_ROWS:
        console.print(Text(f"... and {len(passages) - MAX_TABLE_ROWS:,} more passages", style="dim"))


def render_text(report: Report, console: Console) -> None:
    """Print a human-readable report of one document on ``console``.

    Every user string goes into a :class:`Text` (or is passed as one to the table), never into markup, so
    text such as ``[bold]`` prints literally.
    """
    console.print(_header_text(report))
    attribution = _attribution(report.source)
    source = _source_items(report.source) if attribution is None else []
    if attribution is not None:
        _print_attribution(console, *attribution, report.text)
    if source:
        line = Text()
        line.append("Source: ", style="bold")  # label only: Text(..., style=) would embolden the whole line
        line.append(", ".join(f"{k} {v}" if k != "title" else v for k, v in source))
        console.print(line)
    family = _family(report)
    if family:
        line = Text()
        line.append("Spinner family: ", style="bold")
        line.append(family)
        console.print(line)

    # The input with each span highlighted and its original inline: "patch[→region]".
    console.rule(Text("Input text"))
    body = Text()
    for piece, sub in highlight_segments(report.text, [*report.substitutions, *suspected_spans(report)]):
        if sub is None:
            body.append(piece)
        elif sub.evidence == SUSPECTED:  # flagged as swapped, original unknown: underlined, nothing inline
            body.append(piece, style="underline")
        else:
            body.append(piece, style=_SPAN_STYLE[_conf_level(sub.confidence)])
            body.append(f"[\u2192{sub.original}]", style="dim green")
    console.print(body)

    if report.substitutions:
        console.rule(Text("Substitutions"))
        table = Table(show_edge=False, pad_edge=False, header_style="bold")
        table.add_column("spun")
        table.add_column("original", style="green")
        table.add_column("confidence", justify="right")
        table.add_column("evidence", style="dim")
        shown = sorted(report.substitutions, key=lambda s: (s.start, s.end))
        for sub in shown[:MAX_TABLE_ROWS]:
            # Text cells: a str cell would be parsed as markup.
            table.add_row(Text(str(sub.spun)), Text(str(sub.original)), Text(_pct(sub.confidence)), Text(str(sub.evidence)))
        console.print(table)
        if len(shown) > MAX_TABLE_ROWS:
            console.print(Text(f"... and {len(shown) - MAX_TABLE_ROWS:,} more", style="dim"))

    console.rule(Text("Restored text"))
    restored = Text()
    for piece, _sub, changed in restored_segments(report):
        restored.append(piece, style="bold green" if changed else "")
    console.print(restored)

    if report.notes:
        console.rule(Text("Notes"))
        for note in report.notes:
            console.print(Text(f"\u2022 {note}"))


# --------------------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------------------

_CSS = """
:root { --fg:#1d1d1f; --bg:#fff; --muted:#666; --line:#ddd; --card:#fafafa; }
* { box-sizing: border-box; }
body { margin:0; font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
main { max-width:1200px; margin:0 auto; padding:1.5rem; }
h1 { font-size:1.4rem; margin:0 0 1rem; }
section.report { border:1px solid var(--line); border-radius:8px; padding:1rem 1.25rem; margin:0 0 1.5rem; background:var(--card); }
section.report > header h2 { display:inline; font-size:1.15rem; margin:0 .6rem 0 0; word-break:break-all; }
.badge { display:inline-block; white-space:nowrap; padding:.1rem .55rem; border-radius:999px; font-size:.85rem; font-weight:600; color:#fff; background:#888; vertical-align:middle; }
.badge.spun { background:#c62828; } .badge.uncertain { background:#b26a00; } .badge.not-spun { background:#2e7d32; }
.stats { color:var(--muted); margin:.4rem 0 0; }
.legend { color:var(--muted); font-size:.85rem; margin:.6rem 0 0; }
.key { padding:0 .2em; color:var(--fg); }
.columns { display:grid; grid-template-columns:1fr 1fr; gap:1.25rem; margin-top:1rem; }
@media (max-width: 800px) { .columns { grid-template-columns:1fr; } }
.columns h3 { font-size:1rem; margin:0 0 .4rem; }
.text { background:var(--bg); border:1px solid var(--line); border-radius:6px; padding:.75rem 1rem; overflow-wrap:anywhere; }
.text p { margin:0 0 .8em; } .text p:last-child { margin-bottom:0; }
mark.spun, .key.low { background:#fff1a8; border-bottom:2px solid #e0b000; }
mark.spun { padding:0 .1em; cursor:help; }
mark.spun[data-level="mid"], .key.mid { background:#ffd37a; border-bottom:2px solid #e08a00; }
mark.spun[data-level="high"], .key.high { background:#ffab91; border-bottom:2px solid #d84315; }
mark.suspected, .key.suspected { background:none; border-bottom:2px dotted #d84315; }
mark.suspected { padding:0; cursor:help; }
ins, .key.restored { background:#c8f0c8; text-decoration:none; border-bottom:2px solid #2e7d32; }
ins { padding:0 .1em; }
table { border-collapse:collapse; margin-top:1rem; width:100%; font-size:.92rem; }
th, td { text-align:left; padding:.3rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; overflow-wrap:anywhere; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
section.summary { margin:0 0 1.5rem; } table.summary { margin-top:.4rem; }
.notes, .source { margin-top:1rem; } .notes h3, .source h3 { font-size:1rem; margin:0 0 .3rem; }
.source h4 { font-size:.95rem; margin:1rem 0 .3rem; } .source h5 { font-size:.9rem; margin:0 0 .3rem; color:var(--muted); }
mark.diff { background:#ffd37a; border-bottom:2px solid #e08a00; padding:0 .1em; }
details.passage { margin:.5rem 0; } details.passage summary { cursor:pointer; }
dl.source-fields { display:grid; grid-template-columns:max-content 1fr; gap:.2rem 1rem; margin:0; }
dt { color:var(--muted); } dd { margin:0; overflow-wrap:anywhere; }
footer { color:var(--muted); font-size:.85rem; text-align:center; padding:1rem; border-top:1px solid var(--line); }
"""

_BLANK_LINE_RE = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")  # one or more blank lines: a paragraph break


def _esc(value: Any) -> str:
    """HTML-escape any value for element content or a double-quoted attribute."""
    return html.escape(str(value), quote=True)


def _flow_html(text: str, in_paragraphs: bool = True) -> str:
    """Escape a piece of text, turning blank lines into paragraph breaks and single newlines into <br>.

    Inside an inline element (a mark spanning lines) a paragraph break would leave the element unclosed,
    so there every newline run becomes a single <br>.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not in_paragraphs:
        return "<br>".join(_esc(part) for part in re.split(r"\s*\n\s*", text))
    paragraphs = _BLANK_LINE_RE.split(text)
    return "</p>\n<p>".join("<br>\n".join(_esc(line) for line in para.split("\n")) for para in paragraphs)


def _wrap_paragraphs(inner: str) -> str:
    # A leading or trailing blank line yields an empty paragraph; drop those rather than render gaps.
    return re.sub(r"<p>\s*</p>\n?", "", f"<p>{inner}</p>")


def _input_html(report: Report) -> str:
    parts = []
    for piece, sub in highlight_segments(report.text, [*report.substitutions, *suspected_spans(report)]):
        if sub is None:
            parts.append(_flow_html(piece))
            continue
        if sub.evidence == SUSPECTED:
            parts.append(
                f'<mark class="suspected" title="{_esc(f"suspected swap (probability {_pct(sub.confidence)}); no restoration")}" '
                f'data-probability="{sub.confidence:.2f}">{_flow_html(piece, in_paragraphs=False)}</mark>')
            continue
        title = f"original: {sub.original} (confidence {_pct(sub.confidence)})"
        if sub.evidence:
            title += f" \u2014 {sub.evidence}"
        try:
            conf = f"{float(sub.confidence):.2f}"
        except (TypeError, ValueError):
            conf = ""
        parts.append(
            f'<mark class="spun" title="{_esc(title)}" data-original="{_esc(sub.original)}" '
            f'data-confidence="{_esc(conf)}" data-level="{_conf_level(sub.confidence)}">'
            f"{_flow_html(piece, in_paragraphs=False)}</mark>"
        )
    return _wrap_paragraphs("".join(parts))


def _restored_html(report: Report) -> str:
    parts = []
    for piece, sub, changed in restored_segments(report):
        if not changed:
            parts.append(_flow_html(piece))
            continue
        title = f' title="{_esc(f"was: {sub.spun} (confidence {_pct(sub.confidence)})")}"' if sub else ""
        parts.append(f"<ins{title}>{_flow_html(piece, in_paragraphs=False)}</ins>")
    return _wrap_paragraphs("".join(parts))


def _table_html(subs: Sequence[Substitution]) -> str:
    # evidence layers are shown ", "-separated so that a long list wraps on a narrow screen
    if not subs:
        return '<p class="stats">No substitutions found.</p>'
    rows = [
        f"<tr><td class=\"num\">{i}</td><td>{_esc(s.spun)}</td><td>{_esc(s.original)}</td>"
        f"<td class=\"num\">{_esc(_pct(s.confidence))}</td><td>{_esc(s.evidence.replace(',', ', '))}</td></tr>"
        for i, s in enumerate(sorted(subs, key=lambda s: (s.start, s.end)), 1)
    ]
    return (
        "<table class=\"subs\"><thead><tr><th>#</th><th>spun</th><th>original</th><th>confidence</th>"
        "<th>evidence</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


_DIFF_TOKEN = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_MAX_DIFF_CHARS = 50_000  # beyond this a passage is shown without the word diff (difflib is quadratic)


def _diff_html(spun: str, source: str) -> tuple[str, str]:
    """Both sides of an aligned passage as HTML, the words that differ marked: on the input side what the
    spinner wrote (<mark>), on the source side what it replaced (<ins>). Words are compared lower-cased."""
    if len(spun) + len(source) > _MAX_DIFF_CHARS:
        return _wrap_paragraphs(_flow_html(spun)), _wrap_paragraphs(_flow_html(source))
    a = list(_DIFF_TOKEN.finditer(spun))
    b = list(_DIFF_TOKEN.finditer(source))

    def key(m: re.Match) -> str:  # curly and straight quotes are the same word
        return m.group().lower().translate(_QUOTES)

    sm = difflib.SequenceMatcher(None, [key(m) for m in a], [key(m) for m in b], autojunk=False)
    changed_a, changed_b = [], []  # character ranges of the differing runs
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            changed_a.append((a[i1].start(), a[i2 - 1].end()))
        if j2 > j1:
            changed_b.append((b[j1].start(), b[j2 - 1].end()))

    def marked(text: str, ranges: list[tuple[int, int]], tag: str, css: str) -> str:
        parts, pos = [], 0
        for s, e in ranges:
            parts.append(_flow_html(text[pos:s]))
            parts.append(f'<{tag} class="{css}">{_flow_html(text[s:e], in_paragraphs=False)}</{tag}>')
            pos = e
        parts.append(_flow_html(text[pos:]))
        return _wrap_paragraphs("".join(parts))

    return marked(spun, changed_a, "mark", "diff"), marked(source, changed_b, "ins", "diff")


def _attribution_html(matches: list[dict], passages: list[dict], text: str) -> str:
    """The Source section: the indexed documents that matched, then each aligned passage, input and source
    side by side (native <details>, the first open; no scripts)."""
    out = ['<div class="source"><h3>Source</h3>']
    if not matches:
        out.append('<p class="stats">No indexed document shares this text.</p></div>')
        return "\n".join(out)
    out.append('<table class="matches"><thead><tr><th>#</th><th>document</th><th>score</th><th>verified</th>'
               "</tr></thead>\n<tbody>")
    for i, m in enumerate(matches, 1):
        label = _esc(_match_label(m))
        url = str(m.get("url") or "")
        if url.startswith(("http://", "https://")):  # never a javascript: or data: link from indexed metadata
            label = f'<a href="{_esc(url)}" rel="noreferrer noopener">{label}</a>'
        verified = {True: "yes", False: "no"}.get(m.get("verified"), "")
        out.append(f'<tr><td class="num">{i}</td><td>{label}</td><td class="num">{_esc(_score(m))}</td>'
                   f"<td>{verified}</td></tr>")
    out.append("</tbody></table>")
    if passages:
        out.append(f'<h4>Aligned passages with {_esc(_match_label(matches[0]))}</h4>')
    for i, p in enumerate(passages, 1):
        qa, qb = p.get("query_start"), p.get("query_end")
        spun = text[qa:qb] if isinstance(qa, int) and isinstance(qb, int) else ""
        spun_html, source_html = _diff_html(spun, str(p.get("source_text", "")))
        out.append(
            f'<details class="passage"{" open" if i == 1 else ""}><summary>Passage {i}: input '
            f"{_esc(_span(p, 'query'))} \u2194 source {_esc(_span(p, 'source'))}, {_esc(_similarity(p))}</summary>"
            '<div class="columns">'
            f'<div class="col"><h5>Input (words that differ marked)</h5><div class="text">{spun_html}</div></div>'
            f'<div class="col"><h5>Source</h5><div class="text">{source_html}</div></div></div></details>'
        )
    out.append("</div>")
    return "\n".join(out)


# What the highlights mean, with the tiers of _conf_level (hover a span for its original and confidence)
_LEGEND_HTML = (
    '<p class="legend">Swapped spans by confidence: <span class="key high">80% or more</span> '
    '<span class="key mid">50-80%</span> <span class="key low">below 50%</span> '
    '\u00b7 <span class="key suspected">suspected, no restoration</span> '
    '\u00b7 <span class="key restored">restored wording</span> \u00b7 hover a span for its original and evidence</p>'
)


def _report_html(report: Report, index: int) -> str:
    verdict = str(report.verdict)
    badge_class = _badge_class(verdict)
    n_suspected = len(suspected_spans(report))
    out = [
        f'<section class="report" id="report-{index}">',
        "<header>",
        f"<h2>{_esc(report.name)}</h2>",
        f'<span class="badge {_esc(badge_class)}">{_esc(verdict)}</span>',
        f'<p class="stats">Spin probability <strong>{_esc(_pct(report.spin_probability))}</strong>'
        f" \u00b7 {_esc(_plural(int(report.words), 'word'))}"
        f" \u00b7 {_esc(_plural(len(report.substitutions), 'swapped span'))}"
        f"{_esc(f' · {n_suspected} more suspected') if n_suspected else ''}</p>",
        *([f'<p class="stats">Spinner family: {_esc(_family(report))}</p>'] if _family(report) else []),
        "</header>",
        *([_LEGEND_HTML] if report.substitutions or n_suspected else []),
        '<div class="columns">',
        f'<div class="col"><h3>Input text</h3><div class="text">{_input_html(report)}</div></div>',
        f'<div class="col"><h3>Restored text</h3><div class="text">{_restored_html(report)}</div></div>',
        "</div>",
        _table_html(report.substitutions),
    ]
    if report.notes:
        out.append('<div class="notes"><h3>Notes</h3><ul>')
        out.extend(f"<li>{_esc(note)}</li>" for note in report.notes)
        out.append("</ul></div>")
    attribution = _attribution(report.source)
    if attribution is not None:
        out.append(_attribution_html(*attribution, report.text))
    elif report.source:
        items = _source_items(report.source)
        if not items and isinstance(report.source, dict):  # no title/id/score: still show what there is
            items = [(str(k), str(v)) for k, v in report.source.items() if v is not None]
        elif not items:
            items = [("source", str(report.source))]
        out.append('<div class="source"><h3>Source</h3><dl class="source-fields">')
        out.extend(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in items)
        out.append("</dl></div>")
    out.append("</section>")
    return "\n".join(out)


VERDICTS = ("spun", "uncertain", "not spun")  # in the order a batch's counts are given


def _badge_class(verdict: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", verdict.lower()).strip("-")  # "not spun" -> "not-spun"


def _summary_html(reports: Sequence[Report]) -> str:
    """The table atop a page of several reports: verdicts first counted, then one row per document in the
    input's order, linking to its section."""
    counts = Counter(str(r.verdict) for r in reports)
    order = [v for v in VERDICTS if v in counts] + sorted(set(counts) - set(VERDICTS))
    rows = []
    for i, r in enumerate(reports, 1):
        verdict = str(r.verdict)
        badge = _badge_class(verdict)
        source = ""
        attribution = _attribution(r.source)
        if attribution and attribution[0] and attribution[1]:  # named only when passages aligned with it
            source = _match_label(attribution[0][0])
        rows.append(
            f'<tr><td class="num">{i}</td><td><a href="#report-{i}">{_esc(r.name)}</a></td>'
            f'<td><span class="badge {_esc(badge)}">{_esc(verdict)}</span></td>'
            f'<td class="num">{_esc(_pct(r.spin_probability))}</td><td class="num">{len(r.substitutions):,}</td>'
            f"<td>{_esc(_family(r))}</td><td>{_esc(source)}</td></tr>"
        )
    return (
        '<section class="summary"><p class="stats">'
        + _esc(" \u00b7 ".join(f"{counts[v]:,} {v}" for v in order))
        + '</p>\n<table class="summary"><thead><tr><th>#</th><th>document</th><th>verdict</th><th>spin probability</th>'
        "<th>swapped spans</th><th>spinner family</th><th>source</th></tr></thead>\n<tbody>\n"
        + "\n".join(rows) + "\n</tbody></table></section>"
    )


def render_html(reports: Report | Sequence[Report]) -> str:
    """One standalone HTML5 page (inline CSS, no scripts, no external assets) for one or more reports."""
    if isinstance(reports, Report):  # a single report is a common call; accept it rather than iterate it
        reports = [reports]
    reports = list(reports)
    if len(reports) == 1:
        title = f"unspin report \u2014 {reports[0].name}"
    else:
        title = f"unspin report \u2014 {_plural(len(reports), 'document')}"
    body = "\n".join(_report_html(r, i) for i, r in enumerate(reports, 1)) or '<p class="stats">No reports.</p>'
    if len(reports) > 1:  # a batch (a site, a crawl): one line per document first, each linking to its report
        body = _summary_html(reports) + "\n" + body
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_esc(title)}</h1>\n{body}\n</main>\n"
        f"<footer>{_esc(FOOTER)}</footer>\n</body>\n</html>\n"
    )
