"""Demo founding consultations at 과학기술인협동조합지원센터: one just asked for, one being
prepared (four founders so far, two sessions), and 세리오협동조합's, which ended as founded.
Idempotent: a consultation is found by its proposed name."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dure.directory.demo import CENTRE, SERIO
from dure.directory.models import Organisation, OrganisationKind, Sido

from .models import Consultation, Session, Stage, StageEvent, Topic

# proposed name, applicant, kind, sido, founders, stage, days ago, business, path of stages
CONSULTATIONS = [
    (
        "연구장비공유협동조합",
        "researcher",
        OrganisationKind.COOPERATIVE,
        "대전광역시",
        3,
        Stage.RECEIVED,
        2,
        "은퇴 연구자와 중소기업이 함께 시험·분석 장비를 공동으로 쓰고 유지보수하는 협동조합을 "
        "만들고 싶습니다.",
        [],
    ),
    (
        "돌봄나눔사회적협동조합",
        "member",
        OrganisationKind.SOCIAL_COOPERATIVE,
        "대전광역시",
        4,
        Stage.PREPARING,
        40,
        "맞벌이 가정의 초등 돌봄과 어르신 말벗 서비스를 지역 주민이 함께 운영하는 "
        "사회적협동조합을 준비하고 있습니다.",
        [Stage.CONSULTING, Stage.PREPARING],
    ),
    (
        SERIO,
        "coop",
        OrganisationKind.WORKER_COOPERATIVE,
        "",
        7,
        Stage.FOUNDED,
        400,
        "화학제품 중소기업의 연구부서 직원들이 독립해 직원협동조합으로 연구·생산을 이어 가려 합니다.",
        [Stage.CONSULTING, Stage.PREPARING, Stage.ASSEMBLY, Stage.FILING, Stage.FOUNDED],
    ),
]

SESSIONS = {
    "돌봄나눔사회적협동조합": [
        (
            35,
            Session.Mode.VISIT,
            [Topic.BUSINESS_PLAN],
            "돌봄 서비스의 수요와 이용료, 자원봉사와 유급 돌봄의 비율을 정리했습니다.",
            "주민 설명회를 열어 발기인을 더 모으기",
        ),
        (
            12,
            Session.Mode.ONLINE,
            [Topic.MEMBERS, Topic.ARTICLES],
            "사회적협동조합 표준정관으로 주 사업(지역사회 재생·돌봄)의 비율 요건을 확인했습니다.",
            "발기인 5명 이상 확보 후 창립총회 날짜 정하기",
        ),
    ],
}


@transaction.atomic
def load_demo() -> dict[str, int]:
    centre = Organisation.objects.filter(name=CENTRE).first()
    User = get_user_model()
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["researcher", "member", "coop", "center"])
    }
    if centre is None:
        return {"founding_consultations": 0}
    now = timezone.now()
    for name, username, kind, sido, founders, stage, days_ago, business, path in CONSULTATIONS:
        if username not in people or Consultation.objects.filter(proposed_name=name).exists():
            continue
        applicant = people[username]
        organisation = None
        if stage == Stage.FOUNDED:
            organisation = Organisation.objects.filter(name=name).first()
            if organisation is None:
                continue
        consultation = Consultation.objects.create(
            centre=centre,
            applicant=applicant,
            contact_name=applicant.display_name or applicant.username,
            proposed_name=name,
            kind=kind,
            sido=Sido.objects.filter(name=sido).first() if sido else None,
            business=business,
            founders=founders,
            stage=stage,
            consultant=people.get("center") if stage != Stage.RECEIVED else None,
            organisation=organisation,
        )
        Consultation.objects.filter(pk=consultation.pk).update(
            created_at=now - dt.timedelta(days=days_ago)
        )
        before = ""
        steps = [Stage.RECEIVED, *path]
        for index, step in enumerate(steps):
            event = StageEvent.objects.create(
                consultation=consultation,
                from_stage=before,
                to_stage=step,
                actor=applicant if step == Stage.RECEIVED else people.get("center"),
            )
            # Spread the steps over the consultation's life (demo data only: the events are
            # append-only for everything else).
            StageEvent.objects.filter(pk=event.pk).update(
                at=now - dt.timedelta(days=days_ago * (len(steps) - index) / len(steps))
            )
            before = step
        for days, mode, topics, summary, next_steps in SESSIONS.get(name, []):
            Session.objects.create(
                consultation=consultation,
                held_on=timezone.localdate() - dt.timedelta(days=days),
                mode=mode,
                topics=list(topics),
                summary=summary,
                next_steps=next_steps,
                internal_note="발기인 명단은 다음 상담 때 받기로 함" if days < 20 else "",
                counsellor=people.get("center"),
            )
    return {"founding_consultations": Consultation.objects.count()}
