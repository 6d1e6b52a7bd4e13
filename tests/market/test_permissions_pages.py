"""The permission matrix of every marketplace page: URL × method × role → the exact status,
with the helpers of the site-wide matrix (``tests/test_permissions_pages.py``).

The catalogue, product pages, referral links and CC articles are public; the cart, checkout and
one's own orders need an account; an order is its buyer's (세리오협동조합's chair, ``coop``, in
the demo) and the operator's; a sub-order's shipping and refund decisions are its supplier's
(우리밀협동조합: ``supplier``) and the operator's; supplier review, payments and settlements are
the operator's (platform staff: ``admin``, ``center``); statements are the MC's, CC's and
supplier's own. Deny by default: 404 for what one may not see, the login page for anonymous
visitors, 405 for a method a page does not take, and a refused request changes nothing.
``test_every_market_url_has_a_matrix_entry`` fails when a market URL has no GET and POST entry.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import get_resolver
from django.utils import timezone
from test_permissions_pages import (
    LOGIN,
    NOT_ALLOWED,
    OK,
    REDIRECT,
    ROLES,
    Case,
    _routes,
    everyone,
    get,
    members_only,
    only,
    post,
    world_fixtures,
)

pytestmark = pytest.mark.django_db

STAFF = {"admin", "center"}
BUYER = STAFF | {"coop"}  # the demo orders' buyer and the operator
WHEAT = STAFF | {"supplier"}  # 우리밀협동조합's people and the operator
STATEMENT = {"seller", "creator", "supplier"}
LOGGED_IN = [r for r in ROLES if r != "anonymous"]


def build_world(users, org):
    from dure.directory.models import Organisation
    from dure.market import services
    from dure.market.models import (
        CreatorContent,
        MarketDay,
        Order,
        Product,
        SubOrder,
        SupplierProfile,
    )

    first = Order.objects.get(idempotency_key="demo-order-1", buyer=users["coop"])
    second = Order.objects.get(idempotency_key="demo-order-2", buyer=users["coop"])
    unpaid = Order.objects.get(idempotency_key="demo-order-3", buyer=users["coop"])
    delivered = SubOrder.objects.get(order=first, supplier__organisation__name="우리밀협동조합")
    shipped = SubOrder.objects.get(order=second, supplier__organisation__name="우리밀협동조합")
    refund = services.refund_request(
        actor=users["coop"], suborder=delivered, reason="매트릭스 환불", lines=None
    )
    return SimpleNamespace(
        users=users,
        order=first,
        unpaid=unpaid,
        delivered=delivered,
        shipped=shipped,
        refund=refund,
        product=Product.objects.get(name="우리밀 통밀가루 1kg"),
        content=CreatorContent.objects.get(title="우리밀로 차린 협동조합 밥상"),
        applied=SupplierProfile.objects.get(organisation__name="마을카페그물코협동조합"),
        wheat=SupplierProfile.objects.get(organisation__name="우리밀협동조합"),
        serio=Organisation.objects.get(name="세리오협동조합"),
        day=MarketDay.objects.create(
            name="매트릭스 장터", held_on=timezone.localdate(), location="시청 광장"
        ),
        pp=purchasing_world(users),  # public purchasing (see the block below CASES)
    )


_world_once, world = world_fixtures(build_world)


def market_state() -> dict[str, Any]:
    from dure.core.models import AuditEvent
    from dure.ledger.models import Entry
    from dure.market import models as m

    def rows(model):
        return list(model.objects.order_by("pk").values())

    return {
        "suppliers": rows(m.SupplierProfile),
        "products": rows(m.Product),
        "clicks": m.ReferralClick.objects.count(),
        "carts": rows(m.CartLine),
        "orders": rows(m.Order),
        "suborders": rows(m.SubOrder),
        "lines": rows(m.OrderLine),
        "commissions": rows(m.CommissionLine),
        "payments": rows(m.Payment),
        "refunds": rows(m.Refund),
        "settlements": rows(m.Settlement),
        "sellers": rows(m.SellerProfile),
        "creators": rows(m.CreatorProfile),
        "rules": rows(m.CommissionRule),
        "market_days": rows(m.MarketDay),
        # public purchasing
        "quotation_requests": rows(m.QuotationRequest),
        "quotation_lines": rows(m.QuotationLine),
        "quotes": rows(m.Quote),
        "quote_lines": rows(m.QuoteLine),
        "purchase_orders": rows(m.PurchaseOrder),
        "entries": Entry.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def _changed(check):
    return lambda w, role: check(w)


def _status(model_attr, field, value):
    def check(w):
        obj = getattr(w, model_attr)
        obj.refresh_from_db()
        return getattr(obj, field) == value

    return _changed(check)


def cart_has_product(w, role):
    from dure.market.models import CartLine

    return CartLine.objects.filter(cart__user=w.users[role], product=w.product).exists()


def settlement_form(w, role):
    today = timezone.localdate().isoformat()
    return {
        "period_start": today,
        "period_end": today,
        "minimum_payout": "10000",
        "idempotency_key": f"matrix-{role}",
    }


def settled(w, role):
    from dure.market.models import Settlement

    return Settlement.objects.filter(idempotency_key=f"matrix-{role}").exists()


def product_form(w, role):
    return {
        "supplier": w.wheat.pk,
        "category": w.product.category_id,
        "name": f"매트릭스 상품 {role}",
        "price": "12000",
        "tax_type": "taxable",
        "stock": "5",
        "unit": "개",
        "active": "on",
    }


def apply_form(w, role):
    from dure.directory.demo import demo_business_number

    return {
        "organisation": w.serio.pk,
        "business_number": demo_business_number(77_001),
        "economy_type": "cooperative",
        "introduction": "두부 월 300모",
    }


CASES: list[Case] = [
    # --- public -----------------------------------------------------------------------------------
    get("market/", lambda w: "/market/", everyone(OK)),
    get(
        "market/",
        lambda w: "/market/?q=우리밀&division=mutual_trade",
        everyone(OK),
        variant="search",
    ),
    post("market/", lambda w: "/market/", everyone(NOT_ALLOWED)),
    get("market/products/<int:pk>/", lambda w: f"/market/products/{w.product.pk}/", everyone(OK)),
    get(
        "market/products/<int:pk>/",
        lambda w: "/market/products/987654/",
        everyone(404),
        variant="missing",
    ),
    post(
        "market/products/<int:pk>/",
        lambda w: f"/market/products/{w.product.pk}/",
        everyone(NOT_ALLOWED),
    ),
    get(
        "market/r/<str:code>/",
        lambda w: "/market/r/MSEOUL01/",
        everyone(REDIRECT),
        changes=set(ROLES),
    ),
    get("market/r/<str:code>/", lambda w: "/market/r/MNOPE/", everyone(404), variant="unknown"),
    post("market/r/<str:code>/", lambda w: "/market/r/MSEOUL01/", everyone(NOT_ALLOWED)),
    get(
        "market/content/<int:pk>/",
        lambda w: f"/market/content/{w.content.pk}/",
        everyone(OK),
        changes=set(ROLES),
    ),
    post(
        "market/content/<int:pk>/",
        lambda w: f"/market/content/{w.content.pk}/",
        everyone(NOT_ALLOWED),
    ),
    # --- buyer ------------------------------------------------------------------------------------
    get("market/cart/", lambda w: "/market/cart/", members_only()),
    post(
        "market/cart/",
        lambda w: "/market/cart/",
        members_only(REDIRECT),
        data=lambda w, r: {"product_id": w.product.pk, "quantity": "2"},
        changes=set(LOGGED_IN),
        effect=cart_has_product,
    ),
    get("market/checkout/", lambda w: "/market/checkout/", members_only()),
    post(
        "market/checkout/",
        lambda w: "/market/checkout/",
        members_only(OK),  # an empty cart: the form again with the error, nothing written
        data=lambda w, r: {"payment_method": "invoice", "idempotency_key": f"m-{r}"},
    ),
    get("market/orders/", lambda w: "/market/orders/", members_only()),
    post("market/orders/", lambda w: "/market/orders/", members_only(NOT_ALLOWED)),
    get("market/orders/<int:pk>/", lambda w: f"/market/orders/{w.order.pk}/", only(BUYER)),
    post("market/orders/<int:pk>/", lambda w: f"/market/orders/{w.order.pk}/", members_only(405)),
    get(
        "market/orders/<int:pk>/cancel/",
        lambda w: f"/market/orders/{w.unpaid.pk}/cancel/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "market/orders/<int:pk>/cancel/",
        lambda w: f"/market/orders/{w.unpaid.pk}/cancel/",
        only(BUYER, REDIRECT),
        changes=BUYER,
        effect=_status("unpaid", "status", "cancelled"),
    ),
    get(
        "market/suborders/<int:pk>/refund/",
        lambda w: f"/market/suborders/{w.shipped.pk}/refund/",
        only(BUYER),
    ),
    post(
        "market/suborders/<int:pk>/refund/",
        lambda w: f"/market/suborders/{w.shipped.pk}/refund/",
        only(BUYER, REDIRECT),
        data=lambda w, r: {"reason": "매트릭스 환불 요청"},
        changes=BUYER,
        effect=lambda w, r: w.shipped.refunds.filter(reason="매트릭스 환불 요청").exists(),
    ),
    # --- supplier ---------------------------------------------------------------------------------
    get("market/supplier/orders/", lambda w: "/market/supplier/orders/", only(WHEAT)),
    post(
        "market/supplier/orders/", lambda w: "/market/supplier/orders/", members_only(NOT_ALLOWED)
    ),
    get(
        "market/supplier/suborders/<int:pk>/ship/",
        lambda w: f"/market/supplier/suborders/{w.shipped.pk}/ship/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "market/supplier/suborders/<int:pk>/ship/",
        lambda w: f"/market/supplier/suborders/{w.shipped.pk}/ship/",
        only(WHEAT, REDIRECT),
        data=lambda w, r: {"action": "deliver"},
        changes=WHEAT,
        effect=_status("shipped", "status", "delivered"),
    ),
    get(
        "market/supplier/refunds/<int:pk>/",
        lambda w: f"/market/supplier/refunds/{w.refund.pk}/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "market/supplier/refunds/<int:pk>/",
        lambda w: f"/market/supplier/refunds/{w.refund.pk}/",
        only(WHEAT, REDIRECT),
        data=lambda w, r: {"decision": "complete"},
        changes=WHEAT,
        effect=_status("refund", "status", "completed"),
    ),
    # --- operator ---------------------------------------------------------------------------------
    get("market/operator/suppliers/", lambda w: "/market/operator/suppliers/", only(STAFF)),
    post(
        "market/operator/suppliers/",
        lambda w: "/market/operator/suppliers/",
        members_only(NOT_ALLOWED),
    ),
    get(
        "market/operator/suppliers/<int:pk>/",
        lambda w: f"/market/operator/suppliers/{w.applied.pk}/",
        only(STAFF),
    ),
    post(
        "market/operator/suppliers/<int:pk>/",
        lambda w: f"/market/operator/suppliers/{w.applied.pk}/",
        only(STAFF, REDIRECT),
        data=lambda w, r: {"step": "survey", "record": "월 500개 공급 가능"},
        changes=STAFF,
        effect=_status("applied", "status", "surveyed"),
    ),
    get("market/operator/payments/", lambda w: "/market/operator/payments/", only(STAFF)),
    post(
        "market/operator/payments/",
        lambda w: "/market/operator/payments/",
        only(STAFF, REDIRECT),
        data=lambda w, r: {"order": w.unpaid.pk, "reference": "입금 확인"},
        changes=STAFF,
        effect=_status("unpaid", "status", "paid"),
    ),
    get("market/operator/settlements/", lambda w: "/market/operator/settlements/", only(STAFF)),
    post(
        "market/operator/settlements/",
        lambda w: "/market/operator/settlements/",
        only(STAFF, REDIRECT),
        data=settlement_form,
        changes=STAFF,
        effect=settled,
    ),
    # --- self-service ------------------------------------------------------------------------------
    get("market/supplier/apply/", lambda w: "/market/supplier/apply/", members_only()),
    post(
        "market/supplier/apply/",
        lambda w: "/market/supplier/apply/",
        # only 세리오협동조합's chair may apply it; for others it is no choice: the form again
        {**members_only(OK), "coop": REDIRECT},
        data=apply_form,
        changes={"coop"},
        effect=lambda w, r: type(w.applied).objects.get(organisation=w.serio).status == "applied",
    ),
    get("market/referrers/register/", lambda w: "/market/referrers/register/", members_only()),
    post(
        "market/referrers/register/",
        lambda w: "/market/referrers/register/",
        members_only(REDIRECT),
        data=lambda w, r: {"kind": "seller", "display_name": f"매트릭스 {r}"},
        changes=set(LOGGED_IN),
        effect=lambda w, r: SellerProfileQ(display_name=f"매트릭스 {r}", user=w.users[r]),
    ),
    get("market/supplier/products/", lambda w: "/market/supplier/products/", only(WHEAT)),
    post(
        "market/supplier/products/",
        lambda w: "/market/supplier/products/",
        members_only(NOT_ALLOWED),
    ),
    get("market/supplier/products/new/", lambda w: "/market/supplier/products/new/", only(WHEAT)),
    post(
        "market/supplier/products/new/",
        lambda w: "/market/supplier/products/new/",
        only(WHEAT, REDIRECT),
        data=product_form,
        changes=WHEAT,
        effect=lambda w, r: w.wheat.products.filter(name=f"매트릭스 상품 {r}").exists(),
    ),
    get(
        "market/supplier/products/<int:pk>/edit/",
        lambda w: f"/market/supplier/products/{w.product.pk}/edit/",
        only(WHEAT),
    ),
    post(
        "market/supplier/products/<int:pk>/edit/",
        lambda w: f"/market/supplier/products/{w.product.pk}/edit/",
        only(WHEAT, REDIRECT),
        data=product_form,
        changes=WHEAT,
        effect=_status("product", "price", 12_000),
    ),
    get(
        "market/operator/commission-rules/",
        lambda w: "/market/operator/commission-rules/",
        only(STAFF),
    ),
    post(
        "market/operator/commission-rules/",
        lambda w: "/market/operator/commission-rules/",
        only(STAFF, REDIRECT),
        data=lambda w, r: {
            "kind": "seller",
            "scope": "supplier",
            "supplier": w.wheat.pk,
            "rate": "4.5",
        },
        changes=STAFF,
        effect=lambda w, r: w.wheat.commissionrule_set.get(kind="seller").rate_bp == 450,
    ),
    get("market/operator/market-days/", lambda w: "/market/operator/market-days/", only(STAFF)),
    post(
        "market/operator/market-days/",
        lambda w: "/market/operator/market-days/",
        only(STAFF, REDIRECT),
        data=lambda w, r: {
            "name": f"장터 {r}",
            "held_on": timezone.localdate().isoformat(),
            "location": "역 앞",
        },
        changes=STAFF,
        effect=lambda w, r: MarketDayQ(name=f"장터 {r}"),
    ),
    get(
        "market/operator/market-days/<int:pk>/",
        lambda w: f"/market/operator/market-days/{w.day.pk}/",
        only(STAFF),
    ),
    get(
        "market/operator/market-days/<int:pk>/",
        lambda w: "/market/operator/market-days/987654/",
        only(set(), no=404),
        variant="missing",
    ),
    post(
        "market/operator/market-days/<int:pk>/",
        lambda w: f"/market/operator/market-days/{w.day.pk}/",
        only(STAFF, REDIRECT),
        data=lambda w, r: {
            "product": w.product.pk,
            "quantity": "2",
            "idempotency_key": f"day-{r}",
        },
        changes=STAFF,
        effect=lambda w, r: w.day.orders.filter(total__gt=0).exists(),
    ),
    # --- statements -------------------------------------------------------------------------------
    get("market/statement/", lambda w: "/market/statement/", only(STATEMENT)),
    get(
        "market/statement/",
        lambda w: "/market/statement/?start=2020-01-01&end=2030-12-31&account=0&format=xlsx",
        only(STATEMENT),
        variant="xlsx",
    ),
    post("market/statement/", lambda w: "/market/statement/", members_only(NOT_ALLOWED)),
]


# === Public purchasing (견적요청 · 견적 · 발주 · 우선구매 실적) =================================
# The demo ``researcher`` buys for 한국생산기술연구원 (a public research institute); the demo
# ``supplier`` quotes for 우리밀협동조합; the operator reads everything and decides nothing.
# Requests, quotes and POs are their institution's and supplier's; the priority-purchase report
# is every organisation member's own (as the API), the operator's for every buying organisation.

INSTITUTION = {"researcher"}
PP_SUPPLIER = {"supplier"}
PP_ALL = STAFF | INSTITUTION | PP_SUPPLIER


def purchasing_world(users):
    import datetime as dt

    from dure.directory.models import Organisation
    from dure.market import services
    from dure.market.demo import DEMO_QUOTATION_TITLE
    from dure.market.models import PurchaseOrder, SupplierProfile

    wheat = SupplierProfile.objects.get(organisation__name="우리밀협동조합")
    institute = Organisation.objects.get(name="한국생산기술연구원")
    today = timezone.localdate()

    def request(title):
        return services.quotation_request_create(
            actor=users["researcher"],
            organisation=institute,
            title=title,
            delivery_place="본원 대강당",
            needed_by=today + dt.timedelta(days=30),
            reply_deadline=timezone.now() + dt.timedelta(days=3),
            lines=[{"description": "행사 다과", "quantity": 10, "unit": "세트"}],
            supplier_ids=[wheat.pk],
            send=True,
        )

    open_request, closed = request("매트릭스 견적요청"), request("매트릭스 마감 요청")
    draft = services.quotation_request_create(
        actor=users["researcher"],
        organisation=institute,
        title="매트릭스 임시 저장",
        delivery_place="본원",
        needed_by=today + dt.timedelta(days=30),
        reply_deadline=timezone.now() + dt.timedelta(days=3),
        lines=[{"description": "현수막", "quantity": 1, "unit": "장"}],
        supplier_ids=[wheat.pk],
    )
    quote = services.quote_submit(
        actor=users["supplier"],
        request=closed,
        supplier=wheat,
        lines=[{"line_id": closed.lines.get().pk, "unit_price": 5_000, "tax_type": "taxable"}],
        delivery_date=today + dt.timedelta(days=10),
        valid_until=today + dt.timedelta(days=20),
    )
    services.quotation_request_close(actor=users["researcher"], request=closed)
    return SimpleNamespace(
        wheat=wheat,
        institute=institute,
        open=open_request,
        closed=closed,
        draft=draft,
        quote=quote,
        po=PurchaseOrder.objects.get(request__title=DEMO_QUOTATION_TITLE),
    )


def quotation_form(w, role):
    import datetime as dt

    soon = timezone.localtime() + dt.timedelta(days=2)
    return {
        "organisation": w.pp.institute.pk,
        "title": f"매트릭스 신규 {role}",
        "delivery_place": "본원",
        "needed_by": (soon.date() + dt.timedelta(days=7)).isoformat(),
        "reply_deadline": soon.strftime("%Y-%m-%dT%H:%M"),
        "suppliers": [w.pp.wheat.pk],
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-description": "현수막",
        "lines-0-quantity": "2",
        "lines-0-unit": "장",
        "action": "send",
    }


def quote_form(w, role):
    import datetime as dt

    line = w.pp.open.lines.get()
    today = timezone.localdate()
    return {
        "supplier": w.pp.wheat.pk,
        "delivery_date": (today + dt.timedelta(days=5)).isoformat(),
        "valid_until": (today + dt.timedelta(days=30)).isoformat(),
        f"price_{line.pk}": "4400",
        f"tax_{line.pk}": "taxable",
    }


def _pp_status(attr, value):
    def check(w, role):
        obj = getattr(w.pp, attr)
        obj.refresh_from_db()
        return obj.status == value

    return check


PURCHASING_CASES: list[Case] = [
    get(
        "market/purchasing/requests/",
        lambda w: "/market/purchasing/requests/",
        only(STAFF | INSTITUTION),
    ),
    post(
        "market/purchasing/requests/",
        lambda w: "/market/purchasing/requests/",
        members_only(NOT_ALLOWED),
    ),
    get(
        "market/purchasing/requests/new/",
        lambda w: "/market/purchasing/requests/new/",
        only(INSTITUTION),
    ),
    post(
        "market/purchasing/requests/new/",
        lambda w: "/market/purchasing/requests/new/",
        only(INSTITUTION, REDIRECT),
        data=quotation_form,
        changes=INSTITUTION,
        effect=lambda w, r: (
            w.pp.institute.pk == QuotationRequestQ(title=f"매트릭스 신규 {r}", status="open")
        ),
    ),
    get(
        "market/purchasing/requests/<int:pk>/",
        lambda w: f"/market/purchasing/requests/{w.pp.closed.pk}/",
        only(PP_ALL),
    ),
    get(
        "market/purchasing/requests/<int:pk>/",
        lambda w: "/market/purchasing/requests/987654/",
        only(set()),
        variant="missing",
    ),
    post(
        "market/purchasing/requests/<int:pk>/",
        lambda w: f"/market/purchasing/requests/{w.pp.closed.pk}/",
        only(INSTITUTION, REDIRECT),
        data=lambda w, r: {"action": "award", "quote": w.pp.quote.pk},
        changes=INSTITUTION,
        effect=_pp_status("closed", "awarded"),
    ),
    get(
        "market/purchasing/requests/<int:pk>/quote/",
        lambda w: f"/market/purchasing/requests/{w.pp.open.pk}/quote/",
        only(PP_SUPPLIER),
    ),
    post(
        "market/purchasing/requests/<int:pk>/quote/",
        lambda w: f"/market/purchasing/requests/{w.pp.open.pk}/quote/",
        only(PP_SUPPLIER, REDIRECT),
        data=quote_form,
        changes=PP_SUPPLIER,
        effect=lambda w, r: w.pp.open.quotes.filter(supplier=w.pp.wheat, total=44_000).exists(),
    ),
    get(
        "market/purchasing/incoming/",
        lambda w: "/market/purchasing/incoming/",
        only(STAFF | PP_SUPPLIER),
    ),
    post(
        "market/purchasing/incoming/",
        lambda w: "/market/purchasing/incoming/",
        members_only(NOT_ALLOWED),
    ),
    get("market/purchasing/orders/", lambda w: "/market/purchasing/orders/", only(PP_ALL)),
    post(
        "market/purchasing/orders/",
        lambda w: "/market/purchasing/orders/",
        members_only(NOT_ALLOWED),
    ),
    get(
        "market/purchasing/orders/<int:pk>/",
        lambda w: f"/market/purchasing/orders/{w.pp.po.pk}/",
        only(PP_ALL),
    ),
    post(
        "market/purchasing/orders/<int:pk>/",
        lambda w: f"/market/purchasing/orders/{w.pp.po.pk}/",
        # the institution may post, but accepting is the supplier's: an error message, no change
        only(INSTITUTION | PP_SUPPLIER, REDIRECT),
        data=lambda w, r: {"action": "accept"},
        changes=PP_SUPPLIER,
        effect=_pp_status("po", "accepted"),
    ),
    get(
        "market/purchasing/orders/<int:pk>/tax-invoice/",
        lambda w: f"/market/purchasing/orders/{w.pp.po.pk}/tax-invoice/",
        only(PP_ALL),
    ),
    get(
        "market/purchasing/orders/<int:pk>/tax-invoice/",
        lambda w: f"/market/purchasing/orders/{w.pp.po.pk}/tax-invoice/?format=xlsx",
        only(PP_ALL),
        variant="xlsx",
    ),
    get(
        "market/purchasing/orders/<int:pk>/tax-invoice/",
        lambda w: "/market/purchasing/orders/987654/tax-invoice/",
        only(set()),
        variant="missing",
    ),
    post(
        "market/purchasing/orders/<int:pk>/tax-invoice/",
        lambda w: f"/market/purchasing/orders/{w.pp.po.pk}/tax-invoice/",
        members_only(NOT_ALLOWED),
    ),
    get("market/purchasing/report/", lambda w: "/market/purchasing/report/", members_only()),
    get(
        "market/purchasing/report/",
        lambda w: (
            f"/market/purchasing/report/?organisation={w.pp.institute.pk}"
            f"&year={timezone.localdate().year}&format=xlsx"
        ),
        members_only(),
        variant="xlsx",
    ),
    get(
        "market/purchasing/report/",
        lambda w: (
            f"/market/purchasing/report/?organisation={w.pp.institute.pk}"
            f"&year={timezone.localdate().year}&format=csv"
        ),
        members_only(),
        variant="csv",
    ),
    post(
        "market/purchasing/report/",
        lambda w: "/market/purchasing/report/",
        members_only(NOT_ALLOWED),
    ),
]
CASES += PURCHASING_CASES


def QuotationRequestQ(**kw):  # noqa: N802
    from dure.market.models import QuotationRequest

    found = QuotationRequest.objects.filter(**kw).first()
    return found.buyer_organisation_id if found else None


# === end of public purchasing ===================================================================


def SellerProfileQ(**kw):  # noqa: N802 - reads like a lookup in the table above
    from dure.market.models import SellerProfile

    return SellerProfile.objects.filter(**kw).exists()


def MarketDayQ(**kw):  # noqa: N802
    from dure.market.models import MarketDay

    return MarketDay.objects.filter(**kw).exists()


def _params():
    for case in CASES:
        for role in ROLES:
            yield pytest.param(case, role, id=f"{case.id}-{role}")


@pytest.mark.parametrize(("case", "role"), list(_params()))
def test_market_page_permission_matrix(case: Case, role: str, world, client_for):
    client = client_for(role)
    path = case.path(world)
    data = case.data(world, role) if case.data else {}
    expected = case.expected[role]
    before = market_state()

    response = client.get(path) if case.method == "GET" else client.post(path, data)

    if expected == LOGIN:
        assert response.status_code == 302, (path, response.status_code)
        assert response["Location"].startswith("/accounts/login/?next="), response["Location"]
    elif expected == REDIRECT:
        assert response.status_code == 302, (path, response.status_code)
        assert not response["Location"].startswith("/accounts/login/"), response["Location"]
    else:
        assert response.status_code == expected, (path, response.status_code)

    if role in case.changes and expected in (REDIRECT, OK):
        if case.effect is not None:
            assert case.effect(world, role), "an allowed request must do what it asks"
    else:
        assert market_state() == before, "a refused (or read-only) request changed the database"


def test_every_market_url_has_a_matrix_entry():
    routes = {r for r in _routes(get_resolver().url_patterns) if r.startswith("market/")}
    covered: dict[str, set[str]] = {}
    for case in CASES:
        covered.setdefault(case.route, set()).add(case.method)
    missing = sorted(r for r in routes if covered.get(r) != {"GET", "POST"})
    assert not missing, f"market URLs without a GET and a POST entry in the matrix: {missing}"
    stale = sorted(set(covered) - routes)
    assert not stale, f"matrix entries for URLs that no longer exist: {stale}"


def test_every_case_names_every_role():
    for case in CASES:
        assert set(case.expected) == set(ROLES), case.id
