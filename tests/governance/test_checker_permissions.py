"""Who may use the assembly checker: everyone. The page (/coop/check/) and the API
(/api/v1/governance/assembly-check) are public and stateless — every role gets the exact
status below and no request changes the database (the site-wide tables and every governance
table compared before and after). Helpers from the site-wide matrix
(``tests/test_permissions_pages.py``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.urls import get_resolver
from test_permissions_pages import (
    NOT_ALLOWED,
    OK,
    ROLES,
    Case,
    _routes,
    db_state,
    everyone,
    get,
    post,
)

pytestmark = pytest.mark.django_db

CHECK_ROUTE = "coop/check/"
API_PATH = "/api/v1/governance/assembly-check"

FORM = {
    "kind": "general",
    "members": "10",
    "present": "7",
    "yes": "5",
    "no": "1",
    "abstain": "1",
    "matter": "expulsion",
    "meeting_date": "2025-07-31",
    "notice_date": "2025-07-23",
    "expulsion_notice_date": "2025-07-20",
}
ITEM = {**FORM, **{k: int(FORM[k]) for k in ("members", "present", "yes", "no", "abstain")}}

PAGE_CASES: list[Case] = [
    get(CHECK_ROUTE, lambda w: "/coop/check/", everyone(OK)),
    get(CHECK_ROUTE, lambda w: "/coop/check/?" + _query(FORM), everyone(OK), variant="result"),
    post(CHECK_ROUTE, lambda w: "/coop/check/", everyone(OK), data=lambda w, r: dict(FORM)),
    post(
        CHECK_ROUTE,
        lambda w: "/coop/check/",
        everyone(OK),
        data=lambda w, r: {**FORM, "members": "-1"},
        variant="invalid",
    ),
]

# (method, body, expected status for every role)
API_CASES: list[tuple[str, str, Any, dict[str, int]]] = [
    ("POST", "one item", ITEM, dict.fromkeys(ROLES, 200)),
    ("POST", "a list", [ITEM, {**ITEM, "yes": 4, "no": 2}], dict.fromkeys(ROLES, 200)),
    ("POST", "bad input", {**ITEM, "members": -1}, dict.fromkeys(ROLES, 422)),
    ("GET", "wrong method", None, dict.fromkeys(ROLES, 405)),
]


def _query(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data)


def state() -> dict[str, Any]:
    """The site-wide snapshot plus the row count of every governance table."""
    snapshot = db_state()
    for model in apps.get_app_config("governance").get_models():
        snapshot[f"governance.{model.__name__}"] = model._default_manager.count()
    return snapshot


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", PAGE_CASES, ids=lambda c: c.id)
def test_checker_page_is_public_and_changes_nothing(case, role, client_for):
    client = client_for(role)
    before = state()
    if case.method == "GET":
        response = client.get(case.path(None))
    else:
        response = client.post(case.path(None), case.data(None, role))
    assert response.status_code == case.expected[role]
    assert state() == before


@pytest.mark.parametrize("role", ROLES)
def test_checker_page_refuses_other_methods(role, client_for):
    client = client_for(role)
    for method in ("put", "delete", "patch"):
        assert getattr(client, method)("/coop/check/").status_code == NOT_ALLOWED


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "label", "payload", "statuses"), API_CASES, ids=[c[1] for c in API_CASES]
)
def test_checker_api_is_public_and_changes_nothing(
    method, label, payload, statuses, role, client_for
):
    client = client_for(role)
    before = state()
    if method == "GET":
        response = client.get(API_PATH)
    else:
        response = client.post(
            API_PATH, data=json.dumps(payload, ensure_ascii=False), content_type="application/json"
        )
    assert response.status_code == statuses[role], response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert {"code", "message", "field"} <= set(response.json())
    assert state() == before


def test_a_valid_api_token_is_accepted_and_a_bad_one_refused(client, users):
    from dure.accounts.services import api_token_create

    _token, secret = api_token_create(user=users["member"], name="checker")
    ok = client.post(
        API_PATH,
        data=json.dumps(ITEM),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert ok.status_code == 200
    bad = client.post(
        API_PATH,
        data=json.dumps(ITEM),
        content_type="application/json",
        headers={"Authorization": "Bearer dure_not-a-token"},
    )
    assert bad.status_code == 401
    assert bad.json()["code"] == "invalid_token"


def test_every_checker_url_and_operation_has_entries():
    routes = set(_routes(get_resolver().url_patterns))
    assert CHECK_ROUTE in routes
    assert {c.method for c in PAGE_CASES if c.route == CHECK_ROUTE} == {"GET", "POST"}
    for case in PAGE_CASES:
        assert set(case.expected) == set(ROLES), case.id


def test_the_api_operation_exists_and_every_case_names_every_role(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert set(schema["paths"][API_PATH]) == {"post"}
    for _method, label, _payload, statuses in API_CASES:
        assert set(statuses) == set(ROLES), label
