"""Schemas of the policy-indicators API."""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema

from .indicators import IndicatorKey
from .models import FIRST_YEAR, LAST_YEAR
from .services import MAX_TARGET


class DashboardQuery(Schema):
    year: int | None = Field(None, ge=FIRST_YEAR, le=LAST_YEAR, description="기본값: 올해")


class IndicatorOut(Schema):
    key: str
    label: str
    unit: str
    definition: str
    target: int | None
    actual: int
    achievement_percent: int | None = Field(description="목표 대비 실적 (%, 내림)")
    expected_by_now: int | None = Field(description="오늘까지 지난 날수만큼의 목표")
    on_track: bool | None
    last_year_same_period: int
    monthly: list[int] = Field(description="1월부터 12월까지 (한국 시간)")


class DashboardOut(Schema):
    year: int
    months_counted: int
    indicators: list[IndicatorOut]


class TargetsIn(Schema):
    """Targets to set, by indicator key; null removes that target; keys not given keep theirs."""

    targets: dict[IndicatorKey, Annotated[int, Field(ge=0, le=MAX_TARGET)] | None] = Field(
        description="지표 키 → 목표 (0 이상의 정수, null이면 목표 삭제)"
    )

    model_config = {"extra": "forbid"}


class TargetsOut(Schema):
    year: int
    targets: dict[str, int]
