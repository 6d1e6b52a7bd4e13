"""Queues whose filters combine (my overdue cases), and dashboard periods that reach the ends
of the calendar without an ``OverflowError``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dure.desk import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(desk, flow):
    """A: assigned to the demo researcher; B: triaged to KITECH, nobody's; C: resolved."""
    return flow("assigned"), flow("triaged"), flow("resolved")


def later():
    return timezone.now() + dt.timedelta(days=400)  # every open case is past due by then


def pks(page_or_qs, among):
    items = page_or_qs.cases if hasattr(page_or_qs, "cases") else page_or_qs
    return {c.pk for c in items} & {c.pk for c in among}


def test_mine_and_overdue_combine_in_either_order(desk, three):
    a, b, c = three
    for queue, flags in (("mine", {"overdue": True}), ("overdue", {"mine": True})):
        page = selectors.case_queue(
            user=desk.researcher, queue=queue, now=later(), page_size=200, **flags
        )
        assert pks(page, three) == {a.pk}, queue
        assert page.total == len(page.cases) or page.total > 200
        assert all(case.sla.overdue for case in page.cases)
        # not yet overdue today
        today = selectors.case_queue(user=desk.researcher, queue=queue, page_size=200, **flags)
        assert pks(today, three) == set()


def test_each_flag_narrows_other_queues_too(desk, three):
    a, b, c = three
    institute = selectors.case_queryset(user=desk.researcher, queue="institute", now=later())
    assert pks(institute, three) == {a.pk, b.pk, c.pk}
    overdue = selectors.case_queryset(
        user=desk.researcher, queue="institute", overdue=True, now=later()
    )
    assert pks(overdue, three) == {a.pk, b.pk}
    both = selectors.case_queryset(
        user=desk.researcher, queue="institute", overdue=True, mine=True, now=later()
    )
    assert pks(both, three) == {a.pk}
    centre_mine = selectors.case_queryset(user=desk.center, queue="centre", mine=True)
    assert pks(centre_mine, three) == set()  # centre staff are on none of them


def test_the_existing_signature_still_works(desk, three):
    a, b, c = three
    plain = selectors.case_queue(user=desk.researcher, queue="mine", page_size=200)
    assert pks(plain, three) == {a.pk, c.pk}
    overdue = selectors.case_queue(user=desk.center, queue="overdue", now=later(), page_size=200)
    assert pks(overdue, three) == {a.pk, b.pk}


def test_an_overdue_filter_orders_by_due_date(desk, three):
    page = selectors.case_queue(
        user=desk.center, queue="all", overdue=True, now=later(), page_size=200
    )
    dues = [
        (c.first_response_due_at is None, c.first_response_due_at or c.resolution_due_at)
        for c in page.cases
    ]
    firsts = [d for missing, d in dues if not missing]
    assert firsts == sorted(firsts)
    assert (
        page.total == selectors.case_queryset(user=desk.center, overdue=True, now=later()).count()
    )


# --- dates at the ends of the calendar ---------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date.min, dt.date(1900, 1, 1)),
        (dt.date(1899, 12, 31), dt.date(1900, 1, 1)),
        (dt.date(2026, 11, 26), dt.date(2026, 11, 26)),
        (dt.date(9999, 12, 31), dt.date(9999, 12, 30)),
        (dt.date.max, dt.date(9999, 12, 30)),
    ],
)
def test_dates_are_clamped(day, expected):
    assert selectors.clamp_date(day) == expected


def test_dashboards_take_the_first_and_last_dates_without_overflow(desk, three):
    a, b, c = three
    everything = {"user": desk.admin, "since": dt.date.min, "until": dt.date.max}
    assert pks(selectors.dashboard_cases(**everything), three) == {a.pk, b.pk, c.pk}
    assert not selectors.dashboard_cases(user=desk.admin, since=dt.date.max).exists()
    assert not selectors.dashboard_cases(user=desk.admin, until=dt.date.min).exists()
    assert selectors.case_counts(by="category", **everything)
    assert selectors.sla_compliance(**everything)["resolution"]["met"] >= 1
    assert selectors.resolution_time_distribution(**everything)["count"] >= 1
    assert selectors.satisfaction_summary(**everything)["count"] >= 0
    assert selectors.institute_performance(**everything)
    assert any(row["number"] == a.number for row in selectors.evaluation_export_rows(**everything))


def test_the_period_is_whole_days_in_seoul(desk, three):
    a, _b, _c = three
    day = timezone.localtime(a.received_at).date()
    assert pks(selectors.dashboard_cases(user=desk.admin, since=day, until=day), [a]) == {a.pk}
    after = day + dt.timedelta(days=1)
    assert not pks(selectors.dashboard_cases(user=desk.admin, since=after), [a])
    before = day - dt.timedelta(days=1)
    assert not pks(selectors.dashboard_cases(user=desk.admin, until=before), [a])
