"""Fuzzing the founding consultations API as the centre's staff (schemathesis, from the OpenAPI
schema): valid and invalid input reaching the services of real consultations, never a 5xx.
(The site-wide fuzz runs with random ids, which rarely name a consultation.)"""

from __future__ import annotations

import zlib

import pytest
from api.fuzz import FUZZ, api_schema
from schemathesis.checks import not_a_server_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requests_keep_the_test_transaction")]


schema = api_schema(r"^/api/v1/founding")


@pytest.fixture
def centre_token(users):
    from dure.accounts.services import api_token_create

    _token, secret = api_token_create(user=users["center"], name="fuzz")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def real_ids(users):
    """The centre's consultations: an open one and the founded one."""
    from dure.founding.models import Consultation

    from .test_api import FOUNDED, PREPARING, RECEIVED

    return [
        Consultation.objects.get(proposed_name=name).pk for name in (RECEIVED, PREPARING, FOUNDED)
    ]


@schema.parametrize()
@FUZZ
def test_no_input_makes_the_founding_api_fail_for_the_centre(case, centre_token, real_ids):
    # Most calls go to a real consultation of the centre (open ones more often than the founded
    # one), so they reach the services; a few keep the generated ids (404s).
    key = zlib.crc32(repr(case.body).encode())
    if "id" in (case.path_parameters or {}) and key % 4:
        case.path_parameters["id"] = real_ids[key % 3]
    case.call_and_validate(headers=centre_token, checks=[not_a_server_error])
