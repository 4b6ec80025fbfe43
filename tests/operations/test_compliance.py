"""Compliance monitor: constructed plug-in and charging histories with hand-counted windows and months."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evflex.operations.compliance import (
    ComplianceRules,
    OperationsError,
    Status,
    check_compliance,
    check_compliance_batch,
    classify_misses,
    plugged_in_from_sessions,
)
from evflex.periods import Timeline, local_days, local_year

YEAR = local_year(2025)
LOCAL = YEAR.local()
N = YEAR.n_periods
Bool = npt.NDArray[np.bool_]


def days_of(first: date, last: date) -> Bool:
    """Periods whose local date lies in ``[first, last]``."""
    return (LOCAL.day_ordinal >= first.toordinal()) & (LOCAL.day_ordinal <= last.toordinal())


def month_of(month: int) -> Bool:
    nxt = date(2025, month + 1, 1) if month < 12 else date(2026, 1, 1)
    return days_of(date(2025, month, 1), nxt - timedelta(days=1))


ALWAYS = np.ones(N, dtype=np.bool_)
NO_CHARGE = np.zeros(N)


def test_defaults_follow_the_tariff_page() -> None:
    rules = ComplianceRules()
    assert (rules.window_days, rules.min_plugged_hours, rules.monthly_charge_limit_kwh) == (2, 12.0, 333.0)
    assert (rules.regular_misses, rules.lookback_months, rules.max_failed_window_share) == (3, 6, 0.25)


def test_always_plugged_in_is_ok_and_counts_clock_change_hours() -> None:
    report = check_compliance(YEAR, ALWAYS, NO_CHARGE, customer_id="c1")
    assert report.status is Status.OK
    assert report.missed_months == ()
    months = {m.month: m for m in report.months}
    assert len(months) == 12
    assert all(m.complete for m in report.months)
    assert months["2025-01"].plugged_hours == 744.0
    assert months["2025-03"].plugged_hours == 743.0  # 30 March has 46 half-hours
    assert months["2025-10"].plugged_hours == 745.0  # 26 October has 50
    assert months["2025-04"].windows_evaluated == 30
    assert months["2025-01"].windows_evaluated == 30  # the first window ends on 2 January
    assert months["2025-03"].worst_window_hours == 47.0
    assert months["2025-10"].worst_window_hours == 48.0
    assert report.lookback == ("2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12")


def test_clock_change_windows_are_counted_in_half_hours() -> None:
    strict = ComplianceRules(min_plugged_hours=47.5, max_failed_window_share=0.0)
    report = check_compliance(YEAR, ALWAYS, NO_CHARGE, strict)
    months = {m.month: m for m in report.months}
    # the two windows holding 30 March (29–30 and 30–31 March) have 47 h; every other window ≥ 48 h
    assert months["2025-03"].windows_failed == 2
    assert months["2025-10"].windows_failed == 0  # windows holding 26 October have 49 h
    assert sum(m.windows_failed for m in report.months) == 2
    assert [(w.first_day, w.last_day, w.plugged_hours) for w in
            check_compliance(YEAR, ALWAYS, NO_CHARGE, ComplianceRules(lookback_months=12)).worst_windows[:2]] == [
        (date(2025, 3, 29), date(2025, 3, 30), 47.0), (date(2025, 3, 30), date(2025, 3, 31), 47.0)]


def test_monthly_charge_follows_local_months_through_clock_changes() -> None:
    report = check_compliance(YEAR, ALWAYS, np.full(N, 0.1))
    kwh = {m.month: m.charge_kwh for m in report.months}
    assert kwh["2025-03"] == pytest.approx(148.6)  # 1,486 periods × 0.1 kWh
    assert kwh["2025-10"] == pytest.approx(149.0)  # 1,490 periods
    assert kwh["2025-04"] == pytest.approx(144.0)  # starts 31 March 23:00 UTC = 1 April 00:00 BST
    assert sum(v or 0.0 for v in kwh.values()) == pytest.approx(N * 0.1)


def test_twelve_hours_every_second_day_is_ok() -> None:
    daytime = (LOCAL.minute_of_day >= 8 * 60) & (LOCAL.minute_of_day < 20 * 60) & (LOCAL.day_ordinal % 2 == 0)
    report = check_compliance(YEAR, daytime, NO_CHARGE)
    assert report.status is Status.OK
    assert all(m.windows_failed == 0 for m in report.months)  # every 2-day window holds exactly one 12 h day
    assert {m.worst_window_hours for m in report.months} == {12.0}
    overnight = ((LOCAL.minute_of_day >= 19 * 60) & (LOCAL.day_ordinal % 2 == 0)) | (
        (LOCAL.minute_of_day < 7 * 60) & (LOCAL.day_ordinal % 2 == 1))
    assert check_compliance(YEAR, overnight, NO_CHARGE).status is Status.OK


def test_eleven_hours_every_second_day_misses_every_month() -> None:
    short = (LOCAL.minute_of_day >= 8 * 60) & (LOCAL.minute_of_day < 19 * 60) & (LOCAL.day_ordinal % 2 == 0)
    report = check_compliance(YEAR, short, NO_CHARGE)
    assert report.status is Status.SHOULD_LEAVE
    assert len(report.missed_months) == 6
    assert all(m.plug_miss and m.windows_failed == m.windows_evaluated for m in report.months)


def test_340_kwh_in_one_month_is_a_miss_and_a_warning() -> None:
    october = month_of(10)  # in the 6-month lookback, and 50 half-hours on the 26th
    charge = np.where(october, 340.0 / october.sum(), 0.0)
    report = check_compliance(YEAR, ALWAYS, charge)
    assert report.status is Status.WARNING
    assert report.missed_months == ("2025-10",)
    evidence = next(m for m in report.months if m.month == "2025-10")
    assert evidence.charge_miss
    assert not evidence.plug_miss
    assert evidence.charge_kwh == pytest.approx(340.0)
    assert "2025-10: charged 340.0 kWh" in report.summary
    assert report.summary.startswith("WARNING")
    under = np.where(october, 332.9 / october.sum(), 0.0)
    assert check_compliance(YEAR, ALWAYS, under).status is Status.OK
    exactly = np.zeros(N)
    exactly[np.flatnonzero(october)[:333]] = 1.0
    assert check_compliance(YEAR, ALWAYS, exactly).status is Status.WARNING  # "less than 333"


def test_a_single_bad_plug_in_month_is_a_warning() -> None:
    report = check_compliance(YEAR, ALWAYS & ~month_of(9), NO_CHARGE)
    assert report.status is Status.WARNING
    assert report.missed_months == ("2025-09",)
    assert report.worst_windows[0].plugged_hours == 0.0


@pytest.mark.parametrize(
    ("bad_months", "status"),
    [((7, 9, 11), Status.SHOULD_LEAVE), ((7, 12), Status.WARNING), ((1, 2, 3), Status.OK),
     ((1, 2, 3, 8), Status.WARNING), ((7, 8, 9, 10, 11, 12), Status.SHOULD_LEAVE)],
)
def test_regular_versus_occasional(bad_months: tuple[int, ...], status: Status) -> None:
    plugged = ALWAYS.copy()
    for month in bad_months:
        plugged &= ~month_of(month)
    report = check_compliance(YEAR, plugged, NO_CHARGE)
    assert report.status is status
    assert report.missed_months == tuple(f"2025-{m:02d}" for m in bad_months if m >= 7)


def test_mixed_rules_count_once_per_month() -> None:
    """July over the charge limit and unplugged, September unplugged, November over the limit: 3 of 6."""
    charge = np.where(month_of(7) | month_of(11), 12.0, 0.0)  # far over 333 kWh
    plugged = ALWAYS & ~month_of(7) & ~month_of(9)
    report = check_compliance(YEAR, plugged, charge)
    assert report.missed_months == ("2025-07", "2025-09", "2025-11")
    assert report.status is Status.SHOULD_LEAVE
    assert "3 of the last 6 months" in report.summary


@pytest.mark.parametrize(("gap_days", "failed", "missed"), [(8, 7, False), (9, 8, True)])
def test_failed_window_share_threshold(gap_days: int, failed: int, missed: bool) -> None:
    """A gap of k whole days fails the k − 1 windows lying inside it; April has 30 windows; 25 % = 7.5."""
    gap = days_of(date(2025, 4, 10), date(2025, 4, 9 + gap_days))
    report = check_compliance(YEAR, ALWAYS & ~gap, NO_CHARGE, ComplianceRules(lookback_months=12))
    april = next(m for m in report.months if m.month == "2025-04")
    assert (april.windows_failed, april.windows_evaluated, april.plug_miss) == (failed, 30, missed)
    assert april.worst_window_hours == 0.0
    assert report.worst_windows[0].first_day == date(2025, 4, 10)
    assert report.status is (Status.WARNING if missed else Status.OK)


def test_partial_history() -> None:
    """A history from 15 January 12:00 UTC for 40 days: the partial first and last days form no windows."""
    timeline = Timeline(datetime(2025, 1, 15, 12, tzinfo=UTC), 40 * 48)
    report = check_compliance(timeline, np.ones(timeline.n_periods, np.bool_))
    jan, feb = report.months
    assert (jan.month, jan.complete, feb.complete) == ("2025-01", False, False)
    assert jan.charge_kwh is None
    assert not jan.charge_miss
    # complete days: 16 Jan … 23 Feb (39 days) → 38 windows, ending 17 Jan … 23 Feb
    assert jan.windows_evaluated + feb.windows_evaluated == 38
    assert jan.windows_evaluated == 15
    assert jan.plugged_hours == 16 * 24 + 12


def test_batch_matches_single_customers() -> None:
    rng = np.random.default_rng(7)
    timeline = local_days(date(2025, 1, 1), date(2025, 7, 1))
    plugged = rng.random((6, timeline.n_periods)) < np.linspace(0.1, 0.6, 6)[:, None]
    charge = rng.random((6, timeline.n_periods)) * 0.02  # ≈ 14 kWh a month
    charge[2] *= 25  # ≈ 360 kWh a month
    batch = check_compliance_batch(timeline, plugged, charge)
    assert batch.n_customers == 6
    for i in range(6):
        single = check_compliance(timeline, plugged[i], charge[i], customer_id=f"c{i}")
        assert batch.report(i, f"c{i}") == single
        assert batch.statuses[i] is single.status
    assert batch.statuses[2] is Status.SHOULD_LEAVE  # ~360 kWh every month


def test_classify_misses() -> None:
    rules = ComplianceRules()
    missed = np.array([[0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0], [1, 1, 1, 0, 0, 0]], dtype=bool)
    assert classify_misses(missed, rules).tolist() == [0, 1, 2, 2]
    assert int(classify_misses([1, 1, 1, 0, 0, 0, 0, 0, 0], rules)) == 0  # the misses are older than 6 months


def test_plugged_in_from_sessions() -> None:
    day = local_days(date(2025, 1, 6), date(2025, 1, 8))
    starts = [datetime(2025, 1, 6, 18, 10, tzinfo=UTC), datetime(2025, 1, 7, 23, 44, tzinfo=UTC)]
    ends = [datetime(2025, 1, 7, 7, 40, tzinfo=UTC), datetime(2025, 1, 9, tzinfo=UTC)]
    flags = plugged_in_from_sessions(day, starts, ends)
    # 18:10 rounds to 18:00 (the 18:00 period's midpoint is covered), 07:40 to 07:30; 23:44 to 23:30
    expected = np.zeros(96, dtype=bool)
    expected[36:48 + 15] = True
    expected[47 + 48 :] = True
    assert flags.tolist() == expected.tolist()
    as_numpy = plugged_in_from_sessions(day, np.array(["2025-01-06T18:10"], dtype="datetime64[m]"),
                                        np.array(["2025-01-07T07:40"], dtype="datetime64[m]"))
    assert int(as_numpy.sum()) == 27
    with pytest.raises(OperationsError, match="ends before it starts"):
        plugged_in_from_sessions(day, ends[:1], starts[:1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"window_days": 0}, "window_days"), ({"min_plugged_hours": 49}, "min_plugged_hours"),
     ({"max_failed_window_share": 1.0}, "max_failed_window_share"), ({"regular_misses": 7}, "regular_misses"),
     ({"monthly_charge_limit_kwh": 0}, "monthly_charge_limit_kwh")],
)
def test_rules_are_validated(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(OperationsError, match=message):
        ComplianceRules(**kwargs)  # type: ignore[arg-type]


def test_bad_histories_are_refused() -> None:
    with pytest.raises(OperationsError, match="one value per period"):
        check_compliance(YEAR, ALWAYS[:-1])
    with pytest.raises(OperationsError, match="booleans"):
        check_compliance(YEAR, np.full(N, 2))
    bad = np.zeros(N)
    bad[5] = np.nan
    with pytest.raises(OperationsError, match=r"ev_charge_kwh\[0, 5\]"):
        check_compliance(YEAR, ALWAYS, bad)
    with pytest.raises(OperationsError, match="customers"):
        check_compliance_batch(YEAR, np.ones((2, N), bool), np.zeros((3, N)))
    assert check_compliance(YEAR, ALWAYS.astype(int)).status is Status.OK  # 0/1 integers are fine


def test_a_customer_year_takes_milliseconds() -> None:
    rng = np.random.default_rng(1)
    plugged, charge = rng.random(N) < 0.5, rng.random(N) * 0.02
    check_compliance(YEAR, plugged, charge)  # warm the calendar cache
    best = min(_timed(lambda: check_compliance(YEAR, plugged, charge)) for _ in range(5))
    assert best < 0.05, f"{best * 1e3:.1f} ms for one customer-year"


def _timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


# -- property: more plugged-in hours never worsen the status; less charging never worsens it -----------------
SHORT = local_days(date(2025, 2, 1), date(2025, 6, 1))  # includes the March clock change
SHORT_LOCAL = SHORT.local()


@st.composite
def histories(draw: st.DrawFn) -> tuple[Bool, Bool, npt.NDArray[np.float64]]:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_days = SHORT.n_local_days()
    # a daily routine with holidays: each day's plug-in window start/length drawn, then whole days removed
    start = rng.integers(0, 48, n_days)
    length = rng.integers(0, draw(st.integers(1, 40)), n_days)
    day = SHORT_LOCAL.day_ordinal - SHORT_LOCAL.day_ordinal[0]
    slot = SHORT_LOCAL.minute_of_day // 30
    base = (slot >= start[day]) & (slot < start[day] + length[day])
    base &= rng.random(n_days)[day] > draw(st.floats(0.0, 0.6))
    extra = rng.random(SHORT.n_periods) < draw(st.floats(0.0, 0.3))
    charge = rng.random(SHORT.n_periods) * draw(st.floats(0.0, 0.3))
    return base, base | extra, charge


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_more_plugged_in_hours_never_worsen_status(history: tuple[Bool, Bool, npt.NDArray[np.float64]]) -> None:
    base, more, charge = history
    before = check_compliance_batch(SHORT, base, charge)
    after = check_compliance_batch(SHORT, more, charge)
    assert Status(after.statuses[0]).severity <= Status(before.statuses[0]).severity
    assert (after.windows_failed <= before.windows_failed).all()
    less_charge = check_compliance_batch(SHORT, base, charge * 0.5)
    assert less_charge.statuses[0].severity <= before.statuses[0].severity
