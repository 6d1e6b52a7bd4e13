"""One-stop support desk (원스톱 애로 해결): cases from every channel, their triage to a lead
research institute, the team that answers, the conversation, the SLA clock in Korean business
days, the resolution and the requester's satisfaction.

History lives in ``CaseEvent`` (an append-only timeline written by every service) plus the
shared audit log; django-simple-history is not used for cases.
"""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dure.core.models import AppendOnlyModel
from dure.core.validators import format_business_number

DESCRIPTION_MAX_LENGTH = 10_000
MESSAGE_MAX_LENGTH = 10_000


# --- Choices -----------------------------------------------------------------------------------


class Channel(models.TextChoices):
    WEB = "web", _("웹")
    PHONE_1379 = "phone_1379", _("1379 전화")
    PHONE_080 = "phone_080", _("080 전화")
    VISIT = "visit", _("지역센터 방문")
    API = "api", _("API")


STAFF_INTAKE_CHANNELS = frozenset({Channel.PHONE_1379, Channel.PHONE_080, Channel.VISIT})


class Category(models.TextChoices):
    TECH_TRANSFER = "tech_transfer", _("기술이전")
    RND_SHORT = "rnd_short", _("단기 R&D (3개월 이내)")
    RND_LONG = "rnd_long", _("장기 R&D (1년 이상)")
    INFORMATION = "information", _("정보제공")
    PERSONNEL = "personnel", _("인력교류")
    EQUIPMENT = "equipment", _("장비활용")
    CONSULTING = "consulting", _("컨설팅")
    EDUCATION = "education", _("교육")
    OTHER = "other", _("기타")


class CompanySize(models.TextChoices):
    MICRO = "micro", _("소상공인")
    SMALL = "small", _("소기업")
    MEDIUM = "medium", _("중기업")
    MIDSIZE = "midsize", _("중견기업")
    PRE_STARTUP = "pre_startup", _("예비창업자")
    OTHER = "other", _("기타")


class Priority(models.TextChoices):
    LOW = "low", _("낮음")
    NORMAL = "normal", _("보통")
    HIGH = "high", _("높음")
    URGENT = "urgent", _("긴급")


class Status(models.TextChoices):
    RECEIVED = "received", _("접수")
    TRIAGED = "triaged", _("분류 완료")
    ASSIGNED = "assigned", _("담당 배정")
    IN_PROGRESS = "in_progress", _("처리 중")
    WAITING = "waiting", _("요청자 답변 대기")
    RESOLVED = "resolved", _("해결")
    CLOSED = "closed", _("종료")


OPEN_STATUSES = frozenset(
    {Status.RECEIVED, Status.TRIAGED, Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING}
)
# Cases a researcher is working on (for balanced assignment: "fewest open cases").
WORKLOAD_STATUSES = frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING})


class Outcome(models.TextChoices):
    TECH_TRANSFER = "tech_transfer", _("기술이전 연계")
    RND_SHORT = "rnd_short", _("단기 R&D 기획")
    RND_LONG = "rnd_long", _("장기 R&D 기획")
    INFORMATION = "information", _("정보 제공")
    CONSULTING = "consulting", _("컨설팅·교육 제공")
    UNSOLVABLE = "unsolvable", _("해결 불가")


class SlaCategory(models.TextChoices):
    DEFAULT = "default", _("기본 (분류 전)")
    TECH_TRANSFER = Category.TECH_TRANSFER.value, Category.TECH_TRANSFER.label
    RND_SHORT = Category.RND_SHORT.value, Category.RND_SHORT.label
    RND_LONG = Category.RND_LONG.value, Category.RND_LONG.label
    INFORMATION = Category.INFORMATION.value, Category.INFORMATION.label
    PERSONNEL = Category.PERSONNEL.value, Category.PERSONNEL.label
    EQUIPMENT = Category.EQUIPMENT.value, Category.EQUIPMENT.label
    CONSULTING = Category.CONSULTING.value, Category.CONSULTING.label
    EDUCATION = Category.EDUCATION.value, Category.EDUCATION.label
    OTHER = Category.OTHER.value, Category.OTHER.label


def _choices_check(
    field: str, choices: type[models.TextChoices], name: str
) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


# --- Centres -----------------------------------------------------------------------------------


