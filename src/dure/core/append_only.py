"""SQL for the database triggers that keep the audit logs append-only.

The migration ``0002_append_only_triggers`` holds its own frozen copy; this module serves the
``flush`` command, which must lift the triggers while it empties every table (tests and
``dure flush``) and put them back afterwards.

``flush`` and backup restore use ``all_create_statements``/``all_drop_statements``, which add
other apps' trigger sets (``TRIGGER_MODULES``: modules with ``TABLES``,
``create_statements(vendor)`` and ``drop_statements(vendor)``), e.g. the ledger's
balanced/immutable triggers. Given ``tables`` (the names that exist), a set whose tables are not
all there is skipped — a backup from before that app's migration restores cleanly.
``create_statements``/``drop_statements`` stay about the audit tables alone (pseudonymisation
lifts just those for a moment).
"""

from __future__ import annotations

from collections.abc import Collection
from importlib import import_module

TABLES = ("core_auditevent", "core_personaldataaccess")
TRIGGER_MODULES = ("dure.ledger.triggers",)


def _other_sets(tables: Collection[str] | None) -> list:
    modules = [import_module(name) for name in TRIGGER_MODULES]
    return [m for m in modules if tables is None or set(m.TABLES) <= set(tables)]


def create_statements(vendor: str) -> list[str]:
    out: list[str] = []
    for table in TABLES:
        if vendor == "sqlite":
            out += [
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END",
            ]
        elif vendor == "postgresql":
            out += [
                f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
                f"BEGIN RAISE EXCEPTION '{table} is append-only'; END $$ LANGUAGE plpgsql",
                f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
            ]
    return out


def drop_statements(vendor: str) -> list[str]:
    out: list[str] = []
    for table in TABLES:
        if vendor == "sqlite":
            out += [
                f"DROP TRIGGER IF EXISTS {table}_no_update",
                f"DROP TRIGGER IF EXISTS {table}_no_delete",
            ]
        elif vendor == "postgresql":
            out.append(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
    return out


def all_create_statements(vendor: str, tables: Collection[str] | None = None) -> list[str]:
    out = create_statements(vendor)
    for module in _other_sets(tables):
        out += module.create_statements(vendor)
    return out


def all_drop_statements(vendor: str, tables: Collection[str] | None = None) -> list[str]:
    out = drop_statements(vendor)
    for module in _other_sets(tables):
        out += module.drop_statements(vendor)
    return out
