"""Compiled kernels of the scheduler (numba) and the switch between them and the pure-Python reference.

The pure-Python/numpy code in :mod:`~evflex.schedule.model`, :mod:`~evflex.schedule.fast`,
:mod:`~evflex.schedule.setpoint`, :mod:`~evflex.schedule.smart` and :mod:`~evflex.schedule.result` is the
readable reference. Each function below is a line-by-line translation of one of them onto preallocated
float64/int64 arrays, with the same arithmetic in the same order, so that both paths return the same
schedules (the tests compare them on thousands of instances). Only sums reported in the result (the
objective, the bill) may differ in the last bits: numpy sums pairwise, these loops sum in order.

Why compiled: at 48 periods the reference spends most of its time in interpreter and numpy-call
overhead (a few hundred tiny operations per vehicle-day), not in arithmetic.

Switch. The kernels are used when numba can be imported, unless ``EVFLEX_NO_NUMBA=1`` is set;
:func:`use_numba` switches for a block (tests and the benchmark compare both paths in one process).
numba is imported on first use, not with the package (importing it costs about 0.6 s), and all kernels are
compiled at that moment with explicit signatures, so a process compiles once, never in the middle of a
run; ``cache=True`` stores the machine code next to this file (or in numba's user cache), so later
processes only load it. Input arrays are typed read-only, which accepts writable arrays too.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

__all__ = [
    "MODEL_ROWS",
    "Kernels",
    "active",
    "cheapest_one_way",
    "compile_model",
    "load_seconds",
    "numba_available",
    "repair_setpoint",
    "result_flows",
    "result_powers",
    "stored_energy",
    "use_numba",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_F = TypeVar("_F", bound=Callable[..., Any])

_INF = np.inf
_SNAP_KWH = 1e-12  # as in fast.py
_TOL = 1e-9  # as in setpoint.py
_FEASIBILITY_TOL_KWH = 1e-9  # as in model.py

MODEL_ROWS = (
    "charge_max_kwh",
    "offset_max_kwh",
    "export_max_kwh",
    "slope_charge",
    "slope_offset",
    "slope_export",
    "base_cost",
    "export_coef",
    "guard_coef",
    "lower_kwh",
    "upper_kwh",
    "reach_lo_kwh",
    "reach_hi_kwh",
    "soc_offset_kwh",
)
"""Rows of :func:`compile_model`'s two outputs: the first nine per period, the last five per SoC index."""
_N_PERIOD_ROWS = 9  # plain constants for numba
_N_INDEX_ROWS = 5


# -- helpers the kernels call (compiled with them via numba's register_jitable) ----------------------------
def _bisect_right(a: FloatArray, value: float, lo: int, hi: int) -> int:
    """``bisect.bisect_right(a, value, lo, hi)``."""
    while lo < hi:
        mid = (lo + hi) // 2
        if value < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _insert(slopes: FloatArray, lens: FloatArray, j: int, slope: float, length: float, tail: int) -> int:
    """``list.insert(j, …)`` on both arrays holding ``tail`` pieces; returns the new ``tail``."""
    for i in range(tail, j, -1):
        slopes[i] = slopes[i - 1]
        lens[i] = lens[i - 1]
    slopes[j] = slope
    lens[j] = length
    return tail + 1


def _phi(
    j: int,
    v: float,
    slope_charge: FloatArray,
    slope_offset: FloatArray,
    slope_export: FloatArray,
    offset_max: FloatArray,
) -> float:
    """Cost of storing ``v`` in period ``j`` without the base cost (``phi`` of setpoint.py)."""
    if v >= 0.0:
        return float(slope_charge[j] * v)
    off = offset_max[j]
    if -v <= off:
        return float(slope_offset[j] * v)
    return float(-slope_offset[j] * off + slope_export[j] * (v + off))


def _allowed(v: float, lo_c: float, hi_c: float, lo_d: float, hi_d: float) -> bool:
    """Zero, a charge in ``[lo_c, hi_c]`` or a discharge in ``[lo_d, hi_d]`` (tolerances included)."""
    return (-_TOL <= v <= _TOL) or (lo_c <= v <= hi_c) or (lo_d <= v <= hi_d)


