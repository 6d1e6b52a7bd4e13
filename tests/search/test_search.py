"""The Korean search foundation (dure.search.services) and the directory search built on it.

Runs on SQLite (FTS5, bm25) and PostgreSQL (tsvector, ts_rank × IDF): the behaviour must be the
same on both.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dure.directory import selectors, services
from dure.directory.search_index import KIND as ORG
from dure.search.analysis import analyze, analyze_query
from dure.search.models import SearchDocument
from dure.search.services import index_document, reindex, remove_document, search

pytestmark = pytest.mark.django_db

DOC = "testdoc"  # a kind of our own, so that the demo organisations do not interfere


def titles(result) -> list[str]:
    return [hit.title for hit in result.hits]


def org_titles(query: str, **kwargs) -> list[str]:
    return titles(search(query=query, kinds=[ORG], limit=50, **kwargs))


def put(object_id: int, title: str, body: str = "", **filters) -> None:
    index_document(kind=DOC, object_id=object_id, title=title, body=body, filters=filters)


# --- Korean analysis: the cases the platform is for ----------------------------------------------


def test_a_part_of_a_compound_name_finds_the_organisation():
    assert org_titles("기술융합")[0] == "기술융합협동조합"


def test_a_sentence_with_particles_and_endings_matches_cooperatives():
    found = org_titles("협동조합을 찾습니다")
    assert "세리오협동조합" in found
    assert "기술융합협동조합" in found
    assert "우리밀협동조합" in found
    assert all("협동조합" in t or "협동조합" in _body(t) for t in found)


def _body(title: str) -> str:
    return SearchDocument.objects.get(kind=ORG, title=title).body


def test_latin_and_korean_words_written_apart_match_the_written_together_name():
    assert org_titles("ICT 기업")[0] == "ICT기업사회적협동조합"
    assert org_titles("ict기업")[0] == "ICT기업사회적협동조합"


def test_stems_match_across_particles_and_compounds():
    put(1, "부식 방지 코팅", "배관 용접부의 부식을 방지하는 코팅제를 개발합니다.")
    put(2, "용접 교육", "용접 기능사 교육 과정입니다.")
    result = search(query="용접 부식", kinds=[DOC])
    assert titles(result) == ["부식 방지 코팅"]
    assert not result.relaxed


def test_a_noun_with_a_particle_matches_the_noun_phrase_written_apart():
    put(1, "기술 이전 상담", "출연연구기관의 기술 이전 절차를 안내합니다.")
    assert titles(search(query="기술이전을", kinds=[DOC])) == ["기술 이전 상담"]
    assert analyze_query("기술이전을") == analyze_query("기술 이전")


def test_mixed_korean_and_english_and_numbers():
    put(1, "LiDAR 센서 모듈", "자율주행용 LiDAR 센서를 2024년부터 생산합니다.")
    put(2, "IoT 센서 네트워크", "농업용 IoT 센서와 게이트웨이.")
    put(3, "센서 교육", "센서의 원리를 배우는 과정")
    assert titles(search(query="LiDAR", kinds=[DOC])) == ["LiDAR 센서 모듈"]
    assert titles(search(query="lidar", kinds=[DOC])) == ["LiDAR 센서 모듈"]
    assert titles(search(query="IoT 센서", kinds=[DOC])) == ["IoT 센서 네트워크"]
    assert titles(search(query="2024", kinds=[DOC])) == ["LiDAR 센서 모듈"]
    assert titles(search(query="2024년", kinds=[DOC])) == ["LiDAR 센서 모듈"]
    assert set(titles(search(query="센서", kinds=[DOC]))) == {
        "LiDAR 센서 모듈",
        "IoT 센서 네트워크",
        "센서 교육",
    }


def test_when_no_document_has_every_term_any_term_matches():
    put(1, "용접 교육", "")
    put(2, "도장 교육", "")
    result = search(query="용접 잠수함", kinds=[DOC])
    assert result.relaxed
    assert titles(result) == ["용접 교육"]


def test_an_exact_title_ranks_first():
    put(1, "협동조합 설립 안내", "협동조합 협동조합 협동조합을 세우는 방법. 협동조합 기본법.")
    put(2, "사회적협동조합 인가", "사회적협동조합 인가 절차와 협동조합 정관")
    put(3, "협동조합", "소개")
    put(4, "교육", "협동조합 교육 협동조합 협동조합 협동조합 협동조합")
    assert titles(search(query="협동조합", kinds=[DOC]))[0] == "협동조합"


def test_the_organisation_named_exactly_ranks_first():
    for name in ("우리밀협동조합", "세리오협동조합", "ICT기업사회적협동조합", "한빛정밀"):
        assert org_titles(name)[0] == name


# --- user input never breaks the query ----------------------------------------------------------

NASTY = [
    '"',
    '"협동조합"',
    "협동조합*",
    "*",
    "-협동조합",
    "협동조합 NEAR 기술",
    "NEAR(협동조합 기술, 5)",
    "협동조합 OR 기술",
    "협동조합 AND 기술",
    "NOT 협동조합",
    "(협동조합",
    "협동조합)",
    "title_tokens:협동조합",
    "{title_tokens} : 협동조합",
    "^협동조합",
    "협동조합 😀🎉",
    "협동\x00조합",
    "'; DROP TABLE search_searchdocument; --",
    "협동조합' OR '1'='1",
    "!!! ??? ### $$$",
    "\u200b\u200d\ufeff",
    "a" * 1000,
    "협동조합 " * 2000,
    "가" * 10_000,
    "C++ & C# | 협동조합 <-> 기술 :* !",
]


@pytest.mark.parametrize("query", NASTY, ids=range(len(NASTY)))
def test_user_input_never_breaks_the_query(query):
    result = search(query=query, kinds=[ORG], facets=["kind"])
    assert result.total >= 0
    assert len(result.hits) <= 20
    if "협동조합" in query.replace("\x00", ""):
        assert result.total > 0, "the real word in the query is still searched for"


def test_a_huge_query_is_cut_short_before_analysis():
    result = search(query="협동조합 " * 2000 + "세리오", kinds=[ORG])
    # only the beginning is analysed (analysing all 12,000 characters takes seconds)
    assert result.tokens == ("협동조합",)
    assert result.total > 0


def test_quotes_and_operators_are_searched_as_words_not_syntax():
    quoted = org_titles('"협동조합"')
    plain = org_titles("협동조합")
    assert quoted == plain
    assert org_titles("-협동조합") == plain  # not "everything but 협동조합"
    assert org_titles("협동조합*") == plain


def test_a_nul_byte_separates_rather_than_joins_words():
    assert analyze("용접\x00부식") == analyze("용접 부식")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.text(max_size=200))
@example("\ud800")  # a lone surrogate
@example('"" "')
@example("_")
@example("___ . .. ...")
@example("３．１４")
def test_any_text_is_a_safe_query(query):
    result = search(query=query, facets=["kind", "sido"], filters={"kind": "cooperative"})
    assert result.total >= 0
    for hit in result.hits:
        assert "<script" not in hit.snippet


def test_the_directory_page_accepts_any_query(client):
    for query in NASTY:
        response = client.get("/directory/", {"q": query})
        assert response.status_code == 200, query


def test_a_query_longer_than_the_form_allows_is_still_searched(client):
    response = client.get("/directory/", {"q": "세리오협동조합 " + "가" * 300})
    assert response.status_code == 200
    assert response.context["searching"]
    assert response.context["result"].organisations[0].name == "세리오협동조합"


def test_an_unknown_filter_value_drops_that_filter_not_the_search(client):
    response = client.get("/directory/", {"q": "세리오협동조합", "sido": "99", "field": "nope"})
    assert response.status_code == 200
    assert response.context["searching"]
    assert response.context["result"].organisations[0].name == "세리오협동조합"


@pytest.mark.parametrize("q", ["", "협동조합"])
@pytest.mark.parametrize("page", ["99999999999999999999", "9223372036854775807", "-5", "abc"])
def test_any_page_number_is_a_page(client, q, page):
    response = client.get("/directory/", {"q": q, "page": page})
    assert response.status_code == 200


# --- filters and facets -------------------------------------------------------------------------


def test_filters_and_facet_counts():
    put(1, "용접 A", "", region="seoul", tag=["x", "y"])
    put(2, "용접 B", "", region="seoul", tag=["y"])
    put(3, "용접 C", "", region="busan", tag=["x"])
    put(4, "도장 D", "", region="busan", tag=["x"])

    result = search(query="용접", kinds=[DOC], facets=["region", "tag"])
    assert result.total == 3
    assert result.facets["region"] == [("seoul", 2), ("busan", 1)]
    assert result.facets["tag"] == [("x", 2), ("y", 2)]

    filtered = search(query="용접", kinds=[DOC], filters={"region": "seoul"}, facets=["region"])
    assert sorted(titles(filtered)) == ["용접 A", "용접 B"]
    # a key's facet ignores its own filter, so the other regions stay selectable
    assert filtered.facets["region"] == [("seoul", 2), ("busan", 1)]

    both = search(query="용접", kinds=[DOC], filters={"region": "seoul", "tag": ["x"]})
    assert titles(both) == ["용접 A"]
    either = search(query="용접", kinds=[DOC], filters={"region": ["seoul", "busan"]})
    assert either.total == 3
    # empty filter values mean "no filter"
    assert search(query="용접", kinds=[DOC], filters={"region": "", "tag": []}).total == 3


def test_filter_values_with_spaces_signs_and_korean_are_matched_whole():
    put(1, "용접 A", "", place=["서울 강남", "a=b"], code=["B23"])
    put(2, "용접 B", "", place=["서울"], code=["B23K"])
    put(3, "용접 C", "", place=["강남"], code=["b23"])
    result = search(query="용접", kinds=[DOC], facets=["place", "code"])
    assert result.facets["place"] == [("a=b", 1), ("강남", 1), ("서울", 1), ("서울 강남", 1)]
    assert result.facets["code"] == [("B23", 1), ("B23K", 1), ("b23", 1)]
    # a value is never matched by a part of another (서울 ≠ 서울 강남, B23 ≠ B23K, case counts)
    assert titles(search(query="용접", kinds=[DOC], filters={"place": "서울"})) == ["용접 B"]
    assert titles(search(query="용접", kinds=[DOC], filters={"place": "서울 강남"})) == ["용접 A"]
    assert titles(search(query="용접", kinds=[DOC], filters={"place": "a=b"})) == ["용접 A"]
    assert titles(search(query="용접", kinds=[DOC], filters={"code": "B23"})) == ["용접 A"]
    assert search(query="용접", kinds=[DOC], filters={"place": "a"}).total == 0
    stored = SearchDocument.objects.get(kind=DOC, object_id=1)
    assert stored.facet_terms.startswith(" ") and stored.facet_terms.endswith(" ")
    assert " place=a%3Db " in stored.facet_terms


def test_a_frequent_term_is_matched_whole_a_rare_one_also_as_a_prefix(monkeypatch):
    from dure.search import services
    from dure.search.backends import backend

    engine = backend()
    before = engine.document_frequencies(("공정",))["공정"]
    put(1, "공정 관리", "")
    put(2, "공정 개선", "")
    if engine.__class__.__name__ == "SQLiteBackend":  # PostgreSQL: planner estimates
        assert engine.document_frequencies(("공정", "없는낱말")) == {
            "공정": before + 2,
            "없는낱말": 0,
        }
        assert engine.document_frequencies(("공정",), cap=1) == {"공정": 2}  # cap + 1
    # the prefix form of a term: FTS5 "term"*, PostgreSQL 'term':*
    query = str(engine._where(("공정", "세리오"), "or", [DOC], {}))
    assert '공정"*' in query or "'공정':*" in query
    assert '세리오"*' in query or "'세리오':*" in query
    engine.whole_words = frozenset({"공정"})
    query = str(engine._where(("공정", "세리오"), "or", [DOC], {}))
    assert '공정"*' not in query and "'공정':*" not in query
    assert '세리오"*' in query or "'세리오':*" in query
    monkeypatch.setattr(services, "FREQUENT_DOCS", 1)
    engine = backend()
    if engine.__class__.__name__ == "SQLiteBackend":
        services._pool_mode(engine, ("공정", "없는낱말"), [DOC], {})
        assert engine.whole_words == frozenset({"공정"})


def test_postgres_ranks_a_sample_of_a_query_of_frequent_terms_and_the_exact_title(monkeypatch):
    from dure.search.backends import PostgresBackend, backend

    engine = backend()
    if not isinstance(engine, PostgresBackend):
        pytest.skip("PostgreSQL ranks every match of SQLite's full-text index")
    for n in range(1, 6):
        put(n, f"센서 모듈 {n}", "센서 센서")
    put(6, "센서", "")  # the whole title is the query
    monkeypatch.setattr(PostgresBackend, "RANK_SAMPLE", 2)
    every = engine.top(("센서",), "or", [DOC], {}, 10)
    assert len(every) == 6  # not every term is frequent: all ranked
    engine.whole_words = frozenset({"센서"})
    sampled = engine.top(("센서",), "or", [DOC], {}, 10)
    # two of the matches (whichever the heap gives first: the exact title may be one of them),
    # and the exact title, first
    assert 2 <= len(sampled) <= 3
    assert sampled[0].object_id == 6


def test_a_rare_term_weighs_more_than_a_frequent_one(monkeypatch):
    """BM25's inverse document frequency on both backends (PostgreSQL: each term's ts_rank
    times its IDF from the planner's statistics): the one document about 누수 beats those
    that say 장치 in their title, though a title weighs more than a body."""
    from dure.search import backends
    from dure.search.backends import backend

    # the statistics read here are rolled back with the test: not kept for the next tests
    monkeypatch.setattr(backends, "_pg_stats", (0.0, {}, 0))
    for n in range(2, 42):
        put(n, f"장치 {n}호", f"일반 장치 {n}번 모델입니다.")
    put(1, "모델", "배관 누수를 알리는 모델입니다.")
    backend().refresh_statistics()  # what an import does after loading a file
    result = search(query="누수 장치", kinds=[DOC], limit=3)
    assert result.relaxed  # no document has both: any of them, ranked
    assert titles(result)[0] == "모델"


def test_filter_keys_cannot_inject_sql():
    with pytest.raises(ValueError):
        search(query="용접", filters={"x') OR 1=1 --": "a"})
    with pytest.raises(ValueError):
        search(query="용접", facets=["kind' || '"])


def test_directory_facets_by_kind_and_region(users):
    page = selectors.organisation_list(user=users["admin"], query="협동조합", with_facets=True)
    kinds = dict(page.facets["kind"])
    assert kinds["social_cooperative"] >= 4
    assert sum(kinds.values()) >= page.total
    page = selectors.organisation_list(user=users["admin"], query="협동조합", kind="sme")
    assert all(o.kind == "sme" for o in page.organisations)


def test_paging_through_results():
    for i in range(1, 26):
        put(i, f"용접 {i:02d}", "")
    first = search(query="용접", kinds=[DOC], limit=10)
    third = search(query="용접", kinds=[DOC], limit=10, offset=20)
    assert first.total == third.total == 25
    assert len(first.hits) == 10 and len(third.hits) == 5
    assert not set(titles(first)) & set(titles(third))
    beyond = search(query="용접", kinds=[DOC], limit=10**9, offset=10**30)
    assert beyond.total == 25 and beyond.hits == []


# --- snippets -----------------------------------------------------------------------------------


def test_snippets_escape_html_and_mark_the_matched_terms():
    put(1, "<b>용접</b>", '<script>alert("x")</script> 배관 용접부의 부식을 방지하는 & 코팅')
    (hit,) = search(query="용접 부식", kinds=[DOC]).hits
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;" in hit.snippet
    assert "&amp;" in hit.snippet
    assert "<mark>용접</mark>" in hit.snippet
    assert "<mark>부식</mark>" in hit.snippet


def test_the_directory_page_shows_a_description_with_html_escaped(users, org, client):
    fusion = org("기술융합협동조합")
    services.organisation_update(
        actor=users["admin"],
        organisation=fusion,
        data={
            "description": "<script>alert(1)</script>\n자율주행용 라이다 센서 시제품을 만듭니다."
        },
    )
    response = client.get("/directory/", {"q": "라이다"})
    html = response.content.decode()
    assert "기술융합협동조합" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>라이다</mark>" in html


# --- the index changes in the same transaction --------------------------------------------------


def test_an_exception_after_indexing_leaves_no_document():
    with pytest.raises(RuntimeError), transaction.atomic():
        put(1, "잠수함 용접", "")
        assert search(query="잠수함", kinds=[DOC]).total == 1
        raise RuntimeError
    assert not SearchDocument.objects.filter(kind=DOC).exists()
    assert search(query="잠수함", kinds=[DOC]).total == 0


def test_reindexing_a_document_replaces_it():
    put(1, "잠수함 용접", "")
    put(1, "항공기 도장", "")
    assert search(query="잠수함", kinds=[DOC]).total == 0
    assert titles(search(query="항공기", kinds=[DOC])) == ["항공기 도장"]
    assert SearchDocument.objects.filter(kind=DOC).count() == 1


def test_removing_a_document():
    put(1, "잠수함 용접", "")
    remove_document(kind=DOC, object_id=1)
    remove_document(kind=DOC, object_id=1)  # twice is fine
    assert search(query="잠수함", kinds=[DOC]).total == 0


def test_an_organisation_update_through_the_service_reindexes_it(users, org):
    serio = org("세리오협동조합")
    assert org_titles("초음파") == []
    services.organisation_update(
        actor=users["coop"],
        organisation=serio,
        data={"description": "초음파 세정 장비를 만듭니다."},
    )
    assert org_titles("초음파") == ["세리오협동조합"]
    services.organisation_update(
        actor=users["admin"], organisation=serio, data={"name": "세리오화학협동조합"}
    )
    assert org_titles("세리오화학") == ["세리오화학협동조합"]


def test_a_rolled_back_update_leaves_the_old_index(users, org):
    serio = org("세리오협동조합")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.organisation_update(
            actor=users["coop"], organisation=serio, data={"description": "초음파 세정 장비"}
        )
        assert org_titles("초음파") == ["세리오협동조합"]
        raise RuntimeError
    assert org_titles("초음파") == []
    assert "세리오협동조합" in org_titles("코팅제")


def test_an_invalid_update_leaves_the_old_index(users, org):
    serio = org("세리오협동조합")
    with pytest.raises(Exception):  # noqa: B017 - ValidationError, whichever field complains
        services.organisation_update(
            actor=users["coop"],
            organisation=serio,
            data={"description": "초음파 세정 장비", "phone": "1234"},
        )
    assert org_titles("초음파") == []


def test_reindex_command_rebuilds_and_is_idempotent(capsys):
    before = set(SearchDocument.objects.filter(kind=ORG).values_list("object_id", "title"))
    expected = org_titles("협동조합")
    SearchDocument.objects.filter(kind=ORG).delete()
    assert org_titles("협동조합") == []

    call_command("reindex", verbosity=0)
    first = set(SearchDocument.objects.filter(kind=ORG).values_list("object_id", "title"))
    call_command("reindex", "--kind", ORG, verbosity=0)
    second = set(SearchDocument.objects.filter(kind=ORG).values_list("object_id", "title"))

    assert first == second == before
    assert org_titles("협동조합") == expected
    assert f"{ORG}: {len(before)}" in capsys.readouterr().out


def test_reindex_leaves_other_kinds_alone():
    put(1, "잠수함 용접", "")
    counts = reindex(kinds=[ORG])
    assert counts[ORG] == SearchDocument.objects.filter(kind=ORG).count()
    assert search(query="잠수함", kinds=[DOC]).total == 1


def test_reindex_command_refuses_an_unknown_kind():
    with pytest.raises(SystemExit):
        call_command("reindex", "--kind", "nope", verbosity=0)


# --- who sees what ------------------------------------------------------------------------------


@pytest.fixture
def hidden_serio(users, org):
    serio = org("세리오협동조합")
    services.organisation_update(
        actor=users["admin"], organisation=serio, data={"is_public": False}
    )
    return serio


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("anonymous", False),
        ("admin", True),
        ("center", True),  # support-centre staff
        ("coop", True),  # its chair
        ("member", True),  # its member
        ("sme", False),
        ("researcher", False),
        ("supplier", False),
    ],
)
def test_non_public_organisations_are_searchable_only_by_staff_and_members(
    hidden_serio, users, client_for, role, sees
):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if role == "anonymous" else users[role]
    page = selectors.organisation_list(user=user, query="세리오협동조합")
    assert ("세리오협동조합" in [o.name for o in page.organisations]) is sees
    page = selectors.organisation_list(user=user, query="코팅제 세정제", with_facets=True)
    assert ("세리오협동조합" in [o.name for o in page.organisations]) is sees
    html = client_for(role).get("/directory/", {"q": "세리오"}).content.decode()
    assert ("세리오협동조합" in html) is sees
    # neither the count nor the facet counts leak it
    assert page.total == len(page.organisations)
    assert sum(n for _kind, n in page.facets["kind"]) == page.total
