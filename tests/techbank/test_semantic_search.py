"""Hybrid (lexical + embedding) technology search: the vectors table, ``dure techbank-embed``,
embedding at import, and the fused ranking through ``dure.search`` — filters stay exact,
identifiers and exact titles stay first, no vectors means the lexical search as before.

The plumbing tests replace e5 with a deterministic fake (a few "concepts", one axis each), so
that they run in milliseconds; ``test_search_quality.py`` checks the real model."""

from __future__ import annotations

import importlib
import io
import json
import threading
import zlib

import numpy as np
import pytest
from django.core.management import call_command

from dure.search import services
from dure.search.backends import backend
from dure.techbank import selectors, semantic
from dure.techbank.models import SearchVector, Technology
from dure.techbank.search_index import EQUIPMENT, TECHNOLOGY

pytestmark = pytest.mark.django_db

# words of a concept, in patents and in needs alike: the fake model "understands" them
CONCEPTS = (
    ("곰팡이", "얼룩", "mold"),
    ("악취", "냄새", "odor"),
    ("김서림", "뿌옇", "fog"),
    ("부식", "녹스", "녹이", "corrosion"),
)


def fake_vector(text: str) -> np.ndarray:
    vector = np.zeros(semantic.DIM, dtype=np.float32)
    for axis, words in enumerate(CONCEPTS):
        if any(word in text for word in words):
            vector[axis] = 1.0
    # a little text-specific noise so that every text has its own vector
    rng = np.random.default_rng(zlib.crc32(text.encode()))
    vector[8:] = rng.standard_normal(semantic.DIM - 8).astype(np.float32) * 0.01
    return vector / np.linalg.norm(vector)


@pytest.fixture
def fake_e5(monkeypatch):
    calls = {"passages": 0}

    def passages(texts):
        calls["passages"] += len(texts)
        return np.vstack([fake_vector(t) for t in texts]) if texts else np.zeros((0, 384))

    monkeypatch.setattr(semantic, "embed_passages", passages)
    monkeypatch.setattr(semantic, "embed_query", fake_vector)
    semantic.clear_store()
    yield calls
    semantic.clear_store()


@pytest.fixture
def leak_records(make_technology, institute):
    """A patent that shares no word with "벽에 검은 얼룩이 번지는 곳", and a lexical decoy."""
    return {
        "leak": make_technology(
            title="벽체 결로면 곰팡이 억제 도료 조성물",
            abstract="항진균 나노입자로 벽면의 곰팡이 번식을 억제한다.",
            holder=institute("KICT"),
        ),
        "odor": make_technology(
            title="양돈 축사 바이오필터 악취 저감 장치",
            abstract="암모니아를 미생물 담체층에서 분해한다.",
            holder=institute("KIER"),
        ),
        "decoy": make_technology(
            title="검은 돌 찾기 게임 장치",
            abstract="어린이가 벽에 숨은 그림을 찾는 교육용 게임이다.",
            holder=institute("KIER"),
        ),
    }


@pytest.fixture
def rrf_calls(monkeypatch):
    """The keyword arguments of every call of ``semantic.rrf`` (which still does its work)."""
    calls: list[dict] = []
    real_rrf = semantic.rrf

    def spy(lexical_rank, semantic_rank, **options):
        calls.append(options)
        return real_rrf(lexical_rank, semantic_rank, **options)

    monkeypatch.setattr(semantic, "rrf", spy)
    return calls


def ids(result):
    return [(hit.kind, hit.object_id) for hit in result.hits]


def embed_all():
    return semantic.embed(semantic.pending())


def test_without_vectors_search_is_the_lexical_search(leak_records, fake_e5):
    result = selectors.techbank_search(query="벽에 검은 얼룩이 번지는 곳", kinds=[TECHNOLOGY])
    assert result.lexical_tokens == ()  # the hybrid path did not run
    assert ("technology", leak_records["leak"].pk) not in ids(result)
    assert fake_e5["passages"] == 0


