"""Fuzzing the programmes API as the centre's staff (schemathesis, from the OpenAPI schema):
valid and invalid input reaching the services of real programmes and registrations, never a
5xx. (The site-wide fuzz runs with random ids, which rarely name a programme.)"""

from __future__ import annotations

import zlib

import pytest
from api.fuzz import FUZZ, api_schema
from schemathesis.checks import not_a_server_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requests_keep_the_test_transaction")]


schema = api_schema(r"^/api/v1/programs")


@pytest.fixture
def centre_token(users):
    from dure.accounts.services import api_token_create

    _token, secret = api_token_create(user=users["center"], name="fuzz")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def real_ids(users):
    """A programme of the centre and a registration for it, per kind of path."""
    from dure.programs.models import Program, Registration

    from .test_api import OPEN, PAST

    open_ = Program.objects.get(title=OPEN)
    return {
        "program": open_.pk,
        "past": Program.objects.get(title=PAST).pk,
        "registration": Registration.objects.filter(program=open_).order_by("pk").first().pk,
    }


@schema.parametrize()
@FUZZ
def test_no_input_makes_the_programs_api_fail_for_the_centre(case, centre_token, real_ids):
    # Most calls go to a real programme (the past one for attendance) or registration, so they
    # reach the services; a few keep the generated ids (404s).
    if "id" in (case.path_parameters or {}) and zlib.crc32(repr(case.body).encode()) % 4:
        if "/registrations/{id}" in case.path:
            case.path_parameters["id"] = real_ids["registration"]
        elif case.path.endswith("/attendance"):
            case.path_parameters["id"] = real_ids["past"]
        else:
            case.path_parameters["id"] = real_ids["program"]
    case.call_and_validate(headers=centre_token, checks=[not_a_server_error])
