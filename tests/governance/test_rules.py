"""The rules of the Framework Act on Cooperatives, one boundary at a time (pure functions, no
database)."""

from __future__ import annotations

import datetime as dt

import pytest

from dure.governance import rules
from dure.governance.rules import CheckInput

JULY_31 = dt.date(2025, 7, 31)


def item(**overrides) -> CheckInput:
    base = {
        "id": "t",
        "kind": "general",
        "members": 10,
        "present": 7,
        "yes": 4,
        "no": 3,
        "abstain": 0,
        "matter": "budget",
    }
    base.update(overrides)
    return CheckInput(**base)


# --- matters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("matter", sorted(rules.ORDINARY_MATTERS))
def test_ordinary_matters_need_an_ordinary_resolution(matter):
    assert rules.resolution_for(matter) == "ordinary"


@pytest.mark.parametrize("matter", sorted(rules.SPECIAL_MATTERS))
def test_special_matters_of_article_29_need_a_special_resolution(matter):
    assert rules.resolution_for(matter) == "special"


def test_officer_election_is_an_ordinary_resolution():
    assert rules.resolution_for("officer_election") == "ordinary"


def test_matter_sets_are_disjoint_and_all_have_korean_labels():
    assert not rules.ORDINARY_MATTERS & rules.SPECIAL_MATTERS
    assert set(rules.MATTER_LABELS) == rules.ORDINARY_MATTERS | rules.SPECIAL_MATTERS
    assert all(str(label) for label in rules.MATTER_LABELS.values())


@pytest.mark.parametrize("matter", ["", "Budget", "suspension", "  budget"])
def test_unknown_matter_is_a_value_error_in_korean(matter):
    with pytest.raises(ValueError, match="알 수 없는 안건 종류"):
        rules.resolution_for(matter)


# --- quorum ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "needed"),
    [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (9, 5), (10, 6), (11, 6), (200, 101), (201, 101)],
)
@pytest.mark.parametrize("kind", rules.KINDS)
def test_quorum_is_more_than_half_for_every_kind_of_meeting(kind, members, needed):
    assert rules.required_present(kind, members) == needed


def test_ten_members_need_six_present_and_exactly_half_is_not_a_quorum():
    assert rules.check(item(members=10, present=6, yes=4, no=2)).quorum is True
    result = rules.check(item(members=10, present=5, yes=5, no=0))
    assert result.quorum is False
    assert result.required_present == 6
    assert result.passed is False
    assert "정확히 절반은 과반수가 아닙니다" in result.explanation


def test_unknown_kind_is_a_value_error():
    with pytest.raises(ValueError, match="알 수 없는 회의 종류"):
        rules.required_present("annual", 10)
    with pytest.raises(ValueError):
        rules.required_yes("annual", "ordinary", 10)


# --- majorities ------------------------------------------------------------------------------------


def test_seven_present_need_four_yes_for_ordinary_and_five_for_special():
    assert rules.required_yes("general", "ordinary", 7) == 4
    assert rules.required_yes("general", "special", 7) == 5


@pytest.mark.parametrize(
    ("present", "ordinary", "special"),
    [(1, 1, 1), (2, 2, 2), (3, 2, 2), (4, 3, 3), (5, 3, 4), (6, 4, 4), (7, 4, 5), (9, 5, 6)],
)
def test_majorities_for_small_meetings(present, ordinary, special):
    assert rules.required_yes("general", "ordinary", present) == ordinary
    assert rules.required_yes("general", "special", present) == special
    assert rules.required_yes("delegate", "ordinary", present) == ordinary
    assert rules.required_yes("delegate", "special", present) == special


def test_exactly_two_thirds_passes_a_special_resolution_and_one_less_fails():
    passed = rules.check(item(present=9, yes=6, no=3, matter="articles_amendment"))
    assert passed.required_yes == 6 and passed.passed is True
    failed = rules.check(item(present=9, yes=5, no=4, matter="articles_amendment"))
    assert failed.passed is False
    assert "출석 9명 중 찬성 5명 < 2/3(6명) → 부결" in failed.explanation


def test_exactly_half_of_those_present_does_not_carry_an_ordinary_resolution():
    result = rules.check(item(members=10, present=8, yes=4, no=4))
    assert result.required_yes == 5
    assert result.passed is False


