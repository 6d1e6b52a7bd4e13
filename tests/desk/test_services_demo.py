"""The desk's demo stories: alive, varied and idempotent."""

from __future__ import annotations

import pytest

from dure.desk import demo, services
from dure.desk.models import Case, CaseEvent, Channel, Status
from dure.directory.models import Organisation, OrganisationKind

pytestmark = pytest.mark.django_db


def test_the_demo_has_twelve_regional_centres_and_varied_cases():
    assert Organisation.objects.filter(kind=OrganisationKind.REGIONAL_CENTRE).count() >= 12
    cases = Case.objects.all()
    assert cases.count() >= 12
    assert {c.status for c in cases} >= {
        Status.RECEIVED,
        Status.TRIAGED,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.WAITING,
        Status.RESOLVED,
        Status.CLOSED,
    }
    assert {c.channel for c in cases} == set(Channel.values)
    assert cases.filter(requester__username="sme").exists()
    assert cases.filter(requester__isnull=True, channel="web").count() >= 3
    assert CaseEvent.objects.filter(kind="survey").count() >= 2


def test_loading_the_demo_again_adds_nothing():
    before = (Case.objects.count(), CaseEvent.objects.count())
    counts = demo.load_demo()
    assert counts["desk_cases_created"] == 0
    assert (Case.objects.count(), CaseEvent.objects.count()) == before


def test_the_demo_centre_user_can_triage_the_demo_cases(users):
    case = Case.objects.filter(status=Status.RECEIVED).first()
    services.case_triage(
        actor=users["center"],
        case=case,
        category="information",
        lead_institute="KITECH",
        recommended=["KITECH"],
    )
    case.refresh_from_db()
    assert case.status == Status.TRIAGED
