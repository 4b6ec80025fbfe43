"""Half-hourly signal series (prices, carbon intensity) with an honest account of their gaps.

A :class:`SignalSeries` is a float array aligned to a :class:`~evflex.periods.Timeline`; ``NaN`` marks a
period with no value. Its :class:`GapReport` says what is missing (always recomputed from the values, so
it cannot go stale), which values look wrong (e.g. a carbon-intensity *actual* of exactly 0), which
duplicate input rows were dropped, and every fill applied since loading. Nothing is filled implicitly:
:func:`fill_gaps` is the only place values are invented, and it records each run it fills with the rule
used ("filled 48 periods 2023-10-20T22:00Z→2023-10-21T21:30Z from the previous day").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from evflex.periods import Timeline

__all__ = [
    "FILL_RULES",
    "Fill",
    "FillRule",
    "Filled",
    "Flag",
    "GapReport",
    "PeriodRange",
    "SignalError",
    "SignalSeries",
    "align",
    "fill_gaps",
    "flag_values",
    "format_utc",
    "from_points",
    "mask_suspicious",
    "period_ranges",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

FillRule = Literal["previous-day-same-period", "linear", "forecast-for-actual"]
FILL_RULES: tuple[FillRule, ...] = ("previous-day-same-period", "linear", "forecast-for-actual")


class SignalError(ValueError):
    """A signal input (file, API payload, series) is malformed, incomplete or used inconsistently."""


def format_utc(moment: datetime) -> str:
    """``2023-10-20T22:00Z``: the Carbon Intensity API's way of writing a UTC period start."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


# -- report ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PeriodRange:
    """A run of consecutive periods; ``first`` and ``last`` are UTC period starts, both included."""

    first: datetime
    last: datetime
    n_periods: int

    def __str__(self) -> str:
        noun = "period" if self.n_periods == 1 else "periods"
        if self.n_periods == 1:
            return f"1 {noun} {format_utc(self.first)}"
        return f"{self.n_periods} {noun} {format_utc(self.first)}→{format_utc(self.last)}"


@dataclass(frozen=True, slots=True)
class Flag:
    """Values kept as given but suspicious, with the reason (e.g. an exact 0 gCO2/kWh actual)."""

    reason: str
    ranges: tuple[PeriodRange, ...]

    @property
    def n_periods(self) -> int:
        return sum(r.n_periods for r in self.ranges)

    def __str__(self) -> str:
        return f"{self.n_periods} suspicious: {self.reason} ({', '.join(str(r) for r in self.ranges)})"


@dataclass(frozen=True, slots=True)
class Fill:
    """One run of periods filled by :func:`fill_gaps`, and where the values came from."""

    rule: FillRule
    source: str
    """Where the values came from: "the previous day", "the previous week", "linear interpolation", …"""
    range: PeriodRange

    def __str__(self) -> str:
        return f"filled {self.range} from {self.source}"


