"""Concurrent retries and settlements on PostgreSQL (SQLite serialises every writer anyway)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from dure.ledger import services
from dure.ledger.models import AccountKind as K
from dure.ledger.models import Payout, Transaction

from .conftest import seoul

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
]


def in_threads(n: int, work) -> list:
    results: list = [None] * n
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported to the test below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_retries_of_one_posting_record_it_once(make_party):
    clearing = services.account(K.PAYMENT_CLEARING)
    payable = services.account(K.SUPPLIER_PAYABLE, make_party())
    lines = [(clearing, 11_000), (payable, -11_000)]
    results = in_threads(
        6, lambda i: services.post(lines=lines, memo="대금", idempotency_key="checkout:race")
    )
    assert all(isinstance(r, Transaction) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert services.owed(payable) == 11_000


def test_concurrent_settlements_never_pay_the_same_money_twice(make_party):
    clearing = services.account(K.PAYMENT_CLEARING)
    payables = [services.account(K.SUPPLIER_PAYABLE, make_party()) for _ in range(5)]
    for n, payable in enumerate(payables):
        services.post(
            lines=[(clearing, 20_000 + n), (payable, -(20_000 + n))],
            memo="대금",
            occurred_at=seoul(2026, 3, 2),
        )
    results = in_threads(
        4,
        lambda i: services.run_settlement(
            period_start=dt.date(2026, 3, 1),
            period_end=dt.date(2026, 3, 15),
            idempotency_key=f"race-{i}",
        ),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    for n, payable in enumerate(payables):
        assert sum(p.amount for p in Payout.objects.filter(account=payable)) == 20_000 + n
        assert services.owed(payable) == 0
    assert services.trial_balance() == 0
    assert connection.vendor == "postgresql"
