"""Schemas of the founding consultations API. The input is checked here only for its type and
for what a database can store; the rules (required text, the phone number's shape, the number
of founders, the allowed steps between stages, the dates of a session …) are the service's,
which answers in Korean with a stable code. The applicant's contact details and the sessions'
internal notes appear only in ``ConsultationDetailOut``, and only for the people allowed them."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from dure.api.schemas import Text

from .models import FOUNDABLE_KINDS, Session, Stage, Topic
from .services import MAX_FOUNDERS

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 100
MAX_ID = 2**63 - 1

StageValue = Literal[*Stage.values]  # type: ignore[valid-type]
KindValue = Literal[*(k.value for k in FOUNDABLE_KINDS)]  # type: ignore[valid-type]
ModeValue = Literal[*Session.Mode.values]  # type: ignore[valid-type]
TopicValue = Literal[*Topic.values]  # type: ignore[valid-type]

STAGE_HELP = (
    "received (접수) · consulting (상담 중) · preparing (설립 준비) · assembly (창립총회) · "
    "filing (신고·인가 신청) · founded (설립 완료) · withdrawn (중단)"
)


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


class _Filters(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


# --- consultations -----------------------------------------------------------------------------


class OrganisationOut(Schema):
    id: int
    name: str


class PersonOut(Schema):
    id: int
    name: str


class ConsultationOut(Schema):
    id: int
    centre: OrganisationOut = Field(..., description="상담하는 지원센터")
    proposed_name: str = Field(..., description="설립하려는 협동조합 이름")
    kind: str
    sido: str | None = Field(None, description="시도 코드 (2자리)")
    business: str = Field(..., description="하려는 사업")
    founders: int = Field(..., description="모인 발기인 수")
    stage: str = Field(..., description=STAGE_HELP)
    is_open: bool = Field(..., description="진행 중인지 (설립 완료·중단이 아니면 true)")
    consultant: PersonOut | None = Field(None, description="담당 상담사 (null: 미배정)")
    organisation: OrganisationOut | None = Field(
        None, description="설립된 협동조합 (설립 완료일 때)"
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class ConsultationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ConsultationOut]


class ConsultationFilters(_Filters):
    stage: StageValue | None = Field(None, description=STAGE_HELP)

    _blank = field_validator("stage", mode="before")(_empty_is_none)


class SessionOut(Schema):
    id: int
    held_on: dt.date
    mode: str = Field(..., description="visit (방문) · phone (전화) · online (온라인)")
    topics: list[str]
    summary: str = Field(..., description="상담 내용 (신청자도 봅니다)")
    next_steps: str = Field(..., description="다음 할 일 (신청자도 봅니다)")
    internal_note: str | None = Field(
        None, description="내부 메모: 지원센터 직원과 운영진만 봅니다 (다른 사람에게는 null)"
    )
    counsellor: PersonOut | None
    created_at: dt.datetime


class StageEventOut(Schema):
    from_stage: str | None = Field(None, description="이전 단계 (신청 때는 null)")
    to_stage: str
    note: str
    at: dt.datetime


class ConsultationDetailOut(ConsultationOut):
    can_manage: bool = Field(
        ..., description="이 상담을 맡아 할 수 있는지 (상담 기록, 단계, 담당 상담사)"
    )
    is_applicant: bool = Field(..., description="호출한 사람이 신청자인지")
    next_stages: list[str] = Field(
        ..., description="옮길 수 있는 단계 (상담을 맡은 사람에게만; 다른 사람에게는 빈 목록)"
    )
    contact_name: str | None = Field(
        None,
        description="신청자 이름 — 개인정보: 신청자 본인과 상담을 맡은 사람만 보며, 지원센터 "
        "직원·운영진이 열람하면 기록됩니다",
    )
    contact_phone: str | None = Field(None, description="신청자 연락처 (contact_name과 같음)")
    applicant_email: str | None = Field(None, description="신청자 이메일 (contact_name과 같음)")
    sessions: list[SessionOut] = Field(..., description="상담 기록 (상담일 순)")
    events: list[StageEventOut] = Field(..., description="단계가 바뀐 기록 (시간 순)")


class ConsultationCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    centre_id: int = Field(..., ge=1, le=MAX_ID, description="상담받을 지원센터 (기관 번호)")
    contact_name: Text(50) = Field(..., description="신청자 이름")
    contact_phone: Text(30) = Field(
        "", description="연락처 (선택; 담당 지원센터만 봅니다). 예: 010-1234-5678"
    )
    proposed_name: Text(100) = Field(..., description="설립하려는 협동조합 이름")
    kind: KindValue
    sido: Text(2) | None = Field(None, description="시도 코드")
    business: Text(3000) = Field(..., description="하려는 사업")
    # The range is the service's (``out_of_range``, in Korean), not repeated here.
    founders: int = Field(1, description=f"지금 모인 발기인 수 (1–{MAX_FOUNDERS:,}명)")

    _blank = field_validator("sido", mode="before")(_empty_is_none)


class SessionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    held_on: dt.date = Field(..., description="상담일 (YYYY-MM-DD; 신청일부터 오늘까지)")
    mode: ModeValue
    topics: list[TopicValue] = Field(..., description="상담 주제 (하나 이상)")
    summary: Text(2000) = Field(..., description="상담 내용 (신청자도 봅니다)")
    next_steps: Text(500) = Field("", description="다음 할 일 (신청자도 봅니다)")
    internal_note: Text(2000) = Field("", description="내부 메모 (지원센터 직원만 봅니다)")


class MoveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    stage: StageValue = Field(..., description="옮길 단계. " + STAGE_HELP)
    note: Text(300) = Field("", description="메모 (신청자도 봅니다)")
    founders: int | None = Field(
        None,
        description="발기인 수를 함께 고칠 때. 창립총회(assembly)로 옮기려면 5명 이상이어야 "
        "합니다 (협동조합 기본법 제15조)",
    )
    organisation_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="설립된 협동조합 (설립 완료(founded)로 옮길 때 필수; 기관 디렉터리의 협동조합)",
    )


class AssignIn(Schema):
    model_config = ConfigDict(extra="forbid")

    consultant_id: int | None = Field(
        ..., ge=1, le=MAX_ID, description="담당 상담사 (지원센터의 직원; null: 배정 취소)"
    )


class WithdrawIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: Text(300) = Field("", description="그만두는 이유 (선택)")
