"""Compiled kernels of the problem model: :func:`compile_model` and :func:`stored_energy`.

Line-by-line translations of ``model.compile_problem`` and ``fast.optimal_stored_energy`` in the subset
numba compiles; :mod:`evflex.schedule._kernels` compiles them and switches between them and the reference.
The helpers they call live here too: numba's on-disk cache only notices edits to the file that defines the
kernel, so a kernel and everything it compiles in (helpers, constants) share one file.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["MODEL_ROWS", "compile_model", "stored_energy"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_INF = np.inf
_SNAP_KWH = 1e-12  # as in fast.py
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


_HELPERS = (_bisect_right, _insert)


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
