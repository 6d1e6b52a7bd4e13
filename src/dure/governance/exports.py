"""Exports: the member register (XLSX, PDF) and the minutes (PDF with a Korean font)."""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from dure.core.exports import XLSX
from dure.directory.models import Organisation

from . import selectors
from .models import Minutes


def _rows(organisation: Organisation, *, with_contacts: bool) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("번호"),
        _("성명·법인명"),
        _("구분"),
        _("이해관계자 유형"),
        _("가입일"),
        _("출자좌수"),
        _("우선출자좌수"),
        _("상태"),
        _("상태 변경일"),
        _("사유"),
    ]
    if with_contacts:
        header += [_("이메일"), _("전화"), _("주소")]
    rows = []
    for m in selectors.member_register(organisation):
        row: list[Any] = [
            m.number,
            m.name,
            m.get_kind_display(),
            m.get_stakeholder_type_display(),
            m.joined_on,
            m.common_shares,
            m.preferred_shares,
            m.get_status_display(),
            m.status_changed_on or "",
            m.status_reason,
        ]
        if with_contacts:
            row += [m.email, m.phone, m.address]
        rows.append(row)
    return header, rows


def _filename(organisation: Organisation, ext: str) -> str:
    return f"members-{organisation.pk}-{timezone.localdate():%Y%m%d}.{ext}"


def register_xlsx(organisation: Organisation, *, with_contacts: bool) -> HttpResponse:
    from openpyxl import Workbook

    header, rows = _rows(organisation, with_contacts=with_contacts)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("조합원 명부"))
    ws.append(header)
    for row in rows:
        ws.append([str(v) if not isinstance(v, int | str) else v for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_filename(organisation, "xlsx")}"'
    return response


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def register_pdf(
    request: HttpRequest, organisation: Organisation, *, with_contacts: bool
) -> HttpResponse:
    header, rows = _rows(organisation, with_contacts=with_contacts)
    html = render_to_string(
        "governance/pdf_register.html",
        {"coop": organisation, "header": header, "rows": rows, "today": timezone.localdate()},
        request=request,
    )
    response = HttpResponse(_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(organisation, "pdf")}"'
    return response


def minutes_pdf(request: HttpRequest, minutes: Minutes) -> HttpResponse:
    html = render_to_string(
        "governance/pdf_minutes.html",
        {
            "minutes": minutes,
            "assembly": minutes.assembly,
            "signatures": list(minutes.signatures.select_related("member").order_by("role")),
        },
        request=request,
    )
    response = HttpResponse(_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="minutes-{minutes.assembly_id}-v{minutes.version}.pdf"'
    )
    return response
