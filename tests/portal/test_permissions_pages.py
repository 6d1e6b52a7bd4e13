"""The permission matrix of every portal page (notices and success stories): URL × method ×
role → the exact status, with the helpers of the site-wide matrix
(``tests/test_permissions_pages.py``).

Published notices and stories are public. A centre's staff (the demo ``center`` is staff of
과학기술인협동조합지원센터, not of 대전 협동조합 지원센터) and platform admins write, publish and
take down their centre's notices and stories and see them in every state. A story about an
organisation is seen, once consent was asked, by the people who represent it (``sme`` for
한빛정밀, ``coop`` for 세리오협동조합, ``supplier`` for 우리밀협동조합), who alone give, refuse or
withdraw its consent — not even a platform admin does that for them. A refused request changes
nothing (notices, stories, story events and the audit log compared before and after); a step
refused for its state (publishing a published notice) answers with a message and changes
nothing either.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone
from test_permissions_pages import (
    BAD,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REDIRECT,
    ROLES,
    Case,
    check_case,
    check_every_route_covered,
    everyone,
    get,
    members_only,
    only,
    post,
    world_fixtures,
)

pytestmark = pytest.mark.django_db

MANAGERS = {"admin", "center"}  # write for 과학기술인협동조합지원센터
ADMINS = {"admin"}  # nobody of the demo is staff of 대전 협동조합 지원센터
REPRESENTATIVES = {"sme", "coop", "supplier"}  # edit an organisation's profile
MISSING = 987654

CENTRE = "과학기술인협동조합지원센터"
DAEJEON = "대전 협동조합 지원센터"


def build_world(users, org):
    from dure.portal.models import Notice, Story

    centre, daejeon, serio = org(CENTRE), org(DAEJEON), org("세리오협동조합")
    now = timezone.now()
    archived = Notice.objects.create(
        publisher=centre,
        title="매트릭스 게시 끝난 공지",
        body="지난 공지입니다.",
        status=Notice.Status.ARCHIVED,
        published_at=now - dt.timedelta(days=40),
        created_by=users["center"],
    )
    # An approved story (consent given on the platform, not yet published) about 세리오.
    approved = Story.objects.create(
        centre=centre,
        subject=serio,
        support_kind="education",
        year=2025,
        title="매트릭스 동의 받은 사례",
        summary="동의를 받고 게시를 기다립니다.",
        body="본문",
        status=Story.Status.APPROVED,
        consent_method=Story.ConsentMethod.PLATFORM,
        consent_by=users["coop"],
        consent_at=now - dt.timedelta(days=1),
        created_by=users["center"],
    )
    # A story of the other centre awaiting 세리오's answer: its centre is not ``center``'s.
    daejeon_awaiting = Story.objects.create(
        centre=daejeon,
        subject=serio,
        support_kind="consulting",
        year=2025,
        title="매트릭스 대전 센터 사례",
        summary="대전 센터가 쓴 사례입니다.",
        body="본문",
        status=Story.Status.AWAITING,
    )
    return SimpleNamespace(
        users=users,
        centre=centre,
        daejeon=daejeon,
        serio=serio,
        hanbit=org("한빛정밀"),
        pinned_notice=Notice.objects.get(
            title="2027년 협동조합 기술사업화 지원 사업 참여 조합 모집"
        ),
        draft_notice=Notice.objects.get(title="2027년 교육 일정 (작성 중)"),
        daejeon_notice=Notice.objects.get(title="대전 공유부엌 협동조합 설명회 안내"),
        archived=archived,
        fusion_story=Story.objects.get(title__startswith="출연연 특허로 복합소재 부품을"),
        hanbit_story=Story.objects.get(title__startswith="한빛정밀, 용접부 부식 문제를"),
        awaiting=Story.objects.get(title="연구원들이 함께 세운 직원협동조합, 세리오"),
        draft_story=Story.objects.get(title__startswith="미래회로설계의 협동조합 장터 입점기"),
        approved=approved,
        daejeon_awaiting=daejeon_awaiting,
    )


_world_once, world = world_fixtures(build_world)


def portal_state() -> dict[str, Any]:
    from dure.core.models import AuditEvent
    from dure.portal.models import Notice, Story, StoryEvent

    return {
        "notices": list(Notice.objects.order_by("pk").values()),
        "stories": list(Story.objects.order_by("pk").values()),
        "events": list(StoryEvent.objects.order_by("pk").values()),
        "audit": AuditEvent.objects.count(),
    }


# --- what the forms post ------------------------------------------------------------------------


def notice_form(w, role, title="매트릭스 공지", publisher="centre"):
    return {
        "publisher": getattr(w, publisher).pk,
        "category": "notice",
        "title": title,
        "body": "매트릭스에서 쓴 공지",
    }


def story_form(w, role, title="매트릭스 사례", centre="centre", subject="serio"):
    return {
        "centre": getattr(w, centre).pk,
        "subject": getattr(w, subject).pk,
        "support_kind": "founding",
        "year": "2025",
        "title": title,
        "summary": "매트릭스 요약",
        "body": "매트릭스 본문",
        "jobs_created": "3",
        "sales_increase": "",
    }


def story_edit_form(attr, title="매트릭스에서 고친 사례"):
    """The story's own values with a new title."""

    def data(w, role):
        story = getattr(w, attr)
        return {
            "subject": story.subject_id,
            "support_kind": story.support_kind,
            "year": str(story.year),
            "title": title,
            "summary": story.summary,
            "body": story.body,
            "jobs_created": "" if story.jobs_created is None else str(story.jobs_created),
            "sales_increase": "" if story.sales_increase is None else str(story.sales_increase),
        }

    return data


