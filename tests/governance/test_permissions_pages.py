"""The permission matrix of every governance page (/coop/): URL × method × role → the exact
status, with the helpers of the site-wide matrix (``tests/test_permissions_pages.py``).

A cooperative's governance is its own: 세리오협동조합's chair (``coop``) runs it, its member
(``member``) sees it, inspects the register (art. 49), votes and signs; nobody else — platform
staff included — sees anything (404), and 서울지역협동조합협의회's assembly is 404 for every demo
user (none is its officer or member). Anonymous visitors are sent to log in; a method a page
does not take is 405. A refused request changes nothing (every governance table and the audit
log compared before and after). ``test_every_governance_url_has_a_matrix_entry`` fails when a
/coop/ URL (except ``governance:check``, covered by the checker's own tests) has no GET and
POST entry.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.urls import get_resolver
from django.utils import timezone
from test_permissions_pages import (
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REDIRECT,
    ROLES,
    Case,
    _routes,
    get,
    members_only,
    only,
    post,
    world_fixtures,
)

pytestmark = pytest.mark.django_db

SERIO = {"coop", "member"}
CHAIR = {"coop"}
C = "coop/"
NO_GET = members_only(NOT_ALLOWED)


def build_world(users, org):
    from dure.governance import services
    from dure.governance.models import Assembly, Matter, Member, RecordingMode

    serio, council = org("세리오협동조합"), org("서울지역협동조합협의회")
    chair_user = users["coop"]
    members = list(Member.objects.filter(organisation=serio).order_by("number"))
    me = Member.objects.get(organisation=serio, user=users["member"])
    chair_member = Member.objects.get(organisation=serio, user=chair_user)
    upcoming = Assembly.objects.get(organisation=serio, title="2026년 임시총회")
    held = services.assembly_convene(
        actor=chair_user,
        organisation=serio,
        kind="extraordinary",
        title="매트릭스 총회",
        scheduled_at=timezone.now() + dt.timedelta(days=8),
        place="회의실",
        purpose="매트릭스",
        board_decision="이사회 결의",
    )
    vote_item = services.agenda_item_add(
        actor=chair_user,
        assembly=held,
        title="전자 표결 안건",
        matter=Matter.BUSINESS_PLAN,
        recording_mode=RecordingMode.ELECTRONIC,
    )
    pending_item = services.agenda_item_add(
        actor=chair_user,
        assembly=held,
        title="대기 안건",
        matter=Matter.OTHER,
        recording_mode=RecordingMode.ELECTRONIC,
    )
    tally_item = services.agenda_item_add(
        actor=chair_user, assembly=held, title="집계 안건", matter=Matter.BUDGET
    )
    services.assembly_open(actor=chair_user, assembly=held)
    services.item_open(actor=chair_user, item=vote_item)
    for m in (chair_member, me):
        services.member_check_in(actor=chair_user, assembly=held, member=m)
    minutes = services.minutes_generate(actor=chair_user, assembly=held)
    services.minutes_signers_set(
        actor=chair_user, minutes=minutes, chair=chair_member, members=[me, *members[2:4]]
    )
    council_assembly = Assembly.objects.get(organisation=council, title="제9차 정기총회")
    open_case = services.expulsion_open(
        actor=chair_user, member=members[7], ground="unpaid", detail="회비 미납"
    )
    notified_case = services.expulsion_open(
        actor=chair_user, member=members[6], ground="non_use", detail="사업 미이용"
    )
    services.expulsion_schedule(
        actor=chair_user, case=notified_case, assembly=upcoming, notified_on=timezone.localdate()
    )
    # delegates and a founding meeting (the rows directly: 세리오 has too few members to elect
    # delegates through the service)
    from dure.governance.models import Delegate

    today = timezone.localdate()
    delegate = Delegate.objects.create(
        member=members[3],
        elected_on=today,
        starts_on=today,
        ends_on=today + dt.timedelta(days=700),
    )
    founding = services.assembly_convene(
        actor=chair_user,
        organisation=serio,
        kind="founding",
        title="매트릭스 창립총회",
        scheduled_at=timezone.now() + dt.timedelta(days=9),
        place="회의실",
        purpose="설립",
    )
    founder = services.founder_add(
        actor=chair_user, assembly=founding, name="매트릭스 발기인", stakeholder_type="worker"
    )
    return SimpleNamespace(
        delegate=delegate,
        founding=founding,
        founder=founder,
        today=timezone.localdate(),
        dues=serio.dues_schedules.get(name="연회비"),
        open_case=open_case,
        notified_case=notified_case,
        users=users,
        serio=serio,
        council=council,
        members=members,
        me=me,
        chair_member=chair_member,
        other=members[2],
        upcoming=upcoming,
        upcoming_item=upcoming.items.order_by("order").first(),
        held=held,
        vote_item=vote_item,
        pending_item=pending_item,
        tally_item=tally_item,
        minutes=minutes,
        council_assembly=council_assembly,
        council_item=council_assembly.items.order_by("order").first(),
        council_minutes=council_assembly.minutes.first(),
        token=services.checkin_token(upcoming, members[2]),
    )


_world_once, world = world_fixtures(build_world)


def governance_state() -> dict[str, Any]:
    from dure.core.models import AuditEvent
    from dure.governance import models as m

    def rows(model):
        return list(model.objects.order_by("pk").values())

    return {
        name: rows(getattr(m, name))
        for name in (
            "CoopSettings",
            "Member",
            "ShareIssue",
            "DuesPayment",
            "Assembly",
            "Notice",
            "AgendaItem",
            "Candidate",
            "Proxy",
            "Attendance",
            "BallotReceipt",
            "Ballot",
            "Tally",
            "Minutes",
            "MinutesSignature",
            "ExpulsionCase",
            "OfficerTerm",
            "Delegate",
            "Founder",
            "FoundingConsent",
        )
    } | {"audit": AuditEvent.objects.count()}


def exists(model_name, **lookup):
    def check(w, role):
        from django.apps import apps

        return apps.get_model("governance", model_name).objects.filter(**lookup).exists()

    return check


def when() -> str:
    return (timezone.localtime() + dt.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")


def org_pages(
    route: str, path, *, officers_only: bool = False, post_data=None, post_ok=REDIRECT, effect=None
):
    """GET and POST entries of a cooperative page."""
    allowed = CHAIR if officers_only else SERIO
    cases = [get(route, path, only(allowed))]
    if post_data is None:
        cases.append(post(route, path, NO_GET))
    else:
        cases.append(
            post(
                route, path, only(allowed, post_ok), data=post_data, changes=allowed, effect=effect
            )
        )
    return cases


def action(route: str, path, *, allowed=CHAIR, effect=None, data=None):
    """A POST-only action: GET is 405, POST redirects for who may act."""
    return [
        get(route, path, NO_GET),
        post(route, path, only(allowed, REDIRECT), changes=allowed, effect=effect, data=data),
    ]


CASES: list[Case] = [
    get(C, lambda w: "/coop/", members_only(OK)),
    post(C, lambda w: "/coop/", NO_GET),
    *org_pages(C + "<int:org>/", lambda w: f"/coop/{w.serio.pk}/"),
    get(C + "<int:org>/", lambda w: f"/coop/{w.council.pk}/", only(set()), variant="council"),
    *org_pages(
        C + "<int:org>/settings/",
        lambda w: f"/coop/{w.serio.pk}/settings/",
        officers_only=True,
        post_data=lambda w, r: {
            "remote_voting_enabled": "on",
            "fiscal_year_end_month": 12,
            "delegate_cap": 100,
        },
        effect=exists("CoopSettings", remote_voting_enabled=True),
    ),
    *org_pages(C + "<int:org>/members/", lambda w: f"/coop/{w.serio.pk}/members/"),
    get(
        C + "<int:org>/members/",
        lambda w: f"/coop/{w.council.pk}/members/",
        only(set()),
        variant="another cooperative's register",
    ),
    *org_pages(
        C + "<int:org>/members/new/",
        lambda w: f"/coop/{w.serio.pk}/members/new/",
        officers_only=True,
        post_data=lambda w, r: {
            "name": "매트릭스 조합원",
            "kind": "person",
            "stakeholder_type": "worker",
            "joined_on": "2026-01-05",
        },
        effect=exists("Member", name="매트릭스 조합원"),
    ),
    *org_pages(
        C + "<int:org>/members/export.<slug:fmt>",
        lambda w: f"/coop/{w.serio.pk}/members/export.xlsx",
    ),
    get(
        C + "<int:org>/members/export.<slug:fmt>",
        lambda w: f"/coop/{w.serio.pk}/members/export.doc",
        only(SERIO, NOT_FOUND),
        variant="unknown format",
    ),
    *org_pages(
        C + "<int:org>/members/<int:pk>/",
        lambda w: f"/coop/{w.serio.pk}/members/{w.me.pk}/",
    ),
    get(
        C + "<int:org>/members/<int:pk>/",
        lambda w: f"/coop/{w.serio.pk}/members/{w.other.pk}/",
        only(CHAIR),
        variant="another member's record",
    ),
    *org_pages(
        C + "<int:org>/members/<int:pk>/shares/",
        lambda w: f"/coop/{w.serio.pk}/members/{w.me.pk}/shares/",
        officers_only=True,
        post_data=lambda w, r: {"count": 1, "unit_price": 50000},
        effect=exists("ShareIssue", count=1, unit_price=50000),
    ),
    *org_pages(
        C + "<int:org>/members/<int:pk>/status/",
        lambda w: f"/coop/{w.serio.pk}/members/{w.other.pk}/status/",
        officers_only=True,
        post_data=lambda w, r: {"status": "withdrawn", "on": "2026-01-10", "reason": "탈퇴 신청"},
        effect=lambda w, r: type(w.other).objects.get(pk=w.other.pk).status == "withdrawn",
    ),
    *org_pages(
        C + "<int:org>/members/<int:pk>/expulsion/",
        lambda w: f"/coop/{w.serio.pk}/members/{w.other.pk}/expulsion/",
        officers_only=True,
        post_data=lambda w, r: {"ground": "unpaid", "detail": "2025년 회비 미납"},
        effect=exists("ExpulsionCase", member__name="김연구"),
    ),
    *org_pages(
        C + "expulsions/<int:pk>/schedule/",
        lambda w: f"/coop/expulsions/{w.open_case.pk}/schedule/",
        officers_only=True,
        post_data=lambda w, r: {
            "assembly": w.upcoming.pk,
            "notified_on": timezone.localdate().isoformat(),
        },
        effect=lambda w, r: type(w.open_case).objects.get(pk=w.open_case.pk).status == "notified",
    ),
    *org_pages(
        C + "expulsions/<int:pk>/hearing/",
        lambda w: f"/coop/expulsions/{w.notified_case.pk}/hearing/",
        officers_only=True,
        post_data=lambda w, r: {"record": "본인 소명"},
        effect=exists("ExpulsionCase", hearing_record="본인 소명"),
    ),
    *org_pages(
        C + "<int:org>/members/<int:pk>/dues/",
        lambda w: f"/coop/{w.serio.pk}/members/{w.other.pk}/dues/",
        officers_only=True,
        post_data=lambda w, r: {"schedule": w.dues.pk, "year": 2026, "paid_on": "2026-03-31"},
        effect=exists("DuesPayment", member__name="김연구", year=2026),
    ),
    *org_pages(
        C + "<int:org>/members/<int:pk>/terms/",
        lambda w: f"/coop/{w.serio.pk}/members/{w.other.pk}/terms/",
        officers_only=True,
        post_data=lambda w, r: {
            "office": "director",
            "starts_on": "2026-03-25",
            "ends_on": "2030-03-24",
        },
        effect=exists("OfficerTerm", member__name="김연구", office="director"),
    ),
    get(C + "<int:org>/me/", lambda w: f"/coop/{w.serio.pk}/me/", only(SERIO, REDIRECT)),
    post(C + "<int:org>/me/", lambda w: f"/coop/{w.serio.pk}/me/", NO_GET),
    *org_pages(C + "<int:org>/assemblies/", lambda w: f"/coop/{w.serio.pk}/assemblies/"),
    *org_pages(
        C + "<int:org>/assemblies/new/",
        lambda w: f"/coop/{w.serio.pk}/assemblies/new/",
        officers_only=True,
        post_data=lambda w, r: {
            "kind": "ordinary",
            "title": "매트릭스 정기총회",
            "scheduled_at": when(),
            "place": "회의실",
            "purpose": "결산",
            "board_decision": "이사회 결의",
        },
        effect=exists("Assembly", title="매트릭스 정기총회"),
    ),
    *org_pages(C + "assemblies/<int:pk>/", lambda w: f"/coop/assemblies/{w.upcoming.pk}/"),
    get(
        C + "assemblies/<int:pk>/",
        lambda w: f"/coop/assemblies/{w.council_assembly.pk}/",
        only(set()),
        variant="council",
    ),
    *org_pages(
        C + "assemblies/<int:pk>/quorum/", lambda w: f"/coop/assemblies/{w.held.pk}/quorum/"
    ),
    *org_pages(
        C + "assemblies/<int:pk>/items/new/",
        lambda w: f"/coop/assemblies/{w.upcoming.pk}/items/new/",
        officers_only=True,
        post_data=lambda w, r: {
            "title": "매트릭스 안건",
            "matter": "budget",
            "recording_mode": "tally",
        },
        effect=exists("AgendaItem", title="매트릭스 안건"),
    ),
    *org_pages(
        C + "assemblies/<int:pk>/notice/",
        lambda w: f"/coop/assemblies/{w.upcoming.pk}/notice/",
        officers_only=True,
        post_data=lambda w, r: {},
        effect=exists("Notice", assembly__title="2026년 임시총회"),
    ),
    *action(
        C + "assemblies/<int:pk>/open/",
        lambda w: f"/coop/assemblies/{w.upcoming.pk}/open/",
        effect=exists("Assembly", title="2026년 임시총회", status="in_session"),
    ),
    *action(
        C + "assemblies/<int:pk>/close/",
        lambda w: f"/coop/assemblies/{w.held.pk}/close/",  # refused: an item is still open
    ),
    *org_pages(
        C + "assemblies/<int:pk>/checkin/",
        lambda w: f"/coop/assemblies/{w.upcoming.pk}/checkin/",
        officers_only=True,
        post_data=lambda w, r: {"member": w.other.pk},
        effect=lambda w, r: w.upcoming.attendances.filter(member=w.other).exists(),
    ),
    *org_pages(
        C + "assemblies/<int:pk>/checkin/scan/",
        lambda w: f"/coop/assemblies/{w.upcoming.pk}/checkin/scan/?t={w.token}",
        officers_only=True,
        post_data=lambda w, r: {"t": w.token},
        effect=lambda w, r: w.upcoming.attendances.filter(member=w.other, method="qr").exists(),
    ),
    *org_pages(
        C + "assemblies/<int:pk>/proxies/",
        lambda w: f"/coop/assemblies/{w.upcoming.pk}/proxies/",
        officers_only=True,
        post_data=lambda w, r: {
            "member": w.other.pk,
            "proxy_member": w.me.pk,
            "authorisation_reference": "위임장 1호",
        },
        effect=exists("Proxy", proxy_name="정조합원"),
    ),
    *org_pages(C + "assemblies/<int:pk>/qr/", lambda w: f"/coop/assemblies/{w.upcoming.pk}/qr/"),
    *action(
        C + "assemblies/<int:pk>/minutes/",
        lambda w: f"/coop/assemblies/{w.held.pk}/minutes/",
    ),
    *org_pages(
        C + "items/<int:pk>/",
        lambda w: f"/coop/items/{w.vote_item.pk}/",
        post_data=lambda w, r: {"choice": "yes"},
        effect=lambda w, r: w.vote_item.receipts.filter(member__user=w.users[r]).exists(),
    ),
    get(
        C + "items/<int:pk>/",
        lambda w: f"/coop/items/{w.council_item.pk}/",
        only(set()),
        variant="council",
    ),
    *org_pages(
        C + "items/<int:pk>/tally/",
        lambda w: f"/coop/items/{w.tally_item.pk}/tally/",
        officers_only=True,
        post_data=lambda w, r: {"yes": 2, "no": 0, "abstain": 0},
        effect=exists("Tally", item__title="집계 안건", yes=2),
    ),
    *action(
        C + "items/<int:pk>/open/",
        lambda w: f"/coop/items/{w.pending_item.pk}/open/",
        effect=exists("AgendaItem", title="대기 안건", status="open"),
    ),
    *action(
        C + "items/<int:pk>/close/",
        lambda w: f"/coop/items/{w.vote_item.pk}/close/",
        effect=exists("AgendaItem", title="전자 표결 안건", status="closed"),
    ),
    *action(C + "items/<int:pk>/revote/", lambda w: f"/coop/items/{w.pending_item.pk}/revote/"),
    *org_pages(C + "minutes/<int:pk>/", lambda w: f"/coop/minutes/{w.minutes.pk}/"),
    get(
        C + "minutes/<int:pk>/",
        lambda w: f"/coop/minutes/{w.council_minutes.pk}/",
        only(set()),
        variant="council",
    ),
    *org_pages(
        C + "minutes/<int:pk>/edit/",
        lambda w: f"/coop/minutes/{w.minutes.pk}/edit/",
        officers_only=True,
        post_data=lambda w, r: {"body": "매트릭스 의사록"},
        effect=exists("Minutes", body="매트릭스 의사록"),
    ),
    *org_pages(
        C + "minutes/<int:pk>/signers/",
        lambda w: f"/coop/minutes/{w.minutes.pk}/signers/",
        officers_only=True,
        post_data=lambda w, r: {
            "chair": w.chair_member.pk,
            "members": [m.pk for m in w.members[1:5]],
        },
        effect=lambda w, r: w.minutes.signatures.count() == 5,
    ),
    *action(
        C + "minutes/<int:pk>/sign/",
        lambda w: f"/coop/minutes/{w.minutes.pk}/sign/",
        allowed=SERIO,
        effect=lambda w, r: w.minutes.signatures.filter(
            member__user=w.users[r], signed_at__isnull=False
        ).exists(),
    ),
    *action(C + "minutes/<int:pk>/lock/", lambda w: f"/coop/minutes/{w.minutes.pk}/lock/"),
    *action(C + "minutes/<int:pk>/amend/", lambda w: f"/coop/minutes/{w.minutes.pk}/amend/"),
    *org_pages(C + "minutes/<int:pk>/pdf/", lambda w: f"/coop/minutes/{w.minutes.pk}/pdf/"),
    # delegates (대의원, art. 31)
    *org_pages(C + "<int:org>/delegates/", lambda w: f"/coop/{w.serio.pk}/delegates/"),
    get(
        C + "<int:org>/delegates/",
        lambda w: f"/coop/{w.council.pk}/delegates/",
        only(set()),
        variant="another cooperative",
    ),
    get(
        C + "<int:org>/delegates/elect/",
        lambda w: f"/coop/{w.serio.pk}/delegates/elect/",
        only(CHAIR),
    ),
    # 세리오 has 8 members: the election is refused (400, nothing written) — the chair's
    # successful election is in test_delegates_founding.py
    post(
        C + "<int:org>/delegates/elect/",
        lambda w: f"/coop/{w.serio.pk}/delegates/elect/",
        only(CHAIR, 400),
        data=lambda w, r: {
            "member_numbers": " ".join(str(m.number) for m in w.members),
            "elected_on": str(w.today),
            "starts_on": str(w.today),
            "ends_on": str(w.today + dt.timedelta(days=700)),
            "method": "assembly",
        },
    ),
    *org_pages(
        C + "delegates/<int:pk>/end/",
        lambda w: f"/coop/delegates/{w.delegate.pk}/end/",
        officers_only=True,
        post_data=lambda w, r: {"left_on": str(w.today), "reason": "사임"},
        effect=exists("Delegate", end_reason="사임"),
    ),
    # founding meeting (창립총회, art. 15)
    *org_pages(
        C + "assemblies/<int:pk>/founders/new/",
        lambda w: f"/coop/assemblies/{w.founding.pk}/founders/new/",
        officers_only=True,
        post_data=lambda w, r: {"name": "새 발기인", "stakeholder_type": "consumer"},
        effect=exists("Founder", name="새 발기인"),
    ),
    get(
        C + "assemblies/<int:pk>/founders/new/",
        lambda w: f"/coop/assemblies/{w.upcoming.pk}/founders/new/",
        only(set()),
        variant="not a founding meeting",
    ),
    *action(
        C + "founders/<int:pk>/remove/",
        lambda w: f"/coop/founders/{w.founder.pk}/remove/",
        effect=lambda w, r: not type(w.founder).objects.filter(pk=w.founder.pk).exists(),
    ),
    *org_pages(
        C + "assemblies/<int:pk>/consents/new/",
        lambda w: f"/coop/assemblies/{w.founding.pk}/consents/new/",
        officers_only=True,
        post_data=lambda w, r: {
            "name": "매트릭스 동의자",
            "kind": "person",
            "stakeholder_type": "consumer",
            "submitted_on": str(w.today),
        },
        effect=exists("FoundingConsent", member__name="매트릭스 동의자"),
    ),
]


# --- capital refunds -----------------------------------------------------------------------------
# Kept in one block (before ``_params`` reads CASES) so it merges with other work on this file.
# The refunds are made lazily from the path functions (they run before the state snapshot).


def refund_world(w):
    """A claimable refund (한세정 left last fiscal year), the demo's claimed refund (문지현) and
    a passed '지분 환급' item of yesterday's assembly."""
    if not hasattr(w, "refund"):
        from dure.governance import services
        from dure.governance.models import AgendaItem, Assembly, CapitalRefund

        last_year = dt.date(w.today.year - 1, 6, 30)
        leaver = w.members[5]

        services.member_status_change(
            actor=w.users["coop"], member=leaver, status="withdrawn", on=last_year, reason="탈퇴"
        )
        w.refund = CapitalRefund.objects.get(member=leaver)
        w.claimed_refund = CapitalRefund.objects.get(
            member__organisation=w.serio, member__name="문지현"
        )
        at = timezone.now() - dt.timedelta(days=1)
        held = Assembly.objects.create(
            organisation=w.serio,
            kind="ordinary",
            title="환급 의결 총회",
            scheduled_at=at,
            place="회의실",
            purpose="환급",
            status="closed",
            opened_at=at,
            closed_at=at,
        )
        w.refund_item = AgendaItem.objects.create(
            assembly=held,
            order=1,
            title="탈퇴 조합원 출자금 환급의 건",
            matter="capital_refund",
            resolution="special",
            status="closed",
            present=6,
            yes=6,
            no=0,
            abstain=0,
            required_present=5,
            required_yes=4,
            passed=True,
            explanation="가결",
            closed_at=at,
        )
    return w


