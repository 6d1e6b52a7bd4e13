"""Everyday Korean → the technical words documents use: query expansion for lexical search.

An SME owner writes "물이 새는 곳을 찾고 싶어요"; the patent that solves it says "누수 지점
탐지". Kiwi BM25 matches words, so the lexical half of the search finds nothing of the kind
unless the query also asks for 누수. ``data/everyday_terms.txt`` lists everyday phrases and the
technical terms they stand for; ``expansion(query)`` gives the index terms of every phrase the
query contains, to be searched beside the query's own words.

A phrase is matched on Kiwi's analysis of the whole query — nouns, verb and adjective stems,
adverbs, each with its class, so that 차 (a car) is not 차다 (to fill) and conjugation and
particles do not matter ("녹스는" is 녹슬다 in a sentence). A phrase matches when each of its
words is in the query — a noun of two or more syllables also when a query word starts with it
(Kiwi may read 난방비가 in a sentence as 난방 + 비) — all within ``MAX_SPAN`` query words.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .analysis import MAX_QUERY_CHARS, analyze_many, kiwi

LEXICON_FILE = Path(__file__).resolve().parent / "data" / "everyday_terms.txt"
WORD_CLASS = {
    "NNG": "N", "NNP": "N", "NR": "N", "XR": "N", "SL": "N", "SN": "N",
    "VV": "V", "VA": "V", "MAG": "M",
}  # fmt: skip
MAX_SPAN = 5  # a phrase's words lie within this many 어절 of the query
MAX_TERMS = 16  # at most this many expansion terms per query (the first phrases' first)


@dataclass(frozen=True)
class Entry:
    words: tuple[tuple[str, str], ...]  # the phrase's content words: (form, class)
    terms: tuple[str, ...]  # the index terms it adds


@dataclass(frozen=True)
class _Query:
    words: dict[tuple[str, str], list[int]]  # content word → the 어절 it occurs in
    eojeols: tuple[str, ...]  # the query's space-separated words, lower-cased
    heads: tuple[str, ...]  # per 어절: the form of its first content word ("" if none)


def _analyse(text: str, tokens=None) -> _Query:
    """``text``'s content words and 어절 (``tokens``: Kiwi's tokens of it, if already made)."""
    eojeols = tuple(text.lower().split())
    starts, pos = [], 0
    for eojeol in eojeols:
        pos = text.lower().index(eojeol, pos)
        starts.append(pos)
        pos += len(eojeol)
    words: dict[tuple[str, str], list[int]] = {}
    heads = [""] * len(eojeols)
    for token in kiwi().tokenize(text) if tokens is None else tokens:
        word_class = WORD_CLASS.get(token.tag.split("-")[0])
        if word_class:
            at = max(bisect_right(starts, token.start) - 1, 0)  # the 어절 it starts in
            words.setdefault((token.form.lower(), word_class), []).append(at)
            if eojeols and not heads[at]:
                heads[at] = token.form.lower()
    return _Query(words, eojeols, tuple(heads))


def _terms(targets: list[str], analysed: list[list[str]]) -> tuple[str, ...]:
    """Index terms of the targets. A one-syllable piece of a longer term is left out: the
    word-by-word index analysis splits some compounds (발수 → 발, 수), and such a piece
    matches unrelated words; a target that is one syllable (논, 떡) stays."""
    out: dict[str, None] = {}
    for target, tokens in zip(targets, analysed, strict=True):
        for token in tokens:
            if len(token) > 1 or token == target:
                out.setdefault(token, None)
    return tuple(out)


def parse(lines) -> list[Entry]:
    """Entries of a lexicon file's lines (blank lines and ``#`` comments skipped)."""
    pairs: list[tuple[str, list[str]]] = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        phrase, _, targets = line.partition("=")
        terms = [t.strip() for t in targets.split(",") if t.strip()]
        if phrase.strip() and terms:
            pairs.append((phrase.strip(), terms))
    analysed = iter(analyze_many([t for _, targets in pairs for t in targets]))
    phrases = [phrase for phrase, _ in pairs]
    entries = []
    for (phrase, targets), tokens in zip(pairs, kiwi().tokenize(phrases), strict=True):
        words = tuple(_analyse(phrase, tokens).words)
        terms = _terms(targets, [next(analysed) for _ in targets])
        if words and terms:
            entries.append(Entry(words, terms))
    return entries


_lock = threading.Lock()
_entries: list[Entry] | None = None


def entries() -> list[Entry]:
    global _entries
    if _entries is None:
        with _lock:
            if _entries is None:
                with LEXICON_FILE.open(encoding="utf-8") as fh:
                    _entries = parse(fh)
    return _entries


@lru_cache(maxsize=1)
def _by_first_word() -> dict[tuple[str, str], list[int]]:
    """{first word of a phrase: positions of its entries}: a query is checked against the
    entries whose first word it holds, not against all thousand of them (2 ms a query)."""
    index: dict[tuple[str, str], list[int]] = {}
    for n, entry in enumerate(entries()):
        index.setdefault(entry.words[0], []).append(n)
    return index


def _candidates(query: _Query) -> list[int]:
    """Positions of the entries whose first word ``_positions`` can find in ``query``: its
    words, and the nouns its 어절 start with (see ``_positions``), in lexicon order."""
    index = _by_first_word()
    found: set[int] = set()
    for word in query.words:
        found.update(index.get(word, ()))
    for eojeol, head in zip(query.eojeols, query.heads, strict=True):
        if eojeol.startswith(head):
            for end in range(max(2, len(head)), len(eojeol) + 1):
                found.update(index.get((eojeol[:end], "N"), ()))
    return sorted(found)


def _positions(word: tuple[str, str], query: _Query) -> list[int]:
    found = list(query.words.get(word, ()))
    form, word_class = word
    if word_class == "N" and len(form) > 1:
        # 난방비가 read as 난방 + 비 starts with 난방비; 바람직한 (바람직) is not 바람
        found += [
            i
            for i, (eojeol, head) in enumerate(zip(query.eojeols, query.heads, strict=True))
            if eojeol.startswith(form) and form.startswith(head)
        ]
    return found


def _matches(entry: Entry, query: _Query) -> bool:
    """Every word of the entry within one window of ``MAX_SPAN`` 어절 of the query."""
    positions = []
    for word in entry.words:
        found = _positions(word, query)
        if not found:
            return False
        positions.append(found)
    # a window starting at each occurrence: linear in the query, whatever it repeats
    return any(
        all(any(start <= p < start + MAX_SPAN for p in found) for found in positions)
        for start in {p for found in positions for p in found}
    )


@lru_cache(maxsize=2048)
def expansion(query: str) -> tuple[str, ...]:
    """Index terms the everyday phrases in ``query`` stand for, in lexicon order, without the
    query's own words."""
    analysed = _analyse((query or "")[:MAX_QUERY_CHARS])
    if not analysed.words:
        return ()
    own = {form for form, _ in analysed.words}
    out: dict[str, None] = {}
    every = entries()
    for n in _candidates(analysed):
        entry = every[n]
        if _matches(entry, analysed):
            for term in entry.terms:
                if term not in own:
                    out.setdefault(term, None)
    return tuple(out)[:MAX_TERMS]
