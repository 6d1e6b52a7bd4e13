"""Settlement batches: minimum payout, carry-over, netting a refund after payout, idempotent
reruns and payments, and never paying the same money twice."""

from __future__ import annotations

import datetime as dt

import pytest

from dure.ledger import services
from dure.ledger.models import AccountKind, Entry, Payout, SettlementBatch, Transaction
from dure.ledger.services import LedgerError

from .conftest import seoul

pytestmark = pytest.mark.django_db

MARCH_1H = {"period_start": dt.date(2026, 3, 1), "period_end": dt.date(2026, 3, 15)}
MARCH_2H = {"period_start": dt.date(2026, 3, 16), "period_end": dt.date(2026, 3, 31)}


def earn(b, payable, amount, when, memo="주문 대금"):
    return services.post(
        lines=[(b.clearing, amount), (payable, -amount)], memo=memo, occurred_at=when
    )


def payouts_of(batch):
    return {p.account_id: p.amount for p in batch.payouts.all()}


def test_pays_what_is_owed_at_the_cutoff_and_zeroes_the_payable(books):
    earn(books, books.supplier_payable, 50_000, seoul(2026, 3, 2, 9))
    earn(books, books.supplier_payable, 20_000, seoul(2026, 3, 15, 23, 59))  # in the period
    earn(books, books.supplier_payable, 7_000, seoul(2026, 3, 16, 0, 0))  # next period

    batch = services.run_settlement(**MARCH_1H, idempotency_key="s-1")

    assert batch.cutoff == services.end_of_day(dt.date(2026, 3, 15))
    assert payouts_of(batch)[books.supplier_payable.pk] == 70_000
    payout = batch.payouts.get(account=books.supplier_payable)
    assert payout.status == "scheduled"
    lines = sorted(payout.transaction.entries.values_list("account_id", "amount"))
    assert lines == sorted([(books.supplier_payable.pk, 70_000), (books.payouts.pk, -70_000)])
    assert services.owed(books.supplier_payable, at=batch.cutoff) == 0
    assert services.owed(books.supplier_payable) == 7_000
    assert services.trial_balance() == 0
    assert batch.payout_count == len(payouts_of(batch))
    assert batch.total_amount == sum(payouts_of(batch).values())


def test_below_minimum_carries_over_to_the_next_batch(books):
    earn(books, books.seller_payable, 6_000, seoul(2026, 3, 3))
    first = services.run_settlement(**MARCH_1H, idempotency_key="s-1")
    assert books.seller_payable.pk not in payouts_of(first)

    earn(books, books.seller_payable, 5_000, seoul(2026, 3, 20))
    second = services.run_settlement(**MARCH_2H, idempotency_key="s-2")
    assert payouts_of(second)[books.seller_payable.pk] == 11_000
    assert services.owed(books.seller_payable) == 0


def test_refund_after_payout_is_netted_in_the_next_batch(books):
    sale = earn(books, books.supplier_payable, 30_000, seoul(2026, 3, 5))
    first = services.run_settlement(**MARCH_1H, idempotency_key="s-1")
    assert payouts_of(first)[books.supplier_payable.pk] == 30_000

    # The buyer is refunded after the supplier was paid: the payable goes into debit …
    services.reverse(sale, memo="환불", occurred_at=seoul(2026, 3, 17))
    assert services.owed(books.supplier_payable) == -30_000
    second = services.run_settlement(**MARCH_2H, idempotency_key="s-2")
    assert books.supplier_payable.pk not in payouts_of(second)  # … and nothing is paid …

    # … until new sales cover it: only the difference is paid.
    earn(books, books.supplier_payable, 45_000, seoul(2026, 4, 2))
    third = services.run_settlement(
        period_start=dt.date(2026, 4, 1),
        period_end=dt.date(2026, 4, 15),
        idempotency_key="s-3",
    )
    assert payouts_of(third)[books.supplier_payable.pk] == 15_000
    assert services.owed(books.supplier_payable) == 0


def test_rerun_with_the_same_key_returns_the_batch_and_writes_nothing(books):
    earn(books, books.supplier_payable, 50_000, seoul(2026, 3, 2))
    batch = services.run_settlement(**MARCH_1H, idempotency_key="s-1")
    before = (Transaction.objects.count(), Entry.objects.count(), Payout.objects.count())
    again = services.run_settlement(**MARCH_1H, idempotency_key="s-1")
    assert again.pk == batch.pk
    assert (Transaction.objects.count(), Entry.objects.count(), Payout.objects.count()) == before


def test_same_key_with_other_parameters_is_a_conflict(books):
    services.run_settlement(**MARCH_1H, idempotency_key="s-1")
    with pytest.raises(LedgerError) as info:
        services.run_settlement(**MARCH_1H, minimum_payout=1, idempotency_key="s-1")
    assert info.value.code == "idempotency_conflict"


def test_a_second_batch_for_the_same_period_does_not_pay_again(books):
    earn(books, books.supplier_payable, 50_000, seoul(2026, 3, 2))
    services.run_settlement(**MARCH_1H, idempotency_key="s-1")
    again = services.run_settlement(**MARCH_1H, idempotency_key="s-1-bis")
    assert books.supplier_payable.pk not in payouts_of(again)
    paid = Payout.objects.filter(account=books.supplier_payable)
    assert sum(p.amount for p in paid) == 50_000


