"""Who may see and change which notice and success story. Deny by default.

Published notices and stories are public. A centre's staff (and platform admins, for every
centre) write, publish and take down their centre's notices and stories and see them in every
state. A story about an organisation is also seen, once the centre has asked for consent, by
the people who represent that organisation (its representative, chair or secretary: the
directory's profile editors), who alone give, refuse or withdraw the organisation's consent.
``access_*`` answer 404 both for "missing" and for "forbidden".
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from dure.directory.access import roles_of
from dure.directory.models import CENTRE_KINDS, COOPERATIVE_KINDS, Organisation, OrganisationKind

from .models import Notice, Story

# Whom a success story may be about: the cooperatives and SMEs the centres help.
STORY_SUBJECT_KINDS = frozenset({*COOPERATIVE_KINDS, OrganisationKind.SME})


def centre_ids(user: Any) -> set[int] | None:
    """The centres whose notices and stories ``user`` writes; None means every one (admins)."""
    return roles_of(user).centres_run()


def can_write(user: Any) -> bool:
    ids = centre_ids(user)
    return ids is None or bool(ids)


def writes_for(user: Any, centre_id: int) -> bool:
    """Whether ``user`` writes the notices and stories of this centre."""
    ids = centre_ids(user)
    return ids is None or centre_id in ids


def centre_choices(user: Any) -> QuerySet[Organisation]:
    """The centres ``user`` may publish a notice or a story for."""
    centres = Organisation.objects.filter(kind__in=CENTRE_KINDS).order_by("name")
    ids = centre_ids(user)
    return centres if ids is None else centres.filter(pk__in=ids)


def subject_choices() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind__in=STORY_SUBJECT_KINDS).order_by("name")


def represented_ids(user: Any) -> set[int]:
    """The organisations whose consent ``user`` gives: those whose profile they edit."""
    return roles_of(user).editable_organisation_ids


# --- notices -----------------------------------------------------------------------------------


def can_manage_notice(user: Any, notice: Notice) -> bool:
    return writes_for(user, notice.publisher_id)


def notices_visible_to(user: Any) -> QuerySet[Notice]:
    public = Q(status=Notice.Status.PUBLISHED)
    ids = centre_ids(user)
    if ids is None:
        return Notice.objects.all()
    if ids:
        return Notice.objects.filter(public | Q(publisher_id__in=ids))
    return Notice.objects.filter(public)


def access_notice(*, user: Any, notice_id: Any, manage: bool = False) -> Notice:
    try:
        notice = notices_visible_to(user).select_related("publisher").get(pk=notice_id)
    except (Notice.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if manage and not can_manage_notice(user, notice):
        raise Http404
    return notice


# --- stories -----------------------------------------------------------------------------------


def can_manage_story(user: Any, story: Story) -> bool:
    return writes_for(user, story.centre_id)


def represents(user: Any, story: Story) -> bool:
    return story.subject_id in represented_ids(user)


def stories_visible_to(user: Any) -> QuerySet[Story]:
    visible = Q(status=Story.Status.PUBLISHED)
    ids = centre_ids(user)
    if ids is None:
        return Story.objects.all()
    if ids:
        visible |= Q(centre_id__in=ids)
    represented = represented_ids(user)
    if represented:
        visible |= Q(subject_id__in=represented) & ~Q(status=Story.Status.DRAFT)
    return Story.objects.filter(visible)


def access_story(
    *, user: Any, story_id: Any, manage: bool = False, represent: bool = False
) -> Story:
    try:
        story = stories_visible_to(user).select_related("centre", "subject").get(pk=story_id)
    except (Story.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if manage and not can_manage_story(user, story):
        raise Http404
    if represent and not represents(user, story):
        raise Http404
    return story
