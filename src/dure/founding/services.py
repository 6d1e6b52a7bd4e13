"""Founding consultations: asking for one, the centre's sessions, and its stages.

Every write takes the acting user, runs in one transaction (the consultation's row locked) and
writes an audit row; a stage change also writes a ``StageEvent``. The Framework Act on
Cooperatives is checked where it applies: a founding meeting needs at least five founders
(art. 15①, ``governance.rules.MIN_FOUNDERS``), and a consultation ends as founded only by naming
the cooperative in the directory.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dure.core import idempotency
from dure.core.audit import audit_record
from dure.core.validation import FieldErrors
from dure.core.validation import clean_text as _text
from dure.core.validators import normalize_phone
from dure.directory.models import Organisation, Sido
from dure.governance.rules import MIN_FOUNDERS

from . import access, notifications
from .models import FOUNDABLE_KINDS, TRANSITIONS, Consultation, Session, Stage, StageEvent, Topic

MAX_FOUNDERS = 10_000
# From the founding meeting on, the cooperative has (at least) the founders the Act requires.
NEEDS_FOUNDERS = frozenset({Stage.ASSEMBLY, Stage.FILING, Stage.FOUNDED})


def _error(field: str, message: Any, code: str, params: dict | None = None) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code, params=params)})


def _id(value: Any) -> int:
    """An object's or a raw id; 0 (no row) for anything that is not a number."""
    try:
        return int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        return 0


