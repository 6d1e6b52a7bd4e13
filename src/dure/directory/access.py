"""Who may see and change what in the directory. Deny by default.

``roles_of(user)`` reads a person's memberships once per request. ``access_*`` helpers fetch
an object and check the permission in one step, raising ``Http404`` both for "missing" and for
"forbidden" so that nobody can probe which private objects exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import (
    CENTRE_KINDS,
    COOPERATIVE_OFFICER_ROLES,
    MOU,
    ORGANISATION_EDITOR_ROLES,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
)


@dataclass(frozen=True)
class RoleSet:
    """What one person is, platform-wide and per organisation."""

    authenticated: bool = False
    platform_admin: bool = False
    memberships: frozenset[tuple[str, int, str]] = field(default_factory=frozenset)
    # (role, organisation_id, organisation_kind)

    def orgs_with(self, *roles: str) -> set[int]:
        return {org for role, org, _kind in self.memberships if role in roles}

    def has_role(self, role: str, organisation_id: int | None = None) -> bool:
        return any(
            r == role and (organisation_id is None or org == organisation_id)
            for r, org, _kind in self.memberships
        )

    @property
    def centre_ids(self) -> set[int]:
        """The support and regional centres this person is staff of."""
        return {
            org
            for role, org, kind in self.memberships
            if role == Role.STAFF and kind in CENTRE_KINDS
        }

    @property
    def centre_staff(self) -> bool:
        """Staff of a support centre or a regional consultation centre."""
        return bool(self.centre_ids)

    def centres_run(self) -> set[int] | None:
        """The centres whose work (programmes, founding consultations) this person runs: None
        for platform admins (every centre), else the centres they are staff of."""
        return None if self.platform_admin else self.centre_ids

    @property
    def institute_staff(self) -> bool:
        return any(
            role in (Role.STAFF, Role.RESEARCHER) and kind == OrganisationKind.RESEARCH_INSTITUTE
            for role, _org, kind in self.memberships
        )

    @property
    def is_staff(self) -> bool:
        """Platform operators: admins and support-centre staff (see private data, edit any)."""
        return self.platform_admin or self.centre_staff

    @property
    def organisation_ids(self) -> set[int]:
        return {org for _role, org, _kind in self.memberships}

    @property
    def editable_organisation_ids(self) -> set[int]:
        return self.orgs_with(*ORGANISATION_EDITOR_ROLES)

    @property
    def officer_organisation_ids(self) -> set[int]:
        return self.orgs_with(*COOPERATIVE_OFFICER_ROLES)

    @property
    def market_roles(self) -> set[str]:
        market = {
            Role.MARKET_SUPPLIER,
            Role.MARKET_SELLER,
            Role.MARKET_CREATOR,
            Role.MARKET_OPERATOR,
        }
        return {role for role, _org, _kind in self.memberships if role in market}


ANONYMOUS = RoleSet()


def roles_of(user: Any) -> RoleSet:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_dure_roles", None)
    if cached is not None:
        return cached
    rows = Membership.objects.filter(user=user).values_list(
        "role", "organisation_id", "organisation__kind"
    )
    roles = RoleSet(
        authenticated=True,
        platform_admin=bool(user.is_platform_admin or user.is_superuser),
        memberships=frozenset(rows),
    )
    user._dure_roles = roles
    return roles


def forget_roles(user: Any) -> None:
    if hasattr(user, "_dure_roles"):
        del user._dure_roles


# --- Organisations -----------------------------------------------------------------------------


def organisations_visible_to(user: Any) -> QuerySet[Organisation]:
    roles = roles_of(user)
    qs = Organisation.objects.all()
    if roles.is_staff:
        return qs
    return qs.filter(Q(is_public=True) | Q(id__in=roles.organisation_ids))


def can_create_organisation(user: Any) -> bool:
    return roles_of(user).is_staff


def can_edit_organisation(user: Any, organisation: Organisation) -> bool:
    roles = roles_of(user)
    return roles.is_staff or organisation.pk in roles.editable_organisation_ids


def access_organisation(*, user: Any, organisation_id: Any, write: bool = False) -> Organisation:
    try:
        org = (
            organisations_visible_to(user)
            .select_related("sido", "sigungu", "industry", "parent")
            .get(pk=int(organisation_id))
        )
    except (Organisation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if write and not can_edit_organisation(user, org):
        raise Http404
    return org


# --- MOUs --------------------------------------------------------------------------------------

PUBLIC_MOU_STATUSES = (MOU.Status.ACTIVE, MOU.Status.EXPIRED, MOU.Status.TERMINATED)


def mous_visible_to(user: Any) -> QuerySet[MOU]:
    roles = roles_of(user)
    qs = MOU.objects.all()
    if roles.is_staff:
        return qs
    mine = roles.organisation_ids
    return qs.filter(Q(status__in=PUBLIC_MOU_STATUSES) | Q(parties__in=mine)).distinct()


def can_create_mou(user: Any) -> bool:
    roles = roles_of(user)
    return roles.is_staff or bool(roles.editable_organisation_ids)


def can_edit_mou(user: Any, mou: MOU) -> bool:
    roles = roles_of(user)
    if roles.is_staff:
        return True
    party_ids = {p.pk for p in mou.parties.all()}
    return bool(party_ids & roles.editable_organisation_ids)


def can_see_mou_attachment(user: Any, mou: MOU) -> bool:
    roles = roles_of(user)
    return roles.is_staff or bool({p.pk for p in mou.parties.all()} & roles.organisation_ids)


def access_mou(*, user: Any, mou_id: Any, write: bool = False) -> MOU:
    try:
        mou = mous_visible_to(user).get(pk=int(mou_id))
    except (MOU.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if write and not can_edit_mou(user, mou):
        raise Http404
    return mou
