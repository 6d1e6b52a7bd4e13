"""Who is calling the API.

Three ways in, tried in this order:

1. ``Authorization: Bearer dure_…`` — a personal API token. A header that is present but not a
   valid, unrevoked token is refused (401 ``invalid_token``) even on public reads, so a client
   never silently falls back to anonymous. Tokens are not cookies: no CSRF check.
2. The Django session cookie (the logged-in browser). Unsafe methods (POST, PATCH, PUT,
   DELETE) must pass Django's CSRF check (``X-CSRFToken`` header), else 403 ``csrf_failed``.
3. Anonymous — only on public reads (``READ_AUTH``). Writes use ``WRITE_AUTH``: with nobody
   authenticated, ninja raises ``AuthenticationError`` → 401 ``unauthenticated``.

Whoever authenticates is also put on ``request.user`` so handlers (and simple-history) see one
user whichever way they came in.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from dure.accounts.services import api_token_authenticate

from .errors import ApiError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class TokenAuth(HttpBearer):
    """Personal API token: ``Authorization: Bearer dure_…``."""

    def __call__(self, request: HttpRequest) -> Any | None:
        header = request.headers.get(self.header)
        if not header:
            return None
        scheme, _sep, secret = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme:
            raise ApiError(401, "invalid_token")
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = api_token_authenticate(token)
        if user is None:
            raise ApiError(401, "invalid_token")
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The Django session, with CSRF enforced for unsafe methods."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        # CSRF is checked in ``authenticate`` only once a session user is found, so that an
        # anonymous write gets 401 (not a CSRF 403) and safe methods are never checked.
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise ApiError(403, "csrf_failed")
        return user


class Anonymous:
    """Lets public reads through without credentials (``request.auth`` is an AnonymousUser)."""

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None:
            user = request.user = AnonymousUser()
        return user


token_auth = TokenAuth()
session_auth = SessionAuth()
anonymous = Anonymous()

READ_AUTH = [token_auth, session_auth, anonymous]
WRITE_AUTH = [token_auth, session_auth]
# OpenAPI: reads work with a token, a session or nothing at all. ninja lists the token and the
# session schemes itself and appends this, so the operation's security also allows "none".
OPTIONAL_AUTH_OPENAPI = {"security": [{}]}
