"""Agile Octopus import and Agile Outgoing export prices from the wholesale price, and back.

With W the GB day-ahead half-hourly price in p/kWh (£/MWh ÷ 10), per region (facts sheet §2):

* import: ``inc = min(cap, (D·W + P·peak − L)·(1 + VAT))``, ``exc = inc / (1 + VAT)``; ``peak`` is
  16:00–19:00 **local** time, ``L`` the 3.333p exc-VAT levy removal from 2026-04-01 (0 before), ``cap``
  100p inc VAT on current products (35p on ``AGILE-18-02-21``); negative prices pass through (VAT applies);
* Outgoing: ``max(0, M·W + A_all + A_peak·peak)``, no VAT.

The inverse, :func:`implied_wholesale`, recovers W from a published import price wherever the cap did
not bind; :func:`region_shift` uses it to re-derive one region's Agile prices from another's, since W is
the same GB-wide auction price for every region.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from evflex.periods import LocalWindow, Timeline
from evflex.signals.series import SignalError, SignalSeries, flag_values
from evflex.tariffs.model import Source, TariffError, check_region

__all__ = [
    "AGILE_VAT",
    "CAP_INC_VAT_P",
    "CONSTANTS",
    "IMPORT_SOURCE",
    "LEVY_REMOVAL_FROM",
    "LEVY_REMOVAL_P_EXC_VAT",
    "LEVY_SOURCE",
    "OUTGOING_SOURCE",
    "PEAK_WINDOW",
    "UNIT_EXC_VAT",
    "UNIT_INC_VAT",
    "UNIT_NO_VAT",
    "AgileConstants",
    "AgilePrices",
    "agile_import_p_per_kwh",
    "agile_outgoing_p_per_kwh",
    "constants_for",
    "implied_wholesale",
    "levy_mask",
    "peak_mask",
    "region_shift",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

UNIT_INC_VAT = "p/kWh inc VAT"
UNIT_EXC_VAT = "p/kWh exc VAT"
UNIT_NO_VAT = "p/kWh"
"""Export prices: no VAT is charged on them."""

PEAK_WINDOW = LocalWindow.parse("16:00-19:00")
AGILE_VAT = 0.05
CAP_INC_VAT_P = 100.0
"""Cap on current Agile products, p/kWh inc VAT ("capped at 100p/kWh (including VAT)")."""
LEVY_REMOVAL_FROM = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
"""2026-04-01 00:00 local (BST) in UTC."""
LEVY_REMOVAL_P_EXC_VAT = 3.5 / 1.05
"""The government levy removal, 3.5p inc VAT = 3.333p exc VAT, taken off every Agile import price."""

_CHECKED = date(2026, 10, 5)  # the date of the newest source behind facts-tariffs-and-data.md §2
IMPORT_SOURCE = Source(
    "octopus.energy/blog/agile-pricing-explained; guylipman.com/octopus/formulas.html; "
    "zackpollard/slop docs/solar-calculator/REPORT-agile.md (facts-tariffs-and-data.md §2)",
    _CHECKED,
    note="regional D and P: all three sources agree",
)
OUTGOING_SOURCE = Source(
    "guylipman.com/octopus/formulas.html via Johnr24/outgoing_agile_predict agile_outgoing_calc.md "
    "(facts-tariffs-and-data.md §2)",
    _CHECKED,
    indicative=True,
    note="not published by Octopus; region C cross-checked by a third-party fit (0.95 W + 1.30, +5.93 peak)",
)
LEVY_SOURCE = Source(
    "octopus.energy/blog/agile-pricing-explained (April 2026 update) via zackpollard/slop REPORT-agile.md; "
    "energy-stats.uk/?p=7114",
    _CHECKED,
    note="L = 3.333p exc VAT (3.5p inc) from 2026-04-01; single secondary source",
)


@dataclass(frozen=True, slots=True)
class AgileConstants:
    """One region's Agile constants (p/kWh exc VAT for import adders; export has no VAT)."""

    region: str
    import_multiplier: float
    """D: import price per unit of wholesale price."""
    import_peak_p: float
    """P: import adder in the 16:00–19:00 local peak."""
    outgoing_multiplier: float
    """M: Agile Outgoing price per unit of wholesale price."""
    outgoing_adder_p: float
    """A_all: Agile Outgoing adder in every period."""
    outgoing_peak_p: float
    """A_peak: extra Agile Outgoing adder in the 16:00–19:00 local peak."""


