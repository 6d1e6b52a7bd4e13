"""Governance API (/api/v1/governance). Thin, like the pages, with the pages' permissions:
officers run their cooperative, members see it and cast their own ballot, nobody else sees
anything (404). Every call needs a login (401 without). Service refusals are 422 with the
Korean message and a stable code; what a caller may see but not do is 403."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router, Status

from dure.api.auth import WRITE_AUTH
from dure.api.schemas import error_responses

from . import access, selectors, services
from .api_checker import router as checker_router
from .models import (
    AgendaItem,
    Assembly,
    AssemblyKind,
    Delegate,
    DuesSchedule,
    ExpulsionCase,
    FoundingConsent,
    Member,
    MemberStatus,
    Minutes,
)
from .schemas import (
    AssemblyDetailOut,
    AssemblyIn,
    AssemblyOut,
    AttendanceOut,
    BallotIn,
    BallotOut,
    CheckInIn,
    ConsentIn,
    ConsentOut,
    CooperativeOut,
    DelegateElectionIn,
    DelegateEndIn,
    DelegateOut,
    DelegatesOut,
    DuesPaymentIn,
    DuesPaymentOut,
    ExpulsionIn,
    ExpulsionOut,
    ExpulsionScheduleIn,
    FounderIn,
    FounderOut,
    FoundingCompleteOut,
    FoundingOut,
    HearingIn,
    ItemIn,
    ItemOut,
    MemberIn,
    MemberOut,
    MinutesIn,
    MinutesOut,
    NoticeOut,
    OfficerTermIn,
    OfficerTermOut,
    ProxyIn,
    ProxyOut,
    QuorumOut,
    RefundClaimIn,
    RefundDeductionIn,
    RefundListOut,
    RefundOut,
    RefundPayIn,
    ShareIn,
    ShareOut,
    SignersIn,
    StatusIn,
    TallyIn,
    TallyOut,
)

router = Router(tags=["governance"])
router.add_router("", checker_router)

ops = Router(tags=["governance"], auth=WRITE_AUTH)

READ = error_responses(401, 404, 422)
WRITE = error_responses(401, 403, 404, 422)


def _manage_or_403(request: HttpRequest, organisation_id: int) -> None:
    """Seen (a member) but not theirs to run: 403; unseen: the access helper already 404'd."""
    if not access.can_manage(request.user, organisation_id):
        raise PermissionDenied


def _member_out(member: Member, *, contacts: bool) -> dict[str, Any]:
    if hasattr(member, "common_shares"):
        common, preferred = member.common_shares, member.preferred_shares
    else:
        totals = selectors.share_amounts(member)
        common, preferred = totals["count"], totals["preferred"]
    return {
        "id": member.pk,
        "number": member.number,
        "name": member.name,
        "kind": member.kind,
        "stakeholder_type": member.stakeholder_type,
        "joined_on": member.joined_on,
        "status": member.status,
        "status_changed_on": member.status_changed_on,
        "common_shares": common,
        "preferred_shares": preferred,
        "email": member.email if contacts else None,
        "phone": member.phone if contacts else None,
        "address": member.address if contacts else None,
    }


def _assembly_detail(assembly: Assembly) -> dict[str, Any]:
    return {
        **{f: getattr(assembly, f) for f in AssemblyOut.model_fields if f != "organisation_id"},
        "organisation_id": assembly.organisation_id,
        "items": list(selectors.items_of(assembly)),
        "quorum": selectors.quorum(assembly).__dict__,
        "notice_deadline": selectors.notice_deadline(assembly),
    }


def _minutes_out(minutes: Minutes) -> dict[str, Any]:
    return {
        "id": minutes.pk,
        "assembly_id": minutes.assembly_id,
        "version": minutes.version,
        "body": minutes.body,
        "status": minutes.status,
        "locked_at": minutes.locked_at,
        "signatures": [
            {
                "member_id": s.member_id,
                "member_name": s.member.name,
                "role": s.role,
                "signed_at": s.signed_at,
            }
            for s in minutes.signatures.select_related("member").order_by("role", "member__number")
        ],
    }


