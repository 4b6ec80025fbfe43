"""Electric vehicles, chargers, driving and plug-in patterns, and the charging sessions they imply.

Energy convention: ``efficiency_kwh_per_mile`` is measured **at the wall** (what the charger meter
records per mile driven, as in the V2G tariff's worked example: 10,000 miles × 0.306 kWh/mile = 3,060 kWh
of charging). Session needs are therefore charger-side kWh and the household model does not apply the
charger's efficiency again; :attr:`Charger.efficiency` is kept for the scheduler's state-of-charge model.

Plug-in pattern (:class:`UsagePattern`): the car is plugged in over a daily local window such as
18:00–07:30, on the local weekdays of the window (the day it *opens*, i.e. the arrival day), and only on
every ``every_n_days``-th local day counted from a fixed origin (``date.toordinal() % n == 0``), so the
same days are chosen whatever timeline is asked for. An arrival or departure time that does not exist on
the March clock-change day falls on the next period that does.

Energy per session (:func:`plug_in_sessions`): the driving since the previous arrival, i.e. the total for
the timeline (``annual_miles × kWh/mile × years_covered(timeline)``) shared among the sessions arriving in
the timeline in proportion to the time since each one's previous arrival. A Monday session after a
weekend away therefore needs three days' driving. A session already under way when the timeline starts
is taken as charged (need 0); a session still open at the end must be ready by the end of the timeline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from evflex.household.profile import HouseholdError, years_covered
from evflex.periods import LONDON, LocalWindow, Timeline

__all__ = [
    "CHARGERS",
    "DEFAULT_PLUG_IN",
    "GENERIC_CCS",
    "GENERIC_SMART_CHARGER_7KW",
    "MITSUBISHI_OUTLANDER_PHEV",
    "NISSAN_ENV200",
    "NISSAN_LEAF_40",
    "VEHICLES",
    "WALLBOX_QUASAR_1",
    "Charger",
    "PlugInSessions",
    "UsagePattern",
    "Vehicle",
    "charger_preset",
    "plug_in_sessions",
    "vehicle_preset",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

MAX_ANNUAL_MILES = 100_000.0


@dataclass(frozen=True, slots=True)
class Vehicle:
    """An electric car as the household model needs it."""

    name: str
    battery_usable_kwh: float
    efficiency_kwh_per_mile: float
    """Charger-side (wall) energy per mile driven."""
    bidirectional: bool = False
    """Can the car discharge (V2G)?"""
    connector: str = "CCS"
    smart_api: bool = False
    """Is the car on the session tariffs' compatibility lists (manufacturer API)?"""

    def __post_init__(self) -> None:
        if not 0.0 < self.battery_usable_kwh <= 250.0:
            raise HouseholdError(
                f"vehicle {self.name!r}: usable battery {self.battery_usable_kwh} kWh must be in (0, 250]"
            )
        if not 0.05 <= self.efficiency_kwh_per_mile <= 2.0:
            raise HouseholdError(
                f"vehicle {self.name!r}: {self.efficiency_kwh_per_mile} kWh/mile is implausible; "
                "give the wall-to-wheel figure, e.g. 0.306"
            )


