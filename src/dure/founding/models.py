"""Founding consultations: people who want to found a cooperative ask a support centre for
help, and the centre's consultants walk them through it — counselling sessions, the founders
and the articles, the founding meeting, the report to the governor (or the minister's
authorisation for a social cooperative) — until the cooperative exists in the directory.

The stage moves only through ``services.consultation_move``, which checks the allowed step and
writes a ``StageEvent`` (append-only: never changed or deleted).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dure.core.models import AppendOnlyModel
from dure.directory.models import Organisation, OrganisationKind, Sido

# The kinds one founds (a council is an association of cooperatives, not founded this way).
FOUNDABLE_KINDS = (
    OrganisationKind.COOPERATIVE,
    OrganisationKind.SOCIAL_COOPERATIVE,
    OrganisationKind.WORKER_COOPERATIVE,
    OrganisationKind.FEDERATION,
)


class Stage(models.TextChoices):
    RECEIVED = "received", _("접수")
    CONSULTING = "consulting", _("상담 중")
    PREPARING = "preparing", _("설립 준비")
    ASSEMBLY = "assembly", _("창립총회")
    FILING = "filing", _("신고·인가 신청")
    FOUNDED = "founded", _("설립 완료")
    WITHDRAWN = "withdrawn", _("중단")


# Where a consultation may go from each stage: forward one step, back one step where work has
# to be redone (the articles after a failed founding meeting, a refused report), withdrawn from
# any open stage, and a withdrawn one reopened.
TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.RECEIVED: frozenset({Stage.CONSULTING, Stage.WITHDRAWN}),
    Stage.CONSULTING: frozenset({Stage.PREPARING, Stage.WITHDRAWN}),
    Stage.PREPARING: frozenset({Stage.ASSEMBLY, Stage.CONSULTING, Stage.WITHDRAWN}),
    Stage.ASSEMBLY: frozenset({Stage.FILING, Stage.PREPARING, Stage.WITHDRAWN}),
    Stage.FILING: frozenset({Stage.FOUNDED, Stage.ASSEMBLY, Stage.WITHDRAWN}),
    Stage.FOUNDED: frozenset(),
    Stage.WITHDRAWN: frozenset({Stage.CONSULTING}),
}
OPEN_STAGES = frozenset(
    {Stage.RECEIVED, Stage.CONSULTING, Stage.PREPARING, Stage.ASSEMBLY, Stage.FILING}
)


class Topic(models.TextChoices):
    BUSINESS_PLAN = "business_plan", _("사업계획")
    MEMBERS = "members", _("발기인·조합원 모집")
    ARTICLES = "articles", _("정관 작성")
    FOUNDING_MEETING = "founding_meeting", _("창립총회 준비")
    FILING = "filing", _("설립신고·인가 서류")
    CAPITAL = "capital", _("출자금")
    ACCOUNTING = "accounting", _("회계·세무")
    OTHER = "other", _("기타")


class Consultation(models.Model):
    centre = models.ForeignKey(
        Organisation,
        verbose_name=_("상담 기관"),
        on_delete=models.PROTECT,
        related_name="founding_consultations",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("신청자"),
        on_delete=models.PROTECT,
        related_name="founding_consultations",
    )
    contact_name = models.CharField(_("신청자 이름"), max_length=50)
    contact_phone = models.CharField(_("연락처"), max_length=30, blank=True)
    proposed_name = models.CharField(_("설립하려는 협동조합 이름"), max_length=100)
    kind = models.CharField(
        _("협동조합 유형"),
        max_length=24,
        choices=[(k.value, k.label) for k in FOUNDABLE_KINDS],
    )
    sido = models.ForeignKey(
        Sido, verbose_name=_("지역 (시도)"), null=True, blank=True, on_delete=models.PROTECT
    )
    business = models.TextField(_("하려는 사업"), max_length=3000)
    founders = models.PositiveSmallIntegerField(_("모인 발기인 수"), default=1)
    stage = models.CharField(
        _("단계"), max_length=12, choices=Stage.choices, default=Stage.RECEIVED
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("담당 상담사"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("설립된 협동조합"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A retried request (a double click, a client's retry) returns this consultation instead
    # of making a second one: the key's digest and the request's fingerprint (core.idempotency).
    idempotency_key = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("신청 일시"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("설립 상담")
        verbose_name_plural = _("설립 상담")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["centre", "stage", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage="founded", organisation__isnull=False) | ~Q(stage="founded"),
                name="founding_founded_names_its_cooperative",
            ),
            models.CheckConstraint(
                condition=Q(founders__gte=1), name="founding_at_least_one_founder"
            ),
            # A cooperative is founded once: one consultation names it.
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(organisation__isnull=False),
                name="founding_one_consultation_per_cooperative",
            ),
        ]

    def __str__(self) -> str:
        return self.proposed_name

    def get_absolute_url(self) -> str:
        return reverse("founding:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class Session(models.Model):
    """One counselling session. ``summary`` and ``next_steps`` are shared with the applicant;
    ``internal_note`` is for the centre's staff only."""

    class Mode(models.TextChoices):
        VISIT = "visit", _("방문")
        PHONE = "phone", _("전화")
        ONLINE = "online", _("온라인")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="sessions"
    )
    held_on = models.DateField(_("상담일"))
    mode = models.CharField(_("방식"), max_length=8, choices=Mode.choices)
    topics = models.JSONField(_("주제"), default=list)
    summary = models.TextField(_("상담 내용"), max_length=2000)
    next_steps = models.CharField(_("다음 할 일"), max_length=500, blank=True)
    internal_note = models.TextField(_("내부 메모 (직원만)"), max_length=2000, blank=True)
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("상담사"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("상담 기록")
        verbose_name_plural = _("상담 기록")
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.consultation} {self.held_on:%Y-%m-%d}"

    def topic_labels(self) -> list[str]:
        return [str(Topic(t).label) for t in self.topics if t in Topic.values]


class StageEvent(AppendOnlyModel):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="events")
    from_stage = models.CharField(max_length=12, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=12, choices=Stage.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("메모"), max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("단계 기록")
        verbose_name_plural = _("단계 기록")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.consultation_id}: {self.from_stage} → {self.to_stage}"
