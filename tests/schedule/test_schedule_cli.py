"""``evflex simulate`` and ``evflex schedule`` through typer's CliRunner on a small app registering them.

The simulate tests run on small CSV files written here in the shared data's layout (a few January days,
with a carbon gap, an empty actual and an exact-zero actual); one test uses the real shared data and
skips cleanly when it is absent.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from evflex.household import default_household
from evflex.periods import local_days
from evflex.schedule.cli import _outgoing_by_formula, load_year_signals, schedule_command, simulate_command
from evflex.schedule.simulate import DEFAULT_STRATEGIES, simulate, vehicle_setup

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command("simulate")(simulate_command)
app.command("schedule")(schedule_command)
runner = CliRunner()

PNG = b"\x89PNG\r\n\x1a\n"
EXAMPLE = {  # docs/schedule.md's example
    "version": 1,
    "period_minutes": 30,
    "battery": {"usable_kwh": 38.0, "soc_min_kwh": 11.4, "soc_max_kwh": 34.2},
    "charger": {
        "max_charge_kw": 7.4,
        "max_discharge_kw": 7.4,
        "charge_efficiency": 0.922,
        "discharge_efficiency": 0.922,
        "min_setpoint_kw": 1.38,
        "bidirectional": True,
    },
    "sessions": [{"arrival_period": 2, "departure_period": 8, "target_soc_kwh": 30.4, "arrival_soc_kwh": 15.0}],
    "import_price_p_per_kwh": [28.1, 31.5, 24.0, 14.2, 9.8, 7.5, 8.1, 15.3],
    "export_value_p_per_kwh": [15.0, 18.2, 12.0, 6.1, 4.0, 3.2, 3.5, 7.0],
    "carbon_g_per_kwh": None,
    "home_load_kwh": [0.45, 0.6, 0.4, 0.2, 0.15, 0.15, 0.15, 0.2],
    "export_limit_kw": 3.68,
    "objective": {"kind": "cost", "carbon_price_p_per_kgco2": 0.0},
    "battery_wear_p_per_kwh": 2.0,
}


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    joined = " ".join(lines)  # rich may wrap one long line on a narrow terminal
    assert joined.startswith("error:"), stderr
    assert "Traceback" not in stderr
    return joined


# -- a small shared-data folder --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shared_data")
    start = datetime(2023, 1, 1, tzinfo=UTC)
    n = 12 * 48
    stamps = [(start + timedelta(minutes=30 * i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(n)]
    hours = (np.arange(n) % 48) / 2.0
    peak = (hours >= 16) & (hours < 19)
    night = hours < 6
    inc_vat = np.where(peak, 42.0, np.where(night, 8.4, 21.0))
    export = np.where(peak, 25.0, np.where(night, 4.0, 10.0))
    forecast = np.where(night, 120.0, 220.0)
    actual = forecast + 5.0
    with open(folder / "octopus_agile_import_J_test.csv", "w") as f:
        f.write("interval_start_utc,region,import_p_per_kwh\n")
        f.writelines(f"{t},J,{v:.4f}\n" for t, v in zip(stamps, inc_vat, strict=True))
    with open(folder / "octopus_agile_outgoing_export_C_test.csv", "w") as f:
        f.write("interval_start_utc,region,export_p_per_kwh\n")
        f.writelines(f"{t},C,{v:.2f}\n" for t, v in zip(stamps, export, strict=True))
    with open(folder / "carbon_intensity_gb_national_test.csv", "w") as f:
        f.write("interval_start_utc,region_id,forecast_g_per_kwh,actual_g_per_kwh\n")
        for i, (t, fc, ac) in enumerate(zip(stamps, forecast, actual, strict=True)):
            if 100 <= i < 104:  # four rows absent: a gap in both columns
                continue
            actual_text = "" if i == 150 else "0" if i == 151 else f"{ac:.0f}"
            f.write(f"{t},0,{fc:.0f},{actual_text}\n")
    return folder


def test_simulate_json_has_the_three_strategies_and_the_data_notes(data_dir: Path) -> None:
    code, out, err = run("simulate", "--data", str(data_dir), "--first-days", "4", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["span"]["periods"] == 4 * 48
    assert [s["strategy"] for s in payload["strategies"]] == ["dumb", "smart", "v2g"]
    for s in payload["strategies"]:
        assert s["unmet_kwh"] == 0.0
        assert s["car_cost_gbp"] == pytest.approx(s["net_cost_gbp"] - payload["home_alone"]["cost_gbp"])
    dumb, smart, v2g = payload["strategies"]
    assert v2g["car_cost_gbp"] < smart["car_cost_gbp"] < dumb["car_cost_gbp"]
    assert v2g["export_kwh"] > 0
    assert dumb["export_kwh"] == 0
    notes = "\n".join(payload["data_notes"])
    assert "filled 4 periods 2023-01-03T02:00Z→2023-01-03T03:30Z from the previous day" in notes
    assert "2023-01-04T03:00Z" in notes
    assert "from the forecast" in notes
    assert "exactly 0 gCO2/kWh" in notes
    assert "region C's published prices used as they are for region J" in notes
    assumptions = "\n".join(payload["assumptions"])
    assert "23:00 local today (before 16:00)" in assumptions
    assert "inc 5% VAT" in assumptions


def test_simulate_table_states_assumptions(data_dir: Path) -> None:
    code, out, err = run("simulate", "--data", str(data_dir), "--first-days", "2", "--objective", "carbon")
    assert code == 0, err
    for text in ("dumb", "smart", "V2G", "Assumptions", "Data", "carbon: forecast intensity", "home alone"):
        assert text in out


def test_simulate_writes_the_week_plot_atomically(data_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "plots" / "week.png"
    code, _out, err = run(
        "simulate", "--data", str(data_dir), "--first-days", "9", "--plot", str(target), "--week", "2023-01-02"
    )
    assert code == 0, err
    assert target.read_bytes().startswith(PNG)
    assert os.listdir(target.parent) == ["week.png"]  # no temporary file left behind
    # a week outside the simulated span fails before anything is written: the old file stays
    target.write_bytes(b"old")
    code, _, err = run(
        "simulate", "--data", str(data_dir), "--first-days", "3", "--plot", str(target), "--week", "2023-01-02"
    )
    assert code == 2
    assert "outside the simulated span 2023-01-01–2023-01-03" in one_error_line(err)
    assert target.read_bytes() == b"old"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--plot", "x.png", "--week", "2023-02-30"), "--week '2023-02-30' is not a date"),
        (("--week", "2023-01-02"), "--week chooses the plotted week"),
        (("--objective", "greenest"), "--objective 'greenest'"),
        (("--objective", "blend"), "--carbon-price > 0"),
        (("--outgoing", "j-file"), "--outgoing 'j-file'"),
        (("--floor-percent", "85"), "need 0 ≤ floor"),
        (("--miles", "60000", "--every-n-days", "7"), "plug in at least every"),
    ],
)
def test_simulate_bad_options_give_one_error_line(data_dir: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = run("simulate", "--data", str(data_dir), "--first-days", "2", *args)
    assert code == 2
    assert message in one_error_line(err)


def test_simulate_year_outside_the_data(data_dir: Path) -> None:
    code, _, err = run("simulate", "--data", str(data_dir), "--year", "2019", "--first-days", "2")
    assert code == 2
    line = one_error_line(err)
    assert line.startswith("error: year 2019:")
    assert "has no rows" in line


def test_simulate_data_that_only_partly_covers_the_span(data_dir: Path) -> None:
    code, _, err = run("simulate", "--data", str(data_dir))  # the fixture holds 12 days of 2023
    assert code == 2
    assert "covers only 576 of the 17,520 half-hours of 2023-01-01…2023-12-31" in one_error_line(err)


def test_simulate_without_shared_data_says_where_to_put_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("evflex.schedule.cli.find_shared_data", lambda: None)
    code, _, err = run("simulate")
    assert code == 2
    line = one_error_line(err)
    assert "no shared data folder found" in line
    assert "../shared/data" in line
    assert "EVFLEX_SHARED_DATA" in line
    code, _, err = run("simulate", "--data", str(tmp_path))
    assert code == 2
    assert "holds no CSV files" in one_error_line(err)


def test_outgoing_formula_round_trips_region_c_and_shifts_to_j() -> None:
    timeline = local_days(date(2023, 1, 16), date(2023, 1, 17))
    w = np.linspace(-5.0, 30.0, timeline.n_periods)  # wholesale p/kWh
    hours = np.asarray(timeline.local().minute_of_day) / 60
    peak = (hours >= 16) & (hours < 19)
    c = np.maximum(0.95 * w + 1.30 + 5.93 * peak, 0.0)
    same, _ = _outgoing_by_formula(c, timeline, "C")
    np.testing.assert_allclose(same, c, atol=1e-12)
    j, note = _outgoing_by_formula(c, timeline, "J")
    expected = np.where(c > 0, np.maximum(0.94 * w + 1.09 + 7.41 * peak, 0.0), 0.0)
    np.testing.assert_allclose(j, expected, atol=1e-12)
    assert "indicative" in note


@pytest.mark.realdata
def test_two_weeks_of_real_2023_data() -> None:
    env = os.environ.get("EVFLEX_SHARED_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    if not root.is_dir() or not any(root.glob("octopus_agile_import_J_*.csv")):
        pytest.skip("real data not found: set EVFLEX_SHARED_DATA or place it in ../shared/data")
    timeline = local_days(date(2023, 11, 13), date(2023, 11, 27))
    household = default_household()
    home = household.home_load(timeline)[0]
    signals = load_year_signals(root, timeline, "J", "published-c", home)
    assert any("published region-J prices" in n for n in signals.notes)
    setup = vehicle_setup(household.vehicle, household.charger, household.sessions(timeline), export_limit_kw=7.4)
    dumb, smart, v2g = (simulate(signals, setup, s).totals() for s in DEFAULT_STRATEGIES)
    assert dumb.unmet_kwh == smart.unmet_kwh == v2g.unmet_kwh == 0.0
    assert v2g.car_cost_gbp < smart.car_cost_gbp < dumb.car_cost_gbp
    assert v2g.min_plugged_soc_kwh >= setup.battery.soc_min_kwh - 1e-9
    # Agile's 16:00–19:00 peak: arriving at 18:00, dumb charging pays peak prices; smart does not
    assert dumb.car_cost_gbp / dumb.ev_charge_kwh > 1.3 * smart.car_cost_gbp / smart.ev_charge_kwh


# -- evflex schedule -------------------------------------------------------------------------------------
def write(tmp_path: Path, payload: object, name: str = "problem.json") -> Path:
    path = tmp_path / name
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return path


def test_schedule_prints_status_costs_and_periods(tmp_path: Path) -> None:
    code, out, err = run("schedule", "--input", str(write(tmp_path, EXAMPLE)))
    assert code == 0, err
    assert "status: feasible (fast), 8 periods" in out  # the 1.38 kW minimum setpoint was repaired
    assert "minimum-setpoint repair added" in out
    assert "net £2.26" in out
    assert "wear £0.33" in out
    assert "2 periods with the car unplugged" in out


def test_schedule_json_and_plot(tmp_path: Path) -> None:
    plot = tmp_path / "out" / "schedule.png"
    code, out, err = run("schedule", "--input", str(write(tmp_path, EXAMPLE)), "--json", "--plot", str(plot))
    assert code == 0, err
    payload = json.loads(out)
    assert payload["status"] == "feasible"
    assert payload["n_periods"] == 8
    assert len(payload["charge_kw"]) == 8
    assert len(payload["soc_kwh"]) == 9
    assert payload["soc_kwh"][8] == pytest.approx(30.4)
    assert payload["net_cost_p"] == pytest.approx(payload["import_cost_p"] - payload["export_revenue_p"])
    assert plot.read_bytes().startswith(PNG)
    assert os.listdir(plot.parent) == ["schedule.png"]


def test_schedule_lp_solver_and_best_effort(tmp_path: Path) -> None:
    short = json.loads(json.dumps(EXAMPLE))
    short["sessions"][0].update(departure_period=4, target_soc_kwh=34.0)
    code, out, err = run("schedule", "--input", str(write(tmp_path, short)), "--solver", "lp")
    assert code == 0, err
    assert "status: best_effort (lp)" in out
    assert "shortfall: 12.177 kWh" in out  # 34 − (15 + 7.4 kW × 0.922 × 1 h)
    assert "binding: session 0: charger power × plugged-in time" in out


def _with(path: str, value: object) -> dict[str, object]:
    payload = json.loads(json.dumps(EXAMPLE))
    *parents, key = path.split(".")
    node = payload
    for p in parents:
        node = node[int(p)] if p.isdigit() else node[p]
    node[key] = value
    return payload


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"battery": ', "problem.json: not valid JSON: Expecting value at line 1, column 13"),
        ("[1, 2]", "problem.json: problem [0]: the problem must be a JSON object, got int"),
        (_with("battery.usable_kwh", "abc"), "battery.usable_kwh must be a number, got 'abc'"),
        (_with("battery.usable_kwh", None), "battery.usable_kwh is required, got null"),
        (_with("battery.usable_kwh", -1), "usable_kwh must be > 0, got -1.0"),
        (_with("sessions.0.arrival_period", 1.5), "sessions[0].arrival_period must be an integer, got 1.5"),
        (_with("charger.bidirectional", "yes"), "charger.bidirectional must be true or false, got 'yes'"),
        (_with("import_price_p_per_kwh", [1, 2, None]), "import_price_p_per_kwh[2] must be a number, got None"),
        (_with("home_load_kwh", [0.1] * 3), "home_load_kwh has 3 values, expected 8"),
        (_with("charger.max_charge", 7.4), "charger: unknown keys ['max_charge']"),
        (_with("objective.kind", "greenest"), "objective kind must be one of"),
    ],
)
def test_schedule_bad_input_names_the_field(tmp_path: Path, payload: object, message: str) -> None:
    code, out, err = run("schedule", "--input", str(write(tmp_path, payload)))
    assert code == 2
    assert message in one_error_line(err)
    assert out == ""


def test_schedule_missing_file_and_bad_solver(tmp_path: Path) -> None:
    code, _, err = run("schedule", "--input", str(tmp_path / "nope.json"))
    assert code == 2
    assert "file not found" in one_error_line(err)
    code, _, err = run("schedule", "--input", str(write(tmp_path, EXAMPLE)), "--solver", "cvx")
    assert code == 2
    assert "--solver 'cvx'" in one_error_line(err)


def test_a_list_of_problems_schedules_a_fleet(tmp_path: Path) -> None:
    from evflex.cli import app as main_app
    from evflex.schedule import ScheduleProblem, solve

    one = {
        "battery": {"usable_kwh": 38, "soc_min_kwh": 9.5, "soc_max_kwh": 34},
        "charger": {"max_charge_kw": 7.4, "max_discharge_kw": 7.4, "bidirectional": True},
        "sessions": [{"arrival_period": 0, "departure_period": 4, "arrival_soc_kwh": 10, "target_soc_kwh": 20}],
        "import_price_p_per_kwh": [30, 5, 5, 40],
    }
    short = json.loads(json.dumps(one))
    short["sessions"][0]["target_soc_kwh"] = 34  # 24 kWh in 2 h at 7.4 kW cannot be reached
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps([one, short, one]))
    result = CliRunner().invoke(main_app, ["schedule", "--input", str(path), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert len(payload) == 3
    expected = solve(ScheduleProblem.from_dict(one)).to_dict()
    assert payload[0]["charge_kw"] == expected["charge_kw"]
    assert payload[1]["status"] == "best_effort"
    assert payload[1]["shortfall_kwh"] > 0
    text = CliRunner().invoke(main_app, ["schedule", "--input", str(path)])
    assert "3 vehicles scheduled" in text.stdout
    assert "short by" in text.stdout
    path.write_text("[]")
    empty = CliRunner().invoke(main_app, ["schedule", "--input", str(path)])
    assert empty.exit_code == 2
