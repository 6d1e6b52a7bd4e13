"""Policy indicators API (/api/v1/insights): the dashboard's figures (public: aggregate counts)
and setting a year's targets (platform admins and support-centre staff)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router

from dure.api.auth import OPTIONAL_AUTH_OPENAPI, READ_AUTH, WRITE_AUTH
from dure.api.schemas import error_responses

from . import access, selectors, services
from .indicators import IndicatorKey
from .schemas import DashboardOut, DashboardQuery, TargetsIn, TargetsOut

router = Router(tags=["insights"])


@router.get(
    "",
    response={200: DashboardOut, **error_responses(401, 422)},
    auth=READ_AUTH,
    openapi_extra=OPTIONAL_AUTH_OPENAPI,
)
def get_dashboard(request: HttpRequest, query: Query[DashboardQuery]) -> dict:
    """정책 목표 대비 성과: 지표별 목표, 실적, 달성률, 전년 동기, 월별 실적."""
    board = selectors.dashboard(year=query.year or selectors.current_year())
    return {
        "year": board.year,
        "months_counted": board.months,
        "indicators": [
            {
                "key": row.indicator.key,
                "label": row.indicator.label,
                "unit": str(row.indicator.unit),
                "definition": str(row.indicator.definition),
                "target": row.target,
                "actual": row.actual,
                "achievement_percent": row.achievement,
                "expected_by_now": row.expected,
                "on_track": row.on_track,
                "last_year_same_period": row.last_year,
                "monthly": row.monthly,
            }
            for row in board.rows
        ],
    }


@router.put(
    "/targets/{year}",
    response={200: TargetsOut, **error_responses(400, 401, 403, 422)},
    auth=WRITE_AUTH,
)
def set_targets(request: HttpRequest, year: int, payload: TargetsIn) -> dict:
    """한 해의 정책 목표 설정 (플랫폼 관리자·지원센터 직원). 주지 않은 지표의 목표는 그대로 둡니다."""
    if not access.can_set_targets(request.user):
        raise PermissionDenied
    targets = services.targets_set(
        actor=request.user,
        year=year,
        targets={IndicatorKey(key).value: value for key, value in payload.targets.items()},
    )
    return {"year": year, "targets": targets}
