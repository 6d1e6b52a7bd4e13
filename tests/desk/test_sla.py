"""The SLA calendar: Korean business days (weekends, public holidays, 대체공휴일), pauses."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dure.desk import sla
from dure.desk.sla import (
    DAY,
    SEOUL,
    add_business_days,
    add_business_seconds,
    business_seconds_between,
    compute_due,
    is_business_day,
)


def kst(*args):
    return dt.datetime(*args, tzinfo=SEOUL)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 9, 24), False),  # 추석 연휴 (전날)
        (dt.date(2026, 9, 25), False),  # 추석
        (dt.date(2026, 9, 28), True),  # the Monday after 추석
        (dt.date(2026, 10, 5), False),  # 대체공휴일 for 개천절 (Sat 10-03)
        (dt.date(2027, 2, 8), False),  # 설날 연휴
        (dt.date(2027, 2, 9), False),  # 대체공휴일 for 설날 on a Sunday
        (dt.date(2027, 2, 10), True),
        (dt.date(2026, 11, 21), False),  # Saturday
        (dt.date(2026, 11, 22), False),  # Sunday
        (dt.date(2026, 11, 23), True),
    ],
)
def test_business_days_follow_the_korean_calendar(day, expected):
    assert is_business_day(day) is expected


def test_three_business_days_across_chuseok_2026():
    # Wed 09-23 10:00: 14 h that day, then 추석 (Thu, Fri), a weekend, Mon and Tue, 10 h Wed
    assert add_business_days(kst(2026, 9, 23, 10), 3) == kst(2026, 9, 30, 10)


def test_one_business_day_over_a_weekend_and_a_substitute_holiday():
    # Fri 10-02 10:00 → Sat 개천절, Sun, Mon 대체공휴일 → Tue 10:00
    assert add_business_days(kst(2026, 10, 2, 10), 1) == kst(2026, 10, 6, 10)


def test_one_business_day_over_seollal_2027_with_its_substitute_holiday():
    assert add_business_days(kst(2027, 2, 5, 12), 1) == kst(2027, 2, 10, 12)


def test_friday_evening_plus_three_business_days_is_wednesday_evening():
    assert add_business_days(kst(2026, 11, 13, 17), 3) == kst(2026, 11, 18, 17)


def test_a_case_received_on_saturday_starts_its_clock_on_monday():
    assert add_business_days(kst(2026, 11, 14, 10), 3) == kst(2026, 11, 19, 0)
    assert business_seconds_between(kst(2026, 11, 14, 10), kst(2026, 11, 16, 0)) == 0


def test_a_pause_spanning_a_weekend_moves_the_due_date_by_its_business_time():
    received = kst(2026, 11, 16, 9)  # Monday
    assert compute_due(received, 3) == kst(2026, 11, 19, 9)
    pause = (kst(2026, 11, 18, 15), kst(2026, 11, 23, 15))  # Wed 15:00 → Mon 15:00
    # 18 h were left when the clock stopped; they run again from Monday 15:00
    assert compute_due(received, 3, [pause]) == kst(2026, 11, 24, 9)
    assert sla.active_business_seconds(received, kst(2026, 11, 24, 9), [pause]) == 3 * DAY


def test_a_pause_after_the_due_date_does_not_move_it_and_an_open_pause_is_ignored():
    received = kst(2026, 11, 16, 9)
    late_pause = (kst(2026, 11, 20, 9), kst(2026, 11, 23, 9))
    assert compute_due(received, 3, [late_pause]) == kst(2026, 11, 19, 9)
    assert compute_due(received, 3, [(kst(2026, 11, 17, 9), None)]) == kst(2026, 11, 19, 9)


def test_due_soon_means_within_one_business_day():
    due = kst(2026, 11, 23, 9)  # Monday morning
    assert sla.due_soon(kst(2026, 11, 20, 10), due)  # Friday 10:00: 23 business hours left
    assert not sla.due_soon(kst(2026, 11, 20, 8), due)  # 25 business hours left
    assert not sla.due_soon(kst(2026, 11, 23, 10), due)  # past due


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        business_seconds_between(dt.datetime(2026, 1, 1), kst(2026, 1, 2))  # noqa: DTZ001


BASE = kst(2025, 12, 20)
moments = st.integers(min_value=0, max_value=3 * 365 * DAY).map(
    lambda s: BASE + dt.timedelta(seconds=s)
)
amounts = st.integers(min_value=1, max_value=60 * DAY)


@settings(max_examples=150, deadline=None)
@given(start=moments, seconds=amounts)
def test_adding_business_time_and_measuring_it_agree(start, seconds):
    due = add_business_seconds(start, seconds)
    assert due > start
    assert business_seconds_between(start, due) == seconds
    # the due moment is inside a business day, or exactly at the end of one
    local = due.astimezone(SEOUL)
    assert is_business_day(local.date()) or (
        local.time() == dt.time() and is_business_day(local.date() - dt.timedelta(days=1))
    )


@settings(max_examples=150, deadline=None)
@given(a=moments, b=moments, c=moments)
def test_business_time_is_additive_and_antisymmetric(a, b, c):
    a, b, c = sorted((a, b, c))
    assert business_seconds_between(a, c) == business_seconds_between(
        a, b
    ) + business_seconds_between(b, c)
    assert business_seconds_between(c, a) == -business_seconds_between(a, c)


@settings(max_examples=100, deadline=None)
@given(
    start=moments,
    days=st.integers(min_value=1, max_value=30),
    pause_at=st.integers(min_value=0, max_value=40 * DAY),
    pause_len=st.integers(min_value=1, max_value=20 * DAY),
)
def test_the_running_clock_to_the_due_date_is_always_the_target(start, days, pause_at, pause_len):
    began = start + dt.timedelta(seconds=pause_at)
    pause = (began, began + dt.timedelta(seconds=pause_len))
    due = compute_due(start, days, [pause])
    assert due >= add_business_days(start, days)
    if began < add_business_days(start, days):
        assert sla.active_business_seconds(start, due, [pause]) == days * DAY
