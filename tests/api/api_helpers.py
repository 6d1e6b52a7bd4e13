"""Helpers for the API tests: JSON requests, DB snapshots, checksum-valid numbers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dure.directory.demo import DEMO_USERNAMES

API = "/api/v1"
ROLES = ["anonymous", *DEMO_USERNAMES]


def send(client, method: str, path: str, body: Any = None, headers: dict | None = None):
    """``send(c, "post", "/organisations", {...})`` → the response; ``body`` may be raw text."""
    kwargs: dict[str, Any] = {"headers": headers} if headers else {}
    if body is not None:
        kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method.lower())(API + path, **kwargs)


def expect(default: int, *, anonymous: int | None = None, **groups: Any) -> dict[str, int]:
    """An API matrix row: ``expect(403, anonymous=401, yes=(MANAGERS, 200))`` → each role's
    status (``default`` for the roles no group names)."""
    unknown = {r for roles, _status in groups.values() for r in roles} - set(ROLES)
    assert not unknown, unknown
    out = dict.fromkeys(ROLES, default)
    for roles, status in groups.values():
        for role in roles:
            out[role] = status
    if anonymous is not None:
        out["anonymous"] = anonymous
    return out


@dataclass(frozen=True)
class ApiCase:
    """One operation of an app's API permission matrix, as its statuses per role."""

    method: str
    path: str  # as in the OpenAPI schema, under /api/v1
    statuses: dict[str, int]
    target: Callable[[Any], int] | None = None
    body: Callable[[Any, str], Any] | None = None
    query: str = ""
    label: str = ""
    effect: Callable[[Any, str], bool] | None = None

    @property
    def operation(self) -> str:
        return f"{self.method} {API}{self.path}"

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}{' ' + self.label if self.label else ''}"


def organisation_snapshot(pk: int) -> dict[str, Any]:
    """Every column of an organisation plus its fields and capabilities, to prove a refused
    request changed nothing."""
    from django.forms.models import model_to_dict

    from dure.directory.models import Organisation

    org = Organisation.objects.get(pk=pk)
    snap = model_to_dict(org, exclude=["strategic_fields", "capabilities"])
    snap["updated_at"] = org.updated_at
    snap["strategic_fields"] = sorted(org.strategic_fields.values_list("slug", flat=True))
    snap["capabilities"] = sorted(org.capabilities.values_list("name", flat=True))
    return snap


def valid_business_number(seed: int) -> str:
    from dure.core.validators import business_number_check_digit

    first = f"8{seed:08d}"
    return first + str(business_number_check_digit(first))


def invalid_business_number(seed: int) -> str:
    good = valid_business_number(seed)
    return good[:9] + str((int(good[9]) + 1) % 10)
