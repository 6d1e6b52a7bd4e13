"""Who may see and do what with support cases. Deny by default.

Visibility (``cases_visible_to``):

* platform admins, and staff of a centre whose ``DeskCentre.is_national_intake`` is set (the
  national one-stop intake, e.g. 과학기술인협동조합지원센터 in the demo): every case;
* staff of any other support or regional centre: cases received by their centre or by a centre
  under it (``Organisation.parent``);
* staff and researchers of a research institute: cases whose lead or a collaborating
  institute is theirs;
* anyone named on a case: its assignee, members of its team, its collaborators;
* requesters: their own cases (logged in); anonymous requesters only through a signed status
  link (``links.case_for_token``), never through this queryset.

``access_case`` answers the same ``Http404`` for a missing and a forbidden case. Rights to act
(``can_*``) are checked again inside every service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from dure.directory.access import RoleSet, roles_of
from dure.directory.models import CENTRE_KINDS, Organisation, OrganisationKind, Role

from .models import (
    Case,
    CaseAttachment,
    CaseCollaborator,
    CaseMessage,
    DeskCentre,
    Status,
    Team,
    TeamMember,
)

INSTITUTE_ROLES = (Role.STAFF, Role.RESEARCHER)
NUMBER_SHAPE = re.compile(r"[0-9]{4}-[0-9]{6,10}")


def centre_ids(roles: RoleSet) -> set[int]:
    """Centres (support or regional) where the person is staff."""
    return {
        org for role, org, kind in roles.memberships if role == Role.STAFF and kind in CENTRE_KINDS
    }


def institute_ids(roles: RoleSet) -> set[int]:
    """Research institutes where the person is staff or a researcher."""
    return {
        org
        for role, org, kind in roles.memberships
        if role in INSTITUTE_ROLES and kind == OrganisationKind.RESEARCH_INSTITUTE
    }


def national_centre_ids() -> set[int]:
    return set(
        DeskCentre.objects.filter(is_national_intake=True).values_list("organisation_id", flat=True)
    )


def sees_all_cases(user: Any) -> bool:
    """Platform admins and staff of the national intake centre."""
    roles = roles_of(user)
    if roles.platform_admin:
        return True
    mine = centre_ids(roles)
    if not mine:
        return False
    cached = getattr(user, "_dure_desk_national", None)
    if cached is None:
        cached = bool(mine & national_centre_ids())
        user._dure_desk_national = cached
    return bool(cached)


def centre_scope(ids: set[int]) -> set[int]:
    """The centres and the centres under them (regional centres of a support centre)."""
    if not ids:
        return set()
    children = Organisation.objects.filter(parent_id__in=ids, kind__in=CENTRE_KINDS).values_list(
        "pk", flat=True
    )
    return ids | set(children)


def cases_visible_to(user: Any) -> QuerySet[Case]:
    roles = roles_of(user)
    qs = Case.objects.all()
    if not roles.authenticated:
        return qs.none()
    if sees_all_cases(user):
        return qs
    condition = Q(requester=user) | Q(assignee=user)
    centres = centre_scope(centre_ids(roles))
    if centres:
        condition |= Q(receiving_centre_id__in=centres)
    institutes = institute_ids(roles)
    if institutes:
        condition |= Q(lead_institute_id__in=institutes)
        condition |= Q(
            Exists(
                Case.collaborating_institutes.through.objects.filter(
                    case_id=OuterRef("pk"), organisation_id__in=institutes
                )
            )
        )
    condition |= Q(Exists(CaseCollaborator.objects.filter(case_id=OuterRef("pk"), user=user)))
    condition |= Q(Exists(TeamMember.objects.filter(team_id=OuterRef("team_id"), user=user)))
    return qs.filter(condition)


def access_case(*, user: Any, case_id: Any, write: bool = False) -> Case:
    """The case if ``user`` may see it (and act on it when ``write``), else ``Http404``."""
    try:
        case = _case_page_rows(user).get(pk=int(case_id))
    except (Case.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
    if write and not case_roles(user, case).staff_side:
        raise Http404
    return case


CASE_RELATED = (
    "receiving_centre",
    "lead_institute",
    "team",
    "assignee",
    "requester",
    "sido",
    "sigungu",
    "industry",
    "organisation",
)


def _case_page_rows(user: Any) -> QuerySet[Case]:
    return cases_visible_to(user).select_related(*CASE_RELATED)


def access_case_by_number(*, user: Any, number: Any, write: bool = False) -> Case:
    """``access_case`` by the readable number (``2026-000123``): the same ``Http404`` for a
    malformed, missing or forbidden number."""
    text = str(number or "")
    if not NUMBER_SHAPE.fullmatch(text):
        raise Http404
    case = _case_page_rows(user).filter(number=text).first()
    if case is None or (write and not case_roles(user, case).staff_side):
        raise Http404
    return case


# --- What one person is on one case ------------------------------------------------------------


@dataclass(frozen=True)
class CaseRoles:
    admin: bool = False
    centre: bool = False  # staff of the receiving centre (or above it) or of the national intake
    lead_institute: bool = False  # staff/researcher of the lead institute
    collaborating_institute: bool = False
    assignee: bool = False
    team_member: bool = False
    collaborator: bool = False
    requester: bool = False

    @property
    def staff_side(self) -> bool:
        """Anyone working on the case (sees internal notes)."""
        return (
            self.admin
            or self.centre
            or self.lead_institute
            or self.collaborating_institute
            or self.assignee
            or self.team_member
            or self.collaborator
        )

    @property
    def can_view(self) -> bool:
        return self.staff_side or self.requester

    @property
    def sees_contact(self) -> bool:
        """The requester's personal data: the people who answer the case and the requester;
        not collaborating institutes or individual collaborators."""
        return (
            self.admin
            or self.centre
            or self.lead_institute
            or self.assignee
            or self.team_member
            or self.requester
        )


def case_roles(user: Any, case: Case) -> CaseRoles:
    """What ``user`` is on ``case``; remembered on the case object for as long as the fields
    it depends on stay the same (one page or service asks several ``can_*`` questions)."""
    roles = roles_of(user)
    if not roles.authenticated:
        return CaseRoles()
    key = (
        user.pk,
        case.lead_institute_id,
        case.assignee_id,
        case.team_id,
        case.receiving_centre_id,
        case.requester_id,
    )
    memo: dict[tuple[Any, ...], CaseRoles] = case.__dict__.setdefault("_dure_case_roles", {})
    if key not in memo:
        memo[key] = _case_roles(user, roles, case)
    return memo[key]


def forget_case_roles(case: Case) -> None:
    """Call after adding or removing collaborators or collaborating institutes."""
    case.__dict__.pop("_dure_case_roles", None)


def _case_roles(user: Any, roles: RoleSet, case: Case) -> CaseRoles:
    institutes = institute_ids(roles)
    collab_institute = False
    if institutes:
        collab_institute = case.collaborating_institutes.filter(pk__in=institutes).exists()
    centre = sees_all_cases(user) and not roles.platform_admin
    if not centre and case.receiving_centre_id:
        centre = case.receiving_centre_id in centre_scope(centre_ids(roles))
    return CaseRoles(
        admin=roles.platform_admin,
        centre=centre,
        lead_institute=bool(case.lead_institute_id and case.lead_institute_id in institutes),
        collaborating_institute=collab_institute,
        assignee=bool(case.assignee_id and case.assignee_id == user.pk),
        team_member=bool(
            case.team_id and TeamMember.objects.filter(team_id=case.team_id, user=user).exists()
        ),
        collaborator=CaseCollaborator.objects.filter(case=case, user=user).exists(),
        requester=bool(case.requester_id and case.requester_id == user.pk),
    )


def can_see_contact(user: Any, case: Case) -> bool:
    """Whether ``user`` may see the requester's contact (name, phone, e-mail) and business
    number: platform admins, staff of the receiving centre (or a centre above it) and of the
    national intake, the lead institute's staff and researchers, the assignee, the assigned
    team's members and the requester; not collaborating institutes or individual
    collaborators."""
    return case_roles(user, case).sees_contact


def can_view_dashboard(user: Any) -> bool:
    """Queues, dashboards and exports: platform admins, centre staff, and staff and
    researchers of research institutes (each sees the cases ``cases_visible_to`` gives)."""
    roles = roles_of(user)
    return roles.platform_admin or bool(centre_ids(roles)) or bool(institute_ids(roles))


def can_intake(user: Any) -> bool:
    """Staff intake (phone, visit) is for centre staff and platform admins."""
    roles = roles_of(user)
    return roles.platform_admin or bool(centre_ids(roles))


def can_triage(user: Any, case: Case) -> bool:
    r = case_roles(user, case)
    return r.admin or r.centre


def can_assign(user: Any, case: Case) -> bool:
    r = case_roles(user, case)
    return r.admin or r.centre or r.lead_institute


def can_work(user: Any, case: Case) -> bool:
    """Start, wait for the requester, resume, resolve."""
    r = case_roles(user, case)
    return r.admin or r.centre or r.lead_institute or r.assignee or r.team_member


def can_manage_collaborators(user: Any, case: Case) -> bool:
    return can_work(user, case)


def can_post(user: Any, case: Case, *, internal: bool) -> bool:
    r = case_roles(user, case)
    if internal:
        return r.staff_side
    return r.staff_side or r.requester


def can_see_internal(user: Any, case: Case) -> bool:
    return case_roles(user, case).staff_side


def can_close(user: Any, case: Case) -> bool:
    r = case_roles(user, case)
    if case.status == Status.RESOLVED:
        return r.admin or r.centre or r.lead_institute or r.assignee or r.requester
    return r.admin or r.centre  # dismissing an open case (duplicate, spam, withdrawn)


def can_reopen(user: Any, case: Case) -> bool:
    r = case_roles(user, case)
    return r.admin or r.centre or r.lead_institute or r.assignee or r.requester


def messages_visible_to(user: Any, case: Case) -> QuerySet[CaseMessage]:
    qs = case.messages.all()
    if not can_see_internal(user, case):
        qs = qs.filter(is_internal=False)
    return qs


def access_attachment(
    *, attachment_id: Any, user: Any = None, status_token: str | None = None
) -> CaseAttachment:
    """An attachment the person may download: through a case they may see (internal files
    only for the staff side) or through the requester's status link (public files only).
    ``Http404`` otherwise, also for a bad link."""
    from . import links

    try:
        attachment = CaseAttachment.objects.select_related("case", "message").get(
            pk=int(attachment_id)
        )
    except (CaseAttachment.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
    if status_token:
        try:
            case = links.case_for_token(status_token)
        except links.StatusLinkError as exc:
            raise Http404 from exc
        if case.pk != attachment.case_id or attachment.is_internal:
            raise Http404
        return attachment
    if not cases_visible_to(user).filter(pk=attachment.case_id).exists():
        raise Http404
    if attachment.is_internal and not can_see_internal(user, attachment.case):
        raise Http404
    return attachment


# --- Teams -------------------------------------------------------------------------------------


def can_manage_team(user: Any, institute_id: int) -> bool:
    """Platform admins and the institute's staff (not its researchers) manage its teams."""
    roles = roles_of(user)
    return roles.platform_admin or roles.has_role(Role.STAFF, institute_id)


def teams_visible_to(user: Any) -> QuerySet[Team]:
    roles = roles_of(user)
    if not roles.authenticated:
        return Team.objects.none()
    if sees_all_cases(user) or roles.centre_staff:
        return Team.objects.all()
    return Team.objects.filter(
        Q(institute_id__in=institute_ids(roles)) | Q(memberships__user=user)
    ).distinct()


def access_team(*, user: Any, team_id: Any, write: bool = False) -> Team:
    try:
        team = teams_visible_to(user).select_related("institute").get(pk=int(team_id))
    except (Team.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
    if write and not can_manage_team(user, team.institute_id):
        raise Http404
    return team
