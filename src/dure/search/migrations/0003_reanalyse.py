"""Analyse the stored documents again: the Kiwi analysis changed (no default user dictionary:
compounds are indexed as their parts), and queries must be analysed the way the index was.

The title and body the tokens come from are stored beside them, so this needs nothing but
the index itself. Only changed rows are written (the full-text index follows by trigger on
SQLite and by the generated column on PostgreSQL).
"""

from django.db import migrations

BATCH = 500


def reanalyse(apps, schema_editor):
    from dure.search.analysis import analyze_many

    SearchDocument = apps.get_model("search", "SearchDocument")
    fields = ("id", "title", "body", "title_tokens", "body_tokens")
    batch = []
    for doc in SearchDocument.objects.only(*fields).order_by("id").iterator(chunk_size=BATCH):
        batch.append(doc)
        if len(batch) >= BATCH:
            _write(SearchDocument, batch, analyze_many)
            batch = []
    _write(SearchDocument, batch, analyze_many)
    # every row was rewritten: compact the full-text index (SQLite: its segments; PostgreSQL:
    # the GIN pending list) and refresh the planner's statistics
    from dure.search.backends import backend

    backend().refresh_statistics()


def _write(model, batch, analyze_many) -> None:
    if not batch:
        return
    tokens = analyze_many([d.title for d in batch] + [d.body for d in batch])
    n = len(batch)
    changed = []
    for i, doc in enumerate(batch):
        title_tokens, body_tokens = " ".join(tokens[i]), " ".join(tokens[n + i])
        if (title_tokens, body_tokens) != (doc.title_tokens, doc.body_tokens):
            doc.title_tokens, doc.body_tokens = title_tokens, body_tokens
            changed.append(doc)
    model.objects.bulk_update(changed, ["title_tokens", "body_tokens"])


class Migration(migrations.Migration):
    dependencies = [("search", "0002_facet_terms")]

    operations = [migrations.RunPython(reanalyse, migrations.RunPython.noop)]
