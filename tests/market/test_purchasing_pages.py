"""Public purchasing through the pages and the API with the demo people: 한국생산기술연구원's
``researcher`` requests quotes, 우리밀협동조합's ``supplier`` quotes, the researcher compares
and awards, the supplier accepts the PO; the priority-purchase report (page, CSV, XLSX, API)
includes it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.utils import timezone

from dure.market.models import PurchaseOrder, QuotationRequest, Quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw(users, org):
    from types import SimpleNamespace

    from dure.market.models import SupplierProfile

    return SimpleNamespace(
        users=users,
        institute=org("한국생산기술연구원"),
        wheat=SupplierProfile.objects.get(organisation__name="우리밀협동조합"),
        waffle=SupplierProfile.objects.get(organisation__name="베러댄와플협동조합"),
    )


def _request_post(pw, **extra):
    soon = timezone.localtime() + dt.timedelta(days=2)
    data = {
        "organisation": pw.institute.pk,
        "title": "세미나 도시락",
        "description": "세미나 참석자 점심",
        "delivery_place": "본원 세미나실",
        "needed_by": (soon.date() + dt.timedelta(days=5)).isoformat(),
        "reply_deadline": soon.strftime("%Y-%m-%dT%H:%M"),
        "suppliers": [pw.wheat.pk, pw.waffle.pk],
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-description": "도시락",
        "lines-0-quantity": "40",
        "lines-0-unit": "개",
        "lines-1-description": "생수 500ml",
        "lines-1-quantity": "40",
        "lines-1-unit": "병",
        "action": "send",
    }
    data.update(extra)
    return data


def test_pages_request_quote_compare_award_accept(pw, client_for):
    researcher, supplier = client_for("researcher"), client_for("supplier")

    page = researcher.get("/market/purchasing/requests/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="lines-0-description"' in html and "<legend>" in html

    response = researcher.post("/market/purchasing/requests/new/", _request_post(pw))
    assert response.status_code == 302, response.content.decode()[:2000]
    item = QuotationRequest.objects.get(title="세미나 도시락")
    assert item.status == "open" and item.lines.count() == 2  # the blank third line is ignored
    assert set(item.suppliers.all()) == {pw.wheat, pw.waffle}

    incoming = supplier.get("/market/purchasing/incoming/").content.decode()
    assert "세미나 도시락" in incoming
    form = supplier.get(f"/market/purchasing/requests/{item.pk}/quote/")
    assert form.status_code == 200
    lunch, water = item.lines.all()
    quote_data = {
        "supplier": pw.wheat.pk,
        "delivery_date": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        "valid_until": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        f"price_{lunch.pk}": "8800",
        f"tax_{lunch.pk}": "taxable",
        f"price_{water.pk}": "550",
        f"tax_{water.pk}": "taxable",
        "total": "1",  # tampered: ignored
    }
    assert (
        supplier.post(f"/market/purchasing/requests/{item.pk}/quote/", quote_data).status_code
        == 302
    )
    quote = Quote.objects.get(request=item, supplier=pw.wheat)
    assert quote.total == 40 * 8_800 + 40 * 550

    # sealed until closed: the researcher sees a count, not the prices
    detail = researcher.get(f"/market/purchasing/requests/{item.pk}/").content.decode()
    assert "견적 1건" in detail and "352,000" not in detail
    researcher.post(f"/market/purchasing/requests/{item.pk}/", {"action": "close"})
    detail = researcher.get(f"/market/purchasing/requests/{item.pk}/").content.decode()
    assert "352,000" in detail and 'name="quote"' in detail and 'scope="row"' in detail
    # the supplier never sees the comparison
    assert (
        'name="quote"'
        not in supplier.get(f"/market/purchasing/requests/{item.pk}/").content.decode()
    )

    response = researcher.post(
        f"/market/purchasing/requests/{item.pk}/", {"action": "award", "quote": quote.pk}
    )
    po = PurchaseOrder.objects.get(request=item)
    assert response["Location"] == f"/market/purchasing/orders/{po.pk}/"
    assert (po.total, po.supply_total, po.vat_total) == (374_000, 340_000, 34_000)
    page = supplier.get(f"/market/purchasing/orders/{po.pk}/").content.decode()
    assert po.number in page and 'value="accept"' in page
    supplier.post(f"/market/purchasing/orders/{po.pk}/", {"action": "accept"})
    po.refresh_from_db()
    assert po.status == "accepted"


def test_new_request_errors_are_linked_and_nothing_is_written(pw, client_for):
    researcher = client_for("researcher")
    before = QuotationRequest.objects.count()
    response = researcher.post(
        "/market/purchasing/requests/new/",
        _request_post(pw, **{"lines-0-quantity": "", "title": ""}),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "id_title_error" in html
    assert "id_lines-0-quantity_error" in html
    assert QuotationRequest.objects.count() == before


def test_add_line_button_keeps_the_input(pw, client_for):
    researcher = client_for("researcher")
    response = researcher.post(
        "/market/purchasing/requests/new/", _request_post(pw, action="add_line")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="lines-3-description"' in html and 'value="도시락"' in html
    assert 'value="세미나 도시락"' in html and "id_title_error" not in html
    assert not QuotationRequest.objects.filter(title="세미나 도시락").exists()


def test_report_page_csv_and_xlsx_include_the_demo_po(pw, client_for):
    from openpyxl import load_workbook

    po = PurchaseOrder.objects.get(request__title="연구원 개원 기념행사 다과·기념품")
    researcher = client_for("researcher")
    year = timezone.localdate().year
    page = researcher.get("/market/purchasing/report/").content.decode()
    assert f"{po.total:,}" in page and "우리밀협동조합" in page
    query = f"?organisation={pw.institute.pk}&year={year}"
    body = researcher.get(f"/market/purchasing/report/{query}&format=csv").content.decode()
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert ["입점사별", "협동조합", "우리밀협동조합", str(po.total)] in rows
    assert rows[-1][-1] == str(po.total)
    xlsx = researcher.get(f"/market/purchasing/report/{query}&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(row=sheet.max_row, column=4).value == po.total
    # another year: nothing
    empty = researcher.get(
        f"/market/purchasing/report/?organisation={pw.institute.pk}&year={year - 1}"
    )
    assert "이 해의 구매 실적이 없습니다" in empty.content.decode()
    # the existing API reports it too
    api = researcher.get(
        f"/api/v1/market/priority-purchases?organisation_id={pw.institute.pk}&year={year}"
    ).json()
    assert api["purchase_orders_total"] == po.total and api["total"] >= po.total


def test_api_workflow_tampered_totals_idempotent_award_and_conflicts(pw, client_for):
    researcher, supplier = client_for("researcher"), client_for("supplier")
    body = {
        "organisation_id": pw.institute.pk,
        "title": "API 워크숍 간식",
        "delivery_place": "본원",
        "needed_by": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        "reply_deadline": (timezone.localtime() + dt.timedelta(days=1))
        .replace(tzinfo=None)
        .isoformat(),
        "lines": [{"description": "간식", "quantity": 3, "unit": "세트"}],
        "supplier_ids": [pw.wheat.pk],
        "send": True,
    }
    made = researcher.post(
        "/api/v1/market/quotation-requests", json.dumps(body), content_type="application/json"
    )
    assert made.status_code == 201, made.content
    item = made.json()
    assert item["status"] == "open" and item["quotes"] == []
    line_id = item["lines"][0]["id"]
    quote_body = {
        "lines": [
            {"line_id": line_id, "unit_price": 1_100, "tax_type": "taxable", "line_total": 1}
        ],
        "delivery_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        "valid_until": (timezone.localdate() + dt.timedelta(days=9)).isoformat(),
        "total": 5,
    }
    url = f"/api/v1/market/quotation-requests/{item['id']}"
    first = supplier.put(f"{url}/quote", json.dumps(quote_body), content_type="application/json")
    assert first.status_code == 201 and first.json()["total"] == 3_300
    quote_body["lines"][0]["unit_price"] = 1_000
    second = supplier.put(f"{url}/quote", json.dumps(quote_body), content_type="application/json")
    assert second.status_code == 200 and second.json()["revision"] == 2
    assert second.json()["total"] == 3_000

    early = researcher.post(
        f"{url}/award",
        json.dumps({"quote_id": first.json()["id"]}),
        content_type="application/json",
    )
    assert early.status_code == 409 and early.json()["code"] == "deadline_not_passed"
    assert researcher.post(f"{url}/close").status_code == 200
    award = {"quote_id": first.json()["id"]}
    po = researcher.post(f"{url}/award", json.dumps(award), content_type="application/json")
    assert po.status_code == 201 and po.json()["total"] == 3_000
    assert po.json()["lines"][0]["supply_amount"] == 2_727
    again = researcher.post(f"{url}/award", json.dumps(award), content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == po.json()["id"]
    late = supplier.put(f"{url}/quote", json.dumps(quote_body), content_type="application/json")
    assert late.status_code == 409 and late.json()["code"] == "bad_transition"
    step = supplier.post(
        f"/api/v1/market/purchase-orders/{po.json()['id']}/transitions",
        json.dumps({"action": "pay"}),
        content_type="application/json",
    )
    assert step.status_code == 403
    # the researcher sees the quotes now that the request is awarded
    seen = researcher.get(url).json()
    assert seen["quotes_revealed"] and [q["total"] for q in seen["quotes"]] == [3_000]
    assert seen["purchase_order_id"] == po.json()["id"]


def test_a_supplier_does_not_learn_its_competitors(pw, client_for):
    item = QuotationRequest.objects.get(title="연구원 개원 기념행사 다과·기념품")
    supplier, researcher = client_for("supplier"), client_for("researcher")
    page = supplier.get(f"/market/purchasing/requests/{item.pk}/").content.decode()
    assert "우리밀협동조합" in page and "베러댄와플협동조합" not in page
    api = supplier.get(f"/api/v1/market/quotation-requests/{item.pk}").json()
    assert api["supplier_ids"] == []
    assert [q["supplier"] for q in api["quotes"]] == ["우리밀협동조합"]
    page = researcher.get(f"/market/purchasing/requests/{item.pk}/").content.decode()
    assert "베러댄와플협동조합" in page and "최저가" in page
    api = researcher.get(f"/api/v1/market/quotation-requests/{item.pk}").json()
    assert sorted(api["supplier_ids"]) == sorted([pw.wheat.pk, pw.waffle.pk])
    assert len(api["quotes"]) == 2


def test_demo_has_one_request_two_quotes_and_an_awarded_po_idempotently():
    from dure.market.demo import DEMO_QUOTATION_TITLE, load_demo

    item = QuotationRequest.objects.get(title=DEMO_QUOTATION_TITLE)
    assert item.status == "awarded" and item.buyer_organisation.kind == "research_institute"
    assert sorted(item.quotes.values_list("status", flat=True)) == ["not_selected", "selected"]
    po = PurchaseOrder.objects.get(request=item)
    assert po.supplier.organisation.name == "우리밀협동조합" and po.status == "issued"
    assert po.total == po.supply_total + po.vat_total == 120 * 5_500 + 30 * 25_300
    before = (
        QuotationRequest.objects.count(),
        Quote.objects.count(),
        PurchaseOrder.objects.count(),
    )
    assert load_demo()["market_purchase_orders"] == 1
    after = (QuotationRequest.objects.count(), Quote.objects.count(), PurchaseOrder.objects.count())
    assert after == before
