"""Founding consultations: the services, access rules and selectors.

Asking a support centre for help (who may, which centre, the validation of every field), the
stage machine (every pair of stages, the five founders of a founding meeting, the founded
cooperative named once), withdrawing and reopening, assigning a consultant, counselling
sessions, who sees and handles which consultation, the reads, the e-mails to the applicant, and
forgetting an applicant. The demo data is loaded: three consultations at
과학기술인협동조합지원센터, whose staff is the demo user ``center``. Tests that need "now" at a
given moment move ``django.utils.timezone.now``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation

from dure.core.models import AppendOnlyError, AuditEvent
from dure.directory.demo import CENTRE, COUNCIL, SERIO
from dure.directory.models import Membership, Organisation, OrganisationKind, Role, Sido
from dure.founding import access, selectors, services
from dure.founding.models import (
    OPEN_STAGES,
    TRANSITIONS,
    Consultation,
    Session,
    Stage,
    StageEvent,
    Topic,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
DEMO_RECEIVED = "연구장비공유협동조합"  # researcher's, just asked for, nobody assigned
DEMO_PREPARING = "돌봄나눔사회적협동조합"  # member's, four founders, two sessions
DEMO_FOUNDED = SERIO  # coop's, ended as 세리오협동조합
DEMO_NAMES = {DEMO_RECEIVED, DEMO_PREPARING, DEMO_FOUNDED}
DEMO_INTERNAL_NOTE = "발기인 명단은 다음 상담 때 받기로 함"
SME = "한빛정밀"

_serial = itertools.count(1)


# --- helpers ---------------------------------------------------------------------------------


def request_data(**overrides) -> dict:
    data = {
        "contact_name": "홍길동",
        "contact_phone": "010-2345-6789",
        "proposed_name": f"마을공방협동조합 {next(_serial)}",
        "kind": OrganisationKind.COOPERATIVE,
        "sido": "",
        "business": "동네 목공방을 함께 운영하고 목공 교육을 하려고 합니다.",
        "founders": 3,
    }
    data.update(overrides)
    return data


def session_data(**overrides) -> dict:
    data = {
        "held_on": timezone.localdate(),
        "mode": Session.Mode.VISIT,
        "topics": [Topic.BUSINESS_PLAN],
        "summary": "사업계획의 수익 구조를 함께 검토했습니다.",
        "next_steps": "발기인 명단 정리",
        "internal_note": "",
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


def steps(consultation: Consultation) -> list[tuple[str, str]]:
    return list(
        StageEvent.objects.filter(consultation=consultation)
        .order_by("id")
        .values_list("from_stage", "to_stage")
    )


def counts() -> tuple[int, int, int, int]:
    return (
        Consultation.objects.count(),
        StageEvent.objects.count(),
        AuditEvent.objects.count(),
        Session.objects.count(),
    )


def fresh(consultation: Consultation) -> Consultation:
    return Consultation.objects.get(pk=consultation.pk)


def demo(name: str) -> Consultation:
    return Consultation.objects.get(proposed_name=name)


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def centre(org):
    return org(CENTRE)


@pytest.fixture
def staff(users):
    """Staff of 과학기술인협동조합지원센터, where the demo consultations were asked for."""
    return users["center"]


@pytest.fixture
def other_centre(db):
    return Organisation.objects.create(
        kind=OrganisationKind.SUPPORT_CENTRE, name="부산 협동조합 지원센터"
    )


@pytest.fixture
def other_staff(person, other_centre):
    """Staff of another centre: handles nothing of 과학기술인협동조합지원센터."""
    user = person()
    Membership.objects.create(user=user, organisation=other_centre, role=Role.STAFF)
    return user


@pytest.fixture
def second_staff(person, centre):
    """A second member of staff of 과학기술인협동조합지원센터."""
    user = person()
    Membership.objects.create(user=user, organisation=centre, role=Role.STAFF)
    return user


@pytest.fixture
def cooperative(db):
    """cooperative(kind=...) → a new organisation in the directory, named by no consultation."""

    def make(kind: str = OrganisationKind.COOPERATIVE) -> Organisation:
        return Organisation.objects.create(kind=kind, name=f"새로 세운 협동조합 {next(_serial)}")

    return make


@pytest.fixture
def new_consultation(person, centre, cooperative):
    """new_consultation(stage=..., applicant=..., at=..., **fields) → a consultation asked for
    through the service (at 과학기술인협동조합지원센터 by a new person unless given), then put
    straight at ``stage`` (a founded one names a new cooperative)."""

    def make(*, stage: str = Stage.RECEIVED, applicant=None, at=None, **overrides):
        consultation = services.consultation_request(
            actor=applicant or person(), centre=at or centre, data=request_data(**overrides)
        ).consultation
        if stage != Stage.RECEIVED:
            Consultation.objects.filter(pk=consultation.pk).update(
                stage=stage, organisation=cooperative() if stage == Stage.FOUNDED else None
            )
        return fresh(consultation)

    return make


@pytest.fixture
def travel(monkeypatch):
    """travel(moment) → timezone.now() answers ``moment`` from then on (for this test)."""

    def to(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return to


# --- asking for a consultation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["admin", "center", "researcher", "sme", "coop", "member", "supplier", "seller"]
)
def test_any_signed_in_person_asks_a_centre(role, users, centre):
    before = counts()
    asker = users[role]
    consultation = services.consultation_request(
        actor=asker, centre=centre.pk, data=request_data(proposed_name="과학장비협동조합")
    ).consultation
    consultation = fresh(consultation)
    assert consultation.centre == centre and consultation.applicant == asker
    assert consultation.stage == Stage.RECEIVED
    assert consultation.consultant is None and consultation.organisation is None
    assert (consultation.proposed_name, consultation.founders) == ("과학장비협동조합", 3)
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1, before[3])
    event = StageEvent.objects.get(consultation=consultation)
    assert (event.from_stage, event.to_stage, event.actor, event.note) == (
        "",
        Stage.RECEIVED,
        asker,
        "",
    )
    assert actions(consultation) == ["founding.request"]
    assert AuditEvent.objects.get(
        action="founding.request", object_id=str(consultation.pk)
    ).actor == (asker)


def test_the_request_keeps_its_fields_tidied(person, centre):
    daejeon = Sido.objects.get(name="대전광역시")
    asker = person()
    consultation = services.consultation_request(
        actor=asker,
        centre=centre,
        data=request_data(
            contact_name="  홍   길동 ",
            contact_phone="01012345678",
            proposed_name=" 한밭  돌봄협동조합 ",
            kind=OrganisationKind.SOCIAL_COOPERATIVE,
            sido=daejeon.code,
            business="  첫째 줄\n\n둘째 줄  ",
            founders=" 12 ",
        ),
    ).consultation
    consultation = fresh(consultation)
    assert consultation.contact_name == "홍 길동"
    assert consultation.contact_phone == "010-1234-5678"
    assert consultation.proposed_name == "한밭 돌봄협동조합"
    assert consultation.kind == OrganisationKind.SOCIAL_COOPERATIVE
    assert consultation.sido == daejeon
    assert consultation.business == "첫째 줄\n\n둘째 줄"
    assert consultation.founders == 12


@pytest.mark.parametrize(
    ("phone", "stored"),
    [
        ("02 1234 5678", "02-1234-5678"),
        ("+82 10 1234 5678", "010-1234-5678"),
        ("1588 1234", "1588-1234"),
        ("", ""),
        (None, ""),
    ],
)
def test_the_phone_number_is_normalised(phone, stored, person, centre):
    consultation = services.consultation_request(
        actor=person(), centre=centre, data=request_data(contact_phone=phone)
    ).consultation
    assert fresh(consultation).contact_phone == stored


def test_blanks_get_their_defaults_and_a_sido_may_be_given_as_a_row(person, centre):
    sejong = Sido.objects.get(name="세종특별자치시")
    data = request_data(sido=sejong)
    del data["founders"]
    consultation = fresh(
        services.consultation_request(actor=person(), centre=centre, data=data).consultation
    )
    assert consultation.sido == sejong and consultation.founders == 1
    blank = fresh(
        services.consultation_request(
            actor=person(), centre=centre, data=request_data(sido="", founders="")
        ).consultation
    )
    assert blank.sido is None and blank.founders == 1


@pytest.mark.parametrize(
    "kind",
    [
        OrganisationKind.COOPERATIVE,
        OrganisationKind.SOCIAL_COOPERATIVE,
        OrganisationKind.WORKER_COOPERATIVE,
        OrganisationKind.FEDERATION,
    ],
)
def test_every_foundable_kind_may_be_asked_for(kind, person, centre):
    consultation = services.consultation_request(
        actor=person(), centre=centre, data=request_data(kind=kind)
    ).consultation
    assert fresh(consultation).kind == kind


def test_the_boundary_values_are_accepted(person, centre):
    consultation = services.consultation_request(
        actor=person(),
        centre=centre,
        data=request_data(
            contact_name="가" * 50,
            proposed_name="나" * 100,
            business="다" * 3000,
            founders=10_000,
        ),
    ).consultation
    consultation = fresh(consultation)
    assert len(consultation.contact_name) == 50 and len(consultation.proposed_name) == 100
    assert len(consultation.business) == 3000 and consultation.founders == 10_000
    one = services.consultation_request(
        actor=person(), centre=centre, data=request_data(founders=1)
    ).consultation
    assert fresh(one).founders == 1


def test_anonymous_and_inactive_people_cannot_ask(person, centre):
    inactive = person(is_active=False)
    before = counts()
    for who in (AnonymousUser(), inactive, None):
        with pytest.raises(PermissionDenied):
            services.consultation_request(actor=who, centre=centre, data=request_data())
    assert counts() == before


def test_a_regional_centre_may_be_asked(person):
    regional = Organisation.objects.create(
        kind=OrganisationKind.REGIONAL_CENTRE, name="세종 지역 협동조합 상담센터"
    )
    consultation = services.consultation_request(
        actor=person(), centre=regional, data=request_data()
    ).consultation
    assert fresh(consultation).centre == regional


@pytest.mark.parametrize(
    "centre_of",
    [
        pytest.param(lambda org: org(SERIO), id="cooperative"),
        pytest.param(lambda org: org(SME), id="sme"),
        pytest.param(lambda org: org(COUNCIL), id="council"),
        pytest.param(
            lambda org: Organisation.objects.create(
                kind=OrganisationKind.SUPPORT_CENTRE, name="비공개 지원센터", is_public=False
            ),
            id="hidden-centre",
        ),
        pytest.param(lambda org: 999_999, id="missing"),
        pytest.param(lambda org: None, id="none"),
        pytest.param(lambda org: "abc", id="not-a-number"),
    ],
)
def test_only_a_public_centre_is_asked(centre_of, org, person):
    asker = person()
    target = centre_of(org)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.consultation_request(actor=asker, centre=target, data=request_data())
    assert codes(exc) == {"centre": ["centre_unknown"]}
    assert counts() == before


INVALID_REQUESTS = [
    pytest.param({"contact_name": ""}, "contact_name", "required", id="name-missing"),
    pytest.param({"contact_name": " \n "}, "contact_name", "required", id="name-blank"),
    pytest.param({"contact_name": None}, "contact_name", "required", id="name-none"),
    pytest.param({"contact_name": "가" * 51}, "contact_name", "max_length", id="name-51"),
    pytest.param({"proposed_name": ""}, "proposed_name", "required", id="proposed-missing"),
    pytest.param({"proposed_name": "가" * 101}, "proposed_name", "max_length", id="proposed-101"),
    pytest.param({"business": "   "}, "business", "required", id="business-blank"),
    pytest.param({"business": "가" * 3001}, "business", "max_length", id="business-3001"),
    pytest.param({"kind": OrganisationKind.COUNCIL}, "kind", "invalid_choice", id="kind-council"),
    pytest.param({"kind": OrganisationKind.SME}, "kind", "invalid_choice", id="kind-sme"),
    pytest.param(
        {"kind": OrganisationKind.SUPPORT_CENTRE}, "kind", "invalid_choice", id="kind-centre"
    ),
    pytest.param({"kind": "party"}, "kind", "invalid_choice", id="kind-unknown"),
    pytest.param({"kind": ""}, "kind", "invalid_choice", id="kind-missing"),
    pytest.param({"contact_phone": "010-1234-567O"}, "contact_phone", "phone_format", id="phone-o"),
    pytest.param({"contact_phone": "abc"}, "contact_phone", "phone_format", id="phone-letters"),
    pytest.param({"contact_phone": "0101234"}, "contact_phone", "phone_invalid", id="phone-short"),
    pytest.param({"sido": "99"}, "sido", "invalid_choice", id="sido-unknown"),
    pytest.param({"sido": "대전"}, "sido", "invalid_choice", id="sido-name"),
    pytest.param({"founders": "0"}, "founders", "out_of_range", id="founders-0-text"),
    pytest.param({"founders": -1}, "founders", "out_of_range", id="founders-negative"),
    pytest.param({"founders": 10_001}, "founders", "out_of_range", id="founders-10001"),
    pytest.param({"founders": "다섯"}, "founders", "invalid", id="founders-text"),
    pytest.param({"founders": "2.5"}, "founders", "invalid", id="founders-fraction"),
    pytest.param(
        {"business": "대표 주민번호 900101-1234567 입니다"},
        "business",
        "resident_number",
        id="rrn-business",
    ),
    pytest.param(
        {"contact_name": "홍길동 9001011234567"}, "contact_name", "resident_number", id="rrn-name"
    ),
    pytest.param(
        {"proposed_name": "협동조합 900101-2234567"},
        "proposed_name",
        "resident_number",
        id="rrn-proposed",
    ),
]


@pytest.mark.parametrize(("overrides", "field", "code"), INVALID_REQUESTS)
def test_invalid_fields_are_refused_with_a_code_and_nothing_is_written(
    overrides, field, code, person, centre, mailoutbox, django_capture_on_commit_callbacks
):
    asker = person()
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError) as exc:
            services.consultation_request(
                actor=asker, centre=centre, data=request_data(**overrides)
            )
    assert codes(exc) == {field: [code]}
    assert counts() == before
    assert mailoutbox == []


def test_zero_founders_given_as_a_number_is_refused(person, centre):
    with pytest.raises(ValidationError) as exc:
        services.consultation_request(actor=person(), centre=centre, data=request_data(founders=0))
    assert codes(exc) == {"founders": ["out_of_range"]}


def test_every_wrong_field_is_named_at_once(person, centre):
    with pytest.raises(ValidationError) as exc:
        services.consultation_request(
            actor=person(),
            centre=None,
            data={"contact_phone": "abc", "kind": "sme", "sido": "99", "founders": "x"},
        )
    assert codes(exc) == {
        "centre": ["centre_unknown"],
        "contact_name": ["required"],
        "contact_phone": ["phone_format"],
        "proposed_name": ["required"],
        "kind": ["invalid_choice"],
        "sido": ["invalid_choice"],
        "business": ["required"],
        "founders": ["invalid"],
    }


def test_the_applicant_is_emailed_once_after_commit(
    person, centre, mailoutbox, django_capture_on_commit_callbacks
):
    asker = person()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        consultation = services.consultation_request(
            actor=asker, centre=centre, data=request_data(proposed_name="한밭목공협동조합")
        ).consultation
    assert mailoutbox == []  # nothing before the transaction commits
    for callback in callbacks:
        callback()
    (mail,) = mailoutbox
    assert mail.to == [asker.email]
    assert mail.subject == "[두레] 설립 상담 신청이 접수되었습니다: 한밭목공협동조합"
    assert CENTRE in mail.body and consultation.get_absolute_url() in mail.body
    for callback in callbacks:  # the notice run again sends nothing new
        callback()
    assert len(mailoutbox) == 1


def test_a_rolled_back_request_emails_nobody(
    person, centre, mailoutbox, django_capture_on_commit_callbacks
):
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            services.consultation_request(actor=person(), centre=centre, data=request_data())
            transaction.set_rollback(True)
    assert mailoutbox == []
    assert counts() == before


def test_an_applicant_without_an_address_gets_no_email(
    person, centre, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.consultation_request(actor=person(email=""), centre=centre, data=request_data())
    assert mailoutbox == []


def test_an_english_speaking_applicant_is_written_to_in_english(
    person, centre, staff, mailoutbox, django_capture_on_commit_callbacks
):
    english = person("en")
    with django_capture_on_commit_callbacks(execute=True):
        consultation = services.consultation_request(
            actor=english, centre=centre, data=request_data(proposed_name="Maker Co-op")
        ).consultation
    with django_capture_on_commit_callbacks(execute=True):
        services.consultation_move(actor=staff, consultation=consultation, stage="consulting")
    received, moved = mailoutbox
    assert received.to == moved.to == [english.email]
    for mail in (received, moved):
        assert "Maker Co-op" in mail.subject
        assert "설립 상담" not in mail.subject and "설립 상담" not in mail.body
        assert consultation.get_absolute_url() in mail.body
    with translation.override("en"):
        consulting = str(Stage.CONSULTING.label)
    assert consulting != str(Stage.CONSULTING.label)  # the stage has an English name
    assert moved.subject.endswith(f"→ {consulting}") and consulting in moved.body


# --- a retried request (idempotency key) ----------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_consultation_and_writes_nothing(
    person, centre, mailoutbox, django_capture_on_commit_callbacks
):
    asker = person()
    data = request_data()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.consultation_request(
            actor=asker, centre=centre, data=data, idempotency_key="form-1"
        )
    assert first.created
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        # the same request as the form sends it again: the same text up to spacing
        again = services.consultation_request(
            actor=asker,
            centre=centre.pk,
            data={**data, "contact_name": f"  {data['contact_name']} ", "founders": "3"},
            idempotency_key="form-1",
        )
    assert (again.consultation.pk, again.created) == (first.consultation.pk, False)
    assert counts() == before
    assert len(mailoutbox) == 1  # the applicant is told once


def test_the_same_key_with_a_different_or_invalid_request_is_a_conflict(person, centre):
    asker = person()
    data = request_data()
    services.consultation_request(actor=asker, centre=centre, data=data, idempotency_key="k")
    before = counts()
    for changed in (
        {**data, "founders": 4},
        {**data, "business": data["business"] + " 그리고 카페도"},
        {**data, "contact_phone": ""},
        {**data, "proposed_name": ""},  # invalid: the key's first request was valid
    ):
        with pytest.raises(ValidationError) as exc:
            services.consultation_request(
                actor=asker, centre=centre, data=changed, idempotency_key="k"
            )
        assert codes(exc) == {"idempotency_key": ["idempotency_conflict"]}
    other_centre = Organisation.objects.create(
        kind=OrganisationKind.SUPPORT_CENTRE, name="광주 협동조합 지원센터"
    )
    with pytest.raises(ValidationError) as exc:
        services.consultation_request(
            actor=asker, centre=other_centre, data=data, idempotency_key="k"
        )
    assert codes(exc) == {"idempotency_key": ["idempotency_conflict"]}
    assert counts() == before


def test_a_key_belongs_to_its_sender_and_requests_without_a_key_are_each_new(person, centre):
    data = request_data()
    mine = services.consultation_request(
        actor=person(), centre=centre, data=data, idempotency_key="shared"
    )
    theirs = services.consultation_request(
        actor=person(), centre=centre, data=data, idempotency_key="shared"
    )
    assert theirs.created and theirs.consultation.pk != mine.consultation.pk
    asker = person()
    one = services.consultation_request(actor=asker, centre=centre, data=data)
    two = services.consultation_request(actor=asker, centre=centre, data=data, idempotency_key="")
    assert one.created and two.created and one.consultation.pk != two.consultation.pk
    # the key is stored only as a digest
    assert not Consultation.objects.filter(idempotency_key="shared").exists()


def test_a_key_longer_than_200_characters_is_refused_and_nothing_is_written(person, centre):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.consultation_request(
            actor=person(), centre=centre, data=request_data(), idempotency_key="k" * 201
        )
    assert codes(exc) == {"idempotency_key": ["idempotency_key_invalid"]}
    assert counts() == before
    made = services.consultation_request(
        actor=person(), centre=centre, data=request_data(), idempotency_key="k" * 200
    )
    assert made.created


def test_a_refused_request_does_not_use_up_its_key(person, centre):
    asker = person()
    with pytest.raises(ValidationError):
        services.consultation_request(
            actor=asker, centre=centre, data=request_data(business=""), idempotency_key="k"
        )
    fixed = services.consultation_request(
        actor=asker, centre=centre, data=request_data(), idempotency_key="k"
    )
    assert fixed.created


def test_two_consultations_cannot_share_a_key_in_the_database(person, centre):
    first = services.consultation_request(
        actor=person(), centre=centre, data=request_data(), idempotency_key="k"
    ).consultation
    second = services.consultation_request(
        actor=person(), centre=centre, data=request_data()
    ).consultation
    second.idempotency_key = first.idempotency_key
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save(update_fields=["idempotency_key"])


# --- the stages ----------------------------------------------------------------------------------

PAIRS = [(before, after) for before in Stage.values for after in Stage.values]


@pytest.mark.parametrize(
    ("before", "after"), PAIRS, ids=[f"{before}->{after}" for before, after in PAIRS]
)
def test_every_allowed_step_works_and_every_other_is_refused(
    before,
    after,
    new_consultation,
    staff,
    cooperative,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    consultation = new_consultation(stage=before, founders=5)
    founded = cooperative()
    counted = counts()
    if after in TRANSITIONS[before]:
        with django_capture_on_commit_callbacks(execute=True):
            moved = services.consultation_move(
                actor=staff,
                consultation=consultation,
                stage=after,
                note="다음 단계로",
                organisation=founded,
            )
        assert moved.stage == after and fresh(consultation).stage == after
        assert counts() == (counted[0], counted[1] + 1, counted[2] + 1, counted[3])
        event = StageEvent.objects.filter(consultation=consultation).latest("id")
        assert (event.from_stage, event.to_stage, event.actor, event.note) == (
            before,
            after,
            staff,
            "다음 단계로",
        )
        audit = AuditEvent.objects.filter(action="founding.move").latest("id")
        assert audit.object_id == str(consultation.pk) and audit.actor == staff
        assert audit.changes == {"stage": [before, after], "note": "다음 단계로"}
        (mail,) = mailoutbox
        assert mail.to == [consultation.applicant.email]
        assert mail.subject == (
            f"[두레] 설립 상담 단계가 바뀌었습니다: {consultation.proposed_name} → "
            f"{Stage(after).label}"
        )
        if after == Stage.FOUNDED:
            assert fresh(consultation).organisation == founded
    else:
        with django_capture_on_commit_callbacks(execute=True):
            with pytest.raises(ValidationError) as exc:
                services.consultation_move(
                    actor=staff, consultation=consultation, stage=after, organisation=founded
                )
        assert codes(exc) == {"stage": ["stage_not_allowed"]}
        assert fresh(consultation).stage == before
        assert counts() == counted
        assert mailoutbox == []


@pytest.mark.parametrize("stage", ["archived", "", None, "RECEIVED"])
def test_an_unknown_stage_is_not_allowed(stage, new_consultation, staff):
    consultation = new_consultation()
    with pytest.raises(ValidationError) as exc:
        services.consultation_move(actor=staff, consultation=consultation, stage=stage)
    assert codes(exc) == {"stage": ["stage_not_allowed"]}
    assert fresh(consultation).stage == Stage.RECEIVED


def test_a_founding_meeting_needs_five_founders(staff):
    preparing = demo(DEMO_PREPARING)
    assert (preparing.stage, preparing.founders) == (Stage.PREPARING, 4)
    counted = counts()
    with pytest.raises(ValidationError) as exc:
        services.consultation_move(actor=staff, consultation=preparing, stage=Stage.ASSEMBLY)
    assert codes(exc) == {"founders": ["too_few_founders"]}
    with pytest.raises(ValidationError) as exc:  # four given in the same call is still too few
        services.consultation_move(
            actor=staff, consultation=preparing, stage=Stage.ASSEMBLY, founders="4"
        )
    assert codes(exc) == {"founders": ["too_few_founders"]}
    assert counts() == counted
    assert (fresh(preparing).stage, fresh(preparing).founders) == (Stage.PREPARING, 4)

    moved = services.consultation_move(
        actor=staff, consultation=preparing, stage=Stage.ASSEMBLY, founders=5
    )
    assert (moved.stage, moved.founders) == (Stage.ASSEMBLY, 5)
    assert (fresh(preparing).stage, fresh(preparing).founders) == (Stage.ASSEMBLY, 5)
    assert steps(preparing)[-1] == (Stage.PREPARING, Stage.ASSEMBLY)


def test_going_back_to_the_founding_meeting_needs_five_founders_too(new_consultation, staff):
    consultation = new_consultation(stage=Stage.FILING, founders=4)
    with pytest.raises(ValidationError) as exc:
        services.consultation_move(actor=staff, consultation=consultation, stage=Stage.ASSEMBLY)
    assert codes(exc) == {"founders": ["too_few_founders"]}


@pytest.mark.parametrize(
    ("founders", "code"), [(0, "out_of_range"), (10_001, "out_of_range"), ("x", "invalid")]
)
def test_a_bad_founder_count_in_a_move_is_refused(founders, code, new_consultation, staff):
    consultation = new_consultation(stage=Stage.CONSULTING, founders=3)
    with pytest.raises(ValidationError) as exc:
        services.consultation_move(
            actor=staff, consultation=consultation, stage=Stage.PREPARING, founders=founders
        )
    assert codes(exc) == {"founders": [code]}
    assert (fresh(consultation).stage, fresh(consultation).founders) == (Stage.CONSULTING, 3)


def test_a_move_may_update_the_founder_count_on_the_way(new_consultation, staff):
    consultation = new_consultation(stage=Stage.CONSULTING, founders=3)
    services.consultation_move(
        actor=staff, consultation=consultation, stage=Stage.PREPARING, founders="8"
    )
    assert (fresh(consultation).stage, fresh(consultation).founders) == (Stage.PREPARING, 8)


@pytest.mark.parametrize(
    "organisation_of",
    [
        pytest.param(lambda org, coop: None, id="none"),
        pytest.param(lambda org, coop: org(SME), id="sme"),
        pytest.param(lambda org, coop: org(COUNCIL), id="council"),
        pytest.param(lambda org, coop: org(CENTRE), id="centre"),
        pytest.param(lambda org, coop: coop(OrganisationKind.SME), id="new-sme"),
        pytest.param(lambda org, coop: 999_999, id="missing"),
        pytest.param(lambda org, coop: "abc", id="not-a-number"),
    ],
)
def test_ending_as_founded_needs_a_foundable_organisation(
    organisation_of, org, cooperative, new_consultation, staff
):
    consultation = new_consultation(stage=Stage.FILING, founders=5)
    target = organisation_of(org, cooperative)
    counted = counts()
    with pytest.raises(ValidationError) as exc:
        services.consultation_move(
            actor=staff, consultation=consultation, stage=Stage.FOUNDED, organisation=target
        )
    assert codes(exc) == {"organisation": ["organisation_required"]}
    assert counts() == counted
    assert fresh(consultation).stage == Stage.FILING
    assert fresh(consultation).organisation is None


@pytest.mark.parametrize(
    "kind",
    [
        OrganisationKind.COOPERATIVE,
        OrganisationKind.SOCIAL_COOPERATIVE,
        OrganisationKind.WORKER_COOPERATIVE,
        OrganisationKind.FEDERATION,
    ],
)
def test_every_foundable_kind_ends_a_consultation(kind, cooperative, new_consultation, staff):
    consultation = new_consultation(stage=Stage.FILING, founders=5)
    founded = cooperative(kind)
    services.consultation_move(
        actor=staff, consultation=consultation, stage=Stage.FOUNDED, organisation=founded.pk
    )
    assert (fresh(consultation).stage, fresh(consultation).organisation) == (
        Stage.FOUNDED,
        founded,
    )


def test_a_cooperative_ends_only_one_consultation(
    org, cooperative, new_consultation, staff, mailoutbox, django_capture_on_commit_callbacks
):
    serio = org(SERIO)
    assert demo(DEMO_FOUNDED).organisation == serio
    consultation = new_consultation(stage=Stage.FILING, founders=7)
    counted = counts()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError) as exc:
            services.consultation_move(
                actor=staff, consultation=consultation, stage=Stage.FOUNDED, organisation=serio
            )
    assert codes(exc) == {"organisation": ["organisation_taken"]}
    assert counts() == counted and mailoutbox == []
    assert (fresh(consultation).stage, fresh(consultation).organisation) == (Stage.FILING, None)

    # two new ones: the first to name it keeps it; the database is still usable afterwards
    founded = cooperative()
    first = new_consultation(stage=Stage.FILING, founders=5)
    second = new_consultation(stage=Stage.FILING, founders=5)
    services.consultation_move(
        actor=staff, consultation=first, stage=Stage.FOUNDED, organisation=founded
    )
    with pytest.raises(ValidationError) as exc:
        services.consultation_move(
            actor=staff, consultation=second, stage=Stage.FOUNDED, organisation=founded
        )
    assert codes(exc) == {"organisation": ["organisation_taken"]}
    assert fresh(second).stage == Stage.FILING
    services.consultation_move(
        actor=staff, consultation=second, stage=Stage.FOUNDED, organisation=cooperative()
    )
    assert fresh(second).stage == Stage.FOUNDED


@pytest.mark.parametrize(
    "who", ["other_staff", "applicant", "researcher", "sme", "coop", "anonymous", "coop_staff"]
)
def test_only_the_centres_staff_and_admins_move(
    who, request, users, org, person, new_consultation, staff
):
    applicant = person()
    consultation = new_consultation(applicant=applicant)
    if who == "other_staff":
        actor = request.getfixturevalue("other_staff")
    elif who == "applicant":
        actor = applicant
    elif who == "anonymous":
        actor = AnonymousUser()
    elif who == "coop_staff":  # staff of a cooperative is not a centre's staff
        actor = person()
        Membership.objects.create(user=actor, organisation=org(SERIO), role=Role.STAFF)
    else:
        actor = users[who]
    counted = counts()
    with pytest.raises(PermissionDenied):
        services.consultation_move(actor=actor, consultation=consultation, stage=Stage.CONSULTING)
    assert counts() == counted and fresh(consultation).stage == Stage.RECEIVED


def test_a_platform_admin_moves_any_consultation(users, other_centre, new_consultation):
    consultation = new_consultation(at=other_centre)
    services.consultation_move(
        actor=users["admin"], consultation=consultation, stage=Stage.CONSULTING
    )
    assert fresh(consultation).stage == Stage.CONSULTING


def test_the_staff_of_another_centre_move_its_own(other_staff, other_centre, new_consultation):
    consultation = new_consultation(at=other_centre)
    services.consultation_move(actor=other_staff, consultation=consultation, stage="consulting")
    assert steps(consultation) == [("", Stage.RECEIVED), (Stage.RECEIVED, Stage.CONSULTING)]


def test_a_regional_centres_staff_move_its_consultations(person, new_consultation):
    regional = Organisation.objects.create(
        kind=OrganisationKind.REGIONAL_CENTRE, name="충북 협동조합 상담센터"
    )
    worker = person()
    Membership.objects.create(user=worker, organisation=regional, role=Role.STAFF)
    consultation = new_consultation(at=regional)
    services.consultation_move(actor=worker, consultation=consultation, stage=Stage.CONSULTING)
    assert fresh(consultation).stage == Stage.CONSULTING


@pytest.mark.parametrize(
    ("note", "code"),
    [
        ("가" * 301, "max_length"),
        ("전화 900101-1234567 로 연락", "resident_number"),
    ],
)
def test_a_bad_note_is_refused(note, code, new_consultation, staff):
    consultation = new_consultation()
    counted = counts()
    with pytest.raises(ValidationError) as exc:
        services.consultation_move(
            actor=staff, consultation=consultation, stage=Stage.CONSULTING, note=note
        )
    assert codes(exc) == {"note": [code]}
    assert counts() == counted and fresh(consultation).stage == Stage.RECEIVED


def test_a_note_of_300_characters_is_kept_with_its_spaces_tidied(new_consultation, staff):
    consultation = new_consultation()
    note = "  " + "가" * 150 + "   \n " + "나" * 149 + " "
    services.consultation_move(
        actor=staff, consultation=consultation, stage=Stage.CONSULTING, note=note
    )
    event = StageEvent.objects.filter(consultation=consultation).latest("id")
    assert event.note == "가" * 150 + " " + "나" * 149 and len(event.note) == 300


def test_a_stale_stage_email_is_not_sent(
    new_consultation, staff, mailoutbox, django_capture_on_commit_callbacks
):
    """Two moves committed together: only the stage it ended at is announced."""
    consultation = new_consultation()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            services.consultation_move(
                actor=staff, consultation=consultation, stage=Stage.CONSULTING
            )
            services.consultation_move(
                actor=staff, consultation=consultation, stage=Stage.PREPARING
            )
    (mail,) = mailoutbox
    assert mail.subject.endswith(f"→ {Stage.PREPARING.label}")


def test_stage_events_are_append_only(new_consultation):
    event = StageEvent.objects.get(consultation=new_consultation())
    event.note = "고침"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


# --- withdrawing -------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", sorted(OPEN_STAGES))
def test_the_applicant_withdraws_from_any_open_stage(
    stage, person, new_consultation, mailoutbox, django_capture_on_commit_callbacks
):
    applicant = person()
    consultation = new_consultation(stage=stage, applicant=applicant, founders=5)
    counted = counts()
    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = services.consultation_withdraw(
            actor=applicant, consultation=consultation, note="사정이 생겨 멈춥니다"
        )
    assert withdrawn.stage == Stage.WITHDRAWN and fresh(consultation).stage == Stage.WITHDRAWN
    assert counts() == (counted[0], counted[1] + 1, counted[2] + 1, counted[3])
    event = StageEvent.objects.filter(consultation=consultation).latest("id")
    assert (event.from_stage, event.to_stage, event.actor, event.note) == (
        stage,
        Stage.WITHDRAWN,
        applicant,
        "사정이 생겨 멈춥니다",
    )
    assert actions(consultation)[-1] == "founding.move"
    assert [m.to for m in mailoutbox] == [[applicant.email]]


@pytest.mark.parametrize("who", ["center", "admin"])
def test_the_centre_and_admins_close_an_abandoned_consultation(who, users, new_consultation):
    consultation = new_consultation(stage=Stage.CONSULTING)
    services.consultation_withdraw(actor=users[who], consultation=consultation, note="연락 두절")
    assert fresh(consultation).stage == Stage.WITHDRAWN


@pytest.mark.parametrize("stage", [Stage.FOUNDED, Stage.WITHDRAWN])
def test_a_closed_consultation_is_not_withdrawn(stage, person, new_consultation):
    applicant = person()
    consultation = new_consultation(stage=stage, applicant=applicant)
    counted = counts()
    with pytest.raises(ValidationError) as exc:
        services.consultation_withdraw(actor=applicant, consultation=consultation)
    assert codes(exc) == {"stage": ["stage_not_allowed"]}
    assert counts() == counted and fresh(consultation).stage == stage


def test_the_demo_founded_consultation_cannot_be_withdrawn(users):
    with pytest.raises(ValidationError) as exc:
        services.consultation_withdraw(actor=users["coop"], consultation=demo(DEMO_FOUNDED))
    assert codes(exc) == {"stage": ["stage_not_allowed"]}


@pytest.mark.parametrize("who", ["other_staff", "stranger", "researcher", "anonymous"])
def test_nobody_else_withdraws(who, request, users, person, new_consultation):
    consultation = new_consultation(stage=Stage.CONSULTING)
    actor = {
        "other_staff": lambda: request.getfixturevalue("other_staff"),
        "stranger": person,
        "researcher": lambda: users["researcher"],
        "anonymous": AnonymousUser,
    }[who]()
    counted = counts()
    with pytest.raises(PermissionDenied):
        services.consultation_withdraw(actor=actor, consultation=consultation)
    assert counts() == counted and fresh(consultation).stage == Stage.CONSULTING


def test_a_withdrawn_consultation_is_reopened_by_the_centre_only(person, new_consultation, staff):
    applicant = person()
    consultation = new_consultation(stage=Stage.PREPARING, applicant=applicant)
    services.consultation_withdraw(actor=applicant, consultation=consultation)
    with pytest.raises(PermissionDenied):
        services.consultation_move(
            actor=applicant, consultation=consultation, stage=Stage.CONSULTING
        )
    with pytest.raises(ValidationError) as exc:  # only to consulting
        services.consultation_move(actor=staff, consultation=consultation, stage=Stage.PREPARING)
    assert codes(exc) == {"stage": ["stage_not_allowed"]}
    services.consultation_move(actor=staff, consultation=consultation, stage=Stage.CONSULTING)
    assert fresh(consultation).stage == Stage.CONSULTING
    assert steps(consultation)[-2:] == [
        (Stage.PREPARING, Stage.WITHDRAWN),
        (Stage.WITHDRAWN, Stage.CONSULTING),
    ]


# --- assigning a consultant ----------------------------------------------------------------------


def assign_audits(consultation: Consultation) -> list[dict]:
    return list(
        AuditEvent.objects.filter(action="founding.assign", object_id=str(consultation.pk))
        .order_by("id")
        .values_list("changes", flat=True)
    )


@pytest.mark.parametrize("who", ["center", "admin"])
def test_the_centres_staff_are_assigned_and_unassigned(who, users, second_staff, new_consultation):
    actor = users[who]
    consultation = new_consultation()
    assigned = services.consultation_assign(
        actor=actor, consultation=consultation, consultant=second_staff
    )
    assert assigned.consultant == second_staff and fresh(consultation).consultant == second_staff
    assert assign_audits(consultation) == [{"consultant": [None, second_staff.pk]}]

    # the same person again: no change, no audit row
    services.consultation_assign(actor=actor, consultation=consultation, consultant=second_staff.pk)
    assert len(assign_audits(consultation)) == 1

    services.consultation_assign(
        actor=actor, consultation=consultation, consultant=users["center"].pk
    )
    assert fresh(consultation).consultant == users["center"]
    services.consultation_assign(actor=actor, consultation=consultation, consultant=None)
    assert fresh(consultation).consultant is None
    services.consultation_assign(actor=actor, consultation=consultation, consultant="")
    assert fresh(consultation).consultant is None
    assert assign_audits(consultation) == [
        {"consultant": [None, second_staff.pk]},
        {"consultant": [second_staff.pk, users["center"].pk]},
        {"consultant": [users["center"].pk, None]},
    ]
    assert StageEvent.objects.filter(consultation=consultation).count() == 1  # no stage change


@pytest.mark.parametrize(
    "who", ["other_staff", "researcher", "admin", "inactive_staff", "missing", "not-a-number"]
)
def test_only_the_centres_own_active_staff_are_assigned(
    who, request, users, person, centre, staff, new_consultation
):
    consultation = new_consultation()
    services.consultation_assign(actor=staff, consultation=consultation, consultant=staff)
    if who == "other_staff":
        target = request.getfixturevalue("other_staff")
    elif who == "inactive_staff":
        target = person(is_active=False)
        Membership.objects.create(user=target, organisation=centre, role=Role.STAFF)
    elif who == "missing":
        target = 999_999
    elif who == "not-a-number":
        target = "abc"
    else:
        target = users[who]  # an ordinary user; a platform admin is nobody's staff
    counted = counts()
    with pytest.raises(ValidationError) as exc:
        services.consultation_assign(actor=staff, consultation=consultation, consultant=target)
    assert codes(exc) == {"consultant": ["consultant_not_staff"]}
    assert fresh(consultation).consultant == staff
    assert counts() == counted


@pytest.mark.parametrize("who", ["other_staff", "applicant", "sme"])
def test_only_the_centres_staff_and_admins_assign(who, request, users, person, new_consultation):
    applicant = person()
    consultation = new_consultation(applicant=applicant)
    actor = {
        "other_staff": lambda: request.getfixturevalue("other_staff"),
        "applicant": lambda: applicant,
        "sme": lambda: users["sme"],
    }[who]()
    with pytest.raises(PermissionDenied):
        services.consultation_assign(
            actor=actor, consultation=consultation, consultant=users["center"]
        )
    assert fresh(consultation).consultant is None and assign_audits(consultation) == []


# --- counselling sessions ------------------------------------------------------------------------


def test_the_first_session_starts_the_consultation_and_assigns_the_recorder(
    second_staff, new_consultation, mailoutbox, django_capture_on_commit_callbacks
):
    consultation = new_consultation()
    counted = counts()
    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_record(
            actor=second_staff,
            consultation=consultation,
            data=session_data(topics=[Topic.MEMBERS, Topic.ARTICLES], internal_note="메모"),
        )
    session = Session.objects.get(pk=session.pk)
    assert session.consultation_id == consultation.pk and session.counsellor == second_staff
    assert session.held_on == timezone.localdate() and session.mode == Session.Mode.VISIT
    assert session.topics == [Topic.MEMBERS, Topic.ARTICLES]
    assert (session.summary, session.next_steps, session.internal_note) == (
        "사업계획의 수익 구조를 함께 검토했습니다.",
        "발기인 명단 정리",
        "메모",
    )
    consultation = fresh(consultation)
    assert consultation.stage == Stage.CONSULTING
    assert consultation.consultant == second_staff
    assert steps(consultation) == [("", Stage.RECEIVED), (Stage.RECEIVED, Stage.CONSULTING)]
    assert actions(consultation) == ["founding.request", "founding.session", "founding.move"]
    assert counts() == (counted[0], counted[1] + 1, counted[2] + 2, counted[3] + 1)
    (mail,) = mailoutbox
    assert mail.to == [consultation.applicant.email]
    assert mail.subject.endswith(f"→ {Stage.CONSULTING.label}")


def test_a_later_session_moves_nothing_and_keeps_the_consultant(second_staff, staff):
    preparing = demo(DEMO_PREPARING)
    assert preparing.consultant == staff
    counted = counts()
    services.session_record(actor=second_staff, consultation=preparing, data=session_data())
    preparing = fresh(preparing)
    assert (preparing.stage, preparing.consultant) == (Stage.PREPARING, staff)
    assert counts() == (counted[0], counted[1], counted[2] + 1, counted[3] + 1)
    assert preparing.sessions.count() == 3


def test_a_first_session_keeps_a_consultant_already_assigned(staff, second_staff, new_consultation):
    consultation = new_consultation()
    services.consultation_assign(actor=staff, consultation=consultation, consultant=staff)
    services.session_record(actor=second_staff, consultation=consultation, data=session_data())
    assert (fresh(consultation).stage, fresh(consultation).consultant) == (
        Stage.CONSULTING,
        staff,
    )


def test_an_admin_records_a_session_without_taking_the_consultation(users, new_consultation):
    consultation = new_consultation()
    services.session_record(actor=users["admin"], consultation=consultation, data=session_data())
    assert (fresh(consultation).stage, fresh(consultation).consultant) == (
        Stage.CONSULTING,
        None,
    )


def test_topics_given_as_text_or_repeated_are_tidied(staff, new_consultation):
    one = services.session_record(
        actor=staff, consultation=new_consultation(), data=session_data(topics="capital")
    )
    assert Session.objects.get(pk=one.pk).topics == ["capital"]
    repeated = services.session_record(
        actor=staff,
        consultation=new_consultation(),
        data=session_data(
            topics=["filing", "capital", "filing"], held_on=timezone.localdate().isoformat()
        ),
    )
    assert Session.objects.get(pk=repeated.pk).topics == ["filing", "capital"]


def _yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


INVALID_SESSIONS = [
    pytest.param({"topics": []}, "topics", "required", id="topics-empty"),
    pytest.param({"topics": None}, "topics", "required", id="topics-none"),
    pytest.param({"topics": ""}, "topics", "required", id="topics-blank"),
    pytest.param({"topics": ["party"]}, "topics", "invalid_choice", id="topics-unknown"),
    pytest.param(
        {"topics": ["capital", "party"]}, "topics", "invalid_choice", id="topics-one-unknown"
    ),
    pytest.param({"mode": "email"}, "mode", "invalid_choice", id="mode-unknown"),
    pytest.param({"mode": ""}, "mode", "invalid_choice", id="mode-missing"),
    pytest.param({"summary": " \n "}, "summary", "required", id="summary-blank"),
    pytest.param({"summary": "가" * 2001}, "summary", "max_length", id="summary-2001"),
    pytest.param({"next_steps": "가" * 501}, "next_steps", "max_length", id="next-501"),
    pytest.param(
        {"internal_note": "주민번호 900101-1234567"},
        "internal_note",
        "resident_number",
        id="rrn-note",
    ),
    pytest.param({"held_on": "2026-13-01"}, "held_on", "date_format", id="date-garbage"),
    pytest.param({"held_on": None}, "held_on", "date_format", id="date-missing"),
    pytest.param(
        {"held_on": timezone.localdate() + dt.timedelta(days=1)},
        "held_on",
        "date_in_future",
        id="date-tomorrow",
    ),
    pytest.param({"held_on": "2099-01-01"}, "held_on", "date_in_future", id="date-2099"),
    pytest.param({"held_on": _yesterday()}, "held_on", "date_before_request", id="date-before"),
]


@pytest.mark.parametrize(("overrides", "field", "code"), INVALID_SESSIONS)
def test_invalid_sessions_are_refused_and_nothing_is_written(
    overrides, field, code, staff, new_consultation
):
    consultation = new_consultation()
    counted = counts()
    with pytest.raises(ValidationError) as exc:
        services.session_record(
            actor=staff, consultation=consultation, data=session_data(**overrides)
        )
    assert codes(exc) == {field: [code]}
    assert counts() == counted
    consultation = fresh(consultation)
    assert (consultation.stage, consultation.consultant) == (Stage.RECEIVED, None)


def test_session_dates_are_seoul_dates(travel, person, centre, staff):
    # 15:30 UTC on 10 March is 00:30 on 11 March in Seoul
    travel(dt.datetime(2026, 3, 10, 15, 30, tzinfo=UTC))
    consultation = services.consultation_request(
        actor=person(), centre=centre, data=request_data()
    ).consultation
    with pytest.raises(ValidationError) as exc:
        services.session_record(
            actor=staff, consultation=consultation, data=session_data(held_on="2026-03-10")
        )
    assert codes(exc) == {"held_on": ["date_before_request"]}
    session = services.session_record(
        actor=staff, consultation=consultation, data=session_data(held_on="2026-03-11")
    )
    assert Session.objects.get(pk=session.pk).held_on == dt.date(2026, 3, 11)
    with pytest.raises(ValidationError) as exc:
        services.session_record(
            actor=staff, consultation=consultation, data=session_data(held_on="2026-03-12")
        )
    assert codes(exc) == {"held_on": ["date_in_future"]}
    # the next day, the 12th is no longer in the future
    travel(dt.datetime(2026, 3, 11, 15, 0, tzinfo=UTC))
    services.session_record(
        actor=staff, consultation=consultation, data=session_data(held_on=dt.date(2026, 3, 12))
    )
    assert fresh(consultation).sessions.count() == 2


def test_a_session_may_be_dated_on_an_earlier_day_than_today(travel, person, centre, staff):
    travel(dt.datetime(2026, 3, 1, 3, 0, tzinfo=UTC))
    consultation = services.consultation_request(
        actor=person(), centre=centre, data=request_data()
    ).consultation
    travel(dt.datetime(2026, 3, 20, 3, 0, tzinfo=UTC))
    session = services.session_record(
        actor=staff, consultation=consultation, data=session_data(held_on="2026-03-01")
    )
    assert Session.objects.get(pk=session.pk).held_on == dt.date(2026, 3, 1)


@pytest.mark.parametrize("stage", [Stage.FOUNDED, Stage.WITHDRAWN])
def test_no_sessions_on_a_closed_consultation(stage, staff, new_consultation):
    consultation = new_consultation(stage=stage)
    counted = counts()
    with pytest.raises(ValidationError) as exc:
        services.session_record(actor=staff, consultation=consultation, data=session_data())
    assert codes(exc) == {"consultation": ["consultation_closed"]}
    assert counts() == counted


@pytest.mark.parametrize("who", ["applicant", "other_staff", "member", "anonymous"])
def test_only_the_centres_staff_and_admins_record_sessions(
    who, request, users, person, new_consultation
):
    applicant = person()
    consultation = new_consultation(applicant=applicant)
    actor = {
        "applicant": lambda: applicant,
        "other_staff": lambda: request.getfixturevalue("other_staff"),
        "member": lambda: users["member"],
        "anonymous": AnonymousUser,
    }[who]()
    counted = counts()
    with pytest.raises(PermissionDenied):
        services.session_record(actor=actor, consultation=consultation, data=session_data())
    assert counts() == counted and fresh(consultation).stage == Stage.RECEIVED


# --- who sees and handles what -------------------------------------------------------------------

ELSEWHERE = "부산청년협동조합"
VISIBLE = {
    "admin": DEMO_NAMES | {ELSEWHERE},
    "center": DEMO_NAMES,
    "researcher": {DEMO_RECEIVED},
    "member": {DEMO_PREPARING},
    "coop": {DEMO_FOUNDED},
    "sme": set(),
    "seller": set(),
    "supplier": set(),
    "creator": set(),
    "anonymous": set(),
}
MANAGED = {"admin": DEMO_NAMES | {ELSEWHERE}, "center": DEMO_NAMES}


@pytest.fixture
def elsewhere(new_consultation, other_centre):
    """A consultation at another centre, asked for by a new person."""
    return new_consultation(at=other_centre, proposed_name=ELSEWHERE)


def _user(users, role):
    return AnonymousUser() if role == "anonymous" else users[role]


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_who_sees_which_consultation(role, users, elsewhere):
    user = _user(users, role)
    seen = set(access.consultations_visible_to(user).values_list("proposed_name", flat=True))
    assert seen == VISIBLE[role]
    if role == "admin":
        assert seen == set(Consultation.objects.values_list("proposed_name", flat=True))


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_access_to_one_consultation_to_see_and_to_handle(role, users, elsewhere):
    user = _user(users, role)
    for name in DEMO_NAMES | {ELSEWHERE}:
        pk = Consultation.objects.get(proposed_name=name).pk
        for manage, allowed in ((False, VISIBLE[role]), (True, MANAGED.get(role, set()))):
            if name in allowed:
                found = access.access_consultation(user=user, consultation_id=pk, manage=manage)
                assert found.pk == pk
            else:
                with pytest.raises(Http404):
                    access.access_consultation(user=user, consultation_id=pk, manage=manage)


def test_the_staff_of_another_centre_see_and_handle_only_theirs(other_staff, elsewhere):
    seen = set(access.consultations_visible_to(other_staff).values_list("proposed_name", flat=True))
    assert seen == {ELSEWHERE}
    assert access.access_consultation(
        user=other_staff, consultation_id=str(elsewhere.pk), manage=True
    ) == (elsewhere)
    with pytest.raises(Http404):
        access.access_consultation(
            user=other_staff, consultation_id=demo(DEMO_RECEIVED).pk, manage=False
        )


def test_staff_asking_for_themselves_see_it_but_do_not_handle_it(other_staff, new_consultation):
    """Staff of one centre asking another centre: their own request, not their centre's."""
    mine = new_consultation(applicant=other_staff)
    assert access.access_consultation(user=other_staff, consultation_id=mine.pk) == mine
    with pytest.raises(Http404):
        access.access_consultation(user=other_staff, consultation_id=mine.pk, manage=True)