def _coop_member(organisation_id: int, member_id: int | None) -> Member:
    member = Member.objects.filter(pk=member_id, organisation_id=organisation_id).first()
    if member is None:
        raise Http404
    return member


# --- cooperatives and the register ---------------------------------------------------------------


@ops.get("/cooperatives", response={200: list[CooperativeOut], **error_responses(401)})
def list_cooperatives(request: HttpRequest) -> list[dict[str, Any]]:
    """내가 임원이거나 조합원인 협동조합."""
    out = []
    for coop in access.cooperatives_for(request.user):
        me = access.member_record_for(request.user, coop.pk)
        out.append(
            {
                "id": coop.pk,
                "name": coop.name,
                "officer": access.is_officer(request.user, coop.pk),
                "member_id": me.pk if me else None,
            }
        )
    return out


@ops.get("/cooperatives/{org_id}/members", response={200: list[MemberOut], **READ})
def list_members(request: HttpRequest, org_id: int) -> list[dict[str, Any]]:
    """조합원 명부: 임원은 연락처까지, 조합원은 연락처 없이 열람 (제49조)."""
    coop = access.access_cooperative(user=request.user, organisation_id=org_id)
    officer = access.is_officer(request.user, coop.pk)
    return [
        _member_out(m, contacts=officer or m.user_id == request.user.pk)
        for m in selectors.member_register(coop)
    ]


@ops.post("/cooperatives/{org_id}/members", response={201: MemberOut, **WRITE})
def create_member(request: HttpRequest, org_id: int, payload: MemberIn) -> Status:
    """조합원 등록 (임원)."""
    coop = access.access_cooperative(user=request.user, organisation_id=org_id)
    _manage_or_403(request, coop.pk)
    member = services.member_register(actor=request.user, organisation=coop, **payload.model_dump())
    return Status(201, _member_out(member, contacts=True))


@ops.get("/cooperatives/{org_id}/members/{member_id}", response={200: MemberOut, **READ})
def get_member(request: HttpRequest, org_id: int, member_id: int) -> dict[str, Any]:
    """조합원 기록 (임원, 본인)."""
    member = access.access_member(user=request.user, organisation_id=org_id, member_id=member_id)
    return _member_out(member, contacts=True)


@ops.post("/cooperatives/{org_id}/members/{member_id}/shares", response={201: ShareOut, **WRITE})
def issue_shares(request: HttpRequest, org_id: int, member_id: int, payload: ShareIn) -> Status:
    """출자 기록 (임원). 한 조합원이 총 출자좌수의 30%를 넘으면 거절 (제22조②)."""
    access.access_cooperative(user=request.user, organisation_id=org_id)
    _manage_or_403(request, int(org_id))
    member = _coop_member(org_id, member_id)
    share = services.shares_issue(actor=request.user, member=member, **payload.model_dump())
    return Status(201, share)


# --- assemblies --------------------------------------------------------------------------------


@ops.get("/cooperatives/{org_id}/assemblies", response={200: list[AssemblyOut], **READ})
def list_assemblies(request: HttpRequest, org_id: int) -> list[Assembly]:
    coop = access.access_cooperative(user=request.user, organisation_id=org_id)
    return list(selectors.assemblies_for(coop, officer=access.is_officer(request.user, coop.pk)))


@ops.post("/cooperatives/{org_id}/assemblies", response={201: AssemblyOut, **WRITE})
def convene_assembly(request: HttpRequest, org_id: int, payload: AssemblyIn) -> Status:
    """총회·이사회 소집 (이사장·이사·사무국장). 총회는 이사회 결의 기록이 필요합니다."""
    coop = access.access_cooperative(user=request.user, organisation_id=org_id)
    _manage_or_403(request, coop.pk)
    assembly = services.assembly_convene(
        actor=request.user, organisation=coop, **payload.model_dump()
    )
    return Status(201, assembly)


