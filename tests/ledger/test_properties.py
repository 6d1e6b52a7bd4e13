"""A stateful property test: at least 10,000 random ledger operations — sales split between
suppliers, sellers (MC), creators (CC), the platform and VAT; retried and conflicting
postings; refunds by reversal (also after payout); refused bad postings; settlements with a
random minimum; reruns and payments — after each of which the ledger sums to zero, every
account's balance equals the model's sum of its lines, and no money is paid out twice."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dure.ledger import services
from dure.ledger.models import AccountKind as K
from dure.ledger.models import Payout, Transaction
from dure.ledger.money import apply_rate, vat_split
from dure.ledger.services import LedgerError

from .conftest import SEOUL

pytestmark = pytest.mark.django_db

EXAMPLES = 115
STEPS = 100
OPERATIONS = Counter()
_party_pk = itertools.count(8_000_000)
_keys = itertools.count()


class _Party:
    """Stands in for any model instance: the ledger only reads its label and pk."""

    class _meta:  # noqa: N801 - mimics Model._meta
        label_lower = "tests.party"

    def __init__(self) -> None:
        self.pk = next(_party_pk)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.clock = dt.datetime(2090, 1, 1, 9, tzinfo=SEOUL)
        self.platform = {
            k: services.account(k)
            for k in (K.PAYMENT_CLEARING, K.PLATFORM_REVENUE, K.VAT_PAYABLE, K.PAYOUTS)
        }
        self.suppliers = [services.account(K.SUPPLIER_PAYABLE, _Party()) for _ in range(4)]
        self.sellers = [services.account(K.SELLER_PAYABLE, _Party()) for _ in range(2)]
        self.creators = [services.account(K.CREATOR_PAYABLE, _Party()) for _ in range(2)]
        self.payables = self.suppliers + self.sellers + self.creators
        mine = list(self.platform.values()) + self.payables
        # Platform accounts may already hold demo postings: the model starts from them.
        self.expected = services.balances(mine)
        self.sales: list[tuple[Transaction, str, list]] = []
        self.reversed: set[int] = set()
        self.batches = []
        self.payouts: list[Payout] = []
        self.paid_out: defaultdict[int, int] = defaultdict(int)
        self.steps = 0

    def teardown(self) -> None:
        try:
            self.check(force=True)
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    def count(self, name: str) -> None:
        OPERATIONS[name] += 1
        self.steps += 1

    def book(self, lines) -> None:
        for acct, amount in lines:
            self.expected[acct.pk] += amount

    # --- operations --------------------------------------------------------------------------

    @rule(
        supplier=st.integers(0, 3),
        seller=st.none() | st.integers(0, 1),
        creator=st.none() | st.integers(0, 1),
        total=st.integers(1, 2_000_000),
        tax_type=st.sampled_from(["taxable", "exempt", "zero_rated"]),
        fee_bp=st.integers(0, 1_500),
        mc_bp=st.integers(0, 1_000),
        cc_bp=st.integers(0, 500),
    )
    def sale(self, supplier, seller, creator, total, tax_type, fee_bp, mc_bp, cc_bp):
        self.count("sale")
        supply, vat = vat_split(total, tax_type)
        fee = apply_rate(supply, fee_bp)
        mc = apply_rate(supply, mc_bp) if seller is not None else 0
        cc = apply_rate(supply, cc_bp) if creator is not None else 0
        lines = [
            (self.platform[K.PAYMENT_CLEARING], total),
            (self.platform[K.VAT_PAYABLE], -vat),
            (self.platform[K.PLATFORM_REVENUE], -fee),
            (self.suppliers[supplier], -(supply - fee - mc - cc)),
        ]
        if seller is not None:
            lines.append((self.sellers[seller], -mc))
        if creator is not None:
            lines.append((self.creators[creator], -cc))
        lines = [(a, m) for a, m in lines if m]
        key = f"prop-sale:{next(_keys)}"
        txn = services.post(
            lines=lines, memo="주문", reference=key, idempotency_key=key, occurred_at=self.clock
        )
        self.sales.append((txn, key, lines))
        self.book(lines)

    @precondition(lambda self: self.sales)
    @rule(pick=st.integers(0, 10**6))
    def retried_sale_is_recorded_once(self, pick):
        self.count("retry")
        txn, key, lines = self.sales[pick % len(self.sales)]
        before = Transaction.objects.count()
        again = services.post(lines=list(reversed(lines)), memo="주문", idempotency_key=key)
        assert again.pk == txn.pk
        assert Transaction.objects.count() == before

    @precondition(lambda self: self.sales)
    @rule(pick=st.integers(0, 10**6), delta=st.integers(1, 1_000))
    def conflicting_retry_is_refused(self, pick, delta):
        self.count("conflict")
        _txn, key, lines = self.sales[pick % len(self.sales)]
        (first, a), (second, b) = lines[0], lines[-1]
        changed = [(first, a + delta), *lines[1:-1], (second, b - delta)]
        changed = [(acct, m) for acct, m in changed if m]
        with pytest.raises(LedgerError) as info:
            services.post(lines=changed, memo="주문", idempotency_key=key)
        assert info.value.code in {"idempotency_conflict", "unbalanced"}

    @precondition(lambda self: self.sales)
    @rule(pick=st.integers(0, 10**6))
    def refund_by_reversal(self, pick):
        self.count("reversal")
        txn, _key, lines = self.sales[pick % len(self.sales)]
        if txn.pk in self.reversed:
            with pytest.raises(LedgerError) as info:
                services.reverse(txn, memo="환불")
            assert info.value.code == "already_reversed"
            return
        services.reverse(txn, memo="환불", occurred_at=self.clock)
        self.reversed.add(txn.pk)
        self.book([(acct, -amount) for acct, amount in lines])

    @rule(
        bad=st.sampled_from(["empty", "unbalanced", "zero_amount", "single"]),
        amount=st.integers(1, 10**7),
    )
    def bad_posting_writes_nothing(self, bad, amount):
        self.count("bad")
        a, b = self.platform[K.PAYMENT_CLEARING], self.suppliers[0]
        lines = {
            "empty": [],
            "unbalanced": [(a, amount), (b, -amount - 1)],
            "zero_amount": [(a, amount), (b, -amount), (a, 0)],
            "single": [(a, amount)],
        }[bad]
        before = Transaction.objects.count()
        with pytest.raises(LedgerError) as info:
            services.post(lines=lines, memo="잘못")
        assert info.value.code == ("unbalanced" if bad == "single" else bad)
        assert Transaction.objects.count() == before

    @rule(hours=st.integers(1, 96))
    def time_passes(self, hours):
        self.count("clock")
        self.clock += dt.timedelta(hours=hours)

    @rule(minimum=st.sampled_from([0, 1, 1_000, 10_000, 100_000]))
    def settlement(self, minimum):
        self.count("settlement")
        end = self.clock.astimezone(SEOUL).date()
        owed_now = {acct.pk: -self.expected[acct.pk] for acct in self.payables}
        batch = services.run_settlement(
            period_start=end - dt.timedelta(days=14),
            period_end=end,
            minimum_payout=minimum,
            idempotency_key=f"prop-batch:{next(_keys)}",
        )
        paid = {p.account_id: p for p in batch.payouts.all()}
        for acct in self.payables:
            due = owed_now[acct.pk]
            if due >= max(minimum, 1):
                assert paid[acct.pk].amount == due
                self.book([(acct, due), (self.platform[K.PAYOUTS], -due)])
                self.paid_out[acct.pk] += due
                self.payouts.append(paid[acct.pk])
            else:  # below the minimum or in debit after a refund: carried over
                assert acct.pk not in paid
        # Accounts outside this machine (demo data) were paid too: keep PAYOUTS in step.
        others = sum(p.amount for pk, p in paid.items() if pk not in owed_now)
        self.expected[self.platform[K.PAYOUTS].pk] -= others
        self.batches.append(batch)

    @precondition(lambda self: self.batches)
    @rule(pick=st.integers(0, 10**6))
    def settlement_rerun_writes_nothing(self, pick):
        self.count("rerun")
        batch = self.batches[pick % len(self.batches)]
        before = Payout.objects.count(), Transaction.objects.count()
        again = services.run_settlement(
            period_start=batch.period_start,
            period_end=batch.period_end,
            minimum_payout=batch.minimum_payout,
            idempotency_key=batch.idempotency_key,
        )
        assert again.pk == batch.pk
        assert (Payout.objects.count(), Transaction.objects.count()) == before

    @precondition(lambda self: self.payouts)
    @rule(pick=st.integers(0, 10**6))
    def payout_marked_paid_twice(self, pick):
        self.count("mark_paid")
        payout = self.payouts[pick % len(self.payouts)]
        reference = f"BANK-{payout.pk}"
        first = services.mark_paid(payout, bank_reference=reference)
        second = services.mark_paid(payout, bank_reference=reference)
        assert first.paid_at == second.paid_at and second.status == "paid"

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def books_balance(self) -> None:
        self.check()

    def check(self, force: bool = False) -> None:
        if not force and self.steps % 10:
            return
        assert services.trial_balance() == 0
        assert services.balances(self.expected_accounts()) == dict(self.expected)
        mine = [a.pk for a in self.payables]
        paid = dict(
            Payout.objects.filter(account_id__in=mine)
            .values("account_id")
            .annotate(s=Sum("amount"))
            .values_list("account_id", "s")
        )
        assert paid == {pk: amount for pk, amount in self.paid_out.items() if amount}
        twice = (
            Payout.objects.values("batch_id", "account_id").annotate(n=Count("id")).filter(n__gt=1)
        )
        assert not twice.exists()

    def expected_accounts(self):
        return list(self.platform.values()) + self.payables


def test_ten_thousand_random_ledger_operations_keep_the_books_sound():
    OPERATIONS.clear()
    LedgerMachine.TestCase.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    LedgerMachine.TestCase().runTest()
    total = sum(OPERATIONS.values())
    print(f"{total} operations: {dict(OPERATIONS)}")
    assert total >= 10_000, OPERATIONS
    assert OPERATIONS["settlement"] > 100 and OPERATIONS["reversal"] > 100
