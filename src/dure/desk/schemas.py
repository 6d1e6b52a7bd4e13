"""Schemas of the desk API (``dure.desk.api``): what a client sends and what it gets back.

Inputs refuse unknown fields (``extra="forbid"``) and text no database can store; limits are
the models' (a description of 1–10,000 characters is checked by the service, which says how
long the text was). Outputs never carry more than the caller may see: the API fills the
personal fields (``contact``, ``business_number``), staff names, internal notes and event
details only for the people entitled to them and leaves them ``null`` otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, StringConstraints, field_validator

from dure.api.schemas import Text, _storable
from dure.routing.api import RankingItemOut

from .models import (
    DESCRIPTION_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    Category,
    Channel,
    CompanySize,
    Outcome,
    Priority,
    Status,
)

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 100
ID_MAX = 2_147_483_647  # ids beyond this do not exist (and stay inside every backend's range)

# The model's choices as plain string enums in the schema (a TextChoices class would become a
# component named after the class, and several are called "Status").
StatusValue = Literal[*Status.values]  # type: ignore[valid-type]
CategoryValue = Literal[*Category.values]  # type: ignore[valid-type]
ChannelValue = Literal[*Channel.values]  # type: ignore[valid-type]
CompanySizeValue = Literal[*CompanySize.values]  # type: ignore[valid-type]
PriorityValue = Literal[*Priority.values]  # type: ignore[valid-type]
OutcomeValue = Literal[*Outcome.values]  # type: ignore[valid-type]


def LongText(max_length: int) -> Any:
    """Trimmed, storable text whose length the service checks (so that the error names the
    limit and the length sent); ``maxLength`` is documented in the schema all the same."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True),
        AfterValidator(_storable),
        Field(json_schema_extra={"minLength": 1, "maxLength": max_length}),
    ]


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


# --- Intake ------------------------------------------------------------------------------------


class CaseSubmitIn(Input):
    """A new case. ``channel`` and ``receiving_centre_id`` are for centre staff taking a call
    or a visit (anyone else sending them gets 403)."""

    company_name: Text(100) = Field(..., description="기업명", examples=["한빛정밀"])
    business_number: Text(12) | None = Field(
        None, description="사업자등록번호 (하이픈은 있어도 됩니다: 123-45-67890)"
    )
    sido: Text(2) | None = Field(None, description="시도 코드 (2자리, /reference/sido)")
    sigungu: Text(5) | None = Field(None, description="시군구 코드 (5자리)")
    industry: Text(5) | None = Field(None, description="업종: 표준산업분류(KSIC) 코드")
    company_size: CompanySizeValue | None = None
    organisation_id: int | None = Field(
        None, ge=1, le=ID_MAX, description="디렉터리의 기관 (자기 기관 또는 운영진만)"
    )
    contact_name: Text(60) = Field(..., description="담당자 이름")
    contact_phone: Text(30) | None = Field(None, description="연락처 (010-1234-5678)")
    contact_email: Text(254) | None = Field(
        None, description="이메일: 진행 상황 조회 링크를 받을 주소 (웹·API 접수에 필수)"
    )
    title: Text(120) | None = Field(None, description="제목 (없으면 내용의 첫 줄)")
    description: LongText(DESCRIPTION_MAX_LENGTH) = Field(
        ...,
        description="애로 내용 (1~10,000자)",
        examples=["찍어낸 플라스틱 케이스 겉면에 물결무늬가 남아요. 원인을 알고 싶습니다."],
    )
    desired_support: list[CategoryValue] = Field(
        default_factory=list, max_length=len(Category.values), description="희망 지원"
    )
    privacy_consent: bool = Field(..., description="개인정보 수집·이용 동의 (true여야 접수됩니다)")
    channel: ChannelValue | None = Field(
        None, description="접수 경로 (센터 직원의 전화·방문 접수; 기본은 api)"
    )
    receiving_centre_id: int | None = Field(
        None, ge=1, le=ID_MAX, description="접수 센터 (센터 직원만)"
    )

    _blank = field_validator(
        "business_number", "sido", "sigungu", "industry", "company_size", mode="before"
    )(_empty_is_none)


class CaseReceiptOut(Schema):
    """The receipt: the case number and the requester's no-login status link."""

    number: str = Field(..., description="접수번호 (예: 2026-000123)")
    status: str
    status_label: str
    channel: str
    title: str
    received_at: dt.datetime
    status_token: str = Field(
        ..., description="조회 링크 토큰: /api/v1/desk/status/{token} (로그인 없이 진행 상황 조회)"
    )
    status_url: str = Field(..., description="요청자에게 메일로 보내는 조회 페이지 주소")
    url: str = Field(..., description="이 건의 API 주소 (로그인한 요청자·담당자용)")


# --- Lists and details -------------------------------------------------------------------------


