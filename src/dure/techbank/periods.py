"""Personnel-exchange period classes (인력교류 기간 구분).

The exact semantics, decided here and tested at every boundary:

- A period runs from ``start`` to ``end`` **inclusive**: a visit on 3 March only is one day;
  3 March to 9 March is seven days.
- **단기 (short)**: at most 7 days (``(end - start).days + 1 <= 7``).
- **장기 (long)**: 6 months or more. A period "lasts 6 months" when the day after its last day
  is on or after the same calendar day six months after its first day (clamped to the month's
  end): 2025-01-01 … 2025-06-30 is exactly 6 months → 장기; 2025-01-01 … 2025-06-29 → 중기;
  2025-08-31 … 2026-02-27 is 6 months too (8/31 + 6 months = 2/28).
- **중기 (mid)**: everything in between (8 days to under 6 months).
"""

from __future__ import annotations

import datetime as dt

from .royalty import add_months

SHORT = "short"
MID = "mid"
LONG = "long"
SHORT_MAX_DAYS = 7
LONG_MIN_MONTHS = 6


def period_days(start: dt.date, end: dt.date) -> int:
    """Days in the period, both ends counted."""
    if end < start:
        raise ValueError("the period ends before it starts")
    return (end - start).days + 1


def period_class(start: dt.date, end: dt.date) -> str:
    days = period_days(start, end)
    if days <= SHORT_MAX_DAYS:
        return SHORT
    if end + dt.timedelta(days=1) >= add_months(start, LONG_MIN_MONTHS):
        return LONG
    return MID
