"""Known capitalised names ("World Series", "Hall of Fame", "Eastern Conference"), to restore spun ones.

A spinner swaps words inside capitalised names as readily as anywhere else ("World Sequence" for World
Series), but the decoder protects capitalised words inside a sentence (they are mostly names, and a thesaurus
would "restore" *Eastern Conference* to *Eastern League*). What tells the two apart is whether the name
exists: a run of capitalised words the corpora never write as a name, one word of which the lexicon can turn
back into a name they write often, was most likely spun from it.

The table is every run of two or more capitalised words (joined by at most lower-case connectors such as
*of*) that the pack's LM corpora write at least ``min_count`` times inside a sentence, lower-cased, one per
line (``names.txt.gz`` in a pack, built by ``unspin pack build``).
"""

from __future__ import annotations

import gzip
import os
import zlib
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from .document import OPENERS, Token

NAMES_FILE = "names.txt.gz"
# lower-case words that may join the capitalised words of one name ("Hall of Fame", "Bank of America")
CONNECTORS = frozenset({"of", "for", "de"})
MAX_RUN = 5  # words: longer runs are headlines or titles, not names


def _capitalised(t: Token) -> bool:
    """A capitalised word ("Series", "All-Star"), not an acronym or a number."""
    w = t.text
    return (len(w) > 1 and w.replace("-", "").replace("'", "").isalpha()
            and all(p[:1].isupper() and p[1:] == p[1:].lower() for p in w.split("-")))


def title_runs(tokens: list[Token], a: int, b: int) -> Iterator[tuple[int, int]]:
    """Token ranges [i, j) of tokens[a:b] (one sentence) that are runs of two or more capitalised words,
    possibly joined by connectors, starting inside the sentence (a sentence's first word is capitalised
    anyway, so a run there starts at its second word)."""
    i = a + 1
    while i < b:
        if not _capitalised(tokens[i]) or tokens[i - 1].norm in OPENERS:
            i += 1
            continue
        j, last = i + 1, i + 1  # last: end of the run so far (a run never ends on a connector)
        while j < b:
            if _capitalised(tokens[j]):
                j += 1
                last = j
            elif tokens[j].text in CONNECTORS and j + 1 < b and _capitalised(tokens[j + 1]):
                j += 1
            else:
                break
        if 2 <= last - i <= MAX_RUN:
            yield i, last
        i = max(last, i + 1)


def run_key(tokens: list[Token], i: int, j: int) -> str:
    return " ".join(t.norm for t in tokens[i:j])


def count_runs(texts: Iterable[str]) -> Counter:
    """How often each capitalised run occurs in ``texts`` (documents), by :func:`title_runs`."""
    from .document import tokenize
    from .lmbuild import sentences

    counts: Counter = Counter()
    for text in texts:
        for sent in sentences(text):
            tokens = tokenize(sent)
            for i, j in title_runs(tokens, 0, len(tokens)):
                counts[run_key(tokens, i, j)] += 1
    return counts


def write_names(counts: Counter, out: Path, min_count: int = 3) -> int:
    """Write the runs seen at least ``min_count`` times, sorted, to ``out`` (gzip), atomically."""
    names = sorted(k for k, v in counts.items() if v >= min_count)
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
            f.write(("\n".join(names) + "\n").encode("utf-8"))
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return len(names)


def load_names(path: Path) -> frozenset[str]:
    """The name table of a pack (see the module text)."""
    from .errors import PackError

    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return frozenset(line.rstrip("\n") for line in f if line.strip())
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as e:
        raise PackError(f"corrupt name table {path}: {e}") from None
