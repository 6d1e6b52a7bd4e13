"""Identifiers and batch analysis in ``dure.search.analysis``: serial numbers and IPC codes are
one token however they are written, in documents and queries alike; ``analyze_many`` equals
``analyze`` text by text; the word cache never changes a result."""

from __future__ import annotations

import pytest

from dure.search import analysis
from dure.search.analysis import analyze, analyze_many, analyze_query, clear_cache
from dure.search.models import SearchDocument
from dure.search.services import index_document, search

DOC = "testdoc"


@pytest.mark.parametrize(
    ("written", "token"),
    [
        ("10-2019-0087421", "1020190087421"),
        ("1020190087421", "1020190087421"),
        ("10 2019 0087421", "1020190087421"),
        ("10.2019.0087421", "1020190087421"),
        ("20-2020-0001234", "2020200001234"),
        ("10-2245187", "102245187"),
        ("NFEC-2016-04-209871", "nfec201604209871"),
        ("nfec 2016 04 209871", "nfec201604209871"),
        ("NFEC201604209871", "nfec201604209871"),
    ],
)
def test_serial_numbers_are_one_token_however_written(written, token):
    assert analyze(written) == [token]
    assert token in analyze(f"출원번호 {written}에 관한 것")


def test_serials_inside_sentences_keep_the_words_around_them():
    tokens = analyze("출원번호 10-2019-0087421 (등록 10-2245187) 용접 장치")
    assert tokens == ["출원", "번호", "1020190087421", "등록", "102245187", "용접", "장치"]


@pytest.mark.parametrize(
    "written", ["B23K 9/16", "B23K9/16", "b23k 9/16", "B23K-009/16", "B23K 9 / 16"]
)
def test_an_ipc_code_is_its_class_subclass_group_and_full_code(written):
    assert analyze(written) == ["b23", "b23k", "b23k9", "b23k9g16"]


def test_an_ipc_subclass_alone_and_a_list_of_codes():
    assert analyze("B23K") == ["b23", "b23k"]
    assert analyze("H01L 21/02; G06N 3/08") == [
        "h01", "h01l", "h01l21", "h01l21g02", "g06", "g06n", "g06n3", "g06n3g08",
    ]  # fmt: skip
    # a word that merely looks like one is not taken for an IPC code
    assert "b23k" not in analyze("AB23KX 용접")


def test_other_dashed_serials_keep_their_digits():
    assert analyze("2019-07-18 출원") == ["20190718", "출원"]


def test_analyze_many_equals_analyze_and_the_cache_changes_nothing():
    texts = [
        "본 발명은 용접부의 부식을 방지하는 코팅에 관한 것이다.",
        "",
        "   ",
        "IoT 센서 10-2019-0087421 B23K 9/16",
        "기술이전을 위한 LiDAR 장치",
        "용접\x00부식",
    ]
    clear_cache()
    cold = [analyze(t) for t in texts]
    assert analyze_many(texts) == cold
    clear_cache()
    assert analyze_many(texts) == cold
    assert analyze_many([]) == []
    assert cold[1] == cold[2] == []


def test_a_full_word_cache_is_emptied_not_grown(monkeypatch):
    monkeypatch.setattr(analysis, "WORD_CACHE_SIZE", 3)
    clear_cache()
    analyze("하나 둘 셋 넷 다섯 여섯")
    assert len(analysis._words) <= 6
    analyze("일곱 여덟")
    assert len(analysis._words) <= 3
    assert analyze("용접부의 부식을") == ["용접", "부", "부식"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "10-2019-0087421",
        "1020190087421",
        "10 2019 0087421",
        "10-2245187",
        "NFEC-2016-04-209871",
        "nfec201604209871",
        "B23K 9/16",
        "b23k9/16",
        "B23K",
    ],
)
def test_documents_are_found_by_their_identifiers(query):
    index_document(
        kind=DOC,
        object_id=1,
        title="용접 장치",
        body="출원번호 1020190087421 등록번호 10-2245187 NFEC-2016-04-209871 IPC B23K 9/16",
    )
    index_document(kind=DOC, object_id=2, title="용접 로봇", body="10-2019-0087422 B23K 37/02")
    assert SearchDocument.objects.filter(kind=DOC).count() == 2
    found = [h.object_id for h in search(query=query, kinds=[DOC]).hits]
    # a subclass finds both documents; a full code or number only its own
    assert sorted(found) == ([1, 2] if query == "B23K" else [1])


def test_queries_use_the_same_identifier_tokens():
    assert analyze_query("NFEC-2016-04-209871 장비") == ("nfec201604209871", "장비")
    assert analyze_query("B23K 9/16 B23K") == ("b23", "b23k", "b23k9", "b23k9g16")
