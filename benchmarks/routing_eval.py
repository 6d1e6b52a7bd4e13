"""How well does ``dure route`` pick the right research institute? Prints figures, never asserts.

    .venv/bin/python benchmarks/routing_eval.py                 # dev set (+ held-out if present)
    .venv/bin/python benchmarks/routing_eval.py --file other.csv --no-examples

A set is a CSV with the columns ``id``, ``acceptable`` (the right institutes, ``|``-separated)
and ``text``. A prediction is right when it is one of the acceptable institutes. For every set
it prints top-1 and top-3 accuracy of the recommender, then for context the same for:

* BM25 over the institutes' reference field lists only (``fields_ko``),
* multilingual-e5-small over the same field lists only (one passage per institute),
* the recommender without some of its channels (ablations: BM25 alone; the e5 similarity and
  the classifier without BM25; everything but the classifier),

then, for the recommender, a confusion table (true institute → predicted top-1 counts, with
per-institute recall; a case with several acceptable institutes counts under the first) and
the misses. ``benchmarks/data/routing-heldout.csv`` is for checking only: never tune on it.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
DEFAULT_SETS = [DATA / "routing-dev.csv", DATA / "routing-heldout.csv"]


@dataclass
class Case:
    id: str
    acceptable: tuple[str, ...]
    text: str


def read_set(path: Path) -> list[Case]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [
            Case(
                id=row["id"].strip(),
                acceptable=tuple(a.strip() for a in row["acceptable"].split("|") if a.strip()),
                text=row["text"].strip(),
            )
            for row in csv.DictReader(fh)
        ]


def accuracy(cases: list[Case], rankings: list[list[str]]) -> tuple[float, float]:
    top1 = sum(r[0] in c.acceptable for c, r in zip(cases, rankings, strict=True))
    top3 = sum(any(a in c.acceptable for a in r[:3]) for c, r in zip(cases, rankings, strict=True))
    return top1 / len(cases), top3 / len(cases)


def order(acronyms: tuple[str, ...], scores) -> list[str]:
    return [
        acronyms[p] for p in sorted(range(len(acronyms)), key=lambda p: (-scores[p], acronyms[p]))
    ]


def baselines(cases: list[Case], query_vectors, terms) -> dict[str, list[list[str]]]:
    """BM25 and e5 over the reference field lists alone (what the issue quotes)."""
    from dure.routing import vectors
    from dure.routing.engine import Bm25
    from dure.routing.profiles import reference_institutes
    from dure.routing.services import tokens_of

    refs = reference_institutes()
    acronyms = tuple(r.acronym for r in refs)
    bm25 = Bm25([tokens_of(" ".join(r.fields)) for r in refs], k1=1.2, b=0.75)
    lexical = [order(acronyms, bm25.scores(t)[0]) for t in terms]
    passages = vectors.embed_passages([", ".join(r.fields) for r in refs])
    semantic = [order(acronyms, passages @ q) for q in query_vectors]
    return {
        "baseline: BM25 over fields_ko only": lexical,
        "baseline: e5 over fields_ko only": semantic,
    }


def confusion(cases: list[Case], rankings: list[list[str]], acronyms: tuple[str, ...]) -> None:
    table: dict[str, Counter] = defaultdict(Counter)
    for case, ranking in zip(cases, rankings, strict=True):
        truth = ranking[0] if ranking[0] in case.acceptable else case.acceptable[0]
        table[truth][ranking[0]] += 1
    print("\nConfusion (true → predicted top-1; recall = right top-1 / cases)")
    print(f"  {'true':<7} {'n':>3} {'recall':>7}  predicted")
    for acronym in acronyms:
        row = table.get(acronym)
        if not row:
            continue
        n = sum(row.values())
        right = row.get(acronym, 0)
        predicted = ", ".join(
            f"{a}×{k}" for a, k in sorted(row.items(), key=lambda ak: (-ak[1], ak[0]))
        )
        print(f"  {acronym:<7} {n:>3} {right / n:>7.0%}  {predicted}")


def misses(cases: list[Case], rankings: list[list[str]], scores: list[list[float]]) -> None:
    wrong = [
        (c, r, s)
        for c, r, s in zip(cases, rankings, scores, strict=True)
        if r[0] not in c.acceptable
    ]
    print(f"\nMisses ({len(wrong)}): id | acceptable | top 3 (score) | text")
    for case, ranking, score in wrong:
        top = ", ".join(f"{a} {v:.2f}" for a, v in zip(ranking[:3], score[:3], strict=True))
        rank_of_right = min(
            (ranking.index(a) + 1 for a in case.acceptable if a in ranking), default=0
        )
        print(
            f"  {case.id} | {'|'.join(case.acceptable)} (rank {rank_of_right}) | {top} | {case.text}"
        )


def evaluate(path: Path, *, include_examples: bool) -> None:
    from dure.routing import services, vectors
    from dure.routing.engine import Method

    cases = read_set(path)
    print(
        f"\n=== {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(cases)} cases ==="
    )
    started = time.monotonic()
    results = services.recommend_many([c.text for c in cases], include_examples=include_examples)
    elapsed = time.monotonic() - started
    rankings = [[r.institute for r in ranking] for ranking in results]
    scores = [[r.score for r in ranking] for ranking in results]
    index = services.profile_index()
    acronyms = index.acronyms
    with_profile = sum(1 for i in index.institutes if i.has_profile)
    examples = len(services.current_examples()) if include_examples else 0
    print(
        f"profiles: {with_profile}/{len(acronyms)} institutes; past examples used: {examples}; "
        f"{elapsed:.2f} s for {len(cases)} texts"
    )
    query_vectors = vectors.embed_queries([c.text for c in cases])
    terms = [services.tokens_of(c.text) for c in cases]
    rows = {"dure route (BM25 + e5 + classifier + examples)": rankings}
    rows.update(baselines(cases, query_vectors, terms))
    ranker = services.ranker(include_examples=include_examples)
    for label, method in (
        (
            "ablation: lexical channel only (BM25)",
            replace(Method(), use_semantic=False, w_clf=0.0, w_ex=0.0),
        ),
        ("ablation: vector channels only (e5 + clf)", replace(Method(), use_lexical=False)),
        ("ablation: without the classifier", replace(Method(), w_clf=0.0)),
    ):
        ablated = services.Ranker(ranker.index, ranker.examples, method=method)
        rows[label] = [
            [r.institute for r in ablated.rank(q, t)]
            for q, t in zip(query_vectors, terms, strict=True)
        ]
    print(f"\n  {'method':<48} {'top-1':>6} {'top-3':>6}")
    for label, ranked in rows.items():
        top1, top3 = accuracy(cases, ranked)
        print(f"  {label:<48} {top1:>6.1%} {top3:>6.1%}")
    confusion(cases, rankings, acronyms)
    misses(cases, rankings, scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", action="append", type=Path, help="a CSV set (repeatable)")
    parser.add_argument("--no-examples", action="store_true", help="ignore past examples in the DB")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dure.settings")
    import django

    django.setup()
    paths = args.file or [p for p in DEFAULT_SETS if p.exists()]
    for path in paths:
        if not path.exists():
            print(f"{path}: no such file", file=sys.stderr)
            continue
        evaluate(path, include_examples=not args.no_examples)


if __name__ == "__main__":
    main()
