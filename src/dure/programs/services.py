"""Running education, forums and events, and registering for them.

Every write takes the acting user, runs in one transaction and writes an audit row. Seats are
taken with one conditional UPDATE of the programme's counter (``seats_taken < capacity``), and
the database's check constraint keeps the counter within the capacity too: two people can never
get the last seat, whatever runs concurrently. Past capacity a registration waits in line; when
a seat frees (a cancellation, a larger capacity) the first in line moves up before anyone new
can take it. E-mails go after commit (``notifications``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dure.core.audit import audit_record, model_diff
from dure.core.validators import reject_resident_number
from dure.directory.models import Organisation, Sido

from . import access, notifications
from .models import Program, ProgramKind, Registration

PROGRAM_FIELDS = (
    "kind",
    "title",
    "summary",
    "description",
    "audience",
    "starts_at",
    "ends_at",
    "registration_closes_at",
    "is_online",
    "venue",
    "sido",
    "capacity",
    "fee",
)
MAX_CAPACITY = 100_000
MAX_FEE = 100_000_000  # 1억 원: a fee beyond it is a typing mistake
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100  # beyond them a date is a typing mistake


def _error(field: str, message: Any, code: str, params: dict | None = None) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code, params=params)})


def _text(value: Any) -> str:
    return str(value if value is not None else "").strip()


def _aware(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, dt.datetime):
        try:
            value = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError("format") from None
    if timezone.is_naive(value):
        raise ValueError("naive")
    return value


def _clean_program(data: dict[str, Any]) -> dict[str, Any]:
    """Validated programme fields, or a ValidationError naming every field that is wrong."""
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: Any, code: str, params: dict | None = None) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code, params=params))

    out: dict[str, Any] = {}
    kind = _text(data.get("kind"))
    if kind not in ProgramKind.values:
        add("kind", _("교육·행사 구분을 골라 주세요."), "invalid_choice")
    out["kind"] = kind
    for field, limit, required in (
        ("title", 150, True),
        ("summary", 300, True),
        ("description", 5000, False),
        ("audience", 200, False),
        ("venue", 200, False),
    ):
        value = _text(data.get(field))
        if field != "description":
            value = " ".join(value.split())
        if required and not value:
            add(field, _("이 항목을 입력해 주세요."), "required")
        elif len(value) > limit:
            add(field, _("%(limit)s자 이내로 입력해 주세요."), "max_length", {"limit": limit})
        else:
            try:
                reject_resident_number(value)
            except ValidationError as exc:
                errors.setdefault(field, []).append(exc)
        out[field] = value

    times: dict[str, dt.datetime | None] = {}
    for field in ("starts_at", "ends_at", "registration_closes_at"):
        try:
            times[field] = _aware(data.get(field))
        except ValueError as exc:
            if str(exc) == "naive":
                add(field, _("시간대가 있는 일시여야 합니다 (Asia/Seoul)."), "datetime_naive")
            else:
                add(field, _("일시 형식이 올바르지 않습니다."), "datetime_format")
            times[field] = None
    for field, moment in times.items():
        if moment is not None and not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            add(
                field,
                _("%(low)s년부터 %(high)s년 사이의 일시를 입력해 주세요."),
                "datetime_out_of_range",
                {"low": EARLIEST_YEAR, "high": LATEST_YEAR},
            )
            times[field] = None
    starts, ends, closes = times["starts_at"], times["ends_at"], times["registration_closes_at"]
    if starts is None and "starts_at" not in errors:
        add("starts_at", _("시작 일시를 입력해 주세요."), "required")
    if ends is None and "ends_at" not in errors:
        add("ends_at", _("종료 일시를 입력해 주세요."), "required")
    if starts and ends and ends <= starts:
        add("ends_at", _("종료 일시는 시작 일시 이후여야 합니다."), "program_order")
    if closes is None and "registration_closes_at" not in errors:
        closes = starts
    elif closes and ends and closes > ends:
        add(
            "registration_closes_at",
            _("신청 마감은 종료 일시 전이어야 합니다."),
            "registration_closes_after_end",
        )
    out.update(starts_at=starts, ends_at=ends, registration_closes_at=closes)

    out["is_online"] = bool(data.get("is_online"))
    if not out["is_online"] and not out.get("venue") and "venue" not in errors:
        add("venue", _("장소를 입력하거나 온라인으로 표시해 주세요."), "venue_required")

    sido = data.get("sido")
    sido_code = getattr(sido, "pk", sido)
    if sido_code in (None, ""):
        out["sido"] = None
    else:
        out["sido"] = Sido.objects.filter(pk=str(sido_code)).first()
        if out["sido"] is None:
            add("sido", _("시도 코드가 올바르지 않습니다."), "invalid_choice")

    for field, maximum, optional in (("capacity", MAX_CAPACITY, True), ("fee", MAX_FEE, False)):
        raw = data.get(field)
        if raw in (None, ""):
            out[field] = None if optional else 0
            continue
        try:
            number = int(str(raw).replace(",", "").strip())
        except (TypeError, ValueError):
            add(field, _("숫자로 입력해 주세요."), "invalid")
            continue
        low = 1 if field == "capacity" else 0
        if not low <= number <= maximum:
            add(
                field,
                _("%(low)s 이상 %(high)s 이하로 입력해 주세요."),
                "out_of_range",
                {"low": low, "high": f"{maximum:,}"},
            )
            continue
        out[field] = number
    if errors:
        raise ValidationError(errors)
    return out


def _snapshot(program: Program) -> dict[str, Any]:
    return {
        f: (getattr(program, f + "_id") if f == "sido" else getattr(program, f))
        for f in (*PROGRAM_FIELDS, "status")
    }


def _id(value: Any) -> int:
    """An object's or a raw id; 0 (no row) for anything that is not a number."""
    try:
        return int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        return 0


