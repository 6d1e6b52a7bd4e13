"""post / reverse / balances: every error path leaves nothing written."""

from __future__ import annotations

import pytest

from dure.ledger import services
from dure.ledger.models import Account, AccountKind, Entry, Transaction, TransactionStatus
from dure.ledger.services import LedgerError

from .conftest import seoul

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int]:
    return Transaction.objects.count(), Entry.objects.count()


def sale(b, total=11_000, **kw):
    """A buyer pays 11,000 원: 10,000 supply, 1,000 VAT; the supplier is owed 9,000."""
    return services.post(
        lines=[
            (b.clearing, total),
            (b.vat, -1_000),
            (b.revenue, -1_000),
            (b.supplier_payable, -(total - 2_000)),
        ],
        memo="주문 대금",
        reference="order:1",
        **kw,
    )


def test_post_records_a_posted_balanced_transaction(books):
    clearing_before = services.balance(books.clearing)  # the demo data uses it too
    txn = sale(books)
    txn.refresh_from_db()
    assert txn.status == TransactionStatus.POSTED
    assert sorted(txn.entries.values_list("amount", flat=True)) == [-9_000, -1_000, -1_000, 11_000]
    assert services.owed(books.supplier_payable) == 9_000
    assert services.balance(books.clearing) == clearing_before + 11_000
    assert services.trial_balance() == 0


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        (lambda b: [], "empty"),
        (lambda b: [(b.clearing, 100), (b.revenue, -99)], "unbalanced"),
        (lambda b: [(b.clearing, 100)], "unbalanced"),
        (lambda b: [(b.clearing, 100), (b.revenue, -100), (b.vat, 0)], "zero_amount"),
        (lambda b: [(b.clearing, 100.0), (b.revenue, -100.0)], "invalid_amount"),
        (lambda b: [(b.clearing, True), (b.revenue, -1)], "invalid_amount"),
        (lambda b: [(Account(kind="payouts"), 1), (b.revenue, -1)], "invalid_account"),
        (lambda b: [(b.clearing, 2**62), (b.revenue, -(2**62))], "amount_out_of_range"),
    ],
)
def test_bad_lines_are_refused_with_nothing_written(books, lines, code):
    before = counts()
    with pytest.raises(LedgerError) as info:
        services.post(lines=lines(books), memo="잘못된 거래")
    assert info.value.code == code
    assert info.value.messages[0]  # a message for people (Korean source)
    assert counts() == before


def test_blank_memo_and_naive_datetime_are_refused(books):
    import datetime as dt

    lines = [(books.clearing, 100), (books.revenue, -100)]
    before = counts()
    with pytest.raises(LedgerError) as info:
        services.post(lines=lines, memo="  ")
    assert info.value.code == "memo_required"
    with pytest.raises(LedgerError) as info:
        services.post(lines=lines, memo="메모", occurred_at=dt.datetime(2026, 1, 1))  # noqa: DTZ001 - the point
    assert info.value.code == "naive_datetime"
    assert counts() == before


def test_same_idempotency_key_and_lines_return_the_same_transaction(books):
    first = sale(books, idempotency_key="checkout:abc")
    before = counts()
    again = sale(books, idempotency_key="checkout:abc")
    assert again.pk == first.pk
    assert counts() == before
    assert services.owed(books.supplier_payable) == 9_000


def test_same_key_with_different_lines_is_a_conflict_and_writes_nothing(books):
    sale(books, idempotency_key="checkout:abc")
    before = counts()
    with pytest.raises(LedgerError) as info:
        sale(books, total=12_000, idempotency_key="checkout:abc")
    assert info.value.code == "idempotency_conflict"
    assert counts() == before


def test_reverse_mirrors_every_entry_and_links_the_original(books):
    clearing_before = services.balance(books.clearing)
    txn = sale(books)
    rev = services.reverse(txn, memo="주문 취소")
    assert rev.reverses_id == txn.pk
    assert rev.reference == txn.reference
    mirrored = sorted(rev.entries.values_list("account_id", "amount"))
    assert mirrored == sorted((a, -m) for a, m in txn.entries.values_list("account_id", "amount"))
    assert services.owed(books.supplier_payable) == 0
    assert services.balance(books.clearing) == clearing_before
    assert services.trial_balance() == 0


