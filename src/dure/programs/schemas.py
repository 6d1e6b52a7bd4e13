"""Schemas of the programmes API. The fields a centre fills in are checked here only for their
type and for what a database can store; the rules (required fields, order of the dates, a
venue or online, ranges of capacity and fee) are the service's, which answers in Korean with a
stable code. Registrants' personal data appears only in ``RegistrantOut``, for the people who
run the programme."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from dure.api.schemas import Text

from .models import Program, ProgramKind, Registration
from .services import MAX_CAPACITY, MAX_FEE

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 100
MAX_ID = 2**63 - 1
# A year that survives conversion to UTC and back to any time zone (year 1 at +09:00 is year 0
# in UTC, which Python cannot represent).
FIRST_YEAR, LAST_YEAR = 1900, 2999

ProgramKindValue = Literal[*ProgramKind.values]  # type: ignore[valid-type]
ProgramStatusValue = Literal[*Program.Status.values]  # type: ignore[valid-type]
RegistrationStatusValue = Literal[*Registration.Status.values]  # type: ignore[valid-type]
WhenValue = Literal["upcoming", "past"]

DATETIME_HELP = "시간대 포함 (예: 2026-12-01T10:00:00+09:00). 시간대가 없으면 거절됩니다."


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


def _storable_datetime(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise PydanticCustomError(
            "datetime_out_of_range",
            "year must be between {first} and {last}",
            {"first": FIRST_YEAR, "last": LAST_YEAR},
        )
    return value


class _Filters(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


# --- programmes --------------------------------------------------------------------------------


class HostOut(Schema):
    id: int
    name: str


class ProgramOut(Schema):
    id: int
    host: HostOut
    kind: str
    title: str
    summary: str
    description: str
    audience: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    registration_closes_at: dt.datetime
    is_online: bool
    venue: str
    sido: str | None = Field(None, alias="sido_id", description="시도 코드 (2자리)")
    capacity: int | None = Field(None, description="정원 (null: 인원 제한 없음)")
    seats_left: int | None = Field(None, description="남은 자리 (null: 인원 제한 없음)")
    fee: int = Field(..., description="참가비 (원)")
    status: str = Field(..., description="draft (준비 중) · published (모집 공개) · cancelled")
    cancel_reason: str


class MyRegistrationOut(Schema):
    id: int
    status: str
    waitlist_position: int | None = Field(None, description="대기 순번 (1부터; 대기가 아니면 null)")
    created_at: dt.datetime


class ProgramDetailOut(ProgramOut):
    can_manage: bool = Field(
        ..., description="이 교육·행사를 운영(수정·공개·취소·명단)할 수 있는지"
    )
    my_registration: MyRegistrationOut | None = Field(
        None, description="호출한 사람의 신청 (진행 중인 신청, 없으면 마지막으로 취소한 신청)"
    )


class ProgramPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ProgramOut]


class ProgramFilters(_Filters):
    kind: ProgramKindValue | None = None
    sido: Text(2) | None = Field(None, description="시도 코드")
    when: WhenValue | None = Field(
        None, description="upcoming (기본): 끝나지 않은 것, 가까운 순 · past: 끝난 것, 최근 순"
    )

    _blank = field_validator("kind", "sido", "when", mode="before")(_empty_is_none)


class ProgramUpdateIn(Schema):
    """Only the fields sent change; ``null`` clears ``registration_closes_at`` (then
    registration closes when the programme starts), ``sido`` and ``capacity`` (no limit)."""

    model_config = ConfigDict(extra="forbid")

    kind: ProgramKindValue | None = None
    title: Text(150) | None = None
    summary: Text(300) | None = None
    description: Text(5000) | None = None
    audience: Text(200) | None = None
    starts_at: dt.datetime | None = Field(None, description=DATETIME_HELP)
    ends_at: dt.datetime | None = Field(None, description=DATETIME_HELP)
    registration_closes_at: dt.datetime | None = Field(
        None, description="신청 마감 일시 (비우면 시작 일시에 마감). " + DATETIME_HELP
    )
    is_online: bool | None = None
    venue: Text(200) | None = Field(None, description="장소 (온라인이 아니면 필수)")
    sido: Text(2) | None = Field(None, description="시도 코드")
    # The ranges are the service's (``out_of_range``, in Korean), not repeated here.
    capacity: int | None = Field(
        None, description=f"정원 (1–{MAX_CAPACITY:,}명; null: 인원 제한 없음)"
    )
    fee: int | None = Field(None, description=f"참가비 (0–{MAX_FEE:,}원)")

    _dates = field_validator("starts_at", "ends_at", "registration_closes_at")(_storable_datetime)


class ProgramCreateIn(ProgramUpdateIn):
    host_id: int = Field(
        ..., ge=1, le=MAX_ID, description="주최 기관 (호출한 사람이 운영하는 센터)"
    )
    kind: ProgramKindValue
    title: Text(150)
    summary: Text(300)
    starts_at: dt.datetime = Field(..., description=DATETIME_HELP)
    ends_at: dt.datetime = Field(..., description=DATETIME_HELP)


class ProgramCancelIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(300) = Field(..., description="취소 사유 (신청자에게 알립니다)")


# --- registrations -----------------------------------------------------------------------------


class ProgramBriefOut(Schema):
    id: int
    title: str
    host: HostOut
    starts_at: dt.datetime
    ends_at: dt.datetime
    is_online: bool
    venue: str
    status: str


class OrganisationOut(Schema):
    id: int
    name: str


class RegistrationOut(Schema):
    id: int
    program: ProgramBriefOut
    status: str = Field(..., description="confirmed (확정) · waitlisted (대기) · cancelled (취소)")
    waitlist_position: int | None = Field(None, description="대기 순번 (1부터; 대기가 아니면 null)")
    organisation: OrganisationOut | None = Field(None, description="소속 기관으로 신청했을 때")
    note: str = Field(..., description="요청 사항 (주최 기관 담당자만 봅니다)")
    attended: bool
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    cancelled_at: dt.datetime | None


class RegistrationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[RegistrationOut]


class RegistrationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    organisation_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="소속 기관으로 신청할 때 (호출한 사람이 속한 기관)"
    )
    note: Text(300) = Field("", description="요청 사항 (예: 휠체어 접근, 수어 통역 필요)")


class RegistrationFilters(_Filters):
    status: RegistrationStatusValue | None = None

    _blank = field_validator("status", mode="before")(_empty_is_none)


class RegistrantOut(Schema):
    """A registrant with personal data: for the programme's managers only (access is logged)."""

    id: int
    person_id: int
    name: str
    email: str
    phone: str
    organisation: OrganisationOut | None
    note: str
    status: str
    waitlist_position: int | None = None
    attended: bool
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    cancelled_at: dt.datetime | None


class StatusCountsOut(Schema):
    confirmed: int
    waitlisted: int
    cancelled: int
    attended: int


class RegistrantPage(Schema):
    count: int
    page: int
    page_size: int
    counts: StatusCountsOut = Field(..., description="상태별 신청 수와 참석 수 (전체)")
    results: list[RegistrantOut]


class AttendanceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    attended: list[int] = Field(
        ...,
        max_length=MAX_CAPACITY,
        description="참석한 확정 신청의 번호. 목록에 없는 확정 신청은 불참으로 기록됩니다.",
    )


class AttendanceOut(Schema):
    changed: int = Field(..., description="참석 여부가 바뀐 신청 수")
    counts: StatusCountsOut