def _before(c1: float, d1: int, j1: int, c2: float, d2: int, j2: int) -> bool:
    """Python's ``(c1, d1, j1) < (c2, d2, j2)``."""
    if c1 != c2:
        return c1 < c2
    if d1 != d2:
        return d1 < d2
    return j1 < j2


_HELPERS = (_bisect_right, _insert, _phi, _allowed, _before)


# -- kernels (plain Python in the subset numba compiles; see the reference named in each docstring) -------
def compile_model(
    sessions: FloatArray,
    import_coef: FloatArray,
    export_raw: FloatArray,
    home: FloatArray,
    has_home: bool,
    dt: float,
    eta_c: float,
    eta_d: float,
    max_charge_kw: float,
    discharge_kw: float,
    export_limit_kw: float,
    soc_min: float,
    soc_max: float,
    init: float,
    wear: float,
) -> tuple[FloatArray, FloatArray, BoolArray, bool]:
    """``model.compile_problem``: the rows of :data:`MODEL_ROWS` (per period, per SoC index), the
    plugged-in mask and whether a bound was relaxed. ``sessions`` has one row (arrival, departure,
    target kWh, trip kWh) per session."""
    n = import_coef.size
    out = np.zeros((_N_PERIOD_ROWS, n))
    bounds = np.empty((_N_INDEX_ROWS, n + 1))
    plugged = np.zeros(n, dtype=np.bool_)
    n_sessions = sessions.shape[0]
    for i in range(n_sessions):
        for t in range(int(sessions[i, 0]), int(sessions[i, 1])):
            plugged[t] = True

    charge_step = eta_c * max_charge_kw * dt
    discharge_max = np.zeros(n)
    eta_cd = eta_c * eta_d
    guard_export = 1.0 - 1.0 / eta_cd
    guard_wear = wear * (1.0 + 1.0 / eta_cd)
    limit_kwh = export_limit_kw * dt
    discharge_kwh = discharge_kw * dt
    no_home_kw = export_limit_kw if export_limit_kw < discharge_kw else discharge_kw
    no_home_step = no_home_kw * dt / eta_d
    for t in range(n):
        on = 1.0 if plugged[t] else 0.0
        out[0, t] = on * charge_step
        if discharge_kw > 0.0:
            if has_home:
                at_meter = home[t] + limit_kwh
                if discharge_kwh < at_meter:
                    at_meter = discharge_kwh
                dm = at_meter * (on / eta_d)
                om = home[t] / eta_d
                if dm < om:
                    om = dm
                em = dm - om
                if em < 0.0:
                    em = 0.0
            else:
                dm = on * no_home_step
                om = 0.0
                em = dm
            discharge_max[t] = dm
            out[1, t] = om
            out[2, t] = em
        imp = import_coef[t]
        ec = export_raw[t]
        if imp < ec:
            ec = imp
        guard = ec * guard_export - guard_wear
        if guard < 0.0:
            guard = 0.0
        sc = (imp + wear) / eta_c
        so = eta_d * (imp - wear - guard)
        if sc < so:
            so = sc
        se = eta_d * (ec - wear - guard)
        if so < se:
            se = so
        out[3, t] = sc
        out[4, t] = so
        out[5, t] = se
        out[6, t] = imp * home[t] if has_home else 0.0
        out[7, t] = ec
        out[8, t] = guard

    # model._raw_bounds
    lower = bounds[0]
    upper = bounds[1]
    soc_offset = bounds[4]
    for k in range(n + 1):  # loops rather than slice assignments: they compile faster
        soc_offset[k] = init
        lower[k] = -_INF
        upper[k] = _INF
    trips = 0.0
    for i in range(n_sessions):
        arrival, departure = int(sessions[i, 0]), int(sessions[i, 1])
        if i:
            trips += sessions[i, 3]
            for k in range(arrival, n + 1):
                soc_offset[k] = init - trips
        lo = soc_min - init + trips
        hi = soc_max - init + trips
        for k in range(arrival, departure + 1):
            lower[k] = lo
            upper[k] = hi
    floor_lower = np.empty(n + 1)
    for k in range(n + 1):
        floor_lower[k] = lower[k]
        if upper[k] < 0.0:
            upper[k] = 0.0
    upper[0] = 0.0
    for i in range(n_sessions):
        dep = int(sessions[i, 1])
        target = sessions[i, 2] - soc_offset[dep]
        if upper[dep] < target:
            target = upper[dep]
        if target > lower[dep]:
            lower[dep] = target

    # Reachable ranges: running extremes of the bounds against full-power charge / discharge.
    reach_lo = bounds[2]
    reach_hi = bounds[3]
    c_cum = 0.0
    run = _INF
    for k in range(n + 1):
        if k:
            c_cum = c_cum + out[0, k - 1]
        gap = upper[k] - c_cum
        if k == 0 or gap < run:
            run = gap
        reach_hi[k] = c_cum + run
        if reach_hi[k] < lower[k]:
            lower[k] = reach_hi[k]
    lower[0] = 0.0
    d_cum = 0.0
    run = -_INF
    relaxed = init > soc_max + _FEASIBILITY_TOL_KWH
    for k in range(n + 1):
        if k:
            d_cum = d_cum + discharge_max[k - 1]
        gap = lower[k] + d_cum
        if k == 0 or gap > run:
            run = gap
        lo = run - d_cum
        reach_lo[k] = reach_hi[k] if reach_hi[k] < lo else lo
        if lower[k] < floor_lower[k] - _FEASIBILITY_TOL_KWH:
            relaxed = True
    return out, bounds, plugged, relaxed


