"""Benchmark of the scheduler: fast exact solver (numba and pure Python) vs HiGHS LP vs the same LP in cvxpy.

Run ``.venv/bin/python bench/bench_schedule.py`` (about four minutes; ``--quick`` for ~30 s). Everything is
measured in the same run on the same problems:

* median time per problem for a V2G vehicle-day (48 half-hours, noon to noon, plugged in 17:30–07:30, a
  Wallbox Quasar 1 with home load and the G98 export limit) and a 3-day horizon (144 periods, 3 sessions);
* the fast solver on both implementations, the compiled kernels ("numba") and the pure-Python reference
  (``EVFLEX_NO_NUMBA=1``), each twice: the exact optimum (the LP's optimum, comparable with the LPs)
  and the full ``solve`` with the Quasar's 1.38 kW minimum-setpoint repair; and ``smart_charge`` on both;
* the direct HiGHS LP (``solve_lp``: numpy-assembled matrix, one ``passModel``) and cvxpy building and
  solving the same LP with HiGHS, the usual modelling-layer route;
* fleet throughput: 100,000 vehicle-days through ``schedule_many`` on 2 worker processes;
* numba's one-off cost: compiling the kernels into an empty cache, and loading them from the cache, each in
  a fresh process (never inside the medians: every timed function is warmed up first).

Objectives are cross-checked (fast on both paths = HiGHS = cvxpy to 1e-6 relative, and both fast paths give
the same schedules) before any time is reported.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from evflex.schedule import ScheduleProblem, _kernels, schedule_many, smart_charge, solve, solve_lp
from evflex.schedule.synthetic import vehicle_day

GOAL_MS = 0.5
GOAL_CVXPY_RATIO = 100.0
GOAL_FLEET_S = 60.0
FLEET_GOAL_SIZE = 100_000


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
        compiled = solve(p, repair_setpoint=False)
        full = solve(p)
        with _kernels.use_numba(False):
            reference = solve(p, repair_setpoint=False)
            reference_full = solve(p)
        lp = solve_lp(p).objective
        tol = 1e-6 * max(1.0, abs(lp))
        assert abs(compiled.objective - lp) <= tol, (i, compiled.objective, lp)
        assert abs(reference.objective - lp) <= tol, (i, reference.objective, lp)
        for a, b in ((compiled, reference), (full, reference_full)):
            assert np.allclose(a.charge_kw, b.charge_kw, rtol=0.0, atol=1e-9), i
            assert np.allclose(a.discharge_kw, b.discharge_kw, rtol=0.0, atol=1e-9), i
        if i < with_cvxpy:
            cv = cvxpy_solve(p)
            assert abs(cv - lp) <= 1e-5 * max(1.0, abs(lp)), (i, cv, lp)


def jit_seconds() -> tuple[float, float]:
    """(compile into an empty cache, load from the cache), each in a fresh process, numba import included."""
    code = "from evflex.schedule import _kernels; assert _kernels.active(); print(_kernels.load_seconds())"

    def run(env: dict[str, str]) -> float:
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        return float(out.stdout.strip())

    env = {k: v for k, v in os.environ.items() if k not in ("EVFLEX_NO_NUMBA", "NUMBA_CACHE_DIR")}
    with tempfile.TemporaryDirectory() as cache:
        cold = run({**env, "NUMBA_CACHE_DIR": cache})
    return cold, run(env)


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.3f} ms"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller samples (~30 s)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    n_fast, n_pure, n_lp, n_cvx, n_fleet = (200, 100, 60, 10, 10_000) if args.quick else (1000, 400, 300, 60, 100_000)

    from importlib.metadata import version

    print(
        f"python {platform.python_version()} · numpy {np.__version__} · numba {version('numba')} · "
        f"highspy {version('highspy')} · cvxpy {version('cvxpy')} · {os.cpu_count()} CPUs · {platform.machine()}"
    )
    if _kernels.active() is None:
        print("numba is not importable (or EVFLEX_NO_NUMBA is set): the compiled path cannot be measured")
        return 1
    cold, warm = jit_seconds()
    print(
        f"numba kernels, once per process: {cold:.1f} s to compile into an empty cache, {warm:.2f} s to load "
        f"from the cache (importing numba included); this process: {_kernels.load_seconds():.2f} s"
    )

    rng = np.random.default_rng(args.seed)
    labels = ("vehicle-day (48)", "3-day (144)")
    table: dict[str, list[float]] = {}
    for n_periods in (48, 144):
        problems = [vehicle_day(rng, n_periods) for _ in range(n_fast)]
        check_agreement(problems[:50], with_cvxpy=5)
        for backend, numba_on, sample in (("numba", True, problems), ("pure Python", False, problems[:n_pure])):
            with _kernels.use_numba(numba_on):
                table.setdefault(f"fast exact ({backend})", []).append(
                    median_time(lambda p: solve(p, repair_setpoint=False), sample)
                )
                table.setdefault(f"fast + repair ({backend})", []).append(median_time(solve, sample))
                table.setdefault(f"smart cheapest ({backend})", []).append(median_time(smart_charge, sample))
        table.setdefault("HiGHS LP (direct)", []).append(median_time(solve_lp, problems[:n_lp]))
        table.setdefault("cvxpy + HiGHS", []).append(median_time(cvxpy_solve, problems[:n_cvx]))

    print()
    print(f"{'median per problem':36s}" + "".join(f"{label:>20s}" for label in labels))
    for name, values in table.items():
        print(f"{name:36s}" + "".join(f"{fmt_ms(v):>20s}" for v in values))
    cvx = table["cvxpy + HiGHS"]
    for backend in ("numba", "pure Python"):
        for kind in ("fast exact", "fast + repair"):
            ratios = [c / f for c, f in zip(cvx, table[f"{kind} ({backend})"], strict=True)]
            print(f"{'cvxpy / ' + kind + ' (' + backend + ')':36s}" + "".join(f"{r:19.0f}×" for r in ratios))
    print(
        "(ratios at equal objective: both fast paths return the LP's optimum; '+ repair' adds the 1.38 kW"
        " minimum-setpoint repair, which the LPs do not model)"
    )

    distinct = min(n_fleet, 20_000)
    base = [vehicle_day(rng, 48) for _ in range(distinct)]
    fleet = (base * -(-n_fleet // distinct))[:n_fleet]  # solving does not depend on object identity
    start = time.perf_counter()
    serial = schedule_many(fleet[: n_fleet // 10], workers=1)
    serial_rate = len(serial) / (time.perf_counter() - start)
    start = time.perf_counter()
    results = schedule_many(fleet, workers=2)
    fleet_s = time.perf_counter() - start
    assert len(results) == n_fleet
    rate = n_fleet / fleet_s
    print()
    print(
        f"fleet: {n_fleet:,} vehicle-days ({distinct:,} distinct) with schedule_many(workers=2): {fleet_s:.1f} s, "
        f"{rate:,.0f} vehicle-days/s (1 process: {serial_rate:,.0f}/s; setpoint repair and pickling included)"
    )

    day_full = table["fast + repair (numba)"][0] * 1e3
    ratio = cvx[0] / table["fast exact (numba)"][0]
    fleet_100k = FLEET_GOAL_SIZE / rate
    extrapolated = "" if n_fleet == FLEET_GOAL_SIZE else " (extrapolated)"

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print()
    print("issue 3 goals (vehicle-day, compiled path):")
    print(f"  fast + repair ≤ {GOAL_MS} ms median: {day_full:.3f} ms, {verdict(day_full <= GOAL_MS)}")
    print(f"  ≥ {GOAL_CVXPY_RATIO:.0f}× cvxpy + HiGHS: {ratio:.0f}×, {verdict(ratio >= GOAL_CVXPY_RATIO)}")
    print(
        f"  {FLEET_GOAL_SIZE:,} vehicle-days ≤ {GOAL_FLEET_S:.0f} s on 2 processes: {fleet_100k:.1f} s"
        f"{extrapolated}, {verdict(fleet_100k <= GOAL_FLEET_S)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
