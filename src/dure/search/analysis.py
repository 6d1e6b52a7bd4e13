"""Korean text analysis with Kiwi: text → the morphemes worth indexing.

Korean is agglutinative: ``기술이전을`` is 기술 + 이전 + 을, ``용접부의`` is 용접 + 부 + 의. We
keep content morphemes (nouns, roots, verb/adjective stems, Latin words, numbers, hanja) and
drop particles and endings, so the same analysis on documents and queries makes
``용접 부식`` find ``용접부의 부식을 방지하는``.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

from kiwipiepy import Kiwi

# NNG/NNP common/proper noun, NR numeral, XR root, VV/VA verb/adjective stem, SL Latin,
# SH hanja, SN number, MAG adverb is dropped (mostly noise in search).
CONTENT_TAGS = frozenset({"NNG", "NNP", "NR", "XR", "VV", "VA", "SL", "SH", "SN"})
# Verbs so general that they say nothing about what is searched for.
STOP_STEMS = frozenset({"하", "있", "없", "되", "이", "않", "같", "찾", "보", "주", "싶", "알"})
MAX_ANALYSED_CHARS = 20_000
MAX_QUERY_CHARS = 500
_TOKEN_OK = re.compile(r"^[\w.]+$")

_lock = threading.Lock()
_kiwi: Kiwi | None = None


def kiwi() -> Kiwi:
    global _kiwi
    if _kiwi is None:
        with _lock:
            if _kiwi is None:
                _kiwi = Kiwi()
    return _kiwi


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")[:MAX_ANALYSED_CHARS]
    # Kiwi treats most symbols itself, but control characters and lone surrogates must go.
    # They become spaces, not nothing: "용접\x00부식" is two words, not one.
    return "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)


def analyze(text: str) -> list[str]:
    """Content morphemes of ``text`` in order, lower-cased Latin, duplicates kept."""
    cleaned = _clean(text)
    if not cleaned.strip():
        return []
    out: list[str] = []
    for token in kiwi().tokenize(cleaned):
        tag = token.tag.split("-")[0]
        if tag not in CONTENT_TAGS:
            continue
        form = token.form.lower().strip(".")
        if not form or not _TOKEN_OK.match(form):
            continue
        if tag in ("VV", "VA") and form in STOP_STEMS:
            continue
        out.append(form)
    return out


def analyze_query(text: str) -> tuple[str, ...]:
    """Distinct content morphemes of a query, in order (at most 32). Only the first
    ``MAX_QUERY_CHARS`` characters count: analysing a pasted page would take seconds."""
    return _analyze_query((text or "")[:MAX_QUERY_CHARS])


@lru_cache(maxsize=2048)
def _analyze_query(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for form in analyze(text):
        seen.setdefault(form, None)
        if len(seen) >= 32:
            break
    return tuple(seen)
