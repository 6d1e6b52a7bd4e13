"""Read queries for the directory (pages and API share them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch, QuerySet

from dure.core.stats import monthly
from dure.search.services import search

from . import access
from .models import COOPERATIVE_KINDS, MOU, Organisation, StrategicField
from .search_index import KIND as ORGANISATION_KIND

LIST_RELATED = ("sido", "sigungu")
# Nobody pages this far; the cap keeps OFFSET inside a 64-bit integer on every database.
MAX_PAGE = 100_000


@dataclass
class OrganisationPage:
    organisations: list[Organisation]
    total: int
    page: int
    page_size: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _list_queryset() -> QuerySet[Organisation]:
    return Organisation.objects.select_related(*LIST_RELATED).prefetch_related(
        Prefetch("strategic_fields", queryset=StrategicField.objects.order_by("name"))
    )


def organisation_list(
    *,
    user: Any,
    query: str = "",
    kind: str = "",
    sido: str = "",
    field_slug: str = "",
    page: int = 1,
    page_size: int | None = None,
    with_facets: bool = False,
) -> OrganisationPage:
    page_size = max(1, min(page_size or settings.DURE_PAGE_SIZE, 200))
    page = max(1, min(page, MAX_PAGE))
    offset = (page - 1) * page_size
    if query.strip():
        roles = access.roles_of(user)
        filters: dict[str, object] = {"kind": kind, "sido": sido, "field": field_slug}
        if not roles.is_staff:
            filters["visibility"] = ["public", *(f"org:{pk}" for pk in roles.organisation_ids)]
        result = search(
            query=query,
            kinds=[ORGANISATION_KIND],
            filters=filters,
            facets=["kind", "sido"] if with_facets else [],
            limit=page_size,
            offset=offset,
        )
        ids = [hit.object_id for hit in result.hits]
        by_id = _list_queryset().in_bulk(ids)
        for hit in result.hits:
            found: Any = by_id.get(hit.object_id)  # Any: the snippet is a page-only attribute
            if found is not None:
                found.search_snippet = hit.snippet
        return OrganisationPage(
            organisations=[by_id[i] for i in ids if i in by_id],
            total=result.total,
            page=page,
            page_size=page_size,
            facets=result.facets,
        )
    qs = access.organisations_visible_to(user)
    if kind:
        qs = qs.filter(kind=kind)
    if sido:
        qs = qs.filter(sido_id=sido)
    if field_slug:
        qs = qs.filter(strategic_fields__slug=field_slug)
    total = qs.count()
    ids = list(qs.order_by("name", "id").values_list("id", flat=True)[offset : offset + page_size])
    by_id = _list_queryset().in_bulk(ids)
    return OrganisationPage(
        organisations=[by_id[i] for i in ids],
        total=total,
        page=page,
        page_size=page_size,
    )


def organisation_detail_context(*, user: Any, organisation: Organisation) -> dict[str, Any]:
    roles = access.roles_of(user)
    mous = access.mous_visible_to(user).filter(parties=organisation).prefetch_related("parties")
    affiliates = access.organisations_visible_to(user).filter(parent=organisation).order_by("name")
    people = []
    if roles.is_staff or organisation.pk in roles.organisation_ids:
        people = list(
            organisation.memberships.select_related("user").order_by("role", "user__username")
        )
    return {
        "mous": list(mous),
        "affiliates": list(affiliates[:200]),
        "affiliate_count": affiliates.count(),
        "people": people,
        "fields": list(organisation.strategic_fields.all()),
        "capabilities": list(organisation.capabilities.all()),
        "can_edit": access.can_edit_organisation(user, organisation),
    }


def mou_list(*, user: Any) -> QuerySet[MOU]:
    return access.mous_visible_to(user).prefetch_related("parties").order_by("-signed_on", "-id")


def kind_counts(*, user: Any) -> dict[str, int]:
    rows = access.organisations_visible_to(user).values("kind").annotate(n=Count("id"))
    return {row["kind"]: row["n"] for row in rows}


# --- policy indicators (``dure.insights``) ------------------------------------------------------


def cooperatives_founded_monthly(*, year: int) -> list[int]:
    """Cooperatives (every cooperative kind) founded in each month of ``year``."""
    return monthly(Organisation.objects.filter(kind__in=COOPERATIVE_KINDS), "founded_on", year)


def cooperative_jobs_founded_monthly(*, year: int) -> list[int]:
    """The employees of the cooperatives founded in each month of ``year`` (as recorded)."""
    return monthly(
        Organisation.objects.filter(kind__in=COOPERATIVE_KINDS),
        "founded_on",
        year,
        total="employee_count",
    )


def mous_signed_monthly(*, year: int) -> list[int]:
    """MOUs signed in each month of ``year`` (drafts left out)."""
    return monthly(MOU.objects.exclude(status=MOU.Status.DRAFT), "signed_on", year)
