"""Technical nouns Kiwi's dictionary lacks (data/nouns.txt): read as one noun in every form,
without breaking the words around them, and found by a query that names them."""

from __future__ import annotations

import pytest

from dure.search import lexicon
from dure.search.analysis import analyze, user_nouns
from dure.search.services import index_document, search

DOC = "testdoc"


def test_every_listed_noun_is_read_as_itself_alone_and_with_a_particle():
    nouns = user_nouns()
    assert len(nouns) == len(set(nouns)) > 50
    for noun in nouns:
        assert noun in analyze(noun), noun
        assert noun in analyze(noun + "을"), noun


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("제습", ["제습"]),  # was 저 + 의 + 습
        ("결로가 생기는", ["결로", "생기"]),  # was 결 + 로
        ("윤활유를", ["윤활유"]),
        ("집진 장치", ["집진", "장치"]),
        ("발수 코팅", ["발수", "코팅"]),
        ("송풍하는", ["송풍"]),
    ],
)
def test_technical_nouns_are_one_token(text, tokens):
    assert analyze(text) == tokens


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        # nouns that would swallow common words are not registered (열과, 전식, 산가, 폐유),
        # and the low score keeps Kiwi's own compounds whole
        ("균열과 과열과 발열과", {"균열", "과열", "발열"}),
        ("전열관 광전식", {"전열관", "광전식"}),
        ("산간 지역의 폐유리", {"산간", "유리"}),
        ("실외기 병해충 영양액", {"실외", "해충", "영양"}),
    ],
)
def test_common_words_around_them_keep_their_reading(text, kept):
    assert kept <= set(analyze(text))


def test_every_one_word_lexicon_target_reaches_the_query():
    # a target Kiwi reads as one-syllable pieces only was dropped from every expansion
    # (lexicon._terms); such a target belongs in data/nouns.txt. Those left: a verb's noun
    # form (굽기 → 굽다, 이음 → 잇다), 2액형 (2 + 액), and the nouns left out on purpose.
    lost = []
    for line in lexicon.LEXICON_FILE.read_text(encoding="utf-8").splitlines():
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        for target in line.partition("=")[2].split(","):
            target = target.strip()
            if len(target) > 1 and " " not in target and target.isalnum():
                tokens = analyze(target)
                if tokens and all(len(t) < 2 for t in tokens):
                    lost.append(target)
    assert sorted(set(lost)) == ["2액형", "굽기", "산가", "열과", "이음", "전식", "폐유"]


def test_the_lexicon_expands_to_the_registered_noun():
    # before, 제습 and 방습 were read as 저 + 의 + 습 and 방 + 습, and the expansion was empty
    assert lexicon.expansion("습기를 없애고 싶어요") == ("제습", "방습")
    assert "결로" in lexicon.expansion("창문에 물이 맺혀요")


@pytest.mark.django_db
def test_a_query_naming_the_noun_finds_only_the_document_about_it():
    index_document(kind=DOC, object_id=1, title="제습 장치", body="결로를 막는 제습 모듈")
    index_document(kind=DOC, object_id=2, title="습도계", body="저의 습관을 기록한다")
    assert [hit.object_id for hit in search(query="제습", kinds=[DOC]).hits] == [1]


def test_the_migration_reanalyses_documents_stored_with_the_old_analysis(reanalysed):
    index_document(kind=DOC, object_id=1, title="윤활 장치", body="결로 방지")
    doc = reanalysed(
        "0005_reanalyse_user_nouns", DOC, 1, title_tokens="윤 활 장치", body_tokens="결"
    )
    assert doc.title_tokens.split() == ["윤활", "장치"]
    assert "결로" in doc.body_tokens.split()
    assert [hit.object_id for hit in search(query="윤활", kinds=[DOC]).hits] == [1]
