"""Use cases of the support desk. Each runs in one transaction: it locks the case row, checks
the actor's right (``PermissionDenied``) and the allowed move (``DeskError``), changes the
case, appends a ``CaseEvent`` and an audit row, and schedules e-mails after commit. A refused
call changes nothing.

Workflow::

    received → triaged → assigned → in_progress ⇄ waiting → resolved → closed
                                       ↑___________ reopen (within DURE_DESK_REOPEN_DAYS) __|

Requesters without an account act through their signed status link: pass ``status_token``
instead of ``actor`` (messages, reopen, survey).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dure.core import idempotency
from dure.core.audit import audit_record
from dure.core.validators import normalize_business_number, normalize_phone, reject_resident_number
from dure.directory.access import roles_of
from dure.directory.models import (
    CENTRE_KINDS,
    IndustryClass,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    Sido,
    Sigungu,
)

from . import access, links, notifications, sla
from .files import MAX_ATTACHMENTS_PER_UPLOAD, AttachmentRejected, clean_filename, sniff
from .models import (
    DESCRIPTION_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    STAFF_INTAKE_CHANNELS,
    WORKLOAD_STATUSES,
    Case,
    CaseAttachment,
    CaseCollaborator,
    CaseEvent,
    CaseMessage,
    CaseNumberCounter,
    CasePause,
    CaseResolution,
    CaseSurvey,
    Category,
    Channel,
    CompanySize,
    CompanyTeam,
    DeskCentre,
    Outcome,
    Priority,
    SlaPolicy,
    Status,
    Team,
    TeamMember,
    new_status_secret,
)

DEFAULT_REOPEN_DAYS = 30
TITLE_MAX_LENGTH = 120
MAX_COLLABORATING_INSTITUTES = 10


class DeskError(ValidationError):
    """A refused desk operation, with a stable ``code`` and a localized message (and the
    ``field`` it is about, if any). Subclasses Django's ``ValidationError`` so that forms and
    the API report it like any invalid input."""

    def __init__(
        self,
        code: str,
        message: Any,
        *,
        field: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        error = ValidationError(message, code=code, params=params)
        if field:
            super().__init__({field: [error]})
        else:
            super().__init__(message, code=code, params=params)
        self.code = code
        self.field = field
        self.desk_message = message
        self.desk_params = params


class SubmitResult(NamedTuple):
    case: Case
    created: bool  # False: the idempotency key matched an earlier submission


@dataclass(frozen=True)
class EscalationReport:
    warned: int
    escalated: int


# --- helpers -----------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return timezone.now()


def _label(actor: Any, *, via_link: bool = False) -> str:
    if via_link:
        return "requester (status link)"
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    return str(actor.get_username())


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _event(
    case: Case,
    kind: str,
    *,
    actor: Any = None,
    via_link: bool = False,
    from_status: str = "",
    to_status: str = "",
    data: dict[str, Any] | None = None,
    internal: bool = False,
    ip_address: str | None = None,
    at: dt.datetime | None = None,
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=_user(actor),
        actor_label=_label(actor, via_link=via_link),
        from_status=from_status,
        to_status=to_status,
        data=data or {},
        is_internal=internal,
        at=at or _now(),
    )
    changes: dict[str, Any] = {"event": event.pk}
    if from_status or to_status:
        changes["status"] = [from_status, to_status]
    audit_record(
        actor=actor,
        action=f"desk.case.{kind}",
        obj=case,
        changes=changes,
        ip_address=ip_address,
    )
    return event


def _lock(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else int(case)
    return Case.objects.select_for_update().get(pk=pk)


MOVE_LABELS: dict[str, Any] = {
    "triage": _("분류"),
    "assign": _("배정"),
    "start": _("처리 시작"),
    "wait": _("요청자 답변 대기"),
    "resume": _("처리 재개"),
    "resolve": _("해결"),
    "close": _("종료"),
    "reopen": _("재개"),
}


def _require_status(case: Case, allowed: Iterable[str], move: str) -> None:
    if case.status not in set(allowed):
        raise DeskError(
            "transition_not_allowed",
            _("현재 상태(%(status)s)에서는 '%(move)s'을(를) 할 수 없습니다."),
            params={"status": case.get_status_display(), "move": MOVE_LABELS[move]},
        )


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _requester_by_token(case: Case, status_token: str) -> None:
    """The status link must open this very case; raises DeskError otherwise."""
    try:
        linked = links.case_for_token(status_token)
    except links.StatusLinkError as exc:
        raise DeskError(exc.code, exc.message) from exc
    if linked.pk != case.pk:
        raise DeskError(
            "status_link_invalid", links.StatusLinkError.MESSAGES["status_link_invalid"]
        )


def sla_targets(category: str) -> tuple[int, int]:
    """(first response, resolution) targets in business days for a category ('' = before
    triage): the SlaPolicy row, else the row for 'default', else the built-in defaults."""
    key = category or "default"
    rows = {
        p.category: (p.first_response_days, p.resolution_days)
        for p in SlaPolicy.objects.filter(category__in=[key, "default"])
    }
    return (
        rows.get(key)
        or rows.get("default")
        or sla.DEFAULT_TARGETS.get(key, sla.DEFAULT_TARGETS["default"])
    )


def _pauses(case: Case) -> list[tuple[dt.datetime, dt.datetime | None]]:
    return list(case.pauses.order_by("started_at").values_list("started_at", "ended_at"))


def _recompute_due(case: Case, *, now: dt.datetime) -> None:
    first_days, resolution_days = sla_targets(case.category)
    pauses = _pauses(case)
    if case.first_response_at is None:
        due = sla.compute_due(case.received_at, first_days, pauses)
        if due != case.first_response_due_at:
            case.first_response_due_at = due
            if due > now:
                case.first_response_warned_at = None
                case.first_response_escalated_at = None
    if case.status not in (Status.RESOLVED, Status.CLOSED):
        due = sla.compute_due(case.received_at, resolution_days, pauses)
        if due != case.resolution_due_at:
            case.resolution_due_at = due
            if due > now:
                case.resolution_warned_at = None
                case.resolution_escalated_at = None


def _open_pause(case: Case, reason: str, now: dt.datetime) -> None:
    CasePause.objects.create(case=case, reason=reason, started_at=now)


def _close_pause(case: Case, now: dt.datetime) -> None:
    CasePause.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)


def _organisation(value: Any, *, kinds: Iterable[str], field: str) -> Organisation:
    if isinstance(value, Organisation):
        org: Organisation | None = value
    else:
        try:
            org = Organisation.objects.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            org = None
        if org is None and isinstance(value, str) and value.strip():
            org = Organisation.objects.filter(
                acronym=value.strip(), kind=OrganisationKind.RESEARCH_INSTITUTE
            ).first()
    if org is None or org.kind not in set(kinds):
        raise DeskError("organisation_invalid", _("선택할 수 없는 기관입니다."), field=field)
    return org


# --- intake ------------------------------------------------------------------------------------

INTAKE_FIELDS = (
    "company_name",
    "business_number",
    "sido",
    "sigungu",
    "industry",
    "company_size",
    "organisation",
    "contact_name",
    "contact_phone",
    "contact_email",
    "title",
    "description",
    "desired_support",
)


def _text(value: Any) -> str:
    return str(value or "").replace("\x00", "").strip()


def clean_description(value: Any, *, field: str = "description") -> str:
    text = _text(value).replace("\r\n", "\n")
    if not text:
        raise DeskError("description_required", _("애로 내용을 입력해 주세요."), field=field)
    if len(text) > DESCRIPTION_MAX_LENGTH:
        raise DeskError(
            "description_too_long",
            _("애로 내용은 %(limit)s자 이하로 입력해 주세요 (현재 %(length)s자)."),
            field=field,
            params={"limit": f"{DESCRIPTION_MAX_LENGTH:,}", "length": f"{len(text):,}"},
        )
    return text


def _clean_intake(data: Mapping[str, Any], *, channel: str, actor: Any) -> dict[str, Any]:
    errors: dict[str, list[ValidationError]] = {}

    def fail(field: str, code: str, message: Any, params: dict[str, Any] | None = None) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code, params=params))

    out: dict[str, Any] = {}
    unknown = set(data) - set(INTAKE_FIELDS)
    if unknown:
        fail(
            sorted(unknown)[0],
            "unknown_field",
            _("알 수 없는 항목입니다: %(fields)s"),
            {"fields": ", ".join(sorted(unknown))},
        )
    company = _text(data.get("company_name"))[:100]
    if not company:
        fail("company_name", "required", _("기업명을 입력해 주세요."))
    out["company_name"] = company
    number = _text(data.get("business_number"))
    out["business_number"] = ""
    if number:
        try:
            out["business_number"] = normalize_business_number(number)
        except ValidationError as exc:
            errors.setdefault("business_number", []).extend(exc.error_list)
    # region
    sido_code = data.get("sido")
    sigungu_code = data.get("sigungu")
    sido = sigungu = None
    if sigungu_code:
        sigungu = (
            sigungu_code
            if isinstance(sigungu_code, Sigungu)
            else Sigungu.objects.filter(pk=str(sigungu_code)).first()
        )
        if sigungu is None:
            fail("sigungu", "invalid_choice", _("없는 시군구입니다."))
    if sido_code:
        sido = (
            sido_code
            if isinstance(sido_code, Sido)
            else Sido.objects.filter(pk=str(sido_code)).first()
        )
        if sido is None:
            fail("sido", "invalid_choice", _("없는 시도입니다."))
    if sigungu is not None:
        if sido is None:
            sido = sigungu.sido
        elif sigungu.sido_id != sido.pk:
            fail("sigungu", "sigungu_not_in_sido", _("선택한 시군구가 시도에 속하지 않습니다."))
    out["sido"], out["sigungu"] = sido, sigungu
    industry_code = data.get("industry")
    out["industry"] = None
    if industry_code:
        industry = (
            industry_code
            if isinstance(industry_code, IndustryClass)
            else IndustryClass.objects.filter(pk=str(industry_code)).first()
        )
        if industry is None:
            fail("industry", "invalid_choice", _("없는 업종 코드입니다."))
        out["industry"] = industry
    size = _text(data.get("company_size"))
    if size and size not in CompanySize.values:
        fail("company_size", "invalid_choice", _("기업 규모를 목록에서 골라 주세요."))
    out["company_size"] = size
    # contact
    name = _text(data.get("contact_name"))[:60]
    if not name:
        fail("contact_name", "required", _("담당자 이름을 입력해 주세요."))
    out["contact_name"] = name
    phone = _text(data.get("contact_phone"))
    out["contact_phone"] = ""
    if phone:
        try:
            out["contact_phone"] = normalize_phone(phone)
        except ValidationError as exc:
            errors.setdefault("contact_phone", []).extend(exc.error_list)
    email = _text(data.get("contact_email")).lower()
    out["contact_email"] = ""
    if email:
        try:
            EmailValidator()(email)
            if len(email) > 254:
                raise ValidationError("too long")
            out["contact_email"] = email
        except ValidationError:
            fail("contact_email", "invalid_email", _("이메일 주소 형식이 올바르지 않습니다."))
    if channel in STAFF_INTAKE_CHANNELS:
        if not phone and not email:
            fail("contact_phone", "contact_required", _("연락처나 이메일 중 하나는 입력해 주세요."))
    elif not email:
        fail(
            "contact_email",
            "email_required",
            _("진행 상황 조회 링크를 보내 드릴 이메일 주소를 입력해 주세요."),
        )
    # request
    try:
        out["description"] = clean_description(data.get("description"))
    except DeskError as exc:
        errors.setdefault("description", []).extend(exc.error_dict["description"])
        out["description"] = ""
    title = _text(data.get("title"))
    if len(title) > TITLE_MAX_LENGTH:
        fail(
            "title",
            "max_length",
            _("제목은 %(limit)s자 이하로 입력해 주세요."),
            {"limit": TITLE_MAX_LENGTH},
        )
    if not title:
        first_line = out["description"].split("\n", 1)[0].strip()
        title = first_line if len(first_line) <= 60 else first_line[:59].rstrip() + "…"
    out["title"] = title[:TITLE_MAX_LENGTH]
    support = data.get("desired_support") or []
    if isinstance(support, str):
        support = [support]
    if not isinstance(support, list | tuple) or any(str(s) not in Category.values for s in support):
        fail("desired_support", "invalid_choice", _("희망 지원을 목록에서 골라 주세요."))
        support = []
    out["desired_support"] = list(dict.fromkeys(str(s) for s in support))
    for field in ("company_name", "title", "description", "contact_name"):
        try:
            reject_resident_number(out.get(field) or "")
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.error_list)
    # the directory link: explicit for staff and the organisation's own people, else by number
    org_value = data.get("organisation")
    out["organisation"] = None
    if org_value:
        try:
            org = _organisation(
                org_value, kinds=[k for k in OrganisationKind.values], field="organisation"
            )
        except DeskError as exc:
            errors.setdefault("organisation", []).extend(exc.error_dict["organisation"])
        else:
            roles = roles_of(actor)
            if roles.is_staff or org.pk in roles.organisation_ids:
                out["organisation"] = org
            else:
                fail("organisation", "organisation_invalid", _("선택할 수 없는 기관입니다."))
    if errors:
        raise ValidationError(errors)
    return out


def _link_organisation(cleaned: dict[str, Any]) -> None:
    """Without an explicit organisation, link the directory's by business number."""
    if cleaned["organisation"] is None and cleaned["business_number"]:
        cleaned["organisation"] = Organisation.objects.filter(
            business_number=cleaned["business_number"]
        ).first()


