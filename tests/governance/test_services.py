"""The Act's rules as the services apply them to the record: shares, proxies, ballots, closing,
minutes, notices, expulsion, officers. A refused request leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dure.governance import services
from dure.governance.models import (
    AgendaItem,
    Attendance,
    Ballot,
    BallotReceipt,
    ExpulsionStatus,
    ItemStatus,
    Matter,
    Member,
    MemberStatus,
    MinutesStatus,
    Proxy,
    ShareIssue,
)

from .conftest import add_members

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> set[str]:
    return (
        {e.code for e in exc.error_list}
        if not hasattr(exc, "error_dict")
        else {e.code for errors in exc.error_dict.values() for e in errors}
    )


# --- the register and the 30 % cap -------------------------------------------------------------


def test_demo_serio_is_a_worker_cooperative_whose_employees_are_members(serio, users):
    # (the demo's former employee 문지현 withdrew: see test_capital_refunds)
    members = Member.objects.filter(organisation=serio, status=MemberStatus.ACTIVE)
    assert members.count() == 8
    assert set(members.values_list("stakeholder_type", flat=True)) == {"worker"}
    assert (
        members.filter(user=users["coop"]).exists()
        and members.filter(user=users["member"]).exists()
    )


def test_a_member_may_hold_exactly_30_percent_but_not_more(gov):
    # 8 members × 20 shares = 160. Adding x to one member: (20+x)/(160+x) ≤ 30 % ⟺ x ≤ 160/7·…
    member = gov.members[2]
    # 20 + 40 = 60 of 200 = 30 % exactly: allowed
    services.shares_issue(actor=gov.chair, member=member, count=40, unit_price=50_000)
    before = ShareIssue.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.shares_issue(actor=gov.chair, member=member, count=1, unit_price=50_000)
    assert "share_cap" in codes(exc.value)
    assert "30%" in str(exc.value)
    assert ShareIssue.objects.count() == before


def test_preferred_shares_are_outside_the_cap(gov):
    services.shares_issue(
        actor=gov.chair, member=gov.members[2], count=1000, unit_price=50_000, preferred=True
    )


def test_only_officers_register_members(gov):
    with pytest.raises(PermissionDenied):
        services.member_register(
            actor=gov.member_user,
            organisation=gov.org,
            name="새 조합원",
            joined_on=dt.date(2026, 1, 1),
        )
    m = services.member_register(
        actor=gov.chair, organisation=gov.org, name="새 조합원", joined_on=dt.date(2026, 1, 1)
    )
    assert m.number == 10  # after the demo's 8 members and the withdrawn 문지현 (9)


# --- notices -------------------------------------------------------------------------------------


def test_notice_eight_days_before_is_in_time_seven_is_late(users, serio):
    chair = users["coop"]
    for days, in_time in ((8, True), (7, False)):
        meeting = timezone.now() + dt.timedelta(days=days)
        a = services.assembly_convene(
            actor=chair,
            organisation=serio,
            kind="ordinary",
            title=f"{days}일 총회",
            scheduled_at=meeting,
            place="회의실",
            purpose="목적",
            board_decision="결의",
        )
        services.agenda_item_add(actor=chair, assembly=a, title="예산", matter="budget")
        notice = services.notice_send(actor=chair, assembly=a)
        assert notice.in_time is in_time
        assert notice.emailed == 2 and notice.mailed == 6


def test_notice_emails_members_with_an_address(gov, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_send(actor=gov.chair, assembly=gov.assembly)
    assert sorted(m.to[0] for m in mailoutbox) == ["coop@dure.example", "member@dure.example"]
    assert "예산 승인" in mailoutbox[0].body


def test_a_mail_server_failure_does_not_undo_the_notice(
    gov, monkeypatch, django_capture_on_commit_callbacks
):
    from django_tasks import TaskResultStatus
    from django_tasks.signals import task_finished

    from dure.governance import tasks
    from dure.governance.models import Notice

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(tasks, "send_mass_mail", refuse)
    finished = []

    def record(sender, task_result, **kwargs):
        finished.append(task_result)

    task_finished.connect(record)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            notice = services.notice_send(actor=gov.chair, assembly=gov.assembly)
    finally:
        task_finished.disconnect(record)
    assert Notice.objects.filter(pk=notice.pk, emailed=2).exists()
    assert [r.status for r in finished] == [TaskResultStatus.FAILED]
    assert "ConnectionRefusedError" in finished[0].errors[0].exception_class_path


def test_items_get_their_resolution_from_the_matter(gov):
    assert gov.ordinary.resolution == "ordinary"
    assert gov.special.resolution == "special"


# --- proxies -------------------------------------------------------------------------------------


def test_a_proxy_represents_only_one_member(opened):
    g = opened
    proxy_holder, first, second = g.members[2], g.members[3], g.members[4]
    services.proxy_register(
        actor=g.chair,
        assembly=g.assembly,
        member=first,
        proxy_member=proxy_holder,
        authorisation_reference="위임장 1호",
    )
    assert Attendance.objects.get(assembly=g.assembly, member=first).method == "proxy"
    before = Proxy.objects.count(), Attendance.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.proxy_register(
            actor=g.chair,
            assembly=g.assembly,
            member=second,
            proxy_member=proxy_holder,
            authorisation_reference="위임장 2호",
        )
    assert "1명만" in str(exc.value)
    assert (Proxy.objects.count(), Attendance.objects.count()) == before


def test_a_non_member_non_family_proxy_is_refused(opened):
    g = opened
    with pytest.raises(ValidationError) as exc:
        services.proxy_register(
            actor=g.chair,
            assembly=g.assembly,
            member=g.members[3],
            proxy_name="이웃 사람",
            cohabiting_family=False,
            authorisation_reference="위임장",
        )
    assert "동거하는 가족" in str(exc.value)
    assert not Proxy.objects.filter(assembly=g.assembly).exists()


def test_a_cohabiting_family_proxy_with_written_authorisation_is_accepted(opened):
    g = opened
    services.proxy_register(
        actor=g.chair,
        assembly=g.assembly,
        member=g.members[3],
        proxy_name="한가족",
        cohabiting_family=True,
        authorisation_reference="가족관계증명서와 위임장",
    )


def test_a_proxy_without_written_authorisation_is_refused(opened):
    g = opened
    with pytest.raises(ValidationError) as exc:
        services.proxy_register(
            actor=g.chair, assembly=g.assembly, member=g.members[3], proxy_member=g.members[2]
        )
    assert "위임장" in str(exc.value)


# --- ballots -------------------------------------------------------------------------------------


def test_a_checked_in_member_votes_once(opened):
    g = opened
    services.member_check_in(actor=g.chair, assembly=g.assembly, member=g.other)
    services.ballot_cast(actor=g.member_user, item=g.ordinary, choice="yes")
    with pytest.raises(ValidationError) as exc:
        services.ballot_cast(actor=g.member_user, item=g.ordinary, choice="no")
    assert "already_voted" in codes(exc.value)
    assert Ballot.objects.filter(item=g.ordinary).count() == 1
    assert Ballot.objects.get(item=g.ordinary).choice == "yes"


def test_a_ballot_without_check_in_is_refused(opened):
    g = opened
    with pytest.raises(ValidationError) as exc:
        services.ballot_cast(actor=g.member_user, item=g.ordinary, choice="yes")
    assert "not_checked_in" in codes(exc.value)
    assert not BallotReceipt.objects.filter(item=g.ordinary).exists()


def test_a_ballot_after_closing_is_refused(opened):
    g = opened
    services.member_check_in(actor=g.chair, assembly=g.assembly, member=g.other)
    services.item_close(actor=g.chair, item=g.ordinary)
    with pytest.raises(ValidationError) as exc:
        services.ballot_cast(actor=g.member_user, item=g.ordinary, choice="yes")
    assert "item_closed" in codes(exc.value)
    assert not Ballot.objects.filter(item=g.ordinary).exists()


def test_a_non_member_cannot_cast_a_ballot(opened):
    with pytest.raises(PermissionDenied):
        services.ballot_cast(actor=opened.users["sme"], item=opened.ordinary, choice="yes")


def test_a_secret_ballot_stores_who_apart_from_what(opened):
    g = opened
    services.member_check_in(actor=g.chair, assembly=g.assembly, member=g.other)
    services.ballot_cast(actor=g.member_user, item=g.special, choice="no")
    assert BallotReceipt.objects.filter(item=g.special, member=g.other).exists()
    ballot = Ballot.objects.get(item=g.special)
    assert ballot.member_id is None and ballot.choice == "no"


def test_secret_ballots_cannot_be_matched_to_receipts_by_insertion_order(opened):
    """Receipts say who voted, ballots what: a ballot has no member, no time and a random key,
    so nothing orders ballots the way receipts are ordered."""
    import uuid

    g = opened
    voters = list(g.members[:6])
    services.checkins_bulk(assembly=g.assembly, member_ids=[m.pk for m in voters])
    choices = ["yes", "no", "yes", "abstain", "no", "yes"]
    services.ballots_cast_bulk(
        item=g.special, votes=[(m.pk, c) for m, c in zip(voters, choices, strict=True)]
    )
    ballots = list(Ballot.objects.filter(item=g.special))
    assert sorted(b.choice for b in ballots) == sorted(choices)
    assert all(isinstance(b.pk, uuid.UUID) and b.member_id is None for b in ballots)
    assert not [f for f in Ballot._meta.concrete_fields if f.get_internal_type() == "DateTimeField"]


def test_a_proxy_holder_votes_for_the_member_they_represent(opened, users):
    g = opened
    services.member_check_in(actor=g.chair, assembly=g.assembly, member=g.other)
    services.proxy_register(
        actor=g.chair,
        assembly=g.assembly,
        member=g.members[5],
        proxy_member=g.other,
        authorisation_reference="위임장",
    )
    services.ballot_cast(actor=g.member_user, item=g.ordinary, choice="yes")
    services.ballot_cast(
        actor=g.member_user, item=g.ordinary, choice="yes", for_member=g.members[5]
    )
    assert BallotReceipt.objects.filter(item=g.ordinary).count() == 2
    with pytest.raises(PermissionDenied):
        services.ballot_cast(
            actor=g.member_user, item=g.ordinary, choice="yes", for_member=g.members[6]
        )


def test_remote_voting_needs_the_switch_and_an_ordinary_resolution(gov):
    with pytest.raises(ValidationError) as exc:
        services.agenda_item_add(
            actor=gov.chair, assembly=gov.assembly, title="원격", matter="other", remote_voting=True
        )
    assert "remote_not_allowed" in codes(exc.value)
    services.settings_update(actor=gov.chair, organisation=gov.org, remote_voting_enabled=True)
    with pytest.raises(ValidationError):
        services.agenda_item_add(
            actor=gov.chair,
            assembly=gov.assembly,
            title="원격 정관",
            matter="articles_amendment",
            remote_voting=True,
        )
    item = services.agenda_item_add(
        actor=gov.chair, assembly=gov.assembly, title="원격", matter="other", remote_voting=True
    )
    assert item.recording_mode == "electronic"


# --- closing and results -------------------------------------------------------------------------


def _check_in(g, n):
    for m in g.members[:n]:
        services.member_check_in(actor=g.chair, assembly=g.assembly, member=m)


def test_closing_computes_the_result_with_the_arithmetic(opened):
    g = opened
    _check_in(g, 7)  # 8 members: 5 needed; 7 present
    services.tally_enter(actor=g.chair, item=g.tally_item, yes=4, no=2, abstain=1)
    item = services.item_close(actor=g.chair, item=g.tally_item)
    assert item.passed is True and item.required_yes == 4 and item.required_present == 5
    assert "출석 7명 중 찬성 4명" in item.explanation and "가결" in item.explanation


def test_a_special_resolution_needs_two_thirds_of_those_present(opened):
    g = opened
    _check_in(g, 7)
    services.ballots_cast_bulk(
        item=g.special,
        votes=[(m.pk, "yes") for m in g.members[:4]] + [(m.pk, "abstain") for m in g.members[4:7]],
    )
    item = services.item_close(actor=g.chair, item=g.special)
    assert item.passed is False and item.required_yes == 5
    assert "< 2/3(5명) → 부결" in item.explanation


def test_without_a_quorum_nothing_passes(opened):
    g = opened
    _check_in(g, 4)  # exactly half of 8
    services.tally_enter(actor=g.chair, item=g.tally_item, yes=4, no=0, abstain=0)
    item = services.item_close(actor=g.chair, item=g.tally_item)
    assert item.passed is False and "성원 미달" in item.explanation


def test_a_closed_result_is_immutable(opened):
    g = opened
    _check_in(g, 6)
    services.tally_enter(actor=g.chair, item=g.tally_item, yes=6, no=0, abstain=0)
    services.item_close(actor=g.chair, item=g.tally_item)
    item = AgendaItem.objects.get(pk=g.tally_item.pk)
    item.passed = False
    with pytest.raises(ValidationError):
        item.save()
    with pytest.raises(ValidationError):
        services.tally_enter(actor=g.chair, item=item, yes=0, no=6, abstain=0)
    with pytest.raises(ValidationError):
        services.item_close(actor=g.chair, item=item)
    assert AgendaItem.objects.get(pk=item.pk).passed is True
    revote = services.item_revote(actor=g.chair, item=item)
    assert revote.revote_of_id == item.pk and revote.status == ItemStatus.PENDING


def test_a_tally_cannot_exceed_those_present(opened):
    g = opened
    _check_in(g, 5)
    with pytest.raises(ValidationError) as exc:
        services.tally_enter(actor=g.chair, item=g.tally_item, yes=5, no=1, abstain=0)
    assert "tally_exceeds_present" in codes(exc.value)


# --- minutes -------------------------------------------------------------------------------------


def test_minutes_need_the_chair_and_three_elected_members(opened, users):
    g = opened
    _check_in(g, 6)
    minutes = services.minutes_generate(actor=g.chair, assembly=g.assembly)
    assert "출석: 6명" in minutes.body
    with pytest.raises(ValidationError):
        services.minutes_signers_set(
            actor=g.chair, minutes=minutes, chair=g.me, members=[g.other, g.members[2]]
        )
    services.minutes_signers_set(
        actor=g.chair, minutes=minutes, chair=g.me, members=[g.other, g.members[2], g.members[3]]
    )
    services.minutes_sign(actor=g.chair, minutes=minutes)
    services.minutes_sign(actor=g.member_user, minutes=minutes)
    with pytest.raises(ValidationError) as exc:
        services.minutes_lock(actor=g.chair, minutes=minutes)
    assert "signatures_missing" in codes(exc.value)
    # the two others have no account here: give them one and sign
    from dure.accounts.models import User

    for i, m in enumerate(g.members[2:4]):
        u = User.objects.create(username=f"signer{i}")
        Member.objects.filter(pk=m.pk).update(user=u)
        services.minutes_sign(actor=u, minutes=minutes)
    with pytest.raises(ValidationError):
        services.minutes_update(actor=g.chair, minutes=minutes, body="고친 본문")
    locked = services.minutes_lock(actor=g.chair, minutes=minutes)
    assert locked.status == MinutesStatus.LOCKED
    minutes.refresh_from_db()
    minutes.body = "몰래 고침"
    with pytest.raises(ValidationError):
        minutes.save()
    amended = services.minutes_amend(actor=g.chair, minutes=locked)
    assert amended.version == 2 and amended.status == MinutesStatus.DRAFT


def test_only_a_named_signer_signs(opened):
    g = opened
    minutes = services.minutes_generate(actor=g.chair, assembly=g.assembly)
    with pytest.raises(PermissionDenied):
        services.minutes_sign(actor=g.member_user, minutes=minutes)


# --- expulsion -----------------------------------------------------------------------------------


def test_expulsion_notice_needs_ten_days(gov):
    case = services.expulsion_open(
        actor=gov.chair, member=gov.members[7], ground="unpaid", detail="2025년 회비 미납"
    )
    meeting = timezone.localtime(gov.assembly.scheduled_at).date()
    with pytest.raises(ValidationError) as exc:
        services.expulsion_schedule(
            actor=gov.chair,
            case=case,
            assembly=gov.assembly,
            notified_on=meeting - dt.timedelta(days=10),
        )
    assert "expulsion_notice_late" in codes(exc.value)
    case = services.expulsion_schedule(
        actor=gov.chair,
        case=case,
        assembly=gov.assembly,
        notified_on=meeting - dt.timedelta(days=11),
    )
    assert case.item.matter == Matter.EXPULSION and case.item.resolution == "special"


def test_an_expulsion_passed_by_special_resolution_expels(gov):
    g = gov
    target = g.members[7]
    case = services.expulsion_open(actor=g.chair, member=target, ground="non_use", detail="미이용")
    meeting = timezone.localtime(g.assembly.scheduled_at).date()
    # the agenda is added before the session; notice already sent, so schedule is still allowed
    case = services.expulsion_schedule(
        actor=g.chair, case=case, assembly=g.assembly, notified_on=meeting - dt.timedelta(days=12)
    )
    services.assembly_open(actor=g.chair, assembly=g.assembly)
    _check_in(g, 7)
    services.expulsion_hearing(actor=g.chair, case=case, record="본인이 출석해 소명함")
    services.tally_enter(actor=g.chair, item=case.item, yes=5, no=1, abstain=1)
    services.item_close(actor=g.chair, item=case.item)
    target.refresh_from_db()
    case.refresh_from_db()
    assert target.status == MemberStatus.EXPELLED and case.status == ExpulsionStatus.EXPELLED


# --- officers ------------------------------------------------------------------------------------


def test_officer_terms_up_to_four_years_and_chair_reelected_twice(gov):
    member = gov.members[5]
    with pytest.raises(ValidationError):
        services.officer_term_add(
            actor=gov.chair,
            member=member,
            office="director",
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2028, 1, 2),
        )
    services.officer_term_add(
        actor=gov.chair,
        member=member,
        office="director",
        starts_on=dt.date(2024, 1, 1),
        ends_on=dt.date(2027, 12, 31),
    )
    for year in (2012, 2016, 2020):
        services.officer_term_add(
            actor=gov.chair,
            member=member,
            office="chair",
            starts_on=dt.date(year, 1, 1),
            ends_on=dt.date(year + 3, 12, 31),
        )
    with pytest.raises(ValidationError) as exc:
        services.officer_term_add(
            actor=gov.chair,
            member=member,
            office="chair",
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2027, 12, 31),
        )
    assert "연임" in str(exc.value)


def test_only_officers_convene(users, serio):
    with pytest.raises(PermissionDenied):
        services.assembly_convene(
            actor=users["member"],
            organisation=serio,
            kind="ordinary",
            title="x",
            scheduled_at=timezone.now(),
            place="p",
            purpose="p",
            board_decision="b",
        )


def test_bulk_checkin_and_ballots_for_a_larger_cooperative(opened):
    g = opened
    extra = add_members(g.org, 50)
    ids = [m.pk for m in extra]
    assert services.checkins_bulk(assembly=g.assembly, member_ids=ids) == 50
    services.ballots_cast_bulk(item=g.ordinary, votes=[(i, "yes") for i in ids])
    with pytest.raises(ValidationError):
        services.ballots_cast_bulk(item=g.ordinary, votes=[(ids[0], "no")])
    assert Ballot.objects.filter(item=g.ordinary).count() == 50


def test_dues_arrears_and_payment_once_a_year(gov):
    from dure.governance import selectors
    from dure.governance.models import DuesSchedule

    schedule = DuesSchedule.objects.get(organisation=gov.org, name="연회비")
    owing = {a.member.name: a.years for a in selectors.arrears(gov.org, through_year=2025)}
    assert owing == {"윤생산": [2025]}
    late = gov.members[7]
    services.dues_payment_record(
        actor=gov.chair, member=late, schedule=schedule, year=2025, paid_on=dt.date(2026, 1, 5)
    )
    assert selectors.arrears(gov.org, through_year=2025) == []
    with pytest.raises(ValidationError) as exc:
        services.dues_payment_record(
            actor=gov.chair, member=late, schedule=schedule, year=2025, paid_on=dt.date(2026, 1, 6)
        )
    assert "already_paid" in codes(exc.value)


def test_compliance_alerts_for_the_council_and_serio(org, serio):
    from dure.governance import selectors

    codes_by_org = {
        name: {a.code for a in selectors.compliance_alerts(o)}
        for name, o in (("serio", serio), ("council", org("서울지역협동조합협의회")))
    }
    # the council's last assembly was on 31 March 2022: more than two years ago
    assert "no_assembly_two_years" in codes_by_org["council"]
    assert "too_few_members" not in codes_by_org["serio"]


def test_a_cooperative_of_8_members_cannot_convene_a_delegate_assembly(users, serio):
    # (a delegate assembly of a large cooperative cannot decide a merger:
    # test_delegates_founding.py)
    with pytest.raises(ValidationError) as exc:
        services.assembly_convene(
            actor=users["coop"],
            organisation=serio,
            kind="delegate",
            title="대의원총회",
            scheduled_at=timezone.now() + dt.timedelta(days=9),
            place="회의실",
            purpose="합병",
            board_decision="결의",
        )
    assert "delegate_assembly" in codes(exc.value)
    assert "조합원 8명" in " ".join(exc.value.messages)


def test_a_board_meeting_counts_directors_and_takes_no_proxy(users, serio):
    chair = users["coop"]
    board = services.assembly_convene(
        actor=chair,
        organisation=serio,
        kind="board",
        title="이사회",
        scheduled_at=timezone.now() + dt.timedelta(days=3),
        place="회의실",
        purpose="총회 소집 결의",
    )
    item = services.agenda_item_add(actor=chair, assembly=board, title="총회 소집", matter="other")
    board = services.assembly_open(actor=chair, assembly=board)
    assert board.voting_members == 3  # the chair and two directors (the auditor does not vote)
    members = list(Member.objects.filter(organisation=serio).order_by("number"))
    with pytest.raises(ValidationError):
        services.member_check_in(actor=chair, assembly=board, member=members[1])  # not a director
    with pytest.raises(ValidationError) as exc:
        services.proxy_register(
            actor=chair,
            assembly=board,
            member=members[2],
            proxy_member=members[0],
            authorisation_reference="위임장",
        )
    assert "이사회" in str(exc.value)
    for m in (members[0], members[2]):
        services.member_check_in(actor=chair, assembly=board, member=m)
    services.tally_enter(actor=chair, item=item, yes=2, no=0, abstain=0)
    closed = services.item_close(actor=chair, item=item)
    assert closed.passed is True and closed.required_present == 2


@pytest.mark.parametrize("cap", [99, 0, -1, 100_001, True, "150", 150.0])
def test_the_delegate_cap_is_a_whole_number_of_at_least_100(gov, cap):
    from dure.governance.models import CoopSettings

    with pytest.raises(ValidationError) as exc:
        services.settings_update(
            actor=gov.chair, organisation=gov.org, remote_voting_enabled=True, delegate_cap=cap
        )
    assert "invalid_delegate_cap" in codes(exc.value)
    assert "delegate_cap" in exc.value.error_dict
    row = CoopSettings.objects.get_or_create(organisation=gov.org)[0]
    assert (row.delegate_cap, row.remote_voting_enabled) == (100, False)


def test_the_delegate_cap_change_is_audited_and_used(gov):
    from dure.core.models import AuditEvent
    from dure.governance import rules

    services.settings_update(
        actor=gov.chair, organisation=gov.org, remote_voting_enabled=False, delegate_cap=100
    )
    row = services.settings_update(
        actor=gov.chair, organisation=gov.org, remote_voting_enabled=False, delegate_cap=250
    )
    assert row.delegate_cap == 250
    assert services.coop_settings(gov.org).delegate_cap == 250
    assert rules.required_delegates(3000, services._delegate_cap(gov.org)) == 250
    event = AuditEvent.objects.filter(action="governance.settings_update").latest("pk")
    assert event.changes == {"remote_voting_enabled": False, "delegate_cap": 250}
    # leaving the cap out keeps it
    services.settings_update(actor=gov.chair, organisation=gov.org, remote_voting_enabled=True)
    assert services.coop_settings(gov.org).delegate_cap == 250
