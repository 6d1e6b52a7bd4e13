"""Technology-bank API (/api/v1/techbank). Thin, like the pages: parse (pydantic) → access helper
/ selector / service → schema, with the pages' permissions. Experts' personal data only through
``selectors.expert_contact_for`` (which logs the access), for those who may see it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.decorators import decorate_view

from dure.api.auth import OPTIONAL_AUTH_OPENAPI, READ_AUTH, WRITE_AUTH
from dure.api.errors import idempotency_conflict_as_409
from dure.api.schemas import IdempotencyKeyHeader, error_responses
from dure.core.audit import client_ip
from dure.core.pagecache import cache_public_page
from dure.directory.models import Organisation

from . import access, selectors, services
from .models import Equipment, Expert, Technology
from .schemas import (
    BookingFilters,
    BookingIn,
    BookingOut,
    BookingPage,
    EquipmentCreateIn,
    EquipmentDetailOut,
    EquipmentFilters,
    EquipmentPage,
    EquipmentUpdateIn,
    ExchangeDecisionIn,
    ExchangeIn,
    ExchangeOut,
    ExchangePage,
    ExpertCreateIn,
    ExpertDetailOut,
    ExpertOut,
    ExpertPage,
    ExpertUpdateIn,
    LabCreateIn,
    LabOut,
    LabPage,
    LabUpdateIn,
    NoteIn,
    RoyaltyReportIn,
    RoyaltyReportOut,
    RoyaltyReportsOut,
    SearchFilters,
    SearchOut,
    SimpleFilters,
    StatisticsFilters,
    StatisticsOut,
    StatusFilters,
    TechnologyCreateIn,
    TechnologyFilters,
    TechnologyOut,
    TechnologyPage,
    TechnologyUpdateIn,
    TransferDecisionIn,
    TransferDetailOut,
    TransferIn,
    TransferPage,
)

router = Router(tags=["techbank"])

READ = {"auth": READ_AUTH, "openapi_extra": OPTIONAL_AUTH_OPENAPI}
WRITE = {"auth": WRITE_AUTH}
# API field → service field, and back for error messages.
API_TO_SERVICE = {"holder_id": "holder", "institute_id": "institute"}
SERVICE_TO_API = {v: k for k, v in API_TO_SERVICE.items()}


def _renamed(exc: ValidationError, extra: dict[str, str] | None = None) -> ValidationError:
    names = {**SERVICE_TO_API, **(extra or {})}
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(f, f): e for f, e in exc.error_dict.items()})


def _data(payload: Any) -> dict[str, Any]:
    raw = payload.model_dump(exclude_unset=True)
    return {API_TO_SERVICE.get(k, k): v for k, v in raw.items()}


def _page(page: selectors.Page) -> dict[str, Any]:
    return {
        "count": page.total,
        "page": page.page,
        "page_size": page.page_size,
        "results": page.items,
    }


def _slice(qs: Any, filters: Any) -> dict[str, Any]:
    offset = (filters.page - 1) * filters.page_size
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "results": list(qs[offset : offset + filters.page_size]),
    }


def _with_case_numbers(page: dict[str, Any]) -> dict[str, Any]:
    """Transfer applications and exchange requests of a page with their desk case numbers
    fetched in one query rather than one per linked row."""
    from dure.desk.selectors import case_numbers

    numbers = case_numbers(obj.desk_case_id for obj in page["results"])
    for obj in page["results"]:
        obj.prefetched_desk_case_number = numbers.get(obj.desk_case_id)
    return page


def _call(fn: Any, *, rename: dict[str, str] | None = None, **kwargs: Any) -> Any:
    """A service call: field errors keep the API's field names."""
    try:
        return fn(**kwargs)
    except ValidationError as exc:
        raise _renamed(exc, rename) from exc


# --- search ------------------------------------------------------------------------------------


