"""The electronic tax invoice (전자세금계산서) data of a purchase order: the supplier (공급자)
issues it to the institution (공급받는자); the same shape as a sub-order's, as a selector, an
API endpoint and a CSV/XLSX download for the PO's supplier, institution and the operator."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from dure.directory.demo import demo_business_number
from dure.market import services
from dure.market.selectors import purchase_order_tax_invoice_data, tax_invoice_data

from .conftest import make_user
from .test_money import buy
from .test_purchasing import new_request, pp, quote  # noqa: F401 - pp is a fixture

pytestmark = pytest.mark.django_db


def award(pp, prices=(10_001, 1_001), taxes=("taxable", "exempt")):  # noqa: F811
    request = new_request(pp)
    chosen = quote(pp, request, "a", prices=prices, taxes=taxes)
    services.quotation_request_close(actor=pp.buyer, request=request)
    return services.quotation_award(actor=pp.buyer, request=request, quote=chosen)


def _adds_up(data):
    for item in data["items"] + data["exempt"]:
        assert item["supply_amount"] + item["vat_amount"] == item["total"]
        assert item["total"] == item["quantity"] * item["unit_price"]
    assert data["supply_total"] == sum(i["supply_amount"] for i in data["items"])
    assert data["vat_total"] == sum(i["vat_amount"] for i in data["items"])
    assert data["exempt_total"] == sum(i["total"] for i in data["exempt"])


def test_po_invoice_lists_parties_lines_and_totals_that_add_up(pp):  # noqa: F811
    pp.office.business_number = demo_business_number(77_001)
    pp.office.save()
    po = award(pp)

    data = purchase_order_tax_invoice_data(po)

    assert data["supplier"] == {
        "name": "테스트가협동조합",
        "business_number": pp.mk.a.business_number,
    }
    assert data["buyer"] == {"name": "테스트구청", "business_number": pp.office.business_number}
    assert data["issue_date"] == timezone.localdate(po.issued_at).isoformat()
    assert data["reference"].startswith(po.number)
    # 30,003 × 10/11 → supply 27,275 + VAT 2,728; the 면세 line goes on a 계산서, without VAT
    assert data["items"] == [
        {
            "name": "다과 세트",
            "quantity": 3,
            "unit_price": 10_001,
            "supply_amount": 27_275,
            "vat_amount": 2_728,
            "total": 30_003,
            "tax_type": "taxable",
        }
    ]
    assert data["exempt"] == [
        {
            "name": "나 상품",
            "quantity": 7,
            "unit_price": 1_001,
            "supply_amount": 7_007,
            "vat_amount": 0,
            "total": 7_007,
            "tax_type": "exempt",
        }
    ]
    _adds_up(data)
    assert (data["supply_total"], data["vat_total"], data["exempt_total"]) == (27_275, 2_728, 7_007)
    # the invoice matches the PO: supply + VAT + exempt = the PO's total
    assert data["supply_total"] + data["vat_total"] + data["exempt_total"] == po.total == 37_010
    assert data["supply_total"] + data["exempt_total"] == po.supply_total
    assert data["vat_total"] == po.vat_total


def test_zero_rated_lines_stay_on_the_tax_invoice_with_zero_vat(pp):  # noqa: F811
    po = award(pp, prices=(5_500, 2_200), taxes=("zero_rated", "taxable"))
    data = purchase_order_tax_invoice_data(po)
    assert data["exempt"] == [] and data["exempt_total"] == 0
    assert [(i["tax_type"], i["supply_amount"], i["vat_amount"]) for i in data["items"]] == [
        ("zero_rated", 16_500, 0),
        ("taxable", 14_000, 1_400),
    ]
    assert data["buyer"]["business_number"] == ""
    _adds_up(data)
    assert data["supply_total"] + data["vat_total"] == po.total


def test_issue_date_is_the_invoicing_day_in_seoul(pp):  # noqa: F811
    import datetime as dt

    po = award(pp)
    # 2026-03-31 16:30 UTC is already 1 April in Seoul
    po.invoiced_at = dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.UTC)
    assert purchase_order_tax_invoice_data(po)["issue_date"] == "2026-04-01"


def test_sub_order_invoice_is_unchanged_by_the_shared_code(mk, operator):
    order = buy(mk, [(mk.pa.pk, 3), (mk.pb.pk, 2)])
    services.payment_confirm(actor=operator, order=order)
    sub = order.suborders.get(supplier=mk.a)
    data = tax_invoice_data(sub)
    assert list(data) == [
        "supplier",
        "buyer",
        "issue_date",
        "reference",
        "items",
        "exempt",
        "supply_total",
        "vat_total",
        "exempt_total",
    ]
    assert data["items"] == [
        {
            "name": mk.pa.name,
            "quantity": 3,
            "unit_price": 11_000,
            "supply_amount": 30_000,
            "vat_amount": 3_000,
            "total": 33_000,
            "tax_type": "taxable",
        }
    ]
    assert data["exempt"] == [] and (data["supply_total"], data["vat_total"]) == (30_000, 3_000)
    assert data["reference"] == str(sub)
    _adds_up(data)


def test_sub_order_invoice_date_is_the_seoul_day(mk, operator):
    import datetime as dt

    order = buy(mk, [(mk.pa.pk, 1)])
    services.payment_confirm(actor=operator, order=order)
    sub = order.suborders.get(supplier=mk.a)
    # 16:30 UTC on 31 March is 01:30 on 1 April in Seoul
    sub.paid_at = dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.UTC)
    assert tax_invoice_data(sub)["issue_date"] == "2026-04-01"


def _client(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def test_api_returns_the_invoice_to_both_sides_and_404_to_a_stranger(pp, operator):  # noqa: F811
    po = award(pp)
    url = f"/api/v1/market/purchase-orders/{po.pk}/tax-invoice"
    expected = purchase_order_tax_invoice_data(po)
    for user in (pp.buyer, pp.users["a"], operator):
        response = _client(user).get(url)
        assert response.status_code == 200, response.content
        assert response.json() == expected
    # another invited supplier that lost, someone else, a missing PO
    for user in (pp.users["b"], make_user("stranger")):
        response = _client(user).get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert (
        _client(pp.buyer).get("/api/v1/market/purchase-orders/987654/tax-invoice").status_code
        == 404
    )


def test_cancelled_po_has_no_invoice(pp):  # noqa: F811
    po = award(pp)
    services.purchase_order_transition(actor=pp.buyer, po=po, action="cancel")
    response = _client(pp.buyer).get(f"/api/v1/market/purchase-orders/{po.pk}/tax-invoice")
    assert response.status_code == 409 and response.json()["code"] == "bad_transition"
    page = _client(pp.buyer).get(reverse("market:purchase_order_tax_invoice", args=[po.pk]))
    assert page.status_code == 302 and page["Location"] == po.get_absolute_url()
    assert "tax-invoice" not in _client(pp.buyer).get(po.get_absolute_url()).content.decode()


def test_csv_and_xlsx_downloads_carry_the_same_figures(pp):  # noqa: F811
    from openpyxl import load_workbook

    po = award(pp)
    page = _client(pp.users["a"]).get(po.get_absolute_url()).content.decode()
    url = reverse("market:purchase_order_tax_invoice", args=[po.pk])
    assert f'href="{url}?format=csv"' in page and f'href="{url}?format=xlsx"' in page

    response = _client(pp.users["a"]).get(url + "?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"tax-invoice-{po.number}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["공급자", "테스트가협동조합", pp.mk.a.business_number]
    assert rows[1] == ["공급받는자", "테스트구청", ""]
    lines = {row[1]: row for row in rows if row and row[1] in ("다과 세트", "나 상품")}
    assert lines["다과 세트"][3:] == ["3", "10001", "27275", "2728", "30003"]
    assert lines["나 상품"][3:] == ["7", "1001", "7007", "0", "7007"]
    assert rows[-2][5:] == ["27275", "2728", "30003"]
    assert rows[-1][5:] == ["7007", "0", "7007"]

    response = _client(pp.buyer).get(url + "?format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[-2][5:] == [27_275, 2_728, 30_003]
    assert values[-1][5:] == [7_007, 0, 7_007]

    assert _client(pp.users["b"]).get(url).status_code == 404
    assert _client(make_user("stranger")).get(url + "?format=xlsx").status_code == 404


def test_a_line_that_looks_like_a_formula_is_downloaded_as_text(pp):  # noqa: F811
    from openpyxl import load_workbook

    po = award(pp)
    po.lines.filter(description="다과 세트").update(description='=HYPERLINK("http://x")')
    url = reverse("market:purchase_order_tax_invoice", args=[po.pk])
    response = _client(pp.buyer).get(url + "?format=csv")
    assert response["Cache-Control"] == "private, no-store"
    text = response.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    response = _client(pp.buyer).get(url + "?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert '\'=HYPERLINK("http://x")' in cells
