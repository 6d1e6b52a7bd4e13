"""Statement documents: PDF (WeasyPrint, Korean font) and XLSX (openpyxl, integer 원)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .services import Statement

SEOUL = ZoneInfo("Asia/Seoul")
WON_FORMAT = '#,##0"원";-#,##0"원"'


def render_pdf(stmt: Statement, *, title: str, party_name: str) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "ledger/statement_pdf.html",
        {
            "statement": stmt,
            "title": title,
            "party_name": party_name,
            "lines": [
                (timezone.localtime(line.occurred_at, SEOUL), *line[1:]) for line in stmt.lines
            ],
            "generated_at": timezone.localtime(timezone.now(), SEOUL),
        },
    )
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def render_xlsx(stmt: Statement, *, title: str, party_name: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("거래명세")[:31]
    bold = Font(bold=True)
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("상대방"), party_name])
    sheet.append([_("계정"), str(stmt.account)])
    sheet.append([_("기간"), f"{stmt.start.isoformat()} ~ {stmt.end.isoformat()}"])
    sheet.append([])
    sheet.append([_("기초 잔액"), None, None, None, stmt.opening])
    header = [_("일시"), _("적요"), _("참조"), _("금액"), _("잔액")]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    first_line_row = sheet.max_row + 1
    for line in stmt.lines:
        local = timezone.localtime(line.occurred_at, SEOUL).replace(tzinfo=None)
        sheet.append([local, line.memo, line.reference, line.amount, line.running])
        sheet.cell(row=sheet.max_row, column=1).number_format = "yyyy-mm-dd hh:mm"
    sheet.append([_("기말 잔액"), None, None, None, stmt.closing])
    for row in sheet.iter_rows(min_row=6, max_row=sheet.max_row, min_col=4, max_col=5):
        for cell in row:
            if isinstance(cell.value, int):
                cell.number_format = WON_FORMAT
    sheet.cell(row=6, column=1).font = bold
    sheet.cell(row=sheet.max_row, column=1).font = bold
    for column, width in zip("ABCDE", (18, 40, 22, 16, 16), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = sheet.cell(row=first_line_row, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
