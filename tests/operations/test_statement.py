from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from evflex.billing import LineKind, Supply
from evflex.household.ev import GENERIC_SMART_CHARGER_7KW
from evflex.household.meter_data import MeterDataError
from evflex.operations.reconcile import (
    Tolerance,
    estimate_missing_charger,
    reconcile,
    typical_by_time_of_day,
)
from evflex.operations.statement import (
    Account,
    MonthData,
    Statement,
    StatementError,
    build_statement,
    month_timeline,
    read_month_data,
)
from evflex.operations.statement_cli import statement_command
from evflex.operations.statement_html import statement_html
from evflex.periods import Timeline, local_days
from evflex.tariffs.catalogue import load_catalogue
from evflex.tariffs.model import AddOnRules, Band, Direction, RegionalRate, Source, Structure, Tariff
from evflex.tariffs.vat import VatSchedule

FloatArray = npt.NDArray[np.float64]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "operations" / "statement"
SRC = Source("test: hand-made", date(2026, 11, 1))
NO_VAT = VatSchedule.constant(0.0)
ACCOUNT = Account("A-1", "Jo Bloggs", "C", kwh_per_mile=0.306)


def rate(p: float) -> RegionalRate:
    return RegionalRate.constant(p, SRC)


HOME = Tariff(
    "FLAT-20", "Flat 20p", "Test", Direction.IMPORT, Structure.FLAT, (Band("standard", rate(20.0)),),
    standing_charge=rate(50.0),
)
EXPORT = Tariff(
    "EXPORT-10", "Export 10p", "Test", Direction.EXPORT, Structure.FLAT, (Band("export", rate(10.0)),),
    vat_applies=False,
)
V2G = Tariff(
    "V2G-ADDON", "V2G add-on", "Test", Direction.IMPORT, Structure.ADD_ON,
    add_on=AddOnRules(rate(0.0), requires_bidirectional=True, car_export_paid=False),
)
SUPPLY = Supply(HOME, EXPORT, V2G)


def in_local_hours(tl: Timeline, start_h: float, end_h: float) -> npt.NDArray[np.bool_]:
    m = tl.local().minute_of_day
    return np.asarray((m >= start_h * 60) & (m < end_h * 60))


def month_data(
    tl: Timeline,
    home: FloatArray,
    ev_c: FloatArray,
    ev_d: FloatArray,
    solar: FloatArray | None = None,
    *,
    charger_c: FloatArray | None = None,
    charger_d: FloatArray | None = None,
    give_solar: bool = False,
) -> MonthData:
    """Meter readings from the balance; the charger reports ``charger_*`` (default: the truth)."""
    s = np.zeros(tl.n_periods) if solar is None else solar
    net = home + ev_c - ev_d - s
    return MonthData(
        tl,
        np.maximum(net, 0.0),
        np.maximum(-net, 0.0),
        ev_c if charger_c is None else charger_c,
        ev_d if charger_d is None else charger_d,
        s if give_solar else None,
    )


def june() -> tuple[Timeline, FloatArray, FloatArray, FloatArray]:
    """June 2025: 30 days, 1,440 half-hours. Home 0.5 kWh every half-hour; the car charges 2 kWh per half-hour
    01:00–03:00 and discharges 1 kWh per half-hour 18:00–19:00 every day."""
    tl = month_timeline("2025-06")
    home = np.full(tl.n_periods, 0.5)
    ev_c = np.where(in_local_hours(tl, 1, 3), 2.0, 0.0)
    ev_d = np.where(in_local_hours(tl, 18, 19), 1.0, 0.0)
    return tl, home, ev_c, ev_d


def by_kind(s: Statement, kind: LineKind) -> list[tuple[float, Decimal]]:
    return [(line.quantity, line.amount_gbp) for line in s.lines if line.kind is kind]


