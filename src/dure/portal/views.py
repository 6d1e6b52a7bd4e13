"""Pages of notices and success stories: thin — parse, call a service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dure.core.forms import apply_service_errors

from . import access, selectors, services
from .forms import (
    NoticeFilterForm,
    NoticeForm,
    NoticeManageFilterForm,
    ReasonForm,
    StoryFilterForm,
    StoryForm,
    StoryManageFilterForm,
    WrittenConsentForm,
)
from .models import Notice, Story


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _filters(form: Any) -> dict[str, Any]:
    """A filter form's values; a bad filter drops itself, not the list."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return form.cleaned_data


def _query_prefix(request: HttpRequest) -> str:
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return urlencode(params) + "&" if params else ""


def _form_page(request: HttpRequest, template: str, form: Any, **context: Any) -> HttpResponse:
    return render(
        request,
        template,
        {"form": form, **context},
        status=400 if form.is_bound and form.errors else 200,
    )


def _save(form: Any, call: Callable[[], Any]) -> Any:
    """The service's result, or None with its refusal put on the form."""
    try:
        return call()
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return None


# --- notices -----------------------------------------------------------------------------------


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    manager = access.can_write(request.user)
    form_class = NoticeManageFilterForm if manager else NoticeFilterForm
    form = form_class(request.GET or None)
    params = _filters(form)
    page = selectors.notice_list(
        user=request.user,
        category=params.get("category") or "",
        q=params.get("q") or "",
        status=params.get("status") or "",
        page=_page_number(request),
    )
    return render(
        request,
        "portal/notice_list.html",
        {
            "form": form,
            "page": page,
            "query_prefix": _query_prefix(request),
            "can_write": manager,
        },
    )


