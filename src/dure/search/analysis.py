"""Korean text analysis with Kiwi: text → the morphemes worth indexing.

Korean is agglutinative: ``기술이전을`` is 기술 + 이전 + 을, ``용접부의`` is 용접 + 부 + 의. We
keep content morphemes (nouns, roots, verb/adjective stems, Latin words, numbers, hanja) and
drop particles and endings, so the same analysis on documents and queries makes
``용접 부식`` find ``용접부의 부식을 방지하는``.

Identifiers are recognised before Kiwi sees the text and become one token each, the same
however they are written (dashes, spaces, dots or none):

- patent application/publication numbers ``10-2019-0087421`` / ``1020190087421`` →
  ``1020190087421``; registration numbers ``10-2245187`` → ``102245187``;
- NFEC equipment numbers ``NFEC-2016-04-209871`` → ``nfec201604209871``;
- IPC codes ``B23K 9/16`` → ``b23`` (class), ``b23k`` (subclass), ``b23k9`` (main group) and
  ``b23k9g16`` (the full code); ``B23K`` alone → ``b23``, ``b23k``;
- other dashed serials Kiwi recognises (``2019-07-18``) keep their digits (``20190718``).

Speed: text is analysed one 어절 (whitespace-separated word) at a time, and the content
morphemes of each 어절 are cached. A patent collection repeats the same 어절 (``발명은``,
``관한``, ``것이다``) millions of times, so after the first thousand documents Kiwi only sees
the words it has not seen before; ``analyze_many`` sends those of a whole batch to Kiwi in one
call (which runs it on every core). Documents and queries go through the same path, so they
always agree. Read alone, a bare noun is sometimes taken for something else (오일 → 오 + 일);
such words are read again with a particle and indexed as the noun too (``_bare_nouns``).
Technical nouns Kiwi's dictionary lacks (제습, 결로, 윤활) are registered from
``data/nouns.txt``.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from kiwipiepy import Kiwi

# NNG/NNP common/proper noun, NR numeral, XR root, VV/VA verb/adjective stem, SL Latin,
# SH hanja, SN number, MAG adverb is dropped (mostly noise in search). W_SERIAL: a dashed
# serial number (kept as its letters and digits).
CONTENT_TAGS = frozenset({"NNG", "NNP", "NR", "XR", "VV", "VA", "SL", "SH", "SN", "W_SERIAL"})
# Verbs so general that they say nothing about what is searched for.
STOP_STEMS = frozenset({"하", "있", "없", "되", "이", "않", "같", "찾", "보", "주", "싶", "알"})
MAX_ANALYSED_CHARS = 20_000
MAX_QUERY_CHARS = 500
_TOKEN_OK = re.compile(r"^[\w.]+$")
_SERIAL_STRIP = re.compile(r"[^0-9a-z]")

# Word cache: 어절 → content morphemes. Bounded: cleared when full (a patent collection's
# vocabulary of frequent words is rebuilt within a few batches).
WORD_CACHE_SIZE = 300_000
MAX_CACHED_WORD = 40

# Technical nouns Kiwi reads as pieces (제습 → 저 + 의 + 습), registered as nouns. Their score
# is below Kiwi's own words, so a noun wins only where the dictionary has no better reading:
# at 0, 실외기 became 실 + 외기 and 병해충 병해 + 충; at -10, 결로 was 결 + 로 again.
USER_NOUNS_FILE = Path(__file__).resolve().parent / "data" / "nouns.txt"
USER_NOUN_SCORE = -6.0

_lock = threading.Lock()
_kiwi: Kiwi | None = None
_words: dict[str, tuple[str, ...]] = {}

_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"
_IDENTIFIER = re.compile(
    "|".join(
        (
            # NFEC-2016-04-209871, NFEC 2016 04 209871, NFEC201604209871
            rf"{_NOT_ALNUM_BEFORE}(?P<nfec>NFEC[-\s]?[0-9]{{4}}[-\s]?[0-9]{{2}}[-\s]?[0-9]{{6}})"
            rf"{_NOT_ALNUM_AFTER}",
            # 10-2019-0087421, 10 2019 0087421, 10.2019.0087421 (13 digits alone are one number)
            r"(?<![0-9A-Za-z-])(?P<application>(?:10|20)[-\s.][0-9]{4}[-\s.][0-9]{7})"
            r"(?![0-9A-Za-z]|-[0-9])",
            # 10-2245187
            r"(?<![0-9A-Za-z-])(?P<registration>(?:10|20)-[0-9]{7})(?![0-9A-Za-z]|-[0-9])",
            # B23K 9/16, B23K9/16, B23K 9/00, B23K-009/16, B23K
            rf"{_NOT_ALNUM_BEFORE}(?P<ipc>[A-H][0-9]{{2}}[A-Z]"
            r"(?:[\s-]*[0-9]{1,4}\s*/\s*[0-9]{1,6})?)"
            rf"{_NOT_ALNUM_AFTER}",
        )
    ),
    re.IGNORECASE,
)
_IPC_PARTS = re.compile(
    r"^([a-h])([0-9]{2})([a-z])(?:[\s-]*([0-9]{1,4})\s*/\s*([0-9]{1,6}))?$", re.IGNORECASE
)


def kiwi() -> Kiwi:
    global _kiwi
    if _kiwi is None:
        with _lock:
            if _kiwi is None:
                # Without the multi-word dictionary (set phrases such as "황화 수소" as one
                # proper noun): it costs ~190 MB of memory per process, and splitting those
                # phrases into their words is what a search index wants anyway. Without the
                # default user dictionary (compounds such as 열폭주, 나노입자 as one noun):
                # ~70 MB per process; split, a part finds the compound (입자 → 나노입자), and
                # neither the judged search set nor the routing set ranked differently.
                model = Kiwi(load_multi_dict=False, load_default_dict=False)
                for noun in user_nouns():
                    model.add_user_word(noun, "NNG", USER_NOUN_SCORE)
                _kiwi = model
    return _kiwi


def user_nouns() -> list[str]:
    """The nouns of ``USER_NOUNS_FILE`` (``#`` comments and blank lines skipped)."""
    with USER_NOUNS_FILE.open(encoding="utf-8") as fh:
        return [line.strip() for line in fh if line.strip() and not line.startswith("#")]


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")[:MAX_ANALYSED_CHARS]
    # Kiwi treats most symbols itself, but control characters and lone surrogates must go.
    # They become spaces, not nothing: "용접\x00부식" is two words, not one.
    return "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)


def identifier_tokens(kind: str, text: str) -> list[str]:
    """The tokens of one identifier found by ``_IDENTIFIER`` (see the module docstring)."""
    if kind == "ipc":
        parts = _IPC_PARTS.match(text)
        if parts is None:  # pragma: no cover - the patterns agree
            return []
        section, cls, subclass, group, subgroup = (p.lower() if p else p for p in parts.groups())
        out = [f"{section}{cls}", f"{section}{cls}{subclass}"]
        if group is not None:
            group = str(int(group))
            out += [f"{out[1]}{group}", f"{out[1]}{group}g{subgroup}"]
        return out
    return [_SERIAL_STRIP.sub("", text.lower())]


def _content(tokens: Iterable) -> tuple[str, ...]:
    out: list[str] = []
    for token in tokens:
        tag = token.tag.split("-")[0]
        if tag not in CONTENT_TAGS:
            continue
        form = token.form.lower()
        if tag == "W_SERIAL":
            form = _SERIAL_STRIP.sub("", form)
        form = form.strip(".")
        if not form or not _TOKEN_OK.match(form):
            continue
        if tag in ("VV", "VA") and form in STOP_STEMS:
            continue
        out.append(form)
    return tuple(out)


# A text is a list of pieces: a 어절 to analyse (str) or identifier tokens already made (list).
_Piece = str | list[str]


def _pieces(cleaned: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    pos = 0
    for match in _IDENTIFIER.finditer(cleaned):
        pieces.extend(cleaned[pos : match.start()].split())
        kind = match.lastgroup or ""
        pieces.append(identifier_tokens(kind, match.group(kind)))
        pos = match.end()
    pieces.extend(cleaned[pos:].split())
    return pieces


def _analyse_words(words: set[str]) -> dict[str, tuple[str, ...]]:
    """Content morphemes of each word: from the cache, the rest in one Kiwi batch."""
    found: dict[str, tuple[str, ...]] = {}
    todo: list[str] = []
    for word in words:
        cached = _words.get(word)
        if cached is None:
            todo.append(word)
        else:
            found[word] = cached
    if todo:
        results = kiwi().tokenize(todo) if len(todo) > 1 else [kiwi().tokenize(todo[0])]
        readings = dict(zip(todo, results, strict=True))
        nouns = _bare_nouns(readings)
        if len(_words) + len(todo) > WORD_CACHE_SIZE:
            _words.clear()
        for word, tokens in readings.items():
            forms = _content(tokens) + ((word,) if word in nouns else ())
            found[word] = forms
            if len(word) <= MAX_CACHED_WORD:
                _words[word] = forms
    return found


# A word is read alone, without its sentence (each distinct word once, then cached), and Kiwi
# then reads some bare nouns as something else: 오일 → 오 (a numeral) + 일, 회로 → 회 + 로 (a
# particle), 열화 → 열 + 화, 분해 → 분하다, 아크 → two interjections. With a particle after
# them (오일을, 회로가) they are read right, so a query's 오일 missed a patent's 오일을. Such a
# word — Hangul, 2–5 syllables, its reading starting with no noun of two syllables or more and
# holding a function piece — is read again with a particle after it; when Kiwi then reads the
# whole word as one noun, the noun is indexed too, beside the first reading (which stays: 불이
# is also 불 + 이).
_FUNCTION_TAGS = frozenset(
    {"NR", "NNB", "JX", "JKS", "JKO", "JKB", "JKG", "JC", "IC", "MAG", "MM", "XSN", "XSV",
     "XSA", "VCP", "EC", "EF", "ETM"}
)  # fmt: skip


def _bare_noun_suspect(word: str, tokens) -> bool:
    if not 2 <= len(word) <= 5 or not all("가" <= ch <= "힣" for ch in word) or len(tokens) < 2:
        return False
    first = tokens[0]
    if first.tag in ("NNG", "NNP") and len(first.form) >= 2:
        return False  # 기름이: a noun and its particle, read right
    return any(t.tag.split("-")[0] in _FUNCTION_TAGS for t in tokens)


def _bare_nouns(readings: dict[str, list]) -> set[str]:
    """The words of ``readings`` (word → Kiwi's tokens of it alone) that are one noun."""
    suspects = [word for word, tokens in readings.items() if _bare_noun_suspect(word, tokens)]
    if not suspects:
        return set()
    again = kiwi().tokenize([word + "를" for word in suspects])
    return {
        word
        for word, tokens in zip(suspects, again, strict=True)
        if tokens and tokens[0].form == word and tokens[0].tag in ("NNG", "NNP")
    }


def analyze_many(texts: Sequence[str]) -> list[list[str]]:
    """``[analyze(t) for t in texts]``, with the words no text has had before analysed in one
    Kiwi batch (multi-threaded inside Kiwi)."""
    split = [_pieces(_clean(t)) for t in texts]
    words = {p for pieces in split for p in pieces if isinstance(p, str)}
    forms = _analyse_words(words) if words else {}
    out: list[list[str]] = []
    for pieces in split:
        tokens: list[str] = []
        for piece in pieces:
            tokens.extend(forms[piece] if isinstance(piece, str) else piece)
        out.append(tokens)
    return out


def analyze(text: str) -> list[str]:
    """Content morphemes of ``text`` in order, lower-cased Latin, duplicates kept."""
    return analyze_many([text])[0]


def clear_cache() -> None:
    """Forget the analysed words (tests; after changing the analysis)."""
    _words.clear()
    _analyze_query.cache_clear()


def analyze_query(text: str) -> tuple[str, ...]:
    """Distinct content morphemes of a query, in order (at most 32). Only the first
    ``MAX_QUERY_CHARS`` characters count: analysing a pasted page would take seconds."""
    return _analyze_query((text or "")[:MAX_QUERY_CHARS])


@lru_cache(maxsize=2048)
def _analyze_query(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for form in analyze(text):
        seen.setdefault(form, None)
        if len(seen) >= 32:
            break
    return tuple(seen)
