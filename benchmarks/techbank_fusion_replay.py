"""Replay the product's rank fusion on captured candidates: try fusion settings in seconds.

    .venv/bin/python benchmarks/techbank_fusion_replay.py capture --set third
    .venv/bin/python benchmarks/techbank_fusion_replay.py capture --set third --distractors 2000
    .venv/bin/python benchmarks/techbank_fusion_replay.py capture --set dev \
        --database-url postgres://postgres@127.0.0.1:5432/dure_bench_eval
    .venv/bin/python benchmarks/techbank_fusion_replay.py replay --lexical-score-weight 0 0.03

``capture`` runs the product's search over a judged or synthetic set as
``techbank_search_eval.py --product`` does (a scratch database, the records imported and
embedded) and records, for every query, what ``dure.techbank.semantic.rrf`` was given: the
lexical and semantic ranks of the candidates, whether the lexicon translated the query, the
lexical strengths, and which candidates were pinned (whole title = query). It writes one JSON
file per set in the temp dir. A run takes as long as the evaluation; the vectors are cached.

``replay`` calls the current ``semantic.rrf`` on every captured query with the settings given
(each option takes several values: every combination is a row) and prints nDCG@10 per file
and their mean. Only the fusion is replayed: a change to the lexical half, the lexicon or the
embedding needs a new capture. The replay orders ties as the product does only roughly (the
product breaks them by document id), so it may differ from a run of the product by a few
thousandths.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import techbank_search_eval as evaluation  # noqa: E402

CAPTURES = Path(tempfile.gettempdir())
PREFIX = "dure-fusion-"


def capture(args: argparse.Namespace) -> None:
    records, queries = evaluation.load(args.set)
    if args.distractors:
        records = evaluation.add_distractors(records, args.distractors)
    from dure.techbank import semantic

    texts = [semantic.passage_text(r["title"], r["abstract"]) for r in records]
    passages = evaluation.e5_vectors(texts, "passage")
    record_of_number = {f"10-2020-{n + 1:07d}": r["id"] for n, r in enumerate(records)}

    calls: list[dict | None] = []
    pinned: set = set()

    # Django is set up here, as product_rankings would (its own setup is then a no-op), so
    # that the spies go in before the searches run.
    work = tempfile.mkdtemp(prefix="dure-replay-")
    os.environ["DURE_VAR_DIR"] = work
    os.environ.pop("DATABASE_URL", None)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    import django

    django.setup()
    from dure.search import services
    from dure.techbank import selectors

    real_rrf, real_strength, real_rows = (
        semantic.rrf,
        services._lexical_strength,
        selectors.search_rows,
    )

    def strength_spy(lexical):
        pinned.clear()
        pinned.update(
            (m.kind, m.object_id) for m in lexical if m.score >= services.EXACT_TITLE_BONUS
        )
        return real_strength(lexical)

    def rrf_spy(lexical_rank, semantic_rank, *, translated=True, lexical_strength=None):
        if services.EXPAND_EVERYDAY:
            record(lexical_rank, semantic_rank, translated, lexical_strength or {})
        return real_rrf(
            lexical_rank, semantic_rank, translated=translated, lexical_strength=lexical_strength
        )

    def record(lexical_rank, semantic_rank, translated, lexical_strength):
        from dure.techbank.models import Technology

        keys = set(lexical_rank) | set(semantic_rank)
        numbers = dict(
            Technology.objects.filter(pk__in=[pk for _kind, pk in keys]).values_list(
                "pk", "application_number"
            )
        )

        def rid(key):
            return record_of_number[numbers[key[1]]]

        calls[-1] = {
            "translated": translated,
            "lexical_rank": {rid(k): v for k, v in lexical_rank.items()},
            "semantic_rank": {rid(k): v for k, v in semantic_rank.items()},
            "lexical_strength": {rid(k): v for k, v in lexical_strength.items()},
            "pinned": [rid(k) for k in pinned if k in keys],
        }

    def rows_spy(*a, **kw):
        if services.EXPAND_EVERYDAY:  # the product as shipped, not its no-lexicon variant
            calls.append(None)
        return real_rows(*a, **kw)

    semantic.rrf, services._lexical_strength, selectors.search_rows = (
        rrf_spy,
        strength_spy,
        rows_spy,
    )
    database = None
    if args.database_url:
        import techbank_bench

        database = techbank_bench.Postgres(args.database_url)
        database.create()
    try:
        evaluation.product_rankings(
            records,
            queries,
            known=dict(zip(texts, passages, strict=True)),
            database_url=args.database_url,
        )
    finally:
        if database:
            database.drop()
        shutil.rmtree(work, ignore_errors=True)
    out = [
        {"id": q["id"], "judged": q["judged"], "fusion": c}
        for q, c in zip(queries, calls, strict=True)
    ]
    name = args.set + (f"-d{args.distractors}" if args.distractors else "")
    name += "-pg" if args.database_url else ""
    path = CAPTURES / f"{PREFIX}{name}.json"
    path.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    unfused = sum(c is None for c in calls)
    print(f"wrote {path} ({len(out)} queries, {unfused} ranked without fusion)")


def fused_order(fusion: dict, semantic) -> list[str]:
    scores = semantic.rrf(
        fusion["lexical_rank"],
        fusion["semantic_rank"],
        translated=fusion["translated"],
        lexical_strength=fusion["lexical_strength"],
    )
    for key in fusion["pinned"]:
        scores[key] = scores.get(key, 0.0) + 1.0
    lexical, by_embedding = fusion["lexical_rank"], fusion["semantic_rank"]
    return sorted(
        scores, key=lambda k: (-scores[k], lexical.get(k, 10**6), by_embedding.get(k, 10**6))
    )


def replay(args: argparse.Namespace) -> None:
    from dure.techbank import semantic

    paths = [Path(p) for p in args.files] or sorted(CAPTURES.glob(f"{PREFIX}*.json"))
    if not paths:
        sys.exit("no captures: run `capture` first")
    sets = {p.stem.removeprefix(PREFIX): json.loads(p.read_text(encoding="utf-8")) for p in paths}
    grid = itertools.product(
        args.lexical_score_weight or [semantic.RRF_LEXICAL_SCORE_WEIGHT],
        args.semantic_weight or [semantic.RRF_SEMANTIC_WEIGHT],
        args.untranslated_weight or [semantic.RRF_SEMANTIC_WEIGHT_UNTRANSLATED],
        args.k or [semantic.RRF_K],
    )
    print(
        f"{'score w':>8}{'sem w':>7}{'untr w':>7}{'K':>5}  " + "  ".join(f"{s:>12}" for s in sets)
    )
    for score_weight, weight, untranslated, k in grid:
        semantic.RRF_LEXICAL_SCORE_WEIGHT = score_weight
        semantic.RRF_SEMANTIC_WEIGHT, semantic.RRF_SEMANTIC_WEIGHT_UNTRANSLATED = (
            weight,
            untranslated,
        )
        semantic.RRF_K = k
        figures = []
        for queries in sets.values():
            values = [
                evaluation.ndcg(fused_order(q["fusion"], semantic), q["judged"])
                for q in queries
                if q["fusion"] is not None
            ]
            figures.append(sum(values) / len(values))
        row = f"{score_weight:>8}{weight:>7}{untranslated:>7}{k:>5}  "
        print(
            row
            + "  ".join(f"{v:>12.3f}" for v in figures)
            + f"   mean {sum(figures) / len(figures):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("capture", help="run the product's search and record its fusion")
    take.add_argument("--set", default="dev", help="as techbank_search_eval.py --set")
    take.add_argument("--distractors", type=int, default=0, metavar="N")
    take.add_argument(
        "--database-url", default="", metavar="URL", help="dure_bench_* on PostgreSQL"
    )
    again = commands.add_parser("replay", help="nDCG@10 of the fusion on the captures")
    again.add_argument("files", nargs="*", help=f"captures (default: every {PREFIX}*.json)")
    again.add_argument("--lexical-score-weight", type=float, nargs="+")
    again.add_argument("--semantic-weight", type=float, nargs="+")
    again.add_argument("--untranslated-weight", type=float, nargs="+")
    again.add_argument("--k", type=float, nargs="+")
    args = parser.parse_args()
    capture(args) if args.command == "capture" else replay(args)


if __name__ == "__main__":
    main()
