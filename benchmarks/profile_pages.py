"""Where does a page's time go? In-process profile with the Django test client.

Uses a database kept by ``http_bench.py --keep`` (or ``--var-dir``), production settings
(DEBUG off) and, per path: CPU ms per request, the SQL queries of one request with their time,
and optionally a pyinstrument or cProfile tree::

    .venv/bin/python benchmarks/profile_pages.py /tmp/dure-bench-XXXX
    .venv/bin/python benchmarks/profile_pages.py /tmp/dure-bench-XXXX "/directory/?q=협동조합" --tree

CPU time (``time.process_time``) is reported next to wall time because it is much less
disturbed by other work on the machine.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time

DEFAULT_PATHS = [
    "/ping",
    "/",
    "/directory/",
    "/directory/?q=협동조합",
    "/directory/?q=기술 융합",
    "/api/v1/organisations?page_size=20",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("var_dir", help="DURE_VAR_DIR holding dure.sqlite3 (from --keep)")
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    parser.add_argument("-n", type=int, default=20, help="timed requests per path")
    parser.add_argument("--queries", type=int, default=6, help="slowest queries to show")
    parser.add_argument("--tree", action="store_true", help="print a call tree per path")
    args = parser.parse_args(argv)

    os.environ.update(
        DURE_VAR_DIR=args.var_dir,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DJANGO_SETTINGS_MODULE="dure.settings",
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    for path in args.paths:
        for _ in range(3):  # warm caches, Kiwi, URL resolvers
            client.get(path)
        wall, cpu = [], []
        for _ in range(args.n):
            w0, c0 = time.perf_counter(), time.process_time()
            response = client.get(path)
            wall.append(time.perf_counter() - w0)
            cpu.append(time.process_time() - c0)
        with CaptureQueriesContext(connection) as ctx:
            client.get(path)
        queries = ctx.captured_queries
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        print(
            f"\n== {path}: HTTP {response.status_code}, {len(response.content)} bytes; "
            f"median wall {statistics.median(wall) * 1000:.1f} ms, "
            f"median CPU {statistics.median(cpu) * 1000:.1f} ms; "
            f"{len(queries)} queries, {sql_ms:.1f} ms SQL"
        )
        for q in sorted(queries, key=lambda q: -float(q["time"]))[: args.queries]:
            print(f"   {float(q['time']) * 1000:7.1f} ms  {q['sql'][:300]}")
        if args.tree:
            tree(client, path, args.n)
    return 0


def tree(client, path: str, n: int) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(n):
            client.get(path)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(n):
        client.get(path)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    sys.exit(main())