def stored_energy(
    charge_max: FloatArray,
    offset_max: FloatArray,
    export_max: FloatArray,
    slope_charge: FloatArray,
    slope_offset: FloatArray,
    slope_export: FloatArray,
    reach_lo: FloatArray,
    reach_hi: FloatArray,
) -> FloatArray:
    """``fast.optimal_stored_energy``: the value-function DP, pieces in arrays ``[head, tail)`` instead of lists."""
    n = charge_max.size
    x = np.zeros(n)
    active = np.empty(n, dtype=np.int64)
    m = 0
    for t in range(n):
        if charge_max[t] > 0.0 or offset_max[t] > 0.0 or export_max[t] > 0.0:
            active[m] = t
            m += 1
    if m == 0:
        return x
    slopes = np.empty(3 * m + 2)
    lens = np.empty(3 * m + 2)
    head = 0
    tail = 0
    end = active[m - 1] + 1
    a = reach_lo[end]
    total = reach_hi[end] - a
    if total > 0.0:
        slopes[0] = 0.0
        lens[0] = total
        tail = 1
    else:
        total = 0.0
    rec = np.empty((m, 5))  # per active period, backwards: W's domain [a, b], thresholds (export, offset, charge)
    for r in range(m):
        t = active[m - 1 - r]
        c = charge_max[t]
        o = offset_max[t]
        e = export_max[t]
        lam_c = -slope_charge[t]
        lam_o = -slope_offset[t]
        lam_e = -slope_export[t]
        jc = _bisect_right(slopes, lam_c, head, tail)
        yc = a
        if jc > head:
            acc = 0.0
            for i in range(head, jc):
                acc += lens[i]
            yc = a + acc
        rec[r, 0] = a
        rec[r, 1] = a + total
        if o > 0.0 or e > 0.0:
            jo = _bisect_right(slopes, lam_o, jc, tail)
            yo = yc
            if jo > jc:
                acc = 0.0
                for i in range(jc, jo):
                    acc += lens[i]
                yo = yc + acc
            ye = yo
            if e > 0.0:
                je = _bisect_right(slopes, lam_e, jo, tail)
                if je > jo:
                    acc = 0.0
                    for i in range(jo, je):
                        acc += lens[i]
                    ye = yo + acc
                tail = _insert(slopes, lens, je, lam_e, e, tail)
            if o > 0.0:
                tail = _insert(slopes, lens, jo, lam_o, o, tail)
            rec[r, 2] = ye
            rec[r, 3] = yo
            rec[r, 4] = yc
            total += o + e
        else:
            rec[r, 2] = yc
            rec[r, 3] = yc
            rec[r, 4] = yc
        if c > 0.0:
            tail = _insert(slopes, lens, jc, lam_c, c, tail)
            a -= c
            total += c
        lo = reach_lo[t]
        hi = reach_hi[t]
        cut = lo - a
        if cut > 0.0:
            total -= cut
            a = lo
            i = head
            while i < tail:
                length = lens[i]
                if length > cut:
                    lens[i] = length - cut
                    break
                cut -= length
                i += 1
            head = i
        cut = a + total - hi
        if cut > 0.0:
            total -= cut
            i = tail
            while i > head:
                length = lens[i - 1]
                if length > cut:
                    lens[i - 1] = length - cut
                    break
                cut -= length
                i -= 1
            tail = i
        if total <= 0.0:
            head = 0
            tail = 0
            total = 0.0
            if hi < a:
                a = hi

    s = 0.0
    for k in range(m):
        t = active[k]
        r = m - 1 - k
        c = charge_max[t]
        o = offset_max[t]
        e = export_max[t]
        d = o + e
        xlo = rec[r, 0] - s
        if xlo < -d:
            xlo = -d
        xhi = rec[r, 1] - s
        if xhi > c:
            xhi = c
        best = xlo
        if e > 0.0:
            cand = rec[r, 2] - s
            if cand > -o:
                cand = -o
            if cand > xhi:
                cand = xhi
            if cand > xlo and cand > -d:
                best = cand
        if o > 0.0:
            cand = rec[r, 3] - s
            if cand > 0.0:
                cand = 0.0
            if cand > xhi:
                cand = xhi
            if cand > xlo and cand > -o:
                best = cand
        if c > 0.0:
            cand = rec[r, 4] - s
            if cand > c:
                cand = c
            if cand > xhi:
                cand = xhi
            if cand > xlo and cand > 0.0:
                best = cand
        if best > xhi:
            best = xhi
        if -_SNAP_KWH < best < _SNAP_KWH:
            best = 0.0
        x[t] = best
        s += best
    return x