@router.get("/search", response={200: SearchOut, **error_responses(401, 422)}, **READ)
@decorate_view(cache_public_page)
def techbank_search(request: HttpRequest, filters: Query[SearchFilters]) -> dict:
    """기술·장비·연구실 (전문가는 운영진과 소속 기관만) 통합 검색: 순위, 강조된 발췌, 조건별 건수."""
    wanted = {
        "institute": str(filters.institute) if filters.institute else "",
        "ipc": filters.ipc or "",
        "status": filters.status or "",
        "trl": str(filters.trl) if filters.trl else "",
        "region": filters.region or "",
    }
    offset = (filters.page - 1) * filters.page_size
    result = selectors.techbank_search(
        user=request.user,
        query=filters.q,
        kinds=[filters.kind] if filters.kind else None,
        filters={k: v for k, v in wanted.items() if v},
        facets=selectors.FACET_KEYS,
        limit=filters.page_size,
        offset=offset,
    )
    tech_ids = [h.object_id for h in result.hits if h.kind == "technology"]
    numbers = dict(
        Technology.objects.filter(pk__in=tech_ids).values_list("pk", "application_number")
    )
    labels = selectors.facet_labels(result.facets)
    return {
        "count": result.total,
        "count_exact": result.total_exact,
        "page": filters.page,
        "page_size": filters.page_size,
        "results": [
            {
                "kind": h.kind,
                "id": h.object_id,
                "title": h.title,
                "score": h.score,
                "snippet": str(h.snippet),
                "application_number": numbers.get(h.object_id) if h.kind == "technology" else None,
            }
            for h in result.hits
        ],
        "facets": {
            key: [
                {"value": v, "label": labels.get(key, {}).get(v, v), "count": n} for v, n in values
            ]
            for key, values in result.facets.items()
        },
        "facets_exact": result.facets_exact,
    }


# --- technologies ------------------------------------------------------------------------------


@router.get("/technologies", response={200: TechnologyPage, **error_responses(401, 422)}, **READ)
@decorate_view(cache_public_page)
def list_technologies(request: HttpRequest, filters: Query[TechnologyFilters]) -> dict:
    """기술·특허 목록과 검색 (기술 페이지와 같은 조건)."""
    wanted = {
        "institute": str(filters.institute) if filters.institute else "",
        "ipc": filters.ipc or "",
        "status": filters.status or "",
        "commercialisation": filters.commercialisation or "",
        "trl": str(filters.trl) if filters.trl else "",
        "deal": filters.deal or "",
    }
    return _page(
        selectors.technology_list(
            user=request.user,
            query=filters.q,
            filters={k: v for k, v in wanted.items() if v},
            page=filters.page,
            page_size=filters.page_size,
        )
    )


@router.get(
    "/technologies/{id}", response={200: TechnologyOut, **error_responses(401, 404, 422)}, **READ
)
@decorate_view(cache_public_page)
def get_technology(request: HttpRequest, id: int) -> Technology:
    """기술 상세 (이전 조건: 휴면 특허는 착수기본료 면제)."""
    return access.access_technology(user=request.user, technology_id=id)


@router.post(
    "/technologies",
    response={201: TechnologyOut, **error_responses(400, 401, 403, 422)},
    **WRITE,
)
def create_technology(request: HttpRequest, payload: TechnologyCreateIn) -> Status:
    """기술 등록 (운영진, 보유 기관 사람)."""
    if not access.can_create_in_techbank(request.user):
        raise PermissionDenied
    tech = _call(
        services.technology_create,
        actor=request.user,
        data=_data(payload),
        ip_address=client_ip(request),
    )
    return Status(201, access.access_technology(user=request.user, technology_id=tech.pk))


@router.patch(
    "/technologies/{id}",
    response={200: TechnologyOut, **error_responses(400, 401, 403, 404, 422)},
    **WRITE,
)
def update_technology(request: HttpRequest, id: int, payload: TechnologyUpdateIn) -> Technology:
    """기술 수정 (운영진, 보유 기관 사람)."""
    tech = access.access_technology(user=request.user, technology_id=id, write=True)
    _call(
        services.technology_update,
        actor=request.user,
        technology=tech,
        data=_data(payload),
        ip_address=client_ip(request),
    )
    return access.access_technology(user=request.user, technology_id=id)