def test_abstentions_count_as_present_but_not_as_yes():
    # 7 present, 4 yes, 3 abstain: 4 ≥ 4 passes an ordinary resolution …
    assert rules.check(item(present=7, yes=4, no=0, abstain=3)).passed is True
    # … but 3 yes with 1 no and 3 abstentions does not (abstentions are not yes).
    result = rules.check(item(present=7, yes=3, no=1, abstain=3))
    assert result.passed is False
    assert "기권 3명은 출석으로 세지만 찬성으로 세지 않습니다" in result.explanation


def test_present_who_did_not_vote_are_not_counted_as_yes():
    result = rules.check(item(present=7, yes=3, no=0, abstain=0))
    assert result.passed is False
    assert "표결하지 않은 4명" in result.explanation


def test_founding_meeting_needs_two_thirds_whatever_the_matter():
    assert rules.required_yes("founding", "ordinary", 7) == 5
    assert rules.required_yes("founding", "special", 7) == 5
    result = rules.check(item(kind="founding", members=20, present=11, yes=7, no=4, matter=None))
    assert (result.quorum, result.required_present, result.required_yes) == (True, 11, 8)
    assert result.resolution == "special"
    assert result.passed is False
    assert rules.check(
        item(kind="founding", members=20, present=11, yes=8, no=3, matter="other")
    ).passed


def test_board_needs_a_majority_present_and_a_majority_of_those_present():
    assert rules.required_yes("board", "special", 5) == 3
    result = rules.check(item(kind="board", members=5, present=3, yes=2, no=1, matter=None))
    assert (result.quorum, result.required_present, result.required_yes) == (True, 3, 2)
    assert result.resolution == "ordinary"
    assert result.passed is True
    assert (
        rules.check(item(kind="board", members=6, present=3, yes=3, no=0, matter=None)).quorum
        is False
    )


def test_board_with_fewer_than_three_directors_is_refused():
    result = rules.check(item(kind="board", members=2, present=2, yes=2, no=0, matter=None))
    assert result.passed is False
    assert any("이사 3명 이상" in e for e in result.errors)


def test_effective_resolution():
    assert rules.effective_resolution("general", "merger") == "special"
    assert rules.effective_resolution("delegate", "budget") == "ordinary"
    assert rules.effective_resolution("founding", "budget") == "special"
    assert rules.effective_resolution("board", "merger") == "ordinary"
    with pytest.raises(ValueError):
        rules.effective_resolution("general", None)


def test_bad_resolution_is_a_value_error():
    with pytest.raises(ValueError, match="ordinary 또는 special"):
        rules.required_yes("general", "unanimous", 5)
    with pytest.raises(ValueError):
        rules.explain_vote(5, 3, "x")


# --- explanations ----------------------------------------------------------------------------------


def test_explain_vote_spells_out_the_arithmetic():
    assert rules.explain_vote(7, 5, "special") == "출석 7명 중 찬성 5명 ≥ 2/3(5명) → 가결"
    assert rules.explain_vote(7, 4, "special") == "출석 7명 중 찬성 4명 < 2/3(5명) → 부결"
    assert rules.explain_vote(7, 4, "ordinary") == "출석 7명 중 찬성 4명 ≥ 과반수(4명) → 가결"
    assert rules.explain_vote(8, 4, "ordinary") == "출석 8명 중 찬성 4명 < 과반수(5명) → 부결"


def test_explain_quorum_names_who_counts():
    assert rules.explain_quorum("general", 10, 6) == "조합원 10명 중 출석 6명 ≥ 과반수(6명) → 성원"
    assert rules.explain_quorum("delegate", 30, 15) == (
        "대의원 30명 중 출석 15명 < 과반수(16명) → 성원 미달"
    )
    assert rules.explain_quorum("founding", 9, 5).startswith("설립동의자 9명")
    assert rules.explain_quorum("board", 5, 3).startswith("이사 5명")


