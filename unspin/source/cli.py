"""``unspin index build|add|stats|bench`` and ``unspin find``: build, extend and query a source index.

``unspin/cli.py`` adds the ``index`` group and the ``find`` command to the top-level CLI, so their errors
go through its handler (one line, no traceback).
"""

from __future__ import annotations

import json
import sys
import time

import click

from ..errors import UnspinError


def _progress(label: str):
    t0 = time.perf_counter()
    last = [0]

    def report(n: int) -> None:
        if n - last[0] >= 5000:
            last[0] = n
            click.echo(f"{label}: {n:,} documents, {n / (time.perf_counter() - t0):,.0f}/s", err=True)

    return report


def _print_stats(st: dict, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(st, indent=2))
        return
    mb = (st["db_bytes"] + st["ann_bytes"]) / 1e6
    click.echo(f"index {st['index']}: {st['docs']:,} documents, {st['features']:,} fingerprints, {mb:,.1f} MB "
               f"({st['bytes_per_1000_docs'] / 1e6:.2f} MB per 1,000 documents)")
    dense = f"yes ({st.get('model')}, {st['dense_docs']:,} vectors)" if st["dense"] else "no (built with --no-dense)"
    click.echo(f"dense vectors: {dense}")
    click.echo(f"built {st['created']}" + (f", last added to {st['updated']}" if st.get("updated") else ""))
    if st.get("note"):
        click.echo(f"note: {st['note']}")


@click.group("index")
def source():
    """Build and inspect an index of candidate sources (then: unspin find INPUT --index DIR)."""


_INDEX = click.option("--index", "index_dir", required=True, type=click.Path(file_okay=False),
                      help="The index folder.")


@source.command("build")
@_INDEX
@click.argument("corpora", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--no-dense", is_flag=True, help="Skip the embeddings (fast; fingerprints alone find copies).")
@click.option("--overwrite", is_flag=True, help="Replace an existing index (atomically, when the new one is done).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def build_cmd(index_dir, corpora, no_dense, overwrite, fmt):
    """Index CORPORA (.jsonl / .jsonl.gz with id and text, or folders of .txt/.html) into --index DIR."""
    from .index import build

    st = build(index_dir, corpora, dense=not no_dense, overwrite=overwrite, progress=_progress("indexed"))
    _print_stats(st, fmt)


@source.command("add")
@_INDEX
@click.argument("corpora", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def add_cmd(index_dir, corpora, fmt):
    """Add the documents of CORPORA to the index (all or nothing; duplicate ids are refused)."""
    from .index import add

    _print_stats(add(index_dir, corpora, progress=_progress("added")), fmt)


@source.command("stats")
@_INDEX
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def stats_cmd(index_dir, fmt):
    """What is in the index."""
    from .index import stats

    _print_stats(stats(index_dir), fmt)


def _snippet(text: str, a: int, b: int, width: int = 100) -> str:
    s = " ".join(text[a:b].split())
    return s if len(s) <= width else s[: width - 3] + "..."


@click.command("find")
@_INDEX
@click.argument("inputs", nargs=-1)
@click.option("-k", "k", type=click.IntRange(1, 100), default=5, show_default=True, help="Matches to list.")
@click.option("--no-dense", is_flag=True, help="Search with the fingerprints only (no model loading).")
@click.option("--restore", is_flag=True, help="Also give the text restored from the best match.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--max-chars", type=click.IntRange(min=100), default=2_000_000, show_default=True)
def find_cmd(index_dir, inputs, k, no_dense, restore, fmt, max_chars):
    """Which indexed document was each INPUT (files, URLs, or - for stdin) copied from, and which passages.

    With --format json, one JSON object per input (JSON Lines)."""
    from ..ingest import load
    from .find import SourceIndex

    failures = 0
    with SourceIndex(index_dir, dense=False if no_dense else None) as index:
        for source in inputs or ("-",):
            try:
                doc = load(source, max_chars=max_chars, check_language=False)
            except UnspinError as e:
                click.echo(f"unspin: error: {e}", err=True)
                failures += 1
                continue
            res = index.find(doc.text, k, restore=restore)
            if fmt == "json":
                click.echo(json.dumps({"name": doc.name, **res}, ensure_ascii=False))
                continue
            source_text = index.document(res["matches"][0]["id"])["text"] if res["matches"] else ""
            _print_find(doc, res, source_text, restore)
    if failures:
        sys.exit(3)


def _print_find(doc, res: dict, source_text: str, restore: bool) -> None:
    if not res["matches"]:
        click.echo(f"{doc.name}: no candidate source shares anything with this text")
        return
    click.echo(f"{doc.name}: best sources")
    for i, m in enumerate(res["matches"], 1):
        dense = "" if m["dense"] is None else f"  dense {m['dense']:.2f}"
        click.echo(f"{i:>3}. {m['id']}  score {m['score']:.2f}  sparse {m['sparse']:.2f}{dense}  {m['title'] or ''}")
    if not res["passages"]:
        click.echo("no passage of the text aligns with the best match: it is not a copy of it")
    for p in res["passages"]:
        click.echo(f"\npassage {p['query_start']}-{p['query_end']} <- source {p['source_start']}-{p['source_end']}"
                   f" (similarity {p['similarity']:.2f})")
        click.echo(f"  text:   {_snippet(doc.text, p['query_start'], p['query_end'])}")
        click.echo(f"  source: {_snippet(source_text, p['source_start'], p['source_end'])}")
    if restore:
        click.echo(f"\nrestored from the source ({len(res['edits'])} edits):\n")
        click.echo(res["restored"])


@source.command("bench")
@click.option("--shared", default="../shared", show_default=True, type=click.Path(exists=True, file_okay=False))
@click.option("--index", "index_dir", default="/tmp/unspin-index", show_default=True,
              help="Where to build (or reuse) the index over the shared corpora.")
@click.option("--queries", type=int, default=100, show_default=True, help="Spun documents per spinner.")
@click.option("--plagdet", "n_plagdet", type=int, default=60, show_default=True, help="PAN-style passage cases.")
@click.option("--dense-docs", type=int, default=0, show_default=True,
              help="Also measure dense retrieval on an index of this many documents (slow: ~10 docs/s).")
@click.option("--rebuild", is_flag=True, help="Rebuild the index even if it exists (to time the build).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), help="Also write the results here.")
def bench_cmd(shared, index_dir, queries, n_plagdet, dense_docs, rebuild, json_out):
    """Source attribution benchmark: hit@1/MRR, latency, build speed, index size, plagdet, restoration."""
    from .bench import run_bench

    if queries < 1:
        raise UnspinError("--queries must be at least 1")
    res = run_bench(shared, index_dir, queries, rebuild=rebuild, n_plagdet=n_plagdet, dense_docs=dense_docs)
    text = json.dumps(res, indent=2)
    if json_out:
        from ..cli import write_atomic

        write_atomic(json_out, text + "\n")
    click.echo(text)
    sys.stdout.flush()
