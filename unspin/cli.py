"""The ``unspin`` command line.

Every user-facing failure is an :class:`UnspinError`: one line on stderr, a non-zero exit, no traceback
(set ``UNSPIN_DEBUG=1`` to see one). Files named with ``--output`` are written to a temporary file and
renamed, so an interrupted run never leaves half a report over a good one.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import click

from .errors import UnspinError

FORMATS = ("text", "json", "html")


class _Jobs(click.ParamType):
    """``--jobs``: a number of worker processes (1 or more) or ``auto``."""

    name = "N|auto"

    def convert(self, value, param, ctx):
        if isinstance(value, int) or value == "auto":
            return value
        try:
            n = int(value)
        except ValueError:
            n = 0
        if n < 1:
            self.fail(f"{value!r} is not a number of jobs (1 or more) or 'auto'", param, ctx)
        return n


JOBS = _Jobs()


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"unspin: error: {message}", err=True)
    sys.exit(code)


def write_atomic(path: Path, data: str) -> None:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as e:
        raise UnspinError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise UnspinError(f"cannot write {path}: {e.strerror or e}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UnspinError as e:
            _fail(str(e), e.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(141)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except MemoryError:
            _fail("out of memory; try a smaller input", 1)
        except Exception as e:  # a bug: still one line, with a way to get the traceback
            if os.environ.get("UNSPIN_DEBUG"):
                raise
            _fail(f"internal error: {type(e).__name__}: {e} (set UNSPIN_DEBUG=1 for a traceback)", 1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="unspin")
def cli():
    """unspin: is this text spun, where, what did it say, and whose is it?"""


def _about(source: str, err: Exception) -> str:
    """The error line for one input: name the input unless the message already does."""
    msg = str(err)
    return msg if source in msg else f"{source}: {msg}"


def _is_folder(source: str) -> bool:
    return source != "-" and "://" not in source and Path(source).is_dir()


def _expand_inputs(inputs) -> list[str]:
    """Each folder among INPUTS stands for the .txt and .html files under it (recursively, sorted), as
    `unspin index build` reads a folder. A folder with none stays as it is, and loading it says why."""
    out: list[str] = []
    for source in inputs:
        if _is_folder(source):
            from .source.corpus import HTML_SUFFIXES, TEXT_SUFFIXES

            files = sorted(f for f in Path(source).rglob("*")
                           if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES)
            if files:
                out.extend(str(f) for f in files)
                continue
        out.append(source)
    return out


def _load_inputs(inputs, max_chars):
    from .errors import InputError
    from .ingest import load

    for source in inputs:
        if _is_folder(source):  # left by _expand_inputs: it has no page
            yield source, None, InputError(f"{source}: no .txt or .html file in this folder")
            continue
        try:
            yield source, load(source, max_chars=max_chars), None
        except UnspinError as e:
            yield source, None, e


def _run_checks(inputs, pack, max_chars, min_confidence, index_dir=None, neural=False, jobs=1):
    from .api import Checker, auto_jobs, check_many
    from .restore import RestoreConfig

    config = RestoreConfig(min_confidence=min_confidence)
    inputs = _expand_inputs(inputs)
    if jobs == "auto":  # workers would each load the index or the neural model again: not worth it
        jobs = 1 if index_dir is not None or neural else auto_jobs(len(inputs))
    if jobs > 1 and len(inputs) > 1:
        if index_dir is not None or neural:
            raise UnspinError("--jobs works without --index and --neural (each worker would load them again)")
        loaded = list(_load_inputs(inputs, max_chars))
        reports = check_many([doc for _, doc, err in loaded if err is None], jobs=jobs, pack=pack, config=config)
        for source, doc, err in loaded:
            yield (source, None, err) if err is not None else (source, next(reports), None)
        return
    checker = None
    for source, doc, err in _load_inputs(inputs, max_chars):
        if err is not None:
            yield source, None, err
            continue
        if checker is None:  # load the pack only once there is something to check
            checker = Checker(pack, config=config, sources=index_dir, neural=neural)
        yield source, checker.check_document(doc), None


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--pack", type=click.Path(), default=None, help="Model pack folder (default: the shipped pack).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="Write here (atomically).")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Report and restore swaps at least this likely.")
@click.option("--max-chars", type=click.IntRange(min=100), default=2_000_000, show_default=True,
              help="Cap on input length (longer input is truncated, with a note).")
@click.option("--index", "index_dir", type=click.Path(file_okay=False), default=None,
              help="A source index (unspin index build): name the document the text was copied from and "
                   "restore from it.")
@click.option("--learn-into", "learn_into", type=click.Path(file_okay=False), default=None,
              help="Self-training (opt-in): when --index finds the source, learn the page's swaps into this "
                   "pack's lexicon (layer observed:self, used once a pair is seen on 2 pages).")
@click.option("--neural", is_flag=True,
              help="Re-decide uncertain spans with a neural LM (Gemma-3-270M via llama.cpp; needs the "
                   "'neural' extra). Better restoration, ~50x slower.")
@click.option("--jobs", "-j", type=JOBS, default="auto", show_default=True,
              help="Check several inputs in this many worker processes (each loads the pack once); auto: "
                   "one per CPU for 16 inputs or more, else one process.")
def check(inputs, fmt, pack, output, min_confidence, max_chars, index_dir, learn_into, neural, jobs):
    """Check INPUTS (files, .html pages, folders of them, URLs, or - for stdin) for spinning.

    Shows each swapped span with its likely original, a restored text, and a spin probability.
    Several inputs give one JSON object per line with --format json.
    """
    from .render import VERDICTS, render_html, render_json, render_text

    if learn_into and not index_dir:
        raise UnspinError("--learn-into needs --index: it learns from the source the index finds")
    failures = n_ok = 0
    reports = []
    chunks: list[str] = []
    verdicts: Counter = Counter()
    for source, report, err in _run_checks(inputs, pack, max_chars, min_confidence, index_dir, neural, jobs):
        if err is not None:
            click.echo(f"unspin: error: {_about(source, err)}", err=True)
            failures += 1
            if isinstance(err, UnspinError) and err.exit_code == 4:  # the pack is broken: nothing else will work
                sys.exit(err.exit_code)
            continue
        n_ok += 1
        verdicts[str(report.verdict)] += 1
        if fmt == "html":  # one page for all inputs: the other formats stream
            reports.append(report)
        if learn_into and report.source and report.source.get("passages"):
            from .learn import learn_from_aligned
            from .source import SourceIndex

            with SourceIndex(index_dir, dense=False) as index:
                best = index.document(report.source["matches"][0]["id"])
            stats = learn_from_aligned(report.text, best["text"], Path(learn_into), tag="self", page_id=source)
            click.echo(f"learned from {source} (source {best['id']}): {stats['swaps']} swaps, "
                       f"{stats['pairs_in_layer']} pairs in use", err=True)
        if fmt == "json":
            chunks.append(render_json(report) + "\n")
        elif fmt == "text":
            from rich.console import Console

            buf = io.StringIO()
            console = Console(file=buf, force_terminal=output is None and sys.stdout.isatty(),
                              width=None if output is None else 100)
            render_text(report, console)
            chunks.append(buf.getvalue())
        if output is None and fmt != "html":
            click.echo(chunks.pop(), nl=False)
    if fmt == "text" and n_ok + failures > 1:  # a batch: what it came to, in one line at the end
        counts = [f"{verdicts[v]} {v}" for v in VERDICTS if v in verdicts]
        chunks.append(f"{n_ok + failures} inputs: " + ", ".join(counts + ([f"{failures} failed"] if failures else []))
                      + "\n")
        if output is None:
            click.echo(chunks.pop(), nl=False)
    if fmt == "html" and reports:
        chunks = [render_html(reports)]
        if output is None:
            click.echo(chunks[0])
    if output is not None and n_ok:
        write_atomic(Path(output), "".join(chunks))
    if failures:
        sys.exit(3 if not n_ok else 1)


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--pack", type=click.Path(), default=None)
@click.option("--max-chars", type=click.IntRange(min=100), default=2_000_000, show_default=True)
@click.option("--neural", is_flag=True,
              help="Re-decide uncertain spans with a neural LM (Gemma-3-270M via llama.cpp; needs the "
                   "'neural' extra). Better restoration, ~50x slower.")
@click.option("--jobs", "-j", type=JOBS, default="auto", show_default=True,
              help="Restore several inputs in this many worker processes, as for check.")
def restore(inputs, pack, max_chars, neural, jobs):
    """Print the restored (most likely original) text of each input."""
    failures = 0
    for source, report, err in _run_checks(inputs, pack, max_chars, 0.5, neural=neural, jobs=jobs):
        if err is not None:
            click.echo(f"unspin: error: {_about(source, err)}", err=True)
            failures += 1
            continue
        click.echo(report.restored.rstrip("\n"))
    if failures:
        sys.exit(3)


@cli.group()
def pack():
    """Build and inspect model packs (lexicon + language model)."""


@pack.command("build")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Pack folder to write.")
@click.option("--shared", type=click.Path(file_okay=False), default="../shared", show_default=True,
              help="The shared data folder (corpora, thesauri data, tortured phrases).")
@click.option("--corpus", "corpora", multiple=True,
              help="Corpus name in SHARED/corpora or a .jsonl.gz path (default: pressreleases, wikipedia-half).")
@click.option("--order", type=int, default=4, show_default=True)
@click.option("--prune", default="0,1,2,2", show_default=True, help="lmplz --prune thresholds per order.")
@click.option("--min-zipf", type=float, default=3.0, show_default=True,
              help="Thesaurus originals must be at least this frequent (wordfreq Zipf scale).")
@click.option("--max-per-spun", type=int, default=60, show_default=True,
              help="Originals kept per spun word or phrase in the lexicon.")
@click.option("--limit-docs", type=int, default=None, help="Use at most this many documents per corpus.")
@click.option("--lexicon-only", is_flag=True, help="Rebuild the lexicon, keep the pack's LM.")
@click.option("--lm-only", is_flag=True, help="Retrain the LM, keep the pack's lexicon.")
@click.option("--names-only", is_flag=True,
              help="Add or rebuild only the table of capitalised names of an existing pack (kept: everything else).")
def pack_build(out, shared, corpora, order, prune, min_zipf, max_per_spun, limit_docs, lexicon_only, lm_only,
               names_only):
    """Build a model pack from ../shared (the default pack is built with the defaults)."""
    from .pack import add_names, build_pack

    if names_only:
        stats = add_names(Path(out), Path(shared), list(corpora) or None, limit_docs=limit_docs)
        click.echo(f"name table of {out}: {stats['names']} names seen at least {stats['min_count']} times")
        return

    try:
        prune_t = tuple(int(x) for x in prune.split(","))
    except ValueError:
        raise UnspinError(f"--prune must be comma-separated integers, got {prune!r}") from None
    m = build_pack(Path(out), Path(shared), corpora=list(corpora) or None, order=order, prune=prune_t,
                   min_zipf=min_zipf, limit_docs=limit_docs, lexicon_only=lexicon_only, lm_only=lm_only,
                   max_per_spun=max_per_spun)
    sizes = ", ".join(f"{k} {v['bytes'] / 1e6:.1f} MB" for k, v in m["files"].items())
    click.echo(f"pack written to {out}: {sizes} ({m['build_seconds']} s)")


@pack.command("info")
@click.option("--pack", "pack_dir", type=click.Path(), default=None)
def pack_info(pack_dir):
    """Show what a pack holds and verify its checksums."""
    import json

    from .pack import load_pack

    p = load_pack(pack_dir)
    click.echo(f"pack: {p.path} (checksums OK)")
    click.echo(json.dumps(p.manifest, indent=2))


@cli.group()
def train():
    """Train models of the pack from data the project makes."""


@train.command("detector")
@click.option("--shared", type=click.Path(file_okay=False), default="../shared", show_default=True)
@click.option("--pack", type=click.Path(), default=None, help="Pack to train for (default: the shipped pack).")
@click.option("--docs", type=int, default=600, show_default=True, help="Documents per corpus (each clean + spun).")
@click.option("--seed", type=int, default=0, show_default=True)
def train_detector_cmd(shared, pack, docs, seed):
    """Fit the word-level localiser and the calibrated spin detector on clean and simulated spun text
    (train split of the corpora)."""
    from .train import train_detector

    if not (Path(shared) / "corpora").is_dir():
        raise UnspinError(f"shared corpora not found: {shared}/corpora (pass --shared)")
    p = train_detector(Path(shared), pack, n_docs=docs, seed=seed)
    loc = p["localizer"]
    click.echo(f"localizer trained: out-of-fold token F1 {loc['f1']:.3f} on {loc['tokens']} words; "
               f"flagging threshold {loc['threshold']:.3f}")
    click.echo(f"detector trained: out-of-fold calibration AUC {p['calibration']['auc']:.4f} on {p['calibration']['documents']} "
               f"texts; 'spun' threshold {p['high']:.3f} (target false-alarm rate {p['target_fpr']:.0%})")


@train.command("fingerprint")
@click.option("--shared", type=click.Path(file_okay=False), default="../shared", show_default=True)
@click.option("--pack", type=click.Path(), default=None, help="Pack to train for (default: the shipped pack).")
@click.option("--docs", type=int, default=40, show_default=True, help="Training documents per family and corpus.")
@click.option("--test-docs", type=int, default=40, show_default=True, help="Held-out test documents.")
@click.option("--seed", type=int, default=0, show_default=True)
def train_fingerprint_cmd(shared, pack, docs, test_docs, seed):
    """Fit the spinner-family classifier on simulated families (train split) and test it (test split)."""
    from .fingerprint import train_fingerprint

    if not (Path(shared) / "corpora").is_dir():
        raise UnspinError(f"shared corpora not found: {shared}/corpora (pass --shared)")
    ev = train_fingerprint(Path(shared), pack, n_docs=docs, n_test=test_docs, seed=seed)["evaluation"]
    click.echo(f"fingerprint trained: held-out family accuracy {ev['accuracy']:.1%} "
               f"(balanced {ev['balanced_accuracy']:.1%}) on {ev['documents']} documents")


@cli.command("learn")
@click.argument("pairs", type=click.Path(dir_okay=False))
@click.option("--pack", "pack_dir", type=click.Path(file_okay=False), required=True,
              help="Pack whose lexicon learns (required, so the installed default is never changed by accident).")
@click.option("--tag", default=None, help="Layer observed:TAG (default observed:learned).")
@click.option("--min-count", type=click.IntRange(min=1), default=1, show_default=True,
              help="Use a learned pair once it has been seen this often.")
@click.option("--family", type=click.Choice(["thesaurus", "sparse", "phrase", "wordnet"]), default=None,
              help="The spinner family the pages come from, when known: a layer learnt from another spinner "
                   "than the content-farm phrase-dictionary one must say so, or the family fingerprint "
                   "names that spinner's pages the content farm's.")
@click.option("--forget", is_flag=True, help="Remove the layer TAG instead of learning.")
def learn_cmd(pairs, pack_dir, tag, min_count, family, forget):
    """Learn a spinner's swaps from spun/original pairs (JSON Lines: id, spun_text, original_text)."""
    from .learn import forget as forget_layer, learn

    if forget:
        forget_layer(Path(pack_dir), tag or "learned")
        click.echo(f"removed observed:{tag or 'learned'}")
        return
    s = learn(Path(pairs), Path(pack_dir), min_count=min_count, tag=tag, family=family)
    fam = f" ({s['family']})" if s["family"] else ""
    click.echo(f"{s['layer']}{fam}: {s['pages']} pages ({s['pages_skipped']} already learned), {s['swaps']} swaps; "
               f"{s['pairs_in_layer']} pairs in use, {s['pairs_needing_support']} awaiting confirmation, "
               f"{s['pairs_below_min_count']} below --min-count")


