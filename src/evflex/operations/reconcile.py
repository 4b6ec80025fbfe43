"""Meter vs charger: reconciliation checks and the estimate of missing charger readings.

The V2G add-on credits the EV charging the *charger* measured and bills the home from the *smart meter*
(``DESIGN.md``). Per half-hour the grid connection balances::

    meter_import − meter_export = home_load + ev_charge − ev_discharge − solar

The home load is not metered, so the balance itself cannot be checked; what can be checked is that the
derived home load ``h = import − export − ev_charge + ev_discharge + solar`` is physically possible:

* **shortfall** ``max(0, −h)``: the charger reports more charging (or less discharging) than the meter, the
  car and the solar panels can supply — the car cannot charge from nothing, and a home without generation
  cannot export energy the car did not give. Where solar exists without a generation meter this check runs
  only in :data:`DARK_WINDOW` (no PV output in Great Britain at any time of year);
* **excess home draw** ``max(0, h − max_home_kw × 0.5 h)``: the charger reports discharge the meter's export
  and any plausible home use cannot absorb (``max_home_kw`` = 23 kW, a 100 A single-phase supply);
* **over rating**: a charger reading above the charger's rated power × 0.5 h.

Their sum over the month's periods with charger data is the energy the meter cannot account for; the
statement warns when it exceeds :meth:`Tolerance.month_limit_kwh` = ``max(0.5 kWh, 2 % of the month's
charger energy)`` and lists the periods whose own discrepancy exceeds 0.01 kWh.

**Missing charger readings** (charger or its API offline) are estimated by a stated rule: the home's typical
draw ``T`` at each local time of day is the median of ``h`` over the same month's periods *with* charger
data at that time of day (all such periods when a time of day has none); in a gap ``x = import − export +
solar − T``; EV charge ``= x`` and EV discharge ``= −x`` where positive, each clipped to the charger's rating
× 0.5 h, and set to 0 below half the charger's minimum non-zero setpoint × 0.5 h (a charger cannot run below
its minimum setpoint; smaller residuals are the home's own variation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.household.ev import Charger
from evflex.operations.errors import OperationsError
from evflex.periods import LONDON, LocalWindow, Timeline

__all__ = [
    "DARK_WINDOW",
    "DEFAULT_TOLERANCE",
    "ChargerEstimate",
    "PeriodRange",
    "Reconciliation",
    "ReconciliationError",
    "Tolerance",
    "derived_home_kwh",
    "estimate_missing_charger",
    "period_ranges",
    "reconcile",
    "typical_by_time_of_day",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

DARK_WINDOW = LocalWindow.parse("22:00-04:00")
"""Local hours with no solar generation anywhere in Great Britain in any month (sunrise ≥ 04:30 BST in June)."""
_SHOWN_RANGES = 8


class ReconciliationError(OperationsError):
    """Meter and charger data cannot be reconciled or estimated (e.g. no charger reading all month)."""


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far meter and charger may disagree before the statement carries a warning."""

    month_kwh: float = 0.5
    """Absolute floor of the month's tolerance (meter resolution and charger integration over a month)."""
    month_share: float = 0.02
    """Share of the month's charger energy (charge + discharge) tolerated: integrating power drifts by ~1–2 %."""
    period_kwh: float = 0.01
    """Periods whose own discrepancy exceeds this are listed in the warning (10× a smart meter's 0.001 kWh)."""
    max_home_kw: float = 23.0
    """Largest plausible home draw (100 A single-phase supply at 230 V)."""

    def __post_init__(self) -> None:
        if min(self.month_kwh, self.month_share, self.period_kwh) < 0 or self.max_home_kw <= 0:
            raise ReconciliationError("tolerances must be ≥ 0 and max_home_kw > 0")

    def month_limit_kwh(self, charger_kwh: float) -> float:
        return max(self.month_kwh, self.month_share * charger_kwh)


DEFAULT_TOLERANCE = Tolerance()


