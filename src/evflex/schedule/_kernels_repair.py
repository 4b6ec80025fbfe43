"""Compiled kernels of the set-point repair, the smart-charging greedy and the result: :func:`repair_setpoint`,
:func:`cheapest_one_way`, :func:`result_powers` and :func:`result_flows`.

Line-by-line translations of ``setpoint.repair_with_cost``, ``smart._cheapest``, ``result.build_result`` and
``result._assemble`` in the subset numba compiles; :mod:`evflex.schedule._kernels` compiles them and switches
between them and the reference. The helpers they call live here too: numba's on-disk cache only notices edits
to the file that defines the kernel, so a kernel and everything it compiles in (helpers, constants) share one
file.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["cheapest_one_way", "repair_setpoint", "result_flows", "result_powers"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_INF = np.inf
_TOL = 1e-9  # as in setpoint.py


# -- helpers the kernels call (compiled with them via numba's register_jitable) ----------------------------
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


_HELPERS = (_phi, _allowed, _before)


# -- kernels (plain Python in the subset numba compiles; see the reference named in each docstring) -------
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
