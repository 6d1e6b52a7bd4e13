"""Who may call the routing API and what each caller sees: every operation under
/api/v1/routing/ × every demo role, with the exact status and which past cases appear in the
evidence. ``test_every_routing_operation_has_an_entry_in_the_matrix`` fails when an endpoint
is added without deciding who may call it.

Setup: two past cases similar to the request, one routed to KITECH (the ``researcher``'s
institute) and one to ETRI. Platform and centre staff see both; KITECH's researcher only the
case routed to KITECH; everyone else sees no past case at all (``examples`` is null), only the
matched terms and profile sentences.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from dure.directory.demo import DEMO_USERNAMES

pytestmark = pytest.mark.django_db

API = "/api/v1"
ROLES = ["anonymous", *DEMO_USERNAMES]
REQUEST = "사출로 뽑은 플라스틱 케이스 겉면에 물결 같은 줄무늬가 생겨요"
PAST_CASES = {
    "kitech_case": ("플라스틱 뚜껑을 틀에서 뽑았더니 겉에 물결무늬가 생겼어요", ["KITECH"]),
    "etri_case": ("플라스틱 케이스 겉면의 줄무늬를 카메라로 자동 검사하고 싶어요", ["ETRI"]),
}


def expect(default, **per_role):
    unknown = set(per_role) - set(ROLES)
    assert not unknown, unknown
    return {role: per_role.get(role, default) for role in ROLES}


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    body: dict
    statuses: dict[str, int]
    # which past cases each role finds in the evidence (None: the field is null)
    sees: dict[str, frozenset[str] | None] = field(default_factory=dict)
    label: str = ""

    @property
    def operation(self) -> str:
        return f"{self.method} {API}{self.path}"

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}{' ' + self.label if self.label else ''}"


BOTH = frozenset(PAST_CASES)
MATRIX = [
    Case(
        "POST",
        "/routing/recommend",
        {"text": REQUEST, "limit": 25},
        statuses=expect(200),
        sees=expect(None, admin=BOTH, center=BOTH, researcher=frozenset({"kitech_case"})),
    ),
    Case(
        "POST",
        "/routing/recommend",
        {"text": "   "},
        statuses=expect(422),
        label="empty text",
    ),
]


@pytest.fixture
def past_cases(users, tiny_profiles):
    from dure.routing.services import routing_example_record

    return {
        routing_example_record(
            actor=users["center"],
            text=text,
            institutes=institutes,
            source="test.case",
            source_id=name,
        ).pk: name
        for name, (text, institutes) in PAST_CASES.items()
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", MATRIX, ids=lambda c: c.id)
def test_role_gets_the_expected_status_and_sees_only_the_past_cases_it_may(
    case, role, client_for, past_cases
):
    from dure.core.models import AuditEvent
    from dure.routing.models import RoutingExample

    # given
    client = client_for(role)
    examples_before = list(RoutingExample.objects.values_list("id", "institutes", "updated_at"))
    audit_before = AuditEvent.objects.exclude(action__startswith="auth.").count()
    # when
    response = client.post(
        API + case.path, data=json.dumps(case.body), content_type="application/json"
    )
    # then
    assert response.status_code == case.statuses[role], response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    if response.status_code >= 400:
        assert set(body) >= {"code", "message", "field"}
    else:
        ranking = body["ranking"]
        assert len(ranking) == case.body.get("limit", 5)
        examples = [item["evidence"]["examples"] for item in ranking]
        expected = case.sees[role]
        if expected is None:
            assert examples == [None] * len(ranking)
            assert str(past_cases) and all(
                PAST_CASES[name][0] not in response.content.decode() for name in PAST_CASES
            )
        else:
            # (the demo's triaged cases are past cases too: only ours are counted)
            seen = {
                past_cases[e["id"]] for found in examples for e in found if e["id"] in past_cases
            }
            assert seen == expected
            if role == "researcher":
                assert all("KITECH" in e["institutes"] for found in examples for e in found)
        assert all(item["evidence"]["sentences"] for item in ranking)
    # recommending never writes
    assert list(RoutingExample.objects.values_list("id", "institutes", "updated_at")) == (
        examples_before
    )
    assert AuditEvent.objects.exclude(action__startswith="auth.").count() == audit_before


def test_every_routing_operation_has_an_entry_in_the_matrix(client):
    schema = client.get(f"{API}/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
        and path.startswith(f"{API}/routing/")
    }
    covered = {case.operation for case in MATRIX}
    assert operations, "no routing operations in the schema"
    assert operations - covered == set(), "add these operations to MATRIX"
    assert covered - operations == set(), "MATRIX lists operations the API no longer has"


def test_every_case_decides_every_role():
    for case in MATRIX:
        assert set(case.statuses) == set(ROLES), case.id
        if any(status < 400 for status in case.statuses.values()):
            assert set(case.sees) == set(ROLES), case.id
