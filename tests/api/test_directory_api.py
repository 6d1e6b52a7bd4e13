"""The directory API: listing and search, detail, create and update, every error case (each
asserting the JSON body and that the database did not change), token and session auth, and
localized messages."""

from __future__ import annotations

import pytest

from .api_helpers import (
    API,
    invalid_business_number,
    organisation_snapshot,
    send,
    valid_business_number,
)

pytestmark = pytest.mark.django_db

FUSION = "기술융합협동조합"
SERIO = "세리오협동조합"
HANBIT = "한빛정밀"
EN = {"Accept-Language": "en"}


def names(response) -> list[str]:
    return [o["name"] for o in response.json()["results"]]


def make_private(admin, organisation) -> None:
    """Through the service, so the search index learns it too."""
    from dure.directory.services import organisation_update

    organisation_update(actor=admin, organisation=organisation, data={"is_public": False})


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert body["field"] == field, body
    assert body["message"]
    return body


# --- list, search, pagination ----------------------------------------------------------------


def test_anonymous_visitor_lists_public_organisations_by_name_with_a_page_envelope(client):
    # when
    response = send(client, "get", "/organisations?page_size=5")
    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "page", "page_size", "results"}
    assert body["page"] == 1 and body["page_size"] == 5
    assert body["count"] > 5 and len(body["results"]) == 5
    assert names(response) == sorted(names(response))


def test_search_for_a_word_inside_a_compound_name_finds_the_cooperative(client):
    # when
    response = send(client, "get", "/organisations?q=기술융합")
    # then
    assert response.status_code == 200
    assert FUSION in names(response)
    assert response.json()["count"] >= 1


def test_search_matches_capabilities_in_the_description(client):
    response = send(client, "get", "/organisations?q=회로개발")
    assert response.status_code == 200
    assert FUSION in names(response)


def test_list_filters_by_kind_sido_and_strategic_field(client):
    # when
    by_kind = send(client, "get", "/organisations?kind=worker_cooperative&page_size=100")
    by_sido = send(client, "get", "/organisations?sido=48&page_size=100")  # 경상남도
    by_field = send(client, "get", "/organisations?field=manufacturing&page_size=100")
    # then
    assert {o["kind"] for o in by_kind.json()["results"]} == {"worker_cooperative"}
    assert SERIO in names(by_kind)
    assert {o["sido"] for o in by_sido.json()["results"]} == {"48"}
    assert FUSION in names(by_sido) and SERIO not in names(by_sido)
    assert all("manufacturing" in o["strategic_fields"] for o in by_field.json()["results"])
    assert {FUSION, SERIO} <= set(names(by_field))


def test_empty_filter_parameters_mean_any(client):
    response = send(client, "get", "/organisations?q=&kind=&sido=&field=&page_size=3")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_pages_do_not_overlap_and_a_page_past_the_end_is_empty(client):
    # given
    first = send(client, "get", "/organisations?page_size=3&page=1").json()
    # when
    second = send(client, "get", "/organisations?page_size=3&page=2").json()
    past = send(client, "get", "/organisations?page_size=3&page=100000").json()
    # then
    assert second["page"] == 2
    assert not {o["id"] for o in first["results"]} & {o["id"] for o in second["results"]}
    assert past["results"] == [] and past["count"] == first["count"]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("page_size=101", "max_value", "page_size"),
        ("page_size=0", "min_value", "page_size"),
        ("page=0", "min_value", "page"),
        ("page=100000000000000000000000000000", "max_value", "page"),
        ("page=abc", "invalid_integer", "page"),
        ("kind=bank", "invalid_choice", "kind"),
        ("sido=99", "sido_unknown", "sido"),
        ("sido=123", "max_length", "sido"),
        ("field=astrology", "strategic_field_unknown", "field"),
        ("q=" + "가" * 201, "max_length", "q"),
        ("q=a%00b", "invalid_characters", "q"),
    ],
)
def test_bad_list_parameters_are_a_422_naming_the_parameter(client, query, code, field):
    response = send(client, "get", f"/organisations?{query}")
    assert_error(response, 422, code, field)


