"""Pages of education, forums and events: thin — parse, call a service or selector, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dure.core.audit import personal_data_access_record
from dure.core.exports import FORMATS, table_response
from dure.core.forms import apply_service_errors
from dure.core.models import PersonalDataAccess

from . import access, selectors, services
from .forms import CancelProgramForm, ProgramFilterForm, ProgramForm, RegistrationForm
from .models import Program, Registration


def _form_page(request: HttpRequest, template: str, context: dict, form: Any) -> HttpResponse:
    return render(
        request,
        template,
        {"form": form, **context},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_GET
def program_list(request: HttpRequest) -> HttpResponse:
    form = ProgramFilterForm(request.GET or None)
    params: dict = {}
    if form.is_bound:
        form.is_valid()  # a bad filter drops itself, not the list
        params = form.cleaned_data
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    page = selectors.program_list(
        user=request.user,
        kind=params.get("kind") or "",
        sido=params["sido"].pk if params.get("sido") else "",
        when=params.get("when") or "upcoming",
        page=page_number,
    )
    query_params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "programs/program_list.html",
        {
            "form": form,
            "page": page,
            "past": params.get("when") == "past",
            "query_prefix": urlencode(query_params) + "&" if query_params else "",
            "can_create": access.can_create_program(request.user),
        },
    )


@require_GET
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    program = access.access_program(user=request.user, program_id=pk)
    registration = selectors.registration_of(user=request.user, program=program)
    now = timezone.now()
    return render(
        request,
        "programs/program_detail.html",
        {
            "program": program,
            "registration": registration,
            "waitlist_position": selectors.waitlist_position(registration)
            if registration
            else None,
            "open": program.status == Program.Status.PUBLISHED
            and now < program.registration_closes_at,
            "started": now >= program.starts_at,
            "can_manage": access.can_manage_program(request.user, program),
        },
    )


@login_required
@require_GET
def my_registrations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "programs/my_registrations.html",
        {"registrations": selectors.my_registrations(user=request.user), "now": timezone.now()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, pk: int) -> HttpResponse:
    program = access.access_program(user=request.user, program_id=pk)
    existing = selectors.registration_of(user=request.user, program=program)
    if existing is not None and existing.is_live:
        messages.info(request, _("이미 신청하셨습니다."))
        return redirect(program)
    # Every field is optional: an empty POST is a registration too.
    form = RegistrationForm(
        request.POST if request.method == "POST" else None,
        organisations=access.registrant_organisations(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            registration, _created = services.registration_create(
                actor=request.user,
                program=program,
                organisation=form.cleaned_data["organisation"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if registration.status == Registration.Status.CONFIRMED:
                messages.success(request, _("참가 신청이 확정되었습니다."))
            else:
                messages.info(
                    request,
                    _("정원이 차서 대기자로 신청되었습니다. 자리가 나면 순서대로 확정됩니다."),
                )
            return redirect(program)
    return _form_page(request, "programs/register.html", {"program": program}, form)


@login_required
@require_http_methods(["GET", "POST"])
def registration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    registration = access.access_registration(user=request.user, registration_id=pk)
    program = registration.program
    error = None
    if request.method == "POST":
        try:
            services.registration_cancel(actor=request.user, registration=registration)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("신청을 취소했습니다."))
            if registration.person_id == request.user.pk:
                return redirect(program)
            return redirect("programs:registrants", pk=program.pk)
    return render(
        request,
        "programs/registration_cancel.html",
        {"registration": registration, "program": program, "error": error},
        status=400 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def program_create(request: HttpRequest) -> HttpResponse:
    if not access.can_create_program(request.user):
        raise Http404
    form = ProgramForm(request.POST or None, hosts=access.host_choices(request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        host = data.pop("host")
        try:
            program = services.program_create(actor=request.user, host=host, data=data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("교육·행사를 등록했습니다. 내용을 확인한 뒤 모집을 공개해 주세요.")
            )
            return redirect(program)
    return _form_page(request, "programs/program_form.html", {"title": _("교육·행사 등록")}, form)


@login_required
@require_http_methods(["GET", "POST"])
def program_edit(request: HttpRequest, pk: int) -> HttpResponse:
    program = access.access_program(user=request.user, program_id=pk, manage=True)
    if program.status == Program.Status.CANCELLED:
        raise Http404
    form = ProgramForm(
        request.POST or None, instance=program, hosts=access.host_choices(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(actor=request.user, program=program, data=form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("교육·행사를 저장했습니다."))
            return redirect(program)
    return _form_page(
        request,
        "programs/program_form.html",
        {"title": _("교육·행사 수정"), "program": program},
        form,
    )


@login_required
@require_POST
def program_publish(request: HttpRequest, pk: int) -> HttpResponse:
    program = access.access_program(user=request.user, program_id=pk, manage=True)
    try:
        services.program_publish(actor=request.user, program=program)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("모집을 공개했습니다. 이제 누구나 신청할 수 있습니다."))
    return redirect(program)


@login_required
@require_http_methods(["GET", "POST"])
def program_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    program = access.access_program(user=request.user, program_id=pk, manage=True)
    if program.status == Program.Status.CANCELLED:
        raise Http404
    form = CancelProgramForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.program_cancel(
                actor=request.user, program=program, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("교육·행사를 취소하고 신청자에게 알렸습니다."))
            return redirect(program)
    return _form_page(request, "programs/program_cancel.html", {"program": program}, form)


@login_required
@require_http_methods(["GET", "POST"])
def registrants(request: HttpRequest, pk: int) -> HttpResponse:
    """Who registered (personal data: the programme's managers only) and, once it has started,
    who came."""
    program = access.access_program(user=request.user, program_id=pk, manage=True)
    error = None
    if request.method == "POST":
        try:
            services.attendance_record(
                actor=request.user, program=program, attended=request.POST.getlist("attended")
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("출석을 기록했습니다."))
            return redirect("programs:registrants", pk=program.pk)
    people = list(selectors.registrants(program=program))
    personal_data_access_record(
        actor=request.user,
        via=PersonalDataAccess.Via.PAGE,
        subject=program,
        fields=selectors.REGISTRANT_FIELDS,
        purpose="교육·행사 신청자 확인과 출석 기록",
    )
    return render(
        request,
        "programs/registrants.html",
        {
            "program": program,
            "people": people,
            "counts": selectors.status_counts(program=program),
            "started": timezone.now() >= program.starts_at,
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
@require_GET
def registrants_export(request: HttpRequest, pk: int) -> HttpResponse:
    program = access.access_program(user=request.user, program_id=pk, manage=True)
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404
    rows: list[list[Any]] = [
        [
            _("신청 번호"),
            _("이름"),
            _("이메일"),
            _("전화"),
            _("소속 기관"),
            _("상태"),
            _("신청 일시"),
            _("참석"),
            _("요청 사항"),
        ]
    ]
    for r in selectors.registrants(program=program):
        rows.append(
            [
                r.pk,
                r.person.display_name or r.person.get_username(),
                r.person.email,
                r.person.phone,
                r.organisation.name if r.organisation else "",
                r.get_status_display(),
                timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                r.attended,
                r.note,
            ]
        )
    personal_data_access_record(
        actor=request.user,
        via=PersonalDataAccess.Via.EXPORT,
        subject=program,
        fields=selectors.REGISTRANT_FIELDS,
        purpose="교육·행사 신청자 명단 내보내기",
    )
    return table_response(
        rows, filename=f"program-{program.pk}-registrants", fmt=fmt, sheet=_("신청자")
    )