def _assembly(request: HttpRequest, assembly_id: int, *, manage: bool = False) -> Assembly:
    assembly = access.access_assembly(user=request.user, assembly_id=assembly_id)
    if manage:
        _manage_or_403(request, assembly.organisation_id)
    return assembly


@ops.get("/assemblies/{assembly_id}", response={200: AssemblyDetailOut, **READ})
def get_assembly(request: HttpRequest, assembly_id: int) -> dict[str, Any]:
    """회의, 안건과 결과, 실시간 정족수."""
    return _assembly_detail(_assembly(request, assembly_id))


@ops.get("/assemblies/{assembly_id}/quorum", response={200: QuorumOut, **READ})
def get_quorum(request: HttpRequest, assembly_id: int) -> dict[str, Any]:
    return selectors.quorum(_assembly(request, assembly_id)).__dict__


@ops.post("/assemblies/{assembly_id}/items", response={201: ItemOut, **WRITE})
def add_item(request: HttpRequest, assembly_id: int, payload: ItemIn) -> Status:
    """안건 추가: 의결 사항 유형이 보통·특별결의를 정합니다 (제29조)."""
    assembly = _assembly(request, assembly_id, manage=True)
    item = services.agenda_item_add(actor=request.user, assembly=assembly, **payload.model_dump())
    return Status(201, item)


@ops.post("/assemblies/{assembly_id}/notice", response={201: NoticeOut, **WRITE})
def send_notice(request: HttpRequest, assembly_id: int) -> Status:
    """소집 통지 발송 (이메일, 우편 명단) — 7일 전 기한 준수 여부를 기록."""
    assembly = _assembly(request, assembly_id, manage=True)
    return Status(201, services.notice_send(actor=request.user, assembly=assembly))


@ops.post("/assemblies/{assembly_id}/open", response={200: AssemblyOut, **WRITE})
def open_assembly(request: HttpRequest, assembly_id: int) -> Assembly:
    assembly = _assembly(request, assembly_id, manage=True)
    return services.assembly_open(actor=request.user, assembly=assembly)


@ops.post("/assemblies/{assembly_id}/close", response={200: AssemblyOut, **WRITE})
def close_assembly(request: HttpRequest, assembly_id: int) -> Assembly:
    assembly = _assembly(request, assembly_id, manage=True)
    return services.assembly_close(actor=request.user, assembly=assembly)


@ops.post("/assemblies/{assembly_id}/checkins", response={201: AttendanceOut, **WRITE})
def check_in(request: HttpRequest, assembly_id: int, payload: CheckInIn) -> Status:
    """출석 확인 (임원)."""
    assembly = _assembly(request, assembly_id, manage=True)
    member = _coop_member(assembly.organisation_id, payload.member_id)
    return Status(
        201, services.member_check_in(actor=request.user, assembly=assembly, member=member)
    )


@ops.post("/assemblies/{assembly_id}/proxies", response={201: ProxyOut, **WRITE})
def register_proxy(request: HttpRequest, assembly_id: int, payload: ProxyIn) -> Status:
    """대리인 등록과 대리 출석 (임원): 조합원이나 동거 가족, 1명만 대리, 서면 위임장."""
    assembly = _assembly(request, assembly_id, manage=True)
    member = _coop_member(assembly.organisation_id, payload.member_id)
    proxy_member = (
        _coop_member(assembly.organisation_id, payload.proxy_member_id)
        if payload.proxy_member_id
        else None
    )
    proxy = services.proxy_register(
        actor=request.user,
        assembly=assembly,
        member=member,
        proxy_member=proxy_member,
        proxy_name=payload.proxy_name,
        cohabiting_family=payload.cohabiting_family,
        authorisation_reference=payload.authorisation_reference,
    )
    return Status(201, proxy)