def own_refund(w):
    """The ``member`` user's own refund: they left last fiscal year (their account stays linked)."""
    if not hasattr(w, "own_refund"):
        from dure.governance import services
        from dure.governance.models import CapitalRefund

        services.member_status_change(
            actor=w.users["coop"],
            member=w.me,
            status="withdrawn",
            on=dt.date(w.today.year - 1, 6, 30),
            reason="탈퇴",
        )
        w.own_refund = CapitalRefund.objects.get(member=w.me)
    return w.own_refund


def _refund_status(w, r, pk_attr, **expected):
    from dure.governance.models import CapitalRefund

    row = CapitalRefund.objects.filter(pk=getattr(w, pk_attr).pk).values(*expected).get()
    return row == expected


CASES += [
    *org_pages(
        C + "<int:org>/refunds/",
        lambda w: f"/coop/{refund_world(w).serio.pk}/refunds/",
        officers_only=True,
    ),
    get(
        C + "<int:org>/refunds/",
        lambda w: f"/coop/{w.council.pk}/refunds/",
        only(set()),
        variant="council",
    ),
    *org_pages(
        C + "refunds/<int:pk>/",
        lambda w: f"/coop/refunds/{refund_world(w).refund.pk}/",
        officers_only=True,
    ),
    get(
        C + "refunds/<int:pk>/",
        lambda w: f"/coop/refunds/{own_refund(w).pk}/",
        only(SERIO),
        variant="the departed member's own refund",
    ),
    *action(
        C + "refunds/<int:pk>/claim/",
        lambda w: f"/coop/refunds/{refund_world(w).refund.pk}/claim/",
        data=lambda w, r: {"claim-claimed_on": w.today.isoformat()},
        effect=lambda w, r: _refund_status(w, r, "refund", status="claimed"),
    ),
    *action(
        C + "refunds/<int:pk>/deduction/",
        lambda w: f"/coop/refunds/{refund_world(w).refund.pk}/deduction/",
        data=lambda w, r: {"deduction-deduction": 1000, "deduction-reason": "손실 분담"},
        effect=lambda w, r: _refund_status(w, r, "refund", deduction=1000),
    ),
    *action(
        C + "refunds/<int:pk>/pay/",
        lambda w: f"/coop/refunds/{refund_world(w).claimed_refund.pk}/pay/",
        data=lambda w, r: {
            "pay-resolution_item": w.refund_item.pk,
            "pay-paid_on": w.today.isoformat(),
            "pay-method": "bank_transfer",
            "pay-reference": "이체 1호",
        },
        effect=lambda w, r: _refund_status(w, r, "claimed_refund", status="paid"),
    ),
]

