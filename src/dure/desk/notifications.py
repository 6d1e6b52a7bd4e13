"""E-mail notices of the desk. Services schedule them with ``transaction.on_commit``; each
takes ids, re-reads the rows and sends one e-mail per (notice key, recipient) at most: a
``NotificationLog`` row claims the pair first, so running a notice twice sends nothing new.

Requesters get the signed status link (never internal notes); staff and researchers get a
short note pointing to the case page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import links
from .models import Case, CaseEvent, CaseMessage, NotificationLog

logger = logging.getLogger("dure.desk")


def schedule(func: Any, *args: Any) -> None:
    """Run ``func(*args)`` after the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(_run, func, *args))


def _run(func: Any, *args: Any) -> None:
    try:
        func(*args)
    except Exception:  # a notice must never break the request that caused it
        logger.exception("desk notification %s%r failed", getattr(func, "__name__", func), args)


def _site() -> str:
    return str(settings.DURE_SITE_URL).rstrip("/")


def _claim(key: str, recipient: str) -> NotificationLog | None:
    try:
        with transaction.atomic():
            return NotificationLog.objects.create(key=key[:80], recipient=recipient[:254])
    except IntegrityError:
        return None


def send_once(key: str, recipients: Iterable[tuple[str, str]], subject: Any, body: Any) -> int:
    """Send to each (address, language) not yet sent under ``key``; returns how many went."""
    sent = 0
    for address, language in dict.fromkeys(recipients):
        if not address:
            continue
        log = _claim(key, address)
        if log is None:
            continue
        with translation.override(language or settings.LANGUAGE_CODE):
            text_subject = str(subject() if callable(subject) else subject)
            text_body = str(body() if callable(body) else body)
        try:
            send_mail(text_subject, text_body, None, [address])
        except Exception:
            NotificationLog.objects.filter(pk=log.pk).delete()  # let a later run retry
            raise
        NotificationLog.objects.filter(pk=log.pk).update(sent_at=timezone.now())
        sent += 1
    return sent


def _requester(case: Case) -> list[tuple[str, str]]:
    if case.contact_email:
        language = case.requester.preferred_language if case.requester_id else "ko"  # type: ignore[union-attr]
        return [(case.contact_email, language)]
    return []


def _users(users: Iterable[Any]) -> list[tuple[str, str]]:
    return [(u.email, u.preferred_language) for u in users if u is not None and u.email]


def _workers(case: Case, exclude: Any = None) -> list[Any]:
    people: list[Any] = []
    if case.assignee_id:
        people.append(case.assignee)
    if case.team_id:
        people += list(case.team.members.all())  # type: ignore[union-attr]
    people += list(case.collaborators.all())
    return [
        p for p in dict.fromkeys(people) if p is not None and p.pk != getattr(exclude, "pk", None)
    ]


def _case_url(case: Case) -> str:
    return _site() + case.get_absolute_url()


# --- the notices -------------------------------------------------------------------------------


def case_received(case_id: int) -> int:
    case = Case.objects.select_related("requester").filter(pk=case_id).first()
    if case is None:
        return 0
    url = links.status_url(case)
    return send_once(
        f"case:{case.pk}:received",
        _requester(case),
        lambda: _("[두레] 애로 접수 완료 (접수번호 %(number)s)") % {"number": case.number},
        lambda: (
            _(
                "%(name)s 님, 기술 애로가 접수되었습니다.\n\n접수번호: %(number)s\n제목: %(title)s\n\n"
                "아래 링크에서 로그인 없이 진행 상황을 보고 답변할 수 있습니다 (링크는 본인만 사용해 주세요).\n%(url)s\n"
            )
            % {"name": case.contact_name, "number": case.number, "title": case.title, "url": url}
        ),
    )


