"""Properties of the rules that must hold for every number, checked with hypothesis."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dure.governance import rules
from dure.governance.rules import CheckInput

kinds = st.sampled_from(rules.KINDS)
resolutions = st.sampled_from(["ordinary", "special"])
matters = st.sampled_from(sorted(rules.MATTERS))
counts = st.integers(min_value=0, max_value=100_000)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))


@st.composite
def meetings(draw):
    """A consistent meeting: present ≤ members, yes + no + abstain ≤ present."""
    kind = draw(kinds)
    members = draw(st.integers(min_value=1, max_value=5_000))
    present = draw(st.integers(min_value=0, max_value=members))
    yes = draw(st.integers(min_value=0, max_value=present))
    no = draw(st.integers(min_value=0, max_value=present - yes))
    abstain = draw(st.integers(min_value=0, max_value=present - yes - no))
    matter = draw(matters)
    total = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=100_000)))
    founders = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=50)))
    meeting = draw(st.one_of(st.none(), dates))
    notice = draw(st.one_of(st.none(), dates)) if meeting else None
    expulsion = draw(st.one_of(st.none(), dates)) if meeting else None
    return CheckInput(
        id=draw(st.integers()),
        kind=kind,
        members=members,
        present=present,
        yes=yes,
        no=no,
        abstain=abstain,
        matter=matter,
        total_members=total,
        founders=founders,
        meeting_date=meeting,
        notice_date=notice,
        expulsion_notice_date=expulsion,
    )


@given(kinds, counts)
def test_required_present_is_the_smallest_strict_majority(kind, members):
    needed = rules.required_present(kind, members)
    assert 2 * needed > members
    assert 2 * (needed - 1) <= members


@given(st.sampled_from(["general", "delegate"]), counts)
def test_ordinary_is_the_smallest_strict_majority_and_special_the_smallest_two_thirds(
    kind, present
):
    ordinary = rules.required_yes(kind, "ordinary", present)
    assert 2 * ordinary > present >= 2 * (ordinary - 1)
    special = rules.required_yes(kind, "special", present)
    assert 3 * special >= 2 * present
    assert special == 0 or 3 * (special - 1) < 2 * present


@given(kinds, resolutions, counts)
def test_required_yes_never_decreases_as_more_attend(kind, resolution, present):
    assert rules.required_yes(kind, resolution, present) <= rules.required_yes(
        kind, resolution, present + 1
    )


@given(kinds, resolutions, counts)
def test_required_yes_never_exceeds_those_present_plus_one(kind, resolution, present):
    assert rules.required_yes(kind, resolution, present) <= present + 1
    if present:
        assert rules.required_yes(kind, resolution, present) <= present


@given(st.sampled_from(["general", "delegate"]), st.integers(min_value=1, max_value=100_000))
def test_a_special_resolution_never_needs_fewer_votes_than_an_ordinary_one(kind, present):
    # (With nobody present, "2/3 of 0" is 0 and "more than half of 0" is 1; neither can pass,
    # as there is no quorum.)
    assert rules.required_yes(kind, "special", present) >= rules.required_yes(
        kind, "ordinary", present
    )


@given(st.integers(min_value=0, max_value=100_000))
def test_founding_needs_two_thirds_and_board_a_majority_whatever_the_resolution(present):
    for resolution in ("ordinary", "special"):
        assert rules.required_yes("founding", resolution, present) == rules.required_yes(
            "general", "special", present
        )
        assert rules.required_yes("board", resolution, present) == rules.required_yes(
            "general", "ordinary", present
        )


@given(meetings())
@settings(max_examples=300)
def test_passed_means_quorum_enough_yes_notices_in_time_and_no_errors(meeting):
    result = rules.check(meeting)
    if result.passed:
        assert result.quorum
        assert meeting.present >= result.required_present
        assert meeting.yes >= result.required_yes
        assert result.notice_ok is not False
        assert result.errors == []
    assert result.quorum == (meeting.present >= result.required_present)
    assert result.required_present == rules.required_present(meeting.kind, meeting.members)
    assert result.id == meeting.id
    assert result.explanation


@given(meetings())
@settings(max_examples=200)
def test_turning_a_no_into_a_yes_never_makes_an_item_fail(meeting):
    if meeting.no == 0:
        return
    before = rules.check(meeting)
    after = rules.check(
        CheckInput(**{**meeting.__dict__, "yes": meeting.yes + 1, "no": meeting.no - 1})
    )
    assert after.passed or not before.passed


@given(meetings())
def test_the_result_is_json_with_the_contract_types(meeting):
    data = json.loads(json.dumps(rules.check(meeting).as_dict(), ensure_ascii=False))
    assert isinstance(data["quorum"], bool)
    assert isinstance(data["required_present"], int)
    assert data["resolution"] in ("ordinary", "special")
    assert isinstance(data["required_yes"], int)
    assert data["notice_ok"] in (True, False, None)
    assert isinstance(data["passed"], bool)
    assert all(isinstance(e, str) for e in data["errors"])
    assert isinstance(data["explanation"], str)


@given(dates, st.integers(min_value=0, max_value=60))
def test_latest_notice_leaves_exactly_n_whole_days_before_the_meeting(meeting, days):
    latest = rules.latest_notice_date(meeting, days)
    whole_days_between = (meeting - latest).days - 1
    assert whole_days_between == days
    assert rules.notice_in_time(meeting, latest, days)
    assert not rules.notice_in_time(meeting, latest + dt.timedelta(days=1), days)


@given(dates, dates)
def test_an_earlier_notice_is_never_later_than_a_later_one(meeting, notice):
    if rules.notice_in_time(meeting, notice):
        assert rules.notice_in_time(meeting, notice - dt.timedelta(days=1))


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9))
def test_share_cap_is_exactly_thirty_percent(a, b):
    shares, total = min(a, b), max(a, b)
    violated = rules.share_cap_violation(shares, total) is not None
    assert violated == (shares * 100 > total * 30)


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=200))
def test_delegate_errors_only_name_real_problems(total, delegates):
    errors = rules.delegate_assembly_errors(total, delegates, "budget")
    allowed = total > 200 and delegates >= min(-(-total // 10), 100) and delegates <= total
    assert (errors == []) == allowed


@given(dates, st.integers(min_value=1, max_value=12))
def test_refund_window_starts_the_next_fiscal_year_and_lasts_two_years(left_on, month):
    first, last = rules.capital_refund_window(left_on, month)
    assert left_on < first <= left_on + dt.timedelta(days=366)
    assert (first - dt.timedelta(days=1)).month == month  # the day after a fiscal year's end
    assert 365 * 2 - 1 <= (last - first).days <= 366 * 2


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)
field_values = st.one_of(
    json_values,
    st.sampled_from(rules.KINDS),
    st.sampled_from(sorted(rules.MATTERS)),
    st.integers(min_value=-3, max_value=300),
    st.sampled_from(["2025-07-31", "2025-07-23", "2025-02-30", ""]),
)


@given(
    st.one_of(
        json_values,
        st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "kind",
                    "members",
                    "total_members",
                    "founders",
                    "present",
                    "yes",
                    "no",
                    "abstain",
                    "matter",
                    "meeting_date",
                    "notice_date",
                    "expulsion_notice_date",
                ]
            ),
            field_values,
        ),
    )
)
@settings(max_examples=300)
def test_check_data_never_raises_whatever_it_is_given(data):
    result = rules.check_data(data)
    assert isinstance(result.passed, bool)
    if result.errors:
        assert result.passed is False
    json.dumps(result.as_dict(), ensure_ascii=False)
