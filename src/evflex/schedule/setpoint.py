"""Minimum non-zero setpoint: a documented repair of an exact optimum.

Chargers such as the Wallbox Quasar 1 accept no power magnitude between 0 and 1.38 kW. That makes the
feasible set non-convex (``p = 0`` or ``p_min ≤ |p| ≤ p_max``), so the exact solvers ignore it and this
module repairs their optimum afterwards:

1. Take the periods whose power is strictly between 0 and the minimum, in time order.
2. For such a period ``t`` consider rounding it down to 0 or up to the minimum, and either absorbing the
   change alone (if every SoC bound still holds) or compensating it in one other period ``j`` of the same
   plug-in session (moving the energy there). A move is allowed only if every period it touches ends at
   0 or at a valid power and every SoC bound between ``t`` and ``j`` still holds (checked on the running
   totals, so targets, floors and ceilings are never broken).
3. Apply the allowed move with the smallest objective increase (ties: the nearest ``j``, then the earlier).
   Each move fixes ``t`` without creating a new sub-minimum period, so the loop ends after at most one
   move per offending period. Periods with no allowed move are left as they are and reported.

:mod:`evflex.schedule._kernels` has the same procedure compiled with numba (used when it is installed).

The result is feasible but not proven optimal (status ``FEASIBLE``); ``setpoint_repair_delta`` reports the
objective increase over the exact optimum without the minimum, which is a lower bound on the true optimum
with it (the reference LP module can compute that true optimum as a MIP for comparison).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from evflex.schedule import _kernels
from evflex.schedule.model import CompiledProblem

__all__ = ["SetpointRepair", "repair_min_setpoint", "repair_with_cost"]

FloatArray = npt.NDArray[np.float64]
_TOL = 1e-9
_INF = float("inf")


class SetpointRepair(NamedTuple):
    stored_kwh: FloatArray
    """The repaired ``x`` (the input object itself when no period was below the minimum)."""
    unfixed: list[int]
    """Periods left below the minimum (no allowed move)."""
    objective_delta: float
    """Objective increase: the sum of the applied moves' costs."""


def repair_min_setpoint(model: CompiledProblem, stored_kwh: FloatArray) -> tuple[FloatArray, list[int]]:
    """Repair sub-minimum periods; returns the new ``x`` (the same object if nothing changed) and the
    periods that could not be repaired."""
    repair = repair_with_cost(model, stored_kwh)
    return repair.stored_kwh, repair.unfixed


