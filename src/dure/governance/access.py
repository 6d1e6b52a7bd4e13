"""Who may see and do what in a cooperative's governance. Deny by default.

A cooperative's governance is its own business: only its people see it. Platform staff (admins,
support-centre staff) do not see member registers, ballots or minutes through these pages — the
register holds personal data and the centre has no part in a cooperative's democracy.

- **Officers** (이사장, 이사, 사무국장 — ``MANAGER_ROLES``) run it: register members and shares,
  convene assemblies, add agenda items, send the notice, check members in, register proxies,
  enter tallies, close items, write minutes. The 감사 (auditor) sees everything officers see
  but changes nothing.
- **Members** (a ``Role.MEMBER`` membership, or an active register entry linked to their
  account) see the cooperative's assemblies, agendas, results and minutes, and may inspect the
  member register (art. 49): number, name, kind, stakeholder type, join date, shares and
  status — never e-mail, phone or address, which only officers and the member themself see.
  They cast their own ballot (or the ballot of the member they represent by written proxy).
- Nobody else sees anything: another cooperative's register, assemblies or minutes are 404.

``access_*`` helpers fetch and check in one step and raise the same ``Http404`` for "missing"
and "forbidden".
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from dure.directory.access import roles_of
from dure.directory.models import COOPERATIVE_KINDS, Organisation, Role

from .models import (
    AgendaItem,
    Assembly,
    Delegate,
    ExpulsionCase,
    Founder,
    Member,
    MemberStatus,
    Minutes,
)

MANAGER_ROLES = frozenset({Role.CHAIR, Role.BOARD, Role.SECRETARY})
OFFICER_VIEW_ROLES = frozenset({*MANAGER_ROLES, Role.AUDITOR})


def _int(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    if not 0 < number < 2**63:
        raise Http404
    return number


def managed_org_ids(user: Any) -> set[int]:
    """Cooperatives whose governance this person runs."""
    return roles_of(user).orgs_with(*MANAGER_ROLES)


def officer_org_ids(user: Any) -> set[int]:
    """Cooperatives where this person sees what officers see (incl. the auditor)."""
    return roles_of(user).orgs_with(*OFFICER_VIEW_ROLES)


def member_org_ids(user: Any) -> set[int]:
    roles = roles_of(user)
    if not roles.authenticated:
        return set()
    cached = getattr(user, "_dure_gov_member_orgs", None)
    if cached is None:
        linked = set(
            Member.objects.filter(user=user, status=MemberStatus.ACTIVE).values_list(
                "organisation_id", flat=True
            )
        )
        cached = linked | roles.orgs_with(Role.MEMBER)
        user._dure_gov_member_orgs = cached
    return set(cached)


def governance_org_ids(user: Any) -> set[int]:
    return officer_org_ids(user) | member_org_ids(user)


def can_manage(user: Any, organisation_id: int) -> bool:
    return organisation_id in managed_org_ids(user)


def is_officer(user: Any, organisation_id: int) -> bool:
    return organisation_id in officer_org_ids(user)


def cooperatives_for(user: Any) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        pk__in=governance_org_ids(user), kind__in=COOPERATIVE_KINDS
    ).order_by("name")


def access_cooperative(*, user: Any, organisation_id: Any, manage: bool = False) -> Organisation:
    pk = _int(organisation_id)
    allowed = managed_org_ids(user) if manage else governance_org_ids(user)
    if pk not in allowed:
        raise Http404
    try:
        return Organisation.objects.get(pk=pk, kind__in=COOPERATIVE_KINDS)
    except Organisation.DoesNotExist as exc:
        raise Http404 from exc


def member_record_for(user: Any, organisation_id: int) -> Member | None:
    """The register entry of this account in this cooperative (active or not)."""
    if not roles_of(user).authenticated:
        return None
    return Member.objects.filter(user=user, organisation_id=organisation_id).first()


def access_member(
    *, user: Any, organisation_id: Any, member_id: Any, manage: bool = False
) -> Member:
    """Officers see every entry of their cooperative; a member sees their own."""
    org_pk, pk = _int(organisation_id), _int(member_id)
    try:
        member = Member.objects.select_related("organisation", "user").get(
            pk=pk, organisation_id=org_pk
        )
    except Member.DoesNotExist as exc:
        raise Http404 from exc
    if manage:
        if not can_manage(user, org_pk):
            raise Http404
    elif not (is_officer(user, org_pk) or (member.user_id and member.user_id == user.pk)):
        raise Http404
    return member


def assemblies_visible_to(user: Any) -> QuerySet[Assembly]:
    return Assembly.objects.filter(organisation_id__in=governance_org_ids(user))


def access_assembly(*, user: Any, assembly_id: Any, manage: bool = False) -> Assembly:
    pk = _int(assembly_id)
    try:
        assembly = Assembly.objects.select_related("organisation").get(pk=pk)
    except Assembly.DoesNotExist as exc:
        raise Http404 from exc
    allowed = managed_org_ids(user) if manage else governance_org_ids(user)
    if assembly.organisation_id not in allowed:
        raise Http404
    # Board meetings are for officers only.
    if assembly.is_board and not is_officer(user, assembly.organisation_id):
        raise Http404
    return assembly


def access_item(*, user: Any, item_id: Any, manage: bool = False) -> AgendaItem:
    pk = _int(item_id)
    try:
        item = AgendaItem.objects.select_related("assembly", "assembly__organisation").get(pk=pk)
    except AgendaItem.DoesNotExist as exc:
        raise Http404 from exc
    access_assembly(user=user, assembly_id=item.assembly_id, manage=manage)
    return item


def access_minutes(*, user: Any, minutes_id: Any, manage: bool = False) -> Minutes:
    pk = _int(minutes_id)
    try:
        minutes = Minutes.objects.select_related("assembly", "assembly__organisation").get(pk=pk)
    except Minutes.DoesNotExist as exc:
        raise Http404 from exc
    access_assembly(user=user, assembly_id=minutes.assembly_id, manage=manage)
    return minutes


def can_see_contacts(user: Any, member: Member) -> bool:
    return is_officer(user, member.organisation_id) or (
        member.user_id is not None and member.user_id == getattr(user, "pk", None)
    )


def access_expulsion(*, user: Any, case_id: Any) -> ExpulsionCase:
    """Expulsion cases are for the cooperative's managing officers only."""
    pk = _int(case_id)
    try:
        case = ExpulsionCase.objects.select_related("member", "member__organisation").get(pk=pk)
    except ExpulsionCase.DoesNotExist as exc:
        raise Http404 from exc
    if not can_manage(user, case.member.organisation_id):
        raise Http404
    return case


