"""Fuzzing the governance API as 세리오협동조합's chair (schemathesis, from the OpenAPI schema):
valid and invalid input reaching the services of a real cooperative and assembly, never a 5xx.
(The site-wide fuzz runs as a platform admin, who sees no cooperative's governance.)"""

from __future__ import annotations

import zlib

import pytest
from api.fuzz import FUZZ, api_schema
from schemathesis.checks import not_a_server_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requests_keep_the_test_transaction")]


schema = api_schema(r"^/api/v1/governance/(?!assembly-check)")


@pytest.fixture
def chair_token(users):
    from dure.accounts.services import api_token_create

    _token, secret = api_token_create(user=users["coop"], name="fuzz")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def real_ids(org):
    from dure.governance.models import Assembly

    serio = org("세리오협동조합")
    assembly = Assembly.objects.get(organisation=serio, title="2026년 임시총회")
    item = assembly.items.order_by("order").first()
    member = serio.coop_members.order_by("number").first()
    return {
        "org_id": serio.pk,
        "assembly_id": assembly.pk,
        "item_id": item.pk,
        "member_id": member.pk,
        # capital refunds: the demo's claimed refund (문지현)
        "refund_id": serio.coop_members.get(name="문지현").capital_refunds.get().pk,
    }


@schema.parametrize()
@FUZZ
def test_no_input_makes_the_governance_api_fail_for_the_chair(case, chair_token, real_ids):
    # Most calls go to the chair's real cooperative, assembly and item so they reach the
    # services; a few keep the generated ids (404s).
    if zlib.crc32(repr(case.body).encode()) % 4:
        for name in case.path_parameters or {}:
            if name in real_ids:
                case.path_parameters[name] = real_ids[name]
    case.call_and_validate(headers=chair_token, checks=[not_a_server_error])
