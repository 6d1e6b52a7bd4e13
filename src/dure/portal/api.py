"""Portal API (/api/v1/portal): the support centres' notices and the success stories of the
organisations they helped, with the organisations' consent. Thin, like the pages: parse
(pydantic) → access helper / selector / service → schema, with the pages' permissions.

Published notices and stories are public. A notice or story the caller may not see is a 404
(whether it exists or not); one they may see but not act on (someone else's notice, publishing a
story one only represents, consenting to a story about an organisation one does not represent)
a 403; a write without credentials a 401; what the service refuses (a step the story's status
does not allow, a support year in the future …) a 422 with its Korean message and a stable code.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status

from dure.api.auth import OPTIONAL_AUTH_OPENAPI, READ_AUTH, WRITE_AUTH
from dure.api.errors import call_service
from dure.api.schemas import error_responses
from dure.directory.models import Sido

from . import access, selectors, services
from .models import Notice, Story
from .schemas import (
    ManagedStoryFilters,
    NoticeCreateIn,
    NoticeDetailOut,
    NoticeFilters,
    NoticePage,
    NoticeUpdateIn,
    ReasonIn,
    StoryCreateIn,
    StoryDetailOut,
    StoryFilters,
    StoryOut,
    StoryPage,
    StoryUpdateIn,
    WrittenConsentIn,
)

router = Router(tags=["portal"])

READ = {"auth": READ_AUTH, "openapi_extra": OPTIONAL_AUTH_OPENAPI}
WRITE = {"auth": WRITE_AUTH}
# Service field → API field, for error messages.
SERVICE_TO_API = {"publisher": "publisher_id", "centre": "centre_id", "subject": "subject_id"}


def _call(fn: Any, **kwargs: Any) -> Any:
    return call_service(fn, SERVICE_TO_API, **kwargs)


def _slice(paginator: Any, filters: Any) -> dict[str, Any]:
    """The selector's ordered rows, paged with the API's own page size."""
    offset = (filters.page - 1) * filters.page_size
    return {
        "count": paginator.count,
        "page": filters.page,
        "page_size": filters.page_size,
        "results": list(paginator.object_list[offset : offset + filters.page_size]),
    }


# --- notices -----------------------------------------------------------------------------------


def _notice(user: Any, id: int) -> Notice:
    notice = access.access_notice(user=user, notice_id=id)
    notice.can_manage = access.can_manage_notice(user, notice)  # type: ignore[attr-defined]
    return notice


def _managed_notice(user: Any, id: int) -> Notice:
    notice = _notice(user, id)
    if not notice.can_manage:  # type: ignore[attr-defined]
        raise PermissionDenied
    return notice


@router.get("/notices", response={200: NoticePage, **error_responses(401, 422)}, **READ)
def list_notices(request: HttpRequest, filters: Query[NoticeFilters]) -> dict:
    """공지사항 (고정한 공지 먼저, 그다음 최근 게시 순). 게시 중이 아닌 공지는 게시 기관 담당자만
    봅니다."""
    page = selectors.notice_list(
        user=request.user,
        category=filters.category or "",
        q=filters.q or "",
        status=filters.status or "",
    )
    return _slice(page.paginator, filters)


@router.post(
    "/notices", response={201: NoticeDetailOut, **error_responses(400, 401, 403, 422)}, **WRITE
)
def create_notice(request: HttpRequest, payload: NoticeCreateIn) -> Status:
    """공지 쓰기 (지원센터 담당자, 운영진): 작성 중(draft)으로 만들어지며, 게시해야 모두가 봅니다."""
    if not access.can_write(request.user):
        raise PermissionDenied
    data = payload.model_dump(exclude_unset=True)
    publisher = data.pop("publisher_id")
    notice = _call(services.notice_create, actor=request.user, publisher=publisher, data=data)
    return Status(201, _notice(request.user, notice.pk))


@router.get(
    "/notices/{id}", response={200: NoticeDetailOut, **error_responses(401, 404, 422)}, **READ
)
def get_notice(request: HttpRequest, id: int) -> Notice:
    """공지 상세."""
    return _notice(request.user, id)


NOTICE_CHANGE = {"response": {200: NoticeDetailOut, **error_responses(400, 401, 403, 404, 422)}}


@router.patch("/notices/{id}", **NOTICE_CHANGE, **WRITE)
def update_notice(request: HttpRequest, id: int, payload: NoticeUpdateIn) -> Notice:
    """공지 고치기 (게시 기관 담당자, 운영진). 보낸 항목만 바뀌고, 게시 중이면 그대로 게시됩니다."""
    notice = _managed_notice(request.user, id)
    data = {name: getattr(notice, name) for name in services.NOTICE_FIELDS}
    data.update(payload.model_dump(exclude_unset=True))
    _call(services.notice_update, actor=request.user, notice=notice, data=data)
    return _notice(request.user, id)


@router.post("/notices/{id}/publish", **NOTICE_CHANGE, **WRITE)
def publish_notice(request: HttpRequest, id: int) -> Notice:
    """공지 게시 (작성 중이거나 게시를 끝낸 공지; 다시 게시하면 처음 게시 일시를 지킵니다)."""
    notice = _managed_notice(request.user, id)
    _call(services.notice_publish, actor=request.user, notice=notice)
    return _notice(request.user, id)


@router.post("/notices/{id}/archive", **NOTICE_CHANGE, **WRITE)
def archive_notice(request: HttpRequest, id: int) -> Notice:
    """공지 게시 끝내기 (게시 중인 공지만): 공개 목록에서 빠지고, 게시 기관은 계속 봅니다."""
    notice = _managed_notice(request.user, id)
    _call(services.notice_archive, actor=request.user, notice=notice)
    return _notice(request.user, id)


# --- stories -----------------------------------------------------------------------------------


def _story(user: Any, id: int) -> Story:
    """The story with what the caller may do, its consent and its events for those who handle
    it, for ``StoryDetailOut``."""
    story = access.access_story(user=user, story_id=id)
    manager = access.can_manage_story(user, story)
    representative = access.represents(user, story)
    story.can_manage = manager  # type: ignore[attr-defined]
    story.represents = representative  # type: ignore[attr-defined]
    involved = manager or representative
    story.consent = (  # type: ignore[attr-defined]
        {"method": story.consent_method, "at": story.consent_at, "note": story.consent_note}
        if involved and story.consent_at
        else None
    )
    story.history = (  # type: ignore[attr-defined]
        [
            {
                "from_status": e.from_status or None,
                "to_status": e.to_status,
                "note": e.note,
                "at": e.at,
            }
            for e in selectors.story_events(story=story)
        ]
        if involved
        else []
    )
    return story


def _managed_story(user: Any, id: int) -> Story:
    story = access.access_story(user=user, story_id=id)
    if not access.can_manage_story(user, story):
        raise PermissionDenied
    return story


def _represented_story(user: Any, id: int) -> Story:
    story = access.access_story(user=user, story_id=id)
    if not access.represents(user, story):
        raise PermissionDenied
    return story


@router.get("/stories", response={200: StoryPage, **error_responses(401, 422)}, **READ)
def list_stories(request: HttpRequest, filters: Query[StoryFilters]) -> dict:
    """게시된 성공 사례 (최근 게시 순)."""
    if filters.sido and not Sido.objects.filter(pk=filters.sido).exists():
        raise ValidationError(
            {"sido": ValidationError(_("없는 시도 코드입니다."), code="sido_unknown")}
        )
    page = selectors.story_list(
        support_kind=filters.support_kind or "",
        sido=filters.sido or "",
        q=filters.q or "",
    )
    return _slice(page.paginator, filters)


# /stories/managed and /stories/consents are declared before /stories/{id}: ninja matches {id}
# against any path segment and checks the int after routing.


@router.get(
    "/stories/managed", response={200: StoryPage, **error_responses(401, 403, 422)}, **WRITE
)
def list_managed_stories(request: HttpRequest, filters: Query[ManagedStoryFilters]) -> dict:
    """내 센터가 쓴 사례 (모든 상태, 최근 수정 순; 지원센터 담당자와 운영진)."""
    if not access.can_write(request.user):
        raise PermissionDenied
    page = selectors.stories_managed(user=request.user, status=filters.status or "")
    return _slice(page.paginator, filters)


@router.get(
    "/stories/consents", response={200: list[StoryOut], **error_responses(401, 403)}, **WRITE
)
def list_stories_for_consent(request: HttpRequest) -> list[Story]:
    """내가 대표하는 기관에 동의를 구한 사례 (답을 기다리는 것 먼저; 기관 대표자·이사장·사무국장)."""
    if not access.represented_ids(request.user):
        raise PermissionDenied
    return selectors.stories_for_consent(user=request.user)


@router.post(
    "/stories", response={201: StoryDetailOut, **error_responses(400, 401, 403, 422)}, **WRITE
)
def create_story(request: HttpRequest, payload: StoryCreateIn) -> Status:
    """성공 사례 쓰기 (지원센터 담당자, 운영진): 작성 중(draft)으로 만들어집니다. 게시하려면 먼저
    사례 기관의 동의를 받아야 합니다."""
    if not access.can_write(request.user):
        raise PermissionDenied
    data = payload.model_dump(exclude_unset=True)
    centre = data.pop("centre_id")
    data["subject"] = data.pop("subject_id")
    story = _call(services.story_create, actor=request.user, centre=centre, data=data)
    return Status(201, _story(request.user, story.pk))


@router.get(
    "/stories/{id}", response={200: StoryDetailOut, **error_responses(401, 404, 422)}, **READ
)
def get_story(request: HttpRequest, id: int) -> Story:
    """성공 사례 상세. 작성 기관 담당자와 사례 기관 대표자는 게시 동의와 상태 기록도 봅니다."""
    return _story(request.user, id)


STORY_CHANGE = {"response": {200: StoryDetailOut, **error_responses(400, 401, 403, 404, 422)}}


@router.patch("/stories/{id}", **STORY_CHANGE, **WRITE)
def update_story(request: HttpRequest, id: int, payload: StoryUpdateIn) -> Story:
    """사례 고치기 (작성 기관 담당자). 보낸 항목만 바뀝니다. 동의 요청 중·동의 받음·게시 중인 사례를 고치면 작성
    중으로 돌아가고 (게시 중이면 내려가고) 동의를 다시 받아야 합니다."""
    story = _managed_story(request.user, id)
    data = {name: getattr(story, name) for name in services.STORY_FIELDS}
    data["subject"] = story.subject_id
    sent = payload.model_dump(exclude_unset=True)
    if "subject_id" in sent:
        sent["subject"] = sent.pop("subject_id")
    data.update(sent)
    _call(services.story_update, actor=request.user, story=story, data=data)
    return _story(request.user, id)


@router.post("/stories/{id}/request-consent", **STORY_CHANGE, **WRITE)
def request_story_consent(request: HttpRequest, id: int) -> Story:
    """사례 기관에 게시 동의 요청 (작성 기관 담당자; 작성 중·거절·철회된 사례). 기관 대표자에게
    메일이 갑니다."""
    story = _managed_story(request.user, id)
    _call(services.story_request_consent, actor=request.user, story=story)
    return _story(request.user, id)


@router.post("/stories/{id}/consent", **STORY_CHANGE, **WRITE)
def consent_to_story(request: HttpRequest, id: int) -> Story:
    """게시에 동의 (사례 기관의 대표자·이사장·사무국장; 동의를 구한 사례)."""
    story = _represented_story(request.user, id)
    _call(services.story_consent, actor=request.user, story=story)
    return _story(request.user, id)


@router.post("/stories/{id}/written-consent", **STORY_CHANGE, **WRITE)
def record_written_consent(request: HttpRequest, id: int, payload: WrittenConsentIn) -> Story:
    """서면 동의 기록 (작성 기관 담당자; 동의를 구한 사례): 기관이 플랫폼을 쓰지 않을 때."""
    story = _managed_story(request.user, id)
    _call(services.story_consent_record, actor=request.user, story=story, note=payload.note)
    return _story(request.user, id)


@router.post("/stories/{id}/decline", **STORY_CHANGE, **WRITE)
def decline_story(request: HttpRequest, id: int, payload: ReasonIn) -> Story:
    """게시 거절 (사례 기관 대표자; 동의를 구한 사례)."""
    story = _represented_story(request.user, id)
    _call(services.story_decline, actor=request.user, story=story, reason=payload.reason)
    return _story(request.user, id)


@router.post("/stories/{id}/withdraw", **STORY_CHANGE, **WRITE)
def withdraw_story_consent(request: HttpRequest, id: int, payload: ReasonIn) -> Story:
    """동의 철회 (사례 기관 대표자; 동의했거나 게시 중인 사례): 게시 중이면 바로 내려갑니다."""
    story = _represented_story(request.user, id)
    _call(services.story_withdraw_consent, actor=request.user, story=story, reason=payload.reason)
    return _story(request.user, id)


@router.post("/stories/{id}/publish", **STORY_CHANGE, **WRITE)
def publish_story(request: HttpRequest, id: int) -> Story:
    """포털에 게시 (작성 기관 담당자; 동의 받은 사례만)."""
    story = _managed_story(request.user, id)
    _call(services.story_publish, actor=request.user, story=story)
    return _story(request.user, id)


@router.post("/stories/{id}/unpublish", **STORY_CHANGE, **WRITE)
def unpublish_story(request: HttpRequest, id: int, payload: ReasonIn) -> Story:
    """게시 중단 (작성 기관 담당자; 게시 중인 사례): 동의는 남아 다시 게시할 수 있습니다."""
    story = _managed_story(request.user, id)
    _call(services.story_unpublish, actor=request.user, story=story, reason=payload.reason)
    return _story(request.user, id)
