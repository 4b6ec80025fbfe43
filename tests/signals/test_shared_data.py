from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from evflex.periods import Timeline, local_days, local_year
from evflex.signals.agile import (
    UNIT_EXC_VAT,
    UNIT_INC_VAT,
    agile_outgoing_p_per_kwh,
    implied_wholesale,
    peak_mask,
)
from evflex.signals.series import SignalError, fill_gaps, mask_suspicious
from evflex.signals.shared_data import (
    ENV_VAR,
    find_shared_data,
    load_agile_import,
    load_agile_outgoing,
    load_carbon_intensity,
)

from .conftest import FIXTURES, need

DATA = FIXTURES / "data"
NAN = np.nan


# -- hand-made fixtures ---------------------------------------------------------------------------------
def test_agile_import_fixture_gaps_duplicates_and_vat() -> None:
    agile = load_agile_import(DATA, region="c")
    assert agile.region == "C"
    inc, exc = agile.inc_vat, agile.exc_vat
    assert inc.timeline == Timeline(datetime(2025, 10, 26, 0, 0, tzinfo=UTC), 6)
    np.testing.assert_array_equal(inc.values, [10.5, -2.1, 21.0, NAN, NAN, 31.5])
    np.testing.assert_allclose(exc.values, [10.0, -2.0, 20.0, NAN, NAN, 30.0])
    assert (inc.unit, exc.unit) == (UNIT_INC_VAT, UNIT_EXC_VAT)
    report = inc.report
    assert [str(r) for r in report.missing] == ["2 periods 2025-10-26T01:30Z→2025-10-26T02:00Z"]
    assert (report.duplicates_dropped, report.conflicting_duplicates) == (2, 1)
    assert "from octopus_agile_import_C_fixture.csv" in report.notes
    assert any("÷ 1.05" in note for note in exc.report.notes)


def test_year_or_timeline_selects_and_missing_edges_are_gaps() -> None:
    tl = Timeline(datetime(2025, 10, 25, 23, 30, tzinfo=UTC), 3)
    inc = load_agile_import(DATA / "octopus_agile_import_C_fixture.csv", timeline=tl).inc_vat
    np.testing.assert_array_equal(inc.values, [NAN, 10.5, -2.1])
    assert inc.report.n_missing == 1
    with pytest.raises(SignalError, match="has no rows in 2024-01-01T00:00Z"):
        load_agile_import(DATA, region="C", year=2024)
    with pytest.raises(SignalError, match="not both"):
        load_agile_import(DATA, region="C", year=2025, timeline=tl)


def test_outgoing_fixture_flags_values_below_the_floor() -> None:
    out = load_agile_outgoing(DATA)
    np.testing.assert_array_equal(out.values, [4.0, 0.0, -0.5])
    assert out.unit == "p/kWh"
    (flag,) = out.report.suspicious
    assert [str(r) for r in flag.ranges] == ["1 period 2025-10-26T01:00Z"]


def test_carbon_fixture_nulls_zeros_and_gap() -> None:
    ci = load_carbon_intensity(DATA)
    assert ci.actual is not None
    np.testing.assert_array_equal(ci.forecast.values, [150, 140, 130, NAN, 120])
    np.testing.assert_array_equal(ci.actual.values, [148, NAN, 0, NAN, 125])
    assert [str(r) for r in ci.forecast.report.missing] == ["1 period 2025-01-01T01:30Z"]
    assert ci.actual.report.n_missing == 2
    assert "1 rows have no actual (empty in the source); they are missing" in ci.actual.report.notes
    assert ci.actual.report.n_suspicious == 1
    assert ci.index is None


def test_bad_files_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SignalError, match="does not exist"):
        load_agile_import(tmp_path / "nowhere")
    with pytest.raises(SignalError, match="no Agile import file matching"):
        load_agile_import(tmp_path)
    bad = tmp_path / "octopus_agile_import_A_bad.csv"
    bad.write_text("interval_start_utc,region,price\n2025-01-01T00:00:00Z,A,1\n")
    with pytest.raises(SignalError, match="missing column\\(s\\) import_p_per_kwh"):
        load_agile_import(bad)
    bad.write_text("interval_start_utc,region,import_p_per_kwh\n2025-01-01 00:00,A,1\n")
    with pytest.raises(SignalError, match="cannot read"):
        load_agile_import(bad)
    bad.write_text("interval_start_utc,region,import_p_per_kwh\n2025-01-01T00:10:00Z,A,1\n")
    with pytest.raises(SignalError, match="not on the 30-minute grid"):
        load_agile_import(bad)
    with pytest.raises(SignalError, match="no Agile import rows for region B"):
        load_agile_import(bad, region="B")
    two = tmp_path / "two"
    two.mkdir()
    for letter in "AJ":
        (two / f"octopus_agile_import_{letter}_x.csv").write_text(
            f"interval_start_utc,region,import_p_per_kwh\n2025-01-01T00:00:00Z,{letter},1\n"
        )
    with pytest.raises(SignalError, match="regions A, J: pass region="):
        load_agile_import(two)
    assert load_agile_import(two, region="J").region == "J"


def test_find_shared_data_env_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert find_shared_data() == tmp_path
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(SignalError, match="is not a directory"):
        find_shared_data()


# -- real data (skipped when ../shared/data is absent) ----------------------------------------------------


