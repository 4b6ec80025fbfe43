"""Exact fast solver: dynamic programming on convex piecewise-linear value functions ("slope trick").

Problem (see :mod:`evflex.schedule.model`): minimise ``Σ_t φ_t(x_t)`` over the energy ``x_t`` stored in
each period, with ``x_t ∈ [-D_t, C_t]`` and bounds ``lo_k ≤ S_k ≤ hi_k`` on the running totals
``S_k = x_0 + … + x_{k-1}``; every ``φ_t`` is convex piecewise linear with at most three pieces. This is a
convex-cost flow on a path.

Algorithm
---------
Backward pass. Let ``V_k(S)`` be the least cost of periods ``k … n-1`` starting from total ``S`` at index
``k``, and ``W_k`` its restriction to ``[lo_k, hi_k]`` (``+∞`` outside). Then ``V_n = 0`` and

    V_k(S) = min_x  φ_k(x) + W_{k+1}(S + x)  =  (W_{k+1} □ φ̃_k)(S),    φ̃_k(z) = φ_k(-z),

an infimal convolution. The infimal convolution of two convex piecewise-linear functions is the convex
function whose domain is the sum of the domains and whose pieces are *both functions' pieces merged in
order of slope* (the Minkowski sum of epigraphs). So every ``V_k`` is convex piecewise linear, and it is
stored as its left end ``a`` plus a list of pieces ``(slope, length)`` sorted by slope. One step inserts
``φ̃_k``'s ≤ 3 pieces by bisection and moves ``a`` left by ``C_k``; restricting to ``[lo_k, hi_k]``
trims pieces off both ends. There are at most ``3n`` pieces, so a step costs ``O(n)`` list moves (C-level
memmove) and ``O(log n)`` Python work.

Forward pass. Given ``S_k``, the best ``x_k`` minimises ``φ_k(x) + W_{k+1}(S_k + x)``, a convex function
whose left derivative is ``φ_k'(x) + W_{k+1}'(S_k + x)``. On the φ-piece with slope ``σ`` it is ≤ 0
exactly while ``S_k + x ≤ Y(σ)``, where ``Y(σ) = a + Σ{length of W-pieces with slope ≤ -σ}`` depends on
``W_{k+1}`` only. The backward pass records ``Y`` for each of ``φ_k``'s pieces (it is the bisection point
of the insertion), so the forward pass is ``O(1)`` per period and never needs the value functions again.

Proof sketch. Convexity is preserved by infimal convolution and by restriction to an interval, so each
``V_k`` is exactly represented; ``[lo_k, hi_k]`` is the forward-reachable set, so restricting to it removes
nothing a feasible schedule could use, and the recorded thresholds give an exact minimiser of each
one-period problem. By the principle of optimality the forward choices form an optimal schedule.

Ties. Where several ``x_k`` are optimal the forward pass takes the largest one (largest ``S_{k+1}``), which
yields the lexicographically highest SoC trajectory among all optimal schedules: charge as early and
discharge as late as the optimum allows, deterministically.

No simultaneous charge and discharge: the solver chooses the net ``x_t`` and splits it into charge or
discharge only, which is optimal because the model's costs make loops unprofitable.

Minimum non-zero setpoint: the exact optimum ignores it; :mod:`evflex.schedule.setpoint` then repairs
periods below the minimum and the result reports the objective change (status ``FEASIBLE``).

Implementation: the code below is the readable reference; :mod:`evflex.schedule._kernels` has the same
algorithm compiled with numba (pieces in two preallocated arrays instead of lists), used when numba is
installed (set ``EVFLEX_NO_NUMBA=1`` to force this one).

Why not a greedy on sorted marginal costs? For charge-only problems it is exact and simple (see
:mod:`evflex.schedule.smart`), but with discharge a kWh bought early may be sold later, so a greedy has to
pair charge and discharge units along augmenting paths (a min-cost flow), with three pieces per period
and bounds on both sides. The value-function DP treats every piece the same way, is exact by
construction, and makes the tie rule explicit.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np
import numpy.typing as npt

from evflex.schedule import _kernels
from evflex.schedule.errors import InfeasibleProblemError
from evflex.schedule.model import CompiledProblem, compile_problem
from evflex.schedule.problem import ScheduleProblem
from evflex.schedule.result import ScheduleResult, build_result
from evflex.schedule.setpoint import repair_with_cost

__all__ = ["optimal_stored_energy", "solve"]

FloatArray = npt.NDArray[np.float64]
_SNAP_KWH = 1e-12


def solve(problem: ScheduleProblem, *, strict: bool = False, repair_setpoint: bool = True) -> ScheduleResult:
    """Schedule one vehicle exactly (same optimum as :func:`evflex.schedule.lp.solve_lp`).

    ``strict=True`` raises :class:`InfeasibleProblemError` instead of returning a best-effort schedule
    when a target cannot be met. ``repair_setpoint=False`` returns the exact LP optimum even if it uses
    powers below the charger's minimum setpoint.
    """
    model = compile_problem(problem)
    x = optimal_stored_energy(model)
    delta = 0.0
    notes: tuple[str, ...] = ()
    repaired = False
    if repair_setpoint and (model.min_charge_kwh > 0.0 or model.min_discharge_kwh > 0.0):
        repair = repair_with_cost(model, x)
        if repair.stored_kwh is not x:
            repaired = True
            delta = repair.objective_delta
            x = repair.stored_kwh
        if repair.unfixed:
            notes = (f"minimum setpoint not met in periods {repair.unfixed[:10]} (no feasible repair)",)
    result = build_result(problem, model, x, "fast", heuristic=repaired, relaxations=notes, setpoint_repair_delta=delta)
    if strict and result.shortfall_kwh > 0.0:
        raise InfeasibleProblemError(
            f"target unreachable: {result.binding_reason}",
            shortfall_kwh=result.shortfall_kwh,
            binding_reason=result.binding_reason,
        )
    return result


def optimal_stored_energy(model: CompiledProblem) -> FloatArray:
    """The exact optimal ``x_t`` (kWh stored per period) of a compiled problem."""
    kernels = _kernels.active()
    if kernels is not None:
        return kernels.stored_energy(
            model.charge_max_kwh,
            model.offset_max_kwh,
            model.export_max_kwh,
            model.slope_charge,
            model.slope_offset,
            model.slope_export,
            model.reach_lo_kwh,
            model.reach_hi_kwh,
        )
    n = model.n
    cmax, omax, emax = model.charge_max_kwh, model.offset_max_kwh, model.export_max_kwh
    # Periods where the car can move energy; elsewhere x_t = 0 and restricting W is a no-op (the
    # reachable range only narrows going forward while the car is away).
    active = np.flatnonzero((cmax > 0.0) | (omax > 0.0) | (emax > 0.0))
    x = np.zeros(n)
    if active.size == 0:
        return x
    backwards = active[::-1]
    c_list: list[float] = cmax[active].tolist()
    o_list: list[float] = omax[active].tolist()
    e_list: list[float] = emax[active].tolist()

    # W after the last active period: zero on [lo, hi] of the index after it.
    end = int(active[-1]) + 1
    a = float(model.reach_lo_kwh[end])
    total = float(model.reach_hi_kwh[end]) - a
    slopes: list[float] = [0.0] if total > 0.0 else []
    lens: list[float] = [total] if total > 0.0 else []
    total = max(total, 0.0)
    # Per active period: W_{k+1}'s domain [a, b] and the thresholds Y of φ_k's pieces (export, offset, charge).
    rec: list[tuple[float, float, float, float, float]] = []
    push = rec.append
    for c, o, e, lam_c, lam_o, lam_e, lo, hi in zip(
        reversed(c_list),
        reversed(o_list),
        reversed(e_list),
        (-model.slope_charge[backwards]).tolist(),
        (-model.slope_offset[backwards]).tolist(),
        (-model.slope_export[backwards]).tolist(),
        model.reach_lo_kwh[backwards].tolist(),
        model.reach_hi_kwh[backwards].tolist(),
        strict=False,  # equal lengths by construction; strict checking costs time in this loop
    ):
        # Insertion points of the negated slopes (ascending: charge ≤ offset ≤ export) among W's pieces;
        # the length before each insertion point is the threshold Y for that piece.
        jc = bisect_right(slopes, lam_c)
        yc = a + sum(lens[:jc]) if jc else a
        if o > 0.0 or e > 0.0:
            jo = bisect_right(slopes, lam_o, jc)
            yo = yc + sum(lens[jc:jo]) if jo > jc else yc
            if e > 0.0:
                je = bisect_right(slopes, lam_e, jo)
                ye = yo + sum(lens[jo:je]) if je > jo else yo
                slopes.insert(je, lam_e)
                lens.insert(je, e)
            else:
                ye = yo
            if o > 0.0:
                slopes.insert(jo, lam_o)
                lens.insert(jo, o)
            push((a, a + total, ye, yo, yc))
            total += o + e
        else:
            push((a, a + total, yc, yc, yc))
        if c > 0.0:
            slopes.insert(jc, lam_c)
            lens.insert(jc, c)
            a -= c
            total += c
        # Restrict to [lo, hi]: trim pieces off both ends.
        cut = lo - a
        if cut > 0.0:
            total -= cut
            a = lo
            i = 0
            for length in lens:
                if length > cut:
                    lens[i] = length - cut
                    break
                cut -= length
                i += 1
            if i:
                del slopes[:i], lens[:i]
        cut = a + total - hi
        if cut > 0.0:
            total -= cut
            i = len(lens)
            while i:
                length = lens[i - 1]
                if length > cut:
                    lens[i - 1] = length - cut
                    break
                cut -= length
                i -= 1
            del slopes[i:], lens[i:]
        if total <= 0.0:
            # A single point (the SoC is forced here); rounding may have left the width a hair negative.
            slopes.clear()
            lens.clear()
            total = 0.0
            a = min(a, hi)

    rec.reverse()
    s = 0.0
    out: list[float] = []
    put = out.append
    for c, o, e, (dom_a, dom_b, y_ex, y_of, y_ch) in zip(c_list, o_list, e_list, rec, strict=False):
        d = o + e
        # Comparisons rather than min()/max(): this loop is hot and builtin calls cost more.
        xlo = dom_a - s
        if xlo < -d:
            xlo = -d
        xhi = dom_b - s
        if xhi > c:
            xhi = c
        best = xlo
        # The last φ-piece on which the left derivative can still be ≤ 0 holds the largest minimiser.
        if e > 0.0:
            cand = y_ex - s
            if cand > -o:
                cand = -o
            if cand > xhi:
                cand = xhi
            if cand > xlo and cand > -d:
                best = cand
        if o > 0.0:
            cand = y_of - s
            if cand > 0.0:
                cand = 0.0
            if cand > xhi:
                cand = xhi
            if cand > xlo and cand > -o:
                best = cand
        if c > 0.0:
            cand = y_ch - s
            if cand > c:
                cand = c
            if cand > xhi:
                cand = xhi
            if cand > xlo and cand > 0.0:
                best = cand
        if best > xhi:
            best = xhi
        if -_SNAP_KWH < best < _SNAP_KWH:
            best = 0.0  # rounding noise, not a decision
        put(best)
        s += best
    x[active] = out
    return x
