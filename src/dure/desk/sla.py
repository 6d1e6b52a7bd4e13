"""Service-level targets counted in Korean business days.

A business day is a calendar day in Asia/Seoul that is neither a Saturday, a Sunday nor a
public holiday of the Republic of Korea (the ``holidays`` package's ``KR`` calendar: 설날,
추석, 대체공휴일, election days, …). The SLA clock runs continuously through a business day
(00:00–24:00 KST) and stands still on other days, so "3 business days" from Friday 17:00 is
Wednesday 17:00, and from Saturday 10:00 it is Thursday 00:00 (the end of Wednesday).

The clock also stands still while a case waits on its requester (and between a resolution and
a reopening): each pause moves the due dates by the business time it lasted
(:func:`compute_due`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

SEOUL = ZoneInfo("Asia/Seoul")
DAY = 86_400  # seconds of business time in one business day

# Fallback targets (business days) when the SlaPolicy table has no row for a category; the
# data migration 0002 seeds the same values (keep them in step).
DEFAULT_FIRST_RESPONSE_DAYS = 3
DEFAULT_TARGETS: dict[str, tuple[int, int]] = {
    # category: (first response, resolution)
    "default": (3, 20),
    "tech_transfer": (3, 30),
    "rnd_short": (3, 20),
    "rnd_long": (3, 40),
    "information": (3, 10),
    "personnel": (3, 20),
    "equipment": (3, 15),
    "consulting": (3, 15),
    "education": (3, 15),
    "other": (3, 15),
}


@lru_cache(maxsize=128)
def _holidays(year: int) -> dict[dt.date, str]:
    return dict(holidays.country_holidays("KR", years=year, language="ko").items())


def holiday_name(day: dt.date) -> str | None:
    return _holidays(day.year).get(day)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("aware datetimes only")
    return moment.astimezone(SEOUL)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=SEOUL)


def business_seconds_between(start: dt.datetime, end: dt.datetime) -> int:
    """Business time from ``start`` to ``end`` in whole seconds (negative if ``end`` is
    earlier)."""
    start, end = local(start), local(end)
    if end < start:
        return -business_seconds_between(end, start)
    total = 0.0
    day = start.date()
    while day <= end.date():
        if is_business_day(day):
            lo = max(start, _day_start(day))
            hi = min(end, _day_start(day + dt.timedelta(days=1)))
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += dt.timedelta(days=1)
    return int(round(total))


def business_days_between(start: dt.datetime, end: dt.datetime) -> float:
    return business_seconds_between(start, end) / DAY


def add_business_seconds(start: dt.datetime, seconds: int) -> dt.datetime:
    """The earliest moment at which ``seconds`` of business time have passed since ``start``."""
    position = local(start)
    if seconds <= 0:
        return position
    remaining = float(seconds)
    day = position.date()
    while True:
        if is_business_day(day):
            day_end = _day_start(day + dt.timedelta(days=1))
            available = (day_end - position).total_seconds()
            if remaining <= available:
                return position + dt.timedelta(seconds=remaining)
            remaining -= available
        day += dt.timedelta(days=1)
        position = _day_start(day)


def add_business_days(start: dt.datetime, days: int | float) -> dt.datetime:
    return add_business_seconds(start, int(round(days * DAY)))


Pause = tuple[dt.datetime, dt.datetime | None]


def compute_due(start: dt.datetime, days: int | float, pauses: Iterable[Pause] = ()) -> dt.datetime:
    """When ``days`` business days of running clock have passed since ``start``: every closed
    pause that began before the (moving) due date pushes it by the business time it lasted.
    Open pauses are ignored (the due date is unknown until the clock runs again)."""
    due = add_business_days(start, days)
    for began, ended in sorted(pauses, key=lambda p: p[0]):
        if ended is not None and began < due:
            due = add_business_seconds(due, business_seconds_between(max(began, start), ended))
    return due


def active_business_seconds(
    start: dt.datetime, end: dt.datetime, pauses: Iterable[Pause] = ()
) -> int:
    """Business time between ``start`` and ``end`` with the clock running (pauses left out)."""
    total = business_seconds_between(start, end)
    for began, ended in pauses:
        lo = max(began, start)
        hi = min(ended or end, end)
        if hi > lo:
            total -= business_seconds_between(lo, hi)
    return max(total, 0)


def due_soon(now: dt.datetime, due: dt.datetime | None, *, within_days: float = 1) -> bool:
    """Is ``due`` still ahead but at most ``within_days`` business days away?"""
    if due is None or due <= now:
        return False
    return business_seconds_between(now, due) <= within_days * DAY


def business_days_in(start: dt.date, end: dt.date) -> list[dt.date]:
    """The business days from ``start`` to ``end`` inclusive (for calendars and reports)."""
    out = []
    day = start
    while day <= end:
        if is_business_day(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out
