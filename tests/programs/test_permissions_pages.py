"""The permission matrix of every education-and-events page: URL × method × role → the exact
status, with the helpers of the site-wide matrix (``tests/test_permissions_pages.py``).

Published and cancelled programmes are public; a draft, the edit and cancel pages, the
registrants (personal data) and their export are for the host centre's staff and platform
admins only (the demo ``center`` is staff of 과학기술인협동조합지원센터, not of 대전 협동조합
지원센터); registering needs a login; a registration is cancelled by its person or the
programme's managers. A refused request changes nothing (programmes, registrations, the audit
log and the personal-data access log compared before and after).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from test_permissions_pages import (
    BAD,
    LOGGED_IN,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
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

MANAGERS = {"admin", "center"}  # run 과학기술인협동조합지원센터's programmes
DAEJEON_MANAGERS = {"admin"}  # nobody of the demo is staff of 대전 협동조합 지원센터
REGISTERED = {"member", "sme"}  # already registered for the open course
MISSING = 987654


def build_world(users, org):
    from dure.programs.models import Program, Registration

    course = Program.objects.get(title__startswith="협동조합 설립 기초 교육")
    return SimpleNamespace(
        users=users,
        course=course,
        workshop=Program.objects.get(title="사회적협동조합 회계 실무 워크숍"),
        draft=Program.objects.get(status=Program.Status.DRAFT, title__contains="상담회"),
        past=Program.objects.get(title="협동조합 결산과 세무 신고 교육"),
        member_registration=Registration.objects.get(program=course, person=users["member"]),
        centre=org("과학기술인협동조합지원센터"),
    )


_world_once, world = world_fixtures(build_world)


def programs_state() -> dict[str, Any]:
    from dure.core.models import AuditEvent, PersonalDataAccess
    from dure.programs.models import Program, Registration

    return {
        "programs": list(Program.objects.order_by("pk").values()),
        "registrations": list(Registration.objects.order_by("pk").values()),
        "audit": AuditEvent.objects.count(),
        "personal_data_access": PersonalDataAccess.objects.count(),
    }


def program_form(w, role, title="매트릭스 교육"):
    return {
        "host": w.centre.pk,
        "kind": "education",
        "title": title,
        "summary": "매트릭스에서 만든 교육",
        "starts_at": "2031-03-02T14:00",
        "ends_at": "2031-03-02T17:00",
        "venue": "대전 유성구",
        "capacity": "20",
        "fee": "0",
    }


def changed(attr, **values):
    def check(w, role):
        obj = getattr(w, attr)
        obj.refresh_from_db()
        return all(getattr(obj, k) == v for k, v in values.items())

    return check


def exists(model_name, **lookup):
    def check(w, role):
        from django.apps import apps

        return apps.get_model(model_name).objects.filter(**lookup).exists()

    return check


def registered(w, role):
    from dure.programs.models import Registration

    return (
        Registration.objects.filter(program=w.course, person=w.users[role])
        .exclude(status=Registration.Status.CANCELLED)
        .exists()
    )


def attended(w, role):
    from dure.programs.models import Registration

    return Registration.objects.get(program=w.past, person=w.users["member"]).attended


def _past_member(w, role):
    from dure.programs.models import Registration

    pk = Registration.objects.get(program=w.past, person=w.users["member"]).pk
    return {"attended": [str(pk)]}


CASES: list[Case] = [
    # --- the public list and pages --------------------------------------------------------------
    get("programs/", lambda w: "/programs/", everyone(OK)),
    get(
        "programs/",
        lambda w: "/programs/?kind=education&when=past&sido=30",
        everyone(OK),
        variant="filters",
    ),
    get("programs/", lambda w: "/programs/?kind=nope&sido=zz&page=x", everyone(OK), variant="bad"),
    post("programs/", lambda w: "/programs/", everyone(NOT_ALLOWED)),
    get("programs/<int:pk>/", lambda w: f"/programs/{w.course.pk}/", everyone(OK)),
    get(
        "programs/<int:pk>/",
        lambda w: f"/programs/{w.draft.pk}/",
        only(MANAGERS, anonymous=NOT_FOUND),
        variant="draft",
    ),
    get(
        "programs/<int:pk>/",
        lambda w: f"/programs/{MISSING}/",
        everyone(NOT_FOUND),
        variant="missing",
    ),
    post("programs/<int:pk>/", lambda w: f"/programs/{w.course.pk}/", everyone(NOT_ALLOWED)),
    get("programs/mine/", lambda w: "/programs/mine/", members_only()),
    post("programs/mine/", lambda w: "/programs/mine/", members_only(NOT_ALLOWED)),
    # --- running programmes: the host centre's staff ---------------------------------------------
    get("programs/new/", lambda w: "/programs/new/", only(MANAGERS)),
    post(
        "programs/new/",
        lambda w: "/programs/new/",
        only(MANAGERS, REDIRECT),
        data=program_form,
        changes=MANAGERS,
        effect=exists("programs.Program", title="매트릭스 교육", status="draft"),
    ),
    get("programs/<int:pk>/edit/", lambda w: f"/programs/{w.course.pk}/edit/", only(MANAGERS)),
    get(
        "programs/<int:pk>/edit/",
        lambda w: f"/programs/{w.workshop.pk}/edit/",
        only(DAEJEON_MANAGERS),
        variant="other centre",
    ),
    get(
        "programs/<int:pk>/edit/",
        lambda w: f"/programs/{w.draft.pk}/edit/",
        only(MANAGERS),
        variant="draft",
    ),
    post(
        "programs/<int:pk>/edit/",
        lambda w: f"/programs/{w.course.pk}/edit/",
        only(MANAGERS, REDIRECT),
        data=lambda w, r: program_form(w, r, title="매트릭스에서 고친 교육"),
        changes=MANAGERS,
        effect=changed("course", title="매트릭스에서 고친 교육"),
    ),
    post(
        "programs/<int:pk>/edit/",
        lambda w: f"/programs/{w.course.pk}/edit/",
        only(MANAGERS, BAD),
        data=lambda w, r: {**program_form(w, r), "capacity": "1"},  # two are confirmed
        variant="capacity below confirmed",
    ),
    get(
        "programs/<int:pk>/publish/",
        lambda w: f"/programs/{w.draft.pk}/publish/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "programs/<int:pk>/publish/",
        lambda w: f"/programs/{w.draft.pk}/publish/",
        only(MANAGERS, REDIRECT),
        changes=MANAGERS,
        effect=changed("draft", status="published"),
    ),
    post(
        "programs/<int:pk>/publish/",
        lambda w: f"/programs/{w.workshop.pk}/publish/",
        only(DAEJEON_MANAGERS, REDIRECT),  # already published: a message, nothing changes
        variant="published",
    ),
    get("programs/<int:pk>/cancel/", lambda w: f"/programs/{w.course.pk}/cancel/", only(MANAGERS)),
    post(
        "programs/<int:pk>/cancel/",
        lambda w: f"/programs/{w.course.pk}/cancel/",
        only(MANAGERS, REDIRECT),
        data=lambda w, r: {"reason": "강사 사정으로 취소합니다"},
        changes=MANAGERS,
        effect=changed("course", status="cancelled", seats_taken=0),
    ),
    post(
        "programs/<int:pk>/cancel/",
        lambda w: f"/programs/{w.course.pk}/cancel/",
        only(MANAGERS, BAD),
        data=lambda w, r: {"reason": ""},
        variant="no reason",
    ),
    get(
        "programs/<int:pk>/registrants/",
        lambda w: f"/programs/{w.course.pk}/registrants/",
        only(MANAGERS),
        changes=MANAGERS,  # a personal-data access row
    ),
    get(
        "programs/<int:pk>/registrants/",
        lambda w: f"/programs/{w.workshop.pk}/registrants/",
        only(DAEJEON_MANAGERS),
        changes=DAEJEON_MANAGERS,
        variant="other centre",
    ),
    post(
        "programs/<int:pk>/registrants/",
        lambda w: f"/programs/{w.past.pk}/registrants/",
        only(MANAGERS, REDIRECT),
        data=_past_member,
        changes=MANAGERS,
        effect=attended,
    ),
    post(
        "programs/<int:pk>/registrants/",
        lambda w: f"/programs/{w.course.pk}/registrants/",
        only(MANAGERS, BAD),  # not started yet: no attendance
        data=lambda w, r: {"attended": [str(w.member_registration.pk)]},
        changes=MANAGERS,  # the page is shown again (a personal-data access row)
        variant="not started",
    ),
    get(
        "programs/<int:pk>/registrants/export/",
        lambda w: f"/programs/{w.course.pk}/registrants/export/?format=xlsx",
        only(MANAGERS),
        changes=MANAGERS,
    ),
    get(
        "programs/<int:pk>/registrants/export/",
        lambda w: f"/programs/{w.course.pk}/registrants/export/?format=pdf",
        only(set()),
        variant="bad format",
    ),
    post(
        "programs/<int:pk>/registrants/export/",
        lambda w: f"/programs/{w.course.pk}/registrants/export/",
        members_only(NOT_ALLOWED),
    ),
    # --- registering: anyone signed in ----------------------------------------------------------
    get(
        "programs/<int:pk>/register/",
        lambda w: f"/programs/{w.course.pk}/register/",
        {
            "anonymous": LOGIN,
            **{r: REDIRECT if r in REGISTERED else OK for r in LOGGED_IN},
        },
    ),
    post(
        "programs/<int:pk>/register/",
        lambda w: f"/programs/{w.course.pk}/register/",
        members_only(REDIRECT),  # registered, or back to the page: "이미 신청하셨습니다"
        data=lambda w, r: {"note": "매트릭스 신청"},
        changes=set(LOGGED_IN) - REGISTERED,
        effect=registered,
    ),
    post(
        "programs/<int:pk>/register/",
        lambda w: f"/programs/{w.course.pk}/register/",
        {
            "anonymous": LOGIN,
            **{r: REDIRECT if r in REGISTERED else BAD for r in LOGGED_IN},
        },
        data=lambda w, r: {"organisation": str(MISSING)},
        variant="not one's organisation",
    ),
    get(
        "programs/<int:pk>/register/",
        lambda w: f"/programs/{w.draft.pk}/register/",
        only(MANAGERS),
        variant="draft",
    ),
    post(
        "programs/<int:pk>/register/",
        lambda w: f"/programs/{w.draft.pk}/register/",
        only(MANAGERS, BAD),  # not open for registration
        variant="draft",
    ),
    post(
        "programs/<int:pk>/register/",
        lambda w: f"/programs/{w.past.pk}/register/",
        {
            "anonymous": LOGIN,
            **{r: REDIRECT if r in {"coop", "member"} else BAD for r in LOGGED_IN},
        },
        variant="closed",
    ),
    get(
        "programs/registrations/<int:pk>/cancel/",
        lambda w: f"/programs/registrations/{w.member_registration.pk}/cancel/",
        only(MANAGERS | {"member"}),
    ),
    post(
        "programs/registrations/<int:pk>/cancel/",
        lambda w: f"/programs/registrations/{w.member_registration.pk}/cancel/",
        only(MANAGERS | {"member"}, REDIRECT),
        changes=MANAGERS | {"member"},
        effect=changed("member_registration", status="cancelled"),
    ),
    post(
        "programs/registrations/<int:pk>/cancel/",
        lambda w: f"/programs/registrations/{MISSING}/cancel/",
        only(set()),
        variant="missing",
    ),
]


def _params():
    for case in CASES:
        for role in ROLES:
            yield pytest.param(case, role, id=f"{case.id}-{role}")


@pytest.mark.parametrize(("case", "role"), list(_params()))
def test_programs_page_permission_matrix(case: Case, role: str, world, client_for):
    check_case(case, role, world, client_for, programs_state, form_keys=("form",))


def test_every_programs_url_has_a_matrix_entry():
    check_every_route_covered("programs/", CASES)


def test_every_case_names_every_role():
    for case in CASES:
        assert set(case.expected) == set(ROLES), case.id
