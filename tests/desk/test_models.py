"""Invariants that the database itself keeps, whatever the code above it does."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from dure.core.models import AppendOnlyError
from dure.desk.models import (
    Case,
    CaseEvent,
    CaseMessage,
    CasePause,
    CaseSurvey,
    SlaPolicy,
    Status,
)

pytestmark = pytest.mark.django_db


def violates(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_sla_policies_are_seeded_for_every_category():
    categories = set(SlaPolicy.objects.values_list("category", flat=True))
    assert categories >= {
        "default",
        "tech_transfer",
        "rnd_short",
        "rnd_long",
        "information",
        "personnel",
        "equipment",
        "consulting",
        "education",
        "other",
    }
    assert SlaPolicy.objects.get(category="default").first_response_days == 3


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", ""),
        ("description", "가" * 10_001),
        ("business_number", "123"),
        ("number", "26-1"),
        ("status", "lost"),
        ("channel", "fax"),
        ("company_name", ""),
    ],
)
def test_the_database_refuses_a_case_row_breaking_its_rules(submit, field, value):
    case = submit()
    violates(lambda: Case.objects.filter(pk=case.pk).update(**{field: value}))


def test_a_case_number_is_unique_and_a_year_sequence_is_unique(submit):
    a, b = submit(), submit()
    violates(lambda: Case.objects.filter(pk=b.pk).update(number=a.number))
    violates(lambda: Case.objects.filter(pk=b.pk).update(year=a.year, sequence=a.sequence))


def test_waiting_since_is_set_exactly_while_waiting(submit):
    case = submit()
    violates(lambda: Case.objects.filter(pk=case.pk).update(status=Status.WAITING))
    violates(lambda: Case.objects.filter(pk=case.pk).update(waiting_since=timezone.now()))


def test_a_triaged_case_has_a_category_and_an_assigned_case_has_someone(flow):
    triaged = flow("triaged")
    violates(lambda: Case.objects.filter(pk=triaged.pk).update(category=""))
    violates(lambda: Case.objects.filter(pk=triaged.pk).update(status=Status.ASSIGNED))


def test_a_requester_message_can_never_be_internal(submit):
    case = submit()
    violates(
        lambda: CaseMessage.objects.create(
            case=case, author_kind="requester", body="x", is_internal=True
        )
    )
    violates(lambda: CaseMessage.objects.create(case=case, author_kind="centre", body=""))


def test_one_open_pause_per_case(flow):
    case = flow("waiting")
    violates(
        lambda: CasePause.objects.create(case=case, reason="waiting", started_at=timezone.now())
    )


def test_survey_rating_is_one_to_five_and_once_per_resolution(flow):
    case = flow("resolved")
    resolution = case.resolutions.get()
    violates(lambda: CaseSurvey.objects.create(resolution=resolution, case=case, rating=6))
    CaseSurvey.objects.create(resolution=resolution, case=case, rating=5)
    violates(lambda: CaseSurvey.objects.create(resolution=resolution, case=case, rating=4))


def test_the_timeline_is_append_only(submit):
    case = submit()
    event = case.events.get()
    event.data = {"changed": True}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert CaseEvent.objects.get(pk=event.pk).data != {"changed": True}


def test_an_unsolvable_resolution_needs_a_reason(flow):
    case = flow("resolved")
    violates(lambda: case.resolutions.update(outcome="unsolvable", reason=""))


def test_a_case_links_to_its_page_by_number(submit):
    from django.urls import resolve

    case = submit()
    match = resolve(case.get_absolute_url())
    assert match.view_name == "desk:case_detail"
    assert match.kwargs == {"number": case.number}