class CaseFilters(Schema):
    status: StatusValue | None = None
    category: CategoryValue | None = None
    channel: ChannelValue | None = None
    overdue: bool = Field(False, description="true: 기한을 넘긴 처리 중인 건만")
    mine: bool = Field(False, description="true: 내가 담당·협업하거나 내 팀의 건, 내가 요청한 건만")
    q: Text(100) = Field("", description="접수번호, 제목 또는 기업명")
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)

    _blank = field_validator("status", "category", "channel", mode="before")(_empty_is_none)


class SlaOut(Schema):
    first_response: str = Field(
        ..., description="met | breached | due_soon | on_track | paused | none"
    )
    first_response_due_at: dt.datetime | None
    resolution: str
    resolution_due_at: dt.datetime | None
    overdue: bool


class CaseSummaryOut(Schema):
    number: str
    title: str
    status: str
    status_label: str
    category: str = Field(..., description="분류 (분류 전에는 빈 문자열)")
    priority: str
    channel: str
    received_at: dt.datetime
    company_name: str
    receiving_centre: str | None = Field(None, description="접수 센터 이름")
    lead_institute: str | None = Field(None, description="주관 연구기관 약칭")
    team: str | None = Field(None, description="전담팀 (담당 쪽에게만)")
    assignee: str | None = Field(None, description="담당 연구원 (담당 쪽에게만)")
    sla: SlaOut


class CasePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[CaseSummaryOut]


class ContactOut(Schema):
    name: str
    phone: str
    email: str


class AttachmentOut(Schema):
    id: int
    name: str
    kind: str = Field(..., description="내용으로 확인한 형식: pdf, hwp, hwpx, docx, xlsx, jpg, png")
    size: int
    is_internal: bool
    created_at: dt.datetime


class ResolutionOut(Schema):
    round: int
    outcome: str
    outcome_label: str
    summary: str
    reason: str
    follow_up_url: str
    follow_up_reference: str
    resolved_at: dt.datetime
    business_days: float = Field(..., description="처리 기간 (영업일, 요청자 대기 제외)")
    met_target: bool
    survey_rating: int | None = None


class CollaboratorOut(Schema):
    name: str
    institute: str | None


class CaseOut(CaseSummaryOut):
    """One case as the caller may see it: ``contact`` and ``business_number`` only for the
    people entitled to the requester's personal data (the centre, the lead institute, the
    assignee and team, the requester), ``null`` for everyone else."""

    description: str
    desired_support: list[str]
    company_size: str
    sido: str | None = Field(None, description="시도 코드")
    sigungu: str | None = None
    industry: str | None = Field(None, description="KSIC 코드")
    business_number: str | None = None
    contact: ContactOut | None = None
    collaborating_institutes: list[str]
    collaborators: list[CollaboratorOut] | None = Field(None, description="담당 쪽에게만")
    outcome: str
    resolutions: list[ResolutionOut]
    attachments: list[AttachmentOut] = Field(..., description="접수 때 올린 첨부 파일")
    moves: list[str] = Field(..., description="지금 이 사람이 할 수 있는 상태 변경")
    can_post: bool
    can_post_internal: bool
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None


class MessageOut(Schema):
    id: int
    author_kind: str = Field(
        ..., description="requester | centre | institute | collaborator | admin"
    )
    author: str | None = Field(None, description="작성자 이름 (담당 쪽에게만)")
    via_status_link: bool
    body: str
    is_internal: bool
    created_at: dt.datetime
    attachments: list[AttachmentOut]


class EventOut(Schema):
    kind: str
    label: str
    at: dt.datetime
    from_status: str
    to_status: str
    actor: str | None = Field(None, description="처리한 사람 (담당 쪽에게만)")
    is_internal: bool
    data: dict[str, Any] | None = Field(None, description="세부 내용 (담당 쪽에게만)")


class TechbankMatchOut(Schema):
    kind: str = Field(
        ..., description="technology, equipment, lab 또는 expert (전문가는 볼 수 있는 사람에게만)"
    )
    object_id: int
    title: str
    score: float


class RecommendationOut(Schema):
    ranking: list[RankingItemOut]
    techbank: list[TechbankMatchOut] = Field(
        default_factory=list, description="기술은행에서 찾은 관련 기술·장비·연구실·전문가"
    )


# --- Messages and workflow moves ----------------------------------------------------------------


class MessageIn(Input):
    body: LongText(MESSAGE_MAX_LENGTH) = Field(..., description="내용 (1~10,000자)")
    is_internal: bool = Field(False, description="내부 메모: 요청자에게 보이지 않음 (담당 쪽만)")


class StatusMessageIn(Input):
    body: LongText(MESSAGE_MAX_LENGTH) = Field(..., description="내용 (1~10,000자)")


class TriageIn(Input):
    category: CategoryValue
    lead_institute: Text(20) = Field(
        ..., min_length=1, description="주관 연구기관: 약칭 (예: KITECH) 또는 id"
    )
    priority: PriorityValue = Priority.NORMAL.value
    sido: Text(2) | None = Field(None, description="지역 (시도 코드)")
    collaborating_institutes: list[Text(20)] = Field(
        default_factory=list, max_length=20, description="협력 연구기관 (약칭 또는 id, 10곳까지)"
    )
    recommended: list[Text(20)] | None = Field(
        None,
        max_length=10,
        description="담당자에게 보여 준 추천 순위 (약칭, 좋은 순). 없으면 서버가 다시 계산합니다.",
    )
    note: Text(2000) = ""

    _blank = field_validator("sido", mode="before")(_empty_is_none)


