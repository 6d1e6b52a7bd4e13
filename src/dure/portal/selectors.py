"""Reads of notices and success stories, scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import F, Q, QuerySet

from . import access
from .models import Notice, Story, StoryEvent

PAGE_SIZE = 20


def _matching(qs: QuerySet, q: str, *fields: str) -> QuerySet:
    """Rows whose fields contain every word of ``q`` (notices and stories are few: a plain
    substring match finds 기술이전 in 기술이전을, and needs no index)."""
    for word in q.split()[:10]:
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": word})
        qs = qs.filter(condition)
    return qs


def notice_list(
    *, user: Any, category: str = "", q: str = "", status: str = "", page: int = 1
) -> Page:
    """Notices ``user`` may see, pinned first, then drafts, then the latest published. The
    public sees published ones; a centre's staff also their own drafts and archived ones
    (``status`` narrows to one)."""
    qs = access.notices_visible_to(user).select_related("publisher")
    qs = qs.filter(status=status) if status else qs
    if category:
        qs = qs.filter(category=category)
    qs = _matching(qs, q, "title", "body")
    # Drafts (no date yet) before the published ones on both databases (PostgreSQL sorts NULL
    # first in a descending order, SQLite last).
    latest = F("published_at").desc(nulls_first=True)
    return Paginator(qs.order_by("-pinned", latest, "-id"), PAGE_SIZE).get_page(page)


def latest_notices(*, limit: int = 5) -> list[Notice]:
    return list(
        Notice.objects.filter(status=Notice.Status.PUBLISHED)
        .select_related("publisher")
        .order_by("-pinned", "-published_at", "-id")[:limit]
    )


def story_list(*, support_kind: str = "", sido: str = "", q: str = "", page: int = 1) -> Page:
    """Published success stories, the latest first (the portal's list, the same for all)."""
    qs = Story.objects.filter(status=Story.Status.PUBLISHED).select_related(
        "subject__sido", "centre"
    )
    if support_kind:
        qs = qs.filter(support_kind=support_kind)
    if sido:
        qs = qs.filter(subject__sido_id=sido)
    qs = _matching(qs, q, "title", "summary", "body", "subject__name")
    return Paginator(qs.order_by("-published_at", "-id"), PAGE_SIZE).get_page(page)


def latest_stories(*, limit: int = 3) -> list[Story]:
    return list(
        Story.objects.filter(status=Story.Status.PUBLISHED)
        .select_related("subject", "centre")
        .order_by("-published_at", "-id")[:limit]
    )


def stories_managed(*, user: Any, status: str = "", page: int = 1) -> Page:
    """The stories of the centres ``user`` writes for, in every status, the latest changed
    first."""
    ids = access.centre_ids(user)
    qs = Story.objects.select_related("subject", "centre")
    if ids is not None:
        qs = qs.filter(centre_id__in=ids)
    if status:
        qs = qs.filter(status=status)
    return Paginator(qs.order_by("-updated_at", "-id"), PAGE_SIZE).get_page(page)


def stories_for_consent(*, user: Any) -> list[Story]:
    """The stories about the organisations ``user`` represents that were sent to them, those
    awaiting an answer first."""
    represented = access.represented_ids(user)
    if not represented:
        return []
    qs = (
        Story.objects.filter(subject_id__in=represented)
        .exclude(status=Story.Status.DRAFT)
        .select_related("subject", "centre")
    )
    return sorted(qs, key=lambda s: (s.status != Story.Status.AWAITING, -s.updated_at.timestamp()))


def stories_about(*, organisation_id: int) -> list[Story]:
    return list(
        Story.objects.filter(subject_id=organisation_id, status=Story.Status.PUBLISHED)
        .select_related("centre")
        .order_by("-published_at", "-id")
    )


def story_events(*, story: Story) -> QuerySet[StoryEvent]:
    return StoryEvent.objects.filter(story=story).select_related("actor").order_by("at", "id")


def consents_awaited(*, user: Any) -> int:
    """How many stories about the organisations ``user`` represents await their answer."""
    represented = access.represented_ids(user)
    if not represented:
        return 0
    return Story.objects.filter(subject_id__in=represented, status=Story.Status.AWAITING).count()


def consents_given_by(*, user: Any) -> list[dict[str, Any]]:
    """The consents to success stories a person gave or recorded, as JSON-friendly data (the
    download of their own data)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        {
            "story": story.title,
            "organisation": story.subject.name,
            "method": story.consent_method,
            "at": story.consent_at.isoformat() if story.consent_at else None,
            "status": story.status,
        }
        for story in Story.objects.filter(consent_by=user)
        .select_related("subject")
        .order_by("consent_at", "id")
    ]