def test_several_bad_parameters_are_listed_together(client):
    response = send(client, "get", "/organisations?page=0&page_size=1000&kind=bank")
    body = assert_error(response, 422, "validation_error", "kind")  # the first in the list
    assert body["errors"][0]["field"] == "kind"
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("page", "min_value"),
        ("page_size", "max_value"),
        ("kind", "invalid_choice"),
    }


def queries(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert send(client, "get", path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("role", "path", "most"),
    [
        ("anonymous", "/organisations?page_size={n}", 5),
        ("anonymous", "/organisations?q=협동조합&page_size={n}", 8),
        ("sme", "/organisations?page_size={n}", 8),  # + session, user, roles
        ("sme", "/organisations?q=협동조합&page_size={n}", 11),
        ("anonymous", "/mous?page_size={n}", 3),
    ],
)
def test_lists_do_a_bounded_number_of_queries_whatever_the_page_size(
    client_for, role, path, most, settings
):
    settings.DURE_PAGE_CACHE_SECONDS = 0  # measure the real work, not the page cache
    # given one client, so that the session is loaded the same way each time
    client = client_for(role)
    # and warm: PostgreSQL's search reads the planner's term statistics once every few
    # minutes per process, and that read must not fall into one measurement only
    queries(client, path.format(n=2))
    # when
    two = queries(client, path.format(n=2))
    hundred = queries(client, path.format(n=100))
    # then: no query per row (fields, capabilities, parties are prefetched)
    assert hundred == two
    assert hundred <= most


def test_private_organisation_is_hidden_from_outsiders_and_shown_to_members_and_staff(
    client_for, users, org
):
    # given
    make_private(users["admin"], org(SERIO))
    # when
    outsider = send(client_for("anonymous"), "get", "/organisations?q=세리오")
    sme = send(client_for("sme"), "get", "/organisations?page_size=100")
    member = send(client_for("member"), "get", "/organisations?q=세리오")
    staff = send(client_for("center"), "get", "/organisations?page_size=100")
    # then
    assert SERIO not in names(outsider)
    assert SERIO not in names(sme)
    assert SERIO in names(member)
    assert SERIO in names(staff)


# --- detail ----------------------------------------------------------------------------------


def test_detail_has_every_schema_field_with_codes_and_slugs(client, org):
    # given
    fusion = org(FUSION)
    # when
    response = send(client, "get", f"/organisations/{fusion.pk}")
    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "kind",
        "name",
        "name_en",
        "acronym",
        "parent_id",
        "business_number",
        "corporate_number",
        "sido",
        "sigungu",
        "address",
        "postal_code",
        "industry",
        "founded_on",
        "member_count",
        "employee_count",
        "strategic_fields",
        "capabilities",
        "website",
        "email",
        "phone",
        "description",
        "is_public",
    }
    assert body["name"] == FUSION and body["kind"] == "cooperative"
    assert body["sido"] == "48" and body["sigungu"] == fusion.sigungu_id
    assert body["strategic_fields"] == ["manufacturing"]
    assert "회로개발" in body["capabilities"]
    assert body["founded_on"] == "2014-03-20" and body["member_count"] == 7
    assert body["business_number"] == fusion.business_number
    child = send(client, "get", f"/organisations/{org(HANBIT).pk}").json()
    assert child["parent_id"] == fusion.pk


def test_detail_of_a_private_organisation_is_404_for_outsiders(client_for, users, org):
    # given
    serio = org(SERIO)
    make_private(users["admin"], serio)
    # when / then
    assert_error(
        send(client_for("anonymous"), "get", f"/organisations/{serio.pk}"), 404, "not_found"
    )
    assert_error(send(client_for("sme"), "get", f"/organisations/{serio.pk}"), 404, "not_found")
    assert send(client_for("member"), "get", f"/organisations/{serio.pk}").status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "code", "field"),
    [
        ("/organisations/abc", 422, "invalid_integer", "id"),
        ("/organisations/1.5", 422, "invalid_integer", "id"),
        ("/organisations/0", 404, "not_found", None),
        ("/organisations/-3", 404, "not_found", None),
        ("/organisations/999999999", 404, "not_found", None),
        ("/organisations/99999999999999999999999999", 404, "not_found", None),
        ("/mous/abc", 422, "invalid_integer", "id"),
        ("/mous/99999999999999999999999999", 404, "not_found", None),
        ("/no-such-endpoint", 404, "not_found", None),
        ("/organisations/", 404, "not_found", None),
    ],
)
def test_bad_ids_and_unknown_paths_are_json_errors(client, path, status, code, field):
    assert_error(send(client, "get", path), status, code, field)


