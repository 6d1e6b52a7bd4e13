"""Use cases that change the directory. Each runs in one transaction with its audit row and
its search-index update, and re-checks permission (views and API check too)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dure.core.audit import audit_record, model_diff
from dure.core.validators import (
    normalize_business_number,
    normalize_corporate_number,
    normalize_phone,
    reject_resident_number,
)
from dure.search.services import index_object

from . import access
from .models import MOU, Capability, Membership, Organisation, StrategicField
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
# Only platform operators may change what kind an organisation is or hide it.
STAFF_ONLY_FIELDS = frozenset({"kind", "is_public", "parent"})


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
    for field in ("description", "name", "address"):
        try:
            reject_resident_number(data.get(field) or "")
        except ValidationError as exc:
            errors[field] = [exc]
    if errors:
        raise ValidationError(errors)
    return data


def _capabilities(names: list[str]) -> list[Capability]:
    cleaned = sorted({" ".join(str(n).split())[:40] for n in names if str(n).strip()})
    return [Capability.objects.get_or_create(name=name)[0] for name in cleaned]


def _save_organisation(org: Organisation, data: dict[str, Any]) -> None:
    for field in ORGANISATION_FIELDS:
        if field in data:
            setattr(org, field, data[field])
    org.full_clean()
    org.save()
    if "strategic_fields" in data:
        fields = data["strategic_fields"] or []
        org.strategic_fields.set(
            [
                f if isinstance(f, StrategicField) else StrategicField.objects.get(pk=f)
                for f in fields
            ]
        )
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
    _save_organisation(org, data)
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
    _save_organisation(org, data)
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


@transaction.atomic
def membership_grant(
    *, actor: Any, user: Any, organisation: Organisation, role: str, title: str = ""
) -> Membership:
    if actor is not None and not (
        access.roles_of(actor).platform_admin
        or organisation.pk in access.roles_of(actor).editable_organisation_ids
    ):
        raise PermissionDenied
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role, defaults={"title": title}
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
    if not (
        access.roles_of(actor).platform_admin
        or membership.organisation_id in access.roles_of(actor).editable_organisation_ids
    ):
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


def _check_mou_parties(actor: Any, parties: list[Organisation]) -> None:
    if len({p.pk for p in parties}) < 2:
        raise ValidationError(
            {"parties": ValidationError("협약 기관은 두 곳 이상이어야 합니다.", code="mou_parties")}
        )
    roles = access.roles_of(actor)
    if not roles.is_staff and not ({p.pk for p in parties} & roles.editable_organisation_ids):
        raise ValidationError(
            {
                "parties": ValidationError(
                    "자신이 대표하는 기관이 협약 기관에 포함되어야 합니다.", code="mou_own_party"
                )
            }
        )


@transaction.atomic
def mou_create(*, actor: Any, data: dict[str, Any], parties: list[Organisation]) -> MOU:
    if not access.can_create_mou(actor):
        raise PermissionDenied
    _check_mou_parties(actor, parties)
    mou = MOU(created_by=actor)
    for field in MOU_FIELDS:
        if field in data:
            setattr(mou, field, data[field])
    mou.full_clean()
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
    before = {f: str(getattr(mou, f)) for f in MOU_FIELDS}
    for field in MOU_FIELDS:
        if field in data:
            setattr(mou, field, data[field])
    mou.full_clean()
    if parties is not None:
        _check_mou_parties(actor, parties)
    mou.save()
    if parties is not None:
        mou.parties.set(parties)
    audit_record(
        actor=actor,
        action="mou.update",
        obj=mou,
        changes=model_diff(before, {f: str(getattr(mou, f)) for f in MOU_FIELDS}),
    )
    return mou
