"""Generate many realistic-looking Korean organisations for the HTTP benchmark.

Run by ``http_bench.py`` in a child process with the benchmark's environment (DURE_VAR_DIR or
DATABASE_URL), after ``dure migrate``, ``dure load-reference`` and ``dure load-demo``::

    DURE_VAR_DIR=/tmp/x .venv/bin/python benchmarks/generate_orgs.py --orgs 10000

Organisations are written with ``bulk_create`` (M2M rows through the auto-created through
models, also in bulk), then the search index is rebuilt in one pass with
``dure.search.services.reindex(kinds=["organisation"])``. No history rows are written (bulk
writes bypass django-simple-history's signals); the pages under test never read them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time

# Brand-name syllables: pairs of these make names like 한빛, 새솔, 다온, 누리.
SYLLABLES = list(
    "한빛새솔다온누리가람나래하늘바다별숲들꽃마루아름온새로미담슬기여울초록햇살은결도담해찬"
)
WORDS = [
    "한빛",
    "새솔",
    "다온",
    "누리",
    "가람",
    "나래",
    "온누리",
    "푸른",
    "늘푸른",
    "햇살",
    "미래",
    "하나",
    "대한",
    "한국",
    "동해",
    "서해",
    "백두",
    "한울",
    "희망",
    "행복",
    "참",
    "으뜸",
    "제일",
    "우리",
    "함께",
    "더불어",
    "마을",
    "큰나무",
    "초록",
    "두레",
]
DOMAINS = [
    "정밀",
    "소재",
    "테크",
    "바이오",
    "에너지",
    "돌봄",
    "농업",
    "식품",
    "교육",
    "문화",
    "의료",
    "주거",
    "로봇",
    "전자",
    "기계",
    "디자인",
    "소프트",
    "환경",
    "물류",
    "공예",
    "화학",
    "금속",
    "광학",
    "육아",
    "나눔",
    "먹거리",
    "건축",
    "관광",
    "콘텐츠",
    "기술융합",
]
ACTIVITIES = [
    "시제품 개발",
    "기술 컨설팅",
    "공동 구매",
    "공동 판매",
    "돌봄 서비스",
    "친환경 농산물 유통",
    "지역 아동 돌봄",
    "정밀 가공",
    "금형 제작",
    "소프트웨어 개발",
    "기술 융합 연구",
    "교육 프로그램 운영",
    "에너지 효율 진단",
    "주거 환경 개선",
    "전통 공예품 제작",
    "웹 접근성 개선",
    "로컬푸드 직매장 운영",
    "의료 협동 서비스",
    "탄소섬유 복합소재 부품 생산",
    "기술 이전과 사업화 지원",
    "청년 창업 보육",
    "어르신 일자리 연계",
    "재생에너지 발전소 운영",
    "문화 예술 공연 기획",
]
CAPABILITIES = [
    "제품모델링",
    "회로개발",
    "기구설계",
    "복합소재",
    "기계가공",
    "구조해석",
    "화학분석",
    "코팅제 개발",
    "특허 분석",
    "기술 거래",
    "정책 연구",
    "웹 접근성 진단",
    "접근성 교육",
    "소프트웨어 개발",
    "IoT",
    "금형 설계",
    "용접",
    "표면처리",
    "3D 프린팅",
    "임베디드 개발",
    "데이터 분석",
    "인공지능",
    "식품 위생 인증",
    "포장 디자인",
    "영상 제작",
    "온라인 마케팅",
    "공동 물류",
    "에너지 진단",
    "건축 설계",
    "돌봄 교육",
]
ROADS = [
    "중앙로",
    "대학로",
    "과학로",
    "산업로",
    "문화로",
    "시장길",
    "공단로",
    "테크노로",
    "한밭대로",
]

# (kind, weight, name suffixes)
KINDS = [
    ("cooperative", 34, ["협동조합"]),
    ("social_cooperative", 14, ["사회적협동조합"]),
    ("worker_cooperative", 5, ["직원협동조합"]),
    ("federation", 1, ["협동조합연합회"]),
    ("council", 1, ["지역협동조합협의회", "협동조합협의회"]),
    ("sme", 32, ["", "(주)", "산업", "테크", "주식회사"]),
    ("support_centre", 2, ["협동조합지원센터", "사회적경제지원센터"]),
    ("regional_centre", 2, ["애로기술 상담센터", "지역 상담센터"]),
    ("public_body", 3, ["진흥원", "재단", "공사"]),
    ("partner", 6, ["창업보육센터", "디자인센터", "협회"]),
]
COOPERATIVE_KINDS = {
    "cooperative",
    "social_cooperative",
    "worker_cooperative",
    "federation",
    "council",
}


def _has_final_consonant(word: str) -> bool:
    last = word.rstrip()[-1]
    return "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 != 0


def _and(a: str, b: str) -> str:
    """``a``와/과 ``b`` with the right particle."""
    return f"{a}{'과' if _has_final_consonant(a) else '와'} {b}"


def _brand(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(SYLLABLES) + rng.choice(SYLLABLES)
    return rng.choice(WORDS)


def _name(rng: random.Random, suffixes: list[str], place: str) -> str:
    suffix = rng.choice(suffixes)
    parts = []
    if place and rng.random() < 0.25:
        parts.append(place)
    parts.append(_brand(rng))
    parts.append(rng.choice(DOMAINS))
    if suffix == "(주)":
        return "(주)" + "".join(parts)
    if suffix == "주식회사":
        return "주식회사 " + "".join(parts)
    sep = " " if rng.random() < 0.15 and suffix else ""
    return "".join(parts) + sep + suffix


def _place(sigungu_name: str) -> str:
    """유성구 → 유성, 창원시 의창구 → 창원, 중구 → "" (short place names for organisation names)."""
    first = sigungu_name.split()[0]
    return first[:-1] if len(first) > 2 and first[-1] in "시군구" else ""


def generate(count: int, seed: int) -> dict[str, float]:
    from django.db import transaction

    from dure.directory.demo import demo_business_number
    from dure.directory.models import (
        Capability,
        IndustryClass,
        Organisation,
        OrganisationKind,
        Sigungu,
        StrategicField,
    )
    from dure.search.services import reindex

    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    # Skip branch offices (…출장소) that the code list also carries.
    sigungus = list(
        Sigungu.objects.select_related("sido").exclude(name__contains="출장").order_by("code")
    )
    if not sigungus:
        raise SystemExit("reference data missing: run `dure load-reference` first")
    fields = list(StrategicField.objects.order_by("slug"))
    industries = list(IndustryClass.objects.filter(level=5).values_list("code", flat=True))
    labels = dict(OrganisationKind.choices)
    kinds, weights = [k[0] for k in KINDS], [k[1] for k in KINDS]
    suffixes = {k[0]: k[2] for k in KINDS}
    today = dt.date(2026, 1, 1)

    with transaction.atomic():
        for name in CAPABILITIES:
            Capability.objects.get_or_create(name=name)
        capabilities = list(Capability.objects.filter(name__in=CAPABILITIES))

        orgs: list[Organisation] = []
        for i in range(count):
            kind = rng.choices(kinds, weights)[0]
            sigungu = rng.choice(sigungus)
            place = _place(sigungu.name)
            name = _name(rng, suffixes[kind], place)[:100]
            a, b = rng.sample(ACTIVITIES, 2)
            label = str(labels[kind])
            description = (
                f"{sigungu.sido.name} {sigungu.name}에 있는 {label}입니다. "
                f"주요 사업은 {_and(a, b)}입니다."
            )
            if rng.random() < 0.3:
                description += f" 지역 {rng.choice(DOMAINS)} 분야의 협력 네트워크에 참여합니다."
            coop = kind in COOPERATIVE_KINDS
            orgs.append(
                Organisation(
                    kind=kind,
                    name=name,
                    sido_id=sigungu.sido_id,
                    sigungu=sigungu if rng.random() < 0.85 else None,
                    address=(
                        f"{sigungu.sido.name} {sigungu.name} {rng.choice(ROADS)} {rng.randint(1, 400)}"
                        if rng.random() < 0.6
                        else ""
                    ),
                    industry_id=(
                        rng.choice(industries) if industries and rng.random() < 0.4 else None
                    ),
                    business_number=(
                        demo_business_number(100_000 + i) if rng.random() < 0.6 else None
                    ),
                    founded_on=(
                        today - dt.timedelta(days=rng.randint(200, 365 * 30))
                        if rng.random() < 0.7
                        else None
                    ),
                    member_count=rng.randint(5, 3000) if coop else None,
                    employee_count=rng.randint(1, 300) if not coop and rng.random() < 0.7 else None,
                    description=description,
                    is_public=rng.random() < 0.95,
                )
            )
        Organisation.objects.bulk_create(orgs, batch_size=1000)
        timings["organisations"] = time.perf_counter() - started

        # bulk_create sets primary keys on SQLite ≥ 3.35 and PostgreSQL.
        if any(o.pk is None for o in orgs):
            raise SystemExit("bulk_create did not return primary keys; database too old")
        field_links = []
        capability_links = []
        FieldLink = Organisation.strategic_fields.through
        CapabilityLink = Organisation.capabilities.through
        for org in orgs:
            for f in rng.sample(fields, rng.choice([0, 1, 1, 1, 2, 2, 3])):
                field_links.append(FieldLink(organisation_id=org.pk, strategicfield_id=f.pk))
            for c in rng.sample(capabilities, rng.choice([0, 0, 1, 2, 3])):
                capability_links.append(CapabilityLink(organisation_id=org.pk, capability_id=c.pk))
        FieldLink.objects.bulk_create(field_links, batch_size=2000)
        CapabilityLink.objects.bulk_create(capability_links, batch_size=2000)
        timings["links"] = time.perf_counter() - started - timings["organisations"]

    mark = time.perf_counter()
    counts = reindex(kinds=["organisation"], batch_size=1000)
    timings["reindex"] = time.perf_counter() - mark
    timings["documents"] = counts.get("organisation", 0)
    timings["total_organisations"] = Organisation.objects.count()
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    import django

    django.setup()
    t = generate(args.orgs, args.seed)
    print(
        f"generated {args.orgs} organisations in {t['organisations']:.1f} s "
        f"(+ links {t['links']:.1f} s), reindexed {t['documents']:.0f} documents "
        f"in {t['reindex']:.1f} s; {t['total_organisations']:.0f} organisations in total"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