@pytest.mark.parametrize("bad", ["abc", None, 999_999, "", "1.5", [1]])
def test_a_bad_or_missing_id_is_not_found(bad, users):
    with pytest.raises(Http404):
        access.access_consultation(user=users["admin"], consultation_id=bad)


def test_a_deactivated_staff_member_handles_nothing(staff):
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    assert not access.consultations_visible_to(staff).exists()
    assert not access.is_consultant(staff)
    with pytest.raises(PermissionDenied):
        services.consultation_move(
            actor=staff, consultation=demo(DEMO_RECEIVED), stage=Stage.CONSULTING
        )


def test_is_consultant(users, other_staff):
    assert access.is_consultant(users["admin"]) and access.is_consultant(users["center"])
    assert access.is_consultant(other_staff)
    for role in ("researcher", "coop", "member", "sme", "seller"):
        assert not access.is_consultant(users[role])
    assert not access.is_consultant(AnonymousUser())


def test_the_centres_list_holds_only_public_centres(org):
    Organisation.objects.create(
        kind=OrganisationKind.SUPPORT_CENTRE, name="숨은 지원센터", is_public=False
    )
    listed = list(access.centres())
    assert org(CENTRE) in listed
    assert {c.kind for c in listed} <= {
        OrganisationKind.SUPPORT_CENTRE,
        OrganisationKind.REGIONAL_CENTRE,
    }
    assert all(c.is_public for c in listed)


