"""The recommender's contract and its learning from staff decisions, on a tiny profile set."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dure.routing import services, vectors
from dure.routing.engine import Ranker
from dure.routing.models import RoutingExample
from dure.routing.profiles import reference_institutes

ALL = [r.acronym for r in reference_institutes()]


def rank_of(ranking, acronym: str) -> int:
    return [r.institute for r in ranking].index(acronym) + 1


def score_of(ranking, acronym: str) -> float:
    return next(r.score for r in ranking if r.institute == acronym)


# --- the contract ---------------------------------------------------------------------------------


def test_every_institute_appears_once_best_first_with_a_score_in_range(tiny_profiles):
    ranking = services.recommend("용접한 부분이 자꾸 깨져요", include_examples=False)
    assert sorted(r.institute for r in ranking) == sorted(ALL)
    scores = [r.score for r in ranking]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert sum(scores) == pytest.approx(1.0, abs=0.01)
    assert all(isinstance(s, float) for s in scores)


def test_the_ranking_is_deterministic(tiny_profiles):
    first = services.recommend("떡이 금방 굳어요", include_examples=False)
    second = services.recommend("떡이 금방 굳어요", include_examples=False)
    assert [(r.institute, r.score, r.evidence) for r in first] == [
        (r.institute, r.score, r.evidence) for r in second
    ]


def test_ties_are_broken_by_acronym(tiny_profiles):
    # given: a request that matches nothing (no terms, a zero vector), the classifier off
    index = services.profile_index()
    ranker = Ranker(index, method=replace(index.method, w_clf=0.0))
    # when
    ranking = ranker.rank(np.zeros(vectors.DIM, dtype=np.float32), [])
    # then: every institute ties, in acronym order
    assert [r.institute for r in ranking] == sorted(ALL)
    assert len({r.score for r in ranking}) == 1


def test_limit_keeps_the_best(tiny_profiles):
    full = services.recommend("떡이 금방 굳어요", include_examples=False)
    top = services.recommend("떡이 금방 굳어요", limit=3, include_examples=False)
    assert [r.institute for r in top] == [r.institute for r in full[:3]]


def test_everyday_language_lands_on_the_institute_whose_profile_describes_it(tiny_profiles):
    """No word of these requests is in the field lists; the profiles' problems carry them."""
    cases = {
        "김밥 속 재료가 반나절 만에 쉬어서 시큼한 냄새가 나요": "KFRI",
        "찍어낸 플라스틱 케이스 겉면에 물결 같은 자국이 남아요": "KITECH",
        "물류 창고 구석에 가면 와이파이가 안 잡혀요": "ETRI",
    }
    for text, expected in cases.items():
        ranking = services.recommend(text, include_examples=False)
        assert ranking[0].institute == expected, (text, [r.institute for r in ranking[:3]])


def test_evidence_has_matched_terms_and_the_most_similar_profile_sentences(tiny_profiles):
    best = services.recommend("용접한 자리가 갈라져서 반품이 와요", include_examples=False)[0]
    assert best.institute == "KITECH"
    assert "용접" in best.evidence["terms"]
    assert "갈라지" in best.evidence["terms"] or "자리" in best.evidence["terms"]
    top_sentence = best.evidence["sentences"][0]
    assert top_sentence == {
        "kind": "problem",
        "text": "용접한 자리가 자꾸 갈라집니다.",
        "similarity": top_sentence["similarity"],
    }
    similarities = [s["similarity"] for s in best.evidence["sentences"]]
    assert similarities == sorted(similarities, reverse=True)
    assert best.evidence["examples"] == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "required"),
        ("   \n ", "required"),
        ("가" * 10_001, "max_length"),
        (None, "required"),
        (17, "invalid"),
    ],
)
def test_empty_or_too_long_text_is_refused(tiny_profiles, text, code):
    with pytest.raises(ValidationError) as excinfo:
        services.recommend(text)
    assert excinfo.value.error_dict["text"][0].code == code


def test_ten_thousand_characters_are_accepted(tiny_profiles):
    ranking = services.recommend("용접 " * 3333 + "용", limit=1, include_examples=False)
    assert len(ranking) == 1