@dataclass(frozen=True, slots=True)
class Charger:
    """A home chargepoint."""

    name: str
    max_charge_kw: float
    max_discharge_kw: float = 0.0
    bidirectional: bool = False
    min_setpoint_kw: float = 0.0
    """Smallest non-zero power the charger can be set to (1.38 kW on the Quasar 1)."""
    efficiency: float = 0.92
    """One-way charger + car efficiency, for the scheduler's state-of-charge model (not applied here)."""
    smart_api: bool = False
    """Is the chargepoint on the session tariffs' compatibility lists?"""

    def __post_init__(self) -> None:
        if not 0.0 < self.max_charge_kw <= 350.0:
            raise HouseholdError(
                f"charger {self.name!r}: max_charge_kw {self.max_charge_kw} must be in (0, 350]"
            )
        if self.max_discharge_kw < 0 or (self.max_discharge_kw > 0 and not self.bidirectional):
            raise HouseholdError(
                f"charger {self.name!r}: max_discharge_kw {self.max_discharge_kw} needs bidirectional=True "
                "and a value ≥ 0"
            )
        if not 0.0 <= self.min_setpoint_kw <= self.max_charge_kw:
            raise HouseholdError(
                f"charger {self.name!r}: min_setpoint_kw {self.min_setpoint_kw} "
                "must lie in [0, max_charge_kw]"
            )
        if not 0.5 <= self.efficiency <= 1.0:
            raise HouseholdError(f"charger {self.name!r}: efficiency {self.efficiency} must be in [0.5, 1]")

    def can_discharge(self, vehicle: Vehicle) -> bool:
        """V2G needs both a bidirectional charger and a car that can discharge."""
        return self.bidirectional and vehicle.bidirectional and self.max_discharge_kw > 0


# -- presets ----------------------------------------------------------------------------------------------
# Usable capacities and efficiencies marked (unverified) are typical published figures, not measurements.
NISSAN_LEAF_40 = Vehicle("Nissan Leaf 40 kWh", 38.0, 0.306, bidirectional=True, connector="CHAdeMO")
"""Usable ≈ 37–39 kWh (poweringautos.com ~37, electrifying.com 39); 0.306 kWh/mile: the V2G tariff page."""
NISSAN_ENV200 = Vehicle("Nissan e-NV200 40 kWh", 36.0, 0.35, bidirectional=True, connector="CHAdeMO")
"""(unverified) usable ≈ 36 kWh, ≈ 0.35 kWh/mile for a small van."""
MITSUBISHI_OUTLANDER_PHEV = Vehicle(
    "Mitsubishi Outlander PHEV", 10.5, 0.40, bidirectional=True, connector="CHAdeMO"
)
"""(unverified) 13.8 kWh gross, ≈ 10.5 kWh usable; a plug-in hybrid: beyond the battery it burns petrol."""
GENERIC_CCS = Vehicle("Tesla Model 3 / generic CCS", 57.5, 0.28, bidirectional=False, smart_api=True)
"""(unverified) a one-way CCS car whose manufacturer API is on the smart-tariff lists."""

WALLBOX_QUASAR_1 = Charger(
    "Wallbox Quasar 1", 7.4, 7.4, bidirectional=True, min_setpoint_kw=1.38, efficiency=0.92
)
"""CHAdeMO DC, ±7.4 kW, 1.38 kW minimum setpoint; efficiency assumed √0.85 (V2G Liberty's 85 % round trip)."""
GENERIC_SMART_CHARGER_7KW = Charger(
    "Generic 7.4 kW smart charger (Ohme-like)", 7.4, min_setpoint_kw=1.38, efficiency=0.90, smart_api=True
)
"""One-way AC 32 A smart charger; 6 A (1.38 kW) minimum; efficiency (unverified) 0.90."""

VEHICLES: Mapping[str, Vehicle] = MappingProxyType(
    {
        "nissan-leaf-40": NISSAN_LEAF_40,
        "nissan-e-nv200": NISSAN_ENV200,
        "mitsubishi-outlander-phev": MITSUBISHI_OUTLANDER_PHEV,
        "generic-ccs": GENERIC_CCS,
    }
)
CHARGERS: Mapping[str, Charger] = MappingProxyType(
    {"wallbox-quasar-1": WALLBOX_QUASAR_1, "generic-smart-7kw": GENERIC_SMART_CHARGER_7KW}
)


def vehicle_preset(key: str) -> Vehicle:
    try:
        return VEHICLES[key.strip().lower()]
    except KeyError:
        raise HouseholdError(f"unknown vehicle {key!r}: choose one of {', '.join(VEHICLES)}") from None


