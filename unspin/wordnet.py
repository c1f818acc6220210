"""Offline WordNet for NLTK, built from Debian's ``wordnet-base`` files.

NLTK 3.10 only reads WordNet from ``<nltk_data>/corpora/wordnet/`` and expects two files that Debian's
package does not ship: ``lexnames`` (the 45 lexicographer file names, read eagerly by the reader's
constructor) and ``index.sense`` (only needed for sense-key look-ups, so an empty one is enough). Rather
than downloading NLTK's zip (no network at build or test time), we assemble that layout in a cache
directory out of plain copies of the system dict files plus the two generated
files. NLTK 3.10 also sandboxes file access to ``nltk.data.path``, so that directory is always put on it.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import tempfile
from pathlib import Path

from .cache import cache_dir
from .errors import UnspinError

# Files NLTK's WordNetCorpusReader declares (its ``_FILES``). The ones we must find in the source dir: without
# these the reader cannot build its lemma index or resolve inflections.
REQUIRED_FILES = (
    "index.adj", "index.adv", "index.noun", "index.verb",
    "data.adj", "data.adv", "data.noun", "data.verb",
    "adj.exc", "adv.exc", "noun.exc", "verb.exc",
)
# Linked when present: cntlist.rev backs Lemma.count(); lexnames/index.sense are generated if absent.
OPTIONAL_FILES = ("cntlist.rev", "lexnames", "index.sense")

# The standard WordNet 3.0 lexicographer files (lexnames(5WN)): number, name, syntactic category.
LEXNAMES = (
    "adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact",
    "noun.attribute", "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling",
    "noun.food", "noun.group", "noun.location", "noun.motive", "noun.object", "noun.person",
    "noun.phenomenon", "noun.plant", "noun.possession", "noun.process", "noun.quantity", "noun.relation",
    "noun.shape", "noun.state", "noun.substance", "noun.time", "verb.body", "verb.change", "verb.cognition",
    "verb.communication", "verb.competition", "verb.consumption", "verb.contact", "verb.creation",
    "verb.emotion", "verb.motion", "verb.perception", "verb.possession", "verb.social", "verb.stative",
    "verb.weather", "adj.ppl",
)
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}

DEFAULT_WORDNET_DIRS = ("/usr/share/wordnet",)

NOT_FOUND = (
    "WordNet not found: install Debian's wordnet-base (apt-get install wordnet-base) or set UNSPIN_WORDNET_DIR"
)


def lexnames_text() -> str:
    """The ``lexnames`` file content: ``NN<TAB>name<TAB>category`` per line."""
    return "".join(f"{i:02d}\t{name}\t{_CATEGORY[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES))


def _has_dict(d: Path) -> bool:
    return all((d / f).is_file() for f in REQUIRED_FILES)


def find_wordnet_source() -> Path:
    """The directory holding the WordNet dict files: ``$UNSPIN_WORDNET_DIR``, then the Debian location.

    Each candidate may hold the files directly (Debian) or in a ``dict/`` subdirectory (Princeton tarball).
    """
    candidates: list[str] = []
    env = os.environ.get("UNSPIN_WORDNET_DIR")
    if env:
        candidates.append(env)
    candidates.extend(DEFAULT_WORDNET_DIRS)
    for c in candidates:
        base = Path(c).expanduser()
        for d in (base, base / "dict"):
            if _has_dict(d):
                return d.resolve()
    raise UnspinError(NOT_FOUND)


def _write_atomic(path: Path, text: str) -> None:
    # Write-then-rename so a concurrent process (e.g. parallel test workers) never sees a half-written file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _install(src: Path, dst: Path) -> None:
    """Put a plain copy of ``src`` at ``dst``, replacing a stale one (about 28 MB, once per cache).

    Not a symlink or a hard link: NLTK 3.10's path sandbox resolves symlinks and refuses files that end up
    outside ``nltk.data.path``, and refuses multiply-linked files outright (CWE-59).
    """
    try:
        s, d = src.stat(), dst.lstat()
        fresh = (s.st_size, int(s.st_mtime)) == (d.st_size, int(d.st_mtime))
        if fresh and stat.S_ISREG(d.st_mode) and d.st_nlink == 1:
            return
    except FileNotFoundError:
        pass
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    shutil.copy2(src, tmp)  # copy2 keeps the mtime that the staleness check above compares
    os.replace(tmp, dst)


def wordnet_dir() -> Path:
    """Assemble ``<cache>/nltk_data/corpora/wordnet/`` from the system WordNet and return the nltk_data dir."""
    src = find_wordnet_source()
    data_dir = cache_dir() / "nltk_data"
    target = data_dir / "corpora" / "wordnet"
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in REQUIRED_FILES + OPTIONAL_FILES:
            if (src / name).is_file():
                _install(src / name, target / name)
        if not (src / "lexnames").is_file():
            want = lexnames_text()
            lex = target / "lexnames"
            if not lex.is_file() or lex.read_text(encoding="utf-8") != want:
                _write_atomic(lex, want)
        if not (target / "index.sense").exists():
            # Only sense-key look-ups read it; an empty file keeps the reader's fileid list satisfied.
            _write_atomic(target / "index.sense", "")
    except OSError as e:
        raise UnspinError(f"cannot prepare the WordNet cache in {target}: {e.strerror or e}") from e
    return data_dir


def ensure_nltk_wordnet() -> Path:
    """Make NLTK's default ``nltk.corpus.wordnet`` (which nlpaug uses) find our WordNet; return nltk_data dir."""
    import nltk

    data_dir = str(wordnet_dir())
    # Prepend, so our copy wins over any partial or different-version wordnet elsewhere on the path.
    if not nltk.data.path or nltk.data.path[0] != data_dir:
        if data_dir in nltk.data.path:
            nltk.data.path.remove(data_dir)
        nltk.data.path.insert(0, data_dir)
    return Path(data_dir)


@functools.lru_cache(maxsize=1)
def load_wordnet():
    """NLTK's ``nltk.corpus.wordnet`` loaded from the system WordNet: a ``WordNetCorpusReader``.

    We hand out NLTK's shared reader rather than a private one so that our code and nlpaug (which imports
    ``nltk.corpus.wordnet`` itself) share one index in memory; loading it takes about a second.
    """
    ensure_nltk_wordnet()
    from nltk.corpus import wordnet

    try:
        # The lazy loader turns itself into the WordNetCorpusReader on first use.
        wordnet.ensure_loaded()
        ok = bool(wordnet.synsets("dog"))
    except LookupError as e:
        raise UnspinError(NOT_FOUND) from e
    except (OSError, ValueError, AssertionError) as e:
        raise UnspinError(f"WordNet files in {cache_dir()} are unreadable: {e}") from e
    if not ok:
        raise UnspinError("WordNet looks empty: no synsets for 'dog'")
    return wordnet
