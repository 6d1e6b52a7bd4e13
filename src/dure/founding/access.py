"""Who may see and handle which founding consultation. Deny by default.

The applicant sees their own consultation (its stage, and what the sessions share with them);
the staff of the centre it was made to see and handle all of that centre's consultations,
internal notes included; platform admins see every one. ``access_consultation`` answers 404 both
for "missing" and for "forbidden".
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from dure.directory.access import roles_of
from dure.directory.models import CENTRE_KINDS, Organisation, Role

from .models import Consultation


def centre_ids(user: Any) -> set[int] | None:
    """The centres whose consultations ``user`` handles; None means every one (admins)."""
    return roles_of(user).centres_run()


def is_consultant(user: Any) -> bool:
    ids = centre_ids(user)
    return ids is None or bool(ids)


def centres() -> QuerySet[Organisation]:
    """The centres one may ask for a founding consultation."""
    return Organisation.objects.filter(kind__in=CENTRE_KINDS, is_public=True).order_by("name")


def can_manage(user: Any, consultation: Consultation) -> bool:
    ids = centre_ids(user)
    return ids is None or consultation.centre_id in ids


def consultations_visible_to(user: Any) -> QuerySet[Consultation]:
    if not getattr(user, "is_authenticated", False):
        return Consultation.objects.none()
    ids = centre_ids(user)
    if ids is None:
        return Consultation.objects.all()
    return Consultation.objects.filter(Q(applicant=user) | Q(centre_id__in=ids))


def access_consultation(*, user: Any, consultation_id: Any, manage: bool = False) -> Consultation:
    try:
        consultation = (
            consultations_visible_to(user)
            .select_related("centre", "applicant", "consultant", "organisation", "sido")
            .get(pk=consultation_id)
        )
    except (Consultation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if manage and not can_manage(user, consultation):
        raise Http404
    return consultation


def consultants_of(centre: Organisation) -> QuerySet[Any]:
    """The people who may be assigned: the centre's staff."""
    from dure.accounts.models import User

    return User.objects.filter(
        is_active=True, memberships__organisation=centre, memberships__role=Role.STAFF
    ).order_by("display_name", "username")