# -- the statement by hand --------------------------------------------------------------------------------
def test_thirty_day_month_by_hand() -> None:
    tl, home, ev_c, ev_d = june()
    s = build_statement(ACCOUNT, SUPPLY, month_data(tl, home, ev_c, ev_d), vat=NO_VAT)
    assert tl.n_periods == 1440
    assert s.month == "2025-06"
    assert by_kind(s, LineKind.ENERGY) == [(720.0, Decimal("144.00"))]  # 0.5 × 1440 kWh at 20p
    assert by_kind(s, LineKind.EV_CHARGING) == [(240.0, Decimal("48.00"))]  # 2 kWh × 4 × 30 at 20p
    assert by_kind(s, LineKind.EV_CREDIT) == [(240.0, Decimal("-48.00"))]
    assert by_kind(s, LineKind.CAR_EXPORT) == [(60.0, Decimal("0.00"))]  # 1 kWh × 2 × 30, unpaid
    assert by_kind(s, LineKind.STANDING_CHARGE) == [(30.0, Decimal("15.00"))]
    assert by_kind(s, LineKind.EXPORT_CREDIT) == []  # every exported kWh came from the car
    assert by_kind(s, LineKind.VAT) == [(0.0, Decimal("0.00"))]
    assert s.total_gbp == Decimal("159.00")
    car = next(line for line in s.lines if line.kind is LineKind.CAR_EXPORT)
    assert "≈ 196 free miles at 0.306 kWh/mile" in car.label  # 60 / 0.306 = 196.08
    assert s.free_miles == pytest.approx(196.078, abs=1e-3)
    assert s.charged_miles == pytest.approx(784.314, abs=1e-3)  # 240 / 0.306
    assert s.warnings == ()
    assert s.flags == ()
    assert len(s.daily.days) == 30
    assert s.daily.ev_charge_kwh[0] == pytest.approx(8.0)


def test_five_percent_vat_on_the_import_side_only() -> None:
    tl, home, ev_c, ev_d = june()
    solar = np.where(in_local_hours(tl, 12, 14), 1.0, 0.0)  # 0.5 kWh exported per half-hour 12:00–14:00
    s = build_statement(ACCOUNT, SUPPLY, month_data(tl, home, ev_c, ev_d, solar), vat=VatSchedule.constant(0.05))
    # home import: 0.5 × (1440 − 120) = 660 kWh → £132.00; standing £15.00; VAT 5 % of £147 = £7.35;
    # solar export 0.5 × 4 × 30 = 60 kWh at 10p = £6.00 credited, no VAT on export
    assert by_kind(s, LineKind.ENERGY) == [(660.0, Decimal("132.00"))]
    assert by_kind(s, LineKind.EXPORT_CREDIT) == [(60.0, Decimal("-6.00"))]
    assert by_kind(s, LineKind.VAT) == [(0.0, Decimal("7.35"))]
    assert s.total_gbp == Decimal("148.35")
    assert next(x.label for x in s.lines if x.kind is LineKind.VAT) == "VAT (5%)"


def test_generation_meter_changes_nothing_billed_when_it_agrees() -> None:
    tl, home, ev_c, ev_d = june()
    solar = np.where(in_local_hours(tl, 12, 14), 1.0, 0.0)
    without = build_statement(ACCOUNT, SUPPLY, month_data(tl, home, ev_c, ev_d, solar), vat=NO_VAT)
    with_meter = build_statement(
        ACCOUNT, SUPPLY, month_data(tl, home, ev_c, ev_d, solar, give_solar=True), vat=NO_VAT
    )
    assert [x.amount_gbp for x in with_meter.lines] == [x.amount_gbp for x in without.lines]
    assert with_meter.energy.solar_kwh == pytest.approx(120.0)
    assert without.energy.solar_kwh is None


@pytest.mark.parametrize(
    ("month", "n_periods", "ev_kwh"),
    [
        ("2025-03", 1486, 60.0),  # 30 March: 46 half-hours; 01:00–02:00 local does not exist that night
        ("2025-10", 1490, 64.0),  # 26 October: 50 half-hours; 01:00–02:00 local happens twice
    ],
)
def test_clock_change_months(month: str, n_periods: int, ev_kwh: float) -> None:
    tl = month_timeline(month)
    assert tl.n_periods == n_periods
    home = np.ones(n_periods)
    ev_c = np.where(in_local_hours(tl, 1, 2), 1.0, 0.0)  # 1 kWh per half-hour 01:00–02:00 local
    s = build_statement(ACCOUNT, SUPPLY, month_data(tl, home, ev_c, np.zeros(n_periods)), vat=NO_VAT)
    assert by_kind(s, LineKind.STANDING_CHARGE) == [(31.0, Decimal("15.50"))]  # 31 local days, not 1486/48
    assert by_kind(s, LineKind.ENERGY) == [(float(n_periods), Decimal(n_periods) * Decimal("0.20"))]
    assert by_kind(s, LineKind.EV_CHARGING)[0][0] == ev_kwh
    assert s.total_gbp == Decimal(n_periods) * Decimal("0.20") + Decimal("15.50")
    assert len(s.daily.days) == 31
    assert sum(s.daily.home_import_kwh) == pytest.approx(n_periods)