def test_check_explanation_is_korean_and_complete():
    result = rules.check(
        item(
            present=7,
            yes=5,
            no=1,
            abstain=1,
            matter="expulsion",
            meeting_date=JULY_31,
            notice_date=dt.date(2025, 7, 23),
            expulsion_notice_date=dt.date(2025, 7, 20),
        )
    )
    assert result.passed is True
    text = result.explanation
    for words in (
        "조합원 10명 중 출석 7명 ≥ 과반수(6명) → 성원",
        "조합원 제명",
        "특별결의",
        "출석 7명 중 찬성 5명 ≥ 2/3(5명) → 가결",
        "소집 통지 2025-07-23 ≤ 기한 2025-07-23",
        "제명 사유 통지 2025-07-20 ≤ 기한 2025-07-20",
        "결과: 가결",
    ):
        assert words in text


# --- notices ---------------------------------------------------------------------------------------


def test_notice_for_a_meeting_on_31_july_must_go_out_by_23_july():
    assert rules.latest_notice_date(JULY_31) == dt.date(2025, 7, 23)
    assert rules.latest_notice_date(JULY_31, 7) == dt.date(2025, 7, 23)


def test_expulsion_notice_for_a_meeting_on_31_july_must_go_out_by_20_july():
    assert rules.latest_notice_date(JULY_31, 10) == dt.date(2025, 7, 20)


def test_notice_on_day_8_before_is_in_time_and_on_day_7_before_is_late():
    assert rules.notice_in_time(JULY_31, JULY_31 - dt.timedelta(days=8)) is True
    assert rules.notice_in_time(JULY_31, JULY_31 - dt.timedelta(days=7)) is False
    assert rules.notice_in_time(JULY_31, JULY_31 - dt.timedelta(days=30)) is True
    assert rules.notice_in_time(JULY_31, JULY_31) is False
    assert rules.notice_in_time(JULY_31, JULY_31 + dt.timedelta(days=1)) is False


def test_expulsion_notice_on_day_11_before_is_in_time_and_on_day_10_before_is_late():
    assert rules.notice_in_time(JULY_31, dt.date(2025, 7, 20), 10) is True
    assert rules.notice_in_time(JULY_31, dt.date(2025, 7, 21), 10) is False


def test_notice_period_crosses_months_and_years():
    assert rules.latest_notice_date(dt.date(2026, 1, 3)) == dt.date(2025, 12, 26)
    assert rules.latest_notice_date(dt.date(2024, 3, 5)) == dt.date(2024, 2, 26)  # leap year


def test_negative_notice_period_is_refused():
    with pytest.raises(ValueError):
        rules.latest_notice_date(JULY_31, -1)


def test_check_with_a_late_notice_fails_with_an_error():
    result = rules.check(item(meeting_date=JULY_31, notice_date=dt.date(2025, 7, 24)))
    assert result.notice_ok is False
    assert result.passed is False
    assert any("소집 통지가 늦었습니다" in e and "2025-07-23" in e for e in result.errors)


def test_check_without_dates_leaves_the_notice_unchecked():
    result = rules.check(item())
    assert result.notice_ok is None
    assert result.passed is True


def test_check_with_a_meeting_date_only_leaves_the_notice_unchecked():
    assert rules.check(item(meeting_date=JULY_31)).notice_ok is None


def test_notice_date_without_a_meeting_date_is_an_error():
    result = rules.check(item(notice_date=dt.date(2025, 7, 1)))
    assert result.notice_ok is None
    assert result.passed is False
    assert any("회의일" in e for e in result.errors)


def test_late_expulsion_notice_fails_even_when_the_assembly_notice_was_in_time():
    result = rules.check(
        item(
            present=7,
            yes=7,
            no=0,
            matter="expulsion",
            meeting_date=JULY_31,
            notice_date=dt.date(2025, 7, 20),
            expulsion_notice_date=dt.date(2025, 7, 21),
        )
    )
    assert result.notice_ok is False
    assert result.passed is False
    assert any("제명 사유 통지가 늦었습니다" in e for e in result.errors)


def test_expulsion_notice_alone_is_checked():
    ok = rules.check(
        item(
            present=7,
            yes=5,
            no=2,
            matter="expulsion",
            meeting_date=JULY_31,
            expulsion_notice_date=dt.date(2025, 7, 20),
        )
    )
    assert (ok.notice_ok, ok.passed) == (True, True)


