"""Programmes API (/api/v1/programs): education, forums and events that support centres run,
and registrations for them. Thin, like the pages: parse (pydantic) → access helper / selector /
service → schema, with the pages' permissions.

Published and cancelled programmes are public, a draft is seen only by those who run its host
(404 for everyone else). Something the caller may see but not do (edit someone else's
programme, read its registrants) is a 403; a write without credentials a 401; what the service
refuses (the dates, the capacity, registration closed …) a 422 with its Korean message and a
stable code. Registering twice answers 200 with the same registration (a retried request
registers once); registrants' personal data is for the programme's managers, and every read of
it is logged (``PersonalDataAccess``, via API)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status

from dure.api.auth import OPTIONAL_AUTH_OPENAPI, READ_AUTH, WRITE_AUTH
from dure.api.errors import call_service
from dure.api.schemas import error_responses
from dure.core.audit import personal_data_access_record
from dure.core.models import PersonalDataAccess
from dure.directory.models import Sido

from . import access, selectors, services
from .models import Program, Registration
from .schemas import (
    AttendanceIn,
    AttendanceOut,
    ProgramCancelIn,
    ProgramCreateIn,
    ProgramDetailOut,
    ProgramFilters,
    ProgramPage,
    ProgramUpdateIn,
    RegistrantPage,
    RegistrationFilters,
    RegistrationIn,
    RegistrationOut,
    RegistrationPage,
)

router = Router(tags=["programs"])

READ = {"auth": READ_AUTH, "openapi_extra": OPTIONAL_AUTH_OPENAPI}
WRITE = {"auth": WRITE_AUTH}
# Service field → API field, for error messages.
SERVICE_TO_API = {"host": "host_id", "organisation": "organisation_id"}


def _call(fn: Any, **kwargs: Any) -> Any:
    return call_service(fn, SERVICE_TO_API, **kwargs)


def _slice(qs: Any, filters: Any, count: int | None = None) -> dict[str, Any]:
    offset = (filters.page - 1) * filters.page_size
    return {
        "count": qs.count() if count is None else count,
        "page": filters.page,
        "page_size": filters.page_size,
        "results": list(qs[offset : offset + filters.page_size]),
    }


def _program(user: Any, id: int) -> Program:
    return access.access_program(user=user, program_id=id)


def _program_detail(user: Any, program: Program) -> Program:
    """The programme with what the caller may do and their own registration, for
    ``ProgramDetailOut``."""
    program.can_manage = access.can_manage_program(user, program)  # type: ignore[attr-defined]
    registration = selectors.registration_of(user=user, program=program)
    program.my_registration = registration and _registration_out(registration)  # type: ignore[attr-defined]
    return program


def _registration_out(registration: Registration) -> Registration:
    registration.waitlist_position = selectors.waitlist_position(registration)  # type: ignore[attr-defined]
    return registration


def _registration(user: Any, id: int) -> Registration:
    return _registration_out(access.access_registration(user=user, registration_id=id))


# --- the caller's registrations -----------------------------------------------------------------
# Declared before /{id}: ninja's {id} matches any one path segment (the int is checked after
# routing), so only the number of segments keeps /registrations/mine (two) away from /{id} (one)
# and /registrations/{id}/cancel (three) away from /{id}/cancel (two); the tests check both.


@router.get(
    "/registrations/mine",
    response={200: RegistrationPage, **error_responses(401, 422)},
    **WRITE,
)
def list_my_registrations(request: HttpRequest, filters: Query[RegistrationFilters]) -> dict:
    """내 참가 신청 (시작 일시가 늦은 교육·행사부터, 취소한 신청 포함; `status`로 거를 수 있습니다)."""
    qs = selectors.my_registrations(user=request.user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    page = _slice(qs, filters)
    page["results"] = [_registration_out(r) for r in page["results"]]
    return page


@router.post(
    "/registrations/{id}/cancel",
    response={200: RegistrationOut, **error_responses(401, 403, 404, 422)},
    **WRITE,
)
def cancel_registration(request: HttpRequest, id: int) -> Registration:
    """참가 신청 취소 (신청한 사람, 주최 기관 담당자). 시작한 뒤에는 취소할 수 없습니다. 확정된
    자리가 비면 대기 1번이 확정됩니다. 이미 취소된 신청은 그대로 돌려줍니다."""
    registration = access.access_registration(user=request.user, registration_id=id)
    _call(services.registration_cancel, actor=request.user, registration=registration)
    return _registration(request.user, id)


# --- programmes --------------------------------------------------------------------------------


@router.get("", response={200: ProgramPage, **error_responses(401, 422)}, **READ)
def list_programs(request: HttpRequest, filters: Query[ProgramFilters]) -> dict:
    """교육·행사 목록 (교육·행사 페이지와 같은 공개 범위: 준비 중인 것은 주최 기관 담당자만).
    기본은 끝나지 않은 것을 가까운 순으로, `when=past`는 끝난 것을 최근 순으로."""
    if filters.sido and not Sido.objects.filter(pk=filters.sido).exists():
        raise ValidationError(
            {"sido": ValidationError(_("없는 시도 코드입니다."), code="sido_unknown")}
        )
    # The selector filters and orders (its pages are the site's 20); the API pages that list
    # with its own page size.
    paginator = selectors.program_list(
        user=request.user,
        kind=filters.kind or "",
        sido=filters.sido or "",
        when=filters.when or "upcoming",
    ).paginator
    return _slice(paginator.object_list, filters, count=paginator.count)


@router.get("/{id}", response={200: ProgramDetailOut, **error_responses(401, 404, 422)}, **READ)
def get_program(request: HttpRequest, id: int) -> Program:
    """교육·행사 상세: 정원과 남은 자리, 상태, 그리고 로그인한 사람에게는 자신의 신청 (대기 순번)."""
    return _program_detail(request.user, _program(request.user, id))


@router.post("", response={201: ProgramDetailOut, **error_responses(400, 401, 403, 422)}, **WRITE)
def create_program(request: HttpRequest, payload: ProgramCreateIn) -> Status:
    """교육·행사 등록 (지원센터 담당자, 운영진): 준비 중(draft)으로 만들어지며, 공개해야 신청을
    받습니다."""
    if not access.can_create_program(request.user):
        raise PermissionDenied
    data = payload.model_dump(exclude_unset=True)
    host = data.pop("host_id")
    program = _call(services.program_create, actor=request.user, host=host, data=data)
    return Status(201, _program_detail(request.user, _program(request.user, program.pk)))


@router.patch(
    "/{id}", response={200: ProgramDetailOut, **error_responses(400, 401, 403, 404, 422)}, **WRITE
)
def update_program(request: HttpRequest, id: int, payload: ProgramUpdateIn) -> Program:
    """교육·행사 수정 (주최 기관 담당자, 운영진). 보낸 항목만 바뀝니다. 정원을 늘리면 대기자가
    순서대로 확정되고, 이미 확정된 인원보다 줄일 수는 없습니다."""
    program = _program(request.user, id)
    _call(
        services.program_update,
        actor=request.user,
        program=program,
        data=payload.model_dump(exclude_unset=True),
    )
    return _program_detail(request.user, _program(request.user, id))


PROGRAM_ACTION = {"response": {200: ProgramDetailOut, **error_responses(400, 401, 403, 404, 422)}}


@router.post("/{id}/publish", **PROGRAM_ACTION, **WRITE)
def publish_program(request: HttpRequest, id: int) -> Program:
    """모집 공개 (준비 중인 교육·행사만, 끝나기 전에). 공개하면 누구나 보고 신청할 수 있습니다."""
    program = _program(request.user, id)
    _call(services.program_publish, actor=request.user, program=program)
    return _program_detail(request.user, _program(request.user, id))


@router.post("/{id}/cancel", **PROGRAM_ACTION, **WRITE)
def cancel_program(request: HttpRequest, id: int, payload: ProgramCancelIn) -> Program:
    """교육·행사 취소 (사유 필수). 모든 신청이 함께 취소되고 신청자에게 알립니다."""
    program = _program(request.user, id)
    _call(services.program_cancel, actor=request.user, program=program, reason=payload.reason)
    return _program_detail(request.user, _program(request.user, id))


@router.post(
    "/{id}/registrations",
    response={
        200: RegistrationOut,
        201: RegistrationOut,
        **error_responses(400, 401, 403, 404, 422),
    },
    **WRITE,
)
def register_for_program(request: HttpRequest, id: int, payload: RegistrationIn) -> Status:
    """참가 신청 (로그인한 누구나). 자리가 있으면 확정(confirmed), 정원이 찼으면 대기(waitlisted).
    이미 신청했으면 그 신청을 200으로 돌려줍니다 (재시도해도 한 번만 신청됩니다)."""
    program = _program(request.user, id)
    registration, created = _call(
        services.registration_create,
        actor=request.user,
        program=program,
        organisation=payload.organisation_id,
        note=payload.note,
    )
    return Status(201 if created else 200, _registration(request.user, registration.pk))


@router.get(
    "/{id}/registrations",
    response={200: RegistrantPage, **error_responses(401, 403, 404, 422)},
    **WRITE,
)
def list_registrants(request: HttpRequest, id: int, filters: Query[RegistrationFilters]) -> dict:
    """신청자 명단 (주최 기관 담당자, 운영진): 이름·이메일·전화·소속·요청 사항 — 개인정보이며
    열람할 때마다 기록됩니다. 확정, 대기(순번대로), 취소 순."""
    program = _program(request.user, id)
    if not access.can_manage_program(request.user, program):
        raise PermissionDenied
    qs = selectors.registrants(program=program)
    if filters.status:
        qs = qs.filter(status=filters.status)
    page = _slice(qs, filters)
    personal_data_access_record(
        actor=request.user,
        via=PersonalDataAccess.Via.API,
        subject=program,
        fields=selectors.REGISTRANT_FIELDS,
        purpose="교육·행사 신청자 확인과 출석 기록",
    )
    page["counts"] = selectors.status_counts(program=program)
    page["results"] = [
        {
            "id": r.pk,
            "person_id": r.person_id,
            "name": r.person.display_name or r.person.get_username(),
            "email": r.person.email,
            "phone": r.person.phone,
            "organisation": r.organisation,
            "note": r.note,
            "status": r.status,
            "waitlist_position": position,
            "attended": r.attended,
            "created_at": r.created_at,
            "confirmed_at": r.confirmed_at,
            "cancelled_at": r.cancelled_at,
        }
        for r, position in zip(page["results"], _waitlist_positions(page["results"]), strict=True)
    ]
    return page


def _waitlist_positions(rows: list[Registration]) -> list[int | None]:
    """The waiting list's positions of a page of ``selectors.registrants``, which lists the
    waiting in line order: the first one's position is asked, the next ones follow it (one
    query a page rather than one a row)."""
    positions: list[int | None] = []
    next_position: int | None = None
    for row in rows:
        if row.status != Registration.Status.WAITLISTED:
            positions.append(None)
            continue
        if next_position is None:
            next_position = selectors.waitlist_position(row) or 1
        positions.append(next_position)
        next_position += 1
    return positions


@router.post(
    "/{id}/attendance",
    response={200: AttendanceOut, **error_responses(400, 401, 403, 404, 422)},
    **WRITE,
)
def record_attendance(request: HttpRequest, id: int, payload: AttendanceIn) -> dict:
    """출석 기록 (주최 기관 담당자, 운영진; 시작한 뒤에): `attended`의 확정 신청은 참석, 나머지
    확정 신청은 불참으로 기록됩니다."""
    program = _program(request.user, id)
    changed = _call(
        services.attendance_record, actor=request.user, program=program, attended=payload.attended
    )
    return {"changed": changed, "counts": selectors.status_counts(program=program)}
