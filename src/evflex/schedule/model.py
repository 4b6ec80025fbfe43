"""The problem reduced to its structure: one store, per-period convex costs, bounds on cumulative energy.

Every solver in the package (the exact fast solver, the one-way smart policy, the min-setpoint repair) works
on :class:`CompiledProblem`; the reference LP builds the physical model from the same effective prices so
the two can be compared to the last digit.

Energy space
------------
Let ``x_t`` be the energy added to the battery in period ``t`` (kWh, negative when discharging) and
``S_k = x_0 + … + x_{k-1}`` its running total, so ``soc_k = soc_offset_k + S_k`` where ``soc_offset``
is the first arrival SoC minus the trips taken before index ``k``. A period's cost depends on ``x_t``
alone and is convex piecewise linear with at most three pieces (slopes per kWh stored):

* charging, ``0 ≤ x ≤ ηc·Pc·Δt``: every kWh stored is ``1/ηc`` kWh imported:
  ``slope_charge = (import + wear) / ηc``;
* discharging into the home's own load, ``-h/ηd ≤ x < 0``: each kWh taken out avoids ``ηd`` kWh of
  import: ``slope_offset = ηd (import − wear − guard)``;
* discharging beyond the home load (export), down to ``-min(Pd·Δt, h + X·Δt)/ηd``:
  ``slope_export = ηd (export − wear − guard)``.

Convexity (``slope_export ≤ slope_offset ≤ slope_charge``) is what makes the model an LP and the greedy
structure exact. Two effective prices guarantee it, and both only bite when prices are negative or export
is worth more than import:

1. ``export = min(export_value, import)`` per period. With the export value above the import price an
   LP would "import and export at once"; physically the meter sees one net flow. Capping is conservative:
   the model never values an export above what the returned schedule really earns.
2. ``guard = max(0, e − w − (e + w)/(ηc ηd))`` with ``e`` the capped export price: when prices are so
   negative that burning energy in the charger's losses pays (charging and discharging in the same period),
   discharge is charged the value such a loop would have earned. This keeps simultaneous charge and
   discharge from ever being strictly better, so the LP and the fast solver agree and no schedule does it.

The reported bill (:class:`~evflex.schedule.result.ScheduleResult`) always uses the real signals; the
objective is an upper bound on it, equal whenever neither adjustment is active.

Bounds and best effort
----------------------
Floors and ceilings apply at every SoC index of every session, the (ceiling-capped) target at each
departure. A bound that cannot be met because of the car's state is relaxed to what is physically
reachable. A car that arrives above the ceiling may stay there: each upper bound becomes
``max(upper, 0)`` in energy space, i.e. the car is never *charged* above the SoC it would have had idle
since its first arrival, and it is not forced to discharge (that would be a cost decision, not a safety
one). Then, in one forward pass, each lower bound becomes ``min(lower, hi)`` where ``hi`` is the highest
reachable energy (full power from the start, under the ceilings). Any feasible problem is left unchanged;
an infeasible one becomes "reach the highest SoC you can by each deadline, then minimise cost", which is
the lexicographic best-effort problem (the reference LP computes the same thing independently).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.schedule import _kernels
from evflex.schedule.problem import ObjectiveKind, ScheduleProblem

__all__ = ["CompiledProblem", "compile_problem", "period_costs", "zeros_readonly"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_FEASIBILITY_TOL_KWH = 1e-9


@dataclass(frozen=True, slots=True, eq=False)
class CompiledProblem:
    """Arrays of the energy-space model (length ``n`` per period, ``n + 1`` per SoC index)."""

    n: int
    period_hours: float
    charge_efficiency: float
    discharge_efficiency: float
    plugged: BoolArray
    charge_max_kwh: FloatArray
    """Largest ``x_t`` (energy stored at full charge power)."""
    offset_max_kwh: FloatArray
    """Battery energy that discharging can spend on the home's own load."""
    export_max_kwh: FloatArray
    """Further battery energy that can be discharged and exported (under the export limit)."""
    slope_charge: FloatArray
    slope_offset: FloatArray
    slope_export: FloatArray
    base_cost: FloatArray
    """Objective of the period with the car idle (the home's own import)."""
    lower_kwh: FloatArray
    """Bounds on ``S_k`` after best-effort relaxation (±inf where the car is away)."""
    upper_kwh: FloatArray
    reach_lo_kwh: FloatArray
    """Forward-reachable range of ``S_k`` within the bounds: finite, never empty."""
    reach_hi_kwh: FloatArray
    soc_offset_kwh: FloatArray
    import_coef: FloatArray
    """Effective prices per kWh at the meter, in objective units (p or g)."""
    export_coef: FloatArray
    wear_coef: float
    guard_coef: FloatArray
    min_charge_kwh: float
    """Stored energy of a period at the minimum non-zero setpoint (0 if none)."""
    min_discharge_kwh: float
    relaxations: tuple[str, ...]

    @property
    def discharge_max_kwh(self) -> FloatArray:
        return self.offset_max_kwh + self.export_max_kwh


