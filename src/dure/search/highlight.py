"""Snippets with the matched terms marked, computed from the original text (both backends)."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def snippet(text: str, tokens: tuple[str, ...], width: int = 160) -> SafeString:
    text = " ".join((text or "").split())
    terms = sorted({t for t in tokens if t}, key=len, reverse=True)
    if not text:
        return mark_safe("")  # noqa: S308
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE) if terms else None
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