# --- reads ---------------------------------------------------------------------------------------


def names(page) -> list[str]:
    return [c.proposed_name for c in page.object_list]


def test_the_queue_holds_the_open_consultations_of_ones_centres_oldest_first(
    users, staff, elsewhere, new_consultation
):
    assert names(selectors.queue(user=staff)) == [DEMO_PREPARING, DEMO_RECEIVED]
    newest = new_consultation(proposed_name="막 들어온 협동조합")
    withdrawn = new_consultation(proposed_name="그만둔 협동조합")
    services.consultation_withdraw(actor=withdrawn.applicant, consultation=withdrawn)
    assert names(selectors.queue(user=staff)) == [
        DEMO_PREPARING,
        DEMO_RECEIVED,
        newest.proposed_name,
    ]
    assert names(selectors.queue(user=staff, stage=Stage.FOUNDED)) == [DEMO_FOUNDED]
    assert names(selectors.queue(user=staff, stage=Stage.WITHDRAWN)) == ["그만둔 협동조합"]
    assert names(selectors.queue(user=staff, stage=Stage.ASSEMBLY)) == []
    admin_queue = names(selectors.queue(user=users["admin"]))
    assert ELSEWHERE in admin_queue and DEMO_FOUNDED not in admin_queue
    for role in ("researcher", "member", "coop", "sme"):
        assert names(selectors.queue(user=users[role])) == []
    assert names(selectors.queue(user=AnonymousUser())) == []


