"""The policy dashboard (public: aggregate counts) and the targets (support-centre staff)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dure.core.exports import FORMATS, table_response
from dure.core.forms import apply_service_errors

from . import access, selectors, services
from .forms import TargetsForm, YearForm
from .models import FIRST_YEAR, LAST_YEAR, PolicyTarget

MONTHS = list(range(1, 13))


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    year = selectors.clamp_year(request.GET.get("year"))
    board = selectors.dashboard(year=year)
    return render(
        request,
        "insights/dashboard.html",
        {
            "board": board,
            "year_form": YearForm(initial={"year": year}, years=board.years),
            "months": MONTHS,
            "can_set_targets": access.can_set_targets(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def targets(request: HttpRequest, year: int) -> HttpResponse:
    if not access.can_set_targets(request.user) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    current = dict(PolicyTarget.objects.filter(year=year).values_list("indicator", "target"))
    form = TargetsForm(request.POST if request.method == "POST" else None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.targets_set(actor=request.user, year=year, targets=form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(year)s년 목표를 저장했습니다.") % {"year": year})
            return redirect(reverse("insights:dashboard") + f"?year={year}")
    return render(
        request,
        "insights/targets.html",
        {"form": form, "year": year},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_GET
def export(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404
    year = selectors.clamp_year(request.GET.get("year"))
    board = selectors.dashboard(year=year)
    header: list[Any] = [
        _("지표"),
        _("단위"),
        _("목표"),
        _("실적"),
        _("달성률 (%)"),
        _("전년 동기"),
        *[_("%(month)s월") % {"month": m} for m in MONTHS],
        _("정의"),
    ]
    rows: list[list[Any]] = [header]
    for row in board.rows:
        rows.append(
            [
                row.indicator.label,
                str(row.indicator.unit),
                row.target,
                row.actual,
                row.achievement,
                row.last_year,
                *row.monthly,
                str(row.indicator.definition),
            ]
        )
    return table_response(
        rows, filename=f"dure-policy-indicators-{year}", fmt=fmt, sheet=_("성과 지표")
    )
