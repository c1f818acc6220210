"""The on-disk source index: the documents a spun text may have been copied from, and two ways to find them.

Layout of an index folder::

    docs.sqlite     documents (id, title, url, date, zlib-compressed text, metadata), the sparse inverted
                    index (postings: feature -> document numbers) and the index metadata (meta)
    dense.usearch   optional: one all-MiniLM-L6-v2 vector per document (title + lead), keyed by document
                    number, in a usearch HNSW file

Why an SQLite inverted index and not MinHash LSH: a spun copy shares only *part* of its fingerprints with
its source (the spinner destroys the rest), and a copied passage is a small part of a long source. MinHash
LSH estimates Jaccard similarity of whole sets with a fixed banding threshold, which is the wrong question
for both (containment, not resemblance), and it gives no idf weighting: a shared "January" would count as
much as a shared "155,221". Exact postings answer "which documents share these features" and let the query
weight each shared feature by its idf. They also live in the same SQLite file as the documents, so an
``add`` is one transaction, and a 64-bit feature key is the table's rowid, so a lookup is one B-tree probe.

Writes are atomic: ``build`` writes a temporary folder beside the index and renames it into place;
``add`` writes everything in one SQLite transaction and replaces the ANN file by rename only after the
commit, so an interrupted ``add`` leaves the previous index usable (see :func:`add`).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from pathlib import Path

import numpy as np

from ..errors import UnspinError
from . import fingerprints
from .corpus import CorpusDoc, read_documents

FORMAT = 1
DB_NAME = "docs.sqlite"
ANN_NAME = "dense.usearch"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);  -- JSON values
CREATE TABLE documents (
    doc INTEGER PRIMARY KEY,     -- the document's number: its key in postings and in the ANN file
    id TEXT NOT NULL UNIQUE,     -- the corpus id
    title TEXT, url TEXT, date TEXT,
    text_z BLOB NOT NULL,        -- zlib-compressed UTF-8 text: ~3x smaller, and read one document at a time
    chars INTEGER NOT NULL,
    features INTEGER NOT NULL,   -- number of sparse features, for diagnostics
    corpus TEXT,                 -- the corpus (file stem) it came from
    extra TEXT                   -- JSON of the other corpus fields (source, license...), or NULL
);
-- feature is a signed 64-bit fingerprint (fingerprints.py); docs the little-endian int32 document numbers
CREATE TABLE postings (feature INTEGER PRIMARY KEY, df INTEGER NOT NULL, docs BLOB NOT NULL);
"""

Progress = Callable[[int], None]


# ---------------------------------------------------------------------------------------------------------
# Opening and validating
# ---------------------------------------------------------------------------------------------------------

def _corrupt(index_dir: Path, why: str) -> UnspinError:
    return UnspinError(f"index {index_dir} is corrupt: {why}")


