"""Programmes API behaviour: who sees what, the page envelope, service refusals as JSON
``{code, message, field}`` in Korean, registration (confirmed, waiting list, an idempotent
retry), cancellation and the waiting list moving up, registrants (logged personal data) and
attendance.

The demo programmes (``dure.programs.demo``) are the world: the centre 과학기술인협동조합지원센터
(run by ``center``) hosts an open course with 30 seats, a draft and a past course with its
attendance; the Daejeon centre (run by no demo user but ``admin``) hosts a workshop whose two
seats are taken, with ``member`` waiting.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

API = "/api/v1/programs"
CENTRE = "과학기술인협동조합지원센터"
DAEJEON_CENTRE = "대전 협동조합 지원센터"
OPEN = "협동조합 설립 기초 교육 (과학기술인 협동조합편)"  # CENTRE, 30 seats, member + sme
FULL = "사회적협동조합 회계 실무 워크숍"  # DAEJEON_CENTRE, 2 seats: coop + supplier, member waits
DRAFT = "2027 상반기 협동조합 경영 컨설팅 상담회"  # CENTRE, draft
PAST = "협동조합 결산과 세무 신고 교육"  # CENTRE, ended; coop attended, member did not
ONLINE = "기술은행 활용 설명회 (온라인)"  # CENTRE, no seat limit
HANGUL = re.compile(r"[가-힣]")


def send(client, method: str, path: str, body: Any = None, **extra: Any):
    kwargs: dict[str, Any] = dict(extra)
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method.lower())(API + path, **kwargs)


def at(days: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An aware time in Asia/Seoul, ``days`` from today."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


def program_body(host_id: int, /, **changes: Any) -> dict[str, Any]:
    body = {
        "host_id": host_id,
        "kind": "education",
        "title": "API로 만든 교육",
        "summary": "API 시험용 교육입니다.",
        "starts_at": at(20, 14).isoformat(),
        "ends_at": at(20, 17).isoformat(),
        "venue": "대전 유성구 교육장",
        "capacity": 10,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["code"] == code, data
    assert data["field"] == field, data
    assert HANGUL.search(data["message"]), data  # Korean by default
    return data


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content.decode()
    return [p["title"] for p in response.json()["results"]]


@pytest.fixture
def program(db):
    """program(OPEN) → the demo programme with that title."""
    from dure.programs.models import Program

    return lambda title: Program.objects.get(title=title)


@pytest.fixture
def registration(users, program):
    """registration(OPEN, "member") → that person's live registration for that programme."""
    from dure.programs.models import Registration

    return lambda title, username: Registration.objects.exclude(status="cancelled").get(
        program=program(title), person=users[username]
    )


@pytest.fixture
def make_program(users, org):
    """A programme of the centre made through the services (published unless told)."""
    from dure.programs import services

    def make(*, publish: bool = True, actor: str = "center", **changes: Any):
        data = {
            "kind": "workshop",
            "title": "시험용 워크숍",
            "summary": "시험용입니다.",
            "starts_at": at(10, 14),
            "ends_at": at(10, 17),
            "venue": "시험 교육장",
            "capacity": 1,
            **changes,
        }
        made = services.program_create(actor=users[actor], host=org(CENTRE), data=data)
        if publish:
            services.program_publish(actor=users[actor], program=made)
        return made

    return make


# --- list and detail ---------------------------------------------------------------------------


def test_anonymous_lists_upcoming_public_programmes_soonest_first_in_a_page_envelope(client):
    response = send(client, "get", "")
    data = response.json()
    assert set(data) == {"count", "page", "page_size", "results"}
    assert (data["page"], data["page_size"]) == (1, 20)
    listed = titles(response)
    assert {OPEN, FULL, ONLINE} <= set(listed)
    assert DRAFT not in listed and PAST not in listed
    starts = [p["starts_at"] for p in data["results"]]
    assert starts == sorted(starts)
    first = data["results"][0]
    assert set(first) >= {"id", "host", "kind", "capacity", "seats_left", "status", "sido"}