# --- equipment ---------------------------------------------------------------------------------


@router.get("/equipment", response={200: EquipmentPage, **error_responses(401, 422)}, **READ)
@decorate_view(cache_public_page)
def list_equipment(request: HttpRequest, filters: Query[EquipmentFilters]) -> dict:
    """공동활용 장비 목록과 검색."""
    wanted = {
        "institute": str(filters.institute) if filters.institute else "",
        "status": filters.status or "",
        "sharing": filters.sharing or "",
        "region": filters.region or "",
    }
    return _page(
        selectors.equipment_list(
            user=request.user,
            query=filters.q,
            filters={k: v for k, v in wanted.items() if v},
            page=filters.page,
            page_size=filters.page_size,
        )
    )


def _equipment_detail(user: Any, item: Equipment) -> Equipment:
    context = selectors.equipment_detail_context(user=user, equipment=item)
    item.manager = context["contact"]  # type: ignore[attr-defined]
    item.busy = context["busy"]  # type: ignore[attr-defined]
    return item


@router.get(
    "/equipment/{id}",
    response={200: EquipmentDetailOut, **error_responses(401, 404, 422)},
    **READ,
)
def get_equipment(request: HttpRequest, id: int) -> Equipment:
    """장비 상세와 예약된 시간 (신청자 없이). 담당자 연락처는 기관·운영진만."""
    item = access.access_equipment(user=request.user, equipment_id=id)
    return _equipment_detail(request.user, item)


@router.post(
    "/equipment",
    response={201: EquipmentDetailOut, **error_responses(400, 401, 403, 422)},
    **WRITE,
)
def create_equipment(request: HttpRequest, payload: EquipmentCreateIn) -> Status:
    """장비 등록 (운영진, 보유 기관 사람)."""
    if not access.can_create_in_techbank(request.user):
        raise PermissionDenied
    item = _call(
        services.equipment_create,
        actor=request.user,
        data=_data(payload),
        ip_address=client_ip(request),
    )
    item = access.access_equipment(user=request.user, equipment_id=item.pk)
    return Status(201, _equipment_detail(request.user, item))


@router.patch(
    "/equipment/{id}",
    response={200: EquipmentDetailOut, **error_responses(400, 401, 403, 404, 422)},
    **WRITE,
)
def update_equipment(request: HttpRequest, id: int, payload: EquipmentUpdateIn) -> Equipment:
    """장비 수정 (운영진, 보유 기관 사람)."""
    item = access.access_equipment(user=request.user, equipment_id=id, write=True)
    _call(
        services.equipment_update,
        actor=request.user,
        equipment=item,
        data=_data(payload),
        ip_address=client_ip(request),
    )
    item = access.access_equipment(user=request.user, equipment_id=id)
    return _equipment_detail(request.user, item)


# --- labs --------------------------------------------------------------------------------------


@router.get("/labs", response={200: LabPage, **error_responses(401, 422)}, **READ)
@decorate_view(cache_public_page)
def list_labs(request: HttpRequest, filters: Query[SimpleFilters]) -> dict:
    """연구실 목록과 검색."""
    result = selectors.lab_list(
        user=request.user,
        query=filters.q,
        filters={"institute": str(filters.institute)} if filters.institute else {},
        page=filters.page,
        page_size=filters.page_size,
    )
    return _page(result)


def _lab(user: Any, pk: int) -> Any:
    lab = access.access_lab(user=user, lab_id=pk)
    prefetch_related_objects([lab], "capabilities", "equipment")
    return lab


@router.get("/labs/{id}", response={200: LabOut, **error_responses(401, 404, 422)}, **READ)
@decorate_view(cache_public_page)
def get_lab(request: HttpRequest, id: int) -> Any:
    """연구실 상세."""
    return _lab(request.user, id)


