"""Database triggers that make the ledger's invariants hold whatever code writes to it.

Shared by the migration ``0002_ledger_triggers`` and by ``dure.core.append_only`` (which the
``flush`` command and backup restore use to lift and restore every trigger set).

``ledger_transaction``
  * INSERT only as ``draft``;
  * ``draft → posted`` only when the transaction has at least two entries summing to 0;
  * a posted transaction can be neither updated nor deleted.
``ledger_entry``
  * no INSERT, UPDATE or DELETE of an entry whose transaction is posted (nor moving an entry
    into a posted transaction).
PostgreSQL only: TRUNCATE of either table is refused (a statement-level trigger: row
triggers do not fire on TRUNCATE, which is what PostgreSQL's ``flush`` uses). The entry
triggers lock the parent transaction row ``FOR SHARE`` so that an entry cannot slip into a
transaction that a concurrent session is posting (the foreign key's ``KEY SHARE`` lock does not
conflict with the status update).

Every error message starts with ``ledger:`` so callers and tests can recognise it.
"""

from __future__ import annotations

TABLES = ("ledger_transaction", "ledger_entry")

_SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS ledger_transaction_insert_draft
    BEFORE INSERT ON ledger_transaction WHEN NEW.status <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'ledger: a transaction is inserted as draft'); END""",
    """CREATE TRIGGER IF NOT EXISTS ledger_transaction_posted_no_update
    BEFORE UPDATE ON ledger_transaction WHEN OLD.status = 'posted'
    BEGIN SELECT RAISE(ABORT, 'ledger: a posted transaction is immutable'); END""",
    """CREATE TRIGGER IF NOT EXISTS ledger_transaction_post_balanced
    BEFORE UPDATE ON ledger_transaction
    WHEN OLD.status = 'draft' AND NEW.status <> 'draft'
    BEGIN
        SELECT RAISE(ABORT, 'ledger: a transaction keeps its id') WHERE NEW.id <> OLD.id;
        SELECT RAISE(ABORT, 'ledger: unbalanced transaction cannot be posted')
        WHERE (SELECT COUNT(*) FROM ledger_entry WHERE transaction_id = OLD.id) < 2
           OR (SELECT COALESCE(SUM(amount), 0) FROM ledger_entry
               WHERE transaction_id = OLD.id) <> 0;
    END""",
    """CREATE TRIGGER IF NOT EXISTS ledger_transaction_posted_no_delete
    BEFORE DELETE ON ledger_transaction WHEN OLD.status = 'posted'
    BEGIN SELECT RAISE(ABORT, 'ledger: a posted transaction cannot be deleted'); END""",
    """CREATE TRIGGER IF NOT EXISTS ledger_entry_posted_no_insert
    BEFORE INSERT ON ledger_entry
    WHEN (SELECT status FROM ledger_transaction WHERE id = NEW.transaction_id) = 'posted'
    BEGIN SELECT RAISE(ABORT, 'ledger: entries of a posted transaction are immutable'); END""",
    """CREATE TRIGGER IF NOT EXISTS ledger_entry_posted_no_update
    BEFORE UPDATE ON ledger_entry
    WHEN (SELECT status FROM ledger_transaction WHERE id = OLD.transaction_id) = 'posted'
      OR (SELECT status FROM ledger_transaction WHERE id = NEW.transaction_id) = 'posted'
    BEGIN SELECT RAISE(ABORT, 'ledger: entries of a posted transaction are immutable'); END""",
    """CREATE TRIGGER IF NOT EXISTS ledger_entry_posted_no_delete
    BEFORE DELETE ON ledger_entry
    WHEN (SELECT status FROM ledger_transaction WHERE id = OLD.transaction_id) = 'posted'
    BEGIN SELECT RAISE(ABORT, 'ledger: entries of a posted transaction are immutable'); END""",
]
_SQLITE_NAMES = [
    "ledger_transaction_insert_draft",
    "ledger_transaction_posted_no_update",
    "ledger_transaction_post_balanced",
    "ledger_transaction_posted_no_delete",
    "ledger_entry_posted_no_insert",
    "ledger_entry_posted_no_update",
    "ledger_entry_posted_no_delete",
]

_POSTGRES_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION ledger_transaction_guard() RETURNS trigger AS $$
    DECLARE
        total numeric;
        n integer;
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.status <> 'draft' THEN
                RAISE EXCEPTION 'ledger: a transaction is inserted as draft';
            END IF;
            RETURN NEW;
        END IF;
        IF OLD.status = 'posted' THEN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'ledger: a posted transaction cannot be deleted (id %)', OLD.id;
            END IF;
            RAISE EXCEPTION 'ledger: a posted transaction is immutable (id %)', OLD.id;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF NEW.id <> OLD.id THEN
            RAISE EXCEPTION 'ledger: a transaction keeps its id';
        END IF;
        IF NEW.status <> 'draft' THEN
            SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO total, n
              FROM ledger_entry WHERE transaction_id = OLD.id;
            IF n < 2 OR total <> 0 THEN
                RAISE EXCEPTION
                    'ledger: unbalanced transaction cannot be posted (id %, sum %, % entries)',
                    OLD.id, total, n;
            END IF;
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION ledger_entry_guard() RETURNS trigger AS $$
    DECLARE
        st varchar;
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            SELECT status INTO st FROM ledger_transaction WHERE id = OLD.transaction_id FOR SHARE;
            IF st = 'posted' THEN
                RAISE EXCEPTION 'ledger: entries of a posted transaction are immutable';
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            SELECT status INTO st FROM ledger_transaction WHERE id = NEW.transaction_id FOR SHARE;
            IF st = 'posted' THEN
                RAISE EXCEPTION 'ledger: entries of a posted transaction are immutable';
            END IF;
            RETURN NEW;
        END IF;
        RETURN OLD;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION ledger_no_truncate() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'ledger: % cannot be truncated', TG_TABLE_NAME;
    END $$ LANGUAGE plpgsql""",
]
_POSTGRES_TRIGGERS = {
    "ledger_transaction_guard": (
        "ledger_transaction",
        "BEFORE INSERT OR UPDATE OR DELETE ON ledger_transaction FOR EACH ROW "
        "EXECUTE FUNCTION ledger_transaction_guard()",
    ),
    "ledger_entry_guard": (
        "ledger_entry",
        "BEFORE INSERT OR UPDATE OR DELETE ON ledger_entry FOR EACH ROW "
        "EXECUTE FUNCTION ledger_entry_guard()",
    ),
    "ledger_transaction_no_truncate": (
        "ledger_transaction",
        "BEFORE TRUNCATE ON ledger_transaction FOR EACH STATEMENT "
        "EXECUTE FUNCTION ledger_no_truncate()",
    ),
    "ledger_entry_no_truncate": (
        "ledger_entry",
        "BEFORE TRUNCATE ON ledger_entry FOR EACH STATEMENT EXECUTE FUNCTION ledger_no_truncate()",
    ),
}
TRIGGER_NAMES = {"sqlite": _SQLITE_NAMES, "postgresql": list(_POSTGRES_TRIGGERS)}


def create_statements(vendor: str) -> list[str]:
    """Idempotent: safe to run when the triggers already exist."""
    if vendor == "sqlite":
        return list(_SQLITE)
    if vendor == "postgresql":
        out = list(_POSTGRES_FUNCTIONS)
        for name, (table, body) in _POSTGRES_TRIGGERS.items():
            out += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"CREATE TRIGGER {name} {body}"]
        return out
    return []


def drop_statements(vendor: str) -> list[str]:
    """Lift the triggers (the functions stay, for ``create_statements`` to reuse)."""
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE_NAMES]
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {name} ON {table}"
            for name, (table, _body) in _POSTGRES_TRIGGERS.items()
        ]
    return []


def drop_function_statements(vendor: str) -> list[str]:
    if vendor != "postgresql":
        return []
    return [
        "DROP FUNCTION IF EXISTS ledger_transaction_guard()",
        "DROP FUNCTION IF EXISTS ledger_entry_guard()",
        "DROP FUNCTION IF EXISTS ledger_no_truncate()",
    ]
