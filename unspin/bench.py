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


def _speed(words: int, seconds: float) -> dict:
    return {"words": words, "seconds": round(seconds, 2), "words_per_second": round(words / max(seconds, 1e-9), 1)}


def observed_tags(shared: Path) -> list[str]:
    """The lexicon layers of the swaps observed on real pages (``observed:<page id>``), as the shipped pack
    learnt them from ``data/real-dev``."""
    import csv

    real = shared / "data" / "real-dev"
    ids = {json.loads(l)["id"] for l in open(real / "pairs.jsonl", encoding="utf-8") if l.strip()}
    with open(real / "substitutions.tsv", encoding="utf-8") as f:
        ids |= {row["example_pair_id"] for row in csv.DictReader(f, delimiter="\t") if row.get("example_pair_id")}
    return sorted(f"observed:{i}" for i in ids)


def bench_real_pairs(shared: Path, split: str, pack=None, config=None, neural=False, learned: bool = True) -> dict:
    """Restoration of the real spun pages of a split; ``neural``: with the neural reranker (True or a
    NeuralReranker to share one loaded model). Words/s counts the check alone, pack already loaded.

    Each page is checked without the swaps observed on it; ``learned=False`` also leaves out those observed
    on every other real page: what learning from other pages of the spinner adds (issue 4)."""
    from .api import Checker

    from .evaluate import localisation_scores
    from .learn import align_pair

    results, words, seconds = [], 0, 0.0
    flagged, restored = [], []  # localisation against the swaps found by aligning page and original
    others = [] if learned else observed_tags(shared)
    for p in _pairs(shared, split):
        checker = Checker(pack, config=config, exclude_evidence=[f"observed:{p['id']}", *others], neural=neural)
        t0 = time.perf_counter()
        report = checker.check(p["spun_text"], name=p["id"])
        seconds += time.perf_counter() - t0
        words += report.words
        sc = restoration_scores(p["original_text"], p["spun_text"], report.restored)
        sc["id"] = p["id"]
        sc["spin_probability"] = report.spin_probability
        results.append(sc)
        truth = [(w.start, w.end) for w in align_pair(report.text, p["original_text"])]
        flagged.append(localisation_scores(report.text, truth, [(f.start, f.end) for f in report.flagged]))
        restored.append(localisation_scores(report.text, truth, [(x.start, x.end) for x in report.substitutions]))
    return {"split": split, "neural": bool(neural), "learned": learned, "pages": [_round(r) for r in results],
            "total": _round(aggregate(results)), "speed": _speed(words, seconds),
            "localisation": {"flagged": _round(aggregate(flagged)), "restored": _round(aggregate(restored))}}


def bench_simulated(shared: Path, spinner_name: str, split: str, n_docs: int, rate: float, pack=None,
                    config=None, seed: int = 0, neural=False) -> dict:
    from .api import Checker
    from .spinners import NlpaugWordNetSpinner, WordNetSpinner

    spinner = {"nlpaug-wordnet": NlpaugWordNetSpinner, "wordnet": WordNetSpinner}[spinner_name](rate=rate, seed=seed)
    checker = Checker(pack, config=config, neural=neural)
    results, words, seconds = [], 0, 0.0
    for d in corpus_docs(shared / "corpora" / "reuters21578.jsonl.gz", split, n_docs):
        spun = spinner.spin(d["text"]).text
        t0 = time.perf_counter()
        report = checker.check(spun)
        seconds += time.perf_counter() - t0
        words += report.words
        results.append(restoration_scores(d["text"], spun, report.restored))
    return {"spinner": spinner_name, "rate": rate, "split": split, "neural": bool(neural),
            "total": _round(aggregate(results)), "speed": _speed(words, seconds)}


WARM_AFTER_DOCS = 100  # the throughput of a long batch is measured on the documents after these


