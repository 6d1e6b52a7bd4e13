"""Use cases that change the technology bank. Each runs in one transaction with its audit row
(and search-index update), re-checks permission, and raises ``PermissionDenied`` or a
``ValidationError`` with field errors and stable codes (views and the API turn them into
responses).

State machines: bookings (requested → approved/rejected, requested/approved → cancelled),
transfer applications (``models.TRANSFER_TRANSITIONS``) and exchange requests
(``models.EXCHANGE_TRANSITIONS``) change status only here, each step with an event row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import InvalidOperation
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dure.core import idempotency
from dure.core.audit import audit_record, model_diff
from dure.core.pagecache import bump_data_version
from dure.core.validators import normalize_phone, reject_resident_number
from dure.directory.models import Capability, IndustryClass, Organisation, OrganisationKind, Sido
from dure.search.services import index_object, remove_document

from . import access, periods, royalty
from .identifiers import (
    ipc_sections,
    normalize_application_number,
    normalize_nfec_number,
    normalize_publication_number,
    normalize_registration_number,
    parse_ipc_codes,
)
from .models import (
    ACTIVE_BOOKING_STATUSES,
    DEAL_TYPE_FIELDS,
    EXCHANGE_TRANSITIONS,
    LICENSED_STATUSES,
    OPEN_TRANSFER_STATUSES,
    TRANSFER_TRANSITIONS,
    BookingStatus,
    Commercialisation,
    DealType,
    Equipment,
    EquipmentBooking,
    EquipmentStatus,
    ExchangeDirection,
    ExchangeEvent,
    ExchangeRequest,
    ExchangeStatus,
    Expert,
    ExpertContact,
    Lab,
    PatentStatus,
    RoyaltyReport,
    SharingScope,
    Technology,
    TransferApplication,
    TransferEvent,
    TransferStatus,
)
from .search_index import EQUIPMENT, EXPERT, LAB, TECHNOLOGY
from .tasks import reembed_on_commit

MAX_BOOKING_DAYS = 31
MAX_EXCHANGE_DAYS = 3 * 366
# A booking may start a few minutes in the past (the form was open a while).
BOOKING_START_SLACK = dt.timedelta(minutes=5)
DEFAULT_REPORT_EVERY_MONTHS = 6


# --- small helpers -----------------------------------------------------------------------------


def _error(field: str, message: Any, code: str, params: dict | None = None) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code, params=params)})


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _choice(value: Any, choices: Any, field: str) -> str:
    """A choice's value from its value or its Korean label ("등록" → "registered")."""
    text = str(value or "").strip()
    for key, label in choices.choices:
        if text == key or text == str(label):
            return key
    raise _error(field, _("선택할 수 없는 값입니다: %(value)s"), "invalid_choice", {"value": text})


def _flat(exc: ValidationError) -> list[ValidationError]:
    """Every error in ``exc``, whichever field it was raised for."""
    if hasattr(exc, "error_dict"):
        return [error for errors in exc.error_dict.values() for error in errors]
    return list(exc.error_list)


def _text(value: Any) -> str:
    return str(value if value is not None else "").strip()


def _list(value: Any, *, max_items: int = 30, max_len: int = 60) -> list[str]:
    """A list of short strings from a list or from text separated by , ; | or new lines."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = re.split(r"[,;|\n]+", value)
    else:
        items = [str(v) for v in value]
    out: dict[str, None] = {}
    for item in items:
        cleaned = " ".join(item.split())[:max_len]
        if cleaned:
            out.setdefault(cleaned, None)
    return list(out)[:max_items]


def _money(value: Any, field: str) -> int | None:
    """Whole 원 (an int or digits with optional commas and 원), or None; never negative."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | float):
        raise _error(field, _("금액은 0 이상의 정수(원)여야 합니다."), "money_format")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).replace(",", "").replace("원", "").strip()
        if not text.isascii() or not text.isdigit():
            raise _error(field, _("금액은 0 이상의 정수(원)여야 합니다."), "money_format")
        number = int(text)
    if number < 0 or number >= 10**15:
        raise _error(field, _("금액은 0 이상의 정수(원)여야 합니다."), "money_format")
    return number


def _royalty_bp(data: Mapping[str, Any], field: str = "royalty_bp") -> int | None:
    """The running royalty rate in basis points from ``royalty_bp`` (int) or
    ``royalty_percent`` (Decimal or text such as "2.5")."""
    if data.get("royalty_bp") not in (None, ""):
        value = data["royalty_bp"]
        try:
            bp = int(value)
        except (TypeError, ValueError) as exc:
            raise _error(field, _("경상기술료율이 올바르지 않습니다."), "royalty_format") from exc
        if isinstance(value, float) or not 0 <= bp <= royalty.MAX_ROYALTY_BP:
            raise _error(field, _("경상기술료율은 0~100% 사이여야 합니다."), "royalty_range")
        return bp
    if data.get("royalty_percent") not in (None, ""):
        value = data["royalty_percent"]
        if isinstance(value, float):
            value = str(value)
        try:
            return royalty.percent_to_bp(value)
        except (InvalidOperation, ValueError) as exc:
            raise _error(
                field,
                _("경상기술료율은 0~100% 사이, 소수점 둘째 자리까지 입력해 주세요."),
                "royalty_format",
            ) from exc
    return None


def _date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise _error(
            field, _("날짜 형식이 올바르지 않습니다 (YYYY-MM-DD)."), "date_format"
        ) from exc


def _aware(value: Any, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        try:
            value = dt.datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise _error(field, _("일시 형식이 올바르지 않습니다."), "datetime_format") from exc
    if timezone.is_naive(value):
        raise _error(field, _("시간대가 있는 일시여야 합니다 (Asia/Seoul)."), "datetime_naive")
    return value


def _institute(value: Any, field: str) -> Organisation:
    org = (
        Organisation.objects.filter(pk=_pk(value), kind=OrganisationKind.RESEARCH_INSTITUTE)
        .select_related("sido")
        .first()
        if value not in (None, "")
        else None
    )
    if org is None:
        raise _error(field, _("출연연구기관을 선택해 주세요."), "institute_required")
    return org


def _check_text(errors: dict[str, list[ValidationError]], field: str, value: str) -> None:
    try:
        reject_resident_number(value)
    except ValidationError as exc:
        errors.setdefault(field, []).append(exc)


def _desk_case_id(actor: Any, number: Any, organisation: Organisation) -> int | None:
    """The id of the one-stop desk case (by its number, ``2026-000123``) a request comes
    from: one the actor may see, of the requesting organisation. Blank → no case."""
    number = _text(number)
    if not number:
        return None
    from dure.desk.selectors import case_link

    link = case_link(user=actor, number=number)
    if link is None:
        raise _error("desk_case", _("상담 건을 찾을 수 없습니다."), "desk_case_not_found")
    if link.organisation_id is not None and link.organisation_id != organisation.pk:
        raise _error(
            "desk_case",
            _("상담을 신청한 기업의 이름으로만 상담 건을 연결할 수 있습니다."),
            "desk_case_other_organisation",
        )
    return link.id


def _raise(errors: dict[str, list[ValidationError]]) -> None:
    if errors:
        raise ValidationError(errors)


def _full_clean(obj: Any, exclude: Iterable[str] = ()) -> None:
    # Uniqueness and constraints are checked by the database (and turned into field errors
    # where a race can lose); full_clean checks lengths, choices and e-mail formats.
    obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)


def _snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    snap: dict[str, Any] = {}
    for field in fields:
        value = getattr(obj, field + "_id") if hasattr(obj, field + "_id") else getattr(obj, field)
        snap[field] = value
    return snap


# --- Technologies ------------------------------------------------------------------------------

