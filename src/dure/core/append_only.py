"""SQL for the database triggers that keep the audit logs append-only.

The migration ``0002_append_only_triggers`` holds its own frozen copy; this module serves the
``flush`` command, which must lift the triggers while it empties every table (tests and
``dure flush``) and put them back afterwards.
"""

from __future__ import annotations

TABLES = ("core_auditevent", "core_personaldataaccess")


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
