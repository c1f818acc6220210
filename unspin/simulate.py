"""Simulated spun corpora: run a seeded spinner family over a clean corpus and keep the exact swaps.

The rows are training and test data for the spin detector and ground truth for restoration benchmarks::

    rows = simulate("/work/shared/corpora/reuters21578.jsonl.gz", "thesaurus", n_docs=200, split="dev", seed=1)
    write_jsonl_atomic(rows, "data/sim/reuters-thesaurus-dev.jsonl")

or from the shell::

    python -m unspin.simulate CORPUS SPINNER --n-docs 200 --split dev --seed 1 --out rows.jsonl

Splits are by document index in the corpus file: index % 10 == 9 is ``test``, every other index ``dev``
(``all`` is both), so a document is in the same split whatever the spinner, seed or ``n_docs``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .document import tokenize
from .spinners import DEFAULT_RATES, SPINNERS, make_spinner

SPLITS = ("dev", "test", "all")
MIN_WORDS = 80


def split_of(index: int) -> str:
    """The split of the document at ``index`` (0-based line number) of a corpus."""
    return "test" if index % 10 == 9 else "dev"


def read_corpus(path: str | os.PathLike, split: str = "all") -> Iterator[tuple[int, dict]]:
    """``(index, document)`` for each document of a JSONL corpus (gzip or plain) in ``split``."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        index = -1
        for line in f:
            if not line.strip():
                continue
            index += 1
            if split != "all" and split_of(index) != split:
                continue
            yield index, json.loads(line)


def word_count(text: str) -> int:
    return sum(t.is_word for t in tokenize(text))


def simulate(corpus_path: str | os.PathLike, spinner_name: str, *, n_docs: int | None, split: str, seed: int,
             rate: float | None = None) -> Iterator[dict]:
    """Spin up to ``n_docs`` documents of ``split`` (``None``: all of them) with the spinner family
    ``spinner_name`` (see :data:`unspin.spinners.SPINNERS`), skipping documents under 80 words.

    Each row: ``{"id", "spinner", "seed", "original", "spun", "swaps"}`` with ``swaps`` a list of
    ``[start, end, spun, original]``, ``spun[start:end] == spun`` for each; putting the originals back
    gives ``original`` exactly. ``rate`` ``None`` is the family's default.
    """
    if spinner_name not in SPINNERS:
        raise ValueError(f"unknown spinner {spinner_name!r}; choose from {', '.join(SPINNERS)}")
    if n_docs is not None and n_docs <= 0:
        return
    spinner = make_spinner(spinner_name, rate=rate, seed=seed)
    done = 0
    for index, doc in read_corpus(corpus_path, split):
        text = doc.get("text") or ""
        if word_count(text) < MIN_WORDS:
            continue
        result = spinner.spin(text)
        yield {
            "id": str(doc.get("id", index)),
            "spinner": spinner_name,
            "seed": seed,
            "original": text,
            "spun": result.text,
            "swaps": [[s, e, spun, orig] for s, e, spun, orig in result.swaps],
        }
        done += 1
        if n_docs is not None and done >= n_docs:
            return


def write_jsonl_atomic(rows: Iterable[dict], path: str | os.PathLike) -> int:
    """Write ``rows`` as JSON lines to ``path`` atomically: to a temporary file in the same folder, then
    ``os.replace``, so readers see the old file or the complete new one, never a partial one. Returns the
    number of rows written; on any error the temporary file is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    n = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m unspin.simulate", description=__doc__.split("\n")[0])
    ap.add_argument("corpus", help="gzip JSONL corpus with id and text fields")
    ap.add_argument("spinner", choices=list(SPINNERS))
    ap.add_argument("--n-docs", type=int, default=None)
    ap.add_argument("--split", choices=SPLITS, default="dev")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--rate", type=float, default=None,
                    help="swap rate (default: the family's: " +
                         ", ".join(f"{k} {v}" for k, v in DEFAULT_RATES.items()) + ")")
    ap.add_argument("--out", required=True, help="output JSONL path (written atomically)")
    args = ap.parse_args(argv)
    rows = simulate(args.corpus, args.spinner, n_docs=args.n_docs, split=args.split, seed=args.seed, rate=args.rate)
    n = write_jsonl_atomic(rows, args.out)
    print(f"wrote {n} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
