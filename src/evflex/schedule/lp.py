"""Reference LP: the physical model built directly for HiGHS (``highspy``), as oracle and fallback.

Columns per period ``t``: charge ``c_t`` and discharge ``d_t`` (kW), grid import ``m_t`` and export
``g_t`` (kWh at the meter); per SoC index ``k``: ``soc_k`` (kWh). Rows:

* SoC dynamics ``soc_{t+1} - soc_t - ηc·Δt·c_t + Δt/ηd·d_t = -trip_{t+1}``;
* meter balance ``m_t - g_t - Δt·c_t + Δt·d_t = home_load_t``;
* bounds: ``c_t ≤ Pc``, ``d_t ≤ min(Pd, home_load_t/Δt + export_limit)`` (0 while unplugged or
  one-way), ``g_t ≤ export_limit·Δt``,
  ``soc_0`` = arrival SoC, floor ≤ ``soc_k`` ≤ ceiling over each session, ``soc ≥ target`` at departure
  (the target capped at the ceiling, as in the fast solver).

Objective: ``Σ import·m_t − export·g_t + wear·Δt·c_t + (wear + guard)·Δt·d_t`` with the effective prices of
:mod:`evflex.schedule.model` (export capped at import; the loop guard), so the LP and the fast solver
optimise the same model. Nothing here shares the fast solver's energy-space reduction: the LP is an
independent check of it.

Best effort. When the model is infeasible the LP is solved in two stages: first minimise the total
violation ``Σ σ_k`` of the SoC lower bounds (floor, target), which makes the SoC as high as possible at
every unreachable deadline; then minimise the objective with the violations fixed at their minimum. The
violations of the first stage are the shortfall. (A car arriving above the ceiling is simply not charged
above the SoC it would have had idle, the same rule as the fast solver's.)

``min_setpoint="mip"`` makes charge and discharge semi-continuous (0 or between the minimum setpoint and
the maximum): the true optimum with the minimum setpoint, by branch and bound, for checking the repair.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Literal

import highspy
import numpy as np
import numpy.typing as npt

from evflex.schedule.errors import InfeasibleProblemError, SolverError
from evflex.schedule.model import CompiledProblem, compile_problem
from evflex.schedule.problem import ScheduleProblem
from evflex.schedule.result import ScheduleResult, result_from_powers

__all__ = ["solve_lp"]

FloatArray = npt.NDArray[np.float64]

_INF = float("inf")
_TOL = 1e-9
_COLWISE = int(highspy.MatrixFormat.kColwise)
_MINIMIZE = int(highspy.ObjSense.kMinimize)
_local = threading.local()


def _highs() -> Any:
    """One silent HiGHS instance per thread (creating one costs more than a small solve)."""
    h = getattr(_local, "highs", None)
    if h is None:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("primal_feasibility_tolerance", _TOL)
        h.setOptionValue("dual_feasibility_tolerance", _TOL)
        _local.highs = h
    return h


def reset_after_fork() -> None:
    """Forget this thread's HiGHS instance and HiGHS's thread pool (call first in a forked worker)."""
    _local.highs = None
    highspy.Highs.resetGlobalScheduler(True)


@dataclass(frozen=True, slots=True)
class _Layout:
    n: int
    c: int
    d: int
    imp: int
    exp: int
    soc: int
    slack_lo: int
    """Columns σ (lower-bound violations), one per constrained SoC index."""
    n_cols: int


def _trips(problem: ScheduleProblem) -> FloatArray:
    trips = np.zeros(problem.n_periods + 1)
    for s in problem.sessions[1:]:
        trips[s.arrival_period] += s.trip_kwh
    return trips


def _soc_bounds(problem: ScheduleProblem) -> tuple[FloatArray, FloatArray]:
    n = problem.n_periods
    battery = problem.battery
    lower = np.full(n + 1, -_INF)
    upper = np.full(n + 1, _INF)
    # A car that arrives above the ceiling is not charged above the SoC it would have had idle.
    idle = problem.initial_soc_kwh - np.cumsum(_trips(problem))
    for s in problem.sessions:
        span = slice(s.arrival_period, s.departure_period + 1)
        lower[span] = battery.soc_min_kwh
        upper[span] = np.maximum(battery.soc_max_kwh, idle[span])
    for s in problem.sessions:
        dep = s.departure_period
        lower[dep] = max(lower[dep], min(s.target_soc_kwh, upper[dep]))
    return lower, upper


@dataclass(slots=True)
class _Lp:
    """The LP's arrays, handed to HiGHS in one ``passModel`` call (no per-attribute conversions)."""

    cost: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    row_lower: FloatArray
    row_upper: FloatArray
    start: npt.NDArray[np.int32]
    index: npt.NDArray[np.int32]
    value: FloatArray