def test_drafts_are_listed_only_for_the_people_who_run_the_host(client_for):
    for role in ("anonymous", "sme", "member", "researcher"):
        assert DRAFT not in titles(send(client_for(role), "get", "")), role
    for role in ("center", "admin"):
        assert DRAFT in titles(send(client_for(role), "get", "")), role


def test_list_filters_by_kind_sido_and_past(client, org):
    from dure.directory.models import Sido

    assert titles(send(client, "get", "?kind=forum")) == [
        "출연연 기술사업화 포럼 — 휴면특허를 제품으로"
    ]
    daejeon = Sido.objects.get(name="대전광역시").pk
    in_daejeon = send(client, "get", f"?sido={daejeon}").json()["results"]
    assert in_daejeon and all(p["sido"] == daejeon for p in in_daejeon)
    assert ONLINE not in [p["title"] for p in in_daejeon]
    past = titles(send(client, "get", "?when=past"))
    assert PAST in past and OPEN not in past
    assert titles(send(client, "get", "?kind=&sido=&when=")) == titles(send(client, "get", ""))


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("?kind=party", "invalid_choice", "kind"),
        ("?sido=99", "sido_unknown", "sido"),
        ("?when=tomorrow", "invalid_choice", "when"),
        ("?page=0", "min_value", "page"),
        ("?page_size=101", "max_value", "page_size"),
    ],
)
def test_bad_list_parameters_are_a_422_naming_the_parameter(client, query, code, field):
    assert_error(send(client, "get", query), 422, code, field)


def test_pages_do_not_overlap_and_a_page_past_the_end_is_empty(client):
    first = send(client, "get", "?page_size=2").json()
    second = send(client, "get", "?page_size=2&page=2").json()
    assert first["count"] == second["count"] >= 4
    assert len(first["results"]) == len(second["results"]) == 2
    assert not {p["id"] for p in first["results"]} & {p["id"] for p in second["results"]}
    beyond = send(client, "get", "?page=500").json()
    assert beyond["results"] == [] and beyond["page"] == 500


def test_list_takes_the_same_number_of_queries_whatever_the_page_size(
    client, make_program, django_assert_max_num_queries
):
    for n in range(5):
        make_program(title=f"쿼리 시험 {n}")
    with django_assert_max_num_queries(6):
        assert len(send(client, "get", "?page_size=100").json()["results"]) >= 9


def test_detail_shows_capacity_seats_left_and_status_without_a_registration_for_anonymous(
    client, program
):
    data = send(client, "get", f"/{program(OPEN).pk}").json()
    assert data["title"] == OPEN
    assert (data["capacity"], data["seats_left"], data["status"]) == (30, 28, "published")
    assert data["host"]["name"] == CENTRE
    assert data["my_registration"] is None
    assert data["can_manage"] is False
    online = send(client, "get", f"/{program(ONLINE).pk}").json()
    assert (online["capacity"], online["seats_left"], online["is_online"]) == (None, None, True)


def test_detail_shows_the_callers_registration_and_place_in_line(client_for, program, registration):
    mine = send(client_for("member"), "get", f"/{program(OPEN).pk}").json()["my_registration"]
    assert mine["id"] == registration(OPEN, "member").pk
    assert (mine["status"], mine["waitlist_position"]) == ("confirmed", None)
    full = send(client_for("member"), "get", f"/{program(FULL).pk}").json()
    assert full["seats_left"] == 0
    assert full["my_registration"]["status"] == "waitlisted"
    assert full["my_registration"]["waitlist_position"] == 1
    assert (
        send(client_for("seller"), "get", f"/{program(OPEN).pk}").json()["my_registration"] is None
    )


def test_a_draft_is_404_for_everyone_but_the_people_who_run_its_host(client_for, program):
    pk = program(DRAFT).pk
    for role in ("anonymous", "sme", "member", "researcher", "coop"):
        assert_error(send(client_for(role), "get", f"/{pk}"), 404, "not_found")
    for role in ("center", "admin"):
        data = send(client_for(role), "get", f"/{pk}").json()
        assert (data["status"], data["can_manage"]) == ("draft", True), role


