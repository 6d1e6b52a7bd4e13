"""Use cases of a cooperative's governance. Each runs in one transaction with its audit row,
re-checks the actor's permission (``PermissionDenied``) and raises ``ValidationError`` with a
Korean message and a stable code; nothing is half-written.

The Act's rules come from ``rules.py`` (resolution per matter, quorum, notice periods, proxy
and share-cap rules, the arithmetic in words); this module applies them to the record under
row locks:

- the cooperative's ``CoopSettings`` row is the per-cooperative lock for the register (member
  numbers, the 30 % share cap);
- the agenda item row is locked while a ballot is cast, a tally entered or the item closed, so
  a ballot never lands after the close and a result is computed from a settled record;
- one attendance per member per assembly, one ballot per member per item and one represented
  member per proxy are unique constraints: a double click or a race ends in an
  ``IntegrityError`` that becomes a clear message, with nothing changed.

State machines: an assembly goes draft → convened → notice_sent → in_session → closed
(``models.ASSEMBLY_TRANSITIONS``); an item pending → open → closed, and a closed item never
changes (a re-vote is a new item); minutes draft → locked, amendments are new versions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dure.core.audit import audit_record
from dure.directory.models import Organisation, OrganisationKind, Role

from . import access, rules
from .models import (
    ASSEMBLY_TRANSITIONS,
    DEPARTED_STATUSES,
    AgendaItem,
    Assembly,
    AssemblyKind,
    AssemblyStatus,
    Attendance,
    Ballot,
    BallotReceipt,
    Candidate,
    CapitalRefund,
    CheckInMethod,
    Choice,
    CoopSettings,
    Delegate,
    DelegateElectionMethod,
    DuesPayment,
    DuesSchedule,
    ExpulsionCase,
    ExpulsionGround,
    ExpulsionStatus,
    Founder,
    FoundingConsent,
    ItemStatus,
    Matter,
    Member,
    MemberKind,
    MemberStatus,
    Minutes,
    MinutesSignature,
    MinutesStatus,
    Notice,
    Office,
    OfficerTerm,
    Proxy,
    RecordingMode,
    RefundPaymentMethod,
    RefundStatus,
    ShareIssue,
    SignerRole,
    StakeholderType,
    Tally,
)
from .tasks import email_notice

CHECKIN_SALT = "dure.governance.checkin"
SHARE_CAP_BP = 3000  # art. 22②: no member above 30 % of all shares
NOTICE_DAYS = 7  # art. 28③
EXPULSION_NOTICE_DAYS = 10  # art. 25②
MIN_MINUTES_MEMBER_SIGNERS = 3  # art. 30
DELEGATE_CAP_MAX = 100_000  # a sanity bound on the cooperative's own cap on delegates


def _error(message: str, code: str, field: str | None = None) -> ValidationError:
    if field:
        return ValidationError({field: ValidationError(message, code=code)})
    return ValidationError(message, code=code)


def _require_manager(actor: Any, organisation_id: int) -> None:
    if not access.can_manage(actor, organisation_id):
        raise PermissionDenied


def _settings_locked(organisation_id: int) -> CoopSettings:
    """The cooperative's settings row, locked: the per-cooperative mutex of the register."""
    CoopSettings.objects.get_or_create(organisation_id=organisation_id)
    return CoopSettings.objects.select_for_update().get(organisation_id=organisation_id)


def coop_settings(organisation: Organisation) -> CoopSettings:
    obj, _created = CoopSettings.objects.get_or_create(organisation=organisation)
    return obj


def _meeting_date(assembly: Assembly) -> dt.date:
    return timezone.localtime(assembly.scheduled_at).date()


# --- settings ----------------------------------------------------------------------------------


@transaction.atomic
def settings_update(
    *,
    actor: Any,
    organisation: Organisation,
    remote_voting_enabled: bool,
    fiscal_year_end_month: int | None = None,
    delegate_cap: int | None = None,
) -> CoopSettings:
    """``delegate_cap``: the cooperative's cap on the required number of delegates (its
    articles). Delegates are at least 10 % of the members, which may be capped at 100 (art. 31,
    ``rules.DELEGATE_CAP``): a cap below 100 would let a large cooperative elect too few."""
    _require_manager(actor, organisation.pk)
    if delegate_cap is not None and (
        isinstance(delegate_cap, bool)
        or not isinstance(delegate_cap, int)
        or not rules.DELEGATE_CAP <= delegate_cap <= DELEGATE_CAP_MAX
    ):
        raise _error(
            _(
                "대의원 정수 상한은 %(min)s명 이상 %(max)s명 이하의 정수로 입력해 주세요. "
                "대의원은 조합원의 100분의 10 이상이어야 하며, 상한을 두더라도 100명 아래로 정할 "
                "수 없습니다 (협동조합 기본법 제31조)."
            )
            % {"min": rules.DELEGATE_CAP, "max": f"{DELEGATE_CAP_MAX:,}"},
            "invalid_delegate_cap",
            "delegate_cap",
        )
    row = _settings_locked(organisation.pk)
    row.remote_voting_enabled = bool(remote_voting_enabled)
    if fiscal_year_end_month is not None:
        if not 1 <= fiscal_year_end_month <= 12:
            raise _error(
                _("회계연도 종료 월은 1~12입니다."), "invalid_month", "fiscal_year_end_month"
            )
        row.fiscal_year_end_month = fiscal_year_end_month
    if delegate_cap is not None:
        row.delegate_cap = delegate_cap
    row.save()
    audit_record(
        actor=actor,
        action="governance.settings_update",
        obj=row,
        changes={
            "remote_voting_enabled": row.remote_voting_enabled,
            "delegate_cap": row.delegate_cap,
        },
    )
    return row


# --- member register ---------------------------------------------------------------------------


def _next_member_number(organisation_id: int) -> int:
    top = Member.objects.filter(organisation_id=organisation_id).aggregate(m=Max("number"))["m"]
    return (top or 0) + 1


@transaction.atomic
def member_register(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    joined_on: dt.date,
    kind: str = MemberKind.PERSON,
    stakeholder_type: str = StakeholderType.CONSUMER,
    email: str = "",
    phone: str = "",
    address: str = "",
    user: Any = None,
    audit: bool = True,
) -> Member:
    """Enter a member in the register (officers). The number is the next free one."""
    if actor is not None:
        _require_manager(actor, organisation.pk)
    if not organisation.is_cooperative:
        raise _error(_("협동조합만 조합원 명부를 둘 수 있습니다."), "not_cooperative")
    name = (name or "").strip()
    if not name:
        raise _error(_("성명을 입력하세요."), "required", "name")
    if kind not in MemberKind.values:
        raise _error(_("조합원 구분이 올바르지 않습니다."), "invalid_kind", "kind")
    if stakeholder_type not in StakeholderType.values:
        raise _error(
            _("이해관계자 유형이 올바르지 않습니다."), "invalid_stakeholder", "stakeholder_type"
        )
    if joined_on > timezone.localdate():
        raise _error(_("가입일은 오늘 이후일 수 없습니다."), "joined_in_future", "joined_on")
    _settings_locked(organisation.pk)
    if user is not None and Member.objects.filter(organisation=organisation, user=user).exists():
        raise _error(_("이 계정은 이미 조합원 명부에 있습니다."), "duplicate_account", "user")
    member = Member.objects.create(
        organisation=organisation,
        number=_next_member_number(organisation.pk),
        name=name,
        kind=kind,
        stakeholder_type=stakeholder_type,
        joined_on=joined_on,
        email=email,
        phone=phone,
        address=address,
        user=user,
    )
    if audit:
        audit_record(actor=actor, action="governance.member_register", obj=member)
    return member


ALLOWED_STATUS_CHANGES = {
    MemberStatus.ACTIVE: {
        MemberStatus.WITHDRAWN,
        MemberStatus.LOST_ELIGIBILITY,
        MemberStatus.DECEASED,
    },
}


@transaction.atomic
def member_status_change(
    *, actor: Any, member: Member, status: str, on: dt.date, reason: str
) -> Member:
    """Withdrawal, loss of eligibility or death (officers). Expulsion only follows a special
    resolution (``item_close``)."""
    _require_manager(actor, member.organisation_id)
    member = Member.objects.select_for_update().get(pk=member.pk)
    if status not in ALLOWED_STATUS_CHANGES.get(MemberStatus(member.status), set()):
        raise _error(
            _("이 상태로 바꿀 수 없습니다. 제명은 총회 특별결의로만 합니다."),
            "invalid_status",
            "status",
        )
    if not (reason or "").strip():
        raise _error(_("사유를 입력하세요."), "required", "reason")
    member.status = status
    member.status_changed_on = on
    member.status_reason = reason.strip()
    member.save()
    audit_record(
        actor=actor, action="governance.member_status", obj=member, changes={"status": status}
    )
    # Capital refunds: leaving opens the refund of the member's paid-in capital (art. 26).
    capital_refund_open(actor=actor, member=member)
    return member


def _common_share_totals(organisation_id: int) -> tuple[dict[int, int], int]:
    rows = (
        ShareIssue.objects.filter(
            member__organisation_id=organisation_id,
            member__status=MemberStatus.ACTIVE,
            preferred=False,
        )
        .values("member_id")
        .annotate(n=Sum("count"))
    )
    per_member = {r["member_id"]: r["n"] for r in rows}
    return per_member, sum(per_member.values())


@dataclass(frozen=True)
class ShareRequest:
    member: Member
    count: int
    unit_price: int
    preferred: bool = False
    paid: bool = False


@transaction.atomic
def shares_issue_bulk(
    *,
    actor: Any,
    organisation: Organisation,
    requests: Sequence[ShareRequest],
    on: dt.date | None = None,
) -> list[ShareIssue]:
    """Subscribe shares for several members at once (a founding subscription): the 30 % cap
    is checked on the state after all of them, under the cooperative's lock."""
    if actor is not None:
        _require_manager(actor, organisation.pk)
    _settings_locked(organisation.pk)
    on = on or timezone.localdate()
    per_member, total = _common_share_totals(organisation.pk)
    for req in requests:
        if (
            req.member.organisation_id != organisation.pk
            or req.member.status != MemberStatus.ACTIVE
        ):
            raise _error(
                _("이 협동조합의 조합원에게만 출자를 받을 수 있습니다."), "not_member", "member"
            )
        if req.count <= 0:
            raise _error(_("좌수는 1 이상이어야 합니다."), "invalid_count", "count")
        if req.unit_price <= 0:
            raise _error(_("1좌 금액은 1원 이상이어야 합니다."), "invalid_unit_price", "unit_price")
        if not req.preferred:
            per_member[req.member.pk] = per_member.get(req.member.pk, 0) + req.count
            total += req.count
    for req in requests:
        if req.preferred:
            continue
        problem = rules.share_cap_violation(per_member[req.member.pk], total, cap_bp=SHARE_CAP_BP)
        if problem:
            raise _error(problem, "share_cap", "count")
    issued = ShareIssue.objects.bulk_create(
        [
            ShareIssue(
                member=req.member,
                count=req.count,
                unit_price=req.unit_price,
                preferred=req.preferred,
                paid=req.paid,
                paid_on=on if req.paid else None,
                issued_on=on,
            )
            for req in requests
        ]
    )
    audit_record(
        actor=actor,
        action="governance.shares_issue",
        obj=organisation,
        changes={"issues": [[r.member.pk, r.count, r.unit_price, r.preferred] for r in requests]},
    )
    return issued


