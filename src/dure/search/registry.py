"""Which kinds of object are searchable and how each becomes a document.

Each app registers its kinds in ``AppConfig.ready``; ``dure reindex`` walks the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IndexedDocument:
    title: str
    body: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchKind:
    name: str
    label: str
    queryset: Callable[[], Iterable[Any]]
    to_document: Callable[[Any], IndexedDocument | None]  # None: not indexed


_KINDS: dict[str, SearchKind] = {}


def register(kind: SearchKind) -> None:
    _KINDS[kind.name] = kind


def get(name: str) -> SearchKind:
    return _KINDS[name]


def all_kinds() -> list[SearchKind]:
    return list(_KINDS.values())
