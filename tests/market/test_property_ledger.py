"""A property test of at least 10,000 random marketplace operations — orders (with and
without referrals, one buyer being the MC himself), payments, shipping, delivery, approvals
after the refund window, partial refunds, cancellations and settlements — after each batch of
which:

- the ledger sums to zero;
- every MC's/CC's pending and payable balances equal the sum of their commission lines in
  that state, and what was paid out equals the sum of their paid lines (no line paid twice);
- every supplier's pending and payable balances equal its sub-orders' net shares;
- the clearing account holds exactly what was paid minus what was refunded;
- stock is never negative and every unit is either on the shelf or in a live order line.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict

import pytest
from django.db.models import F, Sum
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dure.ledger import services as ledger
from dure.ledger.models import AccountKind, Payout
from dure.market import services
from dure.market.models import (
    CommissionLine,
    Order,
    OrderLine,
    Product,
    Refund,
    SubOrder,
)

from .conftest import make_product, make_user

pytestmark = pytest.mark.django_db

K = AccountKind
EXAMPLES = 50
OPS_PER_EXAMPLE = 200  # 50 × 200 = 10,000 operations

DONE: defaultdict[str, int] = defaultdict(int)
REFUSED: defaultdict[str, int] = defaultdict(int)

pick = st.integers(min_value=0, max_value=10_000)
operation = st.one_of(
    st.tuples(
        st.just("order"),
        pick,
        st.lists(st.tuples(pick, st.integers(1, 4)), min_size=1, max_size=3),
        st.sampled_from(["", "seller", "creator", "both"]),
    ),
    st.tuples(st.just("pay"), pick),
    st.tuples(st.just("ship"), pick),
    st.tuples(st.just("deliver"), pick),
    st.tuples(st.just("approve")),
    st.tuples(st.just("refund"), pick, pick, st.integers(1, 3)),
    st.tuples(st.just("cancel"), pick),
    st.tuples(st.just("settle"), st.sampled_from([1, 10_000, 50_000])),
)


@pytest.fixture
def world(mk, operator):
    from dure.market.models import CommissionRule

    CommissionRule.objects.create(scope="supplier", supplier=mk.b, kind="platform_fee", rate_bp=777)
    products = [
        mk.pa,
        mk.pb,
        make_product(mk.a, "끝전 과세", price=1_003, stock=10**6),
        make_product(mk.b, "영세 상품", price=47_777, stock=10**6, tax_type="zero_rated"),
        make_product(mk.a, "한정 상품", price=9_990, stock=5),
    ]
    Product.objects.filter(pk__in=[mk.pa.pk, mk.pb.pk]).update(stock=10**6)
    initial = dict(Product.objects.values_list("pk", "stock"))
    buyers = [mk.buyer, make_user("prop_buyer2"), mk.seller.user]  # the last: self-referral
    return {
        "mk": mk,
        "products": products,
        "initial": initial,
        "buyers": buyers,
        "keys": itertools.count(),
        "ops": 0,
        "operator": mk.operator,
    }


def run(w, op):
    mk, now = w["mk"], timezone.now()
    kind = op[0]
    if kind == "order":
        _kind, b, lines, ref = op
        buyer = w["buyers"][b % len(w["buyers"])]
        code = {"seller": mk.seller.referral_code, "creator": mk.creator.referral_code}.get(ref)
        if ref == "both":
            services.referral_click(code=mk.creator.referral_code, user=buyer)
            code = mk.seller.referral_code
        services.checkout(
            buyer=buyer,
            lines=[(w["products"][p % len(w["products"])].pk, q) for p, q in lines],
            idempotency_key=f"p{next(w['keys'])}",
            payment_method="bank_transfer" if b % 2 else "invoice",
            referral_code=code or "",
        )
        return
    if kind in ("pay", "cancel"):
        orders = list(Order.objects.order_by("pk").values_list("pk", flat=True))
        if not orders:
            return
        order = Order.objects.get(pk=orders[op[1] % len(orders)])
        if kind == "pay":
            services.payment_confirm(actor=w["operator"], order=order)
        else:
            services.order_cancel(actor=w["operator"], order=order)
        return
    if kind in ("ship", "deliver", "refund"):
        subs = list(SubOrder.objects.order_by("pk").values_list("pk", flat=True))
        if not subs:
            return
        sub = SubOrder.objects.select_related("order", "supplier").get(pk=subs[op[1] % len(subs)])
        if kind == "ship":
            services.suborder_ship(actor=w["operator"], suborder=sub)
        elif kind == "deliver":
            services.suborder_deliver(
                actor=w["operator"], suborder=sub, at=now - dt.timedelta(days=8)
            )
        else:
            lines = list(sub.lines.order_by("pk"))
            line = lines[op[2] % len(lines)]
            refund = services.refund_request(
                actor=w["operator"], suborder=sub, reason="속성 시험", lines=[(line.pk, op[3])]
            )
            services.refund_complete(actor=w["operator"], refund=refund)
        return
    if kind == "approve":
        services.commissions_approve_due()
        return
    if kind == "settle":
        today = timezone.localdate()
        services.settlement_run(
            actor=w["operator"],
            period_start=today - dt.timedelta(days=15),
            period_end=today,
            idempotency_key=f"s{next(w['keys'])}",
            minimum_payout=op[1],
        )


def payouts_of(account):
    return Payout.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0


def check_invariants(w):
    mk = w["mk"]
    assert ledger.trial_balance() == 0

    def lines_sum(**f):
        return CommissionLine.objects.filter(**f).aggregate(s=Sum("amount"))["s"] or 0

    for kind, party, field, pending, payable in (
        ("seller", mk.seller, "seller", K.SELLER_PENDING, K.SELLER_PAYABLE),
        ("creator", mk.creator, "creator", K.CREATOR_PENDING, K.CREATOR_PAYABLE),
    ):
        # commission lines of unpaid orders are not posted yet
        f = {"kind": kind, field: party, "order_line__suborder__paid_at__isnull": False}
        assert ledger.owed(ledger.account(pending, party)) == lines_sum(status="pending", **f)
        assert ledger.owed(ledger.account(payable, party)) == lines_sum(status="approved", **f)
        assert payouts_of(ledger.account(payable, party)) == lines_sum(status="paid", **f)

    shares = defaultdict(lambda: [0, 0])  # supplier → [pending share, approved share]
    for approved in (0, 1):
        lines = OrderLine.objects.filter(
            suborder__paid_at__isnull=False, suborder__approved_at__isnull=not approved
        )
        for row in lines.values("suborder__supplier_id").annotate(
            s=Sum(F("line_total") - F("refunded_amount"))
        ):
            shares[row["suborder__supplier_id"]][approved] += row["s"]
        commissions = CommissionLine.objects.filter(
            order_line__suborder__paid_at__isnull=False,
            order_line__suborder__approved_at__isnull=not approved,
        ).exclude(status="void")
        for row in commissions.values("order_line__suborder__supplier_id").annotate(
            s=Sum("amount")
        ):
            shares[row["order_line__suborder__supplier_id"]][approved] -= row["s"]
    for supplier in (mk.a, mk.b):
        pending, approved = shares[supplier.pk]
        payable = ledger.account(K.SUPPLIER_PAYABLE, supplier)
        assert ledger.owed(ledger.account(K.SUPPLIER_PENDING, supplier)) == pending
        assert ledger.owed(payable) + payouts_of(payable) == approved

    paid = Order.objects.filter(payment__confirmed_at__isnull=False).aggregate(s=Sum("total"))
    refunded = Refund.objects.filter(status="completed").aggregate(s=Sum("amount"))
    assert ledger.balance(ledger.account(K.PAYMENT_CLEARING)) == (paid["s"] or 0) - (
        refunded["s"] or 0
    )

    live = defaultdict(int)
    for row in (
        OrderLine.objects.exclude(suborder__order__payment__status="cancelled")
        .values("product_id")
        .annotate(s=Sum(F("quantity") - F("refunded_quantity")))
    ):
        live[row["product_id"]] = row["s"]
    mine = [p.pk for p in w["products"]]
    for pk, stock in Product.objects.filter(pk__in=mine).values_list("pk", "stock"):
        assert stock >= 0
        assert stock + live[pk] == w["initial"][pk]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    derandomize=True,
    # The examples share one database that grows from example to example (the books must stay
    # exact from any state), so a failure is reported as is, not shrunk.
    phases=[Phase.explicit, Phase.generate],
)
@given(ops=st.lists(operation, min_size=OPS_PER_EXAMPLE, max_size=OPS_PER_EXAMPLE))
def test_random_operations_keep_the_books_exact(world, ops):
    for op in ops:
        try:
            run(world, op)
            DONE[op[0]] += 1
        except services.MarketError:
            REFUSED[op[0]] += 1  # refused operations (out of stock, unpaid, …) write nothing
    check_invariants(world)


def test_the_property_test_ran_at_least_10000_operations_of_every_kind():
    if not DONE:
        pytest.skip("runs after the property test")
    assert EXAMPLES * OPS_PER_EXAMPLE >= 10_000
    assert sum(DONE.values()) + sum(REFUSED.values()) >= 10_000
    # every kind of operation really happened, not only refusals
    assert all(
        DONE[kind] > 0
        for kind in ("order", "pay", "ship", "deliver", "refund", "cancel", "approve", "settle")
    ), (dict(DONE), dict(REFUSED))
