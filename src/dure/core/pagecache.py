"""Caching of public pages for visitors without a session.

Anonymous GET requests that carry no session or message cookies and no API credentials are
answered from the cache. Keys include the language and a database counter (``DataVersion``)
that every write to public data increments in its own transaction, so no process ever serves
a page older than the last committed change. Responses are cached only when they are plain
200s that set no cookie and did not use a CSRF token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from .models import DataVersion

PUBLIC = "public"
# Cookies that do not make a response personal.
NEUTRAL_COOKIES = frozenset({settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME})


def data_version(name: str = PUBLIC) -> int:
    row = DataVersion.objects.filter(name=name).values_list("version", flat=True).first()
    return row or 0


def bump_data_version(name: str = PUBLIC) -> None:
    """Call inside the transaction that changes public data."""
    if not DataVersion.objects.filter(name=name).update(version=F("version") + 1):
        DataVersion.objects.get_or_create(name=name, defaults={"version": 1})


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and settings.DURE_PAGE_CACHE_SECONDS > 0
        and not (set(request.COOKIES) - NEUTRAL_COOKIES)
        and "HTTP_AUTHORIZATION" not in request.META
    )


def cache_public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
        key = f"page:{data_version()}:{get_language()}:{digest}"
        hit = cache.get(key)
        if hit is not None:
            content, headers = hit
            response = HttpResponse(content)
            for header, value in headers:
                response[header] = value
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response.render()
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        ):
            cache.set(
                key,
                (response.content, list(response.items())),
                settings.DURE_PAGE_CACHE_SECONDS,
            )
        return response

    return wrapper
