"""Kiwi tokens of the profile sentences, cached like their vectors.

Analysing ~2,000 sentences costs seconds at start-up, so the tokens are kept in
``data/profile_tokens.json`` (written by ``dure route-build``) and, when that file does not
match, in ``<VAR_DIR>/routing/profile_tokens-<hash>.json``. The key covers the sentences, the
kiwipiepy version, the source of ``dure.search.analysis`` and its nouns file: change the
analysis and the cache is simply not used (requests and profiles must be analysed alike).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from dure.search import analysis

from . import vectors

logger = logging.getLogger("dure.routing")

COMMITTED_FILE = Path(__file__).resolve().parent / "data" / "profile_tokens.json"


@lru_cache(maxsize=1)
def analysis_signature() -> str:
    import kiwipiepy

    digest = hashlib.sha256(str(getattr(kiwipiepy, "__version__", "?")).encode())
    source = getattr(analysis, "__file__", None)
    nouns = getattr(analysis, "USER_NOUNS_FILE", None)
    for path in (source, nouns):
        if path and os.path.exists(path):
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def analyse(texts: list[str]) -> list[list[str]]:
    many = getattr(analysis, "analyze_many", None)
    if many is not None:
        return [list(t) for t in many(texts)]
    return [analysis.analyze(t) for t in texts]


def texts_key(texts: list[str]) -> str:
    digest = hashlib.sha256(analysis_signature().encode())
    for text in texts:
        digest.update(b"\x00" + text.encode())
    return digest.hexdigest()


def _read(path: Path, key: str) -> list[list[str]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    tokens = data.get("tokens")
    if not isinstance(tokens, list):
        return None
    return [t.split() for t in tokens]


def write(path: Path, key: str, tokens: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(
                {"key": key, "tokens": [" ".join(t) for t in tokens]},
                fh,
                ensure_ascii=False,
                indent=0,
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def tokens_for(texts: list[str], *, committed: Path | None = None) -> list[list[str]]:
    """Kiwi tokens of each text, from a cache when it matches."""
    key = texts_key(texts)
    committed = committed or COMMITTED_FILE
    runtime = vectors.cache_dir() / f"profile_tokens-{key[:24]}.json"
    for path in (committed, runtime):
        if path.exists():
            found = _read(path, key)
            if found is not None and len(found) == len(texts):
                return found
    tokens = analyse(texts)
    try:
        write(runtime, key, tokens)
    except OSError as exc:
        logger.warning("routing: cannot write the token cache %s (%s)", runtime, exc)
    else:
        vectors.prune(runtime.parent, "profile_tokens-*.json")
    return tokens


def build(texts: list[str], *, path: Path | None = None) -> None:
    write(path or COMMITTED_FILE, texts_key(texts), analyse(texts))


def is_current(texts: list[str], path: Path | None = None) -> bool:
    path = path or COMMITTED_FILE
    return path.exists() and _read(path, texts_key(texts)) is not None
