"""Pages of the one-stop support desk. Thin: parse (forms) → access helper / selector /
service → render, or redirect after a successful POST. A service's refusal (``DeskError``, a
``ValidationError``) is shown on the form that caused it with status 400; a move the person
may not make (``PermissionDenied``) answers 404 like a case they may not see."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import wraps
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dure.core import idempotency
from dure.core.audit import client_ip
from dure.core.exports import table_response
from dure.directory.access import roles_of
from dure.directory.models import CENTRE_KINDS, Organisation

from . import access, forms, links, selectors, services
from .models import (
    Case,
    CaseAttachment,
    Category,
    Channel,
    CompanySize,
    Outcome,
    Priority,
    Status,
)

logger = logging.getLogger("dure.desk")

RECEIPTS_SESSION_KEY = "desk_receipts"
RECEIPTS_KEPT = 20


# --- helpers -----------------------------------------------------------------------------------


def _desk_worker(user: Any) -> bool:
    """Queues and dashboards: platform admins, centre staff, institute staff and researchers."""
    roles = roles_of(user)
    return roles.is_staff or roles.institute_staff


def _case_or_404(user: Any, number: str) -> Case:
    pk = Case.objects.filter(number=number).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404
    return access.access_case(user=user, case_id=pk)


def _case_url(case: Case, anchor: str = "") -> str:
    url = reverse("desk:case_detail", kwargs={"number": case.number})
    return f"{url}#{anchor}" if anchor else url


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), selectors.MAX_PAGE))
    except (TypeError, ValueError):
        return 1


def _query_prefix(request: HttpRequest) -> str:
    params = [(k, v) for k, v in request.GET.items() if k != "page" and v]
    return urlencode(params) + "&" if params else ""


def _remember_receipt(request: HttpRequest, case: Case) -> None:
    kept = [pk for pk in request.session.get(RECEIPTS_SESSION_KEY, []) if pk != case.pk]
    request.session[RECEIPTS_SESSION_KEY] = [*kept, case.pk][-RECEIPTS_KEPT:]


def _file_response(attachment: CaseAttachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _run_service(form: Any, call: Callable[[], Any]) -> tuple[bool, Any]:
    """Call a service for a valid form: (True, result), or (False, None) with the service's
    refusal put on the form. ``PermissionDenied`` becomes a 404."""
    try:
        return True, call()
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        forms.apply_service_errors(form, exc)
        return False, None


# --- intake ------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """The public intake form: anonymous or logged in (details prefilled)."""
    if request.method == "POST":
        form = forms.IntakeForm(idempotency.with_key(request.POST), request.FILES)
        if form.is_valid():
            done, result = _run_service(
                form,
                lambda: services.case_submit(
                    actor=request.user,
                    data=form.service_data(),
                    privacy_consent=form.cleaned_data["privacy_consent"],
                    channel=Channel.WEB,
                    attachments=form.cleaned_data["attachments"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    ip_address=client_ip(request),
                ),
            )
            if done:
                _remember_receipt(request, result.case)
                return redirect("desk:receipt", number=result.case.number)
    else:
        form = forms.IntakeForm(
            initial={
                **forms.initial_for(request.user),
                "idempotency_key": idempotency.new_key(),
            }
        )
    return render(
        request,
        "desk/intake.html",
        {
            "form": form,
            "staff": False,
            "notice_version": settings.DURE_PRIVACY_NOTICE_VERSION,
            "description_limit": services.DESCRIPTION_MAX_LENGTH,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@never_cache
@require_GET
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    """The receipt, only for the browser session that submitted the case: its number, how to
    follow it, and the status link (also sent by e-mail)."""
    kept = request.session.get(RECEIPTS_SESSION_KEY, [])
    case = Case.objects.filter(number=number, pk__in=kept).first()
    if case is None:
        raise Http404
    status_url = request.build_absolute_uri(links.status_path(services.status_token_for(case=case)))
    return render(request, "desk/receipt.html", {"case": case, "status_url": status_url})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def staff_intake(request: HttpRequest) -> HttpResponse:
    """A call to 1379 / the 080 line or a visit to a centre, typed in by centre staff."""
    if not access.can_intake(request.user):
        raise Http404
    centres = forms.staff_intake_centres(request.user)
    if request.method == "POST":
        form = forms.StaffIntakeForm(
            idempotency.with_key(request.POST), request.FILES, centres=centres
        )
        if form.is_valid():
            done, result = _run_service(
                form,
                lambda: services.case_submit(
                    actor=request.user,
                    data=form.service_data(),
                    privacy_consent=form.cleaned_data["privacy_consent"],
                    channel=form.cleaned_data["channel"],
                    attachments=form.cleaned_data["attachments"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    receiving_centre=int(form.cleaned_data["receiving_centre"]),
                    ip_address=client_ip(request),
                ),
            )
            if done:
                messages.success(
                    request,
                    _("접수했습니다. 접수번호는 %(number)s입니다.")
                    % {"number": result.case.number},
                )
                return redirect(_case_url(result.case))
    else:
        mine = sorted(access.centre_ids(roles_of(request.user)))
        default = next((c for c in centres if c.pk in mine), centres[0] if centres else None)
        form = forms.StaffIntakeForm(
            initial={
                "idempotency_key": idempotency.new_key(),
                "channel": Channel.PHONE_1379,
                "receiving_centre": str(default.pk) if default else "",
            },
            centres=centres,
        )
    return render(
        request,
        "desk/intake.html",
        {
            "form": form,
            "staff": True,
            "notice_version": settings.DURE_PRIVACY_NOTICE_VERSION,
            "description_limit": services.DESCRIPTION_MAX_LENGTH,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- lists -------------------------------------------------------------------------------------


QUEUE_LABELS = {
    "all": gettext_lazy("전체"),
    "centre": gettext_lazy("우리 센터"),
    "institute": gettext_lazy("우리 기관"),
    "mine": gettext_lazy("내 담당"),
    "overdue": gettext_lazy("기한 초과"),
    "due_soon": gettext_lazy("기한 임박"),
    "unassigned": gettext_lazy("미배정"),
    "waiting": gettext_lazy("답변 대기"),
}


class _Pager:
    """A ``selectors.CasePage`` dressed as the Django page ``includes/pager.html`` expects."""

    def __init__(self, result: selectors.CasePage) -> None:
        self.number = result.page
        self.paginator = SimpleNamespace(num_pages=result.page_count)
        self._has_previous = result.has_previous
        self._has_next = result.has_next

    def has_previous(self) -> bool:
        return self._has_previous

    def has_next(self) -> bool:
        return self._has_next

    def has_other_pages(self) -> bool:
        return self._has_previous or self._has_next

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


@login_required
@never_cache
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The work queues of centre and institute staff; requesters are sent to "내 문의"."""
    user = request.user
    if not _desk_worker(user):
        return redirect("desk:mine")
    roles = roles_of(user)
    see_all = access.sees_all_cases(user)
    form = forms.QueueFilterForm(
        request.GET or None,
        centres=Organisation.objects.filter(kind__in=CENTRE_KINDS).order_by("name")
        if see_all
        else (),
        institutes=selectors.institutes_for_triage() if see_all else (),
    )
    params: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        params = form.cleaned_data
    tabs = ["all"]
    if access.centre_ids(roles):
        tabs.append("centre")
    if access.institute_ids(roles):
        tabs.append("institute")
    tabs += ["mine", "overdue", "due_soon", "unassigned", "waiting"]
    current = request.GET.get("queue") or "all"
    if current not in tabs:
        current = "all"
    result = selectors.case_queue(
        user=user,
        queue=current,
        status=params.get("status") or "",
        category=params.get("category") or "",
        channel=params.get("channel") or "",
        sido=params.get("sido") or "",
        centre_id=params.get("centre"),
        institute_id=params.get("institute"),
        query=params.get("q") or "",
        page=_page_number(request),
    )
    counts = selectors.queue_counts(user=user)
    filters = [(k, v) for k, v in request.GET.items() if k not in ("page", "queue") and v]
    return render(
        request,
        "desk/queue.html",
        {
            "form": form,
            "result": result,
            "page": _Pager(result),
            "query_prefix": _query_prefix(request),
            "tabs": [
                {
                    "key": key,
                    "label": QUEUE_LABELS[key],
                    "count": counts.get(key, 0),
                    "current": key == current,
                    "query": urlencode([("queue", key), *filters]),
                }
                for key in tabs
            ],
            "current": current,
            "current_label": QUEUE_LABELS[current],
            "can_intake": access.can_intake(user),
        },
    )


