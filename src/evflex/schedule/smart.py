"""One-way smart charging: the Intelligent-Go-style policy (cheapest or greenest slots before ready-by).

Two modes, both charge-only (a bidirectional charger's discharge is ignored):

``"cheapest"`` — the optimum of the one-way problem, by a greedy on sorted marginal costs. With charge only,
each period's cost is linear in the energy stored (``slope_charge`` of :mod:`evflex.schedule.model`: price
÷ efficiency, plus wear, or carbon intensity ÷ efficiency for the greenest slots), and the constraints
are a box per period plus lower/upper bounds on prefix sums. Boxes and prefix sets form a laminar family,
so the feasible set is a generalised polymatroid, on which a linear objective is minimised greedily
(Frank's greedy for g-polymatroids):

* periods with a negative cost, most negative first, take the largest amount that keeps the rest
  feasible (being paid to charge: fill up, as high as the ceilings allow);
* then periods with a non-negative cost, *most expensive first*, take the smallest amount that keeps the
  rest feasible (they charge only what cheaper periods cannot).

"Keeps the rest feasible" is exact: with the decided periods fixed and the others free in their boxes,
the feasible values of ``S_t`` and ``S_{t+1}`` are intervals given by running minima/maxima (computed
with numpy), and ``x_t`` may be anything between their differences. Ties go to the earlier period for
the maximum and to the later period for the minimum, i.e. charging sooner. The result equals the LP's
objective on one-way problems (tested on thousands of random instances).

``"continuous"`` — the cheapest contiguous block per session (evcc's continuous mode): the session's
energy need at full power in the window of whole periods with the lowest total cost, the last partial
period at either end of the block, ties to the earliest block. A policy, not an optimum (status
``FEASIBLE``); a car below its floor on arrival starts at once.

Both apply the minimum-setpoint repair of :mod:`evflex.schedule.setpoint`.
"""

from __future__ import annotations

import math
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from evflex.schedule import _kernels
from evflex.schedule.errors import InvalidProblemError
from evflex.schedule.model import CompiledProblem, compile_problem
from evflex.schedule.problem import ScheduleProblem
from evflex.schedule.result import ScheduleResult, build_result
from evflex.schedule.setpoint import repair_with_cost

__all__ = ["SmartMode", "smart_charge"]

FloatArray = npt.NDArray[np.float64]


class SmartMode(StrEnum):
    CHEAPEST = "cheapest"
    CONTINUOUS = "continuous"


def smart_charge(problem: ScheduleProblem, *, mode: SmartMode | str = SmartMode.CHEAPEST) -> ScheduleResult:
    """Schedule one-way charging by the smart policy (``"cheapest"`` slots or a ``"continuous"`` block)."""
    try:
        mode = SmartMode(mode)
    except ValueError:
        raise InvalidProblemError(f"mode must be one of {[m.value for m in SmartMode]}, got {mode!r}") from None
    model = compile_problem(problem)
    x = _cheapest(model) if mode is SmartMode.CHEAPEST else _continuous(problem, model)
    # One-way is only the optimum of the problem as posed when the charger cannot discharge anyway.
    heuristic = mode is SmartMode.CONTINUOUS or bool(model.discharge_max_kwh.any())
    delta = 0.0
    notes: tuple[str, ...] = ()
    if model.min_charge_kwh > 0.0:
        repair = repair_with_cost(model, x)
        if repair.stored_kwh is not x:
            heuristic = True
            delta = repair.objective_delta
            x = repair.stored_kwh
        if repair.unfixed:
            notes = (f"minimum setpoint not met in periods {repair.unfixed[:10]} (no feasible repair)",)
    return build_result(
        problem, model, x, f"smart-{mode.value}", heuristic=heuristic, relaxations=notes, setpoint_repair_delta=delta
    )


def _cheapest(model: CompiledProblem) -> FloatArray:
    kernels = _kernels.active()
    if kernels is not None:
        return kernels.cheapest_one_way(model.slope_charge, model.charge_max_kwh, model.lower_kwh, model.upper_kwh)
    n = model.n
    cost = model.slope_charge
    step_min = np.zeros(n)
    step_max = model.charge_max_kwh.copy()
    lower = model.lower_kwh.copy()
    upper = model.upper_kwh.copy()
    lower[0] = upper[0] = 0.0
    active = np.flatnonzero(step_max > 0.0)
    neg = active[cost[active] < 0.0]
    pos = active[cost[active] >= 0.0]
    order = list(neg[np.lexsort((neg, cost[neg]))]) + list(pos[np.lexsort((-pos, -cost[pos]))])
    n_neg = neg.size
    for rank, t in enumerate(order):
        t = int(t)
        mn_cum = np.concatenate(([0.0], np.cumsum(step_min)))
        mx_cum = np.concatenate(([0.0], np.cumsum(step_max)))
        # Forward-reachable S_t from the start, and S_{t+1} from which the end stays feasible.
        f_hi = mx_cum[t] + np.min(upper[: t + 1] - mx_cum[: t + 1])
        f_lo = mn_cum[t] + np.max(lower[: t + 1] - mn_cum[: t + 1])
        b_hi = np.min(upper[t + 1 :] - mn_cum[t + 1 :]) + mn_cum[t + 1]
        b_lo = np.max(lower[t + 1 :] - mx_cum[t + 1 :]) + mx_cum[t + 1]
        lo_t = max(0.0, float(b_lo - f_hi))
        hi_t = min(float(step_max[t]), float(b_hi - f_lo))
        value = hi_t if rank < n_neg else lo_t
        value = min(max(value, 0.0), float(step_max[t]))
        step_min[t] = step_max[t] = value
    return step_min


def _continuous(problem: ScheduleProblem, model: CompiledProblem) -> FloatArray:
    x = np.zeros(model.n)
    cost = model.slope_charge
    soc = problem.initial_soc_kwh
    floor = problem.battery.soc_min_kwh
    for i, s in enumerate(problem.sessions):
        if i:
            soc -= s.trip_kwh
        arr, dep = s.arrival_period, s.departure_period
        ceiling = max(problem.battery.soc_max_kwh, float(model.soc_offset_kwh[dep]))
        need = max(0.0, min(max(s.target_soc_kwh, floor), ceiling) - soc)
        per = float(model.charge_max_kwh[arr])
        if need <= 0.0 or per <= 0.0:
            continue
        m = max(1, math.ceil(need / per - 1e-9))  # a need of a few ulps still takes one (tiny) period
        length = dep - arr
        if m > length or soc < floor:
            # Not enough time (charge flat out) or below the floor (start now): the block starts on arrival.
            full = min(m, length)
            block = np.full(full, per)
            if m <= length:
                block[-1] = need - per * (m - 1)
            x[arr : arr + full] = block
        else:
            rest = need - per * (m - 1)
            c = cost[arr:dep]
            window = np.convolve(c, np.ones(m - 1), mode="valid") if m > 1 else c  # sums of m-1 periods
            # Block at w: full periods w..w+m-2 and the remainder at w+m-1, or remainder at w then full.
            tail = (window[: length - m + 1] * per + c[m - 1 :] * rest) if m > 1 else c * rest
            head = (window[1 : length - m + 2] * per + c[: length - m + 1] * rest) if m > 1 else c * rest
            w_tail = int(np.argmin(tail))
            w_head = int(np.argmin(head))
            block = np.full(m, per)
            if head[w_head] < tail[w_tail]:
                block[0] = rest
                x[arr + w_head : arr + w_head + m] = block
            else:
                block[-1] = rest
                x[arr + w_tail : arr + w_tail + m] = block
        soc += float(x[arr:dep].sum())
    return x
