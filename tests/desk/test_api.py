"""The desk API's behaviour: intake with idempotency, bad input refused with clear JSON errors
and nothing written, attachments checked by content, the status link, the workflow moves,
what each person sees of a case, dashboards and the export without personal data."""

from __future__ import annotations

import json
import time
from pathlib import Path
from unittest import mock

import pytest
from django.core import signing

from dure.core.models import AuditEvent
from dure.desk import links, services
from dure.desk.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    CaseMessage,
    CaseSurvey,
    Channel,
    Status,
)

from .conftest import EXE, PDF, PNG, VALID_BUSINESS_NUMBER, intake, upload

pytestmark = pytest.mark.django_db

API = "/api/v1/desk"
EN = {"Accept-Language": "en"}
WRONG_CHECKSUM = VALID_BUSINESS_NUMBER[:9] + str((int(VALID_BUSINESS_NUMBER[9]) + 1) % 10)


def submission(**overrides):
    return {**intake(), "privacy_consent": True, **overrides}


def call(client, method, path, body=None, headers=None):
    kwargs = {"headers": headers} if headers else {}
    if body is not None:
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    return getattr(client, method.lower())(API + path, **kwargs)


def footprint():
    """Everything a desk write leaves behind (login audit rows aside)."""
    return {
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "messages": CaseMessage.objects.count(),
        "attachments": CaseAttachment.objects.count(),
        "surveys": CaseSurvey.objects.count(),
        "audit": AuditEvent.objects.exclude(action__startswith="auth.").count(),
    }


def case_row(case):
    from django.forms.models import model_to_dict

    case = Case.objects.get(pk=case.pk)
    return {**model_to_dict(case), "updated_at": case.updated_at}


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    if field is not None:
        assert body["field"] == field, body
    return body


# --- Intake ------------------------------------------------------------------------------------


def test_an_anonymous_submission_gets_a_number_and_a_working_status_link(client):
    # when
    response = call(client, "post", "/cases", submission(), {"Idempotency-Key": "a-1"})
    # then
    assert response.status_code == 201, response.content.decode()
    receipt = response.json()
    case = Case.objects.get(number=receipt["number"])
    assert case.channel == Channel.API and case.requester is None
    assert case.status == Status.RECEIVED
    assert receipt["url"] == f"{API}/cases/{case.number}"
    assert receipt["status_url"].endswith(
        links.status_path(receipt["status_token"]).rstrip("/") + "/"
    )
    status = call(client, "get", f"/status/{receipt['status_token']}")
    assert status.status_code == 200
    assert status.json()["number"] == case.number
    assert [t["kind"] for t in status.json()["timeline"]] == ["submitted"]


def test_a_retry_with_the_same_key_returns_the_same_case_once(client):
    # given
    first = call(client, "post", "/cases", submission(), {"Idempotency-Key": "retry-1"})
    before = footprint()
    # when: the client did not see the answer and sends the same request again
    again = call(client, "post", "/cases", submission(), {"Idempotency-Key": "retry-1"})
    # then
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert footprint() == before


def test_a_retry_with_equivalent_formatting_is_still_the_same_submission(client):
    # given
    body = submission(business_number=VALID_BUSINESS_NUMBER, contact_email="hong@example.kr")
    first = call(client, "post", "/cases", body, {"Idempotency-Key": "fmt-1"})
    # when: hyphens in the number, upper-case e-mail, surrounding blanks
    number = f"{VALID_BUSINESS_NUMBER[:3]}-{VALID_BUSINESS_NUMBER[3:5]}-{VALID_BUSINESS_NUMBER[5:]}"
    again = call(
        client,
        "post",
        "/cases",
        {
            **body,
            "business_number": number,
            "contact_email": "HONG@example.kr ",
            "company_name": " 테스트정밀",
        },
        {"Idempotency-Key": "fmt-1"},
    )
    # then
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]


def test_the_same_key_with_a_different_body_is_a_conflict_and_changes_nothing(client):
    # given
    first = call(client, "post", "/cases", submission(), {"Idempotency-Key": "conflict-1"})
    before = footprint()
    # when
    other = call(
        client,
        "post",
        "/cases",
        submission(description="전혀 다른 애로 내용입니다."),
        {"Idempotency-Key": "conflict-1"},
    )
    # then
    assert first.status_code == 201
    body = assert_error(other, 409, "idempotency_conflict", "Idempotency-Key")
    assert "status_token" not in body
    assert footprint() == before