def test_zero_vat_month_still_shows_a_vat_line() -> None:
    tl = month_timeline("2026-11")  # inside the 0 % period of the default VAT schedule
    s = build_statement(ACCOUNT, SUPPLY, month_data(tl, np.full(tl.n_periods, 0.5), np.zeros(tl.n_periods),
                                                    np.zeros(tl.n_periods)))
    assert by_kind(s, LineKind.VAT) == [(0.0, Decimal("0.00"))]
    assert any("VAT is 0 %" in n for n in s.notes)
    assert s.total_gbp == Decimal("159.00")  # 720 kWh × 20p + 30 days × 50p, no VAT


# -- missing charger data --------------------------------------------------------------------------------
def test_charger_gap_is_estimated_and_flagged() -> None:
    tl, home, _, _ = june()
    ev_c = np.where(in_local_hours(tl, 1, 3), 3.0, 0.0)
    zero = np.zeros(tl.n_periods)
    gap = np.zeros(tl.n_periods, dtype=np.bool_)
    first = tl.index_of(local_days(date(2025, 6, 10), date(2025, 6, 11)).start)
    gap[first : first + 12] = True  # Tue 10 June 00:00–06:00 BST: the car charged 4 × 3 kWh in it
    full = build_statement(ACCOUNT, SUPPLY, month_data(tl, home, ev_c, zero), vat=NO_VAT)
    gappy = build_statement(
        ACCOUNT,
        SUPPLY,
        month_data(tl, home, ev_c, zero, charger_c=np.where(gap, np.nan, ev_c), charger_d=np.where(gap, np.nan, 0.0)),
        vat=NO_VAT,
    )
    # the home's typical draw at every time of day is 0.5 kWh, so the estimate is exactly the car's 12 kWh
    assert gappy.estimate.n_periods == 12
    assert gappy.estimate.charge_kwh == pytest.approx(12.0)
    assert gappy.estimate.discharge_kwh == 0.0
    (run,) = gappy.estimate.ranges
    assert run.n_periods == 12
    assert run.kwh == pytest.approx(12.0)
    assert [x.amount_gbp for x in gappy.lines] == [x.amount_gbp for x in full.lines]
    (flag,) = gappy.flags
    assert "12 half-hours" in flag
    assert "Tue 10 Jun 00:00–06:00 BST" in flag
    assert "12.00 kWh of EV charging" in flag
    assert "12 of 1440 half-hours estimated" in next(x.meter for x in gappy.lines if x.kind is LineKind.EV_CREDIT)
    assert gappy.daily.estimated_periods[9] == 12
    assert gappy.reconciliation.checked_periods == 1440 - 12
    assert gappy.warnings == ()


def test_estimate_is_clipped_to_the_charger_and_ignores_small_residuals() -> None:
    tl = local_days(date(2025, 6, 2), date(2025, 6, 4))  # two days, 96 half-hours
    n = tl.n_periods
    imp = np.full(n, 0.5)
    imp[50], imp[51], imp[52] = 6.0, 0.8, 0.3  # gap periods on day 2
    nan = np.full(n, np.nan)
    known = np.r_[np.zeros(48), nan[:48]]  # day 1 known (no car), day 2 missing
    est = estimate_missing_charger(tl, imp, np.zeros(n), known, known, None, ACCOUNT.charger)
    # typical 0.5: 6.0 − 0.5 = 5.5 → clipped to 7.4 kW × 0.5 h = 3.7; 0.3 above typical < 0.345 (half the
    # Quasar's 1.38 kW minimum setpoint × 0.5 h) → 0; 0.2 below typical → no discharge either
    assert est.ev_charge_kwh[50] == pytest.approx(3.7)
    assert est.ev_charge_kwh[51] == 0.0
    assert est.ev_discharge_kwh[52] == 0.0
    assert est.charge_kwh == pytest.approx(3.7)
    assert est.n_periods == 48


