"""Founding consultations API (/api/v1/founding): asking a support centre for help founding a
cooperative, and the centre's work on it — counselling sessions, the stages, the consultant.
Thin, like the pages: parse (pydantic) → access helper / selector / service → schema, with the
pages' permissions.

Nothing here is public: every call needs a login (token or session), else 401. The applicant
sees their own consultations; the staff of the centre asked see and handle all of its
consultations; platform admins see every one. A consultation the caller may not see is a 404
(whether it exists or not); one they may see but not handle (the applicant recording a session,
moving the stage, choosing the consultant) a 403; what the service refuses (a step between
stages the law or the table does not allow, too few founders for the founding meeting, a
cooperative not named or already taken …) a 422 with its Korean message and a stable code.

The applicant's contact details (name, phone, e-mail) are shown to the applicant and to the
people who handle the consultation; sessions' internal notes only to the latter. Every response
that shows someone else's contact details to a centre's staff member or an admin is logged
(``PersonalDataAccess``, via API), as the detail page logs it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status

from dure.api.auth import WRITE_AUTH
from dure.api.errors import call_service, idempotency_conflict_as_409
from dure.api.schemas import IdempotencyKeyHeader, error_responses
from dure.core.audit import personal_data_access_record
from dure.core.models import PersonalDataAccess

from . import access, selectors, services
from .models import TRANSITIONS, Consultation, Session, Stage
from .schemas import (
    AssignIn,
    ConsultationCreateIn,
    ConsultationDetailOut,
    ConsultationFilters,
    ConsultationPage,
    MoveIn,
    SessionIn,
    SessionOut,
    WithdrawIn,
)

router = Router(tags=["founding"])

# Consultations are never public: reads need a login too (anonymous → 401).
LOGIN = {"auth": WRITE_AUTH}
# Service field → API field, for error messages.
SERVICE_TO_API = {
    "centre": "centre_id",
    "organisation": "organisation_id",
    "consultant": "consultant_id",
    "idempotency_key": "Idempotency-Key",
}


def _call(fn: Any, **kwargs: Any) -> Any:
    return call_service(fn, SERVICE_TO_API, **kwargs)


def _slice(qs: Any, filters: Any) -> dict[str, Any]:
    offset = (filters.page - 1) * filters.page_size
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "results": list(qs[offset : offset + filters.page_size]),
    }


def _consultation(user: Any, id: int) -> Consultation:
    return access.access_consultation(user=user, consultation_id=id)


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.display_name or user.get_username()}


def _named(organisation: Any) -> dict[str, Any] | None:
    return None if organisation is None else {"id": organisation.pk, "name": organisation.name}


def _consultation_out(consultation: Consultation) -> dict[str, Any]:
    """What anyone who may see the consultation sees (``ConsultationOut``): no contact
    details, no internal notes."""
    return {
        "id": consultation.pk,
        "centre": _named(consultation.centre),
        "proposed_name": consultation.proposed_name,
        "kind": consultation.kind,
        "sido": consultation.sido_id,
        "business": consultation.business,
        "founders": consultation.founders,
        "stage": consultation.stage,
        "is_open": consultation.is_open,
        "consultant": _person(consultation.consultant),
        "organisation": _named(consultation.organisation),
        "created_at": consultation.created_at,
        "updated_at": consultation.updated_at,
    }


def _session_out(session: Session, *, manager: bool) -> dict[str, Any]:
    return {
        "id": session.pk,
        "held_on": session.held_on,
        "mode": session.mode,
        "topics": session.topics,
        "summary": session.summary,
        "next_steps": session.next_steps,
        "internal_note": session.internal_note if manager else None,
        "counsellor": _person(session.counsellor),
        "created_at": session.created_at,
    }


def _detail(request: HttpRequest, id: int) -> dict[str, Any]:
    """The consultation as ``ConsultationDetailOut`` for the caller (read afresh after a
    write): contact details for the applicant and the people who handle it, internal notes
    for the latter, and the read logged when they are someone else's."""
    user = request.user
    consultation = _consultation(user, id)
    manager = access.can_manage(user, consultation)
    applicant = consultation.applicant_id == user.pk
    if manager and not applicant:
        personal_data_access_record(
            actor=user,
            via=PersonalDataAccess.Via.API,
            subject=consultation,
            fields=selectors.CONTACT_FIELDS,
            purpose=selectors.CONTACT_PURPOSE,
        )
    contact = manager or applicant
    return {
        **_consultation_out(consultation),
        "can_manage": manager,
        "is_applicant": applicant,
        "next_stages": (
            [s for s in Stage.values if s in TRANSITIONS[consultation.stage]] if manager else []
        ),
        "contact_name": consultation.contact_name if contact else None,
        "contact_phone": consultation.contact_phone if contact else None,
        "applicant_email": consultation.applicant.email if contact else None,
        "sessions": [
            _session_out(s, manager=manager)
            for s in selectors.sessions_of(consultation=consultation)
        ],
        "events": [
            {"from_stage": e.from_stage or None, "to_stage": e.to_stage, "note": e.note, "at": e.at}
            for e in selectors.events_of(consultation=consultation)
        ],
    }


# --- consultations -----------------------------------------------------------------------------


