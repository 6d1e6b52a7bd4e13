"""E-mails about programmes and registrations, sent after the transaction that caused them
commits, once per (notice, recipient) — the desk's ``send_once`` claims each pair first, so a
notice run twice sends nothing new. Each is written in the recipient's language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from dure.desk.notifications import schedule, send_once

from .models import Program, Registration

__all__ = [
    "program_cancelled",
    "registration_promoted",
    "registration_received",
    "schedule",
]


def _recipient(user: Any) -> list[tuple[str, str]]:
    if user is None or not user.is_active or not user.email:
        return []
    return [(user.email, user.preferred_language)]


def _site() -> str:
    return str(settings.DURE_SITE_URL).rstrip("/")


def _when(program: Program) -> str:
    return formats.date_format(timezone.localtime(program.starts_at), "DATETIME_FORMAT")


def _facts(program: Program) -> dict[str, str]:
    return {
        "title": program.title,
        "when": _when(program),
        "where": program.venue or _("온라인"),
        "url": _site() + program.get_absolute_url(),
    }


def registration_received(registration_id: int) -> int:
    registration = (
        Registration.objects.select_related("program", "person").filter(pk=registration_id).first()
    )
    if registration is None or registration.status == Registration.Status.CANCELLED:
        return 0
    program = registration.program
    if registration.status == Registration.Status.CONFIRMED:
        subject = lambda: _("[두레] 참가 신청이 확정되었습니다: %(title)s") % _facts(program)  # noqa: E731
        body = lambda: (  # noqa: E731
            _(
                "%(title)s 참가 신청이 확정되었습니다.\n\n일시: %(when)s\n장소: %(where)s\n\n%(url)s\n"
            )
            % _facts(program)
        )
    else:
        subject = lambda: _("[두레] 대기자로 신청되었습니다: %(title)s") % _facts(program)  # noqa: E731
        body = lambda: (  # noqa: E731
            _(
                "%(title)s의 정원이 차서 대기자로 신청되었습니다. 자리가 나면 신청 순서대로 "
                "확정하고 알려 드립니다.\n\n%(url)s\n"
            )
            % _facts(program)
        )
    return send_once(
        f"program-reg:{registration.pk}:{registration.status}",
        _recipient(registration.person),
        subject,
        body,
    )


def registration_promoted(registration_id: int) -> int:
    registration = (
        Registration.objects.select_related("program", "person").filter(pk=registration_id).first()
    )
    if registration is None or registration.status != Registration.Status.CONFIRMED:
        return 0
    program = registration.program
    return send_once(
        f"program-reg:{registration.pk}:promoted",
        _recipient(registration.person),
        lambda: _("[두레] 대기 중이던 신청이 확정되었습니다: %(title)s") % _facts(program),
        lambda: (
            _(
                "자리가 나서 %(title)s 참가 신청이 확정되었습니다.\n\n일시: %(when)s\n"
                "장소: %(where)s\n\n참석할 수 없으면 아래 페이지에서 신청을 취소해 주세요.\n%(url)s\n"
            )
            % _facts(program)
        ),
    )


def program_cancelled(program_id: int, registration_ids: list[int]) -> int:
    program = Program.objects.filter(pk=program_id).first()
    if program is None:
        return 0
    people = [
        r.person
        for r in Registration.objects.select_related("person").filter(pk__in=registration_ids)
    ]
    # The facts are formatted inside the lambdas: in each recipient's language.
    return send_once(
        f"program:{program.pk}:cancelled",
        [pair for person in people for pair in _recipient(person)],
        lambda: _("[두레] 교육·행사가 취소되었습니다: %(title)s") % _facts(program),
        lambda: (
            _(
                "신청하신 %(title)s (%(when)s)이(가) 취소되었습니다.\n\n사유: %(reason)s\n\n"
                "불편을 드려 죄송합니다.\n%(url)s\n"
            )
            % {**_facts(program), "reason": program.cancel_reason}
        ),
    )
