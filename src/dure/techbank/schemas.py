"""Schemas of the technology-bank API. Experts' personal data (phone, e-mail, CV) appears only
in ``ExpertOut.contact``, filled for those who may see it (staff, the expert's institute)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from dure.api.schemas import Text

from .models import (
    BookingStatus,
    Commercialisation,
    DealType,
    EquipmentStatus,
    ExchangeDirection,
    ExchangeStatus,
    PatentStatus,
    SharingScope,
    TransferStatus,
)

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 100
MAX_MONEY = 10**15

KindValue = Literal["technology", "equipment", "lab", "expert"]
PatentStatusValue = Literal[*PatentStatus.values]  # type: ignore[valid-type]
CommercialisationValue = Literal[*Commercialisation.values]  # type: ignore[valid-type]
DealTypeValue = Literal[*DealType.values]  # type: ignore[valid-type]
EquipmentStatusValue = Literal[*EquipmentStatus.values]  # type: ignore[valid-type]
SharingValue = Literal[*SharingScope.values]  # type: ignore[valid-type]
BookingStatusValue = Literal[*BookingStatus.values]  # type: ignore[valid-type]
TransferStatusValue = Literal[*TransferStatus.values]  # type: ignore[valid-type]
ExchangeStatusValue = Literal[*ExchangeStatus.values]  # type: ignore[valid-type]
DirectionValue = Literal[*ExchangeDirection.values]  # type: ignore[valid-type]
IPCSectionValue = Literal["A", "B", "C", "D", "E", "F", "G", "H"]


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


class _Filters(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


# --- search ------------------------------------------------------------------------------------


class SearchFilters(_Filters):
    q: Text(10000) = Field(..., description="검색어 (형태소 분석; 따옴표·기호도 안전합니다)")
    kind: KindValue | None = Field(None, description="종류 (전문가는 운영진·소속 기관만)")
    institute: int | None = Field(None, ge=1, le=2**63 - 1, description="기관 id")
    ipc: IPCSectionValue | None = Field(None, description="IPC 섹션 (A–H)")
    status: Text(20) | None = Field(None, description="권리 상태 또는 장비 상태")
    trl: int | None = Field(None, ge=1, le=9)
    region: Text(2) | None = Field(None, description="시도 코드")

    _blank = field_validator("kind", "institute", "ipc", "status", "trl", "region", mode="before")(
        _empty_is_none
    )


class SearchHitOut(Schema):
    kind: str
    id: int
    title: str
    score: float
    snippet: str = Field(..., description="검색어가 <mark>로 강조된 HTML 조각")
    application_number: str | None = None


class FacetValueOut(Schema):
    value: str
    label: str
    count: int


class SearchOut(Schema):
    count: int
    # False when there were more matches than were counted: ``count`` is a lower bound
    count_exact: bool = True
    page: int
    page_size: int
    results: list[SearchHitOut]
    facets: dict[str, list[FacetValueOut]]
    # False when the facets were counted over a sample of the matches: lower bounds
    facets_exact: bool = True


# --- technologies ------------------------------------------------------------------------------


class InstituteOut(Schema):
    id: int
    name: str


class TechnologyOut(Schema):
    id: int
    title: str
    title_en: str
    abstract: str
    key_claims: str
    ipc_codes: list[str]
    ksic: str | None = Field(None, alias="ksic_id")
    application_number: str
    application_date: dt.date | None
    publication_number: str
    publication_date: dt.date | None
    registration_number: str
    registration_date: dt.date | None
    status: str
    holder: InstituteOut
    inventor_names: str
    keywords: list[str]
    trl: int | None
    commercialisation: str
    deal_types: list[str]
    upfront_fee: int | None = Field(None, description="착수기본료 (원, 정가)")
    upfront_fee_due: int = Field(..., description="지금 신청하면 낼 착수기본료 (휴면 특허는 0)")
    royalty_bp: int | None = Field(None, description="경상기술료율 (bp, 1bp = 0.01%)")
    royalty_percent: Decimal | None = None


class TechnologyPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[TechnologyOut]


class TechnologyFilters(_Filters):
    q: Text(10000) = ""
    institute: int | None = Field(None, ge=1, le=2**63 - 1)
    ipc: IPCSectionValue | None = None
    status: PatentStatusValue | None = None
    commercialisation: CommercialisationValue | None = None
    trl: int | None = Field(None, ge=1, le=9)
    deal: DealTypeValue | None = None

    _blank = field_validator(
        "institute", "ipc", "status", "commercialisation", "trl", "deal", mode="before"
    )(_empty_is_none)


class TechnologyUpdateIn(Schema):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    title: Text(500) | None = None
    title_en: Text(500) | None = None
    abstract: Text(20000) | None = None
    key_claims: Text(20000) | None = None
    ipc_codes: list[Text(30)] | None = Field(None, max_length=50)
    ksic: Text(5) | None = None
    application_number: Text(20) | None = None
    application_date: dt.date | None = None
    publication_number: Text(20) | None = None
    publication_date: dt.date | None = None
    registration_number: Text(12) | None = None
    registration_date: dt.date | None = None
    status: PatentStatusValue | None = None
    holder_id: int | None = Field(None, ge=1, le=2**63 - 1)
    inventor_names: Text(500) | None = None
    keywords: list[Text(40)] | None = Field(None, max_length=30)
    trl: int | None = Field(None, ge=1, le=9)
    commercialisation: CommercialisationValue | None = None
    deal_types: list[DealTypeValue] | None = Field(None, max_length=4)
    upfront_fee: int | None = Field(None, ge=0, le=MAX_MONEY)
    royalty_bp: int | None = Field(None, ge=0, le=10_000)


class TechnologyCreateIn(TechnologyUpdateIn):
    title: Text(500)
    application_number: Text(20)
    holder_id: int = Field(..., ge=1, le=2**63 - 1)


# --- equipment, labs, bookings -----------------------------------------------------------------


class BusySlotOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str


class ManagerOut(Schema):
    manager_name: str
    manager_phone: str
    manager_email: str


class EquipmentOut(Schema):
    id: int
    nfec_number: str
    name: str
    name_en: str
    manufacturer: str
    model_name: str
    classification: str
    capability: str
    configuration: str
    use_examples: str
    institute: InstituteOut
    location: str
    sido: str | None = Field(None, alias="sido_id")
    sharing: str
    status: str
    fee_per_hour: int | None
    fee_per_day: int | None
    available_hours_per_day: int
    bookable: bool


class EquipmentDetailOut(EquipmentOut):
    manager: ManagerOut | None = Field(None, description="담당자 연락처 (기관·운영진만)")
    busy: list[BusySlotOut] = Field(..., description="앞으로 60일의 예약된 시간 (신청자 없이)")


class EquipmentPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[EquipmentOut]


class EquipmentFilters(_Filters):
    q: Text(10000) = ""
    institute: int | None = Field(None, ge=1, le=2**63 - 1)
    status: EquipmentStatusValue | None = None
    sharing: SharingValue | None = None
    region: Text(2) | None = None

    _blank = field_validator("institute", "status", "sharing", "region", mode="before")(
        _empty_is_none
    )


class EquipmentUpdateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    nfec_number: Text(25) | None = None
    name: Text(200) | None = None
    name_en: Text(200) | None = None
    manufacturer: Text(100) | None = None
    model_name: Text(100) | None = None
    classification: Text(100) | None = None
    capability: Text(20000) | None = None
    configuration: Text(20000) | None = None
    use_examples: Text(20000) | None = None
    institute_id: int | None = Field(None, ge=1, le=2**63 - 1)
    location: Text(200) | None = None
    sido: Text(2) | None = None
    sharing: SharingValue | None = None
    status: EquipmentStatusValue | None = None
    fee_per_hour: int | None = Field(None, ge=0, le=MAX_MONEY)
    fee_per_day: int | None = Field(None, ge=0, le=MAX_MONEY)
    available_hours_per_day: int | None = Field(None, ge=1, le=24)
    manager_name: Text(40) | None = None
    manager_phone: Text(30) | None = None
    manager_email: Text(254) | None = None


class EquipmentCreateIn(EquipmentUpdateIn):
    nfec_number: Text(25)
    name: Text(200)
    institute_id: int = Field(..., ge=1, le=2**63 - 1)


class LabOut(Schema):
    id: int
    name: str
    name_en: str
    institute: InstituteOut
    description: str
    location: str
    sido: str | None = Field(None, alias="sido_id")
    capabilities: list[str]
    equipment: list[int]

    @staticmethod
    def resolve_capabilities(obj: Any) -> list[str]:
        return sorted(c.name for c in obj.capabilities.all())

    @staticmethod
    def resolve_equipment(obj: Any) -> list[int]:
        return sorted(e.pk for e in obj.equipment.all())


class LabPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[LabOut]


class SimpleFilters(_Filters):
    q: Text(10000) = ""
    institute: int | None = Field(None, ge=1, le=2**63 - 1)

    _blank = field_validator("institute", mode="before")(_empty_is_none)


class LabUpdateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Text(150) | None = None
    name_en: Text(200) | None = None
    institute_id: int | None = Field(None, ge=1, le=2**63 - 1)
    description: Text(5000) | None = None
    location: Text(200) | None = None
    sido: Text(2) | None = None
    capabilities: list[Text(40)] | None = Field(None, max_length=50)
    equipment: list[int] | None = Field(None, max_length=200)


class LabCreateIn(LabUpdateIn):
    name: Text(150)
    institute_id: int = Field(..., ge=1, le=2**63 - 1)


class ContactOut(Schema):
    phone: str
    email: str
    cv: str


class ExpertOut(Schema):
    id: int
    name: str
    name_en: str
    institute: InstituteOut
    department: str
    position: str
    fields: list[str]
    summary: str
    available_for_exchange: bool
    exchange_note: str


class ExpertDetailOut(ExpertOut):
    contact: ContactOut | None = Field(
        None, description="개인정보 (운영진·소속 기관·본인만; 열람 기록이 남습니다)"
    )


class ExpertPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ExpertOut]


class ExpertUpdateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Text(40) | None = None
    name_en: Text(80) | None = None
    institute_id: int | None = Field(None, ge=1, le=2**63 - 1)
    department: Text(100) | None = None
    position: Text(60) | None = None
    fields: list[Text(40)] | None = Field(None, max_length=20)
    summary: Text(3000) | None = None
    available_for_exchange: bool | None = None
    exchange_note: Text(300) | None = None
    phone: Text(30) | None = None
    email: Text(254) | None = None
    cv: Text(10000) | None = None


class ExpertCreateIn(ExpertUpdateIn):
    name: Text(40)
    institute_id: int = Field(..., ge=1, le=2**63 - 1)


class BookingOut(Schema):
    id: int
    equipment_id: int
    organisation: InstituteOut
    starts_at: dt.datetime
    ends_at: dt.datetime
    purpose: str
    status: str
    fee: int | None
    decision_note: str


class BookingFilters(_Filters):
    status: BookingStatusValue | None = None
    equipment: int | None = Field(None, ge=1, le=2**63 - 1)

    _blank = field_validator("status", "equipment", mode="before")(_empty_is_none)


class BookingPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[BookingOut]


class BookingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    equipment_id: int = Field(..., ge=1, le=2**63 - 1)
    organisation_id: int = Field(..., ge=1, le=2**63 - 1)
    starts_at: dt.datetime = Field(..., description="시간대 포함 (예: 2026-12-01T10:00:00+09:00)")
    ends_at: dt.datetime
    purpose: Text(300)


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: Text(3000) = ""


# --- transfers and exchanges -------------------------------------------------------------------


class TransferEventOut(Schema):
    from_status: str
    to_status: str
    note: str
    at: dt.datetime


def _desk_case_number(obj: Any) -> str | None:
    if not obj.desk_case_id:
        return None
    # lists fetch the numbers of a page in one query (api._with_case_numbers)
    if hasattr(obj, "prefetched_desk_case_number"):
        return obj.prefetched_desk_case_number
    from dure.desk.selectors import case_number

    return case_number(obj.desk_case_id)


class TransferOut(Schema):
    id: int
    technology_id: int
    technology_title: str
    holder: InstituteOut
    applicant: InstituteOut
    desk_case_number: str | None = Field(None, description="이 신청이 나온 상담 건의 접수번호")
    deal_type: str
    intended_use: str
    status: str
    dormant_at_submission: bool
    offered_upfront_fee: int | None
    offered_royalty_bp: int | None
    upfront_fee: int | None
    royalty_bp: int | None
    contract_date: dt.date | None
    licence_start: dt.date | None
    licence_end: dt.date | None
    report_every_months: int | None
    submitted_at: dt.datetime

    @staticmethod
    def resolve_technology_title(obj: Any) -> str:
        return obj.technology.title

    @staticmethod
    def resolve_desk_case_number(obj: Any) -> str | None:
        return _desk_case_number(obj)

    @staticmethod
    def resolve_holder(obj: Any) -> Any:
        return obj.technology.holder


class RoyaltyReportOut(Schema):
    id: int
    period_start: dt.date
    period_end: dt.date
    sales: int = Field(..., description="보고 매출액 (원)")
    rate_bp: int = Field(..., description="적용 경상기술료율 (bp, 1bp = 0.01%)")
    royalty_due: int = Field(..., description="경상기술료 = ⌊매출액 × 요율⌋ (원)")
    reported_at: dt.datetime
    note: str


class OverdueReportOut(Schema):
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date


class RoyaltyReportsOut(Schema):
    reports: list[RoyaltyReportOut]
    royalty_total: int
    overdue: list[OverdueReportOut]


class RoyaltyReportIn(Schema):
    model_config = ConfigDict(extra="forbid")

    period_start: dt.date
    period_end: dt.date
    sales: int = Field(..., ge=0, le=MAX_MONEY, description="보고 기간의 매출액 (원)")
    note: Text(300) = ""


class TransferDetailOut(TransferOut):
    events: list[TransferEventOut]

    @staticmethod
    def resolve_events(obj: Any) -> list[Any]:
        return list(obj.events.all())


class TransferPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[TransferOut]


class StatusFilters(_Filters):
    status: Text(20) | None = None

    _blank = field_validator("status", mode="before")(_empty_is_none)


class TransferIn(Schema):
    model_config = ConfigDict(extra="forbid")

    technology_id: int = Field(..., ge=1, le=2**63 - 1)
    applicant_id: int = Field(..., ge=1, le=2**63 - 1)
    deal_type: DealTypeValue
    intended_use: Text(3000)
    desk_case_number: Text(16) = Field("", description="상담 건에서 신청할 때 그 접수번호")


class TermsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    upfront_fee: int | None = Field(None, ge=0, le=MAX_MONEY)
    royalty_bp: int | None = Field(None, ge=0, le=10_000)
    contract_date: dt.date | None = None
    licence_start: dt.date | None = None
    licence_end: dt.date | None = None
    report_every_months: Literal[1, 3, 6, 12] | None = None


class TransferDecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["negotiate", "contract", "reject"]
    note: Text(3000) = ""
    terms: TermsIn | None = None


class ExchangeOut(Schema):
    id: int
    requester: InstituteOut
    direction: str
    field: str
    institute: InstituteOut | None
    expert_id: int | None
    start_date: dt.date
    end_date: dt.date
    period_class: str
    purpose: str
    status: str
    decision_note: str
    submitted_at: dt.datetime
    desk_case_number: str | None = Field(None, description="이 신청이 나온 상담 건의 접수번호")

    @staticmethod
    def resolve_desk_case_number(obj: Any) -> str | None:
        return _desk_case_number(obj)


class ExchangePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ExchangeOut]


class ExchangeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    requester_id: int = Field(..., ge=1, le=2**63 - 1)
    direction: DirectionValue
    field: Text(200) = ""
    institute_id: int | None = Field(None, ge=1, le=2**63 - 1)
    expert_id: int | None = Field(None, ge=1, le=2**63 - 1)
    start_date: dt.date
    end_date: dt.date
    purpose: Text(3000)
    desk_case_number: Text(16) = Field("", description="상담 건에서 신청할 때 그 접수번호")


class ExchangeDecisionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["agree", "decline"]
    expert_id: int | None = Field(None, ge=1, le=2**63 - 1)
    note: Text(300) = ""


# --- statistics --------------------------------------------------------------------------------


class RateOut(Schema):
    institute_id: int | None
    name: str
    total: int
    commercialised: int
    dormant: int
    rate: float


class UtilisationOut(Schema):
    equipment_id: int
    name: str
    institute: str
    booked_hours: float
    available_hours: float
    rate: float


class StatisticsOut(Schema):
    commercialisation: list[RateOut]
    commercialisation_overall: RateOut
    dormant_patents: int
    utilisation_start: dt.date
    utilisation_end: dt.date
    utilisation: list[UtilisationOut]
    utilisation_overall: UtilisationOut
    transfer_pipeline: dict[str, int]


class StatisticsFilters(Schema):
    start: dt.date | None = Field(None, description="장비 가동률 기간 시작 (기본: 30일 전)")
    end: dt.date | None = Field(None, description="장비 가동률 기간 끝 (포함하지 않음)")
