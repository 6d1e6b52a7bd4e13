"""A technology-transfer application or an exchange request made from a one-stop desk case is
linked to it: only a case the applicant may see, of the applying organisation; the link shows
on both sides and in the API. Royalty reports and exchange candidates through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def sme_case(users):
    from dure.desk.models import Case

    return Case.objects.filter(requester=users["sme"]).order_by("pk").first()


@pytest.fixture
def hanbit(users):
    from dure.directory.models import Organisation

    return Organisation.objects.get(name="한빛정밀")


@pytest.fixture
def tech(make_technology):
    return make_technology(
        title="사출 금형 균일 냉각 채널 설계 기술",
        deal_types=["nonexclusive"],
        abstract="사출 금형의 냉각 채널을 제품 형상에 맞춰 배치해 휨을 줄인다.",
    )


def _submit(users, tech, hanbit, number):
    from dure.techbank import services

    return services.transfer_submit(
        actor=users["sme"],
        technology=tech,
        applicant=hanbit,
        deal_type="nonexclusive",
        intended_use="가전 부품 금형",
        desk_case=number,
    )


def test_a_transfer_from_the_requesters_case_is_linked_and_shown(
    users, client_for, sme_case, hanbit, tech
):
    assert sme_case is not None and sme_case.organisation_id in (None, hanbit.pk)
    application = _submit(users, tech, hanbit, sme_case.number)
    assert application.desk_case_id == sme_case.pk

    page = client_for("sme").get(f"/techbank/transfers/{application.pk}/")
    assert page.status_code == 200
    assert f'href="/desk/cases/{sme_case.number}/"' in page.content.decode()

    api = client_for("sme").get(f"/api/v1/techbank/transfers/{application.pk}")
    assert api.json()["desk_case_number"] == sme_case.number


def test_an_unknown_or_foreign_case_is_refused_and_nothing_is_written(
    users, sme_case, hanbit, tech
):
    from django.core.exceptions import ValidationError

    from dure.techbank.models import TransferApplication

    before = TransferApplication.objects.count()
    with pytest.raises(ValidationError) as unknown:
        _submit(users, tech, hanbit, "2099-999999")
    assert unknown.value.error_dict["desk_case"][0].code == "desk_case_not_found"

    # Another company's people cannot link 한빛정밀's case, even naming it exactly.
    from dure.directory.models import Organisation
    from dure.techbank import services

    serio = Organisation.objects.get(name="세리오협동조합")
    with pytest.raises(ValidationError) as foreign:
        services.transfer_submit(
            actor=users["coop"],
            technology=tech,
            applicant=serio,
            deal_type="nonexclusive",
            intended_use="협동조합 제품",
            desk_case=sme_case.number,
        )
    assert foreign.value.error_dict["desk_case"][0].code == "desk_case_not_found"
    assert TransferApplication.objects.count() == before


def test_the_form_carries_the_case_and_shows_a_bad_one_as_a_form_error(
    client_for, sme_case, hanbit, tech
):
    from dure.techbank.models import TransferApplication

    client = client_for("sme")
    form = client.get(f"/techbank/technologies/{tech.pk}/apply/?case={sme_case.number}")
    html = form.content.decode()
    assert form.status_code == 200
    assert f'value="{sme_case.number}"' in html and sme_case.number in html

    data = {
        "applicant": hanbit.pk,
        "deal_type": "nonexclusive",
        "intended_use": "금형 개선",
        "desk_case": "2099-999999",
    }
    bad = client.post(f"/techbank/technologies/{tech.pk}/apply/", data)
    assert bad.status_code == 400
    assert "상담 건을 찾을 수 없습니다" in bad.content.decode()
    assert not TransferApplication.objects.filter(technology=tech).exists()

    good = client.post(
        f"/techbank/technologies/{tech.pk}/apply/", {**data, "desk_case": sme_case.number}
    )
    assert good.status_code == 302
    assert TransferApplication.objects.get(technology=tech).desk_case_id == sme_case.pk


def test_the_requesters_case_page_offers_matching_technologies_to_apply_for(
    client_for, sme_case, tech
):
    from dure.desk.models import Case

    Case.objects.filter(pk=sme_case.pk).update(category="tech_transfer")
    html = client_for("sme").get(f"/desk/cases/{sme_case.number}/").content.decode()
    assert "기술은행에서 바로 신청하기" in html
    assert f"/techbank/technologies/{tech.pk}/apply/?case={sme_case.number}" in html

    # Once classed as something else (consulting), the offer follows the triage.
    Case.objects.filter(pk=sme_case.pk).update(category="consulting")
    html = client_for("sme").get(f"/desk/cases/{sme_case.number}/").content.decode()
    assert "기술은행에서 바로 신청하기" not in html

    Case.objects.filter(pk=sme_case.pk).update(category="personnel")
    html = client_for("sme").get(f"/desk/cases/{sme_case.number}/").content.decode()
    assert f"/techbank/exchanges/new/?case={sme_case.number}" in html


def test_an_exchange_request_from_a_case_is_linked(users, sme_case, hanbit):
    from dure.techbank import services

    today = timezone.localdate()
    request = services.exchange_submit(
        actor=users["sme"],
        requester=hanbit,
        direction="dispatch",
        field="금형 냉각 해석",
        start_date=today + dt.timedelta(days=10),
        end_date=today + dt.timedelta(days=12),
        purpose="현장 냉각 해석 지원",
        desk_case=sme_case.number,
    ).exchange
    assert request.desk_case_id == sme_case.pk


def test_royalty_reports_through_the_api_compute_the_royalty_exactly(client_for):
    from dure.techbank import royalty
    from dure.techbank.models import TransferApplication

    licence = (
        TransferApplication.objects.filter(applicant__name="세리오협동조합", royalty_bp__gt=0)
        .exclude(licence_start=None)
        .first()
    )
    assert licence is not None
    client = client_for("coop")
    reported = set(licence.royalty_reports.values_list("period_start", flat=True))
    start, end = next(
        (first, last)
        for first, last in royalty.report_periods(
            start=licence.licence_start,
            every_months=licence.report_every_months,
            until=timezone.localdate() - dt.timedelta(days=1),
        )
        if first not in reported
    )
    sales = 123_456_789
    created = client.post(
        f"/api/v1/techbank/transfers/{licence.pk}/reports",
        {"period_start": start.isoformat(), "period_end": end.isoformat(), "sales": sales},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["royalty_due"] == sales * licence.royalty_bp // 10_000

    listed = client.get(f"/api/v1/techbank/transfers/{licence.pk}/reports").json()
    assert any(r["sales"] == sales for r in listed["reports"])
    assert listed["royalty_total"] == sum(r["royalty_due"] for r in listed["reports"])

    again = client.post(
        f"/api/v1/techbank/transfers/{licence.pk}/reports",
        {"period_start": start.isoformat(), "period_end": end.isoformat(), "sales": 1},
        content_type="application/json",
    )
    assert again.status_code == 422
    assert again.json()["code"] == "report_exists"
    assert licence.royalty_reports.filter(period_start=start).count() == 1


def test_exchange_candidates_in_the_api_carry_no_personal_data(users, client_for, hanbit):
    from dure.techbank import services
    from dure.techbank.models import Expert

    expert = Expert.objects.filter(available_for_exchange=True, institute__acronym="KITECH").first()
    assert expert is not None
    field = (expert.fields or ["정밀 가공"])[0]
    today = timezone.localdate()
    request = services.exchange_submit(
        actor=users["sme"],
        requester=hanbit,
        direction="dispatch",
        field=field,
        institute=expert.institute,
        start_date=today + dt.timedelta(days=10),
        end_date=today + dt.timedelta(days=12),
        purpose="현장 지원",
    ).exchange
    response = client_for("researcher").get(f"/api/v1/techbank/exchanges/{request.pk}/candidates")
    assert response.status_code == 200
    body = response.json()
    assert all(set(row) >= {"id", "name", "institute"} for row in body)
    assert all("contact" not in row and "phone" not in row for row in body)
    assert (
        client_for("sme").get(f"/api/v1/techbank/exchanges/{request.pk}/candidates").status_code
        == 404
    )


def test_the_transfer_list_fetches_case_numbers_in_one_query(
    users, client_for, sme_case, hanbit, make_technology
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("sme")

    def queries_for_list() -> tuple[int, list]:
        with CaptureQueriesContext(connection) as captured:
            body = client.get("/api/v1/techbank/transfers").json()
        return len(captured), body["results"]

    first = _submit(users, make_technology(title="금형 냉각 기술 하나"), hanbit, sme_case.number)
    one, results = queries_for_list()
    assert [r["desk_case_number"] for r in results if r["id"] == first.pk] == [sme_case.number]
    for n in range(3):
        _submit(users, make_technology(title=f"금형 냉각 기술 {n}"), hanbit, sme_case.number)
    four, results = queries_for_list()
    assert sum(r["desk_case_number"] == sme_case.number for r in results) >= 4
    assert four == one  # not one query more per linked application
