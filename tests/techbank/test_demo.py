"""The demo stories load, are idempotent and tell what the platform is for."""

from __future__ import annotations

import pytest

from dure.techbank import demo
from dure.techbank.models import (
    Equipment,
    EquipmentBooking,
    ExchangeRequest,
    Expert,
    Lab,
    Technology,
    TransferApplication,
)

pytestmark = pytest.mark.django_db


def counts():
    return {
        "technologies": Technology.objects.count(),
        "equipment": Equipment.objects.count(),
        "labs": Lab.objects.count(),
        "experts": Expert.objects.count(),
        "bookings": EquipmentBooking.objects.count(),
        "applications": TransferApplication.objects.count(),
        "exchanges": ExchangeRequest.objects.count(),
    }


def test_the_demo_is_loaded_and_loading_it_again_changes_nothing():
    before = counts()
    assert before["technologies"] >= 30
    assert before["equipment"] >= 10
    assert before["labs"] == 3
    assert before["experts"] >= 8
    result = demo.load_demo()
    assert counts() == before
    assert result["technologies"] == before["technologies"]
