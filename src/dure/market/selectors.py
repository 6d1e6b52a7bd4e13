"""Read queries of the marketplace."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from .models import SellerProfile, SubOrder, SupplierProfile, SupplierStatus, TaxType

# The council's first-year targets (issue 6): 50 suppliers and 20 sellers.
TARGETS = {"suppliers": 50, "sellers": 20}


def tax_invoice_data(suborder: SubOrder) -> dict[str, Any]:
    """What an electronic tax invoice (전자세금계산서) for one sub-order needs: the supplier
    (공급자) and, for a business buyer, the buyer (공급받는자) registration numbers, the date and
    the items with supply value and VAT net of refunds. Issuing it through a certified
    provider (e.g. the National Tax Service's e-Sero or an ASP) is an extension point: feed
    this dict to the provider's API. 면세 items belong on a 계산서, listed under ``exempt``."""
    order = suborder.order
    buyer_org = order.buyer_organisation
    items: list[dict[str, Any]] = []
    exempt: list[dict[str, Any]] = []
    from dure.ledger import money

    for line in suborder.lines.all():
        remaining_qty = line.quantity - line.refunded_quantity
        if remaining_qty <= 0:
            continue
        total = line.line_total - line.refunded_amount
        supply, vat = money.vat_split(total, line.tax_type)
        item = {
            "name": line.product_name,
            "quantity": remaining_qty,
            "unit_price": line.unit_price,
            "supply_amount": supply,
            "vat_amount": vat,
            "total": total,
            "tax_type": line.tax_type,
        }
        (items if line.tax_type != TaxType.EXEMPT else exempt).append(item)
    return {
        "supplier": {
            "name": suborder.supplier.organisation.name,
            "business_number": suborder.supplier.business_number,
        },
        "buyer": {
            "name": buyer_org.name if buyer_org else str(order.buyer),
            "business_number": (buyer_org.business_number or "") if buyer_org else "",
        },
        "issue_date": (suborder.paid_at or order.created_at).date().isoformat(),
        "reference": str(suborder),
        "items": items,
        "exempt": exempt,
        "supply_total": sum(i["supply_amount"] for i in items),
        "vat_total": sum(i["vat_amount"] for i in items),
        "exempt_total": sum(i["total"] for i in exempt),
    }


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
    for 사회적경제기업 제품 우선구매 (priority purchase)."""
    from django.db.models import F, Sum

    rows = (
        SubOrder.objects.filter(
            order__buyer_organisation_id=organisation_id,
            paid_at__year=year,
        )
        .values("supplier__economy_type", "supplier__organisation__name")
        .annotate(amount=Sum(F("total") - F("refunded")))
        .order_by("supplier__economy_type", "supplier__organisation__name")
    )
    by_type: dict[str, int] = {}
    suppliers = []
    for row in rows:
        by_type[row["supplier__economy_type"]] = (
            by_type.get(row["supplier__economy_type"], 0) + row["amount"]
        )
        suppliers.append(
            {
                "supplier": row["supplier__organisation__name"],
                "economy_type": row["supplier__economy_type"],
                "amount": row["amount"],
            }
        )
    return {
        "year": year,
        "total": sum(by_type.values()),
        "by_type": by_type,
        "suppliers": suppliers,
    }
