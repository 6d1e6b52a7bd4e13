"""Accounts, transactions and entries of the double-entry ledger, plus settlement batches.

Sign convention: an entry's ``amount`` is signed — debit > 0, credit < 0 — so a transaction
balances when its entries sum to 0 and the whole ledger sums to 0 (trial balance).
Balancing and immutability of posted transactions are enforced by database triggers
(``dure.ledger.triggers``); the services only ever insert a transaction as draft, add its
entries and flip it to posted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    PAYMENT_CLEARING = "payment_clearing", _("결제 청산")
    PLATFORM_REVENUE = "platform_revenue", _("플랫폼 수수료 수익")
    VAT_PAYABLE = "vat_payable", _("부가세 예수금")
    SUPPLIER_PENDING = "supplier_pending", _("입점사 정산 예정금")
    SUPPLIER_PAYABLE = "supplier_payable", _("입점사 미지급금")
    SELLER_PENDING = "seller_pending", _("MC 수수료 예정금")
    SELLER_PAYABLE = "seller_payable", _("MC 미지급 수수료")
    CREATOR_PENDING = "creator_pending", _("CC 수수료 예정금")
    CREATOR_PAYABLE = "creator_payable", _("CC 미지급 수수료")
    PAYOUTS = "payouts", _("지급액")
    REFUNDS_PAYABLE = "refunds_payable", _("환불 미지급금")


# Kinds that belong to a participant; the others may be platform-wide (no party).
PARTY_KINDS = frozenset(
    {
        AccountKind.SUPPLIER_PENDING,
        AccountKind.SUPPLIER_PAYABLE,
        AccountKind.SELLER_PENDING,
        AccountKind.SELLER_PAYABLE,
        AccountKind.CREATOR_PENDING,
        AccountKind.CREATOR_PAYABLE,
    }
)
PAYABLE_KINDS = (
    AccountKind.SUPPLIER_PAYABLE,
    AccountKind.SELLER_PAYABLE,
    AccountKind.CREATOR_PAYABLE,
)
# Accounts whose normal balance is a debit (assets); all others are read credit-positive.
DEBIT_NORMAL_KINDS = frozenset({AccountKind.PAYMENT_CLEARING, AccountKind.PAYOUTS})


class Account(models.Model):
    kind = models.CharField(_("계정 종류"), max_length=30, choices=AccountKind.choices)
    # Platform accounts use "" / 0 rather than NULL so the unique constraint holds everywhere.
    party_type = models.CharField(_("상대방 종류"), max_length=100, blank=True, default="")
    party_id = models.PositiveBigIntegerField(_("상대방 번호"), default=0)
    created_at = models.DateTimeField(_("만든 때"), auto_now_add=True)

    class Meta:
        verbose_name = _("계정")
        verbose_name_plural = _("계정")
        ordering = ["kind", "party_type", "party_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "party_type", "party_id"], name="ledger_account_unique_party"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AccountKind.values), name="ledger_account_kind_valid"
            ),
            models.CheckConstraint(
                condition=(Q(party_type="") & Q(party_id=0))
                | (~Q(party_type="") & Q(party_id__gt=0)),
                name="ledger_account_party_complete",
            ),
        ]
        indexes = [models.Index(fields=["party_type", "party_id"], name="ledger_acct_party_idx")]

    def __str__(self) -> str:
        label = AccountKind(self.kind).label
        if self.party_type:
            return f"{label} ({self.party_type}#{self.party_id})"
        return str(label)

    @property
    def is_debit_normal(self) -> bool:
        return self.kind in DEBIT_NORMAL_KINDS


class TransactionStatus(models.TextChoices):
    DRAFT = "draft", _("작성 중")
    POSTED = "posted", _("기장됨")


class Transaction(models.Model):
    memo = models.CharField(_("적요"), max_length=300)
    reference = models.CharField(_("참조"), max_length=100, blank=True, default="", db_index=True)
    idempotency_key = models.CharField(
        _("멱등 키"), max_length=200, unique=True, null=True, blank=True
    )
    occurred_at = models.DateTimeField(_("발생 시각"), default=timezone.now, db_index=True)
    created_at = models.DateTimeField(_("기록 시각"), auto_now_add=True)
    status = models.CharField(
        _("상태"),
        max_length=10,
        choices=TransactionStatus.choices,
        default=TransactionStatus.DRAFT,
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("취소 대상 거래"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )

    class Meta:
        verbose_name = _("거래")
        verbose_name_plural = _("거래")
        ordering = ["occurred_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TransactionStatus.values),
                name="ledger_transaction_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(reverses=models.F("pk")), name="ledger_transaction_not_self_reversal"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.memo}"


class Entry(models.Model):
    transaction = models.ForeignKey(
        Transaction, verbose_name=_("거래"), on_delete=models.CASCADE, related_name="entries"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("계정"), on_delete=models.PROTECT, related_name="entries"
    )
    amount = models.BigIntegerField(_("금액(차변 +, 대변 −)"))

    class Meta:
        verbose_name = _("분개")
        verbose_name_plural = _("분개")
        ordering = ["transaction_id", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount:+,}"


class SettlementStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("지급 예정")
    PAID = "paid", _("지급 완료")


class SettlementBatch(models.Model):
    period_start = models.DateField(_("정산 기간 시작"))
    period_end = models.DateField(_("정산 기간 끝"))
    cutoff = models.DateTimeField(_("정산 기준 시각"))
    kinds = models.JSONField(_("정산 계정 종류"), default=list)
    minimum_payout = models.BigIntegerField(_("최소 지급액"))
    status = models.CharField(
        _("상태"),
        max_length=10,
        choices=SettlementStatus.choices,
        default=SettlementStatus.SCHEDULED,
    )
    idempotency_key = models.CharField(_("멱등 키"), max_length=200, unique=True)
    payout_count = models.PositiveIntegerField(_("지급 건수"), default=0)
    total_amount = models.BigIntegerField(_("지급 총액"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("실행한 사람"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("실행 시각"), auto_now_add=True)

    class Meta:
        verbose_name = _("정산 배치")
        verbose_name_plural = _("정산 배치")
        ordering = ["-cutoff", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="ledger_batch_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(minimum_payout__gte=0), name="ledger_batch_minimum_nonnegative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SettlementStatus.values), name="ledger_batch_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end}"


class Payout(models.Model):
    batch = models.ForeignKey(
        SettlementBatch,
        verbose_name=_("정산 배치"),
        on_delete=models.PROTECT,
        related_name="payouts",
    )
    account = models.ForeignKey(
        Account, verbose_name=_("계정"), on_delete=models.PROTECT, related_name="payouts"
    )
    amount = models.BigIntegerField(_("지급액"))
    transaction = models.OneToOneField(
        Transaction, verbose_name=_("거래"), on_delete=models.PROTECT, related_name="payout"
    )
    status = models.CharField(
        _("상태"),
        max_length=10,
        choices=SettlementStatus.choices,
        default=SettlementStatus.SCHEDULED,
    )
    paid_at = models.DateTimeField(_("지급 시각"), null=True, blank=True)
    bank_reference = models.CharField(_("이체 참조 번호"), max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("지급")
        verbose_name_plural = _("지급")
        ordering = ["batch_id", "account_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "account"], name="ledger_payout_once_per_batch"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_payout_amount_positive"),
            models.CheckConstraint(
                condition=Q(status=SettlementStatus.SCHEDULED, paid_at__isnull=True)
                | Q(status=SettlementStatus.PAID, paid_at__isnull=False),
                name="ledger_payout_paid_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount:,}원"
