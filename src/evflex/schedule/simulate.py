"""Receding-horizon simulation: one car over a year, replanned every half-hour with what is known then.

A real controller replans every period with only the prices and forecasts published by then, applies
the first period's decision and moves on. This module does that over a year for three strategies on the
same car, household and signals:

* ``dumb``: full power from plug-in until the target is reached (no plan).
* ``smart``: one-way smart charging, the cheapest (or, with the carbon objective, greenest) slots before
  the departure: :func:`solve` on the same charger with discharge disabled.
* ``v2g``: :func:`solve` with discharge; export valued at the export price (Agile Outgoing), a
  battery-wear cost per kWh through the charger, the floor below 30 % (25 % by default).

Information rules (:class:`InformationRules`)
---------------------------------------------
* Agile import and export prices are published about 16:00 local for the next Agile day (23:00 → 23:00
  local). A plan made at ``t`` therefore sees prices up to 23:00 local today when ``t`` is before 16:00,
  and up to 23:00 local tomorrow from 16:00 on (:func:`known_horizon_end`); never beyond the departure.
* Carbon intensity: plans use the **forecast**; outcomes are judged on the **actual** intensity.
* Home load (behind the same meter; V2G serves it first): the plan sees the home's own use of the
  horizon (a perfect forecast of the profile); a real controller would use a forecast.
* When the departure lies beyond the published prices, the plan ends at the last known period with a
  terminal SoC requirement: at least what keeps the target reachable at full power, and at least
  ``min(target, SoC now)``: it may trade within the known prices but does not sell energy it would have
  to buy back at prices nobody knows yet.

Accounting (:class:`StrategyTotals`, detailed in ``docs/simulation.md``): money at the meter in the
signals' units (the shared Agile import prices include 5 % VAT, Agile Outgoing none); carbon as net grid
energy × the **actual** intensity (an export is credited at its period's actual intensity); full-cycle
equivalents as battery-side throughput ÷ 2 ÷ usable capacity; the car's share as meter − home alone.

Pure: arrays and frozen dataclasses in and out; no file I/O and no clock. The receding horizon is
sequential by nature (each decision depends on the SoC the previous one left), so the loop over the
plugged-in periods is a Python loop; everything else is array algebra.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.household.ev import Charger as HouseholdCharger
from evflex.household.ev import PlugInSessions, Vehicle
from evflex.periods import Timeline
from evflex.schedule.errors import ScheduleError
from evflex.schedule.fast import solve
from evflex.schedule.problem import (
    DEFAULT_EXPORT_LIMIT_KW,
    Battery,
    Charger,
    Objective,
    ObjectiveKind,
    ScheduleProblem,
    Session,
)
from evflex.schedule.result import ScheduleResult, ScheduleStatus

__all__ = [
    "AGILE_PUBLICATION",
    "DEFAULT_STRATEGIES",
    "InformationRules",
    "Progress",
    "SimulationError",
    "SimulationResult",
    "SimulationSignals",
    "Solver",
    "Strategy",
    "StrategyKind",
    "StrategyTotals",
    "VehicleSetup",
    "known_horizon_end",
    "scheduler_charger",
    "simulate",
    "simulate_strategies",
    "vehicle_setup",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Solver = Callable[[ScheduleProblem], ScheduleResult]
Progress = Callable[[int, int], None]
"""Called with ``(periods done, periods in total)`` after each session."""

_SNAP_KWH = 1e-9
_ZERO_KW = 1e-9
_SIGNALS = (
    "import_price_p_per_kwh export_price_p_per_kwh carbon_forecast_g_per_kwh carbon_actual_g_per_kwh home_load_kwh"
)


class SimulationError(ScheduleError):
    """A simulation input is inconsistent (signal lengths, gaps, a V2G strategy on a one-way charger…)."""


# -- inputs ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class InformationRules:
    """When day-ahead prices become known, in local clock minutes.

    Agile: published "between 4–8pm, usually nearer 4pm" for the Agile day that runs 23:00 → 23:00 local,
    so from 16:00 on day D the prices are known to 23:00 on D+1, before it to 23:00 on D.
    """

    publish_local_minute: int = 16 * 60
    day_end_local_minute: int = 23 * 60

    def __post_init__(self) -> None:
        if not 0 <= self.publish_local_minute < self.day_end_local_minute < 1440:
            raise SimulationError(
                f"need 0 ≤ publish minute ({self.publish_local_minute}) < day-end minute "
                f"({self.day_end_local_minute}) < 1440"
            )


AGILE_PUBLICATION = InformationRules()


@dataclass(frozen=True, slots=True, eq=False)
class SimulationSignals:
    """Per-period signals over ``timeline``: what is paid, earned and emitted, and what plans see.

    Prices are both the plan's and the outcome's (day-ahead prices are known exactly once published);
    carbon is planned on ``carbon_forecast_g_per_kwh`` and judged on ``carbon_actual_g_per_kwh``.
    Arrays must be complete (fill gaps first with :func:`evflex.signals.fill_gaps` and keep the notes).
    """

    timeline: Timeline
    import_price_p_per_kwh: FloatArray
    export_price_p_per_kwh: FloatArray
    carbon_forecast_g_per_kwh: FloatArray
    carbon_actual_g_per_kwh: FloatArray
    home_load_kwh: FloatArray | None = None
    notes: tuple[str, ...] = ()
    """Where each signal came from and what was filled (shown with the results)."""

    def __post_init__(self) -> None:
        n = self.timeline.n_periods
        for name in _SIGNALS.split():
            value = getattr(self, name)
            if value is None:
                continue
            array = np.array(value, dtype=np.float64)
            if array.shape != (n,):
                raise SimulationError(f"{name} has shape {array.shape}; the timeline has {n} periods")
            bad = np.flatnonzero(~np.isfinite(array))
            if bad.size:
                raise SimulationError(
                    f"{name} is missing {bad.size} value(s), first at {self.timeline.period_start(int(bad[0]))}: "
                    "fill gaps first (evflex.signals.fill_gaps) and report them"
                )
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        if self.home_load_kwh is not None and float(self.home_load_kwh.min()) < 0.0:
            raise SimulationError("home_load_kwh must be ≥ 0")
        object.__setattr__(self, "notes", tuple(self.notes))

    def home_loads(self) -> FloatArray:
        return np.zeros(self.timeline.n_periods) if self.home_load_kwh is None else self.home_load_kwh


@dataclass(frozen=True, slots=True, eq=False)
class VehicleSetup:
    """The car, its charger and its plug-in sessions as the simulation needs them (battery-side kWh).

    ``trip_kwh[i]`` is the battery energy used while away before session ``i`` arrives (for the first
    session: since a departure at ``start_soc_kwh`` before the timeline). ``charger`` may be
    bidirectional; the ``smart`` and ``dumb`` strategies never discharge.
    """

    battery: Battery
    charger: Charger
    arrival_index: IntArray
    departure_index: IntArray
    trip_kwh: FloatArray
    target_soc_kwh: float
    start_soc_kwh: float
    export_limit_kw: float = DEFAULT_EXPORT_LIMIT_KW
    description: str = ""

    def __post_init__(self) -> None:
        arrival = np.asarray(self.arrival_index, dtype=np.int64)
        departure = np.asarray(self.departure_index, dtype=np.int64)
        trips = np.asarray(self.trip_kwh, dtype=np.float64)
        if not arrival.shape == departure.shape == trips.shape or arrival.ndim != 1:
            raise SimulationError("arrival_index, departure_index and trip_kwh need one value per session")
        if arrival.size and (np.any(departure <= arrival) or np.any(arrival[1:] < departure[:-1])):
            raise SimulationError("sessions must be ordered, non-overlapping and at least one period long")
        if arrival.size and int(arrival[0]) < 0:
            raise SimulationError("arrival indices must be ≥ 0")
        if np.any(trips < 0) or not np.all(np.isfinite(trips)):
            raise SimulationError("trip_kwh must be finite and ≥ 0")
        b = self.battery
        if not 0.0 <= self.target_soc_kwh <= b.soc_max_kwh + _SNAP_KWH:
            raise SimulationError(
                f"target {self.target_soc_kwh:g} kWh must lie between 0 and the ceiling {b.soc_max_kwh:g} kWh"
            )
        if not 0.0 <= self.start_soc_kwh <= b.usable_kwh:
            raise SimulationError(f"start SoC {self.start_soc_kwh:g} kWh must lie in [0, {b.usable_kwh:g}]")
        for name, value in (("arrival_index", arrival), ("departure_index", departure), ("trip_kwh", trips)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def n_sessions(self) -> int:
        return int(self.arrival_index.size)


def scheduler_charger(vehicle: Vehicle, charger: HouseholdCharger) -> Charger:
    """The scheduler's :class:`Charger` for a household car and chargepoint.

    The household charger's one-way ``efficiency`` is used in both directions; discharge needs a
    bidirectional charger *and* car.
    """
    v2g = charger.can_discharge(vehicle)
    return Charger(
        max_charge_kw=charger.max_charge_kw,
        max_discharge_kw=charger.max_discharge_kw if v2g else 0.0,
        charge_efficiency=charger.efficiency,
        discharge_efficiency=charger.efficiency,
        min_setpoint_kw=charger.min_setpoint_kw,
        bidirectional=v2g,
    )


def vehicle_setup(
    vehicle: Vehicle,
    charger: HouseholdCharger,
    sessions: PlugInSessions,
    *,
    floor_fraction: float = 0.25,
    ceiling_fraction: float = 0.9,
    target_fraction: float = 0.8,
    export_limit_kw: float = DEFAULT_EXPORT_LIMIT_KW,
) -> VehicleSetup:
    """A :class:`VehicleSetup` from the household model's car, charger and sessions.

    The household's session needs are charger-side (wall) kWh of driving; the battery lost
    ``need × charge efficiency`` on the trip before each arrival. The car starts the timeline having left
    at the target (a session already under way at the start arrives at the target).
    """
    if not 0.0 <= floor_fraction <= target_fraction <= ceiling_fraction <= 1.0:
        raise SimulationError(
            f"need 0 ≤ floor ({floor_fraction}) ≤ target ({target_fraction}) ≤ ceiling ({ceiling_fraction}) ≤ 1"
        )
    battery = Battery.from_fractions(vehicle.battery_usable_kwh, floor_fraction, ceiling_fraction)
    sched = scheduler_charger(vehicle, charger)
    target = target_fraction * vehicle.battery_usable_kwh
    description = (
        f"{vehicle.name} ({vehicle.battery_usable_kwh:g} kWh usable) on a {charger.name} "
        f"({charger.max_charge_kw:g} kW, efficiency {charger.efficiency:g} each way"
        + (f", min setpoint {charger.min_setpoint_kw:g} kW" if charger.min_setpoint_kw else "")
        + f"); floor {floor_fraction:.0%}, ceiling {ceiling_fraction:.0%}, ready by departure at "
        f"{target_fraction:.0%} ({target:.1f} kWh); export limit {export_limit_kw:g} kW"
    )
    return VehicleSetup(
        battery=battery,
        charger=sched,
        arrival_index=sessions.arrival_index,
        departure_index=sessions.departure_index,
        trip_kwh=sessions.need_kwh * sched.charge_efficiency,
        target_soc_kwh=target,
        start_soc_kwh=target,
        export_limit_kw=export_limit_kw,
        description=description,
    )


class StrategyKind(StrEnum):
    DUMB = "dumb"
    """Full power from plug-in until the target."""
    SMART = "smart"
    """One-way: cheapest (or greenest) slots before the departure."""
    V2G = "v2g"
    """Bidirectional: charge and export against import and export prices, with wear."""


@dataclass(frozen=True, slots=True)
class Strategy:
    """A charging strategy and, for the planned ones, the objective the plans minimise.

    Default: cost on the import price plus export at the export price, with a battery-wear cost of
    2 p per kWh through the charger (either direction). ``Objective.carbon()`` plans on the carbon
    forecast (the V2G add-on's "greenest charging"); ``Objective.blend(p_per_kgco2)`` on both.
    """

    kind: StrategyKind
    objective: Objective = field(default_factory=Objective.cost)
    battery_wear_p_per_kwh: float = 2.0

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", StrategyKind(self.kind))
        except ValueError:
            raise SimulationError(
                f"unknown strategy {self.kind!r}: use one of {', '.join(k.value for k in StrategyKind)}"
            ) from None
        if not math.isfinite(self.battery_wear_p_per_kwh) or self.battery_wear_p_per_kwh < 0.0:
            raise SimulationError(f"battery_wear_p_per_kwh must be ≥ 0, got {self.battery_wear_p_per_kwh}")

    @property
    def label(self) -> str:
        if self.kind is StrategyKind.DUMB:
            return "dumb"
        name = "one-way smart" if self.kind is StrategyKind.SMART else "V2G"
        kind = self.objective.kind
        if kind is ObjectiveKind.COST:
            return name
        if kind is ObjectiveKind.CARBON:
            return f"{name} (carbon)"
        return f"{name} (blend {self.objective.carbon_price_p_per_kgco2:g} p/kgCO2)"


DEFAULT_STRATEGIES = (Strategy(StrategyKind.DUMB), Strategy(StrategyKind.SMART), Strategy(StrategyKind.V2G))


# -- information ----------------------------------------------------------------------------------------
def known_horizon_end(timeline: Timeline, rules: InformationRules = AGILE_PUBLICATION) -> IntArray:
    """Per period ``t``: the exclusive end index of the prices known at ``t``'s start.

    23:00 local on ``t``'s local day before the publication time, on the next local day from it; the
    timeline's end where that day-end lies beyond it. Clock-change days need nothing special: 23:00
    local exists on every day.
    """
    n = timeline.n_periods
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    local = timeline.local()
    minute, ordinal = local.minute_of_day, local.day_ordinal
    days, _ = timeline.local_days()
    day_pos = np.searchsorted(days, ordinal)
    # the first period of each local day that starts at or after the day-end time
    late = np.flatnonzero(minute >= rules.day_end_local_minute)
    day_end = np.full(days.size + 1, n, dtype=np.int64)
    late_days, first = np.unique(day_pos[late], return_index=True)
    day_end[late_days] = late[first]
    end: IntArray = day_end[day_pos + (minute >= rules.publish_local_minute)]
    return end


# -- results --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StrategyTotals:
    """A strategy's year in numbers (money in the signals' pence, reported as £)."""

    label: str
    import_kwh: float
    export_kwh: float
    ev_charge_kwh: float
    """Energy into the charger (grid side)."""
    ev_discharge_kwh: float
    """Energy out of the charger (delivered to the home or the grid)."""
    import_cost_gbp: float
    export_revenue_gbp: float
    net_cost_gbp: float
    """Import cost − export revenue at the meter (home and car)."""
    car_cost_gbp: float
    """``net_cost_gbp`` minus the home alone at the same prices."""
    carbon_kg: float
    """Net grid energy × actual intensity (exports credited at their period's actual intensity)."""
    carbon_import_kg: float
    carbon_export_credit_kg: float
    car_carbon_kg: float
    carbon_planned_kg: float
    """The same net energy × the *forecast* intensity the plans saw (for comparison)."""
    full_cycle_equivalents: float
    wear_cost_gbp: float
    unmet_kwh: float
    """Σ over departures of max(0, target − SoC at departure)."""
    min_plugged_soc_kwh: float
    end_soc_kwh: float
    """SoC at the end of the timeline (strategies can end with different amounts stored)."""
    n_sessions: int
    n_plans: int
    n_best_effort_plans: int

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True, eq=False)
class SimulationResult:
    """One strategy's simulated year: per-period trace, per-session outcome, totals via :meth:`totals`.

    ``soc_kwh[k]`` is the SoC at the start of period ``k`` (after the trip of a session arriving at
    ``k``); ``plan_end_index[t]`` is the exclusive end of the horizon planned at ``t`` (−1: no plan).
    """

    strategy: Strategy
    signals: SimulationSignals
    setup: VehicleSetup
    charge_kw: FloatArray
    discharge_kw: FloatArray
    soc_kwh: FloatArray
    grid_import_kwh: FloatArray
    grid_export_kwh: FloatArray
    plan_end_index: IntArray
    departure_soc_kwh: FloatArray
    unmet_kwh: FloatArray
    n_plans: int
    n_best_effort_plans: int
    notes: tuple[str, ...]

    @property
    def timeline(self) -> Timeline:
        return self.signals.timeline

    @property
    def plugged(self) -> npt.NDArray[np.bool_]:
        edges = np.zeros(self.timeline.n_periods + 1, dtype=np.int64)
        np.add.at(edges, self.setup.arrival_index, 1)
        np.add.at(edges, self.setup.departure_index, -1)
        mask: npt.NDArray[np.bool_] = np.cumsum(edges[:-1]) > 0
        return mask

    def totals(self) -> StrategyTotals:
        s = self.signals
        dt = self.timeline.period_hours
        imp, exp = self.grid_import_kwh, self.grid_export_kwh
        net = imp - exp
        home = s.home_loads()
        pence = 1.0 / 100.0
        import_cost = float(s.import_price_p_per_kwh @ imp)
        export_revenue = float(s.export_price_p_per_kwh @ exp)
        home_cost = float(s.import_price_p_per_kwh @ home)
        carbon_g = float(s.carbon_actual_g_per_kwh @ net)
        ch = self.setup.charger
        # battery side: energy stored, plus energy taken out to deliver the discharge
        throughput = (
            float(self.charge_kw.sum() * ch.charge_efficiency + self.discharge_kw.sum() / ch.discharge_efficiency) * dt
        )
        through_charger = float((self.charge_kw + self.discharge_kw).sum()) * dt
        plugged = self.plugged
        plugged_soc = self.soc_kwh[:-1][plugged]
        return StrategyTotals(
            label=self.strategy.label,
            import_kwh=float(imp.sum()),
            export_kwh=float(exp.sum()),
            ev_charge_kwh=float(self.charge_kw.sum()) * dt,
            ev_discharge_kwh=float(self.discharge_kw.sum()) * dt,
            import_cost_gbp=import_cost * pence,
            export_revenue_gbp=export_revenue * pence,
            net_cost_gbp=(import_cost - export_revenue) * pence,
            car_cost_gbp=(import_cost - export_revenue - home_cost) * pence,
            carbon_kg=carbon_g / 1000.0,
            carbon_import_kg=float(s.carbon_actual_g_per_kwh @ imp) / 1000.0,
            carbon_export_credit_kg=float(s.carbon_actual_g_per_kwh @ exp) / 1000.0,
            car_carbon_kg=(carbon_g - float(s.carbon_actual_g_per_kwh @ home)) / 1000.0,
            carbon_planned_kg=float(s.carbon_forecast_g_per_kwh @ net) / 1000.0,
            full_cycle_equivalents=throughput / 2.0 / self.setup.battery.usable_kwh,
            wear_cost_gbp=self.strategy.battery_wear_p_per_kwh * through_charger * pence,
            unmet_kwh=float(self.unmet_kwh.sum()),
            min_plugged_soc_kwh=float(plugged_soc.min()) if plugged_soc.size else math.nan,
            end_soc_kwh=float(self.soc_kwh[-1]),
            n_sessions=self.setup.n_sessions,
            n_plans=self.n_plans,
            n_best_effort_plans=self.n_best_effort_plans,
        )


