"""The policy dashboard's pages and API: the dashboard table (label, target, actual per
indicator for ``?year=``), the CSV/XLSX export with the same numbers, the targets form
(saved by centre staff, field errors as 400) and /api/v1/insights (read by anyone, targets set
by staff with JSON errors ``{code, message, field}``)."""

from __future__ import annotations

import csv
import io
import json
import re
import zoneinfo
from datetime import date, datetime
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string

from dure.core.models import AuditEvent
from dure.insights import selectors
from dure.insights.indicators import INDICATORS
from dure.insights.models import PolicyTarget
from dure.insights.services import MAX_TARGET

pytestmark = pytest.mark.django_db

API = "/api/v1/insights"
YEAR = 2019  # a past year: every month counted, whatever today is
KEYS = [indicator.key for indicator in INDICATORS]
HANGUL = re.compile(r"[가-힣]")
HEADER = [
    "지표",
    "단위",
    "목표",
    "실적",
    "달성률 (%)",
    "전년 동기",
    *[f"{m}월" for m in range(1, 13)],
    "정의",
]
YEAR_TARGETS = {
    "cooperatives_founded": 1234,
    "cooperative_jobs": 56789,
    "sme_cases_resolved": 4,
    "technology_transfers": 0,
    "education_participants": 300,
    "mous_signed": 7,
    # technologies_commercialised: no target
}


def stored(year: int) -> dict[str, int]:
    return dict(PolicyTarget.objects.filter(year=year).values_list("indicator", "target"))


def every_target() -> list[tuple]:
    return list(
        PolicyTarget.objects.order_by("pk").values_list(
            "pk", "year", "indicator", "target", "set_by", "updated_at"
        )
    )


def set_targets(year: int, values: dict[str, int]) -> None:
    PolicyTarget.objects.filter(year=year).delete()
    for key, value in values.items():
        PolicyTarget.objects.create(year=year, indicator=key, target=value)


@pytest.fixture
def year_targets(db):
    """YEAR's targets, some cooperatives founded in YEAR and the year before (so that actual
    and last year differ), and the dashboard rows the pages must show."""
    from dure.directory.models import Organisation

    set_targets(YEAR, YEAR_TARGETS)
    for n, founded in enumerate([date(YEAR, 2, 3), date(YEAR, 2, 4), date(YEAR, 9, 1)]):
        Organisation.objects.create(
            kind="cooperative", name=f"화면 시험조합 {n}", founded_on=founded, employee_count=7
        )
    Organisation.objects.create(
        kind="cooperative", name="화면 시험조합 전년", founded_on=date(YEAR - 1, 5, 1)
    )
    rows = {row.indicator.key: row for row in selectors.dashboard(year=YEAR).rows}
    assert rows["cooperatives_founded"].actual != rows["cooperatives_founded"].last_year
    assert rows["cooperative_jobs"].actual != rows["cooperative_jobs"].last_year
    return rows