# --- what an allowed request must have done -------------------------------------------------------


def changed(attr, **values):
    def check(w, role):
        obj = getattr(w, attr)
        obj.refresh_from_db()
        return all(getattr(obj, k) == v for k, v in values.items())

    return check


def notice_created(title, publisher="centre"):
    def check(w, role):
        from dure.portal.models import Notice

        return Notice.objects.filter(
            title=title,
            publisher=getattr(w, publisher),
            status="draft",
            created_by=w.users[role],
        ).exists()

    return check


def story_created(title, centre="centre"):
    def check(w, role):
        from dure.portal.models import Story

        story = Story.objects.filter(title=title, centre=getattr(w, centre), status="draft").first()
        return (
            story is not None
            and story.created_by == w.users[role]
            and list(story.events.values_list("from_status", "to_status")) == [("", "draft")]
        )

    return check


def moved(attr, before, after, **values):
    """The story went from ``before`` to ``after`` (one event, by the role) and now has
    ``values``."""

    def check(w, role):
        story = getattr(w, attr)
        story.refresh_from_db()
        last = story.events.order_by("-id").first()
        return (
            story.status == after
            and last.from_status == before
            and last.to_status == after
            and last.actor_id == w.users[role].pk
            and all(getattr(story, k) == v for k, v in values.items())
        )

    return check


def consent_given(attr, method):
    def check(w, role):
        story = getattr(w, attr)
        story.refresh_from_db()
        return (
            moved(attr, "awaiting", "approved")(w, role)
            and story.consent_method == method
            and story.consent_by_id == w.users[role].pk
            and story.consent_at is not None
        )

    return check


def withdrawn(attr, before):
    def check(w, role):
        story = getattr(w, attr)
        story.refresh_from_db()
        return (
            moved(attr, before, "withdrawn")(w, role)
            and story.published_at is None
            and story.consent_at is None
            and story.consent_method == ""
        )

    return check


def published_now(attr):
    def check(w, role):
        story = getattr(w, attr)
        story.refresh_from_db()
        return moved(attr, "approved", "published")(w, role) and story.published_at is not None

    return check