# -- simulation -----------------------------------------------------------------------------------------
def simulate(
    signals: SimulationSignals,
    setup: VehicleSetup,
    strategy: Strategy,
    *,
    rules: InformationRules = AGILE_PUBLICATION,
    solver: Solver = solve,
    progress: Progress | None = None,
) -> SimulationResult:
    """Simulate one strategy over ``signals.timeline`` (see the module docstring for the rules).

    ``solver`` plans each horizon (default :func:`solve`, exact and fast); tests pass a recording
    wrapper. ``progress(done, total)`` is called after every session with periods simulated so far.
    """
    timeline = signals.timeline
    n = timeline.n_periods
    if setup.n_sessions and int(setup.departure_index[-1]) > n:
        raise SimulationError(f"a session departs at period {int(setup.departure_index[-1])}, after the timeline ({n})")
    if strategy.kind is StrategyKind.V2G and not setup.charger.bidirectional:
        raise SimulationError("the V2G strategy needs a bidirectional charger and car (this one is one-way)")
    plan_charger = setup.charger
    if strategy.kind is StrategyKind.SMART and plan_charger.bidirectional:
        c = plan_charger
        plan_charger = Charger(c.max_charge_kw, 0.0, c.charge_efficiency, c.discharge_efficiency, c.min_setpoint_kw)

    known_end = known_horizon_end(timeline, rules)
    planner = _Planner(signals, setup, strategy, plan_charger, solver)
    dt = timeline.period_hours
    eta_c, eta_d = setup.charger.charge_efficiency, setup.charger.discharge_efficiency
    charge = np.zeros(n)
    discharge = np.zeros(n)
    soc = np.empty(n + 1)
    plan_end = np.full(n, -1, dtype=np.int64)
    departure_soc = np.zeros(setup.n_sessions)
    level = setup.start_soc_kwh
    previous_end = 0
    for i in range(setup.n_sessions):
        a, d = int(setup.arrival_index[i]), int(setup.departure_index[i])
        soc[previous_end:a] = level  # away (or not yet arrived): the SoC holds until the trip is charged
        level -= float(setup.trip_kwh[i])
        if level < 0.0:  # the driver charged elsewhere; say so rather than lose the energy silently
            planner.notes.append(f"session {i}: the trip needed {-level:.2f} kWh more than the battery held")
            level = 0.0
        for t in range(a, d):
            soc[t] = level
            if strategy.kind is StrategyKind.DUMB:
                need = max(setup.target_soc_kwh - level, 0.0)
                c_kw, d_kw = min(setup.charger.max_charge_kw, need / (eta_c * dt)), 0.0
            else:
                end = min(d, int(known_end[t]))
                plan_end[t] = end
                c_kw, d_kw = planner.first_decision(t, end, d, level)
            charge[t], discharge[t] = c_kw, d_kw
            level = planner.snap(level + eta_c * c_kw * dt - d_kw * dt / eta_d)
        departure_soc[i] = level
        previous_end = d
        if progress is not None:
            progress(d, n)
    soc[previous_end:] = level
    if progress is not None:
        progress(n, n)

    net = signals.home_loads() + (charge - discharge) * dt
    grid_import = np.maximum(net, 0.0)
    grid_export = grid_import - net
    unmet = np.maximum(setup.target_soc_kwh - departure_soc, 0.0)
    unmet[unmet < 1e-6] = 0.0
    arrays = (charge, discharge, soc, grid_import, grid_export, plan_end, departure_soc, unmet)
    for array in arrays:
        array.setflags(write=False)
    return SimulationResult(
        strategy,
        signals,
        setup,
        *arrays,
        n_plans=planner.n_plans,
        n_best_effort_plans=planner.n_best_effort,
        notes=tuple(planner.notes),
    )