def test_expulsion_without_its_notice_date_is_reported_as_not_checked():
    result = rules.check(
        item(
            present=7,
            yes=5,
            no=2,
            matter="expulsion",
            meeting_date=JULY_31,
            notice_date=dt.date(2025, 7, 23),
        )
    )
    assert result.notice_ok is True
    assert "제명 사유 통지일(expulsion_notice_date)이 없어 확인하지 않았습니다" in (
        result.explanation
    )


def test_expulsion_notice_date_is_ignored_for_other_matters():
    result = rules.check(
        item(meeting_date=JULY_31, notice_date=dt.date(2025, 7, 23), expulsion_notice_date=JULY_31)
    )
    assert (result.notice_ok, result.passed) == (True, True)


# --- input consistency ---------------------------------------------------------------------------


def test_more_present_than_members_is_an_error():
    result = rules.check(item(members=10, present=11, yes=6, no=5))
    assert result.passed is False
    assert result.quorum is False
    assert any("출석 11명이 조합원 10명보다 많습니다" in e for e in result.errors)


def test_more_votes_than_people_present_is_an_error():
    result = rules.check(item(present=7, yes=5, no=2, abstain=1))
    assert result.passed is False
    assert any("찬성·반대·기권의 합 8명" in e for e in result.errors)


def test_zero_members_is_an_error():
    result = rules.check(item(members=0, present=0, yes=0, no=0))
    assert result.passed is False
    assert result.errors


def test_missing_matter_for_an_assembly_is_an_error():
    result = rules.check(item(matter=None))
    assert result.passed is False
    assert any("matter" in e for e in result.errors)


def test_check_accepts_a_constructed_input_with_bad_values_without_raising():
    result = rules.check(item(kind="annual", members=-3, present="7", matter="zz"))  # type: ignore[arg-type]
    assert result.passed is False
    assert len(result.errors) >= 3


# --- delegate assemblies ---------------------------------------------------------------------------


def test_delegate_assembly_needs_more_than_200_members():
    assert any("200명을 넘는" in e for e in rules.delegate_assembly_errors(200, 30, "budget"))
    assert rules.delegate_assembly_errors(201, 30, "budget") == []


@pytest.mark.parametrize(
    ("total", "needed"),
    [(201, 21), (210, 21), (211, 22), (1000, 100), (1001, 100), (100_000, 100)],
)
def test_delegates_are_at_least_ten_percent_capped_at_100(total, needed):
    assert rules.required_delegates(total) == needed
    assert rules.delegate_assembly_errors(total, needed, "budget") == []
    assert any("10% 이상" in e for e in rules.delegate_assembly_errors(total, needed - 1, "budget"))


@pytest.mark.parametrize("matter", ["merger", "split", "dissolution"])
def test_delegate_assembly_cannot_decide_merger_split_or_dissolution(matter):
    errors = rules.delegate_assembly_errors(500, 60, matter)
    assert any("합병·분할·해산" in e for e in errors)


@pytest.mark.parametrize("matter", ["expulsion", "articles_amendment", "budget", None])
def test_delegate_assembly_may_decide_other_matters(matter):
    assert rules.delegate_assembly_errors(500, 60, matter) == []


def test_more_delegates_than_members_is_an_error():
    assert any("많습니다" in e for e in rules.delegate_assembly_errors(250, 300, "budget"))


def test_delegate_check_counts_quorum_over_delegates():
    result = rules.check(
        item(
            kind="delegate",
            members=30,
            total_members=250,
            present=16,
            yes=11,
            no=5,
            matter="expulsion",
        )
    )
    assert (result.quorum, result.required_present, result.required_yes) == (True, 16, 11)
    assert result.passed is True
    assert "대의원 30명 중 출석 16명" in result.explanation


def test_delegate_check_of_a_200_member_cooperative_fails():
    result = rules.check(
        item(kind="delegate", members=30, total_members=200, present=30, yes=30, no=0)
    )
    assert result.passed is False and result.errors


def test_delegate_check_deciding_a_merger_fails():
    result = rules.check(
        item(
            kind="delegate",
            members=30,
            total_members=250,
            present=30,
            yes=30,
            no=0,
            matter="merger",
        )
    )
    assert result.passed is False
    assert any("합병" in e for e in result.errors)


