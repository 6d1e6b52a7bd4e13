"""The requester's status page, opened by the signed link from the e-mail (no login): the case
without internal notes, the public conversation, a reply with attachments, the survey once
resolved, reopening. Every bad link — malformed, forged, expired, revoked — answers the same
status (404) with its own localized explanation, on every URL under it, and changes nothing."""

from __future__ import annotations

import time
from unittest import mock

import pytest

from dure.core.models import AuditEvent
from dure.desk import links, services
from dure.desk.models import Case, CaseAttachment, CaseEvent, CaseMessage, CaseSurvey, Status

from .conftest import EXE, PDF, upload

pytestmark = pytest.mark.django_db


def status_url(token: str, suffix: str = "") -> str:
    return f"/desk/status/{token}/{suffix}"


def state(case):
    return (
        Case.objects.filter(pk=case.pk).values().get(),
        CaseEvent.objects.filter(case=case).count(),
        CaseMessage.objects.filter(case=case).count(),
        CaseAttachment.objects.filter(case=case).count(),
        CaseSurvey.objects.filter(case=case).count(),
        AuditEvent.objects.count(),
    )


def forged(token: str) -> str:
    """The same token with one character of its signature changed."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


def tampered(token: str, other_case: Case) -> str:
    """Another case's payload under this token's signature."""
    other = links.make_token(other_case)
    return other.split(":")[0] + ":" + ":".join(token.split(":")[1:])


def expired(case: Case) -> str:
    days = links.max_age_seconds() + 86_400
    with mock.patch("django.core.signing.time.time", return_value=time.time() - days):
        return links.make_token(case)


@pytest.fixture
def in_progress(flow, desk):
    case = flow("in_progress")
    services.case_message_post(
        actor=desk.researcher, case=case, body="공개 답변: 시편을 보내 주세요"
    )
    services.case_message_post(
        actor=desk.researcher, case=case, body="내부: 단가 검토 필요", is_internal=True
    )
    return case


def test_the_status_page_shows_the_case_and_public_conversation_only(in_progress, client):
    token = services.status_token_for(case=in_progress)
    response = client.get(status_url(token))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert in_progress.number in html and "처리 중" in html
    assert "공개 답변: 시편을 보내 주세요" in html
    assert "내부: 단가 검토 필요" not in html
    assert "이연구" not in html  # no staff names, only "연구기관"
    assert "no-store" in response["Cache-Control"]
    assert f'action="/desk/status/{token}/reply/#conversation"' in html
    assert "만족도 조사" not in html  # not resolved yet


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda case, other: "not-a-token", "조회 링크가 올바르지 않습니다"),
        (lambda case, other: forged(links.make_token(case)), "위조되었거나 변경되었습니다"),
        (
            lambda case, other: tampered(links.make_token(case), other),
            "위조되었거나 변경되었습니다",
        ),
        (lambda case, other: expired(case), "유효 기간이 지났습니다"),
    ],
    ids=["malformed", "forged", "tampered", "expired"],
)
def test_a_bad_link_gets_a_clear_error_page_with_404_everywhere(
    in_progress, flow, client, make, message
):
    other = flow("received")
    token = make(in_progress, other)
    before, before_other = state(in_progress), state(other)
    for url, method, data in [
        (status_url(token), "get", None),
        (status_url(token, "reply/"), "post", {"body": "가짜 답변"}),
        (status_url(token, "survey/"), "post", {"rating": "1"}),
        (status_url(token, "reopen/"), "post", {}),
        (status_url(token, "files/1/"), "get", None),
    ]:
        response = (
            getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
        )
        html = response.content.decode()
        assert response.status_code == 404, url
        assert message in html, url
        assert "조회 링크를 열 수 없습니다" in html and html.count("<h1") == 1
        assert in_progress.number not in html and other.number not in html
    assert state(in_progress) == before and state(other) == before_other


def test_a_rotated_link_is_revoked(in_progress, desk, client):
    old = services.status_token_for(case=in_progress)
    services.case_status_link_rotate(actor=desk.center, case=in_progress, send=False)
    response = client.get(status_url(old))
    assert response.status_code == 404
    assert "더 이상 사용할 수 없는 조회 링크" in response.content.decode()
    fresh = services.status_token_for(case=Case.objects.get(pk=in_progress.pk))
    assert client.get(status_url(fresh)).status_code == 200


def test_the_requester_replies_with_a_file_through_the_link(in_progress, client):
    token = services.status_token_for(case=in_progress)
    response = client.post(
        status_url(token, "reply/"),
        {"body": "시편 사진을 보냅니다.", "attachments": [upload(PDF, "시편.pdf")]},
    )
    assert response.status_code == 302
    assert response["Location"] == status_url(token) + "#conversation"
    message = in_progress.messages.get(body="시편 사진을 보냅니다.")
    assert message.author_kind == "requester" and message.via_status_link
    assert message.attachments.get().original_name == "시편.pdf"
    page = client.get(response["Location"]).content.decode()
    assert "답변을 보냈습니다." in page and "시편.pdf" in page


def test_a_reply_while_waiting_resumes_the_case(flow, client):
    case = flow("waiting")
    token = services.status_token_for(case=case)
    client.post(status_url(token, "reply/"), {"body": "자료를 보냅니다."})
    assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "가" * 10_001}, "body"),
        ({"body": "첨부합니다", "attachments": [upload(EXE, "도면.pdf")]}, "attachments"),
    ],
)
def test_a_bad_reply_is_refused_on_its_field_and_nothing_is_written(
    in_progress, client, data, field
):
    token = services.status_token_for(case=in_progress)
    before = state(in_progress)
    response = client.post(status_url(token, "reply/"), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_message_{field}_error"' in html
    assert 'role="alert"' in html
    assert state(in_progress) == before


def test_a_closed_case_takes_no_reply(flow, client):
    case = flow("closed")
    token = services.status_token_for(case=case)
    html = client.get(status_url(token)).content.decode()
    assert "종료된 건에는 메시지를 남길 수 없습니다." in html
    before = state(case)
    response = client.post(status_url(token, "reply/"), {"body": "한 마디 더"})
    assert response.status_code == 400
    assert "종료된 건에는 메시지를 남길 수 없습니다" in response.content.decode()
    assert state(case) == before


def test_the_survey_opens_once_resolved_and_takes_one_answer(flow, client):
    case = flow("resolved")
    token = services.status_token_for(case=case)
    html = client.get(status_url(token)).content.decode()
    assert "만족도 조사" in html and "5 — 매우 만족" in html
    assert "처리 결과" in html
    response = client.post(status_url(token, "survey/"), {"rating": "5", "comment": "감사합니다"})
    assert response.status_code == 302
    survey = CaseSurvey.objects.get(case=case)
    assert survey.rating == 5 and survey.via_status_link
    after = client.get(status_url(token)).content.decode()
    assert "5점 (5점 만점)" in after and 'name="rating"' not in after
    again = client.post(status_url(token, "survey/"), {"rating": "1"})
    assert again.status_code == 400
    assert "이미 만족도 조사에 응답하셨습니다." in again.content.decode()
    assert CaseSurvey.objects.filter(case=case).count() == 1


def test_a_survey_before_resolution_or_out_of_range_is_refused(in_progress, flow, client):
    resolved = flow("resolved")
    token = services.status_token_for(case=in_progress)
    before, before_resolved = state(in_progress), state(resolved)
    early = client.post(status_url(token, "survey/"), {"rating": "4"})
    assert early.status_code == 400
    assert "처리가 완료된 뒤에" in early.content.decode()
    resolved_token = services.status_token_for(case=resolved)
    bad = client.post(status_url(resolved_token, "survey/"), {"rating": "9"})
    assert bad.status_code == 400 and 'id="id_survey_rating_error"' in bad.content.decode()
    assert state(in_progress) == before and state(resolved) == before_resolved


def test_the_requester_reopens_a_resolved_case_through_the_link(flow, client):
    case = flow("resolved")
    token = services.status_token_for(case=case)
    assert "다시 열기" in client.get(status_url(token)).content.decode()
    response = client.post(status_url(token, "reopen/"), {"reason": "다시 갈라집니다"})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS


def test_a_valid_link_of_one_case_opens_no_file_of_another(flow, desk, client):
    case, other = flow("in_progress"), flow("in_progress")
    attachment = services.case_message_post(
        actor=desk.researcher, case=other, body="자료", attachments=[upload(PDF, "x.pdf")]
    ).attachments.get()
    token = services.status_token_for(case=case)
    assert client.get(status_url(token, f"files/{attachment.pk}/")).status_code == 404
    other_token = services.status_token_for(case=other)
    assert client.get(status_url(other_token, f"files/{attachment.pk}/")).status_code == 200
