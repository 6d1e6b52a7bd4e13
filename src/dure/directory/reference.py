"""Loading reference data (시도/시군구, KSIC, strategic fields, research institutes).

Every loader is an idempotent upsert: running it twice changes nothing the second time.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from django.db import transaction

from dure.core.pagecache import bump_data_version
from dure.search.services import index_object

from .models import (
    Capability,
    IndustryClass,
    Organisation,
    OrganisationKind,
    Sido,
    Sigungu,
    StrategicField,
)
from .search_index import KIND as ORGANISATION_KIND

DATA_DIR = Path(__file__).resolve().parent / "data"

STRATEGIC_FIELDS = [
    # Daejeon's seven strategic fields for social-economy organisations
    ("childcare", "공동육아", "Cooperative childcare"),
    ("care", "돌봄", "Care"),
    ("health", "보건의료", "Health and medical care"),
    ("housing", "주택", "Housing"),
    ("market-smallbiz", "전통시장·소상공인", "Traditional markets and small businesses"),
    ("babyboomer", "베이비부머", "Baby boomers"),
    ("social-enterprise", "사회적기업", "Social enterprise"),
    # fields the platform's other users work in
    ("manufacturing", "제조·기술", "Manufacturing and technology"),
    ("ict", "ICT", "ICT"),
    ("culture", "문화·예술", "Culture and arts"),
    ("education", "교육", "Education"),
    ("environment-energy", "환경·에너지", "Environment and energy"),
    ("food-agriculture", "먹거리·농업", "Food and agriculture"),
    ("accessibility", "접근성·장애", "Accessibility and disability"),
]


def _rows(name: str) -> Iterator[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


@transaction.atomic
def load_regions() -> tuple[int, int]:
    sidos = 0
    for row in _rows("sido_code_20250701.csv"):
        Sido.objects.update_or_create(code=row["시도코드"], defaults={"name": row["시도명"]})
        sidos += 1
    sigungus = 0
    for row in _rows("sigungu_code_20250701.csv"):
        Sigungu.objects.update_or_create(
            code=row["시군구코드"],
            defaults={
                "sido_id": row["시도코드"],
                "name": row["시군구명"],
                "is_general_gu": row["일반구여부"] == "Y",
            },
        )
        sigungus += 1
    return sidos, sigungus


@transaction.atomic
def load_ksic() -> int:
    nodes: dict[str, tuple[str, int, str | None]] = {}
    for row in _rows("ksic10_tree.csv"):
        parent: str | None = None
        for level in range(1, 6):
            code, name = row[f"ksic{level}_cd"].strip(), row[f"ksic{level}_nm"].strip()
            if code and code not in nodes:
                nodes[code] = (name, level, parent)
            parent = code
    existing = {
        code: (name, level, parent)
        for code, name, level, parent in IndustryClass.objects.values_list(
            "code", "name", "level", "parent_id"
        )
    }
    # Parents first so that foreign keys always point to existing rows. Bulk writes: 2,000
    # rows one by one would be slow (and bump the page-cache version per row).
    ordered = sorted(nodes.items(), key=lambda item: item[1][1])
    IndustryClass.objects.bulk_create(
        [
            IndustryClass(code=code, name=name, level=level, parent_id=parent)
            for code, (name, level, parent) in ordered
            if code not in existing
        ],
        batch_size=500,
    )
    changed = [
        IndustryClass(code=code, name=name, level=level, parent_id=parent)
        for code, (name, level, parent) in ordered
        if code in existing and existing[code] != (name, level, parent)
    ]
    IndustryClass.objects.bulk_update(changed, ["name", "level", "parent"], batch_size=500)
    bump_data_version()
    return len(nodes)


@transaction.atomic
def load_strategic_fields() -> int:
    for slug, name, name_en in STRATEGIC_FIELDS:
        StrategicField.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en}
        )
    return len(STRATEGIC_FIELDS)


@transaction.atomic
def load_institutes() -> int:
    sido_by_name = {s.name: s for s in Sido.objects.all()}
    rows = list(_rows("institutes.csv"))
    by_acronym: dict[str, Organisation] = {}
    for row in rows:
        fields = [f.strip() for f in row["fields_ko"].split(";") if f.strip()]
        org, _created = Organisation.objects.update_or_create(
            kind=OrganisationKind.RESEARCH_INSTITUTE,
            acronym=row["acronym"],
            defaults={
                "name": row["name_ko"],
                "name_en": row["name_en"],
                "sido": sido_by_name.get(row["hq_sido"]),
                "description": "주요 연구 분야: " + ", ".join(fields),
                "is_public": True,
            },
        )
        org.capabilities.set([Capability.objects.get_or_create(name=f[:40])[0] for f in fields])
        by_acronym[row["acronym"]] = org
    for row in rows:
        parent = by_acronym.get(row["affiliated_to"]) if row["affiliated_to"] else None
        org = by_acronym[row["acronym"]]
        if org.parent_id != (parent.pk if parent else None):
            org.parent = parent
            org.save(update_fields=["parent"])
    for org in by_acronym.values():
        index_object(ORGANISATION_KIND, org)
    return len(by_acronym)


def load_all() -> dict[str, int]:
    sidos, sigungus = load_regions()
    return {
        "sido": sidos,
        "sigungu": sigungus,
        "ksic": load_ksic(),
        "strategic_fields": load_strategic_fields(),
        "institutes": load_institutes(),
    }
