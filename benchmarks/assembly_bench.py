"""Assembly benchmark: a cooperative of 100,000 members (large consumer cooperatives are this
size) checks everyone in, records everyone's electronic ballot on one item, then closes the
item (the tally). Prints the times; never asserts. Goals (issue 5): tally ≤ 1 s, 100,000 ballots
recorded ≤ 60 s.

    .venv/bin/python benchmarks/assembly_bench.py                      # SQLite (a temp file)
    .venv/bin/python benchmarks/assembly_bench.py --members 20000      # quick look
    .venv/bin/python benchmarks/assembly_bench.py \\
        --database-url postgres://postgres@127.0.0.1:5432/gov_models   # PostgreSQL

It runs in this process on a fresh database: SQLite in a temp dir, or the PostgreSQL database
named in ``--database-url`` (migrated; the benchmark's rows are left there, each run uses a new
cooperative). The members are written with ``bulk_create`` (setup, timed separately); check-in,
ballots and the tally go through the governance services' own paths: ``checkins_bulk``,
``ballots_cast_bulk`` (in batches of ``--batch``, each one transaction that checks the item is
open, each voter present and nobody voting twice, with the unique constraints as the last
word) and ``item_close`` (counts by choice with the rule and arithmetic in words).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_TALLY_S = 1.0
GOAL_BALLOTS_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="dure-assembly-bench-")
    os.environ["DURE_VAR_DIR"] = tmp.name
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(
        f"database: {connection.vendor} ({connection.settings_dict['NAME']}); migrate {time.perf_counter() - t:.1f} s"
    )
    run(args.members, args.batch)
    tmp.cleanup()


def run(n: int, batch: int) -> None:
    import datetime as dt
    import secrets

    from django.utils import timezone

    from dure.accounts.models import User
    from dure.directory.models import Membership, Organisation, OrganisationKind, Role
    from dure.governance import services
    from dure.governance.models import Ballot, Matter, Member, RecordingMode

    tag = secrets.token_hex(3)
    t = time.perf_counter()
    coop = Organisation.objects.create(
        kind=OrganisationKind.COOPERATIVE, name=f"벤치마크 소비자생활협동조합 {tag}"
    )
    chair, _ = User.objects.get_or_create(username=f"bench-chair-{tag}")
    Membership.objects.create(user=chair, organisation=coop, role=Role.CHAIR)
    Member.objects.bulk_create(
        [
            Member(
                organisation=coop,
                number=i + 1,
                name=f"조합원{i + 1}",
                joined_on=dt.date(2020, 1, 1),
            )
            for i in range(n)
        ],
        batch_size=5000,
    )
    ids = list(
        Member.objects.filter(organisation=coop).order_by("number").values_list("pk", flat=True)
    )
    print(f"setup: {n:,} members written in {time.perf_counter() - t:.1f} s")

    assembly = services.assembly_convene(
        actor=chair,
        organisation=coop,
        kind="ordinary",
        title="벤치마크 정기총회",
        scheduled_at=timezone.now() + dt.timedelta(days=8),
        place="체육관",
        purpose="결산 승인",
        board_decision="이사회 결의",
    )
    item = services.agenda_item_add(
        actor=chair,
        assembly=assembly,
        title="결산 승인",
        matter=Matter.FINANCIAL_STATEMENTS,
        recording_mode=RecordingMode.ELECTRONIC,
    )
    assembly = services.assembly_open(actor=chair, assembly=assembly)

    t = time.perf_counter()
    for start in range(0, n, batch):
        services.checkins_bulk(assembly=assembly, member_ids=ids[start : start + batch])
    checkin_s = time.perf_counter() - t
    print(f"check-in: {n:,} members in {checkin_s:.1f} s ({n / checkin_s:,.0f}/s)")

    services.item_open(actor=chair, item=item)
    choices = ["yes", "yes", "yes", "no", "abstain"]
    t = time.perf_counter()
    for start in range(0, n, batch):
        chunk = ids[start : start + batch]
        services.ballots_cast_bulk(
            item=item, votes=[(pk, choices[(start + i) % 5]) for i, pk in enumerate(chunk)]
        )
    ballots_s = time.perf_counter() - t
    print(
        f"ballots: {n:,} recorded in {ballots_s:.1f} s ({n / ballots_s:,.0f}/s) "
        f"— goal ≤ {GOAL_BALLOTS_S:.0f} s: {'met' if ballots_s <= GOAL_BALLOTS_S else 'NOT met'}"
    )

    t = time.perf_counter()
    closed = services.item_close(actor=chair, item=item)
    tally_s = time.perf_counter() - t
    print(
        f"tally (close the item): {tally_s * 1000:.0f} ms — goal ≤ {GOAL_TALLY_S:.0f} s: "
        f"{'met' if tally_s <= GOAL_TALLY_S else 'NOT met'}"
    )
    print(
        f"result: {closed.explanation} (yes {closed.yes:,}, no {closed.no:,}, abstain {closed.abstain:,})"
    )
    assert Ballot.objects.filter(item=item).count() == n  # noqa: S101 - a sanity check, not a goal


if __name__ == "__main__":
    main()
