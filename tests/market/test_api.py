"""The market API: catalogue, cart, checkout with Idempotency-Key, errors as JSON codes."""

from __future__ import annotations

import json

import pytest

from dure.market.models import Order, Product

pytestmark = pytest.mark.django_db

API = "/api/v1/market"


def send(client, method, path, body=None, **headers):
    kwargs = {"content_type": "application/json", **headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(API + path, **kwargs)


def test_products_are_public_and_searchable(client_for):
    anon = client_for("anonymous")
    listing = send(anon, "get", "/products").json()
    assert any(p["name"] == "우리밀 국수 선물세트" for p in listing)
    found = send(anon, "get", "/products?q=두부").json()
    assert [p["name"] for p in found][:1] == ["국산콩 두부 (4모)"]


def test_checkout_with_idempotency_key_and_tampered_price(client_for):
    coop = client_for("coop")
    p = Product.objects.get(name="한지 조명 스탠드")
    body = {"lines": [{"product_id": p.pk, "quantity": 1, "price": 1}], "payment_method": "invoice"}
    first = send(coop, "post", "/checkout", body, HTTP_IDEMPOTENCY_KEY="api-1")
    assert first.status_code == 201, first.content
    assert first.json()["total"] == 55_000
    again = send(coop, "post", "/checkout", body, HTTP_IDEMPOTENCY_KEY="api-1")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    body["lines"][0]["quantity"] = 2
    conflict = send(coop, "post", "/checkout", body, HTTP_IDEMPOTENCY_KEY="api-1")
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"


@pytest.mark.parametrize(
    ("quantity", "code"),
    [(-1, "negative_quantity"), (1.5, "fractional_quantity"), (0, "zero_quantity")],
)
def test_bad_quantities_are_422_with_codes(client_for, quantity, code):
    coop = client_for("coop")
    p = Product.objects.get(name="한지 조명 스탠드")
    before = Order.objects.count()
    body = {"lines": [{"product_id": p.pk, "quantity": quantity}], "payment_method": "invoice"}
    response = send(coop, "post", "/checkout", body, HTTP_IDEMPOTENCY_KEY=f"bad-{quantity}")
    assert response.status_code == 422
    assert code in json.dumps(response.json())
    assert Order.objects.count() == before


def test_out_of_stock_is_409_with_what_is_left(client_for):
    coop = client_for("coop")
    p = Product.objects.get(name="기관 행사 와플 케이터링")
    body = {"lines": [{"product_id": p.pk, "quantity": p.stock + 1}], "payment_method": "invoice"}
    response = send(coop, "post", "/checkout", body, HTTP_IDEMPOTENCY_KEY="oos")
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    assert f"남은 수량 {p.stock}개" in response.json()["message"]


def test_checkout_needs_a_key_and_a_login(client_for):
    p = Product.objects.get(name="한지 조명 스탠드")
    body = {"lines": [{"product_id": p.pk, "quantity": 1}], "payment_method": "invoice"}
    assert send(client_for("anonymous"), "post", "/checkout", body).status_code == 401
    assert send(client_for("coop"), "post", "/checkout", body).status_code == 422


def test_statement_for_the_mc(client_for):
    response = send(client_for("seller"), "get", "/statements?start=2020-01-01")
    assert response.status_code == 200
    assert response.json()["lines"]
    assert send(client_for("member"), "get", "/statements").status_code == 404
