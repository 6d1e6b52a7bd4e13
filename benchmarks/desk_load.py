"""Load benchmark of the support desk's intake: many requesters submitting cases at once
through the API, against a real running server. Prints figures; never asserts.

    .venv/bin/python benchmarks/desk_load.py                       # SQLite, 1,000 cases, 20 clients
    .venv/bin/python benchmarks/desk_load.py --cases 200 --clients 10      # quick look
    .venv/bin/python benchmarks/desk_load.py \\
        --database-url postgres://postgres@127.0.0.1:5432/dure_bench_desk  # PostgreSQL
    .venv/bin/python benchmarks/desk_load.py --url http://127.0.0.1:8000   # a server you run

Without ``--url`` the script makes a temp dir, points ``DURE_VAR_DIR`` at it (a fresh SQLite
file) or creates the ``--database-url`` PostgreSQL database (and drops it afterwards; only
``dure_bench*`` names are dropped if they already exist), runs ``dure migrate`` and ``dure
load-reference``, collects static files and starts gunicorn in production mode (DEBUG off, a
random SECRET_KEY, ``--workers`` sync workers) on a free loopback port.

Then ``--clients`` threads, each with its own ``httpx.Client``, send ``--cases`` anonymous
``POST /api/v1/desk/cases`` between them, each with its own ``Idempotency-Key`` (a UUID) and a
varied, valid body (company, checksum-valid 사업자등록번호, region, contact, an everyday-language
difficulty). A request that fails in transit (timeout, reset) is sent again once with the same
key, as a real client would; the key makes the retry safe. After the load, ``--retries``
submissions are sent again unchanged: each must come back 200 with the number it got first.

It prints the throughput (cases per second over the wall time of the load), the latency of the
201 answers (p50, p95, max; from sending the request to reading the answer), the errors (any
final answer other than 201, by status and code), the number of distinct case numbers handed
out (the goal is exactly ``--cases``), the retry check and, for the server it started, how
many cases the database holds. See benchmarks/README.md for the other benchmark.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from http_bench import (  # noqa: E402  (a sibling script, not a package)
    HOST,
    ROOT,
    VENV_BIN,
    Postgres,
    Server,
    cpu_model,
    log,
    percentile,
    run,
)

SUBMIT_PATH = "/api/v1/desk/cases"

COMPANIES = ["한빛정밀", "가람광학", "새솔식품", "푸른금속", "동해소재", "미래회로", "다온바이오"]
SUFFIXES = ["", "(주)", "협동조합", "산업"]
CONTACTS = ["김민수", "이서연", "박지훈", "최유진", "정하늘", "강도윤", "윤서아"]
SIDO = ["11", "26", "27", "28", "29", "30", "31", "36", "41", "43", "44", "46", "47", "48", "50"]
PROBLEMS = [
    "찍어낸 플라스틱 케이스 겉면에 물결무늬가 남아요. 금형 온도를 바꿔 봐도 그대로입니다.",
    "용접한 자리가 며칠 지나면 가늘게 갈라집니다. 원인과 해결 방법을 알고 싶습니다.",
    "만든 반찬이 하루도 안 돼서 시큼하게 상해 버려요. 보존 기간을 늘리고 싶습니다.",
    "창고 안쪽에서는 무선 신호가 자꾸 끊겨서 재고 스캐너가 멈춥니다.",
    "쇳물을 부어 만든 부품 속에 작은 구멍이 생겨 불량이 많습니다.",
    "과자가 봉지 안에서 금방 눅눅해져요. 포장재를 바꾸면 나아질까요?",
    "도금한 표면이 몇 달 지나면 얼룩덜룩하게 변합니다.",
    "배터리 팩이 여름에 너무 뜨거워져서 걱정입니다. 열을 빼는 방법이 있을까요?",
]
SUPPORT = ["tech_transfer", "rnd_short", "information", "consulting", "equipment", "education"]
SIZES = ["micro", "small", "medium"]


def business_number(rng: random.Random) -> str:
    """A checksum-valid 사업자등록번호 (the national tax service's check digit)."""
    digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(8)]
    weights = [1, 3, 7, 1, 3, 7, 1, 3, 5]
    total = sum(d * w for d, w in zip(digits, weights, strict=True)) + digits[8] * 5 // 10
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def submission(index: int, rng: random.Random) -> dict:
    company = rng.choice(SUFFIXES) + rng.choice(COMPANIES) + f" {index:04d}"
    problem = rng.choice(PROBLEMS)
    return {
        "company_name": company.strip(),
        "business_number": business_number(rng),
        "sido": rng.choice(SIDO),
        "company_size": rng.choice(SIZES),
        "contact_name": rng.choice(CONTACTS),
        "contact_phone": f"010-{rng.randint(2000, 5900)}-{rng.randint(1000, 9999)}",
        "contact_email": f"bench{index}@example.kr",
        "description": f"{problem} (부하 시험 {index}번)",
        "desired_support": rng.sample(SUPPORT, rng.randint(1, 2)),
        "privacy_consent": True,
    }