def _table() -> Mapping[str, AgileConstants]:
    regions = ["A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P"]
    d = (2.10, 2.00, 2.00, 2.20, 2.10, 2.10, 2.10, 2.10, 2.20, 2.20, 2.30, 2.00, 2.10, 2.40)
    p = (13, 14, 12, 13, 12, 12, 12, 12, 12, 12, 11, 13, 13, 12)
    m = (0.95, 0.94, 0.95, 0.97, 0.94, 0.95, 0.96, 0.94, 0.94, 0.94, 0.93, 0.96, 0.97, 0.96)
    a_all = (1.09, 0.78, 1.30, 1.26, 0.77, 0.87, 1.10, 0.93, 1.09, 0.97, 0.83, 0.72, 0.90, 1.36)
    a_peak = (7.04, 6.27, 5.93, 5.97, 6.50, 4.88, 5.89, 7.05, 7.41, 5.46, 7.14, 5.78, 3.85, 2.68)
    rows = zip(regions, d, p, m, a_all, a_peak, strict=True)
    return MappingProxyType({r[0]: AgileConstants(r[0], *map(float, r[1:])) for r in rows})


CONSTANTS: Mapping[str, AgileConstants] = _table()
"""Per GSP region: D and P from :data:`IMPORT_SOURCE`, M, A_all, A_peak from :data:`OUTGOING_SOURCE`."""


class AgilePrices(NamedTuple):
    """Import prices per period, p/kWh."""

    exc_vat: FloatArray
    inc_vat: FloatArray


def constants_for(region: str) -> AgileConstants:
    """The constants of a GSP region letter (``"J"``, ``"_j"``)."""
    try:
        return CONSTANTS[check_region(region)]
    except TariffError as err:
        raise SignalError(str(err)) from None


def peak_mask(timeline: Timeline) -> BoolArray:
    """True for periods starting in 16:00–19:00 local (six per day, also on clock-change days)."""
    return PEAK_WINDOW.mask(timeline)


def levy_mask(timeline: Timeline, levy_removal_from: datetime = LEVY_REMOVAL_FROM) -> BoolArray:
    """True for periods starting on or after the levy removal date."""
    cut = np.datetime64(levy_removal_from.astimezone(UTC).replace(tzinfo=None), "m")
    return timeline.starts() >= cut


