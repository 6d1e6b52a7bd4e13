"""Who may see and run which programme. Deny by default.

Published and cancelled programmes are public; a draft is seen only by the people who run its
host (the host's staff) and platform admins, who are also the only ones who edit it, see its
registrants and take attendance. A registration is seen by its person and by those who run the
programme. ``access_*`` answer 404 both for "missing" and for "forbidden".
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from dure.directory.access import roles_of
from dure.directory.models import CENTRE_KINDS, Organisation

from .models import Program, Registration


def host_ids(user: Any) -> set[int] | None:
    """The organisations whose programmes ``user`` runs; None means every one (admins)."""
    return roles_of(user).centres_run()


def can_create_program(user: Any) -> bool:
    ids = host_ids(user)
    return ids is None or bool(ids)


def host_choices(user: Any) -> QuerySet[Organisation]:
    """The centres ``user`` may host a programme for."""
    centres = Organisation.objects.filter(kind__in=CENTRE_KINDS).order_by("name")
    ids = host_ids(user)
    return centres if ids is None else centres.filter(pk__in=ids)


def can_manage_program(user: Any, program: Program) -> bool:
    ids = host_ids(user)
    return ids is None or program.host_id in ids


def programs_visible_to(user: Any) -> QuerySet[Program]:
    public = Q(status__in=[Program.Status.PUBLISHED, Program.Status.CANCELLED])
    ids = host_ids(user)
    if ids is None:
        return Program.objects.all()
    if ids:
        return Program.objects.filter(public | Q(host_id__in=ids))
    return Program.objects.filter(public)


def access_program(*, user: Any, program_id: Any, manage: bool = False) -> Program:
    try:
        program = programs_visible_to(user).select_related("host", "sido").get(pk=program_id)
    except (Program.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if manage and not can_manage_program(user, program):
        raise Http404
    return program


def access_registration(*, user: Any, registration_id: Any) -> Registration:
    """A registration its person or the programme's managers may act on."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    try:
        registration = Registration.objects.select_related(
            "program__host", "person", "organisation"
        ).get(pk=registration_id)
    except (Registration.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if registration.person_id != user.pk and not can_manage_program(user, registration.program):
        raise Http404
    return registration


def registrant_organisations(user: Any) -> QuerySet[Organisation]:
    """The organisations a person may register on behalf of: those they belong to."""
    roles = roles_of(user)
    return Organisation.objects.filter(pk__in=roles.organisation_ids).order_by("name")
