"""The self-service pages end to end: a cooperative applies and, once approved, sells; people
register as MC/CC; the operator sets rates and runs offline market days. Bad input is refused
with a Korean message and writes nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dure.directory.demo import demo_business_number
from dure.market.models import (
    CommissionLine,
    MarketDay,
    Product,
    ReferralClick,
    SellerProfile,
    SupplierProfile,
    SupplierStatus,
)

pytestmark = pytest.mark.django_db


def _category_id() -> int:
    return Product.objects.get(name="우리밀 통밀가루 1kg").category_id


def _product_data(supplier: SupplierProfile, **over) -> dict[str, object]:
    return {
        "supplier": supplier.pk,
        "category": _category_id(),
        "name": "세리오 수제 두유 1L",
        "description": "국산콩으로 만든 두유",
        "price": "4500",
        "tax_type": "exempt",
        "stock": "40",
        "unit": "병",
        "active": "on",
        **over,
    }


def test_apply_approve_add_product_and_it_is_in_the_catalogue(client_for):
    from dure.directory.models import Organisation

    serio = Organisation.objects.get(name="세리오협동조합")
    coop = client_for("coop")
    page = coop.get("/market/supplier/apply/")
    assert "세리오협동조합" in page.content.decode()
    response = coop.post(
        "/market/supplier/apply/",
        {
            "organisation": serio.pk,
            "business_number": demo_business_number(77_002),
            "economy_type": "cooperative",
            "introduction": "두유 월 200병",
        },
    )
    assert response.status_code == 302
    supplier = SupplierProfile.objects.get(organisation=serio)
    assert supplier.status == SupplierStatus.APPLIED
    assert "신청" in coop.get("/market/supplier/apply/").content.decode()
    # Not approved yet: no product form.
    assert coop.get("/market/supplier/products/new/").status_code == 404

    admin = client_for("admin")
    for step in ("survey", "inspect", "approve"):
        done = admin.post(
            f"/market/operator/suppliers/{supplier.pk}/", {"step": step, "record": "확인함"}
        )
        assert done.status_code == 302, step
    supplier.refresh_from_db()
    assert supplier.status == SupplierStatus.APPROVED
    assert "승인" in coop.get("/market/supplier/apply/").content.decode()

    assert coop.get("/market/supplier/products/new/").status_code == 200
    created = coop.post("/market/supplier/products/new/", _product_data(supplier))
    assert created.status_code == 302
    product = Product.objects.get(name="세리오 수제 두유 1L")
    assert (product.supplier, product.price, product.stock, product.tax_type) == (
        supplier,
        4500,
        40,
        "exempt",
    )
    assert "세리오 수제 두유 1L" in coop.get("/market/supplier/products/").content.decode()
    public = client_for("anonymous")
    assert public.get(f"/market/products/{product.pk}/").status_code == 200
    assert "세리오 수제 두유" in public.get("/market/?q=두유").content.decode()

    edited = coop.post(
        f"/market/supplier/products/{product.pk}/edit/",
        _product_data(supplier, price="5000", active=""),
    )
    assert edited.status_code == 302
    product.refresh_from_db()
    assert (product.price, product.active) == (5000, False)
    assert public.get(f"/market/products/{product.pk}/").status_code == 404


def test_register_as_mc_shows_a_working_link(client_for):
    member = client_for("member")
    response = member.post(
        "/market/referrers/register/", {"kind": "seller", "display_name": "정조합원의 장터"}
    )
    assert response.status_code == 302
    profile = SellerProfile.objects.get(display_name="정조합원의 장터")
    assert profile.referral_code.startswith("M")
    page = member.get("/market/referrers/register/").content.decode()
    assert profile.referral_code in page
    assert f"/market/r/{profile.referral_code}/" in page
    visitor = client_for("anonymous")
    followed = visitor.get(f"/market/r/{profile.referral_code}/")
    assert followed.status_code == 302 and followed["Location"] == "/market/"
    assert ReferralClick.objects.filter(seller=profile).count() == 1


def test_register_for_an_organisation_one_does_not_belong_to_is_refused(client_for):
    from dure.directory.models import Organisation

    other = Organisation.objects.get(name="우리밀협동조합")
    response = client_for("member").post(
        "/market/referrers/register/",
        {"kind": "creator", "display_name": "남의 기관", "organisation": other.pk},
    )
    assert response.status_code == 200
    assert not SellerProfile.objects.filter(display_name="남의 기관").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("price", "1만원", "판매가은(는) 0 이상의 정수여야 합니다."),
        ("price", "-100", "판매가은(는) 0 이상의 정수여야 합니다."),
        ("stock", "3.5", "재고은(는) 0 이상의 정수여야 합니다."),
        ("image_alt", "", None),
    ],
)
def test_bad_product_input_shows_a_korean_error_and_writes_nothing(
    client_for, field, value, message
):
    wheat = SupplierProfile.objects.get(organisation__name="우리밀협동조합")
    before = Product.objects.count()
    data = _product_data(wheat, **{field: value})
    if field == "image_alt":
        # An image without alt text is refused (accessibility).
        from io import BytesIO

        from django.core.files.uploadedfile import SimpleUploadedFile
        from PIL import Image

        buf = BytesIO()
        Image.new("RGB", (2, 2), "white").save(buf, "PNG")
        data["image"] = SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png")
        message = "이미지를 올리면 대체 텍스트를 입력해야 합니다."
    response = client_for("supplier").post("/market/supplier/products/new/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'aria-invalid="true"' in body or "aria-describedby" in body
    assert Product.objects.count() == before


def test_bad_business_number_shows_a_korean_error_and_writes_nothing(client_for):
    from dure.directory.models import Organisation

    serio = Organisation.objects.get(name="세리오협동조합")
    before = SupplierProfile.objects.count()
    valid = demo_business_number(77_003)
    wrong_check_digit = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    response = client_for("coop").post(
        "/market/supplier/apply/",
        {
            "organisation": serio.pk,
            "business_number": wrong_check_digit,
            "economy_type": "cooperative",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "사업자등록번호 검증번호가 맞지 않습니다." in body
    assert 'aria-invalid="true"' in body
    assert SupplierProfile.objects.count() == before
    assert not SupplierProfile.objects.filter(organisation=serio).exists()


def test_commission_rule_page_changes_the_rate_of_the_next_checkout(mk, operator, client):
    from dure.market import services

    first = services.checkout(
        buyer=mk.buyer,
        lines=[(mk.pa.pk, 1)],
        idempotency_key="rate-1",
        payment_method="bank_transfer",
        referral_code="MTEST001",
    )
    client.force_login(operator)
    bad = client.post(
        "/market/operator/commission-rules/",
        {"kind": "seller", "scope": "supplier", "rate": "10"},  # no supplier chosen
    )
    assert bad.status_code == 200
    assert "적용 범위에 맞는 대상을 선택해 주세요." in bad.content.decode()
    response = client.post(
        "/market/operator/commission-rules/",
        {"kind": "seller", "scope": "supplier", "supplier": mk.a.pk, "rate": "10"},
    )
    assert response.status_code == 302
    assert "10.00" in client.get("/market/operator/commission-rules/").content.decode()
    second = services.checkout(
        buyer=mk.buyer,
        lines=[(mk.pa.pk, 1), (mk.pb.pk, 1)],
        idempotency_key="rate-2",
        payment_method="bank_transfer",
        referral_code="MTEST001",
    )

    def seller_rates(order):
        return {
            c.order_line.product_id: c.rate_bp
            for c in CommissionLine.objects.filter(order_line__suborder__order=order, kind="seller")
        }

    assert seller_rates(first.order) == {mk.pa.pk: 300}
    assert seller_rates(second.order) == {mk.pa.pk: 1000, mk.pb.pk: 300}


def test_market_day_sale_takes_stock_and_shows_in_the_report(client_for):
    admin = client_for("admin")
    created = admin.post(
        "/market/operator/market-days/",
        {
            "name": "시청 앞 나눔장터",
            "held_on": timezone.localdate().isoformat(),
            "location": "시청 광장",
        },
    )
    assert created.status_code == 302
    day = MarketDay.objects.get(name="시청 앞 나눔장터")
    assert created["Location"] == f"/market/operator/market-days/{day.pk}/"
    product = Product.objects.get(name="우리밀 통밀가루 1kg")
    stock = product.stock
    sale = {"product": product.pk, "quantity": "3", "idempotency_key": "stall-1"}
    assert admin.post(f"/market/operator/market-days/{day.pk}/", sale).status_code == 302
    # The same key again (a double click) records nothing more.
    assert admin.post(f"/market/operator/market-days/{day.pk}/", sale).status_code == 302
    product.refresh_from_db()
    assert product.stock == stock - 3
    page = admin.get(f"/market/operator/market-days/{day.pk}/").content.decode()
    assert "우리밀협동조합" in page
    assert f"{product.price * 3:,}" in page

    too_many = {"product": product.pk, "quantity": str(stock), "idempotency_key": "stall-2"}
    refused = admin.post(f"/market/operator/market-days/{day.pk}/", too_many)
    assert refused.status_code == 200
    product.refresh_from_db()
    assert product.stock == stock - 3
    assert day.orders.count() == 1
