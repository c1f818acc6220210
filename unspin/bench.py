"""``unspin bench``: the numbers in BENCHMARKS.md, reproducible from ``../shared``.

Splits (never tune on test):
- real pairs (``data/real-dev/pairs.jsonl``): ``dev`` = ohtani-41st-homer (used to choose the decoder's
  settings), ``test`` = the other pairs. Each page is checked with the observed swaps learnt from *that*
  page removed from the lexicon, so no page is restored with its own answers.
- simulated spinning: documents of the Reuters-21578 corpus, which the language model is not trained on;
  document index % 10 == 9 is test, index % 10 == 8 dev (see ``lmbuild.HELD_OUT``). The third-party spinner is nlpaug's WordNet synonym
  augmenter; unspin's own naive WordNet spinner is reported beside it.
"""

from __future__ import annotations

import gzip
import json
import platform
import resource
import time
from pathlib import Path

from .evaluate import aggregate, restoration_scores

DEV_PAIRS = ("ohtani-41st-homer",)


def _pairs(shared: Path, split: str) -> list[dict]:
    rows = [json.loads(l) for l in open(shared / "data" / "real-dev" / "pairs.jsonl", encoding="utf-8") if l.strip()]
    return [r for r in rows if (r["id"] in DEV_PAIRS) == (split == "dev")]


def corpus_docs(path: Path, split: str, n: int, min_words: int = 120, max_words: int = 600) -> list[dict]:
    """``n`` documents of a split, of ordinary article length: ``test`` is index % 10 == 9, ``dev`` is
    index % 10 == 8 (the split that also trains the detector); neither is ever in the LM's training text."""
    out = []
    want = {"test": 9, "dev": 8}[split]
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % 10 != want:
                continue
            d = json.loads(line)
            words = len(d.get("text", "").split())
            # Reuters-21578 has many all-caps telegrams and tables: keep prose
            text = d.get("text", "")
            letters = [c for c in text if c.isalpha()]
            if min_words <= words <= max_words and letters and sum(c.isupper() for c in letters) / len(letters) < 0.3:
                out.append(d)
                if len(out) >= n:
                    break
    return out


def _round(d: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()}


def bench_real_pairs(shared: Path, split: str, pack=None, config=None) -> dict:
    from .api import Checker

    results = []
    for p in _pairs(shared, split):
        checker = Checker(pack, config=config, exclude_evidence=[f"observed:{p['id']}"])
        report = checker.check(p["spun_text"], name=p["id"])
        sc = restoration_scores(p["original_text"], p["spun_text"], report.restored)
        sc["id"] = p["id"]
        sc["spin_probability"] = report.spin_probability
        results.append(sc)
    return {"split": split, "pages": [_round(r) for r in results], "total": _round(aggregate(results))}


def bench_simulated(shared: Path, spinner_name: str, split: str, n_docs: int, rate: float, pack=None,
                    config=None, seed: int = 0) -> dict:
    from .api import Checker
    from .spinners import NlpaugWordNetSpinner, WordNetSpinner

    spinner = {"nlpaug-wordnet": NlpaugWordNetSpinner, "wordnet": WordNetSpinner}[spinner_name](rate=rate, seed=seed)
    checker = Checker(pack, config=config)
    results = []
    for d in corpus_docs(shared / "corpora" / "reuters21578.jsonl.gz", split, n_docs):
        spun = spinner.spin(d["text"]).text
        report = checker.check(spun)
        results.append(restoration_scores(d["text"], spun, report.restored))
    return {"spinner": spinner_name, "rate": rate, "split": split, "total": _round(aggregate(results))}


def bench_throughput(shared: Path, n_docs: int = 100, pack=None) -> dict:
    """Words per second of the whole check (ingest, decode, detect) on clean news, pack already loaded."""
    from .api import Checker

    checker = Checker(pack)
    docs = corpus_docs(shared / "corpora" / "reuters21578.jsonl.gz", "test", n_docs)
    checker.check(docs[0]["text"])  # warm caches once, as a running service would be
    t0, words = time.perf_counter(), 0
    for d in docs:
        words += checker.check(d["text"]).words
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"documents": len(docs), "words": words, "seconds": round(dt, 2), "words_per_second": round(words / dt),
            "peak_rss_mb": round(rss)}


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run(shared: Path, what: list[str], split: str, n_docs: int, pack=None) -> dict:
    out: dict = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "split": split}
    if "real" in what:
        out["real_pairs"] = bench_real_pairs(shared, split, pack)
    if "simulated" in what:
        out["simulated"] = [bench_simulated(shared, s, split, n_docs, 0.3, pack) for s in ("nlpaug-wordnet", "wordnet")]
    if "throughput" in what:
        out["throughput"] = bench_throughput(shared, max(n_docs, 50), pack)
    return out