def shares_issue(
    *,
    actor: Any,
    member: Member,
    count: int,
    unit_price: int,
    preferred: bool = False,
    paid: bool = False,
    on: dt.date | None = None,
) -> ShareIssue:
    """One member subscribes shares (officers); refused if the member would hold more than
    30 % of all ordinary shares afterwards (art. 22②)."""
    return shares_issue_bulk(
        actor=actor,
        organisation=member.organisation,
        requests=[ShareRequest(member, count, unit_price, preferred, paid)],
        on=on,
    )[0]


@transaction.atomic
def dues_payment_record(
    *, actor: Any, member: Member, schedule: DuesSchedule, year: int, paid_on: dt.date
) -> DuesPayment:
    _require_manager(actor, member.organisation_id)
    if schedule.organisation_id != member.organisation_id:
        raise _error(_("이 협동조합의 회비가 아닙니다."), "wrong_schedule", "schedule")
    if year < schedule.starts_year or year > timezone.localdate().year + 1:
        raise _error(_("귀속 연도가 올바르지 않습니다."), "invalid_year", "year")
    try:
        with transaction.atomic():
            payment = DuesPayment.objects.create(
                schedule=schedule, member=member, year=year, amount=schedule.amount, paid_on=paid_on
            )
    except IntegrityError as exc:
        raise _error(
            _("이 연도의 회비는 이미 납부 처리되었습니다."), "already_paid", "year"
        ) from exc
    audit_record(actor=actor, action="governance.dues_payment", obj=payment)
    return payment


# --- assemblies --------------------------------------------------------------------------------


@transaction.atomic
def assembly_convene(
    *,
    actor: Any,
    organisation: Organisation,
    kind: str,
    title: str,
    scheduled_at: dt.datetime,
    place: str,
    purpose: str,
    board_decision: str = "",
    convened_on: dt.date | None = None,
) -> Assembly:
    """The chair convenes (art. 28) on the board's decision, recorded here. Officers only."""
    _require_manager(actor, organisation.pk)
    if kind not in AssemblyKind.values:
        raise _error(_("회의 종류가 올바르지 않습니다."), "invalid_kind", "kind")
    for field, value in (("title", title), ("place", place), ("purpose", purpose)):
        if not (value or "").strip():
            raise _error(_("필수 항목입니다."), "required", field)
    if timezone.is_naive(scheduled_at):
        scheduled_at = timezone.make_aware(scheduled_at)
    try:
        # In UTC: the database need not store the caller's offset (PostgreSQL refuses ±16 h+).
        scheduled_at = scheduled_at.astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise _error(_("일시가 올바르지 않습니다."), "invalid_datetime", "scheduled_at") from exc
    # A founding meeting is called by the founders (발기인), before there is a board.
    if (
        kind not in (AssemblyKind.BOARD, AssemblyKind.FOUNDING)
        and not (board_decision or "").strip()
    ):
        raise _error(
            _("총회 소집은 이사회 결의를 거쳐야 합니다. 결의 내용을 적어 주세요."),
            "board_decision_required",
            "board_decision",
        )
    if kind == AssemblyKind.DELEGATE:
        _require_delegate_assembly_allowed(organisation, timezone.localtime(scheduled_at).date())
    assembly = Assembly.objects.create(
        organisation=organisation,
        kind=kind,
        title=title.strip(),
        scheduled_at=scheduled_at,
        place=place.strip(),
        purpose=purpose.strip(),
        board_decision=(board_decision or "").strip(),
        convened_on=convened_on or timezone.localdate(),
        convened_by=actor,
        status=AssemblyStatus.CONVENED,
    )
    audit_record(actor=actor, action="governance.assembly_convene", obj=assembly)
    return assembly


def _transition(assembly: Assembly, to: str) -> None:
    if to not in ASSEMBLY_TRANSITIONS[AssemblyStatus(assembly.status)]:
        raise _error(
            _("지금 상태(%(status)s)에서는 할 수 없습니다.")
            % {"status": assembly.get_status_display()},
            "invalid_transition",
        )
    assembly.status = to


def _lock_assembly(assembly: Assembly) -> Assembly:
    return Assembly.objects.select_for_update().select_related("organisation").get(pk=assembly.pk)


@transaction.atomic
def agenda_item_add(
    *,
    actor: Any,
    assembly: Assembly,
    title: str,
    matter: str,
    description: str = "",
    is_report: bool = False,
    secret_ballot: bool = False,
    recording_mode: str = RecordingMode.TALLY,
    remote_voting: bool = False,
    candidates: Iterable[str] = (),
    revote_of: AgendaItem | None = None,
) -> AgendaItem:
    """Add an item; its matter decides the resolution (art. 29②). Before the session, or a
    re-vote during it."""
    _require_manager(actor, assembly.organisation_id)
    assembly = _lock_assembly(assembly)
    if assembly.status == AssemblyStatus.CLOSED:
        raise _error(_("폐회한 회의에는 안건을 더할 수 없습니다."), "assembly_closed")
    if assembly.status == AssemblyStatus.IN_SESSION and revote_of is None:
        raise _error(
            _("개회한 뒤에는 통지하지 않은 안건을 올릴 수 없습니다 (재표결만 가능)."),
            "assembly_in_session",
        )
    if matter not in Matter.values:
        raise _error(_("의결 사항 유형을 고르세요."), "invalid_matter", "matter")
    if recording_mode not in RecordingMode.values:
        raise _error(_("표결 기록 방식이 올바르지 않습니다."), "invalid_mode", "recording_mode")
    if not (title or "").strip():
        raise _error(_("안건 제목을 입력하세요."), "required", "title")
    # By the matter (art. 29②); a founding meeting always 2/3, a board a simple majority.
    resolution = rules.effective_resolution(assembly.rules_kind, matter)
    if remote_voting:
        allowed = rules.remote_voting_allowed(
            coop_switch_on=coop_settings(assembly.organisation).remote_voting_enabled,
            resolution=resolution,
        )
        if not allowed:
            raise _error(
                _(
                    "원격 전자투표는 협동조합 설정에서 켜고, 보통결의 안건에만 쓸 수 있습니다 "
                    "(현행법에 규정 없음)."
                ),
                "remote_not_allowed",
                "remote_voting",
            )
        recording_mode = RecordingMode.ELECTRONIC
    if assembly.kind == AssemblyKind.DELEGATE:
        problems = rules.delegate_assembly_errors(
            Member.objects.filter(
                organisation=assembly.organisation, status=MemberStatus.ACTIVE
            ).count(),
            assembly.voting_members
            if assembly.voting_members is not None
            else _voting_members(assembly),
            matter,
            _delegate_cap(assembly.organisation),
        )
        # A delegate assembly may not decide a merger, split or dissolution (art. 31⑤).
        if matter in (Matter.MERGER, Matter.SPLIT, Matter.DISSOLUTION) and problems:
            raise _error(problems[0], "delegate_matter", "matter")
    if revote_of is not None:
        if revote_of.assembly_id != assembly.pk or revote_of.status != ItemStatus.CLOSED:
            raise _error(
                _("재표결은 같은 회의의 마감된 안건에만 할 수 있습니다."), "invalid_revote"
            )
        if revote_of.is_report:
            raise _error(_("보고 안건은 재표결하지 않습니다."), "invalid_revote")
    order = (assembly.items.aggregate(m=Max("order"))["m"] or 0) + 1
    item = AgendaItem.objects.create(
        assembly=assembly,
        order=order,
        title=title.strip(),
        description=(description or "").strip(),
        matter=matter,
        resolution=resolution,
        is_report=is_report,
        secret_ballot=secret_ballot,
        recording_mode=recording_mode,
        remote_voting=remote_voting,
        revote_of=revote_of,
    )
    names = [n.strip() for n in candidates if n and n.strip()]
    if names:
        if matter != Matter.OFFICER_ELECTION:
            raise _error(
                _("후보자는 임원 선출 안건에만 둡니다."), "candidates_not_election", "candidates"
            )
        Candidate.objects.bulk_create([Candidate(item=item, name=n) for n in dict.fromkeys(names)])
    audit_record(actor=actor, action="governance.item_add", obj=item)
    return item


def notice_text(assembly: Assembly) -> str:
    """The notice (art. 28③): purpose, agenda, date/time and place."""
    when = timezone.localtime(assembly.scheduled_at)
    lines = [
        f"{assembly.organisation.name} {assembly.title} " + _("소집 통지"),
        "",
        _("일시: %(when)s") % {"when": when.strftime("%Y-%m-%d %H:%M")},
        _("장소: %(place)s") % {"place": assembly.place},
        _("목적: %(purpose)s") % {"purpose": assembly.purpose},
        "",
        _("안건"),
    ]
    for item in assembly.items.all().order_by("order"):
        kind = _("보고") if item.is_report else item.get_resolution_display()
        lines.append(f"{item.order}. {item.title} ({kind})")
    return "\n".join(lines)


@transaction.atomic
def notice_send(*, actor: Any, assembly: Assembly, sent_at: dt.datetime | None = None) -> Notice:
    """Send the notice: e-mail to members with an address (after commit), the rest on the
    printable mailing list; records when and whether it was in time (7 days, art. 28③)."""
    _require_manager(actor, assembly.organisation_id)
    assembly = _lock_assembly(assembly)
    if assembly.status not in (AssemblyStatus.CONVENED, AssemblyStatus.NOTICE_SENT):
        raise _error(_("소집 결정 뒤, 개회 전에만 통지할 수 있습니다."), "invalid_transition")
    if not assembly.items.exists():
        raise _error(_("안건을 먼저 올리세요. 통지에는 안건이 들어가야 합니다."), "no_items")
    if assembly.kind == AssemblyKind.FOUNDING:
        _require_founders(assembly)
    sent_at = sent_at or timezone.now()
    in_time = rules.notice_in_time(
        _meeting_date(assembly), timezone.localtime(sent_at).date(), days=NOTICE_DAYS
    )
    recipients = list(
        eligible_members(assembly).order_by("number").values("pk", "name", "email", "address")
    )
    body = notice_text(assembly)
    notice = Notice.objects.create(
        assembly=assembly,
        sent_at=sent_at,
        sent_by=actor,
        emailed=sum(1 for r in recipients if r["email"]),
        mailed=sum(1 for r in recipients if not r["email"]),
        recipients=[r["pk"] for r in recipients],
        in_time=in_time,
        body=body,
    )
    if assembly.status == AssemblyStatus.CONVENED:
        _transition(assembly, AssemblyStatus.NOTICE_SENT)
        assembly.save(update_fields=["status"])
    # e-mailed after commit (a rolled-back notice sends nothing), as a task: a mail server
    # failure is recorded on the task instead of failing the officer's request
    transaction.on_commit(lambda: email_notice.enqueue(notice.pk))
    audit_record(
        actor=actor, action="governance.notice_send", obj=assembly, changes={"in_time": in_time}
    )
    return notice


def _voting_members(assembly: Assembly) -> int:
    """Whom the quorum counts from: the directors of a board, the delegates in office on the
    meeting day (art. 31), the consent forms of a founding meeting (art. 15②), else all
    active members."""
    if assembly.kind == AssemblyKind.DELEGATE:
        return delegates_in_office(assembly.organisation_id, _meeting_date(assembly)).count()
    if assembly.kind == AssemblyKind.FOUNDING:
        return FoundingConsent.objects.filter(assembly=assembly).count()
    if assembly.kind == AssemblyKind.BOARD:
        today = timezone.localdate()
        directors = OfficerTerm.objects.filter(
            member__organisation=assembly.organisation,
            office__in=[Office.CHAIR, Office.DIRECTOR],
            starts_on__lte=today,
            ends_on__gte=today,
        ).count()
        return directors
    return Member.objects.filter(
        organisation=assembly.organisation, status=MemberStatus.ACTIVE
    ).count()


