"""Programmes (education, forums, events) and registrations: the services and selectors.

Who may create and run a programme, the validation of its fields, the draft → published →
cancelled state machine, seats and the waiting list (first come first served), cancellations,
attendance, the account-deletion helper, the database's own constraints, and the reads.
Every time is timezone-aware (Asia/Seoul); tests that need "now" at a given moment move
``django.utils.timezone.now``.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats, timezone, translation

from dure.core.models import AuditEvent
from dure.directory.demo import CENTRE, SERIO
from dure.directory.models import Membership, Role, Sido
from dure.programs import selectors, services
from dure.programs.demo import DAEJEON_CENTRE
from dure.programs.models import Program, ProgramKind, Registration

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)
CONFIRMED = Registration.Status.CONFIRMED
WAITLISTED = Registration.Status.WAITLISTED
CANCELLED = Registration.Status.CANCELLED
DEMO_PAST = "협동조합 결산과 세무 신고 교육"
DEMO_DRAFT = "2027 상반기 협동조합 경영 컨설팅 상담회"
DEMO_FULL = "사회적협동조합 회계 실무 워크숍"

_serial = itertools.count(1)


# --- helpers ---------------------------------------------------------------------------------


def at(days: int, hour: int = 14) -> dt.datetime:
    """``days`` from today at ``hour`` o'clock, Seoul time."""
    local = timezone.localtime() + dt.timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def program_data(**overrides) -> dict:
    starts = overrides.pop("starts_at", None) or at(10)
    data = {
        "kind": ProgramKind.EDUCATION,
        "title": f"협동조합 회계 기초 {next(_serial)}",
        "summary": "출자금, 적립금, 배당을 사례로 배웁니다.",
        "starts_at": starts,
        "ends_at": starts + 3 * HOUR if isinstance(starts, dt.datetime) else None,
        "venue": "대전 유성구 교육장",
        "capacity": 2,
        "fee": 0,
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


def register(program: Program, person, **kwargs) -> Registration:
    registration, _created = services.registration_create(actor=person, program=program, **kwargs)
    return registration


def statuses(registrations) -> list[str]:
    return [Registration.objects.get(pk=r.pk).status for r in registrations]


def seats(program: Program) -> int:
    return Program.objects.get(pk=program.pk).seats_taken


def counts() -> tuple[int, int, int]:
    return Program.objects.count(), Registration.objects.count(), AuditEvent.objects.count()


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def centre(org):
    return org(CENTRE)


@pytest.fixture
def daejeon(org):
    return org(DAEJEON_CENTRE)


@pytest.fixture
def staff(users):
    """Staff of 과학기술인협동조합지원센터, the host of the programmes made here."""
    return users["center"]


@pytest.fixture
def daejeon_staff(db, daejeon):
    """Staff of another centre (대전 협동조합 지원센터): runs nothing of 과학기술인협동조합지원센터."""
    from dure.accounts.models import User

    user = User.objects.create_user(username="daejeon-staff", email="djstaff@example.com")
    Membership.objects.create(user=user, organisation=daejeon, role=Role.STAFF)
    return user


@pytest.fixture
def new_program(staff, centre):
    """new_program(capacity=..., publish=True, **fields) → a programme of 과학기술인협동조합지원센터
    made through the services by its staff (published unless ``publish=False``)."""

    def make(*, publish: bool = True, **overrides) -> Program:
        program = services.program_create(actor=staff, host=centre, data=program_data(**overrides))
        if publish:
            program = services.program_publish(actor=staff, program=program)
        return program

    return make


@pytest.fixture
def travel(monkeypatch):
    """travel(moment) → timezone.now() answers ``moment`` from then on (for this test)."""

    def to(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return to


def full_with_waitlist(new_program, person, *, capacity=2, waiting=2):
    """A published programme with ``capacity`` confirmed people and ``waiting`` in line."""
    program = new_program(capacity=capacity)
    confirmed = [register(program, person()) for _ in range(capacity)]
    waitlisted = [register(program, person()) for _ in range(waiting)]
    assert statuses(confirmed) == [CONFIRMED] * capacity
    assert statuses(waitlisted) == [WAITLISTED] * waiting
    return program, confirmed, waitlisted


# --- creating a programme ---------------------------------------------------------------------


def test_centre_staff_create_a_draft_with_an_audit_row(staff, centre):
    data = program_data(capacity="30", fee="20,000", sido=Sido.objects.get(name="대전광역시"))
    program = services.program_create(actor=staff, host=centre.pk, data=data)
    program.refresh_from_db()
    assert program.status == Program.Status.DRAFT
    assert program.host == centre and program.created_by == staff
    assert (program.capacity, program.fee, program.seats_taken) == (30, 20_000, 0)
    assert program.sido.name == "대전광역시"
    assert program.starts_at == data["starts_at"] and program.ends_at == data["ends_at"]
    # without a closing time, registration closes when the programme starts
    assert program.registration_closes_at == data["starts_at"]
    assert actions(program) == ["program.create"]
    event = AuditEvent.objects.get(action="program.create", object_id=str(program.pk))
    assert event.actor == staff
    assert event.changes["title"] == [None, data["title"]]
    assert event.changes["status"] == [None, "draft"]


def test_a_platform_admin_may_host_for_any_centre(users, daejeon):
    program = services.program_create(actor=users["admin"], host=daejeon, data=program_data())
    assert program.host == daejeon and program.status == Program.Status.DRAFT


@pytest.mark.parametrize(
    "role", ["researcher", "sme", "coop", "member", "supplier", "seller", "creator"]
)
def test_nobody_but_centre_staff_and_admins_creates(role, users, centre):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.program_create(actor=users[role], host=centre, data=program_data())
    assert counts() == before


def test_anonymous_cannot_create(centre):
    with pytest.raises(PermissionDenied):
        services.program_create(actor=AnonymousUser(), host=centre, data=program_data())


def test_staff_of_a_cooperative_is_not_centre_staff(person, org, centre):
    someone = person()
    Membership.objects.create(user=someone, organisation=org(SERIO), role=Role.STAFF)
    with pytest.raises(PermissionDenied):
        services.program_create(actor=someone, host=centre, data=program_data())


def test_centre_staff_cannot_host_for_a_centre_they_do_not_work_for(staff, daejeon):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.program_create(actor=staff, host=daejeon, data=program_data())
    assert codes(exc) == {"host": ["host_not_allowed"]}
    assert counts() == before


@pytest.mark.parametrize("host", [SERIO, "한빛정밀", None])
def test_only_centres_host_programmes_even_for_an_admin(host, users, org):
    host = org(host) if host else 999_999
    with pytest.raises(ValidationError) as exc:
        services.program_create(actor=users["admin"], host=host, data=program_data())
    assert codes(exc) == {"host": ["host_not_allowed"]}


def _naive(s):
    return {"starts_at": timezone.make_naive(s), "ends_at": s + 3 * HOUR}


INVALID = [
    pytest.param(lambda s: {"title": ""}, "title", "required", id="title-missing"),
    pytest.param(lambda s: {"title": "  \n "}, "title", "required", id="title-blank"),
    pytest.param(lambda s: {"title": "가" * 151}, "title", "max_length", id="title-151"),
    pytest.param(lambda s: {"summary": None}, "summary", "required", id="summary-missing"),
    pytest.param(lambda s: {"kind": "party"}, "kind", "invalid_choice", id="kind"),
    pytest.param(lambda s: {"ends_at": s - HOUR}, "ends_at", "program_order", id="ends-before"),
    pytest.param(lambda s: {"ends_at": s}, "ends_at", "program_order", id="ends-at-start"),
    pytest.param(_naive, "starts_at", "datetime_naive", id="naive-start"),
    pytest.param(
        lambda s: {"ends_at": timezone.make_naive(s + HOUR)},
        "ends_at",
        "datetime_naive",
        id="naive-end",
    ),
    pytest.param(
        lambda s: {"starts_at": "2030-03-02T14:00", "ends_at": "2030-03-02T17:00+09:00"},
        "starts_at",
        "datetime_naive",
        id="naive-iso-text",
    ),
    pytest.param(
        lambda s: {"starts_at": "다음 주 화요일"}, "starts_at", "datetime_format", id="not-a-date"
    ),
    pytest.param(lambda s: {"starts_at": ""}, "starts_at", "required", id="start-missing"),
    pytest.param(lambda s: {"capacity": 0}, "capacity", "out_of_range", id="capacity-0"),
    pytest.param(lambda s: {"capacity": -3}, "capacity", "out_of_range", id="capacity-neg"),
    pytest.param(lambda s: {"capacity": 100_001}, "capacity", "out_of_range", id="capacity-max"),
    pytest.param(lambda s: {"capacity": "서른"}, "capacity", "invalid", id="capacity-text"),
    pytest.param(lambda s: {"capacity": "2.5"}, "capacity", "invalid", id="capacity-fraction"),
    pytest.param(lambda s: {"fee": -1}, "fee", "out_of_range", id="fee-negative"),
    pytest.param(lambda s: {"fee": 100_000_001}, "fee", "out_of_range", id="fee-max"),
    pytest.param(lambda s: {"fee": "무료"}, "fee", "invalid", id="fee-text"),
    pytest.param(lambda s: {"venue": ""}, "venue", "venue_required", id="venue-missing"),
    pytest.param(
        lambda s: {"registration_closes_at": s + 3 * HOUR + SECOND},
        "registration_closes_at",
        "registration_closes_after_end",
        id="closes-after-end",
    ),
    pytest.param(
        lambda s: {"registration_closes_at": timezone.make_naive(s)},
        "registration_closes_at",
        "datetime_naive",
        id="naive-closes",
    ),
    pytest.param(lambda s: {"sido": "99"}, "sido", "invalid_choice", id="sido"),
    pytest.param(
        lambda s: {"title": "교육 (문의 900101-1234567)"},
        "title",
        "resident_number",
        id="rrn-title",
    ),
    pytest.param(
        lambda s: {"summary": "강사 주민번호 9001011234567"},
        "summary",
        "resident_number",
        id="rrn-summary",
    ),
    pytest.param(
        lambda s: {"description": "참가자 명단\n홍길동 850315 - 2345678"},
        "description",
        "resident_number",
        id="rrn-description",
    ),
    pytest.param(
        lambda s: {"venue": "강당 (담당 920101-1234567)"},
        "venue",
        "resident_number",
        id="rrn-venue",
    ),
]


@pytest.mark.parametrize(("change", "field", "code"), INVALID)
def test_invalid_fields_are_refused_with_a_code_and_nothing_is_written(
    change, field, code, staff, centre
):
    starts = at(10)
    data = program_data(starts_at=starts)
    data.update(change(starts))
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.program_create(actor=staff, host=centre, data=data)
    assert codes(exc) == {field: [code]}
    assert counts() == before
    assert not Program.objects.filter(title=data["title"]).exists()


def test_every_wrong_field_is_named_at_once(staff, centre):
    starts = at(10)
    data = program_data(
        starts_at=starts, title="", ends_at=starts - HOUR, capacity=0, fee=-5, venue=""
    )
    with pytest.raises(ValidationError) as exc:
        services.program_create(actor=staff, host=centre, data=data)
    assert codes(exc) == {
        "title": ["required"],
        "ends_at": ["program_order"],
        "capacity": ["out_of_range"],
        "fee": ["out_of_range"],
        "venue": ["venue_required"],
    }


def test_an_online_programme_needs_no_venue(staff, centre):
    program = services.program_create(
        actor=staff, host=centre, data=program_data(venue="", is_online=True)
    )
    assert program.is_online and program.venue == ""


def test_boundary_values_are_accepted_and_blanks_get_their_defaults(staff, centre):
    starts = at(10)
    program = services.program_create(
        actor=staff,
        host=centre,
        data=program_data(
            starts_at=starts,
            title="  회계   기초  ",
            capacity="",
            fee="",
            registration_closes_at=starts + 3 * HOUR,  # exactly the end: allowed
        ),
    )
    program.refresh_from_db()
    assert program.title == "회계 기초"
    assert program.capacity is None and program.fee == 0
    assert program.registration_closes_at == program.ends_at
    most = services.program_create(
        actor=staff,
        host=centre,
        data=program_data(capacity=services.MAX_CAPACITY, fee=services.MAX_FEE, title="가" * 150),
    )
    assert (most.capacity, most.fee) == (100_000, 100_000_000)
    one = services.program_create(actor=staff, host=centre, data=program_data(capacity="1"))
    assert one.capacity == 1


def test_aware_iso_text_is_accepted(staff, centre):
    program = services.program_create(
        actor=staff,
        host=centre,
        data=program_data(starts_at="2030-03-02T14:00:00+09:00", ends_at="2030-03-02T17:00+09:00"),
    )
    program.refresh_from_db()
    local = timezone.localtime(program.starts_at)
    assert (local.year, local.month, local.day, local.hour) == (2030, 3, 2, 14)
    assert program.ends_at - program.starts_at == 3 * HOUR


# --- publishing and cancelling ----------------------------------------------------------------


def test_publishing_opens_a_draft(new_program, staff):
    program = new_program(publish=False)
    published = services.program_publish(actor=staff, program=program)
    assert published.status == Program.Status.PUBLISHED
    assert Program.objects.get(pk=program.pk).status == Program.Status.PUBLISHED
    assert actions(program) == ["program.create", "program.publish"]


def test_only_a_draft_is_published(new_program, staff):
    program = new_program()
    with pytest.raises(ValidationError) as exc:
        services.program_publish(actor=staff, program=program)
    assert codes(exc) == {"status": ["program_not_draft"]}
    services.program_cancel(actor=staff, program=program, reason="강사 사정")
    with pytest.raises(ValidationError) as exc:
        services.program_publish(actor=staff, program=program)
    assert codes(exc) == {"status": ["program_not_draft"]}
    assert Program.objects.get(pk=program.pk).status == Program.Status.CANCELLED
    assert actions(program).count("program.publish") == 1


@pytest.mark.parametrize("who", ["sme", "member", "researcher", "daejeon_staff"])
def test_only_the_hosts_staff_and_admins_publish(who, new_program, users, daejeon_staff):
    program = new_program(publish=False)
    actor = daejeon_staff if who == "daejeon_staff" else users[who]
    with pytest.raises(PermissionDenied):
        services.program_publish(actor=actor, program=program)
    assert Program.objects.get(pk=program.pk).status == Program.Status.DRAFT
    assert services.program_publish(actor=users["admin"], program=program).status == "published"


def test_a_programme_that_has_ended_cannot_be_published(new_program, staff, travel):
    program = new_program(publish=False, starts_at=at(-3))
    with pytest.raises(ValidationError) as exc:
        services.program_publish(actor=staff, program=program)
    assert codes(exc) == {"status": ["program_over"]}
    assert Program.objects.get(pk=program.pk).status == Program.Status.DRAFT

    later = new_program(publish=False)
    travel(later.ends_at)  # the very moment it ends
    with pytest.raises(ValidationError) as exc:
        services.program_publish(actor=staff, program=later)
    assert codes(exc) == {"status": ["program_over"]}
    travel(later.ends_at - SECOND)
    assert services.program_publish(actor=staff, program=later).status == "published"


@pytest.mark.parametrize(
    ("reason", "code"), [("", "required"), ("  \t ", "required"), ("가" * 301, "max_length")]
)
def test_cancelling_needs_a_reason(reason, code, new_program, staff, person):
    program = new_program()
    registration = register(program, person())
    with pytest.raises(ValidationError) as exc:
        services.program_cancel(actor=staff, program=program, reason=reason)
    assert codes(exc) == {"reason": [code]}
    program.refresh_from_db()
    assert program.status == Program.Status.PUBLISHED and program.seats_taken == 1
    assert statuses([registration]) == [CONFIRMED]


def test_cancelling_cancels_every_live_registration_and_frees_every_seat(
    new_program, staff, person
):
    program, confirmed, waitlisted = full_with_waitlist(new_program, person)
    gone = register(program, person())  # cancelled by its person before: stays as it was
    services.registration_cancel(actor=gone.person, registration=gone)
    gone.refresh_from_db()
    cancelled = services.program_cancel(
        actor=staff, program=program, reason="  강사   사정으로  취소합니다 "
    )
    assert cancelled.status == Program.Status.CANCELLED
    program.refresh_from_db()
    assert program.status == Program.Status.CANCELLED
    assert program.seats_taken == 0
    assert program.cancel_reason == "강사 사정으로 취소합니다"
    assert statuses(confirmed + waitlisted) == [CANCELLED] * 4
    assert all(
        Registration.objects.get(pk=r.pk).cancelled_at is not None for r in confirmed + waitlisted
    )
    assert Registration.objects.get(pk=gone.pk).cancelled_at == gone.cancelled_at
    event = AuditEvent.objects.get(action="program.cancel", object_id=str(program.pk))
    assert event.changes == {"reason": "강사 사정으로 취소합니다", "registrations_cancelled": 4}


def test_cancelling_emails_each_registrant_once_after_commit(
    new_program, staff, person, mailoutbox, django_capture_on_commit_callbacks
):
    program = new_program(capacity=1)
    confirmed, waiting = person(), person()
    earlier = person()
    with django_capture_on_commit_callbacks(execute=True):
        register(program, confirmed)
        register(program, waiting)
        gone = register(program, earlier)
        services.registration_cancel(actor=earlier, registration=gone)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.program_cancel(actor=staff, program=program, reason="강사 사정")
    assert mailoutbox == []  # nothing before the transaction commits
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([confirmed.email, waiting.email])
    assert all(len(m.to) == 1 for m in mailoutbox)
    for mail in mailoutbox:
        assert mail.subject == f"[두레] 교육·행사가 취소되었습니다: {program.title}"
        assert "강사 사정" in mail.body and program.get_absolute_url() in mail.body
    for callback in callbacks:  # the notice run again sends nothing new
        callback()
    assert len(mailoutbox) == 2


def test_a_rolled_back_cancellation_emails_nobody(
    new_program, staff, person, mailoutbox, django_capture_on_commit_callbacks
):
    program = new_program()
    register(program, person())
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            services.program_cancel(actor=staff, program=program, reason="강사 사정")
            transaction.set_rollback(True)
    assert mailoutbox == []
    assert Program.objects.get(pk=program.pk).status == Program.Status.PUBLISHED


def _datetime_in(language: str, program: Program) -> str:
    with translation.override(language):
        return formats.date_format(timezone.localtime(program.starts_at), "DATETIME_FORMAT")


def test_the_cancellation_email_speaks_each_recipients_language(
    new_program, staff, person, mailoutbox, django_capture_on_commit_callbacks
):
    program = new_program()
    korean, english = person("ko"), person("en")
    register(program, korean)
    register(program, english)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.program_cancel(actor=staff, program=program, reason="강사 사정")
    mail = {m.to[0]: m for m in mailoutbox}
    assert _datetime_in("ko", program) != _datetime_in("en", program)
    assert _datetime_in("ko", program) in mail[korean.email].body
    assert _datetime_in("en", program) in mail[english.email].body


def test_an_english_speaking_registrant_is_written_to_in_english(
    new_program, person, mailoutbox, django_capture_on_commit_callbacks
):
    program = new_program()
    with django_capture_on_commit_callbacks(execute=True):
        register(program, person("en"))
    (mail,) = mailoutbox
    assert "참가 신청이 확정되었습니다" not in mail.subject
    assert "참가 신청이 확정되었습니다" not in mail.body


def test_a_cancelled_programme_is_not_cancelled_again_nor_edited(new_program, staff):
    program = new_program()
    services.program_cancel(actor=staff, program=program, reason="강사 사정")
    with pytest.raises(ValidationError) as exc:
        services.program_cancel(actor=staff, program=program, reason="다시")
    assert codes(exc) == {"status": ["program_cancelled"]}
    with pytest.raises(ValidationError) as exc:
        services.program_update(actor=staff, program=program, data={"title": "부활"})
    assert codes(exc) == {"status": ["program_cancelled"]}
    program.refresh_from_db()
    assert program.cancel_reason == "강사 사정" and program.title != "부활"
    assert actions(program).count("program.cancel") == 1


def test_a_programme_that_has_started_cannot_be_cancelled(staff, travel, new_program):
    past = Program.objects.get(title=DEMO_PAST)
    with pytest.raises(ValidationError) as exc:
        services.program_cancel(actor=staff, program=past, reason="뒤늦은 취소")
    assert codes(exc) == {"status": ["program_started"]}
    past.refresh_from_db()
    assert past.status == Program.Status.PUBLISHED
    assert past.registrations.filter(status=CONFIRMED).count() == 2

    program, other = new_program(), new_program()
    travel(program.starts_at)
    with pytest.raises(ValidationError) as exc:
        services.program_cancel(actor=staff, program=program, reason="시작한 뒤")
    assert codes(exc) == {"status": ["program_started"]}
    travel(other.starts_at - dt.timedelta(seconds=1))  # the last moment it can be cancelled
    services.program_cancel(actor=staff, program=other, reason="직전 취소")
    assert Program.objects.get(pk=other.pk).status == Program.Status.CANCELLED


@pytest.mark.parametrize("who", ["sme", "member", "daejeon_staff"])
def test_only_the_hosts_staff_cancel_a_programme(who, new_program, users, daejeon_staff):
    program = new_program()
    actor = daejeon_staff if who == "daejeon_staff" else users[who]
    with pytest.raises(PermissionDenied):
        services.program_cancel(actor=actor, program=program, reason="남의 행사")
    assert Program.objects.get(pk=program.pk).status == Program.Status.PUBLISHED


def test_a_running_programme_with_attendance_stays_on_record(new_program, staff, person, travel):
    program = new_program(capacity=5)
    came = register(program, person())
    travel(program.starts_at + HOUR)  # running: started, not yet ended
    services.attendance_record(actor=staff, program=program, attended=[came.pk])
    with pytest.raises(ValidationError) as exc:
        services.program_cancel(actor=staff, program=program, reason="정전으로 중단")
    assert codes(exc) == {"status": ["program_started"]}
    came.refresh_from_db()
    assert came.status == CONFIRMED and came.attended


# --- registering ------------------------------------------------------------------------------


def test_seats_are_confirmed_while_they_last_then_people_wait(
    new_program, person, mailoutbox, django_capture_on_commit_callbacks
):
    program = new_program(capacity=2)
    people = [person() for _ in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        registrations = [register(program, p) for p in people]
    assert statuses(registrations) == [CONFIRMED, CONFIRMED, WAITLISTED, WAITLISTED]
    assert [r.confirmed_at is not None for r in registrations] == [True, True, False, False]
    assert seats(program) == 2
    assert [actions(r) for r in registrations] == [["program.register"]] * 4
    assert AuditEvent.objects.get(
        action="program.register", object_id=str(registrations[2].pk)
    ).changes == {"status": "waitlisted"}
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert len(mailoutbox) == 4
    assert subjects[people[0].email] == f"[두레] 참가 신청이 확정되었습니다: {program.title}"
    assert subjects[people[3].email] == f"[두레] 대기자로 신청되었습니다: {program.title}"


def test_a_programme_without_a_capacity_never_makes_anyone_wait(new_program, person):
    program = new_program(capacity=None)
    registrations = [register(program, person()) for _ in range(6)]
    assert statuses(registrations) == [CONFIRMED] * 6
    assert seats(program) == 6
    assert Program.objects.get(pk=program.pk).seats_left is None


def test_registering_again_returns_the_same_registration_and_takes_no_seat(
    new_program, person, mailoutbox, django_capture_on_commit_callbacks
):
    program = new_program(capacity=1)
    first, waiting = person(), person()
    with django_capture_on_commit_callbacks(execute=True):
        registration, created = services.registration_create(actor=first, program=program)
        again, created_again = services.registration_create(
            actor=first, program=program, note="두 번째 요청"
        )
        queued, _ = services.registration_create(actor=waiting, program=program)
        queued_again, queued_created = services.registration_create(actor=waiting, program=program)
    assert (created, created_again, queued_created) == (True, False, False)
    assert again.pk == registration.pk and queued_again.pk == queued.pk
    assert again.status == CONFIRMED and queued_again.status == WAITLISTED
    assert Registration.objects.filter(program=program).count() == 2
    assert Registration.objects.get(pk=registration.pk).note == ""  # the repeat changed nothing
    assert seats(program) == 1
    assert actions(registration) == ["program.register"]
    assert len(mailoutbox) == 2  # one e-mail each


def test_after_cancelling_a_person_may_register_again(new_program, person):
    program = new_program(capacity=2)
    someone = person()
    first = register(program, someone)
    services.registration_cancel(actor=someone, registration=first)
    second, created = services.registration_create(actor=someone, program=program)
    assert created and second.pk != first.pk and second.status == CONFIRMED
    assert seats(program) == 1


def test_registration_closes_at_exactly_the_closing_time(new_program, person, travel):
    starts = at(10)
    program = new_program(starts_at=starts, registration_closes_at=starts - dt.timedelta(days=1))
    travel(program.registration_closes_at - SECOND)
    early, created = services.registration_create(actor=person(), program=program)
    assert created and early.status == CONFIRMED
    travel(program.registration_closes_at)
    late = person()
    with pytest.raises(ValidationError) as exc:
        services.registration_create(actor=late, program=program)
    assert codes(exc) == {"program": ["registration_closed"]}
    assert not Registration.objects.filter(person=late).exists()
    assert seats(program) == 1


def test_by_default_registration_closes_when_the_programme_starts(new_program, person, travel):
    program = new_program()
    travel(program.starts_at)
    with pytest.raises(ValidationError) as exc:
        services.registration_create(actor=person(), program=program)
    assert codes(exc) == {"program": ["registration_closed"]}


def test_drafts_and_cancelled_programmes_take_no_registrations(new_program, staff, person):
    draft = new_program(publish=False)
    cancelled = new_program()
    services.program_cancel(actor=staff, program=cancelled, reason="강사 사정")
    someone = person()
    for program in (draft, cancelled):
        with pytest.raises(ValidationError) as exc:
            services.registration_create(actor=someone, program=program)
        assert codes(exc) == {"program": ["program_not_open"]}
    assert not Registration.objects.filter(person=someone).exists()
    assert seats(draft) == 0 == seats(cancelled)


def test_a_person_registers_only_for_an_organisation_they_belong_to(
    new_program, users, org, person
):
    program = new_program(capacity=5)
    with pytest.raises(ValidationError) as exc:
        services.registration_create(
            actor=users["member"], program=program, organisation=org("한빛정밀")
        )
    assert codes(exc) == {"organisation": ["organisation_not_member"]}
    with pytest.raises(ValidationError) as exc:
        services.registration_create(actor=person(), program=program, organisation=org(SERIO).pk)
    assert codes(exc) == {"organisation": ["organisation_not_member"]}
    assert Registration.objects.filter(program=program).count() == 0 and seats(program) == 0

    as_member = register(program, users["member"], organisation=org(SERIO))
    as_self = register(program, users["sme"], organisation="")
    assert as_member.organisation == org(SERIO) and as_self.organisation is None


@pytest.mark.parametrize(
    ("note", "code"),
    [("가" * 301, "max_length"), ("휠체어 필요, 주민번호 900101-1234567", "resident_number")],
)
def test_a_bad_note_is_refused(note, code, new_program, person):
    program = new_program()
    someone = person()
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.registration_create(actor=someone, program=program, note=note)
    assert codes(exc) == {"note": [code]}
    assert counts() == before and seats(program) == 0


def test_a_note_of_300_characters_is_kept_with_its_spaces_tidied(new_program, person):
    program = new_program()
    longest = register(program, person(), note="가" * 300)
    tidied = register(program, person(), note="  휠체어   접근\n필요 ")
    assert len(Registration.objects.get(pk=longest.pk).note) == 300
    assert Registration.objects.get(pk=tidied.pk).note == "휠체어 접근 필요"


def test_anonymous_and_inactive_people_cannot_register(new_program, person):
    program = new_program()
    with pytest.raises(PermissionDenied):
        services.registration_create(actor=AnonymousUser(), program=program)
    with pytest.raises(PermissionDenied):
        services.registration_create(actor=person(is_active=False), program=program)
    assert seats(program) == 0


# --- cancelling a registration -----------------------------------------------------------------


def test_a_freed_seat_goes_to_the_first_in_line(
    new_program, person, mailoutbox, django_capture_on_commit_callbacks
):
    program, (a, b), waiting = full_with_waitlist(new_program, person, waiting=3)
    first, second, third = waiting
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(actor=a.person, registration=a)
    assert statuses([a, b, first, second, third]) == [
        CANCELLED,
        CONFIRMED,
        CONFIRMED,
        WAITLISTED,
        WAITLISTED,
    ]
    assert Registration.objects.get(pk=first.pk).confirmed_at is not None
    assert seats(program) == 2
    assert [m.to for m in mailoutbox] == [[first.person.email]]
    assert mailoutbox[0].subject == f"[두레] 대기 중이던 신청이 확정되었습니다: {program.title}"
    promote = AuditEvent.objects.get(action="program.waitlist_promote")
    assert promote.object_id == str(first.pk) and promote.actor == a.person
    assert [selectors.waitlist_position(r) for r in (second, third)] == [1, 2]
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(actor=b.person, registration=b)
    assert statuses([second, third]) == [CONFIRMED, WAITLISTED]
    assert [m.to[0] for m in mailoutbox] == [first.person.email, second.person.email]


def test_the_promotion_email_speaks_the_recipients_language(
    new_program, person, mailoutbox, django_capture_on_commit_callbacks
):
    program, (a,), (english,) = full_with_waitlist(new_program, person, capacity=1, waiting=1)
    english.person.preferred_language = "en"
    english.person.save(update_fields=["preferred_language"])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(actor=a.person, registration=a)
    (mail,) = mailoutbox
    assert _datetime_in("en", program) in mail.body
    assert _datetime_in("ko", program) not in mail.body


def test_cancelling_a_waiting_registration_frees_nobodys_seat(
    new_program, person, mailoutbox, django_capture_on_commit_callbacks
):
    program, confirmed, (first, second) = full_with_waitlist(new_program, person)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(actor=first.person, registration=first)
    assert statuses(confirmed + [first, second]) == [CONFIRMED, CONFIRMED, CANCELLED, WAITLISTED]
    assert seats(program) == 2
    assert selectors.waitlist_position(Registration.objects.get(pk=second.pk)) == 1
    assert mailoutbox == []
    assert AuditEvent.objects.get(
        action="program.registration_cancel", object_id=str(first.pk)
    ).changes == {"was": "waitlisted"}
    assert not AuditEvent.objects.filter(action="program.waitlist_promote").exists()


def test_no_cancelling_once_the_programme_has_started(new_program, person, travel):
    program, (a, b), (waiting,) = full_with_waitlist(new_program, person, waiting=1)
    travel(program.starts_at)
    with pytest.raises(ValidationError) as exc:
        services.registration_cancel(actor=a.person, registration=a)
    assert codes(exc) == {"registration": ["program_started"]}
    assert statuses([a, waiting]) == [CONFIRMED, WAITLISTED] and seats(program) == 2
    travel(program.starts_at - SECOND)
    services.registration_cancel(actor=b.person, registration=b)
    assert statuses([b, waiting]) == [CANCELLED, CONFIRMED]


@pytest.mark.parametrize("who", ["other registrant", "sme", "daejeon_staff", "anonymous"])
def test_nobody_else_cancels_a_persons_registration(who, new_program, person, users, daejeon_staff):
    program = new_program()
    mine = register(program, person())
    other = register(program, person())
    actor = {
        "other registrant": other.person,
        "daejeon_staff": daejeon_staff,
        "anonymous": AnonymousUser(),
    }.get(who) or users[who]
    with pytest.raises(PermissionDenied):
        services.registration_cancel(actor=actor, registration=mine)
    assert statuses([mine]) == [CONFIRMED] and seats(program) == 2


@pytest.mark.parametrize("who", ["center", "admin"])
def test_the_hosts_staff_and_admins_cancel_someones_registration(who, new_program, person, users):
    program, (a, _b), (waiting,) = full_with_waitlist(new_program, person, waiting=1)
    services.registration_cancel(actor=users[who], registration=a)
    assert statuses([a, waiting]) == [CANCELLED, CONFIRMED]
    event = AuditEvent.objects.get(action="program.registration_cancel", object_id=str(a.pk))
    assert event.actor == users[who]


def test_in_the_demo_workshop_a_freed_seat_goes_to_the_waiting_member(users):
    """On the demo data: 과학기술인협동조합지원센터's staff cannot cancel in another centre's
    full workshop; its chair (coop) cancels her own seat and member moves up."""
    workshop = Program.objects.get(title=DEMO_FULL)
    coop = workshop.registrations.get(person=users["coop"])
    member = workshop.registrations.get(person=users["member"])
    assert member.status == WAITLISTED and selectors.waitlist_position(member) == 1
    with pytest.raises(PermissionDenied):
        services.registration_cancel(actor=users["center"], registration=coop)
    services.registration_cancel(actor=users["coop"], registration=coop)
    assert statuses([coop, member]) == [CANCELLED, CONFIRMED]
    assert seats(workshop) == 2


def test_cancelling_twice_is_harmless(new_program, person):
    program, (a, _b), (first, second) = full_with_waitlist(new_program, person)
    services.registration_cancel(actor=a.person, registration=a)
    again = services.registration_cancel(actor=a.person, registration=a)
    assert again.status == CANCELLED
    assert seats(program) == 2
    assert statuses([first, second]) == [CONFIRMED, WAITLISTED]
    assert actions(a).count("program.registration_cancel") == 1


# --- updating a programme ---------------------------------------------------------------------


def test_the_capacity_cannot_fall_below_the_confirmed_seats(new_program, staff, person):
    program, _confirmed, _waiting = full_with_waitlist(new_program, person, capacity=3, waiting=0)
    with pytest.raises(ValidationError) as exc:
        services.program_update(actor=staff, program=program, data={"capacity": 2})
    assert codes(exc) == {"capacity": ["capacity_below_taken"]}
    assert exc.value.error_dict["capacity"][0].params == {"taken": 3}
    assert Program.objects.get(pk=program.pk).capacity == 3
    same = services.program_update(actor=staff, program=program, data={"capacity": "3"})
    assert same.capacity == 3


def test_a_larger_capacity_moves_waiting_people_up_in_order(
    new_program, staff, person, mailoutbox, django_capture_on_commit_callbacks
):
    program, _confirmed, waiting = full_with_waitlist(new_program, person, capacity=1, waiting=3)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.program_update(actor=staff, program=program, data={"capacity": 3})
    assert statuses(waiting) == [CONFIRMED, CONFIRMED, WAITLISTED]
    assert seats(program) == 3
    assert sorted(m.to[0] for m in mailoutbox) == sorted(r.person.email for r in waiting[:2])
    promoted = AuditEvent.objects.filter(action="program.waitlist_promote").order_by("id")
    assert [e.object_id for e in promoted] == [str(r.pk) for r in waiting[:2]]
    assert all(e.actor == staff for e in promoted)
    change = AuditEvent.objects.get(action="program.update", object_id=str(program.pk))
    assert "capacity" in change.changes


def test_removing_the_capacity_confirms_everyone_waiting(new_program, staff, person):
    program, _confirmed, waiting = full_with_waitlist(new_program, person, capacity=1, waiting=3)
    services.program_update(actor=staff, program=program, data={"capacity": ""})
    assert statuses(waiting) == [CONFIRMED] * 3
    program.refresh_from_db()
    assert program.capacity is None and program.seats_taken == 4


def test_an_update_changes_only_what_it_names(new_program, staff):
    program = new_program(capacity=7, fee=5_000)
    updated = services.program_update(actor=staff, program=program, data={"title": " 새  제목 "})
    updated.refresh_from_db()
    assert updated.title == "새 제목"
    assert (updated.capacity, updated.fee, updated.venue) == (7, 5_000, program.venue)
    assert updated.starts_at == program.starts_at and updated.status == Program.Status.PUBLISHED
    change = AuditEvent.objects.get(action="program.update", object_id=str(program.pk))
    assert set(change.changes) == {"title"}
    services.program_update(actor=staff, program=program, data={})
    assert actions(program).count("program.update") == 1  # nothing changed: no second row


def test_an_update_is_validated_like_a_creation(new_program, staff):
    program = new_program()
    with pytest.raises(ValidationError) as exc:
        services.program_update(
            actor=staff, program=program, data={"ends_at": program.starts_at, "fee": "많이"}
        )
    assert codes(exc) == {"ends_at": ["program_order"], "fee": ["invalid"]}
    assert Program.objects.get(pk=program.pk).ends_at == program.ends_at


@pytest.mark.parametrize("who", ["sme", "member", "daejeon_staff"])
def test_only_the_hosts_staff_update(who, new_program, users, daejeon_staff):
    program = new_program()
    actor = daejeon_staff if who == "daejeon_staff" else users[who]
    with pytest.raises(PermissionDenied):
        services.program_update(actor=actor, program=program, data={"title": "가로채기"})
    assert Program.objects.get(pk=program.pk).title == program.title


# --- attendance -------------------------------------------------------------------------------


def test_attendance_is_taken_only_once_the_programme_has_started(
    new_program, staff, person, travel
):
    program, (a, _b), _waiting = full_with_waitlist(new_program, person, waiting=0)
    with pytest.raises(ValidationError) as exc:
        services.attendance_record(actor=staff, program=program, attended=[a.pk])
    assert codes(exc) == {"attended": ["program_not_started"]}
    travel(program.starts_at - SECOND)
    with pytest.raises(ValidationError):
        services.attendance_record(actor=staff, program=program, attended=[a.pk])
    assert not Registration.objects.get(pk=a.pk).attended
    travel(program.starts_at)
    assert services.attendance_record(actor=staff, program=program, attended=[a.pk]) == 1


def test_attendance_marks_the_ticked_and_resets_the_unticked(new_program, staff, person, travel):
    program, (a, b), _waiting = full_with_waitlist(new_program, person, waiting=0)
    travel(program.starts_at + HOUR)
    assert services.attendance_record(actor=staff, program=program, attended=[a.pk, str(b.pk)]) == 2
    assert [Registration.objects.get(pk=r.pk).attended for r in (a, b)] == [True, True]
    assert services.attendance_record(actor=staff, program=program, attended=[b.pk]) == 1
    assert [Registration.objects.get(pk=r.pk).attended for r in (a, b)] == [False, True]
    events = AuditEvent.objects.filter(action="program.attendance", object_id=str(program.pk))
    assert [e.changes for e in events.order_by("id")] == [
        {"attended": sorted([a.pk, b.pk]), "marked": 2, "unmarked": 0},
        {"attended": [b.pk], "marked": 0, "unmarked": 1},
    ]
    assert services.attendance_record(actor=staff, program=program, attended=[b.pk]) == 0
    assert events.count() == 2  # nothing changed: no row
    assert services.attendance_record(actor=staff, program=program, attended=[]) == 1
    assert not Registration.objects.filter(program=program, attended=True).exists()


def test_attendance_takes_only_confirmed_registrations_of_that_programme(
    new_program, staff, person, travel
):
    program, (a, _b), (waiting,) = full_with_waitlist(new_program, person, waiting=1)
    elsewhere = register(new_program(), person())
    travel(program.starts_at + HOUR)
    for wrong in ([waiting.pk], [a.pk, elsewhere.pk], [a.pk, 99_999_999]):
        with pytest.raises(ValidationError) as exc:
            services.attendance_record(actor=staff, program=program, attended=wrong)
        assert codes(exc) == {"attended": ["registration_not_confirmed"]}
    with pytest.raises(ValidationError) as exc:
        services.attendance_record(actor=staff, program=program, attended=["첫째"])
    assert codes(exc) == {"attended": ["invalid"]}
    assert not Registration.objects.filter(attended=True, pk__in=[a.pk, elsewhere.pk]).exists()
    assert not AuditEvent.objects.filter(action="program.attendance").exists()


def test_attendance_is_for_the_hosts_staff_and_for_published_programmes(
    new_program, staff, person, users, daejeon_staff, travel
):
    program, (a, _b), _waiting = full_with_waitlist(new_program, person, waiting=0)
    draft = new_program(publish=False)
    travel(program.starts_at + HOUR)
    for actor in (a.person, users["sme"], daejeon_staff):
        with pytest.raises(PermissionDenied):
            services.attendance_record(actor=actor, program=program, attended=[a.pk])
    with pytest.raises(ValidationError) as exc:
        services.attendance_record(actor=staff, program=draft, attended=[])
    assert codes(exc) == {"attended": ["program_not_open"]}
    assert services.attendance_record(actor=users["admin"], program=program, attended=[a.pk]) == 1


# --- forgetting a person (account deletion) ----------------------------------------------------


def test_forgetting_cancels_future_registrations_frees_seats_and_erases_notes(
    new_program, person, travel
):
    leaving = person()
    soon = new_program(capacity=1)
    mine = register(soon, leaving, note="휠체어 접근 필요")
    next_in_line = register(soon, person())
    queued_elsewhere = register(
        new_program(capacity=1), person()
    )  # a programme where leaving waits
    other = Program.objects.get(pk=queued_elsewhere.program_id)
    waiting = register(other, leaving, note="대기 중")
    past_program = new_program(capacity=5)
    attended = register(past_program, leaving, note="수어 통역")
    Program.objects.filter(pk=past_program.pk).update(
        starts_at=F("starts_at") - dt.timedelta(days=30),
        ends_at=F("ends_at") - dt.timedelta(days=30),
        registration_closes_at=F("registration_closes_at") - dt.timedelta(days=30),
    )

    assert services.registrations_forget(user=leaving) == 2
    assert statuses([mine, next_in_line, waiting, attended]) == [
        CANCELLED,
        CONFIRMED,
        CANCELLED,
        CONFIRMED,  # a programme that has taken place keeps its record
    ]
    assert seats(soon) == 1 and seats(other) == 1 and seats(past_program) == 1
    assert (
        list(Registration.objects.filter(person=leaving).values_list("note", flat=True)) == [""] * 3
    )
    assert services.registrations_forget(user=leaving) == 0


def test_deleting_an_account_frees_its_seats(users):
    from dure.accounts.services import account_delete

    workshop = Program.objects.get(title=DEMO_FULL)
    coop = workshop.registrations.get(person=users["coop"])
    member = workshop.registrations.get(person=users["member"])
    account_delete(user=users["coop"])
    assert statuses([coop, member]) == [CANCELLED, CONFIRMED]
    assert seats(workshop) == 2


# --- the database's own rules ------------------------------------------------------------------


def test_the_database_keeps_the_seat_counter_within_the_capacity(new_program, person):
    program = new_program(capacity=2)
    register(program, person())
    register(program, person())
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(seats_taken=F("seats_taken") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(capacity=0, seats_taken=0)
    assert seats(program) == 2 and Program.objects.get(pk=program.pk).capacity == 2
    unlimited = new_program(capacity=None)
    Program.objects.filter(pk=unlimited.pk).update(seats_taken=10_000)  # no capacity, no limit


def test_the_database_refuses_bad_programme_times(new_program):
    program = new_program()
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(ends_at=F("starts_at"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(registration_closes_at=F("ends_at") + HOUR)


def test_the_database_refuses_a_second_live_registration(new_program, person):
    program = new_program(capacity=5)
    someone = person()
    first = register(program, someone)
    for status in (CONFIRMED, WAITLISTED):
        with pytest.raises(IntegrityError), transaction.atomic():
            Registration.objects.create(program=program, person=someone, status=status)
    services.registration_cancel(actor=someone, registration=first)
    # a cancelled one may be followed by a new one, and cancelled ones do not collide
    Registration.objects.create(program=program, person=someone, status=CANCELLED)
    Registration.objects.create(program=program, person=someone, status=WAITLISTED)
    assert Registration.objects.filter(program=program, person=someone).count() == 3


def test_the_database_refuses_attendance_of_an_unconfirmed_registration(new_program, person):
    program, _confirmed, (waiting,) = full_with_waitlist(new_program, person, waiting=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.filter(pk=waiting.pk).update(attended=True)


# --- selectors --------------------------------------------------------------------------------


def titles(page) -> list[str]:
    return [p.title for p in page.object_list]


def test_upcoming_programmes_soonest_first_and_past_ones_latest_first(new_program, users):
    later = new_program(starts_at=at(40))
    sooner = new_program(starts_at=at(2))
    running = new_program(starts_at=timezone.now() - HOUR)  # started, not yet ended
    old, older = new_program(), new_program()
    for program, days in ((old, 5), (older, 50)):
        Program.objects.filter(pk=program.pk).update(
            starts_at=at(-days),
            ends_at=at(-days) + 3 * HOUR,
            registration_closes_at=at(-days),
        )
    sme = users["sme"]
    upcoming = list(selectors.program_list(user=sme).object_list)
    assert [p.starts_at for p in upcoming] == sorted(p.starts_at for p in upcoming)
    assert all(p.ends_at > timezone.now() for p in upcoming)
    upcoming_titles = [p.title for p in upcoming]
    assert upcoming_titles.index(running.title) < upcoming_titles.index(sooner.title)
    assert upcoming_titles.index(sooner.title) < upcoming_titles.index(later.title)
    assert old.title not in upcoming_titles and DEMO_PAST not in upcoming_titles

    past = list(selectors.program_list(user=sme, when="past").object_list)
    assert [p.starts_at for p in past] == sorted((p.starts_at for p in past), reverse=True)
    past_titles = [p.title for p in past]
    assert past_titles.index(old.title) < past_titles.index(DEMO_PAST)
    assert past_titles.index(DEMO_PAST) < past_titles.index(older.title)
    assert running.title not in past_titles and later.title not in past_titles


def test_drafts_are_listed_only_for_those_who_run_them(new_program, users, daejeon):
    draft = new_program(publish=False)
    other_centres_draft = services.program_create(
        actor=users["admin"], host=daejeon, data=program_data()
    )
    cancelled = new_program()
    services.program_cancel(actor=users["center"], program=cancelled, reason="강사 사정")

    def listed(user) -> set[str]:
        return set(titles(selectors.program_list(user=user)))

    for outsider in (AnonymousUser(), users["sme"], users["member"], users["researcher"]):
        seen = listed(outsider)
        assert draft.title not in seen and DEMO_DRAFT not in seen
        assert other_centres_draft.title not in seen
        assert cancelled.title in seen and DEMO_FULL in seen  # public once published
    center = listed(users["center"])
    assert {draft.title, DEMO_DRAFT, cancelled.title} <= center
    assert other_centres_draft.title not in center
    assert {draft.title, DEMO_DRAFT, other_centres_draft.title} <= listed(users["admin"])


def test_the_list_filters_by_kind_and_region(new_program, users):
    daejeon = Sido.objects.get(name="대전광역시")
    forum = new_program(kind=ProgramKind.FORUM, sido=daejeon)
    education = new_program(kind=ProgramKind.EDUCATION)
    forums = titles(selectors.program_list(user=users["sme"], kind=ProgramKind.FORUM))
    assert forum.title in forums and education.title not in forums
    assert all(
        p.kind == "forum"
        for p in selectors.program_list(user=users["sme"], kind="forum").object_list
    )
    in_daejeon = selectors.program_list(user=users["sme"], sido=daejeon.pk).object_list
    assert forum.title in [p.title for p in in_daejeon]
    assert education.title not in [p.title for p in in_daejeon]
    assert all(p.sido_id == daejeon.pk for p in in_daejeon)


def test_waitlist_positions_follow_the_order_of_registration(new_program, person):
    program, confirmed, waiting = full_with_waitlist(new_program, person, capacity=1, waiting=3)
    assert selectors.waitlist_position(confirmed[0]) is None
    assert [selectors.waitlist_position(r) for r in waiting] == [1, 2, 3]
    services.registration_cancel(actor=waiting[0].person, registration=waiting[0])
    fresh = [Registration.objects.get(pk=r.pk) for r in waiting]
    assert [selectors.waitlist_position(r) for r in fresh] == [None, 1, 2]


def test_waitlist_positions_break_ties_by_id(new_program, person, travel):
    program = new_program(capacity=1)
    travel(timezone.now())  # every registration gets the same created_at
    register(program, person())
    tied = [register(program, person()) for _ in range(3)]
    assert len({Registration.objects.get(pk=r.pk).created_at for r in tied}) == 1
    assert [selectors.waitlist_position(r) for r in tied] == [1, 2, 3]


def test_registration_of_and_the_registrant_list(new_program, person):
    program, (a, b), (waiting,) = full_with_waitlist(new_program, person, waiting=1)
    services.registration_cancel(actor=b.person, registration=b)
    assert selectors.registration_of(user=AnonymousUser(), program=program) is None
    assert selectors.registration_of(user=person(), program=program) is None
    assert selectors.registration_of(user=b.person, program=program).pk == b.pk  # cancelled
    again = register(program, b.person)
    assert selectors.registration_of(user=b.person, program=program).pk == again.pk
    order = [r.pk for r in selectors.registrants(program=program)]
    # confirmed (a, the promoted one), then waiting (b again), then cancelled (b's first)
    assert order == [a.pk, waiting.pk, again.pk, b.pk]
    assert selectors.status_counts(program=program) == {
        "confirmed": 2,
        "waitlisted": 1,
        "cancelled": 1,
        "attended": 0,
    }


def test_my_registrations_are_only_mine_latest_programme_first(new_program, person):
    someone = person()
    soon, later = new_program(starts_at=at(3)), new_program(starts_at=at(30))
    register(soon, someone)
    register(later, someone)
    register(later, person())
    mine = list(selectors.my_registrations(user=someone))
    assert [r.program_id for r in mine] == [later.pk, soon.pk]
    assert {r.person_id for r in mine} == {someone.pk}