def simulate_strategies(
    signals: SimulationSignals,
    setup: VehicleSetup,
    strategies: Sequence[Strategy] = DEFAULT_STRATEGIES,
    *,
    rules: InformationRules = AGILE_PUBLICATION,
    solver: Solver = solve,
    progress: Callable[[Strategy, int, int], None] | None = None,
) -> tuple[SimulationResult, ...]:
    """:func:`simulate` for each strategy on the same signals and car (``progress(strategy, done, total)``)."""
    steps = [None if progress is None else functools.partial(progress, s) for s in strategies]
    return tuple(
        simulate(signals, setup, s, rules=rules, solver=solver, progress=step)
        for s, step in zip(strategies, steps, strict=True)
    )


class _Planner:
    """Builds each horizon's problem from the known signals and returns the first period's decision."""

    def __init__(
        self, signals: SimulationSignals, setup: VehicleSetup, strategy: Strategy, charger: Charger, solver: Solver
    ) -> None:
        self.setup = setup
        self.battery = setup.battery
        self.charger = charger
        self.solver = solver
        self.dt = signals.timeline.period_hours
        self.objective = strategy.objective
        self.wear = strategy.battery_wear_p_per_kwh
        self.prices = signals.import_price_p_per_kwh
        two_way = charger.bidirectional
        # A one-way plan does not depend on the export price or on the home's own load.
        self.export = signals.export_price_p_per_kwh if two_way else None
        self.home = signals.home_load_kwh if two_way else None
        self.carbon = signals.carbon_forecast_g_per_kwh if strategy.objective.needs_carbon else None
        self.n_plans = 0
        self.n_best_effort = 0
        self.notes: list[str] = []

    def snap(self, level: float) -> float:
        """Round a SoC onto the floor or ceiling when it is within float noise of it."""
        b = self.battery
        if abs(level - b.soc_max_kwh) < _SNAP_KWH:
            return b.soc_max_kwh
        if abs(level - b.soc_min_kwh) < _SNAP_KWH:
            return b.soc_min_kwh
        return max(level, 0.0)

    def terminal_target(self, end: int, departure: int, level: float) -> float:
        """The SoC a plan must reach at its horizon's end (the session's target when it sees the departure)."""
        target = min(self.setup.target_soc_kwh, self.battery.soc_max_kwh)
        if end >= departure:
            return target
        # Beyond the published prices: keep the target reachable at full power, and do not sell energy
        # that would have to be bought back at prices nobody knows yet.
        reachable = target - self.charger.charge_efficiency * self.charger.max_charge_kw * self.dt * (departure - end)
        return max(reachable, min(target, level), 0.0)

    def first_decision(self, t: int, end: int, departure: int, level: float) -> tuple[float, float]:
        setup = self.setup
        target = self.terminal_target(end, departure, level)
        problem = ScheduleProblem(
            battery=self.battery,
            charger=self.charger,
            sessions=(Session(0, end - t, target, arrival_soc_kwh=level),),
            import_price_p_per_kwh=self.prices[t:end],
            export_value_p_per_kwh=None if self.export is None else self.export[t:end],
            carbon_g_per_kwh=None if self.carbon is None else self.carbon[t:end],
            home_load_kwh=None if self.home is None else self.home[t:end],
            export_limit_kw=setup.export_limit_kw,
            objective=self.objective,
            battery_wear_p_per_kwh=self.wear,
        )
        result = self.solver(problem)
        self.n_plans += 1
        if result.status is ScheduleStatus.BEST_EFFORT:
            self.n_best_effort += 1
            if len(self.notes) < 5:
                reason = result.binding_reason or "; ".join(result.relaxations)
                self.notes.append(f"period {t}: best-effort plan ({reason})")
        c_kw = float(result.charge_kw[0])
        d_kw = float(result.discharge_kw[0])
        return (c_kw if c_kw > _ZERO_KW else 0.0), (d_kw if d_kw > _ZERO_KW else 0.0)
