"""Full-text matching in the database: SQLite FTS5 (bm25) or PostgreSQL tsvector (ts_rank_cd).

Both take already-analysed query tokens and are injection-proof: tokens are quoted as FTS5
strings or passed as parameters to ``plainto_tsquery``/``to_tsquery`` (and only tokens made of
word characters and dots reach them at all).

A query token of two or more characters also matches as a prefix, because Kiwi does not split
every unknown compound the same way in every context: ``세리오`` must find
``세리오화학협동조합`` even when that name was analysed as one morpheme. An exact match still
scores higher than a prefix match (the token is searched as "exact OR prefix").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection

_FILTER_KEY = re.compile(r"^[a-z_]{1,30}$")

Filters = dict[str, list[str]]

# A document whose whole title is the query (same morphemes, same order) ranks above any
# document that merely mentions the words often: "협동조합" finds the one named 협동조합 first.
EXACT_TITLE_BONUS = 1000


@dataclass(frozen=True)
class Match:
    document_id: int
    kind: str
    object_id: int
    score: float


_TOKEN = re.compile(r"^[\w.]+$")


def _usable(tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t for t in tokens if _TOKEN.match(t))


def _prefixable(token: str) -> bool:
    """Prefix-match words of two or more characters, never bare numbers (5 → 50, 500 …)."""
    return len(token) >= 2 and not token.replace(".", "").isdigit()


def _check_keys(filters: Filters, facets: list[str]) -> None:
    for key in [*filters, *facets]:
        if not _FILTER_KEY.match(key):
            raise ValueError(f"invalid filter key: {key!r}")


class SQLiteBackend:
    # CROSS JOIN makes SQLite start from the full-text match; with a plain JOIN the planner may
    # walk every document and re-run the match per row (seconds instead of milliseconds).
    FROM = "search_fts CROSS JOIN search_searchdocument d ON d.id = search_fts.rowid"

    def _where(self, tokens: tuple[str, ...], mode: str, kinds, filters: Filters):
        joiner = " AND " if mode == "and" else " OR "
        terms = []
        for token in _usable(tokens):
            quoted = '"' + token.replace('"', '""') + '"'
            terms.append(f"({quoted} OR {quoted}*)" if _prefixable(token) else quoted)
        match = joiner.join(terms) or '""'
        where = ["search_fts MATCH %s"]
        params: list[object] = [match]
        if kinds:
            where.append(f"d.kind IN ({', '.join(['%s'] * len(kinds))})")
            params.extend(kinds)
        for key, values in filters.items():
            where.append(
                # key matched _FILTER_KEY ([a-z_]) in _check_keys; values are parameters
                f"EXISTS (SELECT 1 FROM json_each(d.filters, '$.{key}') j "  # noqa: S608
                f"WHERE j.value IN ({', '.join(['%s'] * len(values))}))"
            )
            params.extend(values)
        return " AND ".join(where), params

    def search(self, tokens, mode, kinds, filters, limit, offset):
        where, params = self._where(tokens, mode, kinds, filters)
        with connection.cursor() as cur:
            # the total comes with the page (one full-text evaluation, not two)
            # (bm25() cannot sit beside a window function: it is computed in a subquery)
            cur.execute(
                "SELECT id, kind, object_id, score, count(*) OVER () FROM ("  # noqa: S608
                f"SELECT d.id AS id, d.kind AS kind, d.object_id AS object_id, "
                f"-bm25(search_fts, 5.0, 1.0) "
                f"+ CASE WHEN d.title_tokens = %s THEN {EXACT_TITLE_BONUS} ELSE 0 END AS score "
                f"FROM {self.FROM} WHERE {where}) ORDER BY score DESC, id LIMIT %s OFFSET %s",
                [" ".join(tokens), *params, limit, offset],
            )
            rows = cur.fetchall()
            if rows:
                total = rows[0][4]
            else:  # a page past the end: count on its own
                cur.execute(f"SELECT count(*) FROM {self.FROM} WHERE {where}", params)  # noqa: S608
                total = cur.fetchone()[0]
        return total, [Match(r[0], r[1], r[2], float(r[3])) for r in rows]

    def facets(self, tokens, mode, kinds, filters, key):
        where, params = self._where(tokens, mode, kinds, filters)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT j.value, count(*) FROM {self.FROM}, "  # noqa: S608
                f"json_each(d.filters, '$.{key}') j WHERE {where} "
                "GROUP BY j.value ORDER BY count(*) DESC, j.value",
                params,
            )
            return [(str(v), int(c)) for v, c in cur.fetchall()]

    def facets_many(self, tokens, mode, kinds, filters, keys):
        """Counts for several keys under the same filters in one pass over the matches (the
        full-text match is evaluated once instead of once per key)."""
        if not keys:
            return {}
        where, params = self._where(tokens, mode, kinds, filters)
        wanted = ", ".join(["%s"] * len(keys))
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT k.key, v.value, count(*) FROM {self.FROM}, "  # noqa: S608
                f"json_each(d.filters) k, json_each(k.value) v "
                f"WHERE {where} AND k.key IN ({wanted}) "
                "GROUP BY k.key, v.value",
                [*params, *keys],
            )
            return _grouped(cur.fetchall(), keys)


def _grouped(rows, keys) -> dict[str, list[tuple[str, int]]]:
    out: dict[str, list[tuple[str, int]]] = {key: [] for key in keys}
    for key, value, count in rows:
        out[key].append((str(value), int(count)))
    for values in out.values():
        values.sort(key=lambda vc: (-vc[1], vc[0]))
    return out


class PostgresBackend:
    def _tsquery(self, tokens, mode) -> tuple[str, list[object]]:
        joiner = " && " if mode == "and" else " || "
        parts: list[str] = []
        params: list[object] = []
        for token in _usable(tokens):
            if _prefixable(token):
                # the token holds only word characters and dots: no quote can end the literal
                parts.append("(plainto_tsquery('simple', %s) || to_tsquery('simple', %s))")
                params.extend([token, f"'{token}':*"])
            else:
                parts.append("plainto_tsquery('simple', %s)")
                params.append(token)
        if not parts:
            return "plainto_tsquery('simple', '')", []
        return "(" + joiner.join(parts) + ")", params

    def _where(self, tokens, mode, kinds, filters: Filters):
        tsquery, tsquery_params = self._tsquery(tokens, mode)
        where = [f"d.tsv @@ {tsquery}"]
        params: list[object] = list(tsquery_params)
        if kinds:
            where.append(f"d.kind IN ({', '.join(['%s'] * len(kinds))})")
            params.extend(kinds)
        for key, values in filters.items():
            where.append(
                # key matched _FILTER_KEY ([a-z_]) in _check_keys; values are parameters
                f"EXISTS (SELECT 1 FROM jsonb_array_elements_text(d.filters -> '{key}') j(v) "  # noqa: S608
                f"WHERE j.v IN ({', '.join(['%s'] * len(values))}))"
            )
            params.extend(values)
        return tsquery, tsquery_params, " AND ".join(where), params

    def search(self, tokens, mode, kinds, filters, limit, offset):
        tsquery, tsquery_params, where, params = self._where(tokens, mode, kinds, filters)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT d.id, d.kind, d.object_id, ts_rank_cd(d.tsv, {tsquery}, 1) "  # noqa: S608
                f"+ CASE WHEN d.title_tokens = %s THEN {EXACT_TITLE_BONUS} ELSE 0 END AS score, "
                "count(*) OVER () "
                f"FROM search_searchdocument d WHERE {where} "
                "ORDER BY score DESC, d.id LIMIT %s OFFSET %s",
                [*tsquery_params, " ".join(tokens), *params, limit, offset],
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

    def facets(self, tokens, mode, kinds, filters, key):
        _tsquery, _tsquery_params, where, params = self._where(tokens, mode, kinds, filters)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT j.v, count(*) FROM search_searchdocument d, "  # noqa: S608
                f"jsonb_array_elements_text(d.filters -> '{key}') j(v) WHERE {where} "
                "GROUP BY j.v ORDER BY count(*) DESC, j.v",
                params,
            )
            return [(str(v), int(c)) for v, c in cur.fetchall()]

    def facets_many(self, tokens, mode, kinds, filters, keys):
        """Counts for several keys under the same filters in one query."""
        if not keys:
            return {}
        _tsquery, _tsquery_params, where, params = self._where(tokens, mode, kinds, filters)
        wanted = ", ".join(["%s"] * len(keys))
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT k.key, j.v, count(*) FROM search_searchdocument d, "  # noqa: S608
                f"jsonb_each(d.filters) k, jsonb_array_elements_text(k.value) j(v) "
                f"WHERE {where} AND k.key IN ({wanted}) "
                "GROUP BY k.key, j.v",
                [*params, *keys],
            )
            return _grouped(cur.fetchall(), keys)


def backend() -> SQLiteBackend | PostgresBackend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SQLiteBackend()
    raise NotImplementedError(f"search is not available on {connection.vendor}")


__all__ = ["Match", "backend", "_check_keys"]
