"""Read queries for routing."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dure.directory.access import roles_of
from dure.directory.models import Organisation, OrganisationKind, Role

from .models import RoutingExample

ALL = "*"


def example_scope(user: Any) -> frozenset[str]:
    """Whose past cases ``user`` may see as evidence: ``{"*"}`` for platform and centre staff
    (they route every case), the acronyms of their own institutes for institute staff and
    researchers (institutes see the cases routed to them), nothing for anyone else."""
    roles = roles_of(user)
    if roles.is_staff:
        return frozenset({ALL})
    if not roles.institute_staff:
        return frozenset()
    org_ids = {
        org
        for role, org, kind in roles.memberships
        if role in (Role.STAFF, Role.RESEARCHER) and kind == OrganisationKind.RESEARCH_INSTITUTE
    }
    return frozenset(
        a
        for a in Organisation.objects.filter(pk__in=org_ids).values_list("acronym", flat=True)
        if a
    )


def may_see_example(scope: frozenset[str], institutes: list[str] | tuple[str, ...]) -> bool:
    return ALL in scope or any(a in scope for a in institutes)


def example_list(*, source: str | None = None) -> QuerySet[RoutingExample]:
    qs = RoutingExample.objects.select_related("actor")
    if source:
        qs = qs.filter(source=source)
    return qs.order_by("-updated_at", "-id")


def example_for(*, source: str, source_id: Any) -> RoutingExample | None:
    """The decision recorded for one source object (e.g. a desk case), if any."""
    return RoutingExample.objects.filter(source=source, source_id=str(source_id)).first()
