"""Read queries for the technology bank (pages, API, commands and exports share them).

Search goes through ``dure.search`` and is scoped per user: which kinds a person may find
(experts only for staff and for their own institute's people) and which documents
(``visibility`` filter). Lists without a query are plain querysets from ``access``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import holidays
from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from dure.core.audit import personal_data_access_record
from dure.core.stats import monthly
from dure.directory.access import RoleSet, roles_of
from dure.directory.models import Organisation
from dure.search.analysis import MAX_QUERY_CHARS
from dure.search.services import SearchResult, search

from . import access, royalty, semantic
from .models import (
    COMMERCIALISED_STATUSES,
    DEAL_TYPE_FIELDS,
    EQUIPMENT_CONTACT_FIELDS,
    EXPERT_CONTACT_FIELDS,
    LICENSED_STATUSES,
    BookingStatus,
    Commercialisation,
    Equipment,
    EquipmentBooking,
    ExchangeRequest,
    ExchangeStatus,
    Expert,
    ExpertContact,
    Lab,
    RoyaltyReport,
    Technology,
    TransferApplication,
    TransferEvent,
    TransferStatus,
)
from .search_index import (
    EQUIPMENT,
    EXPERT,
    KINDS,
    LAB,
    PUBLIC,
    PUBLIC_KINDS,
    STAFF,
    TECHNOLOGY,
    institute_visibility,
)

MAX_PAGE = 100_000
# The facets the technology bank shows: kind, institute, IPC section, status, TRL, region.
FACET_KEYS = ("kind", "institute", "ipc", "status", "trl", "region")
# Filter keys a caller may pass to techbank_search (values: lists of strings).
FILTER_KEYS = frozenset(
    {
        "institute",
        "ipc",
        "status",
        "trl",
        "region",
        "commercialisation",
        "deal",
        "sharing",
        "available",
    }
)

# --- search ------------------------------------------------------------------------------------


def searchable_kinds(roles: RoleSet) -> tuple[str, ...]:
    """Technologies, equipment and labs for everyone; experts for staff and institute people."""
    if roles.is_staff or access.institute_ids(roles):
        return KINDS
    return PUBLIC_KINDS


def visibility_values(roles: RoleSet) -> list[str]:
    values = [PUBLIC]
    if roles.is_staff:
        values.append(STAFF)
    values.extend(institute_visibility(pk) for pk in sorted(access.institute_ids(roles)))
    return values


def techbank_search(
    *,
    user: Any = None,
    query: str,
    kinds: Iterable[str] | None = None,
    filters: Mapping[str, Any] | None = None,
    facets: Iterable[str] = (),
    limit: int = 20,
    offset: int = 0,
    roles: RoleSet | None = None,
) -> SearchResult:
    """Search technologies, equipment, labs (and experts, for those who may see them).

    ``kinds`` narrows the kinds (kinds the user may not search are dropped silently: asking
    for experts as a visitor finds nothing). ``filters``: keys from ``FILTER_KEYS``, values a
    string or a list of strings (unknown keys are ignored). ``facets``: keys from
    ``FACET_KEYS``. ``roles`` overrides the user's roles (the CLI's ``--as-staff``)."""
    roles = roles if roles is not None else roles_of(user)
    allowed = searchable_kinds(roles)
    wanted = [k for k in (kinds or allowed) if k in allowed]
    if not wanted:
        return SearchResult(query=query, tokens=())
    clean_filters: dict[str, Any] = {
        key: value for key, value in (filters or {}).items() if key in FILTER_KEYS
    }
    clean_filters["visibility"] = visibility_values(roles)
    return search(
        query=(query or "")[:MAX_QUERY_CHARS],
        kinds=list(wanted),
        filters=clean_filters,
        facets=[f for f in facets if f in FACET_KEYS],
        limit=limit,
        offset=offset,
        # lexical and e5 ranking fused when vectors are stored (``dure techbank-embed``)
        semantic=semantic.SOURCE,
    )


def search_facets(
    *,
    user: Any = None,
    query: str,
    kinds: Iterable[str] | None = None,
    filters: Mapping[str, Any] | None = None,
    roles: RoleSet | None = None,
) -> dict[str, list[tuple[str, int]]]:
    """Facet counts (kind, institute, IPC section, status, TRL, region) for a query, each
    ignoring its own filter (drill-down)."""
    return techbank_search(
        user=user,
        query=query,
        kinds=kinds,
        filters=filters,
        facets=FACET_KEYS,
        limit=1,
        roles=roles,
    ).facets


def institute_names(ids: Iterable[str | int]) -> dict[str, str]:
    """Facet labels for institute ids."""
    pks = [int(i) for i in ids if str(i).isdigit()]
    return {
        str(pk): name
        for pk, name in Organisation.objects.filter(pk__in=pks).values_list("pk", "name")
    }


def facet_labels(facets: Mapping[str, list[tuple[str, int]]]) -> dict[str, dict[str, str]]:
    """Display labels for facet values: {key: {value: label}} (institute names, 시도 names,
    kind/status/IPC section labels in the active language). Two queries at most."""
    from dure.directory.models import Sido

    from .models import EquipmentStatus, IPCSection, PatentStatus
    from .search_index import LABELS

    status_labels = {**dict(PatentStatus.choices), **dict(EquipmentStatus.choices)}
    labels: dict[str, dict[str, str]] = {}
    for key, values in facets.items():
        keys = [value for value, _count in values]
        if key == "institute":
            labels[key] = institute_names(keys)
        elif key == "region":
            labels[key] = dict(Sido.objects.filter(code__in=keys).values_list("code", "name"))
        elif key == "kind":
            labels[key] = {k: str(LABELS.get(k, k)) for k in keys}
        elif key == "status":
            labels[key] = {k: str(status_labels.get(k, k)) for k in keys}
        elif key == "ipc":
            labels[key] = {k: str(dict(IPCSection.choices).get(k, k)) for k in keys}
        else:
            labels[key] = {k: k for k in keys}
    return labels


@dataclass(frozen=True)
class SearchRow:
    """One result for the CLI and the API: what a search answer shows about an object."""

    kind: str
    id: int
    title: str
    score: float
    application_number: str | None = None

    def as_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "score": self.score,
        }
        if self.kind == TECHNOLOGY:
            row["application_number"] = self.application_number
        return row


def search_rows(
    *,
    user: Any = None,
    query: str,
    kinds: Iterable[str] | None = None,
    filters: Mapping[str, Any] | None = None,
    limit: int = 20,
    offset: int = 0,
    roles: RoleSet | None = None,
) -> list[SearchRow]:
    """Best first: ``{kind, id, title, score}`` (+ ``application_number`` for technologies)."""
    result = techbank_search(
        user=user,
        query=query,
        kinds=kinds,
        filters=filters,
        limit=limit,
        offset=offset,
        roles=roles,
    )
    tech_ids = [h.object_id for h in result.hits if h.kind == TECHNOLOGY]
    numbers = dict(
        Technology.objects.filter(pk__in=tech_ids).values_list("pk", "application_number")
    )
    return [
        SearchRow(
            kind=hit.kind,
            id=hit.object_id,
            title=hit.title,
            score=hit.score,
            application_number=numbers.get(hit.object_id) if hit.kind == TECHNOLOGY else None,
        )
        for hit in result.hits
    ]


# --- lists -------------------------------------------------------------------------------------


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    page_size: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    searching: bool = False

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _paging(page: int, page_size: int | None) -> tuple[int, int, int]:
    size = max(1, min(page_size or settings.DURE_PAGE_SIZE, 200))
    page = max(1, min(int(page), MAX_PAGE))
    return page, size, (page - 1) * size


def _one(value: Any) -> str:
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


TECHNOLOGY_LIST_RELATED = ("holder",)
EQUIPMENT_LIST_RELATED = ("institute",)


def _searched_page(
    *,
    user: Any,
    kind: str,
    query: str,
    filters: Mapping[str, Any],
    page: int,
    page_size: int | None,
    with_facets: bool,
    queryset: QuerySet,
) -> Page:
    page, size, offset = _paging(page, page_size)
    result = techbank_search(
        user=user,
        query=query,
        kinds=[kind],
        filters=filters,
        facets=FACET_KEYS if with_facets else (),
        limit=size,
        offset=offset,
    )
    ids = [hit.object_id for hit in result.hits]
    by_id = queryset.in_bulk(ids)
    items = []
    for hit in result.hits:
        found: Any = by_id.get(hit.object_id)
        if found is not None:
            found.search_snippet = hit.snippet
            items.append(found)
    return Page(
        items=items,
        total=result.total,
        page=page,
        page_size=size,
        facets=result.facets,
        searching=True,
    )


def _listed_page(qs: QuerySet, *, order: Sequence[str], page: int, page_size: int | None) -> Page:
    page, size, offset = _paging(page, page_size)
    total = qs.count()
    ids = list(qs.order_by(*order).values_list("id", flat=True)[offset : offset + size])
    by_id = qs.model._default_manager.in_bulk(ids)
    return Page(items=[by_id[i] for i in ids if i in by_id], total=total, page=page, page_size=size)


def technology_list(
    *,
    user: Any,
    query: str = "",
    filters: Mapping[str, Any] | None = None,
    page: int = 1,
    page_size: int | None = None,
    with_facets: bool = False,
) -> Page:
    """Technologies, searched (ranked) or listed newest application first. ``filters``:
    institute, ipc (section letter), status, commercialisation, trl, region, deal."""
    filters = dict(filters or {})
    base = access.technologies_visible_to(user).select_related(*TECHNOLOGY_LIST_RELATED)
    if query.strip():
        return _searched_page(
            user=user,
            kind=TECHNOLOGY,
            query=query,
            filters=filters,
            page=page,
            page_size=page_size,
            with_facets=with_facets,
            queryset=base,
        )
    qs = access.technologies_visible_to(user)
    if institute := _one(filters.get("institute")):
        qs = qs.filter(holder_id=int(institute)) if institute.isdigit() else qs.none()
    if ipc := _one(filters.get("ipc")):
        qs = qs.filter(ipc_sections__contains=ipc.upper()[:1])
    if status := _one(filters.get("status")):
        qs = qs.filter(status=status)
    if commercialisation := _one(filters.get("commercialisation")):
        qs = qs.filter(commercialisation=commercialisation)
    if trl := _one(filters.get("trl")):
        qs = qs.filter(trl=int(trl)) if trl.isdigit() else qs.none()
    if region := _one(filters.get("region")):
        qs = qs.filter(holder__sido_id=region)
    if deal := _one(filters.get("deal")):
        deal_field = DEAL_TYPE_FIELDS.get(deal)  # type: ignore[call-overload]
        qs = qs.filter(**{deal_field: True}) if deal_field else qs.none()
    result = _listed_page(qs, order=("-application_date", "-id"), page=page, page_size=page_size)
    result.items = list(
        Technology.objects.select_related(*TECHNOLOGY_LIST_RELATED)
        .filter(pk__in=[t.pk for t in result.items])
        .order_by("-application_date", "-id")
    )
    return result


def equipment_list(
    *,
    user: Any,
    query: str = "",
    filters: Mapping[str, Any] | None = None,
    page: int = 1,
    page_size: int | None = None,
    with_facets: bool = False,
) -> Page:
    """Equipment, searched or listed by name. ``filters``: institute, status, sharing,
    region."""
    filters = dict(filters or {})
    base = access.equipment_visible_to(user).select_related(*EQUIPMENT_LIST_RELATED)
    if query.strip():
        return _searched_page(
            user=user,
            kind=EQUIPMENT,
            query=query,
            filters=filters,
            page=page,
            page_size=page_size,
            with_facets=with_facets,
            queryset=base,
        )
    qs = access.equipment_visible_to(user)
    if institute := _one(filters.get("institute")):
        qs = qs.filter(institute_id=int(institute)) if institute.isdigit() else qs.none()
    if status := _one(filters.get("status")):
        qs = qs.filter(status=status)
    if sharing := _one(filters.get("sharing")):
        qs = qs.filter(sharing=sharing)
    if region := _one(filters.get("region")):
        qs = qs.filter(Q(sido_id=region) | Q(sido__isnull=True, institute__sido_id=region))
    result = _listed_page(qs, order=("name", "id"), page=page, page_size=page_size)
    result.items = list(base.filter(pk__in=[e.pk for e in result.items]).order_by("name", "id"))
    return result


def lab_list(
    *,
    user: Any,
    query: str = "",
    filters: Mapping[str, Any] | None = None,
    page: int = 1,
    page_size: int | None = None,
) -> Page:
    filters = dict(filters or {})
    base = access.labs_visible_to(user).select_related("institute").prefetch_related("capabilities")
    if query.strip():
        return _searched_page(
            user=user,
            kind=LAB,
            query=query,
            filters=filters,
            page=page,
            page_size=page_size,
            with_facets=False,
            queryset=base,
        )
    qs = access.labs_visible_to(user)
    if institute := _one(filters.get("institute")):
        qs = qs.filter(institute_id=int(institute)) if institute.isdigit() else qs.none()
    result = _listed_page(qs, order=("name", "id"), page=page, page_size=page_size)
    result.items = list(base.filter(pk__in=[x.pk for x in result.items]).order_by("name", "id"))
    return result


def expert_list(
    *,
    user: Any,
    query: str = "",
    filters: Mapping[str, Any] | None = None,
    page: int = 1,
    page_size: int | None = None,
) -> Page:
    """Experts the user may see (staff; an institute's people see their own). Public profile
    fields only — personal data through ``expert_contact_for``."""
    filters = dict(filters or {})
    base = access.experts_visible_to(user).select_related("institute")
    if query.strip():
        return _searched_page(
            user=user,
            kind=EXPERT,
            query=query,
            filters=filters,
            page=page,
            page_size=page_size,
            with_facets=False,
            queryset=base,
        )
    qs = access.experts_visible_to(user)
    if institute := _one(filters.get("institute")):
        qs = qs.filter(institute_id=int(institute)) if institute.isdigit() else qs.none()
    if _one(filters.get("available")) == "yes":
        qs = qs.filter(available_for_exchange=True)
    result = _listed_page(qs, order=("name", "id"), page=page, page_size=page_size)
    result.items = list(base.filter(pk__in=[x.pk for x in result.items]).order_by("name", "id"))
    return result


# --- details -----------------------------------------------------------------------------------


def technology_detail_context(*, user: Any, technology: Technology) -> dict[str, Any]:
    """What a technology page shows. ``inventors``: the linked experts the user may open (the
    published inventor names are public in ``technology.inventor_names``)."""
    roles = roles_of(user)
    linked = list(technology.inventors.order_by("name"))
    visible = set(
        access.experts_visible_to(user)
        .filter(pk__in=[e.pk for e in linked])
        .values_list("pk", flat=True)
    )
    my_orgs = access.applicant_org_ids(roles)
    my_applications = list(
        TransferApplication.objects.filter(technology=technology, applicant_id__in=my_orgs)
        .exclude(status__in=[TransferStatus.REJECTED, TransferStatus.WITHDRAWN])
        .select_related("applicant")
    )
    return {
        "inventors": [e for e in linked if e.pk in visible],
        "deal_types": technology.deal_types,
        "upfront_fee_due": technology.upfront_fee_due,
        "upfront_fee_waived": technology.is_dormant and bool(technology.upfront_fee),
        "royalty_percent": technology.royalty_percent,
        "can_edit": access.can_edit_technology(user, technology),
        "can_apply": access.can_apply_for_transfer(user),
        "my_applications": my_applications,
    }


def expert_contact_for(
    *, user: Any, expert: Expert, via: str = "page", purpose: str = ""
) -> ExpertContact | None:
    """The expert's personal data if the user may see it (else ``None``). A view by anyone but
    the expert themself is recorded in the personal-data access log."""
    if not access.can_see_expert_contact(user, expert):
        return None
    contact = ExpertContact.objects.filter(expert=expert).first()
    if contact is None:
        return None
    if expert.user_id is None or expert.user_id != getattr(user, "pk", None):
        personal_data_access_record(
            actor=user,
            via=via,
            subject=expert,
            fields=list(EXPERT_CONTACT_FIELDS),
            purpose=purpose or "전문가 연락처 열람",
        )
    return contact


def equipment_contact_for(*, user: Any, equipment: Equipment) -> dict[str, str] | None:
    """The equipment manager's name, phone and e-mail, for staff and the equipment's institute."""
    if not access.can_see_equipment_contact(user, equipment):
        return None
    return {f: getattr(equipment, f) for f in EQUIPMENT_CONTACT_FIELDS}


def equipment_detail_context(*, user: Any, equipment: Equipment) -> dict[str, Any]:
    now = timezone.now()
    return {
        "contact": equipment_contact_for(user=user, equipment=equipment),
        "labs": list(equipment.labs.order_by("name")),
        "busy": equipment_schedule(equipment=equipment, start=now, end=now + dt.timedelta(days=60)),
        "can_edit": access.can_edit_equipment(user, equipment),
        "can_book": equipment.bookable and access.can_request_booking(user),
    }


@dataclass(frozen=True)
class BusySlot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str


def equipment_schedule(
    *, equipment: Equipment, start: dt.datetime, end: dt.datetime
) -> list[BusySlot]:
    """Times already held (requested or approved) in [start, end) — public, without who."""
    rows = (
        EquipmentBooking.objects.filter(
            equipment=equipment,
            status__in=(BookingStatus.REQUESTED, BookingStatus.APPROVED),
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .order_by("starts_at")
        .values_list("starts_at", "ends_at", "status")
    )
    return [BusySlot(*row) for row in rows]


def lab_detail_context(*, user: Any, lab: Lab) -> dict[str, Any]:
    return {
        "capabilities": list(lab.capabilities.order_by("name")),
        "equipment": list(lab.equipment.order_by("name")),
        "can_edit": access.can_edit_lab(user, lab),
    }


def expert_detail_context(*, user: Any, expert: Expert) -> dict[str, Any]:
    return {
        "technologies": list(expert.technologies.select_related("holder").order_by("-id")[:100]),
        "can_edit": access.can_edit_expert(user, expert),
        "can_see_contact": access.can_see_expert_contact(user, expert),
    }


# --- requests ----------------------------------------------------------------------------------


def applicant_organisations(*, user: Any) -> QuerySet[Organisation]:
    """The SMEs and cooperatives the user may file transfer applications and exchange requests
    for (staff: every one of them)."""
    roles = roles_of(user)
    qs = Organisation.objects.filter(kind__in=access.APPLICANT_KINDS).order_by("name", "id")
    if roles.is_staff:
        return qs
    return qs.filter(pk__in=access.applicant_org_ids(roles))


def booking_organisations(*, user: Any) -> QuerySet[Organisation]:
    """The organisations the user may book equipment for (their own; staff: any)."""
    roles = roles_of(user)
    qs = Organisation.objects.order_by("name", "id")
    if roles.is_staff:
        return qs
    return qs.filter(pk__in=roles.organisation_ids)


def booking_list(
    *, user: Any, equipment: Equipment | None = None, status: str = ""
) -> QuerySet[EquipmentBooking]:
    qs = access.bookings_visible_to(user).select_related(
        "equipment", "equipment__institute", "organisation", "requester"
    )
    if equipment is not None:
        qs = qs.filter(equipment=equipment)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-starts_at", "-id")


def transfer_list(*, user: Any, status: str = "") -> QuerySet[TransferApplication]:
    qs = access.transfer_applications_visible_to(user).select_related(
        "technology", "technology__holder", "applicant"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-submitted_at", "-id")


def linked_desk_case(*, user: Any, number: Any = None, case_id: int | None = None) -> Any:
    """The one-stop desk case a request comes from (by number or id) if ``user`` may see it,
    else ``None`` — shown as a link on the request's pages."""
    from dure.desk import selectors as desk_selectors

    if number:
        return desk_selectors.case_link(user=user, number=str(number))
    return desk_selectors.case_link_by_id(user=user, case_id=case_id)


def transfer_detail_context(*, user: Any, application: TransferApplication) -> dict[str, Any]:
    is_open = application.is_open
    reviewer = access.can_review_transfer(user, application)
    applicant = access.can_withdraw_transfer(user, application)
    return {
        "desk_case": linked_desk_case(user=user, case_id=application.desk_case_id),
        "events": list(application.events.select_related("actor")),
        "reports": list(application.royalty_reports.order_by("period_start")),
        "royalty_total": application.royalty_reports.aggregate(total=Sum("royalty_due"))["total"]
        or 0,
        "overdue": overdue_royalty_reports(user=user, application=application)
        if application.is_licensed
        else [],
        "can_review": reviewer and is_open,
        "can_withdraw": applicant and is_open,
        "can_report": applicant and application.is_licensed,
    }


def exchange_list(*, user: Any, status: str = "") -> QuerySet[ExchangeRequest]:
    qs = access.exchange_requests_visible_to(user).select_related(
        "requester", "institute", "expert", "expert__institute"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-submitted_at", "-id")


def exchange_candidates(*, user: Any, request: ExchangeRequest, limit: int = 10) -> list[Expert]:
    """Experts open to exchange who match the request's field (Korean search), of the named
    institute if any — among the experts the user may see."""
    if request.status != ExchangeStatus.SUBMITTED:
        return []
    visible = access.experts_visible_to(user).filter(available_for_exchange=True)
    if request.institute_id:
        visible = visible.filter(institute_id=request.institute_id)
    if not request.field:
        return list(visible.select_related("institute").order_by("name")[:limit])
    filters: dict[str, Any] = {"available": "yes"}
    if request.institute_id:
        filters["institute"] = str(request.institute_id)
    result = techbank_search(
        user=user, query=request.field, kinds=[EXPERT], filters=filters, limit=limit
    )
    ids = [hit.object_id for hit in result.hits]
    by_id = visible.select_related("institute").in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


@dataclass(frozen=True)
class OverdueReport:
    application: TransferApplication
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date


def overdue_royalty_reports(
    *,
    user: Any,
    today: dt.date | None = None,
    application: TransferApplication | None = None,
) -> list[OverdueReport]:
    """Sales reports a licensee owes past their due date (period end + 30 days), for the
    licences the user may see (or for one ``application``)."""
    today = today or timezone.localdate()
    visible = access.transfer_applications_visible_to(user).filter(status__in=LICENSED_STATUSES)
    if application is not None:
        visible = visible.filter(pk=application.pk)
    licences = list(
        visible.select_related("technology", "applicant").prefetch_related(
            Prefetch(
                "royalty_reports",
                queryset=RoyaltyReport.objects.only("application_id", "period_start"),
            )
        )
    )
    out = []
    for licence in licences:
        if not licence.licence_start or not licence.report_every_months:
            continue
        until = today - dt.timedelta(days=royalty.REPORT_GRACE_DAYS + 1)
        if licence.licence_end:
            until = min(until, licence.licence_end)
        reported = {r.period_start for r in licence.royalty_reports.all()}
        for first, last in royalty.report_periods(
            start=licence.licence_start, every_months=licence.report_every_months, until=until
        ):
            if first not in reported and royalty.report_due_date(last) < today:
                out.append(OverdueReport(licence, first, last, royalty.report_due_date(last)))
    return out


# --- statistics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstituteRate:
    institute_id: int | None  # None: all institutes together
    name: str
    total: int
    commercialised: int
    dormant: int

    @property
    def rate(self) -> float:
        """Commercialised share (이전완료 + 사업화) of all technologies, 0–1."""
        return self.commercialised / self.total if self.total else 0.0


def commercialisation_rates() -> tuple[list[InstituteRate], InstituteRate]:
    """Per institute (most technologies first) and overall."""
    rows = (
        Technology.objects.values("holder_id", "holder__name")
        .annotate(
            total=Count("id"),
            commercialised=Count("id", filter=Q(commercialisation__in=COMMERCIALISED_STATUSES)),
            dormant=Count("id", filter=Q(commercialisation=Commercialisation.DORMANT)),
        )
        .order_by("-total", "holder__name")
    )
    per = [
        InstituteRate(
            r["holder_id"], r["holder__name"], r["total"], r["commercialised"], r["dormant"]
        )
        for r in rows
    ]
    overall = InstituteRate(
        None,
        "전체",
        sum(r.total for r in per),
        sum(r.commercialised for r in per),
        sum(r.dormant for r in per),
    )
    return per, overall


def dormant_technologies(*, institute_id: int | None = None) -> QuerySet[Technology]:
    qs = Technology.objects.filter(commercialisation=Commercialisation.DORMANT).select_related(
        "holder"
    )
    if institute_id:
        qs = qs.filter(holder_id=institute_id)
    return qs.order_by("holder__name", "-application_date", "id")


@dataclass(frozen=True)
class Utilisation:
    equipment_id: int
    name: str
    institute: str
    booked_hours: float
    available_hours: float

    @property
    def rate(self) -> float:
        """Approved booked hours over available hours (weekdays that are not public holidays
        × the equipment's hours per day); may exceed 1 when booked round the clock."""
        return self.booked_hours / self.available_hours if self.available_hours else 0.0


def working_days(start: dt.date, end: dt.date) -> int:
    """Weekdays in [start, end) that are not Korean public holidays."""
    if end <= start:
        return 0
    kr = holidays.country_holidays("KR", years=range(start.year, end.year + 1))
    days = 0
    day = start
    while day < end:
        if day.weekday() < 5 and day not in kr:
            days += 1
        day += dt.timedelta(days=1)
    return days


def equipment_utilisation(
    *, start: dt.date, end: dt.date, institute_id: int | None = None
) -> tuple[list[Utilisation], Utilisation]:
    """Utilisation of every equipment item in [start, end) (dates, Asia/Seoul) and overall:
    approved booking hours inside the window over available hours. Disused items are left out."""
    tz = timezone.get_current_timezone()
    window_start = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    window_end = dt.datetime.combine(end, dt.time.min, tzinfo=tz)
    days = working_days(start, end)
    items = Equipment.objects.exclude(status="disused").select_related("institute")
    if institute_id:
        items = items.filter(institute_id=institute_id)
    booked: dict[int, float] = defaultdict(float)
    bookings = EquipmentBooking.objects.filter(
        equipment__in=items,
        status=BookingStatus.APPROVED,
        starts_at__lt=window_end,
        ends_at__gt=window_start,
    ).values_list("equipment_id", "starts_at", "ends_at")
    for equipment_id, starts_at, ends_at in bookings:
        seconds = (min(ends_at, window_end) - max(starts_at, window_start)).total_seconds()
        booked[equipment_id] += max(0.0, seconds) / 3600
    per = [
        Utilisation(
            item.pk,
            item.name,
            item.institute.name,
            round(booked[item.pk], 2),
            float(days * item.available_hours_per_day),
        )
        for item in items.order_by("institute__name", "name")
    ]
    overall = Utilisation(
        0,
        "전체",
        "",
        round(sum(u.booked_hours for u in per), 2),
        sum(u.available_hours for u in per),
    )
    return per, overall


def transfer_pipeline(*, user: Any = None) -> dict[str, int]:
    """Transfer applications per status (every status, zeros included), among those the user
    may see (all of them when ``user`` is None — statistics)."""
    qs = (
        TransferApplication.objects.all()
        if user is None
        else access.transfer_applications_visible_to(user)
    )
    counts = dict.fromkeys(TransferStatus.values, 0)
    for row in qs.values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


# --- exports -----------------------------------------------------------------------------------

EXPERT_EXPORT_COLUMNS = (
    "id",
    "name",
    "institute",
    "department",
    "position",
    "fields",
    "available_for_exchange",
)


def expert_export_rows(*, user: Any) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the experts the user may see. Contact columns (phone, e-mail) are
    present only for staff, and filled only where the user may see that expert's contact; the
    export is recorded in the personal-data access log."""
    roles = roles_of(user)
    experts = list(
        access.experts_visible_to(user)
        .select_related("institute")
        .order_by("institute__name", "name")
    )
    with_contact = roles.is_staff or bool(access.institute_ids(roles))
    header = list(EXPERT_EXPORT_COLUMNS) + (["phone", "email"] if with_contact else [])
    contacts = ExpertContact.objects.in_bulk([e.pk for e in experts]) if with_contact else {}
    rows = []
    for e in experts:
        row: list[Any] = [
            e.pk,
            e.name,
            e.institute.name,
            e.department,
            e.position,
            ", ".join(e.fields or []),
            e.available_for_exchange,
        ]
        if with_contact:
            contact = contacts.get(e.pk) if access.can_see_expert_contact(user, e) else None
            row += [contact.phone if contact else "", contact.email if contact else ""]
            if contact and e.user_id != getattr(user, "pk", None):
                personal_data_access_record(
                    actor=user,
                    via="export",
                    subject=e,
                    fields=["phone", "email"],
                    purpose="전문가 목록 내보내기",
                )
        rows.append(row)
    return header, rows


TECHNOLOGY_EXPORT_COLUMNS = (
    "application_number",
    "title",
    "holder",
    "status",
    "commercialisation",
    "trl",
    "ipc_codes",
    "application_date",
    "registration_number",
    "upfront_fee",
    "royalty_percent",
)


def technology_export_rows(
    *, user: Any, ids: Sequence[int] | None = None
) -> tuple[list[str], list[list[Any]]]:
    qs = access.technologies_visible_to(user).select_related("holder").order_by("id")
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    rows = [
        [
            t.application_number,
            t.title,
            t.holder.name,
            t.get_status_display(),
            t.get_commercialisation_display(),
            t.trl,
            "; ".join(t.ipc_codes or []),
            t.application_date,
            t.registration_number,
            t.upfront_fee,
            t.royalty_percent,
        ]
        for t in qs.iterator(chunk_size=2000)
    ]
    return list(TECHNOLOGY_EXPORT_COLUMNS), rows


__all__ = [
    "FACET_KEYS",
    "Page",
    "SearchRow",
    "commercialisation_rates",
    "dormant_technologies",
    "equipment_utilisation",
    "expert_contact_for",
    "search_rows",
    "techbank_search",
    "transfer_pipeline",
]


# --- policy indicators (``dure.insights``) ------------------------------------------------------


def transfers_reaching_monthly(*, year: int, status: str) -> list[int]:
    """Transfer applications that reached ``status`` (contracted, commercialised …) in each
    month of ``year``."""
    return monthly(TransferEvent.objects.filter(to_status=status), "at", year)
