from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dure.core.models import AuditEvent
from dure.core.pagecache import cache_public_page
from dure.directory import selectors as directory_selectors
from dure.directory.access import roles_of
from dure.directory.models import (
    CENTRE_KINDS,
    COOPERATIVE_KINDS,
    Organisation,
    OrganisationKind,
)
from dure.portal import selectors as portal_selectors


@require_GET
@cache_public_page
def home(request: HttpRequest) -> HttpResponse:
    """One home page, its sections chosen by the visitor's roles."""
    roles = roles_of(request.user)
    counts = directory_selectors.kind_counts(user=request.user)
    my_orgs = []
    if roles.authenticated:
        my_orgs = list(
            Organisation.objects.filter(memberships__user=request.user).distinct().order_by("name")
        )
        memberships = {}
        for role, org_id, _kind in roles.memberships:
            memberships.setdefault(org_id, []).append(role)
        for org in my_orgs:
            org.my_roles = sorted(memberships.get(org.pk, []))
            org.i_can_edit = org.pk in roles.editable_organisation_ids or roles.is_staff
    return render(
        request,
        "core/home.html",
        {
            "counts": {
                "cooperatives": sum(counts.get(k, 0) for k in COOPERATIVE_KINDS),
                "smes": counts.get(OrganisationKind.SME, 0),
                "institutes": counts.get(OrganisationKind.RESEARCH_INSTITUTE, 0),
                "centres": sum(counts.get(k, 0) for k in CENTRE_KINDS),
            },
            "my_orgs": my_orgs,
            "notices": portal_selectors.latest_notices(limit=5),
            "stories": portal_selectors.latest_stories(limit=3),
            "consents_awaited": portal_selectors.consents_awaited(user=request.user),
        },
    )


@require_GET
@cache_public_page
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html", {"version": settings.DURE_PRIVACY_NOTICE_VERSION})


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


@require_GET
def ping(request: HttpRequest) -> HttpResponse:
    """The framework floor for benchmarks: no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


def error_404(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Platform admins read the append-only audit log."""
    if not roles_of(request.user).platform_admin:
        raise Http404
    paginator = Paginator(AuditEvent.objects.order_by("-at", "-id"), 50)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "core/audit.html", {"page": page})


@require_GET
def switch_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language with a plain GET form (like Django's ``set_language`` but
    without a CSRF token, so public pages stay cacheable; a language cookie is harmless)."""
    language = request.GET.get("language", "")
    next_url = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=not settings.DEBUG,
            httponly=False,
        )
    return response
