"""HTTP benchmark for Dure: a fresh database with many organisations, gunicorn in production
mode, and a fixed-duration closed-loop load per endpoint. Prints figures; never asserts.

    .venv/bin/python benchmarks/http_bench.py                      # SQLite, 10,000 orgs, 10 s each
    .venv/bin/python benchmarks/http_bench.py --orgs 2000 --seconds 3
    .venv/bin/python benchmarks/http_bench.py \\
        --database-url postgres://postgres@127.0.0.1:5432/dure_bench

See benchmarks/README.md for how to read the table.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import math
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"  # all load goes to the loopback interface only

# Goal: every page's median within 3x the floor's median, p95 under 150 ms (on SQLite).
GOAL_P50_RATIO = 3.0
GOAL_P95_MS = 150.0

FLOOR = "/ping"
PAGES = [
    "/",
    "/directory/",
    "/directory/?q=협동조합",
    "/directory/?q=기술 융합",
]
# Public pages are served from a page cache to visitors without a session. Each page is also
# measured with a parameter that changes on every request ("uncached"), which forces the real
# work: what a signed-in user, or the first visitor after a change, waits for.
CACHE_BUSTER = "_nocache=__N__"


def uncached(path: str) -> str:
    return path + ("&" if "?" in path else "?") + CACHE_BUSTER


# The JSON list API; the first candidate that is not a 404 is measured.
API_CANDIDATES = [
    "/api/v1/organisations?page_size=20",
    "/api/v1/organisations/?page_size=20",
]
REFUSED_DATABASES = {"test", "postgres", "template0", "template1"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# --- Small helpers -----------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], env: dict[str, str], what: str) -> str:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise RuntimeError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}")
    log(f"{what}: {time.perf_counter() - started:.1f} s")
    return proc.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def request_path(path: str) -> str:
    """Percent-encode the query (Korean, spaces) the way a browser would."""
    if "?" not in path:
        return path
    base, query = path.split("?", 1)
    return base + "?" + quote(query, safe="=&")


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


# --- PostgreSQL database lifecycle ------------------------------------------------------------


@dataclass
class Postgres:
    url: str
    name: str = ""
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    created: bool = False

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("postgres", "postgresql", "pgsql"):
            raise SystemExit(f"--database-url must be a postgres:// URL, got {parts.scheme!r}")
        self.name = unquote(parts.path.lstrip("/"))
        if not self.name or self.name in REFUSED_DATABASES:
            raise SystemExit(f"refusing to use database {self.name!r}; pick e.g. dure_bench")
        self.args = ["-h", parts.hostname or HOST, "-p", str(parts.port or 5432)]
        if parts.username:
            self.args += ["-U", unquote(parts.username)]
        self.env = dict(os.environ)
        if parts.password:
            self.env["PGPASSWORD"] = unquote(parts.password)

    def _psql(self, sql: str, database: str = "postgres") -> str:
        # SQL on stdin so that psql interpolates :'dbname' as a quoted literal.
        out = subprocess.run(
            ["psql", *self.args, "-d", database, "-tAq", "-v", f"dbname={self.name}", "-f", "-"],
            input=sql,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def create(self) -> None:
        exists = self._psql("SELECT 1 FROM pg_database WHERE datname = :'dbname'")
        if exists:
            if not self.name.startswith("dure_bench"):
                raise SystemExit(
                    f"database {self.name!r} already exists; only dure_bench* databases are "
                    "dropped automatically. Drop it yourself or pick another name."
                )
            log(f"dropping leftover database {self.name}")
            self.drop(force=True)
        subprocess.run(["createdb", *self.args, self.name], env=self.env, check=True)
        self.created = True

    def drop(self, force: bool = False) -> None:
        if not (self.created or force):
            return
        subprocess.run(
            ["dropdb", *self.args, "--if-exists", "--force", self.name],
            env=self.env,
            check=False,
            capture_output=True,
        )
        self.created = False

    def version(self) -> str:
        return self._psql("SHOW server_version", database=self.name)


# --- The server ---------------------------------------------------------------------------------


def control_socket_option() -> bool:
    out = subprocess.run(
        [str(VENV_BIN / "gunicorn"), "--help"], capture_output=True, text=True, check=False
    )
    return "--no-control-socket" in out.stdout


class Server:
    def __init__(self, env: dict[str, str], workers: int, log_path: Path, app: str) -> None:
        self.port = free_port()
        self.log_path = log_path
        self._log = log_path.open("w")
        cmd = [
            str(VENV_BIN / "gunicorn"),
            app,
            "-w",
            str(workers),
            "-b",
            f"{HOST}:{self.port}",
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--error-logfile",
            "-",
        ]
        if control_socket_option():
            # gunicorn >= 24 opens a shared control socket under ~/.gunicorn by default.
            cmd.append("--no-control-socket")
        # Own session: a Ctrl-C in the terminal reaches only us, and we stop the server.
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.tail()}")
            status, _body = get_once(self.port, "/healthz", timeout=2)
            if status == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def worker_cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the gunicorn workers, from /proc."""
        total = 0.0
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
            for pid in children.split():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    fields = stat.rsplit(")", 1)[1].split()
                    total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # gunicorn master: graceful shutdown of its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                # The process group is the one gunicorn's master leads (we started it).
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._log.close()