# --- The load ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    index: int
    key: str
    body: dict
    status: int = 0
    code: str = ""
    number: str = ""
    latency: float = 0.0
    attempts: int = 0


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)


def submit(client: httpx.Client, outcome: Outcome) -> None:
    """Send one submission; a transport failure is retried once with the same key."""
    headers = {"Idempotency-Key": outcome.key}
    for _attempt in range(2):
        outcome.attempts += 1
        started = time.perf_counter()
        try:
            response = client.post(SUBMIT_PATH, json=outcome.body, headers=headers)
        except httpx.HTTPError as exc:
            outcome.status, outcome.code = 0, type(exc).__name__
            continue
        outcome.latency = time.perf_counter() - started
        outcome.status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = {}
        outcome.number = str(data.get("number", "")) if response.status_code < 300 else ""
        outcome.code = "" if response.status_code < 300 else str(data.get("code", "?"))
        return


def worker(base_url: str, jobs: list[Outcome], tally: Tally, timeout: float) -> None:
    with httpx.Client(
        base_url=base_url,
        timeout=timeout,
        headers={"Accept-Language": "ko", "User-Agent": "dure-desk-load/1"},
    ) as client:
        for outcome in jobs:
            submit(client, outcome)
            tally.add(outcome)


def load(base_url: str, cases: int, clients: int, seed: int, timeout: float) -> tuple[Tally, float]:
    rng = random.Random(seed)
    jobs = [Outcome(i, str(uuid.uuid4()), submission(i, rng)) for i in range(cases)]
    shares: list[list[Outcome]] = [jobs[i::clients] for i in range(clients)]
    tally = Tally()
    threads = [
        threading.Thread(target=worker, args=(base_url, share, tally, timeout), daemon=True)
        for share in shares
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout * (len(jobs) + 2))
    return tally, time.perf_counter() - started


def retry_check(base_url: str, outcomes: list[Outcome], count: int, timeout: float) -> str:
    """Send ``count`` successful submissions again, unchanged: 200 with the same number?"""
    done = [o for o in outcomes if o.status == 201][:count]
    if not done:
        return "no successful submission to retry"
    same = 0
    statuses: Counter[int] = Counter()
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        for outcome in done:
            response = client.post(
                SUBMIT_PATH, json=outcome.body, headers={"Idempotency-Key": outcome.key}
            )
            statuses[response.status_code] += 1
            if response.status_code == 200 and response.json().get("number") == outcome.number:
                same += 1
    answers = ", ".join(f"{n}× HTTP {s}" for s, n in sorted(statuses.items()))
    return f"{len(done)} sent again: {answers}; same number {same}/{len(done)}"