def test_typical_home_draw_is_the_median_at_each_time_of_day() -> None:
    tl = local_days(date(2025, 6, 2), date(2025, 6, 5))  # three days
    values = np.tile(np.arange(48, dtype=np.float64), 3)
    values[48:96] += 10.0  # day 2 higher by 10
    known = np.ones(tl.n_periods, dtype=np.bool_)
    known[0] = False  # 00:00 on day 1 unknown: the median of 10 and 0 at 00:00 is 5
    typical = typical_by_time_of_day(values, known, tl)
    assert typical[0] == 5.0
    assert typical[1] == 1.0  # median of 1, 11, 1
    known[::48] = False  # 00:00 never known: all known periods' median stands in
    assert typical_by_time_of_day(values, known, tl)[0] == pytest.approx(np.median(values[known]))


def test_no_charger_data_at_all_is_an_error() -> None:
    tl, home, ev_c, ev_d = june()
    nan = np.full(tl.n_periods, np.nan)
    with pytest.raises(StatementError, match="cannot be separated"):
        build_statement(ACCOUNT, SUPPLY, month_data(tl, home, ev_c, ev_d, charger_c=nan, charger_d=nan))


# -- reconciliation --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("phantom_periods", "warns"), [(19, False), (25, True)])
def test_reconciliation_warning_fires_beyond_the_tolerance(phantom_periods: int, warns: bool) -> None:
    tl, home, ev_c, ev_d = june()
    reported = ev_c.copy()
    noon = np.flatnonzero(in_local_hours(tl, 12, 12.5))[:phantom_periods]
    reported[noon] = 0.8  # the charger reports 0.8 kWh where the meter only saw the home's 0.5
    s = build_statement(ACCOUNT, SUPPLY, month_data(tl, home, ev_c, ev_d, charger_c=reported), vat=NO_VAT)
    r = s.reconciliation
    # unexplained 0.3 kWh per phantom period; tolerance 2 % of (240 + 0.8 k) kWh charged + 60 discharged
    assert r.shortfall_kwh == pytest.approx(0.3 * phantom_periods)
    assert r.tolerance_kwh == pytest.approx(0.02 * (300 + 0.8 * phantom_periods))
    assert r.n_periods_flagged == phantom_periods
    assert r.n_ranges == phantom_periods  # one noon half-hour a day
    assert (len(s.warnings) == 1) is warns
    if warns:
        assert "7.50 kWh" in s.warnings[0]
        assert "6.40 kWh tolerance" in s.warnings[0]
        assert "Sun 01 Jun 12:00–12:30 BST" in s.warnings[0]
        assert "+17 more runs" in s.warnings[0]


def test_reconciliation_tolerance_floor_and_excess_discharge() -> None:
    tl = local_days(date(2025, 6, 2), date(2025, 6, 3))
    n = tl.n_periods
    imp, exp, zero = np.full(n, 0.5), np.zeros(n), np.zeros(n)
    ev_d = zero.copy()
    ev_d[40] = 12.0  # 24 kW for half an hour: beyond the Quasar's 3.7 kWh and any home's draw
    r = reconcile(tl, imp, exp, zero, ev_d, None, charger=ACCOUNT.charger, has_solar=False)
    assert r.over_rating_kwh == pytest.approx(12.0 - 3.7)
    assert r.excess_home_kwh == pytest.approx(0.5 + 12.0 - 11.5)  # home would draw 12.5 kWh > 23 kW × 0.5 h
    assert r.tolerance_kwh == pytest.approx(0.5)  # 2 % of 12 kWh = 0.24 < the 0.5 kWh floor
    assert not r.ok
    quiet = reconcile(tl, imp, exp, zero, zero, None, charger=ACCOUNT.charger, has_solar=False)
    assert quiet.ok
    assert quiet.unexplained_kwh == 0.0
    assert quiet.warning() is None


def test_unmetered_solar_limits_the_shortfall_check_to_dark_hours() -> None:
    tl = local_days(date(2025, 6, 2), date(2025, 6, 3))
    n = tl.n_periods
    zero = np.zeros(n)
    ev_c = zero.copy()
    ev_c[24] = 2.0  # 12:00: the car may charge from the panels, which have no meter
    ev_c[46] = 2.0  # 23:00: dark, so this charging must come through the meter
    r = reconcile(tl, zero, zero, ev_c, zero, None, charger=ACCOUNT.charger, has_solar=True)
    assert r.shortfall_kwh == pytest.approx(2.0)
    assert r.ranges[0].start == tl.period_start(46)
    assert r.notes
    no_solar = reconcile(tl, zero, zero, ev_c, zero, None, charger=ACCOUNT.charger, has_solar=False)
    assert no_solar.shortfall_kwh == pytest.approx(4.0)
    assert no_solar.hint == ""  # no export involved
    export = np.where(in_local_hours(tl, 12, 13), 1.0, 0.0)  # 2 kWh exported at noon with no car discharge
    flagged = reconcile(tl, zero, export, zero, zero, None, charger=ACCOUNT.charger, has_solar=False)
    assert flagged.shortfall_kwh == pytest.approx(2.0)
    assert "mark the account as having solar" in (flagged.warning() or "")


