"""The permission matrix of every founding-consultation page: URL × method × role → the exact
status, with the helpers of the site-wide matrix (``tests/test_permissions_pages.py``).

The guide is public; asking for a consultation needs a login; a consultation is seen by its
applicant and by the staff of the centre it was made to (the demo ``center`` is staff of
과학기술인협동조합지원센터) and platform admins, who alone record sessions, move its stage and
assign it; only the applicant withdraws it from its page. A refused request changes nothing
(consultations, sessions, stage events, the audit log and the personal-data access log
compared before and after).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone
from test_permissions_pages import (
    BAD,
    LOGGED_IN,
    NOT_ALLOWED,
    OK,
    REDIRECT,
    ROLES,
    Case,
    check_case,
    check_every_route_covered,
    everyone,
    get,
    members_only,
    only,
    post,
    world_fixtures,
)

pytestmark = pytest.mark.django_db

MANAGERS = {"admin", "center"}
MISSING = 987654


def build_world(users, org):
    from dure.founding.models import Consultation

    return SimpleNamespace(
        users=users,
        centre=org("과학기술인협동조합지원센터"),
        received=Consultation.objects.get(proposed_name="연구장비공유협동조합"),
        preparing=Consultation.objects.get(proposed_name="돌봄나눔사회적협동조합"),
        founded=Consultation.objects.get(proposed_name="세리오협동조합"),
    )


_world_once, world = world_fixtures(build_world)


def founding_state() -> dict[str, Any]:
    from dure.core.models import AuditEvent, PersonalDataAccess
    from dure.founding.models import Consultation, Session, StageEvent

    return {
        "consultations": list(Consultation.objects.order_by("pk").values()),
        "sessions": list(Session.objects.order_by("pk").values()),
        "events": list(StageEvent.objects.order_by("pk").values()),
        "audit": AuditEvent.objects.count(),
        "personal_data_access": PersonalDataAccess.objects.count(),
    }


def request_form(w, role):
    return {
        "centre": w.centre.pk,
        "contact_name": "매트릭스 신청자",
        "proposed_name": f"매트릭스협동조합-{role}",
        "kind": "cooperative",
        "business": "매트릭스에서 신청한 협동조합 설립 상담",
        "founders": "2",
    }


def session_form(w, role):
    return {
        "held_on": timezone.localdate().isoformat(),
        "mode": "phone",
        "topics": ["articles"],
        "summary": "매트릭스 상담 기록",
    }


def stage_is(attr, stage):
    def check(w, role):
        obj = getattr(w, attr)
        obj.refresh_from_db()
        return obj.stage == stage

    return check


def requested(w, role):
    from dure.founding.models import Consultation

    return Consultation.objects.filter(
        proposed_name=f"매트릭스협동조합-{role}", applicant=w.users[role]
    ).exists()


def session_added(w, role):
    return w.preparing.sessions.filter(summary="매트릭스 상담 기록").exists()


def assigned(w, role):
    w.received.refresh_from_db()
    return w.received.consultant_id == w.users["center"].pk


CASES: list[Case] = [
    get("founding/", lambda w: "/founding/", everyone(OK)),
    post("founding/", lambda w: "/founding/", everyone(NOT_ALLOWED)),
    get("founding/new/", lambda w: "/founding/new/", members_only()),
    post(
        "founding/new/",
        lambda w: "/founding/new/",
        members_only(REDIRECT),
        data=request_form,
        changes=set(LOGGED_IN),
        effect=requested,
    ),
    post(
        "founding/new/",
        lambda w: "/founding/new/",
        members_only(BAD),
        data=lambda w, r: {**request_form(w, r), "kind": "council"},
        variant="not a foundable kind",
    ),
    get("founding/queue/", lambda w: "/founding/queue/", only(MANAGERS)),
    get(
        "founding/queue/",
        lambda w: "/founding/queue/?stage=founded&page=x",
        only(MANAGERS),
        variant="stage",
    ),
    post("founding/queue/", lambda w: "/founding/queue/", members_only(NOT_ALLOWED)),
    get(
        "founding/<int:pk>/",
        lambda w: f"/founding/{w.preparing.pk}/",
        only(MANAGERS | {"member"}),
        changes=MANAGERS,  # staff reading an applicant's contact details: an access record
    ),
    get(
        "founding/<int:pk>/",
        lambda w: f"/founding/{w.received.pk}/",
        only(MANAGERS | {"researcher"}),
        changes=MANAGERS,
        variant="received",
    ),
    get("founding/<int:pk>/", lambda w: f"/founding/{MISSING}/", only(set()), variant="missing"),
    post("founding/<int:pk>/", lambda w: f"/founding/{w.preparing.pk}/", members_only(NOT_ALLOWED)),
    get(
        "founding/<int:pk>/sessions/new/",
        lambda w: f"/founding/{w.preparing.pk}/sessions/new/",
        only(MANAGERS),
    ),
    get(
        "founding/<int:pk>/sessions/new/",
        lambda w: f"/founding/{w.founded.pk}/sessions/new/",
        only(set()),  # a closed consultation takes no more sessions
        variant="founded",
    ),
    post(
        "founding/<int:pk>/sessions/new/",
        lambda w: f"/founding/{w.preparing.pk}/sessions/new/",
        only(MANAGERS, REDIRECT),
        data=session_form,
        changes=MANAGERS,
        effect=session_added,
    ),
    post(
        "founding/<int:pk>/sessions/new/",
        lambda w: f"/founding/{w.preparing.pk}/sessions/new/",
        only(MANAGERS, BAD),
        data=lambda w, r: {**session_form(w, r), "topics": []},
        variant="no topic",
    ),
    get(
        "founding/<int:pk>/move/",
        lambda w: f"/founding/{w.preparing.pk}/move/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "founding/<int:pk>/move/",
        lambda w: f"/founding/{w.preparing.pk}/move/",
        only(MANAGERS, REDIRECT),
        data=lambda w, r: {"stage": "assembly", "founders": "6", "note": "발기인 6명"},
        changes=MANAGERS,
        effect=stage_is("preparing", "assembly"),
    ),
    post(
        "founding/<int:pk>/move/",
        lambda w: f"/founding/{w.preparing.pk}/move/",
        only(MANAGERS, BAD),
        data=lambda w, r: {"stage": "assembly"},  # four founders: fewer than five
        changes=MANAGERS,  # the page shown again records the access to the contact details
        variant="too few founders",
    ),
    get(
        "founding/<int:pk>/assign/",
        lambda w: f"/founding/{w.received.pk}/assign/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "founding/<int:pk>/assign/",
        lambda w: f"/founding/{w.received.pk}/assign/",
        only(MANAGERS, REDIRECT),
        data=lambda w, r: {"consultant": w.users["center"].pk},
        changes=MANAGERS,
        effect=assigned,
    ),
    get(
        "founding/<int:pk>/withdraw/",
        lambda w: f"/founding/{w.preparing.pk}/withdraw/",
        only({"member"}),
    ),
    get(
        "founding/<int:pk>/withdraw/",
        lambda w: f"/founding/{w.founded.pk}/withdraw/",
        only(set()),
        variant="founded",
    ),
    post(
        "founding/<int:pk>/withdraw/",
        lambda w: f"/founding/{w.preparing.pk}/withdraw/",
        only({"member"}, REDIRECT),
        data=lambda w, r: {"note": "사정이 생겨 미룹니다"},
        changes={"member"},
        effect=stage_is("preparing", "withdrawn"),
    ),
]


def _params():
    for case in CASES:
        for role in ROLES:
            yield pytest.param(case, role, id=f"{case.id}-{role}")


@pytest.mark.parametrize(("case", "role"), list(_params()))
def test_founding_page_permission_matrix(case: Case, role: str, world, client_for):
    check_case(
        case,
        role,
        world,
        client_for,
        founding_state,
        form_keys=("form", "move_form", "assign_form"),
    )


def test_every_founding_url_has_a_matrix_entry():
    check_every_route_covered("founding/", CASES)


def test_every_case_names_every_role():
    for case in CASES:
        assert set(case.expected) == set(ROLES), case.id
