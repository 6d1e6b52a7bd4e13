"""``dure assembly-check --stdin``: one JSON line out per JSON line in, same id, never a crash."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

FIELDS = [
    "id",
    "quorum",
    "required_present",
    "resolution",
    "required_yes",
    "notice_ok",
    "passed",
    "errors",
    "explanation",
]


def run(stdin: str) -> list[dict]:
    out = io.StringIO()
    call_command("assembly_check", "--stdin", input_stream=io.StringIO(stdin), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def line(**fields) -> str:
    base = {
        "kind": "general",
        "members": 10,
        "present": 7,
        "yes": 4,
        "no": 3,
        "abstain": 0,
        "matter": "budget",
    }
    base.update(fields)
    return json.dumps(base, ensure_ascii=False)


def one(**fields) -> dict:
    [result] = run(line(**fields) + "\n")
    assert list(result) == FIELDS
    return result


def test_the_issues_example_ten_members_seven_present():
    ordinary = one(id="o", matter="budget", yes=4, no=3)
    assert ordinary == {
        **ordinary,
        "id": "o",
        "quorum": True,
        "required_present": 6,
        "resolution": "ordinary",
        "required_yes": 4,
        "notice_ok": None,
        "passed": True,
        "errors": [],
    }
    special = one(id="s", matter="articles_amendment", yes=4, no=3)
    assert (special["resolution"], special["required_yes"], special["passed"]) == (
        "special",
        5,
        False,
    )
    assert "출석 7명 중 찬성 4명 < 2/3(5명) → 부결" in special["explanation"]


def test_exactly_half_present_fails_the_quorum():
    result = one(present=5, yes=5, no=0)
    assert (result["quorum"], result["required_present"], result["passed"]) == (False, 6, False)


def test_two_thirds_exactly_passes_a_special_resolution():
    result = one(present=9, yes=6, no=3, matter="dissolution")
    assert (result["required_yes"], result["passed"]) == (6, True)


def test_abstentions_count_as_present_not_yes():
    assert one(present=7, yes=3, no=1, abstain=3)["passed"] is False
    assert one(present=7, yes=4, no=0, abstain=3)["passed"] is True


@pytest.mark.parametrize(("notice", "ok"), [("2025-07-23", True), ("2025-07-24", False)])
def test_notice_day_8_before_is_in_time_and_day_7_before_is_late(notice, ok):
    result = one(meeting_date="2025-07-31", notice_date=notice)
    assert result["notice_ok"] is ok
    assert result["passed"] is ok
    assert bool(result["errors"]) is not ok


@pytest.mark.parametrize(("notice", "ok"), [("2025-07-20", True), ("2025-07-21", False)])
def test_expulsion_needs_ten_days_notice_of_the_reasons(notice, ok):
    result = one(
        matter="expulsion",
        yes=5,
        no=2,
        meeting_date="2025-07-31",
        notice_date="2025-07-20",
        expulsion_notice_date=notice,
    )
    assert (result["notice_ok"], result["passed"]) == (ok, ok)


@pytest.mark.parametrize(("total", "ok"), [(200, False), (201, True)])
def test_delegate_assembly_needs_more_than_200_members(total, ok):
    result = one(kind="delegate", members=30, total_members=total, present=16, yes=9, no=7)
    assert result["required_present"] == 16
    assert result["passed"] is ok
    assert bool(result["errors"]) is not ok


def test_delegate_assembly_cannot_decide_a_merger():
    result = one(
        kind="delegate", members=60, total_members=500, present=60, yes=60, no=0, matter="merger"
    )
    assert result["passed"] is False
    assert result["errors"]


def test_founding_meeting_needs_five_founders_and_two_thirds():
    ok = one(kind="founding", members=20, founders=5, present=11, yes=8, no=3, matter=None)
    assert (ok["required_present"], ok["required_yes"], ok["passed"]) == (11, 8, True)
    few = one(kind="founding", members=20, founders=4, present=11, yes=11, no=0, matter=None)
    assert few["passed"] is False and few["errors"]


def test_board_is_majority_of_majority():
    result = one(kind="board", members=5, present=3, yes=2, no=1, matter=None)
    assert (result["required_present"], result["required_yes"], result["passed"]) == (3, 2, True)


def test_every_line_gets_exactly_one_answer_in_order_even_bad_ones():
    lines = [
        line(id=1),
        "this is not json",
        '{"id": 3, "kind": "general", "members": 10}',
        "[1, 2, 3]",
        line(id=5, members=-1),
        line(id=6, present=7.5),
        line(id=7, yes="4"),
        line(id=8, kind="annual"),
        line(id=9, matter="party"),
        line(id=10, present=11, yes=6, no=5),
        line(id=11, yes=5, no=3, abstain=1),
        line(id=12, meeting_date="2025-31-07"),
        '{"id": 13, "kind": "general", "members": 10, "present": 7, "yes": 4, "no": 3',
        line(id=14, yes=True),
        "null",
        '"just a string"',
        line(id=17),
    ]
    results = run("\n".join(lines) + "\n")
    assert len(results) == len(lines)
    assert [r["id"] for r in results] == [
        1, None, 3, None, 5, 6, 7, 8, 9, 10, 11, 12, None, 14, None, None, 17,
    ]  # fmt: skip
    assert [r["passed"] for r in results] == [True] + [False] * 15 + [True]
    for result in results[1:-1]:
        assert result["errors"], result
        assert list(result) == FIELDS


def test_blank_lines_are_skipped():
    results = run("\n" + line(id=1) + "\n   \n\n" + line(id=2) + "\n")
    assert [r["id"] for r in results] == [1, 2]


def test_ids_of_any_json_type_come_back_unchanged():
    ids = ["a-1", 7, None, "조합 총회 1", {"x": 1}]
    results = run("\n".join(line(id=i) for i in ids) + "\n")
    assert [r["id"] for r in results] == ids


def test_a_line_without_id_gets_null():
    base = json.loads(line())
    [result] = run(json.dumps(base) + "\n")
    assert result["id"] is None and result["passed"] is True


def test_empty_input_prints_nothing():
    assert run("") == []


def test_json_objects_can_be_given_as_arguments():
    out = io.StringIO()
    call_command("assembly_check", line(id="arg"), stdout=out)
    assert json.loads(out.getvalue())["id"] == "arg"


def test_no_input_at_all_is_a_usage_error():
    with pytest.raises(CommandError):
        call_command("assembly_check", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command(
            "assembly_check", "--stdin", line(), input_stream=io.StringIO(""), stdout=io.StringIO()
        )


def test_the_real_command_reads_stdin_bytes_and_survives_invalid_utf8():
    """Through ``python -m dure`` with a real pipe, as the evaluation runs it."""
    stdin = (
        line(id="a").encode()
        + b"\n\xff\xfe not utf-8\n"
        + b'{"id": "\\ud800", "kind": "x"}\n'
        + line(id="한글", matter="merger", yes=5, no=2).encode()
        + b"\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dure.settings"}
    done = subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "dure", "assembly-check", "--stdin"],
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    results = [json.loads(text) for text in done.stdout.decode("utf-8").splitlines()]
    assert [r["id"] for r in results] == ["a", None, "\ud800", "한글"]
    assert [r["passed"] for r in results] == [True, False, False, True]
    assert "UTF-8" in results[1]["errors"][0]