@transaction.atomic
def assembly_open(*, actor: Any, assembly: Assembly) -> Assembly:
    """Open the session: freezes the number of voting members the quorum counts from."""
    _require_manager(actor, assembly.organisation_id)
    assembly = _lock_assembly(assembly)
    _transition(assembly, AssemblyStatus.IN_SESSION)
    if assembly.kind == AssemblyKind.DELEGATE:
        _require_delegate_assembly_allowed(assembly.organisation, _meeting_date(assembly))
    if assembly.kind == AssemblyKind.FOUNDING:
        _require_founders(assembly)
        if not FoundingConsent.objects.filter(assembly=assembly).exists():
            raise _error(_("설립동의서를 낸 사람이 없어 창립총회를 열 수 없습니다."), "no_consents")
    assembly.voting_members = _voting_members(assembly)
    assembly.opened_at = timezone.now()
    assembly.save(update_fields=["status", "voting_members", "opened_at"])
    audit_record(actor=actor, action="governance.assembly_open", obj=assembly)
    return assembly


@transaction.atomic
def assembly_close(*, actor: Any, assembly: Assembly) -> Assembly:
    _require_manager(actor, assembly.organisation_id)
    assembly = _lock_assembly(assembly)
    if assembly.items.filter(status=ItemStatus.OPEN).exists():
        raise _error(_("표결 중인 안건을 먼저 마감하세요."), "items_open")
    _transition(assembly, AssemblyStatus.CLOSED)
    assembly.closed_at = timezone.now()
    assembly.save(update_fields=["status", "closed_at"])
    audit_record(actor=actor, action="governance.assembly_close", obj=assembly)
    return assembly


# --- check-in and proxies ----------------------------------------------------------------------


def _require_in_session(assembly: Assembly) -> None:
    if assembly.status != AssemblyStatus.IN_SESSION:
        raise _error(_("개회 중인 회의에서만 할 수 있습니다."), "not_in_session")


def _eligible_member(assembly: Assembly, member: Member, field: str = "member") -> None:
    """Who may attend and vote: at a founding meeting those who submitted a consent form, at
    a delegate assembly the delegates in office on the meeting day, else active members."""
    if member.organisation_id != assembly.organisation_id:
        raise _error(_("이 협동조합의 조합원이 아닙니다."), "not_member", field)
    if assembly.kind == AssemblyKind.FOUNDING:
        if not FoundingConsent.objects.filter(assembly=assembly, member=member).exists():
            raise _error(
                _("%(name)s 님은 이 창립총회에 설립동의서를 내지 않았습니다.")
                % {"name": member.name},
                "not_consenter",
                field,
            )
        return
    if member.status != MemberStatus.ACTIVE:
        raise _error(_("이 협동조합의 조합원이 아닙니다."), "not_member", field)
    if assembly.kind == AssemblyKind.DELEGATE:
        day = _meeting_date(assembly)
        if not delegates_in_office(assembly.organisation_id, day).filter(member=member).exists():
            raise _error(
                _(
                    "%(name)s 님은 대의원이 아닙니다: 대의원총회에는 회의일(%(date)s)에 임기 중인 "
                    "대의원만 출석하고 의결합니다 (제31조)."
                )
                % {"name": member.name, "date": day.isoformat()},
                "not_delegate",
                field,
            )


def eligible_members(assembly: Assembly) -> Any:
    """The register entries who may attend this assembly (see ``_eligible_member``)."""
    base = Member.objects.filter(organisation_id=assembly.organisation_id)
    if assembly.kind == AssemblyKind.FOUNDING:
        return base.filter(consents__assembly=assembly)
    base = base.filter(status=MemberStatus.ACTIVE)
    if assembly.kind == AssemblyKind.DELEGATE:
        in_office = delegates_in_office(assembly.organisation_id, _meeting_date(assembly))
        return base.filter(pk__in=in_office.values("member_id"))
    if assembly.kind == AssemblyKind.BOARD:
        return base.filter(pk__in=_director_ids(assembly))
    return base


@transaction.atomic
def member_check_in(
    *,
    actor: Any,
    assembly: Assembly,
    member: Member,
    method: str = CheckInMethod.LIST,
    proxy: Proxy | None = None,
) -> Attendance:
    """Record a member present (officers at the desk). Twice is refused, nothing changes."""
    _require_manager(actor, assembly.organisation_id)
    assembly = _lock_assembly(assembly)
    if assembly.status not in (
        AssemblyStatus.NOTICE_SENT,
        AssemblyStatus.IN_SESSION,
        AssemblyStatus.CONVENED,
    ):
        raise _error(_("출석은 개회 전후 회의 중에만 받습니다."), "not_in_session")
    _eligible_member(assembly, member)
    if assembly.kind == AssemblyKind.BOARD and member.pk not in _director_ids(assembly):
        raise _error(_("이사회에는 이사만 출석으로 셉니다."), "not_director", "member")
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                assembly=assembly,
                member=member,
                method=method,
                proxy=proxy,
                checked_in_at=timezone.now(),
                checked_in_by=actor,
            )
    except IntegrityError as exc:
        raise _error(
            _("%(name)s 님은 이미 출석했습니다.") % {"name": member.name},
            "already_checked_in",
            "member",
        ) from exc
    audit_record(actor=actor, action="governance.check_in", obj=attendance)
    return attendance


def _director_ids(assembly: Assembly) -> set[int]:
    today = timezone.localdate()
    return set(
        OfficerTerm.objects.filter(
            member__organisation=assembly.organisation,
            office__in=[Office.CHAIR, Office.DIRECTOR],
            starts_on__lte=today,
            ends_on__gte=today,
        ).values_list("member_id", flat=True)
    )


def checkin_token(assembly: Assembly, member: Member) -> str:
    """A signed token for a member's QR code: the desk scans it and confirms."""
    return signing.dumps({"a": assembly.pk, "m": member.pk}, salt=CHECKIN_SALT, compress=True)


def member_from_token(assembly: Assembly, token: str) -> Member:
    try:
        data = signing.loads(token, salt=CHECKIN_SALT, max_age=60 * 60 * 24 * 60)
    except signing.BadSignature as exc:
        raise _error(_("QR 코드가 올바르지 않습니다."), "bad_token") from exc
    if not isinstance(data, dict) or data.get("a") != assembly.pk:
        raise _error(_("이 회의의 QR 코드가 아닙니다."), "bad_token")
    member_id = data.get("m")
    if not isinstance(member_id, int):
        raise _error(_("QR 코드가 올바르지 않습니다."), "bad_token")
    try:
        return Member.objects.get(pk=member_id, organisation_id=assembly.organisation_id)
    except (Member.DoesNotExist, ValueError, TypeError) as exc:
        raise _error(_("QR 코드가 올바르지 않습니다."), "bad_token") from exc


@transaction.atomic
def checkins_bulk(
    *, assembly: Assembly, member_ids: Iterable[int], method: str = CheckInMethod.LIST
) -> int:
    """Record many members present at once (imports, the benchmark). Members already present
    are skipped; ids that are not active members of the cooperative are refused."""
    ids = list(dict.fromkeys(member_ids))
    eligible = eligible_members(assembly)
    if assembly.kind in (AssemblyKind.DELEGATE, AssemblyKind.FOUNDING, AssemblyKind.BOARD):
        allowed = set(eligible.values_list("pk", flat=True))
        unknown = [i for i in ids if i not in allowed]
        if unknown:
            message = {
                AssemblyKind.DELEGATE: _(
                    "대의원이 아닌 조합원이 있습니다: 대의원총회에는 임기 중인 대의원만 출석합니다 "
                    "(제31조): %(ids)s"
                ),
                AssemblyKind.FOUNDING: _("설립동의서를 내지 않은 사람이 있습니다: %(ids)s"),
                AssemblyKind.BOARD: _("이사회에는 이사만 출석으로 셉니다: %(ids)s"),
            }[AssemblyKind(assembly.kind)]
            raise _error(message % {"ids": unknown[:5]}, "not_eligible")
    active = (
        set(eligible.filter(pk__in=ids).values_list("pk", flat=True))
        if len(ids) < 5000
        else set(eligible.values_list("pk", flat=True))
    )
    unknown = [i for i in ids if i not in active]
    if unknown:
        raise _error(
            _("조합원이 아닌 번호가 있습니다: %(ids)s") % {"ids": unknown[:5]}, "not_member"
        )
    now = timezone.now()
    before = Attendance.objects.filter(assembly=assembly).count()
    Attendance.objects.bulk_create(
        [Attendance(assembly=assembly, member_id=i, method=method, checked_in_at=now) for i in ids],
        batch_size=5000,
        ignore_conflicts=True,
    )
    return Attendance.objects.filter(assembly=assembly).count() - before


@transaction.atomic
def proxy_register(
    *,
    actor: Any,
    assembly: Assembly,
    member: Member,
    proxy_member: Member | None = None,
    proxy_name: str = "",
    cohabiting_family: bool = False,
    authorisation_file: Any = None,
    authorisation_reference: str = "",
    check_in: bool = True,
) -> Proxy:
    """Register a written proxy (art. 23②–④) and, by default, check the represented member in
    (they count as present). Every rule of ``rules.proxy_violations`` is enforced; the unique
    constraints hold even under a race."""
    _require_manager(actor, assembly.organisation_id)
    assembly = _lock_assembly(assembly)
    _eligible_member(assembly, member)
    if proxy_member is not None:
        if proxy_member.pk == member.pk:
            raise _error(
                _("자기 자신을 대리인으로 정할 수 없습니다."), "proxy_self", "proxy_member"
            )
        is_member = proxy_member.organisation_id == assembly.organisation_id and (
            FoundingConsent.objects.filter(assembly=assembly, member=proxy_member).exists()
            if assembly.kind == AssemblyKind.FOUNDING
            else proxy_member.status == MemberStatus.ACTIVE
        )
        proxy_name = proxy_member.name
    else:
        is_member = False
        proxy_name = (proxy_name or "").strip()
        if not proxy_name:
            raise _error(_("대리인 성명을 입력하세요."), "required", "proxy_name")
    already = (
        Proxy.objects.filter(assembly=assembly)
        .filter(
            Q(proxy_member=proxy_member)
            if proxy_member is not None
            else Q(proxy_member__isnull=True, proxy_name=proxy_name)
        )
        .count()
    )
    has_written = bool(authorisation_file) or bool((authorisation_reference or "").strip())
    problems = rules.proxy_violations(
        proxy_is_member=is_member,
        proxy_is_cohabiting_family=bool(cohabiting_family),
        proxy_already_represents=already,
        has_written_authorisation=has_written,
        assembly_kind=assembly.rules_kind,
    )
    if problems:
        raise ValidationError([ValidationError(p, code="proxy_rule") for p in problems])
    if Proxy.objects.filter(assembly=assembly, member=member).exists():
        raise _error(_("이 조합원의 대리인은 이미 등록되어 있습니다."), "proxy_exists", "member")
    if Attendance.objects.filter(assembly=assembly, member=member).exists():
        raise _error(_("이미 직접 출석한 조합원입니다."), "already_checked_in", "member")
    try:
        with transaction.atomic():
            proxy = Proxy(
                assembly=assembly,
                member=member,
                proxy_member=proxy_member,
                proxy_name=proxy_name,
                cohabiting_family=bool(cohabiting_family) and proxy_member is None,
                authorisation_reference=(authorisation_reference or "").strip(),
                registered_by=actor,
            )
            if authorisation_file:
                proxy.authorisation_file = authorisation_file
            proxy.save()
    except IntegrityError as exc:
        raise _error(
            _("대리인은 조합원 한 명만 대리할 수 있습니다."), "proxy_represents_one", "proxy_member"
        ) from exc
    audit_record(actor=actor, action="governance.proxy_register", obj=proxy)
    if check_in:
        Attendance.objects.create(
            assembly=assembly,
            member=member,
            method=CheckInMethod.PROXY,
            proxy=proxy,
            checked_in_at=timezone.now(),
            checked_in_by=actor,
        )
    return proxy