@login_required
@never_cache
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The cases the logged-in person asked about ("내 문의")."""
    cases = (
        selectors.case_queryset(user=request.user)
        .filter(requester=request.user)
        .select_related("lead_institute")
        .order_by("-received_at", "-id")
    )
    page = Paginator(cases, settings.DURE_PAGE_SIZE).get_page(_page_number(request))
    return render(
        request,
        "desk/mine.html",
        {
            "page": page,
            "query_prefix": _query_prefix(request),
            "desk_worker": _desk_worker(request.user),
        },
    )


# --- the case page (staff side and logged-in requester) ----------------------------------------


def _institute_people(institute_ids: Iterable[int], exclude: Iterable[int] = ()) -> list[Any]:
    """Active staff and researchers of the given institutes (and members of their teams)."""
    ids = [i for i in institute_ids if i]
    if not ids:
        return []
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(memberships__organisation_id__in=ids, memberships__role__in=access.INSTITUTE_ROLES)
            | Q(desk_team_memberships__team__institute_id__in=ids)
        )
        .exclude(pk__in=list(exclude))
        .distinct()
        .order_by("display_name", "username")
    )


def _recommendations(case: Case) -> list[Any]:
    try:
        return selectors.case_recommendations(case=case, limit=5)
    except Exception:  # the case page must not fail because the recommender does
        logger.exception("routing recommendation failed for case %s", case.pk)
        return []


def _triage_form(case: Case, data: Any = None, recommendations: Iterable[Any] = ()) -> Any:
    institutes = selectors.institutes_for_triage()
    by_acronym = {o.acronym: o.pk for o in institutes if o.acronym}
    recs = list(recommendations)
    lead = case.lead_institute_id or (by_acronym.get(recs[0].institute) if recs else None)
    initial = {
        "category": case.category,
        "priority": case.priority,
        "sido": case.sido_id or "",
        "lead_institute": str(lead or ""),
        "collaborating_institutes": [
            str(pk) for pk in case.collaborating_institutes.values_list("pk", flat=True)
        ],
        "recommended": ",".join(r.institute for r in recs),
    }
    return forms.TriageForm(data, initial=initial, institutes=institutes)


def _collaborator_form(case: Case, data: Any = None) -> Any:
    institutes = [
        case.lead_institute_id,
        *case.collaborating_institutes.values_list("pk", flat=True),
    ]
    taken = list(case.collaborator_links.values_list("user_id", flat=True))
    return forms.CollaboratorForm(data, people=_institute_people(institutes, exclude=taken))


SIMPLE_MOVE_FORMS: dict[str, type[forms.MoveForm]] = {
    "start": forms.StartForm,
    "wait": forms.WaitForm,
    "resume": forms.ResumeForm,
    "resolve": forms.ResolveForm,
    "close": forms.CloseForm,
    "reopen": forms.ReopenForm,
}

MOVE_TITLES = {
    "triage": gettext_lazy("분류와 연구기관 연계"),
    "assign": gettext_lazy("담당 배정"),
    "start": gettext_lazy("처리 시작"),
    "wait": gettext_lazy("요청자 답변 기다리기"),
    "resume": gettext_lazy("처리 재개"),
    "resolve": gettext_lazy("해결 처리"),
    "close": gettext_lazy("종료"),
    "reopen": gettext_lazy("다시 열기"),
}

MOVE_BUTTONS = {
    "triage": gettext_lazy("분류 저장"),
    "assign": gettext_lazy("배정"),
    "start": gettext_lazy("처리 시작"),
    "wait": gettext_lazy("답변 대기로 바꾸기"),
    "resume": gettext_lazy("처리 재개"),
    "resolve": gettext_lazy("해결로 처리"),
    "close": gettext_lazy("종료"),
    "reopen": gettext_lazy("다시 열기"),
}


@dataclass
class _Failed:
    """The form whose POST failed, shown again bound with its errors."""

    name: str
    form: Any


@dataclass
class _Panel:
    name: str
    title: Any
    button: Any
    form: Any
    action: str
    multipart: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _render_case(
    request: HttpRequest, case: Case, failed: _Failed | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    if not access.case_roles(user, case).staff_side:
        return _render_requester_case(request, case, failed, status)
    detail = selectors.case_detail(user=user, case=case)
    bound = {failed.name: failed.form} if failed else {}
    recommendations = _recommendations(case) if "triage" in detail.moves else []
    techbank_matches = (
        selectors.case_techbank_matches(user=user, case=case)
        if {"triage", "assign", "resolve"} & set(detail.moves)
        else []
    )
    panels: list[_Panel] = []
    for move in detail.moves:
        action = reverse(f"desk:case_{move}", kwargs={"number": case.number})
        if move in bound:
            form = bound[move]
        elif move == "triage":
            form = _triage_form(case, recommendations=recommendations)
        elif move == "assign":
            form = forms.AssignForm(
                initial={
                    "team": str(case.team_id or ""),
                    "assignee": str(case.assignee_id or ""),
                    "remember": True,
                },
                teams=detail.teams,
                people=_institute_people([case.lead_institute_id]),
            )
        else:
            form = SIMPLE_MOVE_FORMS[move]()
        panels.append(_Panel(move, MOVE_TITLES[move], MOVE_BUTTONS[move], form, action))
    message_form = note_form = collaborator_form = None
    if detail.can_post:
        message_form = bound.get("message") or forms.MessageForm()
    if detail.can_post_internal:
        note_form = bound.get("note") or forms.NoteForm()
    if detail.can_manage_collaborators and case.status != Status.CLOSED:
        collaborator_form = bound.get("collaborator") or _collaborator_form(case)
    shown = {p.name for p in panels}
    shown |= {n for n, f in (("message", message_form), ("note", note_form)) if f is not None}
    if collaborator_form is not None:
        shown.add("collaborator")
    return render(
        request,
        "desk/case_detail.html",
        {
            "case": case,
            "detail": detail,
            "panels": panels,
            "recommendations": recommendations,
            "techbank_matches": techbank_matches,
            "message_form": message_form,
            "note_form": note_form,
            "collaborator_form": collaborator_form,
            "failed": failed.name if failed else "",
            "unshown": _unshown(failed, shown),
            "has_errors": bool(failed),
        },
        status=status,
    )


def _unshown(failed: _Failed | None, shown: set[str]) -> dict[str, Any] | None:
    """A failed form the page does not show (e.g. a move that is not allowed any more): its
    errors are shown on their own at the top of the page."""
    if failed is None or failed.name in shown:
        return None
    errors = [str(e) for e in failed.form.non_field_errors()]
    for bound_field in failed.form:
        errors += [f"{bound_field.label}: {e}" for e in bound_field.errors]
    return {
        "name": failed.name,
        "title": MOVE_TITLES.get(failed.name) or FORM_TITLES.get(failed.name, ""),
        "errors": errors,
    }


FORM_TITLES = {
    "message": gettext_lazy("메시지"),
    "note": gettext_lazy("내부 메모"),
    "collaborator": gettext_lazy("협업자 추가"),
    "survey": gettext_lazy("만족도 조사"),
}


def _render_requester_case(
    request: HttpRequest, case: Case, failed: _Failed | None, status: int
) -> HttpResponse:
    view = selectors.case_public_view(case=case)
    moves = selectors.allowed_moves(request.user, case)
    bound = {failed.name: failed.form} if failed else {}
    number = {"number": case.number}
    context = {
        "case": case,
        "view": view,
        "token": "",
        "reply_form": (bound.get("message") or forms.MessageForm()) if view.can_reply else None,
        "reply_action": reverse("desk:case_message", kwargs=number),
        "survey_form": (bound.get("survey") or forms.SurveyForm()) if view.survey_open else None,
        "survey_action": reverse("desk:case_survey", kwargs=number),
        "reopen_form": (bound.get("reopen") or forms.ReopenForm()) if "reopen" in moves else None,
        "reopen_action": reverse("desk:case_reopen", kwargs=number),
        "close_form": (bound.get("close") or forms.CloseForm()) if "close" in moves else None,
        "close_action": reverse("desk:case_close", kwargs=number),
        "has_errors": bool(failed),
        "next_steps": selectors.requester_next_steps(user=request.user, case=case),
    }
    context["unshown"] = _unshown(failed, _requester_forms_shown(context))
    return render(request, "desk/case_requester.html", context, status=status)


def _requester_forms_shown(context: dict[str, Any]) -> set[str]:
    names = {"reply_form": "message", "survey_form": "survey", "reopen_form": "reopen"}
    names["close_form"] = "close"
    return {name for key, name in names.items() if context.get(key) is not None}


@login_required
@never_cache
@require_GET
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render_case(request, _case_or_404(request.user, number))


def _case_action(
    name: str,
    make_form: Callable[[HttpRequest, Case], Any],
    call: Callable[[HttpRequest, Case, Any], Any],
    success: Any,
    anchor: str = "",
) -> Callable[..., HttpResponse]:
    """A POST-only view that runs one service on the case and redirects to the case page, or
    shows the page again with the form's errors (400)."""

    @login_required
    @require_POST
    def view(request: HttpRequest, number: str) -> HttpResponse:
        case = _case_or_404(request.user, number)
        form = make_form(request, case)
        if form.is_valid():
            done, _result = _run_service(form, lambda: call(request, case, form))
            if done:
                messages.success(request, success)
                return redirect(_case_url(case, anchor))
        case.refresh_from_db()
        return _render_case(request, case, _Failed(name, form), status=400)

    view.__name__ = f"case_{name}"
    return view