@require_GET
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = access.access_notice(user=request.user, notice_id=pk)
    return render(
        request,
        "portal/notice_detail.html",
        {"notice": notice, "manager": access.can_manage_notice(request.user, notice)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_create(request: HttpRequest) -> HttpResponse:
    if not access.can_write(request.user):
        raise Http404
    centres = access.centre_choices(request.user)
    form = NoticeForm(
        request.POST if request.method == "POST" else None,
        centres=centres,
        initial={"publisher": centres.first()},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        publisher = data.pop("publisher")
        notice = _save(
            form,
            lambda: services.notice_create(actor=request.user, publisher=publisher, data=data),
        )
        if notice is not None:
            messages.success(request, _("공지를 저장했습니다. 게시하면 모두가 봅니다."))
            return redirect(notice)
    return _form_page(request, "portal/notice_form.html", form, notice=None)


@login_required
@require_http_methods(["GET", "POST"])
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    notice = access.access_notice(user=request.user, notice_id=pk, manage=True)
    form = NoticeForm(
        request.POST if request.method == "POST" else None,
        initial={name: getattr(notice, name) for name in services.NOTICE_FIELDS},
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(
            form,
            lambda: services.notice_update(
                actor=request.user, notice=notice, data=form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, _("공지를 고쳤습니다."))
            return redirect(saved)
    return _form_page(request, "portal/notice_form.html", form, notice=notice)


NOTICE_ACTIONS: dict[str, tuple[Callable[..., Notice], Any]] = {
    "publish": (services.notice_publish, gettext_lazy("공지를 게시했습니다.")),
    "archive": (services.notice_archive, gettext_lazy("공지 게시를 끝냈습니다.")),
}


@login_required
@require_POST
def notice_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    notice = access.access_notice(user=request.user, notice_id=pk, manage=True)
    service, done = NOTICE_ACTIONS[action]
    try:
        notice = service(actor=request.user, notice=notice)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, str(done))
    return redirect(notice)


# --- stories -----------------------------------------------------------------------------------


@require_GET
def story_list(request: HttpRequest) -> HttpResponse:
    form = StoryFilterForm(request.GET or None)
    params = _filters(form)
    page = selectors.story_list(
        support_kind=params.get("support_kind") or "",
        sido=params["sido"].pk if params.get("sido") else "",
        q=params.get("q") or "",
        page=_page_number(request),
    )
    return render(
        request,
        "portal/story_list.html",
        {
            "form": form,
            "page": page,
            "query_prefix": _query_prefix(request),
            "can_write": access.can_write(request.user),
            "represents": bool(access.represented_ids(request.user)),
        },
    )


@login_required
@require_GET
def story_manage(request: HttpRequest) -> HttpResponse:
    """The stories of the centres one writes for, in every status."""
    if not access.can_write(request.user):
        raise Http404
    form = StoryManageFilterForm(request.GET or None)
    params = _filters(form)
    page = selectors.stories_managed(
        user=request.user, status=params.get("status") or "", page=_page_number(request)
    )
    return render(
        request,
        "portal/story_manage.html",
        {"form": form, "page": page, "query_prefix": _query_prefix(request)},
    )


@login_required
@require_GET
def story_consents(request: HttpRequest) -> HttpResponse:
    """The stories about the organisations one represents, for their consent."""
    if not access.represented_ids(request.user):
        raise Http404
    return render(
        request,
        "portal/story_consents.html",
        {"stories": selectors.stories_for_consent(user=request.user)},
    )


def _story_page(
    request: HttpRequest, story: Story, status: int = 200, **forms: Any
) -> HttpResponse:
    manager = access.can_manage_story(request.user, story)
    representative = access.represents(request.user, story)
    S = Story.Status
    context: dict[str, Any] = {
        "story": story,
        "manager": manager,
        "representative": representative,
        "events": selectors.story_events(story=story) if manager or representative else (),
    }
    if manager and story.status == S.AWAITING:
        context["written_form"] = forms.get("written_form") or WrittenConsentForm(prefix="written")
    if manager and story.status == S.PUBLISHED:
        context["unpublish_form"] = forms.get("unpublish_form") or ReasonForm(prefix="unpublish")
    if representative and story.status == S.AWAITING:
        context["decline_form"] = forms.get("decline_form") or ReasonForm(prefix="decline")
    if representative and story.status in (S.APPROVED, S.PUBLISHED):
        context["withdraw_form"] = forms.get("withdraw_form") or ReasonForm(prefix="withdraw")
    return render(request, "portal/story_detail.html", context, status=status)


@require_GET
def story_detail(request: HttpRequest, pk: int) -> HttpResponse:
    story = access.access_story(user=request.user, story_id=pk)
    return _story_page(request, story)


@login_required
@require_http_methods(["GET", "POST"])
def story_create(request: HttpRequest) -> HttpResponse:
    if not access.can_write(request.user):
        raise Http404
    centres = access.centre_choices(request.user)
    form = StoryForm(
        request.POST if request.method == "POST" else None,
        centres=centres,
        subjects=access.subject_choices(),
        initial={"centre": centres.first(), "year": timezone.localdate().year},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        centre = data.pop("centre")
        story = _save(
            form, lambda: services.story_create(actor=request.user, centre=centre, data=data)
        )
        if story is not None:
            messages.success(
                request, _("사례를 저장했습니다. 게시하려면 먼저 사례 기관의 동의를 받으세요.")
            )
            return redirect(story)
    return _form_page(request, "portal/story_form.html", form, story=None)


@login_required
@require_http_methods(["GET", "POST"])
def story_edit(request: HttpRequest, pk: int) -> HttpResponse:
    story = access.access_story(user=request.user, story_id=pk, manage=True)
    form = StoryForm(
        request.POST if request.method == "POST" else None,
        subjects=access.subject_choices(),
        initial={name: getattr(story, name) for name in services.STORY_FIELDS},
    )
    if request.method == "POST" and form.is_valid():
        was = story.status
        saved = _save(
            form,
            lambda: services.story_update(actor=request.user, story=story, data=form.cleaned_data),
        )
        if saved is not None:
            if was != Story.Status.DRAFT and saved.status == Story.Status.DRAFT:
                messages.warning(
                    request,
                    _("내용이 바뀌어 작성 중으로 돌아갔습니다. 게시하려면 동의를 다시 받으세요."),
                )
            else:
                messages.success(request, _("사례를 고쳤습니다."))
            return redirect(saved)
    return _form_page(request, "portal/story_form.html", form, story=story)


@dataclass(frozen=True)
class StoryStep:
    """One step of a story's consent and publication, taken with a button on its page."""

    who: str  # "manage": the writing centre's staff; "represent": the organisation's people
    run: Callable[[Any, Story, dict[str, Any]], Story]  # (actor, story, the form's data)
    done: Any  # the message when it is done
    prefix: str = ""  # the small form's prefix (its text box), or none: a plain button
    form: Any = None


STORY_STEPS: dict[str, StoryStep] = {
    "request_consent": StoryStep(
        "manage",
        lambda actor, story, _data: services.story_request_consent(actor=actor, story=story),
        gettext_lazy("사례 기관에 게시 동의를 요청했습니다."),
    ),
    "publish": StoryStep(
        "manage",
        lambda actor, story, _data: services.story_publish(actor=actor, story=story),
        gettext_lazy("사례를 포털에 게시했습니다."),
    ),
    "consent": StoryStep(
        "represent",
        lambda actor, story, _data: services.story_consent(actor=actor, story=story),
        gettext_lazy("게시에 동의했습니다. 동의는 언제든 철회할 수 있습니다."),
    ),
    "consent_record": StoryStep(
        "manage",
        lambda actor, story, data: services.story_consent_record(
            actor=actor, story=story, note=data["note"]
        ),
        gettext_lazy("서면 동의를 기록했습니다. 이제 게시할 수 있습니다."),
        "written",
        WrittenConsentForm,
    ),
    "unpublish": StoryStep(
        "manage",
        lambda actor, story, data: services.story_unpublish(
            actor=actor, story=story, reason=data["reason"]
        ),
        gettext_lazy("사례 게시를 중단했습니다. 동의는 그대로여서 다시 게시할 수 있습니다."),
        "unpublish",
        ReasonForm,
    ),
    "decline": StoryStep(
        "represent",
        lambda actor, story, data: services.story_decline(
            actor=actor, story=story, reason=data["reason"]
        ),
        gettext_lazy("게시를 거절했습니다. 지원센터에 알렸습니다."),
        "decline",
        ReasonForm,
    ),
    "withdraw": StoryStep(
        "represent",
        lambda actor, story, data: services.story_withdraw_consent(
            actor=actor, story=story, reason=data["reason"]
        ),
        gettext_lazy("동의를 철회했습니다. 사례는 포털에서 내려갔습니다."),
        "withdraw",
        ReasonForm,
    ),
}


@login_required
@require_POST
def story_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """A step of ``STORY_STEPS``: done (with a message); refused for the story's status (a
    double click, a page left open) with the reason as a message on the story's page; or, for a
    wrong field of its small form, the page again with the form's errors (400)."""
    spec = STORY_STEPS[step]
    story = access.access_story(user=request.user, story_id=pk, **{spec.who: True})
    form = spec.form(request.POST, prefix=spec.prefix) if spec.form else None
    if form is not None and not form.is_valid():
        return _story_page(request, story, status=400, **{f"{spec.prefix}_form": form})
    data = form.cleaned_data if form is not None else {}
    try:
        story = spec.run(request.user, story, data)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        if form is not None and not _status_refusal(exc):
            apply_service_errors(form, exc)
            return _story_page(request, story, status=400, **{f"{spec.prefix}_form": form})
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, str(spec.done))
    return redirect(story)


def _status_refusal(exc: ValidationError) -> bool:
    """A refusal of the step itself (the story's status), not of a field of its form."""
    return set(getattr(exc, "error_dict", {})) <= {"status"}
