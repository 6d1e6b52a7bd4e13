"""The search API every app uses: index, remove, search, reindex.

``index_document`` and ``remove_document`` must be called inside the transaction that changes
the object, so data and index commit (or roll back) together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.safestring import SafeString

from . import registry
from .analysis import analyze_many, analyze_query
from .backends import _check_keys, backend
from .highlight import snippet
from .models import SearchDocument

MAX_LIMIT = 200
MAX_OFFSET = 10_000_000  # far beyond any real paging; keeps OFFSET a 64-bit integer


@dataclass(frozen=True)
class Hit:
    kind: str
    object_id: int
    score: float
    title: str
    snippet: SafeString


@dataclass
class SearchResult:
    query: str
    tokens: tuple[str, ...]
    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    relaxed: bool = False  # True when no document had every term and any-term matching was used


def _normalise_filters(filters: Mapping[str, object] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in (filters or {}).items():
        values = value if isinstance(value, list | tuple | set) else [value]
        cleaned = [str(v) for v in values if v is not None and str(v) != ""]
        if cleaned:
            out[key] = sorted(set(cleaned))
    return out


def index_document(
    *,
    kind: str,
    object_id: int,
    title: str,
    body: str = "",
    filters: Mapping[str, object] | None = None,
) -> SearchDocument:
    doc_filters = _normalise_filters(filters)
    _check_keys(doc_filters, [])
    title_tokens, body_tokens = analyze_many([title, body])
    doc, _created = SearchDocument.objects.update_or_create(
        kind=kind,
        object_id=object_id,
        defaults={
            "title": title[:300],
            "body": body,
            "title_tokens": " ".join(title_tokens),
            "body_tokens": " ".join(body_tokens),
            "filters": doc_filters,
        },
    )
    return doc


def remove_document(*, kind: str, object_id: int) -> None:
    SearchDocument.objects.filter(kind=kind, object_id=object_id).delete()


def index_object(kind: str, obj) -> None:
    """(Re)index one object of a registered kind, or remove it if it is no longer indexed."""
    document = registry.get(kind).to_document(obj)
    if document is None:
        remove_document(kind=kind, object_id=obj.pk)
    else:
        index_document(
            kind=kind,
            object_id=obj.pk,
            title=document.title,
            body=document.body,
            filters=document.filters,
        )


def search(
    *,
    query: str,
    kinds: list[str] | None = None,
    filters: Mapping[str, object] | None = None,
    facets: list[str] | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResult:
    """Rank documents matching ``query``: every term first, any term if none has them all."""
    tokens = analyze_query(query or "")
    result = SearchResult(query=query, tokens=tokens)
    if not tokens:
        return result
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    norm_filters = _normalise_filters(filters)
    facet_keys = list(facets or [])
    _check_keys(norm_filters, facet_keys)
    engine = backend()
    mode = "and"
    total, matches = engine.search(tokens, mode, kinds, norm_filters, limit, offset)
    if total == 0 and len(tokens) > 1:
        mode = "or"
        result.relaxed = True
        total, matches = engine.search(tokens, mode, kinds, norm_filters, limit, offset)
    docs = SearchDocument.objects.in_bulk([m.document_id for m in matches])
    result.total = total
    result.hits = [
        Hit(
            kind=m.kind,
            object_id=m.object_id,
            score=round(m.score, 6),
            title=docs[m.document_id].title,
            snippet=snippet(docs[m.document_id].body or docs[m.document_id].title, tokens),
        )
        for m in matches
        if m.document_id in docs
    ]
    # Facet counts for a key ignore that key's own filter (the usual drill-down behaviour), so
    # the keys nobody filters on share the same conditions and are counted in one query.
    shared = [key for key in facet_keys if key not in norm_filters]
    counts = engine.facets_many(tokens, mode, kinds, norm_filters, shared) if shared else {}
    for key in facet_keys:
        if key in counts:
            result.facets[key] = counts[key]
        else:
            others = {k: v for k, v in norm_filters.items() if k != key}
            result.facets[key] = engine.facets(tokens, mode, kinds, others, key)
    return result


def reindex(
    *,
    kinds: list[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    batch_size: int = 500,
) -> dict[str, int]:
    """Rebuild the index of the given kinds (all by default). Returns documents per kind."""
    counts: dict[str, int] = {}
    for kind in registry.all_kinds():
        if kinds and kind.name not in kinds:
            continue
        # in primary-key order: documents get ids in the order their objects were created, as
        # when they were indexed one by one (equal scores are ordered by document id)
        objects = sorted(kind.queryset(), key=lambda obj: obj.pk)
        total = len(objects)
        done = 0
        with transaction.atomic():
            SearchDocument.objects.filter(kind=kind.name).delete()
            pending: list[tuple[int, object]] = []
            for obj in objects:
                document = kind.to_document(obj)
                if document is not None:
                    pending.append((obj.pk, document))
                done += 1
                if len(pending) >= batch_size:
                    _write_batch(kind.name, pending)
                    pending = []
                if progress:
                    progress(kind.name, done, total)
            _write_batch(kind.name, pending)
        counts[kind.name] = SearchDocument.objects.filter(kind=kind.name).count()
    _refresh_statistics()
    return counts


def _write_batch(kind: str, pending: list) -> None:
    """Analyse a batch of documents in one Kiwi batch and insert them."""
    if not pending:
        return
    texts = [d.title for _pk, d in pending] + [d.body for _pk, d in pending]
    tokens = analyze_many(texts)
    n = len(pending)
    SearchDocument.objects.bulk_create(
        SearchDocument(
            kind=kind,
            object_id=pk,
            title=document.title[:300],
            body=document.body,
            title_tokens=" ".join(tokens[i]),
            body_tokens=" ".join(tokens[n + i]),
            filters=_normalise_filters(document.filters),
        )
        for i, (pk, document) in enumerate(pending)
    )


def _refresh_statistics() -> None:
    """Let the query planner see the new index sizes after a bulk rebuild."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")
            cursor.execute("ANALYZE search_searchdocument")
        elif connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute("ANALYZE search_searchdocument")