@cli.command()
@click.option("--spinner", "spinner_name", required=True,
              type=click.Choice(["thesaurus", "sparse", "phrase", "wordnet", "nlpaug-wordnet"]))
@click.option("--corpus", default="../shared/corpora/reuters21578.jsonl.gz", show_default=True,
              type=click.Path(dir_okay=False), help="A .jsonl.gz corpus with id and text.")
@click.option("--docs", type=int, default=20, show_default=True)
@click.option("--split", type=click.Choice(["dev", "test", "all"]), default="test", show_default=True)
@click.option("--rate", type=click.FloatRange(0, 1), default=None, help="Swap rate (default: the family's).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="JSON Lines file (atomic).")
def simulate(spinner_name, corpus, docs, split, rate, seed, output):
    """Spin documents with a simulated spinner family: original, spun text and the true swaps, as JSON Lines."""
    import json

    from .simulate import simulate as run_simulation, write_jsonl_atomic

    if not Path(corpus).is_file():
        raise UnspinError(f"corpus not found: {corpus}")
    rows = run_simulation(Path(corpus), spinner_name, n_docs=docs, split=split, seed=seed, rate=rate)
    if output:
        write_jsonl_atomic(rows, Path(output))
    else:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))


@cli.command()
@click.option("--shared", type=click.Path(file_okay=False), default="../shared", show_default=True)
@click.option("--split", type=click.Choice(["test", "dev"]), default="test", show_default=True,
              help="Report on the test split (default) or the dev split used to choose settings.")