@ops.post("/assemblies/{assembly_id}/minutes", response={201: MinutesOut, **WRITE})
def generate_minutes(request: HttpRequest, assembly_id: int) -> Status:
    """기록으로 의사록 초안 만들기 (임원)."""
    assembly = _assembly(request, assembly_id, manage=True)
    return Status(
        201, _minutes_out(services.minutes_generate(actor=request.user, assembly=assembly))
    )


# --- items ---------------------------------------------------------------------------------------


def _item(request: HttpRequest, item_id: int, *, manage: bool = False) -> AgendaItem:
    item = access.access_item(user=request.user, item_id=item_id)
    if manage:
        _manage_or_403(request, item.assembly.organisation_id)
    return item


@ops.get("/items/{item_id}", response={200: ItemOut, **READ})
def get_item(request: HttpRequest, item_id: int) -> AgendaItem:
    """안건과 결과 (규칙과 계산 포함)."""
    return _item(request, item_id)


@ops.post("/items/{item_id}/open", response={200: ItemOut, **WRITE})
def open_item(request: HttpRequest, item_id: int) -> AgendaItem:
    return services.item_open(actor=request.user, item=_item(request, item_id, manage=True))


@ops.post("/items/{item_id}/close", response={200: ItemOut, **WRITE})
def close_item(request: HttpRequest, item_id: int) -> AgendaItem:
    """표결 마감: 결과가 기록되고 다시 바뀌지 않습니다."""
    return services.item_close(actor=request.user, item=_item(request, item_id, manage=True))


@ops.post("/items/{item_id}/tally", response={200: TallyOut, **WRITE})
def enter_tally(request: HttpRequest, item_id: int, payload: TallyIn) -> dict[str, Any]:
    """거수·종이 투표 집계 입력 (임원)."""
    item = _item(request, item_id, manage=True)
    tally = services.tally_enter(actor=request.user, item=item, **payload.model_dump())
    return {"item_id": item.pk, "yes": tally.yes, "no": tally.no, "abstain": tally.abstain}


@ops.post("/items/{item_id}/ballots", response={201: BallotOut, **WRITE})
def cast_ballot(request: HttpRequest, item_id: int, payload: BallotIn) -> Status:
    """전자 투표: 출석한 조합원 본인 (또는 서면 위임받은 대리인)만, 한 번만."""
    item = _item(request, item_id)
    for_member = None
    if payload.for_member_id is not None:
        for_member = Member.objects.filter(
            pk=payload.for_member_id,
            organisation_id=item.assembly.organisation_id,
            status=MemberStatus.ACTIVE,
        ).first()
        if for_member is None:
            raise PermissionDenied
    receipt = services.ballot_cast(
        actor=request.user,
        item=item,
        choice=payload.choice,
        for_member=for_member,
        candidate_id=payload.candidate_id,
    )
    return Status(201, receipt)


# --- minutes -------------------------------------------------------------------------------------


def _minutes(request: HttpRequest, minutes_id: int, *, manage: bool = False) -> Minutes:
    minutes = access.access_minutes(user=request.user, minutes_id=minutes_id)
    if manage:
        _manage_or_403(request, minutes.assembly.organisation_id)
    return minutes


@ops.get("/minutes/{minutes_id}", response={200: MinutesOut, **READ})
def get_minutes(request: HttpRequest, minutes_id: int) -> dict[str, Any]:
    """의사록 (조합원 열람, 제49조)."""
    return _minutes_out(_minutes(request, minutes_id))


@ops.patch("/minutes/{minutes_id}", response={200: MinutesOut, **WRITE})
def update_minutes(request: HttpRequest, minutes_id: int, payload: MinutesIn) -> dict[str, Any]:
    minutes = _minutes(request, minutes_id, manage=True)
    return _minutes_out(
        services.minutes_update(actor=request.user, minutes=minutes, body=payload.body)
    )