TECHNOLOGY_FIELDS = (
    "title",
    "title_en",
    "abstract",
    "key_claims",
    "ipc_codes",
    "ipc_sections",
    "ksic",
    "application_number",
    "application_date",
    "publication_number",
    "publication_date",
    "registration_number",
    "registration_date",
    "status",
    "holder",
    "inventor_names",
    "keywords",
    "trl",
    "commercialisation",
    *DEAL_TYPE_FIELDS.values(),
    "upfront_fee",
    "royalty_bp",
)


def clean_technology_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise the plain fields of a technology (no database lookups): numbers, dates,
    choices, IPC codes, keywords, TRL, deal types, fees. Raises ``ValidationError`` with every
    field's errors. Keys not given are left out (partial updates). Used by the services and the
    importer alike."""
    out: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}

    def attempt(field: str, fn: Any) -> None:
        if field not in data:
            return
        try:
            out[field] = fn(data[field])
        except ValidationError as exc:
            errors.setdefault(field, []).extend(_flat(exc))

    def required_text(max_len: int, field: str):
        def clean(value: Any) -> str:
            text = " ".join(_text(value).split())
            if not text:
                raise ValidationError(_("필수 항목입니다."), code="required")
            if len(text) > max_len:
                raise ValidationError(
                    _("%(max)s자 이내로 입력해 주세요."), code="max_length", params={"max": max_len}
                )
            return text

        return clean

    def optional_number(normaliser):
        return lambda value: normaliser(value) if _text(value) else ""

    def trl(value: Any) -> int | None:
        if value in (None, ""):
            return None
        try:
            number = int(str(value).strip().upper().removeprefix("TRL").strip())
        except ValueError as exc:
            raise ValidationError(_("TRL은 1~9 사이의 정수입니다."), code="trl_range") from exc
        if not 1 <= number <= 9:
            raise ValidationError(_("TRL은 1~9 사이의 정수입니다."), code="trl_range")
        return number

    attempt("title", required_text(500, "title"))
    attempt("title_en", lambda v: " ".join(_text(v).split())[:500])
    attempt("abstract", _text)
    attempt("key_claims", _text)
    attempt("inventor_names", lambda v: ", ".join(_list(v, max_items=50, max_len=40))[:500])
    attempt("keywords", lambda v: _list(v, max_items=30, max_len=40))
    attempt("application_number", normalize_application_number)
    attempt("publication_number", optional_number(normalize_publication_number))
    attempt("registration_number", optional_number(normalize_registration_number))
    for field in ("application_date", "publication_date", "registration_date"):
        attempt(field, lambda v, f=field: _date(v, f))
    attempt("status", lambda v: _choice(v, PatentStatus, "status"))
    attempt("commercialisation", lambda v: _choice(v, Commercialisation, "commercialisation"))
    attempt("trl", trl)
    attempt("upfront_fee", lambda v: _money(v, "upfront_fee"))
    if "ipc_codes" in data:
        try:
            codes = parse_ipc_codes(data["ipc_codes"] or [])
            out["ipc_codes"] = codes
            out["ipc_sections"] = ipc_sections(codes)
        except ValidationError as exc:
            errors.setdefault("ipc_codes", []).extend(_flat(exc))
    if "royalty_bp" in data or "royalty_percent" in data:
        try:
            out["royalty_bp"] = _royalty_bp(data)
        except ValidationError as exc:
            errors.setdefault("royalty_bp", []).extend(_flat(exc))
    if "deal_types" in data:
        chosen = set()
        for item in _list(data["deal_types"]):
            try:
                chosen.add(_choice(item, DealType, "deal_types"))
            except ValidationError as exc:
                errors.setdefault("deal_types", []).extend(_flat(exc))
        for deal, field in DEAL_TYPE_FIELDS.items():
            out[field] = deal in chosen
    for field in ("title", "title_en", "abstract", "key_claims"):
        if field in out:
            _check_text(errors, field, out[field])
    app_date = out.get("application_date")
    for field, message in (
        ("registration_date", _("등록일은 출원일보다 빠를 수 없습니다.")),
        ("publication_date", _("공개일은 출원일보다 빠를 수 없습니다.")),
    ):
        if app_date and out.get(field) and out[field] < app_date:
            errors.setdefault(field, []).append(ValidationError(message, code="date_order"))
    _raise(errors)
    return out


def _ksic(value: Any) -> IndustryClass | None:
    if value in (None, ""):
        return None
    code = _pk(value)
    found = IndustryClass.objects.filter(pk=str(code).strip()).first()
    if found is None:
        raise _error("ksic", _("없는 표준산업분류 코드입니다."), "ksic_unknown")
    return found


def _experts_of(values: Iterable[Any]) -> list[Expert]:
    ids = [_pk(v) for v in values]
    experts = list(Expert.objects.filter(pk__in=ids))
    if len(experts) != len(set(ids)):
        raise _error("inventors", _("없는 전문가가 있습니다."), "expert_unknown")
    return experts


def _index_technology(tech: Technology, experts: Iterable[Expert] = ()) -> None:
    index_object(TECHNOLOGY, tech)
    reembed_on_commit(TECHNOLOGY, tech.pk)
    for expert in experts:
        index_object(EXPERT, expert)


def _save_technology(
    tech: Technology, data: Mapping[str, Any], *, actor: Any
) -> tuple[Technology, list[Expert]]:
    cleaned = clean_technology_data(data)
    errors: dict[str, list[ValidationError]] = {}
    if "holder" in data:
        try:
            cleaned["holder"] = _institute(data["holder"], "holder")
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if "ksic" in data:
        try:
            cleaned["ksic"] = _ksic(data["ksic"])
        except ValidationError as exc:
            errors.update(exc.error_dict)
    _raise(errors)
    for field, value in cleaned.items():
        setattr(tech, field, value)
    if not tech.holder_id:
        raise _error("holder", _("출연연구기관을 선택해 주세요."), "institute_required")
    if not access.can_manage_institute(actor, tech.holder_id):
        raise PermissionDenied
    _full_clean(tech, exclude=["created_by"])
    clash = Technology.objects.filter(application_number=tech.application_number).exclude(
        pk=tech.pk
    )
    if clash.exists():
        raise _error(
            "application_number", _("이미 등록된 출원번호입니다."), "application_number_taken"
        )
    try:
        with transaction.atomic():
            tech.save()
    except IntegrityError as exc:
        if Technology.objects.filter(application_number=tech.application_number).exclude(
            pk=tech.pk
        ):
            raise _error(
                "application_number", _("이미 등록된 출원번호입니다."), "application_number_taken"
            ) from exc
        raise
    bump_data_version()  # cached public pages show technologies
    before = list(tech.inventors.all())
    if "inventors" in data:
        experts = _experts_of(data["inventors"] or [])
        tech.inventors.set(experts)
    after = list(tech.inventors.all())
    return tech, list({e.pk: e for e in before + after}.values())


def _technology_state(tech: Technology) -> dict[str, Any]:
    state = _snapshot(tech, TECHNOLOGY_FIELDS)
    if tech.pk:
        state["inventors"] = sorted(tech.inventors.values_list("pk", flat=True))
    return state


@transaction.atomic
def technology_create(
    *, actor: Any, data: Mapping[str, Any], ip_address: str | None = None
) -> Technology:
    if not access.can_create_in_techbank(actor):
        raise PermissionDenied
    if not data.get("application_number"):
        raise _error("application_number", _("필수 항목입니다."), "required")
    tech = Technology(created_by=actor if getattr(actor, "is_authenticated", False) else None)
    tech, experts = _save_technology(tech, data, actor=actor)
    _index_technology(tech, experts)
    audit_record(
        actor=actor,
        action="technology.create",
        obj=tech,
        changes=model_diff({}, _technology_state(tech)),
        ip_address=ip_address,
    )
    return tech


@transaction.atomic
def technology_update(
    *,
    actor: Any,
    technology: Technology,
    data: Mapping[str, Any],
    ip_address: str | None = None,
) -> Technology:
    if not access.can_edit_technology(actor, technology):
        raise PermissionDenied
    tech = Technology.objects.select_for_update().get(pk=technology.pk)
    before = _technology_state(tech)
    tech, experts = _save_technology(tech, data, actor=actor)
    _index_technology(tech, experts)
    changes = model_diff(before, _technology_state(tech))
    if changes:
        audit_record(
            actor=actor,
            action="technology.update",
            obj=tech,
            changes=changes,
            ip_address=ip_address,
        )
    return tech


@transaction.atomic
def technology_delete(*, actor: Any, technology: Technology) -> None:
    """Remove a technology that has no transfer applications (those are kept for the record)."""
    if not access.can_edit_technology(actor, technology):
        raise PermissionDenied
    if technology.transfer_applications.exists():
        raise ValidationError(
            _("기술이전 신청 이력이 있는 기술은 삭제할 수 없습니다."), code="technology_in_use"
        )
    experts = list(technology.inventors.all())
    audit_record(
        actor=actor,
        action="technology.delete",
        obj=technology,
        changes={"application_number": technology.application_number},
    )
    pk = technology.pk
    technology.delete()
    bump_data_version()
    remove_document(kind=TECHNOLOGY, object_id=pk)
    for expert in experts:
        index_object(EXPERT, expert)


# --- Equipment ---------------------------------------------------------------------------------

EQUIPMENT_FIELDS = (
    "nfec_number",
    "name",
    "name_en",
    "manufacturer",
    "model_name",
    "classification",
    "capability",
    "configuration",
    "use_examples",
    "institute",
    "location",
    "sido",
    "sharing",
    "status",
    "fee_per_hour",
    "fee_per_day",
    "available_hours_per_day",
    "acquired_on",
    "acquisition_cost",
    "manager_name",
    "manager_phone",
    "manager_email",
)


def clean_equipment_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise the plain fields of an equipment record (no database lookups)."""
    out: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}

    def attempt(field: str, fn: Any) -> None:
        if field not in data:
            return
        try:
            out[field] = fn(data[field])
        except ValidationError as exc:
            errors.setdefault(field, []).extend(_flat(exc))

    def required(max_len: int):
        def clean(value: Any) -> str:
            text = " ".join(_text(value).split())
            if not text:
                raise ValidationError(_("필수 항목입니다."), code="required")
            return text[:max_len]

        return clean

    def hours(value: Any) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError(_("1~24 사이의 정수입니다."), code="hours_range") from exc
        if not 1 <= number <= 24:
            raise ValidationError(_("1~24 사이의 정수입니다."), code="hours_range")
        return number

    attempt("nfec_number", normalize_nfec_number)
    attempt("name", required(200))
    for field, limit in (
        ("name_en", 200),
        ("manufacturer", 100),
        ("model_name", 100),
        ("classification", 100),
        ("location", 200),
        ("manager_name", 40),
    ):
        attempt(field, lambda v, n=limit: " ".join(_text(v).split())[:n])
    for field in ("capability", "configuration", "use_examples"):
        attempt(field, _text)
    attempt("sharing", lambda v: _choice(v, SharingScope, "sharing"))
    attempt("status", lambda v: _choice(v, EquipmentStatus, "status"))
    for field in ("fee_per_hour", "fee_per_day", "acquisition_cost"):
        attempt(field, lambda v, f=field: _money(v, f))
    attempt("available_hours_per_day", hours)
    attempt("acquired_on", lambda v: _date(v, "acquired_on"))
    attempt("manager_phone", lambda v: normalize_phone(v) if _text(v) else "")
    attempt("manager_email", lambda v: _text(v).lower())
    for field in ("name", "capability", "configuration", "use_examples"):
        if field in out:
            _check_text(errors, field, out[field])
    _raise(errors)
    return out


