"""Who may call what in the programmes API: every /api/v1/programs operation of the OpenAPI
schema × every demo role, with the exact status; refused writes change nothing.

The same rules as the pages: published programmes are public, a draft is seen only by the
people who run its host (``center`` runs 과학기술인협동조합지원센터, nobody but ``admin`` runs
대전 협동조합 지원센터); those people edit, publish, cancel, read the registrants (logged
personal data) and take attendance; anyone signed in registers; a registration is cancelled by
its person or the programme's managers. Something a caller may not see is a 404, something
they may see but not do a 403, a write without credentials a 401.
``test_every_programs_operation_has_an_entry`` fails when an endpoint has no entry.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from api.api_helpers import API, ROLES, expect, send
from api.api_helpers import ApiCase as Case

from .test_api import CENTRE, DRAFT, FULL, OPEN, PAST, at

pytestmark = pytest.mark.django_db

MANAGERS = {"admin", "center"}  # run the centre's programmes
ALREADY_REGISTERED = {"member", "sme"}  # for OPEN


@pytest.fixture
def world(users, org):
    from dure.programs.models import Program, Registration

    programs = {p.title: p for p in Program.objects.filter(title__in=[OPEN, FULL, DRAFT, PAST])}

    def live(title: str, username: str) -> Registration:
        return Registration.objects.exclude(status="cancelled").get(
            program=programs[title], person=users[username]
        )

    return SimpleNamespace(
        users=users,
        centre=org(CENTRE),
        open=programs[OPEN],
        full=programs[FULL],
        draft=programs[DRAFT],
        past=programs[PAST],
        member_open=live(OPEN, "member"),
        coop_full=live(FULL, "coop"),
        member_past=live(PAST, "member"),
    )


def programs_state() -> tuple:
    """Every programme and registration, and the audit and personal-data logs' lengths: what
    a refused call must leave as it was."""
    from dure.core.models import AuditEvent, PersonalDataAccess
    from dure.programs.models import Program, Registration

    return (
        list(Program.objects.order_by("pk").values()),
        list(Registration.objects.order_by("pk").values()),
        AuditEvent.objects.exclude(action__startswith="auth.").count(),
        PersonalDataAccess.objects.count(),
    )


def status_is(attr: str, status: str):
    def check(w, role):
        obj = getattr(w, attr)
        return type(obj).objects.get(pk=obj.pk).status == status

    return check


def registered(w, role) -> bool:
    return w.open.registrations.exclude(status="cancelled").filter(person=w.users[role]).exists()


def program_body(w, role) -> dict[str, Any]:
    return {
        "host_id": w.centre.pk,
        "kind": "forum",
        "title": "권한 시험 포럼",
        "summary": "권한 시험",
        "starts_at": at(30, 14).isoformat(),
        "ends_at": at(30, 16).isoformat(),
        "is_online": True,
    }


PUBLIC = expect(200)
SIGNED_IN = expect(200, anonymous=401)
MANAGE = expect(403, anonymous=401, yes=(MANAGERS, 200))
MANAGE_DRAFT = expect(404, anonymous=401, yes=(MANAGERS, 200))

MATRIX = [
    Case("GET", "/programs", PUBLIC),
    Case("GET", "/programs", PUBLIC, query="?when=past&kind=education", label="past"),
    Case("GET", "/programs/{id}", PUBLIC, target=lambda w: w.open.pk, label="published"),
    Case(
        "GET",
        "/programs/{id}",
        expect(404, yes=(MANAGERS, 200)),
        target=lambda w: w.draft.pk,
        label="draft",
    ),
    Case(
        "POST",
        "/programs",
        expect(403, anonymous=401, yes=(MANAGERS, 201)),
        body=program_body,
        effect=lambda w, role: w.centre.programs.filter(title="권한 시험 포럼").exists(),
    ),
    Case(
        "PATCH",
        "/programs/{id}",
        MANAGE,
        target=lambda w: w.open.pk,
        body=lambda w, role: {"title": "권한 시험으로 고친 제목"},
        effect=lambda w, role: (
            type(w.open).objects.filter(title="권한 시험으로 고친 제목").exists()
        ),
        label="published",
    ),
    Case(
        "PATCH",
        "/programs/{id}",
        MANAGE_DRAFT,
        target=lambda w: w.draft.pk,
        body=lambda w, role: {"capacity": 20},
        effect=lambda w, role: type(w.draft).objects.get(pk=w.draft.pk).capacity == 20,
        label="draft",
    ),
    Case(
        "PATCH",
        "/programs/{id}",
        expect(403, anonymous=401, yes=({"admin"}, 200)),
        target=lambda w: w.full.pk,
        body=lambda w, role: {"capacity": 3},
        effect=lambda w, role: type(w.full).objects.get(pk=w.full.pk).capacity == 3,
        label="another centre's",
    ),
    Case(
        "POST",
        "/programs/{id}/publish",
        MANAGE_DRAFT,
        target=lambda w: w.draft.pk,
        effect=status_is("draft", "published"),
    ),
    Case(
        "POST",
        "/programs/{id}/cancel",
        MANAGE,
        target=lambda w: w.open.pk,
        body=lambda w, role: {"reason": "권한 시험"},
        effect=status_is("open", "cancelled"),
    ),
    Case(
        "POST",
        "/programs/{id}/cancel",
        MANAGE_DRAFT,
        target=lambda w: w.draft.pk,
        body=lambda w, role: {"reason": "권한 시험"},
        effect=status_is("draft", "cancelled"),
        label="draft",
    ),
    Case(
        "POST",
        "/programs/{id}/registrations",
        expect(201, anonymous=401, again=(ALREADY_REGISTERED, 200)),
        target=lambda w: w.open.pk,
        body=lambda w, role: {},
        effect=registered,
    ),
    Case(
        "POST",
        "/programs/{id}/registrations",
        expect(404, anonymous=401, yes=(MANAGERS, 422)),
        target=lambda w: w.draft.pk,
        body=lambda w, role: {},
        label="draft (not open: 422 for its managers)",
    ),
    Case("GET", "/programs/registrations/mine", SIGNED_IN),
    Case(
        "POST",
        "/programs/registrations/{id}/cancel",
        expect(404, anonymous=401, yes=(MANAGERS | {"member"}, 200)),
        target=lambda w: w.member_open.pk,
        effect=status_is("member_open", "cancelled"),
    ),
    Case(
        "POST",
        "/programs/registrations/{id}/cancel",
        expect(404, anonymous=401, yes=({"admin", "coop"}, 200)),
        target=lambda w: w.coop_full.pk,
        effect=status_is("coop_full", "cancelled"),
        label="another centre's programme",
    ),
    Case("GET", "/programs/{id}/registrations", MANAGE, target=lambda w: w.open.pk),
    Case(
        "GET",
        "/programs/{id}/registrations",
        MANAGE_DRAFT,
        target=lambda w: w.draft.pk,
        label="draft",
    ),
    Case(
        "GET",
        "/programs/{id}/registrations",
        expect(403, anonymous=401, yes=({"admin"}, 200)),
        target=lambda w: w.full.pk,
        label="another centre's",
    ),
    Case(
        "POST",
        "/programs/{id}/attendance",
        MANAGE,
        target=lambda w: w.past.pk,
        body=lambda w, role: {"attended": [w.member_past.pk]},
        effect=lambda w, role: type(w.member_past).objects.get(pk=w.member_past.pk).attended,
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", MATRIX, ids=lambda c: c.id)
def test_programs_api_role_gets_the_expected_status(case, role, client_for, world):
    from dure.core.models import PersonalDataAccess

    client = client_for(role)
    path = case.path
    if case.target:
        path = path.replace("{id}", str(case.target(world)))
    body = case.body(world, role) if case.body else None
    before = programs_state()

    response = send(client, case.method, path + case.query, body)

    expected = case.statuses[role]
    assert response.status_code == expected, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    if expected >= 400:
        assert set(response.json()) >= {"code", "message", "field"}
    if case.path.endswith("/{id}/registrations") and case.method == "GET" and expected == 200:
        # the registrants are personal data: reading them is logged, and only that
        after = programs_state()
        assert after[:3] == before[:3]
        assert after[3] == before[3] + 1
        assert PersonalDataAccess.objects.order_by("-id").first().via == "api"
    elif case.method == "GET" or expected >= 400 or expected == 200 and case.effect is registered:
        # reads, refusals and a repeated registration change nothing
        assert programs_state() == before, "a refused or read-only call changed the database"
    elif case.effect is not None:
        assert case.effect(world, role), "an allowed call must do what it asks"


def test_every_programs_operation_has_an_entry(client):
    schema = client.get(f"{API}/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
        and (path == f"{API}/programs" or path.startswith(f"{API}/programs/"))
    }
    covered = {case.operation for case in MATRIX}
    assert operations - covered == set(), "add these operations to MATRIX"
    assert covered - operations == set(), "MATRIX lists operations the API no longer has"


def test_every_case_decides_every_role():
    for case in MATRIX:
        assert set(case.statuses) == set(ROLES), case.id


def test_admins_may_write_everywhere_and_anonymous_nowhere():
    """A sanity check on the matrix itself: a platform admin runs every programme; anonymous
    callers write nothing."""
    for case in MATRIX:
        if case.method == "GET":
            continue
        allowed = {role for role, status in case.statuses.items() if status < 400}
        assert "anonymous" not in allowed, case.id
        if allowed:  # (registering for a draft is refused to everyone)
            assert "admin" in allowed, case.id
