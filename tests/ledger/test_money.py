import pytest
from hypothesis import given
from hypothesis import strategies as st

from dure.ledger.money import apply_rate, vat_split


@pytest.mark.parametrize(
    ("total", "supply", "vat"),
    [(0, 0, 0), (1, 0, 1), (10, 9, 1), (11, 10, 1), (12, 10, 2), (100_000, 90_909, 9_091)],
)
def test_taxable_split_supply_is_floor_of_ten_elevenths(total, supply, vat):
    assert vat_split(total, "taxable") == (supply, vat)


@pytest.mark.parametrize("tax_type", ["exempt", "zero_rated"])
@pytest.mark.parametrize("total", [0, 1, 10, 11, 100_000, -100_000])
def test_exempt_and_zero_rated_have_no_vat(total, tax_type):
    assert vat_split(total, tax_type) == (total, 0)


@pytest.mark.parametrize("total", [1, 10, 11, 100_000, 12_345])
def test_refund_line_reverses_the_split_exactly(total):
    supply, vat = vat_split(total, "taxable")
    assert vat_split(-total, "taxable") == (-supply, -vat)


@given(st.integers(-(10**15), 10**15), st.sampled_from(["taxable", "exempt", "zero_rated"]))
def test_split_parts_add_up_and_vat_is_at_most_a_tenth_of_supply_plus_one(total, tax_type):
    supply, vat = vat_split(total, tax_type)
    assert supply + vat == total
    assert vat_split(-total, tax_type) == (-supply, -vat)
    if tax_type == "taxable":
        assert 0 <= abs(vat) - abs(supply) // 10 <= 1
        assert abs(supply) == abs(total) * 10 // 11


def test_split_rejects_unknown_tax_type_and_non_integers():
    with pytest.raises(ValueError):
        vat_split(100, "과세")
    with pytest.raises(TypeError):
        vat_split(100.0, "taxable")
    with pytest.raises(TypeError):
        vat_split(True, "taxable")


@pytest.mark.parametrize(
    ("amount", "bp", "expected"),
    [
        (10_000, 1_000, 1_000),  # 10 %
        (9_999, 1_000, 999),  # 999.9 → 999
        (1, 9_999, 0),
        (12_345, 250, 308),  # 308.625 → 308
        (-12_345, 250, -308),  # toward zero, not −309
        (-9_999, 1_000, -999),
        (100_000, 0, 0),
        (100_000, 10_000, 100_000),
    ],
)
def test_rate_truncates_toward_zero(amount, bp, expected):
    assert apply_rate(amount, bp) == expected


@given(st.integers(-(10**12), 10**12), st.integers(0, 10_000))
def test_rate_of_refund_is_minus_rate_of_sale(amount, bp):
    assert apply_rate(-amount, bp) == -apply_rate(amount, bp)
    assert abs(apply_rate(amount, bp)) <= abs(amount)


def test_rate_rejects_floats_and_negative_rates():
    with pytest.raises(TypeError):
        apply_rate(100, 2.5)
    with pytest.raises(TypeError):
        apply_rate(100.0, 250)
    with pytest.raises(ValueError):
        apply_rate(100, -1)