def test_the_queue_of_another_centre(other_staff, elsewhere):
    assert names(selectors.queue(user=other_staff)) == [ELSEWHERE]


def test_stage_counts(users, staff, other_staff, elsewhere):
    expected = dict.fromkeys(Stage.values, 0) | {
        Stage.RECEIVED: 1,
        Stage.PREPARING: 1,
        Stage.FOUNDED: 1,
    }
    assert selectors.stage_counts(user=staff) == expected
    assert selectors.stage_counts(user=other_staff) == dict.fromkeys(Stage.values, 0) | {
        Stage.RECEIVED: 1
    }
    everything = selectors.stage_counts(user=users["admin"])
    assert everything[Stage.RECEIVED] == Consultation.objects.filter(stage="received").count()
    assert sum(everything.values()) == Consultation.objects.count()
    assert selectors.stage_counts(user=users["researcher"]) == dict.fromkeys(Stage.values, 0)


def test_a_persons_own_consultations_hold_no_internal_notes(users, staff):
    member = users["member"]
    preparing = demo(DEMO_PREPARING)
    services.session_record(
        actor=staff,
        consultation=preparing,
        data=session_data(summary="공유하는 내용", internal_note="신청자에게 보이지 않는 메모"),
    )
    (mine,) = selectors.consultations_of_person(user=member)
    assert mine["id"] == preparing.pk and mine["proposed_name"] == DEMO_PREPARING
    assert mine["centre"] == CENTRE and mine["stage"] == Stage.PREPARING
    assert mine["founders"] == 4 and mine["kind"] == OrganisationKind.SOCIAL_COOPERATIVE
    assert len(mine["sessions"]) == 3
    assert mine["sessions"][-1]["summary"] == "공유하는 내용"
    assert all("internal_note" not in s for s in mine["sessions"])
    dumped = json.dumps(mine, ensure_ascii=False)
    assert DEMO_INTERNAL_NOTE not in dumped and "신청자에게 보이지 않는 메모" not in dumped
    assert [c["proposed_name"] for c in selectors.consultations_of_person(user=users["coop"])] == [
        DEMO_FOUNDED
    ]
    assert selectors.consultations_of_person(user=users["sme"]) == []
    assert selectors.consultations_of_person(user=AnonymousUser()) == []


