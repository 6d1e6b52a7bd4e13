"""A cooperative's own democracy (협동조합 기본법): the member register with shares and dues,
assemblies and board meetings, agenda items with their resolution rule, attendance and
proxies, ballots and tallies, results frozen at close, minutes with signatures, expulsion
cases and officer terms.

Invariants that belong to one row or one table live here as database constraints (one
attendance per member per assembly, one ballot per member per item, a proxy represents one
member, a closed item's result never changes). The rules of the Act themselves live in
``rules.py``; the use cases that apply them, under row locks, in ``services.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dure.directory.models import Organisation

# --- settings per cooperative ------------------------------------------------------------------


class CoopSettings(models.Model):
    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="governance_settings"
    )
    remote_voting_enabled = models.BooleanField(
        _("원격 전자투표 허용"),
        default=False,
        help_text=_(
            "현행 협동조합 기본법과 주무부처 지침은 총회를 대면으로 열도록 하며 서면·전자 원격 "
            "투표를 규정하지 않습니다. 켜더라도 특별결의 안건에는 쓸 수 없습니다."
        ),
    )
    fiscal_year_end_month = models.PositiveSmallIntegerField(_("회계연도 종료 월"), default=12)
    delegate_cap = models.PositiveIntegerField(_("대의원 정수 상한"), default=100)

    class Meta:
        verbose_name = _("총회 운영 설정")
        verbose_name_plural = _("총회 운영 설정")
        constraints = [
            models.CheckConstraint(
                condition=Q(fiscal_year_end_month__gte=1, fiscal_year_end_month__lte=12),
                name="gov_settings_fiscal_month_range",
            )
        ]

    def __str__(self) -> str:
        return str(self.organisation)


# --- members -----------------------------------------------------------------------------------


class MemberKind(models.TextChoices):
    PERSON = "person", _("개인")
    CORPORATE = "corporate", _("법인")


class StakeholderType(models.TextChoices):
    PRODUCER = "producer", _("생산자")
    CONSUMER = "consumer", _("소비자")
    WORKER = "worker", _("직원")
    VOLUNTEER = "volunteer", _("자원봉사자")
    SPONSOR = "sponsor", _("후원자")
    OTHER = "other", _("기타")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("조합원")
    WITHDRAWN = "withdrawn", _("탈퇴")
    LOST_ELIGIBILITY = "lost_eligibility", _("자격 상실")
    EXPELLED = "expelled", _("제명")
    DECEASED = "deceased", _("사망")
    # A founding meeting's consenter (설립동의자, art. 15): a provisional register entry, not a
    # member yet — every "active member" query leaves them out; see ``FoundingConsent``.
    CONSENTER = "consenter", _("설립동의자")


class Member(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="coop_members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("계정"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coop_memberships",
    )
    number = models.PositiveIntegerField(_("조합원 번호"))
    kind = models.CharField(
        _("구분"), max_length=10, choices=MemberKind.choices, default=MemberKind.PERSON
    )
    name = models.CharField(_("성명·법인명"), max_length=100)
    stakeholder_type = models.CharField(
        _("이해관계자 유형"),
        max_length=12,
        choices=StakeholderType.choices,
        default=StakeholderType.CONSUMER,
    )
    joined_on = models.DateField(_("가입일"))
    status = models.CharField(
        _("상태"), max_length=20, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    status_changed_on = models.DateField(_("상태 변경일"), null=True, blank=True)
    status_reason = models.CharField(_("상태 변경 사유"), max_length=300, blank=True)
    email = models.EmailField(_("이메일"), blank=True)
    phone = models.CharField(_("전화"), max_length=30, blank=True)
    address = models.CharField(_("주소"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("조합원")
        verbose_name_plural = _("조합원")
        ordering = ["organisation", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="gov_member_unique_number"
            ),
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=Q(user__isnull=False),
                name="gov_member_one_record_per_account",
            ),
            models.CheckConstraint(
                condition=Q(status="active") | Q(status_changed_on__isnull=False),
                name="gov_member_left_has_date",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"

    def get_absolute_url(self) -> str:
        return reverse("governance:member_detail", args=[self.organisation_id, self.pk])

    @property
    def is_active(self) -> bool:
        return self.status == MemberStatus.ACTIVE


class ShareIssue(models.Model):
    """Shares subscribed by a member: count × unit price (원). Preferred shares carry no vote
    (art. 22의2④) and are outside the 30 % cap on ordinary shares (art. 22②)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="shares")
    count = models.PositiveIntegerField(_("좌수"))
    unit_price = models.BigIntegerField(_("1좌 금액 (원)"))
    preferred = models.BooleanField(_("우선출자"), default=False)
    paid = models.BooleanField(_("납입 완료"), default=False)
    issued_on = models.DateField(_("출자일"))
    paid_on = models.DateField(_("납입일"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("출자")
        verbose_name_plural = _("출자")
        ordering = ["issued_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(count__gt=0), name="gov_share_count_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gt=0), name="gov_share_unit_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.count}좌"

    @property
    def amount(self) -> int:
        return self.count * self.unit_price


class DuesSchedule(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="dues_schedules"
    )
    name = models.CharField(_("회비 이름"), max_length=60)
    amount = models.BigIntegerField(_("연 금액 (원)"))
    starts_year = models.PositiveIntegerField(_("시작 연도"))

    class Meta:
        verbose_name = _("회비 기준")
        verbose_name_plural = _("회비 기준")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="gov_dues_schedule_unique_name"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="gov_dues_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class DuesPayment(models.Model):
    schedule = models.ForeignKey(DuesSchedule, on_delete=models.PROTECT, related_name="payments")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues_payments")
    year = models.PositiveIntegerField(_("귀속 연도"))
    amount = models.BigIntegerField(_("금액 (원)"))
    paid_on = models.DateField(_("납부일"))

    class Meta:
        verbose_name = _("회비 납부")
        verbose_name_plural = _("회비 납부")
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "member", "year"], name="gov_dues_one_payment_per_year"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="gov_dues_paid_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.year}"


# --- assemblies --------------------------------------------------------------------------------


class AssemblyKind(models.TextChoices):
    FOUNDING = "founding", _("창립총회")
    ORDINARY = "ordinary", _("정기총회")
    EXTRAORDINARY = "extraordinary", _("임시총회")
    DELEGATE = "delegate", _("대의원총회")
    BOARD = "board", _("이사회")


# rules.py speaks of the kind of body that decides.
RULES_KIND = {
    AssemblyKind.FOUNDING: "founding",
    AssemblyKind.ORDINARY: "general",
    AssemblyKind.EXTRAORDINARY: "general",
    AssemblyKind.DELEGATE: "delegate",
    AssemblyKind.BOARD: "board",
}


class AssemblyStatus(models.TextChoices):
    DRAFT = "draft", _("준비 중")
    CONVENED = "convened", _("소집 결정")
    NOTICE_SENT = "notice_sent", _("소집 통지")
    IN_SESSION = "in_session", pgettext_lazy("assembly status", "개회")
    CLOSED = "closed", pgettext_lazy("assembly status", "폐회")


ASSEMBLY_TRANSITIONS: dict[str, set[str]] = {
    AssemblyStatus.DRAFT: {AssemblyStatus.CONVENED},
    AssemblyStatus.CONVENED: {AssemblyStatus.NOTICE_SENT, AssemblyStatus.IN_SESSION},
    AssemblyStatus.NOTICE_SENT: {AssemblyStatus.IN_SESSION},
    AssemblyStatus.IN_SESSION: {AssemblyStatus.CLOSED},
    AssemblyStatus.CLOSED: set(),
}


class Assembly(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="assemblies"
    )
    kind = models.CharField(_("회의 종류"), max_length=16, choices=AssemblyKind.choices)
    title = models.CharField(_("회의 이름"), max_length=150)
    scheduled_at = models.DateTimeField(_("일시"))
    place = models.CharField(_("장소"), max_length=200)
    purpose = models.TextField(_("소집 목적"), max_length=3000)
    status = models.CharField(
        _("상태"), max_length=12, choices=AssemblyStatus.choices, default=AssemblyStatus.DRAFT
    )
    board_decision = models.CharField(_("이사회 소집 결의"), max_length=300, blank=True)
    convened_on = models.DateField(_("소집 결정일"), null=True, blank=True)
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Frozen when the session opens: the number of voting members the quorum counts from
    # (for a delegate assembly, the delegates; for a board, the directors).
    voting_members = models.PositiveIntegerField(_("의결권 있는 구성원 수"), null=True, blank=True)
    opened_at = models.DateTimeField(_("개회 시각"), null=True, blank=True)
    closed_at = models.DateTimeField(_("폐회 시각"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("총회·이사회")
        verbose_name_plural = _("총회·이사회")
        ordering = ["-scheduled_at", "-id"]
        indexes = [models.Index(fields=["organisation", "scheduled_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("governance:assembly_detail", args=[self.pk])

    @property
    def rules_kind(self) -> str:
        return RULES_KIND[AssemblyKind(self.kind)]

    @property
    def is_board(self) -> bool:
        return self.kind == AssemblyKind.BOARD


class Notice(models.Model):
    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="notices")
    sent_at = models.DateTimeField(_("통지 일시"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    emailed = models.PositiveIntegerField(_("이메일 발송 수"), default=0)
    mailed = models.PositiveIntegerField(_("우편 발송 대상 수"), default=0)
    recipients = models.JSONField(_("받는 사람"), default=list)
    in_time = models.BooleanField(_("기한 안 통지"))
    body = models.TextField(_("통지문"))

    class Meta:
        verbose_name = _("소집 통지")
        verbose_name_plural = _("소집 통지")
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.assembly} {self.sent_at:%Y-%m-%d}"


class Matter(models.TextChoices):
    BUSINESS_PLAN = "business_plan", _("사업계획")
    BUDGET = "budget", _("예산")
    FINANCIAL_STATEMENTS = "financial_statements", _("결산")
    AUDIT_REPORT = "audit_report", _("감사보고")
    OFFICER_ELECTION = "officer_election", _("임원 선출")
    OFFICER_REMOVAL = "officer_removal", _("임원 해임")
    BYLAWS = "bylaws", _("규약·규정")
    OTHER = "other", _("기타")
    ARTICLES_AMENDMENT = "articles_amendment", _("정관 변경")
    MERGER = "merger", _("합병")
    SPLIT = "split", _("분할")
    DISSOLUTION = "dissolution", _("해산")
    EXPULSION = "expulsion", _("조합원 제명")
    CAPITAL_REFUND = "capital_refund", _("탈퇴·제명 조합원 지분 환급")
    PREFERRED_INVESTMENT = "preferred_investment", _("다른 협동조합 우선출자")


class Resolution(models.TextChoices):
    ORDINARY = "ordinary", _("보통결의")
    SPECIAL = "special", _("특별결의")


class RecordingMode(models.TextChoices):
    TALLY = "tally", _("집계 입력 (거수·종이 투표)")
    ELECTRONIC = "electronic", _("전자 투표 (현장)")


class ItemStatus(models.TextChoices):
    PENDING = "pending", _("대기")
    OPEN = "open", _("표결 중")
    CLOSED = "closed", pgettext_lazy("agenda item status", "마감")


# The result fields a closed item keeps for ever.
RESULT_FIELDS = (
    "present",
    "yes",
    "no",
    "abstain",
    "required_present",
    "required_yes",
    "passed",
    "explanation",
    "closed_at",
    "status",
)


class AgendaItem(models.Model):
    assembly = models.ForeignKey(Assembly, on_delete=models.PROTECT, related_name="items")
    order = models.PositiveSmallIntegerField(_("순서"))
    title = models.CharField(_("안건"), max_length=200)
    description = models.TextField(_("설명"), blank=True, max_length=5000)
    matter = models.CharField(_("의결 사항 유형"), max_length=24, choices=Matter.choices)
    resolution = models.CharField(_("결의 방법"), max_length=10, choices=Resolution.choices)
    is_report = models.BooleanField(
        _("보고 안건"), default=False, help_text=_("보고 안건은 표결하지 않습니다.")
    )
    secret_ballot = models.BooleanField(_("비밀투표"), default=False)
    recording_mode = models.CharField(
        _("표결 기록 방식"),
        max_length=10,
        choices=RecordingMode.choices,
        default=RecordingMode.TALLY,
    )
    remote_voting = models.BooleanField(_("원격 전자투표"), default=False)
    revote_of = models.ForeignKey(
        "self",
        verbose_name=_("재표결 대상 안건"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revotes",
    )
    status = models.CharField(
        _("상태"), max_length=8, choices=ItemStatus.choices, default=ItemStatus.PENDING
    )
    # Result, written once at close.
    present = models.PositiveIntegerField(_("출석"), null=True, blank=True)
    yes = models.PositiveIntegerField(_("찬성"), null=True, blank=True)
    no = models.PositiveIntegerField(_("반대"), null=True, blank=True)
    abstain = models.PositiveIntegerField(_("기권"), null=True, blank=True)
    required_present = models.PositiveIntegerField(_("의사정족수"), null=True, blank=True)
    required_yes = models.PositiveIntegerField(_("의결정족수"), null=True, blank=True)
    passed = models.BooleanField(_("가결"), null=True, blank=True)
    explanation = models.CharField(_("판단 근거"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("마감 시각"), null=True, blank=True)

    class Meta:
        verbose_name = _("안건")
        verbose_name_plural = _("안건")
        ordering = ["assembly", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assembly", "order"], name="gov_item_unique_order"),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(is_report=True) | Q(passed__isnull=False),
                name="gov_item_closed_has_result",
            ),
            models.CheckConstraint(
                condition=~Q(remote_voting=True) | Q(resolution="ordinary"),
                name="gov_item_remote_only_ordinary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    def save(self, *args, **kwargs) -> None:
        # A closed item's result is the record of the assembly: nobody rewrites it, through a
        # service, the admin or a shell. A re-vote is a new item.
        if self.pk:
            fields = [f.attname for f in self._meta.concrete_fields]
            stored = AgendaItem.objects.filter(pk=self.pk).values(*fields).first()
            if stored and stored["status"] == ItemStatus.CLOSED:
                if any(stored[f] != getattr(self, f) for f in fields):
                    raise ValidationError(
                        _("마감된 안건의 결과는 바꿀 수 없습니다. 재표결은 새 안건으로 올리세요."),
                        code="item_closed",
                    )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("governance:item_vote", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status == ItemStatus.CLOSED


class Candidate(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="candidates")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT)
    name = models.CharField(_("후보자"), max_length=100)
    office = models.CharField(_("직위"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("후보자")
        verbose_name_plural = _("후보자")
        constraints = [
            models.UniqueConstraint(fields=["item", "name"], name="gov_candidate_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


# --- at the meeting ----------------------------------------------------------------------------


class Proxy(models.Model):
    """A written authorisation: ``proxy_member`` (another member) or a cohabiting family member
    (``proxy_name``) votes for ``member`` (art. 23②–④)."""

    assembly = models.ForeignKey(Assembly, on_delete=models.PROTECT, related_name="proxies")
    member = models.ForeignKey(
        Member, verbose_name=_("위임한 조합원"), on_delete=models.PROTECT, related_name="+"
    )
    proxy_member = models.ForeignKey(
        Member,
        verbose_name=_("대리인 (조합원)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proxies_held",
    )
    proxy_name = models.CharField(_("대리인 성명"), max_length=100)
    cohabiting_family = models.BooleanField(_("동거 가족"), default=False)
    authorisation_file = models.FileField(
        _("위임장 파일"), upload_to="governance/proxies/%Y/", blank=True
    )
    authorisation_reference = models.CharField(_("위임장 접수 기록"), max_length=200, blank=True)
    registered_at = models.DateTimeField(auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("대리인")
        verbose_name_plural = _("대리인")
        constraints = [
            models.UniqueConstraint(fields=["assembly", "member"], name="gov_proxy_one_per_member"),
            # A proxy represents only one member (art. 23③).
            models.UniqueConstraint(
                fields=["assembly", "proxy_member"],
                condition=Q(proxy_member__isnull=False),
                name="gov_proxy_member_represents_one",
            ),
            models.UniqueConstraint(
                fields=["assembly", "proxy_name"],
                condition=Q(proxy_member__isnull=True),
                name="gov_proxy_family_represents_one",
            ),
            models.CheckConstraint(
                condition=Q(proxy_member__isnull=False) | Q(cohabiting_family=True),
                name="gov_proxy_member_or_family",
            ),
            models.CheckConstraint(
                condition=~Q(authorisation_file="") | ~Q(authorisation_reference=""),
                name="gov_proxy_has_authorisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.name} → {self.proxy_name}"


class CheckInMethod(models.TextChoices):
    LIST = "list", _("명부 확인")
    QR = "qr", _("QR 코드")
    PROXY = "proxy", _("대리 출석")
    REMOTE = "remote", _("원격")


class Attendance(models.Model):
    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attendances")
    method = models.CharField(_("확인 방법"), max_length=8, choices=CheckInMethod.choices)
    proxy = models.OneToOneField(Proxy, null=True, blank=True, on_delete=models.PROTECT)
    checked_in_at = models.DateTimeField(_("출석 시각"))
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("출석")
        verbose_name_plural = _("출석")
        constraints = [
            models.UniqueConstraint(
                fields=["assembly", "member"], name="gov_attendance_once_per_member"
            ),
            models.CheckConstraint(
                condition=~Q(method="proxy") | Q(proxy__isnull=False),
                name="gov_attendance_proxy_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.assembly}"


class Choice(models.TextChoices):
    YES = "yes", _("찬성")
    NO = "no", _("반대")
    ABSTAIN = "abstain", _("기권")


class BallotReceipt(models.Model):
    """Who voted on an item: one row per member per item, for open and secret ballots alike.
    What they voted is in ``Ballot``; for a secret item the ballot row has no member."""

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="receipts")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    cast_at = models.DateTimeField()
    by_proxy = models.BooleanField(default=False)
    remote = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("투표 확인")
        verbose_name_plural = _("투표 확인")
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="gov_ballot_once_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.item}"


class Ballot(models.Model):
    # A random key: with sequential ids the n-th ballot of a secret item could be matched to
    # the n-th receipt (who voted) by insertion order.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="ballots")
    # Only for open ballots; a secret ballot never names its member (nor a time to match it).
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    choice = models.CharField(_("선택"), max_length=8, choices=Choice.choices)
    candidate = models.ForeignKey(Candidate, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("투표")
        verbose_name_plural = _("투표")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "member"],
                condition=Q(member__isnull=False),
                name="gov_open_ballot_once_per_member",
            )
        ]
        indexes = [models.Index(fields=["item", "choice"])]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.choice}"


class Tally(models.Model):
    """Counts entered by the secretary (show of hands or paper ballots)."""

    item = models.OneToOneField(AgendaItem, on_delete=models.PROTECT, related_name="tally")
    yes = models.PositiveIntegerField(_("찬성"))
    no = models.PositiveIntegerField(_("반대"))
    abstain = models.PositiveIntegerField(_("기권"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField()

    class Meta:
        verbose_name = _("집계")
        verbose_name_plural = _("집계")

    def __str__(self) -> str:
        return f"{self.item}: {self.yes}/{self.no}/{self.abstain}"


# --- minutes -----------------------------------------------------------------------------------


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", _("작성 중")
    LOCKED = "locked", pgettext_lazy("minutes status", "확정")


class Minutes(models.Model):
    assembly = models.ForeignKey(Assembly, on_delete=models.PROTECT, related_name="minutes")
    version = models.PositiveSmallIntegerField(_("판"))
    body = models.TextField(_("의사록"), max_length=50000)
    status = models.CharField(
        _("상태"), max_length=8, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT
    )
    amends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    locked_at = models.DateTimeField(_("확정 시각"), null=True, blank=True)

    class Meta:
        verbose_name = _("의사록")
        verbose_name_plural = _("의사록")
        ordering = ["assembly", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["assembly", "version"], name="gov_minutes_unique_version"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(locked_at__isnull=False),
                name="gov_minutes_locked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assembly} 의사록 제{self.version}판"

    def save(self, *args, **kwargs) -> None:
        if self.pk:
            stored = Minutes.objects.filter(pk=self.pk).values("status", "body").first()
            if stored and stored["status"] == MinutesStatus.LOCKED:
                raise ValidationError(
                    _("확정된 의사록은 고칠 수 없습니다. 새 판으로 수정하세요."),
                    code="minutes_locked",
                )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("governance:minutes_detail", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        return self.status == MinutesStatus.LOCKED


class SignerRole(models.TextChoices):
    CHAIR = "chair", _("의장")
    MEMBER = "member", _("선출된 조합원")


class MinutesSignature(models.Model):
    minutes = models.ForeignKey(Minutes, on_delete=models.PROTECT, related_name="signatures")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("서명 자격"), max_length=8, choices=SignerRole.choices)
    signed_at = models.DateTimeField(_("서명 시각"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body_digest = models.CharField(_("서명한 본문 해시"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("의사록 서명")
        verbose_name_plural = _("의사록 서명")
        constraints = [
            models.UniqueConstraint(fields=["minutes", "member"], name="gov_signature_once"),
            models.UniqueConstraint(
                fields=["minutes"], condition=Q(role="chair"), name="gov_signature_one_chair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} · {self.member.name}"


# --- expulsion, officers -----------------------------------------------------------------------


class ExpulsionGround(models.TextChoices):
    NON_USE = "non_use", _("정관으로 정한 기간 이상 사업 미이용")
    UNPAID = "unpaid", _("출자금·경비 미납")
    ARTICLES = "articles", _("정관으로 정한 그 밖의 사유")


class ExpulsionStatus(models.TextChoices):
    OPEN = "open", _("진행 중")
    NOTIFIED = "notified", _("사유 통지")
    EXPELLED = "expelled", _("제명 의결")
    REJECTED = "rejected", _("부결")
    WITHDRAWN = "withdrawn", _("취하")


class ExpulsionCase(models.Model):
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="expulsion_cases")
    ground = models.CharField(_("제명 사유"), max_length=10, choices=ExpulsionGround.choices)
    detail = models.TextField(_("사유 내용"), max_length=3000)
    status = models.CharField(
        _("상태"), max_length=10, choices=ExpulsionStatus.choices, default=ExpulsionStatus.OPEN
    )
    assembly = models.ForeignKey(
        Assembly, null=True, blank=True, on_delete=models.PROTECT, related_name="expulsions"
    )
    item = models.OneToOneField(
        AgendaItem, null=True, blank=True, on_delete=models.PROTECT, related_name="expulsion"
    )
    reasons_notified_on = models.DateField(_("사유 통지일"), null=True, blank=True)
    hearing_record = models.TextField(_("의견 진술 기록"), blank=True, max_length=5000)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("제명 절차")
        verbose_name_plural = _("제명 절차")

    def __str__(self) -> str:
        return f"{self.member} ({self.get_status_display()})"


class Office(models.TextChoices):
    CHAIR = "chair", _("이사장")
    DIRECTOR = "director", _("이사")
    AUDITOR = "auditor", _("감사")


class OfficerTerm(models.Model):
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="officer_terms")
    office = models.CharField(_("직위"), max_length=10, choices=Office.choices)
    starts_on = models.DateField(_("임기 시작"))
    ends_on = models.DateField(_("임기 종료"))
    elected_by = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("임원 임기")
        verbose_name_plural = _("임원 임기")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="gov_term_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member.name} {self.get_office_display()}"


# --- capital refunds ---------------------------------------------------------------------------
# A departed member's refund of capital (arts. 26–27; the window is ``rules.capital_refund_window``).
# Appended as one section so it merges cleanly with other work on this file.


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("청구 전")
    CLAIMED = "claimed", _("청구됨")
    PAID = "paid", _("지급 완료")
    LAPSED = "lapsed", _("시효 소멸")


class RefundPaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("계좌 이체")
    CASH = "cash", _("현금")
    OTHER = "other", _("기타")


# The statuses that end membership, and so open a refund.
DEPARTED_STATUSES = (
    MemberStatus.WITHDRAWN,
    MemberStatus.EXPELLED,
    MemberStatus.DECEASED,
    MemberStatus.LOST_ELIGIBILITY,
)


class CapitalRefund(models.Model):
    """What the cooperative owes a member who left: their paid-in capital (ordinary and
    preferred shares actually paid; subscribed but unpaid shares are not refunded), less an
    optional deduction for their share of losses (art. 27), claimable from the first day of
    the next fiscal year until the claim lapses 2 years later (art. 26②).

    ``lapses_on`` is the first day on which the claim is gone (the last day to claim is the day
    before). The window and the amounts are fixed when the refund is opened; one refund per
    departure (a member leaves once: the register has no way back to active)."""

    member = models.ForeignKey(
        Member, verbose_name=_("조합원"), on_delete=models.PROTECT, related_name="capital_refunds"
    )
    departure = models.CharField(
        _("탈퇴 구분"),
        max_length=20,
        choices=[(s.value, s.label) for s in DEPARTED_STATUSES],
    )
    left_on = models.DateField(_("탈퇴일"))
    ordinary_amount = models.BigIntegerField(_("납입 출자금 (원)"))
    preferred_amount = models.BigIntegerField(_("납입 우선출자금 (원)"))
    amount = models.BigIntegerField(_("환급 대상 금액 (원)"))
    deduction = models.BigIntegerField(_("공제액 (원)"), default=0)
    deduction_reason = models.CharField(_("공제 사유"), max_length=300, blank=True)
    claimable_from = models.DateField(_("청구 가능일"))
    lapses_on = models.DateField(_("청구권 소멸일"))
    status = models.CharField(
        _("상태"), max_length=8, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    claimed_on = models.DateField(_("청구일"), null=True, blank=True)
    claimant = models.CharField(
        _("청구인"), max_length=100, blank=True, help_text=_("본인이 아니면 (예: 상속인) 성명")
    )
    resolution_item = models.ForeignKey(
        AgendaItem,
        verbose_name=_("환급 의결 안건"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="capital_refunds",
    )
    paid_on = models.DateField(_("지급일"), null=True, blank=True)
    payment_method = models.CharField(
        _("지급 방법"), max_length=16, choices=RefundPaymentMethod.choices, blank=True
    )
    payment_reference = models.CharField(_("지급 기록 (이체 번호 등)"), max_length=200, blank=True)
    lapsed_on = models.DateField(_("소멸 처리일"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("출자금 환급")
        verbose_name_plural = _("출자금 환급")
        ordering = ["claimable_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "left_on"], name="gov_refund_one_per_departure"
            ),
            models.CheckConstraint(
                condition=Q(ordinary_amount__gte=0, preferred_amount__gte=0, deduction__gte=0),
                name="gov_refund_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount=models.F("ordinary_amount") + models.F("preferred_amount")),
                name="gov_refund_amount_is_paid_in",
            ),
            models.CheckConstraint(
                condition=Q(deduction__lte=models.F("amount")),
                name="gov_refund_deduction_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(deduction=0) | ~Q(deduction_reason=""),
                name="gov_refund_deduction_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(lapses_on__gt=models.F("claimable_from"))
                & Q(claimable_from__gt=models.F("left_on")),
                name="gov_refund_window_order",
            ),
            # A claim lies inside the window: from claimable_from, before lapses_on.
            models.CheckConstraint(
                condition=Q(claimed_on__isnull=True)
                | Q(
                    claimed_on__gte=models.F("claimable_from"),
                    claimed_on__lt=models.F("lapses_on"),
                ),
                name="gov_refund_claim_in_window",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", claimed_on__isnull=True, paid_on__isnull=True)
                | Q(status="claimed", claimed_on__isnull=False, paid_on__isnull=True)
                | Q(
                    status="paid",
                    claimed_on__isnull=False,
                    paid_on__gte=models.F("claimed_on"),
                    resolution_item__isnull=False,
                )
                & ~Q(payment_method="")
                | Q(
                    status="lapsed",
                    claimed_on__isnull=True,
                    paid_on__isnull=True,
                    lapsed_on__gte=models.F("lapses_on"),
                ),
                name="gov_refund_status_fields",
            ),
        ]
        indexes = [models.Index(fields=["status", "lapses_on"])]

    def __str__(self) -> str:
        return f"{self.member} {self.net:,}원"

    def get_absolute_url(self) -> str:
        return reverse("governance:refund_detail", args=[self.pk])

    @property
    def net(self) -> int:
        return self.amount - self.deduction

    @property
    def claim_deadline(self) -> dt.date:
        """The last day a claim is accepted."""
        return self.lapses_on - dt.timedelta(days=1)

    def stage(self, today: dt.date) -> str:
        """What the record means today: ``waiting`` (not yet claimable), ``claimable``,
        ``claimed``, ``paid`` or ``lapsed`` (marked, or due to be marked)."""
        if self.status == RefundStatus.PENDING:
            if today < self.claimable_from:
                return "waiting"
            return "claimable" if today < self.lapses_on else "lapsed"
        return str(self.status)

    @property
    def current_stage(self) -> str:
        from django.utils import timezone

        return self.stage(timezone.localdate())

    @property
    def current_stage_label(self) -> str:
        return str(REFUND_STAGE_LABELS[self.current_stage])


REFUND_STAGE_LABELS = {
    "waiting": _("청구 가능일 전"),
    "claimable": _("청구 가능"),
    "claimed": _("청구됨 (지급 대기)"),
    "paid": _("지급 완료"),
    "lapsed": _("시효 소멸"),
}


# --- delegates (대의원, art. 31, Decree art. 9) --------------------------------------------------


class DelegateElectionMethod(models.TextChoices):
    ASSEMBLY = "assembly", _("총회 선출")
    DISTRICT = "district", _("선거구별 선출")
    OTHER = "other", _("정관으로 정한 그 밖의 방법")


class Delegate(models.Model):
    """A member's term as a delegate (대의원). In office on a day ``d`` when
    ``starts_on ≤ d ≤ ends_on``, the member is still active and they have not left early
    (``left_on`` is the first day out of office)."""

    member = models.ForeignKey(
        Member, verbose_name=_("대의원"), on_delete=models.PROTECT, related_name="delegate_terms"
    )
    method = models.CharField(
        _("선출 방법"),
        max_length=10,
        choices=DelegateElectionMethod.choices,
        default=DelegateElectionMethod.ASSEMBLY,
    )
    elected_on = models.DateField(_("선출일"))
    elected_at = models.ForeignKey(
        Assembly,
        verbose_name=_("선출한 총회"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="delegates_elected",
    )
    district = models.CharField(_("선거구"), max_length=60, blank=True)
    starts_on = models.DateField(_("임기 시작"))
    ends_on = models.DateField(_("임기 종료"))
    left_on = models.DateField(_("퇴임일"), null=True, blank=True)
    end_reason = models.CharField(_("퇴임 사유"), max_length=200, blank=True)
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("보궐 대상 대의원"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("대의원")
        verbose_name_plural = _("대의원")
        ordering = ["-starts_on", "member__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "starts_on"], name="gov_delegate_one_term_per_start"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="gov_delegate_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True)
                | Q(left_on__gte=models.F("starts_on"), left_on__lte=models.F("ends_on")),
                name="gov_delegate_left_within_term",
            ),
            models.CheckConstraint(
                condition=~Q(method="district") | ~Q(district=""),
                name="gov_delegate_district_named",
            ),
        ]
        indexes = [models.Index(fields=["starts_on", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.member.name} ({self.starts_on}~{self.ends_on})"

    def in_office_on(self, day) -> bool:
        return (
            self.starts_on <= day <= self.ends_on
            and (self.left_on is None or day < self.left_on)
            and self.member.status == MemberStatus.ACTIVE
        )


# --- founding meeting (창립총회, art. 15, Decree art. 6; social cooperatives art. 85) ----------


class Founder(models.Model):
    """A founder (발기인) of the cooperative a founding meeting establishes: at least 5
    (art. 15①); a social cooperative's include two kinds of stakeholder (Decree art. 19)."""

    assembly = models.ForeignKey(Assembly, on_delete=models.PROTECT, related_name="founders")
    name = models.CharField(_("발기인 성명·법인명"), max_length=100)
    stakeholder_type = models.CharField(
        _("이해관계자 유형"), max_length=12, choices=StakeholderType.choices
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("발기인")
        verbose_name_plural = _("발기인")
        ordering = ["assembly", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assembly", "name"], name="gov_founder_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class FoundingConsent(models.Model):
    """A consent form (설립동의서) submitted for a founding meeting. The consenter is a
    provisional register entry (``Member`` with status ``consenter``) so that check-in,
    proxies, tallies and minutes work as at any assembly; the quorum counts these forms."""

    assembly = models.ForeignKey(Assembly, on_delete=models.PROTECT, related_name="consents")
    member = models.ForeignKey(
        Member, verbose_name=_("설립동의자"), on_delete=models.PROTECT, related_name="consents"
    )
    submitted_on = models.DateField(_("제출일"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("설립동의서")
        verbose_name_plural = _("설립동의서")
        ordering = ["assembly", "submitted_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assembly", "member"], name="gov_consent_once_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member.name} ({self.submitted_on})"
