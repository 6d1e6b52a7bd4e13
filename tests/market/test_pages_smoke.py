"""Every market page renders for the people it is for, on the demo data."""

from __future__ import annotations

import pytest

from dure.market.models import Order, SubOrder, SupplierProfile

pytestmark = pytest.mark.django_db


def test_public_and_buyer_pages(client_for):
    anon = client_for("anonymous")
    assert anon.get("/market/").status_code == 200
    assert anon.get("/market/?q=우리밀").status_code == 200
    coop = client_for("coop")
    order = Order.objects.filter(buyer__username="coop").first()
    for path in (
        "/market/cart/",
        "/market/checkout/",
        "/market/orders/",
        f"/market/orders/{order.pk}/",
    ):
        assert coop.get(path).status_code == 200, path


def test_search_finds_a_demo_product(client_for):
    response = client_for("anonymous").get("/market/?q=두부")
    assert "국산콩 두부" in response.content.decode()


def test_operator_supplier_and_statement_pages(client_for):
    admin = client_for("admin")
    supplier = SupplierProfile.objects.first()
    for path in (
        "/market/operator/suppliers/",
        f"/market/operator/suppliers/{supplier.pk}/",
        "/market/operator/payments/",
        "/market/operator/settlements/",
        "/market/supplier/orders/",
    ):
        assert admin.get(path).status_code == 200, path
    assert client_for("supplier").get("/market/supplier/orders/").status_code == 200
    seller = client_for("seller")
    page = seller.get("/market/statement/")
    assert page.status_code == 200
    pdf = seller.get("/market/statement/?start=2026-01-01&end=2026-12-31&account=0&format=pdf")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    xlsx = seller.get("/market/statement/?start=2026-01-01&end=2026-12-31&account=0&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_buyer_flow_through_pages(client_for):
    from dure.market.models import Product

    coop = client_for("coop")
    assert coop.get("/market/r/MSEOUL01/").status_code == 302
    p = Product.objects.get(name="우리밀 통밀가루 1kg")
    coop.post("/market/cart/", {"product_id": p.pk, "quantity": "2"})
    response = coop.post(
        "/market/checkout/",
        {
            "payment_method": "bank_transfer",
            "buyer_organisation": "",
            "referral_code": "",
            "idempotency_key": "page-flow-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get(idempotency_key="page-flow-1")
    assert order.total == 13_200 and order.seller.referral_code == "MSEOUL01"
    bad = coop.post("/market/cart/", {"product_id": p.pk, "quantity": "-1"}, follow=True)
    assert "음수" in bad.content.decode()
    assert SubOrder.objects.filter(order=order).count() == 1
