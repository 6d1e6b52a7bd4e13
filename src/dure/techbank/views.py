"""Technology-bank pages. Thin: parse → access helper / selector / service → render."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dure.core import idempotency
from dure.core.audit import client_ip
from dure.core.exports import FORMATS, table_response
from dure.core.forms import apply_service_errors as _apply_service_errors
from dure.core.pagecache import cache_public_page
from dure.directory.models import Organisation

from . import access, selectors, services
from .forms import (
    BookingForm,
    DecisionForm,
    EquipmentFilterForm,
    EquipmentForm,
    ExchangeDecisionForm,
    ExchangeForm,
    ExpertForm,
    LabForm,
    RoyaltyReportForm,
    SearchForm,
    SimpleFilterForm,
    TechnologyFilterForm,
    TechnologyForm,
    TransferActionForm,
    TransferForm,
    booking_status_form,
    exchange_status_form,
    transfer_status_form,
)
from .models import DealType, TransferStatus
from .search_index import KINDS, LABELS

# --- helpers ---------------------------------------------------------------------------------------


class Pager:
    """Adapts ``selectors.Page`` to what ``core/includes/pager.html`` reads."""

    def __init__(self, page: selectors.Page) -> None:
        self.number = page.page
        self.has_previous = page.has_previous
        self.has_next = page.has_next
        self.has_other_pages = page.page_count > 1
        self.previous_page_number = page.page - 1
        self.next_page_number = page.page + 1
        self.paginator = type("P", (), {"num_pages": page.page_count})()


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), selectors.MAX_PAGE))
    except ValueError:
        return 1


def _query_prefix(request: HttpRequest) -> str:
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return urlencode(params) + "&" if params else ""


def _form_page(request: HttpRequest, template: str, context: dict, form: Any) -> HttpResponse:
    return render(
        request,
        template,
        {"form": form, **context},
        status=400 if form.is_bound and form.errors else 200,
    )


def _valid(form: Any) -> dict:
    """cleaned_data of the valid filter fields: a bad filter drops itself, not the search."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return getattr(form, "cleaned_data", {})


def _pk(value: Any) -> str:
    return str(value.pk) if hasattr(value, "pk") else (str(value) if value else "")


# --- home: one search across kinds -----------------------------------------------------------------


