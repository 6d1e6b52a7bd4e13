"""Technology-bank API behaviour: search answer shape, errors as ``{code, message, field}``,
the booking conflict, the transfer flow."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from .conftest import app_number

pytestmark = pytest.mark.django_db

API = "/api/v1/techbank"


def send(client, method, path, body=None):
    kwargs = (
        {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
    )
    return getattr(client, method)(API + path, **kwargs)


def test_search_answers_best_first_with_facets_and_application_numbers(client_for):
    data = client_for("anonymous").get(f"{API}/search", {"q": "용접 부식"}).json()
    assert data["count"] >= 1
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)
    first_tech = next(r for r in data["results"] if r["kind"] == "technology")
    assert first_tech["application_number"].startswith("10-")
    assert "<mark>" in "".join(r["snippet"] for r in data["results"])
    assert set(data["facets"]) >= {"kind", "institute"}
    assert all({"value", "label", "count"} <= set(f) for f in data["facets"]["kind"])


def test_bad_application_number_is_a_field_error(client_for, institute):
    response = send(
        client_for("researcher"),
        "post",
        "/technologies",
        {"title": "번호 오류", "application_number": "12-34", "holder_id": institute("KITECH").pk},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "application_number"
    assert body["code"]


def test_unknown_fields_and_bad_types_are_refused(client_for, institute):
    client = client_for("researcher")
    extra = send(
        client,
        "post",
        "/technologies",
        {
            "title": "x",
            "application_number": app_number(),
            "holder_id": institute("KITECH").pk,
            "owner": "me",
        },
    )
    assert extra.status_code == 422
    trl = send(
        client,
        "post",
        "/technologies",
        {
            "title": "x",
            "application_number": app_number(),
            "holder_id": institute("KITECH").pk,
            "trl": 12,
        },
    )
    assert trl.status_code == 422
    assert trl.json()["field"] == "trl"


def test_a_second_booking_of_the_same_slot_is_refused(client_for, org):
    from dure.techbank.models import Equipment

    item = Equipment.objects.get(nfec_number="NFEC-2016-04-209871")
    day = timezone.localdate() + dt.timedelta(days=25)
    body = {
        "equipment_id": item.pk,
        "organisation_id": org("한빛정밀").pk,
        "starts_at": f"{day}T10:00:00+09:00",
        "ends_at": f"{day}T12:00:00+09:00",
        "purpose": "첫 예약",
    }
    assert send(client_for("sme"), "post", "/bookings", body).status_code == 201
    body.update(organisation_id=org("세리오협동조합").pk, purpose="겹치는 예약")
    second = send(client_for("coop"), "post", "/bookings", body)
    assert second.status_code == 422
    assert second.json()["code"] == "booking_overlap"
    assert second.json()["field"] == "starts_at"


def test_booking_for_someone_elses_organisation_is_forbidden(client_for, org):
    from dure.techbank.models import Equipment

    item = Equipment.objects.get(nfec_number="NFEC-2016-04-209871")
    day = timezone.localdate() + dt.timedelta(days=26)
    response = send(
        client_for("coop"),
        "post",
        "/bookings",
        {
            "equipment_id": item.pk,
            "organisation_id": org("한빛정밀").pk,
            "starts_at": f"{day}T10:00:00+09:00",
            "ends_at": f"{day}T12:00:00+09:00",
            "purpose": "남의 기관",
        },
    )
    assert response.status_code == 403


def test_transfer_flow_through_the_api(client_for, org):
    from dure.techbank.models import Technology

    tech = Technology.objects.get(application_number="10-2014-0061175")  # dormant
    created = send(
        client_for("sme"),
        "post",
        "/transfers",
        {
            "technology_id": tech.pk,
            "applicant_id": org("한빛정밀").pk,
            "deal_type": "nonexclusive",
            "intended_use": "시제품",
        },
    )
    assert created.status_code == 201, created.content
    application = created.json()
    assert application["dormant_at_submission"] is True
    assert application["offered_upfront_fee"] == 0
    pk = application["id"]
    reviewer = client_for("researcher")
    assert send(reviewer, "post", f"/transfers/{pk}/review", {"note": "검토"}).status_code == 200
    contract = send(
        reviewer,
        "post",
        f"/transfers/{pk}/decide",
        {"decision": "contract", "terms": {"upfront_fee": 5_000_000, "royalty_bp": 300}},
    )
    assert contract.status_code == 200, contract.content
    assert contract.json()["status"] == "contracted"
    assert contract.json()["upfront_fee"] == 0  # dormant: waived
    assert [e["to_status"] for e in contract.json()["events"]] == [
        "submitted",
        "under_review",
        "contracted",
    ]
    again = send(client_for("sme"), "post", f"/transfers/{pk}/withdraw", {})
    assert again.status_code == 422
    assert again.json()["code"] == "invalid_transition"


def test_expert_contact_is_set_and_shown_only_to_staff(client_for):
    from dure.techbank.models import Expert

    expert = Expert.objects.get(name="김태호")
    patched = send(
        client_for("researcher"),
        "patch",
        f"/experts/{expert.pk}",
        {"email": "kim.api@kitech.re.kr"},
    )
    assert patched.status_code == 200
    assert patched.json()["contact"]["email"] == "kim.api@kitech.re.kr"
    assert client_for("sme").get(f"{API}/experts/{expert.pk}").status_code == 404
    listed = client_for("admin").get(f"{API}/experts").json()
    assert "contact" not in listed["results"][0]
    assert "kim.api@" not in json.dumps(listed)


def test_statistics_add_up(client_for):
    data = client_for("anonymous").get(f"{API}/statistics").json()
    overall = data["commercialisation_overall"]
    assert overall["total"] == sum(r["total"] for r in data["commercialisation"])
    assert set(data["transfer_pipeline"]) >= {"submitted", "contracted"}
    bad = client_for("anonymous").get(
        f"{API}/statistics", {"start": "2026-01-01", "end": "2020-01-01"}
    )
    assert bad.status_code == 422
