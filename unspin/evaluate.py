"""Token-level metrics for restoration and localisation.

Restoration is scored against the original text through longest-common-subsequence alignments, so the
metrics do not care that a spinner replaced one word by three ("since" -> "for the reason that") or that a
restorer emitted a different number of tokens than it read: an original token counts as present in a text
when the LCS alignment matches it there.

* destroyed: original tokens the spinner removed (not matched by LCS(original, spun));
* recovered: destroyed tokens that are back in the restored text (matched by LCS(original, restored));
* broken:    original tokens the spinner left intact but the restorer lost (a false "correction").

Tokens are ``lm_tokens`` (lower-cased, typographic quotes folded); pure punctuation tokens are ignored, so
punctuation a spinner or restorer reflows does not count.

When a word repeats, several LCS alignments can have the same length and they may differ in *which*
occurrence they match; we take rapidfuzz's (deterministic) choice, so recovered/broken can shift by one
occurrence of a repeated word in rare cases. LCS lengths themselves are exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rapidfuzz.distance import LCSseq

from .document import lm_tokens, tokenize

_RESTORATION_COUNTS = ("n_original", "destroyed", "recovered", "broken", "matched_spun", "matched_restored")
_LOCALISATION_COUNTS = ("tp", "fp", "fn")


def _is_content(token: str) -> bool:
    # A token with no letter or digit is punctuation ('.', '--', '"'); clitics like "'s" and "n't" are kept.
    return any(c.isalnum() for c in token)


def content_tokens(text: str) -> list[str]:
    """Lower-cased LM tokens of ``text`` without pure punctuation tokens."""
    return [t for t in lm_tokens(text) if _is_content(t)]


def matched_indices(a: Sequence[str], b: Sequence[str]) -> set[int]:
    """Indices of ``a`` matched by a longest common subsequence of token lists ``a`` and ``b``.

    rapidfuzz accepts any sequence of hashables, so this is a true (bit-parallel) LCS over whole tokens,
    not over characters.
    """
    if not a or not b:
        return set()
    out: set[int] = set()
    for block in LCSseq.opcodes(a, b).as_matching_blocks():
        out.update(range(block.a, block.a + block.size))
    return out


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def _restoration_rates(c: dict) -> dict:
    n = c["n_original"]
    return {
        **c,
        "recovery_rate": _ratio(c["recovered"], c["destroyed"]),
        "break_rate": _ratio(c["broken"], c["matched_spun"]),
        "lcs_spun": _ratio(c["matched_spun"], n),
        "lcs_restored": _ratio(c["matched_restored"], n),
    }


def restoration_scores(original: str, spun: str, restored: str) -> dict:
    """How much of what the spinner destroyed a restoration brought back, and what it broke.

    Returns counts ``n_original, destroyed, recovered, broken, matched_spun, matched_restored`` and rates
    ``recovery_rate`` (recovered/destroyed), ``break_rate`` (broken/matched_spun), ``lcs_spun`` and
    ``lcs_restored`` (LCS length over ``n_original``). Rates with an empty denominator are 0.
    """
    orig = content_tokens(original)
    m_spun = matched_indices(orig, content_tokens(spun))
    m_rest = matched_indices(orig, content_tokens(restored))
    n = len(orig)
    counts = {
        "n_original": n,
        "destroyed": n - len(m_spun),
        "recovered": len(m_rest - m_spun),  # == |(orig \ M_spun) & M_rest|
        "broken": len(m_spun - m_rest),
        "matched_spun": len(m_spun),
        "matched_restored": len(m_rest),
    }
    return _restoration_rates(counts)


def _prf(tp: int, fp: int, fn: int) -> dict:
    if tp + fp + fn == 0:
        # Nothing to find and nothing flagged: a perfect answer, not a division by zero.
        precision = recall = f1 = 1.0
    else:
        precision = _ratio(tp, tp + fp)
        recall = _ratio(tp, tp + fn)
        f1 = _ratio(2 * precision * recall, precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def span_token_indices(text: str, spans: Iterable[tuple[int, int]]) -> set[int]:
    """Indices of the non-punctuation ``tokenize(text)`` tokens that overlap any ``(start, end)`` span."""
    spans = sorted((int(s), int(e)) for s, e in spans if e > s)
    out: set[int] = set()
    if not spans:
        return out
    for i, tok in enumerate(tokenize(text)):
        if not _is_content(tok.norm):
            continue
        # Spans are few per document; a linear scan keeps this obviously correct.
        if any(s < tok.end and tok.start < e for s, e in spans):
            out.add(i)
    return out


def localisation_scores(
    text: str, true_spans: list[tuple[int, int]], predicted_spans: list[tuple[int, int]]
) -> dict:
    """Token-level precision/recall/F1 of predicted spun spans against the true ones, both in ``text``.

    A token is flagged by a span list if it overlaps one of its character ranges, so a prediction that
    covers only part of a multi-word swap gets partial credit. Punctuation tokens are not scored.
    """
    truth = span_token_indices(text, true_spans)
    pred = span_token_indices(text, predicted_spans)
    return _prf(len(truth & pred), len(pred - truth), len(truth - pred))


def aggregate(results: Iterable[dict]) -> dict:
    """Micro-average: sum the counts of per-document score dicts and recompute the rates from the sums.

    Works for ``restoration_scores`` and ``localisation_scores`` results (or dicts holding both sets of
    counts); per-document rates are not averaged, so long documents weigh by their size.
    """
    results = list(results)
    out: dict = {"documents": len(results)}
    if results and all(all(k in r for k in _RESTORATION_COUNTS) for r in results):
        out.update(_restoration_rates({k: sum(r[k] for r in results) for k in _RESTORATION_COUNTS}))
    if results and all(all(k in r for k in _LOCALISATION_COUNTS) for r in results):
        out.update(_prf(*(sum(r[k] for r in results) for k in _LOCALISATION_COUNTS)))
    return out
