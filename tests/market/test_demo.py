"""The demo loads fast, twice without change, with its orders, refund and settlement."""

from __future__ import annotations

import time

import pytest

from dure.market.demo import load_demo
from dure.market.models import Order, Product, Refund, Settlement, SupplierProfile

pytestmark = pytest.mark.django_db


def test_demo_is_loaded_and_idempotent():
    before = (Order.objects.count(), Refund.objects.count(), Settlement.objects.count())
    started = time.perf_counter()
    counts = load_demo()
    assert time.perf_counter() - started < 2
    assert counts["market_suppliers"] == 6 and counts["market_products"] == 10
    assert (Order.objects.count(), Refund.objects.count(), Settlement.objects.count()) == before
    assert before[0] == 3 and before[1] == 1 and before[2] >= 1
    assert SupplierProfile.objects.filter(status="approved").count() >= 5
    assert Product.objects.count() >= 10
    assert Order.objects.filter(seller__referral_code="MSEOUL01").count() == 3
