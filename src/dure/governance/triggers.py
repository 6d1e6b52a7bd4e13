"""Database triggers that keep an assembly's record as it was closed, whatever code writes to
the tables (the services and ``AgendaItem.save`` already refuse; these hold for a shell, a raw
query or a bug too). Created by the migration ``0002_delegates_and_founding_records``.

``governance_agendaitem``
  * a closed item never changes (a re-vote is a new item).
``governance_tally``
  * no tally is entered for a closed item, and a closed item's counts never change (the user
    who entered them may still be erased: ``entered_by`` is not guarded).
``governance_ballot`` and ``governance_ballotreceipt``
  * a ballot (and its receipt) is never changed, and none is cast on a closed item.

Only INSERT and UPDATE are guarded: ``flush`` (tests, ``dure flush``) empties the tables with
DELETE/TRUNCATE, and PROTECT foreign keys already keep a recorded item's ballots from being
deleted through the ORM. Every message starts with ``governance:``.
"""

from __future__ import annotations

TABLES = (
    "governance_agendaitem",
    "governance_tally",
    "governance_ballot",
    "governance_ballotreceipt",
)

# Every column of governance_agendaitem (a closed row must not differ in any of them).
ITEM_COLUMNS = (
    "id",
    "assembly_id",
    '"order"',
    "title",
    "description",
    "matter",
    "resolution",
    "is_report",
    "secret_ballot",
    "recording_mode",
    "remote_voting",
    "revote_of_id",
    "status",
    "present",
    "yes",
    "no",
    "abstain",
    "required_present",
    "required_yes",
    "passed",
    "explanation",
    "closed_at",
)
TALLY_COLUMNS = ("id", "item_id", "yes", "no", "abstain", "entered_at")


def _changed(columns: tuple[str, ...], op: str) -> str:
    return " OR ".join(f"NEW.{c} {op} OLD.{c}" for c in columns)


def _item_closed(ref: str) -> str:
    # ref is NEW or OLD: constants, no input
    return f"(SELECT status FROM governance_agendaitem WHERE id = {ref}.item_id) = 'closed'"  # noqa: S608


_SQLITE = {
    "governance_item_closed_no_update": f"""CREATE TRIGGER IF NOT EXISTS
    governance_item_closed_no_update BEFORE UPDATE ON governance_agendaitem
    WHEN OLD.status = 'closed' AND ({_changed(ITEM_COLUMNS, "IS NOT")})
    BEGIN SELECT RAISE(ABORT, 'governance: a closed agenda item is immutable'); END""",
    "governance_tally_closed_no_insert": f"""CREATE TRIGGER IF NOT EXISTS
    governance_tally_closed_no_insert BEFORE INSERT ON governance_tally
    WHEN {_item_closed("NEW")}
    BEGIN SELECT RAISE(ABORT, 'governance: the tally of a closed item is immutable'); END""",
    "governance_tally_closed_no_update": f"""CREATE TRIGGER IF NOT EXISTS
    governance_tally_closed_no_update BEFORE UPDATE ON governance_tally
    WHEN ({_item_closed("OLD")} OR {_item_closed("NEW")})
      AND ({_changed(TALLY_COLUMNS, "IS NOT")})
    BEGIN SELECT RAISE(ABORT, 'governance: the tally of a closed item is immutable'); END""",
}
for _table in ("governance_ballot", "governance_ballotreceipt"):
    _SQLITE[f"{_table}_closed_no_insert"] = f"""CREATE TRIGGER IF NOT EXISTS
    {_table}_closed_no_insert BEFORE INSERT ON {_table} WHEN {_item_closed("NEW")}
    BEGIN SELECT RAISE(ABORT, 'governance: no ballot on a closed item'); END"""
    _SQLITE[f"{_table}_no_update"] = f"""CREATE TRIGGER IF NOT EXISTS
    {_table}_no_update BEFORE UPDATE ON {_table}
    BEGIN SELECT RAISE(ABORT, 'governance: a ballot is never changed'); END"""

_POSTGRES_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION governance_item_guard() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'closed' AND NEW IS DISTINCT FROM OLD THEN
            RAISE EXCEPTION 'governance: a closed agenda item is immutable';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION governance_tally_guard() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF {_item_closed("NEW")} THEN
                RAISE EXCEPTION 'governance: the tally of a closed item is immutable';
            END IF;
        ELSIF ({_item_closed("OLD")} OR {_item_closed("NEW")})
              AND ({_changed(TALLY_COLUMNS, "IS DISTINCT FROM")}) THEN
            RAISE EXCEPTION 'governance: the tally of a closed item is immutable';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION governance_ballot_guard() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION 'governance: a ballot is never changed';
        END IF;
        IF {_item_closed("NEW")} THEN
            RAISE EXCEPTION 'governance: no ballot on a closed item';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql""",
]
_POSTGRES_TRIGGERS = {
    "governance_item_closed_no_update": (
        "governance_agendaitem",
        "BEFORE UPDATE ON governance_agendaitem FOR EACH ROW "
        "EXECUTE FUNCTION governance_item_guard()",
    ),
    "governance_tally_guard": (
        "governance_tally",
        "BEFORE INSERT OR UPDATE ON governance_tally FOR EACH ROW "
        "EXECUTE FUNCTION governance_tally_guard()",
    ),
    "governance_ballot_guard": (
        "governance_ballot",
        "BEFORE INSERT OR UPDATE ON governance_ballot FOR EACH ROW "
        "EXECUTE FUNCTION governance_ballot_guard()",
    ),
    "governance_ballotreceipt_guard": (
        "governance_ballotreceipt",
        "BEFORE INSERT OR UPDATE ON governance_ballotreceipt FOR EACH ROW "
        "EXECUTE FUNCTION governance_ballot_guard()",
    ),
}


def create_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return list(_SQLITE.values())
    if vendor == "postgresql":
        out = list(_POSTGRES_FUNCTIONS)
        for name, (table, body) in _POSTGRES_TRIGGERS.items():
            out += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"CREATE TRIGGER {name} {body}"]
        return out
    return []


def drop_statements(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE]
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
        "DROP FUNCTION IF EXISTS governance_item_guard()",
        "DROP FUNCTION IF EXISTS governance_tally_guard()",
        "DROP FUNCTION IF EXISTS governance_ballot_guard()",
    ]
