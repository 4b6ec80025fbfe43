"""Half-hourly market data for a comparison year, read from the shared data folder (an adapter: file I/O).

Agile import is published for region J in ``../shared/data``; other regions are re-derived by the Agile
formula (wholesale implied from J, then the region's multiplier and peak adder). Agile Outgoing comes from
the region-C file for region C and from the same implied wholesale and the region's Outgoing constants
elsewhere. Carbon intensity (national) steers the V2G add-on's charging: actuals, with gaps filled from the
forecast and then from the day before. Everything used or filled is stated in ``notes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from evflex.periods import Timeline
from evflex.signals.agile import agile_outgoing_p_per_kwh, implied_wholesale, region_shift
from evflex.signals.series import SignalError, fill_gaps
from evflex.signals.shared_data import (
    find_shared_data,
    load_agile_import,
    load_agile_outgoing,
    load_carbon_intensity,
)

__all__ = ["MarketData", "load_market_data"]

FloatArray = npt.NDArray[np.float64]
AGILE_SOURCE_REGION = "J"


@dataclass(frozen=True, slots=True)
class MarketData:
    series: dict[str, FloatArray] = field(default_factory=dict)
    carbon_g_per_kwh: FloatArray | None = None
    notes: tuple[str, ...] = ()


def _complete(values: FloatArray) -> bool:
    return bool(values.size) and not np.isnan(values).any()


def load_market_data(timeline: Timeline, region: str) -> MarketData:
    """Agile import/export (exc VAT) and carbon intensity over ``timeline``, where the shared data covers it."""
    root = find_shared_data()
    if root is None:
        return MarketData(notes=("no shared data folder found: Agile tariffs are not costed",))
    series: dict[str, FloatArray] = {}
    notes: list[str] = []
    span = f"{timeline.start:%Y-%m-%d}…{timeline.end:%Y-%m-%d}"
    try:
        agile = load_agile_import(root, region=AGILE_SOURCE_REGION, timeline=timeline)
    except SignalError as exc:
        notes.append(f"Agile import prices unavailable: {exc}")
        agile = None
    if agile is not None and _complete(agile.inc_vat.values):
        if region == AGILE_SOURCE_REGION:
            series["agile_import"] = np.asarray(agile.exc_vat.values)
            notes.append(f"Agile import: real region-J prices {span} (÷1.05 to exc VAT)")
        else:
            shifted = region_shift(agile.exc_vat, region, from_region=AGILE_SOURCE_REGION, vat=0.0)
            series["agile_import"] = np.asarray(shifted.values)
            notes.append(
                f"Agile import: real region-J prices {span} re-derived for region {region} by the Agile "
                "formula (approximate where J's prices did not follow it, e.g. the 2022–mid-2023 price holds)"
            )
        wholesale = implied_wholesale(agile.inc_vat.values, timeline, AGILE_SOURCE_REGION)
    elif agile is not None:
        notes.append(
            f"Agile import: the shared data lacks {int(np.isnan(agile.inc_vat.values).sum())} "
            f"half-hours of {span}; Agile is not costed"
        )
        wholesale = None
    else:
        wholesale = None

    try:
        outgoing = load_agile_outgoing(root, region="C", timeline=timeline) if region == "C" else None
    except SignalError:
        outgoing = None
    if outgoing is not None and _complete(outgoing.values):
        series["agile_export"] = np.asarray(outgoing.values)
        notes.append(f"Agile Outgoing: real region-C prices {span}")
    elif wholesale is not None and _complete(wholesale):
        series["agile_export"] = agile_outgoing_p_per_kwh(wholesale, timeline, region)
        notes.append(f"Agile Outgoing: region-{region} formula on wholesale implied from region-J import prices")

    try:
        carbon = load_carbon_intensity(root, timeline=timeline)
        if carbon.actual is None:
            raise SignalError("the carbon intensity file has no actuals")
        actual = fill_gaps(carbon.actual, "forecast-for-actual", forecast=carbon.forecast)
        filled = fill_gaps(actual.series, "previous-day-same-period")
        if _complete(filled.series.values):
            notes.append(
                "carbon intensity: NESO national actuals; " + (filled.description.replace("\n", "; ") or "no gaps")
            )
            return MarketData(series, np.asarray(filled.series.values), tuple(notes))
    except SignalError as exc:
        notes.append(f"carbon intensity unavailable: {exc}")
    return MarketData(series, None, tuple(notes))
