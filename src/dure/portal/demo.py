"""Demo notices and success stories of 과학기술인협동조합지원센터 (and one notice of the Daejeon
centre): published notices (one pinned) and a draft; two published stories (one with a written
consent, one 한빛정밀's representative agreed to on the platform), one awaiting 세리오협동조합's
answer (its chair is the demo ``coop``) and a draft. Dates are relative to now. Idempotent: a
notice or story is found by its title."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dure.core.pagecache import bump_data_version
from dure.directory.demo import CENTRE, FUSION, SERIO
from dure.directory.models import Organisation

from .models import Notice, NoticeCategory, Story, StoryEvent, SupportKind

DAEJEON_CENTRE = "대전 협동조합 지원센터"

# publisher, category, title, pinned, days since published (None: a draft), body
NOTICES = [
    (
        CENTRE,
        NoticeCategory.RECRUITMENT,
        "2027년 협동조합 기술사업화 지원 사업 참여 조합 모집",
        True,
        3,
        "출연연구기관의 기술을 이전받아 사업화하려는 협동조합을 모집합니다.\n\n"
        "지원 내용: 기술이전 착수기본료 지원, 시제품 제작, 전담 연구원 매칭\n"
        "신청 기간: 공고일부터 한 달\n신청 방법: 두레 애로 상담 신청에서 '기술이전'을 골라 주세요.",
    ),
    (
        CENTRE,
        NoticeCategory.NOTICE,
        "연말 상담 일정 안내",
        False,
        10,
        "12월 마지막 주에는 전화 상담(1379)만 운영합니다. 방문 상담은 1월 2일부터 다시 받습니다.",
    ),
    (
        CENTRE,
        NoticeCategory.RESULT,
        "하반기 협동조합 기술 포럼 결과 발표",
        False,
        30,
        "하반기 기술 포럼에 협동조합 42곳이 참여해 출연연 연구자와 상담 61건을 나눴습니다.\n"
        "상담 가운데 9건은 기술이전 상담으로 이어지고 있습니다.",
    ),
    (
        CENTRE,
        NoticeCategory.NOTICE,
        "2027년 교육 일정 (작성 중)",
        False,
        None,
        "상반기 설립 교육과 기술사업화 교육 일정을 정리하고 있습니다.",
    ),
    (
        DAEJEON_CENTRE,
        NoticeCategory.NOTICE,
        "대전 공유부엌 협동조합 설명회 안내",
        False,
        6,
        "식당들이 함께 쓰는 공유부엌 협동조합에 관심 있는 분을 위한 설명회를 엽니다.",
    ),
]

# subject, support kind, year, title, summary, body, jobs, sales increase, status, consent
STORIES = [
    (
        FUSION,
        SupportKind.TECHNOLOGY_TRANSFER,
        2025,
        "출연연 특허로 복합소재 부품을 국산화한 기술융합협동조합",
        "휴면 특허를 착수기본료 없이 이전받아 수입하던 복합소재 부품을 직접 만들게 되었습니다.",
        "기술융합협동조합은 해외에서 들여오던 탄소복합소재 부품의 납기와 가격 때문에 "
        "어려움을 겪었습니다. 두레 애로 상담으로 한국생산기술연구원의 휴면 특허를 찾았고, "
        "착수기본료 없이 매출에 따른 경상기술료만 내는 조건으로 통상실시권을 받았습니다.\n\n"
        "연구원과 3개월 단기 공동연구로 공정을 맞춘 뒤 양산을 시작해, 조합원 기업 세 곳이 "
        "부품을 함께 쓰고 있습니다.",
        6,
        420_000_000,
        Story.Status.PUBLISHED,
        Story.ConsentMethod.WRITTEN,
    ),
    (
        "한빛정밀",
        SupportKind.RESEARCH,
        2025,
        "한빛정밀, 용접부 부식 문제를 연구기관과 함께 풀다",
        "1379 상담 한 번으로 연구팀과 연결되어 용접부 부식 불량을 절반 이하로 줄였습니다.",
        "한빛정밀은 스테인리스 배관 용접부가 부식되는 불량으로 반품이 잦았습니다. 1379 전화로 "
        "애로를 접수하자 지원센터가 용접·부식 전문 연구팀을 연결했고, 현장 진단과 단기 "
        "연구개발로 용접 조건과 후처리 공정을 바꿨습니다.",
        2,
        150_000_000,
        Story.Status.PUBLISHED,
        Story.ConsentMethod.PLATFORM,
    ),
    (
        SERIO,
        SupportKind.FOUNDING,
        2025,
        "연구원들이 함께 세운 직원협동조합, 세리오",
        "회사 연구부서의 직원들이 직원협동조합을 세워 연구와 생산을 이어 갑니다.",
        "화학제품 중소기업의 연구부서가 문을 닫게 되자, 연구원 일곱 명이 지원센터의 설립 상담을 "
        "받아 직원협동조합을 세웠습니다. 창립총회와 설립 신고까지 1년 남짓 걸렸습니다.",
        7,
        None,
        Story.Status.AWAITING,
        "",
    ),
    (
        "미래회로설계",
        SupportKind.MARKET,
        2026,
        "미래회로설계의 협동조합 장터 입점기 (작성 중)",
        "협동조합 간 장터에서 첫 거래를 만든 이야기입니다.",
        "초안입니다.",
        None,
        None,
        Story.Status.DRAFT,
        "",
    ),
]


@transaction.atomic
def load_demo() -> dict[str, int]:
    User = get_user_model()
    people = {u.username: u for u in User.objects.filter(username__in=["center", "sme"])}
    organisations = {
        o.name: o
        for o in Organisation.objects.filter(
            name__in=[CENTRE, DAEJEON_CENTRE, FUSION, SERIO, "한빛정밀", "미래회로설계"]
        )
    }
    now = timezone.now()
    writer = people.get("center")
    for publisher, category, title, pinned, days, body in NOTICES:
        if publisher not in organisations or Notice.objects.filter(title=title).exists():
            continue
        Notice.objects.create(
            publisher=organisations[publisher],
            category=category,
            title=title,
            body=body,
            pinned=pinned,
            status=Notice.Status.DRAFT if days is None else Notice.Status.PUBLISHED,
            published_at=None if days is None else now - dt.timedelta(days=days),
            created_by=writer,
        )
    centre = organisations.get(CENTRE)
    for index, row in enumerate(STORIES):
        subject, kind, year, title, summary, body, jobs, sales, status, method = row
        if centre is None or subject not in organisations:
            continue
        if Story.objects.filter(title=title).exists():
            continue
        consented = status in (Story.Status.APPROVED, Story.Status.PUBLISHED)
        story = Story.objects.create(
            centre=centre,
            subject=organisations[subject],
            support_kind=kind,
            year=year,
            title=title,
            summary=summary,
            body=body,
            jobs_created=jobs,
            sales_increase=sales,
            status=status,
            consent_method=method if consented else "",
            consent_by=(people.get("sme") if method == Story.ConsentMethod.PLATFORM else writer)
            if consented
            else None,
            consent_at=now - dt.timedelta(days=20 + index) if consented else None,
            consent_note="2025-11-03 이사장 서명 동의서 (스캔본 보관)"
            if method == Story.ConsentMethod.WRITTEN
            else "",
            published_at=now - dt.timedelta(days=14 + index)
            if status == Story.Status.PUBLISHED
            else None,
            created_by=writer,
        )
        path = {
            Story.Status.DRAFT: [Story.Status.DRAFT],
            Story.Status.AWAITING: [Story.Status.DRAFT, Story.Status.AWAITING],
            Story.Status.PUBLISHED: [
                Story.Status.DRAFT,
                Story.Status.AWAITING,
                Story.Status.APPROVED,
                Story.Status.PUBLISHED,
            ],
        }[status]
        before = ""
        for step in path:
            StoryEvent.objects.create(story=story, from_status=before, to_status=step, actor=writer)
            before = step
    bump_data_version()  # the cached home page lists notices and stories
    return {"portal_notices": Notice.objects.count(), "portal_stories": Story.objects.count()}
