"""Fixtures of the governance tests: 세리오협동조합 (demo: the chair ``coop``, ``member`` and six
employees) with a convened assembly ready to open, and helpers to make members."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone


@pytest.fixture
def serio(org):
    return org("세리오협동조합")


@pytest.fixture
def gov(users, serio):
    """세리오 with its register and an assembly convened 10 days ahead, notice sent, open."""
    from dure.governance import services
    from dure.governance.models import Matter, Member, RecordingMode

    chair = users["coop"]
    members = list(Member.objects.filter(organisation=serio).order_by("number"))
    when = timezone.now() + dt.timedelta(days=10)
    assembly = services.assembly_convene(
        actor=chair,
        organisation=serio,
        kind="extraordinary",
        title="테스트 임시총회",
        scheduled_at=when,
        place="대덕 회의실",
        purpose="테스트 안건을 의결합니다.",
        board_decision="이사회 결의",
    )
    ordinary = services.agenda_item_add(
        actor=chair,
        assembly=assembly,
        title="사업계획 승인",
        matter=Matter.BUSINESS_PLAN,
        recording_mode=RecordingMode.ELECTRONIC,
    )
    special = services.agenda_item_add(
        actor=chair,
        assembly=assembly,
        title="정관 변경",
        matter=Matter.ARTICLES_AMENDMENT,
        recording_mode=RecordingMode.ELECTRONIC,
        secret_ballot=True,
    )
    tally_item = services.agenda_item_add(
        actor=chair, assembly=assembly, title="예산 승인", matter=Matter.BUDGET
    )
    services.notice_send(actor=chair, assembly=assembly)
    return SimpleNamespace(
        chair=chair,
        member_user=users["member"],
        users=users,
        org=serio,
        members=members,
        me=members[0],
        other=members[1],
        assembly=assembly,
        ordinary=ordinary,
        special=special,
        tally_item=tally_item,
    )


@pytest.fixture
def opened(gov):
    """The assembly in session with the two electronic items open."""
    from dure.governance import services

    gov.assembly = services.assembly_open(actor=gov.chair, assembly=gov.assembly)
    gov.ordinary = services.item_open(actor=gov.chair, item=gov.ordinary)
    gov.special = services.item_open(actor=gov.chair, item=gov.special)
    return gov


def add_members(org, n, *, prefix="조합원", user_factory=None):
    from dure.governance.models import Member, MemberStatus

    top = Member.objects.filter(organisation=org).order_by("-number").first()
    start = (top.number if top else 0) + 1
    return Member.objects.bulk_create(
        [
            Member(
                organisation=org,
                number=start + i,
                name=f"{prefix}{start + i}",
                joined_on=dt.date(2020, 1, 1),
                status=MemberStatus.ACTIVE,
                user=user_factory(i) if user_factory else None,
            )
            for i in range(n)
        ]
    )
