"""The Python API: ``unspin.check(text) -> Report`` and the :class:`Checker` it is built on."""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from . import detect
from .document import Document, Report
from .ingest import from_text
from .lexicon import DICTIONARY, RISK_MARKERS, Lexicon, has_layer
from .lm import KenLMScorer
from .pack import Pack, load_pack
from .restore import Restorer, RestoreConfig, apply_substitutions


# Decoder settings for a recognised spinner family. The naive WordNet spinner draws its swaps from WordNet
# whatever the sense, so WordNet's pairs deserve more weight than in unknown text (chosen on dev data:
# nlpaug WordNet recovery 37% -> 43%, break rate 6.8% -> 8.7%); and it writes a synonym's lemma whatever
# the original's form ("allege" for said), so a base form standing for an inflected original costs less
# than in unknown text (-1.0 instead of -3.0; on 20 dev documents each, nlpaug 38.4% -> 42.8% and unspin's
# WordNet spinner 49.3% -> 53.0%, break rates unchanged at 5.0% and 5.2%).
FAMILY_DECODING = {"naive WordNet spinner": {"layer_bonus": {"wordnet": 1.5}, "reinflect_logweight": -1.0},
                   # swaps attested in spinners' output: those seen on real content-farm pages (the family
                   # their dictionary comes from) and the word swaps of tortured phrases (spinners' output
                   # found in papers, a list far more spinner-like than a thesaurus: 4 of 53 real swaps in
                   # 4,260 pairs). Dev: the ohtani page 14 -> 16 recovered, 12 broken; see BENCHMARKS.md.
                   # And it is a tool with one fixed dictionary (the real pages swap every "patch", every "by
                   # means of" alike), so one dictionary per document is trusted more: a restoration made with
                   # confidence 0.7 (not 0.8) carries over to the word's other occurrences, with channel
                   # bonus 2.0 (not 1.0). Dev: the ohtani page 16 -> 19 recovered, 12 broken.
                   # The hand-listed rewrites of that spinner (lexicon layer "idioms", left out elsewhere)
                   # weigh as its observed swaps do there: -0.7 + 1.0 (see BENCHMARKS.md, twelfth session).
                   # A word that dictionary lists as a spun form is suspicious as such: its swap prior is
                   # at least 0.5 (dev: the ohtani page 19 -> 21 recovered, 12 broken; 0.3 20 / 12, 0.6 and
                   # 0.8 21 / 13; see BENCHMARKS.md, twelfth session). And a word it rewrites but never writes
                   # (a listed original that is no listed spun form) was most likely left alone: swap prior at
                   # most 0.02, as inside a quotation (dev, n-gram: the ohtani page 21 / 12 -> 21 / 5; 0.1 21
                   # / 10, 0.05 21 / 5, 0.01 21 / 5; phrase spinner 65.3% / 4.9% -> 64.7% / 4.5%).
                   "phrase-dictionary spinner": {"layer_bonus": {"observed": 1.0, "tortured-words": 1.0},
                                                 "idioms_logweight": 0.3, "dictionary_key_prior": 0.5,
                                                 "dictionary_original_prior": 0.02,
                                                 "consistency_bonus": 2.0, "consistency_min_confidence": 0.7}}
# Family settings for the n-gram decoding alone: with the neural reranker they cost recovery (dev, the ohtani
# page: dictionary_original_prior 0.02 took the reranked page from 32 / 2 to 28 / 2, while the n-gram page
# went from 21 / 12 to 21 / 5), as the localiser's per-word priors do (see check_document).
NGRAM_ONLY = ("dictionary_original_prior",)
# Below this many words a text is never called "not spun" (it is "uncertain"): too little to judge.
MIN_VERDICT_WORDS = 25


