"""Demo governance (called by dure.core.demo.load_all_demo): fast, idempotent, never crashes.

- 세리오협동조합, a worker cooperative whose every employee is a member: the demo users
  ``coop`` (이사장) and ``member`` plus six employees without accounts, equal shares, a board
  with terms, and an upcoming extraordinary assembly the chair has convened.
- 서울지역협동조합협의회's 9th ordinary assembly (31 March 2022, 서울혁신파크 상상청) with its
  seven items, held and closed, results computed by the rules, minutes drafted.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dure.directory.models import Organisation

from . import rules
from .models import (
    AgendaItem,
    Assembly,
    AssemblyKind,
    AssemblyStatus,
    Attendance,
    CheckInMethod,
    CoopSettings,
    DuesPayment,
    DuesSchedule,
    ItemStatus,
    Matter,
    Member,
    MemberKind,
    Minutes,
    Office,
    OfficerTerm,
    RecordingMode,
    ShareIssue,
    StakeholderType,
    Tally,
)
from .services import minutes_text

SERIO = "세리오협동조합"
COUNCIL = "서울지역협동조합협의회"
SERIO_EMPLOYEES = ["김연구", "박코팅", "이분석", "한세정", "오품질", "윤생산"]
COUNCIL_MEMBER_ORGS = [
    "마을발전소사회적협동조합",
    "우리동물병원생명사회적협동조합",
    "우리밀협동조합",
    "해피브릿지협동조합",
    "한지공예산업협동조합",
]
COUNCIL_MEMBERS = 40
COUNCIL_PRESENT = 27
NINTH_TITLE = "제9차 정기총회"
# (title, matter, is_report, (yes, no, abstain))
NINTH_ITEMS = [
    ("2021년 감사보고", Matter.AUDIT_REPORT, True, None),
    ("2021년 사업보고 및 결산 승인", Matter.FINANCIAL_STATEMENTS, False, (25, 0, 2)),
    ("2022년 사업계획 및 예산 승인", Matter.BUSINESS_PLAN, False, (24, 1, 2)),
    ("서울시협동조합지원센터 운영보고", Matter.OTHER, True, None),
    ("연회비·특별회비 결의", Matter.OTHER, False, (21, 3, 3)),
    ("회비 미납 회원 자격 상실의 건", Matter.OTHER, False, (19, 4, 4)),
    ("현장 소통 강화의 건", Matter.OTHER, False, (26, 0, 1)),
]


def _aware(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _serio(serio: Organisation) -> int:
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=["coop", "member"])}
    people = [
        ("최이사장", users.get("coop"), "coop@dure.example"),
        ("정조합원", users.get("member"), "member@dure.example"),
        *[(name, None, "") for name in SERIO_EMPLOYEES],
    ]
    existing = {m.number: m for m in Member.objects.filter(organisation=serio)}
    members = []
    for number, (name, user, email) in enumerate(people, start=1):
        member = existing.get(number)
        if member is None:
            member = Member.objects.create(
                organisation=serio,
                number=number,
                name=name,
                user=user,
                email=email,
                kind=MemberKind.PERSON,
                stakeholder_type=StakeholderType.WORKER,
                joined_on=dt.date(2015, 5, 11) if number <= 4 else dt.date(2019, 3, 2),
            )
        members.append(member)
    if not ShareIssue.objects.filter(member__organisation=serio).exists():
        ShareIssue.objects.bulk_create(
            [
                ShareIssue(
                    member=m,
                    count=20,
                    unit_price=50_000,
                    paid=True,
                    issued_on=m.joined_on,
                    paid_on=m.joined_on,
                )
                for m in members
            ]
        )
    if not OfficerTerm.objects.filter(member__organisation=serio).exists():
        start = dt.date(2024, 3, 25)
        end = dt.date(2028, 3, 24)
        OfficerTerm.objects.bulk_create(
            [
                OfficerTerm(member=members[0], office=Office.CHAIR, starts_on=start, ends_on=end),
                OfficerTerm(
                    member=members[2], office=Office.DIRECTOR, starts_on=start, ends_on=end
                ),
                OfficerTerm(
                    member=members[3], office=Office.DIRECTOR, starts_on=start, ends_on=end
                ),
                OfficerTerm(member=members[4], office=Office.AUDITOR, starts_on=start, ends_on=end),
            ]
        )
    schedule, _ = DuesSchedule.objects.get_or_create(
        organisation=serio, name="연회비", defaults={"amount": 60_000, "starts_year": 2024}
    )
    if not DuesPayment.objects.filter(schedule=schedule).exists():
        DuesPayment.objects.bulk_create(
            [
                DuesPayment(
                    schedule=schedule,
                    member=m,
                    year=year,
                    amount=schedule.amount,
                    paid_on=dt.date(year, 3, 31),
                )
                for m in members
                for year in (2024, 2025)
                if not (m.name == "윤생산" and year == 2025)  # one member in arrears
            ]
        )
    title = "2026년 임시총회"
    if not Assembly.objects.filter(organisation=serio, title=title).exists():
        meeting = timezone.localdate() + dt.timedelta(days=21)
        coop_user = users.get("coop")
        assembly = Assembly.objects.create(
            organisation=serio,
            kind=AssemblyKind.EXTRAORDINARY,
            title=title,
            scheduled_at=_aware(meeting, 18, 30),
            place="세리오협동조합 대덕 연구동 2층 회의실",
            purpose="신규 코팅 설비 투자와 정관 일부 변경을 의결합니다.",
            status=AssemblyStatus.CONVENED,
            board_decision="2026년 제3차 이사회 결의 (이사 3명 중 3명 찬성)",
            convened_on=timezone.localdate(),
            convened_by=coop_user,
        )
        for order, (item_title, matter) in enumerate(
            [
                ("신규 코팅 설비 투자 사업계획 승인", Matter.BUSINESS_PLAN),
                ("정관 일부 변경 (사업 목적 추가)", Matter.ARTICLES_AMENDMENT),
            ],
            start=1,
        ):
            AgendaItem.objects.create(
                assembly=assembly,
                order=order,
                title=item_title,
                matter=matter,
                resolution=rules.resolution_for(matter),
                recording_mode=RecordingMode.ELECTRONIC,
            )
    return len(members)


def _council(council: Organisation) -> int:
    existing = set(Member.objects.filter(organisation=council).values_list("number", flat=True))
    names = COUNCIL_MEMBER_ORGS + [
        f"서울 회원협동조합 {i:02d}"
        for i in range(1, COUNCIL_MEMBERS - len(COUNCIL_MEMBER_ORGS) + 1)
    ]
    Member.objects.bulk_create(
        [
            Member(
                organisation=council,
                number=number,
                name=name,
                kind=MemberKind.CORPORATE,
                stakeholder_type=StakeholderType.OTHER,
                joined_on=dt.date(2013, 6, 1) if number <= 20 else dt.date(2018, 2, 1),
            )
            for number, name in enumerate(names, start=1)
            if number not in existing
        ]
    )
    schedule, _ = DuesSchedule.objects.get_or_create(
        organisation=council, name="연회비", defaults={"amount": 300_000, "starts_year": 2021}
    )
    if Assembly.objects.filter(organisation=council, title=NINTH_TITLE).exists():
        return COUNCIL_MEMBERS
    members = list(Member.objects.filter(organisation=council).order_by("number"))
    DuesPayment.objects.bulk_create(
        [
            DuesPayment(
                schedule=schedule,
                member=m,
                year=2021,
                amount=schedule.amount,
                paid_on=dt.date(2021, 4, 30),
            )
            for m in members[:34]
        ],
        ignore_conflicts=True,
    )
    day = dt.date(2022, 3, 31)
    assembly = Assembly.objects.create(
        organisation=council,
        kind=AssemblyKind.ORDINARY,
        title=NINTH_TITLE,
        scheduled_at=_aware(day, 14),
        place="서울혁신파크 상상청",
        purpose="2021년 사업과 결산을 보고·승인하고 2022년 사업계획과 예산, 회비를 결의합니다.",
        status=AssemblyStatus.CLOSED,
        board_decision="2022년 제2차 이사회 결의",
        convened_on=dt.date(2022, 3, 10),
        voting_members=len(members),
        opened_at=_aware(day, 14),
        closed_at=_aware(day, 16, 30),
    )
    Attendance.objects.bulk_create(
        [
            Attendance(
                assembly=assembly,
                member=m,
                method=CheckInMethod.LIST,
                checked_in_at=_aware(day, 13, 50),
            )
            for m in members[:COUNCIL_PRESENT]
        ]
    )
    present = COUNCIL_PRESENT
    kind = assembly.rules_kind
    for order, (title, matter, is_report, counts) in enumerate(NINTH_ITEMS, start=1):
        resolution = rules.resolution_for(matter)
        item = AgendaItem(
            assembly=assembly,
            order=order,
            title=title,
            matter=matter,
            resolution=resolution,
            is_report=is_report,
            recording_mode=RecordingMode.TALLY,
            status=ItemStatus.CLOSED,
            closed_at=_aware(day, 14) + dt.timedelta(minutes=10 + order * 15),
        )
        if is_report:
            item.explanation = "보고 안건 (표결 없음)"
            item.save()
            continue
        yes, no, abstain = counts
        # The tally goes in while the item is open: the database refuses a tally for a
        # closed item (governance.triggers).
        closed_at = item.closed_at
        item.status, item.closed_at = ItemStatus.OPEN, None
        item.save()
        Tally.objects.create(item=item, yes=yes, no=no, abstain=abstain, entered_at=closed_at)
        need_present = rules.required_present(kind, len(members))
        need_yes = rules.required_yes(kind, resolution, present)
        item.present, item.yes, item.no, item.abstain = present, yes, no, abstain
        item.required_present, item.required_yes = need_present, need_yes
        item.passed = present >= need_present and yes >= need_yes
        item.explanation = rules.explain_vote(present, yes, resolution)
        item.status, item.closed_at = ItemStatus.CLOSED, closed_at
        item.save()
    Minutes.objects.create(assembly=assembly, version=1, body=minutes_text(assembly))
    return COUNCIL_MEMBERS


@transaction.atomic
def load_demo() -> dict[str, int]:
    orgs = {o.name: o for o in Organisation.objects.filter(name__in=[SERIO, COUNCIL])}
    counts = {"governance_members": 0}
    for org in orgs.values():
        CoopSettings.objects.get_or_create(organisation=org)
    if SERIO in orgs:
        counts["governance_members"] += _serio(orgs[SERIO])
        _serio_refund(orgs[SERIO])  # capital refunds (section at the end)
    if COUNCIL in orgs:
        counts["governance_members"] += _council(orgs[COUNCIL])
    return counts


# --- capital refunds ---------------------------------------------------------------------------

SERIO_LEAVER = "문지현"


def _serio_refund(serio: Organisation) -> None:
    """A former employee of 세리오 who withdrew on 31 August 2024 (20 shares of 50,000원, paid)
    and claimed the refund of 1,000,000원 on 14 February 2025 — awaiting the assembly's
    resolution and payment."""
    from .models import CapitalRefund, MemberStatus, RefundStatus
    from .services import capital_refund_open

    leaver = Member.objects.filter(organisation=serio, name=SERIO_LEAVER).first()
    if leaver is None:
        top = Member.objects.filter(organisation=serio).order_by("-number").first()
        leaver = Member.objects.create(
            organisation=serio,
            number=(top.number if top else 0) + 1,
            name=SERIO_LEAVER,
            kind=MemberKind.PERSON,
            stakeholder_type=StakeholderType.WORKER,
            joined_on=dt.date(2019, 3, 2),
            status=MemberStatus.WITHDRAWN,
            status_changed_on=dt.date(2024, 8, 31),
            status_reason="퇴사에 따른 탈퇴",
        )
        ShareIssue.objects.create(
            member=leaver,
            count=20,
            unit_price=50_000,
            paid=True,
            issued_on=leaver.joined_on,
            paid_on=leaver.joined_on,
        )
    if leaver.status == MemberStatus.ACTIVE:
        return
    refund = CapitalRefund.objects.filter(member=leaver).first() or capital_refund_open(
        actor=None, member=leaver
    )
    if refund.status == RefundStatus.PENDING and refund.claimable_from <= dt.date(2025, 2, 14):
        refund.status = RefundStatus.CLAIMED
        refund.claimed_on = dt.date(2025, 2, 14)
        refund.save(update_fields=["status", "claimed_on", "updated_at"])