def _lead_teams(request: HttpRequest, case: Case) -> list[Any]:
    """The active teams of the case's lead institute (those ``case_assign`` accepts)."""
    if not case.lead_institute_id:
        return []
    teams = selectors.team_list(user=request.user, institute_id=case.lead_institute_id)
    return [t for t in teams if t.is_active]


case_triage = _case_action(
    "triage",
    lambda r, c: _triage_form(c, r.POST),
    lambda r, c, f: services.case_triage(
        actor=r.user,
        case=c,
        category=f.cleaned_data["category"],
        priority=f.cleaned_data["priority"],
        sido=f.cleaned_data.get("sido") or None,
        lead_institute=int(f.cleaned_data["lead_institute"]),
        collaborating_institutes=[int(v) for v in f.cleaned_data["collaborating_institutes"]],
        recommended=f.recommended_acronyms(),
        note=f.cleaned_data.get("note") or "",
    ),
    gettext_lazy("분류와 연구기관 연계를 저장했습니다."),
)


def _assign_from_post(request: HttpRequest, case: Case) -> Any:
    return forms.AssignForm(
        request.POST,
        teams=_lead_teams(request, case),
        people=_institute_people([case.lead_institute_id]),
    )


def _person(value: Any) -> Any:
    """The user a form's choice names (the choices were people at render time)."""
    return get_user_model().objects.filter(pk=int(value), is_active=True).first() if value else None