def test_an_embedded_need_finds_the_patent_that_shares_no_word_with_it(leak_records, fake_e5):
    embed_all()
    result = selectors.techbank_search(query="벽에 검은 얼룩이 번지는 곳", kinds=[TECHNOLOGY])
    # first by the embedding; a document first by the lexical ranking and near the top of
    # the (here random) semantic one may come before it
    assert ("technology", leak_records["leak"].pk) in ids(result)[:3]
    assert ("technology", leak_records["decoy"].pk) in ids(result)  # lexical candidates stay
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert result.total >= 2


def test_filters_and_kinds_stay_exact_for_semantic_candidates(leak_records, fake_e5, institute):
    embed_all()
    kier = str(institute("KIER").pk)
    result = selectors.techbank_search(
        query="벽에 검은 얼룩이 번지는 곳", kinds=[TECHNOLOGY], filters={"institute": [kier]}
    )
    assert ("technology", leak_records["leak"].pk) not in ids(result)  # KICT's
    assert {hit.object_id for hit in result.hits} <= set(
        Technology.objects.filter(holder__acronym="KIER").values_list("pk", flat=True)
    )
    result = selectors.techbank_search(query="벽에 검은 얼룩이 번지는 곳", kinds=[EQUIPMENT])
    assert all(hit.kind == EQUIPMENT for hit in result.hits)


def test_experts_are_never_found_by_embedding_and_stay_staff_only(leak_records, fake_e5):
    embed_all()
    assert not SearchVector.objects.filter(kind="expert").exists()
    result = selectors.techbank_search(query="곰팡이 냄새 연구자", kinds=None)
    assert all(hit.kind != "expert" for hit in result.hits)


def test_identifiers_and_exact_titles_stay_first(leak_records, fake_e5, make_technology):
    embed_all()
    number = leak_records["odor"].application_number
    result = selectors.techbank_search(query=number, kinds=[TECHNOLOGY])
    assert ids(result) == [("technology", leak_records["odor"].pk)]  # lexical only
    titled = make_technology(title="곰팡이 탐지", abstract="벽체")
    semantic.embed(semantic.pending([TECHNOLOGY]))
    result = selectors.techbank_search(query="곰팡이 탐지", kinds=[TECHNOLOGY])
    assert ids(result)[0] == ("technology", titled.pk)
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 1
    # the whole title, need words (장치) and all — though the lexical half leaves 장치 out
    # and adds the lexicon's terms for 곰팡이
    device = make_technology(title="곰팡이 탐지 장치", abstract="벽체")
    semantic.embed(semantic.pending([TECHNOLOGY]))
    result = selectors.techbank_search(query="곰팡이 탐지 장치", kinds=[TECHNOLOGY])
    assert "장치" not in result.lexical_tokens and len(result.lexical_tokens) > 2
    assert ids(result)[0] == ("technology", device.pk)


