"""Marketplace benchmark: checkout throughput and latency with concurrent buyers against a
running gunicorn server, and settlement time for many order lines. Prints figures; never
asserts. Goals (issue 6): checkout p95 ≤ 300 ms with 20 buyers, settlement ≤ 30 s for 100,000
order lines.

    .venv/bin/python benchmarks/market_bench.py                         # SQLite, 20 buyers, 10 s
    .venv/bin/python benchmarks/market_bench.py --buyers 20 --seconds 5 --lines 20000
    .venv/bin/python benchmarks/market_bench.py \\
        --database-url postgres://postgres@127.0.0.1:5432/market_bench

1. Checkout: a fresh database (migrate, reference and demo data), one API token per buyer and a
   product with enough stock; each buyer POSTs /api/v1/market/checkout (one line, a new
   Idempotency-Key each time) in a closed loop against gunicorn (production settings).
2. Settlement: in a separate process on the same database, ``--lines`` order lines in orders of
   ``--lines-per-order`` lines across 50 suppliers, 20 MCs and 20 CCs are written in bulk and
   posted to the ledger (payment and approval, one transaction each per order, as the services
   do); then ``services.settlement_run`` is timed (ledger batch + marking the commission lines
   paid).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_bench import HOST, VENV_BIN, Postgres, Server, percentile, run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOAL_P95_MS = 300.0
GOAL_SETTLEMENT_S = 30.0

SETUP = r"""
import json, sys
from dure.accounts.models import User
from dure.accounts.services import api_token_create
from dure.market.models import Category, Product, SupplierProfile
n = int(sys.argv[1])
supplier = SupplierProfile.objects.filter(status="approved").first()
category = Category.objects.first()
product, _ = Product.objects.get_or_create(
    supplier=supplier, name="벤치마크 상품",
    defaults={"category": category, "price": 11_000, "stock": 10**9},
)
tokens = []
for i in range(n):
    user, _ = User.objects.get_or_create(username=f"bench_buyer{i}")
    tokens.append(api_token_create(user=user, name="bench")[1])
print(json.dumps({"product": product.pk, "tokens": tokens}))
"""

SETTLEMENT = r"""
import datetime as dt, json, sys, time
from django.db import transaction
from django.utils import timezone
from dure.accounts.models import User
from dure.directory.models import Organisation, OrganisationKind
from dure.directory.demo import demo_business_number
from dure.ledger import services as ledger
from dure.ledger.models import AccountKind as K
from dure.market import services
from dure.market.models import *

total_lines, per_order = int(sys.argv[1]), int(sys.argv[2])
now = timezone.now()
started = time.perf_counter()
category = Category.objects.first()
suppliers = []
for i in range(50):
    org, _ = Organisation.objects.get_or_create(
        name=f"벤치 입점사 {i}", defaults={"kind": OrganisationKind.COOPERATIVE,
        "business_number": demo_business_number(60_000 + i)})
    s, _ = SupplierProfile.objects.get_or_create(organisation=org, defaults={
        "business_number": org.business_number, "economy_type": "cooperative",
        "status": "approved", "surveyed_at": now, "inspected_at": now})
    suppliers.append(s)
products = [Product.objects.create(supplier=s, category=category, name=f"벤치 {s.pk}",
            price=10_000 + s.pk, stock=10**9) for s in suppliers]
buyer, _ = User.objects.get_or_create(username="bench_settle_buyer")
sellers, creators = [], []
for i in range(20):
    u, _ = User.objects.get_or_create(username=f"bench_mc{i}")
    sellers.append(SellerProfile.objects.get_or_create(referral_code=f"MBENCH{i:02d}",
                   defaults={"user": u, "display_name": f"MC {i}"})[0])
    creators.append(CreatorProfile.objects.get_or_create(referral_code=f"CBENCH{i:02d}",
                   defaults={"user": u, "display_name": f"CC {i}"})[0])