@dataclass(frozen=True, slots=True)
class PeriodRange:
    """A run of consecutive half-hours ``[start, end)`` (UTC) and the kWh concerned in it."""

    start: datetime
    end: datetime
    n_periods: int
    kwh: float

    def local_text(self) -> str:
        a, b = self.start.astimezone(LONDON), self.end.astimezone(LONDON)
        midnight = b.hour == 0 and b.minute == 0 and (b - a) <= timedelta(days=1)
        until = "24:00" if midnight else f"{b:%H:%M}" if a.date() == b.date() else f"{b:%d %b %H:%M}"
        count = "1 half-hour" if self.n_periods == 1 else f"{self.n_periods} half-hours"
        return f"{a:%a %d %b %H:%M}–{until} {b.tzname()} ({count}, {self.kwh:.2f} kWh)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "n_periods": self.n_periods,
            "kwh": round(self.kwh, 3),
        }


def period_ranges(mask: BoolArray, kwh: FloatArray, timeline: Timeline) -> tuple[PeriodRange, ...]:
    """The runs of ``mask`` as ranges, each with the sum of ``kwh`` over it."""
    edges = np.flatnonzero(np.diff(mask.astype(np.int8), prepend=0, append=0))
    starts, ends = edges[::2], edges[1::2]
    if starts.size == 0:
        return ()
    sums = np.add.reduceat(np.where(mask, kwh, 0.0), starts) if kwh.size else np.zeros(starts.size)
    step = timedelta(minutes=timeline.period_minutes)
    return tuple(
        PeriodRange(timeline.start + step * int(a), timeline.start + step * int(b), int(b - a), float(s))
        for a, b, s in zip(starts, ends, sums, strict=True)
    )


# -- reconciliation --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Meter vs charger over one month (periods with charger data only)."""

    checked_periods: int
    skipped_periods: int
    """Periods without charger data (estimated) or, for unmetered solar, outside the dark window."""
    shortfall_kwh: float
    excess_home_kwh: float
    over_rating_kwh: float
    tolerance_kwh: float
    ranges: tuple[PeriodRange, ...]
    """The first runs of periods whose discrepancy exceeds the period threshold."""
    n_ranges: int
    n_periods_flagged: int
    tolerance_rule: str = ""
    notes: tuple[str, ...] = ()
    hint: str = ""
    """A likely cause to add to the warning (e.g. unmetered solar on an account marked without it)."""

    @property
    def unexplained_kwh(self) -> float:
        return self.shortfall_kwh + self.excess_home_kwh + self.over_rating_kwh

    @property
    def ok(self) -> bool:
        return self.unexplained_kwh <= self.tolerance_kwh

    def warning(self) -> str | None:
        """The statement's warning text, or ``None`` when meter and charger agree within tolerance."""
        if self.ok:
            return None
        parts = [
            f"{label} {kwh:.2f} kWh"
            for label, kwh in (
                ("charger energy the meter cannot supply", self.shortfall_kwh),
                ("discharge no export or plausible home use can absorb", self.excess_home_kwh),
                ("readings above the charger's rating", self.over_rating_kwh),
            )
            if kwh > 0
        ]
        shown = "; ".join(r.local_text() for r in self.ranges)
        more = f" (+{self.n_ranges - len(self.ranges)} more runs)" if self.n_ranges > len(self.ranges) else ""
        return (
            f"Meter and charger disagree by {self.unexplained_kwh:.2f} kWh this month, above the "
            f"{self.tolerance_kwh:.2f} kWh tolerance ({', '.join(parts)}), in {self.n_periods_flagged} half-hours: "
            f"{shown}{more}. The EV credit uses the charger's readings: check both before issuing."
            + (f" {self.hint}" if self.hint else "")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked_periods": self.checked_periods,
            "skipped_periods": self.skipped_periods,
            "unexplained_kwh": round(self.unexplained_kwh, 3),
            "shortfall_kwh": round(self.shortfall_kwh, 3),
            "excess_home_kwh": round(self.excess_home_kwh, 3),
            "over_rating_kwh": round(self.over_rating_kwh, 3),
            "tolerance_kwh": round(self.tolerance_kwh, 3),
            "tolerance_rule": self.tolerance_rule,
            "n_periods_flagged": self.n_periods_flagged,
            "ranges": [r.to_dict() for r in self.ranges],
            "n_ranges": self.n_ranges,
            "notes": list(self.notes),
            "warning": self.warning(),
        }