def test_missing_and_malformed_ids_are_json_errors(client):
    assert_error(send(client, "get", "/999999999"), 404, "not_found")
    assert_error(send(client, "get", "/abc"), 422, "invalid_integer", "id")


def test_my_registrations_is_not_taken_for_a_programme_id(client_for, program):
    response = send(client_for("member"), "get", "/registrations/mine")
    assert response.status_code == 200, response.content.decode()
    data = response.json()
    assert set(data) == {"count", "page", "page_size", "results"}
    mine = {r["program"]["title"]: r for r in data["results"]}
    assert mine[OPEN]["status"] == "confirmed"
    assert mine[FULL]["status"] == "waitlisted" and mine[FULL]["waitlist_position"] == 1
    assert mine[PAST]["organisation"]["name"] == "세리오협동조합"
    waiting = send(client_for("member"), "get", "/registrations/mine?status=waitlisted").json()
    assert [r["program"]["title"] for r in waiting["results"]] == [FULL]
    assert_error(
        send(client_for("anonymous"), "get", "/registrations/mine"), 401, "unauthenticated"
    )
    assert send(client_for("seller"), "get", "/registrations/mine").json()["count"] == 0


# --- create, update, publish, cancel -----------------------------------------------------------


def test_centre_staff_creates_a_draft_that_only_its_people_see(client_for, org, users):
    from dure.core.models import AuditEvent
    from dure.programs.models import Program

    response = send(
        client_for("center"),
        "post",
        "",
        program_body(
            org(CENTRE).pk,
            starts_at="2031-03-02T14:00:00+09:00",
            ends_at="2031-03-02T17:00:00+09:00",
        ),
    )
    assert response.status_code == 201, response.content.decode()
    data = response.json()
    assert (data["status"], data["host"]["id"], data["can_manage"]) == (
        "draft",
        org(CENTRE).pk,
        True,
    )
    # no closing time: registration closes when it starts
    assert data["registration_closes_at"] == data["starts_at"]
    made = Program.objects.get(pk=data["id"])
    assert made.starts_at == dt.datetime(2031, 3, 2, 5, 0, tzinfo=dt.UTC)
    assert made.created_by == users["center"]
    assert AuditEvent.objects.filter(action="program.create", object_id=str(made.pk)).exists()
    assert_error(send(client_for("sme"), "get", f"/{made.pk}"), 404, "not_found")


def test_people_who_run_no_centre_may_not_create_and_anonymous_must_sign_in(client_for, org):
    from dure.programs.models import Program

    before = Program.objects.count()
    body = program_body(org(CENTRE).pk)
    for role in ("sme", "researcher", "coop", "member", "supplier"):
        assert_error(send(client_for(role), "post", "", body), 403, "forbidden")
    assert_error(send(client_for("anonymous"), "post", "", body), 401, "unauthenticated")
    assert Program.objects.count() == before


def test_centre_staff_may_not_host_for_another_centre(client_for, org):
    from dure.programs.models import Program

    before = Program.objects.count()
    for host in (org(DAEJEON_CENTRE).pk, org("한빛정밀").pk, 999_999_999):
        response = send(client_for("center"), "post", "", program_body(host))
        assert_error(response, 422, "host_not_allowed", "host_id")
    assert Program.objects.count() == before
    assert (
        send(client_for("admin"), "post", "", program_body(org(DAEJEON_CENTRE).pk)).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"ends_at": at(20, 13).isoformat()}, "program_order", "ends_at"),
        ({"starts_at": "2031-03-02T14:00:00"}, "datetime_naive", "starts_at"),
        (
            {"registration_closes_at": at(21).isoformat()},
            "registration_closes_after_end",
            "registration_closes_at",
        ),
        ({"venue": ...}, "venue_required", "venue"),
        ({"title": "   "}, "required", "title"),
        ({"capacity": 0}, "out_of_range", "capacity"),
        ({"capacity": 100_001}, "out_of_range", "capacity"),
        ({"fee": -1}, "out_of_range", "fee"),
        ({"fee": 100_000_001}, "out_of_range", "fee"),
        ({"sido": "99"}, "invalid_choice", "sido"),
        ({"summary": "문의: 900101-1234567"}, "resident_number", "summary"),
    ],
)
def test_the_services_refusals_are_422_with_code_field_and_a_korean_message(
    client_for, org, changes, code, field
):
    from dure.programs.models import Program

    before = Program.objects.count()
    response = send(client_for("center"), "post", "", program_body(org(CENTRE).pk, **changes))
    assert_error(response, 422, code, field)
    assert Program.objects.count() == before


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"kind": "party"}, "invalid_choice", "kind"),
        ({"title": "가" * 151}, "max_length", "title"),
        ({"starts_at": "next monday"}, "invalid", "starts_at"),
        ({"starts_at": "0001-01-01T00:00:00+09:00"}, "invalid", "starts_at"),
        ({"summary": "a\x00b"}, "invalid_characters", "summary"),
        ({"status": "published"}, "unknown_field", "status"),
        ({"host_id": ...}, "required", "host_id"),
    ],
)
def test_bad_input_is_refused_before_the_service(client_for, org, changes, code, field):
    response = send(client_for("center"), "post", "", program_body(org(CENTRE).pk, **changes))
    assert_error(response, 422, code, field)