def _with(expected: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {**expected, **overrides}


LONG = "가" * 301  # one more than a reason or a note may hold

CASES: list[Case] = [
    # --- notices: the public list and pages -----------------------------------------------------
    get("notices/", lambda w: "/notices/", everyone(OK)),
    get(
        "notices/",
        lambda w: "/notices/?category=recruitment&q=모집&status=draft",
        everyone(OK),
        variant="filters",
    ),
    get(
        "notices/",
        lambda w: "/notices/?category=nope&status=zz&q=" + "가" * 120 + "&page=x",
        everyone(OK),
        variant="bad filters",
    ),
    post("notices/", lambda w: "/notices/", everyone(NOT_ALLOWED)),
    get("notices/<int:pk>/", lambda w: f"/notices/{w.pinned_notice.pk}/", everyone(OK)),
    get(
        "notices/<int:pk>/",
        lambda w: f"/notices/{w.daejeon_notice.pk}/",
        everyone(OK),
        variant="other centre",
    ),
    get(
        "notices/<int:pk>/",
        lambda w: f"/notices/{w.draft_notice.pk}/",
        only(MANAGERS, anonymous=NOT_FOUND),
        variant="draft",
    ),
    get(
        "notices/<int:pk>/",
        lambda w: f"/notices/{w.archived.pk}/",
        only(MANAGERS, anonymous=NOT_FOUND),
        variant="archived",
    ),
    get(
        "notices/<int:pk>/",
        lambda w: f"/notices/{MISSING}/",
        everyone(NOT_FOUND),
        variant="missing",
    ),
    post("notices/<int:pk>/", lambda w: f"/notices/{w.pinned_notice.pk}/", everyone(NOT_ALLOWED)),
    # --- notices: writing -----------------------------------------------------------------------
    get("notices/new/", lambda w: "/notices/new/", only(MANAGERS)),
    post(
        "notices/new/",
        lambda w: "/notices/new/",
        only(MANAGERS, REDIRECT),
        data=notice_form,
        changes=MANAGERS,
        effect=notice_created("매트릭스 공지"),
    ),
    post(
        "notices/new/",
        lambda w: "/notices/new/",
        only(MANAGERS, BAD),
        data=lambda w, r: notice_form(w, r, title=""),
        variant="no title",
    ),
    post(
        "notices/new/",
        lambda w: "/notices/new/",
        _with(only(ADMINS, REDIRECT), center=BAD),  # not one of center's centres
        data=lambda w, r: notice_form(w, r, title="매트릭스 대전 공지", publisher="daejeon"),
        changes=ADMINS,
        effect=notice_created("매트릭스 대전 공지", publisher="daejeon"),
        variant="other centre",
    ),
    get("notices/<int:pk>/edit/", lambda w: f"/notices/{w.pinned_notice.pk}/edit/", only(MANAGERS)),
    get(
        "notices/<int:pk>/edit/",
        lambda w: f"/notices/{w.draft_notice.pk}/edit/",
        only(MANAGERS),
        variant="draft",
    ),
    get(
        "notices/<int:pk>/edit/",
        lambda w: f"/notices/{w.daejeon_notice.pk}/edit/",
        only(ADMINS),
        variant="other centre",
    ),
    get(
        "notices/<int:pk>/edit/",
        lambda w: f"/notices/{MISSING}/edit/",
        only(set()),
        variant="missing",
    ),
    post(
        "notices/<int:pk>/edit/",
        lambda w: f"/notices/{w.pinned_notice.pk}/edit/",
        only(MANAGERS, REDIRECT),
        data=lambda w, r: notice_form(w, r, title="매트릭스에서 고친 공지"),
        changes=MANAGERS,
        # the text changes; a published notice stays published, unpinned as the form says
        effect=changed(
            "pinned_notice", title="매트릭스에서 고친 공지", status="published", pinned=False
        ),
    ),
    post(
        "notices/<int:pk>/edit/",
        lambda w: f"/notices/{w.pinned_notice.pk}/edit/",
        only(MANAGERS, BAD),
        data=lambda w, r: {**notice_form(w, r), "body": "  "},
        variant="blank body",
    ),
    post(
        "notices/<int:pk>/edit/",
        lambda w: f"/notices/{w.daejeon_notice.pk}/edit/",
        only(ADMINS, REDIRECT),
        data=lambda w, r: notice_form(w, r, title="매트릭스에서 고친 대전 공지"),
        changes=ADMINS,
        effect=changed("daejeon_notice", title="매트릭스에서 고친 대전 공지"),
        variant="other centre",
    ),
    # --- notices: publishing and ending --------------------------------------------------------
    get(
        "notices/<int:pk>/publish/",
        lambda w: f"/notices/{w.draft_notice.pk}/publish/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "notices/<int:pk>/publish/",
        lambda w: f"/notices/{w.draft_notice.pk}/publish/",
        only(MANAGERS, REDIRECT),
        changes=MANAGERS,
        effect=lambda w, r: (
            changed("draft_notice", status="published")(w, r)
            and w.draft_notice.published_at is not None
        ),
    ),
    post(
        "notices/<int:pk>/publish/",
        lambda w: f"/notices/{w.archived.pk}/publish/",
        only(MANAGERS, REDIRECT),
        changes=MANAGERS,
        # back up, with its first date
        effect=lambda w, r: (
            changed("archived", status="published")(w, r)
            and w.archived.published_at < timezone.now() - dt.timedelta(days=39)
        ),
        variant="archived",
    ),
    post(
        "notices/<int:pk>/publish/",
        lambda w: f"/notices/{w.pinned_notice.pk}/publish/",
        only(MANAGERS, REDIRECT),  # already published: a message, nothing changes
        variant="published",
    ),
    post(
        "notices/<int:pk>/publish/",
        lambda w: f"/notices/{MISSING}/publish/",
        only(set()),
        variant="missing",
    ),
    get(
        "notices/<int:pk>/archive/",
        lambda w: f"/notices/{w.pinned_notice.pk}/archive/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "notices/<int:pk>/archive/",
        lambda w: f"/notices/{w.pinned_notice.pk}/archive/",
        only(MANAGERS, REDIRECT),
        changes=MANAGERS,
        effect=changed("pinned_notice", status="archived"),
    ),
    post(
        "notices/<int:pk>/archive/",
        lambda w: f"/notices/{w.draft_notice.pk}/archive/",
        only(MANAGERS, REDIRECT),  # a draft is not published: a message, nothing changes
        variant="draft",
    ),
    post(
        "notices/<int:pk>/archive/",
        lambda w: f"/notices/{w.daejeon_notice.pk}/archive/",
        only(ADMINS, REDIRECT),
        changes=ADMINS,
        effect=changed("daejeon_notice", status="archived"),
        variant="other centre",
    ),
    # --- stories: the public list and pages -----------------------------------------------------
    get("stories/", lambda w: "/stories/", everyone(OK)),
    get(
        "stories/",
        lambda w: f"/stories/?support_kind=research&sido={w.hanbit.sido_id}&q=부식",
        everyone(OK),
        variant="filters",
    ),
    get(
        "stories/",
        lambda w: "/stories/?support_kind=nope&sido=zz&page=-3",
        everyone(OK),
        variant="bad filters",
    ),
    post("stories/", lambda w: "/stories/", everyone(NOT_ALLOWED)),
    get("stories/<int:pk>/", lambda w: f"/stories/{w.fusion_story.pk}/", everyone(OK)),
    get(
        "stories/<int:pk>/",
        lambda w: f"/stories/{w.awaiting.pk}/",
        only(MANAGERS | {"coop"}, anonymous=NOT_FOUND),  # `member` does not represent 세리오
        variant="awaiting",
    ),
    get(
        "stories/<int:pk>/",
        lambda w: f"/stories/{w.approved.pk}/",
        only(MANAGERS | {"coop"}, anonymous=NOT_FOUND),
        variant="approved",
    ),
    get(
        "stories/<int:pk>/",
        lambda w: f"/stories/{w.draft_story.pk}/",
        only(MANAGERS, anonymous=NOT_FOUND),
        variant="draft",
    ),
    get(
        "stories/<int:pk>/",
        lambda w: f"/stories/{w.daejeon_awaiting.pk}/",
        only(ADMINS | {"coop"}, anonymous=NOT_FOUND),
        variant="other centre",
    ),
    get(
        "stories/<int:pk>/",
        lambda w: f"/stories/{MISSING}/",
        everyone(NOT_FOUND),
        variant="missing",
    ),
    post("stories/<int:pk>/", lambda w: f"/stories/{w.fusion_story.pk}/", everyone(NOT_ALLOWED)),
    get("stories/manage/", lambda w: "/stories/manage/", only(MANAGERS)),
    get(
        "stories/manage/",
        lambda w: "/stories/manage/?status=zz&page=x",
        only(MANAGERS),
        variant="bad filter",
    ),
    post("stories/manage/", lambda w: "/stories/manage/", members_only(NOT_ALLOWED)),
    # only the people who answer for an organisation; a platform admin represents none
    get("stories/consents/", lambda w: "/stories/consents/", only(REPRESENTATIVES)),
    post("stories/consents/", lambda w: "/stories/consents/", members_only(NOT_ALLOWED)),
    # --- stories: writing -----------------------------------------------------------------------
    get("stories/new/", lambda w: "/stories/new/", only(MANAGERS)),
    post(
        "stories/new/",
        lambda w: "/stories/new/",
        only(MANAGERS, REDIRECT),
        data=story_form,
        changes=MANAGERS,
        effect=story_created("매트릭스 사례"),
    ),
    post(
        "stories/new/",
        lambda w: "/stories/new/",
        only(MANAGERS, BAD),
        data=lambda w, r: story_form(w, r, subject="daejeon"),  # a centre is no story's subject
        variant="centre as subject",
    ),
    post(
        "stories/new/",
        lambda w: "/stories/new/",
        only(MANAGERS, BAD),
        data=lambda w, r: {**story_form(w, r), "year": str(timezone.localdate().year + 1)},
        variant="future year",
    ),
    post(
        "stories/new/",
        lambda w: "/stories/new/",
        _with(only(ADMINS, REDIRECT), center=BAD),
        data=lambda w, r: story_form(w, r, title="매트릭스 대전 사례", centre="daejeon"),
        changes=ADMINS,
        effect=story_created("매트릭스 대전 사례", centre="daejeon"),
        variant="other centre",
    ),
    get(
        "stories/<int:pk>/edit/",
        lambda w: f"/stories/{w.fusion_story.pk}/edit/",
        only(MANAGERS),
    ),
    get(
        "stories/<int:pk>/edit/",
        lambda w: f"/stories/{w.awaiting.pk}/edit/",
        only(MANAGERS),  # the representative answers; it does not write
        variant="awaiting",
    ),
    get(
        "stories/<int:pk>/edit/",
        lambda w: f"/stories/{w.daejeon_awaiting.pk}/edit/",
        only(ADMINS),
        variant="other centre",
    ),
    get(
        "stories/<int:pk>/edit/",
        lambda w: f"/stories/{MISSING}/edit/",
        only(set()),
        variant="missing",
    ),
    post(
        "stories/<int:pk>/edit/",
        lambda w: f"/stories/{w.draft_story.pk}/edit/",
        only(MANAGERS, REDIRECT),
        data=story_edit_form("draft_story"),
        changes=MANAGERS,
        effect=changed("draft_story", title="매트릭스에서 고친 사례", status="draft"),
    ),
    post(
        "stories/<int:pk>/edit/",
        lambda w: f"/stories/{w.hanbit_story.pk}/edit/",
        only(MANAGERS, REDIRECT),
        data=story_edit_form("hanbit_story"),
        changes=MANAGERS,
        # a changed text needs the organisation's consent again: back to a draft, off the portal
        effect=lambda w, r: (
            moved("hanbit_story", "published", "draft", title="매트릭스에서 고친 사례")(w, r)
            and w.hanbit_story.published_at is None
            and w.hanbit_story.consent_at is None
        ),
        variant="published",
    ),
    post(
        "stories/<int:pk>/edit/",
        lambda w: f"/stories/{w.awaiting.pk}/edit/",
        only(MANAGERS, REDIRECT),
        data=story_edit_form("awaiting"),
        changes=MANAGERS,
        effect=moved("awaiting", "awaiting", "draft", title="매트릭스에서 고친 사례"),
        variant="awaiting",
    ),
    post(
        "stories/<int:pk>/edit/",
        lambda w: f"/stories/{w.draft_story.pk}/edit/",
        only(MANAGERS, BAD),
        data=lambda w, r: {**story_edit_form("draft_story")(w, r), "jobs_created": "-1"},
        variant="negative jobs",
    ),
    post(
        "stories/<int:pk>/edit/",
        lambda w: f"/stories/{w.daejeon_awaiting.pk}/edit/",
        only(ADMINS, REDIRECT),
        data=story_edit_form("daejeon_awaiting"),
        changes=ADMINS,
        effect=moved("daejeon_awaiting", "awaiting", "draft", title="매트릭스에서 고친 사례"),
        variant="other centre",
    ),
    # --- stories: the consent steps ------------------------------------------------------------
    get(
        "stories/<int:pk>/request-consent/",
        lambda w: f"/stories/{w.draft_story.pk}/request-consent/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "stories/<int:pk>/request-consent/",
        lambda w: f"/stories/{w.draft_story.pk}/request-consent/",
        only(MANAGERS, REDIRECT),
        changes=MANAGERS,
        effect=moved("draft_story", "draft", "awaiting"),
    ),
    post(
        "stories/<int:pk>/request-consent/",
        lambda w: f"/stories/{w.fusion_story.pk}/request-consent/",
        only(MANAGERS, REDIRECT),  # published: a message, nothing changes
        variant="published",
    ),
    post(
        "stories/<int:pk>/request-consent/",
        lambda w: f"/stories/{w.awaiting.pk}/request-consent/",
        only(MANAGERS, REDIRECT),  # asked already: a message, nothing changes
        variant="awaiting",
    ),
    get(
        "stories/<int:pk>/consent/",
        lambda w: f"/stories/{w.awaiting.pk}/consent/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "stories/<int:pk>/consent/",
        lambda w: f"/stories/{w.awaiting.pk}/consent/",
        only({"coop"}, REDIRECT),  # staff see the story but do not answer for 세리오
        changes={"coop"},
        effect=consent_given("awaiting", "platform"),
    ),
    post(
        "stories/<int:pk>/consent/",
        lambda w: f"/stories/{w.daejeon_awaiting.pk}/consent/",
        only({"coop"}, REDIRECT),
        changes={"coop"},
        effect=consent_given("daejeon_awaiting", "platform"),
        variant="other centre",
    ),
    post(
        "stories/<int:pk>/consent/",
        lambda w: f"/stories/{w.hanbit_story.pk}/consent/",
        only({"sme"}, REDIRECT),  # published already: a message, nothing changes
        variant="published",
    ),
    post(
        "stories/<int:pk>/consent/",
        lambda w: f"/stories/{w.draft_story.pk}/consent/",
        only(set()),  # nobody represents 미래회로설계, and a draft is not asked yet
        variant="draft",
    ),
    get(
        "stories/<int:pk>/written-consent/",
        lambda w: f"/stories/{w.awaiting.pk}/written-consent/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "stories/<int:pk>/written-consent/",
        lambda w: f"/stories/{w.awaiting.pk}/written-consent/",
        only(MANAGERS, REDIRECT),
        data=lambda w, r: {"written-note": "이사장 서명 동의서 접수"},
        changes=MANAGERS,
        effect=lambda w, r: (
            consent_given("awaiting", "written")(w, r)
            and w.awaiting.consent_note == "이사장 서명 동의서 접수"
        ),
    ),
    post(
        "stories/<int:pk>/written-consent/",
        lambda w: f"/stories/{w.awaiting.pk}/written-consent/",
        only(MANAGERS, BAD),
        data=lambda w, r: {"written-note": "   "},
        variant="blank note",
    ),
    post(
        "stories/<int:pk>/written-consent/",
        lambda w: f"/stories/{w.daejeon_awaiting.pk}/written-consent/",
        only(ADMINS, REDIRECT),
        data=lambda w, r: {"written-note": "대전 센터 서면 동의서"},
        changes=ADMINS,
        effect=consent_given("daejeon_awaiting", "written"),
        variant="other centre",
    ),
    get(
        "stories/<int:pk>/decline/",
        lambda w: f"/stories/{w.awaiting.pk}/decline/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "stories/<int:pk>/decline/",
        lambda w: f"/stories/{w.awaiting.pk}/decline/",
        only({"coop"}, REDIRECT),
        data=lambda w, r: {"decline-reason": "조합원 명단이 드러납니다"},
        changes={"coop"},
        effect=lambda w, r: (
            moved("awaiting", "awaiting", "declined")(w, r)
            and w.awaiting.events.order_by("-id").first().note == "조합원 명단이 드러납니다"
        ),
    ),
    post(
        "stories/<int:pk>/decline/",
        lambda w: f"/stories/{w.awaiting.pk}/decline/",
        only({"coop"}, BAD),
        data=lambda w, r: {"decline-reason": LONG},
        variant="long reason",
    ),
    get(
        "stories/<int:pk>/withdraw/",
        lambda w: f"/stories/{w.hanbit_story.pk}/withdraw/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "stories/<int:pk>/withdraw/",
        lambda w: f"/stories/{w.hanbit_story.pk}/withdraw/",
        only({"sme"}, REDIRECT),  # staff may take it down, not withdraw 한빛정밀's consent
        data=lambda w, r: {"withdraw-reason": "거래처 이름이 나옵니다"},
        changes={"sme"},
        effect=withdrawn("hanbit_story", "published"),
    ),
    post(
        "stories/<int:pk>/withdraw/",
        lambda w: f"/stories/{w.approved.pk}/withdraw/",
        only({"coop"}, REDIRECT),
        changes={"coop"},
        effect=withdrawn("approved", "approved"),
        variant="approved",
    ),
    post(
        "stories/<int:pk>/withdraw/",
        lambda w: f"/stories/{w.awaiting.pk}/withdraw/",
        only({"coop"}, REDIRECT),  # nothing to withdraw yet: a message, nothing changes
        variant="awaiting",
    ),
    get(
        "stories/<int:pk>/publish/",
        lambda w: f"/stories/{w.approved.pk}/publish/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "stories/<int:pk>/publish/",
        lambda w: f"/stories/{w.approved.pk}/publish/",
        only(MANAGERS, REDIRECT),  # the representative agreed; the centre publishes
        changes=MANAGERS,
        effect=published_now("approved"),
    ),
    post(
        "stories/<int:pk>/publish/",
        lambda w: f"/stories/{w.awaiting.pk}/publish/",
        only(MANAGERS, REDIRECT),  # no consent yet: a message, nothing changes
        variant="awaiting",
    ),
    post(
        "stories/<int:pk>/publish/",
        lambda w: f"/stories/{w.draft_story.pk}/publish/",
        only(MANAGERS, REDIRECT),
        variant="draft",
    ),
    get(
        "stories/<int:pk>/unpublish/",
        lambda w: f"/stories/{w.fusion_story.pk}/unpublish/",
        members_only(NOT_ALLOWED),
    ),
    post(
        "stories/<int:pk>/unpublish/",
        lambda w: f"/stories/{w.fusion_story.pk}/unpublish/",
        only(MANAGERS, REDIRECT),
        data=lambda w, r: {"unpublish-reason": "수치 확인 중"},
        changes=MANAGERS,
        # off the portal, the consent kept
        effect=lambda w, r: (
            moved("fusion_story", "published", "approved")(w, r)
            and w.fusion_story.published_at is None
            and w.fusion_story.consent_method == "written"
        ),
    ),
    post(
        "stories/<int:pk>/unpublish/",
        lambda w: f"/stories/{w.hanbit_story.pk}/unpublish/",
        only(MANAGERS, BAD),  # `sme` represents 한빛정밀 but does not run the portal
        data=lambda w, r: {"unpublish-reason": LONG},
        variant="long reason",
    ),
    post(
        "stories/<int:pk>/unpublish/",
        lambda w: f"/stories/{w.approved.pk}/unpublish/",
        only(MANAGERS, REDIRECT),  # not published: a message, nothing changes
        variant="approved",
    ),
]


def _params():
    for case in CASES:
        for role in ROLES:
            yield pytest.param(case, role, id=f"{case.id}-{role}")


@pytest.mark.parametrize(("case", "role"), list(_params()))
def test_portal_page_permission_matrix(case: Case, role: str, world, client_for):
    check_case(
        case,
        role,
        world,
        client_for,
        portal_state,
        form_keys=("form", "written_form", "unpublish_form", "decline_form", "withdraw_form"),
    )


def test_every_portal_url_has_a_matrix_entry():
    check_every_route_covered(("notices/", "stories/"), CASES)


def test_every_case_names_every_role():
    for case in CASES:
        assert set(case.expected) == set(ROLES), case.id


def test_the_world_starts_as_the_cases_expect(world):
    """The states the cases start from (each test runs in its own rolled-back transaction)."""
    assert world.pinned_notice.status == "published" and world.pinned_notice.pinned
    assert world.draft_notice.status == "draft" and world.draft_notice.publisher == world.centre
    assert world.daejeon_notice.publisher == world.daejeon
    assert world.archived.status == "archived"
    assert (world.fusion_story.status, world.hanbit_story.status) == ("published", "published")
    assert world.hanbit_story.subject == world.hanbit
    assert (world.awaiting.status, world.awaiting.subject) == ("awaiting", world.serio)
    assert world.draft_story.status == "draft"
    assert world.approved.status == "approved"
    assert world.daejeon_awaiting.centre == world.daejeon
    assert {world.awaiting.centre, world.approved.centre} == {world.centre}
