"""Fuzzing the portal API (schemathesis, from the OpenAPI schema): valid and invalid input
reaching the services of real notices and stories, never a 5xx — as the centre's staff, who
write and publish, and as 세리오협동조합's chair, who answers for the story about it. (The
site-wide fuzz runs with random ids, which rarely name a notice or a story.)"""

from __future__ import annotations

import zlib

import pytest
from api.fuzz import FUZZ, api_schema
from schemathesis.checks import not_a_server_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requests_keep_the_test_transaction")]


schema = api_schema(r"^/api/v1/portal")
stories = api_schema(r"^/api/v1/portal/stories")


@pytest.fixture
def token(users):
    """token("center") → the headers of a fresh API token of that demo user."""
    from dure.accounts.services import api_token_create

    def make(username: str) -> dict[str, str]:
        _token, secret = api_token_create(user=users[username], name="fuzz")
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def centre_token(token):
    return token("center")


@pytest.fixture
def chair_token(token):
    return token("coop")


@pytest.fixture
def real_ids(db):
    """The demo notices (published and draft) and stories (published, awaiting, draft)."""
    from dure.portal.models import Notice, Story

    from .test_api import DRAFT_NOTICE, DRAFT_STORY, HANBIT_STORY, PINNED, SERIO_STORY

    return {
        "notices": [Notice.objects.get(title=t).pk for t in (PINNED, DRAFT_NOTICE)],
        "stories": [
            Story.objects.get(title=t).pk for t in (SERIO_STORY, DRAFT_STORY, HANBIT_STORY)
        ],
    }


def aim(case, real_ids) -> None:
    """Most calls on /{id} go to a real notice or story, so they reach the services; a few
    keep the generated ids (404s)."""
    key = zlib.crc32(repr((case.body, case.query)).encode())
    if "id" in (case.path_parameters or {}) and key % 4:
        ids = real_ids["notices" if "/notices/" in case.path else "stories"]
        case.path_parameters["id"] = ids[key % len(ids)]


@schema.parametrize()
@FUZZ
def test_no_input_makes_the_portal_api_fail_for_the_centre(case, centre_token, real_ids):
    aim(case, real_ids)
    case.call_and_validate(headers=centre_token, checks=[not_a_server_error])


@stories.parametrize()
@FUZZ
def test_no_input_makes_the_story_api_fail_for_a_representative(case, chair_token, real_ids):
    aim(case, real_ids)
    case.call_and_validate(headers=chair_token, checks=[not_a_server_error])
