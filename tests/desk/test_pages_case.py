"""The case page: what the staff side and the logged-in requester see, a form for each move
the person may make now, the moves themselves (PRG), refused moves shown as errors with nothing
changed, the conversation with internal notes, and permission-checked downloads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dure.core.models import AuditEvent
from dure.desk import services
from dure.desk.models import Case, CaseAttachment, CaseEvent, CaseMessage, Status
from dure.routing.engine import Recommendation

from .conftest import EXE, PDF, PNG, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fake_routing(monkeypatch):
    """A fixed recommendation (the real recommender has its own tests), and decisions kept in
    a list instead of being embedded."""
    from dure.routing import services as routing

    recorded: list[dict] = []

    def recommend(text, *, limit=None, include_examples=True):
        ranking = [
            Recommendation(
                "KITECH",
                "한국생산기술연구원",
                0.72,
                {
                    "terms": ["판금", "모서리"],
                    "sentences": [
                        {"kind": "problem", "text": "프레스 부품이 갈라져요.", "similarity": 0.9}
                    ],
                    "examples": [{"id": 1, "text": "지난 사례: 판금 균열", "similarity": 0.8}],
                },
            ),
            Recommendation(
                "KIMM", "한국기계연구원", 0.2, {"terms": [], "sentences": [], "examples": []}
            ),
            Recommendation(
                "KIMS", "재료연구원", 0.08, {"terms": [], "sentences": [], "examples": []}
            ),
        ]
        return ranking[:limit]

    monkeypatch.setattr(routing, "recommend", recommend)
    monkeypatch.setattr(routing, "routing_example_record", lambda **kw: recorded.append(kw))
    return recorded


def page(client, case):
    return client.get(f"/desk/cases/{case.number}/")


def act(client, case, move, data=None, **kw):
    return client.post(f"/desk/cases/{case.number}/{move}/", data or {}, **kw)


def forms_on(response) -> set[str]:
    html = response.content.decode()
    return {
        move
        for move in ("triage", "assign", "start", "wait", "resume", "resolve", "close", "reopen")
        if f'action="/desk/cases/{response.context["case"].number}/{move}/' in html
    }


def state(case):
    return (
        Case.objects.filter(pk=case.pk).values().get(),
        CaseEvent.objects.filter(case=case).count(),
        CaseMessage.objects.filter(case=case).count(),
        CaseAttachment.objects.filter(case=case).count(),
        AuditEvent.objects.count(),
    )


def client_of(client_factory, user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


# --- what is shown -----------------------------------------------------------------------------


def test_a_received_case_offers_centre_staff_triage_with_the_recommendation(desk, flow, client_for):
    case = flow("received")
    response = page(client_for("center"), case)
    html = response.content.decode()
    assert response.status_code == 200
    assert forms_on(response) == {"triage", "close"}
    assert "연구기관 추천" in html and "72.0%" in html and "판금, 모서리" in html
    assert "지난 사례: 판금 균열" in html
    # the top recommendation is chosen beforehand, and what was shown is sent back
    assert f'<option value="{desk.kitech.pk}" selected>' in html
    assert 'name="recommended" value="KITECH,KIMM,KIMS"' in html
    assert html.count("<h1") == 1


def test_the_researcher_sees_the_moves_of_their_work_only(desk, flow, client_for):
    case = flow("assigned")
    assert forms_on(page(client_for("researcher"), case)) == {"assign", "start", "resolve"}
    case = flow("in_progress")
    assert forms_on(page(client_for("researcher"), case)) == {"assign", "wait", "resolve"}
    case = flow("waiting")
    assert forms_on(page(client_for("researcher"), case)) == {"assign", "resume", "resolve"}
    case = flow("resolved")
    assert forms_on(page(client_for("researcher"), case)) == {"close", "reopen"}


def test_overdue_cases_warn_in_words(desk, flow, client_for):
    case = flow("triaged")
    Case.objects.filter(pk=case.pk).update(
        first_response_due_at=timezone.now() - dt.timedelta(hours=1)
    )
    html = page(client_for("center"), case).content.decode()
    assert "첫 응답 기한이 지났습니다." in html
    assert "⚠ 기한 초과" in html


def test_internal_notes_are_marked_for_staff_and_never_shown_to_the_requester(desk, client_for):
    case = Case.objects.get(idempotency_key__isnull=False, requester=desk.sme)
    services.case_message_post(actor=desk.researcher, case=case, body="공개 답변입니다")
    services.case_message_post(
        actor=desk.researcher,
        case=case,
        body="비공개 검토 메모",
        is_internal=True,
        attachments=[upload(PDF, "내부.pdf")],
    )
    staff_html = page(client_for("researcher"), case).content.decode()
    assert "비공개 검토 메모" in staff_html
    assert "내부 메모 · 요청자에게 보이지 않음" in staff_html
    requester = page(client_for("sme"), case)
    html = requester.content.decode()
    assert requester.status_code == 200
    assert "공개 답변입니다" in html
    assert "비공개 검토 메모" not in html and "내부.pdf" not in html
    assert "내 문의" in html
    assert not forms_on(requester)  # in progress: nothing for the requester to move


def test_people_who_may_not_see_a_case_get_404(desk, flow, client_for):
    case = flow("received")
    for role in ("sme", "coop", "member", "researcher", "supplier"):
        assert page(client_for(role), case).status_code == 404, role
    assert page(client_for("anonymous"), case).status_code == 302
    assert client_for("center").get("/desk/cases/2026-999999/").status_code == 404


# --- the moves ---------------------------------------------------------------------------------


def triage_data(desk, **overrides):
    data = {
        "category": "consulting",
        "priority": "high",
        "sido": "48",
        "lead_institute": str(desk.kitech.pk),
        "collaborating_institutes": [str(desk.kims.pk)],
        "recommended": "KITECH,KIMM,KIMS",
        "note": "추천 그대로",
    }
    data.update(overrides)
    return data


def test_triage_accepting_the_recommendation_is_recorded(desk, flow, client_for, fake_routing):
    case = flow("received")
    response = act(client_for("center"), case, "triage", triage_data(desk))
    assert response.status_code == 302 and response["Location"] == f"/desk/cases/{case.number}/"
    case.refresh_from_db()
    assert case.status == Status.TRIAGED and case.lead_institute == desk.kitech
    assert list(case.collaborating_institutes.all()) == [desk.kims]
    event = case.events.get(kind="triaged")
    assert event.data["decision"] == "accepted"
    assert event.data["recommended"] == ["KITECH", "KIMM", "KIMS"]
    assert fake_routing[0]["institutes"] == ["KITECH", "KIMS"]  # kept for later cases


def test_triage_overriding_the_recommendation_is_recorded(desk, flow, client_for):
    case = flow("received")
    act(client_for("center"), case, "triage", triage_data(desk, lead_institute=str(desk.etri.pk)))
    event = Case.objects.get(pk=case.pk).events.get(kind="triaged")
    assert event.data["decision"] == "overridden"
    assert event.data["lead_institute"] == "ETRI"


def test_a_move_that_is_not_allowed_now_is_an_error_and_changes_nothing(desk, flow, client_for):
    case = flow("received")
    client = client_for("center")
    before = state(case)
    response = act(client, case, "resolve", {"outcome": "information"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "현재 상태(접수)에서는 &#x27;해결&#x27;을(를) 할 수 없습니다." in html
    assert 'role="alert"' in html and "<title>오류" in html
    assert state(case) == before


@pytest.mark.parametrize(
    ("move", "data"),
    [
        ("start", {}),
        ("wait", {}),
        ("resume", {}),
        ("close", {}),  # a received case closes only with a reason
        ("reopen", {}),
        ("assign", {"team": ""}),
    ],
)
def test_every_move_out_of_turn_is_refused(desk, flow, client_for, move, data):
    case = flow("received")
    client = client_for("center")
    before = state(case)
    response = act(client, case, move, data)
    assert response.status_code == 400, move
    assert state(case) == before


def test_invalid_input_to_a_move_is_tied_to_its_field(desk, flow, client_for):
    case = flow("in_progress")
    client = client_for("researcher")
    before = state(case)
    response = act(client, case, "resolve", {"outcome": "unsolvable", "reason": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert response.context["failed"] == "resolve"
    assert 'id="id_resolve_reason_error"' in html
    assert 'aria-describedby="id_resolve_reason_help id_resolve_reason_error"' in html
    assert "해결 불가 사유를 입력해 주세요." in html
    assert state(case) == before
    bad_url = act(client, case, "resolve", {"outcome": "information", "follow_up_url": "ftp://x"})
    assert bad_url.status_code == 400 and "http://" in bad_url.content.decode()


def test_someone_who_may_see_but_not_make_a_move_gets_404(desk, client_for):
    case = Case.objects.get(requester=desk.sme)
    client = client_for("sme")
    before = state(case)
    assert act(client, case, "triage", triage_data(desk)).status_code == 404
    assert act(client, case, "resolve", {"outcome": "information"}).status_code == 404
    assert act(client, case, "note", {"body": "몰래 메모"}).status_code == 404
    assert state(case) == before


def test_a_case_goes_through_the_whole_workflow_by_its_pages(desk, flow, client_for):
    case = flow("triaged")
    center, researcher = client_for("center"), client_for("researcher")

    def ok(client, move, data=None):
        response = act(client, case, move, data)
        assert response.status_code == 302, (
            move,
            getattr(response, "context", None) and response.context.get("failed"),
        )
        case.refresh_from_db()

    ok(center, "assign", {"team": str(desk.team.pk), "assignee": "", "remember": "on"})
    assert case.status == Status.ASSIGNED and case.assignee is not None
    ok(researcher, "start")
    assert case.status == Status.IN_PROGRESS
    ok(researcher, "wait", {"message": "도면을 보내 주세요."})
    assert case.status == Status.WAITING
    assert case.messages.filter(body="도면을 보내 주세요.", is_internal=False).exists()
    ok(researcher, "resume")
    assert case.status == Status.IN_PROGRESS
    ok(
        researcher,
        "resolve",
        {
            "outcome": "tech_transfer",
            "summary": "기술이전 연계",
            "follow_up_url": "https://example.kr/transfer/1",
            "follow_up_reference": "이전 2026-1",
        },
    )
    assert case.status == Status.RESOLVED and case.resolutions.get().follow_up_reference
    ok(center, "close")
    assert case.status == Status.CLOSED
    ok(researcher, "reopen", {"reason": "추가 문의"})
    assert case.status == Status.IN_PROGRESS


def test_assigning_to_a_named_researcher(desk, flow, client_for):
    case = flow("triaged")
    page_html = page(client_for("center"), case).content.decode()
    assert "kitech2" in page_html  # KITECH's people are offered
    response = act(
        client_for("center"),
        case,
        "assign",
        {"team": "", "assignee": str(desk.researcher2.pk), "remember": ""},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assignee == desk.researcher2


def test_dismissing_an_untreated_case_needs_a_reason(desk, flow, client_for):
    case = flow("received")
    client = client_for("center")
    refused = act(client, case, "close", {"reason": ""})
    assert refused.status_code == 400 and "사유" in refused.content.decode()
    assert act(client, case, "close", {"reason": "중복 접수"}).status_code == 302
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED


# --- the conversation --------------------------------------------------------------------------


def test_a_public_answer_with_a_file_and_an_internal_note(desk, flow, client_for):
    case = flow("in_progress")
    client = client_for("researcher")
    response = act(
        client,
        case,
        "message",
        {"body": "시편을 분석했습니다.", "attachments": [upload(PNG, "결과.png")]},
    )
    assert response.status_code == 302 and response["Location"].endswith("#conversation")
    note = act(
        client, case, "note", {"body": "내부 검토", "attachments": [upload(PDF, "검토.pdf")]}
    )
    assert note.status_code == 302
    public = case.messages.get(body="시편을 분석했습니다.")
    internal = case.messages.get(body="내부 검토")
    assert not public.is_internal and internal.is_internal
    assert public.attachments.get().kind == "png"
    assert internal.attachments.get().is_internal
    case.refresh_from_db()
    assert case.first_response_at is not None


def test_an_empty_or_disguised_message_is_refused(desk, flow, client_for):
    case = flow("in_progress")
    client = client_for("researcher")
    before = state(case)
    empty = act(client, case, "message", {"body": ""})
    assert empty.status_code == 400 and 'id="id_message_body_error"' in empty.content.decode()
    disguised = act(
        client, case, "message", {"body": "첨부", "attachments": [upload(EXE, "a.pdf")]}
    )
    assert disguised.status_code == 400
    assert 'id="id_message_attachments_error"' in disguised.content.decode()
    assert state(case) == before


def test_a_logged_in_requester_replies_closes_and_rates(desk, client_for):
    case = Case.objects.get(requester=desk.sme)
    client = client_for("sme")
    assert act(client, case, "message", {"body": "도면을 보냅니다."}).status_code == 302
    assert case.messages.filter(body="도면을 보냅니다.", author_kind="requester").exists()
    services.case_resolve(actor=desk.researcher, case=case, outcome="consulting")
    response = page(client, case)
    assert forms_on(response) == {"close", "reopen"}
    assert 'action="/desk/cases/' + case.number + "/survey/" in response.content.decode()
    assert act(client, case, "survey", {"rating": "4", "comment": "좋아요"}).status_code == 302
    assert case.surveys.get().rating == 4
    again = act(client, case, "survey", {"rating": "5"})
    assert again.status_code == 400
    assert "이미 만족도 조사에 응답하셨습니다." in again.content.decode()
    assert case.surveys.count() == 1
    assert act(client, case, "close", {}).status_code == 302
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED


def test_collaborators_are_added_and_removed(desk, flow, client_for):
    case = flow("in_progress")
    services.case_triage(
        actor=desk.center,
        case=case,
        category="consulting",
        lead_institute=desk.kitech,
        collaborating_institutes=[desk.kims],
        recommended=["KITECH"],
    )
    services.case_assign(actor=desk.center, case=case, team=desk.team, assignee=desk.researcher)
    client = client_for("researcher")
    html = page(client, case).content.decode()
    assert "kims1" in html  # people of the collaborating institute are offered
    added = act(
        client, case, "collaborators", {"user": str(desk.kims_researcher.pk), "note": "재료 분석"}
    )
    assert added.status_code == 302
    assert case.collaborator_links.filter(user=desk.kims_researcher).exists()
    # the collaborator now sees the case
    assert page(client_of(client_for, desk.kims_researcher), case).status_code == 200
    removed = client.post(
        f"/desk/cases/{case.number}/collaborators/{desk.kims_researcher.pk}/remove/"
    )
    assert removed.status_code == 302
    assert not case.collaborator_links.exists()
    missing = client.post(
        f"/desk/cases/{case.number}/collaborators/{desk.kims_researcher.pk}/remove/"
    )
    assert missing.status_code == 404


# --- downloads ---------------------------------------------------------------------------------


def test_attachments_are_served_only_through_their_permission_check(desk, client_for):
    case = Case.objects.get(requester=desk.sme)
    public = services.case_message_post(
        actor=desk.researcher, case=case, body="자료", attachments=[upload(PDF, "자료.pdf")]
    ).attachments.get()
    internal = services.case_message_post(
        actor=desk.researcher,
        case=case,
        body="내부",
        is_internal=True,
        attachments=[upload(PDF, "내부.pdf")],
    ).attachments.get()

    def get(role, attachment, number=case.number):
        return client_for(role).get(f"/desk/cases/{number}/files/{attachment.pk}/")

    ok = get("researcher", public)
    assert ok.status_code == 200
    assert ok["Content-Type"] == "application/pdf"
    assert "attachment;" in ok["Content-Disposition"]
    assert b"".join(ok.streaming_content).startswith(b"%PDF")
    assert get("researcher", internal).status_code == 200
    assert get("sme", public).status_code == 200
    assert get("sme", internal).status_code == 404  # the requester never gets internal files
    assert get("coop", public).status_code == 404
    other = Case.objects.exclude(pk=case.pk).first()
    assert get("center", public, number=other.number).status_code == 404

    token = services.status_token_for(case=case)
    anonymous = client_for("anonymous")
    assert anonymous.get(f"/desk/status/{token}/files/{public.pk}/").status_code == 200
    assert anonymous.get(f"/desk/status/{token}/files/{internal.pk}/").status_code == 404
    other_token = services.status_token_for(case=other)
    assert anonymous.get(f"/desk/status/{other_token}/files/{public.pk}/").status_code == 404


def test_uploaded_files_are_not_reachable_as_media(desk, client_for):
    case = Case.objects.get(requester=desk.sme)
    attachment = services.case_message_post(
        actor=desk.researcher, case=case, body="자료", attachments=[upload(PDF, "자료.pdf")]
    ).attachments.get()
    assert client_for("admin").get(f"/media/{attachment.file.name}").status_code == 404