def _wholesale(values: npt.ArrayLike, timeline: Timeline, what: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (timeline.n_periods,):
        raise SignalError(f"{what}: {arr.shape} values for a timeline of {timeline.n_periods} periods")
    return arr


def agile_import_p_per_kwh(
    wholesale_p_per_kwh: npt.ArrayLike,
    timeline: Timeline,
    region: str,
    cap_inc_vat: float = CAP_INC_VAT_P,
    vat: float | npt.ArrayLike = AGILE_VAT,
    levy_removal_p: float = LEVY_REMOVAL_P_EXC_VAT,
    levy_removal_from: datetime = LEVY_REMOVAL_FROM,
) -> AgilePrices:
    """Agile import price per period from wholesale W (p/kWh): ``min(cap, (D·W + P·peak − L)(1+VAT))``.

    ``vat`` may be a per-period array (a VAT schedule, e.g. 0% from 2026-10-01). The cap is inc VAT; where
    it binds, ``exc_vat = cap / (1 + VAT)``. ``NaN`` wholesale gives ``NaN`` prices.
    """
    c = constants_for(region)
    w = _wholesale(wholesale_p_per_kwh, timeline, "wholesale_p_per_kwh")
    vat_rate = np.broadcast_to(np.asarray(vat, dtype=np.float64), w.shape)
    exc = c.import_multiplier * w + c.import_peak_p * peak_mask(timeline)
    exc = exc - levy_removal_p * levy_mask(timeline, levy_removal_from)
    inc_uncapped = exc * (1.0 + vat_rate)
    capped = inc_uncapped > cap_inc_vat
    inc = np.where(capped, cap_inc_vat, inc_uncapped)
    exc = np.where(capped, cap_inc_vat / (1.0 + vat_rate), exc)
    return AgilePrices(exc, inc)


def agile_outgoing_p_per_kwh(
    wholesale_p_per_kwh: npt.ArrayLike, timeline: Timeline, region: str
) -> FloatArray:
    """Agile Outgoing export price (no VAT): ``max(0, M·W + A_all + A_peak·peak)``; constants indicative."""
    c = constants_for(region)
    w = _wholesale(wholesale_p_per_kwh, timeline, "wholesale_p_per_kwh")
    price = c.outgoing_multiplier * w + c.outgoing_adder_p + c.outgoing_peak_p * peak_mask(timeline)
    return np.maximum(price, 0.0)


def _invert(
    agile_inc_vat: npt.ArrayLike,
    timeline: Timeline,
    region: str,
    cap_inc_vat: float,
    vat: float | npt.ArrayLike,
    levy_removal_p: float,
    levy_removal_from: datetime,
    cap_tolerance_p: float,
) -> tuple[FloatArray, BoolArray]:
    """W from the import formula, and where the price sat at the cap (there W is only a lower bound)."""
    c = constants_for(region)
    inc = _wholesale(agile_inc_vat, timeline, "agile_inc_vat")
    exc = inc / (1.0 + np.asarray(vat, dtype=np.float64))
    levy = levy_removal_p * levy_mask(timeline, levy_removal_from)
    w = (exc - c.import_peak_p * peak_mask(timeline) + levy) / c.import_multiplier
    return w, inc >= cap_inc_vat - cap_tolerance_p


def implied_wholesale(
    agile_inc_vat: npt.ArrayLike,
    timeline: Timeline,
    region: str,
    cap_inc_vat: float = CAP_INC_VAT_P,
    vat: float | npt.ArrayLike = AGILE_VAT,
    levy_removal_p: float = LEVY_REMOVAL_P_EXC_VAT,
    levy_removal_from: datetime = LEVY_REMOVAL_FROM,
    cap_tolerance_p: float = 0.01,
) -> FloatArray:
    """Wholesale price W (p/kWh) implied by published Agile import prices (inc VAT) of ``region``.

    ``W = (inc/(1+VAT) − P·peak + L)/D``. Valid only where the cap did not bind: periods priced within
    ``cap_tolerance_p`` of ``cap_inc_vat`` (published prices are rounded, e.g. 34.9965 under a 35p cap)
    come back ``NaN``, because there W is only known to be at least the value that reaches the cap. Pass the
    cap of the product that published the prices (35.0 for ``AGILE-18-02-21``). Published prices are
    rounded to about 0.01p exc VAT, so W carries an error of up to ``0.005/D``.
    """
    w, capped = _invert(
        agile_inc_vat, timeline, region, cap_inc_vat, vat, levy_removal_p, levy_removal_from, cap_tolerance_p
    )
    return np.where(capped, np.nan, w)


def region_shift(
    agile: SignalSeries,
    to_region: str,
    *,
    from_region: str,
    cap_inc_vat: float = CAP_INC_VAT_P,
    vat: float | npt.ArrayLike = AGILE_VAT,
    levy_removal_p: float = LEVY_REMOVAL_P_EXC_VAT,
    levy_removal_from: datetime = LEVY_REMOVAL_FROM,
    cap_tolerance_p: float = 0.01,
) -> SignalSeries:
    """Re-derive ``to_region``'s Agile import prices from ``from_region``'s (same VAT basis as the input).

    Rule: ``W = (p_exc − P_from·peak + L)/D_from``; ``p_to = min(cap, (D_to·W + P_to·peak − L)(1+VAT))``.
    Where the source price sat at the cap, W is a lower bound: the derived price is then a lower bound
    too and those periods are flagged as suspicious. The rule and the regions are recorded in the notes.
    """
    src, dst = _check_pair(from_region, to_region)
    vat_rate = np.asarray(vat, dtype=np.float64)
    if agile.unit == UNIT_INC_VAT:
        inc = agile.values
    elif agile.unit == UNIT_EXC_VAT:
        inc = agile.values * (1.0 + vat_rate)
    else:
        raise SignalError(
            f"{agile.name} is in {agile.unit!r}: region_shift needs Agile import prices in "
            f"{UNIT_INC_VAT!r} or {UNIT_EXC_VAT!r}"
        )
    w, capped = _invert(
        inc, agile.timeline, src, cap_inc_vat, vat, levy_removal_p, levy_removal_from, cap_tolerance_p
    )
    prices = agile_import_p_per_kwh(
        w, agile.timeline, dst, cap_inc_vat, vat, levy_removal_p, levy_removal_from
    )
    values = prices.inc_vat if agile.unit == UNIT_INC_VAT else prices.exc_vat
    note = (
        f"re-derived region {dst} from region {src}: W = (p_exc − {CONSTANTS[src].import_peak_p:g}·peak + L)"
        f"/{CONSTANTS[src].import_multiplier:g}; p_{dst} = min({cap_inc_vat:g}p inc VAT, "
        f"({CONSTANTS[dst].import_multiplier:g}·W + {CONSTANTS[dst].import_peak_p:g}·peak − L)·(1 + VAT)), "
        "peak 16:00–19:00 local, L from 2026-04-01"
    )
    name = agile.name.replace(f"_{src}", f"_{dst}") if f"_{src}" in agile.name else f"{agile.name}_as_{dst}"
    report = dataclasses.replace(agile.report, notes=(*agile.report.notes, note))
    shifted = agile.replace(name=name, values=values, report=report)
    return flag_values(
        shifted,
        capped,
        f"region {src} price at the {cap_inc_vat:g}p cap: wholesale unknown, derived price is a lower bound",
    )


def _check_pair(from_region: str, to_region: str) -> tuple[str, str]:
    return constants_for(from_region).region, constants_for(to_region).region
