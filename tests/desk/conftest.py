"""Fixtures of the desk tests: people in the right places, a way to submit a case, sample
files of every allowed kind (made here, byte by byte) and disguised ones."""

from __future__ import annotations

import io
import struct
import zipfile
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dure.directory.demo import demo_business_number

VALID_BUSINESS_NUMBER = demo_business_number(777)


def intake(**overrides):
    data = {
        "company_name": "테스트정밀",
        "business_number": VALID_BUSINESS_NUMBER,
        "sido": "48",
        "company_size": "small",
        "contact_name": "홍길동",
        "contact_phone": "010-1234-5678",
        "contact_email": "hong@example.kr",
        "description": "프레스로 찍은 판금 부품의 모서리가 자꾸 갈라집니다. 원인을 알고 싶습니다.",
        "desired_support": ["consulting"],
    }
    data.update(overrides)
    return data


@pytest.fixture
def desk(db, users):
    """People and places: the demo users plus a second KITECH researcher, a KIMM researcher,
    regional-centre staff, another SME representative; the KITECH demo team."""
    from dure.accounts.models import User
    from dure.desk.models import Team
    from dure.directory.models import Membership, Organisation, OrganisationKind, Role

    def institute(acronym):
        return Organisation.objects.get(kind=OrganisationKind.RESEARCH_INSTITUTE, acronym=acronym)

    def person(username, org, role):
        user = User.objects.create_user(username=username, email=f"{username}@example.kr")
        Membership.objects.create(user=user, organisation=org, role=role)
        return user

    kitech, kimm, kims, etri = (institute(a) for a in ("KITECH", "KIMM", "KIMS", "ETRI"))
    regional = Organisation.objects.get(name="경남 지역 애로기술 상담센터")
    other_regional = Organisation.objects.get(name="제주 지역 애로기술 상담센터")
    ns = SimpleNamespace(
        **users,
        kitech=kitech,
        kimm=kimm,
        kims=kims,
        etri=etri,
        national=Organisation.objects.get(name="과학기술인협동조합지원센터"),
        regional=regional,
        other_regional=other_regional,
        team=Team.objects.get(name="뿌리기술 지원팀"),
        researcher2=person("kitech2", kitech, Role.RESEARCHER),
        kitech_staff=person("kitech_staff", kitech, Role.STAFF),
        kimm_researcher=person("kimm1", kimm, Role.RESEARCHER),
        kims_researcher=person("kims1", kims, Role.RESEARCHER),
        etri_researcher=person("etri1", etri, Role.RESEARCHER),
        regional_staff=person("gn_staff", regional, Role.STAFF),
        jeju_staff=person("jeju_staff", other_regional, Role.STAFF),
    )
    sme2_org = Organisation.objects.get(name="미래회로설계")
    ns.sme2 = person("sme2", sme2_org, Role.REPRESENTATIVE)
    return ns


@pytest.fixture
def submit(db):
    """submit(actor=None, **data overrides) → a new case (anonymous web by default)."""
    from dure.desk.services import case_submit

    def make(actor=None, channel="web", attachments=(), key=None, centre=None, **overrides):
        return case_submit(
            actor=actor,
            data=intake(**overrides),
            privacy_consent=True,
            channel=channel,
            attachments=list(attachments),
            idempotency_key=key,
            receiving_centre=centre,
        ).case

    return make


