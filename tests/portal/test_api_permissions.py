"""Who may call what in the portal API: every /api/v1/portal operation of the OpenAPI schema ×
every demo role (and anonymous), with the exact status; refused calls change nothing.

The same rules as the pages: published notices and stories are public (anonymous included);
a centre's staff (``center`` at 과학기술인협동조합지원센터) and platform admins (``admin``, for
every centre) write, publish and take down the centre's notices and stories and see them in
every state; a story is seen, once its organisation was asked, by that organisation's
representatives (``sme`` for 한빛정밀, ``coop`` — the chair — for 세리오협동조합; not ``member``,
an ordinary member), who alone agree, decline or withdraw. Something a caller may not see is a
404, something they may see but not do a 403, a write without credentials a 401, a step the
status does not allow a 422. ``world`` adds a draft notice of the Daejeon centre (which no demo
user but ``admin`` runs) and a story about 세리오협동조합 its chair agreed to (approved).
``test_every_portal_operation_has_an_entry`` fails when an endpoint has no entry.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from api.api_helpers import API, ROLES, expect, send
from api.api_helpers import ApiCase as Case

from .test_api import (
    CENTRE,
    DAEJEON_CENTRE,
    DAEJEON_NOTICE,
    DRAFT_NOTICE,
    DRAFT_STORY,
    HANBIT_STORY,
    PINNED,
    SERIO,
    SERIO_STORY,
)

pytestmark = pytest.mark.django_db

MANAGERS = {"admin", "center"}  # write the centre's notices and stories
REPRESENTATIVES = {"sme", "coop", "supplier"}  # answer for an organisation (any)
NEW_TITLE = "권한 시험 제목"


@pytest.fixture
def world(users, org):
    from dure.portal import services
    from dure.portal.models import Notice, Story

    notices = {
        n.title: n for n in Notice.objects.filter(title__in=[PINNED, DRAFT_NOTICE, DAEJEON_NOTICE])
    }
    stories = {
        s.title: s for s in Story.objects.filter(title__in=[HANBIT_STORY, SERIO_STORY, DRAFT_STORY])
    }
    daejeon_draft = services.notice_create(
        actor=users["admin"],
        publisher=org(DAEJEON_CENTRE),
        data={"title": "권한 시험 대전 공지", "body": "초안"},
    )
    approved = services.story_create(
        actor=users["center"],
        centre=org(CENTRE),
        data={
            "subject": org(SERIO).pk,
            "support_kind": "education",
            "year": 2025,
            "title": "권한 시험 동의 받은 사례",
            "summary": "요약",
            "body": "내용",
        },
    )
    services.story_request_consent(actor=users["center"], story=approved)
    approved = services.story_consent(actor=users["coop"], story=approved)
    assert approved.status == "approved"
    return SimpleNamespace(
        users=users,
        centre=org(CENTRE),
        daejeon=org(DAEJEON_CENTRE),
        serio=org(SERIO),
        pinned=notices[PINNED],
        draft_notice=notices[DRAFT_NOTICE],
        daejeon_notice=notices[DAEJEON_NOTICE],
        daejeon_draft=daejeon_draft,
        published=stories[HANBIT_STORY],
        awaiting=stories[SERIO_STORY],
        draft=stories[DRAFT_STORY],
        approved=approved,
    )


def portal_state() -> tuple:
    """Every notice, story and story event, and the audit log's length (other than logins):
    what a refused call, or a read, must leave as it was."""
    from dure.core.models import AuditEvent
    from dure.portal.models import Notice, Story, StoryEvent

    return (
        list(Notice.objects.order_by("pk").values()),
        list(Story.objects.order_by("pk").values()),
        list(StoryEvent.objects.order_by("pk").values()),
        AuditEvent.objects.exclude(action__startswith="auth.").count(),
    )


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def status_is(attr: str, status: str):
    def check(w, role):
        return fresh(getattr(w, attr)).status == status

    return check


def titled(attr: str):
    def check(w, role):
        return fresh(getattr(w, attr)).title == NEW_TITLE

    return check


def notice_body(attr: str):
    def body(w, role) -> dict[str, Any]:
        return {"publisher_id": getattr(w, attr).pk, "title": NEW_TITLE, "body": "권한 시험"}

    return body


def notice_made(attr: str):
    def check(w, role):
        return getattr(w, attr).notices.filter(title=NEW_TITLE, created_by=w.users[role]).exists()

    return check


def story_body(w, role) -> dict[str, Any]:
    return {
        "centre_id": w.centre.pk,
        "subject_id": w.serio.pk,
        "support_kind": "founding",
        "year": 2024,
        "title": NEW_TITLE,
        "summary": "권한 시험",
        "body": "권한 시험",
    }


def new_title(w, role) -> dict[str, Any]:
    return {"title": NEW_TITLE}


def reason(w, role) -> dict[str, Any]:
    return {"reason": "권한 시험"}


def note(w, role) -> dict[str, Any]:
    return {"note": "권한 시험 서면 동의서"}


def written(w, role) -> bool:
    story = fresh(w.awaiting)
    return (story.status, story.consent_method) == ("approved", "written")


ALL = expect(200)
WRITERS = expect(403, anonymous=401, yes=(MANAGERS, 200))


def hidden(yes: int = 200, *, who: set[str] = MANAGERS, **groups: Any) -> dict[str, int]:
    """Something only ``who`` (and the groups) may see: everybody else gets a 404, anonymous a
    401 (a write)."""
    return expect(404, anonymous=401, yes=(who, yes), **groups)


MATRIX = [
    # --- notices
    Case("GET", "/portal/notices", ALL),
    Case(
        "GET",
        "/portal/notices",
        ALL,
        query="?status=draft&category=notice&q=일정&page_size=5",
        label="filters",
    ),
    Case(
        "POST",
        "/portal/notices",
        expect(403, anonymous=401, yes=(MANAGERS, 201)),
        body=notice_body("centre"),
        effect=notice_made("centre"),
    ),
    Case(
        "POST",
        "/portal/notices",
        expect(403, anonymous=401, yes=({"admin"}, 201), refused=({"center"}, 422)),
        body=notice_body("daejeon"),
        effect=notice_made("daejeon"),
        label="another centre's (center: 422)",
    ),
    Case("GET", "/portal/notices/{id}", ALL, target=lambda w: w.pinned.pk, label="published"),
    Case(
        "GET",
        "/portal/notices/{id}",
        expect(404, yes=(MANAGERS, 200)),
        target=lambda w: w.draft_notice.pk,
        label="draft",
    ),
    Case(
        "GET",
        "/portal/notices/{id}",
        expect(404, yes=({"admin"}, 200)),
        target=lambda w: w.daejeon_draft.pk,
        label="another centre's draft",
    ),
    Case(
        "PATCH",
        "/portal/notices/{id}",
        WRITERS,
        target=lambda w: w.pinned.pk,
        body=new_title,
        effect=titled("pinned"),
        label="published",
    ),
    Case(
        "PATCH",
        "/portal/notices/{id}",
        hidden(),
        target=lambda w: w.draft_notice.pk,
        body=new_title,
        effect=titled("draft_notice"),
        label="draft",
    ),
    Case(
        "PATCH",
        "/portal/notices/{id}",
        expect(403, anonymous=401, yes=({"admin"}, 200)),
        target=lambda w: w.daejeon_notice.pk,
        body=new_title,
        effect=titled("daejeon_notice"),
        label="another centre's",
    ),
    Case(
        "PATCH",
        "/portal/notices/{id}",
        hidden(who={"admin"}),
        target=lambda w: w.daejeon_draft.pk,
        body=new_title,
        effect=titled("daejeon_draft"),
        label="another centre's draft",
    ),
    Case(
        "POST",
        "/portal/notices/{id}/publish",
        hidden(),
        target=lambda w: w.draft_notice.pk,
        effect=status_is("draft_notice", "published"),
        label="draft",
    ),
    Case(
        "POST",
        "/portal/notices/{id}/publish",
        expect(403, anonymous=401, yes=(MANAGERS, 422)),
        target=lambda w: w.pinned.pk,
        label="published (422 for its writers)",
    ),
    Case(
        "POST",
        "/portal/notices/{id}/publish",
        hidden(who={"admin"}),
        target=lambda w: w.daejeon_draft.pk,
        effect=status_is("daejeon_draft", "published"),
        label="another centre's draft",
    ),
    Case(
        "POST",
        "/portal/notices/{id}/archive",
        WRITERS,
        target=lambda w: w.pinned.pk,
        effect=status_is("pinned", "archived"),
        label="published",
    ),
    Case(
        "POST",
        "/portal/notices/{id}/archive",
        hidden(422),
        target=lambda w: w.draft_notice.pk,
        label="draft (422 for its writers)",
    ),
    Case(
        "POST",
        "/portal/notices/{id}/archive",
        expect(403, anonymous=401, yes=({"admin"}, 200)),
        target=lambda w: w.daejeon_notice.pk,
        effect=status_is("daejeon_notice", "archived"),
        label="another centre's",
    ),
    # --- stories: lists
    Case("GET", "/portal/stories", ALL),
    Case("GET", "/portal/stories", ALL, query="?support_kind=research&q=부식", label="filters"),
    Case("GET", "/portal/stories/managed", WRITERS),
    Case(
        "GET",
        "/portal/stories/managed",
        WRITERS,
        query="?status=awaiting&page_size=5",
        label="status",
    ),
    Case("GET", "/portal/stories/consents", expect(403, anonymous=401, yes=(REPRESENTATIVES, 200))),
    # --- stories: writing
    Case(
        "POST",
        "/portal/stories",
        expect(403, anonymous=401, yes=(MANAGERS, 201)),
        body=story_body,
        effect=lambda w, role: w.centre.stories_written.filter(
            title=NEW_TITLE, created_by=w.users[role], status="draft"
        ).exists(),
    ),
    Case("GET", "/portal/stories/{id}", ALL, target=lambda w: w.published.pk, label="published"),
    Case(
        "GET",
        "/portal/stories/{id}",
        expect(404, yes=(MANAGERS | {"coop"}, 200)),
        target=lambda w: w.awaiting.pk,
        label="awaiting",
    ),
    Case(
        "GET",
        "/portal/stories/{id}",
        expect(404, yes=(MANAGERS, 200)),
        target=lambda w: w.draft.pk,
        label="draft",
    ),
    Case(
        "PATCH",
        "/portal/stories/{id}",
        WRITERS,
        target=lambda w: w.published.pk,
        body=new_title,
        effect=lambda w, role: (
            (fresh(w.published).title, fresh(w.published).status) == (NEW_TITLE, "draft")
        ),
        label="published",
    ),
    Case(
        "PATCH",
        "/portal/stories/{id}",
        hidden(rep=({"coop"}, 403)),
        target=lambda w: w.awaiting.pk,
        body=new_title,
        effect=titled("awaiting"),
        label="awaiting",
    ),
    Case(
        "PATCH",
        "/portal/stories/{id}",
        hidden(),
        target=lambda w: w.draft.pk,
        body=new_title,
        effect=titled("draft"),
        label="draft",
    ),
    # --- stories: consent
    Case(
        "POST",
        "/portal/stories/{id}/request-consent",
        hidden(),
        target=lambda w: w.draft.pk,
        effect=status_is("draft", "awaiting"),
        label="draft",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/request-consent",
        expect(403, anonymous=401, yes=(MANAGERS, 422)),
        target=lambda w: w.published.pk,
        label="published (422 for its writers)",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/consent",
        hidden(who={"coop"}, managers=(MANAGERS, 403)),
        target=lambda w: w.awaiting.pk,
        effect=status_is("awaiting", "approved"),
        label="awaiting",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/consent",
        expect(403, anonymous=401, yes=({"sme"}, 422)),
        target=lambda w: w.published.pk,
        label="published (422 for its representative)",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/written-consent",
        hidden(rep=({"coop"}, 403)),
        target=lambda w: w.awaiting.pk,
        body=note,
        effect=written,
        label="awaiting",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/written-consent",
        hidden(422),
        target=lambda w: w.draft.pk,
        body=note,
        label="draft (422 for its writers)",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/decline",
        hidden(who={"coop"}, managers=(MANAGERS, 403)),
        target=lambda w: w.awaiting.pk,
        body=reason,
        effect=status_is("awaiting", "declined"),
        label="awaiting",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/decline",
        expect(403, anonymous=401, yes=({"sme"}, 422)),
        target=lambda w: w.published.pk,
        body=reason,
        label="published (422 for its representative)",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/withdraw",
        expect(403, anonymous=401, yes=({"sme"}, 200)),
        target=lambda w: w.published.pk,
        body=reason,
        effect=status_is("published", "withdrawn"),
        label="published",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/withdraw",
        hidden(who={"coop"}, managers=(MANAGERS, 403)),
        target=lambda w: w.approved.pk,
        body=reason,
        effect=status_is("approved", "withdrawn"),
        label="approved",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/withdraw",
        hidden(422, who={"coop"}, managers=(MANAGERS, 403)),
        target=lambda w: w.awaiting.pk,
        body=reason,
        label="awaiting (422 for its representative)",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/publish",
        hidden(rep=({"coop"}, 403)),
        target=lambda w: w.approved.pk,
        effect=status_is("approved", "published"),
        label="approved",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/publish",
        expect(403, anonymous=401, yes=(MANAGERS, 422)),
        target=lambda w: w.published.pk,
        label="published (422 for its writers)",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/unpublish",
        WRITERS,
        target=lambda w: w.published.pk,
        body=reason,
        effect=status_is("published", "approved"),
        label="published",
    ),
    Case(
        "POST",
        "/portal/stories/{id}/unpublish",
        hidden(422, rep=({"coop"}, 403)),
        target=lambda w: w.approved.pk,
        body=reason,
        label="approved (422 for its writers)",
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", MATRIX, ids=lambda c: c.id)
def test_portal_api_role_gets_the_expected_status(case, role, client_for, world):
    client = client_for(role)
    path = case.path
    if case.target:
        path = path.replace("{id}", str(case.target(world)))
    body = case.body(world, role) if case.body else None
    before = portal_state()

    response = send(client, case.method, path + case.query, body)

    expected = case.statuses[role]
    assert response.status_code == expected, response.content.decode()
    assert response["Content-Type"].startswith("application/json")
    if expected >= 400:
        assert set(response.json()) >= {"code", "message", "field"}
        assert portal_state() == before, "a refused call changed the database"
    elif case.method == "GET":
        assert portal_state() == before, "a read changed the database"
    else:
        assert case.effect is not None and case.effect(world, role), (
            "an allowed call must do what it asks"
        )


def test_every_portal_operation_has_an_entry(client):
    schema = client.get(f"{API}/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
        and (path == f"{API}/portal" or path.startswith(f"{API}/portal/"))
    }
    covered = {case.operation for case in MATRIX}
    assert operations - covered == set(), "add these operations to MATRIX"
    assert covered - operations == set(), "MATRIX lists operations the API no longer has"


def test_every_case_decides_every_role():
    for case in MATRIX:
        assert set(case.statuses) == set(ROLES), case.id


def test_anonymous_callers_only_read_what_is_public():
    """A sanity check on the matrix itself: anonymous callers get a 401 for every write and
    for the lists of the centre and of the representatives; a read of something unpublished is
    a 404 for them, as for anybody who may not see it."""
    for case in MATRIX:
        anonymous = case.statuses["anonymous"]
        if case.method != "GET" or case.path.endswith(("/managed", "/consents")):
            assert anonymous == 401, case.id
        else:
            assert anonymous in {200, 404}, case.id
            assert anonymous == 200 or case.statuses["researcher"] == 404, case.id
