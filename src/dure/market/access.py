"""Who may see and do what in the marketplace. Deny by default; ``access_*`` helpers fetch and
check in one step and raise the same ``Http404`` for "missing" and "forbidden".

- The operator (the council): platform staff and people with the 마켓 운영자 role.
- A supplier's people: its organisation's representative/editors and 입점사 role holders.
- A buyer sees their own orders; a supplier sees its sub-orders; MC/CC see their statements.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from dure.directory.access import roles_of
from dure.directory.models import ORGANISATION_EDITOR_ROLES, Organisation, Role

from .models import (
    CreatorProfile,
    MarketDay,
    Order,
    Product,
    Refund,
    SellerProfile,
    SubOrder,
    SupplierProfile,
    SupplierStatus,
)


def _pk(value: Any) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise Http404 from exc
    if not 0 < pk < 2**63:
        raise Http404
    return pk


def is_operator(user: Any) -> bool:
    roles = roles_of(user)
    return roles.is_staff or roles.has_role(Role.MARKET_OPERATOR)


def supplier_organisation_ids(user: Any) -> set[int]:
    return roles_of(user).orgs_with(Role.MARKET_SUPPLIER, *ORGANISATION_EDITOR_ROLES)


def suppliers_of(user: Any) -> QuerySet[SupplierProfile]:
    """The supplier profiles ``user`` acts for (not necessarily approved)."""
    ids = supplier_organisation_ids(user)
    if not ids:
        return SupplierProfile.objects.none()
    return SupplierProfile.objects.filter(organisation_id__in=ids)


def sellers_of(user: Any) -> QuerySet[SellerProfile]:
    if not roles_of(user).authenticated:
        return SellerProfile.objects.none()
    return SellerProfile.objects.filter(user=user)


def creators_of(user: Any) -> QuerySet[CreatorProfile]:
    if not roles_of(user).authenticated:
        return CreatorProfile.objects.none()
    return CreatorProfile.objects.filter(user=user)


def products_visible_to(user: Any) -> QuerySet[Product]:
    """Active products of approved suppliers; a supplier also sees its own inactive ones."""
    visible = Q(active=True, supplier__status=SupplierStatus.APPROVED)
    if is_operator(user):
        return Product.objects.all()
    own = supplier_organisation_ids(user)
    if own:
        visible |= Q(supplier__organisation_id__in=own)
    return Product.objects.filter(visible)


def access_product(*, user: Any, product_id: Any, write: bool = False) -> Product:
    pk = _pk(product_id)
    qs = products_visible_to(user).select_related("supplier__organisation", "category")
    product = qs.filter(pk=pk).first()
    if product is None:
        raise Http404
    if write and not (
        is_operator(user) or product.supplier.organisation_id in supplier_organisation_ids(user)
    ):
        raise Http404
    return product


def orders_visible_to(user: Any) -> QuerySet[Order]:
    roles = roles_of(user)
    if not roles.authenticated:
        return Order.objects.none()
    if is_operator(user):
        return Order.objects.all()
    return Order.objects.filter(buyer=user)


def access_order(*, user: Any, order_id: Any) -> Order:
    order = orders_visible_to(user).filter(pk=_pk(order_id)).first()
    if order is None:
        raise Http404
    return order


def suborders_visible_to(user: Any) -> QuerySet[SubOrder]:
    """Sub-orders the user may act on as a supplier (or all, for the operator)."""
    if is_operator(user):
        return SubOrder.objects.all()
    ids = supplier_organisation_ids(user)
    if not ids:
        return SubOrder.objects.none()
    return SubOrder.objects.filter(supplier__organisation_id__in=ids)


def access_suborder(*, user: Any, suborder_id: Any, as_buyer: bool = False) -> SubOrder:
    """The sub-order for its supplier's people and the operator; ``as_buyer`` also lets the
    buyer of the parent order in."""
    pk = _pk(suborder_id)
    qs = SubOrder.objects.select_related("order", "supplier__organisation")
    suborder = qs.filter(pk=pk).first()
    if suborder is None:
        raise Http404
    if is_operator(user) or suborder.supplier.organisation_id in supplier_organisation_ids(user):
        return suborder
    if as_buyer and roles_of(user).authenticated and suborder.order.buyer_id == user.pk:
        return suborder
    raise Http404


def access_refund(*, user: Any, refund_id: Any) -> Refund:
    """A refund for the operator and the supplier concerned (they decide on it)."""
    pk = _pk(refund_id)
    refund = Refund.objects.select_related("suborder__supplier").filter(pk=pk).first()
    if refund is None:
        raise Http404
    if is_operator(user) or (
        refund.suborder.supplier.organisation_id in supplier_organisation_ids(user)
    ):
        return refund
    raise Http404


def access_supplier(*, user: Any, supplier_id: Any) -> SupplierProfile:
    """Supplier onboarding records: the operator only."""
    if not is_operator(user):
        raise Http404
    supplier = SupplierProfile.objects.filter(pk=_pk(supplier_id)).first()
    if supplier is None:
        raise Http404
    return supplier


def access_market_day(*, user: Any, day_id: Any) -> MarketDay:
    """A pop-up market day, for the operator only (404 for everyone else and for a missing day)."""
    if not is_operator(user):
        raise Http404
    day = MarketDay.objects.select_related("partner").filter(pk=_pk(day_id)).first()
    if day is None:
        raise Http404
    return day


# === Public purchasing ==========================================================================
#
# A public institution's purchasing people may request quotes, award them and follow the POs:
# members with a purchasing role (representative, staff, researcher, chair, secretary) of an
# organisation of a public kind (공공기관; 출연연구기관 are public institutions too). The
# operator sees everything but decides nothing for an institution or a supplier. A supplier
# sees the open requests it was invited to (or that are open to its division/category), the
# requests it quoted and its own POs.


def _purchasing() -> tuple[frozenset[str], frozenset[str]]:
    from dure.directory.models import OrganisationKind

    kinds = frozenset({OrganisationKind.PUBLIC_BODY, OrganisationKind.RESEARCH_INSTITUTE})
    roles = frozenset(
        {Role.REPRESENTATIVE, Role.STAFF, Role.RESEARCHER, Role.CHAIR, Role.SECRETARY}
    )
    return kinds, roles


def institution_ids(user: Any) -> set[int]:
    """The public institutions ``user`` may purchase for."""
    kinds, roles = _purchasing()
    return {
        org for role, org, kind in roles_of(user).memberships if role in roles and kind in kinds
    }


def is_institution(user: Any) -> bool:
    return bool(institution_ids(user))


def eligible_supplier_ids(request: Any) -> QuerySet[SupplierProfile]:
    """Approved suppliers who may quote ``request``: the invited ones, or — for a request open
    to all — those with an active product in its division (and category, if set)."""
    approved = SupplierProfile.objects.filter(status=SupplierStatus.APPROVED)
    if request.open_to_all:
        scope = Q(products__active=True, products__category__division=request.division)
        if request.category_id:
            scope &= Q(products__category_id=request.category_id)
        return approved.filter(scope).distinct()
    return approved.filter(pk__in=request.suppliers.values("pk"))


def quotation_requests_visible_to(user: Any) -> QuerySet[Any]:
    from .models import QuotationRequest, QuotationStatus

    if not roles_of(user).authenticated:
        return QuotationRequest.objects.none()
    if is_operator(user):
        return QuotationRequest.objects.all()
    visible = Q(buyer_organisation_id__in=institution_ids(user))
    mine = list(
        suppliers_of(user).filter(status=SupplierStatus.APPROVED).values_list("pk", flat=True)
    )
    if mine:
        sent = ~Q(status=QuotationStatus.DRAFT)
        divisions = set(
            Product.objects.filter(supplier_id__in=mine, active=True).values_list(
                "category__division", flat=True
            )
        )
        categories = set(
            Product.objects.filter(supplier_id__in=mine, active=True).values_list(
                "category_id", flat=True
            )
        )
        open_scope = Q(open_to_all=True, division__in=divisions) & (
            Q(category__isnull=True) | Q(category_id__in=categories)
        )
        visible |= sent & (Q(suppliers__in=mine) | open_scope | Q(quotes__supplier_id__in=mine))
    return QuotationRequest.objects.filter(
        pk__in=QuotationRequest.objects.filter(visible).values("pk")
    )


def access_quotation_request(*, user: Any, request_id: Any, buyer: bool = False) -> Any:
    """A request for whoever may see it; ``buyer=True``: only its institution's purchasers
    (404 for everyone else, the operator included)."""
    pk = _pk(request_id)
    qs = quotation_requests_visible_to(user).select_related("buyer_organisation", "category")
    found = qs.filter(pk=pk).first()
    if found is None:
        raise Http404
    if buyer and found.buyer_organisation_id not in institution_ids(user):
        raise Http404
    return found


def quoting_suppliers(user: Any, request: Any) -> list[SupplierProfile]:
    """The user's approved supplier profiles that may quote ``request``."""
    mine = suppliers_of(user).filter(status=SupplierStatus.APPROVED)
    return list(
        eligible_supplier_ids(request)
        .filter(pk__in=mine.values("pk"))
        .select_related("organisation")
    )


def purchase_orders_visible_to(user: Any) -> QuerySet[Any]:
    from .models import PurchaseOrder

    if not roles_of(user).authenticated:
        return PurchaseOrder.objects.none()
    if is_operator(user):
        return PurchaseOrder.objects.all()
    return PurchaseOrder.objects.filter(
        Q(buyer_organisation_id__in=institution_ids(user))
        | Q(supplier__organisation_id__in=supplier_organisation_ids(user))
    )


def access_purchase_order(*, user: Any, po_id: Any) -> Any:
    found = (
        purchase_orders_visible_to(user)
        .select_related("buyer_organisation", "supplier__organisation", "request")
        .filter(pk=_pk(po_id))
        .first()
    )
    if found is None:
        raise Http404
    return found


def report_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations whose priority-purchase report ``user`` may read: the operator all buying
    organisations, anyone else the organisations they belong to (as the API allows)."""
    if is_operator(user):
        return Organisation.objects.all()
    return Organisation.objects.filter(pk__in=roles_of(user).organisation_ids)