@pytest.fixture
def flow(desk, submit):
    """Move a fresh case along the workflow: flow("in_progress") → the case in that state."""
    from dure.desk import services

    def make(state, **overrides):
        case = advance(state, **overrides)
        case.refresh_from_db()
        return case

    def advance(state, **overrides):
        case = submit(**overrides)
        if state == "received":
            return case
        services.case_triage(
            actor=desk.center,
            case=case,
            category="consulting",
            lead_institute=desk.kitech,
            recommended=["KITECH"],
        )
        if state == "triaged":
            return case
        services.case_assign(actor=desk.center, case=case, team=desk.team, assignee=desk.researcher)
        if state == "assigned":
            return case
        services.case_start(actor=desk.researcher, case=case)
        if state == "in_progress":
            return case
        if state == "waiting":
            services.case_wait_for_requester(actor=desk.researcher, case=case)
            return case
        services.case_resolve(actor=desk.researcher, case=case, outcome="information")
        if state == "resolved":
            return case
        services.case_close(actor=desk.center, case=case)
        return case

    return make


# --- sample files ------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)
JPG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x00" * 64
    + b"\xff\xd9"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buf.getvalue()


DOCX = zip_bytes(
    {
        "[Content_Types].xml": b"<Types/>",
        "_rels/.rels": b"<Relationships/>",
        "word/document.xml": b"<w:document/>",
    }
)
XLSX = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
DOCM = zip_bytes(
    {
        "[Content_Types].xml": b"<Types/>",
        "word/document.xml": b"<w/>",
        "word/vbaProject.bin": b"\x00",
    }
)
HWPX = zip_bytes(
    {
        "mimetype": b"application/hwp+zip",
        "Contents/section0.xml": b"<hs:sec/>",
        "version.xml": b"<v/>",
    }
)
PLAIN_ZIP = zip_bytes({"readme.txt": b"hello"})


def ole2(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (512-byte sectors) whose small streams live in the mini
    stream, as in a real HWP 5 file."""
    sector = 512
    free, end, fatsect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    mini = b""
    entries = []
    minifat: list[int] = []
    for name, content in streams.items():
        start = len(mini) // 64
        padded = content + b"\x00" * (-len(content) % 64)
        count = len(padded) // 64
        minifat += [start + i + 1 for i in range(count - 1)] + [end]
        mini += padded
        entries.append((name, start, len(content)))
    mini += b"\x00" * (-len(mini) % sector)
    mini_sectors = len(mini) // sector
    # sectors: 0 FAT, 1 directory, 2 mini FAT, 3.. mini stream
    fat = [fatsect, end, end] + [3 + i + 1 for i in range(mini_sectors - 1)] + [end]
    fat += [free] * (sector // 4 - len(fat))

    def dir_entry(name, kind, start, size, child=nostream, right=nostream):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        raw = encoded.ljust(64, b"\x00")
        raw += struct.pack("<HBB", len(encoded), kind, 1)
        raw += struct.pack("<III", nostream, right, child)
        raw += b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16
        raw += struct.pack("<II", start, size) + b"\x00" * 4
        assert len(raw) == 128
        return raw

    directory = dir_entry("Root Entry", 5, 3, len(mini), child=1)
    for i, (name, start, size) in enumerate(entries, start=1):
        right = i + 1 if i < len(entries) else nostream
        directory += dir_entry(name, 2, start, size, right=right)
    directory = directory.ljust(sector, b"\x00")
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat).ljust(sector, b"\xff")
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 2, 1, end, 0)
    header += struct.pack("<109I", 0, *([free] * 108))
    assert len(header) == 512
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    return header + fat_bytes + directory + minifat_bytes + mini


HWP = ole2(
    {
        "FileHeader": b"HWP Document File" + b"\x00" * 15 + b"\x00\x00\x05\x05" + b"\x00" * 220,
        "DocInfo": b"\x00" * 100,
    }
)
DOC = ole2({"WordDocument": b"\xec\xa5\xc1\x00" + b"\x00" * 200})


def upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def files():
    return SimpleNamespace(
        pdf=PDF,
        png=PNG,
        jpg=JPG,
        exe=EXE,
        html=HTML,
        docx=DOCX,
        xlsx=XLSX,
        docm=DOCM,
        hwpx=HWPX,
        zip=PLAIN_ZIP,
        hwp=HWP,
        doc=DOC,
        upload=upload,
    )
