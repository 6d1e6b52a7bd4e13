"""Full-text matching in the database: SQLite FTS5 (bm25) or PostgreSQL tsvector (ts_rank × IDF).

Both take already-analysed query tokens and are injection-proof: tokens are quoted as FTS5
strings or passed as parameters to ``plainto_tsquery``/``to_tsquery`` (and only tokens made of
word characters and dots reach them at all).

A query token of two or more characters also matches as a prefix, because Kiwi does not split
every unknown compound the same way in every context: ``세리오`` must find
``세리오화학협동조합`` even when that name was analysed as one morpheme. An exact match still
scores higher than a prefix match (the token is searched as "exact OR prefix").
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from django.db import connection

from .models import facet_term

_FILTER_KEY = re.compile(r"^[a-z_]{1,30}$")

Filters = dict[str, list[str]]
# "and" (every term), "or" (any term) or ("pool", required terms): any of the required terms,
# scored on all of them
Mode = str | tuple[str, tuple[str, ...]]

# A document whose whole title is the query (same morphemes, same order) ranks above any
# document that merely mentions the words often: "협동조합" finds the one named 협동조합 first.
EXACT_TITLE_BONUS = 1000
# SQLite FTS5: a title term counts this many times a body term in bm25.
TITLE_WEIGHT = 5.0


@dataclass(frozen=True)
class Match:
    document_id: int
    kind: str
    object_id: int
    score: float


_TOKEN = re.compile(r"^[\w.]+$")


def _title_key(tokens: tuple[str, ...], title: str | None) -> str:
    """What a document's ``title_tokens`` must equal to be pinned first (EXACT_TITLE_BONUS):
    the query's tokens, unless the caller searches other tokens than the query's own."""
    return " ".join(tokens) if title is None else title


def _usable(tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t for t in tokens if _TOKEN.match(t))


def _prefixable(token: str) -> bool:
    """Prefix-match words of two or more characters, never bare numbers (5 → 50, 500 …)."""
    return len(token) >= 2 and not token.replace(".", "").isdigit()


class _Backend:
    """What both backends share: the words matched whole (no prefix expansion)."""

    def __init__(self) -> None:
        # Terms in many documents (``services._pool_mode`` decides): matched as whole words.
        # Their prefix expansion (``공정*`` → 공정, 공정성, 공정도 …) adds almost nothing a
        # term that frequent does not already match, and merging its posting lists is most
        # of the time of a long query full of common words.
        self.whole_words: frozenset[str] = frozenset()

    def _prefixed(self, token: str) -> bool:
        return _prefixable(token) and token not in self.whole_words


def _check_keys(filters: Filters, facets: list[str]) -> None:
    for key in [*filters, *facets]:
        if not _FILTER_KEY.match(key):
            raise ValueError(f"invalid filter key: {key!r}")


class SQLiteBackend(_Backend):
    # CROSS JOIN makes SQLite start from the full-text match; with a plain JOIN the planner may
    # walk every document and re-run the match per row (seconds instead of milliseconds).
    FROM = "search_fts CROSS JOIN search_searchdocument d ON d.id = search_fts.rowid"

    def _match(self, tokens: tuple[str, ...], joiner: str) -> str:
        terms = []
        for token in _usable(tokens):
            quoted = '"' + token.replace('"', '""') + '"'
            terms.append(f"({quoted} OR {quoted}*)" if self._prefixed(token) else quoted)
        return joiner.join(terms) or '""'

    def _where(self, tokens: tuple[str, ...], mode: Mode, kinds, filters: Filters):
        if isinstance(mode, tuple):
            # ("pool", required): documents with any required term, scored on every term
            # (bm25 sums over every phrase of the query, wherever it sits in the expression)
            match = f"({self._match(mode[1], ' OR ')}) AND ({self._match(tokens, ' OR ')})"
        else:
            match = self._match(tokens, " AND " if mode == "and" else " OR ")
        where, params = self._filter_where(kinds, filters)
        return " AND ".join(["search_fts MATCH %s", *where]), [match, *params]

    @staticmethod
    def _filter_where(kinds, filters: Filters) -> tuple[list[str], list[object]]:
        where: list[str] = []
        params: list[object] = []
        if kinds:
            where.append(f"d.kind IN ({', '.join(['%s'] * len(kinds))})")
            params.extend(kinds)
        for key, values in filters.items():
            where.append("(" + " OR ".join(["instr(d.facet_terms, %s) > 0"] * len(values)) + ")")
            params.extend(f" {facet_term(key, value)} " for value in values)
        return where, params

    def documents_of(self, objects, filters: Filters) -> list[Match]:
        """The documents of ``objects`` ({kind: [object id, …]}) that pass ``filters``: one
        query per 900 objects (SQLite's limit of parameters) for every kind."""
        pairs = [(kind, int(i)) for kind, ids in objects.items() for i in ids]
        where, params = self._filter_where([], filters)
        out: list[Match] = []
        with connection.cursor() as cur:
            for start in range(0, len(pairs), 900):
                chunk = pairs[start : start + 900]
                by_kind: dict[str, list[int]] = {}
                for kind, object_id in chunk:
                    by_kind.setdefault(kind, []).append(object_id)
                objects_where = " OR ".join(
                    f"(d.kind = %s AND d.object_id IN ({', '.join(['%s'] * len(ids))}))"
                    for ids in by_kind.values()
                )
                cur.execute(
                    "SELECT d.id, d.kind, d.object_id FROM search_searchdocument d "  # noqa: S608
                    f"WHERE ({objects_where})" + "".join(f" AND {w}" for w in where),
                    [p for kind, ids in by_kind.items() for p in (kind, *ids)] + params,
                )
                out.extend(Match(r[0], r[1], r[2], 0.0) for r in cur.fetchall())
        return out

    def refresh_statistics(self) -> None:
        """After a bulk load: merge the full-text index's segments into one (an import or a
        re-analysis of every document leaves many, and every query reads each of them: a
        third more time per query after re-analysing 120,000 documents; ~1 s to merge), and
        let the query planner see the new sizes."""
        with connection.cursor() as cur:
            cur.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            cur.execute("PRAGMA optimize")
            cur.execute("ANALYZE search_searchdocument")

    def document_frequencies(
        self, tokens: tuple[str, ...], cap: int | None = None
    ) -> dict[str, int]:
        """How many documents hold each token — exactly, or up to ``cap`` + 1 (reading at
        most that many postings: the FTS5 vocabulary table would walk a frequent term's
        whole posting list, ~1 ms per 20,000 documents, to count it)."""
        out: dict[str, int] = {}
        limit = "" if cap is None else f" LIMIT {int(cap) + 1}"
        with connection.cursor() as cur:
            for token in _usable(tokens):
                cur.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM search_fts "  # noqa: S608
                    f"WHERE search_fts MATCH %s{limit})",
                    ['"' + token.replace('"', '""') + '"'],
                )
                out[token] = int(cur.fetchone()[0])
        return out

    def search(self, tokens, mode, kinds, filters, limit, offset, title=None):
        where, params = self._where(tokens, mode, kinds, filters)
        with connection.cursor() as cur:
            # the total comes with the page (one full-text evaluation, not two)
            # (bm25() cannot sit beside a window function: it is computed in a subquery)
            cur.execute(
                "SELECT id, kind, object_id, score, count(*) OVER () FROM ("  # noqa: S608
                f"SELECT d.id AS id, d.kind AS kind, d.object_id AS object_id, "
                f"-bm25(search_fts, {TITLE_WEIGHT}, 1.0) "
                f"+ CASE WHEN d.title_tokens = %s THEN {EXACT_TITLE_BONUS} ELSE 0 END AS score "
                f"FROM {self.FROM} WHERE {where}) ORDER BY score DESC, id LIMIT %s OFFSET %s",
                [_title_key(tokens, title), *params, limit, offset],
            )
            rows = cur.fetchall()
            if rows:
                total = rows[0][4]
            else:  # a page past the end: count on its own
                cur.execute(f"SELECT count(*) FROM {self.FROM} WHERE {where}", params)  # noqa: S608
                total = cur.fetchone()[0]
        return total, [Match(r[0], r[1], r[2], float(r[3])) for r in rows]

    def top(self, tokens, mode, kinds, filters, limit, title=None) -> list[Match]:
        """The ``limit`` best matches, without a total: ranked inside the full-text index
        first (over-fetched 4×, then joined and filtered), which skips joining every match to
        its document — half the time of ``search`` for a broad query. Falls back to ``search``
        when the filters leave fewer than ``limit``."""
        where, params = self._filter_where(kinds, filters)
        match_where, match_params = self._where(tokens, mode, (), {})
        args: list[Any] = [_title_key(tokens, title), *match_params, limit * 4, *params, limit]
        with connection.cursor() as cur:
            cur.execute(
                "SELECT d.id, d.kind, d.object_id, s.score "  # noqa: S608
                f"+ CASE WHEN d.title_tokens = %s THEN {EXACT_TITLE_BONUS} ELSE 0 END AS score "
                f"FROM (SELECT rowid AS rid, -bm25(search_fts, {TITLE_WEIGHT}, 1.0) AS score "
                f"FROM search_fts WHERE {match_where} ORDER BY score DESC LIMIT %s) s "
                "CROSS JOIN search_searchdocument d ON d.id = s.rid "
                f"WHERE {' AND '.join(where) or '1'} ORDER BY score DESC, d.id LIMIT %s",
                args,
            )
            rows = cur.fetchall()
        if len(rows) < limit:
            return self.search(tokens, mode, kinds, filters, limit, 0, title)[1]
        return [Match(r[0], r[1], r[2], float(r[3])) for r in rows]

    def count(self, tokens, mode, kinds, filters, cap) -> int:
        """Matches, counted up to ``cap`` + 1 (more than ``cap`` means "cap+")."""
        where, params = self._where(tokens, mode, kinds, filters)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {self.FROM} WHERE {where} LIMIT %s)",  # noqa: S608
                [*params, int(cap) + 1],
            )
            return int(cur.fetchone()[0])

    def facets_many(self, tokens, mode, kinds, filters, keys, sample=None):
        """Value counts of several keys over the matches (the first ``sample`` of them, in
        index order, when given): their ``facet_terms`` counted in Python."""
        if not keys:
            return {}
        where, params = self._where(tokens, mode, kinds, filters)
        limit = "" if sample is None else f" LIMIT {int(sample)}"
        with connection.cursor() as cur:
            cur.execute(f"SELECT d.facet_terms FROM {self.FROM} WHERE {where}{limit}", params)  # noqa: S608
            return _count_facets(cur.fetchall(), keys)

    def facets(self, tokens, mode, kinds, filters, key, sample=None):
        return self.facets_many(tokens, mode, kinds, filters, [key], sample)[key]


