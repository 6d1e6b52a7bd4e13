"""Settlement benchmark: N posted order-like ledger transactions, then time ``run_settlement``.

Prints figures, never asserts. Goal (issue 6): settling 100,000 order lines ≤ 30 s.

    .venv/bin/python benchmarks/settlement_bench.py                   # SQLite, 100,000 orders
    .venv/bin/python benchmarks/settlement_bench.py --orders 20000    # quick look
    .venv/bin/python benchmarks/settlement_bench.py \\
        --database-url postgres://postgres@127.0.0.1:5432/ledger_dev_bench

SQLite runs in a temp dir (``DURE_VAR_DIR``) that is removed afterwards (``--keep`` keeps it).
With ``--database-url`` the PostgreSQL database is created when missing and dropped at the end
only if the script created it; a database that already holds ledger transactions is refused.

Each order is one posted transaction, like the market's checkout posting: Dr payment clearing
(total) / Cr VAT payable / Cr platform revenue / Cr supplier payable / Cr MC payable (70 % of
orders) / Cr CC payable (30 %), amounts from ``vat_split`` and ``apply_rate``; the parties are
200 suppliers, 50 MCs and 50 CCs (plus 20 small CCs owed 900 원 each, below the minimum);
orders occur over the first half of March 2026 (Asia/Seoul).
Rows are written with ``bulk_create`` as drafts and flipped to posted with one UPDATE, so the
database triggers check every transaction's balance on the way, as in production.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _setup(database_url: str | None, var_dir: Path) -> None:
    os.environ["DURE_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DEBUG", "true")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    import django

    django.setup()


def _createdb(url: str) -> bool:
    """Create the PostgreSQL database if missing; True when this script created it."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if name in {"postgres", "template0", "template1"} or name.startswith("test"):
        sys.exit(f"refusing to use database {name!r}")
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    args += ["-U", parts.username or "postgres"]
    made = subprocess.run(["createdb", *args, name], env=env, capture_output=True, text=True)
    if made.returncode == 0:
        return True
    if "already exists" in made.stderr:
        return False
    sys.exit(made.stderr)


def _dropdb(url: str) -> None:
    parts = urlsplit(url)
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    args += ["-U", parts.username or "postgres", parts.path.lstrip("/")]
    subprocess.run(["dropdb", *args], env=env, check=False)


def _generate(orders: int, seed: int) -> tuple[int, float]:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.db import transaction

    from dure.ledger import services
    from dure.ledger.models import Account, Entry, Transaction
    from dure.ledger.models import AccountKind as K
    from dure.ledger.money import apply_rate, vat_split

    rng = random.Random(seed)
    seoul = ZoneInfo("Asia/Seoul")
    started = time.perf_counter()

    def parties(kind: str, label: str, n: int) -> list[Account]:
        Account.objects.bulk_create(
            [Account(kind=kind, party_type=label, party_id=i) for i in range(1, n + 1)],
            ignore_conflicts=True,
        )
        return list(Account.objects.filter(kind=kind, party_type=label).order_by("party_id"))

    suppliers = parties(K.SUPPLIER_PAYABLE, "bench.supplier", 200)
    sellers = parties(K.SELLER_PAYABLE, "bench.seller", 50)
    creators = parties(K.CREATOR_PAYABLE, "bench.creator", 50)
    clearing = services.account(K.PAYMENT_CLEARING)
    vat_account = services.account(K.VAT_PAYABLE)
    revenue = services.account(K.PLATFORM_REVENUE)
    period_start = dt.datetime(2026, 3, 1, tzinfo=seoul)
    span = 15 * 24 * 3600 - 1
    lines_written = 0
    chunk = 5_000
    for first in range(0, orders, chunk):
        size = min(chunk, orders - first)
        with transaction.atomic():
            reference = f"bench:{first}"
            txns = Transaction.objects.bulk_create(
                [
                    Transaction(
                        memo="주문 대금",
                        reference=reference,
                        occurred_at=period_start + dt.timedelta(seconds=rng.randint(0, span)),
                    )
                    for _ in range(size)
                ],
                batch_size=1_000,
            )
            entries = []
            for txn in txns:
                total = rng.randint(1, 400) * 500
                supply, vat = vat_split(total, rng.choice(["taxable", "taxable", "exempt"]))
                fee = apply_rate(supply, 500)
                mc = apply_rate(supply, rng.choice([300, 500, 700])) if rng.random() < 0.7 else 0
                cc = apply_rate(supply, rng.choice([100, 200])) if rng.random() < 0.3 else 0
                lines = [
                    (clearing, total),
                    (vat_account, -vat),
                    (revenue, -fee),
                    (rng.choice(suppliers), -(supply - fee - mc - cc)),
                    (rng.choice(sellers), -mc),
                    (rng.choice(creators), -cc),
                ]
                entries += [
                    Entry(transaction_id=txn.pk, account_id=a.pk, amount=m) for a, m in lines if m
                ]
            Entry.objects.bulk_create(entries, batch_size=2_000)
            lines_written += len(entries)
            Transaction.objects.filter(reference=reference, status="draft").update(status="posted")
    # A few small creators stay below the minimum payout and carry over.
    for small in parties(K.CREATOR_PAYABLE, "bench.small_creator", 20):
        services.post(
            lines=[(revenue, 900), (small, -900)],
            memo="소액 수수료",
            occurred_at=period_start + dt.timedelta(days=3),
        )
        lines_written += 2
    return lines_written, time.perf_counter() - started


