"""The compiled kernels (numba) against the pure-Python reference, and both against the HiGHS LP.

Count: 4 × 500 seeded random instances (half with a minimum setpoint, so the repair runs), each solved
exactly, with the repair, by smart charging (cheapest and continuous) on both paths; the exact optimum of
both paths is compared with HiGHS, and smart charging too where it is exact (one-way, no minimum
setpoint). Plus bit-level checks of the model arrays and the DP/repair schedules, the switch, and the
compact pickling the fleet relies on.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from schedule_strategies import objective_tol

from evflex.schedule import (
    Battery,
    Charger,
    ScheduleProblem,
    ScheduleResult,
    ScheduleStatus,
    Session,
    _kernels,
    smart_charge,
    solve,
    solve_lp,
)
from evflex.schedule.fast import optimal_stored_energy
from evflex.schedule.model import CompiledProblem, compile_problem
from evflex.schedule.setpoint import repair_with_cost
from evflex.schedule.synthetic import random_problem, vehicle_day

needs_numba = pytest.mark.skipif(not _kernels.numba_available(), reason="numba not importable or EVFLEX_NO_NUMBA set")

CHUNKS = 4
CHUNK_SIZE = 500
SAME_TOL = 1e-9


def assert_same(compiled: ScheduleResult, reference: ScheduleResult) -> None:
    """Same schedule and figures to 1e-9 (sums may differ in the last bits: numpy sums pairwise)."""
    scale = max(1.0, abs(reference.objective))
    assert abs(compiled.objective - reference.objective) <= SAME_TOL * scale, (compiled.objective, reference.objective)
    for name in ("charge_kw", "discharge_kw", "soc_kwh", "grid_import_kwh", "grid_export_kwh"):
        np.testing.assert_allclose(getattr(compiled, name), getattr(reference, name), rtol=0.0, atol=SAME_TOL)
    assert compiled.status is reference.status
    assert compiled.relaxations == reference.relaxations
    assert compiled.binding_reason == reference.binding_reason
    for name in ("import_cost_p", "export_revenue_p", "wear_cost_p", "shortfall_kwh", "setpoint_repair_delta"):
        a, b = getattr(compiled, name), getattr(reference, name)
        assert abs(a - b) <= SAME_TOL * max(1.0, abs(b)), (name, a, b)
    assert (compiled.carbon_g is None) == (reference.carbon_g is None)


def both(fn, problem: ScheduleProblem) -> tuple[ScheduleResult, ScheduleResult]:  # type: ignore[no-untyped-def]
    with _kernels.use_numba(True):
        compiled = fn(problem)
    with _kernels.use_numba(False):
        reference = fn(problem)
    return compiled, reference


@needs_numba
@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_compiled_equals_reference_and_lp(chunk: int) -> None:
    rng = np.random.default_rng(31_000 + chunk)
    seen = {"repaired": 0, "unrepairable": 0, "best_effort": 0, "one_way_smart_vs_lp": 0, "bidirectional": 0}
    for i in range(CHUNK_SIZE):
        problem = random_problem(rng, min_setpoint=i % 2 == 0)
        exact, exact_ref = both(lambda p: solve(p, repair_setpoint=False), problem)
        assert_same(exact, exact_ref)
        lp = solve_lp(problem)
        for result in (exact, exact_ref):
            assert abs(result.objective - lp.objective) <= objective_tol(lp.objective), (i, result.objective, lp)
            assert abs(result.shortfall_kwh - lp.shortfall_kwh) <= 1e-5
        repaired, repaired_ref = both(solve, problem)
        assert_same(repaired, repaired_ref)
        cheapest, cheapest_ref = both(smart_charge, problem)
        assert_same(cheapest, cheapest_ref)
        block, block_ref = both(lambda p: smart_charge(p, mode="continuous"), problem)
        assert_same(block, block_ref)
        if not problem.charger.bidirectional and problem.charger.min_setpoint_kw == 0.0:
            # One-way without a minimum setpoint: the greedy is exact.
            assert abs(cheapest.objective - lp.objective) <= objective_tol(lp.objective)
            seen["one_way_smart_vs_lp"] += 1
        seen["repaired"] += repaired.setpoint_repair_delta > 0.0
        seen["unrepairable"] += any("minimum setpoint not met" in note for note in repaired.relaxations)
        seen["best_effort"] += exact.status is ScheduleStatus.BEST_EFFORT
        seen["bidirectional"] += problem.charger.bidirectional
    # The chunk must exercise what it claims to (counts on 500 instances are far above these floors).
    assert seen["repaired"] >= 40, seen
    assert seen["unrepairable"] >= 1, seen
    assert seen["best_effort"] >= 50, seen
    assert seen["one_way_smart_vs_lp"] >= 50, seen
    assert seen["bidirectional"] >= 150, seen


def _model_fields(model: CompiledProblem) -> dict[str, object]:
    return {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}


def exact_sums(a: np.ndarray, b: np.ndarray) -> None:  # type: ignore[type-arg]
    """Bit-equal on Python 3.11; from 3.12 the builtin ``sum`` of the reference DP compensates rounding,
    so its sums may differ from the kernel's plain loop in the last bits."""
    if sys.version_info < (3, 12):
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=0.0, atol=1e-12)