def test_settling_an_earlier_period_late_pays_nothing_twice(books):
    earn(books, books.supplier_payable, 50_000, seoul(2026, 3, 2))
    earn(books, books.supplier_payable, 8_000, seoul(2026, 3, 20))
    later = services.run_settlement(**MARCH_2H, minimum_payout=1, idempotency_key="s-2")
    assert payouts_of(later)[books.supplier_payable.pk] == 58_000

    earlier = services.run_settlement(**MARCH_1H, minimum_payout=1, idempotency_key="s-1")
    assert books.supplier_payable.pk not in payouts_of(earlier)
    assert sum(p.amount for p in Payout.objects.filter(account=books.supplier_payable)) == 58_000
    assert services.owed(books.supplier_payable) == 0


def test_a_refund_after_the_cutoff_waits_for_its_own_period(books):
    sale = earn(books, books.supplier_payable, 50_000, seoul(2026, 3, 2))
    services.reverse(sale, memo="환불", occurred_at=seoul(2026, 3, 20))
    first = services.run_settlement(**MARCH_1H, idempotency_key="s-1")
    assert payouts_of(first)[books.supplier_payable.pk] == 50_000  # earned by the cutoff
    assert services.owed(books.supplier_payable) == -50_000  # netted against later sales


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({**MARCH_1H, "idempotency_key": ""}, "idempotency_key_invalid"),
        (
            {
                "period_start": dt.date(2026, 3, 15),
                "period_end": dt.date(2026, 3, 1),
                "idempotency_key": "x",
            },
            "period_invalid",
        ),
        (
            {**MARCH_1H, "kinds": [AccountKind.PLATFORM_REVENUE], "idempotency_key": "x"},
            "invalid_kinds",
        ),
        ({**MARCH_1H, "kinds": [], "idempotency_key": "x"}, "invalid_kinds"),
        ({**MARCH_1H, "minimum_payout": -1, "idempotency_key": "x"}, "invalid_amount"),
        ({**MARCH_1H, "minimum_payout": 1.5, "idempotency_key": "x"}, "invalid_amount"),
    ],
)
def test_bad_settlement_input_is_refused_with_nothing_written(books, kwargs, code):
    before = SettlementBatch.objects.count()
    with pytest.raises(LedgerError) as info:
        services.run_settlement(**kwargs)
    assert info.value.code == code
    assert SettlementBatch.objects.count() == before


def test_kinds_limit_which_payables_are_settled(books):
    earn(books, books.supplier_payable, 50_000, seoul(2026, 3, 2))
    earn(books, books.seller_payable, 50_000, seoul(2026, 3, 2))
    batch = services.run_settlement(
        **MARCH_1H, kinds=[AccountKind.SELLER_PAYABLE], idempotency_key="s-mc"
    )
    assert set(payouts_of(batch)) >= {books.seller_payable.pk}
    assert books.supplier_payable.pk not in payouts_of(batch)


def test_mark_paid_is_idempotent(books, users):
    earn(books, books.supplier_payable, 50_000, seoul(2026, 3, 2))
    batch = services.run_settlement(**MARCH_1H, idempotency_key="s-1", created_by=users["admin"])
    assert batch.created_by == users["admin"]
    payout = batch.payouts.get(account=books.supplier_payable)
    paid = services.mark_paid(payout, bank_reference="NH-0001")
    assert paid.status == "paid" and paid.paid_at is not None
    again = services.mark_paid(payout, bank_reference="NH-0001")
    assert again.paid_at == paid.paid_at
    with pytest.raises(LedgerError) as info:
        services.mark_paid(payout, bank_reference="NH-0002")
    assert info.value.code == "already_paid"
    with pytest.raises(LedgerError) as info:
        services.mark_paid(payout, bank_reference=" ")
    assert info.value.code == "bank_reference_required"
    payout.refresh_from_db()
    assert payout.bank_reference == "NH-0001"


def test_batch_is_paid_when_its_last_payout_is(books):
    earn(books, books.supplier_payable, 50_000, seoul(2026, 3, 2))
    earn(books, books.seller_payable, 20_000, seoul(2026, 3, 2))
    batch = services.run_settlement(**MARCH_1H, idempotency_key="s-1")
    mine = list(batch.payouts.all())
    for n, payout in enumerate(mine):
        batch.refresh_from_db()
        assert batch.status == "scheduled"
        services.mark_paid(payout, bank_reference=f"NH-{n}")
    batch.refresh_from_db()
    assert batch.status == "paid"


def test_a_payout_transaction_cannot_be_reversed(books):
    earn(books, books.supplier_payable, 50_000, seoul(2026, 3, 2))
    batch = services.run_settlement(**MARCH_1H, idempotency_key="s-1")
    payout = batch.payouts.get(account=books.supplier_payable)
    with pytest.raises(LedgerError) as info:
        services.reverse(payout.transaction, memo="지급 취소")
    assert info.value.code == "payout_transaction"


def test_one_payout_per_batch_and_account_in_the_database(books):
    from django.db import IntegrityError, transaction

    earn(books, books.supplier_payable, 50_000, seoul(2026, 3, 2))
    batch = services.run_settlement(**MARCH_1H, idempotency_key="s-1")
    payout = batch.payouts.get(account=books.supplier_payable)
    other = services.post(
        lines=[(books.supplier_payable, 1), (books.payouts, -1)], memo="중복 시도"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Payout.objects.create(batch=batch, account=payout.account, amount=1, transaction=other)
