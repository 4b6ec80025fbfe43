"""``evflex compliance`` on constructed session histories."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from evflex.cli import app
from evflex.operations.compliance_cli import read_sessions, session_energy
from evflex.operations.errors import OperationsError
from evflex.periods import local_days

runner = CliRunner()


def _nightly(customer: str, days: int, start: datetime, hours: float, kwh: float, every: int = 1) -> list[str]:
    rows = []
    for d in range(0, days, every):
        plug = start + timedelta(days=d)
        rows.append(f"{customer},{plug.isoformat()},{(plug + timedelta(hours=hours)).isoformat()},{kwh}")
    return rows


def _write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "sessions.csv"
    path.write_text("customer_id,plug_in,unplug,ev_charge_kwh\n" + "\n".join(rows) + "\n")
    return path


START = datetime(2025, 1, 1, 19, tzinfo=UTC)


def test_good_and_heavy_customers(tmp_path: Path) -> None:
    rows = _nightly("good", 181, START, 12, 8.0)  # 12 h every night, 8 kWh: ≈ 248 kWh a month
    rows += _nightly("heavy", 181, START, 12, 12.0)  # ≈ 372 kWh a month: every month missed
    rows += _nightly("rare", 181, START, 10, 8.0, every=3)  # 10 h every third day: windows fail
    result = runner.invoke(app, ["compliance", "--sessions", str(_write(tmp_path, rows)), "--json"])
    assert result.exit_code == 1
    reports = {r["customer_id"]: r for r in json.loads(result.stdout)["customers"]}
    assert reports["good"]["status"] == "OK"
    assert reports["heavy"]["status"] == "SHOULD_LEAVE"
    assert reports["rare"]["status"] == "SHOULD_LEAVE"
    only_good = runner.invoke(
        app, ["compliance", "--sessions", str(_write(tmp_path, _nightly("good", 59, START, 12, 8.0)))]
    )
    assert only_good.exit_code == 0, only_good.output
    assert "OK" in only_good.output


def test_session_energy_is_spread_over_its_periods() -> None:
    tl = local_days(datetime(2025, 1, 1).date(), datetime(2025, 1, 3).date())
    records = [("a", START, START + timedelta(hours=2), 4.0)]
    energy = session_energy(tl, records)
    assert energy.sum() == pytest.approx(4.0)
    assert np.count_nonzero(energy) == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("id,start,end,kwh\n", "the header must be"),
        ("customer_id,plug_in,unplug,ev_charge_kwh\n", "no sessions"),
        ("customer_id,plug_in,unplug,ev_charge_kwh\nc,2025-01-01T19:00:00,2025-01-02T07:00:00Z,5\n", "no UTC offset"),
        ("customer_id,plug_in,unplug,ev_charge_kwh\nc,2025-01-02T19:00:00Z,2025-01-02T07:00:00Z,5\n", "not after"),
        ("customer_id,plug_in,unplug,ev_charge_kwh\nc,2025-01-01T19:00:00Z,2025-01-02T07:00:00Z,-5\n", "between 0"),
        ("customer_id,plug_in,unplug,ev_charge_kwh\nc,2025-01-01T19:00:00Z,2025-01-02T07:00:00Z,x\n", "not a number"),
    ],
)
def test_bad_session_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "s.csv"
    path.write_text(content)
    with pytest.raises(OperationsError, match=message):
        read_sessions(path)
    result = runner.invoke(app, ["compliance", "--sessions", str(path)])
    assert result.exit_code == 2
    assert "error:" in result.stderr
