"""Portal API behaviour (/api/v1/portal): the support centres' notices and the success stories
of the organisations they helped, published only with the organisation's consent.

Notices: the public sees the published ones, pinned first; a centre's staff also their drafts;
filters and the page envelope; writing, changing only the fields sent, publishing, archiving.
Stories: the public list and its filters; the centre's own list; the representatives' list of
stories awaiting their answer; writing; the consent flow (asked → agreed on the platform or in
writing → published → taken down → published → withdrawn) with the consent and the history
shown only to the centre and the organisation; a changed text asks again. Service refusals are
JSON ``{code, message, field}`` in Korean with the API's field names.

The demo data (``dure.portal.demo``) is the world: ``center`` is staff of
과학기술인협동조합지원센터, which wrote every demo story and four notices (one pinned, one draft);
대전 협동조합 지원센터 published one notice. Two stories are published (기술융합협동조합 with a
written consent, 한빛정밀 — whose representative is ``sme`` — on the platform), one about
세리오협동조합 (chair ``coop``, ordinary member ``member``) awaits its answer, and one about
미래회로설계 is a draft. Rows are found by their titles.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from api.api_helpers import send
from django.utils import timezone

pytestmark = pytest.mark.django_db

CENTRE = "과학기술인협동조합지원센터"
DAEJEON_CENTRE = "대전 협동조합 지원센터"
FUSION = "기술융합협동조합"
HANBIT = "한빛정밀"
SERIO = "세리오협동조합"

PINNED = "2027년 협동조합 기술사업화 지원 사업 참여 조합 모집"  # recruitment, 3 days ago
HOLIDAYS = "연말 상담 일정 안내"  # notice, 10 days ago
FORUM = "하반기 협동조합 기술 포럼 결과 발표"  # result, 30 days ago
DRAFT_NOTICE = "2027년 교육 일정 (작성 중)"  # the centre's draft
DAEJEON_NOTICE = "대전 공유부엌 협동조합 설명회 안내"  # the Daejeon centre's, 6 days ago
PUBLIC_NOTICES = [PINNED, DAEJEON_NOTICE, HOLIDAYS, FORUM]

FUSION_STORY = "출연연 특허로 복합소재 부품을 국산화한 기술융합협동조합"  # published, written
HANBIT_STORY = "한빛정밀, 용접부 부식 문제를 연구기관과 함께 풀다"  # published, platform
SERIO_STORY = "연구원들이 함께 세운 직원협동조합, 세리오"  # awaiting 세리오's answer
DRAFT_STORY = "미래회로설계의 협동조합 장터 입점기 (작성 중)"  # draft
PUBLIC_STORIES = [FUSION_STORY, HANBIT_STORY]

NOTICES = "/portal/notices"
STORIES = "/portal/stories"
HANGUL = re.compile(r"[가-힣]")


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["code"] == code, data
    assert data["field"] == field, data
    assert HANGUL.search(data["message"]), data  # Korean by default
    assert "%(" not in data["message"], data
    return data


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def titles(response) -> list[str]:
    return [row["title"] for row in ok(response)["results"]]


def steps(data: dict) -> list[tuple[str | None, str]]:
    return [(e["from_status"], e["to_status"]) for e in data["history"]]


@pytest.fixture
def notice(db):
    """notice(PINNED) → that notice, read afresh."""
    from dure.portal.models import Notice

    return lambda title: Notice.objects.get(title=title)


@pytest.fixture
def story(db):
    """story(SERIO_STORY) → that story, read afresh."""
    from dure.portal.models import Story

    return lambda title: Story.objects.get(title=title)


@pytest.fixture
def daejeon_draft(users, org):
    """A draft notice of the Daejeon centre (whose staff no demo user but ``admin`` is)."""
    from dure.portal import services

    return services.notice_create(
        actor=users["admin"],
        publisher=org(DAEJEON_CENTRE),
        data={"title": "대전 센터 작성 중인 공지", "body": "초안"},
    )


def snapshot() -> tuple:
    """The notices, stories and story events, and the audit log's length: what a refused call
    leaves as it was."""
    from dure.core.models import AuditEvent
    from dure.portal.models import Notice, Story, StoryEvent

    return (
        list(Notice.objects.order_by("pk").values()),
        list(Story.objects.order_by("pk").values()),
        list(StoryEvent.objects.order_by("pk").values()),
        AuditEvent.objects.exclude(action__startswith="auth.").count(),
    )


def notice_body(publisher_id: int, /, **changes: Any) -> dict[str, Any]:
    body = {
        "publisher_id": publisher_id,
        "category": "recruitment",
        "title": "API로 쓴 모집 공고",
        "body": "협동조합 기술 교육 참가자를 모집합니다.\n신청은 이달 말까지입니다.",
        "pinned": True,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def story_body(centre_id: int, subject_id: int, /, **changes: Any) -> dict[str, Any]:
    body = {
        "centre_id": centre_id,
        "subject_id": subject_id,
        "support_kind": "education",
        "year": 2025,
        "title": "API로 쓴 세리오 교육 사례",
        "summary": "조합원 교육으로 신제품 개발 기간을 줄였습니다.",
        "body": "세리오협동조합은 지원센터의 교육 과정을 거쳐 개발 공정을 바꿨습니다.",
        "jobs_created": 3,
        "sales_increase": 50_000_000,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


# --- notices: lists ----------------------------------------------------------------------------


def test_the_public_sees_published_notices_pinned_first_then_the_latest(client_for):
    for role in ("anonymous", "member", "sme", "researcher"):
        assert titles(send(client_for(role), "get", NOTICES)) == PUBLIC_NOTICES, role
    data = ok(send(client_for("anonymous"), "get", NOTICES))
    assert set(data) == {"count", "page", "page_size", "results"}
    assert (data["count"], data["page"], data["page_size"]) == (4, 1, 20)
    first = data["results"][0]
    assert (first["category"], first["pinned"], first["status"]) == (
        "recruitment",
        True,
        "published",
    )
    assert first["publisher"]["name"] == CENTRE
    assert first["published_at"] and "can_manage" not in first


def test_the_centres_staff_also_see_their_drafts_and_admins_every_notice(client_for, daejeon_draft):
    center = titles(send(client_for("center"), "get", NOTICES))
    assert center[0] == PINNED
    assert sorted(center) == sorted([*PUBLIC_NOTICES, DRAFT_NOTICE])
    admin = titles(send(client_for("admin"), "get", NOTICES))
    assert sorted(admin) == sorted([*PUBLIC_NOTICES, DRAFT_NOTICE, daejeon_draft.title])
    # the published ones keep their order among themselves
    assert [t for t in center if t in PUBLIC_NOTICES] == PUBLIC_NOTICES
    assert titles(send(client_for("center"), "get", f"{NOTICES}?status=draft")) == [DRAFT_NOTICE]
    # the public asking for drafts gets none
    assert titles(send(client_for("sme"), "get", f"{NOTICES}?status=draft")) == []
    assert titles(send(client_for("anonymous"), "get", f"{NOTICES}?status=published")) == (
        PUBLIC_NOTICES
    )


def test_notices_filter_by_category_and_words(client_for):
    anonymous = client_for("anonymous")
    assert titles(send(anonymous, "get", f"{NOTICES}?category=recruitment")) == [PINNED]
    assert titles(send(anonymous, "get", f"{NOTICES}?category=result")) == [FORUM]
    assert titles(send(anonymous, "get", f"{NOTICES}?category=press")) == []
    assert titles(send(anonymous, "get", f"{NOTICES}?category=notice")) == [
        DAEJEON_NOTICE,
        HOLIDAYS,
    ]
    # every word, in the title or the body
    assert titles(send(anonymous, "get", f"{NOTICES}?q=공유부엌")) == [DAEJEON_NOTICE]
    assert titles(send(anonymous, "get", f"{NOTICES}?q=상담")) == [PINNED, HOLIDAYS, FORUM]
    assert titles(send(anonymous, "get", f"{NOTICES}?q=상담 방문")) == [HOLIDAYS]
    assert titles(send(anonymous, "get", f"{NOTICES}?q=교육 일정")) == []
    assert titles(send(client_for("center"), "get", f"{NOTICES}?q=교육 일정")) == [DRAFT_NOTICE]
    # blank filters are no filters
    assert titles(send(anonymous, "get", f"{NOTICES}?category=&q=&status=")) == PUBLIC_NOTICES


def test_notice_pages_do_not_overlap(client_for):
    anonymous = client_for("anonymous")
    first = ok(send(anonymous, "get", f"{NOTICES}?page_size=3"))
    second = ok(send(anonymous, "get", f"{NOTICES}?page_size=3&page=2"))
    assert (first["count"], first["page_size"], second["page"]) == (4, 3, 2)
    assert [r["title"] for r in first["results"] + second["results"]] == PUBLIC_NOTICES
    assert ok(send(anonymous, "get", f"{NOTICES}?page=500"))["results"] == []
    assert len(ok(send(anonymous, "get", f"{NOTICES}?page_size=100"))["results"]) == 4


@pytest.mark.parametrize("path", [NOTICES, STORIES, f"{STORIES}/managed"])
@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("?page_size=101", "max_value", "page_size"),
        ("?page_size=0", "min_value", "page_size"),
        ("?page=0", "min_value", "page"),
        ("?page=x", "invalid_integer", "page"),
        ("?page=100001", "max_value", "page"),
    ],
)
def test_bad_page_parameters_are_a_422_naming_the_parameter(client_for, path, query, code, field):
    assert_error(send(client_for("center"), "get", path + query), 422, code, field)


@pytest.mark.parametrize(
    ("query", "field"),
    [("?category=news", "category"), ("?status=deleted", "status"), ("?q=" + "가" * 101, "q")],
)
def test_bad_notice_filters_are_a_422(client_for, query, field):
    response = send(client_for("anonymous"), "get", NOTICES + query)
    assert response.status_code == 422, response.content.decode()
    assert response.json()["field"] == field


# --- notices: detail and writing ---------------------------------------------------------------


def test_a_notice_detail_says_whether_the_caller_may_manage_it(client_for, notice):
    pk = notice(PINNED).pk
    assert ok(send(client_for("anonymous"), "get", f"{NOTICES}/{pk}"))["can_manage"] is False
    assert ok(send(client_for("sme"), "get", f"{NOTICES}/{pk}"))["can_manage"] is False
    data = ok(send(client_for("center"), "get", f"{NOTICES}/{pk}"))
    assert (data["title"], data["can_manage"], data["pinned"]) == (PINNED, True, True)
    assert data["body"].startswith("출연연구기관의 기술을")
    daejeon = notice(DAEJEON_NOTICE).pk
    assert ok(send(client_for("center"), "get", f"{NOTICES}/{daejeon}"))["can_manage"] is False
    assert ok(send(client_for("admin"), "get", f"{NOTICES}/{daejeon}"))["can_manage"] is True


def test_drafts_are_hidden_from_everyone_but_their_centre(client_for, notice, daejeon_draft):
    draft = notice(DRAFT_NOTICE).pk
    for role in ("anonymous", "sme", "coop", "member", "researcher"):
        assert_error(send(client_for(role), "get", f"{NOTICES}/{draft}"), 404, "not_found")
    assert ok(send(client_for("center"), "get", f"{NOTICES}/{draft}"))["status"] == "draft"
    # a draft of another centre is a 404 for the centre's staff too
    assert_error(
        send(client_for("center"), "get", f"{NOTICES}/{daejeon_draft.pk}"), 404, "not_found"
    )
    assert ok(send(client_for("admin"), "get", f"{NOTICES}/{daejeon_draft.pk}"))["can_manage"]


def test_missing_and_malformed_ids_are_json_errors(client_for):
    center = client_for("center")
    assert_error(send(center, "get", f"{NOTICES}/999999999"), 404, "not_found")
    assert_error(send(center, "get", f"{STORIES}/999999999"), 404, "not_found")
    assert_error(send(center, "get", f"{NOTICES}/abc"), 422, "invalid_integer", "id")
    assert_error(send(center, "get", f"{STORIES}/abc"), 422, "invalid_integer", "id")
    assert_error(send(center, "post", f"{NOTICES}/999999999/publish"), 404, "not_found")
    assert_error(send(center, "post", f"{STORIES}/999999999/consent"), 404, "not_found")


def test_the_centre_writes_a_draft_notice(client_for, org, users):
    from dure.core.models import AuditEvent
    from dure.portal.models import Notice

    response = send(client_for("center"), "post", NOTICES, notice_body(org(CENTRE).pk))
    data = ok(response, 201)
    assert (data["status"], data["category"], data["pinned"], data["published_at"]) == (
        "draft",
        "recruitment",
        True,
        None,
    )
    assert data["publisher"] == {"id": org(CENTRE).pk, "name": CENTRE}
    assert data["can_manage"] is True
    assert data["body"] == "협동조합 기술 교육 참가자를 모집합니다.\n신청은 이달 말까지입니다."
    made = Notice.objects.get(pk=data["id"])
    assert made.created_by == users["center"]
    assert AuditEvent.objects.filter(action="portal.notice.create", object_id=str(made.pk)).exists()
    # a draft: the public does not see it yet
    assert "API로 쓴 모집 공고" not in titles(send(client_for("anonymous"), "get", NOTICES))
    assert "API로 쓴 모집 공고" in titles(send(client_for("center"), "get", NOTICES))


def test_a_notice_without_category_or_pin_is_a_plain_notice(client_for, org):
    body = notice_body(org(CENTRE).pk, category=..., pinned=...)
    data = ok(send(client_for("center"), "post", NOTICES, body), 201)
    assert (data["category"], data["pinned"]) == ("notice", False)


def test_an_admin_writes_for_any_centre(client_for, org):
    body = notice_body(org(DAEJEON_CENTRE).pk)
    assert ok(send(client_for("admin"), "post", NOTICES, body), 201)["publisher"]["name"] == (
        DAEJEON_CENTRE
    )


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"title": "   "}, "required", "title"),
        ({"body": ""}, "required", "body"),
        ({"body": "담당자 주민번호 900101-1234567"}, "resident_number", "body"),
    ],
)
def test_the_services_notice_refusals_are_422_with_the_field_and_a_korean_message(
    client_for, org, changes, code, field
):
    before = snapshot()
    response = send(client_for("center"), "post", NOTICES, notice_body(org(CENTRE).pk, **changes))
    assert_error(response, 422, code, field)
    assert snapshot() == before


@pytest.mark.parametrize("publisher", [DAEJEON_CENTRE, HANBIT])
def test_a_publisher_that_is_not_the_callers_centre_is_refused_on_publisher_id(
    client_for, org, publisher
):
    before = snapshot()
    response = send(client_for("center"), "post", NOTICES, notice_body(org(publisher).pk))
    assert_error(response, 422, "centre_unknown", "publisher_id")
    assert snapshot() == before


def test_a_publisher_that_is_not_the_callers_centre_is_refused_and_nothing_is_made(client_for, org):
    before = snapshot()
    for publisher in (org(DAEJEON_CENTRE).pk, org(HANBIT).pk, 999_999_999):
        response = send(client_for("center"), "post", NOTICES, notice_body(publisher))
        assert response.status_code == 422, response.content.decode()
        assert response.json()["code"] == "centre_unknown"
        assert HANGUL.search(response.json()["message"])
    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"publisher_id": ...}, "required", "publisher_id"),
        ({"publisher_id": 0}, "min_value", "publisher_id"),
        ({"publisher_id": "센터"}, "invalid_integer", "publisher_id"),
        ({"title": ...}, "required", "title"),
        ({"title": "가" * 151}, "max_length", "title"),
        ({"body": "a\x00b"}, "invalid_characters", "body"),
        ({"category": "news"}, "invalid_choice", "category"),
        ({"pinned": "sometimes"}, "invalid_boolean", "pinned"),
        ({"status": "published"}, "unknown_field", "status"),
        ({"publisher": 1}, "unknown_field", "publisher"),
    ],
)
def test_bad_notice_input_is_refused_before_the_service(client_for, org, changes, code, field):
    before = snapshot()
    response = send(client_for("center"), "post", NOTICES, notice_body(org(CENTRE).pk, **changes))
    assert_error(response, 422, code, field)
    assert snapshot() == before


def test_every_wrong_field_is_listed_at_once(client_for, org):
    response = send(
        client_for("center"), "post", NOTICES, notice_body(org(CENTRE).pk, title=" ", body="")
    )
    data = assert_error(response, 422, "validation_error", "title")
    assert {(e["code"], e["field"]) for e in data["errors"]} == {
        ("required", "title"),
        ("required", "body"),
    }


def test_only_the_centres_staff_and_admins_write_notices(client_for, org):
    before = snapshot()
    for role in ("sme", "coop", "member", "researcher", "supplier", "seller", "creator"):
        response = send(client_for(role), "post", NOTICES, notice_body(org(CENTRE).pk))
        assert_error(response, 403, "forbidden")
    assert_error(
        send(client_for("anonymous"), "post", NOTICES, notice_body(org(CENTRE).pk)),
        401,
        "unauthenticated",
    )
    assert snapshot() == before


def test_patch_changes_only_the_fields_sent(client_for, notice):
    from dure.core.models import AuditEvent

    before = notice(PINNED)
    center = client_for("center")
    data = ok(send(center, "patch", f"{NOTICES}/{before.pk}", {"title": "모집 공고 (수정)"}))
    assert data["title"] == "모집 공고 (수정)"
    after = notice("모집 공고 (수정)")
    assert (after.body, after.category, after.pinned, after.status, after.published_at) == (
        before.body,
        before.category,
        True,
        "published",
        before.published_at,
    )
    logged = AuditEvent.objects.filter(action="portal.notice.update", object_id=str(before.pk))
    assert logged.get().changes == {"title": [PINNED, "모집 공고 (수정)"]}
    # a second field alone; the first change stays
    data = ok(send(center, "patch", f"{NOTICES}/{before.pk}", {"pinned": False}))
    assert (data["title"], data["pinned"], data["category"]) == (
        "모집 공고 (수정)",
        False,
        "recruitment",
    )
    # unpinned, it is listed by its date among the others
    assert titles(send(client_for("anonymous"), "get", NOTICES))[0] == "모집 공고 (수정)"
    assert titles(send(client_for("anonymous"), "get", NOTICES))[1] == DAEJEON_NOTICE
    # an empty PATCH changes nothing and logs nothing
    snap = snapshot()
    assert ok(send(center, "patch", f"{NOTICES}/{before.pk}", {}))["title"] == "모집 공고 (수정)"
    assert snapshot() == snap


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"title": ""}, "required", "title"),
        ({"title": None}, "required", "title"),
        ({"category": None}, "invalid_choice", "category"),  # null is not "left out"
        ({"pinned": None}, "invalid_boolean", "pinned"),
        ({"body": "  "}, "required", "body"),
        ({"category": "news"}, "invalid_choice", "category"),
        ({"publisher_id": 1}, "unknown_field", "publisher_id"),
        ({"status": "archived"}, "unknown_field", "status"),
    ],
)
def test_patch_refusals(client_for, notice, body, code, field):
    pk = notice(PINNED).pk
    before = snapshot()
    assert_error(send(client_for("center"), "patch", f"{NOTICES}/{pk}", body), 422, code, field)
    assert snapshot() == before


def test_a_draft_is_published_archived_and_published_again_with_its_first_date(client_for, notice):
    pk = notice(DRAFT_NOTICE).pk
    center = client_for("center")
    data = ok(send(center, "post", f"{NOTICES}/{pk}/publish"))
    assert data["status"] == "published" and data["published_at"]
    first_date = notice(DRAFT_NOTICE).published_at
    assert abs((timezone.now() - first_date).total_seconds()) < 60
    assert DRAFT_NOTICE in titles(send(client_for("anonymous"), "get", NOTICES))

    before = snapshot()
    assert_error(
        send(center, "post", f"{NOTICES}/{pk}/publish"), 422, "already_published", "status"
    )
    assert snapshot() == before

    assert ok(send(center, "post", f"{NOTICES}/{pk}/archive"))["status"] == "archived"
    assert DRAFT_NOTICE not in titles(send(client_for("anonymous"), "get", NOTICES))
    assert_error(send(client_for("anonymous"), "get", f"{NOTICES}/{pk}"), 404, "not_found")
    # the centre still sees it
    assert titles(send(center, "get", f"{NOTICES}?status=archived")) == [DRAFT_NOTICE]
    before = snapshot()
    assert_error(send(center, "post", f"{NOTICES}/{pk}/archive"), 422, "not_published", "status")
    assert snapshot() == before

    assert ok(send(center, "post", f"{NOTICES}/{pk}/publish"))["status"] == "published"
    assert notice(DRAFT_NOTICE).published_at == first_date


def test_archiving_a_draft_is_refused(client_for, notice):
    pk = notice(DRAFT_NOTICE).pk
    before = snapshot()
    assert_error(
        send(client_for("center"), "post", f"{NOTICES}/{pk}/archive"),
        422,
        "not_published",
        "status",
    )
    assert snapshot() == before


def test_someone_elses_notice_is_a_403_and_another_centres_draft_a_404(
    client_for, notice, daejeon_draft
):
    daejeon = notice(DAEJEON_NOTICE).pk
    center = client_for("center")
    before = snapshot()
    assert_error(send(center, "patch", f"{NOTICES}/{daejeon}", {"title": "x"}), 403, "forbidden")
    assert_error(send(center, "post", f"{NOTICES}/{daejeon}/archive"), 403, "forbidden")
    assert_error(send(center, "post", f"{NOTICES}/{daejeon}/publish"), 403, "forbidden")
    draft = daejeon_draft.pk
    assert_error(send(center, "patch", f"{NOTICES}/{draft}", {"title": "x"}), 404, "not_found")
    assert_error(send(center, "post", f"{NOTICES}/{draft}/publish"), 404, "not_found")
    # a published notice of the centre is a 403 for the public, its draft a 404
    pinned = notice(PINNED).pk
    assert_error(
        send(client_for("sme"), "patch", f"{NOTICES}/{pinned}", {"title": "x"}), 403, "forbidden"
    )
    own_draft = notice(DRAFT_NOTICE).pk
    assert_error(
        send(client_for("sme"), "post", f"{NOTICES}/{own_draft}/publish"), 404, "not_found"
    )
    assert_error(
        send(client_for("anonymous"), "post", f"{NOTICES}/{pinned}/archive"),
        401,
        "unauthenticated",
    )
    assert snapshot() == before
    # the admin handles every centre's notices
    assert ok(send(client_for("admin"), "post", f"{NOTICES}/{draft}/publish"))["status"] == (
        "published"
    )


# --- stories: lists ----------------------------------------------------------------------------


def test_the_public_list_has_only_published_stories_the_latest_first(client_for):
    for role in ("anonymous", "center", "admin", "coop", "sme"):
        assert titles(send(client_for(role), "get", STORIES)) == PUBLIC_STORIES, role
    data = ok(send(client_for("anonymous"), "get", STORIES))
    assert (data["count"], data["page"], data["page_size"]) == (2, 1, 20)
    row = data["results"][1]
    assert (row["support_kind"], row["year"], row["jobs_created"], row["sales_increase"]) == (
        "research",
        2025,
        2,
        150_000_000,
    )
    assert row["subject"]["name"] == HANBIT and row["centre"]["name"] == CENTRE
    assert row["status"] == "published" and row["published_at"]
    assert not {"consent", "history", "can_manage"} & set(row)


def test_stories_filter_by_support_kind_province_and_words(client_for, org):
    from dure.directory.models import Sido

    anonymous = client_for("anonymous")
    assert titles(send(anonymous, "get", f"{STORIES}?support_kind=research")) == [HANBIT_STORY]
    assert titles(send(anonymous, "get", f"{STORIES}?support_kind=technology_transfer")) == [
        FUSION_STORY
    ]
    assert titles(send(anonymous, "get", f"{STORIES}?support_kind=founding")) == []
    gyeongnam = org(HANBIT).sido_id
    assert titles(send(anonymous, "get", f"{STORIES}?sido={gyeongnam}")) == PUBLIC_STORIES
    seoul = Sido.objects.get(name="서울특별시").pk
    assert titles(send(anonymous, "get", f"{STORIES}?sido={seoul}")) == []
    # words in the title, the summary, the body or the organisation's name
    assert titles(send(anonymous, "get", f"{STORIES}?q=부식")) == [HANBIT_STORY]
    assert titles(send(anonymous, "get", f"{STORIES}?q=휴면 특허")) == [FUSION_STORY]
    assert titles(send(anonymous, "get", f"{STORIES}?q=조합원")) == [FUSION_STORY]
    assert titles(send(anonymous, "get", f"{STORIES}?q=부식 특허")) == []
    # not the unpublished ones, even for their centre
    assert titles(send(client_for("center"), "get", f"{STORIES}?q=세리오")) == []
    assert titles(send(anonymous, "get", f"{STORIES}?support_kind=&sido=&q=")) == PUBLIC_STORIES


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("?sido=99", "sido_unknown", "sido"),
        ("?sido=abc", "max_length", "sido"),
        ("?support_kind=charity", "invalid_choice", "support_kind"),
    ],
)
def test_bad_story_filters_are_a_422(client_for, query, code, field):
    assert_error(send(client_for("anonymous"), "get", STORIES + query), 422, code, field)


def test_the_centre_lists_its_stories_in_every_status(client_for, story):
    center = client_for("center")
    data = ok(send(center, "get", f"{STORIES}/managed"))
    assert (data["count"], data["page_size"]) == (4, 20)
    assert sorted(r["title"] for r in data["results"]) == sorted(
        [FUSION_STORY, HANBIT_STORY, SERIO_STORY, DRAFT_STORY]
    )
    assert titles(send(center, "get", f"{STORIES}/managed?status=awaiting")) == [SERIO_STORY]
    assert titles(send(center, "get", f"{STORIES}/managed?status=draft")) == [DRAFT_STORY]
    assert titles(send(center, "get", f"{STORIES}/managed?status=declined")) == []
    # the latest changed first
    ok(send(center, "patch", f"{STORIES}/{story(FUSION_STORY).pk}", {"title": "고친 사례"}))
    assert titles(send(center, "get", f"{STORIES}/managed"))[0] == "고친 사례"
    assert ok(send(client_for("admin"), "get", f"{STORIES}/managed"))["count"] == 4
    assert_error(
        send(center, "get", f"{STORIES}/managed?status=gone"), 422, "invalid_choice", "status"
    )


def test_only_writers_list_the_managed_stories(client_for):
    for role in ("sme", "coop", "member", "researcher", "supplier"):
        assert_error(send(client_for(role), "get", f"{STORIES}/managed"), 403, "forbidden")
    assert_error(send(client_for("anonymous"), "get", f"{STORIES}/managed"), 401, "unauthenticated")


def test_representatives_list_the_stories_sent_to_them_awaiting_first(client_for, story, users):
    from dure.portal import services

    coop = ok(send(client_for("coop"), "get", f"{STORIES}/consents"))
    assert [(r["title"], r["status"]) for r in coop] == [(SERIO_STORY, "awaiting")]
    assert [r["title"] for r in ok(send(client_for("sme"), "get", f"{STORIES}/consents"))] == [
        HANBIT_STORY
    ]
    # 우리밀협동조합's representative: nothing asked of them
    assert ok(send(client_for("supplier"), "get", f"{STORIES}/consents")) == []
    # an answered one comes after the one still awaiting
    made = services.story_create(
        actor=users["center"],
        centre=story(SERIO_STORY).centre,
        data={
            "subject": story(SERIO_STORY).subject_id,
            "support_kind": "education",
            "year": 2024,
            "title": "세리오 두 번째 사례",
            "summary": "요약",
            "body": "내용",
        },
    )
    services.story_request_consent(actor=users["center"], story=made)
    services.story_decline(actor=users["coop"], story=made, reason="아직 이릅니다")
    coop = ok(send(client_for("coop"), "get", f"{STORIES}/consents"))
    assert [(r["title"], r["status"]) for r in coop] == [
        (SERIO_STORY, "awaiting"),
        ("세리오 두 번째 사례", "declined"),
    ]


def test_only_representatives_list_stories_for_consent(client_for):
    # an ordinary member of 세리오협동조합 does not answer for it
    for role in ("member", "center", "admin", "researcher", "seller", "creator"):
        assert_error(send(client_for(role), "get", f"{STORIES}/consents"), 403, "forbidden")
    assert_error(
        send(client_for("anonymous"), "get", f"{STORIES}/consents"), 401, "unauthenticated"
    )


# --- stories: detail ---------------------------------------------------------------------------


def test_the_consent_and_history_are_shown_only_to_the_centre_and_the_organisation(
    client_for, story
):
    pk = story(HANBIT_STORY).pk
    for role in ("anonymous", "researcher", "coop", "member"):
        data = ok(send(client_for(role), "get", f"{STORIES}/{pk}"))
        assert (data["consent"], data["history"]) == (None, []), role
        assert (data["can_manage"], data["represents"]) == (False, False), role
    data = ok(send(client_for("center"), "get", f"{STORIES}/{pk}"))
    assert (data["can_manage"], data["represents"]) == (True, False)
    assert data["consent"]["method"] == "platform" and data["consent"]["at"]
    assert steps(data) == [
        (None, "draft"),
        ("draft", "awaiting"),
        ("awaiting", "approved"),
        ("approved", "published"),
    ]
    data = ok(send(client_for("sme"), "get", f"{STORIES}/{pk}"))
    assert (data["can_manage"], data["represents"]) == (False, True)
    assert data["consent"]["method"] == "platform" and len(data["history"]) == 4
    written = ok(send(client_for("admin"), "get", f"{STORIES}/{story(FUSION_STORY).pk}"))
    assert written["consent"] == {
        **written["consent"],
        "method": "written",
        "note": "2025-11-03 이사장 서명 동의서 (스캔본 보관)",
    }


def test_a_story_is_seen_before_publication_by_its_centre_and_once_asked_by_its_organisation(
    client_for, story
):
    awaiting = story(SERIO_STORY).pk
    data = ok(send(client_for("coop"), "get", f"{STORIES}/{awaiting}"))
    assert (data["status"], data["represents"], data["consent"]) == ("awaiting", True, None)
    assert steps(data) == [(None, "draft"), ("draft", "awaiting")]
    for role in ("anonymous", "member", "sme", "researcher"):
        assert_error(send(client_for(role), "get", f"{STORIES}/{awaiting}"), 404, "not_found")
    draft = story(DRAFT_STORY).pk
    assert ok(send(client_for("center"), "get", f"{STORIES}/{draft}"))["status"] == "draft"
    for role in ("anonymous", "coop", "sme"):
        assert_error(send(client_for(role), "get", f"{STORIES}/{draft}"), 404, "not_found")


# --- stories: writing --------------------------------------------------------------------------


def test_the_centre_writes_a_draft_story(client_for, org, users):
    from dure.core.models import AuditEvent
    from dure.portal.models import Story

    body = story_body(org(CENTRE).pk, org(SERIO).pk)
    data = ok(send(client_for("center"), "post", STORIES, body), 201)
    assert (data["status"], data["support_kind"], data["year"], data["published_at"]) == (
        "draft",
        "education",
        2025,
        None,
    )
    assert (data["jobs_created"], data["sales_increase"]) == (3, 50_000_000)
    assert data["centre"] == {"id": org(CENTRE).pk, "name": CENTRE}
    assert data["subject"] == {"id": org(SERIO).pk, "name": SERIO}
    assert (data["can_manage"], data["represents"], data["consent"]) == (True, False, None)
    assert steps(data) == [(None, "draft")]
    made = Story.objects.get(pk=data["id"])
    assert made.created_by == users["center"]
    assert AuditEvent.objects.filter(action="portal.story.create", object_id=str(made.pk)).exists()
    # a draft: nobody else sees it, not even the organisation
    assert_error(send(client_for("coop"), "get", f"{STORIES}/{made.pk}"), 404, "not_found")
    assert made.title not in titles(send(client_for("anonymous"), "get", STORIES))


def test_a_story_without_figures_has_none(client_for, org):
    body = story_body(org(CENTRE).pk, org(HANBIT).pk, jobs_created=..., sales_increase=None)
    data = ok(send(client_for("admin"), "post", STORIES, body), 201)
    assert (data["jobs_created"], data["sales_increase"]) == (None, None)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"subject_id": "centre"}, "subject_unknown", "subject_id"),
        ({"subject_id": 999_999_999}, "subject_unknown", "subject_id"),
        ({"centre_id": "daejeon"}, "centre_unknown", "centre_id"),
        ({"centre_id": "hanbit"}, "centre_unknown", "centre_id"),
        ({"year": 1999}, "out_of_range", "year"),
        ({"year": 2999}, "out_of_range", "year"),
        ({"year": -5}, "out_of_range", "year"),
        ({"jobs_created": -1}, "out_of_range", "jobs_created"),
        ({"jobs_created": 100_001}, "out_of_range", "jobs_created"),
        ({"sales_increase": 10**13 + 1}, "out_of_range", "sales_increase"),
        ({"title": "  "}, "required", "title"),
        ({"summary": ""}, "required", "summary"),
        ({"body": "대표 주민번호 900101-1234567"}, "resident_number", "body"),
    ],
)
def test_the_services_story_refusals_are_422_with_the_api_field_names(
    client_for, org, changes, code, field
):
    named = {"centre": CENTRE, "daejeon": DAEJEON_CENTRE, "hanbit": HANBIT}
    changes = {k: org(named[v]).pk if v in named else v for k, v in changes.items()}
    before = snapshot()
    response = send(
        client_for("center"), "post", STORIES, story_body(org(CENTRE).pk, org(SERIO).pk, **changes)
    )
    assert_error(response, 422, code, field)
    assert snapshot() == before


@pytest.mark.parametrize("year", ["next", 1999, -5])
def test_a_support_year_out_of_range_names_the_year_range(client_for, org, year):
    """A year after this one, or before 2000, gets the same message: the years, ungrouped."""
    this_year = timezone.localdate().year
    year = this_year + 1 if year == "next" else year
    response = send(
        client_for("center"), "post", STORIES, story_body(org(CENTRE).pk, org(SERIO).pk, year=year)
    )
    data = assert_error(response, 422, "out_of_range", "year")
    assert data["message"] == f"2000 이상 {this_year} 이하로 입력해 주세요.", data


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"centre_id": ...}, "required", "centre_id"),
        ({"subject_id": ...}, "required", "subject_id"),
        ({"subject_id": 0}, "min_value", "subject_id"),
        ({"support_kind": "charity"}, "invalid_choice", "support_kind"),
        ({"support_kind": ...}, "required", "support_kind"),
        ({"year": "작년"}, "invalid_integer", "year"),
        ({"year": 10**16}, "max_value", "year"),
        ({"summary": "가" * 301}, "max_length", "summary"),
        ({"status": "published"}, "unknown_field", "status"),
        ({"subject": 1}, "unknown_field", "subject"),
    ],
)
def test_bad_story_input_is_refused_before_the_service(client_for, org, changes, code, field):
    before = snapshot()
    response = send(
        client_for("center"), "post", STORIES, story_body(org(CENTRE).pk, org(SERIO).pk, **changes)
    )
    assert_error(response, 422, code, field)
    assert snapshot() == before


def test_only_the_centres_staff_and_admins_write_stories(client_for, org):
    body = story_body(org(CENTRE).pk, org(SERIO).pk)
    before = snapshot()
    for role in ("coop", "sme", "member", "researcher", "supplier"):
        assert_error(send(client_for(role), "post", STORIES, body), 403, "forbidden")
    assert_error(send(client_for("anonymous"), "post", STORIES, body), 401, "unauthenticated")
    assert snapshot() == before


def test_changing_a_published_story_takes_it_back_to_a_draft_and_off_the_portal(
    client_for, story, users
):
    from dure.core.models import AuditEvent

    pk, summary = story(HANBIT_STORY).pk, story(HANBIT_STORY).summary
    center = client_for("center")
    data = ok(send(center, "patch", f"{STORIES}/{pk}", {"summary": "요약을 고쳤습니다."}))
    assert (data["status"], data["published_at"], data["consent"]) == ("draft", None, None)
    assert data["summary"] == "요약을 고쳤습니다."
    assert (data["title"], data["year"], data["jobs_created"]) == (HANBIT_STORY, 2025, 2)
    assert data["history"][-1] == {
        **data["history"][-1],
        "from_status": "published",
        "to_status": "draft",
        "note": "내용이 바뀌어 동의를 다시 받아야 합니다.",
    }
    changed = story(HANBIT_STORY)
    assert (changed.consent_method, changed.consent_by, changed.consent_at) == ("", None, None)
    assert titles(send(client_for("anonymous"), "get", STORIES)) == [FUSION_STORY]
    assert_error(send(client_for("anonymous"), "get", f"{STORIES}/{pk}"), 404, "not_found")
    # a draft again: its organisation no longer sees it until asked again
    assert_error(send(client_for("sme"), "get", f"{STORIES}/{pk}"), 404, "not_found")
    logged = AuditEvent.objects.get(action="portal.story.update", object_id=str(pk))
    assert logged.changes == {"summary": [summary, "요약을 고쳤습니다."]}
    assert logged.actor == users["center"]


def test_a_patch_that_changes_nothing_keeps_the_story_published(client_for, story):
    pk = story(HANBIT_STORY).pk
    before = snapshot()
    data = ok(send(client_for("center"), "patch", f"{STORIES}/{pk}", {"title": HANBIT_STORY}))
    assert data["status"] == "published"
    assert ok(send(client_for("center"), "patch", f"{STORIES}/{pk}", {}))["status"] == "published"
    assert snapshot() == before


def test_patch_changes_only_the_fields_sent_and_null_clears_a_figure(client_for, story, org):
    pk = story(DRAFT_STORY).pk
    center = client_for("center")
    data = ok(send(center, "patch", f"{STORIES}/{pk}", {"jobs_created": 4, "year": 2025}))
    assert (data["jobs_created"], data["year"], data["sales_increase"]) == (4, 2025, None)
    assert (data["title"], data["support_kind"], data["subject"]["name"]) == (
        DRAFT_STORY,
        "market",
        "미래회로설계",
    )
    data = ok(send(center, "patch", f"{STORIES}/{pk}", {"jobs_created": None}))
    assert (data["jobs_created"], data["year"]) == (None, 2025)
    data = ok(send(center, "patch", f"{STORIES}/{pk}", {"subject_id": org(SERIO).pk}))
    assert data["subject"]["name"] == SERIO and data["status"] == "draft"
    # a draft stays a draft: no event for a change of a draft
    assert steps(data) == [(None, "draft")]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"subject_id": "centre"}, "subject_unknown", "subject_id"),
        ({"year": None}, "required", "year"),
        ({"title": ""}, "required", "title"),
        ({"support_kind": None}, "invalid_choice", "support_kind"),
        ({"year": 1999}, "out_of_range", "year"),
        ({"centre_id": 1}, "unknown_field", "centre_id"),
        ({"status": "draft"}, "unknown_field", "status"),
    ],
)
def test_story_patch_refusals(client_for, story, org, body, code, field):
    if body.get("subject_id") == "centre":
        body = {"subject_id": org(CENTRE).pk}
    pk = story(HANBIT_STORY).pk
    before = snapshot()
    assert_error(send(client_for("center"), "patch", f"{STORIES}/{pk}", body), 422, code, field)
    assert snapshot() == before


# --- stories: consent --------------------------------------------------------------------------


def test_the_whole_consent_flow_through_the_api(
    client_for, org, users, mailoutbox, django_capture_on_commit_callbacks
):
    from dure.core.models import AuditEvent

    center, coop = client_for("center"), client_for("coop")
    made = ok(send(center, "post", STORIES, story_body(org(CENTRE).pk, org(SERIO).pk)), 201)
    pk, title = made["id"], made["title"]
    url = f"{STORIES}/{pk}"

    # the centre asks; 세리오's chair is e-mailed and sees it, its ordinary member does not
    with django_capture_on_commit_callbacks(execute=True):
        data = ok(send(center, "post", f"{url}/request-consent"))
    assert (data["status"], data["consent"]) == ("awaiting", None)
    assert [m.to for m in mailoutbox] == [["coop@dure.example"]]
    assert title in [r["title"] for r in ok(send(coop, "get", f"{STORIES}/consents"))]
    assert_error(send(client_for("member"), "get", url), 404, "not_found")

    # the chair agrees; the centre hears of it
    with django_capture_on_commit_callbacks(execute=True):
        data = ok(send(coop, "post", f"{url}/consent"))
    assert (data["status"], data["represents"], data["can_manage"]) == ("approved", True, False)
    assert data["consent"] == {**data["consent"], "method": "platform", "note": ""}
    assert data["consent"]["at"]
    assert mailoutbox[-1].to == ["center@dure.example"]
    assert title not in titles(send(client_for("anonymous"), "get", STORIES))

    # the centre publishes
    data = ok(send(center, "post", f"{url}/publish"))
    assert data["status"] == "published" and data["published_at"]
    assert titles(send(client_for("anonymous"), "get", STORIES))[0] == title
    public = ok(send(client_for("anonymous"), "get", url))
    assert (public["status"], public["consent"], public["history"]) == ("published", None, [])
    unrelated = ok(send(client_for("researcher"), "get", url))
    assert (unrelated["consent"], unrelated["history"]) == (None, [])
    assert (unrelated["can_manage"], unrelated["represents"]) == (False, False)

    # takes it down (the consent stays) and puts it up again
    data = ok(send(center, "post", f"{url}/unpublish", {"reason": "사진 교체"}))
    assert (data["status"], data["published_at"]) == ("approved", None)
    assert data["consent"]["method"] == "platform"
    assert title not in titles(send(client_for("anonymous"), "get", STORIES))
    assert_error(send(client_for("anonymous"), "get", url), 404, "not_found")
    assert ok(send(center, "post", f"{url}/publish"))["status"] == "published"
    assert title in titles(send(client_for("anonymous"), "get", STORIES))

    # the chair withdraws: down at once, the consent gone
    data = ok(send(coop, "post", f"{url}/withdraw", {"reason": "사업 방향이 바뀌었습니다"}))
    assert (data["status"], data["published_at"], data["consent"]) == ("withdrawn", None, None)
    assert title not in titles(send(client_for("anonymous"), "get", STORIES))
    assert_error(send(client_for("anonymous"), "get", url), 404, "not_found")

    data = ok(send(center, "get", url))
    assert [(e["from_status"], e["to_status"], e["note"]) for e in data["history"]] == [
        (None, "draft", ""),
        ("draft", "awaiting", ""),
        ("awaiting", "approved", ""),
        ("approved", "published", ""),
        ("published", "approved", "사진 교체"),
        ("approved", "published", ""),
        ("published", "withdrawn", "사업 방향이 바뀌었습니다"),
    ]
    assert all(e["at"] for e in data["history"])
    assert ok(send(coop, "get", url))["history"] == data["history"]
    actions = list(
        AuditEvent.objects.filter(object_type="portal.story", object_id=str(pk))
        .order_by("id")
        .values_list("action", "actor__username")
    )
    assert actions == [
        ("portal.story.create", "center"),
        ("portal.story.awaiting", "center"),
        ("portal.story.approved", "coop"),
        ("portal.story.published", "center"),
        ("portal.story.approved", "center"),
        ("portal.story.published", "center"),
        ("portal.story.withdrawn", "coop"),
    ]
    # a withdrawn story may be sent again
    assert ok(send(center, "post", f"{url}/request-consent"))["status"] == "awaiting"


def test_a_consent_given_in_writing_is_recorded_by_the_centre_with_a_note(client_for, story):
    pk = story(SERIO_STORY).pk
    center = client_for("center")
    before = snapshot()
    assert_error(
        send(center, "post", f"{STORIES}/{pk}/written-consent", {"note": "   "}),
        422,
        "required",
        "note",
    )
    assert_error(
        send(center, "post", f"{STORIES}/{pk}/written-consent", {}), 422, "required", "note"
    )
    assert_error(
        send(center, "post", f"{STORIES}/{pk}/written-consent", {"note": "가" * 301}),
        422,
        "max_length",
        "note",
    )
    assert snapshot() == before
    note = "2026-01-05 이사장 서명 동의서 접수"
    data = ok(send(center, "post", f"{STORIES}/{pk}/written-consent", {"note": note}))
    assert data["status"] == "approved"
    assert data["consent"] == {**data["consent"], "method": "written", "note": note}
    assert data["history"][-1] == {
        **data["history"][-1],
        "from_status": "awaiting",
        "to_status": "approved",
        "note": note,
    }
    # the organisation sees how its consent was recorded
    assert ok(send(client_for("coop"), "get", f"{STORIES}/{pk}"))["consent"]["method"] == "written"
    # recorded once: a second time the status does not allow it
    before = snapshot()
    assert_error(
        send(center, "post", f"{STORIES}/{pk}/written-consent", {"note": note}),
        422,
        "transition_invalid",
        "status",
    )
    assert snapshot() == before


def test_the_organisation_declines_with_a_reason_and_the_centre_may_ask_again(client_for, story):
    pk = story(SERIO_STORY).pk
    data = ok(
        send(client_for("coop"), "post", f"{STORIES}/{pk}/decline", {"reason": "아직 이릅니다"})
    )
    assert (data["status"], data["consent"]) == ("declined", None)
    assert data["history"][-1]["note"] == "아직 이릅니다"
    center = client_for("center")
    before = snapshot()
    assert_error(
        send(center, "post", f"{STORIES}/{pk}/publish"), 422, "transition_invalid", "status"
    )
    assert snapshot() == before
    assert ok(send(center, "post", f"{STORIES}/{pk}/request-consent"))["status"] == "awaiting"
    assert ok(send(client_for("coop"), "post", f"{STORIES}/{pk}/decline", {}))["status"] == (
        "declined"
    )


@pytest.mark.parametrize(
    ("title", "role", "action", "body"),
    [
        (DRAFT_STORY, "center", "publish", None),
        (SERIO_STORY, "center", "publish", None),
        (SERIO_STORY, "center", "request-consent", None),
        (SERIO_STORY, "center", "unpublish", {}),
        (DRAFT_STORY, "center", "unpublish", {}),
        (DRAFT_STORY, "center", "written-consent", {"note": "서명본"}),
        (HANBIT_STORY, "center", "publish", None),
        (HANBIT_STORY, "center", "request-consent", None),
        (HANBIT_STORY, "sme", "consent", None),
        (HANBIT_STORY, "sme", "decline", {}),
        (SERIO_STORY, "coop", "withdraw", {}),
    ],
)
def test_a_step_the_status_does_not_allow_is_a_422(client_for, story, title, role, action, body):
    pk = story(title).pk
    before = snapshot()
    response = send(client_for(role), "post", f"{STORIES}/{pk}/{action}", body)
    data = assert_error(response, 422, "transition_invalid", "status")
    assert "상태의 사례는" in data["message"]
    assert snapshot() == before


def test_the_transition_message_names_both_statuses(client_for, story):
    pk = story(DRAFT_STORY).pk
    data = assert_error(
        send(client_for("center"), "post", f"{STORIES}/{pk}/publish"),
        422,
        "transition_invalid",
        "status",
    )
    assert data["message"] == "'작성 중' 상태의 사례는 '게시 중'(으)로 바꿀 수 없습니다."


def test_who_may_take_which_step(client_for, story):
    awaiting = story(SERIO_STORY).pk
    published = story(HANBIT_STORY).pk
    before = snapshot()
    # the centre does not answer for the organisation, nor the admin
    for role in ("center", "admin"):
        client = client_for(role)
        assert_error(send(client, "post", f"{STORIES}/{awaiting}/consent"), 403, "forbidden")
        assert_error(send(client, "post", f"{STORIES}/{awaiting}/decline", {}), 403, "forbidden")
        assert_error(send(client, "post", f"{STORIES}/{published}/withdraw", {}), 403, "forbidden")
    # the organisation does not publish, change or record consents
    coop = client_for("coop")
    assert_error(send(coop, "post", f"{STORIES}/{awaiting}/publish"), 403, "forbidden")
    assert_error(send(coop, "patch", f"{STORIES}/{awaiting}", {"title": "x"}), 403, "forbidden")
    assert_error(
        send(coop, "post", f"{STORIES}/{awaiting}/written-consent", {"note": "x"}), 403, "forbidden"
    )
    sme = client_for("sme")
    assert_error(send(sme, "post", f"{STORIES}/{published}/unpublish", {}), 403, "forbidden")
    # an ordinary member does not see a story awaiting an answer, let alone answer it
    assert_error(
        send(client_for("member"), "post", f"{STORIES}/{awaiting}/consent"), 404, "not_found"
    )
    # a representative of another organisation
    assert_error(send(sme, "post", f"{STORIES}/{awaiting}/consent"), 404, "not_found")
    assert_error(send(coop, "post", f"{STORIES}/{published}/withdraw", {}), 403, "forbidden")
    assert_error(
        send(client_for("anonymous"), "post", f"{STORIES}/{awaiting}/consent"),
        401,
        "unauthenticated",
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("action", "body", "code", "field"),
    [
        ("decline", {"why": "x"}, "unknown_field", "why"),
        ("decline", {"reason": "가" * 301}, "max_length", "reason"),
        ("decline", {"reason": "주민번호 900101-1234567"}, "resident_number", "reason"),
        ("written-consent", {"note": "x", "method": "written"}, "unknown_field", "method"),
        ("written-consent", {"note": None}, "invalid_string", "note"),
    ],
)
def test_bad_step_bodies_are_a_422(client_for, story, action, body, code, field):
    pk = story(SERIO_STORY).pk
    role = "coop" if action == "decline" else "center"
    before = snapshot()
    response = send(client_for(role), "post", f"{STORIES}/{pk}/{action}", body)
    assert_error(response, 422, code, field)
    assert snapshot() == before


def test_a_step_with_a_body_needs_a_json_object(client_for, story):
    pk = story(SERIO_STORY).pk
    before = snapshot()
    empty = client_for("coop").post(
        f"/api/v1{STORIES}/{pk}/decline", data="", content_type="application/json"
    )
    assert_error(empty, 422, "invalid_object")
    malformed = send(client_for("coop"), "post", f"{STORIES}/{pk}/decline", "{not json")
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"
    assert snapshot() == before


# --- language, auth and schema -----------------------------------------------------------------

EN = {"Accept-Language": "en"}


def test_english_callers_get_english_messages(client_for, story, org):
    response = send(client_for("anonymous"), "get", f"{STORIES}?sido=99", headers=EN)
    assert response.status_code == 422
    assert response.json() == {
        **response.json(),
        "code": "sido_unknown",
        "field": "sido",
        "message": "Unknown province/city code.",
    }
    pk = story(SERIO_STORY).pk
    response = send(client_for("coop"), "post", f"{STORIES}/{pk}/decline", {"x": 1}, headers=EN)
    assert (response.status_code, response.json()["message"]) == (422, "Unknown field.")
    response = send(client_for("anonymous"), "post", NOTICES, notice_body(1), headers=EN)
    assert response.status_code == 401
    assert not HANGUL.search(response.json()["message"])


def test_the_portals_own_refusals_are_in_english_too(client_for, story, org):
    pk = story(DRAFT_STORY).pk
    response = send(client_for("center"), "post", f"{STORIES}/{pk}/publish", headers=EN)
    assert response.json()["code"] == "transition_invalid"
    assert response.json()["message"] == "A story in 'Draft' cannot go to 'Published'."
    response = send(
        client_for("center"),
        "post",
        STORIES,
        story_body(org(CENTRE).pk, org(CENTRE).pk),
        headers=EN,
    )
    assert (response.json()["code"], response.json()["field"]) == ("subject_unknown", "subject_id")
    assert not HANGUL.search(response.json()["message"]), response.json()


def test_a_personal_token_writes_without_csrf_and_a_session_write_needs_it(users, story):
    from django.test import Client

    from dure.accounts.services import api_token_create

    _token, secret = api_token_create(user=users["coop"], name="portal")
    pk = story(SERIO_STORY).pk
    session = Client(enforce_csrf_checks=True)
    session.force_login(users["coop"])
    assert_error(send(session, "post", f"{STORIES}/{pk}/consent"), 403, "csrf_failed")
    assert story(SERIO_STORY).status == "awaiting"
    token_client = Client(enforce_csrf_checks=True)
    response = send(
        token_client,
        "post",
        f"{STORIES}/{pk}/consent",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200, response.content.decode()
    assert story(SERIO_STORY).status == "approved"
    # a bad token is refused even on a public read
    response = send(Client(), "get", STORIES, headers={"Authorization": "Bearer dure_nonsense"})
    assert_error(response, 401, "invalid_token")


def test_openapi_documents_the_portal_operations(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    base = "/api/v1/portal"
    assert {} in paths[f"{base}/notices"]["get"]["security"]  # public read
    assert {} in paths[f"{base}/stories/{{id}}"]["get"]["security"]
    assert {} not in paths[f"{base}/stories/managed"]["get"].get("security", [{"x": []}])
    assert paths[f"{base}/notices"]["get"]["tags"] == ["portal"]
    assert {"201", "401", "403", "422"} <= set(paths[f"{base}/stories"]["post"]["responses"])
    assert {"200", "401", "403", "404", "422"} <= set(
        paths[f"{base}/stories/{{id}}/consent"]["post"]["responses"]
    )
    detail = schema["components"]["schemas"]["StoryDetailOut"]["properties"]
    assert {"consent", "history", "can_manage", "represents"} <= set(detail)
    listed = schema["components"]["schemas"]["StoryOut"]["properties"]
    assert not {"consent", "history"} & set(listed)