def test_the_account_export_carries_ones_consultations_without_internal_notes(users):
    from dure.accounts.services import account_export

    export = account_export(user=users["member"])
    assert export["founding_consultations"] == selectors.consultations_of_person(
        user=users["member"]
    )
    dumped = json.dumps(export, ensure_ascii=False, default=str)
    assert DEMO_PREPARING in dumped and DEMO_INTERNAL_NOTE not in dumped
    assert DEMO_RECEIVED not in dumped  # nobody else's


def test_consultations_received_per_month_in_seoul_time(travel, person, centre):
    before_2025 = selectors.consultations_received_monthly(year=2025)
    before_2026 = selectors.consultations_received_monthly(year=2026)
    # 23:59:59 on 31 December in Seoul, then 00:30 on 1 January, then mid-March
    for moment in (
        dt.datetime(2025, 12, 31, 14, 59, 59, tzinfo=UTC),
        dt.datetime(2025, 12, 31, 15, 30, tzinfo=UTC),
        dt.datetime(2026, 3, 15, 3, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 16, 3, 0, tzinfo=UTC),
    ):
        travel(moment)
        services.consultation_request(actor=person(), centre=centre, data=request_data())
    after_2025 = selectors.consultations_received_monthly(year=2025)
    after_2026 = selectors.consultations_received_monthly(year=2026)
    assert [a - b for a, b in zip(after_2025, before_2025, strict=True)] == [0] * 11 + [1]
    assert [a - b for a, b in zip(after_2026, before_2026, strict=True)] == [1, 0, 2] + [0] * 9


