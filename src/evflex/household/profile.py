"""The home's own electricity use: a synthetic GB domestic half-hourly profile.

The shape is **synthetic, shaped after the Elexon PC1 (domestic unrestricted) profile class description**:
an overnight trough, a morning bump, an evening peak around 17:00–20:00, more use in winter than in
summer, and later, flatter weekend mornings. It is *not* Elexon data (Elexon publishes regression
coefficients, not profiles): the coefficients below are our own, chosen to have those features.

How a profile is built, all as array algebra on :meth:`Timeline.local`:

* a relative level per local hour (24 knots at hh:30) for weekday / Saturday / Sunday in a winter and a
  summer variant (:data:`SHAPE_WINTER`, :data:`SHAPE_SUMMER`), interpolated linearly (circularly) to each
  period's local midpoint;
* a seasonal weight ``w = ½(1 + cos(2π(day − 5 Jan)/365.2425))`` (1 in early January, 0 in early July)
  blends the two variants and the daily levels (:data:`DAILY_LEVEL`), so seasons change smoothly by day;
* the result is scaled so the total equals the household's annual kWh **exactly** over a whole-year
  timeline, and ``annual_kwh × days / 365.25`` over any other timeline (see :func:`years_covered`).

Clock-change days simply have 46 or 50 local half-hours, each valued at its local clock time (the repeated
01:00–02:00 hour in October is used twice, as a real house would).
"""

from __future__ import annotations

from datetime import time

import numpy as np
import numpy.typing as npt

from evflex.periods import LONDON, Timeline

