"""No two active bookings (requested or approved) of the same equipment may overlap — enforced by
the database itself, whatever writes the rows.

PostgreSQL: an exclusion constraint over (equipment, [starts_at, ends_at)). The equipment id is
compared as a one-point ``int8range`` so that the built-in GiST range operator class does the
whole job (no ``btree_gist`` extension, which needs a superuser to install).

SQLite: BEFORE INSERT / BEFORE UPDATE triggers that abort when an overlapping active booking of
the same equipment exists. SQLite runs one writer at a time (``transaction_mode=IMMEDIATE``),
so the check and the write cannot interleave with another writer's. Datetimes are stored as
UTC ISO text, which compares in time order.

Half-open intervals: a booking ending at 12:00 and one starting at 12:00 do not overlap.
"""

from django.db import migrations

ACTIVE = "('requested', 'approved')"

POSTGRES_FORWARD = [
    f"""ALTER TABLE techbank_equipmentbooking ADD CONSTRAINT booking_no_overlap
        EXCLUDE USING gist (
            int8range(equipment_id, equipment_id, '[]') WITH &&,
            tstzrange(starts_at, ends_at, '[)') WITH &&
        ) WHERE (status IN {ACTIVE})""",
]
POSTGRES_BACKWARD = [
    "ALTER TABLE techbank_equipmentbooking DROP CONSTRAINT IF EXISTS booking_no_overlap",
]

_SQLITE_CHECK = f"""
    WHEN new.status IN {ACTIVE} AND EXISTS (
        SELECT 1 FROM techbank_equipmentbooking b
        WHERE b.equipment_id = new.equipment_id
          AND b.id IS NOT new.id
          AND b.status IN {ACTIVE}
          AND b.starts_at < new.ends_at
          AND new.starts_at < b.ends_at
    )
    BEGIN
        SELECT RAISE(ABORT, 'booking_no_overlap: the equipment is already booked for this time');
    END"""

SQLITE_FORWARD = [
    f"CREATE TRIGGER booking_no_overlap_insert BEFORE INSERT ON techbank_equipmentbooking "
    f"{_SQLITE_CHECK}",
    f"CREATE TRIGGER booking_no_overlap_update BEFORE UPDATE ON techbank_equipmentbooking "
    f"{_SQLITE_CHECK}",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS booking_no_overlap_update",
    "DROP TRIGGER IF EXISTS booking_no_overlap_insert",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("techbank", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