def test_delegate_check_without_total_members_fails():
    result = rules.check(item(kind="delegate", members=30, present=30, yes=30, no=0))
    assert result.passed is False
    assert any("total_members" in e for e in result.errors)


# --- founding ----------------------------------------------------------------------------------------


def test_at_least_five_founders():
    assert rules.founding_errors(5) == []
    assert any("5명 이상" in e for e in rules.founding_errors(4))


def test_social_cooperative_needs_two_stakeholder_types():
    assert rules.founding_errors(5, {"worker", "consumer"}, social=True) == []
    assert rules.founding_errors(5, {"worker"}, social=True)
    assert rules.founding_errors(5, None, social=True)
    assert rules.founding_errors(5, {"worker"}, social=False) == []


def test_founding_check_with_four_founders_fails():
    result = rules.check(
        item(kind="founding", members=20, founders=4, present=15, yes=15, no=0, matter=None)
    )
    assert result.passed is False
    assert any("발기인" in e for e in result.errors)


def test_founding_check_with_fewer_than_five_consenters_fails_without_founders():
    result = rules.check(item(kind="founding", members=4, present=4, yes=4, no=0, matter=None))
    assert result.passed is False


# --- shares, proxies, board, officers --------------------------------------------------------------


def test_share_cap_allows_exactly_thirty_percent():
    assert rules.share_cap_violation(30, 100) is None
    assert rules.share_cap_violation(0, 0) is None
    message = rules.share_cap_violation(31, 100)
    assert message and "30%" in message and "최대 30좌" in message
    assert rules.share_cap_violation(3001, 10_000) is not None
    assert rules.share_cap_violation(3000, 10_000) is None
    assert rules.share_cap_violation(21, 100, cap_bp=2000) is not None


def test_share_cap_rejects_impossible_numbers():
    with pytest.raises(ValueError):
        rules.share_cap_violation(5, 4)
    with pytest.raises(ValueError):
        rules.share_cap_violation(-1, 4)


def _proxy(**kw):
    base = {
        "proxy_is_member": True,
        "proxy_is_cohabiting_family": False,
        "proxy_already_represents": 0,
        "has_written_authorisation": True,
        "assembly_kind": "general",
    }
    base.update(kw)
    return rules.proxy_violations(**base)


def test_a_member_with_a_written_authorisation_may_represent_one_member():
    assert _proxy() == []


def test_a_cohabiting_family_member_may_be_a_proxy():
    assert _proxy(proxy_is_member=False, proxy_is_cohabiting_family=True) == []


def test_a_non_member_non_family_proxy_is_refused():
    errors = _proxy(proxy_is_member=False, proxy_is_cohabiting_family=False)
    assert len(errors) == 1 and "동거하는 가족" in errors[0]


def test_a_proxy_for_a_second_member_is_refused():
    errors = _proxy(proxy_already_represents=1)
    assert len(errors) == 1 and "1명만" in errors[0]


def test_a_proxy_without_written_authorisation_is_refused():
    errors = _proxy(has_written_authorisation=False)
    assert len(errors) == 1 and "서면" in errors[0]


def test_delegates_and_directors_cannot_vote_by_proxy():
    assert any("대의원" in e for e in _proxy(assembly_kind="delegate"))
    assert _proxy(assembly_kind="board")


def test_every_proxy_violation_is_listed():
    assert (
        len(
            _proxy(
                proxy_is_member=False,
                proxy_already_represents=2,
                has_written_authorisation=False,
                assembly_kind="delegate",
            )
        )
        == 4
    )


def test_board_needs_three_directors_and_an_auditor():
    assert rules.board_errors(3, 1) == []
    assert len(rules.board_errors(2, 1)) == 1
    assert len(rules.board_errors(3, 0)) == 1
    assert len(rules.board_errors(2, 0)) == 2


@pytest.mark.parametrize(("years", "ok"), [(1, True), (2, True), (4, True), (5, False), (0, False)])
def test_officer_terms_are_at_most_four_years(years, ok):
    assert (rules.officer_term_errors(years) == []) is ok


@pytest.mark.parametrize(
    ("previous", "ok"), [(0, True), (1, True), (2, True), (3, False), (4, False)]
)
def test_chair_may_be_re_elected_only_twice(previous, ok):
    assert (rules.chair_reelection_errors(previous) == []) is ok


