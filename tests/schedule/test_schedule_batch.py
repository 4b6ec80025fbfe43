"""Batch API: order, progress, in-process and process-pool paths."""

from __future__ import annotations

import numpy as np
import pytest

from evflex.schedule import InvalidProblemError, schedule_many, smart_charge, solve, solve_lp
from evflex.schedule.synthetic import random_problem, vehicle_day


def _same(a: object, b: object) -> None:
    np.testing.assert_array_equal(a.charge_kw, b.charge_kw)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(a.discharge_kw, b.discharge_kw)  # type: ignore[attr-defined]
    assert a.objective == b.objective  # type: ignore[attr-defined]


def test_in_process_keeps_order_and_reports_progress() -> None:
    rng = np.random.default_rng(1)
    problems = [random_problem(rng) for _ in range(30)]
    seen: list[tuple[int, int]] = []
    results = schedule_many(problems, progress=lambda done, total: seen.append((done, total)), chunk_size=7)
    assert [r.n_periods for r in results] == [p.n_periods for p in problems]
    for problem, result in zip(problems, results, strict=True):
        _same(result, solve(problem))
    assert seen[-1] == (30, 30)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert len(seen) == 5


def test_process_pool_matches_serial() -> None:
    rng = np.random.default_rng(2)
    problems = [vehicle_day(rng, 48) for _ in range(40)] + [random_problem(rng) for _ in range(40)]
    seen: list[int] = []
    results = schedule_many(problems, workers=2, chunk_size=9, progress=lambda done, total: seen.append(done))
    assert len(results) == len(problems)
    assert seen[-1] == len(problems)
    for problem, result in zip(problems, results, strict=True):
        _same(result, solve(problem))


@pytest.mark.parametrize(("solver", "reference"), [("lp", solve_lp), ("smart", smart_charge)])
def test_other_solvers(solver: str, reference: object) -> None:
    rng = np.random.default_rng(3)
    problems = [random_problem(rng, n_periods=24) for _ in range(5)]
    for problem, result in zip(problems, schedule_many(problems, solver=solver), strict=True):  # type: ignore[arg-type]
        assert result.objective == pytest.approx(reference(problem).objective)  # type: ignore[operator]


def test_empty_and_invalid() -> None:
    assert schedule_many([]) == []
    with pytest.raises(InvalidProblemError, match="solver"):
        schedule_many([], solver="magic")  # type: ignore[arg-type]
    with pytest.raises(InvalidProblemError, match="workers"):
        schedule_many([], workers=0)
