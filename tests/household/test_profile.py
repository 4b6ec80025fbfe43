"""Tests for the synthetic home load profile and the window-share reshaping."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evflex.household.profile import (
    DAILY_LEVEL,
    SHAPE_WINTER,
    HouseholdError,
    home_load_kwh,
    relative_home_load,
    reshape_to_window_share,
    years_covered,
)
from evflex.periods import LocalWindow, Timeline, local_day, local_days, local_year


@pytest.mark.parametrize("year", [2024, 2025])
def test_year_total_is_the_annual_kwh(year: int) -> None:
    tl = local_year(year)
    load = home_load_kwh(tl, 3100.0)
    assert load.shape == (tl.n_periods,)
    assert load.sum() == pytest.approx(3100.0, abs=1e-9)
    assert (load > 0).all()


def test_non_year_timelines_are_pro_rata() -> None:
    week = local_days(date(2025, 2, 3), date(2025, 2, 10))
    assert years_covered(week) == pytest.approx(7 / 365.25, rel=1e-15)
    assert home_load_kwh(week, 3100.0).sum() == pytest.approx(3100.0 * 7 / 365.25, abs=1e-9)
    day = local_day(date(2025, 7, 16))
    assert home_load_kwh(day, 3652.5).sum() == pytest.approx(10.0, abs=1e-9)


def test_whole_years_from_any_local_midnight() -> None:
    # 1 June 2025 to 1 June 2027 (local midnights in BST): exactly two years, whatever the day count
    two = local_days(date(2025, 6, 1), date(2027, 6, 1))
    assert years_covered(two) == 2.0
    assert home_load_kwh(two, 4000.0).sum() == pytest.approx(8000.0, abs=1e-9)
    # a 365-day span that is not a calendar-date anniversary (2024 is a leap year) is pro rata
    almost = local_days(date(2024, 1, 1), date(2024, 12, 31))
    assert years_covered(almost) == pytest.approx(365 / 365.25)
    assert years_covered(Timeline(datetime(2025, 1, 1, tzinfo=UTC), 0)) == 0.0


def test_clock_change_days_have_46_and_50_non_negative_values() -> None:
    spring = home_load_kwh(local_day(date(2025, 3, 30)), 3100.0)
    autumn = home_load_kwh(local_day(date(2025, 10, 26)), 3100.0)
    assert spring.shape == (46,)
    assert autumn.shape == (50,)
    assert (spring >= 0).all()
    assert (autumn >= 0).all()
    # pro rata by elapsed time: 23 h and 25 h
    assert spring.sum() == pytest.approx(3100 * 23 / 24 / 365.25, abs=1e-12)
    assert autumn.sum() == pytest.approx(3100 * 25 / 24 / 365.25, abs=1e-12)


def test_fifteen_minute_timelines_work() -> None:
    tl = Timeline.between(datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), 15)
    load = home_load_kwh(tl, 3100.0)
    assert load.shape == (35040,)
    assert load.sum() == pytest.approx(3100.0, abs=1e-9)


def test_winter_days_use_more_than_summer_days() -> None:
    # both Wednesdays; the daily level goes 1.25 (5 Jan) → 0.80 (early July)
    year = local_year(2025)
    load = home_load_kwh(year, 3100.0)
    day = year.local().day_ordinal
    jan = load[day == date(2025, 1, 15).toordinal()].sum()
    jul = load[day == date(2025, 7, 16).toordinal()].sum()
    assert jan > 1.4 * jul
    # and the change is smooth: no day differs from the next by more than 1 % (same weekday type)
    daily = np.bincount(day - day[0], weights=load)
    weekday = (np.arange(daily.size) + date(2025, 1, 1).weekday()) % 7
    week_days = daily[weekday < 5]
    assert np.abs(np.diff(week_days[:4]) / week_days[:3]).max() < 0.01


def test_interpolation_against_the_table_by_hand() -> None:
    # 5 Jan 2000 (a Wednesday) is the seasonal peak: weight 1 on the winter weekday row, level 1.25
    tl = local_day(date(2000, 1, 5))
    rel = relative_home_load(tl)
    row = SHAPE_WINTER[0] / SHAPE_WINTER[0].mean()
    # 00:00–00:30 has its midpoint at 00:15, a quarter-hour before the 00:30 knot: ¼ of 23:30 + ¾ of 00:30
    assert rel[0] == pytest.approx(DAILY_LEVEL["winter"] * (0.25 * row[23] + 0.75 * row[0]), rel=1e-12)
    # 12:30–13:00, midpoint 12:45: ¾ of the 12:30 knot + ¼ of the 13:30 knot
    assert rel[25] == pytest.approx(DAILY_LEVEL["winter"] * (0.75 * row[12] + 0.25 * row[13]), rel=1e-12)


def test_daily_shape_has_the_pc1_features() -> None:
    wed = home_load_kwh(local_day(date(2025, 1, 15)), 3100.0)
    sat = home_load_kwh(local_day(date(2025, 1, 18)), 3100.0)
    peak_hour = int(np.argmax(wed)) / 2
    assert 17.0 <= peak_hour < 20.0
    assert 2.0 <= int(np.argmin(wed)) / 2 < 6.0
    # weekday morning bump at 07:00–08:30 is higher than Saturday's; Saturday late morning is higher
    assert wed[14:17].sum() > sat[14:17].sum()
    assert sat[20:24].sum() > wed[20:24].sum()


def test_natural_off_peak_share_is_near_typical() -> None:
    tl = local_year(2025)
    load = home_load_kwh(tl, 4100.0)
    share = load[LocalWindow.parse("23:30-05:30").mask(tl)].sum() / load.sum()
    assert 0.12 < share < 0.16  # the V2G tariff page's typical home has 13.98 %


def test_negative_annual_is_refused() -> None:
    with pytest.raises(HouseholdError, match="annual home use"):
        home_load_kwh(local_day(date(2025, 1, 1)), -1.0)


# -- reshaping ----------------------------------------------------------------------------------------------
def test_worked_example_share_is_exact() -> None:
    tl = local_year(2025)
    mask = LocalWindow.parse("23:30-05:30").mask(tl)
    load = reshape_to_window_share(home_load_kwh(tl, 4100.0), mask, 0.1398)
    assert load.sum() == pytest.approx(4100.0, abs=1e-9)
    assert load[mask].sum() == pytest.approx(0.1398 * 4100.0, abs=1e-9)


def test_reshape_by_hand() -> None:
    load = np.array([1.0, 1.0, 2.0, 4.0])
    mask = np.array([True, False, False, True])
    out = reshape_to_window_share(load, mask, 0.5)  # total 8: inside 5 → 4, outside 3 → 4
    np.testing.assert_allclose(out, [0.8, 4 / 3, 8 / 3, 3.2], rtol=1e-15)


@settings(max_examples=200, deadline=None)
@given(
    share=st.floats(0.001, 0.999),
    values=st.lists(st.floats(0.001, 50.0), min_size=2, max_size=200),
    seed=st.integers(0, 2**32 - 1),
)
def test_reshape_hits_the_share_exactly(share: float, values: list[float], seed: int) -> None:
    load = np.array(values)
    rng = np.random.default_rng(seed)
    mask = rng.random(load.size) < 0.5
    mask[0], mask[-1] = True, False  # at least one period inside and one outside
    out = reshape_to_window_share(load, mask, share)
    total = load.sum()
    assert out.sum() == pytest.approx(total, rel=1e-12)
    assert out[mask].sum() == pytest.approx(share * total, rel=1e-12)
    # the shape inside each part is kept: one factor inside, one outside
    ratio = out / load
    assert np.ptp(ratio[mask]) <= 1e-12 * ratio[mask].max()
    assert np.ptp(ratio[~mask]) <= 1e-12 * ratio[~mask].max()


@pytest.mark.parametrize("share", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_reshape_refuses_shares_outside_0_1(share: float) -> None:
    with pytest.raises(HouseholdError, match="strictly between 0 and 1"):
        reshape_to_window_share(np.ones(4), np.array([True, False, True, False]), share)


@pytest.mark.parametrize(("mask", "word"), [([False] * 4, "empty"), ([True] * 4, "whole timeline")])
def test_reshape_refuses_empty_or_full_masks(mask: list[bool], word: str) -> None:
    with pytest.raises(HouseholdError, match=word):
        reshape_to_window_share(np.ones(4), np.array(mask), 0.2)


def test_reshape_refuses_zero_load_in_a_part() -> None:
    with pytest.raises(HouseholdError, match="zero inside"):
        reshape_to_window_share(np.array([0.0, 1.0]), np.array([True, False]), 0.2)
    with pytest.raises(HouseholdError, match="shape"):
        reshape_to_window_share(np.ones(3), np.array([True, False]), 0.2)
