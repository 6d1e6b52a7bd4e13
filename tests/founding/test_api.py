"""Founding consultations API behaviour: who sees which consultation, the page envelope, the
applicant's contact details and the sessions' internal notes (and the logged reads of them),
asking, sessions, the stages with the law's checks (five founders before the founding meeting,
the founded cooperative named once), the consultant, withdrawing — service refusals as JSON
``{code, message, field}`` in Korean with the API's field names.

The demo consultations (``dure.founding.demo``) are the world: at the centre
과학기술인협동조합지원센터 (whose staff is ``center``; ``admin`` is a platform admin)
``researcher`` has just asked (received), ``member``'s is being prepared (four founders, two
sessions, the later one with an internal note) and ``coop``'s ended as founded, naming
세리오협동조합. ``elsewhere`` adds one by ``sme`` at the Daejeon centre, which no demo user but
``admin`` handles.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

API = "/api/v1/founding/consultations"
CENTRE = "과학기술인협동조합지원센터"
DAEJEON_CENTRE = "대전 협동조합 지원센터"
RECEIVED = "연구장비공유협동조합"  # researcher's, received, 3 founders, no consultant
PREPARING = "돌봄나눔사회적협동조합"  # member's, preparing, 4 founders, consultant center
FOUNDED = "세리오협동조합"  # coop's, founded, names 세리오협동조합
ELSEWHERE = "대전 공유부엌 협동조합"  # sme's, at the Daejeon centre (the ``elsewhere`` fixture)
INTERNAL_NOTE = "발기인 명단은 다음 상담 때 받기로 함"
CONTACT_KEYS = {"contact_name", "contact_phone", "applicant_email"}
HANGUL = re.compile(r"[가-힣]")


def send(client, method: str, path: str, body: Any = None, **extra: Any):
    kwargs: dict[str, Any] = dict(extra)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method.lower())(API + path, **kwargs)


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["code"] == code, data
    assert data["field"] == field, data
    assert HANGUL.search(data["message"]), data  # Korean by default
    return data


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def names(response) -> list[str]:
    return [c["proposed_name"] for c in ok(response)["results"]]


def request_body(centre_id: int, /, **changes: Any) -> dict[str, Any]:
    body = {
        "centre_id": centre_id,
        "contact_name": "이연구",
        "contact_phone": "010-1234-5678",
        "proposed_name": "API로 신청한 협동조합",
        "kind": "cooperative",
        "sido": "30",
        "business": "연구자들이 함께 시험 장비를 나누어 쓰는 사업입니다.",
        "founders": 3,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def session_body(**changes: Any) -> dict[str, Any]:
    body = {
        "held_on": timezone.localdate().isoformat(),
        "mode": "phone",
        "topics": ["business_plan", "members"],
        "summary": "사업계획과 발기인 모집 방법을 이야기했습니다.",
        "next_steps": "발기인 5명 모으기",
        "internal_note": "다음 주에 다시 전화",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


@pytest.fixture
def consultation(db):
    """consultation(PREPARING) → that demo consultation, read afresh."""
    from dure.founding.models import Consultation

    return lambda name: Consultation.objects.get(proposed_name=name)


@pytest.fixture
def elsewhere(users, org):
    """A consultation ``sme`` asked of the Daejeon centre (handled by nobody but ``admin``)."""
    from dure.founding import services

    return services.consultation_request(
        actor=users["sme"],
        centre=org(DAEJEON_CENTRE),
        data={
            "contact_name": "박대표",
            "contact_phone": "042-123-4567",
            "proposed_name": ELSEWHERE,
            "kind": "cooperative",
            "business": "동네 식당들이 함께 쓰는 공유부엌을 운영합니다.",
            "founders": 2,
        },
    ).consultation


def snapshot() -> tuple:
    """The consultations, sessions and stage events, and the audit and personal-data logs'
    lengths: what a refused call leaves as it was."""
    from dure.core.models import AuditEvent, PersonalDataAccess
    from dure.founding.models import Consultation, Session, StageEvent

    return (
        list(Consultation.objects.order_by("pk").values()),
        list(Session.objects.order_by("pk").values()),
        StageEvent.objects.count(),
        AuditEvent.objects.exclude(action__startswith="auth.").count(),
        PersonalDataAccess.objects.count(),
    )


# --- list --------------------------------------------------------------------------------------


def test_each_caller_lists_what_they_may_see_newest_first_in_a_page_envelope(client_for, elsewhere):
    for role, expected in [
        ("researcher", [RECEIVED]),
        ("member", [PREPARING]),
        ("coop", [FOUNDED]),
        ("sme", [ELSEWHERE]),
        ("center", [RECEIVED, PREPARING, FOUNDED]),
        ("admin", [ELSEWHERE, RECEIVED, PREPARING, FOUNDED]),
        ("supplier", []),
        ("seller", []),
    ]:
        assert names(send(client_for(role), "get", "")) == expected, role
    data = ok(send(client_for("center"), "get", ""))
    assert set(data) == {"count", "page", "page_size", "results"}
    assert (data["count"], data["page"], data["page_size"]) == (3, 1, 20)


def test_list_rows_carry_no_contact_details_or_notes_and_reading_them_is_not_logged(
    client_for, org, users
):
    from dure.core.models import PersonalDataAccess

    before = PersonalDataAccess.objects.count()
    rows = {r["proposed_name"]: r for r in ok(send(client_for("center"), "get", ""))["results"]}
    assert PersonalDataAccess.objects.count() == before
    row = rows[PREPARING]
    assert not CONTACT_KEYS & set(row) and "sessions" not in row
    assert (row["stage"], row["founders"], row["kind"], row["is_open"]) == (
        "preparing",
        4,
        "social_cooperative",
        True,
    )
    assert row["centre"] == {"id": org(CENTRE).pk, "name": CENTRE}
    assert row["consultant"] == {"id": users["center"].pk, "name": "김지원"}
    assert row["sido"] == "30"
    assert rows[RECEIVED]["consultant"] is None
    assert rows[FOUNDED]["organisation"] == {"id": org(FOUNDED).pk, "name": FOUNDED}
    assert rows[FOUNDED]["is_open"] is False


def test_list_filters_by_stage_and_pages_do_not_overlap(client_for):
    center = client_for("center")
    assert names(send(center, "get", "?stage=preparing")) == [PREPARING]
    assert names(send(center, "get", "?stage=assembly")) == []
    assert names(send(center, "get", "?stage=")) == names(send(center, "get", ""))
    first = ok(send(center, "get", "?page_size=2"))
    second = ok(send(center, "get", "?page_size=2&page=2"))
    assert first["count"] == second["count"] == 3
    assert len(first["results"]) == 2 and len(second["results"]) == 1
    assert not {c["id"] for c in first["results"]} & {c["id"] for c in second["results"]}
    assert ok(send(center, "get", "?page=500"))["results"] == []


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("?stage=dreaming", "invalid_choice", "stage"),
        ("?page=0", "min_value", "page"),
        ("?page_size=101", "max_value", "page_size"),
        ("?page=x", "invalid_integer", "page"),
    ],
)
def test_bad_list_parameters_are_a_422_naming_the_parameter(client_for, query, code, field):
    assert_error(send(client_for("center"), "get", query), 422, code, field)


def test_anonymous_callers_must_sign_in_even_to_read(client, consultation):
    assert_error(send(client, "get", ""), 401, "unauthenticated")
    assert_error(send(client, "get", f"/{consultation(PREPARING).pk}"), 401, "unauthenticated")


def test_list_takes_the_same_number_of_queries_whatever_the_page_size(
    client_for, users, org, django_assert_max_num_queries
):
    from dure.founding import services

    for n in range(5):
        services.consultation_request(
            actor=users["sme"],
            centre=org(CENTRE),
            data={
                "contact_name": "박대표",
                "proposed_name": f"쿼리 시험 {n}",
                "kind": "cooperative",
                "business": "시험",
            },
        )
    center = client_for("center")
    with django_assert_max_num_queries(6):
        assert len(ok(send(center, "get", "?page_size=100"))["results"]) == 8


# --- detail ------------------------------------------------------------------------------------


def test_the_applicant_sees_their_contact_details_and_the_shared_sessions_but_no_notes(
    client_for, consultation
):
    from dure.core.models import PersonalDataAccess

    before = PersonalDataAccess.objects.count()
    data = ok(send(client_for("member"), "get", f"/{consultation(PREPARING).pk}"))
    assert (data["contact_name"], data["contact_phone"], data["applicant_email"]) == (
        "정조합원",
        "",
        "member@dure.example",
    )
    assert (data["can_manage"], data["is_applicant"], data["next_stages"]) == (False, True, [])
    assert [s["internal_note"] for s in data["sessions"]] == [None, None]
    assert INTERNAL_NOTE not in json.dumps(data, ensure_ascii=False)
    first = data["sessions"][0]
    assert (first["mode"], first["topics"], first["counsellor"]["name"]) == (
        "visit",
        ["business_plan"],
        "김지원",
    )
    assert data["sessions"][1]["next_steps"] == "발기인 5명 이상 확보 후 창립총회 날짜 정하기"
    assert [(e["from_stage"], e["to_stage"]) for e in data["events"]] == [
        (None, "received"),
        ("received", "consulting"),
        ("consulting", "preparing"),
    ]
    # one's own contact details are not a logged read
    assert PersonalDataAccess.objects.count() == before


def test_the_centre_sees_internal_notes_and_its_read_of_the_contact_details_is_logged(
    client_for, consultation, users
):
    from dure.core.models import PersonalDataAccess

    pk = consultation(PREPARING).pk
    before = PersonalDataAccess.objects.count()
    data = ok(send(client_for("center"), "get", f"/{pk}"))
    assert (data["contact_name"], data["applicant_email"]) == ("정조합원", "member@dure.example")
    assert [s["internal_note"] for s in data["sessions"]] == ["", INTERNAL_NOTE]
    assert (data["can_manage"], data["is_applicant"]) == (True, False)
    assert data["next_stages"] == ["consulting", "assembly", "withdrawn"]
    assert PersonalDataAccess.objects.count() == before + 1
    logged = PersonalDataAccess.objects.order_by("-id").first()
    assert (logged.actor, logged.via, logged.subject_type, logged.subject_id) == (
        users["center"],
        PersonalDataAccess.Via.API,
        "founding.consultation",
        str(pk),
    )
    assert logged.fields == ["contact_name", "contact_phone", "applicant.email"]


def test_the_api_logs_the_same_fields_and_purpose_as_the_detail_page(client_for, consultation):
    from dure.core.models import PersonalDataAccess

    pk = consultation(FOUNDED).pk
    admin = client_for("admin")
    assert admin.get(f"/founding/{pk}/").status_code == 200
    page = PersonalDataAccess.objects.order_by("-id").first()
    ok(send(admin, "get", f"/{pk}"))
    api = PersonalDataAccess.objects.order_by("-id").first()
    assert (page.via, api.via) == ("page", "api")
    assert (api.fields, api.purpose, api.subject_type, api.subject_id, api.actor) == (
        page.fields,
        page.purpose,
        page.subject_type,
        page.subject_id,
        page.actor,
    )


def test_nobody_else_sees_a_consultation_and_a_refusal_is_not_logged(
    client_for, consultation, elsewhere
):
    before = snapshot()
    for role in ("researcher", "sme", "coop", "supplier", "seller", "creator"):
        assert_error(
            send(client_for(role), "get", f"/{consultation(PREPARING).pk}"), 404, "not_found"
        )
    # the centre's staff see their own centre's consultations only
    assert_error(send(client_for("center"), "get", f"/{elsewhere.pk}"), 404, "not_found")
    assert snapshot() == before
    assert ok(send(client_for("admin"), "get", f"/{elsewhere.pk}"))["can_manage"] is True
    assert ok(send(client_for("sme"), "get", f"/{elsewhere.pk}"))["contact_phone"] == "042-123-4567"


def test_missing_and_malformed_ids_are_json_errors(client_for):
    center = client_for("center")
    assert_error(send(center, "get", "/999999999"), 404, "not_found")
    assert_error(send(center, "get", "/abc"), 422, "invalid_integer", "id")
    assert_error(send(center, "post", "/999999999/withdraw", {}), 404, "not_found")


# --- asking ------------------------------------------------------------------------------------


def test_anyone_signed_in_asks_a_centre_and_gets_the_consultation_back(
    client_for, org, users, mailoutbox, django_capture_on_commit_callbacks
):
    from dure.core.models import AuditEvent, PersonalDataAccess
    from dure.founding.models import Consultation

    before = PersonalDataAccess.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client_for("researcher"), "post", "", request_body(org(CENTRE).pk))
    data = ok(response, 201)
    assert (data["stage"], data["founders"], data["sido"], data["is_applicant"]) == (
        "received",
        3,
        "30",
        True,
    )
    assert (data["contact_name"], data["contact_phone"]) == ("이연구", "010-1234-5678")
    assert data["centre"]["name"] == CENTRE and data["consultant"] is None
    assert [(e["from_stage"], e["to_stage"]) for e in data["events"]] == [(None, "received")]
    made = Consultation.objects.get(pk=data["id"])
    assert made.applicant == users["researcher"]
    assert AuditEvent.objects.filter(action="founding.request", object_id=str(made.pk)).exists()
    assert PersonalDataAccess.objects.count() == before
    assert [m.to for m in mailoutbox] == [["researcher@dure.example"]]
    # the centre sees it in its list at once
    assert "API로 신청한 협동조합" in names(send(client_for("center"), "get", "?stage=received"))


def test_a_phone_number_is_stored_in_its_national_format(client_for, org):
    response = send(
        client_for("sme"), "post", "", request_body(org(CENTRE).pk, contact_phone="01012345678")
    )
    assert ok(response, 201)["contact_phone"] == "010-1234-5678"
    blank = send(client_for("sme"), "post", "", request_body(org(CENTRE).pk, contact_phone=...))
    assert ok(blank, 201)["contact_phone"] == ""


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"centre_id": "한빛정밀"}, "centre_unknown", "centre_id"),
        ({"centre_id": 999_999_999}, "centre_unknown", "centre_id"),
        ({"contact_phone": "전화 없음"}, "phone_format", "contact_phone"),
        ({"contact_phone": "12"}, "phone_invalid", "contact_phone"),
        ({"contact_name": "  "}, "required", "contact_name"),
        ({"proposed_name": ""}, "required", "proposed_name"),
        ({"business": "대표 주민번호 900101-1234567"}, "resident_number", "business"),
        ({"sido": "99"}, "invalid_choice", "sido"),
        ({"founders": 10_001}, "out_of_range", "founders"),
        ({"founders": 0}, "out_of_range", "founders"),
        ({"founders": -3}, "out_of_range", "founders"),
    ],
)
def test_the_services_refusals_are_422_with_code_api_field_and_a_korean_message(
    client_for, org, changes, code, field
):
    if changes.get("centre_id") == "한빛정밀":
        changes["centre_id"] = org("한빛정밀").pk
    before = snapshot()
    response = send(client_for("researcher"), "post", "", request_body(org(CENTRE).pk, **changes))
    assert_error(response, 422, code, field)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"kind": "council"}, "invalid_choice", "kind"),
        ({"kind": ...}, "required", "kind"),
        ({"centre_id": ...}, "required", "centre_id"),
        ({"centre_id": 0}, "min_value", "centre_id"),
        ({"proposed_name": "가" * 101}, "max_length", "proposed_name"),
        ({"business": "a\x00b"}, "invalid_characters", "business"),
        ({"founders": "many"}, "invalid_integer", "founders"),
        ({"stage": "founded"}, "unknown_field", "stage"),
    ],
)
def test_bad_input_is_refused_before_the_service(client_for, org, changes, code, field):
    before = snapshot()
    response = send(client_for("researcher"), "post", "", request_body(org(CENTRE).pk, **changes))
    assert_error(response, 422, code, field)
    assert snapshot() == before


def test_every_wrong_field_is_listed_at_once_with_the_api_names(client_for, org):
    response = send(
        client_for("researcher"),
        "post",
        "",
        request_body(org("한빛정밀").pk, contact_phone="전화 없음", proposed_name=""),
    )
    data = assert_error(response, 422, "validation_error", "centre_id")
    assert {(e["code"], e["field"]) for e in data["errors"]} == {
        ("centre_unknown", "centre_id"),
        ("phone_format", "contact_phone"),
        ("required", "proposed_name"),
    }


def test_asking_needs_a_login(client, org):
    before = snapshot()
    assert_error(send(client, "post", "", request_body(org(CENTRE).pk)), 401, "unauthenticated")
    assert snapshot() == before


def test_a_retry_with_the_same_idempotency_key_returns_the_first_consultation_with_200(
    client_for, org
):
    from dure.founding.models import Consultation

    client = client_for("researcher")
    body = request_body(org(CENTRE).pk, proposed_name="재시도한 협동조합")
    first = ok(send(client, "post", "", body, HTTP_IDEMPOTENCY_KEY="retry-1"), 201)
    before = snapshot()
    again = ok(send(client, "post", "", body, HTTP_IDEMPOTENCY_KEY="retry-1"), 200)
    assert again["id"] == first["id"] and again["stage"] == "received"
    assert snapshot() == before
    # without a key, or with a new one, the same body is a new request
    assert (
        ok(send(client, "post", "", body, HTTP_IDEMPOTENCY_KEY="retry-2"), 201)["id"] != first["id"]
    )
    assert ok(send(client, "post", "", body), 201)["id"] != first["id"]
    assert Consultation.objects.filter(proposed_name="재시도한 협동조합").count() == 3


def test_the_same_idempotency_key_with_another_body_is_a_409(client_for, org):
    client = client_for("researcher")
    body = request_body(org(CENTRE).pk)
    ok(send(client, "post", "", body, HTTP_IDEMPOTENCY_KEY="k-1"), 201)
    before = snapshot()
    for changed in ({**body, "founders": 6}, {**body, "proposed_name": ""}):
        response = send(client, "post", "", changed, HTTP_IDEMPOTENCY_KEY="k-1")
        assert_error(response, 409, "idempotency_conflict", "Idempotency-Key")
    assert snapshot() == before
    # another caller's identical key is theirs alone
    ok(send(client_for("sme"), "post", "", body, HTTP_IDEMPOTENCY_KEY="k-1"), 201)


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_an_empty_or_overlong_idempotency_key_is_a_422(client_for, org, key):
    before = snapshot()
    response = send(
        client_for("researcher"), "post", "", request_body(org(CENTRE).pk), HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 422, response.content.decode()
    assert response.json()["field"] == "Idempotency-Key"
    assert snapshot() == before


# --- sessions ----------------------------------------------------------------------------------


def test_the_first_session_starts_the_consultation_and_its_recorder_takes_it(
    client_for, consultation, users
):
    from dure.core.models import AuditEvent

    pk = consultation(RECEIVED).pk
    response = send(client_for("center"), "post", f"/{pk}/sessions", session_body())
    data = ok(response, 201)
    assert (data["mode"], data["topics"], data["internal_note"]) == (
        "phone",
        ["business_plan", "members"],
        "다음 주에 다시 전화",
    )
    assert data["counsellor"] == {"id": users["center"].pk, "name": "김지원"}
    assert data["held_on"] == timezone.localdate().isoformat()
    made = consultation(RECEIVED)
    assert (made.stage, made.consultant) == ("consulting", users["center"])
    assert AuditEvent.objects.filter(action="founding.session", object_id=str(pk)).exists()
    # the applicant sees the session, not its note
    mine = ok(send(client_for("researcher"), "get", f"/{pk}"))
    assert [(s["summary"], s["internal_note"]) for s in mine["sessions"]] == [
        ("사업계획과 발기인 모집 방법을 이야기했습니다.", None)
    ]
    assert mine["events"][-1] == {**mine["events"][-1], "from_stage": "received"}


def test_an_admin_records_a_session_without_taking_the_consultation(client_for, consultation):
    pk = consultation(RECEIVED).pk
    ok(send(client_for("admin"), "post", f"/{pk}/sessions", session_body()), 201)
    made = consultation(RECEIVED)
    assert (made.stage, made.consultant) == ("consulting", None)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"held_on": "2999-01-01"}, "date_in_future", "held_on"),
        ({"held_on": "2020-01-01"}, "date_before_request", "held_on"),
        ({"topics": []}, "required", "topics"),
        ({"summary": "   "}, "required", "summary"),
        ({"internal_note": "주민번호 900101-1234567"}, "resident_number", "internal_note"),
    ],
)
def test_session_refusals_of_the_service(client_for, consultation, changes, code, field):
    pk = consultation(PREPARING).pk
    before = snapshot()
    response = send(client_for("center"), "post", f"/{pk}/sessions", session_body(**changes))
    assert_error(response, 422, code, field)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"held_on": "yesterday"}, "invalid_date", "held_on"),
        ({"mode": "letter"}, "invalid_choice", "mode"),
        ({"topics": ["gossip"]}, "invalid_choice", "topics"),
        ({"topics": "members"}, "invalid_list", "topics"),
        ({"summary": "가" * 2001}, "max_length", "summary"),
        ({"summary": ...}, "required", "summary"),
        ({"counsellor_id": 1}, "unknown_field", "counsellor_id"),
    ],
)
def test_session_input_refused_before_the_service(client_for, consultation, changes, code, field):
    pk = consultation(PREPARING).pk
    response = send(client_for("center"), "post", f"/{pk}/sessions", session_body(**changes))
    assert_error(response, 422, code, field)


def test_only_the_people_who_handle_it_record_sessions_and_only_while_it_is_open(
    client_for, consultation, elsewhere
):
    before = snapshot()
    preparing = consultation(PREPARING).pk
    assert_error(
        send(client_for("member"), "post", f"/{preparing}/sessions", session_body()),
        403,
        "forbidden",
    )
    for role in ("sme", "researcher", "coop"):
        assert_error(
            send(client_for(role), "post", f"/{preparing}/sessions", session_body()),
            404,
            "not_found",
        )
    assert_error(
        send(client_for("center"), "post", f"/{elsewhere.pk}/sessions", session_body()),
        404,
        "not_found",
    )
    assert_error(
        send(client_for("anonymous"), "post", f"/{preparing}/sessions", session_body()),
        401,
        "unauthenticated",
    )
    founded = consultation(FOUNDED).pk
    assert_error(
        send(client_for("center"), "post", f"/{founded}/sessions", session_body()),
        422,
        "consultation_closed",
        "consultation",
    )
    assert snapshot() == before


# --- stages ------------------------------------------------------------------------------------


def move(client, pk: int, stage: str, **body: Any):
    return send(client, "post", f"/{pk}/move", {"stage": stage, **body})


def test_a_consultation_goes_through_every_stage_to_founded(
    client_for, consultation, org, users, mailoutbox, django_capture_on_commit_callbacks
):
    from dure.core.models import AuditEvent

    pk = consultation(RECEIVED).pk
    center = client_for("center")
    with django_capture_on_commit_callbacks(execute=True):
        ok(move(center, pk, "consulting", note="첫 통화"))
    assert mailoutbox and mailoutbox[-1].to == ["researcher@dure.example"]
    ok(move(center, pk, "preparing"))
    data = ok(move(center, pk, "assembly", founders=5, note="발기인 5명"))
    assert (data["stage"], data["founders"]) == ("assembly", 5)
    ok(move(center, pk, "filing"))
    data = ok(move(center, pk, "founded", organisation_id=org("기술융합협동조합").pk))
    assert (data["stage"], data["is_open"], data["next_stages"]) == ("founded", False, [])
    assert data["organisation"] == {"id": org("기술융합협동조합").pk, "name": "기술융합협동조합"}
    assert [(e["from_stage"], e["to_stage"], e["note"]) for e in data["events"]] == [
        (None, "received", ""),
        ("received", "consulting", "첫 통화"),
        ("consulting", "preparing", ""),
        ("preparing", "assembly", "발기인 5명"),
        ("assembly", "filing", ""),
        ("filing", "founded", ""),
    ]
    assert AuditEvent.objects.filter(action="founding.move", object_id=str(pk)).count() == 5
    # the applicant sees where it went, notes of the steps included
    mine = ok(send(client_for("researcher"), "get", f"/{pk}"))
    assert (mine["stage"], mine["events"][1]["note"]) == ("founded", "첫 통화")
    assert consultation(RECEIVED).organisation == org("기술융합협동조합")


@pytest.mark.parametrize(
    ("name", "stage"),
    [
        (RECEIVED, "preparing"),
        (RECEIVED, "founded"),
        (RECEIVED, "received"),
        (PREPARING, "filing"),
        (PREPARING, "received"),
        (FOUNDED, "consulting"),
        (FOUNDED, "withdrawn"),
    ],
)
def test_steps_the_table_does_not_allow_are_refused(client_for, consultation, org, name, stage):
    pk = consultation(name).pk
    before = snapshot()
    response = move(
        client_for("center"), pk, stage, organisation_id=org("기술융합협동조합").pk, founders=6
    )
    data = assert_error(response, 422, "stage_not_allowed", "stage")
    assert "단계" in data["message"] and "%(" not in data["message"]
    assert snapshot() == before


def test_steps_back_and_reopening_are_allowed(client_for, consultation):
    pk = consultation(PREPARING).pk
    center = client_for("center")
    assert ok(move(center, pk, "consulting", note="사업계획 다시"))["stage"] == "consulting"
    assert ok(move(center, pk, "withdrawn"))["next_stages"] == ["consulting"]
    assert ok(move(center, pk, "consulting"))["is_open"] is True


def test_the_founding_meeting_needs_five_founders(client_for, consultation):
    pk = consultation(PREPARING).pk
    center = client_for("center")
    before = snapshot()
    data = assert_error(move(center, pk, "assembly"), 422, "too_few_founders", "founders")
    assert "5" in data["message"] and "4" in data["message"]
    assert_error(move(center, pk, "assembly", founders=4), 422, "too_few_founders", "founders")
    assert_error(move(center, pk, "consulting", founders=0), 422, "out_of_range", "founders")
    assert snapshot() == before
    assert ok(move(center, pk, "assembly", founders=5))["founders"] == 5


def test_founded_names_a_cooperative_of_the_directory_once(client_for, consultation, org, users):
    from dure.founding import services

    pk = consultation(PREPARING).pk
    center = users["center"]
    services.consultation_move(
        actor=center, consultation=consultation(PREPARING), stage="assembly", founders=5
    )
    services.consultation_move(actor=center, consultation=consultation(PREPARING), stage="filing")
    client = client_for("center")
    before = snapshot()
    assert_error(move(client, pk, "founded"), 422, "organisation_required", "organisation_id")
    for not_a_cooperative in (org("한빛정밀").pk, org(CENTRE).pk, 999_999_999):
        assert_error(
            move(client, pk, "founded", organisation_id=not_a_cooperative),
            422,
            "organisation_required",
            "organisation_id",
        )
    # 세리오협동조합 is the result of coop's consultation already
    assert_error(
        move(client, pk, "founded", organisation_id=org(FOUNDED).pk),
        422,
        "organisation_taken",
        "organisation_id",
    )
    assert snapshot() == before
    data = ok(move(client, pk, "founded", organisation_id=org("기술융합협동조합").pk))
    assert data["organisation"]["name"] == "기술융합협동조합"


def test_the_founders_may_not_drop_below_five_after_the_founding_meeting(
    client_for, consultation, users
):
    from dure.founding import services

    pk = consultation(PREPARING).pk
    services.consultation_move(
        actor=users["center"], consultation=consultation(PREPARING), stage="assembly", founders=5
    )
    before = snapshot()
    response = move(client_for("center"), pk, "filing", founders=2)
    assert_error(response, 422, "too_few_founders", "founders")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"stage": "dreaming"}, "invalid_choice", "stage"),
        ({}, "required", "stage"),
        ({"stage": "consulting", "note": "가" * 301}, "max_length", "note"),
        ({"stage": "consulting", "organisation_id": 0}, "min_value", "organisation_id"),
        ({"stage": "consulting", "founders": "five"}, "invalid_integer", "founders"),
        ({"stage": "consulting", "organisation": 1}, "unknown_field", "organisation"),
    ],
)
def test_move_input_refused_before_the_service(client_for, consultation, body, code, field):
    pk = consultation(PREPARING).pk
    assert_error(send(client_for("center"), "post", f"/{pk}/move", body), 422, code, field)


def test_only_the_people_who_handle_it_move_it(client_for, consultation, elsewhere):
    before = snapshot()
    pk = consultation(PREPARING).pk
    assert_error(move(client_for("member"), pk, "consulting"), 403, "forbidden")
    assert_error(move(client_for("sme"), pk, "consulting"), 404, "not_found")
    assert_error(move(client_for("anonymous"), pk, "consulting"), 401, "unauthenticated")
    assert_error(move(client_for("sme"), elsewhere.pk, "consulting"), 403, "forbidden")
    assert_error(move(client_for("center"), elsewhere.pk, "consulting"), 404, "not_found")
    assert snapshot() == before
    assert ok(move(client_for("admin"), elsewhere.pk, "consulting"))["stage"] == "consulting"


# --- the consultant ----------------------------------------------------------------------------


def test_the_centre_assigns_one_of_its_staff_and_unassigns(client_for, consultation, users):
    from dure.core.models import AuditEvent

    pk = consultation(RECEIVED).pk
    center = client_for("center")
    data = ok(send(center, "post", f"/{pk}/assign", {"consultant_id": users["center"].pk}))
    assert data["consultant"] == {"id": users["center"].pk, "name": "김지원"}
    assert AuditEvent.objects.filter(action="founding.assign", object_id=str(pk)).count() == 1
    # the same again changes nothing
    ok(send(center, "post", f"/{pk}/assign", {"consultant_id": users["center"].pk}))
    assert AuditEvent.objects.filter(action="founding.assign", object_id=str(pk)).count() == 1
    assert ok(send(center, "post", f"/{pk}/assign", {"consultant_id": None}))["consultant"] is None
    assert consultation(RECEIVED).consultant is None


def test_only_the_centres_staff_may_be_assigned(client_for, consultation, users, elsewhere):
    pk = consultation(RECEIVED).pk
    before = snapshot()
    for person in ("member", "researcher", "admin"):
        assert_error(
            send(client_for("admin"), "post", f"/{pk}/assign", {"consultant_id": users[person].pk}),
            422,
            "consultant_not_staff",
            "consultant_id",
        )
    assert_error(
        send(client_for("center"), "post", f"/{pk}/assign", {"consultant_id": 999_999_999}),
        422,
        "consultant_not_staff",
        "consultant_id",
    )
    # center is not the Daejeon centre's staff
    assert_error(
        send(
            client_for("admin"),
            "post",
            f"/{elsewhere.pk}/assign",
            {"consultant_id": users["center"].pk},
        ),
        422,
        "consultant_not_staff",
        "consultant_id",
    )
    assert snapshot() == before


def test_assign_refusals(client_for, consultation, users):
    pk = consultation(RECEIVED).pk
    body = {"consultant_id": users["center"].pk}
    before = snapshot()
    assert_error(send(client_for("researcher"), "post", f"/{pk}/assign", body), 403, "forbidden")
    assert_error(send(client_for("member"), "post", f"/{pk}/assign", body), 404, "not_found")
    assert_error(
        send(client_for("anonymous"), "post", f"/{pk}/assign", body), 401, "unauthenticated"
    )
    assert_error(
        send(client_for("center"), "post", f"/{pk}/assign", {}), 422, "required", "consultant_id"
    )
    assert snapshot() == before


# --- withdrawing -------------------------------------------------------------------------------


def test_the_applicant_withdraws_with_a_reason_and_the_centre_may_reopen(client_for, consultation):
    pk = consultation(PREPARING).pk
    member = client_for("member")
    data = ok(send(member, "post", f"/{pk}/withdraw", {"note": "발기인이 모이지 않아서"}))
    assert (data["stage"], data["is_open"]) == ("withdrawn", False)
    assert data["events"][-1] == {
        **data["events"][-1],
        "from_stage": "preparing",
        "to_stage": "withdrawn",
        "note": "발기인이 모이지 않아서",
    }
    before = snapshot()
    assert_error(send(member, "post", f"/{pk}/withdraw", {}), 422, "stage_not_allowed", "stage")
    assert_error(move(member, pk, "consulting"), 403, "forbidden")
    assert snapshot() == before
    assert ok(move(client_for("center"), pk, "consulting"))["stage"] == "consulting"
    assert ok(send(member, "post", f"/{pk}/withdraw", {}))["stage"] == "withdrawn"


def test_the_centre_may_close_an_abandoned_consultation(client_for, consultation):
    pk = consultation(RECEIVED).pk
    data = ok(send(client_for("center"), "post", f"/{pk}/withdraw", {"note": "연락 두절"}))
    assert (data["stage"], data["events"][-1]["note"]) == ("withdrawn", "연락 두절")


def test_withdraw_refusals(client_for, consultation):
    before = snapshot()
    founded = consultation(FOUNDED).pk
    assert_error(
        send(client_for("coop"), "post", f"/{founded}/withdraw", {}),
        422,
        "stage_not_allowed",
        "stage",
    )
    pk = consultation(PREPARING).pk
    for role in ("sme", "coop", "researcher"):
        assert_error(send(client_for(role), "post", f"/{pk}/withdraw", {}), 404, "not_found")
    assert_error(
        send(client_for("anonymous"), "post", f"/{pk}/withdraw", {}), 401, "unauthenticated"
    )
    member = client_for("member")
    assert_error(
        send(member, "post", f"/{pk}/withdraw", {"note": "주민번호 900101-1234567"}),
        422,
        "resident_number",
        "note",
    )
    assert_error(
        send(member, "post", f"/{pk}/withdraw", {"note": "가" * 301}), 422, "max_length", "note"
    )
    # the body is a JSON object, ``{}`` at least
    empty = member.post(f"{API}/{pk}/withdraw", data="", content_type="application/json")
    assert_error(empty, 422, "invalid_object")
    assert snapshot() == before


# --- logged reads after writes -----------------------------------------------------------------


def test_a_managers_write_answers_with_the_contact_details_and_logs_that_read(
    client_for, consultation
):
    from dure.core.models import PersonalDataAccess

    pk = consultation(PREPARING).pk
    before = PersonalDataAccess.objects.count()
    data = ok(move(client_for("center"), pk, "consulting"))
    assert data["contact_name"] == "정조합원"
    assert PersonalDataAccess.objects.count() == before + 1
    # the applicant's own withdrawal is not
    ok(send(client_for("member"), "post", f"/{pk}/withdraw", {}))
    assert PersonalDataAccess.objects.count() == before + 1


# --- auth and schema ---------------------------------------------------------------------------


def test_a_personal_token_writes_without_csrf_and_a_session_write_needs_it(users, consultation):
    from django.test import Client

    from dure.accounts.services import api_token_create

    _token, secret = api_token_create(user=users["center"], name="founding")
    pk = consultation(RECEIVED).pk
    token_client = Client(enforce_csrf_checks=True)
    response = send(
        token_client,
        "post",
        f"/{pk}/move",
        {"stage": "consulting"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200, response.content.decode()
    session = Client(enforce_csrf_checks=True)
    session.force_login(users["member"])
    assert_error(
        send(session, "post", f"/{consultation(PREPARING).pk}/withdraw", {}), 403, "csrf_failed"
    )
    assert consultation(PREPARING).stage == "preparing"


def test_openapi_documents_the_founding_operations(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {} not in paths[API]["get"]["security"]  # never public
    assert paths[API]["get"]["tags"] == ["founding"]
    assert {"201", "401", "422"} <= set(paths[API]["post"]["responses"])
    assert {"200", "401", "403", "404", "422"} <= set(
        paths[f"{API}/{{id}}/move"]["post"]["responses"]
    )
    detail = schema["components"]["schemas"]["ConsultationDetailOut"]["properties"]
    assert CONTACT_KEYS | {"sessions", "events", "can_manage"} <= set(detail)
    listed = schema["components"]["schemas"]["ConsultationOut"]["properties"]
    assert not CONTACT_KEYS & set(listed)


def test_held_on_is_a_plain_date(client_for, consultation):
    """A session's date is a calendar day in Korea, not a moment: yesterday stays yesterday."""
    pk = consultation(PREPARING).pk
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    data = ok(
        send(
            client_for("center"),
            "post",
            f"/{pk}/sessions",
            session_body(held_on=yesterday.isoformat()),
        ),
        201,
    )
    assert data["held_on"] == yesterday.isoformat()
