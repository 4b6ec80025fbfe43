"""Benchmark of the scheduler: fast exact solver vs the direct HiGHS LP vs the same LP in cvxpy (HiGHS).

Run ``.venv/bin/python bench/bench_schedule.py`` (about a minute; ``--quick`` for ~20 s). Everything is
measured in the same run on the same problems:

* median time per problem for a V2G vehicle-day (48 half-hours, noon to noon, plugged in 17:30–07:30, a
  Wallbox Quasar 1 with home load and the G98 export limit) and a 3-day horizon (144 periods, 3 sessions);
* the fast solver twice: the exact optimum (the LP's optimum, comparable with the LPs) and the full
  ``solve`` with the Quasar's 1.38 kW minimum-setpoint repair;
* the direct HiGHS LP (``solve_lp``: numpy-assembled matrix, one ``passModel``) and cvxpy building and
  solving the same LP with HiGHS, the usual modelling-layer route;
* fleet throughput: ``schedule_many`` on 2 worker processes, in vehicle-days per second.

Objectives are cross-checked (fast = HiGHS = cvxpy to 1e-6 relative) before any time is reported.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from evflex.schedule import ScheduleProblem, schedule_many, solve, solve_lp
from evflex.schedule.synthetic import vehicle_day


def cvxpy_solve(problem: ScheduleProblem) -> float:
    """The LP of ``evflex.schedule.lp`` written in cvxpy and solved with HiGHS (build + solve)."""
    import cvxpy as cp

    from evflex.schedule.model import compile_problem

    n, dt = problem.n_periods, problem.period_hours
    ch, battery = problem.charger, problem.battery
    model = compile_problem(problem)  # effective prices only (export cap, loop guard): same objective
    home = problem.home_loads()
    plugged = problem.plugged_mask()
    c = cp.Variable(n, nonneg=True)
    d = cp.Variable(n, nonneg=True)
    imp = cp.Variable(n, nonneg=True)
    exp = cp.Variable(n, nonneg=True)
    soc = cp.Variable(n + 1)
    trips = np.zeros(n + 1)
    for s in problem.sessions[1:]:
        trips[s.arrival_period] += s.trip_kwh
    lower = np.full(n + 1, -np.inf)
    upper = np.full(n + 1, np.inf)
    for s in problem.sessions:
        lower[s.arrival_period : s.departure_period + 1] = battery.soc_min_kwh
        upper[s.arrival_period : s.departure_period + 1] = battery.soc_max_kwh
        lower[s.departure_period] = max(battery.soc_min_kwh, min(s.target_soc_kwh, battery.soc_max_kwh))
    idx = np.flatnonzero(np.isfinite(lower))
    constraints = [
        c <= ch.max_charge_kw * plugged,
        d <= np.minimum(ch.effective_discharge_kw, home / dt + problem.export_limit_kw) * plugged,
        exp <= problem.export_limit_kw * dt,
        soc[0] == problem.initial_soc_kwh,
        soc[1:] == soc[:-1] + ch.charge_efficiency * dt * c - dt / ch.discharge_efficiency * d - trips[1:],
        imp - exp == home + dt * (c - d),
        soc[idx] >= lower[idx],
        soc[idx] <= upper[idx],
    ]
    objective = cp.Minimize(
        model.import_coef @ imp
        - model.export_coef @ exp
        + model.wear_coef * dt * cp.sum(c)
        + ((model.wear_coef + model.guard_coef) * dt) @ d
    )
    lp = cp.Problem(objective, constraints)
    lp.solve(solver=cp.HIGHS)
    if lp.status != cp.OPTIMAL:
        raise RuntimeError(f"cvxpy: {lp.status}")
    return float(lp.value)


def median_time(fn: Callable[[ScheduleProblem], Any], problems: Sequence[ScheduleProblem]) -> float:
    fn(problems[0])  # warm-up (imports, HiGHS instance)
    times = []
    for p in problems:
        start = time.perf_counter()
        fn(p)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def check_agreement(problems: Sequence[ScheduleProblem], with_cvxpy: int) -> None:
    for i, p in enumerate(problems):
        fast = solve(p, repair_setpoint=False).objective
        lp = solve_lp(p).objective
        tol = 1e-6 * max(1.0, abs(lp))
        assert abs(fast - lp) <= tol, (i, fast, lp)
        if i < with_cvxpy:
            cv = cvxpy_solve(p)
            assert abs(cv - lp) <= 1e-5 * max(1.0, abs(lp)), (i, cv, lp)


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.3f} ms"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples (~20 s)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    n_fast, n_lp, n_cvx, n_fleet = (200, 60, 10, 6000) if args.quick else (1000, 300, 60, 40000)

    from importlib.metadata import version

    print(
        f"python {platform.python_version()} · numpy {np.__version__} · highspy {version('highspy')} · "
        f"cvxpy {version('cvxpy')} · {os.cpu_count()} CPUs · {platform.machine()}"
    )
    rng = np.random.default_rng(args.seed)
    rows = []
    for n_periods, label in ((48, "vehicle-day (48)"), (144, "3-day horizon (144)")):
        problems = [vehicle_day(rng, n_periods) for _ in range(n_fast)]
        check_agreement(problems[:50], with_cvxpy=5)
        fast_exact = median_time(lambda p: solve(p, repair_setpoint=False), problems)
        fast_full = median_time(solve, problems)
        lp = median_time(solve_lp, problems[:n_lp])
        cvx = median_time(cvxpy_solve, problems[:n_cvx])
        rows.append((label, fast_exact, fast_full, lp, cvx))

    print()
    print(
        f"{'median per problem':22s} {'fast exact':>12s} {'fast+repair':>12s} {'HiGHS LP':>12s} {'cvxpy+HiGHS':>12s}"
        f" {'LP/fast':>8s} {'cvxpy/fast':>10s}"
    )
    for label, fast_exact, fast_full, lp, cvx in rows:
        print(
            f"{label:22s} {fmt_ms(fast_exact)} {fmt_ms(fast_full)} {fmt_ms(lp)} {fmt_ms(cvx)}"
            f" {lp / fast_exact:7.1f}× {cvx / fast_exact:9.1f}×"
        )
    print(
        "(ratios use the exact fast solver, which returns the same optimum as both LPs;"
        " 'fast+repair' adds the 1.38 kW minimum-setpoint repair)"
    )

    fleet = [vehicle_day(rng, 48) for _ in range(n_fleet)]
    start = time.perf_counter()
    serial = schedule_many(fleet[: n_fleet // 4], workers=1)
    serial_rate = len(serial) / (time.perf_counter() - start)
    start = time.perf_counter()
    results = schedule_many(fleet, workers=2)
    rate = len(results) / (time.perf_counter() - start)
    assert len(results) == n_fleet
    print()
    print(
        f"fleet: {n_fleet} vehicle-days with schedule_many(workers=2): {rate:,.0f} vehicle-days/s "
        f"(1 process: {serial_rate:,.0f}/s; includes the setpoint repair and pickling)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
