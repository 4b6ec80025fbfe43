"""Tests for vehicles, chargers, usage patterns and plug-in sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from evflex.household.ev import (
    GENERIC_CCS,
    GENERIC_SMART_CHARGER_7KW,
    NISSAN_LEAF_40,
    WALLBOX_QUASAR_1,
    Charger,
    UsagePattern,
    Vehicle,
    charger_preset,
    plug_in_sessions,
    vehicle_preset,
)
from evflex.household.profile import HouseholdError
from evflex.periods import LocalWindow, Timeline, local_day, local_days, local_year


@pytest.mark.parametrize(
    "usage",
    [
        UsagePattern(8000.0),
        UsagePattern.parse(8000, "18:00-07:30", "mon-fri"),
        UsagePattern.parse(8000, "18:00-07:30", None, every_n_days=3),
        UsagePattern.parse(8000, "09:00-16:00", "sat,sun"),
    ],
)
def test_annual_charge_is_miles_times_kwh_per_mile(usage: UsagePattern) -> None:
    sessions = plug_in_sessions(local_year(2025), usage, NISSAN_LEAF_40)
    assert sessions.need_kwh.sum() == pytest.approx(8000 * 0.306, abs=1e-9)
    assert sessions.driving_kwh == pytest.approx(2448.0, abs=1e-9)
    assert (sessions.need_kwh >= 0).all()


def test_worked_example_charging_energy() -> None:
    usage = UsagePattern(10_000.0)
    assert usage.annual_charge_kwh(NISSAN_LEAF_40) == pytest.approx(3060.0)
    sessions = plug_in_sessions(local_year(2024), usage, NISSAN_LEAF_40)  # a leap year: still exact
    assert sessions.need_kwh.sum() == pytest.approx(3060.0, abs=1e-9)


def test_daily_sessions_over_2025() -> None:
    tl = local_year(2025)
    sessions = plug_in_sessions(tl, UsagePattern(), NISSAN_LEAF_40)
    # 365 evening arrivals plus the night of 31 Dec 2024 still plugged in at the start
    assert sessions.n_sessions == 366
    assert sessions.carried_in
    assert sessions.arrival_index[0] == 0
    assert sessions.need_kwh[0] == 0.0
    mod = tl.local().minute_of_day
    assert (mod[sessions.arrival_index[1:]] == 18 * 60).all()
    assert (mod[sessions.departure_index[:-1]] == 7 * 60 + 30).all()
    assert sessions.departure_index[-1] == tl.n_periods  # 31 Dec: ready by the end of the timeline
    lengths = sessions.lengths()
    assert np.count_nonzero(lengths == 27) == 362  # 13.5 h
    # the clock-change nights: 12.5 h in March, 14.5 h in October
    days = tl.local().day_ordinal[sessions.arrival_index]
    night = {int(d): int(n) for d, n in zip(days, lengths, strict=True)}
    assert night[date(2025, 3, 29).toordinal()] == 25
    assert night[date(2025, 10, 25).toordinal()] == 29


@pytest.mark.parametrize("days", [None, "mon-fri", "sat,sun"])
def test_plugged_in_mask_matches_the_local_window(days: str | None) -> None:
    tl = local_year(2025)
    usage = UsagePattern.parse(8000, "18:00-07:30", days)
    mask = plug_in_sessions(tl, usage, NISSAN_LEAF_40).plugged_in()
    np.testing.assert_array_equal(mask, LocalWindow.parse("18:00-07:30", days).mask(tl))


def test_monday_session_carries_the_weekend() -> None:
    tl = local_days(date(2025, 2, 3), date(2025, 2, 17))  # Mon 3 Feb … Sun 16 Feb, no clock change
    sessions = plug_in_sessions(tl, UsagePattern.parse(8000, "18:00-07:30", "mon-fri"), NISSAN_LEAF_40)
    weekday = tl.local().weekday[sessions.arrival_index]
    assert sessions.n_sessions == 10
    need = sessions.need_kwh
    assert need[weekday == 0] == pytest.approx(3 * need[weekday == 1])
    # 14 days' worth of driving, shared over the sessions in proportion to 3+1+1+1+1 days a week
    assert need.sum() == pytest.approx(2448.0 * 14 / 365.25)
    assert need[weekday == 1][0] == pytest.approx(2448.0 * 14 / 365.25 / 14)


def test_every_n_days_and_gaps() -> None:
    assert UsagePattern().max_gap_days() == 1
    assert UsagePattern.parse(8000, days="mon-fri").max_gap_days() == 3
    assert UsagePattern.parse(8000, days="mon,wed").max_gap_days() == 5
    assert UsagePattern.parse(8000, every_n_days=2).max_gap_days() == 2
    assert UsagePattern.parse(8000, days="sun", every_n_days=7).max_gap_days() == 7
    usage = UsagePattern.parse(8000, every_n_days=2)
    tl = local_year(2025)
    sessions = plug_in_sessions(tl, usage, NISSAN_LEAF_40)
    days = tl.local().day_ordinal[sessions.arrival_index[1:]]
    assert (days % 2 == 0).all()
    assert (np.diff(days) == 2).all()


def test_a_pattern_that_never_plugs_in_is_refused() -> None:
    # ordinals divisible by 7 are all Sundays, so "every 7 days on Saturdays" never happens
    with pytest.raises(HouseholdError, match="never happens"):
        UsagePattern.parse(8000, days="sat", every_n_days=7)


def test_timeline_starting_mid_session() -> None:
    start = datetime(2025, 1, 6, 19, 0, tzinfo=UTC)  # Monday 19:00 GMT, car plugged in since 18:00
    tl = Timeline(start, 48)
    sessions = plug_in_sessions(tl, UsagePattern(), NISSAN_LEAF_40)
    assert sessions.carried_in
    np.testing.assert_array_equal(sessions.arrival_index, [0, 46])
    np.testing.assert_array_equal(sessions.departure_index, [25, 48])
    assert sessions.need_kwh[0] == 0.0
    assert sessions.need_kwh[1] == pytest.approx(2448.0 / 365.25)


def test_no_arrival_in_a_short_timeline() -> None:
    tl = Timeline(datetime(2025, 1, 6, 9, 0, tzinfo=UTC), 8)  # 09:00–13:00, the car is away
    sessions = plug_in_sessions(tl, UsagePattern(), NISSAN_LEAF_40)
    assert sessions.n_sessions == 0
    assert not sessions.plugged_in().any()
    assert sessions.driving_kwh == pytest.approx(2448.0 * 4 / 24 / 365.25)


def test_fifteen_minute_timeline_sessions() -> None:
    tl = Timeline.between(datetime(2025, 1, 6, tzinfo=UTC), datetime(2025, 1, 8, tzinfo=UTC), 15)
    sessions = plug_in_sessions(tl, UsagePattern(), NISSAN_LEAF_40)
    np.testing.assert_array_equal(sessions.arrival_index, [0, 72, 168])
    np.testing.assert_array_equal(sessions.departure_index, [30, 126, 192])


def test_spring_forward_arrival_in_the_missing_hour_moves_to_the_next_period() -> None:
    tl = local_day(date(2025, 3, 30))  # 01:00–02:00 local does not exist
    sessions = plug_in_sessions(tl, UsagePattern.parse(8000, "01:30-06:00"), NISSAN_LEAF_40)
    assert tl.local().minute_of_day[sessions.arrival_index[0]] == 120  # 02:00 BST
    assert tl.local().minute_of_day[sessions.departure_index[0]] == 360


def test_presets_and_capabilities() -> None:
    assert vehicle_preset("Nissan-Leaf-40") is NISSAN_LEAF_40
    assert charger_preset("wallbox-quasar-1") is WALLBOX_QUASAR_1
    assert 37.0 <= NISSAN_LEAF_40.battery_usable_kwh <= 39.0
    assert NISSAN_LEAF_40.efficiency_kwh_per_mile == 0.306
    assert NISSAN_LEAF_40.connector == "CHAdeMO"
    assert WALLBOX_QUASAR_1.can_discharge(NISSAN_LEAF_40)
    assert not GENERIC_SMART_CHARGER_7KW.can_discharge(NISSAN_LEAF_40)
    assert not WALLBOX_QUASAR_1.can_discharge(GENERIC_CCS)
    assert WALLBOX_QUASAR_1.min_setpoint_kw == 1.38
    assert GENERIC_CCS.smart_api
    assert not NISSAN_LEAF_40.smart_api
    with pytest.raises(HouseholdError, match="choose one of"):
        vehicle_preset("zoe")
    with pytest.raises(HouseholdError, match="choose one of"):
        charger_preset("zappi")


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Vehicle("x", 0.0, 0.3), "usable battery"),
        (lambda: Vehicle("x", 40.0, 3.0), "kWh/mile"),
        (lambda: Charger("x", 0.0), "max_charge_kw"),
        (lambda: Charger("x", 7.4, 7.4, bidirectional=False), "bidirectional"),
        (lambda: Charger("x", 7.4, min_setpoint_kw=8.0), "min_setpoint_kw"),
        (lambda: Charger("x", 7.4, efficiency=1.2), "efficiency"),
        (lambda: UsagePattern(-1.0), "annual_miles"),
        (lambda: UsagePattern(150_000.0), "annual_miles"),
        (lambda: UsagePattern(every_n_days=0), "every_n_days"),
        (lambda: UsagePattern.parse(8000, "18-07"), "plug-in window"),
    ],
)
def test_validation_errors(build: object, match: str) -> None:
    with pytest.raises(HouseholdError, match=match):
        build()  # type: ignore[operator]
