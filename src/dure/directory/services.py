"""Use cases that change the directory. Each runs in one transaction with its audit row and
its search-index update, and re-checks permission (views and API check too)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from dure.core.audit import audit_record, model_diff
from dure.core.validators import (
    normalize_business_number,
    normalize_corporate_number,
    normalize_phone,
    reject_resident_number,
)
from dure.search.services import index_object

from . import access
from .models import (
    CENTRE_KINDS,
    MOU,
    Capability,
    Membership,
    Organisation,
    Role,
    StrategicField,
)
from .search_index import KIND as ORGANISATION_KIND

ORGANISATION_FIELDS = (
    "kind",
    "name",
    "name_en",
    "acronym",
    "parent",
    "business_number",
    "corporate_number",
    "sido",
    "sigungu",
    "address",
    "postal_code",
    "industry",
    "founded_on",
    "member_count",
    "employee_count",
    "website",
    "email",
    "phone",
    "description",
    "is_public",
)
# Only platform operators may change what kind an organisation is or hide it. For others these
# fields are ignored (the page form does not show them; the API documents that it ignores them).
STAFF_ONLY_FIELDS = frozenset({"kind", "is_public", "parent"})
# Free-text fields where a resident registration number must never be stored.
TEXT_FIELDS = ("name", "name_en", "acronym", "address", "description")


def _snapshot(org: Organisation) -> dict[str, Any]:
    snap = {
        f: getattr(org, f + "_id" if f in ("parent", "sido", "sigungu", "industry") else f)
        for f in ORGANISATION_FIELDS
    }
    if org.pk:
        snap["strategic_fields"] = sorted(org.strategic_fields.values_list("slug", flat=True))
        snap["capabilities"] = sorted(org.capabilities.values_list("name", flat=True))
    return snap


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    errors: dict[str, list[ValidationError]] = {}
    for field, normaliser in (
        ("business_number", normalize_business_number),
        ("corporate_number", normalize_corporate_number),
        ("phone", normalize_phone),
    ):
        value = data.get(field)
        if value in (None, ""):
            if field in data:
                data[field] = None if field == "business_number" else ""
            continue
        try:
            data[field] = normaliser(value)
        except ValidationError as exc:
            errors[field] = [exc]
    for field in TEXT_FIELDS:
        try:
            reject_resident_number(data.get(field) or "")
        except ValidationError as exc:
            errors[field] = [exc]
    if data.get("strategic_fields"):
        try:
            data["strategic_fields"] = _strategic_fields(data["strategic_fields"])
        except ValidationError as exc:
            errors["strategic_fields"] = [exc]
    if errors:
        raise ValidationError(errors)
    return data


def _strategic_fields(values: list[Any]) -> list[StrategicField]:
    slugs = [v.pk if isinstance(v, StrategicField) else str(v) for v in values]
    found = StrategicField.objects.in_bulk(slugs)
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise ValidationError(
            _("없는 전략 분야입니다: %(slugs)s"),
            code="strategic_field_unknown",
            params={"slugs": ", ".join(unknown)},
        )
    return [found[s] for s in dict.fromkeys(slugs)]


def _capabilities(names: list[str]) -> list[Capability]:
    cleaned = sorted({" ".join(str(n).split())[:40] for n in names if str(n).strip()})
    return [Capability.objects.get_or_create(name=name)[0] for name in cleaned]


def _set_history_user(obj: Any, actor: Any) -> None:
    """simple_history records who made the change, also outside a request (API, commands)."""
    obj._history_user = actor if getattr(actor, "is_authenticated", False) else None


def _save_organisation(org: Organisation, data: dict[str, Any], *, actor: Any) -> None:
    for field in ORGANISATION_FIELDS:
        if field in data:
            setattr(org, field, data[field])
    org.full_clean()
    _set_history_user(org, actor)
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError as exc:
        # full_clean checked uniqueness, but a concurrent request may have taken the number
        # between the check and the insert: still a field error, not a 500.
        number = org.business_number
        taken = Organisation.objects.filter(business_number=number).exclude(pk=org.pk)
        if number and taken.exists():
            raise ValidationError(
                {
                    "business_number": ValidationError(
                        _("이미 등록된 사업자등록번호입니다."), code="unique"
                    )
                }
            ) from exc
        raise
    if "strategic_fields" in data:
        org.strategic_fields.set(data["strategic_fields"] or [])
    if "capabilities" in data:
        org.capabilities.set(_capabilities(data["capabilities"] or []))
    index_object(ORGANISATION_KIND, org)


@transaction.atomic
def organisation_create(
    *, actor: Any, data: dict[str, Any], ip_address: str | None = None
) -> Organisation:
    if not access.can_create_organisation(actor):
        raise PermissionDenied
    data = _normalise(data)
    org = Organisation()
    _save_organisation(org, data, actor=actor)
    audit_record(
        actor=actor,
        action="organisation.create",
        obj=org,
        changes=model_diff({}, _snapshot(org)),
        ip_address=ip_address,
    )
    return org


@transaction.atomic
def organisation_update(
    *,
    actor: Any,
    organisation: Organisation,
    data: dict[str, Any],
    ip_address: str | None = None,
) -> Organisation:
    if not access.can_edit_organisation(actor, organisation):
        raise PermissionDenied
    if not access.roles_of(actor).is_staff:
        data = {k: v for k, v in data.items() if k not in STAFF_ONLY_FIELDS}
    data = _normalise(data)
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = _snapshot(org)
    _save_organisation(org, data, actor=actor)
    changes = model_diff(before, _snapshot(org))
    if changes:
        audit_record(
            actor=actor,
            action="organisation.update",
            obj=org,
            changes=changes,
            ip_address=ip_address,
        )
    return org


def _may_manage_members(actor: Any, organisation_id: int) -> bool:
    roles = access.roles_of(actor)
    return roles.platform_admin or organisation_id in roles.editable_organisation_ids


@transaction.atomic
def membership_grant(
    *, actor: Any, user: Any, organisation: Organisation, role: str, title: str = ""
) -> Membership:
    """Give ``user`` a role in ``organisation``. Platform admins and the organisation's own
    editors may; ``actor=None`` is the system itself (data loaders, commands)."""
    if actor is not None and not _may_manage_members(actor, organisation.pk):
        raise PermissionDenied
    if role not in Role.values:
        raise ValidationError(
            {"role": ValidationError(_("없는 역할입니다."), code="invalid_choice")}
        )
    # Staff of a support or regional centre are platform operators (they see private data and
    # edit every organisation): only a platform admin may make someone that.
    if (
        actor is not None
        and role == Role.STAFF
        and organisation.kind in CENTRE_KINDS
        and not access.roles_of(actor).platform_admin
    ):
        raise PermissionDenied
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role, defaults={"title": title[:60]}
    )
    if created:
        audit_record(
            actor=actor,
            action="role.grant",
            obj=membership,
            changes={"user": user.get_username(), "organisation": organisation.pk, "role": role},
        )
    access.forget_roles(user)
    return membership


@transaction.atomic
def membership_revoke(*, actor: Any, membership: Membership) -> None:
    if not _may_manage_members(actor, membership.organisation_id):
        raise PermissionDenied
    audit_record(
        actor=actor,
        action="role.revoke",
        obj=membership,
        changes={
            "user": membership.user.get_username(),
            "organisation": membership.organisation_id,
            "role": membership.role,
        },
    )
    membership.delete()
    access.forget_roles(membership.user)


MOU_FIELDS = ("title", "signed_on", "ends_on", "scope", "status", "attachment")


def _mou_party_errors(actor: Any, parties: list[Organisation]) -> list[ValidationError]:
    party_ids = {p.pk for p in parties}
    if len(party_ids) < 2:
        return [ValidationError(_("협약 기관은 두 곳 이상이어야 합니다."), code="mou_parties")]
    roles = access.roles_of(actor)
    if roles.is_staff:
        return []
    errors = []
    visible = set(
        access.organisations_visible_to(actor).filter(pk__in=party_ids).values_list("pk", flat=True)
    )
    if party_ids - visible:
        errors.append(ValidationError(_("선택할 수 없는 기관입니다."), code="mou_party_unknown"))
    if not party_ids & roles.editable_organisation_ids:
        errors.append(
            ValidationError(
                _("자신이 대표하는 기관이 협약 기관에 포함되어야 합니다."), code="mou_own_party"
            )
        )
    return errors


def _clean_mou(actor: Any, mou: MOU, parties: list[Organisation] | None) -> None:
    """Model validation and the party rules together, so that every error is reported."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        mou.full_clean()
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if parties is not None:
        party_errors = _mou_party_errors(actor, parties)
        if party_errors:
            errors["parties"] = party_errors
    if errors:
        raise ValidationError(errors)


