"""The inter-cooperative marketplace: participants (PA suppliers, MC sellers, CC creators),
the catalogue, referral attribution, carts, orders split per supplier, frozen commissions,
payments, refunds and settlements.

Money is integer 원 (VAT-inclusive prices), rates are basis points (1 bp = 0.01 %). Every
invariant a row can state is a database constraint; money moves only through ``services``,
which also post to the double-entry ledger (``dure.ledger``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dure.core.validators import normalize_business_number, validate_business_number
from dure.directory.models import Organisation

USER = settings.AUTH_USER_MODEL


class SocialEconomyType(models.TextChoices):
    COOPERATIVE = "cooperative", _("협동조합")
    SOCIAL_COOPERATIVE = "social_cooperative", _("사회적협동조합")
    SOCIAL_ENTERPRISE = "social_enterprise", _("사회적기업")
    VILLAGE_ENTERPRISE = "village_enterprise", _("마을기업")
    SELF_SUFFICIENCY = "self_sufficiency", _("자활기업")


class SupplierStatus(models.TextChoices):
    APPLIED = "applied", _("신청")
    SURVEYED = "surveyed", _("공급역량 조사 완료")
    INSPECTED = "inspected", _("현장 실사 완료")
    APPROVED = "approved", _("승인")
    REJECTED = "rejected", _("반려")


class SupplierProfile(models.Model):
    """A PA (입점사): an organisation approved by the operator after a supply-capacity survey
    and a recorded site inspection."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="market_supplier"
    )
    business_number = models.CharField(_("사업자등록번호"), max_length=10)
    economy_type = models.CharField(
        _("사회적경제 유형"), max_length=24, choices=SocialEconomyType.choices
    )
    status = models.CharField(
        _("상태"), max_length=12, choices=SupplierStatus.choices, default=SupplierStatus.APPLIED
    )
    introduction = models.TextField(_("소개"), blank=True, max_length=3000)
    capacity_survey = models.TextField(_("공급역량 조사 기록"), blank=True, max_length=5000)
    surveyed_at = models.DateTimeField(_("조사 일시"), null=True, blank=True)
    inspection_record = models.TextField(_("현장 실사 기록"), blank=True, max_length=5000)
    inspected_at = models.DateTimeField(_("실사 일시"), null=True, blank=True)
    decided_at = models.DateTimeField(_("결정 일시"), null=True, blank=True)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rejection_reason = models.CharField(_("반려 사유"), max_length=500, blank=True)
    applied_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("입점사")
        verbose_name_plural = _("입점사")
        ordering = ["organisation__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business_number"], name="market_supplier_brn_unique"),
            models.CheckConstraint(
                condition=Q(business_number__regex=r"^[0-9]{10}$"),
                name="market_supplier_brn_digits",
            ),
            # approval only after the survey and the site inspection are on record
            models.CheckConstraint(
                condition=~Q(status="approved")
                | (Q(surveyed_at__isnull=False) & Q(inspected_at__isnull=False)),
                name="market_supplier_approved_after_inspection",
            ),
        ]

    def __str__(self) -> str:
        return self.organisation.name

    def clean(self) -> None:
        if self.business_number:
            self.business_number = normalize_business_number(self.business_number)
            validate_business_number(self.business_number)

    @property
    def is_approved(self) -> bool:
        return self.status == SupplierStatus.APPROVED


