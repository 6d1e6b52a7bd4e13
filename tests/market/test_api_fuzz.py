"""Property-based fuzzing of the market API from its own OpenAPI schema (schemathesis), aimed at
real objects: half of the calls on ``/{id}`` go to an existing product, supplier, order,
sub-order, refund, commission rate or market day, so that the input reaches the services and
not only the 404. Never a 5xx, as the operator (platform admin) and as a supplier, each with a
token.

The whole-API fuzz (tests/api/test_schemathesis.py) covers these operations with random ids.
"""

from __future__ import annotations

import zlib

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requests_keep_the_test_transaction")]

FUZZ = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)

APP = get_wsgi_application()
market_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP).include(
    path_regex="^/api/v1/market/.*\\{id\\}"
)


@pytest.fixture
def real_ids(users):
    from django.utils import timezone

    from dure.market import services
    from dure.market.models import CommissionRule, MarketDay, Order, Product, SubOrder
    from dure.market.models import SupplierProfile as S

    wheat = Product.objects.get(name="우리밀 통밀가루 1kg")
    paid = services.checkout(
        buyer=users["coop"],
        lines=[(wheat.pk, 2)],
        idempotency_key="fuzz-paid",
        payment_method="invoice",
    ).order
    services.payment_confirm(actor=users["admin"], order=paid)
    delivered = SubOrder.objects.get(
        order__idempotency_key="demo-order-1", supplier__organisation__name="우리밀협동조합"
    )
    refund = services.refund_request(actor=users["coop"], suborder=delivered, reason="퍼즈")
    day = MarketDay.objects.create(name="퍼즈 장터", held_on=timezone.localdate(), location="역")
    return {
        "/products/": wheat.pk,
        "/suppliers/": S.objects.get(organisation__name="마을카페그물코협동조합").pk,
        "/orders/": Order.objects.get(idempotency_key="demo-order-3").pk,
        "/suborders/": paid.suborders.get().pk,
        "/refunds/": refund.pk,
        "/commission-rules/": CommissionRule.objects.get(scope="platform", kind="seller").pk,
        "/market-days/": day.pk,
    }


def _token(user) -> dict[str, str]:
    from dure.accounts.services import api_token_create

    _t, secret = api_token_create(user=user, name="market fuzz")
    return {"Authorization": f"Bearer {secret}"}


def _aim(case, real_ids) -> None:
    if "id" not in (case.path_parameters or {}):
        return
    if zlib.crc32(repr((case.body, case.query)).encode()) % 2:
        return
    for prefix, pk in real_ids.items():
        if f"/market{prefix}" in case.path:
            case.path_parameters["id"] = pk


@market_schema.parametrize()
@FUZZ
def test_no_input_on_real_objects_makes_the_market_api_fail_for_the_operator(case, users, real_ids):
    _aim(case, real_ids)
    case.call_and_validate(headers=_token(users["admin"]), checks=[not_a_server_error])


@market_schema.parametrize()
@FUZZ
def test_no_input_on_real_objects_makes_the_market_api_fail_for_a_supplier(case, users, real_ids):
    _aim(case, real_ids)
    case.call_and_validate(headers=_token(users["supplier"]), checks=[not_a_server_error])
