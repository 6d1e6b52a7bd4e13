"""Schemas of the portal API (notices and success stories). The fields are checked here only
for their type and for what a database can store; the rules (required text, the support year,
the ranges of the figures) are the service's, which answers in Korean with a stable code."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, field_validator

from dure.api.schemas import Text

from .models import Notice, NoticeCategory, Story, SupportKind

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 100
MAX_ID = 2**63 - 1
# Beyond these a number is not a figure the service could accept (and not a 64-bit integer).
MAX_FIGURE = 10**15

NoticeCategoryValue = Literal[*NoticeCategory.values]  # type: ignore[valid-type]
NoticeStatusValue = Literal[*Notice.Status.values]  # type: ignore[valid-type]
SupportKindValue = Literal[*SupportKind.values]  # type: ignore[valid-type]
StoryStatusValue = Literal[*Story.Status.values]  # type: ignore[valid-type]


def _empty_is_none(value: Any) -> Any:
    return None if value == "" else value


class _Filters(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class NamedOut(Schema):
    id: int
    name: str


# --- notices -----------------------------------------------------------------------------------


class NoticeOut(Schema):
    id: int
    publisher: NamedOut
    category: str = Field(..., description="notice (공지) · recruitment (모집) · result · press")
    title: str
    body: str
    pinned: bool
    status: str = Field(..., description="draft (작성 중) · published (게시 중) · archived")
    published_at: dt.datetime | None
    updated_at: dt.datetime


class NoticeDetailOut(NoticeOut):
    can_manage: bool = Field(..., description="이 공지를 고치고 게시·종료할 수 있는지")


class NoticePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[NoticeOut]


class NoticeFilters(_Filters):
    category: NoticeCategoryValue | None = None
    q: Text(100) | None = Field(None, description="제목·내용에 모든 낱말이 들어간 공지")
    status: NoticeStatusValue | None = Field(
        None, description="상태 (게시 중이 아닌 공지는 게시 기관 담당자만 봅니다)"
    )

    _blank = field_validator("category", "q", "status", mode="before")(_empty_is_none)


class NoticeUpdateIn(Schema):
    """Only the fields sent change. ``category`` and ``pinned`` may be left out but not sent as
    ``null`` (their types admit no null: the default is only what "not sent" reads as)."""

    model_config = ConfigDict(extra="forbid")

    category: NoticeCategoryValue = None  # type: ignore[assignment]
    title: Text(150) | None = None
    body: Text(10_000) | None = None
    pinned: bool = None  # type: ignore[assignment]


class NoticeCreateIn(NoticeUpdateIn):
    publisher_id: int = Field(..., ge=1, le=MAX_ID, description="게시 기관 (호출한 사람의 센터)")
    title: Text(150)
    body: Text(10_000)


# --- stories -----------------------------------------------------------------------------------


class StoryOut(Schema):
    id: int
    centre: NamedOut = Field(..., description="작성한 지원센터")
    subject: NamedOut = Field(..., description="사례의 협동조합·중소기업")
    support_kind: str
    year: int = Field(..., description="지원 연도")
    title: str
    summary: str
    body: str
    jobs_created: int | None = Field(None, description="늘어난 일자리 (명)")
    sales_increase: int | None = Field(None, description="늘어난 연 매출 (원)")
    status: str = Field(
        ...,
        description="draft · awaiting (동의 요청 중) · approved (동의 받음) · published · "
        "declined (거절) · withdrawn (동의 철회)",
    )
    published_at: dt.datetime | None
    updated_at: dt.datetime


class StoryEventOut(Schema):
    from_status: str | None
    to_status: str
    note: str
    at: dt.datetime


class ConsentOut(Schema):
    method: str = Field(..., description="platform (대표자가 플랫폼에서) · written (서면)")
    at: dt.datetime
    note: str


class StoryDetailOut(StoryOut):
    can_manage: bool = Field(..., description="작성 기관 담당자인지 (고치기, 동의 요청, 게시)")
    represents: bool = Field(..., description="사례 기관을 대표하는지 (동의, 거절, 철회)")
    consent: ConsentOut | None = Field(
        None, description="게시 동의 (작성 기관 담당자와 사례 기관 대표자에게만)"
    )
    history: list[StoryEventOut] = Field(
        ...,
        description="상태 기록 (작성 기관 담당자와 사례 기관 대표자에게만; 다른 사람은 빈 목록)",
    )


class StoryPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[StoryOut]


class StoryFilters(_Filters):
    support_kind: SupportKindValue | None = None
    sido: Text(2) | None = Field(None, description="사례 기관의 시도 코드")
    q: Text(100) | None = Field(None, description="제목·요약·내용·기관명에 모든 낱말이 들어간 사례")

    _blank = field_validator("support_kind", "sido", "q", mode="before")(_empty_is_none)


class ManagedStoryFilters(_Filters):
    status: StoryStatusValue | None = None

    _blank = field_validator("status", mode="before")(_empty_is_none)


class StoryUpdateIn(Schema):
    """Only the fields sent change; ``null`` clears the figures. A change of a story that was
    sent for consent takes it back to a draft."""

    model_config = ConfigDict(extra="forbid")

    subject_id: int | None = Field(None, ge=1, le=MAX_ID)
    support_kind: SupportKindValue | None = None
    year: int | None = Field(None, ge=-MAX_FIGURE, le=MAX_FIGURE, description="지원 연도")
    title: Text(150) | None = None
    summary: Text(300) | None = None
    body: Text(10_000) | None = None
    jobs_created: int | None = Field(None, ge=-MAX_FIGURE, le=MAX_FIGURE)
    sales_increase: int | None = Field(None, ge=-MAX_FIGURE, le=MAX_FIGURE)


class StoryCreateIn(StoryUpdateIn):
    centre_id: int = Field(..., ge=1, le=MAX_ID, description="작성 기관 (호출한 사람의 센터)")
    subject_id: int = Field(..., ge=1, le=MAX_ID, description="사례의 협동조합·중소기업")
    support_kind: SupportKindValue
    year: int = Field(..., ge=-MAX_FIGURE, le=MAX_FIGURE, description="지원 연도")
    title: Text(150)
    summary: Text(300)
    body: Text(10_000)


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Text(300) = Field("", description="사유 (선택)")


class WrittenConsentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    note: Text(300) = Field(..., description="서면 동의 내용 (누가 언제 어떤 동의서에 서명했는지)")