__all__ = [
    "DAILY_LEVEL",
    "DAYS_PER_YEAR",
    "SHAPE_SUMMER",
    "SHAPE_WINTER",
    "HouseholdError",
    "home_load_kwh",
    "relative_home_load",
    "reshape_to_window_share",
    "years_covered",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class HouseholdError(ValueError):
    """A household, vehicle, usage pattern, solar array or policy input is not usable."""


DAYS_PER_YEAR = 365.25
"""Days in the average year used to pro-rate annual quantities over non-year timelines."""

# Relative demand per local hour (value at hh:30), rows weekday / Saturday / Sunday. Synthetic.
SHAPE_WINTER = np.array(
    [
        # 00    01    02    03    04    05    06    07    08    09    10    11
        [0.46, 0.36, 0.31, 0.29, 0.29, 0.31, 0.45, 0.72, 0.82, 0.72, 0.66, 0.66,
         # 12   13    14    15    16    17    18    19    20    21    22    23
         0.70, 0.66, 0.62, 0.68, 0.92, 1.22, 1.32, 1.24, 1.12, 1.00, 0.84, 0.63],
        [0.50, 0.40, 0.33, 0.30, 0.29, 0.29, 0.33, 0.45, 0.64, 0.80, 0.84, 0.84,
         0.86, 0.80, 0.75, 0.77, 0.93, 1.15, 1.21, 1.13, 1.03, 0.95, 0.84, 0.66],
        [0.52, 0.41, 0.34, 0.30, 0.29, 0.29, 0.32, 0.41, 0.58, 0.76, 0.86, 0.92,
         0.98, 0.92, 0.80, 0.78, 0.92, 1.14, 1.19, 1.10, 1.00, 0.92, 0.80, 0.60],
    ]
)
SHAPE_SUMMER = np.array(
    [
        [0.48, 0.37, 0.32, 0.29, 0.28, 0.29, 0.38, 0.58, 0.64, 0.60, 0.58, 0.60,
         0.64, 0.62, 0.58, 0.58, 0.66, 0.82, 0.92, 0.90, 0.88, 0.92, 0.82, 0.63],
        [0.52, 0.41, 0.34, 0.30, 0.29, 0.29, 0.31, 0.42, 0.56, 0.68, 0.72, 0.73,
         0.74, 0.70, 0.66, 0.66, 0.72, 0.84, 0.90, 0.88, 0.86, 0.88, 0.80, 0.65],
        [0.53, 0.42, 0.35, 0.31, 0.29, 0.29, 0.30, 0.38, 0.52, 0.66, 0.74, 0.80,
         0.86, 0.80, 0.68, 0.66, 0.70, 0.82, 0.88, 0.86, 0.84, 0.86, 0.78, 0.60],
    ]
)  # fmt: skip
DAILY_LEVEL = {"winter": 1.25, "summer": 0.80, "saturday": 1.03, "sunday": 1.05}
"""Relative daily energy: winter vs summer (blended by season), and weekend days vs weekdays."""

_WINTER_PEAK_ORDINAL = 730124  # date(2000, 1, 5).toordinal(): the seasonal weight peaks on 5 January


def years_covered(timeline: Timeline) -> float:
    """How many years of an annual quantity a timeline carries.

    A timeline running from a local midnight to the same local date ``N`` years later counts as exactly
    ``N`` (so a calendar year, 365 or 366 days, carries the annual total exactly); any other timeline
    counts ``days / 365.25`` with ``days`` its elapsed time (a 23-hour clock-change day is 23/24 of a day).
    """
    if timeline.n_periods == 0:
        return 0.0
    start, end = timeline.start.astimezone(LONDON), timeline.end.astimezone(LONDON)
    whole_year = (
        start.time() == time(0)
        and end.time() == time(0)
        and (start.month, start.day) == (end.month, end.day)
        and end.year > start.year
    )
    if whole_year:
        return float(end.year - start.year)
    days = (timeline.end - timeline.start).total_seconds() / 86400.0
    return days / DAYS_PER_YEAR


def relative_home_load(timeline: Timeline) -> FloatArray:
    """Unscaled relative demand per period (arbitrary units, > 0); see the module docstring."""
    local = timeline.local()
    # local midpoint of each period, in hours after the first knot (00:30)
    mid_minute = local.minute_of_day.astype(np.float64) + timeline.period_minutes / 2.0
    pos = ((mid_minute - 30.0) / 60.0) % 24.0
    lo = np.floor(pos).astype(np.int64) % 24
    hi = (lo + 1) % 24
    frac = pos - np.floor(pos)
    day_type = np.minimum(np.maximum(local.weekday - 4, 0), 2)  # 0 weekday, 1 Saturday, 2 Sunday

    # normalise each day-type row to mean 1 so DAILY_LEVEL alone sets the daily energy
    winter = SHAPE_WINTER / SHAPE_WINTER.mean(axis=1, keepdims=True)
    summer = SHAPE_SUMMER / SHAPE_SUMMER.mean(axis=1, keepdims=True)
    shape_w = (1.0 - frac) * winter[day_type, lo] + frac * winter[day_type, hi]
    shape_s = (1.0 - frac) * summer[day_type, lo] + frac * summer[day_type, hi]

    phase = 2.0 * np.pi * (local.day_ordinal - _WINTER_PEAK_ORDINAL) / 365.2425
    w = 0.5 * (1.0 + np.cos(phase))
    level = w * DAILY_LEVEL["winter"] + (1.0 - w) * DAILY_LEVEL["summer"]
    weekend = np.array([1.0, DAILY_LEVEL["saturday"], DAILY_LEVEL["sunday"]])[day_type]
    relative: FloatArray = level * weekend * (w * shape_w + (1.0 - w) * shape_s)
    return relative


def home_load_kwh(timeline: Timeline, annual_kwh: float) -> FloatArray:
    """Half-hourly home use (kWh per period) totalling ``annual_kwh × years_covered(timeline)``."""
    if not np.isfinite(annual_kwh) or annual_kwh < 0:
        raise HouseholdError(f"annual home use {annual_kwh} kWh must be a finite number ≥ 0 (e.g. 3100)")
    raw = relative_home_load(timeline)
    if raw.size == 0:
        return raw
    total_kwh = annual_kwh * years_covered(timeline)
    load: FloatArray = raw * (total_kwh / raw.sum())
    return load


def reshape_to_window_share(load_kwh: npt.ArrayLike, mask: npt.ArrayLike, share: float) -> FloatArray:
    """Rescale a load so that exactly ``share`` of its total falls in ``mask``, keeping the total.

    Periods inside the mask are multiplied by ``share·T/I`` and those outside by ``(1−share)·T/O``
    (``T`` total, ``I``/``O`` the energy inside/outside), so the shape within each part is kept.
    """
    load = np.asarray(load_kwh, dtype=np.float64)
    inside = np.asarray(mask, dtype=np.bool_)
    if load.ndim != 1 or inside.shape != load.shape:
        raise HouseholdError(f"load has shape {load.shape}, mask {inside.shape}: give two equal 1-D arrays")
    if not np.isfinite(load).all() or (load < 0).any():
        raise HouseholdError("load must be finite kWh ≥ 0 in every period before it can be reshaped")
    if not 0.0 < share < 1.0:
        raise HouseholdError(f"window share {share} must lie strictly between 0 and 1 (e.g. 0.1398)")
    if not inside.any() or inside.all():
        raise HouseholdError(
            "the window mask is " + ("empty" if not inside.any() else "the whole timeline")
            + ": a share needs periods both inside and outside the window"
        )
    in_kwh = float(load[inside].sum())
    out_kwh = float(load[~inside].sum())
    if in_kwh <= 0.0 or out_kwh <= 0.0:
        raise HouseholdError(
            f"the load is zero {'inside' if in_kwh <= 0 else 'outside'} the window, so no rescaling can "
            "give it a share there: use a profile with some use in every part of the day"
        )
    total = in_kwh + out_kwh
    return np.where(inside, load * (share * total / in_kwh), load * ((1.0 - share) * total / out_kwh))

