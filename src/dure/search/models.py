"""The search index: one row per searchable object, analysed with Kiwi.

The full-text index itself lives beside this table and is kept in step by the database:
SQLite — an FTS5 external-content table fed by triggers; PostgreSQL — a generated
``tsvector`` column with a GIN index. Either way the index changes in the same transaction as
the row, so it is never stale or half-written.
"""

from __future__ import annotations

from django.db import models


class SearchDocument(models.Model):
    kind = models.CharField(max_length=30)
    object_id = models.BigIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    title_tokens = models.TextField(blank=True)
    body_tokens = models.TextField(blank=True)
    # Filter values: {"key": ["value", …]} — lists of strings, OR within a key, AND across keys.
    filters = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.title}"
