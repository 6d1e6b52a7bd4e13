"""Referral attribution survives logging in: a buyer follows an MC's link (or reads a CC's
article) before logging in, logs in through the login page, then checks out — the order is the
MC's (CC's). Logging in gives the session a new key, so the clicks recorded under the old one
must follow the buyer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from dure.market import services
from dure.market.models import CreatorContent, Order, ReferralClick

pytestmark = pytest.mark.django_db


def _log_in(client: Client, username: str) -> None:
    response = client.post("/accounts/login/", {"username": username, "password": "x"})
    assert response.status_code == 302, response.content.decode()[:300]
    assert not response["Location"].startswith("/accounts/login/")


def _checkout_cart(client: Client, product, key: str) -> Order:
    assert client.post("/market/cart/", {"product_id": product.pk, "quantity": "1"}).status_code
    response = client.post(
        "/market/checkout/", {"payment_method": "bank_transfer", "idempotency_key": key}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return Order.objects.get(idempotency_key=key)


def test_mc_link_followed_anonymously_then_login_then_checkout_is_attributed(mk):
    client = Client()
    assert client.get(f"/market/r/{mk.seller.referral_code}/").status_code == 302
    anonymous_key = client.session.session_key
    assert ReferralClick.objects.filter(session_key=anonymous_key, user=None).exists()

    _log_in(client, mk.buyer.username)
    assert client.session.session_key != anonymous_key  # Django cycled the key at login

    order = _checkout_cart(client, mk.pa, "after-login")
    assert order.seller == mk.seller
    assert order.suborders.get().lines.get().seller == mk.seller
    assert order.suborders.get().lines.get().commissions.filter(kind="seller").exists()


def test_cc_article_read_anonymously_then_login_is_attributed(mk):
    article = CreatorContent.objects.create(creator=mk.creator, title="글", body="본문")
    article.products.add(mk.pb)
    client = Client()
    assert client.get(f"/market/content/{article.pk}/").status_code == 200
    _log_in(client, mk.buyer.username)
    order = _checkout_cart(client, mk.pb, "cc-after-login")
    assert order.creator == mk.creator and order.seller is None


def test_a_click_older_than_the_window_is_not_claimed(mk):
    client = Client()
    client.get(f"/market/r/{mk.seller.referral_code}/")
    ReferralClick.objects.update(clicked_at=timezone.now() - dt.timedelta(days=30))
    _log_in(client, mk.buyer.username)
    assert ReferralClick.objects.get().user is None
    assert _checkout_cart(client, mk.pa, "stale").seller is None


def test_another_browsers_anonymous_clicks_stay_unclaimed(mk):
    other = Client()
    other.get(f"/market/r/{mk.seller.referral_code}/")
    client = Client()
    _log_in(client, mk.buyer.username)
    assert ReferralClick.objects.get().user is None
    assert _checkout_cart(client, mk.pa, "other-browser").seller is None


def test_self_referral_after_login_still_earns_nothing(mk):
    client = Client()
    client.get(f"/market/r/{mk.seller.referral_code}/")
    _log_in(client, mk.seller.user.username)
    assert _checkout_cart(client, mk.pa, "self").seller is None


def test_claim_ignores_anonymous_users_and_empty_keys(mk):
    from django.contrib.auth.models import AnonymousUser

    services.referral_click(code=mk.seller.referral_code, session_key="abc")
    assert services.referral_clicks_claim(user=AnonymousUser(), previous_session_key="abc") == 0
    assert services.referral_clicks_claim(user=mk.buyer, previous_session_key="") == 0
    assert services.referral_clicks_claim(user=mk.buyer, previous_session_key="abc") == 1
    assert ReferralClick.objects.get().user == mk.buyer