@router.post("/labs", response={201: LabOut, **error_responses(400, 401, 403, 422)}, **WRITE)
def create_lab(request: HttpRequest, payload: LabCreateIn) -> Status:
    """연구실 등록 (운영진, 소속 기관 사람)."""
    if not access.can_create_in_techbank(request.user):
        raise PermissionDenied
    lab = _call(
        services.lab_create, actor=request.user, data=_data(payload), ip_address=client_ip(request)
    )
    return Status(201, _lab(request.user, lab.pk))


@router.patch(
    "/labs/{id}", response={200: LabOut, **error_responses(400, 401, 403, 404, 422)}, **WRITE
)
def update_lab(request: HttpRequest, id: int, payload: LabUpdateIn) -> Any:
    """연구실 수정 (운영진, 소속 기관 사람)."""
    lab = access.access_lab(user=request.user, lab_id=id, write=True)
    _call(
        services.lab_update,
        actor=request.user,
        lab=lab,
        data=_data(payload),
        ip_address=client_ip(request),
    )
    return _lab(request.user, id)


# --- experts (staff and their own institute) ---------------------------------------------------


def _may_list_experts(user: Any) -> bool:
    roles = access.roles_of(user)
    return (
        roles.is_staff
        or bool(access.institute_ids(roles))
        or (roles.authenticated and access.experts_visible_to(user).exists())
    )


@router.get("/experts", response={200: ExpertPage, **error_responses(401, 404, 422)}, **READ)
def list_experts(request: HttpRequest, filters: Query[SimpleFilters]) -> dict:
    """전문가 목록 (운영진, 자기 기관의 전문가). 개인정보는 없습니다."""
    if not _may_list_experts(request.user):
        raise Http404
    result = selectors.expert_list(
        user=request.user,
        query=filters.q,
        filters={"institute": str(filters.institute)} if filters.institute else {},
        page=filters.page,
        page_size=filters.page_size,
    )
    return _page(result)


def _expert_detail(user: Any, expert: Expert) -> Expert:
    expert.contact_data = selectors.expert_contact_for(  # type: ignore[attr-defined]
        user=user, expert=expert, via="api", purpose="전문가 상세 (API)"
    )
    return expert


def _expert_out(expert: Expert) -> dict[str, Any]:
    contact = getattr(expert, "contact_data", None)
    return {
        "id": expert.pk,
        "name": expert.name,
        "name_en": expert.name_en,
        "institute": expert.institute,
        "department": expert.department,
        "position": expert.position,
        "fields": expert.fields or [],
        "summary": expert.summary,
        "available_for_exchange": expert.available_for_exchange,
        "exchange_note": expert.exchange_note,
        "contact": (
            {"phone": contact.phone, "email": contact.email, "cv": contact.cv} if contact else None
        ),
    }


@router.get(
    "/experts/{id}", response={200: ExpertDetailOut, **error_responses(401, 404, 422)}, **READ
)
def get_expert(request: HttpRequest, id: int) -> dict:
    """전문가 상세. 연락처(개인정보)는 운영진·소속 기관·본인에게만, 열람 기록과 함께."""
    expert = access.access_expert(user=request.user, expert_id=id)
    return _expert_out(_expert_detail(request.user, expert))


CONTACT_KEYS = ("phone", "email", "cv")


def _save_expert(request: HttpRequest, payload: Any, expert: Expert | None = None) -> Expert:
    data = _data(payload)
    contact = {k: data.pop(k) for k in CONTACT_KEYS if k in data}
    ip = client_ip(request)
    if expert is None:
        expert = _call(services.expert_create, actor=request.user, data=data, ip_address=ip)
    else:
        expert = _call(
            services.expert_update, actor=request.user, expert=expert, data=data, ip_address=ip
        )
    if contact:
        _call(
            services.expert_contact_update,
            actor=request.user,
            expert=expert,
            data=contact,
            ip_address=ip,
        )
    return expert


