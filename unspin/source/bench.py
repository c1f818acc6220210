"""Benchmark of source attribution on the shared corpora: retrieval, alignment (plagdet), restoration.

* **Retrieval**: an index over ``shared/corpora/*.jsonl.gz`` (~54,000 documents); queries are test-split
  documents (index % 10 == 9 of each corpus, article length) spun by the ``thesaurus``, ``sparse`` and
  ``phrase`` spinners at their default rates. A query is a hit at rank r when the r-th match is its
  source, or a document with exactly the same text (Reuters-21578 has verbatim duplicates under two ids,
  which no method can tell apart). Reported: hit@1, hit@5, MRR (over the top 10), warm latency.
* **Restoration**: the spun query restored from the best match (``source_restore``), scored against the
  original with :func:`unspin.evaluate.restoration_scores` (end to end: a wrong match counts too).
* **Alignment (PAN-style)**: a run of 3-6 consecutive sentences of a source document, spun, is inserted
  at a paragraph break of an unrelated real news article (``data/real-dev/clean.jsonl``, not in the
  index); the whole article is the query. The passages aligned with the best match are scored against the
  true case with PAN's plagdet.
* **Dense** (optional, ``dense_docs > 0``): embedding all documents takes about an hour on two cores, so
  the dense part is measured on a separate index over a sample of ``dense_docs`` documents that includes
  every query's source: hit@1 of sparse only, dense only and fused on the same index.
"""

from __future__ import annotations

import gzip
import json
import random
import time
from pathlib import Path

from ..bench import machine
from ..evaluate import aggregate, restoration_scores
from ..spinners import make_spinner
from .align import sentence_spans
from .find import SourceIndex
from .index import build, stats
from .plagdet import Span, plagdet

SPINNERS = ("thesaurus", "sparse", "phrase")
# A stress test beside the three families: the naive WordNet spinner also swaps function words
# ("at" -> "astatine"), which is what breaks stopword n-grams. Skipped when WordNet is not installed.
STRESS_SPINNERS = ("wordnet",)


def _available_spinners() -> tuple[str, ...]:
    out = list(SPINNERS)
    for name in STRESS_SPINNERS:
        try:
            make_spinner(name).spin("A test at the start.")
            out.append(name)
        except Exception:  # WordNet missing: the three main families are still measured
            pass
    return tuple(out)
TOP = 10


def _prose(text: str, min_words: int, max_words: int) -> bool:
    words = len(text.split())
    letters = [c for c in text[:5000] if c.isalpha()]
    # Reuters-21578 has all-caps telegrams and tables: keep prose.
    return min_words <= words <= max_words and bool(letters) and sum(c.isupper() for c in letters) / len(letters) < 0.3


def query_documents(corpora: list[Path], n: int, *, min_words: int = 120, max_words: int = 1500,
                   seed: int = 0) -> list[dict]:
    """``n`` test-split documents (index % 10 == 9), drawn evenly from the corpora (seeded)."""
    per: list[list[dict]] = []
    for path in corpora:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            docs = [d for i, line in enumerate(f) if i % 10 == 9
                    for d in [json.loads(line)] if _prose(d.get("text", ""), min_words, max_words)]
        random.Random(f"{seed}:{path.name}").shuffle(docs)
        per.append(docs)
    out: list[dict] = []
    k = 0
    while len(out) < n and any(per):
        bucket = per[k % len(per)]
        if bucket:
            out.append(bucket.pop())
        k += 1
    return out


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _ms(values: list[float]) -> dict:
    return {"p50": round(_pct(values, 0.5) * 1000, 1), "p95": round(_pct(values, 0.95) * 1000, 1)}


def _rank(ix: SourceIndex, matches: list[dict], doc: dict) -> int | None:
    """1-based rank of the first match that is the document or a verbatim copy of it."""
    for r, m in enumerate(matches, 1):
        if m["id"] == doc["id"] or ix.document(m["id"])["text"] == doc["text"]:
            return r
    return None


def bench_retrieval(ix: SourceIndex, docs: list[dict], seed: int = 0) -> tuple[dict, dict, dict]:
    retrieval, restoration = {}, {}
    search_lat, find_lat = [], []
    for name in _available_spinners():
        spinner = make_spinner(name, seed=seed)
        ranks, scores = [], []
        for doc in docs:
            spun = spinner.spin(doc["text"]).text
            t0 = time.perf_counter()
            matches = ix.search(spun, TOP)
            search_lat.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            res = ix.find(spun, TOP, restore=True)
            find_lat.append(time.perf_counter() - t0)
            ranks.append(_rank(ix, matches, doc))
            scores.append(restoration_scores(doc["text"], spun, res["restored"]))
        n = len(ranks)
        retrieval[name] = {
            "queries": n,
            "hit@1": round(sum(r == 1 for r in ranks) / n, 4),
            "hit@5": round(sum(r is not None and r <= 5 for r in ranks) / n, 4),
            "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
            "misses": [d["id"] for d, r in zip(docs, ranks) if r != 1][:10],
        }
        agg = aggregate(scores)
        restoration[name] = {k: round(agg[k], 4) for k in ("recovery_rate", "break_rate", "lcs_spun", "lcs_restored")}
        restoration[name].update(destroyed=agg["destroyed"], recovered=agg["recovered"], broken=agg["broken"])
    latency = {"search_ms": _ms(search_lat), "find_ms": _ms(find_lat), "queries": len(search_lat)}
    return retrieval, restoration, latency


