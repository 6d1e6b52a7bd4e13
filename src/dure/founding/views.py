"""Pages of founding consultations: thin — parse, call a service or selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dure.core import idempotency
from dure.core.audit import personal_data_access_record
from dure.core.forms import apply_service_errors
from dure.core.models import PersonalDataAccess
from dure.directory.models import Organisation

from . import access, selectors, services
from .forms import AssignForm, MoveForm, RequestForm, SessionForm, WithdrawForm
from .models import FOUNDABLE_KINDS, TRANSITIONS, Consultation, Stage


def _cooperatives() -> Any:
    return Organisation.objects.filter(kind__in=FOUNDABLE_KINDS).order_by("name")


def _detail(
    request: HttpRequest,
    consultation: Consultation,
    *,
    move_form=None,
    assign_form=None,
    status=200,
) -> HttpResponse:
    manager = access.can_manage(request.user, consultation)
    if manager and consultation.applicant_id != request.user.pk:
        personal_data_access_record(
            actor=request.user,
            via=PersonalDataAccess.Via.PAGE,
            subject=consultation,
            fields=selectors.CONTACT_FIELDS,
            purpose=selectors.CONTACT_PURPOSE,
        )
    if manager and TRANSITIONS[consultation.stage]:  # a stage it can still move from
        move_form = move_form or MoveForm(current=consultation.stage, cooperatives=_cooperatives())
    if manager:
        assign_form = assign_form or AssignForm(
            initial={"consultant": consultation.consultant_id},
            consultants=access.consultants_of(consultation.centre),
        )
    return render(
        request,
        "founding/detail.html",
        {
            "consultation": consultation,
            "manager": manager,
            "is_applicant": consultation.applicant_id == request.user.pk,
            "sessions": selectors.sessions_of(consultation=consultation),
            "events": selectors.events_of(consultation=consultation),
            "move_form": move_form if manager else None,
            "assign_form": assign_form if manager else None,
        },
        status=status,
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The founding guide (public) and, for someone signed in, their own consultations."""
    return render(
        request,
        "founding/home.html",
        {
            "mine": selectors.my_consultations(user=request.user),
            "consultant": access.is_consultant(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """The request form. It carries an idempotency key, so a double click or a resent form
    makes one consultation, not two."""
    centres = access.centres()
    user = request.user
    form = RequestForm(
        request.POST if request.method == "POST" else None,
        centres=centres,
        initial={"contact_name": getattr(user, "display_name", "") or user.get_username()},
    )
    key = request.POST.get(idempotency.FORM_FIELD) or idempotency.new_key()
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        centre = data.pop("centre")
        try:
            result = services.consultation_request(
                actor=user, centre=centre, data=data, idempotency_key=key
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            if idempotency.FORM_FIELD in getattr(exc, "error_dict", {}):
                key = idempotency.new_key()  # sending this form again makes a new request
        else:
            if result.created:
                messages.success(
                    request, _("설립 상담을 신청했습니다. 담당 상담사가 곧 연락드립니다.")
                )
            else:
                messages.info(request, _("이미 접수된 신청입니다."))
            return redirect(result.consultation)
    return render(
        request,
        "founding/request.html",
        {"form": form, "idempotency_key": key},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    if not access.is_consultant(request.user):
        raise Http404
    stage = request.GET.get("stage", "")
    if stage not in Stage.values:
        stage = ""
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    counts = selectors.stage_counts(user=request.user)
    return render(
        request,
        "founding/queue.html",
        {
            "page": selectors.queue(user=request.user, stage=stage, page=page_number),
            "tabs": [(value, label, counts[value]) for value, label in Stage.choices],
            "stage": stage,
            "query_prefix": f"stage={stage}&" if stage else "",
        },
    )


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = access.access_consultation(user=request.user, consultation_id=pk)
    return _detail(request, consultation)


@login_required
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = access.access_consultation(user=request.user, consultation_id=pk, manage=True)
    if not consultation.is_open:
        raise Http404
    form = SessionForm(
        request.POST if request.method == "POST" else None,
        initial={"held_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.session_record(
                actor=request.user, consultation=consultation, data=form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("상담 기록을 저장했습니다."))
            return redirect(consultation)
    return render(
        request,
        "founding/session_form.html",
        {"form": form, "consultation": consultation},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = access.access_consultation(user=request.user, consultation_id=pk, manage=True)
    form = MoveForm(request.POST, current=consultation.stage, cooperatives=_cooperatives())
    if form.is_valid():
        try:
            services.consultation_move(
                actor=request.user,
                consultation=consultation,
                stage=form.cleaned_data["stage"],
                note=form.cleaned_data["note"],
                founders=form.cleaned_data["founders"],
                organisation=form.cleaned_data["organisation"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("단계를 바꿨습니다."))
            return redirect(consultation)
    consultation.refresh_from_db()
    return _detail(request, consultation, move_form=form, status=400)


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = access.access_consultation(user=request.user, consultation_id=pk, manage=True)
    form = AssignForm(request.POST, consultants=access.consultants_of(consultation.centre))
    if form.is_valid():
        try:
            services.consultation_assign(
                actor=request.user,
                consultation=consultation,
                consultant=form.cleaned_data["consultant"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("담당 상담사를 정했습니다."))
            return redirect(consultation)
    return _detail(request, consultation, assign_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    consultation = access.access_consultation(user=request.user, consultation_id=pk)
    if consultation.applicant_id != request.user.pk or not consultation.is_open:
        raise Http404
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consultation_withdraw(
                actor=request.user, consultation=consultation, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("설립 상담을 그만두었습니다. 언제든 다시 신청할 수 있습니다.")
            )
            return redirect(consultation)
    return render(
        request,
        "founding/withdraw.html",
        {"form": form, "consultation": consultation},
        status=400 if form.is_bound and form.errors else 200,
    )