@ops.post("/minutes/{minutes_id}/signers", response={200: MinutesOut, **WRITE})
def set_signers(request: HttpRequest, minutes_id: int, payload: SignersIn) -> dict[str, Any]:
    """서명자 지정: 의장과 총회에서 선출한 조합원 3명 이상 (제30조)."""
    minutes = _minutes(request, minutes_id, manage=True)
    org = minutes.assembly.organisation_id
    chair = _coop_member(org, payload.chair_id)
    members = [_coop_member(org, pk) for pk in dict.fromkeys(payload.member_ids)]
    services.minutes_signers_set(actor=request.user, minutes=minutes, chair=chair, members=members)
    return _minutes_out(minutes)


@ops.post("/minutes/{minutes_id}/sign", response={200: MinutesOut, **WRITE})
def sign_minutes(request: HttpRequest, minutes_id: int) -> dict[str, Any]:
    """지정된 서명자 본인의 전자서명."""
    minutes = _minutes(request, minutes_id)
    services.minutes_sign(actor=request.user, minutes=minutes)
    return _minutes_out(minutes)


@ops.post("/minutes/{minutes_id}/lock", response={200: MinutesOut, **WRITE})
def lock_minutes(request: HttpRequest, minutes_id: int) -> dict[str, Any]:
    minutes = _minutes(request, minutes_id, manage=True)
    return _minutes_out(services.minutes_lock(actor=request.user, minutes=minutes))


# --- member status and expulsion -----------------------------------------------------------------


@ops.post("/cooperatives/{org_id}/members/{member_id}/status", response={200: MemberOut, **WRITE})
def change_member_status(
    request: HttpRequest, org_id: int, member_id: int, payload: StatusIn
) -> dict[str, Any]:
    """탈퇴·자격 상실·사망 기록 (임원). 제명은 총회 특별결의로만."""
    access.access_cooperative(user=request.user, organisation_id=org_id)
    _manage_or_403(request, int(org_id))
    member = services.member_status_change(
        actor=request.user, member=_coop_member(org_id, member_id), **payload.model_dump()
    )
    return _member_out(member, contacts=True)


@ops.post(
    "/cooperatives/{org_id}/members/{member_id}/expulsions",
    response={201: ExpulsionOut, **WRITE},
)
def open_expulsion(
    request: HttpRequest, org_id: int, member_id: int, payload: ExpulsionIn
) -> Status:
    """제명 절차 열기 (임원): 사유 (제25조)."""
    access.access_cooperative(user=request.user, organisation_id=org_id)
    _manage_or_403(request, int(org_id))
    case = services.expulsion_open(
        actor=request.user, member=_coop_member(org_id, member_id), **payload.model_dump()
    )
    return Status(201, case)


def _expulsion(request: HttpRequest, case_id: int) -> ExpulsionCase:
    case = ExpulsionCase.objects.select_related("member").filter(pk=case_id).first()
    if case is None or case.member.organisation_id not in access.governance_org_ids(request.user):
        raise Http404
    _manage_or_403(request, case.member.organisation_id)
    return case


@ops.post("/expulsions/{case_id}/schedule", response={200: ExpulsionOut, **WRITE})
def schedule_expulsion(
    request: HttpRequest, case_id: int, payload: ExpulsionScheduleIn
) -> ExpulsionCase:
    """제명 안건을 총회에 올리고 사유 통지일 기록: 총회 10일 전까지 (제25조)."""
    case = _expulsion(request, case_id)
    assembly = Assembly.objects.filter(
        pk=payload.assembly_id, organisation_id=case.member.organisation_id
    ).first()
    if assembly is None:
        raise Http404
    return services.expulsion_schedule(
        actor=request.user, case=case, assembly=assembly, notified_on=payload.notified_on
    )


@ops.post("/expulsions/{case_id}/hearing", response={200: ExpulsionOut, **WRITE})
def record_hearing(request: HttpRequest, case_id: int, payload: HearingIn) -> ExpulsionCase:
    """총회에서 제명 대상 조합원의 의견 진술 기록."""
    case = _expulsion(request, case_id)
    return services.expulsion_hearing(actor=request.user, case=case, record=payload.record)


