from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evflex.periods import Timeline, local_day
from evflex.signals.agile import (
    CAP_INC_VAT_P,
    CONSTANTS,
    LEVY_REMOVAL_FROM,
    UNIT_EXC_VAT,
    UNIT_INC_VAT,
    agile_import_p_per_kwh,
    agile_outgoing_p_per_kwh,
    constants_for,
    implied_wholesale,
    peak_mask,
    region_shift,
)
from evflex.signals.series import SignalError, SignalSeries
from evflex.tariffs.model import REGIONS

# 2025-01-15 is GMT: 15:30Z is 15:30 local (off-peak), 16:00Z is 16:00 local (peak)
WINTER = datetime(2025, 1, 15, 15, 30, tzinfo=UTC)


def test_constants_table() -> None:
    assert sorted(CONSTANTS) == sorted(REGIONS)
    j, c = CONSTANTS["J"], CONSTANTS["C"]
    assert (j.import_multiplier, j.import_peak_p) == (2.2, 12.0)
    assert (c.import_multiplier, c.import_peak_p) == (2.0, 12.0)
    assert (c.outgoing_multiplier, c.outgoing_adder_p, c.outgoing_peak_p) == (0.95, 1.30, 5.93)
    assert (CONSTANTS["P"].import_multiplier, CONSTANTS["L"].import_peak_p) == (2.4, 11.0)
    assert constants_for("_j") is j
    with pytest.raises(SignalError, match="unknown region 'O'"):
        constants_for("O")


def test_import_hand_calculation_region_j() -> None:
    tl = Timeline(WINTER, 4)  # 15:30 off-peak, then 16:00, 16:30, 17:00 peak
    w = np.array([10.0, 10.0, -5.0, 50.0])
    exc, inc = agile_import_p_per_kwh(w, tl, "J")
    # 2.2·10 = 22; 2.2·10 + 12 = 34; 2.2·(−5) + 12 = 1; 2.2·50 + 12 = 122 → 128.1 inc, capped at 100
    np.testing.assert_allclose(exc, [22.0, 34.0, 1.0, 100 / 1.05])
    np.testing.assert_allclose(inc, [23.1, 35.7, 1.05, 100.0])


def test_negative_prices_pass_through_with_vat() -> None:
    exc, inc = agile_import_p_per_kwh(np.array([-10.0]), Timeline(WINTER, 1), "C")
    np.testing.assert_allclose(exc, [-20.0])
    np.testing.assert_allclose(inc, [-21.0])


def test_levy_removal_from_april_2026() -> None:
    # 2026-03-31T22:30Z and 23:00Z are 23:30 and 00:00 BST: the levy term starts at local midnight
    assert datetime(2026, 4, 1, tzinfo=UTC) - LEVY_REMOVAL_FROM == timedelta(hours=1)
    tl = Timeline(datetime(2026, 3, 31, 22, 30, tzinfo=UTC), 2)
    exc, inc = agile_import_p_per_kwh(np.array([10.0, 10.0]), tl, "J")
    np.testing.assert_allclose(exc, [22.0, 22.0 - 3.5 / 1.05])
    np.testing.assert_allclose(inc, [23.1, 23.1 - 3.5])


def test_vat_schedule_array_and_cap_at_zero_vat() -> None:
    tl = Timeline(datetime(2026, 9, 30, 22, 30, tzinfo=UTC), 2)  # 23:30 BST, then 2026-10-01 00:00 BST
    vat = np.array([0.05, 0.0])
    exc, inc = agile_import_p_per_kwh(np.array([10.0, 60.0]), tl, "J", vat=vat)
    levy = 3.5 / 1.05
    np.testing.assert_allclose(exc, [22.0 - levy, 100.0])  # 2.2·60 − L = 128.7 > 100 cap at 0% VAT
    np.testing.assert_allclose(inc, [(22.0 - levy) * 1.05, 100.0])


@pytest.mark.parametrize(
    ("day", "n_periods", "first_peak_utc"),
    [
        (date(2025, 3, 30), 46, datetime(2025, 3, 30, 15, 0, tzinfo=UTC)),  # BST from 01:00 GMT
        (date(2025, 10, 26), 50, datetime(2025, 10, 26, 16, 0, tzinfo=UTC)),  # GMT from 01:00 GMT
        (date(2025, 7, 1), 48, datetime(2025, 7, 1, 15, 0, tzinfo=UTC)),
    ],
)
def test_peak_is_16_to_19_local_on_clock_change_days(
    day: date, n_periods: int, first_peak_utc: datetime
) -> None:
    tl = local_day(day)
    assert tl.n_periods == n_periods
    mask = peak_mask(tl)
    peak_starts = [tl.period_start(i) for i in np.flatnonzero(mask).tolist()]
    assert peak_starts == [first_peak_utc + timedelta(minutes=30 * k) for k in range(6)]
    exc, _ = agile_import_p_per_kwh(np.full(n_periods, 10.0), tl, "A")
    np.testing.assert_allclose(exc[mask], 2.1 * 10 + 13)
    np.testing.assert_allclose(exc[~mask], 2.1 * 10)