class DeskCentre(models.Model):
    """Desk settings of a support or regional centre: whether it is the national intake
    centre (its staff see and triage every case), who its manager is (SLA escalations go to
    them) and the address that receives its notices."""

    organisation = models.OneToOneField(
        "directory.Organisation",
        verbose_name=_("센터"),
        on_delete=models.CASCADE,
        related_name="desk_centre",
    )
    is_national_intake = models.BooleanField(
        _("전국 접수 센터"),
        default=False,
        help_text=_("직원이 모든 접수 건을 보고 분류할 수 있습니다 (예: 1379 통합 접수)."),
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("센터장 (에스컬레이션 수신)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    email = models.EmailField(_("알림 수신 주소"), blank=True)

    class Meta:
        verbose_name = _("상담 센터 설정")
        verbose_name_plural = _("상담 센터 설정")

    def __str__(self) -> str:
        return str(self.organisation)


# --- Numbering ---------------------------------------------------------------------------------


class CaseNumberCounter(models.Model):
    """The last case number handed out in a year. Incremented with ``UPDATE … SET last =
    last + 1`` inside the submitting transaction, so numbers have neither gaps nor
    duplicates."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("접수번호 카운터")
        verbose_name_plural = _("접수번호 카운터")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


# --- SLA policy --------------------------------------------------------------------------------


class SlaPolicy(models.Model):
    category = models.CharField(_("분류"), max_length=20, choices=SlaCategory.choices, unique=True)
    first_response_days = models.PositiveSmallIntegerField(_("첫 응답 목표 (영업일)"), default=3)
    resolution_days = models.PositiveSmallIntegerField(_("해결 목표 (영업일)"), default=20)

    class Meta:
        verbose_name = _("SLA 정책")
        verbose_name_plural = _("SLA 정책")
        ordering = ["category"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_days__gte=1) & Q(resolution_days__gte=1),
                name="desk_slapolicy_positive_targets",
            ),
            models.CheckConstraint(
                condition=Q(resolution_days__gte=models.F("first_response_days")),
                name="desk_slapolicy_resolution_after_first_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.first_response_days}/{self.resolution_days}"


# --- Teams ("one team, one SME") ---------------------------------------------------------------


class Team(models.Model):
    institute = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("연구기관"),
        on_delete=models.CASCADE,
        related_name="desk_teams",
    )
    name = models.CharField(_("팀 이름"), max_length=60)
    auto_assign = models.BooleanField(
        _("자동 배정"),
        default=False,
        help_text=_("담당자를 정하지 않으면 진행 중인 건이 가장 적은 팀원에게 배정합니다."),
    )
    is_active = models.BooleanField(_("사용"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="TeamMember",
        verbose_name=_("팀원"),
        related_name="desk_teams",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("전담팀")
        verbose_name_plural = _("전담팀")
        ordering = ["institute_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["institute", "name"], name="desk_team_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.institute.acronym or self.institute.name} · {self.name}"


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_team_memberships"
    )
    last_assigned_at = models.DateTimeField(_("마지막 배정"), null=True, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("팀원")
        verbose_name_plural = _("팀원")
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="desk_teammember_unique")
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.user}"


class CompanyTeam(models.Model):
    """The team an SME keeps at an institute (1기업 1전담팀): applied to the SME's later cases
    whose lead institute is that institute, until staff choose another team."""

    institute = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    business_number = models.CharField(_("사업자등록번호"), max_length=10, blank=True)
    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="desk_company_teams",
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="companies")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("기업 전담팀")
        verbose_name_plural = _("기업 전담팀")
        constraints = [
            models.UniqueConstraint(
                fields=["institute", "business_number"],
                condition=~Q(business_number=""),
                name="desk_companyteam_unique_business_number",
            ),
            models.UniqueConstraint(
                fields=["institute", "organisation"],
                condition=Q(organisation__isnull=False),
                name="desk_companyteam_unique_organisation",
            ),
            models.CheckConstraint(
                condition=~Q(business_number="") | Q(organisation__isnull=False),
                name="desk_companyteam_has_company",
            ),
            models.CheckConstraint(
                condition=Q(business_number="") | Q(business_number__regex=r"^[0-9]{10}$"),
                name="desk_companyteam_business_number_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.business_number or self.organisation_id} → {self.team}"


# --- Cases -------------------------------------------------------------------------------------


def new_status_secret() -> str:
    return secrets.token_urlsafe(24)


class Case(models.Model):
    number = models.CharField(_("접수번호"), max_length=16, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(_("접수 연도"), editable=False)
    sequence = models.PositiveIntegerField(_("연도별 순번"), editable=False)
    status = models.CharField(
        _("상태"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    channel = models.CharField(_("접수 경로"), max_length=12, choices=Channel.choices)
    received_at = models.DateTimeField(_("접수 일시"), default=timezone.now)
    receiving_centre = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("접수 센터"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="desk_received_cases",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("요청자 계정"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="desk_cases",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("대리 접수자"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("전화·방문 접수를 입력한 센터 직원"),
    )

    # The company
    company_name = models.CharField(_("기업명"), max_length=100)
    business_number = models.CharField(_("사업자등록번호"), max_length=10, blank=True)
    sido = models.ForeignKey(
        "directory.Sido",
        verbose_name=_("지역 (시도)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    sigungu = models.ForeignKey(
        "directory.Sigungu",
        verbose_name=_("시군구"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    industry = models.ForeignKey(
        "directory.IndustryClass",
        verbose_name=_("업종 (KSIC)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    company_size = models.CharField(
        _("기업 규모"), max_length=12, choices=CompanySize.choices, blank=True
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("기관 (디렉터리)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="desk_cases",
    )

    # Contact (minimal personal data)
    contact_name = models.CharField(_("담당자 이름"), max_length=60)
    contact_phone = models.CharField(_("연락처"), max_length=30, blank=True)
    contact_email = models.EmailField(_("이메일"), blank=True)

    # The request
    title = models.CharField(_("제목"), max_length=120)
    description = models.TextField(_("애로 내용"), max_length=DESCRIPTION_MAX_LENGTH)
    desired_support = models.JSONField(_("희망 지원"), default=list, blank=True)

    # Consent (개인정보 수집·이용 동의)
    consent_version = models.CharField(_("동의한 고지 버전"), max_length=20)
    consent_at = models.DateTimeField(_("동의 일시"))
    consent = models.ForeignKey(
        "accounts.Consent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # sha256 of the normalised submission the key was first used with ("" on cases from before
    # it was recorded): a retry with the same key and another body is refused.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="")
    status_secret = models.CharField(max_length=64, default=new_status_secret, editable=False)

    # Triage
    category = models.CharField(_("분류"), max_length=20, choices=Category.choices, blank=True)
    priority = models.CharField(
        _("우선순위"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    lead_institute = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("주관 연구기관"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="desk_lead_cases",
    )
    collaborating_institutes = models.ManyToManyField(
        "directory.Organisation",
        verbose_name=_("협력 연구기관"),
        blank=True,
        related_name="desk_collaborating_cases",
    )

    # Assignment
    team = models.ForeignKey(
        Team,
        verbose_name=_("전담팀"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("담당 연구원"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="desk_assigned_cases",
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CaseCollaborator",
        through_fields=("case", "user"),
        verbose_name=_("협업자"),
        related_name="desk_collaborations",
    )

    # Milestones and the SLA clock
    triaged_at = models.DateTimeField(_("분류 일시"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("배정 일시"), null=True, blank=True)
    started_at = models.DateTimeField(_("처리 시작"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("첫 응답"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("해결 일시"), null=True, blank=True)
    closed_at = models.DateTimeField(_("종료 일시"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("답변 대기 시작"), null=True, blank=True)
    first_response_due_at = models.DateTimeField(_("첫 응답 기한"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("해결 기한"), null=True, blank=True)
    first_response_warned_at = models.DateTimeField(null=True, blank=True)
    first_response_escalated_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_escalated_at = models.DateTimeField(null=True, blank=True)

    # Resolution (the latest; every resolution is a CaseResolution row)
    outcome = models.CharField(_("해결 결과"), max_length=20, choices=Outcome.choices, blank=True)
    resolution_count = models.PositiveSmallIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("애로 접수 건")
        verbose_name_plural = _("애로 접수 건")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["lead_institute", "status"]),
            models.Index(fields=["receiving_centre", "status"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["business_number"]),
            models.Index(fields=["first_response_due_at"]),
            models.Index(fields=["resolution_due_at"]),
            models.Index(fields=["category", "received_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="desk_case_unique_sequence"),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{4}-[0-9]{6,}$"), name="desk_case_number_format"
            ),
            models.CheckConstraint(
                condition=Q(
                    GreaterThanOrEqual(Length("description"), 1),
                    LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                ),
                name="desk_case_description_length",
            ),
            models.CheckConstraint(
                condition=Q(GreaterThanOrEqual(Length("company_name"), 1)),
                name="desk_case_company_name_present",
            ),
            models.CheckConstraint(
                condition=Q(business_number="") | Q(business_number__regex=r"^[0-9]{10}$"),
                name="desk_case_business_number_digits",
            ),
            models.CheckConstraint(
                condition=~Q(contact_phone="") | ~Q(contact_email=""),
                name="desk_case_contact_reachable",
            ),
            _choices_check("status", Status, "desk_case_status_valid"),
            _choices_check("channel", Channel, "desk_case_channel_valid"),
            models.CheckConstraint(
                condition=Q(status=Status.WAITING, waiting_since__isnull=False)
                | (~Q(status=Status.WAITING) & Q(waiting_since__isnull=True)),
                name="desk_case_waiting_since_iff_waiting",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[Status.RECEIVED, Status.CLOSED]) | ~Q(category=""),
                name="desk_case_triaged_has_category",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.ASSIGNED)
                | Q(team__isnull=False)
                | Q(assignee__isnull=False),
                name="desk_case_assigned_has_team_or_assignee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("desk:case_detail", kwargs={"number": self.number})

    @property
    def business_number_display(self) -> str:
        return format_business_number(self.business_number)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def routing_text(self) -> str:
        """What the routing recommender reads: the title (unless it merely repeats the start
        of the text) and the description."""
        if self.description.startswith(self.title.rstrip("…")):
            return self.description
        return f"{self.title}\n{self.description}"[:DESCRIPTION_MAX_LENGTH]


class CaseCollaborator(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="collaborator_links")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_collaborator_links"
    )
    institute = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("소속 기관"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("역할 메모"), max_length=100, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("협업자")
        verbose_name_plural = _("협업자")
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="desk_casecollaborator_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case.number} · {self.user}"


class CasePause(models.Model):
    """A stretch of time with the SLA clock stopped (waiting on the requester, or resolved
    until a reopening)."""

    class Reason(models.TextChoices):
        WAITING = "waiting", _("요청자 답변 대기")
        RESOLVED = "resolved", _("해결 후 재개 전")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SLA 정지 구간")
        verbose_name_plural = _("SLA 정지 구간")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(ended_at__isnull=True),
                name="desk_casepause_one_open_per_case",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="desk_casepause_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.reason} {self.started_at:%Y-%m-%d %H:%M}"


class CaseEvent(AppendOnlyModel):
    """The case's timeline: every service writes one row; rows are never changed."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("접수")
        TRIAGED = "triaged", _("분류")
        ASSIGNED = "assigned", _("배정")
        STARTED = "started", _("처리 시작")
        WAITING = "waiting", _("요청자 답변 대기")
        RESUMED = "resumed", _("처리 재개")
        RESOLVED = "resolved", _("해결")
        CLOSED = "closed", _("종료")
        REOPENED = "reopened", _("재개")
        MESSAGE = "message", _("메시지")
        NOTE = "note", _("내부 메모")
        FIRST_RESPONSE = "first_response", _("첫 응답")
        COLLABORATOR_ADDED = "collaborator_added", _("협업자 추가")
        COLLABORATOR_REMOVED = "collaborator_removed", _("협업자 제외")
        SLA_WARNING = "sla_warning", _("기한 임박 알림")
        ESCALATED = "escalated", _("센터장 보고")
        SURVEY = "survey", _("만족도 응답")
        LINK_ROTATED = "link_rotated", _("조회 링크 재발급")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("종류"), max_length=24, choices=Kind.choices)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)
    is_internal = models.BooleanField(
        _("내부용"), default=False, help_text=_("요청자에게 보이지 않는 기록")
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("처리 이력")
        verbose_name_plural = _("처리 이력")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"]), models.Index(fields=["kind", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class CaseMessage(models.Model):
    class AuthorKind(models.TextChoices):
        REQUESTER = "requester", _("요청자")
        CENTRE = "centre", _("센터")
        INSTITUTE = "institute", _("연구기관")
        COLLABORATOR = "collaborator", _("협업자")
        ADMIN = "admin", _("관리자")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author_kind = models.CharField(max_length=12, choices=AuthorKind.choices)
    via_status_link = models.BooleanField(_("조회 링크로 작성"), default=False)
    body = models.TextField(_("내용"), max_length=MESSAGE_MAX_LENGTH, blank=True)
    # Files sent without text (``services.case_attachments_add``): the body is then empty.
    files_only = models.BooleanField(_("파일만 보냄"), default=False)
    is_internal = models.BooleanField(_("내부 메모"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("메시지")
        verbose_name_plural = _("메시지")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(is_internal=True) & Q(author_kind="requester")),
                name="desk_casemessage_requester_never_internal",
            ),
            # Text, or (files sent without text) an empty body marked ``files_only``.
            models.CheckConstraint(
                condition=Q(
                    GreaterThanOrEqual(Length("body"), 1),
                    LessThanOrEqual(Length("body"), MESSAGE_MAX_LENGTH),
                    files_only=False,
                )
                | Q(files_only=True, body=""),
                name="desk_casemessage_body_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.author_kind} {self.created_at:%Y-%m-%d %H:%M}"


def desk_file_storage() -> FileSystemStorage:
    return DeskFileStorage()


class DeskFileStorage(FileSystemStorage):
    """Case attachments under ``<MEDIA_ROOT>/desk``. Dure never serves MEDIA_ROOT as static
    files (MOU documents live there too), so everything in it is private; these files are read
    through ``access.access_attachment`` only. Being under MEDIA_ROOT, ``dure backup`` covers
    them."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(Path(settings.MEDIA_ROOT) / "desk")

    @property  # type: ignore[override]
    def location(self) -> str:
        return str(Path(self.base_location).resolve())

    @property  # type: ignore[override]
    def base_url(self) -> None:
        return None


def attachment_path(instance: CaseAttachment, filename: str) -> str:
    now = timezone.localtime()
    return f"{now:%Y/%m}/{uuid.uuid4().hex}.{instance.kind or 'bin'}"


class AttachmentKind(models.TextChoices):
    PDF = "pdf", "PDF"
    HWP = "hwp", "HWP"
    HWPX = "hwpx", "HWPX"
    DOCX = "docx", "DOCX"
    XLSX = "xlsx", "XLSX"
    JPG = "jpg", "JPG"
    PNG = "png", "PNG"


class CaseAttachment(models.Model):
    Kind = AttachmentKind

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        CaseMessage,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(upload_to=attachment_path, storage=desk_file_storage, max_length=200)
    original_name = models.CharField(_("파일 이름"), max_length=120)
    kind = models.CharField(_("형식"), max_length=5, choices=Kind.choices)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("크기 (바이트)"))
    sha256 = models.CharField(max_length=64)
    is_internal = models.BooleanField(_("내부용"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via_status_link = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("첨부 파일")
        verbose_name_plural = _("첨부 파일")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__gte=1) & Q(size__lte=20 * 1024 * 1024),
                name="desk_caseattachment_size_limit",
            ),
            _choices_check("kind", AttachmentKind, "desk_caseattachment_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.original_name


class CaseResolution(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="resolutions")
    round = models.PositiveSmallIntegerField(_("차수"))
    outcome = models.CharField(_("결과"), max_length=20, choices=Outcome.choices)
    reason = models.TextField(_("해결 불가 사유"), max_length=2000, blank=True)
    summary = models.TextField(_("처리 내용 요약"), max_length=5000, blank=True)
    follow_up_url = models.URLField(_("후속 연계 링크"), max_length=300, blank=True)
    follow_up_reference = models.CharField(_("후속 연계 참조"), max_length=100, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField()
    business_days = models.FloatField(_("처리 기간 (영업일, 대기 제외)"))
    met_target = models.BooleanField(_("해결 기한 준수"))

    class Meta:
        verbose_name = _("해결 기록")
        verbose_name_plural = _("해결 기록")
        ordering = ["case_id", "round"]
        constraints = [
            models.UniqueConstraint(fields=["case", "round"], name="desk_caseresolution_round"),
            models.CheckConstraint(
                condition=~Q(outcome=Outcome.UNSOLVABLE) | ~Q(reason=""),
                name="desk_caseresolution_unsolvable_has_reason",
            ),
            _choices_check("outcome", Outcome, "desk_caseresolution_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} #{self.round} {self.outcome}"


class CaseSurvey(models.Model):
    """The requester's satisfaction with one resolution (once per resolution)."""

    resolution = models.OneToOneField(
        CaseResolution, on_delete=models.CASCADE, related_name="survey"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="surveys")
    rating = models.PositiveSmallIntegerField(_("만족도 (1–5)"))
    comment = models.TextField(_("의견"), max_length=2000, blank=True)
    via_status_link = models.BooleanField(default=False)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("만족도 조사")
        verbose_name_plural = _("만족도 조사")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="desk_casesurvey_rating_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.rating}"


class NotificationLog(models.Model):
    """One e-mail per (notice, recipient): sending again is a no-op (safe to run twice)."""

    key = models.CharField(max_length=80)
    recipient = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("알림 발송 기록")
        verbose_name_plural = _("알림 발송 기록")
        constraints = [
            models.UniqueConstraint(fields=["key", "recipient"], name="desk_notification_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.recipient}"
