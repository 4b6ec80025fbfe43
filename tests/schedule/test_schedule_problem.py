"""Problem model: validation, presets and the JSON form (including the example in docs/schedule.md)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evflex.schedule import (
    Battery,
    Charger,
    InvalidProblemError,
    Objective,
    ObjectiveKind,
    ScheduleError,
    ScheduleProblem,
    Session,
    solve,
)
from evflex.schedule.synthetic import random_problem

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schedule.md"


def problem(**overrides: Any) -> ScheduleProblem:
    kwargs: dict[str, Any] = {
        "battery": Battery(40.0, 10.0, 36.0),
        "charger": Charger(7.4, 7.4, 0.92, 0.92, 1.38, True),
        "sessions": (Session(1, 5, 30.0, arrival_soc_kwh=20.0),),
        "import_price_p_per_kwh": [30.0, 20.0, 10.0, 5.0, 25.0, 35.0],
    }
    kwargs.update(overrides)
    return ScheduleProblem(**kwargs)


def test_arrays_are_copied_and_read_only() -> None:
    prices = np.array([30.0, 20.0, 10.0, 5.0, 25.0, 35.0])
    p = problem(import_price_p_per_kwh=prices)
    prices[0] = 99.0
    assert p.import_price_p_per_kwh[0] == 30.0
    with pytest.raises(ValueError, match="read-only"):
        p.import_price_p_per_kwh[0] = 1.0
    assert p.n_periods == 6
    assert p.period_hours == 0.5
    np.testing.assert_array_equal(p.plugged_mask(), [False, True, True, True, True, False])


def test_presets() -> None:
    quasar = Charger.wallbox_quasar_1()
    assert (quasar.max_charge_kw, quasar.max_discharge_kw, quasar.min_setpoint_kw) == (7.4, 7.4, 1.38)
    assert quasar.charge_efficiency * quasar.discharge_efficiency == pytest.approx(0.85)
    battery = Battery.from_fractions(38.0, 0.3, 0.9)
    assert (battery.soc_min_kwh, battery.soc_max_kwh) == pytest.approx((11.4, 34.2))
    assert Battery(50.0).soc_max_kwh == 50.0
    assert Charger(7.4, 7.4, bidirectional=False).effective_discharge_kw == 0.0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"import_price_p_per_kwh": []}, "non-empty"),
        ({"import_price_p_per_kwh": [1.0, math.nan, 2, 3, 4, 5]}, "non-finite value at period 1"),
        ({"export_value_p_per_kwh": [1.0, 2.0]}, "expected 6"),
        ({"home_load_kwh": [-1.0] * 6}, "home_load_kwh must be ≥ 0"),
        ({"objective": Objective.carbon()}, "needs carbon_g_per_kwh"),
        ({"export_limit_kw": -1.0}, "export_limit_kw"),
        ({"battery_wear_p_per_kwh": -0.1}, "battery_wear_p_per_kwh"),
        ({"period_minutes": 7}, "period_minutes"),
        ({"sessions": ()}, "at least one"),
        ({"sessions": (Session(1, 7, 30.0, arrival_soc_kwh=20.0),)}, "after the last period"),
        ({"sessions": (Session(1, 5, 30.0),)}, "must state arrival_soc_kwh"),
        ({"sessions": (Session(1, 5, 50.0, arrival_soc_kwh=2.0),)}, "exceeds usable_kwh"),
        (
            {"sessions": (Session(0, 3, 30.0, arrival_soc_kwh=20.0), Session(3, 5, 30.0))},
            "not after the previous departure",
        ),
        (
            {"sessions": (Session(0, 2, 30.0, arrival_soc_kwh=20.0), Session(3, 5, 30.0, arrival_soc_kwh=1.0))},
            "only the first session",
        ),
    ],
)
def test_invalid_problems(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidProblemError, match=message):
        problem(**overrides)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Battery(0.0), "usable_kwh"),
        (lambda: Battery(10.0, 5.0, 4.0), "soc_min_kwh"),
        (lambda: Battery.from_fractions(10.0, 0.5, 0.4), "fraction"),
        (lambda: Charger(7.4, charge_efficiency=1.2), "charge_efficiency"),
        (lambda: Charger(7.4, charge_efficiency=0.0), "charge_efficiency"),
        (lambda: Charger(-1.0), "max_charge_kw"),
        (lambda: Charger(1.0, min_setpoint_kw=1.38), "min_setpoint_kw"),
        (lambda: Session(3, 3, 1.0, arrival_soc_kwh=1.0), "arrival_period"),
        (lambda: Session(1.5, 3, 1.0), "integer"),  # type: ignore[arg-type]
        (lambda: Session(0, 3, -1.0), "target_soc_kwh"),
        (lambda: Objective("cheapest"), "objective kind"),  # type: ignore[arg-type]
        (lambda: Objective(ObjectiveKind.COST, 10.0), "only applies"),
    ],
)
def test_invalid_parts(factory: Any, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        factory()


def test_errors_are_value_errors() -> None:
    assert issubclass(InvalidProblemError, ScheduleError)
    assert issubclass(ScheduleError, ValueError)


def test_json_round_trip() -> None:
    rng = np.random.default_rng(2)
    for _ in range(50):
        original = random_problem(rng)
        text = json.dumps(original.to_dict())
        restored = ScheduleProblem.from_dict(json.loads(text))
        assert restored.to_dict() == original.to_dict()
        a, b = solve(original), solve(restored)
        np.testing.assert_array_equal(a.charge_kw, b.charge_kw)
        assert a.objective == b.objective


def test_from_dict_rejects_unknown_and_missing_keys() -> None:
    data = problem().to_dict()
    with pytest.raises(InvalidProblemError, match=r"unknown keys \['import_price'\]"):
        ScheduleProblem.from_dict({**data, "import_price": [1.0]})
    with pytest.raises(InvalidProblemError, match="missing"):
        ScheduleProblem.from_dict({k: v for k, v in data.items() if k != "battery"})
    with pytest.raises(InvalidProblemError, match="version"):
        ScheduleProblem.from_dict({**data, "version": 2})
    with pytest.raises(InvalidProblemError, match=r"charger: unknown keys \['max_power_kw'\]"):
        ScheduleProblem.from_dict({**data, "charger": {"max_charge_kw": 7.4, "max_power_kw": 7.4}})


def test_from_dict_defaults() -> None:
    minimal = {
        "battery": {"usable_kwh": 40},
        "charger": {"max_charge_kw": 7},
        "sessions": [{"arrival_period": 0, "departure_period": 2, "target_soc_kwh": 10, "arrival_soc_kwh": 5}],
        "import_price_p_per_kwh": [10, 20],
        "home_load_kwh": None,
    }
    p = ScheduleProblem.from_dict(minimal)
    assert p.export_limit_kw == 3.68
    assert p.period_minutes == 30
    assert p.objective.kind is ObjectiveKind.COST
    assert p.home_load_kwh is None


def test_docs_example_is_valid() -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", text, re.S)
    assert block is not None, "docs/schedule.md has no ```json example"
    example = ScheduleProblem.from_dict(json.loads(block.group(1)))
    result = solve(example)
    assert result.shortfall_kwh == 0.0
    assert example.to_dict()["sessions"] == json.loads(block.group(1))["sessions"]