def _build(problem: ScheduleProblem, model: CompiledProblem, slack: bool) -> tuple[_Lp, _Layout]:
    """The LP in column-wise (CSC) form, assembled from COO triplets with numpy."""
    n = problem.n_periods
    dt = problem.period_hours
    ch = problem.charger
    soc_lower, soc_upper = _soc_bounds(problem)
    trips = _trips(problem)
    constrained = np.flatnonzero(np.isfinite(soc_lower)) if slack else np.zeros(0, dtype=np.int64)
    n_con = constrained.size
    lay = _Layout(n, 0, n, 2 * n, 3 * n, 4 * n, 5 * n + 1, 5 * n + 1 + n_con)
    # Rows: SoC dynamics 0..n-1, meter balance n..2n-1, then (slack only) soc_k + σ_k ≥ lower_k.
    t = np.arange(n)
    k = np.arange(n + 1)
    i = np.arange(n_con)
    ones_t = np.ones(n)
    rows = np.concatenate((t, n + t, t, n + t, n + t, n + t, k[1:] - 1, k[:-1], 2 * n + i, 2 * n + i))
    cols = np.concatenate(
        (
            lay.c + t,
            lay.c + t,
            lay.d + t,
            lay.d + t,
            lay.imp + t,
            lay.exp + t,
            lay.soc + k[1:],
            lay.soc + k[:-1],
            lay.soc + constrained,
            lay.slack_lo + i,
        )
    )
    vals = np.concatenate(
        (
            -ch.charge_efficiency * dt * ones_t,
            -dt * ones_t,
            dt / ch.discharge_efficiency * ones_t,
            dt * ones_t,
            ones_t,
            -ones_t,
            np.ones(n),
            -np.ones(n),
            np.ones(n_con),
            np.ones(n_con),
        )
    )
    order = np.lexsort((rows, cols))
    start = np.concatenate(([0], np.cumsum(np.bincount(cols, minlength=lay.n_cols)))).astype(np.int32)

    home = problem.home_loads()
    col_lower = np.zeros(lay.n_cols)
    col_upper = np.full(lay.n_cols, _INF)
    col_upper[lay.c : lay.c + n] = np.where(model.plugged, ch.max_charge_kw, 0.0)
    # Without simultaneous charging, export = discharge − home load, so the export limit caps discharge
    # itself; bounding d (not only the net export) stops the LP discharging "through" a charge.
    discharge_cap = np.minimum(ch.effective_discharge_kw, home / dt + problem.export_limit_kw)
    col_upper[lay.d : lay.d + n] = np.where(model.plugged, discharge_cap, 0.0)
    col_upper[lay.exp : lay.exp + n] = problem.export_limit_kw * dt
    soc0 = problem.initial_soc_kwh
    col_upper[lay.soc : lay.soc + n + 1] = soc_upper
    if slack:
        col_lower[lay.soc : lay.soc + n + 1] = -_INF
        col_lower[lay.soc] = col_upper[lay.soc] = soc0
    else:
        col_lower[lay.soc : lay.soc + n + 1] = soc_lower
        # soc_0 is the arrival SoC; arriving below the floor makes the range empty and HiGHS says infeasible.
        col_lower[lay.soc] = max(soc0, soc_lower[0])
        col_upper[lay.soc] = soc0
    row_lower = np.concatenate((-trips[1:], home, soc_lower[constrained]))
    row_upper = np.concatenate((-trips[1:], home, np.full(n_con, _INF)))

    lp = _Lp(
        cost=_physical_costs(problem, model, lay),
        col_lower=col_lower,
        col_upper=col_upper,
        row_lower=row_lower,
        row_upper=row_upper,
        start=start,
        index=rows[order].astype(np.int32),
        value=vals[order],
    )
    return lp, lay


def _physical_costs(problem: ScheduleProblem, model: CompiledProblem, lay: _Layout) -> FloatArray:
    n, dt = lay.n, problem.period_hours
    cost = np.zeros(lay.n_cols)
    cost[lay.c : lay.c + n] = model.wear_coef * dt
    cost[lay.d : lay.d + n] = (model.wear_coef + model.guard_coef) * dt
    cost[lay.imp : lay.imp + n] = model.import_coef
    cost[lay.exp : lay.exp + n] = -model.export_coef
    return cost


