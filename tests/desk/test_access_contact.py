"""Who sees a requester's personal data on a case, who sees the dashboards, and cases found by
their number (the same 404 for malformed, missing and forbidden)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from dure.desk import access, selectors, services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("flag", "sees"),
    [
        ("admin", True),
        ("centre", True),
        ("lead_institute", True),
        ("assignee", True),
        ("team_member", True),
        ("requester", True),
        ("collaborating_institute", False),
        ("collaborator", False),
    ],
)
def test_each_role_on_a_case_and_the_contact(flag, sees):
    assert access.CaseRoles(**{flag: True}).sees_contact is sees
    assert not access.CaseRoles().sees_contact


@pytest.fixture
def routed(desk, flow):
    """The demo SME's case, led by KITECH with KIMM collaborating, assigned to the demo team
    and researcher, with an ETRI researcher as an individual collaborator."""
    case = flow("assigned", actor=desk.sme)
    services.case_triage(
        actor=desk.center,
        case=case,
        category="consulting",
        lead_institute=desk.kitech,
        collaborating_institutes=[desk.kimm],
        recommended=[],
    )
    services.case_collaborator_add(actor=desk.researcher, case=case, user=desk.etri_researcher)
    case.refresh_from_db()
    return case


def test_the_contact_matrix(desk, routed):
    expected = {
        "admin": True,
        "center": True,  # national intake staff
        "kitech_staff": True,  # lead institute staff
        "researcher2": True,  # lead institute researcher
        "researcher": True,  # the assignee, a team member
        "sme": True,  # the requester
        "kimm_researcher": False,  # collaborating institute
        "etri_researcher": False,  # an individual collaborator
        "sme2": False,
        "jeju_staff": False,  # a centre that did not receive it
        "coop": False,
    }
    got = {}
    for name in expected:
        user = getattr(desk, name)
        got[name] = access.can_see_contact(user, routed)
    assert got == expected
    assert not access.can_see_contact(AnonymousUser(), routed)


def test_a_team_member_who_is_not_the_assignee_sees_the_contact(desk, routed):
    services.team_member_add(actor=desk.admin, team=desk.team, user=desk.researcher2)
    services.case_assign(actor=desk.center, case=routed, team=desk.team, assignee=desk.researcher)
    roles = access.case_roles(desk.researcher2, routed)
    assert roles.team_member and not roles.assignee
    assert access.can_see_contact(desk.researcher2, routed)


def test_the_receiving_regional_centre_sees_the_contact(desk, submit):
    case = submit(actor=desk.regional_staff, channel="visit")
    assert access.can_see_contact(desk.regional_staff, case)
    assert access.can_see_contact(desk.center, case)
    assert not access.can_see_contact(desk.jeju_staff, case)


def test_the_case_page_says_whether_to_show_the_contact(desk, routed):
    for user, shown in (
        (desk.researcher, True),
        (desk.sme, True),
        (desk.kimm_researcher, False),
        (desk.etri_researcher, False),
    ):
        case = access.access_case(user=user, case_id=routed.pk)
        assert selectors.case_detail(user=user, case=case).show_contact is shown


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("admin", True),
        ("center", True),
        ("regional_staff", True),
        ("researcher", True),
        ("kitech_staff", True),
        ("kimm_researcher", True),
        ("sme", False),
        ("coop", False),
        ("member", False),
        ("supplier", False),
        ("seller", False),
        ("creator", False),
    ],
)
def test_who_views_the_dashboards(desk, name, allowed):
    assert access.can_view_dashboard(getattr(desk, name)) is allowed


def test_anonymous_never_views_the_dashboards():
    assert not access.can_view_dashboard(AnonymousUser())
    assert not access.can_view_dashboard(None)


def test_a_case_by_its_number(desk, routed, submit):
    found = access.access_case_by_number(user=desk.sme, number=routed.number)
    assert found.pk == routed.pk
    assert access.access_case_by_number(user=desk.researcher, number=routed.number, write=True)
    other = submit(actor=desk.sme2)
    year = routed.number.split("-")[0]
    for bad in (
        other.number,  # forbidden
        f"{year}-999999",  # missing
        f"{routed.number}\n",
        f" {routed.number}",
        "abc",
        "",
        None,
        10**30,
    ):
        with pytest.raises(Http404):
            access.access_case_by_number(user=desk.sme, number=bad)
    with pytest.raises(Http404):  # the requester may see it but not act as staff
        access.access_case_by_number(user=desk.sme, number=routed.number, write=True)
    with pytest.raises(Http404):
        access.access_case_by_number(user=AnonymousUser(), number=routed.number)


def test_the_case_page_hides_the_contact_from_a_collaborating_institute(client, desk, routed):
    """The rendered page, not just the flag: the phone number and business number appear for
    the lead institute's researcher and not for a collaborating institute's."""
    url = routed.get_absolute_url()
    client.force_login(desk.researcher)
    shown = client.get(url).content.decode()
    assert routed.contact_phone in shown and routed.contact_email in shown
    client.force_login(desk.kimm_researcher)
    page = client.get(url)
    assert page.status_code == 200
    hidden = page.content.decode()
    assert routed.contact_phone not in hidden
    assert routed.contact_email not in hidden
    assert routed.business_number_display not in hidden


def test_triage_shows_matching_technology_bank_entries(client, desk, submit):
    """The technology bank is evidence at triage too: a request in an SME's words about
    corroding welds lists the institutes' matching technology, linked to its page."""
    from django.urls import reverse

    from dure.techbank.models import Technology

    technology = Technology.objects.get(title_en__startswith="Ceramic composite coating")
    case = submit(
        description="용접한 부분이 바닷바람에 금방 부식돼서 녹이 슬어요. 막는 방법이 있을까요?"
    )
    client.force_login(desk.center)
    page = client.get(case.get_absolute_url()).content.decode()
    assert reverse("techbank:technology_detail", args=[technology.pk]) in page


def test_the_recommendation_api_lists_the_technology_bank_matches(client, desk, submit):
    from dure.techbank.models import Technology

    technology = Technology.objects.get(title_en__startswith="Ceramic composite coating")
    case = submit(
        description="용접한 부분이 바닷바람에 금방 부식돼서 녹이 슬어요. 막는 방법이 있을까요?"
    )
    client.force_login(desk.center)
    body = client.get(f"/api/v1/desk/cases/{case.number}/recommendation").json()
    assert body["ranking"]
    assert {"kind": "technology", "object_id": technology.pk} in [
        {"kind": m["kind"], "object_id": m["object_id"]} for m in body["techbank"]
    ]
