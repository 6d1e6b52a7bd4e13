"""The search API every app uses: index, remove, search, reindex.

``index_document`` and ``remove_document`` must be called inside the transaction that changes
the object, so data and index commit (or roll back) together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import transaction
from django.utils.safestring import SafeString

from . import lexicon, registry
from .analysis import analyze_many, analyze_query
from .backends import EXACT_TITLE_BONUS, Match, _check_keys, backend
from .highlight import snippet
from .models import SearchDocument, facet_terms

MAX_LIMIT = 200
MAX_OFFSET = 10_000_000  # far beyond any real paging; keeps OFFSET a 64-bit integer

# Hybrid ranking (a ``semantic`` source given and vectors stored): the lexical any-term top
# ``LEXICAL_POOL`` ∪ the ``SEMANTIC_POOL`` nearest that pass the filters are fused; pages
# beyond ``RERANK_DEPTH`` results are ranked lexically (nobody reads that far; the fused
# order of a pool that deep would cost more than it tells).
LEXICAL_POOL = 100
SEMANTIC_POOL = 20
RERANK_DEPTH = 200
# A term in more documents than this does not by itself make a document a lexical candidate
# of the hybrid ranking (see ``_pool_mode``): collections this small are never pruned.
FREQUENT_DOCS = 2000
# The hybrid ranking's lexical half also searches the technical terms of the everyday phrases
# in the query (``lexicon``: 물이 새다 → 누수, 누설).
EXPAND_EVERYDAY = True
# Facets are counted over at most this many matches (see ``_facets``).
FACET_SAMPLE = 1000
# The hybrid ranking counts its lexical matches up to this many (``total_exact``).
TOTAL_CAP = 10_000


# Filters almost every document passes (the technology bank's visibility for public kinds).
BROAD_FILTERS = frozenset({"visibility"})


class SemanticSource(Protocol):
    """What the hybrid ranking needs from an embedding index (``dure.techbank.semantic``)."""

    def available(self, kinds: Sequence[str]) -> bool: ...

    def lexical_terms(self, tokens: tuple[str, ...]) -> tuple[str, ...]: ...

    def fuse(
        self,
        lexical_rank: dict[Any, int],
        semantic_rank: dict[Any, int],
        *,
        translated: bool = True,
        lexical_strength: dict[Any, float] | None = None,
    ) -> dict: ...

    def begin(self, query: str) -> Any: ...

    def scorers(self, embedding: Any, kinds: Sequence[str]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Hit:
    kind: str
    object_id: int
    score: float
    title: str
    snippet: SafeString


@dataclass
class SearchResult:
    query: str
    tokens: tuple[str, ...]
    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    relaxed: bool = False  # True when no document had every term and any-term matching was used
    # the terms the lexical index was asked for (hybrid: without need-phrasing words)
    lexical_tokens: tuple[str, ...] = ()
    lexical_mode: Any = "and"
    # the everyday-phrase lexicon's terms among lexical_tokens (hybrid ranking only)
    lexicon_terms: tuple[str, ...] = ()
    # False when the facet counts were taken over the first FACET_SAMPLE matches only
    facets_exact: bool = True
    # False when there were more than TOTAL_CAP matches (hybrid ranking): show "N+"
    total_exact: bool = True


def _normalise_filters(filters: Mapping[str, object] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in (filters or {}).items():
        values = value if isinstance(value, list | tuple | set) else [value]
        cleaned = [str(v) for v in values if v is not None and str(v) != ""]
        if cleaned:
            out[key] = sorted(set(cleaned))
    return out


def index_document(
    *,
    kind: str,
    object_id: int,
    title: str,
    body: str = "",
    filters: Mapping[str, object] | None = None,
) -> SearchDocument:
    doc_filters = _normalise_filters(filters)
    _check_keys(doc_filters, [])
    title_tokens, body_tokens = analyze_many([title, body])
    doc, _created = SearchDocument.objects.update_or_create(
        kind=kind,
        object_id=object_id,
        defaults={
            "title": title[:300],
            "body": body,
            "title_tokens": " ".join(title_tokens),
            "body_tokens": " ".join(body_tokens),
            "filters": doc_filters,
            "facet_terms": facet_terms(doc_filters),
        },
    )
    return doc


def remove_document(*, kind: str, object_id: int) -> None:
    SearchDocument.objects.filter(kind=kind, object_id=object_id).delete()


def index_object(kind: str, obj) -> None:
    """(Re)index one object of a registered kind, or remove it if it is no longer indexed."""
    document = registry.get(kind).to_document(obj)
    if document is None:
        remove_document(kind=kind, object_id=obj.pk)
    else:
        index_document(
            kind=kind,
            object_id=obj.pk,
            title=document.title,
            body=document.body,
            filters=document.filters,
        )


def search(
    *,
    query: str,
    kinds: list[str] | None = None,
    filters: Mapping[str, object] | None = None,
    facets: list[str] | None = None,
    limit: int = 20,
    offset: int = 0,
    semantic: SemanticSource | None = None,
) -> SearchResult:
    """Rank documents matching ``query``: every term first, any term if none has them all.

    With ``semantic`` (and vectors stored for the kinds searched): lexical and semantic
    candidates fused (``_hybrid_lexical``, ``_hybrid_fuse``) — documents that share no word with the query can be found.
    """
    tokens = analyze_query(query or "")
    result = SearchResult(query=query, tokens=tokens)
    if not tokens:
        return result
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    norm_filters = _normalise_filters(filters)
    facet_keys = list(facets or [])
    _check_keys(norm_filters, facet_keys)
    engine = backend()
    if (
        semantic is not None
        and offset + limit <= RERANK_DEPTH
        and not _identifiers_only(tokens)
        and semantic.available(kinds or [])
    ):
        # With the kind facet asked for, a broad query's lexical total comes from the facet
        # pass (each document has one kind) instead of a count query of its own.
        count_with_facets = "kind" in facet_keys and "kind" not in norm_filters
        embedding, lexical = _hybrid_lexical(
            result,
            engine,
            semantic,
            kinds,
            norm_filters,
            limit,
            offset,
            count=not count_with_facets,
        )
        uncounted = not result.total_exact and count_with_facets
        # counted while the query is still being embedded in the embedding thread
        _facets(
            result,
            engine,
            result.lexical_tokens,
            result.lexical_mode,
            kinds,
            norm_filters,
            facet_keys,
        )
        extra = _hybrid_fuse(
            result, engine, semantic, embedding, lexical, kinds, norm_filters, limit, offset
        )
        if uncounted:
            counted = sum(count for _value, count in result.facets["kind"])
            result.total_exact = counted < FACET_SAMPLE
            result.total = counted + extra
        return result
    mode = "and"
    total, matches = engine.search(tokens, mode, kinds, norm_filters, limit, offset)
    if total == 0 and len(tokens) > 1:
        mode = "or"
        result.relaxed = True
        total, matches = engine.search(tokens, mode, kinds, norm_filters, limit, offset)
    result.total = total
    result.hits = _hits(matches, tokens)
    _facets(result, engine, tokens, mode, kinds, norm_filters, facet_keys)
    return result


def _hits(matches, tokens: tuple[str, ...]) -> list[Hit]:
    # the columns shown, not the analysed text and tsvector (twice the row)
    docs = SearchDocument.objects.only("title", "body").in_bulk([m.document_id for m in matches])
    return [
        Hit(
            kind=m.kind,
            object_id=m.object_id,
            score=round(m.score, 6),
            title=docs[m.document_id].title,
            snippet=snippet(docs[m.document_id].body or docs[m.document_id].title, tokens),
        )
        for m in matches
        if m.document_id in docs
    ]


def _facets(result, engine, tokens, mode, kinds, norm_filters, facet_keys) -> None:
    """Facet counts over the matches — over the first ``FACET_SAMPLE`` of them when there are
    more (``result.facets_exact`` False: the counts are lower bounds, shown as "N+"): counting
    tens of thousands of matches per key is most of the time of a broad query."""
    if not facet_keys:
        return
    sample = FACET_SAMPLE if result.total > FACET_SAMPLE or not result.total_exact else None
    exact = sample is None
    # Facet counts for a key ignore that key's own filter (the usual drill-down behaviour), so
    # the keys nobody filters on share the same conditions and are counted in one query.
    shared = [key for key in facet_keys if key not in norm_filters]
    counts = (
        engine.facets_many(tokens, mode, kinds, norm_filters, shared, sample=sample)
        if shared
        else {}
    )
    if sample is not None and "kind" in counts:
        # every document has one kind: fewer kinds counted than the sample means the sample
        # held every match (the counts are exact)
        exact = sum(count for _value, count in counts["kind"]) < sample
    for key in facet_keys:
        if key in counts:
            result.facets[key] = counts[key]
        else:
            # without its own filter the match set is larger than ``total``: always sampled
            others = {k: v for k, v in norm_filters.items() if k != key}
            counted = engine.facets(tokens, mode, kinds, others, key, sample=FACET_SAMPLE + 1)
            if sum(count for _value, count in counted) > FACET_SAMPLE:
                exact = False
            result.facets[key] = counted
    result.facets_exact = exact


def _identifiers_only(tokens: tuple[str, ...]) -> bool:
    """Numbers and codes (application numbers, IPC codes, NFEC numbers): nothing for an
    embedding to understand — the exact match must come first."""
    return all(any(ch.isdigit() for ch in t) for t in tokens)


def _pool_mode(engine, own: tuple[str, ...], kinds, filters, added: tuple[str, ...] = ()):
    """Which documents the lexical half ranks, and which ``added`` terms (the lexicon's) it
    searches too. Returns (mode, added terms kept); documents are scored on every term.

    Any term, unless a term is frequent (in more than ``FREQUENT_DOCS`` documents): ranking
    every document that merely mentions ``센서`` or ``물`` costs 100+ ms at 100,000 documents
    and puts nothing on top that the rarer terms and the embedding do not find. Then:
    documents with any rarer term; if every term of the query's ``own`` is frequent, documents
    with all of them (``_hybrid_lexical`` falls back to any of them when none has all).
    An added term is only searched beside a rarer word of the query's own (it then widens
    the pool: it is never required): a query of frequent words only is a technical query
    ("금속 3D 프린팅"), not an everyday one, and ranking its thousands of matches on more terms
    cost PostgreSQL 40–60 ms. A frequent added term is left out too."""
    frequencies = engine.document_frequencies(own + added, cap=FREQUENT_DOCS)
    frequent = {t for t, n in frequencies.items() if n > FREQUENT_DOCS}
    # an added term is a chosen technical word: matched whole, without its prefix expansion
    added = tuple(t for t in added if t not in frequent)
    engine.whole_words = frozenset(frequent) | frozenset(added)
    if not frequent:
        return "or", added
    if all(t in frequent for t in own):
        return ("and" if len(own) > 1 else "or"), ()
    return ("pool", tuple(t for t in own + added if t not in frequent)), added


def _semantic_want(filters) -> int:
    """How many nearest vectors to take: the filters decide which of them may be shown, so
    more than needed, and the first SEMANTIC_POOL that pass are kept."""
    return SEMANTIC_POOL * (4 if set(filters) <= BROAD_FILTERS else 40)


def _hybrid_lexical(result, engine, semantic, kinds, filters, limit, offset, *, count=True):
    """First half of the hybrid ranking: the query's embedding started (in its thread) and
    the lexical pool ranked meanwhile. Returns (embedding, lexical matches); ``result.total``
    is the lexical matches. When they fill the pool and ``count`` is False they are left
    uncounted (``total_exact`` False): the caller counts them with the facets."""
    tokens = result.tokens
    # the embedding reads the query as written: the lexicon's words appended to it made the
    # two rankings agree more and the fusion worse (judged sets: 0.891 → 0.866, 0.854 → 0.844)
    embedding = semantic.begin(result.query)
    added = lexicon.expansion(result.query) if EXPAND_EVERYDAY else ()
    own = semantic.lexical_terms(tokens)
    mode, added = _pool_mode(engine, own, kinds, filters, tuple(t for t in added if t not in own))
    result.lexical_mode = mode
    result.lexicon_terms = added
    lexical_tokens = result.lexical_tokens = own + added
    depth = max(LEXICAL_POOL, offset + limit)
    # a document whose whole title is the query (need words and all) is pinned first
    title = " ".join(tokens)
    lexical = engine.top(lexical_tokens, mode, kinds, filters, depth, title)
    if mode == "and" and not lexical:
        mode = result.lexical_mode = "or"
        lexical = engine.top(lexical_tokens, mode, kinds, filters, depth, title)
    if len(lexical) < depth:
        total = len(lexical)
    elif count:
        total = engine.count(lexical_tokens, mode, kinds, filters, TOTAL_CAP)
    else:
        total = TOTAL_CAP + 1  # counted later, with the facets
    result.total_exact = total <= TOTAL_CAP
    result.total = min(total, TOTAL_CAP)
    return embedding, lexical


def _hybrid_fuse(result, engine, semantic, embedding, lexical, kinds, filters, limit, offset):
    """Second half: weighted reciprocal-rank fusion of the lexical ranking and the
    embedding's. Returns how many candidates the embedding added to the lexical matches."""
    tokens = result.tokens
    # A document whose whole title is the query stays first (the lexical backends' bonus).
    pinned = [m for m in lexical if m.score >= EXACT_TITLE_BONUS]
    want = _semantic_want(filters)
    cosine: dict[tuple[str, int], float] = {}
    nearest: list[tuple[float, str, int]] = []
    for kind, scorer in semantic.scorers(embedding, kinds or []).items():
        ids, cos = scorer.nearest(want)
        nearest.extend(zip(cos.tolist(), [kind] * len(ids), ids.tolist(), strict=True))
        of_kind = [m.object_id for m in lexical if m.kind == kind]
        cosine.update(((kind, pk), c) for pk, c in scorer.cosine_of(of_kind).items())
    nearest.sort(reverse=True)
    by_kind: dict[str, list[int]] = {}
    for _cos, kind, object_id in nearest:
        by_kind.setdefault(kind, []).append(object_id)
    allowed = {(m.kind, m.object_id): m for m in engine.documents_of(by_kind, filters)}
    candidates = {(m.kind, m.object_id): m for m in lexical}
    extra = 0
    for cos, kind, object_id in nearest:
        if extra >= SEMANTIC_POOL:
            break
        key = (kind, object_id)
        if key in allowed:
            cosine[key] = cos
            if key not in candidates:
                candidates[key] = allowed[key]
                extra += 1
    lexical_rank = {(m.kind, m.object_id): i for i, m in enumerate(lexical)}
    by_cosine = sorted((k for k in candidates if k in cosine), key=lambda k: -cosine[k])
    semantic_rank = {key: i for i, key in enumerate(by_cosine)}
    # the embedding has more say when the lexicon found no technical words for the query
    fused = semantic.fuse(
        lexical_rank,
        semantic_rank,
        translated=bool(result.lexicon_terms),
        lexical_strength=_lexical_strength(lexical),
    )
    # fused scores are below 1 (1/K + W/K): a pinned document's +1 keeps scores best first
    for m in pinned:
        fused[(m.kind, m.object_id)] = fused.get((m.kind, m.object_id), 0.0) + 1.0
    order = sorted(candidates, key=lambda k: (-fused.get(k, 0.0), candidates[k].document_id))
    page = [
        Match(candidates[k].document_id, k[0], k[1], fused.get(k, 0.0))
        for k in order[offset : offset + limit]
    ]
    result.total += extra
    result.hits = _hits(page, tokens)
    return extra


