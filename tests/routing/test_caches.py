"""The profile vector and token caches, and ``dure route-build``."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.management import call_command

from dure.routing import services, tokens, vectors
from dure.routing.profiles import load_institutes


@pytest.fixture
def count_embeddings(monkeypatch):
    calls: list[tuple[str, int]] = []
    real = vectors.embed

    def counting(texts, mode):
        calls.append((mode, len(texts)))
        return real(texts, mode)

    monkeypatch.setattr(vectors, "embed", counting)
    return calls


def test_vectors_are_computed_once_then_read_from_the_runtime_cache(tmp_path, count_embeddings):
    # given: no committed file
    keys = ["passage: 주조", "query: 떡이 굳어요"]
    committed = tmp_path / "none.npz"
    # when
    first = vectors.vectors_for(keys, committed=committed)
    second = vectors.vectors_for(keys, committed=committed)
    # then
    assert count_embeddings == [("passage", 1), ("query", 1)]
    assert first.shape == (2, vectors.DIM) and first.dtype == np.float32
    np.testing.assert_allclose(first, second, atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-2)


def test_after_an_edit_only_the_new_sentences_are_embedded(tmp_path, count_embeddings):
    committed = tmp_path / "profile_vectors.npz"
    vectors.build(["passage: 주조", "passage: 금형"], path=committed)
    assert vectors.committed_hash(committed) == vectors.keys_hash(
        ["passage: 주조", "passage: 금형"]
    )
    count_embeddings.clear()
    # when
    result = vectors.vectors_for(["passage: 금형", "passage: 용접"], committed=committed)
    # then
    assert count_embeddings == [("passage", 1)]
    assert result.shape == (2, vectors.DIM)


def test_a_matching_committed_file_is_used_as_is(tmp_path, count_embeddings):
    committed = tmp_path / "profile_vectors.npz"
    keys = ["passage: 주조", "query: 쇳물 부은 부품에 구멍이 생겨요"]
    vectors.build(keys, path=committed)
    count_embeddings.clear()
    vectors.vectors_for(keys, committed=committed)
    assert count_embeddings == []
    assert not list(vectors.cache_dir().glob(f"profile_vectors-{vectors.keys_hash(keys)[:24]}*"))


def test_a_corrupt_cache_file_is_ignored(tmp_path, count_embeddings):
    committed = tmp_path / "profile_vectors.npz"
    committed.write_bytes(b"not a zip file")
    result = vectors.vectors_for(["passage: 주조"], committed=committed)
    assert result.shape == (1, vectors.DIM)
    assert count_embeddings == [("passage", 1)]


def test_vectors_round_trip_through_bytes():
    vector = vectors.embed_queries(["떡이 굳어요"])[0]
    data = vectors.to_bytes(vector)
    assert isinstance(data, bytes) and len(data) == 2 * vectors.DIM
    np.testing.assert_allclose(vectors.from_bytes(memoryview(data)), vector, atol=1e-3)


def test_tokens_are_cached_and_a_changed_analysis_is_not_trusted(tmp_path, monkeypatch):
    texts = ["주물에 구멍이 생겨요", "용접"]
    committed = tmp_path / "profile_tokens.json"
    tokens.build(texts, path=committed)
    assert tokens.is_current(texts, committed)
    monkeypatch.setattr(tokens, "analyse", lambda _texts: pytest.fail("analysed again"))
    assert tokens.tokens_for(texts, committed=committed)[1] == ["용접"]
    # when the analysis changes, the file no longer matches
    monkeypatch.setattr(tokens, "analysis_signature", lambda: "another analysis")
    assert not tokens.is_current(texts, committed)


def test_route_build_writes_files_that_route_build_check_accepts(
    tmp_path, tiny_profiles, monkeypatch
):
    # given
    monkeypatch.setattr(vectors, "COMMITTED_FILE", tmp_path / "v.npz")
    monkeypatch.setattr(tokens, "COMMITTED_FILE", tmp_path / "t.json")
    with pytest.raises(SystemExit) as excinfo:
        call_command("route_build", "--check", stdout=io.StringIO(), stderr=io.StringIO())
    assert excinfo.value.code == 1
    # when
    out = io.StringIO()
    call_command("route_build", stdout=out)
    # then
    assert "25 institutes, 3 with a profile" in out.getvalue()
    check = io.StringIO()
    call_command("route_build", "--check", stdout=check)
    assert "up to date" in check.getvalue()


def test_the_committed_vectors_and_tokens_match_the_shipped_profiles():
    """After editing a profile, run ``dure route-build`` (the recommender would otherwise embed
    the changed sentences at every start in a fresh environment)."""
    institutes = load_institutes()
    keys = services.unit_keys(institutes)
    assert vectors.committed_hash() == vectors.keys_hash(keys), "run `dure route-build`"
    assert tokens.is_current(services.token_texts(institutes)), "run `dure route-build`"


def test_old_runtime_caches_are_pruned(tmp_path):
    committed = tmp_path / "none.npz"
    for word in ("주조", "금형", "용접", "도금", "단조"):
        vectors.vectors_for([f"passage: {word}"], committed=committed)
    assert len(list(vectors.cache_dir().glob("profile_vectors-*.npz"))) <= 3