def test_custom_tolerance_and_charger() -> None:
    tl, home, ev_c, ev_d = june()
    account = replace(ACCOUNT, charger=GENERIC_SMART_CHARGER_7KW)  # one-way: its discharge rating is 0
    s = build_statement(account, SUPPLY, month_data(tl, home, ev_c, ev_d), vat=NO_VAT,
                        tolerance=Tolerance(month_kwh=100.0))
    assert s.reconciliation.over_rating_kwh == pytest.approx(60.0)  # all 60 kWh of discharge is impossible
    assert s.reconciliation.ok  # within the 100 kWh tolerance asked for


# -- invariants ------------------------------------------------------------------------------------------
TWO_DAYS = local_days(date(2025, 3, 29), date(2025, 3, 31))  # 48 + 46 half-hours, across the March change
quarters = st.lists(st.integers(0, 16), min_size=TWO_DAYS.n_periods, max_size=TWO_DAYS.n_periods).map(
    lambda v: np.array(v, dtype=np.float64) * 0.125  # kWh on a binary grid: sums are exact
)


@settings(max_examples=40, deadline=None)
@given(quarters, quarters, quarters, quarters, st.sampled_from([0.0, 0.05, 0.2]))
def test_lines_sum_to_the_total(
    home: FloatArray, ev_c: FloatArray, ev_d: FloatArray, solar: FloatArray, vat: float
) -> None:
    s = build_statement(ACCOUNT, SUPPLY, month_data(TWO_DAYS, home, ev_c, ev_d, solar),
                        vat=VatSchedule.constant(vat), tolerance=Tolerance(month_kwh=1e9))
    assert s.total_gbp == sum((x.amount_gbp for x in s.lines), Decimal("0.00"))
    assert Decimal(s.to_dict()["total_gbp"]) == s.total_gbp


@settings(max_examples=40, deadline=None)
@given(quarters, quarters, quarters, quarters)
def test_home_part_is_the_same_with_and_without_the_car(
    home: FloatArray, ev_c: FloatArray, ev_d: FloatArray, solar: FloatArray
) -> None:
    zero = np.zeros(TWO_DAYS.n_periods)
    with_car = build_statement(ACCOUNT, SUPPLY, month_data(TWO_DAYS, home, ev_c, ev_d, solar), vat=NO_VAT)
    no_car = build_statement(ACCOUNT, SUPPLY, month_data(TWO_DAYS, home, zero, zero, solar), vat=NO_VAT)
    assert with_car.home_lines() == no_car.home_lines()
    assert with_car.energy.home_import_kwh == no_car.energy.home_import_kwh
    assert with_car.energy.home_export_kwh == no_car.energy.home_export_kwh


# -- files, JSON, HTML, command ------------------------------------------------------------------------------
def test_read_the_fixture_month() -> None:
    data = read_month_data("2025-10", FIXTURES / "meter.csv", FIXTURES / "charger.csv", FIXTURES / "solar.csv")
    assert data.timeline.n_periods == 1490
    assert int(np.isnan(data.ev_charge_kwh).sum()) == 10  # the charger was offline 18:00–23:00 on 14 Oct
    assert not np.isnan(data.meter_import_kwh).any()
    assert data.solar_kwh is not None
    assert any("clock change on 2025-10-26: 50 half-hours" in n for n in data.notes)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_files_say_what_to_fix(tmp_path: Path) -> None:
    good = write(tmp_path / "c.csv", "interval_start,ev_charge_kwh,ev_discharge_kwh\n2025-06-01T00:00Z,0,0\n")
    with pytest.raises(StatementError, match="needs the header interval_start,import_kwh,export_kwh"):
        read_month_data("2025-06", write(tmp_path / "m.csv", "start,kwh\n"), good)
    naive = write(tmp_path / "n.csv", "interval_start,import_kwh,export_kwh\n2025-06-01T00:00:00,1,0\n")
    with pytest.raises(StatementError, match="no UTC offset"):
        read_month_data("2025-06", naive, good)
    clash = write(
        tmp_path / "d.csv",
        "interval_start,import_kwh,export_kwh\n2025-06-01T00:00:00+01:00,1,0\n2025-05-31T23:00:00Z,2,0\n",
    )
    with pytest.raises(MeterDataError, match="different readings"):
        read_month_data("2025-06", clash, good)
    partial = write(tmp_path / "p.csv", "interval_start,import_kwh,export_kwh\n2025-06-01T00:00:00+01:00,1,0\n")
    with pytest.raises(StatementError, match="lacks 1439 half-hours"):
        read_month_data("2025-06", partial, good)
    with pytest.raises(StatementError, match="no readings in this month"):
        read_month_data("2025-07", partial, good)
    with pytest.raises(StatementError, match="YYYY-MM"):
        month_timeline("June 2025")


