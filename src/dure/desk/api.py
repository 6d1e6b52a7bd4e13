"""Desk API (/api/v1/desk/): the one-stop support desk for programs and people alike.

Thin, like the pages: parse (pydantic) → access helper / selector / service → schema. Who may
see a case is ``access.cases_visible_to`` (404 for a case the caller may not see, whether it
exists or not); who may act is checked again by every service (403 when a signed-in caller
may see the case but not do this). Refused moves answer JSON errors with the service's code:
409 for a move the case's state does not allow (``transition_not_allowed``, ``case_closed``,
``survey_already_answered`` …), 422 for invalid input.

Requesters without an account use the signed status link (``/status/{token}``); its errors
have distinct codes: ``status_link_malformed`` (404), ``status_link_invalid`` (forged or
altered, 403), ``status_link_expired`` and ``status_link_revoked`` (410).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Header, Query, Router, Status
from ninja.files import UploadedFile

from dure.api.auth import OPTIONAL_AUTH_OPENAPI, READ_AUTH, WRITE_AUTH
from dure.api.errors import ApiError
from dure.api.schemas import error_responses
from dure.core.audit import client_ip
from dure.directory.access import roles_of

from . import access, links, selectors, services
from .models import (
    Case,
    CaseAttachment,
    CaseEvent,
    CaseMessage,
    Channel,
    Outcome,
)
from .schemas import (
    AssignIn,
    CaseFilters,
    CaseOut,
    CasePage,
    CaseReceiptOut,
    CaseSubmitIn,
    CollaboratorIn,
    EventOut,
    ExportFilters,
    ExportPage,
    MessageIn,
    MessageOut,
    Period,
    PublicMessageOut,
    ReasonIn,
    RecommendationOut,
    ResolveIn,
    StatsOut,
    StatusMessageIn,
    StatusOut,
    SurveyIn,
    SurveyOut,
    TriageIn,
    WaitIn,
)

router = Router(tags=["desk"])

# Reads of one's own cases need a login (token or session): anonymous → 401.
LOGIN = {"auth": WRITE_AUTH}
# Intake and the status link are open to anyone (a session still needs its CSRF token).
OPEN = {"auth": READ_AUTH, "openapi_extra": OPTIONAL_AUTH_OPENAPI}

NUMBER_SHAPE = re.compile(r"^[0-9]{4}-[0-9]{6,10}$")
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9999, 12, 30)

# Service refusals that are about the case's state, not the input: 409.
CONFLICT_CODES = frozenset(
    {
        "transition_not_allowed",
        "case_closed",
        "survey_not_open",
        "survey_already_answered",
        "reopen_not_resolved",
        "reopen_window_passed",
        "idempotency_conflict",
    }
)
LINK_STATUS = {
    "status_link_malformed": 404,
    "status_link_invalid": 403,
    "status_link_expired": 410,
    "status_link_revoked": 410,
}
IDEMPOTENCY_KEY = Header(
    None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=200,
    description="중복 접수 방지 키 (요청마다 새 값, 예: UUID). 같은 키로 다시 보내면 처음 접수된 "
    "건을 200으로 돌려줍니다. 같은 키에 다른 내용이면 409입니다.",
)
UPLOAD_BODY = Form("", max_length=10_000, description="파일과 함께 남길 메시지")
UPLOAD_INTERNAL = Form(False, description="내부용 (담당 쪽만)")
RECOMMEND_LIMIT = Query(5, ge=1, le=25, description="몇 개 기관까지")
# The message text stored with files sent without one (data, in the platform's language).
ATTACHMENTS_ONLY_BODY = "첨부 파일을 올렸습니다."


# --- helpers -----------------------------------------------------------------------------------


def _format(message: Any, params: dict[str, Any] | None) -> str:
    text = str(message)
    if params:
        try:
            return text % params
        except (KeyError, TypeError, ValueError):
            return text
    return text


def _renamed(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    if not names or not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(f, f): errors for f, errors in exc.error_dict.items()})


@contextmanager
def _service_errors(names: dict[str, str] | None = None) -> Iterator[None]:
    """A service's ``DeskError`` as the API answers it: 409 for a refused state change, the
    status link's own statuses, else 422 (with the service's field names as the API's)."""
    names = names or {}
    try:
        yield
    except services.DeskError as exc:
        status = LINK_STATUS.get(exc.code) or (409 if exc.code in CONFLICT_CODES else None)
        if status is None:
            raise _renamed(exc, names) from exc
        field = names.get(exc.field or "", exc.field)
        raise ApiError(status, exc.code, _format(exc.desk_message, exc.desk_params), field) from exc
    except ValidationError as exc:
        raise _renamed(exc, names) from exc


