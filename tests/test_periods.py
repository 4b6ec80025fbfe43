from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evflex.periods import LONDON, LocalWindow, PeriodError, Timeline, local_day, local_days, local_year


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() - 6) % 7)


@pytest.mark.parametrize(
    ("day", "n"),
    [
        (date(2025, 3, 30), 46),
        (date(2025, 10, 26), 50),
        (date(2026, 3, 29), 46),
        (date(2026, 10, 25), 50),
        (date(2025, 7, 1), 48),
        (date(2024, 2, 29), 48),
    ],
)
def test_clock_change_days_have_46_and_50_periods(day: date, n: int) -> None:
    assert len(local_day(day)) == n


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1997, 1, 1), max_value=date(2099, 12, 31)))
def test_every_local_day_has_46_48_or_50_periods(day: date) -> None:
    n = len(local_day(day))
    if day == _last_sunday(day.year, 3):
        assert n == 46
    elif day == _last_sunday(day.year, 10):
        assert n == 50
    else:
        assert n == 48


def test_year_lengths() -> None:
    assert len(local_year(2023)) == 17_520
    assert len(local_year(2024)) == 17_568
    assert local_year(2023).start == datetime(2023, 1, 1, tzinfo=UTC)
    assert local_year(2023).n_local_days() == 365


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2030, 1, 1)),
    st.integers(min_value=1, max_value=3000),
    st.sampled_from([15, 30]),
)
def test_local_times_match_zoneinfo_period_by_period(naive: datetime, n: int, minutes: int) -> None:
    start = naive.replace(minute=(naive.minute // minutes) * minutes, second=0, microsecond=0, tzinfo=UTC)
    tl = Timeline(start, n, minutes)
    local = tl.local()
    idx = np.unique(np.r_[0, n - 1, np.linspace(0, n - 1, 50).astype(int)])
    for i in idx:
        moment = tl.period_start(int(i)).astimezone(LONDON)
        assert local.minute_of_day[i] == moment.hour * 60 + moment.minute
        assert local.weekday[i] == moment.weekday()
        assert local.day_ordinal[i] == moment.date().toordinal()


def test_windows_land_on_local_time_in_summer_and_winter() -> None:
    window = LocalWindow.parse("00:30-04:30")
    summer = local_day(date(2025, 7, 1))
    winter = local_day(date(2025, 1, 15))
    s_starts = [summer.period_start(int(i)) for i in np.flatnonzero(window.mask(summer))]
    w_starts = [winter.period_start(int(i)) for i in np.flatnonzero(window.mask(winter))]
    assert len(s_starts) == len(w_starts) == 8
    assert s_starts[0] == datetime(2025, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 BST
    assert w_starts[0] == datetime(2025, 1, 15, 0, 30, tzinfo=UTC)  # 00:30 GMT


def test_window_on_clock_change_days_counts_local_clock_periods() -> None:
    window = LocalWindow.parse("00:00-07:00")
    # October: 01:00–02:00 happens twice, both inside the window → 16 half-hours
    assert window.mask(local_day(date(2025, 10, 26))).sum() == 16
    # March: 01:00–02:00 does not exist → 12 half-hours
    assert window.mask(local_day(date(2025, 3, 30))).sum() == 12
    evening = LocalWindow.parse("16:00-19:00")
    for day in (date(2025, 3, 30), date(2025, 10, 26)):
        tl = local_day(day)
        starts = [tl.period_start(int(i)).astimezone(LONDON) for i in np.flatnonzero(evening.mask(tl))]
        assert [s.hour for s in starts[::2]] == [16, 17, 18]


def test_window_crossing_midnight_belongs_to_its_opening_weekday() -> None:
    friday_night = LocalWindow.parse("23:30-05:30", "fri")
    tl = local_days(date(2025, 6, 5), date(2025, 6, 9))  # Thu 5 → Sun 8 June
    starts = [tl.period_start(int(i)).astimezone(LONDON) for i in np.flatnonzero(friday_night.mask(tl))]
    assert len(starts) == 12
    assert starts[0] == datetime(2025, 6, 6, 23, 30, tzinfo=LONDON)
    assert starts[-1] == datetime(2025, 6, 7, 5, 0, tzinfo=LONDON)
    assert LocalWindow.parse("23:30-05:30").minutes_per_day == 360
    assert str(friday_night) == "23:30–05:30 fri"


def test_weekday_ranges_parse() -> None:
    assert LocalWindow.parse("00:00-01:00", "mon-fri").weekdays == frozenset(range(5))
    assert LocalWindow.parse("00:00-01:00", "sat,sun").weekdays == frozenset({5, 6})
    assert LocalWindow.parse("00:00-01:00", "fri-mon").weekdays == frozenset({4, 5, 6, 0})


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Timeline(datetime(2025, 1, 1), 48), "naive datetime"),
        (lambda: Timeline(datetime(2025, 1, 1, 0, 10, tzinfo=UTC), 48), "not on a 30-minute boundary"),
        (lambda: Timeline(datetime(2025, 1, 1, tzinfo=UTC), 48, 7), "must divide a day"),
        (lambda: LocalWindow.parse("25:00-05:00"), "outside 00:00–24:00"),
        (lambda: LocalWindow.parse("midnight"), "is not 'HH:MM-HH:MM'"),
        (lambda: LocalWindow.parse("00:00-01:00", "funday"), "weekdays"),
        (lambda: local_days(date(2025, 1, 2), date(2025, 1, 1)), "empty day range"),
    ],
)
def test_bad_input_says_what_is_wrong(call: object, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        call()  # type: ignore[operator]


def test_index_of_and_between() -> None:
    tl = Timeline.between(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC))
    assert len(tl) == 48
    assert tl.index_of(datetime(2025, 1, 1, 10, 45, tzinfo=UTC)) == 21
    with pytest.raises(PeriodError):
        tl.index_of(datetime(2025, 1, 3, tzinfo=UTC))
    assert tl.starts()[1] == np.datetime64("2025-01-01T00:30")
