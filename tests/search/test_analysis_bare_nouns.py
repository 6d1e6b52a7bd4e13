"""Bare nouns read alone: Kiwi analyses each distinct word once, without its sentence, and took
some bare nouns for other things (오일 → 오 + 일, 회로 → 회 + 로); a query's bare noun then
missed the same noun with a particle in a document. Such a word is also indexed as the noun."""

from __future__ import annotations

import pytest

from dure.search.analysis import analyze, clear_cache
from dure.search.services import index_document, search

DOC = "testdoc"


@pytest.mark.parametrize(
    ("bare", "inflected", "noun"),
    [
        ("오일", "오일을", "오일"),
        ("회로", "회로가", "회로"),
        ("열화", "열화가", "열화"),
        ("점도", "점도를", "점도"),
        ("아크", "아크를", "아크"),
    ],
)
def test_a_bare_noun_shares_the_noun_with_its_form_with_a_particle(bare, inflected, noun):
    assert noun in analyze(bare)
    assert noun in analyze(inflected)


def test_a_noun_read_right_with_its_particle_gets_nothing_added():
    assert analyze("기름이") == ["기름"]
    assert analyze("용접 부식") == ["용접", "부식"]


def test_the_first_reading_stays_beside_the_noun():
    # 불이 is 불 + 이 in "불이 나요": the one-syllable noun must still be found
    assert "불" in analyze("불이")


def test_a_words_reading_is_the_same_whether_cached_or_not():
    clear_cache()
    first = analyze("오일 누유 회로 기판")
    assert analyze("오일 누유 회로 기판") == first


@pytest.mark.django_db
def test_a_query_of_the_bare_noun_finds_the_document_that_inflects_it():
    index_document(
        kind=DOC,
        object_id=1,
        title="감속기 밀봉 장치",
        body="회전축을 따라 오일이 새어 나오는 것을 막는다",
    )
    index_document(kind=DOC, object_id=2, title="오늘의 일정 관리", body="일정을 알려 준다")
    found = search(query="오일", kinds=[DOC], limit=10)
    assert [hit.object_id for hit in found.hits] == [1]


def test_the_migration_reanalyses_documents_stored_with_the_old_analysis(reanalysed):
    index_document(kind=DOC, object_id=1, title="회로 기판", body="오일 점도")
    doc = reanalysed(
        "0004_reanalyse_bare_nouns", DOC, 1, title_tokens="회 기판", body_tokens="오 점"
    )
    assert "회로" in doc.title_tokens.split()
    assert {"오일", "점도"} <= set(doc.body_tokens.split())
    assert [hit.object_id for hit in search(query="회로", kinds=[DOC]).hits] == [1]
