"""Directory API: organisations, MOUs and the reference lists they point to.

Thin, like the pages: parse (pydantic) → access helper / selector / service → schema. Search,
visibility and permissions are the pages' own (``selectors.organisation_list``,
``access.access_organisation``, ``services.organisation_*``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import ConfigDict, field_validator

from dure.api.auth import OPTIONAL_AUTH_OPENAPI, READ_AUTH, WRITE_AUTH
from dure.api.schemas import Text, error_responses
from dure.core.audit import client_ip
from dure.core.pagecache import cache_public_page

from . import access, selectors, services
from .models import (
    MOU,
    IndustryClass,
    Organisation,
    OrganisationKind,
    Sido,
    Sigungu,
    StrategicField,
)

MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000  # beyond this nobody is paging; also keeps OFFSET inside 64 bits
POSITIVE_INT_MAX = 2_147_483_647  # PositiveIntegerField's range on every backend

organisations_router = Router(tags=["organisations"])
mous_router = Router(tags=["mous"])
reference_router = Router(tags=["reference"])

READ = {"auth": READ_AUTH, "openapi_extra": OPTIONAL_AUTH_OPENAPI}

# The model's choices as plain string enums in the schema (a Django ``TextChoices`` class would
# become a component named after the class, and ``MOU.Status`` would be just "Status").
OrganisationKindValue = Literal[*OrganisationKind.values]  # type: ignore[valid-type]
MOUStatusValue = Literal[*MOU.Status.values]  # type: ignore[valid-type]


# --- Schemas -----------------------------------------------------------------------------------


class OrganisationOut(Schema):
    id: int
    kind: str
    name: str
    name_en: str
    acronym: str
    parent_id: int | None
    business_number: str | None = Field(None, description="숫자 10자리")
    corporate_number: str = Field(..., description="숫자 13자리 또는 빈 문자열")
    sido: str | None = Field(None, alias="sido_id", description="시도 코드 (2자리)")
    sigungu: str | None = Field(None, alias="sigungu_id", description="시군구 코드 (5자리)")
    address: str
    postal_code: str
    industry: str | None = Field(None, alias="industry_id", description="KSIC 코드")
    founded_on: dt.date | None
    member_count: int | None
    employee_count: int | None
    strategic_fields: list[str] = Field(..., description="전략 분야 코드 (slug)")
    capabilities: list[str]
    website: str
    email: str
    phone: str
    description: str
    is_public: bool

    @staticmethod
    def resolve_strategic_fields(obj: Organisation) -> list[str]:
        return [f.slug for f in obj.strategic_fields.all()]

    @staticmethod
    def resolve_capabilities(obj: Organisation) -> list[str]:
        return [c.name for c in obj.capabilities.all()]


class OrganisationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[OrganisationOut]


class OrganisationFilters(Schema):
    q: Text(200) = Field(
        "", description="검색어 (형태소 분석: '기술융합'은 '기술융합협동조합'을 찾습니다)"
    )
    kind: OrganisationKindValue | None = None
    sido: Text(2) | None = Field(None, description="시도 코드")
    field: Text(40) | None = Field(None, description="전략 분야 코드 (slug)")
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)

    @field_validator("kind", "sido", "field", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        """``?kind=&sido=`` (what an HTML form sends) means "any"."""
        return None if value == "" else value


class OrganisationUpdateIn(Schema):
    """Only the fields sent are changed; ``null`` or ``""`` clears an optional field. ``kind``,
    ``parent_id`` and ``is_public`` are for platform staff and are ignored for others."""

    model_config = ConfigDict(extra="forbid")

    kind: OrganisationKindValue | None = None
    name: Text(100) | None = None
    name_en: Text(150) | None = None
    acronym: Text(20) | None = None
    parent_id: int | None = Field(None, ge=1)
    business_number: Text(12) | None = Field(
        None, description="사업자등록번호 (하이픈은 있어도 됩니다: 123-45-67890)"
    )
    corporate_number: Text(14) | None = Field(None, description="법인등록번호 (110111-1234567)")
    sido: Text(2) | None = None
    sigungu: Text(5) | None = None
    address: Text(200) | None = None
    postal_code: Text(5) | None = None
    industry: Text(5) | None = Field(None, description="KSIC 코드 (예: 62010)")
    founded_on: dt.date | None = None
    member_count: int | None = Field(None, ge=0, le=POSITIVE_INT_MAX)
    employee_count: int | None = Field(None, ge=0, le=POSITIVE_INT_MAX)
    strategic_fields: list[Text(40)] | None = Field(None, max_length=30)
    capabilities: list[Text(40)] | None = Field(None, max_length=50)
    website: Text(200) | None = None
    email: Text(254) | None = None
    phone: Text(30) | None = None
    description: Text(5000) | None = None
    is_public: bool | None = None


class OrganisationCreateIn(OrganisationUpdateIn):
    kind: OrganisationKindValue
    name: Text(100)


class PartyOut(Schema):
    id: int
    name: str


class MOUOut(Schema):
    id: int
    title: str
    status: str
    signed_on: dt.date | None
    ends_on: dt.date | None
    scope: str
    parties: list[PartyOut]

    @staticmethod
    def resolve_parties(obj: MOU) -> list[Organisation]:
        return sorted(obj.parties.all(), key=lambda p: (p.name, p.pk))


class MOUPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[MOUOut]


class MOUFilters(Schema):
    status: MOUStatusValue | None = None
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)

    @field_validator("status", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


class SidoOut(Schema):
    code: str
    name: str


class StrategicFieldOut(Schema):
    slug: str
    name: str
    name_en: str


# --- Input → service data ----------------------------------------------------------------------

# Blank-able text columns: ``null`` from a client means "clear", stored as "".
BLANK_TEXT_FIELDS = frozenset(
    {
        "name_en",
        "acronym",
        "corporate_number",
        "address",
        "postal_code",
        "website",
        "email",
        "phone",
        "description",
    }
)
# Service / model field → API field, for error messages.
API_FIELD_NAMES = {"parent": "parent_id"}


def _unknown(field: str, code: str, message: Any) -> dict[str, ValidationError]:
    return {field: ValidationError(message, code=code)}


def _service_data(user: Any, raw: dict[str, Any]) -> dict[str, Any]:
    """Turn codes and ids into the rows the service expects (as the page form does);
    everything else (numbers, phone, strategic-field slugs, capabilities) the service checks."""
    data: dict[str, Any] = {}
    errors: dict[str, ValidationError] = {}
    for key, value in raw.items():
        if key == "parent_id":
            parent = None
            if value is not None:
                parent = access.organisations_visible_to(user).filter(pk=value).first()
                if parent is None:
                    errors.update(
                        _unknown(key, "parent_unknown", _("상위 기관을 찾을 수 없습니다."))
                    )
            data["parent"] = parent
        elif key == "sido":
            data[key] = Sido.objects.filter(pk=value).first() if value else None
            if value and data[key] is None:
                errors.update(_unknown(key, "sido_unknown", _("없는 시도 코드입니다.")))
        elif key == "sigungu":
            data[key] = Sigungu.objects.filter(pk=value).first() if value else None
            if value and data[key] is None:
                errors.update(_unknown(key, "sigungu_unknown", _("없는 시군구 코드입니다.")))
        elif key == "industry":
            data[key] = IndustryClass.objects.filter(pk=value).first() if value else None
            if value and data[key] is None:
                errors.update(_unknown(key, "industry_unknown", _("없는 표준산업분류 코드입니다.")))
        elif key == "strategic_fields":
            data[key] = value or []  # slugs: the service checks them
        elif key in BLANK_TEXT_FIELDS and value is None:
            data[key] = ""
        else:
            data[key] = value
    if errors:
        raise ValidationError(errors)
    return data


def _renamed(exc: ValidationError) -> ValidationError:
    """The service speaks model field names (``parent``); the API says ``parent_id``."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError(
        {API_FIELD_NAMES.get(field, field): errors for field, errors in exc.error_dict.items()}
    )


