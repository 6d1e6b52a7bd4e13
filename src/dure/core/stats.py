"""Counts per month of a calendar year (Korean time), for dashboards and policy targets."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractMonth

SEOUL = zoneinfo.ZoneInfo(settings.TIME_ZONE)


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """1 January 00:00 of ``year`` and of the next year, in Korean time."""
    return (
        dt.datetime(year, 1, 1, tzinfo=SEOUL),
        dt.datetime(year + 1, 1, 1, tzinfo=SEOUL),
    )


def _field(model: Any, path: str) -> Any:
    """The model field at the end of a lookup path (``program__starts_at``)."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def monthly(qs: QuerySet, field: str, year: int, *, total: str = "") -> list[int]:
    """Twelve numbers, January to December: how many rows of ``qs`` have ``field`` (a date or an
    aware datetime, counted in Korean time) in each month of ``year`` — or, with ``total``, the
    sum of that integer field over them."""
    if _field(qs.model, field).get_internal_type() == "DateField":
        in_year = Q(
            **{f"{field}__gte": dt.date(year, 1, 1), f"{field}__lt": dt.date(year + 1, 1, 1)}
        )
        month = ExtractMonth(field)
    else:
        start, end = year_bounds(year)
        in_year = Q(**{f"{field}__gte": start, f"{field}__lt": end})
        month = ExtractMonth(field, tzinfo=SEOUL)
    value = Coalesce(Sum(total), 0) if total else Count("pk")
    rows = (
        qs.filter(in_year)
        .annotate(month=month)
        .order_by()
        .values("month")
        .annotate(value=value)
        .values_list("month", "value")
    )
    counts = [0] * 12
    for month_number, number in rows:
        counts[month_number - 1] = int(number or 0)
    return counts