def repair_setpoint(
    stored: FloatArray,
    charge_max: FloatArray,
    offset_max: FloatArray,
    export_max: FloatArray,
    slope_charge: FloatArray,
    slope_offset: FloatArray,
    slope_export: FloatArray,
    upper: FloatArray,
    lower: FloatArray,
    plugged: BoolArray,
    mc: float,
    md: float,
) -> tuple[FloatArray, IntArray, bool, float]:
    """``setpoint.repair_with_cost``: the repaired ``x``, the unrepaired periods, whether any period was
    below the minimum (``False``: ``x`` is a copy of ``stored``, nothing to do) and the objective increase."""
    n = stored.size
    x = stored.copy()
    subs = np.empty(n, dtype=np.int64)
    n_sub = 0
    for t in range(n):
        v = x[t]
        if abs(v) > _TOL and v < mc - _TOL and v > -md + _TOL:
            subs[n_sub] = t
            n_sub += 1
    if n_sub == 0:
        return x, np.empty(0, dtype=np.int64), False, 0.0
    dmax = np.empty(n)
    for j in range(n):
        dmax[j] = offset_max[j] + export_max[j]
    room_up = np.empty(n + 1)
    room_down = np.empty(n + 1)
    acc = 0.0
    for k in range(n + 1):
        if k:
            acc += x[k - 1]
        room_up[k] = upper[k] - acc
        room_down[k] = acc - lower[k]
    first = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    run_start = -1
    for k in range(n):
        on = plugged[k]
        if on and run_start < 0:
            run_start = k
        if run_start >= 0 and (not on or k == n - 1):
            run_end = k if on else k - 1
            for i in range(run_start, run_end + 1):
                first[i] = run_start
                last[i] = run_end
            run_start = -1
    lo_c = mc - _TOL
    lo_d = -md + _TOL
    hi_c = np.empty(n)
    lo_dd = np.empty(n)
    for j in range(n):
        hi_c[j] = charge_max[j] + _TOL
        lo_dd[j] = -dmax[j] - _TOL
    phi_x = np.empty(n)
    for j in range(n):
        phi_x[j] = _phi(j, x[j], slope_charge, slope_offset, slope_export, offset_max)

    unfixed = np.empty(n_sub, dtype=np.int64)
    n_unfixed = 0
    total_cost = 0.0
    for s in range(n_sub):
        t = subs[s]
        xt = x[t]
        if _allowed(xt, lo_c, hi_c[t], lo_dd[t], lo_d):
            continue  # already fixed as the partner of an earlier move
        b_cost, b_dist, b_j = _INF, 0, -2
        best_new = 0.0
        for option in range(2):
            if option == 0:
                new_t = 0.0
            elif xt > 0.0 and mc <= charge_max[t] + _TOL:
                new_t = charge_max[t] if charge_max[t] < mc else mc
            elif xt < 0.0 and md <= dmax[t] + _TOL:
                new_t = -(dmax[t] if dmax[t] < md else md)
            else:
                break
            # The reference's scan(): absorbed alone, or compensated at j in t's session.
            delta = new_t - xt
            cost_t = _phi(t, new_t, slope_charge, slope_offset, slope_export, offset_max) - phi_x[t]
            need = abs(delta) - _TOL
            rightwards = room_up if delta > 0.0 else room_down
            leftwards = room_down if delta > 0.0 else room_up
            lowest = _INF
            for k in range(t + 1, n + 1):
                if rightwards[k] < lowest:
                    lowest = rightwards[k]
            if lowest >= need and _before(cost_t, 0, -1, b_cost, b_dist, b_j):
                b_cost, b_dist, b_j, best_new = cost_t, 0, -1, new_t
            for side in range(2):
                step = 1 if side == 0 else -1
                room = rightwards if side == 0 else leftwards
                stop = last[t] + 1 if side == 0 else first[t] - 1
                shift = 0 if side == 0 else 1  # S_k moves on (t, j] going right, on (j, t] going left
                run = _INF
                j = t + step
                while j != stop:
                    r = room[j + shift]
                    if r < run:
                        run = r
                        if run < need:
                            break
                    xj = x[j] - delta
                    if _allowed(xj, lo_c, hi_c[j], lo_dd[j], lo_d):
                        cand = cost_t + _phi(j, xj, slope_charge, slope_offset, slope_export, offset_max) - phi_x[j]
                        if _before(cand, abs(j - t), j, b_cost, b_dist, b_j):
                            b_cost, b_dist, b_j, best_new = cand, abs(j - t), j, new_t
                    j += step
        if b_j == -2:
            unfixed[n_unfixed] = t
            n_unfixed += 1
            continue
        total_cost += b_cost
        delta = best_new - xt
        j = b_j
        x[t] = best_new
        phi_x[t] = _phi(t, best_new, slope_charge, slope_offset, slope_export, offset_max)
        if j < 0:
            k0, k1, sign = t + 1, n + 1, 1.0
        else:
            x[j] -= delta
            phi_x[j] = _phi(j, x[j], slope_charge, slope_offset, slope_export, offset_max)
            if j > t:
                k0, k1, sign = t + 1, j + 1, 1.0
            else:
                k0, k1, sign = j + 1, t + 1, -1.0
        for k in range(k0, k1):
            room_up[k] -= sign * delta
            room_down[k] += sign * delta
    return x, unfixed[:n_unfixed], True, total_cost


