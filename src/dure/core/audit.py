"""Writing to the append-only audit and personal-data access logs.

Call these inside the same transaction as the change they describe.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEvent, PersonalDataAccess


def _label(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return str(user.get_username())


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_label(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=changes or {},
        ip_address=ip_address,
    )


def personal_data_access_record(
    *,
    actor: Any,
    via: str,
    subject: models.Model,
    fields: list[str],
    purpose: str,
) -> PersonalDataAccess:
    return PersonalDataAccess.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_label(actor),
        via=via,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        fields=fields,
        purpose=purpose[:200],
    )


def model_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value changed (values made JSON-friendly)."""
    diff: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            diff[key] = [_jsonable(old), _jsonable(new)]
    return diff


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        return sorted(_jsonable(v) for v in value)
    return str(value)


def client_ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None
