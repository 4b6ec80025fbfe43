"""The ``evflex`` command end to end (in-process): outputs, and one clear error line for each bad input."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from evflex.cli import app
from evflex.household.profile import home_load_kwh
from evflex.periods import local_year

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    joined = " ".join(lines)  # rich may wrap one long line on a narrow terminal
    assert joined.startswith("error:"), stderr
    assert "Traceback" not in stderr
    return joined


def test_preset_prints_the_worked_example_check() -> None:
    code, out, _ = run("compare", "--preset", "power-pack-faq", "--as-of", "2026-11-23")
    assert code == 0
    assert "£1,360.13" in out
    assert "Worked example check" in out
    assert "✗" not in out


def test_json_output_is_complete() -> None:
    code, out, _ = run("compare", "--preset", "power-pack-faq", "--json", "--as-of", "2026-11-23")
    assert code == 0
    payload = json.loads(out)
    assert [c["ok"] for c in payload["checks"]] == [True, True, True]
    assert payload["baseline"] == "Standard variable (FAQ rates)"
    first = payload["results"][0]
    assert first["codes"] == ["FAQ-FLEXIBLE", "POWER-PACK"]
    lines = first["bill"]["lines"]
    assert sum(float(x["amount_gbp"]) for x in lines) == pytest.approx(float(first["annual_cost_gbp"]), abs=1e-9)


def test_csv_output(tmp_path: Path) -> None:
    code, out, _ = run("compare", "--preset", "power-pack-faq", "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["codes"] == "FAQ-FLEXIBLE+POWER-PACK"
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))


def test_plot_is_written(tmp_path: Path) -> None:
    target = tmp_path / "charts" / "compare.png"
    code, _, _ = run("compare", "--preset", "power-pack-faq", "--plot", str(target))
    assert code == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in target.parent.iterdir()] == ["compare.png"]  # no temporary files left


def _write_csv(path: Path, kwh: np.ndarray, start: datetime, skip: set[int] = frozenset()) -> Path:  # type: ignore[assignment]
    rows = ["interval_start,kwh"]
    for i, v in enumerate(kwh):
        if i not in skip:
            rows.append(f"{(start + timedelta(minutes=30 * i)).strftime('%Y-%m-%dT%H:%M:%SZ')},{v:.3f}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_meter_data_year_is_compared(tmp_path: Path) -> None:
    tl = local_year(2023)
    kwh = home_load_kwh(tl, 3500.0)
    meter = _write_csv(tmp_path / "meter.csv", kwh, tl.start)
    code, out, err = run("compare", "--meter-data", str(meter), "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["household"]["home_data"] == "smart meter data"
    assert payload["household"]["miles_per_year"] == 0
    svt = next(r for r in payload["results"] if r["codes"] == ["PRICE-CAP-SVT"])
    energy = sum(x["quantity"] for x in svt["bill"]["lines"] if x["kind"] == "energy")
    assert energy == pytest.approx(np.round(kwh, 3).sum(), abs=0.01)


def test_missing_meter_periods_are_an_error_unless_filled(tmp_path: Path) -> None:
    tl = local_year(2023)
    kwh = home_load_kwh(tl, 3500.0)
    meter = _write_csv(tmp_path / "gappy.csv", kwh, tl.start, skip={100, 101, 5000})
    plot = tmp_path / "never.png"
    code, _, err = run("compare", "--meter-data", str(meter), "--year", "2023", "--plot", str(plot))
    assert code == 2
    message = _one_error_line(err)
    assert "3 of 17520 half-hours are missing" in message
    assert "--fill-gaps" in message
    assert not plot.exists()  # nothing half-written
    code, out, err = run(
        "compare", "--meter-data", str(meter), "--year", "2023", "--fill-gaps", "same-period-previous-week", "--json"
    )
    assert code == 0, err
    assert any("gaps filled" in note for note in json.loads(out)["assumptions"])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["compare", "--region", "Z"], "unknown region 'Z'"),
        (["compare", "--region", "I"], "unknown region 'I'"),
        (["compare", "--home-kwh", "-5"], "annual home use -5.0 kWh must be > 0"),
        (["compare", "--home-kwh", "10000000"], "must be > 0 and ≤ 100,000"),
        (["compare", "--baseline", "NOPE"], "baseline 'NOPE' was not costed"),
        (["compare", "--vehicle", "delorean"], "unknown vehicle 'delorean'"),
        (["compare", "--as-of", "yesterday"], "is not a date"),
        (["compare", "--preset", "nope"], "unknown preset 'nope'"),
        (["compare", "--meter-data", "/nonexistent/meter.json"], "/nonexistent/meter.json"),
        (["tariffs", "show", "OCTOPUS-GOO"], "OCTOPUS-GO"),
        (["tariffs", "list", "--region", "Q"], "unknown region 'Q'"),
    ],
)
def test_bad_input_gets_one_clear_error_line(args: list[str], expected: str) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert expected in _one_error_line(err)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "empty"),
        ("not,a,meter\n1,2,3\n", "column"),
        ("interval_start,kwh\n2023-01-01T00:00:00Z,-1.0\n", "negative"),
        ("interval_start,kwh\n2023-01-01T00:00:00Z,nonsense\n", "nonsense"),
        ("interval_start,kwh\n2023-01-01T00:00:00Z,900\n", "900"),
    ],
)
def test_malformed_meter_files_are_rejected(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "meter.csv"
    path.write_text(content)
    code, _, err = run("compare", "--meter-data", str(path))
    assert code == 2
    assert expected in _one_error_line(err).lower()


def test_malformed_json_meter_file(tmp_path: Path) -> None:
    path = tmp_path / "meter.json"
    path.write_text('{"results": [')
    code, _, err = run("compare", "--meter-data", str(path))
    assert code == 2
    assert "meter.json" in _one_error_line(err)


def test_tariffs_list_and_show() -> None:
    code, out, _ = run("tariffs", "list", "--json")
    assert code == 0
    codes = {t["code"] for t in json.loads(out)}
    assert {"INTELLIGENT-OCTOPUS-GO", "POWER-PACK", "OCTOPUS-AGILE", "EDF-GOELECTRIC-25"} <= codes
    code, out, _ = run("tariffs", "show", "POWER-PACK", "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["structure"] == "add_on"
    assert shown["requirements"]["v2g_hardware"] is True
    code, out, _ = run("tariffs", "show", "FLEXIBLE-OCTOPUS")
    assert code == 0
    assert "SLOP-O" in out


def test_help_teaches() -> None:
    code, out, _ = run("compare", "--help")
    assert code == 0
    assert "power-pack-faq" in out
    assert "--meter-data" in out
    assert datetime.now(UTC).year >= 2026
