"""Find the document a (spun) text was copied from, and align the two.

:class:`SourceIndex` opens an index once (SQLite, the ANN file memory-mapped, the embedding model loaded)
and then answers many queries, which is what a service or a benchmark wants; :func:`find` is the one-shot
form.

A query goes through three stages:

1. **Candidates** from ranked lists: the sparse ranking of the whole text (idf-weighted share of its
   fingerprints found in each document: its *containment*), a short sparse ranking for each window of about
   a paragraph (so that a copied passage inside other text is not drowned by that text's fingerprints),
   and, when the index has vectors, the dense ranking (cosine of all-MiniLM-L6-v2 lead embeddings).
2. **Fusion** of those lists by *weighted reciprocal-rank fusion* (Cormack et al. 2009). RRF needs no
   calibration between a containment and a cosine; the weights keep the whole-text sparse list, the precise
   signal for copies, in charge, while the window lists and the dense list add candidates it misses
   (partial copies; copies whose fingerprints were destroyed by function-word rewriting).
3. **Verification**: the best VERIFY candidates are aligned with the query (align.py) and ordered by how
   much of the query their aligned passages cover. This is what separates a copy from a document on the
   same subject, and a press release from its template twin that differs only in the date.
"""

from __future__ import annotations

import math
import threading
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np

from ..errors import UnspinError
from . import fingerprints
from .align import (Alignment, align_sentences, apply_edits, restore_with_source, sentence_spans, sentences,
                    source_edits)
from .index import ANN_NAME, check_compatible, connect

POOL = 50  # candidates taken from each of the sparse and the dense lists before fusion
RRF_K = 60  # the usual RRF constant (Cormack et al. 2009): flattens the difference between ranks 1 and 2
SPARSE_WEIGHT = 1.0
DENSE_WEIGHT = 0.5
CHUNK_WORDS = 120  # windows of about a paragraph, so a copied passage inside other text is found too
MAX_CHUNKS = 40
CHUNK_POOL = 10
CHUNK_WEIGHT = 0.5
VERIFY = 5  # candidates aligned with the query to verify and order them
EARLY_STOP_COVERAGE = 0.5  # a verified candidate accounting for this much of the query is a clear copy ...
EARLY_STOP_RATIO = 0.5  # ... and candidates with under this share of its fingerprint score are not aligned
_SQL_VARS = 900  # SQLite's default limit on bound variables is 999 (older builds)


def _chunks(text: str) -> list[str]:
    """Overlapping windows of whole sentences of about CHUNK_WORDS words (each starts half a window after
    the previous one), for texts long enough to have more than one; at most MAX_CHUNKS, evenly spread."""
    spans = sentence_spans(text)
    words = [len(text[a:b].split()) for a, b in spans]
    if sum(words) < 1.5 * CHUNK_WORDS:
        return []
    out, i = [], 0
    while i < len(spans):
        j, n = i, 0
        while j < len(spans) and n < CHUNK_WORDS:
            n += words[j]
            j += 1
        out.append(text[spans[i][0] : spans[j - 1][1]])
        if j >= len(spans):
            break
        # next window starts at the sentence where this one passed half its words
        half, m, nxt = n / 2, 0, i
        while nxt < j - 1 and m + words[nxt] <= half:
            m += words[nxt]
            nxt += 1
        i = max(nxt, i + 1)
    if len(out) > MAX_CHUNKS:
        step = len(out) / MAX_CHUNKS
        out = [out[int(k * step)] for k in range(MAX_CHUNKS)]
    return out