class ReferrerProfile(models.Model):
    """An MC or CC: a person, optionally registered for an organisation (then the commission
    is the organisation's). ``referral_code`` appears in links (``/market/r/<code>/``)."""

    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    display_name = models.CharField(_("활동명"), max_length=60)
    referral_code = models.CharField(_("추천 코드"), max_length=16, unique=True)
    active = models.BooleanField(_("활동 중"), default=True)
    valid_until = models.DateField(_("코드 유효기한"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["display_name", "id"]

    def __str__(self) -> str:
        return self.display_name


class SellerProfile(ReferrerProfile):
    """MC (마켓 크리에이터): sells through referral links, earns a commission."""

    class Meta(ReferrerProfile.Meta):
        verbose_name = _("마켓 크리에이터 (MC)")
        verbose_name_plural = _("마켓 크리에이터 (MC)")
        constraints = [
            models.CheckConstraint(
                condition=Q(referral_code__startswith="M"), name="market_seller_code_prefix"
            )
        ]


class CreatorProfile(ReferrerProfile):
    """CC (콘텐츠 크리에이터): writes articles that embed products, earns a commission."""

    class Meta(ReferrerProfile.Meta):
        verbose_name = _("콘텐츠 크리에이터 (CC)")
        verbose_name_plural = _("콘텐츠 크리에이터 (CC)")
        constraints = [
            models.CheckConstraint(
                condition=Q(referral_code__startswith="C"), name="market_creator_code_prefix"
            )
        ]


class Division(models.TextChoices):
    MUTUAL_TRADE = "mutual_trade", _("상호거래")
    PROMOTION = "promotion", _("판매촉진")
    BUSINESS_SERVICES = "business_services", _("경영지원서비스")
    SOCIAL_SERVICES = "social_services", _("사회서비스")
    EDUCATION = "education", _("교육서비스")


class TaxType(models.TextChoices):
    TAXABLE = "taxable", _("과세")
    EXEMPT = "exempt", _("면세")
    ZERO_RATED = "zero_rated", _("영세")


class Category(models.Model):
    division = models.CharField(_("사업 분야"), max_length=20, choices=Division.choices)
    name = models.CharField(_("분류명"), max_length=60)

    class Meta:
        verbose_name = _("상품 분류")
        verbose_name_plural = _("상품 분류")
        ordering = ["division", "name"]
        constraints = [
            models.UniqueConstraint(fields=["division", "name"], name="market_category_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    supplier = models.ForeignKey(SupplierProfile, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(_("상품명"), max_length=120)
    description = models.TextField(_("설명"), blank=True, max_length=5000)
    price = models.BigIntegerField(_("판매가 (부가세 포함, 원)"))
    tax_type = models.CharField(
        _("과세 유형"), max_length=12, choices=TaxType.choices, default=TaxType.TAXABLE
    )
    stock = models.IntegerField(_("재고"), default=0)
    unit = models.CharField(_("단위"), max_length=20, default="개")
    active = models.BooleanField(_("판매 중"), default=True)
    image = models.ImageField(_("이미지"), upload_to="market/products/", blank=True)
    image_alt = models.CharField(_("이미지 대체 텍스트"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("상품")
        verbose_name_plural = _("상품")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["active", "name"])]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="market_product_price_gte_0"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="market_product_stock_gte_0"),
            models.CheckConstraint(
                condition=Q(image="") | ~Q(image_alt=""), name="market_product_image_has_alt"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("market:product", args=[self.pk])

    @property
    def division(self) -> str:
        return self.category.division

    def clean(self) -> None:
        if self.image and not self.image_alt.strip():
            raise ValidationError(
                {"image_alt": _("이미지를 올리면 대체 텍스트를 입력해야 합니다.")},
                code="alt_required",
            )


class CreatorContent(models.Model):
    """A CC article embedding products; its page attributes purchases to the creator."""

    creator = models.ForeignKey(CreatorProfile, on_delete=models.PROTECT, related_name="contents")
    title = models.CharField(_("제목"), max_length=150)
    body = models.TextField(_("본문"), max_length=20000)
    products = models.ManyToManyField(Product, blank=True, related_name="contents")
    published = models.BooleanField(_("공개"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("크리에이터 콘텐츠")
        verbose_name_plural = _("크리에이터 콘텐츠")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ReferralClick(models.Model):
    """One visit through an MC link or a CC content page (last click wins within the window)."""

    seller = models.ForeignKey(SellerProfile, null=True, blank=True, on_delete=models.CASCADE)
    creator = models.ForeignKey(CreatorProfile, null=True, blank=True, on_delete=models.CASCADE)
    content = models.ForeignKey(CreatorContent, null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.CASCADE)
    session_key = models.CharField(max_length=64, blank=True)
    clicked_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("추천 방문")
        verbose_name_plural = _("추천 방문")
        indexes = [models.Index(fields=["user", "clicked_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(seller__isnull=False) | Q(creator__isnull=False),
                name="market_click_has_referrer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.seller or self.creator} @ {self.clicked_at:%Y-%m-%d %H:%M}"


class Cart(models.Model):
    user = models.OneToOneField(USER, on_delete=models.CASCADE, related_name="market_cart")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("장바구니")
        verbose_name_plural = _("장바구니")

    def __str__(self) -> str:
        return f"장바구니 #{self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("수량"))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="market_cartline_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="market_cartline_qty_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} × {self.quantity}"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("무통장입금")
    INVOICE = "invoice", _("후불 청구서 (공공기관)")
    ON_SITE = "on_site", _("현장 결제 (오프라인 장터)")


class MarketDay(models.Model):
    """An offline pop-up market (e.g. in a railway station with a partner): sales are orders
    from the same catalogue and stock, recorded per market day and settled like online ones."""

    name = models.CharField(_("장터 이름"), max_length=100)
    held_on = models.DateField(_("날짜"))
    location = models.CharField(_("장소"), max_length=200)
    partner = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("오프라인 장터")
        verbose_name_plural = _("오프라인 장터")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.held_on})"


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("주문 접수 (입금 대기)")
    PAID = "paid", _("결제 완료")
    CANCELLED = "cancelled", _("취소")


class Order(models.Model):
    """The buyer's order across suppliers; one ``SubOrder`` per supplier."""

    buyer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="market_orders")
    buyer_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)  # sha256 of the request: same key, same body
    status = models.CharField(
        _("상태"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.PLACED
    )
    payment_method = models.CharField(_("결제 방법"), max_length=16, choices=PaymentMethod.choices)
    total = models.BigIntegerField(_("합계 (원)"))
    # Attribution frozen at checkout (None: nobody referred, or a self-referral)
    seller = models.ForeignKey(
        SellerProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    creator = models.ForeignKey(
        CreatorProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    market_day = models.ForeignKey(
        MarketDay, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("주문")
        verbose_name_plural = _("주문")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "idempotency_key"], name="market_order_idempotency"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="market_order_total_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("market:order", args=[self.pk])

    @property
    def number(self) -> str:
        return f"M{self.pk:07d}"


class SubOrderStatus(models.TextChoices):
    PLACED = "placed", _("입금 대기")
    PAID = "paid", _("결제 완료")
    SHIPPED = "shipped", pgettext_lazy("order status", "발송")
    DELIVERED = "delivered", _("배송 완료")
    CANCELLED = "cancelled", _("취소")


class SubOrder(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="suborders")
    supplier = models.ForeignKey(
        SupplierProfile, on_delete=models.PROTECT, related_name="suborders"
    )
    status = models.CharField(
        _("상태"), max_length=12, choices=SubOrderStatus.choices, default=SubOrderStatus.PLACED
    )
    total = models.BigIntegerField(_("합계 (원)"))
    refunded = models.BigIntegerField(_("환불액 (원)"), default=0)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    tracking = models.CharField(_("송장 번호"), max_length=60, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # when the refund window passed and the pending amounts became payable
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("공급사별 주문")
        verbose_name_plural = _("공급사별 주문")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refunded__gte=0) & Q(refunded__lte=F("total")),
                name="market_suborder_refund_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.order.number}-{self.supplier_id}"


class OrderLine(models.Model):
    """A product snapshot at checkout: name, price, tax type and attribution are frozen."""

    suborder = models.ForeignKey(SubOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    product_name = models.CharField(max_length=120)
    unit_price = models.BigIntegerField()
    tax_type = models.CharField(max_length=12, choices=TaxType.choices)
    quantity = models.PositiveIntegerField()
    line_total = models.BigIntegerField()
    supply_amount = models.BigIntegerField()
    vat_amount = models.BigIntegerField()
    seller = models.ForeignKey(SellerProfile, null=True, blank=True, on_delete=models.PROTECT)
    creator = models.ForeignKey(CreatorProfile, null=True, blank=True, on_delete=models.PROTECT)
    refunded_quantity = models.PositiveIntegerField(default=0)
    refunded_amount = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")),
                name="market_line_total_is_price_times_qty",
            ),
            models.CheckConstraint(
                condition=Q(supply_amount__gte=0)
                & Q(vat_amount__gte=0)
                & Q(line_total=F("supply_amount") + F("vat_amount")),
                name="market_line_vat_split",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0)
                & Q(refunded_quantity__lte=F("quantity"))
                & Q(refunded_amount__gte=0)
                & Q(refunded_amount__lte=F("line_total")),
                name="market_line_refund_within_paid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_name} × {self.quantity}"

    @property
    def remaining_total(self) -> int:
        return self.line_total - self.refunded_amount


class CommissionKind(models.TextChoices):
    PLATFORM_FEE = "platform_fee", _("플랫폼 수수료")
    SELLER = "seller", _("MC 수수료")
    CREATOR = "creator", _("CC 수수료")


class RuleScope(models.TextChoices):
    PLATFORM = "platform", _("플랫폼 기본")
    SUPPLIER = "supplier", _("입점사")
    CATEGORY = "category", _("분류")
    PRODUCT = "product", _("상품")


class CommissionRule(models.Model):
    """A rate for one kind of commission at one scope; the most specific scope wins
    (product > category > supplier > platform default)."""

    scope = models.CharField(_("적용 범위"), max_length=10, choices=RuleScope.choices)
    kind = models.CharField(_("수수료 종류"), max_length=16, choices=CommissionKind.choices)
    supplier = models.ForeignKey(SupplierProfile, null=True, blank=True, on_delete=models.CASCADE)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.CASCADE)
    rate_bp = models.PositiveIntegerField(_("요율 (bp, 1250 = 12.50 %)"))

    class Meta:
        verbose_name = _("수수료 규칙")
        verbose_name_plural = _("수수료 규칙")
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_bp__gte=0) & Q(rate_bp__lte=10_000), name="market_rule_rate_bp"
            ),
            models.CheckConstraint(
                condition=(
                    Q(scope="platform", supplier=None, category=None, product=None)
                    | Q(scope="supplier", supplier__isnull=False, category=None, product=None)
                    | Q(scope="category", supplier=None, category__isnull=False, product=None)
                    | Q(scope="product", supplier=None, category=None, product__isnull=False)
                ),
                name="market_rule_scope_target",
            ),
            # One rate per kind and target (partial constraints: NULL targets would otherwise
            # never collide, and SQLite has no NULLS NOT DISTINCT).
            models.UniqueConstraint(
                fields=["kind"], condition=Q(scope="platform"), name="market_rule_unique_platform"
            ),
            models.UniqueConstraint(
                fields=["kind", "supplier"],
                condition=Q(scope="supplier"),
                name="market_rule_unique_supplier",
            ),
            models.UniqueConstraint(
                fields=["kind", "category"],
                condition=Q(scope="category"),
                name="market_rule_unique_category",
            ),
            models.UniqueConstraint(
                fields=["kind", "product"],
                condition=Q(scope="product"),
                name="market_rule_unique_product",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.get_kind_display()} {self.rate_bp}bp"


class CommissionStatus(models.TextChoices):
    PENDING = "pending", _("대기")
    APPROVED = "approved", pgettext_lazy("commission status", "확정")
    PAID = "paid", pgettext_lazy("commission status", "지급")
    VOID = "void", _("무효")


class Settlement(models.Model):
    """One settlement run: the ledger batch plus the commission lines it paid."""

    idempotency_key = models.CharField(max_length=64, unique=True)
    period_start = models.DateField(_("정산 시작일"))
    period_end = models.DateField(_("정산 종료일"))
    ledger_batch_id = models.BigIntegerField(null=True, blank=True)
    payout_count = models.PositiveIntegerField(default=0)
    payout_total = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("정산")
        verbose_name_plural = _("정산")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")), name="market_settlement_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end}"


class CommissionLine(models.Model):
    """One commission of one order line, frozen at checkout. A refund voids the unpaid lines
    and writes the remaining amount anew; after a payout it writes a negative line that the
    next settlement nets."""

    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="commissions")
    kind = models.CharField(max_length=16, choices=CommissionKind.choices)
    seller = models.ForeignKey(SellerProfile, null=True, blank=True, on_delete=models.PROTECT)
    creator = models.ForeignKey(CreatorProfile, null=True, blank=True, on_delete=models.PROTECT)
    rate_bp = models.PositiveIntegerField()
    amount = models.BigIntegerField()  # negative: clawback after a payout
    status = models.CharField(
        max_length=10, choices=CommissionStatus.choices, default=CommissionStatus.PENDING
    )
    settlement = models.ForeignKey(
        Settlement, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="platform_fee", seller=None, creator=None)
                    | Q(kind="seller", seller__isnull=False, creator=None)
                    | Q(kind="creator", seller=None, creator__isnull=False)
                ),
                name="market_commission_party_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(settlement__isnull=False),
                name="market_commission_paid_has_settlement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}원 ({self.get_status_display()})"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("입금 대기")
    CONFIRMED = "confirmed", pgettext_lazy("payment status", "확인")
    CANCELLED = "cancelled", _("취소")


class Payment(models.Model):
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="payment")
    provider = models.CharField(max_length=16, choices=PaymentMethod.choices)
    status = models.CharField(
        max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    amount = models.BigIntegerField()
    deadline = models.DateTimeField(_("입금 기한"), null=True, blank=True)
    instructions = models.TextField(_("결제 안내"), blank=True)
    reference = models.CharField(_("결제 참조"), max_length=60, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("결제")
        verbose_name_plural = _("결제")

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.amount}원"


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("요청")
    COMPLETED = "completed", _("환불 완료")
    REJECTED = "rejected", _("거절")


class Refund(models.Model):
    suborder = models.ForeignKey(SubOrder, on_delete=models.PROTECT, related_name="refunds")
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("사유"), max_length=500)
    status = models.CharField(
        max_length=12, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    amount = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("환불")
        verbose_name_plural = _("환불")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="market_refund_amount_gt_0")
        ]

    def __str__(self) -> str:
        return f"환불 #{self.pk} {self.amount}원"


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(amount__gt=0), name="market_refundline_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id} × {self.quantity}"


