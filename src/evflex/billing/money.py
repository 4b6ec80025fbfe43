"""Money: the one rounding rule.

Energy arithmetic runs in float64 pence over arrays (exact to far below a penny for a household-year:
relative error ~1e-13). Each bill line is converted once to pounds as a :class:`~decimal.Decimal`,
rounded to the penny half away from zero (``ROUND_HALF_UP``), and a bill's total is the exact sum of its rounded lines.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["PENNY", "format_gbp", "gbp_from_pence"]

PENNY = Decimal("0.01")


def gbp_from_pence(pence: float) -> Decimal:
    """Pounds, rounded half-up to the penny. ``repr`` of the float is used so 0.5p rounds up, not to even."""
    if pence != pence or pence in (float("inf"), float("-inf")):
        raise ValueError(f"amount {pence} is not a finite number of pence")
    pounds = Decimal(repr(float(pence))) / 100
    return pounds.quantize(PENNY, rounding=ROUND_HALF_UP) + Decimal("0.00")


def format_gbp(amount: Decimal) -> str:
    """``£1,360.13`` / ``−£12.00``."""
    sign = "−" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"
