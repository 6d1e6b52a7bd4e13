"""The request page against a double click or a resent form: every rendered form carries its
own idempotency key, so the same form sent twice makes one consultation; the same form changed
and sent again is refused with a clear message and a fresh key, so the next send is a new
request."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

CENTRE = "과학기술인협동조합지원센터"
KEY = re.compile(r'<input type="hidden" name="idempotency_key" value="([^"]+)">')


def form_key(response) -> str:
    found = KEY.findall(response.content.decode())
    assert len(found) == 1, "the form carries exactly one key"
    return found[0]


def request_form(org, key: str | None, **changes) -> dict:
    data = {
        "centre": org(CENTRE).pk,
        "contact_name": "김설립",
        "contact_phone": "",
        "proposed_name": "한 번만 신청한 협동조합",
        "kind": "cooperative",
        "sido": "",
        "business": "동네 빵집들이 함께 밀가루를 사들이려 합니다.",
        "founders": "5",
    }
    if key is not None:
        data["idempotency_key"] = key
    data.update(changes)
    return data


def made(name: str = "한 번만 신청한 협동조합") -> list[int]:
    from dure.founding.models import Consultation

    return list(Consultation.objects.filter(proposed_name=name).values_list("pk", flat=True))


def test_every_rendered_form_carries_its_own_key(client_for):
    client = client_for("member")
    first, second = (form_key(client.get("/founding/new/")) for _ in range(2))
    assert first != second and len(first) >= 20


def test_the_same_form_sent_twice_makes_one_consultation(client_for, org):
    client = client_for("member")
    key = form_key(client.get("/founding/new/"))
    first = client.post("/founding/new/", request_form(org, key))
    assert first.status_code == 302
    [pk] = made()
    assert first["Location"] == f"/founding/{pk}/"
    again = client.post("/founding/new/", request_form(org, key), follow=True)
    assert again.redirect_chain == [(f"/founding/{pk}/", 302)]
    assert "이미 접수된 신청입니다." in again.content.decode()
    assert made() == [pk]


def test_a_changed_form_sent_with_a_used_key_is_refused_then_sent_anew(client_for, org):
    client = client_for("member")
    key = form_key(client.get("/founding/new/"))
    assert client.post("/founding/new/", request_form(org, key)).status_code == 302
    changed = request_form(org, key, founders="7")
    refused = client.post("/founding/new/", changed)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "내용이 다른 신청이 이미 접수되었습니다" in page
    fresh = form_key(refused)
    assert fresh != key
    assert len(made()) == 1
    # the form as shown again, sent once more: a new request with the new key
    assert client.post("/founding/new/", {**changed, "idempotency_key": fresh}).status_code == 302
    assert len(made()) == 2


def test_a_form_with_a_validation_error_keeps_its_key_for_the_corrected_send(client_for, org):
    client = client_for("member")
    key = form_key(client.get("/founding/new/"))
    refused = client.post("/founding/new/", request_form(org, key, business=""))
    assert refused.status_code == 400 and form_key(refused) == key
    assert client.post("/founding/new/", request_form(org, key)).status_code == 302
    assert len(made()) == 1


def test_a_hand_made_post_without_a_key_still_asks_once_per_send(client_for, org):
    client = client_for("member")
    assert client.post("/founding/new/", request_form(org, None)).status_code == 302
    assert client.post("/founding/new/", request_form(org, None)).status_code == 302
    assert len(made()) == 2