def _assemble(problem: ScheduleProblem, **arrays: Any) -> CompiledProblem:
    """The model from its arrays (either path) plus what follows from the problem alone."""
    ch = problem.charger
    dt = problem.period_hours
    return CompiledProblem(
        n=problem.n_periods,
        period_hours=dt,
        charge_efficiency=ch.charge_efficiency,
        discharge_efficiency=ch.discharge_efficiency,
        min_charge_kwh=ch.charge_efficiency * ch.min_setpoint_kw * dt,
        min_discharge_kwh=ch.min_setpoint_kw * dt / ch.discharge_efficiency,
        **arrays,
    )


def compile_problem(problem: ScheduleProblem) -> CompiledProblem:
    """Reduce ``problem`` to the energy-space model (vectorised; no Python loop over periods)."""
    kernels = _kernels.active()
    if kernels is not None:
        return _compile_compiled(problem, kernels)
    n = problem.n_periods
    dt = problem.period_hours
    ch = problem.charger
    eta_c, eta_d = ch.charge_efficiency, ch.discharge_efficiency
    plugged = problem.plugged_mask()
    on = plugged.astype(np.float64)
    home = problem.home_load_kwh

    charge_max = on * (eta_c * ch.max_charge_kw * dt)
    if ch.effective_discharge_kw > 0.0:
        if home is None:
            discharge_max = on * (min(ch.effective_discharge_kw, problem.export_limit_kw) * dt / eta_d)
            offset_max = np.zeros(n)
            export_max = discharge_max
        else:
            at_meter = np.minimum(home + problem.export_limit_kw * dt, ch.effective_discharge_kw * dt)
            discharge_max = at_meter * (on / eta_d)
            offset_max = np.minimum(discharge_max, home / eta_d)
            export_max = np.maximum(discharge_max - offset_max, 0.0)
    else:
        discharge_max = offset_max = export_max = np.zeros(n)

    import_coef, export_raw, wear = _prices(problem)
    export_coef = np.minimum(export_raw, import_coef)
    eta_cd = eta_c * eta_d
    guard = np.maximum(export_coef * (1.0 - 1.0 / eta_cd) - wear * (1.0 + 1.0 / eta_cd), 0.0)
    slope_charge = (import_coef + wear) / eta_c
    # Clamp so the pieces are sorted exactly even where the guard makes two slopes equal.
    slope_offset = np.minimum(eta_d * (import_coef - wear - guard), slope_charge)
    slope_export = np.minimum(eta_d * (export_coef - wear - guard), slope_offset)
    base = np.zeros(n) if home is None else import_coef * home

    soc_offset, lower, upper, upper_relaxed, floor_lower = _raw_bounds(problem)
    c_cum = np.zeros(n + 1)
    np.add.accumulate(charge_max, out=c_cum[1:])
    d_cum = np.zeros(n + 1)
    np.add.accumulate(discharge_max, out=d_cum[1:])
    reach_hi = c_cum + np.minimum.accumulate(upper_relaxed - c_cum)
    lower_relaxed = np.minimum(lower, reach_hi)
    lower_relaxed[0] = 0.0
    reach_lo = np.maximum.accumulate(lower_relaxed + d_cum) - d_cum
    # Rounding can leave lo a hair above hi where both are forced to the same value.
    np.minimum(reach_lo, reach_hi, out=reach_lo)

    # Only a first arrival above the ceiling relaxes a ceiling (later arrivals follow a departure).
    relaxed = problem.initial_soc_kwh > problem.battery.soc_max_kwh + _FEASIBILITY_TOL_KWH or bool(
        np.count_nonzero(lower_relaxed < floor_lower - _FEASIBILITY_TOL_KWH)
    )
    relaxations = _describe_relaxations(problem, upper, upper_relaxed, floor_lower, lower_relaxed) if relaxed else ()
    return _assemble(
        problem,
        plugged=plugged,
        charge_max_kwh=charge_max,
        offset_max_kwh=offset_max,
        export_max_kwh=export_max,
        slope_charge=slope_charge,
        slope_offset=slope_offset,
        slope_export=slope_export,
        base_cost=base,
        lower_kwh=lower_relaxed,
        upper_kwh=upper_relaxed,
        reach_lo_kwh=reach_lo,
        reach_hi_kwh=reach_hi,
        soc_offset_kwh=soc_offset,
        import_coef=import_coef,
        export_coef=export_coef,
        wear_coef=wear,
        guard_coef=guard,
        relaxations=relaxations,
    )