@router.post(
    "/experts", response={201: ExpertDetailOut, **error_responses(400, 401, 403, 422)}, **WRITE
)
def create_expert(request: HttpRequest, payload: ExpertCreateIn) -> Status:
    """전문가 등록 (운영진, 소속 기관 사람)."""
    if not access.can_create_in_techbank(request.user):
        raise PermissionDenied
    expert = _save_expert(request, payload)
    expert = access.access_expert(user=request.user, expert_id=expert.pk)
    return Status(201, _expert_out(_expert_detail(request.user, expert)))


@router.patch(
    "/experts/{id}",
    response={200: ExpertDetailOut, **error_responses(400, 401, 403, 404, 422)},
    **WRITE,
)
def update_expert(request: HttpRequest, id: int, payload: ExpertUpdateIn) -> dict:
    """전문가 수정 (운영진, 소속 기관, 본인)."""
    expert = access.access_expert(user=request.user, expert_id=id, write=True)
    _save_expert(request, payload, expert)
    expert = access.access_expert(user=request.user, expert_id=id)
    return _expert_out(_expert_detail(request.user, expert))


# --- bookings ----------------------------------------------------------------------------------


@router.get("/bookings", response={200: BookingPage, **error_responses(401, 422)}, **WRITE)
def list_bookings(request: HttpRequest, filters: Query[BookingFilters]) -> dict:
    """내 예약과 우리 기관 장비의 예약."""
    qs = selectors.booking_list(user=request.user, status=filters.status or "")
    if filters.equipment:
        qs = qs.filter(equipment_id=filters.equipment)
    return _slice(qs, filters)


@router.get("/bookings/{id}", response={200: BookingOut, **error_responses(401, 404, 422)}, **WRITE)
def get_booking(request: HttpRequest, id: int) -> Any:
    """예약 상세 (신청자, 신청 기관, 장비 기관, 운영진)."""
    return access.access_booking(user=request.user, booking_id=id)


@router.post(
    "/bookings", response={201: BookingOut, **error_responses(400, 401, 403, 404, 422)}, **WRITE
)
def request_booking(request: HttpRequest, payload: BookingIn) -> Status:
    """장비 예약 신청 (겹치는 시간은 거절됩니다)."""
    item = access.access_equipment(user=request.user, equipment_id=payload.equipment_id)
    if not access.can_request_booking(request.user):
        raise PermissionDenied
    organisation = Organisation.objects.filter(pk=payload.organisation_id).first()
    if organisation is None:
        raise ValidationError(
            {"organisation_id": ValidationError(_("없는 기관입니다."), code="organisation_unknown")}
        )
    booking = _call(
        services.booking_request,
        rename={"organisation": "organisation_id", "equipment": "equipment_id"},
        actor=request.user,
        equipment=item,
        organisation=organisation,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        purpose=payload.purpose,
        ip_address=client_ip(request),
    )
    return Status(201, booking)


def _booking_action(request: HttpRequest, id: int, fn: Any, note: str) -> Any:
    booking = access.access_booking(user=request.user, booking_id=id, write=True)
    return _call(fn, actor=request.user, booking=booking, note=note, ip_address=client_ip(request))


BOOKING_ACTION = {"response": {200: BookingOut, **error_responses(400, 401, 403, 404, 422)}}


@router.post("/bookings/{id}/approve", **BOOKING_ACTION, **WRITE)
def approve_booking(request: HttpRequest, id: int, payload: NoteIn) -> Any:
    """예약 승인 (장비 기관, 운영진)."""
    return _booking_action(request, id, services.booking_approve, payload.note)


@router.post("/bookings/{id}/reject", **BOOKING_ACTION, **WRITE)
def reject_booking(request: HttpRequest, id: int, payload: NoteIn) -> Any:
    """예약 반려 (사유 필수)."""
    return _booking_action(request, id, services.booking_reject, payload.note)


