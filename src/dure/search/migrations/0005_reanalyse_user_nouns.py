"""Analyse the stored documents again: technical nouns Kiwi read as pieces (제습 → 저 + 의 +
습, 결로 → 결 + 로) are now registered as nouns (``dure.search.analysis.USER_NOUNS_FILE``),
and queries must be analysed the way the index was. The same re-analysis as 0003."""

from importlib import import_module

from django.db import migrations

reanalyse = import_module("dure.search.migrations.0003_reanalyse").reanalyse


class Migration(migrations.Migration):
    dependencies = [("search", "0004_reanalyse_bare_nouns")]

    operations = [migrations.RunPython(reanalyse, migrations.RunPython.noop)]