def _lexical_strength(lexical: Sequence[Match]) -> dict[tuple[str, int], float]:
    """Each lexical match's score over the best one's (0–1), the pinning bonus left out."""
    scores = {}
    for m in lexical:
        pinned = m.score >= EXACT_TITLE_BONUS
        scores[(m.kind, m.object_id)] = m.score - EXACT_TITLE_BONUS if pinned else m.score
    best = max(scores.values(), default=0.0)
    if best <= 0:
        return {}
    return {key: max(score, 0.0) / best for key, score in scores.items()}


def reindex(
    *,
    kinds: list[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    batch_size: int = 500,
) -> dict[str, int]:
    """Rebuild the index of the given kinds (all by default). Returns documents per kind."""
    counts: dict[str, int] = {}
    for kind in registry.all_kinds():
        if kinds and kind.name not in kinds:
            continue
        # in primary-key order: documents get ids in the order their objects were created, as
        # when they were indexed one by one (equal scores are ordered by document id)
        objects = sorted(kind.queryset(), key=lambda obj: obj.pk)
        total = len(objects)
        done = 0
        with transaction.atomic():
            SearchDocument.objects.filter(kind=kind.name).delete()
            pending: list[tuple[int, object]] = []
            for obj in objects:
                document = kind.to_document(obj)
                if document is not None:
                    pending.append((obj.pk, document))
                done += 1
                if len(pending) >= batch_size:
                    _write_batch(kind.name, pending)
                    pending = []
                if progress:
                    progress(kind.name, done, total)
            _write_batch(kind.name, pending)
        counts[kind.name] = SearchDocument.objects.filter(kind=kind.name).count()
    _refresh_statistics()
    return counts


def _write_batch(kind: str, pending: list) -> None:
    """Analyse a batch of documents in one Kiwi batch and insert them."""
    if not pending:
        return
    texts = [d.title for _pk, d in pending] + [d.body for _pk, d in pending]
    tokens = analyze_many(texts)
    n = len(pending)
    rows = []
    for i, (pk, document) in enumerate(pending):
        filters = _normalise_filters(document.filters)
        rows.append(
            SearchDocument(
                kind=kind,
                object_id=pk,
                title=document.title[:300],
                body=document.body,
                title_tokens=" ".join(tokens[i]),
                body_tokens=" ".join(tokens[n + i]),
                filters=filters,
                facet_terms=facet_terms(filters),
            )
        )
    SearchDocument.objects.bulk_create(rows)


def _refresh_statistics() -> None:
    """After a bulk rebuild: the full-text index compacted and the planner's statistics
    refreshed (``refresh_statistics`` of the backend)."""
    from django.db import connection

    if connection.vendor == "postgresql" and connection.in_atomic_block:
        return  # ANALYZE in a long transaction would hold its locks to the end
    backend().refresh_statistics()