class SourceIndex:
    """An opened source index. ``dense``: None uses the dense vectors when the index has them and the
    model is installed; True requires them; False searches with the sparse fingerprints only."""

    def __init__(self, index_dir: str | Path, *, dense: bool | None = None):
        self.index_dir = Path(index_dir)
        self.con, self.meta = connect(self.index_dir)
        self._lock = threading.Lock()
        try:
            check_compatible(self.index_dir, self.meta)
            self.n_docs = int(self.meta["docs"])
            self.max_doc = self._sql("SELECT MAX(doc) FROM documents")[0][0] or 0
            self.ann = None
            self.embedder = None
            if dense is None:
                from .dense import available

                dense = bool(self.meta["dense"]) and available()
            if dense:
                if not self.meta["dense"]:
                    raise UnspinError(f"index {self.index_dir} has no dense vectors (it was built with --no-dense)")
                from .dense import Embedder, open_ann

                self.ann = open_ann(self.index_dir / ANN_NAME, view=True)
                self.embedder = Embedder.shared()
        except BaseException:
            self.con.close()
            raise

    # --- plumbing --------------------------------------------------------------------------------------

    def _sql(self, query: str, args=()) -> list[tuple]:
        import sqlite3

        with self._lock:
            try:
                return self.con.execute(query, args).fetchall()
            except sqlite3.DatabaseError as e:
                raise UnspinError(f"index {self.index_dir} is corrupt: {e}") from None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "SourceIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def dense(self) -> bool:
        return self.ann is not None

    # --- retrieval -------------------------------------------------------------------------------------

    def _postings(self, feats: list[int]) -> dict[int, tuple[float, np.ndarray]]:
        """feature -> (idf, document numbers) for the features of ``feats`` that are in the index."""
        out = {}
        n = self.n_docs
        for i in range(0, len(feats), _SQL_VARS):
            chunk = feats[i : i + _SQL_VARS]
            rows = self._sql(f"SELECT feature, df, docs FROM postings WHERE feature IN ({','.join('?' * len(chunk))})",
                             chunk)
            for feature, df, blob in rows:
                out[feature] = (math.log((n + 1) / df), np.frombuffer(blob, dtype="<i4"))
        return out

    def _rank(self, feats: list[int], table: dict, pool: int) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, containment) of the ``pool`` documents sharing the most idf mass with
        ``feats``. Containment is that mass over the query's total, where a fingerprint in no document
        weighs as much as the rarest one."""
        unseen_idf = math.log(self.n_docs + 1)
        total, arrays, weights = 0.0, [], []
        for f in feats:
            hit = table.get(f)
            if hit is None:
                total += unseen_idf
            else:
                total += hit[0]
                arrays.append(hit[1])
                weights.append(np.full(len(hit[1]), hit[0]))
        if not arrays:
            return np.empty(0, np.int64), np.empty(0)
        acc = np.bincount(np.concatenate(arrays), weights=np.concatenate(weights), minlength=self.max_doc + 1)
        hits = np.flatnonzero(acc)
        if len(hits) > pool:  # select before sorting: common fingerprints touch thousands of documents
            hits = hits[np.argpartition(-acc[hits], pool)[:pool]]
        top = hits[np.argsort(-acc[hits], kind="stable")]
        return top, acc[top] / total

    def sparse_scores(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, containment scores) of the documents sharing fingerprints with ``text``,
        best first, at most POOL of them."""
        feats = fingerprints.features(text).tolist()
        return self._rank(feats, self._postings(feats), POOL)

    def _sparse_lists(self, text: str) -> tuple[tuple[np.ndarray, np.ndarray], list[np.ndarray]]:
        """The whole-text sparse ranking and one short ranking per window of the text (see _chunks), from
        a single postings lookup."""
        whole = fingerprints.features(text)
        chunks = [fingerprints.features(c) for c in _chunks(text)]
        feats = np.unique(np.concatenate([whole, *chunks])) if chunks else whole
        table = self._postings(feats.tolist())
        return (self._rank(whole.tolist(), table, POOL),
                [self._rank(c.tolist(), table, CHUNK_POOL)[0] for c in chunks])

    def _embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def dense_scores(self, text: str, qvec: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, cosines) of the POOL nearest leads to the query's lead, best first."""
        if self.ann is None:
            return np.empty(0, np.int64), np.empty(0)
        qvec = self._embed_query(text) if qvec is None else qvec
        m = self.ann.search(qvec, min(POOL, len(self.ann)))
        return np.asarray(m.keys, dtype=np.int64), 1.0 - np.asarray(m.distances, dtype=np.float64)

    def _cosines(self, docs: list[int], qvec: np.ndarray) -> dict[int, float]:
        out = {}
        for d in docs:
            v = self.ann.get(np.uint64(d))
            if v is not None:
                v = np.asarray(v, dtype=np.float32).ravel()
                norm = float(np.linalg.norm(v))
                if norm > 0:
                    out[d] = float(v @ qvec) / norm
        return out

    def _search(self, text: str, k: int, substitutions=None) -> tuple[list[dict], dict[str, Alignment], dict[str, str]]:
        if k < 1:
            raise UnspinError("k must be at least 1")
        (s_docs, s_scores), chunk_lists = self._sparse_lists(text)
        sparse = dict(zip(s_docs.tolist(), s_scores.tolist()))
        fused: dict[int, float] = defaultdict(float)
        for r, d in enumerate(s_docs.tolist(), 1):
            fused[d] += SPARSE_WEIGHT / (RRF_K + r)
        # A document's window bonus is its best rank in any window, not a sum over windows: boilerplate
        # shared by a family of template press releases fills many windows, a copied passage only one.
        best_window: dict[int, int] = {}
        for docs in chunk_lists:
            for r, d in enumerate(docs.tolist(), 1):
                best_window[d] = min(r, best_window.get(d, r))
        for d, r in best_window.items():
            fused[d] += CHUNK_WEIGHT / (RRF_K + r)
        cos: dict[int, float] = {}
        if self.ann is not None:
            qvec = self._embed_query(text)
            d_docs, d_cos = self.dense_scores(text, qvec)
            cos = dict(zip(d_docs.tolist(), d_cos.tolist()))
            for r, d in enumerate(d_docs.tolist(), 1):
                fused[d] += DENSE_WEIGHT / (RRF_K + r)
        ranked = sorted(fused, key=lambda d: (-fused[d], -sparse.get(d, 0.0), -cos.get(d, 0.0), d))
        # Verification: align the query with the best few candidates and put those that share aligned
        # passages first, by how much of the query they account for. Fingerprints say "these documents
        # share rare names and function-word patterns"; alignment says "this text was copied from here".
        query_sents = sentences(text, substitutions)
        query_chars = sum(s.end - s.start for s in query_sents) or 1
        alignments: dict[int, Alignment] = {}
        texts: dict[int, str] = {}
        coverage: dict[int, float] = {}
        # The best of each window is verified too (up to VERIFY more): a passage copied into a longer
        # text tops its window's list but may rank low overall, below documents on the host's subject.
        window_tops = {int(docs[0]) for docs in chunk_lists if len(docs)}
        to_verify = ranked[:VERIFY] + [d for d in ranked[VERIFY:] if d in window_tops][:VERIFY]
        best_sparse = 0.0  # fingerprint score of the best candidate found to be a copy so far
        for d in to_verify:
            # Aligning is most of a query's time. Once a candidate is a clear copy, candidates with far
            # fewer shared fingerprints cannot beat it (near-duplicates, such as template press releases,
            # score alike and are still aligned).
            if best_sparse and sparse.get(d, 0.0) < EARLY_STOP_RATIO * best_sparse and d not in window_tops:
                continue
            texts[d] = self._text(d)
            al = align_sentences(text, texts[d], substitutions, query=query_sents)
            alignments[d] = al
            coverage[d] = sum((p.query_end - p.query_start) * p.similarity for p in al.passages) / query_chars
            if coverage[d] >= EARLY_STOP_COVERAGE:
                best_sparse = max(best_sparse, sparse.get(d, 0.0))
        ranked.sort(key=lambda d: -coverage.get(d, 0.0))  # stable: unverified keep the fused order
        ranked = ranked[:k]
        if self.ann is not None:
            cos.update(self._cosines([d for d in ranked if d not in cos], qvec))
        meta = self._docs_meta(ranked)
        out = []
        for d in ranked:
            doc_id, title, url = meta[d]
            out.append({"id": doc_id, "title": title, "url": url,
                        "score": round(coverage.get(d, 0.0), 4),
                        "verified": d in coverage,
                        "sparse": round(sparse.get(d, 0.0), 4),
                        "dense": round(cos[d], 4) if d in cos else None})
        # find() needs the best match's alignment and text: hand them over by id rather than redo them
        return (out, {meta[d][0]: al for d, al in alignments.items() if d in meta},
                {meta[d][0]: t for d, t in texts.items() if d in meta})

    def search(self, text: str, k: int = 5, *, substitutions=None) -> list[dict]:
        """The ``k`` most likely sources of ``text``, best first: ``[{id, title, url, score, verified,
        sparse, dense}]``.

        ``score`` (0..1) is the share of the query's sentences aligned with the document, weighted by
        their similarity (0 for a document that was not aligned: ``verified`` is False beyond the first
        VERIFY candidates). ``sparse`` is the fingerprint containment (0..1) and ``dense`` the cosine of
        the lead embeddings (None without dense vectors)."""
        return self._search(text, k, substitutions)[0]

    def _docs_meta(self, docs: list[int]) -> dict[int, tuple]:
        if not docs:
            return {}
        rows = self._sql(f"SELECT doc, id, title, url FROM documents WHERE doc IN ({','.join('?' * len(docs))})", docs)
        return {r[0]: r[1:] for r in rows}

    # --- documents and alignment -----------------------------------------------------------------------

    def document(self, doc_id: str) -> dict:
        """A stored document: ``{id, title, url, date, text, corpus}``."""
        rows = self._sql("SELECT id, title, url, date, text_z, corpus FROM documents WHERE id = ?", (doc_id,))
        if not rows:
            raise UnspinError(f"no document {doc_id!r} in index {self.index_dir}")
        doc_id, title, url, date, text_z, corpus = rows[0]
        try:
            text = zlib.decompress(text_z).decode("utf-8")
        except (zlib.error, UnicodeDecodeError) as e:
            raise UnspinError(f"index {self.index_dir} is corrupt: document {doc_id!r}: {e}") from None
        return {"id": doc_id, "title": title, "url": url, "date": date, "text": text, "corpus": corpus}

    def _text(self, doc: int) -> str:
        rows = self._sql("SELECT text_z FROM documents WHERE doc = ?", (doc,))
        try:
            return zlib.decompress(rows[0][0]).decode("utf-8")
        except (IndexError, zlib.error, UnicodeDecodeError) as e:
            raise UnspinError(f"index {self.index_dir} is corrupt: document number {doc}: {e}") from None

    def find(self, text: str, k: int = 5, *, substitutions=None, restore: bool = False) -> dict:
        """``{"matches": search(text, k), "passages": [...]}``: the passages of ``text`` aligned with the best
        match (query and source character offsets; empty when nothing aligns, i.e. the best match is only
        the least bad). With ``restore``, also ``"restored"``: ``text`` with the aligned passages put back
        in the source's words, and ``"edits"``: those changes.

        ``substitutions``: the LM restorer's findings for ``text`` (``Report.substitutions``), which help
        align heavily spun sentences."""
        matches, alignments, texts = self._search(text, k, substitutions)
        out: dict = {"matches": matches, "passages": []}
        if restore:
            out.update(restored=text, edits=[])
        if matches:
            best = matches[0]["id"]
            al = alignments[best]
            out["passages"] = al.to_dicts()
            if restore:
                edits = source_edits(text, texts[best], alignment=al)
                out.update(restored=apply_edits(text, edits), edits=[e.to_dict() for e in edits])
        return out

    def attribute(self, text: str, substitutions=None, k: int = 3) -> dict:
        """What :class:`unspin.api.Checker` needs: ``{"matches", "passages"}`` as :meth:`find` (each passage
        with ``source_text``, the best match's text of that passage), plus
        ``"restored"`` and ``"substitutions"``: the LM restorer's ``substitutions`` merged with the source's
        edits (the source's inside aligned passages, the restorer's elsewhere; see
        :func:`~unspin.source.align.restore_with_source`). Both are None when nothing aligns."""
        matches, alignments, texts = self._search(text, k, substitutions)
        out: dict = {"matches": matches, "passages": [], "restored": None, "substitutions": None}
        if matches and alignments[matches[0]["id"]].passages:
            best = matches[0]["id"]
            # each passage carries the source's own words, so a report shows its evidence without the index
            out["passages"] = [{**p, "source_text": texts[best][p["source_start"]:p["source_end"]]}
                               for p in alignments[best].to_dicts()]
            out["restored"], out["substitutions"] = restore_with_source(text, texts[best], substitutions,
                                                                        alignment=alignments[best])
        return out


def find(index_dir: str | Path, text: str, k: int = 5, *, dense: bool | None = None, substitutions=None,
         restore: bool = False) -> dict:
    """One query against the index in ``index_dir``: see :meth:`SourceIndex.find`."""
    with SourceIndex(index_dir, dense=dense) as index:
        return index.find(text, k, substitutions=substitutions, restore=restore)