def _assignee(form: Any) -> Any:
    return _person(form.cleaned_data.get("assignee"))


case_assign = _case_action(
    "assign",
    _assign_from_post,
    lambda r, c, f: services.case_assign(
        actor=r.user,
        case=c,
        team=int(f.cleaned_data["team"]) if f.cleaned_data.get("team") else None,
        assignee=_assignee(f),
        remember=f.cleaned_data.get("remember", False),
        note=f.cleaned_data.get("note") or "",
    ),
    gettext_lazy("담당을 배정했습니다."),
)

case_start = _case_action(
    "start",
    lambda r, c: forms.StartForm(r.POST),
    lambda r, c, f: services.case_start(actor=r.user, case=c),
    gettext_lazy("처리를 시작했습니다."),
)

case_wait = _case_action(
    "wait",
    lambda r, c: forms.WaitForm(r.POST),
    lambda r, c, f: services.case_wait_for_requester(
        actor=r.user, case=c, message=f.cleaned_data.get("message") or ""
    ),
    gettext_lazy("요청자의 답변을 기다리는 중으로 바꿨습니다. 처리 기한 계산이 멈춥니다."),
)

case_resume = _case_action(
    "resume",
    lambda r, c: forms.ResumeForm(r.POST),
    lambda r, c, f: services.case_resume(actor=r.user, case=c),
    gettext_lazy("처리를 다시 시작했습니다."),
)

