"""Pure money arithmetic in integer 원: VAT split and basis-point rates, both truncating.

No floats anywhere: amounts are ``int`` 원, rates are integer basis points (1 bp = 0.01 %).
Negative amounts (refund lines) are handled by splitting the absolute value and negating, so a
refund line reverses the original line's parts exactly.
"""

from __future__ import annotations

TAXABLE = "taxable"  # 과세
EXEMPT = "exempt"  # 면세
ZERO_RATED = "zero_rated"  # 영세
TAX_TYPES = (TAXABLE, EXEMPT, ZERO_RATED)
BASIS_POINTS = 10_000


def vat_split(total: int, tax_type: str) -> tuple[int, int]:
    """(supply, vat) of a VAT-inclusive ``total``: supply = ⌊total × 10/11⌋ for 과세 items."""
    if isinstance(total, bool) or not isinstance(total, int):
        raise TypeError("total must be an int (원)")
    if tax_type not in TAX_TYPES:
        raise ValueError(f"unknown tax type {tax_type!r}")
    if total < 0:
        supply, vat = vat_split(-total, tax_type)
        return -supply, -vat
    if tax_type != TAXABLE:
        return total, 0
    supply = total * 10 // 11
    return supply, total - supply


def apply_rate(amount: int, rate_bp: int) -> int:
    """``amount × rate_bp / 10000`` truncated toward zero, for negative amounts too."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount must be an int (원)")
    if isinstance(rate_bp, bool) or not isinstance(rate_bp, int):
        raise TypeError("rate_bp must be an int (basis points)")
    if rate_bp < 0:
        raise ValueError("rate_bp must not be negative")
    if amount < 0:
        return -(-amount * rate_bp // BASIS_POINTS)
    return amount * rate_bp // BASIS_POINTS
