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


def postgres_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Ranking reads each matched row's tsvector (and a filter its facet_terms): keep
        # them in the row and move the texts (title, body and their tokens, the JSON) out
        # to TOAST, so that a row is a few hundred bytes instead of ~3 KB and a ranked
        # match costs one short read. (Rows written from now on; `dure reindex`
        # rewrites the existing ones.)
        schema_editor.execute(
            "ALTER TABLE search_searchdocument SET (toast_tuple_target = 512), "
            "ALTER COLUMN tsv SET STORAGE MAIN, "
            "ALTER COLUMN facet_terms SET STORAGE MAIN"
        )
        # filters are matched on facet_terms now: the GIN index of the JSON went unused
        schema_editor.execute("DROP INDEX IF EXISTS search_document_filters")
        # documents whose whole title is the query (ranked first; see PostgresBackend.top)
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS search_document_title_tokens "
            "ON search_searchdocument USING HASH (title_tokens)"
        )


def postgres_indexes_backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE search_searchdocument RESET (toast_tuple_target), "
            "ALTER COLUMN tsv SET STORAGE EXTENDED, "
            "ALTER COLUMN facet_terms SET STORAGE EXTENDED"
        )
        schema_editor.execute("DROP INDEX IF EXISTS search_document_title_tokens")
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
        migrations.RunPython(postgres_indexes, postgres_indexes_backwards),
    ]
