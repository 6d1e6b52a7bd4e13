"""The public portal's own content: the support centres' notices (공지사항) and the success
stories (성공 사례) of the cooperatives and SMEs they helped.

A success story tells the public about an organisation, so it is published only as that
organisation agreed to it: the centre asks for consent; the organisation's representative
approves or declines on the platform (or the centre records a consent received in writing);
any change of the text afterwards asks again; the organisation may withdraw its consent at any
time, which takes the story down. Each step writes a ``StoryEvent`` (append-only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dure.core.models import AppendOnlyModel
from dure.directory.models import Organisation


class NoticeCategory(models.TextChoices):
    NOTICE = "notice", _("공지")
    RECRUITMENT = "recruitment", _("모집")
    RESULT = "result", _("결과 발표")
    PRESS = "press", _("보도자료")


class Notice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("작성 중")
        PUBLISHED = "published", _("게시 중")
        ARCHIVED = "archived", _("게시 종료")

    publisher = models.ForeignKey(
        Organisation,
        verbose_name=_("게시 기관"),
        on_delete=models.PROTECT,
        related_name="notices",
    )
    category = models.CharField(
        _("구분"), max_length=12, choices=NoticeCategory.choices, default=NoticeCategory.NOTICE
    )
    title = models.CharField(_("제목"), max_length=150)
    body = models.TextField(_("내용"), max_length=10_000)
    pinned = models.BooleanField(
        _("상단 고정"), default=False, help_text=_("고정한 공지는 목록 맨 위에 보입니다.")
    )
    status = models.CharField(
        _("상태"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("게시 일시"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("수정 일시"), auto_now=True)

    class Meta:
        verbose_name = _("공지사항")
        verbose_name_plural = _("공지사항")
        ordering = ["-pinned", "-published_at", "-id"]
        indexes = [models.Index(fields=["status", "pinned", "published_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="portal_notice_published_has_a_date",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("portal:notice_detail", args=[self.pk])


class SupportKind(models.TextChoices):
    FOUNDING = "founding", _("협동조합 설립")
    TECHNOLOGY_TRANSFER = "technology_transfer", _("기술이전·사업화")
    RESEARCH = "research", _("공동 연구개발")
    MARKET = "market", _("판로 개척")
    EDUCATION = "education", _("교육")
    CONSULTING = "consulting", _("경영 컨설팅")
    EXCHANGE = "exchange", _("인력 교류")


class Story(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("작성 중")
        AWAITING = "awaiting", _("동의 요청 중")
        APPROVED = "approved", _("동의 받음")
        PUBLISHED = "published", _("게시 중")
        DECLINED = "declined", _("동의 거절")
        WITHDRAWN = "withdrawn", _("동의 철회")

    class ConsentMethod(models.TextChoices):
        PLATFORM = "platform", _("플랫폼에서 대표자가 동의")
        WRITTEN = "written", _("서면 동의서 접수")

    centre = models.ForeignKey(
        Organisation,
        verbose_name=_("작성 기관"),
        on_delete=models.PROTECT,
        related_name="stories_written",
    )
    subject = models.ForeignKey(
        Organisation,
        verbose_name=_("사례 기업·조합"),
        on_delete=models.PROTECT,
        related_name="stories",
    )
    support_kind = models.CharField(_("지원 분야"), max_length=20, choices=SupportKind.choices)
    year = models.PositiveSmallIntegerField(_("지원 연도"))
    title = models.CharField(_("제목"), max_length=150)
    summary = models.CharField(_("요약"), max_length=300)
    body = models.TextField(_("내용"), max_length=10_000)
    jobs_created = models.PositiveIntegerField(_("늘어난 일자리 (명)"), null=True, blank=True)
    sales_increase = models.PositiveBigIntegerField(_("늘어난 연 매출 (원)"), null=True, blank=True)
    status = models.CharField(
        _("상태"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    consent_method = models.CharField(
        _("동의 방법"), max_length=10, choices=ConsentMethod.choices, blank=True
    )
    consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("동의 처리자"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    consent_at = models.DateTimeField(_("동의 일시"), null=True, blank=True)
    consent_note = models.CharField(_("동의 메모"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("게시 일시"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(_("수정 일시"), auto_now=True)

    class Meta:
        verbose_name = _("성공 사례")
        verbose_name_plural = _("성공 사례")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["status", "published_at"])]
        constraints = [
            # Approved and published stories carry the consent they rest on.
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "published"])
                | (Q(consent_at__isnull=False) & ~Q(consent_method="")),
                name="portal_story_public_only_with_consent",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="portal_story_published_has_a_date",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100), name="portal_story_year_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("portal:story_detail", args=[self.pk])


class StoryEvent(AppendOnlyModel):
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=Story.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Story.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("메모"), max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("사례 기록")
        verbose_name_plural = _("사례 기록")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.story_id}: {self.from_status} → {self.to_status}"