# --- voting ------------------------------------------------------------------------------------


def _lock_item(item: AgendaItem) -> AgendaItem:
    return AgendaItem.objects.select_for_update().select_related("assembly").get(pk=item.pk)


@transaction.atomic
def item_open(*, actor: Any, item: AgendaItem) -> AgendaItem:
    _require_manager(actor, item.assembly.organisation_id)
    item = _lock_item(item)
    _require_in_session(item.assembly)
    if item.status != ItemStatus.PENDING:
        raise _error(_("대기 중인 안건만 표결을 시작할 수 있습니다."), "item_not_pending")
    item.status = ItemStatus.OPEN
    item.save(update_fields=["status"])
    audit_record(actor=actor, action="governance.item_open", obj=item)
    return item


def voter_choices(*, actor: Any, item: AgendaItem) -> list[Member]:
    """The members this person may cast a ballot for on this item: themself (if present or
    remote voting is on) and the member they represent by proxy."""
    own = access.member_record_for(actor, item.assembly.organisation_id)
    out: list[Member] = []
    if own is not None and own.status == MemberStatus.ACTIVE:
        out.append(own)
        represented = (
            Proxy.objects.filter(assembly_id=item.assembly_id, proxy_member=own)
            .select_related("member")
            .first()
        )
        if represented is not None:
            out.append(represented.member)
    return out


@transaction.atomic
def ballot_cast(
    *,
    actor: Any,
    item: AgendaItem,
    choice: str,
    for_member: Member | None = None,
    candidate_id: int | None = None,
) -> BallotReceipt:
    """A present member casts their own electronic ballot (or, as a member's written proxy,
    theirs). Once per member per item — enforced by the database; after the close, without
    check-in or by anyone else it is refused and nothing changes."""
    own = access.member_record_for(actor, item.assembly.organisation_id)
    if own is None or own.status != MemberStatus.ACTIVE:
        raise PermissionDenied
    voter = own
    by_proxy = False
    if for_member is not None and for_member.pk != own.pk:
        proxy = Proxy.objects.filter(
            assembly_id=item.assembly_id, member_id=for_member.pk, proxy_member=own
        ).first()
        if proxy is None:
            raise PermissionDenied
        voter = for_member
        by_proxy = True
    item = _lock_item(item)
    assembly = item.assembly
    if item.is_report:
        raise _error(_("보고 안건은 표결하지 않습니다."), "report_item")
    if item.recording_mode != RecordingMode.ELECTRONIC:
        raise _error(_("이 안건은 현장 집계로 표결합니다."), "not_electronic")
    if item.status == ItemStatus.CLOSED:
        raise _error(_("표결이 마감된 안건입니다."), "item_closed")
    if item.status != ItemStatus.OPEN or assembly.status != AssemblyStatus.IN_SESSION:
        raise _error(_("아직 표결이 시작되지 않았습니다."), "item_not_open")
    if choice not in Choice.values:
        raise _error(_("찬성, 반대, 기권 중에서 고르세요."), "invalid_choice", "choice")
    candidate = None
    if candidate_id is not None:
        candidate = item.candidates.filter(pk=candidate_id).first()
        if candidate is None:
            raise _error(_("이 안건의 후보자가 아닙니다."), "invalid_candidate", "candidate")
    present = Attendance.objects.filter(assembly=assembly, member=voter).exists()
    remote = False
    if not present:
        remote_ok = item.remote_voting and rules.remote_voting_allowed(
            coop_switch_on=coop_settings(assembly.organisation).remote_voting_enabled,
            resolution=item.resolution,
        )
        if not remote_ok or by_proxy:
            raise _error(
                _("출석 확인을 먼저 받으세요. 출석한 조합원만 투표할 수 있습니다."),
                "not_checked_in",
            )
        # A remote voter must still be one who may vote here (a delegate at a delegate
        # assembly, a consenter at a founding meeting).
        _eligible_member(assembly, voter)
        remote = True
    try:
        with transaction.atomic():
            receipt = BallotReceipt.objects.create(
                item=item,
                member=voter,
                cast_at=timezone.now(),
                by_proxy=by_proxy,
                remote=remote,
            )
            Ballot.objects.create(
                item=item,
                member=None if item.secret_ballot else voter,
                choice=choice,
                candidate=candidate,
            )
    except IntegrityError as exc:
        raise _error(
            _("이미 이 안건에 투표했습니다. 한 사람은 한 번만 투표합니다."), "already_voted"
        ) from exc
    return receipt


@transaction.atomic
def ballots_cast_bulk(*, item: AgendaItem, votes: Sequence[tuple[int, str]]) -> int:
    """Record many present members' ballots at once (the benchmark; a paper-ballot import).
    Same rules as ``ballot_cast``: item open, each voter checked in, once per member (a
    member who already voted, or appears twice, is refused with nothing written)."""
    item = _lock_item(item)
    if item.status != ItemStatus.OPEN or item.assembly.status != AssemblyStatus.IN_SESSION:
        raise _error(_("표결 중인 안건이 아닙니다."), "item_not_open")
    if item.recording_mode != RecordingMode.ELECTRONIC:
        raise _error(_("이 안건은 현장 집계로 표결합니다."), "not_electronic")
    member_ids = [m for m, _c in votes]
    if len(set(member_ids)) != len(member_ids):
        raise _error(_("같은 조합원의 표가 두 번 들어 있습니다."), "already_voted")
    if any(c not in Choice.values for _m, c in votes):
        raise _error(_("찬성, 반대, 기권 중에서 고르세요."), "invalid_choice")
    present = set(
        Attendance.objects.filter(assembly_id=item.assembly_id).values_list("member_id", flat=True)
    )
    if any(m not in present for m in member_ids):
        raise _error(_("출석하지 않은 조합원의 표가 있습니다."), "not_checked_in")
    now = timezone.now()
    try:
        with transaction.atomic():
            BallotReceipt.objects.bulk_create(
                [BallotReceipt(item=item, member_id=m, cast_at=now) for m in member_ids],
                batch_size=5000,
            )
            Ballot.objects.bulk_create(
                [
                    Ballot(item=item, member_id=None if item.secret_ballot else m, choice=c)
                    for m, c in votes
                ],
                batch_size=5000,
            )
    except IntegrityError as exc:
        raise _error(_("이미 투표한 조합원이 있습니다."), "already_voted") from exc
    return len(votes)


@transaction.atomic
def tally_enter(*, actor: Any, item: AgendaItem, yes: int, no: int, abstain: int) -> Tally:
    """The secretary enters the counts of a show of hands or paper ballots (may correct them
    until the item closes)."""
    _require_manager(actor, item.assembly.organisation_id)
    item = _lock_item(item)
    if item.recording_mode != RecordingMode.TALLY:
        raise _error(_("전자 투표 안건은 집계를 입력하지 않습니다."), "not_tally")
    if item.status == ItemStatus.CLOSED:
        raise _error(_("표결이 마감된 안건입니다."), "item_closed")
    if item.is_report:
        raise _error(_("보고 안건은 표결하지 않습니다."), "report_item")
    _require_in_session(item.assembly)
    for field, value in (("yes", yes), ("no", no), ("abstain", abstain)):
        if value is None or value < 0:
            raise _error(_("0 이상의 수를 입력하세요."), "invalid_count", field)
    present = present_count(item)
    if yes + no + abstain > present:
        raise _error(
            _("찬성·반대·기권의 합(%(sum)s)이 출석(%(present)s명)보다 많습니다.")
            % {"sum": yes + no + abstain, "present": present},
            "tally_exceeds_present",
            "yes",
        )
    tally, _created = Tally.objects.update_or_create(
        item=item,
        defaults={
            "yes": yes,
            "no": no,
            "abstain": abstain,
            "entered_by": actor,
            "entered_at": timezone.now(),
        },
    )
    if item.status == ItemStatus.PENDING:
        item.status = ItemStatus.OPEN
        item.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="governance.tally_enter",
        obj=item,
        changes={"yes": yes, "no": no, "abstain": abstain},
    )
    return tally


def present_count(item: AgendaItem) -> int:
    """Members present for this item: checked in (incl. by proxy), plus remote voters."""
    present = Attendance.objects.filter(assembly_id=item.assembly_id).count()
    if item.remote_voting:
        present += BallotReceipt.objects.filter(item=item, remote=True).count()
    return present


def count_ballots(item: AgendaItem) -> dict[str, int]:
    counts = dict(
        Ballot.objects.filter(item=item)
        .values_list("choice")
        .annotate(n=Count("id"))
        .values_list("choice", "n")
    )
    return {c: counts.get(c, 0) for c in Choice.values}


@dataclass(frozen=True)
class Outcome:
    present: int
    yes: int
    no: int
    abstain: int
    required_present: int
    required_yes: int
    passed: bool
    explanation: str


def compute_outcome(item: AgendaItem) -> Outcome:
    """The result from the record, with the rule and arithmetic in words."""
    assembly = item.assembly
    members = (
        assembly.voting_members
        if assembly.voting_members is not None
        else _voting_members(assembly)
    )
    present = present_count(item)
    if item.recording_mode == RecordingMode.TALLY:
        tally = Tally.objects.filter(item=item).first()
        if tally is None:
            raise _error(_("집계를 먼저 입력하세요."), "no_tally")
        yes, no, abstain = tally.yes, tally.no, tally.abstain
        leader = ""
    else:
        counts = count_ballots(item)
        yes, no, abstain = counts["yes"], counts["no"], counts["abstain"]
        leader = ""
        if item.candidates.exists():
            per = Counter(
                Ballot.objects.filter(item=item, candidate__isnull=False).values_list(
                    "candidate__name", flat=True
                )
            )
            if per:
                leader, yes = per.most_common(1)[0]
    kind = assembly.rules_kind
    required_present = rules.required_present(kind, members)
    required_yes = rules.required_yes(kind, item.resolution, present)
    errors: list[str] = []
    if assembly.kind == AssemblyKind.DELEGATE:
        total = Member.objects.filter(
            organisation=assembly.organisation, status=MemberStatus.ACTIVE
        ).count()
        errors += rules.delegate_assembly_errors(
            total, members, item.matter, _delegate_cap(assembly.organisation)
        )
    expulsion = ExpulsionCase.objects.filter(item=item).first()
    if expulsion is not None and not (
        expulsion.reasons_notified_on
        and rules.notice_in_time(
            _meeting_date(assembly), expulsion.reasons_notified_on, days=EXPULSION_NOTICE_DAYS
        )
    ):
        latest = rules.latest_notice_date(_meeting_date(assembly), days=EXPULSION_NOTICE_DAYS)
        errors.append(
            _("제명 사유를 총회 10일 전(%(date)s)까지 알리지 않았습니다.")
            % {"date": latest.isoformat()}
        )
    quorum = present >= required_present
    if not quorum:
        text = rules.explain_quorum(kind, members, present) + " → " + _("부결")
    else:
        text = rules.explain_vote(present, yes, item.resolution)
    if leader:
        text = f"{leader}: {text}"
    if errors:
        text = " / ".join([*errors, text])
    passed = quorum and yes >= required_yes and not errors
    return Outcome(present, yes, no, abstain, required_present, required_yes, passed, text[:300])