@click.option("--only", default="real,simulated,detection,throughput", show_default=True,
              help="Comma-separated parts: real, simulated, detection, throughput, source (source attribution; "
                   "builds an index of the shared corpora at --source-index if missing).")
@click.option("--source-index", default="/tmp/unspin-index", show_default=True, type=click.Path(file_okay=False))
@click.option("--docs", type=int, default=40, show_default=True, help="Simulated documents per spinner.")
@click.option("--pack", type=click.Path(), default=None)
@click.option("--json", "json_out", type=click.Path(dir_okay=False), default=None, help="Also write the figures here.")
@click.option("--neural", is_flag=True, help="Also measure restoration with the neural reranker (the 'neural' extra).")
def bench(shared, split, only, docs, pack, source_index, json_out, neural):
    """Measure restoration and speed on real and simulated spun text from ../shared."""
    import json

    from rich.console import Console
    from rich.table import Table

    from . import bench as b

    shared_p = Path(shared)
    if not (shared_p / "data").is_dir():
        raise UnspinError(f"shared data not found: {shared_p}/data (pass --shared)")
    parts = [x.strip() for x in only.split(",") if x.strip()]
    unknown = set(parts) - {"real", "simulated", "detection", "throughput", "source"}
    if unknown:
        raise UnspinError(f"unknown --only part(s): {', '.join(sorted(unknown))}")
    res = b.run(shared_p, parts, split, docs, pack, source_index, neural=neural)
    console = Console()
    console.print(f"unspin bench: {res['date']}, {res['machine']}, split={split}")
    t = Table("set", "decoder", "docs", "destroyed", "recovered", "recovery", "broken", "break rate", "words/s")
    rows = []
    for key, name in (("real_pairs_unlearned", "real spun pairs, nothing learnt"),
                      ("real_pairs", "real spun pairs"), ("real_pairs_neural", "real spun pairs")):
        if key in res:
            rows.append((name, res[key]))
    for sim in res.get("simulated", []):
        rows.append((f"{sim['spinner']} spinner, rate {sim['rate']}", sim))
    for name, r in rows:
        tot = r["total"]
        t.add_row(name, "n-gram + neural" if r.get("neural") else "n-gram", str(tot.get("documents", 0)),
                  str(tot.get("destroyed", 0)), str(tot.get("recovered", 0)), f"{tot.get('recovery_rate', 0):.1%}",
                  str(tot.get("broken", 0)), f"{tot.get('break_rate', 0):.2%}",
                  str(r.get("speed", {}).get("words_per_second", "")))
    if rows:  # not for --only detection or throughput
        console.print(t)
    for key in ("real_pairs", "real_pairs_neural"):
        loc = res.get(key, {}).get("localisation")
        if loc:
            f, r = loc["flagged"], loc["restored"]
            console.print(f"real pages, localisation against the aligned swaps ({'n-gram + neural' if key.endswith('neural') else 'n-gram'}): "
                          f"flagged P {f['precision']:.3f} R {f['recall']:.3f} F1 {f['f1']:.3f}; "
                          f"restored P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f}")
    if "detection" in res:
        det = res["detection"]
        t = Table("detection (test split)", "texts", "AUC", "F1 @ verdict", "TPR @ 1% FPR", "false alarms")
        for group in ("per_family", "per_corpus"):
            for name, m in det[group].items():
                t.add_row(f"{group.split('_')[1]}: {name}", str(m["texts"]), str(m["auc"]), f"{m['f1']:.3f}",
                          f"{m['tpr_at_1pct_fpr']:.3f}", f"{m['false_alarms']}/{m['clean']}")
        m = det["all"]
        t.add_row("all", str(m["texts"]), str(m["auc"]), f"{m['f1']:.3f}", f"{m['tpr_at_1pct_fpr']:.3f}",
                  f"{m['false_alarms']}/{m['clean']}")
        console.print(t)
        third = res.get("detection_thirdparty")
        for rate, m in (third or {}).get("per_rate", {}).items():
            console.print(f"never trained on: {third['spinner']}, rate {rate}: {m['texts']} texts, AUC {m['auc']}, "
                          f"F1 @ verdict {m['f1']:.3f}, TPR @ 1% FPR {m['tpr_at_1pct_fpr']:.3f}, false alarms "
                          f"{m['false_alarms']}/{m['clean']}, flagged-word F1 {m['flagged']['f1']:.3f}", soft_wrap=True)
        t = Table("localisation (token level)", "flagged P", "flagged R", "flagged F1", "restored P", "restored R",
                  "restored F1")
        for fam, m in det["localisation"].items():
            r = det.get("localisation_restored", {}).get(fam)
            t.add_row(fam, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}",
                      *((f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}") if r else ("", "", "")))
        console.print(t)
        rd = res["real_detection"]
        console.print(f"real dev pages: lowest spun {rd['min_spun']:.3f} vs highest clean {rd['max_clean']:.3f}; "
                      f"spun flagged {rd['spun_flagged']}/{len(rd['spun'])}, "
                      f"clean flagged {rd['clean_flagged']}/{len(rd['clean'])}")
    if "source" in res:
        src = res["source"]
        t = Table("source attribution", "queries", "hit@1", "MRR", "restored from source")
        for fam, m in src["retrieval"].items():
            rest = src.get("restoration", {}).get(fam, {})
            t.add_row(fam, str(m["queries"]), f"{m['hit@1']:.3f}", f"{m['mrr']:.3f}",
                      f"{rest.get('recovery_rate', 0):.1%}")
        console.print(t)
        lat = src["latency"]["find_ms"]
        console.print(f"source query latency (warm): p50 {lat['p50']} ms, p95 {lat['p95']} ms; index "
                      f"{src['index']['docs']} docs, {src['index']['mb_per_1000_docs']} MB per 1,000 docs")
    if "throughput" in res:
        tp = res["throughput"]
        console.print(f"throughput in one process: {tp['words_per_second']} words/s over {tp['words']} words "
                      f"({tp['documents']} docs), peak RSS {tp['peak_rss_mb']} MB")
        if "after_first_docs" in tp:
            warm = tp["after_first_docs"]
            console.print(f"  the {warm['documents']} documents after the first {tp['documents'] - warm['documents']} "
                          "(a long batch: look-ups cached): "
                          f"{warm['words_per_second']} words/s", soft_wrap=True)
        if "jobs" in tp:
            console.print(f"the same batch as `unspin check` runs it (--jobs auto: {tp['jobs']['jobs']} workers, "
                          f"their start and pack loading included): {tp['jobs']['words_per_second']} words/s",
                          soft_wrap=True)
    if json_out:
        write_atomic(Path(json_out), json.dumps(res, indent=2) + "\n")


from .source.cli import find_cmd as _find_cmd, source as _index_group  # noqa: E402

cli.add_command(_index_group)  # unspin index build|add|stats|bench
cli.add_command(_find_cmd)  # unspin find INPUT... --index DIR


def main() -> None:
    cli(prog_name="unspin")


if __name__ == "__main__":
    main()