def test_second_reversal_is_refused_with_nothing_written(books):
    txn = sale(books)
    services.reverse(txn, memo="주문 취소")
    before = counts()
    with pytest.raises(LedgerError) as info:
        services.reverse(txn, memo="또 취소")
    assert info.value.code == "already_reversed"
    assert counts() == before


def test_reverse_with_idempotency_key_is_retry_safe(books):
    txn = sale(books)
    rev = services.reverse(txn, memo="주문 취소", idempotency_key="refund:1")
    assert services.reverse(txn, memo="주문 취소", idempotency_key="refund:1").pk == rev.pk
    other = sale(books)
    with pytest.raises(LedgerError) as info:
        services.reverse(other, memo="주문 취소", idempotency_key="refund:1")
    assert info.value.code == "idempotency_conflict"


def test_a_draft_cannot_be_reversed(books):
    draft = Transaction.objects.create(memo="작성 중")
    with pytest.raises(LedgerError) as info:
        services.reverse(draft, memo="취소")
    assert info.value.code == "not_posted"


def test_balance_at_a_date_counts_only_what_occurred_by_then(books):
    sale(books, occurred_at=seoul(2026, 3, 1, 10))
    sale(books, occurred_at=seoul(2026, 3, 5, 10))
    assert services.owed(books.supplier_payable, at=seoul(2026, 2, 28, 23, 59)) == 0
    assert services.owed(books.supplier_payable, at=seoul(2026, 3, 1, 10)) == 9_000  # inclusive
    assert services.owed(books.supplier_payable, at=seoul(2026, 3, 4)) == 9_000
    assert services.owed(books.supplier_payable) == 18_000
    assert services.trial_balance(at=seoul(2026, 3, 2)) == 0


def test_drafts_do_not_count_in_balances(books):
    before = services.balance(books.clearing)
    draft = Transaction.objects.create(memo="작성 중")
    Entry.objects.create(transaction=draft, account=books.clearing, amount=500)
    assert services.balance(books.clearing) == before
    assert services.trial_balance() == 0


def test_party_balances_read_what_is_owed_to_the_party(books):
    sale(books)
    services.post(lines=[(books.revenue, 300), (books.seller_payable, -300)], memo="MC 수수료")
    assert services.party_balances(books.supplier) == {AccountKind.SUPPLIER_PAYABLE: 9_000}
    assert services.party_balances(books.seller) == {AccountKind.SELLER_PAYABLE: 300}
    assert services.party_balances(books.seller, at=seoul(2000, 1, 1)) == {
        AccountKind.SELLER_PAYABLE: 0
    }


def test_accounts_are_created_once_per_kind_and_party(books, make_party):
    again = services.account(AccountKind.SUPPLIER_PAYABLE, books.supplier)
    assert again.pk == books.supplier_payable.pk
    assert again.party_type == "directory.organisation"
    assert services.account(AccountKind.PAYOUTS).pk == books.payouts.pk
    assert books.payouts.party_type == "" and books.payouts.party_id == 0
    other = services.account(AccountKind.SUPPLIER_PAYABLE, make_party())
    assert other.pk != again.pk


@pytest.mark.parametrize(
    ("kind", "party", "code"),
    [
        ("no_such_kind", None, "unknown_kind"),
        (AccountKind.SUPPLIER_PAYABLE, None, "party_required"),
    ],
)
def test_account_refuses_unknown_kinds_and_missing_parties(kind, party, code):
    with pytest.raises(LedgerError) as info:
        services.account(kind, party)
    assert info.value.code == code


def test_account_refuses_an_unsaved_party():
    from dure.directory.models import Organisation

    with pytest.raises(LedgerError) as info:
        services.account(AccountKind.SUPPLIER_PAYABLE, Organisation(name="미저장"))
    assert info.value.code == "party_unsaved"


def test_platform_account_unique_constraint_holds_in_the_database(books):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind=AccountKind.PAYOUTS)