def _clean_hosts(shared: Path) -> list[dict]:
    path = shared / "data" / "real-dev" / "clean.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def bench_plagdet(ix: SourceIndex, sources: list[dict], hosts: list[dict], n_cases: int, seed: int = 0) -> dict:
    rng = random.Random(seed)
    cases, detections, found = [], [], 0
    by_spinner: dict[str, list] = {name: [[], []] for name in SPINNERS}
    candidates = [d for d in sources if len(sentence_spans(d["text"])) >= 8]
    for k in range(n_cases):
        name = SPINNERS[k % len(SPINNERS)]
        src = candidates[k % len(candidates)]
        spans = sentence_spans(src["text"])
        n = rng.randint(3, 6)
        i = rng.randrange(0, len(spans) - n + 1)
        s_start, s_end = spans[i][0], spans[i + n - 1][1]
        spun = make_spinner(name, seed=seed + k).spin(src["text"][s_start:s_end]).text
        host = hosts[k % len(hosts)]["text"].split("\n\n")
        at = rng.randint(1, len(host) - 1) if len(host) > 1 else 1
        before = "\n\n".join(host[:at]) + "\n\n"
        query = before + spun + "\n\n" + "\n\n".join(host[at:])
        qid = f"case-{k}"
        case = Span(qid, src["id"], len(before), len(before) + len(spun), s_start, s_end)
        res = ix.find(query, 5)
        top = res["matches"][0]["id"] if res["matches"] else None
        if top is not None and top != src["id"]:
            # Boilerplate ("About IBN: ...") is in hundreds of press releases word for word: a document
            # that holds the passage verbatim is as much its source, at the offsets where it holds it.
            passage = src["text"][s_start:s_end]
            at_top = ix.document(top)["text"].find(passage)
            if at_top >= 0:
                case = Span(qid, top, case.query_start, case.query_end, at_top, at_top + len(passage))
        found += top == case.source_doc
        dets = [Span(qid, top, p["query_start"], p["query_end"], p["source_start"], p["source_end"])
                for p in res["passages"]]
        cases.append(case)
        detections.extend(dets)
        by_spinner[name][0].append(case)
        by_spinner[name][1].extend(dets)
    out = {k: round(v, 4) if isinstance(v, float) else v for k, v in plagdet(cases, detections).items()}
    out["source_hit@1"] = round(found / n_cases, 4) if n_cases else 0.0
    out["by_spinner"] = {name: round(plagdet(c, d)["plagdet"], 4) for name, (c, d) in by_spinner.items()}
    return out