class Checker:
    """Runs one document through restore and detect with one loaded pack.

    ``pack``: a pack folder (default: the pack shipped with unspin, or ``$UNSPIN_PACK``), or a :class:`Pack`
    already opened with :func:`unspin.pack.load_pack` (used as it is, not verified again).
    ``exclude_evidence``: lexicon evidence tags to ignore (used to evaluate on held-out pages).
    ``use_detector``: False uses the hand-set fallback instead of the pack's trained detector.
    ``sources``: a source index folder (``unspin index build``): reports then name the document the text
    was copied from, with aligned passages, and restore the copied passages from it.
    ``neural``: True (or a :class:`unspin.neural.NeuralReranker`) re-decides the uncertain spans of a text
    that is not clean with a neural LM (the ``neural`` extra); detection stays on the n-gram decoding.
    """

    def __init__(self, pack: str | Path | Pack | None = None, config: RestoreConfig | None = None,
                 exclude_evidence: Iterable[str] = (), use_detector: bool = True,
                 sources: str | Path | None = None, neural=False):
        self.pack = pack if isinstance(pack, Pack) else load_pack(pack)
        self.lexicon = Lexicon(self.pack.lexicon_path, exclude_evidence=exclude_evidence)
        self.scorer = KenLMScorer(self.pack.lm_path)
        self.restorer = Restorer(self.lexicon, self.scorer, config)
        # training a new detector must not need the old one (which may not match the features any more)
        self.detector = (detect.Detector.load(self.pack.detector_path)
                         if use_detector and self.pack.detector_path else None)
        from .localize import Localizer

        self.localizer = (Localizer.load(self.pack.localizer_path)
                          if use_detector and self.pack.localizer_path else None)
        from .fingerprint import FINGERPRINT_FILE, FamilyClassifier

        fp = self.pack.path / FINGERPRINT_FILE
        self.fingerprint = FamilyClassifier.load(fp) if use_detector and fp.is_file() else None
        # observed swaps the fingerprint must not take for the content-farm spinner's: the shipped pages of
        # other spinners, and layers learnt from pages named another family's (unspin learn --family)
        from .fingerprint import FAMILY_NAMES, OBSERVED_OTHER_FAMILY
        from .learn import learned_families

        self._other_family = {**OBSERVED_OTHER_FAMILY,
                              **{tag: family for tag, family in learned_families(self.pack.path).items()
                                 if family != FAMILY_NAMES["phrase"]}}
        from .names import load_names

        # capitalised names the corpora write, to restore spun ones ("World Sequence"); none in an older pack
        self.names = load_names(self.pack.names_path) if self.pack.names_path else frozenset()
        self.reranker = None
        if neural:
            from .neural import NeuralReranker

            self.reranker = neural if isinstance(neural, NeuralReranker) else NeuralReranker()
            # kept across documents, like self.restorer, so its candidate cache stays warm
            self._neural_restorer = Restorer(self.lexicon, self.scorer, self.restorer.config, reranker=self.reranker)
        # the decoders of the spinner families (FAMILY_DECODING), made on first use and kept, like
        # self.restorer, so that their candidate caches stay warm across documents
        self._family_restorers: dict = {}
        self.sources = None
        if sources is not None:
            from .source import SourceIndex

            self.sources = SourceIndex(sources)

    def check_document(self, doc: Document) -> Report:
        r = self.restorer.restore(doc)
        spans, probs = self.localizer.probabilities(r) if self.localizer is not None else ([], None)
        feats = detect.features(r, probs, self.localizer.threshold if self.localizer is not None else 0.5)
        if self.detector is not None:
            p = self.detector.probability(feats)
            verdict = self.detector.verdict(p)
        else:
            p = detect.spin_probability(feats)
            verdict = detect.verdict(p)
        family = None
        if self.fingerprint is not None and verdict != "not spun":
            name, prob = self.fingerprint.predict(r, other_family=self._other_family)
            family = {"name": name, "probability": round(prob, 4)}
        subs, restored = r.substitutions, r.restored
        notes = list(doc.notes)
        adapt = FAMILY_DECODING.get(family["name"]) if family and family["probability"] >= 0.6 else None
        rerank = self.reranker is not None and verdict != "not spun"
        if adapt and rerank:
            adapt = {k: v for k, v in adapt.items() if k not in NGRAM_ONLY} or None
        # The localiser's per-word probabilities make a sharper swap prior than one density per document: on
        # dev data the n-gram decoding then broke about half as many correct words. With the neural reranker
        # they cost recovery instead (it already keeps breaks down), so the reranker decodes without them.
        scale = self.restorer.config.word_prior_scale
        word_priors = ({span: scale * float(q) for span, q in zip(spans, probs)}
                       if scale > 0 and probs is not None and verdict != "not spun" and not rerank else None)
        if adapt or rerank or word_priors:
            # Knowing the spinner, weigh its dictionary up, and/or let the neural LM judge the uncertain spans,
            # and decode again (features, verdict and family stay those of the first decoding, which the
            # detector was trained on).
            if adapt:
                restorer = self._family_restorer(family["name"], adapt, rerank)
            elif rerank:
                if self._neural_restorer.config is not self.restorer.config:  # the caller swapped the config
                    self._neural_restorer = Restorer(self.lexicon, self.scorer, self.restorer.config,
                                                     reranker=self.reranker)
                restorer = self._neural_restorer
            else:
                restorer = self.restorer
            # the localiser's judgement of each word lets the neural model propose originals the lexicon lacks
            suspects = {span: float(q) for span, q in zip(spans, probs)} if rerank and probs is not None else None
            # (this decoding only happens for a text not judged clean: small digits and one dictionary per
            # document apply)
            r2 = restorer.restore(doc, suspects=suspects, word_priors=word_priors, evidence=False, digits=True)
            r2 = restorer.restore_names(doc, r2, self.names)
            r2 = restorer.restore_consistent(doc, r2)
            subs, restored = r2.substitutions, r2.restored
            if adapt:
                notes.append(f"restored with the dictionary of a {family['name']} weighted up")
            if rerank:
                notes.append("uncertain spans re-decided by the neural language model")
        if verdict == "not spun":
            # A clean text still gets a few decoder false alarms; showing them as "swaps" would be noise.
            # Known tortured phrases stay: they are risk markers a reader should see whatever the verdict.
            subs = [s for s in subs if has_layer(s.evidence, RISK_MARKERS) and s.confidence >= 0.9]
            restored = apply_substitutions(doc.text, subs)
        flagged, also = [], ()
        if self.localizer is not None and verdict != "not spun":
            # a swap the family's dictionary restored is flagged even where the localiser, trained on the first
            # decoding (which leaves the hand-listed idioms out), did not judge its words swapped
            also = [s for s in subs if has_layer(s.evidence, DICTIONARY)] if adapt else ()
            flagged = self.localizer.flagged(doc.text, spans, probs, subs, also=also)
        report = Report(
            name=doc.name, text=doc.text, restored=restored, substitutions=subs,
            spin_probability=p, verdict=verdict, words=r.words, features=feats, family=family,
            notes=notes, flagged=flagged,
        )
        if verdict == "not spun" and r.words < MIN_VERDICT_WORDS:
            # a handful of words gives the detector too little to clear a text: say so instead
            report.verdict = "uncertain"
            report.notes.append(f"only {r.words} words: too short for a verdict of not spun")
        if self.sources is not None:
            found = self.sources.attribute(doc.text, r.substitutions)
            report.source = {"matches": found["matches"], "passages": found["passages"]}
            if found["restored"] is not None:  # inside copied passages the source's words beat the LM's
                report.restored, report.substitutions = found["restored"], found["substitutions"]
                if flagged:  # the originals shown beside flagged words come from the source too
                    report.flagged = self.localizer.flagged(doc.text, spans, probs, report.substitutions,
                                                            also=also)
                best = found["matches"][0]
                report.notes.append(f"copied from {best['id']} ({best['score']:.0%} of the text aligned); "
                                    "restored from it")
        return report

    def _family_restorer(self, name: str, adapt: dict, rerank: bool) -> Restorer:
        """The decoder for a text of the named spinner family: this checker's settings with ``adapt``."""
        key = (name, rerank)
        hit = self._family_restorers.get(key)
        if hit is None or hit[0] is not self.restorer.config or hit[1] != adapt:  # settings changed since
            adapt = copy.deepcopy(adapt)  # the decoder keeps these settings, whatever becomes of the caller's
            config = dataclasses.replace(self.restorer.config, **adapt)
            restorer = Restorer(self.lexicon, self.scorer, config, reranker=self.reranker if rerank else None)
            hit = self._family_restorers[key] = (self.restorer.config, adapt, restorer)
        return hit[2]

    def check(self, text: str, name: str = "<text>") -> Report:
        return self.check_document(from_text(text, name=name))


