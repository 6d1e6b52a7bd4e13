"""The marketplace in the admin site: every model's list (with its search and filters) and an
object's page render for a superuser; money records are view-only; catalogue edits are audited
and reach the search index."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from dure.market import models as m

pytestmark = pytest.mark.django_db

MARKET_MODELS = [model for model in admin.site._registry if model._meta.app_label == "market"]
FROZEN = [
    m.Order,
    m.SubOrder,
    m.OrderLine,
    m.CommissionLine,
    m.Payment,
    m.Refund,
    m.Settlement,
    m.ReferralClick,
]
EDITABLE = [m.Category, m.Product, m.CommissionRule, m.MarketDay, m.CreatorContent]


@pytest.fixture(autouse=True)
def _one_of_each(db):
    """The demo has no market day and no click yet: make one of each."""
    from django.utils import timezone

    from dure.market import services

    m.MarketDay.objects.get_or_create(
        name="관리 화면 장터", held_on=timezone.localdate(), location="시청 광장"
    )
    services.referral_click(code="MSEOUL01", session_key="admin-test")


@pytest.fixture
def superuser_client(client):
    from dure.accounts.models import User

    boss = User.objects.create_superuser(username="market_boss", password="x", email="b@x.kr")
    client.force_login(boss)
    return client


def _url(model, view, *args):
    return reverse(f"admin:market_{model._meta.model_name}_{view}", args=args)


def test_the_market_models_are_registered():
    names = {model.__name__ for model in MARKET_MODELS}
    assert {model.__name__ for model in FROZEN + EDITABLE} <= names
    assert {"SupplierProfile", "SellerProfile", "CreatorProfile"} <= names


@pytest.mark.parametrize("model", MARKET_MODELS, ids=lambda model: model.__name__)
def test_changelist_search_and_object_page_render(superuser_client, model):
    listing = superuser_client.get(_url(model, "changelist"))
    assert listing.status_code == 200
    if admin.site._registry[model].search_fields:
        assert superuser_client.get(_url(model, "changelist") + "?q=우리밀").status_code == 200
    obj = model.objects.first()
    assert obj is not None
    assert superuser_client.get(_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", FROZEN, ids=lambda model: model.__name__)
def test_money_records_are_view_only(superuser_client, model):
    obj = model.objects.first()
    page = superuser_client.get(_url(model, "change", obj.pk))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # no save button: read-only
    assert superuser_client.get(_url(model, "add")).status_code == 403
    assert superuser_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_a_product_edit_is_audited_and_searchable(superuser_client):
    from dure.core.models import AuditEvent
    from dure.market.search_index import KIND
    from dure.search.services import search

    product = m.Product.objects.get(name="우리밀 통밀가루 1kg")
    page = superuser_client.get(_url(m.Product, "change", product.pk))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"name": "우리밀 호밀가루 1kg", "active": "on"})
    data = {k: v for k, v in data.items() if k not in ("image",)}
    response = superuser_client.post(_url(m.Product, "change", product.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    product.refresh_from_db()
    assert product.name == "우리밀 호밀가루 1kg"
    assert AuditEvent.objects.filter(
        action="market.product.admin.update", object_id=str(product.pk)
    ).exists()
    hits = search(query="호밀가루", kinds=[KIND], limit=5).hits
    assert product.pk in [h.object_id for h in hits]


def test_a_negative_price_is_refused_in_the_admin(superuser_client):
    product = m.Product.objects.get(name="우리밀 통밀가루 1kg")
    page = superuser_client.get(_url(m.Product, "change", product.pk))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.pop("image", None)
    data.update({"price": "-1", "active": "on"})
    response = superuser_client.post(_url(m.Product, "change", product.pk), data)
    assert response.status_code == 200  # the form again, with the constraint's error
    product.refresh_from_db()
    assert product.price >= 0
