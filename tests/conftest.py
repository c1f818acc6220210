import math
from collections import Counter
from pathlib import Path

import pytest


def write_arpa(sentences: list[str], path: Path) -> Path:
    """A small bigram ARPA model (absolute interpolation by hand) that KenLM loads like any other."""
    uni, bi = Counter(), Counter()
    for s in sentences:
        words = ["<s>", *s.split(), "</s>"]
        uni.update(words)
        bi.update(zip(words, words[1:]))
    total = sum(uni.values()) + len(uni) + 1
    lines = ["\\data\\", f"ngram 1={len(uni) + 1}", f"ngram 2={len(bi)}", "", "\\1-grams:"]
    lines.append(f"{math.log10(1 / total):.4f}\t<unk>\t0")
    for w, c in sorted(uni.items()):
        p = -99.0 if w == "<s>" else math.log10((c + 1) / total)
        lines.append(f"{p:.4f}\t{w}\t{math.log10(0.2):.4f}")
    lines += ["", "\\2-grams:"]
    for (v, w), c in sorted(bi.items()):
        lines.append(f"{math.log10(0.8 * c / uni[v] + 0.2 * (uni[w] + 1) / total):.4f}\t{v} {w}")
    lines += ["", "\\end\\", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def tiny_arpa(tmp_path):
    corpus = [
        "the war ended in 2020 .",
        "the war ended last year .",
        "officials said the war ended .",
        "journalists said the region was quiet .",
        "the region was quiet since the war ended .",
        "officials told journalists where they live .",
        "the battle was long .",
        "she will finish the book .",
    ] * 3
    return write_arpa(corpus, tmp_path / "tiny.arpa")


@pytest.fixture
def restorer(tmp_path, monkeypatch, tiny_arpa):
    """A decoder over the tiny LM and a hand-made lexicon (war/battle, ended/finished, region/patch,
    said/stated, the place/where, newshounds/journalists)."""
    from unspin import lexicon as lx
    from unspin.lm import KenLMScorer
    from unspin.restore import RestoreConfig, Restorer

    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))
    quads = [
        *lx.thesaurus_pairs([("war", ["battle", "fight"]), ("ended", ["finished", "concluded"]),
                             ("region", ["patch", "area"]), ("said", ["stated"])], "moby", 0.0),
        ("the place", "where", 0.0, "observed:x"),
        ("newshounds", "journalists", 0.0, "observed:x"),
    ]
    table = tmp_path / "lexicon.tsv.gz"
    lx.build_table(quads, table)
    # no word vectors in this tiny lexicon: treat unknown similarity as near synonyms
    cfg = RestoreConfig(swap_prior=0.3, adapt_prior=False, sim_default=0.9)
    return Restorer(lx.Lexicon(table), KenLMScorer(tiny_arpa), cfg)