@transaction.atomic
def item_close(*, actor: Any, item: AgendaItem) -> AgendaItem:
    """Close the vote: the result (with the rule and arithmetic) is written once and never
    changes. An expulsion item's outcome changes the member's status."""
    _require_manager(actor, item.assembly.organisation_id)
    item = _lock_item(item)
    if item.status == ItemStatus.CLOSED:
        raise _error(_("이미 마감된 안건입니다."), "item_closed")
    _require_in_session(item.assembly)
    if item.is_report:
        item.status = ItemStatus.CLOSED
        item.closed_at = timezone.now()
        item.explanation = _("보고 안건 (표결 없음)")
        item.save()
        audit_record(actor=actor, action="governance.item_close", obj=item)
        return item
    outcome = compute_outcome(item)
    for field in (
        "present",
        "yes",
        "no",
        "abstain",
        "required_present",
        "required_yes",
        "passed",
        "explanation",
    ):
        setattr(item, field, getattr(outcome, field))
    item.status = ItemStatus.CLOSED
    item.closed_at = timezone.now()
    item.save()
    expulsion = ExpulsionCase.objects.select_for_update().filter(item=item).first()
    if expulsion is not None:
        expulsion.status = ExpulsionStatus.EXPELLED if outcome.passed else ExpulsionStatus.REJECTED
        expulsion.save(update_fields=["status"])
        if outcome.passed:
            Member.objects.filter(pk=expulsion.member_id).update(
                status=MemberStatus.EXPELLED,
                status_changed_on=_meeting_date(item.assembly),
                status_reason=expulsion.get_ground_display(),
            )
            # Capital refunds: an expelled member's refund opens too (art. 26).
            capital_refund_open(actor=actor, member=expulsion.member)
    audit_record(
        actor=actor,
        action="governance.item_close",
        obj=item,
        changes={"passed": outcome.passed, "explanation": outcome.explanation},
    )
    return item


def item_revote(*, actor: Any, item: AgendaItem) -> AgendaItem:
    """A re-vote is a new item, linked to the closed one."""
    return agenda_item_add(
        actor=actor,
        assembly=item.assembly,
        title=_("%(title)s (재표결)") % {"title": item.title},
        matter=item.matter,
        description=item.description,
        secret_ballot=item.secret_ballot,
        recording_mode=item.recording_mode,
        remote_voting=item.remote_voting,
        candidates=list(item.candidates.values_list("name", flat=True)),
        revote_of=item,
    )


# --- minutes -----------------------------------------------------------------------------------


def minutes_text(assembly: Assembly) -> str:
    """Minutes from the record: attendance, quorum, each item with its result."""
    when = timezone.localtime(assembly.scheduled_at)
    present = Attendance.objects.filter(assembly=assembly).count()
    by_proxy = Attendance.objects.filter(assembly=assembly, method=CheckInMethod.PROXY).count()
    members = (
        assembly.voting_members
        if assembly.voting_members is not None
        else _voting_members(assembly)
    )
    required = rules.required_present(assembly.rules_kind, members) if members else 0
    lines = [
        f"{assembly.organisation.name} {assembly.title} " + _("의사록"),
        "",
        _("일시: %(when)s") % {"when": when.strftime("%Y-%m-%d %H:%M")},
        _("장소: %(place)s") % {"place": assembly.place},
        _(
            "재적: %(members)s명, 출석: %(present)s명 (대리 출석 %(proxy)s명 포함), 의사정족수 %(required)s명 — %(verdict)s"
        )
        % {
            "members": members,
            "present": present,
            "proxy": by_proxy,
            "required": required,
            "verdict": _("성원") if present >= required else _("성원 미달"),
        },
        "",
        _("안건과 결과"),
    ]
    for item in assembly.items.all().order_by("order"):
        kind = _("보고") if item.is_report else item.get_resolution_display()
        lines.append(f"{item.order}. {item.title} ({kind})")
        if item.status != ItemStatus.CLOSED:
            lines.append("   " + _("표결 전"))
        elif item.is_report:
            lines.append("   " + _("보고함"))
        else:
            lines.append(
                "   "
                + _("찬성 %(yes)s, 반대 %(no)s, 기권 %(abstain)s — %(explanation)s")
                % {
                    "yes": item.yes,
                    "no": item.no,
                    "abstain": item.abstain,
                    "explanation": item.explanation,
                }
            )
    return "\n".join(lines)


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@transaction.atomic
def minutes_generate(*, actor: Any, assembly: Assembly) -> Minutes:
    """Write the first draft (or refresh an unsigned draft) from the record."""
    _require_manager(actor, assembly.organisation_id)
    assembly = _lock_assembly(assembly)
    if assembly.status not in (AssemblyStatus.IN_SESSION, AssemblyStatus.CLOSED):
        raise _error(_("회의가 열린 뒤에 의사록을 만들 수 있습니다."), "not_held")
    latest = assembly.minutes.order_by("-version").first()
    body = minutes_text(assembly)
    if latest is not None and not latest.is_locked:
        if latest.signatures.filter(signed_at__isnull=False).exists():
            raise _error(_("서명이 시작된 의사록은 다시 만들 수 없습니다."), "minutes_signed")
        latest.body = body
        latest.save()
        minutes = latest
    elif latest is not None:
        raise _error(
            _("의사록이 이미 확정되었습니다. 고치려면 새 판을 만드세요."), "minutes_locked"
        )
    else:
        minutes = Minutes.objects.create(assembly=assembly, version=1, body=body, created_by=actor)
    audit_record(actor=actor, action="governance.minutes_generate", obj=minutes)
    return minutes


@transaction.atomic
def minutes_update(*, actor: Any, minutes: Minutes, body: str) -> Minutes:
    _require_manager(actor, minutes.assembly.organisation_id)
    minutes = Minutes.objects.select_for_update().get(pk=minutes.pk)
    if minutes.is_locked:
        raise _error(_("확정된 의사록은 고칠 수 없습니다. 새 판으로 수정하세요."), "minutes_locked")
    if minutes.signatures.filter(signed_at__isnull=False).exists():
        raise _error(_("서명이 시작된 의사록은 고칠 수 없습니다."), "minutes_signed", "body")
    if not (body or "").strip():
        raise _error(_("의사록 본문을 입력하세요."), "required", "body")
    minutes.body = body.strip()
    minutes.save()
    audit_record(actor=actor, action="governance.minutes_update", obj=minutes)
    return minutes


@transaction.atomic
def minutes_signers_set(
    *, actor: Any, minutes: Minutes, chair: Member, members: Sequence[Member]
) -> list[MinutesSignature]:
    """Name who signs: the chair of the meeting and at least 3 members elected at the
    assembly (art. 30). Only before anyone signed."""
    _require_manager(actor, minutes.assembly.organisation_id)
    minutes = Minutes.objects.select_for_update().select_related("assembly").get(pk=minutes.pk)
    if minutes.is_locked or minutes.signatures.filter(signed_at__isnull=False).exists():
        raise _error(_("서명이 시작된 뒤에는 서명자를 바꿀 수 없습니다."), "minutes_signed")
    org = minutes.assembly.organisation_id
    chosen = [chair, *members]
    consenters: set[int] = set()
    if minutes.assembly.kind == AssemblyKind.FOUNDING:
        consenters = set(
            FoundingConsent.objects.filter(assembly_id=minutes.assembly_id).values_list(
                "member_id", flat=True
            )
        )
    if any(
        m.organisation_id != org or (m.status != MemberStatus.ACTIVE and m.pk not in consenters)
        for m in chosen
    ):
        raise _error(_("서명자는 이 협동조합의 조합원이어야 합니다."), "not_member", "members")
    unique_members = {m.pk for m in members if m.pk != chair.pk}
    if len(unique_members) < MIN_MINUTES_MEMBER_SIGNERS:
        raise _error(
            _("의장 외에 총회에서 선출한 조합원 3명 이상이 서명해야 합니다."),
            "too_few_signers",
            "members",
        )
    minutes.signatures.all().delete()
    rows = [MinutesSignature(minutes=minutes, member=chair, role=SignerRole.CHAIR)] + [
        MinutesSignature(minutes=minutes, member_id=pk, role=SignerRole.MEMBER)
        for pk in sorted(unique_members)
    ]
    created = MinutesSignature.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action="governance.minutes_signers",
        obj=minutes,
        changes={"chair": chair.pk, "members": sorted(unique_members)},
    )
    return created


@transaction.atomic
def minutes_sign(*, actor: Any, minutes: Minutes) -> MinutesSignature:
    """A named signer signs the current text with their own account (a recorded electronic
    signature: who, when, and the hash of what they signed)."""
    own = access.member_record_for(actor, minutes.assembly.organisation_id)
    minutes = Minutes.objects.select_for_update().get(pk=minutes.pk)
    signature = (
        MinutesSignature.objects.select_for_update().filter(minutes=minutes, member=own).first()
        if own is not None
        else None
    )
    if signature is None:
        raise PermissionDenied
    if minutes.is_locked:
        raise _error(_("확정된 의사록입니다."), "minutes_locked")
    if signature.signed_at is not None:
        raise _error(_("이미 서명했습니다."), "already_signed")
    signature.signed_at = timezone.now()
    signature.signed_by = actor
    signature.body_digest = _digest(minutes.body)
    signature.save()
    audit_record(actor=actor, action="governance.minutes_sign", obj=signature)
    return signature


@transaction.atomic
def minutes_lock(*, actor: Any, minutes: Minutes) -> Minutes:
    """Lock once the chair and at least 3 elected members have signed this text."""
    _require_manager(actor, minutes.assembly.organisation_id)
    minutes = Minutes.objects.select_for_update().get(pk=minutes.pk)
    if minutes.is_locked:
        raise _error(_("이미 확정된 의사록입니다."), "minutes_locked")
    digest = _digest(minutes.body)
    signed = list(minutes.signatures.filter(signed_at__isnull=False, body_digest=digest))
    chair_signed = any(s.role == SignerRole.CHAIR for s in signed)
    members_signed = sum(1 for s in signed if s.role == SignerRole.MEMBER)
    if not chair_signed or members_signed < MIN_MINUTES_MEMBER_SIGNERS:
        raise _error(
            _(
                "의장과 선출된 조합원 3명 이상이 서명해야 확정할 수 있습니다 (지금: 의장 %(chair)s, 조합원 %(n)s명)."
            )
            % {
                "chair": pgettext("signature state", "서명") if chair_signed else _("미서명"),
                "n": members_signed,
            },
            "signatures_missing",
        )
    minutes.status = MinutesStatus.LOCKED
    minutes.locked_at = timezone.now()
    # bypass the locked-row guard for the transition itself
    Minutes.objects.filter(pk=minutes.pk).update(status=minutes.status, locked_at=minutes.locked_at)
    audit_record(actor=actor, action="governance.minutes_lock", obj=minutes)
    return minutes


@transaction.atomic
def minutes_amend(*, actor: Any, minutes: Minutes) -> Minutes:
    """An amendment is a new version (a draft copy of the locked text), signed anew."""
    _require_manager(actor, minutes.assembly.organisation_id)
    minutes = Minutes.objects.select_for_update().get(pk=minutes.pk)
    if not minutes.is_locked:
        raise _error(
            _("확정된 의사록만 새 판으로 수정합니다. 작성 중인 판을 고치세요."),
            "minutes_not_locked",
        )
    latest = Minutes.objects.filter(assembly_id=minutes.assembly_id).aggregate(m=Max("version"))[
        "m"
    ]
    if latest != minutes.version:
        raise _error(_("이미 더 새로운 판이 있습니다."), "newer_version")
    new = Minutes.objects.create(
        assembly_id=minutes.assembly_id,
        version=minutes.version + 1,
        body=minutes.body,
        amends=minutes,
        created_by=actor,
    )
    audit_record(actor=actor, action="governance.minutes_amend", obj=new)
    return new


