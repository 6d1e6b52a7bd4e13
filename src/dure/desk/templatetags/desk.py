"""Words for the desk pages: SLA states, timeline events, rates. Everything is said in text
(never by colour alone)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import CaseEvent, Category, Channel, Outcome, Priority, Status

register = template.Library()

SLA_TEXT = {
    "met": gettext_lazy("기한 준수"),
    "breached": gettext_lazy("기한 초과"),
    "due_soon": gettext_lazy("기한 임박"),
    "on_track": gettext_lazy("기한 내 진행 중"),
    "paused": gettext_lazy("멈춤 (요청자 답변 대기)"),
    "none": gettext_lazy("해당 없음"),
}


@register.filter
def sla_text(state: str) -> str:
    return str(SLA_TEXT.get(state, state))


@register.filter
def sla_alert(state: str) -> bool:
    return state in ("breached", "due_soon")


@register.filter
def percent(rate: Any) -> str:
    if rate is None or rate == "":
        return "-"
    return f"{float(rate) * 100:.1f}%"


@register.filter
def status_label(code: str) -> str:
    try:
        return str(Status(code).label)
    except ValueError:
        return code or "-"


@register.filter
def category_label(code: str) -> str:
    try:
        return str(Category(code).label)
    except ValueError:
        return code or "-"


def _label(choices: Any, code: Any) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return str(code or "")


@register.filter
def event_text(event: CaseEvent) -> str:
    """What happened, in one line, for the staff side's timeline."""
    data = event.data or {}
    kind = event.kind
    label = _label(CaseEvent.Kind, kind)
    if kind == CaseEvent.Kind.SUBMITTED:
        return _("접수 (%(channel)s)") % {"channel": _label(Channel, data.get("channel"))}
    if kind == CaseEvent.Kind.TRIAGED:
        decision = {
            "accepted": _("추천 1순위 수용"),
            "overridden": _("추천과 다르게 지정 (추천 1순위: %(first)s)")
            % {"first": data.get("recommended_first") or "-"},
        }.get(data.get("decision", ""), _("추천 없음"))
        text = _("분류 %(category)s, 우선순위 %(priority)s, 주관 %(lead)s — %(decision)s") % {
            "category": _label(Category, data.get("category")),
            "priority": _label(Priority, data.get("priority")),
            "lead": data.get("lead_institute") or "-",
            "decision": decision,
        }
        if data.get("collaborating_institutes"):
            text += " · " + _("협력 %(list)s") % {
                "list": ", ".join(data["collaborating_institutes"])
            }
        return text
    if kind == CaseEvent.Kind.ASSIGNED:
        parts = [_("배정")]
        if data.get("team_name"):
            parts.append(_("팀 %(team)s") % {"team": data["team_name"]})
        if data.get("company_team"):
            parts.append(_("기업 전담팀 유지"))
        if data.get("balanced"):
            parts.append(_("자동 배정"))
        return " · ".join(str(p) for p in parts)
    if kind == CaseEvent.Kind.RESOLVED:
        return _("해결: %(outcome)s (%(days)s영업일, %(met)s)") % {
            "outcome": _label(Outcome, data.get("outcome")),
            "days": data.get("business_days", "-"),
            "met": _("기한 준수") if data.get("met_target") else _("기한 초과"),
        }
    if kind == CaseEvent.Kind.FIRST_RESPONSE:
        return _("첫 응답 (%(met)s)") % {
            "met": _("기한 준수") if data.get("met_target") else _("기한 초과")
        }
    if kind == CaseEvent.Kind.SURVEY:
        return _("만족도 %(rating)s점") % {"rating": data.get("rating", "-")}
    if kind == CaseEvent.Kind.CLOSED and data.get("reason"):
        return _("종료: %(reason)s") % {"reason": data["reason"]}
    if kind in (CaseEvent.Kind.SLA_WARNING, CaseEvent.Kind.ESCALATED):
        which = _("첫 응답") if data.get("sla") == "first_response" else _("해결")
        return f"{label} ({which})"
    if event.from_status and event.to_status:
        return _("%(label)s: %(from)s → %(to)s") % {
            "label": label,
            "from": _label(Status, event.from_status),
            "to": _label(Status, event.to_status),
        }
    return label