def test_negative_chair_terms_are_refused():
    with pytest.raises(ValueError):
        rules.chair_reelection_errors(-1)


def test_remote_voting_only_with_the_switch_and_never_for_special_resolutions():
    assert rules.remote_voting_allowed(coop_switch_on=True, resolution="ordinary") is True
    assert rules.remote_voting_allowed(coop_switch_on=False, resolution="ordinary") is False
    assert rules.remote_voting_allowed(coop_switch_on=True, resolution="special") is False
    assert rules.remote_voting_allowed(coop_switch_on=False, resolution="special") is False


# --- compliance alerts -----------------------------------------------------------------------------


def _alerts(**kw):
    base = {
        "today": dt.date(2026, 5, 1),
        "last_assembly_date": dt.date(2026, 3, 20),
        "last_ordinary_assembly_date": dt.date(2026, 3, 20),
        "active_members": 10,
    }
    base.update(kw)
    return [a.code for a in rules.compliance_alerts(**base)]


def test_a_healthy_cooperative_has_no_alerts():
    assert _alerts() == []


def test_fewer_than_five_members_is_flagged():
    assert _alerts(active_members=4) == ["too_few_members"]
    assert _alerts(active_members=5) == []


def test_no_assembly_for_two_years_is_flagged():
    today = dt.date(2026, 5, 1)
    assert "no_assembly_two_years" in _alerts(
        last_assembly_date=dt.date(2024, 5, 1), last_ordinary_assembly_date=None, today=today
    )
    assert "no_assembly_two_years" not in _alerts(
        last_assembly_date=dt.date(2024, 5, 2), last_ordinary_assembly_date=dt.date(2026, 3, 1)
    )
    assert "no_assembly_two_years" in _alerts(
        last_assembly_date=None, last_ordinary_assembly_date=None
    )


def test_the_later_of_the_two_dates_counts_as_the_last_assembly():
    assert "no_assembly_two_years" not in _alerts(
        last_assembly_date=dt.date(2020, 1, 1), last_ordinary_assembly_date=dt.date(2026, 3, 1)
    )


def test_ordinary_assembly_overdue_after_three_months_past_year_end():
    last_year = dt.date(2025, 3, 15)
    assert "ordinary_assembly_overdue" not in _alerts(
        today=dt.date(2026, 3, 31),
        last_ordinary_assembly_date=last_year,
        last_assembly_date=last_year,
    )
    assert "ordinary_assembly_overdue" in _alerts(
        today=dt.date(2026, 4, 1),
        last_ordinary_assembly_date=last_year,
        last_assembly_date=last_year,
    )
    assert "ordinary_assembly_overdue" not in _alerts(
        today=dt.date(2026, 4, 1),
        last_ordinary_assembly_date=dt.date(2026, 1, 1),
        last_assembly_date=last_year,
    )


def test_ordinary_assembly_deadline_follows_the_fiscal_year():
    # Fiscal year ending in June: the year ended 30 June 2025, deadline 30 September 2025.
    kw = {"last_ordinary_assembly_date": dt.date(2024, 9, 1), "fiscal_year_end_month": 6}
    assert "ordinary_assembly_overdue" not in _alerts(today=dt.date(2025, 9, 30), **kw)
    assert "ordinary_assembly_overdue" in _alerts(today=dt.date(2025, 10, 1), **kw)


def test_alerts_have_korean_messages_and_articles():
    alerts = rules.compliance_alerts(
        today=dt.date(2026, 5, 1),
        last_assembly_date=None,
        last_ordinary_assembly_date=None,
        active_members=3,
    )
    assert {a.code for a in alerts} == {
        "too_few_members",
        "no_assembly_two_years",
        "ordinary_assembly_overdue",
    }
    assert all("제" in a.message and a.article for a in alerts)
    assert alerts[0].as_dict()["code"] == "too_few_members"


# --- refunds of capital ----------------------------------------------------------------------------


def test_refund_is_claimable_from_the_next_fiscal_year_and_lapses_after_two_years():
    assert rules.capital_refund_window(dt.date(2025, 5, 15)) == (
        dt.date(2026, 1, 1),
        dt.date(2027, 12, 31),
    )
    assert rules.capital_refund_window(dt.date(2025, 12, 31)) == (
        dt.date(2026, 1, 1),
        dt.date(2027, 12, 31),
    )
    assert rules.capital_refund_window(dt.date(2026, 1, 1))[0] == dt.date(2027, 1, 1)