@router.post("/bookings/{id}/cancel", **BOOKING_ACTION, **WRITE)
def cancel_booking(request: HttpRequest, id: int, payload: NoteIn) -> Any:
    """예약 취소 (신청자, 신청 기관 운영진, 장비 기관)."""
    return _booking_action(request, id, services.booking_cancel, payload.note)


# --- transfer applications ---------------------------------------------------------------------


def _transfer(user: Any, id: int, write: bool = False) -> Any:
    return access.access_transfer_application(user=user, application_id=id, write=write)


@router.get("/transfers", response={200: TransferPage, **error_responses(401, 422)}, **WRITE)
def list_transfers(request: HttpRequest, filters: Query[StatusFilters]) -> dict:
    """우리 기업의 신청과 우리 기관 기술에 들어온 신청."""
    return _with_case_numbers(
        _slice(selectors.transfer_list(user=request.user, status=filters.status or ""), filters)
    )


@router.get(
    "/transfers/{id}", response={200: TransferDetailOut, **error_responses(401, 404, 422)}, **WRITE
)
def get_transfer(request: HttpRequest, id: int) -> Any:
    """기술이전 신청 상세와 진행 기록."""
    return _transfer(request.user, id)


TRANSFER_ACTION = {"response": {200: TransferDetailOut, **error_responses(400, 401, 403, 404, 422)}}


@router.post(
    "/transfers",
    response={201: TransferDetailOut, **error_responses(400, 401, 403, 404, 422)},
    **WRITE,
)
def submit_transfer(request: HttpRequest, payload: TransferIn) -> Status:
    """기술이전 신청 (중소기업·협동조합의 대표·담당자). 휴면 특허는 착수기본료 면제."""
    tech = access.access_technology(user=request.user, technology_id=payload.technology_id)
    if not access.can_apply_for_transfer(request.user):
        raise PermissionDenied
    applicant = Organisation.objects.filter(pk=payload.applicant_id).first()
    if applicant is None:
        raise ValidationError(
            {"applicant_id": ValidationError(_("없는 기관입니다."), code="applicant_unknown")}
        )
    application = _call(
        services.transfer_submit,
        rename={"applicant": "applicant_id", "technology": "technology_id"},
        actor=request.user,
        technology=tech,
        applicant=applicant,
        deal_type=payload.deal_type,
        intended_use=payload.intended_use,
        desk_case=payload.desk_case_number,
        ip_address=client_ip(request),
    )
    return Status(201, _transfer(request.user, application.pk))


def _reports(user: Any, application: Any) -> dict[str, Any]:
    context = selectors.transfer_detail_context(user=user, application=application)
    return {
        "reports": context["reports"],
        "royalty_total": context["royalty_total"],
        "overdue": context["overdue"],
    }


@router.get(
    "/transfers/{id}/reports",
    response={200: RoyaltyReportsOut, **error_responses(401, 404, 422)},
    **WRITE,
)
def list_royalty_reports(request: HttpRequest, id: int) -> dict:
    """계약의 매출 보고와 경상기술료 합계, 기한이 지난 미보고 기간 (신청 기업·보유 기관·운영진)."""
    return _reports(request.user, _transfer(request.user, id))


@router.post(
    "/transfers/{id}/reports",
    response={201: RoyaltyReportOut, **error_responses(400, 401, 403, 404, 422)},
    **WRITE,
)
def submit_royalty_report(request: HttpRequest, id: int, payload: RoyaltyReportIn) -> Status:
    """매출 보고 (실시권자). 경상기술료 = ⌊매출액 × 계약 요율⌋ 원으로 계산됩니다."""
    application = _transfer(request.user, id, write=True)
    report = _call(
        services.royalty_report_submit,
        actor=request.user,
        application=application,
        period_start=payload.period_start,
        period_end=payload.period_end,
        sales=payload.sales,
        note=payload.note,
        ip_address=client_ip(request),
    )
    return Status(201, report)