def test_a_method_the_endpoint_does_not_have_is_a_json_405(client, org):
    response = send(client, "delete", f"/organisations/{org(FUSION).pk}")
    assert_error(response, 405, "method_not_allowed")
    assert "PATCH" in response["Allow"]


# --- MOUs and reference data -----------------------------------------------------------------


def test_mous_are_listed_with_their_parties_and_shown_one_by_one(client):
    # when
    listing = send(client, "get", "/mous")
    # then
    assert listing.status_code == 200
    body = listing.json()
    assert body["count"] == 3
    first = body["results"][0]
    assert first["status"] == "active" and len(first["parties"]) == 2
    detail = send(client, "get", f"/mous/{first['id']}")
    assert detail.status_code == 200
    assert detail.json()["title"] == first["title"]
    assert send(client, "get", "/mous?status=draft").json()["count"] == 0


def test_draft_mou_is_visible_only_to_its_parties_and_staff(client_for, org):
    from dure.directory.models import MOU

    # given
    mou = MOU.objects.create(title="초안 협약", scope="공동 연구", status=MOU.Status.DRAFT)
    mou.parties.set([org(SERIO), org(HANBIT)])
    # when / then
    assert_error(send(client_for("anonymous"), "get", f"/mous/{mou.pk}"), 404, "not_found")
    assert send(client_for("coop"), "get", f"/mous/{mou.pk}").status_code == 200
    assert send(client_for("center"), "get", "/mous?status=draft").json()["count"] == 1
    assert send(client_for("anonymous"), "get", "/mous?status=draft").json()["count"] == 0


def test_reference_lists_give_sido_codes_and_strategic_field_slugs(client):
    sido = send(client, "get", "/reference/sido").json()
    fields = send(client, "get", "/reference/strategic-fields").json()
    assert {"code": "11", "name": "서울특별시"} in sido
    assert len(sido) == 17
    assert {f["slug"] for f in fields} >= {"manufacturing", "ict", "childcare"}
    assert all(f["name"] and f["name_en"] for f in fields)


# --- create ----------------------------------------------------------------------------------


def test_staff_creates_an_organisation_and_codes_are_resolved(client_for, counts):
    from dure.core.models import AuditEvent
    from dure.directory.models import Organisation

    # given
    before = counts()
    number = valid_business_number(1)
    # when
    response = send(
        client_for("admin"),
        "post",
        "/organisations",
        {
            "kind": "social_cooperative",
            "name": "  새물결사회적협동조합 ",
            "business_number": f"{number[:3]}-{number[3:5]}-{number[5:]}",
            "sido": "11",
            "sigungu": "11110",
            "industry": "62010",
            "founded_on": "2020-05-01",
            "member_count": 12,
            "strategic_fields": ["ict", "care"],
            "capabilities": ["앱 개발", "돌봄 서비스"],
            "phone": "0212345678",
            "website": "https://example.org",
            "email": "hello@example.org",
        },
    )
    # then
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["name"] == "새물결사회적협동조합"
    assert body["business_number"] == number
    assert body["industry"] == "62010" and body["sigungu"] == "11110"
    assert sorted(body["strategic_fields"]) == ["care", "ict"]
    assert body["phone"] == "02-1234-5678"
    created = Organisation.objects.get(pk=body["id"])
    assert created.sido_id == "11" and created.industry_id == "62010"
    assert set(created.capabilities.values_list("name", flat=True)) == {"앱 개발", "돌봄 서비스"}
    assert counts() == (before[0] + 1, before[1] + 1)
    assert AuditEvent.objects.filter(action="organisation.create", object_id=str(created.pk))