def test_every_wrong_field_is_listed_at_once(client_for, org):
    response = send(
        client_for("center"),
        "post",
        "",
        program_body(org(CENTRE).pk, ends_at=at(19).isoformat(), venue=..., capacity=0),
    )
    data = assert_error(response, 422, "validation_error", "ends_at")
    assert {(e["code"], e["field"]) for e in data["errors"]} == {
        ("program_order", "ends_at"),
        ("venue_required", "venue"),
        ("out_of_range", "capacity"),
    }


def test_managers_update_only_the_fields_sent(client_for, program):
    pk = program(OPEN).pk
    response = send(client_for("center"), "patch", f"/{pk}", {"title": "고친 제목", "fee": 5000})
    assert response.status_code == 200, response.content.decode()
    data = response.json()
    assert (data["title"], data["fee"], data["capacity"]) == ("고친 제목", 5000, 30)
    assert program("고친 제목").summary.startswith("협동조합 기본법")


def test_others_may_not_update_and_the_programme_does_not_change(client_for, program):
    from django.forms.models import model_to_dict

    open_, draft = program(OPEN), program(DRAFT)
    snapshots = {p.pk: model_to_dict(p) for p in (open_, draft)}
    for role in ("sme", "member", "researcher"):
        assert_error(
            send(client_for(role), "patch", f"/{open_.pk}", {"title": "x"}), 403, "forbidden"
        )
        assert_error(
            send(client_for(role), "patch", f"/{draft.pk}", {"title": "x"}), 404, "not_found"
        )
    assert_error(
        send(client_for("anonymous"), "patch", f"/{open_.pk}", {"title": "x"}),
        401,
        "unauthenticated",
    )
    # the Daejeon centre's workshop is not the centre's to edit
    assert_error(
        send(client_for("center"), "patch", f"/{program(FULL).pk}", {"title": "x"}),
        403,
        "forbidden",
    )
    for pk, snapshot in snapshots.items():
        from dure.programs.models import Program

        assert model_to_dict(Program.objects.get(pk=pk)) == snapshot


def test_update_refusals(client_for, program):
    pk = program(OPEN).pk
    client = client_for("center")
    assert_error(
        send(client, "patch", f"/{pk}", {"capacity": 1}), 422, "capacity_below_taken", "capacity"
    )
    assert_error(send(client, "patch", f"/{pk}", {"host_id": 1}), 422, "unknown_field", "host_id")
    assert_error(
        send(client, "patch", f"/{pk}", {"ends_at": at(21, 13).isoformat()}),
        422,
        "program_order",
        "ends_at",
    )
    assert program(OPEN).capacity == 30


def test_a_larger_capacity_moves_the_waiting_up(client_for, program, registration):
    pk = program(FULL).pk
    response = send(client_for("admin"), "patch", f"/{pk}", {"capacity": 3})
    assert response.status_code == 200, response.content.decode()
    assert response.json()["seats_left"] == 0
    assert registration(FULL, "member").status == "confirmed"


