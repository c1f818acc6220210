"""unspin's caches: the folder where what is derived once from the pack or the installed packages is kept,
and the bounded in-memory memos of the look-ups a long batch repeats."""

from __future__ import annotations

import os
from itertools import islice
from pathlib import Path


def cache_dir() -> Path:
    """``$UNSPIN_CACHE`` when set and not empty, by default ``~/.cache/unspin``."""
    return Path(os.environ.get("UNSPIN_CACHE") or Path.home() / ".cache" / "unspin").expanduser()


def bounded_put(memo: dict, key, value, limit: int = 200_000) -> None:
    """Store ``key`` in a memo of at most ``limit`` entries. When it is full, the older half goes (a dict keeps
    insertion order), not all of it: a long batch keeps the words it met recently instead of starting cold."""
    if len(memo) >= limit:
        for old in list(islice(memo, len(memo) - limit // 2)):
            del memo[old]
    memo[key] = value
