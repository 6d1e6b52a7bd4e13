"""Full-text matching in the database: SQLite FTS5 (bm25) or PostgreSQL tsvector (ts_rank_cd).

Both take already-analysed query tokens and are injection-proof: tokens are quoted as FTS5
strings or passed as parameters to ``plainto_tsquery``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection

_FILTER_KEY = re.compile(r"^[a-z_]{1,30}$")

Filters = dict[str, list[str]]


@dataclass(frozen=True)
class Match:
    document_id: int
    kind: str
    object_id: int
    score: float


def _check_keys(filters: Filters, facets: list[str]) -> None:
    for key in [*filters, *facets]:
        if not _FILTER_KEY.match(key):
            raise ValueError(f"invalid filter key: {key!r}")


class SQLiteBackend:
    FROM = "search_fts JOIN search_searchdocument d ON d.id = search_fts.rowid"

    def _where(self, tokens: tuple[str, ...], mode: str, kinds, filters: Filters):
        joiner = " AND " if mode == "and" else " OR "
        match = joiner.join('"' + t.replace('"', '""') + '"' for t in tokens)
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
            cur.execute(f"SELECT count(*) FROM {self.FROM} WHERE {where}", params)  # noqa: S608
            total = cur.fetchone()[0]
            cur.execute(
                f"SELECT d.id, d.kind, d.object_id, -bm25(search_fts, 5.0, 1.0) AS score "  # noqa: S608
                f"FROM {self.FROM} WHERE {where} ORDER BY score DESC, d.id LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            rows = cur.fetchall()
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


class PostgresBackend:
    def _where(self, tokens, mode, kinds, filters: Filters):
        joiner = " && " if mode == "and" else " || "
        tsquery = "(" + joiner.join(["plainto_tsquery('simple', %s)"] * len(tokens)) + ")"
        where = [f"d.tsv @@ {tsquery}"]
        params: list[object] = list(tokens)
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
        return tsquery, " AND ".join(where), params

    def search(self, tokens, mode, kinds, filters, limit, offset):
        tsquery, where, params = self._where(tokens, mode, kinds, filters)
        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM search_searchdocument d WHERE {where}", params)  # noqa: S608
            total = cur.fetchone()[0]
            cur.execute(
                f"SELECT d.id, d.kind, d.object_id, ts_rank_cd(d.tsv, {tsquery}, 1) AS score "  # noqa: S608
                f"FROM search_searchdocument d WHERE {where} "
                "ORDER BY score DESC, d.id LIMIT %s OFFSET %s",
                [*tokens, *params, limit, offset],
            )
            rows = cur.fetchall()
        return total, [Match(r[0], r[1], r[2], float(r[3])) for r in rows]

    def facets(self, tokens, mode, kinds, filters, key):
        _tsquery, where, params = self._where(tokens, mode, kinds, filters)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT j.v, count(*) FROM search_searchdocument d, "  # noqa: S608
                f"jsonb_array_elements_text(d.filters -> '{key}') j(v) WHERE {where} "
                "GROUP BY j.v ORDER BY count(*) DESC, j.v",
                params,
            )
            return [(str(v), int(c)) for v, c in cur.fetchall()]


def backend() -> SQLiteBackend | PostgresBackend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SQLiteBackend()
    raise NotImplementedError(f"search is not available on {connection.vendor}")


__all__ = ["Match", "backend", "_check_keys"]