@require_GET
@cache_public_page
def home(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    params = _valid(form)
    query = (params.get("q") or "").strip()
    kind = params.get("kind") or ""
    filters = form.filters() if form.is_bound else {}
    context: dict[str, Any] = {
        "form": form,
        "query": query,
        "kind": kind,
        "can_see_experts": _may_list_experts(request.user),
    }
    if query:
        page_number = _page_number(request)
        size = 20
        result = selectors.techbank_search(
            user=request.user,
            query=query,
            kinds=[kind] if kind else None,
            filters=filters,
            facets=selectors.FACET_KEYS,
            limit=size,
            offset=(page_number - 1) * size,
        )
        page = selectors.Page(
            items=[], total=result.total, page=page_number, page_size=size, searching=True
        )
        labels = selectors.facet_labels(result.facets)
        hits = [
            {
                "kind": hit.kind,
                "kind_label": LABELS.get(hit.kind, hit.kind),
                "title": hit.title,
                "snippet": hit.snippet,
                "url": reverse(f"techbank:{hit.kind}_detail", args=[hit.object_id]),
            }
            for hit in result.hits
        ]
        base = {k: v for k, v in request.GET.items() if k != "page" and v}
        facets = []
        for key in selectors.FACET_KEYS:
            if key == "kind":
                continue
            values = result.facets.get(key) or []
            if not values:
                continue
            options = []
            for value, count in values:
                chosen = base.get(key) == value
                params_for = dict(base)
                if chosen:
                    params_for.pop(key, None)
                else:
                    params_for[key] = value
                options.append(
                    {
                        "label": labels.get(key, {}).get(value, value),
                        "count": count,
                        "chosen": chosen,
                        "url": "?" + urlencode(params_for),
                    }
                )
            facets.append({"key": key, "title": FACET_TITLES[key], "options": options})
        kind_counts = dict(result.facets.get("kind") or [])
        allowed = selectors.searchable_kinds(access.roles_of(request.user))
        tabs = [
            {
                "label": _("전체"),
                "count": sum(kind_counts.values()),
                "current": not kind,
                "url": "?" + urlencode({k: v for k, v in base.items() if k != "kind"}),
            }
        ] + [
            {
                "label": LABELS[k],
                "count": kind_counts.get(k, 0),
                "current": kind == k,
                "url": "?" + urlencode({**base, "kind": k}),
            }
            for k in KINDS
            if k in allowed
        ]
        context.update(
            hits=hits,
            total=result.total,
            total_exact=result.total_exact,
            facets_exact=result.facets_exact,
            facets=facets,
            tabs=tabs,
            relaxed=result.relaxed,
            page=Pager(page),
            query_prefix=_query_prefix(request),
        )
    return render(request, "techbank/home.html", context)


FACET_TITLES = {
    "kind": _("종류"),
    "institute": _("기관"),
    "ipc": _("IPC 섹션"),
    "status": _("상태"),
    "trl": _("기술성숙도 (TRL)"),
    "region": _("지역"),
}


# --- technologies ----------------------------------------------------------------------------------


@require_GET
@cache_public_page
def technology_list(request: HttpRequest) -> HttpResponse:
    form = TechnologyFilterForm(request.GET or None)
    params = _valid(form)
    filters = {
        "institute": _pk(params.get("institute")),
        "ipc": params.get("ipc") or "",
        "status": params.get("status") or "",
        "commercialisation": params.get("commercialisation") or "",
        "trl": params.get("trl") or "",
    }
    result = selectors.technology_list(
        user=request.user,
        query=params.get("q") or "",
        filters={k: v for k, v in filters.items() if v},
        page=_page_number(request),
    )
    return render(
        request,
        "techbank/technology_list.html",
        {
            "form": form,
            "result": result,
            "page": Pager(result),
            "query_prefix": _query_prefix(request),
            "can_create": access.can_create_in_techbank(request.user),
        },
    )


@require_GET
@cache_public_page
def technology_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tech = access.access_technology(user=request.user, technology_id=pk)
    context = selectors.technology_detail_context(user=request.user, technology=tech)
    deal_labels = [str(DealType(d).label) for d in tech.deal_types]
    return render(
        request,
        "techbank/technology_detail.html",
        {"tech": tech, "deal_labels": deal_labels, **context},
    )


def _institutes_or_404(user: Any) -> Any:
    if not access.can_create_in_techbank(user):
        raise Http404
    return access.manageable_institutes(user).order_by("name")


@login_required
@require_http_methods(["GET", "POST"])
def technology_create(request: HttpRequest) -> HttpResponse:
    institutes = _institutes_or_404(request.user)
    form = TechnologyForm(request.POST or None, institute_queryset=institutes)
    if request.method == "POST" and form.is_valid():
        try:
            tech = services.technology_create(
                actor=request.user, data=form.service_data(), ip_address=client_ip(request)
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc, {"royalty_bp": "royalty_percent"})
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("기술을 등록했습니다."))
            return redirect(tech.get_absolute_url())
    return _form_page(
        request,
        "techbank/form.html",
        {"title": _("기술 등록"), "cancel": reverse("techbank:technology_list")},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def technology_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tech = access.access_technology(user=request.user, technology_id=pk, write=True)
    institutes = access.manageable_institutes(request.user).order_by("name")
    form = TechnologyForm(
        request.POST or None,
        initial=TechnologyForm.initial_for(tech),
        institute_queryset=institutes,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.technology_update(
                actor=request.user,
                technology=tech,
                data=form.service_data(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc, {"royalty_bp": "royalty_percent"})
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("기술 정보를 저장했습니다."))
            return redirect(tech.get_absolute_url())
    return _form_page(
        request,
        "techbank/form.html",
        {
            "title": _("%(name)s 수정") % {"name": tech.title},
            "cancel": tech.get_absolute_url(),
        },
        form,
    )


# --- transfer applications -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def transfer_create(request: HttpRequest, pk: int) -> HttpResponse:
    tech = access.access_technology(user=request.user, technology_id=pk)
    if not access.can_apply_for_transfer(request.user):
        raise Http404
    form = TransferForm(
        request.POST or None,
        initial={"desk_case": request.GET.get("case", "")[:16]},
        applicants=selectors.applicant_organisations(user=request.user),
        deal_types=tech.deal_types,
    )
    if request.method == "POST" and form.is_valid():
        try:
            application = services.transfer_submit(
                actor=request.user,
                technology=tech,
                applicant=form.cleaned_data["applicant"],
                deal_type=form.cleaned_data["deal_type"],
                intended_use=form.cleaned_data["intended_use"],
                desk_case=form.cleaned_data["desk_case"],
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc, rename={"desk_case": NON_FIELD_ERRORS})
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("기술이전을 신청했습니다. 기관이 검토합니다."))
            return redirect(application.get_absolute_url())
    return _form_page(
        request,
        "techbank/transfer_form.html",
        {
            "tech": tech,
            "desk_case": selectors.linked_desk_case(
                user=request.user, number=form["desk_case"].value()
            ),
            "upfront_fee_due": tech.upfront_fee_due,
            "royalty_percent": tech.royalty_percent,
        },
        form,
    )


@login_required
@require_GET
def transfer_list(request: HttpRequest) -> HttpResponse:
    form = transfer_status_form(request.GET or None)
    status = _valid(form).get("status") or ""
    roles = access.roles_of(request.user)
    applications = list(selectors.transfer_list(user=request.user, status=status)[:200])
    mine_ids = access.applicant_org_ids(roles)
    inst_ids = access.institute_ids(roles)
    return render(
        request,
        "techbank/transfer_list.html",
        {
            "form": form,
            "mine": [a for a in applications if a.applicant_id in mine_ids],
            "queue": [a for a in applications if a.technology.holder_id in inst_ids],
            "others": [
                a
                for a in applications
                if a.applicant_id not in mine_ids and a.technology.holder_id not in inst_ids
            ],
            "is_staff": roles.is_staff,
        },
    )


TRANSFER_STEPS = (
    TransferStatus.SUBMITTED,
    TransferStatus.UNDER_REVIEW,
    TransferStatus.NEGOTIATING,
    TransferStatus.CONTRACTED,
    TransferStatus.COMMERCIALISED,
)


def _transfer_page(
    request: HttpRequest,
    application: Any,
    *,
    action_form: Any = None,
    report_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    context = selectors.transfer_detail_context(user=request.user, application=application)
    reached = application.status
    steps = []
    passed = True
    for step in TRANSFER_STEPS:
        steps.append(
            {"label": TransferStatus(step).label, "current": step == reached, "done": passed}
        )
        if step == reached:
            passed = False
    return render(
        request,
        "techbank/transfer_detail.html",
        {
            "application": application,
            "steps": steps,
            "can_contract": context["can_review"]
            and application.status in (TransferStatus.UNDER_REVIEW, TransferStatus.NEGOTIATING),
            "can_start_review": context["can_review"]
            and application.status == TransferStatus.SUBMITTED,
            "can_negotiate": context["can_review"]
            and application.status == TransferStatus.UNDER_REVIEW,
            "action_form": action_form or TransferActionForm(),
            "report_form": report_form or RoyaltyReportForm(prefix="report"),
            **context,
        },
        status=status,
    )


@login_required
@require_GET
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = access.access_transfer_application(user=request.user, application_id=pk)
    return _transfer_page(request, application)


TRANSFER_ACTIONS = ("review", "negotiate", "contract", "reject", "withdraw")


@login_required
@require_POST
def transfer_act(request: HttpRequest, pk: int) -> HttpResponse:
    application = access.access_transfer_application(
        user=request.user, application_id=pk, write=True
    )
    action = request.POST.get("action", "")
    if action == "withdraw" and not access.can_withdraw_transfer(request.user, application):
        raise Http404
    if action in ("review", "negotiate", "contract", "reject") and not (
        access.can_review_transfer(request.user, application)
    ):
        raise Http404
    form = TransferActionForm(request.POST)
    if action not in TRANSFER_ACTIONS:
        form.add_error(None, _("처리할 수 없는 요청입니다."))
        return _transfer_page(request, application, action_form=form, status=400)
    if form.is_valid():
        note = form.cleaned_data["note"]
        ip = client_ip(request)
        try:
            if action == "review":
                services.transfer_review(
                    actor=request.user, application=application, note=note, ip_address=ip
                )
            elif action == "withdraw":
                services.transfer_withdraw(
                    actor=request.user, application=application, note=note, ip_address=ip
                )
            else:
                services.transfer_decide(
                    actor=request.user,
                    application=application,
                    decision=action,
                    note=note,
                    terms=form.terms() if action == "contract" else None,
                    ip_address=ip,
                )
        except ValidationError as exc:
            _apply_service_errors(form, exc, {"royalty_bp": "royalty_percent"})
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("처리했습니다."))
            return redirect(application.get_absolute_url())
    return _transfer_page(request, application, action_form=form, status=400)


@login_required
@require_POST
def transfer_report(request: HttpRequest, pk: int) -> HttpResponse:
    application = access.access_transfer_application(
        user=request.user, application_id=pk, write=True
    )
    if not access.can_report_royalty(request.user, application):
        raise Http404
    form = RoyaltyReportForm(request.POST, prefix="report")
    if form.is_valid():
        try:
            services.royalty_report_submit(
                actor=request.user,
                application=application,
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                sales=form.cleaned_data["sales"],
                note=form.cleaned_data["note"],
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, _("매출을 보고했습니다."))
            return redirect(application.get_absolute_url())
    return _transfer_page(request, application, report_form=form, status=400)


# --- equipment and bookings ------------------------------------------------------------------------


@require_GET
@cache_public_page
def equipment_list(request: HttpRequest) -> HttpResponse:
    form = EquipmentFilterForm(request.GET or None)
    params = _valid(form)
    filters = {
        "institute": _pk(params.get("institute")),
        "status": params.get("status") or "",
        "sharing": params.get("sharing") or "",
        "region": _pk(params.get("region")),
    }
    result = selectors.equipment_list(
        user=request.user,
        query=params.get("q") or "",
        filters={k: v for k, v in filters.items() if v},
        page=_page_number(request),
    )
    return render(
        request,
        "techbank/equipment_list.html",
        {
            "form": form,
            "result": result,
            "page": Pager(result),
            "query_prefix": _query_prefix(request),
            "can_create": access.can_create_in_techbank(request.user),
        },
    )


@require_GET
@cache_public_page
def equipment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.access_equipment(user=request.user, equipment_id=pk)
    context = selectors.equipment_detail_context(user=request.user, equipment=item)
    return render(request, "techbank/equipment_detail.html", {"item": item, **context})


@login_required
@require_http_methods(["GET", "POST"])
def equipment_create(request: HttpRequest) -> HttpResponse:
    institutes = _institutes_or_404(request.user)
    form = EquipmentForm(request.POST or None, institute_queryset=institutes)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.equipment_create(
                actor=request.user, data=form.service_data(), ip_address=client_ip(request)
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("장비를 등록했습니다."))
            return redirect(item.get_absolute_url())
    return _form_page(
        request,
        "techbank/form.html",
        {"title": _("장비 등록"), "cancel": reverse("techbank:equipment_list")},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def equipment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.access_equipment(user=request.user, equipment_id=pk, write=True)
    form = EquipmentForm(
        request.POST or None,
        initial=EquipmentForm.initial_for(item),
        institute_queryset=access.manageable_institutes(request.user).order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.equipment_update(
                actor=request.user,
                equipment=item,
                data=form.service_data(),
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("장비 정보를 저장했습니다."))
            return redirect(item.get_absolute_url())
    return _form_page(
        request,
        "techbank/form.html",
        {"title": _("%(name)s 수정") % {"name": item.name}, "cancel": item.get_absolute_url()},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def booking_create(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.access_equipment(user=request.user, equipment_id=pk)
    if not (item.bookable and access.can_request_booking(request.user)):
        raise Http404
    form = BookingForm(
        request.POST or None, organisations=selectors.booking_organisations(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_request(
                actor=request.user,
                equipment=item,
                organisation=form.cleaned_data["organisation"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                purpose=form.cleaned_data["purpose"],
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("예약을 신청했습니다. 기관이 승인하면 확정됩니다."))
            return redirect("techbank:booking_detail", pk=booking.pk)
    now = timezone.now()
    busy = selectors.equipment_schedule(equipment=item, start=now, end=now + dt.timedelta(days=60))
    return _form_page(request, "techbank/booking_form.html", {"item": item, "busy": busy}, form)


@login_required
@require_GET
def booking_list(request: HttpRequest) -> HttpResponse:
    form = booking_status_form(request.GET or None)
    status = _valid(form).get("status") or ""
    roles = access.roles_of(request.user)
    bookings = list(selectors.booking_list(user=request.user, status=status)[:200])
    inst_ids = access.institute_ids(roles)
    return render(
        request,
        "techbank/booking_list.html",
        {
            "form": form,
            "queue": [b for b in bookings if b.equipment.institute_id in inst_ids],
            "mine": [b for b in bookings if b.equipment.institute_id not in inst_ids],
        },
    )


def _booking_page(
    request: HttpRequest, booking: Any, form: Any = None, status: int = 200
) -> HttpResponse:
    can_decide = access.can_decide_booking(request.user, booking)
    return render(
        request,
        "techbank/booking_detail.html",
        {
            "booking": booking,
            "form": form or DecisionForm(),
            "can_decide": can_decide and booking.status == "requested",
            "can_cancel": access.can_cancel_booking(request.user, booking)
            and booking.is_active
            and booking.ends_at > timezone.now(),
        },
        status=status,
    )


@login_required
@require_GET
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = access.access_booking(user=request.user, booking_id=pk)
    return _booking_page(request, booking)


@login_required
@require_POST
def booking_act(request: HttpRequest, pk: int) -> HttpResponse:
    booking = access.access_booking(user=request.user, booking_id=pk, write=True)
    action = request.POST.get("action", "")
    if action == "cancel" and not access.can_cancel_booking(request.user, booking):
        raise Http404
    if action in ("approve", "reject") and not access.can_decide_booking(request.user, booking):
        raise Http404
    form = DecisionForm(request.POST)
    actions = {
        "approve": services.booking_approve,
        "reject": services.booking_reject,
        "cancel": services.booking_cancel,
    }
    if action not in actions:
        form.add_error(None, _("처리할 수 없는 요청입니다."))
    elif form.is_valid():
        try:
            actions[action](
                actor=request.user,
                booking=booking,
                note=form.cleaned_data["note"],
                ip_address=client_ip(request),
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("처리했습니다."))
            return redirect("techbank:booking_detail", pk=booking.pk)
    return _booking_page(request, booking, form, status=400)


# --- labs ------------------------------------------------------------------------------------------


@require_GET
@cache_public_page
def lab_list(request: HttpRequest) -> HttpResponse:
    form = SimpleFilterForm(request.GET or None)
    params = _valid(form)
    institute = _pk(params.get("institute"))
    result = selectors.lab_list(
        user=request.user,
        query=params.get("q") or "",
        filters={"institute": institute} if institute else {},
        page=_page_number(request),
    )
    return render(
        request,
        "techbank/lab_list.html",
        {
            "form": form,
            "result": result,
            "page": Pager(result),
            "query_prefix": _query_prefix(request),
            "can_create": access.can_create_in_techbank(request.user),
        },
    )


@require_GET
@cache_public_page
def lab_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lab = access.access_lab(user=request.user, lab_id=pk)
    context = selectors.lab_detail_context(user=request.user, lab=lab)
    return render(request, "techbank/lab_detail.html", {"lab": lab, **context})


@login_required
@require_http_methods(["GET", "POST"])
def lab_create(request: HttpRequest) -> HttpResponse:
    institutes = _institutes_or_404(request.user)
    form = LabForm(request.POST or None, institute_queryset=institutes)
    if request.method == "POST" and form.is_valid():
        try:
            lab = services.lab_create(
                actor=request.user, data=form.service_data(), ip_address=client_ip(request)
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("연구실을 등록했습니다."))
            return redirect(lab.get_absolute_url())
    return _form_page(
        request,
        "techbank/form.html",
        {"title": _("연구실 등록"), "cancel": reverse("techbank:lab_list")},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def lab_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lab = access.access_lab(user=request.user, lab_id=pk, write=True)
    form = LabForm(
        request.POST or None,
        initial=LabForm.initial_for(lab),
        institute_queryset=access.manageable_institutes(request.user).order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.lab_update(
                actor=request.user, lab=lab, data=form.service_data(), ip_address=client_ip(request)
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("연구실 정보를 저장했습니다."))
            return redirect(lab.get_absolute_url())
    return _form_page(
        request,
        "techbank/form.html",
        {"title": _("%(name)s 수정") % {"name": lab.name}, "cancel": lab.get_absolute_url()},
        form,
    )


# --- experts (staff and their own institute) -------------------------------------------------------


def _may_list_experts(user: Any) -> bool:
    roles = access.roles_of(user)
    return (
        roles.is_staff
        or bool(access.institute_ids(roles))
        or (roles.authenticated and access.experts_visible_to(user).exists())
    )


@login_required
@require_GET
def expert_list(request: HttpRequest) -> HttpResponse:
    if not _may_list_experts(request.user):
        raise Http404
    form = SimpleFilterForm(request.GET or None)
    params = _valid(form)
    institute = _pk(params.get("institute"))
    result = selectors.expert_list(
        user=request.user,
        query=params.get("q") or "",
        filters={"institute": institute} if institute else {},
        page=_page_number(request),
    )
    return render(
        request,
        "techbank/expert_list.html",
        {
            "form": form,
            "result": result,
            "page": Pager(result),
            "query_prefix": _query_prefix(request),
            "can_create": access.can_create_in_techbank(request.user),
        },
    )


@login_required
@require_GET
def expert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    expert = access.access_expert(user=request.user, expert_id=pk)
    context = selectors.expert_detail_context(user=request.user, expert=expert)
    contact = selectors.expert_contact_for(
        user=request.user, expert=expert, via="page", purpose="전문가 상세 화면"
    )
    return render(
        request,
        "techbank/expert_detail.html",
        {"expert": expert, "contact": contact, **context},
    )


def _save_expert(request: HttpRequest, form: ExpertForm, expert: Any = None) -> Any:
    data, contact = form.service_data()
    ip = client_ip(request)
    if expert is None:
        expert = services.expert_create(actor=request.user, data=data, ip_address=ip)
    else:
        expert = services.expert_update(actor=request.user, expert=expert, data=data, ip_address=ip)
    services.expert_contact_update(actor=request.user, expert=expert, data=contact, ip_address=ip)
    return expert


@login_required
@require_http_methods(["GET", "POST"])
def expert_create(request: HttpRequest) -> HttpResponse:
    institutes = _institutes_or_404(request.user)
    form = ExpertForm(request.POST or None, institute_queryset=institutes)
    if request.method == "POST" and form.is_valid():
        try:
            expert = _save_expert(request, form)
        except ValidationError as exc:
            _apply_service_errors(form, exc, {"fields": "fields_"})
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("전문가를 등록했습니다."))
            return redirect(expert.get_absolute_url())
    return _form_page(
        request,
        "techbank/form.html",
        {"title": _("전문가 등록"), "cancel": reverse("techbank:expert_list")},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def expert_edit(request: HttpRequest, pk: int) -> HttpResponse:
    expert = access.access_expert(user=request.user, expert_id=pk, write=True)
    institutes = access.manageable_institutes(request.user).order_by("name")
    if not institutes.filter(pk=expert.institute_id).exists():
        # The expert themself edits their profile but stays in their institute.
        institutes = Organisation.objects.filter(pk=expert.institute_id)
    contact = None
    if request.method == "GET":
        contact = selectors.expert_contact_for(
            user=request.user, expert=expert, via="page", purpose="전문가 정보 수정"
        )
    form = ExpertForm(
        request.POST or None,
        initial=ExpertForm.initial_for(expert, contact),
        institute_queryset=institutes,
    )
    if request.method == "POST" and form.is_valid():
        try:
            _save_expert(request, form, expert)
        except ValidationError as exc:
            _apply_service_errors(form, exc, {"fields": "fields_"})
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("전문가 정보를 저장했습니다."))
            return redirect(expert.get_absolute_url())
    return _form_page(
        request,
        "techbank/form.html",
        {
            "title": _("%(name)s 수정") % {"name": expert.name},
            "cancel": expert.get_absolute_url(),
        },
        form,
    )


@login_required
@require_GET
def expert_export(request: HttpRequest) -> HttpResponse:
    if not _may_list_experts(request.user):
        raise Http404
    header, rows = selectors.expert_export_rows(user=request.user)
    return _export(request, "experts", header, rows)


# --- exchange requests -----------------------------------------------------------------------------


@login_required
@require_GET
def exchange_list(request: HttpRequest) -> HttpResponse:
    form = exchange_status_form(request.GET or None)
    status = _valid(form).get("status") or ""
    roles = access.roles_of(request.user)
    requests = list(selectors.exchange_list(user=request.user, status=status)[:200])
    mine_ids = roles.organisation_ids
    return render(
        request,
        "techbank/exchange_list.html",
        {
            "form": form,
            "mine": [r for r in requests if r.requester_id in mine_ids],
            "queue": [r for r in requests if r.requester_id not in mine_ids],
            "can_request": access.can_request_exchange(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def exchange_create(request: HttpRequest) -> HttpResponse:
    if not access.can_request_exchange(request.user):
        raise Http404
    form = ExchangeForm(
        idempotency.with_key(request.POST) if request.method == "POST" else None,
        initial={
            "desk_case": request.GET.get("case", "")[:16],
            "idempotency_key": idempotency.new_key(),
        },
        requesters=selectors.applicant_organisations(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.exchange_submit(
                actor=request.user,
                requester=data["requester"],
                direction=data["direction"],
                field=data["field"],
                institute=data["institute"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                purpose=data["purpose"],
                desk_case=data["desk_case"],
                ip_address=client_ip(request),
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as exc:
            _apply_service_errors(
                form,
                exc,
                rename={"desk_case": NON_FIELD_ERRORS, "idempotency_key": NON_FIELD_ERRORS},
            )
            if idempotency.FORM_FIELD in getattr(exc, "error_dict", {}):
                # sending this form again makes a new request
                form.data = form.data.copy()
                form.data[idempotency.FORM_FIELD] = idempotency.new_key()
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            if result.created:
                messages.success(request, _("인력교류를 신청했습니다."))
            else:
                messages.info(request, _("이미 접수된 신청입니다."))
            return redirect(result.exchange.get_absolute_url())
    return _form_page(
        request,
        "techbank/form.html",
        {"title": _("인력교류 신청"), "cancel": reverse("techbank:exchange_list")},
        form,
    )


def _exchange_page(
    request: HttpRequest, exchange: Any, form: Any = None, status: int = 200
) -> HttpResponse:
    can_decide = access.can_decide_exchange(request.user, exchange)
    candidates = (
        selectors.exchange_candidates(user=request.user, request=exchange) if can_decide else []
    )
    experts = access.experts_visible_to(request.user).filter(
        available_for_exchange=True,
        institute_id__in=access.manageable_institutes(request.user).values("pk"),
    )
    if exchange.institute_id:
        experts = experts.filter(institute_id=exchange.institute_id)
    return render(
        request,
        "techbank/exchange_detail.html",
        {
            "exchange": exchange,
            "desk_case": selectors.linked_desk_case(
                user=request.user, case_id=exchange.desk_case_id
            ),
            "events": list(exchange.events.select_related("actor")),
            "candidates": candidates,
            "form": form
            or ExchangeDecisionForm(
                experts=experts.order_by("name"), initial={"expert": exchange.expert_id}
            ),
            "can_decide": can_decide and exchange.status == "submitted",
            "can_withdraw": access.can_withdraw_exchange(request.user, exchange)
            and exchange.status in ("submitted", "agreed"),
        },
        status=status,
    )


@login_required
@require_GET
def exchange_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exchange = access.access_exchange_request(user=request.user, request_id=pk)
    return _exchange_page(request, exchange)


@login_required
@require_POST
def exchange_act(request: HttpRequest, pk: int) -> HttpResponse:
    exchange = access.access_exchange_request(user=request.user, request_id=pk, write=True)
    action = request.POST.get("action", "")
    if action == "withdraw" and not access.can_withdraw_exchange(request.user, exchange):
        raise Http404
    if action in ("agree", "decline") and not access.can_decide_exchange(request.user, exchange):
        raise Http404
    experts = access.experts_visible_to(request.user).order_by("name")
    form = ExchangeDecisionForm(request.POST, experts=experts)
    if action not in ("agree", "decline", "withdraw"):
        form.add_error(None, _("처리할 수 없는 요청입니다."))
    elif form.is_valid():
        try:
            if action == "withdraw":
                services.exchange_withdraw(
                    actor=request.user,
                    request=exchange,
                    note=form.cleaned_data["note"],
                    ip_address=client_ip(request),
                )
            else:
                services.exchange_decide(
                    actor=request.user,
                    request=exchange,
                    decision=action,
                    expert=form.cleaned_data["expert"],
                    note=form.cleaned_data["note"],
                    ip_address=client_ip(request),
                )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("처리했습니다."))
            return redirect(exchange.get_absolute_url())
    return _exchange_page(request, exchange, form, status=400)


# --- statistics ------------------------------------------------------------------------------------


def _window(request: HttpRequest) -> tuple[dt.date, dt.date]:
    """Equipment utilisation over the last 30 days (or ?start=&end=, at most a year)."""
    today = timezone.localdate()
    try:
        start = dt.date.fromisoformat(request.GET.get("start", ""))
        end = dt.date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        return today - dt.timedelta(days=30), today
    if not (dt.date(2000, 1, 1) <= start < end <= start + dt.timedelta(days=366)):
        return today - dt.timedelta(days=30), today
    return start, end


def statistics_tables(request: HttpRequest) -> dict[str, tuple[str, list[str], list[list]]]:
    """Each table: (caption, header, rows) — the page and the exports share them."""
    rates, overall = selectors.commercialisation_rates()
    start, end = _window(request)
    usage, usage_total = selectors.equipment_utilisation(start=start, end=end)
    pipeline = selectors.transfer_pipeline()
    dormant = list(selectors.dormant_technologies()[:500])

    def pct(value: float) -> str:
        return f"{value * 100:.1f}%"

    return {
        "rates": (
            _("기관별 사업화율"),
            [_("기관"), _("기술 수"), _("이전·사업화"), _("휴면"), _("사업화율")],
            [[r.name, r.total, r.commercialised, r.dormant, pct(r.rate)] for r in rates]
            + [
                [
                    _("전체"),
                    overall.total,
                    overall.commercialised,
                    overall.dormant,
                    pct(overall.rate),
                ]
            ],
        ),
        "dormant": (
            _("휴면 특허"),
            [_("출원번호"), _("발명의 명칭"), _("보유 기관"), _("출원일")],
            [[t.application_number, t.title, t.holder.name, t.application_date] for t in dormant],
        ),
        "utilisation": (
            _("장비 가동률 (%(start)s ~ %(end)s)") % {"start": start, "end": end},
            [_("장비"), _("기관"), _("예약 시간"), _("가용 시간"), _("가동률")],
            [[u.name, u.institute, u.booked_hours, u.available_hours, pct(u.rate)] for u in usage]
            + [
                [
                    _("전체"),
                    "",
                    usage_total.booked_hours,
                    usage_total.available_hours,
                    pct(usage_total.rate),
                ]
            ],
        ),
        "pipeline": (
            _("기술이전 진행 현황"),
            [_("상태"), _("건수")],
            [[TransferStatus(s).label, n] for s, n in pipeline.items()],
        ),
    }


@require_GET
@cache_public_page
def statistics(request: HttpRequest) -> HttpResponse:
    tables = statistics_tables(request)
    return render(
        request,
        "techbank/statistics.html",
        {
            "tables": [
                {"key": key, "caption": caption, "header": header, "rows": rows}
                for key, (caption, header, rows) in tables.items()
            ],
            "query": urlencode({k: request.GET[k] for k in ("start", "end") if k in request.GET}),
        },
    )


@require_GET
def statistics_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    tables = statistics_tables(request)
    if table not in tables:
        raise Http404
    _caption, header, rows = tables[table]
    return _export(request, f"techbank-{table}", [str(h) for h in header], rows, fmt=fmt)


def _export(
    request: HttpRequest, name: str, header: list, rows: list, *, fmt: str | None = None
) -> HttpResponse:
    fmt = fmt or request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404
    return table_response([[str(h) for h in header], *rows], filename=name, fmt=fmt)