# --- capital refunds ---------------------------------------------------------------------------
# Officers (the auditor included) see their cooperative's refunds, managing officers record
# claims and payments; a departed member sees their own refund (their register entry stays
# linked to their account after they leave). Everybody else: 404.


def access_refund(*, user: Any, refund_id: Any, manage: bool = False) -> Any:
    from .models import CapitalRefund

    pk = _int(refund_id)
    try:
        refund = CapitalRefund.objects.select_related(
            "member", "member__organisation", "resolution_item", "resolution_item__assembly"
        ).get(pk=pk)
    except CapitalRefund.DoesNotExist as exc:
        raise Http404 from exc
    org_id = refund.member.organisation_id
    if manage:
        if not can_manage(user, org_id):
            raise Http404
    elif not (
        is_officer(user, org_id)
        or (refund.member.user_id is not None and refund.member.user_id == getattr(user, "pk", 0))
    ):
        raise Http404
    return refund


def can_see_refund(user: Any, refund: Any) -> bool:
    """Officers and the departed member themself."""
    return is_officer(user, refund.member.organisation_id) or (
        refund.member.user_id is not None and refund.member.user_id == getattr(user, "pk", None)
    )


# --- delegates and founding records ----------------------------------------------------------------


def access_delegate(*, user: Any, delegate_id: Any) -> Delegate:
    """A delegate term, for the cooperative's managing officers only."""
    pk = _int(delegate_id)
    try:
        delegate = Delegate.objects.select_related("member", "member__organisation").get(pk=pk)
    except Delegate.DoesNotExist as exc:
        raise Http404 from exc
    if not can_manage(user, delegate.member.organisation_id):
        raise Http404
    return delegate


def access_founder(*, user: Any, founder_id: Any) -> Founder:
    pk = _int(founder_id)
    try:
        founder = Founder.objects.select_related("assembly", "assembly__organisation").get(pk=pk)
    except Founder.DoesNotExist as exc:
        raise Http404 from exc
    if not can_manage(user, founder.assembly.organisation_id):
        raise Http404
    return founder