case_resolve = _case_action(
    "resolve",
    lambda r, c: forms.ResolveForm(r.POST),
    lambda r, c, f: services.case_resolve(
        actor=r.user,
        case=c,
        outcome=f.cleaned_data["outcome"],
        summary=f.cleaned_data.get("summary") or "",
        reason=f.cleaned_data.get("reason") or "",
        follow_up_url=f.cleaned_data.get("follow_up_url") or "",
        follow_up_reference=f.cleaned_data.get("follow_up_reference") or "",
    ),
    gettext_lazy("해결로 처리했습니다. 요청자에게 결과와 만족도 조사를 안내합니다."),
)

case_close = _case_action(
    "close",
    lambda r, c: forms.CloseForm(r.POST),
    lambda r, c, f: services.case_close(
        actor=r.user, case=c, reason=f.cleaned_data.get("reason") or ""
    ),
    gettext_lazy("종료했습니다."),
)

case_reopen = _case_action(
    "reopen",
    lambda r, c: forms.ReopenForm(r.POST),
    lambda r, c, f: services.case_reopen(
        actor=r.user, case=c, reason=f.cleaned_data.get("reason") or ""
    ),
    gettext_lazy("다시 열었습니다."),
)

case_message = _case_action(
    "message",
    lambda r, c: forms.MessageForm(r.POST, r.FILES),
    lambda r, c, f: services.case_message_post(
        actor=r.user,
        case=c,
        body=f.cleaned_data["body"],
        attachments=f.cleaned_data["attachments"],
    ),
    gettext_lazy("메시지를 보냈습니다."),
    anchor="conversation",
)