def _compile_compiled(problem: ScheduleProblem, kernels: _kernels.Kernels) -> CompiledProblem:
    """:func:`compile_problem` by the compiled kernel (same numbers; see :mod:`evflex.schedule._kernels`)."""
    n = problem.n_periods
    dt = problem.period_hours
    ch = problem.charger
    battery = problem.battery
    home = problem.home_load_kwh
    import_coef, export_raw, wear = _prices(problem)
    sessions = np.array(
        [(s.arrival_period, s.departure_period, s.target_soc_kwh, s.trip_kwh) for s in problem.sessions]
    )
    per_period, per_index, plugged, relaxed = kernels.compile_model(
        sessions,
        import_coef,
        export_raw,
        zeros_readonly(n) if home is None else home,
        home is not None,
        dt,
        ch.charge_efficiency,
        ch.discharge_efficiency,
        ch.max_charge_kw,
        ch.effective_discharge_kw,
        problem.export_limit_kw,
        battery.soc_min_kwh,
        battery.soc_max_kwh,
        problem.initial_soc_kwh,
        wear,
    )
    charge_max, offset_max, export_max, slope_charge, slope_offset, slope_export, base, export_coef, guard = per_period
    lower, upper_relaxed, reach_lo, reach_hi, soc_offset = per_index
    relaxations: tuple[str, ...] = ()
    if relaxed:
        # Rare: the wording needs the raw bounds, which the kernel does not return.
        _, _, upper, _, floor_lower = _raw_bounds(problem)
        relaxations = _describe_relaxations(problem, upper, upper_relaxed, floor_lower, lower)
    return _assemble(
        problem,
        plugged=plugged,
        charge_max_kwh=charge_max,
        offset_max_kwh=offset_max,
        export_max_kwh=export_max,
        slope_charge=slope_charge,
        slope_offset=slope_offset,
        slope_export=slope_export,
        base_cost=base,
        lower_kwh=lower,
        upper_kwh=upper_relaxed,
        reach_lo_kwh=reach_lo,
        reach_hi_kwh=reach_hi,
        soc_offset_kwh=soc_offset,
        import_coef=import_coef,
        export_coef=export_coef,
        wear_coef=wear,
        guard_coef=guard,
        relaxations=relaxations,
    )


@lru_cache(maxsize=16)
def zeros_readonly(n: int) -> FloatArray:
    """A shared read-only array of ``n`` zeros (stands for an absent signal)."""
    out = np.zeros(n)
    out.setflags(write=False)
    return out


