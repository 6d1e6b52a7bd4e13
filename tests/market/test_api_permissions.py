"""Who may call what in the market API: every /api/v1/market operation of the OpenAPI schema ×
every demo role, with the exact status; refused calls change nothing.

The same rules as the pages: products are public; carts and checkout need an account; an order
is its buyer's (``coop``) and the operator's (``admin``, ``center``); shipping and refund
decisions are the supplier's (``supplier`` for 우리밀협동조합) and the operator's; settlements are
the operator's; statements are the MC's, CC's and supplier's own. Something the caller may not
see is a 404, something they may see but not do a 403, a call without credentials a 401.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone
from test_permissions_pages import world_fixtures

from .test_permissions_pages import (
    BUYER,
    INSTITUTION,
    PP_ALL,
    PP_SUPPLIER,
    STAFF,
    STATEMENT,
    WHEAT,
    market_state,
    purchasing_world,
)

pytestmark = pytest.mark.django_db

from dure.directory.demo import DEMO_USERNAMES, demo_business_number  # noqa: E402

ROLES = ["anonymous", *DEMO_USERNAMES]
LOGGED_IN = [r for r in ROLES if r != "anonymous"]
API = "/api/v1"


def expect(default: int, *, anonymous: int | None = 401, **groups: Any) -> dict[str, int]:
    out = dict.fromkeys(ROLES, default)
    for roles, status in groups.values():
        for role in roles:
            out[role] = status
    if anonymous is not None:
        out["anonymous"] = anonymous
    return out


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    statuses: dict[str, int]
    target: Callable[[Any], int] | None = None
    body: Callable[[Any, str], Any] | None = None
    key: bool = False
    query: Callable[[Any], str] | None = None
    effect: Callable[[Any, str], bool] | None = None
    form: Callable[[Any, str], dict[str, Any]] | None = None  # multipart instead of JSON

    @property
    def operation(self) -> str:
        return f"{self.method} {API}{self.path}"

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def build_api_world(users, org):
    from dure.market import services
    from dure.market.models import Order, Product, SubOrder

    wheat = Product.objects.get(name="우리밀 통밀가루 1kg")
    paid = services.checkout(
        buyer=users["coop"],
        lines=[(wheat.pk, 3)],
        idempotency_key="api-matrix",
        payment_method="invoice",
    ).order
    services.payment_confirm(actor=users["admin"], order=paid)
    delivered = SubOrder.objects.get(
        order__idempotency_key="demo-order-1", supplier__organisation__name="우리밀협동조합"
    )
    refund = services.refund_request(actor=users["coop"], suborder=delivered, reason="API 환불")
    return SimpleNamespace(
        users=users,
        product=wheat,
        order=Order.objects.get(idempotency_key="demo-order-1"),
        unpaid=Order.objects.get(idempotency_key="demo-order-3"),
        paid_sub=paid.suborders.get(),
        refund=refund,
        pp=purchasing_world(users),  # public purchasing (see the block below MATRIX)
    )


_world_once, api_world = world_fixtures(build_api_world, name="api_world")


def status_is(attr, value):
    def check(w, role):
        obj = getattr(w, attr)
        obj.refresh_from_db()
        return obj.status == value

    return check


MATRIX = [
    Case("GET", "/market/products", expect(200, anonymous=200)),
    Case("GET", "/market/products/{id}", expect(200, anonymous=200), target=lambda w: w.product.pk),
    Case("GET", "/market/cart", expect(200)),
    Case(
        "PUT",
        "/market/cart",
        expect(200),
        body=lambda w, r: {"product_id": w.product.pk, "quantity": 2},
        effect=lambda w, r: w.users[r].market_cart.lines.filter(product=w.product).exists(),
    ),
    Case(
        "POST",
        "/market/checkout",
        expect(201),
        body=lambda w, r: {
            "lines": [{"product_id": w.product.pk, "quantity": 1}],
            "payment_method": "invoice",
        },
        key=True,
        effect=lambda w, r: w.users[r].market_orders.filter(idempotency_key=f"api-{r}").exists(),
    ),
    Case("GET", "/market/orders", expect(200)),
    Case("GET", "/market/orders/{id}", expect(404, yes=(BUYER, 200)), target=lambda w: w.order.pk),
    Case(
        "POST",
        "/market/orders/{id}/cancel",
        expect(404, yes=(BUYER, 200)),
        target=lambda w: w.unpaid.pk,
        effect=status_is("unpaid", "cancelled"),
    ),
    Case(
        "POST",
        "/market/orders/{id}/confirm-payment",
        expect(404, yes=(STAFF, 200), seen=({"coop"}, 403)),
        target=lambda w: w.unpaid.pk,
        effect=status_is("unpaid", "paid"),
    ),
    Case(
        "POST",
        "/market/suborders/{id}/ship",
        expect(404, yes=(WHEAT, 200)),
        target=lambda w: w.paid_sub.pk,
        body=lambda w, r: {"tracking": "API-1"},
        effect=status_is("paid_sub", "shipped"),
    ),
    Case(
        "GET",
        "/market/suborders/{id}/tax-invoice",
        expect(404, yes=(BUYER | WHEAT, 200)),
        target=lambda w: w.paid_sub.pk,
    ),
    Case(
        "POST",
        "/market/suborders/{id}/refunds",
        expect(404, yes=(BUYER, 201)),
        target=lambda w: w.paid_sub.pk,
        body=lambda w, r: {"reason": "API 환불 요청"},
        effect=lambda w, r: w.paid_sub.refunds.filter(reason="API 환불 요청").exists(),
    ),
    Case(
        "POST",
        "/market/refunds/{id}/complete",
        expect(404, yes=(WHEAT, 200)),
        target=lambda w: w.refund.pk,
        effect=status_is("refund", "completed"),
    ),
    Case(
        "GET",
        "/market/priority-purchases",
        expect(404, yes=(STAFF | {"coop", "member"}, 200)),
        query=lambda w: f"?organisation_id={w.order.buyer_organisation_id}&year=2026",
    ),
    Case("GET", "/market/settlements", expect(403, yes=(STAFF, 200))),
    Case(
        "POST",
        "/market/settlements",
        expect(403, yes=(STAFF, 201)),
        body=lambda w, r: {
            "period_start": timezone.localdate().isoformat(),
            "period_end": timezone.localdate().isoformat(),
        },
        key=True,
        effect=lambda w, r: (
            __import__("dure.market.models", fromlist=["Settlement"])
            .Settlement.objects.filter(idempotency_key=f"api-{r}")
            .exists()
        ),
    ),
    Case("GET", "/market/statements", expect(404, yes=(STATEMENT, 200))),
]

# --- self-service operations (the pages' supplier application and review, MC/CC registration,
# products, a supplier's orders and refunds, payments, rates, market days) -------------------------


def _m():
    from dure.market import models

    return models


def _applied(w):
    return _m().SupplierProfile.objects.get(organisation__name="마을카페그물코협동조합")


def _wheat(w):
    return _m().SupplierProfile.objects.get(organisation__name="우리밀협동조합")


def _serio():
    from dure.directory.models import Organisation

    return Organisation.objects.get(name="세리오협동조합")


def _shipped(w):
    return _m().SubOrder.objects.get(
        order__idempotency_key="demo-order-2", supplier__organisation__name="우리밀협동조합"
    )


def _day(w):
    return _m().MarketDay.objects.get_or_create(
        name="API 매트릭스 장터", held_on=timezone.localdate(), location="역 광장"
    )[0]


def _png(w, role):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "orange").save(buffer, format="PNG")
    return {
        "image": SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png"),
        "image_alt": f"통밀가루 봉지 ({role})",
    }


def _exists(model, **lookup):
    return lambda w, r: (
        getattr(_m(), model)
        .objects.filter(**{k: (v(w, r) if callable(v) else v) for k, v in lookup.items()})
        .exists()
    )


SELF_SERVICE = [
    Case("GET", "/market/supplier-applications", expect(200)),
    Case(
        "POST",
        "/market/supplier-applications",
        # only 세리오협동조합's chair may apply it (the page offers no one else that choice)
        expect(403, yes=({"coop"}, 201)),
        body=lambda w, r: {
            "organisation_id": _serio().pk,
            "business_number": demo_business_number(77_011),
            "economy_type": "cooperative",
            "introduction": "두유 월 200병",
        },
        effect=_exists("SupplierProfile", organisation__name="세리오협동조합", status="applied"),
    ),
    Case("GET", "/market/suppliers", expect(403, yes=(STAFF, 200))),
    Case(
        "GET",
        "/market/suppliers/{id}",
        expect(404, yes=(STAFF, 200)),
        target=lambda w: _applied(w).pk,
    ),
    Case(
        "POST",
        "/market/suppliers/{id}/review",
        expect(404, yes=(STAFF, 200)),
        target=lambda w: _applied(w).pk,
        body=lambda w, r: {"step": "survey", "record": "월 500개 공급 가능"},
        effect=lambda w, r: _applied(w).status == "surveyed",
    ),
    Case("GET", "/market/participants", expect(403, yes=(STAFF, 200))),
    Case("GET", "/market/referrers/me", expect(200)),
    Case(
        "POST",
        "/market/referrers",
        expect(201),
        body=lambda w, r: {"kind": "seller", "display_name": f"API {r}"},
        effect=_exists("SellerProfile", display_name=lambda w, r: f"API {r}"),
    ),
    Case("GET", "/market/categories", expect(200, anonymous=200)),
    Case("GET", "/market/supplier/products", expect(403, yes=(WHEAT, 200))),
    Case(
        "POST",
        "/market/products",
        expect(403, yes=(WHEAT, 201)),
        body=lambda w, r: {
            "supplier_id": _wheat(w).pk,
            "category_id": w.product.category_id,
            "name": f"API 상품 {r}",
            "price": 12_000,
            "stock": 5,
        },
        effect=_exists("Product", name=lambda w, r: f"API 상품 {r}"),
    ),
    Case(
        "PATCH",
        "/market/products/{id}",
        expect(404, yes=(WHEAT, 200)),
        target=lambda w: w.product.pk,
        body=lambda w, r: {"price": 12_345},
        effect=_exists("Product", pk=lambda w, r: w.product.pk, price=12_345),
    ),
    Case(
        "POST",
        "/market/products/{id}/image",
        expect(404, yes=(WHEAT, 200)),
        target=lambda w: w.product.pk,
        form=_png,
        effect=_exists("Product", pk=lambda w, r: w.product.pk, image_alt__startswith="통밀가루"),
    ),
    Case("GET", "/market/supplier/suborders", expect(403, yes=(WHEAT, 200))),
    Case(
        "POST",
        "/market/suborders/{id}/deliver",
        expect(404, yes=(WHEAT, 200)),
        target=lambda w: _shipped(w).pk,
        effect=lambda w, r: _shipped(w).status == "delivered",
    ),
    Case("GET", "/market/supplier/refunds", expect(403, yes=(WHEAT, 200))),
    Case(
        "POST",
        "/market/refunds/{id}/reject",
        expect(404, yes=(WHEAT, 200)),
        target=lambda w: w.refund.pk,
        effect=status_is("refund", "rejected"),
    ),
    Case("GET", "/market/payments", expect(403, yes=(STAFF, 200))),
    Case("GET", "/market/commission-rules", expect(403, yes=(STAFF, 200))),
    Case(
        "POST",
        "/market/commission-rules",
        expect(403, yes=(STAFF, 201)),
        body=lambda w, r: {
            "kind": "seller",
            "scope": "supplier",
            "supplier_id": _wheat(w).pk,
            "rate_bp": 450,
        },
        effect=_exists(
            "CommissionRule",
            scope="supplier",
            kind="seller",
            supplier=lambda w, r: _wheat(w),
            rate_bp=450,
        ),
    ),
    Case(
        "DELETE",
        "/market/commission-rules/{id}",
        expect(404, yes=(STAFF, 204)),
        target=lambda w: _m().CommissionRule.objects.get(scope="platform", kind="creator").pk,
        effect=lambda w, r: not _exists("CommissionRule", scope="platform", kind="creator")(w, r),
    ),
    Case("GET", "/market/market-days", expect(403, yes=(STAFF, 200))),
    Case(
        "POST",
        "/market/market-days",
        expect(403, yes=(STAFF, 201)),
        body=lambda w, r: {
            "name": f"장터 {r}",
            "held_on": timezone.localdate().isoformat(),
            "location": "역 앞",
        },
        effect=_exists("MarketDay", name=lambda w, r: f"장터 {r}"),
    ),
    Case(
        "GET",
        "/market/market-days/{id}",
        expect(404, yes=(STAFF, 200)),
        target=lambda w: _day(w).pk,
    ),
    Case(
        "POST",
        "/market/market-days/{id}/sales",
        expect(404, yes=(STAFF, 201)),
        target=lambda w: _day(w).pk,
        body=lambda w, r: {"lines": [{"product_id": w.product.pk, "quantity": 2}]},
        key=True,
        effect=lambda w, r: _day(w).orders.filter(total__gt=0, status="paid").exists(),
    ),
]
MATRIX += SELF_SERVICE
# --- end of the self-service operations -----------------------------------------------------------


# === Public purchasing (api_purchasing.py) ======================================================
# The institution (``researcher``) writes, sends, closes, cancels and awards; the supplier
# (``supplier``) quotes and accepts; the operator reads. Seen but not allowed: 403.

SEES_DRAFT = STAFF | INSTITUTION


def _pp_is(attr, value):
    def check(w, role):
        obj = getattr(w.pp, attr)
        obj.refresh_from_db()
        return obj.status == value

    return check


def _request_sent(title, institute):
    from dure.market.models import QuotationRequest

    return QuotationRequest.objects.filter(
        title=title, status="open", buyer_organisation=institute
    ).exists()


def _new_request_body(w, role):
    soon = timezone.now() + dt.timedelta(days=2)
    return {
        "organisation_id": w.pp.institute.pk,
        "title": f"API 견적요청 {role}",
        "delivery_place": "본원",
        "needed_by": (timezone.localdate() + dt.timedelta(days=20)).isoformat(),
        "reply_deadline": soon.isoformat(),
        "lines": [{"description": "현수막", "quantity": 2, "unit": "장"}],
        "supplier_ids": [w.pp.wheat.pk],
        "send": True,
    }


def _quote_body(w, role):
    return {
        "lines": [
            {"line_id": w.pp.open.lines.get().pk, "unit_price": 4_400, "tax_type": "taxable"}
        ],
        "delivery_date": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        "valid_until": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        # ignored: totals are computed on the server
        "total": 1,
    }


PURCHASING_MATRIX = [
    Case("GET", "/market/quotation-requests", expect(200)),
    Case(
        "POST",
        "/market/quotation-requests",
        expect(403, yes=(INSTITUTION, 201)),
        body=_new_request_body,
        effect=lambda w, r: _request_sent(f"API 견적요청 {r}", w.pp.institute),
    ),
    Case(
        "GET",
        "/market/quotation-requests/{id}",
        expect(404, yes=(PP_ALL, 200)),
        target=lambda w: w.pp.closed.pk,
    ),
    Case(
        "POST",
        "/market/quotation-requests/{id}/send",
        expect(404, yes=(INSTITUTION, 200), seen=(STAFF, 403)),
        target=lambda w: w.pp.draft.pk,
        effect=_pp_is("draft", "open"),
    ),
    Case(
        "POST",
        "/market/quotation-requests/{id}/close",
        expect(404, yes=(INSTITUTION, 200), seen=(STAFF | PP_SUPPLIER, 403)),
        target=lambda w: w.pp.open.pk,
        effect=_pp_is("open", "closed"),
    ),
    Case(
        "POST",
        "/market/quotation-requests/{id}/cancel",
        expect(404, yes=(INSTITUTION, 200), seen=(STAFF | PP_SUPPLIER, 403)),
        target=lambda w: w.pp.open.pk,
        effect=_pp_is("open", "cancelled"),
    ),
    Case(
        "PUT",
        "/market/quotation-requests/{id}/quote",
        expect(404, yes=(PP_SUPPLIER, 201), seen=(STAFF | INSTITUTION, 403)),
        target=lambda w: w.pp.open.pk,
        body=_quote_body,
        effect=lambda w, r: w.pp.open.quotes.filter(supplier=w.pp.wheat, total=44_000).exists(),
    ),
    Case(
        "POST",
        "/market/quotation-requests/{id}/award",
        expect(404, yes=(INSTITUTION, 201), seen=(STAFF | PP_SUPPLIER, 403)),
        target=lambda w: w.pp.closed.pk,
        body=lambda w, r: {"quote_id": w.pp.quote.pk},
        effect=_pp_is("closed", "awarded"),
    ),
    Case("GET", "/market/purchase-orders", expect(200)),
    Case(
        "GET",
        "/market/purchase-orders/{id}",
        expect(404, yes=(PP_ALL, 200)),
        target=lambda w: w.pp.po.pk,
    ),
    Case(
        "GET",
        "/market/purchase-orders/{id}/tax-invoice",
        expect(404, yes=(PP_ALL, 200)),
        target=lambda w: w.pp.po.pk,
    ),
    Case(
        "POST",
        "/market/purchase-orders/{id}/transitions",
        expect(404, yes=(PP_SUPPLIER, 200), seen=(STAFF | INSTITUTION, 403)),
        target=lambda w: w.pp.po.pk,
        body=lambda w, r: {"action": "accept"},
        effect=_pp_is("po", "accepted"),
    ),
]
MATRIX += PURCHASING_MATRIX
# === end of public purchasing ===================================================================


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", MATRIX, ids=lambda c: c.id)
def test_market_api_role_gets_the_expected_status(case, role, client_for, api_world):
    client = client_for(role)
    path = API + case.path
    if case.target:
        path = path.replace("{id}", str(case.target(api_world)))
    if case.query:
        path += case.query(api_world)
    kwargs: dict[str, Any] = {"content_type": "application/json"}
    if case.form:
        kwargs = {"data": case.form(api_world, role)}
    elif case.body or case.method != "GET":
        kwargs["data"] = json.dumps(case.body(api_world, role) if case.body else {})
    if case.key:
        kwargs["HTTP_IDEMPOTENCY_KEY"] = f"api-{role}"
    before = market_state()

    response = getattr(client, case.method.lower())(path, **kwargs)

    expected = case.statuses[role]
    assert response.status_code == expected, response.content.decode()[:500]
    assert response["Content-Type"].startswith("application/json")
    if expected >= 400:
        assert set(response.json()) >= {"code", "message", "field"}
    if case.method == "GET" or expected >= 400:
        assert market_state() == before, "a refused or read-only call changed the database"
    elif case.effect is not None:
        assert case.effect(api_world, role), "an allowed call must do what it asks"


def test_every_market_operation_has_an_entry(client):
    schema = client.get(f"{API}/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"} and path.startswith(f"{API}/market/")
    }
    covered = {case.operation for case in MATRIX}
    assert operations - covered == set(), "add these operations to MATRIX"
    assert covered - operations == set(), "MATRIX lists operations the API no longer has"


def test_every_case_decides_every_role():
    for case in MATRIX:
        assert set(case.statuses) == set(ROLES), case.id