def _host(actor: Any, host: Any) -> Organisation:
    organisation = access.host_choices(actor).filter(pk=_id(host)).first()
    if organisation is None:
        raise _error("host", _("이 기관의 교육·행사를 등록할 수 없습니다."), "host_not_allowed")
    return organisation


# --- programmes ------------------------------------------------------------------------------


@transaction.atomic
def program_create(*, actor: Any, host: Any, data: dict[str, Any]) -> Program:
    """A new programme, as a draft: nobody can register until it is published."""
    if not access.can_create_program(actor):
        raise PermissionDenied
    organisation = _host(actor, host)
    fields = _clean_program(data)
    program = Program.objects.create(host=organisation, created_by=actor, **fields)
    audit_record(
        actor=actor,
        action="program.create",
        obj=program,
        changes=model_diff({}, _snapshot(program)),
    )
    return program


@transaction.atomic
def program_update(*, actor: Any, program: Program, data: dict[str, Any]) -> Program:
    """Change a programme. Its capacity cannot fall below the seats already confirmed; a larger
    capacity moves people up from the waiting list at once."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    if not access.can_manage_program(actor, program):
        raise PermissionDenied
    if program.status == Program.Status.CANCELLED:
        raise _error("status", _("취소된 교육·행사는 고칠 수 없습니다."), "program_cancelled")
    fields = _clean_program({**_snapshot(program), **data})
    if fields["capacity"] is not None and fields["capacity"] < program.seats_taken:
        raise _error(
            "capacity",
            _("이미 %(taken)s명이 확정되어 정원을 그보다 줄일 수 없습니다."),
            "capacity_below_taken",
            {"taken": program.seats_taken},
        )
    before = _snapshot(program)
    for name, value in fields.items():
        setattr(program, name, value)
    program.save()
    changes = model_diff(before, _snapshot(program))
    if changes:
        audit_record(actor=actor, action="program.update", obj=program, changes=changes)
    _promote_waitlisted(program, actor)
    return program


@transaction.atomic
def program_publish(*, actor: Any, program: Program) -> Program:
    program = Program.objects.select_for_update().get(pk=program.pk)
    if not access.can_manage_program(actor, program):
        raise PermissionDenied
    if program.status != Program.Status.DRAFT:
        raise _error("status", _("준비 중인 교육·행사만 공개할 수 있습니다."), "program_not_draft")
    if program.ends_at <= timezone.now():
        raise _error("status", _("이미 끝난 교육·행사는 공개할 수 없습니다."), "program_over")
    program.status = Program.Status.PUBLISHED
    program.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="program.publish", obj=program)
    return program


@transaction.atomic
def program_cancel(*, actor: Any, program: Program, reason: str) -> Program:
    """Cancel a programme before it starts: every live registration is cancelled with it and
    its people told."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    if not access.can_manage_program(actor, program):
        raise PermissionDenied
    reason = " ".join(_text(reason).split())
    if program.status == Program.Status.CANCELLED:
        raise _error("status", _("이미 취소된 교육·행사입니다."), "program_cancelled")
    if program.starts_at <= timezone.now():
        # Once it has started it took place (attendance may be recorded): it stays on record.
        raise _error("status", _("이미 시작한 교육·행사는 취소할 수 없습니다."), "program_started")
    if not reason:
        raise _error("reason", _("취소 사유를 입력해 주세요."), "required")
    if len(reason) > 300:
        raise _error("reason", _("%(limit)s자 이내로 입력해 주세요."), "max_length", {"limit": 300})
    now = timezone.now()
    live = program.registrations.exclude(status=Registration.Status.CANCELLED)
    told = list(live.values_list("pk", flat=True))
    live.update(status=Registration.Status.CANCELLED, cancelled_at=now)
    program.status = Program.Status.CANCELLED
    program.cancel_reason = reason
    program.seats_taken = 0
    program.save(update_fields=["status", "cancel_reason", "seats_taken", "updated_at"])
    audit_record(
        actor=actor,
        action="program.cancel",
        obj=program,
        changes={"reason": reason, "registrations_cancelled": len(told)},
    )
    notifications.schedule(notifications.program_cancelled, program.pk, told)
    return program


