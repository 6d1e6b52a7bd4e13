"""How an organisation becomes a search document."""

from __future__ import annotations

from dure.search import registry
from dure.search.registry import IndexedDocument

KIND = "organisation"


def organisation_document(org) -> IndexedDocument:
    fields = [f.name for f in org.strategic_fields.all()]
    capabilities = [c.name for c in org.capabilities.all()]
    body = "\n".join(
        part
        for part in [
            org.description,
            org.get_kind_display(),
            org.name_en,
            org.acronym,
            " ".join(fields),
            " ".join(capabilities),
            org.industry.name if org.industry_id else "",
            org.address,
            org.parent.name if org.parent_id else "",
        ]
        if part
    )
    return IndexedDocument(
        title=org.name,
        body=body,
        filters={
            "kind": [org.kind],
            "sido": [org.sido_id] if org.sido_id else [],
            "field": [f.slug for f in org.strategic_fields.all()],
            "visibility": ["public" if org.is_public else f"org:{org.pk}"],
        },
    )


def _queryset():
    from .models import Organisation

    return Organisation.objects.select_related("industry", "parent").prefetch_related(
        "strategic_fields", "capabilities"
    )


def register() -> None:
    registry.register(
        registry.SearchKind(
            name=KIND,
            label="기관",
            queryset=_queryset,
            to_document=organisation_document,
        )
    )