class AssignIn(Input):
    team_id: int | None = Field(None, ge=1, le=ID_MAX, description="주관 연구기관의 팀")
    assignee_id: int | None = Field(None, ge=1, le=ID_MAX, description="담당 연구원 (사용자 id)")
    remember: bool = Field(True, description="이 팀을 이 기업의 전담팀으로 기억 (1기업 1전담팀)")
    note: Text(2000) = ""


class CollaboratorIn(Input):
    user_id: int = Field(
        ..., ge=1, le=ID_MAX, description="연구기관·센터의 직원·연구원 (사용자 id)"
    )
    note: Text(100) = Field("", description="역할 메모")


class WaitIn(Input):
    message: Text(MESSAGE_MAX_LENGTH) = Field(
        "", description="요청자에게 보낼 메시지 (무엇이 필요한지)"
    )


class ResolveIn(Input):
    outcome: OutcomeValue
    summary: Text(5000) = ""
    reason: Text(2000) = Field("", description="해결 불가 사유 (outcome=unsolvable이면 필수)")
    follow_up_url: Text(300) = Field("", description="후속 연계 링크 (http/https)")
    follow_up_reference: Text(100) = ""


class ReasonIn(Input):
    reason: Text(2000) = ""


class SurveyIn(Input):
    rating: int = Field(..., ge=1, le=5, description="만족도 1~5")
    comment: Text(2000) = ""


# --- The status link ---------------------------------------------------------------------------


class TimelineItemOut(Schema):
    at: dt.datetime
    kind: str
    label: str


class PublicMessageOut(Schema):
    author_kind: str = Field(
        ..., description="requester | centre | institute | collaborator | admin"
    )
    body: str
    created_at: dt.datetime
    attachments: list[AttachmentOut]


class PublicResolutionOut(Schema):
    outcome: str
    outcome_label: str
    summary: str
    reason: str
    follow_up_url: str
    resolved_at: dt.datetime


class StatusOut(Schema):
    """What the requester sees through the status link: no internal notes, no staff names."""

    number: str
    title: str
    status: str
    status_label: str
    category: str
    received_at: dt.datetime
    lead_institute: str | None
    timeline: list[TimelineItemOut]
    messages: list[PublicMessageOut]
    attachments: list[AttachmentOut]
    resolution: PublicResolutionOut | None
    survey_open: bool
    can_reply: bool
    can_reopen: bool


class SurveyOut(Schema):
    rating: int
    comment: str
    answered_at: dt.datetime


# --- Dashboards --------------------------------------------------------------------------------


class Period(Schema):
    since: dt.date | None = Field(None, description="접수일 (한국 시간) 시작, 포함")
    until: dt.date | None = Field(None, description="접수일 끝, 포함")


class ExportFilters(Period):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(100, ge=1, le=1000)


class CountOut(Schema):
    key: str
    label: str
    count: int


class SlaBlockOut(Schema):
    met: int
    breached: int
    pending: int
    rate: float | None


class SlaComplianceOut(Schema):
    first_response: SlaBlockOut
    resolution: SlaBlockOut


class BucketOut(Schema):
    label: str
    count: int


class ResolutionTimeOut(Schema):
    buckets: list[BucketOut]
    count: int
    mean: float | None
    median: float | None


class RatingCountOut(Schema):
    rating: int
    count: int


class SatisfactionOut(Schema):
    count: int
    average: float | None
    distribution: list[RatingCountOut]


class InstitutePerformanceOut(Schema):
    acronym: str
    name: str
    cases: int
    open: int
    resolved: int
    on_time: int
    on_time_rate: float | None
    first_response_met: int
    avg_business_days: float | None
    surveys: int
    avg_satisfaction: float | None


class StatsOut(Schema):
    since: dt.date | None
    until: dt.date | None
    total: int
    counts: dict[str, list[CountOut]] = Field(
        ..., description="category, channel, status, outcome, sido, institute, centre별 건수"
    )
    sla: SlaComplianceOut
    resolution_time: ResolutionTimeOut
    satisfaction: SatisfactionOut
    institutes: list[InstitutePerformanceOut]


class ExportRowOut(Schema):
    """One case for institutes' evaluation: no names, contacts, business numbers, company
    names or free text."""

    number: str
    received_date: str
    channel: str
    category: str
    priority: str
    sido: str
    industry: str
    company_size: str
    receiving_centre: str
    lead_institute: str
    collaborating_institutes: str
    status: str
    outcome: str
    first_response_met: bool | None
    resolution_met: bool | None
    business_days_to_resolution: float | None
    satisfaction: int | None


class ExportPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ExportRowOut]
