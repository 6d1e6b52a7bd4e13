"""Portal: notices and success stories — the services, access rules, selectors and e-mails.

Writing a notice (who may, for which centre, every field), publishing and archiving it and who
sees it; writing a success story (whom it may be about, every field), the whole consent status
machine (every pair of status and step, who takes each step, the consent it rests on), a changed
text asking for consent again, the database's own checks, who sees which story, the reads, the
e-mails to the organisation's representatives and to the centre, and the demo data. The demo data
is loaded: 과학기술인협동조합지원센터 (staff: the demo ``center``) wrote four stories; ``sme``
represents 한빛정밀 and ``coop`` chairs 세리오협동조합. Tests that need "now" at a given moment
move ``django.utils.timezone.now``.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from dure.core.models import AuditEvent
from dure.directory.demo import CENTRE, FUSION, SERIO
from dure.directory.models import Membership, Organisation, OrganisationKind, Role, Sido
from dure.portal import access, demo, notifications, selectors, services
from dure.portal.models import Notice, NoticeCategory, Story, StoryEvent, SupportKind

pytestmark = pytest.mark.django_db

UTC = dt.UTC
S = Story.Status
SME = "한빛정밀"
DAEJEON_CENTRE = "대전 협동조합 지원센터"
MOMENT = dt.datetime(2026, 5, 4, 1, 2, 3, tzinfo=UTC)
WRITTEN_NOTE = "2026-05-01 대표이사 서명 동의서 (스캔본 보관)"

_serial = itertools.count(1)


# --- helpers ---------------------------------------------------------------------------------


def notice_data(**overrides) -> dict:
    data = {
        "category": NoticeCategory.NOTICE,
        "title": f"시험 공지 {next(_serial)}",
        "body": "첫째 줄\n\n둘째 줄",
        "pinned": False,
    }
    data.update(overrides)
    return data


def story_data(subject, **overrides) -> dict:
    data = {
        "subject": subject.pk,
        "support_kind": SupportKind.RESEARCH,
        "year": 2025,
        "title": f"시험 성공 사례 {next(_serial)}",
        "summary": "연구팀과 함께 불량을 절반으로 줄였습니다.",
        "body": "첫 문단입니다.\n\n둘째 문단입니다.",
        "jobs_created": 3,
        "sales_increase": 50_000_000,
    }
    data.update(overrides)
    return data


def codes(exc: pytest.ExceptionInfo | ValidationError) -> dict[str, list[str]]:
    error = exc.value if isinstance(exc, pytest.ExceptionInfo) else exc
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def actions(obj) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def last_audit(obj) -> AuditEvent:
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).latest("id")


def steps(story: Story) -> list[tuple[str, str]]:
    return list(
        StoryEvent.objects.filter(story=story)
        .order_by("id")
        .values_list("from_status", "to_status")
    )


def counts() -> tuple[int, int, int, int]:
    return (
        Notice.objects.count(),
        Story.objects.count(),
        StoryEvent.objects.count(),
        AuditEvent.objects.count(),
    )


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def consent_of(story: Story) -> tuple:
    return (story.consent_method, story.consent_by_id, story.consent_at, story.consent_note)


def state_of(story: Story) -> tuple:
    story = fresh(story)
    return (story.status, *consent_of(story), story.published_at, story.title)


def put(story: Story, status: str, *, consenter=None) -> Story:
    """Put ``story`` straight at ``status`` with the consent (and date) that status carries."""
    fields: dict = {"status": status}
    if status in (S.APPROVED, S.PUBLISHED):
        fields.update(
            consent_method=Story.ConsentMethod.PLATFORM,
            consent_by=consenter,
            consent_at=timezone.now() - dt.timedelta(days=2),
        )
    if status == S.PUBLISHED:
        fields["published_at"] = timezone.now() - dt.timedelta(days=1)
    Story.objects.filter(pk=story.pk).update(**fields)
    return fresh(story)


def titles(items) -> list[str]:
    return [item.title for item in items]


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def centre(org):
    return org(CENTRE)


@pytest.fixture
def staff(users):
    """Staff of 과학기술인협동조합지원센터, which wrote the demo stories."""
    return users["center"]


@pytest.fixture
def admin(users):
    return users["admin"]


@pytest.fixture
def other_centre(db):
    return Organisation.objects.create(
        kind=OrganisationKind.SUPPORT_CENTRE, name="부산 협동조합 지원센터"
    )


@pytest.fixture
def other_staff(person, other_centre):
    """Staff of another centre: writes nothing for 과학기술인협동조합지원센터."""
    user = person()
    Membership.objects.create(user=user, organisation=other_centre, role=Role.STAFF)
    return user


@pytest.fixture
def organisation(db):
    """organisation(kind=..., sido=...) → a new organisation in the directory."""

    def make(kind: str = OrganisationKind.SME, sido: str | None = None, name: str = ""):
        return Organisation.objects.create(
            kind=kind,
            name=name or f"시험정밀 {next(_serial)}",
            sido=Sido.objects.get(name=sido) if sido else None,
        )

    return make


@pytest.fixture
def subject(organisation):
    """The SME the tests' stories are about."""
    return organisation()


@pytest.fixture
def member_of(person):
    """member_of(organisation, role, **user fields) → a new person with that role there."""

    def make(organisation, role, **fields):
        user = person(**fields)
        Membership.objects.create(user=user, organisation=organisation, role=role)
        return user

    return make


@pytest.fixture
def rep(member_of, subject):
    """The representative of ``subject``: gives, refuses and withdraws its consent."""
    return member_of(subject, Role.REPRESENTATIVE)


@pytest.fixture
def new_story(staff, centre, subject, rep):
    """new_story(status, about=..., **fields) → a story written by ``center`` through the service,
    then put straight at ``status`` (an approved or published one with ``rep``'s consent)."""

    def make(status: str = S.DRAFT, *, about=None, **overrides) -> Story:
        story = services.story_create(
            actor=staff, centre=centre, data=story_data(about or subject, **overrides)
        )
        return put(story, status, consenter=rep) if status != S.DRAFT else fresh(story)

    return make


@pytest.fixture
def new_notice(staff, centre):
    """new_notice(status, at=..., by=..., **fields) → a notice written through the service, then
    put at ``status`` (published and archived ones dated a day ago)."""

    def make(status: str = Notice.Status.DRAFT, *, at=None, by=None, **overrides) -> Notice:
        notice = services.notice_create(
            actor=by or staff, publisher=at or centre, data=notice_data(**overrides)
        )
        if status != Notice.Status.DRAFT:
            Notice.objects.filter(pk=notice.pk).update(
                status=status, published_at=timezone.now() - dt.timedelta(days=1)
            )
        return fresh(notice)

    return make


