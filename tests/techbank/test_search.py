"""Korean search over the technology bank (through dure.search): the analysis cases of the
issue, scoping per user (experts only for staff and their own institute), expert documents
without personal data, facets, hostile input, bulk indexing, and the ``dure search`` CLI."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dure.directory.access import ANONYMOUS, RoleSet
from dure.search.analysis import analyze
from dure.search.models import SearchDocument
from dure.techbank import selectors
from dure.techbank.models import Expert, ExpertContact, Technology
from dure.techbank.search_index import analyze_many, index_bulk

pytestmark = pytest.mark.django_db

STAFF = RoleSet(authenticated=True, platform_admin=True)


def found(query, *, user=None, roles=None, kinds=None, **kwargs):
    result = selectors.techbank_search(
        user=user, roles=roles, query=query, kinds=kinds, limit=50, **kwargs
    )
    return [(hit.kind, hit.object_id) for hit in result.hits]


@pytest.fixture
def corpus(make_technology, make_equipment, institute):
    """Technologies written the way patents are, with words the demo does not use."""
    return {
        "corrosion": make_technology(
            title="잠수함 압력선체 보호 코팅",
            abstract="본 발명은 잠수함 선체 용접부의 부식을 방지하는 코팅에 관한 것이다.",
            holder=institute("KIMS"),
            ipc_codes="C23F 11/00",
            trl=5,
        ),
        "transfer": make_technology(
            title="잠수정 부품 기술 이전 지원 방법",
            abstract="출연연구기관의 기술 이전 절차를 간소화한다.",
            holder=institute("KITECH"),
            ipc_codes="G06Q 50/00",
            trl=3,
        ),
        "iot": make_technology(
            title="잠수정 IoT 센서 부표",
            abstract="해양 IoT 센서 데이터를 2025년부터 수집한다.",
            holder=institute("ETRI"),
            ipc_codes="H04W 4/38",
            trl=7,
        ),
        "lidar": make_technology(
            title="수중 LiDAR 측심 장치 (Underwater LiDAR bathymetry)",
            abstract="잠수정에 탑재되는 청록색 레이저 LiDAR로 수심을 측정한다.",
            holder=institute("ETRI"),
            ipc_codes="G01S 17/88",
            trl=4,
        ),
        "sonar": make_equipment(
            name="잠수정 소나 시험 수조",
            capability="길이 50 m 수조, 소나 성능 측정",
            institute=institute("KRISO") if False else institute("KIMM"),
        ),
    }


def pk(corpus, name):
    return corpus[name].pk


def test_welding_corrosion_finds_the_inflected_sentence(corpus):
    hits = found("용접 부식", kinds=["technology"])
    assert ("technology", pk(corpus, "corrosion")) in hits
    assert ("technology", pk(corpus, "transfer")) not in hits
    # both words are needed: a document with only one of them does not match
    only_weld = found("잠수함 용접 부식")
    assert only_weld[0] == ("technology", pk(corpus, "corrosion"))


def test_a_noun_with_a_particle_matches_the_phrase_written_apart(corpus):
    hits = found("잠수정 기술이전을")
    assert hits[0] == ("technology", pk(corpus, "transfer"))
    assert analyze("기술이전을") == analyze("기술 이전")


def test_mixed_korean_english_and_numbers(corpus):
    assert found("IoT 센서 잠수정")[0] == ("technology", pk(corpus, "iot"))
    assert found("lidar 잠수정")[0] == ("technology", pk(corpus, "lidar"))
    assert found("LiDAR bathymetry")[0] == ("technology", pk(corpus, "lidar"))
    assert ("technology", pk(corpus, "iot")) in found("2025년 잠수정")
    assert ("equipment", pk(corpus, "sonar")) in found("잠수정 소나 50 m")


def test_identifiers_find_their_object_however_they_are_written(corpus, make_equipment):
    number = corpus["lidar"].application_number
    assert found(number)[0] == ("technology", pk(corpus, "lidar"))
    assert found(number.replace("-", ""))[0] == ("technology", pk(corpus, "lidar"))
    item = make_equipment(nfec_number="NFEC-2022-11-654321", name="시험기")
    assert found("NFEC-2022-11-654321")[0] == ("equipment", item.pk)
    assert found("nfec 2022 11 654321")[0] == ("equipment", item.pk)


HOSTILE = [
    '"',
    '"잠수정"',
    "잠수정*",
    "*",
    "-잠수정",
    "잠수정 NEAR 부식",
    "NEAR(잠수정 부식, 5)",
    "잠수정 OR 부식",
    "잠수정 AND NOT 부식",
    "(잠수정",
    "title_tokens:잠수정",
    "잠수정 😀🎉",
    "잠수\x00정",
    "'; DROP TABLE techbank_technology; --",
    "\u200b\ufeff",
    "잠수정 " * 2000,
    "가" * 10_000,
    "C++ & C# | 잠수정 <-> :* !",
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_never_breaks_the_search(corpus, query):
    result = selectors.techbank_search(
        user=None, query=query, facets=selectors.FACET_KEYS, limit=20
    )
    assert result.total >= 0
    if "잠수정" in query.replace("\x00", "") and query.count("잠수정") < 100:
        assert result.total > 0, "the real word in the query is still searched for"
    rows = selectors.search_rows(query=query, roles=ANONYMOUS, limit=5)
    assert len(rows) <= 5
    assert Technology.objects.exists()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.text(max_size=120))
def test_any_text_is_a_safe_query(query):
    result = selectors.techbank_search(
        user=None, query=query, facets=selectors.FACET_KEYS, filters={"ipc": "B"}
    )
    assert result.total >= 0


# --- who finds what ----------------------------------------------------------------------------


def test_experts_are_found_only_by_staff_and_their_own_institute(users):
    kitech_expert = Expert.objects.get(name="김태호")
    etri_expert = Expert.objects.get(name="최민수")
    query_kitech = "레이저 용접 공정 모니터링"
    query_etri = "LiDAR 센서 융합 자율주행"
    for role in ("admin", "center"):
        assert ("expert", kitech_expert.pk) in found(query_kitech, user=users[role])
        assert ("expert", etri_expert.pk) in found(query_etri, user=users[role])
    # the KITECH researcher finds KITECH's experts only
    assert ("expert", kitech_expert.pk) in found(query_kitech, user=users["researcher"])
    assert ("expert", etri_expert.pk) not in found(
        query_etri, user=users["researcher"], kinds=["expert"]
    )
    for role in ("sme", "coop", "member", "supplier"):
        assert [k for k, _ in found(query_kitech, user=users[role])].count("expert") == 0
        assert found(query_kitech, user=users[role], kinds=["expert"]) == []
    assert found(query_kitech, user=None, kinds=["expert"]) == []


def test_facets_do_not_count_what_the_user_may_not_find(users):
    anonymous = dict(selectors.search_facets(user=None, query="레이저")["kind"])
    staff = dict(selectors.search_facets(user=users["admin"], query="레이저")["kind"])
    assert "expert" not in anonymous
    assert staff["expert"] >= 1
    assert staff["technology"] == anonymous["technology"]


def test_expert_documents_never_carry_personal_data():
    contacts = list(ExpertContact.objects.all())
    assert contacts, "the demo experts have contacts"
    documents = list(SearchDocument.objects.filter(kind="expert"))
    assert len(documents) == Expert.objects.count()
    for document in documents:
        text = " ".join(
            [document.title, document.body, document.title_tokens, document.body_tokens]
        ) + json.dumps(document.filters, ensure_ascii=False)
        for contact in contacts:
            for value in (contact.phone, contact.email, contact.cv):
                assert not value or value not in text
            assert "@" not in text


def test_facet_counts_by_kind_institute_ipc_status_trl_and_region(corpus, institute):
    facets = selectors.search_facets(user=None, query="잠수정")
    kinds = dict(facets["kind"])
    assert kinds["technology"] >= 3 and kinds["equipment"] >= 1
    assert dict(facets["institute"])[str(institute("ETRI").pk)] == 2
    assert dict(facets["ipc"])["G"] == 2  # the 잠수함 (not 잠수정) one is C
    assert dict(facets["trl"])["7"] >= 1
    assert dict(facets["status"])["applied"] >= 3
    assert dict(facets["region"])[institute("ETRI").sido_id] >= 2
    narrowed = selectors.techbank_search(
        user=None, query="잠수정", filters={"ipc": "H"}, facets=["ipc"]
    )
    assert [h.object_id for h in narrowed.hits] == [pk(corpus, "iot")]
    # a key's facet ignores its own filter (drill-down)
    assert dict(narrowed.facets["ipc"])["G"] == 2
    unknown_key = selectors.techbank_search(user=None, query="잠수정", filters={"nope": "x"})
    assert unknown_key.total == selectors.techbank_search(user=None, query="잠수정").total


def test_lists_search_and_filter_with_a_bounded_number_of_queries(
    corpus, users, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        page = selectors.technology_list(user=None, query="잠수정", with_facets=True)
        [t.holder.name for t in page.items]
    assert page.total >= 3 and page.searching
    with django_assert_max_num_queries(6):
        listed = selectors.technology_list(user=None, filters={"ipc": "G", "trl": "4"})
        [t.holder.name for t in listed.items]
    assert pk(corpus, "lidar") in [t.pk for t in listed.items]
    assert all("G" in t.ipc_sections and t.trl == 4 for t in listed.items)
    assert selectors.expert_list(user=None).total == 0
    assert selectors.expert_list(user=users["admin"]).total == Expert.objects.count()


# --- bulk indexing equals one-by-one indexing --------------------------------------------------


def test_batch_analysis_equals_single_analysis():
    texts = [
        "배관 용접부의 부식을 방지하는 코팅",
        "",
        "   ",
        "IoT 센서와 LiDAR, 2024년 5 kW",
        "용접\x00부식 😀",
        "기술이전을 원합니다",
    ]
    assert analyze_many(texts) == [analyze(t) for t in texts]


def test_bulk_indexing_writes_the_same_documents_as_single_indexing(corpus):
    from dure.search.services import index_object

    techs = list(
        Technology.objects.select_related("holder").filter(
            pk__in=[pk(corpus, "lidar"), pk(corpus, "iot")]
        )
    )
    for tech in techs:
        index_object("technology", tech)
    single = {
        d.object_id: (d.title, d.body, d.title_tokens, d.body_tokens, d.filters)
        for d in SearchDocument.objects.filter(
            kind="technology", object_id__in=[t.pk for t in techs]
        )
    }
    SearchDocument.objects.filter(kind="technology", object_id__in=[t.pk for t in techs]).delete()
    assert index_bulk("technology", techs) == 2
    index_bulk("technology", techs)  # again: an upsert, not a duplicate
    bulk = {
        d.object_id: (d.title, d.body, d.title_tokens, d.body_tokens, d.filters)
        for d in SearchDocument.objects.filter(
            kind="technology", object_id__in=[t.pk for t in techs]
        )
    }
    assert bulk == single
    assert found("수중 LiDAR 측심")[0] == ("technology", pk(corpus, "lidar"))


# --- the CLI -----------------------------------------------------------------------------------


def run_search(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("search", *args, stdout=out)
    return json.loads(out.getvalue())


def test_cli_prints_best_first_json_with_application_numbers(corpus):
    rows = run_search("--json", "수중 LiDAR 측심", "--kind", "technology", "--limit", "3")
    assert 1 <= len(rows) <= 3
    assert rows[0] == {
        "kind": "technology",
        "id": pk(corpus, "lidar"),
        "title": corpus["lidar"].title,
        "score": rows[0]["score"],
        "application_number": corpus["lidar"].application_number,
    }
    scores = [row["score"] for row in rows]
    assert scores == sorted(scores, reverse=True)
    equipment = run_search("--json", "잠수정 소나", "--kind", "equipment")
    assert equipment[0]["kind"] == "equipment" and "application_number" not in equipment[0]


def test_cli_is_anonymous_unless_as_staff():
    expert = Expert.objects.get(name="최민수")
    assert run_search("--json", "최민수", "--kind", "expert") == []
    assert all(r["kind"] != "expert" for r in run_search("--json", "LiDAR 센서 융합"))
    staff = run_search("--json", "최민수", "--kind", "expert", "--as-staff")
    assert staff[0]["id"] == expert.pk
    assert set(staff[0]) == {"kind", "id", "title", "score"}
    text = json.dumps(run_search("--json", "LiDAR 센서 융합", "--as-staff"), ensure_ascii=False)
    contact = ExpertContact.objects.get(expert=expert)
    assert contact.phone not in text and contact.email not in text


@pytest.mark.parametrize("query", ['"', "*", "-", "NEAR", "OR", "😀", "가" * 10_000])
def test_cli_accepts_any_query(query):
    assert isinstance(run_search("--json", query), list)


def test_cli_refuses_a_bad_limit():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("search", "--json", "용접", "--limit", "0")


def test_facet_labels_name_institutes_regions_kinds_and_sections(corpus, institute):
    facets = selectors.search_facets(user=None, query="잠수정")
    labels = selectors.facet_labels(facets)
    etri = institute("ETRI")
    assert labels["institute"][str(etri.pk)] == "한국전자통신연구원"
    assert labels["region"][etri.sido_id] == "대전광역시"
    assert labels["kind"]["technology"] == "기술"
    assert labels["ipc"]["G"].startswith("G ")
    assert labels["status"]["applied"] == "출원"
