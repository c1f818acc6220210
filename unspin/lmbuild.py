"""Train the project's KenLM n-gram language model from the corpora in ``../shared/corpora``.

KenLM's training tools (``lmplz``, ``build_binary``) have no Debian package and no wheel, so the project
builds them itself from the ``kenlm-ex`` source distribution on PyPI (the same KenLM the query module
comes from) into a cache folder, once. Everything here is driven by ``unspin pack build``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .cache import cache_dir
from .document import lm_forms, lm_tokens, tokenize
from .errors import UnspinError

KENLM_SDIST = "kenlm-ex==0.2.1"
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def _run(cmd: list[str], log: Path, **kw) -> None:
    with open(log, "ab") as out:
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, **kw).returncode
    if rc != 0:
        raise UnspinError(f"command failed ({rc}): {' '.join(map(str, cmd))}; see {log}")


def kenlm_tools() -> Path:
    """The folder holding ``lmplz`` and ``build_binary``, building them on first use."""
    env = os.environ.get("UNSPIN_KENLM_BIN")
    if env:
        if not (Path(env) / "lmplz").exists():
            raise UnspinError(f"UNSPIN_KENLM_BIN={env} has no lmplz")
        return Path(env)
    on_path = shutil.which("lmplz")
    if on_path and shutil.which("build_binary"):
        return Path(on_path).parent
    # versioned by the patches of patch_lmplz_main: tools built before the second patch may hang
    bin_dir = cache_dir() / "kenlm" / "bin-2"
    if (bin_dir / "lmplz").exists() and (bin_dir / "build_binary").exists():
        return bin_dir
    return _build_kenlm_tools(bin_dir)


def patch_lmplz_main(code: str) -> str:
    """Two fixes to ``lmplz_main.cc`` of this KenLM release (its options moved from Boost to CLI11):

    * CLI11 registers ``-h`` twice and lmplz aborts at start-up: drop CLI11's default help flag;
    * the flags ``--renumber``, ``--collapse_values`` and ``--verbose_header`` write into bools that are never
      initialised when the flag is absent (Boost's ``default_value(false)`` did that), so lmplz read stack
      garbage and, depending on the build, hung or crashed at step 2: set them to false first.
    """
    flag = 'app.add_flag("-h,--help", help, "Show this help message");'
    if "app.set_help_flag();" not in code and flag in code:
        code = code.replace(flag, "app.set_help_flag();\n    " + flag)
    decl = "lm::builder::PipelineConfig pipeline;"
    if decl in code and "pipeline.output_q = false;" not in code:
        code = code.replace(decl, decl + "\n    pipeline.renumber_vocabulary = false;\n    pipeline.output_q = false;")
    return code.replace("bool verbose_header;", "bool verbose_header = false;")


def _build_kenlm_tools(bin_dir: Path) -> Path:
    work = Path(tempfile.mkdtemp(prefix="unspin-kenlm-"))
    log = work / "build.log"
    print(f"building KenLM lmplz/build_binary (once, ~2 min; log {log})", file=sys.stderr)
    cmake = shutil.which("cmake", path=str(Path(sys.executable).parent)) or shutil.which("cmake")
    # The system cmake may be too old for KenLM's CMakeLists; the PyPI cmake is recent.
    if cmake is None or "venv" not in cmake and "site-packages" not in cmake:
        _run([sys.executable, "-m", "pip", "install", "-q", "cmake>=3.27"], log)
        cmake = shutil.which("cmake", path=str(Path(sys.executable).parent)) or "cmake"
    _run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", "kenlm-ex",
          KENLM_SDIST, "-d", str(work)], log)
    sdist = next(work.glob("kenlm_ex-*.tar.gz"))
    with tarfile.open(sdist) as tar:
        tar.extractall(work, filter="data")
    src = next(p for p in work.iterdir() if p.is_dir())
    main_cc = src / "lm" / "builder" / "lmplz_main.cc"
    main_cc.write_text(patch_lmplz_main(main_cc.read_text()))
    build = src / "build"
    build.mkdir()
    _run([cmake, "-DCMAKE_BUILD_TYPE=Release", ".."], log, cwd=build)
    _run([cmake, "--build", ".", "-j", str(os.cpu_count() or 2), "--target", "lmplz", "build_binary"], log, cwd=build)
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in ("lmplz", "build_binary"):
        tmp = bin_dir / f".{tool}.tmp"
        shutil.copy2(build / "bin" / tool, tmp)
        os.replace(tmp, bin_dir / tool)
    shutil.rmtree(work, ignore_errors=True)
    return bin_dir


# Documents whose index % 10 is in HELD_OUT are never used to train the LM: 8 trains and calibrates the
# detector, 9 is the test split of `unspin bench`. A model must not have seen the text it is scored on.
HELD_OUT = (8, 9)


def split_of(index: int) -> str:
    return {8: "train", 9: "test"}.get(index % 10, "lm")


def read_corpus(path: Path, limit_docs: int | None = None, split: str | None = None) -> Iterator[str]:
    """Yield document texts from a JSON Lines corpus (optionally gzip) with a ``text`` field, optionally
    only those of one split (``lm``, ``train``, ``test``: see HELD_OUT)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if limit_docs is not None and i >= limit_docs:
                break
            if split is not None and split_of(i) != split:
                continue
            line = line.strip()
            if not line:
                continue
            try:
                text = json.loads(line).get("text") or ""
            except (json.JSONDecodeError, AttributeError):
                continue
            if text:
                yield text


def sentences(text: str) -> Iterator[str]:
    for para in re.split(r"\n\s*\n|\n", text):
        para = para.strip()
        if para:
            yield from (s for s in _SENTENCE_END.split(para) if s.strip())


def write_lm_text(texts: Iterable[str], out, names: bool = True) -> int:
    """Write one tokenised, lower-cased sentence per line, as the decoder will query the LM; with ``names``,
    names inside a sentence written as NAME_TOKEN (see :func:`unspin.document.lm_forms`)."""
    n = 0
    for text in texts:
        for sent in sentences(text):
            toks = lm_forms(tokenize(sent)) if names else lm_tokens(sent)
            if len(toks) >= 3:
                out.write(" ".join(toks))
                out.write("\n")
                n += len(toks)
    return n


def train_kenlm(
    corpora: list[Path],
    out_path: Path,
    *,
    order: int = 4,
    prune: tuple[int, ...] = (0, 1, 2, 2),
    memory: str = "30%",
    limit_docs: int | None = None,
    names: bool = True,
) -> dict:
    """Train an order-``order`` KenLM model on ``corpora``; write a quantised trie binary atomically."""
    tools = kenlm_tools()
    work = Path(tempfile.mkdtemp(prefix="unspin-lm-", dir=out_path.parent))
    log = out_path.with_name(out_path.name + ".log")  # kept after a failure, next to the output
    try:
        text_path = work / "corpus.txt"
        tokens = 0
        with open(text_path, "w", encoding="utf-8") as out:
            for corpus in corpora:
                tokens += write_lm_text(read_corpus(corpus, limit_docs, split="lm"), out, names=names)
        if tokens == 0:
            raise UnspinError("the corpora gave no sentences to train the language model on")
        arpa = work / "lm.arpa"
        prune_args = ["--prune", *map(str, prune[:order])] if any(prune) else []
        _run([str(tools / "lmplz"), "-o", str(order), "-S", memory, "-T", str(work), "--text", str(text_path),
              "--arpa", str(arpa), *prune_args], log)
        tmp_bin = work / "lm.bin"
        _run([str(tools / "build_binary"), "-i", "-q", "8", "-b", "8", "-a", "22", "trie", str(arpa), str(tmp_bin)],
             log)
        os.replace(tmp_bin, out_path)
        return {"order": order, "prune": list(prune[:order]), "training_tokens": tokens, "name_class": names}
    finally:
        shutil.rmtree(work, ignore_errors=True)