def bench_throughput(shared: Path, n_docs: int = 100, pack=None, jobs: int | str = "auto") -> dict:
    """Words per second of the whole check (ingest, decode, detect) on clean news, pack already loaded."""
    from .api import Checker

    checker = Checker(pack)
    docs = corpus_docs(shared / "corpora" / "reuters21578.jsonl.gz", "test", n_docs)
    # warm up once, as a running service would be: a clean text, and a spun one, which also loads what
    # only spun texts need (the family classifier's word vectors, ~0.6 s once)
    checker.check(docs[0]["text"])
    example = shared / "examples" / "karabakh-spun.txt"
    if example.is_file():
        checker.check(example.read_text(encoding="utf-8"))
    t0, words = time.perf_counter(), 0
    warm_t0, warm_words = None, 0
    for k, d in enumerate(docs):
        if k == WARM_AFTER_DOCS:
            warm_t0, warm_words = time.perf_counter(), words
        words += checker.check(d["text"]).words
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"documents": len(docs), "words": words, "seconds": round(dt, 2), "words_per_second": round(words / dt),
           "peak_rss_mb": round(rss)}
    if warm_t0 is not None:
        # A long batch or a service has met most words of a new text before: its look-ups are cached. The
        # documents after the first WARM_AFTER_DOCS (unseen texts all) show that rate.
        out["after_first_docs"] = {"documents": len(docs) - WARM_AFTER_DOCS, "words": words - warm_words,
                                   "words_per_second": round((words - warm_words) / (time.perf_counter() - warm_t0))}
    from .api import auto_jobs, check_many

    if jobs == "auto":  # as `unspin check` decides for a batch of this size
        jobs = auto_jobs(len(docs))
    if jobs > 1:
        # the same texts as a batch in worker processes (unspin check --jobs): the clock includes starting
        # the workers and loading a pack in each, and their caches start cold
        t0 = time.perf_counter()
        n = sum(r.words for r in check_many([d["text"] for d in docs], jobs=jobs, pack=pack))
        dt = time.perf_counter() - t0
        out["jobs"] = {"jobs": jobs, "seconds": round(dt, 2), "words_per_second": round(n / dt)}
    return out


def _tpr_at_fpr(clean: list[float], spun: list[float], fpr: float = 0.01) -> float:
    import numpy as np

    if not clean or not spun:
        return 0.0
    thr = float(np.quantile(np.asarray(clean), 1 - fpr, method="higher"))
    return sum(p > thr for p in spun) / len(spun)


def bench_detection(shared: Path, n_docs: int, pack=None, families=("thesaurus", "sparse", "phrase", "wordnet"),
                    corpora=("pressreleases", "reuters21578", "wikipedia-half"), seed: int = 0) -> dict:
    """Detection (AUC, F1 at the default verdict, TPR at 1% FPR) and localisation (token P/R/F1 of the
    flagged spans against the true swaps) on test-split documents, per spinner family and per corpus."""
    import random

    from .api import Checker
    from .evaluate import localisation_scores
    from .spinners import make_spinner

    checker = Checker(pack)
    rng = random.Random(seed)
    rows = []  # (corpus, family, label, p, flagged)
    loc: dict[str, list] = {}  # the localiser's flagged words
    loc_restored: dict[str, list] = {}  # the words the decoder changed
    for corpus in corpora:
        docs = corpus_docs(shared / "corpora" / f"{corpus}.jsonl.gz", "test", n_docs * len(families), min_words=80,
                           max_words=1500)
        for k, d in enumerate(docs):
            family = families[k % len(families)]
            rows.append(_detection_row(checker, corpus, "clean", d["text"])[0])
            res = make_spinner(family, seed=rng.randrange(1 << 30)).spin(d["text"])
            row, rep = _detection_row(checker, corpus, family, res.text)
            rows.append(row)
            truth = [(a, b) for a, b, *_ in res.swaps]
            loc.setdefault(family, []).append(localisation_scores(
                res.text, truth, [(f.start, f.end) for f in rep.flagged]))
            loc_restored.setdefault(family, []).append(localisation_scores(
                res.text, truth, [(s.start, s.end) for s in rep.substitutions]))

    summary = _detection_summary
    out = {"per_family": {}, "per_corpus": {}, "localisation": {}, "localisation_restored": {}}
    for fam in families:
        out["per_family"][fam] = summary([r for r in rows if r[1] in (fam, "clean")])
    for corpus in corpora:
        out["per_corpus"][corpus] = summary([r for r in rows if r[0] == corpus])
    out["all"] = summary(rows)
    for fam, scores in loc.items():
        out["localisation"][fam] = _round(aggregate(scores))
    for fam, scores in loc_restored.items():
        out["localisation_restored"][fam] = _round(aggregate(scores))
    return out


def _detection_row(checker, corpus: str, family: str, text: str) -> tuple[tuple, object]:
    """One text checked: its row (corpus, family, label, p, flagged) for :func:`_detection_summary`, and the
    report. ``family`` "clean" is label 0, any spinner 1."""
    rep = checker.check(text)
    return (corpus, family, int(family != "clean"), rep.spin_probability, rep.verdict == "spun"), rep


def _detection_summary(sel: list[tuple]) -> dict:
    """AUC, F1 at the verdict, TPR at 1% FPR and false alarms of rows (corpus, family, label, p, flagged)."""
    from sklearn.metrics import roc_auc_score

    y = [r[2] for r in sel]
    p = [r[3] for r in sel]
    flagged = [r[4] for r in sel]
    tp = sum(f and l for f, l in zip(flagged, y))
    fp = sum(f and not l for f, l in zip(flagged, y))
    fn = sum((not f) and l for f, l in zip(flagged, y))
    f1 = 2 * tp / max(2 * tp + fp + fn, 1)
    return {"texts": len(sel), "auc": round(roc_auc_score(y, p), 4) if len(set(y)) == 2 else None,
            "f1": round(f1, 4), "tpr_at_1pct_fpr": round(_tpr_at_fpr([r[3] for r in sel if not r[2]],
                                                                     [r[3] for r in sel if r[2]]), 4),
            "false_alarms": fp, "clean": sum(1 for v in y if not v)}


