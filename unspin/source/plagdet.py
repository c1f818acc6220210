"""PAN's plagdet score for text alignment (Potthast, Stein, Barrón-Cedeño & Rosso, COLING 2010).

A *case* (truth) and a *detection* (prediction) both link a character range of a suspicious document to
a character range of a source document. Each is treated as the set of characters it covers in both
documents. With ``s ⊓ r = s ∩ r`` when ``r`` detects ``s`` (they overlap and name the same two documents)
and ``∅`` otherwise::

    precision   = 1/|R| Σ_r |∪_s (s ⊓ r)| / |r|
    recall      = 1/|S| Σ_s |∪_r (s ⊓ r)| / |s|
    granularity = 1/|S_R| Σ_{s ∈ S_R} |R_s|     (S_R: detected cases, R_s: the detections of s)
    plagdet     = F1(precision, recall) / log2(1 + granularity)

Conventions follow PAN's evaluation script: precision is 0 with no detections, recall 0 with no cases,
granularity 1 when no case is detected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """One case or detection: ``query[query_start:query_end]`` copies ``source[source_start:source_end]``."""

    query_doc: str
    source_doc: str
    query_start: int
    query_end: int
    source_start: int
    source_end: int

    def chars(self) -> set[tuple[str, str, int]]:
        return ({("q", self.query_doc, i) for i in range(self.query_start, self.query_end)}
                | {("s", self.source_doc, j) for j in range(self.source_start, self.source_end)})


def _detects(r: Span, s: Span) -> bool:
    return (r.query_doc == s.query_doc and r.source_doc == s.source_doc
            and r.query_start < s.query_end and s.query_start < r.query_end
            and r.source_start < s.source_end and s.source_start < r.source_end)


def plagdet(cases: Iterable[Span], detections: Iterable[Span]) -> dict:
    """``{precision, recall, granularity, f1, plagdet, cases, detections}`` over all cases and detections."""
    cases, detections = list(cases), list(detections)
    case_chars = [s.chars() for s in cases]
    det_chars = [r.chars() for r in detections]
    detected_by = [[k for k, r in enumerate(detections) if _detects(r, s)] for s in cases]

    recall = 0.0
    if cases:
        total = 0.0
        for s_chars, dets in zip(case_chars, detected_by):
            covered: set = set()
            for k in dets:
                covered |= s_chars & det_chars[k]
            total += len(covered) / len(s_chars) if s_chars else 0.0
        recall = total / len(cases)

    precision = 0.0
    if detections:
        total = 0.0
        for k, r_chars in enumerate(det_chars):
            covered = set()
            for i, dets in enumerate(detected_by):
                if k in dets:
                    covered |= case_chars[i] & r_chars
            total += len(covered) / len(r_chars) if r_chars else 0.0
        precision = total / len(detections)

    detected = [len(d) for d in detected_by if d]
    granularity = sum(detected) / len(detected) if detected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "granularity": granularity, "f1": f1,
            "plagdet": f1 / math.log2(1 + granularity), "cases": len(cases), "detections": len(detections)}