# --- expulsion ---------------------------------------------------------------------------------


@transaction.atomic
def expulsion_open(*, actor: Any, member: Member, ground: str, detail: str) -> ExpulsionCase:
    _require_manager(actor, member.organisation_id)
    if ground not in ExpulsionGround.values:
        raise _error(_("제명 사유를 고르세요."), "invalid_ground", "ground")
    if not (detail or "").strip():
        raise _error(_("사유 내용을 적어 주세요."), "required", "detail")
    if member.status != MemberStatus.ACTIVE:
        raise _error(_("조합원 상태인 사람만 제명 절차를 열 수 있습니다."), "not_member")
    case = ExpulsionCase.objects.create(
        member=member, ground=ground, detail=detail.strip(), opened_by=actor
    )
    audit_record(actor=actor, action="governance.expulsion_open", obj=case)
    return case


@transaction.atomic
def expulsion_schedule(
    *, actor: Any, case: ExpulsionCase, assembly: Assembly, notified_on: dt.date
) -> ExpulsionCase:
    """Put the case on an assembly's agenda (a special-resolution item) and record when the
    member was told the reasons — at least 10 days before (art. 25②), checked here."""
    _require_manager(actor, case.member.organisation_id)
    case = ExpulsionCase.objects.select_for_update().select_related("member").get(pk=case.pk)
    if assembly.organisation_id != case.member.organisation_id:
        raise _error(_("같은 협동조합의 총회여야 합니다."), "wrong_assembly", "assembly")
    if assembly.kind == AssemblyKind.BOARD:
        raise _error(_("제명은 총회에서만 의결합니다."), "board_cannot_expel", "assembly")
    if case.status != ExpulsionStatus.OPEN:
        raise _error(_("이미 일정이 잡혔거나 끝난 절차입니다."), "invalid_transition")
    meeting = _meeting_date(assembly)
    if not rules.notice_in_time(meeting, notified_on, days=EXPULSION_NOTICE_DAYS):
        latest = rules.latest_notice_date(meeting, days=EXPULSION_NOTICE_DAYS)
        raise _error(
            _("제명 사유는 총회 10일 전까지 알려야 합니다: %(date)s까지 통지해야 합니다.")
            % {"date": latest.isoformat()},
            "expulsion_notice_late",
            "notified_on",
        )
    item = agenda_item_add(
        actor=actor,
        assembly=assembly,
        title=_("조합원 제명의 건 (%(name)s)") % {"name": case.member.name},
        matter=Matter.EXPULSION,
        description=case.detail,
        secret_ballot=True,
    )
    case.assembly = assembly
    case.item = item
    case.reasons_notified_on = notified_on
    case.status = ExpulsionStatus.NOTIFIED
    case.save()
    audit_record(actor=actor, action="governance.expulsion_schedule", obj=case)
    return case


@transaction.atomic
def expulsion_hearing(*, actor: Any, case: ExpulsionCase, record: str) -> ExpulsionCase:
    """The member's statement at the assembly (art. 25②: they may speak)."""
    _require_manager(actor, case.member.organisation_id)
    case = ExpulsionCase.objects.select_for_update().get(pk=case.pk)
    if case.status != ExpulsionStatus.NOTIFIED:
        raise _error(_("통지된 절차에만 의견 진술을 기록합니다."), "invalid_transition")
    case.hearing_record = (record or "").strip()
    case.save(update_fields=["hearing_record"])
    audit_record(actor=actor, action="governance.expulsion_hearing", obj=case)
    return case


# --- officers ----------------------------------------------------------------------------------


@transaction.atomic
def officer_term_add(
    *, actor: Any, member: Member, office: str, starts_on: dt.date, ends_on: dt.date
) -> OfficerTerm:
    """Record an officer's term: at most 4 years (art. 35); a chair re-elected at most twice."""
    if actor is not None:
        _require_manager(actor, member.organisation_id)
    if office not in Office.values:
        raise _error(_("직위를 고르세요."), "invalid_office", "office")
    if ends_on <= starts_on:
        raise _error(_("임기 종료일은 시작일 뒤여야 합니다."), "invalid_term", "ends_on")
    problems = list(rules.officer_term_errors(term_years(starts_on, ends_on)))
    if office == Office.CHAIR:
        previous = OfficerTerm.objects.filter(member=member, office=Office.CHAIR).count()
        problems += list(rules.chair_reelection_errors(previous))
    if problems:
        raise ValidationError([ValidationError(p, code="officer_rule") for p in problems])
    term = OfficerTerm.objects.create(
        member=member, office=office, starts_on=starts_on, ends_on=ends_on
    )
    audit_record(actor=actor, action="governance.officer_term_add", obj=term)
    return term


def term_years(starts_on: dt.date, ends_on: dt.date) -> int:
    """Whole years of a term, a started year counting as one (4 years and a day is 5)."""
    years = ends_on.year - starts_on.year
    if (ends_on.month, ends_on.day) < (starts_on.month, starts_on.day):
        years -= 1
    try:
        anniversary = starts_on.replace(year=starts_on.year + years)
    except ValueError:  # 29 February
        anniversary = starts_on.replace(year=starts_on.year + years, day=28)
    return years + (1 if ends_on > anniversary else 0)


def officer_roles_for(office: str) -> str:
    return {Office.CHAIR: Role.CHAIR, Office.DIRECTOR: Role.BOARD, Office.AUDITOR: Role.AUDITOR}[
        Office(office)
    ]


# --- capital refunds ---------------------------------------------------------------------------
# A departed member's refund of capital: opened when membership ends (``member_status_change``
# and an expulsion's ``item_close`` call ``capital_refund_open``), claimed in the window of
# ``rules.capital_refund_window`` (from the next fiscal year, lapsing 2 years later, art. 26),
# paid once under the assembly's resolution, or marked lapsed (``dure governance-refunds-lapse``).
#
# The assembly's resolution: art. 29①(8의2)·② puts "refunds of capital to departed members
# (expelled members included)" among the special-resolution matters (``rules.SPECIAL_MATTERS``:
# ``capital_refund``). The Act requires it for every departure, so a payment always needs a
# passed ``capital_refund`` item of the cooperative (one item may approve several refunds, as
# the yearly "탈퇴 조합원 출자금 환급의 건" does); no per-cooperative switch can waive it.


REFUND_LAPSING_SOON_DAYS = 90


def _paid_in_capital(member: Member) -> tuple[int, int]:
    """(ordinary, preferred) capital the member has actually paid in, in 원. Subscribed shares
    not paid are owed by the member, not to them: they are not refunded."""
    rows = ShareIssue.objects.filter(member=member, paid=True).values_list(
        "preferred", "count", "unit_price"
    )
    ordinary = sum(c * p for preferred, c, p in rows if not preferred)
    preferred_total = sum(c * p for preferred, c, p in rows if preferred)
    return ordinary, preferred_total


def capital_refund_open(*, actor: Any, member: Member) -> CapitalRefund:
    """Open the refund of a member who left (idempotent: the departure's refund if it
    exists). Amounts and window are fixed now, from the paid-in shares and the fiscal year."""
    with transaction.atomic():
        if actor is not None:
            _require_manager(actor, member.organisation_id)
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.status not in DEPARTED_STATUSES or member.status_changed_on is None:
            raise _error(
                _("탈퇴·제명·사망·자격 상실로 조합원이 아니게 된 사람만 출자금을 환급합니다."),
                "not_departed",
            )
        existing = CapitalRefund.objects.filter(
            member=member, left_on=member.status_changed_on
        ).first()
        if existing is not None:
            return existing
        fiscal_month = coop_settings(member.organisation).fiscal_year_end_month
        first, last = rules.capital_refund_window(member.status_changed_on, fiscal_month)
        ordinary, preferred = _paid_in_capital(member)
        refund = CapitalRefund.objects.create(
            member=member,
            departure=member.status,
            left_on=member.status_changed_on,
            ordinary_amount=ordinary,
            preferred_amount=preferred,
            amount=ordinary + preferred,
            claimable_from=first,
            lapses_on=last + dt.timedelta(days=1),
        )
        audit_record(
            actor=actor,
            action="governance.refund_open",
            obj=refund,
            changes={"amount": refund.amount, "claimable_from": first.isoformat()},
        )
        return refund


def _lock_refund(refund: CapitalRefund) -> CapitalRefund:
    return (
        CapitalRefund.objects.select_for_update()
        .select_related("member", "member__organisation")
        .get(pk=refund.pk)
    )


def _refund_open_for_changes(refund: CapitalRefund) -> None:
    if refund.status == RefundStatus.PAID:
        raise _error(_("이미 지급한 환급입니다."), "already_paid")
    if refund.status == RefundStatus.LAPSED:
        raise _error(_("청구권이 소멸한 환급입니다."), "lapsed")


