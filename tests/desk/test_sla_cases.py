"""The SLA clock on real cases: due dates per category, pauses while waiting, overdue queues,
warnings and escalation to the centre manager (idempotent)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from dure.desk import selectors, services, sla
from dure.desk.demo import demo_clock
from dure.desk.models import Case, CaseEvent, DeskCentre, SlaPolicy

pytestmark = pytest.mark.django_db
SEOUL = sla.SEOUL


def at(*args):
    return dt.datetime(*args, tzinfo=SEOUL)


def test_due_dates_follow_the_category_policy(desk, submit):
    SlaPolicy.objects.filter(category="information").update(
        first_response_days=2, resolution_days=6
    )
    with demo_clock(at(2026, 9, 23, 10)):  # Wednesday before 추석
        case = submit()
    case.refresh_from_db()
    assert case.first_response_due_at == at(2026, 9, 30, 10)  # default: 3 business days
    assert case.resolution_due_at == sla.add_business_days(at(2026, 9, 23, 10), 20)
    with demo_clock(at(2026, 9, 23, 11)):
        services.case_triage(
            actor=desk.center,
            case=case,
            category="information",
            lead_institute="KITECH",
            recommended=[],
        )
    case.refresh_from_db()
    assert case.first_response_due_at == at(2026, 9, 29, 10)
    assert case.resolution_due_at == at(2026, 10, 6, 10)  # 10-05 is 대체공휴일


def test_built_in_targets_apply_when_the_policy_table_is_empty(desk):
    SlaPolicy.objects.all().delete()
    assert services.sla_targets("") == sla.DEFAULT_TARGETS["default"]
    assert services.sla_targets("rnd_long") == sla.DEFAULT_TARGETS["rnd_long"]


def test_waiting_on_the_requester_over_a_weekend_moves_both_due_dates(desk, submit):
    with demo_clock(at(2026, 11, 16, 9)):  # Monday
        case = submit()
        services.case_triage(
            actor=desk.center,
            case=case,
            category="consulting",
            lead_institute="KITECH",
            recommended=[],
        )
        services.case_assign(actor=desk.center, case=case, assignee=desk.researcher)
        services.case_start(actor=desk.researcher, case=case)
    case.refresh_from_db()
    assert case.first_response_due_at == at(2026, 11, 19, 9)
    resolution_due = case.resolution_due_at
    with demo_clock(at(2026, 11, 18, 15)):  # Wednesday 15:00
        services.case_wait_for_requester(actor=desk.researcher, case=case, message="")
    case.refresh_from_db()
    # while waiting the case is not overdue, even after its old due date
    assert selectors.sla_state(case, now=at(2026, 11, 20, 9)).first_response == "paused"
    assert (
        not selectors.case_queryset(user=desk.center, queue="overdue", now=at(2026, 11, 20, 9))
        .filter(pk=case.pk)
        .exists()
    )
    with demo_clock(at(2026, 11, 23, 15)):  # Monday 15:00
        services.case_resume(actor=desk.researcher, case=case)
    case.refresh_from_db()
    assert case.first_response_due_at == at(2026, 11, 24, 9)
    assert case.resolution_due_at == sla.add_business_seconds(resolution_due, 3 * sla.DAY)


def test_overdue_queue_warnings_and_escalation_happen_once(
    desk, submit, mailoutbox, django_capture_on_commit_callbacks
):
    DeskCentre.objects.filter(organisation=desk.national).update(manager=desk.center)
    with demo_clock(at(2026, 11, 16, 9)):
        late = submit()
    # Wednesday 10:00: due Thursday 09:00 → a warning, not yet an escalation
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("desk_escalate", at="2026-11-18T10:00:00+09:00", stdout=out)
    assert CaseEvent.objects.filter(case=late, kind="sla_warning").count() == 1
    assert not CaseEvent.objects.filter(case=late, kind="escalated").exists()
    assert "기한 임박 알림" in out.getvalue()
    # Friday: overdue → in the queue, escalated once to the national centre's manager
    friday = at(2026, 11, 20, 10)
    assert (
        selectors.case_queryset(user=desk.center, queue="overdue", now=friday)
        .filter(pk=late.pk)
        .exists()
    )
    assert (
        selectors.sla_state(Case.objects.get(pk=late.pk), now=friday).first_response == "breached"
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = services.sla_escalate(now=friday)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.sla_escalate(now=friday + dt.timedelta(hours=1))
    assert first.escalated >= 1 and again.escalated == 0
    events = CaseEvent.objects.filter(case=late, kind="escalated")
    assert events.count() == 1
    assert events.get().data["sla"] == "first_response"
    assert events.get().data["manager_ids"] == [desk.center.pk]
    to_manager = [m for m in mailoutbox if desk.center.email in m.to and late.number in m.subject]
    assert len(to_manager) == 1
    assert events.get().is_internal


def test_a_regional_centres_own_manager_gets_its_escalations(desk, submit):
    DeskCentre.objects.create(organisation=desk.regional, manager=desk.regional_staff)
    with demo_clock(at(2026, 11, 16, 9)):
        visit = submit(actor=desk.regional_staff, channel="visit")
    services.sla_escalate(now=at(2026, 11, 20, 10))
    event = CaseEvent.objects.get(case=visit, kind="escalated")
    assert event.data["manager_ids"] == [desk.regional_staff.pk]


def test_first_response_met_or_breached_is_recorded(desk, submit):
    with demo_clock(at(2026, 11, 16, 9)):
        case = submit()
        services.case_triage(
            actor=desk.center,
            case=case,
            category="consulting",
            lead_institute="KITECH",
            recommended=[],
        )
    with demo_clock(at(2026, 11, 20, 9)):  # after Thursday 09:00
        services.case_message_post(case=case, actor=desk.center, body="늦었지만 답변드립니다.")
    event = CaseEvent.objects.get(case=case, kind="first_response")
    assert event.data["met_target"] is False
    case.refresh_from_db()
    assert selectors.sla_state(case).first_response == "breached"