def derived_home_kwh(
    meter_import_kwh: FloatArray,
    meter_export_kwh: FloatArray,
    ev_charge_kwh: FloatArray,
    ev_discharge_kwh: FloatArray,
    solar_kwh: FloatArray | None,
) -> FloatArray:
    """``import − export − ev_charge + ev_discharge + solar`` (solar 0 when not metered)."""
    h = meter_import_kwh - meter_export_kwh - ev_charge_kwh + ev_discharge_kwh
    return h if solar_kwh is None else h + solar_kwh


def reconcile(
    timeline: Timeline,
    meter_import_kwh: FloatArray,
    meter_export_kwh: FloatArray,
    ev_charge_kwh: FloatArray,
    ev_discharge_kwh: FloatArray,
    solar_kwh: FloatArray | None,
    *,
    charger: Charger,
    has_solar: bool,
    tolerance: Tolerance = DEFAULT_TOLERANCE,
) -> Reconciliation:
    """Check meter against charger in every period with charger data (NaN readings are skipped)."""
    dt = timeline.period_hours
    known = np.isfinite(ev_charge_kwh) & np.isfinite(ev_discharge_kwh)
    ev_c, ev_d = np.where(known, ev_charge_kwh, 0.0), np.where(known, ev_discharge_kwh, 0.0)
    h = derived_home_kwh(meter_import_kwh, meter_export_kwh, ev_c, ev_d, solar_kwh)
    notes: list[str] = []
    lower_checked = known
    if solar_kwh is None and has_solar:
        lower_checked = known & DARK_WINDOW.mask(timeline)
        notes.append(
            f"solar without a generation meter: the shortfall check runs only {DARK_WINDOW} local, when no "
            "panel generates"
        )
    shortfall = np.where(lower_checked, np.maximum(-h, 0.0), 0.0)
    excess = np.where(known, np.maximum(h - tolerance.max_home_kw * dt, 0.0), 0.0)
    over = np.where(
        known,
        np.maximum(ev_c - charger.max_charge_kw * dt, 0.0) + np.maximum(ev_d - charger.max_discharge_kw * dt, 0.0),
        0.0,
    )
    per_period = shortfall + excess + over
    flagged = per_period > tolerance.period_kwh
    ranges = period_ranges(flagged, per_period, timeline)
    charger_kwh = float(ev_c.sum() + ev_d.sum())
    unexplained_export = float(np.minimum(shortfall, meter_export_kwh).sum())
    hint = (
        f"{unexplained_export:.2f} kWh of it is export the car did not give: if the home has solar or a battery "
        "without a generation meter, mark the account as having solar."
        if solar_kwh is None and not has_solar and unexplained_export > 0
        else ""
    )
    return Reconciliation(
        checked_periods=int(known.sum()),
        skipped_periods=int(timeline.n_periods - lower_checked.sum()),
        shortfall_kwh=float(shortfall.sum()),
        excess_home_kwh=float(excess.sum()),
        over_rating_kwh=float(over.sum()),
        tolerance_kwh=tolerance.month_limit_kwh(charger_kwh),
        ranges=ranges[:_SHOWN_RANGES],
        n_ranges=len(ranges),
        n_periods_flagged=int(flagged.sum()),
        tolerance_rule=(
            f"the larger of {tolerance.month_kwh:g} kWh and {tolerance.month_share:.0%} of the month's charger "
            f"energy ({charger_kwh:,.1f} kWh charged + discharged)"
        ),
        notes=tuple(notes),
        hint=hint,
    )