def charger_preset(key: str) -> Charger:
    try:
        return CHARGERS[key.strip().lower()]
    except KeyError:
        raise HouseholdError(f"unknown charger {key!r}: choose one of {', '.join(CHARGERS)}") from None


# -- usage ------------------------------------------------------------------------------------------------
DEFAULT_PLUG_IN = LocalWindow(18 * 60, 7 * 60 + 30)
"""Home by 18:00, away at 07:30 (local), every day."""


@dataclass(frozen=True, slots=True)
class UsagePattern:
    """Annual driving and a deterministic plug-in routine (see the module docstring)."""

    annual_miles: float = 8000.0
    plug_in: LocalWindow = DEFAULT_PLUG_IN
    """Local window the car is plugged in: arrival at its start, departure at its end."""
    every_n_days: int = 1

    def __post_init__(self) -> None:
        if not 0.0 <= self.annual_miles <= MAX_ANNUAL_MILES:
            raise HouseholdError(
                f"annual_miles {self.annual_miles} must be between 0 and {MAX_ANNUAL_MILES:,.0f} (e.g. 8000)"
            )
        if not 1 <= self.every_n_days <= 28:
            raise HouseholdError(f"every_n_days {self.every_n_days} must be 1…28 (1 = every chosen day)")
        if self.max_gap_days() == 0:
            raise HouseholdError(
                f"plugging in every {self.every_n_days} days only on {self.plug_in} never happens "
                "(the chosen days never fall on those weekdays): allow more weekdays or change every_n_days"
            )

    @classmethod
    def parse(cls, annual_miles: float, window: str = "18:00-07:30", days: str | None = None,
              every_n_days: int = 1) -> UsagePattern:
        """``UsagePattern.parse(8000, "18:00-07:30", "mon-fri")``."""
        try:
            plug_in = LocalWindow.parse(window, days)
        except ValueError as exc:
            raise HouseholdError(f"plug-in window: {exc}") from None
        return cls(float(annual_miles), plug_in, every_n_days)

    def is_plug_in_day(self, day_ordinals: IntArray) -> BoolArray:
        """Does the car arrive (plug in) on these local days (``date.toordinal()``)?"""
        weekday = (day_ordinals - 1) % 7  # ordinal 1 (0001-01-01) was a Monday
        allowed = np.zeros(7, dtype=np.bool_)
        allowed[list(self.plug_in.weekdays)] = True
        plug_day: BoolArray = allowed[weekday] & (day_ordinals % self.every_n_days == 0)
        return plug_day

    def max_gap_days(self) -> int:
        """Longest run of days between consecutive arrivals (0 if the pattern never plugs in)."""
        cycle = 7 * self.every_n_days // math.gcd(7, self.every_n_days)
        days = np.flatnonzero(self.is_plug_in_day(np.arange(cycle, dtype=np.int64)))
        if days.size == 0:
            return 0
        return int(np.diff(days, append=days[0] + cycle).max())

    def annual_charge_kwh(self, vehicle: Vehicle) -> float:
        return self.annual_miles * vehicle.efficiency_kwh_per_mile