def _with_relations(org: Organisation) -> Organisation:
    prefetch_related_objects([org], "strategic_fields", "capabilities")
    return org


# --- Organisations -----------------------------------------------------------------------------


@organisations_router.get("", response={200: OrganisationPage, **error_responses(401, 422)}, **READ)
@decorate_view(cache_public_page)
def list_organisations(request: HttpRequest, filters: Query[OrganisationFilters]) -> dict:
    """기관 목록과 검색 (디렉터리 페이지와 같은 검색·공개 범위)."""
    errors: dict[str, ValidationError] = {}
    if filters.sido and not Sido.objects.filter(pk=filters.sido).exists():
        errors.update(_unknown("sido", "sido_unknown", _("없는 시도 코드입니다.")))
    if filters.field and not StrategicField.objects.filter(pk=filters.field).exists():
        errors.update(_unknown("field", "strategic_field_unknown", _("없는 전략 분야 코드입니다.")))
    if errors:
        raise ValidationError(errors)
    result = selectors.organisation_list(
        user=request.user,
        query=filters.q,
        kind=filters.kind or "",
        sido=filters.sido or "",
        field_slug=filters.field or "",
        page=filters.page,
        page_size=filters.page_size,
    )
    prefetch_related_objects(result.organisations, "capabilities")
    return {
        "count": result.total,
        "page": result.page,
        "page_size": result.page_size,
        "results": result.organisations,
    }


