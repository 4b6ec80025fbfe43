"""Smart-meter data for a comparison (an adapter: reads the file, reports, fills only when asked)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt

from evflex.household.meter_data import MeterDataError, fill_gaps, read_meter_data
from evflex.periods import LONDON, Timeline, local_days, local_year

__all__ = ["MIN_DAYS", "load_meter_year"]

FloatArray = npt.NDArray[np.float64]
MIN_DAYS = 28
MAX_KWH_PER_YEAR = 100_000.0


def _whole_local_days(series_timeline: Timeline) -> Timeline:
    """The whole local days inside the data's span (a partial first or last day is dropped)."""
    local = series_timeline.local()
    first = date.fromordinal(int(local.day_ordinal[0]) + (0 if local.minute_of_day[0] == 0 else 1))
    end = series_timeline.end.astimezone(LONDON).date()  # exclusive: a partial last day is dropped
    if (end - first).days < MIN_DAYS:
        raise MeterDataError(f"meter data spans under {MIN_DAYS} whole days; give at least {MIN_DAYS} (ideally a year)")
    return local_days(first, end)


def load_meter_year(path: Path, fill_rule: str | None, year: int | None) -> tuple[FloatArray, list[str], Timeline]:
    """Import kWh per period, the notes to print, and the timeline compared over.

    With ``year`` the comparison runs over that local calendar year; otherwise over the whole local days the
    data covers. Missing periods are an error unless ``fill_rule`` names a stated rule.
    """
    probe = read_meter_data([path])
    timeline = local_year(year) if year is not None else _whole_local_days(probe.timeline)
    if timeline.n_local_days() < MIN_DAYS:
        raise MeterDataError(
            f"{path}: {timeline.n_local_days()} whole days of data; give at least {MIN_DAYS} days (ideally a year)"
        )
    series = read_meter_data([path], timeline=timeline)
    notes = [f"meter data: {line}" for line in series.report.lines()]
    kwh = np.asarray(series.kwh, dtype=np.float64)
    missing = int(np.isnan(kwh).sum())
    if missing:
        if fill_rule is None:
            first = timeline.period_start(int(np.flatnonzero(np.isnan(kwh))[0]))
            raise MeterDataError(
                f"{path}: {missing} of {timeline.n_periods} half-hours are missing (first {first:%Y-%m-%dT%H:%MZ}); "
                "fill them by a stated rule with --fill-gaps same-period-previous-week (or linear, zero), "
                "or give complete data"
            )
        filled = fill_gaps(series, [fill_rule, "linear"] if fill_rule != "linear" else ["linear"])
        kwh = np.asarray(filled.kwh, dtype=np.float64)
        notes.append(f"meter data gaps filled: {filled.description}")
        if np.isnan(kwh).any():
            raise MeterDataError(f"{path}: {int(np.isnan(kwh).sum())} half-hours could not be filled")
    annualised = float(kwh.sum()) * 365.0 / timeline.n_local_days()
    if annualised > MAX_KWH_PER_YEAR:
        raise MeterDataError(
            f"{path}: {annualised:,.0f} kWh a year is not a household's consumption (limit {MAX_KWH_PER_YEAR:,.0f}); "
            "check the units are kWh per half-hour, not Wh"
        )
    if timeline.n_local_days() not in (365, 366):
        notes.append(f"the data covers {timeline.n_local_days()} days: costs are for that period, not a year")
    return kwh, notes, timeline
