"""A household: home use, car, charger, driving, optional solar and the facts tariffs are gated on.

:func:`simulate` turns a :class:`Household` into per-period :class:`~evflex.household.flows.Flows` over a
timeline under one charging policy (:mod:`evflex.household.policies`), with the provenance of every
array and the supplier's smart slots. The default household (:func:`default_household`) is a London
(region C) home using 3,100 kWh a year, driving 8,000 miles at 0.306 kWh/mile in a V2G-capable Nissan
Leaf 40 kWh on a Wallbox Quasar 1, plugged in 18:00–07:30 every day, no solar, SMETS2 meter, direct
debit, with G99 export permission — so every tariff, the V2G add-on included, can be costed for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from evflex.household.ev import (
    NISSAN_LEAF_40,
    WALLBOX_QUASAR_1,
    Charger,
    PlugInSessions,
    UsagePattern,
    Vehicle,
    plug_in_sessions,
)
from evflex.household.flows import Flows
from evflex.household.policies import EvSchedule, apply_policy
from evflex.household.profile import (
    DAYS_PER_YEAR,
    HouseholdError,
    home_load_kwh,
    reshape_to_window_share,
    years_covered,
)
from evflex.household.solar import SolarArray, solar_generation_kwh
from evflex.periods import LocalWindow, Timeline
from evflex.tariffs.model import check_region

__all__ = [
    "MAX_ANNUAL_HOME_KWH",
    "Household",
    "HouseholdError",
    "MeterType",
    "Simulation",
    "default_household",
    "simulate",
    "simulate_detail",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_ANNUAL_HOME_KWH = 100_000.0


class MeterType(StrEnum):
    SMETS2 = "SMETS2"
    SMETS1_MIGRATED = "SMETS1_MIGRATED"
    SMETS1 = "SMETS1"
    TRADITIONAL = "traditional"

    @classmethod
    def parse(cls, value: str | MeterType) -> MeterType:
        if isinstance(value, MeterType):
            return value
        key = value.strip().upper().replace("-", "_").replace(" ", "_")
        for member in cls:
            if member.value.upper() == key:
                return member
        raise HouseholdError(f"unknown meter type {value!r}: use one of {', '.join(m.value for m in cls)}")


@dataclass(frozen=True, slots=True, eq=False)
class Household:
    """One home. Give ``annual_home_kwh`` (synthetic profile) or ``home_load_kwh`` (a measured series).

    ``home_load_kwh``, when given, is used as it is over a timeline of the same length and
    ``annual_home_kwh`` is ignored. ``home_share_window`` + ``home_share`` reshape the home load so that
    exactly that share of it falls in the window (e.g. 13.98 % in 23:30–05:30).
    """

    region: str = "C"
    annual_home_kwh: float | None = 3100.0
    vehicle: Vehicle = NISSAN_LEAF_40
    charger: Charger = WALLBOX_QUASAR_1
    usage: UsagePattern = field(default_factory=UsagePattern)
    solar: SolarArray | None = None
    export_tariff_code: str | None = None
    meter_type: MeterType = MeterType.SMETS2
    prepayment: bool = False
    g99: bool = False
    """Permission from the DNO to export above 3.68 kW (needed by the V2G add-on)."""
    home_load_kwh: FloatArray | None = None
    home_share_window: LocalWindow | None = None
    home_share: float | None = None
    name: str = "household"

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "region", check_region(self.region))
        except ValueError as exc:
            raise HouseholdError(str(exc)) from None
        object.__setattr__(self, "meter_type", MeterType.parse(self.meter_type))
        if self.annual_home_kwh is not None and not 0.0 < self.annual_home_kwh <= MAX_ANNUAL_HOME_KWH:
            raise HouseholdError(
                f"annual home use {self.annual_home_kwh} kWh must be > 0 and ≤ {MAX_ANNUAL_HOME_KWH:,.0f} "
                "(a typical home uses 2,700–4,300 kWh a year)"
            )
        if self.home_load_kwh is not None:
            series = np.array(self.home_load_kwh, dtype=np.float64)
            if series.ndim != 1 or not np.isfinite(series).all() or (series < 0).any():
                raise HouseholdError("home_load_kwh must be a 1-D series of finite kWh ≥ 0, one per period")
            series.setflags(write=False)
            object.__setattr__(self, "home_load_kwh", series)
        elif self.annual_home_kwh is None:
            raise HouseholdError("give annual_home_kwh (e.g. 3100) or a home_load_kwh series")
        if (self.home_share is None) != (self.home_share_window is None):
            raise HouseholdError("give both home_share_window and home_share (e.g. 23:30–05:30 and 0.1398)")
        if self.home_share is not None and not 0.0 < self.home_share < 1.0:
            raise HouseholdError(f"home_share {self.home_share} must lie strictly between 0 and 1")
        if self.export_tariff_code is not None:
            object.__setattr__(self, "export_tariff_code", self.export_tariff_code.strip() or None)
        self._check_battery()

    def _check_battery(self) -> None:
        gap_days = self.usage.max_gap_days()
        session_kwh = self.usage.annual_charge_kwh(self.vehicle) * gap_days / DAYS_PER_YEAR
        if session_kwh > self.vehicle.battery_usable_kwh:
            every = max(int(self.vehicle.battery_usable_kwh * DAYS_PER_YEAR
                            // max(self.usage.annual_charge_kwh(self.vehicle), 1e-9)), 1)
            raise HouseholdError(
                f"{self.usage.annual_miles:,.0f} miles a year with up to {gap_days} days between plug-ins "
                f"needs {session_kwh:.1f} kWh per session, more than the {self.vehicle.name}'s usable "
                f"{self.vehicle.battery_usable_kwh:g} kWh: plug in at least every {every} day(s) or lower "
                "annual_miles (for a plug-in hybrid, count only the electric miles)"
            )

    @property
    def v2g_capable(self) -> bool:
        """Can this car and charger export (V2G)?"""
        return self.charger.can_discharge(self.vehicle)

    @property
    def has_solar(self) -> bool:
        return self.solar is not None

    def home_load(self, timeline: Timeline) -> tuple[FloatArray, str]:
        """Home use over ``timeline`` and a one-line statement of where it came from."""
        if self.home_load_kwh is not None:
            if self.home_load_kwh.size != timeline.n_periods:
                raise HouseholdError(
                    f"home_load_kwh has {self.home_load_kwh.size} periods; the timeline has "
                    f"{timeline.n_periods}: give a series aligned to the timeline"
                )
            load, source = self.home_load_kwh.copy(), f"given series ({self.home_load_kwh.sum():,.1f} kWh)"
        else:
            assert self.annual_home_kwh is not None
            years = years_covered(timeline)
            load = home_load_kwh(timeline, self.annual_home_kwh)
            source = (
                "synthetic PC1-like profile (evflex, not Elexon data), "
                f"{self.annual_home_kwh:,.0f} kWh/yr × {years:.4f} yr"
            )
        if self.home_share_window is not None and self.home_share is not None:
            mask = self.home_share_window.mask(timeline)
            load = reshape_to_window_share(load, mask, self.home_share)
            source += f"; reshaped to {self.home_share:.2%} in {self.home_share_window}"
        return load, source

    def sessions(self, timeline: Timeline) -> PlugInSessions:
        return plug_in_sessions(timeline, self.usage, self.vehicle)


def default_household() -> Household:
    """Region C, 3,100 kWh/yr, 8,000 miles at 0.306 kWh/mile, V2G Leaf 40 kWh on a Quasar 1, no solar."""
    return Household(
        region="C",
        annual_home_kwh=3100.0,
        vehicle=NISSAN_LEAF_40,
        charger=WALLBOX_QUASAR_1,
        usage=UsagePattern(annual_miles=8000.0),
        meter_type=MeterType.SMETS2,
        prepayment=False,
        g99=True,
        name="default household",
    )


@dataclass(frozen=True, slots=True, eq=False)
class Simulation:
    """A simulation's flows together with the sessions and the policy's schedule behind them."""

    flows: Flows
    sessions: PlugInSessions
    schedule: EvSchedule


def simulate_detail(
    household: Household,
    timeline: Timeline,
    policy_name: str,
    price: npt.ArrayLike | None = None,
    window_mask: npt.ArrayLike | None = None,
    preferred_mask: npt.ArrayLike | None = None,
    carbon: npt.ArrayLike | None = None,
) -> Simulation:
    """Like :func:`simulate`, also returning the plug-in sessions and the policy's schedule."""
    home, home_source = household.home_load(timeline)
    sessions = household.sessions(timeline)
    schedule = apply_policy(
        policy_name, sessions, household.charger, household.vehicle, timeline, price, window_mask,
        preferred_mask=preferred_mask, carbon_g_per_kwh=carbon,
    )
    if household.solar is not None:
        solar = solar_generation_kwh(household.solar, timeline, household.region)
        lat, lon = household.solar.location(household.region)
        solar_source = (
            f"pvlib clear-sky × assumed UK monthly clear-sky index, {household.solar.kwp:g} kWp at "
            f"{household.solar.tilt_deg:g}°/{household.solar.azimuth_deg:g}°, ({lat:.2f}, {lon:.2f})"
        )
    else:
        solar, solar_source = np.zeros(timeline.n_periods), "no solar"
    usage = household.usage
    provenance = {
        "home_load_kwh": home_source,
        "ev_charge_kwh": (
            f"household model: policy {policy_name!r}, {household.vehicle.name} on {household.charger.name}, "
            f"{usage.annual_miles:,.0f} miles/yr at {household.vehicle.efficiency_kwh_per_mile:g} kWh/mile, "
            f"plugged in {usage.plug_in}"
            + (f" every {usage.every_n_days} days" if usage.every_n_days > 1 else "")
        ),
        "ev_discharge_kwh": "none: the household policies only charge (V2G export is the scheduler's)",
        "solar_kwh": solar_source,
        "ev_unmet_kwh": f"{schedule.unmet_kwh:.3f}",
    }
    if schedule.notes:
        provenance["policy_notes"] = "; ".join(schedule.notes)
    flows = Flows.from_household(
        timeline, home, schedule.ev_charge_kwh, schedule.ev_discharge_kwh, solar,
        smart_slots=schedule.smart_slots, provenance=provenance,
    )
    return Simulation(flows, sessions, schedule)


def simulate(
    household: Household,
    timeline: Timeline,
    policy_name: str,
    price: npt.ArrayLike | None = None,
    window_mask: npt.ArrayLike | None = None,
    preferred_mask: npt.ArrayLike | None = None,
    carbon: npt.ArrayLike | None = None,
) -> Flows:
    """Per-period flows of ``household`` over ``timeline`` with the EV charged by ``policy_name``.

    ``price`` (p/kWh per period) is needed by ``smart``; ``window_mask`` by ``window`` (and used by
    ``v2g_addon`` without carbon data); ``preferred_mask`` breaks price ties for ``smart`` (IOG's fixed
    window); ``carbon`` (gCO2/kWh per period) steers ``v2g_addon``. The policy's unmet energy and notes
    are in ``flows.provenance["ev_unmet_kwh"]`` and ``["policy_notes"]``.
    """
    return simulate_detail(household, timeline, policy_name, price, window_mask, preferred_mask, carbon).flows
