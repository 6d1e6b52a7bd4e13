"""Importing technologies (KIPRIS-style patent lists) and equipment (ZEUS-style lists) from
CSV or XLSX files.

- **Encodings**: a UTF-8 BOM (or UTF-16 BOM) decides; otherwise strict UTF-8, then CP949
  (a superset of EUC-KR, what Korean public data usually comes in), then charset-normalizer's
  best guess. The first megabyte decides; a byte that does not decode later on is reported as
  an error of that row.
- **Headers**: KIPRIS's Korean headers (출원번호, 발명의 명칭, 요약, IPC, 출원인, 출원일, 등록번호,
  등록일, 공개번호, 공개일, 발명자, 등록상태), common variants (spaces, ``(원)``/``(%)``
  suffixes, 출원일자 …) and our own field names are recognised; ``mapping`` (``--map
  헤더=field``) maps any other layout. Columns nobody recognises are ignored and reported.
- **Validation first**: the whole file is read and every row checked before anything is
  written. A file with errors writes nothing, unless ``skip_invalid`` (then the valid rows are
  written and the invalid ones reported as skipped).
- **Idempotent upsert** by application number / NFEC number: a row that matches an existing
  record updates only the columns the file has; a second import of the same file changes
  nothing.
- **In bulk**: rows are written 1,000 at a time (``bulk_create``/``bulk_update``) and indexed
  for search in the same batches (one Kiwi batch, one upsert), all in one transaction. The file
  is read twice (validate, then write) rather than held in memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dure.core.audit import audit_record
from dure.core.pagecache import bump_data_version
from dure.directory.models import IndustryClass, Organisation, OrganisationKind
from dure.search.backends import backend

from . import access, services
from .identifiers import normalize_application_number, normalize_nfec_number
from .models import Equipment, Expert, Technology
from .search_index import (
    DOCUMENT_BUILDERS,
    EQUIPMENT,
    TECHNOLOGY,
    analyze_documents,
    write_documents,
)

SAMPLE_BYTES = 1 << 20
BATCH = 1000
MAX_ERRORS = 1000  # a report longer than this is cut (the count stays exact)
# An import this large refreshes the search statistics at once (PostgreSQL ANALYZE).
ANALYZE_AFTER_ROWS = 1000

Progress = Callable[[str, int, int], None]


def _noop(phase: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet counts it: the header is row 1 (or where it was found)
    column: str  # the file's header ("" for the whole row)
    message: str


@dataclass
class ImportReport:
    kind: str
    path: str
    encoding: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    written: bool = False
    # ids of the file's objects (created, updated or unchanged): what to embed afterwards
    object_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)


class ImportFileError(Exception):
    """The file cannot be read at all (not CSV/XLSX, no header, unknown mapping field)."""


# --- headers -----------------------------------------------------------------------------------


def header_key(text: Any) -> str:
    """``" 착수기본료 (원) "`` → ``"착수기본료"``: NFKC, no bracketed suffix, no spaces, lower."""
    value = unicodedata.normalize("NFKC", str(text or "")).replace("\ufeff", "")
    value = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", value)
    return re.sub(r"[\s_·.]", "", value).lower()


TECHNOLOGY_FIELDS = (
    "application_number",
    "title",
    "title_en",
    "abstract",
    "key_claims",
    "ipc_codes",
    "holder",
    "application_date",
    "registration_number",
    "registration_date",
    "publication_number",
    "publication_date",
    "inventor_names",
    "status",
    "keywords",
    "trl",
    "ksic",
    "commercialisation",
    "deal_types",
    "upfront_fee",
    "royalty_percent",
    "royalty_bp",
)

# Fields the platform manages beside what a patent office exports: a blank cell leaves the
# stored value alone (it never clears a licence status, fee or TRL set on the platform).
PLATFORM_FIELDS = frozenset(
    {
        "commercialisation",
        "deal_types",
        "upfront_fee",
        "royalty_percent",
        "royalty_bp",
        "trl",
        "keywords",
        "ksic",
        "key_claims",
        "title_en",
    }
)

TECHNOLOGY_HEADERS = {
    "출원번호": "application_number",
    "발명의명칭": "title",
    "명칭": "title",
    "기술명": "title",
    "기술명칭": "title",
    "발명의영문명칭": "title_en",
    "영문명칭": "title_en",
    "요약": "abstract",
    "초록": "abstract",
    "요약문": "abstract",
    "기술요약": "abstract",
    "대표청구항": "key_claims",
    "청구항": "key_claims",
    "ipc": "ipc_codes",
    "ipc코드": "ipc_codes",
    "ipc분류": "ipc_codes",
    "국제특허분류": "ipc_codes",
    "출원인": "holder",
    "권리자": "holder",
    "보유기관": "holder",
    "출원일": "application_date",
    "출원일자": "application_date",
    "등록번호": "registration_number",
    "등록일": "registration_date",
    "등록일자": "registration_date",
    "공개번호": "publication_number",
    "공개일": "publication_date",
    "공개일자": "publication_date",
    "발명자": "inventor_names",
    "등록상태": "status",
    "법적상태": "status",
    "권리상태": "status",
    "키워드": "keywords",
    "trl": "trl",
    "기술성숙도": "trl",
    "ksic": "ksic",
    "표준산업분류": "ksic",
    "활용상태": "commercialisation",
    "사업화상태": "commercialisation",
    "거래유형": "deal_types",
    "이전유형": "deal_types",
    "착수기본료": "upfront_fee",
    "경상기술료": "royalty_percent",
    "경상기술료율": "royalty_percent",
}

EQUIPMENT_FIELDS = (
    "nfec_number",
    "name",
    "name_en",
    "manufacturer",
    "model_name",
    "classification",
    "capability",
    "configuration",
    "use_examples",
    "institute",
    "location",
    "sharing",
    "status",
    "fee_per_hour",
    "fee_per_day",
    "acquired_on",
    "acquisition_cost",
    "manager_name",
    "manager_phone",
    "manager_email",
)

# Blank cells that leave the stored value alone (new records get the defaults).
EQUIPMENT_KEEP_WHEN_BLANK = frozenset(
    {
        "sharing",
        "status",
        "fee_per_hour",
        "fee_per_day",
        "acquired_on",
        "acquisition_cost",
        "manager_name",
        "manager_phone",
        "manager_email",
    }
)

EQUIPMENT_HEADERS = {
    "nfec등록번호": "nfec_number",
    "nfec번호": "nfec_number",
    "장비등록번호": "nfec_number",
    "등록번호": "nfec_number",
    "장비명": "name",
    "한글장비명": "name",
    "국문장비명": "name",
    "장비명국문": "name",
    "영문장비명": "name_en",
    "장비명영문": "name_en",
    "제작사": "manufacturer",
    "제조사": "manufacturer",
    "모델명": "model_name",
    "장비분류": "classification",
    "표준분류": "classification",
    "분류": "classification",
    "성능": "capability",
    "주요성능": "capability",
    "구성및성능": "capability",
    "구성": "configuration",
    "활용예": "use_examples",
    "사용예": "use_examples",
    "활용분야": "use_examples",
    "보유기관": "institute",
    "기관명": "institute",
    "소속기관": "institute",
    "설치장소": "location",
    "설치위치": "location",
    "위치": "location",
    "활용범위": "sharing",
    "공동활용여부": "sharing",
    "장비상태": "status",
    "상태": "status",
    "이용료": "fee_per_hour",
    "시간당이용료": "fee_per_hour",
    "일일이용료": "fee_per_day",
    "취득일": "acquired_on",
    "취득일자": "acquired_on",
    "취득금액": "acquisition_cost",
    "담당자": "manager_name",
    "담당자연락처": "manager_phone",
    "연락처": "manager_phone",
    "담당자이메일": "manager_email",
    "이메일": "manager_email",
}


def parse_mapping(items: list[str] | None, fields: tuple[str, ...]) -> dict[str, str]:
    """``["발명명=title", …]`` → ``{header_key: field}``; unknown fields are an error."""
    out: dict[str, str] = {}
    for item in items or []:
        header, sep, target = item.partition("=")
        target = target.strip()
        if not sep or not header.strip() or target not in fields:
            raise ImportFileError(
                f"--map '{item}': use 헤더=field, field one of: {', '.join(fields)}"
            )
        out[header_key(header)] = target
    return out


# --- reading files -----------------------------------------------------------------------------


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp949"):
        try:
            # incremental: a multi-byte character cut at the sample's end is not an error
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    best = from_bytes(sample).best()
    if best is None:
        raise ImportFileError("cannot detect the file's text encoding")
    return best.encoding


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class Table:
    """Rows of a file as lists of strings, from the header on; readable more than once."""

    path: Path
    encoding: str
    header_row: int  # 1-based row of the header
    header: list[str]
    _reader: Callable[[], Iterator[tuple[int, list[str]]]]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, cells) of every non-empty data row."""
        return self._reader()


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def open_table(path: str | Path) -> Table:
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"no such file: {path}")
    if _is_xlsx(path):
        return _open_xlsx(path)
    return _open_csv(path)


