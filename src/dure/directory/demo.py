"""Demo data that tells the real stories the platform is for. Development only.

Idempotent: organisations are matched by name, users by username, MOUs by title.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from dure.core.validators import business_number_check_digit
from dure.search.services import index_object

from .models import (
    MOU,
    Capability,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    Sido,
    Sigungu,
    StrategicField,
)
from .search_index import KIND as ORGANISATION_KIND

DEMO_PASSWORD = "dure-demo-2026"  # noqa: S105 - documented demo password, dev only

K = OrganisationKind


def demo_business_number(seed: int) -> str:
    """A checksum-valid 사업자등록번호 for demo data (prefix 9 to stay out of common ranges)."""
    first = f"9{seed:08d}"
    return first + str(business_number_check_digit(first))


@dataclass
class DemoOrg:
    name: str
    kind: str
    sido: str
    sigungu: str = ""
    parent: str = ""
    description: str = ""
    members: int | None = None
    employees: int | None = None
    fields: list[str] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    founded: str = ""
    website: str = ""
    name_en: str = ""


CENTRE = "과학기술인협동조합지원센터"
FUSION = "기술융합협동조합"
SERIO = "세리오협동조합"
COUNCIL = "서울지역협동조합협의회"

DEMO_ORGS: list[DemoOrg] = [
    DemoOrg(
        CENTRE,
        K.SUPPORT_CENTRE,
        "대전광역시",
        "유성구",
        description="과학기술인 협동조합의 설립·운영을 돕고, 출연연구기관과 협동조합·중소기업을 잇는 지원센터입니다. "
        "설립 상담, 교육, 기술 애로 해결 연계를 한 곳에서 제공합니다.",
        name_en="Science and Technology Cooperative Support Centre",
        fields=["manufacturing", "education"],
        founded="2013-07-01",
    ),
    DemoOrg(
        "대전 협동조합 지원센터",
        K.SUPPORT_CENTRE,
        "대전광역시",
        "중구",
        description="대전 지역 협동조합의 설립과 성장을 돕고 공동육아, 돌봄, 보건의료, 주택, 전통시장·소상공인, "
        "베이비부머, 사회적기업의 7대 전략 분야를 지원합니다.",
        fields=[
            "childcare",
            "care",
            "health",
            "housing",
            "market-smallbiz",
            "babyboomer",
            "social-enterprise",
        ],
    ),
    DemoOrg(
        "경남 지역 애로기술 상담센터",
        K.REGIONAL_CENTRE,
        "경상남도",
        "창원시",
        parent=CENTRE,
        description="경남 지역 중소기업의 기술 애로를 현장에서 접수하는 지역 상담센터입니다.",
    ),
    DemoOrg(
        FUSION,
        K.COOPERATIVE,
        "경상남도",
        "창원시",
        description="경상남도의 기술집약형 제조 중소기업 7곳이 모여 시제품 개발을 원스톱으로 제공합니다: "
        "제품모델링, 회로개발, 기구설계, 복합소재, 기계가공, 구조해석.",
        members=7,
        fields=["manufacturing"],
        capabilities=["제품모델링", "회로개발", "기구설계", "복합소재", "기계가공", "구조해석"],
        founded="2014-03-20",
    ),
    DemoOrg(
        "한빛정밀",
        K.SME,
        "경상남도",
        "창원시",
        parent=FUSION,
        description="정밀 기계가공과 금형 제작을 하는 중소기업입니다.",
        employees=23,
        capabilities=["기계가공"],
    ),
    DemoOrg(
        "미래회로설계",
        K.SME,
        "경상남도",
        "김해시",
        parent=FUSION,
        description="임베디드 회로와 PCB를 설계합니다.",
        employees=11,
        capabilities=["회로개발"],
    ),
    DemoOrg(
        "대한복합소재",
        K.SME,
        "경상남도",
        "진주시",
        parent=FUSION,
        description="탄소섬유 복합소재 부품을 만듭니다.",
        employees=35,
        capabilities=["복합소재"],
    ),
    DemoOrg(
        SERIO,
        K.WORKER_COOPERATIVE,
        "대전광역시",
        "대덕구",
        description="화학제품 중소기업의 연구소가 분사해 세운 직원협동조합입니다. 기능성 코팅제와 세정제를 연구·생산합니다.",
        members=12,
        fields=["manufacturing"],
        capabilities=["화학분석", "코팅제 개발"],
        founded="2015-05-11",
    ),
    DemoOrg(
        "한국과학기술정책플랫폼협동조합",
        K.COOPERATIVE,
        "서울특별시",
        "강남구",
        description="변리사, 기술거래사, 정책 전문가가 모여 베어링 정보·거래 플랫폼과 기술사업화 컨설팅을 제공합니다.",
        members=15,
        capabilities=["특허 분석", "기술 거래", "정책 연구"],
    ),
    DemoOrg(
        "위즈온협동조합",
        K.SOCIAL_COOPERATIVE,
        "서울특별시",
        "영등포구",
        description="장애인이 직접 만들고 장애인을 위해 일하는 웹 접근성 진단·개선 서비스를 제공합니다.",
        members=9,
        fields=["accessibility", "ict"],
        capabilities=["웹 접근성 진단", "접근성 교육"],
    ),
    DemoOrg(
        "ICT기업사회적협동조합",
        K.SOCIAL_COOPERATIVE,
        "강원특별자치도",
        "춘천시",
        description="강원 지역 ICT 기업 50곳과 자문기관 13곳이 함께하는 사회적협동조합입니다.",
        members=63,
        fields=["ict"],
        capabilities=["소프트웨어 개발", "IoT"],
    ),
    DemoOrg(
        "강원디자인진흥원",
        K.PARTNER,
        "강원특별자치도",
        "춘천시",
        description="강원 지역 디자인 산업을 지원하는 기관입니다.",
    ),
    DemoOrg(
        "강원창업보육센터",
        K.PARTNER,
        "강원특별자치도",
        "춘천시",
        description="예비 창업자와 초기 기업의 보육을 지원합니다.",
    ),
    DemoOrg(
        COUNCIL,
        K.COUNCIL,
        "서울특별시",
        "중구",
        description="서울 지역 협동조합들의 협의회로, 회원 협동조합 간 거래와 공동 판매를 돕습니다.",
        members=120,
        fields=["social-enterprise"],
    ),
    DemoOrg(
        "마을발전소사회적협동조합",
        K.SOCIAL_COOPERATIVE,
        "서울특별시",
        "마포구",
        parent=COUNCIL,
        description="마을 공동체가 함께 운영하는 돌봄과 마을 사업을 합니다.",
        members=150,
        fields=["care"],
    ),
    DemoOrg(
        "우리동물병원생명사회적협동조합",
        K.SOCIAL_COOPERATIVE,
        "서울특별시",
        "마포구",
        parent=COUNCIL,
        description="반려동물과 사람이 함께 건강한 삶을 위한 동물병원을 조합원이 함께 운영합니다.",
        members=2408,
        fields=["health"],
    ),
    DemoOrg(
        "우리밀협동조합",
        K.COOPERATIVE,
        "서울특별시",
        "종로구",
        parent=COUNCIL,
        description="우리밀 제품을 생산하고 유통합니다.",
        members=45,
        fields=["food-agriculture"],
    ),
    DemoOrg(
        "해피브릿지협동조합",
        K.WORKER_COOPERATIVE,
        "서울특별시",
        "용산구",
        parent=COUNCIL,
        description="외식 프랜차이즈를 운영하는 직원협동조합입니다.",
        members=80,
        employees=120,
    ),
    DemoOrg(
        "한지공예산업협동조합",
        K.COOPERATIVE,
        "서울특별시",
        "종로구",
        parent=COUNCIL,
        description="전통 한지 공예품을 만들고 판매합니다.",
        members=18,
        fields=["culture"],
    ),
]

# (username, display name, e-mail, [(organisation, role, title)], platform admin)
DEMO_USERS = [
    ("admin", "플랫폼 관리자", "admin@dure.example", [], True),
    ("center", "김지원", "center@dure.example", [(CENTRE, Role.STAFF, "상담 코디네이터")], False),
    (
        "researcher",
        "이연구",
        "researcher@dure.example",
        [("한국생산기술연구원", Role.RESEARCHER, "수석연구원")],
        False,
    ),
    ("sme", "박대표", "sme@dure.example", [("한빛정밀", Role.REPRESENTATIVE, "대표이사")], False),
    (
        "coop",
        "최이사장",
        "coop@dure.example",
        [(SERIO, Role.CHAIR, "이사장"), (SERIO, Role.MEMBER, "")],
        False,
    ),
    ("member", "정조합원", "member@dure.example", [(SERIO, Role.MEMBER, "")], False),
    (
        "supplier",
        "한입점",
        "supplier@dure.example",
        [
            ("우리밀협동조합", Role.REPRESENTATIVE, "대표"),
            ("우리밀협동조합", Role.MARKET_SUPPLIER, ""),
        ],
        False,
    ),
    ("seller", "송판매", "seller@dure.example", [(COUNCIL, Role.MARKET_SELLER, "")], False),
    ("creator", "윤콘텐츠", "creator@dure.example", [(COUNCIL, Role.MARKET_CREATOR, "")], False),
]

DEMO_USERNAMES = [username for username, *_rest in DEMO_USERS]

DEMO_MOUS = [
    (
        "ICT기업사회적협동조합–강원디자인진흥원 디자인·ICT 융합 협력",
        ["ICT기업사회적협동조합", "강원디자인진흥원"],
        "2024-04-15",
        "강원 지역 ICT 기업의 제품 디자인 개선과 공동 마케팅",
        MOU.Status.ACTIVE,
    ),
    (
        "ICT기업사회적협동조합–강원창업보육센터 창업 보육 협력",
        ["ICT기업사회적협동조합", "강원창업보육센터"],
        "2024-06-03",
        "예비 창업 ICT 기업 보육과 멘토링",
        MOU.Status.ACTIVE,
    ),
    (
        "과학기술인협동조합지원센터–한국생산기술연구원 애로기술 공동 해결",
        [CENTRE, "한국생산기술연구원"],
        "2025-02-10",
        "중소기업 생산기술 애로의 접수·연계와 공동 기술지도",
        MOU.Status.ACTIVE,
    ),
]


def _org_by_name(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


@transaction.atomic
def load_demo() -> dict[str, int]:
    sido_by_name = {s.name: s for s in Sido.objects.all()}
    if not sido_by_name:
        raise RuntimeError("reference data missing: run `dure load-reference` first")
    fields = {f.slug: f for f in StrategicField.objects.all()}
    created_orgs = {}
    for i, spec in enumerate(DEMO_ORGS, start=1):
        sido = sido_by_name[spec.sido]
        sigungu = (
            Sigungu.objects.filter(sido=sido, name=spec.sigungu).order_by("code").first()
            if spec.sigungu
            else None
        )
        org, _ = Organisation.objects.update_or_create(
            name=spec.name,
            defaults={
                "kind": spec.kind,
                "name_en": spec.name_en,
                "sido": sido,
                "sigungu": sigungu,
                "description": spec.description,
                "member_count": spec.members,
                "employee_count": spec.employees,
                "business_number": demo_business_number(i),
                "founded_on": dt.date.fromisoformat(spec.founded) if spec.founded else None,
                "is_public": True,
            },
        )
        org.strategic_fields.set([fields[s] for s in spec.fields])
        org.capabilities.set(
            [Capability.objects.get_or_create(name=c)[0] for c in spec.capabilities]
        )
        created_orgs[spec.name] = org
    for spec in DEMO_ORGS:
        if spec.parent:
            org = created_orgs[spec.name]
            org.parent = created_orgs.get(spec.parent) or _org_by_name(spec.parent)
            org.save(update_fields=["parent"])
    User = get_user_model()
    for username, display, email, memberships, admin in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username)
        user.display_name = display
        user.email = email
        user.is_platform_admin = admin
        user.is_staff = admin
        user.is_superuser = admin
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.save()
        for org_name, role, title in memberships:
            Membership.objects.update_or_create(
                user=user,
                organisation=_org_by_name(org_name),
                role=role,
                defaults={"title": title},
            )
    for title, parties, signed, scope, status in DEMO_MOUS:
        mou, _ = MOU.objects.update_or_create(
            title=title,
            defaults={"signed_on": dt.date.fromisoformat(signed), "scope": scope, "status": status},
        )
        mou.parties.set([_org_by_name(p) for p in parties])
    for org in created_orgs.values():
        index_object(ORGANISATION_KIND, org)
    return {"organisations": len(created_orgs), "users": len(DEMO_USERS), "mous": len(DEMO_MOUS)}
