"""Ranking quality: the lexical search finds a need described in everyday words among
patent-style records, the e5 embedding finds a paraphrase that shares no word with the
patent, and the fusion of both (``dure.techbank.semantic.fuse``) keeps its contract."""

from __future__ import annotations

import numpy as np
import pytest

from dure.techbank import selectors, semantic
from dure.techbank.search_index import TECHNOLOGY

RECORDS = {
    "leak": (
        "상수도 배관의 누수음 상관분석을 이용한 누수 지점 탐지 장치 (Leak Location Detection "
        "Apparatus Using Cross-correlation of Leak Noise in Water Pipes)",
        "본 발명은 상수도 관로에 설치된 음향 센서에서 수집한 누수음 신호의 상호상관 함수로 "
        "도달 시간차를 구하여 굴착 없이 누수 지점을 산출하는 탐지 장치에 관한 것이다.",
    ),
    "underwater": (
        "수중 이동체의 위치 추정 장치 및 방법 (Apparatus and Method for Estimating Position of "
        "Underwater Vehicle)",
        "본 발명은 물속에서 이동하는 무인 잠수정이 음향 비콘 신호를 수신하여 자신의 위치를 "
        "추정하는 장치에 관한 것이다.",
    ),
    "fog": (
        "초친수성 나노 실리카 김서림 방지 코팅 조성물 (Superhydrophilic Nano-silica Anti-fog "
        "Coating Composition)",
        "본 발명은 유리와 플라스틱 렌즈 표면에 물방울이 맺히지 않고 얇은 수막을 이루도록 하는 "
        "김서림 방지 코팅 조성물에 관한 것이다.",
    ),
    "pigs": (
        "양돈 축사 배기의 바이오필터 악취 저감 장치 (Biofilter Odor Reduction Apparatus for Pig "
        "House Exhaust)",
        "본 발명은 돈사에서 배출되는 암모니아와 황화수소를 미생물 담체층에서 분해하는 "
        "바이오필터 장치에 관한 것이다.",
    ),
}


def test_fuse_mixes_normalised_scores_and_keeps_its_bounds():
    lexical = np.array([10.0, 5.0, 0.0, 0.0])
    cosine = np.array([0.80, 0.90, 0.85, 0.70])
    fused = semantic.fuse(lexical, cosine, alpha=0.5)
    assert fused.shape == (4,)
    assert np.all((fused >= 0) & (fused <= 1))
    # the best lexical and the best semantic candidates both score above the worst of each
    assert fused[0] > fused[3] and fused[1] > fused[3]
    assert fused[1] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)
    # α = 1: lexical order only; α = 0: cosine order only
    assert list(np.argsort(-semantic.fuse(lexical, cosine, alpha=1.0), kind="stable")) == [
        0, 1, 2, 3,
    ]  # fmt: skip
    assert list(np.argsort(-semantic.fuse(lexical, cosine, alpha=0.0))) == [1, 2, 0, 3]


def test_fuse_without_lexical_matches_ranks_by_cosine_and_handles_empty_input():
    cosine = np.array([0.1, 0.3, 0.2])
    assert list(np.argsort(-semantic.fuse(np.zeros(3), cosine))) == [1, 2, 0]
    assert semantic.fuse(np.zeros(0), np.zeros(0)).size == 0
    # equal cosines: the lexical score decides
    assert list(np.argsort(-semantic.fuse(np.array([1.0, 3.0]), np.array([0.5, 0.5])))) == [1, 0]


@pytest.mark.parametrize(
    ("title", "embedded"),
    [
        # KIPRIS writes the English title in capitals: embedded as capitalised words
        (
            "배관 누수 탐지 장치{APPARATUS AND METHOD FOR DETECTING LEAK OF PIPE}",
            "배관 누수 탐지 장치{Apparatus And Method For Detecting Leak Of Pipe}",
        ),
        ("MEMS-BASED GAS SENSOR 모듈", "Mems-based Gas Sensor 모듈"),
        ("KOREA'S WATER PIPES, 2024", "Korea's Water Pipes, 2024"),
        # acronyms and mixed case stay as written
        ("LED 조명과 GPS RTK 수신기", "LED 조명과 GPS RTK 수신기"),
        ("IoT 센서 노드 (Sensor Node for LiDAR)", "IoT 센서 노드 (Sensor Node for LiDAR)"),
    ],
)
def test_english_in_capitals_is_embedded_as_capitalised_words(title, embedded):
    assert semantic.passage_text(title, "") == f"{embedded}."


