"""Tables as downloads: CSV (UTF-8 with a BOM, so that Excel reads Korean) or XLSX.

Every report, statistics table and invoice the pages offer goes through ``table_response``, so
each cell is made safe the same way: text that a spreadsheet would run as a formula
(``=HYPERLINK(…)`` in a product name or an SME's case title) is quoted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def cell(value: Any) -> Any:
    """A value fit for a spreadsheet: numbers as numbers, yes/no in words, nothing as an empty
    cell, and text a spreadsheet would run as a formula quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("예") if value else _("아니요")
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def table_response(
    rows: Iterable[Sequence[Any]], *, filename: str, fmt: str, sheet: str = ""
) -> HttpResponse:
    """``rows`` (header rows included) as ``filename``.csv or .xlsx (``fmt``; anything else is
    a ValueError). Downloads are private: never kept by a shared cache."""
    if fmt == "csv":
        text = io.StringIO()
        text.write("\ufeff")
        writer = csv.writer(text)
        for row in rows:
            writer.writerow([cell(v) for v in row])
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook  # only the exports need it

        book = Workbook(write_only=True)
        worksheet = book.create_sheet(
            (sheet or filename).translate(_SHEET_TITLE_FORBIDDEN)[:31] or "Sheet"
        )
        for row in rows:
            worksheet.append([cell(v) for v in row])
        data = io.BytesIO()
        book.save(data)
        response = HttpResponse(data.getvalue(), content_type=XLSX)
    else:
        raise ValueError(f"unknown table format: {fmt!r}")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response
