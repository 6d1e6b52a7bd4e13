"""Demo programmes of the support centres: upcoming ones open for registration (one of them
full, with a waiting list), an online briefing without a seat limit, a draft, and a past course
with its attendance. Dates are relative to today. Idempotent: a programme is found by its title.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dure.directory.demo import CENTRE
from dure.directory.models import Organisation, Sido

from .models import Program, ProgramKind, Registration

DAEJEON_CENTRE = "대전 협동조합 지원센터"

# title, host, kind, days from today, start hour, hours, venue (blank: online), sido name,
# capacity, fee, status, summary, audience
PROGRAMS = [
    (
        "협동조합 설립 기초 교육 (과학기술인 협동조합편)",
        CENTRE,
        ProgramKind.EDUCATION,
        21,
        14,
        3,
        "대전 유성구 과학기술인협동조합지원센터 2층 교육장",
        "대전광역시",
        30,
        0,
        Program.Status.PUBLISHED,
        "협동조합 기본법, 설립 절차(발기인 모집부터 설립 신고까지), 정관 작성과 창립총회 준비를 "
        "사례와 함께 배웁니다.",
        "협동조합 설립을 준비하는 연구자·기술인, 예비 조합원",
    ),
    (
        "출연연 기술사업화 포럼 — 휴면특허를 제품으로",
        CENTRE,
        ProgramKind.FORUM,
        35,
        13,
        4,
        "서울 중구 은행회관 2층 국제회의실",
        "서울특별시",
        120,
        0,
        Program.Status.PUBLISHED,
        "출연연 기술이전 담당자와 협동조합·중소기업이 휴면특허의 무상 이전과 경상기술료 계약 "
        "사례를 나눕니다.",
        "중소기업·협동조합 대표, 기술이전 담당자",
    ),
    (
        "기술은행 활용 설명회 (온라인)",
        CENTRE,
        ProgramKind.BRIEFING,
        10,
        15,
        1,
        "",
        "",
        None,
        0,
        Program.Status.PUBLISHED,
        "두레 기술은행에서 기술·장비·전문가를 찾고 기술이전과 인력교류를 신청하는 방법을 "
        "화면으로 안내합니다.",
        "",
    ),
    (
        "사회적협동조합 회계 실무 워크숍",
        DAEJEON_CENTRE,
        ProgramKind.WORKSHOP,
        14,
        10,
        6,
        "대전 중구 대전 협동조합 지원센터 세미나실",
        "대전광역시",
        2,
        20_000,
        Program.Status.PUBLISHED,
        "조합원 출자금과 배당, 적립금, 사업보고서 작성까지 소규모 실습으로 익힙니다 (자료비 포함).",
        "사회적협동조합 사무국장·회계 담당자",
    ),
    (
        "2027 상반기 협동조합 경영 컨설팅 상담회",
        CENTRE,
        ProgramKind.CONSULTATION_DAY,
        60,
        10,
        7,
        "대전 유성구 과학기술인협동조합지원센터 상담실",
        "대전광역시",
        16,
        0,
        Program.Status.DRAFT,
        "노무·세무·판로 전문가와 1:1로 상담합니다 (조합당 40분).",
        "설립 3년 이내 협동조합",
    ),
    (
        "협동조합 결산과 세무 신고 교육",
        CENTRE,
        ProgramKind.EDUCATION,
        -30,
        14,
        3,
        "대전 유성구 과학기술인협동조합지원센터 2층 교육장",
        "대전광역시",
        40,
        0,
        Program.Status.PUBLISHED,
        "결산 절차, 법인세 신고, 조합원 배당과 이용실적 배당의 세무 처리를 다룹니다.",
        "협동조합 임원·회계 담당자",
    ),
]

# title → (username, organisation name or "", status, attended)
REGISTRATIONS = {
    "협동조합 설립 기초 교육 (과학기술인 협동조합편)": [
        ("member", "세리오협동조합", Registration.Status.CONFIRMED, False),
        ("sme", "한빛정밀", Registration.Status.CONFIRMED, False),
    ],
    "사회적협동조합 회계 실무 워크숍": [
        ("coop", "세리오협동조합", Registration.Status.CONFIRMED, False),
        ("supplier", "", Registration.Status.CONFIRMED, False),
        ("member", "세리오협동조합", Registration.Status.WAITLISTED, False),
    ],
    "협동조합 결산과 세무 신고 교육": [
        ("coop", "세리오협동조합", Registration.Status.CONFIRMED, True),
        ("member", "세리오협동조합", Registration.Status.CONFIRMED, False),
    ],
}


@transaction.atomic
def load_demo() -> dict[str, int]:
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    hosts = {o.name: o for o in Organisation.objects.filter(name__in=[CENTRE, DAEJEON_CENTRE])}
    User = get_user_model()
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["member", "sme", "coop", "supplier", "center"])
    }
    created = 0
    for (
        title,
        host,
        kind,
        days,
        hour,
        hours,
        venue,
        sido,
        capacity,
        fee,
        status,
        summary,
        audience,
    ) in PROGRAMS:
        if host not in hosts or Program.objects.filter(title=title).exists():
            continue
        starts = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), tzinfo=tz)
        program = Program.objects.create(
            host=hosts[host],
            kind=kind,
            title=title,
            summary=summary,
            audience=audience,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=hours),
            registration_closes_at=starts - dt.timedelta(days=1),
            is_online=not venue,
            venue=venue,
            sido=Sido.objects.filter(name=sido).first() if sido else None,
            capacity=capacity,
            fee=fee,
            status=status,
            created_by=people.get("center"),
        )
        created += 1
        for offset, (username, org_name, reg_status, attended) in enumerate(
            REGISTRATIONS.get(title, [])
        ):
            if username not in people:
                continue
            at = min(starts, timezone.now()) - dt.timedelta(days=7 - offset)
            registration = Registration.objects.create(
                program=program,
                person=people[username],
                organisation=Organisation.objects.filter(name=org_name).first()
                if org_name
                else None,
                status=reg_status,
                attended=attended,
                confirmed_at=at if reg_status == Registration.Status.CONFIRMED else None,
            )
            Registration.objects.filter(pk=registration.pk).update(created_at=at)
        program.seats_taken = program.registrations.filter(
            status=Registration.Status.CONFIRMED
        ).count()
        program.save(update_fields=["seats_taken"])
    return {"programs": Program.objects.count(), "programs_created": created}