def test_techbank_embed_is_resumable_and_follows_changes(leak_records, fake_e5):
    out = io.StringIO()
    call_command("techbank-embed".replace("-", "_"), "--json", stdout=out)
    first = json.loads(out.getvalue())
    assert first["embedded"] > 0 and first["remaining"] == 0
    stored = SearchVector.objects.count()
    out = io.StringIO()
    call_command("techbank_embed", "--json", stdout=out)
    assert json.loads(out.getvalue())["embedded"] == 0  # nothing changed: nothing to do
    leak = leak_records["leak"]
    Technology.objects.filter(pk=leak.pk).update(abstract="곰팡이 번식을 더 오래 막는다.")
    assert [p.object_id for p in semantic.pending([TECHNOLOGY])] == [leak.pk]
    Technology.objects.filter(pk=leak_records["decoy"].pk).delete()
    out = io.StringIO()
    call_command("techbank_embed", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary == {"embedded": 1, "removed": 1, "remaining": 0}
    assert SearchVector.objects.count() == stored - 1


def test_the_in_memory_vectors_follow_the_table(leak_records, fake_e5):
    assert semantic.vectors_for([TECHNOLOGY]) == {}
    embed_all()
    loaded = semantic.vectors_for([TECHNOLOGY])[TECHNOLOGY]
    assert len(loaded.object_ids) == Technology.objects.count()
    query = fake_vector("곰팡이")
    nearest, cosines = loaded.nearest(query, 1)
    assert nearest.tolist() == [leak_records["leak"].pk]
    exact = float(fake_vector(semantic.technology_passage(leak_records["leak"])) @ query)
    assert cosines[0] == pytest.approx(exact, abs=0.005)  # int8 codes: ~3 decimals
    assert loaded.cosine_of([leak_records["leak"].pk, -1], query).keys() == {
        leak_records["leak"].pk
    }


def test_nearest_by_binary_codes_agrees_with_the_exact_scan(monkeypatch):
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((3000, semantic.DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [(i, semantic.to_bytes(v)) for i, v in enumerate(vectors)]
    store = semantic._load_kind(iter(rows), len(rows))
    query = vectors[17] + 0.3 * vectors[99]
    query /= np.linalg.norm(query)
    monkeypatch.setattr(semantic, "MIN_RESCORED", 300)  # force the binary pre-selection
    found, _cos = store.nearest(query, 10)
    exact = np.argsort(-(vectors @ query))[:10]
    assert found[:2].tolist() == exact[:2].tolist()
    assert len(set(found.tolist()) & set(exact.tolist())) >= 8


@pytest.mark.parametrize("k", [1, 37, 500, 999])
def test_the_closest_rows_by_hamming_distance_are_the_k_smallest_ties_in_row_order(k):
    rng = np.random.default_rng(k)
    distance = rng.binomial(semantic.DIM, 0.5, 1000).astype(np.uint16)  # many equal values
    rows = semantic._closest(distance, k)
    assert len(rows) == k
    assert sorted(rows.tolist()) == sorted(np.argsort(distance, kind="stable")[:k].tolist())


def test_import_embeds_the_file_rows_or_says_to_run_techbank_embed(tmp_path, fake_e5, monkeypatch):
    from .test_importers import ROWS, write_csv

    path = write_csv(tmp_path / "kipris.csv", ROWS, encoding="utf-8-sig")
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "technologies", str(path), "--json", stdout=out, stderr=err)
    summary = json.loads(out.getvalue())
    assert summary["embedded"] == len(ROWS)
    assert SearchVector.objects.filter(kind=TECHNOLOGY).count() == len(ROWS)
    # changed rows only are embedded again; --no-embed leaves it to techbank-embed
    SearchVector.objects.all().delete()
    out = io.StringIO()
    call_command("import", "technologies", str(path), "--json", "--no-embed", stdout=out)
    assert json.loads(out.getvalue())["embedded"] == 0
    assert not SearchVector.objects.exists()
    # a big file: nothing embedded, the command names what to run
    command = importlib.import_module("dure.techbank.management.commands.import")
    monkeypatch.setattr(command, "EMBED_ON_IMPORT_MAX", 1)
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "technologies", str(path), "--json", stdout=out, stderr=err)
    assert json.loads(out.getvalue())["embedded"] == 0
    assert "dure techbank-embed" in err.getvalue()
    monkeypatch.setattr(command, "EMBED_ON_IMPORT_MAX", 20_000)
    call_command("import", "technologies", str(path), "--json", stdout=io.StringIO())
    assert SearchVector.objects.filter(kind=TECHNOLOGY).count() == len(ROWS)


def test_the_cli_contract_holds_with_vectors(leak_records, fake_e5):
    embed_all()
    out = io.StringIO()
    call_command(
        "search",
        "--json",
        "벽에 검은 얼룩이 번지는 곳",
        "--kind",
        "technology",
        "--limit",
        "2",
        stdout=out,
    )
    rows = json.loads(out.getvalue())
    assert len(rows) == 2
    assert leak_records["leak"].pk in [row["id"] for row in rows]
    for row in rows:
        tech = Technology.objects.get(pk=row["id"])
        assert row == {
            "kind": "technology",
            "id": tech.pk,
            "title": tech.title,
            "score": row["score"],
            "application_number": tech.application_number,
        }
    assert rows[0]["score"] >= rows[1]["score"]
    out = io.StringIO()
    call_command("search", "--json", "곰팡이", "--kind", "expert", stdout=out)
    assert json.loads(out.getvalue()) == []  # experts: staff only (--as-staff)


def test_the_query_is_embedded_in_the_embedding_thread_beside_the_lexical_queries(
    leak_records, fake_e5, monkeypatch
):
    embed_all()
    threads = []

    def embed(text):
        threads.append(threading.current_thread().name)
        return fake_vector(text)

    monkeypatch.setattr(semantic, "embed_query", embed)
    result = selectors.techbank_search(query="벽에 검은 얼룩이 번지는 곳", kinds=[TECHNOLOGY])
    assert ("technology", leak_records["leak"].pk) in ids(result)[:3]
    assert threads and threads[0].startswith("dure-e5")

    def broken(text):
        raise RuntimeError("engine failed")

    monkeypatch.setattr(semantic, "embed_query", broken)
    with pytest.raises(RuntimeError, match="engine failed"):  # not swallowed by the thread
        selectors.techbank_search(query="곰팡이 억제", kinds=[TECHNOLOGY])


def test_frequent_terms_do_not_make_candidates_on_their_own(leak_records, fake_e5, monkeypatch):
    embed_all()
    engine = backend()
    frequencies = engine.document_frequencies(("장치", "곰팡이", "없는낱말"))
    assert set(frequencies) == {"장치", "곰팡이", "없는낱말"}
    if engine.__class__.__name__ == "SQLiteBackend":  # PostgreSQL: planner statistics
        assert frequencies["장치"] >= 3 and frequencies["곰팡이"] == 1
        assert frequencies["없는낱말"] == 0
        monkeypatch.setattr(services, "FREQUENT_DOCS", 2)
        filters = {"visibility": ["public"]}
        pool = services._pool_mode
        assert pool(engine, ("장치", "곰팡이"), [TECHNOLOGY], filters) == (
            ("pool", ("곰팡이",)),
            (),
        )
        assert pool(engine, ("장치",), [TECHNOLOGY], filters) == ("or", ())
        # the lexicon's terms: a rarer one widens the pool beside a rarer word of the query's
        # own (never required); a frequent one is left out; a query of frequent words only
        # is searched as it is
        assert pool(engine, ("장치", "곰팡이"), [TECHNOLOGY], filters, ("악취", "장치")) == (
            ("pool", ("곰팡이", "악취")),
            ("악취",),
        )
        assert pool(engine, ("장치",), [TECHNOLOGY], filters, ("곰팡이",)) == ("or", ())
        monkeypatch.setattr(services, "FREQUENT_DOCS", 0)  # every term found is frequent
        result = selectors.techbank_search(query="교육용 게임", kinds=[TECHNOLOGY])
        assert result.lexical_mode == "and"
        assert ("technology", leak_records["decoy"].pk) in ids(result)[:3]


def test_facets_over_a_bounded_sample_say_so(leak_records, fake_e5, monkeypatch):
    result = selectors.techbank_search(
        query="장치", kinds=[TECHNOLOGY], facets=selectors.FACET_KEYS
    )
    assert result.facets_exact and result.total >= 3
    exact = dict(result.facets["kind"])
    monkeypatch.setattr(services, "FACET_SAMPLE", 2)
    result = selectors.techbank_search(
        query="장치", kinds=[TECHNOLOGY], facets=selectors.FACET_KEYS
    )
    assert not result.facets_exact
    assert dict(result.facets["kind"]) == {"technology": 2}
    assert exact["technology"] == result.total  # the total itself stays exact
    institute_id = str(leak_records["odor"].holder_id)
    result = selectors.techbank_search(
        query="장치",
        kinds=[TECHNOLOGY],
        filters={"institute": [institute_id]},
        facets=selectors.FACET_KEYS,
    )
    assert all(hit.object_id != leak_records["leak"].pk for hit in result.hits)


def test_a_page_beyond_the_fused_depth_is_ranked_lexically(leak_records, fake_e5):
    embed_all()
    result = selectors.techbank_search(
        query="장치", kinds=[TECHNOLOGY], offset=services.RERANK_DEPTH, limit=5
    )
    assert result.lexical_tokens == ()  # lexical path
    assert selectors.techbank_search(query="장치", kinds=[TECHNOLOGY]).lexical_tokens


def test_everyday_words_find_the_technical_term_lexically(
    leak_records, fake_e5, make_technology, institute, monkeypatch
):
    """The fake model knows nothing of leaks, and no semantic candidate is taken: only the
    lexicon (물이 새다 → 누수) brings the patent to the need."""
    pipe = make_technology(
        title="상수도 관로 누수 지점 탐지 장치",
        abstract="음향 센서 신호의 상호상관으로 누설 위치를 산출한다.",
        holder=institute("KICT"),
    )
    embed_all()
    monkeypatch.setattr(services, "SEMANTIC_POOL", 0)
    need = "물이 새는 곳을 찾고 싶어요"
    result = selectors.techbank_search(query=need, kinds=[TECHNOLOGY])
    assert {"누수", "누설"} <= set(result.lexical_tokens)
    assert {"누수", "누설"} <= set(result.lexicon_terms)
    assert ("technology", pipe.pk) in ids(result)  # ordered then by the (random) fake cosine
    monkeypatch.setattr(services, "EXPAND_EVERYDAY", False)
    result = selectors.techbank_search(query=need, kinds=[TECHNOLOGY])
    assert result.lexicon_terms == ()
    assert ("technology", pipe.pk) not in ids(result)


def test_the_embedding_has_more_say_when_the_lexicon_did_not_translate_the_query(
    leak_records, fake_e5, rrf_calls
):
    embed_all()
    selectors.techbank_search(query="벽에 물이 새는 곳", kinds=[TECHNOLOGY])  # 물이 새다 → 누수
    selectors.techbank_search(query="바이오필터 담체층", kinds=[TECHNOLOGY])  # technical words only
    assert [call["translated"] for call in rrf_calls] == [True, False]
    # a document first lexically and 20th by embedding against one only the embedding found
    lexical, by_embedding = {"lexical-first": 0}, {"embedding-first": 0, "lexical-first": 20}
    fused = semantic.rrf(lexical, by_embedding, translated=True)
    assert max(fused, key=fused.get) == "lexical-first"
    fused = semantic.rrf(lexical, by_embedding, translated=False)
    assert max(fused, key=fused.get) == "embedding-first"


def test_a_much_better_lexical_match_wins_a_close_call_of_ranks(leak_records, fake_e5, rrf_calls):
    # close ranks: "a" second lexically and first by embedding, "b" the other way round
    lexical, by_embedding = {"b": 0, "a": 1}, {"a": 0, "b": 1}
    fused = semantic.rrf(lexical, by_embedding)
    assert max(fused, key=fused.get) == "a"
    # "b" matched the query's words five times as strongly as "a" did
    fused = semantic.rrf(lexical, by_embedding, lexical_strength={"b": 1.0, "a": 0.2})
    assert max(fused, key=fused.get) == "b"
    # but not a clear one: "b" only tenth by embedding
    fused = semantic.rrf(lexical, {"a": 0, "b": 10}, lexical_strength={"b": 1.0, "a": 0.2})
    assert max(fused, key=fused.get) == "a"
    # the search passes every lexical candidate's score over the best one's
    embed_all()
    rrf_calls.clear()
    # the mould patent matches 곰팡이, 억제 and 벽; the others a word or a lexicon term each
    selectors.techbank_search(query="벽 곰팡이 억제", kinds=[TECHNOLOGY])
    (strength,) = [call["lexical_strength"] for call in rrf_calls]
    leak = ("technology", leak_records["leak"].pk)
    assert ("technology", leak_records["decoy"].pk) in strength
    assert strength.pop(leak) == 1.0
    assert all(0.0 < value < 0.5 for value in strength.values())


def test_lexical_strength_is_the_score_over_the_best_without_the_pinning_bonus():
    from dure.search.backends import EXACT_TITLE_BONUS, Match

    lexical = [
        Match(1, "technology", 10, EXACT_TITLE_BONUS + 4.0),  # pinned: its title is the query
        Match(2, "technology", 11, 8.0),
        Match(3, "equipment", 10, 2.0),
    ]
    assert services._lexical_strength(lexical) == {
        ("technology", 10): 0.5,
        ("technology", 11): 1.0,
        ("equipment", 10): 0.25,
    }
    assert services._lexical_strength([]) == {}
    assert services._lexical_strength([Match(1, "technology", 10, 0.0)]) == {}


def test_need_phrasing_words_leave_the_lexical_query_only_when_others_remain():
    assert semantic.lexical_terms(("물", "새", "장치")) == ("물", "새")
    assert semantic.lexical_terms(("방법", "장치")) == ("방법", "장치")
    fused = semantic.rrf({"a": 0, "b": 1}, {"b": 0, "c": 1})
    assert max(fused, key=fused.get) == "b"
    assert fused["c"] > 0 and fused["a"] > 0


def test_pages_and_api_mark_counts_that_are_lower_bounds(leak_records, client, monkeypatch):
    page = client.get("/techbank/", {"q": "장치", "kind": "technology"}).content.decode()
    assert "건 넘게" not in page and "일부만 세었습니다" not in page
    monkeypatch.setattr(services, "FACET_SAMPLE", 2)
    # another query string: the public page cache keys on it
    page = client.get("/techbank/", {"q": "장치", "kind": "technology", "trl": ""})
    html = page.content.decode()
    assert "일부만 세었습니다" in html and "(2+)" in html
    body = client.get("/api/v1/techbank/search", {"q": "장치", "kind": "technology"}).json()
    assert body["facets_exact"] is False and body["count_exact"] is True
    assert body["count"] >= 3


def test_a_capped_total_reads_more_than(leak_records, fake_e5, client, monkeypatch):
    embed_all()
    monkeypatch.setattr(services, "LEXICAL_POOL", 1)
    counted = selectors.techbank_search(query="장치", kinds=[TECHNOLOGY])
    # with the kind facet, the total comes from the facet pass: the same figure, exact
    faceted = selectors.techbank_search(
        query="장치", kinds=[TECHNOLOGY], facets=selectors.FACET_KEYS
    )
    assert counted.total_exact and faceted.total_exact and faceted.facets_exact
    assert faceted.total == counted.total >= 3
    monkeypatch.setattr(services, "TOTAL_CAP", 1)
    result = selectors.techbank_search(query="장치", kinds=[TECHNOLOGY])
    assert not result.total_exact
    monkeypatch.setattr(services, "FACET_SAMPLE", 1)
    result = selectors.techbank_search(
        query="장치", kinds=[TECHNOLOGY], facets=selectors.FACET_KEYS
    )
    assert not result.total_exact and not result.facets_exact
    html = client.get("/techbank/", {"q": "장치", "kind": "technology"}).content.decode()
    assert f"{result.total}건 넘게 찾았습니다." in html


def test_an_edit_re_embeds_after_commit_and_only_an_embedded_collection(
    leak_records, fake_e5, users, django_capture_on_commit_callbacks
):
    from dure.techbank import services as techbank_services

    odor = leak_records["odor"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        techbank_services.technology_update(
            actor=users["admin"], technology=odor, data={"title": "축사 악취 저감 필터"}
        )
    assert callbacks == [] and fake_e5["passages"] == 0  # no vectors yet: nothing to keep
    embed_all()
    before = SearchVector.objects.get(kind=TECHNOLOGY, object_id=odor.pk).text_hash
    embedded = fake_e5["passages"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        techbank_services.technology_update(
            actor=users["admin"], technology=odor, data={"title": "축사 곰팡이 억제 필터"}
        )
    # not before commit: a rolled-back edit must not embed its text
    assert SearchVector.objects.get(kind=TECHNOLOGY, object_id=odor.pk).text_hash == before
    for callback in callbacks:
        callback()
    after = SearchVector.objects.get(kind=TECHNOLOGY, object_id=odor.pk).text_hash
    assert after != before and fake_e5["passages"] == embedded + 1
    result = selectors.techbank_search(query="벽에 검은 얼룩이 번지는 곳", kinds=[TECHNOLOGY])
    assert ("technology", odor.pk) in ids(result)  # found by its new meaning