@transaction.atomic
def capital_refund_set_deduction(
    *, actor: Any, refund: CapitalRefund, deduction: int, reason: str
) -> CapitalRefund:
    """Deduct the member's share of losses (art. 27) from the paid-in capital, before payment."""
    _require_manager(actor, refund.member.organisation_id)
    refund = _lock_refund(refund)
    _refund_open_for_changes(refund)
    reason = (reason or "").strip()
    if deduction < 0:
        raise _error(_("공제액은 0원 이상이어야 합니다."), "invalid_deduction", "deduction")
    if deduction > refund.amount:
        raise _error(
            _("공제액은 환급 대상 금액(%(amount)s원)을 넘을 수 없습니다.")
            % {"amount": f"{refund.amount:,}"},
            "deduction_too_large",
            "deduction",
        )
    if deduction and not reason:
        raise _error(_("공제 사유를 입력하세요."), "required", "reason")
    refund.deduction = deduction
    refund.deduction_reason = reason if deduction else ""
    refund.save(update_fields=["deduction", "deduction_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="governance.refund_deduction",
        obj=refund,
        changes={"deduction": deduction, "reason": refund.deduction_reason},
    )
    return refund


@transaction.atomic
def capital_refund_claim(
    *, actor: Any, refund: CapitalRefund, claimed_on: dt.date, claimant: str = ""
) -> CapitalRefund:
    """Record the member's (or their heirs') written claim. Refused before the first day of
    the next fiscal year and from the day the claim lapsed."""
    _require_manager(actor, refund.member.organisation_id)
    refund = _lock_refund(refund)
    _refund_open_for_changes(refund)
    if refund.status == RefundStatus.CLAIMED:
        raise _error(
            _("이미 %(date)s에 청구를 기록했습니다.") % {"date": str(refund.claimed_on)},
            "already_claimed",
        )
    if claimed_on > timezone.localdate():
        raise _error(_("청구일은 오늘 이후일 수 없습니다."), "claim_in_future", "claimed_on")
    if claimed_on < refund.claimable_from:
        raise _error(
            _("출자금 환급은 탈퇴한 회계연도가 끝난 뒤 %(date)s부터 청구할 수 있습니다 (제26조).")
            % {"date": refund.claimable_from.isoformat()},
            "claim_too_early",
            "claimed_on",
        )
    if claimed_on >= refund.lapses_on:
        raise _error(
            _(
                "청구 기한(%(last)s)이 지나 %(date)s에 청구권이 소멸했습니다: 2년 안에 청구하지 "
                "않았습니다 (제26조)."
            )
            % {"last": refund.claim_deadline.isoformat(), "date": refund.lapses_on.isoformat()},
            "claim_lapsed",
            "claimed_on",
        )
    claimant = (claimant or "").strip()
    if refund.departure == MemberStatus.DECEASED and not claimant:
        raise _error(
            _("사망한 조합원의 환급은 상속인이 청구합니다: 청구인 성명을 입력하세요."),
            "required",
            "claimant",
        )
    refund.status = RefundStatus.CLAIMED
    refund.claimed_on = claimed_on
    refund.claimant = claimant
    refund.save(update_fields=["status", "claimed_on", "claimant", "updated_at"])
    audit_record(
        actor=actor,
        action="governance.refund_claim",
        obj=refund,
        changes={"claimed_on": claimed_on.isoformat(), "claimant": claimant},
    )
    return refund


def refund_resolution_items(organisation_id: int) -> Any:
    """Closed, passed ``capital_refund`` items of the cooperative (art. 29②: special
    resolution), newest first: what a payment may cite."""
    return (
        AgendaItem.objects.filter(
            assembly__organisation_id=organisation_id,
            matter=Matter.CAPITAL_REFUND,
            status=ItemStatus.CLOSED,
            passed=True,
        )
        .select_related("assembly")
        .order_by("-closed_at", "-id")
    )


@transaction.atomic
def capital_refund_pay(
    *,
    actor: Any,
    refund: CapitalRefund,
    paid_on: dt.date,
    method: str,
    reference: str = "",
    resolution_item: AgendaItem | None = None,
) -> CapitalRefund:
    """Record the payment of a claimed refund, once, citing the assembly's resolution."""
    _require_manager(actor, refund.member.organisation_id)
    refund = _lock_refund(refund)
    if refund.status == RefundStatus.PAID:
        raise _error(
            _("이미 %(date)s에 지급한 환급입니다: 두 번 지급할 수 없습니다.")
            % {"date": str(refund.paid_on)},
            "already_paid",
        )
    _refund_open_for_changes(refund)
    if refund.status != RefundStatus.CLAIMED or refund.claimed_on is None:
        raise _error(_("청구를 먼저 기록하세요: 환급은 청구에 따라 지급합니다."), "not_claimed")
    if method not in RefundPaymentMethod.values:
        raise _error(_("지급 방법을 고르세요."), "invalid_method", "method")
    if paid_on > timezone.localdate():
        raise _error(_("지급일은 오늘 이후일 수 없습니다."), "paid_in_future", "paid_on")
    if paid_on < refund.claimed_on:
        raise _error(
            _("지급일은 청구일(%(date)s) 이후여야 합니다.")
            % {"date": refund.claimed_on.isoformat()},
            "paid_before_claim",
            "paid_on",
        )
    if (
        resolution_item is None
        or not refund_resolution_items(refund.member.organisation_id)
        .filter(pk=resolution_item.pk)
        .exists()
    ):
        raise _error(
            _(
                "탈퇴 조합원의 출자금 환급은 총회 특별결의 사항입니다 (제29조): 가결된 "
                "'지분 환급' 안건을 고르세요."
            ),
            "resolution_required",
            "resolution_item",
        )
    resolved_on = _meeting_date(resolution_item.assembly)
    if paid_on < resolved_on:
        raise _error(
            _("지급일은 환급을 의결한 총회(%(date)s) 이후여야 합니다.")
            % {"date": resolved_on.isoformat()},
            "paid_before_resolution",
            "paid_on",
        )
    refund.status = RefundStatus.PAID
    refund.paid_on = paid_on
    refund.payment_method = method
    refund.payment_reference = (reference or "").strip()
    refund.resolution_item = resolution_item
    refund.save(
        update_fields=[
            "status",
            "paid_on",
            "payment_method",
            "payment_reference",
            "resolution_item",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="governance.refund_pay",
        obj=refund,
        changes={"paid_on": paid_on.isoformat(), "net": refund.net, "method": method},
    )
    return refund


def capital_refunds_lapse(*, today: dt.date | None = None) -> int:
    """Mark lapsed every refund nobody claimed before its ``lapses_on`` (art. 26②).
    Idempotent; run daily (``dure governance-refunds-lapse``). Returns how many it marked."""
    today = today or timezone.localdate()
    marked = 0
    with transaction.atomic():
        due = CapitalRefund.objects.select_for_update().filter(
            status=RefundStatus.PENDING, lapses_on__lte=today
        )
        for refund in due:
            refund.status = RefundStatus.LAPSED
            refund.lapsed_on = today
            refund.save(update_fields=["status", "lapsed_on", "updated_at"])
            audit_record(
                actor=None,
                action="governance.refund_lapse",
                obj=refund,
                changes={"lapses_on": refund.lapses_on.isoformat()},
            )
            marked += 1
    return marked


@dataclass(frozen=True)
class RefundLiabilities:
    """The cooperative's refunds by stage, with their totals (net, 원)."""

    waiting: list[CapitalRefund]
    claimable: list[CapitalRefund]
    lapsing_soon: list[CapitalRefund]
    claimed: list[CapitalRefund]
    paid: list[CapitalRefund]
    lapsed: list[CapitalRefund]

    @staticmethod
    def _total(rows: list[CapitalRefund]) -> int:
        return sum(r.net for r in rows)

    @property
    def outstanding(self) -> list[CapitalRefund]:
        """What the cooperative still owes: not yet claimable, claimable, claimed."""
        return [*self.waiting, *self.claimable, *self.claimed]

    @property
    def totals(self) -> dict[str, int]:
        return {
            "outstanding": self._total(self.outstanding),
            "waiting": self._total(self.waiting),
            "claimable": self._total(self.claimable),
            "lapsing_soon": self._total(self.lapsing_soon),
            "claimed": self._total(self.claimed),
            "paid": self._total(self.paid),
            "lapsed": self._total(self.lapsed),
        }


def capital_refunds_of(organisation_id: int) -> Any:
    return (
        CapitalRefund.objects.filter(member__organisation_id=organisation_id)
        .select_related("member", "resolution_item", "resolution_item__assembly")
        .order_by("claimable_from", "member__number", "id")
    )


def capital_refund_liabilities(
    organisation_id: int, *, today: dt.date | None = None
) -> RefundLiabilities:
    """Refunds owed and settled: by stage today (a pending refund past its lapse day counts as
    lapsed even before the daily command marks it)."""
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=REFUND_LAPSING_SOON_DAYS)
    stages: dict[str, list[CapitalRefund]] = {
        k: [] for k in ("waiting", "claimable", "claimed", "paid", "lapsed")
    }
    for refund in capital_refunds_of(organisation_id):
        stages[refund.stage(today)].append(refund)
    return RefundLiabilities(
        lapsing_soon=[r for r in stages["claimable"] if r.lapses_on <= soon], **stages
    )


def capital_refunds_open_missing() -> int:
    """Open the refunds of members who left before refunds were recorded (or whose departure
    was written without the services). Idempotent; ``dure governance-refunds-lapse
    --open-missing``. Returns how many it opened."""
    departed = (
        Member.objects.filter(status__in=DEPARTED_STATUSES, status_changed_on__isnull=False)
        .exclude(capital_refunds__left_on=F("status_changed_on"))
        .only("pk", "organisation_id")
    )
    opened = 0
    for member in departed:
        capital_refund_open(actor=None, member=member)
        opened += 1
    return opened


# --- delegates (대의원, art. 31, Decree art. 9) --------------------------------------------------


def _delegate_cap(organisation: Organisation) -> int:
    """The cooperative's cap on the required number of delegates (never below the Decree's
    100: ``rules.required_delegates`` applies the floor)."""
    return coop_settings(organisation).delegate_cap


def _active_member_count(organisation_id: int) -> int:
    return Member.objects.filter(
        organisation_id=organisation_id, status=MemberStatus.ACTIVE
    ).count()


def delegates_in_office(organisation_id: int, day: dt.date) -> Any:
    """Delegate terms in office on ``day``: started, not ended, not left early, and the
    delegate still an active member."""
    return Delegate.objects.filter(
        member__organisation_id=organisation_id,
        member__status=MemberStatus.ACTIVE,
        starts_on__lte=day,
        ends_on__gte=day,
    ).filter(Q(left_on__isnull=True) | Q(left_on__gt=day))


def delegate_assembly_problems(organisation: Organisation, day: dt.date) -> list[str]:
    """Why a delegate assembly could not sit on ``day`` (empty when it can): more than 200
    members and at least the required number of delegates in office (art. 31)."""
    return rules.delegate_assembly_errors(
        _active_member_count(organisation.pk),
        delegates_in_office(organisation.pk, day).count(),
        None,
        _delegate_cap(organisation),
    )


def _require_delegate_assembly_allowed(organisation: Organisation, day: dt.date) -> None:
    problems = delegate_assembly_problems(organisation, day)
    if problems:
        raise ValidationError([ValidationError(p, code="delegate_assembly") for p in problems])


@transaction.atomic
def delegates_elect(
    *,
    actor: Any,
    organisation: Organisation,
    member_ids: Sequence[int],
    elected_on: dt.date,
    starts_on: dt.date,
    ends_on: dt.date,
    method: str = DelegateElectionMethod.ASSEMBLY,
    district: str = "",
    elected_at: Assembly | None = None,
) -> list[Delegate]:
    """Record the result of a delegate election (officers): the elected members' terms. The
    cooperative must have more than 200 members, the elected must be its active members not
    already delegates in that period, and the delegates in office when the terms start must
    reach the required number (10 %, ⌈⌉, capped — art. 31, Decree art. 9)."""
    _require_manager(actor, organisation.pk)
    _settings_locked(organisation.pk)
    if method not in DelegateElectionMethod.values:
        raise _error(_("선출 방법이 올바르지 않습니다."), "invalid_method", "method")
    district = (district or "").strip()
    if method == DelegateElectionMethod.DISTRICT and not district:
        raise _error(_("선거구별 선출이면 선거구를 적어 주세요."), "required", "district")
    if ends_on < starts_on:
        raise _error(_("임기 종료일은 시작일 이후여야 합니다."), "invalid_term", "ends_on")
    if elected_on > timezone.localdate():
        raise _error(_("선출일은 오늘 이후일 수 없습니다."), "elected_in_future", "elected_on")
    if elected_at is not None and (
        elected_at.organisation_id != organisation.pk or elected_at.kind == AssemblyKind.BOARD
    ):
        raise _error(_("이 협동조합의 총회가 아닙니다."), "wrong_assembly", "elected_at")
    ids = list(dict.fromkeys(int(i) for i in member_ids))
    if not ids:
        raise _error(_("선출된 대의원을 고르세요."), "required", "members")
    members = {
        m.pk: m
        for m in Member.objects.filter(
            pk__in=ids, organisation=organisation, status=MemberStatus.ACTIVE
        )
    }
    unknown = [i for i in ids if i not in members]
    if unknown:
        raise _error(
            _("이 협동조합의 조합원이 아닌 사람이 있습니다: %(ids)s") % {"ids": unknown[:5]},
            "not_member",
            "members",
        )
    overlapping = (
        Delegate.objects.filter(member_id__in=ids, starts_on__lte=ends_on, ends_on__gte=starts_on)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=starts_on))
        .select_related("member")
    )
    clash = sorted({d.member.name for d in overlapping})
    if clash:
        raise _error(
            _("이미 그 기간에 대의원인 조합원이 있습니다: %(names)s")
            % {"names": ", ".join(clash[:5])},
            "already_delegate",
            "members",
        )
    total = _active_member_count(organisation.pk)
    after = delegates_in_office(organisation.pk, starts_on).exclude(
        member_id__in=ids
    ).count() + len(ids)
    problems = rules.delegate_assembly_errors(total, after, None, _delegate_cap(organisation))
    if problems:
        raise ValidationError([ValidationError(p, code="delegate_assembly") for p in problems])
    rows = Delegate.objects.bulk_create(
        [
            Delegate(
                member=members[i],
                method=method,
                elected_on=elected_on,
                elected_at=elected_at,
                district=district,
                starts_on=starts_on,
                ends_on=ends_on,
                recorded_by=actor,
            )
            for i in ids
        ]
    )
    audit_record(
        actor=actor,
        action="governance.delegates_elect",
        obj=organisation,
        changes={
            "members": ids,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "method": method,
            "in_office": after,
            "required": rules.required_delegates(total, _delegate_cap(organisation)),
        },
    )
    return rows


