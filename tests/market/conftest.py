"""Market fixtures: two approved suppliers with products, a buyer, an MC and a CC, and the
platform's default rates (fee 5 %, MC 3 %, CC 2 %) — independent of the demo data."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from dure.directory.demo import demo_business_number

_seq = itertools.count(500)


def make_supplier(name: str, *, approved: bool = True):
    from django.utils import timezone

    from dure.directory.models import Organisation, OrganisationKind
    from dure.market.models import SupplierProfile, SupplierStatus

    org = Organisation.objects.create(kind=OrganisationKind.COOPERATIVE, name=name)
    now = timezone.now()
    return SupplierProfile.objects.create(
        organisation=org,
        business_number=demo_business_number(90_000 + next(_seq)),
        economy_type="cooperative",
        status=SupplierStatus.APPROVED if approved else SupplierStatus.APPLIED,
        surveyed_at=now if approved else None,
        inspected_at=now if approved else None,
    )


def make_product(supplier, name="상품", price=11_000, stock=100, tax_type="taxable", category=None):
    from dure.market.models import Category, Product

    category = category or Category.objects.get_or_create(division="mutual_trade", name="식품")[0]
    return Product.objects.create(
        supplier=supplier,
        category=category,
        name=name,
        price=price,
        stock=stock,
        tax_type=tax_type,
    )


def make_user(username: str):
    from dure.accounts.models import User

    return User.objects.create_user(username=username, password="x")  # noqa: S106


@pytest.fixture
def mk(db):
    """A fresh market world."""
    from dure.market.models import CommissionRule, CreatorProfile, SellerProfile

    CommissionRule.objects.all().delete()
    for kind, rate in (("platform_fee", 500), ("seller", 300), ("creator", 200)):
        CommissionRule.objects.create(scope="platform", kind=kind, rate_bp=rate)
    a = make_supplier("테스트가협동조합")
    b = make_supplier("테스트나협동조합")
    seller_user, creator_user, buyer = (
        make_user("mk_seller"),
        make_user("mk_creator"),
        make_user("mk_buyer"),
    )
    return SimpleNamespace(
        a=a,
        b=b,
        pa=make_product(a, "가 상품", price=11_000, stock=100),
        pb=make_product(b, "나 상품", price=5_000, stock=100, tax_type="exempt"),
        buyer=buyer,
        seller=SellerProfile.objects.create(
            user=seller_user, display_name="테스트 MC", referral_code="MTEST001"
        ),
        creator=CreatorProfile.objects.create(
            user=creator_user, display_name="테스트 CC", referral_code="CTEST001"
        ),
        operator=make_user("mk_operator"),
    )


@pytest.fixture
def operator(mk):
    mk.operator.is_platform_admin = True
    mk.operator.save()
    return mk.operator
