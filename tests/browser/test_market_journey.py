"""The marketplace journey in a real browser, with axe-core on every page visited:

a buyer (세리오협동조합's chair, demo ``coop``) follows the MC's referral link, puts products
of two suppliers in the cart and orders → the operator (``admin``) confirms the deposit → one
supplier (우리밀협동조합: ``supplier``) ships and marks it delivered → the buyer asks for a
partial refund and the supplier accepts it → after the refund window (the nightly
``market-approve-commissions``) the operator runs a settlement → the MC (``seller``) sees the
commission on the statement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


class Journey:
    def __init__(self, browser, axe, audit, live_server) -> None:
        self.browser, self.axe, self.audit, self.live_server = browser, axe, audit, live_server
        self.contexts: list[Any] = []
        self.problems: list[str] = []
        self.pages = 0

    def person(self, username: str) -> Any:
        from django.conf import settings
        from django.test import Client

        from dure.accounts.models import User

        ctx = self.browser.new_context(
            base_url=self.live_server.url,
            locale="ko-KR",
            timezone_id="Asia/Seoul",
            extra_http_headers={"Accept-Language": "ko-KR,ko;q=0.9"},
        )
        ctx.set_default_timeout(30_000)
        ctx.add_init_script(script=self.axe.axe_script)
        self.contexts.append(ctx)
        client = Client()
        client.force_login(User.objects.get(username=username))
        ctx.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "domain": urlsplit(self.live_server.url).hostname,
                    "path": "/",
                    "httpOnly": True,
                }
            ]
        )
        return ctx.new_page()

    def check(self, page: Any, label: str) -> None:
        self.pages += 1
        self.problems += self.audit(page, label)

    def visit(self, page: Any, path: str, label: str) -> None:
        page.goto(path)
        self.check(page, label)

    def click(self, page: Any, button: Any, label: str) -> None:
        with page.expect_navigation():
            button.click()
        self.check(page, label)

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def journey(browser, axe, audit, live_server, browser_data) -> Iterator[Journey]:
    trip = Journey(browser, axe, audit, live_server)
    try:
        yield trip
    finally:
        trip.close()


def test_buyer_follows_mc_link_buys_from_two_suppliers_refunds_and_mc_is_paid(journey):
    from django.utils import timezone

    from dure.market import services
    from dure.market.models import Order, Product, SubOrder

    noodles = Product.objects.get(name="우리밀 국수 선물세트")
    waffles = Product.objects.get(name="수제 와플 선물세트")

    # --- 1. The buyer follows the MC's link and fills the cart -----------------------------
    buyer = journey.person("coop")
    buyer.goto("/market/r/MSEOUL01/")
    assert urlsplit(buyer.url).path == "/market/"
    journey.check(buyer, "catalogue after the referral link")
    for product, quantity in ((noodles, "3"), (waffles, "2")):
        journey.visit(buyer, f"/market/products/{product.pk}/", f"product {product.name}")
        buyer.get_by_label("수량").fill(quantity)
        journey.click(buyer, buyer.get_by_role("button", name="장바구니에 담기"), "cart")
    assert buyer.locator("main table tbody tr").count() == 2

    # --- 2. Checkout -------------------------------------------------------------------------
    journey.click(buyer, buyer.get_by_role("link", name="주문하기"), "checkout")
    journey.click(buyer, buyer.get_by_role("button", name="주문 확정"), "order placed")
    order = Order.objects.filter(buyer__username="coop").order_by("-pk").first()
    assert urlsplit(buyer.url).path == f"/market/orders/{order.pk}/"
    assert order.total == 3 * 27_500 + 2 * 16_500
    assert order.seller.referral_code == "MSEOUL01"
    assert order.suborders.count() == 2
    assert "입금 계좌" in buyer.locator(".payment-instructions").inner_text()

    # --- 3. The operator confirms the deposit ----------------------------------------------
    admin = journey.person("admin")
    journey.visit(admin, "/market/operator/payments/", "payments to confirm")
    row = admin.locator("tr", has_text=order.number)
    journey.click(admin, row.get_by_role("button", name="입금 확인"), "deposit confirmed")
    order.refresh_from_db()
    assert order.status == "paid"

    # --- 4. The supplier ships and marks delivered -------------------------------------------
    supplier = journey.person("supplier")
    journey.visit(supplier, "/market/supplier/orders/", "supplier orders")
    wheat = SubOrder.objects.get(order=order, supplier__organisation__name="우리밀협동조합")
    supplier.get_by_label(f"{order.number} 송장 번호").fill("CJ-1234")
    journey.click(supplier, supplier.get_by_role("button", name="발송"), "shipped")
    journey.click(
        supplier, supplier.get_by_role("button", name=f"{order.number} 배송 완료"), "delivered"
    )
    wheat.refresh_from_db()
    assert wheat.status == "delivered" and wheat.tracking == "CJ-1234"

    # --- 5. The buyer asks for a partial refund; the supplier accepts ----------------------
    journey.visit(buyer, f"/market/suborders/{wheat.pk}/refund/", "refund form")
    line = wheat.lines.get()
    buyer.get_by_label("우리밀 국수 선물세트 환불 수량 (최대 3개)").fill("1")
    buyer.get_by_label("환불 사유").fill("상자 하나가 찌그러져 왔습니다.")
    journey.click(
        buyer, buyer.locator("main").get_by_role("button", name="환불 요청"), "refund asked"
    )
    journey.visit(supplier, "/market/supplier/orders/", "supplier refunds")
    journey.click(
        supplier,
        supplier.get_by_role("button", name=f"{order.number} 환불 승인"),
        "refund accepted",
    )
    line.refresh_from_db()
    assert line.refunded_quantity == 1 and line.refunded_amount == 27_500

    # --- 6. After the refund window, the operator settles; the MC sees the statement -------
    SubOrder.objects.filter(pk=wheat.pk).update(delivered_at=timezone.now() - dt.timedelta(days=8))
    assert services.commissions_approve_due() >= 1
    journey.visit(admin, "/market/operator/settlements/", "settlements")
    today = timezone.localdate()
    admin.get_by_label("정산 시작일").fill(today.isoformat())
    admin.get_by_label("정산 종료일").fill(today.isoformat())
    journey.click(admin, admin.locator("main").get_by_role("button", name="정산 실행"), "settled")
    assert "정산을 실행했습니다" in admin.locator(".messages").inner_text()

    seller = journey.person("seller")
    journey.visit(
        seller,
        f"/market/statement/?start={(today - dt.timedelta(days=30)).isoformat()}"
        f"&end={today.isoformat()}&account=0",
        "MC statement",
    )
    # 3 % of the two remaining noodle boxes (55,000원) = 1,650원 on this order
    assert "1,650" in seller.locator("main").inner_text()
    assert not journey.problems, "\n".join(journey.problems)