def _open_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    def cells() -> Iterator[tuple[int, list[str]]]:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                values = [_cell(v) for v in row]
                if any(values):
                    yield number, values
        finally:
            workbook.close()

    try:
        header_row, header = _find_header(cells())
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged workbook: zip/XML errors of many kinds
        raise ImportFileError(f"cannot read the workbook: {exc}") from exc

    def data() -> Iterator[tuple[int, list[str]]]:
        for number, values in cells():
            if number > header_row:
                yield number, values

    return Table(path, "xlsx", header_row, header, data)


def _open_csv(path: Path) -> Table:
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    text_sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample)
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    if path.suffix.lower() not in (".tsv", ".tab"):
        try:
            delimiter = csv.Sniffer().sniff(text_sample[:65536], delimiters=",\t;|").delimiter
        except csv.Error:
            delimiter = ","

    def cells() -> Iterator[tuple[int, list[str]]]:
        # Bytes that do not decode become U+FFFD and are reported per row and column.
        with path.open(encoding=encoding, errors="replace", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            number = 0
            while True:
                number += 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield number, [f"\x00csv:{exc}"]
                    continue
                values = [v.strip() for v in row]
                if any(values):
                    yield number, values

    header_row, header = _find_header(cells())

    def data() -> Iterator[tuple[int, list[str]]]:
        for number, values in cells():
            if number > header_row:
                yield number, values

    return Table(path, encoding, header_row, header, data)


def _find_header(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The first row with at least two non-empty cells (title rows above it are skipped)."""
    for number, values in rows:
        if any("\ufffd" in v for v in values):
            raise ImportFileError("the header is not valid text in the detected encoding")
        if sum(1 for v in values if v) >= 2:
            return number, values
        if number > 20:
            break
    raise ImportFileError("no header row found (a header needs at least two columns)")


# --- values ------------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})\s*[-./년]?\s*(\d{1,2})\s*[-./월]?\s*(\d{1,2})\s*[.일]?$")


def parse_date(value: str) -> dt.date | None:
    """2019-07-18, 2019.07.18, 2019. 7. 18., 20190718, 2019/07/18, 2019년 7월 18일."""
    text = value.strip()
    if not text:
        return None
    match = _DATE.match(text)
    if not match:
        raise ValidationError("날짜 형식이 올바르지 않습니다 (예: 2019-07-18).", code="date_format")
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise ValidationError("없는 날짜입니다.", code="date_invalid") from exc


PATENT_STATUS_WORDS = {
    "등록": "registered",
    "소멸": "lapsed",
    "공개": "published",
    "출원": "applied",
    "심사중": "applied",
    "심사청구": "applied",
    "거절": "lapsed",
    "취하": "lapsed",
    "포기": "lapsed",
    "무효": "lapsed",
}


def patent_status(value: str) -> str:
    text = header_key(value)
    if not text:
        return "applied"
    for word, status in PATENT_STATUS_WORDS.items():
        if text.startswith(word):
            return status
    return value  # a field value (registered …) or an error the cleaner reports


def sharing_scope(value: str) -> str:
    text = header_key(value)
    if "공동" in text or text in ("shared", "y", "yes", "가능"):
        return "shared"
    if "단독" in text or text in ("sole", "n", "no", "불가"):
        return "sole"
    return value


def equipment_status(value: str) -> str:
    text = header_key(value)
    if text in ("활용", "사용", "사용중", "가동", "in_use"):
        return "in_use"
    if text in ("유휴", "미사용", "idle"):
        return "idle"
    if text in ("불용", "폐기", "disused"):
        return "disused"
    return value


_ORG_PREFIX = re.compile(r"^(재단법인|사단법인|\(재\)|\(사\)|\(주\)|주식회사)\s*")


class InstituteLookup:
    """Research institutes by name, acronym or English name (one query, in memory)."""

    def __init__(self) -> None:
        self.by_key: dict[str, int] = {}
        self.orgs: dict[int, Organisation] = {}
        for org in Organisation.objects.filter(kind=OrganisationKind.RESEARCH_INSTITUTE):
            self.orgs[org.pk] = org
            for key in (org.name, org.acronym, org.name_en):
                if key:
                    self.by_key.setdefault(header_key(key), org.pk)

    def find(self, value: str) -> int | None:
        """The first research institute among ``value``'s applicants (``|``/``;``/`,`):
        "재단법인 한국화학연구원", "한국과학기술연구원(KIST)", "KITECH" …"""
        for part in re.split(r"[|;,\n]+", value or ""):
            name = _ORG_PREFIX.sub("", part.strip())
            for candidate in (name, *re.findall(r"\(([^)]*)\)", name)):
                key = header_key(candidate)
                if key and key in self.by_key:
                    return self.by_key[key]
        return None


# --- the import engine -------------------------------------------------------------------------


@dataclass
class Columns:
    index: dict[str, int]  # field → column index
    names: dict[str, str]  # field → header as written in the file
    ignored: list[str]


def map_columns(
    header: list[str], aliases: dict[str, str], fields: tuple[str, ...], mapping: dict[str, str]
) -> Columns:
    known = {header_key(f): f for f in fields}
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    ignored = []
    for i, name in enumerate(header):
        key = header_key(name)
        target = mapping.get(key) or aliases.get(key) or known.get(key)
        if target and target not in index:
            index[target] = i
            names[target] = name
        elif name:
            ignored.append(name)
    return Columns(index, names, ignored)


class _Importer:
    kind: str
    search_kind: str
    model: Any
    key: str
    fields: tuple[str, ...]
    aliases: dict[str, str]
    required: tuple[str, ...]

    def __init__(
        self,
        *,
        path: str | Path,
        actor: Any = None,
        mapping: list[str] | None = None,
        skip_invalid: bool = False,
        default_institute: str = "",
        progress: Progress | None = None,
    ) -> None:
        self.table = open_table(path)
        self.columns = map_columns(
            self.table.header,
            self.aliases,
            self.fields,
            parse_mapping(mapping, self.fields),
        )
        missing = [f for f in self.required if f not in self.columns.index]
        if missing:
            raise ImportFileError(
                "missing required column(s): "
                + ", ".join(missing)
                + f" — found: {', '.join(self.table.header)} (use --map 헤더=field)"
            )
        self.actor = actor
        self.skip_invalid = skip_invalid
        self.progress = progress or _noop
        self.institutes = InstituteLookup()
        self.default_institute: int | None = None
        if default_institute:
            self.default_institute = self.institutes.find(default_institute)
            if self.default_institute is None:
                raise ImportFileError(f"unknown research institute: {default_institute}")
        self.pool: ThreadPoolExecutor
        self.pending: tuple[list[int], list[Any], Future[list[tuple[str, str]]]] | None = None
        self.report = ImportReport(
            kind=self.kind,
            path=str(path),
            encoding=self.table.encoding,
            ignored_columns=self.columns.ignored,
        )

    @staticmethod
    def normalise_key(value: str) -> str:
        raise NotImplementedError

    # subclasses: raw → clean dict (raises ValidationError with field errors)
    def clean(self, raw: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError

    def raw(self, cells: list[str]) -> dict[str, str]:
        return {
            f: (cells[i] if i < len(cells) else "").strip() for f, i in self.columns.index.items()
        }

    def _errors(self, number: int, exc: ValidationError) -> list[RowError]:
        out = []
        for field_name, errors in exc.message_dict.items():
            column = self.columns.names.get(field_name, "")
            if field_name == "royalty_bp":
                column = self.columns.names.get("royalty_percent", column)
            if field_name == "ipc_sections":
                column = self.columns.names.get("ipc_codes", column)
            for message in errors:
                out.append(RowError(number, column, str(message)))
        return out

    def _rows(self) -> Iterator[tuple[int, dict[str, Any] | None, list[RowError]]]:
        """(row, clean values or None, errors) for every data row, with in-file duplicates."""
        seen: dict[str, int] = {}
        key_column = self.columns.names[self.key]
        for number, cells in self.table.rows():
            if cells and cells[0].startswith("\x00csv:"):
                yield number, None, [RowError(number, "", "CSV 형식 오류: " + cells[0][5:])]
                continue
            undecodable = [
                RowError(
                    number,
                    self.table.header[i] if i < len(self.table.header) else "",
                    f"파일 인코딩({self.table.encoding})으로 읽을 수 없는 글자가 있습니다.",
                )
                for i, cell in enumerate(cells)
                if "\ufffd" in cell
            ]
            if undecodable:
                yield number, None, undecodable
                continue
            raw = self.raw(cells)
            errors: list[RowError] = []
            values: dict[str, Any] | None = None
            try:
                values = self.clean(raw)
                key = values[self.key]
            except ValidationError as exc:
                errors = self._errors(number, exc)
                try:
                    key = self.normalise_key(raw[self.key])
                except ValidationError:
                    key = None
            if key is not None:
                first = seen.setdefault(key, number)
                if first != number:
                    errors.append(
                        RowError(number, key_column, f"파일 안에서 중복됩니다 ({first}행과 같음).")
                    )
            yield number, (None if errors else values), errors

    def run(self) -> ImportReport:
        report = self.report
        # Pass 1: validate everything, write nothing.
        total = 0
        for _number, _values, errors in self._rows():
            total += 1
            for error in errors:
                report.add(error)
            if errors:
                report.skipped += 1
            if total % 500 == 0:
                self.progress("check", total, 0)
        report.rows = total
        self.progress("check", total, total)
        if not report.ok and not self.skip_invalid:
            report.skipped = 0
            return report
        # Pass 2: write in batches, one transaction for the whole file.
        with transaction.atomic(), ThreadPoolExecutor(max_workers=1) as self.pool:
            self.pending = None
            batch: list[tuple[int, dict[str, Any]]] = []
            done = 0
            for number, values, errors in self._rows():
                done += 1
                if values is not None and not errors:
                    batch.append((number, values))
                if len(batch) >= BATCH:
                    self._write(batch)
                    batch = []
                    self.progress("write", done, total)
            self._write(batch)
            self._flush_documents()
            self.progress("write", total, total)
            if not report.ok and not self.skip_invalid:
                # rows that turned out not to be the user's to change: write nothing
                transaction.set_rollback(True)
                report.created = report.updated = report.unchanged = 0
                return report
            bump_data_version()
            audit_record(
                actor=self.actor,
                action=f"{self.search_kind}.import",
                object_type=self.model._meta.label_lower,
                object_repr=Path(report.path).name[:200],
                changes={
                    "file": Path(report.path).name,
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "skipped": report.skipped,
                },
            )
        report.written = True
        if report.created + report.updated >= ANALYZE_AFTER_ROWS:
            backend().refresh_statistics()
        return report

    def _write(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        """Write one batch of rows and start analysing its search documents in a worker thread
        (Kiwi releases the GIL), so that analysis overlaps the database writes of this batch
        and the reading of the next; the documents are written one batch later."""
        if not batch:
            return
        fields = set(self.model_fields())
        present = sorted({f for _n, row in batch for f in row if f in fields})
        existing = {
            getattr(obj, self.key): obj
            for obj in self.model.objects.filter(
                **{f"{self.key}__in": [row[self.key] for _n, row in batch]}
            )
        }
        now = timezone.now()
        new, changed = [], []
        for number, row in batch:
            obj = existing.get(row[self.key])
            if obj is None:
                new.append(self.build(row))
                continue
            if not self.may_write_existing(obj):
                self.report.skipped += 1
                self.report.add(
                    RowError(
                        number,
                        self.columns.names[self.key],
                        "다른 기관이 보유한 기록이라 수정할 수 없습니다.",
                    )
                )
                continue
            dirty = False
            for f in present:
                if f in row and getattr(obj, f) != row[f]:
                    setattr(obj, f, row[f])
                    dirty = True
            if dirty:
                obj.updated_at = now
                changed.append(obj)
            else:
                self.report.unchanged += 1
                self.report.object_ids.append(obj.pk)
        written = new + changed
        if not written:
            return
        for obj in written:
            self.attach(obj)
        build = DOCUMENT_BUILDERS[self.search_kind]
        docs = [build(obj) for obj in written]
        analysis = self.pool.submit(analyze_documents, docs)
        if new:
            self.model.objects.bulk_create(new, batch_size=BATCH)
        if changed:
            self.model.objects.bulk_update(changed, [*present, "updated_at"], batch_size=BATCH // 2)
        if any(obj.pk is None for obj in new):
            # a database that does not return ids from a bulk insert
            ids = dict(
                self.model.objects.filter(
                    **{f"{self.key}__in": [getattr(o, self.key) for o in new]}
                ).values_list(self.key, "pk")
            )
            for obj in new:
                obj.pk = ids[getattr(obj, self.key)]
        self.report.created += len(new)
        self.report.updated += len(changed)
        self.report.object_ids.extend(obj.pk for obj in written)
        self.after_write(written)
        self._flush_documents()
        self.pending = ([obj.pk for obj in written], docs, analysis)

    def _flush_documents(self) -> None:
        if self.pending is not None:
            pks, docs, analysis = self.pending
            self.pending = None
            write_documents(self.search_kind, list(zip(pks, docs, strict=True)), analysis.result())

    def attach(self, obj: Any) -> None:
        """Set the related objects its search document reads (no query per row)."""

    def model_fields(self) -> list[str]:
        raise NotImplementedError

    def build(self, row: dict[str, Any]) -> Any:
        obj = self.model(**row)
        if hasattr(obj, "created_by_id") and getattr(self.actor, "is_authenticated", False):
            obj.created_by = self.actor
        return obj

    def may_write_existing(self, obj: Any) -> bool:
        return True

    def after_write(self, objects: list[Any]) -> None:
        """Anything else to write for the batch (objects have their ids)."""


class TechnologyImporter(_Importer):
    kind = "technologies"
    search_kind = TECHNOLOGY
    model = Technology
    key = "application_number"
    fields = TECHNOLOGY_FIELDS
    aliases = TECHNOLOGY_HEADERS
    required = ("application_number", "title")
    normalise_key = staticmethod(normalize_application_number)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if "holder" not in self.columns.index and self.default_institute is None:
            raise ImportFileError(
                "no applicant (출원인) column: name the holder institute with --institute"
            )
        self.ksic_codes: set[str] | None = None
        if "ksic" in self.columns.index:
            self.ksic_codes = set(IndustryClass.objects.values_list("code", flat=True))
        roles = access.roles_of(self.actor) if self.actor is not None else None
        self.allowed: set[int] | None = (
            None if roles is None or roles.is_staff else access.institute_ids(roles)
        )
        self.experts: dict[tuple[int, str], int] = {
            (institute, name): pk
            for pk, institute, name in Expert.objects.values_list("pk", "institute_id", "name")
        }

    def clean(self, raw: dict[str, str]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        errors: dict[str, list[ValidationError]] = {}
        for name, value in raw.items():
            if name in ("holder", "ksic") or (not value and name in PLATFORM_FIELDS):
                continue
            if name.endswith("_date"):
                try:
                    data[name] = parse_date(value)
                except ValidationError as exc:
                    errors[name] = [exc]
            elif name == "status":
                data[name] = patent_status(value)
            else:
                data[name] = value
        try:
            values = services.clean_technology_data(data)
        except ValidationError as exc:
            values = {}
            for name, messages in exc.error_dict.items():
                errors.setdefault(name, []).extend(messages)
        holder = None
        if "holder" in raw and raw["holder"]:
            holder = self.institutes.find(raw["holder"])
            if holder is None and self.default_institute is None:
                errors.setdefault("holder", []).append(
                    ValidationError(
                        f"출원인 중 등록된 출연연구기관이 없습니다: {raw['holder'][:60]}",
                        code="institute_unknown",
                    )
                )
        holder = holder or self.default_institute
        if holder is None and "holder" not in errors:
            errors["holder"] = [ValidationError("출원인(보유 기관)이 없습니다.", code="required")]
        elif holder is not None and self.allowed is not None and holder not in self.allowed:
            errors.setdefault("holder", []).append(
                ValidationError("이 기관의 기술을 등록할 권한이 없습니다.", code="forbidden")
            )
        if "ksic" in raw and raw["ksic"]:
            code = raw["ksic"].strip().upper()
            if self.ksic_codes is not None and code not in self.ksic_codes:
                errors["ksic"] = [ValidationError("없는 표준산업분류 코드입니다.", code="ksic")]
            values["ksic_id"] = code
        if errors:
            raise ValidationError(errors)
        values["holder_id"] = holder
        return values

    def model_fields(self) -> list[str]:
        return [
            "holder_id" if f == "holder" else f
            for f in (
                *services.TECHNOLOGY_FIELDS,
                "ksic_id",
            )
            if f not in ("ksic",)
        ]

    def may_write_existing(self, obj: Any) -> bool:
        return self.allowed is None or obj.holder_id in self.allowed

    def attach(self, obj: Any) -> None:
        obj.holder = self.institutes.orgs[obj.holder_id]

    def after_write(self, objects: list[Any]) -> None:
        through = Technology.inventors.through
        links = []
        for tech in objects:
            for name in re.split(r"[,|;]+", tech.inventor_names or ""):
                expert = self.experts.get((tech.holder_id, name.strip()))
                if expert:
                    links.append(through(technology_id=tech.pk, expert_id=expert))
        if links:
            through.objects.bulk_create(links, ignore_conflicts=True)


class EquipmentImporter(_Importer):
    kind = "equipment"
    search_kind = EQUIPMENT
    model = Equipment
    key = "nfec_number"
    fields = EQUIPMENT_FIELDS
    aliases = EQUIPMENT_HEADERS
    required = ("nfec_number", "name")
    normalise_key = staticmethod(normalize_nfec_number)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if "institute" not in self.columns.index and self.default_institute is None:
            raise ImportFileError(
                "no institute (보유기관) column: name the institute with --institute"
            )
        roles = access.roles_of(self.actor) if self.actor is not None else None
        self.allowed: set[int] | None = (
            None if roles is None or roles.is_staff else access.institute_ids(roles)
        )

    def clean(self, raw: dict[str, str]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        errors: dict[str, list[ValidationError]] = {}
        for name, value in raw.items():
            if name == "institute" or (not value and name in EQUIPMENT_KEEP_WHEN_BLANK):
                continue
            if name == "acquired_on":
                try:
                    data[name] = parse_date(value)
                except ValidationError as exc:
                    errors[name] = [exc]
            elif name == "sharing":
                data[name] = sharing_scope(value)
            elif name == "status":
                data[name] = equipment_status(value)
            else:
                data[name] = value
        try:
            values = services.clean_equipment_data(data)
        except ValidationError as exc:
            values = {}
            for name, messages in exc.error_dict.items():
                errors.setdefault(name, []).extend(messages)
        if "manager_email" in values and values["manager_email"]:
            from django.core.validators import validate_email

            try:
                validate_email(values["manager_email"])
            except ValidationError:
                errors["manager_email"] = [
                    ValidationError("이메일 형식이 올바르지 않습니다.", code="email")
                ]
        institute = None
        if raw.get("institute"):
            institute = self.institutes.find(raw["institute"])
            if institute is None and self.default_institute is None:
                errors.setdefault("institute", []).append(
                    ValidationError(
                        f"등록된 출연연구기관이 아닙니다: {raw['institute'][:60]}",
                        code="institute_unknown",
                    )
                )
        institute = institute or self.default_institute
        if institute is None and "institute" not in errors:
            errors["institute"] = [ValidationError("보유 기관이 없습니다.", code="required")]
        elif institute is not None and self.allowed is not None and institute not in self.allowed:
            errors.setdefault("institute", []).append(
                ValidationError("이 기관의 장비를 등록할 권한이 없습니다.", code="forbidden")
            )
        if errors:
            raise ValidationError(errors)
        values["institute_id"] = institute
        return values

    def model_fields(self) -> list[str]:
        return [
            "institute_id" if f == "institute" else f
            for f in services.EQUIPMENT_FIELDS
            if f != "sido"
        ]

    def may_write_existing(self, obj: Any) -> bool:
        return self.allowed is None or obj.institute_id in self.allowed

    def attach(self, obj: Any) -> None:
        obj.institute = self.institutes.orgs[obj.institute_id]


IMPORTERS: dict[str, type[_Importer]] = {
    "technologies": TechnologyImporter,
    "equipment": EquipmentImporter,
}


def import_file(
    *,
    kind: str,
    path: str | Path,
    actor: Any = None,
    mapping: list[str] | None = None,
    skip_invalid: bool = False,
    default_institute: str = "",
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV/XLSX file of ``kind`` ("technologies" or "equipment"). ``actor=None`` is
    the system (the command line); a user may import only for institutes they act for."""
    if actor is not None and not access.can_create_in_techbank(actor):
        raise PermissionDenied
    importer = IMPORTERS[kind](
        path=path,
        actor=actor,
        mapping=mapping,
        skip_invalid=skip_invalid,
        default_institute=default_institute,
        progress=progress,
    )
    return importer.run()


def report_csv(report: ImportReport) -> str:
    """The validation report as CSV text (row, column, problem)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "column", "problem"])
    for error in report.errors:
        writer.writerow([error.row, error.column, error.message])
    return out.getvalue()
