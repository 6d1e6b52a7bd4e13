"""Balanced, immutable-once-posted ledger, enforced by the database (see dure.ledger.triggers)."""

from django.db import migrations

from dure.ledger import triggers


def forward(apps, schema_editor):
    for sql in triggers.create_statements(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)  # PL/pgSQL uses % in RAISE formats


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in triggers.drop_statements(vendor) + triggers.drop_function_statements(vendor):
        schema_editor.execute(sql, params=None)  # PL/pgSQL uses % in RAISE formats


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
