"""Policy indicators: the monthly counter in Korean time (``core.stats.monthly``), each
indicator's selector counting the right rows, the dashboard's arithmetic (target, actual,
achievement, pro rata progress, last year's same period, months counted) and setting the
targets (who may, validation, all-or-nothing, one audit row).

Counts over the real selectors are compared before and after the test adds its rows (the demo
data has its own cooperatives, cases, contracts …), in years the test picks; the dashboard's
arithmetic runs on indicators whose monthly figures the test gives, at a moment it picks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import zoneinfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dure.core.models import AuditEvent
from dure.core.stats import monthly
from dure.directory.models import MOU, Organisation, OrganisationKind
from dure.insights import selectors, services
from dure.insights.indicators import INDICATORS
from dure.insights.models import FIRST_YEAR, LAST_YEAR, PolicyTarget
from dure.insights.services import MAX_TARGET

pytestmark = pytest.mark.django_db

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
UTC = dt.UTC
KEYS = [indicator.key for indicator in INDICATORS]
_serial = itertools.count(1)


def kst(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SEOUL)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def month(number: int, value: int = 1) -> list[int]:
    """Twelve numbers: ``value`` in month ``number`` (1–12), 0 elsewhere."""
    counts = [0] * 12
    counts[number - 1] = value
    return counts


def plus(*lists: list[int]) -> list[int]:
    return [sum(values) for values in zip(*lists, strict=True)]


def minus(after: list[int], before: list[int]) -> list[int]:
    return [a - b for a, b in zip(after, before, strict=True)]


def codes(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.value.error_dict.items()}


@pytest.fixture
def travel(monkeypatch):
    """travel(moment) → timezone.now() (and so localdate()) answers ``moment`` from then on."""

    def to(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return to


def organisation(kind: str = OrganisationKind.COOPERATIVE, **fields) -> Organisation:
    return Organisation.objects.create(kind=kind, name=f"지표 시험 기관 {next(_serial)}", **fields)


# --- core.stats.monthly ------------------------------------------------------------------------


def test_monthly_counts_an_aware_datetime_in_the_month_it_is_in_korea():
    # given organisations whose created_at straddle month and year ends in Korean time
    moments = {
        "jan_late": utc(2026, 1, 31, 14, 30),  # 2026-01-31 23:30 KST
        "feb_early": utc(2026, 1, 31, 15, 10),  # 2026-02-01 00:10 KST, still January in UTC
        "before": kst(2025, 12, 31, 23, 59),  # 2025-12-31 14:59 UTC
        "new_year": utc(2025, 12, 31, 15, 0),  # 2026-01-01 00:00 KST, 2025 in UTC
        "dec_last": kst(2026, 12, 31, 23, 59, 59),
        "after": kst(2027, 1, 1, 0, 0),  # 2026-12-31 15:00 UTC
        "jul": kst(2026, 7, 15, 12, 0),
    }
    ids = {}
    for name, moment in moments.items():
        made = organisation()
        Organisation.objects.filter(pk=made.pk).update(created_at=moment)
        ids[name] = made.pk
    qs = Organisation.objects.filter(pk__in=ids.values())
    # when
    counts = monthly(qs, "created_at", 2026)
    # then
    assert counts == [2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert monthly(qs, "created_at", 2025) == month(12)
    assert monthly(qs, "created_at", 2027) == month(1)
    only = Organisation.objects.filter(pk=ids["feb_early"])
    assert monthly(only, "created_at", 2026) == month(2)
    assert monthly(Organisation.objects.filter(pk=ids["jan_late"]), "created_at", 2026) == month(1)
    assert monthly(Organisation.objects.filter(pk=ids["before"]), "created_at", 2026) == [0] * 12


def test_monthly_counts_in_korean_time_whatever_time_zone_is_active():
    # given an organisation created at 00:10 on 1 February in Korea (31 January in UTC)
    made = organisation()
    Organisation.objects.filter(pk=made.pk).update(created_at=utc(2026, 1, 31, 15, 10))
    qs = Organisation.objects.filter(pk=made.pk)
    # then it is February's, also while a request runs in another time zone
    with timezone.override("UTC"):
        assert monthly(qs, "created_at", 2026) == month(2)
    with timezone.override("America/New_York"):
        assert monthly(qs, "created_at", 2026) == month(2)


def test_monthly_counts_a_date_field_by_its_date():
    # given cooperatives founded on dates around the year's ends
    for day in (
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 1),
        dt.date(2026, 12, 31),
        dt.date(2027, 1, 1),
    ):
        organisation(founded_on=day, employee_count=1)
    organisation(founded_on=None)
    qs = Organisation.objects.filter(name__startswith="지표 시험 기관")
    # then
    assert monthly(qs, "founded_on", 2026) == plus(month(1, 2), month(2), month(12))
    assert monthly(qs, "founded_on", 2025) == month(12)
    assert monthly(qs, "founded_on", 2027) == month(1)


def test_monthly_total_sums_an_integer_field_and_takes_null_as_zero():
    # given three cooperatives founded in March (7 + 5 + unknown employees), one in May with
    # unknown employees only, and one the year before
    organisation(founded_on=dt.date(2026, 3, 1), employee_count=7)
    organisation(founded_on=dt.date(2026, 3, 31), employee_count=5)
    organisation(founded_on=dt.date(2026, 3, 15), employee_count=None)
    organisation(founded_on=dt.date(2026, 5, 2), employee_count=None)
    organisation(founded_on=dt.date(2025, 3, 2), employee_count=100)
    qs = Organisation.objects.filter(name__startswith="지표 시험 기관")
    # then
    assert monthly(qs, "founded_on", 2026, total="employee_count") == month(3, 12)
    assert monthly(qs, "founded_on", 2026) == plus(month(3, 3), month(5))
    assert monthly(qs, "founded_on", 2025, total="employee_count") == month(3, 100)
    assert monthly(qs.none(), "founded_on", 2026, total="employee_count") == [0] * 12


# --- each indicator's selector ------------------------------------------------------------------


def test_cooperatives_founded_counts_every_cooperative_kind_and_nothing_else():
    from dure.directory.selectors import cooperatives_founded_monthly

    before = cooperatives_founded_monthly(year=2019)
    # given one cooperative of each kind founded in March 2019, another in November
    for kind in (
        OrganisationKind.COOPERATIVE,
        OrganisationKind.SOCIAL_COOPERATIVE,
        OrganisationKind.WORKER_COOPERATIVE,
        OrganisationKind.FEDERATION,
        OrganisationKind.COUNCIL,
    ):
        organisation(kind, founded_on=dt.date(2019, 3, 10))
    organisation(founded_on=dt.date(2019, 11, 30), is_public=False)  # private ones count too
    # and what must not count: an SME and a support centre founded then, a cooperative
    # without a date, one founded the day before 2019 and one the day after
    organisation(OrganisationKind.SME, founded_on=dt.date(2019, 3, 10))
    organisation(OrganisationKind.SUPPORT_CENTRE, founded_on=dt.date(2019, 3, 10))
    organisation(founded_on=None)
    organisation(founded_on=dt.date(2018, 12, 31))
    organisation(founded_on=dt.date(2020, 1, 1))
    # then
    added = minus(cooperatives_founded_monthly(year=2019), before)
    assert added == plus(month(3, 5), month(11))


def test_cooperative_jobs_sum_the_employees_of_cooperatives_founded_that_month():
    from dure.directory.selectors import cooperative_jobs_founded_monthly

    before = cooperative_jobs_founded_monthly(year=2019)
    organisation(founded_on=dt.date(2019, 4, 1), employee_count=6)
    organisation(
        OrganisationKind.SOCIAL_COOPERATIVE, founded_on=dt.date(2019, 4, 30), employee_count=4
    )
    organisation(founded_on=dt.date(2019, 4, 15), employee_count=None)  # unknown: adds nothing
    organisation(founded_on=dt.date(2019, 8, 1), employee_count=3)
    organisation(OrganisationKind.SME, founded_on=dt.date(2019, 4, 1), employee_count=250)
    organisation(founded_on=dt.date(2018, 4, 1), employee_count=9)
    # then
    added = minus(cooperative_jobs_founded_monthly(year=2019), before)
    assert added == plus(month(4, 10), month(8, 3))


def test_mous_signed_count_by_signing_date_and_leave_drafts_out():
    from dure.directory.selectors import mous_signed_monthly

    before = mous_signed_monthly(year=2019)

    def mou(status: str, signed_on: dt.date | None) -> MOU:
        return MOU.objects.create(
            title=f"지표 시험 협약 {next(_serial)}",
            scope="시험",
            status=status,
            signed_on=signed_on,
        )

    # given MOUs signed in May 2019 (one since expired) and in June (since terminated)
    mou(MOU.Status.ACTIVE, dt.date(2019, 5, 10))
    mou(MOU.Status.EXPIRED, dt.date(2019, 5, 31))
    mou(MOU.Status.TERMINATED, dt.date(2019, 6, 1))
    # and a draft that already has a date, an active one signed the year before
    mou(MOU.Status.DRAFT, dt.date(2019, 5, 15))
    mou(MOU.Status.DRAFT, None)
    mou(MOU.Status.ACTIVE, dt.date(2018, 12, 31))
    # then
    added = minus(mous_signed_monthly(year=2019), before)
    assert added == plus(month(5, 2), month(6))


# desk cases, through the services -------------------------------------------------------------


def _intake(n: int) -> dict:
    from dure.directory.demo import demo_business_number

    return {
        "company_name": f"지표정밀{n}",
        "business_number": demo_business_number(880 + n),
        "sido": "48",
        "company_size": "small",
        "contact_name": "홍길동",
        "contact_phone": "010-1234-5678",
        "contact_email": f"kpi{n}@example.kr",
        "description": "프레스로 찍은 판금 부품의 모서리가 자꾸 갈라집니다. 원인을 알고 싶습니다.",
        "desired_support": ["consulting"],
    }


@pytest.fixture
def case_in(users):
    """case_in("resolved") → a new desk case moved through the services to that state."""
    from dure.desk import services as desk
    from dure.desk.models import Team

    kitech = Organisation.objects.get(kind=OrganisationKind.RESEARCH_INSTITUTE, acronym="KITECH")
    team = Team.objects.get(name="뿌리기술 지원팀")

    def make(state: str):
        n = next(_serial)
        case = desk.case_submit(actor=None, data=_intake(n), privacy_consent=True).case
        desk.case_triage(
            actor=users["center"],
            case=case,
            category="consulting",
            lead_institute=kitech,
            recommended=["KITECH"],
        )
        desk.case_assign(actor=users["center"], case=case, team=team, assignee=users["researcher"])
        desk.case_start(actor=users["researcher"], case=case)
        if state == "resolved":
            desk.case_resolve(actor=users["researcher"], case=case, outcome="information")
        case.refresh_from_db()
        assert case.status == state
        return case

    return make


def test_cases_resolved_count_by_the_month_of_resolution_in_korean_time(case_in):
    from dure.desk.models import Case
    from dure.desk.selectors import cases_resolved_monthly

    before = cases_resolved_monthly(year=2019)
    # given two resolved cases, moved to either side of the end of April in Korean time
    april, may = case_in("resolved"), case_in("resolved")
    Case.objects.filter(pk=april.pk).update(resolved_at=kst(2019, 4, 30, 23, 30))
    Case.objects.filter(pk=may.pk).update(resolved_at=utc(2019, 4, 30, 15, 5))  # 1 May 00:05 KST
    # and one still being worked on, one resolved in 2018
    case_in("in_progress")
    old = case_in("resolved")
    Case.objects.filter(pk=old.pk).update(resolved_at=kst(2018, 12, 31, 23, 59))
    # then
    added = minus(cases_resolved_monthly(year=2019), before)
    assert added == plus(month(4), month(5))


def test_a_reopened_case_no_longer_counts_as_resolved(case_in, users):
    from dure.desk import services as desk
    from dure.desk.selectors import cases_resolved_monthly

    year = timezone.localdate().year
    before = cases_resolved_monthly(year=year)
    case = case_in("resolved")
    assert sum(minus(cases_resolved_monthly(year=year), before)) == 1
    # when the case is reopened
    desk.case_reopen(actor=users["center"], case=case, reason="아직 갈라집니다")
    case.refresh_from_db()
    assert case.status == "in_progress"
    # then it is not resolved any more
    assert cases_resolved_monthly(year=year) == before


def test_a_case_that_ends_unsolvable_is_not_counted_as_solved(case_in, users):
    from dure.desk import services as desk
    from dure.desk.selectors import cases_resolved_monthly

    year = timezone.localdate().year
    before = cases_resolved_monthly(year=year)
    case = case_in("in_progress")
    desk.case_resolve(
        actor=users["researcher"],
        case=case,
        outcome="unsolvable",
        reason="보유 기술로는 요구 정밀도를 맞출 수 없음",
    )
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolved_at is not None
    assert cases_resolved_monthly(year=year) == before


# technology transfers, through the services ---------------------------------------------------


def test_transfers_count_the_events_reaching_contracted_and_commercialised(users, org):
    from dure.techbank import services as techbank
    from dure.techbank.models import TransferEvent
    from dure.techbank.selectors import transfers_reaching_monthly

    contracted_before = transfers_reaching_monthly(year=2019, status="contracted")
    commercialised_before = transfers_reaching_monthly(year=2019, status="commercialised")
    kitech = Organisation.objects.get(kind=OrganisationKind.RESEARCH_INSTITUTE, acronym="KITECH")

    def technology():
        return techbank.technology_create(
            actor=users["admin"],
            data={
                "title": f"지표 시험 기술 {next(_serial)}",
                "application_number": f"10-2021-{8_800_000 + next(_serial):07d}",
                "holder": kitech,
                "upfront_fee": 1_000_000,
                "royalty_bp": 300,
                "deal_types": ["nonexclusive"],
                "status": "registered",
            },
        )

    def apply():
        return techbank.transfer_submit(
            actor=users["sme"],
            technology=technology(),
            applicant=org("한빛정밀"),
            deal_type="nonexclusive",
            intended_use="자사 라인 자동화",
        )

    # given an application taken all the way to commercialisation
    sold = apply()
    techbank.transfer_review(actor=users["researcher"], application=sold)
    start = timezone.localdate() - dt.timedelta(days=120)
    techbank.transfer_decide(
        actor=users["researcher"],
        application=sold,
        decision="contract",
        terms={"contract_date": start, "licence_start": start, "report_every_months": 1},
    )
    techbank.royalty_report_submit(
        actor=users["sme"],
        application=sold,
        period_start=start,
        period_end=start + dt.timedelta(days=20),
        sales=5_000_000,
    )
    # and one only contracted, one rejected
    signed = apply()
    techbank.transfer_review(actor=users["researcher"], application=signed)
    techbank.transfer_decide(actor=users["researcher"], application=signed, decision="contract")
    refused = apply()
    techbank.transfer_review(actor=users["researcher"], application=refused)
    techbank.transfer_decide(
        actor=users["researcher"], application=refused, decision="reject", note="범위 밖"
    )
    # when their steps are moved into 2019, the contracts on either side of the end of July
    # in Korean time
    events = TransferEvent.objects.filter(application__in=[sold, signed, refused])
    events.update(at=kst(2019, 7, 1, 9, 0))
    events.filter(application=sold, to_status="contracted").update(at=kst(2019, 7, 31, 23, 59))
    events.filter(application=sold, to_status="commercialised").update(
        at=utc(2019, 9, 30, 15, 0)  # 1 October 00:00 KST
    )
    events.filter(application=signed, to_status="contracted").update(
        at=utc(2019, 7, 31, 15, 1)  # 1 August 00:01 KST
    )
    # then
    contracted = minus(
        transfers_reaching_monthly(year=2019, status="contracted"), contracted_before
    )
    commercialised = minus(
        transfers_reaching_monthly(year=2019, status="commercialised"), commercialised_before
    )
    assert contracted == plus(month(7), month(8))
    assert commercialised == month(10)


# attendance -----------------------------------------------------------------------------------


def test_attendance_counts_attended_registrations_by_the_month_the_programme_starts(users, org):
    from dure.programs.models import Program, Registration
    from dure.programs.selectors import attendance_monthly

    before = attendance_monthly(year=2019)
    centre = org("과학기술인협동조합지원센터")

    def program(starts_at: dt.datetime) -> Program:
        return Program.objects.create(
            host=centre,
            kind="education",
            title=f"지표 시험 교육 {next(_serial)}",
            summary="시험",
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=3),
            registration_closes_at=starts_at,
            status=Program.Status.PUBLISHED,
        )

    def register(program: Program, username: str, *, attended: bool, status="confirmed"):
        Registration.objects.create(
            program=program, person=users[username], status=status, attended=attended
        )

    # given a course starting on 30 September in Korea (two came, one did not, one cancelled,
    # one waiting) …
    september = program(kst(2019, 9, 30, 23, 0))
    register(september, "member", attended=True)
    register(september, "sme", attended=True)
    register(september, "coop", attended=False)
    register(september, "seller", attended=False, status="cancelled")
    register(september, "creator", attended=False, status="waitlisted")
    # … one on 1 October in Korea (still 30 September in UTC), running into the next day …
    october = program(utc(2019, 9, 30, 15, 30))
    register(october, "member", attended=True)
    # … and one that started on the last evening of 2018 and ended in 2019
    register(program(kst(2018, 12, 31, 23, 0)), "member", attended=True)
    # then
    added = minus(attendance_monthly(year=2019), before)
    assert added == plus(month(9, 2), month(10))


# --- the dashboard --------------------------------------------------------------------------


@pytest.fixture
def figures(monkeypatch):
    """figures({year: [12 numbers]}, ...) → every indicator counts those numbers (the same for
    each indicator, unless one is given per key with ``per_key``); years not given count 0."""

    def use(by_year: dict[int, list[int]], per_key: dict[str, dict[int, list[int]]] | None = None):
        per_key = per_key or {}

        def counter(key: str):
            def count(year: int) -> list[int]:
                table = per_key.get(key, by_year)
                return list(table.get(year, [0] * 12))

            return count

        fake = tuple(dataclasses.replace(i, monthly=counter(i.key)) for i in INDICATORS)
        monkeypatch.setattr(selectors, "INDICATORS", fake)

    return use


def targets(year: int, **values: int) -> None:
    PolicyTarget.objects.filter(year=year).delete()
    for key, value in values.items():
        PolicyTarget.objects.create(year=year, indicator=key, target=value)


def rows(board) -> dict[str, selectors.IndicatorRow]:
    return {row.indicator.key: row for row in board.rows}


def test_the_dashboard_shows_target_actual_and_floor_achievement(figures, travel):
    travel(kst(2025, 6, 15, 12, 0))
    figures({2024: plus(month(2, 3), month(11, 4))})  # 7 in 2024
    targets(
        2024,
        cooperatives_founded=12,  # 7 of 12 → 58.3 % → 58
        cooperative_jobs=3,  # 7 of 3 → 233 %
        sme_cases_resolved=7,  # exactly → 100
        technology_transfers=0,  # a target of 0: no percentage
        mous_signed=700,  # 1 %
        education_participants=701,  # 0.998 % → 0
    )
    # when
    board = selectors.dashboard(year=2024)
    by_key = rows(board)
    # then
    assert [row.indicator.key for row in board.rows] == KEYS
    assert {key: row.actual for key, row in by_key.items()} == dict.fromkeys(KEYS, 7)
    assert by_key["cooperatives_founded"].monthly == plus(month(2, 3), month(11, 4))
    expected = {
        "cooperatives_founded": (12, 58),
        "cooperative_jobs": (3, 233),
        "sme_cases_resolved": (7, 100),
        "technology_transfers": (0, None),
        "technologies_commercialised": (None, None),
        "education_participants": (701, 0),
        "mous_signed": (700, 1),
    }
    achievements = {key: (by_key[key].target, by_key[key].achievement) for key in expected}
    assert achievements == expected
    assert by_key["technologies_commercialised"].expected is None
    assert by_key["technologies_commercialised"].on_track is None


def test_expected_is_the_target_pro_rata_to_the_days_gone_in_korean_time(figures, travel):
    # given 1 March 2024 00:30 in Korea (still 29 February in UTC): 61 of 366 days gone
    travel(utc(2024, 2, 29, 15, 30))
    figures(
        {2024: month(1, 122)},
        per_key={
            "cooperative_jobs": {2024: month(2, 121)},
            "mous_signed": {2024: [0] * 12},
        },
    )
    targets(
        2024, cooperatives_founded=732, cooperative_jobs=732, mous_signed=0, sme_cases_resolved=1
    )
    # when
    by_key = rows(selectors.dashboard(year=2024))
    # then 732 × 61 / 366 = 122
    assert by_key["cooperatives_founded"].expected == 122
    assert by_key["cooperatives_founded"].on_track is True  # 122 ≥ 122
    assert by_key["cooperative_jobs"].expected == 122
    assert by_key["cooperative_jobs"].on_track is False  # 121 < 122
    assert by_key["mous_signed"].expected == 0
    assert by_key["mous_signed"].on_track is True
    assert by_key["sme_cases_resolved"].expected == 0  # 1 × 61 / 366, rounded down
    assert by_key["technology_transfers"].expected is None


def test_expected_is_the_whole_target_for_a_past_year_and_nothing_for_a_future_one(figures, travel):
    travel(kst(2024, 12, 31, 23, 59))
    figures({2023: month(12, 5), 2025: [0] * 12})
    targets(2023, cooperatives_founded=10)
    targets(2025, cooperatives_founded=10)
    targets(2024, cooperatives_founded=10)
    past = rows(selectors.dashboard(year=2023))["cooperatives_founded"]
    future = rows(selectors.dashboard(year=2025))["cooperatives_founded"]
    today = rows(selectors.dashboard(year=2024))["cooperatives_founded"]
    assert (past.expected, past.on_track) == (10, False)
    assert (future.expected, future.on_track) == (0, True)
    assert (today.expected, today.on_track) == (10, False)  # the last day: all of it
    travel(kst(2025, 1, 1, 0, 0))  # a minute later in Korea: 1 day of 365
    assert rows(selectors.dashboard(year=2025))["cooperatives_founded"].expected == 0
    assert rows(selectors.dashboard(year=2024))["cooperatives_founded"].expected == 10


def test_months_counted_for_past_current_and_future_years(figures, travel):
    figures({})
    travel(utc(2024, 4, 30, 15, 0))  # 1 May 2024 00:00 in Korea
    assert selectors.dashboard(year=2024).months == 5
    assert selectors.dashboard(year=2023).months == 12
    assert selectors.dashboard(year=FIRST_YEAR).months == 12
    assert selectors.dashboard(year=2025).months == 0
    travel(utc(2024, 4, 30, 14, 59))  # 30 April 23:59 in Korea
    assert selectors.dashboard(year=2024).months == 4
    travel(kst(2024, 12, 31, 12, 0))
    assert selectors.dashboard(year=2024).months == 12


def test_last_year_is_the_same_period_the_months_counted_this_year(figures, travel):
    last = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]
    figures({2023: last, 2024: month(1, 9), 2022: [5] * 12})
    travel(kst(2024, 3, 10, 9, 0))  # March: January to March are counted
    this_year = rows(selectors.dashboard(year=2024))["mous_signed"]
    assert this_year.last_year == 1 + 2 + 4
    assert this_year.actual == 9
    # a past year compares with the whole year before, a future one with nothing
    assert rows(selectors.dashboard(year=2023))["mous_signed"].last_year == 60
    assert rows(selectors.dashboard(year=2025))["mous_signed"].last_year == 0
    travel(kst(2024, 12, 1, 0, 0))
    assert rows(selectors.dashboard(year=2024))["mous_signed"].last_year == sum(last)


def test_the_dashboard_counts_through_the_real_selectors(travel):
    """No fake figures: each row's months are its selector's, and a cooperative founded adds
    one to the row of cooperatives founded and its employees to the jobs."""
    from dure.directory.selectors import cooperatives_founded_monthly

    travel(kst(2019, 12, 20, 10, 0))
    targets(2019, cooperatives_founded=4)
    before = rows(selectors.dashboard(year=2019))
    assert before["cooperatives_founded"].monthly == cooperatives_founded_monthly(year=2019)
    organisation(founded_on=dt.date(2019, 6, 5), employee_count=11)
    after = rows(selectors.dashboard(year=2019))
    assert after["cooperatives_founded"].actual == before["cooperatives_founded"].actual + 1
    assert after["cooperative_jobs"].actual == before["cooperative_jobs"].actual + 11
    assert after["cooperatives_founded"].target == 4
    for key in set(KEYS) - {"cooperatives_founded", "cooperative_jobs"}:
        assert after[key].monthly == before[key].monthly
    # in 2020, 2019's June is in the same period from June on
    travel(kst(2020, 5, 31, 23, 0))
    assert rows(selectors.dashboard(year=2020))["cooperatives_founded"].last_year == sum(
        after["cooperatives_founded"].monthly[:5]
    )
    travel(kst(2020, 6, 1, 0, 0))
    assert rows(selectors.dashboard(year=2020))["cooperatives_founded"].last_year == sum(
        after["cooperatives_founded"].monthly[:6]
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020", 2020),
        (" 2020 ", 2020),
        (2019, 2019),
        (str(FIRST_YEAR), FIRST_YEAR),
        (str(LAST_YEAR), LAST_YEAR),
        (None, "now"),
        ("", "now"),
        ("abc", "now"),
        ("2020.0", "now"),
        ("20 20", "now"),
        ("9" * 5000, "now"),
        (str(FIRST_YEAR - 1), "now"),
        (str(LAST_YEAR + 1), "now"),
        ("0", "now"),
        ("-2020", "now"),
        (["2020"], "now"),
    ],
)
def test_clamp_year_keeps_a_year_in_range_and_gives_this_year_otherwise(value, expected, travel):
    travel(utc(2030, 12, 31, 15, 0))  # 1 January 2031 in Korea
    assert selectors.clamp_year(value) == (2031 if expected == "now" else expected)


def test_the_year_picker_offers_a_year_that_has_targets(figures, travel):
    figures({})
    travel(kst(2026, 6, 1, 12, 0))
    targets(2014, cooperatives_founded=3)
    board = selectors.dashboard(year=2014)
    assert 2014 in board.years


def test_the_year_picker_offers_recent_years_and_next_year_newest_first(figures, travel):
    figures({})
    travel(kst(2026, 6, 1, 12, 0))
    years = selectors.dashboard(year=2026).years
    assert years[0] == 2027 and 2026 in years and 2016 in years
    assert years == sorted(years, reverse=True)


# --- setting the targets --------------------------------------------------------------------


def audit_rows(year: int):
    return AuditEvent.objects.filter(action="insights.targets_set", object_id=str(year))


def stored(year: int) -> dict[str, int]:
    return dict(PolicyTarget.objects.filter(year=year).values_list("indicator", "target"))


@pytest.mark.parametrize(
    "role", ["researcher", "sme", "coop", "member", "supplier", "seller", "creator", "anonymous"]
)
def test_only_admins_and_centre_staff_set_targets(role, users):
    actor = AnonymousUser() if role == "anonymous" else users[role]
    before, audits = stored(2021), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.targets_set(actor=actor, year=2021, targets={"mous_signed": 5})
    assert stored(2021) == before
    assert AuditEvent.objects.count() == audits


@pytest.mark.parametrize("role", ["admin", "center"])
def test_staff_set_update_and_remove_targets_and_others_are_kept(role, users):
    actor = users[role]
    PolicyTarget.objects.filter(year=2021).delete()
    # set
    result = services.targets_set(
        actor=actor,
        year=2021,
        targets={"cooperatives_founded": 10, "mous_signed": "4", "cooperative_jobs": "1,200"},
    )
    assert result == {"cooperatives_founded": 10, "mous_signed": 4, "cooperative_jobs": 1200}
    assert stored(2021) == result
    target = PolicyTarget.objects.get(year=2021, indicator="mous_signed")
    assert target.set_by == actor
    # update one, remove two (None and ""), leave the others
    services.targets_set(actor=users["admin"], year="2021", targets={"sme_cases_resolved": 0})
    result = services.targets_set(
        actor=actor,
        year=2021,
        targets={"cooperatives_founded": 11, "mous_signed": None, "cooperative_jobs": " "},
    )
    assert result == {"cooperatives_founded": 11, "sme_cases_resolved": 0}
    assert stored(2021) == result
    # removing what is not there changes nothing; other years are untouched
    assert services.targets_set(actor=actor, year=2021, targets={"mous_signed": ""}) == result


def test_setting_one_year_does_not_touch_another(users):
    targets(2022, mous_signed=9, cooperatives_founded=2)
    services.targets_set(actor=users["center"], year=2021, targets={"mous_signed": 1})
    assert stored(2022) == {"mous_signed": 9, "cooperatives_founded": 2}


@pytest.mark.parametrize(
    ("year", "values", "errors"),
    [
        (FIRST_YEAR - 1, {"mous_signed": 1}, {"year": ["year_out_of_range"]}),
        (LAST_YEAR + 1, {"mous_signed": 1}, {"year": ["year_out_of_range"]}),
        ("twenty", {"mous_signed": 1}, {"year": ["year_out_of_range"]}),
        (None, {"mous_signed": 1}, {"year": ["year_out_of_range"]}),
        (2021, {"jobs": 1}, {"jobs": ["unknown_indicator"]}),
        (2021, {"mous_signed": "다섯"}, {"mous_signed": ["invalid"]}),
        (2021, {"mous_signed": "1.5"}, {"mous_signed": ["invalid"]}),
        (2021, {"mous_signed": 2.5}, {"mous_signed": ["invalid"]}),
        (2021, {"mous_signed": -1}, {"mous_signed": ["out_of_range"]}),
        (2021, {"mous_signed": "-3"}, {"mous_signed": ["out_of_range"]}),
        (2021, {"mous_signed": MAX_TARGET + 1}, {"mous_signed": ["out_of_range"]}),
        (
            2011,
            {"mous_signed": -1, "cooperative_jobs": "x", "nope": 3},
            {
                "year": ["year_out_of_range"],
                "mous_signed": ["out_of_range"],
                "cooperative_jobs": ["invalid"],
                "nope": ["unknown_indicator"],
            },
        ),
    ],
)
def test_bad_values_are_refused_with_codes_and_nothing_is_written(users, year, values, errors):
    # given targets already set, and a good value sent along with the bad ones
    targets(2021, cooperatives_founded=5, mous_signed=2)
    audits = AuditEvent.objects.count()
    sent = {"cooperatives_founded": 6, "education_participants": 100, **values}
    # when
    with pytest.raises(ValidationError) as exc:
        services.targets_set(actor=users["admin"], year=year, targets=sent)
    # then
    assert codes(exc) == errors
    assert stored(2021) == {"cooperatives_founded": 5, "mous_signed": 2}
    assert AuditEvent.objects.count() == audits


def test_the_largest_target_is_accepted(users):
    result = services.targets_set(
        actor=users["admin"], year=2021, targets={"education_participants": MAX_TARGET}
    )
    assert result["education_participants"] == MAX_TARGET


def test_one_audit_row_with_before_and_after_and_none_when_nothing_changed(users):
    targets(2021, cooperatives_founded=5, mous_signed=2, cooperative_jobs=30)
    # when three change (one set, one updated, one removed) and one is sent unchanged
    services.targets_set(
        actor=users["center"],
        year=2021,
        targets={
            "sme_cases_resolved": 40,
            "cooperatives_founded": 6,
            "mous_signed": None,
            "cooperative_jobs": 30,
        },
    )
    # then one row says what changed, from what to what
    (row,) = audit_rows(2021)
    assert row.actor == users["center"]
    assert row.object_type == "insights.policytarget"
    assert row.changes == {
        "cooperatives_founded": [5, 6],
        "mous_signed": [2, None],
        "sme_cases_resolved": [None, 40],
    }
    # when the same values are sent again, or a missing target is removed
    services.targets_set(
        actor=users["admin"],
        year=2021,
        targets={"sme_cases_resolved": "40", "cooperatives_founded": 6, "mous_signed": ""},
    )
    services.targets_set(actor=users["admin"], year=2021, targets={})
    # then no further row
    assert audit_rows(2021).count() == 1
