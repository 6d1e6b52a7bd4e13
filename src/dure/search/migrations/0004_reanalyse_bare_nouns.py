"""Analyse the stored documents again: a bare noun that Kiwi, reading the word alone, took
for something else (오일 → 오 + 일, 회로 → 회 + 로) is now indexed as the noun too (see
``dure.search.analysis._bare_nouns``), and queries must be analysed the way the index was.
The same re-analysis as 0003 (only changed rows written, the index compacted afterwards)."""

from importlib import import_module

from django.db import migrations

reanalyse = import_module("dure.search.migrations.0003_reanalyse").reanalyse


class Migration(migrations.Migration):
    dependencies = [("search", "0003_reanalyse")]

    operations = [migrations.RunPython(reanalyse, migrations.RunPython.noop)]
