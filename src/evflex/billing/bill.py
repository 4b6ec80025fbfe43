"""Bills: typed lines whose rounded amounts add up to the total."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from evflex.billing.money import format_gbp

__all__ = ["Bill", "BillLine", "LineKind"]


class LineKind(StrEnum):
    ENERGY = "energy"
    """Import priced by the tariff (one line per band)."""
    EV_CHARGING = "ev_charging"
    """The car's own charging at the home tariff's rates (before an add-on's credit)."""
    EV_CREDIT = "ev_credit"
    """An add-on's credit that makes EV charging free (V2G add-on) or re-prices it (Charge Anytime)."""
    STANDING_CHARGE = "standing_charge"
    EXPORT_CREDIT = "export_credit"
    CAR_EXPORT = "car_export"
    """Energy exported from the car under the V2G add-on: counts toward free miles, unpaid (£0)."""
    VAT = "vat"
    EXIT_FEE = "exit_fee"


@dataclass(frozen=True, slots=True)
class BillLine:
    kind: LineKind
    label: str
    quantity: float
    unit: str
    amount_gbp: Decimal
    meter: str = ""
    """Which meter (or derivation) the quantity came from."""
    band: str = ""

    @property
    def average_rate(self) -> float | None:
        """Average price of the line in p per unit (None for zero quantity)."""
        if not self.quantity:
            return None
        return float(self.amount_gbp) * 100 / self.quantity

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "label": self.label,
            "quantity": round(self.quantity, 6),
            "unit": self.unit,
            "amount_gbp": str(self.amount_gbp),
            "meter": self.meter,
            "band": self.band,
        }


@dataclass(frozen=True, slots=True)
class Bill:
    """A bill for one supply over ``[start, end)``; ``total_gbp`` is the exact sum of the lines."""

    supply: str
    start: datetime
    end: datetime
    lines: tuple[BillLine, ...]
    notes: tuple[str, ...] = ()

    @property
    def total_gbp(self) -> Decimal:
        return sum((line.amount_gbp for line in self.lines), Decimal("0.00"))

    def amount(self, kind: LineKind) -> Decimal:
        return sum((line.amount_gbp for line in self.lines if line.kind is kind), Decimal("0.00"))

    def quantity(self, kind: LineKind) -> float:
        return sum(line.quantity for line in self.lines if line.kind is kind)

    def with_lines(self, *extra: BillLine) -> Bill:
        return Bill(self.supply, self.start, self.end, (*self.lines, *extra), self.notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "supply": self.supply,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "lines": [line.to_dict() for line in self.lines],
            "total_gbp": str(self.total_gbp),
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        width = max((len(line.label) for line in self.lines), default=10)
        rows = [f"{self.supply}: {self.start:%Y-%m-%d} → {self.end:%Y-%m-%d}"]
        for line in self.lines:
            qty = f"{line.quantity:>10,.2f} {line.unit:<4}" if line.unit else " " * 15
            rows.append(f"  {line.label:<{width}} {qty} {format_gbp(line.amount_gbp):>12}")
        rows.append(f"  {'Total':<{width}} {'':15} {format_gbp(self.total_gbp):>12}")
        return "\n".join(rows)