@pytest.mark.parametrize("limit", [0, -1, True, 2.5])
def test_a_bad_limit_is_refused(tiny_profiles, limit):
    with pytest.raises(ValidationError):
        services.recommend("용접", limit=limit)


# --- learning from staff decisions ----------------------------------------------------------------


SIMILAR_PAST_CASES = [
    "비닐하우스 안이 한낮에 너무 더워져서 작물이 시들어요.",
    "여름에 온실 온도가 너무 올라가서 모종이 말라 죽어요.",
]
NEW_REQUEST = "한여름 비닐하우스 안 온도가 지나치게 높아져 채소가 시들해집니다."


@pytest.mark.django_db
def test_recorded_staff_decisions_raise_that_institute_for_a_similar_new_request(
    tiny_profiles, users
):
    # given: no profile in the test set speaks of greenhouses; KIER is not first
    without_examples = services.recommend(NEW_REQUEST, include_examples=False)
    before = services.recommend(NEW_REQUEST)
    assert rank_of(before, "KIER") > 1
    # when: staff routed two similar cases to KIER
    for number, text in enumerate(SIMILAR_PAST_CASES, start=1):
        services.routing_example_record(
            actor=users["center"],
            text=text,
            institutes=["KIER"],
            source="test.case",
            source_id=number,
        )
    after = services.recommend(NEW_REQUEST)
    # then
    assert after[0].institute == "KIER"
    assert score_of(after, "KIER") > score_of(before, "KIER")
    evidence = [e for e in after[0].evidence["examples"] if e["source"] == "test.case"]
    assert {e["source_id"] for e in evidence} == {"1", "2"}
    assert all(e["institutes"] == ["KIER"] for e in evidence)
    # and the examples can be left out
    assert services.recommend(NEW_REQUEST, include_examples=False) == without_examples


@pytest.mark.django_db
def test_an_unrelated_example_does_not_move_the_ranking(tiny_profiles, users):
    before = services.recommend("떡이 하룻밤 지나면 딱딱해져요")
    services.routing_example_record(
        actor=users["center"],
        text="위성 영상으로 산불 피해 면적을 계산하고 싶어요.",
        institutes=["KARI"],
        source="test.case",
        source_id=7,
    )
    after = services.recommend("떡이 하룻밤 지나면 딱딱해져요")
    assert [r.institute for r in after[:3]] == [r.institute for r in before[:3]]
    assert after[0].institute == "KFRI"


@pytest.mark.django_db
def test_a_changed_decision_replaces_the_earlier_one(tiny_profiles, users):
    from dure.core.models import AuditEvent

    # given
    first = services.routing_example_record(
        actor=users["center"],
        text=SIMILAR_PAST_CASES[0],
        institutes=["KIER"],
        source="test.case",
        source_id=17,
    )
    # when: staff override the lead institute of the same case
    second = services.routing_example_record(
        actor=users["admin"],
        text=SIMILAR_PAST_CASES[0],
        institutes=["KIST", "KIER", "KIST"],
        source="test.case",
        source_id="17",
    )
    # then
    assert second.pk == first.pk
    assert RoutingExample.objects.filter(source="test.case", source_id="17").count() == 1
    second.refresh_from_db()
    assert second.institutes == ["KIST", "KIER"]
    assert second.actor == users["admin"]
    events = AuditEvent.objects.filter(
        action="routing.example.record", object_id=str(first.pk)
    ).order_by("id")
    assert [e.changes.get("institutes") for e in events] == [
        [None, ["KIER"]],
        [["KIER"], ["KIST", "KIER"]],
    ]
    ranking = services.recommend(SIMILAR_PAST_CASES[0])
    kist = next(r for r in ranking if r.institute == "KIST")
    assert kist.evidence["examples"][0]["id"] == first.pk


