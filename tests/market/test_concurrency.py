"""Stock under real concurrency: threads with their own database connections, committing for
real (PostgreSQL; SQLite serialises writers, so the threaded tests run there only on
PostgreSQL — the sequential version below runs everywhere)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from dure.market import services
from dure.market.models import Order, OrderLine, Product

from .conftest import make_product, make_supplier

pytestmark = pytest.mark.django_db(transaction=True)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threaded writers need PostgreSQL"
)

BUYERS = 200
# PostgreSQL allows 100 connections on this machine (shared by other test runs): 200 checkouts
# go through 40 threads at once, each starting together at a barrier.
THREADS = 40


def in_threads(n_tasks, n_threads, fn):
    barrier = threading.Barrier(n_threads)

    def run(i):
        try:
            if i < n_threads:
                barrier.wait(timeout=60)
            return fn(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        return list(pool.map(run, range(n_tasks)))


def buyers(n):
    from dure.accounts.models import User

    User.objects.bulk_create([User(username=f"rush{i}") for i in range(n)])
    return list(User.objects.filter(username__startswith="rush").order_by("pk"))


def attempt(buyer, lines, key):
    try:
        return services.checkout(
            buyer=buyer, lines=lines, idempotency_key=key, payment_method="bank_transfer"
        ).order.pk
    except services.MarketError as exc:
        return (exc.code, exc.messages[0])


@postgres_only
def test_200_concurrent_checkouts_for_10_units_sell_exactly_10():
    product = make_product(make_supplier("동시성협동조합"), "한정 상품", stock=10)
    people = buyers(BUYERS)

    results = in_threads(BUYERS, THREADS, lambda i: attempt(people[i], [(product.pk, 1)], f"k{i}"))

    sold = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if not isinstance(r, int)]
    assert len(sold) == 10 and len(refused) == 190
    assert all(code == "out_of_stock" for code, _msg in refused)
    assert all(msg.startswith("재고 부족: 남은 수량 0개") for _code, msg in refused)
    assert Product.objects.get(pk=product.pk).stock == 0
    assert OrderLine.objects.filter(product=product).count() == 10
    assert Order.objects.filter(buyer__username__startswith="rush").count() == 10


@postgres_only
def test_crossing_carts_do_not_deadlock_and_never_oversell():
    supplier = make_supplier("교차협동조합")
    p1 = make_product(supplier, "첫째", stock=30)
    p2 = make_product(supplier, "둘째", stock=30)
    people = buyers(60)

    def work(i):
        lines = [(p1.pk, 1), (p2.pk, 1)] if i % 2 else [(p2.pk, 1), (p1.pk, 1)]
        return attempt(people[i], lines, f"x{i}")

    results = in_threads(60, THREADS, work)
    sold = [r for r in results if isinstance(r, int)]
    assert len(sold) == 30
    assert Product.objects.get(pk=p1.pk).stock == 0 == Product.objects.get(pk=p2.pk).stock


@postgres_only
def test_a_double_submit_race_creates_one_order():
    product = make_product(make_supplier("중복협동조합"), "중복 상품", stock=50)
    buyer = buyers(1)[0]
    results = in_threads(8, 8, lambda i: attempt(buyer, [(product.pk, 2)], "same-key"))
    assert len(set(results)) == 1 and isinstance(results[0], int)
    assert Product.objects.get(pk=product.pk).stock == 48


def test_sequential_rush_sells_exactly_the_stock():
    product = make_product(make_supplier("순차협동조합"), "순차 상품", stock=10)
    people = buyers(15)
    results = [attempt(p, [(product.pk, 1)], "k") for p in people]
    assert sum(isinstance(r, int) for r in results) == 10
    assert Product.objects.get(pk=product.pk).stock == 0


@postgres_only
def test_concurrent_refund_requests_never_exceed_what_was_paid():
    from dure.accounts.models import User

    product = make_product(make_supplier("환불경쟁협동조합"), "환불 상품", stock=10)
    buyer = buyers(1)[0]
    admin = User.objects.create_user(username="race_admin", is_platform_admin=True)
    order = services.checkout(
        buyer=buyer, lines=[(product.pk, 3)], idempotency_key="r", payment_method="invoice"
    ).order
    services.payment_confirm(actor=admin, order=order)
    sub = order.suborders.get()
    line = sub.lines.get()

    def work(i):
        try:
            refund = services.refund_request(
                actor=buyer, suborder=sub, reason=f"동시 환불 {i}", lines=[(line.pk, 1)]
            )
            services.refund_complete(actor=admin, refund=refund)
            return "ok"
        except services.MarketError as exc:
            return exc.code

    results = in_threads(8, 8, work)
    assert results.count("ok") == 3
    assert set(results) - {"ok"} == {"refund_exceeds_paid"}
    line.refresh_from_db()
    assert line.refunded_quantity == 3 and line.refunded_amount == line.line_total
    assert Product.objects.get(pk=product.pk).stock == 10
