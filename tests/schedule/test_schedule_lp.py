"""The reference LP: its own schedules are valid, best effort in two stages, and the exact MIP."""

from __future__ import annotations

import numpy as np
import pytest

from evflex.schedule import (
    Battery,
    Charger,
    ScheduleProblem,
    ScheduleStatus,
    Session,
    check_schedule,
    solve,
    solve_lp,
)
from evflex.schedule.synthetic import random_problem


def test_lp_schedules_are_valid() -> None:
    rng = np.random.default_rng(4)
    for _ in range(100):
        problem = random_problem(rng, n_periods=int(rng.integers(8, 60)))
        result = solve_lp(problem)
        assert result.solver == "lp"
        # The LP may split ties between charge and discharge in one period; everything else must hold.
        errors = [
            e
            for e in check_schedule(problem, result, soc_bounds=result.status is ScheduleStatus.OPTIMAL)
            if not e.startswith("simultaneous")
        ]
        assert errors == []


def test_lp_best_effort_shortfall() -> None:
    problem = ScheduleProblem(
        battery=Battery(40.0, 8.0),
        charger=Charger(3.0, 3.0, 0.9, 0.9, bidirectional=True),
        sessions=(Session(0, 4, 30.0, arrival_soc_kwh=5.0), Session(6, 8, 30.0, trip_kwh=10.0)),
        import_price_p_per_kwh=[10.0] * 8,
    )
    lp, fast = solve_lp(problem), solve(problem)
    assert lp.status is ScheduleStatus.BEST_EFFORT
    # Flat out: 5 + 4 × 1.35 = 10.4 kWh at departure, 0.4 after the trip, 3.1 at the second departure.
    np.testing.assert_allclose(lp.session_shortfall_kwh, [19.6, 26.9])
    np.testing.assert_allclose(fast.session_shortfall_kwh, lp.session_shortfall_kwh)
    assert lp.objective == pytest.approx(fast.objective)


@pytest.mark.parametrize("seed", range(4))
def test_mip_honours_the_minimum_setpoint(seed: int) -> None:
    rng = np.random.default_rng(seed)
    while True:  # a feasible problem: with best effort the MIP may relax the targets further
        problem = random_problem(rng, min_setpoint=True, n_periods=16, max_sessions=1)
        relaxed = solve_lp(problem)
        if relaxed.status is ScheduleStatus.OPTIMAL:
            break
    mip = solve_lp(problem, min_setpoint="mip")
    assert mip.solver == "mip"
    assert mip.objective >= relaxed.objective - 1e-6
    errors = check_schedule(problem, mip, soc_bounds=mip.status is ScheduleStatus.OPTIMAL)
    assert [e for e in errors if not e.startswith("simultaneous")] == []