def message_posted(message_id: int) -> int:
    message = (
        CaseMessage.objects.select_related("case", "case__requester", "case__assignee", "author")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return 0
    case = message.case
    sent = 0
    if message.author_kind != CaseMessage.AuthorKind.REQUESTER and not message.is_internal:
        url = links.status_url(case)
        sent += send_once(
            f"message:{message.pk}:requester",
            _requester(case),
            lambda: (
                _("[두레] 접수번호 %(number)s에 답변이 등록되었습니다") % {"number": case.number}
            ),
            lambda: (
                _(
                    "%(name)s 님, 접수하신 애로에 새 답변이 있습니다.\n\n%(body)s\n\n"
                    "답변하거나 진행 상황을 보려면: %(url)s\n"
                )
                % {"name": case.contact_name, "body": message.body[:2000], "url": url}
            ),
        )
    workers = _workers(case, exclude=message.author)
    sent += send_once(
        f"message:{message.pk}:staff",
        _users(workers),
        lambda: _("[두레] %(number)s 새 메시지") % {"number": case.number},
        lambda: (
            _("%(number)s %(title)s에 새 %(what)s이 있습니다.\n%(url)s\n")
            % {
                "number": case.number,
                "title": case.title,
                "what": _("내부 메모") if message.is_internal else _("메시지"),
                "url": _case_url(case),
            }
        ),
    )
    return sent


def case_assigned(event_id: int) -> int:
    event = CaseEvent.objects.select_related("case", "case__assignee", "case__team").get(
        pk=event_id
    )
    case = event.case
    people = (
        [case.assignee]
        if case.assignee_id
        else list(case.team.members.all())
        if case.team_id
        else []
    )  # type: ignore[union-attr]
    return send_once(
        f"event:{event.pk}",
        _users(people),
        lambda: _("[두레] 애로 %(number)s 담당 배정") % {"number": case.number},
        lambda: (
            _("%(number)s %(title)s 건이 배정되었습니다.\n%(url)s\n")
            % {"number": case.number, "title": case.title, "url": _case_url(case)}
        ),
    )


def collaborator_added(event_id: int) -> int:
    event = CaseEvent.objects.select_related("case").get(pk=event_id)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=event.data.get("user_id")).first()
    case = event.case
    return send_once(
        f"event:{event.pk}",
        _users([user]),
        lambda: _("[두레] 애로 %(number)s 협업 요청") % {"number": case.number},
        lambda: (
            _("%(number)s %(title)s 건에 협업자로 추가되었습니다.\n%(url)s\n")
            % {"number": case.number, "title": case.title, "url": _case_url(case)}
        ),
    )


def case_resolved(event_id: int) -> int:
    event = CaseEvent.objects.select_related("case", "case__requester").get(pk=event_id)
    case = event.case
    url = links.status_url(case)
    return send_once(
        f"event:{event.pk}",
        _requester(case),
        lambda: _("[두레] 접수번호 %(number)s 처리 결과 안내") % {"number": case.number},
        lambda: (
            _(
                "%(name)s 님, 접수하신 애로의 처리가 완료되었습니다.\n\n"
                "처리 결과를 확인하고 만족도 조사(1분)에 응답해 주세요: %(url)s\n"
            )
            % {"name": case.contact_name, "url": url}
        ),
    )


def status_link_sent(event_id: int) -> int:
    event = CaseEvent.objects.select_related("case", "case__requester").get(pk=event_id)
    case = event.case
    url = links.status_url(case)
    return send_once(
        f"event:{event.pk}",
        _requester(case),
        lambda: _("[두레] 접수번호 %(number)s 조회 링크") % {"number": case.number},
        lambda: (
            _(
                "%(name)s 님, 새 조회 링크를 보내 드립니다. 이전에 받은 링크는 더 이상 쓸 수 없습니다.\n%(url)s\n"
            )
            % {"name": case.contact_name, "url": url}
        ),
    )


def sla_warning(event_id: int) -> int:
    event = CaseEvent.objects.select_related("case", "case__assignee", "case__team").get(
        pk=event_id
    )
    case = event.case
    people = _workers(case)
    return send_once(
        f"event:{event.pk}",
        _users(people),
        lambda: _("[두레] 애로 %(number)s 처리 기한 임박") % {"number": case.number},
        lambda: (
            _(
                "%(number)s %(title)s 건의 %(what)s 기한(%(due)s)이 1영업일 안으로 다가왔습니다.\n%(url)s\n"
            )
            % {
                "number": case.number,
                "title": case.title,
                "what": _("첫 응답") if event.data.get("sla") == "first_response" else _("해결"),
                "due": timezone.localtime(
                    case.first_response_due_at
                    if event.data.get("sla") == "first_response"
                    else case.resolution_due_at
                ).strftime("%Y-%m-%d %H:%M")
                if (case.first_response_due_at or case.resolution_due_at)
                else "",
                "url": _case_url(case),
            }
        ),
    )


def escalated(event_id: int) -> int:
    event = CaseEvent.objects.select_related("case").get(pk=event_id)
    case = event.case
    from django.contrib.auth import get_user_model

    recipients = _users(get_user_model().objects.filter(pk__in=event.data.get("manager_ids", [])))
    recipients += [(address, "ko") for address in event.data.get("centre_emails", [])]
    return send_once(
        f"event:{event.pk}",
        recipients,
        lambda: _("[두레] 기한 초과 보고: %(number)s") % {"number": case.number},
        lambda: (
            _("%(number)s %(title)s 건의 %(what)s 기한이 지났습니다. 확인해 주세요.\n%(url)s\n")
            % {
                "number": case.number,
                "title": case.title,
                "what": _("첫 응답") if event.data.get("sla") == "first_response" else _("해결"),
                "url": _case_url(case),
            }
        ),
    )
