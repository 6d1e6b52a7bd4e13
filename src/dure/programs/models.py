"""Education, forums and events that support centres run, and people's registrations for them.

A programme's seats are a counter on its row (``seats_taken``) that the database keeps within
``capacity`` (a check constraint); a registration takes a seat with one conditional UPDATE, so
two people can never get the last seat. Who is past capacity waits in line (``waitlisted``) and
moves up, first come first served, when a seat frees.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dure.directory.models import Organisation, Sido


class ProgramKind(models.TextChoices):
    EDUCATION = "education", _("교육")
    FORUM = "forum", _("포럼")
    BRIEFING = "briefing", _("설명회")
    WORKSHOP = "workshop", _("워크숍")
    CONSULTATION_DAY = "consultation_day", _("상담회")
    NETWORKING = "networking", _("교류회")


class Program(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("준비 중")
        PUBLISHED = "published", _("모집 공개")
        CANCELLED = "cancelled", _("취소됨")

    host = models.ForeignKey(
        Organisation,
        verbose_name=_("주최 기관"),
        on_delete=models.PROTECT,
        related_name="programs",
    )
    kind = models.CharField(_("구분"), max_length=20, choices=ProgramKind.choices)
    title = models.CharField(_("제목"), max_length=150)
    summary = models.CharField(_("요약"), max_length=300)
    description = models.TextField(_("상세 내용"), max_length=5000, blank=True)
    audience = models.CharField(_("대상"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("시작 일시"))
    ends_at = models.DateTimeField(_("종료 일시"))
    registration_closes_at = models.DateTimeField(
        _("신청 마감 일시"),
        help_text=_("비워 두면 시작 일시에 마감합니다."),
    )
    is_online = models.BooleanField(_("온라인"), default=False)
    venue = models.CharField(_("장소"), max_length=200, blank=True)
    sido = models.ForeignKey(
        Sido, verbose_name=_("지역 (시도)"), null=True, blank=True, on_delete=models.PROTECT
    )
    capacity = models.PositiveIntegerField(
        _("정원"), null=True, blank=True, help_text=_("비워 두면 인원 제한이 없습니다.")
    )
    seats_taken = models.PositiveIntegerField(_("확정 인원"), default=0, editable=False)
    fee = models.PositiveBigIntegerField(_("참가비 (원)"), default=0)
    status = models.CharField(
        _("상태"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    cancel_reason = models.CharField(_("취소 사유"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("교육·행사")
        verbose_name_plural = _("교육·행사")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["status", "starts_at"]),
            models.Index(fields=["host", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="program_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(registration_closes_at__lte=F("ends_at")),
                name="program_registration_closes_before_end",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1),
                name="program_capacity_positive",
            ),
            # The seat counter never passes the capacity, whatever runs concurrently.
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(seats_taken__lte=F("capacity")),
                name="program_seats_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programs:detail", args=[self.pk])

    @property
    def seats_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.seats_taken, 0)


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("신청 확정")
        WAITLISTED = "waitlisted", _("대기")
        CANCELLED = "cancelled", _("취소")

    program = models.ForeignKey(
        Program, verbose_name=_("교육·행사"), on_delete=models.PROTECT, related_name="registrations"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("신청자"),
        on_delete=models.PROTECT,
        related_name="program_registrations",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("소속 기관"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="program_registrations",
    )
    status = models.CharField(_("상태"), max_length=12, choices=Status.choices)
    note = models.CharField(
        _("요청 사항"),
        max_length=300,
        blank=True,
        help_text=_("예: 휠체어 접근, 수어 통역 필요. 주최 기관 담당자만 봅니다."),
    )
    attended = models.BooleanField(_("참석"), default=False)
    created_at = models.DateTimeField(_("신청 일시"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("확정 일시"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("취소 일시"), null=True, blank=True)

    class Meta:
        verbose_name = _("참가 신청")
        verbose_name_plural = _("참가 신청")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["program", "status", "created_at"])]
        constraints = [
            # One live registration per person and programme (a cancelled one may be followed
            # by a new one).
            models.UniqueConstraint(
                fields=["program", "person"],
                condition=~Q(status="cancelled"),
                name="registration_one_live_per_person",
            ),
            models.CheckConstraint(
                condition=Q(attended=False) | Q(status="confirmed"),
                name="registration_attended_only_if_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} — {self.person}"

    @property
    def is_live(self) -> bool:
        return self.status != self.Status.CANCELLED
