"""The workflow: triage, assignment ("one team, one SME"), the moves, conversation,
resolution, survey, reopen — every move writes an event and an audit row; a refused move
changes nothing."""

from __future__ import annotations

import datetime as dt
import sys
import types

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from dure.core.models import AuditEvent
from dure.desk import links, notifications, selectors, services
from dure.desk.models import (
    Case,
    CaseEvent,
    CaseMessage,
    CompanyTeam,
    Status,
    Team,
    TeamMember,
)

pytestmark = pytest.mark.django_db


def state(case):
    case.refresh_from_db()
    return (
        case.status,
        case.team_id,
        case.assignee_id,
        case.lead_institute_id,
        CaseEvent.objects.filter(case=case).count(),
        AuditEvent.objects.count(),
        CaseMessage.objects.filter(case=case).count(),
    )


def test_the_whole_journey_writes_one_event_per_step(desk, flow, mailoutbox):
    case = flow("closed")
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == [
        "submitted",
        "triaged",
        "assigned",
        "started",
        "resolved",
        "closed",
    ]
    transitions = list(case.events.exclude(to_status="").values_list("from_status", "to_status"))
    assert transitions == [
        ("", "received"),
        ("received", "triaged"),
        ("triaged", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
    ]
    actions = set(
        AuditEvent.objects.filter(object_type="desk.case", object_id=str(case.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"desk.case.triaged", "desk.case.resolved", "desk.case.closed"} <= actions


MOVES = {
    "start": lambda d, c: services.case_start(actor=d.researcher, case=c),
    "wait": lambda d, c: services.case_wait_for_requester(actor=d.researcher, case=c),
    "resume": lambda d, c: services.case_resume(actor=d.researcher, case=c),
    "resolve": lambda d, c: services.case_resolve(
        actor=d.researcher, case=c, outcome="information"
    ),
    "close": lambda d, c: services.case_close(actor=d.center, case=c),
    "reopen": lambda d, c: services.case_reopen(actor=d.center, case=c),
    "assign": lambda d, c: services.case_assign(actor=d.center, case=c, team=d.team),
}
ALLOWED = {
    "start": {"assigned"},
    "wait": {"in_progress"},
    "resume": {"waiting"},
    "resolve": {"assigned", "in_progress", "waiting"},
    "close": {"resolved", "triaged"},  # an untreated case is dismissed with a reason
    "reopen": {"resolved", "closed"},
    "assign": {"triaged", "assigned", "in_progress", "waiting"},
}


STATES = ["triaged", "assigned", "in_progress", "waiting", "resolved", "closed"]


@pytest.mark.parametrize(
    ("move", "start_state"),
    [(m, s) for m in sorted(MOVES) for s in STATES if s not in ALLOWED[m]],
)
def test_a_move_from_a_state_that_does_not_allow_it_is_refused_and_changes_nothing(
    desk, flow, move, start_state
):
    case = flow(start_state)
    before = state(case)
    with pytest.raises(services.DeskError) as refused:
        MOVES[move](desk, case)
    assert refused.value.code == "transition_not_allowed"
    assert str(refused.value.messages[0])
    assert state(case) == before


@pytest.mark.parametrize(
    ("move", "who"),
    [
        ("start", "kimm_researcher"),
        ("start", "sme"),
        ("resolve", "regional_staff"),  # not this centre's case
        ("resolve", "etri_researcher"),
        ("wait", "admin_less"),
    ],
)
def test_a_move_by_someone_without_the_right_is_refused_and_changes_nothing(desk, flow, move, who):
    case = flow("assigned" if move == "start" else "in_progress")
    actor = getattr(desk, who, None)
    before = state(case)
    with pytest.raises(PermissionDenied):
        {
            "start": lambda: services.case_start(actor=actor, case=case),
            "resolve": lambda: services.case_resolve(actor=actor, case=case, outcome="information"),
            "wait": lambda: services.case_wait_for_requester(actor=actor, case=case),
        }[move]()
    assert state(case) == before


def test_only_centre_staff_and_admins_triage(desk, submit):
    case = submit()
    for who in (desk.researcher, desk.sme, desk.jeju_staff):
        with pytest.raises(PermissionDenied):
            services.case_triage(
                actor=who, case=case, category="consulting", lead_institute=desk.kitech
            )
    services.case_triage(
        actor=desk.admin, case=case, category="consulting", lead_institute="KITECH"
    )
    assert Case.objects.get(pk=case.pk).status == Status.TRIAGED


def test_triage_validates_its_choices(desk, submit):
    case = submit()
    before = state(case)
    for kwargs, code in (
        ({"category": "magic", "lead_institute": desk.kitech}, "category_invalid"),
        ({"category": "consulting", "lead_institute": desk.national}, "organisation_invalid"),
        ({"category": "consulting", "lead_institute": "NOPE"}, "organisation_invalid"),
        (
            {"category": "consulting", "lead_institute": desk.kitech, "priority": "asap"},
            "priority_invalid",
        ),
        ({"category": "consulting", "lead_institute": desk.kitech, "sido": "99"}, "sido_invalid"),
    ):
        with pytest.raises(services.DeskError) as refused:
            services.case_triage(actor=desk.center, case=case, **kwargs)
        assert refused.value.code == code
    assert state(case) == before


def test_triage_keeps_the_recommendation_and_whether_staff_followed_it(desk, submit, monkeypatch):
    recorded = []
    fake = types.ModuleType("dure.routing.services")
    fake.recommend = lambda text, *, limit=None: [
        types.SimpleNamespace(institute="KIMM", score=0.6, evidence={}),
        types.SimpleNamespace(institute="KITECH", score=0.3, evidence={}),
    ][:limit]
    fake.routing_example_record = lambda **kwargs: recorded.append(kwargs)
    monkeypatch.setitem(sys.modules, "dure.routing.services", fake)
    case = submit()

    services.case_triage(
        actor=desk.center,
        case=case,
        category="rnd_short",
        lead_institute=desk.kitech,
        collaborating_institutes=[desk.kims, "KITECH"],
        priority="high",
        sido="48",
    )

    event = case.events.get(kind="triaged")
    assert event.data["recommended"] == ["KIMM", "KITECH"]
    assert event.data["recommended_first"] == "KIMM"
    assert event.data["decision"] == "overridden"
    assert event.data["lead_institute"] == "KITECH"
    assert event.data["collaborating_institutes"] == ["KIMS"]
    assert recorded == [
        {
            "actor": desk.center,
            "text": case.routing_text,
            "institutes": ["KITECH", "KIMS"],
            "source": "desk.case",
            "source_id": case.pk,
        }
    ]
    # re-triage without a change of institutes records no new example; a change does
    services.case_triage(
        actor=desk.center,
        case=case,
        category="rnd_long",
        lead_institute="KITECH",
        collaborating_institutes=["KIMS"],
        recommended=["KITECH"],
    )
    assert len(recorded) == 1
    assert case.events.filter(kind="triaged").last().data["decision"] == "accepted"
    services.case_triage(
        actor=desk.center, case=case, category="rnd_long", lead_institute="KIMM", recommended=[]
    )
    assert len(recorded) == 2 and recorded[-1]["institutes"] == ["KIMM"]
    assert case.events.filter(kind="triaged").last().data["decision"] == "none"


def test_the_real_routing_app_learns_from_triage(desk, submit):
    routing = pytest.importorskip("dure.routing.services")
    from dure.routing.models import RoutingExample

    case = submit()
    services.case_triage(
        actor=desk.center,
        case=case,
        category="consulting",
        lead_institute="KITECH",
        recommended=["KITECH"],
    )
    example = RoutingExample.objects.get(source="desk.case", source_id=str(case.pk))
    assert example.institutes == ["KITECH"]
    assert hasattr(routing, "recommend")


def test_changing_the_lead_institute_of_an_assigned_case_sends_it_back_to_triaged(desk, flow):
    case = flow("in_progress")
    services.case_triage(
        actor=desk.center, case=case, category="consulting", lead_institute="KIMM", recommended=[]
    )
    case.refresh_from_db()
    assert case.status == Status.TRIAGED and case.team is None and case.assignee is None
    assert case.lead_institute == desk.kimm


# --- assignment ----------------------------------------------------------------------------------


def test_the_lead_institutes_staff_assign_to_their_team_only(desk, flow):
    case = flow("triaged")
    kimm_team = Team.objects.create(institute=desk.kimm, name="기계팀")
    with pytest.raises(services.DeskError) as refused:
        services.case_assign(actor=desk.kitech_staff, case=case, team=kimm_team)
    assert refused.value.code == "team_not_of_lead_institute"
    with pytest.raises(services.DeskError) as refused:
        services.case_assign(actor=desk.kitech_staff, case=case, assignee=desk.kimm_researcher)
    assert refused.value.code == "assignee_not_eligible"
    with pytest.raises(PermissionDenied):
        services.case_assign(actor=desk.kimm_researcher, case=case, team=desk.team)
    services.case_assign(actor=desk.kitech_staff, case=case, assignee=desk.researcher2)
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED and case.assignee == desk.researcher2


def test_an_sme_keeps_its_team_for_later_cases(desk, flow, submit):
    team = Team.objects.create(institute=desk.kitech, name="금형 전담팀")
    TeamMember.objects.create(team=team, user=desk.researcher2)
    first = flow("triaged")
    services.case_assign(actor=desk.kitech_staff, case=first, team=team)
    link = CompanyTeam.objects.get(institute=desk.kitech, business_number=first.business_number)
    assert link.team == team

    later = submit()  # same business number
    services.case_triage(
        actor=desk.center,
        case=later,
        category="consulting",
        lead_institute=desk.kitech,
        recommended=[],
    )
    later.refresh_from_db()
    assert services.company_team_for(later) == team
    services.case_assign(actor=desk.kitech_staff, case=later)  # nothing chosen: the SME's team
    later.refresh_from_db()
    assert later.team == team
    assert later.events.get(kind="assigned").data["company_team"] is True

    # another institute: no team of its own for this SME yet
    elsewhere = submit()
    services.case_triage(
        actor=desk.center,
        case=elsewhere,
        category="consulting",
        lead_institute=desk.kimm,
        recommended=[],
    )
    with pytest.raises(services.DeskError) as refused:
        services.case_assign(actor=desk.center, case=elsewhere)
    assert refused.value.code == "assignment_required"

    # staff change the SME's team: remembered for the next case
    services.case_assign(actor=desk.kitech_staff, case=later, team=desk.team)
    assert CompanyTeam.objects.get(pk=link.pk).team == desk.team


def test_balanced_assignment_picks_the_member_with_fewest_open_cases(desk, flow):
    team = Team.objects.create(institute=desk.kitech, name="균등 배정팀", auto_assign=True)
    for user in (desk.researcher, desk.researcher2, desk.kitech_staff):
        TeamMember.objects.create(team=team, user=user)
    picked = []
    for _i in range(6):
        case = flow("triaged", business_number="")
        services.case_assign(actor=desk.center, case=case, team=team, remember=False)
        case.refresh_from_db()
        picked.append(case.assignee)
    # the demo researcher already has open demo cases; the others share first, then round robin
    counts = {u: picked.count(u) for u in set(picked)}
    open_counts = {
        u: Case.objects.filter(
            assignee=u, status__in=["assigned", "in_progress", "waiting"]
        ).count()
        for u in (desk.researcher, desk.researcher2, desk.kitech_staff)
    }
    assert (
        max(open_counts[desk.researcher2], open_counts[desk.kitech_staff])
        - min(open_counts[desk.researcher2], open_counts[desk.kitech_staff])
        <= 1
    )
    assert counts.get(desk.researcher2, 0) >= 2 and counts.get(desk.kitech_staff, 0) >= 2
    # ties go to whoever was assigned least recently
    a, b = picked[0], picked[1]
    assert a != b


def test_collaborators_from_other_institutes_see_and_talk_on_the_case(desk, flow):
    case = flow("in_progress")
    assert not selectors.case_queryset(user=desk.kims_researcher).filter(pk=case.pk).exists()
    services.case_collaborator_add(actor=desk.researcher, case=case, user=desk.kims_researcher)
    services.case_collaborator_add(actor=desk.researcher, case=case, user=desk.etri_researcher)
    services.case_collaborator_add(actor=desk.researcher, case=case, user=desk.etri_researcher)
    assert case.collaborator_links.count() == 2
    assert selectors.case_queryset(user=desk.kims_researcher).filter(pk=case.pk).exists()
    note = services.case_message_post(
        case=case,
        actor=desk.kims_researcher,
        body="재료 분석은 저희가 맡겠습니다.",
        is_internal=True,
    )
    assert note.author_kind == "collaborator"
    with pytest.raises(services.DeskError) as refused:
        services.case_collaborator_add(actor=desk.researcher, case=case, user=desk.sme)
    assert refused.value.code == "collaborator_not_eligible"
    assert services.case_collaborator_remove(
        actor=desk.researcher, case=case, user=desk.kims_researcher
    )
    assert not selectors.case_queryset(user=desk.kims_researcher).filter(pk=case.pk).exists()


# --- conversation --------------------------------------------------------------------------------


def test_the_first_public_staff_message_is_the_first_response(desk, flow):
    case = flow("in_progress")
    services.case_message_post(
        case=case, actor=desk.researcher, body="내부 검토 중", is_internal=True
    )
    case.refresh_from_db()
    assert case.first_response_at is None
    message = services.case_message_post(
        case=case, actor=desk.researcher, body="자료를 보내 주세요."
    )
    case.refresh_from_db()
    assert case.first_response_at == message.created_at
    event = case.events.get(kind="first_response")
    assert event.data["met_target"] is True
    services.case_message_post(case=case, actor=desk.researcher, body="한 번 더")
    assert case.events.filter(kind="first_response").count() == 1


def test_internal_notes_never_reach_the_requester(
    desk, flow, django_capture_on_commit_callbacks, mailoutbox
):
    case = flow("in_progress", contact_email="req@example.kr")
    with django_capture_on_commit_callbacks(execute=True):
        services.case_message_post(
            case=case, actor=desk.researcher, body="비밀 메모: 단가 협상 여지", is_internal=True
        )
        services.case_message_post(case=case, actor=desk.researcher, body="공개 답변입니다.")
    view = selectors.case_public_view(case=case)
    assert [m.body for m in view.messages] == ["공개 답변입니다."]
    assert all("비밀" not in m.body for m in mailoutbox if "req@example.kr" in m.to)
    requester_mail = [m for m in mailoutbox if m.to == ["req@example.kr"]]
    assert len(requester_mail) == 1 and "공개 답변입니다." in requester_mail[0].body
    staff_detail = selectors.case_detail(user=desk.researcher, case=case)
    assert len(staff_detail.messages) == 2
    assert all(not e.is_internal for e in selectors.timeline(user=None, case=case))


def test_a_requester_reply_by_link_resumes_a_waiting_case_and_moves_the_due_date(desk, flow):
    case = flow("waiting")
    case.refresh_from_db()
    due_before = case.resolution_due_at
    assert case.status == Status.WAITING
    services.case_message_post(
        case=case, status_token=links.make_token(case), body="요청하신 도면을 보냅니다."
    )
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.waiting_since is None
    assert case.resolution_due_at >= due_before
    message = case.messages.get()
    assert message.author_kind == "requester" and message.via_status_link
    assert case.events.filter(kind="resumed").get().data["reason"] == "requester_message"
    pause = case.pauses.get()
    assert pause.ended_at is not None


def test_closed_cases_take_no_messages(desk, flow):
    case = flow("closed")
    with pytest.raises(services.DeskError) as refused:
        services.case_message_post(case=case, actor=desk.researcher, body="늦은 답")
    assert refused.value.code == "case_closed"


def test_message_notifications_are_sent_once_even_if_run_twice(
    desk, flow, mailoutbox, django_capture_on_commit_callbacks
):
    case = flow("in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        message = services.case_message_post(case=case, actor=desk.researcher, body="답변")
    sent = len(mailoutbox)
    assert sent >= 1
    assert notifications.message_posted(message.pk) == 0
    assert len(mailoutbox) == sent


# --- resolution, survey, reopen ------------------------------------------------------------------


def test_resolution_needs_a_valid_outcome_a_reason_when_unsolvable_and_a_safe_url(desk, flow):
    case = flow("in_progress")
    before = state(case)
    for kwargs, code in (
        ({"outcome": "maybe"}, "outcome_invalid"),
        ({"outcome": "unsolvable"}, "reason_required"),
        (
            {"outcome": "information", "follow_up_url": "javascript:alert(1)"},
            "follow_up_url_invalid",
        ),
    ):
        with pytest.raises(services.DeskError) as refused:
            services.case_resolve(actor=desk.researcher, case=case, **kwargs)
        assert refused.value.code == code
    assert state(case) == before
    resolution = services.case_resolve(
        actor=desk.researcher,
        case=case,
        outcome="tech_transfer",
        follow_up_url="https://dure.example/techbank/transfer/12",
        follow_up_reference="TT-12",
    )
    assert resolution.round == 1 and resolution.met_target
    case.refresh_from_db()
    assert case.outcome == "tech_transfer" and case.first_response_at is not None


def test_the_survey_is_answered_once_per_resolution_without_login(desk, flow):
    case = flow("in_progress")
    token = links.make_token(case)
    with pytest.raises(services.DeskError) as refused:
        services.case_survey_submit(case=case, status_token=token, rating=5)
    assert refused.value.code == "survey_not_open"
    services.case_resolve(actor=desk.researcher, case=case, outcome="information")
    with pytest.raises(services.DeskError) as refused:
        services.case_survey_submit(case=case, status_token=token, rating=9)
    assert refused.value.code == "rating_invalid"
    survey = services.case_survey_submit(case=case, status_token=token, rating=4, comment="좋아요")
    assert survey.via_status_link and survey.rating == 4
    with pytest.raises(services.DeskError) as refused:
        services.case_survey_submit(case=case, status_token=token, rating=5)
    assert refused.value.code == "survey_already_answered"
    with pytest.raises(PermissionDenied):
        services.case_survey_submit(case=case, actor=desk.researcher, rating=5)
    # a reopened and again resolved case gets a new survey
    services.case_reopen(case=case, status_token=token, reason="다시 문제가 생겼습니다")
    services.case_resolve(actor=desk.researcher, case=case, outcome="consulting")
    assert (
        services.case_survey_submit(case=case, status_token=token, rating=5).resolution.round == 2
    )


def test_reopen_within_the_window_only_and_never_for_dismissed_cases(desk, flow, submit, settings):
    case = flow("resolved")
    settings.DURE_DESK_REOPEN_DAYS = 30
    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - dt.timedelta(days=31))
    with pytest.raises(services.DeskError) as refused:
        services.case_reopen(actor=desk.center, case=case)
    assert refused.value.code == "reopen_window_passed"
    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - dt.timedelta(days=29))
    services.case_reopen(actor=desk.center, case=case)
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.outcome == ""
    assert case.pauses.filter(reason="resolved", ended_at__isnull=False).exists()

    spam = submit()
    with pytest.raises(services.DeskError) as refused:
        services.case_close(actor=desk.center, case=spam)
    assert refused.value.code == "reason_required"
    services.case_close(actor=desk.center, case=spam, reason="중복 접수")
    with pytest.raises(services.DeskError) as refused:
        services.case_reopen(actor=desk.center, case=spam)
    assert refused.value.code == "reopen_not_resolved"


def test_the_requester_may_close_and_reopen_their_own_case(desk, flow):
    case = flow("resolved", actor=desk.sme)
    services.case_close(actor=desk.sme, case=case)
    services.case_reopen(actor=desk.sme, case=case)
    with pytest.raises(PermissionDenied):
        services.case_reopen(actor=desk.sme2, case=case)


def test_allowed_moves_match_the_services(desk, flow):
    assert selectors.allowed_moves(desk.center, flow("received")) == ["triage", "close"]
    assert "start" in selectors.allowed_moves(desk.researcher, flow("assigned"))
    assert selectors.allowed_moves(desk.sme2, flow("in_progress")) == []
    assert selectors.allowed_moves(desk.researcher, flow("waiting")) == [
        "assign",
        "resume",
        "resolve",
    ]
