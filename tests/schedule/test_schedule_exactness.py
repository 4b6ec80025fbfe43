"""The fast solver and the smart policy against the HiGHS LP on many random instances.

Count: 8 × 1,000 seeded bidirectional-or-not instances + 2 × 1,000 hypothesis instances = 10,000 fast-vs-LP
comparisons, plus 1,000 + 300 one-way smart-vs-LP comparisons. Instances cover 8–144 periods, 15- and
30-minute periods, home load or none, efficiencies below and equal to 1, negative prices, export worth
more than import, zero and partial export limits, several sessions with trips, unreachable targets,
targets above the ceiling, arrivals below the floor and above the ceiling, all three objectives.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from schedule_strategies import assert_matches_lp, objective_tol, problems

from evflex.schedule import ObjectiveKind, ScheduleStatus, check_schedule, smart_charge, solve_lp
from evflex.schedule.model import compile_problem
from evflex.schedule.synthetic import random_problem

SWEEP_CHUNKS = 8
SWEEP_SIZE = 1000


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(SWEEP_CHUNKS))
def test_fast_equals_lp_seeded_sweep(chunk: int) -> None:
    rng = np.random.default_rng(20260 + chunk)
    seen = {"best_effort": 0, "negative_price": 0, "home": 0, "bidirectional": 0, "long": 0}
    for _ in range(SWEEP_SIZE):
        problem = random_problem(rng)
        fast, _ = assert_matches_lp(problem)
        seen["best_effort"] += fast.status is ScheduleStatus.BEST_EFFORT
        seen["negative_price"] += bool((problem.import_price_p_per_kwh < 0).any())
        seen["home"] += problem.home_load_kwh is not None
        seen["bidirectional"] += problem.charger.bidirectional
        seen["long"] += problem.n_periods > 96
    # The sweep must really exercise the awkward cases it claims to.
    assert all(count >= SWEEP_SIZE // 20 for count in seen.values()), seen


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_periods=48))
def test_fast_equals_lp_hypothesis(problem) -> None:  # type: ignore[no-untyped-def]
    assert_matches_lp(problem)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_periods=144))
def test_fast_equals_lp_hypothesis_long(problem) -> None:  # type: ignore[no-untyped-def]
    assert_matches_lp(problem)


@pytest.mark.slow
def test_smart_cheapest_equals_lp_on_one_way() -> None:
    rng = np.random.default_rng(7)
    for _ in range(1000):
        problem = random_problem(rng, bidirectional=False)
        smart = smart_charge(problem)
        lp = solve_lp(problem)
        assert abs(smart.objective - lp.objective) <= objective_tol(lp.objective)
        assert abs(smart.shortfall_kwh - lp.shortfall_kwh) <= 1e-5
        assert check_schedule(problem, smart, soc_bounds=smart.status is ScheduleStatus.OPTIMAL) == []
        assert not smart.discharge_kw.any()


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(one_way=True, max_periods=48))
def test_smart_cheapest_equals_lp_hypothesis(problem) -> None:  # type: ignore[no-untyped-def]
    smart = smart_charge(problem)
    lp = solve_lp(problem)
    assert abs(smart.objective - lp.objective) <= objective_tol(lp.objective)
    assert smart.status == lp.status


def test_objective_bounds_the_real_bill() -> None:
    """The model's effective prices are conservative: objective ≥ real cost + wear, equal without caps."""
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(300):
        problem = random_problem(rng)
        if problem.objective.kind is not ObjectiveKind.COST:
            continue
        result = assert_matches_lp(problem)[0]
        real = result.total_cost_p
        assert result.objective >= real - objective_tol(real)
        model = compile_problem(problem)
        if not model.guard_coef.any() and np.array_equal(model.export_coef, problem.export_values()):
            assert result.objective == pytest.approx(real, rel=1e-9, abs=1e-7)
            checked += 1
    assert checked > 20