@transaction.atomic
def delegate_end(
    *,
    actor: Any,
    delegate: Delegate,
    left_on: dt.date,
    reason: str,
    successor: Member | None = None,
) -> Delegate:
    """End a delegate's term early (resignation, loss of membership, …): out of office from
    ``left_on``. With a ``successor`` (a by-election), the successor serves the rest of the
    term from ``left_on``."""
    organisation = delegate.member.organisation
    _require_manager(actor, organisation.pk)
    _settings_locked(organisation.pk)
    delegate = Delegate.objects.select_for_update().select_related("member").get(pk=delegate.pk)
    if delegate.left_on is not None:
        raise _error(_("이미 퇴임한 대의원입니다."), "already_ended")
    if not delegate.starts_on <= left_on <= delegate.ends_on:
        raise _error(
            _("퇴임일은 임기(%(start)s~%(end)s) 안이어야 합니다.")
            % {"start": delegate.starts_on.isoformat(), "end": delegate.ends_on.isoformat()},
            "invalid_date",
            "left_on",
        )
    reason = (reason or "").strip()
    if not reason:
        raise _error(_("퇴임 사유를 입력하세요."), "required", "reason")
    delegate.left_on = left_on
    delegate.end_reason = reason[:200]
    delegate.save(update_fields=["left_on", "end_reason"])
    if successor is not None:
        if successor.organisation_id != organisation.pk or successor.status != MemberStatus.ACTIVE:
            raise _error(_("이 협동조합의 조합원이 아닙니다."), "not_member", "successor")
        clash = (
            Delegate.objects.filter(
                member=successor, starts_on__lte=delegate.ends_on, ends_on__gte=left_on
            )
            .filter(Q(left_on__isnull=True) | Q(left_on__gt=left_on))
            .exists()
        )
        if clash:
            raise _error(
                _("%(name)s 님은 이미 그 기간에 대의원입니다.") % {"name": successor.name},
                "already_delegate",
                "successor",
            )
        Delegate.objects.create(
            member=successor,
            method=delegate.method,
            elected_on=timezone.localdate(),
            district=delegate.district,
            starts_on=left_on,
            ends_on=delegate.ends_on,
            replaces=delegate,
            recorded_by=actor,
        )
    audit_record(
        actor=actor,
        action="governance.delegate_end",
        obj=delegate,
        changes={
            "left_on": left_on.isoformat(),
            "reason": delegate.end_reason,
            "successor": successor.pk if successor else None,
        },
    )
    return delegate


# --- founding meeting (창립총회, art. 15, Decree art. 6; social cooperatives art. 85) ----------


def _require_founding(assembly: Assembly) -> None:
    if assembly.kind != AssemblyKind.FOUNDING:
        raise _error(_("창립총회에서만 발기인과 설립동의서를 기록합니다."), "not_founding")


def founding_problems(assembly: Assembly) -> list[str]:
    """Why this founding meeting may not be announced or opened yet (art. 15①: 5 founders; a
    social cooperative's founders of two stakeholder types, art. 85 and Decree art. 19)."""
    founders = list(
        Founder.objects.filter(assembly=assembly).values_list("stakeholder_type", flat=True)
    )
    types = {t for t in founders if t in rules.STAKEHOLDER_TYPES}
    return rules.founding_errors(
        len(founders),
        types,
        social=assembly.organisation.kind == OrganisationKind.SOCIAL_COOPERATIVE,
    )


def _require_founders(assembly: Assembly) -> None:
    problems = founding_problems(assembly)
    if problems:
        raise ValidationError([ValidationError(p, code="founding_rule") for p in problems])


def _lock_founding(actor: Any, assembly: Assembly) -> Assembly:
    _require_manager(actor, assembly.organisation_id)
    assembly = _lock_assembly(assembly)
    _require_founding(assembly)
    if assembly.status in (AssemblyStatus.IN_SESSION, AssemblyStatus.CLOSED):
        raise _error(
            _("개회한 뒤에는 발기인과 설립동의서를 더할 수 없습니다."), "assembly_in_session"
        )
    return assembly


@transaction.atomic
def founder_add(*, actor: Any, assembly: Assembly, name: str, stakeholder_type: str) -> Founder:
    """Record a founder (발기인) of a founding meeting (officers), before it opens."""
    assembly = _lock_founding(actor, assembly)
    name = (name or "").strip()
    if not name:
        raise _error(_("성명을 입력하세요."), "required", "name")
    if stakeholder_type not in StakeholderType.values:
        raise _error(
            _("이해관계자 유형이 올바르지 않습니다."), "invalid_stakeholder", "stakeholder_type"
        )
    if Founder.objects.filter(assembly=assembly, name=name).exists():
        raise _error(_("이미 등록된 발기인입니다."), "duplicate_founder", "name")
    try:
        with transaction.atomic():
            founder = Founder.objects.create(
                assembly=assembly, name=name, stakeholder_type=stakeholder_type, added_by=actor
            )
    except IntegrityError as exc:
        raise _error(_("이미 등록된 발기인입니다."), "duplicate_founder", "name") from exc
    audit_record(actor=actor, action="governance.founder_add", obj=founder)
    return founder


@transaction.atomic
def founder_remove(*, actor: Any, founder: Founder) -> None:
    """Take a founder off the list (a mistake) — only before the notice goes out."""
    assembly = _lock_founding(actor, founder.assembly)
    if assembly.status != AssemblyStatus.CONVENED:
        raise _error(_("공고한 뒤에는 발기인을 뺄 수 없습니다."), "notice_sent")
    audit_record(
        actor=actor,
        action="governance.founder_remove",
        obj=assembly,
        changes={"name": founder.name, "stakeholder_type": founder.stakeholder_type},
    )
    founder.delete()


@transaction.atomic
def consent_record(
    *,
    actor: Any,
    assembly: Assembly,
    name: str,
    stakeholder_type: str,
    submitted_on: dt.date,
    kind: str = MemberKind.PERSON,
    email: str = "",
    phone: str = "",
    address: str = "",
) -> FoundingConsent:
    """Record a consent form (설립동의서) submitted for a founding meeting (officers). The
    consenter enters the register as a provisional entry (status ``consenter``): not a
    member, but one who may check in, be represented and vote at this founding meeting."""
    assembly = _lock_founding(actor, assembly)
    name = (name or "").strip()
    if not name:
        raise _error(_("성명을 입력하세요."), "required", "name")
    if stakeholder_type not in StakeholderType.values:
        raise _error(
            _("이해관계자 유형이 올바르지 않습니다."), "invalid_stakeholder", "stakeholder_type"
        )
    if kind not in MemberKind.values:
        raise _error(_("조합원 구분이 올바르지 않습니다."), "invalid_kind", "kind")
    if submitted_on > timezone.localdate():
        raise _error(_("제출일은 오늘 이후일 수 없습니다."), "submitted_in_future", "submitted_on")
    if submitted_on > _meeting_date(assembly):
        raise _error(
            _("설립동의서는 창립총회 전에 내야 합니다."), "submitted_after_meeting", "submitted_on"
        )
    _settings_locked(assembly.organisation_id)
    if FoundingConsent.objects.filter(assembly=assembly, member__name=name).exists():
        raise _error(
            _("%(name)s 님의 설립동의서는 이미 접수되었습니다.") % {"name": name},
            "duplicate_consent",
            "name",
        )
    member = Member.objects.create(
        organisation_id=assembly.organisation_id,
        number=_next_member_number(assembly.organisation_id),
        name=name,
        kind=kind,
        stakeholder_type=stakeholder_type,
        joined_on=submitted_on,
        status=MemberStatus.CONSENTER,
        status_changed_on=submitted_on,
        status_reason=_("설립동의서 제출"),
        email=email,
        phone=phone,
        address=address,
    )
    consent = FoundingConsent.objects.create(
        assembly=assembly, member=member, submitted_on=submitted_on, recorded_by=actor
    )
    audit_record(actor=actor, action="governance.consent_record", obj=consent)
    return consent


# Which passed item counts as the founding resolution. A founding meeting adopts the articles
# of incorporation (정관, art. 15-16); the catalogue of matters has no separate "adopt the
# articles" entry, and founding meetings tag the articles item ``articles_amendment`` (정관) —
# as the founding fixtures and tests do. Any other passed item (a budget, an election) does not
# establish the cooperative, so without a passed articles item the consenters stay consenters.
FOUNDING_RESOLUTION_MATTER = Matter.ARTICLES_AMENDMENT


def _founding_day(assembly: Assembly) -> dt.date:
    """The day the founding meeting sat (Asia/Seoul): the day it opened, else the day set."""
    if assembly.opened_at is not None:
        return timezone.localtime(assembly.opened_at).date()
    return _meeting_date(assembly)


@transaction.atomic
def founding_complete(*, actor: Any, assembly: Assembly) -> int:
    """After a founding meeting that adopted the articles: the consenters of this meeting become
    active members (officers), joined on the meeting day. Returns how many were admitted; a
    second call admits nobody and returns 0 (nothing written, no audit row)."""
    _require_manager(actor, assembly.organisation_id)
    assembly = _lock_assembly(assembly)
    if assembly.kind != AssemblyKind.FOUNDING:
        raise _error(_("창립총회에서만 설립동의자를 조합원으로 올릴 수 있습니다."), "not_founding")
    if assembly.status != AssemblyStatus.CLOSED:
        raise _error(
            _("창립총회를 폐회한 뒤에 설립동의자를 조합원으로 올릴 수 있습니다."), "not_closed"
        )
    passed = assembly.items.filter(
        matter=FOUNDING_RESOLUTION_MATTER,
        is_report=False,
        status=ItemStatus.CLOSED,
        passed=True,
    )
    if not passed.exists():
        raise _error(
            _(
                "창립총회에서 정관 안건(의결 사항 유형 '%(matter)s')이 가결되지 않아 "
                "설립동의자를 조합원으로 올릴 수 없습니다 (제15조)."
            )
            % {"matter": Matter(FOUNDING_RESOLUTION_MATTER).label},
            "founding_not_resolved",
        )
    _settings_locked(assembly.organisation_id)
    consenter_ids = FoundingConsent.objects.filter(assembly=assembly).values("member_id")
    pending = list(
        Member.objects.select_for_update()
        .filter(
            pk__in=consenter_ids,
            organisation_id=assembly.organisation_id,
            status=MemberStatus.CONSENTER,
        )
        .values_list("pk", flat=True)
    )
    if not pending:
        return 0
    day = _founding_day(assembly)
    Member.objects.filter(pk__in=pending).update(
        status=MemberStatus.ACTIVE,
        joined_on=day,
        status_changed_on=day,
        status_reason=_("창립총회 %(title)s 의결로 조합원 가입") % {"title": assembly.title},
    )
    audit_record(
        actor=actor,
        action="governance.founding_complete",
        obj=assembly,
        changes={"admitted": len(pending), "member_ids": pending, "joined_on": day.isoformat()},
    )
    return len(pending)