def _prices(problem: ScheduleProblem) -> tuple[FloatArray, FloatArray, float]:
    """Import and export prices per kWh at the meter and wear per kWh at the charger, in objective units.

    Arrays are read-only (the problem's own, or new ones made so): the kernels take one array type."""
    kind = problem.objective.kind
    if kind is ObjectiveKind.CARBON:
        assert problem.carbon_g_per_kwh is not None
        # Net carbon: an exported kWh displaces grid generation at the same intensity.
        return problem.carbon_g_per_kwh, problem.carbon_g_per_kwh, 0.0
    imp = problem.import_price_p_per_kwh
    exp = problem.export_value_p_per_kwh
    if exp is None:
        exp = zeros_readonly(problem.n_periods)
    if kind is ObjectiveKind.BLEND:
        assert problem.carbon_g_per_kwh is not None
        carbon_p = problem.carbon_g_per_kwh * (problem.objective.carbon_price_p_per_kgco2 / 1000.0)
        imp, exp = imp + carbon_p, exp + carbon_p
        imp.setflags(write=False)
        exp.setflags(write=False)
    return imp, exp, problem.battery_wear_p_per_kwh


def _filled(size: int, value: float) -> FloatArray:
    out = np.empty(size)
    out.fill(value)  # about twice as fast as np.full on short arrays
    return out


def _raw_bounds(problem: ScheduleProblem) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    n = problem.n_periods
    battery = problem.battery
    sessions = problem.sessions
    init = problem.initial_soc_kwh
    soc_offset = _filled(n + 1, init)
    lower = _filled(n + 1, -np.inf)
    upper = _filled(n + 1, np.inf)
    trips = 0.0
    for i, s in enumerate(sessions):
        span = slice(s.arrival_period, s.departure_period + 1)
        if i:
            trips += s.trip_kwh
            soc_offset[s.arrival_period :] = init - trips
        # Within a session the offset is constant: the bounds are scalars there.
        lower[span] = battery.soc_min_kwh - init + trips
        upper[span] = battery.soc_max_kwh - init + trips
    floor_lower = lower.copy()
    # Energy 0 is "idle since the first arrival": a car above the ceiling may stay where it is.
    upper_relaxed = np.maximum(upper, 0.0)
    upper_relaxed[0] = 0.0
    for s in sessions:
        # A target above the (relaxed) ceiling is capped there; the shortfall is reported against the
        # real target.
        dep = s.departure_period
        target = min(s.target_soc_kwh - float(soc_offset[dep]), float(upper_relaxed[dep]))
        if target > lower[dep]:
            lower[dep] = target
    return soc_offset, lower, upper, upper_relaxed, floor_lower


def _describe_relaxations(
    problem: ScheduleProblem,
    upper: FloatArray,
    upper_relaxed: FloatArray,
    floor_lower: FloatArray,
    lower_relaxed: FloatArray,
) -> tuple[str, ...]:
    notes: list[str] = []
    tol = _FEASIBILITY_TOL_KWH
    above = np.flatnonzero(upper_relaxed > upper + tol)
    if above.size:
        notes.append(
            f"arrival SoC {problem.initial_soc_kwh:g} kWh above the ceiling {problem.battery.soc_max_kwh:g} kWh: "
            "the car is not charged above it, nor made to discharge"
        )
    for i, s in enumerate(problem.sessions):
        span = slice(s.arrival_period, s.departure_period + 1)
        below = np.flatnonzero(lower_relaxed[span] < floor_lower[span] - tol)
        if below.size:
            last = s.arrival_period + int(below[-1])
            notes.append(
                f"session {i}: SoC below the floor {problem.battery.soc_min_kwh:g} kWh on arrival; "
                f"the floor is relaxed to charging at full power until index {last}"
            )
    return tuple(notes)


def period_costs(model: CompiledProblem, x: FloatArray) -> FloatArray:
    """Objective of each period for stored energies ``x`` (the convex piecewise-linear ``φ_t``)."""
    up = np.maximum(x, 0.0)
    down = np.maximum(-x, 0.0)
    offset = np.minimum(down, model.offset_max_kwh)
    exported = down - offset
    costs: FloatArray = (
        model.base_cost + model.slope_charge * up - model.slope_offset * offset - model.slope_export * exported
    )
    return costs
