"""The technology-transfer money rules, as pure functions on integers (원 and basis points).

- 착수기본료 (upfront fee): what the technology lists, except that a 휴면 (dormant) patent's
  upfront fee is waived — 0 원 — to get unused patents into use.
- 경상기술료 (running royalty): a rate in basis points (1 bp = 0.01 %; 250 bp = 2.5 %) of the
  licensee's reported sales, truncated to whole 원: ⌊sales × bp / 10 000⌋. Integer arithmetic
  throughout, no floats. No sales, no royalty: the SME pays only on what it sells.
- Reporting: a licensee reports sales every ``every_months`` months from the licence start;
  a report is due ``REPORT_GRACE_DAYS`` days after its period ends and overdue after that.
- Equipment usage fees: whole hours (rounded up) at the hourly fee, or whole days (rounded up) at
  the daily fee, whichever is cheaper when both are listed.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

BASIS_POINTS = 10_000  # 100 %
MAX_ROYALTY_BP = BASIS_POINTS
REPORT_GRACE_DAYS = 30
REPORT_INTERVALS = (1, 3, 6, 12)


def upfront_fee_due(*, listed_fee: int | None, dormant: bool) -> int:
    """The upfront fee a licensee pays: waived (0) for a dormant patent, else the listed fee
    (an unlisted fee — "협의" — is 0 until the contract records one)."""
    if dormant or not listed_fee:
        return 0
    if listed_fee < 0:
        raise ValueError("an upfront fee cannot be negative")
    return int(listed_fee)


def running_royalty(*, sales: int, rate_bp: int) -> int:
    """⌊sales × rate⌋ in whole 원 (rate in basis points). No sales → 0."""
    if sales < 0:
        raise ValueError("sales cannot be negative")
    if not 0 <= rate_bp <= MAX_ROYALTY_BP:
        raise ValueError("the royalty rate must be between 0 and 10000 basis points")
    return (int(sales) * int(rate_bp)) // BASIS_POINTS


def percent_to_bp(value: Decimal | str | int) -> int:
    """``Decimal("2.5")`` (percent) → 250 bp. More than two decimal places is an error, not a
    silent rounding."""
    amount = Decimal(str(value).strip().rstrip("%").strip())
    bp = amount * 100
    if bp != bp.to_integral_value():
        raise ValueError("a royalty rate has at most two decimal places (0.01 %)")
    result = int(bp)
    if not 0 <= result <= MAX_ROYALTY_BP:
        raise ValueError("the royalty rate must be between 0 and 100 %")
    return result


def bp_to_percent(bp: int | None) -> Decimal | None:
    if bp is None:
        return None
    return (Decimal(bp) / 100).quantize(Decimal("0.01"))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's last day (8/31 + 6 → 2/28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def report_periods(
    *, start: dt.date, every_months: int, until: dt.date
) -> list[tuple[dt.date, dt.date]]:
    """Reporting periods ``(first_day, last_day)`` from ``start`` that have ended by
    ``until`` (inclusive)."""
    if every_months not in REPORT_INTERVALS:
        raise ValueError("report interval must be 1, 3, 6 or 12 months")
    periods = []
    n = 0
    while True:
        first = add_months(start, n * every_months)
        last = add_months(start, (n + 1) * every_months) - dt.timedelta(days=1)
        if last > until:
            return periods
        periods.append((first, last))
        n += 1


def report_due_date(period_end: dt.date) -> dt.date:
    return period_end + dt.timedelta(days=REPORT_GRACE_DAYS)


def usage_fee(
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    fee_per_hour: int | None,
    fee_per_day: int | None,
) -> int | None:
    """The usage fee of a booking in 원, or ``None`` when the equipment lists no fee."""
    seconds = int((ends_at - starts_at).total_seconds())
    if seconds <= 0:
        return 0
    hours = -(-seconds // 3600)
    days = -(-seconds // 86400)
    options = []
    if fee_per_hour is not None:
        options.append(hours * int(fee_per_hour))
    if fee_per_day is not None:
        options.append(days * int(fee_per_day))
    return min(options) if options else None
