"""Tests for the household model and its simulation into flows."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evflex.household import (
    GENERIC_CCS,
    GENERIC_SMART_CHARGER_7KW,
    NISSAN_LEAF_40,
    WALLBOX_QUASAR_1,
    Flows,
    Household,
    HouseholdError,
    MeterType,
    SolarArray,
    UsagePattern,
    default_household,
    simulate,
    simulate_detail,
)
from evflex.periods import LocalWindow, Timeline, local_days, local_year

IOG_WINDOW = LocalWindow.parse("23:30-05:30")


@pytest.fixture(scope="module")
def year() -> Timeline:
    return local_year(2025)


def test_default_household() -> None:
    h = default_household()
    assert h.region == "C"
    assert h.annual_home_kwh == 3100.0
    assert h.usage.annual_miles == 8000.0
    assert h.vehicle is NISSAN_LEAF_40
    assert h.vehicle.efficiency_kwh_per_mile == 0.306
    assert h.charger is WALLBOX_QUASAR_1
    assert h.v2g_capable
    assert h.g99
    assert not h.prepayment
    assert h.meter_type is MeterType.SMETS2
    assert not h.has_solar


def test_dumb_year_totals(year: Timeline) -> None:
    flows = simulate(default_household(), year, "dumb")
    assert isinstance(flows, Flows)
    totals = flows.totals()
    assert totals["home_load_kwh"] == pytest.approx(3100.0, abs=1e-9)
    assert totals["ev_charge_kwh"] == pytest.approx(8000 * 0.306, abs=1e-9)
    assert totals["meter_import_kwh"] == pytest.approx(3100.0 + 2448.0, abs=1e-9)
    assert totals["meter_export_kwh"] == 0.0
    assert flows.smart_slots is None
    assert flows.provenance["ev_unmet_kwh"] == "0.000"
    assert "not Elexon data" in flows.provenance["home_load_kwh"]
    assert "'dumb'" in flows.provenance["ev_charge_kwh"]


def test_smart_on_iog_prices(year: Timeline) -> None:
    iog = IOG_WINDOW.mask(year)
    price = np.where(iog, 7.0, 30.95)
    result = simulate_detail(default_household(), year, "smart", price=price, preferred_mask=iog)
    flows = result.flows
    assert flows.smart_slots is not None
    np.testing.assert_array_equal(flows.smart_slots, flows.ev_charge_kwh > 0)
    # only 31 Dec, cut off at midnight with half an hour of window, charges outside it
    outside = flows.ev_charge_kwh[~iog].sum()
    assert outside == pytest.approx(2448.0 / 365 - 3.7, rel=1e-9)
    assert result.schedule.unmet_kwh == 0.0
    assert result.sessions.n_sessions == 366


def test_worked_example_household(year: Timeline) -> None:
    h = Household(
        annual_home_kwh=4100.0,
        usage=UsagePattern(10_000.0),
        home_share_window=IOG_WINDOW,
        home_share=0.1398,
        g99=True,
    )
    flows = simulate(h, year, "v2g_addon")
    mask = IOG_WINDOW.mask(year)
    assert flows.home_load_kwh.sum() == pytest.approx(4100.0, abs=1e-9)
    assert flows.home_load_kwh[mask].sum() == pytest.approx(0.1398 * 4100.0, abs=1e-9)
    assert flows.ev_charge_kwh.sum() == pytest.approx(3060.0, abs=1e-9)
    assert "13.98% in 23:30–05:30" in flows.provenance["home_load_kwh"]


def test_home_load_series_is_used_as_given() -> None:
    tl = local_days(date(2025, 1, 6), date(2025, 1, 8))
    series = np.linspace(0.1, 0.5, tl.n_periods)
    h = Household(annual_home_kwh=None, home_load_kwh=series)
    flows = simulate(h, tl, "dumb")
    np.testing.assert_array_equal(flows.home_load_kwh, series)
    assert "given series" in flows.provenance["home_load_kwh"]
    with pytest.raises(HouseholdError, match="aligned to the timeline"):
        simulate(h, local_days(date(2025, 1, 6), date(2025, 1, 7)), "dumb")


def test_solar_household_exports() -> None:
    tl = local_days(date(2025, 6, 2), date(2025, 6, 9))
    h = Household(solar=SolarArray(4.0), export_tariff_code="OUTGOING-VAR-24-10-26")
    flows = simulate(h, tl, "dumb")
    assert flows.solar_kwh.sum() > 0
    assert flows.meter_export_kwh.sum() > 0
    assert "pvlib" in flows.provenance["solar_kwh"]
    np.testing.assert_allclose(flows.balance_residual_kwh(), 0.0, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    annual=st.floats(500.0, 20_000.0),
    miles=st.floats(0.0, 12_000.0),  # at most 55 kWh a week for the 57.5 kWh car
    days=st.sampled_from([None, "mon-fri", "sat,sun", "mon,wed,fri"]),
    policy=st.sampled_from(["dumb", "window", "smart", "v2g_addon"]),
    start_day=st.integers(0, 364),
    n_days=st.integers(1, 10),
    seed=st.integers(0, 2**32 - 1),
)
def test_simulated_flows_balance(
    annual: float, miles: float, days: str | None, policy: str, start_day: int, n_days: int, seed: int
) -> None:
    first = date(2025, 1, 1) + timedelta(days=start_day)
    tl = local_days(first, first + timedelta(days=n_days))
    usage = UsagePattern.parse(miles, "18:00-07:30", days)
    h = Household(annual_home_kwh=annual, vehicle=GENERIC_CCS, charger=GENERIC_SMART_CHARGER_7KW, usage=usage)
    rng = np.random.default_rng(seed)
    price = rng.uniform(-5, 40, tl.n_periods)
    result = simulate_detail(h, tl, policy, price=price, window_mask=IOG_WINDOW.mask(tl),
                             carbon=rng.uniform(30, 300, tl.n_periods))
    f = result.flows
    lhs = f.meter_import_kwh - f.meter_export_kwh
    rhs = f.home_load_kwh + f.ev_charge_kwh - f.ev_discharge_kwh - f.solar_kwh
    np.testing.assert_allclose(lhs, rhs, atol=1e-9)
    elapsed_days = (tl.end - tl.start) / timedelta(days=1)  # 23 h or 25 h on a clock-change day
    assert f.home_load_kwh.sum() == pytest.approx(annual * elapsed_days / 365.25, rel=1e-9)
    # EV energy delivered plus the shortfall is what the sessions needed
    assert f.ev_charge_kwh.sum() + result.schedule.unmet_kwh == pytest.approx(
        result.sessions.need_kwh.sum(), abs=1e-9
    )
    assert not f.ev_charge_kwh[~result.sessions.plugged_in()].any()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"annual_home_kwh": 0.0}, "annual home use"),
        ({"annual_home_kwh": -5.0}, "annual home use"),
        ({"annual_home_kwh": 150_000.0}, "annual home use"),
        ({"annual_home_kwh": None}, "give annual_home_kwh"),
        ({"region": "I"}, "unknown region"),
        ({"region": "NI"}, "Northern Ireland"),
        ({"meter_type": "bogus"}, "unknown meter type"),
        ({"home_share": 0.2}, "both home_share_window and home_share"),
        ({"home_share_window": IOG_WINDOW, "home_share": 1.2}, "strictly between"),
        ({"home_load_kwh": np.array([1.0, -1.0])}, "finite kWh"),
        ({"usage": UsagePattern.parse(20_000, days="sun")}, "plug in at least every"),
    ],
)
def test_validation_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(HouseholdError, match=match):
        Household(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("miles", [-1.0, 150_000.0])
def test_miles_are_checked(miles: float) -> None:
    with pytest.raises(HouseholdError, match="annual_miles"):
        dataclasses.replace(default_household(), usage=UsagePattern(miles))


def test_normalisation_and_errors_are_value_errors() -> None:
    h = Household(region="_j", meter_type="smets1-migrated", export_tariff_code="  ")  # type: ignore[arg-type]
    assert h.region == "J"
    assert h.meter_type is MeterType.SMETS1_MIGRATED
    assert h.export_tariff_code is None
    assert issubclass(HouseholdError, ValueError)
    with pytest.raises(HouseholdError, match="choose one of"):
        simulate(h, Timeline(datetime(2025, 1, 6, tzinfo=UTC), 4), "greedy")
    with pytest.raises(HouseholdError, match="price"):
        simulate(h, Timeline(datetime(2025, 1, 6, tzinfo=UTC), 4), "smart")