def test_created_organisation_is_found_by_search_at_once(client_for):
    send(client_for("center"), "post", "/organisations", {"kind": "sme", "name": "반짝전자부품"})
    assert "반짝전자부품" in names(
        send(client_for("anonymous"), "get", "/organisations?q=반짝전자")
    )


BAD_CREATE_BODIES = [
    pytest.param(
        {"business_number": invalid_business_number(2)},
        "business_number_checksum",
        "business_number",
        id="business-number-checksum",
    ),
    pytest.param(
        {"business_number": "12-34"}, "business_number_format", "business_number", id="bn-format"
    ),
    pytest.param(
        {"corporate_number": "1101111234568"},
        "corporate_number_checksum",
        "corporate_number",
        id="corporate-number-checksum",
    ),
    pytest.param({"phone": "전화 없음"}, "phone_format", "phone", id="phone-format"),
    pytest.param({"phone": "02-12"}, "phone_invalid", "phone", id="phone-invalid"),
    pytest.param({"industry": "99999"}, "industry_unknown", "industry", id="unknown-ksic"),
    pytest.param({"sido": "99"}, "sido_unknown", "sido", id="unknown-sido"),
    pytest.param({"sigungu": "99999"}, "sigungu_unknown", "sigungu", id="unknown-sigungu"),
    pytest.param(
        {"sido": "26", "sigungu": "11110"},
        "sigungu_not_in_sido",
        "sigungu",
        id="sigungu-outside-sido",
    ),
    pytest.param({"parent_id": 999999999}, "parent_unknown", "parent_id", id="unknown-parent"),
    pytest.param(
        {"strategic_fields": ["ict", "astrology"]},
        "strategic_field_unknown",
        "strategic_fields",
        id="unknown-strategic-field",
    ),
    pytest.param({"name": "가" * 101}, "max_length", "name", id="name-too-long"),
    pytest.param({"description": "x" * 5001}, "max_length", "description", id="long-text"),
    pytest.param({"sido": "123"}, "max_length", "sido", id="sido-too-long"),
    pytest.param({"name": ""}, "blank", "name", id="blank-name"),
    pytest.param({"name": 42}, "invalid_string", "name", id="name-not-string"),
    pytest.param({"member_count": "many"}, "invalid_integer", "member_count", id="count-type"),
    pytest.param({"member_count": -1}, "min_value", "member_count", id="negative-count"),
    pytest.param({"member_count": 2**40}, "max_value", "member_count", id="huge-count"),
    pytest.param({"is_public": "maybe"}, "invalid_boolean", "is_public", id="bool-type"),
    pytest.param({"founded_on": "2020-13-45"}, "invalid_date", "founded_on", id="date"),
    pytest.param({"kind": "bank"}, "invalid_choice", "kind", id="kind"),
    pytest.param({"strategic_fields": "ict"}, "invalid_list", "strategic_fields", id="not-list"),
    pytest.param({"website": "not a url"}, "invalid", "website", id="url"),
    pytest.param({"email": "nobody"}, "invalid", "email", id="email"),
    pytest.param({"address": "대전\x00유성구"}, "invalid_characters", "address", id="nul"),
    pytest.param({"nickname": "x"}, "unknown_field", "nickname", id="unknown-field"),
    pytest.param(
        {"description": "대표 주민번호 800101-1234567"},
        "resident_number",
        "description",
        id="resident-number",
    ),
]


@pytest.mark.parametrize(("change", "code", "field"), BAD_CREATE_BODIES)
def test_invalid_create_is_refused_with_code_and_field_and_nothing_is_stored(
    client_for, counts, change, code, field
):
    # given
    before = counts()
    body = {"kind": "sme", "name": "검증시험기관", **change}
    # when
    response = send(client_for("admin"), "post", "/organisations", body)
    # then
    assert_error(response, 422, code, field)
    assert counts() == before


