"""The database itself keeps the ledger balanced and posted transactions immutable: raw SQL
that bypasses the services is refused (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from dure.ledger import services, triggers
from dure.ledger.models import Entry, Transaction

pytestmark = pytest.mark.django_db


def sql(statement: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def refused(statement: str, params=(), match="ledger:") -> None:
    with pytest.raises(DatabaseError, match=match):
        sql(statement, params)


@pytest.fixture
def posted(books):
    return services.post(
        lines=[(books.clearing, 1_000), (books.supplier_payable, -1_000)], memo="대금"
    )


def test_entries_of_a_posted_transaction_cannot_be_changed(books, posted):
    entry = posted.entries.order_by("pk").first()
    refused("UPDATE ledger_entry SET amount = amount + 1 WHERE id = %s", [entry.pk])
    refused("UPDATE ledger_entry SET account_id = %s WHERE id = %s", [books.revenue.pk, entry.pk])
    refused("DELETE FROM ledger_entry WHERE transaction_id = %s", [posted.pk])
    refused(
        "INSERT INTO ledger_entry (transaction_id, account_id, amount) VALUES (%s, %s, %s)",
        [posted.pk, books.revenue.pk, 5],
    )
    assert sorted(posted.entries.values_list("amount", flat=True)) == [-1_000, 1_000]


def test_an_entry_cannot_be_moved_into_a_posted_transaction(books, posted):
    draft = Transaction.objects.create(memo="작성 중")
    loose = Entry.objects.create(transaction=draft, account=books.revenue, amount=7)
    refused("UPDATE ledger_entry SET transaction_id = %s WHERE id = %s", [posted.pk, loose.pk])
    assert services.trial_balance() == 0


def test_a_posted_transaction_cannot_be_updated_unposted_or_deleted(posted):
    refused("UPDATE ledger_transaction SET memo = 'changed' WHERE id = %s", [posted.pk])
    refused("UPDATE ledger_transaction SET status = 'draft' WHERE id = %s", [posted.pk])
    refused("UPDATE ledger_transaction SET occurred_at = occurred_at WHERE id = %s", [posted.pk])
    refused("DELETE FROM ledger_transaction WHERE id = %s", [posted.pk])
    with pytest.raises(DatabaseError, match="ledger:"), transaction.atomic():
        Transaction.objects.filter(pk=posted.pk).delete()  # the ORM cascades: refused too
    posted.refresh_from_db()
    assert posted.memo == "대금" and posted.entries.count() == 2


def test_an_unbalanced_draft_cannot_be_posted(books):
    draft = Transaction.objects.create(memo="작성 중")
    Entry.objects.create(transaction=draft, account=books.clearing, amount=1_000)
    Entry.objects.create(transaction=draft, account=books.supplier_payable, amount=-999)
    refused("UPDATE ledger_transaction SET status = 'posted' WHERE id = %s", [draft.pk])
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_transaction_with_fewer_than_two_entries_cannot_be_posted(books):
    empty = Transaction.objects.create(memo="빈 거래")
    refused("UPDATE ledger_transaction SET status = 'posted' WHERE id = %s", [empty.pk])


def test_a_balanced_draft_can_be_posted_by_sql(books):
    draft = Transaction.objects.create(memo="작성 중")
    Entry.objects.create(transaction=draft, account=books.clearing, amount=1_000)
    Entry.objects.create(transaction=draft, account=books.supplier_payable, amount=-1_000)
    sql("UPDATE ledger_transaction SET status = 'posted' WHERE id = %s", [draft.pk])
    draft.refresh_from_db()
    assert draft.status == "posted"


def test_a_transaction_cannot_be_inserted_already_posted():
    refused(
        "INSERT INTO ledger_transaction (memo, reference, occurred_at, created_at, status) "
        "VALUES ('x', '', %s, %s, 'posted')",
        ["2026-01-01 00:00:00+00:00", "2026-01-01 00:00:00+00:00"],
    )


def test_drafts_stay_editable_and_deletable(books):
    draft = Transaction.objects.create(memo="작성 중")
    entry = Entry.objects.create(transaction=draft, account=books.clearing, amount=5)
    sql("UPDATE ledger_entry SET amount = 6 WHERE id = %s", [entry.pk])
    sql("UPDATE ledger_transaction SET memo = '고침' WHERE id = %s", [draft.pk])
    draft.delete()
    assert not Transaction.objects.filter(pk=draft.pk).exists()


def test_zero_amount_is_refused_by_a_check_constraint(books):
    from django.db import IntegrityError

    draft = Transaction.objects.create(memo="작성 중")
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.create(transaction=draft, account=books.clearing, amount=0)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_truncate(posted):
    sql("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks: the TRUNCATE reaches the trigger
    refused("TRUNCATE ledger_entry")
    refused("TRUNCATE ledger_transaction CASCADE")


def installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}


def test_every_trigger_is_installed_by_the_migration():
    assert set(triggers.TRIGGER_NAMES[connection.vendor]) <= installed_triggers()


@pytest.mark.django_db(transaction=True)
def test_flush_lifts_the_triggers_to_empty_the_ledger_and_restores_them(make_party):
    from dure.ledger.models import AccountKind

    clearing = services.account(AccountKind.PAYMENT_CLEARING)
    payable = services.account(AccountKind.SUPPLIER_PAYABLE, make_party())
    posted = services.post(lines=[(clearing, 10), (payable, -10)], memo="대금")

    call_command("flush", interactive=False, verbosity=0)

    assert not Transaction.objects.exists() and not Entry.objects.exists()
    assert set(triggers.TRIGGER_NAMES[connection.vendor]) <= installed_triggers()
    clearing = services.account(AccountKind.PAYMENT_CLEARING)
    payable = services.account(AccountKind.SUPPLIER_PAYABLE, make_party())
    posted = services.post(lines=[(clearing, 10), (payable, -10)], memo="대금")
    refused("DELETE FROM ledger_transaction WHERE id = %s", [posted.pk])


def test_backup_restore_puts_missing_ledger_triggers_back():
    from dure.core.append_only import all_create_statements
    from dure.core.backup import _ensure_append_only_triggers

    for statement in triggers.drop_statements(connection.vendor):
        sql(statement)
    assert not set(triggers.TRIGGER_NAMES[connection.vendor]) & installed_triggers()
    _ensure_append_only_triggers(connection)
    assert set(triggers.TRIGGER_NAMES[connection.vendor]) <= installed_triggers()
    # A database from before the ledger's migration has no ledger tables: nothing to create.
    older = all_create_statements(connection.vendor, ["core_auditevent", "core_personaldataaccess"])
    assert not [s for s in older if "ledger_" in s]
