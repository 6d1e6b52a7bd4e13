"""Who sees which case: deny by default, the same 404 for missing and forbidden."""

from __future__ import annotations

import pytest
from django.http import Http404

from dure.desk import access, links, selectors, services
from dure.desk.models import Case

from .conftest import PDF, upload

pytestmark = pytest.mark.django_db


def sees(user, case):
    try:
        access.access_case(user=user, case_id=case.pk)
    except Http404:
        return False
    return True


def test_requesters_see_only_their_own_cases(desk, submit):
    mine = submit(actor=desk.sme)
    theirs = submit(actor=desk.sme2)
    anonymous = submit()
    assert sees(desk.sme, mine) and not sees(desk.sme, theirs) and not sees(desk.sme, anonymous)
    assert set(access.cases_visible_to(desk.sme).values_list("pk", flat=True)) >= {mine.pk}
    assert theirs.pk not in access.cases_visible_to(desk.sme).values_list("pk", flat=True)
    assert not sees(None, mine)
    assert not access.cases_visible_to(None).exists()


def test_missing_and_forbidden_look_the_same(desk, submit):
    case = submit(actor=desk.sme2)
    for bad in (case.pk, 10**12, "abc", None, 2**70):
        with pytest.raises(Http404):
            access.access_case(user=desk.sme, case_id=bad)


def test_institutes_see_the_cases_routed_to_them(desk, flow, submit):
    case = flow("triaged")  # lead KITECH
    assert sees(desk.researcher2, case) and sees(desk.kitech_staff, case)
    assert not sees(desk.kimm_researcher, case)
    services.case_triage(
        actor=desk.center,
        case=case,
        category="consulting",
        lead_institute=desk.kitech,
        collaborating_institutes=[desk.kimm],
        recommended=[],
    )
    assert sees(desk.kimm_researcher, case)
    untriaged = submit()
    assert not sees(desk.researcher, untriaged)


def test_centre_staff_see_their_centres_cases_and_the_national_intake_sees_all(desk, submit):
    web = submit()  # received by the national intake centre
    visit = submit(actor=desk.regional_staff, channel="visit")  # 경남 regional centre
    assert sees(desk.center, web) and sees(desk.center, visit)  # national: everything
    assert sees(desk.regional_staff, visit) and not sees(desk.regional_staff, web)
    assert not sees(desk.jeju_staff, visit) and not sees(desk.jeju_staff, web)
    assert sees(desk.admin, visit)


def test_write_access_is_for_the_staff_side_only(desk, submit):
    case = submit(actor=desk.sme)
    assert access.access_case(user=desk.center, case_id=case.pk, write=True)
    with pytest.raises(Http404):
        access.access_case(user=desk.sme, case_id=case.pk, write=True)


def test_attachments_are_served_only_through_the_permission_check(desk, flow):
    case = flow("in_progress", actor=desk.sme)
    public = services.case_message_post(
        case=case, actor=desk.researcher, body="자료", attachments=[upload(PDF, "공개.pdf")]
    ).attachments.get()
    internal = services.case_message_post(
        case=case,
        actor=desk.researcher,
        body="내부 자료",
        is_internal=True,
        attachments=[upload(PDF, "내부.pdf")],
    ).attachments.get()
    assert internal.is_internal
    token = links.make_token(case)
    assert access.access_attachment(attachment_id=public.pk, user=desk.sme) == public
    assert access.access_attachment(attachment_id=public.pk, status_token=token) == public
    assert access.access_attachment(attachment_id=internal.pk, user=desk.researcher) == internal
    for kwargs in (
        {"user": desk.sme},
        {"status_token": token},
        {"user": desk.sme2},
        {"user": None},
        {"status_token": "forged:token:here"},
    ):
        with pytest.raises(Http404):
            access.access_attachment(attachment_id=internal.pk, **kwargs)
    with pytest.raises(Http404):
        access.access_attachment(attachment_id=public.pk, user=desk.sme2)


def test_queues_scope_and_filter(desk, flow, submit):
    mine = flow("assigned")  # assignee: researcher
    other = submit()
    page = selectors.case_queue(user=desk.researcher, queue="mine")
    ids = [c.pk for c in page.cases]
    assert mine.pk in ids and other.pk not in ids
    centre_page = selectors.case_queue(user=desk.center, queue="unassigned")
    assert other.pk in [c.pk for c in centre_page.cases]
    found = selectors.case_queue(user=desk.center, query=other.number)
    assert [c.pk for c in found.cases] == [other.pk]
    assert all(hasattr(c, "sla") for c in page.cases)
    counts = selectors.queue_counts(user=desk.center)
    assert counts["all"] == Case.objects.count()
    assert counts["unassigned"] >= 1


def test_queue_pages_take_a_fixed_number_of_queries(desk, flow, django_assert_max_num_queries):
    for _i in range(5):
        flow("assigned")
    for user in (desk.center, desk.researcher):
        with django_assert_max_num_queries(6):
            page = selectors.case_queue(user=user, page_size=50)
            for case in page.cases:
                _ = (
                    case.lead_institute,
                    case.team,
                    case.assignee,
                    case.receiving_centre,
                    case.sido,
                )
        assert page.total >= 5
