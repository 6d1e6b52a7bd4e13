"""Setting a year's policy targets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dure.core.audit import audit_record

from . import access
from .indicators import BY_KEY
from .models import FIRST_YEAR, LAST_YEAR, PolicyTarget

MAX_TARGET = 10**12


@transaction.atomic
def targets_set(*, actor: Any, year: Any, targets: Mapping[str, Any]) -> dict[str, int]:
    """Set ``year``'s targets: ``targets`` maps indicator keys to a whole number, or to None /
    "" to remove that target; indicators not named keep theirs. Returns the year's targets.
    Every value is checked before anything is written."""
    if not access.can_set_targets(actor):
        raise PermissionDenied
    errors: dict[str, list[ValidationError]] = {}
    try:
        year = int(str(year))
    except (TypeError, ValueError):
        year = 0
    if not FIRST_YEAR <= year <= LAST_YEAR:
        errors["year"] = [
            ValidationError(
                _("%(low)s년부터 %(high)s년 사이로 입력해 주세요."),
                code="year_out_of_range",
                params={"low": FIRST_YEAR, "high": LAST_YEAR},
            )
        ]
    wanted: dict[str, int | None] = {}
    for key, raw in targets.items():
        if key not in BY_KEY:
            errors[str(key)] = [ValidationError(_("없는 지표입니다."), code="unknown_indicator")]
            continue
        if raw is None or str(raw).strip() == "":
            wanted[key] = None
            continue
        try:
            value = int(str(raw).replace(",", "").strip())
        except ValueError:
            errors[key] = [ValidationError(_("숫자로 입력해 주세요."), code="invalid")]
            continue
        if not 0 <= value <= MAX_TARGET:
            errors[key] = [
                ValidationError(
                    _("0 이상 %(high)s 이하로 입력해 주세요."),
                    code="out_of_range",
                    params={"high": f"{MAX_TARGET:,}"},
                )
            ]
            continue
        wanted[key] = value
    if errors:
        raise ValidationError(errors)

    before = dict(PolicyTarget.objects.filter(year=year).values_list("indicator", "target"))
    for key, target in wanted.items():
        if target is None:
            PolicyTarget.objects.filter(year=year, indicator=key).delete()
        else:
            PolicyTarget.objects.update_or_create(
                year=year, indicator=key, defaults={"target": target, "set_by": actor}
            )
    after = dict(PolicyTarget.objects.filter(year=year).values_list("indicator", "target"))
    changes = {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
    if changes:
        audit_record(
            actor=actor,
            action="insights.targets_set",
            object_type="insights.policytarget",
            object_id=str(year),
            object_repr=str(_("%(year)s년 정책 목표") % {"year": year}),
            changes=changes,
        )
    return after