def _apply_mou_data(mou: MOU, data: dict[str, Any]) -> None:
    for field in MOU_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field == "attachment" and value is False:
            # the form's "clear" checkbox: no file (a FileField stores "" for none)
            value = ""
        setattr(mou, field, value)


def _mou_state(mou: MOU) -> dict[str, Any]:
    state: dict[str, Any] = {f: str(getattr(mou, f)) for f in MOU_FIELDS}
    state["parties"] = sorted(mou.parties.values_list("pk", flat=True))
    return state


@transaction.atomic
def mou_create(*, actor: Any, data: dict[str, Any], parties: list[Organisation]) -> MOU:
    if not access.can_create_mou(actor):
        raise PermissionDenied
    mou = MOU(created_by=actor)
    _apply_mou_data(mou, data)
    _clean_mou(actor, mou, list(parties))
    _set_history_user(mou, actor)
    mou.save()
    mou.parties.set(parties)
    audit_record(
        actor=actor,
        action="mou.create",
        obj=mou,
        changes={"parties": sorted(p.pk for p in parties), "status": mou.status},
    )
    return mou


@transaction.atomic
def mou_update(
    *, actor: Any, mou: MOU, data: dict[str, Any], parties: list[Organisation] | None = None
) -> MOU:
    if not access.can_edit_mou(actor, mou):
        raise PermissionDenied
    mou = MOU.objects.select_for_update().get(pk=mou.pk)
    before = _mou_state(mou)
    _apply_mou_data(mou, data)
    _clean_mou(actor, mou, None if parties is None else list(parties))
    _set_history_user(mou, actor)
    mou.save()
    if parties is not None:
        mou.parties.set(parties)
    changes = model_diff(before, _mou_state(mou))
    if changes:
        audit_record(actor=actor, action="mou.update", obj=mou, changes=changes)
    return mou
