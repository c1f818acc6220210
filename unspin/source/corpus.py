"""Read the documents a source index is built from.

A corpus is a JSON Lines file (optionally gzip: ``.jsonl.gz``) with one object a line: ``id`` and
``text`` required, ``title``, ``url``, ``date`` optional (other fields are kept as metadata), or a folder
of ``.txt`` / ``.html`` files, each a document whose id is its path relative to the folder.

Problems are reported as one-line :class:`~unspin.errors.UnspinError` naming ``file:line``, because a
build over 50,000 documents must say exactly where it stopped, not "invalid JSON".
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UnspinError

TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
KNOWN_FIELDS = ("id", "text", "title", "url", "date")


@dataclass(slots=True)
class CorpusDoc:
    id: str
    text: str
    title: str | None = None
    url: str | None = None
    date: str | None = None
    extra: dict = field(default_factory=dict)
    corpus: str = ""  # corpus name (file stem), used to prefix ids that collide across corpora
    where: str = ""  # "file:line" or the file path, for error messages


def corpus_name(path: Path) -> str:
    """``reuters21578`` for ``.../reuters21578.jsonl.gz``: the prefix for ids duplicated across corpora."""
    name = path.name
    for suffix in (".gz", ".jsonl", ".json", ".ndjson"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name or path.name


def _opt_str(value) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _read_jsonl(path: Path) -> Iterator[CorpusDoc]:
    name = corpus_name(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        # utf-8-sig: a byte-order mark at the start of the file is not part of the first JSON line
        with opener(path, "rt", encoding="utf-8-sig") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path}:{lineno}"
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise UnspinError(f"{where}: not JSON ({e.msg})") from None
                if not isinstance(obj, dict):
                    raise UnspinError(f"{where}: not a JSON object")
                doc_id = obj.get("id")
                if doc_id is None or (isinstance(doc_id, str) and not doc_id.strip()):
                    raise UnspinError(f"{where}: missing 'id'")
                if not isinstance(doc_id, (str, int)):
                    raise UnspinError(f"{where}: 'id' must be a string or a number")
                text = obj.get("text")
                if not isinstance(text, str):
                    raise UnspinError(f"{where}: document {doc_id} has no 'text'")
                if not text.strip():
                    raise UnspinError(f"{where}: document {doc_id} has an empty 'text'")
                extra = {k: v for k, v in obj.items() if k not in KNOWN_FIELDS}
                yield CorpusDoc(str(doc_id), text.replace("\r\n", "\n"), _opt_str(obj.get("title")),
                                _opt_str(obj.get("url")), _opt_str(obj.get("date")), extra, name, where)
    except UnicodeDecodeError:
        raise UnspinError(f"{path}: not UTF-8 text") from None
    except (gzip.BadGzipFile, EOFError) as e:
        raise UnspinError(f"{path}: corrupt gzip file ({e})") from None


def _read_folder(folder: Path) -> Iterator[CorpusDoc]:
    from ..ingest import load

    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES)
    for path in files:
        rel = path.relative_to(folder).as_posix()
        # ingest.load is what `unspin check` uses: the same HTML extraction, decoding and binary checks,
        # so a page indexed here and the same page checked later give the same text and offsets.
        try:
            doc = load(str(path), check_language=False)
        except UnspinError as e:  # "input is empty" must say which of 5,000 files
            msg = str(e)
            raise UnspinError(msg if str(path) in msg else f"{path}: {msg}") from None
        title = doc.title
        if title is None and doc.kind == "text":
            first = doc.text.lstrip().split("\n", 1)[0].strip()
            title = first[:200] or None
        yield CorpusDoc(rel, doc.text, title, None, None, {}, folder.name, str(path))


def read_documents(path: str | Path) -> Iterator[CorpusDoc]:
    """Yield the documents of one corpus (a .jsonl / .jsonl.gz file or a folder of .txt/.html files)."""
    path = Path(path)
    if path.is_dir():
        yield from _read_folder(path)
    elif path.is_file():
        yield from _read_jsonl(path)
    else:
        raise UnspinError(f"no such corpus: {path}")
