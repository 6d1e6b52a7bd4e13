"""Delegate elections and delegate assemblies (대의원, art. 31, Decree art. 9) and founding
meetings (창립총회, art. 15, Decree art. 6; social cooperatives art. 85, Decree art. 19): the
services at every boundary of the rules, and the pages that record them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dure.governance import rules, selectors, services
from dure.governance.models import (
    Assembly,
    AssemblyKind,
    Attendance,
    Delegate,
    Founder,
    FoundingConsent,
    Matter,
    Member,
    MemberStatus,
    Proxy,
)

from .conftest import add_members
from .test_services import codes

pytestmark = pytest.mark.django_db


def grow(org, total: int) -> list[Member]:
    """Bring the cooperative to ``total`` active members; all of them, by number."""
    have = Member.objects.filter(organisation=org, status=MemberStatus.ACTIVE).count()
    if total > have:
        add_members(org, total - have)
    return list(
        Member.objects.filter(organisation=org, status=MemberStatus.ACTIVE).order_by("number")
    )


def elect(chair, org, members, *, starts_on=None, ends_on=None):
    today = timezone.localdate()
    return services.delegates_elect(
        actor=chair,
        organisation=org,
        member_ids=[m.pk for m in members],
        elected_on=today,
        starts_on=starts_on or today,
        ends_on=ends_on or today + dt.timedelta(days=2 * 365),
    )


def convene(chair, org, kind, *, days=10, title="회의"):
    return services.assembly_convene(
        actor=chair,
        organisation=org,
        kind=kind,
        title=title,
        scheduled_at=timezone.now() + dt.timedelta(days=days),
        place="회의실",
        purpose="의결",
        board_decision="이사회 결의" if kind != AssemblyKind.FOUNDING else "",
    )


# --- rules: the number of delegates -----------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "cap", "required"),
    [
        (201, 100, 21),  # ⌈20.1⌉
        (210, 100, 21),
        (1000, 100, 100),
        (1500, 100, 100),  # 150 capped at 100
        (1500, 120, 120),  # the articles' own cap
        (1500, 50, 100),  # never below the Decree's 100
        (1500, 10_000, 150),
    ],
)
def test_required_delegates_is_ten_percent_rounded_up_capped(members, cap, required):
    assert rules.required_delegates(members, cap) == required


# --- delegate elections -------------------------------------------------------------------------


def test_no_delegates_are_elected_in_a_cooperative_of_200_members(users, serio):
    members = grow(serio, 200)
    with pytest.raises(ValidationError) as exc:
        elect(users["coop"], serio, members[:30])
    assert "200명을 넘는" in " ".join(exc.value.messages)
    assert not Delegate.objects.exists()


def test_201_members_need_21_delegates_20_are_refused(users, serio):
    members = grow(serio, 201)
    with pytest.raises(ValidationError) as exc:
        elect(users["coop"], serio, members[:20])
    message = " ".join(exc.value.messages)
    assert "조합원 201명이면 21명 이상, 현재 20명" in message
    assert codes(exc.value) == {"delegate_assembly"}
    assert not Delegate.objects.exists()
    rows = elect(users["coop"], serio, members[:21])
    assert len(rows) == 21
    summary = selectors.delegate_summary(serio)
    assert (summary.total_members, summary.required, summary.in_office) == (201, 21, 21)
    assert summary.allowed


def test_the_cooperatives_cap_applies(users, serio):
    from dure.governance.models import CoopSettings

    members = grow(serio, 201)
    CoopSettings.objects.update_or_create(organisation=serio, defaults={"delegate_cap": 150})
    # 21 < 150: the cap does not bite below 1,500 members
    assert selectors.delegate_summary(serio).required == 21
    elect(users["coop"], serio, members[:21])


def test_elected_must_be_active_members_of_the_cooperative(users, serio, org):
    members = grow(serio, 201)
    members[5].status = MemberStatus.WITHDRAWN
    members[5].status_changed_on = timezone.localdate()
    members[5].save()
    with pytest.raises(ValidationError) as exc:
        elect(users["coop"], serio, members[:22])
    assert codes(exc.value) == {"not_member"}
    assert not Delegate.objects.exists()


def test_a_member_is_not_elected_twice_for_overlapping_terms(users, serio):
    members = grow(serio, 201)
    elect(users["coop"], serio, members[:21])
    with pytest.raises(ValidationError) as exc:
        elect(users["coop"], serio, members[20:42])
    assert codes(exc.value) == {"already_delegate"}


def test_a_term_ends_on_or_after_its_start_in_the_database(serio):
    member = grow(serio, 8)[0]
    day = timezone.localdate()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delegate.objects.create(
            member=member, elected_on=day, starts_on=day, ends_on=day - dt.timedelta(days=1)
        )
    Delegate.objects.create(
        member=member, elected_on=day, starts_on=day, ends_on=day + dt.timedelta(days=9)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Delegate.objects.create(
            member=member, elected_on=day, starts_on=day, ends_on=day + dt.timedelta(days=30)
        )


def test_ending_a_term_with_a_successor(users, serio):
    members = grow(serio, 201)
    rows = elect(users["coop"], serio, members[:21])
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    first = rows[0]
    services.delegate_end(
        actor=users["coop"], delegate=first, left_on=tomorrow, reason="사임", successor=members[30]
    )
    first.refresh_from_db()
    assert first.left_on == tomorrow
    assert services.delegates_in_office(serio.pk, today).filter(member=members[0]).exists()
    assert not services.delegates_in_office(serio.pk, tomorrow).filter(member=members[0]).exists()
    successor = Delegate.objects.get(member=members[30])
    assert (successor.starts_on, successor.ends_on, successor.replaces_id) == (
        tomorrow,
        first.ends_on,
        first.pk,
    )
    assert services.delegates_in_office(serio.pk, tomorrow).count() == 21
    with pytest.raises(ValidationError) as exc:
        services.delegate_end(actor=users["coop"], delegate=first, left_on=tomorrow, reason="x")
    assert codes(exc.value) == {"already_ended"}


def test_only_officers_elect_delegates(users, serio):
    from django.core.exceptions import PermissionDenied

    members = grow(serio, 201)
    with pytest.raises(PermissionDenied):
        elect(users["member"], serio, members[:21])


# --- delegate assemblies --------------------------------------------------------------------------


def test_a_delegate_assembly_is_refused_with_200_members(users, serio):
    grow(serio, 200)
    with pytest.raises(ValidationError) as exc:
        convene(users["coop"], serio, AssemblyKind.DELEGATE)
    assert "조합원 200명" in " ".join(exc.value.messages)
    assert not Assembly.objects.filter(organisation=serio, kind="delegate").exists()


def test_a_delegate_assembly_needs_the_required_delegates_in_office(users, serio):
    members = grow(serio, 201)
    with pytest.raises(ValidationError) as exc:
        convene(users["coop"], serio, AssemblyKind.DELEGATE)
    assert "21명 이상, 현재 0명" in " ".join(exc.value.messages)
    rows = elect(users["coop"], serio, members[:21])
    assembly = convene(users["coop"], serio, AssemblyKind.DELEGATE)
    # one delegate leaves before the meeting: 20 < 21, the session cannot open
    services.delegate_end(
        actor=users["coop"], delegate=rows[0], left_on=timezone.localdate(), reason="탈퇴"
    )
    with pytest.raises(ValidationError) as exc:
        services.assembly_open(actor=users["coop"], assembly=assembly)
    assert "21명 이상, 현재 20명" in " ".join(exc.value.messages)
    assembly.refresh_from_db()
    assert assembly.status == "convened"


@pytest.fixture
def delegate_assembly(users, serio):
    members = grow(serio, 201)
    chair_member = Member.objects.get(organisation=serio, user=users["coop"])
    delegates = [chair_member, *[m for m in members if m.pk != chair_member.pk][:20]]
    elect(users["coop"], serio, delegates)
    assembly = convene(users["coop"], serio, AssemblyKind.DELEGATE, title="대의원총회")
    item = services.agenda_item_add(
        actor=users["coop"], assembly=assembly, title="예산", matter=Matter.BUDGET
    )
    assembly = services.assembly_open(actor=users["coop"], assembly=assembly)
    non_delegates = [m for m in members if m not in delegates]
    return assembly, item, delegates, non_delegates


def test_the_quorum_of_a_delegate_assembly_counts_the_delegates(users, delegate_assembly):
    assembly, item, delegates, _others = delegate_assembly
    assert assembly.voting_members == 21  # not the 201 members
    quorum = selectors.quorum(assembly)
    assert (quorum.members, quorum.required) == (21, 11)
    services.checkins_bulk(assembly=assembly, member_ids=[d.pk for d in delegates[:11]])
    assert selectors.quorum(assembly).met
    services.tally_enter(actor=users["coop"], item=item, yes=6, no=5, abstain=0)
    closed = services.item_close(actor=users["coop"], item=item)
    assert closed.passed and closed.required_present == 11


def test_a_non_delegate_cannot_check_in_at_a_delegate_assembly(users, delegate_assembly):
    assembly, _item, delegates, others = delegate_assembly
    with pytest.raises(ValidationError) as exc:
        services.member_check_in(actor=users["coop"], assembly=assembly, member=others[0])
    assert codes(exc.value) == {"not_delegate"}
    assert "대의원이 아닙니다" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError) as exc:
        services.checkins_bulk(assembly=assembly, member_ids=[delegates[1].pk, others[0].pk])
    assert codes(exc.value) == {"not_eligible"}
    assert not Attendance.objects.filter(assembly=assembly).exists()
    # by QR: the token names a non-delegate
    token = services.checkin_token(assembly, others[1])
    member = services.member_from_token(assembly, token)
    with pytest.raises(ValidationError):
        services.member_check_in(actor=users["coop"], assembly=assembly, member=member)
    services.member_check_in(actor=users["coop"], assembly=assembly, member=delegates[1])
    assert Attendance.objects.filter(assembly=assembly).count() == 1
    assert set(selectors.absent_members(assembly)) == set(delegates) - {delegates[1]}


def test_delegates_cannot_vote_by_proxy(users, delegate_assembly):
    assembly, _item, delegates, _others = delegate_assembly
    with pytest.raises(ValidationError) as exc:
        services.proxy_register(
            actor=users["coop"],
            assembly=assembly,
            member=delegates[1],
            proxy_member=delegates[2],
            authorisation_reference="위임장",
        )
    assert "대리인을 통해" in " ".join(exc.value.messages)
    assert not Proxy.objects.exists()


def test_a_delegate_assembly_cannot_decide_a_merger(users, delegate_assembly):
    assembly, *_rest = delegate_assembly
    upcoming = convene(users["coop"], assembly.organisation, AssemblyKind.DELEGATE)
    with pytest.raises(ValidationError) as exc:
        services.agenda_item_add(
            actor=users["coop"], assembly=upcoming, title="합병", matter=Matter.MERGER
        )
    assert codes(exc.value) == {"delegate_matter"}


# --- founding meetings ----------------------------------------------------------------------------


def founders(chair, assembly, n, types=("worker",)):
    for i in range(n):
        services.founder_add(
            actor=chair,
            assembly=assembly,
            name=f"발기인{i + 1}",
            stakeholder_type=types[i % len(types)],
        )


def consents(chair, assembly, n):
    return [
        services.consent_record(
            actor=chair,
            assembly=assembly,
            name=f"동의자{i + 1}",
            stakeholder_type="consumer",
            submitted_on=timezone.localdate(),
        )
        for i in range(n)
    ]


@pytest.fixture
def founding(users, serio):
    assembly = convene(users["coop"], serio, AssemblyKind.FOUNDING, title="창립총회")
    services.agenda_item_add(
        actor=users["coop"], assembly=assembly, title="정관 승인", matter=Matter.ARTICLES_AMENDMENT
    )
    return assembly


def test_a_founding_meeting_needs_no_board_decision(founding):
    assert founding.status == "convened" and founding.board_decision == ""


def test_four_founders_cannot_announce_five_can(users, founding):
    founders(users["coop"], founding, 4)
    with pytest.raises(ValidationError) as exc:
        services.notice_send(actor=users["coop"], assembly=founding)
    assert "5명 이상" in " ".join(exc.value.messages) and "현재 4명" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError):
        services.assembly_open(actor=users["coop"], assembly=founding)
    assert not founding.notices.exists()
    services.founder_add(
        actor=users["coop"], assembly=founding, name="발기인5", stakeholder_type="worker"
    )
    consents(users["coop"], founding, 3)
    notice = services.notice_send(actor=users["coop"], assembly=founding)
    # the notice goes to the consenters, not to the register's members
    assert len(notice.recipients) == 3


def test_a_social_cooperative_needs_two_stakeholder_types(users, founding, serio):
    from dure.directory.models import Organisation

    Organisation.objects.filter(pk=serio.pk).update(kind="social_cooperative")
    founding = Assembly.objects.select_related("organisation").get(pk=founding.pk)
    founders(users["coop"], founding, 5, types=("worker",))
    consents(users["coop"], founding, 3)
    with pytest.raises(ValidationError) as exc:
        services.notice_send(actor=users["coop"], assembly=founding)
    assert "2종류 이상" in " ".join(exc.value.messages)
    assert "현재 1종류" in " ".join(exc.value.messages)
    services.founder_add(
        actor=users["coop"], assembly=founding, name="후원자", stakeholder_type="sponsor"
    )
    services.notice_send(actor=users["coop"], assembly=founding)


def test_an_ordinary_cooperative_founders_may_be_of_one_type(users, founding):
    founders(users["coop"], founding, 5, types=("worker",))
    consents(users["coop"], founding, 1)
    services.notice_send(actor=users["coop"], assembly=founding)


def test_the_founding_quorum_counts_the_consent_forms(users, founding, serio):
    chair = users["coop"]
    founders(chair, founding, 5)
    forms = consents(chair, founding, 7)
    services.notice_send(actor=chair, assembly=founding)
    assembly = services.assembly_open(actor=chair, assembly=founding)
    assert assembly.voting_members == 7  # not serio's 8 members
    quorum = selectors.quorum(assembly)
    assert quorum.required == 4
    services.checkins_bulk(assembly=assembly, member_ids=[c.member_id for c in forms[:3]])
    assert not selectors.quorum(assembly).met  # 3 of 7
    services.member_check_in(actor=chair, assembly=assembly, member=forms[3].member)
    assert selectors.quorum(assembly).met  # 4 of 7
    # a member of the register who did not consent is not checked in
    outsider = Member.objects.get(organisation=serio, user=users["member"])
    with pytest.raises(ValidationError) as exc:
        services.member_check_in(actor=chair, assembly=assembly, member=outsider)
    assert codes(exc.value) == {"not_consenter"}
    # 2/3 of attendees whatever the matter: 4 present → 3 yes
    item = assembly.items.get()
    services.tally_enter(actor=chair, item=item, yes=3, no=1, abstain=0)
    closed = services.item_close(actor=chair, item=item)
    assert closed.passed and closed.required_yes == 3
    assert "출석 4명 중 찬성 3명" in closed.explanation


def test_consenters_are_not_members(users, founding, serio):
    before = Member.objects.filter(organisation=serio, status=MemberStatus.ACTIVE).count()
    forms = consents(users["coop"], founding, 2)
    assert Member.objects.filter(organisation=serio, status=MemberStatus.ACTIVE).count() == before
    assert {c.member.status for c in forms} == {MemberStatus.CONSENTER}
    assert FoundingConsent.objects.filter(assembly=founding).count() == 2
    with pytest.raises(ValidationError) as exc:
        services.consent_record(
            actor=users["coop"],
            assembly=founding,
            name="동의자1",
            stakeholder_type="consumer",
            submitted_on=timezone.localdate(),
        )
    assert codes(exc.value) == {"duplicate_consent"}


def test_a_founding_meeting_cannot_open_without_consents(users, founding):
    founders(users["coop"], founding, 5)
    with pytest.raises(ValidationError) as exc:
        services.assembly_open(actor=users["coop"], assembly=founding)
    assert codes(exc.value) == {"no_consents"}


def test_founders_and_consents_only_for_a_founding_meeting_before_it_opens(users, gov, founding):
    with pytest.raises(ValidationError) as exc:
        services.founder_add(
            actor=users["coop"], assembly=gov.assembly, name="x", stakeholder_type="worker"
        )
    assert codes(exc.value) == {"not_founding"}
    founders(users["coop"], founding, 5)
    consents(users["coop"], founding, 1)
    services.assembly_open(actor=users["coop"], assembly=founding)
    with pytest.raises(ValidationError) as exc:
        consents(users["coop"], founding, 1)
    assert codes(exc.value) == {"assembly_in_session"}


def test_a_founder_is_removed_only_before_the_notice(users, founding):
    founders(users["coop"], founding, 6)
    first = Founder.objects.filter(assembly=founding).first()
    services.founder_remove(actor=users["coop"], founder=first)
    assert Founder.objects.filter(assembly=founding).count() == 5
    consents(users["coop"], founding, 1)
    services.notice_send(actor=users["coop"], assembly=founding)
    with pytest.raises(ValidationError):
        services.founder_remove(
            actor=users["coop"], founder=Founder.objects.filter(assembly=founding).first()
        )


# --- pages ----------------------------------------------------------------------------------------


def test_delegate_pages(client_for, users, serio):
    members = grow(serio, 201)
    chair = client_for("coop")
    page = chair.get(f"/coop/{serio.pk}/delegates/elect/")
    assert page.status_code == 200 and "21" in page.content.decode()
    numbers = " ".join(str(m.number) for m in members[:20])
    r = chair.post(
        f"/coop/{serio.pk}/delegates/elect/",
        {
            "member_numbers": numbers,
            "elected_on": timezone.localdate().isoformat(),
            "starts_on": timezone.localdate().isoformat(),
            "ends_on": (timezone.localdate() + dt.timedelta(days=700)).isoformat(),
            "method": "assembly",
        },
    )
    assert r.status_code == 400
    assert "현재 20명" in r.content.decode()
    assert "aria-describedby" in r.content.decode()
    r = chair.post(
        f"/coop/{serio.pk}/delegates/elect/",
        {
            "member_numbers": numbers + f", {members[20].number}",
            "elected_on": timezone.localdate().isoformat(),
            "starts_on": timezone.localdate().isoformat(),
            "ends_on": (timezone.localdate() + dt.timedelta(days=700)).isoformat(),
            "method": "district",
            "district": "제1선거구",
        },
    )
    assert r.status_code == 302
    assert Delegate.objects.filter(district="제1선거구").count() == 21
    listing = client_for("member").get(f"/coop/{serio.pk}/delegates/").content.decode()
    assert members[0].name in listing and "퇴임 처리" not in listing
    delegate = Delegate.objects.get(member=members[0])
    r = chair.post(
        f"/coop/delegates/{delegate.pk}/end/",
        {"left_on": timezone.localdate().isoformat(), "reason": "사임"},
    )
    assert r.status_code == 302
    delegate.refresh_from_db()
    assert delegate.end_reason == "사임"


def test_founding_pages(client_for, users, founding):
    chair = client_for("coop")
    for i in range(5):
        r = chair.post(
            f"/coop/assemblies/{founding.pk}/founders/new/",
            {"name": f"페이지 발기인{i}", "stakeholder_type": "worker"},
        )
        assert r.status_code == 302
    r = chair.post(
        f"/coop/assemblies/{founding.pk}/consents/new/",
        {
            "name": "페이지 동의자",
            "kind": "person",
            "stakeholder_type": "consumer",
            "submitted_on": timezone.localdate().isoformat(),
        },
    )
    assert r.status_code == 302
    page = client_for("member").get(f"/coop/assemblies/{founding.pk}/").content.decode()
    assert "페이지 발기인0" in page and "페이지 동의자" in page
    assert "발기인 추가" not in page  # members read, officers edit
    r = chair.post(
        f"/coop/assemblies/{founding.pk}/consents/new/",
        {
            "name": "미래 동의자",
            "kind": "person",
            "stakeholder_type": "consumer",
            "submitted_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
        },
    )
    assert r.status_code == 400


# --- the closed record in the database (governance.triggers) ------------------------------------


@pytest.fixture
def closed_item(opened):
    from dure.governance.models import AgendaItem

    chair = opened.chair
    services.checkins_bulk(
        assembly=opened.assembly, member_ids=[m.pk for m in opened.members if m.is_active]
    )
    services.tally_enter(actor=chair, item=opened.tally_item, yes=5, no=1, abstain=0)
    services.item_close(actor=chair, item=opened.tally_item)
    services.ballot_cast(actor=chair, item=opened.ordinary, choice="yes")
    services.item_close(actor=chair, item=opened.ordinary)
    opened.closed_tally = AgendaItem.objects.get(pk=opened.tally_item.pk)
    opened.closed_ballots = AgendaItem.objects.get(pk=opened.ordinary.pk)
    return opened


def test_the_database_refuses_to_change_a_closed_item(closed_item):
    from django.db import DatabaseError

    from dure.governance.models import AgendaItem

    rows = AgendaItem.objects.filter(pk=closed_item.closed_tally.pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        rows.update(yes=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        rows.update(status="open")
    with pytest.raises(DatabaseError), transaction.atomic():
        rows.update(title="고친 제목")
    assert rows.get().yes == 5
    rows.update(yes=5)  # writing the same values changes nothing and is allowed


def test_the_database_refuses_to_change_a_closed_tally_or_ballot(closed_item, users):
    from django.db import DatabaseError

    from dure.governance.models import Ballot, BallotReceipt, Tally

    tally = Tally.objects.filter(item=closed_item.closed_tally)
    with pytest.raises(DatabaseError), transaction.atomic():
        tally.update(yes=0)
    tally.update(entered_by=None)  # erasing who entered it is allowed
    with pytest.raises(DatabaseError), transaction.atomic():
        Ballot.objects.filter(item=closed_item.closed_ballots).update(choice="no")
    with pytest.raises(DatabaseError), transaction.atomic():
        Ballot.objects.create(item=closed_item.closed_ballots, choice="yes")
    with pytest.raises(DatabaseError), transaction.atomic():
        BallotReceipt.objects.create(
            item=closed_item.closed_ballots, member=closed_item.other, cast_at=timezone.now()
        )
    assert Ballot.objects.filter(item=closed_item.closed_ballots).count() == 1
    # an open item still takes ballots
    Ballot.objects.create(item=closed_item.special, choice="yes")


# --- after the founding meeting: consenters become members ---------------------------------------


def _held_founding(chair, assembly, n_consents=3, *, yes=None):
    """Founders, ``n_consents`` consent forms, the meeting opened with everyone present and the
    articles item tallied (all yes unless ``yes`` says otherwise) and closed. Returns the forms."""
    founders(chair, assembly, 5)
    forms = consents(chair, assembly, n_consents)
    assembly = services.assembly_open(actor=chair, assembly=assembly)
    services.checkins_bulk(assembly=assembly, member_ids=[c.member_id for c in forms])
    item = assembly.items.get()
    yes = n_consents if yes is None else yes
    services.tally_enter(actor=chair, item=item, yes=yes, no=n_consents - yes, abstain=0)
    services.item_close(actor=chair, item=item)
    return forms


def _register(org):
    from dure.core.models import AuditEvent

    return (
        list(Member.objects.filter(organisation=org).order_by("pk").values()),
        AuditEvent.objects.count(),
    )


def test_founding_complete_is_refused_before_the_meeting_closes(users, founding, serio):
    chair = users["coop"]
    _held_founding(chair, founding)
    before = _register(serio)
    with pytest.raises(ValidationError) as exc:
        services.founding_complete(actor=chair, assembly=founding)
    assert codes(exc.value) == {"not_closed"}
    assert "폐회한 뒤" in " ".join(exc.value.messages)
    assert _register(serio) == before


def test_founding_complete_is_refused_when_the_articles_did_not_pass(users, founding, serio):
    chair = users["coop"]
    forms = _held_founding(chair, founding, 3, yes=1)  # 1 of 3: short of 2/3
    services.assembly_close(actor=chair, assembly=founding)
    before = _register(serio)
    with pytest.raises(ValidationError) as exc:
        services.founding_complete(actor=chair, assembly=founding)
    assert codes(exc.value) == {"founding_not_resolved"}
    assert "정관" in " ".join(exc.value.messages)
    assert _register(serio) == before
    assert {Member.objects.get(pk=c.member_id).status for c in forms} == {MemberStatus.CONSENTER}


def test_founding_complete_needs_the_articles_not_just_any_passed_item(users, serio):
    chair = users["coop"]
    assembly = convene(chair, serio, AssemblyKind.FOUNDING, title="예산만 의결한 창립총회")
    services.agenda_item_add(actor=chair, assembly=assembly, title="예산", matter=Matter.BUDGET)
    _held_founding(chair, assembly, 2)
    services.assembly_close(actor=chair, assembly=assembly)
    assert assembly.items.get().passed
    with pytest.raises(ValidationError) as exc:
        services.founding_complete(actor=chair, assembly=assembly)
    assert codes(exc.value) == {"founding_not_resolved"}


def test_only_officers_complete_a_founding_meeting(users, founding, serio):
    from django.core.exceptions import PermissionDenied

    chair = users["coop"]
    _held_founding(chair, founding)
    services.assembly_close(actor=chair, assembly=founding)
    before = _register(serio)
    with pytest.raises(PermissionDenied):
        services.founding_complete(actor=users["member"], assembly=founding)
    assert _register(serio) == before


def test_founding_complete_is_only_for_a_founding_meeting(users, gov):
    with pytest.raises(ValidationError) as exc:
        services.founding_complete(actor=users["coop"], assembly=gov.assembly)
    assert codes(exc.value) == {"not_founding"}


def test_founding_complete_makes_the_consenters_members_once(users, founding, serio):
    from dure.core.models import AuditEvent

    chair = users["coop"]
    # a consenter of another founding meeting stays a consenter
    other = convene(chair, serio, AssemblyKind.FOUNDING, title="다른 창립총회")
    stranger = services.consent_record(
        actor=chair,
        assembly=other,
        name="다른 동의자",
        stakeholder_type="consumer",
        submitted_on=timezone.localdate(),
    )
    forms = _held_founding(chair, founding, 4)
    closed = services.assembly_close(actor=chair, assembly=founding)
    active_before = Member.objects.filter(organisation=serio, status=MemberStatus.ACTIVE).count()

    assert services.founding_complete(actor=chair, assembly=founding) == 4

    day = timezone.localtime(closed.opened_at).date()
    admitted = Member.objects.filter(pk__in=[c.member_id for c in forms])
    assert {m.status for m in admitted} == {MemberStatus.ACTIVE}
    assert {m.joined_on for m in admitted} == {day}
    assert {m.status_changed_on for m in admitted} == {day}
    assert all("창립총회" in m.status_reason for m in admitted)
    assert (
        Member.objects.filter(organisation=serio, status=MemberStatus.ACTIVE).count()
        == active_before + 4
    )
    assert Member.objects.get(pk=stranger.member_id).status == MemberStatus.CONSENTER
    event = AuditEvent.objects.filter(action="governance.founding_complete").get()
    assert event.changes["admitted"] == 4

    # a second call changes nothing and says so
    before = _register(serio)
    assert services.founding_complete(actor=chair, assembly=founding) == 0
    assert _register(serio) == before


def test_founding_complete_page_and_api(client_for, users, founding, serio):
    chair_user = users["coop"]
    _held_founding(chair_user, founding, 2)
    services.assembly_close(actor=chair_user, assembly=founding)
    chair = client_for("coop")
    url = f"/coop/assemblies/{founding.pk}/founding/complete/"
    page = chair.get(f"/coop/assemblies/{founding.pk}/").content.decode()
    assert url in page and "설립동의자를 조합원으로 올리기" in page
    assert url not in client_for("member").get(f"/coop/assemblies/{founding.pk}/").content.decode()
    r = chair.post(url, follow=True)
    assert "설립동의자 2명을 조합원으로 올렸습니다." in r.content.decode()
    assert Member.objects.filter(consents__assembly=founding, status="active").count() == 2
    assert url not in r.content.decode()  # nobody left to admit: no button
    api = chair.post(f"/api/v1/governance/assemblies/{founding.pk}/founding/complete")
    assert api.status_code == 200 and api.json() == {"assembly_id": founding.pk, "admitted": 0}


def test_the_founding_complete_message_has_a_singular_and_a_plural(
    users, founding, serio, client_for, monkeypatch
):
    """The count goes through ngettext: English (given plural forms) says "1 consenter was"
    and "2 consenters were"; Korean keeps its one form."""
    from django.conf import settings
    from django.contrib.messages import get_messages
    from django.utils.translation import trans_real

    msgid = "설립동의자 %(n)s명을 조합원으로 올렸습니다."
    catalog = trans_real.translation("en")._catalog._catalogs[0]
    monkeypatch.setitem(catalog, (msgid, 0), "%(n)s consenter was admitted as a member.")
    monkeypatch.setitem(catalog, (msgid, 1), "%(n)s consenters were admitted as members.")
    chair = users["coop"]
    _held_founding(chair, founding, 2)
    services.assembly_close(actor=chair, assembly=founding)

    def complete(assembly, language):
        client = client_for("coop")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        r = client.post(f"/coop/assemblies/{assembly.pk}/founding/complete/")
        assert r.status_code == 302
        return [str(m) for m in get_messages(r.wsgi_request)]

    assert complete(founding, "en") == ["2 consenters were admitted as members."]
    other = convene(chair, serio, AssemblyKind.FOUNDING, title="두 번째 창립총회")
    services.agenda_item_add(
        actor=chair, assembly=other, title="정관 승인", matter=Matter.ARTICLES_AMENDMENT
    )
    _held_founding(chair, other, 1)
    services.assembly_close(actor=chair, assembly=other)
    with transaction.atomic():  # the Korean message, then undone to admit again in English
        assert complete(other, "ko") == ["설립동의자 1명을 조합원으로 올렸습니다."]
        transaction.set_rollback(True)
    assert complete(other, "en") == ["1 consenter was admitted as a member."]