def test_to_dict_is_json_with_money_as_strings() -> None:
    tl, home, ev_c, ev_d = june()
    d = json.loads(json.dumps(build_statement(ACCOUNT, SUPPLY, month_data(tl, home, ev_c, ev_d), vat=NO_VAT).to_dict()))
    assert d["total_gbp"] == "159.00"
    assert {line["amount_gbp"] for line in d["lines"]} >= {"144.00", "-48.00", "15.00"}
    assert d["period"] == {"start": "2025-05-31T23:00:00+00:00", "end": "2025-06-30T23:00:00+00:00",
                           "first_day": "2025-06-01", "last_day": "2025-06-30", "days": 30, "half_hours": 1440}
    assert d["free_miles"]["car_export_miles"] == 196.1
    assert d["reconciliation"]["ok"] is True
    assert d["warnings"] == []


def test_html_is_self_contained_and_escaped() -> None:
    tl, home, ev_c, ev_d = june()
    reported = ev_c.copy()
    reported[in_local_hours(tl, 12, 13)] = 3.0  # phantom charging every noon: the warning fires
    reported[:4] = np.nan  # and four half-hours without charger data: a flag
    account = replace(ACCOUNT, customer_name="<script>alert(1)</script> O'Brien")
    s = build_statement(account, SUPPLY, month_data(tl, home, ev_c, ev_d, charger_c=reported), vat=NO_VAT)
    page = statement_html(s)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "<svg" in page
    assert "Warning: meter and charger disagree" in page
    assert "Estimated charger data" in page
    assert "£" in page
    assert "free miles" in page
    for external in ("<link", "src=", "@import", "url("):
        assert external not in page


def test_statement_command_writes_json_and_html(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(statement_command)
    args = [
        "--meter", str(FIXTURES / "meter.csv"), "--charger", str(FIXTURES / "charger.csv"),
        "--solar", str(FIXTURES / "solar.csv"), "--month", "2025-10", "--region", "C",
        "--export-tariff", "OUTGOING-OCTOPUS", "--customer", "Sam Example", "--account-id", "A-100234",
        "--json", str(tmp_path / "s.json"), "--html", str(tmp_path / "s.html"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output  # the fixture month carries a reconciliation warning
    d = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert d["tariff_codes"] == ["FLEXIBLE-OCTOPUS", "POWER-PACK", "OUTGOING-OCTOPUS"]
    assert d["estimated_charger_data"]["n_periods"] == 10
    assert len(d["warnings"]) == 1
    assert d["period"]["half_hours"] == 1490
    assert "Sam Example" in (tmp_path / "s.html").read_text(encoding="utf-8")
    bad = CliRunner().invoke(app, [*args[:8], "2025-13", *args[9:]])
    assert bad.exit_code == 2


def test_catalogue_statement_with_real_rates() -> None:
    """October 2025, region C: Flexible Octopus 24.4112 p/kWh and 42.9498 p/day exc VAT, 5 % VAT."""
    cat = load_catalogue()
    supply = Supply(cat.get("FLEXIBLE-OCTOPUS"), cat.get("OUTGOING-OCTOPUS"), cat.get("POWER-PACK"))
    tl = month_timeline("2025-10")
    home = np.full(tl.n_periods, 0.2)
    s = build_statement(ACCOUNT, supply, month_data(tl, home, np.zeros(tl.n_periods), np.zeros(tl.n_periods)))
    expected = (0.2 * 1490 * 24.4112 + 31 * 42.9498) * 1.05 / 100
    assert abs(float(s.total_gbp) - expected) <= 0.01
