"""Reads of programmes and registrations, scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from dure.core.stats import monthly

from . import access
from .models import Program, Registration

PAGE_SIZE = 20
# The personal data a registrant list shows (recorded with each view and export of it).
REGISTRANT_FIELDS = ["person.display_name", "person.email", "person.phone", "organisation", "note"]


def program_list(
    *, user: Any, kind: str = "", sido: str = "", when: str = "upcoming", page: int = 1
) -> Page:
    """Programmes ``user`` may see: upcoming ones (not yet ended) soonest first, or past ones
    latest first."""
    qs = access.programs_visible_to(user).select_related("host", "sido")
    if kind:
        qs = qs.filter(kind=kind)
    if sido:
        qs = qs.filter(sido_id=sido)
    now = timezone.now()
    if when == "past":
        qs = qs.filter(ends_at__lte=now).order_by("-starts_at", "-id")
    else:
        qs = qs.filter(ends_at__gt=now).order_by("starts_at", "id")
    return Paginator(qs, PAGE_SIZE).get_page(page)


def registration_of(*, user: Any, program: Program) -> Registration | None:
    """The person's live registration for ``program``, or their last cancelled one."""
    if not getattr(user, "is_authenticated", False):
        return None
    mine = Registration.objects.filter(program=program, person=user)
    return (
        mine.exclude(status=Registration.Status.CANCELLED).first()
        or mine.order_by("-created_at", "-id").first()
    )


def waitlist_position(registration: Registration) -> int | None:
    if registration.status != Registration.Status.WAITLISTED:
        return None
    return (
        Registration.objects.filter(
            program_id=registration.program_id, status=Registration.Status.WAITLISTED
        )
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, id__lt=registration.id)
        )
        .count()
        + 1
    )


def my_registrations(*, user: Any) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(person=user)
        .select_related("program__host", "organisation")
        .order_by("-program__starts_at", "-id")
    )


def registrants(*, program: Program) -> QuerySet[Registration]:
    """Everyone who registered, live first (confirmed, then waiting in order), for the people
    who run the programme: personal data."""
    return (
        Registration.objects.filter(program=program)
        .select_related("person", "organisation")
        .annotate(
            live_order=Case(
                When(status=Registration.Status.CONFIRMED, then=Value(0)),
                When(status=Registration.Status.WAITLISTED, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("live_order", "created_at", "id")
    )


def status_counts(*, program: Program) -> dict[str, int]:
    counts = dict(
        Registration.objects.filter(program=program)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in Registration.Status.values} | {
        "attended": Registration.objects.filter(program=program, attended=True).count()
    }


def registrations_of_person(*, user: Any) -> list[dict[str, Any]]:
    """A person's registrations as JSON-friendly data, for the download of their own data."""
    return [
        {
            "id": r.pk,
            "program": r.program.title,
            "starts_at": r.program.starts_at.isoformat(),
            "organisation": r.organisation.name if r.organisation else None,
            "status": r.status,
            "attended": r.attended,
            "note": r.note,
            "registered_at": r.created_at.isoformat(),
            "cancelled_at": r.cancelled_at.isoformat() if r.cancelled_at else None,
        }
        for r in my_registrations(user=user)
    ]


def attendance_monthly(*, year: int) -> list[int]:
    """People who attended a course or event, by the month it started, in ``year``."""
    return monthly(Registration.objects.filter(attended=True), "program__starts_at", year)