@pytest.mark.django_db
def test_the_stored_embedding_is_portable_bytes(tiny_profiles, users):
    from dure.routing import vectors

    example = services.routing_example_record(
        actor=users["center"],
        text="떡이 굳어요",
        institutes=["KFRI"],
        source="test.case",
        source_id=1,
    )
    example.refresh_from_db()
    vector = vectors.from_bytes(example.embedding)
    assert vector.shape == (vectors.DIM,)
    assert float((vector**2).sum()) == pytest.approx(1.0, abs=0.01)
    assert example.embedding_model == vectors.EXAMPLE_MODEL_ID


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["sme", "coop", "member", "supplier"])
def test_only_staff_record_decisions(tiny_profiles, users, role):
    before = RoutingExample.objects.count()
    with pytest.raises(PermissionDenied):
        services.routing_example_record(
            actor=users[role],
            text="떡이 굳어요",
            institutes=["KFRI"],
            source="test.case",
            source_id=1,
        )
    assert RoutingExample.objects.count() == before


@pytest.mark.django_db
def test_institute_staff_may_record_decisions(tiny_profiles, users):
    example = services.routing_example_record(
        actor=users["researcher"],
        text="떡이 굳어요",
        institutes=["KFRI"],
        source="test.case",
        source_id=1,
    )
    assert example.actor == users["researcher"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"institutes": []}, "institutes"),
        ({"institutes": ["KITEC"]}, "institutes"),
        ({"institutes": [""]}, "institutes"),
        ({"text": " "}, "text"),
        ({"text": "가" * 10_001}, "text"),
        ({"source": ""}, "source"),
        ({"source": "Desk Case"}, "source"),
        ({"source_id": ""}, "source_id"),
        ({"source_id": None}, "source_id"),
        ({"source_id": "9" * 65}, "source_id"),
    ],
)
def test_bad_decisions_are_refused_and_nothing_is_written(tiny_profiles, users, changes, field):
    from dure.core.models import AuditEvent

    data = {
        "text": "떡이 굳어요",
        "institutes": ["KFRI"],
        "source": "test.case",
        "source_id": 1,
        **changes,
    }
    audit_before = AuditEvent.objects.count()
    examples_before = RoutingExample.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        services.routing_example_record(actor=users["center"], **data)
    assert field in excinfo.value.error_dict
    assert RoutingExample.objects.count() == examples_before
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.django_db
def test_a_forgotten_decision_no_longer_counts(tiny_profiles, users):
    example = services.routing_example_record(
        actor=users["center"],
        text=SIMILAR_PAST_CASES[0],
        institutes=["KIER"],
        source="test.case",
        source_id=3,
    )
    assert services.recommend(SIMILAR_PAST_CASES[0])[0].institute == "KIER"
    assert services.routing_example_delete(actor=users["center"], source="test.case", source_id=3)
    assert not services.routing_example_delete(
        actor=users["center"], source="test.case", source_id=3
    )
    ranking = services.recommend(SIMILAR_PAST_CASES[0])
    assert not RoutingExample.objects.filter(pk=example.pk).exists()
    assert all(e["id"] != example.pk for r in ranking for e in r.evidence["examples"])


@pytest.mark.django_db
def test_past_examples_are_reloaded_incrementally(tiny_profiles, users, monkeypatch):
    from dure.routing import tokens

    # given: the examples as loaded now
    services.current_examples()
    analysed: list[str] = []
    real = tokens.analyse
    monkeypatch.setattr(tokens, "analyse", lambda texts: analysed.extend(texts) or real(texts))
    # when: one decision is recorded, then changed
    services.routing_example_record(
        actor=users["center"],
        text="떡이 굳어요",
        institutes=["KFRI"],
        source="test.case",
        source_id=1,
    )
    first = {e.id: e for e in services.current_examples()}
    services.routing_example_record(
        actor=users["center"],
        text="떡이 딱딱해요",
        institutes=["KFRI"],
        source="test.case",
        source_id=1,
    )
    second = {e.id: e for e in services.current_examples()}
    # then: only that example was analysed again; the others were kept as they were
    assert analysed == ["떡이 굳어요", "떡이 딱딱해요"]
    assert set(first) == set(second) == set(RoutingExample.objects.values_list("id", flat=True))
    changed = RoutingExample.objects.get(source="test.case", source_id="1").pk
    assert second[changed].text == "떡이 딱딱해요"
    assert all(second[pk] is first[pk] for pk in first if pk != changed)