# --- The load generator -------------------------------------------------------------------------

HEADERS = {
    "Accept": "text/html,application/json;q=0.9,*/*;q=0.8",
    "Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5",
    "User-Agent": "dure-http-bench/1",
}


def get_once(port: int, path: str, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", request_path(path), headers=HEADERS)
        resp = conn.getresponse()
        return resp.status, resp.read()
    except OSError:
        return 0, b""
    finally:
        conn.close()


def drain(port: int, limit: float = 120.0) -> float:
    """Wait until the server answers /ping promptly again, so that requests still queued from
    one endpoint (e.g. after client timeouts) do not land in the next one's figures. Bounded."""
    started = time.monotonic()
    quick = 0
    while quick < 2 and time.monotonic() - started < limit:
        t0 = time.perf_counter()
        status, _body = get_once(port, FLOOR, timeout=max(1.0, limit / 4))
        quick = quick + 1 if status == 200 and time.perf_counter() - t0 < 0.1 else 0
        if status != 200:
            time.sleep(0.2)
    return time.monotonic() - started


@dataclass
class Result:
    label: str
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    error_kinds: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0  # seconds of CPU used by the gunicorn workers during the run
    note: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


def _client(
    port: int,
    path: str,
    start: threading.Barrier,
    deadline_box: list[float],
    stop: threading.Event,
    out: Result,
    lock: threading.Lock,
) -> None:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    target = request_path(path)
    bust = "__N__" in target
    counter = itertools.count()
    start.wait()
    deadline = deadline_box[0]
    now = time.perf_counter
    while not stop.is_set():
        t0 = now()
        if t0 >= deadline:
            break
        try:
            # Keep-alive client: the connection is reused when the server allows it (gunicorn's
            # sync workers answer "Connection: close", and http.client then reconnects).
            url = target.replace("__N__", f"{id(counter)}-{next(counter)}") if bust else target
            conn.request("GET", url, headers=HEADERS)
            resp = conn.getresponse()
            resp.read()
            elapsed = now() - t0
            if resp.status == 200:
                latencies.append(elapsed)
            else:
                errors[f"HTTP {resp.status}"] += 1
        except (OSError, http.client.HTTPException) as exc:
            errors[type(exc).__name__] += 1
            conn.close()
            time.sleep(0.01)  # do not spin if the server is gone; the loop is still bounded
    conn.close()
    with lock:
        out.latencies.extend(latencies)
        out.errors += sum(errors.values())
        out.error_kinds.update(errors)


def load(server: Server, path: str, seconds: float, clients: int, stop: threading.Event) -> Result:
    port = server.port
    result = Result(label=path)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline_box = [0.0]
    threads = [
        threading.Thread(
            target=_client,
            args=(port, path, start, deadline_box, stop, result, lock),
            daemon=True,
        )
        for _ in range(clients)
    ]
    for t in threads:
        t.start()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu0 = server.worker_cpu_seconds()
    t0 = time.perf_counter()
    deadline_box[0] = t0 + seconds
    start.wait()
    for t in threads:
        # A request in flight at the deadline finishes (socket timeout 30 s bounds it).
        t.join(timeout=seconds + 35)
    result.wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    result.server_cpu = server.worker_cpu_seconds() - server_cpu0
    result.client_cpu = (
        (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    ) / result.wall
    result.latencies.sort()
    waited = drain(port)
    if waited > 1:
        log(f"{path}: waited {waited:.1f} s for the server to finish queued requests")
    return result


# --- Reporting ------------------------------------------------------------------------------------

COLUMNS = (
    f"{'endpoint':<38} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
    f"{'p99 ms':>8} {'errors':>6} {'p50/floor':>9} {'cpu ms':>7}  goal"
)


def row(result: Result, floor_p50: float | None) -> str:
    if result.note:
        return f"{result.label:<38} {result.note}"
    p50, p95, p99 = result.p(50), result.p(95), result.p(99)
    rate = result.requests / result.wall if result.wall else 0.0
    cpu_ms = result.server_cpu * 1000 / result.requests if result.requests else math.nan
    reference = floor_p50 if floor_p50 is not None else p50  # the floor row shows 1.00x
    ratio = p50 / reference if reference and not math.isnan(p50) else math.nan
    if floor_p50 is None:
        goal = "floor"
    elif math.isnan(floor_p50):
        goal = "no floor"
    elif result.errors or math.isnan(p50):
        goal = "ERRORS"
    elif ratio <= GOAL_P50_RATIO and p95 < GOAL_P95_MS:
        goal = "ok"
    else:
        misses = []
        if ratio > GOAL_P50_RATIO:
            misses.append(f"p50>{GOAL_P50_RATIO:g}x")
        if p95 >= GOAL_P95_MS:
            misses.append(f"p95>={GOAL_P95_MS:g}ms")
        goal = "MISS " + ",".join(misses)
    # Korean characters are two columns wide in a terminal; pad by display width.
    width = 38 - sum(1 for ch in result.label if "\uac00" <= ch <= "\ud7a3")
    return (
        f"{result.label:<{width}} {result.requests:>8} {rate:>8.1f} {p50:>8.1f} {p95:>8.1f} "
        f"{p99:>8.1f} {result.errors:>6} {ratio:>8.2f}x {cpu_ms:>7.2f}  {goal}"
    )


# --- Main ---------------------------------------------------------------------------------------


def _raise_interrupt(signum, frame):  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=10_000, help="organisations to generate")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per endpoint")
    parser.add_argument("--clients", type=int, default=10, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL of a database to create and drop (e.g. "
        "postgres://postgres@127.0.0.1:5432/dure_bench); SQLite in a temp dir if omitted",
    )
    parser.add_argument(
        "--app",
        default="dure.wsgi:application",
        help="WSGI app for gunicorn (for A/B experiments with a wrapper module on PYTHONPATH)",
    )
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="skip the uncached rows (pages measured with a cache-busting parameter)",
    )
    parser.add_argument("--seed", type=int, default=20260101, help="random seed for the data")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (and its log)")
    parser.add_argument(
        "--var-dir",
        default="",
        help="SQLite only: use this DURE_VAR_DIR instead of a temp dir and keep it; if it "
        "already holds dure.sqlite3 (e.g. from --keep), only migrate and skip data generation",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    python = str(VENV_BIN / "python")
    dure = str(VENV_BIN / "dure")
    if args.var_dir and args.database_url:
        raise SystemExit("--var-dir is for SQLite runs only")
    pg = Postgres(args.database_url) if args.database_url else None  # validates the URL
    if args.var_dir:
        tmp = Path(args.var_dir).resolve()
        tmp.mkdir(parents=True, exist_ok=True)
        args.keep = True
    else:
        tmp = Path(tempfile.mkdtemp(prefix="dure-bench-"))
    reuse = bool(args.var_dir) and (tmp / "dure.sqlite3").exists()
    server: Server | None = None
    stop = threading.Event()
    try:
        base_env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DURE_TESTING"}
        }
        base_env.update(
            DJANGO_SETTINGS_MODULE="dure.settings",
            DURE_VAR_DIR=str(tmp),
            PYTHONDONTWRITEBYTECODE="1",
            LOG_LEVEL="WARNING",
        )
        if pg:
            pg.create()
            base_env["DATABASE_URL"] = args.database_url

        # 1. Data: migrate, reference, demo (DEBUG only), generated organisations + index.
        setup_env = {**base_env, "DEBUG": "true"}
        run([dure, "migrate", "--noinput", "-v", "0"], setup_env, "migrate")
        if reuse:
            log(f"reusing the data in {tmp} (no generation)")
        else:
            run([dure, "load-reference"], setup_env, "load-reference")
            run([dure, "load-demo"], setup_env, "load-demo")
            out = run(
                [
                    python,
                    str(BENCH_DIR / "generate_orgs.py"),
                    "--orgs",
                    str(args.orgs),
                    "--seed",
                    str(args.seed),
                ],
                setup_env,
                "generate",
            )
            log(out.strip())

        # 2. Production-like server: DEBUG off, real secret, manifest static files collected.
        server_env = {
            **base_env,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
        }
        run([dure, "collectstatic", "--noinput", "-v", "0"], server_env, "collectstatic")
        versions = run(
            [
                python,
                "-c",
                "import sys, sqlite3, django, gunicorn; "
                "print(sys.version.split()[0]); print(sqlite3.sqlite_version); "
                "print(django.get_version()); print(gunicorn.__version__)",
            ],
            base_env,
            "versions",
        ).split()
        py_version, sqlite_version, django_version, gunicorn_version = versions[:4]
        database = (
            f"PostgreSQL {pg.version()} ({args.database_url})"
            if pg
            else f"SQLite {sqlite_version} (WAL, {tmp / 'dure.sqlite3'})"
        )

        server = Server(server_env, args.workers, tmp / "gunicorn.log", args.app)
        server.wait_ready()
        log(f"gunicorn up on {HOST}:{server.port}")

        # Which endpoints exist? The API may not be built yet.
        api_path = None
        api_statuses = []
        for candidate in API_CANDIDATES:
            status, _body = get_once(server.port, candidate)
            api_statuses.append(f"{candidate} -> {status}")
            if status != 404:
                api_path = candidate
                break
        endpoints = [FLOOR, *PAGES, *([api_path] if api_path else [])]
        for path in endpoints:
            status, body = get_once(server.port, path)
            log(f"probe {path}: HTTP {status}, {len(body)} bytes")

        # Warm-up: every worker loads templates, URL resolvers and Kiwi (search) once.
        for path in endpoints:
            load(server, path, args.warmup, args.clients, stop)
        log("warm-up done")

        print()
        print("Dure HTTP benchmark")
        cores = os.cpu_count()
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
        print(f"machine:  {cores} cores ({usable} usable), {cpu_model()}, {platform.platform()}")
        print("load avg: " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (before the run)")
        print(f"python:   {py_version} (Django {django_version}, gunicorn {gunicorn_version})")
        print(f"database: {database}")
        print(
            "data:     "
            + (
                f"the existing database in {tmp}; "
                if reuse
                else f"{args.orgs} generated organisations + reference and demo data; "
            )
            + f"server: gunicorn {args.workers} sync workers, {args.app}, DEBUG=false"
        )
        print(
            f"load:     {args.clients} concurrent keep-alive clients (threads, http.client), "
            f"{args.seconds:g} s per endpoint after {args.warmup:g} s warm-up"
        )
        print(
            f"goal:     p50 <= {GOAL_P50_RATIO:g}x floor p50 and p95 < {GOAL_P95_MS:g} ms "
            "(latencies are of 200 responses; errors = non-200 or failed requests)"
        )
        print("cpu ms:   gunicorn workers' CPU time per request (less sensitive to other load)")
        print()
        print(COLUMNS)
        print("-" * len(COLUMNS))
        results: list[Result] = []
        floor = load(server, FLOOR, args.seconds, args.clients, stop)
        floor.label = f"{FLOOR} (floor)"
        results.append(floor)
        floor_p50 = floor.p(50)
        print(row(floor, None), flush=True)
        measured = PAGES + ([api_path] if api_path else [])
        if not args.cached_only:
            measured += [uncached(path) for path in measured]
        for path in measured:
            result = load(server, path, args.seconds, args.clients, stop)
            results.append(result)
            print(row(result, floor_p50), flush=True)
        if not api_path:
            missing = Result(
                label="/api/v1/organisations", note="missing (" + "; ".join(api_statuses) + ")"
            )
            print(row(missing, floor_p50))
        again = load(server, FLOOR, args.seconds, args.clients, stop)
        again.label = f"{FLOOR} (again, drift check)"
        results.append(again)
        print(row(again, floor_p50), flush=True)
        for r in results:
            if r.error_kinds:
                kinds = ", ".join(f"{n}x {kind}" for kind, n in r.error_kinds.most_common())
                print(f"errors on {r.label}: {kinds}")
        cpu = ", ".join(f"{r.client_cpu * 100:.0f}%" for r in results)
        print()
        print(f"client CPU (share of one core, per row): {cpu}")
        print("load avg: " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (after the run)")
        if server.proc.poll() is not None:
            print("warning: gunicorn exited during the run")
        errors_in_log = [
            line
            for line in server.tail(2000).splitlines()
            if "Traceback" in line or "ERROR" in line
        ]
        if errors_in_log:
            print(f"server log has {len(errors_in_log)} error lines; last ones:")
            print(server.tail(20))
        return 0
    except KeyboardInterrupt:
        stop.set()
        log("interrupted; cleaning up")
        return 130
    finally:
        stop.set()
        if server is not None:
            server.stop()
            log("gunicorn stopped")
        if pg:
            pg.drop()
            log(f"dropped database {pg.name}")
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