def test_missing_required_fields_are_all_reported(client_for, counts):
    before = counts()
    response = send(client_for("admin"), "post", "/organisations", {"acronym": "X"})
    body = assert_error(response, 422, "validation_error", "kind")
    assert {(e["field"], e["code"]) for e in body["errors"]} == {
        ("kind", "required"),
        ("name", "required"),
    }
    assert counts() == before


def test_duplicate_business_number_is_refused(client_for, org, counts):
    before = counts()
    response = send(
        client_for("admin"),
        "post",
        "/organisations",
        {"kind": "sme", "name": "복제", "business_number": org(FUSION).business_number},
    )
    assert_error(response, 422, "unique", "business_number")
    assert counts() == before


@pytest.mark.parametrize(
    "raw",
    ["{", '{"name": ', "not json", b"\xff\xfe\x00", '{"kind": "sme",}'],
    ids=["open-brace", "truncated", "text", "bytes", "trailing-comma"],
)
def test_malformed_json_is_a_400(client_for, counts, raw):
    before = counts()
    response = send(client_for("admin"), "post", "/organisations", raw)
    assert_error(response, 400, "malformed_json")
    assert counts() == before


@pytest.mark.parametrize("raw", ["[1, 2]", '"text"', "null", "3"])
def test_a_json_body_that_is_not_an_object_is_a_422(client_for, counts, raw):
    before = counts()
    response = send(client_for("admin"), "post", "/organisations", raw)
    assert_error(response, 422, "invalid_object")
    assert counts() == before


def test_empty_body_is_refused_as_missing_the_required_fields(client_for, counts):
    before = counts()
    response = client_for("admin").post(f"{API}/organisations", content_type="application/json")
    body = assert_error(response, 422, "validation_error", "kind")
    assert {e["code"] for e in body["errors"]} == {"required"}
    assert counts() == before


def test_non_staff_may_not_create_and_anonymous_must_authenticate(client_for, counts):
    before = counts()
    body = {"kind": "sme", "name": "몰래등록"}
    assert_error(send(client_for("sme"), "post", "/organisations", body), 403, "forbidden")
    assert_error(send(client_for("coop"), "post", "/organisations", body), 403, "forbidden")
    response = send(client_for("anonymous"), "post", "/organisations", body)
    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert counts() == before


# --- update ----------------------------------------------------------------------------------


def test_representative_updates_own_organisation_but_not_staff_only_fields(client_for, org):
    # given
    hanbit = org(HANBIT)
    # when
    response = send(
        client_for("sme"),
        "patch",
        f"/organisations/{hanbit.pk}",
        {
            "name_en": "Hanbit Precision",
            "phone": "055 123 4567",
            "strategic_fields": ["manufacturing"],
            "capabilities": ["기계가공", "금형"],
            "employee_count": 25,
            "is_public": False,
            "kind": "partner",
        },
    )
    # then
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["name_en"] == "Hanbit Precision"
    assert body["phone"] == "055-123-4567"
    assert body["strategic_fields"] == ["manufacturing"]
    assert body["capabilities"] == ["금형", "기계가공"]
    hanbit.refresh_from_db()
    assert hanbit.employee_count == 25
    assert hanbit.is_public is True and hanbit.kind == "sme"  # staff-only, ignored
    assert hanbit.name == HANBIT  # not sent, not changed


def test_staff_hides_an_organisation_and_moves_it_under_a_parent(client_for, org):
    serio, fusion = org(SERIO), org(FUSION)
    response = send(
        client_for("center"),
        "patch",
        f"/organisations/{serio.pk}",
        {"is_public": False, "parent_id": fusion.pk},
    )
    assert response.status_code == 200
    assert response.json()["is_public"] is False and response.json()["parent_id"] == fusion.pk
    assert_error(
        send(client_for("anonymous"), "get", f"/organisations/{serio.pk}"), 404, "not_found"
    )


