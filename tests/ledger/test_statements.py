"""Statements: opening + lines = closing with a running balance; PDF and XLSX exports."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from dure.ledger import services
from dure.ledger.services import LedgerError

from .conftest import seoul

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(books):
    p = books.supplier_payable
    post = services.post
    post(
        lines=[(books.clearing, 10_000), (p, -10_000)],
        memo="2월 주문",
        occurred_at=seoul(2091, 2, 27),
    )
    sale = post(
        lines=[(books.clearing, 33_000), (p, -33_000)],
        memo="3월 주문",
        reference="order:7",
        occurred_at=seoul(2091, 3, 1, 0, 0),  # the first instant of the period
    )
    services.reverse(sale, memo="부분 환불 전 전액 취소", occurred_at=seoul(2091, 3, 10, 12))
    post(
        lines=[(books.clearing, 5_500), (p, -5_500)],
        memo="재주문",
        reference="order:8",
        occurred_at=seoul(2091, 3, 31, 23, 59, 59),  # the last second of the period
    )
    post(lines=[(books.clearing, 999), (p, -999)], memo="4월 주문", occurred_at=seoul(2091, 4, 1))
    return services.statement(p, start=dt.date(2091, 3, 1), end=dt.date(2091, 3, 31))


def test_statement_opening_running_and_closing_add_up(books, march):
    assert march.opening == 10_000
    assert [(line.memo, line.amount, line.running) for line in march.lines] == [
        ("3월 주문", 33_000, 43_000),
        ("부분 환불 전 전액 취소", -33_000, 10_000),
        ("재주문", 5_500, 15_500),
    ]
    assert march.closing == march.opening + sum(line.amount for line in march.lines) == 15_500
    assert march.increases == 38_500 and march.decreases == -33_000
    assert march.lines[0].reference == "order:7"
    end = services.end_of_day(dt.date(2091, 3, 31))
    assert march.closing == services.owed(books.supplier_payable, at=end)
    # the next period opens where this one closed
    april = services.statement(
        books.supplier_payable, start=dt.date(2091, 4, 1), end=dt.date(2091, 4, 30)
    )
    assert april.opening == march.closing and april.closing == 16_499


def test_asset_accounts_read_debit_positive(books, march):
    clearing = services.statement(
        books.clearing, start=dt.date(2091, 3, 1), end=dt.date(2091, 3, 31)
    )
    assert clearing.opening >= 10_000  # debit-positive
    assert [line.amount for line in clearing.lines] == [33_000, -33_000, 5_500]


def test_statement_refuses_a_reversed_period(books):
    with pytest.raises(LedgerError) as info:
        services.statement(books.clearing, start=dt.date(2091, 3, 2), end=dt.date(2091, 3, 1))
    assert info.value.code == "period_invalid"


def test_pdf_is_a_pdf_with_korean_text_in_the_korean_font(march):
    pdf = services.statement_pdf(march, title="3월 정산 명세서", party_name="우리밀협동조합")
    assert pdf.startswith(b"%PDF")
    cmaps = b"".join(_inflated_streams(pdf))
    assert b"NotoSansCJK" in cmaps  # the Korean font is embedded, not a fallback
    # The text layer maps glyphs back to Unicode: Hangul code points of the title are there.
    for char in "정산명세서우리밀":
        assert f"<{ord(char):04x}>".encode() in cmaps.lower(), char


def _inflated_streams(pdf: bytes):
    import zlib

    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            yield zlib.decompress(match.group(1))
        except zlib.error:
            continue


def test_xlsx_opens_with_integer_won_amounts(march):
    from openpyxl import load_workbook

    data = services.statement_xlsx(march, title="3월 정산 명세서", party_name="우리밀협동조합")
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
    assert rows[0][0] == "3월 정산 명세서"
    assert rows[1][:2] == ("상대방", "우리밀협동조합")
    header = rows.index(("일시", "적요", "참조", "금액", "잔액"))
    body = rows[header + 1 : header + 1 + len(march.lines)]
    assert [(r[1], r[3], r[4]) for r in body] == [
        (line.memo, line.amount, line.running) for line in march.lines
    ]
    assert all(type(r[3]) is int and type(r[4]) is int for r in body)
    assert body[0][0] == dt.datetime(2091, 3, 1, 0, 0)  # noqa: DTZ001 - Excel has no zones
    assert rows[-1][0] == "기말 잔액" and rows[-1][4] == march.closing
    amount_cell = sheet.cell(row=header + 2, column=4)
    assert "원" in amount_cell.number_format