def test_publishing_a_draft_opens_it_to_everyone_once(client_for, program):
    pk = program(DRAFT).pk
    assert_error(send(client_for("sme"), "post", f"/{pk}/publish"), 404, "not_found")
    response = send(client_for("center"), "post", f"/{pk}/publish")
    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == "published"
    assert send(client_for("anonymous"), "get", f"/{pk}").status_code == 200
    again = send(client_for("center"), "post", f"/{pk}/publish")
    assert_error(again, 422, "program_not_draft", "status")
    assert_error(send(client_for("sme"), "post", f"/{pk}/publish"), 403, "forbidden")


def test_a_programme_that_is_over_cannot_be_published(client_for, make_program):
    made = make_program(publish=False, starts_at=at(-3), ends_at=at(-3, 12))
    assert_error(
        send(client_for("center"), "post", f"/{made.pk}/publish"), 422, "program_over", "status"
    )


def test_cancelling_a_programme_cancels_its_registrations_and_needs_a_reason(
    client_for, program, registration, mailoutbox, django_capture_on_commit_callbacks
):
    pk = program(OPEN).pk
    client = client_for("center")
    assert_error(send(client, "post", f"/{pk}/cancel", {"reason": "  "}), 422, "required", "reason")
    assert_error(send(client, "post", f"/{pk}/cancel", {}), 422, "required", "reason")
    assert_error(
        send(client_for("sme"), "post", f"/{pk}/cancel", {"reason": "x"}), 403, "forbidden"
    )
    member_registration = registration(OPEN, "member")
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, "post", f"/{pk}/cancel", {"reason": "강사 사정으로 취소합니다."})
    assert response.status_code == 200, response.content.decode()
    data = response.json()
    assert (data["status"], data["cancel_reason"], data["seats_left"]) == (
        "cancelled",
        "강사 사정으로 취소합니다.",
        30,
    )
    member_registration.refresh_from_db()
    assert member_registration.status == "cancelled"
    assert {m.to[0] for m in mailoutbox} == {"member@dure.example", "sme@dure.example"}
    # still public, and cancelled only once
    assert send(client_for("anonymous"), "get", f"/{pk}").json()["status"] == "cancelled"
    assert_error(
        send(client, "post", f"/{pk}/cancel", {"reason": "또"}), 422, "program_cancelled", "status"
    )
    assert_error(
        send(client, "patch", f"/{pk}", {"title": "x"}), 422, "program_cancelled", "status"
    )


# --- registrations -----------------------------------------------------------------------------


def test_registering_takes_a_seat_and_a_retry_returns_the_same_registration(
    client_for, program, users
):
    from dure.programs.models import Registration

    pk = program(OPEN).pk
    client = client_for("researcher")
    first = send(client, "post", f"/{pk}/registrations", {"note": "수어 통역 필요"})
    assert first.status_code == 201, first.content.decode()
    data = first.json()
    assert (data["status"], data["waitlist_position"], data["note"]) == (
        "confirmed",
        None,
        "수어 통역 필요",
    )
    assert data["program"]["id"] == pk and data["confirmed_at"]
    assert program(OPEN).seats_left == 27
    again = send(client, "post", f"/{pk}/registrations", {})
    assert again.status_code == 200, again.content.decode()
    assert again.json()["id"] == data["id"]
    assert program(OPEN).seats_left == 27
    assert Registration.objects.filter(program_id=pk, person=users["researcher"]).count() == 1
    detail = send(client, "get", f"/{pk}").json()
    assert detail["my_registration"]["id"] == data["id"]


def test_past_capacity_a_registration_waits_in_line(client_for, program):
    pk = program(FULL).pk
    response = send(client_for("sme"), "post", f"/{pk}/registrations", {})
    assert response.status_code == 201, response.content.decode()
    assert (response.json()["status"], response.json()["waitlist_position"]) == ("waitlisted", 2)
    retry = send(client_for("sme"), "post", f"/{pk}/registrations", {})
    assert retry.status_code == 200 and retry.json()["waitlist_position"] == 2