@needs_numba
def test_model_and_schedules_are_bitwise_identical() -> None:
    """The kernels repeat the reference's arithmetic in the same order: the model arrays, the DP's optimum
    and the repaired schedule are equal to the last bit (zeros' signs aside)."""
    rng = np.random.default_rng(5)
    repaired = 0
    for i in range(400):
        problem = random_problem(rng, min_setpoint=i % 2 == 0)
        with _kernels.use_numba(True):
            model = compile_problem(problem)
            x = optimal_stored_energy(model)
            fixed = repair_with_cost(model, x)
        with _kernels.use_numba(False):
            model_ref = compile_problem(problem)
            x_ref = optimal_stored_energy(model_ref)
            fixed_ref = repair_with_cost(model_ref, x_ref)
        fields, fields_ref = _model_fields(model), _model_fields(model_ref)
        for name, value in fields.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == fields_ref[name].dtype, name  # type: ignore[union-attr]
                np.testing.assert_array_equal(value, fields_ref[name], err_msg=name)
            else:
                assert value == fields_ref[name], name
        exact_sums(x, x_ref)
        exact_sums(fixed.stored_kwh, fixed_ref.stored_kwh)
        exact_sums(np.array(fixed.objective_delta), np.array(fixed_ref.objective_delta))
        assert fixed.unfixed == fixed_ref.unfixed
        assert (fixed.stored_kwh is x) == (fixed_ref.stored_kwh is x_ref)  # nothing to repair: the input itself
        repaired += fixed.stored_kwh is not x
    assert repaired > 50


@needs_numba
def test_hand_case_on_both_paths() -> None:
    # 4 kWh by index 4 at 7.4 kW (3.7 kWh per lossless half-hour): 3.7 kWh at 5 p, then 0.3 kWh at 6 p,
    # i.e. 0.6 kW, below the 1.38 kW minimum (0.69 kWh). Rounding down cannot be compensated (period 1 is
    # full, 0.3 kWh elsewhere is below the minimum too); rounding up costs 0.39 kWh × 6 p absorbed alone,
    # or 0.39 × (6 − 5) p when period 1 gives the 0.39 kWh back: the repair takes the latter.
    problem = ScheduleProblem(
        battery=Battery(10.0),
        charger=Charger(7.4, min_setpoint_kw=1.38),
        sessions=(Session(0, 4, 4.0, arrival_soc_kwh=0.0),),
        import_price_p_per_kwh=[30, 5, 6, 40],
    )
    for enabled in (True, False):
        with _kernels.use_numba(enabled):
            exact = solve(problem, repair_setpoint=False)
            fixed = solve(problem)
        np.testing.assert_allclose(exact.charge_kw, [0, 7.4, 0.6, 0])
        assert exact.objective == pytest.approx(3.7 * 5 + 0.3 * 6)
        np.testing.assert_allclose(fixed.charge_kw, [0, 6.62, 1.38, 0])
        assert fixed.objective == pytest.approx(3.31 * 5 + 0.69 * 6)
        assert fixed.setpoint_repair_delta == pytest.approx(0.39)
        assert fixed.status is ScheduleStatus.FEASIBLE


@needs_numba
def test_switch_and_kernels_loaded_once() -> None:
    kernels = _kernels.active()
    assert kernels is not None
    assert _kernels.active() is kernels
    assert _kernels.load_seconds() > 0.0
    with _kernels.use_numba(False):
        assert _kernels.active() is None
        with _kernels.use_numba(True):
            assert _kernels.active() is kernels
        assert _kernels.active() is None
    assert _kernels.active() is kernels


def test_environment_variable_forces_the_reference() -> None:
    code = (
        "import numpy as np, sys\n"
        "from evflex.schedule import _kernels, solve\n"
        "from evflex.schedule.synthetic import vehicle_day\n"
        "result = solve(vehicle_day(np.random.default_rng(0), 48))\n"
        "assert _kernels.active() is None and not _kernels.numba_available()\n"
        "assert 'numba' not in sys.modules, 'numba imported'\n"
        "print(result.objective)\n"
    )
    env = {**os.environ, "EVFLEX_NO_NUMBA": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    with _kernels.use_numba(False):
        expected = solve(vehicle_day(np.random.default_rng(0), 48)).objective
    assert float(out.stdout.strip()) == pytest.approx(expected, rel=1e-12)


def test_results_pickle_compactly_and_exactly() -> None:
    """``ScheduleResult.__reduce__`` (the fleet's transport) restores every field, arrays read-only."""
    rng = np.random.default_rng(9)
    results = [solve(vehicle_day(rng, 48)), solve_lp(random_problem(rng, n_periods=30))]
    results += [solve(random_problem(rng, min_setpoint=True)) for _ in range(20)]
    assert any(r.carbon_g is None for r in results)
    assert any(r.carbon_g is not None for r in results)
    assert any(r.binding_reason for r in results)
    assert any(r.relaxations for r in results)
    for result in results:
        for copy in (pickle.loads(pickle.dumps(result)), pickle.loads(pickle.dumps(result, protocol=2))):
            assert isinstance(copy, ScheduleResult)
            for field in dataclasses.fields(ScheduleResult):
                value, restored = getattr(result, field.name), getattr(copy, field.name)
                if isinstance(value, np.ndarray):
                    np.testing.assert_array_equal(restored, value)
                    assert restored.shape == value.shape
                    assert not restored.flags.writeable
                else:
                    assert restored == value, field.name
                    assert type(restored) is type(value), field.name
    one = pickle.dumps(results[0])
    default = pickle.dumps(dataclasses.asdict(results[0]))  # roughly what the dataclass default sends
    assert len(one) < len(default)
