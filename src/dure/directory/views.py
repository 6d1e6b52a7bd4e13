"""Directory pages. Thin: parse → access helper / selector / service → render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dure.core.audit import client_ip, personal_data_access_record
from dure.core.forms import apply_service_errors as _apply_service_errors
from dure.core.models import PersonalDataAccess
from dure.core.pagecache import cache_public_page
from dure.portal import selectors as portal_selectors

from . import access, selectors, services
from .forms import DirectoryFilterForm, MOUForm, OrganisationForm
from .models import Organisation


@require_GET
@cache_public_page
def organisation_list(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    params: dict = {}
    if form.is_bound:
        form.is_valid()
        # cleaned_data keeps the valid fields: an unknown region or field drops that filter
        # only, not the whole search.
        params = form.cleaned_data
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    result = selectors.organisation_list(
        user=request.user,
        query=params.get("q") or "",
        kind=params.get("kind") or "",
        sido=params["sido"].pk if params.get("sido") else "",
        field_slug=params["field"].pk if params.get("field") else "",
        page=page_number,
    )
    query_params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "directory/organisation_list.html",
        {
            "form": form,
            "result": result,
            "query_prefix": urlencode(query_params) + "&" if query_params else "",
            "searching": bool(params.get("q")),
        },
    )


@require_GET
@cache_public_page
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.access_organisation(user=request.user, organisation_id=pk)
    context = selectors.organisation_detail_context(user=request.user, organisation=org)
    if context["people"] and org.pk not in access.roles_of(request.user).organisation_ids:
        # Staff looking at another organisation's people: a processing record (PIPA).
        personal_data_access_record(
            actor=request.user,
            via=PersonalDataAccess.Via.PAGE,
            subject=org,
            fields=["members.display_name", "members.role", "members.title"],
            purpose="기관 구성원과 역할 확인 (기관 상세 화면)",
        )
    stories = portal_selectors.stories_about(organisation_id=org.pk)
    return render(
        request,
        "directory/organisation_detail.html",
        {"org": org, "stories": stories, **context},
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.access_organisation(user=request.user, organisation_id=pk, write=True)
    staff = access.roles_of(request.user).is_staff
    form = OrganisationForm(request.POST or None, instance=org, staff=staff)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                actor=request.user,
                organisation=org,
                data=form.service_data(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, _("기관 정보를 저장했습니다."))
            return redirect(org.get_absolute_url())
    return render(
        request,
        "directory/organisation_form.html",
        {"form": form, "org": org, "title": _("%(name)s 정보 수정") % {"name": org.name}},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest) -> HttpResponse:
    if not access.can_create_organisation(request.user):
        raise Http404
    form = OrganisationForm(request.POST or None, staff=True)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organisation_create(
                actor=request.user, data=form.service_data(), ip_address=client_ip(request)
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, _("기관을 등록했습니다."))
            return redirect(org.get_absolute_url())
    return render(
        request,
        "directory/organisation_form.html",
        {"form": form, "org": None, "title": _("기관 등록")},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_GET
def organisation_history(request: HttpRequest, pk: int) -> HttpResponse:
    org = access.access_organisation(user=request.user, organisation_id=pk, write=True)
    records = list(org.history.select_related("history_user").order_by("-history_date")[:100])
    rows = []
    for record in records:
        changed = []
        if record.prev_record is not None:
            delta = record.diff_against(record.prev_record)
            changed = [
                {
                    "field": Organisation._meta.get_field(c.field).verbose_name,
                    "old": c.old,
                    "new": c.new,
                }
                for c in delta.changes
            ]
        rows.append({"record": record, "changes": changed})
    return render(request, "directory/organisation_history.html", {"org": org, "rows": rows})


@require_GET
@cache_public_page
def mou_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "directory/mou_list.html",
        {
            "mous": selectors.mou_list(user=request.user),
            "can_create": access.can_create_mou(request.user),
        },
    )


@require_GET
@cache_public_page
def mou_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mou = access.access_mou(user=request.user, mou_id=pk)
    return render(
        request,
        "directory/mou_detail.html",
        {
            "mou": mou,
            "parties": list(mou.parties.order_by("name")),
            "can_edit": access.can_edit_mou(request.user, mou),
            "can_see_attachment": access.can_see_mou_attachment(request.user, mou),
        },
    )


def _mou_party_queryset(user):
    return access.organisations_visible_to(user).order_by("name")


@login_required
@require_http_methods(["GET", "POST"])
def mou_create(request: HttpRequest) -> HttpResponse:
    if not access.can_create_mou(request.user):
        raise Http404
    form = MOUForm(
        request.POST or None,
        request.FILES or None,
        party_queryset=_mou_party_queryset(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        parties = list(data.pop("parties"))
        try:
            mou = services.mou_create(actor=request.user, data=data, parties=parties)
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, _("업무협약을 등록했습니다."))
            return redirect(mou.get_absolute_url())
    return render(
        request,
        "directory/mou_form.html",
        {"form": form, "title": _("업무협약 등록")},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def mou_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mou = access.access_mou(user=request.user, mou_id=pk, write=True)
    form = MOUForm(
        request.POST or None,
        request.FILES or None,
        instance=mou,
        party_queryset=_mou_party_queryset(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        parties = list(data.pop("parties"))
        if data.get("attachment") is None:
            data.pop("attachment", None)
        try:
            services.mou_update(actor=request.user, mou=mou, data=data, parties=parties)
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, _("업무협약을 저장했습니다."))
            return redirect(mou.get_absolute_url())
    return render(
        request,
        "directory/mou_form.html",
        {"form": form, "title": _("업무협약 수정"), "mou": mou},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_GET
def mou_attachment(request: HttpRequest, pk: int) -> FileResponse:
    mou = access.access_mou(user=request.user, mou_id=pk)
    if not mou.attachment or not access.can_see_mou_attachment(request.user, mou):
        raise Http404
    return FileResponse(
        mou.attachment.open("rb"),
        as_attachment=True,
        filename=f"mou-{mou.pk}.pdf",
        content_type="application/pdf",
    )
