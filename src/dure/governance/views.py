"""Governance pages under /coop/. Thin: access helper → service / selector → render.

Who sees what is decided in ``access.py`` (officers run, members see and vote, nobody else
sees anything: 404). A refused service call becomes a form error or a message; nothing is
half-written.
"""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dure.core.forms import apply_service_errors as _apply_errors

from . import access, exports, selectors, services
from .forms import (
    BallotForm,
    CheckInForm,
    ConsentForm,
    ConveneForm,
    DelegateElectionForm,
    DelegateEndForm,
    DuesPaymentForm,
    ExpulsionForm,
    ExpulsionScheduleForm,
    FounderForm,
    HearingForm,
    ItemForm,
    MemberForm,
    MinutesForm,
    OfficerTermForm,
    ProxyForm,
    RefundClaimForm,
    RefundDeductionForm,
    RefundPaymentForm,
    SettingsForm,
    ShareForm,
    SignersForm,
    StatusForm,
    TallyForm,
)
from .models import (
    AgendaItem,
    Assembly,
    AssemblyKind,
    AssemblyStatus,
    BallotReceipt,
    CheckInMethod,
    DuesSchedule,
    ItemStatus,
    Member,
    MemberStatus,
    Minutes,
    RecordingMode,
)


def _form_page(request: HttpRequest, template: str, context: dict, form: Any) -> HttpResponse:
    return render(
        request,
        template,
        {"form": form, **context},
        status=400 if form.is_bound and form.errors else 200,
    )


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _active_members(org_id: int) -> Any:
    return Member.objects.filter(organisation_id=org_id, status=MemberStatus.ACTIVE).order_by(
        "number"
    )


# --- home and cooperative ----------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    coops = list(access.cooperatives_for(request.user))
    return render(request, "governance/home.html", {"coops": coops})