def submission_fingerprint(
    cleaned: Mapping[str, Any],
    *,
    channel: str,
    receiving_centre: Any = None,
    attachments: Sequence[tuple[Any, Any]] = (),
) -> str:
    """sha256 of a submission as the service stores it (``_clean_intake``'s output: trimmed
    text, digits of numbers, lower-case e-mail, codes of related rows), its channel, the
    requested receiving centre and the content digests of its files (in order)."""

    def plain(value: Any) -> Any:
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return str(getattr(value, "pk", value))

    centre = getattr(receiving_centre, "pk", receiving_centre)
    document = {
        "fields": {name: plain(cleaned.get(name)) for name in INTAKE_FIELDS},
        "channel": channel,
        "receiving_centre": None if centre in (None, "") else str(centre),
        "attachments": [info.sha256 for _upload, info in attachments],
    }
    return idempotency.fingerprint(document)


IDEMPOTENCY_CONFLICT_MESSAGE = _(
    "이 Idempotency-Key는 내용이 다른 접수에 이미 쓰였습니다. 새 접수에는 새 키를 써 주세요."
)


def _case_with_key(digest: str) -> Case | None:
    """The case an idempotency key already made (checked before any work; a concurrent
    submission with the same key can still commit first: the unique key then refuses the
    second insert and ``case_submit`` replays against the winner)."""
    return Case.objects.filter(idempotency_key=digest).first()


def _replay(existing: Case, fingerprint: str | None) -> SubmitResult:
    """A retry with a used key: the first case if the submission is the same (or the case
    predates fingerprints), else ``idempotency_conflict``."""
    if fingerprint is None or (
        existing.idempotency_fingerprint and existing.idempotency_fingerprint != fingerprint
    ):
        raise DeskError(
            "idempotency_conflict", IDEMPOTENCY_CONFLICT_MESSAGE, field="idempotency_key"
        )
    return SubmitResult(existing, False)


def _sniff_all(attachments: Sequence[Any]) -> list[tuple[Any, Any]]:
    """Check every upload before anything is written; all problems at once."""
    if len(attachments) > MAX_ATTACHMENTS_PER_UPLOAD:
        raise DeskError(
            "attachment_count",
            _("첨부 파일은 한 번에 %(limit)s개까지 올릴 수 있습니다."),
            field="attachments",
            params={"limit": MAX_ATTACHMENTS_PER_UPLOAD},
        )
    errors: list[ValidationError] = []
    out = []
    for upload in attachments:
        name = str(getattr(upload, "name", "") or "")
        try:
            out.append((upload, sniff(upload, name=name)))
        except AttachmentRejected as exc:
            errors.append(
                ValidationError(
                    _("%(name)s: %(problem)s"),
                    code=exc.code,
                    params={"name": name.rsplit("/", 1)[-1][:100] or "-", "problem": exc.message},
                )
            )
    if errors:
        raise ValidationError({"attachments": errors})
    return out