case_note = _case_action(
    "note",
    lambda r, c: forms.NoteForm(r.POST, r.FILES),
    lambda r, c, f: services.case_message_post(
        actor=r.user,
        case=c,
        body=f.cleaned_data["body"],
        attachments=f.cleaned_data["attachments"],
        is_internal=True,
    ),
    gettext_lazy("내부 메모를 남겼습니다."),
    anchor="conversation",
)

case_survey = _case_action(
    "survey",
    lambda r, c: forms.SurveyForm(r.POST),
    lambda r, c, f: services.case_survey_submit(
        actor=r.user,
        case=c,
        rating=int(f.cleaned_data["rating"]),
        comment=f.cleaned_data["comment"],
    ),
    gettext_lazy("만족도 조사에 응답해 주셔서 감사합니다."),
)


def _collaborator(form: Any) -> Any:
    return _person(form.cleaned_data["user"])


case_collaborator_add = _case_action(
    "collaborator",
    lambda r, c: _collaborator_form(c, r.POST),
    lambda r, c, f: services.case_collaborator_add(
        actor=r.user, case=c, user=_collaborator(f), note=f.cleaned_data.get("note") or ""
    ),
    gettext_lazy("협업자를 추가했습니다."),
    anchor="people",
)


@login_required
@require_POST
def case_collaborator_remove(request: HttpRequest, number: str, user_id: int) -> HttpResponse:
    case = _case_or_404(request.user, number)
    person = get_user_model().objects.filter(pk=user_id).first()
    if person is None or not case.collaborator_links.filter(user=person).exists():
        raise Http404
    try:
        services.case_collaborator_remove(actor=request.user, case=case, user=person)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("협업자에서 뺐습니다."))
    return redirect(_case_url(case, "people"))


@login_required
@require_GET
def case_file(request: HttpRequest, number: str, pk: int) -> FileResponse:
    """An attachment, for those who may see it (internal files for the staff side only)."""
    attachment = access.access_attachment(attachment_id=pk, user=request.user)
    if attachment.case.number != number:
        raise Http404
    return _file_response(attachment)


# --- the status page (signed link, no login) ---------------------------------------------------


