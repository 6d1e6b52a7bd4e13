"""Organisations (cooperatives, SMEs, research institutes, centres, partners), the people in
them with their roles, MOUs between them, and the reference data they point to (시도/시군구,
KSIC, strategic fields)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dure.core.validators import format_business_number, format_corporate_number

# --- Reference data ----------------------------------------------------------------------------


class Sido(models.Model):
    code = models.CharField(_("시도 코드"), max_length=2, primary_key=True)
    name = models.CharField(_("시도명"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("시도")
        verbose_name_plural = _("시도")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Sigungu(models.Model):
    code = models.CharField(_("시군구 코드"), max_length=5, primary_key=True)
    sido = models.ForeignKey(Sido, on_delete=models.PROTECT, related_name="sigungus")
    name = models.CharField(_("시군구명"), max_length=30)
    is_general_gu = models.BooleanField(_("일반구"), default=False)

    class Meta:
        verbose_name = _("시군구")
        verbose_name_plural = _("시군구")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.sido.name} {self.name}"


class IndustryClass(models.Model):
    """한국표준산업분류 (KSIC) node: section letter, or 2- to 5-digit code."""

    code = models.CharField(_("KSIC 코드"), max_length=5, primary_key=True)
    name = models.CharField(_("분류명"), max_length=120)
    level = models.PositiveSmallIntegerField(_("단계"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = _("표준산업분류")
        verbose_name_plural = _("표준산업분류")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StrategicField(models.Model):
    """A policy field (e.g. Daejeon's seven strategic fields for social-economy organisations)."""

    slug = models.SlugField(_("코드"), max_length=40, primary_key=True)
    name = models.CharField(_("분야명"), max_length=40, unique=True)
    name_en = models.CharField(_("영문 분야명"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("전략 분야")
        verbose_name_plural = _("전략 분야")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name_en if self.name_en and get_language() == "en" else self.name


class Capability(models.Model):
    """A free tag for what an organisation can do (제품모델링, 회로개발, 기구설계 …)."""

    name = models.CharField(_("역량"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("역량")
        verbose_name_plural = _("역량")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# --- Organisations -----------------------------------------------------------------------------


class OrganisationKind(models.TextChoices):
    COOPERATIVE = "cooperative", _("일반협동조합")
    SOCIAL_COOPERATIVE = "social_cooperative", _("사회적협동조합")
    WORKER_COOPERATIVE = "worker_cooperative", _("직원협동조합")
    FEDERATION = "federation", _("협동조합연합회")
    COUNCIL = "council", _("협동조합협의회")
    SME = "sme", _("중소기업")
    RESEARCH_INSTITUTE = "research_institute", _("출연연구기관")
    SUPPORT_CENTRE = "support_centre", _("지원센터")
    REGIONAL_CENTRE = "regional_centre", _("지역 상담센터")
    PUBLIC_BODY = "public_body", _("공공기관")
    PARTNER = "partner", _("협력기관")


COOPERATIVE_KINDS = frozenset(
    {
        OrganisationKind.COOPERATIVE,
        OrganisationKind.SOCIAL_COOPERATIVE,
        OrganisationKind.WORKER_COOPERATIVE,
        OrganisationKind.FEDERATION,
        OrganisationKind.COUNCIL,
    }
)
CENTRE_KINDS = frozenset({OrganisationKind.SUPPORT_CENTRE, OrganisationKind.REGIONAL_CENTRE})


class Organisation(models.Model):
    kind = models.CharField(_("기관 유형"), max_length=24, choices=OrganisationKind.choices)
    name = models.CharField(_("기관명"), max_length=100)
    name_en = models.CharField(_("영문 기관명"), max_length=150, blank=True)
    acronym = models.CharField(_("약칭"), max_length=20, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("소속 (상위 기관)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="affiliates",
        help_text=_("예: 세계김치연구소는 한국식품연구원 부설, 회원사는 소속 협동조합·협의회"),
    )
    business_number = models.CharField(
        _("사업자등록번호"), max_length=10, null=True, blank=True, unique=True
    )
    corporate_number = models.CharField(_("법인등록번호"), max_length=13, blank=True)
    sido = models.ForeignKey(
        Sido, verbose_name=_("시도"), null=True, blank=True, on_delete=models.PROTECT
    )
    sigungu = models.ForeignKey(
        Sigungu, verbose_name=_("시군구"), null=True, blank=True, on_delete=models.PROTECT
    )
    address = models.CharField(_("주소"), max_length=200, blank=True)
    postal_code = models.CharField(_("우편번호"), max_length=5, blank=True)
    industry = models.ForeignKey(
        IndustryClass,
        verbose_name=_("업종 (KSIC)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    founded_on = models.DateField(_("설립일"), null=True, blank=True)
    member_count = models.PositiveIntegerField(_("조합원 수"), null=True, blank=True)
    employee_count = models.PositiveIntegerField(_("직원 수"), null=True, blank=True)
    strategic_fields = models.ManyToManyField(
        StrategicField, verbose_name=_("전략 분야"), blank=True, related_name="organisations"
    )
    capabilities = models.ManyToManyField(
        Capability, verbose_name=_("역량"), blank=True, related_name="organisations"
    )
    website = models.URLField(_("웹사이트"), blank=True)
    email = models.EmailField(_("대표 이메일"), blank=True)
    phone = models.CharField(_("대표 전화"), max_length=30, blank=True)
    description = models.TextField(_("소개"), blank=True, max_length=5000)
    is_public = models.BooleanField(_("공개"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("기관")
        verbose_name_plural = _("기관")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["kind", "name"]),
            models.Index(fields=["sido", "name"]),
            models.Index(fields=["name", "id"]),
            # covers the home page's count of visible organisations per kind
            models.Index(fields=["kind", "is_public"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(business_number__isnull=True)
                | Q(business_number__regex=r"^[0-9]{10}$"),
                name="organisation_business_number_digits",
            ),
            models.CheckConstraint(
                condition=Q(corporate_number="") | Q(corporate_number__regex=r"^[0-9]{13}$"),
                name="organisation_corporate_number_digits",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:detail", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if self.sigungu_id and not self.sido_id:
            self.sido_id = self.sigungu_id[:2]
        if self.sigungu_id and self.sido_id and not self.sigungu_id.startswith(self.sido_id):
            errors["sigungu"] = ValidationError(
                _("선택한 시군구가 시도에 속하지 않습니다."), code="sigungu_not_in_sido"
            )
        if self.parent_id and self.pk:
            if self.parent_id == self.pk:
                errors["parent"] = ValidationError(
                    _("자기 자신을 상위 기관으로 지정할 수 없습니다."), code="parent_self"
                )
            elif self._is_ancestor_of_parent():
                errors["parent"] = ValidationError(
                    _("하위 기관을 상위 기관으로 지정할 수 없습니다 (순환 관계)."),
                    code="parent_cycle",
                )
        if errors:
            raise ValidationError(errors)

    def _is_ancestor_of_parent(self, max_depth: int = 50) -> bool:
        """Would making ``parent`` our parent close a loop (A → B → … → A)?"""
        seen: set[int] = set()
        current = self.parent_id
        while current and current not in seen and len(seen) < max_depth:
            if current == self.pk:
                return True
            seen.add(current)
            current = (
                Organisation.objects.filter(pk=current).values_list("parent_id", flat=True).first()
            )
        return False

    @property
    def is_cooperative(self) -> bool:
        return self.kind in COOPERATIVE_KINDS

    @property
    def business_number_display(self) -> str:
        return format_business_number(self.business_number or "")

    @property
    def corporate_number_display(self) -> str:
        return format_corporate_number(self.corporate_number)


# --- People in organisations -------------------------------------------------------------------


class Role(models.TextChoices):
    REPRESENTATIVE = "representative", _("대표자")
    STAFF = "staff", _("직원")
    RESEARCHER = "researcher", _("연구원")
    CHAIR = "chair", _("이사장")
    BOARD = "board", _("이사")
    SECRETARY = "secretary", _("사무국장")
    AUDITOR = "auditor", _("감사")
    MEMBER = "member", _("조합원")
    MARKET_SUPPLIER = "market_supplier", _("입점사 (PA)")
    MARKET_SELLER = "market_seller", _("마켓 크리에이터 (MC)")
    MARKET_CREATOR = "market_creator", _("콘텐츠 크리에이터 (CC)")
    MARKET_OPERATOR = "market_operator", _("마켓 운영자")


COOPERATIVE_OFFICER_ROLES = frozenset({Role.CHAIR, Role.BOARD, Role.SECRETARY, Role.AUDITOR})
# Roles that let a person edit their organisation's profile.
ORGANISATION_EDITOR_ROLES = frozenset({Role.REPRESENTATIVE, Role.CHAIR, Role.SECRETARY})


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("역할"), max_length=20, choices=Role.choices)
    title = models.CharField(_("직함"), max_length=60, blank=True)
    granted_at = models.DateTimeField(_("부여 일시"), auto_now_add=True)

    class Meta:
        verbose_name = _("소속·역할")
        verbose_name_plural = _("소속·역할")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"


# --- MOUs --------------------------------------------------------------------------------------


class MOU(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("협의 중")
        ACTIVE = "active", _("체결")
        EXPIRED = "expired", _("기간 만료")
        TERMINATED = "terminated", _("해지")

    title = models.CharField(_("협약명"), max_length=150)
    parties = models.ManyToManyField(Organisation, verbose_name=_("협약 기관"), related_name="mous")
    signed_on = models.DateField(_("체결일"), null=True, blank=True)
    ends_on = models.DateField(_("종료일"), null=True, blank=True)
    scope = models.TextField(_("협력 범위"), max_length=3000)
    status = models.CharField(
        _("상태"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    attachment = models.FileField(_("협약서 파일"), upload_to="mou/%Y/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[parties])

    class Meta:
        verbose_name = _("업무협약 (MOU)")
        verbose_name_plural = _("업무협약 (MOU)")
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(signed_on__isnull=True)
                | Q(ends_on__gte=models.F("signed_on")),
                name="mou_ends_after_signing",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("directory:mou_detail", args=[self.pk])

    def clean(self) -> None:
        if self.signed_on and self.ends_on and self.ends_on < self.signed_on:
            raise ValidationError(
                {
                    "ends_on": ValidationError(
                        _("종료일은 체결일 이후여야 합니다."), code="mou_ends_before_signing"
                    )
                }
            )

    def validate_constraints(self, exclude=None):
        # clean() reports mou_ends_after_signing on the field, in Korean; the database check
        # constraint stays as the last line of defence.
        exclude = set(exclude or ())
        if self.signed_on and self.ends_on and self.ends_on < self.signed_on:
            exclude.add("ends_on")
        super().validate_constraints(exclude=exclude)