def _founders(errors: FieldErrors, value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors.add("founders", _("숫자로 입력해 주세요."), "invalid")
        return None
    if not 1 <= number <= MAX_FOUNDERS:
        errors.add(
            "founders",
            _("%(low)s 이상 %(high)s 이하로 입력해 주세요."),
            "out_of_range",
            {"low": 1, "high": f"{MAX_FOUNDERS:,}"},
        )
        return None
    return number


def _event(consultation: Consultation, actor: Any, before: str, after: str, note: str) -> None:
    StageEvent.objects.create(
        consultation=consultation,
        from_stage=before,
        to_stage=after,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
    )


# --- asking ------------------------------------------------------------------------------------


class RequestResult(NamedTuple):
    consultation: Consultation
    created: bool  # False: a retry with the same idempotency key returned the first request


IDEMPOTENCY_CONFLICT = _(
    "이 중복 방지 키(Idempotency-Key)로 내용이 다른 신청이 이미 접수되었습니다. 새 신청에는 새 "
    "키를 써 주세요."
)


def _replay(existing: Consultation, fingerprint: str | None) -> RequestResult:
    """A retry with a used key: the first consultation if the request is the same, else
    ``idempotency_conflict``."""
    if fingerprint is None or existing.idempotency_fingerprint != fingerprint:
        raise idempotency.conflict(IDEMPOTENCY_CONFLICT)
    return RequestResult(existing, False)


def consultation_request(
    *, actor: Any, centre: Any, data: dict[str, Any], idempotency_key: str | None = None
) -> RequestResult:
    """Ask ``centre`` for help founding a cooperative.

    With an ``idempotency_key`` (``core.idempotency``) a retry of the same request returns the
    first consultation with ``created=False`` and writes nothing; the same key with a different
    (or invalid) request raises ``idempotency_conflict`` and writes nothing, also under a race.
    """
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied
    key = idempotency.clean_key(idempotency_key)
    digest = idempotency.digest(actor, key) if key else None
    existing = Consultation.objects.filter(idempotency_key=digest).first() if digest else None
    errors = FieldErrors()
    organisation = access.centres().filter(pk=_id(centre)).first()
    if organisation is None:
        errors.add("centre", _("상담할 지원센터를 골라 주세요."), "centre_unknown")
    contact_name = errors.text(data, "contact_name", 50, required=True)
    phone = _text(data.get("contact_phone"))
    if phone:
        try:
            phone = normalize_phone(phone)
        except ValidationError as exc:
            errors.errors.setdefault("contact_phone", []).append(exc)
    proposed_name = errors.text(data, "proposed_name", 100, required=True)
    kind = _text(data.get("kind"))
    if kind not in FOUNDABLE_KINDS:
        errors.add("kind", _("협동조합 유형을 골라 주세요."), "invalid_choice")
    sido = None
    if _text(data.get("sido")) or getattr(data.get("sido"), "pk", None):
        sido = Sido.objects.filter(
            pk=str(getattr(data.get("sido"), "pk", data.get("sido")))
        ).first()
        if sido is None:
            errors.add("sido", _("시도 코드가 올바르지 않습니다."), "invalid_choice")
    business = errors.text(data, "business", 3000, required=True, multiline=True)
    raw_founders = data.get("founders")
    founders = _founders(errors, 1 if raw_founders in (None, "") else raw_founders)
    if errors.errors or organisation is None or founders is None:
        if existing is not None:  # the key's first request was valid: this one differs
            return _replay(existing, None)
        raise ValidationError(errors.errors)
    fields = {
        "contact_name": contact_name,
        "contact_phone": phone,
        "proposed_name": proposed_name,
        "kind": kind,
        "sido": sido.pk if sido else None,
        "business": business,
        "founders": founders,
    }
    fingerprint = idempotency.fingerprint({"centre": organisation.pk, **fields})
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        with transaction.atomic():
            consultation = Consultation.objects.create(
                centre=organisation,
                applicant=actor,
                idempotency_key=digest,
                idempotency_fingerprint=fingerprint if digest else "",
                **{**fields, "sido": sido},
            )
            _event(consultation, actor, "", Stage.RECEIVED, "")
            audit_record(actor=actor, action="founding.request", obj=consultation)
    except IntegrityError:
        if digest:  # a concurrent request with the same key committed first
            existing = Consultation.objects.filter(idempotency_key=digest).first()
            if existing is not None:
                return _replay(existing, fingerprint)
        raise
    notifications.schedule(notifications.consultation_received, consultation.pk)
    return RequestResult(consultation, True)


# --- the centre's work ---------------------------------------------------------------------------


def _locked(actor: Any, consultation: Consultation) -> Consultation:
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not access.can_manage(actor, consultation):
        raise PermissionDenied
    return consultation


@transaction.atomic
def consultation_assign(*, actor: Any, consultation: Consultation, consultant: Any) -> Consultation:
    """Give the consultation to one of its centre's staff (None: nobody)."""
    consultation = _locked(actor, consultation)
    person = None
    if consultant not in (None, ""):
        person = access.consultants_of(consultation.centre).filter(pk=_id(consultant)).first()
        if person is None:
            raise _error(
                "consultant", _("이 지원센터의 직원만 맡을 수 있습니다."), "consultant_not_staff"
            )
    before = consultation.consultant_id
    consultation.consultant = person
    consultation.save(update_fields=["consultant", "updated_at"])
    if before != consultation.consultant_id:
        audit_record(
            actor=actor,
            action="founding.assign",
            obj=consultation,
            changes={"consultant": [before, consultation.consultant_id]},
        )
    return consultation


@transaction.atomic
def consultation_move(
    *,
    actor: Any,
    consultation: Consultation,
    stage: str,
    note: str = "",
    founders: Any = None,
    organisation: Any = None,
) -> Consultation:
    """Move to ``stage`` if the step is allowed. ``founders`` updates the count of founders at
    the same time; a founding meeting needs at least five. ``organisation`` names the founded
    cooperative (required to end as founded)."""
    consultation = _locked(actor, consultation)
    return _move(
        actor,
        consultation,
        stage,
        note=note,
        founders=founders,
        organisation=organisation,
    )


def _move(
    actor: Any,
    consultation: Consultation,
    stage: str,
    *,
    note: str = "",
    founders: Any = None,
    organisation: Any = None,
) -> Consultation:
    errors = FieldErrors()
    note = errors.text({"note": note}, "note", 300, required=False)
    before = consultation.stage
    founders_before = consultation.founders
    if stage not in TRANSITIONS.get(before, frozenset()):
        errors.add(
            "stage",
            _("%(before)s 단계에서 %(after)s 단계로 옮길 수 없습니다."),
            "stage_not_allowed",
            {
                "before": Stage(before).label,
                "after": Stage(stage).label if stage in Stage.values else stage,
            },
        )
    if founders not in (None, ""):
        count = _founders(errors, founders)
        if count is not None:
            consultation.founders = count
    if stage in NEEDS_FOUNDERS and consultation.founders < MIN_FOUNDERS:
        errors.add(
            "founders",
            _(
                "창립총회를 열려면 발기인이 %(min)s명 이상이어야 합니다 "
                "(협동조합 기본법 제15조). 지금 %(count)s명입니다."
            ),
            "too_few_founders",
            {"min": MIN_FOUNDERS, "count": consultation.founders},
        )
    if stage == Stage.FOUNDED:
        cooperative = Organisation.objects.filter(
            pk=_id(organisation), kind__in=FOUNDABLE_KINDS
        ).first()
        if cooperative is None:
            errors.add(
                "organisation",
                _("설립된 협동조합을 기관 디렉터리에서 골라 주세요."),
                "organisation_required",
            )
        else:
            consultation.organisation = cooperative
    errors.raise_if_any()
    consultation.stage = stage
    try:
        with transaction.atomic():
            consultation.save(update_fields=["stage", "founders", "organisation", "updated_at"])
    except IntegrityError:
        raise _error(
            "organisation",
            _("이 협동조합은 이미 다른 설립 상담의 결과로 등록되어 있습니다."),
            "organisation_taken",
        ) from None
    _event(consultation, actor, before, stage, note)
    audit_record(
        actor=actor,
        action="founding.move",
        obj=consultation,
        changes={
            "stage": [before, stage],
            "note": note,
            **(
                {"founders": [founders_before, consultation.founders]}
                if consultation.founders != founders_before
                else {}
            ),
        },
    )
    notifications.schedule(notifications.stage_changed, consultation.pk, stage)
    return consultation


@transaction.atomic
def consultation_withdraw(
    *, actor: Any, consultation: Consultation, note: str = ""
) -> Consultation:
    """The applicant stops (or the centre closes an abandoned consultation)."""
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if consultation.applicant_id != actor.pk and not access.can_manage(actor, consultation):
        raise PermissionDenied
    return _move(actor, consultation, Stage.WITHDRAWN, note=note)


@transaction.atomic
def session_record(*, actor: Any, consultation: Consultation, data: dict[str, Any]) -> Session:
    """Record a counselling session. The first one starts the consultation (접수 → 상담 중),
    and whoever records it takes the consultation if nobody has it yet."""
    consultation = _locked(actor, consultation)
    if not consultation.is_open:
        raise _error(
            "consultation", _("끝난 상담에는 기록을 더할 수 없습니다."), "consultation_closed"
        )
    errors = FieldErrors()
    held_on = data.get("held_on")
    if not isinstance(held_on, dt.date):
        try:
            held_on = dt.date.fromisoformat(str(held_on))
        except ValueError:
            errors.add("held_on", _("날짜 형식이 올바르지 않습니다."), "date_format")
            held_on = None
    if isinstance(held_on, dt.datetime):
        held_on = held_on.date()
    if held_on is not None and held_on > timezone.localdate():
        errors.add("held_on", _("아직 오지 않은 날짜입니다."), "date_in_future")
    if held_on is not None and held_on < timezone.localtime(consultation.created_at).date():
        errors.add("held_on", _("상담 신청일보다 앞설 수 없습니다."), "date_before_request")
    mode = _text(data.get("mode"))
    if mode not in Session.Mode.values:
        errors.add("mode", _("상담 방식을 골라 주세요."), "invalid_choice")
    topics = _topics(errors, data.get("topics"))
    summary = errors.text(data, "summary", 2000, required=True, multiline=True)
    next_steps = errors.text(data, "next_steps", 500, required=False)
    internal_note = errors.text(data, "internal_note", 2000, required=False, multiline=True)
    if errors.errors or held_on is None:
        raise ValidationError(errors.errors)
    session = Session.objects.create(
        consultation=consultation,
        held_on=held_on,
        mode=mode,
        topics=topics,
        summary=summary,
        next_steps=next_steps,
        internal_note=internal_note,
        counsellor=actor,
    )
    changes: dict[str, Any] = {"session": session.pk}
    if (
        consultation.consultant_id is None
        and access.consultants_of(consultation.centre).filter(pk=actor.pk).exists()
    ):
        consultation.consultant = actor  # whoever first counsels takes it on
        consultation.save(update_fields=["consultant", "updated_at"])
        changes["consultant"] = [None, actor.pk]
    audit_record(actor=actor, action="founding.session", obj=consultation, changes=changes)
    if consultation.stage == Stage.RECEIVED:
        _move(actor, consultation, Stage.CONSULTING)
    return session


def _topics(errors: FieldErrors, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value] if value else []
    items = [str(v) for v in (value or []) if str(v)]
    if not items:
        errors.add("topics", _("상담 주제를 하나 이상 골라 주세요."), "required")
        return []
    unknown = [v for v in items if v not in Topic.values]
    if unknown:
        errors.add(
            "topics",
            _("없는 주제입니다: %(topics)s"),
            "invalid_choice",
            {"topics": ", ".join(unknown)},
        )
        return []
    return list(dict.fromkeys(items))


def applicant_forget(*, user: Any) -> int:
    """For an account being deleted: erase the contact details of its consultations (the
    consultations stay, anonymised, for the centres' records and statistics)."""
    return Consultation.objects.filter(applicant=user).update(contact_name="", contact_phone="")
