"""E-mails to the applicant of a founding consultation, after commit, once per (notice,
recipient) through the desk's ``send_once``, in the applicant's language."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from dure.desk.notifications import schedule, send_once

from .models import Consultation, Stage

__all__ = ["consultation_received", "schedule", "stage_changed"]


def _applicant(consultation: Consultation) -> list[tuple[str, str]]:
    person = consultation.applicant
    if not person.is_active or not person.email:
        return []
    return [(person.email, person.preferred_language)]


def _url(consultation: Consultation) -> str:
    return str(settings.DURE_SITE_URL).rstrip("/") + consultation.get_absolute_url()


def consultation_received(consultation_id: int) -> int:
    consultation = (
        Consultation.objects.select_related("applicant", "centre")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None:
        return 0
    facts = lambda: {  # noqa: E731 - formatted in the recipient's language
        "name": consultation.proposed_name,
        "centre": consultation.centre.name,
        "url": _url(consultation),
    }
    return send_once(
        f"founding:{consultation.pk}:received",
        _applicant(consultation),
        lambda: _("[두레] 설립 상담 신청이 접수되었습니다: %(name)s") % facts(),
        lambda: (
            _(
                "%(name)s 설립 상담 신청을 %(centre)s에서 받았습니다. 담당 상담사가 곧 연락드립니다.\n\n"
                "진행 상황은 아래에서 볼 수 있습니다.\n%(url)s\n"
            )
            % facts()
        ),
    )


def stage_changed(consultation_id: int, stage: str) -> int:
    consultation = (
        Consultation.objects.select_related("applicant", "centre")
        .filter(pk=consultation_id)
        .first()
    )
    if consultation is None or consultation.stage != stage:
        return 0
    facts = lambda: {  # noqa: E731
        "name": consultation.proposed_name,
        "stage": Stage(stage).label,
        "url": _url(consultation),
    }
    return send_once(
        f"founding:{consultation.pk}:stage:{consultation.events.count()}",
        _applicant(consultation),
        lambda: _("[두레] 설립 상담 단계가 바뀌었습니다: %(name)s → %(stage)s") % facts(),
        lambda: _("%(name)s 설립 상담이 '%(stage)s' 단계가 되었습니다.\n\n%(url)s\n") % facts(),
    )