@organisations_router.get(
    "/{id}", response={200: OrganisationOut, **error_responses(401, 404, 422)}, **READ
)
@decorate_view(cache_public_page)
def get_organisation(request: HttpRequest, id: int) -> Organisation:
    """기관 상세 (비공개 기관은 소속 구성원과 운영진만 볼 수 있습니다)."""
    org = access.access_organisation(user=request.user, organisation_id=id)
    return _with_relations(org)


@organisations_router.post(
    "",
    response={201: OrganisationOut, **error_responses(400, 401, 403, 422)},
    auth=WRITE_AUTH,
)
def create_organisation(request: HttpRequest, payload: OrganisationCreateIn) -> Status:
    """기관 등록 (플랫폼 운영진만)."""
    if not access.can_create_organisation(request.user):
        raise PermissionDenied
    data = _service_data(request.user, payload.model_dump(exclude_unset=True))
    try:
        org = services.organisation_create(
            actor=request.user, data=data, ip_address=client_ip(request)
        )
    except ValidationError as exc:
        raise _renamed(exc) from exc
    return Status(201, _with_relations(org))


@organisations_router.patch(
    "/{id}",
    response={200: OrganisationOut, **error_responses(400, 401, 403, 404, 422)},
    auth=WRITE_AUTH,
)
def update_organisation(
    request: HttpRequest,
    id: int,
    payload: OrganisationUpdateIn,
) -> Organisation:
    """기관 정보 수정 (수정 페이지와 같은 권한: 운영진, 기관 대표·이사장·사무국장)."""
    org = access.access_organisation(user=request.user, organisation_id=id, write=True)
    data = _service_data(request.user, payload.model_dump(exclude_unset=True))
    try:
        org = services.organisation_update(
            actor=request.user, organisation=org, data=data, ip_address=client_ip(request)
        )
    except ValidationError as exc:
        raise _renamed(exc) from exc
    return _with_relations(org)


# --- MOUs --------------------------------------------------------------------------------------


@mous_router.get("", response={200: MOUPage, **error_responses(401, 422)}, **READ)
@decorate_view(cache_public_page)
def list_mous(request: HttpRequest, filters: Query[MOUFilters]) -> dict:
    """업무협약 목록 (체결·만료·해지된 협약과 자기 기관의 협약)."""
    qs = selectors.mou_list(user=request.user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    offset = (filters.page - 1) * filters.page_size
    return {
        "count": qs.count(),
        "page": filters.page,
        "page_size": filters.page_size,
        "results": list(qs[offset : offset + filters.page_size]),
    }


@mous_router.get("/{id}", response={200: MOUOut, **error_responses(401, 404, 422)}, **READ)
@decorate_view(cache_public_page)
def get_mou(request: HttpRequest, id: int) -> MOU:
    """업무협약 상세."""
    mou = access.access_mou(user=request.user, mou_id=id)
    prefetch_related_objects([mou], "parties")
    return mou


# --- Reference data ----------------------------------------------------------------------------


@reference_router.get("/sido", response={200: list[SidoOut], **error_responses(401)}, **READ)
def list_sido(request: HttpRequest) -> list[Sido]:
    """시도 코드 목록."""
    return list(Sido.objects.order_by("code"))


@reference_router.get(
    "/strategic-fields",
    response={200: list[StrategicFieldOut], **error_responses(401)},
    **READ,
)
def list_strategic_fields(request: HttpRequest) -> list[StrategicField]:
    """전략 분야 코드 목록."""
    return list(StrategicField.objects.order_by("name"))
