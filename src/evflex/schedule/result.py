"""Typed schedule results, built the same way by every solver, and an independent constraint checker."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.schedule import _kernels
from evflex.schedule.model import CompiledProblem, zeros_readonly
from evflex.schedule.problem import ScheduleProblem

__all__ = ["ScheduleResult", "ScheduleStatus", "build_result", "check_schedule"]

FloatArray = npt.NDArray[np.float64]

SHORTFALL_TOL_KWH = 1e-6


class ScheduleStatus(StrEnum):
    OPTIMAL = "optimal"
    """Every constraint met; the objective is proven optimal."""
    BEST_EFFORT = "best_effort"
    """A target (or the floor/ceiling) could not be met: the SoC is as high as physically possible by each
    deadline and the cost is minimal given that; see ``shortfall_kwh`` and ``binding_reason``."""
    FEASIBLE = "feasible"
    """Every constraint met, but the schedule comes from a policy or a repair, not a proven optimum
    (the continuous-block policy; the minimum-setpoint repair of an optimal schedule)."""


@dataclass(frozen=True, slots=True, eq=False)
class ScheduleResult:
    """A schedule for one vehicle. Power arrays have one value per period; ``soc_kwh`` has ``n + 1``.

    ``soc_kwh[k]`` is the SoC at the start of period ``k``. While the car is away it holds the last
    departure value and drops by the trip energy at the next arrival index; before the first arrival it
    shows the arrival SoC.
    """

    status: ScheduleStatus
    solver: str
    charge_kw: FloatArray
    discharge_kw: FloatArray
    soc_kwh: FloatArray
    grid_import_kwh: FloatArray
    """Import at the meter, home load included."""
    grid_export_kwh: FloatArray
    objective: float
    """Value of the model's objective (p, or gCO2 for the carbon objective), home load included."""
    objective_unit: str
    import_cost_p: float
    """Real import cost at ``import_price_p_per_kwh`` (home and car together)."""
    export_revenue_p: float
    """Real export value at ``export_value_p_per_kwh``."""
    wear_cost_p: float
    carbon_g: float | None
    """Net carbon (import − export) × intensity, when an intensity signal was given."""
    shortfall_kwh: float
    """Sum over sessions of ``max(0, target − SoC at departure)``."""
    session_shortfall_kwh: tuple[float, ...]
    binding_reason: str | None
    """Why the first short session fell short, e.g. "charger power × plugged-in time …"."""
    relaxations: tuple[str, ...]
    """Bounds relaxed because of the car's state (arrival below the floor, above the ceiling), and
    minimum-setpoint periods the repair could not fix."""
    setpoint_repair_delta: float = 0.0
    """Objective increase caused by the minimum-setpoint repair (0 when nothing was repaired)."""

    @property
    def n_periods(self) -> int:
        return int(self.charge_kw.size)

    @property
    def net_cost_p(self) -> float:
        """Import cost − export revenue."""
        return self.import_cost_p - self.export_revenue_p

    @property
    def total_cost_p(self) -> float:
        """Net cost plus battery wear."""
        return self.net_cost_p + self.wear_cost_p

    def __reduce__(self) -> tuple[Any, ...]:
        # Compact pickling (the fleet's worker processes send results back): the five arrays travel as
        # one buffer, the other fields as a plain tuple. About twice as fast as the dataclass default.
        arrays = np.concatenate(
            (self.charge_kw, self.discharge_kw, self.soc_kwh, self.grid_import_kwh, self.grid_export_kwh)
        )
        return (_unpickle_result, (self.status.value, self.solver, arrays, tuple(map(self.__getattribute__, _TAIL))))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the result."""

        def arr(values: FloatArray) -> list[float]:
            return [float(v) for v in values]

        return {
            "status": self.status.value,
            "solver": self.solver,
            "charge_kw": arr(self.charge_kw),
            "discharge_kw": arr(self.discharge_kw),
            "soc_kwh": arr(self.soc_kwh),
            "grid_import_kwh": arr(self.grid_import_kwh),
            "grid_export_kwh": arr(self.grid_export_kwh),
            "objective": self.objective,
            "objective_unit": self.objective_unit,
            "import_cost_p": self.import_cost_p,
            "export_revenue_p": self.export_revenue_p,
            "wear_cost_p": self.wear_cost_p,
            "carbon_g": self.carbon_g,
            "shortfall_kwh": self.shortfall_kwh,
            "session_shortfall_kwh": list(self.session_shortfall_kwh),
            "binding_reason": self.binding_reason,
            "relaxations": list(self.relaxations),
            "setpoint_repair_delta": self.setpoint_repair_delta,
        }


_TAIL = (
    "objective",
    "objective_unit",
    "import_cost_p",
    "export_revenue_p",
    "wear_cost_p",
    "carbon_g",
    "shortfall_kwh",
    "session_shortfall_kwh",
    "binding_reason",
    "relaxations",
    "setpoint_repair_delta",
)
"""The fields after the arrays, in declaration order (checked by the pickling test)."""


def _unpickle_result(status: str, solver: str, arrays: FloatArray, tail: tuple[Any, ...]) -> ScheduleResult:
    n = (arrays.size - 1) // 5
    return ScheduleResult(
        ScheduleStatus(status),
        solver,
        _frozen(arrays[:n]),
        _frozen(arrays[n : 2 * n]),
        _frozen(arrays[2 * n : 3 * n + 1]),
        _frozen(arrays[3 * n + 1 : 4 * n + 1]),
        _frozen(arrays[4 * n + 1 :]),
        *tail,
    )


def _frozen(array: FloatArray) -> FloatArray:
    array.setflags(write=False)
    return array


def build_result(
    problem: ScheduleProblem,
    model: CompiledProblem,
    stored_kwh: FloatArray,
    solver: str,
    *,
    heuristic: bool = False,
    objective: float | None = None,
    relaxations: tuple[str, ...] = (),
    setpoint_repair_delta: float = 0.0,
) -> ScheduleResult:
    """Turn the stored energy per period ``x_t`` into a full result (flows, bill, SoC, shortfall)."""
    x = np.ascontiguousarray(stored_kwh, dtype=np.float64)
    dt = model.period_hours
    kernels = _kernels.active()
    if kernels is not None:
        charge_kw, discharge_kw, value = kernels.result_powers(
            x,
            dt,
            model.charge_efficiency,
            model.discharge_efficiency,
            model.offset_max_kwh,
            model.slope_charge,
            model.slope_offset,
            model.slope_export,
            model.base_cost,
        )
        return _assemble(
            problem,
            model,
            charge_kw,
            discharge_kw,
            x,
            solver,
            heuristic=heuristic,
            objective=value if objective is None else objective,
            relaxations=relaxations,
            setpoint_repair_delta=setpoint_repair_delta,
        )
    up = np.maximum(x, 0.0)
    down = up - x
    if objective is None:
        offset = np.minimum(down, model.offset_max_kwh)
        objective = float(
            model.base_cost.sum()
            + model.slope_charge @ up
            - model.slope_offset @ offset
            - model.slope_export @ (down - offset)
        )
    return _assemble(
        problem,
        model,
        up * (1.0 / (model.charge_efficiency * dt)),
        down * (model.discharge_efficiency / dt),
        x,
        solver,
        heuristic=heuristic,
        objective=objective,
        relaxations=relaxations,
        setpoint_repair_delta=setpoint_repair_delta,
    )


def _assemble(
    problem: ScheduleProblem,
    model: CompiledProblem,
    charge_kw: FloatArray,
    discharge_kw: FloatArray,
    stored: FloatArray,
    solver: str,
    *,
    heuristic: bool,
    objective: float,
    relaxations: tuple[str, ...],
    setpoint_repair_delta: float,
    status: ScheduleStatus | None = None,
) -> ScheduleResult:
    dt = model.period_hours
    carbon = problem.carbon_g_per_kwh
    export_value = problem.export_value_p_per_kwh
    kernels = _kernels.active()
    if kernels is not None:
        zeros = zeros_readonly(stored.size)
        home = problem.home_load_kwh
        soc, grid_import, grid_export, sums = kernels.result_flows(
            stored,
            charge_kw,
            discharge_kw,
            model.soc_offset_kwh,
            zeros if home is None else home,
            problem.import_price_p_per_kwh,
            zeros if export_value is None else export_value,
            zeros if carbon is None else carbon,
            dt,
        )
        import_cost, export_revenue, throughput_kw, carbon_g = sums.tolist()
    else:
        soc = np.zeros(stored.size + 1)
        np.add.accumulate(stored, out=soc[1:])
        soc += model.soc_offset_kwh
        net = (charge_kw - discharge_kw) * dt
        if problem.home_load_kwh is not None:
            net += problem.home_load_kwh
        grid_import = np.maximum(net, 0.0)
        grid_export = grid_import - net
        import_cost = float(problem.import_price_p_per_kwh @ grid_import)
        export_revenue = 0.0 if export_value is None else float(export_value @ grid_export)
        throughput_kw = float((charge_kw + discharge_kw).sum())
        carbon_g = 0.0 if carbon is None else float(carbon @ net)
    shortfalls = tuple(
        short if (short := s.target_soc_kwh - float(soc[s.departure_period])) > SHORTFALL_TOL_KWH else 0.0
        for s in problem.sessions
    )
    all_relaxations = model.relaxations + relaxations
    if status is None:
        if any(shortfalls) or all_relaxations:
            status = ScheduleStatus.BEST_EFFORT
        elif heuristic:
            status = ScheduleStatus.FEASIBLE
        else:
            status = ScheduleStatus.OPTIMAL
    return ScheduleResult(
        status=status,
        solver=solver,
        charge_kw=_frozen(charge_kw),
        discharge_kw=_frozen(discharge_kw),
        soc_kwh=_frozen(soc),
        grid_import_kwh=_frozen(grid_import),
        grid_export_kwh=_frozen(grid_export),
        objective=objective,
        objective_unit=problem.objective.unit,
        import_cost_p=import_cost,
        export_revenue_p=export_revenue,
        wear_cost_p=problem.battery_wear_p_per_kwh * throughput_kw * dt,
        carbon_g=None if carbon is None else carbon_g,
        shortfall_kwh=float(sum(shortfalls)),
        session_shortfall_kwh=shortfalls,
        binding_reason=binding_reason(problem, model, shortfalls) if any(shortfalls) else None,
        relaxations=all_relaxations,
        setpoint_repair_delta=setpoint_repair_delta,
    )


def result_from_powers(
    problem: ScheduleProblem,
    model: CompiledProblem,
    charge_kw: FloatArray,
    discharge_kw: FloatArray,
    solver: str,
    objective: float,
    *,
    best_effort: bool,
) -> ScheduleResult:
    """A result from power arrays as a solver returned them (the LP: it may split ties either way)."""
    c = np.array(charge_kw, dtype=np.float64)
    d = np.array(discharge_kw, dtype=np.float64)
    dt = model.period_hours
    stored = c * (model.charge_efficiency * dt) - d * (dt / model.discharge_efficiency)
    return _assemble(
        problem,
        model,
        c,
        d,
        stored,
        solver,
        heuristic=False,
        objective=objective,
        relaxations=(),
        setpoint_repair_delta=0.0,
        status=ScheduleStatus.BEST_EFFORT if best_effort else None,
    )


def binding_reason(problem: ScheduleProblem, model: CompiledProblem, shortfalls: tuple[float, ...]) -> str | None:
    """Explain the first session that fell short of its target."""
    for i, short in enumerate(shortfalls):
        if short <= 0.0:
            continue
        s = problem.sessions[i]
        soc_max = problem.battery.soc_max_kwh
        if s.target_soc_kwh > max(soc_max, float(model.soc_offset_kwh[s.departure_period])):
            return f"session {i}: ceiling below target (soc_max {soc_max:g} kWh < target {s.target_soc_kwh:g} kWh)"
        arrival = float(model.soc_offset_kwh[s.arrival_period] + model.reach_hi_kwh[s.arrival_period])
        hours = s.n_periods * problem.period_hours
        ch = problem.charger
        energy = ch.charge_efficiency * ch.max_charge_kw * hours
        best = float(model.soc_offset_kwh[s.departure_period] + model.reach_hi_kwh[s.departure_period])
        where = "arrival SoC" if i == 0 else f"arrival SoC (at most, after a {s.trip_kwh:g} kWh trip)"
        return (
            f"session {i}: charger power × plugged-in time: {where} {arrival:.3f} kWh + "
            f"{ch.max_charge_kw:g} kW × {ch.charge_efficiency:g} × {hours:g} h = {arrival + energy:.3f} kWh "
            f"(at most {best:.3f} kWh reachable) < target {s.target_soc_kwh:g} kWh; short by {short:.3f} kWh"
        )
    return None


def check_schedule(
    problem: ScheduleProblem, result: ScheduleResult, *, tol_kwh: float = 1e-6, soc_bounds: bool = True
) -> list[str]:
    """List every constraint ``result`` violates on ``problem`` (empty when the schedule is valid).

    Independent of the solvers: it recomputes SoC, grid flows and limits from the power arrays.
    ``soc_bounds=False`` skips the floor/ceiling/target checks (for best-effort results).
    """
    out: list[str] = []
    n, dt = problem.n_periods, problem.period_hours
    ch, battery = problem.charger, problem.battery
    c, d = result.charge_kw, result.discharge_kw
    tol_kw = tol_kwh / dt
    plugged = problem.plugged_mask()
    if c.shape != (n,) or d.shape != (n,) or result.soc_kwh.shape != (n + 1,):
        return [f"wrong shapes: charge {c.shape}, discharge {d.shape}, soc {result.soc_kwh.shape}"]
    if np.any(c < -tol_kw) or np.any(d < -tol_kw):
        out.append("negative power")
    over = c > ch.max_charge_kw * plugged + tol_kw
    if np.any(over):
        out.append(f"charge above the limit or while unplugged at periods {_where(over)}")
    over = d > ch.effective_discharge_kw * plugged + tol_kw
    if np.any(over):
        out.append(f"discharge above the limit, while unplugged or one-way at periods {_where(over)}")
    both = (c > tol_kw) & (d > tol_kw)
    if np.any(both):
        out.append(f"simultaneous charge and discharge at periods {_where(both)}")
    export = np.maximum(-(problem.home_loads() + (c - d) * dt), 0.0)
    over = export > problem.export_limit_kw * dt + tol_kwh
    if np.any(over):
        out.append(f"export above {problem.export_limit_kw} kW at periods {_where(over)}")
    trips = np.zeros(n + 1)
    for s in problem.sessions[1:]:
        trips[s.arrival_period] += s.trip_kwh
    stored = c * ch.charge_efficiency * dt - d * dt / ch.discharge_efficiency
    soc = problem.initial_soc_kwh + np.concatenate(([0.0], np.cumsum(stored))) - np.cumsum(trips)
    if np.max(np.abs(soc - result.soc_kwh)) > tol_kwh:
        out.append("soc_kwh does not follow the SoC dynamics")
    if ch.min_setpoint_kw > 0.0:
        for name, p in (("charge", c), ("discharge", d)):
            sub = (p > tol_kw) & (p < ch.min_setpoint_kw - tol_kw)
            if np.any(sub):
                out.append(f"{name} below the minimum setpoint at periods {_where(sub)}")
    if soc_bounds:
        for i, s in enumerate(problem.sessions):
            span = soc[s.arrival_period : s.departure_period + 1]
            if np.any(span < battery.soc_min_kwh - tol_kwh):
                out.append(f"session {i}: SoC below the floor")
            if np.any(span > battery.soc_max_kwh + tol_kwh):
                out.append(f"session {i}: SoC above the ceiling")
            if soc[s.departure_period] < s.target_soc_kwh - tol_kwh:
                out.append(f"session {i}: target missed by {s.target_soc_kwh - soc[s.departure_period]:.6f} kWh")
    return out


def _where(mask: npt.NDArray[np.bool_]) -> list[int]:
    return [int(i) for i in np.flatnonzero(mask)[:10]]
