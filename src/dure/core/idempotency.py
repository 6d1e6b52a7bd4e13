"""Idempotency keys: a retried request (a double click, a client retrying after a timeout)
returns what the first one made instead of making it twice.

The client sends a fresh key with each new request: the API's ``Idempotency-Key`` header, or
the hidden field every rendered form carries (``new_key``; ``with_key`` gives a hand-made POST
one). The service stores the key's ``digest`` (scoped to the submitter, so one person's key can
never reach another's row) in a unique column, with a ``fingerprint`` of the request as it
stored it: the same key with the same request replays the first result; with a different
request it is a conflict. Under a race the unique column lets one insert win and the other
replays against it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_KEY_LENGTH = 200
FORM_FIELD = "idempotency_key"
CONFLICT_CODE = "idempotency_conflict"
CONFLICT_MESSAGE = _(
    "이 중복 방지 키(Idempotency-Key)로 내용이 다른 요청이 이미 처리되었습니다. 새 요청에는 새 "
    "키를 써 주세요."
)


def new_key() -> str:
    """A fresh key for a form to embed (one per rendered form)."""
    return secrets.token_urlsafe(24)


def with_key(data: Any, field: str = FORM_FIELD) -> Any:
    """POST data with a key: a hand-made POST without the hidden field gets one, so that the
    page shown again (with its errors) carries a key for the retry."""
    if data.get(field):
        return data
    data = data.copy()
    data[field] = new_key()
    return data


def digest(actor: Any, key: str) -> str:
    """What is stored for ``key``: a sha256 scoped to the submitter (their id, or anonymous)."""
    is_user = getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None)
    scope = f"user:{actor.pk}" if is_user else "anonymous"
    return hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()


def fingerprint(document: Mapping[str, Any]) -> str:
    """sha256 of a request as the service normalised it (JSON-able values, keys sorted)."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def clean_key(value: Any) -> str:
    """The key as sent, trimmed ("" for none); too long a key is a ValidationError on
    ``idempotency_key`` (a key is the client's: it is never cut)."""
    key = str(value if value is not None else "").strip()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError(
            {
                FORM_FIELD: ValidationError(
                    _("중복 방지 키는 %(limit)s자 이내여야 합니다."),
                    code="idempotency_key_invalid",
                    params={"limit": MAX_KEY_LENGTH},
                )
            }
        )
    return key


def conflict(message: Any = CONFLICT_MESSAGE) -> ValidationError:
    """The refusal of a used key sent with another request."""
    return ValidationError({FORM_FIELD: ValidationError(message, code=CONFLICT_CODE)})