def cheapest_one_way(
    cost: FloatArray, charge_max: FloatArray, lower_in: FloatArray, upper_in: FloatArray
) -> FloatArray:
    """``smart._cheapest``: the greedy on sorted marginal costs (prefix sums recomputed from ``t`` on, which
    gives the same numbers as recomputing them in full)."""
    n = cost.size
    step_min = np.zeros(n)
    step_max = charge_max.copy()
    lower = lower_in.copy()
    upper = upper_in.copy()
    lower[0] = 0.0
    upper[0] = 0.0
    neg = np.empty(n, dtype=np.int64)
    pos = np.empty(n, dtype=np.int64)
    n_neg = 0
    n_pos = 0
    for t in range(n):
        if step_max[t] > 0.0 and cost[t] < 0.0:
            neg[n_neg] = t
            n_neg += 1
    for t in range(n - 1, -1, -1):  # descending, so a stable sort breaks ties towards the later period
        if step_max[t] > 0.0 and cost[t] >= 0.0:
            pos[n_pos] = t
            n_pos += 1
    # Stable insertion sorts: negative costs ascending, the rest descending (numba compiles np.argsort's
    # stable mergesort several times more slowly, and there are only a few dozen periods).
    order = np.empty(n_neg + n_pos, dtype=np.int64)
    for i in range(n_neg):
        t = neg[i]
        j = i
        while j > 0 and cost[order[j - 1]] > cost[t]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = t
    for i in range(n_pos):
        t = pos[i]
        j = n_neg + i
        while j > n_neg and cost[order[j - 1]] < cost[t]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = t
    mn_cum = np.zeros(n + 1)
    mx_cum = np.zeros(n + 1)
    for k in range(n):
        mn_cum[k + 1] = mn_cum[k] + step_min[k]
        mx_cum[k + 1] = mx_cum[k] + step_max[k]
    for rank in range(order.size):
        t = order[rank]
        f_hi = _INF
        f_lo = -_INF
        for k in range(t + 1):
            v = upper[k] - mx_cum[k]
            if v < f_hi:
                f_hi = v
            v = lower[k] - mn_cum[k]
            if v > f_lo:
                f_lo = v
        f_hi = mx_cum[t] + f_hi
        f_lo = mn_cum[t] + f_lo
        b_hi = _INF
        b_lo = -_INF
        for k in range(t + 1, n + 1):
            v = upper[k] - mn_cum[k]
            if v < b_hi:
                b_hi = v
            v = lower[k] - mx_cum[k]
            if v > b_lo:
                b_lo = v
        b_hi = b_hi + mn_cum[t + 1]
        b_lo = b_lo + mx_cum[t + 1]
        value = b_lo - f_hi if rank >= n_neg else b_hi - f_lo
        if rank >= n_neg:
            if not value > 0.0:
                value = 0.0
        elif step_max[t] < value:
            value = step_max[t]
        if value < 0.0:
            value = 0.0
        if step_max[t] < value:
            value = step_max[t]
        step_min[t] = value
        step_max[t] = value
        for k in range(t, n):
            mn_cum[k + 1] = mn_cum[k] + step_min[k]
            mx_cum[k + 1] = mx_cum[k] + step_max[k]
    return step_min


