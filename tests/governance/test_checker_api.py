"""``POST /api/v1/governance/assembly-check``: the CLI's answers over HTTP, public, JSON errors
for input it cannot read, and documented in the OpenAPI schema."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

URL = "/api/v1/governance/assembly-check"


def body(**fields) -> dict:
    base = {
        "id": "x",
        "kind": "general",
        "members": 10,
        "present": 7,
        "yes": 5,
        "no": 1,
        "abstain": 1,
        "matter": "expulsion",
    }
    base.update(fields)
    return base


def post(client, payload, raw: bool = False):
    data = payload if raw else json.dumps(payload, ensure_ascii=False)
    return client.post(URL, data=data, content_type="application/json")


def test_anonymous_caller_checks_one_item(client):
    response = post(client, body())
    assert response.status_code == 200
    result = response.json()
    assert result["id"] == "x"
    assert result["quorum"] is True
    assert (result["required_present"], result["resolution"], result["required_yes"]) == (
        6,
        "special",
        5,
    )
    assert result["passed"] is True and result["errors"] == []
    assert "출석 7명 중 찬성 5명 ≥ 2/3(5명) → 가결" in result["explanation"]


def test_a_list_gives_a_list_in_the_same_order(client):
    items = [body(id=1), body(id=2, yes=4, no=2), body(id=3, kind="board", members=5, present=3,
             yes=2, no=1, abstain=0, matter=None)]  # fmt: skip
    response = post(client, items)
    assert response.status_code == 200
    assert [(r["id"], r["passed"]) for r in response.json()] == [(1, True), (2, False), (3, True)]


def test_answers_match_the_cli_exactly(client):
    items = [
        body(id="a"),
        body(id="b", present=5, yes=5, no=0, abstain=0),
        body(id="c", meeting_date="2025-07-31", notice_date="2025-07-24"),
        body(
            id="d",
            kind="delegate",
            members=30,
            total_members=200,
            present=20,
            yes=20,
            no=0,
            abstain=0,
            matter="merger",
        ),
        body(id="e", kind="founding", members=4, present=4, yes=4, no=0, abstain=0, matter=None),
    ]
    api = post(client, items).json()
    out = io.StringIO()
    stdin = "\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n"
    call_command("assembly_check", "--stdin", input_stream=io.StringIO(stdin), stdout=out)
    cli = [json.loads(line) for line in out.getvalue().splitlines()]
    assert api == cli


def test_what_the_act_does_not_allow_is_a_result_with_errors_not_an_http_error(client):
    response = post(client, body(present=11, yes=6, no=5, abstain=0))
    assert response.status_code == 200
    assert response.json()["passed"] is False
    assert "출석 11명이 조합원 10명보다 많습니다" in response.json()["errors"][0]


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"members": -1}, "min_value", "members"),
        ({"present": 7.5}, "invalid_integer", "present"),
        ({"present": 7.0}, "invalid_integer", "present"),
        ({"yes": "5"}, "invalid_integer", "yes"),
        ({"no": True}, "invalid_integer", "no"),
        ({"kind": "annual"}, "invalid_choice", "kind"),
        ({"matter": "party"}, "invalid_choice", "matter"),
        ({"meeting_date": "31/07/2025"}, "invalid_date", "meeting_date"),
        ({"surprise": 1}, "unknown_field", "surprise"),
    ],
)
def test_unreadable_input_is_a_422_naming_the_field(client, fields, code, field):
    response = post(client, body(**fields))
    assert response.status_code == 422
    error = response.json()
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


def test_a_missing_count_is_a_422(client):
    data = body()
    del data["abstain"]
    response = post(client, data)
    assert response.status_code == 422
    assert response.json() == {**response.json(), "code": "required", "field": "abstain"}


def test_every_problem_of_a_list_is_reported_with_its_position(client):
    response = post(client, [body(), body(members=-1), body(kind="x", yes="a")])
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "validation_error"
    assert [e["field"] for e in error["errors"]] == ["[1].members", "[2].kind", "[2].yes"]


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ("{not json", 400, "malformed_json"),
        ("", 400, "malformed_json"),
        ("5", 422, "invalid_object"),
        ('"text"', 422, "invalid_object"),
        ("null", 422, "invalid_object"),
        ("[]", 422, "invalid_items"),
        ("[5]", 422, "invalid_object"),
        ("[" * 5000 + "]" * 5000, 400, "malformed_json"),
    ],
)
def test_bodies_that_are_not_items_are_json_errors(client, payload, status, code):
    response = post(client, payload, raw=True)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code


def test_at_most_500_items(client):
    assert post(client, [body(id=i) for i in range(500)]).status_code == 200
    response = post(client, [body(id=i) for i in range(501)])
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_items"


def test_only_post_is_allowed(client):
    response = client.get(URL)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_the_endpoint_is_in_the_openapi_schema_with_its_request_and_response(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"][URL]["post"]
    assert {"200", "400", "422"} <= set(operation["responses"])
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    single, many = request["oneOf"]
    assert {"kind", "members", "present", "yes", "no", "abstain"} <= set(single["required"])
    assert "expulsion" in single["properties"]["matter"]["anyOf"][0]["enum"]
    assert many["type"] == "array" and many["maxItems"] == 500
    assert {} in operation["security"]  # public: no credentials needed
    out = schema["components"]["schemas"]["AssemblyCheckOut"]
    assert list(out["properties"]) == [
        "id",
        "quorum",
        "required_present",
        "resolution",
        "required_yes",
        "notice_ok",
        "passed",
        "errors",
        "explanation",
    ]


def test_checking_writes_nothing(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert post(client, body()).status_code == 200
