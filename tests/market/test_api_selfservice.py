"""The market API's self-service operations, as the pages do them: supplier application and
review, MC/CC registration, a supplier's products, orders and refunds, payments, commission
rates and offline market days. Each happy path does what it says; bad input is a 4xx with a
stable code and a Korean message, and writes nothing."""

from __future__ import annotations

import io
import json
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dure.directory.demo import demo_business_number
from dure.directory.models import Organisation
from dure.market.models import (
    CommissionRule,
    MarketDay,
    Order,
    Product,
    SellerProfile,
    SubOrder,
    SupplierProfile,
)

from .test_permissions_pages import market_state

pytestmark = pytest.mark.django_db

API = "/api/v1/market"


def send(client, method, path, body=None, **extra):
    kwargs = {"content_type": "application/json", **extra}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(API + path, **kwargs)


def refused(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    assert response.status_code == status, response.content.decode()[:500]
    body = response.json()
    if code is not None:
        assert code in {body["code"], *(e["code"] for e in body.get("errors") or [])}, body
    if field is not None:
        assert field in {body["field"], *(e["field"] for e in body.get("errors") or [])}, body
    assert body["message"]
    return body


@pytest.fixture
def unchanged():
    """``with unchanged(): ...`` — the block must not write anything."""
    from contextlib import contextmanager

    from dure.core.models import AuditEvent

    def state():
        # a client logging in (``client_for``) is audited; that is not the request's doing
        return {
            **market_state(),
            "audit": AuditEvent.objects.exclude(action="auth.login").count(),
        }

    @contextmanager
    def check():
        before = state()
        yield
        assert state() == before, "refused input changed the database"

    return check


def png(name="p.png") -> SimpleUploadedFile:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def serio() -> Organisation:
    return Organisation.objects.get(name="세리오협동조합")


def wheat() -> SupplierProfile:
    return SupplierProfile.objects.get(organisation__name="우리밀협동조합")


def _wrong_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


BAD_NUMBER = _wrong_check_digit(demo_business_number(77_023))


def category_id() -> int:
    return Product.objects.get(name="우리밀 통밀가루 1kg").category_id


# --- supplier application and review --------------------------------------------------------------


def _application(**over):
    return {
        "organisation_id": serio().pk,
        "business_number": demo_business_number(77_021),
        "economy_type": "cooperative",
        "introduction": "두유 월 200병",
        **over,
    }


def test_apply_review_approve_then_sell_through_the_api(client_for):
    coop, admin = client_for("coop"), client_for("admin")
    listed = send(coop, "get", "/supplier-applications").json()
    assert serio().pk in [o["id"] for o in listed["organisations"]]

    created = send(coop, "post", "/supplier-applications", _application())
    assert created.status_code == 201, created.content
    supplier_id = created.json()["id"]
    assert created.json()["status"] == "applied"
    listed = send(coop, "get", "/supplier-applications").json()
    assert [a["id"] for a in listed["applications"]] == [supplier_id]
    assert serio().pk not in [o["id"] for o in listed["organisations"]]
    assert supplier_id in [s["id"] for s in send(admin, "get", "/suppliers?status=applied").json()]

    for step, record in (("survey", "월 200병 공급 가능"), ("inspect", "공장 위생 양호")):
        response = send(
            admin, "post", f"/suppliers/{supplier_id}/review", {"step": step, "record": record}
        )
        assert response.status_code == 200, response.content
    approved = send(admin, "post", f"/suppliers/{supplier_id}/review", {"step": "approve"})
    assert approved.json()["status"] == "approved"
    assert approved.json()["capacity_survey"] == "월 200병 공급 가능"
    assert approved.json()["inspection_record"] == "공장 위생 양호"

    product = send(
        coop,
        "post",
        "/products",
        {
            "supplier_id": supplier_id,
            "category_id": category_id(),
            "name": "세리오 두유 1L",
            "price": 4_500,
            "tax_type": "exempt",
            "stock": 40,
            "unit": "병",
        },
    )
    assert product.status_code == 201, product.content
    assert product.json()["tax_type"] == "exempt" and product.json()["stock"] == 40
    catalogue = send(client_for("anonymous"), "get", "/products").json()
    assert "세리오 두유 1L" in [p["name"] for p in catalogue]


@pytest.mark.parametrize(
    ("over", "status", "code", "field"),
    [
        ({"business_number": BAD_NUMBER}, 422, "invalid_business_number", "business_number"),
        ({"business_number": "12345"}, 422, "invalid_business_number", "business_number"),
        ({"business_number": ""}, 422, "invalid_business_number", "business_number"),
        ({"economy_type": "corporation"}, 422, "invalid_choice", "economy_type"),
        ({"organisation_id": 987_654}, 422, "invalid_choice", "organisation_id"),
        ({"introduction": "가" * 3001}, 422, "max_length", "introduction"),
    ],
)
def test_bad_applications_write_nothing(client_for, unchanged, over, status, code, field):
    with unchanged():
        refused(
            send(client_for("coop"), "post", "/supplier-applications", _application(**over)),
            status,
            code,
            field,
        )


def test_an_organisation_applies_once_and_only_its_people_apply(client_for, unchanged):
    coop = client_for("coop")
    assert send(coop, "post", "/supplier-applications", _application()).status_code == 201
    with unchanged():
        again = _application(business_number=demo_business_number(77_022))
        refused(
            send(coop, "post", "/supplier-applications", again), 422, "duplicate", "organisation"
        )
        wheat_org = wheat().organisation_id
        refused(
            send(
                client_for("member"),
                "post",
                "/supplier-applications",
                _application(organisation_id=wheat_org),
            ),
            403,
            "forbidden",
        )


def test_review_steps_in_order_with_records(client_for, unchanged):
    admin = client_for("admin")
    applied = SupplierProfile.objects.get(organisation__name="마을카페그물코협동조합")
    path = f"/suppliers/{applied.pk}/review"
    with unchanged():
        refused(send(admin, "post", path, {"step": "approve"}), 409, "bad_transition")
        refused(
            send(admin, "post", path, {"step": "inspect", "record": "x"}), 409, "bad_transition"
        )
        refused(
            send(admin, "post", path, {"step": "survey", "record": "   "}),
            422,
            "required",
            "record",
        )
        refused(send(admin, "post", path, {"step": "reject"}), 422, "required", "reason")
        refused(send(admin, "post", path, {"step": "promote"}), 422, "invalid_choice", "step")
        refused(send(admin, "post", "/suppliers/987654/review", {"step": "survey"}), 404)
    rejected = send(admin, "post", path, {"step": "reject", "reason": "공급 역량 부족"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejection_reason"] == "공급 역량 부족"
    refused(send(admin, "get", "/suppliers?status=nonsense"), 422, "invalid_choice", "status")


def test_participants_against_the_yearly_targets(client_for):
    body = send(client_for("center"), "get", "/participants").json()
    approved = SupplierProfile.objects.filter(status="approved").count()
    assert body["suppliers"]["count"] == approved and body["suppliers"]["target"] == 50
    assert body["sellers"]["target"] == 20
    assert send(client_for("coop"), "get", "/participants").status_code == 403


# --- MC/CC registration ---------------------------------------------------------------------------


def test_register_as_mc_and_cc_and_read_the_links(client_for, users):
    member = client_for("member")
    mc = send(member, "post", "/referrers", {"kind": "seller", "display_name": " 동네 MC "})
    assert mc.status_code == 201, mc.content
    assert mc.json()["referral_code"].startswith("M") and mc.json()["display_name"] == "동네 MC"
    assert mc.json()["link"].endswith(f"/market/r/{mc.json()['referral_code']}/")
    cc = send(member, "post", "/referrers", {"kind": "creator", "display_name": "동네 CC"})
    assert cc.json()["referral_code"].startswith("C")
    mine = send(member, "get", "/referrers/me").json()
    assert [(p["kind"], p["referral_code"]) for p in mine] == [
        ("seller", mc.json()["referral_code"]),
        ("creator", cc.json()["referral_code"]),
    ]
    # the link works: a click through it attributes a checkout by someone else
    assert client_for("coop").get(f"/market/r/{mc.json()['referral_code']}/").status_code == 302


def test_register_for_ones_own_organisation_only(client_for, unchanged):
    coop = client_for("coop")
    with unchanged():
        refused(
            send(
                coop,
                "post",
                "/referrers",
                {"kind": "seller", "display_name": "x", "organisation_id": wheat().organisation_id},
            ),
            422,
            "invalid_choice",
            "organisation_id",
        )
        refused(
            send(coop, "post", "/referrers", {"kind": "boss", "display_name": "x"}),
            422,
            "invalid_choice",
            "kind",
        )
        refused(
            send(coop, "post", "/referrers", {"kind": "seller", "display_name": ""}),
            422,
            field="display_name",
        )
        refused(
            send(coop, "post", "/referrers", {"kind": "seller", "display_name": "   "}),
            422,
            field="display_name",
        )
        refused(
            send(coop, "post", "/referrers", {"kind": "seller", "display_name": "가" * 61}),
            422,
            "max_length",
        )
    ok = send(
        coop,
        "post",
        "/referrers",
        {"kind": "seller", "display_name": "세리오 MC", "organisation_id": serio().pk},
    )
    assert ok.status_code == 201 and ok.json()["organisation_id"] == serio().pk
    assert SellerProfile.objects.get(pk=ok.json()["id"]).organisation == serio()


# --- a supplier's products --------------------------------------------------------------------------


def _new_product(**over):
    return {
        "supplier_id": wheat().pk,
        "category_id": category_id(),
        "name": "우리밀 건빵",
        "price": 3_300,
        "stock": 12,
        **over,
    }


def test_products_create_edit_image_and_listing(client_for):
    supplier = client_for("supplier")
    created = send(supplier, "post", "/products", _new_product(active=False))
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    assert created.json()["price"] == 3_300 and created.json()["image_url"] is None
    mine = send(supplier, "get", "/supplier/products").json()
    assert pid in [p["id"] for p in mine]  # inactive: the supplier still sees it
    assert pid not in [p["id"] for p in send(client_for("anonymous"), "get", "/products").json()]

    edited = send(
        supplier,
        "patch",
        f"/products/{pid}",
        {"price": 3_500, "stock": 0, "tax_type": "zero_rated", "active": True},
    )
    assert edited.status_code == 200, edited.content
    product = Product.objects.get(pk=pid)
    assert (product.price, product.stock, product.tax_type, product.active) == (
        3_500,
        0,
        "zero_rated",
        True,
    )
    assert product.name == "우리밀 건빵"  # what was not sent stays

    uploaded = supplier.post(
        f"{API}/products/{pid}/image", {"image": png(), "image_alt": "건빵 한 봉지"}
    )
    assert uploaded.status_code == 200, uploaded.content
    assert uploaded.json()["image_alt"] == "건빵 한 봉지" and uploaded.json()["image_url"]
    # once there is an image its alt text cannot be emptied
    refused(
        send(supplier, "patch", f"/products/{pid}", {"image_alt": ""}),
        422,
        "alt_required",
        "image_alt",
    )


@pytest.mark.parametrize(
    ("over", "code", "field"),
    [
        ({"price": -1}, "min_value", "price"),
        ({"price": 1.5}, "invalid_integer", "price"),
        ({"stock": -3}, "min_value", "stock"),
        ({"stock": 2**31}, "max_value", "stock"),
        ({"name": ""}, None, "name"),
        ({"category_id": 987_654}, "required", "category_id"),
        ({"tax_type": "vat"}, "invalid_choice", "tax_type"),
        ({"supplier_id": 987_654}, "invalid_choice", "supplier_id"),
    ],
)
def test_bad_products_write_nothing(client_for, unchanged, over, code, field):
    with unchanged():
        refused(
            send(client_for("supplier"), "post", "/products", _new_product(**over)),
            422,
            code,
            field,
        )


def test_product_edit_is_the_suppliers_own(client_for, unchanged):
    other = Product.objects.exclude(supplier=wheat()).filter(active=True).first()
    mine = Product.objects.get(name="우리밀 통밀가루 1kg")
    supplier = client_for("supplier")
    with unchanged():
        refused(send(supplier, "patch", f"/products/{other.pk}", {"price": 1}), 404)
        refused(
            send(supplier, "patch", f"/products/{mine.pk}", {"price": -5}),
            422,
            "min_value",
            "price",
        )
        refused(
            send(supplier, "patch", f"/products/{mine.pk}", {"supplier_id": 1}),
            422,
            "unknown_field",
        )
        refused(
            send(supplier, "patch", f"/products/{mine.pk}", {"category_id": 987_654}),
            422,
            "required",
            "category_id",
        )
        refused(send(client_for("coop"), "post", "/products", _new_product()), 403, "forbidden")
        # another supplier's id is no choice for this supplier
        refused(
            send(supplier, "post", "/products", _new_product(supplier_id=other.supplier_id)),
            422,
            "invalid_choice",
            "supplier_id",
        )


def test_bad_images_write_nothing(client_for, unchanged):
    mine = Product.objects.get(name="우리밀 통밀가루 1kg")
    supplier = client_for("supplier")
    path = f"{API}/products/{mine.pk}/image"
    with unchanged():
        refused(
            supplier.post(path, {"image": png(), "image_alt": ""}), 422, "alt_required", "image_alt"
        )
        refused(supplier.post(path, {"image": png()}), 422, "required", "image_alt")
        fake = SimpleUploadedFile("x.png", b"MZ not an image", content_type="image/png")
        refused(
            supplier.post(path, {"image": fake, "image_alt": "설명"}), 422, "invalid_image", "image"
        )
        refused(supplier.post(path, {"image_alt": "설명"}), 422, "required", "image")
        # a real PNG over the size limit (noise does not compress)
        from PIL import Image

        buffer = io.BytesIO()
        Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3)).save(buffer, "PNG")
        big = SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")
        assert big.size > 5 * 1024 * 1024
        refused(
            supplier.post(path, {"image": big, "image_alt": "설명"}),
            422,
            "image_too_large",
            "image",
        )


# --- a supplier's orders and refunds ------------------------------------------------------------------


def test_supplier_lists_delivers_and_rejects(client_for, users, unchanged):
    from dure.market import services

    supplier = client_for("supplier")
    rows = send(supplier, "get", "/supplier/suborders").json()
    assert rows and {r["supplier"] for r in rows} == {"우리밀협동조합"}
    assert all(r["status"] != "placed" for r in rows) and all(
        r["order_number"].startswith("M") for r in rows
    )

    shipped = SubOrder.objects.get(order__idempotency_key="demo-order-2", supplier=wheat())
    delivered = send(supplier, "post", f"/suborders/{shipped.pk}/deliver")
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
    with unchanged():
        refused(send(supplier, "post", f"/suborders/{shipped.pk}/deliver"), 409, "bad_transition")

    refund = services.refund_request(actor=users["coop"], suborder=shipped, reason="파손")
    waiting = send(supplier, "get", "/supplier/refunds?status=requested").json()
    assert [(r["id"], r["reason"]) for r in waiting] == [(refund.pk, "파손")]
    rejected = send(supplier, "post", f"/refunds/{refund.pk}/reject")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    with unchanged():
        refused(send(supplier, "post", f"/refunds/{refund.pk}/reject"), 409, "bad_transition")
        refused(
            send(supplier, "get", "/supplier/refunds?status=maybe"), 422, "invalid_choice", "status"
        )
    assert send(supplier, "get", "/supplier/refunds?status=requested").json() == []
    # others' refunds are not the supplier's
    assert send(client_for("sme"), "get", "/supplier/refunds").status_code == 403


# --- operator: payments, commission rates, market days ------------------------------------------


def test_payments_waiting_and_confirm_with_a_reference(client_for):
    admin = client_for("admin")
    unpaid = Order.objects.get(idempotency_key="demo-order-3")
    rows = send(admin, "get", "/payments").json()
    assert unpaid.pk in [r["order_id"] for r in rows]
    assert all(r["status"] == "pending" for r in rows)
    confirmed = send(
        admin, "post", f"/orders/{unpaid.pk}/confirm-payment?reference=홍길동 입금", {}
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "paid"
    unpaid.payment.refresh_from_db()
    assert unpaid.payment.reference == "홍길동 입금"
    assert unpaid.pk not in [r["order_id"] for r in send(admin, "get", "/payments").json()]


def test_commission_rules_set_update_delete_and_apply_to_new_orders(client_for, users):
    admin = client_for("admin")
    product = Product.objects.get(name="우리밀 통밀가루 1kg")
    body = {"kind": "seller", "scope": "product", "product_id": product.pk, "rate_bp": 1_000}
    created = send(admin, "post", "/commission-rules", body)
    assert created.status_code == 201, created.content
    updated = send(admin, "post", "/commission-rules", {**body, "rate_bp": 1_250})
    assert updated.status_code == 200 and updated.json()["id"] == created.json()["id"]
    assert CommissionRule.objects.get(pk=created.json()["id"]).rate_bp == 1_250
    listed = send(admin, "get", "/commission-rules").json()
    assert {
        "kind": "seller",
        "scope": "product",
        "product_id": product.pk,
        "rate_bp": 1_250,
    }.items() <= next(r for r in listed if r["id"] == created.json()["id"]).items()

    order = send(
        client_for("coop"),
        "post",
        "/checkout",
        {
            "lines": [{"product_id": product.pk, "quantity": 1}],
            "payment_method": "invoice",
            "referral_code": "MSEOUL01",
        },
        HTTP_IDEMPOTENCY_KEY="rule-check",
    )
    assert order.status_code == 201, order.content
    line = Order.objects.get(pk=order.json()["id"]).suborders.get().lines.get()
    assert line.commissions.get(kind="seller").rate_bp == 1_250

    assert send(admin, "delete", f"/commission-rules/{created.json()['id']}").status_code == 204
    assert not CommissionRule.objects.filter(pk=created.json()["id"]).exists()
    assert line.commissions.get(kind="seller").rate_bp == 1_250  # frozen on the order
    refused(send(admin, "delete", f"/commission-rules/{created.json()['id']}"), 404)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"kind": "seller", "scope": "supplier", "rate_bp": 100}, "required", "supplier_id"),
        (
            {"kind": "seller", "scope": "category", "category_id": 987_654, "rate_bp": 100},
            "invalid_choice",
            "category_id",
        ),
        ({"kind": "seller", "scope": "platform", "rate_bp": 10_001}, "max_value", "rate_bp"),
        ({"kind": "seller", "scope": "platform", "rate_bp": -1}, "min_value", "rate_bp"),
        ({"kind": "seller", "scope": "platform", "rate_bp": 2.5}, "invalid_integer", "rate_bp"),
        ({"kind": "tip", "scope": "platform", "rate_bp": 100}, "invalid_choice", "kind"),
        ({"kind": "seller", "scope": "galaxy", "rate_bp": 100}, "invalid_choice", "scope"),
    ],
)
def test_bad_commission_rules_write_nothing(client_for, unchanged, body, code, field):
    with unchanged():
        refused(send(client_for("admin"), "post", "/commission-rules", body), 422, code, field)


