"""Intake from every channel: validation, numbering, idempotency, consent, attachments."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dure.accounts.models import Consent
from dure.core.models import AuditEvent
from dure.desk import services
from dure.desk.models import Case, CaseAttachment, CaseEvent, CaseNumberCounter, Status

from .conftest import DOCX, EXE, HWP, PDF, VALID_BUSINESS_NUMBER, intake, upload

WRONG_CHECKSUM = VALID_BUSINESS_NUMBER[:9] + str((int(VALID_BUSINESS_NUMBER[9]) + 1) % 10)

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        CaseAttachment.objects.count(),
        list(CaseNumberCounter.objects.values_list("year", "last")),
        AuditEvent.objects.count(),
    )


def test_an_anonymous_web_submission_gets_a_number_a_due_date_an_event_and_an_email(
    desk, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.case_submit(
            actor=None,
            data=intake(),
            privacy_consent=True,
            attachments=[upload(PDF, "도면.pdf"), upload(HWP, "요청서.hwp")],
            idempotency_key="k-1",
        )
    case = result.case
    assert result.created
    assert re.fullmatch(r"20[0-9]{2}-[0-9]{6}", case.number)
    assert case.status == Status.RECEIVED
    assert case.requester is None
    assert case.receiving_centre == desk.national  # the national intake centre takes the web
    assert case.consent_version and case.consent_at
    assert case.first_response_due_at > case.received_at
    assert case.resolution_due_at > case.first_response_due_at
    assert case.title.startswith("프레스로 찍은")
    assert [e.kind for e in case.events.all()] == ["submitted"]
    assert sorted(case.attachments.values_list("kind", flat=True)) == ["hwp", "pdf"]
    assert len(mailoutbox) == 1
    assert case.number in mailoutbox[0].subject
    assert "/desk/status/" in mailoutbox[0].body
    assert mailoutbox[0].to == ["hong@example.kr"]


def test_numbers_are_sequential_within_the_year(submit):
    a, b, c = submit(), submit(), submit()
    seqs = [a.sequence, b.sequence, c.sequence]
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]
    assert c.number == f"{c.year}-{c.sequence:06d}"


def test_a_logged_in_requester_is_recorded_with_a_consent_row(desk, submit):
    before = Consent.objects.filter(user=desk.sme).count()
    case = submit(actor=desk.sme)
    assert case.requester == desk.sme
    assert Consent.objects.filter(user=desk.sme).count() == before + 1
    assert case.consent.user == desk.sme


def test_a_business_number_links_the_directory_organisation(desk, submit):
    org = desk.sme.memberships.get().organisation
    case = submit(business_number=org.business_number)
    assert case.organisation == org


def test_staff_take_phone_calls_and_visits_for_their_centre(desk, submit):
    call = submit(actor=desk.center, channel="phone_1379", contact_email="")
    assert call.requester is None and call.submitted_by == desk.center
    assert call.receiving_centre == desk.national
    visit = submit(actor=desk.regional_staff, channel="visit")
    assert visit.receiving_centre == desk.regional
    with pytest.raises(services.DeskError):
        submit(actor=desk.regional_staff, channel="visit", centre=desk.other_regional)


@pytest.mark.parametrize("who", ["sme", "researcher", None])
def test_only_centre_staff_take_staff_intake(desk, submit, who):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        submit(actor=getattr(desk, who) if who else None, channel="phone_080")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"description": "   "}, "description", "description_required"),
        ({"description": "가" * 10_001}, "description", "description_too_long"),
        ({"business_number": WRONG_CHECKSUM}, "business_number", "business_number_checksum"),
        ({"business_number": "12345"}, "business_number", "business_number_format"),
        ({"contact_email": ""}, "contact_email", "email_required"),
        ({"contact_email": "not-an-email"}, "contact_email", "invalid_email"),
        ({"contact_phone": "010-12"}, "contact_phone", "phone_invalid"),
        ({"company_name": ""}, "company_name", "required"),
        ({"sido": "99"}, "sido", "invalid_choice"),
        ({"sido": "11", "sigungu": "48120"}, "sigungu", "sigungu_not_in_sido"),
        ({"industry": "99999"}, "industry", "invalid_choice"),
        ({"company_size": "huge"}, "company_size", "invalid_choice"),
        ({"desired_support": ["free money"]}, "desired_support", "invalid_choice"),
        ({"description": "주민번호 900101-1234567 입니다"}, "description", "resident_number"),
        ({"title": "가" * 121}, "title", "max_length"),
    ],
)
def test_bad_input_gets_a_field_error_and_nothing_is_written(desk, overrides, field, code):
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        services.case_submit(actor=None, data=intake(**overrides), privacy_consent=True)
    assert code in [e.code for e in refused.value.error_dict[field]]
    assert snapshot() == before


def test_exactly_ten_thousand_characters_are_accepted(submit):
    case = submit(description="가" * 10_000)
    assert len(case.description) == 10_000


def test_no_consent_no_case(desk):
    before = snapshot()
    with pytest.raises(services.DeskError) as refused:
        services.case_submit(actor=None, data=intake(), privacy_consent=False)
    assert refused.value.code == "consent_required"
    assert snapshot() == before


def test_a_disguised_file_is_refused_with_its_name_and_nothing_is_written(desk):
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        services.case_submit(
            actor=None,
            data=intake(),
            privacy_consent=True,
            attachments=[upload(DOCX, "정상.docx"), upload(EXE, "견적서.pdf")],
        )
    errors = refused.value.error_dict["attachments"]
    assert [e.code for e in errors] == ["attachment_type"]
    assert "견적서.pdf" in errors[0].message % errors[0].params
    assert snapshot() == before


def test_a_double_submit_returns_the_first_case(desk):
    first = services.case_submit(
        actor=None,
        data=intake(),
        privacy_consent=True,
        idempotency_key="form-123",
        attachments=[upload(PDF, "a.pdf")],
    )
    before = snapshot()
    again = services.case_submit(
        actor=None,
        data=intake(),
        privacy_consent=True,
        idempotency_key="form-123",
        attachments=[upload(PDF, "a.pdf")],
    )
    assert again.case.pk == first.case.pk and not again.created
    assert snapshot() == before


def test_the_same_key_from_different_submitters_makes_different_cases(desk):
    mine = services.case_submit(
        actor=desk.sme, data=intake(), privacy_consent=True, idempotency_key="same"
    )
    theirs = services.case_submit(
        actor=desk.sme2, data=intake(), privacy_consent=True, idempotency_key="same"
    )
    assert mine.case.pk != theirs.case.pk
    assert theirs.created


def test_attachments_are_stored_privately_with_their_digest(desk, submit, settings):
    import hashlib
    from pathlib import Path

    case = submit(attachments=[upload(PDF, "../../도면.pdf")])
    attachment = case.attachments.get()
    assert attachment.original_name == "도면.pdf"
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.size == len(PDF)
    path = Path(attachment.file.path).resolve()
    # MEDIA_ROOT is never served (see test_uploaded_files_are_only_served_through_their_
    # permission_check); attachments live in its desk/ folder, where backups find them.
    assert (Path(settings.MEDIA_ROOT) / "desk").resolve() in path.parents
    assert path.read_bytes() == PDF
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018 - never served as a media URL
