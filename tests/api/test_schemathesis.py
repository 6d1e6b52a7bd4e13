"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis): valid
and invalid input, anonymous and as a platform admin holding a token, never a 5xx.

Bounded so the file runs well under a minute: a few examples per operation and phase.
"""

from __future__ import annotations

import zlib

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requests_keep_the_test_transaction")]

FUZZ = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.fixture
def admin_token(users):
    from dure.accounts.services import api_token_create

    _token, secret = api_token_create(user=users["admin"], name="schemathesis")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def some_organisation_id(org):
    return org("한빛정밀").pk


# Loaded at collection (pytest-django has configured Django by then; serving the schema needs no
# database). ``schemathesis.pytest.from_fixture`` would be lazier but does not work with
# pytest 9.2 (it sets ``Function._nodeid``, which pytest no longer has).
APP = get_wsgi_application()
SCHEMA_PATH = "/api/v1/openapi.json"
# Every phase: explicit examples, the coverage phase (boundary values of every constraint:
# max lengths ± 1, wrong types, missing fields, unexpected methods …) and random fuzzing.
schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, APP)
# Anonymous writes stop at authentication (401, covered by the permission matrix), so the
# anonymous run fuzzes the reads only, where anonymous input does reach the selectors and
# the search; without the coverage phase, which the admin run already does for every
# operation, to keep the file well under a minute.
anonymous_reads = schemathesis.openapi.from_wsgi(
    SCHEMA_PATH,
    APP,
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
).exclude(method=["POST", "PATCH", "PUT", "DELETE"])


@anonymous_reads.parametrize()
@FUZZ
def test_no_input_makes_the_api_fail_for_an_anonymous_caller(case):
    case.call_and_validate(checks=[not_a_server_error])


@schema.parametrize()
@FUZZ
def test_no_input_makes_the_api_fail_for_an_admin_with_a_token(
    case, admin_token, some_organisation_id
):
    # Half of the calls on /{id} go to a real organisation, so updates reach the service.
    if "id" in (case.path_parameters or {}) and "organisations" in case.path:
        if zlib.crc32(repr(case.body).encode()) % 2 == 0:
            case.path_parameters["id"] = some_organisation_id
    case.call_and_validate(headers=admin_token, checks=[not_a_server_error])