@router.post("/transfers/{id}/review", **TRANSFER_ACTION, **WRITE)
def review_transfer(request: HttpRequest, id: int, payload: NoteIn) -> Any:
    """검토 시작 (보유 기관, 운영진)."""
    application = _transfer(request.user, id, write=True)
    _call(
        services.transfer_review,
        actor=request.user,
        application=application,
        note=payload.note,
        ip_address=client_ip(request),
    )
    return _transfer(request.user, id)


@router.post("/transfers/{id}/decide", **TRANSFER_ACTION, **WRITE)
def decide_transfer(request: HttpRequest, id: int, payload: TransferDecisionIn) -> Any:
    """협상·계약 체결(조건 기록)·반려 (보유 기관, 운영진)."""
    application = _transfer(request.user, id, write=True)
    terms = payload.terms.model_dump(exclude_none=True) if payload.terms else {}
    _call(
        services.transfer_decide,
        actor=request.user,
        application=application,
        decision=payload.decision,
        note=payload.note,
        terms=terms,
        ip_address=client_ip(request),
    )
    return _transfer(request.user, id)


@router.post("/transfers/{id}/withdraw", **TRANSFER_ACTION, **WRITE)
def withdraw_transfer(request: HttpRequest, id: int, payload: NoteIn) -> Any:
    """신청 철회 (신청 기업)."""
    application = _transfer(request.user, id, write=True)
    _call(
        services.transfer_withdraw,
        actor=request.user,
        application=application,
        note=payload.note,
        ip_address=client_ip(request),
    )
    return _transfer(request.user, id)


# --- exchange requests -------------------------------------------------------------------------


def _exchange(user: Any, id: int, write: bool = False) -> Any:
    return access.access_exchange_request(user=user, request_id=id, write=write)


@router.get("/exchanges", response={200: ExchangePage, **error_responses(401, 422)}, **WRITE)
def list_exchanges(request: HttpRequest, filters: Query[StatusFilters]) -> dict:
    """인력교류 신청 (우리 기업의 신청, 우리 기관이 처리할 신청)."""
    return _with_case_numbers(
        _slice(selectors.exchange_list(user=request.user, status=filters.status or ""), filters)
    )


@router.get(
    "/exchanges/{id}", response={200: ExchangeOut, **error_responses(401, 404, 422)}, **WRITE
)
def get_exchange(request: HttpRequest, id: int) -> Any:
    """인력교류 신청 상세."""
    return _exchange(request.user, id)


EXCHANGE_ACTION = {"response": {200: ExchangeOut, **error_responses(400, 401, 403, 404, 422)}}


IDEMPOTENCY_KEY = IdempotencyKeyHeader("신청")