# === Public purchasing (공공구매): quotation requests, quotes, purchase orders ===================
#
# A public institution (an organisation of a public kind, see ``access.institution_ids``) asks
# approved suppliers for quotes (견적요청), compares them and awards one: the award freezes the
# quote into a purchase order (발주서). The institution pays the supplier directly against the
# supplier's tax invoice (수의계약), so a PO does not pass through the platform's payment
# clearing, commissions or settlements; ``selectors.priority_purchase_report`` counts it.


class QuotationStatus(models.TextChoices):
    DRAFT = "draft", _("작성 중")
    OPEN = "open", _("견적 접수 중")
    CLOSED = "closed", _("접수 마감")
    AWARDED = "awarded", _("낙찰")
    CANCELLED = "cancelled", _("취소")


class QuotationRequest(models.Model):
    """견적요청: addressed to invited suppliers, or open to every approved supplier with a
    product in a division (and optionally a category)."""

    buyer_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("요청 기관")
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("제목"), max_length=150)
    description = models.TextField(_("요청 내용"), blank=True, max_length=5000)
    delivery_place = models.CharField(_("납품 장소"), max_length=200)
    needed_by = models.DateField(_("납품 기한"))
    reply_deadline = models.DateTimeField(_("견적 마감 일시"))
    status = models.CharField(
        _("상태"), max_length=12, choices=QuotationStatus.choices, default=QuotationStatus.DRAFT
    )
    open_to_all = models.BooleanField(_("분야의 모든 승인 입점사에 공개"), default=False)
    division = models.CharField(_("사업 분야"), max_length=20, choices=Division.choices, blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    suppliers = models.ManyToManyField(
        SupplierProfile, blank=True, related_name="quotation_invitations"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    awarded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("견적요청")
        verbose_name_plural = _("견적요청")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["buyer_organisation", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(open_to_all=False) | ~Q(division=""),
                name="market_quotation_open_has_division",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(sent_at__isnull=False),
                name="market_quotation_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("market:quote_request", args=[self.pk])

    @property
    def number(self) -> str:
        return f"Q{self.pk:07d}"


class QuotationLine(models.Model):
    """One requested item: free text or a catalogue product, a quantity and a unit."""

    request = models.ForeignKey(QuotationRequest, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("품목"), max_length=200)
    quantity = models.PositiveIntegerField(_("수량"))
    unit = models.CharField(_("단위"), max_length=20)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "position"], name="market_quotationline_position"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="market_quotationline_qty_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} × {self.quantity}{self.unit}"


class QuoteStatus(models.TextChoices):
    SUBMITTED = "submitted", _("제출")
    SELECTED = "selected", _("선정")
    NOT_SELECTED = "not_selected", _("미선정")


class Quote(models.Model):
    """A supplier's current quote for a request (one per supplier; a revision replaces the
    lines and increments ``revision``; the audit trail keeps the earlier totals)."""

    request = models.ForeignKey(QuotationRequest, on_delete=models.CASCADE, related_name="quotes")
    supplier = models.ForeignKey(SupplierProfile, on_delete=models.PROTECT, related_name="quotes")
    revision = models.PositiveIntegerField(default=1)
    status = models.CharField(
        _("상태"), max_length=14, choices=QuoteStatus.choices, default=QuoteStatus.SUBMITTED
    )
    delivery_date = models.DateField(_("납품 가능일"))
    valid_until = models.DateField(_("견적 유효기한"))
    note = models.TextField(_("비고"), blank=True, max_length=3000)
    total = models.BigIntegerField(_("합계 (원, 부가세 포함)"))
    submitted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("견적")
        verbose_name_plural = _("견적")
        ordering = ["total", "submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "supplier"], name="market_quote_unique"),
            models.CheckConstraint(condition=Q(total__gte=0), name="market_quote_total_gte_0"),
            models.CheckConstraint(condition=Q(revision__gte=1), name="market_quote_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.request.number} · {self.supplier} ({self.total}원)"


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    request_line = models.ForeignKey(QuotationLine, on_delete=models.CASCADE, related_name="+")
    unit_price = models.BigIntegerField(_("단가 (원, 부가세 포함)"))
    tax_type = models.CharField(_("과세 유형"), max_length=12, choices=TaxType.choices)
    quantity = models.PositiveIntegerField()
    line_total = models.BigIntegerField()

    class Meta:
        ordering = ["request_line__position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["quote", "request_line"], name="market_quoteline_unique"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="market_quoteline_price_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(line_total=F("unit_price") * F("quantity")),
                name="market_quoteline_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_line_id}: {self.unit_price}원 × {self.quantity}"


class PurchaseOrderStatus(models.TextChoices):
    ISSUED = "issued", _("발주")
    ACCEPTED = "accepted", _("수주 확인")
    DELIVERED = "delivered", _("납품 완료")
    INVOICED = "invoiced", _("세금계산서 발행")
    PAID = "paid", _("대금 지급")
    CANCELLED = "cancelled", _("취소")


class PurchaseOrder(models.Model):
    """발주서: the awarded quote frozen (lines, prices, VAT split). One per request and per
    quote — the database refuses a second award."""

    request = models.OneToOneField(
        QuotationRequest, on_delete=models.PROTECT, related_name="purchase_order"
    )
    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="purchase_order")
    buyer_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(
        SupplierProfile, on_delete=models.PROTECT, related_name="purchase_orders"
    )
    status = models.CharField(
        _("상태"),
        max_length=12,
        choices=PurchaseOrderStatus.choices,
        default=PurchaseOrderStatus.ISSUED,
    )
    total = models.BigIntegerField(_("합계 (원)"))
    supply_total = models.BigIntegerField(_("공급가액 (원)"))
    vat_total = models.BigIntegerField(_("부가세 (원)"))
    delivery_place = models.CharField(_("납품 장소"), max_length=200)
    delivery_date = models.DateField(_("납품일"))
    issued_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    invoiced_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("발주서")
        verbose_name_plural = _("발주서")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gte=0)
                & Q(supply_total__gte=0)
                & Q(vat_total__gte=0)
                & Q(total=F("supply_total") + F("vat_total")),
                name="market_po_totals",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("market:purchase_order", args=[self.pk])

    @property
    def number(self) -> str:
        return f"PO{self.pk:07d}"


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=200)
    unit = models.CharField(max_length=20)
    unit_price = models.BigIntegerField()
    tax_type = models.CharField(max_length=12, choices=TaxType.choices)
    quantity = models.PositiveIntegerField()
    line_total = models.BigIntegerField()
    supply_amount = models.BigIntegerField()
    vat_amount = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__gte=0)
                & Q(quantity__gt=0)
                & Q(line_total=F("unit_price") * F("quantity")),
                name="market_poline_total",
            ),
            models.CheckConstraint(
                condition=Q(supply_amount__gte=0)
                & Q(vat_amount__gte=0)
                & Q(line_total=F("supply_amount") + F("vat_amount")),
                name="market_poline_vat_split",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} × {self.quantity}"
