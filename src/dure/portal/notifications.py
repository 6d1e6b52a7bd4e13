"""E-mails about success stories, after commit, once per (notice, recipient) through the desk's
``send_once``, each in its recipient's language: the organisation's representatives are asked
for consent; the centre hears the answer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from dure.desk.notifications import schedule, send_once
from dure.directory.models import CENTRE_KINDS, ORGANISATION_EDITOR_ROLES, Membership, Role

from .models import Story

__all__ = ["consent_answered", "consent_requested", "schedule"]


def _people(users: Any) -> list[tuple[str, str]]:
    return [(u.email, u.preferred_language) for u in users if u.is_active and u.email]


def _url(story: Story) -> str:
    return str(settings.DURE_SITE_URL).rstrip("/") + story.get_absolute_url()


def _story(story_id: int) -> Story | None:
    return (
        Story.objects.select_related("centre", "subject", "created_by").filter(pk=story_id).first()
    )


def consent_requested(story_id: int) -> int:
    story = _story(story_id)
    if story is None or story.status != Story.Status.AWAITING:
        return 0
    representatives = [
        m.user
        for m in Membership.objects.filter(
            organisation=story.subject, role__in=ORGANISATION_EDITOR_ROLES
        ).select_related("user")
    ]
    facts = lambda: {  # noqa: E731 - formatted in the recipient's language
        "title": story.title,
        "centre": story.centre.name,
        "organisation": story.subject.name,
        "url": _url(story),
    }
    return send_once(
        f"portal:story:{story.pk}:consent:{story.events.count()}",
        _people(representatives),
        lambda: _("[두레] 성공 사례 게시 동의 요청: %(title)s") % facts(),
        lambda: (
            _(
                "%(centre)s에서 %(organisation)s의 성공 사례를 두레 포털에 싣고자 동의를 "
                "요청했습니다.\n\n아래에서 내용을 읽고 동의하거나 거절해 주세요. 동의는 언제든 "
                "철회할 수 있습니다.\n%(url)s\n"
            )
            % facts()
        ),
    )


ANSWERS = {
    Story.Status.APPROVED: lambda: _("동의했습니다"),
    Story.Status.DECLINED: lambda: _("거절했습니다"),
    Story.Status.WITHDRAWN: lambda: _("동의를 철회했습니다"),
}


def consent_answered(story_id: int, status: str) -> int:
    story = _story(story_id)
    if story is None or story.status != status or status not in ANSWERS:
        return 0
    writers = [story.created_by] if story.created_by else []
    if not writers:
        writers = [
            m.user
            for m in Membership.objects.filter(
                organisation=story.centre,
                organisation__kind__in=CENTRE_KINDS,
                role=Role.STAFF,
            ).select_related("user")
        ]
    facts = lambda: {  # noqa: E731
        "title": story.title,
        "organisation": story.subject.name,
        "answer": ANSWERS[status](),
        "url": _url(story),
    }
    return send_once(
        f"portal:story:{story.pk}:answer:{story.events.count()}",
        _people(writers),
        lambda: _("[두레] %(organisation)s이(가) 성공 사례 게시에 %(answer)s: %(title)s") % facts(),
        lambda: (
            _("%(organisation)s이(가) 성공 사례 '%(title)s' 게시에 %(answer)s.\n\n%(url)s\n")
            % facts()
        ),
    )
