"""Who may call what on the desk API: every operation under /api/v1/desk/ × every demo role,
with the exact status code; refused writes change nothing, allowed ones do what they say.

``test_every_desk_operation_has_an_entry_in_the_matrix`` fails when a desk endpoint is added
without deciding who may call it (the central matrix in tests/api skips ``/desk/``).

Setup: each row gets a fresh case of the demo ``sme`` (the requester, signed in when
submitting) in the state the row needs (with a KIMM researcher as collaborator for the row
that removes one), received by the national intake centre (whose staff,
``center``, see and triage every case); from triage on, its lead institute is KITECH and its
assignee the demo ``researcher`` (KITECH), through the KITECH demo team. So ``admin``,
``center``, ``researcher`` and ``sme`` see it (``researcher`` only once it is routed to
KITECH); everyone else gets 404, anonymous callers 401. The status link is a capability: it
works the same for every role.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from dure.directory.demo import DEMO_USERNAMES

from .conftest import PDF, intake, upload

pytestmark = pytest.mark.django_db

API = "/api/v1"
ROLES = ["anonymous", *DEMO_USERNAMES]
STAFF = {"admin", "center"}
WORKERS = {"admin", "center", "researcher"}  # the staff side of a KITECH case
REQUESTER = "sme"


def expect(default: int, **per_role: int) -> dict[str, int]:
    unknown = set(per_role) - set(ROLES)
    assert not unknown, unknown
    return {role: per_role.get(role, default) for role in ROLES}


def seen_by(roles: set[str], status: int, *, requester: int | None = None) -> dict[str, int]:
    """``status`` for ``roles`` (and ``requester`` for the sme if given), 404 for the others,
    401 for anonymous."""
    per_role = dict.fromkeys(roles, status)
    if requester is not None:
        per_role[REQUESTER] = requester
    return expect(404, anonymous=401, **per_role)


def everyone(status: int) -> dict[str, int]:
    return expect(status)


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # as in the OpenAPI schema, under /api/v1
    state: str = ""  # the case the row needs: received, triaged, … ("" = none)
    body: Any = None  # JSON (values "{team}" are replaced), or "multipart"
    statuses: dict[str, int] = field(default_factory=dict)
    after: str = ""  # the case's status after an allowed move
    label: str = ""

    @property
    def operation(self) -> str:
        return f"{self.method} {API}{self.path}"

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}{' ' + self.label if self.label else ''}"


SUBMISSION = {**intake(), "privacy_consent": True}
PHONE_CALL = {**SUBMISSION, "channel": "phone_1379", "contact_email": None}
C = "/desk/cases/{number}"
S = "/desk/status/{token}"

MATRIX = [
    # intake and lists
    Op("POST", "/desk/cases", body=SUBMISSION, statuses=everyone(201), label="web"),
    Op(
        "POST",
        "/desk/cases",
        body=PHONE_CALL,
        statuses=expect(403, anonymous=401, admin=201, center=201),
        label="staff intake",
    ),
    Op("GET", "/desk/cases", statuses=expect(200, anonymous=401)),
    # one case
    Op("GET", C, "in_progress", statuses=seen_by(WORKERS, 200, requester=200)),
    Op(
        "GET",
        C,
        "received",
        statuses=seen_by(STAFF, 200, requester=200),
        label="not yet routed",
    ),
    Op("GET", C + "/timeline", "in_progress", statuses=seen_by(WORKERS, 200, requester=200)),
    Op("GET", C + "/messages", "in_progress", statuses=seen_by(WORKERS, 200, requester=200)),
    Op(
        "POST",
        C + "/messages",
        "in_progress",
        body={"body": "진행 상황을 알려 드립니다."},
        statuses=seen_by(WORKERS, 201, requester=201),
    ),
    Op(
        "POST",
        C + "/messages",
        "in_progress",
        body={"body": "내부 메모", "is_internal": True},
        statuses=seen_by(WORKERS, 201, requester=403),
        label="internal note",
    ),
    Op(
        "POST",
        C + "/attachments",
        "in_progress",
        body="multipart",
        statuses=seen_by(WORKERS, 201, requester=201),
    ),
    Op(
        "GET",
        C + "/attachments/{attachment_id}",
        "in_progress",
        statuses=seen_by(WORKERS, 200, requester=200),
    ),
    Op(
        "GET",
        C + "/recommendation",
        "received",
        statuses=seen_by(STAFF, 200, requester=403),
    ),
    # the workflow
    Op(
        "POST",
        C + "/triage",
        "received",
        body={"category": "consulting", "lead_institute": "KITECH", "recommended": ["KITECH"]},
        statuses=seen_by(STAFF, 200, requester=403),
        after="triaged",
    ),
    Op(
        "POST",
        C + "/assign",
        "triaged",
        body={"team_id": "{team}"},
        statuses=seen_by(WORKERS, 200, requester=403),
        after="assigned",
    ),
    Op(
        "POST",
        C + "/start",
        "assigned",
        statuses=seen_by(WORKERS, 200, requester=403),
        after="in_progress",
    ),
    Op(
        "POST",
        C + "/wait",
        "in_progress",
        body={"message": "도면을 보내 주세요."},
        statuses=seen_by(WORKERS, 200, requester=403),
        after="waiting",
    ),
    Op(
        "POST",
        C + "/resume",
        "waiting",
        statuses=seen_by(WORKERS, 200, requester=403),
        after="in_progress",
    ),
    Op(
        "POST",
        C + "/resolve",
        "in_progress",
        body={"outcome": "information", "summary": "자료를 안내했습니다."},
        statuses=seen_by(WORKERS, 200, requester=403),
        after="resolved",
    ),
    Op(
        "POST",
        C + "/close",
        "resolved",
        body={},
        statuses=seen_by(WORKERS, 200, requester=200),
        after="closed",
    ),
    Op(
        "POST",
        C + "/close",
        "received",
        body={"reason": "중복 접수"},
        statuses=seen_by(STAFF, 200, requester=403),
        after="closed",
        label="dismiss",
    ),
    Op(
        "POST",
        C + "/reopen",
        "resolved",
        body={"reason": "재발했습니다."},
        statuses=seen_by(WORKERS, 200, requester=200),
        after="in_progress",
    ),
    Op(
        "POST",
        C + "/survey",
        "resolved",
        body={"rating": 4},
        statuses=seen_by(WORKERS, 403, requester=201),
    ),
    Op(
        "POST",
        C + "/collaborators",
        "in_progress",
        body={"user_id": "{kimm}", "note": "소재 분석"},
        statuses=seen_by(WORKERS, 200, requester=403),
    ),
    Op(
        "DELETE",
        C + "/collaborators/{user_id}",
        "in_progress+collaborator",
        statuses=seen_by(WORKERS, 200, requester=403),
    ),
    # the status link: the token is the key, whoever holds it
    Op("GET", S, "in_progress", statuses=everyone(200)),
    Op("GET", S, "in_progress", statuses=everyone(403), label="forged"),
    Op(
        "POST",
        S + "/messages",
        "waiting",
        body={"body": "보내 드렸습니다."},
        statuses=everyone(201),
        after="in_progress",
    ),
    Op("POST", S + "/survey", "resolved", body={"rating": 5}, statuses=everyone(201)),
    Op(
        "POST",
        S + "/reopen",
        "resolved",
        body={"reason": "다시 생겼어요"},
        statuses=everyone(200),
        after="in_progress",
    ),
    Op("GET", S + "/attachments/{attachment_id}", "in_progress", statuses=everyone(200)),
    # dashboards
    Op("GET", "/desk/stats", statuses=expect(403, anonymous=401, **dict.fromkeys(WORKERS, 200))),
    Op(
        "GET",
        "/desk/stats/export",
        statuses=expect(403, anonymous=401, **dict.fromkeys(WORKERS, 200)),
    ),
]


@pytest.fixture(autouse=True)
def _no_embedding_model_for_rankings(monkeypatch):
    """The recommendation row ranks with a stand-in: who may call it is the question here."""
    from dure.routing import services as routing_services
    from dure.routing.engine import Recommendation

    def recommend(text, *, limit=None, include_examples=True):
        return [Recommendation("KITECH", "한국생산기술연구원", 1.0, {"terms": [], "sentences": []})]

    monkeypatch.setattr(routing_services, "recommend", recommend)


def footprint() -> dict[str, int]:
    from dure.core.models import AuditEvent
    from dure.desk.models import (
        Case,
        CaseAttachment,
        CaseEvent,
        CaseMessage,
        CaseSurvey,
    )

    return {
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "messages": CaseMessage.objects.count(),
        "attachments": CaseAttachment.objects.count(),
        "surveys": CaseSurvey.objects.count(),
        "audit": AuditEvent.objects.exclude(action__startswith="auth.").count(),
    }


def case_row(pk: int) -> dict[str, Any]:
    from django.forms.models import model_to_dict

    from dure.desk.models import Case

    case = Case.objects.get(pk=pk)
    return {
        **model_to_dict(case),
        "updated_at": case.updated_at,
        "collaborating_institutes": sorted(
            case.collaborating_institutes.values_list("pk", flat=True)
        ),
    }


def fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", MATRIX, ids=lambda o: o.id)
def test_role_gets_the_expected_status_and_refused_writes_change_nothing(
    op, role, client_for, desk, flow
):
    from dure.desk import links, services
    from dure.desk.models import Case

    # given
    state, _plus, extra = op.state.partition("+")
    case = flow(state, actor=desk.sme, attachments=[upload(PDF, "도면.pdf")]) if state else None
    if extra == "collaborator":
        services.case_collaborator_add(actor=desk.center, case=case, user=desk.kimm_researcher)
    ids: dict[str, Any] = {"team": desk.team.pk, "kimm": desk.kimm_researcher.pk}
    path = op.path.replace("{user_id}", str(desk.kimm_researcher.pk))
    if case is not None:
        token = links.make_token(case)
        if op.label == "forged":
            token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        path = (
            path.replace("{number}", case.number)
            .replace("{token}", token)
            .replace("{attachment_id}", str(case.attachments.get().pk))
        )
    client = client_for(role)
    before = footprint()
    row = case_row(case.pk) if case else None
    # when
    url = API + path
    if op.body == "multipart":
        response = client.post(url, {"files": [upload(PDF, "추가 자료.pdf")]})
    elif op.method == "POST":
        body = fill(op.body, ids)
        response = client.post(
            url,
            data=json.dumps(body) if body is not None else None,
            content_type="application/json",
        )
    elif op.method == "DELETE":
        response = client.delete(url)
    else:
        response = client.get(url)
    # then
    expected = op.statuses[role]
    assert response.status_code == expected, response.content.decode()[:500]
    if expected >= 400:
        assert response["Content-Type"].startswith("application/json")
        assert set(response.json()) >= {"code", "message", "field"}
    if op.method == "GET":
        assert footprint() == before
        return
    if expected >= 400:
        assert footprint() == before
        if row is not None:
            assert case_row(case.pk) == row
        return
    changed = footprint()
    if case is None:
        assert changed["cases"] == before["cases"] + 1
    else:
        assert changed != before
    if op.after:
        assert Case.objects.get(pk=case.pk).status == op.after


def test_every_desk_operation_has_an_entry_in_the_matrix(client):
    # given
    schema = client.get(f"{API}/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"} and path.startswith(f"{API}/desk/")
    }
    covered = {op.operation for op in MATRIX}
    # then
    assert operations, "the desk API has no operations?"
    assert operations - covered == set(), "add these operations to MATRIX"
    assert covered - operations == set(), "MATRIX lists operations the API no longer has"


def test_every_row_decides_every_role():
    for op in MATRIX:
        assert set(op.statuses) == set(ROLES), op.id


def test_login_is_needed_except_for_intake_and_the_status_link():
    for op in MATRIX:
        public = op.path.startswith("/desk/status/") or (
            op.path == "/desk/cases" and op.method == "POST"
        )
        if not public:
            assert op.statuses["anonymous"] == 401, op.id


def test_people_unrelated_to_a_case_never_reach_it():
    """coop, member, supplier, seller, creator: no case of theirs, so 404 on every case."""
    strangers = {"coop", "member", "supplier", "seller", "creator"}
    for op in MATRIX:
        if op.path.startswith("/desk/cases/"):
            assert {op.statuses[r] for r in strangers} == {404}, op.id


def test_every_desk_operation_is_documented(client):
    schema = client.get(f"{API}/openapi.json").json()
    for path, item in schema["paths"].items():
        if not path.startswith(f"{API}/desk/"):
            continue
        for method, operation in item.items():
            assert operation.get("summary"), (method, path)
            assert len(operation.get("description") or "") > 20, (method, path)
            documented = {int(s) for s in operation["responses"] if s.isdigit()}
            statuses = next(
                op.statuses for op in MATRIX if op.operation == f"{method.upper()} {path}"
            )
            assert set(statuses.values()) <= documented | {401}, (method, path)
