"""Snippets with the matched terms marked, computed from the original text (both backends)."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape  # what django.utils.html.escape calls, without its lazy-string wrapper

from django.utils.safestring import SafeString, mark_safe


@lru_cache(maxsize=512)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled pattern per query (a result page asks for twenty snippets)."""
    return re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE) if terms else None


def snippet(text: str, tokens: tuple[str, ...], width: int = 160) -> SafeString:
    text = " ".join((text or "").split())
    terms = tuple(sorted({t for t in tokens if t}, key=lambda t: (-len(t), t)))
    if not text:
        return mark_safe("")  # noqa: S308
    pattern = _pattern(terms)
    first = pattern.search(text) if pattern else None
    start = max(0, (first.start() if first else 0) - width // 3)
    end = min(len(text), start + width)
    window = text[start:end]
    parts: list[str] = ["…" if start > 0 else ""]
    pos = 0
    if pattern:
        for m in pattern.finditer(window):
            parts.append(escape(window[pos : m.start()]))
            parts.append(f"<mark>{escape(m.group(0))}</mark>")
            pos = m.end()
    parts.append(escape(window[pos:]))
    parts.append("…" if end < len(text) else "")
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above