def repair_with_cost(model: CompiledProblem, stored_kwh: FloatArray) -> SetpointRepair:
    """:func:`repair_min_setpoint`, also returning the objective increase."""
    mc, md = model.min_charge_kwh, model.min_discharge_kwh
    kernels = _kernels.active()
    if kernels is not None:
        repaired, periods, touched, cost = kernels.repair_setpoint(
            np.ascontiguousarray(stored_kwh, dtype=np.float64),
            model.charge_max_kwh,
            model.offset_max_kwh,
            model.export_max_kwh,
            model.slope_charge,
            model.slope_offset,
            model.slope_export,
            model.upper_kwh,
            model.lower_kwh,
            model.plugged,
            mc,
            md,
        )
        return SetpointRepair(repaired, periods.tolist(), cost) if touched else SetpointRepair(stored_kwh, [], 0.0)
    x_arr = stored_kwh
    sub = (np.abs(x_arr) > _TOL) & (x_arr < mc - _TOL) & (x_arr > -md + _TOL)
    if not sub.any():
        return SetpointRepair(x_arr, [], 0.0)
    # Pure Python from here: a handful of periods, each scanned outwards from t with early exit.
    x = x_arr.tolist()
    n = model.n
    cmax: list[float] = model.charge_max_kwh.tolist()
    dmax: list[float] = model.discharge_max_kwh.tolist()
    omax: list[float] = model.offset_max_kwh.tolist()
    s_ch: list[float] = model.slope_charge.tolist()
    s_of: list[float] = model.slope_offset.tolist()
    s_ex: list[float] = model.slope_export.tolist()
    totals = [0.0] * (n + 1)
    acc = 0.0
    for k in range(n):
        acc += x[k]
        totals[k + 1] = acc
    upper = model.upper_kwh.tolist()
    lower = model.lower_kwh.tolist()
    room_up = [u - v for u, v in zip(upper, totals, strict=True)]  # how far S_k may rise
    room_down = [v - lo for v, lo in zip(totals, lower, strict=True)]  # how far S_k may fall

    # Sessions are the runs of plugged-in periods (they are at least one period apart).
    first = [0] * n
    last = [0] * n
    run_start = -1
    for k, on in enumerate(model.plugged.tolist()):
        if on and run_start < 0:
            run_start = k
        if run_start >= 0 and (not on or k == n - 1):
            run_end = k if on else k - 1
            for i in range(run_start, run_end + 1):
                first[i], last[i] = run_start, run_end
            run_start = -1
    lo_c, lo_d = mc - _TOL, -md + _TOL
    # Stored energy x_j is allowed if 0, or a charge in [mc, cmax], or a discharge in [dmax, md].
    hi_c = [v + _TOL for v in cmax]
    lo_dd = [-v - _TOL for v in dmax]

    def phi(j: int, v: float) -> float:
        if v >= 0.0:
            return s_ch[j] * v
        off = omax[j]
        return s_of[j] * v if -v <= off else -s_of[j] * off + s_ex[j] * (v + off)

    phi_x = [phi(j, v) for j, v in enumerate(x)]

    def scan(t: int, delta: float, cost_t: float, best: tuple[float, int, int]) -> tuple[float, int, int]:
        """Best (cost, distance, j) among moves compensated at j in t's session, or absorbed alone (j = -1)."""
        need = abs(delta) - _TOL
        rightwards = room_up if delta > 0.0 else room_down
        leftwards = room_down if delta > 0.0 else room_up
        if min(rightwards[t + 1 :]) >= need and (cost_t, 0, -1) < best:
            best = (cost_t, 0, -1)  # every later bound holds: absorbed without compensation
        for step, room, stop, shift in ((1, rightwards, last[t] + 1, 0), (-1, leftwards, first[t] - 1, 1)):
            run = _INF
            j = t + step
            while j != stop:
                r = room[j + shift]  # S_k moves on (t, j] going right, on (j, t] going left
                if r < run:
                    run = r
                    if run < need:
                        break
                xj = x[j] - delta
                if -_TOL <= xj <= _TOL or lo_c <= xj <= hi_c[j] or lo_dd[j] <= xj <= lo_d:
                    cand = (cost_t + phi(j, xj) - phi_x[j], abs(j - t), j)
                    if cand < best:
                        best = cand
                j += step
        return best

    unfixed: list[int] = []
    total_cost = 0.0
    for t in np.flatnonzero(sub).tolist():
        xt = x[t]
        if -_TOL <= xt <= _TOL or lo_c <= xt <= hi_c[t] or lo_dd[t] <= xt <= lo_d:
            continue  # already fixed as the partner of an earlier move
        options = [0.0]
        if xt > 0.0 and mc <= cmax[t] + _TOL:
            options.append(min(mc, cmax[t]))
        if xt < 0.0 and md <= dmax[t] + _TOL:
            options.append(-min(md, dmax[t]))
        best = (_INF, 0, -2)
        best_new = 0.0
        for new_t in options:
            found = scan(t, new_t - xt, phi(t, new_t) - phi_x[t], best)
            if found is not best:
                best, best_new = found, new_t
        if best[2] == -2:
            unfixed.append(t)
            continue
        total_cost += best[0]
        delta = best_new - xt
        j = best[2]
        x[t] = best_new
        phi_x[t] = phi(t, best_new)
        if j < 0:
            span, sign = range(t + 1, n + 1), 1.0
        else:
            x[j] -= delta
            phi_x[j] = phi(j, x[j])
            span, sign = (range(t + 1, j + 1), 1.0) if j > t else (range(j + 1, t + 1), -1.0)
        for k in span:
            room_up[k] -= sign * delta
            room_down[k] += sign * delta
    return SetpointRepair(np.array(x), unfixed, total_cost)