# --- founding completion (창립총회 뒤 설립동의자 → 조합원) ---------------------------------------
# Made lazily from the path function (before the state snapshot), as the refunds are.


def closed_founding(w):
    """A closed founding meeting of 세리오 whose articles passed, with one consenter left."""
    if not hasattr(w, "closed_founding"):
        from dure.governance.models import AgendaItem, Assembly, FoundingConsent, Member

        at = timezone.now() - dt.timedelta(days=1)
        w.closed_founding = Assembly.objects.create(
            organisation=w.serio,
            kind="founding",
            title="매트릭스 폐회 창립총회",
            scheduled_at=at,
            place="회의실",
            purpose="설립",
            status="closed",
            voting_members=1,
            opened_at=at,
            closed_at=at,
        )
        AgendaItem.objects.create(
            assembly=w.closed_founding,
            order=1,
            title="정관 승인",
            matter="articles_amendment",
            resolution="special",
            status="closed",
            present=1,
            yes=1,
            no=0,
            abstain=0,
            required_present=1,
            required_yes=1,
            passed=True,
            explanation="가결",
            closed_at=at,
        )
        top = Member.objects.filter(organisation=w.serio).order_by("-number").first()
        consenter = Member.objects.create(
            organisation=w.serio,
            number=top.number + 1,
            name="매트릭스 완료 동의자",
            joined_on=at.date(),
            status="consenter",
            status_changed_on=at.date(),
        )
        FoundingConsent.objects.create(
            assembly=w.closed_founding, member=consenter, submitted_on=at.date()
        )
    return w