def test_refund_window_with_a_fiscal_year_ending_in_march():
    assert rules.capital_refund_window(dt.date(2025, 3, 31), 3) == (
        dt.date(2025, 4, 1),
        dt.date(2027, 3, 31),
    )
    assert rules.capital_refund_window(dt.date(2025, 4, 1), 3) == (
        dt.date(2026, 4, 1),
        dt.date(2028, 3, 31),
    )


def test_fiscal_year_end_month_must_be_a_month():
    with pytest.raises(ValueError):
        rules.capital_refund_window(dt.date(2025, 1, 1), 13)


# --- parsing -----------------------------------------------------------------------------------------


def test_parse_check_input_reads_json_values():
    parsed = rules.parse_check_input(
        {
            "id": 9,
            "kind": "general",
            "members": 10,
            "present": 7,
            "yes": 5,
            "no": 1,
            "abstain": 1,
            "matter": "merger",
            "meeting_date": "2025-07-31",
            "notice_date": "2025-07-23",
            "unknown": "ignored",
        }
    )
    assert parsed.meeting_date == JULY_31 and parsed.notice_date == dt.date(2025, 7, 23)
    assert parsed.id == 9 and parsed.matter == "merger" and parsed.expulsion_notice_date is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("members", None),
        ("members", -1),
        ("present", 7.0),
        ("present", 7.5),
        ("yes", "5"),
        ("no", True),
        ("abstain", [0]),
        ("kind", "annual"),
        ("kind", 3),
        ("matter", "party"),
        ("meeting_date", "31/07/2025"),
        ("meeting_date", "2025-02-30"),
        ("notice_date", 20250723),
        ("total_members", -5),
        ("founders", "five"),
    ],
)
def test_parse_check_input_refuses_bad_values_in_korean(field, value):
    data = {
        "id": 1,
        "kind": "general",
        "members": 10,
        "present": 7,
        "yes": 5,
        "no": 1,
        "abstain": 1,
        "matter": "budget",
    }
    data[field] = value
    with pytest.raises(ValueError) as info:
        rules.parse_check_input(data)
    assert field in str(info.value)
    result = rules.check_data(data)
    assert result.passed is False and result.id == 1 and result.errors


def test_check_data_of_a_non_object_does_not_raise():
    for data in ([1, 2], "text", 5, None):
        result = rules.check_data(data)
        assert result.passed is False and result.id is None and result.errors


def test_check_data_keeps_what_it_can_compute():
    result = rules.check_data(
        {"id": "x", "kind": "general", "members": 10, "present": 7, "yes": "a"}
    )
    assert result.required_present == 6
    assert result.quorum is True
    assert result.passed is False


def test_result_as_dict_has_the_contract_fields_in_order():
    assert list(rules.check(item()).as_dict()) == [
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


@pytest.mark.parametrize(
    ("overrides", "ending"),
    [
        ({}, "결과: 가결."),
        ({"yes": 3, "no": 4}, "결과: 찬성이 모자라 부결."),
        ({"present": 5, "yes": 5, "no": 0}, "결과: 의사정족수 미달로 의결할 수 없습니다 (부결)."),
        (
            {"meeting_date": JULY_31, "notice_date": dt.date(2025, 7, 24)},
            "결과: 통지 기한을 지키지 않아 적법한 의결로 볼 수 없습니다 (부결).",
        ),
        ({"present": 11, "yes": 6, "no": 5}, "결과: 적법한 의결로 볼 수 없습니다 (부결)."),
        ({"notice_date": JULY_31}, "결과: 적법한 의결로 볼 수 없습니다 (부결)."),
    ],
)
def test_the_explanation_ends_with_the_reason_for_the_outcome(overrides, ending):
    result = rules.check(item(**overrides))
    assert result.explanation.endswith(ending)
    assert result.steps[-1] == ending
    assert " ".join(result.steps) == result.explanation


def test_steps_are_not_part_of_the_json():
    assert "steps" not in rules.check(item()).as_dict()