orders = total_lines // per_order
for o in range(orders):
    with transaction.atomic():
        seller, creator = sellers[o % 20], creators[(o * 7) % 20]
        order = Order.objects.create(buyer=buyer, idempotency_key=f"bench-{o}", fingerprint="b",
                                     payment_method="invoice", total=0, status="paid",
                                     seller=seller, creator=creator)
        Payment.objects.create(order=order, provider="invoice", amount=0, status="confirmed",
                               confirmed_at=now)
        product = products[o % 50]
        sub = SubOrder.objects.create(order=order, supplier=product.supplier, total=0,
                                      status="delivered", paid_at=now, delivered_at=now,
                                      approved_at=now)
        lines = OrderLine.objects.bulk_create([
            OrderLine(suborder=sub, product=product, product_name=product.name,
                      unit_price=product.price, tax_type="taxable", quantity=1,
                      line_total=product.price, supply_amount=product.price * 10 // 11,
                      vat_amount=product.price - product.price * 10 // 11,
                      seller=seller, creator=creator) for _ in range(per_order)])
        fee, mc, cc = (product.price * r // 10_000 for r in (500, 300, 200))
        CommissionLine.objects.bulk_create([
            CommissionLine(order_line=l, kind=k, seller=s, creator=c, rate_bp=r, amount=a,
                           status="approved", approved_at=now)
            for l in lines for k, s, c, r, a in (("platform_fee", None, None, 500, fee),
                                                  ("seller", seller, None, 300, mc),
                                                  ("creator", None, creator, 200, cc))])
        total = product.price * per_order
        share = total - (fee + mc + cc) * per_order
        A = ledger.account
        ledger.post(lines=[(A(K.PAYMENT_CLEARING), total),
                           (A(K.SUPPLIER_PENDING, product.supplier), -share),
                           (A(K.SELLER_PENDING, seller), -mc * per_order),
                           (A(K.CREATOR_PENDING, creator), -cc * per_order),
                           (A(K.PLATFORM_REVENUE), -fee * per_order)],
                    memo="bench payment", occurred_at=now)
        ledger.post(lines=[(A(K.SUPPLIER_PENDING, product.supplier), share),
                           (A(K.SUPPLIER_PAYABLE, product.supplier), -share),
                           (A(K.SELLER_PENDING, seller), mc * per_order),
                           (A(K.SELLER_PAYABLE, seller), -mc * per_order),
                           (A(K.CREATOR_PENDING, creator), cc * per_order),
                           (A(K.CREATOR_PAYABLE, creator), -cc * per_order)],
                    memo="bench approval", occurred_at=now)
setup = time.perf_counter() - started
admin = User.objects.filter(is_platform_admin=True).first()
today = timezone.localdate()
t0 = time.perf_counter()
settlement = services.settlement_run(actor=admin, period_start=today - dt.timedelta(days=15),
                                     period_end=today, idempotency_key=f"bench-{time.time()}",
                                     minimum_payout=10_000)
elapsed = time.perf_counter() - t0
paid = CommissionLine.objects.filter(settlement=settlement).count()
print(json.dumps({"lines": orders * per_order, "orders": orders, "setup_s": setup,
                  "settlement_s": elapsed, "payouts": settlement.payout_count,
                  "commission_lines_paid": paid}))
"""


def checkout_load(
    port: int, product: int, tokens: list[str], seconds: float, tag: str = "run"
) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens))
    deadline_box = [0.0]

    def client(token: str) -> None:
        mine: list[float] = []
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        counter = itertools.count()
        body = json.dumps(
            {"lines": [{"product_id": product, "quantity": 1}], "payment_method": "invoice"}
        )
        if barrier.wait() == 0:
            deadline_box[0] = time.perf_counter() + seconds
        time.sleep(0.01)
        while time.perf_counter() < deadline_box[0]:
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"{tag}-{token[-8:]}-{next(counter)}",
            }
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/market/checkout", body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status == 201:
                    mine.append(time.perf_counter() - t0)
                else:
                    with lock:
                        errors[f"HTTP {resp.status}"] = errors.get(f"HTTP {resp.status}", 0) + 1
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                with lock:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(t,)) for t in tokens]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "ok": len(latencies),
        "errors": errors,
        "wall": wall,
        "p50": percentile(latencies, 50) * 1000 if latencies else 0,
        "p95": percentile(latencies, 95) * 1000 if latencies else 0,
        "throughput": len(latencies) / seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--lines", type=int, default=100_000, help="order lines to settle")
    parser.add_argument("--lines-per-order", type=int, default=10)
    parser.add_argument("--skip-checkout", action="store_true")
    parser.add_argument("--skip-settlement", action="store_true")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    dure = str(VENV_BIN / "dure")
    pg = Postgres(args.database_url) if args.database_url else None
    tmp = Path(tempfile.mkdtemp(prefix="dure-market-bench-"))
    server = None
    try:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DURE_TESTING"}
        }
        env.update(DJANGO_SETTINGS_MODULE="dure.settings", DURE_VAR_DIR=str(tmp))
        if pg:
            pg.create()
            env["DATABASE_URL"] = args.database_url
        setup_env = {**env, "DEBUG": "true"}
        run([dure, "migrate", "--noinput", "-v", "0"], setup_env, "migrate")
        run([dure, "load-reference"], setup_env, "load-reference")
        run([dure, "load-demo"], setup_env, "load-demo")
        print("Dure market benchmark")
        print(
            f"database: {'PostgreSQL ' + args.database_url if pg else 'SQLite (WAL) ' + str(tmp)}"
        )
        print(f"machine:  {os.cpu_count()} cores, load avg {os.getloadavg()[0]:.2f}")
        if not args.skip_checkout:
            out = run(
                [dure, "shell", "-c", SETUP.replace("sys.argv[1]", str(args.buyers))],
                setup_env,
                "bench buyers",
            )
            data = json.loads(out.strip().splitlines()[-1])
            server_env = {
                **env,
                "DEBUG": "false",
                "SECRET_KEY": secrets.token_urlsafe(64),
                "ALLOWED_HOSTS": HOST,
                "SECURE_SSL_REDIRECT": "false",
                "SECURE_HSTS_SECONDS": "0",
            }
            run([dure, "collectstatic", "--noinput", "-v", "0"], server_env, "collectstatic")
            server = Server(server_env, args.workers, tmp / "gunicorn.log", "dure.wsgi:application")
            server.wait_ready()
            checkout_load(server.port, data["product"], data["tokens"][:2], 1.0, "warm")
            r = checkout_load(server.port, data["product"], data["tokens"], args.seconds)
            print(
                f"checkout: {args.buyers} buyers, {args.seconds:.0f} s, {args.workers} workers: "
                f"{r['ok']} orders, {r['throughput']:.1f} orders/s, p50 {r['p50']:.0f} ms, "
                f"p95 {r['p95']:.0f} ms (goal ≤ {GOAL_P95_MS:.0f} ms), errors {r['errors'] or 0}"
            )
            server.stop()
            server = None
        if not args.skip_settlement:
            script = SETTLEMENT.replace("sys.argv[1]", str(args.lines)).replace(
                "sys.argv[2]", str(args.lines_per_order)
            )
            out = run([dure, "shell", "-c", script], setup_env, "settlement data + run")
            s = json.loads(out.strip().splitlines()[-1])
            print(
                f"settlement: {s['lines']:,} order lines in {s['orders']:,} orders "
                f"(setup {s['setup_s']:.0f} s): run {s['settlement_s']:.2f} s "
                f"(goal ≤ {GOAL_SETTLEMENT_S:.0f} s), {s['payouts']} payouts, "
                f"{s['commission_lines_paid']:,} commission lines marked paid"
            )
    finally:
        if server:
            server.stop()
        if pg:
            pg.drop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
