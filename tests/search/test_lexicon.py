"""Everyday Korean → technical terms (dure.search.lexicon): how a phrase matches a query.

No database: the lexicon is a file analysed with Kiwi."""

from __future__ import annotations

import pytest

from dure.search import lexicon


def expands(query: str, *terms: str) -> bool:
    found = lexicon.expansion(query)
    return all(term in found for term in terms)


def test_every_line_of_the_lexicon_makes_an_entry():
    """A phrase that Kiwi cannot read (or a target that the index analysis drops) would be
    skipped silently: the file must not hold any."""
    with lexicon.LEXICON_FILE.open(encoding="utf-8") as fh:
        lines = [
            line
            for line in fh
            if line.strip() and not line.lstrip().startswith("#") and "=" in line
        ]
    assert len(lines) > 400
    assert len(lexicon.entries()) == len(lines)


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("물이 새는 위치를 찾는 장치", ("누수",)),
        ("용접한 곳이 바닷물에 녹스는 걸 막고 싶어요", ("부식", "해수")),  # 녹스는 = 녹슬다
        ("배관에서 물이 자꾸 새요", ("누수",)),  # a word between the phrase's words
        ("겨울에 난방비가 너무 많이 나와요", ("에너지", "절감")),  # 난방비가: 난방 + 비
        ("창고가 너무 눅눅해요", ("습기",)),
        ("IoT로 멀리서 보고 싶어요", ("원격", "사물")),
        ("멀리서 스마트폰으로 확인", ("원격", "모바일")),
    ],
)
def test_everyday_phrases_add_the_technical_terms(query, terms):
    assert expands(query, *terms), lexicon.expansion(query)


@pytest.mark.parametrize(
    ("query", "absent"),
    [
        ("새 제품을 만들고 싶어요", "누수"),  # 새 = new, not 새다 = to leak
        ("바람직한 경영 방법", "풍력"),  # 바람직하다 is not 바람
        ("사다리 안전", "교량"),  # 사다리 does not start with 다리
        ("물을 많이 쓰는 공정인데 나중에 새 설비로 바꾸려고 합니다", "누수"),  # too far apart
    ],
)
def test_words_that_only_look_alike_do_not_expand(query, absent):
    assert absent not in lexicon.expansion(query)


def test_the_query_s_own_words_are_not_added_again_and_the_expansion_is_bounded():
    assert "냄새" not in lexicon.expansion("냄새가 나요")
    assert "악취" in lexicon.expansion("냄새가 나요")
    long_need = " ".join(["물이 새고 녹슬고 냄새 나고 시끄럽고 흔들리고 뜨겁고 춥고"] * 3)
    assert 0 < len(lexicon.expansion(long_need)) <= lexicon.MAX_TERMS


@pytest.mark.parametrize(
    "query", ["", "   ", "😀🔥", '"NEAR" OR * -', "용접 " * 5000, "10-2020-0001234", "G01M 3/24"]
)
def test_any_input_gives_a_tuple_of_terms(query):
    found = lexicon.expansion(query)
    assert isinstance(found, tuple)
    assert all(isinstance(t, str) and t for t in found)


def test_parse_skips_comments_and_reads_classes():
    entries = lexicon.parse(["# note", "", "물이 새다 = 누수, 누설", "차 = 차량", "bad line"])
    assert [e.terms for e in entries] == [("누수", "누설"), ("차량",)]
    assert entries[0].words == (("물", "N"), ("새", "V"))
    assert entries[1].words == (("차", "N"),)


def test_the_first_word_index_finds_every_entry_a_full_scan_finds():
    """``expansion`` checks only the entries whose first word the query holds (as a word or
    as the start of a 어절): on each phrase of the file and on sentences around them, the same
    entries as checking all of them."""
    every = lexicon.entries()
    with lexicon.LEXICON_FILE.open(encoding="utf-8") as fh:
        phrases = [line.partition("=")[0] for line in fh if "=" in line and line[0] != "#"]
    texts = phrases + [
        f"우리 공장은 {a}고 {b} 문제도 있어요"
        for a, b in zip(phrases[:-7], phrases[7:], strict=True)
    ]
    scanned = 0
    for text in texts:
        query = lexicon._analyse(text)
        full = [n for n, entry in enumerate(every) if lexicon._matches(entry, query)]
        indexed = [n for n in lexicon._candidates(query) if lexicon._matches(every[n], query)]
        assert indexed == full, text
        scanned += bool(full)
    assert scanned >= len(phrases)  # each phrase matches at least its own entry
    assert len(lexicon._candidates(lexicon._analyse("물이 새요"))) < len(every) / 20
