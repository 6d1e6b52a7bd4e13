"""The ranking itself, free of the database: institutes + past examples + a text → a ranking.

Every institute is described by *units*: its field terms (reference ``fields_ko`` and the
profile's ``fields``), the sentences of its profile summary, the profile's typical problems,
and the texts of past cases that staff routed to it (examples). A request is scored against
them through four channels:

* **lexical** — BM25 over one document per institute (all its units' Kiwi morphemes): rewards
  the exact technical words (``주조``, ``캐비테이션``) and gives the matched terms as evidence;
* **semantic** — cosine similarity of multilingual-e5-small vectors between the request and
  every unit, aggregated per institute as the mean of its ``sem_k`` most similar units: catches
  everyday wording (``찍어낸 케이스 겉면에 물결무늬``) that shares no word with a field list;
* **classifier** — a ridge-regression classifier from vectors to institutes, trained (closed
  form, in milliseconds) on all units and examples: learns which directions of the embedding
  space separate the institutes, which nearest-sentence similarity does not;
* **near-duplicates** — a past case almost identical to the request (similarity above
  ``ex_floor``) votes for its institutes directly.

Problem sentences and examples are embedded like requests (``query: ``): request-to-request
similarity is symmetric. Each channel is standardised across institutes (z-scores) and
weighted; a softmax turns the sum into scores in [0, 1] that add up to 1 (temperature chosen
for the lowest log-loss, so a score of 0.8 is right about 80 % of the time). Institutes are
ordered by the unrounded sum, ties by acronym.

The weights were measured on the development set and on 5-fold cross-validation over the
profile problems themselves (each fold's problems removed from the profiles and routed):
see ``benchmarks/routing_eval.py`` for the figures and the ablations.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import vectors
from .profiles import Institute


@dataclass(frozen=True)
class Method:
    """The knobs of the recommender (defaults are the measured best)."""

    sem_k: int = 5  # institute similarity = mean of its k most similar units
    problems_as: str = "query"  # e5 prefix for problem sentences (they read like requests)
    w_sem: float = 1.0
    w_lex: float = 0.5
    w_clf: float = 0.5  # the linear classifier over the vectors
    clf_lambda: float = 1.0  # its ridge penalty
    w_ex: float = 1.0
    ex_floor: float = 0.92  # below this an example is only one more unit of its institutes
    ex_k: int = 5  # nearest examples that vote
    temperature: float = 0.7  # softmax over the fused z-scores (calibrated: lowest log-loss)
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    use_lexical: bool = True
    use_semantic: bool = True
    sem_kinds: tuple[str, ...] = ("field", "summary", "problem", "example")
    evidence_sentences: int = 3
    evidence_examples: int = 3
    evidence_terms: int = 8


@dataclass(frozen=True)
class Unit:
    institute: int  # position in the institute tuple
    kind: str  # "field" | "summary" | "problem" | "example"
    text: str


@dataclass(frozen=True)
class Example:
    """A past routed case, as the engine sees it."""

    id: int
    text: str
    institutes: tuple[str, ...]
    source: str
    source_id: str
    vector: np.ndarray = field(repr=False, compare=False)
    tokens: tuple[str, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Recommendation:
    institute: str
    name: str
    score: float
    evidence: dict[str, Any]

    def as_dict(self, *, examples: bool = True) -> dict[str, Any]:
        evidence = dict(self.evidence)
        if not examples:
            evidence.pop("examples", None)
        return {
            "institute": self.institute,
            "name": self.name,
            "score": self.score,
            "evidence": evidence,
        }


_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|(?<=다\.)|\n+")


def summary_sentences(summary: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(summary or "") if s and len(s.strip()) > 1]


def profile_units(institutes: tuple[Institute, ...]) -> list[Unit]:
    units: list[Unit] = []
    for position, inst in enumerate(institutes):
        units.extend(Unit(position, "field", f) for f in inst.all_fields)
        units.extend(Unit(position, "summary", s) for s in summary_sentences(inst.summary))
        units.extend(Unit(position, "problem", p) for p in inst.problems)
    return units


def unit_key(unit: Unit, method: Method) -> str:
    mode = method.problems_as if unit.kind == "problem" else "passage"
    return f"{mode}: {unit.text}"


class Bm25:
    """Okapi BM25 over a few dozen documents, kept as term → (doc positions, weights)."""

    def __init__(self, docs: list[list[str]], *, k1: float, b: float) -> None:
        self.n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        average = float(lengths.mean()) if self.n and lengths.sum() else 1.0
        postings: dict[str, dict[int, int]] = defaultdict(dict)
        for position, doc in enumerate(docs):
            for term in doc:
                postings[term][position] = postings[term].get(position, 0) + 1
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, tfs in postings.items():
            df = len(tfs)
            idf = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
            positions = np.fromiter(tfs, dtype=np.int64, count=df)
            tf = np.fromiter(tfs.values(), dtype=np.float64, count=df)
            norm = k1 * (1 - b + b * lengths[positions] / average)
            self.postings[term] = (positions, idf * tf * (k1 + 1) / (tf + norm))

    def scores(self, terms: list[str]) -> tuple[np.ndarray, dict[int, list[tuple[float, str]]]]:
        """BM25 per document, and per document the matched terms with their contribution."""
        total = np.zeros(self.n)
        matched: dict[int, list[tuple[float, str]]] = defaultdict(list)
        for term in dict.fromkeys(terms):
            hit = self.postings.get(term)
            if hit is None:
                continue
            positions, weights = hit
            total[positions] += weights
            for position, weight in zip(positions.tolist(), weights.tolist(), strict=True):
                matched[position].append((weight, term))
        return total, matched


def _zscore(values: np.ndarray) -> np.ndarray:
    spread = float(values.std())
    if spread < 1e-9:
        return np.zeros_like(values)
    return (values - float(values.mean())) / spread


class ProfileIndex:
    """The static part: institutes, their units, unit vectors and unit tokens."""

    def __init__(
        self,
        institutes: tuple[Institute, ...],
        *,
        method: Method,
        unit_vectors: np.ndarray,
        unit_tokens: list[list[str]],
        name_tokens: list[list[str]],
    ) -> None:
        self.institutes = institutes
        self.method = method
        self.units = profile_units(institutes)
        if not len(self.units) == len(unit_vectors) == len(unit_tokens):
            raise ValueError("one vector and one token list per unit")
        self.unit_vectors = unit_vectors
        self.unit_tokens = unit_tokens
        self.name_tokens = name_tokens
        self.acronyms = tuple(i.acronym for i in institutes)
        self.position = {a: p for p, a in enumerate(self.acronyms)}


class Ranker:
    """A profile index plus one set of examples: ranks texts."""

    def __init__(
        self,
        index: ProfileIndex,
        examples: tuple[Example, ...] = (),
        *,
        method: Method | None = None,
    ) -> None:
        """``method`` may change the scoring knobs; what was embedded is the index's."""
        self.index = index
        self.method = method = method or index.method
        n = len(index.institutes)
        self.examples = tuple(e for e in examples if any(a in index.position for a in e.institutes))
        # lexical: one document per institute (name, units, its examples)
        docs: list[list[str]] = [list(tokens) for tokens in index.name_tokens]
        for unit, tokens in zip(index.units, index.unit_tokens, strict=True):
            docs[unit.institute].extend(tokens)
        for example in self.examples:
            for acronym in example.institutes:
                if acronym in index.position:
                    docs[index.position[acronym]].extend(example.tokens)
        self.bm25 = Bm25(docs, k1=method.bm25_k1, b=method.bm25_b)
        if self.examples:
            self.example_vectors = np.vstack([e.vector for e in self.examples]).astype(np.float32)
        else:
            self.example_vectors = np.zeros((0, vectors.DIM), dtype=np.float32)
        # semantic: profile units, then examples, grouped by institute (an example routed to
        # two institutes counts for both)
        self.all_vectors = np.vstack([index.unit_vectors, self.example_vectors])
        self.groups = [
            np.array([u for u, unit in enumerate(index.units) if unit.institute == p], dtype=int)
            for p in range(n)
        ]
        members: list[list[int]] = [
            [u for u in self.groups[p].tolist() if index.units[u].kind in method.sem_kinds]
            for p in range(n)
        ]
        if "example" in method.sem_kinds:
            for e, example in enumerate(self.examples):
                for acronym in dict.fromkeys(example.institutes):
                    if acronym in index.position:
                        members[index.position[acronym]].append(len(index.units) + e)
        self.sem_groups = [np.array(m, dtype=int) for m in members]
        self._fit_classifier()

    def _fit_classifier(self) -> None:
        """A ridge-regression classifier (one-vs-all least squares, closed form) from vectors
        to institutes, trained on every profile unit and every past example: it learns which
        directions of the embedding space separate the institutes, where nearest-sentence
        similarity only sees which sentences are close."""
        index, method = self.index, self.method
        n = len(index.institutes)
        rows = [index.unit_vectors]
        targets = np.zeros((len(index.units) + len(self.examples), n), dtype=np.float64)
        targets[np.arange(len(index.units)), [u.institute for u in index.units]] = 1.0
        for e, example in enumerate(self.examples):
            chosen = [index.position[a] for a in example.institutes if a in index.position]
            targets[len(index.units) + e, chosen] = 1.0 / len(chosen)
        if self.examples:
            rows.append(self.example_vectors)
        x = np.vstack(rows).astype(np.float64)
        if len(x) == 0 or method.w_clf == 0:
            self.clf_mean: np.ndarray = np.zeros(vectors.DIM)
            self.clf_weights: np.ndarray = np.zeros((vectors.DIM, n))
            return
        self.clf_mean = x.mean(axis=0)
        centred = x - self.clf_mean
        targets -= targets.mean(axis=0)
        gram = centred.T @ centred + method.clf_lambda * np.eye(x.shape[1])
        self.clf_weights = np.linalg.solve(gram, centred.T @ targets)

    # -- scoring ---------------------------------------------------------------------------

    def rank(
        self,
        query_vector: np.ndarray,
        terms: list[str],
        *,
        limit: int | None = None,
        evidence: bool = True,
    ) -> list[Recommendation]:
        index, method = self.index, self.method
        n = len(index.institutes)
        fused = np.zeros(n)
        # semantic
        all_sims = self.all_vectors @ query_vector
        unit_sims = all_sims[: len(index.units)]
        semantic = np.zeros(n)
        for p, group in enumerate(self.sem_groups):
            if len(group):
                sims = all_sims[group]
                k = min(method.sem_k, len(sims))
                semantic[p] = float(np.sort(sims)[-k:].mean())
        lexical, matched = self.bm25.scores(terms)
        if method.w_clf:
            fused += method.w_clf * _zscore((query_vector - self.clf_mean) @ self.clf_weights)
        if method.use_semantic:
            fused += method.w_sem * _zscore(semantic)
        if method.use_lexical and lexical.max() > 0:
            fused += method.w_lex * _zscore(lexical)
        # past examples
        example_sims = all_sims[len(index.units) :]
        if len(example_sims):
            votes = np.zeros(n)
            nearest = np.argsort(-example_sims, kind="stable")[: method.ex_k]
            for e in nearest.tolist():
                strength = (float(example_sims[e]) - method.ex_floor) / (1 - method.ex_floor)
                if strength <= 0:
                    break
                example = self.examples[e]
                for acronym in example.institutes:
                    if acronym in index.position:
                        votes[index.position[acronym]] += strength
            fused += method.w_ex * votes
        scores = np.exp((fused - fused.max()) / method.temperature)
        scores /= scores.sum()
        rounded = [round(float(s), 4) for s in scores]
        order = sorted(range(n), key=lambda p: (-float(fused[p]), index.acronyms[p]))
        if limit is not None:
            order = order[:limit]
        return [
            Recommendation(
                institute=index.acronyms[p],
                name=index.institutes[p].name,
                score=rounded[p],
                evidence=(
                    self._evidence(p, unit_sims, matched.get(p, []), example_sims)
                    if evidence
                    else {}
                ),
            )
            for p in order
        ]

    def _evidence(
        self,
        p: int,
        unit_sims: np.ndarray,
        matched: list[tuple[float, str]],
        example_sims: np.ndarray,
    ) -> dict[str, Any]:
        method, index = self.method, self.index
        terms = [t for _w, t in sorted(matched, key=lambda wt: (-wt[0], wt[1]))]
        group = self.groups[p]
        best = group[np.argsort(-unit_sims[group], kind="stable")][: method.evidence_sentences]
        sentences = [
            {
                "kind": index.units[u].kind,
                "text": index.units[u].text,
                "similarity": round(float(unit_sims[u]), 4),
            }
            for u in best.tolist()
        ]
        examples = []
        acronym = index.acronyms[p]
        if len(example_sims):
            mine = [e for e, ex in enumerate(self.examples) if acronym in ex.institutes]
            mine.sort(key=lambda e: (-float(example_sims[e]), self.examples[e].id))
            for e in mine[: method.evidence_examples]:
                ex = self.examples[e]
                examples.append(
                    {
                        "id": ex.id,
                        "source": ex.source,
                        "source_id": ex.source_id,
                        "institutes": list(ex.institutes),
                        "text": ex.text,
                        "similarity": round(float(example_sims[e]), 4),
                    }
                )
        return {
            "terms": terms[: method.evidence_terms],
            "sentences": sentences,
            "examples": examples,
        }
