"""The routing API's input errors: JSON ``{code, message, field}``, never a 500."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/routing/recommend"


def post(client, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", headers=headers)


def assert_error(response, status: int, code: str, field: str | None) -> dict:
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert (body["code"], body["field"]) == (code, field), body
    assert body["message"]
    return body


def test_a_request_gets_the_best_five_with_names_scores_and_evidence(client, tiny_profiles):
    response = post(client, {"text": "떡이 하룻밤 지나면 딱딱하게 굳어요"})
    assert response.status_code == 200
    ranking = response.json()["ranking"]
    assert len(ranking) == 5
    assert ranking[0]["institute"] == "KFRI"
    assert ranking[0]["name"] == "한국식품연구원"
    assert [r["score"] for r in ranking] == sorted((r["score"] for r in ranking), reverse=True)
    assert set(ranking[0]["evidence"]) == {"terms", "sentences", "examples"}
    assert "떡" in ranking[0]["evidence"]["terms"]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"text": ""}, "min_length", "text"),
        ({"text": " \n\t "}, "min_length", "text"),
        ({"text": "가" * 10_001}, "max_length", "text"),
        ({}, "required", "text"),
        ({"text": 5}, "invalid_string", "text"),
        ({"text": "떡\x00"}, "invalid_characters", "text"),
        ({"text": "떡", "limit": 0}, "min_value", "limit"),
        ({"text": "떡", "limit": 26}, "max_value", "limit"),
        ({"text": "떡", "limit": "many"}, "invalid_integer", "limit"),
        ({"text": "떡", "extra": 1}, "unknown_field", "extra"),
    ],
)
def test_bad_input_is_a_422_json_error(client, tiny_profiles, body, code, field):
    assert_error(post(client, body), 422, code, field)


def test_malformed_json_is_a_400(client, tiny_profiles):
    assert_error(post(client, "{text:"), 400, "malformed_json", None)


def test_ten_thousand_characters_are_accepted(client, tiny_profiles):
    response = post(client, {"text": "가" * 10_000, "limit": 1})
    assert response.status_code == 200
    assert len(response.json()["ranking"]) == 1


def test_errors_speak_english_on_request(client, tiny_profiles):
    body = assert_error(
        post(client, {"text": ""}, **{"Accept-Language": "en"}), 422, "min_length", "text"
    )
    assert body["message"].isascii()


def test_the_endpoint_is_in_the_openapi_document_with_its_limits(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/routing/recommend"]["post"]
    assert {"200", "422"} <= set(operation["responses"])
    assert {} in operation["security"]  # no credentials needed
