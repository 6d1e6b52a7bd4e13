"""Who may call what in the founding consultations API: every /api/v1/founding operation of the
OpenAPI schema × every demo role, with the exact status; refused writes change nothing.

The same rules as the pages: nothing is public (anonymous: 401 everywhere); the applicant sees
their own consultation and may withdraw it; the staff of the centre it was asked of (``center``
at 과학기술인협동조합지원센터) and platform admins (``admin``) see it and handle it — sessions,
stages, the consultant, withdrawing — and their reads of someone else's contact details are
logged. ``researcher``'s consultation is received, ``member``'s being prepared, ``coop``'s
founded; ``sme``'s (made here) is at the Daejeon centre, which nobody but ``admin`` handles.
Something a caller may not see is a 404, something they may see but not do a 403.
``test_every_founding_operation_has_an_entry`` fails when an endpoint has no entry.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from api.api_helpers import API, ROLES, expect, send
from api.api_helpers import ApiCase as Case
from django.utils import timezone

from .test_api import CENTRE, DAEJEON_CENTRE, FOUNDED, PREPARING, RECEIVED

pytestmark = pytest.mark.django_db

MANAGERS = {"admin", "center"}  # handle the centre's consultations


@pytest.fixture
def world(users, org):
    from dure.founding import services
    from dure.founding.models import Consultation

    consultations = {
        c.proposed_name: c
        for c in Consultation.objects.filter(proposed_name__in=[RECEIVED, PREPARING, FOUNDED])
    }
    elsewhere = services.consultation_request(
        actor=users["sme"],
        centre=org(DAEJEON_CENTRE),
        data={
            "contact_name": "박대표",
            "proposed_name": "권한 시험 공유부엌",
            "kind": "cooperative",
            "business": "공유부엌",
        },
    ).consultation
    return SimpleNamespace(
        users=users,
        applicants={c.pk: c.applicant.username for c in [*consultations.values(), elsewhere]},
        centre=org(CENTRE),
        received=consultations[RECEIVED],
        preparing=consultations[PREPARING],
        founded=consultations[FOUNDED],
        elsewhere=elsewhere,
    )


def founding_state() -> tuple:
    """Every consultation, session and stage event, and the audit and personal-data logs'
    lengths: what a refused call must leave as it was."""
    from dure.core.models import AuditEvent, PersonalDataAccess
    from dure.founding.models import Consultation, Session, StageEvent

    return (
        list(Consultation.objects.order_by("pk").values()),
        list(Session.objects.order_by("pk").values()),
        list(StageEvent.objects.order_by("pk").values()),
        AuditEvent.objects.exclude(action__startswith="auth.").count(),
        PersonalDataAccess.objects.count(),
    )


def stage_is(attr: str, stage: str):
    def check(w, role):
        obj = getattr(w, attr)
        return type(obj).objects.get(pk=obj.pk).stage == stage

    return check


def session_recorded(attr: str):
    def check(w, role):
        return getattr(w, attr).sessions.filter(counsellor=w.users[role]).exists()

    return check


def request_body(w, role) -> dict[str, Any]:
    return {
        "centre_id": w.centre.pk,
        "contact_name": "권한 시험",
        "proposed_name": "권한 시험 협동조합",
        "kind": "cooperative",
        "business": "권한 시험",
        "founders": 5,
    }


def session_body(w, role) -> dict[str, Any]:
    return {
        "held_on": timezone.localdate().isoformat(),
        "mode": "visit",
        "topics": ["articles"],
        "summary": "권한 시험",
    }


def owned(applicant: str, *, yes: int = 200, own: int = 403) -> dict[str, int]:
    """A consultation of the centre asked by ``applicant``: its managers get ``yes``, the
    applicant ``own`` (by default: may see it, may not do this), everybody else 404."""
    return expect(404, anonymous=401, own=({applicant}, own), yes=(MANAGERS, yes))


SIGNED_IN = expect(200, anonymous=401)


MATRIX = [
    Case("GET", "/founding/consultations", SIGNED_IN),
    Case(
        "GET",
        "/founding/consultations",
        SIGNED_IN,
        query="?stage=preparing&page_size=5",
        label="stage",
    ),
    Case(
        "GET",
        "/founding/consultations/{id}",
        owned("member", own=200),
        target=lambda w: w.preparing.pk,
    ),
    Case(
        "GET",
        "/founding/consultations/{id}",
        expect(404, anonymous=401, yes=({"admin", "sme"}, 200)),
        target=lambda w: w.elsewhere.pk,
        label="another centre's",
    ),
    Case(
        "POST",
        "/founding/consultations",
        expect(201, anonymous=401),
        body=request_body,
        effect=lambda w, role: w.centre.founding_consultations.filter(
            proposed_name="권한 시험 협동조합", applicant=w.users[role]
        ).exists(),
    ),
    Case(
        "POST",
        "/founding/consultations/{id}/sessions",
        owned("member", yes=201),
        target=lambda w: w.preparing.pk,
        body=session_body,
        effect=session_recorded("preparing"),
    ),
    Case(
        "POST",
        "/founding/consultations/{id}/sessions",
        expect(404, anonymous=401, own=({"sme"}, 403), yes=({"admin"}, 201)),
        target=lambda w: w.elsewhere.pk,
        body=session_body,
        effect=session_recorded("elsewhere"),
        label="another centre's",
    ),
    Case(
        "POST",
        "/founding/consultations/{id}/sessions",
        owned("coop", yes=422),
        target=lambda w: w.founded.pk,
        body=session_body,
        label="founded (closed: 422 for its managers)",
    ),
    Case(
        "POST",
        "/founding/consultations/{id}/move",
        owned("researcher"),
        target=lambda w: w.received.pk,
        body=lambda w, role: {"stage": "consulting", "note": "권한 시험"},
        effect=stage_is("received", "consulting"),
    ),
    Case(
        "POST",
        "/founding/consultations/{id}/move",
        owned("member", yes=422),
        target=lambda w: w.preparing.pk,
        body=lambda w, role: {"stage": "assembly"},
        label="four founders (422 for its managers)",
    ),
    Case(
        "POST",
        "/founding/consultations/{id}/move",
        expect(404, anonymous=401, own=({"sme"}, 403), yes=({"admin"}, 200)),
        target=lambda w: w.elsewhere.pk,
        body=lambda w, role: {"stage": "consulting"},
        effect=stage_is("elsewhere", "consulting"),
        label="another centre's",
    ),
    Case(
        "POST",
        "/founding/consultations/{id}/assign",
        owned("researcher"),
        target=lambda w: w.received.pk,
        body=lambda w, role: {"consultant_id": w.users["center"].pk},
        effect=lambda w, role: (
            type(w.received).objects.get(pk=w.received.pk).consultant_id == w.users["center"].pk
        ),
    ),
    Case(
        "POST",
        "/founding/consultations/{id}/assign",
        owned("member"),
        target=lambda w: w.preparing.pk,
        body=lambda w, role: {"consultant_id": None},
        effect=lambda w, role: (
            type(w.preparing).objects.get(pk=w.preparing.pk).consultant_id is None
        ),
        label="unassign",
    ),
    Case(
        "POST",
        "/founding/consultations/{id}/withdraw",
        owned("member", own=200),
        target=lambda w: w.preparing.pk,
        body=lambda w, role: {"note": "권한 시험"},
        effect=stage_is("preparing", "withdrawn"),
    ),
    Case(
        "POST",
        "/founding/consultations/{id}/withdraw",
        expect(404, anonymous=401, yes=({"admin", "sme"}, 200)),
        target=lambda w: w.elsewhere.pk,
        body=lambda w, role: {},
        effect=stage_is("elsewhere", "withdrawn"),
        label="another centre's",
    ),
    Case(
        "POST",
        "/founding/consultations/{id}/withdraw",
        owned("coop", yes=422, own=422),
        target=lambda w: w.founded.pk,
        body=lambda w, role: {},
        label="founded (422 for whoever may see it)",
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", MATRIX, ids=lambda c: c.id)
def test_founding_api_role_gets_the_expected_status(case, role, client_for, world):
    from dure.core.models import PersonalDataAccess

    client = client_for(role)
    path = case.path
    if case.target:
        path = path.replace("{id}", str(case.target(world)))
    body = case.body(world, role) if case.body else None
    before = founding_state()

    response = send(client, case.method, path + case.query, body)

    expected = case.statuses[role]
    assert response.status_code == expected, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    if expected >= 400:
        assert set(response.json()) >= {"code", "message", "field"}
        assert founding_state() == before, "a refused call changed the database"
        return
    # a manager shown someone else's contact details (a consultation's detail): that read is
    # logged, and only that
    applicant = world.applicants.get(case.target(world)) if case.target else role
    shows_contact = "contact_name" in response.json() and role in MANAGERS
    logged = 1 if shows_contact and applicant != role else 0
    if case.method == "GET":
        after = founding_state()
        assert after[:4] == before[:4], "a read changed the database"
        assert after[4] == before[4] + logged
        if logged:
            assert PersonalDataAccess.objects.order_by("-id").first().via == "api"
    else:
        assert founding_state()[4] == before[4] + logged
        assert case.effect is not None and case.effect(world, role), (
            "an allowed call must do what it asks"
        )


def test_every_founding_operation_has_an_entry(client):
    schema = client.get(f"{API}/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
        and (path == f"{API}/founding" or path.startswith(f"{API}/founding/"))
    }
    covered = {case.operation for case in MATRIX}
    assert operations - covered == set(), "add these operations to MATRIX"
    assert covered - operations == set(), "MATRIX lists operations the API no longer has"


def test_every_case_decides_every_role():
    for case in MATRIX:
        assert set(case.statuses) == set(ROLES), case.id


def test_admins_may_act_everywhere_and_anonymous_nowhere():
    """A sanity check on the matrix itself: a platform admin handles every consultation (or
    gets the service's 422); anonymous callers get a 401 everywhere."""
    for case in MATRIX:
        assert case.statuses["anonymous"] == 401, case.id
        assert case.statuses["admin"] in {200, 201, 422}, case.id
