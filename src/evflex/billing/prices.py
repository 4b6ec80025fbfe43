"""Resolve a tariff onto a timeline: a band per period, a unit price per period and a standing charge per day.

This is the only place tariff structure is interpreted; billing after it is array algebra on the result.
``as_of`` freezes every dated rate at one moment (an annual comparison "at today's rates"); without it
each period takes the rate in force at its own start (historical billing, statements).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from evflex.periods import Timeline
from evflex.tariffs.model import Structure, Tariff, TariffError

__all__ = [
    "BillingContext",
    "MissingPriceSeriesError",
    "PricePlan",
    "resolve_prices",
    "smart_offpeak_mask",
    "standing_charge_per_day",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


class MissingPriceSeriesError(TariffError):
    """A dynamic tariff was billed without the half-hourly prices it needs."""


@dataclass(frozen=True, slots=True, eq=False)
class BillingContext:
    """Everything besides the flows that a bill depends on.

    ``vat_fraction`` is the VAT rate per period (e.g. 0.05), a scalar or an array aligned to the timeline.
    ``series`` holds named half-hourly prices exc VAT in p/kWh (``agile_import``, ``agile_export``) aligned
    to the timeline, for dynamic tariffs.
    """

    region: str
    vat_fraction: float | FloatArray = 0.05
    as_of: datetime | None = None
    series: Mapping[str, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "series", MappingProxyType(dict(self.series)))

    def vat_over(self, timeline: Timeline) -> FloatArray:
        vat = np.asarray(self.vat_fraction, dtype=np.float64)
        if vat.ndim == 0:
            return np.full(timeline.n_periods, float(vat))
        if vat.shape != (timeline.n_periods,):
            raise TariffError(f"VAT array has {vat.shape[0]} values; the timeline has {timeline.n_periods} periods")
        return vat


@dataclass(frozen=True, eq=False)
class PricePlan:
    """Per-period prices of one tariff for one region over one timeline (exc VAT)."""

    tariff: Tariff
    timeline: Timeline
    band_names: tuple[str, ...]
    band_index: npt.NDArray[np.int8]
    unit_rate_p_per_kwh: FloatArray

    def band_mask(self, name: str) -> BoolArray:
        return np.asarray(self.band_index == self.band_names.index(name))

    def band_sums(self, values: FloatArray) -> FloatArray:
        """Sum of ``values`` over each band's periods.

        A weighted sum, not boolean indexing (which copies); einsum rather than BLAS because OpenBLAS
        threads a small matrix-vector product and stalls when the other core is busy.
        """
        if len(self.band_names) == 1:
            return np.array([values.sum()])
        sums: FloatArray = np.einsum("bt,t->b", self.band_weights, values)
        return sums

    @functools.cached_property
    def band_weights(self) -> FloatArray:
        """(bands, periods) 0/1 matrix: row b marks the periods priced by band b."""
        weights: FloatArray = (self.band_index[None, :] == np.arange(len(self.band_names))[:, None]).astype(np.float64)
        return weights


def _series(tariff: Tariff, timeline: Timeline, ctx: BillingContext) -> FloatArray:
    assert tariff.price_series is not None
    values = ctx.series.get(tariff.price_series)
    if values is None:
        raise MissingPriceSeriesError(
            f"{tariff.code} is priced half-hourly from the '{tariff.price_series}' series, which was not supplied "
            f"(give real prices, e.g. the Agile CSVs in ../shared/data, or --agile-prices FILE)"
        )
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (timeline.n_periods,):
        raise MissingPriceSeriesError(
            f"'{tariff.price_series}' has {arr.shape[0]} prices; the timeline has {timeline.n_periods} periods"
        )
    if np.isnan(arr).any():
        missing = int(np.isnan(arr).sum())
        first = timeline.period_start(int(np.flatnonzero(np.isnan(arr))[0]))
        raise MissingPriceSeriesError(
            f"'{tariff.price_series}' lacks {missing} half-hourly prices (first {first.isoformat()}); "
            "fill them by a stated rule before billing"
        )
    return arr


def resolve_prices(
    tariff: Tariff,
    timeline: Timeline,
    ctx: BillingContext,
    smart_slots: BoolArray | None = None,
) -> PricePlan:
    """Band and unit price per period. Smart-session tariffs use ``smart_slots`` (dispatched periods)."""
    n = timeline.n_periods
    if tariff.structure is Structure.ADD_ON:
        raise TariffError(f"{tariff.code} is an add-on: price its base import tariff and apply the add-on rules")
    if tariff.structure is Structure.DYNAMIC:
        return PricePlan(tariff, timeline, ("half-hourly",), np.zeros(n, np.int8), _series(tariff, timeline, ctx))

    names = tuple(b.name for b in tariff.bands)
    default = names.index(tariff.default_band.name)
    band_index = np.full(n, default, dtype=np.int8)
    assigned = np.zeros(n, dtype=np.bool_)
    for i, band in enumerate(tariff.bands):
        if band.windows:
            mask = band.window_mask(timeline) & ~assigned  # the first listed band wins an overlap
            band_index[mask] = i
            assigned |= mask
    if tariff.structure is Structure.SMART_SESSION and smart_slots is not None:
        assert tariff.smart is not None
        offpeak = names.index(tariff.smart.offpeak_band)
        band_index[smart_offpeak_mask(tariff, timeline, band_index == offpeak, smart_slots)] = offpeak

    histories = [band.rate.for_region(ctx.region) for band in tariff.bands]
    constants = [h.constant_value(ctx.as_of) for h in histories]
    if all(c is not None for c in constants):
        unit = np.asarray(constants, dtype=np.float64)[band_index]  # a gather: no per-band masks
    else:
        unit = np.zeros(n, dtype=np.float64)
        for i, history in enumerate(histories):
            mask = band_index == i
            if mask.any():
                unit = np.where(mask, history.over(timeline, ctx.as_of), unit)
    return PricePlan(tariff, timeline, names, band_index, unit)


def smart_offpeak_mask(
    tariff: Tariff, timeline: Timeline, fixed_offpeak: BoolArray, smart_slots: BoolArray
) -> BoolArray:
    """Dispatched slots billed off-peak: the first ``cap_hours`` of dispatch per midday-to-midday period.

    Slots inside the fixed window are off-peak anyway; they use up the cap only when the rules say so.
    """
    assert tariff.smart is not None
    rules = tariff.smart
    slots = np.asarray(smart_slots, dtype=np.bool_)
    if slots.shape != (timeline.n_periods,):
        raise TariffError(f"smart_slots has {slots.shape[0]} values; the timeline has {timeline.n_periods}")
    if rules.cap_hours is None:
        return slots
    counted = slots if rules.cap_counts_fixed_window else slots & ~fixed_offpeak
    local = timeline.local()
    # midday-to-midday "day": shift local minutes back by the boundary before taking the date
    shifted = local.day_ordinal * 1440 + local.minute_of_day - rules.cap_day_start_minute
    day = shifted // 1440
    cap_periods = rules.cap_hours * 60 / timeline.period_minutes
    running = np.cumsum(counted)
    starts = np.flatnonzero(np.diff(day, prepend=day[0] - 1))
    before_day = (running - counted)[starts]  # dispatched count before each day starts
    day_id = np.cumsum(np.diff(day, prepend=day[0] - 1) != 0) - 1
    within = running - before_day[day_id]  # 1-based count within the day for counted slots
    allowed = counted & (within <= cap_periods + 1e-9)
    return np.asarray(allowed | (slots & fixed_offpeak))


def standing_charge_per_day(tariff: Tariff, timeline: Timeline, ctx: BillingContext) -> tuple[FloatArray, IntArray]:
    """Standing charge (p/day exc VAT) for each local day of the timeline, and each day's first period index.

    A day is charged when its first period lies in the timeline; a timeline that starts mid-day pays that day.
    """
    days, firsts = timeline.local_days()
    if tariff.standing_charge is None:
        return np.zeros(days.size), firsts
    history = tariff.standing_charge.for_region(ctx.region)
    per_period = history.over(timeline, ctx.as_of)
    return per_period[firsts], firsts