def connect(index_dir: str | Path, *, readonly: bool = True) -> tuple[sqlite3.Connection, dict]:
    """Open ``docs.sqlite`` and read the metadata, or raise a one-line UnspinError (not found / corrupt)."""
    index_dir = Path(index_dir)
    db_path = index_dir / DB_NAME
    if not db_path.is_file():
        raise UnspinError(f"index not found: {index_dir}")
    journal = db_path.with_name(DB_NAME + "-journal")
    if readonly and journal.exists() and os.access(index_dir, os.W_OK):
        # An add that died mid-transaction leaves a hot rollback journal, which a read-only connection
        # cannot roll back ("attempt to write a readonly database"); one read by a writer does it.
        try:
            with closing(sqlite3.connect(db_path)) as fix:
                fix.execute("SELECT COUNT(*) FROM meta").fetchall()
        except sqlite3.DatabaseError:
            pass  # reported below, by the real open
    con = None
    try:
        if readonly:
            con = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                                  check_same_thread=False)
        else:
            con = sqlite3.connect(db_path, isolation_level=None)
        meta = {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM meta")}
        con.execute("SELECT doc, id, text_z FROM documents LIMIT 1").fetchall()
        con.execute("SELECT feature, df, docs FROM postings LIMIT 1").fetchall()
        _check_meta(index_dir, meta)
    except (sqlite3.DatabaseError, json.JSONDecodeError) as e:
        if con is not None:
            con.close()
        raise _corrupt(index_dir, str(e)) from None
    except UnspinError:
        con.close()
        raise
    return con, meta


def _check_meta(index_dir: Path, meta: dict) -> None:
    if meta.get("format") != FORMAT:
        if isinstance(meta.get("format"), int) and meta["format"] > FORMAT:
            raise UnspinError(f"index {index_dir} was built by a newer unspin (format {meta['format']})")
        raise _corrupt(index_dir, "no format in meta")
    for key in ("docs", "ngram", "winnow", "stopwords", "dense"):
        if key not in meta:
            raise _corrupt(index_dir, f"meta has no {key!r}")
    if meta["dense"] and not (index_dir / ANN_NAME).is_file():
        raise _corrupt(index_dir, f"{ANN_NAME} is missing")


def check_compatible(index_dir: Path, meta: dict) -> None:
    """The fingerprint settings of the index must be those of this code, or queries would miss."""
    if (meta["ngram"], meta["winnow"], meta["stopwords"]) != (
            fingerprints.NGRAM, fingerprints.WINNOW, list(fingerprints.STOPWORDS)):
        raise UnspinError(f"index {index_dir} was built with other fingerprint settings; rebuild it")


# ---------------------------------------------------------------------------------------------------------
# Writing documents and postings
# ---------------------------------------------------------------------------------------------------------

def _unique_ids(corpora: Iterable[str | Path], taken: Callable[[str], bool]) -> Iterator[CorpusDoc]:
    """Documents of all corpora with unique ids.

    A duplicate inside one corpus, or of an id already in the index (``taken``), is an error naming the id.
    An id seen in an *earlier corpus of the same call* is prefixed with the corpus name
    (``reuters21578:123``), since independent corpora may well number their documents alike.
    """
    first_seen: dict[str, str] = {}  # id -> corpus (file) it was first read from
    for path in corpora:
        path_key = str(Path(path).resolve())
        for doc in read_documents(path):
            if doc.id in first_seen and first_seen[doc.id] != path_key:
                doc.id = f"{doc.corpus}:{doc.id}"
            if doc.id in first_seen:
                raise UnspinError(f"{doc.where}: duplicate document id {doc.id!r}")
            if taken(doc.id):
                raise UnspinError(f"{doc.where}: document id {doc.id!r} is already in the index")
            first_seen[doc.id] = path_key
            yield doc


def _doc_row(n: int, doc: CorpusDoc, n_features: int) -> tuple:
    return (n, doc.id, doc.title, doc.url, doc.date, zlib.compress(doc.text.encode("utf-8"), 6), len(doc.text),
            n_features, doc.corpus, json.dumps(doc.extra, ensure_ascii=False) if doc.extra else None)


_INSERT_DOC = "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)"


class _Ingest:
    """Reads corpora into the documents table and collects (feature, doc) pairs and dense vectors."""

    def __init__(self, con: sqlite3.Connection, first_doc: int, embedder, progress: Progress | None):
        self.con = con
        self.next_doc = first_doc
        self.embedder = embedder
        self.progress = progress
        self.keys: list[np.ndarray] = []
        self.docs: list[np.ndarray] = []
        self.vec_keys: list[int] = []
        self.vectors: list[np.ndarray] = []
        self._rows: list[tuple] = []
        self._leads: list[str] = []
        self._lead_keys: list[int] = []
        self.corpora: list[str] = []

    def run(self, corpora: list[str | Path], taken: Callable[[str], bool]) -> int:
        count = 0
        for doc in _unique_ids(corpora, taken):
            n = self.next_doc
            self.next_doc += 1
            # The title is fingerprinted with the text: spun copies usually carry the headline.
            feats = fingerprints.features(f"{doc.title}\n\n{doc.text}" if doc.title else doc.text)
            self.keys.append(feats)
            self.docs.append(np.full(len(feats), n, dtype=np.int32))
            self._rows.append(_doc_row(n, doc, len(feats)))
            if self.embedder is not None:
                from .dense import lead

                self._leads.append(lead(doc.title, doc.text))
                self._lead_keys.append(n)
            count += 1
            if len(self._rows) >= 500:
                self._flush()
                if self.progress:
                    self.progress(count)
        self._flush()
        if self.progress:
            self.progress(count)
        return count

    def _flush(self) -> None:
        if self._rows:
            self.con.executemany(_INSERT_DOC, self._rows)
            self._rows.clear()
        if self._leads:
            self.vectors.append(self.embedder.embed(self._leads))
            self.vec_keys.extend(self._lead_keys)
            self._leads.clear()
            self._lead_keys.clear()

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(feature, doc) pairs sorted by feature then document."""
        if not self.keys:
            return np.empty(0, np.int64), np.empty(0, np.int32)
        keys = np.concatenate(self.keys)
        docs = np.concatenate(self.docs)
        order = np.lexsort((docs, keys))
        return keys[order], docs[order]

    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.vectors:
            return np.empty(0, np.uint64), np.zeros((0, 384), np.float32)
        return np.asarray(self.vec_keys, dtype=np.uint64), np.concatenate(self.vectors)


def _groups(keys: np.ndarray) -> Iterator[tuple[int, int]]:
    """(start, stop) of each run of equal values in a sorted array."""
    if len(keys) == 0:
        return
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    bounds = np.concatenate(([0], cuts, [len(keys)]))
    yield from zip(bounds[:-1].tolist(), bounds[1:].tolist())


def _no_docs_error(corpora: list) -> UnspinError:
    return UnspinError("no documents in " + ", ".join(str(c) for c in corpora))


def _meta_rows(meta: dict) -> list[tuple[str, str]]:
    return [(k, json.dumps(v)) for k, v in meta.items()]


def _embedder(dense: bool):
    if not dense:
        return None
    from .dense import Embedder

    return Embedder.shared()


# ---------------------------------------------------------------------------------------------------------
# build / add / stats
# ---------------------------------------------------------------------------------------------------------

def build(index_dir: str | Path, corpus_paths: Iterable[str | Path], *, dense: bool = True,
          overwrite: bool = False, progress: Progress | None = None) -> dict:
    """Build a source index over ``corpus_paths`` into the folder ``index_dir``; return :func:`stats`.

    The index is written to a temporary folder beside ``index_dir`` and renamed into place, so a failed or
    interrupted build leaves no half index (and, with ``overwrite``, the previous index until the rename).
    ``dense=False`` skips the embeddings (the sparse part alone finds spun copies; embedding 50,000
    documents takes the better part of an hour on two cores).
    """
    index_dir = Path(index_dir)
    corpora = list(corpus_paths)
    if not corpora:
        raise UnspinError("no corpus given")
    if _occupied(index_dir) and not overwrite:
        raise UnspinError(f"index {index_dir} already exists (add to it, or rebuild with overwrite)")
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    embedder = _embedder(dense)
    tmp = index_dir.parent / f".{index_dir.name}.building-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    t0 = time.perf_counter()
    try:
        con = sqlite3.connect(tmp / DB_NAME, isolation_level=None)
        try:
            # The whole folder is thrown away on failure, so the build needs no journal or fsyncs.
            con.execute("PRAGMA journal_mode=OFF")
            con.execute("PRAGMA synchronous=OFF")
            con.executescript(_SCHEMA)
            con.execute("BEGIN")
            ingest = _Ingest(con, 1, embedder, progress)
            n_docs = ingest.run(corpora, lambda _id: False)
            if n_docs == 0:
                raise _no_docs_error(corpora)
            keys, docs = ingest.pairs()
            con.executemany("INSERT INTO postings VALUES (?,?,?)",
                            ((int(keys[a]), b - a, docs[a:b].astype("<i4").tobytes()) for a, b in _groups(keys)))
            n_features = con.execute("SELECT COUNT(*) FROM postings").fetchone()[0]
            meta = {
                "format": FORMAT, "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "updated": None,
                "docs": n_docs, "features": n_features, "postings": int(len(keys)),
                "ngram": fingerprints.NGRAM, "winnow": fingerprints.WINNOW,
                "stopwords": list(fingerprints.STOPWORDS),
                "dense": bool(dense), "dense_docs": 0, "corpora": [str(c) for c in corpora],
                "build_seconds": None,
            }
            if dense:
                from .dense import MAX_TOKENS, MODEL_NAME, new_ann

                vkeys, vecs = ingest.dense()
                ann = new_ann()
                ann.add(vkeys, vecs)
                ann.save(str(tmp / ANN_NAME))
                meta.update(dense_docs=len(ann), model=MODEL_NAME, dense_tokens=MAX_TOKENS)
            meta["build_seconds"] = round(time.perf_counter() - t0, 1)
            con.executemany("INSERT INTO meta VALUES (?,?)", _meta_rows(meta))
            con.execute("COMMIT")
        finally:
            con.close()
        _swap_into_place(tmp, index_dir, overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return stats(index_dir)


def _occupied(path: Path) -> bool:
    """A file, or a folder with something in it (an empty folder made ahead for the index is fine)."""
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def _swap_into_place(tmp: Path, index_dir: Path, overwrite: bool) -> None:
    if index_dir.is_dir() and not _occupied(index_dir):
        index_dir.rmdir()
    if index_dir.exists():
        if not overwrite:
            raise UnspinError(f"index {index_dir} already exists (add to it, or rebuild with overwrite)")
        old = index_dir.parent / f".{index_dir.name}.old-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(index_dir, old)  # two renames: the window without an index is microseconds
        os.replace(tmp, index_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, index_dir)


def add(index_dir: str | Path, corpus_paths: Iterable[str | Path], *, progress: Progress | None = None) -> dict:
    """Add the documents of ``corpus_paths`` to an existing index; return :func:`stats`.

    Atomicity: documents, postings and metadata go in one SQLite transaction (BEGIN IMMEDIATE ... COMMIT),
    so a duplicate id, a bad corpus line or a crash leaves the index exactly as it was. The ANN file is
    rebuilt into a temporary file before the commit and renamed over the old one after it: a crash between
    the two leaves the new documents without vectors (still found by the sparse index; ``stats`` reports
    ``dense_docs`` < ``docs``), never a broken file.
    """
    index_dir = Path(index_dir)
    corpora = list(corpus_paths)
    if not corpora:
        raise UnspinError("no corpus given")
    con, meta = connect(index_dir, readonly=False)
    check_compatible(index_dir, meta)
    ann_path = index_dir / ANN_NAME
    tmp_ann = index_dir / f".{ANN_NAME}.tmp-{os.getpid()}"
    for stale in index_dir.glob(f".{ANN_NAME}.tmp-*"):  # left by an add that died before its rename
        stale.unlink(missing_ok=True)
    embedder = _embedder(bool(meta["dense"]))
    try:
        con.execute("BEGIN IMMEDIATE")  # take the write lock now: two adds must not interleave
        try:
            first = (con.execute("SELECT MAX(doc) FROM documents").fetchone()[0] or 0) + 1

            def taken(doc_id: str) -> bool:
                return con.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone() is not None

            ingest = _Ingest(con, first, embedder, progress)
            n_new = ingest.run(corpora, taken)
            if n_new == 0:
                raise _no_docs_error(corpora)
            keys, docs = ingest.pairs()
            new_features = 0
            for a, b in _groups(keys):
                feature = int(keys[a])
                blob = docs[a:b].astype("<i4").tobytes()
                row = con.execute("SELECT df, docs FROM postings WHERE feature = ?", (feature,)).fetchone()
                if row is None:
                    con.execute("INSERT INTO postings VALUES (?,?,?)", (feature, b - a, blob))
                    new_features += 1
                else:  # new document numbers are larger than all old ones: appending keeps postings sorted
                    con.execute("UPDATE postings SET df = ?, docs = ? WHERE feature = ?",
                                (row[0] + b - a, row[1] + blob, feature))
            meta.update(docs=meta["docs"] + n_new, features=meta.get("features", 0) + new_features,
                        postings=meta.get("postings", 0) + int(len(keys)), updated=time.strftime("%Y-%m-%dT%H:%M:%S"),
                        corpora=meta.get("corpora", []) + [str(c) for c in corpora])
            if meta["dense"]:
                from .dense import open_ann

                ann = open_ann(ann_path, view=False)
                vkeys, vecs = ingest.dense()
                ann.add(vkeys, vecs)
                ann.save(str(tmp_ann))
                meta["dense_docs"] = len(ann)
            con.executemany("INSERT OR REPLACE INTO meta VALUES (?,?)", _meta_rows(meta))
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        if meta["dense"]:
            os.replace(tmp_ann, ann_path)
    finally:
        tmp_ann.unlink(missing_ok=True)
        con.close()
    return stats(index_dir)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def stats(index_dir: str | Path) -> dict:
    """What is in an index: document and feature counts, sizes on disk, how it was built."""
    index_dir = Path(index_dir)
    con, meta = connect(index_dir)
    try:
        dense_docs = 0
        if meta["dense"]:
            from .dense import open_ann

            dense_docs = len(open_ann(index_dir / ANN_NAME, view=True))
    finally:
        con.close()
    db_bytes, ann_bytes = _size(index_dir / DB_NAME), _size(index_dir / ANN_NAME)
    n = meta["docs"]
    out = {
        "index": str(index_dir),
        "docs": n,
        "features": meta.get("features"),
        "postings": meta.get("postings"),
        "dense": bool(meta["dense"]),
        "dense_docs": dense_docs,
        "db_bytes": db_bytes,
        "ann_bytes": ann_bytes,
        "bytes_per_1000_docs": round((db_bytes + ann_bytes) * 1000 / n) if n else 0,
        "created": meta.get("created"),
        "updated": meta.get("updated"),
        "build_seconds": meta.get("build_seconds"),
        "corpora": meta.get("corpora", []),
    }
    if meta["dense"]:
        out["model"] = meta.get("model")
        if dense_docs != n:
            out["note"] = f"dense vectors cover {dense_docs} of {n} documents (an add was interrupted?)"
    return out
