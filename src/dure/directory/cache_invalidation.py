"""Invalidate cached public pages when directory data changes (signals only for caches)."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save

from dure.core.pagecache import bump_data_version


def _bump(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loaddata: no cache to keep in step with
        return
    bump_data_version()


def connect() -> None:
    from .models import (
        MOU,
        Capability,
        IndustryClass,
        Membership,
        Organisation,
        Sido,
        Sigungu,
        StrategicField,
    )

    for model in (
        Organisation,
        MOU,
        Membership,
        Sido,
        Sigungu,
        StrategicField,
        Capability,
        IndustryClass,
    ):
        post_save.connect(_bump, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"pagecache-del-{model.__name__}")
    for through in (
        Organisation.strategic_fields.through,
        Organisation.capabilities.through,
        MOU.parties.through,
    ):
        m2m_changed.connect(_bump, sender=through, dispatch_uid=f"pagecache-m2m-{through.__name__}")
