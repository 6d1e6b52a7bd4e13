"""Property-based fuzzing of the desk API from its own OpenAPI schema (schemathesis), aimed
at real cases: ``{number}`` is the number of an existing case (in a state drawn from the whole
workflow) and ``{token}`` its genuine status link half of the time, so that the input reaches
the services and not only the 404. Never a 5xx, as an admin with a token and as the requester.

The whole-API fuzz (tests/api/test_schemathesis.py) covers these operations with random
numbers and tokens; this file adds the paths that only exist for real objects.
"""

from __future__ import annotations

import zlib

import pytest
from api.fuzz import FUZZ, api_schema
from schemathesis.checks import not_a_server_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requests_keep_the_test_transaction")]

STATES = ("received", "triaged", "assigned", "in_progress", "waiting", "resolved", "closed")

desk_schema = api_schema("^/api/v1/desk/")


@pytest.fixture(autouse=True)
def _no_embedding_model(monkeypatch):
    from dure.routing import services as routing_services
    from dure.routing.engine import Recommendation

    def recommend(text, *, limit=None, include_examples=True):
        return [Recommendation("KITECH", "한국생산기술연구원", 1.0, {"terms": [], "sentences": []})]

    monkeypatch.setattr(routing_services, "recommend", recommend)

    def record(**kwargs):
        return None

    monkeypatch.setattr(routing_services, "routing_example_record", record)


@pytest.fixture
def real_cases(desk, flow):
    from dure.desk import links

    from .conftest import PDF, upload

    cases = [flow(state, actor=desk.sme, attachments=[upload(PDF, "a.pdf")]) for state in STATES]
    return [(c.number, links.make_token(c), c.attachments.get().pk) for c in cases]


def token_header(user):
    from dure.accounts.services import api_token_create

    _token, secret = api_token_create(user=user, name="desk fuzz")
    return {"Authorization": f"Bearer {secret}"}


def aim(case, real_cases):
    """Half of the calls go to a real case (chosen by the body), the rest stay random."""
    params = case.path_parameters or {}
    seed = zlib.crc32(repr((params, case.query, case.body)).encode())
    if seed % 2:
        return
    number, token, attachment = real_cases[(seed >> 1) % len(real_cases)]
    if "number" in params:
        params["number"] = number
    if "token" in params:
        params["token"] = token
    if "attachment_id" in params:
        params["attachment_id"] = attachment


@desk_schema.parametrize()
@FUZZ
def test_no_input_makes_the_desk_api_fail_for_an_admin(case, users, real_cases):
    aim(case, real_cases)
    case.call_and_validate(headers=token_header(users["admin"]), checks=[not_a_server_error])


@desk_schema.parametrize()
@FUZZ
def test_no_input_makes_the_desk_api_fail_for_the_requester(case, users, real_cases):
    aim(case, real_cases)
    case.call_and_validate(headers=token_header(users["sme"]), checks=[not_a_server_error])