def result_powers(
    x: FloatArray,
    dt: float,
    eta_c: float,
    eta_d: float,
    offset_max: FloatArray,
    slope_charge: FloatArray,
    slope_offset: FloatArray,
    slope_export: FloatArray,
    base_cost: FloatArray,
) -> tuple[FloatArray, FloatArray, float]:
    """``result.build_result``: charge and discharge power (kW) for stored energies ``x`` and the objective."""
    n = x.size
    charge_kw = np.empty(n)
    discharge_kw = np.empty(n)
    to_charge = 1.0 / (eta_c * dt)
    to_discharge = eta_d / dt
    base = 0.0
    bought = 0.0
    offset_sum = 0.0
    export_sum = 0.0
    for t in range(n):
        v = x[t]
        up = v if v > 0.0 else 0.0
        down = up - v
        offset = down if down < offset_max[t] else offset_max[t]
        base += base_cost[t]
        bought += slope_charge[t] * up
        offset_sum += slope_offset[t] * offset
        export_sum += slope_export[t] * (down - offset)
        charge_kw[t] = up * to_charge
        discharge_kw[t] = down * to_discharge
    return charge_kw, discharge_kw, base + bought - offset_sum - export_sum


def result_flows(
    stored: FloatArray,
    charge_kw: FloatArray,
    discharge_kw: FloatArray,
    soc_offset: FloatArray,
    home: FloatArray,
    price: FloatArray,
    export_value: FloatArray,
    carbon: FloatArray,
    dt: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """``result._assemble``: SoC, grid import and export (kWh) and the sums (import cost, export value,
    charger throughput in kW·periods, carbon). Absent signals are passed as zeros."""
    n = stored.size
    soc = np.empty(n + 1)
    grid_import = np.empty(n)
    grid_export = np.empty(n)
    sums = np.zeros(4)
    acc = 0.0
    soc[0] = acc + soc_offset[0]
    for t in range(n):
        acc += stored[t]
        soc[t + 1] = acc + soc_offset[t + 1]
        net = (charge_kw[t] - discharge_kw[t]) * dt + home[t]
        imp = net if net > 0.0 else 0.0
        grid_import[t] = imp
        grid_export[t] = imp - net
        sums[0] += price[t] * imp
        sums[1] += export_value[t] * (imp - net)
        sums[2] += charge_kw[t] + discharge_kw[t]
        sums[3] += carbon[t] * net
    return soc, grid_import, grid_export, sums


# -- switch and compilation ---------------------------------------------------------------------------------
class Kernels:
    """The functions above compiled by numba (same signatures)."""

    def __init__(self) -> None:
        numba = importlib.import_module("numba")
        nt = numba.types
        ro = nt.Array(nt.float64, 1, "C", readonly=True)
        ro2 = nt.Array(nt.float64, 2, "C", readonly=True)
        rob = nt.Array(nt.boolean, 1, "C", readonly=True)
        f1 = nt.Array(nt.float64, 1, "C")
        f2 = nt.Array(nt.float64, 2, "C")
        i1 = nt.Array(nt.int64, 1, "C")
        b1 = nt.Array(nt.boolean, 1, "C")
        f8, b = nt.float64, nt.boolean

        def jit(fn: _F, signature: Any) -> _F:
            return cast(_F, numba.njit(signature, cache=True)(fn))

        # Helpers become callable from compiled code (and stay plain functions for Python). numba inlines
        # inner closures at every call site, which compiles several times more slowly.
        for helper in _HELPERS:
            numba.extending.register_jitable(helper)

        self.compile_model = jit(
            compile_model, nt.Tuple((f2, f2, b1, b))(ro2, ro, ro, ro, b, f8, f8, f8, f8, f8, f8, f8, f8, f8, f8)
        )
        self.stored_energy = jit(stored_energy, f1(ro, ro, ro, ro, ro, ro, ro, ro))
        self.repair_setpoint = jit(
            repair_setpoint, nt.Tuple((f1, i1, b, f8))(ro, ro, ro, ro, ro, ro, ro, ro, ro, rob, f8, f8)
        )
        self.cheapest_one_way = jit(cheapest_one_way, f1(ro, ro, ro, ro))
        self.result_powers = jit(result_powers, nt.Tuple((f1, f1, f8))(ro, f8, f8, f8, ro, ro, ro, ro, ro))
        self.result_flows = jit(result_flows, nt.Tuple((f1, f1, f1, f1))(ro, ro, ro, ro, ro, ro, ro, ro, f8))


def _env_disabled() -> bool:
    return os.environ.get("EVFLEX_NO_NUMBA", "").strip().lower() not in ("", "0", "false", "no")


class _State:
    enabled = True
    kernels: Kernels | None = None
    unavailable = _env_disabled()  # EVFLEX_NO_NUMBA=1: as if numba were not installed
    load_seconds = 0.0
    lock = threading.Lock()


def _load() -> Kernels | None:
    with _State.lock:
        if _State.kernels is None and not _State.unavailable:
            start = time.perf_counter()
            try:
                _State.kernels = Kernels()
            except ImportError:
                _State.unavailable = True  # numba is optional: the pure-Python reference is the implementation
            except Exception as error:  # a numba that cannot compile here must not break scheduling
                _State.unavailable = True
                warnings.warn(
                    f"evflex.schedule: numba could not compile the kernels ({error!r}); using the pure-Python "
                    "path (about 5× slower; set EVFLEX_NO_NUMBA=1 to skip this attempt)",
                    RuntimeWarning,
                    stacklevel=3,
                )
            _State.load_seconds = time.perf_counter() - start
    return _State.kernels


def active() -> Kernels | None:
    """The compiled kernels if they are to be used now, else ``None`` (use the pure-Python reference).

    The first call imports numba and compiles (or loads from the cache) every kernel: about 1 s from the
    cache, 15–20 s into an empty one.
    """
    if not _State.enabled:
        return None
    return _State.kernels or _load()


def numba_available() -> bool:
    """Whether the compiled kernels can be used: numba importable and ``EVFLEX_NO_NUMBA`` not set."""
    return _load() is not None


def load_seconds() -> float:
    """Time this process spent importing numba and compiling or loading the kernels."""
    return _State.load_seconds


@contextmanager
def use_numba(enabled: bool) -> Iterator[None]:
    """Use (or not) the compiled kernels inside the block, where available; process-wide, so not for
    concurrent threads. Forked workers inherit the setting."""
    previous = _State.enabled
    _State.enabled = enabled
    try:
        yield
    finally:
        _State.enabled = previous
