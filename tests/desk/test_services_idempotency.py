"""Idempotency keys remember what they were used for: the same submission again returns the
first case, a different one is refused (``idempotency_conflict``) and writes nothing."""

from __future__ import annotations

import pytest

from dure.core.models import AuditEvent
from dure.desk import services
from dure.desk.models import Case, CaseAttachment, CaseEvent, CaseNumberCounter

from .conftest import PDF, PNG, VALID_BUSINESS_NUMBER, intake, upload

pytestmark = pytest.mark.django_db

CONFLICT_MESSAGE = (
    "이 Idempotency-Key는 내용이 다른 접수에 이미 쓰였습니다. 새 접수에는 새 키를 써 주세요."
)


def snapshot():
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        CaseAttachment.objects.count(),
        list(CaseNumberCounter.objects.order_by("year").values_list("year", "last")),
        AuditEvent.objects.count(),
    )


def submit(key="k", actor=None, consent=True, attachments=(), **overrides):
    return services.case_submit(
        actor=actor,
        data=intake(**overrides),
        privacy_consent=consent,
        idempotency_key=key,
        attachments=list(attachments),
    )


def assert_conflict(call):
    before = snapshot()
    with pytest.raises(services.DeskError) as refused:
        call()
    assert refused.value.code == "idempotency_conflict"
    assert refused.value.field == "idempotency_key"
    assert str(refused.value.desk_message) == CONFLICT_MESSAGE
    assert snapshot() == before


def test_the_fingerprint_is_stored_with_the_key_and_only_with_a_key(desk):
    keyed = submit(key="fp-1").case
    unkeyed = submit(key=None).case
    assert len(keyed.idempotency_fingerprint) == 64
    int(keyed.idempotency_fingerprint, 16)
    assert unkeyed.idempotency_key is None and unkeyed.idempotency_fingerprint == ""


def test_the_same_submission_written_differently_returns_the_first_case(desk):
    first = submit(key="same-1", attachments=[upload(PDF, "a.pdf")])
    before = snapshot()
    number = VALID_BUSINESS_NUMBER
    again = submit(
        key="same-1",
        attachments=[upload(PDF, "다른이름.pdf")],  # the name does not matter, the content does
        company_name=" 테스트정밀 ",
        business_number=f"{number[:3]}-{number[3:5]}-{number[5:]}",
        contact_email="HONG@example.kr",
        contact_phone="01012345678",
        description="프레스로 찍은 판금 부품의 모서리가 자꾸 갈라집니다. 원인을 알고 싶습니다.\r\n",
        desired_support=["consulting", "consulting"],
    )
    assert again.case.pk == first.case.pk and not again.created
    assert snapshot() == before


@pytest.mark.parametrize(
    "change",
    [
        {"description": "전혀 다른 애로 내용입니다."},
        {"company_name": "다른정밀"},
        {"contact_email": "other@example.kr"},
        {"desired_support": ["consulting", "education"]},
        {"sido": "11"},
        {"title": "제목을 새로 붙임"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_the_same_key_with_a_different_body_is_refused_and_writes_nothing(desk, change):
    first = submit(key="conflict")
    assert_conflict(lambda: submit(key="conflict", **change))
    assert Case.objects.get(pk=first.case.pk).description == first.case.description


def test_different_files_under_the_same_key_are_a_different_submission(desk):
    submit(key="files", attachments=[upload(PDF, "a.pdf")])
    assert_conflict(lambda: submit(key="files"))
    assert_conflict(lambda: submit(key="files", attachments=[upload(PNG, "a.png")]))
    assert_conflict(
        lambda: submit(key="files", attachments=[upload(PDF, "a.pdf"), upload(PNG, "b.png")])
    )


def test_an_invalid_or_unconsented_retry_of_a_used_key_is_a_conflict(desk):
    submit(key="bad-retry")
    assert_conflict(lambda: submit(key="bad-retry", description=""))
    assert_conflict(lambda: submit(key="bad-retry", business_number="123-45-67890"))
    assert_conflict(lambda: submit(key="bad-retry", consent=False))


def test_an_invalid_first_use_does_not_spend_the_key(desk):
    with pytest.raises(services.ValidationError):
        submit(key="fresh", description="")
    assert submit(key="fresh").created


def test_another_channel_under_the_same_key_is_a_conflict(desk):
    services.case_submit(
        actor=desk.center,
        data=intake(),
        privacy_consent=True,
        channel="phone_1379",
        idempotency_key="call-1",
    )
    again = services.case_submit(
        actor=desk.center,
        data=intake(),
        privacy_consent=True,
        channel="phone_1379",
        idempotency_key="call-1",
    )
    assert not again.created
    assert_conflict(
        lambda: services.case_submit(
            actor=desk.center,
            data=intake(),
            privacy_consent=True,
            channel="visit",
            idempotency_key="call-1",
        )
    )


def test_cases_from_before_fingerprints_still_replay(desk):
    first = submit(key="legacy")
    Case.objects.filter(pk=first.case.pk).update(idempotency_fingerprint="")
    again = submit(key="legacy", description="지문이 없던 때의 건은 예전처럼 처음 건을 돌려줍니다.")
    assert again.case.pk == first.case.pk and not again.created


def test_a_submission_that_loses_the_race_replays_against_the_winner(desk, monkeypatch):
    """The pre-check misses a case committed meanwhile: the unique key refuses the insert and
    the loser gets the winner (same body) or a conflict (other body), with nothing written."""
    winner = submit(key="race")
    monkeypatch.setattr(services, "_case_with_key", lambda digest: None)
    before = snapshot()
    same = submit(key="race")
    assert same.case.pk == winner.case.pk and not same.created
    assert snapshot() == before
    assert_conflict(lambda: submit(key="race", description="동시에 들어온 다른 내용"))


def test_the_fingerprint_ignores_the_directory_link_made_from_the_business_number(desk):
    """The organisation found by business number is derived, not submitted: a directory change
    between the first try and the retry does not turn the retry into a conflict."""
    from dure.directory.models import Organisation

    first = submit(key="dir")
    assert first.case.organisation is None
    org = Organisation.objects.filter(kind="sme").first() or Organisation.objects.first()
    Organisation.objects.filter(pk=org.pk).update(business_number=VALID_BUSINESS_NUMBER)
    again = submit(key="dir")
    assert again.case.pk == first.case.pk and not again.created