@login_required
@require_GET
def coop_home(request: HttpRequest, org: int) -> HttpResponse:
    cooperative = access.access_cooperative(user=request.user, organisation_id=org)
    officer = access.is_officer(request.user, cooperative.pk)
    context = {
        "coop": cooperative,
        "officer": officer,
        "manager": access.can_manage(request.user, cooperative.pk),
        "assemblies": selectors.assemblies_for(cooperative, officer=officer)[:10],
        "me": access.member_record_for(request.user, cooperative.pk),
        "active_count": _active_members(cooperative.pk).count(),
        "settings": services.coop_settings(cooperative),
    }
    if officer:
        context["alerts"] = selectors.compliance_alerts(cooperative)
        context["arrears"] = selectors.arrears(cooperative)
    return render(request, "governance/coop_home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def coop_settings(request: HttpRequest, org: int) -> HttpResponse:
    cooperative = access.access_cooperative(user=request.user, organisation_id=org, manage=True)
    current = services.coop_settings(cooperative)
    form = SettingsForm(
        request.POST or None,
        initial={
            "remote_voting_enabled": current.remote_voting_enabled,
            "fiscal_year_end_month": current.fiscal_year_end_month,
            "delegate_cap": current.delegate_cap,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_update(
                actor=request.user,
                organisation=cooperative,
                remote_voting_enabled=form.cleaned_data["remote_voting_enabled"],
                fiscal_year_end_month=form.cleaned_data["fiscal_year_end_month"],
                delegate_cap=form.cleaned_data["delegate_cap"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("설정을 저장했습니다."))
            return redirect("governance:coop_home", org=cooperative.pk)
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(name)s 총회 운영 설정") % {"name": cooperative.name},
            "cancel": reverse("governance:coop_home", args=[cooperative.pk]),
            "note": _(
                "현행 협동조합 기본법과 주무부처 지침은 총회를 대면으로 열도록 합니다. 서면·전자 "
                "원격 투표는 법에 규정되어 있지 않으므로 기본값은 꺼짐이며, 켜더라도 특별결의 "
                "안건에는 쓸 수 없습니다."
            ),
        },
        form,
    )


# --- member register ---------------------------------------------------------------------------


@login_required
@require_GET
def member_list(request: HttpRequest, org: int) -> HttpResponse:
    """The register: officers see contacts; members inspect it without them (art. 49)."""
    cooperative = access.access_cooperative(user=request.user, organisation_id=org)
    status = request.GET.get("status", "")
    if status not in MemberStatus.values:
        status = ""
    return render(
        request,
        "governance/member_list.html",
        {
            "coop": cooperative,
            "members": selectors.member_register(cooperative, status=status),
            "officer": access.is_officer(request.user, cooperative.pk),
            "manager": access.can_manage(request.user, cooperative.pk),
            "statuses": MemberStatus.choices,
            "status": status,
        },
    )


@login_required
@require_GET
def member_export(request: HttpRequest, org: int, fmt: str) -> HttpResponse:
    cooperative = access.access_cooperative(user=request.user, organisation_id=org)
    officer = access.is_officer(request.user, cooperative.pk)
    if fmt == "xlsx":
        return exports.register_xlsx(cooperative, with_contacts=officer)
    if fmt == "pdf":
        return exports.register_pdf(request, cooperative, with_contacts=officer)
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def member_create(request: HttpRequest, org: int) -> HttpResponse:
    cooperative = access.access_cooperative(user=request.user, organisation_id=org, manage=True)
    form = MemberForm(request.POST or None, initial={"joined_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_register(
                actor=request.user, organisation=cooperative, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("조합원을 명부에 올렸습니다."))
            return redirect(member.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("조합원 등록"),
            "cancel": reverse("governance:member_list", args=[cooperative.pk]),
        },
        form,
    )


@login_required
@require_GET
def member_detail(request: HttpRequest, org: int, pk: int) -> HttpResponse:
    member = access.access_member(user=request.user, organisation_id=org, member_id=pk)
    return render(
        request,
        "governance/member_detail.html",
        {
            "coop": member.organisation,
            "member": member,
            "record": selectors.member_record(member),
            "manager": access.can_manage(request.user, member.organisation_id),
            "own": member.user_id == request.user.pk,
        },
    )


@login_required
@require_GET
def my_record(request: HttpRequest, org: int) -> HttpResponse:
    # Capital refunds: a member who left keeps reaching their own record (and refund), so this
    # looks up the account's register entry, active or not, instead of the cooperative access.
    me = access.member_record_for(request.user, org)
    if me is None:
        raise Http404
    return redirect(me.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def share_issue(request: HttpRequest, org: int, pk: int) -> HttpResponse:
    member = access.access_member(user=request.user, organisation_id=org, member_id=pk, manage=True)
    form = ShareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.shares_issue(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("출자를 기록했습니다."))
            return redirect(member.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(name)s 출자 기록") % {"name": member.name},
            "cancel": member.get_absolute_url(),
            "note": _("한 조합원의 출자좌수는 총 출자좌수의 30%를 넘을 수 없습니다 (제22조②)."),
        },
        form,
    )


# --- assemblies --------------------------------------------------------------------------------


@login_required
@require_GET
def assembly_list(request: HttpRequest, org: int) -> HttpResponse:
    cooperative = access.access_cooperative(user=request.user, organisation_id=org)
    officer = access.is_officer(request.user, cooperative.pk)
    return render(
        request,
        "governance/assembly_list.html",
        {
            "coop": cooperative,
            "assemblies": selectors.assemblies_for(cooperative, officer=officer),
            "manager": access.can_manage(request.user, cooperative.pk),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def assembly_create(request: HttpRequest, org: int) -> HttpResponse:
    cooperative = access.access_cooperative(user=request.user, organisation_id=org, manage=True)
    form = ConveneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assembly = services.assembly_convene(
                actor=request.user, organisation=cooperative, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("회의를 소집했습니다. 안건을 올리고 통지하세요."))
            return redirect(assembly.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("총회·이사회 소집"),
            "cancel": reverse("governance:assembly_list", args=[cooperative.pk]),
            "note": _(
                "총회는 이사장이 이사회 결의를 거쳐 소집하고, 회의일 7일 전까지 목적·안건·일시·"
                "장소를 통지해야 합니다 (제28조)."
            ),
        },
        form,
    )


def _assembly_context(request: HttpRequest, assembly: Assembly) -> dict[str, Any]:
    org_id = assembly.organisation_id
    me = access.member_record_for(request.user, org_id)
    items = list(selectors.items_of(assembly))
    voted = (
        set(
            BallotReceipt.objects.filter(item__assembly=assembly, member=me).values_list(
                "item_id", flat=True
            )
        )
        if me
        else set()
    )
    return {
        "coop": assembly.organisation,
        "assembly": assembly,
        "items": items,
        "voted": voted,
        "quorum": selectors.quorum(assembly),
        "officer": access.is_officer(request.user, org_id),
        "manager": access.can_manage(request.user, org_id),
        "me": me,
        "checked_in": bool(me and assembly.attendances.filter(member=me).exists()),
        "notices": list(assembly.notices.all()),
        "notice_deadline": selectors.notice_deadline(assembly),
        "minutes": selectors.latest_minutes(assembly),
        "Status": AssemblyStatus,
        "founding": selectors.founding_record(assembly)
        if assembly.kind == AssemblyKind.FOUNDING
        else None,
        # consenters of a closed founding meeting not yet admitted as members
        "founding_pending": assembly.kind == AssemblyKind.FOUNDING
        and assembly.status == AssemblyStatus.CLOSED
        and Member.objects.filter(
            consents__assembly=assembly, status=MemberStatus.CONSENTER
        ).exists(),
    }


@login_required
@require_GET
def assembly_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assembly = access.access_assembly(user=request.user, assembly_id=pk)
    return render(request, "governance/assembly_detail.html", _assembly_context(request, assembly))


@login_required
@require_GET
def quorum_panel(request: HttpRequest, pk: int) -> HttpResponse:
    assembly = access.access_assembly(user=request.user, assembly_id=pk)
    return render(
        request,
        "governance/quorum.html",
        {
            "coop": assembly.organisation,
            "assembly": assembly,
            "quorum": selectors.quorum(assembly),
            "live": [(item, selectors.live_count(item)) for item in selectors.open_items(assembly)],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_create(request: HttpRequest, pk: int) -> HttpResponse:
    assembly = access.access_assembly(user=request.user, assembly_id=pk, manage=True)
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("candidates")
        try:
            services.agenda_item_add(
                actor=request.user, assembly=assembly, candidates=form.candidate_names(), **data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("안건을 올렸습니다."))
            return redirect(assembly.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(title)s 안건 추가") % {"title": assembly.title},
            "cancel": assembly.get_absolute_url(),
            "note": _(
                "특별결의 사항 (정관 변경, 합병·분할·해산, 제명, 지분 환급, 우선출자): 출석 "
                "3분의 2 이상 찬성. 그 밖의 사항: 출석 과반수 찬성 (제29조)."
            ),
        },
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable notice with the mailing list (GET); POST sends it."""
    assembly = access.access_assembly(user=request.user, assembly_id=pk, manage=True)
    if request.method == "POST":
        try:
            sent = services.notice_send(actor=request.user, assembly=assembly)
        except ValidationError as exc:
            _refused(request, exc)
        else:
            if sent.in_time:
                messages.success(
                    request,
                    _("소집 통지를 보냈습니다: 이메일 %(e)s명, 우편 %(m)s명.")
                    % {"e": sent.emailed, "m": sent.mailed},
                )
            else:
                messages.error(
                    request,
                    _(
                        "소집 통지를 보냈지만 기한(%(date)s)을 넘겼습니다: 7일 전 통지 규정(제28조)을 "
                        "지키지 못했으니 회의 일정을 다시 잡으세요."
                    )
                    % {"date": selectors.notice_deadline(assembly).isoformat()},
                )
        return redirect("governance:notice", pk=assembly.pk)
    return render(
        request,
        "governance/notice.html",
        {
            "coop": assembly.organisation,
            "assembly": assembly,
            "text": services.notice_text(assembly),
            "items": list(selectors.items_of(assembly)),
            "recipients": services.eligible_members(assembly).order_by("number"),
            "deadline": selectors.notice_deadline(assembly),
            "notices": list(assembly.notices.all()),
        },
    )


def _assembly_action(request: HttpRequest, pk: int, fn: Any, done: str) -> HttpResponse:
    assembly = access.access_assembly(user=request.user, assembly_id=pk, manage=True)
    try:
        fn(actor=request.user, assembly=assembly)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, done)
    return redirect(assembly.get_absolute_url())


@login_required
@require_POST
def assembly_open(request: HttpRequest, pk: int) -> HttpResponse:
    return _assembly_action(request, pk, services.assembly_open, _("개회했습니다."))


@login_required
@require_POST
def assembly_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _assembly_action(request, pk, services.assembly_close, _("폐회했습니다."))


# --- check-in and proxies ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def checkin_desk(request: HttpRequest, pk: int) -> HttpResponse:
    assembly = access.access_assembly(user=request.user, assembly_id=pk, manage=True)
    form = CheckInForm(request.POST or None, members=selectors.absent_members(assembly))
    if request.method == "POST" and form.is_valid():
        try:
            services.member_check_in(
                actor=request.user, assembly=assembly, member=form.cleaned_data["member"]
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("%(name)s 님 출석.") % {"name": form.cleaned_data["member"].name}
            )
            return redirect("governance:checkin_desk", pk=assembly.pk)
    return _form_page(
        request,
        "governance/checkin.html",
        {
            "coop": assembly.organisation,
            "assembly": assembly,
            "attendances": selectors.attendance_list(assembly),
            "quorum": selectors.quorum(assembly),
        },
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def checkin_scan(request: HttpRequest, pk: int) -> HttpResponse:
    """The desk scans a member's QR code: this page names the member and confirms."""
    assembly = access.access_assembly(user=request.user, assembly_id=pk, manage=True)
    token = request.POST.get("t") or request.GET.get("t", "")
    try:
        member = services.member_from_token(assembly, token)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect("governance:checkin_desk", pk=assembly.pk)
    if request.method == "POST":
        try:
            services.member_check_in(
                actor=request.user, assembly=assembly, member=member, method=CheckInMethod.QR
            )
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("%(name)s 님 출석.") % {"name": member.name})
        return redirect("governance:checkin_desk", pk=assembly.pk)
    return render(
        request,
        "governance/checkin_scan.html",
        {"coop": assembly.organisation, "assembly": assembly, "member": member, "token": token},
    )


@login_required
@require_GET
def my_qr(request: HttpRequest, pk: int) -> HttpResponse:
    assembly = access.access_assembly(user=request.user, assembly_id=pk)
    me = access.member_record_for(request.user, assembly.organisation_id)
    if me is None or me.status != MemberStatus.ACTIVE:
        raise Http404
    url = request.build_absolute_uri(
        reverse("governance:checkin_scan", args=[assembly.pk])
        + "?t="
        + services.checkin_token(assembly, me)
    )
    svg = segno.make(url, error="m").svg_inline(scale=6, title=_("출석 확인 QR 코드"))
    return render(
        request,
        "governance/my_qr.html",
        {"coop": assembly.organisation, "assembly": assembly, "member": me, "svg": svg},
    )


@login_required
@require_http_methods(["GET", "POST"])
def proxy_create(request: HttpRequest, pk: int) -> HttpResponse:
    assembly = access.access_assembly(user=request.user, assembly_id=pk, manage=True)
    form = ProxyForm(
        request.POST or None,
        request.FILES or None,
        members=services.eligible_members(assembly).order_by("number"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.proxy_register(
                actor=request.user,
                assembly=assembly,
                member=data["member"],
                proxy_member=data["proxy_member"],
                proxy_name=data["proxy_name"],
                cohabiting_family=data["cohabiting_family"],
                authorisation_file=data["authorisation_file"],
                authorisation_reference=data["authorisation_reference"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("대리인을 등록하고 대리 출석을 기록했습니다."))
            return redirect("governance:checkin_desk", pk=assembly.pk)
    return _form_page(
        request,
        "governance/proxy_form.html",
        {
            "coop": assembly.organisation,
            "assembly": assembly,
            "proxies": selectors.proxies(assembly),
        },
        form,
    )


# --- voting ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def item_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """The item page: a member votes on their phone (big buttons); everyone sees the result."""
    item = access.access_item(user=request.user, item_id=pk)
    voters = services.voter_choices(actor=request.user, item=item)
    already = set(
        BallotReceipt.objects.filter(item=item, member__in=voters).values_list(
            "member_id", flat=True
        )
    )
    candidates = list(item.candidates.all())
    data = request.POST.copy() if request.method == "POST" else None
    candidate_id = None
    if data is not None and candidates and data.get("candidate"):
        # An election: a candidate is a "yes" for that candidate; "abstain" abstains.
        if data["candidate"] == "abstain":
            data["choice"] = "abstain"
        elif data["candidate"].isdigit():
            data["choice"] = "yes"
            candidate_id = int(data["candidate"])
    form = BallotForm(data)
    if request.method == "POST":
        if not voters:
            raise Http404
        if form.is_valid():
            target = None
            wanted = form.cleaned_data.get("for_member")
            if wanted:
                target = next((m for m in voters if m.pk == wanted), None)
                if target is None:
                    raise Http404
            try:
                services.ballot_cast(
                    actor=request.user,
                    item=item,
                    choice=form.cleaned_data["choice"],
                    for_member=target,
                    candidate_id=candidate_id,
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("투표했습니다. 감사합니다."))
                return redirect(item.get_absolute_url())
    return _form_page(
        request,
        "governance/item.html",
        {
            "coop": item.assembly.organisation,
            "assembly": item.assembly,
            "item": item,
            "voters": [(m, m.pk in already) for m in voters],
            "candidates": candidates,
            "can_vote": item.status == ItemStatus.OPEN
            and item.recording_mode == RecordingMode.ELECTRONIC
            and item.assembly.status == AssemblyStatus.IN_SESSION,
            "manager": access.can_manage(request.user, item.assembly.organisation_id),
            "live": selectors.live_count(item)
            if access.is_officer(request.user, item.assembly.organisation_id)
            and item.status == ItemStatus.OPEN
            else None,
        },
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_tally(request: HttpRequest, pk: int) -> HttpResponse:
    item = access.access_item(user=request.user, item_id=pk, manage=True)
    tally = getattr(item, "tally", None) if hasattr(item, "tally") else None
    form = TallyForm(
        request.POST or None,
        initial={"yes": tally.yes, "no": tally.no, "abstain": tally.abstain} if tally else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.tally_enter(actor=request.user, item=item, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("집계를 저장했습니다. 확인 후 표결을 마감하세요."))
            return redirect(item.assembly.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(title)s 집계 입력") % {"title": item.title},
            "cancel": item.assembly.get_absolute_url(),
            "note": _("출석 %(n)s명. 기권은 출석으로 세지만 찬성으로 세지 않습니다.")
            % {"n": services.present_count(item)},
        },
        form,
    )


def _item_action(request: HttpRequest, pk: int, fn: Any, done: str) -> HttpResponse:
    item = access.access_item(user=request.user, item_id=pk, manage=True)
    try:
        result = fn(actor=request.user, item=item)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, done % {"result": getattr(result, "explanation", "")})
    return redirect(item.assembly.get_absolute_url())


@login_required
@require_POST
def item_open(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_action(request, pk, services.item_open, _("표결을 시작했습니다."))


@login_required
@require_POST
def item_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_action(request, pk, services.item_close, _("표결을 마감했습니다: %(result)s"))


@login_required
@require_POST
def item_revote(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_action(request, pk, services.item_revote, _("재표결 안건을 올렸습니다."))


# --- minutes -----------------------------------------------------------------------------------


@login_required
@require_POST
def minutes_generate(request: HttpRequest, pk: int) -> HttpResponse:
    assembly = access.access_assembly(user=request.user, assembly_id=pk, manage=True)
    try:
        minutes = services.minutes_generate(actor=request.user, assembly=assembly)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(assembly.get_absolute_url())
    messages.success(request, _("기록으로 의사록 초안을 만들었습니다."))
    return redirect(minutes.get_absolute_url())


@login_required
@require_GET
def minutes_detail(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = access.access_minutes(user=request.user, minutes_id=pk)
    me = access.member_record_for(request.user, minutes.assembly.organisation_id)
    signatures = list(
        minutes.signatures.select_related("member").order_by("role", "member__number")
    )
    return render(
        request,
        "governance/minutes.html",
        {
            "coop": minutes.assembly.organisation,
            "assembly": minutes.assembly,
            "minutes": minutes,
            "signatures": signatures,
            "my_signature": next(
                (s for s in signatures if me and s.member_id == me.pk and not s.signed_at), None
            ),
            "manager": access.can_manage(request.user, minutes.assembly.organisation_id),
            "versions": list(minutes.assembly.minutes.order_by("version")),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def minutes_edit(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = access.access_minutes(user=request.user, minutes_id=pk, manage=True)
    form = MinutesForm(request.POST or None, initial={"body": minutes.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.minutes_update(actor=request.user, minutes=minutes, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("의사록을 저장했습니다."))
            return redirect(minutes.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {"title": _("의사록 수정"), "cancel": minutes.get_absolute_url()},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def minutes_signers(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = access.access_minutes(user=request.user, minutes_id=pk, manage=True)
    form = SignersForm(
        request.POST or None,
        members=services.eligible_members(minutes.assembly).order_by("number")
        if minutes.assembly.kind == AssemblyKind.FOUNDING
        else _active_members(minutes.assembly.organisation_id),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.minutes_signers_set(
                actor=request.user,
                minutes=minutes,
                chair=form.cleaned_data["chair"],
                members=list(form.cleaned_data["members"]),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("서명자를 정했습니다."))
            return redirect(minutes.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("의사록 서명자"),
            "cancel": minutes.get_absolute_url(),
            "note": _("의장과 총회에서 선출한 조합원 3명 이상이 서명합니다 (제30조)."),
        },
        form,
    )


def _minutes_action(
    request: HttpRequest, pk: int, fn: Any, done: str, *, manage: bool
) -> HttpResponse:
    minutes = access.access_minutes(user=request.user, minutes_id=pk, manage=manage)
    try:
        result = fn(actor=request.user, minutes=minutes)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(minutes.get_absolute_url())
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, done)
    return redirect(
        result.get_absolute_url() if isinstance(result, Minutes) else minutes.get_absolute_url()
    )


@login_required
@require_POST
def minutes_sign(request: HttpRequest, pk: int) -> HttpResponse:
    return _minutes_action(request, pk, services.minutes_sign, _("서명했습니다."), manage=False)


@login_required
@require_POST
def minutes_lock(request: HttpRequest, pk: int) -> HttpResponse:
    return _minutes_action(
        request, pk, services.minutes_lock, _("의사록을 확정했습니다."), manage=True
    )


@login_required
@require_POST
def minutes_amend(request: HttpRequest, pk: int) -> HttpResponse:
    return _minutes_action(
        request, pk, services.minutes_amend, _("수정할 새 판을 만들었습니다."), manage=True
    )


@login_required
@require_GET
def minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = access.access_minutes(user=request.user, minutes_id=pk)
    return exports.minutes_pdf(request, minutes)


__all__ = ["AgendaItem"]


# --- member status and expulsion -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def member_status(request: HttpRequest, org: int, pk: int) -> HttpResponse:
    """Withdrawal, loss of eligibility (e.g. unpaid dues under the articles) or death."""
    member = access.access_member(user=request.user, organisation_id=org, member_id=pk, manage=True)
    form = StatusForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.member_status_change(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("조합원 상태를 바꿨습니다."))
            return redirect(member.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(name)s 상태 변경") % {"name": member.name},
            "cancel": member.get_absolute_url(),
            "note": _("제명은 여기서 하지 않습니다: 제명 절차를 열고 총회 특별결의로 정합니다."),
        },
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def expulsion_open(request: HttpRequest, org: int, pk: int) -> HttpResponse:
    member = access.access_member(user=request.user, organisation_id=org, member_id=pk, manage=True)
    form = ExpulsionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.expulsion_open(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("제명 절차를 열었습니다. 총회 일정과 사유 통지일을 정하세요.")
            )
            return redirect("governance:expulsion_schedule", pk=case.pk)
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(name)s 제명 절차 열기") % {"name": member.name},
            "cancel": member.get_absolute_url(),
            "note": _(
                "제명 사유: 정관으로 정한 기간 이상 사업 미이용, 출자금·경비 미납, 정관으로 정한 "
                "그 밖의 사유 (제25조). 총회 10일 전까지 사유를 알리고 총회에서 의견을 진술할 "
                "기회를 주며, 특별결의로 정합니다."
            ),
        },
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def expulsion_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    case = access.access_expulsion(user=request.user, case_id=pk)
    assemblies = Assembly.objects.filter(
        organisation_id=case.member.organisation_id,
        status__in=[AssemblyStatus.CONVENED, AssemblyStatus.NOTICE_SENT],
    ).exclude(kind="board")
    form = ExpulsionScheduleForm(request.POST or None, assemblies=assemblies)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.expulsion_schedule(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("제명 안건을 총회에 올렸습니다 (특별결의, 비밀투표)."))
            return redirect(case.assembly.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(name)s 제명: 총회와 사유 통지") % {"name": case.member.name},
            "cancel": case.member.get_absolute_url(),
        },
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def expulsion_hearing(request: HttpRequest, pk: int) -> HttpResponse:
    case = access.access_expulsion(user=request.user, case_id=pk)
    form = HearingForm(request.POST or None, initial={"record": case.hearing_record})
    if request.method == "POST" and form.is_valid():
        try:
            services.expulsion_hearing(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("의견 진술을 기록했습니다."))
            return redirect(case.member.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(name)s 제명: 의견 진술 기록") % {"name": case.member.name},
            "cancel": case.member.get_absolute_url(),
        },
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def dues_payment(request: HttpRequest, org: int, pk: int) -> HttpResponse:
    member = access.access_member(user=request.user, organisation_id=org, member_id=pk, manage=True)
    form = DuesPaymentForm(
        request.POST or None,
        initial={"year": timezone.localdate().year, "paid_on": timezone.localdate()},
        schedules=DuesSchedule.objects.filter(organisation_id=member.organisation_id),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.dues_payment_record(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("회비 납부를 기록했습니다."))
            return redirect(member.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(name)s 회비 납부") % {"name": member.name},
            "cancel": member.get_absolute_url(),
        },
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def officer_term(request: HttpRequest, org: int, pk: int) -> HttpResponse:
    member = access.access_member(user=request.user, organisation_id=org, member_id=pk, manage=True)
    form = OfficerTermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.officer_term_add(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("임원 임기를 기록했습니다."))
            return redirect(member.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(name)s 임원 임기") % {"name": member.name},
            "cancel": member.get_absolute_url(),
        },
        form,
    )


# --- capital refunds ---------------------------------------------------------------------------


@login_required
@require_GET
def refund_list(request: HttpRequest, org: int) -> HttpResponse:
    """Officers (the auditor included): what the cooperative owes departed members."""
    cooperative = access.access_cooperative(user=request.user, organisation_id=org)
    if not access.is_officer(request.user, cooperative.pk):
        raise Http404
    today = timezone.localdate()
    return render(
        request,
        "governance/refund_list.html",
        {
            "coop": cooperative,
            "today": today,
            "liabilities": services.capital_refund_liabilities(cooperative.pk, today=today),
            "soon_days": services.REFUND_LAPSING_SOON_DAYS,
        },
    )


def _refund_page(
    request: HttpRequest, refund: Any, *, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    org_id = refund.member.organisation_id
    manager = access.can_manage(request.user, org_id)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "coop": refund.member.organisation,
        "refund": refund,
        "stage": refund.stage(today),
        "officer": access.is_officer(request.user, org_id),
        "manager": manager,
    }
    if manager:
        items = services.refund_resolution_items(org_id)
        context |= {
            "claim_form": RefundClaimForm(initial={"claimed_on": today}, prefix="claim"),
            "deduction_form": RefundDeductionForm(
                initial={"deduction": refund.deduction, "reason": refund.deduction_reason},
                prefix="deduction",
            ),
            "pay_form": RefundPaymentForm(initial={"paid_on": today}, items=items, prefix="pay"),
            "has_resolution": items.exists(),
        }
        context |= forms or {}
    return render(request, "governance/refund_detail.html", context, status=status)


@login_required
@require_GET
def refund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    refund = access.access_refund(user=request.user, refund_id=pk)
    return _refund_page(request, refund)


def _refund_action(
    request: HttpRequest, pk: int, form_cls: Any, key: str, fn: Any, done: str, **form_kw: Any
) -> HttpResponse:
    refund = access.access_refund(user=request.user, refund_id=pk, manage=True)
    form = form_cls(request.POST, prefix=key, **form_kw)
    if form.is_valid():
        try:
            fn(actor=request.user, refund=refund, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(refund.get_absolute_url())
    return _refund_page(request, refund, forms={f"{key}_form": form}, status=400)


@login_required
@require_POST
def refund_claim(request: HttpRequest, pk: int) -> HttpResponse:
    return _refund_action(
        request,
        pk,
        RefundClaimForm,
        "claim",
        services.capital_refund_claim,
        _("환급 청구를 기록했습니다."),
    )


@login_required
@require_POST
def refund_deduction(request: HttpRequest, pk: int) -> HttpResponse:
    return _refund_action(
        request,
        pk,
        RefundDeductionForm,
        "deduction",
        services.capital_refund_set_deduction,
        _("공제액을 기록했습니다."),
    )


@login_required
@require_POST
def refund_pay(request: HttpRequest, pk: int) -> HttpResponse:
    refund = access.access_refund(user=request.user, refund_id=pk, manage=True)
    return _refund_action(
        request,
        pk,
        RefundPaymentForm,
        "pay",
        services.capital_refund_pay,
        _("환급 지급을 기록했습니다."),
        items=services.refund_resolution_items(refund.member.organisation_id),
    )


# --- delegates (대의원, art. 31, Decree art. 9) --------------------------------------------------


@login_required
@require_GET
def delegate_list(request: HttpRequest, org: int) -> HttpResponse:
    """The delegates of a cooperative: members see who they are; officers record elections and
    end terms."""
    cooperative = access.access_cooperative(user=request.user, organisation_id=org)
    return render(
        request,
        "governance/delegates.html",
        {
            "coop": cooperative,
            "summary": selectors.delegate_summary(cooperative),
            "delegates": selectors.delegates_of(cooperative),
            "today": timezone.localdate(),
            "manager": access.can_manage(request.user, cooperative.pk),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def delegate_elect(request: HttpRequest, org: int) -> HttpResponse:
    cooperative = access.access_cooperative(user=request.user, organisation_id=org, manage=True)
    today = timezone.localdate()
    form = DelegateElectionForm(
        request.POST or None,
        organisation=cooperative,
        initial={"elected_on": today, "starts_on": today},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            elected = services.delegates_elect(
                actor=request.user,
                organisation=cooperative,
                member_ids=data["member_numbers"],
                elected_on=data["elected_on"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                method=data["method"],
                district=data["district"],
                elected_at=data["elected_at"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("대의원 %(n)s명의 선출을 기록했습니다.") % {"n": len(elected)}
            )
            return redirect("governance:delegate_list", org=cooperative.pk)
    summary = selectors.delegate_summary(cooperative)
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("대의원 선출 기록"),
            "cancel": reverse("governance:delegate_list", args=[cooperative.pk]),
            "note": _(
                "대의원총회는 조합원이 200명을 넘는 협동조합만 둘 수 있고, 대의원은 조합원의 "
                "10%% 이상(최대 %(cap)s명까지 줄일 수 있음)이어야 합니다 (제31조, 시행령 제9조). "
                "지금 조합원 %(total)s명 → 대의원 %(required)s명 이상, 임기 중 %(n)s명."
            )
            % {
                "cap": max(services.coop_settings(cooperative).delegate_cap, 100),
                "total": summary.total_members,
                "required": summary.required,
                "n": summary.in_office,
            },
        },
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def delegate_end(request: HttpRequest, pk: int) -> HttpResponse:
    delegate = access.access_delegate(user=request.user, delegate_id=pk)
    cooperative = delegate.member.organisation
    form = DelegateEndForm(
        request.POST or None,
        members=_active_members(cooperative.pk).exclude(pk=delegate.member_id),
        initial={"left_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.delegate_end(actor=request.user, delegate=delegate, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s 님의 대의원 임기를 마쳤습니다.") % {"name": delegate.member.name},
            )
            return redirect("governance:delegate_list", org=cooperative.pk)
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(name)s 대의원 퇴임") % {"name": delegate.member.name},
            "cancel": reverse("governance:delegate_list", args=[cooperative.pk]),
            "note": _("임기 %(start)s~%(end)s. 보궐 대의원을 고르면 남은 임기를 맡습니다.")
            % {"start": delegate.starts_on.isoformat(), "end": delegate.ends_on.isoformat()},
        },
        form,
    )


# --- founding meeting (창립총회, art. 15, Decree art. 6; social cooperatives art. 85) ----------


@login_required
@require_http_methods(["GET", "POST"])
def founder_create(request: HttpRequest, pk: int) -> HttpResponse:
    assembly = access.access_assembly(user=request.user, assembly_id=pk, manage=True)
    if assembly.kind != AssemblyKind.FOUNDING:
        raise Http404
    form = FounderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.founder_add(actor=request.user, assembly=assembly, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("발기인을 기록했습니다."))
            return redirect(assembly.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(title)s 발기인 추가") % {"title": assembly.title},
            "cancel": assembly.get_absolute_url(),
            "note": _(
                "발기인은 5명 이상이어야 하고 (제15조①), 사회적협동조합은 생산자·소비자·직원·"
                "자원봉사자·후원자 중 2종류 이상의 이해관계자를 포함해야 합니다 (제85조, "
                "시행령 제19조)."
            ),
        },
        form,
    )


@login_required
@require_POST
def founder_remove(request: HttpRequest, pk: int) -> HttpResponse:
    founder = access.access_founder(user=request.user, founder_id=pk)
    assembly = founder.assembly
    try:
        services.founder_remove(actor=request.user, founder=founder)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("발기인 %(name)s 님을 뺐습니다.") % {"name": founder.name})
    return redirect(assembly.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    assembly = access.access_assembly(user=request.user, assembly_id=pk, manage=True)
    if assembly.kind != AssemblyKind.FOUNDING:
        raise Http404
    form = ConsentForm(request.POST or None, initial={"submitted_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_record(actor=request.user, assembly=assembly, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("설립동의서를 접수했습니다."))
            return redirect(assembly.get_absolute_url())
    return _form_page(
        request,
        "governance/form.html",
        {
            "title": _("%(title)s 설립동의서 접수") % {"title": assembly.title},
            "cancel": assembly.get_absolute_url(),
            "note": _(
                "창립총회는 설립동의서를 낸 사람 과반수의 출석과 출석자 3분의 2 이상의 찬성으로 "
                "의결합니다 (제15조②). 설립동의자는 조합원 명부에 '설립동의자'로 올라가며, "
                "이 총회에서 출석·표결할 수 있습니다."
            ),
        },
        form,
    )


@login_required
@require_POST
def founding_complete(request: HttpRequest, pk: int) -> HttpResponse:
    assembly = access.access_assembly(user=request.user, assembly_id=pk, manage=True)
    if assembly.kind != AssemblyKind.FOUNDING:
        raise Http404
    try:
        admitted = services.founding_complete(actor=request.user, assembly=assembly)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        if admitted:
            messages.success(
                request,
                ngettext(
                    "설립동의자 %(n)s명을 조합원으로 올렸습니다.",
                    "설립동의자 %(n)s명을 조합원으로 올렸습니다.",
                    admitted,
                )
                % {"n": admitted},
            )
        else:
            messages.info(request, _("조합원으로 올릴 설립동의자가 남아 있지 않습니다."))
    return redirect(assembly.get_absolute_url())