# --- registrations ---------------------------------------------------------------------------


def _take_seat(program_id: int) -> bool:
    """One seat, if one is free: a single conditional UPDATE, so concurrent takers queue on the
    row and only as many succeed as there are seats."""
    return bool(
        Program.objects.filter(pk=program_id)
        .filter(Q(capacity__isnull=True) | Q(seats_taken__lt=F("capacity")))
        .update(seats_taken=F("seats_taken") + 1)
    )


def _live(program: Program, person: Any) -> Registration | None:
    return (
        Registration.objects.filter(program=program, person=person)
        .exclude(status=Registration.Status.CANCELLED)
        .first()
    )


def registration_create(
    *, actor: Any, program: Program, organisation: Any = None, note: str = ""
) -> tuple[Registration, bool]:
    """Register ``actor`` for ``program``: a confirmed seat while seats last, else a place on the
    waiting list. Returns (registration, created). Asking again while registered returns the
    same registration (a retried request registers once)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied
    note = " ".join(_text(note).split())
    errors: dict[str, list[ValidationError]] = {}
    if len(note) > 300:
        errors["note"] = [
            ValidationError(_("%(limit)s자 이내로 입력해 주세요."), "max_length", {"limit": 300})
        ]
    else:
        try:
            reject_resident_number(note)
        except ValidationError as exc:
            errors["note"] = [exc]
    org = None
    if organisation not in (None, ""):
        org = access.registrant_organisations(actor).filter(pk=_id(organisation)).first()
        if org is None:
            errors["organisation"] = [
                ValidationError(_("소속된 기관만 고를 수 있습니다."), "organisation_not_member")
            ]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        existing = _live(program, actor)
        if existing is not None:
            return existing, False
        _check_open(program)
        try:
            with transaction.atomic():
                confirmed = _take_seat(program.pk)
                now = timezone.now()
                registration = Registration.objects.create(
                    program=program,
                    person=actor,
                    organisation=org,
                    note=note,
                    status=(
                        Registration.Status.CONFIRMED
                        if confirmed
                        else Registration.Status.WAITLISTED
                    ),
                    confirmed_at=now if confirmed else None,
                )
        except IntegrityError:
            # The same person's other request won the race: theirs is the registration.
            existing = _live(program, actor)
            if existing is None:
                raise
            return existing, False
        audit_record(
            actor=actor,
            action="program.register",
            obj=registration,
            changes={"status": registration.status},
        )
        notifications.schedule(notifications.registration_received, registration.pk)
        return registration, True


def _check_open(program: Program) -> None:
    if program.status != Program.Status.PUBLISHED:
        raise _error("program", _("신청을 받지 않는 교육·행사입니다."), "program_not_open")
    if timezone.now() >= program.registration_closes_at:
        raise _error("program", _("신청이 마감되었습니다."), "registration_closed")


@transaction.atomic
def registration_cancel(*, actor: Any, registration: Registration) -> Registration:
    """Cancel a registration (its person, or those who run the programme) before the programme
    starts. A freed seat goes to the first person waiting."""
    program = Program.objects.select_for_update().get(pk=registration.program_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.person_id != actor.pk and not access.can_manage_program(actor, program):
        raise PermissionDenied
    if registration.status == Registration.Status.CANCELLED:
        return registration
    if timezone.now() >= program.starts_at:
        raise _error(
            "registration",
            _("시작한 교육·행사의 신청은 취소할 수 없습니다."),
            "program_started",
        )
    was_confirmed = registration.status == Registration.Status.CONFIRMED
    registration.status = Registration.Status.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    if was_confirmed:
        Program.objects.filter(pk=program.pk).update(seats_taken=F("seats_taken") - 1)
        program.refresh_from_db(fields=["seats_taken"])
    audit_record(
        actor=actor,
        action="program.registration_cancel",
        obj=registration,
        changes={"was": "confirmed" if was_confirmed else "waitlisted"},
    )
    _promote_waitlisted(program, actor)
    return registration


def _promote_waitlisted(program: Program, actor: Any) -> list[int]:
    """Give free seats to the people waiting, first come first served, until the programme
    starts or, when registration stays open after the start, until it closes (a newcomer must
    never take a seat ahead of those waiting). Call with the programme's row locked."""
    window_ends = max(program.starts_at, program.registration_closes_at)
    if program.status != Program.Status.PUBLISHED or timezone.now() >= window_ends:
        return []
    promoted: list[int] = []
    waiting = Registration.objects.filter(
        program_id=program.pk, status=Registration.Status.WAITLISTED
    ).order_by("created_at", "id")
    for registration in waiting:
        if not _take_seat(program.pk):
            break
        Registration.objects.filter(pk=registration.pk).update(
            status=Registration.Status.CONFIRMED, confirmed_at=timezone.now()
        )
        audit_record(
            actor=actor,  # whose change freed the seat
            action="program.waitlist_promote",
            obj=registration,
            changes={"status": [Registration.Status.WAITLISTED, Registration.Status.CONFIRMED]},
        )
        promoted.append(registration.pk)
    for pk in promoted:
        notifications.schedule(notifications.registration_promoted, pk)
    return promoted


@transaction.atomic
def attendance_record(*, actor: Any, program: Program, attended: Iterable[Any]) -> int:
    """Record who came: the confirmed registrations named in ``attended`` attended, the other
    confirmed ones did not. Only once the programme has started. Returns how many changed."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    if not access.can_manage_program(actor, program):
        raise PermissionDenied
    if program.status != Program.Status.PUBLISHED:
        raise _error(
            "attended", _("진행된 교육·행사만 출석을 기록할 수 있습니다."), "program_not_open"
        )
    if timezone.now() < program.starts_at:
        raise _error(
            "attended",
            _("교육·행사가 시작한 뒤에 출석을 기록할 수 있습니다."),
            "program_not_started",
        )
    confirmed = program.registrations.filter(status=Registration.Status.CONFIRMED)
    try:
        wanted = {int(pk) for pk in attended}
    except (TypeError, ValueError):
        raise _error("attended", _("신청 번호가 올바르지 않습니다."), "invalid") from None
    known = set(confirmed.values_list("pk", flat=True))
    unknown = wanted - known
    if unknown:
        raise _error(
            "attended",
            _("이 교육·행사의 확정된 신청이 아닙니다: %(ids)s"),
            "registration_not_confirmed",
            {"ids": ", ".join(str(i) for i in sorted(unknown))},
        )
    came = confirmed.filter(pk__in=wanted, attended=False).update(attended=True)
    missed = confirmed.exclude(pk__in=wanted).filter(attended=True).update(attended=False)
    if came or missed:
        audit_record(
            actor=actor,
            action="program.attendance",
            obj=program,
            changes={"attended": sorted(wanted), "marked": came, "unmarked": missed},
        )
    return came + missed


def registrations_forget(*, user: Any) -> int:
    """For an account being deleted: cancel its live registrations for programmes not yet
    started (freeing their seats) and erase the notes it wrote. Returns how many were cancelled."""
    cancelled = 0
    live = Registration.objects.filter(person=user, program__starts_at__gt=timezone.now()).exclude(
        status=Registration.Status.CANCELLED
    )
    for registration in live.select_related("program"):
        registration_cancel(actor=user, registration=registration)
        cancelled += 1
    Registration.objects.filter(person=user).exclude(note="").update(note="")
    return cancelled
