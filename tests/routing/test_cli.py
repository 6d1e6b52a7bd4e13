"""``dure route``: the CLI contract the evaluators use."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dure.routing.profiles import reference_institutes

from .conftest import write_profile

ALL = sorted(r.acronym for r in reference_institutes())
DURE = Path(sys.executable).parent / "dure"


def run(*args: str, stdin: str | None = None) -> str:
    out = io.StringIO()
    extra = {"input_stream": io.StringIO(stdin)} if stdin is not None else {}
    call_command("route", *args, stdout=out, **extra)
    return out.getvalue()


@pytest.mark.django_db
def test_json_prints_every_institute_best_first(tiny_profiles):
    # when
    output = run("--json", "말로 주문을 받는 키오스크를 만들고 싶어요")
    # then
    ranking = json.loads(output)
    assert isinstance(ranking, list)
    assert sorted(item["institute"] for item in ranking) == ALL
    assert ranking[0]["institute"] == "ETRI"
    scores = [item["score"] for item in ranking]
    assert scores == sorted(scores, reverse=True)
    assert set(ranking[0]) >= {"institute", "score", "name", "evidence"}
    assert set(ranking[0]["evidence"]) == {"terms", "sentences", "examples"}
    assert "\\u" not in output  # Korean as itself
    assert ranking[0]["name"] == "한국전자통신연구원" and "한국전자통신연구원" in output


@pytest.mark.django_db
def test_json_with_a_limit_and_words_given_as_separate_arguments(tiny_profiles):
    ranking = json.loads(run("--json", "--limit", "2", "떡이", "금방", "굳어요"))
    assert [item["institute"] for item in ranking][:1] == ["KFRI"]
    assert len(ranking) == 2


@pytest.mark.django_db
def test_the_table_is_for_people(tiny_profiles):
    output = run("--limit", "3", "떡이 금방 굳어요")
    lines = output.rstrip("\n").splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(" 1. KFRI") and "한국식품연구원" in lines[0]


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   "])
def test_an_empty_text_is_a_clear_error(tiny_profiles, text):
    with pytest.raises(CommandError, match="내용을 입력해 주세요"):
        run("--json", text)


@pytest.mark.django_db
def test_stdin_answers_every_line_in_order_and_reports_bad_ones(tiny_profiles):
    # given
    lines = [
        json.dumps({"id": 1, "text": "떡이 금방 굳어요"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "b", "text": ""}),
        json.dumps({"id": "c"}),
        json.dumps(["a", "list"]),
        "",
        json.dumps({"id": "d", "text": "가" * 10_001}),
        json.dumps({"id": "e", "text": 12}),
        json.dumps(
            {"id": {"nested": True}, "text": "창고 구석에서 무선 신호가 끊겨요"}, ensure_ascii=False
        ),
    ]
    # when
    output = run("--stdin", stdin="\n".join(lines) + "\n")
    # then
    results = [json.loads(line) for line in output.strip().splitlines()]
    assert [r.get("id") for r in results] == [1, None, "b", "c", None, "d", "e", {"nested": True}]
    good = [r for r in results if "ranking" in r]
    assert [r["ranking"][0]["institute"] for r in good] == ["KFRI", "ETRI"]
    for r in good:
        assert sorted(item["institute"] for item in r["ranking"]) == ALL
        assert all(set(item) == {"institute", "score"} for item in r["ranking"])
        assert "error" not in r
    bad = [r for r in results if "ranking" not in r]
    assert len(bad) == 6
    assert all(isinstance(r["error"], str) and r["error"] for r in bad)
    assert [r["code"] for r in bad] == [
        "invalid",
        "required",
        "required",
        "invalid",
        "max_length",
        "invalid",
    ]


@pytest.mark.django_db
def test_stdin_with_evidence_and_a_limit(tiny_profiles):
    output = run(
        "--stdin", "--limit", "2", "--evidence", stdin='{"id": 5, "text": "떡이 굳어요"}\n'
    )
    result = json.loads(output)
    assert result["id"] == 5
    assert len(result["ranking"]) == 2
    assert set(result["ranking"][0]["evidence"]) == {"terms", "sentences", "examples"}


def test_text_and_stdin_together_are_refused(tiny_profiles):
    with pytest.raises(CommandError, match="either"):
        run("--stdin", "떡", stdin="")


def test_a_bad_limit_is_refused(tiny_profiles):
    with pytest.raises(CommandError, match="--limit"):
        run("--json", "--limit", "0", "떡")


def test_a_broken_profile_is_reported_without_a_traceback(tmp_path, settings):
    write_profile(tmp_path, "NOPE", 'acronym = "NOPE"')
    settings.ROUTING_PROFILES_DIR = tmp_path
    with pytest.raises(CommandError, match="unknown institute acronym 'NOPE'"):
        run("--json", "떡")


def test_the_installed_command_works_on_a_database_that_was_never_migrated(tmp_path):
    """A real ``dure`` process on an empty var dir: profiles only, JSON out, no traceback."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DURE_TESTING",)}
    environment.update({"DURE_VAR_DIR": str(tmp_path / "var"), "PYTHONIOENCODING": "ascii"})
    result = subprocess.run(  # noqa: S603 - our own CLI with fixed arguments
        [str(DURE), "route", "--json", "--limit", "3", "주물 부품 속에 구멍이 생겨요"],
        capture_output=True,
        env=environment,
        timeout=120,
        check=False,
    )
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, stderr
    assert "Traceback" not in stderr
    output = result.stdout.decode("utf-8")  # UTF-8 whatever the environment asks for
    ranking = json.loads(output)
    assert len(ranking) == 3
    assert all(item["institute"] in ALL and 0 <= item["score"] <= 1 for item in ranking)
    assert "연구원" in output