@dataclass(frozen=True, slots=True)
class GapReport:
    """What a series lacks and what was done about it.

    ``missing`` is derived from the values by :class:`SignalSeries` (whatever is passed is replaced), so it
    always matches the ``NaN`` layout. ``duplicates``/``duplicates_dropped`` describe the input rows
    as loaded and are carried unchanged through :func:`align`.
    """

    missing: tuple[PeriodRange, ...] = ()
    suspicious: tuple[Flag, ...] = ()
    duplicates: tuple[PeriodRange, ...] = ()
    """Periods that had more than one input row (the first row was kept)."""
    duplicates_dropped: int = 0
    """Input rows dropped as duplicates of an earlier row for the same period."""
    conflicting_duplicates: int = 0
    """Of the dropped rows, how many had a value different from the kept one."""
    filled: tuple[Fill, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def n_missing(self) -> int:
        return sum(r.n_periods for r in self.missing)

    @property
    def n_suspicious(self) -> int:
        return sum(f.n_periods for f in self.suspicious)

    @property
    def n_filled(self) -> int:
        return sum(f.range.n_periods for f in self.filled)

    @property
    def is_clean(self) -> bool:
        """Nothing missing, flagged, duplicated or filled."""
        return not (self.missing or self.suspicious or self.duplicates_dropped or self.filled)

    def summary(self) -> str:
        """Human-readable, one finding per line ("complete" when there is nothing to say)."""
        lines = [f"missing {r}" for r in self.missing]
        lines += [str(f) for f in self.suspicious]
        if self.duplicates_dropped:
            differ = (
                f" ({self.conflicting_duplicates} with a different value)"
                if self.conflicting_duplicates
                else ""
            )
            lines.append(
                f"dropped {self.duplicates_dropped} duplicate rows{differ}, kept the first row for "
                + ", ".join(str(r) for r in self.duplicates)
            )
        lines += [str(f) for f in self.filled]
        lines += list(self.notes)
        return "\n".join(lines) if lines else "complete"


# -- series ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SignalSeries:
    """Values per period of ``timeline`` in ``unit`` (``NaN`` = missing), with their :class:`GapReport`.

    ``values`` is stored as a read-only float64 copy; ``report.missing`` is recomputed from it.
    """

    name: str
    unit: str
    timeline: Timeline
    values: FloatArray
    report: GapReport = GapReport()

    def __post_init__(self) -> None:
        values = np.array(self.values, dtype=np.float64)  # a copy: the caller's array stays theirs
        if values.ndim != 1 or values.size != self.timeline.n_periods:
            raise SignalError(
                f"{self.name}: {values.shape} values for a timeline of {self.timeline.n_periods} periods; "
                "give one value per period (NaN where missing)"
            )
        if np.isinf(values).any():
            first = self.timeline.period_start(int(np.flatnonzero(np.isinf(values))[0]))
            raise SignalError(f"{self.name}: infinite value at {format_utc(first)}; use NaN for 'missing'")
        values.setflags(write=False)
        object.__setattr__(self, "values", values)
        missing = period_ranges(self.timeline, np.isnan(values))
        object.__setattr__(self, "report", dataclasses.replace(self.report, missing=missing))

    def __len__(self) -> int:
        return self.timeline.n_periods

    @property
    def missing_mask(self) -> BoolArray:
        return np.isnan(self.values)

    def replace(self, **changes: object) -> SignalSeries:
        """A copy with some fields changed (``values``, ``report``, ``name``…)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


# -- building series ---------------------------------------------------------------------------------
def _epoch_minutes(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


def _to_epoch_minutes(starts: npt.NDArray[np.datetime64] | Sequence[datetime]) -> IntArray:
    if isinstance(starts, np.ndarray):
        if not np.issubdtype(starts.dtype, np.datetime64):
            raise SignalError(f"period starts must be datetime64 (UTC), got {starts.dtype}")
        if np.isnat(starts).any():
            raise SignalError("period starts contain NaT (an unparsed time): every row needs its UTC start")
        seconds = starts.astype("datetime64[s]").astype(np.int64)
        if (starts.astype("datetime64[s]") != starts).any() or (seconds % 60).any():
            raise SignalError("period starts must be whole minutes (no seconds)")
        return seconds // 60
    minutes = np.empty(len(starts), dtype=np.int64)
    for i, moment in enumerate(starts):
        if moment.tzinfo is None:
            raise SignalError(f"naive period start {moment.isoformat()}: give UTC times")
        minutes[i] = _epoch_minutes(moment)
    return minutes


def from_points(
    name: str,
    unit: str,
    starts: npt.NDArray[np.datetime64] | Sequence[datetime],
    values: npt.ArrayLike,
    *,
    timeline: Timeline | None = None,
    period_minutes: int = 30,
    notes: Sequence[str] = (),
) -> SignalSeries:
    """Place ``(start, value)`` points on a timeline, dropping and reporting duplicate starts.

    ``starts`` are UTC period starts (``datetime64`` read as UTC, or aware datetimes); ``values`` uses
    ``NaN`` for a row present without a value. Without ``timeline`` the series spans the first to the
    last start; with one, points outside it are ignored (selecting a span is not a gap). Periods with no
    point are missing. For a period with several rows the first row is kept.
    """
    minutes = _to_epoch_minutes(starts)
    vals = np.asarray(values, dtype=np.float64)
    if vals.shape != minutes.shape:
        raise SignalError(f"{name}: {minutes.size} period starts but {vals.size} values")
    if timeline is None:
        if minutes.size == 0:
            raise SignalError(f"{name}: no data points and no timeline to place them on")
        _check_grid(name, minutes, minutes % period_minutes, period_minutes)
        lo, hi = int(minutes.min()), int(minutes.max())
        origin = datetime.fromtimestamp(lo * 60, UTC)
        timeline = Timeline(origin, (hi - lo) // period_minutes + 1, period_minutes)
    step = timeline.period_minutes
    offsets = minutes - _epoch_minutes(timeline.start)
    _check_grid(name, minutes, offsets % step, step)
    index = offsets // step
    inside = (index >= 0) & (index < timeline.n_periods)
    index, vals = index[inside], vals[inside]

    uniq, first_pos, counts = np.unique(index, return_index=True, return_counts=True)
    out = np.full(timeline.n_periods, np.nan)
    out[uniq] = vals[first_pos]
    dup_mask = np.zeros(timeline.n_periods, dtype=np.bool_)
    dup_mask[uniq[counts > 1]] = True
    dropped = int(index.size - uniq.size)
    conflicting = 0
    if dropped:
        kept = out[index]
        is_first = np.zeros(index.size, dtype=np.bool_)
        is_first[first_pos] = True
        differs = ~((vals == kept) | (np.isnan(vals) & np.isnan(kept)))
        conflicting = int((differs & ~is_first).sum())
    report = GapReport(
        duplicates=period_ranges(timeline, dup_mask),
        duplicates_dropped=dropped,
        conflicting_duplicates=conflicting,
        notes=tuple(notes),
    )
    return SignalSeries(name, unit, timeline, out, report)


def _check_grid(name: str, minutes: IntArray, remainder: IntArray, step: int) -> None:
    off_grid = remainder != 0
    if off_grid.any():
        bad = datetime.fromtimestamp(int(minutes[np.flatnonzero(off_grid)[0]]) * 60, UTC)
        raise SignalError(
            f"{name}: {int(off_grid.sum())} timestamps are not on the {step}-minute grid "
            f"(first {format_utc(bad)}); half-hour period starts are :00 or :30 UTC"
        )


def flag_values(series: SignalSeries, mask: npt.ArrayLike, reason: str) -> SignalSeries:
    """Record the periods in ``mask`` as suspicious (values unchanged); no-op when none are."""
    flagged = np.asarray(mask, dtype=np.bool_) & ~series.missing_mask
    if not flagged.any():
        return series
    flag = Flag(reason, period_ranges(series.timeline, flagged))
    return series.replace(
        report=dataclasses.replace(series.report, suspicious=(*series.report.suspicious, flag))
    )


def mask_suspicious(series: SignalSeries) -> SignalSeries:
    """Turn every flagged value into a gap (``NaN``), ready for :func:`fill_gaps`; notes what it did."""
    if not series.report.suspicious:
        return series
    mask = _ranges_mask(series.timeline, [r for f in series.report.suspicious for r in f.ranges])
    values = np.where(mask, np.nan, series.values)
    note = f"set {int(mask.sum())} suspicious values to missing: " + "; ".join(
        f.reason for f in series.report.suspicious
    )
    report = dataclasses.replace(series.report, suspicious=(), notes=(*series.report.notes, note))
    return series.replace(values=values, report=report)


# -- filling -----------------------------------------------------------------------------------------
class Filled(NamedTuple):
    """A filled series and a human-readable account, one line per filled (or left) run."""

    series: SignalSeries
    description: str


_SOURCES: dict[int, tuple[FillRule, str]] = {
    1: ("previous-day-same-period", "the previous day"),
    2: ("previous-day-same-period", "the previous week"),
    3: ("linear", "linear interpolation"),
    4: ("forecast-for-actual", "the forecast"),
}


def fill_gaps(series: SignalSeries, rule: FillRule, *, forecast: SignalSeries | None = None) -> Filled:
    """Fill missing periods by an explicit rule; return the new series and what was filled where.

    Rules (only *observed* values are used as sources, never values this call filled):

    * ``"previous-day-same-period"``: the value 24 h earlier (the same UTC half-hour, so one local hour
      off across a clock change); where that is missing too, the value 7 days earlier; what remains is
      filled linearly between the nearest values on either side.
    * ``"linear"``: straight line between the nearest values on either side of each gap.
    * ``"forecast-for-actual"``: ``forecast``'s value (same timeline: :func:`align` it first).

    Gaps at either end that no rule can reach stay missing and are listed as such. Each filled run is
    added to ``report.filled``, so the fill travels with the data. Flagged values count as observed:
    call :func:`mask_suspicious` first to keep them out of the sources.
    """
    if rule not in FILL_RULES:
        raise SignalError(f"unknown fill rule {rule!r}: use one of {', '.join(FILL_RULES)}")
    values = series.values
    missing = np.isnan(values)
    out = values.copy()
    source = np.zeros(values.size, dtype=np.int8)
    todo = np.flatnonzero(missing)

    if rule == "forecast-for-actual":
        if forecast is None:
            raise SignalError("rule 'forecast-for-actual' needs forecast=<the forecast SignalSeries>")
        if forecast.timeline != series.timeline:
            raise SignalError(
                f"forecast {forecast.name} is on a different timeline from {series.name}: "
                "align(forecast, actual.timeline) first"
            )
        usable = todo[~np.isnan(forecast.values[todo])]
        out[usable] = forecast.values[usable]
        source[usable] = 4
    else:
        if forecast is not None:
            raise SignalError(f"forecast= is only used by rule 'forecast-for-actual', not {rule!r}")
        if rule == "previous-day-same-period":
            day = 1440 // series.timeline.period_minutes
            for lag, code in ((day, 1), (7 * day, 2)):
                pending = todo[source[todo] == 0]
                src = pending - lag
                ok = src >= 0
                ok[ok] = ~missing[src[ok]]
                out[pending[ok]] = values[src[ok]]
                source[pending[ok]] = code
        known = np.flatnonzero(~np.isnan(out))
        pending = todo[source[todo] == 0]
        if known.size:
            reachable = pending[(pending > known[0]) & (pending < known[-1])]
            out[reachable] = np.interp(reachable, known, out[known])
            source[reachable] = 3

    fills = [
        Fill(_SOURCES[code][0], _SOURCES[code][1], r)
        for code in np.unique(source[source > 0]).tolist()
        for r in period_ranges(series.timeline, source == code)
    ]
    fills.sort(key=lambda f: f.range.first)
    left = period_ranges(series.timeline, np.isnan(out))
    lines = [str(f) for f in fills] + [f"left {r} missing: no value to fill from" for r in left]
    report = dataclasses.replace(series.report, filled=(*series.report.filled, *fills))
    return Filled(series.replace(values=out, report=report), "\n".join(lines) or "nothing to fill")


# -- alignment ---------------------------------------------------------------------------------------
def align(series: SignalSeries, timeline: Timeline) -> SignalSeries:
    """Reindex onto ``timeline`` (same period length): values outside the series become ``NaN``.

    Flags and fills are clipped to the new span; missing periods are recomputed (so periods the
    source did not cover show up as missing).
    """
    src = series.timeline
    if timeline.period_minutes != src.period_minutes:
        raise SignalError(
            f"cannot align {src.period_minutes}-minute {series.name} onto a {timeline.period_minutes}-minute "
            "timeline: resample it first"
        )
    shift_min = _epoch_minutes(timeline.start) - _epoch_minutes(src.start)
    if shift_min % src.period_minutes:
        raise SignalError(
            f"timeline start {format_utc(timeline.start)} is not on {series.name}'s period grid"
        )
    shift = shift_min // src.period_minutes
    out = np.full(timeline.n_periods, np.nan)
    lo, hi = max(0, -shift), min(timeline.n_periods, src.n_periods - shift)
    if lo < hi:
        out[lo:hi] = series.values[lo + shift : hi + shift]
    report = series.report
    suspicious = tuple(
        Flag(f.reason, clipped) for f in report.suspicious if (clipped := _clip(f.ranges, timeline))
    )
    filled = tuple(Fill(f.rule, f.source, r) for f in report.filled for r in _clip((f.range,), timeline))
    return series.replace(
        timeline=timeline,
        values=out,
        report=dataclasses.replace(report, suspicious=suspicious, filled=filled),
    )


# -- helpers on arrays -------------------------------------------------------------------------------
def period_ranges(timeline: Timeline, mask: npt.ArrayLike) -> tuple[PeriodRange, ...]:
    """The runs of consecutive ``True`` periods in ``mask`` as :class:`PeriodRange` (UTC)."""
    flags = np.asarray(mask, dtype=np.bool_)
    if flags.size != timeline.n_periods:
        raise SignalError(f"mask of {flags.size} for a timeline of {timeline.n_periods} periods")
    edges = np.diff(flags.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    step = timedelta(minutes=timeline.period_minutes)
    return tuple(
        PeriodRange(timeline.start + step * int(a), timeline.start + step * int(b - 1), int(b - a))
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
    )


def _ranges_mask(timeline: Timeline, ranges: Sequence[PeriodRange]) -> BoolArray:
    mask = np.zeros(timeline.n_periods, dtype=np.bool_)
    step = timedelta(minutes=timeline.period_minutes)
    for r in ranges:
        a = (r.first - timeline.start) // step
        b = (r.last - timeline.start) // step + 1
        mask[max(a, 0) : max(min(b, timeline.n_periods), 0)] = True
    return mask


def _clip(ranges: Sequence[PeriodRange], timeline: Timeline) -> tuple[PeriodRange, ...]:
    step = timedelta(minutes=timeline.period_minutes)
    out = []
    for r in ranges:
        first, last = max(r.first, timeline.start), min(r.last, timeline.end - step)
        if first <= last:
            out.append(PeriodRange(first, last, (last - first) // step + 1))
    return tuple(out)