def _save_attachments(
    case: Case,
    sniffed: list[tuple[Any, Any]],
    *,
    actor: Any,
    message: CaseMessage | None = None,
    internal: bool = False,
    via_link: bool = False,
) -> list[CaseAttachment]:
    saved = []
    for upload, info in sniffed:
        upload.seek(0)
        content = upload.read()
        attachment = CaseAttachment(
            case=case,
            message=message,
            original_name=clean_filename(getattr(upload, "name", ""), info.kind),
            kind=info.kind,
            content_type=info.mime,
            size=info.size,
            sha256=info.sha256,
            is_internal=internal,
            uploaded_by=_user(actor),
            via_status_link=via_link,
        )
        attachment.file.save(f"upload.{info.kind}", ContentFile(content), save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def _allocate_sequence(year: int) -> int:
    """The next number of ``year``: ``UPDATE … SET last = last + 1`` holds the counter row's
    lock until the transaction ends, so concurrent submissions queue here and a rolled-back
    submission gives its number back."""
    counters = CaseNumberCounter.objects.filter(year=year)
    if not counters.update(last=F("last") + 1):
        CaseNumberCounter.objects.bulk_create(
            [CaseNumberCounter(year=year, last=0)], ignore_conflicts=True
        )
        counters.update(last=F("last") + 1)
    return int(counters.values_list("last", flat=True).get())


def default_intake_centre() -> Organisation | None:
    centre = (
        DeskCentre.objects.filter(is_national_intake=True)
        .select_related("organisation")
        .order_by("pk")
        .first()
    )
    return centre.organisation if centre else None


def case_submit(
    *,
    actor: Any,
    data: Mapping[str, Any],
    privacy_consent: bool,
    channel: str = Channel.WEB,
    attachments: Sequence[Any] = (),
    idempotency_key: str | None = None,
    receiving_centre: Organisation | int | None = None,
    ip_address: str | None = None,
) -> SubmitResult:
    """Receive a case from any channel.

    ``actor``: the logged-in requester (web/API), a centre staff member taking a call or a
    visit (``channel`` 1379/080/visit: the requester is then nobody), or ``None``/anonymous
    (web/API). ``data`` keys: ``INTAKE_FIELDS``.

    Idempotency: the key (scoped to the submitter) is stored with a fingerprint of the
    normalised submission (``submission_fingerprint``: the cleaned fields, channel, requested
    centre and file digests). A retry with the same key and the same submission returns the
    first case with ``created=False`` and writes nothing; with a different (or invalid, or
    unconsented) submission it raises ``DeskError("idempotency_conflict",
    field="idempotency_key")`` and writes nothing. Also under a race: the unique key lets one
    insert win and the other call replays against it.
    """
    if channel not in Channel.values:
        raise DeskError("channel_invalid", _("없는 접수 경로입니다."), field="channel")
    staff_intake = channel in STAFF_INTAKE_CHANNELS
    if staff_intake and not access.can_intake(actor):
        raise PermissionDenied
    key = _text(idempotency_key)
    if len(key) > idempotency.MAX_KEY_LENGTH:
        raise DeskError(
            "idempotency_key_invalid", _("중복 방지 키가 너무 깁니다."), field="idempotency_key"
        )
    digest = idempotency.digest(actor, key) if key else None
    existing = _case_with_key(digest) if digest else None
    try:
        if not privacy_consent:
            raise DeskError(
                "consent_required",
                _("개인정보 수집·이용에 동의해야 접수할 수 있습니다."),
                field="privacy_consent",
            )
        cleaned = _clean_intake(data, channel=channel, actor=actor)
        sniffed = _sniff_all(list(attachments))
    except ValidationError:
        if existing is not None:  # the key's first submission was valid: this one differs
            return _replay(existing, None)
        raise
    fingerprint = submission_fingerprint(
        cleaned, channel=channel, receiving_centre=receiving_centre, attachments=sniffed
    )
    if existing is not None:
        return _replay(existing, fingerprint)
    _link_organisation(cleaned)
    # the receiving centre
    centre: Organisation | None
    if receiving_centre is not None:
        centre = _organisation(receiving_centre, kinds=CENTRE_KINDS, field="receiving_centre")
        roles = roles_of(actor)
        if staff_intake and not roles.platform_admin:
            allowed = access.centre_scope(access.centre_ids(roles))
            if centre.pk not in allowed and not access.sees_all_cases(actor):
                raise DeskError(
                    "organisation_invalid",
                    _("선택할 수 없는 기관입니다."),
                    field="receiving_centre",
                )
    elif staff_intake:
        mine = sorted(access.centre_ids(roles_of(actor)))
        centre = (
            Organisation.objects.filter(pk=mine[0]).first() if mine else default_intake_centre()
        )
    else:
        centre = default_intake_centre()
    requester = None if staff_intake else _user(actor)
    try:
        with transaction.atomic():
            case = _create_case(
                cleaned,
                actor=actor,
                requester=requester,
                channel=channel,
                centre=centre,
                digest=digest,
                fingerprint=fingerprint if digest else "",
                staff_intake=staff_intake,
                sniffed=sniffed,
                ip_address=ip_address,
            )
    except IntegrityError:
        if digest:  # a concurrent submission with the same key committed first
            existing = Case.objects.filter(idempotency_key=digest).first()
            if existing is not None:
                return _replay(existing, fingerprint)
        raise
    return SubmitResult(case, True)


def _create_case(
    cleaned: dict[str, Any],
    *,
    actor: Any,
    requester: Any,
    channel: str,
    centre: Organisation | None,
    digest: str | None,
    fingerprint: str,
    staff_intake: bool,
    sniffed: list[tuple[Any, Any]],
    ip_address: str | None,
) -> Case:
    now = _now()
    year = timezone.localtime(now).year
    sequence = _allocate_sequence(year)
    version = settings.DURE_PRIVACY_NOTICE_VERSION
    consent = None
    if requester is not None:
        from dure.accounts.services import consent_record

        consent = consent_record(user=requester, version=version)
    first_days, resolution_days = sla_targets("")
    case = Case(
        number=f"{year}-{sequence:06d}",
        year=year,
        sequence=sequence,
        channel=channel,
        received_at=now,
        receiving_centre=centre,
        requester=requester,
        submitted_by=_user(actor) if staff_intake else None,
        consent_version=version,
        consent_at=now,
        consent=consent,
        idempotency_key=digest,
        idempotency_fingerprint=fingerprint,
        first_response_due_at=sla.add_business_days(now, first_days),
        resolution_due_at=sla.add_business_days(now, resolution_days),
        **cleaned,
    )
    case.save()
    files = _save_attachments(case, sniffed, actor=actor)
    _event(
        case,
        CaseEvent.Kind.SUBMITTED,
        actor=actor,
        to_status=Status.RECEIVED,
        data={
            "channel": channel,
            "attachments": [a.pk for a in files],
            "consent_version": version,
            "consent_recorded_by_staff": staff_intake,
        },
        ip_address=ip_address,
        at=now,
    )
    notifications.schedule(notifications.case_received, case.pk)
    return case


# --- triage ------------------------------------------------------------------------------------


def _recommended_acronyms(case: Case) -> list[str]:
    try:
        from dure.routing.services import recommend
    except ImportError:
        return []
    return [r.institute for r in recommend(case.routing_text, limit=5)]


def _record_routing_example(case: Case, actor: Any, institutes: list[str]) -> bool:
    try:
        from dure.routing.services import routing_example_record
    except ImportError:
        return False
    routing_example_record(
        actor=actor,
        text=case.routing_text,
        institutes=institutes,
        source="desk.case",
        source_id=case.pk,
    )
    return True


@transaction.atomic
def case_triage(
    *,
    actor: Any,
    case: Case,
    category: str,
    lead_institute: Organisation | int | str,
    priority: str = Priority.NORMAL,
    sido: Sido | str | None = None,
    collaborating_institutes: Sequence[Organisation | int | str] = (),
    recommended: Sequence[str] | None = None,
    note: str = "",
) -> Case:
    """Set category, priority, region and the lead (and collaborating) institutes.

    ``recommended``: the institute acronyms shown to staff, best first (computed with
    ``dure.routing`` when omitted); the event records whether the first was accepted or
    overridden. Allowed from received (→ triaged) and again from triaged/assigned/in_progress;
    changing the lead institute of an assigned case clears its team and assignee and sends it
    back to triaged."""
    case = _lock(case)
    _require(access.can_triage(actor, case))
    _require_status(
        case, (Status.RECEIVED, Status.TRIAGED, Status.ASSIGNED, Status.IN_PROGRESS), "triage"
    )
    if category not in Category.values:
        raise DeskError("category_invalid", _("분류를 목록에서 골라 주세요."), field="category")
    if priority not in Priority.values:
        raise DeskError("priority_invalid", _("우선순위를 목록에서 골라 주세요."), field="priority")
    lead = _organisation(
        lead_institute, kinds=[OrganisationKind.RESEARCH_INSTITUTE], field="lead_institute"
    )
    collaborators: list[Organisation] = []
    for value in collaborating_institutes:
        org = _organisation(
            value, kinds=[OrganisationKind.RESEARCH_INSTITUTE], field="collaborating_institutes"
        )
        if org.pk != lead.pk and org not in collaborators:
            collaborators.append(org)
    if len(collaborators) > MAX_COLLABORATING_INSTITUTES:
        raise DeskError(
            "too_many_institutes",
            _("협력 기관은 %(limit)s곳까지 지정할 수 있습니다."),
            field="collaborating_institutes",
            params={"limit": MAX_COLLABORATING_INSTITUTES},
        )
    region = None
    if sido is not None and sido != "":
        region = sido if isinstance(sido, Sido) else Sido.objects.filter(pk=str(sido)).first()
        if region is None:
            raise DeskError("sido_invalid", _("없는 시도입니다."), field="sido")
    note = _text(note)[:2000]
    now = _now()
    before = case.status
    previous_lead = case.lead_institute
    previous_collab = sorted(case.collaborating_institutes.values_list("acronym", flat=True))
    lead_changed = case.lead_institute_id != lead.pk
    shown = list(recommended) if recommended is not None else _recommended_acronyms(case)
    shown = [str(a) for a in shown][:10]
    decision = "none" if not shown else ("accepted" if shown[0] == lead.acronym else "overridden")

    case.category = category
    case.priority = priority
    if region is not None:
        case.sido = region
        if case.sigungu_id and not case.sigungu_id.startswith(region.pk):
            case.sigungu = None
    case.lead_institute = lead
    if case.status == Status.RECEIVED:
        case.status = Status.TRIAGED
    elif lead_changed and case.status in (Status.ASSIGNED, Status.IN_PROGRESS):
        case.status = Status.TRIAGED
        case.team = None
        case.assignee = None
    case.triaged_at = now
    _recompute_due(case, now=now)
    case.save()
    case.collaborating_institutes.set(collaborators)
    access.forget_case_roles(case)
    collab_acronyms = sorted(o.acronym for o in collaborators)
    recorded = False
    if lead_changed or collab_acronyms != previous_collab:
        recorded = _record_routing_example(
            case, actor, [lead.acronym, *[o.acronym for o in collaborators]]
        )
    _event(
        case,
        CaseEvent.Kind.TRIAGED,
        actor=actor,
        from_status=before,
        to_status=case.status,
        data={
            "category": category,
            "priority": priority,
            "sido": case.sido_id,
            "lead_institute": lead.acronym,
            "lead_institute_id": lead.pk,
            "previous_lead_institute": previous_lead.acronym if previous_lead else None,
            "collaborating_institutes": collab_acronyms,
            "recommended": shown,
            "recommended_first": shown[0] if shown else None,
            "decision": decision,
            "routing_example_recorded": recorded,
            "note": note,
        },
        at=now,
    )
    return case


# --- assignment ("one team, one SME") ----------------------------------------------------------


def _company_key(case: Case) -> dict[str, Any] | None:
    if case.business_number:
        return {"business_number": case.business_number}
    if case.organisation_id:
        return {"organisation_id": case.organisation_id}
    return None


def company_team_for(case: Case) -> Team | None:
    """The team the case's SME keeps at the case's lead institute, if any (and active)."""
    key = _company_key(case)
    if key is None or not case.lead_institute_id:
        return None
    link = (
        CompanyTeam.objects.filter(institute_id=case.lead_institute_id, team__is_active=True)
        .filter(**key)
        .select_related("team")
        .first()
    )
    if link is None and case.organisation_id and "business_number" in key:
        link = (
            CompanyTeam.objects.filter(
                institute_id=case.lead_institute_id,
                organisation_id=case.organisation_id,
                team__is_active=True,
            )
            .select_related("team")
            .first()
        )
    return link.team if link else None


def _remember_company_team(case: Case, team: Team, actor: Any) -> None:
    key = _company_key(case)
    if key is None:
        return
    CompanyTeam.objects.update_or_create(
        institute_id=team.institute_id,
        **key,
        defaults={"team": team, "updated_by": _user(actor)},
    )


def _eligible_assignee(user: Any, institute_id: int, team: Team | None) -> bool:
    if user is None or not user.is_active:
        return False
    if team is not None and TeamMember.objects.filter(team=team, user=user).exists():
        return True
    return Membership.objects.filter(
        user=user, organisation_id=institute_id, role__in=access.INSTITUTE_ROLES
    ).exists()


def _balanced_pick(team: Team, *, now: dt.datetime) -> Any:
    """The member with the fewest open cases; ties → least recently assigned, then lowest id.
    The team row is locked first, so concurrent picks for one team queue."""
    Team.objects.select_for_update().filter(pk=team.pk).first()
    open_cases = (
        Case.objects.filter(assignee_id=OuterRef("user_id"), status__in=WORKLOAD_STATUSES)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    member = (
        TeamMember.objects.filter(team=team, user__is_active=True)
        .annotate(open_cases=Coalesce(Subquery(open_cases, output_field=IntegerField()), Value(0)))
        .order_by("open_cases", F("last_assigned_at").asc(nulls_first=True), "user_id")
        .select_related("user")
        .first()
    )
    if member is None:
        return None
    TeamMember.objects.filter(pk=member.pk).update(last_assigned_at=now)
    return member.user


@transaction.atomic
def case_assign(
    *,
    actor: Any,
    case: Case,
    team: Team | int | None = None,
    assignee: Any = None,
    remember: bool = True,
    note: str = "",
) -> Case:
    """Give the case to a team and/or a researcher of its lead institute.

    Without ``team`` and ``assignee`` the SME's own team at that institute is used
    (``company_team_for``); a team with ``auto_assign`` and no ``assignee`` picks the member
    with the fewest open cases. ``remember`` keeps the chosen team as the SME's team for later
    cases. Allowed from triaged (→ assigned) and assigned/in_progress/waiting (reassignment)."""
    case = _lock(case)
    _require(access.can_assign(actor, case))
    _require_status(
        case, (Status.TRIAGED, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING), "assign"
    )
    institute_id = case.lead_institute_id
    if institute_id is None:  # pragma: no cover - triaged implies a lead institute
        raise DeskError("lead_institute_required", _("주관 연구기관을 먼저 정해 주세요."))
    now = _now()
    chosen: Team | None = None
    if team is not None:
        chosen = team if isinstance(team, Team) else Team.objects.filter(pk=team).first()
        if chosen is None or not chosen.is_active or chosen.institute_id != institute_id:
            raise DeskError(
                "team_not_of_lead_institute",
                _("주관 연구기관의 사용 중인 팀만 배정할 수 있습니다."),
                field="team",
            )
    sticky = company_team_for(case)
    used_sticky = False
    if (
        chosen is None
        and sticky is not None
        and (assignee is None or TeamMember.objects.filter(team=sticky, user=assignee).exists())
    ):
        chosen, used_sticky = sticky, True
    if chosen is None and assignee is None:
        raise DeskError(
            "assignment_required",
            _("배정할 팀이나 담당 연구원을 골라 주세요."),
            field="team",
        )
    if assignee is not None and not _eligible_assignee(assignee, institute_id, chosen):
        raise DeskError(
            "assignee_not_eligible",
            _("주관 연구기관의 직원·연구원이나 팀원만 담당자로 지정할 수 있습니다."),
            field="assignee",
        )
    balanced = False
    if assignee is None and chosen is not None and chosen.auto_assign:
        assignee = _balanced_pick(chosen, now=now)
        balanced = assignee is not None
    elif assignee is not None and chosen is not None:
        TeamMember.objects.filter(team=chosen, user=assignee).update(last_assigned_at=now)
    before = case.status
    previous = {"team": case.team_id, "assignee": case.assignee_id}
    case.team = chosen
    case.assignee = assignee
    case.assigned_at = now
    if case.status == Status.TRIAGED:
        case.status = Status.ASSIGNED
    case.save()
    if remember and chosen is not None and not used_sticky:
        _remember_company_team(case, chosen, actor)
    event = _event(
        case,
        CaseEvent.Kind.ASSIGNED,
        actor=actor,
        from_status=before,
        to_status=case.status,
        data={
            "team": chosen.pk if chosen else None,
            "team_name": chosen.name if chosen else None,
            "assignee": assignee.pk if assignee else None,
            "previous": previous,
            "company_team": used_sticky,
            "balanced": balanced,
            "note": _text(note)[:2000],
        },
        at=now,
    )
    notifications.schedule(notifications.case_assigned, event.pk)
    return case


# --- collaborators -----------------------------------------------------------------------------


def _home_institute(user: Any) -> Organisation | None:
    membership = (
        Membership.objects.filter(
            user=user,
            role__in=(Role.STAFF, Role.RESEARCHER),
            organisation__kind__in=[OrganisationKind.RESEARCH_INSTITUTE, *CENTRE_KINDS],
        )
        .select_related("organisation")
        .order_by("organisation__kind", "pk")
        .first()
    )
    return membership.organisation if membership else None


@transaction.atomic
def case_collaborator_add(*, actor: Any, case: Case, user: Any, note: str = "") -> CaseCollaborator:
    """Add a researcher or staff member of any institute or centre to the case (idempotent)."""
    case = _lock(case)
    _require(access.can_manage_collaborators(actor, case))
    if case.status == Status.CLOSED:
        raise DeskError("case_closed", _("종료된 건은 바꿀 수 없습니다."))
    institute = _home_institute(user) if user is not None and user.is_active else None
    if institute is None:
        raise DeskError(
            "collaborator_not_eligible",
            _("연구기관이나 센터의 직원·연구원만 협업자로 추가할 수 있습니다."),
            field="user",
        )
    link, created = CaseCollaborator.objects.get_or_create(
        case=case,
        user=user,
        defaults={"institute": institute, "note": _text(note)[:100], "added_by": _user(actor)},
    )
    access.forget_case_roles(case)
    if created:
        event = _event(
            case,
            CaseEvent.Kind.COLLABORATOR_ADDED,
            actor=actor,
            data={"user_id": user.pk, "institute": institute.acronym or institute.name},
            internal=True,
        )
        notifications.schedule(notifications.collaborator_added, event.pk)
    return link


@transaction.atomic
def case_collaborator_remove(*, actor: Any, case: Case, user: Any) -> bool:
    case = _lock(case)
    _require(access.can_manage_collaborators(actor, case))
    deleted, _rows = CaseCollaborator.objects.filter(case=case, user=user).delete()
    access.forget_case_roles(case)
    if deleted:
        _event(
            case,
            CaseEvent.Kind.COLLABORATOR_REMOVED,
            actor=actor,
            data={"user_id": user.pk},
            internal=True,
        )
    return bool(deleted)


# --- the workflow moves ------------------------------------------------------------------------


@transaction.atomic
def case_start(*, actor: Any, case: Case) -> Case:
    """assigned → in_progress."""
    case = _lock(case)
    _require(access.can_work(actor, case))
    _require_status(case, (Status.ASSIGNED,), "start")
    now = _now()
    case.status = Status.IN_PROGRESS
    case.started_at = case.started_at or now
    case.save()
    _event(
        case,
        CaseEvent.Kind.STARTED,
        actor=actor,
        from_status=Status.ASSIGNED,
        to_status=Status.IN_PROGRESS,
        at=now,
    )
    return case


@transaction.atomic
def case_wait_for_requester(*, actor: Any, case: Case, message: str = "") -> Case:
    """in_progress → waiting: the SLA clock stops until the requester answers (or staff
    resume). ``message`` (optional) is posted to the requester first, saying what is needed."""
    case = _lock(case)
    _require(access.can_work(actor, case))
    _require_status(case, (Status.IN_PROGRESS,), "wait")
    if _text(message):
        _post_message(case, body=message, actor=actor, via_link=False, internal=False)
    now = _now()
    case.status = Status.WAITING
    case.waiting_since = now
    case.save()
    _open_pause(case, CasePause.Reason.WAITING, now)
    _event(
        case,
        CaseEvent.Kind.WAITING,
        actor=actor,
        from_status=Status.IN_PROGRESS,
        to_status=Status.WAITING,
        at=now,
    )
    return case


def _resume(case: Case, *, actor: Any, via_link: bool, reason: str) -> None:
    now = _now()
    _close_pause(case, now)
    case.status = Status.IN_PROGRESS
    case.waiting_since = None
    _recompute_due(case, now=now)
    case.save()
    _event(
        case,
        CaseEvent.Kind.RESUMED,
        actor=actor,
        via_link=via_link,
        from_status=Status.WAITING,
        to_status=Status.IN_PROGRESS,
        data={"reason": reason},
        at=now,
    )


@transaction.atomic
def case_resume(*, actor: Any, case: Case) -> Case:
    """waiting → in_progress; the due dates move by the paused business time."""
    case = _lock(case)
    _require(access.can_work(actor, case))
    _require_status(case, (Status.WAITING,), "resume")
    _resume(case, actor=actor, via_link=False, reason="staff")
    return case


def _clean_url(value: str) -> str:
    url = _text(value)
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as exc:
        raise DeskError(
            "follow_up_url_invalid",
            _("후속 연계 링크는 http:// 또는 https:// 주소여야 합니다."),
            field="follow_up_url",
        ) from exc
    if len(url) > 300:
        raise DeskError(
            "follow_up_url_invalid", _("후속 연계 링크가 너무 깁니다."), field="follow_up_url"
        )
    return url


@transaction.atomic
def case_resolve(
    *,
    actor: Any,
    case: Case,
    outcome: str,
    summary: str = "",
    reason: str = "",
    follow_up_url: str = "",
    follow_up_reference: str = "",
) -> CaseResolution:
    """assigned/in_progress/waiting → resolved, with the outcome (a reason is required for
    "해결 불가") and a follow-up link; the requester is invited to the survey."""
    case = _lock(case)
    _require(access.can_work(actor, case))
    _require_status(case, (Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING), "resolve")
    if outcome not in Outcome.values:
        raise DeskError("outcome_invalid", _("해결 결과를 목록에서 골라 주세요."), field="outcome")
    reason = _text(reason)[:2000]
    if outcome == Outcome.UNSOLVABLE and not reason:
        raise DeskError("reason_required", _("해결 불가 사유를 입력해 주세요."), field="reason")
    url = _clean_url(follow_up_url)
    reference = _text(follow_up_reference)[:100]
    summary = _text(summary)[:5000]
    now = _now()
    before = case.status
    if before == Status.WAITING:
        _close_pause(case, now)
        case.waiting_since = None
    pauses = _pauses(case)
    business_seconds = sla.active_business_seconds(case.received_at, now, pauses)
    met = case.resolution_due_at is None or now <= case.resolution_due_at
    case.resolution_count += 1
    resolution = CaseResolution.objects.create(
        case=case,
        round=case.resolution_count,
        outcome=outcome,
        reason=reason,
        summary=summary,
        follow_up_url=url,
        follow_up_reference=reference,
        resolved_by=_user(actor),
        resolved_at=now,
        business_days=round(business_seconds / sla.DAY, 3),
        met_target=met,
    )
    case.status = Status.RESOLVED
    case.outcome = outcome
    case.resolved_at = now
    if case.first_response_at is None:  # the resolution notice is the first answer
        case.first_response_at = now
    case.save()
    _open_pause(case, CasePause.Reason.RESOLVED, now)
    event = _event(
        case,
        CaseEvent.Kind.RESOLVED,
        actor=actor,
        from_status=before,
        to_status=Status.RESOLVED,
        data={
            "round": resolution.round,
            "outcome": outcome,
            "met_target": met,
            "business_days": resolution.business_days,
            "follow_up_url": url,
            "follow_up_reference": reference,
        },
        at=now,
    )
    notifications.schedule(notifications.case_resolved, event.pk)
    return resolution


@transaction.atomic
def case_close(*, actor: Any, case: Case, reason: str = "") -> Case:
    """resolved → closed (staff, the lead institute, the assignee or the requester); or, with
    a ``reason``, dismiss an untreated case (received/triaged → closed; centre staff only: a
    duplicate, spam, a withdrawn request)."""
    case = _lock(case)
    _require(access.can_close(actor, case))
    _require_status(case, (Status.RESOLVED, Status.RECEIVED, Status.TRIAGED), "close")
    reason = _text(reason)[:2000]
    if case.status != Status.RESOLVED and not reason:
        raise DeskError(
            "reason_required",
            _("해결되지 않은 건을 종료하려면 사유를 입력해 주세요."),
            field="reason",
        )
    now = _now()
    before = case.status
    case.status = Status.CLOSED
    case.closed_at = now
    case.save()
    _event(
        case,
        CaseEvent.Kind.CLOSED,
        actor=actor,
        from_status=before,
        to_status=Status.CLOSED,
        data={"reason": reason, "dismissed": before != Status.RESOLVED},
        at=now,
    )
    return case


def reopen_window_days() -> int:
    return int(getattr(settings, "DURE_DESK_REOPEN_DAYS", DEFAULT_REOPEN_DAYS))


@transaction.atomic
def case_reopen(
    *,
    case: Case,
    actor: Any = None,
    status_token: str | None = None,
    reason: str = "",
) -> Case:
    """resolved/closed → in_progress within ``DURE_DESK_REOPEN_DAYS`` (30) days of the
    resolution; by staff, the lead institute, the assignee or the requester (logged in or by
    the status link). The time spent resolved does not count against the SLA."""
    case = _lock(case)
    via_link = bool(status_token)
    if via_link:
        _requester_by_token(case, str(status_token))
    else:
        _require(access.can_reopen(actor, case))
    _require_status(case, (Status.RESOLVED, Status.CLOSED), "reopen")
    now = _now()
    if case.resolved_at is None:
        raise DeskError(
            "reopen_not_resolved",
            _("해결되지 않고 종료된 건은 다시 열 수 없습니다. 새로 접수해 주세요."),
        )
    if now - case.resolved_at > dt.timedelta(days=reopen_window_days()):
        raise DeskError(
            "reopen_window_passed",
            _("해결 후 %(days)s일이 지나 다시 열 수 없습니다. 새로 접수해 주세요."),
            params={"days": reopen_window_days()},
        )
    before = case.status
    _close_pause(case, now)
    case.status = Status.IN_PROGRESS
    case.closed_at = None
    case.outcome = ""
    case.resolution_warned_at = None
    case.resolution_escalated_at = None
    _recompute_due(case, now=now)
    case.save()
    _event(
        case,
        CaseEvent.Kind.REOPENED,
        actor=None if via_link else actor,
        via_link=via_link,
        from_status=before,
        to_status=Status.IN_PROGRESS,
        data={"reason": _text(reason)[:2000]},
        at=now,
    )
    return case


# --- conversation ------------------------------------------------------------------------------


def _author_kind(actor: Any, case: Case) -> str:
    r = access.case_roles(actor, case)
    if r.admin:
        return CaseMessage.AuthorKind.ADMIN
    if r.centre:
        return CaseMessage.AuthorKind.CENTRE
    if r.lead_institute or r.collaborating_institute or r.assignee or r.team_member:
        return CaseMessage.AuthorKind.INSTITUTE
    if r.collaborator:
        return CaseMessage.AuthorKind.COLLABORATOR
    return CaseMessage.AuthorKind.REQUESTER


def _post_message(
    case: Case,
    *,
    body: str,
    actor: Any,
    via_link: bool,
    internal: bool,
    sniffed: list[tuple[Any, Any]] | None = None,
) -> CaseMessage:
    text = _text(body).replace("\r\n", "\n")
    if not text and not sniffed:
        raise DeskError("body_required", _("내용을 입력하거나 파일을 첨부해 주세요."), field="body")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise DeskError(
            "body_too_long",
            _("내용은 %(limit)s자 이하로 입력해 주세요."),
            field="body",
            params={"limit": f"{MESSAGE_MAX_LENGTH:,}"},
        )
    try:
        reject_resident_number(text)
    except ValidationError as exc:
        raise DeskError("resident_number", exc.messages[0], field="body") from exc
    kind = CaseMessage.AuthorKind.REQUESTER if via_link else _author_kind(actor, case)
    if internal and kind == CaseMessage.AuthorKind.REQUESTER:
        raise PermissionDenied
    now = _now()
    message = CaseMessage.objects.create(
        case=case,
        author=None if via_link else _user(actor),
        author_kind=kind,
        via_status_link=via_link,
        body=text,
        files_only=not text,
        is_internal=internal,
        created_at=now,
    )
    files = _save_attachments(
        case,
        sniffed or [],
        actor=None if via_link else actor,
        message=message,
        internal=internal,
        via_link=via_link,
    )
    _event(
        case,
        CaseEvent.Kind.NOTE if internal else CaseEvent.Kind.MESSAGE,
        actor=None if via_link else actor,
        via_link=via_link,
        data={
            "message": message.pk,
            "author_kind": kind,
            "attachments": [f.pk for f in files],
            "files_only": not text,
        },
        internal=internal,
        at=now,
    )
    if not internal and kind != CaseMessage.AuthorKind.REQUESTER and case.first_response_at is None:
        case.first_response_at = now
        met = case.first_response_due_at is None or now <= case.first_response_due_at
        case.save(update_fields=["first_response_at", "updated_at"])
        _event(
            case,
            CaseEvent.Kind.FIRST_RESPONSE,
            actor=actor,
            data={"message": message.pk, "met_target": met},
            at=now,
        )
    notifications.schedule(notifications.message_posted, message.pk)
    return message


@transaction.atomic
def case_message_post(
    *,
    case: Case,
    body: str,
    actor: Any = None,
    status_token: str | None = None,
    is_internal: bool = False,
    attachments: Sequence[Any] = (),
) -> CaseMessage:
    """Post a message (or, for the staff side, an internal note the requester never sees).

    ``body`` may be empty when ``attachments`` are given: files sent without text are a
    message with an empty body (``body_required`` only when there is neither). Every
    attachment belongs to a message, so it appears in the conversation where it was sent.

    Requesters post logged in (``actor``) or through their status link (``status_token``).
    The first public message from the staff side records the first response. A requester's
    message on a case waiting for them resumes it. Closed cases take no messages."""
    case = _lock(case)
    via_link = bool(status_token)
    if via_link:
        _requester_by_token(case, str(status_token))
        if is_internal:
            raise PermissionDenied
    else:
        _require(access.can_post(actor, case, internal=is_internal))
    if case.status == Status.CLOSED:
        raise DeskError(
            "case_closed",
            _("종료된 건에는 메시지를 남길 수 없습니다. 필요하면 다시 열거나 새로 접수해 주세요."),
        )
    sniffed = _sniff_all(list(attachments))
    message = _post_message(
        case, body=body, actor=actor, via_link=via_link, internal=is_internal, sniffed=sniffed
    )
    if message.author_kind == CaseMessage.AuthorKind.REQUESTER and case.status == Status.WAITING:
        _resume(case, actor=actor, via_link=via_link, reason="requester_message")
    return message


def case_attachments_add(
    *,
    case: Case,
    attachments: Sequence[Any],
    actor: Any = None,
    status_token: str | None = None,
    is_internal: bool = False,
) -> CaseMessage:
    """Send files without a message: ``case_message_post`` with an empty body (the same
    content checks, permission, event, audit row, first response and resume rules). At least
    one file (``attachments_required``)."""
    if not list(attachments):
        raise DeskError("attachments_required", _("올릴 파일을 골라 주세요."), field="attachments")
    return case_message_post(
        case=case,
        body="",
        actor=actor,
        status_token=status_token,
        is_internal=is_internal,
        attachments=attachments,
    )


# --- survey ------------------------------------------------------------------------------------


@transaction.atomic
def case_survey_submit(
    *,
    case: Case,
    rating: int,
    comment: str = "",
    actor: Any = None,
    status_token: str | None = None,
) -> CaseSurvey:
    """The requester rates the latest resolution 1–5 (once per resolution), logged in or
    through the status link."""
    case = _lock(case)
    via_link = bool(status_token)
    if via_link:
        _requester_by_token(case, str(status_token))
    else:
        _require(access.case_roles(actor, case).requester)
    if case.status not in (Status.RESOLVED, Status.CLOSED) or case.resolution_count == 0:
        raise DeskError(
            "survey_not_open", _("처리가 완료된 뒤에 만족도 조사에 응답할 수 있습니다.")
        )
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise DeskError("rating_invalid", _("만족도는 1에서 5 사이로 골라 주세요."), field="rating")
    resolution = case.resolutions.get(round=case.resolution_count)
    if CaseSurvey.objects.filter(resolution=resolution).exists():
        raise DeskError("survey_already_answered", _("이미 만족도 조사에 응답하셨습니다."))
    try:
        with transaction.atomic():
            survey = CaseSurvey.objects.create(
                resolution=resolution,
                case=case,
                rating=value,
                comment=_text(comment)[:2000],
                via_status_link=via_link,
            )
    except IntegrityError as exc:  # pragma: no cover - the case row lock serialises answers
        raise DeskError("survey_already_answered", _("이미 만족도 조사에 응답하셨습니다.")) from exc
    _event(
        case,
        CaseEvent.Kind.SURVEY,
        actor=None if via_link else actor,
        via_link=via_link,
        data={"round": resolution.round, "rating": value},
    )
    return survey


# --- status links ------------------------------------------------------------------------------


@transaction.atomic
def case_status_link_rotate(*, actor: Any, case: Case, send: bool = True) -> Case:
    """New secret: every link sent before stops working. With ``send`` the contact e-mail
    receives the new link. Staff side or the requester (logged in)."""
    case = _lock(case)
    r = access.case_roles(actor, case)
    _require(r.staff_side or r.requester)
    case.status_secret = new_status_secret()
    case.save(update_fields=["status_secret", "updated_at"])
    event = _event(case, CaseEvent.Kind.LINK_ROTATED, actor=actor, internal=True)
    if send:
        notifications.schedule(notifications.status_link_sent, event.pk)
    return case


def status_token_for(*, case: Case) -> str:
    """A fresh signed token for the case's status link (e.g. for the receipt page right after
    submission)."""
    return links.make_token(case)


# --- teams -------------------------------------------------------------------------------------


@transaction.atomic
def team_create(
    *, actor: Any, institute: Organisation | int, name: str, auto_assign: bool = False
) -> Team:
    org = _organisation(institute, kinds=[OrganisationKind.RESEARCH_INSTITUTE], field="institute")
    _require(actor is None or access.can_manage_team(actor, org.pk))
    name = _text(name)[:60]
    if not name:
        raise DeskError("name_required", _("팀 이름을 입력해 주세요."), field="name")
    if Team.objects.filter(institute=org, name=name).exists():
        raise DeskError("team_exists", _("같은 이름의 팀이 이미 있습니다."), field="name")
    team = Team.objects.create(institute=org, name=name, auto_assign=auto_assign)
    audit_record(actor=actor, action="desk.team.create", obj=team, changes={"name": name})
    return team


@transaction.atomic
def team_update(
    *,
    actor: Any,
    team: Team,
    name: str | None = None,
    auto_assign: bool | None = None,
    is_active: bool | None = None,
) -> Team:
    team = Team.objects.select_for_update().get(pk=team.pk)
    _require(actor is None or access.can_manage_team(actor, team.institute_id))
    changes: dict[str, Any] = {}
    if name is not None:
        cleaned = _text(name)[:60]
        if not cleaned:
            raise DeskError("name_required", _("팀 이름을 입력해 주세요."), field="name")
        if (
            Team.objects.filter(institute_id=team.institute_id, name=cleaned)
            .exclude(pk=team.pk)
            .exists()
        ):
            raise DeskError("team_exists", _("같은 이름의 팀이 이미 있습니다."), field="name")
        changes["name"] = [team.name, cleaned]
        team.name = cleaned
    if auto_assign is not None and auto_assign != team.auto_assign:
        changes["auto_assign"] = [team.auto_assign, auto_assign]
        team.auto_assign = auto_assign
    if is_active is not None and is_active != team.is_active:
        changes["is_active"] = [team.is_active, is_active]
        team.is_active = is_active
    if changes:
        team.save()
        audit_record(actor=actor, action="desk.team.update", obj=team, changes=changes)
    return team


@transaction.atomic
def team_member_add(*, actor: Any, team: Team, user: Any) -> TeamMember:
    """Members are staff or researchers of the team's institute (idempotent)."""
    _require(actor is None or access.can_manage_team(actor, team.institute_id))
    if not Membership.objects.filter(
        user=user, organisation_id=team.institute_id, role__in=access.INSTITUTE_ROLES
    ).exists():
        raise DeskError(
            "member_not_of_institute",
            _("팀의 연구기관에 소속된 직원·연구원만 팀원이 될 수 있습니다."),
            field="user",
        )
    member, created = TeamMember.objects.get_or_create(team=team, user=user)
    if created:
        audit_record(
            actor=actor,
            action="desk.team.member_add",
            obj=team,
            changes={"user": user.get_username()},
        )
    return member


@transaction.atomic
def team_member_remove(*, actor: Any, team: Team, user: Any) -> bool:
    _require(actor is None or access.can_manage_team(actor, team.institute_id))
    deleted, _rows = TeamMember.objects.filter(team=team, user=user).delete()
    if deleted:
        audit_record(
            actor=actor,
            action="desk.team.member_remove",
            obj=team,
            changes={"user": user.get_username()},
        )
    return bool(deleted)


@transaction.atomic
def company_team_set(
    *,
    actor: Any,
    team: Team,
    business_number: str = "",
    organisation: Organisation | None = None,
) -> CompanyTeam:
    """Make ``team`` the SME's team at the team's institute (staff of that institute)."""
    _require(
        actor is None
        or access.can_manage_team(actor, team.institute_id)
        or access.sees_all_cases(actor)
    )
    number = ""
    if business_number:
        try:
            number = normalize_business_number(business_number)
        except ValidationError as exc:
            raise ValidationError({"business_number": exc.error_list}) from exc
    if not number and organisation is None:
        raise DeskError(
            "company_required", _("사업자등록번호나 기관을 지정해 주세요."), field="business_number"
        )
    key: dict[str, Any] = {"business_number": number} if number else {"organisation": organisation}
    link, _created = CompanyTeam.objects.update_or_create(
        institute_id=team.institute_id,
        **key,
        defaults={
            "team": team,
            "updated_by": _user(actor),
            **({"organisation": organisation} if number and organisation else {}),
        },
    )
    audit_record(
        actor=actor,
        action="desk.company_team.set",
        obj=link,
        changes={
            "team": team.pk,
            "business_number": number,
            "organisation": getattr(organisation, "pk", None),
        },
    )
    return link


# --- SLA: warnings and escalation --------------------------------------------------------------


def _overdue_filter(field: str, now: dt.datetime) -> Q:
    """Past due while the clock runs, or already past due when a pause began."""
    return (~Q(status=Status.WAITING) & Q(**{f"{field}__lt": now})) | Q(
        status=Status.WAITING, **{f"{field}__lt": F("waiting_since")}
    )


def _managers(case: Case) -> tuple[list[int], list[str]]:
    centres = DeskCentre.objects.filter(
        Q(organisation_id=case.receiving_centre_id) | Q(is_national_intake=True)
    ).order_by("-is_national_intake")
    own = [c for c in centres if c.organisation_id == case.receiving_centre_id]
    chosen = [c for c in own if c.manager_id or c.email] or [
        c for c in centres if c.manager_id or c.email
    ]
    return (
        sorted({c.manager_id for c in chosen if c.manager_id}),
        sorted({c.email for c in chosen if c.email}),
    )


def _flag_once(case_id: int, field: str, now: dt.datetime) -> bool:
    return bool(
        Case.objects.filter(pk=case_id, **{f"{field}__isnull": True}).update(**{field: now})
    )


def sla_escalate(*, now: dt.datetime | None = None) -> EscalationReport:
    """Warn the people working on a case whose first response or resolution is due within one
    business day, and escalate overdue cases to the centre manager (the receiving centre's,
    else the national intake centre's). Idempotent: each warning and each escalation happens
    once per due date (a flag set with a conditional UPDATE), with an event and one e-mail."""
    now = now or _now()
    horizon = sla.add_business_days(now, 1)
    warned = escalated = 0
    open_cases = Case.objects.exclude(status__in=[Status.RESOLVED, Status.CLOSED])
    plans: list[tuple[str, str, str, QuerySet[Case]]] = [
        (
            "first_response",
            "first_response_due_at",
            "first_response_escalated_at",
            open_cases.filter(first_response_at__isnull=True),
        ),
        ("resolution", "resolution_due_at", "resolution_escalated_at", open_cases),
    ]
    for sla_name, due_field, flag, qs in plans:
        warn_flag = flag.replace("escalated", "warned")
        due_soon = qs.exclude(status=Status.WAITING).filter(
            **{f"{due_field}__gte": now, f"{due_field}__lte": horizon, f"{warn_flag}__isnull": True}
        )
        for case_id in list(due_soon.values_list("pk", flat=True)):
            with transaction.atomic():
                if not _flag_once(case_id, warn_flag, now):
                    continue
                case = Case.objects.get(pk=case_id)
                event = _event(
                    case,
                    CaseEvent.Kind.SLA_WARNING,
                    data={"sla": sla_name, "due": getattr(case, due_field).isoformat()},
                    internal=True,
                    at=now,
                )
                notifications.schedule(notifications.sla_warning, event.pk)
                warned += 1
        overdue = qs.filter(_overdue_filter(due_field, now), **{f"{flag}__isnull": True})
        for case_id in list(overdue.values_list("pk", flat=True)):
            with transaction.atomic():
                if not _flag_once(case_id, flag, now):
                    continue
                case = Case.objects.get(pk=case_id)
                manager_ids, emails = _managers(case)
                event = _event(
                    case,
                    CaseEvent.Kind.ESCALATED,
                    data={
                        "sla": sla_name,
                        "due": getattr(case, due_field).isoformat(),
                        "manager_ids": manager_ids,
                        "centre_emails": emails,
                    },
                    internal=True,
                    at=now,
                )
                notifications.schedule(notifications.escalated, event.pk)
                escalated += 1
    return EscalationReport(warned=warned, escalated=escalated)
