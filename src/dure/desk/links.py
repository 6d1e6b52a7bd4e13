"""Signed no-login status links for requesters.

A token is ``django.core.signing.dumps({"c": case_id, "s": secret}, salt=SALT)`` with a
timestamp: it carries the case id and the case's current secret, and expires after
``DURE_DESK_STATUS_LINK_DAYS`` days (180 by default). Rotating the case's secret
(``services.case_status_link_rotate``) revokes every link sent before.

Rejections carry distinct codes: ``status_link_malformed`` (not a token at all),
``status_link_invalid`` (the signature does not match: forged or tampered with — the two
cannot be told apart), ``status_link_expired`` (genuine but too old) and
``status_link_revoked`` (genuine, but the case's secret has been rotated or the case is gone).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

SALT = "dure.desk.status-link"
DEFAULT_MAX_AGE_DAYS = 180
# dumps() output: base64url payload, ':' timestamp, ':' signature (payload may start with '.')
_TOKEN_SHAPE = re.compile(r"^\.?[A-Za-z0-9_\-]+:[A-Za-z0-9_\-]+:[A-Za-z0-9_\-]+$")


class StatusLinkError(Exception):
    MESSAGES = {
        "status_link_malformed": _(
            "조회 링크가 올바르지 않습니다. 받은 메일의 링크를 그대로 열어 주세요."
        ),
        "status_link_invalid": _("조회 링크가 위조되었거나 변경되었습니다."),
        "status_link_expired": _(
            "조회 링크의 유효 기간이 지났습니다. 접수번호로 센터에 문의하면 새 링크를 보내 드립니다."
        ),
        "status_link_revoked": _(
            "더 이상 사용할 수 없는 조회 링크입니다. 최근에 받은 링크를 사용해 주세요."
        ),
    }

    def __init__(self, code: str) -> None:
        self.code = code
        self.message = self.MESSAGES[code]
        super().__init__(code)


def max_age_seconds() -> int:
    days = getattr(settings, "DURE_DESK_STATUS_LINK_DAYS", DEFAULT_MAX_AGE_DAYS)
    return int(days) * 86_400


def make_token(case: Any) -> str:
    return signing.dumps({"c": case.pk, "s": case.status_secret}, salt=SALT, compress=False)


def read_token(token: str) -> tuple[int, str]:
    """The (case id, secret) a token carries; raises :class:`StatusLinkError`."""
    token = str(token or "").strip()
    if not token or len(token) > 300 or not _TOKEN_SHAPE.match(token):
        raise StatusLinkError("status_link_malformed")
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age_seconds())
    except signing.SignatureExpired as exc:
        raise StatusLinkError("status_link_expired") from exc
    except signing.BadSignature as exc:
        raise StatusLinkError("status_link_invalid") from exc
    except (ValueError, TypeError) as exc:  # pragma: no cover - signed but unreadable
        raise StatusLinkError("status_link_malformed") from exc
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("c"), int)
        or not isinstance(payload.get("s"), str)
    ):
        raise StatusLinkError("status_link_malformed")
    return payload["c"], payload["s"]


def case_for_token(token: str, queryset: Any = None) -> Any:
    """The case a token opens (from ``queryset`` if given, e.g. locked or with related rows);
    raises :class:`StatusLinkError`."""
    from .models import Case

    case_id, secret = read_token(token)
    qs = queryset if queryset is not None else Case.objects.all()
    case = qs.filter(pk=case_id).first()
    if case is None or not secrets.compare_digest(case.status_secret, secret):
        raise StatusLinkError("status_link_revoked")
    return case


def status_path(token: str) -> str:
    return reverse("desk:status", kwargs={"token": token})


def status_url(case: Any) -> str:
    """The absolute link sent to the requester (``DURE_SITE_URL`` + the status page)."""
    base = str(settings.DURE_SITE_URL).rstrip("/")
    return base + status_path(make_token(case))