def test_vectors_survive_storage_as_float16_bytes():
    vector = semantic.embed_passages(["용접부의 부식을 방지하는 코팅"])[0]
    assert vector.shape == (semantic.DIM,)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-3)
    back = semantic.from_bytes(semantic.to_bytes(vector))
    assert float(back @ vector) == pytest.approx(1.0, abs=1e-3)


def test_a_paraphrase_sharing_no_patent_word_finds_the_right_record_by_embedding():
    names = list(RECORDS)
    passages = semantic.embed_passages([semantic.passage_text(*RECORDS[n]) for n in names])
    for query, expected in (
        ("물이 새는 곳을 땅을 파지 않고 찾고 싶어요", "leak"),
        ("돼지 농장 냄새 때문에 민원이 들어와요", "pigs"),
        ("안경에 뿌옇게 끼는 것을 막고 싶다", "fog"),
    ):
        cosine = passages @ semantic.embed_query(query)
        assert names[int(np.argmax(cosine))] == expected, query
        lexical = np.zeros(len(names))
        assert names[int(np.argmax(semantic.fuse(lexical, cosine)))] == expected


@pytest.mark.django_db
def test_lexical_search_finds_an_everyday_description_and_ranks_best_first(make_technology):
    made = {
        name: make_technology(title=title, abstract=abstract)
        for name, (title, abstract) in RECORDS.items()
    }
    rows = selectors.search_rows(query="배관에서 물이 새는 지점을 찾는 장치", kinds=[TECHNOLOGY])
    assert rows[0].id == made["leak"].pk
    assert [r.score for r in rows] == sorted((r.score for r in rows), reverse=True)
    rows = selectors.search_rows(query="돼지 축사 악취", kinds=[TECHNOLOGY])
    assert [r.id for r in rows] == [made["pigs"].pk]


@pytest.mark.django_db
def test_facets_counted_in_one_pass_equal_the_per_key_counts(make_technology, institute):
    from dure.search.backends import backend
    from dure.search.services import _normalise_filters

    for title, abstract in RECORDS.values():
        make_technology(title=title, abstract=abstract, holder=institute("ETRI"), trl=3)
        make_technology(
            title=title + " 개량",
            abstract=abstract,
            holder=institute("KIMS"),
            ipc_codes="C09D 5/00",
        )
    tokens = ("장치",)
    kinds = [TECHNOLOGY]
    filters = _normalise_filters({"visibility": ["public"]})
    keys = list(selectors.FACET_KEYS)
    engine = backend()
    together = engine.facets_many(tokens, "or", kinds, filters, keys)
    assert together == {key: engine.facets(tokens, "or", kinds, filters, key) for key in keys}
    assert (
        sum(n for _v, n in together["kind"])
        == selectors.techbank_search(query="장치", kinds=kinds).total
    )
    # a filtered key still counts without its own filter (drill-down)
    result = selectors.techbank_search(
        query="장치", kinds=kinds, filters={"trl": ["3"]}, facets=selectors.FACET_KEYS
    )
    assert dict(result.facets["trl"]).get("3") == result.total
    assert len(result.facets["trl"]) >= 1
    assert sum(n for _v, n in result.facets["kind"]) == result.total


@pytest.mark.django_db
def test_the_product_search_finds_a_paraphrase_through_stored_vectors(make_technology):
    """The real e5 model through the whole path: vectors stored, hybrid ranking, CLI rows."""
    made = {
        name: make_technology(title=title, abstract=abstract)
        for name, (title, abstract) in RECORDS.items()
    }
    semantic.clear_store()
    try:
        todo = semantic.pending([TECHNOLOGY], [t.pk for t in made.values()])
        assert semantic.embed(todo) == len(RECORDS)
        query = "안경에 뿌옇게 끼는 것을 막고 싶다"  # no word of the patent's
        rows = selectors.search_rows(query=query, kinds=[TECHNOLOGY], limit=5)
        assert rows[0].id == made["fog"].pk
        rows = selectors.search_rows(
            query="돼지 농장 냄새 때문에 민원이 들어와요", kinds=[TECHNOLOGY]
        )
        assert rows[0].id == made["pigs"].pk
    finally:
        semantic.clear_store()
