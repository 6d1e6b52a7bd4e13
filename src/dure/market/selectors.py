"""Read queries of the marketplace."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from .models import (
    PurchaseOrder,
    SellerProfile,
    SubOrder,
    SupplierProfile,
    SupplierStatus,
    TaxType,
)

# The council's first-year targets (issue 6): 50 suppliers and 20 sellers.
TARGETS = {"suppliers": 50, "sellers": 20}


def _invoice_item(
    *, name: str, quantity: int, unit_price: int, supply: int, vat: int, tax_type: str
) -> dict[str, Any]:
    return {
        "name": name,
        "quantity": quantity,
        "unit_price": unit_price,
        "supply_amount": supply,
        "vat_amount": vat,
        "total": supply + vat,
        "tax_type": tax_type,
    }


def _invoice(
    *,
    supplier: dict[str, str],
    buyer: dict[str, str],
    issue_date: str,
    reference: str,
    lines: list[dict[str, Any]],
) -> dict[str, Any]:
    """The tax-invoice dict: 과세·영세 items on the 세금계산서 (``items``), 면세 items on a 계산서
    (``exempt``), with the totals of each."""
    items = [i for i in lines if i["tax_type"] != TaxType.EXEMPT]
    exempt = [i for i in lines if i["tax_type"] == TaxType.EXEMPT]
    return {
        "supplier": supplier,
        "buyer": buyer,
        "issue_date": issue_date,
        "reference": reference,
        "items": items,
        "exempt": exempt,
        "supply_total": sum(i["supply_amount"] for i in items),
        "vat_total": sum(i["vat_amount"] for i in items),
        "exempt_total": sum(i["total"] for i in exempt),
    }


def tax_invoice_data(suborder: SubOrder) -> dict[str, Any]:
    """What an electronic tax invoice (전자세금계산서) for one sub-order needs: the supplier
    (공급자) and, for a business buyer, the buyer (공급받는자) registration numbers, the date and
    the items with supply value and VAT net of refunds. Issuing it through a certified
    provider (e.g. the National Tax Service's e-Sero or an ASP) is an extension point: feed
    this dict to the provider's API. 면세 items belong on a 계산서, listed under ``exempt``."""
    order = suborder.order
    buyer_org = order.buyer_organisation
    from dure.ledger import money

    lines: list[dict[str, Any]] = []
    for line in suborder.lines.all():
        remaining_qty = line.quantity - line.refunded_quantity
        if remaining_qty <= 0:
            continue
        total = line.line_total - line.refunded_amount
        supply, vat = money.vat_split(total, line.tax_type)
        lines.append(
            _invoice_item(
                name=line.product_name,
                quantity=remaining_qty,
                unit_price=line.unit_price,
                supply=supply,
                vat=vat,
                tax_type=line.tax_type,
            )
        )
    return _invoice(
        supplier={
            "name": suborder.supplier.organisation.name,
            "business_number": suborder.supplier.business_number,
        },
        buyer={
            "name": buyer_org.name if buyer_org else str(order.buyer),
            "business_number": (buyer_org.business_number or "") if buyer_org else "",
        },
        issue_date=timezone.localdate(suborder.paid_at or order.created_at).isoformat(),
        reference=str(suborder),
        lines=lines,
    )


def purchase_order_tax_invoice_data(po: PurchaseOrder) -> dict[str, Any]:
    """The same data as ``tax_invoice_data`` for a purchase order: the supplier (공급자) issues
    the 세금계산서 to the institution (공급받는자). The lines carry the supply value and VAT
    frozen at the award (so supply + VAT = the PO's totals); 면세 lines go under ``exempt``.
    The date is the day (Asia/Seoul) the supplier marked it invoiced, else delivered, else
    the PO's issue day."""
    from django.utils import timezone

    when = po.invoiced_at or po.delivered_at or po.issued_at
    lines = [
        _invoice_item(
            name=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            supply=line.supply_amount,
            vat=line.vat_amount,
            tax_type=line.tax_type,
        )
        for line in po.lines.all()
    ]
    return _invoice(
        supplier={
            "name": po.supplier.organisation.name,
            "business_number": po.supplier.business_number,
        },
        buyer={
            "name": po.buyer_organisation.name,
            "business_number": po.buyer_organisation.business_number or "",
        },
        issue_date=timezone.localdate(when).isoformat(),
        reference=f"{po.number} {po.request.title}",
        lines=lines,
    )


def participant_counts() -> dict[str, dict[str, int]]:
    """Participants against the yearly targets (the operator's dashboard)."""
    suppliers = SupplierProfile.objects.aggregate(
        approved=Count("pk", filter=Q(status=SupplierStatus.APPROVED)),
        pending=Count(
            "pk", filter=~Q(status__in=[SupplierStatus.APPROVED, SupplierStatus.REJECTED])
        ),
    )
    sellers = SellerProfile.objects.filter(active=True).count()
    return {
        "suppliers": {
            "count": suppliers["approved"],
            "pending": suppliers["pending"],
            "target": TARGETS["suppliers"],
        },
        "sellers": {"count": sellers, "pending": 0, "target": TARGETS["sellers"]},
    }


def priority_purchase_report(*, organisation_id: int, year: int) -> dict[str, Any]:
    """Purchases by one (public) organisation from social-economy suppliers in a year, net of
    refunds, per social-economy type and per supplier — the figures an institution reports
    for 사회적경제기업 제품 우선구매 (priority purchase).

    Two sources: marketplace orders (paid in the year, net of refunds) and purchase orders from
    awarded quotations (issued in the year, Asia/Seoul, not cancelled — the contract date).
    ``orders_total`` and ``purchase_orders_total`` give each source's share of ``total``."""
    from django.db.models import F, Sum

    from .models import PurchaseOrder, PurchaseOrderStatus

    order_rows = (
        SubOrder.objects.filter(
            order__buyer_organisation_id=organisation_id,
            paid_at__year=year,
        )
        .values("supplier__economy_type", "supplier__organisation__name")
        .annotate(amount=Sum(F("total") - F("refunded")))
        .order_by()
    )
    po_rows = (
        PurchaseOrder.objects.filter(buyer_organisation_id=organisation_id, issued_at__year=year)
        .exclude(status=PurchaseOrderStatus.CANCELLED)
        .values("supplier__economy_type", "supplier__organisation__name")
        .annotate(amount=Sum("total"))
        .order_by()
    )
    amounts: dict[tuple[str, str], int] = {}
    source_totals = {"orders": 0, "purchase_orders": 0}
    for source, rows in (("orders", order_rows), ("purchase_orders", po_rows)):
        for row in rows:
            key = (row["supplier__economy_type"], row["supplier__organisation__name"])
            amounts[key] = amounts.get(key, 0) + row["amount"]
            source_totals[source] += row["amount"]
    by_type: dict[str, int] = {}
    suppliers = []
    for (economy_type, name), amount in sorted(amounts.items()):
        by_type[economy_type] = by_type.get(economy_type, 0) + amount
        suppliers.append({"supplier": name, "economy_type": economy_type, "amount": amount})
    return {
        "year": year,
        "total": sum(by_type.values()),
        "by_type": by_type,
        "suppliers": suppliers,
        "orders_total": source_totals["orders"],
        "purchase_orders_total": source_totals["purchase_orders"],
    }


# --- self-service lists (the API's; the pages build the same querysets) ------------------------


def approved_suppliers_for(user: Any) -> Any:
    """The approved suppliers whose products ``user`` may add: their own (all, for the
    operator)."""
    from . import access

    qs = SupplierProfile.objects.all() if access.is_operator(user) else access.suppliers_of(user)
    return qs.filter(status=SupplierStatus.APPROVED).select_related("organisation")


def managed_products(user: Any) -> Any:
    """The products ``user`` manages, inactive ones too (every product, for the operator)."""
    from . import access
    from .models import Product

    qs = (
        Product.objects.all()
        if access.is_operator(user)
        else Product.objects.filter(supplier__in=access.suppliers_of(user))
    )
    return qs.select_related("supplier__organisation", "category").order_by(
        "supplier__organisation__name", "name", "pk"
    )


def supplier_suborders(user: Any) -> Any:
    """Sub-orders to fulfil (paid or later) of the user's suppliers (all, for the operator)."""
    from . import access
    from .models import SubOrderStatus

    return (
        access.suborders_visible_to(user)
        .exclude(status=SubOrderStatus.PLACED)
        .select_related("order", "supplier__organisation")
        .prefetch_related("lines")
        .order_by("-pk")
    )


def supplier_refunds(user: Any, status: str = "") -> Any:
    """Refunds on the user's suppliers' sub-orders (all, for the operator)."""
    from . import access
    from .models import Refund

    qs = Refund.objects.filter(suborder__in=access.suborders_visible_to(user))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("suborder__order").order_by("pk")


def payments_waiting() -> Any:
    """Orders waiting for their deposit or invoice payment (the operator's list)."""
    from .models import Order, OrderStatus

    return (
        Order.objects.filter(status=OrderStatus.PLACED)
        .select_related("payment", "buyer", "buyer_organisation")
        .order_by("pk")
    )