@ops.post(
    "/cooperatives/{org_id}/members/{member_id}/dues", response={201: DuesPaymentOut, **WRITE}
)
def record_dues(
    request: HttpRequest, org_id: int, member_id: int, payload: DuesPaymentIn
) -> Status:
    """회비 납부 기록 (임원). 같은 연도 두 번은 거절."""
    access.access_cooperative(user=request.user, organisation_id=org_id)
    _manage_or_403(request, int(org_id))
    schedule = DuesSchedule.objects.filter(pk=payload.schedule_id, organisation_id=org_id).first()
    if schedule is None:
        raise Http404
    payment = services.dues_payment_record(
        actor=request.user,
        member=_coop_member(org_id, member_id),
        schedule=schedule,
        year=payload.year,
        paid_on=payload.paid_on,
    )
    return Status(201, payment)


@ops.post(
    "/cooperatives/{org_id}/members/{member_id}/terms", response={201: OfficerTermOut, **WRITE}
)
def add_officer_term(
    request: HttpRequest, org_id: int, member_id: int, payload: OfficerTermIn
) -> Status:
    """임원 임기 기록 (임원): 4년 이내, 이사장은 2차에 한해 연임 (제35조)."""
    access.access_cooperative(user=request.user, organisation_id=org_id)
    _manage_or_403(request, int(org_id))
    term = services.officer_term_add(
        actor=request.user, member=_coop_member(org_id, member_id), **payload.model_dump()
    )
    return Status(201, term)


# --- delegates (대의원, art. 31, Decree art. 9) --------------------------------------------------


def _delegate_out(delegate: Delegate, today: Any) -> dict[str, Any]:
    return {
        "id": delegate.pk,
        "member_id": delegate.member_id,
        "member_number": delegate.member.number,
        "member_name": delegate.member.name,
        "method": delegate.method,
        "district": delegate.district,
        "elected_on": delegate.elected_on,
        "elected_at_id": delegate.elected_at_id,
        "starts_on": delegate.starts_on,
        "ends_on": delegate.ends_on,
        "left_on": delegate.left_on,
        "end_reason": delegate.end_reason,
        "replaces_id": delegate.replaces_id,
        "in_office": delegate.in_office_on(today),
    }


@ops.get("/cooperatives/{org_id}/delegates", response={200: DelegatesOut, **READ})
def list_delegates(request: HttpRequest, org_id: int) -> dict[str, Any]:
    """대의원 명단과 요건: 필요한 대의원 수(조합원의 10%, 올림, 상한)와 오늘 임기 중인 수."""
    coop = access.access_cooperative(user=request.user, organisation_id=org_id)
    summary = selectors.delegate_summary(coop)
    return {
        **summary.__dict__,
        "delegates": [_delegate_out(d, summary.day) for d in selectors.delegates_of(coop)],
    }


@ops.post("/cooperatives/{org_id}/delegates", response={201: list[DelegateOut], **WRITE})
def elect_delegates(request: HttpRequest, org_id: int, payload: DelegateElectionIn) -> Status:
    """대의원 선출 결과 기록 (임원): 조합원 200명 초과, 선출 뒤 임기 중인 대의원이 필요 수 이상."""
    coop = access.access_cooperative(user=request.user, organisation_id=org_id)
    _manage_or_403(request, coop.pk)
    elected_at = None
    if payload.elected_at_id is not None:
        elected_at = Assembly.objects.filter(pk=payload.elected_at_id, organisation=coop).first()
        if elected_at is None:
            raise Http404
    rows = services.delegates_elect(
        actor=request.user,
        organisation=coop,
        member_ids=payload.member_ids,
        elected_on=payload.elected_on,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        method=payload.method,
        district=payload.district,
        elected_at=elected_at,
    )
    today = timezone.localdate()
    return Status(
        201,
        [_delegate_out(d, today) for d in Delegate.objects.filter(pk__in=[r.pk for r in rows])],
    )


