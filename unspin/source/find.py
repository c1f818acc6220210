"""Find the document a (spun) text was copied from, and align the two.

:class:`SourceIndex` opens an index once (SQLite, the ANN file memory-mapped, the embedding model loaded)
and then answers many queries, which is what a service or a benchmark wants; :func:`find` is the one-shot
form.

Ranking: the sparse score of a document is the idf-weighted share of the query's fingerprints that it
contains (0..1: "how much of what survives spinning in this text is in that document"). The dense score is
the cosine of the two all-MiniLM-L6-v2 lead embeddings. They are fused with *weighted reciprocal-rank
fusion* over the union of both candidate lists (see :data:`SPARSE_WEIGHT`): RRF needs no calibration
between a containment and a cosine, and weighting it toward the sparse list keeps the sparse signal, which
is the precise one for copies, in charge while the dense list rescues copies whose fingerprints were
destroyed (heavy function-word rewriting, no names or numbers).
"""

from __future__ import annotations

import math
import threading
import zlib
from pathlib import Path

import numpy as np

from ..errors import UnspinError
from . import fingerprints
from .align import align_sentences, apply_edits, source_edits
from .index import ANN_NAME, check_compatible, connect

POOL = 50  # candidates taken from each of the sparse and the dense lists before fusion
RRF_K = 60  # the usual RRF constant (Cormack et al. 2009): flattens the difference between ranks 1 and 2
SPARSE_WEIGHT = 1.0
DENSE_WEIGHT = 0.5
_SQL_VARS = 900  # SQLite's default limit on bound variables is 999 (older builds)


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

    def sparse_scores(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, containment scores) of the documents sharing fingerprints with ``text``,
        best first, at most POOL of them."""
        feats = fingerprints.features(text).tolist()
        if not feats:
            return np.empty(0, np.int64), np.empty(0)
        rows = []
        for i in range(0, len(feats), _SQL_VARS):
            chunk = feats[i : i + _SQL_VARS]
            rows += self._sql(f"SELECT df, docs FROM postings WHERE feature IN ({','.join('?' * len(chunk))})", chunk)
        n = self.n_docs
        unseen_idf = math.log(n + 1)  # a fingerprint in no document weighs as much as the rarest
        total = unseen_idf * (len(feats) - len(rows))
        doc_arrays, weights = [], []
        for df, blob in rows:
            idf = math.log((n + 1) / df)
            total += idf
            docs = np.frombuffer(blob, dtype="<i4")
            doc_arrays.append(docs)
            weights.append(np.full(len(docs), idf))
        if not doc_arrays:
            return np.empty(0, np.int64), np.empty(0)
        acc = np.bincount(np.concatenate(doc_arrays), weights=np.concatenate(weights), minlength=self.max_doc + 1)
        hits = np.flatnonzero(acc)
        top = hits[np.argsort(-acc[hits], kind="stable")[:POOL]]
        return top, acc[top] / total

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

    def search(self, text: str, k: int = 5) -> list[dict]:
        """The ``k`` most likely sources of ``text``: ``[{id, score, title, url, sparse, dense}]``, best
        first. ``sparse`` is the containment (0..1), ``dense`` the lead cosine (None without vectors)."""
        if k < 1:
            raise UnspinError("k must be at least 1")
        s_docs, s_scores = self.sparse_scores(text)
        sparse = dict(zip(s_docs.tolist(), s_scores.tolist()))
        fused: dict[int, float] = {d: SPARSE_WEIGHT / (RRF_K + r) for r, d in enumerate(s_docs.tolist(), 1)}
        cos: dict[int, float] = {}
        if self.ann is not None:
            qvec = self._embed_query(text)
            d_docs, d_cos = self.dense_scores(text, qvec)
            cos = dict(zip(d_docs.tolist(), d_cos.tolist()))
            for r, d in enumerate(d_docs.tolist(), 1):
                fused[d] = fused.get(d, 0.0) + DENSE_WEIGHT / (RRF_K + r)
            cos.update(self._cosines([d for d in sparse if d not in cos], qvec))
        # Ties (common for short texts with few fingerprints) go to the higher containment, then cosine.
        ranked = sorted(fused, key=lambda d: (-fused[d], -sparse.get(d, 0.0), -cos.get(d, 0.0), d))[:k]
        meta = self._docs_meta(ranked)
        out = []
        for d in ranked:
            doc_id, title, url = meta[d]
            out.append({"id": doc_id, "score": round(fused[d], 6), "title": title, "url": url,
                        "sparse": round(sparse.get(d, 0.0), 4),
                        "dense": round(cos[d], 4) if d in cos else None})
        return out

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

    def find(self, text: str, k: int = 5, *, substitutions=None, restore: bool = False) -> dict:
        """``{"matches": search(text, k), "passages": [...]}``: the passages of ``text`` aligned with the best
        match (query and source character offsets; empty when nothing aligns, i.e. the best match is only
        the least bad). With ``restore``, also ``"restored"``: ``text`` with the aligned passages put back
        in the source's words, and ``"edits"``: those changes."""
        matches = self.search(text, k)
        out: dict = {"matches": matches, "passages": []}
        if restore:
            out.update(restored=text, edits=[])
        if matches:
            source = self.document(matches[0]["id"])["text"]
            al = align_sentences(text, source, substitutions)
            out["passages"] = al.to_dicts()
            if restore:
                edits = source_edits(text, source, alignment=al)
                out.update(restored=apply_edits(text, edits), edits=[e.to_dict() for e in edits])
        return out


def find(index_dir: str | Path, text: str, k: int = 5, *, dense: bool | None = None, substitutions=None,
         restore: bool = False) -> dict:
    """One query against the index in ``index_dir``: see :meth:`SourceIndex.find`."""
    with SourceIndex(index_dir, dense=dense) as index:
        return index.find(text, k, substitutions=substitutions, restore=restore)
