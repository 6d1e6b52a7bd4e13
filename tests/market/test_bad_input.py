"""Bad input: each a clear Korean error with a stable code, and nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dure.ledger.models import Entry
from dure.market import services
from dure.market.models import CommissionLine, Order, Product, Refund

pytestmark = pytest.mark.django_db


def state():
    return (
        Order.objects.count(),
        CommissionLine.objects.count(),
        Refund.objects.count(),
        Entry.objects.count(),
        list(Product.objects.order_by("pk").values_list("stock", flat=True)),
    )


def attempt(mk, lines, **kw):
    kw.setdefault("idempotency_key", "bad")
    kw.setdefault("payment_method", "bank_transfer")
    before = state()
    with pytest.raises(services.MarketError) as info:
        services.checkout(buyer=mk.buyer, lines=lines, **kw)
    assert state() == before
    return info.value


@pytest.mark.parametrize(
    ("quantity", "code", "text"),
    [
        (-1, "negative_quantity", "음수"),
        ("-3", "negative_quantity", "음수"),
        (1.5, "fractional_quantity", "소수"),
        ("2.5", "fractional_quantity", "소수"),
        (0, "zero_quantity", "1개 이상"),
        ("열 개", "invalid_quantity", "정수"),
        (True, "invalid_quantity", "정수"),
        (None, "invalid_quantity", "정수"),
        (10**9, "quantity_too_large", "10000"),
    ],
)
def test_bad_quantities_are_refused_clearly(mk, quantity, code, text):
    error = attempt(mk, [(mk.pa.pk, quantity)])
    assert error.code == code
    assert text in " ".join(error.messages).replace(",", "")


def test_unknown_product(mk):
    error = attempt(mk, [(987654321, 1)])
    assert error.code == "unknown_product" and "존재하지 않는 상품" in error.messages[0]
    assert attempt(mk, [("abc", 1)]).code == "unknown_product"


def test_inactive_product_and_unapproved_supplier(mk):
    from .conftest import make_product, make_supplier

    Product.objects.filter(pk=mk.pa.pk).update(active=False)
    assert attempt(mk, [(mk.pa.pk, 1)]).code == "inactive_product"
    pending = make_product(make_supplier("미승인협동조합", approved=False), "미승인 상품")
    assert attempt(mk, [(mk.pb.pk, 1), (pending.pk, 1)]).code == "inactive_product"


def test_out_of_stock_names_what_is_left_and_rolls_back_other_lines(mk):
    Product.objects.filter(pk=mk.pb.pk).update(stock=2)
    error = attempt(mk, [(mk.pa.pk, 5), (mk.pb.pk, 3)])
    assert error.code == "out_of_stock"
    assert "재고 부족: 남은 수량 2개" in error.messages[0]
    assert Product.objects.get(pk=mk.pa.pk).stock == 100  # the first line's stock came back


def test_expired_and_unknown_referral_code(mk):
    mk.seller.valid_until = timezone.localdate() - dt.timedelta(days=1)
    mk.seller.save()
    error = attempt(mk, [(mk.pa.pk, 1)], referral_code=mk.seller.referral_code)
    assert error.code == "referral_expired" and "만료" in error.messages[0]
    assert attempt(mk, [(mk.pa.pk, 1)], referral_code="MNOPE999").code == "unknown_referral"


def test_empty_order_missing_key_bad_payment(mk):
    assert attempt(mk, []).code == "empty"
    assert attempt(mk, [(mk.pa.pk, 1)], idempotency_key="").code == "idempotency_key_required"
    assert attempt(mk, [(mk.pa.pk, 1)], payment_method="card").code == "invalid_choice"


def test_double_checkout_returns_the_same_order_and_a_changed_body_conflicts(mk):
    first = services.checkout(
        buyer=mk.buyer, lines=[(mk.pa.pk, 2)], idempotency_key="dbl", payment_method="invoice"
    )
    again = services.checkout(
        buyer=mk.buyer, lines=[(mk.pa.pk, 2)], idempotency_key="dbl", payment_method="invoice"
    )
    assert first.created and not again.created and first.order.pk == again.order.pk
    assert Product.objects.get(pk=mk.pa.pk).stock == 98
    error = attempt(mk, [(mk.pa.pk, 3)], idempotency_key="dbl", payment_method="invoice")
    assert error.code == "idempotency_conflict"


def test_refund_above_paid_is_refused_and_nothing_written(mk, operator):
    order = services.checkout(
        buyer=mk.buyer, lines=[(mk.pa.pk, 2)], idempotency_key="r", payment_method="invoice"
    ).order
    sub = order.suborders.get()
    line = sub.lines.get()
    with pytest.raises(services.MarketError) as unpaid:
        services.refund_request(actor=mk.buyer, suborder=sub, reason="x", lines=[(line.pk, 1)])
    assert unpaid.value.code == "not_paid"
    services.payment_confirm(actor=operator, order=order)
    before = state()
    with pytest.raises(services.MarketError) as info:
        services.refund_request(actor=mk.buyer, suborder=sub, reason="x", lines=[(line.pk, 3)])
    assert info.value.code == "refund_exceeds_paid" and "환불 가능 2개" in info.value.messages[0]
    assert state() == before
    services.refund_request(actor=mk.buyer, suborder=sub, reason="x", lines=[(line.pk, 2)])
    with pytest.raises(services.MarketError) as again:  # an open request counts
        services.refund_request(actor=mk.buyer, suborder=sub, reason="x", lines=[(line.pk, 1)])
    assert again.value.code == "refund_exceeds_paid"
    with pytest.raises(services.MarketError) as negative:
        services.refund_request(actor=mk.buyer, suborder=sub, reason="x", lines=[(line.pk, -1)])
    assert negative.value.code == "negative_quantity"
    # refunded in full: the sub-order is cancelled, and another request says why it is refused
    services.refund_complete(actor=operator, refund=sub.refunds.get())
    sub.refresh_from_db()
    assert sub.status == "cancelled"
    with pytest.raises(services.MarketError) as done:
        services.refund_request(actor=mk.buyer, suborder=sub, reason="x", lines=None)
    assert done.value.code == "refund_exceeds_paid" and "전액 환불" in done.value.messages[0]


def test_a_stranger_cannot_refund_or_cancel(mk, operator):
    from .conftest import make_user

    order = services.checkout(
        buyer=mk.buyer, lines=[(mk.pa.pk, 1)], idempotency_key="s", payment_method="invoice"
    ).order
    stranger = make_user("stranger")
    with pytest.raises(services.MarketError):
        services.order_cancel(actor=stranger, order=order)
    with pytest.raises(services.MarketError):
        services.payment_confirm(actor=stranger, order=order)


def test_cancel_unpaid_returns_stock_and_paid_cancel_refunds(mk, operator):
    order = services.checkout(
        buyer=mk.buyer, lines=[(mk.pa.pk, 4)], idempotency_key="c1", payment_method="invoice"
    ).order
    services.order_cancel(actor=mk.buyer, order=order)
    assert Product.objects.get(pk=mk.pa.pk).stock == 100
    order2 = services.checkout(
        buyer=mk.buyer,
        lines=[(mk.pa.pk, 4), (mk.pb.pk, 1)],
        idempotency_key="c2",
        payment_method="invoice",
    ).order
    services.payment_confirm(actor=operator, order=order2)
    services.order_cancel(actor=mk.buyer, order=order2)
    order2.refresh_from_db()
    assert order2.status == "cancelled"
    assert Product.objects.get(pk=mk.pa.pk).stock == 100
    assert sum(r.amount for r in Refund.objects.filter(suborder__order=order2)) == order2.total
    from dure.ledger import services as ledger

    assert ledger.trial_balance() == 0


def test_expired_bank_transfer_orders_are_cancelled(mk):
    order = services.checkout(
        buyer=mk.buyer, lines=[(mk.pa.pk, 4)], idempotency_key="e", payment_method="bank_transfer"
    ).order
    services.orders_cancel_expired()
    order.refresh_from_db()
    assert order.status == "placed"
    assert services.orders_cancel_expired(now=timezone.now() + dt.timedelta(days=4)) >= 1
    order.refresh_from_db()
    assert order.status == "cancelled" and Product.objects.get(pk=mk.pa.pk).stock == 100