@ops.post("/delegates/{delegate_id}/end", response={200: DelegateOut, **WRITE})
def end_delegate(request: HttpRequest, delegate_id: int, payload: DelegateEndIn) -> dict[str, Any]:
    """대의원 퇴임 (임원): 퇴임일부터 대의원이 아님. 보궐 대의원은 남은 임기를 맡습니다."""
    delegate = Delegate.objects.select_related("member").filter(pk=delegate_id).first()
    if delegate is None:
        raise Http404
    access.access_cooperative(user=request.user, organisation_id=delegate.member.organisation_id)
    _manage_or_403(request, delegate.member.organisation_id)
    successor = (
        _coop_member(delegate.member.organisation_id, payload.successor_id)
        if payload.successor_id
        else None
    )
    delegate = services.delegate_end(
        actor=request.user,
        delegate=delegate,
        left_on=payload.left_on,
        reason=payload.reason,
        successor=successor,
    )
    return _delegate_out(delegate, timezone.localdate())


# --- founding meeting (창립총회, art. 15, Decree art. 6; social cooperatives art. 85) ----------


def _consent_out(consent: FoundingConsent) -> dict[str, Any]:
    return {
        "id": consent.pk,
        "assembly_id": consent.assembly_id,
        "member_id": consent.member_id,
        "name": consent.member.name,
        "stakeholder_type": consent.member.stakeholder_type,
        "submitted_on": consent.submitted_on,
    }


def _founding_assembly(request: HttpRequest, assembly_id: int, *, manage: bool) -> Assembly:
    assembly = _assembly(request, assembly_id, manage=manage)
    if assembly.kind != AssemblyKind.FOUNDING:
        raise Http404
    return assembly


@ops.get("/assemblies/{assembly_id}/founding", response={200: FoundingOut, **READ})
def get_founding(request: HttpRequest, assembly_id: int) -> dict[str, Any]:
    """창립총회의 발기인과 설립동의서, 공고·개회를 막는 요건 미충족 사유."""
    assembly = _founding_assembly(request, assembly_id, manage=False)
    record = selectors.founding_record(assembly)
    return {
        "assembly_id": assembly.pk,
        "founders": record.founders,
        "consents": [_consent_out(c) for c in record.consents],
        "stakeholder_types": record.stakeholder_types,
        "problems": record.problems,
    }


@ops.post("/assemblies/{assembly_id}/founders", response={201: FounderOut, **WRITE})
def add_founder(request: HttpRequest, assembly_id: int, payload: FounderIn) -> Status:
    """발기인 추가 (임원): 5명 이상, 사회적협동조합은 이해관계자 2종류 이상 (제15조, 제85조)."""
    assembly = _founding_assembly(request, assembly_id, manage=True)
    return Status(
        201, services.founder_add(actor=request.user, assembly=assembly, **payload.model_dump())
    )


@ops.post("/assemblies/{assembly_id}/consents", response={201: ConsentOut, **WRITE})
def record_consent(request: HttpRequest, assembly_id: int, payload: ConsentIn) -> Status:
    """설립동의서 접수 (임원): 설립동의자는 명부에 '설립동의자'로 올라 이 총회에 출석·표결."""
    assembly = _founding_assembly(request, assembly_id, manage=True)
    consent = services.consent_record(actor=request.user, assembly=assembly, **payload.model_dump())
    return Status(201, _consent_out(consent))


@ops.post(
    "/assemblies/{assembly_id}/founding/complete", response={200: FoundingCompleteOut, **WRITE}
)
def complete_founding(request: HttpRequest, assembly_id: int) -> dict[str, Any]:
    """창립총회 뒤 설립동의자를 조합원으로 (임원): 폐회했고 정관 안건이 가결되었어야 합니다.
    다시 부르면 아무것도 바꾸지 않고 admitted 0을 돌려줍니다."""
    assembly = _founding_assembly(request, assembly_id, manage=True)
    admitted = services.founding_complete(actor=request.user, assembly=assembly)
    return {"assembly_id": assembly.pk, "admitted": admitted}


