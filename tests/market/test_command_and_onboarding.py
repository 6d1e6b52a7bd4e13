"""The approval command, supplier onboarding and MC/CC registration."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from dure.market import services
from dure.market.models import SubOrder

from .test_money import buy

pytestmark = pytest.mark.django_db


def test_command_approves_due_suborders_once(mk, operator):
    order = buy(mk, [(mk.pa.pk, 1)])
    services.payment_confirm(actor=operator, order=order)
    sub = order.suborders.get()
    services.suborder_ship(actor=operator, suborder=sub)
    services.suborder_deliver(
        actor=operator, suborder=sub, at=timezone.now() - dt.timedelta(days=6)
    )
    out = StringIO()
    call_command("market_approve_commissions", "--no-expire", stdout=out)
    assert SubOrder.objects.get(pk=sub.pk).approved_at is None  # 6 days: window still open
    SubOrder.objects.filter(pk=sub.pk).update(delivered_at=timezone.now() - dt.timedelta(days=8))
    call_command("market_approve_commissions", stdout=out)
    approved_at = SubOrder.objects.get(pk=sub.pk).approved_at
    assert approved_at is not None
    call_command("market_approve_commissions", stdout=out)
    assert SubOrder.objects.get(pk=sub.pk).approved_at == approved_at


def test_supplier_onboarding_needs_survey_and_inspection(operator):
    from dure.directory.demo import demo_business_number
    from dure.directory.models import Organisation, OrganisationKind

    from .conftest import make_user

    org = Organisation.objects.create(kind=OrganisationKind.COOPERATIVE, name="새입점협동조합")
    number = demo_business_number(88_888)
    wrong = number[:9] + str((int(number[9]) + 1) % 10)
    with pytest.raises(services.MarketError) as bad:
        services.supplier_apply(
            actor=operator,
            organisation=org,
            business_number=wrong,
            economy_type="cooperative",
        )
    assert bad.value.code == "invalid_business_number"
    supplier = services.supplier_apply(
        actor=operator,
        organisation=org,
        business_number=f"{number[:3]}-{number[3:5]}-{number[5:]}",
        economy_type="village_enterprise",
    )
    assert supplier.business_number == number
    with pytest.raises(services.MarketError):
        services.supplier_review(actor=operator, supplier=supplier, step="approve")
    services.supplier_review(actor=operator, supplier=supplier, step="survey", record="월 300개")
    services.supplier_review(actor=operator, supplier=supplier, step="inspect", record="위생 양호")
    assert services.supplier_review(actor=operator, supplier=supplier, step="approve").is_approved
    with pytest.raises(services.MarketError):
        services.supplier_review(actor=make_user("nobody"), supplier=supplier, step="reject")


def test_referrer_registration_gives_unique_prefixed_codes(mk):
    seller = services.referrer_register(actor=mk.buyer, kind="seller", display_name="새 MC")
    creator = services.referrer_register(actor=mk.buyer, kind="creator", display_name="새 CC")
    assert seller.referral_code.startswith("M") and creator.referral_code.startswith("C")
    assert services.referrer_by_code(seller.referral_code.lower()) == seller
