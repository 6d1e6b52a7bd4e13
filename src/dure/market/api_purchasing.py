"""Public-purchasing API (/api/v1/market/quotation-requests, /api/v1/market/purchase-orders):
quotation requests from public institutions, suppliers' quotes, the award and the purchase
order's steps — with the same permissions as the pages. Something the caller may not see is a
404, something they may see but not do a 403 (e.g. the operator awarding, a supplier sending),
a refused state change a 409 (``bad_transition``, ``deadline_passed``, ``deadline_not_passed``,
``already_awarded``, ``quote_expired``), bad input a 422 with the service's code. Prices and
totals are always computed on the server; a client's totals are not read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from dure.api.auth import WRITE_AUTH
from dure.api.errors import ApiError
from dure.api.schemas import error_responses
from dure.directory.models import Organisation

from . import access, services
from .models import PurchaseOrder, QuotationRequest, QuotationStatus, Quote

router = Router(tags=["market"])

WRITE = {"auth": WRITE_AUTH}
CONFLICT_CODES = frozenset(
    {
        "bad_transition",
        "deadline_passed",
        "deadline_not_passed",
        "already_awarded",
        "quote_expired",
    }
)
FORBIDDEN_CODES = frozenset({"forbidden", "not_invited"})


@contextmanager
def _service_errors() -> Iterator[None]:
    try:
        yield
    except services.MarketError as exc:
        if exc.code in FORBIDDEN_CODES:
            raise PermissionDenied from exc
        if exc.code in CONFLICT_CODES:
            raise ApiError(409, exc.code, " ".join(exc.messages), exc.field) from exc
        raise


# --- schemas ------------------------------------------------------------------------------------


class RequestLineIn(Schema):
    product_id: int | None = Field(None, gt=0, lt=2**63, description="카탈로그 상품 (선택)")
    description: str = Field("", max_length=200, description="품목 (상품이 없으면 필수)")
    quantity: int = Field(..., ge=1, le=services.MAX_QUANTITY)
    unit: str = Field("", max_length=20)


class QuotationRequestIn(Schema):
    organisation_id: int = Field(..., gt=0, lt=2**63, description="요청 기관 (공공기관)")
    title: str = Field(..., min_length=1, max_length=150)
    description: str = Field("", max_length=5000)
    delivery_place: str = Field(..., min_length=1, max_length=200)
    needed_by: dt.date
    reply_deadline: dt.datetime = Field(..., description="시간대가 없으면 한국 시간")
    lines: list[RequestLineIn] = Field(..., min_length=1, max_length=services.MAX_REQUEST_LINES)
    supplier_ids: list[int] = Field(
        default_factory=list, max_length=services.MAX_INVITED, description="지정 입점사"
    )
    open_to_all: bool = Field(False, description="분야의 모든 승인 입점사에 공개")
    division: str = Field("", max_length=20)
    category_id: int | None = Field(None, gt=0, lt=2**63)
    send: bool = Field(False, description="true면 바로 보냅니다 (아니면 임시 저장)")


class RequestLineOut(Schema):
    id: int
    position: int
    product_id: int | None
    description: str
    quantity: int
    unit: str


class QuoteLineOut(Schema):
    request_line_id: int
    unit_price: int
    tax_type: str
    quantity: int
    line_total: int


class QuoteOut(Schema):
    id: int
    request_id: int
    supplier_id: int
    supplier: str = Field(..., alias="supplier.organisation.name")
    revision: int
    status: str
    delivery_date: dt.date
    valid_until: dt.date
    note: str
    total: int
    submitted_at: dt.datetime
    lines: list[QuoteLineOut]


class QuotationRequestOut(Schema):
    id: int
    number: str
    organisation_id: int
    organisation: str
    title: str
    description: str
    delivery_place: str
    needed_by: dt.date
    reply_deadline: dt.datetime
    status: str
    open_to_all: bool
    division: str
    category_id: int | None
    supplier_ids: list[int] = Field(..., description="지정 입점사 (기관과 운영자에게만)")
    lines: list[RequestLineOut]
    quote_count: int
    quotes_revealed: bool
    quotes: list[QuoteOut] = Field(
        ..., description="공개 후 기관·운영자에게는 모든 견적, 입점사에게는 자기 견적"
    )
    purchase_order_id: int | None


class QuoteLineIn(Schema):
    line_id: int = Field(..., gt=0, lt=2**63)
    unit_price: int = Field(..., ge=0, lt=10**12, description="단가 (원, 부가세 포함)")
    tax_type: Literal["taxable", "exempt", "zero_rated"]


class QuoteIn(Schema):
    supplier_id: int | None = Field(None, gt=0, lt=2**63, description="입점사가 여럿일 때")
    lines: list[QuoteLineIn] = Field(..., min_length=1, max_length=services.MAX_REQUEST_LINES)
    delivery_date: dt.date
    valid_until: dt.date
    note: str = Field("", max_length=3000)


class AwardIn(Schema):
    quote_id: int = Field(..., gt=0, lt=2**63)


class POLineOut(Schema):
    product_id: int | None
    description: str
    unit: str
    unit_price: int
    tax_type: str
    quantity: int
    line_total: int
    supply_amount: int
    vat_amount: int


class PurchaseOrderOut(Schema):
    id: int
    number: str
    request_id: int
    quote_id: int
    organisation_id: int = Field(..., alias="buyer_organisation_id")
    organisation: str = Field(..., alias="buyer_organisation.name")
    supplier_id: int
    supplier: str = Field(..., alias="supplier.organisation.name")
    status: str
    total: int
    supply_total: int
    vat_total: int
    delivery_place: str
    delivery_date: dt.date
    issued_at: dt.datetime
    accepted_at: dt.datetime | None
    delivered_at: dt.datetime | None
    invoiced_at: dt.datetime | None
    paid_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    lines: list[POLineOut]


class TransitionIn(Schema):
    action: Literal["accept", "deliver", "invoice", "pay", "cancel"] = Field(
        ...,
        description="accept·deliver·invoice: 입점사 (deliver는 기관도), pay·cancel: 기관",
    )


def _revealed(item: QuotationRequest) -> bool:
    return item.status != QuotationStatus.OPEN or timezone.now() >= item.reply_deadline


def _request_out(user: Any, item: QuotationRequest) -> dict[str, Any]:
    quotes = item.quotes.select_related("supplier__organisation").prefetch_related("lines")
    revealed = _revealed(item)
    owner = access.is_operator(user) or item.buyer_organisation_id in access.institution_ids(user)
    sees_all = revealed and owner
    if not sees_all:
        quotes = quotes.filter(supplier__organisation_id__in=access.supplier_organisation_ids(user))
    po = PurchaseOrder.objects.filter(request=item).values_list("pk", flat=True).first()
    return {
        "id": item.pk,
        "number": item.number,
        "organisation_id": item.buyer_organisation_id,
        "organisation": item.buyer_organisation.name,
        "title": item.title,
        "description": item.description,
        "delivery_place": item.delivery_place,
        "needed_by": item.needed_by,
        "reply_deadline": item.reply_deadline,
        "status": item.status,
        "open_to_all": item.open_to_all,
        "division": item.division,
        "category_id": item.category_id,
        # competitors are not told who else was invited
        "supplier_ids": sorted(item.suppliers.values_list("pk", flat=True)) if owner else [],
        "lines": list(item.lines.all()),
        "quote_count": item.quotes.count(),
        "quotes_revealed": revealed,
        "quotes": list(quotes),
        "purchase_order_id": po,
    }


def _po(pk: int) -> PurchaseOrder:
    return (
        PurchaseOrder.objects.select_related("buyer_organisation", "supplier__organisation")
        .prefetch_related("lines")
        .get(pk=pk)
    )


# --- quotation requests -------------------------------------------------------------------------


@router.get(
    "/quotation-requests",
    response={200: list[QuotationRequestOut], **error_responses(401)},
    **WRITE,
)
def list_quotation_requests(request: HttpRequest) -> list:
    """내가 볼 수 있는 견적요청 (기관: 자기 기관의 요청, 입점사: 받은 요청, 운영자: 전체; 최근 100건)."""
    rows = (
        access.quotation_requests_visible_to(request.user)
        .select_related("buyer_organisation")
        .order_by("-created_at", "-pk")[:100]
    )
    return [_request_out(request.user, r) for r in rows]


@router.post(
    "/quotation-requests",
    response={201: QuotationRequestOut, **error_responses(401, 403, 409, 422)},
    **WRITE,
)
def create_quotation_request(request: HttpRequest, payload: QuotationRequestIn) -> Status:
    """견적요청 작성 (공공기관의 구매 담당자). `send: true`면 바로 보냅니다."""
    org = Organisation.objects.filter(pk=payload.organisation_id).first()
    if org is None or org.pk not in access.institution_ids(request.user):
        raise PermissionDenied
    with _service_errors():
        item = services.quotation_request_create(
            actor=request.user,
            organisation=org,
            title=payload.title,
            description=payload.description,
            delivery_place=payload.delivery_place,
            needed_by=payload.needed_by,
            reply_deadline=payload.reply_deadline,
            lines=[line.dict() for line in payload.lines],
            supplier_ids=payload.supplier_ids,
            open_to_all=payload.open_to_all,
            division=payload.division,
            category_id=payload.category_id,
            send=payload.send,
        )
    return Status(201, _request_out(request.user, item))


@router.get(
    "/quotation-requests/{id}",
    response={200: QuotationRequestOut, **error_responses(401, 404)},
    **WRITE,
)
def get_quotation_request(request: HttpRequest, id: int) -> dict:
    """견적요청 하나. 견적은 마감 일시가 지나거나 접수를 마감하면 기관에 공개됩니다."""
    item = access.access_quotation_request(user=request.user, request_id=id)
    return _request_out(request.user, item)


def _request_step(request: HttpRequest, id: int, step: Any) -> dict:
    item = access.access_quotation_request(user=request.user, request_id=id)
    with _service_errors():
        step(actor=request.user, request=item)
    item.refresh_from_db()
    return _request_out(request.user, item)


@router.post(
    "/quotation-requests/{id}/send",
    response={200: QuotationRequestOut, **error_responses(401, 403, 404, 409, 422)},
    **WRITE,
)
def send_quotation_request(request: HttpRequest, id: int) -> dict:
    """임시 저장한 견적요청을 보냅니다 (요청 기관)."""
    return _request_step(request, id, services.quotation_request_send)


@router.post(
    "/quotation-requests/{id}/close",
    response={200: QuotationRequestOut, **error_responses(401, 403, 404, 409)},
    **WRITE,
)
def close_quotation_request(request: HttpRequest, id: int) -> dict:
    """견적 접수 마감 (요청 기관; 마감 일시 전에도). 그다음 견적을 선정할 수 있습니다."""
    return _request_step(request, id, services.quotation_request_close)


@router.post(
    "/quotation-requests/{id}/cancel",
    response={200: QuotationRequestOut, **error_responses(401, 403, 404, 409)},
    **WRITE,
)
def cancel_quotation_request(request: HttpRequest, id: int) -> dict:
    """견적요청 취소 (요청 기관; 낙찰 전)."""
    return _request_step(request, id, services.quotation_request_cancel)


@router.put(
    "/quotation-requests/{id}/quote",
    response={200: QuoteOut, 201: QuoteOut, **error_responses(401, 403, 404, 409, 422)},
    **WRITE,
)
def submit_quote(request: HttpRequest, id: int, payload: QuoteIn) -> Status:
    """견적 제출·수정 (초대받았거나 분야가 맞는 승인 입점사, 마감 전). 같은 입점사의 견적은
    하나이며 다시 보내면 새 차수로 바뀝니다 (201: 처음, 200: 수정). 합계는 서버가 계산합니다."""
    item = access.access_quotation_request(user=request.user, request_id=id)
    mine = access.suppliers_of(request.user)
    if payload.supplier_id is not None:
        supplier = mine.filter(pk=payload.supplier_id).first()
    else:
        supplier = (access.quoting_suppliers(request.user, item) or [None])[0] or mine.first()
    if supplier is None:
        raise PermissionDenied
    existed = Quote.objects.filter(request=item, supplier=supplier).exists()
    with _service_errors():
        quote = services.quote_submit(
            actor=request.user,
            request=item,
            supplier=supplier,
            lines=[line.dict() for line in payload.lines],
            delivery_date=payload.delivery_date,
            valid_until=payload.valid_until,
            note=payload.note,
        )
    quote = (
        Quote.objects.select_related("supplier__organisation")
        .prefetch_related("lines")
        .get(pk=quote.pk)
    )
    return Status(200 if existed else 201, quote)


@router.post(
    "/quotation-requests/{id}/award",
    response={
        200: PurchaseOrderOut,
        201: PurchaseOrderOut,
        **error_responses(401, 403, 404, 409, 422),
    },
    **WRITE,
)
def award_quote(request: HttpRequest, id: int, payload: AwardIn) -> Status:
    """견적 선정과 발주서 발행 (요청 기관; 마감 후 또는 접수 마감 후). 같은 견적을 다시
    선정하면 같은 발주서를 200으로 돌려주고, 다른 견적이면 409 `already_awarded`입니다."""
    item = access.access_quotation_request(user=request.user, request_id=id)
    if item.buyer_organisation_id not in access.institution_ids(request.user):
        raise PermissionDenied
    quote = Quote.objects.filter(pk=payload.quote_id, request=item).first()
    if quote is None:
        raise ApiError(422, "unknown_quote", field="quote_id")
    existed = PurchaseOrder.objects.filter(request=item).exists()
    with _service_errors():
        po = services.quotation_award(actor=request.user, request=item, quote=quote)
    return Status(200 if existed else 201, _po(po.pk))


# --- purchase orders ----------------------------------------------------------------------------


@router.get(
    "/purchase-orders",
    response={200: list[PurchaseOrderOut], **error_responses(401)},
    **WRITE,
)
def list_purchase_orders(request: HttpRequest) -> list:
    """내 발주서 (기관: 발주한 것, 입점사: 받은 것, 운영자: 전체; 최근 100건)."""
    return list(
        access.purchase_orders_visible_to(request.user)
        .select_related("buyer_organisation", "supplier__organisation")
        .prefetch_related("lines")
        .order_by("-issued_at", "-pk")[:100]
    )


@router.get(
    "/purchase-orders/{id}",
    response={200: PurchaseOrderOut, **error_responses(401, 404)},
    **WRITE,
)
def get_purchase_order(request: HttpRequest, id: int) -> Any:
    """발주서 하나 (품목별 공급가액·부가세)."""
    return _po(access.access_purchase_order(user=request.user, po_id=id).pk)


@router.get(
    "/purchase-orders/{id}/tax-invoice",
    response={200: dict[str, Any], **error_responses(401, 404, 409)},
    **WRITE,
)
def get_purchase_order_tax_invoice(request: HttpRequest, id: int) -> dict:
    """전자세금계산서 발행에 필요한 자료 (입점사·기관·운영자; 발주서와 같은 형식의
    `/suborders/{id}/tax-invoice`): 공급자(입점사)·공급받는자(기관) 사업자등록번호, 품목별
    공급가액·부가세, 면세 품목은 `exempt`. 취소된 발주서는 409 `bad_transition`입니다."""
    from .models import PurchaseOrderStatus
    from .selectors import purchase_order_tax_invoice_data

    po = access.access_purchase_order(user=request.user, po_id=id)
    if po.status == PurchaseOrderStatus.CANCELLED:
        raise ApiError(
            409, "bad_transition", _("취소된 발주서에는 세금계산서를 발행하지 않습니다.")
        )
    return purchase_order_tax_invoice_data(po)


@router.post(
    "/purchase-orders/{id}/transitions",
    response={200: PurchaseOrderOut, **error_responses(401, 403, 404, 409, 422)},
    **WRITE,
)
def transition_purchase_order(request: HttpRequest, id: int, payload: TransitionIn) -> Any:
    """발주서 처리: 입점사의 수주 확인(accept)·납품(deliver)·세금계산서 발행(invoice), 기관의
    납품 확인(deliver)·대금 지급(pay)·취소(cancel, 납품 전). 같은 처리를 다시 보내면 그대로입니다."""
    po = access.access_purchase_order(user=request.user, po_id=id)
    with _service_errors():
        services.purchase_order_transition(actor=request.user, po=po, action=payload.action)
    return _po(po.pk)
