"""The data model that travels through every stage: Document -> Tokens -> Substitutions -> Report.

Offsets are always character offsets into ``Document.text``, the exact text that was checked (for an HTML
page, the extracted main text), so every finding can be highlighted in what the user sees.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field
from typing import Any

# Typographic quotes are folded to ASCII one-for-one, so the normalised text has the same length and
# offsets found in it are offsets into the original.
_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2010": "-", "\u2011": "-"})

TOKEN_RE = re.compile(
    r"""
      [^\W\d_]+(?=n't\b)                  # 'did' of "didn't": the clitic is its own token, as in the LM corpus
    | n't\b
    | '(?:s|re|ve|ll|d|m)\b               # clitics and possessives
    | \d+(?:[.,:]\d+)*(?:st|nd|rd|th|s)?\b  # 2,000  3.5  41st  1990s
    | [^\W_]+(?:-[^\W_]+)*                # words and hyphenated words
    | \S                                  # any other visible character is a punctuation token
    """,
    re.VERBOSE | re.IGNORECASE,
)


def fold(text: str) -> str:
    """Fold typographic quotes and hyphens to ASCII without changing the length of the text."""
    return text.translate(_FOLD)


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # as it appears in the document
    start: int
    end: int
    norm: str  # lower-cased and folded: the form the lexicon and the language model see

    @property
    def is_word(self) -> bool:
        return self.norm[:1].isalpha()

    @property
    def is_capitalized(self) -> bool:
        return self.text[:1].isupper()


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Split text into tokens with character offsets (``offset`` is added to each)."""
    folded = fold(text)
    return [
        Token(text[m.start() : m.end()], m.start() + offset, m.end() + offset, m.group().lower())
        for m in TOKEN_RE.finditer(folded)
    ]


# A capitalised word inside a sentence that is rare in English is almost always a name (Nevin, Ohtani). The
# language model sees all of them as one word, so it learns what follows and precedes names ("<name> said")
# instead of knowing nothing around each name it has never seen; the decoder queries it the same way.
NAME_TOKEN = "<name>"
NAME_MAX_ZIPF = 3.0  # wordfreq Zipf below which a capitalised word inside a sentence counts as a name
OPENERS = frozenset({'"', "(", ":"})  # a capital after these may start a quoted or listed sentence


@functools.lru_cache(maxsize=500_000)
def _rare_word(norm: str) -> bool:
    from wordfreq import zipf_frequency

    return norm[:1].isalpha() and zipf_frequency(norm, "en") < NAME_MAX_ZIPF


def lm_forms(tokens: list[Token]) -> list[str]:
    """The words the language model sees for the tokens of one sentence (the first starts it): the
    lower-cased token, or NAME_TOKEN for a name inside the sentence."""
    return [NAME_TOKEN if i and t.text[:1].isupper() and tokens[i - 1].norm not in OPENERS and _rare_word(t.norm)
            else t.norm for i, t in enumerate(tokens)]


def lm_tokens(text: str) -> list[str]:
    """The token stream the language model is trained on and queried with."""
    return [m.group().lower() for m in TOKEN_RE.finditer(fold(text))]


@dataclass(slots=True)
class Document:
    """A text to check, with where it came from. ``text`` is what every offset refers to."""

    text: str
    name: str = "<text>"  # path, URL, '-' for stdin, or '<text>'
    kind: str = "text"  # text | html | url
    title: str | None = None
    notes: list[str] = field(default_factory=list)  # e.g. "input truncated to 2,000,000 characters"

    def tokens(self) -> list[Token]:
        return tokenize(self.text)


@dataclass(slots=True)
class Substitution:
    """A span of the document that looks spun, and the wording it most likely replaced."""

    start: int
    end: int
    spun: str
    original: str
    confidence: float  # posterior probability that the span was swapped for ``original``
    evidence: str = ""  # which lexicon layers proposed the pair: observed, tortured, wordnet, moby

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["confidence"] = round(self.confidence, 4)
        return d


@dataclass(slots=True)
class Report:
    """Everything unspin found about one document."""

    name: str
    text: str
    restored: str
    substitutions: list[Substitution]
    spin_probability: float
    verdict: str  # spun | not spun | uncertain
    words: int
    features: dict[str, float] = field(default_factory=dict)
    source: dict[str, Any] | None = None
    family: dict[str, Any] | None = None  # most likely spinner family {"name", "probability"}, if spun
    notes: list[str] = field(default_factory=list)
    # words the localiser judges swapped, restored or not (unspin.localize.FlaggedSpan)
    flagged: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "spin_probability": round(self.spin_probability, 4),
            "verdict": self.verdict,
            "words": self.words,
            "substitutions": [s.to_dict() for s in self.substitutions],
            "flagged": [f.to_dict() for f in self.flagged],
            "text": self.text,
            "restored": self.restored,
            "source": self.source,
            "family": self.family,
            "features": {k: round(v, 5) for k, v in self.features.items()},
            "notes": self.notes,
        }
