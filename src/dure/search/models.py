"""The search index: one row per searchable object, analysed with Kiwi.

The full-text index itself lives beside this table and is kept in step by the database:
SQLite — an FTS5 external-content table fed by triggers; PostgreSQL — a generated
``tsvector`` column with a GIN index. Either way the index changes in the same transaction as
the row, so it is never stale or half-written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from django.db import models


def facet_term(key: str, value: str) -> str:
    """``key=value`` with the value percent-encoded (no space, no ``=`` inside)."""
    return f"{key}={quote(str(value), safe='')}"


def facet_terms(filters: Mapping[str, Sequence[str]]) -> str:
    """The filter values as `` key=value key=value `` — what ``SearchDocument.facet_terms``
    holds (spaces at both ends, so ``' key=value '`` is found as a whole term)."""
    terms = sorted(facet_term(key, value) for key, values in filters.items() for value in values)
    return f" {' '.join(terms)} " if terms else ""


class SearchDocument(models.Model):
    kind = models.CharField(max_length=30)
    object_id = models.BigIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    title_tokens = models.TextField(blank=True)
    body_tokens = models.TextField(blank=True)
    # Filter values: {"key": ["value", …]} — lists of strings, OR within a key, AND across keys.
    filters = models.JSONField(default=dict, blank=True)
    # The same values as `` key=value … `` (``facet_terms()``), written with ``filters``: a
    # filter is a substring test and the facet counts of a page of matches one split of
    # their strings, where reading the JSON costs a parse per row (most of a broad query).
    facet_terms = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.title}"
