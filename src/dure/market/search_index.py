"""How a product becomes a search document (kind ``market_product``).

Only active products of approved suppliers are indexed (others are removed from the index), so
a search never shows what cannot be bought. Filter keys: ``division``, ``category``,
``supplier``, ``tax``.
"""

from __future__ import annotations

from dure.search import registry
from dure.search.registry import IndexedDocument

KIND = "market_product"


def product_document(product) -> IndexedDocument | None:
    from .models import SupplierStatus

    if not product.active or product.supplier.status != SupplierStatus.APPROVED:
        return None
    category = product.category
    return IndexedDocument(
        title=product.name,
        body="\n".join(
            part
            for part in (
                product.description,
                category.name,
                category.get_division_display(),
                product.supplier.organisation.name,
                product.get_tax_type_display(),
            )
            if part
        ),
        filters={
            "division": [category.division],
            "category": [str(category.pk)],
            "supplier": [str(product.supplier_id)],
            "tax": [product.tax_type],
        },
    )


def _queryset():
    from .models import Product

    return Product.objects.select_related("category", "supplier__organisation")


def register() -> None:
    registry.register(
        registry.SearchKind(
            name=KIND, label="장터 상품", queryset=_queryset, to_document=product_document
        )
    )