def test_null_clears_an_optional_field(client_for, org):
    fusion = org(FUSION)
    response = send(
        client_for("admin"),
        "patch",
        f"/organisations/{fusion.pk}",
        {"founded_on": None, "business_number": None, "name_en": None, "sido": None},
    )
    assert response.status_code == 200, response.content.decode()
    fusion.refresh_from_db()
    assert fusion.founded_on is None and fusion.business_number is None
    assert fusion.name_en == ""
    assert fusion.sido_id == fusion.sigungu_id[:2]  # the model derives sido from sigungu


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (
            {"business_number": invalid_business_number(3)},
            "business_number_checksum",
            "business_number",
        ),
        ({"industry": "ZZ"}, "industry_unknown", "industry"),
        ({"sido": "00"}, "sido_unknown", "sido"),
        ({"sigungu": "11110"}, "sigungu_not_in_sido", "sigungu"),  # 종로구 is not in 경상남도
        ({"name": None}, "null", "name"),
        ({"name": "   "}, "blank", "name"),
        ({"acronym": "A" * 21}, "max_length", "acronym"),
        ({"employee_count": 1.5}, "invalid_integer", "employee_count"),
        ({"capabilities": ["x" * 41]}, "max_length", "capabilities"),
        ({"capabilities": ["x"] * 51}, "max_items", "capabilities"),
        ({"parent_id": "me"}, "invalid_integer", "parent_id"),
    ],
)
def test_invalid_update_is_refused_and_the_row_is_unchanged(client_for, org, change, code, field):
    # given
    hanbit = org(HANBIT)
    before = organisation_snapshot(hanbit.pk)
    # when
    response = send(client_for("sme"), "patch", f"/organisations/{hanbit.pk}", change)
    # then
    assert_error(response, 422, code, field)
    assert organisation_snapshot(hanbit.pk) == before


def test_organisation_cannot_become_its_own_parent(client_for, org):
    fusion = org(FUSION)
    before = organisation_snapshot(fusion.pk)
    response = send(
        client_for("admin"), "patch", f"/organisations/{fusion.pk}", {"parent_id": fusion.pk}
    )
    assert_error(response, 422, "parent_self", "parent_id")
    assert organisation_snapshot(fusion.pk) == before


def test_organisation_cannot_be_moved_under_its_own_member(client_for, org):
    fusion, hanbit = org(FUSION), org(HANBIT)  # 한빛정밀 is a member of 기술융합협동조합
    before = organisation_snapshot(fusion.pk)
    response = send(
        client_for("admin"), "patch", f"/organisations/{fusion.pk}", {"parent_id": hanbit.pk}
    )
    assert_error(response, 422, "parent_cycle", "parent_id")
    assert organisation_snapshot(fusion.pk) == before


def test_errors_from_validation_and_from_the_service_come_one_step_at_a_time(client_for, org):
    """pydantic runs first, so a body with both kinds of errors reports the schema errors."""
    hanbit = org(HANBIT)
    before = organisation_snapshot(hanbit.pk)
    response = send(
        client_for("sme"),
        "patch",
        f"/organisations/{hanbit.pk}",
        {"business_number": invalid_business_number(4), "acronym": "A" * 21},
    )
    assert_error(response, 422, "max_length", "acronym")
    assert organisation_snapshot(hanbit.pk) == before


@pytest.mark.parametrize("role", ["member", "researcher", "seller", "coop"])
def test_people_who_cannot_edit_get_the_same_404_as_the_pages(client_for, org, role):
    hanbit = org(HANBIT)
    before = organisation_snapshot(hanbit.pk)
    response = send(client_for(role), "patch", f"/organisations/{hanbit.pk}", {"name_en": "X"})
    assert_error(response, 404, "not_found")
    assert organisation_snapshot(hanbit.pk) == before


def test_anonymous_update_is_401_and_changes_nothing(client_for, org):
    hanbit = org(HANBIT)
    before = organisation_snapshot(hanbit.pk)
    response = send(
        client_for("anonymous"), "patch", f"/organisations/{hanbit.pk}", {"name_en": "X"}
    )
    assert_error(response, 401, "unauthenticated")
    assert organisation_snapshot(hanbit.pk) == before


def test_update_of_a_missing_organisation_is_404(client_for):
    assert_error(
        send(client_for("admin"), "patch", "/organisations/999999999", {"name_en": "X"}),
        404,
        "not_found",
    )


# --- authentication: tokens and sessions -----------------------------------------------------


