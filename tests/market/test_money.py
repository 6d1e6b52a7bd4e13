"""Money: VAT split per line, commission truncation, the most specific rule, tampered prices,
the posting scheme, refunds before approval and after payout (netted next settlement)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dure.ledger import services as ledger
from dure.ledger.models import AccountKind
from dure.market import services
from dure.market.models import CommissionLine, CommissionRule, CommissionStatus, Product

from .conftest import make_product

pytestmark = pytest.mark.django_db

K = AccountKind


def owed(kind, party=None):
    return ledger.owed(ledger.account(kind, party))


def buy(mk, lines, key="k1", ref=""):
    return services.checkout(
        buyer=mk.buyer,
        lines=lines,
        idempotency_key=key,
        payment_method="bank_transfer",
        referral_code=ref,
    ).order


def deliver_and_approve(operator, order, days=8):
    for sub in order.suborders.all():
        services.suborder_ship(actor=operator, suborder=sub, tracking="1234")
        services.suborder_deliver(
            actor=operator, suborder=sub, at=timezone.now() - dt.timedelta(days=days)
        )
    return services.commissions_approve_due()


def test_vat_split_is_per_line_and_follows_tax_type(mk):
    order = buy(mk, [(mk.pa.pk, 3), (mk.pb.pk, 2)])
    lines = {line.product_id: line for sub in order.suborders.all() for line in sub.lines.all()}
    taxable, exempt = lines[mk.pa.pk], lines[mk.pb.pk]
    assert (taxable.line_total, taxable.supply_amount, taxable.vat_amount) == (
        33_000,
        30_000,
        3_000,
    )
    assert (exempt.line_total, exempt.supply_amount, exempt.vat_amount) == (10_000, 10_000, 0)
    odd = make_product(mk.a, "끝전 상품", price=1_001)
    line = buy(mk, [(odd.pk, 1)], key="k2").suborders.get().lines.get()
    assert (line.supply_amount, line.vat_amount) == (910, 91)  # ⌊1001 × 10/11⌋ = 910


def test_order_is_split_per_supplier_with_one_parent(mk):
    order = buy(mk, [(mk.pa.pk, 1), (mk.pb.pk, 1)])
    assert order.total == 16_000
    assert sorted(s.supplier_id for s in order.suborders.all()) == sorted([mk.a.pk, mk.b.pk])
    assert order.payment.amount == 16_000 and "M" in order.payment.instructions


def test_commission_is_truncated_to_won(mk):
    CommissionRule.objects.filter(kind="platform_fee").update(rate_bp=333)  # 3.33 %
    cheap = make_product(mk.a, "999원 상품", price=999)
    line = buy(mk, [(cheap.pk, 1)]).suborders.get().lines.get()
    fee = line.commissions.get(kind="platform_fee")
    assert fee.amount == 33  # 999 × 0.0333 = 33.2667 → 33


def test_most_specific_rule_wins(mk, operator):
    services.commission_rule_set(actor=operator, kind="platform_fee", rate_bp=700, supplier=mk.a)
    services.commission_rule_set(
        actor=operator, kind="platform_fee", rate_bp=900, category=mk.pa.category
    )
    other_cat = make_product(mk.a, "다른 분류", price=10_000)
    from dure.market.models import Category

    other_cat.category = Category.objects.create(division="education", name="교육")
    other_cat.save()
    services.commission_rule_set(actor=operator, kind="platform_fee", rate_bp=1100, product=mk.pa)
    rates = services.RateBook.load()
    assert rates.rate("platform_fee", mk.pa) == 1100  # product
    assert rates.rate("platform_fee", Product.objects.get(pk=mk.pb.pk)) == 900  # category
    assert rates.rate("platform_fee", other_cat) == 700  # supplier
    assert rates.rate("seller", other_cat) == 300  # platform default


def test_tampered_client_price_is_ignored(mk):
    order = services.checkout(
        buyer=mk.buyer,
        lines=[{"product_id": mk.pa.pk, "quantity": 1, "price": 1, "unit_price": 1}],
        idempotency_key="tamper",
        payment_method="bank_transfer",
    ).order
    assert order.total == 11_000
    assert order.suborders.get().lines.get().unit_price == 11_000


def test_rates_are_frozen_at_order_time(mk, operator):
    order = buy(mk, [(mk.pa.pk, 1)], ref=mk.seller.referral_code)
    CommissionRule.objects.update(rate_bp=5000)
    services.payment_confirm(actor=operator, order=order)
    assert owed(K.SELLER_PENDING, mk.seller) == 330  # 3 % of 11,000, not 50 %


def test_payment_posts_the_scheme_and_approval_moves_pending_to_payable(mk, operator):
    order = buy(mk, [(mk.pa.pk, 2)], ref=mk.seller.referral_code)
    assert ledger.trial_balance() == 0
    services.payment_confirm(actor=operator, order=order)
    services.payment_confirm(actor=operator, order=order)  # twice: posted once
    assert owed(K.SUPPLIER_PENDING, mk.a) == 22_000 - 1_100 - 660
    assert owed(K.SELLER_PENDING, mk.seller) == 660
    assert owed(K.PLATFORM_REVENUE) + owed(K.VAT_PAYABLE) >= 1_100
    assert ledger.balance(ledger.account(K.PAYMENT_CLEARING)) != 0
    assert ledger.trial_balance() == 0
    assert deliver_and_approve(operator, order) == 1
    assert owed(K.SUPPLIER_PENDING, mk.a) == 0
    assert owed(K.SUPPLIER_PAYABLE, mk.a) == 20_240
    assert owed(K.SELLER_PAYABLE, mk.seller) == 660
    mine = CommissionLine.objects.filter(order_line__suborder__order=order)
    assert set(mine.values_list("status", flat=True)) == {"approved"}
    assert services.commissions_approve_due() == 0


def test_refund_before_approval_voids_and_rewrites_commissions(mk, operator):
    order = buy(mk, [(mk.pa.pk, 3)], ref=mk.seller.referral_code)
    services.payment_confirm(actor=operator, order=order)
    sub = order.suborders.get()
    line = sub.lines.get()
    refund = services.refund_request(
        actor=mk.buyer, suborder=sub, reason="파손", lines=[(line.pk, 1)]
    )
    services.refund_complete(actor=operator, refund=refund)
    live = CommissionLine.objects.filter(order_line=line).exclude(status="void")
    assert {c.kind: c.amount for c in live} == {"platform_fee": 1_100, "seller": 660}
    assert CommissionLine.objects.filter(order_line=line, status="void").count() == 2
    assert owed(K.SELLER_PENDING, mk.seller) == 660
    assert owed(K.SUPPLIER_PENDING, mk.a) == 22_000 - 1_100 - 660
    assert ledger.trial_balance() == 0
    assert Product.objects.get(pk=mk.pa.pk).stock == 98


def test_refund_after_payout_is_a_negative_line_netted_next_settlement(mk, operator):
    order = buy(mk, [(mk.pa.pk, 10)], ref=mk.seller.referral_code)  # 110,000원, MC 3,300원
    services.payment_confirm(actor=operator, order=order)
    deliver_and_approve(operator, order)
    today = timezone.localdate()
    first = services.settlement_run(
        actor=operator, period_start=today, period_end=today, idempotency_key="s1", minimum_payout=1
    )
    from dure.ledger.models import Payout

    paid_to = set(
        Payout.objects.filter(batch_id=first.ledger_batch_id).values_list(
            "account__kind", "account__party_id"
        )
    )
    assert {(K.SUPPLIER_PAYABLE, mk.a.pk), (K.SELLER_PAYABLE, mk.seller.pk)} <= paid_to
    mine = CommissionLine.objects.filter(kind="seller", seller=mk.seller)
    assert set(mine.values_list("status", flat=True)) == {"paid"}
    assert owed(K.SELLER_PAYABLE, mk.seller) == 0
    sub = order.suborders.get()
    refund = services.refund_request(
        actor=mk.buyer, suborder=sub, reason="일부 반품", lines=[(sub.lines.get().pk, 4)]
    )
    services.refund_complete(actor=operator, refund=refund)
    negative = CommissionLine.objects.get(kind="seller", seller=mk.seller, amount__lt=0)
    assert negative.amount == -1_320 and negative.status == CommissionStatus.APPROVED
    assert owed(K.SELLER_PAYABLE, mk.seller) == -1_320
    # the next sale is netted against the clawback
    order2 = buy(mk, [(mk.pa.pk, 10)], key="k2", ref=mk.seller.referral_code)
    services.payment_confirm(actor=operator, order=order2)
    deliver_and_approve(operator, order2)
    services.settlement_run(
        actor=operator, period_start=today, period_end=today, idempotency_key="s2", minimum_payout=1
    )
    second = services.settlement_run(
        actor=operator, period_start=today, period_end=today, idempotency_key="s2", minimum_payout=1
    )
    seller_payouts = Payout.objects.filter(
        account=ledger.account(K.SELLER_PAYABLE, mk.seller)
    ).order_by("pk")
    assert [p.amount for p in seller_payouts] == [3_300, 3_300 - 1_320]
    assert negative.__class__.objects.get(pk=negative.pk).status == "paid"
    assert (
        second.pk
        == services.settlement_run(
            actor=operator, period_start=today, period_end=today, idempotency_key="s2"
        ).pk
    )
    assert ledger.trial_balance() == 0


def test_self_referral_earns_nothing(mk):
    mk.seller.user = mk.buyer
    mk.seller.save()
    order = buy(mk, [(mk.pa.pk, 1)], ref=mk.seller.referral_code)
    assert order.seller is None
    assert not CommissionLine.objects.filter(
        kind="seller", order_line__suborder__order=order
    ).exists()


def test_last_click_within_window_is_frozen_on_the_order(mk, settings):
    settings.DURE_MARKET_ATTRIBUTION_DAYS = 14
    now = timezone.now()
    services.referral_click(code="MTEST001", user=mk.buyer, at=now - dt.timedelta(days=20))
    order = buy(mk, [(mk.pa.pk, 1)])
    assert order.seller is None  # outside the window
    services.referral_click(code="MTEST001", user=mk.buyer, at=now - dt.timedelta(days=2))
    order = buy(mk, [(mk.pa.pk, 1)], key="k2")
    assert order.seller == mk.seller
    assert order.suborders.get().lines.get().seller == mk.seller


def test_creator_content_click_attributes_to_the_creator(mk):
    from dure.market.models import CreatorContent

    content = CreatorContent.objects.create(creator=mk.creator, title="우리밀 이야기", body="본문")
    services.referral_click(content=content, user=mk.buyer)
    order = buy(mk, [(mk.pa.pk, 1)])
    assert order.creator == mk.creator
    assert order.suborders.get().lines.get().commissions.get(kind="creator").amount == 220


def test_tax_invoice_data_lists_supply_and_vat_net_of_refunds(mk, operator):
    from dure.market.selectors import tax_invoice_data

    order = buy(mk, [(mk.pa.pk, 3), (mk.pb.pk, 2)])
    services.payment_confirm(actor=operator, order=order)
    sub = order.suborders.get(supplier=mk.a)
    refund = services.refund_request(
        actor=mk.buyer, suborder=sub, reason="반품", lines=[(sub.lines.get().pk, 1)]
    )
    services.refund_complete(actor=operator, refund=refund)
    data = tax_invoice_data(sub)
    assert data["supplier"]["business_number"] == mk.a.business_number
    assert data["items"][0]["quantity"] == 2
    assert (data["supply_total"], data["vat_total"]) == (20_000, 2_000)
    exempt = tax_invoice_data(order.suborders.get(supplier=mk.b))
    assert exempt["items"] == [] and exempt["exempt_total"] == 10_000


def test_offline_market_day_sells_from_the_same_stock_and_is_settled_like_online(mk, operator):
    from dure.market.models import Order

    day = services.market_day_create(
        actor=operator, name="서울역 협동조합 장터", held_on=timezone.localdate(), location="서울역"
    )
    order = services.market_day_sale(
        actor=operator, market_day=day, lines=[(mk.pa.pk, 2), (mk.pb.pk, 1)], idempotency_key="d1"
    )
    assert order.status == "paid" and order.market_day == day
    assert Product.objects.get(pk=mk.pa.pk).stock == 98
    assert set(order.suborders.values_list("status", flat=True)) == {"delivered"}
    report = {r["supplier"]: r["sales"] for r in services.market_day_report(day)}
    assert report == {mk.a.organisation.name: 22_000, mk.b.organisation.name: 5_000}
    assert ledger.trial_balance() == 0
    with pytest.raises(services.MarketError):  # on-site payment only at a market day
        services.checkout(
            buyer=mk.buyer, lines=[(mk.pa.pk, 1)], idempotency_key="x", payment_method="on_site"
        )
    assert Order.objects.filter(market_day=day).count() == 1


def test_priority_purchase_report_sums_paid_purchases_net_of_refunds(mk, operator):
    from dure.directory.models import Membership, Organisation, OrganisationKind, Role
    from dure.market.selectors import priority_purchase_report

    office = Organisation.objects.create(kind=OrganisationKind.PUBLIC_BODY, name="테스트구청")
    Membership.objects.create(user=mk.buyer, organisation=office, role=Role.STAFF)
    order = services.checkout(
        buyer=mk.buyer,
        lines=[(mk.pa.pk, 2), (mk.pb.pk, 1)],
        idempotency_key="pp",
        payment_method="invoice",
        buyer_organisation=office,
    ).order
    services.payment_confirm(actor=operator, order=order)
    sub = order.suborders.get(supplier=mk.a)
    refund = services.refund_request(
        actor=mk.buyer, suborder=sub, reason="반품", lines=[(sub.lines.get().pk, 1)]
    )
    services.refund_complete(actor=operator, refund=refund)
    report = priority_purchase_report(organisation_id=office.pk, year=timezone.localdate().year)
    assert report["total"] == 11_000 + 5_000
    assert report["by_type"] == {"cooperative": 16_000}
