"""Read queries for governance pages, the API and exports (no N+1 loops)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from dure.directory.models import Organisation

from . import rules
from .models import (
    AgendaItem,
    Assembly,
    AssemblyKind,
    AssemblyStatus,
    Attendance,
    CheckInMethod,
    Delegate,
    DuesPayment,
    DuesSchedule,
    Founder,
    FoundingConsent,
    ItemStatus,
    Member,
    MemberStatus,
    Minutes,
    Proxy,
    ShareIssue,
)
from .services import (
    _voting_members,
    coop_settings,
    count_ballots,
    delegate_assembly_problems,
    delegates_in_office,
    eligible_members,
    founding_problems,
    present_count,
)


def member_register(organisation: Organisation, *, status: str = "") -> QuerySet[Member]:
    """The register with share totals per member (ordinary and preferred, count and 원)."""
    qs = Member.objects.filter(organisation=organisation)
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        common_shares=Sum("shares__count", filter=Q(shares__preferred=False), default=0),
        preferred_shares=Sum("shares__count", filter=Q(shares__preferred=True), default=0),
    ).order_by("number")


def share_amounts(member: Member) -> dict[str, int]:
    rows = list(ShareIssue.objects.filter(member=member))
    return {
        "count": sum(r.count for r in rows if not r.preferred),
        "preferred": sum(r.count for r in rows if r.preferred),
        "amount": sum(r.amount for r in rows),
        "paid": sum(r.amount for r in rows if r.paid),
        "unpaid": sum(r.amount for r in rows if not r.paid),
    }


@dataclass(frozen=True)
class Arrear:
    member: Member
    schedule: DuesSchedule
    years: list[int]

    @property
    def amount(self) -> int:
        return self.schedule.amount * len(self.years)


def arrears(organisation: Organisation, *, through_year: int | None = None) -> list[Arrear]:
    """Active members' unpaid dues, each year from the later of their joining and the
    schedule's start, up to ``through_year`` (default: last year)."""
    through = through_year if through_year is not None else timezone.localdate().year - 1
    schedules = list(DuesSchedule.objects.filter(organisation=organisation))
    if not schedules:
        return []
    paid: set[tuple[int, int, int]] = set(
        DuesPayment.objects.filter(schedule__organisation=organisation).values_list(
            "schedule_id", "member_id", "year"
        )
    )
    out = []
    for member in Member.objects.filter(organisation=organisation, status=MemberStatus.ACTIVE):
        for schedule in schedules:
            start = max(schedule.starts_year, member.joined_on.year)
            years = [
                y for y in range(start, through + 1) if (schedule.pk, member.pk, y) not in paid
            ]
            if years:
                out.append(Arrear(member, schedule, years))
    return out


def compliance_alerts(organisation: Organisation) -> list[rules.Alert]:
    general = Assembly.objects.filter(
        organisation=organisation,
        status__in=[AssemblyStatus.IN_SESSION, AssemblyStatus.CLOSED],
    ).exclude(kind=AssemblyKind.BOARD)
    last = general.order_by("-scheduled_at").values_list("scheduled_at", flat=True).first()
    last_ordinary = (
        general.filter(kind=AssemblyKind.ORDINARY)
        .order_by("-scheduled_at")
        .values_list("scheduled_at", flat=True)
        .first()
    )
    founded = organisation.founded_on
    last_date = timezone.localtime(last).date() if last else founded
    return rules.compliance_alerts(
        today=timezone.localdate(),
        last_assembly_date=last_date,
        last_ordinary_assembly_date=timezone.localtime(last_ordinary).date()
        if last_ordinary
        else None,
        active_members=Member.objects.filter(
            organisation=organisation, status=MemberStatus.ACTIVE
        ).count(),
        fiscal_year_end_month=coop_settings(organisation).fiscal_year_end_month,
    )


@dataclass(frozen=True)
class Quorum:
    members: int
    present: int
    in_person: int
    by_proxy: int
    required: int
    met: bool
    explanation: str


def quorum(assembly: Assembly) -> Quorum:
    """The live quorum panel: present vs required, with the arithmetic in words."""
    members = (
        assembly.voting_members
        if assembly.voting_members is not None
        else _voting_members(assembly)
    )
    counts = Attendance.objects.filter(assembly=assembly).aggregate(
        total=Count("id"), proxy=Count("id", filter=Q(method=CheckInMethod.PROXY))
    )
    present = counts["total"]
    kind = assembly.rules_kind
    required = rules.required_present(kind, members)
    return Quorum(
        members=members,
        present=present,
        in_person=present - counts["proxy"],
        by_proxy=counts["proxy"],
        required=required,
        met=present >= required,
        explanation=rules.explain_quorum(kind, members, present),
    )


@dataclass(frozen=True)
class LiveCount:
    present: int
    yes: int
    no: int
    abstain: int
    voted: int
    required_yes: int