@router.get(
    "/consultations", response={200: ConsultationPage, **error_responses(401, 422)}, **LOGIN
)
def list_consultations(request: HttpRequest, filters: Query[ConsultationFilters]) -> dict:
    """설립 상담 목록 (상담 페이지와 같은 범위: 신청자는 자신의 상담, 지원센터 직원은 그 센터의
    상담, 운영진은 전부). 최근 신청부터; `stage`로 거를 수 있습니다. 연락처와 내부 메모는 상세에만
    있습니다."""
    qs = access.consultations_visible_to(request.user).select_related(
        "centre", "consultant", "organisation"
    )
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    page = _slice(qs.order_by("-created_at", "-id"), filters)
    page["results"] = [_consultation_out(c) for c in page["results"]]
    return page


@router.get(
    "/consultations/{id}",
    response={200: ConsultationDetailOut, **error_responses(401, 404, 422)},
    **LOGIN,
)
def get_consultation(request: HttpRequest, id: int) -> dict:
    """설립 상담 상세: 상담 기록과 단계 기록. 신청자 연락처는 신청자 본인과 상담을 맡은 사람에게,
    내부 메모는 상담을 맡은 사람(지원센터 직원, 운영진)에게만 보이며, 직원이 다른 사람의 연락처를
    열람하면 기록됩니다."""
    return _detail(request, id)


IDEMPOTENCY_KEY = IdempotencyKeyHeader("신청")


@router.post(
    "/consultations",
    response={
        201: ConsultationDetailOut,
        200: ConsultationDetailOut,
        **error_responses(400, 401, 403, 409, 422),
    },
    **LOGIN,
)
def create_consultation(
    request: HttpRequest,
    payload: ConsultationCreateIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status:
    """설립 상담 신청 (로그인한 누구나): 공개된 지원센터에 접수(received)됩니다. 협동조합은 발기인
    5명 이상이 모여야 설립할 수 있습니다 (협동조합 기본법 제15조). 새 신청이면 201, 같은
    `Idempotency-Key`의 재시도면 처음 신청을 200으로 돌려줍니다 (같은 키에 다른 내용이면 409
    `idempotency_conflict`)."""
    data = payload.model_dump()
    centre = data.pop("centre_id")
    try:
        result = _call(
            services.consultation_request,
            actor=request.user,
            centre=centre,
            data=data,
            idempotency_key=idempotency_key,
        )
    except ValidationError as exc:
        idempotency_conflict_as_409(exc)
        raise
    return Status(201 if result.created else 200, _detail(request, result.consultation.pk))


@router.post(
    "/consultations/{id}/sessions",
    response={201: SessionOut, **error_responses(400, 401, 403, 404, 422)},
    **LOGIN,
)
def record_session(request: HttpRequest, id: int, payload: SessionIn) -> Status:
    """상담 기록 (상담을 맡은 지원센터 직원, 운영진; 진행 중인 상담에만). 첫 기록은 접수된 상담을
    상담 중(consulting)으로 옮기고, 담당 상담사가 없으면 기록한 직원이 맡습니다."""
    consultation = _consultation(request.user, id)
    session = _call(
        services.session_record,
        actor=request.user,
        consultation=consultation,
        data=payload.model_dump(),
    )
    session = selectors.sessions_of(consultation=consultation).get(pk=session.pk)
    return Status(201, _session_out(session, manager=True))


CONSULTATION_ACTION = {
    "response": {200: ConsultationDetailOut, **error_responses(400, 401, 403, 404, 422)}
}


@router.post("/consultations/{id}/move", **CONSULTATION_ACTION, **LOGIN)
def move_consultation(request: HttpRequest, id: int, payload: MoveIn) -> dict:
    """단계 옮기기 (상담을 맡은 사람): 한 단계 앞으로, 다시 할 일이 있으면 한 단계 뒤로, 진행 중이면
    중단(withdrawn)으로, 중단된 상담은 상담 중(consulting)으로. 창립총회(assembly)에는 발기인 5명
    이상이, 설립 완료(founded)에는 설립된 협동조합(`organisation_id`)이 필요합니다."""
    consultation = _consultation(request.user, id)
    _call(
        services.consultation_move,
        actor=request.user,
        consultation=consultation,
        stage=payload.stage,
        note=payload.note,
        founders=payload.founders,
        organisation=payload.organisation_id,
    )
    return _detail(request, id)


@router.post("/consultations/{id}/assign", **CONSULTATION_ACTION, **LOGIN)
def assign_consultation(request: HttpRequest, id: int, payload: AssignIn) -> dict:
    """담당 상담사 정하기 (상담을 맡은 사람): 그 지원센터의 직원 중에서, null이면 배정 취소."""
    consultation = _consultation(request.user, id)
    _call(
        services.consultation_assign,
        actor=request.user,
        consultation=consultation,
        consultant=payload.consultant_id,
    )
    return _detail(request, id)


@router.post("/consultations/{id}/withdraw", **CONSULTATION_ACTION, **LOGIN)
def withdraw_consultation(request: HttpRequest, id: int, payload: WithdrawIn) -> dict:
    """설립 상담 그만두기 (신청자; 연락이 끊긴 상담은 지원센터 쪽에서도): 진행 중인 상담만
    중단(withdrawn)됩니다. 중단된 상담은 지원센터가 다시 열 수 있습니다."""
    consultation = _consultation(request.user, id)
    _call(
        services.consultation_withdraw,
        actor=request.user,
        consultation=consultation,
        note=payload.note,
    )
    return _detail(request, id)
