"""The technology bank (기술은행): research institutes' technologies and patents, shared
equipment and its bookings, labs, experts (researchers), and the requests that turn a find into
a licence or a researcher's visit: technology-transfer applications (with royalty reports) and
personnel-exchange requests.

Invariants that belong to rows live in the database: identifier formats, TRL 1–9, fees ≥ 0,
royalty rates 0–10 000 bp, one open transfer application per technology and applicant, and no
two active bookings of the same equipment overlapping (PostgreSQL: an exclusion constraint;
SQLite: triggers — see migration 0002).

Experts' personal data (phone, e-mail, CV) is kept apart in ``ExpertContact`` so that no query,
document or export carries it unless it asks for it; equipment managers' contacts are likewise
in ``manager_*`` fields listed in ``EQUIPMENT_CONTACT_FIELDS``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dure.directory.models import Capability, IndustryClass, Organisation, OrganisationKind, Sido

from . import royalty
from .identifiers import APPLICATION_NUMBER_RE, NFEC_NUMBER_RE, REGISTRATION_NUMBER_RE

INSTITUTE_CHOICES = {"kind": OrganisationKind.RESEARCH_INSTITUTE}


def _url(name: str, pk: int) -> str:
    # The pages come in a later phase; until their URLs exist an object has no page.
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


# --- Experts -----------------------------------------------------------------------------------


class Expert(models.Model):
    """A researcher of a research institute. Public profile only: the personal data lives in
    ``ExpertContact`` (staff-only)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("계정"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="expert_profile",
    )
    name = models.CharField(_("이름"), max_length=40)
    name_en = models.CharField(_("영문 이름"), max_length=80, blank=True)
    institute = models.ForeignKey(
        Organisation,
        verbose_name=_("소속 기관"),
        on_delete=models.PROTECT,
        related_name="experts",
        limit_choices_to=INSTITUTE_CHOICES,
    )
    department = models.CharField(_("부서"), max_length=100, blank=True)
    position = models.CharField(_("직위"), max_length=60, blank=True)
    fields = models.JSONField(_("연구 분야"), default=list, blank=True)
    summary = models.TextField(_("연구 소개"), blank=True, max_length=3000)
    available_for_exchange = models.BooleanField(_("인력교류 가능"), default=False)
    exchange_note = models.CharField(_("인력교류 조건"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("전문가")
        verbose_name_plural = _("전문가")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["institute", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return _url("techbank:expert_detail", self.pk)


class ExpertContact(models.Model):
    """An expert's personal data: staff-only everywhere (pages, API, search, exports)."""

    expert = models.OneToOneField(
        Expert, primary_key=True, on_delete=models.CASCADE, related_name="contact"
    )
    phone = models.CharField(_("전화번호"), max_length=30, blank=True)
    email = models.EmailField(_("이메일"), blank=True)
    cv = models.TextField(_("이력"), blank=True, max_length=10000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("전문가 연락처 (개인정보)")
        verbose_name_plural = _("전문가 연락처 (개인정보)")

    def __str__(self) -> str:
        return str(_("%(name)s의 연락처") % {"name": self.expert.name})


EXPERT_CONTACT_FIELDS = ("phone", "email", "cv")


# --- Technologies and patents ------------------------------------------------------------------


class PatentStatus(models.TextChoices):
    APPLIED = "applied", _("출원")
    PUBLISHED = "published", pgettext_lazy("patent status", "공개")
    REGISTERED = "registered", pgettext_lazy("patent status", "등록")
    LAPSED = "lapsed", _("소멸")


class Commercialisation(models.TextChoices):
    UNUSED = "unused", _("미활용")
    DORMANT = "dormant", _("휴면")
    TRANSFERRED = "transferred", _("이전완료")
    COMMERCIALISED = "commercialised", _("사업화")


# Technologies counted as "commercialised" in the statistics (이전완료 + 사업화).
COMMERCIALISED_STATUSES = (Commercialisation.TRANSFERRED, Commercialisation.COMMERCIALISED)


class DealType(models.TextChoices):
    NONEXCLUSIVE = "nonexclusive", _("통상실시권")
    EXCLUSIVE = "exclusive", _("전용실시권")
    ASSIGNMENT = "assignment", _("양도")
    COOPERATION = "cooperation", _("기술협력")


# Which boolean column says a technology offers a deal type.
DEAL_TYPE_FIELDS = {
    DealType.NONEXCLUSIVE: "offers_nonexclusive",
    DealType.EXCLUSIVE: "offers_exclusive",
    DealType.ASSIGNMENT: "offers_assignment",
    DealType.COOPERATION: "offers_cooperation",
}


class IPCSection(models.TextChoices):
    A = "A", _("A 생활필수품")
    B = "B", _("B 처리조작; 운수")
    C = "C", _("C 화학; 야금")
    D = "D", _("D 섬유; 지류")
    E = "E", _("E 고정구조물")
    F = "F", _("F 기계공학; 조명; 가열; 무기; 폭파")
    G = "G", _("G 물리학")
    H = "H", _("H 전기")


class Technology(models.Model):
    title = models.CharField(_("발명의 명칭"), max_length=500)
    title_en = models.CharField(_("영문 명칭"), max_length=500, blank=True)
    abstract = models.TextField(_("요약"), blank=True)
    key_claims = models.TextField(_("대표 청구항"), blank=True)
    ipc_codes = models.JSONField(_("IPC 분류"), default=list, blank=True)
    # The distinct IPC sections of ipc_codes ("BC"), kept by the services for filtering.
    ipc_sections = models.CharField(_("IPC 섹션"), max_length=8, blank=True, db_index=True)
    ksic = models.ForeignKey(
        IndustryClass,
        verbose_name=_("적용 산업 (KSIC)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    application_number = models.CharField(_("출원번호"), max_length=15, unique=True)
    application_date = models.DateField(_("출원일"), null=True, blank=True)
    publication_number = models.CharField(_("공개번호"), max_length=15, blank=True)
    publication_date = models.DateField(_("공개일"), null=True, blank=True)
    registration_number = models.CharField(_("등록번호"), max_length=10, blank=True)
    registration_date = models.DateField(_("등록일"), null=True, blank=True)
    status = models.CharField(
        _("권리 상태"), max_length=12, choices=PatentStatus.choices, default=PatentStatus.APPLIED
    )
    holder = models.ForeignKey(
        Organisation,
        verbose_name=_("보유 기관"),
        on_delete=models.PROTECT,
        related_name="technologies",
        limit_choices_to=INSTITUTE_CHOICES,
    )
    inventors = models.ManyToManyField(
        Expert, verbose_name=_("발명자 (전문가)"), blank=True, related_name="technologies"
    )
    inventor_names = models.CharField(_("발명자"), max_length=500, blank=True)
    keywords = models.JSONField(_("키워드"), default=list, blank=True)
    trl = models.PositiveSmallIntegerField(_("기술성숙도 (TRL)"), null=True, blank=True)
    commercialisation = models.CharField(
        _("활용 상태"),
        max_length=16,
        choices=Commercialisation.choices,
        default=Commercialisation.UNUSED,
    )
    offers_nonexclusive = models.BooleanField(_("통상실시권"), default=True)
    offers_exclusive = models.BooleanField(_("전용실시권"), default=False)
    offers_assignment = models.BooleanField(_("양도"), default=False)
    offers_cooperation = models.BooleanField(_("기술협력"), default=False)
    upfront_fee = models.BigIntegerField(
        _("착수기본료 (원)"), null=True, blank=True, help_text=_("비워 두면 협의")
    )
    royalty_bp = models.PositiveIntegerField(
        _("경상기술료율 (bp)"),
        null=True,
        blank=True,
        help_text=_("매출액 대비 비율, 1bp = 0.01% (예: 250 = 2.5%)"),
    )
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
        verbose_name = _("기술")
        verbose_name_plural = _("기술")
        ordering = ["-application_date", "-id"]
        indexes = [
            models.Index(fields=["holder", "commercialisation"]),
            models.Index(fields=["commercialisation"]),
            models.Index(fields=["status"]),
            models.Index(fields=["-application_date", "-id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(application_number__regex=APPLICATION_NUMBER_RE),
                name="technology_application_number_format",
            ),
            models.CheckConstraint(
                condition=Q(publication_number="")
                | Q(publication_number__regex=APPLICATION_NUMBER_RE),
                name="technology_publication_number_format",
            ),
            models.CheckConstraint(
                condition=Q(registration_number="")
                | Q(registration_number__regex=REGISTRATION_NUMBER_RE),
                name="technology_registration_number_format",
            ),
            models.CheckConstraint(
                condition=Q(ipc_sections__regex=r"^[A-H]*$"),
                name="technology_ipc_sections_letters",
            ),
            models.CheckConstraint(
                condition=Q(trl__isnull=True) | Q(trl__gte=1, trl__lte=9),
                name="technology_trl_1_to_9",
            ),
            models.CheckConstraint(
                condition=Q(upfront_fee__isnull=True) | Q(upfront_fee__gte=0),
                name="technology_upfront_fee_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(royalty_bp__isnull=True) | Q(royalty_bp__lte=royalty.MAX_ROYALTY_BP),
                name="technology_royalty_at_most_100_percent",
            ),
            models.CheckConstraint(
                condition=Q(registration_date__isnull=True)
                | Q(application_date__isnull=True)
                | Q(registration_date__gte=F("application_date")),
                name="technology_registered_after_application",
            ),
            models.CheckConstraint(
                condition=Q(publication_date__isnull=True)
                | Q(application_date__isnull=True)
                | Q(publication_date__gte=F("application_date")),
                name="technology_published_after_application",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return _url("techbank:technology_detail", self.pk)

    @property
    def deal_types(self) -> list[str]:
        return [deal for deal, field in DEAL_TYPE_FIELDS.items() if getattr(self, field)]

    @property
    def is_dormant(self) -> bool:
        return self.commercialisation == Commercialisation.DORMANT

    @property
    def upfront_fee_due(self) -> int:
        """The upfront fee an SME would pay now (waived while dormant)."""
        return royalty.upfront_fee_due(listed_fee=self.upfront_fee, dormant=self.is_dormant)

    @property
    def royalty_percent(self) -> Decimal | None:
        return royalty.bp_to_percent(self.royalty_bp)


# --- Equipment, labs and bookings --------------------------------------------------------------


class SharingScope(models.TextChoices):
    SOLE = "sole", _("단독활용")
    SHARED = "shared", _("공동활용")


class EquipmentStatus(models.TextChoices):
    IN_USE = "in_use", _("활용")
    IDLE = "idle", _("유휴")
    DISUSED = "disused", _("불용")


class Equipment(models.Model):
    nfec_number = models.CharField(_("NFEC 등록번호"), max_length=19, unique=True)
    name = models.CharField(_("장비명"), max_length=200)
    name_en = models.CharField(_("영문 장비명"), max_length=200, blank=True)
    manufacturer = models.CharField(_("제작사"), max_length=100, blank=True)
    model_name = models.CharField(_("모델명"), max_length=100, blank=True)
    classification = models.CharField(_("장비 분류"), max_length=100, blank=True)
    capability = models.TextField(_("성능"), blank=True)
    configuration = models.TextField(_("구성"), blank=True)
    use_examples = models.TextField(_("활용 예"), blank=True)
    institute = models.ForeignKey(
        Organisation,
        verbose_name=_("보유 기관"),
        on_delete=models.PROTECT,
        related_name="equipment",
        limit_choices_to=INSTITUTE_CHOICES,
    )
    location = models.CharField(_("설치 장소"), max_length=200, blank=True)
    sido = models.ForeignKey(
        Sido, verbose_name=_("소재 시도"), null=True, blank=True, on_delete=models.PROTECT
    )
    sharing = models.CharField(
        _("활용 범위"), max_length=8, choices=SharingScope.choices, default=SharingScope.SHARED
    )
    status = models.CharField(
        _("장비 상태"),
        max_length=8,
        choices=EquipmentStatus.choices,
        default=EquipmentStatus.IN_USE,
    )
    fee_per_hour = models.BigIntegerField(_("시간당 이용료 (원)"), null=True, blank=True)
    fee_per_day = models.BigIntegerField(_("일일 이용료 (원)"), null=True, blank=True)
    available_hours_per_day = models.PositiveSmallIntegerField(
        _("일 가용 시간"), default=8, help_text=_("평일 하루 예약 가능한 시간 (가동률 계산)")
    )
    acquired_on = models.DateField(_("취득일"), null=True, blank=True)
    acquisition_cost = models.BigIntegerField(_("취득 금액 (원)"), null=True, blank=True)
    # The manager's contact: staff-only (EQUIPMENT_CONTACT_FIELDS).
    manager_name = models.CharField(_("담당자"), max_length=40, blank=True)
    manager_phone = models.CharField(_("담당자 전화"), max_length=30, blank=True)
    manager_email = models.EmailField(_("담당자 이메일"), blank=True)
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
        verbose_name = _("연구장비")
        verbose_name_plural = _("연구장비")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["institute", "status"]),
            models.Index(fields=["name", "id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(nfec_number__regex=NFEC_NUMBER_RE), name="equipment_nfec_format"
            ),
            models.CheckConstraint(
                condition=Q(fee_per_hour__isnull=True) | Q(fee_per_hour__gte=0),
                name="equipment_fee_per_hour_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(fee_per_day__isnull=True) | Q(fee_per_day__gte=0),
                name="equipment_fee_per_day_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(acquisition_cost__isnull=True) | Q(acquisition_cost__gte=0),
                name="equipment_cost_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(available_hours_per_day__gte=1, available_hours_per_day__lte=24),
                name="equipment_available_hours_1_to_24",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return _url("techbank:equipment_detail", self.pk)

    @property
    def bookable(self) -> bool:
        """Only shared equipment that is not disused takes booking requests."""
        return self.sharing == SharingScope.SHARED and self.status != EquipmentStatus.DISUSED


EQUIPMENT_CONTACT_FIELDS = ("manager_name", "manager_phone", "manager_email")


class Lab(models.Model):
    name = models.CharField(_("연구실명"), max_length=150)
    name_en = models.CharField(_("영문 연구실명"), max_length=200, blank=True)
    institute = models.ForeignKey(
        Organisation,
        verbose_name=_("소속 기관"),
        on_delete=models.PROTECT,
        related_name="labs",
        limit_choices_to=INSTITUTE_CHOICES,
    )
    description = models.TextField(_("소개"), blank=True, max_length=5000)
    capabilities = models.ManyToManyField(
        Capability, verbose_name=_("보유 역량"), blank=True, related_name="labs"
    )
    equipment = models.ManyToManyField(
        Equipment, verbose_name=_("보유 장비"), blank=True, related_name="labs"
    )
    location = models.CharField(_("위치"), max_length=200, blank=True)
    sido = models.ForeignKey(
        Sido, verbose_name=_("소재 시도"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("연구실")
        verbose_name_plural = _("연구실")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["institute", "name"], name="lab_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return _url("techbank:lab_detail", self.pk)


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("신청")
    APPROVED = "approved", _("승인")
    REJECTED = "rejected", _("반려")
    CANCELLED = "cancelled", pgettext_lazy("request status", "취소")


# Bookings that hold their time slot (no other active booking may overlap them).
ACTIVE_BOOKING_STATUSES = (BookingStatus.REQUESTED, BookingStatus.APPROVED)


class EquipmentBooking(models.Model):
    equipment = models.ForeignKey(
        Equipment, verbose_name=_("장비"), on_delete=models.PROTECT, related_name="bookings"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("신청자"),
        on_delete=models.PROTECT,
        related_name="equipment_bookings",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("신청 기관"),
        on_delete=models.PROTECT,
        related_name="equipment_bookings",
    )
    starts_at = models.DateTimeField(_("시작 일시"))
    ends_at = models.DateTimeField(_("종료 일시"))
    purpose = models.CharField(_("사용 목적"), max_length=300)
    status = models.CharField(
        _("상태"),
        max_length=10,
        choices=BookingStatus.choices,
        default=BookingStatus.REQUESTED,
    )
    fee = models.BigIntegerField(_("예상 이용료 (원)"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("처리 일시"), null=True, blank=True)
    decision_note = models.CharField(_("처리 의견"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("장비 예약")
        verbose_name_plural = _("장비 예약")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["equipment", "starts_at"]),
            models.Index(fields=["requester", "-starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(fee__isnull=True) | Q(fee__gte=0), name="booking_fee_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.equipment} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_BOOKING_STATUSES


# --- Technology transfer -----------------------------------------------------------------------


class TransferStatus(models.TextChoices):
    SUBMITTED = "submitted", _("신청")
    UNDER_REVIEW = "under_review", _("기관 검토")
    NEGOTIATING = "negotiating", _("협상")
    CONTRACTED = "contracted", _("계약 체결")
    COMMERCIALISED = "commercialised", _("사업화")
    REJECTED = "rejected", _("반려")
    WITHDRAWN = "withdrawn", pgettext_lazy("request status", "철회")


OPEN_TRANSFER_STATUSES = (
    TransferStatus.SUBMITTED,
    TransferStatus.UNDER_REVIEW,
    TransferStatus.NEGOTIATING,
)
LICENSED_STATUSES = (TransferStatus.CONTRACTED, TransferStatus.COMMERCIALISED)

# The state machine: status → statuses it may move to.
TRANSFER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    TransferStatus.SUBMITTED: (
        TransferStatus.UNDER_REVIEW,
        TransferStatus.REJECTED,
        TransferStatus.WITHDRAWN,
    ),
    TransferStatus.UNDER_REVIEW: (
        TransferStatus.NEGOTIATING,
        TransferStatus.CONTRACTED,
        TransferStatus.REJECTED,
        TransferStatus.WITHDRAWN,
    ),
    TransferStatus.NEGOTIATING: (
        TransferStatus.CONTRACTED,
        TransferStatus.REJECTED,
        TransferStatus.WITHDRAWN,
    ),
    TransferStatus.CONTRACTED: (TransferStatus.COMMERCIALISED,),
    TransferStatus.COMMERCIALISED: (),
    TransferStatus.REJECTED: (),
    TransferStatus.WITHDRAWN: (),
}


class TransferApplication(models.Model):
    technology = models.ForeignKey(
        Technology,
        verbose_name=_("기술"),
        on_delete=models.PROTECT,
        related_name="transfer_applications",
    )
    applicant = models.ForeignKey(
        Organisation,
        verbose_name=_("신청 기업"),
        on_delete=models.PROTECT,
        related_name="transfer_applications",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("신청자"),
        on_delete=models.PROTECT,
        related_name="transfer_applications",
    )
    deal_type = models.CharField(_("거래 유형"), max_length=12, choices=DealType.choices)
    intended_use = models.TextField(_("활용 계획 (적용 제품)"), max_length=3000)
    status = models.CharField(
        _("상태"),
        max_length=14,
        choices=TransferStatus.choices,
        default=TransferStatus.SUBMITTED,
    )
    # A one-stop desk case this application came from (the desk app's case id), if any.
    desk_case_id = models.PositiveBigIntegerField(_("상담 건 번호"), null=True, blank=True)
    # The terms offered at submission, by the royalty policy.
    dormant_at_submission = models.BooleanField(_("신청 시 휴면 특허"), default=False)
    offered_upfront_fee = models.BigIntegerField(_("제시 착수기본료 (원)"), null=True, blank=True)
    offered_royalty_bp = models.PositiveIntegerField(
        _("제시 경상기술료율 (bp)"), null=True, blank=True
    )
    # The licence terms, recorded when the contract is signed.
    upfront_fee = models.BigIntegerField(_("착수기본료 (원)"), null=True, blank=True)
    royalty_bp = models.PositiveIntegerField(_("경상기술료율 (bp)"), null=True, blank=True)
    contract_date = models.DateField(_("계약일"), null=True, blank=True)
    licence_start = models.DateField(_("실시 시작일"), null=True, blank=True)
    licence_end = models.DateField(_("실시 종료일"), null=True, blank=True)
    report_every_months = models.PositiveSmallIntegerField(
        _("매출 보고 주기 (개월)"), null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("신청 일시"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("기술이전 신청")
        verbose_name_plural = _("기술이전 신청")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["applicant", "-submitted_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["technology", "applicant"],
                condition=Q(status__in=OPEN_TRANSFER_STATUSES),
                name="transfer_one_open_application_per_applicant",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=LICENSED_STATUSES)
                | Q(
                    upfront_fee__isnull=False,
                    royalty_bp__isnull=False,
                    contract_date__isnull=False,
                    licence_start__isnull=False,
                    report_every_months__isnull=False,
                ),
                name="transfer_contract_has_terms",
            ),
            models.CheckConstraint(
                condition=Q(upfront_fee__isnull=True) | Q(upfront_fee__gte=0),
                name="transfer_upfront_fee_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(offered_upfront_fee__isnull=True) | Q(offered_upfront_fee__gte=0),
                name="transfer_offered_fee_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(royalty_bp__isnull=True) | Q(royalty_bp__lte=royalty.MAX_ROYALTY_BP),
                name="transfer_royalty_at_most_100_percent",
            ),
            models.CheckConstraint(
                condition=Q(dormant_at_submission=False)
                | Q(upfront_fee__isnull=True)
                | Q(upfront_fee=0),
                name="transfer_dormant_upfront_fee_waived",
            ),
            models.CheckConstraint(
                condition=Q(licence_end__isnull=True)
                | Q(licence_start__isnull=True)
                | Q(licence_end__gte=F("licence_start")),
                name="transfer_licence_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.applicant} → {self.technology}"

    def get_absolute_url(self) -> str:
        return _url("techbank:transfer_detail", self.pk)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TRANSFER_STATUSES

    @property
    def is_licensed(self) -> bool:
        return self.status in LICENSED_STATUSES


class TransferEvent(models.Model):
    """One step of an application's history (status change or note)."""

    application = models.ForeignKey(
        TransferApplication, on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("이전 상태"), max_length=14, choices=TransferStatus.choices, blank=True
    )
    to_status = models.CharField(_("상태"), max_length=14, choices=TransferStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("의견"), blank=True, max_length=3000)
    at = models.DateTimeField(_("일시"), auto_now_add=True)

    class Meta:
        verbose_name = _("기술이전 진행 기록")
        verbose_name_plural = _("기술이전 진행 기록")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} → {self.to_status}"


class RoyaltyReport(models.Model):
    """A licensee's sales report for one period, with the royalty due computed exactly."""

    application = models.ForeignKey(
        TransferApplication,
        verbose_name=_("기술이전 계약"),
        on_delete=models.PROTECT,
        related_name="royalty_reports",
    )
    period_start = models.DateField(_("보고 기간 시작"))
    period_end = models.DateField(_("보고 기간 종료"))
    sales = models.BigIntegerField(_("매출액 (원)"))
    rate_bp = models.PositiveIntegerField(_("적용 기술료율 (bp)"))
    royalty_due = models.BigIntegerField(_("경상기술료 (원)"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("보고 일시"), auto_now_add=True)
    note = models.CharField(_("비고"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("매출 보고")
        verbose_name_plural = _("매출 보고")
        ordering = ["application", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "period_start"], name="royalty_report_one_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="royalty_report_period_order",
            ),
            models.CheckConstraint(condition=Q(sales__gte=0), name="royalty_report_sales_ge_0"),
            models.CheckConstraint(
                condition=Q(royalty_due__gte=0), name="royalty_report_royalty_ge_0"
            ),
            models.CheckConstraint(
                condition=Q(rate_bp__lte=royalty.MAX_ROYALTY_BP),
                name="royalty_report_rate_at_most_100_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.period_start}–{self.period_end}"


# --- Personnel exchange ------------------------------------------------------------------------


class ExchangeDirection(models.TextChoices):
    DISPATCH = "dispatch", _("연구인력 파견 (출연연 → 기업)")
    TRAINING = "training", _("기업 인력 연수 (기업 → 출연연)")


class ExchangePeriod(models.TextChoices):
    SHORT = "short", _("단기 (7일 이하)")
    MID = "mid", _("중기 (8일~6개월 미만)")
    LONG = "long", _("장기 (6개월 이상)")


class ExchangeStatus(models.TextChoices):
    SUBMITTED = "submitted", _("신청")
    AGREED = "agreed", _("합의")
    DECLINED = "declined", _("반려")
    WITHDRAWN = "withdrawn", pgettext_lazy("request status", "철회")


EXCHANGE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ExchangeStatus.SUBMITTED: (
        ExchangeStatus.AGREED,
        ExchangeStatus.DECLINED,
        ExchangeStatus.WITHDRAWN,
    ),
    ExchangeStatus.AGREED: (ExchangeStatus.WITHDRAWN,),
    ExchangeStatus.DECLINED: (),
    ExchangeStatus.WITHDRAWN: (),
}


class ExchangeRequest(models.Model):
    requester = models.ForeignKey(
        Organisation,
        verbose_name=_("신청 기업"),
        on_delete=models.PROTECT,
        related_name="exchange_requests",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("신청자"),
        on_delete=models.PROTECT,
        related_name="exchange_requests",
    )
    direction = models.CharField(_("교류 유형"), max_length=10, choices=ExchangeDirection.choices)
    field = models.CharField(_("분야"), max_length=200, blank=True)
    institute = models.ForeignKey(
        Organisation,
        verbose_name=_("희망 기관"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_requests_received",
        limit_choices_to=INSTITUTE_CHOICES,
    )
    expert = models.ForeignKey(
        Expert,
        verbose_name=_("전문가"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exchange_requests",
    )
    start_date = models.DateField(_("시작일"))
    end_date = models.DateField(_("종료일"))
    period_class = models.CharField(_("기간 구분"), max_length=6, choices=ExchangePeriod.choices)
    purpose = models.TextField(_("교류 목적"), max_length=3000)
    status = models.CharField(
        _("상태"),
        max_length=10,
        choices=ExchangeStatus.choices,
        default=ExchangeStatus.SUBMITTED,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("처리 일시"), null=True, blank=True)
    decision_note = models.CharField(_("처리 의견"), max_length=300, blank=True)
    desk_case_id = models.PositiveBigIntegerField(_("상담 건 번호"), null=True, blank=True)
    # A retried request (a double click, a client's retry) returns this request instead of
    # making a second one: the key's digest and the request's fingerprint (core.idempotency).
    idempotency_key = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("신청 일시"), auto_now_add=True)

    class Meta:
        verbose_name = _("인력교류 신청")
        verbose_name_plural = _("인력교류 신청")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["status", "period_class"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="exchange_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(field="") | Q(expert__isnull=False),
                name="exchange_names_field_or_expert",
            ),
            models.CheckConstraint(
                condition=~Q(status=ExchangeStatus.AGREED) | Q(expert__isnull=False),
                name="exchange_agreed_has_expert",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requester} · {self.field or self.expert}"

    def get_absolute_url(self) -> str:
        return _url("techbank:exchange_detail", self.pk)


class ExchangeEvent(models.Model):
    request = models.ForeignKey(ExchangeRequest, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(
        _("이전 상태"), max_length=10, choices=ExchangeStatus.choices, blank=True
    )
    to_status = models.CharField(_("상태"), max_length=10, choices=ExchangeStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("의견"), blank=True, max_length=3000)
    at = models.DateTimeField(_("일시"), auto_now_add=True)

    class Meta:
        verbose_name = _("인력교류 진행 기록")
        verbose_name_plural = _("인력교류 진행 기록")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status} → {self.to_status}"


class SearchVector(models.Model):
    """The sentence embedding (multilingual-e5-small) of a searchable object, beside its search
    document: the semantic half of technology search (``dure.techbank.semantic``).

    Keyed by (kind, object id) rather than by search document, so that rebuilding the lexical
    index keeps the vectors; ``text_hash`` is the hash of the embedded text, so re-embedding
    skips what has not changed (``dure techbank-embed`` is resumable)."""

    kind = models.CharField(max_length=30)
    object_id = models.BigIntegerField()
    model = models.CharField(max_length=60)
    text_hash = models.CharField(max_length=40)
    # L2-normalised, float16 little-endian (384 × 2 bytes)
    vector = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("검색 벡터")
        verbose_name_plural = _("검색 벡터")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_vector_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"
