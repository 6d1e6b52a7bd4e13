"""Technology-bank benchmark: generate patent-like technologies and ZEUS-like equipment as CSV
files, import them with the real importer (``dure import``), then time Korean searches.

Prints figures, never asserts. Goals on the 2-core reference machine: import ≥ 500 rows/s,
search p95 ≤ 50 ms, server memory < 500 MB.

    .venv/bin/python benchmarks/techbank_bench.py                      # SQLite, 100,000 + 20,000
    .venv/bin/python benchmarks/techbank_bench.py --rows 20000         # equipment: rows / 5
    .venv/bin/python benchmarks/techbank_bench.py --rows 20000 \\
        --database-url postgres://postgres@127.0.0.1:5432/dure_bench_techbank

With ``--database-url`` the script creates the database and drops it at the end; it refuses
``test``, ``postgres`` and the templates, and drops a leftover database only when its name
starts with ``dure_bench``.

Steps: ``dure migrate`` and ``dure load-reference`` in a temp dir (``DURE_VAR_DIR``); write
``technologies.csv`` (KIPRIS headers: 출원번호, 발명의 명칭, 요약, IPC, 출원인, …) and
``equipment.csv`` (ZEUS-like headers); ``dure import technologies|equipment FILE --json`` in a
child process (rows/s; peak RSS of the child = the importer's memory); then a child process
that runs ``--queries`` searches through ``dure.techbank.selectors.techbank_search`` as a
visitor (first page with facets, as the search page asks) and prints p50/p95/max and its own
peak RSS (what one server process holding Kiwi needs).

Search embeddings: the import runs with ``--no-embed`` (e5 costs ~100 ms a passage: 120,000
would take hours) and a child process stores a random unit vector per technology, equipment
and lab instead — the search then does all the work of the hybrid ranking (the query is really
embedded, every stored vector is scored, the candidates fused), only the ranking it produces
means nothing. ``--lexical`` skips the vectors (the lexical ranking alone).

A/B on the same data: ``--keep`` keeps the work dir (and the PostgreSQL database);
``--search-only DIR`` re-runs only the timed searches on it (with ``--database-url``: on that
kept database), ``--repeat N`` runs them N times and prints the medians.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
INSTITUTES = ROOT / "src" / "dure" / "directory" / "data" / "institutes.csv"

# --- text generation ----------------------------------------------------------------------------

# (Korean term, English term, IPC codes)
FIELDS = [
    ("용접", "welding", ["B23K 9/16", "B23K 26/21", "B23K 31/12"]),
    ("부식 방지 코팅", "anti-corrosion coating", ["C23F 11/00", "C09D 5/08"]),
    ("이차전지 양극재", "secondary battery cathode", ["H01M 4/525", "H01M 10/052"]),
    ("고체 전해질", "solid electrolyte", ["H01M 10/0562"]),
    ("반도체 식각", "semiconductor etching", ["H01L 21/3065", "H01L 21/02"]),
    ("누수 탐지", "leak detection", ["G01M 3/24", "F17D 5/06"]),
    ("수처리 분리막", "water treatment membrane", ["C02F 1/44", "B01D 71/02"]),
    ("라이다 센서", "LiDAR sensor", ["G01S 17/89", "G01S 7/481"]),
    ("자율주행 로봇", "autonomous mobile robot", ["B25J 9/16", "G05D 1/02"]),
    ("딥러닝 영상 분석", "deep learning image analysis", ["G06N 3/08", "G06T 7/00"]),
    ("스마트팜 생육 제어", "smart farm growth control", ["A01G 9/24", "G05B 19/418"]),
    ("식품 살균", "food sterilisation", ["A23L 3/26", "A23L 3/28"]),
    ("바이오 진단 키트", "biosensor diagnostic kit", ["G01N 33/543", "C12Q 1/68"]),
    ("폐플라스틱 재활용", "plastic waste recycling", ["B29B 17/02", "C08J 11/10"]),
    ("탄소섬유 복합재", "carbon fibre composite", ["C08J 5/04", "B29C 70/30"]),
    ("수소 연료전지", "hydrogen fuel cell", ["H01M 8/1018", "C25B 1/04"]),
    ("태양전지", "solar cell", ["H01L 31/18", "H02S 40/30"]),
    ("사물인터넷 통신", "IoT communication", ["H04W 4/38", "H04L 67/12"]),
    ("금속 3D 프린팅", "metal additive manufacturing", ["B22F 10/28", "B33Y 10/00"]),
    ("진동 저감", "vibration reduction", ["F16F 15/02", "F16F 7/10"]),
    ("열교환기", "heat exchanger", ["F28D 7/10", "F28F 1/10"]),
    ("정밀 측정", "precision measurement", ["G01B 11/24", "G01B 7/02"]),
    ("의료용 임플란트", "medical implant", ["A61L 27/06", "A61F 2/30"]),
    ("미세먼지 저감", "fine dust reduction", ["B01D 46/00", "B03C 3/00"]),
]
OBJECTS = [
    "장치", "방법", "시스템", "조성물", "제조 방법", "센서", "모듈", "구조체", "공정",
    "소재", "필름", "촉매", "코팅층", "전극", "분리막", "제어기", "플랫폼",
]  # fmt: skip
QUALIFIERS = [
    "고효율", "저비용", "친환경", "고내구성", "경량", "초소형", "고감도", "실시간",
    "휴대용", "대면적", "고속", "저전력", "무선", "자동화된", "다층", "나노구조",
]  # fmt: skip
MATERIALS = [
    "알루미나", "그래핀", "실리콘", "티타늄", "니켈", "구리", "폴리이미드", "에폭시",
    "세라믹", "탄소나노튜브", "산화아연", "리튬", "스테인리스강", "고분자", "키토산",
]  # fmt: skip
EFFECTS = [
    "생산 비용을 절감할 수 있다", "내구성이 향상된다", "에너지 소비를 줄일 수 있다",
    "측정 정확도가 높아진다", "공정 시간이 단축된다", "불량률을 낮출 수 있다",
    "환경 오염을 줄일 수 있다", "유지보수가 용이하다", "안전성이 확보된다",
    "대량 생산이 가능하다", "신호 대 잡음비가 개선된다", "수명이 연장된다",
]  # fmt: skip
PROBLEMS = [
    "기존 방식은 비용이 많이 들고", "종래 기술은 정밀도가 낮으며",
    "기존 장비는 부피가 크고", "종래의 공정은 유해 물질을 배출하며",
    "현장에서 측정하기 어렵고", "작업자의 숙련도에 의존하며",
]  # fmt: skip
VERBS = ["포함하는", "구비하는", "이용하는", "적용한", "결합된", "배치된", "형성된"]
SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = "민서준지현우예도하윤수영진혁성희재경태훈아은"
STATUSES = ["등록", "등록", "공개", "출원", "소멸"]
CLASSIFICATIONS = [
    ("분석장비", "analysis"), ("시험장비", "testing"), ("가공장비", "machining"),
    ("계측장비", "measurement"), ("영상장비", "imaging"), ("환경장비", "environment"),
]  # fmt: skip
INSTRUMENTS = [
    ("주사전자현미경", "Scanning Electron Microscope", "SEM"),
    ("X선 회절분석기", "X-ray Diffractometer", "XRD"),
    ("만능재료시험기", "Universal Testing Machine", "UTM"),
    ("3차원 측정기", "Coordinate Measuring Machine", "CMM"),
    ("레이저 용접기", "Laser Welding System", "LW"),
    ("액체크로마토그래피", "Liquid Chromatography", "HPLC"),
    ("열분석기", "Thermal Analyzer", "TGA"),
    ("진동시험기", "Vibration Test System", "VTS"),
    ("항온항습 챔버", "Temperature Humidity Chamber", "THC"),
    ("금속 3D 프린터", "Metal 3D Printer", "M3D"),
    ("원자힘현미경", "Atomic Force Microscope", "AFM"),
    ("유도결합플라즈마 분광기", "ICP Optical Emission Spectrometer", "ICP"),
]  # fmt: skip
MAKERS = ["Zeiss", "Hitachi", "Bruker", "Instron", "Agilent", "Shimadzu", "JEOL", "화인텍", "대성"]


def institutes() -> list[tuple[str, str]]:
    with INSTITUTES.open(encoding="utf-8-sig", newline="") as fh:
        return [(r["name_ko"], r["acronym"]) for r in csv.DictReader(fh)]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def compound(rng: random.Random) -> str:
    """A compound noun written together, as patents do (새 어절 in real collections)."""
    return rng.choice(MATERIALS) + rng.choice(["입자", "박막", "나노선", "분말", "섬유", "겔"])


def technology_row(rng: random.Random, n: int, orgs: list[tuple[str, str]]) -> list[str]:
    ko, en, ipcs = rng.choice(FIELDS)
    ko2, _en2, ipcs2 = rng.choice(FIELDS)
    obj = rng.choice(OBJECTS)
    qual = rng.choice(QUALIFIERS)
    material = rng.choice(MATERIALS)
    title = f"{material}을 {rng.choice(VERBS)} {qual} {ko} {obj} ({en.title()} {obj_en(obj)})"
    sentences = [
        f"본 발명은 {ko} {obj}에 관한 것으로, 보다 상세하게는 {compound(rng)}를 "
        f"{rng.choice(VERBS)} {qual} {ko} {obj}에 관한 것이다.",
        f"{rng.choice(PROBLEMS)} {ko2} 분야에 적용하기 어려운 문제가 있었다.",
        f"본 발명에 따른 {obj}는 {material} {rng.randint(5, 40)} 내지 "
        f"{rng.randint(41, 95)} 중량%와 {compound(rng)}를 포함하며, "
        f"{rng.randint(100, 900)} ℃에서 {rng.randint(1, 24)}시간 열처리하는 단계를 포함한다.",
        f"상기 {ko} {obj}는 {rng.choice(EFFECTS)}, 또한 {rng.choice(EFFECTS)}.",
        f"특히 {ko2} 및 {rng.choice(FIELDS)[0]} 분야에 적용되어 {rng.choice(EFFECTS)}.",
    ]
    rng.shuffle(sentences[1:])
    year = rng.randint(2005, 2024)
    app = f"10-{year}-{n:07d}"
    status = rng.choice(STATUSES)
    reg = f"10-{rng.randint(1000000, 2999999)}" if status in ("등록", "소멸") else ""
    org, acronym = rng.choice(orgs)
    holder = rng.choice([org, f"재단법인 {org}", f"{org}({acronym})"])
    codes = rng.sample(ipcs, k=min(len(ipcs), rng.randint(1, 2))) + rng.sample(ipcs2, k=1)
    return [
        app,
        title,
        " ".join(sentences),
        "|".join(dict.fromkeys(codes)),
        holder,
        f"{year}.{rng.randint(1, 12):02d}.{rng.randint(1, 28):02d}",
        reg,
        f"{year + 2}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if reg else "",
        ", ".join(person(rng) for _ in range(rng.randint(1, 4))),
        status,
    ]


def obj_en(obj: str) -> str:
    return {
        "장치": "Apparatus",
        "방법": "Method",
        "시스템": "System",
        "조성물": "Composition",
        "제조 방법": "Manufacturing Method",
        "센서": "Sensor",
    }.get(obj, "Structure")


def equipment_row(rng: random.Random, n: int, orgs: list[tuple[str, str]]) -> list[str]:
    ko, en, code = rng.choice(INSTRUMENTS)
    cls, _cls_en = rng.choice(CLASSIFICATIONS)
    field = rng.choice(FIELDS)[0]
    org, _acronym = rng.choice(orgs)
    year = rng.randint(2008, 2024)
    return [
        f"NFEC-{year}-{rng.randint(1, 12):02d}-{n:06d}",
        f"{rng.choice(QUALIFIERS)} {ko}",
        en,
        rng.choice(MAKERS),
        f"{code}-{rng.randint(100, 9999)}",
        cls,
        f"분해능 {rng.randint(1, 50)} nm, 최대 하중 {rng.randint(1, 300)} kN, "
        f"{field} 시료의 {rng.choice(['미세구조', '성분', '강도', '표면 형상'])} 분석",
        f"{ko} 본체, 제어 PC, {rng.choice(['진공 펌프', '냉각기', '시료 홀더'])}",
        f"{field} 소재 평가, {rng.choice(FIELDS)[0]} 부품의 불량 원인 분석",
        org,
        f"{rng.randint(1, 9)}동 {rng.randint(101, 520)}호",
        rng.choice(["공동활용", "공동활용", "단독활용"]),
        rng.choice(["활용", "활용", "유휴"]),
        str(rng.choice([0, 30000, 50000, 120000])),
    ]


TECH_HEADER = [
    "출원번호", "발명의 명칭", "요약", "IPC", "출원인", "출원일",
    "등록번호", "등록일", "발명자", "등록상태",
]  # fmt: skip
EQUIPMENT_HEADER = [
    "NFEC 등록번호", "장비명", "영문장비명", "제작사", "모델명", "장비분류",
    "주요성능", "구성", "활용예", "보유기관", "설치장소", "공동활용여부", "장비상태", "이용료",
]  # fmt: skip


def write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


SME_QUERIES = [
    "물이 새는 위치를 찾는 장치", "용접 부위가 녹스는 문제", "배터리 수명을 늘리는 소재",
    "공장 미세먼지 줄이는 방법", "플라스틱 폐기물 재활용", "딥러닝으로 불량 검사",
    "식품 살균 장비", "스마트팜 온도 자동 제어", "가벼운 탄소섬유 부품", "수소 연료전지 전극",
    "진동 줄이는 구조", "태양전지 효율 향상", "로봇 자율주행", "반도체 식각 공정",
    "임플란트 소재", "열교환기 효율", "라이다 센서 소형화", "무선 센서 통신",
    "정밀 측정 장비", "금속 3D 프린팅 부품", "전자현미경 분석 의뢰", "재료 강도 시험",
    "고체 전해질 전지", "분리막 수처리", "코팅 부식 방지", "바이오 진단 키트 개발",
    "저전력 IoT 센서", "LiDAR", "그래핀 박막", "알루미나 분말 열처리",
]  # fmt: skip


# Needs in everyday words, sentence-long: the everyday-phrase lexicon adds search terms to these
# (up to 16), and their e5 embedding (19–31 ms) makes them the slowest queries of the set.
EVERYDAY_NEEDS = [
    "겨울에 비닐하우스 난방비가 너무 많이 나와서 전기세를 아끼고 싶어요",
    "공장 바닥이 미끄러워서 직원들이 자꾸 넘어져요", "창고가 눅눅해서 곰팡이가 피고 냄새가 나요",
    "배관에서 물이 새는데 어디서 새는지 모르겠어요", "기계가 덜덜 떨리고 시끄러워요",
    "과일이 빨리 상해서 오래 보관하는 방법이 필요해요", "멀리서 스마트폰으로 온도를 확인하고 싶어요",
    "혼자 사는 어르신이 넘어지면 자동으로 알려주는 장치",
    "배터리에 불이 나지 않게 하는 기술이 있나요", "용접한 곳이 바닷물에 녹슬어요",
    "먼지가 날려서 공기가 탁해요", "무거운 상자를 들 때 허리가 아파요",
    "음식물 쓰레기 냄새를 없애는 방법", "유리창에 김이 서려서 뿌옇게 보여요",
    "돼지 축사 냄새 때문에 민원이 많아요", "페인트가 자꾸 벗겨지고 녹이 슬어요",
    "생선 비린내를 줄이고 싶어요", "불량품을 사진으로 자동으로 찾아내고 싶어요",
    "전기 요금이 많이 나오는 가게 냉장고", "층간 소음 때문에 시끄러워요",
]  # fmt: skip


def queries(rng: random.Random, n: int) -> list[str]:
    out = list(SME_QUERIES) + EVERYDAY_NEEDS
    while len(out) < n:
        pick = rng.random()
        if pick < 0.3:
            out.append(f"{rng.choice(QUALIFIERS)} {rng.choice(FIELDS)[0]}")
        elif pick < 0.55:
            out.append(f"{rng.choice(FIELDS)[0]} {rng.choice(OBJECTS)}")
        elif pick < 0.7:
            out.append(f"{rng.choice(MATERIALS)}을 이용한 {rng.choice(FIELDS)[0]}")
        elif pick < 0.8:
            out.append(rng.choice(FIELDS)[1])
        elif pick < 0.9:
            out.append(f"{rng.choice(INSTRUMENTS)[0]} {rng.choice(['이용', '예약', '분석'])}")
        else:
            out.append(f"{rng.choice(PROBLEMS)} {rng.choice(EFFECTS)}")
    return out[:n]


# --- running ------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[str, float, int, float]:
    """Run a child: (stdout, wall seconds, its peak RSS in MB, its CPU seconds)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out)
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read()
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return text, seconds, usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime


class Postgres:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.name = parts.path.lstrip("/")
        if not self.name or self.name in ("test", "postgres") or self.name.startswith("template"):
            raise SystemExit(f"refusing to use database {self.name!r}: name a dure_bench* one")
        self.args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
        self.args += ["-U", unquote(parts.username or "postgres")]
        self.env = dict(os.environ)
        if parts.password:
            self.env["PGPASSWORD"] = unquote(parts.password)
        self.created = False

    def _exists(self) -> bool:
        out = subprocess.run(
            ["psql", *self.args, "-d", "postgres", "-tAq", "-v", f"dbname={self.name}", "-f", "-"],
            input="SELECT 1 FROM pg_database WHERE datname = :'dbname'",
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return bool(out.stdout.strip())

    def create(self) -> None:
        if self._exists():
            if not self.name.startswith("dure_bench"):
                raise SystemExit(f"database {self.name!r} exists and is not a dure_bench* one")
            self.drop(force=True)
        subprocess.run(["createdb", *self.args, self.name], env=self.env, check=True)
        self.created = True

    def drop(self, force: bool = False) -> None:
        if self.created or force:
            subprocess.run(
                ["dropdb", *self.args, "--if-exists", "--force", self.name],
                env=self.env,
                check=False,
                capture_output=True,
            )
            self.created = False


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def vectors_phase() -> None:
    """Child process: a random unit vector per technology, equipment and lab."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    django.setup()
    import numpy as np

    from dure.techbank import semantic

    rng = np.random.default_rng(7)
    count = 0
    for kind, (queryset, _passage) in semantic.EMBEDDED_KINDS.items():
        ids = list(queryset().order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), 2000):
            chunk = ids[start : start + 2000]
            vectors = rng.standard_normal((len(chunk), semantic.DIM)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            semantic.write_vectors(
                [semantic.Pending(kind, pk, "", "bench") for pk in chunk], vectors
            )
            count += len(chunk)
    from django.db import connection

    if connection.vendor == "postgresql":
        # 120,000 rows just rewritten: vacuum and analyse now, not while the searches are
        # timed (autovacuum would start in the middle of them)
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE techbank_searchvector")
    print(json.dumps({"vectors": count}))


def search_phase(query_file: str) -> None:
    """Child process: time the searches (Django set up from the environment)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    django.setup()
    from dure.search import services
    from dure.techbank import selectors
    from dure.techbank.selectors import FACET_KEYS

    services.EXPAND_EVERYDAY = not os.environ.get("DURE_BENCH_NO_LEXICON")
    qs = json.loads(Path(query_file).read_text(encoding="utf-8"))
    from dure.techbank import semantic

    for q in qs[:10]:  # warm-up: Kiwi loaded, caches and statements ready
        selectors.techbank_search(query=q, facets=FACET_KEYS, limit=20)
    # …but not these ten queries' embeddings: every timed query is embedded afresh
    semantic.embed_query.cache_clear()
    timings, cpu, hits = [], [], 0
    for q in qs:
        started, started_cpu = time.perf_counter(), time.process_time()
        result = selectors.techbank_search(query=q, facets=FACET_KEYS, limit=20)
        timings.append((time.perf_counter() - started) * 1000)
        # CPU time of the process, every thread (the query embedding runs beside the lexical
        # queries; the database work is in-process for SQLite only): what the query costs
        cpu.append((time.process_time() - started_cpu) * 1000)
        hits += bool(result.hits)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    # the floor of a hybrid search: each query's e5 embedding alone (uncached), as fast as
    # this machine runs it now — its speed varies from machine to machine and hour to hour
    embedding = []
    for q in qs:
        started = time.perf_counter()
        semantic.embed_query_many([q])
        embedding.append((time.perf_counter() - started) * 1000)
    print(
        json.dumps(
            {
                "embed_p50": percentile(embedding, 50),
                "embed_p95": percentile(embedding, 95),
                "p50": percentile(timings, 50),
                "p95": percentile(timings, 95),
                "max": max(timings),
                "cpu_p50": percentile(cpu, 50),
                "cpu_p95": percentile(cpu, 95),
                "with_hits": hits,
                "queries": len(qs),
                "rss_mb": rss,
            }
        )
    )


def timed_searches(query_file: Path, env: dict[str, str], repeat: int) -> dict:
    """Run the search child ``repeat`` times; the median of each figure."""
    runs = []
    for n in range(max(1, repeat)):
        out, _seconds, _rss, _cpu = run_measured(
            [str(VENV_BIN / "python"), __file__, "--search-phase", str(query_file)], env
        )
        runs.append(json.loads(out.strip().splitlines()[-1]))
        log(f"run {n + 1}: p50 {runs[-1]['p50']:.1f} ms, p95 {runs[-1]['p95']:.1f} ms")
    return {key: sorted(r[key] for r in runs)[len(runs) // 2] for key in runs[0]} | {
        "runs": len(runs)
    }


def print_timing(timing: dict, *, vectors: bool) -> None:
    print(
        f"search ({'hybrid: lexical + vectors' if vectors else 'lexical only'}; "
        f"median of {timing.get('runs', 1)} run(s)): {timing['queries']} queries, "
        f"p50 {timing['p50']:.1f} ms, p95 {timing['p95']:.1f} ms, max {timing['max']:.1f} ms, "
        f"{timing['with_hits']} with hits; search process peak RSS {timing['rss_mb']} MB"
    )
    print(
        f"search CPU time of the process per query: p50 {timing['cpu_p50']:.1f} ms, "
        f"p95 {timing['cpu_p95']:.1f} ms (SQLite: includes the database's work)"
    )
    if vectors:
        print(
            f"the queries' e5 embedding alone (the hybrid search's floor): "
            f"p50 {timing['embed_p50']:.1f} ms, p95 {timing['embed_p95']:.1f} ms"
        )


def search_only(work: Path, args) -> None:
    """Re-time the searches on a work dir (and database) kept by ``--keep``: A/B of a change."""
    env = dict(
        os.environ,
        DURE_VAR_DIR=str(work),
        DJANGO_SETTINGS_MODULE="dure.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
    )
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    run_measured([str(VENV_BIN / "dure"), "migrate", "-v", "0"], env)
    from_vectors = not args.lexical
    run_measured([str(VENV_BIN / "python"), "-c", CLEAR_VECTORS], env)
    if from_vectors:
        run_measured([str(VENV_BIN / "python"), __file__, "--vectors-phase"], env)
    query_file = work / "queries.json"
    if not query_file.exists():
        query_file.write_text(json.dumps(queries(random.Random(args.seed + 1), args.queries)))
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print_timing(timed_searches(query_file, env, args.repeat), vectors=from_vectors)


# --search-only starts from no vectors (and stores fresh random ones unless --lexical)
CLEAR_VECTORS = (
    "import django; django.setup(); "
    "from dure.techbank.models import SearchVector; SearchVector.objects.all().delete()"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="technologies (100,000)")
    parser.add_argument("--equipment", type=int, default=None, help="equipment (rows / 5)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url", default="", help="postgres://…/dure_bench_… (created)")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--lexical", action="store_true", help="no search vectors")
    parser.add_argument(
        "--no-lexicon", action="store_true", help="searches without the everyday-phrase lexicon"
    )
    parser.add_argument("--search-only", default="", help="re-time searches in a kept work dir")
    parser.add_argument("--repeat", type=int, default=1, help="timed search runs (medians)")
    parser.add_argument("--search-phase", default="", help=argparse.SUPPRESS)
    parser.add_argument("--vectors-phase", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.no_lexicon:
        os.environ["DURE_BENCH_NO_LEXICON"] = "1"  # read by the search child
    if args.search_phase:
        search_phase(args.search_phase)
        return
    if args.vectors_phase:
        vectors_phase()
        return
    if args.search_only:
        search_only(Path(args.search_only), args)
        return
    equipment = args.equipment if args.equipment is not None else args.rows // 5
    work = Path(tempfile.mkdtemp(prefix="dure-techbank-bench-"))
    # production-like: DEBUG off (with DEBUG on, Django keeps the SQL of the last 9,000
    # queries in memory — hundreds of MB of bulk inserts)
    env = dict(
        os.environ,
        DURE_VAR_DIR=str(work),
        DJANGO_SETTINGS_MODULE="dure.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
    )
    env.pop("DATABASE_URL", None)
    pg = None
    if args.database_url:
        pg = Postgres(args.database_url)
        pg.create()
        env["DATABASE_URL"] = args.database_url
    dure = str(VENV_BIN / "dure")
    try:
        log(f"work dir {work}; database {'PostgreSQL ' + pg.name if pg else 'SQLite'}")
        run_measured([dure, "migrate", "-v", "0"], env)  # noqa: S603
        run_measured([dure, "load-reference"], env)
        rng = random.Random(args.seed)
        orgs = institutes()
        started = time.perf_counter()
        tech_csv, eq_csv = work / "technologies.csv", work / "equipment.csv"
        write_csv(tech_csv, TECH_HEADER, (technology_row(rng, n, orgs) for n in range(args.rows)))
        write_csv(eq_csv, EQUIPMENT_HEADER, (equipment_row(rng, n, orgs) for n in range(equipment)))
        log(
            f"generated {args.rows:,} technologies ({tech_csv.stat().st_size / 1e6:.0f} MB) and "
            f"{equipment:,} equipment in {time.perf_counter() - started:.0f} s"
        )
        figures = []
        for kind, path, count in (
            ("technologies", tech_csv, args.rows),
            ("equipment", eq_csv, equipment),
        ):
            log(f"importing {kind} …")
            out, seconds, rss, cpu = run_measured(
                [dure, "import", kind, str(path), "--json", "--no-embed"], env
            )
            summary = json.loads(out)
            figures.append((kind, count, seconds, rss, cpu, summary))
        if not args.lexical:
            log("storing random search vectors …")
            run_measured([str(VENV_BIN / "python"), __file__, "--vectors-phase"], env)
        query_file = work / "queries.json"
        query_file.write_text(json.dumps(queries(random.Random(args.seed + 1), args.queries)))
        log("searching …")
        timing = timed_searches(query_file, env, args.repeat)
        log(f"figures: {json.dumps([f[:5] for f in figures])} search: {json.dumps(timing)}")
        print(f"\ndatabase: {'PostgreSQL' if pg else 'SQLite'}; cores: {os.cpu_count()}")
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(
            f"{'import':<14}{'rows':>9}{'seconds':>10}{'rows/s':>9}"
            f"{'CPU s':>8}{'rows/CPU s':>12}{'peak RSS MB':>13}  result"
        )
        for kind, count, seconds, rss, cpu, summary in figures:
            result = {k: summary.get(k) for k in ("created", "updated", "skipped", "errors")}
            print(
                f"{kind:<14}{count:>9,}{seconds:>10.1f}{count / seconds:>9.0f}"
                f"{cpu:>8.1f}{count / cpu:>12.0f}{rss:>13}  {result}"
            )
        print("(seconds and CPU include the command's start: Django and Kiwi load, ~5 s)")
        print_timing(timing, vectors=not args.lexical)
    finally:
        if pg and not args.keep:
            pg.drop()
        if args.keep:
            log(f"kept {work}" + (f" and the database {pg.name}" if pg else ""))
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