def _run(h: Any, lp: _Lp, integrality: npt.NDArray[np.uint8] | None = None) -> str:
    n_cols = lp.cost.size
    codes = np.zeros(n_cols, dtype=np.int32) if integrality is None else integrality.astype(np.int32)
    passed = h.passModel(
        n_cols,
        lp.row_lower.size,
        lp.index.size,
        _COLWISE,
        _MINIMIZE,
        0.0,
        lp.cost,
        lp.col_lower,
        lp.col_upper,
        lp.row_lower,
        lp.row_upper,
        lp.start[:n_cols],  # the C API takes column starts without the final end
        lp.index,
        lp.value,
        codes,
    )
    if passed != highspy.HighsStatus.kOk:
        raise SolverError(f"HiGHS rejected the model ({passed})")
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return "infeasible"
    raise SolverError(f"HiGHS returned {h.modelStatusToString(status)}")


def solve_lp(
    problem: ScheduleProblem,
    *,
    strict: bool = False,
    min_setpoint: Literal["ignore", "mip"] = "ignore",
    time_limit_s: float = 60.0,
) -> ScheduleResult:
    """Solve ``problem`` with HiGHS. The result's ``objective`` is HiGHS's own objective value."""
    model = compile_problem(problem)
    h = _highs()
    h.setOptionValue("time_limit", float(time_limit_s))
    integrality = None
    if min_setpoint == "mip" and problem.charger.min_setpoint_kw > 0.0:
        integrality = _semicontinuous(problem, model)
    lp, lay = _build(problem, model, slack=False)
    if integrality is not None:
        lp.col_lower = _semicontinuous_lower(problem, model, lay, lp.col_lower)
    best_effort = False
    if _run(h, lp, _pad(integrality, lay)) == "infeasible":
        best_effort = True
        lp, lay = _build(problem, model, slack=True)
        if integrality is not None:
            lp.col_lower = _semicontinuous_lower(problem, model, lay, lp.col_lower)
        physical = lp.cost
        lp.cost = np.zeros(lay.n_cols)
        lp.cost[lay.slack_lo :] = 1.0
        if _run(h, lp, _pad(integrality, lay)) != "optimal":
            raise SolverError("the best-effort stage of the LP failed")
        violation = np.asarray(h.getSolution().col_value)[lay.slack_lo :]
        lp.col_upper[lay.slack_lo :] = violation * (1.0 + 1e-9) + _TOL
        lp.cost = physical
        if _run(h, lp, _pad(integrality, lay)) != "optimal":
            raise SolverError("the LP with the best-effort relaxation failed")
    values = np.asarray(h.getSolution().col_value)
    n = problem.n_periods
    result = result_from_powers(
        problem,
        model,
        np.maximum(values[lay.c : lay.c + n], 0.0),
        np.maximum(values[lay.d : lay.d + n], 0.0),
        "lp" if integrality is None else "mip",
        float(h.getInfo().objective_function_value),
        best_effort=best_effort,
    )
    if strict and result.shortfall_kwh > 0.0:
        raise InfeasibleProblemError(
            f"target unreachable: {result.binding_reason}",
            shortfall_kwh=result.shortfall_kwh,
            binding_reason=result.binding_reason,
        )
    return result


def _semicontinuous(problem: ScheduleProblem, model: CompiledProblem) -> npt.NDArray[np.uint8]:
    """Integrality codes for c and d: semi-continuous where the car is plugged in and can move power."""
    n = problem.n_periods
    codes = np.zeros(2 * n, dtype=np.uint8)
    sc = int(highspy.HighsVarType.kSemiContinuous)
    codes[:n][model.plugged & (problem.charger.max_charge_kw > 0.0)] = sc
    codes[n:][model.plugged & (problem.charger.effective_discharge_kw > 0.0)] = sc
    return codes


def _semicontinuous_lower(
    problem: ScheduleProblem, model: CompiledProblem, lay: _Layout, lower: FloatArray
) -> FloatArray:
    """A semi-continuous column is 0 or within [lower, upper]: its lower bound is the minimum setpoint."""
    out = lower.copy()
    codes = _semicontinuous(problem, model)
    n = lay.n
    sc = int(highspy.HighsVarType.kSemiContinuous)
    out[lay.c : lay.c + n][codes[:n] == sc] = problem.charger.min_setpoint_kw
    out[lay.d : lay.d + n][codes[n:] == sc] = problem.charger.min_setpoint_kw
    return out


def _pad(codes: npt.NDArray[np.uint8] | None, lay: _Layout) -> npt.NDArray[np.uint8] | None:
    if codes is None:
        return None
    out = np.zeros(lay.n_cols, dtype=np.uint8)
    out[: codes.size] = codes
    return out