def _status_link(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Open the case the token names, or answer a localized error page (404) for a malformed,
    forged, expired or revoked link."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            case = links.case_for_token(token)
        except links.StatusLinkError as exc:
            return _status_error(request, exc.code, exc.message)
        response = view(request, token, case, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response

    return wrapper


def _status_error(request: HttpRequest, code: str, message: Any) -> HttpResponse:
    response = render(
        request, "desk/status_error.html", {"code": code, "message": message}, status=404
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _render_status(
    request: HttpRequest, token: str, case: Case, failed: _Failed | None = None, status: int = 200
) -> HttpResponse:
    view = selectors.case_public_view(case=case)
    bound = {failed.name: failed.form} if failed else {}
    args = {"token": token}
    context = {
        "case": case,
        "view": view,
        "token": token,
        "reply_form": (bound.get("message") or forms.MessageForm()) if view.can_reply else None,
        "reply_action": reverse("desk:status_reply", kwargs=args),
        "survey_form": (bound.get("survey") or forms.SurveyForm()) if view.survey_open else None,
        "survey_action": reverse("desk:status_survey", kwargs=args),
        "reopen_form": (bound.get("reopen") or forms.ReopenForm()) if view.can_reopen else None,
        "reopen_action": reverse("desk:status_reopen", kwargs=args),
        "close_form": None,
        "has_errors": bool(failed),
    }
    context["unshown"] = _unshown(failed, _requester_forms_shown(context))
    return render(request, "desk/status.html", context, status=status)


@never_cache
@require_GET
@_status_link
def status(request: HttpRequest, token: str, case: Case) -> HttpResponse:
    return _render_status(request, token, case)


def _status_action(
    name: str,
    make_form: Callable[[HttpRequest], Any],
    call: Callable[[HttpRequest, str, Case, Any], Any],
    success: Any,
    anchor: str = "",
) -> Callable[..., HttpResponse]:
    @require_POST
    @_status_link
    def view(request: HttpRequest, token: str, case: Case) -> HttpResponse:
        form = make_form(request)
        if form.is_valid():
            try:
                call(request, token, case, form)
            except services.DeskError as exc:
                if exc.code.startswith("status_link_"):
                    return _status_error(request, exc.code, exc.desk_message)
                forms.apply_service_errors(form, exc)
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, success)
                url = reverse("desk:status", kwargs={"token": token})
                return redirect(f"{url}#{anchor}" if anchor else url)
        case.refresh_from_db()
        return _render_status(request, token, case, _Failed(name, form), status=400)

    view.__name__ = f"status_{name}"
    return view


status_reply = _status_action(
    "message",
    lambda r: forms.MessageForm(r.POST, r.FILES),
    lambda r, t, c, f: services.case_message_post(
        case=c,
        status_token=t,
        body=f.cleaned_data["body"],
        attachments=f.cleaned_data["attachments"],
    ),
    gettext_lazy("답변을 보냈습니다."),
    anchor="conversation",
)

status_survey = _status_action(
    "survey",
    lambda r: forms.SurveyForm(r.POST),
    lambda r, t, c, f: services.case_survey_submit(
        case=c,
        status_token=t,
        rating=int(f.cleaned_data["rating"]),
        comment=f.cleaned_data["comment"],
    ),
    gettext_lazy("만족도 조사에 응답해 주셔서 감사합니다."),
)

status_reopen = _status_action(
    "reopen",
    lambda r: forms.ReopenForm(r.POST),
    lambda r, t, c, f: services.case_reopen(
        case=c, status_token=t, reason=f.cleaned_data.get("reason") or ""
    ),
    gettext_lazy("다시 열었습니다. 담당자가 이어서 처리합니다."),
)


@require_GET
def status_file(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    try:
        links.case_for_token(token)
    except links.StatusLinkError as exc:
        return _status_error(request, exc.code, exc.message)
    return _file_response(access.access_attachment(attachment_id=pk, status_token=token))


# --- dashboard and exports ---------------------------------------------------------------------


def _period(form: forms.PeriodForm) -> tuple[dt.date | None, dt.date | None]:
    if not form.is_bound:
        return None, None
    form.is_valid()
    return form.cleaned_data.get("since"), form.cleaned_data.get("until")


@login_required
@never_cache
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Counts, SLA compliance, time to resolution, satisfaction and per-institute performance
    over the cases the person may see (all for the national centre and admins, a centre's or
    an institute's own otherwise), as tables."""
    user = request.user
    if not _desk_worker(user):
        raise Http404
    form = forms.PeriodForm(request.GET or None)
    since, until = _period(form)
    period = {"user": user, "since": since, "until": until}
    export_params = urlencode(
        [(k, v.isoformat()) for k, v in (("since", since), ("until", until)) if v]
    )
    return render(
        request,
        "desk/dashboard.html",
        {
            "form": form,
            "counts": [
                (
                    gettext_lazy("분류별"),
                    gettext_lazy("분류"),
                    selectors.case_counts(by="category", **period),
                ),
                (
                    gettext_lazy("지역별"),
                    gettext_lazy("지역"),
                    selectors.case_counts(by="sido", **period),
                ),
                (
                    gettext_lazy("주관 연구기관별"),
                    gettext_lazy("연구기관"),
                    selectors.case_counts(by="institute", **period),
                ),
                (
                    gettext_lazy("접수 경로별"),
                    gettext_lazy("접수 경로"),
                    selectors.case_counts(by="channel", **period),
                ),
            ],
            "sla": selectors.sla_compliance(**period),
            "distribution": selectors.resolution_time_distribution(**period),
            "satisfaction": selectors.satisfaction_summary(**period),
            "performance": selectors.institute_performance(**period),
            "export_params": export_params,
            "reports": forms.ExportForm.base_fields["report"].choices,
        },
    )


EVALUATION_LABELS = {
    "number": gettext_lazy("접수번호"),
    "received_date": gettext_lazy("접수일"),
    "channel": gettext_lazy("접수 경로"),
    "category": gettext_lazy("분류"),
    "priority": gettext_lazy("우선순위"),
    "sido": gettext_lazy("지역"),
    "industry": gettext_lazy("업종 코드"),
    "company_size": gettext_lazy("기업 규모"),
    "receiving_centre": gettext_lazy("접수 센터"),
    "lead_institute": gettext_lazy("주관 연구기관"),
    "collaborating_institutes": gettext_lazy("협력 연구기관"),
    "status": gettext_lazy("상태"),
    "outcome": gettext_lazy("해결 결과"),
    "first_response_met": gettext_lazy("첫 응답 기한 준수"),
    "resolution_met": gettext_lazy("해결 기한 준수"),
    "business_days_to_resolution": gettext_lazy("해결까지 영업일"),
    "satisfaction": gettext_lazy("만족도"),
}

CHOICE_LABELS: dict[str, dict[str, Any]] = {
    "channel": dict(Channel.choices),
    "category": dict(Category.choices),
    "priority": dict(Priority.choices),
    "company_size": dict(CompanySize.choices),
    "status": dict(Status.choices),
    "outcome": dict(Outcome.choices),
}


def _evaluation_rows(user: Any, since: Any, until: Any) -> Iterator[list[Any]]:
    yield [str(EVALUATION_LABELS[c]) for c in selectors.EVALUATION_COLUMNS]
    for row in selectors.evaluation_export_rows(user=user, since=since, until=until):
        yield [
            CHOICE_LABELS[c].get(row[c], row[c]) if c in CHOICE_LABELS and row[c] else row[c]
            for c in selectors.EVALUATION_COLUMNS
        ]


def _performance_rows(user: Any, since: Any, until: Any) -> Iterator[list[Any]]:
    yield [
        _("연구기관 약칭"),
        _("연구기관"),
        _("접수"),
        _("진행 중"),
        _("해결"),
        _("기한 내 해결"),
        _("기한 내 해결률"),
        _("첫 응답 기한 준수"),
        _("평균 처리 영업일"),
        _("만족도 응답"),
        _("평균 만족도"),
    ]
    for p in selectors.institute_performance(user=user, since=since, until=until):
        yield [
            p.acronym,
            p.name,
            p.cases,
            p.open,
            p.resolved,
            p.on_time,
            p.on_time_rate,
            p.first_response_met,
            p.avg_business_days,
            p.surveys,
            p.avg_satisfaction,
        ]


def _count_rows(user: Any, since: Any, until: Any) -> Iterator[list[Any]]:
    yield [_("기준"), _("코드"), _("항목"), _("건수")]
    for by, label in (
        ("category", _("분류")),
        ("sido", _("지역")),
        ("institute", _("주관 연구기관")),
        ("channel", _("접수 경로")),
    ):
        for key, name, count in selectors.case_counts(user=user, by=by, since=since, until=until):
            yield [label, key, name, count]


EXPORTS: dict[str, Callable[[Any, Any, Any], Iterator[list[Any]]]] = {
    "evaluation": _evaluation_rows,
    "performance": _performance_rows,
    "counts": _count_rows,
}


@login_required
@never_cache
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """CSV (UTF-8 with BOM, for Excel) or XLSX of a dashboard report. The evaluation report
    has no personal data (``selectors.EVALUATION_COLUMNS``)."""
    user = request.user
    if not _desk_worker(user):
        raise Http404
    form = forms.ExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("내려받을 보고서와 형식, 기간을 확인해 주세요."))
        return redirect("desk:dashboard")
    report, fmt = form.cleaned_data["report"], form.cleaned_data["format"]
    rows = EXPORTS[report](user, form.cleaned_data.get("since"), form.cleaned_data.get("until"))
    stamp = timezone.localdate().strftime("%Y%m%d")
    return table_response(rows, filename=f"desk-{report}-{stamp}", fmt=fmt, sheet=report)