def test_outgoing_hand_calculation_and_floor() -> None:
    tl = Timeline(WINTER, 3)
    out = agile_outgoing_p_per_kwh(np.array([10.0, 10.0, -10.0]), tl, "C")
    # 0.95·10 + 1.30 = 10.8; + 5.93 in the peak = 16.73; 0.95·(−10) + 1.30 + 5.93 = −2.27 → floored at 0
    np.testing.assert_allclose(out, [10.8, 16.73, 0.0])


def test_implied_wholesale_is_nan_where_the_cap_binds() -> None:
    tl = Timeline(WINTER, 3)
    w = implied_wholesale(np.array([23.1, 35.7, 100.0]), tl, "J")
    np.testing.assert_allclose(w, [10.0, 10.0, np.nan])
    # 35p-cap era: prices are published as 33.33 exc · 1.05 = 34.9965, which is at the cap
    w35 = implied_wholesale(np.array([34.9965, 34.9]), Timeline(WINTER, 2), "J", cap_inc_vat=35.0)
    assert np.isnan(w35[0])
    assert w35[1] == pytest.approx((34.9 / 1.05 - 12) / 2.2)  # 16:00 is in the peak


@settings(max_examples=80, deadline=None)
@given(
    region=st.sampled_from(REGIONS),
    start_day=st.dates(date(2020, 1, 1), date(2027, 12, 31)),
    wholesale=st.lists(st.floats(-60, 60), min_size=1, max_size=120),
)
def test_formula_and_inverse_round_trip(region: str, start_day: date, wholesale: list[float]) -> None:
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=UTC)
    tl = Timeline(start, len(wholesale))
    w = np.array(wholesale)
    exc, inc = agile_import_p_per_kwh(w, tl, region)
    assert (inc <= CAP_INC_VAT_P).all()
    np.testing.assert_allclose(inc, exc * 1.05, atol=1e-9)
    back = implied_wholesale(inc, tl, region)
    capped = np.isnan(back)
    np.testing.assert_allclose(back[~capped], w[~capped], atol=1e-9)
    assert (inc[capped] >= CAP_INC_VAT_P - 0.01).all()
    # the outgoing price is never negative, whatever the wholesale price
    out = agile_outgoing_p_per_kwh(w, tl, region)
    assert (out >= 0).all()


def _j_series(w: np.ndarray, tl: Timeline, unit: str) -> SignalSeries:
    exc, inc = agile_import_p_per_kwh(w, tl, "J")
    return SignalSeries("agile_import_J", unit, tl, inc if unit == UNIT_INC_VAT else exc)


@pytest.mark.parametrize("unit", [UNIT_INC_VAT, UNIT_EXC_VAT])
def test_region_shift_matches_the_target_formula(unit: str) -> None:
    tl = Timeline(WINTER, 5)
    w = np.array([10.0, 10.0, -8.0, np.nan, 45.0])  # the last one hits the cap in J (2.2·45 + 12 = 111)
    shifted = region_shift(_j_series(w, tl, unit), "C", from_region="J")
    exc_c, inc_c = agile_import_p_per_kwh(w, tl, "C")
    expected = inc_c if unit == UNIT_INC_VAT else exc_c
    np.testing.assert_allclose(shifted.values[:4], expected[:4])
    assert shifted.name == "agile_import_C"
    assert shifted.unit == unit
    # at the J cap W ≥ (95.238 − 12)/2.2 = 37.8; C from that lower bound: 2·37.8 + 12 = 87.7 exc
    lower_bound_w = (100 / 1.05 - 12) / 2.2
    lb = 2.0 * lower_bound_w + 12
    assert shifted.values[4] == pytest.approx(lb if unit == UNIT_EXC_VAT else lb * 1.05)
    (flag,) = shifted.report.suspicious
    assert [str(r) for r in flag.ranges] == ["1 period 2025-01-15T17:30Z"]
    assert "lower bound" in flag.reason
    assert "re-derived region C from region J" in shifted.report.notes[-1]
    assert [str(r) for r in shifted.report.missing] == ["1 period 2025-01-15T17:00Z"]


def test_region_shift_refuses_non_agile_units() -> None:
    s = SignalSeries("agile_outgoing_C", "p/kWh", Timeline(WINTER, 1), np.array([1.0]))
    with pytest.raises(SignalError, match="needs Agile import prices"):
        region_shift(s, "A", from_region="C")


def test_wrong_length_is_refused() -> None:
    with pytest.raises(SignalError, match="timeline of 3 periods"):
        agile_import_p_per_kwh(np.ones(2), Timeline(WINTER, 3), "J")