@pytest.fixture
def travel(monkeypatch):
    """travel(moment) → timezone.now() answers ``moment`` from then on (for this test)."""

    def to(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return to


@pytest.fixture
def cast(users, staff, admin, rep, subject, member_of, person, other_staff):
    """cast(name) → the person playing ``name`` towards ``subject``'s stories."""

    def who(name: str):
        people = {
            "anonymous": lambda: AnonymousUser(),
            "staff": lambda: staff,
            "admin": lambda: admin,
            "other_staff": lambda: other_staff,
            "rep": lambda: rep,
            "chair": lambda: member_of(subject, Role.CHAIR),
            "secretary": lambda: member_of(subject, Role.SECRETARY),
            "member": lambda: member_of(subject, Role.MEMBER),
            "board": lambda: member_of(subject, Role.BOARD),
            "subject_staff": lambda: member_of(subject, Role.STAFF),
            "inactive_rep": lambda: member_of(subject, Role.REPRESENTATIVE, is_active=False),
            "other_rep": lambda: users["sme"],  # represents 한빛정밀, not ``subject``
            "outsider": lambda: person(),
        }
        return people[name]()

    return who


# --- notices: writing --------------------------------------------------------------------------


def test_centre_staff_write_a_draft_notice_for_their_centre(staff, centre):
    before = counts()
    notice = services.notice_create(
        actor=staff,
        publisher=centre.pk,
        data=notice_data(
            category=NoticeCategory.RECRUITMENT,
            title="  2027년   참여 조합 모집 ",
            body="  신청 기간: 한 달\n\n신청 방법: 상담 신청  ",
            pinned="on",
        ),
    )
    notice = fresh(notice)
    assert notice.publisher == centre and notice.created_by == staff
    assert (notice.category, notice.title, notice.body, notice.pinned) == (
        NoticeCategory.RECRUITMENT,
        "2027년 참여 조합 모집",
        "신청 기간: 한 달\n\n신청 방법: 상담 신청",
        True,
    )
    assert (notice.status, notice.published_at) == (Notice.Status.DRAFT, None)
    assert counts() == (before[0] + 1, before[1], before[2], before[3] + 1)
    assert actions(notice) == ["portal.notice.create"]
    assert last_audit(notice).actor == staff


@pytest.mark.parametrize("publisher", [CENTRE, "other"])
def test_a_platform_admin_writes_for_any_centre(publisher, admin, org, other_centre):
    centre = other_centre if publisher == "other" else org(publisher)
    notice = services.notice_create(actor=admin, publisher=centre, data=notice_data())
    assert fresh(notice).publisher == centre
    assert actions(notice) == ["portal.notice.create"]


def test_a_regional_centres_staff_write_for_it(member_of, organisation):
    regional = organisation(OrganisationKind.REGIONAL_CENTRE)
    writer = member_of(regional, Role.STAFF)
    notice = services.notice_create(actor=writer, publisher=regional, data=notice_data())
    assert fresh(notice).publisher == regional


@pytest.mark.parametrize(
    "who", ["anonymous", "none", "sme", "coop", "researcher", "member", "inactive_staff"]
)
def test_people_who_run_no_centre_cannot_write_a_notice(who, users, centre, member_of):
    if who == "inactive_staff":
        actor = member_of(centre, Role.STAFF, is_active=False)
    else:
        actor = {"anonymous": AnonymousUser(), "none": None}.get(who, users.get(who))
    before = counts()
    with pytest.raises(PermissionDenied):
        services.notice_create(actor=actor, publisher=centre, data=notice_data())
    assert counts() == before


@pytest.mark.parametrize(
    "publisher_of",
    [
        pytest.param(lambda org, other: other, id="another-centre"),
        pytest.param(lambda org, other: org(DAEJEON_CENTRE), id="daejeon-centre"),
        pytest.param(lambda org, other: org(SERIO), id="cooperative"),
        pytest.param(lambda org, other: 999_999, id="missing"),
        pytest.param(lambda org, other: None, id="none"),
        pytest.param(lambda org, other: "abc", id="not-a-number"),
    ],
)
def test_centre_staff_write_only_for_their_own_centre(publisher_of, staff, org, other_centre):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.notice_create(
            actor=staff, publisher=publisher_of(org, other_centre), data=notice_data()
        )
    assert codes(exc) == {"publisher": ["centre_unknown"]}
    assert counts() == before


@pytest.mark.parametrize("publisher", [SERIO, SME, "한국생산기술연구원"])
def test_even_an_admin_publishes_only_for_a_centre(publisher, admin, org):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.notice_create(actor=admin, publisher=org(publisher), data=notice_data())
    assert codes(exc) == {"publisher": ["centre_unknown"]}
    assert counts() == before


INVALID_NOTICES = [
    pytest.param({"title": ""}, "title", "required", id="title-missing"),
    pytest.param({"title": " \n "}, "title", "required", id="title-blank"),
    pytest.param({"title": None}, "title", "required", id="title-none"),
    pytest.param({"title": "가" * 151}, "title", "max_length", id="title-151"),
    pytest.param({"body": ""}, "body", "required", id="body-missing"),
    pytest.param({"body": "  \n\n "}, "body", "required", id="body-blank"),
    pytest.param({"body": "가" * 10_001}, "body", "max_length", id="body-10001"),
    pytest.param({"title": "담당자 900101-1234567"}, "title", "resident_number", id="rrn-title"),
    pytest.param(
        {"body": "문의: 담당자 주민번호 900101-1234567"}, "body", "resident_number", id="rrn-body"
    ),
    pytest.param({"body": "번호9001012234567"}, "body", "resident_number", id="rrn-no-dash"),
    pytest.param({"category": "event"}, "category", "invalid_choice", id="category-unknown"),
    pytest.param({"category": "Notice"}, "category", "invalid_choice", id="category-case"),
]


@pytest.mark.parametrize(("overrides", "field", "code"), INVALID_NOTICES)
def test_invalid_notice_fields_are_refused_with_a_code_and_nothing_is_written(
    overrides, field, code, staff, centre
):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.notice_create(actor=staff, publisher=centre, data=notice_data(**overrides))
    assert codes(exc) == {field: [code]}
    assert counts() == before


def test_every_wrong_notice_field_is_named_at_once(staff, other_centre):
    with pytest.raises(ValidationError) as exc:
        services.notice_create(
            actor=staff, publisher=other_centre, data={"category": "x", "body": "가" * 10_001}
        )
    assert codes(exc) == {
        "category": ["invalid_choice"],
        "title": ["required"],
        "body": ["max_length"],
        "publisher": ["centre_unknown"],
    }


def test_the_longest_notice_is_accepted_and_a_blank_category_is_a_notice(staff, centre):
    notice = fresh(
        services.notice_create(
            actor=staff,
            publisher=centre,
            data=notice_data(category="", title="가" * 150, body="나" * 10_000),
        )
    )
    assert (len(notice.title), len(notice.body)) == (150, 10_000)
    assert notice.category == NoticeCategory.NOTICE


@pytest.mark.parametrize(
    ("given", "pinned"),
    [
        ("on", True),
        ("true", True),
        (" TRUE ", True),
        ("1", True),
        ("yes", True),
        (True, True),
        (1, True),
        ("", False),
        (None, False),
        ("off", False),
        ("false", False),
        ("0", False),
        ("no", False),
        (False, False),
        (0, False),
    ],
)
def test_pinned_is_read_as_a_checkbox(given, pinned, staff, centre):
    notice = services.notice_create(actor=staff, publisher=centre, data=notice_data(pinned=given))
    assert fresh(notice).pinned is pinned


def test_a_missing_pinned_means_not_pinned(staff, centre):
    data = notice_data()
    del data["pinned"]
    assert fresh(services.notice_create(actor=staff, publisher=centre, data=data)).pinned is False


# --- notices: changing, publishing, archiving ---------------------------------------------------


def test_a_changed_notice_is_audited_with_its_changes(new_notice, staff):
    notice = new_notice(title="처음 제목", body="짧은 본문")
    long_body = "가" * 250
    services.notice_update(
        actor=staff,
        notice=notice,
        data={"category": "press", "title": "바뀐 제목", "body": long_body, "pinned": "on"},
    )
    changed = fresh(notice)
    assert (changed.category, changed.title, changed.body, changed.pinned) == (
        NoticeCategory.PRESS,
        "바뀐 제목",
        long_body,
        True,
    )
    event = last_audit(notice)
    assert (event.action, event.actor) == ("portal.notice.update", staff)
    assert event.changes == {
        "category": ["notice", "press"],
        "title": ["처음 제목", "바뀐 제목"],
        "body": ["짧은 본문", "250자"],
        "pinned": [False, True],
    }


def test_an_unchanged_notice_writes_no_audit_row(new_notice, staff):
    notice = new_notice(title="같은 제목", body="같은 본문", category="result", pinned=True)
    before = counts()
    services.notice_update(
        actor=staff,
        notice=notice,
        data={
            "category": "result",
            "title": "  같은   제목 ",
            "body": "같은 본문\n",
            "pinned": "1",
        },
    )
    assert counts() == before
    assert fresh(notice).updated_at == notice.updated_at


def test_a_published_notice_stays_published_and_keeps_its_date(new_notice, staff):
    notice = new_notice(Notice.Status.PUBLISHED)
    services.notice_update(actor=staff, notice=notice, data=notice_data(title="고친 제목"))
    changed = fresh(notice)
    assert (changed.status, changed.published_at, changed.title) == (
        Notice.Status.PUBLISHED,
        notice.published_at,
        "고친 제목",
    )


@pytest.mark.parametrize("who", ["other_staff", "rep", "anonymous", "outsider"])
def test_only_the_publishers_staff_change_a_notice(who, cast, new_notice):
    notice = new_notice(Notice.Status.PUBLISHED)
    actor = cast(who)
    before = counts()
    for call in (
        lambda: services.notice_update(actor=actor, notice=notice, data=notice_data()),
        lambda: services.notice_publish(actor=actor, notice=notice),
        lambda: services.notice_archive(actor=actor, notice=notice),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert counts() == before
    assert fresh(notice).status == Notice.Status.PUBLISHED


def test_an_admin_changes_publishes_and_archives_any_notice(new_notice, admin, other_centre):
    notice = new_notice(at=other_centre, by=admin)
    services.notice_update(actor=admin, notice=notice, data=notice_data(title="관리자 수정"))
    services.notice_publish(actor=admin, notice=notice)
    services.notice_archive(actor=admin, notice=notice)
    assert fresh(notice).status == Notice.Status.ARCHIVED
    assert actions(notice) == [
        "portal.notice.create",
        "portal.notice.update",
        "portal.notice.publish",
        "portal.notice.archive",
    ]


def test_an_invalid_change_writes_nothing(new_notice, staff):
    notice = new_notice(title="그대로")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.notice_update(actor=staff, notice=notice, data=notice_data(title=""))
    assert codes(exc) == {"title": ["required"]}
    assert counts() == before and fresh(notice).title == "그대로"


def test_publishing_a_draft_dates_it_and_republishing_keeps_the_first_date(
    new_notice, staff, travel
):
    notice = new_notice()
    first = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    travel(first)
    services.notice_publish(actor=staff, notice=notice)
    assert (fresh(notice).status, fresh(notice).published_at) == (Notice.Status.PUBLISHED, first)
    travel(first + dt.timedelta(days=5))
    services.notice_archive(actor=staff, notice=notice)
    assert (fresh(notice).status, fresh(notice).published_at) == (Notice.Status.ARCHIVED, first)
    travel(first + dt.timedelta(days=9))
    services.notice_publish(actor=staff, notice=notice)
    assert (fresh(notice).status, fresh(notice).published_at) == (Notice.Status.PUBLISHED, first)
    assert actions(notice) == [
        "portal.notice.create",
        "portal.notice.publish",
        "portal.notice.archive",
        "portal.notice.publish",
    ]


def test_a_published_notice_cannot_be_published_again(new_notice, staff):
    notice = new_notice(Notice.Status.PUBLISHED)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.notice_publish(actor=staff, notice=notice)
    assert codes(exc) == {"status": ["already_published"]}
    assert counts() == before
    assert fresh(notice).published_at == notice.published_at


@pytest.mark.parametrize("status", [Notice.Status.DRAFT, Notice.Status.ARCHIVED])
def test_only_a_published_notice_is_archived(status, new_notice, staff):
    notice = new_notice(status)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.notice_archive(actor=staff, notice=notice)
    assert codes(exc) == {"status": ["not_published"]}
    assert counts() == before
    assert fresh(notice).status == status


def test_a_published_notice_needs_a_date_in_the_database(new_notice):
    notice = new_notice()
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.PUBLISHED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.ARCHIVED)
    assert fresh(notice).status == Notice.Status.DRAFT


# --- notices: who sees which ---------------------------------------------------------------------


@pytest.fixture
def notice_world(new_notice, other_centre, admin):
    """A draft, a published and an archived notice of 과학기술인협동조합지원센터 and of another
    centre."""
    return {
        (where, status): new_notice(status, at=other_centre if where == "other" else None, by=admin)
        for where in ("mine", "other")
        for status in Notice.Status.values
    }


@pytest.mark.parametrize("who", ["anonymous", "none", "sme", "coop", "researcher"])
def test_the_public_sees_only_published_notices(who, users, notice_world):
    viewer = None if who == "none" else AnonymousUser() if who == "anonymous" else users[who]
    visible = set(access.notices_visible_to(viewer).values_list("pk", flat=True))
    assert visible == set(
        Notice.objects.filter(status=Notice.Status.PUBLISHED).values_list("pk", flat=True)
    )
    for (_where, status), notice in notice_world.items():
        if status == Notice.Status.PUBLISHED:
            assert access.access_notice(user=viewer, notice_id=notice.pk) == notice
        else:
            with pytest.raises(Http404):
                access.access_notice(user=viewer, notice_id=notice.pk)


def test_centre_staff_see_their_centres_drafts_but_not_another_centres(staff, notice_world):
    visible = set(access.notices_visible_to(staff).values_list("pk", flat=True))
    for (where, status), notice in notice_world.items():
        expected = where == "mine" or status == Notice.Status.PUBLISHED
        assert (notice.pk in visible) is expected, (where, status)
    demo_draft = Notice.objects.get(title="2027년 교육 일정 (작성 중)")
    assert demo_draft.pk in visible
    with pytest.raises(Http404):
        access.access_notice(user=staff, notice_id=notice_world["other", Notice.Status.DRAFT].pk)
    with pytest.raises(Http404):  # seen, but not managed
        access.access_notice(
            user=staff, notice_id=notice_world["other", Notice.Status.PUBLISHED].pk, manage=True
        )
    mine = notice_world["mine", Notice.Status.ARCHIVED]
    assert access.access_notice(user=staff, notice_id=str(mine.pk), manage=True) == mine


def test_an_admin_sees_and_manages_every_notice(admin, notice_world):
    assert access.notices_visible_to(admin).count() == Notice.objects.count()
    for notice in notice_world.values():
        assert access.access_notice(user=admin, notice_id=notice.pk, manage=True) == notice


@pytest.mark.parametrize("notice_id", [999_999, "abc", None, ""])
def test_a_missing_notice_is_a_404(notice_id, admin):
    with pytest.raises(Http404):
        access.access_notice(user=admin, notice_id=notice_id)


def test_the_public_cannot_manage_a_published_notice(notice_world):
    with pytest.raises(Http404):
        access.access_notice(
            user=AnonymousUser(),
            notice_id=notice_world["mine", Notice.Status.PUBLISHED].pk,
            manage=True,
        )


# --- stories: writing ----------------------------------------------------------------------------


def test_centre_staff_write_a_draft_story(staff, centre, subject):
    before = counts()
    story = services.story_create(
        actor=staff,
        centre=centre.pk,
        data=story_data(
            subject,
            support_kind="market",
            year="2024",
            title="  판로를   넓힌  이야기 ",
            summary=" 장터 첫 거래 ",
            body="  첫 문단\n\n둘째 문단 ",
            jobs_created=" 12 ",
            sales_increase="1,000",
        ),
    )
    story = fresh(story)
    assert (story.centre, story.subject, story.created_by) == (centre, subject, staff)
    assert (story.support_kind, story.year, story.title, story.summary, story.body) == (
        SupportKind.MARKET,
        2024,
        "판로를 넓힌 이야기",
        "장터 첫 거래",
        "첫 문단\n\n둘째 문단",
    )
    assert (story.jobs_created, story.sales_increase) == (12, 1000)
    assert (story.status, story.published_at) == (S.DRAFT, None)
    assert consent_of(story) == ("", None, None, "")
    assert counts() == (before[0], before[1] + 1, before[2] + 1, before[3] + 1)
    event = StoryEvent.objects.get(story=story)
    assert (event.from_status, event.to_status, event.actor, event.note) == ("", S.DRAFT, staff, "")
    assert actions(story) == ["portal.story.create"]


def test_an_admin_writes_a_story_for_any_centre(admin, other_centre, subject):
    story = services.story_create(actor=admin, centre=other_centre, data=story_data(subject))
    assert fresh(story).centre == other_centre
    assert steps(story) == [("", S.DRAFT)]


@pytest.mark.parametrize("who", ["anonymous", "rep", "member", "outsider", "other_rep"])
def test_people_who_run_no_centre_cannot_write_a_story(who, cast, centre, subject):
    actor = cast(who)
    before = counts()
    with pytest.raises(PermissionDenied):
        services.story_create(actor=actor, centre=centre, data=story_data(subject))
    assert counts() == before


def test_centre_staff_write_no_story_for_another_centre(staff, other_centre, subject):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.story_create(actor=staff, centre=other_centre, data=story_data(subject))
    assert codes(exc) == {"centre": ["centre_unknown"]}
    assert counts() == before


@pytest.mark.parametrize(
    "kind",
    [
        OrganisationKind.COOPERATIVE,
        OrganisationKind.SOCIAL_COOPERATIVE,
        OrganisationKind.WORKER_COOPERATIVE,
        OrganisationKind.FEDERATION,
        OrganisationKind.COUNCIL,
        OrganisationKind.SME,
    ],
)
def test_a_story_is_about_a_cooperative_or_an_sme(kind, staff, centre, organisation):
    about = organisation(kind)
    story = services.story_create(actor=staff, centre=centre, data=story_data(about))
    assert fresh(story).subject == about


@pytest.mark.parametrize(
    "subject_of",
    [
        pytest.param(lambda o: o(OrganisationKind.SUPPORT_CENTRE), id="support-centre"),
        pytest.param(lambda o: o(OrganisationKind.REGIONAL_CENTRE), id="regional-centre"),
        pytest.param(lambda o: o(OrganisationKind.RESEARCH_INSTITUTE), id="research-institute"),
        pytest.param(lambda o: o(OrganisationKind.PUBLIC_BODY), id="public-body"),
        pytest.param(lambda o: o(OrganisationKind.PARTNER), id="partner"),
        pytest.param(lambda o: 999_999, id="missing"),
        pytest.param(lambda o: None, id="none"),
        pytest.param(lambda o: "abc", id="not-a-number"),
    ],
)
def test_a_story_about_anything_else_is_refused(subject_of, staff, centre, organisation):
    target = subject_of(organisation)
    data = {**story_data(organisation()), "subject": getattr(target, "pk", target)}
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.story_create(actor=staff, centre=centre, data=data)
    assert codes(exc) == {"subject": ["subject_unknown"]}
    assert counts() == before


THIS_YEAR = timezone.localdate().year

INVALID_STORIES = [
    pytest.param({"support_kind": "cooking"}, "support_kind", "invalid_choice", id="kind-unknown"),
    pytest.param({"support_kind": ""}, "support_kind", "invalid_choice", id="kind-missing"),
    pytest.param({"year": 1999}, "year", "out_of_range", id="year-1999"),
    pytest.param({"year": THIS_YEAR + 1}, "year", "out_of_range", id="year-next"),
    pytest.param({"year": -2025}, "year", "out_of_range", id="year-negative"),
    pytest.param({"year": ""}, "year", "required", id="year-missing"),
    pytest.param({"year": None}, "year", "required", id="year-none"),
    pytest.param({"year": "이천이십오"}, "year", "invalid", id="year-text"),
    pytest.param({"year": True}, "year", "invalid", id="year-bool"),
    pytest.param({"title": ""}, "title", "required", id="title-missing"),
    pytest.param({"title": "가" * 151}, "title", "max_length", id="title-151"),
    pytest.param({"summary": " "}, "summary", "required", id="summary-blank"),
    pytest.param({"summary": "가" * 301}, "summary", "max_length", id="summary-301"),
    pytest.param({"body": ""}, "body", "required", id="body-missing"),
    pytest.param({"body": "가" * 10_001}, "body", "max_length", id="body-10001"),
    pytest.param(
        {"body": "대표 주민번호 900101-1234567"}, "body", "resident_number", id="rrn-body"
    ),
    pytest.param({"title": "대표 900101-1234567"}, "title", "resident_number", id="rrn-title"),
    pytest.param(
        {"summary": "연락처 9001012234567"}, "summary", "resident_number", id="rrn-summary"
    ),
    pytest.param({"jobs_created": -1}, "jobs_created", "out_of_range", id="jobs-negative"),
    pytest.param({"jobs_created": 100_001}, "jobs_created", "out_of_range", id="jobs-100001"),
    pytest.param({"jobs_created": "세 명"}, "jobs_created", "invalid", id="jobs-text"),
    pytest.param({"jobs_created": "2.5"}, "jobs_created", "invalid", id="jobs-fraction"),
    pytest.param({"jobs_created": True}, "jobs_created", "invalid", id="jobs-bool"),
    pytest.param({"sales_increase": -1}, "sales_increase", "out_of_range", id="sales-negative"),
    pytest.param(
        {"sales_increase": "-1,000"}, "sales_increase", "out_of_range", id="sales-negative-text"
    ),
    pytest.param(
        {"sales_increase": 10**13 + 1}, "sales_increase", "out_of_range", id="sales-too-big"
    ),
    pytest.param({"sales_increase": "1억"}, "sales_increase", "invalid", id="sales-text"),
    pytest.param({"sales_increase": False}, "sales_increase", "invalid", id="sales-bool"),
]


@pytest.mark.parametrize(("overrides", "field", "code"), INVALID_STORIES)
def test_invalid_story_fields_are_refused_with_a_code_and_nothing_is_written(
    overrides, field, code, staff, centre, subject
):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.story_create(actor=staff, centre=centre, data=story_data(subject, **overrides))
    assert codes(exc) == {field: [code]}
    assert counts() == before


def test_every_wrong_story_field_is_named_at_once(staff, other_centre):
    with pytest.raises(ValidationError) as exc:
        services.story_create(
            actor=staff, centre=other_centre, data={"year": 1999, "jobs_created": "x"}
        )
    assert codes(exc) == {
        "subject": ["subject_unknown"],
        "support_kind": ["invalid_choice"],
        "year": ["out_of_range"],
        "title": ["required"],
        "summary": ["required"],
        "body": ["required"],
        "jobs_created": ["invalid"],
        "centre": ["centre_unknown"],
    }


def test_the_boundary_values_of_a_story_are_accepted(staff, centre, subject):
    low = fresh(
        services.story_create(
            actor=staff,
            centre=centre,
            data=story_data(subject, year=2000, jobs_created=0, sales_increase=0),
        )
    )
    assert (low.year, low.jobs_created, low.sales_increase) == (2000, 0, 0)
    high = fresh(
        services.story_create(
            actor=staff,
            centre=centre,
            data=story_data(
                subject,
                year=THIS_YEAR,
                title="가" * 150,
                summary="나" * 300,
                body="다" * 10_000,
                jobs_created=100_000,
                sales_increase=10**13,
            ),
        )
    )
    assert (high.year, high.jobs_created, high.sales_increase) == (THIS_YEAR, 100_000, 10**13)
    assert (len(high.title), len(high.summary), len(high.body)) == (150, 300, 10_000)


@pytest.mark.parametrize("blank", ["", None])
def test_the_figures_may_be_left_out(blank, staff, centre, subject):
    story = services.story_create(
        actor=staff,
        centre=centre,
        data=story_data(subject, jobs_created=blank, sales_increase=blank),
    )
    assert (fresh(story).jobs_created, fresh(story).sales_increase) == (None, None)


def year_error(exc: pytest.ExceptionInfo) -> tuple[str, dict]:
    (error,) = exc.value.error_dict["year"]
    return error.code, error.params


def test_a_year_before_2000_is_told_the_range_of_years(staff, centre, subject):
    with pytest.raises(ValidationError) as exc:
        services.story_create(actor=staff, centre=centre, data=story_data(subject, year=1999))
    assert year_error(exc) == ("out_of_range", {"low": 2000, "high": THIS_YEAR})


def test_a_year_after_this_year_is_told_the_range_of_years(staff, centre, subject):
    with pytest.raises(ValidationError) as exc:
        services.story_create(
            actor=staff, centre=centre, data=story_data(subject, year=THIS_YEAR + 1)
        )
    assert year_error(exc) == ("out_of_range", {"low": 2000, "high": THIS_YEAR})


def test_this_year_is_the_year_in_seoul(staff, centre, subject, travel):
    # 2027-01-01 00:30 in Seoul is still 2026-12-31 in UTC
    travel(dt.datetime(2026, 12, 31, 15, 30, tzinfo=UTC))
    story = services.story_create(actor=staff, centre=centre, data=story_data(subject, year=2027))
    assert fresh(story).year == 2027
    # 2026-12-31 23:30 in Seoul: 2027 is next year
    travel(dt.datetime(2026, 12, 31, 14, 30, tzinfo=UTC))
    with pytest.raises(ValidationError) as exc:
        services.story_create(actor=staff, centre=centre, data=story_data(subject, year=2027))
    assert codes(exc) == {"year": ["out_of_range"]}


# --- stories: the status machine ----------------------------------------------------------------

EXPECTED_TRANSITIONS = {
    S.DRAFT: {S.AWAITING},
    S.AWAITING: {S.APPROVED, S.DECLINED},
    S.APPROVED: {S.PUBLISHED, S.WITHDRAWN},
    S.PUBLISHED: {S.APPROVED, S.WITHDRAWN},
    S.DECLINED: {S.AWAITING},
    S.WITHDRAWN: {S.AWAITING},
}

# step: (who takes it, where it leads, the note its event carries, the statuses it starts from)
STEPS = {
    "request_consent": ("centre", S.AWAITING, "", {S.DRAFT, S.DECLINED, S.WITHDRAWN}),
    "consent": ("organisation", S.APPROVED, "", {S.AWAITING}),
    "consent_record": ("centre", S.APPROVED, WRITTEN_NOTE, {S.AWAITING}),
    "decline": ("organisation", S.DECLINED, "사진을 빼 주세요", {S.AWAITING}),
    "withdraw": ("organisation", S.WITHDRAWN, "대표가 바뀌었습니다", {S.APPROVED, S.PUBLISHED}),
    "publish": ("centre", S.PUBLISHED, "", {S.APPROVED}),
    "unpublish": ("centre", S.APPROVED, "사진 교체", {S.PUBLISHED}),
}


def take(step: str, story: Story, actor) -> Story:
    calls = {
        "request_consent": lambda: services.story_request_consent(actor=actor, story=story),
        "consent": lambda: services.story_consent(actor=actor, story=story),
        "consent_record": lambda: services.story_consent_record(
            actor=actor, story=story, note=WRITTEN_NOTE
        ),
        "decline": lambda: services.story_decline(
            actor=actor, story=story, reason="사진을 빼 주세요"
        ),
        "withdraw": lambda: services.story_withdraw_consent(
            actor=actor, story=story, reason="대표가 바뀌었습니다"
        ),
        "publish": lambda: services.story_publish(actor=actor, story=story),
        "unpublish": lambda: services.story_unpublish(actor=actor, story=story, reason="사진 교체"),
    }
    return calls[step]()


def test_the_transitions_are_the_documented_ones_and_each_has_a_step():
    assert {k: set(v) for k, v in services.STORY_TRANSITIONS.items()} == EXPECTED_TRANSITIONS
    reached = {(start, to) for _who, to, _note, starts in STEPS.values() for start in starts}
    allowed = {(start, to) for start, tos in EXPECTED_TRANSITIONS.items() for to in tos}
    assert reached == allowed


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("step", list(STEPS))
def test_every_step_from_every_status(
    step, status, new_story, staff, rep, travel, mailoutbox, django_capture_on_commit_callbacks
):
    who, target, note, starts = STEPS[step]
    story = new_story(status)
    travel(MOMENT)
    actor = staff if who == "centre" else rep
    before_counts, before_state = counts(), state_of(story)
    before_events = steps(story)
    if status not in starts:
        with django_capture_on_commit_callbacks(execute=True):
            with pytest.raises(ValidationError) as exc:
                take(step, story, actor)
        assert codes(exc) == {"status": ["transition_invalid"]}
        assert counts() == before_counts
        assert state_of(story) == before_state
        assert mailoutbox == []
        return
    take(step, story, actor)
    after = fresh(story)
    assert after.status == target
    assert counts() == (
        before_counts[0],
        before_counts[1],
        before_counts[2] + 1,
        before_counts[3] + 1,
    )
    assert steps(story) == [*before_events, (status, target)]
    event = StoryEvent.objects.filter(story=story).latest("id")
    assert (event.actor, event.note) == (actor, note)
    audit = last_audit(story)
    assert (audit.action, audit.actor, audit.changes) == (
        f"portal.story.{target}",
        actor,
        {"status": [status, target]},
    )
    was = before_state[1:6]  # the consent and the date before the step
    if step == "request_consent":
        assert (*consent_of(after), after.published_at) == was
    elif step == "consent":
        assert consent_of(after) == (Story.ConsentMethod.PLATFORM, rep.pk, MOMENT, "")
        assert after.published_at is None
    elif step == "consent_record":
        assert consent_of(after) == (Story.ConsentMethod.WRITTEN, staff.pk, MOMENT, WRITTEN_NOTE)
        assert after.published_at is None
    elif step == "decline":
        assert consent_of(after) == ("", None, None, "") and after.published_at is None
    elif step == "withdraw":
        assert consent_of(after) == ("", None, None, "") and after.published_at is None
    elif step == "publish":
        assert consent_of(after) == was[:4] and after.published_at == MOMENT
    elif step == "unpublish":
        assert consent_of(after) == was[:4] and after.published_at is None


CENTRE_STEPS = {
    "request_consent": S.DRAFT,
    "consent_record": S.AWAITING,
    "publish": S.APPROVED,
    "unpublish": S.PUBLISHED,
    "update": S.PUBLISHED,
}
ORGANISATION_STEPS = {"consent": S.AWAITING, "decline": S.AWAITING, "withdraw": S.PUBLISHED}


def take_or_update(step: str, story: Story, actor) -> Story:
    if step == "update":
        data = {name: getattr(story, name) for name in services.STORY_FIELDS}
        return services.story_update(actor=actor, story=story, data={**data, "title": "고친 제목"})
    return take(step, story, actor)


@pytest.mark.parametrize("who", ["staff", "admin"])
@pytest.mark.parametrize("step", list(CENTRE_STEPS))
def test_the_writing_centres_staff_and_admins_take_the_centres_steps(step, who, cast, new_story):
    story = new_story(CENTRE_STEPS[step])
    actor = cast(who)
    take_or_update(step, story, actor)
    assert fresh(story).status != CENTRE_STEPS[step]
    assert last_audit(story).actor == actor


@pytest.mark.parametrize(
    "who",
    ["other_staff", "rep", "chair", "member", "other_rep", "outsider", "anonymous"],
)
@pytest.mark.parametrize("step", list(CENTRE_STEPS))
def test_nobody_else_takes_the_centres_steps(step, who, cast, new_story):
    story = new_story(CENTRE_STEPS[step])
    actor = cast(who)
    before_counts, before_state = counts(), state_of(story)
    with pytest.raises(PermissionDenied):
        take_or_update(step, story, actor)
    assert counts() == before_counts
    assert state_of(story) == before_state


@pytest.mark.parametrize("who", ["rep", "chair", "secretary"])
@pytest.mark.parametrize("step", list(ORGANISATION_STEPS))
def test_the_organisations_representative_chair_or_secretary_answer(step, who, cast, new_story):
    story = new_story(ORGANISATION_STEPS[step])
    actor = cast(who)
    take(step, story, actor)
    assert fresh(story).status == STEPS[step][1]
    event = StoryEvent.objects.filter(story=story).latest("id")
    assert event.actor == actor
    if step == "consent":
        assert fresh(story).consent_by == actor


@pytest.mark.parametrize(
    "who",
    [
        "member",
        "board",
        "subject_staff",
        "inactive_rep",
        "other_rep",
        "staff",
        "admin",
        "other_staff",
        "outsider",
        "anonymous",
    ],
)
@pytest.mark.parametrize("step", list(ORGANISATION_STEPS))
def test_nobody_else_answers_for_the_organisation(step, who, cast, new_story):
    story = new_story(ORGANISATION_STEPS[step])
    actor = cast(who)
    before_counts, before_state = counts(), state_of(story)
    with pytest.raises(PermissionDenied):
        take(step, story, actor)
    assert counts() == before_counts
    assert state_of(story) == before_state


@pytest.mark.parametrize(
    ("note", "code"),
    [("", "required"), ("  \n ", "required"), (None, "required"), ("가" * 301, "max_length")],
)
def test_a_written_consent_names_its_document(note, code, new_story, staff):
    story = new_story(S.AWAITING)
    before_counts, before_state = counts(), state_of(story)
    with pytest.raises(ValidationError) as exc:
        services.story_consent_record(actor=staff, story=story, note=note)
    assert codes(exc) == {"note": [code]}
    assert counts() == before_counts and state_of(story) == before_state


@pytest.mark.parametrize(("step", "status"), [("decline", S.AWAITING), ("withdraw", S.APPROVED)])
def test_a_reason_is_optional_but_limited(step, status, new_story, rep):
    story = new_story(status)
    call = services.story_decline if step == "decline" else services.story_withdraw_consent
    before = counts()
    with pytest.raises(ValidationError) as exc:
        call(actor=rep, story=story, reason="가" * 301)
    assert codes(exc) == {"reason": ["max_length"]}
    assert counts() == before
    call(actor=rep, story=story)
    assert StoryEvent.objects.filter(story=story).latest("id").note == ""


def test_unpublishing_keeps_the_consent_and_the_story_goes_up_again(new_story, staff, rep, travel):
    story = new_story(S.AWAITING)
    travel(MOMENT)
    services.story_consent(actor=rep, story=story)
    travel(MOMENT + dt.timedelta(hours=1))
    services.story_publish(actor=staff, story=story)
    travel(MOMENT + dt.timedelta(days=1))
    services.story_unpublish(actor=staff, story=story)
    down = fresh(story)
    assert (down.status, down.published_at) == (S.APPROVED, None)
    assert consent_of(down) == (Story.ConsentMethod.PLATFORM, rep.pk, MOMENT, "")
    travel(MOMENT + dt.timedelta(days=2))
    services.story_publish(actor=staff, story=story)
    up = fresh(story)
    assert (up.status, up.published_at) == (S.PUBLISHED, MOMENT + dt.timedelta(days=2))
    assert consent_of(up) == (Story.ConsentMethod.PLATFORM, rep.pk, MOMENT, "")
    assert steps(story)[-4:] == [
        (S.AWAITING, S.APPROVED),
        (S.APPROVED, S.PUBLISHED),
        (S.PUBLISHED, S.APPROVED),
        (S.APPROVED, S.PUBLISHED),
    ]


def test_a_withdrawn_consent_is_asked_for_again_and_given_again(new_story, staff, rep):
    story = new_story(S.PUBLISHED)
    services.story_withdraw_consent(actor=rep, story=story)
    assert (fresh(story).status, fresh(story).published_at) == (S.WITHDRAWN, None)
    with pytest.raises(ValidationError):
        services.story_publish(actor=staff, story=story)
    services.story_request_consent(actor=staff, story=story)
    services.story_consent_record(actor=staff, story=story, note=WRITTEN_NOTE)
    services.story_publish(actor=staff, story=story)
    again = fresh(story)
    assert again.status == S.PUBLISHED
    assert (again.consent_method, again.consent_by, again.consent_note) == (
        Story.ConsentMethod.WRITTEN,
        staff,
        WRITTEN_NOTE,
    )


# --- stories: a changed text asks for consent again ----------------------------------------------


CHANGES = {
    "support_kind": SupportKind.EDUCATION,
    "year": 2020,
    "title": "새 제목",
    "summary": "새 요약",
    "body": "새 본문",
    "jobs_created": 9,
    "sales_increase": 7,
}


@pytest.mark.parametrize("field", ["subject", *CHANGES])
@pytest.mark.parametrize("status", [S.AWAITING, S.APPROVED, S.PUBLISHED])
def test_a_change_to_a_story_sent_for_consent_takes_it_back_to_a_draft(
    status, field, new_story, staff, organisation
):
    story = new_story(status)
    data = {name: getattr(story, name) for name in services.STORY_FIELDS}
    new_value = organisation() if field == "subject" else CHANGES[field]
    data[field] = new_value
    before = counts()
    services.story_update(actor=staff, story=story, data=data)
    after = fresh(story)
    assert getattr(after, field) == new_value
    assert (after.status, after.published_at) == (S.DRAFT, None)
    assert consent_of(after) == ("", None, None, "")
    assert counts() == (before[0], before[1], before[2] + 1, before[3] + 1)
    event = StoryEvent.objects.filter(story=story).latest("id")
    assert (event.from_status, event.to_status, event.actor) == (status, S.DRAFT, staff)
    assert event.note == "내용이 바뀌어 동의를 다시 받아야 합니다."
    audit = last_audit(story)
    assert audit.action == "portal.story.update"
    old = getattr(story, field)
    logged = [str(old.pk), str(new_value.pk)] if field == "subject" else [old, new_value]
    assert audit.changes == {field: logged}


@pytest.mark.parametrize("status", [S.DECLINED, S.WITHDRAWN])
def test_a_reworked_declined_or_withdrawn_story_keeps_the_organisations_answer(
    status, new_story, staff, rep
):
    story = new_story(status)
    data = {name: getattr(story, name) for name in services.STORY_FIELDS}
    before = counts()
    services.story_update(actor=staff, story=story, data={**data, "summary": "다시 쓴 요약"})
    after = fresh(story)
    assert (after.status, after.summary) == (status, "다시 쓴 요약")
    assert counts() == (before[0], before[1], before[2], before[3] + 1)  # an audit row only
    # the representative still sees it, with its answer, and the centre may ask again
    assert access.access_story(user=rep, story_id=story.pk, represent=True) == story
    services.story_request_consent(actor=staff, story=story)
    assert fresh(story).status == S.AWAITING


def test_a_changed_draft_stays_a_draft_without_an_event(new_story, staff):
    story = new_story()
    data = {name: getattr(story, name) for name in services.STORY_FIELDS}
    before = counts()
    services.story_update(actor=staff, story=story, data={**data, "body": "다" * 250})
    after = fresh(story)
    assert (after.status, after.body) == (S.DRAFT, "다" * 250)
    assert counts() == (before[0], before[1], before[2], before[3] + 1)
    assert last_audit(story).changes == {"body": [story.body, "250자"]}


@pytest.mark.parametrize("status", [S.DRAFT, S.AWAITING, S.APPROVED, S.PUBLISHED])
def test_an_unchanged_save_changes_nothing(status, new_story, staff):
    story = new_story(status, sales_increase=1000, jobs_created=3)
    before_counts, before_state = counts(), state_of(story)
    services.story_update(
        actor=staff,
        story=story,
        data={
            "subject": str(story.subject_id),
            "support_kind": f" {story.support_kind} ",
            "year": str(story.year),
            "title": f"  {story.title}  ",
            "summary": story.summary,
            "body": story.body + "\n",
            "jobs_created": "3",
            "sales_increase": "1,000",
        },
    )
    assert counts() == before_counts
    assert state_of(story) == before_state
    assert fresh(story).updated_at == story.updated_at


def test_an_invalid_change_leaves_a_published_story_up(new_story, staff):
    story = new_story(S.PUBLISHED)
    data = {name: getattr(story, name) for name in services.STORY_FIELDS}
    before_counts, before_state = counts(), state_of(story)
    with pytest.raises(ValidationError) as exc:
        services.story_update(actor=staff, story=story, data={**data, "year": 1999})
    assert codes(exc) == {"year": ["out_of_range"]}
    assert counts() == before_counts and state_of(story) == before_state


def test_a_changed_story_is_sent_for_consent_again(new_story, staff, rep):
    story = new_story(S.PUBLISHED)
    data = {name: getattr(story, name) for name in services.STORY_FIELDS}
    services.story_update(actor=staff, story=story, data={**data, "summary": "고친 요약"})
    services.story_request_consent(actor=staff, story=story)
    services.story_consent(actor=rep, story=story)
    services.story_publish(actor=staff, story=story)
    assert fresh(story).status == S.PUBLISHED
    assert steps(story)[-4:] == [
        (S.PUBLISHED, S.DRAFT),
        (S.DRAFT, S.AWAITING),
        (S.AWAITING, S.APPROVED),
        (S.APPROVED, S.PUBLISHED),
    ]


# --- stories: the database's own checks ----------------------------------------------------------


@pytest.mark.parametrize("status", [S.APPROVED, S.PUBLISHED])
def test_a_public_story_without_consent_is_refused_by_the_database(status, new_story):
    story = new_story()
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Story.objects.filter(pk=story.pk).update(status=status, published_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():  # a method but no date
        Story.objects.filter(pk=story.pk).update(
            status=status, published_at=now, consent_method=Story.ConsentMethod.WRITTEN
        )
    with pytest.raises(IntegrityError), transaction.atomic():  # a date but no method
        Story.objects.filter(pk=story.pk).update(status=status, published_at=now, consent_at=now)
    assert fresh(story).status == S.DRAFT


def test_a_published_story_without_a_date_is_refused_by_the_database(new_story):
    story = new_story(S.APPROVED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Story.objects.filter(pk=story.pk).update(status=S.PUBLISHED)
    assert fresh(story).status == S.APPROVED


@pytest.mark.parametrize("year", [1999, 2101])
def test_the_database_keeps_the_year_in_range(year, new_story):
    story = new_story()
    with pytest.raises(IntegrityError), transaction.atomic():
        Story.objects.filter(pk=story.pk).update(year=year)


# --- stories: who sees which ---------------------------------------------------------------------


@pytest.fixture
def story_world(new_story):
    """One story about ``subject`` in every status, by 과학기술인협동조합지원센터."""
    return {status: new_story(status) for status in S.values}


def visible_ids(user) -> set[int]:
    return set(access.stories_visible_to(user).values_list("pk", flat=True))


def published_ids() -> set[int]:
    return set(Story.objects.filter(status=S.PUBLISHED).values_list("pk", flat=True))


@pytest.mark.parametrize("who", ["anonymous", "outsider", "member", "board", "other_staff"])
def test_the_public_sees_only_published_stories(who, cast, story_world):
    viewer = cast(who)
    assert visible_ids(viewer) == published_ids()
    for status, story in story_world.items():
        if status == S.PUBLISHED:
            assert access.access_story(user=viewer, story_id=story.pk) == story
        else:
            with pytest.raises(Http404):
                access.access_story(user=viewer, story_id=story.pk)


@pytest.mark.parametrize("who", ["rep", "chair", "secretary"])
def test_the_representative_sees_the_stories_sent_about_their_organisation(
    who, cast, story_world, new_story, organisation
):
    viewer = cast(who)
    elsewhere = new_story(S.AWAITING, about=organisation())
    sent = {story.pk for status, story in story_world.items() if status != S.DRAFT}
    assert visible_ids(viewer) == published_ids() | sent
    assert elsewhere.pk not in visible_ids(viewer)
    for status in (S.AWAITING, S.APPROVED, S.DECLINED, S.WITHDRAWN, S.PUBLISHED):
        story = story_world[status]
        assert access.access_story(user=viewer, story_id=story.pk, represent=True) == story
        with pytest.raises(Http404):
            access.access_story(user=viewer, story_id=story.pk, manage=True)
    with pytest.raises(Http404):
        access.access_story(user=viewer, story_id=story_world[S.DRAFT].pk)


def test_centre_staff_see_every_story_of_their_centre(staff, centre, story_world, other_staff):
    other = services.story_create(
        actor=other_staff,
        centre=Organisation.objects.get(name="부산 협동조합 지원센터"),
        data=story_data(story_world[S.DRAFT].subject),
    )
    mine = set(Story.objects.filter(centre=centre).values_list("pk", flat=True))
    assert visible_ids(staff) == published_ids() | mine
    assert other.pk not in visible_ids(staff)
    assert visible_ids(other_staff) == published_ids() | {other.pk}
    for story in story_world.values():
        assert access.access_story(user=staff, story_id=story.pk, manage=True) == story
        with pytest.raises(Http404):  # the centre does not answer for the organisation
            access.access_story(user=staff, story_id=story.pk, represent=True)
    with pytest.raises(Http404):
        access.access_story(user=staff, story_id=other.pk)
    with pytest.raises(Http404):  # seen, but another centre's
        access.access_story(user=other_staff, story_id=story_world[S.PUBLISHED].pk, manage=True)


def test_an_admin_sees_every_story(admin, story_world):
    assert visible_ids(admin) == set(Story.objects.values_list("pk", flat=True))
    draft = story_world[S.DRAFT]
    assert access.access_story(user=admin, story_id=draft.pk, manage=True) == draft
    with pytest.raises(Http404):
        access.access_story(user=admin, story_id=draft.pk, represent=True)


@pytest.mark.parametrize("story_id", [999_999, "abc", None, ""])
def test_a_missing_story_is_a_404(story_id, admin):
    with pytest.raises(Http404):
        access.access_story(user=admin, story_id=story_id)


# --- selectors: notices ------------------------------------------------------------------------


@pytest.fixture
def token():
    return f"zq{next(_serial)}x"


def test_the_notice_list_puts_pinned_first_then_the_latest(new_notice, token, admin):
    now = timezone.now()
    rows = [  # title, pinned, published days ago
        ("a", False, 1),
        ("b", True, 9),
        ("c", False, 3),
        ("d", True, 2),
        ("e", False, 1),
    ]
    for title, pinned, days in rows:
        notice = new_notice(title=f"{token} {title}", pinned=pinned)
        Notice.objects.filter(pk=notice.pk).update(
            status=Notice.Status.PUBLISHED, published_at=now - dt.timedelta(days=days)
        )
    new_notice(title=f"{token} draft", pinned=True)
    page = selectors.notice_list(user=AnonymousUser(), q=token)
    # a and e were published at the same moment: the later written (higher id) first
    assert titles(page) == [f"{token} {t}" for t in ("d", "b", "e", "a", "c")]


def test_the_notice_list_filters_by_category_and_every_word(new_notice, token):
    spring = new_notice(
        Notice.Status.PUBLISHED,
        title=f"{token} 봄 교육 안내",
        body="장소는 유성구 회의실입니다.",
        category=NoticeCategory.RECRUITMENT,
    )
    fair = new_notice(
        Notice.Status.PUBLISHED, title=f"{token} 봄 장터", body="장소는 중구 광장입니다."
    )
    anon = AnonymousUser()

    def found(**filters):
        return {n.pk for n in selectors.notice_list(user=anon, **filters)}

    assert found(q=token) == {spring.pk, fair.pk}
    assert found(q=f"{token} 유성구") == {spring.pk}  # a word of the body
    assert found(q=f"  {token.upper()}   봄  ") == {spring.pk, fair.pk}
    assert found(q=f"{token} 봄 부산") == set()
    assert found(q=token, category=NoticeCategory.RECRUITMENT) == {spring.pk}
    assert found(q=token, category=NoticeCategory.PRESS) == set()


def test_staff_narrow_the_notice_list_by_status(new_notice, token, staff, other_staff):
    draft = new_notice(title=f"{token} 작성 중")
    up = new_notice(Notice.Status.PUBLISHED, title=f"{token} 게시")
    archived = new_notice(Notice.Status.ARCHIVED, title=f"{token} 종료")

    def found(user, status=""):
        return {n.pk for n in selectors.notice_list(user=user, q=token, status=status)}

    assert found(staff) == {draft.pk, up.pk, archived.pk}
    assert found(staff, "draft") == {draft.pk}
    assert found(staff, "archived") == {archived.pk}
    assert found(staff, "published") == {up.pk}
    assert found(other_staff) == {up.pk}
    assert found(other_staff, "draft") == set()
    assert found(AnonymousUser(), "archived") == set()


def test_the_latest_notices_are_published_ones_pinned_first(new_notice, token):
    now = timezone.now()
    pinned = new_notice(title=f"{token} 고정", pinned=True)
    latest = new_notice(title=f"{token} 최신")
    new_notice(title=f"{token} 작성 중 고정", pinned=True)
    Notice.objects.filter(pk=pinned.pk).update(status=Notice.Status.PUBLISHED, published_at=now)
    Notice.objects.filter(pk=latest.pk).update(
        status=Notice.Status.PUBLISHED, published_at=now + dt.timedelta(hours=1)
    )
    assert titles(selectors.latest_notices(limit=3)) == [
        f"{token} 고정",
        "2027년 협동조합 기술사업화 지원 사업 참여 조합 모집",  # the demo's pinned notice
        f"{token} 최신",
    ]
    assert len(selectors.latest_notices()) == 5


# --- selectors: stories ------------------------------------------------------------------------


@pytest.fixture
def listed(new_story, organisation, token):
    """Published stories (and unpublished ones) with ``token`` in them, about organisations in
    제주 and 강원."""
    jeju = organisation(sido="제주특별자치도", name=f"한라{token}협동조합")
    gangwon = organisation(sido="강원특별자치도")
    now = timezone.now()
    rows = {
        "jeju-market": (jeju, SupportKind.MARKET, {"title": f"{token} 감귤 판로"}, 3),
        "jeju-research": (jeju, SupportKind.RESEARCH, {"summary": f"{token} 공동 연구"}, 1),
        "gangwon-market": (gangwon, SupportKind.MARKET, {"body": f"{token} 설악 장터 입점"}, 2),
    }
    stories = {}
    for key, (about, kind, fields, days) in rows.items():
        story = new_story(S.PUBLISHED, about=about, support_kind=kind, **fields)
        Story.objects.filter(pk=story.pk).update(published_at=now - dt.timedelta(days=days))
        stories[key] = story
    for status in (S.DRAFT, S.AWAITING, S.APPROVED, S.WITHDRAWN):
        new_story(status, about=jeju, title=f"{token} {status}")
    return stories


def test_the_story_list_shows_only_published_stories_the_latest_first(listed, token):
    page = selectors.story_list(q=token)  # the same for everyone: the portal's public list
    assert [s.pk for s in page] == [
        listed[k].pk for k in ("jeju-research", "gangwon-market", "jeju-market")
    ]


def test_the_story_list_filters_by_kind_region_and_words(listed, token):
    def found(**filters):
        filters.setdefault("q", token)
        return {s.pk for s in selectors.story_list(**filters)}

    jeju = Sido.objects.get(name="제주특별자치도").code
    gangwon = Sido.objects.get(name="강원특별자치도").code
    assert found(support_kind=SupportKind.MARKET) == {
        listed["jeju-market"].pk,
        listed["gangwon-market"].pk,
    }
    assert found(sido=jeju) == {listed["jeju-market"].pk, listed["jeju-research"].pk}
    assert found(sido=gangwon, support_kind=SupportKind.MARKET) == {listed["gangwon-market"].pk}
    assert found(sido=gangwon, support_kind=SupportKind.RESEARCH) == set()
    assert found(q=f"{token} 설악") == {listed["gangwon-market"].pk}  # in the body
    assert found(q=f"{token} 공동") == {listed["jeju-research"].pk}  # in the summary
    assert found(q=f"{token} 감귤") == {listed["jeju-market"].pk}  # in the title
    assert found(q=f"{token} 설악 감귤") == set()
    # the subject's name: 한라{token}협동조합 holds the token
    assert found(q=f"한라{token}") == {listed["jeju-market"].pk, listed["jeju-research"].pk}


def test_stories_managed_are_the_centres_own_in_every_status(
    staff, centre, admin, other_staff, users, story_world
):
    mine = set(Story.objects.filter(centre=centre).values_list("pk", flat=True))
    assert {s.pk for s in selectors.stories_managed(user=staff)} == mine
    assert {s.pk for s in selectors.stories_managed(user=staff, status=S.DECLINED)} == {
        story_world[S.DECLINED].pk
    }
    assert selectors.stories_managed(user=admin).paginator.count == Story.objects.count()
    assert list(selectors.stories_managed(user=other_staff)) == []
    assert list(selectors.stories_managed(user=users["sme"])) == []
    assert list(selectors.stories_managed(user=AnonymousUser())) == []


def test_stories_managed_list_the_latest_changed_first(staff, story_world):
    now = timezone.now()
    order = [S.WITHDRAWN, S.DRAFT, S.PUBLISHED]
    for hours, status in enumerate(order):
        Story.objects.filter(pk=story_world[status].pk).update(
            updated_at=now + dt.timedelta(hours=10 - hours)
        )
    page = selectors.stories_managed(user=staff)
    assert [s.pk for s in page][:3] == [story_world[s].pk for s in order]


def test_stories_for_consent_put_the_awaiting_ones_first(rep, story_world, new_story):
    second_awaiting = new_story(S.AWAITING)
    now = timezone.now()
    updated = {  # hours from now
        story_world[S.PUBLISHED].pk: 5,
        story_world[S.AWAITING].pk: 1,
        second_awaiting.pk: 2,
        story_world[S.DECLINED].pk: 4,
        story_world[S.APPROVED].pk: 3,
        story_world[S.WITHDRAWN].pk: 0,
    }
    for pk, hours in updated.items():
        Story.objects.filter(pk=pk).update(updated_at=now + dt.timedelta(hours=hours))
    listed = selectors.stories_for_consent(user=rep)
    assert [s.pk for s in listed] == [
        second_awaiting.pk,
        story_world[S.AWAITING].pk,
        story_world[S.PUBLISHED].pk,
        story_world[S.DECLINED].pk,
        story_world[S.APPROVED].pk,
        story_world[S.WITHDRAWN].pk,
    ]


@pytest.mark.parametrize("who", ["staff", "admin", "member", "board", "anonymous", "outsider"])
def test_people_who_represent_nobody_have_no_stories_to_consent_to(who, cast, story_world):
    viewer = cast(who)
    assert selectors.stories_for_consent(user=viewer) == []
    assert selectors.consents_awaited(user=viewer) == 0


def test_a_representative_sees_only_their_own_organisations_requests(users, story_world, org):
    listed = selectors.stories_for_consent(user=users["sme"])
    assert [s.title for s in listed] == ["한빛정밀, 용접부 부식 문제를 연구기관과 함께 풀다"]
    assert {s.subject for s in listed} == {org(SME)}


def test_consents_awaited_counts_the_open_requests(rep, story_world, new_story, cast, users):
    assert selectors.consents_awaited(user=rep) == 1
    new_story(S.AWAITING)
    assert selectors.consents_awaited(user=rep) == 2
    for who in ("member", "staff", "admin", "anonymous", "outsider"):
        assert selectors.consents_awaited(user=cast(who)) == 0
    assert selectors.consents_awaited(user=users["coop"]) == 1  # the demo's 세리오 story
    assert selectors.consents_awaited(user=users["sme"]) == 0  # 한빛정밀's is published
    assert selectors.stories_for_consent(user=cast("member")) == []


def test_the_latest_stories_are_published_ones(new_story, staff):
    mine = new_story(S.PUBLISHED)
    Story.objects.filter(pk=mine.pk).update(published_at=timezone.now() + dt.timedelta(hours=1))
    new_story(S.APPROVED)
    assert titles(selectors.latest_stories()) == [
        mine.title,
        "출연연 특허로 복합소재 부품을 국산화한 기술융합협동조합",
        "한빛정밀, 용접부 부식 문제를 연구기관과 함께 풀다",
    ]
    assert titles(selectors.latest_stories(limit=1)) == [mine.title]


# --- e-mails ---------------------------------------------------------------------------------------


def test_asking_for_consent_emails_the_organisations_representatives(
    new_story, staff, rep, subject, member_of, mailoutbox, django_capture_on_commit_callbacks
):
    chair = member_of(subject, Role.CHAIR)
    secretary = member_of(subject, Role.SECRETARY)
    member_of(subject, Role.MEMBER)
    member_of(subject, Role.BOARD)
    member_of(subject, Role.REPRESENTATIVE, is_active=False)
    member_of(subject, Role.REPRESENTATIVE, email="")
    story = new_story(title="용접 불량을 줄인 이야기")
    with django_capture_on_commit_callbacks(execute=True):
        services.story_request_consent(actor=staff, story=story)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([rep.email, chair.email, secretary.email])
    assert all(len(m.to) == 1 for m in mailoutbox)
    mail = mailoutbox[0]
    assert mail.subject == "[두레] 성공 사례 게시 동의 요청: 용접 불량을 줄인 이야기"
    assert CENTRE in mail.body and subject.name in mail.body
    assert story.get_absolute_url() in mail.body


@pytest.mark.parametrize(("about", "demo_user"), [(SME, "sme"), (SERIO, "coop")])
def test_the_demo_representatives_are_asked(
    about, demo_user, org, users, new_story, staff, mailoutbox, django_capture_on_commit_callbacks
):
    story = new_story(about=org(about))
    with django_capture_on_commit_callbacks(execute=True):
        services.story_request_consent(actor=staff, story=story)
    assert [m.to for m in mailoutbox] == [[users[demo_user].email]]  # not 세리오's member


def test_an_english_speaking_representative_is_asked_in_english(
    new_story, staff, rep, subject, member_of, mailoutbox, django_capture_on_commit_callbacks
):
    english = member_of(subject, Role.SECRETARY, language="en")
    story = new_story(title="Welding story")
    with django_capture_on_commit_callbacks(execute=True):
        services.story_request_consent(actor=staff, story=story)
    (mail,) = [m for m in mailoutbox if m.to == [english.email]]
    (korean_mail,) = [m for m in mailoutbox if m.to == [rep.email]]
    assert "Welding story" in mail.subject and story.get_absolute_url() in mail.body
    assert "성공 사례" in korean_mail.subject
    for korean in ("성공 사례", "동의", "두레", "요청"):
        assert korean not in mail.subject and korean not in mail.body


def test_an_english_speaking_writer_hears_the_answer_in_english(
    person, centre, subject, rep, mailoutbox, django_capture_on_commit_callbacks
):
    writer = person("en")
    Membership.objects.create(user=writer, organisation=centre, role=Role.STAFF)
    story = services.story_create(
        actor=writer, centre=centre, data=story_data(subject, title="Welding story")
    )
    put(story, S.AWAITING)
    with django_capture_on_commit_callbacks(execute=True):
        services.story_consent(actor=rep, story=story)
    (mail,) = mailoutbox
    assert mail.to == [writer.email]
    assert "Welding story" in mail.subject and story.get_absolute_url() in mail.body
    for korean in ("성공 사례", "동의했습니다", "두레", "게시"):
        assert korean not in mail.subject and korean not in mail.body


@pytest.mark.parametrize(
    ("step", "status", "answer"),
    [
        ("consent", S.AWAITING, "동의했습니다"),
        ("decline", S.AWAITING, "거절했습니다"),
        ("withdraw", S.PUBLISHED, "동의를 철회했습니다"),
    ],
)
def test_the_writer_hears_the_organisations_answer(
    step,
    status,
    answer,
    new_story,
    rep,
    staff,
    subject,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    story = new_story(status, title="부식 문제를 푼 이야기")
    with django_capture_on_commit_callbacks(execute=True):
        take(step, story, rep)
    (mail,) = mailoutbox
    assert mail.to == [staff.email]
    assert mail.subject == (
        f"[두레] {subject.name}이(가) 성공 사례 게시에 {answer}: 부식 문제를 푼 이야기"
    )
    assert f"'부식 문제를 푼 이야기' 게시에 {answer}." in mail.body
    assert story.get_absolute_url() in mail.body


def test_without_a_writer_the_centres_staff_hear_the_answer(
    new_story, rep, staff, centre, member_of, mailoutbox, django_capture_on_commit_callbacks
):
    colleague = member_of(centre, Role.STAFF)
    story = new_story(S.AWAITING)
    Story.objects.filter(pk=story.pk).update(created_by=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.story_decline(actor=rep, story=story)
    staff_addresses = set(
        Membership.objects.filter(organisation=centre, role=Role.STAFF)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    assert {staff.email, colleague.email} <= staff_addresses
    assert {m.to[0] for m in mailoutbox} == staff_addresses


@pytest.mark.parametrize(
    ("step", "status"),
    [("consent_record", S.AWAITING), ("publish", S.APPROVED), ("unpublish", S.PUBLISHED)],
)
def test_the_centres_own_steps_email_nobody(
    step, status, new_story, staff, mailoutbox, django_capture_on_commit_callbacks
):
    story = new_story(status)
    with django_capture_on_commit_callbacks(execute=True):
        take(step, story, staff)
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("step", "status", "who"),
    [("request_consent", S.DRAFT, "staff"), ("consent", S.AWAITING, "rep")],
)
def test_a_rolled_back_step_emails_nobody(
    step, status, who, cast, new_story, mailoutbox, django_capture_on_commit_callbacks
):
    story = new_story(status)
    actor = cast(who)
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            take(step, story, actor)
            transaction.set_rollback(True)
    assert mailoutbox == []
    assert counts() == before and fresh(story).status == status


def test_each_email_is_sent_once(
    new_story, staff, rep, mailoutbox, django_capture_on_commit_callbacks
):
    story = new_story()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.story_request_consent(actor=staff, story=story)
    assert mailoutbox == []  # nothing before the transaction commits
    for callback in callbacks * 2:
        callback()
    assert [m.to for m in mailoutbox] == [[rep.email]]
    assert notifications.consent_requested(story.pk) == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.story_consent(actor=rep, story=story)
    assert notifications.consent_answered(story.pk, S.APPROVED) == 0
    assert [m.to for m in mailoutbox] == [[rep.email], [staff.email]]


def test_a_new_request_after_a_refusal_is_emailed_again(
    new_story, staff, rep, mailoutbox, django_capture_on_commit_callbacks
):
    story = new_story()
    for call in (
        lambda: services.story_request_consent(actor=staff, story=story),
        lambda: services.story_decline(actor=rep, story=story),
        lambda: services.story_request_consent(actor=staff, story=story),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            call()
    assert [m.to for m in mailoutbox] == [[rep.email], [staff.email], [rep.email]]


def test_an_answer_no_longer_true_is_not_emailed(new_story, rep, mailoutbox):
    story = new_story(S.AWAITING)
    assert notifications.consent_answered(story.pk, S.APPROVED) == 0
    assert notifications.consent_answered(story.pk, S.DRAFT) == 0
    assert notifications.consent_requested(new_story().pk) == 0
    assert notifications.consent_requested(999_999) == 0
    assert mailoutbox == []


# --- the demo data ---------------------------------------------------------------------------------


def test_loading_the_demo_again_creates_nothing(django_capture_on_commit_callbacks):
    before = (counts(), StoryEvent.objects.count())
    result = demo.load_demo()
    assert (counts(), StoryEvent.objects.count()) == before
    assert result == {
        "portal_notices": Notice.objects.count(),
        "portal_stories": Story.objects.count(),
    }


def test_the_demo_stories_are_as_documented(org, users, staff):
    stories = {s.subject.name: s for s in Story.objects.filter(centre=org(CENTRE))}
    assert {name: s.status for name, s in stories.items()} == {
        FUSION: S.PUBLISHED,
        SME: S.PUBLISHED,
        SERIO: S.AWAITING,
        "미래회로설계": S.DRAFT,
    }
    fusion, hanbit = stories[FUSION], stories[SME]
    assert (fusion.consent_method, fusion.consent_by) == (Story.ConsentMethod.WRITTEN, staff)
    assert fusion.consent_note != "" and fusion.published_at is not None
    assert (hanbit.consent_method, hanbit.consent_by) == (
        Story.ConsentMethod.PLATFORM,
        users["sme"],
    )
    assert hanbit.published_at is not None
    assert consent_of(stories[SERIO]) == ("", None, None, "")
    assert steps(stories[SERIO]) == [("", S.DRAFT), (S.DRAFT, S.AWAITING)]
    assert steps(fusion) == [
        ("", S.DRAFT),
        (S.DRAFT, S.AWAITING),
        (S.AWAITING, S.APPROVED),
        (S.APPROVED, S.PUBLISHED),
    ]
    assert access.represents(users["coop"], stories[SERIO])
    assert {s.pk for s in selectors.stories_for_consent(user=users["coop"])} == {stories[SERIO].pk}


def test_the_demo_notices_are_as_documented(org):
    notices = Notice.objects.filter(publisher__name__in=[CENTRE, DAEJEON_CENTRE])
    published = [n for n in notices if n.status == Notice.Status.PUBLISHED]
    assert {n.title for n in notices if n.status == Notice.Status.DRAFT} == {
        "2027년 교육 일정 (작성 중)"
    }
    assert len(published) == 4
    assert [n.title for n in published if n.pinned] == [
        "2027년 협동조합 기술사업화 지원 사업 참여 조합 모집"
    ]
    assert {n.publisher.name for n in published} == {CENTRE, DAEJEON_CENTRE}


def test_the_account_export_lists_the_story_consents_one_gave(users):
    from dure.accounts.services import account_export

    hanbit = Story.objects.get(title__startswith="한빛정밀, 용접부 부식 문제")
    [given] = account_export(user=users["sme"])["story_consents"]
    assert given == {
        "story": hanbit.title,
        "organisation": "한빛정밀",
        "method": Story.ConsentMethod.PLATFORM,
        "at": hanbit.consent_at.isoformat(),
        "status": S.PUBLISHED,
    }
    serio = Story.objects.get(subject__name="세리오협동조합", status=S.AWAITING)
    assert account_export(user=users["coop"])["story_consents"] == []
    services.story_consent(actor=users["coop"], story=serio)
    assert [c["story"] for c in account_export(user=users["coop"])["story_consents"]] == [
        serio.title
    ]
    assert selectors.consents_given_by(user=AnonymousUser()) == []