@pytest.fixture
def travel(monkeypatch):
    """travel(moment) → timezone.now() (and so localdate()) answers ``moment`` from then on."""

    def to(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return to


class _Tables(HTMLParser):
    """Every table of a page as rows of cell texts (whitespace collapsed)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(response) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser.tables


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["code"] == code, data
    assert data["field"] == field, data
    assert HANGUL.search(data["message"]), data
    return data


def put(client: Client, year: Any, body: Any, **extra: Any):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.put(f"{API}/targets/{year}", data=data, content_type="application/json", **extra)


# --- the dashboard page ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "member", "center"])
def test_the_dashboard_shows_each_indicators_label_target_and_actual(
    role, client_for, year_targets
):
    response = client_for(role).get("/insights/", {"year": YEAR})
    assert response.status_code == 200
    summary = tables(response)[0]
    assert summary[0] == ["지표", "목표", "실적", "달성률", "진도", "전년 동기"]
    body = summary[1:]
    assert len(body) == len(INDICATORS)
    for cells, indicator in zip(body, INDICATORS, strict=True):
        row = year_targets[indicator.key]
        label, target, actual, achievement, _progress, last_year = cells
        unit = str(indicator.unit)
        assert label.startswith(indicator.label + " | ")
        assert str(indicator.definition) in label
        if row.target is None:
            assert target == "목표 없음"
        else:
            assert target == f"{row.target:,}{unit}"
        assert actual == f"{row.actual:,}{unit}"
        assert achievement == ("-" if row.achievement is None else f"{row.achievement}%")
        assert last_year == f"{row.last_year:,}{unit}"
    by_label = {cells[0].split(" | ")[0]: cells for cells in body}
    assert by_label["협동조합 설립"][1] == "1,234개"
    assert by_label["신설 협동조합 일자리"][1] == "56,789명"
    assert by_label["특허·기술 사업화"][1] == "목표 없음"
    assert f"정책 목표 대비 성과 ({YEAR}년)" in response.content.decode()


def test_the_dashboard_shows_the_months_of_each_indicator(client, year_targets):
    response = client.get("/insights/", {"year": YEAR})
    months = tables(response)[1]
    assert months[0] == ["지표", *[f"{m}월" for m in range(1, 13)]]
    for cells, indicator in zip(months[1:], INDICATORS, strict=True):
        assert cells[0] == indicator.label
        assert cells[1:] == [f"{n:,}" for n in year_targets[indicator.key].monthly]


def test_a_new_cooperative_shows_on_the_dashboard(client, year_targets):
    from dure.directory.models import Organisation

    before = year_targets["cooperatives_founded"].actual
    Organisation.objects.create(
        kind="cooperative", name="대시보드 시험조합", founded_on=date(YEAR, 2, 3)
    )
    response = client.get("/insights/", {"year": YEAR})
    (cells,) = [c for c in tables(response)[0][1:] if c[0].startswith("협동조합 설립 |")]
    assert cells[2] == f"{before + 1:,}개"


def test_only_staff_see_the_link_to_set_targets(client_for, year_targets):
    link = f'href="/insights/targets/{YEAR}/"'
    assert link in client_for("center").get("/insights/", {"year": YEAR}).content.decode()
    assert link in client_for("admin").get("/insights/", {"year": YEAR}).content.decode()
    assert link not in client_for("sme").get("/insights/", {"year": YEAR}).content.decode()
    assert link not in client_for("anonymous").get("/insights/", {"year": YEAR}).content.decode()


@pytest.mark.parametrize("junk", ["abc", "2011", "99999", ""])
def test_a_junk_year_shows_this_year(client, junk):
    this_year = selectors.current_year()
    response = client.get("/insights/", {"year": junk})
    assert response.status_code == 200
    assert response.context["board"].year == this_year
    assert f"정책 목표 대비 성과 ({this_year}년)" in response.content.decode()


# --- the export --------------------------------------------------------------------------------


def expected_rows(rows_by_key) -> list[list[Any]]:
    out = []
    for indicator in INDICATORS:
        row = rows_by_key[indicator.key]
        out.append(
            [
                indicator.label,
                str(indicator.unit),
                row.target,
                row.actual,
                row.achievement,
                row.last_year,
                *row.monthly,
                str(indicator.definition),
            ]
        )
    return out


def test_the_csv_export_has_the_header_and_one_row_per_indicator(client, year_targets):
    response = client.get("/insights/export/", {"year": YEAR, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"dure-policy-indicators-{YEAR}.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0] == HEADER
    assert len(table) == 1 + len(INDICATORS)
    want = [["" if v is None else str(v) for v in row] for row in expected_rows(year_targets)]
    assert table[1:] == want
    by_label = {row[0]: row for row in table[1:]}
    assert by_label["협동조합 설립"][2] == "1234"
    assert by_label["특허·기술 사업화"][2] == ""
    assert by_label["기술이전 계약"][2:5:2] == ["0", ""]  # target 0, no percentage


def test_the_xlsx_export_has_the_same_numbers(client, year_targets):
    from openpyxl import load_workbook

    response = client.get("/insights/export/", {"year": YEAR, "format": "xlsx"})
    assert response.status_code == 200
    assert f"dure-policy-indicators-{YEAR}.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    (sheet,) = book.worksheets
    assert sheet.title == "성과 지표"
    table = [[None if v == "" else v for v in row] for row in sheet.iter_rows(values_only=True)]
    assert list(table[0]) == HEADER
    assert len(table) == 1 + len(INDICATORS)
    assert [list(row) for row in table[1:]] == expected_rows(year_targets)
    by_label = {row[0]: row for row in table[1:]}
    assert by_label["협동조합 설립"][2] == 1234
    assert by_label["협동조합 설립"][3] == year_targets["cooperatives_founded"].actual
    assert isinstance(by_label["협동조합 설립"][3], int)
    assert by_label["특허·기술 사업화"][2] is None


def test_the_export_without_a_format_is_csv(client):
    response = client.get("/insights/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("fmt", ["pdf", "", "CSV", "xls"])
def test_an_unknown_export_format_is_404(client, fmt):
    assert client.get("/insights/export/", {"year": YEAR, "format": fmt}).status_code == 404


# --- the targets page --------------------------------------------------------------------------


def form_data(**values: Any) -> dict[str, Any]:
    data = {key: "" for key in KEYS}
    data.update({k: str(v) for k, v in values.items()})
    return data


def test_the_targets_form_shows_the_years_targets(client_for, year_targets):
    response = client_for("center").get(f"/insights/targets/{YEAR}/")
    assert response.status_code == 200
    assert response.context["form"].initial == YEAR_TARGETS
    html = response.content.decode()
    assert 'name="cooperatives_founded"' in html and 'value="1234"' in html


@pytest.mark.parametrize("role", ["center", "admin"])
def test_staff_save_the_targets_and_go_back_to_the_dashboard(role, client_for, users):
    set_targets(2021, {"mous_signed": 2, "cooperatives_founded": 8})
    client = client_for(role)
    response = client.post(
        "/insights/targets/2021/", form_data(mous_signed=3, cooperative_jobs=1200)
    )
    assert response.status_code == 302
    assert response["Location"] == "/insights/?year=2021"
    # blank fields remove their targets
    assert stored(2021) == {"mous_signed": 3, "cooperative_jobs": 1200}
    assert PolicyTarget.objects.get(year=2021, indicator="mous_signed").set_by == users[role]
    row = AuditEvent.objects.get(action="insights.targets_set", object_id="2021")
    assert row.changes == {
        "cooperative_jobs": [None, 1200],
        "cooperatives_founded": [8, None],
        "mous_signed": [2, 3],
    }
    page = client.get(response["Location"])
    assert "2021년 목표를 저장했습니다." in page.content.decode()
    by_label = {c[0].split(" | ")[0]: c for c in tables(page)[0][1:]}
    assert by_label["신설 협동조합 일자리"][1] == "1,200명"


@pytest.mark.parametrize(
    ("value", "message"),
    [("-5", "0 이상"), ("다섯", "정수"), (str(MAX_TARGET + 1), "이하로 입력해 주세요")],
)
def test_a_bad_number_is_a_field_error_and_nothing_is_saved(client_for, value, message):
    set_targets(2021, {"mous_signed": 2})
    audits = AuditEvent.objects.exclude(action__startswith="auth.").count()
    response = client_for("center").post(
        "/insights/targets/2021/", form_data(mous_signed=value, cooperatives_founded=10)
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["mous_signed"]
    assert message in errors["mous_signed"][0]
    html = response.content.decode()
    assert 'id="id_mous_signed_error"' in html
    assert "<title>오류:" in html
    assert stored(2021) == {"mous_signed": 2}
    assert AuditEvent.objects.exclude(action__startswith="auth.").count() == audits


def test_the_targets_page_is_not_there_for_others_or_out_of_range(client_for):
    assert client_for("sme").get("/insights/targets/2021/").status_code == 404
    assert (
        client_for("sme").post("/insights/targets/2021/", form_data(mous_signed=1)).status_code
        == 404
    )
    assert client_for("center").get("/insights/targets/2011/").status_code == 404
    assert client_for("center").get("/insights/targets/2101/").status_code == 404
    anonymous = client_for("anonymous").get("/insights/targets/2021/")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert not PolicyTarget.objects.filter(year=2021, indicator="mous_signed", target=1).exists()


# --- the API -----------------------------------------------------------------------------------


def test_anyone_reads_the_dashboard_with_the_same_numbers(client, year_targets):
    response = client.get(API, {"year": YEAR})
    assert response.status_code == 200, response.content.decode()
    data = response.json()
    assert data["year"] == YEAR
    assert data["months_counted"] == 12
    assert [i["key"] for i in data["indicators"]] == KEYS
    for item, indicator in zip(data["indicators"], INDICATORS, strict=True):
        row = year_targets[indicator.key]
        assert item == {
            "key": indicator.key,
            "label": indicator.label,
            "unit": str(indicator.unit),
            "definition": str(indicator.definition),
            "target": row.target,
            "actual": row.actual,
            "achievement_percent": row.achievement,
            "expected_by_now": row.expected,
            "on_track": row.on_track,
            "last_year_same_period": row.last_year,
            "monthly": row.monthly,
        }
    by_key = {i["key"]: i for i in data["indicators"]}
    assert by_key["cooperatives_founded"]["target"] == 1234
    assert by_key["cooperatives_founded"]["expected_by_now"] == 1234  # a past year: all of it
    assert by_key["technologies_commercialised"]["target"] is None
    assert by_key["technologies_commercialised"]["on_track"] is None


def test_the_api_shows_the_pace_in_a_year_under_way(client, travel):
    # given 1 July 2019 00:30 in Korea (still 30 June in UTC): 182 of 365 days gone
    travel(datetime(2019, 6, 30, 15, 30, tzinfo=zoneinfo.ZoneInfo("UTC")))
    set_targets(2019, {"mous_signed": 730, "cooperatives_founded": 2})
    # when
    data = client.get(API).json()
    # then
    assert data["year"] == 2019
    assert data["months_counted"] == 7
    by_key = {i["key"]: i for i in data["indicators"]}
    assert by_key["mous_signed"]["expected_by_now"] == 364  # 730 × 182 / 365
    assert by_key["mous_signed"]["on_track"] is (by_key["mous_signed"]["actual"] >= 364)
    assert by_key["cooperatives_founded"]["expected_by_now"] == 0  # 2 × 182 / 365 = 0.99…
    assert by_key["cooperatives_founded"]["on_track"] is True
    assert by_key["sme_cases_resolved"]["expected_by_now"] is None
    board = {row.indicator.key: row for row in selectors.dashboard(year=2019).rows}
    for key, item in by_key.items():
        assert item["last_year_same_period"] == sum(
            next(i for i in INDICATORS if i.key == key).monthly(2018)[:7]
        )
        assert item["last_year_same_period"] == board[key].last_year


def test_the_api_dashboard_defaults_to_this_year(client):
    data = client.get(API).json()
    assert data["year"] == selectors.current_year()
    assert data["months_counted"] == selectors.dashboard(year=data["year"]).months


@pytest.mark.parametrize(
    ("year", "code"), [("2011", "min_value"), ("2101", "max_value"), ("abc", "invalid_integer")]
)
def test_a_bad_year_to_read_is_a_json_error(client, year, code):
    assert_error(client.get(API, {"year": year}), 422, code, "year")


@pytest.mark.parametrize("role", ["center", "admin"])
def test_staff_set_targets_with_a_session_and_the_csrf_token(role, users):
    set_targets(2021, {"mous_signed": 2, "cooperatives_founded": 8, "cooperative_jobs": 30})
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[role])
    secret = get_random_string(32)
    client.cookies["csrftoken"] = secret
    # when one is set, one changed, one removed and one not named
    response = put(
        client,
        2021,
        {"targets": {"sme_cases_resolved": 40, "mous_signed": 5, "cooperatives_founded": None}},
        headers={"X-CSRFToken": secret},
    )
    # then
    assert response.status_code == 200, response.content.decode()
    expected = {"mous_signed": 5, "sme_cases_resolved": 40, "cooperative_jobs": 30}
    assert response.json() == {"year": 2021, "targets": expected}
    assert stored(2021) == expected
    row = AuditEvent.objects.get(action="insights.targets_set", object_id="2021")
    assert row.actor == users[role]
    assert row.changes == {
        "cooperatives_founded": [8, None],
        "mous_signed": [2, 5],
        "sme_cases_resolved": [None, 40],
    }


def test_a_session_write_without_the_csrf_token_is_refused(users):
    set_targets(2021, {"mous_signed": 2})
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["center"])
    assert_error(put(client, 2021, {"targets": {"mous_signed": 9}}), 403, "csrf_failed")
    assert stored(2021) == {"mous_signed": 2}


def test_a_personal_token_sets_targets_without_csrf(users):
    from dure.accounts.services import api_token_create

    _token, secret = api_token_create(user=users["admin"], name="지표")
    client = Client(enforce_csrf_checks=True)
    response = put(
        client, 2022, {"targets": {"mous_signed": 6}}, HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 200, response.content.decode()
    assert stored(2022)["mous_signed"] == 6


def test_a_token_of_someone_not_staff_is_403(users):
    from dure.accounts.services import api_token_create

    _token, secret = api_token_create(user=users["researcher"], name="지표")
    before = stored(2022)
    response = put(
        Client(), 2022, {"targets": {"mous_signed": 6}}, HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert_error(response, 403, "forbidden")
    assert stored(2022) == before


@pytest.mark.parametrize(
    ("year", "body", "code", "field"),
    [
        (2021, {"targets": {"mous_signed": -1}}, "min_value", "targets"),
        (2021, {"targets": {"mous_signed": MAX_TARGET + 1}}, "max_value", "targets"),
        (2021, {"targets": {"mous_signed": 1.5}}, "invalid_integer", "targets"),
        (2021, {"targets": {"mous_signed": "many"}}, "invalid_integer", "targets"),
        (2021, {"targets": {"jobs": 3}}, "invalid_choice", "targets"),
        (2021, {"targets": {"mous_signed": 1}, "year": 2022}, "unknown_field", "year"),
        (2021, {}, "required", "targets"),
        (2021, {"targets": [1, 2]}, "invalid_object", "targets"),
        (2011, {"targets": {"mous_signed": 1}}, "year_out_of_range", "year"),
        (2101, {"targets": {"mous_signed": 1}}, "year_out_of_range", "year"),
    ],
)
def test_bad_targets_are_json_errors_and_nothing_changes(client_for, year, body, code, field):
    set_targets(2021, {"mous_signed": 2})
    before = every_target()
    audits = AuditEvent.objects.exclude(action__startswith="auth.").count()
    response = put(client_for("center"), year, body)
    assert_error(response, 422, code, field)
    assert stored(2021) == {"mous_signed": 2}
    assert every_target() == before
    assert AuditEvent.objects.exclude(action__startswith="auth.").count() == audits


def test_malformed_json_is_400(client_for):
    assert_error(put(client_for("center"), 2021, "{not json"), 400, "malformed_json")


def test_a_valid_value_beside_a_bad_one_is_not_saved_either(client_for):
    set_targets(2021, {"mous_signed": 2})
    response = put(
        client_for("admin"), 2021, {"targets": {"cooperatives_founded": 4, "mous_signed": -2}}
    )
    assert response.status_code == 422
    assert stored(2021) == {"mous_signed": 2}
