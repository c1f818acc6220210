"""unspin's cache folder: what is derived once from the pack or the installed packages and kept."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$UNSPIN_CACHE`` when set and not empty, by default ``~/.cache/unspin``."""
    return Path(os.environ.get("UNSPIN_CACHE") or Path.home() / ".cache" / "unspin").expanduser()
