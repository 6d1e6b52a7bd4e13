"""Fixtures of the search tests."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from dure.search.models import SearchDocument


@pytest.fixture
def reanalysed(db):
    """``reanalysed(migration, kind, object_id, title_tokens=…, body_tokens=…)``: the document
    stored as an older analysis left it, then after the re-analysis of ``migration`` (a module
    of ``dure.search.migrations``), as it is now."""

    def run(migration: str, kind: str, object_id: int, **stale: str) -> SearchDocument:
        SearchDocument.objects.filter(kind=kind, object_id=object_id).update(**stale)
        module = importlib.import_module(f"dure.search.migrations.{migration}")
        module.reanalyse(apps, connection.schema_editor())
        return SearchDocument.objects.get(kind=kind, object_id=object_id)

    return run
