"""Django's ``flush``, made aware of the append-only triggers on the audit tables (and the
ledger's triggers, see ``dure.core.append_only.TRIGGER_MODULES``).

Emptying the whole database is an explicit, privileged act (tests do it between transactional
tests): the triggers are lifted for it and restored in the same transaction where the database
allows (PostgreSQL, SQLite).
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections, transaction

from dure.core.append_only import all_create_statements, all_drop_statements


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        vendor = connection.vendor
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                tables = connection.introspection.table_names(cursor)
                for sql in all_drop_statements(vendor, tables):
                    cursor.execute(sql)
            try:
                super().handle(**options)
            finally:
                with connection.cursor() as cursor:
                    for sql in all_create_statements(vendor, tables):
                        cursor.execute(sql)