def _timed(label: str, fn, rows: list[tuple[str, str]]):
    started = time.perf_counter()
    result = fn()
    rows.append((label, f"{time.perf_counter() - started:8.3f} s"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--minimum", type=int, default=10_000, help="minimum payout (원)")
    parser.add_argument("--seed", type=int, default=20260315)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite temp dir")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="dure-settlement-bench-"))
    created = _createdb(args.database_url) if args.database_url else False
    try:
        _setup(args.database_url, var_dir)
        run(args)
    finally:
        if created:
            from django.db import connections

            connections.close_all()
            _dropdb(args.database_url)
        if args.keep and not args.database_url:
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection

    from dure.ledger import services
    from dure.ledger.models import Account, Entry, Payout, Transaction

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started
    if Transaction.objects.exists():
        sys.exit("the database already holds ledger transactions; use an empty one")

    lines, generate_s = _generate(args.orders, args.seed)
    if connection.vendor == "postgresql":
        # What autovacuum would have done by now: planner statistics for the fresh rows.
        with connection.cursor() as cursor:
            for table in ("ledger_account", "ledger_transaction", "ledger_entry"):
                cursor.execute(f"ANALYZE {table}")
    rows: list[tuple[str, str]] = [
        ("database", f"{connection.vendor} {connection.settings_dict['NAME']}"),
        ("migrate", f"{migrate_s:8.3f} s"),
        ("orders (posted transactions)", f"{args.orders:,}"),
        ("entry lines", f"{lines:,}"),
        ("generate + post", f"{generate_s:8.3f} s ({args.orders / generate_s:,.0f} orders/s)"),
    ]
    period = {"period_start": dt.date(2026, 3, 1), "period_end": dt.date(2026, 3, 15)}
    batch = _timed(
        "run_settlement (first run)",
        lambda: services.run_settlement(
            **period, minimum_payout=args.minimum, idempotency_key="bench-1"
        ),
        rows,
    )
    rows.append(("payouts", f"{batch.payout_count:,} ({batch.total_amount:,}원)"))
    payable = Account.objects.filter(kind__endswith="_payable", party_type__startswith="bench.")
    below = payable.count() - batch.payout_count
    rows.append(("payable accounts carried over", f"{below:,} (below {args.minimum:,}원)"))
    again = _timed(
        "run_settlement (rerun, same key)",
        lambda: services.run_settlement(
            **period, minimum_payout=args.minimum, idempotency_key="bench-1"
        ),
        rows,
    )
    assert again.pk == batch.pk
    second = _timed(
        "run_settlement (same period, new key)",
        lambda: services.run_settlement(
            **period, minimum_payout=args.minimum, idempotency_key="bench-2"
        ),
        rows,
    )
    rows.append(("  payouts in that batch", f"{second.payout_count:,} (nothing owed twice)"))
    trial = _timed("trial_balance", services.trial_balance, rows)
    rows.append(("  trial balance", f"{trial:,}"))
    some = Payout.objects.filter(batch=batch).select_related("account").first()
    if some is not None:
        stmt = _timed(
            "statement (one supplier, period)",
            lambda: services.statement(
                some.account, start=period["period_start"], end=period["period_end"]
            ),
            rows,
        )
        rows.append(("  statement lines", f"{len(stmt.lines):,}"))
        _timed(
            "statement_pdf",
            lambda: services.statement_pdf(stmt, title="정산 명세서", party_name="벤치 입점사"),
            rows,
        )
        _timed(
            "statement_xlsx",
            lambda: services.statement_xlsx(stmt, title="정산 명세서", party_name="벤치 입점사"),
            rows,
        )
    rows.append(("ledger rows", f"{Transaction.objects.count():,} tx / {Entry.objects.count():,}"))
    width = max(len(label) for label, _ in rows)
    print(f"\nsettlement benchmark (goal: run_settlement ≤ 30 s for {args.orders:,} orders)")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


if __name__ == "__main__":
    main()
