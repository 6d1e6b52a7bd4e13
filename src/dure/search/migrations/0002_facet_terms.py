from django.db import migrations, models

from dure.search.models import facet_terms


def fill_facet_terms(apps, schema_editor):
    """The existing documents' filters as facet terms (in batches: an index may hold
    hundreds of thousands)."""
    SearchDocument = apps.get_model("search", "SearchDocument")
    batch = []
    for doc in SearchDocument.objects.only("id", "filters").iterator(chunk_size=2000):
        doc.facet_terms = facet_terms(doc.filters or {})
        batch.append(doc)
        if len(batch) >= 2000:
            SearchDocument.objects.bulk_update(batch, ["facet_terms"])
            batch = []
    SearchDocument.objects.bulk_update(batch, ["facet_terms"])


# Adding a NOT NULL column makes Django rebuild the table on SQLite, and the rebuild drops the
# triggers that keep the full-text index in step (0001): they are created again.
SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS search_fts_ai",
    "DROP TRIGGER IF EXISTS search_fts_ad",
    "DROP TRIGGER IF EXISTS search_fts_au",
    """CREATE TRIGGER search_fts_ai AFTER INSERT ON search_searchdocument BEGIN
        INSERT INTO search_fts(rowid, title_tokens, body_tokens)
        VALUES (new.id, new.title_tokens, new.body_tokens);
    END""",
    """CREATE TRIGGER search_fts_ad AFTER DELETE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, title_tokens, body_tokens)
        VALUES ('delete', old.id, old.title_tokens, old.body_tokens);
    END""",
    """CREATE TRIGGER search_fts_au AFTER UPDATE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, title_tokens, body_tokens)
        VALUES ('delete', old.id, old.title_tokens, old.body_tokens);
        INSERT INTO search_fts(rowid, title_tokens, body_tokens)
        VALUES (new.id, new.title_tokens, new.body_tokens);
    END""",
]


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql)


def drop_filters_index(apps, schema_editor):
    # filters are matched on facet_terms now: the GIN index of the JSON went unused
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_document_filters")


def create_filters_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS search_document_filters "
            "ON search_searchdocument USING GIN (filters)"
        )


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        # (backwards: removing the column rebuilds the table again)
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_triggers),
        migrations.AddField(
            model_name="searchdocument",
            name="facet_terms",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(restore_sqlite_triggers, migrations.RunPython.noop),
        migrations.RunPython(fill_facet_terms, migrations.RunPython.noop),
        migrations.RunPython(drop_filters_index, create_filters_index),
    ]