def _case(request: HttpRequest, number: str) -> Case:
    """The case with this number if the caller may see it, else 404."""
    if not NUMBER_SHAPE.match(number):
        raise Http404
    pk = (
        access.cases_visible_to(request.user)
        .filter(number=number)
        .values_list("pk", flat=True)
        .first()
    )
    if pk is None:
        raise Http404
    return access.access_case(user=request.user, case_id=pk)


def _case_for_token(token: str) -> Case:
    try:
        return links.case_for_token(token, Case.objects.select_related("lead_institute"))
    except links.StatusLinkError as exc:
        raise ApiError(LINK_STATUS[exc.code], exc.code, exc.message) from exc


def _sees_contact(roles: access.CaseRoles) -> bool:
    """The requester's personal data (contact, business number): the people who answer the
    case and the requester; not collaborating institutes or individual collaborators."""
    return (
        roles.admin
        or roles.centre
        or roles.lead_institute
        or roles.assignee
        or roles.team_member
        or roles.requester
    )


def _name(user: Any) -> str | None:
    return str(user) if user is not None else None


def _sla(state: selectors.SlaState) -> dict[str, Any]:
    return {
        "first_response": state.first_response,
        "first_response_due_at": state.first_response_due_at,
        "resolution": state.resolution,
        "resolution_due_at": state.resolution_due_at,
        "overdue": state.overdue,
    }


def _summary(case: Case, *, staff_side: bool, state: selectors.SlaState) -> dict[str, Any]:
    return {
        "number": case.number,
        "title": case.title,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "category": case.category,
        "priority": case.priority,
        "channel": case.channel,
        "received_at": case.received_at,
        "company_name": case.company_name,
        "receiving_centre": case.receiving_centre.name if case.receiving_centre else None,
        "lead_institute": case.lead_institute.acronym if case.lead_institute else None,
        "team": case.team.name if staff_side and case.team else None,
        "assignee": _name(case.assignee) if staff_side else None,
        "sla": _sla(state),
    }


def _attachment(a: CaseAttachment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "name": a.original_name,
        "kind": a.kind,
        "size": a.size,
        "is_internal": a.is_internal,
        "created_at": a.created_at,
    }


def _message(m: CaseMessage, *, staff_side: bool) -> dict[str, Any]:
    return {
        "id": m.pk,
        "author_kind": m.author_kind,
        "author": _name(m.author) if staff_side else None,
        "via_status_link": m.via_status_link,
        "body": m.body,
        "is_internal": m.is_internal,
        "created_at": m.created_at,
        "attachments": [_attachment(a) for a in m.attachments.all()],
    }


def _case_out(request: HttpRequest, case: Case) -> dict[str, Any]:
    user = request.user
    roles = access.case_roles(user, case)
    detail = selectors.case_detail(user=user, case=case)
    staff_side = roles.staff_side
    personal = _sees_contact(roles)
    surveys = {r.pk: getattr(r, "survey", None) for r in detail.resolutions}
    out = _summary(case, staff_side=staff_side, state=detail.sla)
    out.update(
        {
            "description": case.description,
            "desired_support": list(case.desired_support or []),
            "company_size": case.company_size,
            "sido": case.sido_id,
            "sigungu": case.sigungu_id,
            "industry": case.industry_id,
            "business_number": case.business_number if personal else None,
            "contact": (
                {
                    "name": case.contact_name,
                    "phone": case.contact_phone,
                    "email": case.contact_email,
                }
                if personal
                else None
            ),
            "collaborating_institutes": [
                o.acronym or o.name for o in detail.collaborating_institutes
            ],
            "collaborators": (
                [
                    {
                        "name": str(link.user),
                        "institute": (link.institute.acronym or link.institute.name)
                        if link.institute
                        else None,
                    }
                    for link in detail.collaborators
                ]
                if staff_side
                else None
            ),
            "outcome": case.outcome,
            "resolutions": [
                {
                    "round": r.round,
                    "outcome": r.outcome,
                    "outcome_label": str(Outcome(r.outcome).label),
                    "summary": r.summary,
                    "reason": r.reason,
                    "follow_up_url": r.follow_up_url,
                    "follow_up_reference": r.follow_up_reference,
                    "resolved_at": r.resolved_at,
                    "business_days": r.business_days,
                    "met_target": r.met_target,
                    "survey_rating": surveys[r.pk].rating if surveys.get(r.pk) else None,
                }
                for r in detail.resolutions
            ],
            "attachments": [_attachment(a) for a in detail.intake_attachments],
            "moves": detail.moves,
            "can_post": detail.can_post,
            "can_post_internal": detail.can_post_internal,
            "first_response_at": case.first_response_at,
            "resolved_at": case.resolved_at,
            "closed_at": case.closed_at,
        }
    )
    return out