def bench_detection_thirdparty(shared: Path, n_docs: int, pack=None, spinner: str = "nlpaug-wordnet",
                               rates=(0.15, 0.3), corpora=("pressreleases", "reuters21578", "wikipedia-half"),
                               seed: int = 0) -> dict:
    """Detection of a third-party spinner that no model was trained on (nlpaug's WordNet augmenter; the
    detector, localiser and fingerprint learnt unspin's own four simulated families): test-split documents of
    each corpus, clean and spun at each rate, with the localiser's flagged words against the true swaps."""
    import random

    from .api import Checker
    from .evaluate import localisation_scores
    from .spinners import make_spinner

    checker = Checker(pack)
    rng = random.Random(seed)
    clean_rows, spun_rows, loc = [], {r: [] for r in rates}, {r: [] for r in rates}
    for corpus in corpora:
        for d in corpus_docs(shared / "corpora" / f"{corpus}.jsonl.gz", "test", n_docs, min_words=80, max_words=1500):
            clean_rows.append(_detection_row(checker, corpus, "clean", d["text"])[0])
            for rate in rates:
                res = make_spinner(spinner, rate=rate, seed=rng.randrange(1 << 30)).spin(d["text"])
                row, rep = _detection_row(checker, corpus, spinner, res.text)
                spun_rows[rate].append(row)
                loc[rate].append(localisation_scores(res.text, [(a, b) for a, b, *_ in res.swaps],
                                                     [(f.start, f.end) for f in rep.flagged]))
    return {"spinner": spinner, "per_rate": {
        str(rate): {**_detection_summary(clean_rows + spun_rows[rate]),
                    "flagged": _round(aggregate(loc[rate]))} for rate in rates}}


def bench_real_detection(shared: Path, pack=None) -> dict:
    """Real spun pages of the dev data (pairs and spun-only) against real clean news (dev data)."""
    from .api import Checker

    checker = Checker(pack)
    real = shared / "data" / "real-dev"
    spun = [json.loads(l) for f in ("pairs.jsonl", "spun-only.jsonl") for l in open(real / f, encoding="utf-8")
            if l.strip()]
    clean = [json.loads(l) for l in open(real / "clean.jsonl", encoding="utf-8") if l.strip()]
    sp = {d["id"]: checker.check(d["spun_text"]) for d in spun}
    cl = {d["id"]: checker.check(d["text"]) for d in clean}
    return {
        "spun": {k: round(r.spin_probability, 4) for k, r in sp.items()},
        "clean": {k: round(r.spin_probability, 4) for k, r in cl.items()},
        "min_spun": round(min(r.spin_probability for r in sp.values()), 4),
        "max_clean": round(max(r.spin_probability for r in cl.values()), 4),
        "spun_flagged": sum(r.verdict == "spun" for r in sp.values()),
        "clean_flagged": sum(r.verdict == "spun" for r in cl.values()),
    }


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run(shared: Path, what: list[str], split: str, n_docs: int, pack=None,
        source_index: str = "/tmp/unspin-index", neural: bool = False) -> dict:
    """``neural``: also measure restoration with the neural reranker (real and simulated parts)."""
    out: dict = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "split": split}
    reranker = None
    if neural:
        from .neural import NeuralReranker

        reranker = NeuralReranker()  # one loaded model for every run
    if "real" in what:
        out["real_pairs"] = bench_real_pairs(shared, split, pack)
        out["real_pairs_unlearned"] = bench_real_pairs(shared, split, pack, learned=False)
        if reranker:
            out["real_pairs_neural"] = bench_real_pairs(shared, split, pack, neural=reranker)
    if "simulated" in what:
        out["simulated"] = [bench_simulated(shared, s, split, n_docs, 0.3, pack) for s in ("nlpaug-wordnet", "wordnet")]
        if reranker:
            out["simulated"] += [bench_simulated(shared, s, split, n_docs, 0.3, pack, neural=reranker)
                                 for s in ("nlpaug-wordnet", "wordnet")]
    if "detection" in what:
        out["detection"] = bench_detection(shared, max(1, n_docs // 4), pack)
        out["detection_thirdparty"] = bench_detection_thirdparty(shared, max(1, n_docs // 4), pack)
        out["real_detection"] = bench_real_detection(shared, pack)
    if "source" in what:  # builds the index over the shared corpora first if it is not there (~2-3 min)
        from .source.bench import run_bench

        out["source"] = run_bench(shared, Path(source_index), max(n_docs, 20))
    if "throughput" in what:
        out["throughput"] = bench_throughput(shared, max(n_docs, 50), pack)
    return out