def test_personal_token_authenticates_reads_and_writes_without_csrf(users, org):
    from django.test import Client

    from dure.accounts.services import api_token_create

    # given a browser-less client with CSRF checks on and a token for the SME representative
    _token, secret = api_token_create(user=users["sme"], name="ERP 연동")
    client = Client(enforce_csrf_checks=True)
    auth = {"Authorization": f"Bearer {secret}"}
    hanbit = org(HANBIT)
    # when
    response = send(client, "patch", f"/organisations/{hanbit.pk}", {"acronym": "HB"}, auth)
    # then
    assert response.status_code == 200, response.content.decode()
    hanbit.refresh_from_db()
    assert hanbit.acronym == "HB"
    assert hanbit.history.latest().history_user == users["sme"]


def test_token_of_staff_sees_private_organisations(users, org, client):
    from dure.accounts.services import api_token_create

    serio = org(SERIO)
    make_private(users["admin"], serio)
    _token, secret = api_token_create(user=users["center"], name="대시보드")
    response = send(
        client, "get", f"/organisations/{serio.pk}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200


def test_revoked_token_is_refused_even_for_public_reads(users, org, client, counts):
    from dure.accounts.services import api_token_create, api_token_revoke

    # given
    token, secret = api_token_create(user=users["admin"], name="old")
    api_token_revoke(user=users["admin"], token_id=token.pk)
    auth = {"Authorization": f"Bearer {secret}"}
    before = counts()
    # when
    write = send(client, "post", "/organisations", {"kind": "sme", "name": "폐기토큰기관"}, auth)
    read = send(client, "get", "/organisations", headers=auth)
    # then
    assert_error(write, 401, "invalid_token")
    assert_error(read, 401, "invalid_token")
    assert counts() == before


@pytest.mark.parametrize(
    "header",
    ["Bearer dure_not-a-real-token", "Bearer ", "Bearer x", "Basic YWRtaW46cGFzcw==", "dure_abc"],
)
def test_bad_authorization_headers_are_401(client, header):
    response = send(client, "get", "/organisations", headers={"Authorization": header})
    assert_error(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_session_write_without_csrf_token_is_refused(users, org):
    from django.test import Client

    # given a logged-in browser session with CSRF checks enforced
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    hanbit = org(HANBIT)
    before = organisation_snapshot(hanbit.pk)
    # when
    response = send(client, "patch", f"/organisations/{hanbit.pk}", {"acronym": "CSRF"})
    # then
    assert_error(response, 403, "csrf_failed")
    assert organisation_snapshot(hanbit.pk) == before
    # and reads need no CSRF token
    assert send(client, "get", f"/organisations/{hanbit.pk}").status_code == 200


def test_session_write_with_csrf_token_is_accepted(users, org):
    from django.test import Client
    from django.utils.crypto import get_random_string

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    secret = get_random_string(32)
    client.cookies["csrftoken"] = secret
    hanbit = org(HANBIT)
    response = send(
        client, "patch", f"/organisations/{hanbit.pk}", {"acronym": "OK"}, {"X-CSRFToken": secret}
    )
    assert response.status_code == 200, response.content.decode()
    hanbit.refresh_from_db()
    assert hanbit.acronym == "OK"


def test_anonymous_write_is_401_not_a_csrf_error(org):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = send(client, "patch", f"/organisations/{org(HANBIT).pk}", {"acronym": "X"})
    assert_error(response, 401, "unauthenticated")


# --- localized messages ----------------------------------------------------------------------


def test_error_messages_are_korean_by_default(client_for):
    response = send(
        client_for("admin"),
        "post",
        "/organisations",
        {"kind": "sme", "name": "x", "business_number": invalid_business_number(5)},
    )
    body = assert_error(response, 422, "business_number_checksum", "business_number")
    assert "사업자등록번호 검증번호가 맞지 않습니다" in body["message"]


def is_english(message: str) -> bool:
    return bool(message) and not any("\uac00" <= ch <= "\ud7a3" for ch in message)


def test_error_messages_are_english_with_accept_language_en(client_for):
    # given
    admin, anonymous = client_for("admin"), client_for("anonymous")
    bad_number = {"kind": "sme", "name": "x", "business_number": invalid_business_number(5)}
    # when
    responses = {
        "checksum": send(admin, "post", "/organisations", bad_number, EN),
        "too_long": send(admin, "post", "/organisations", {"kind": "sme", "name": "x" * 101}, EN),
        "ksic": send(
            admin, "post", "/organisations", {"kind": "sme", "name": "x", "industry": "0"}, EN
        ),
        "several": send(anonymous, "get", "/organisations?page=0&page_size=0", headers=EN),
        "anonymous": send(anonymous, "post", "/organisations", bad_number, EN),
        "missing": send(anonymous, "get", "/organisations/999999999", headers=EN),
        "malformed": send(admin, "post", "/organisations", "{", EN),
        "field": send(
            admin,
            "post",
            "/organisations",
            {"kind": "sme", "name": "x", "strategic_fields": ["zz"]},
            EN,
        ),
    }
    # then: the same codes as in Korean, the messages in English
    bodies = {name: r.json() for name, r in responses.items()}
    assert bodies["checksum"]["code"] == "business_number_checksum"
    assert "check digit" in bodies["checksum"]["message"]
    assert "100" in bodies["too_long"]["message"]
    assert "KSIC" in bodies["ksic"]["message"]
    assert "2" in bodies["several"]["message"]
    for name, body in bodies.items():
        assert is_english(body["message"]), (name, body)
        for item in body.get("errors", []):
            assert is_english(item["message"]), (name, item)


def test_the_same_errors_are_korean_without_accept_language(client_for):
    response = send(
        client_for("admin"), "post", "/organisations", {"kind": "sme", "name": "x" * 101}
    )
    assert response.json()["message"] == "100자 이하로 입력해 주세요."
    assert not is_english(
        send(client_for("anonymous"), "get", "/organisations/0").json()["message"]
    )


# --- the schema ------------------------------------------------------------------------------


def test_openapi_schema_documents_auth_and_errors(client):
    schema = send(client, "get", "/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    schemes = schema["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"
    create = schema["paths"]["/api/v1/organisations"]["post"]
    assert {} not in create["security"]
    assert {} in schema["paths"]["/api/v1/organisations"]["get"]["security"]
    assert set(create["responses"]) >= {"201", "400", "401", "403", "422"}
    props = schema["components"]["schemas"]["OrganisationCreateIn"]["properties"]
    assert props["name"]["maxLength"] == 100
    assert props["description"]["anyOf"][0]["maxLength"] == 5000


def test_api_root_is_a_json_index(client):
    response = client.get(f"{API}/")
    assert response.status_code == 200
    assert response.json()["openapi"] == f"{API}/openapi.json"
    assert_error(client.post(f"{API}/"), 405, "method_not_allowed")


def test_a_body_over_the_upload_limit_is_a_413_not_a_500(client_for, settings, counts):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = client_for("admin")
    before = counts()
    response = send(
        client, "post", "/organisations", {"kind": "sme", "name": "x", "description": "가" * 2000}
    )
    assert_error(response, 413, "too_large")
    assert counts() == before


def test_too_many_query_parameters_is_a_400_not_a_500(client):
    query = "&".join(f"p{i}=1" for i in range(1100))
    assert_error(send(client, "get", f"/organisations?{query}"), 400, "bad_request")


def test_openapi_schema_is_built_once_per_language(client, monkeypatch):
    import ninja.main

    from dure.api.api import api

    built: list[str] = []
    real = ninja.main.get_schema

    def counting(*args, **kwargs):
        built.append("x")
        return real(*args, **kwargs)

    monkeypatch.setattr(ninja.main, "get_schema", counting)
    monkeypatch.setattr(api, "_openapi_schemas", {})
    korean = [send(client, "get", "/openapi.json").json() for _ in range(2)]
    english = client.get(f"{API}/openapi.json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert korean[0] == korean[1]
    assert english["paths"].keys() == korean[0]["paths"].keys()
    assert len(built) == 2  # Korean once, English once
