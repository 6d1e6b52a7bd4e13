"""The importers: CP949, UTF-8 (with and without BOM) and XLSX files with KIPRIS/ZEUS headers,
column mapping, the validation report, nothing written when a file has errors (unless
--skip-invalid), idempotent upserts, search documents written in the same transaction, and the
``dure import`` command."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from dure.core.models import AuditEvent
from dure.search.models import SearchDocument
from dure.techbank.importers import ImportFileError, detect_encoding, import_file
from dure.techbank.models import Equipment, Expert, Technology
from dure.techbank.selectors import techbank_search

pytestmark = pytest.mark.django_db

KIPRIS_HEADER = [
    "출원번호",
    "발명의 명칭",
    "요약",
    "IPC",
    "출원인",
    "출원일",
    "등록번호",
    "등록일",
    "공개번호",
    "공개일",
    "발명자",
    "등록상태",
]

ROWS = [
    [
        "1020180099001",
        "빙결 방지 풍력 블레이드 코팅 (Anti-icing coating for wind turbine blades)",
        "풍력 발전기 블레이드 표면의 결빙을 방지하는 초발수 코팅에 관한 것이다.",
        "C09D 5/00|F03D 80/40",
        "한국재료연구원",
        "2018.08.24",
        "1021234560000",
        "2020.02.03",
        "1020200012345",
        "2020.02.20",
        "박지은|홍길동",
        "등록",
    ],
    [
        "10-2019-0099002",
        "철도 차륜 마모 측정 장치",
        "레이저 거리 센서로 철도 차륜의 마모량을 측정하는 장치이다.",
        "B61K 9/12",
        "재단법인 한국기계연구원",
        "2019-08-30",
        "",
        "",
        "",
        "",
        "윤재원",
        "공개",
    ],
    [
        "1020170099003",
        "빙설 도로 결빙 감지 센서",
        "도로 표면의 결빙을 감지하는 정전용량 센서이다.",
        "G01N 27/22",
        "한국전자통신연구원(ETRI)|(주)도로안전",
        "20170921",
        "",
        "",
        "",
        "",
        "최민수",
        "소멸",
    ],
]


def write_csv(path, rows, *, encoding, header=KIPRIS_HEADER, delimiter=","):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, rows, header=KIPRIS_HEADER, title_row=True):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    if title_row:
        ws.append(["KIPRIS 검색 결과 (2026-01-05)"])  # exports often start with a title
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def imported():
    return {
        t.application_number: t
        for t in Technology.objects.filter(
            application_number__in=["10-2018-0099001", "10-2019-0099002", "10-2017-0099003"]
        ).select_related("holder")
    }


def assert_rows_imported():
    techs = imported()
    assert set(techs) == {"10-2018-0099001", "10-2019-0099002", "10-2017-0099003"}
    first = techs["10-2018-0099001"]
    assert first.holder.acronym == "KIMS"
    assert first.title.startswith("빙결 방지 풍력 블레이드 코팅")
    assert first.ipc_codes == ["C09D 5/00", "F03D 80/40"]
    assert first.ipc_sections == "CF"
    assert str(first.application_date) == "2018-08-24"
    assert first.registration_number == "10-2123456"
    assert first.publication_number == "10-2020-0012345"
    assert first.status == "registered"
    assert first.inventor_names == "박지은, 홍길동"
    # the inventor who is a KIMS expert is linked
    assert [e.name for e in first.inventors.all()] == ["박지은"]
    assert techs["10-2019-0099002"].holder.acronym == "KIMM"
    assert techs["10-2019-0099002"].status == "published"
    etri = techs["10-2017-0099003"]
    assert (etri.holder.acronym, etri.status) == ("ETRI", "lapsed")
    # searchable at once
    hits = techbank_search(user=None, query="풍력 블레이드 결빙", kinds=["technology"]).hits
    assert hits[0].object_id == first.pk


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("cp949", "cp949"), ("euc-kr", "cp949"), ("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8")],
)
def test_csv_in_every_korean_encoding(tmp_path, encoding, detected):
    path = write_csv(tmp_path / "kipris.csv", ROWS, encoding=encoding)
    report = import_file(kind="technologies", path=path)
    assert report.ok and report.written
    assert report.encoding == detected
    assert (report.rows, report.created, report.updated) == (3, 3, 0)
    assert_rows_imported()


def test_a_tab_separated_utf16_export(tmp_path):
    path = write_csv(tmp_path / "kipris.txt", ROWS, encoding="utf-16", delimiter="\t")
    report = import_file(kind="technologies", path=path)
    assert report.ok, report.errors
    assert report.encoding == "utf-16"
    assert_rows_imported()


def test_xlsx_with_a_title_row_and_typed_cells(tmp_path):
    import datetime as dt

    rows = [list(r) for r in ROWS]
    rows[0][0] = 1020180099001  # a number cell, as Excel keeps it
    rows[0][5] = dt.datetime(2018, 8, 24)  # noqa: DTZ001 - a naive date cell, as Excel keeps it
    path = write_xlsx(tmp_path / "kipris.xlsx", rows)
    report = import_file(kind="technologies", path=path)
    assert report.ok, report.errors
    assert report.encoding == "xlsx"
    assert_rows_imported()


def test_importing_the_same_file_again_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "kipris.csv", ROWS, encoding="cp949")
    import_file(kind="technologies", path=path)
    before = list(Technology.objects.order_by("pk").values())
    docs = SearchDocument.objects.count()
    report = import_file(kind="technologies", path=path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert list(Technology.objects.order_by("pk").values()) == before
    assert SearchDocument.objects.count() == docs


def test_a_changed_row_updates_only_that_record_and_its_search_document(tmp_path):
    path = write_csv(tmp_path / "kipris.csv", ROWS, encoding="utf-8")
    import_file(kind="technologies", path=path)
    changed = [list(r) for r in ROWS]
    changed[1][1] = "철도 차륜 마모 측정 장치 및 방법"
    changed[1][2] = "초음파로 차륜 균열도 함께 검사한다."
    report = import_file(
        kind="technologies", path=write_csv(tmp_path / "v2.csv", changed, encoding="utf-8")
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    tech = Technology.objects.get(application_number="10-2019-0099002")
    assert tech.title == "철도 차륜 마모 측정 장치 및 방법"
    hits = techbank_search(user=None, query="차륜 균열 초음파", kinds=["technology"]).hits
    assert [h.object_id for h in hits] == [tech.pk]


def test_a_file_with_errors_writes_nothing_and_reports_row_column_problem(tmp_path):
    bad = [list(r) for r in ROWS]
    bad[0][0] = "10-2018-009900"  # 12 digits
    bad[1][4] = "한빛정밀"  # not a research institute
    bad[2][5] = "2017.13.45"  # no such date
    bad.append(list(ROWS[0]))  # a duplicate of row 2 (after fixing … still invalid number)
    bad.append(list(ROWS[1]))  # duplicate application number in the file
    bad[4][0] = ROWS[2][0]
    path = write_csv(tmp_path / "bad.csv", bad, encoding="cp949")
    audit = AuditEvent.objects.count()
    docs = SearchDocument.objects.count()
    techs = Technology.objects.count()

    report = import_file(kind="technologies", path=path)

    assert not report.ok and not report.written
    problems = {(e.row, e.column) for e in report.errors}
    assert (2, "출원번호") in problems
    assert (3, "출원인") in problems
    assert (4, "출원일") in problems
    assert (6, "출원번호") in problems  # duplicate within the file … of row 4's number
    assert all(e.message for e in report.errors)
    assert Technology.objects.count() == techs
    assert SearchDocument.objects.count() == docs
    assert AuditEvent.objects.count() == audit


def test_skip_invalid_writes_the_valid_rows_and_reports_the_others(tmp_path):
    bad = [list(r) for r in ROWS]
    bad[1][3] = "Z99 9/99"  # invalid IPC
    path = write_csv(tmp_path / "bad.csv", bad, encoding="utf-8-sig")
    report = import_file(kind="technologies", path=path, skip_invalid=True)
    assert report.written
    assert (report.created, report.skipped) == (2, 1)
    assert [(e.row, e.column) for e in report.errors] == [(3, "IPC")]
    assert set(imported()) == {"10-2018-0099001", "10-2017-0099003"}
    event = AuditEvent.objects.filter(action="technology.import").latest("id")
    assert event.changes["created"] == 2 and event.changes["skipped"] == 1


def test_column_mapping_for_other_layouts(tmp_path):
    header = [
        "특허번호",
        "기술명칭",
        "기술 요약",
        "분류코드",
        "기관",
        "기술성숙도(TRL)",
        "착수기본료(원)",
        "경상기술료(%)",
        "거래유형",
    ]
    rows = [
        [
            "10-2016-0099004",
            "저소음 냉각팬",
            "소음을 줄인 냉각팬 블레이드",
            "F04D 29/66",
            "KIMM",
            "6",
            "5,000,000",
            "2.5",
            "통상실시권, 양도",
        ]
    ]
    path = write_csv(tmp_path / "other.csv", rows, encoding="utf-8", header=header)
    with pytest.raises(ImportFileError):
        import_file(kind="technologies", path=path)  # no recognisable application number column
    report = import_file(
        kind="technologies",
        path=path,
        mapping=["특허번호=application_number", "기관=holder", "분류코드=ipc_codes"],
    )
    assert report.ok, report.errors
    assert report.ignored_columns == []
    tech = Technology.objects.get(application_number="10-2016-0099004")
    assert (tech.title, tech.abstract, tech.trl) == (
        "저소음 냉각팬",
        "소음을 줄인 냉각팬 블레이드",
        6,
    )
    assert (tech.upfront_fee, tech.royalty_bp) == (5_000_000, 250)
    assert tech.deal_types == ["nonexclusive", "assignment"]
    assert tech.holder.acronym == "KIMM"
    with pytest.raises(ImportFileError):
        import_file(kind="technologies", path=path, mapping=["특허번호=nonsense"])


def test_a_user_may_import_only_for_their_own_institute(tmp_path, users):
    path = write_csv(tmp_path / "kipris.csv", ROWS, encoding="utf-8")
    report = import_file(kind="technologies", path=path, actor=users["researcher"])
    assert not report.written  # KIMS, KIMM and ETRI are not the researcher's (KITECH)
    assert {e.column for e in report.errors} == {"출원인"}
    kitech_rows = [list(ROWS[0])]
    kitech_rows[0][4] = "한국생산기술연구원"
    report = import_file(
        kind="technologies",
        path=write_csv(tmp_path / "kitech.csv", kitech_rows, encoding="utf-8"),
        actor=users["researcher"],
    )
    assert report.written and report.created == 1
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_file(kind="technologies", path=path, actor=users["sme"])


def test_not_a_table_and_undecodable_text_are_reported(tmp_path, monkeypatch):
    from dure.techbank import importers

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError):
        import_file(kind="technologies", path=empty)
    with pytest.raises(ImportFileError):
        import_file(kind="technologies", path=tmp_path / "missing.csv")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(ImportFileError):
        import_file(kind="technologies", path=garbage)
    # valid CP949 in the sample that decides the encoding, then bytes that are not: the rest
    # of the file is reported as an error of the row where it starts, nothing is written
    monkeypatch.setattr(importers, "SAMPLE_BYTES", 300)
    path = write_csv(tmp_path / "mixed.csv", ROWS, encoding="cp949")
    path.write_bytes(path.read_bytes() + b"10201800990077,\xff\xfe\xff,x\n")
    report = import_file(kind="technologies", path=path)
    assert report.encoding == "cp949"
    assert not report.written
    assert [(e.row, e.column) for e in report.errors] == [(5, "발명의 명칭")]
    assert "인코딩" in report.errors[0].message
    assert not imported()


def test_detect_encoding_prefers_boms_then_utf8_then_cp949():
    text = "출원번호,발명의 명칭\n"
    assert detect_encoding(text.encode("utf-8-sig")) == "utf-8-sig"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(text.encode("cp949")) == "cp949"
    assert detect_encoding("똠방각하".encode("cp949")) == "cp949"  # outside EUC-KR proper
    # a multi-byte character cut by the sample's end is not a reason to give up UTF-8
    assert detect_encoding(text.encode("utf-8") + "한".encode()[:2]) == "utf-8"


# --- equipment ---------------------------------------------------------------------------------

ZEUS_HEADER = [
    "NFEC 등록번호",
    "장비명",
    "영문장비명",
    "제작사",
    "모델명",
    "보유기관",
    "활용범위",
    "장비상태",
    "시간당 이용료(원)",
    "담당자",
    "연락처",
]


def test_equipment_import_cp949_and_xlsx(tmp_path):
    rows = [
        [
            "NFEC-2020-05-700001",
            "초고속 카메라",
            "High-speed camera",
            "Phantom",
            "v2640",
            "한국기계연구원",
            "공동활용",
            "활용",
            "30,000",
            "김담당",
            "042-868-7001",
        ],
        [
            "NFEC2020057000020",
            "열화상 카메라",
            "Thermal camera",
            "FLIR",
            "A700",
            "KERI",
            "단독활용",
            "유휴",
            "",
            "",
            "",
        ],
    ]
    rows[1][0] = "NFEC-2020-05-700002"
    report = import_file(
        kind="equipment",
        path=write_csv(tmp_path / "zeus.csv", rows, encoding="cp949", header=ZEUS_HEADER),
    )
    assert report.ok, report.errors
    first = Equipment.objects.get(nfec_number="NFEC-2020-05-700001")
    assert (first.institute.acronym, first.sharing, first.status, first.fee_per_hour) == (
        "KIMM",
        "shared",
        "in_use",
        30_000,
    )
    assert first.manager_phone == "042-868-7001"
    second = Equipment.objects.get(nfec_number="NFEC-2020-05-700002")
    assert (second.sharing, second.status, second.fee_per_hour) == ("sole", "idle", None)
    assert (
        techbank_search(user=None, query="초고속 카메라", kinds=["equipment"]).hits[0].object_id
        == first.pk
    )
    doc = SearchDocument.objects.get(kind="equipment", object_id=first.pk)
    assert "042-868-7001" not in doc.body and "김담당" not in doc.body
    # the same rows from XLSX: nothing new
    report = import_file(
        kind="equipment", path=write_xlsx(tmp_path / "zeus.xlsx", rows, header=ZEUS_HEADER)
    )
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)


def test_equipment_errors_write_nothing(tmp_path):
    rows = [
        [
            "NFEC-2020-05-700003",
            "",
            "",
            "",
            "",
            "한국기계연구원",
            "공동활용",
            "고장",
            "-5",
            "",
            "123",
        ],
    ]
    report = import_file(
        kind="equipment",
        path=write_csv(tmp_path / "zeus.csv", rows, encoding="utf-8", header=ZEUS_HEADER),
    )
    assert not report.written
    assert {e.column for e in report.errors} == {
        "장비명",
        "장비상태",
        "시간당 이용료(원)",
        "연락처",
    }
    assert not Equipment.objects.filter(nfec_number="NFEC-2020-05-700003").exists()


# --- the command -------------------------------------------------------------------------------


def test_the_import_command_prints_a_summary_and_fails_on_errors(tmp_path):
    path = write_csv(tmp_path / "kipris.csv", ROWS, encoding="cp949")
    out = io.StringIO()
    call_command("import", "technologies", str(path), "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["created"] == 3 and summary["encoding"] == "cp949" and summary["written"]

    bad = [list(ROWS[0])]
    bad[0][0] = "123"
    bad_path = write_csv(tmp_path / "bad.csv", bad, encoding="cp949")
    report_path = tmp_path / "report.csv"
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import",
            "technologies",
            str(bad_path),
            "--report",
            str(report_path),
            stdout=out,
            verbosity=0,
        )
    assert "row 2 [출원번호]" in out.getvalue()
    lines = report_path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "row,column,problem"
    assert lines[1].startswith("2,출원번호,")

    out = io.StringIO()
    call_command("import", "technologies", str(bad_path), "--skip-invalid", stdout=out, verbosity=0)
    assert "skipped 1" in out.getvalue()


def test_the_import_command_refuses_unknown_kinds_and_files(tmp_path):
    with pytest.raises(CommandError):
        call_command("import", "patents", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError):
        call_command("import", "technologies", str(tmp_path / "missing.csv"), verbosity=0)


def test_an_institute_option_fills_a_missing_applicant_column(tmp_path):
    header = ["출원번호", "발명의 명칭"]
    path = write_csv(
        tmp_path / "plain.csv", [["1020150099005", "무명 기술"]], encoding="utf-8", header=header
    )
    with pytest.raises(CommandError):
        call_command("import", "technologies", str(path), verbosity=0)
    call_command(
        "import",
        "technologies",
        str(path),
        "--institute",
        "KITECH",
        verbosity=0,
        stdout=io.StringIO(),
    )
    assert Technology.objects.get(application_number="10-2015-0099005").holder.acronym == "KITECH"
    assert Expert.objects.exists()


def test_blank_cells_never_clear_what_the_platform_manages(tmp_path, users):
    from dure.techbank import services

    header = [*KIPRIS_HEADER, "활용상태", "착수기본료", "TRL"]
    rows = [[*ROWS[0], "", "", ""]]
    import_file(
        kind="technologies",
        path=write_csv(tmp_path / "a.csv", rows, encoding="utf-8", header=header),
    )
    tech = Technology.objects.get(application_number="10-2018-0099001")
    assert (tech.commercialisation, tech.upfront_fee, tech.trl) == ("unused", None, None)
    services.technology_update(
        actor=users["admin"],
        technology=tech,
        data={"commercialisation": "transferred", "upfront_fee": 7_000_000, "trl": 6},
    )
    report = import_file(
        kind="technologies",
        path=write_csv(tmp_path / "b.csv", rows, encoding="utf-8", header=header),
    )
    assert report.unchanged == 1
    tech.refresh_from_db()
    assert (tech.commercialisation, tech.upfront_fee, tech.trl) == ("transferred", 7_000_000, 6)
    rows = [[*ROWS[0], "휴면", "3,000,000", "7"]]
    import_file(
        kind="technologies",
        path=write_csv(tmp_path / "c.csv", rows, encoding="utf-8", header=header),
    )
    tech.refresh_from_db()
    assert (tech.commercialisation, tech.upfront_fee, tech.trl) == ("dormant", 3_000_000, 7)


def test_a_large_import_refreshes_the_search_statistics(tmp_path, monkeypatch):
    """PostgreSQL estimates term frequencies from ANALYZE statistics: a bulk load refreshes
    them at once (here "large" is lowered to 3 rows), a re-import that writes nothing does not."""
    from dure.search import backends
    from dure.techbank import importers

    calls = []
    for engine in (backends.SQLiteBackend, backends.PostgresBackend):
        monkeypatch.setattr(engine, "refresh_statistics", lambda self: calls.append(1))
    monkeypatch.setattr(importers, "ANALYZE_AFTER_ROWS", 3)
    path = write_csv(tmp_path / "kipris.csv", ROWS, encoding="utf-8")
    import_file(kind="technologies", path=path)
    assert calls == [1]
    import_file(kind="technologies", path=path)  # unchanged rows
    assert calls == [1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics")
def test_refreshed_statistics_show_a_frequent_term(make_technology):
    from dure.search.backends import backend

    for n in range(120):
        make_technology(title=f"초음파 센서 시험 {n}", abstract="초음파 센서로 누수를 찾는다.")
    engine = backend()
    engine.refresh_statistics()
    assert engine.document_frequencies(("센서",))["센서"] >= 60


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN pending list")
def test_refreshed_statistics_empty_the_full_text_index_pending_list(make_technology):
    from dure.search.backends import backend

    def clean_pending() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT gin_clean_pending_list('search_document_tsv'::regclass)")
            return cur.fetchone()[0]

    for n in range(30):
        make_technology(title=f"초음파 센서 시험 {n}", abstract="초음파 센서로 누수를 찾는다.")
    assert clean_pending() > 0  # new rows wait in the pending list
    for n in range(30):
        make_technology(title=f"누수 탐지 장치 {n}", abstract="관로의 누수음을 분석한다.")
    backend().refresh_statistics()
    assert clean_pending() == 0