def live_count(item: AgendaItem) -> LiveCount:
    present = present_count(item)
    counts = count_ballots(item)
    return LiveCount(
        present=present,
        yes=counts["yes"],
        no=counts["no"],
        abstain=counts["abstain"],
        voted=sum(counts.values()),
        required_yes=rules.required_yes(item.assembly.rules_kind, item.resolution, present),
    )


def assemblies_for(organisation: Organisation, *, officer: bool) -> QuerySet[Assembly]:
    qs = Assembly.objects.filter(organisation=organisation).annotate(
        item_count=Count("items", distinct=True)
    )
    if not officer:
        qs = qs.exclude(kind=AssemblyKind.BOARD)
    return qs.order_by("-scheduled_at", "-id")


def attendance_list(assembly: Assembly) -> QuerySet[Attendance]:
    return assembly.attendances.select_related("member", "proxy").order_by("member__number")


def absent_members(assembly: Assembly) -> QuerySet[Member]:
    """Who may still check in: active members, or the delegates in office (delegate
    assembly), the consenters (founding meeting), the directors (board)."""
    return eligible_members(assembly).exclude(attendances__assembly=assembly).order_by("number")


def proxies(assembly: Assembly) -> QuerySet[Proxy]:
    return assembly.proxies.select_related("member", "proxy_member").order_by("member__number")


def latest_minutes(assembly: Assembly) -> Minutes | None:
    return assembly.minutes.order_by("-version").first()


def items_of(assembly: Assembly) -> QuerySet[AgendaItem]:
    return assembly.items.order_by("order").prefetch_related("candidates")


def open_items(assembly: Assembly) -> QuerySet[AgendaItem]:
    return assembly.items.filter(status=ItemStatus.OPEN).order_by("order")


def notice_deadline(assembly: Assembly) -> dt.date:
    return rules.latest_notice_date(timezone.localtime(assembly.scheduled_at).date())


def member_record(member: Member) -> dict[str, Any]:
    """A member's own record: shares, dues paid and owed, attendance, expulsion cases."""
    org = member.organisation
    owed = [a for a in arrears(org) if a.member.pk == member.pk]
    refund_window = None
    if member.status not in (MemberStatus.ACTIVE, MemberStatus.CONSENTER) and (
        member.status_changed_on
    ):
        refund_window = rules.capital_refund_window(
            member.status_changed_on, coop_settings(org).fiscal_year_end_month
        )
    return {
        "shares": list(member.shares.all()),
        "share_totals": share_amounts(member),
        "payments": list(member.dues_payments.select_related("schedule").order_by("-year")),
        "arrears": owed,
        "attendances": list(
            member.attendances.select_related("assembly").order_by("-assembly__scheduled_at")[:20]
        ),
        "expulsion_cases": list(member.expulsion_cases.all()),
        "officer_terms": list(member.officer_terms.all()),
        "refund_window": refund_window,
    }


# --- delegates (대의원, art. 31, Decree art. 9) --------------------------------------------------


@dataclass(frozen=True)
class DelegateSummary:
    day: dt.date
    total_members: int
    required: int
    in_office: int
    problems: list[str]

    @property
    def allowed(self) -> bool:
        return not self.problems


def delegate_summary(organisation: Organisation, day: dt.date | None = None) -> DelegateSummary:
    """Members, delegates required and in office on ``day`` (today), and what stands in the
    way of a delegate assembly, in words."""
    day = day or timezone.localdate()
    total = Member.objects.filter(organisation=organisation, status=MemberStatus.ACTIVE).count()
    return DelegateSummary(
        day=day,
        total_members=total,
        required=rules.required_delegates(total, coop_settings(organisation).delegate_cap),
        in_office=delegates_in_office(organisation.pk, day).count(),
        problems=delegate_assembly_problems(organisation, day),
    )


def delegates_of(organisation: Organisation, *, current_only: bool = False) -> QuerySet[Delegate]:
    """Delegate terms of a cooperative, newest first (``current_only``: in office today)."""
    qs = (
        delegates_in_office(organisation.pk, timezone.localdate())
        if current_only
        else Delegate.objects.filter(member__organisation=organisation)
    )
    return qs.select_related("member", "elected_at", "replaces__member").order_by(
        "-starts_on", "member__number"
    )


# --- founding meeting (창립총회, art. 15, Decree art. 6; social cooperatives art. 85) ----------


@dataclass(frozen=True)
class FoundingRecord:
    founders: list[Founder]
    consents: list[FoundingConsent]
    stakeholder_types: list[str]
    problems: list[str]


def founding_record(assembly: Assembly) -> FoundingRecord:
    founders = list(Founder.objects.filter(assembly=assembly).order_by("id"))
    consents = list(
        FoundingConsent.objects.filter(assembly=assembly)
        .select_related("member")
        .order_by("submitted_on", "id")
    )
    return FoundingRecord(
        founders=founders,
        consents=consents,
        stakeholder_types=sorted({f.stakeholder_type for f in founders}),
        problems=founding_problems(assembly),
    )