# ``jobs="auto"``: a batch of at least this many texts is checked in one worker process per CPU. Starting a
# worker and loading its pack takes 2-3 s, a news article ~0.3 s to check: on this project's 2-core machine
# `unspin check` of Reuters articles took 4.6 s for 8 files in one process and 5.2 s in two, 7.2 s and 5.8 s
# for 16 (BENCHMARKS.md, "Throughput and memory").
AUTO_JOBS_MIN_TEXTS = 16
AUTO_JOBS_MAX = 8  # each worker holds its own pack (~550 MB)


def auto_jobs(n_texts: int) -> int:
    """Worker processes for a batch of ``n_texts`` under ``jobs="auto"``: one per CPU this process may use
    (at most AUTO_JOBS_MAX), or 1 for a batch too small to repay the workers' start."""
    if n_texts < AUTO_JOBS_MIN_TEXTS:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, AUTO_JOBS_MAX))


def check_many(texts: Iterable[str | Document], jobs: int | str = 1, pack: str | Path | None = None,
               config: RestoreConfig | None = None) -> Iterator[Report]:
    """Reports for many texts (or :class:`Document` objects), in their order.

    A check runs in one Python thread, so ``jobs`` > 1 checks the texts in that many worker processes, each
    with the pack loaded once (a few seconds each, and ~550 MB of memory): worth it for a batch, not for a
    handful of short texts. ``jobs="auto"`` decides by the batch's size (:func:`auto_jobs`)."""
    docs = [from_text(t, name=f"<text {i}>") if isinstance(t, str) else t for i, t in enumerate(texts)]
    if jobs == "auto":
        jobs = auto_jobs(len(docs))
    if jobs <= 1 or len(docs) < 2:
        checker = Checker(pack, config=config) if docs else None
        for d in docs:
            yield checker.check_document(d)
        return
    # a missing or corrupt pack: one clear error here, not a broken pool of workers; the workers then take
    # the pack as verified (its checksums are ~0.2 s of each worker's start)
    pack = load_pack(pack)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # "spawn": a worker starts clean and opens its own SQLite and KenLM handles (neither survives a fork)
    with ProcessPoolExecutor(max_workers=min(jobs, len(docs)), mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker, initargs=(pack, config)) as pool:
        yield from pool.map(_check_in_worker, docs)


_worker: Checker | None = None


def _start_worker(pack, config) -> None:
    global _worker
    _worker = Checker(pack, config=config)


def _check_in_worker(doc: Document) -> Report:
    return _worker.check_document(doc)


_default: Checker | None = None


def _checker() -> Checker:
    global _default
    if _default is None:
        _default = Checker()
    return _default


def check(text: str) -> Report:
    """Check one text with the default pack: is it spun, where, and what did it say?"""
    return _checker().check(text)


def find_source(text: str, index_dir: str | Path, k: int = 5, restore: bool = False) -> dict:
    """Ranked candidate sources of ``text`` in an index, with the passages aligned with the best one."""
    from .source import find

    return find(index_dir, text, k, restore=restore)


def restore(text: str) -> str:
    """The most plausible original wording of ``text``."""
    return _checker().check(text).restored
