"""Demo stories for this app (``dure load-demo``); idempotent."""

from __future__ import annotations


def load_demo() -> dict[str, int]:
    return {}