@router.post(
    "/exchanges",
    response={
        201: ExchangeOut,
        200: ExchangeOut,
        **error_responses(400, 401, 403, 409, 422),
    },
    **WRITE,
)
def submit_exchange(
    request: HttpRequest,
    payload: ExchangeIn,
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status:
    """인력교류 신청 (중소기업·협동조합). 기간 구분(단기·중기·장기)은 자동으로 정해집니다. 새
    신청이면 201, 같은 `Idempotency-Key`의 재시도면 처음 신청을 200으로 돌려줍니다 (같은 키에 다른
    내용이면 409 `idempotency_conflict`)."""
    if not access.can_request_exchange(request.user):
        raise PermissionDenied
    requester = Organisation.objects.filter(pk=payload.requester_id).first()
    if requester is None:
        raise ValidationError(
            {"requester_id": ValidationError(_("없는 기관입니다."), code="requester_unknown")}
        )
    try:
        result = _call(
            services.exchange_submit,
            rename={
                "requester": "requester_id",
                "institute": "institute_id",
                "expert": "expert_id",
                "idempotency_key": "Idempotency-Key",
            },
            actor=request.user,
            requester=requester,
            direction=payload.direction,
            field=payload.field,
            institute=payload.institute_id,
            expert=payload.expert_id,
            start_date=payload.start_date,
            end_date=payload.end_date,
            purpose=payload.purpose,
            desk_case=payload.desk_case_number,
            ip_address=client_ip(request),
            idempotency_key=idempotency_key,
        )
    except ValidationError as exc:
        idempotency_conflict_as_409(exc)
        raise
    return Status(201 if result.created else 200, result.exchange)


@router.get(
    "/exchanges/{id}/candidates",
    response={200: list[ExpertOut], **error_responses(401, 404, 422)},
    **WRITE,
)
def list_exchange_candidates(request: HttpRequest, id: int) -> list[dict[str, Any]]:
    """교류가 가능한 전문가 중 신청 분야에 맞는 사람 (처리하는 기관·운영진). 개인정보는 없습니다."""
    exchange = _exchange(request.user, id)
    if not access.can_decide_exchange(request.user, exchange):
        raise Http404
    candidates = selectors.exchange_candidates(user=request.user, request=exchange)
    return [_expert_out(expert) for expert in candidates]


@router.post("/exchanges/{id}/decide", **EXCHANGE_ACTION, **WRITE)
def decide_exchange(request: HttpRequest, id: int, payload: ExchangeDecisionIn) -> Any:
    """합의(교류 전문가 지정) 또는 반려 (기관, 운영진)."""
    exchange = _exchange(request.user, id, write=True)
    return _call(
        services.exchange_decide,
        rename={"expert": "expert_id"},
        actor=request.user,
        request=exchange,
        decision=payload.decision,
        expert=payload.expert_id,
        note=payload.note,
        ip_address=client_ip(request),
    )


@router.post("/exchanges/{id}/withdraw", **EXCHANGE_ACTION, **WRITE)
def withdraw_exchange(request: HttpRequest, id: int, payload: NoteIn) -> Any:
    """신청 철회 (신청 기업)."""
    exchange = _exchange(request.user, id, write=True)
    return _call(
        services.exchange_withdraw,
        actor=request.user,
        request=exchange,
        note=payload.note,
        ip_address=client_ip(request),
    )


# --- statistics --------------------------------------------------------------------------------


def _rate(r: Any) -> dict[str, Any]:
    return {
        "institute_id": r.institute_id,
        "name": r.name,
        "total": r.total,
        "commercialised": r.commercialised,
        "dormant": r.dormant,
        "rate": r.rate,
    }


def _usage(u: Any) -> dict[str, Any]:
    return {
        "equipment_id": u.equipment_id,
        "name": u.name,
        "institute": u.institute,
        "booked_hours": u.booked_hours,
        "available_hours": u.available_hours,
        "rate": u.rate,
    }


@router.get("/statistics", response={200: StatisticsOut, **error_responses(401, 422)}, **READ)
@decorate_view(cache_public_page)
def techbank_statistics(request: HttpRequest, filters: Query[StatisticsFilters]) -> dict:
    """사업화율 (기관별·전체), 휴면 특허 수, 장비 가동률, 기술이전 진행 현황."""
    today = timezone.localdate()
    end = filters.end or today
    start = filters.start or end - dt.timedelta(days=30)
    if not (dt.date(2000, 1, 1) <= start < end <= start + dt.timedelta(days=366)):
        raise ValidationError(
            {
                "end": ValidationError(
                    _("기간은 시작일 이후 366일 이내여야 합니다 (2000년 이후)."),
                    code="period_range",
                )
            }
        )
    rates, overall = selectors.commercialisation_rates()
    usage, usage_total = selectors.equipment_utilisation(start=start, end=end)
    return {
        "commercialisation": [_rate(r) for r in rates],
        "commercialisation_overall": _rate(overall),
        "dormant_patents": selectors.dormant_technologies().count(),
        "utilisation_start": start,
        "utilisation_end": end,
        "utilisation": [_usage(u) for u in usage],
        "utilisation_overall": _usage(usage_total),
        "transfer_pipeline": selectors.transfer_pipeline(),
    }