def test_keys_are_per_submitter_so_two_people_with_one_key_get_two_cases(client_for):
    first = call(client_for("sme"), "post", "/cases", submission(), {"Idempotency-Key": "same"})
    second = call(client_for("coop"), "post", "/cases", submission(), {"Idempotency-Key": "same"})
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] != second.json()["number"]


def test_without_a_key_every_submission_is_a_new_case(client):
    first = call(client, "post", "/cases", submission())
    second = call(client, "post", "/cases", submission())
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] != second.json()["number"]


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"description": ""}, "description_required", "description"),
        ({"description": "   \n  "}, "description_required", "description"),
        ({"description": "가" * 10_001}, "description_too_long", "description"),
        ({"business_number": WRONG_CHECKSUM}, "business_number_checksum", "business_number"),
        ({"business_number": "12345"}, "business_number_format", "business_number"),
        ({"privacy_consent": False}, "consent_required", "privacy_consent"),
        ({"contact_email": "not-an-email"}, "invalid_email", "contact_email"),
        ({"contact_email": None}, "email_required", "contact_email"),
        ({"company_name": ""}, "required", "company_name"),
        ({"sido": "99"}, "invalid_choice", "sido"),
        ({"desired_support": ["flying"]}, "invalid_choice", "desired_support"),
        ({"company_size": "huge"}, "invalid_choice", "company_size"),
        ({"surprise": 1}, "unknown_field", "surprise"),
        ({"description": "가\x00나"}, "invalid_characters", "description"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_written(
    client, overrides, code, field
):
    # given
    before = footprint()
    # when
    response = call(client, "post", "/cases", submission(**overrides), {"Idempotency-Key": "bad"})
    # then
    assert_error(response, 422, code, field)
    assert footprint() == before
    # and the key is still free for the corrected request
    fixed = call(client, "post", "/cases", submission(), {"Idempotency-Key": "bad"})
    assert fixed.status_code == 201


def test_an_over_long_text_error_says_the_limit_and_the_length(client):
    response = call(client, "post", "/cases", submission(description="가" * 10_001))
    message = assert_error(response, 422, "description_too_long", "description")["message"]
    assert "10,000" in message and "10,001" in message


def test_a_text_of_exactly_ten_thousand_characters_is_accepted(client):
    response = call(client, "post", "/cases", submission(description="가" * 10_000))
    assert response.status_code == 201
    assert len(Case.objects.get(number=response.json()["number"]).description) == 10_000


def test_several_problems_are_reported_at_once(client):
    response = call(
        client,
        "post",
        "/cases",
        submission(description="", business_number=WRONG_CHECKSUM, contact_email="x"),
    )
    body = assert_error(response, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} >= {
        "description",
        "business_number",
        "contact_email",
    }


def test_a_malformed_body_is_a_400_and_a_missing_body_a_422(client):
    assert_error(
        client.post(f"{API}/cases", data="{nope", content_type="application/json"),
        400,
        "malformed_json",
    )
    assert client.post(f"{API}/cases", content_type="application/json").status_code in (400, 422)


def test_errors_speak_english_when_asked(client):
    response = call(client, "get", "/cases", headers=EN)
    assert_error(response, 401, "unauthenticated")
    assert response.json()["message"].startswith("Log in")


def test_only_centre_staff_record_a_phone_call(client, client_for, desk):
    body = submission(channel="phone_1379", contact_email=None)
    # anonymous and a signed-in SME may not choose the channel
    assert_error(call(client, "post", "/cases", body), 401, "unauthenticated")
    assert_error(call(client_for("sme"), "post", "/cases", body), 403, "forbidden")
    assert_error(
        call(client_for("sme"), "post", "/cases", submission(receiving_centre_id=desk.regional.pk)),
        403,
        "forbidden",
    )
    # centre staff do: the requester is nobody, the staff member is recorded
    response = call(
        client_for("center"), "post", "/cases", {**body, "receiving_centre_id": desk.regional.pk}
    )
    assert response.status_code == 201, response.content.decode()
    case = Case.objects.get(number=response.json()["number"])
    assert case.channel == Channel.PHONE_1379
    assert case.requester is None and case.submitted_by == desk.center
    assert case.receiving_centre == desk.regional


def test_a_staff_intake_for_a_centre_out_of_reach_is_refused(client_for, desk):
    client = client_for("anonymous")
    client.force_login(desk.jeju_staff)
    before = footprint()
    response = call(
        client,
        "post",
        "/cases",
        submission(channel="visit", receiving_centre_id=desk.regional.pk),
    )
    assert_error(response, 422, "organisation_invalid", "receiving_centre_id")
    assert footprint() == before


def test_a_signed_in_requester_owns_the_case_and_sees_it(client_for, desk):
    client = client_for("sme")
    number = call(client, "post", "/cases", submission()).json()["number"]
    assert Case.objects.get(number=number).requester == desk.sme
    listed = call(client, "get", "/cases?mine=true").json()
    assert number in [c["number"] for c in listed["results"]]
    assert call(client, "get", f"/cases/{number}").status_code == 200


# --- Attachments -------------------------------------------------------------------------------


def upload_to(client, number, *files, **fields):
    return client.post(f"{API}/cases/{number}/attachments", {"files": list(files), **fields})


def test_people_on_the_case_upload_files_checked_by_content(client_for, desk, flow):
    # given
    case = flow("in_progress", actor=desk.sme)
    # when
    response = upload_to(
        client_for("sme"), case.number, upload(PDF, "도면.pdf"), upload(PNG, "사진.png")
    )
    # then
    assert response.status_code == 201, response.content.decode()
    message = response.json()
    assert sorted(a["kind"] for a in message["attachments"]) == ["pdf", "png"]
    assert message["author_kind"] == "requester"
    stored = CaseAttachment.objects.filter(case=case)
    assert sorted(stored.values_list("original_name", flat=True)) == ["도면.pdf", "사진.png"]
    # and the staff side downloads them
    first = stored.order_by("pk").first()
    download = client_for("researcher").get(f"{API}/cases/{case.number}/attachments/{first.pk}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"


def test_a_disguised_file_is_refused_and_nothing_is_stored(client_for, desk, flow, settings):
    # given: attachments live under MEDIA_ROOT/desk (a fresh temp dir per test)
    case = flow("in_progress", actor=desk.sme)
    before, row = footprint(), case_row(case)
    # when: an executable named like a PDF, next to a real PDF
    response = upload_to(
        client_for("sme"),
        case.number,
        upload(PDF, "정상.pdf"),
        upload(EXE, "견적서.pdf"),
        body="견적서 보냅니다",
    )
    # then
    body = assert_error(response, 422, "attachment_type", "files")
    assert "견적서.pdf" in body["message"]
    assert footprint() == before and case_row(case) == row
    assert not any((Path(settings.MEDIA_ROOT) / "desk").rglob("*.*"))


def test_a_requester_cannot_upload_internal_files_and_strangers_cannot_see_the_case(
    client_for, desk, flow
):
    case = flow("in_progress", actor=desk.sme)
    before = footprint()
    assert_error(
        upload_to(client_for("sme"), case.number, upload(PDF, "a.pdf"), is_internal="true"),
        403,
        "forbidden",
    )
    assert_error(upload_to(client_for("coop"), case.number, upload(PDF, "a.pdf")), 404, "not_found")
    assert footprint() == before


def test_internal_files_are_hidden_from_the_requester(client_for, desk, flow):
    case = flow("in_progress", actor=desk.sme)
    response = upload_to(
        client_for("researcher"), case.number, upload(PDF, "내부.pdf"), is_internal="true"
    )
    assert response.status_code == 201
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.is_internal
    sme = client_for("sme")
    assert call(sme, "get", f"/cases/{case.number}/messages").json() == []
    assert sme.get(f"{API}/cases/{case.number}/attachments/{attachment.pk}").status_code == 404


# --- The status link ---------------------------------------------------------------------------


def test_the_requester_replies_by_link_and_a_waiting_case_resumes(client, desk, flow):
    # given
    case = flow("waiting")
    token = links.make_token(case)
    # when
    response = call(client, "post", f"/status/{token}/messages", {"body": "도면을 첨부했습니다."})
    # then
    assert response.status_code == 201
    assert response.json()["author_kind"] == "requester"
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    view = call(client, "get", f"/status/{token}").json()
    assert view["status"] == "in_progress"
    assert [m["body"] for m in view["messages"]] == ["도면을 첨부했습니다."]


def test_the_status_view_never_shows_internal_notes_or_staff_names(client, client_for, desk, flow):
    case = flow("in_progress")
    call(
        client_for("researcher"),
        "post",
        f"/cases/{case.number}/messages",
        {"body": "내부 메모", "is_internal": True},
    )
    call(client_for("researcher"), "post", f"/cases/{case.number}/messages", {"body": "답변입니다"})
    response = call(client, "get", f"/status/{links.make_token(case)}")
    text = response.content.decode()
    assert [m["body"] for m in response.json()["messages"]] == ["답변입니다"]
    assert "내부 메모" not in text
    assert str(desk.researcher) not in text and desk.researcher.username not in text


def test_forged_tampered_expired_revoked_and_malformed_links_have_distinct_errors(
    client, desk, flow, settings
):
    # given
    case = flow("waiting")
    token = links.make_token(case)
    payload, stamp, signature = token.split(":")
    forged = signing.dumps({"c": case.pk, "s": case.status_secret}, key="x" * 50, salt=links.SALT)
    tampered = f"{payload}:{stamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    settings.DURE_DESK_STATUS_LINK_DAYS = 180
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 181 * 86400):
        expired = links.make_token(case)
    before, row = footprint(), case_row(case)
    # then: every way in is refused with its own code, and nothing is written
    for bad, status, code in [
        (forged, 403, "status_link_invalid"),
        (tampered, 403, "status_link_invalid"),
        (expired, 410, "status_link_expired"),
        ("not-a-token", 404, "status_link_malformed"),
    ]:
        assert_error(call(client, "get", f"/status/{bad}"), status, code)
        assert_error(
            call(client, "post", f"/status/{bad}/messages", {"body": "안녕하세요"}), status, code
        )
        assert_error(call(client, "post", f"/status/{bad}/survey", {"rating": 5}), status, code)
    assert footprint() == before and case_row(case) == row
    # revoked: a new secret retires the links sent before
    services.case_status_link_rotate(actor=desk.center, case=case, send=False)
    before = footprint()
    assert_error(call(client, "get", f"/status/{token}"), 410, "status_link_revoked")
    assert_error(
        call(client, "post", f"/status/{token}/messages", {"body": "안녕하세요"}),
        410,
        "status_link_revoked",
    )
    assert footprint() == before


def test_the_survey_is_answered_once_per_resolution(client, flow):
    # given
    case = flow("resolved")
    token = links.make_token(case)
    assert call(client, "get", f"/status/{token}").json()["survey_open"] is True
    # when
    first = call(client, "post", f"/status/{token}/survey", {"rating": 4, "comment": "빨랐어요"})
    before = footprint()
    again = call(client, "post", f"/status/{token}/survey", {"rating": 1})
    # then
    assert first.status_code == 201 and first.json()["rating"] == 4
    assert_error(again, 409, "survey_already_answered")
    assert footprint() == before
    assert CaseSurvey.objects.get(case=case).rating == 4


@pytest.mark.parametrize("rating", [0, 6, "five"])
def test_a_rating_out_of_range_is_refused(client, flow, rating):
    case = flow("resolved")
    before = footprint()
    response = call(client, "post", f"/status/{links.make_token(case)}/survey", {"rating": rating})
    assert response.status_code == 422
    assert response.json()["field"] == "rating"
    assert footprint() == before


def test_the_survey_is_not_open_before_the_resolution(client, flow):
    case = flow("in_progress")
    before = footprint()
    response = call(client, "post", f"/status/{links.make_token(case)}/survey", {"rating": 5})
    assert_error(response, 409, "survey_not_open")
    assert footprint() == before


def test_the_requester_reopens_a_resolved_case_by_link(client, flow):
    case = flow("resolved")
    response = call(client, "post", f"/status/{links.make_token(case)}/reopen", {"reason": "재발"})
    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"


def test_public_attachments_download_by_link_but_internal_ones_do_not(
    client, client_for, desk, flow
):
    case = flow("in_progress")
    upload_to(client_for("researcher"), case.number, upload(PDF, "공개.pdf"))
    upload_to(client_for("researcher"), case.number, upload(PNG, "내부.png"), is_internal="true")
    public = CaseAttachment.objects.get(case=case, is_internal=False)
    internal = CaseAttachment.objects.get(case=case, is_internal=True)
    token = links.make_token(case)
    ok = client.get(f"{API}/status/{token}/attachments/{public.pk}")
    assert ok.status_code == 200 and b"".join(ok.streaming_content) == PDF
    assert client.get(f"{API}/status/{token}/attachments/{internal.pk}").status_code == 404
    other = flow("in_progress")
    other_token = links.make_token(other)
    assert client.get(f"{API}/status/{other_token}/attachments/{public.pk}").status_code == 404


# --- Workflow moves ----------------------------------------------------------------------------


def test_the_whole_journey_through_the_api(client, client_for, desk):
    # an anonymous SME submits
    receipt = call(client, "post", "/cases", submission(), {"Idempotency-Key": "journey"}).json()
    number, token = receipt["number"], receipt["status_token"]
    center, researcher = client_for("center"), client_for("researcher")
    # centre staff triage it to KITECH, accepting the recommendation shown
    triaged = call(
        center,
        "post",
        f"/cases/{number}/triage",
        {"category": "consulting", "lead_institute": "KITECH", "recommended": ["KITECH", "KIMS"]},
    )
    assert triaged.status_code == 200, triaged.content.decode()
    assert triaged.json()["status"] == "triaged" and triaged.json()["lead_institute"] == "KITECH"
    event = CaseEvent.objects.get(case__number=number, kind="triaged")
    assert event.data["decision"] == "accepted"
    # and assign the KITECH team (auto-assign picks its member)
    assigned = call(center, "post", f"/cases/{number}/assign", {"team_id": desk.team.pk})
    assert assigned.status_code == 200, assigned.content.decode()
    assert assigned.json()["status"] == "assigned"
    assert assigned.json()["assignee"] is not None
    # the researcher starts, asks for a drawing, the requester answers by link
    assert call(researcher, "post", f"/cases/{number}/start").json()["status"] == "in_progress"
    waiting = call(researcher, "post", f"/cases/{number}/wait", {"message": "도면을 보내 주세요."})
    assert waiting.json()["status"] == "waiting"
    assert waiting.json()["sla"]["resolution"] in {"paused", "breached"}
    call(client, "post", f"/status/{token}/messages", {"body": "보냈습니다."})
    assert call(researcher, "get", f"/cases/{number}").json()["status"] == "in_progress"
    # resolves it; the requester answers the survey; staff close it
    resolved = call(
        researcher,
        "post",
        f"/cases/{number}/resolve",
        {"outcome": "information", "summary": "냉각 채널 배치를 안내했습니다."},
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert resolved.json()["resolutions"][0]["outcome"] == "information"
    assert call(client, "post", f"/status/{token}/survey", {"rating": 5}).status_code == 201
    closed = call(center, "post", f"/cases/{number}/close", {})
    assert closed.json()["status"] == "closed"
    assert closed.json()["resolutions"][0]["survey_rating"] == 5
    kinds = [e["kind"] for e in call(center, "get", f"/cases/{number}/timeline").json()]
    for kind in (
        "submitted",
        "triaged",
        "assigned",
        "started",
        "waiting",
        "resumed",
        "resolved",
        "survey",
        "closed",
    ):
        assert kind in kinds


@pytest.mark.parametrize(
    ("state", "move", "body"),
    [
        ("received", "start", None),
        ("received", "assign", {}),
        ("received", "resolve", {"outcome": "information"}),
        ("triaged", "wait", {}),
        ("assigned", "resume", None),
        ("in_progress", "reopen", {}),
        ("closed", "triage", {"category": "other", "lead_institute": "KITECH"}),
        ("closed", "resolve", {"outcome": "information"}),
    ],
)
def test_a_move_the_state_does_not_allow_is_a_409_and_changes_nothing(
    client_for, desk, flow, state, move, body
):
    # given
    case = flow(state)
    before, row = footprint(), case_row(case)
    # when
    response = call(client_for("center"), "post", f"/cases/{case.number}/{move}", body)
    # then
    assert_error(response, 409, "transition_not_allowed")
    assert footprint() == before and case_row(case) == row


def test_a_message_on_a_closed_case_is_a_409(client_for, flow):
    case = flow("closed")
    before = footprint()
    response = call(
        client_for("center"), "post", f"/cases/{case.number}/messages", {"body": "추가"}
    )
    assert_error(response, 409, "case_closed")
    assert footprint() == before


@pytest.mark.parametrize(
    ("move", "body", "code", "field"),
    [
        (
            "triage",
            {"category": "consulting", "lead_institute": "NOPE"},
            "organisation_invalid",
            "lead_institute",
        ),
        (
            "triage",
            {"category": "nonsense", "lead_institute": "KITECH"},
            "invalid_choice",
            "category",
        ),
        ("triage", {"category": "consulting"}, "required", "lead_institute"),
        ("assign", {"assignee_id": 2_000_000_000}, "user_unknown", "assignee_id"),
    ],
)
def test_invalid_input_to_a_move_is_a_422_and_changes_nothing(
    client_for, flow, move, body, code, field
):
    case = flow("received" if move == "triage" else "triaged")
    before, row = footprint(), case_row(case)
    response = call(client_for("center"), "post", f"/cases/{case.number}/{move}", body)
    assert_error(response, 422, code, field)
    assert footprint() == before and case_row(case) == row


def test_unsolvable_needs_a_reason(client_for, desk, flow):
    case = flow("in_progress")
    before, row = footprint(), case_row(case)
    response = call(
        client_for("researcher"), "post", f"/cases/{case.number}/resolve", {"outcome": "unsolvable"}
    )
    assert_error(response, 422, "reason_required", "reason")
    assert footprint() == before and case_row(case) == row


def test_assigning_a_team_of_another_institute_names_the_api_field(client_for, desk, flow):
    from dure.desk.models import Team

    case = flow("triaged")
    other = Team.objects.create(institute=desk.kimm, name="다른 기관 팀")
    response = call(
        client_for("center"), "post", f"/cases/{case.number}/assign", {"team_id": other.pk}
    )
    assert_error(response, 422, "team_not_of_lead_institute", "team_id")


def test_a_signed_in_requester_answers_the_survey_on_the_case(client_for, desk, flow):
    case = flow("resolved", actor=desk.sme)
    response = call(client_for("sme"), "post", f"/cases/{case.number}/survey", {"rating": 3})
    assert response.status_code == 201
    assert CaseSurvey.objects.get(case=case).rating == 3
    before = footprint()
    assert_error(
        call(client_for("center"), "post", f"/cases/{case.number}/survey", {"rating": 1}),
        403,
        "forbidden",
    )
    assert_error(
        call(client_for("sme"), "post", f"/cases/{case.number}/survey", {"rating": 1}),
        409,
        "survey_already_answered",
    )
    assert footprint() == before


def test_collaborators_from_other_institutes_join_and_leave(client_for, desk, flow):
    # given
    case = flow("in_progress")
    researcher = client_for("researcher")
    # when
    added = call(
        researcher,
        "post",
        f"/cases/{case.number}/collaborators",
        {"user_id": desk.kimm_researcher.pk, "note": "소재 분석"},
    )
    # then
    assert added.status_code == 200, added.content.decode()
    assert added.json()["collaborators"] == [
        {"name": str(desk.kimm_researcher), "institute": "KIMM"}
    ]
    kimm = client_for("anonymous")
    kimm.force_login(desk.kimm_researcher)
    assert call(kimm, "get", f"/cases/{case.number}").status_code == 200
    # a person of no institute or centre cannot collaborate
    before = footprint()
    refused = call(
        researcher, "post", f"/cases/{case.number}/collaborators", {"user_id": desk.sme.pk}
    )
    assert_error(refused, 422, "collaborator_not_eligible", "user_id")
    assert footprint() == before
    # removed again
    removed = client_for("center").delete(
        f"{API}/cases/{case.number}/collaborators/{desk.kimm_researcher.pk}"
    )
    assert removed.status_code == 200 and removed.json()["collaborators"] == []
    assert call(kimm, "get", f"/cases/{case.number}").status_code == 404
    gone = client_for("center").delete(
        f"{API}/cases/{case.number}/collaborators/{desk.kimm_researcher.pk}"
    )
    assert_error(gone, 404, "not_found")


# --- What each person sees ---------------------------------------------------------------------


def test_requesters_never_see_internal_notes_or_event_details(client_for, desk, flow):
    # given
    case = flow("in_progress", actor=desk.sme)
    researcher = client_for("researcher")
    call(
        researcher,
        "post",
        f"/cases/{case.number}/messages",
        {"body": "내부 검토 중", "is_internal": True},
    )
    call(researcher, "post", f"/cases/{case.number}/messages", {"body": "확인했습니다"})
    sme = client_for("sme")
    # then
    messages = call(sme, "get", f"/cases/{case.number}/messages").json()
    assert [m["body"] for m in messages] == ["확인했습니다"]
    assert all(m["author"] is None for m in messages)
    timeline = call(sme, "get", f"/cases/{case.number}/timeline").json()
    assert all(not e["is_internal"] and e["data"] is None and e["actor"] is None for e in timeline)
    detail = call(sme, "get", f"/cases/{case.number}").json()
    assert detail["assignee"] is None and detail["team"] is None and detail["collaborators"] is None
    assert detail["contact"]["email"] == "hong@example.kr"  # their own data
    assert detail["can_post_internal"] is False
    # while the researcher sees all of it
    staff_messages = call(researcher, "get", f"/cases/{case.number}/messages").json()
    assert [m["body"] for m in staff_messages] == ["내부 검토 중", "확인했습니다"]
    assert staff_messages[0]["author"] == str(desk.researcher)


def test_a_requester_cannot_write_an_internal_note(client_for, desk, flow):
    case = flow("in_progress", actor=desk.sme)
    before = footprint()
    response = call(
        client_for("sme"),
        "post",
        f"/cases/{case.number}/messages",
        {"body": "메모", "is_internal": True},
    )
    assert_error(response, 403, "forbidden")
    assert footprint() == before


def test_collaborating_institutes_see_the_case_without_personal_data(client_for, desk, flow):
    # given: KIMS collaborates on a KITECH case
    case = flow("received")
    services.case_triage(
        actor=desk.center,
        case=case,
        category="consulting",
        lead_institute=desk.kitech,
        collaborating_institutes=[desk.kims],
        recommended=["KITECH"],
    )
    client = client_for("anonymous")
    client.force_login(desk.kims_researcher)
    # then
    detail = call(client, "get", f"/cases/{case.number}").json()
    assert detail["collaborating_institutes"] == ["KIMS"]
    assert detail["contact"] is None and detail["business_number"] is None
    assert "hong@example.kr" not in json.dumps(detail, ensure_ascii=False)
    # while the lead institute's researcher gets the contact
    assert call(client_for("researcher"), "get", f"/cases/{case.number}").json()["contact"]


def test_the_list_is_scoped_filtered_and_paginated(client_for, desk, flow):
    mine = flow("in_progress", actor=desk.sme)
    flow("received")
    sme = call(client_for("sme"), "get", "/cases").json()
    assert [c["number"] for c in sme["results"] if c["number"] == mine.number] == [mine.number]
    assert all(
        Case.objects.get(number=c["number"]).requester_id == desk.sme.pk for c in sme["results"]
    )
    assert call(client_for("member"), "get", "/cases").json()["count"] == 0
    center = client_for("center")
    everything = call(center, "get", "/cases?page_size=100").json()
    assert everything["count"] == Case.objects.count()
    received = call(center, "get", "/cases?status=received&page_size=100").json()
    assert received["count"] == Case.objects.filter(status="received").count()
    assert {c["status"] for c in received["results"]} == {"received"}
    page2 = call(center, "get", "/cases?page=2&page_size=3").json()
    assert [c["number"] for c in page2["results"]] == [
        c["number"] for c in everything["results"][3:6]
    ]
    assert_error(call(center, "get", "/cases?status=nonsense"), 422, "invalid_choice", "status")
    assert_error(call(center, "get", "/cases?page_size=1000"), 422, "max_value", "page_size")


def test_the_overdue_filter_lists_only_late_cases(client_for, desk, flow):
    import datetime as dt

    from django.utils import timezone

    late = flow("assigned")
    Case.objects.filter(pk=late.pk).update(
        first_response_due_at=timezone.now() - dt.timedelta(days=2)
    )
    listed = call(client_for("center"), "get", "/cases?overdue=true&page_size=100").json()
    numbers = [c["number"] for c in listed["results"]]
    assert late.number in numbers
    assert all(c["sla"]["overdue"] for c in listed["results"])


def test_the_list_costs_a_fixed_number_of_queries(
    client_for, desk, flow, django_assert_max_num_queries
):
    for _ in range(5):
        flow("assigned")
    client = client_for("center")
    call(client, "get", "/cases?page_size=5")  # warm the session and role caches
    with django_assert_max_num_queries(15):
        response = call(client, "get", "/cases?page_size=50")
    assert len(response.json()["results"]) >= 10


def test_unknown_and_malformed_numbers_are_404(client_for):
    client = client_for("center")
    for number in ("2026-999999", "nope", "2026-00000%00", "1" * 300):
        assert_error(call(client, "get", f"/cases/{number}"), 404, "not_found")


def test_the_recommendation_is_for_the_staff_side(client_for, desk, flow, monkeypatch):
    from dure.routing import services as routing_services
    from dure.routing.engine import Recommendation

    def fake(text, *, limit=None, include_examples=True):
        ranking = [
            Recommendation(
                "KITECH",
                "한국생산기술연구원",
                0.8,
                {
                    "terms": ["금형"],
                    "sentences": [],
                    "examples": [
                        {
                            "id": 1,
                            "source": "desk.case",
                            "source_id": "9",
                            "institutes": ["KITECH"],
                            "text": "과거 사례",
                            "similarity": 0.9,
                        }
                    ],
                },
            ),
            Recommendation(
                "KIMS", "재료연구원", 0.2, {"terms": [], "sentences": [], "examples": []}
            ),
        ]
        return ranking[:limit]

    monkeypatch.setattr(routing_services, "recommend", fake)
    case = flow("received", actor=desk.sme)
    staff = call(client_for("center"), "get", f"/cases/{case.number}/recommendation?limit=2")
    assert staff.status_code == 200
    assert [r["institute"] for r in staff.json()["ranking"]] == ["KITECH", "KIMS"]
    assert staff.json()["ranking"][0]["evidence"]["examples"][0]["text"] == "과거 사례"
    assert_error(
        call(client_for("sme"), "get", f"/cases/{case.number}/recommendation"), 403, "forbidden"
    )


# --- Dashboards --------------------------------------------------------------------------------


def test_stats_count_what_the_caller_may_see(client_for, desk, flow):
    flow("resolved")
    center = call(client_for("center"), "get", "/stats").json()
    assert center["total"] == Case.objects.exclude(status="closed", resolution_count=0).count()
    assert sum(c["count"] for c in center["counts"]["category"]) == center["total"]
    researcher = call(client_for("researcher"), "get", "/stats").json()
    assert 0 < researcher["total"] < center["total"]
    assert sum(c["count"] for c in researcher["counts"]["institute"]) == researcher["total"]
    assert "KITECH" in {c["key"] for c in researcher["counts"]["institute"]}
    assert_error(call(client_for("sme"), "get", "/stats"), 403, "forbidden")


def test_dates_far_out_of_range_do_not_break_the_stats(client_for):
    client = client_for("center")
    for query in ("since=0001-01-01&until=9999-12-31", "since=2030-01-01", "until=1990-01-01"):
        assert call(client, "get", f"/stats?{query}").status_code == 200
        assert call(client, "get", f"/stats/export?{query}").status_code == 200
    assert_error(call(client, "get", "/stats?since=yesterday"), 422, "invalid_date", "since")


def test_the_export_has_no_personal_data(client_for, desk, flow):
    case = flow("resolved", actor=desk.sme, company_name="비밀정밀", contact_name="김비밀")
    response = call(client_for("center"), "get", "/stats/export?page_size=1000")
    rows = response.json()["results"]
    assert case.number in [r["number"] for r in rows]
    text = response.content.decode()
    for secret in (
        "비밀정밀",
        "김비밀",
        "hong@example.kr",
        "010-1234-5678",
        VALID_BUSINESS_NUMBER,
        case.description[:20],
    ):
        assert secret not in text
    assert set(rows[0]) == {
        "number",
        "received_date",
        "channel",
        "category",
        "priority",
        "sido",
        "industry",
        "company_size",
        "receiving_centre",
        "lead_institute",
        "collaborating_institutes",
        "status",
        "outcome",
        "first_response_met",
        "resolution_met",
        "business_days_to_resolution",
        "satisfaction",
    }