# -- estimating missing charger readings -----------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class ChargerEstimate:
    """Charger readings with the missing periods estimated, and what was estimated where."""

    ev_charge_kwh: FloatArray
    ev_discharge_kwh: FloatArray
    estimated: BoolArray
    ranges: tuple[PeriodRange, ...]
    """Every run of estimated periods, with the estimated charge + discharge kWh in it."""
    charge_kwh: float
    """EV charging estimated (sum over the estimated periods)."""
    discharge_kwh: float

    @property
    def n_periods(self) -> int:
        return int(self.estimated.sum())

    def flag(self) -> str | None:
        """The statement's flag text, or ``None`` when every period has charger data."""
        if not self.n_periods:
            return None
        shown = "; ".join(r.local_text() for r in self.ranges[:_SHOWN_RANGES])
        more = f" (+{len(self.ranges) - _SHOWN_RANGES} more runs)" if len(self.ranges) > _SHOWN_RANGES else ""
        return (
            f"No charger data for {self.n_periods} half-hours in {len(self.ranges)} run(s): {shown}{more}. "
            f"Estimated from the smart meter: {self.charge_kwh:.2f} kWh of EV charging and "
            f"{self.discharge_kwh:.2f} kWh of discharge (the meter's difference from the home's typical use "
            "at that time of day)."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_periods": self.n_periods,
            "charge_kwh": round(self.charge_kwh, 3),
            "discharge_kwh": round(self.discharge_kwh, 3),
            "ranges": [r.to_dict() for r in self.ranges],
        }


def typical_by_time_of_day(values: FloatArray, known: BoolArray, timeline: Timeline) -> FloatArray:
    """Per period, the median of ``values`` over the ``known`` periods at the same local time of day.

    Times of day with no known period take the median of all known periods. Vectorised: one lexsort by
    (time of day, value), then each group's middle element(s).
    """
    if not known.any():
        raise ReconciliationError("no period with charger data: the home's typical use cannot be learnt")
    slot = (timeline.local().minute_of_day // timeline.period_minutes).astype(np.int64)
    n_slots = 1440 // timeline.period_minutes
    s, v = slot[known], values[known]
    order = np.lexsort((v, s))
    s, v = s[order], v[order]
    counts = np.bincount(s, minlength=n_slots)
    first = np.cumsum(counts) - counts
    has = counts > 0
    lo = np.where(has, first + (counts - 1) // 2, 0)
    hi = np.where(has, first + counts // 2, 0)
    median = np.where(has, (v[lo] + v[hi]) / 2.0, float(np.median(values[known])))
    typical: FloatArray = median[slot]
    return typical


def estimate_missing_charger(
    timeline: Timeline,
    meter_import_kwh: FloatArray,
    meter_export_kwh: FloatArray,
    ev_charge_kwh: FloatArray,
    ev_discharge_kwh: FloatArray,
    solar_kwh: FloatArray | None,
    charger: Charger,
) -> ChargerEstimate:
    """Fill NaN charger readings by the module's stated rule; complete readings are returned as they are."""
    missing = ~(np.isfinite(ev_charge_kwh) & np.isfinite(ev_discharge_kwh))
    if not missing.any():
        return ChargerEstimate(
            np.asarray(ev_charge_kwh, dtype=np.float64), np.asarray(ev_discharge_kwh, dtype=np.float64),
            missing, (), 0.0, 0.0,
        )
    dt = timeline.period_hours
    known = ~missing
    ev_c, ev_d = np.where(known, ev_charge_kwh, 0.0), np.where(known, ev_discharge_kwh, 0.0)
    h = derived_home_kwh(meter_import_kwh, meter_export_kwh, ev_c, ev_d, solar_kwh)
    typical = typical_by_time_of_day(h, known, timeline)
    x = meter_import_kwh - meter_export_kwh + (0.0 if solar_kwh is None else solar_kwh) - typical
    floor = charger.min_setpoint_kw * dt / 2.0
    charge = np.clip(x, 0.0, charger.max_charge_kw * dt)
    discharge = np.clip(-x, 0.0, charger.max_discharge_kw * dt)
    charge = np.where(charge < floor, 0.0, charge)
    discharge = np.where(discharge < floor, 0.0, discharge)
    ev_c = np.where(missing, charge, ev_c)
    ev_d = np.where(missing, discharge, ev_d)
    return ChargerEstimate(
        ev_c,
        ev_d,
        missing,
        period_ranges(missing, ev_c + ev_d, timeline),
        float(ev_c[missing].sum()),
        float(ev_d[missing].sum()),
    )