def _sido(value: Any) -> Sido | None:
    if value in (None, ""):
        return None
    found = Sido.objects.filter(pk=str(_pk(value))).first()
    if found is None:
        raise _error("sido", _("없는 시도 코드입니다."), "sido_unknown")
    return found


def _save_equipment(item: Equipment, data: Mapping[str, Any], *, actor: Any) -> Equipment:
    cleaned = clean_equipment_data(data)
    errors: dict[str, list[ValidationError]] = {}
    for field, resolve in (("institute", lambda v: _institute(v, "institute")), ("sido", _sido)):
        if field in data:
            try:
                cleaned[field] = resolve(data[field])
            except ValidationError as exc:
                errors.update(exc.error_dict)
    _raise(errors)
    for field, value in cleaned.items():
        setattr(item, field, value)
    if not item.institute_id:
        raise _error("institute", _("출연연구기관을 선택해 주세요."), "institute_required")
    if not access.can_manage_institute(actor, item.institute_id):
        raise PermissionDenied
    _full_clean(item, exclude=["created_by"])
    if Equipment.objects.filter(nfec_number=item.nfec_number).exclude(pk=item.pk).exists():
        raise _error("nfec_number", _("이미 등록된 NFEC 등록번호입니다."), "nfec_number_taken")
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:
        if Equipment.objects.filter(nfec_number=item.nfec_number).exclude(pk=item.pk).exists():
            raise _error(
                "nfec_number", _("이미 등록된 NFEC 등록번호입니다."), "nfec_number_taken"
            ) from exc
        raise
    bump_data_version()
    index_object(EQUIPMENT, item)
    reembed_on_commit(EQUIPMENT, item.pk)
    for lab in item.labs.all():
        index_object(LAB, lab)
    return item


@transaction.atomic
def equipment_create(
    *, actor: Any, data: Mapping[str, Any], ip_address: str | None = None
) -> Equipment:
    if not access.can_create_in_techbank(actor):
        raise PermissionDenied
    if not data.get("nfec_number"):
        raise _error("nfec_number", _("필수 항목입니다."), "required")
    item = Equipment(created_by=actor if getattr(actor, "is_authenticated", False) else None)
    _save_equipment(item, data, actor=actor)
    audit_record(
        actor=actor,
        action="equipment.create",
        obj=item,
        changes=model_diff({}, _snapshot(item, EQUIPMENT_FIELDS)),
        ip_address=ip_address,
    )
    return item


@transaction.atomic
def equipment_update(
    *,
    actor: Any,
    equipment: Equipment,
    data: Mapping[str, Any],
    ip_address: str | None = None,
) -> Equipment:
    if not access.can_edit_equipment(actor, equipment):
        raise PermissionDenied
    item = Equipment.objects.select_for_update().get(pk=equipment.pk)
    before = _snapshot(item, EQUIPMENT_FIELDS)
    _save_equipment(item, data, actor=actor)
    changes = model_diff(before, _snapshot(item, EQUIPMENT_FIELDS))
    if changes:
        audit_record(
            actor=actor,
            action="equipment.update",
            obj=item,
            changes=changes,
            ip_address=ip_address,
        )
    return item


# --- Labs --------------------------------------------------------------------------------------

LAB_FIELDS = ("name", "name_en", "institute", "description", "location", "sido")


def _capabilities(names: Iterable[str]) -> list[Capability]:
    cleaned = sorted({" ".join(str(n).split())[:40] for n in names if str(n).strip()})
    return [Capability.objects.get_or_create(name=name)[0] for name in cleaned]


def _lab_state(lab: Lab) -> dict[str, Any]:
    state = _snapshot(lab, LAB_FIELDS)
    if lab.pk:
        state["capabilities"] = sorted(lab.capabilities.values_list("name", flat=True))
        state["equipment"] = sorted(lab.equipment.values_list("pk", flat=True))
    return state