# --- forgetting an applicant ---------------------------------------------------------------------


def test_forgetting_erases_the_contact_details_and_keeps_the_consultations(
    person, new_consultation
):
    leaving, staying = person(), person()
    mine = [new_consultation(applicant=leaving) for _ in range(2)]
    theirs = new_consultation(applicant=staying)
    assert services.applicant_forget(user=leaving) == 2
    for consultation in mine:
        consultation = fresh(consultation)
        assert (consultation.contact_name, consultation.contact_phone) == ("", "")
        assert consultation.applicant == leaving and consultation.business
        assert consultation.stage == Stage.RECEIVED
    kept = fresh(theirs)
    assert (kept.contact_name, kept.contact_phone) == ("홍길동", "010-2345-6789")
    assert services.applicant_forget(user=person()) == 0


def test_deleting_an_applicants_account_keeps_the_consultation_anonymised(
    users, staff, mailoutbox, django_capture_on_commit_callbacks
):
    from dure.accounts.services import account_delete

    received = demo(DEMO_RECEIVED)
    Consultation.objects.filter(pk=received.pk).update(contact_phone="010-2345-6789")
    assert received.contact_name
    account_delete(user=users["researcher"])
    kept = fresh(received)
    assert (kept.contact_name, kept.contact_phone) == ("", "")
    assert kept.proposed_name == DEMO_RECEIVED and kept.stage == Stage.RECEIVED
    assert kept.applicant_id == users["researcher"].pk
    assert StageEvent.objects.filter(consultation=kept).count() == 1
    # the centre still handles it; the deleted account is written to no more
    assert access.access_consultation(user=staff, consultation_id=kept.pk, manage=True) == kept
    with django_capture_on_commit_callbacks(execute=True):
        services.consultation_move(actor=staff, consultation=kept, stage=Stage.CONSULTING)
    assert mailoutbox == []
    assert selectors.consultations_of_person(user=fresh(kept).applicant)[0]["contact_name"] == ""


# --- the database's own rules ------------------------------------------------------------------


def test_the_database_refuses_a_founded_consultation_without_its_cooperative(new_consultation):
    consultation = new_consultation()
    with pytest.raises(IntegrityError), transaction.atomic():
        Consultation.objects.filter(pk=consultation.pk).update(stage=Stage.FOUNDED)


def test_the_database_refuses_fewer_than_one_founder(new_consultation):
    consultation = new_consultation()
    with pytest.raises(IntegrityError), transaction.atomic():
        Consultation.objects.filter(pk=consultation.pk).update(founders=0)


def test_the_database_refuses_a_second_consultation_naming_a_cooperative(org, new_consultation):
    consultation = new_consultation()
    with pytest.raises(IntegrityError), transaction.atomic():
        Consultation.objects.filter(pk=consultation.pk).update(organisation=org(SERIO))
