"""Language models behind one small interface, so the decoder does not care which one scores a wording.

The decoder needs incremental scoring: start a sentence, feed words one at a time carrying a state, end the
sentence. KenLM does exactly that in C++; a neural reranker (later) scores whole candidate sentences
instead and plugs in through :meth:`Scorer.score_sentence`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Protocol

from .errors import PackError

LN10 = math.log(10.0)


class Scorer(Protocol):
    """Natural-log probabilities of token sequences (tokens as produced by ``document.lm_tokens``)."""

    def begin(self): ...

    def step(self, state, word: str) -> tuple[float, object]: ...

    def extend(self, state, words) -> tuple[float, object]: ...

    def end(self, state) -> float: ...

    def score_sentence(self, words: list[str]) -> float: ...


class KenLMScorer:
    """A KenLM n-gram model (ARPA or binary)."""

    def __init__(self, path: Path):
        import kenlm

        path = Path(path)
        if not path.exists():
            raise PackError(f"language model missing: {path}")
        try:
            self.model = kenlm.Model(str(path), kenlm.Config())
        except (OSError, RuntimeError, Exception) as e:  # kenlm raises OSError or its own errors
            raise PackError(f"corrupt language model {path}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
        self._kenlm = kenlm
        self.order = self.model.order
        self._cache: dict[tuple, tuple[float, object]] = {}

    def begin(self):
        state = self._kenlm.State()
        self.model.BeginSentenceWrite(state)
        return state

    def null(self):
        state = self._kenlm.State()
        self.model.NullContextWrite(state)
        return state

    def step(self, state, word: str) -> tuple[float, object]:
        out = self._kenlm.State()
        lp = self.model.BaseScore(state, word, out)
        return lp * LN10, out

    def extend(self, state, words) -> tuple[float, object]:
        """Score several words in a row (the decoder's hot loop: one Python call per lattice edge)."""
        if len(words) == 1:  # most edges: one word, no loop
            out = self._kenlm.State()
            return self.model.BaseScore(state, words[0], out) * LN10, out
        new_state, score, total = self._kenlm.State, self.model.BaseScore, 0.0
        for w in words:
            out = new_state()
            total += score(state, w, out)
            state = out
        return total * LN10, state

    def end(self, state) -> float:
        out = self._kenlm.State()
        return self.model.BaseScore(state, "</s>", out) * LN10

    def score_sentence(self, words: list[str]) -> float:
        return self.model.score(" ".join(words), bos=True, eos=True) * LN10

    def match_lengths(self, words: list[str]) -> list[int]:
        """For each word, the length of the longest n-gram ending in it that the model knows (1 = it had to
        back off to the word alone): short matches mark collocations the training text never had."""
        return [n for _, n, _ in self.model.full_scores(" ".join(words), bos=True, eos=False)]

    def token_scores(self, words: list[str]) -> list[tuple[float, int]]:
        """For each word and then the sentence end: natural-log probability given what precedes it, and the
        length of the n-gram it was found in. One call per sentence (the per-token evidence of restore)."""
        return [(lp * LN10, n) for lp, n, _ in self.model.full_scores(" ".join(words), bos=True, eos=True)]

    def in_vocabulary(self, word: str) -> bool:
        return word in self.model