def _save_lab(lab: Lab, data: Mapping[str, Any], *, actor: Any) -> Lab:
    errors: dict[str, list[ValidationError]] = {}
    for field in ("name", "name_en", "description", "location"):
        if field in data:
            setattr(
                lab,
                field,
                " ".join(_text(data[field]).split())
                if field != "description"
                else _text(data[field]),
            )
    for field, resolve in (("institute", lambda v: _institute(v, "institute")), ("sido", _sido)):
        if field in data:
            try:
                setattr(lab, field, resolve(data[field]))
            except ValidationError as exc:
                errors.update(exc.error_dict)
    if not lab.name:
        errors.setdefault("name", []).append(
            ValidationError(_("필수 항목입니다."), code="required")
        )
    _check_text(errors, "description", lab.description)
    _raise(errors)
    if not lab.institute_id:
        raise _error("institute", _("출연연구기관을 선택해 주세요."), "institute_required")
    if not access.can_manage_institute(actor, lab.institute_id):
        raise PermissionDenied
    _full_clean(lab)
    if Lab.objects.filter(institute_id=lab.institute_id, name=lab.name).exclude(pk=lab.pk).exists():
        raise _error("name", _("같은 기관에 같은 이름의 연구실이 있습니다."), "lab_name_taken")
    lab.save()
    if "capabilities" in data:
        lab.capabilities.set(_capabilities(_list(data["capabilities"] or [], max_len=40)))
    if "equipment" in data:
        ids = {_pk(e) for e in data["equipment"] or []}
        items = list(Equipment.objects.filter(pk__in=ids))
        if len(items) != len(ids) or any(e.institute_id != lab.institute_id for e in items):
            raise _error(
                "equipment",
                _("같은 기관이 보유한 장비만 연결할 수 있습니다."),
                "lab_equipment_institute",
            )
        lab.equipment.set(items)
    bump_data_version()
    index_object(LAB, lab)
    reembed_on_commit(LAB, lab.pk)
    return lab


@transaction.atomic
def lab_create(*, actor: Any, data: Mapping[str, Any], ip_address: str | None = None) -> Lab:
    if not access.can_create_in_techbank(actor):
        raise PermissionDenied
    lab = _save_lab(Lab(), data, actor=actor)
    audit_record(
        actor=actor,
        action="lab.create",
        obj=lab,
        changes=model_diff({}, _lab_state(lab)),
        ip_address=ip_address,
    )
    return lab


@transaction.atomic
def lab_update(
    *, actor: Any, lab: Lab, data: Mapping[str, Any], ip_address: str | None = None
) -> Lab:
    if not access.can_edit_lab(actor, lab):
        raise PermissionDenied
    locked = Lab.objects.select_for_update().get(pk=lab.pk)
    before = _lab_state(locked)
    _save_lab(locked, data, actor=actor)
    changes = model_diff(before, _lab_state(locked))
    if changes:
        audit_record(
            actor=actor, action="lab.update", obj=locked, changes=changes, ip_address=ip_address
        )
    return locked


# --- Experts -----------------------------------------------------------------------------------

EXPERT_FIELDS = (
    "name",
    "name_en",
    "institute",
    "department",
    "position",
    "fields",
    "summary",
    "available_for_exchange",
    "exchange_note",
    "user",
)


def _save_expert(expert: Expert, data: Mapping[str, Any], *, actor: Any) -> Expert:
    errors: dict[str, list[ValidationError]] = {}
    for field, limit in (
        ("name", 40),
        ("name_en", 80),
        ("department", 100),
        ("position", 60),
        ("exchange_note", 300),
    ):
        if field in data:
            setattr(expert, field, " ".join(_text(data[field]).split())[:limit])
    if "summary" in data:
        expert.summary = _text(data["summary"])
    if "fields" in data:
        expert.fields = _list(data["fields"], max_items=20, max_len=40)
    if "available_for_exchange" in data:
        expert.available_for_exchange = bool(data["available_for_exchange"])
    if "institute" in data:
        try:
            expert.institute = _institute(data["institute"], "institute")
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if "user" in data:
        # Linking an account to a profile is a staff act (it grants the profile's rights).
        if not access.roles_of(actor).is_staff and _pk(data["user"]) != expert.user_id:
            raise PermissionDenied
        expert.user_id = _pk(data["user"]) or None
    if not expert.name:
        errors.setdefault("name", []).append(
            ValidationError(_("필수 항목입니다."), code="required")
        )
    _check_text(errors, "summary", expert.summary)
    _raise(errors)
    if not expert.institute_id:
        raise _error("institute", _("출연연구기관을 선택해 주세요."), "institute_required")
    if not access.can_manage_institute(actor, expert.institute_id) and not (
        expert.pk and access.can_edit_expert(actor, expert) and "institute" not in data
    ):
        raise PermissionDenied
    _full_clean(expert)
    try:
        with transaction.atomic():
            expert.save()
    except IntegrityError as exc:
        raise _error(
            "user", _("이 계정은 이미 다른 전문가 정보와 연결되어 있습니다."), "user_taken"
        ) from exc
    index_object(EXPERT, expert)
    return expert


@transaction.atomic
def expert_create(*, actor: Any, data: Mapping[str, Any], ip_address: str | None = None) -> Expert:
    if not access.can_create_in_techbank(actor):
        raise PermissionDenied
    expert = _save_expert(Expert(), data, actor=actor)
    audit_record(
        actor=actor,
        action="expert.create",
        obj=expert,
        changes=model_diff({}, _snapshot(expert, EXPERT_FIELDS)),
        ip_address=ip_address,
    )
    return expert


@transaction.atomic
def expert_update(
    *, actor: Any, expert: Expert, data: Mapping[str, Any], ip_address: str | None = None
) -> Expert:
    """Staff, the expert's institute, or the expert themself (who may not move institutes)."""
    if not access.can_edit_expert(actor, expert):
        raise PermissionDenied
    locked = Expert.objects.select_for_update().get(pk=expert.pk)
    before = _snapshot(locked, EXPERT_FIELDS)
    _save_expert(locked, data, actor=actor)
    changes = model_diff(before, _snapshot(locked, EXPERT_FIELDS))
    if changes:
        audit_record(
            actor=actor, action="expert.update", obj=locked, changes=changes, ip_address=ip_address
        )
    return locked


@transaction.atomic
def expert_contact_update(
    *, actor: Any, expert: Expert, data: Mapping[str, Any], ip_address: str | None = None
) -> ExpertContact:
    """Set an expert's personal data (phone, e-mail, CV). The audit row names the fields that
    changed, never their values."""
    if not access.can_edit_expert(actor, expert):
        raise PermissionDenied
    contact, _created = ExpertContact.objects.select_for_update().get_or_create(expert=expert)
    before = {f: getattr(contact, f) for f in ("phone", "email", "cv")}
    errors: dict[str, list[ValidationError]] = {}
    if "phone" in data:
        try:
            contact.phone = normalize_phone(data["phone"]) if _text(data["phone"]) else ""
        except ValidationError as exc:
            errors.setdefault("phone", []).append(exc)
    if "email" in data:
        contact.email = _text(data["email"]).lower()
    if "cv" in data:
        contact.cv = _text(data["cv"])
        _check_text(errors, "cv", contact.cv)
    _raise(errors)
    _full_clean(contact, exclude=["expert"])
    contact.save()
    changed = sorted(f for f, old in before.items() if getattr(contact, f) != old)
    if changed:
        audit_record(
            actor=actor,
            action="expert.contact_update",
            obj=expert,
            changes={"fields": changed},
            ip_address=ip_address,
        )
    return contact


# --- Equipment bookings ------------------------------------------------------------------------


def _booking_overlap_error() -> ValidationError:
    return _error(
        "starts_at",
        _("이 시간에는 이미 예약(신청 포함)이 있습니다. 다른 시간을 선택해 주세요."),
        "booking_overlap",
    )