@pytest.mark.realdata
def test_agile_j_2023(shared_data: Path) -> None:
    need(shared_data, "octopus_agile_import_J_*.csv")
    agile = load_agile_import(shared_data, region="J", year=2023)
    inc = agile.inc_vat.values
    assert inc.size == 17_520
    assert agile.inc_vat.report.n_missing == 0
    assert agile.inc_vat.report.duplicates_dropped == 0
    assert (inc.min(), inc.max(), int((inc < 0).sum())) == (pytest.approx(-19.94, abs=0.005), 70.308, 215)
    np.testing.assert_allclose(agile.exc_vat.values * 1.05, inc)


@pytest.mark.realdata
def test_agile_j_peak_is_local_16_to_19(shared_data: Path) -> None:
    need(shared_data, "octopus_agile_import_J_*.csv")
    tl = local_year(2023)
    inc = load_agile_import(shared_data, region="J", timeline=tl).inc_vat.values
    peak = peak_mask(tl)
    adder_inc = 12 * 1.05
    difference = inc[peak].mean() - inc[~peak].mean()
    assert 0.5 * adder_inc < difference < 2 * adder_inc  # measured: 14.2p


@pytest.mark.realdata
def test_agile_j_steps_at_16_and_19_local_in_gmt_and_bst(shared_data: Path) -> None:
    """From July 2023 the J prices follow 2.2 W + 12·peak exactly (see the Outgoing cross-check below;
    the first half of 2023 does not), so the price steps by the adder at 16:00 and 19:00 local in both
    GMT and BST while the implied wholesale price does not step at all."""
    need(shared_data, "octopus_agile_import_J_*.csv")
    tl = local_days(date(2023, 7, 1), date(2024, 3, 1))
    inc = load_agile_import(shared_data, region="J", timeline=tl).inc_vat.values
    local = tl.local()
    w = implied_wholesale(inc, tl, "J")
    for offset in (0, 60):
        for minute, sign in ((960, 1), (1140, -1)):
            at = (local.minute_of_day == minute) & (local.utc_offset_minutes == offset)
            before = np.flatnonzero(at) - 1
            step = np.median(inc[at] - inc[before])
            assert sign * step == pytest.approx(12 * 1.05, abs=1.2)  # measured 12.35…13.61p
            assert abs(np.median(w[at] - w[before])) < 0.5  # measured ≤ 0.44p


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("first", "end", "cap"),
    [(date(2023, 7, 1), date(2024, 1, 1), 100.0), (date(2020, 1, 1), date(2021, 1, 1), 35.0)],
)
def test_outgoing_c_follows_its_formula_from_wholesale_implied_by_import_j(
    shared_data: Path, first: date, end: date, cap: float
) -> None:
    """W is one GB-wide price, so W implied by region J's import prices must reproduce region C's export
    prices through the Outgoing formula (0.95 W + 1.30, + 5.93 in the peak, floored at 0)."""
    need(shared_data, "octopus_agile_import_J_*.csv")
    need(shared_data, "octopus_agile_outgoing_export_C_*.csv")
    tl = local_days(first, end)
    inc_j = load_agile_import(shared_data, region="J", timeline=tl).inc_vat.values
    out_c = load_agile_outgoing(shared_data, region="C", timeline=tl).values
    w = implied_wholesale(inc_j, tl, "J", cap_inc_vat=cap)
    usable = ~np.isnan(w)
    assert usable.mean() > 0.99  # only the few periods at the 35p cap drop out
    error = agile_outgoing_p_per_kwh(w, tl, "C")[usable] - out_c[usable]
    assert np.abs(error).max() < 0.01  # both are published rounded to 0.01p; measured max 0.0066p


@pytest.mark.realdata
def test_outgoing_c_is_floored_at_zero(shared_data: Path) -> None:
    need(shared_data, "octopus_agile_outgoing_export_C_*.csv")
    out = load_agile_outgoing(shared_data, region="C")
    assert np.nanmin(out.values) == 0.0
    assert int((out.values == 0).sum()) > 100
    assert out.report.suspicious == ()
    assert out.report.n_missing == 0


@pytest.mark.realdata
def test_carbon_2023_gaps_nulls_and_zeros(shared_data: Path) -> None:
    need(shared_data, "carbon_intensity_gb_national_*.csv")
    ci = load_carbon_intensity(shared_data, year=2023)
    assert ci.actual is not None
    assert ci.forecast.timeline.n_periods == 17_520
    assert [str(r) for r in ci.forecast.report.missing] == ["91 periods 2023-10-20T22:00Z→2023-10-22T19:00Z"]
    assert ci.actual.report.n_missing == 91 + 5
    assert "5 rows have no actual (empty in the source); they are missing" in ci.actual.report.notes
    (zeros,) = ci.actual.report.suspicious
    assert zeros.n_periods == 5
    assert [str(r) for r in zeros.ranges] == [
        "1 period 2023-01-31T01:00Z",
        "4 periods 2023-06-07T09:30Z→2023-06-07T11:00Z",
    ]
    filled, text = fill_gaps(mask_suspicious(ci.actual), "previous-day-same-period")
    assert filled.report.n_missing == 0
    assert "filled 48 periods 2023-10-20T22:00Z→2023-10-21T21:30Z from the previous day" in text
    assert "filled 43 periods 2023-10-21T22:00Z→2023-10-22T19:00Z from the previous week" in text


@pytest.mark.realdata
def test_two_import_regions_need_a_choice(shared_data: Path) -> None:
    if len(list(shared_data.glob("octopus_agile_import_*.csv"))) < 2:
        pytest.skip("only one Agile import file present")
    with pytest.raises(SignalError, match="pass region="):
        load_agile_import(shared_data)
