"""Demo stories of the support desk (``dure load-demo``); idempotent.

* the 12 regional consultation centres (``data/regional_centres.csv``) under
  과학기술인협동조합지원센터, which is the national intake centre (its staff, the demo
  ``center`` user, see and triage every case; ``center`` is also its manager for escalations);
* a KITECH team "뿌리기술 지원팀" (auto-assign on) with the demo ``researcher``;
* 12 cases in every state, from every channel — one from the demo ``sme``, several
  anonymous — created through the services with a demo clock, so their numbers, events, SLA
  due dates and notifications are what the real flow produces.

Cases are matched by their idempotency key: running the loader again adds nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dure.directory.models import Organisation, OrganisationKind, Sido, Sigungu
from dure.directory.search_index import KIND as ORGANISATION_KIND
from dure.search.services import index_object

from . import notifications, services
from .models import Case, Channel, DeskCentre, Team, TeamMember

DATA_DIR = Path(__file__).resolve().parent / "data"
NATIONAL_CENTRE = "과학기술인협동조합지원센터"
DEMO_TEAM = "뿌리기술 지원팀"


def regional_centre_rows() -> list[dict[str, str]]:
    with (DATA_DIR / "regional_centres.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_regional_centres(parent: Organisation | None = None) -> int:
    """Upsert the 12 regional consultation centres (matched by name)."""
    sidos = {s.name: s for s in Sido.objects.all()}
    count = 0
    for row in regional_centre_rows():
        sido = sidos.get(row["sido"])
        sigungu = (
            Sigungu.objects.filter(sido=sido, name=row["sigungu"]).order_by("code").first()
            if sido
            else None
        )
        org, _created = Organisation.objects.update_or_create(
            name=row["name"],
            defaults={
                "kind": OrganisationKind.REGIONAL_CENTRE,
                "name_en": row["name_en"],
                "sido": sido,
                "sigungu": sigungu,
                "parent": parent,
                "description": f"{row['area']} 지역 중소기업의 기술 애로를 전화·방문으로 접수하고 "
                "출연연구기관과 연결하는 지역 상담센터입니다.",
                "is_public": True,
            },
        )
        index_object(ORGANISATION_KIND, org)
        count += 1
    return count


@contextmanager
def demo_clock(moment: dt.datetime) -> Iterator[None]:
    """Run the services as if it were ``moment`` (demo data only)."""
    original: Callable[[], dt.datetime] = services._now
    services._now = lambda: moment
    try:
        yield
    finally:
        services._now = original


@contextmanager
def no_notifications() -> Iterator[None]:
    """Demo cases send no e-mail (their addresses are made up)."""
    original = notifications.schedule
    notifications.schedule = lambda func, *args: None
    try:
        yield
    finally:
        notifications.schedule = original


@dataclass
class DemoCase:
    key: str
    days_ago: float
    channel: str
    data: dict[str, Any]
    requester: str = ""  # demo username, "" = anonymous
    centre: str = ""  # receiving centre for staff intake
    steps: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    # (days after receipt, step, arguments)


CASES: list[DemoCase] = [
    DemoCase(
        "demo-01",
        9,
        Channel.WEB,
        {
            "company_name": "한빛정밀",
            "contact_name": "박대표",
            "contact_email": "sme@dure.example",
            "sido": "48",
            "company_size": "small",
            "title": "사출 금형 냉각이 고르지 않아 제품이 휩니다",
            "description": "가전 부품용 사출 금형에서 한쪽 면만 빨리 식는지 제품이 활처럼 휘어 나옵니다. "
            "냉각수 배관을 바꿔 봐도 그대로입니다. 금형 냉각 설계를 봐 주실 분을 찾습니다.",
            "desired_support": ["consulting", "tech_transfer"],
        },
        requester="sme",
        steps=[
            (0.5, "triage", {"category": "consulting", "lead": "KITECH", "priority": "high"}),
            (1, "assign", {}),
            (1.2, "start", {}),
            (
                1.3,
                "message",
                {
                    "by": "researcher",
                    "body": "금형 도면과 성형 조건표를 보내 주시면 냉각 해석을 해 보겠습니다.",
                },
            ),
            (
                2,
                "message",
                {"by": "requester", "body": "도면은 보안 검토 후 다음 주에 보내겠습니다."},
            ),
        ],
    ),
    DemoCase(
        "demo-02",
        6,
        Channel.WEB,
        {
            "company_name": "고을떡방앗간",
            "contact_name": "오사장",
            "contact_email": "rice-cake@example.kr",
            "sido": "52",
            "company_size": "micro",
            "description": "쌀떡이 하루만 지나도 딱딱하게 굳습니다. 첨가물 없이 말랑한 상태를 오래 유지하는 방법이 있을까요?",
            "desired_support": ["information"],
        },
        steps=[(1, "triage", {"category": "information", "lead": "KFRI"})],
    ),
    DemoCase(
        "demo-03",
        1,
        Channel.PHONE_1379,
        {
            "company_name": "햇살에너지",
            "contact_name": "김과장",
            "contact_phone": "02-3456-7890",
            "sido": "44",
            "description": "공장 지붕에 올린 태양광 발전기 인버터가 한 달에 두세 번씩 멈춥니다. 원인을 찾고 싶습니다.",
        },
        centre=NATIONAL_CENTRE,
    ),
    DemoCase(
        "demo-04",
        0.3,
        Channel.PHONE_080,
        {
            "company_name": "그린팩",
            "contact_name": "이대리",
            "contact_phone": "031-987-6543",
            "contact_email": "greenpack@example.kr",
            "sido": "41",
            "description": "과자 포장 필름을 단일 소재로 바꾸면 재활용이 쉬워진다는데, 차단 성능을 유지할 수 있는지 알고 싶습니다.",
        },
        centre=NATIONAL_CENTRE,
    ),
    DemoCase(
        "demo-05",
        30,
        Channel.VISIT,
        {
            "company_name": "대성철강",
            "contact_name": "정공장장",
            "contact_phone": "055-234-5678",
            "sido": "48",
            "sigungu": "48120",
            "company_size": "medium",
            "description": "두꺼운 강판을 맞대기 용접한 뒤 열영향부에 가는 금이 갑니다. 예열 조건과 용접 재료를 바꿔야 할지 판단이 서지 않습니다.",
            "desired_support": ["tech_transfer"],
        },
        centre="경남 지역 애로기술 상담센터",
        steps=[
            (0.5, "triage", {"category": "tech_transfer", "lead": "KITECH", "collab": ["KIMS"]}),
            (1, "assign", {}),
            (1.5, "start", {}),
            (
                2,
                "message",
                {
                    "by": "researcher",
                    "body": "용접부 시편을 분석해 보니 수소 균열로 보입니다. 예열 온도를 높이는 방안을 정리해 드리겠습니다.",
                },
            ),
            (
                8,
                "resolve",
                {
                    "outcome": "tech_transfer",
                    "summary": "저수소계 용접 재료와 예열 조건 표준을 기술이전으로 연계",
                    "follow_up_reference": "기술이전 상담 2026-17",
                },
            ),
            (9, "survey", {"rating": 5, "comment": "현장에 와서 봐 주셔서 큰 도움이 되었습니다."}),
        ],
    ),
    DemoCase(
        "demo-06",
        4,
        Channel.WEB,
        {
            "company_name": "푸른들스마트팜",
            "contact_name": "한팀장",
            "contact_email": "smartfarm@example.kr",
            "sido": "43",
            "description": "비닐하우스 안 센서들이 보내는 값이 자주 끊깁니다. 온실 안에서도 잘 되는 무선 방식이 궁금합니다.",
        },
        steps=[(0.5, "triage", {"category": "information", "lead": "ETRI"})],
    ),
    DemoCase(
        "demo-07",
        3,
        Channel.API,
        {
            "company_name": "자연담은화장품",
            "contact_name": "서연구원",
            "contact_email": "cosmetic@example.kr",
            "sido": "50",
            "company_size": "small",
            "description": "감귤 껍질 추출물을 넣은 크림이 몇 주 지나면 색이 변합니다. 추출물을 안정화하는 방법을 찾습니다.",
            "desired_support": ["rnd_short"],
        },
        steps=[(1, "triage", {"category": "rnd_short", "lead": "KRICT"})],
    ),
    DemoCase(
        "demo-08",
        12,
        Channel.WEB,
        {
            "company_name": "동방기어",
            "contact_name": "최이사",
            "contact_email": "gear@example.kr",
            "sido": "48",
            "company_size": "small",
            "description": "열처리한 기어의 경도가 로트마다 다르게 나옵니다. 침탄 공정 관리 방법을 알고 싶습니다.",
        },
        steps=[
            (0.5, "triage", {"category": "consulting", "lead": "KITECH"}),
            (1, "assign", {}),
            (1.5, "start", {}),
            (2, "wait", {"body": "로트별 열처리 조건 기록(온도, 시간, 분위기)을 보내 주시겠어요?"}),
        ],
    ),
    DemoCase(
        "demo-09",
        40,
        Channel.WEB,
        {
            "company_name": "새빛도금",
            "contact_name": "윤대표",
            "contact_email": "plating@example.kr",
            "sido": "28",
            "company_size": "small",
            "description": "도금 폐수 처리 비용이 너무 큽니다. 관련 규제와 지원 사업 정보를 알려 주세요.",
            "desired_support": ["information"],
        },
        steps=[
            (1, "triage", {"category": "information", "lead": "KITECH"}),
            (2, "assign", {}),
            (2.5, "start", {}),
            (
                3,
                "message",
                {
                    "by": "researcher",
                    "body": "표면처리 폐수 재이용 기술 자료와 환경 설비 지원 사업 공고를 첨부 링크로 정리했습니다.",
                },
            ),
            (
                5,
                "resolve",
                {
                    "outcome": "information",
                    "summary": "규제 정보와 지원 사업 안내",
                    "follow_up_url": "https://www.example.kr/support/plating",
                },
            ),
            (6, "survey", {"rating": 4, "comment": "자료가 잘 정리되어 있었습니다."}),
            (7, "close", {}),
        ],
    ),
    DemoCase(
        "demo-10",
        14,
        Channel.WEB,
        {
            "company_name": "한결주물",
            "contact_name": "장부장",
            "contact_email": "casting@example.kr",
            "sido": "47",
            "company_size": "small",
            "description": "알루미늄 주물 내부에 기포 구멍이 생겨 누설 시험에서 떨어집니다.",
        },
        steps=[
            (0.3, "triage", {"category": "rnd_short", "lead": "KITECH"}),
            (0.5, "assign", {}),
        ],
    ),
    DemoCase(
        "demo-11",
        2,
        Channel.WEB,
        {
            "company_name": "볼트앤너트",
            "contact_name": "강실장",
            "contact_email": "charger@example.kr",
            "sido": "26",
            "description": "전기차 충전기를 개발 중인데 전자파 적합성 시험에서 방사 잡음이 기준을 넘습니다.",
            "desired_support": ["equipment", "consulting"],
        },
    ),
    DemoCase(
        "demo-12",
        20,
        Channel.WEB,
        {
            "company_name": "미래회로설계",
            "contact_name": "문책임",
            "contact_email": "pcb@example.kr",
            "sido": "48",
            "company_size": "small",
            "description": "기판 납땜 부위가 진동 시험에서 떨어집니다. 접합 신뢰성 평가를 받을 수 있는 곳을 찾습니다.",
        },
        steps=[
            (0.5, "triage", {"category": "equipment", "lead": "KITECH"}),
            (1, "assign", {}),
            (1.5, "start", {}),
            (
                3,
                "resolve",
                {
                    "outcome": "unsolvable",
                    "reason": "요청하신 진동 시험 장비가 점검 중이라 기간 안에 평가할 수 없어 다른 시험기관을 안내했습니다.",
                },
            ),
        ],
    ),
]


def _user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def _run_steps(spec: DemoCase, case: Case, received: dt.datetime, users: dict[str, Any]) -> None:
    center, researcher = users["center"], users["researcher"]
    token = services.status_token_for(case=case)
    requester = users.get(spec.requester) if spec.requester else None
    for offset, step, args in spec.steps:
        with demo_clock(received + dt.timedelta(days=offset)):
            case.refresh_from_db()
            if step == "triage":
                services.case_triage(
                    actor=center,
                    case=case,
                    category=args["category"],
                    lead_institute=args["lead"],
                    priority=args.get("priority", "normal"),
                    collaborating_institutes=args.get("collab", []),
                    recommended=[args["lead"]],
                )
            elif step == "assign":
                services.case_assign(actor=center, case=case, team=Team.objects.get(name=DEMO_TEAM))
            elif step == "start":
                services.case_start(actor=researcher, case=case)
            elif step == "message":
                if args["by"] == "requester":
                    if requester is not None:
                        services.case_message_post(case=case, actor=requester, body=args["body"])
                    else:
                        services.case_message_post(case=case, status_token=token, body=args["body"])
                else:
                    services.case_message_post(case=case, actor=researcher, body=args["body"])
            elif step == "wait":
                services.case_wait_for_requester(actor=researcher, case=case, message=args["body"])
            elif step == "resolve":
                services.case_resolve(
                    actor=researcher,
                    case=case,
                    outcome=args["outcome"],
                    summary=args.get("summary", ""),
                    reason=args.get("reason", ""),
                    follow_up_url=args.get("follow_up_url", ""),
                    follow_up_reference=args.get("follow_up_reference", ""),
                )
            elif step == "survey":
                services.case_survey_submit(
                    case=case, status_token=token, rating=args["rating"], comment=args["comment"]
                )
            elif step == "close":
                services.case_close(actor=center, case=case)


@transaction.atomic
def load_demo() -> dict[str, int]:
    national = Organisation.objects.filter(name=NATIONAL_CENTRE).first()
    if national is None:  # the directory's demo comes first (dure.core.demo)
        return {}
    centres = load_regional_centres(parent=national)
    users = {name: _user(name) for name in ("center", "researcher", "sme")}
    DeskCentre.objects.update_or_create(
        organisation=national,
        defaults={
            "is_national_intake": True,
            "manager": users["center"],
            "email": "onestop@dure.example",
        },
    )
    kitech = Organisation.objects.get(kind=OrganisationKind.RESEARCH_INSTITUTE, acronym="KITECH")
    team, _created = Team.objects.get_or_create(
        institute=kitech, name=DEMO_TEAM, defaults={"auto_assign": True}
    )
    TeamMember.objects.get_or_create(team=team, user=users["researcher"])
    now = timezone.now()
    created = 0
    with no_notifications():
        created = _load_cases(now, users)
    return {
        "regional_centres": centres,
        "desk_teams": Team.objects.count(),
        "desk_cases": Case.objects.count(),
        "desk_cases_created": created,
    }


def _load_cases(now: dt.datetime, users: dict[str, Any]) -> int:
    created = 0
    for spec in CASES:
        received = now - dt.timedelta(days=spec.days_ago)
        if spec.channel in (Channel.PHONE_1379, Channel.PHONE_080, Channel.VISIT):
            actor = users["center"]
            centre = Organisation.objects.get(name=spec.centre)
        else:
            actor = users.get(spec.requester) if spec.requester else None
            centre = None
        with demo_clock(received):
            result = services.case_submit(
                actor=actor,
                data=spec.data,
                privacy_consent=True,
                channel=spec.channel,
                idempotency_key=spec.key,
                receiving_centre=centre,
            )
        if not result.created:
            continue
        created += 1
        _run_steps(spec, result.case, received, users)
    return created
