"""Half-hour timelines, local (Europe/London) windows and local days.

The unit of settlement is the half-hour period identified by its UTC start. A :class:`Timeline` is a run
of equal periods from a UTC start; every array in evflex that is "per period" is aligned to one. Local
clock time is used only to place windows ("00:30–04:30") and local days, which have 46, 48 or 50
half-hours because of the March and October clock changes.

Local-time arrays are computed once per timeline (vectorised from the few UTC-offset changes in range)
and cached, so tariff windows over a household-year cost a handful of numpy operations.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

__all__ = [
    "LONDON",
    "PERIOD_MINUTES",
    "LocalTimes",
    "LocalWindow",
    "PeriodError",
    "Timeline",
    "ensure_utc",
    "local_day",
    "local_days",
    "local_year",
]

LONDON = ZoneInfo("Europe/London")
PERIOD_MINUTES = 30

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


class PeriodError(ValueError):
    """A time or timeline argument is not usable (naive datetime, misaligned start, bad window)."""


def ensure_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; refuse naive datetimes, whose meaning would be a guess."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise PeriodError(
            f"naive datetime {moment.isoformat()}: give a timezone (e.g. '2025-01-01T00:00Z' or '+01:00')"
        )
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class LocalTimes:
    """Local clock facts for every period of a timeline (all arrays have one entry per period)."""

    minute_of_day: IntArray
    """Local minutes since local midnight at the period start (0…1439)."""
    weekday: IntArray
    """Local weekday of the period start, Monday = 0."""
    day_ordinal: IntArray
    """Local calendar date of the period start as ``date.toordinal()``."""
    utc_offset_minutes: IntArray
    """Offset of local time from UTC at the period start (0 in GMT, 60 in BST)."""


@dataclass(frozen=True, slots=True)
class Timeline:
    """``n_periods`` consecutive periods of ``period_minutes`` starting at ``start`` (UTC)."""

    start: datetime
    n_periods: int
    period_minutes: int = PERIOD_MINUTES

    def __post_init__(self) -> None:
        start = ensure_utc(self.start)
        object.__setattr__(self, "start", start)
        if self.period_minutes <= 0 or 1440 % self.period_minutes:
            raise PeriodError(f"period_minutes={self.period_minutes} must divide a day (e.g. 30 or 15)")
        if self.n_periods < 0:
            raise PeriodError(f"n_periods={self.n_periods} must be ≥ 0")
        if start.second or start.microsecond or start.minute % self.period_minutes:
            raise PeriodError(f"timeline start {start.isoformat()} is not on a {self.period_minutes}-minute boundary")

    # -- construction -------------------------------------------------------------------------------
    @classmethod
    def between(cls, start: datetime, end: datetime, period_minutes: int = PERIOD_MINUTES) -> Timeline:
        """Periods covering ``[start, end)``; both must lie on period boundaries."""
        start_utc, end_utc = ensure_utc(start), ensure_utc(end)
        span = (end_utc - start_utc) / timedelta(minutes=period_minutes)
        if span < 0 or span != int(span):
            raise PeriodError(f"[{start_utc}, {end_utc}) is not a whole number of {period_minutes}-min periods")
        return cls(start_utc, int(span), period_minutes)

    # -- basic facts --------------------------------------------------------------------------------
    @property
    def period_hours(self) -> float:
        return self.period_minutes / 60.0

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.period_minutes * self.n_periods)

    def __len__(self) -> int:
        return self.n_periods

    def starts(self) -> npt.NDArray[np.datetime64]:
        """UTC period starts as ``datetime64[m]`` (numpy datetimes are naive; these are UTC)."""
        origin = np.datetime64(self.start.replace(tzinfo=None), "m")
        return origin + np.arange(self.n_periods, dtype=np.int64) * np.timedelta64(self.period_minutes, "m")

    def period_start(self, index: int) -> datetime:
        if not 0 <= index < self.n_periods:
            raise IndexError(f"period {index} outside timeline of {self.n_periods}")
        return self.start + timedelta(minutes=self.period_minutes * index)

    def index_of(self, moment: datetime) -> int:
        """Index of the period containing ``moment``."""
        delta = ensure_utc(moment) - self.start
        index = int(delta // timedelta(minutes=self.period_minutes))
        if not 0 <= index < self.n_periods:
            raise PeriodError(f"{moment.isoformat()} is outside {self.start.isoformat()}…{self.end.isoformat()}")
        return index

    def local(self) -> LocalTimes:
        """Local clock facts per period (cached per timeline)."""
        return _local_times(self.start, self.n_periods, self.period_minutes)

    def local_days(self) -> tuple[IntArray, IntArray]:
        """``(day_ordinals, first_index)``: each local day present and the index where it starts (cached)."""
        return _local_days(self.start, self.n_periods, self.period_minutes)

    def n_local_days(self) -> int:
        """Number of distinct local dates touched by the timeline."""
        return int(self.local_days()[0].size)


@functools.lru_cache(maxsize=64)
def _local_times(start: datetime, n_periods: int, period_minutes: int) -> LocalTimes:
    offsets = _utc_offsets_minutes(start, n_periods, period_minutes)
    start_minutes = int(start.timestamp() // 60)  # minutes since the Unix epoch, UTC
    utc_minutes = start_minutes + np.arange(n_periods, dtype=np.int64) * period_minutes
    local_minutes = utc_minutes + offsets
    days = local_minutes // 1440
    minute_of_day = local_minutes - days * 1440
    epoch_ordinal = date(1970, 1, 1).toordinal()
    day_ordinal = days + epoch_ordinal
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
    for arr in (minute_of_day, weekday, day_ordinal, offsets):
        arr.setflags(write=False)
    return LocalTimes(minute_of_day, weekday, day_ordinal, offsets)


@functools.lru_cache(maxsize=64)
def _local_days(start: datetime, n_periods: int, period_minutes: int) -> tuple[IntArray, IntArray]:
    ordinals = _local_times(start, n_periods, period_minutes).day_ordinal
    if ordinals.size == 0:
        return ordinals, ordinals
    firsts = np.flatnonzero(np.diff(ordinals, prepend=ordinals[0] - 1))
    days = ordinals[firsts]
    firsts.setflags(write=False)
    days.setflags(write=False)
    return days, firsts


def _offset_at(moment: datetime) -> int:
    off = moment.astimezone(LONDON).utcoffset()
    assert off is not None
    return int(off.total_seconds() // 60)


def _utc_offsets_minutes(start: datetime, n_periods: int, period_minutes: int) -> IntArray:
    """UTC offset per period, found by sampling once per day and bisecting the rare changes."""
    offsets = np.empty(n_periods, dtype=np.int64)
    if n_periods == 0:
        return offsets
    per_day = 1440 // period_minutes
    step = timedelta(minutes=period_minutes)
    i = 0
    current = _offset_at(start)
    while i < n_periods:
        j = min(i + per_day, n_periods)
        end_offset = _offset_at(start + step * (j - 1))
        if end_offset == current:
            offsets[i:j] = current
        else:  # a change inside [i, j): find the first period with the new offset
            lo, hi = i, j - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if _offset_at(start + step * mid) == current:
                    lo = mid + 1
                else:
                    hi = mid
            offsets[i:lo] = current
            offsets[lo:j] = end_offset
            current = end_offset
        i = j
    return offsets


# -- local days ---------------------------------------------------------------------------------------
def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def local_day(day: date) -> Timeline:
    """The half-hours of one local day: 48 normally, 46 on the March change and 50 on the October one."""
    return local_days(day, day + timedelta(days=1))


def local_days(first: date, end: date) -> Timeline:
    """Half-hours of the local days ``[first, end)``."""
    if end <= first:
        raise PeriodError(f"empty day range {first}…{end}")
    return Timeline.between(_local_midnight_utc(first), _local_midnight_utc(end))


def local_year(year: int) -> Timeline:
    """All half-hours of a local calendar year (17,520 or 17,568 periods)."""
    return local_days(date(year, 1, 1), date(year + 1, 1, 1))


# -- local windows ------------------------------------------------------------------------------------
def _parse_clock(value: str | time) -> int:
    if isinstance(value, time):
        return value.hour * 60 + value.minute
    try:
        hh, mm = value.strip().split(":")
        minutes = int(hh) * 60 + int(mm)
    except ValueError:
        raise PeriodError(f"clock time {value!r} is not HH:MM") from None
    if not 0 <= minutes <= 1440:
        raise PeriodError(f"clock time {value!r} is outside 00:00–24:00")
    return minutes


_WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class LocalWindow:
    """A daily local-clock window ``[start, end)``, e.g. 23:30–05:30, optionally on some weekdays only.

    A window whose end is not after its start crosses midnight. ``weekdays`` (Monday = 0) names the local
    weekday on which the window *opens*: a Friday 23:30–05:30 window covers Saturday 00:00–05:30 too.
    A period belongs to the window when its start does; windows on 30-minute boundaries are exact for
    30- and 15-minute timelines.
    """

    start_minute: int
    end_minute: int
    weekdays: frozenset[int] = frozenset(range(7))

    def __post_init__(self) -> None:
        for m in (self.start_minute, self.end_minute):
            if not 0 <= m <= 1440:
                raise PeriodError(f"window minute {m} outside 0…1440")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise PeriodError(f"weekdays {sorted(self.weekdays)} must be a non-empty subset of 0…6")

    @classmethod
    def parse(cls, text: str, weekdays: str | None = None) -> LocalWindow:
        """``LocalWindow.parse("23:30-05:30", "mon-fri")``; weekdays as ``mon,wed`` or ``mon-fri``."""
        try:
            a, b = text.replace("–", "-").split("-")
        except ValueError:
            raise PeriodError(f"window {text!r} is not 'HH:MM-HH:MM'") from None
        return cls(_parse_clock(a), _parse_clock(b), _parse_weekdays(weekdays))

    @property
    def crosses_midnight(self) -> bool:
        return self.end_minute <= self.start_minute

    @property
    def minutes_per_day(self) -> int:
        span = self.end_minute - self.start_minute
        return span if span > 0 else span + 1440

    def __str__(self) -> str:
        def clock(m: int) -> str:
            return f"{m // 60:02d}:{m % 60:02d}"

        days = "" if len(self.weekdays) == 7 else " " + ",".join(_WEEKDAY_NAMES[d] for d in sorted(self.weekdays))
        return f"{clock(self.start_minute)}–{clock(self.end_minute)}{days}"

    def mask(self, timeline: Timeline) -> BoolArray:
        """Boolean per period: does the period start inside the window (local clock time)? Cached, read-only."""
        return _window_mask(self, timeline)

    def _compute_mask(self, timeline: Timeline) -> BoolArray:
        local = timeline.local()
        mod = local.minute_of_day
        if not self.crosses_midnight:
            inside = (mod >= self.start_minute) & (mod < self.end_minute)
            opening_weekday = local.weekday
        else:
            evening = mod >= self.start_minute
            morning = mod < self.end_minute
            inside = evening | morning
            # the morning part belongs to the window that opened the previous local day
            opening_weekday = np.where(morning & ~evening, (local.weekday - 1) % 7, local.weekday)
        if len(self.weekdays) < 7:
            allowed = np.zeros(7, dtype=np.bool_)
            allowed[list(self.weekdays)] = True
            inside &= allowed[opening_weekday]
        return inside


@functools.lru_cache(maxsize=256)
def _window_mask(window: LocalWindow, timeline: Timeline) -> BoolArray:
    mask = window._compute_mask(timeline)
    mask.setflags(write=False)
    return mask


def _parse_weekdays(text: str | None) -> frozenset[int]:
    if text is None or text.strip().lower() in ("", "all", "daily"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        try:
            if "-" in part:
                a, b = part.split("-")
                ia, ib = _WEEKDAY_NAMES.index(a[:3]), _WEEKDAY_NAMES.index(b[:3])
                span = range(ia, ib + 1) if ia <= ib else [*range(ia, 7), *range(0, ib + 1)]
                days.update(span)
            else:
                days.add(_WEEKDAY_NAMES.index(part[:3]))
        except ValueError:
            raise PeriodError(f"weekdays {text!r}: use names like 'mon-fri' or 'sat,sun'") from None
    return frozenset(days)