_pg_stats: tuple[float, dict[str, int], int] = (0.0, {}, 0)
PG_STATS_SECONDS = 300


def _pg_common_lexemes() -> tuple[dict[str, int], int]:
    """({lexeme: estimated documents} of the most common lexemes, documents in all), from
    the ANALYZE statistics, read at most every few minutes per process."""
    global _pg_stats
    now = time.monotonic()
    if now - _pg_stats[0] < PG_STATS_SECONDS:
        return _pg_stats[1], _pg_stats[2]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename "
            "WHERE s.tablename = 'search_searchdocument' AND s.attname = 'tsv' "
            "AND s.schemaname = current_schema()"
        )
        row = cur.fetchone()
    common: dict[str, int] = {}
    rows = 0
    if row and row[0] and row[1]:
        rows = max(int(row[2] or 0), 0)
        # the frequencies end with three summary numbers (min, max, null): zip stops before
        common = {
            str(lexeme): int(freq * rows) for lexeme, freq in zip(row[0], row[1], strict=False)
        }
    _pg_stats = (now, common, rows)
    return common, rows


def _idf(tokens: tuple[str, ...]) -> list[float]:
    """BM25's inverse document frequency of each token, from the planner's statistics: a
    lexeme not among the most common is counted as half as frequent as the least common of
    them (without statistics every token weighs the same)."""
    common, total = _pg_common_lexemes()
    if not common or total <= 0:
        return [1.0] * len(tokens)
    rare = max(min(common.values()) / 2, 0.5)
    return [
        math.log(1 + (total - n + 0.5) / (n + 0.5)) for n in (common.get(t, rare) for t in tokens)
    ]