def test_registering_for_an_organisation_needs_membership(client_for, program, org):
    pk = program(ONLINE).pk
    ok = send(
        client_for("coop"),
        "post",
        f"/{pk}/registrations",
        {"organisation_id": org("세리오협동조합").pk},
    )
    assert ok.status_code == 201, ok.content.decode()
    assert ok.json()["organisation"] == {"id": org("세리오협동조합").pk, "name": "세리오협동조합"}
    refused = send(
        client_for("sme"),
        "post",
        f"/{pk}/registrations",
        {"organisation_id": org("세리오협동조합").pk},
    )
    assert_error(refused, 422, "organisation_not_member", "organisation_id")
    note = send(
        client_for("sme"), "post", f"/{pk}/registrations", {"note": "주민번호 900101-1234567"}
    )
    assert_error(note, 422, "resident_number", "note")
    assert_error(
        send(client_for("sme"), "post", f"/{pk}/registrations", {"note": "가" * 301}),
        422,
        "max_length",
        "note",
    )


def test_registration_refusals(client_for, program, make_program):
    client = client_for("seller")
    assert_error(send(client, "post", f"/{program(DRAFT).pk}/registrations", {}), 404, "not_found")
    assert_error(
        send(client, "post", f"/{program(PAST).pk}/registrations", {}),
        422,
        "registration_closed",
        "program",
    )
    draft = send(client_for("center"), "post", f"/{program(DRAFT).pk}/registrations", {})
    assert_error(draft, 422, "program_not_open", "program")
    assert_error(
        send(client_for("anonymous"), "post", f"/{program(OPEN).pk}/registrations", {}),
        401,
        "unauthenticated",
    )
    closed = make_program(registration_closes_at=at(-1))
    assert_error(
        send(client, "post", f"/{closed.pk}/registrations", {}),
        422,
        "registration_closed",
        "program",
    )


