from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .forms import ApiTokenForm, DeleteAccountForm


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/profile.html",
        {
            "memberships": user.memberships.select_related("organisation").order_by(
                "organisation__name"
            ),
            "consents": user.consents.all(),
            "tokens": user.api_tokens.all(),
            "token_form": ApiTokenForm(),
            "delete_form": DeleteAccountForm(),
        },
    )


@never_cache  # the page shows the secret: no cache may keep it
@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("토큰 이름을 입력해 주세요."))
        return redirect("accounts:profile")
    token, secret = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
    return render(request, "accounts/token_created.html", {"token": token, "secret": secret})


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    services.api_token_revoke(user=request.user, token_id=pk)
    messages.success(request, _("토큰을 폐기했습니다."))
    return redirect("accounts:profile")


@never_cache
@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    data = services.account_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="dure-my-data-{stamp}.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The logout is audited as the anonymised user, not under the erased name.
        request.user = services.account_delete(user=request.user)
        logout(request)
        messages.success(request, _("계정과 개인정보를 삭제했습니다."))
        return redirect("home")
    return render(
        request,
        "accounts/delete.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )
