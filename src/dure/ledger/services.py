"""Recording money: accounts, balanced postings, reversals, balances, settlements, statements.

Every write runs in one ``transaction.atomic`` block and either completes or leaves nothing.
Errors are ``LedgerError`` (a ``ValidationError``) with a stable ``code`` and a Korean message.
The database re-checks the essentials on its own (``dure.ledger.triggers``): a transaction is
inserted as draft, can be posted only if its entries balance, and is immutable once posted —
so a correction is always a new, reversing transaction.

Signs: an entry amount is debit > 0 / credit < 0. ``balance`` is debits − credits; ``owed`` is
credits − debits (what a payable account owes its party).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models
from django.db import transaction as db_transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    DEBIT_NORMAL_KINDS,
    PARTY_KINDS,
    PAYABLE_KINDS,
    Account,
    AccountKind,
    Entry,
    Payout,
    SettlementBatch,
    SettlementStatus,
    Transaction,
    TransactionStatus,
)

SEOUL = ZoneInfo("Asia/Seoul")
MAX_AMOUNT = 2**62  # far below BigInteger's limit, so sums of a few lines cannot overflow
SETTLEABLE_KINDS = (*PAYABLE_KINDS, AccountKind.REFUNDS_PAYABLE)
POSTED = TransactionStatus.POSTED

Line = tuple[Account, int]


class LedgerError(ValidationError):
    """A refused ledger operation; ``code`` is stable, the message is for people."""

    def __init__(self, message: Any, code: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, params=params)


# --- accounts -----------------------------------------------------------------------------------


def party_key(party: models.Model) -> tuple[str, int]:
    """(party_type, party_id) of a model instance: its lower-case label and integer pk."""
    if party.pk is None:
        raise LedgerError(_("저장되지 않은 상대방에게는 계정을 만들 수 없습니다."), "party_unsaved")
    try:
        party_id = int(party.pk)
    except (TypeError, ValueError):
        raise LedgerError(_("상대방 번호가 정수가 아닙니다."), "party_invalid") from None
    if party_id <= 0:
        raise LedgerError(_("상대방 번호가 올바르지 않습니다."), "party_invalid")
    return party._meta.label_lower, party_id


def account(kind: str, party: models.Model | None = None) -> Account:
    """The account of ``kind`` for ``party`` (None: the platform's own), created on first use."""
    if kind not in AccountKind.values:
        raise LedgerError(_("알 수 없는 계정 종류입니다: %(kind)s"), "unknown_kind", {"kind": kind})
    if party is None:
        if kind in PARTY_KINDS:
            raise LedgerError(
                _("%(kind)s 계정에는 상대방이 필요합니다."),
                "party_required",
                {"kind": AccountKind(kind).label},
            )
        party_type, party_id = "", 0
    else:
        party_type, party_id = party_key(party)
    found, _created = Account.objects.get_or_create(
        kind=kind, party_type=party_type, party_id=party_id
    )
    return found


def party_accounts(party: models.Model) -> list[Account]:
    party_type, party_id = party_key(party)
    return list(Account.objects.filter(party_type=party_type, party_id=party_id))


# --- posting ------------------------------------------------------------------------------------


def _check_lines(lines: Sequence[Line]) -> list[Line]:
    checked = list(lines)
    if not checked:
        raise LedgerError(_("분개가 없는 거래는 기록할 수 없습니다."), "empty")
    for line in checked:
        try:
            acct, amount = line
        except (TypeError, ValueError):
            raise LedgerError(_("분개는 (계정, 금액) 쌍이어야 합니다."), "invalid_line") from None
        if not isinstance(acct, Account) or acct.pk is None:
            raise LedgerError(_("저장된 계정이 아닙니다."), "invalid_account")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise LedgerError(
                _("금액은 정수(원)여야 합니다: %(amount)r"), "invalid_amount", {"amount": amount}
            )
        if amount == 0:
            raise LedgerError(_("0원 분개는 기록할 수 없습니다."), "zero_amount")
        if abs(amount) >= MAX_AMOUNT:
            raise LedgerError(_("금액이 너무 큽니다."), "amount_out_of_range")
    total = sum(amount for _acct, amount in checked)
    if total != 0 or len(checked) < 2:
        raise LedgerError(
            _("차변과 대변의 합계가 맞지 않습니다(차이 %(total)s원)."),
            "unbalanced",
            {"total": total},
        )
    return checked


def _signature(pairs: Iterable[tuple[int, int]]) -> Counter[tuple[int, int]]:
    return Counter(pairs)


def _same_lines(existing: Transaction, lines: Sequence[Line]) -> bool:
    stored = _signature(existing.entries.values_list("account_id", "amount"))
    return stored == _signature((acct.pk, amount) for acct, amount in lines)


def _replay(key: str, lines: Sequence[Line]) -> Transaction | None:
    existing = Transaction.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if existing.status != POSTED or not _same_lines(existing, lines):
        raise LedgerError(
            _("같은 멱등 키(%(key)s)로 다른 거래가 이미 기록되었습니다."),
            "idempotency_conflict",
            {"key": key},
        )
    return existing


def _check_when(occurred_at: dt.datetime | None) -> dt.datetime:
    if occurred_at is None:
        return timezone.now()
    if timezone.is_naive(occurred_at):
        raise LedgerError(_("발생 시각에는 시간대가 있어야 합니다."), "naive_datetime")
    return occurred_at


def _write(
    lines: Sequence[Line],
    *,
    memo: str,
    reference: str,
    idempotency_key: str | None,
    occurred_at: dt.datetime,
    reverses: Transaction | None = None,
) -> Transaction:
    """Insert as draft, add the entries, flip to posted (the trigger checks the balance)."""
    txn = Transaction.objects.create(
        memo=memo,
        reference=reference,
        idempotency_key=idempotency_key,
        occurred_at=occurred_at,
        status=TransactionStatus.DRAFT,
        reverses=reverses,
    )
    Entry.objects.bulk_create(
        [Entry(transaction=txn, account=acct, amount=amount) for acct, amount in lines]
    )
    Transaction.objects.filter(pk=txn.pk).update(status=POSTED)
    txn.status = POSTED
    return txn


def _check_text(memo: str, reference: str, idempotency_key: str | None) -> tuple[str, str]:
    memo = (memo or "").strip()
    if not memo:
        raise LedgerError(_("적요를 입력하세요."), "memo_required")
    if len(memo) > 300:
        raise LedgerError(_("적요는 300자까지입니다."), "memo_too_long")
    reference = (reference or "").strip()
    if len(reference) > 100:
        raise LedgerError(_("참조는 100자까지입니다."), "reference_too_long")
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 200):
        raise LedgerError(_("멱등 키는 1–200자여야 합니다."), "idempotency_key_invalid")
    return memo, reference


def post(
    *,
    lines: Sequence[Line],
    memo: str,
    reference: str = "",
    idempotency_key: str | None = None,
    occurred_at: dt.datetime | None = None,
) -> Transaction:
    """Record one balanced transaction. With an ``idempotency_key`` a retry with the same lines
    returns the transaction already recorded; different lines are refused."""
    checked = _check_lines(lines)
    memo, reference = _check_text(memo, reference, idempotency_key)
    when = _check_when(occurred_at)
    if idempotency_key is not None:
        replayed = _replay(idempotency_key, checked)
        if replayed is not None:
            return replayed
    try:
        with db_transaction.atomic():
            return _write(
                checked,
                memo=memo,
                reference=reference,
                idempotency_key=idempotency_key,
                occurred_at=when,
            )
    except IntegrityError:
        # A concurrent request with the same key won the race.
        if idempotency_key is not None:
            replayed = _replay(idempotency_key, checked)
            if replayed is not None:
                return replayed
        raise


def reverse(
    transaction: Transaction,
    *,
    memo: str,
    idempotency_key: str | None = None,
    occurred_at: dt.datetime | None = None,
) -> Transaction:
    """Post the mirror image of ``transaction`` (every entry negated). A transaction is reversed at
    most once; settlement payouts are not reversed here (their payout record would disagree)."""
    memo, _reference = _check_text(memo, "", idempotency_key)
    when = _check_when(occurred_at)
    with db_transaction.atomic():
        original = Transaction.objects.select_for_update().filter(pk=transaction.pk).first()
        if original is None or original.status != POSTED:
            raise LedgerError(_("기장된 거래만 취소할 수 있습니다."), "not_posted")
        if idempotency_key is not None:
            existing = Transaction.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                if existing.reverses_id == original.pk:
                    return existing
                raise LedgerError(
                    _("같은 멱등 키(%(key)s)로 다른 거래가 이미 기록되었습니다."),
                    "idempotency_conflict",
                    {"key": idempotency_key},
                )
        if Transaction.objects.filter(reverses=original).exists():
            raise LedgerError(_("이미 취소된 거래입니다."), "already_reversed")
        if Payout.objects.filter(transaction=original).exists():
            raise LedgerError(_("정산 지급 거래는 취소할 수 없습니다."), "payout_transaction")
        mirror = [(e.account, -e.amount) for e in original.entries.select_related("account")]
        try:
            with db_transaction.atomic():
                return _write(
                    mirror,
                    memo=memo,
                    reference=original.reference,
                    idempotency_key=idempotency_key,
                    occurred_at=when,
                    reverses=original,
                )
        except IntegrityError:
            raise LedgerError(_("이미 취소된 거래입니다."), "already_reversed") from None


# --- balances -----------------------------------------------------------------------------------


def _posted(at: dt.datetime | None) -> models.QuerySet[Entry]:
    entries = Entry.objects.filter(transaction__status=POSTED)
    if at is not None:
        entries = entries.filter(transaction__occurred_at__lte=at)
    return entries


def balance(account: Account, *, at: dt.datetime | None = None) -> int:
    """Debits − credits of the posted entries that occurred up to ``at`` (inclusive)."""
    return int(_posted(at).filter(account=account).aggregate(s=Sum("amount"))["s"] or 0)


def owed(account: Account, *, at: dt.datetime | None = None) -> int:
    """Credits − debits: what a payable/liability account owes its party."""
    return -balance(account, at=at)


def balances(accounts: Iterable[Account], *, at: dt.datetime | None = None) -> dict[int, int]:
    """``balance`` of many accounts in one query, keyed by account pk."""
    ids = [a.pk for a in accounts]
    out = dict.fromkeys(ids, 0)
    rows = _posted(at).filter(account_id__in=ids).values("account_id").annotate(s=Sum("amount"))
    for row in rows:
        out[row["account_id"]] = int(row["s"])
    return out


def natural_balance(kind: str, debit_minus_credit: int) -> int:
    """A balance read on the account's normal side: assets debit-positive, the rest credit."""
    return debit_minus_credit if kind in DEBIT_NORMAL_KINDS else -debit_minus_credit


def party_balances(party: models.Model, *, at: dt.datetime | None = None) -> dict[str, int]:
    """Each of the party's accounts by kind, read on its normal side (for the party's payable and
    pending accounts: what is owed to the party)."""
    party_type, party_id = party_key(party)
    out = {
        kind: 0
        for kind in Account.objects.filter(party_type=party_type, party_id=party_id).values_list(
            "kind", flat=True
        )
    }
    rows = (
        _posted(at)
        .filter(account__party_type=party_type, account__party_id=party_id)
        .values("account__kind")
        .annotate(s=Sum("amount"))
    )
    for row in rows:
        kind = row["account__kind"]
        out[kind] = natural_balance(kind, int(row["s"]))
    return out


def trial_balance(*, at: dt.datetime | None = None) -> int:
    """Sum of every posted entry: 0 whenever the ledger is sound."""
    return int(_posted(at).aggregate(s=Sum("amount"))["s"] or 0)


# --- settlements --------------------------------------------------------------------------------


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=SEOUL)


def start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SEOUL)


def _same_batch(
    batch: SettlementBatch, start: dt.date, end: dt.date, kinds: list[str], minimum: int
) -> bool:
    return (
        batch.period_start == start
        and batch.period_end == end
        and sorted(batch.kinds) == kinds
        and batch.minimum_payout == minimum
    )


def run_settlement(
    *,
    period_start: dt.date,
    period_end: dt.date,
    kinds: Sequence[str] = PAYABLE_KINDS,
    minimum_payout: int = 10_000,
    idempotency_key: str,
    created_by: Any = None,
) -> SettlementBatch:
    """Pay out every account of ``kinds`` that owes at least ``minimum_payout`` at the end of
    ``period_end`` (Asia/Seoul): post Dr payable / Cr PAYOUTS and schedule a ``Payout``.

    What is due is what the account earned by the cutoff minus every payout already made to it
    (including payouts posted after the cutoff), so batches may be run late or out of order
    without paying the same money twice. Accounts owing less (or in debit after a refund that
    followed a payout) carry over: their balance simply stays for the next batch. Rerunning with
    the same key returns the same batch and writes nothing.
    """
    if not idempotency_key or len(idempotency_key) > 200:
        raise LedgerError(_("멱등 키는 1–200자여야 합니다."), "idempotency_key_invalid")
    if period_start > period_end:
        raise LedgerError(_("정산 기간의 시작이 끝보다 늦습니다."), "period_invalid")
    kind_list = sorted({str(k) for k in kinds})
    if not kind_list or any(k not in SETTLEABLE_KINDS for k in kind_list):
        raise LedgerError(_("정산할 수 없는 계정 종류입니다."), "invalid_kinds")
    if isinstance(minimum_payout, bool) or not isinstance(minimum_payout, int):
        raise LedgerError(_("최소 지급액은 정수(원)여야 합니다."), "invalid_amount")
    if minimum_payout < 0:
        raise LedgerError(_("최소 지급액은 0원 이상이어야 합니다."), "invalid_amount")
    cutoff = end_of_day(period_end)

    with db_transaction.atomic():
        # One settlement at a time: every run locks the platform's PAYOUTS account row.
        payouts_account = account(AccountKind.PAYOUTS)
        Account.objects.select_for_update().filter(pk=payouts_account.pk).get()
        existing = SettlementBatch.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            if _same_batch(existing, period_start, period_end, kind_list, minimum_payout):
                return existing
            raise LedgerError(
                _("같은 멱등 키(%(key)s)로 다른 정산이 이미 실행되었습니다."),
                "idempotency_conflict",
                {"key": idempotency_key},
            )

        threshold = max(minimum_payout, 1)
        # Earned by the cutoff, minus every payout already made — also those posted after the
        # cutoff, so settling an earlier period late never pays the same money again.
        due = list(
            Entry.objects.filter(transaction__status=POSTED, account__kind__in=kind_list)
            .filter(Q(transaction__occurred_at__lte=cutoff) | Q(transaction__payout__isnull=False))
            .values("account_id")
            .annotate(total=Sum("amount"))
            .filter(total__lte=-threshold)
            .order_by("account_id")
            .values_list("account_id", "total")
        )
        batch = SettlementBatch.objects.create(
            period_start=period_start,
            period_end=period_end,
            cutoff=cutoff,
            kinds=kind_list,
            minimum_payout=minimum_payout,
            idempotency_key=idempotency_key,
            created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
            payout_count=len(due),
            total_amount=sum(-int(total) for _id, total in due),
        )
        if due:
            _post_payouts(batch, payouts_account, due, min(cutoff, timezone.now()))
    return batch


def _post_payouts(
    batch: SettlementBatch,
    payouts_account: Account,
    due: list[tuple[int, int]],
    occurred_at: dt.datetime,
) -> None:
    reference = f"settlement:{batch.pk}"
    memo = str(_("정산 지급 %(start)s–%(end)s")) % {
        "start": batch.period_start.isoformat(),
        "end": batch.period_end.isoformat(),
    }
    txns = Transaction.objects.bulk_create(
        [
            Transaction(
                memo=memo,
                reference=reference,
                idempotency_key=f"{reference}:account:{account_id}",
                occurred_at=occurred_at,
                status=TransactionStatus.DRAFT,
            )
            for account_id, _total in due
        ],
        batch_size=500,
    )
    entries: list[Entry] = []
    payouts: list[Payout] = []
    for txn, (account_id, total) in zip(txns, due, strict=True):
        amount = -int(total)
        entries += [
            Entry(transaction_id=txn.pk, account_id=account_id, amount=amount),
            Entry(transaction_id=txn.pk, account_id=payouts_account.pk, amount=-amount),
        ]
        payouts.append(Payout(batch=batch, account_id=account_id, amount=amount, transaction=txn))
    Entry.objects.bulk_create(entries, batch_size=1000)
    Transaction.objects.filter(reference=reference, status=TransactionStatus.DRAFT).update(
        status=POSTED
    )
    Payout.objects.bulk_create(payouts, batch_size=500)


def mark_paid(payout: Payout, *, bank_reference: str) -> Payout:
    """Record that the bank transfer was made. Repeating it with the same (or no new) reference
    returns the payout unchanged; a different reference for a paid payout is refused."""
    bank_reference = (bank_reference or "").strip()
    if not bank_reference or len(bank_reference) > 100:
        raise LedgerError(_("이체 참조 번호를 입력하세요(100자까지)."), "bank_reference_required")
    with db_transaction.atomic():
        locked = Payout.objects.select_for_update().get(pk=payout.pk)
        if locked.status == SettlementStatus.PAID:
            if locked.bank_reference != bank_reference:
                raise LedgerError(
                    _("이미 다른 이체 참조 번호(%(ref)s)로 지급 처리되었습니다."),
                    "already_paid",
                    {"ref": locked.bank_reference},
                )
            return locked
        locked.status = SettlementStatus.PAID
        locked.paid_at = timezone.now()
        locked.bank_reference = bank_reference
        locked.save(update_fields=["status", "paid_at", "bank_reference"])
        batch_id = locked.batch_id
        if not Payout.objects.filter(batch_id=batch_id, status=SettlementStatus.SCHEDULED).exists():
            SettlementBatch.objects.filter(pk=batch_id).update(status=SettlementStatus.PAID)
    return locked


# --- statements ---------------------------------------------------------------------------------


class StatementLine(NamedTuple):
    occurred_at: dt.datetime
    memo: str
    reference: str
    amount: int
    running: int


@dataclass(frozen=True)
class Statement:
    """An account's movements over [start, end] (Asia/Seoul days), read on its normal side
    (payables: credit-positive, i.e. what is owed to the party)."""

    account: Account
    start: dt.date
    end: dt.date
    opening: int
    lines: list[StatementLine] = field(default_factory=list)
    closing: int = 0

    @property
    def increases(self) -> int:
        return sum(line.amount for line in self.lines if line.amount > 0)

    @property
    def decreases(self) -> int:
        return sum(line.amount for line in self.lines if line.amount < 0)


def statement(account: Account, *, start: dt.date, end: dt.date) -> Statement:
    if start > end:
        raise LedgerError(_("기간의 시작이 끝보다 늦습니다."), "period_invalid")
    sign = 1 if account.kind in DEBIT_NORMAL_KINDS else -1
    begin = start_of_day(start)
    opening = sign * int(
        _posted(None)
        .filter(account=account, transaction__occurred_at__lt=begin)
        .aggregate(s=Sum("amount"))["s"]
        or 0
    )
    rows = (
        _posted(end_of_day(end))
        .filter(account=account, transaction__occurred_at__gte=begin)
        .order_by("transaction__occurred_at", "transaction_id", "pk")
        .values_list(
            "transaction__occurred_at", "transaction__memo", "transaction__reference", "amount"
        )
    )
    running = opening
    lines: list[StatementLine] = []
    for occurred_at, memo, reference, amount in rows:
        amount = sign * int(amount)
        running += amount
        lines.append(StatementLine(occurred_at, memo, reference, amount, running))
    return Statement(
        account=account, start=start, end=end, opening=opening, lines=lines, closing=running
    )


def statement_pdf(statement: Statement, *, title: str, party_name: str) -> bytes:
    from .exports import render_pdf

    return render_pdf(statement, title=title, party_name=party_name)


def statement_xlsx(statement: Statement, *, title: str, party_name: str) -> bytes:
    from .exports import render_xlsx

    return render_xlsx(statement, title=title, party_name=party_name)