router.add_router("", ops)


# --- capital refunds ---------------------------------------------------------------------------
# Officers (the auditor included) list and read; managing officers record claims, deductions and
# payments; the departed member reads their own refund (403 on the rest).


def _refund_out(refund: Any, today: Any = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    return {
        **{
            f: getattr(refund, f)
            for f in RefundOut.model_fields
            if f not in {"member_name", "stage", "net", "claim_deadline"}
        },
        "member_name": refund.member.name,
        "net": refund.net,
        "claim_deadline": refund.claim_deadline,
        "stage": refund.stage(today),
    }


@ops.get("/cooperatives/{org_id}/refunds", response={200: RefundListOut, **WRITE})
def list_refunds(request: HttpRequest, org_id: int) -> dict[str, Any]:
    """탈퇴 조합원 출자금 환급 목록과 단계별 합계 (임원·감사)."""
    coop = access.access_cooperative(user=request.user, organisation_id=org_id)
    if not access.is_officer(request.user, coop.pk):
        raise PermissionDenied
    today = timezone.localdate()
    liabilities = services.capital_refund_liabilities(coop.pk, today=today)
    rows = [
        *liabilities.waiting,
        *liabilities.claimable,
        *liabilities.claimed,
        *liabilities.paid,
        *liabilities.lapsed,
    ]
    return {"totals": liabilities.totals, "refunds": [_refund_out(r, today) for r in rows]}


@ops.get("/refunds/{refund_id}", response={200: RefundOut, **READ})
def get_refund(request: HttpRequest, refund_id: int) -> dict[str, Any]:
    """환급 기록 (임원, 탈퇴한 본인)."""
    return _refund_out(access.access_refund(user=request.user, refund_id=refund_id))


def _refund_to_run(request: HttpRequest, refund_id: int) -> Any:
    refund = access.access_refund(user=request.user, refund_id=refund_id)
    _manage_or_403(request, refund.member.organisation_id)
    return refund


@ops.post("/refunds/{refund_id}/claim", response={200: RefundOut, **WRITE})
def claim_refund(request: HttpRequest, refund_id: int, payload: RefundClaimIn) -> dict[str, Any]:
    """청구 기록 (임원): 탈퇴한 회계연도 다음 해 첫날부터, 2년이 지나면 소멸 (제26조)."""
    refund = _refund_to_run(request, refund_id)
    return _refund_out(
        services.capital_refund_claim(actor=request.user, refund=refund, **payload.model_dump())
    )


@ops.post("/refunds/{refund_id}/deduction", response={200: RefundOut, **WRITE})
def set_refund_deduction(
    request: HttpRequest, refund_id: int, payload: RefundDeductionIn
) -> dict[str, Any]:
    """공제액 기록 (임원): 손실액 부담 등 (제27조), 환급 대상 금액 이내."""
    refund = _refund_to_run(request, refund_id)
    return _refund_out(
        services.capital_refund_set_deduction(
            actor=request.user, refund=refund, **payload.model_dump()
        )
    )


@ops.post("/refunds/{refund_id}/pay", response={200: RefundOut, **WRITE})
def pay_refund(request: HttpRequest, refund_id: int, payload: RefundPayIn) -> dict[str, Any]:
    """지급 기록 (임원): 청구된 환급을 한 번만, 가결된 '지분 환급' 안건을 근거로 (제29조)."""
    refund = _refund_to_run(request, refund_id)
    item = AgendaItem.objects.filter(
        pk=payload.resolution_item_id, assembly__organisation_id=refund.member.organisation_id
    ).first()
    return _refund_out(
        services.capital_refund_pay(
            actor=request.user,
            refund=refund,
            paid_on=payload.paid_on,
            method=payload.method,
            reference=payload.reference,
            resolution_item=item,
        )
    )