def test_a_cancelled_seat_goes_to_the_first_in_line(client_for, program, registration, users):
    pk = program(FULL).pk
    assert send(client_for("sme"), "post", f"/{pk}/registrations", {}).status_code == 201
    supplier = registration(FULL, "supplier")
    response = send(client_for("supplier"), "post", f"/registrations/{supplier.pk}/cancel")
    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == "cancelled" and response.json()["cancelled_at"]
    assert registration(FULL, "member").status == "confirmed"
    sme = send(client_for("sme"), "get", f"/{pk}").json()["my_registration"]
    assert (sme["status"], sme["waitlist_position"]) == ("waitlisted", 1)
    assert program(FULL).seats_left == 0
    # cancelling again changes nothing
    again = send(client_for("supplier"), "post", f"/registrations/{supplier.pk}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert registration(FULL, "sme").status == "waitlisted"


def test_a_registration_is_cancelled_by_its_person_or_the_programmes_managers(
    client_for, registration
):
    theirs = registration(OPEN, "member")
    for role in ("sme", "coop", "researcher"):
        assert_error(
            send(client_for(role), "post", f"/registrations/{theirs.pk}/cancel"), 404, "not_found"
        )
    assert_error(
        send(client_for("anonymous"), "post", f"/registrations/{theirs.pk}/cancel"),
        401,
        "unauthenticated",
    )
    theirs.refresh_from_db()
    assert theirs.status == "confirmed"
    assert (
        send(client_for("center"), "post", f"/registrations/{theirs.pk}/cancel").status_code == 200
    )
    # the Daejeon workshop is not the centre's
    workshop = registration(FULL, "coop")
    assert_error(
        send(client_for("center"), "post", f"/registrations/{workshop.pk}/cancel"), 404, "not_found"
    )
    assert (
        send(client_for("admin"), "post", f"/registrations/{workshop.pk}/cancel").status_code == 200
    )


def test_a_registration_cannot_be_cancelled_once_the_programme_started(client_for, registration):
    past = registration(PAST, "member")
    response = send(client_for("member"), "post", f"/registrations/{past.pk}/cancel")
    assert_error(response, 422, "program_started", "registration")
    past.refresh_from_db()
    assert past.status == "confirmed"


# --- registrants and attendance ----------------------------------------------------------------


def test_managers_list_registrants_with_personal_data_and_the_access_is_logged(
    client_for, program, users
):
    from dure.core.models import PersonalDataAccess
    from dure.programs.selectors import REGISTRANT_FIELDS

    pk = program(FULL).pk
    send(client_for("sme"), "post", f"/{pk}/registrations", {"note": "주차 필요"})
    before = PersonalDataAccess.objects.count()
    response = send(client_for("admin"), "get", f"/{pk}/registrations")
    assert response.status_code == 200, response.content.decode()
    data = response.json()
    assert data["counts"] == {"confirmed": 2, "waitlisted": 2, "cancelled": 0, "attended": 0}
    rows = [(r["email"], r["status"], r["waitlist_position"]) for r in data["results"]]
    assert rows == [
        ("coop@dure.example", "confirmed", None),
        ("supplier@dure.example", "confirmed", None),
        ("member@dure.example", "waitlisted", 1),
        ("sme@dure.example", "waitlisted", 2),
    ]
    sme = data["results"][3]
    assert (sme["name"], sme["note"]) == ("박대표", "주차 필요")
    assert set(sme) >= {"phone", "organisation", "attended"}
    assert data["results"][0]["organisation"]["name"] == "세리오협동조합"
    logged = PersonalDataAccess.objects.order_by("-id").first()
    assert PersonalDataAccess.objects.count() == before + 1
    assert (logged.actor, logged.via, logged.subject_type, logged.subject_id) == (
        users["admin"],
        PersonalDataAccess.Via.API,
        "programs.program",
        str(pk),
    )
    assert logged.fields == REGISTRANT_FIELDS
    # the second page of the waiting list keeps the line's numbers
    second = send(client_for("admin"), "get", f"/{pk}/registrations?page=2&page_size=3").json()
    assert [(r["email"], r["waitlist_position"]) for r in second["results"]] == [
        ("sme@dure.example", 2)
    ]
    waiting = send(client_for("admin"), "get", f"/{pk}/registrations?status=waitlisted").json()
    assert [r["waitlist_position"] for r in waiting["results"]] == [1, 2]


def test_nobody_else_sees_registrants_and_no_access_is_logged(client_for, program):
    from dure.core.models import PersonalDataAccess

    before = PersonalDataAccess.objects.count()
    for role in ("sme", "member", "coop", "researcher", "supplier"):
        assert_error(
            send(client_for(role), "get", f"/{program(OPEN).pk}/registrations"), 403, "forbidden"
        )
        assert_error(
            send(client_for(role), "get", f"/{program(DRAFT).pk}/registrations"), 404, "not_found"
        )
    assert_error(
        send(client_for("center"), "get", f"/{program(FULL).pk}/registrations"), 403, "forbidden"
    )
    assert_error(
        send(client_for("anonymous"), "get", f"/{program(OPEN).pk}/registrations"),
        401,
        "unauthenticated",
    )
    assert PersonalDataAccess.objects.count() == before


def test_attendance_is_recorded_once_the_programme_started(client_for, program, registration):
    pk = program(PAST).pk
    coop, member = registration(PAST, "coop"), registration(PAST, "member")
    response = send(client_for("center"), "post", f"/{pk}/attendance", {"attended": [member.pk]})
    assert response.status_code == 200, response.content.decode()
    assert response.json() == {
        "changed": 2,
        "counts": {"confirmed": 2, "waitlisted": 0, "cancelled": 0, "attended": 1},
    }
    coop.refresh_from_db()
    member.refresh_from_db()
    assert (coop.attended, member.attended) == (False, True)
    same = send(client_for("center"), "post", f"/{pk}/attendance", {"attended": [member.pk]})
    assert same.json()["changed"] == 0


def test_attendance_refusals(client_for, program, registration):
    upcoming = program(OPEN).pk
    member = registration(OPEN, "member")
    before_start = send(
        client_for("center"), "post", f"/{upcoming}/attendance", {"attended": [member.pk]}
    )
    assert_error(before_start, 422, "program_not_started", "attended")
    past = program(PAST).pk
    waiting = registration(FULL, "member")  # another programme's
    unknown = send(client_for("center"), "post", f"/{past}/attendance", {"attended": [waiting.pk]})
    data = assert_error(unknown, 422, "registration_not_confirmed", "attended")
    assert str(waiting.pk) in data["message"]
    assert_error(
        send(client_for("coop"), "post", f"/{past}/attendance", {"attended": []}), 403, "forbidden"
    )
    assert_error(
        send(client_for("center"), "post", f"/{past}/attendance", {}), 422, "required", "attended"
    )
    assert_error(
        send(client_for("anonymous"), "post", f"/{past}/attendance", {"attended": []}),
        401,
        "unauthenticated",
    )
    assert registration(PAST, "coop").attended is True
    assert registration(OPEN, "member").attended is False


# --- auth and schema ---------------------------------------------------------------------------


def test_a_personal_token_registers_without_csrf_and_a_session_write_needs_it(users, program):
    from django.test import Client

    from dure.accounts.services import api_token_create

    _token, secret = api_token_create(user=users["seller"], name="programs")
    pk = program(ONLINE).pk
    token_client = Client(enforce_csrf_checks=True)
    response = send(
        token_client, "post", f"/{pk}/registrations", {}, HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert response.status_code == 201, response.content.decode()
    session = Client(enforce_csrf_checks=True)
    session.force_login(users["researcher"])
    assert_error(send(session, "post", f"/{pk}/registrations", {}), 403, "csrf_failed")


def test_openapi_documents_the_programme_operations(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {} in paths[f"{API}"]["get"]["security"]
    assert {} not in paths[f"{API}"]["post"]["security"]
    register = paths[f"{API}/{{id}}/registrations"]["post"]
    assert {"200", "201", "401", "404", "422"} <= set(register["responses"])
    assert paths[f"{API}/{{id}}"]["get"]["tags"] == ["programs"]
    assert "my_registration" in schema["components"]["schemas"]["ProgramDetailOut"]["properties"]


# --- a programme under way ----------------------------------------------------------------------


def _in_progress(users, org, **changes: Any):
    """A published programme of the centre that started an hour ago and still takes
    registrations for another hour."""
    from dure.programs import services

    now = timezone.now()
    data = {
        "kind": "education",
        "title": "진행 중인 교육",
        "summary": "진행 중",
        "venue": "교육장",
        "starts_at": now - dt.timedelta(hours=1),
        "ends_at": now + dt.timedelta(hours=2),
        "registration_closes_at": now + dt.timedelta(hours=1),
        "capacity": 1,
        **changes,
    }
    made = services.program_create(actor=users["center"], host=org(CENTRE), data=data)
    return services.program_publish(actor=users["center"], program=made)


def test_a_programme_in_progress_cannot_be_cancelled_and_its_attendance_stays(
    client_for, users, org
):
    from dure.programs.models import Registration

    started = _in_progress(users, org)
    registered = send(client_for("sme"), "post", f"/{started.pk}/registrations", {}).json()
    center = client_for("center")
    attended = send(center, "post", f"/{started.pk}/attendance", {"attended": [registered["id"]]})
    assert attended.status_code == 200, attended.content.decode()
    response = send(center, "post", f"/{started.pk}/cancel", {"reason": "정전"})
    assert_error(response, 422, "program_started", "status")
    detail = send(client_for("sme"), "get", f"/{started.pk}").json()
    assert (detail["status"], detail["my_registration"]["status"]) == ("published", "confirmed")
    assert Registration.objects.get(pk=registered["id"]).attended is True


def test_a_seat_freed_after_the_start_goes_to_the_first_in_line(client_for, users, org):
    started = _in_progress(users, org)
    assert send(client_for("sme"), "post", f"/{started.pk}/registrations", {}).status_code == 201
    waiting = send(client_for("member"), "post", f"/{started.pk}/registrations", {}).json()
    assert waiting["status"] == "waitlisted"
    assert send(client_for("center"), "patch", f"/{started.pk}", {"capacity": 2}).status_code == 200
    newcomer = send(client_for("seller"), "post", f"/{started.pk}/registrations", {}).json()
    assert newcomer["status"] == "waitlisted"