def test_an_unapproved_supplier_gets_no_rate(client_for, unchanged):
    applied = SupplierProfile.objects.get(organisation__name="마을카페그물코협동조합")
    body = {"kind": "seller", "scope": "supplier", "supplier_id": applied.pk, "rate_bp": 100}
    with unchanged():
        refused(
            send(client_for("admin"), "post", "/commission-rules", body),
            422,
            "invalid_choice",
            "supplier_id",
        )


def test_market_day_create_sell_replay_and_report(client_for, unchanged):
    admin = client_for("admin")
    created = send(
        admin,
        "post",
        "/market-days",
        {
            "name": "서울역 장터",
            "held_on": timezone.localdate().isoformat(),
            "location": "서울역 맞이방",
            "partner_id": serio().pk,
        },
    )
    assert created.status_code == 201, created.content
    day_id = created.json()["id"]
    assert day_id in [d["id"] for d in send(admin, "get", "/market-days").json()]
    product = Product.objects.get(name="우리밀 통밀가루 1kg")
    stock = product.stock
    body = {"lines": [{"product_id": product.pk, "quantity": 3}]}
    sale = send(admin, "post", f"/market-days/{day_id}/sales", body, HTTP_IDEMPOTENCY_KEY="stall-1")
    assert sale.status_code == 201, sale.content
    assert sale.json()["status"] == "paid" and sale.json()["payment_method"] == "on_site"
    assert {s["status"] for s in sale.json()["suborders"]} == {"delivered"}
    replay = send(
        admin, "post", f"/market-days/{day_id}/sales", body, HTTP_IDEMPOTENCY_KEY="stall-1"
    )
    assert replay.status_code == 200 and replay.json()["id"] == sale.json()["id"]
    product.refresh_from_db()
    assert product.stock == stock - 3
    detail = send(admin, "get", f"/market-days/{day_id}").json()
    assert detail["report"] == [{"supplier": "우리밀협동조합", "sales": product.price * 3}]
    assert detail["report_total"] == product.price * 3

    with unchanged():
        path = f"/market-days/{day_id}/sales"
        too_many = {"lines": [{"product_id": product.pk, "quantity": product.stock + 1}]}
        refused(
            send(admin, "post", path, too_many, HTTP_IDEMPOTENCY_KEY="stall-2"), 409, "out_of_stock"
        )
        zero = {"lines": [{"product_id": product.pk, "quantity": 0}]}
        refused(
            send(admin, "post", path, zero, HTTP_IDEMPOTENCY_KEY="stall-3"), 422, "zero_quantity"
        )
        refused(
            send(admin, "post", path, {"lines": []}, HTTP_IDEMPOTENCY_KEY="stall-4"),
            422,
            "min_items",
        )
        unknown = {"lines": [{"product_id": 987_654, "quantity": 1}]}
        refused(
            send(admin, "post", path, unknown, HTTP_IDEMPOTENCY_KEY="stall-5"),
            422,
            "unknown_product",
        )
        refused(send(admin, "post", path, body), 422)  # no Idempotency-Key
        changed = {"lines": [{"product_id": product.pk, "quantity": 1}]}
        refused(
            send(admin, "post", path, changed, HTTP_IDEMPOTENCY_KEY="stall-1"),
            409,
            "idempotency_conflict",
        )
        refused(send(admin, "get", "/market-days/987654"), 404)


@pytest.mark.parametrize(
    ("over", "code", "field"),
    [
        ({"name": ""}, None, "name"),
        ({"location": "   "}, None, "location"),
        ({"held_on": "2026-13-01"}, "invalid_date", "held_on"),
        ({"partner_id": 987_654}, "invalid_choice", "partner_id"),
        ({"name": "가" * 101}, "max_length", "name"),
    ],
)
def test_bad_market_days_write_nothing(client_for, unchanged, over, code, field):
    body = {"name": "장터", "held_on": "2026-12-01", "location": "역 앞", **over}
    with unchanged():
        refused(send(client_for("admin"), "post", "/market-days", body), 422, code, field)
    assert not MarketDay.objects.filter(location="역 앞").exists()


def test_categories_are_public(client_for):
    rows = send(client_for("anonymous"), "get", "/categories").json()
    assert {"division", "name", "id"} <= set(rows[0])
    assert category_id() in [r["id"] for r in rows]


def test_errors_carry_the_korean_message(client_for):
    admin = client_for("admin")
    body = {"kind": "seller", "scope": "supplier", "rate_bp": 100}
    korean = send(admin, "post", "/commission-rules", body).json()
    assert korean["message"] == "적용 범위에 맞는 대상을 선택해 주세요."
