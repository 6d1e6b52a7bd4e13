"""Queues, "내 문의", the dashboard and its exports: scoped to what each person may see,
filtered and paged, in a bounded number of queries, and the evaluation export without any
personal data."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from dure.core.exports import cell
from dure.desk import services
from dure.desk.models import Case, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_embedding(monkeypatch):
    from dure.routing import services as routing

    monkeypatch.setattr(routing, "routing_example_record", lambda **kw: None)


def numbers_in(response) -> set[str]:
    return {c.number for c in response.context["result"].cases}


# --- queues ------------------------------------------------------------------------------------


def test_centre_staff_see_every_queue_with_counts(client_for):
    response = client_for("center").get("/desk/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    for label in ("전체", "우리 센터", "내 담당", "기한 초과", "기한 임박", "미배정", "답변 대기"):
        assert label in html
    assert numbers_in(response) == set(Case.objects.values_list("number", flat=True))
    assert 'aria-current="page"' in html


def test_the_researcher_sees_their_institutes_cases_only(desk, client_for):
    response = client_for("researcher").get("/desk/?queue=institute")
    kitech = set(Case.objects.filter(lead_institute=desk.kitech).values_list("number", flat=True))
    assert numbers_in(response) == kitech
    every = client_for("researcher").get("/desk/")
    assert numbers_in(every) <= set(
        Case.objects.filter(lead_institute__isnull=False).values_list("number", flat=True)
    )
    assert "우리 센터" not in every.content.decode()


def test_requesters_are_sent_to_their_own_cases(client_for):
    response = client_for("sme").get("/desk/")
    assert response.status_code == 302 and response["Location"] == "/desk/mine/"


def test_filters_narrow_the_queue(client_for):
    client = client_for("center")
    triaged = client.get("/desk/?status=triaged")
    assert numbers_in(triaged) == set(
        Case.objects.filter(status=Status.TRIAGED).values_list("number", flat=True)
    )
    info = client.get("/desk/?category=information")
    assert numbers_in(info) == set(
        Case.objects.filter(category="information").values_list("number", flat=True)
    )
    calls = client.get("/desk/?channel=phone_1379")
    assert numbers_in(calls) == set(
        Case.objects.filter(channel="phone_1379").values_list("number", flat=True)
    )
    one = Case.objects.order_by("pk").first()
    assert numbers_in(client.get(f"/desk/?q={one.number}")) == {one.number}
    # an unknown value drops that filter only, never an error
    assert client.get("/desk/?status=nonsense&category=information").status_code == 200


def test_the_overdue_queue_lists_late_cases_in_words(client_for):
    late = Case.objects.filter(status=Status.TRIAGED).first()
    Case.objects.filter(pk=late.pk).update(
        first_response_due_at=timezone.now() - dt.timedelta(hours=2)
    )
    response = client_for("center").get("/desk/?queue=overdue")
    assert late.number in numbers_in(response)
    assert "⚠ 기한 초과" in response.content.decode()


def test_my_queue_holds_what_is_assigned_to_me(desk, client_for):
    response = client_for("researcher").get("/desk/?queue=mine")
    expected = set(Case.objects.filter(assignee=desk.researcher).values_list("number", flat=True))
    assert expected and expected <= numbers_in(response)


def test_the_queue_is_paged(client_for, settings):
    settings.DURE_PAGE_SIZE = 5
    client = client_for("center")
    first = client.get("/desk/")
    html = first.content.decode()
    assert len(first.context["result"].cases) == 5
    assert 'rel="next"' in html and "page=2" in html
    second = client.get("/desk/?page=2")
    assert numbers_in(first).isdisjoint(numbers_in(second))
    assert client.get("/desk/?page=abc").status_code == 200
    assert client.get("/desk/?page=99999999999").status_code == 200


def test_the_queue_takes_a_fixed_number_of_queries(
    desk, client_for, submit, django_assert_max_num_queries
):
    client = client_for("center")
    client.get("/desk/")  # warm the session
    with django_assert_max_num_queries(20) as few:
        client.get("/desk/")
    for _ in range(10):
        submit()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/desk/")


# --- 내 문의 ------------------------------------------------------------------------------------


def test_my_cases_lists_the_requesters_own_cases(desk, client_for):
    mine = client_for("sme").get("/desk/mine/")
    numbers = {c.number for c in mine.context["page"].object_list}
    assert numbers == set(Case.objects.filter(requester=desk.sme).values_list("number", flat=True))
    assert list(client_for("coop").get("/desk/mine/").context["page"].object_list) == []
    assert "로그인하지 않고 접수했다면" in client_for("coop").get("/desk/mine/").content.decode()


# --- dashboard ---------------------------------------------------------------------------------


def test_the_dashboard_shows_accessible_tables(client_for):
    response = client_for("center").get("/desk/dashboard/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    for caption in (
        "분류별",
        "지역별",
        "주관 연구기관별",
        "접수 경로별",
        "해결까지 영업일 분포",
        "점수별 응답 수",
    ):
        assert f"<caption>{caption}</caption>" in html
    assert html.count('scope="col"') >= 20
    assert "KITECH" in html
    performance = response.context["performance"]
    kitech = next(p for p in performance if p.acronym == "KITECH")
    assert kitech.cases >= 5 and kitech.surveys >= 1


def test_the_dashboard_of_an_institute_counts_its_own_cases(desk, client_for):
    response = client_for("researcher").get("/desk/dashboard/")
    assert {p.acronym for p in response.context["performance"]} <= {"KITECH", "KIMS"}
    total = sum(n for _k, _l, n in response.context["counts"][0][2])
    assert (
        total
        == Case.objects.filter(lead_institute=desk.kitech)
        .exclude(status=Status.CLOSED, resolution_count=0)
        .count()
    )


def test_a_period_filters_the_dashboard(client_for):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client_for("center").get(f"/desk/dashboard/?since={tomorrow}")
    assert all(n == 0 for _k, _l, n in response.context["counts"][0][2])
    bad = client_for("center").get("/desk/dashboard/?since=2026-05-01&until=2026-01-01")
    assert (
        bad.status_code == 200 and "종료일은 시작일과 같거나 뒤여야 합니다." in bad.content.decode()
    )


def test_the_dashboard_is_for_desk_workers(client_for):
    for role in ("sme", "coop", "member", "supplier", "seller", "creator"):
        assert client_for(role).get("/desk/dashboard/").status_code == 404, role


# --- exports -----------------------------------------------------------------------------------


def personal_values() -> set[str]:
    values: set[str] = set()
    for case in Case.objects.all():
        values |= {
            case.contact_name,
            case.contact_email,
            case.contact_phone,
            case.company_name,
            case.business_number,
            case.business_number_display,
            case.title,
            case.description[:20],
        }
    return {v for v in values if v}


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_evaluation_export_has_one_row_per_case_and_no_personal_data(client_for):
    response = client_for("center").get("/desk/dashboard/export/?report=evaluation&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:3] == ["접수번호", "접수일", "접수 경로"]
    counted = Case.objects.exclude(status=Status.CLOSED, resolution_count=0)
    assert {r[0] for r in rows[1:]} == set(counted.values_list("number", flat=True))
    text = response.content.decode()
    leaked = [v for v in personal_values() if v in text]
    assert not leaked, f"personal data in the evaluation export: {leaked}"


def test_the_xlsx_export_holds_the_same_rows(client_for):
    from openpyxl import load_workbook

    client = client_for("center")
    csv_rows = read_csv(client.get("/desk/dashboard/export/?report=evaluation&format=csv"))
    response = client.get("/desk/dashboard/export/?report=evaluation&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    xlsx_rows = [
        ["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert len(xlsx_rows) == len(csv_rows)
    assert [r[0] for r in xlsx_rows] == [r[0] for r in csv_rows]
    cells = " ".join(" ".join(r) for r in xlsx_rows)
    assert not [v for v in personal_values() if v in cells]


@pytest.mark.parametrize("report", ["performance", "counts"])
def test_the_other_reports_export_in_both_formats(client_for, report):
    client = client_for("center")
    rows = read_csv(client.get(f"/desk/dashboard/export/?report={report}&format=csv"))
    assert len(rows) > 1
    assert client.get(f"/desk/dashboard/export/?report={report}&format=xlsx").status_code == 200
    if report == "performance":
        assert any(r[0] == "KITECH" for r in rows)


def test_an_unknown_report_goes_back_to_the_dashboard_with_a_message(client_for):
    client = client_for("center")
    response = client.get("/desk/dashboard/export/?report=people&format=pdf")
    assert response.status_code == 302 and response["Location"] == "/desk/dashboard/"
    assert "내려받을 보고서" in client.get(response["Location"]).content.decode()


def test_an_institute_exports_its_own_cases_only(desk, client_for):
    rows = read_csv(
        client_for("researcher").get("/desk/dashboard/export/?report=evaluation&format=csv")
    )
    numbers = {r[0] for r in rows[1:]}
    visible = set(
        Case.objects.filter(lead_institute=desk.kitech)
        .exclude(status=Status.CLOSED, resolution_count=0)
        .values_list("number", flat=True)
    )
    assert numbers == visible


def test_spreadsheet_cells_never_start_a_formula():
    assert cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert cell("+82") == "'+82"
    assert cell(-3) == -3
    assert cell(None) == ""
    assert cell(True) == "예"


def test_an_exported_survey_and_resolution_are_counted(desk, flow, client_for):
    case = flow("resolved")
    services.case_survey_submit(
        case=case, status_token=services.status_token_for(case=case), rating=3
    )
    rows = read_csv(
        client_for("center").get("/desk/dashboard/export/?report=evaluation&format=csv")
    )
    row = next(r for r in rows if r[0] == case.number)
    header = rows[0]
    assert row[header.index("만족도")] == "3"
    assert row[header.index("주관 연구기관")] == "KITECH"
    assert row[header.index("해결 결과")] == "정보 제공"