def bench_dense(shared: Path, index_dir: Path, docs: list[dict], n_docs: int, seed: int = 0,
                rebuild: bool = False) -> dict:
    """Sparse vs dense vs fused hit@1 on an index of ``n_docs`` documents (the query sources + a sample)."""
    from . import dense as dense_mod
    from .find import DENSE_WEIGHT, RRF_K, SPARSE_WEIGHT

    if not dense_mod.available():
        return {"skipped": dense_mod.unavailable_reason()}
    corpora = sorted((shared / "corpora").glob("*.jsonl.gz"))
    want = {d["id"] for d in docs}
    rng = random.Random(seed)
    sample, pool = [], []
    for path in corpora:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                (sample if d["id"] in want else pool).append(d)
    rng.shuffle(pool)
    sample += pool[: max(0, n_docs - len(sample))]
    sub_dir = index_dir.parent / f"{index_dir.name}-dense-{n_docs}"
    if not rebuild and (sub_dir / "docs.sqlite").exists() and stats(sub_dir)["dense_docs"] == len(sample):
        st = stats(sub_dir)  # embedding is the slow part: reuse the sample index of an earlier run
        build_s = st["build_seconds"]
    else:
        corpus = index_dir.parent / f".{index_dir.name}-dense-sample.jsonl"
        corpus.write_text("".join(json.dumps(d) + "\n" for d in sample), encoding="utf-8")
        try:
            t0 = time.perf_counter()
            st = build(sub_dir, [corpus], dense=True, overwrite=True)
            build_s = time.perf_counter() - t0
        finally:
            corpus.unlink(missing_ok=True)
    out: dict = {"docs": st["docs"], "build_docs_per_second": round(st["docs"] / build_s, 1),
                 "ann_bytes_per_1000_docs": round(st["ann_bytes"] * 1000 / st["docs"])}
    with SourceIndex(sub_dir, dense=True) as ix:
        # Two query forms: the whole spun document, and only its first two sentences (a snippet, as a
        # search engine result shows it), where fingerprints are scarce and the lead embedding should help.
        for form in ("document", "snippet"):
            for name in SPINNERS:
                spinner = make_spinner(name, seed=seed)
                hits = {"sparse": 0, "dense": 0, "fused": 0}
                lat = []
                for doc in docs:
                    spun = spinner.spin(doc["text"]).text
                    if form == "snippet":
                        spans = sentence_spans(spun)[:2]
                        spun = spun[spans[0][0] : spans[-1][1]]
                    s_docs, _ = ix.sparse_scores(spun)
                    d_docs, _ = ix.dense_scores(spun)
                    t0 = time.perf_counter()
                    fused = ix.search(spun, 1)
                    lat.append(time.perf_counter() - t0)
                    top_ids = {
                        "sparse": ix._docs_meta([int(s_docs[0])])[int(s_docs[0])][0] if len(s_docs) else None,
                        "dense": ix._docs_meta([int(d_docs[0])])[int(d_docs[0])][0] if len(d_docs) else None,
                        "fused": fused[0]["id"] if fused else None,
                    }
                    for kind, top in top_ids.items():
                        hits[kind] += top is not None and (top == doc["id"] or ix.document(top)["text"] == doc["text"])
                key = name if form == "document" else f"{name}-snippet"
                out[key] = {f"hit@1_{k}": round(v / len(docs), 4) for k, v in hits.items()}
                out[key]["search_ms"] = _ms(lat)
    out["fusion"] = {"rrf_k": RRF_K, "sparse_weight": SPARSE_WEIGHT, "dense_weight": DENSE_WEIGHT}
    return out


def run_bench(shared_dir: str | Path, index_dir: str | Path, n_queries: int = 100, *, rebuild: bool = False,
              n_plagdet: int = 60, dense_docs: int = 0, seed: int = 0) -> dict:
    """Build (or reuse) a sparse index over the shared corpora in ``index_dir`` and measure everything above.

    ``n_queries`` documents are spun by each of the three spinners. ``dense_docs`` > 0 also measures the
    dense part on a separate index of that many documents (slow: ~10 documents/s to embed on two cores).
    """
    shared, index_dir = Path(shared_dir), Path(index_dir)
    corpora = sorted((shared / "corpora").glob("*.jsonl.gz"))
    out: dict = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "corpora": [p.name for p in corpora]}
    if rebuild or not (index_dir / "docs.sqlite").exists():
        t0 = time.perf_counter()
        st = build(index_dir, corpora, dense=False, overwrite=True)
        build_s = time.perf_counter() - t0
    else:
        st = stats(index_dir)
        build_s = st["build_seconds"] or 0.0
    out["index"] = {
        "docs": st["docs"], "features": st["features"], "postings": st["postings"],
        "build_seconds": round(build_s, 1),
        "build_docs_per_second": round(st["docs"] / build_s, 1) if build_s else None,
        "bytes": st["db_bytes"] + st["ann_bytes"], "mb_per_1000_docs": round(st["bytes_per_1000_docs"] / 1e6, 3),
        "dense": st["dense"],
    }
    docs = query_documents(corpora, n_queries, seed=seed)
    with SourceIndex(index_dir, dense=False) as ix:
        ix.search(docs[0]["text"])  # warm the page cache and code paths, as a running service would be
        retrieval, restoration, latency = bench_retrieval(ix, docs, seed)
        out.update(retrieval=retrieval, restoration=restoration, latency=latency)
        sources = query_documents(corpora, max(n_plagdet, 1), min_words=200, max_words=3000, seed=seed + 1)
        out["plagdet"] = bench_plagdet(ix, sources, _clean_hosts(shared), n_plagdet, seed)
    if dense_docs:
        out["dense_subset"] = bench_dense(shared, index_dir, docs, dense_docs, seed, rebuild)
    return out


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description="source attribution benchmark")
    ap.add_argument("--shared", default="../shared")
    ap.add_argument("--index", default="/tmp/unspin-index")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--plagdet", type=int, default=60)
    ap.add_argument("--dense-docs", type=int, default=0)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--json", dest="json_out")
    a = ap.parse_args(argv)
    res = run_bench(a.shared, a.index, a.queries, rebuild=a.rebuild, n_plagdet=a.plagdet, dense_docs=a.dense_docs)
    text = json.dumps(res, indent=2)
    if a.json_out:
        Path(a.json_out).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
