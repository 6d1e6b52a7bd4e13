"""Pure rules: identifiers, the royalty policy (exact integer arithmetic), report periods, usage
fees and personnel-exchange period classes at their boundaries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from dure.techbank import periods, royalty
from dure.techbank.identifiers import (
    ipc_sections,
    normalize_application_number,
    normalize_ipc_code,
    normalize_nfec_number,
    normalize_registration_number,
    parse_ipc_codes,
)

# --- identifiers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "10-2019-0087421",
        "1020190087421",
        "10 2019 0087421",
        "10-2019-0087421 ",
        "１０－２０１９－００８７４２１",  # fullwidth, as some IMEs type it
        "10.2019.0087421",
    ],
)
def test_application_numbers_are_normalised_to_the_dashed_form(typed):
    assert normalize_application_number(typed) == "10-2019-0087421"


def test_utility_model_application_numbers_are_accepted():
    assert normalize_application_number("2020150001234") == "20-2015-0001234"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "application_number_format"),
        ("10-2019-008742", "application_number_format"),  # 12 digits
        ("10-2019-00874211", "application_number_format"),  # 14 digits
        ("10-2019-008742A", "application_number_format"),
        ("40-2019-0087421", "application_number_type"),  # a trademark, not a technology
        ("10-1899-0087421", "application_number_year"),
        ("10-2999-0087421", "application_number_year"),
        ("10-２019-0087421²", "application_number_format"),
    ],
)
def test_malformed_application_numbers_are_refused_with_a_specific_code(typed, code):
    with pytest.raises(ValidationError) as exc:
        normalize_application_number(typed)
    assert exc.value.code == code


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("10-2245187", "10-2245187"),
        ("102245187", "10-2245187"),
        ("1022451870000", "10-2245187"),  # KIPRIS exports 13 digits
    ],
)
def test_registration_numbers(typed, expected):
    assert normalize_registration_number(typed) == expected


def test_a_registration_number_of_the_wrong_length_is_refused():
    with pytest.raises(ValidationError):
        normalize_registration_number("10-224518")


@pytest.mark.parametrize(
    "typed",
    ["NFEC-2016-04-209871", "nfec-2016-04-209871", "NFEC201604209871", "NFEC 2016 04 209871"],
)
def test_nfec_numbers_are_normalised(typed):
    assert normalize_nfec_number(typed) == "NFEC-2016-04-209871"


@pytest.mark.parametrize("typed", ["NFEC-2016-13-209871", "NFEC-2016-04-20987", "2016-04-209871X"])
def test_malformed_nfec_numbers_are_refused(typed):
    with pytest.raises(ValidationError):
        normalize_nfec_number(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("B23K 9/16", "B23K 9/16"),
        ("b23k9/16", "B23K 9/16"),
        ("B23K 9/16(2006.01)", "B23K 9/16"),
        ("C23F  11/00", "C23F 11/00"),
        ("H01M 8/04492", "H01M 8/04492"),
        ("G06N", "G06N"),
        ("A01G 9/2", "A01G 9/02"),
    ],
)
def test_ipc_codes_are_normalised(typed, expected):
    assert normalize_ipc_code(typed) == expected


@pytest.mark.parametrize("typed", ["Z23K 9/16", "B2K 9/16", "9/16", "B23K 9/", "용접"])
def test_malformed_ipc_codes_are_refused(typed):
    with pytest.raises(ValidationError):
        normalize_ipc_code(typed)


def test_ipc_lists_are_split_deduplicated_and_give_their_sections():
    codes = parse_ipc_codes("C09D 163/00 | B23K 9/32; C09D 163/00(2006.01), C23F 11/00")
    assert codes == ["C09D 163/00", "B23K 9/32", "C23F 11/00"]
    assert ipc_sections(codes) == "BC"
    assert parse_ipc_codes("") == []


# --- royalty policy ----------------------------------------------------------------------------


def test_a_dormant_patents_upfront_fee_is_waived():
    assert royalty.upfront_fee_due(listed_fee=15_000_000, dormant=True) == 0
    assert royalty.upfront_fee_due(listed_fee=15_000_000, dormant=False) == 15_000_000
    assert royalty.upfront_fee_due(listed_fee=None, dormant=False) == 0


def test_no_sales_no_royalty():
    assert royalty.running_royalty(sales=0, rate_bp=250) == 0
    assert royalty.running_royalty(sales=0, rate_bp=10_000) == 0


def test_running_royalty_is_truncated_to_whole_won():
    # 2.5 % of 123,456,789 원 = 3,086,419.725 → 3,086,419 (truncated, not rounded)
    assert royalty.running_royalty(sales=123_456_789, rate_bp=250) == 3_086_419
    # 3.33 % of 999 원 = 33.2667 → 33
    assert royalty.running_royalty(sales=999, rate_bp=333) == 33
    # 0.01 % of 9,999 원 = 0.9999 → 0
    assert royalty.running_royalty(sales=9_999, rate_bp=1) == 0


@given(
    sales=st.integers(min_value=0, max_value=10**15),
    rate_bp=st.integers(min_value=0, max_value=10_000),
)
def test_running_royalty_is_floor_of_sales_times_rate_exactly(sales, rate_bp):
    due = royalty.running_royalty(sales=sales, rate_bp=rate_bp)
    exact = Fraction(sales) * Fraction(rate_bp, 10_000)
    assert isinstance(due, int)
    assert due <= exact < due + 1
    assert 0 <= due <= sales


@given(
    a=st.integers(min_value=0, max_value=10**12),
    b=st.integers(min_value=0, max_value=10**12),
    rate_bp=st.integers(min_value=0, max_value=10_000),
)
def test_splitting_sales_never_raises_the_royalty(a, b, rate_bp):
    # truncation per report: two reports never owe more than one report of the sum
    split = royalty.running_royalty(sales=a, rate_bp=rate_bp) + royalty.running_royalty(
        sales=b, rate_bp=rate_bp
    )
    whole = royalty.running_royalty(sales=a + b, rate_bp=rate_bp)
    assert whole - 1 <= split <= whole


@given(st.integers(min_value=0, max_value=10_000))
def test_percent_and_basis_points_round_trip(bp):
    assert royalty.percent_to_bp(royalty.bp_to_percent(bp)) == bp


@pytest.mark.parametrize(
    ("percent", "bp"),
    [("2.5", 250), ("2.50%", 250), (Decimal("0.01"), 1), ("100", 10_000), (3, 300)],
)
def test_percent_to_basis_points(percent, bp):
    assert royalty.percent_to_bp(percent) == bp


@pytest.mark.parametrize("percent", ["2.555", "-1", "100.01"])
def test_percent_with_more_precision_or_out_of_range_is_refused(percent):
    with pytest.raises(ValueError):
        royalty.percent_to_bp(percent)


def test_negative_sales_and_rates_out_of_range_are_errors():
    with pytest.raises(ValueError):
        royalty.running_royalty(sales=-1, rate_bp=100)
    with pytest.raises(ValueError):
        royalty.running_royalty(sales=1, rate_bp=10_001)


def test_report_periods_follow_the_calendar_from_the_licence_start():
    periods_ = royalty.report_periods(
        start=dt.date(2025, 8, 31), every_months=3, until=dt.date(2026, 6, 1)
    )
    assert periods_ == [
        (dt.date(2025, 8, 31), dt.date(2025, 11, 29)),
        (dt.date(2025, 11, 30), dt.date(2026, 2, 27)),
        (dt.date(2026, 2, 28), dt.date(2026, 5, 30)),
    ]
    assert royalty.report_due_date(dt.date(2025, 11, 29)) == dt.date(2025, 12, 29)


def test_usage_fee_counts_started_hours_or_days_whichever_is_cheaper():
    tz = dt.UTC
    start = dt.datetime(2026, 1, 5, 9, tzinfo=tz)
    assert (
        royalty.usage_fee(
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2, minutes=1),
            fee_per_hour=10_000,
            fee_per_day=None,
        )
        == 30_000
    )
    assert (
        royalty.usage_fee(
            starts_at=start,
            ends_at=start + dt.timedelta(hours=10),
            fee_per_hour=60_000,
            fee_per_day=400_000,
        )
        == 400_000
    )
    assert (
        royalty.usage_fee(
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
            fee_per_hour=None,
            fee_per_day=None,
        )
        is None
    )


# --- personnel-exchange period classes ---------------------------------------------------------

D = dt.date


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 3, 3), D(2026, 3, 3), "short"),  # one day
        (D(2026, 3, 3), D(2026, 3, 9), "short"),  # 7 days, both ends counted
        (D(2026, 3, 3), D(2026, 3, 10), "mid"),  # 8 days
        (D(2026, 12, 28), D(2027, 1, 3), "short"),  # 7 days across a year end
        (D(2025, 1, 1), D(2025, 6, 29), "mid"),  # a day short of 6 months
        (D(2025, 1, 1), D(2025, 6, 30), "long"),  # exactly 6 months
        (D(2025, 1, 1), D(2025, 12, 31), "long"),
        (D(2025, 8, 31), D(2026, 2, 26), "mid"),
        (D(2025, 8, 31), D(2026, 2, 27), "long"),  # 8/31 + 6 months = 2/28 (clamped)
        (D(2023, 8, 31), D(2024, 2, 27), "mid"),  # leap year: 8/31 + 6 months = 2/29
        (D(2023, 8, 31), D(2024, 2, 28), "long"),
    ],
)
def test_exchange_period_classes_at_their_boundaries(start, end, expected):
    assert periods.period_class(start, end) == expected


def test_a_period_that_ends_before_it_starts_is_an_error():
    with pytest.raises(ValueError):
        periods.period_class(D(2026, 3, 3), D(2026, 3, 2))


@given(
    start=st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 1, 1)),
    days=st.integers(min_value=0, max_value=1200),
)
def test_period_classes_grow_with_the_period(start, days):
    order = {"short": 0, "mid": 1, "long": 2}
    end = start + dt.timedelta(days=days)
    longer = end + dt.timedelta(days=1)
    assert order[periods.period_class(start, end)] <= order[periods.period_class(start, longer)]
    assert (periods.period_class(start, end) == "short") == (days + 1 <= 7)
