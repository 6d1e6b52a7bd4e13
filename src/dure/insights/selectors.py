"""The policy dashboard: each indicator's target and actual for a year, its months, and how
the year compares with the same period of the year before."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from .indicators import INDICATORS, Indicator
from .models import FIRST_YEAR, LAST_YEAR, PolicyTarget


@dataclass(frozen=True)
class IndicatorRow:
    indicator: Indicator
    target: int | None
    actual: int
    monthly: list[int]
    last_year: int  # the same period of the year before
    expected: int | None  # the target pro rata to the days gone (None: no target)

    @property
    def achievement(self) -> int | None:
        """Per cent of the target reached, rounded down (None: no target, or a target of 0)."""
        if not self.target:
            return None
        return self.actual * 100 // self.target

    @property
    def on_track(self) -> bool | None:
        if self.expected is None:
            return None
        return self.actual >= self.expected


@dataclass(frozen=True)
class Dashboard:
    year: int
    months: int  # months counted: 12 for a past year, up to this month for this year
    rows: list[IndicatorRow]
    years: list[int]  # the years one may choose


def current_year() -> int:
    return timezone.localdate().year


def clamp_year(value: object) -> int:
    """A year to show: the given one when it is a number within the range, else this year."""
    try:
        year = int(str(value))
    except (TypeError, ValueError):
        return current_year()
    return year if FIRST_YEAR <= year <= LAST_YEAR else current_year()


def _share_of_year(year: int) -> tuple[int, int]:
    """(days gone, days in the year) of ``year`` today, in Korean time."""
    today = timezone.localdate()
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    total = (last - first).days + 1
    if today < first:
        return 0, total
    if today > last:
        return total, total
    return (today - first).days + 1, total


def dashboard(*, year: int) -> Dashboard:
    today = timezone.localdate()
    months = 12 if year < today.year else (today.month if year == today.year else 0)
    gone, total = _share_of_year(year)
    targets = dict(PolicyTarget.objects.filter(year=year).values_list("indicator", "target"))
    rows = []
    for indicator in INDICATORS:
        monthly = indicator.monthly(year)
        before = indicator.monthly(year - 1)
        target = targets.get(indicator.key)
        rows.append(
            IndicatorRow(
                indicator=indicator,
                target=target,
                actual=sum(monthly),
                monthly=monthly,
                last_year=sum(before[:months]),
                expected=None if target is None else target * gone // total,
            )
        )
    # The last ten years and the next, every year that has targets, and the year shown.
    this_year = current_year()
    years = {
        *range(max(FIRST_YEAR, this_year - 10), this_year + 2),
        *PolicyTarget.objects.values_list("year", flat=True).distinct(),
        year,
    }
    return Dashboard(year=year, months=months, rows=rows, years=sorted(years, reverse=True))
