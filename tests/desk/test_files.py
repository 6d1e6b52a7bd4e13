"""Attachments are recognised by their content, never by their name."""

from __future__ import annotations

import io

import pytest

from dure.desk.files import MAX_ATTACHMENT_BYTES, AttachmentRejected, clean_filename, sniff

from .conftest import (
    DOC,
    DOCM,
    DOCX,
    EXE,
    HTML,
    HWP,
    HWPX,
    JPG,
    PDF,
    PLAIN_ZIP,
    PNG,
    XLSX,
)


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (JPG, "jpg"),
        (DOCX, "docx"),
        (XLSX, "xlsx"),
        (HWPX, "hwpx"),
        (HWP, "hwp"),
    ],
)
def test_every_allowed_kind_is_recognised_whatever_its_name(content, kind):
    sniffed = sniff(io.BytesIO(content), name="아무이름.txt")
    assert sniffed.kind == kind
    assert sniffed.size == len(content)
    assert len(sniffed.sha256) == 64


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (EXE, "견적서.pdf", "attachment_type"),
        (PLAIN_ZIP, "문서.docx", "attachment_type"),
        (HTML, "보고서.hwp", "attachment_type"),
        (DOC, "오래된문서.hwp", "attachment_type"),  # an OLE2 file that is not HWP
        (b"%PDF", "잘린.pdf", "attachment_type"),  # a PDF signature alone is not a PDF
        (DOCM, "매크로.docx", "attachment_macro"),
        (b"", "빈.pdf", "attachment_empty"),
    ],
)
def test_disguised_or_unwanted_files_are_refused_with_a_code(content, name, code):
    with pytest.raises(AttachmentRejected) as refused:
        sniff(io.BytesIO(content), name=name)
    assert refused.value.code == code
    assert str(refused.value.message)


def test_a_file_over_twenty_megabytes_is_refused():
    big = PDF + b"0" * (MAX_ATTACHMENT_BYTES - len(PDF) + 1)
    with pytest.raises(AttachmentRejected) as refused:
        sniff(io.BytesIO(big), name="큰.pdf")
    assert refused.value.code == "attachment_too_large"
    exactly = sniff(io.BytesIO(big[:MAX_ATTACHMENT_BYTES]), name="딱 20MB.pdf")
    assert exactly.size == MAX_ATTACHMENT_BYTES


def test_a_corrupt_ole2_file_is_refused_not_crashed():
    broken = HWP[:600]
    with pytest.raises(AttachmentRejected):
        sniff(io.BytesIO(broken), name="깨진.hwp")


def test_the_stored_name_carries_the_real_kind_and_no_path():
    assert clean_filename("../../etc/견적서.exe", "pdf") == "견적서.pdf"
    assert clean_filename("C:\\Users\\me\\도면 1.PNG", "png") == "도면 1.png"
    assert clean_filename("", "hwp") == "첨부.hwp"
    assert clean_filename("<script>.docx", "docx") == "script.docx"
