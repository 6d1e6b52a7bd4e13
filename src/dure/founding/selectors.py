"""Reads of founding consultations, scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet

from . import access
from .models import OPEN_STAGES, Consultation, Session, Stage

PAGE_SIZE = 30
# The applicant's contact details as the centre's staff see them, and why: each such read is
# recorded (pages and API alike).
CONTACT_FIELDS = ["contact_name", "contact_phone", "applicant.email"]
CONTACT_PURPOSE = "협동조합 설립 상담 진행"


def queue(*, user: Any, stage: str = "", page: int = 1) -> Page:
    """The consultations of the centres ``user`` works for (admins: all), open ones by default,
    oldest first; ``stage`` narrows to one stage."""
    ids = access.centre_ids(user)
    qs = Consultation.objects.select_related("centre", "consultant", "sido")
    if ids is not None:
        qs = qs.filter(centre_id__in=ids)
    qs = qs.filter(stage=stage) if stage else qs.filter(stage__in=OPEN_STAGES)
    return Paginator(qs.order_by("created_at", "id"), PAGE_SIZE).get_page(page)


def stage_counts(*, user: Any) -> dict[str, int]:
    ids = access.centre_ids(user)
    qs = (
        Consultation.objects.all()
        if ids is None
        else Consultation.objects.filter(centre_id__in=ids)
    )
    counts = dict(
        qs.order_by().values_list("stage").annotate(n=Count("id")).values_list("stage", "n")
    )
    return {stage: counts.get(stage, 0) for stage in Stage.values}


def my_consultations(*, user: Any) -> QuerySet[Consultation]:
    if not getattr(user, "is_authenticated", False):
        return Consultation.objects.none()
    return (
        Consultation.objects.filter(applicant=user)
        .select_related("centre")
        .order_by("-created_at", "-id")
    )


def sessions_of(*, consultation: Consultation) -> QuerySet[Session]:
    return consultation.sessions.select_related("counsellor").order_by("held_on", "id")


def events_of(*, consultation: Consultation) -> QuerySet[Any]:
    return consultation.events.select_related("actor").order_by("at", "id")


def consultations_received_monthly(*, year: int) -> list[int]:
    """Founding consultations asked for in each month of ``year`` (a policy indicator)."""
    from dure.core.stats import monthly

    return monthly(Consultation.objects.all(), "created_at", year)


def consultations_of_person(*, user: Any) -> list[dict[str, Any]]:
    """A person's own founding consultations as JSON-friendly data (the download of their own
    data): what they wrote and what the centre shared with them, not its internal notes."""
    return [
        {
            "id": c.pk,
            "centre": c.centre.name,
            "proposed_name": c.proposed_name,
            "kind": c.kind,
            "contact_name": c.contact_name,
            "contact_phone": c.contact_phone,
            "business": c.business,
            "founders": c.founders,
            "stage": c.stage,
            "requested_at": c.created_at.isoformat(),
            "sessions": [
                {
                    "held_on": s.held_on.isoformat(),
                    "mode": s.mode,
                    "topics": s.topics,
                    "summary": s.summary,
                    "next_steps": s.next_steps,
                }
                for s in c.sessions.all()
            ],
        }
        for c in my_consultations(user=user).prefetch_related("sessions")
    ]
