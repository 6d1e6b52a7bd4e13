"""How technologies, equipment, labs and experts become search documents.

Every document carries the filter keys the technology bank facets on — ``kind``, ``institute``,
``region`` (시도 code), and per kind ``ipc`` (sections A–H), ``status``, ``commercialisation``,
``trl``, ``deal``, ``sharing``, ``available`` — and a ``visibility`` key: ``public`` for
technologies, equipment and labs; ``staff`` and ``institute:<id>`` for experts, whose results
only platform staff and the expert's own institute see.

Expert documents never contain personal data: only the public profile (name, institute,
department, position, fields, research summary, invention titles). ``ExpertContact`` is never
read here.

Bulk imports index through ``index_bulk``, which analyses all texts in one Kiwi batch (Kiwi
runs it on every core) and upserts the documents in one statement per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dure.search import registry
from dure.search.analysis import analyze, analyze_many
from dure.search.registry import IndexedDocument

TECHNOLOGY = "technology"
EQUIPMENT = "equipment"
LAB = "lab"
EXPERT = "expert"
KINDS = (TECHNOLOGY, EQUIPMENT, LAB, EXPERT)
PUBLIC_KINDS = (TECHNOLOGY, EQUIPMENT, LAB)
LABELS = {
    TECHNOLOGY: _("기술"),
    EQUIPMENT: _("장비"),
    LAB: _("연구실"),
    EXPERT: _("전문가"),
}

PUBLIC = "public"
STAFF = "staff"


def institute_visibility(institute_id: int) -> str:
    return f"institute:{institute_id}"


def _join(*parts: Any) -> str:
    return "\n".join(str(p) for p in parts if p)


def _region(*sido_ids: str | None) -> list[str]:
    for sido in sido_ids:
        if sido:
            return [sido]
    return []


def technology_document(tech) -> IndexedDocument:
    holder = tech.holder
    return IndexedDocument(
        title=tech.title,
        body=_join(
            tech.title_en,
            " ".join(tech.keywords or []),
            tech.abstract,
            tech.key_claims,
            " ".join(tech.ipc_codes or []),
            holder.name,
            holder.acronym,
            tech.inventor_names,
            tech.application_number,
            tech.publication_number,
            tech.registration_number,
        ),
        filters={
            "kind": [TECHNOLOGY],
            "visibility": [PUBLIC],
            "institute": [str(tech.holder_id)],
            "region": _region(holder.sido_id),
            "ipc": list(tech.ipc_sections or ""),
            "status": [tech.status],
            "commercialisation": [tech.commercialisation],
            "trl": [str(tech.trl)] if tech.trl else [],
            "deal": tech.deal_types,
        },
    )


def equipment_document(item) -> IndexedDocument:
    institute = item.institute
    return IndexedDocument(
        title=item.name,
        body=_join(
            item.name_en,
            item.classification,
            item.manufacturer,
            item.model_name,
            item.capability,
            item.configuration,
            item.use_examples,
            item.location,
            institute.name,
            institute.acronym,
            item.nfec_number,
        ),
        filters={
            "kind": [EQUIPMENT],
            "visibility": [PUBLIC],
            "institute": [str(item.institute_id)],
            "region": _region(item.sido_id, institute.sido_id),
            "status": [item.status],
            "sharing": [item.sharing],
        },
    )


def lab_document(lab) -> IndexedDocument:
    institute = lab.institute
    return IndexedDocument(
        title=lab.name,
        body=_join(
            lab.name_en,
            lab.description,
            " ".join(c.name for c in lab.capabilities.all()),
            " ".join(e.name for e in lab.equipment.all()),
            lab.location,
            institute.name,
            institute.acronym,
        ),
        filters={
            "kind": [LAB],
            "visibility": [PUBLIC],
            "institute": [str(lab.institute_id)],
            "region": _region(lab.sido_id, institute.sido_id),
        },
    )


def expert_document(expert) -> IndexedDocument:
    """The public profile only — never ``expert.contact`` (phone, e-mail, CV)."""
    institute = expert.institute
    return IndexedDocument(
        title=expert.name,
        body=_join(
            expert.name_en,
            expert.department,
            expert.position,
            " ".join(expert.fields or []),
            expert.summary,
            " ".join(t.title for t in expert.technologies.all()),
            institute.name,
            institute.acronym,
        ),
        filters={
            "kind": [EXPERT],
            "visibility": [STAFF, institute_visibility(expert.institute_id)],
            "institute": [str(expert.institute_id)],
            "region": _region(institute.sido_id),
            "available": ["yes" if expert.available_for_exchange else "no"],
        },
    )


def _technologies():
    from .models import Technology

    return Technology.objects.select_related("holder")


def _equipment():
    from .models import Equipment

    return Equipment.objects.select_related("institute")


def _labs():
    from .models import Lab

    return Lab.objects.select_related("institute").prefetch_related("capabilities", "equipment")


def _experts():
    from .models import Expert

    return Expert.objects.select_related("institute").prefetch_related("technologies")


DOCUMENT_BUILDERS = {
    TECHNOLOGY: technology_document,
    EQUIPMENT: equipment_document,
    LAB: lab_document,
    EXPERT: expert_document,
}


def register() -> None:
    for name, queryset, to_document in (
        (TECHNOLOGY, _technologies, technology_document),
        (EQUIPMENT, _equipment, equipment_document),
        (LAB, _labs, lab_document),
        (EXPERT, _experts, expert_document),
    ):
        registry.register(
            registry.SearchKind(
                name=name, label=LABELS[name], queryset=queryset, to_document=to_document
            )
        )


# --- bulk indexing -----------------------------------------------------------------------------


def _filters(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: sorted({str(v) for v in vs if str(v)}) for k, vs in raw.items() if vs}


def analyze_documents(docs: Sequence[IndexedDocument]) -> list[tuple[str, str]]:
    """(title tokens, body tokens) of each document, all analysed in one Kiwi batch. Pure
    computation (no database): may run in another thread while the caller writes rows."""
    tokens = analyze_many([d.title for d in docs] + [d.body for d in docs])
    n = len(docs)
    return [(" ".join(tokens[i]), " ".join(tokens[n + i])) for i in range(n)]


def write_documents(
    kind: str, docs: Sequence[tuple[int, IndexedDocument]], tokens: Sequence[tuple[str, str]]
) -> int:
    """Upsert the analysed documents of ``kind`` (one statement)."""
    from dure.search.models import SearchDocument, facet_terms

    if not docs:
        return 0
    now = timezone.now()
    rows = []
    for (pk, doc), (title_tokens, body_tokens) in zip(docs, tokens, strict=True):
        filters = _filters(doc.filters)
        rows.append(
            SearchDocument(
                kind=kind,
                object_id=pk,
                title=doc.title[:300],
                body=doc.body,
                title_tokens=title_tokens,
                body_tokens=body_tokens,
                filters=filters,
                facet_terms=facet_terms(filters),
                updated_at=now,
            )
        )
    SearchDocument.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["kind", "object_id"],
        update_fields=[
            "title",
            "body",
            "title_tokens",
            "body_tokens",
            "filters",
            "facet_terms",
            "updated_at",
        ],
    )
    return len(rows)


def index_bulk(kind: str, objects: Iterable[Any], *, batch_size: int = 1000) -> int:
    """(Re)index many objects of one kind: batch analysis and one upsert per batch. Call inside
    the transaction that wrote the objects. Returns the number of documents written."""
    build = DOCUMENT_BUILDERS[kind]
    written = 0
    batch: list[tuple[int, IndexedDocument]] = []
    for obj in objects:
        batch.append((obj.pk, build(obj)))
        if len(batch) >= batch_size:
            written += write_documents(kind, batch, analyze_documents([d for _pk, d in batch]))
            batch = []
    written += write_documents(kind, batch, analyze_documents([d for _pk, d in batch]))
    return written


__all__ = [
    "analyze",
    "analyze_documents",
    "analyze_many",
    "index_bulk",
    "register",
    "write_documents",
]
