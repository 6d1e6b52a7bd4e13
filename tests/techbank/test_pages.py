"""Technology-bank pages: what they show and to whom, bad input, exports, accessibility basics."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from .conftest import app_number

pytestmark = pytest.mark.django_db

PHONE, EMAIL, CV = "010-9876-5432", "kim.secret@kitech.re.kr", "비밀 이력 2001 박사"


@pytest.fixture
def kim(users):
    from dure.techbank import services
    from dure.techbank.models import Expert, Technology

    expert = Expert.objects.get(name="김태호")
    services.expert_contact_update(
        actor=users["admin"], expert=expert, data={"phone": PHONE, "email": EMAIL, "cv": CV}
    )
    tech = Technology.objects.get(application_number="10-2019-0087421")
    tech.inventors.add(expert)
    return expert


def _leaks(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return EMAIL in text or CV in text or "01098765432" in digits


# --- experts' personal data ------------------------------------------------------------------------

OUTSIDERS = ["anonymous", "sme", "coop", "member", "supplier", "seller", "creator"]


@pytest.mark.parametrize("role", OUTSIDERS)
def test_experts_personal_data_never_reaches_outsiders(role, kim, client_for):
    client = client_for(role)
    pages = [
        "/techbank/?q=김태호",
        "/techbank/?q=레이저+용접&kind=expert",
        f"/techbank/technologies/{kim.technologies.first().pk}/",
        f"/techbank/experts/{kim.pk}/",
        "/techbank/experts/",
        "/techbank/experts/export/",
        "/techbank/experts/export/?format=xlsx",
        "/api/v1/techbank/search?q=김태호",
        "/api/v1/techbank/search?q=김태호&kind=expert",
        f"/api/v1/techbank/experts/{kim.pk}",
        "/api/v1/techbank/experts",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 302, 404), path
        body = response.content.decode("utf-8", "replace")
        assert not _leaks(body), path
        if "expert" in path and response.status_code == 200:
            assert "김태호" not in body or "?q=김태호" in path, path


def test_outsiders_do_not_find_experts_in_search(kim, client_for):
    response = client_for("sme").get("/api/v1/techbank/search?q=김태호&kind=expert")
    assert response.json()["results"] == []
    assert response.json()["count"] == 0


def test_staff_see_the_contact_and_the_view_is_logged(kim, client_for):
    from dure.core.models import PersonalDataAccess

    before = PersonalDataAccess.objects.count()
    response = client_for("center").get(f"/techbank/experts/{kim.pk}/")
    assert response.status_code == 200
    assert PHONE.replace("-", "") in re.sub(r"\D", "", response.content.decode()) or (
        PHONE in response.content.decode()
    )
    assert EMAIL in response.content.decode()
    assert PersonalDataAccess.objects.count() == before + 1
    api = client_for("admin").get(f"/api/v1/techbank/experts/{kim.pk}").json()
    assert api["contact"]["email"] == EMAIL


def test_expert_export_has_contact_columns_for_staff_only(kim, client_for):
    staff = client_for("admin").get("/techbank/experts/export/")
    rows = list(csv.reader(io.StringIO(staff.content.decode("utf-8-sig"))))
    assert rows[0][-2:] == ["phone", "email"]
    assert any(EMAIL in row for row in rows)
    xlsx = client_for("admin").get("/techbank/experts/export/?format=xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert "email" in [c.value for c in next(sheet.iter_rows())]


def test_equipment_schedule_shows_times_without_bookers(client_for):
    from dure.techbank.models import EquipmentBooking

    booking = EquipmentBooking.objects.get(purpose="이종 금속 접합 시제품 용접")
    response = client_for("coop").get(f"/techbank/equipment/{booking.equipment_id}/")
    body = response.content.decode()
    assert timezone.localtime(booking.starts_at).strftime("%Y-%m-%d %H:%M") in body
    assert booking.purpose not in body
    assert "한빛정밀" not in body
    assert booking.requester.get_full_name() not in body or not booking.requester.get_full_name()
    api = client_for("anonymous").get(f"/api/v1/techbank/equipment/{booking.equipment_id}")
    assert "한빛정밀" not in api.content.decode()
    assert api.json()["manager"] is None


# --- search --------------------------------------------------------------------------------------


def test_search_page_has_tabs_facets_snippets(client_for):
    response = client_for("anonymous").get("/techbank/", {"q": "용접 부식"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<mark>" in body
    assert 'aria-current="page"' in body  # the "all" tab
    assert "IPC" in body
    assert re.search(r"\(\d+\)", body)


@pytest.mark.parametrize(
    "query", ['"용접', "*", "-부식", "용접 NEAR 부식", "OR", "😀 센서", "가" * 10000, "IoT 센서"]
)
def test_hostile_queries_never_break_the_search(query, client_for):
    assert client_for("anonymous").get("/techbank/", {"q": query}).status_code == 200
    assert client_for("anonymous").get("/techbank/technologies/", {"q": query}).status_code == 200
    api = client_for("anonymous").get("/api/v1/techbank/search", {"q": query})
    assert api.status_code == 200


def test_markup_in_a_query_is_escaped_everywhere(client_for, make_technology, users):
    make_technology(actor=users["admin"], title="스크립트 <script>alert(1)</script> 방지 장치")
    for path in ("/techbank/", "/techbank/technologies/"):
        body = client_for("anonymous").get(path, {"q": "<script>alert(1)</script> 방지"}).content
        assert b"<script>alert(1)" not in body, path


def test_a_facet_link_narrows_the_results(client_for):
    client = client_for("anonymous")
    all_hits = client.get("/api/v1/techbank/search", {"q": "용접"}).json()
    kinds = {f["value"]: f["count"] for f in all_hits["facets"]["kind"]}
    narrowed = client.get("/api/v1/techbank/search", {"q": "용접", "kind": "equipment"}).json()
    assert narrowed["count"] == kinds.get("equipment", 0)
    assert {r["kind"] for r in narrowed["results"]} <= {"equipment"}


# --- technologies and transfer ---------------------------------------------------------------------


def test_dormant_technology_explains_the_waiver_and_offers_to_apply(client_for):
    from dure.techbank.models import Technology

    tech = Technology.objects.get(application_number="10-2014-0061175")
    sme = client_for("sme").get(f"/techbank/technologies/{tech.pk}/").content.decode()
    assert 'id="dormant-waiver"' in sme
    assert "0원 (면제)" in sme
    assert f"/techbank/technologies/{tech.pk}/apply/" in sme
    visitor = client_for("anonymous").get(f"/techbank/technologies/{tech.pk}/").content.decode()
    assert f"/techbank/technologies/{tech.pk}/apply/" not in visitor


def test_an_sme_applies_and_the_institute_reviews(client_for, org):
    from dure.techbank.models import Technology, TransferApplication

    tech = Technology.objects.get(application_number="10-2020-0112873")
    response = client_for("sme").post(
        f"/techbank/technologies/{tech.pk}/apply/",
        {
            "applicant": org("한빛정밀").pk,
            "deal_type": "nonexclusive",
            "intended_use": "정밀 부품 시제품",
        },
    )
    application = TransferApplication.objects.get(technology=tech, applicant=org("한빛정밀"))
    assert response["Location"] == f"/techbank/transfers/{application.pk}/"
    queue = client_for("researcher").get("/techbank/transfers/").content.decode()
    assert f"/techbank/transfers/{application.pk}/" in queue
    reviewed = client_for("researcher").post(
        f"/techbank/transfers/{application.pk}/act/", {"action": "review", "note": "검토"}
    )
    assert reviewed.status_code == 302
    application.refresh_from_db()
    assert application.status == "under_review"
    page = client_for("sme").get(f"/techbank/transfers/{application.pk}/").content.decode()
    assert 'aria-current="step"' in page


def test_reject_without_a_reason_is_an_error_on_the_note(client_for):
    from dure.techbank.models import TransferApplication

    application = TransferApplication.objects.get(technology__application_number="10-2019-0087421")
    response = client_for("researcher").post(
        f"/techbank/transfers/{application.pk}/act/", {"action": "reject", "note": ""}
    )
    assert response.status_code == 400
    assert response.context["action_form"].errors["note"]
    application.refresh_from_db()
    assert application.status == "under_review"


def test_bad_application_number_is_an_error_tied_to_its_field(client_for, institute):
    response = client_for("researcher").post(
        "/techbank/technologies/new/",
        {
            "title": "잘못된 번호",
            "application_number": "12-34",
            "status": "applied",
            "holder": institute("KITECH").pk,
            "commercialisation": "unused",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_application_number_error"' in body
    assert 'aria-describedby="id_application_number_help id_application_number_error"' in body
    assert 'aria-invalid="true"' in body


def test_a_researcher_cannot_register_for_another_institute(client_for, institute):
    response = client_for("researcher").post(
        "/techbank/technologies/new/",
        {
            "title": "남의 기관",
            "application_number": app_number(),
            "status": "applied",
            "holder": institute("ETRI").pk,
            "commercialisation": "unused",
        },
    )
    assert response.status_code == 400
    assert "holder" in response.context["form"].errors


def test_booking_overlap_and_order_are_field_errors(client_for, org):
    from dure.techbank.models import Equipment, EquipmentBooking

    booking = EquipmentBooking.objects.get(purpose="이종 금속 접합 시제품 용접")
    start = timezone.localtime(booking.starts_at)
    client = client_for("coop")
    url = f"/techbank/equipment/{booking.equipment_id}/book/"
    overlap = client.post(
        url,
        {
            "organisation": org("세리오협동조합").pk,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "purpose": "겹치는 예약",
        },
    )
    assert overlap.status_code == 400
    assert "starts_at" in overlap.context["form"].errors
    backwards = client.post(
        url,
        {
            "organisation": org("세리오협동조합").pk,
            "starts_at": (start + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(days=29)).strftime("%Y-%m-%dT%H:%M"),
            "purpose": "거꾸로",
        },
    )
    assert backwards.status_code == 400
    assert "ends_at" in backwards.context["form"].errors
    assert (
        not Equipment.objects.get(pk=booking.equipment_id)
        .bookings.filter(purpose__in=["겹치는 예약", "거꾸로"])
        .exists()
    )


def test_sole_use_equipment_takes_no_booking(client_for):
    from dure.techbank.models import Equipment

    item = Equipment.objects.filter(sharing="sole").first()
    assert client_for("sme").get(f"/techbank/equipment/{item.pk}/book/").status_code == 404


# --- statistics ------------------------------------------------------------------------------------


def test_statistics_tables_and_exports(client_for):
    from dure.techbank import selectors

    _rates, overall = selectors.commercialisation_rates()
    page = client_for("anonymous").get("/techbank/statistics/").content.decode()
    assert page.count("<table") == 4
    assert '<th scope="col">' in page
    response = client_for("anonymous").get("/techbank/statistics/rates.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[-1][1] == str(overall.total)
    assert rows[-1][4] == f"{overall.rate * 100:.1f}%"
    from openpyxl import load_workbook

    xlsx = client_for("anonymous").get("/techbank/statistics/pipeline.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 1 + 7  # the header and every transfer status
    assert client_for("anonymous").get("/techbank/statistics/rates.pdf").status_code == 404


# --- accessibility basics on every page ------------------------------------------------------------

A11Y_PAGES = [
    "/techbank/",
    "/techbank/?q=용접",
    "/techbank/technologies/",
    "/techbank/technologies/new/",
    "/techbank/equipment/",
    "/techbank/equipment/new/",
    "/techbank/labs/",
    "/techbank/labs/new/",
    "/techbank/experts/",
    "/techbank/experts/new/",
    "/techbank/transfers/",
    "/techbank/bookings/",
    "/techbank/exchanges/",
    "/techbank/exchanges/new/",
    "/techbank/statistics/",
]


def _details():
    from dure.techbank.models import (
        Equipment,
        EquipmentBooking,
        ExchangeRequest,
        Expert,
        Lab,
        Technology,
        TransferApplication,
    )

    tech = Technology.objects.get(application_number="10-2019-0087421")
    equipment = Equipment.objects.get(nfec_number="NFEC-2016-04-209871")
    return [
        f"/techbank/technologies/{tech.pk}/",
        f"/techbank/technologies/{tech.pk}/edit/",
        f"/techbank/technologies/{tech.pk}/apply/",
        f"/techbank/equipment/{equipment.pk}/",
        f"/techbank/equipment/{equipment.pk}/edit/",
        f"/techbank/equipment/{equipment.pk}/book/",
        f"/techbank/labs/{Lab.objects.first().pk}/",
        f"/techbank/experts/{Expert.objects.first().pk}/",
        f"/techbank/experts/{Expert.objects.first().pk}/edit/",
        f"/techbank/transfers/{TransferApplication.objects.first().pk}/",
        f"/techbank/exchanges/{ExchangeRequest.objects.first().pk}/",
        f"/techbank/bookings/{EquipmentBooking.objects.first().pk}/",
    ]


def test_every_page_has_one_h1_and_labelled_controls(client_for):
    client = client_for("admin")
    for path in A11Y_PAGES + _details():
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert len(re.findall(r"<h1[ >]", body)) == 1, path
        labels = set(re.findall(r'<label[^>]*for="([^"]+)"', body))
        for tag, attrs in re.findall(r"<(input|select|textarea)([^>]*)>", body):
            if re.search(r'type="(hidden|submit|button)"', attrs):
                continue
            control_id = re.search(r'id="([^"]+)"', attrs)
            labelled = control_id and control_id.group(1) in labels
            assert labelled or "aria-label" in attrs, (path, tag, attrs)
        ids = re.findall(r'\sid="([^"]+)"', body)
        assert len(ids) == len(set(ids)), (path, sorted({i for i in ids if ids.count(i) > 1}))
        for table in re.findall(r"<table.*?</table>", body, re.S):
            assert "<th" in table, path