CASES += [
    *action(
        C + "assemblies/<int:pk>/founding/complete/",
        lambda w: f"/coop/assemblies/{closed_founding(w).closed_founding.pk}/founding/complete/",
        effect=exists("Member", name="매트릭스 완료 동의자", status="active"),
    ),
    post(
        C + "assemblies/<int:pk>/founding/complete/",
        lambda w: f"/coop/assemblies/{w.upcoming.pk}/founding/complete/",
        only(set()),
        variant="not a founding meeting",
    ),
]

# --- end of founding completion ------------------------------------------------------------------

_governance_state_without_refunds = governance_state


def governance_state() -> dict[str, Any]:  # noqa: F811 - adds the refunds to the snapshot
    from dure.governance.models import CapitalRefund

    return _governance_state_without_refunds() | {
        "CapitalRefund": list(CapitalRefund.objects.order_by("pk").values())
    }


# --- end of capital refunds ----------------------------------------------------------------------


def _params():
    for case in CASES:
        for role in ROLES:
            yield pytest.param(case, role, id=f"{case.id}-{role}")


@pytest.mark.parametrize(("case", "role"), list(_params()))
def test_governance_page_permission_matrix(case: Case, role: str, world, client_for):
    client = client_for(role)
    path = case.path(world)
    expected = case.expected[role]
    before = governance_state()
    if case.method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, case.data(world, role) if case.data else {})
    if expected == LOGIN:
        assert response.status_code == 302, (path, response.status_code)
        assert response["Location"].startswith("/accounts/login/?next="), response["Location"]
    elif expected == REDIRECT:
        assert response.status_code == 302, (path, response.status_code)
        assert not response["Location"].startswith("/accounts/login/"), response["Location"]
    else:
        assert response.status_code == expected, (path, response.status_code)
    if role in case.changes:
        if case.effect is not None:
            assert case.effect(world, role), "an allowed request must do what it asks"
    else:
        assert governance_state() == before, "a refused (or read-only) request changed the database"


def test_every_governance_url_has_a_matrix_entry():
    routes = {
        r for r in _routes(get_resolver().url_patterns) if r.startswith(C) and r != C + "check/"
    }
    covered: dict[str, set[str]] = {}
    for case in CASES:
        covered.setdefault(case.route, set()).add(case.method)
    missing = sorted(r for r in routes if covered.get(r) != {"GET", "POST"})
    assert not missing, f"governance URLs without a GET and a POST entry: {missing}"
    stale = sorted(set(covered) - routes)
    assert not stale, f"matrix entries for URLs that no longer exist: {stale}"


def test_every_case_names_every_role():
    for case in CASES:
        assert set(case.expected) == set(ROLES), case.id