@transaction.atomic
def booking_request(
    *,
    actor: Any,
    equipment: Equipment,
    organisation: Organisation,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    purpose: str,
    ip_address: str | None = None,
) -> EquipmentBooking:
    """Request a time slot. The slot is held from the request on: no other active (requested or
    approved) booking of the same equipment may overlap it, which the database enforces too."""
    roles = access.roles_of(actor)
    if not access.can_request_booking(actor):
        raise PermissionDenied
    if not roles.is_staff and _pk(organisation) not in roles.organisation_ids:
        raise PermissionDenied
    starts_at = _aware(starts_at, "starts_at")
    ends_at = _aware(ends_at, "ends_at")
    purpose = " ".join(_text(purpose).split())
    errors: dict[str, list[ValidationError]] = {}
    if not purpose:
        errors["purpose"] = [ValidationError(_("사용 목적을 입력해 주세요."), code="required")]
    elif len(purpose) > 300:
        errors["purpose"] = [ValidationError(_("300자 이내로 입력해 주세요."), code="max_length")]
    else:
        _check_text(errors, "purpose", purpose)
    if ends_at <= starts_at:
        errors["ends_at"] = [
            ValidationError(_("종료 일시는 시작 일시 이후여야 합니다."), code="booking_order")
        ]
    elif ends_at - starts_at > dt.timedelta(days=MAX_BOOKING_DAYS):
        errors["ends_at"] = [
            ValidationError(
                _("한 번에 %(days)s일까지 예약할 수 있습니다."),
                code="booking_too_long",
                params={"days": MAX_BOOKING_DAYS},
            )
        ]
    if starts_at < timezone.now() - BOOKING_START_SLACK:
        errors["starts_at"] = [
            ValidationError(_("지난 시간은 예약할 수 없습니다."), code="booking_in_past")
        ]
    _raise(errors)
    # Lock the equipment row: concurrent requests for the same equipment queue here, and each
    # sees the bookings committed before it (PostgreSQL READ COMMITTED; SQLite has one writer).
    item = Equipment.objects.select_for_update().get(pk=equipment.pk)
    if not item.bookable:
        raise _error(
            "equipment",
            _("공동활용 중인 장비만 예약할 수 있습니다 (단독활용·불용 장비 제외)."),
            "equipment_not_bookable",
        )
    overlapping = EquipmentBooking.objects.filter(
        equipment=item,
        status__in=ACTIVE_BOOKING_STATUSES,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if overlapping.exists():
        raise _booking_overlap_error()
    booking = EquipmentBooking(
        equipment=item,
        requester=actor,
        organisation_id=_pk(organisation),
        starts_at=starts_at,
        ends_at=ends_at,
        purpose=purpose,
        fee=royalty.usage_fee(
            starts_at=starts_at,
            ends_at=ends_at,
            fee_per_hour=item.fee_per_hour,
            fee_per_day=item.fee_per_day,
        ),
    )
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as exc:
        # The database's own overlap guard (exclusion constraint / trigger).
        raise _booking_overlap_error() from exc
    bump_data_version()  # the equipment's public schedule
    audit_record(
        actor=actor,
        action="booking.request",
        obj=booking,
        changes={
            "equipment": item.pk,
            "organisation": booking.organisation_id,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
            "fee": booking.fee,
        },
        ip_address=ip_address,
    )
    return booking


def _booking_transition(
    *,
    actor: Any,
    booking: EquipmentBooking,
    allowed_from: tuple[str, ...],
    to: str,
    note: str,
    action: str,
    ip_address: str | None,
) -> EquipmentBooking:
    locked = EquipmentBooking.objects.select_for_update().get(pk=booking.pk)
    if locked.status not in allowed_from:
        raise ValidationError(
            _("현재 상태(%(status)s)에서는 할 수 없는 처리입니다."),
            code="invalid_transition",
            params={"status": locked.get_status_display()},
        )
    before = locked.status
    locked.status = to
    locked.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.decided_at = timezone.now()
    locked.decision_note = " ".join(_text(note).split())[:300]
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    bump_data_version()
    audit_record(
        actor=actor,
        action=action,
        obj=locked,
        changes={"status": [before, to], "note": locked.decision_note},
        ip_address=ip_address,
    )
    return locked


@transaction.atomic
def booking_approve(
    *, actor: Any, booking: EquipmentBooking, note: str = "", ip_address: str | None = None
) -> EquipmentBooking:
    if not access.can_decide_booking(actor, booking):
        raise PermissionDenied
    return _booking_transition(
        actor=actor,
        booking=booking,
        allowed_from=(BookingStatus.REQUESTED,),
        to=BookingStatus.APPROVED,
        note=note,
        action="booking.approve",
        ip_address=ip_address,
    )


@transaction.atomic
def booking_reject(
    *, actor: Any, booking: EquipmentBooking, note: str = "", ip_address: str | None = None
) -> EquipmentBooking:
    if not access.can_decide_booking(actor, booking):
        raise PermissionDenied
    if not _text(note):
        raise _error("note", _("반려 사유를 입력해 주세요."), "required")
    return _booking_transition(
        actor=actor,
        booking=booking,
        allowed_from=(BookingStatus.REQUESTED,),
        to=BookingStatus.REJECTED,
        note=note,
        action="booking.reject",
        ip_address=ip_address,
    )


@transaction.atomic
def booking_cancel(
    *, actor: Any, booking: EquipmentBooking, note: str = "", ip_address: str | None = None
) -> EquipmentBooking:
    """The requester (or their organisation's editors, or the deciders) cancel a booking that
    has not ended yet; the slot is free again."""
    if not access.can_cancel_booking(actor, booking):
        raise PermissionDenied
    if booking.ends_at <= timezone.now():
        raise ValidationError(_("이미 끝난 예약은 취소할 수 없습니다."), code="booking_ended")
    return _booking_transition(
        actor=actor,
        booking=booking,
        allowed_from=ACTIVE_BOOKING_STATUSES,
        to=BookingStatus.CANCELLED,
        note=note,
        action="booking.cancel",
        ip_address=ip_address,
    )


# --- Technology transfer -----------------------------------------------------------------------


def _transfer_event(
    application: TransferApplication, *, actor: Any, from_status: str, note: str = ""
) -> TransferEvent:
    return TransferEvent.objects.create(
        application=application,
        from_status=from_status,
        to_status=application.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=_text(note)[:3000],
    )


def _set_commercialisation(tech_id: int, value: str) -> None:
    tech = Technology.objects.select_for_update().select_related("holder").get(pk=tech_id)
    if tech.commercialisation != value:
        tech.commercialisation = value
        tech.save(update_fields=["commercialisation", "updated_at"])
        bump_data_version()
        index_object(TECHNOLOGY, tech)


@transaction.atomic
def transfer_submit(
    *,
    actor: Any,
    technology: Technology,
    applicant: Organisation,
    deal_type: str,
    intended_use: str,
    desk_case: str = "",
    ip_address: str | None = None,
) -> TransferApplication:
    """An SME or cooperative applies for a technology, from its page or from a desk case
    (``desk_case``: the case number). The offered terms follow the royalty policy: a dormant
    patent's upfront fee is waived; the running royalty is the listed rate."""
    roles = access.roles_of(actor)
    if not access.can_apply_for_transfer(actor):
        raise PermissionDenied
    applicant_org = Organisation.objects.filter(pk=_pk(applicant)).first()
    if applicant_org is None:
        raise _error("applicant", _("신청 기업을 선택해 주세요."), "applicant_required")
    if not roles.is_staff and applicant_org.pk not in access.applicant_org_ids(roles):
        raise PermissionDenied
    if applicant_org.kind not in access.APPLICANT_KINDS:
        raise _error(
            "applicant",
            _("중소기업과 협동조합만 기술이전을 신청할 수 있습니다."),
            "applicant_kind",
        )
    desk_case_id = _desk_case_id(actor, desk_case, applicant_org)
    tech = Technology.objects.select_for_update().get(pk=technology.pk)
    errors: dict[str, list[ValidationError]] = {}
    try:
        deal = _choice(deal_type, DealType, "deal_type")
    except ValidationError as exc:
        errors.update(exc.error_dict)
        deal = ""
    if deal and deal not in tech.deal_types:
        errors["deal_type"] = [
            ValidationError(
                _("이 기술은 해당 거래 유형을 제공하지 않습니다."), code="deal_type_not_offered"
            )
        ]
    if deal and deal != DealType.COOPERATION and tech.status == PatentStatus.LAPSED:
        errors["deal_type"] = [
            ValidationError(
                _("소멸된 특허는 실시권·양도 대상이 아닙니다. 기술협력으로 신청해 주세요."),
                code="patent_lapsed",
            )
        ]
    intended_use = _text(intended_use)
    if not intended_use:
        errors["intended_use"] = [
            ValidationError(_("활용 계획(적용 제품)을 입력해 주세요."), code="required")
        ]
    elif len(intended_use) > 3000:
        errors["intended_use"] = [
            ValidationError(_("3000자 이내로 입력해 주세요."), code="max_length")
        ]
    else:
        _check_text(errors, "intended_use", intended_use)
    _raise(errors)
    open_exists = TransferApplication.objects.filter(
        technology=tech, applicant=applicant_org, status__in=OPEN_TRANSFER_STATUSES
    ).exists()
    if open_exists:
        raise _error(
            "technology",
            _("이 기술에 대해 진행 중인 신청이 이미 있습니다."),
            "transfer_already_open",
        )
    application = TransferApplication(
        technology=tech,
        applicant=applicant_org,
        submitted_by=actor,
        deal_type=deal,
        intended_use=intended_use,
        desk_case_id=desk_case_id,
        dormant_at_submission=tech.is_dormant,
        offered_upfront_fee=royalty.upfront_fee_due(
            listed_fee=tech.upfront_fee, dormant=tech.is_dormant
        ),
        offered_royalty_bp=tech.royalty_bp,
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:
        raise _error(
            "technology",
            _("이 기술에 대해 진행 중인 신청이 이미 있습니다."),
            "transfer_already_open",
        ) from exc
    _transfer_event(application, actor=actor, from_status="")
    audit_record(
        actor=actor,
        action="transfer.submit",
        obj=application,
        changes={
            "technology": tech.pk,
            "applicant": applicant_org.pk,
            "deal_type": deal,
            "offered_upfront_fee": application.offered_upfront_fee,
            "offered_royalty_bp": application.offered_royalty_bp,
            "desk_case_id": desk_case_id,
        },
        ip_address=ip_address,
    )
    return application


def _lock_application(application: TransferApplication) -> TransferApplication:
    return (
        TransferApplication.objects.select_for_update()
        .select_related("technology")
        .get(pk=application.pk)
    )


def _check_transfer_transition(application: TransferApplication, to: str) -> None:
    if to not in TRANSFER_TRANSITIONS[application.status]:
        raise ValidationError(
            _("현재 상태(%(status)s)에서는 할 수 없는 처리입니다."),
            code="invalid_transition",
            params={"status": application.get_status_display()},
        )


def _move_transfer(
    application: TransferApplication,
    to: str,
    *,
    actor: Any,
    note: str,
    action: str,
    ip_address: str | None,
    extra: dict[str, Any] | None = None,
    update_fields: Iterable[str] = (),
) -> TransferApplication:
    _check_transfer_transition(application, to)
    before = application.status
    application.status = to
    application.save(update_fields=["status", "updated_at", *update_fields])
    _transfer_event(application, actor=actor, from_status=before, note=note)
    audit_record(
        actor=actor,
        action=action,
        obj=application,
        changes={"status": [before, to], **(extra or {})},
        ip_address=ip_address,
    )
    return application


@transaction.atomic
def transfer_review(
    *,
    actor: Any,
    application: TransferApplication,
    note: str = "",
    ip_address: str | None = None,
) -> TransferApplication:
    """The holder institute takes the application into review (submitted → under_review)."""
    if not access.can_review_transfer(actor, application):
        raise PermissionDenied
    locked = _lock_application(application)
    return _move_transfer(
        locked,
        TransferStatus.UNDER_REVIEW,
        actor=actor,
        note=note,
        action="transfer.review",
        ip_address=ip_address,
    )


def _exclusivity_conflict(application: TransferApplication, deal: str) -> bool:
    """An exclusive licence or an assignment excludes every other licence of the technology,
    and no exclusive licence or assignment can be granted beside an existing licence."""
    licensed = TransferApplication.objects.filter(
        technology_id=application.technology_id, status__in=LICENSED_STATUSES
    ).exclude(pk=application.pk)
    exclusive = (DealType.EXCLUSIVE, DealType.ASSIGNMENT)
    if deal == DealType.COOPERATION:
        return False
    if deal in exclusive:
        return licensed.exclude(deal_type=DealType.COOPERATION).exists()
    return licensed.filter(deal_type__in=exclusive).exists()


def _contract_terms(application: TransferApplication, terms: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[ValidationError]] = {}
    out: dict[str, Any] = {}
    try:
        listed = _money(terms.get("upfront_fee"), "upfront_fee")
    except ValidationError as exc:
        errors.update(exc.error_dict)
        listed = None
    if listed is None:
        listed = application.offered_upfront_fee
    out["upfront_fee"] = royalty.upfront_fee_due(
        listed_fee=listed, dormant=application.dormant_at_submission
    )
    try:
        bp = _royalty_bp(terms)
    except ValidationError as exc:
        errors.update(exc.error_dict)
        bp = None
    out["royalty_bp"] = bp if bp is not None else (application.offered_royalty_bp or 0)
    today = timezone.localdate()
    for field, default in (
        ("contract_date", today),
        ("licence_start", None),
        ("licence_end", None),
    ):
        try:
            out[field] = _date(terms.get(field), field) or default
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if not out.get("licence_start"):
        out["licence_start"] = out.get("contract_date") or today
    every = terms.get("report_every_months", DEFAULT_REPORT_EVERY_MONTHS)
    try:
        out["report_every_months"] = int(every)
        if out["report_every_months"] not in royalty.REPORT_INTERVALS:
            raise ValueError
    except (TypeError, ValueError):
        errors["report_every_months"] = [
            ValidationError(
                _("매출 보고 주기는 1, 3, 6, 12개월 중 하나입니다."), code="report_interval"
            )
        ]
    if (
        out.get("licence_end")
        and out.get("licence_start")
        and out["licence_end"] < out["licence_start"]
    ):
        errors["licence_end"] = [
            ValidationError(_("실시 종료일은 시작일 이후여야 합니다."), code="date_order")
        ]
    _raise(errors)
    return out


TRANSFER_DECISIONS = ("negotiate", "contract", "reject")


@transaction.atomic
def transfer_decide(
    *,
    actor: Any,
    application: TransferApplication,
    decision: str,
    note: str = "",
    terms: Mapping[str, Any] | None = None,
    ip_address: str | None = None,
) -> TransferApplication:
    """The holder institute (or staff) decides: ``negotiate`` (under_review → negotiating),
    ``contract`` (under_review/negotiating → contracted, recording the licence ``terms``:
    upfront_fee, royalty_bp or royalty_percent, contract_date, licence_start, licence_end,
    report_every_months — the upfront fee stays waived for a patent dormant at submission), or
    ``reject`` (any open status → rejected; a reason is required). A contract marks the
    technology 이전완료."""
    if not access.can_review_transfer(actor, application):
        raise PermissionDenied
    if decision not in TRANSFER_DECISIONS:
        raise _error("decision", _("선택할 수 없는 값입니다."), "invalid_choice")
    locked = _lock_application(application)
    if decision == "negotiate":
        return _move_transfer(
            locked,
            TransferStatus.NEGOTIATING,
            actor=actor,
            note=note,
            action="transfer.negotiate",
            ip_address=ip_address,
        )
    if decision == "reject":
        if not _text(note):
            raise _error("note", _("반려 사유를 입력해 주세요."), "required")
        return _move_transfer(
            locked,
            TransferStatus.REJECTED,
            actor=actor,
            note=note,
            action="transfer.reject",
            ip_address=ip_address,
        )
    _check_transfer_transition(locked, TransferStatus.CONTRACTED)
    # Lock the technology first: two contracts for one technology are decided one at a time.
    Technology.objects.select_for_update().get(pk=locked.technology_id)
    if _exclusivity_conflict(locked, locked.deal_type):
        raise _error(
            "deal_type",
            _("이미 체결된 전용실시권·양도 계약과 함께 체결할 수 없습니다."),
            "exclusive_conflict",
        )
    agreed = _contract_terms(locked, terms or {})
    for field, value in agreed.items():
        setattr(locked, field, value)
    _move_transfer(
        locked,
        TransferStatus.CONTRACTED,
        actor=actor,
        note=note,
        action="transfer.contract",
        ip_address=ip_address,
        extra={k: str(v) if isinstance(v, dt.date) else v for k, v in agreed.items()},
        update_fields=list(agreed),
    )
    tech = locked.technology
    if tech.commercialisation != Commercialisation.COMMERCIALISED:
        _set_commercialisation(tech.pk, Commercialisation.TRANSFERRED)
    return locked


@transaction.atomic
def transfer_withdraw(
    *,
    actor: Any,
    application: TransferApplication,
    note: str = "",
    ip_address: str | None = None,
) -> TransferApplication:
    """The applicant withdraws an open application."""
    if not access.can_withdraw_transfer(actor, application):
        raise PermissionDenied
    locked = _lock_application(application)
    return _move_transfer(
        locked,
        TransferStatus.WITHDRAWN,
        actor=actor,
        note=note,
        action="transfer.withdraw",
        ip_address=ip_address,
    )


@transaction.atomic
def royalty_report_submit(
    *,
    actor: Any,
    application: TransferApplication,
    period_start: dt.date,
    period_end: dt.date,
    sales: int,
    note: str = "",
    ip_address: str | None = None,
) -> RoyaltyReport:
    """The licensee reports its sales for a period; the royalty due is computed exactly
    (⌊sales × rate⌋ 원; no sales → 0). The first report with sales marks the licence and the
    technology 사업화."""
    if not access.can_report_royalty(actor, application):
        raise PermissionDenied
    locked = _lock_application(application)
    if locked.status not in LICENSED_STATUSES:
        raise ValidationError(
            _("계약이 체결된 기술이전에만 매출을 보고할 수 있습니다."), code="not_licensed"
        )
    errors: dict[str, list[ValidationError]] = {}
    start = end = None
    try:
        start = _date(period_start, "period_start")
        end = _date(period_end, "period_end")
    except ValidationError as exc:
        errors.update(exc.error_dict)
    amount = None
    try:
        amount = _money(sales, "sales")
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if amount is None and "sales" not in errors:
        errors["sales"] = [ValidationError(_("매출액을 입력해 주세요."), code="required")]
    if start is None and "period_start" not in errors:
        errors["period_start"] = [ValidationError(_("필수 항목입니다."), code="required")]
    if end is None and "period_end" not in errors:
        errors["period_end"] = [ValidationError(_("필수 항목입니다."), code="required")]
    if start and end and end < start:
        errors["period_end"] = [
            ValidationError(_("보고 기간 종료일은 시작일 이후여야 합니다."), code="date_order")
        ]
    if start and locked.licence_start and start < locked.licence_start:
        errors["period_start"] = [
            ValidationError(_("실시 시작일 이전 기간은 보고할 수 없습니다."), code="before_licence")
        ]
    if end and end > timezone.localdate():
        errors["period_end"] = [
            ValidationError(_("끝나지 않은 기간은 보고할 수 없습니다."), code="period_not_ended")
        ]
    _raise(errors)
    assert start is not None and end is not None and amount is not None  # noqa: S101 - checked
    if RoyaltyReport.objects.filter(application=locked, period_start=start).exists():
        raise _error("period_start", _("이 기간의 매출 보고가 이미 있습니다."), "report_exists")
    rate = locked.royalty_bp or 0
    report = RoyaltyReport(
        application=locked,
        period_start=start,
        period_end=end,
        sales=amount,
        rate_bp=rate,
        royalty_due=royalty.running_royalty(sales=amount, rate_bp=rate),
        reported_by=actor,
        note=" ".join(_text(note).split())[:300],
    )
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as exc:
        raise _error(
            "period_start", _("이 기간의 매출 보고가 이미 있습니다."), "report_exists"
        ) from exc
    audit_record(
        actor=actor,
        action="transfer.royalty_report",
        obj=locked,
        changes={
            "period": [str(start), str(end)],
            "sales": amount,
            "rate_bp": rate,
            "royalty_due": report.royalty_due,
        },
        ip_address=ip_address,
    )
    if amount > 0 and locked.status == TransferStatus.CONTRACTED:
        _move_transfer(
            locked,
            TransferStatus.COMMERCIALISED,
            actor=actor,
            note=str(_("첫 매출 보고")),
            action="transfer.commercialise",
            ip_address=ip_address,
        )
        _set_commercialisation(locked.technology_id, Commercialisation.COMMERCIALISED)
    return report


# --- Personnel exchange ------------------------------------------------------------------------


def _exchange_event(
    request: ExchangeRequest, *, actor: Any, from_status: str, note: str = ""
) -> ExchangeEvent:
    return ExchangeEvent.objects.create(
        request=request,
        from_status=from_status,
        to_status=request.status,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=_text(note)[:3000],
    )


class ExchangeSubmitResult(NamedTuple):
    exchange: ExchangeRequest
    created: bool  # False: a retry with the same idempotency key returned the first request


def _exchange_replay(existing: ExchangeRequest, fingerprint: str | None) -> ExchangeSubmitResult:
    if fingerprint is None or existing.idempotency_fingerprint != fingerprint:
        raise idempotency.conflict()
    return ExchangeSubmitResult(existing, False)


def exchange_submit(
    *,
    actor: Any,
    requester: Organisation,
    direction: str,
    start_date: dt.date,
    end_date: dt.date,
    purpose: str,
    field: str = "",
    institute: Organisation | None = None,
    expert: Expert | None = None,
    desk_case: str = "",
    ip_address: str | None = None,
    idempotency_key: str | None = None,
) -> ExchangeSubmitResult:
    """An SME or cooperative asks for a researcher's dispatch or for its staff's training at
    an institute, naming a field (or an expert open to exchange), optionally an institute, and
    the period; the period class (단기/중기/장기) is computed (see ``periods``).

    With an ``idempotency_key`` (``core.idempotency``) a retry of the same request returns the
    first one with ``created=False`` and writes nothing; the same key with a different (or
    invalid) request raises ``idempotency_conflict`` and writes nothing, also under a race."""
    roles = access.roles_of(actor)
    if not access.can_request_exchange(actor):
        raise PermissionDenied
    key = idempotency.clean_key(idempotency_key)
    digest = idempotency.digest(actor, key) if key else None
    existing = ExchangeRequest.objects.filter(idempotency_key=digest).first() if digest else None
    org = Organisation.objects.filter(pk=_pk(requester)).first()
    if org is None:
        raise _error("requester", _("신청 기업을 선택해 주세요."), "applicant_required")
    if not roles.is_staff and org.pk not in access.applicant_org_ids(roles):
        raise PermissionDenied
    desk_case_id = _desk_case_id(actor, desk_case, org)
    errors: dict[str, list[ValidationError]] = {}
    if org.kind not in access.APPLICANT_KINDS:
        errors["requester"] = [
            ValidationError(
                _("중소기업과 협동조합만 인력교류를 신청할 수 있습니다."), code="applicant_kind"
            )
        ]
    try:
        direction = _choice(direction, ExchangeDirection, "direction")
    except ValidationError as exc:
        errors.update(exc.error_dict)
    field = " ".join(_text(field).split())
    if len(field) > 200:
        errors["field"] = [ValidationError(_("200자 이내로 입력해 주세요."), code="max_length")]
    purpose = _text(purpose)
    if not purpose:
        errors["purpose"] = [ValidationError(_("교류 목적을 입력해 주세요."), code="required")]
    elif len(purpose) > 3000:
        errors["purpose"] = [ValidationError(_("3000자 이내로 입력해 주세요."), code="max_length")]
    else:
        _check_text(errors, "purpose", purpose)
    inst = None
    if institute not in (None, ""):
        try:
            inst = _institute(institute, "institute")
        except ValidationError as exc:
            errors.update(exc.error_dict)
    named = None
    if expert not in (None, ""):
        named = Expert.objects.filter(pk=_pk(expert)).first()
        if named is None or not named.available_for_exchange:
            errors["expert"] = [
                ValidationError(
                    _("인력교류가 가능한 전문가가 아닙니다."), code="expert_unavailable"
                )
            ]
        elif inst is not None and named.institute_id != inst.pk:
            errors["expert"] = [
                ValidationError(
                    _("전문가의 소속 기관과 희망 기관이 다릅니다."), code="expert_institute"
                )
            ]
        elif inst is None:
            inst = named.institute
    if not field and named is None and "expert" not in errors:
        errors["field"] = [ValidationError(_("분야 또는 전문가를 입력해 주세요."), code="required")]
    start = end = None
    try:
        start = _date(start_date, "start_date")
        end = _date(end_date, "end_date")
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if start is None and "start_date" not in errors:
        errors["start_date"] = [ValidationError(_("필수 항목입니다."), code="required")]
    if end is None and "end_date" not in errors:
        errors["end_date"] = [ValidationError(_("필수 항목입니다."), code="required")]
    if start and end:
        if end < start:
            errors["end_date"] = [
                ValidationError(_("종료일은 시작일 이후여야 합니다."), code="date_order")
            ]
        elif periods.period_days(start, end) > MAX_EXCHANGE_DAYS:
            errors["end_date"] = [
                ValidationError(_("교류 기간은 3년을 넘을 수 없습니다."), code="exchange_too_long")
            ]
        if start < timezone.localdate():
            errors["start_date"] = [
                ValidationError(_("시작일은 오늘 이후여야 합니다."), code="date_in_past")
            ]
    if errors and existing is not None:  # the key's first request was valid: this one differs
        return _exchange_replay(existing, None)
    _raise(errors)
    assert start is not None and end is not None  # noqa: S101 - checked above
    fingerprint = idempotency.fingerprint(
        {
            "requester": org.pk,
            "direction": direction,
            "field": field,
            "institute": inst.pk if inst else None,
            "expert": named.pk if named else None,
            "period": [str(start), str(end)],
            "purpose": purpose,
            "desk_case": desk_case_id,
        }
    )
    if existing is not None:
        return _exchange_replay(existing, fingerprint)
    try:
        with transaction.atomic():
            request = ExchangeRequest.objects.create(
                requester=org,
                submitted_by=actor,
                direction=direction,
                field=field,
                institute=inst,
                expert=named,
                start_date=start,
                end_date=end,
                period_class=periods.period_class(start, end),
                purpose=purpose,
                desk_case_id=desk_case_id,
                idempotency_key=digest,
                idempotency_fingerprint=fingerprint if digest else "",
            )
            _exchange_event(request, actor=actor, from_status="")
            audit_record(
                actor=actor,
                action="exchange.submit",
                obj=request,
                changes={
                    "requester": org.pk,
                    "direction": direction,
                    "field": field,
                    "institute": inst.pk if inst else None,
                    "expert": named.pk if named else None,
                    "period": [str(start), str(end)],
                    "period_class": request.period_class,
                },
                ip_address=ip_address,
            )
    except IntegrityError:
        if digest:  # a concurrent request with the same key committed first
            existing = ExchangeRequest.objects.filter(idempotency_key=digest).first()
            if existing is not None:
                return _exchange_replay(existing, fingerprint)
        raise
    return ExchangeSubmitResult(request, True)


EXCHANGE_DECISIONS = ("agree", "decline")


@transaction.atomic
def exchange_decide(
    *,
    actor: Any,
    request: ExchangeRequest,
    decision: str,
    expert: Expert | None = None,
    note: str = "",
    ip_address: str | None = None,
) -> ExchangeRequest:
    """The institute (or staff) agrees, naming the expert who goes (the one requested by
    default; one of the deciding institute's own experts for institute people), or declines
    with a reason."""
    if not access.can_decide_exchange(actor, request):
        raise PermissionDenied
    if decision not in EXCHANGE_DECISIONS:
        raise _error("decision", _("선택할 수 없는 값입니다."), "invalid_choice")
    locked = ExchangeRequest.objects.select_for_update().get(pk=request.pk)
    to = ExchangeStatus.AGREED if decision == "agree" else ExchangeStatus.DECLINED
    if to not in EXCHANGE_TRANSITIONS[locked.status]:
        raise ValidationError(
            _("현재 상태(%(status)s)에서는 할 수 없는 처리입니다."),
            code="invalid_transition",
            params={"status": locked.get_status_display()},
        )
    if to == ExchangeStatus.DECLINED and not _text(note):
        raise _error("note", _("반려 사유를 입력해 주세요."), "required")
    if to == ExchangeStatus.AGREED:
        chosen = Expert.objects.filter(pk=_pk(expert)).first() if expert else locked.expert
        if chosen is None:
            raise _error("expert", _("교류할 전문가를 지정해 주세요."), "expert_required")
        if locked.institute_id and chosen.institute_id != locked.institute_id:
            raise _error("expert", _("희망 기관 소속 전문가를 지정해 주세요."), "expert_institute")
        if not access.can_manage_institute(actor, chosen.institute_id):
            raise PermissionDenied
        locked.expert = chosen
    before = locked.status
    locked.status = to
    locked.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.decided_at = timezone.now()
    locked.decision_note = " ".join(_text(note).split())[:300]
    locked.save(update_fields=["status", "expert", "decided_by", "decided_at", "decision_note"])
    _exchange_event(locked, actor=actor, from_status=before, note=note)
    audit_record(
        actor=actor,
        action=f"exchange.{decision}",
        obj=locked,
        changes={"status": [before, to], "expert": locked.expert_id},
        ip_address=ip_address,
    )
    return locked


@transaction.atomic
def exchange_withdraw(
    *, actor: Any, request: ExchangeRequest, note: str = "", ip_address: str | None = None
) -> ExchangeRequest:
    if not access.can_withdraw_exchange(actor, request):
        raise PermissionDenied
    locked = ExchangeRequest.objects.select_for_update().get(pk=request.pk)
    if ExchangeStatus.WITHDRAWN not in EXCHANGE_TRANSITIONS[locked.status]:
        raise ValidationError(
            _("현재 상태(%(status)s)에서는 할 수 없는 처리입니다."),
            code="invalid_transition",
            params={"status": locked.get_status_display()},
        )
    before = locked.status
    locked.status = ExchangeStatus.WITHDRAWN
    locked.save(update_fields=["status"])
    _exchange_event(locked, actor=actor, from_status=before, note=note)
    audit_record(
        actor=actor,
        action="exchange.withdraw",
        obj=locked,
        changes={"status": [before, ExchangeStatus.WITHDRAWN]},
        ip_address=ip_address,
    )
    return locked