def _refreshed(request: HttpRequest, case: Case) -> dict[str, Any]:
    return _case_out(request, access.access_case(user=request.user, case_id=case.pk))


def _attachment_response(attachment: CaseAttachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


FILE_RESPONSE = {
    "responses": {
        200: {
            "description": "파일 (내려받기)",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
}


# --- Intake ------------------------------------------------------------------------------------


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def _receipt(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "channel": case.channel,
        "title": case.title,
        "received_at": case.received_at,
        "status_token": services.status_token_for(case=case),
        "status_url": links.status_url(case),
        "url": reverse("api:get_case", kwargs={"number": case.number}),
    }


@router.post(
    "/cases",
    response={
        200: CaseReceiptOut,
        201: CaseReceiptOut,
        **error_responses(400, 401, 403, 409, 413, 422),
    },
    summary="애로 접수",
    **OPEN,
)
def submit_case(
    request: HttpRequest,
    payload: CaseSubmitIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status:
    """애로를 접수합니다 (로그인하지 않아도 됩니다: 웹 접수와 같음). 새 건이면 201, 같은
    `Idempotency-Key`의 재시도면 처음 건을 200으로 돌려줍니다. 응답의 `status_token`으로
    로그인 없이 진행 상황을 볼 수 있고, 같은 링크가 `contact_email`로 갑니다.

    센터 직원은 전화(1379, 080)·방문 접수를 `channel`과 `receiving_centre_id`로 기록합니다;
    다른 사람이 이 두 항목을 보내면 403입니다. 동의(`privacy_consent`)가 false이면 422
    `consent_required`입니다."""
    user = request.user
    staff_fields = payload.channel is not None or payload.receiving_centre_id is not None
    if staff_fields and not access.can_intake(user):
        if not getattr(user, "is_authenticated", False):
            raise ApiError(401, "unauthenticated")
        raise PermissionDenied
    channel = payload.channel or Channel.API
    data = payload.model_dump(
        exclude={"privacy_consent", "channel", "receiving_centre_id", "organisation_id"},
        exclude_none=True,
    )
    if payload.organisation_id is not None:
        data["organisation"] = payload.organisation_id
    with _service_errors(
        {
            "organisation": "organisation_id",
            "receiving_centre": "receiving_centre_id",
            "idempotency_key": "Idempotency-Key",
        }
    ):
        result = services.case_submit(
            actor=user,
            data=data,
            privacy_consent=payload.privacy_consent,
            channel=channel,
            idempotency_key=idempotency_key,
            receiving_centre=payload.receiving_centre_id,
            ip_address=client_ip(request),
        )
    return Status(201 if result.created else 200, _receipt(result.case))


# --- Cases -------------------------------------------------------------------------------------


@router.get(
    "/cases",
    response={200: CasePage, **error_responses(401, 422)},
    summary="애로 접수 건 목록",
    **LOGIN,
)
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> dict[str, Any]:
    """볼 수 있는 건만: 요청자는 자기 건, 센터 직원은 센터가 접수한 건 (전국 접수 센터는
    전부), 연구기관은 주관·협력 기관으로 지정된 건, 담당자·팀·협업자는 자기가 맡은 건.
    `overdue=true`는 기한을 넘긴 건을 기한 순으로, `mine=true`는 내가 맡거나 요청한 건만."""
    user = request.user
    now = timezone.now()
    qs = selectors.case_queryset(
        user=user,
        queue="mine" if filters.mine else "all",
        status=filters.status or "",
        category=filters.category or "",
        channel=filters.channel or "",
        query=filters.q,
        now=now,
    )
    ordering: tuple[Any, ...] = ("-received_at", "-id")
    if filters.overdue:
        qs = qs.filter(selectors.overdue_q(now))
        ordering = (F("first_response_due_at").asc(nulls_last=True), "resolution_due_at", "id")
    offset = (filters.page - 1) * filters.page_size
    cases = list(
        qs.select_related(*selectors.LIST_RELATED).order_by(*ordering)[
            offset : offset + filters.page_size
        ]
    )
    worker = _works_on_cases(user)
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "results": [
            _summary(
                c,
                staff_side=worker or c.requester_id != user.pk,
                state=selectors.sla_state(c, now=now),
            )
            for c in cases
        ],
    }


def _works_on_cases(user: Any) -> bool:
    """Staff, institute people or anyone on a team: may see who is assigned in lists."""
    roles = roles_of(user)
    return roles.is_staff or roles.institute_staff or user.desk_team_memberships.exists()


@router.get(
    "/cases/{number}",
    response={200: CaseOut, **error_responses(401, 404)},
    summary="애로 접수 건 상세",
    **LOGIN,
)
def get_case(request: HttpRequest, number: str) -> dict[str, Any]:
    """볼 수 있는 사람에게 볼 수 있는 만큼: 연락처·사업자등록번호는 센터, 주관 연구기관,
    담당자·팀, 요청자에게만 (협력 기관·협업자에게는 null); 담당자 이름은 담당 쪽에게만.
    `moves`는 지금 이 사람이 할 수 있는 상태 변경입니다."""
    return _case_out(request, _case(request, number))


@router.get(
    "/cases/{number}/timeline",
    response={200: list[EventOut], **error_responses(401, 404)},
    summary="처리 이력",
    **LOGIN,
)
def case_timeline(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """접수부터의 모든 처리 이력 (오래된 순). 요청자에게는 내부 기록과 세부 내용, 처리한
    사람 이름이 빠집니다."""
    case = _case(request, number)
    staff_side = access.can_see_internal(request.user, case)
    return [
        {
            "kind": e.kind,
            "label": str(CaseEvent.Kind(e.kind).label),
            "at": e.at,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": (_name(e.actor) or e.actor_label or None) if staff_side else None,
            "is_internal": e.is_internal,
            "data": e.data if staff_side else None,
        }
        for e in selectors.timeline(user=request.user, case=case)
    ]


@router.get(
    "/cases/{number}/messages",
    response={200: list[MessageOut], **error_responses(401, 404)},
    summary="메시지 목록",
    **LOGIN,
)
def list_case_messages(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """요청자와 담당 쪽이 주고받은 메시지 (오래된 순). 내부 메모와 내부 첨부는 담당 쪽에게만."""
    case = _case(request, number)
    user = request.user
    staff_side = access.can_see_internal(user, case)
    files = CaseAttachment.objects.order_by("created_at", "id")
    if not staff_side:
        files = files.filter(is_internal=False)
    messages = (
        access.messages_visible_to(user, case)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=files))
        .order_by("created_at", "id")
    )
    return [_message(m, staff_side=staff_side) for m in messages]


@router.post(
    "/cases/{number}/messages",
    response={201: MessageOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="메시지 보내기",
    **LOGIN,
)
def post_case_message(request: HttpRequest, number: str, payload: MessageIn) -> Status:
    """요청자(로그인)나 담당 쪽이 메시지를 남깁니다. `is_internal=true`는 요청자가 보지 못하는
    내부 메모 (담당 쪽만; 요청자는 403). 담당 쪽의 첫 공개 메시지가 첫 응답으로 기록되고,
    답변 대기 중인 건에 요청자가 답하면 처리가 다시 시작됩니다. 종료된 건은 409."""
    case = _case(request, number)
    with _service_errors():
        message = services.case_message_post(
            case=case, body=payload.body, actor=request.user, is_internal=payload.is_internal
        )
    staff_side = access.can_see_internal(request.user, case)
    return Status(201, _message(message, staff_side=staff_side))


@router.post(
    "/cases/{number}/attachments",
    response={201: MessageOut, **error_responses(400, 401, 403, 404, 409, 413, 422)},
    summary="첨부 파일 올리기",
    **LOGIN,
)
def upload_case_attachments(
    request: HttpRequest,
    number: str,
    files: File[list[UploadedFile]],
    body: str = UPLOAD_BODY,
    is_internal: bool = UPLOAD_INTERNAL,
) -> Status:
    """multipart/form-data로 파일 1~10개 (`files`): PDF, HWP, HWPX, DOCX, XLSX, JPG, PNG,
    한 개에 20MB까지. 형식은 파일 이름이 아니라 내용으로 확인합니다 (이름만 바꾼 실행 파일은
    422 `attachment_type`, 하나라도 거절되면 아무것도 저장하지 않습니다). 파일은 메시지에
    붙어 대화에 나타납니다. 메시지를 남길 수 있는 사람 (요청자, 담당 쪽)만."""
    case = _case(request, number)
    text = body.strip() or (ATTACHMENTS_ONLY_BODY if files else "")
    with _service_errors({"attachments": "files"}):
        message = services.case_message_post(
            case=case,
            body=text,
            actor=request.user,
            is_internal=is_internal,
            attachments=files,
        )
    staff_side = access.can_see_internal(request.user, case)
    return Status(201, _message(message, staff_side=staff_side))


@router.get(
    "/cases/{number}/attachments/{attachment_id}",
    response={200: None, **error_responses(401, 404)},
    summary="첨부 파일 내려받기",
    openapi_extra=FILE_RESPONSE,
    auth=WRITE_AUTH,
)
def download_case_attachment(request: HttpRequest, number: str, attachment_id: int) -> Any:
    """이 건을 볼 수 있는 사람에게 (내부 파일은 담당 쪽에게만)."""
    case = _case(request, number)
    attachment = access.access_attachment(attachment_id=attachment_id, user=request.user)
    if attachment.case_id != case.pk:
        raise Http404
    return _attachment_response(attachment)


@router.get(
    "/cases/{number}/recommendation",
    response={200: RecommendationOut, **error_responses(401, 403, 404, 422)},
    summary="주관 연구기관 추천",
    **LOGIN,
)
def case_recommendation(
    request: HttpRequest,
    number: str,
    limit: int = RECOMMEND_LIMIT,
) -> dict[str, Any]:
    """이 건의 내용에 맞는 출연연구기관 순위 (점수와 근거): 분류할 때 보는 추천입니다 (담당
    쪽만; 요청자는 403). 비슷한 과거 배정 사례는 볼 수 있는 사람에게만 (`dure route`와 같은
    순위)."""
    from dure.routing import selectors as routing_selectors

    case = _case(request, number)
    if not access.can_see_internal(request.user, case):
        raise PermissionDenied
    scope = routing_selectors.example_scope(request.user)
    ranking = []
    for item in selectors.case_recommendations(case=case, limit=limit):
        data = item.as_dict()
        evidence = data["evidence"]
        if scope:
            evidence["examples"] = [
                e
                for e in evidence.get("examples") or []
                if routing_selectors.may_see_example(scope, e["institutes"])
            ]
        else:
            evidence["examples"] = None
        ranking.append(data)
    matches = selectors.case_techbank_matches(user=request.user, case=case)
    return {"ranking": ranking, "techbank": [vars(m) for m in matches]}


# --- Workflow moves ----------------------------------------------------------------------------

MOVE = {
    "response": {200: CaseOut, **error_responses(400, 401, 403, 404, 409, 422)},
    **LOGIN,
}


@router.post("/cases/{number}/triage", summary="분류", **MOVE)
def triage_case(request: HttpRequest, number: str, payload: TriageIn) -> dict[str, Any]:
    """분류·우선순위·지역·주관 연구기관(과 협력 기관)을 정합니다 (센터 직원, 관리자).
    접수(received) → 분류 완료(triaged); 처리 중에도 다시 분류할 수 있고, 주관 기관을 바꾸면
    배정이 풀립니다. `recommended`는 담당자에게 보여 준 추천 순위로, 추천을 따랐는지가
    기록되어 다음 추천에 쓰입니다."""
    case = _case(request, number)
    with _service_errors():
        services.case_triage(
            actor=request.user,
            case=case,
            category=payload.category,
            lead_institute=payload.lead_institute,
            priority=payload.priority,
            sido=payload.sido,
            collaborating_institutes=payload.collaborating_institutes,
            recommended=payload.recommended,
            note=payload.note,
        )
    return _refreshed(request, case)


@router.post("/cases/{number}/assign", summary="배정", **MOVE)
def assign_case(request: HttpRequest, number: str, payload: AssignIn) -> dict[str, Any]:
    """주관 연구기관의 팀 그리고/또는 연구원에게 맡깁니다 (센터 직원, 주관 연구기관).
    둘 다 없으면 이 기업의 전담팀 (1기업 1전담팀), 자동 배정 팀은 진행 중인 건이 가장 적은
    팀원에게. 분류 완료 → 담당 배정; 이미 배정된 건은 다시 배정합니다."""
    case = _case(request, number)
    assignee = None
    if payload.assignee_id is not None:
        assignee = _person(payload.assignee_id, "assignee_id")
    with _service_errors({"team": "team_id", "assignee": "assignee_id"}):
        services.case_assign(
            actor=request.user,
            case=case,
            team=payload.team_id,
            assignee=assignee,
            remember=payload.remember,
            note=payload.note,
        )
    return _refreshed(request, case)


@router.post("/cases/{number}/start", summary="처리 시작", **MOVE)
def start_case(request: HttpRequest, number: str) -> dict[str, Any]:
    """담당 배정 → 처리 중 (담당자, 팀, 주관 연구기관, 센터)."""
    case = _case(request, number)
    with _service_errors():
        services.case_start(actor=request.user, case=case)
    return _refreshed(request, case)


@router.post("/cases/{number}/wait", summary="요청자 답변 대기", **MOVE)
def wait_on_requester(request: HttpRequest, number: str, payload: WaitIn) -> dict[str, Any]:
    """처리 중 → 요청자 답변 대기: SLA 시계가 멈춥니다. `message`는 요청자에게 먼저 보낼
    메시지 (무엇이 필요한지)."""
    case = _case(request, number)
    with _service_errors({"body": "message"}):
        services.case_wait_for_requester(actor=request.user, case=case, message=payload.message)
    return _refreshed(request, case)


@router.post("/cases/{number}/resume", summary="처리 재개", **MOVE)
def resume_case(request: HttpRequest, number: str) -> dict[str, Any]:
    """요청자 답변 대기 → 처리 중: 기한은 멈춘 영업 시간만큼 늦춰집니다."""
    case = _case(request, number)
    with _service_errors():
        services.case_resume(actor=request.user, case=case)
    return _refreshed(request, case)


@router.post("/cases/{number}/resolve", summary="해결", **MOVE)
def resolve_case(request: HttpRequest, number: str, payload: ResolveIn) -> dict[str, Any]:
    """담당 배정·처리 중·답변 대기 → 해결, 결과와 (있으면) 후속 연계 링크와 함께.
    `unsolvable`(해결 불가)에는 `reason`이 필요합니다. 요청자에게 만족도 조사가 갑니다."""
    case = _case(request, number)
    with _service_errors():
        services.case_resolve(
            actor=request.user,
            case=case,
            outcome=payload.outcome,
            summary=payload.summary,
            reason=payload.reason,
            follow_up_url=payload.follow_up_url,
            follow_up_reference=payload.follow_up_reference,
        )
    return _refreshed(request, case)


@router.post("/cases/{number}/close", summary="종료", **MOVE)
def close_case(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    """해결 → 종료 (센터, 주관 연구기관, 담당자, 요청자). 처리하지 않은 건(접수·분류 완료)을
    `reason`과 함께 닫는 것은 센터 직원만 (중복, 스팸, 철회)."""
    case = _case(request, number)
    with _service_errors():
        services.case_close(actor=request.user, case=case, reason=payload.reason)
    return _refreshed(request, case)


@router.post("/cases/{number}/reopen", summary="다시 열기", **MOVE)
def reopen_case(request: HttpRequest, number: str, payload: ReasonIn) -> dict[str, Any]:
    """해결·종료 → 처리 중, 해결 후 30일 안에 (센터, 주관 연구기관, 담당자, 요청자)."""
    case = _case(request, number)
    with _service_errors():
        services.case_reopen(actor=request.user, case=case, reason=payload.reason)
    return _refreshed(request, case)


@router.post(
    "/cases/{number}/survey",
    response={201: SurveyOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="만족도 조사",
    **LOGIN,
)
def answer_case_survey(request: HttpRequest, number: str, payload: SurveyIn) -> Status:
    """로그인한 요청자가 해결된 건의 만족도 (1~5)와 의견을 남깁니다, 해결마다 한 번 (요청자가
    아니면 403). 해결 전이면 409 `survey_not_open`, 이미 답했으면 409
    `survey_already_answered`. 로그인하지 않은 요청자는 조회 링크로 답합니다."""
    case = _case(request, number)
    with _service_errors():
        survey = services.case_survey_submit(
            case=case, rating=payload.rating, comment=payload.comment, actor=request.user
        )
    return Status(
        201, {"rating": survey.rating, "comment": survey.comment, "answered_at": survey.answered_at}
    )


# --- Collaborators -----------------------------------------------------------------------------


def _person(user_id: int, field: str) -> Any:
    person = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if person is None:
        raise ValidationError(
            {field: ValidationError(_("없는 사용자입니다."), code="user_unknown")}
        )
    return person


@router.post(
    "/cases/{number}/collaborators",
    response={200: CaseOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="협업자 추가",
    **LOGIN,
)
def add_case_collaborator(
    request: HttpRequest, number: str, payload: CollaboratorIn
) -> dict[str, Any]:
    """다른 연구기관이나 센터의 직원·연구원을 이 건의 협업자로 더합니다 (담당자, 팀, 주관
    연구기관, 센터). 이미 협업자이면 그대로입니다. 종료된 건은 409."""
    case = _case(request, number)
    person = _person(payload.user_id, "user_id")
    with _service_errors({"user": "user_id"}):
        services.case_collaborator_add(
            actor=request.user, case=case, user=person, note=payload.note
        )
    return _refreshed(request, case)


@router.delete(
    "/cases/{number}/collaborators/{user_id}",
    response={200: CaseOut, **error_responses(401, 403, 404)},
    summary="협업자 빼기",
    **LOGIN,
)
def remove_case_collaborator(request: HttpRequest, number: str, user_id: int) -> dict[str, Any]:
    """협업자를 이 건에서 뺍니다 (추가할 수 있는 사람). 협업자가 아니면 404."""
    case = _case(request, number)
    if not case.collaborator_links.filter(user_id=user_id).exists():
        raise Http404
    person = get_user_model().objects.get(pk=user_id)
    with _service_errors():
        services.case_collaborator_remove(actor=request.user, case=case, user=person)
    return _refreshed(request, case)


# --- The requester's status link ---------------------------------------------------------------

LINK_ERRORS = error_responses(400, 401, 403, 404, 409, 410, 422)


def _status_out(case: Case) -> dict[str, Any]:
    view = selectors.case_public_view(case=case)
    resolution = view.resolution
    return {
        "number": case.number,
        "title": case.title,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "category": case.category,
        "received_at": case.received_at,
        "lead_institute": case.lead_institute.acronym if case.lead_institute else None,
        "timeline": [{"at": at, "kind": kind, "label": label} for at, kind, label in view.timeline],
        "messages": [
            {
                "author_kind": m.author_kind,
                "body": m.body,
                "created_at": m.created_at,
                "attachments": [_attachment(a) for a in m.attachments.all()],
            }
            for m in view.messages
        ],
        "attachments": [_attachment(a) for a in view.intake_attachments],
        "resolution": (
            {
                "outcome": resolution.outcome,
                "outcome_label": str(Outcome(resolution.outcome).label),
                "summary": resolution.summary,
                "reason": resolution.reason,
                "follow_up_url": resolution.follow_up_url,
                "resolved_at": resolution.resolved_at,
            }
            if resolution
            else None
        ),
        "survey_open": view.survey_open,
        "can_reply": view.can_reply,
        "can_reopen": view.can_reopen,
    }


@router.get(
    "/status/{token}",
    response={200: StatusOut, **error_responses(401, 403, 404, 410)},
    summary="진행 상황 (조회 링크)",
    **OPEN,
)
def get_status(request: HttpRequest, token: str) -> dict[str, Any]:
    """요청자가 메일로 받은 서명된 조회 링크로, 로그인 없이: 상태, 공개 처리 이력, 메시지,
    해결 결과 (내부 메모와 담당자 이름은 없음). 링크 오류: `status_link_malformed` 404,
    `status_link_invalid` (위조·변조) 403, `status_link_expired`·`status_link_revoked` 410."""
    return _status_out(_case_for_token(token))


@router.post(
    "/status/{token}/messages",
    response={201: PublicMessageOut, **LINK_ERRORS},
    summary="답장 (조회 링크)",
    **OPEN,
)
def post_status_message(request: HttpRequest, token: str, payload: StatusMessageIn) -> Status:
    """요청자가 조회 링크로 답합니다. 답변 대기 중인 건이면 처리가 다시 시작됩니다. 종료된
    건은 409 `case_closed`."""
    case = _case_for_token(token)
    with _service_errors():
        message = services.case_message_post(case=case, body=payload.body, status_token=token)
    return Status(
        201,
        {
            "author_kind": message.author_kind,
            "body": message.body,
            "created_at": message.created_at,
            "attachments": [],
        },
    )


@router.post(
    "/status/{token}/survey",
    response={201: SurveyOut, **LINK_ERRORS},
    summary="만족도 조사 (조회 링크)",
    **OPEN,
)
def answer_status_survey(request: HttpRequest, token: str, payload: SurveyIn) -> Status:
    """해결된 건의 만족도 (1~5)와 의견, 해결마다 한 번. 해결 전이면 409 `survey_not_open`,
    이미 답했으면 409 `survey_already_answered`."""
    case = _case_for_token(token)
    with _service_errors():
        survey = services.case_survey_submit(
            case=case, rating=payload.rating, comment=payload.comment, status_token=token
        )
    return Status(
        201, {"rating": survey.rating, "comment": survey.comment, "answered_at": survey.answered_at}
    )


@router.post(
    "/status/{token}/reopen",
    response={200: StatusOut, **LINK_ERRORS},
    summary="다시 열기 (조회 링크)",
    **OPEN,
)
def reopen_by_status_link(request: HttpRequest, token: str, payload: ReasonIn) -> dict[str, Any]:
    """해결된 건이 아직 해결되지 않았다면, 해결 후 30일 안에 다시 엽니다."""
    case = _case_for_token(token)
    with _service_errors():
        services.case_reopen(case=case, status_token=token, reason=payload.reason)
    return _status_out(Case.objects.select_related("lead_institute").get(pk=case.pk))


@router.get(
    "/status/{token}/attachments/{attachment_id}",
    response={200: None, **error_responses(401, 403, 404, 410)},
    summary="첨부 파일 내려받기 (조회 링크)",
    openapi_extra={**OPTIONAL_AUTH_OPENAPI, **FILE_RESPONSE},
    auth=READ_AUTH,
)
def download_status_attachment(request: HttpRequest, token: str, attachment_id: int) -> Any:
    """조회 링크로 볼 수 있는 공개 첨부 파일 (내부 파일은 없음)."""
    _case_for_token(token)
    attachment = access.access_attachment(attachment_id=attachment_id, status_token=token)
    return _attachment_response(attachment)


# --- Dashboards --------------------------------------------------------------------------------


def _require_dashboard(user: Any) -> None:
    """Platform admins and centre staff (their centres' cases, or all for the national
    intake) and institute staff and researchers (their institute's cases)."""
    roles = roles_of(user)
    if not (roles.is_staff or roles.institute_staff):
        raise PermissionDenied


def _period(filters: Period) -> tuple[dt.date | None, dt.date | None]:
    def clamp(day: dt.date | None) -> dt.date | None:
        return None if day is None else min(max(day, FIRST_DAY), LAST_DAY)

    return clamp(filters.since), clamp(filters.until)


@router.get(
    "/stats",
    response={200: StatsOut, **error_responses(401, 403, 422)},
    summary="현황 통계",
    **LOGIN,
)
def desk_stats(request: HttpRequest, filters: Query[Period]) -> dict[str, Any]:
    """대시보드의 숫자: 분류·경로·상태·결과·지역·기관·센터별 건수, SLA 준수율, 해결까지 걸린
    영업일 분포, 만족도, 기관별 지원 실적. 센터 직원과 관리자 (센터가 볼 수 있는 건), 연구기관
    직원·연구원 (자기 기관의 건); 그 밖에는 403. 접수 후 처리 없이 닫힌 건은 세지 않습니다."""
    user = request.user
    _require_dashboard(user)
    since, until = _period(filters)
    span = {"since": since, "until": until}
    resolution = selectors.resolution_time_distribution(user=user, **span)
    satisfaction = selectors.satisfaction_summary(user=user, **span)
    return {
        **span,
        "total": selectors.dashboard_cases(user=user, **span).count(),
        "counts": {
            by: [
                {"key": key, "label": label, "count": n}
                for key, label, n in selectors.case_counts(user=user, by=by, **span)
            ]
            for by in selectors.COUNT_DIMENSIONS
        },
        "sla": selectors.sla_compliance(user=user, **span),
        "resolution_time": {
            **resolution,
            "buckets": [{"label": b, "count": n} for b, n in resolution["buckets"]],
        },
        "satisfaction": {
            **satisfaction,
            "distribution": [{"rating": r, "count": n} for r, n in satisfaction["distribution"]],
        },
        "institutes": selectors.institute_performance(user=user, **span),
    }


@router.get(
    "/stats/export",
    response={200: ExportPage, **error_responses(401, 403, 422)},
    summary="기관 평가용 내보내기",
    **LOGIN,
)
def desk_export(request: HttpRequest, filters: Query[ExportFilters]) -> dict[str, Any]:
    """건마다 한 줄, 개인정보 없이 (이름·연락처·이메일·사업자등록번호·기업명·내용 없음):
    기관 지원 실적 평가용. 통계와 같은 사람, 같은 범위. 접수 순."""
    user = request.user
    _require_dashboard(user)
    since, until = _period(filters)
    offset = (filters.page - 1) * filters.page_size
    rows = selectors.evaluation_export_rows(user=user, since=since, until=until)
    return {
        "count": selectors.dashboard_cases(user=user, since=since, until=until).count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "results": list(islice(rows, offset, offset + filters.page_size)),
    }
