"""Files without a message: ``case_attachments_add`` (and ``case_message_post`` with an empty
body and files) keep the message rules: content checks, permission, event, audit, the first
response and resuming a case waiting on its requester."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dure.core.models import AuditEvent
from dure.desk import selectors, services
from dure.desk.models import CaseAttachment, CaseEvent, CaseMessage, Status

from .conftest import EXE, PDF, PNG, upload

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        CaseMessage.objects.count(),
        CaseAttachment.objects.count(),
        CaseEvent.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_requester_sends_files_only_through_the_status_link_and_resumes_the_case(flow):
    case = flow("waiting")
    token = services.status_token_for(case=case)
    audits = AuditEvent.objects.count()
    message = services.case_attachments_add(
        case=case, status_token=token, attachments=[upload(PDF, "견적서.pdf")]
    )
    case.refresh_from_db()
    assert message.body == "" and message.files_only
    assert message.author_kind == CaseMessage.AuthorKind.REQUESTER and message.via_status_link
    assert [a.original_name for a in message.attachments.all()] == ["견적서.pdf"]
    assert case.status == Status.IN_PROGRESS
    event = case.events.get(kind=CaseEvent.Kind.MESSAGE, data__message=message.pk)
    assert event.data["files_only"] is True
    assert event.data["attachments"] == [message.attachments.get().pk]
    assert AuditEvent.objects.count() > audits
    public = selectors.case_public_view(case=case)
    assert message.pk in [m.pk for m in public.messages]


def test_staff_files_only_count_as_the_first_response_and_internal_files_stay_internal(desk, flow):
    case = flow("in_progress")
    assert case.first_response_at is None
    note = services.case_attachments_add(
        case=case, actor=desk.researcher, attachments=[upload(PNG, "내부.png")], is_internal=True
    )
    case.refresh_from_db()
    assert note.is_internal and note.attachments.get().is_internal
    assert case.first_response_at is None  # an internal note is not an answer
    answer = services.case_message_post(
        case=case, actor=desk.researcher, body="  ", attachments=[upload(PDF, "보고서.pdf")]
    )
    case.refresh_from_db()
    assert answer.body == "" and answer.files_only and not answer.is_internal
    assert case.first_response_at == answer.created_at
    detail = selectors.case_detail(user=desk.sme, case=case)
    assert [m.pk for m in detail.messages] == [answer.pk]


def test_neither_text_nor_files_is_refused(desk, flow):
    case = flow("in_progress")
    before = snapshot()
    with pytest.raises(services.DeskError) as empty:
        services.case_attachments_add(case=case, actor=desk.researcher, attachments=[])
    assert empty.value.code == "attachments_required"
    with pytest.raises(services.DeskError) as blank:
        services.case_message_post(case=case, actor=desk.researcher, body=" \n ")
    assert blank.value.code == "body_required"
    assert snapshot() == before


def test_a_disguised_file_is_refused_and_nothing_is_written(desk, flow):
    case = flow("in_progress")
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        services.case_attachments_add(
            case=case,
            actor=desk.researcher,
            attachments=[upload(PDF, "a.pdf"), upload(EXE, "보고서.pdf")],
        )
    assert [e.code for e in refused.value.error_dict["attachments"]] == ["attachment_type"]
    assert snapshot() == before


def test_only_those_who_may_post_may_add_files(desk, flow):
    case = flow("in_progress")
    before = snapshot()
    for outsider in (desk.sme2, desk.kimm_researcher):
        with pytest.raises(PermissionDenied):
            services.case_attachments_add(
                case=case, actor=outsider, attachments=[upload(PDF, "a.pdf")]
            )
    with pytest.raises(PermissionDenied):  # a requester never writes internally
        services.case_attachments_add(
            case=case,
            status_token=services.status_token_for(case=case),
            attachments=[upload(PDF, "a.pdf")],
            is_internal=True,
        )
    assert snapshot() == before


def test_a_closed_case_takes_no_files(desk, flow):
    case = flow("closed")
    with pytest.raises(services.DeskError) as refused:
        services.case_attachments_add(
            case=case, actor=desk.center, attachments=[upload(PDF, "a.pdf")]
        )
    assert refused.value.code == "case_closed"


def test_the_database_allows_an_empty_body_only_for_files_only_messages(flow):
    from django.db import IntegrityError, transaction

    case = flow("received")
    for fields in (
        {"body": "", "files_only": False},
        {"body": "글", "files_only": True},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            CaseMessage.objects.create(case=case, author_kind="centre", **fields)
    assert CaseMessage.objects.create(case=case, author_kind="centre", body="", files_only=True)
    assert CaseMessage.objects.create(case=case, author_kind="centre", body="글")
