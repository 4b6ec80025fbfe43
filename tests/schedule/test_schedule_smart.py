"""One-way smart charging: hand cases and the continuous-block mode against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from evflex.schedule import (
    Battery,
    Charger,
    InvalidProblemError,
    Objective,
    ScheduleProblem,
    ScheduleStatus,
    Session,
    check_schedule,
    smart_charge,
    solve,
)
from evflex.schedule.model import compile_problem
from evflex.schedule.synthetic import random_problem


def one_way(prices: list[float], target: float, **kw: object) -> ScheduleProblem:
    return ScheduleProblem(
        battery=Battery(20.0),
        charger=Charger(2.0),
        sessions=(Session(0, len(prices), target, arrival_soc_kwh=0.0),),
        import_price_p_per_kwh=prices,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_cheapest_slots() -> None:
    result = smart_charge(one_way([30, 5, 5, 40], 2.0))
    np.testing.assert_allclose(result.charge_kw, [0, 2, 2, 0])
    assert result.status is ScheduleStatus.OPTIMAL
    assert result.solver == "smart-cheapest"
    assert result.objective == pytest.approx(10.0)


def test_cheapest_ties_charge_sooner() -> None:
    result = smart_charge(one_way([10, 10, 10, 10], 2.5))
    np.testing.assert_allclose(result.charge_kw, [2, 2, 1, 0])
    np.testing.assert_allclose(result.charge_kw, solve(one_way([10, 10, 10, 10], 2.5)).charge_kw)


def test_negative_prices_fill_up_to_the_ceiling() -> None:
    problem = ScheduleProblem(
        battery=Battery(20.0, 0.0, 1.5),
        charger=Charger(2.0),
        sessions=(Session(0, 4, 1.0, arrival_soc_kwh=0.0),),
        import_price_p_per_kwh=[10, -5, -8, 10],
    )
    result = smart_charge(problem)
    # Paid to charge: beyond the 1 kWh target, up to the 1.5 kWh ceiling, most negative price first.
    np.testing.assert_allclose(result.charge_kw, [0, 1, 2, 0])
    assert result.objective == pytest.approx(-5 * 0.5 - 8 * 1)


def test_greenest_slots() -> None:
    problem = one_way([10, 10, 10, 10], 2.0, carbon_g_per_kwh=[250, 90, 120, 80], objective=Objective.carbon())
    np.testing.assert_allclose(smart_charge(problem).charge_kw, [0, 2, 0, 2])


def test_continuous_block_is_the_cheapest_window() -> None:
    result = smart_charge(one_way([30, 5, 40, 6, 7, 50], 2.5), mode="continuous")
    # 2.5 kWh at 1 kWh a period: blocks of 3 periods, 2 full and a half period at either end. Best: the half
    # period at 40 p then 6 p and 7 p in full (20 + 13 = 33 p); the next best, 6 + 7 full then half at 50 p, is 38 p.
    np.testing.assert_allclose(result.charge_kw, [0, 0, 1, 2, 2, 0])
    assert result.status is ScheduleStatus.FEASIBLE
    assert result.objective == pytest.approx(20 + 13)


def _brute_force_block(cost: np.ndarray, per: float, need: float) -> float:
    m = int(np.ceil(need / per - 1e-9))
    rest = need - per * (m - 1)
    best = np.inf
    for w in range(cost.size - m + 1):
        full = cost[w : w + m]
        best = min(best, per * full[:-1].sum() + rest * full[-1], per * full[1:].sum() + rest * full[0])
    return float(best)


def test_continuous_against_brute_force() -> None:
    rng = np.random.default_rng(5)
    checked = 0
    for _ in range(300):
        n = int(rng.integers(4, 40))
        problem = ScheduleProblem(
            battery=Battery(60.0),
            charger=Charger(float(rng.uniform(1, 11)), charge_efficiency=float(rng.uniform(0.85, 1))),
            sessions=(Session(0, n, float(rng.uniform(0, 50)), arrival_soc_kwh=float(rng.uniform(0, 10))),),
            import_price_p_per_kwh=np.round(rng.uniform(-5, 40, n), 1),
        )
        result = smart_charge(problem, mode="continuous")
        assert check_schedule(problem, result, soc_bounds=result.status is not ScheduleStatus.BEST_EFFORT) == []
        charging = np.flatnonzero(result.charge_kw > 0)
        if charging.size:
            assert charging[-1] - charging[0] + 1 == charging.size  # one contiguous block
        if result.status is ScheduleStatus.BEST_EFFORT:
            continue
        model = compile_problem(problem)
        need = problem.sessions[0].target_soc_kwh - problem.sessions[0].arrival_soc_kwh  # type: ignore[operator]
        if need <= 0:
            assert not charging.size
            continue
        expected = _brute_force_block(model.slope_charge, float(model.charge_max_kwh[0]), need)
        assert result.objective == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert result.objective >= solve(problem).objective - 1e-9
        checked += 1
    assert checked > 100


def test_continuous_too_short_charges_flat_out() -> None:
    result = smart_charge(one_way([5, 6, 7], 10.0), mode="continuous")
    np.testing.assert_allclose(result.charge_kw, [2, 2, 2])
    assert result.status is ScheduleStatus.BEST_EFFORT
    assert result.shortfall_kwh == pytest.approx(7.0)


def test_smart_ignores_discharge_and_respects_min_setpoint() -> None:
    rng = np.random.default_rng(9)
    for _ in range(100):
        problem = random_problem(rng, bidirectional=True, min_setpoint=True, n_periods=24)
        for mode in ("cheapest", "continuous"):
            result = smart_charge(problem, mode=mode)
            assert not result.discharge_kw.any()
            errors = check_schedule(problem, result, soc_bounds=False)
            if any("minimum setpoint not met" in note for note in result.relaxations):
                errors = [e for e in errors if "minimum setpoint" not in e]
            assert errors == []
            if compile_problem(problem).discharge_max_kwh.any():
                assert result.status is not ScheduleStatus.OPTIMAL  # one-way is not the V2G optimum


def test_unknown_mode() -> None:
    with pytest.raises(InvalidProblemError, match="mode"):
        smart_charge(one_way([1, 2], 1.0), mode="fastest")