@dataclass(frozen=True, slots=True, eq=False)
class PlugInSessions:
    """Plug-in sessions over a timeline: ``[arrival_index, departure_index)`` per session, and the need."""

    timeline: Timeline
    arrival_index: IntArray
    departure_index: IntArray
    """Exclusive end; the ready-by period boundary (``timeline.n_periods`` if still plugged in at the end)."""
    need_kwh: FloatArray
    """Charger-side energy each session must deliver by departure."""
    driving_kwh: float
    """Driving energy the timeline stands for; equals ``need_kwh.sum()`` unless no session arrives in it."""
    carried_in: bool = False
    """The first session was already under way at the start (need 0)."""

    @property
    def n_sessions(self) -> int:
        return int(self.arrival_index.size)

    def lengths(self) -> IntArray:
        return self.departure_index - self.arrival_index

    def plugged_in(self) -> BoolArray:
        """Boolean per period: is the car plugged in?"""
        edges = np.zeros(self.timeline.n_periods + 1, dtype=np.int64)
        np.add.at(edges, self.arrival_index, 1)
        np.add.at(edges, self.departure_index, -1)
        plugged: BoolArray = np.cumsum(edges[:-1]) > 0
        return plugged


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def _crossings(timeline: Timeline, minute: int) -> tuple[IntArray, IntArray]:
    """``(day_ordinals, indices)``: per local day, the first period at or after local ``minute``."""
    local = timeline.local()
    mod, day = local.minute_of_day, local.day_ordinal
    cand = np.flatnonzero(mod >= minute)
    first = np.diff(day[cand], prepend=-1) != 0
    cand = cand[first]
    # a genuine crossing: the previous period is the same day (and so earlier), or the period starts on time
    prev_same_day = (cand > 0) & (day[np.maximum(cand - 1, 0)] == day[cand])
    cand = cand[prev_same_day | (mod[cand] == minute)]
    return day[cand], cand.astype(np.int64)


def plug_in_sessions(timeline: Timeline, usage: UsagePattern, vehicle: Vehicle) -> PlugInSessions:
    """The sessions of ``usage`` over ``timeline`` and the charger-side energy each needs."""
    n = timeline.n_periods
    driving_kwh = usage.annual_charge_kwh(vehicle) * years_covered(timeline)
    empty = np.zeros(0, dtype=np.int64)
    if n == 0:
        return PlugInSessions(timeline, empty, empty, np.zeros(0), driving_kwh)

    # work on whole local days around the timeline: far enough back to see each session's previous arrival
    first = date.fromordinal(int(timeline.local().day_ordinal[0]))
    last = date.fromordinal(int(timeline.local().day_ordinal[-1]))
    ext_start = _local_midnight_utc(first - timedelta(days=usage.max_gap_days() + 1))
    ext = Timeline.between(ext_start, _local_midnight_utc(last + timedelta(days=3)), timeline.period_minutes)
    offset = int((timeline.start - ext.start) // timedelta(minutes=timeline.period_minutes))

    window = usage.plug_in
    arr_days, arr_idx = _crossings(ext, window.start_minute)
    keep = usage.is_plug_in_day(arr_days)
    arr_days, arr_idx = arr_days[keep], arr_idx[keep]
    dep_days, dep_idx = _crossings(ext, window.end_minute % 1440)
    # departure: the window's end on the arrival day, or the next day when it crosses (or ends at) midnight
    want = arr_days + (1 if window.crosses_midnight or window.end_minute == 1440 else 0)
    pos = np.searchsorted(dep_days, want)
    found = pos < dep_days.size
    found[found] = dep_days[pos[found]] == want[found]
    big = np.iinfo(np.int64).max // 4
    departure = np.where(found, dep_idx[np.minimum(pos, dep_days.size - 1)], big)

    # time since the previous arrival (the look-back guarantees one before every arrival in the timeline)
    gaps = np.diff(arr_idx, prepend=arr_idx[0] - 1).astype(np.float64)
    arrival = arr_idx - offset
    depart = np.minimum(departure - offset, n)
    inside = (arrival >= 0) & (arrival < n)
    overlapping = (arrival < 0) & (depart > 0)
    need = np.zeros(arrival.size)
    if inside.any():
        need[inside] = driving_kwh * gaps[inside] / gaps[inside].sum()
    sel = inside | overlapping
    arrival, depart, need = np.maximum(arrival[sel], 0), depart[sel], need[sel]
    return PlugInSessions(
        timeline,
        arrival.astype(np.int64),
        depart.astype(np.int64),
        need,
        driving_kwh,
        carried_in=bool(overlapping.any()),
    )