def _count_facets(rows, keys) -> dict[str, list[tuple[str, int]]]:
    """{key: [(value, documents), …] most first} from rows of ``facet_terms``: one split of
    all of them and a Counter (2,000 matches in ~2 ms)."""
    wanted = set(keys)
    out: dict[str, list[tuple[str, int]]] = {key: [] for key in keys}
    for term, count in Counter(" ".join(row[0] for row in rows).split()).items():
        key, _eq, value = term.partition("=")
        if key in wanted:
            out[key].append((unquote(value), count))
    for values in out.values():
        values.sort(key=lambda vc: (-vc[1], vc[0]))
    return out


class PostgresBackend(_Backend):
    # Ranked like BM25 (``_rank``): each term's ts_rank times its IDF. ts_rank, not ts_rank_cd:
    # cover density walks every position of every query term in the document, 11 µs a row
    # with prefix terms against 3 µs — a third of a search's time at 100,000 documents — and
    # ranked no better. The product on PostgreSQL, judged sets (nDCG@10; dev, dev with 2,000
    # distractors, held-out): ts_rank_cd of the whole query 0.868, 0.792, 0.852 (without the
    # planner's statistics; ts_rank there 0.878, 0.817, 0.853); with them, ts_rank of the
    # whole query 0.878, 0.817, 0.859 and per-term ts_rank × IDF 0.889, 0.845, 0.861.
    def _tsquery(self, tokens, mode) -> tuple[str, list[object]]:
        if isinstance(mode, tuple):  # ("pool", required): see SQLiteBackend._where
            required, required_params = self._tsquery(mode[1], "or")
            every, every_params = self._tsquery(tokens, "or")
            return f"({required} && {every})", [*required_params, *every_params]
        joiner = " && " if mode == "and" else " || "
        parts: list[str] = []
        params: list[object] = []
        for token in _usable(tokens):
            if self._prefixed(token):
                # the token holds only word characters and dots: no quote can end the literal
                parts.append("(plainto_tsquery('simple', %s) || to_tsquery('simple', %s))")
                params.extend([token, f"'{token}':*"])
            else:
                parts.append("plainto_tsquery('simple', %s)")
                params.append(token)
        if not parts:
            return "plainto_tsquery('simple', '')", []
        return "(" + joiner.join(parts) + ")", params

    def _rank(self, tokens) -> tuple[str, list[object]]:
        """BM25-like score: each term's ``ts_rank`` (its occurrences, title weighted over
        body, saturating, normalised by the document's length) times its inverse document
        frequency — ``ts_rank`` over the whole query weighs ``장치`` as much as ``누수``."""
        usable = _usable(tokens)
        if not usable:
            return "0", []
        parts: list[str] = []
        params: list[object] = []
        for token, idf in zip(usable, _idf(usable), strict=True):
            term, term_params = self._tsquery((token,), "or")
            parts.append(f"%s * ts_rank(d.tsv, {term}, 1)")
            params.extend([idf, *term_params])
        return " + ".join(parts), params

    def _where(self, tokens, mode, kinds, filters: Filters):
        tsquery, tsquery_params = self._tsquery(tokens, mode)
        where, params = self._filter_where(kinds, filters)
        return " AND ".join([f"d.tsv @@ {tsquery}", *where]), [*tsquery_params, *params]

    @staticmethod
    def _filter_where(kinds, filters: Filters) -> tuple[list[str], list[object]]:
        where: list[str] = []
        params: list[object] = []
        if kinds:
            where.append(f"d.kind IN ({', '.join(['%s'] * len(kinds))})")
            params.extend(kinds)
        for key, values in filters.items():
            where.append("(" + " OR ".join(["strpos(d.facet_terms, %s) > 0"] * len(values)) + ")")
            params.extend(f" {facet_term(key, value)} " for value in values)
        return where, params

    def documents_of(self, objects, filters: Filters) -> list[Match]:
        """The documents of ``objects`` ({kind: [object id, …]}) that pass ``filters``: the
        ids as one array per kind, so the statement's text is the same whatever their number
        (a list of placeholders made a new statement for psycopg to parse every query)."""
        by_kind = {kind: [int(i) for i in ids] for kind, ids in objects.items() if len(ids)}
        if not by_kind:
            return []
        where, params = self._filter_where([], filters)
        objects_where = " OR ".join(
            "(d.kind = %s AND d.object_id = ANY(%s::bigint[]))" for _kind in by_kind
        )
        with connection.cursor() as cur:
            cur.execute(
                "SELECT d.id, d.kind, d.object_id FROM search_searchdocument d "  # noqa: S608
                f"WHERE ({objects_where})" + "".join(f" AND {w}" for w in where),
                [p for kind, ids in by_kind.items() for p in (kind, ids)] + params,
            )
            return [Match(r[0], r[1], r[2], 0.0) for r in cur.fetchall()]

    def refresh_statistics(self) -> None:
        """After a bulk load: ANALYZE now rather than when autovacuum gets to it. Until then
        the planner's statistics, and ``document_frequencies`` read from them, describe the
        table before the load — every term looks rare and broad queries rank every match.
        And move the full-text index's pending entries into the index proper: until a vacuum
        does, every query scans that unsorted list (up to 4 MB; a third of a query's time
        after importing 100,000 rows)."""
        global _pg_stats
        with connection.cursor() as cur:
            cur.execute("SELECT gin_clean_pending_list('search_document_tsv'::regclass)")
            cur.execute("ANALYZE search_searchdocument")
        _pg_stats = (0.0, {}, 0)

    def document_frequencies(
        self, tokens: tuple[str, ...], cap: int | None = None
    ) -> dict[str, int]:
        """Estimated documents per token, from the planner's statistics of the tsvector
        column (its most common lexemes; a token not among them is rare: 0). ``cap``: the
        estimate is free, it is not capped."""
        common, _total = _pg_common_lexemes()
        return {token: common.get(token, 0) for token in _usable(tokens)}

    def search(self, tokens, mode, kinds, filters, limit, offset, title=None):
        where, params = self._where(tokens, mode, kinds, filters)
        rank, rank_params = self._rank(tokens)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT d.id, d.kind, d.object_id, {rank} "  # noqa: S608
                f"+ CASE WHEN d.title_tokens = %s THEN {EXACT_TITLE_BONUS} ELSE 0 END AS score, "
                "count(*) OVER () "
                f"FROM search_searchdocument d WHERE {where} "
                "ORDER BY score DESC, d.id LIMIT %s OFFSET %s",
                [*rank_params, _title_key(tokens, title), *params, limit, offset],
            )
            rows = cur.fetchall()
            if rows:
                total = rows[0][4]
            else:
                cur.execute(
                    f"SELECT count(*) FROM search_searchdocument d WHERE {where}",  # noqa: S608
                    params,
                )
                total = cur.fetchone()[0]
        return total, [Match(r[0], r[1], r[2], float(r[3])) for r in rows]

    # A query made only of frequent terms (``whole_words``) matches thousands of documents, and
    # ranking one costs reading its row and tsvector (~8 µs: 13,000 matches, 110 ms). Then
    # the first RANK_SAMPLE matches are ranked (with every document whose whole title is the
    # query); the embedding half of the hybrid ranking sees the whole collection anyway.
    # SQLite needs no sample: FTS5 ranks from the index itself.
    RANK_SAMPLE = 1000

    def top(self, tokens, mode, kinds, filters, limit, title=None) -> list[Match]:
        """The ``limit`` best matches, without a total."""
        where, params = self._where(tokens, mode, kinds, filters)
        rank, rank_params = self._rank(tokens)
        title = _title_key(tokens, title)
        usable = _usable(tokens)
        if usable and set(usable) <= self.whole_words:
            rows_from = (
                "search_searchdocument d WHERE d.id IN ("  # noqa: S608
                f"(SELECT d.id FROM search_searchdocument d WHERE {where} LIMIT %s) UNION "
                f"(SELECT d.id FROM search_searchdocument d WHERE d.title_tokens = %s AND {where}))"
            )
            rows_params = [*params, self.RANK_SAMPLE, title, *params]
        else:
            rows_from, rows_params = f"search_searchdocument d WHERE {where}", params
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT d.id, d.kind, d.object_id, {rank} "  # noqa: S608
                f"+ CASE WHEN d.title_tokens = %s THEN {EXACT_TITLE_BONUS} ELSE 0 END AS score "
                f"FROM {rows_from} ORDER BY score DESC, d.id LIMIT %s",
                [*rank_params, title, *rows_params, limit],
            )
            return [Match(r[0], r[1], r[2], float(r[3])) for r in cur.fetchall()]

    def count(self, tokens, mode, kinds, filters, cap) -> int:
        """Matches, counted up to ``cap`` + 1 (more than ``cap`` means "cap+")."""
        where, params = self._where(tokens, mode, kinds, filters)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM (SELECT 1 FROM search_searchdocument d "  # noqa: S608
                f"WHERE {where} LIMIT %s) x",
                [*params, int(cap) + 1],
            )
            return int(cur.fetchone()[0])

    def facets_many(self, tokens, mode, kinds, filters, keys, sample=None):
        """Value counts of several keys over the matches (see ``SQLiteBackend``)."""
        if not keys:
            return {}
        where, params = self._where(tokens, mode, kinds, filters)
        limit = "" if sample is None else f" LIMIT {int(sample)}"
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT d.facet_terms FROM search_searchdocument d WHERE {where}{limit}",  # noqa: S608
                params,
            )
            return _count_facets(cur.fetchall(), keys)

    def facets(self, tokens, mode, kinds, filters, key, sample=None):
        return self.facets_many(tokens, mode, kinds, filters, [key], sample)[key]


def backend() -> SQLiteBackend | PostgresBackend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SQLiteBackend()
    raise NotImplementedError(f"search is not available on {connection.vendor}")


__all__ = ["Match", "backend", "_check_keys"]