def report(tally: Tally, wall: float, cases: int, clients: int) -> None:
    outcomes = tally.outcomes
    created = [o for o in outcomes if o.status == 201]
    latencies = sorted(o.latency * 1000 for o in created)
    errors = Counter(
        f"HTTP {o.status} {o.code}" if o.status else f"transport {o.code}"
        for o in outcomes
        if o.status != 201
    )
    numbers = {o.number for o in created if o.number}
    retried = sum(1 for o in outcomes if o.attempts > 1)
    print(f"submissions:   {len(outcomes)} of {cases} from {clients} concurrent clients")
    print(f"wall time:     {wall:.2f} s")
    print(f"throughput:    {len(created) / wall:.1f} cases/s")
    if latencies:
        print(
            f"latency (201): p50 {percentile(latencies, 50):.1f} ms, "
            f"p95 {percentile(latencies, 95):.1f} ms, max {latencies[-1]:.1f} ms, "
            f"mean {statistics.fmean(latencies):.1f} ms"
        )
    print(f"errors:        {sum(errors.values())}")
    for kind, n in errors.most_common():
        print(f"               {n}× {kind}")
    print(f"transport retries (same key): {retried}")
    print(f"distinct case numbers: {len(numbers)} (goal: {cases})")


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="submissions in all (1000)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--url", default="", help="a running server; else one is started")
    parser.add_argument("--database-url", default="", help="PostgreSQL to create and drop")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--retries", type=int, default=50, help="submissions re-sent (50)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir and its log")
    args = parser.parse_args(argv)
    if args.url and args.database_url:
        parser.error("--database-url is for the server this script starts, not with --url")
    if args.cases < 1 or args.clients < 1:
        parser.error("--cases and --clients must be at least 1")
    return args


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    if args.url:
        return measure(args, args.url.rstrip("/"), database="(the server's)", count_cases=None)
    dure = str(VENV_BIN / "dure")
    pg = Postgres(args.database_url) if args.database_url else None
    tmp = Path(tempfile.mkdtemp(prefix="dure-desk-load-"))
    server: Server | None = None
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
        setup_env = {**base_env, "DEBUG": "true"}
        run([dure, "migrate", "--noinput", "-v", "0"], setup_env, "migrate")
        run([dure, "load-reference"], setup_env, "load-reference")
        server_env = {
            **base_env,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
        }
        run([dure, "collectstatic", "--noinput", "-v", "0"], server_env, "collectstatic")
        server = Server(server_env, args.workers, tmp / "gunicorn.log", "dure.wsgi:application")
        server.wait_ready()
        log(f"gunicorn up on {HOST}:{server.port} ({args.workers} sync workers)")
        database = f"PostgreSQL ({args.database_url})" if pg else f"SQLite (WAL) in {tmp}"

        def count_cases() -> str:
            out = run(
                [
                    dure,
                    "shell",
                    "--no-imports",
                    "-v",
                    "0",
                    "-c",
                    "from dure.desk.models import Case; "
                    "print(Case.objects.count(), Case.objects.values('number').distinct().count())",
                ],
                base_env,
                "count",
            ).split()[-2:]
            return f"{out[0]} cases, {out[1]} distinct numbers"

        status = measure(args, f"http://{HOST}:{server.port}", database, count_cases)
        errors_in_log = [
            line
            for line in server.tail(5000).splitlines()
            if "Traceback" in line or " ERROR " in line
        ]
        if errors_in_log:
            print(f"server log has {len(errors_in_log)} error lines; last ones:")
            print(server.tail(20))
        return status
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        return 130
    finally:
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


def measure(args: argparse.Namespace, base_url: str, database: str, count_cases) -> int:
    # One unmeasured submission per client so that every worker has loaded the app.
    warm, _ = load(base_url, args.clients, args.clients, args.seed + 1, args.timeout)
    warm_ok = sum(1 for o in warm.outcomes if o.status == 201)
    log(f"warm-up: {warm_ok}/{args.clients} submissions answered 201")
    if warm_ok == 0:
        sample = warm.outcomes[0] if warm.outcomes else None
        print(f"the server refuses submissions ({sample}); is the desk API there?")
        return 1
    tally, wall = load(base_url, args.cases, args.clients, args.seed, args.timeout)
    print()
    print("Dure desk intake load")
    cores = os.cpu_count()
    print(f"machine:  {cores} cores, {cpu_model()}")
    print("load avg: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"server:   {base_url} ({database})")
    print(f"request:  POST {SUBMIT_PATH}, anonymous, JSON, one Idempotency-Key each")
    print()
    report(tally, wall, args.cases, args.clients)
    if args.retries:
        print(
            f"idempotent retries: {retry_check(base_url, tally.outcomes, args.retries, args.timeout)}"
        )
    if count_cases is not None:
        print(f"database: {count_cases()} (incl. {args.clients} warm-up cases)")
    print(f"python:   {sys.version.split()[0]}, httpx {httpx.__version__}; root {ROOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
