"""Source attribution: which document was a spun text copied from, and which passages of it.

* :func:`build`, :func:`add`, :func:`stats` (``index.py``): an on-disk index of candidate sources
  (SQLite documents + sparse spin-robust fingerprints + optional dense lead embeddings);
* :func:`find` and :class:`SourceIndex` (``find.py``): ranked matches and aligned passages;
* :func:`align` and :func:`source_restore` (``align.py``): passage alignment of a spun text with its
  source, and exact restoration of the spun wording from the source.
"""

from .align import align, source_edits, source_restore
from .find import SourceIndex, find
from .index import add, build, stats

__all__ = ["SourceIndex", "add", "align", "build", "find", "source_edits", "source_restore", "stats"]
