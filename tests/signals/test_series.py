from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evflex.periods import Timeline
from evflex.signals.series import (
    GapReport,
    PeriodRange,
    SignalError,
    SignalSeries,
    align,
    fill_gaps,
    flag_values,
    format_utc,
    from_points,
    mask_suspicious,
    period_ranges,
)

T0 = datetime(2023, 10, 1, tzinfo=UTC)
STEP = timedelta(minutes=30)


def series(values: list[float] | np.ndarray, start: datetime = T0) -> SignalSeries:
    values = np.asarray(values, dtype=float)
    return SignalSeries("s", "p/kWh", Timeline(start, values.size), values)


# -- construction and reports --------------------------------------------------------------------------
def test_missing_is_recomputed_from_values_and_values_are_frozen() -> None:
    raw = np.array([1.0, np.nan, np.nan, 4.0, np.nan])
    s = SignalSeries("s", "u", Timeline(T0, 5), raw, GapReport(missing=()))
    assert s.report.missing == (
        PeriodRange(T0 + STEP, T0 + 2 * STEP, 2),
        PeriodRange(T0 + 4 * STEP, T0 + 4 * STEP, 1),
    )
    assert s.report.n_missing == 3
    assert str(s.report.missing[0]) == "2 periods 2023-10-01T00:30Z→2023-10-01T01:00Z"
    assert str(s.report.missing[1]) == "1 period 2023-10-01T02:00Z"
    raw[0] = 99.0  # the series holds its own copy
    assert s.values[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        s.values[0] = 5.0


@pytest.mark.parametrize(
    ("values", "message"),
    [(np.ones(3), "3,"), (np.array([1.0, np.inf, 1.0, 1.0]), "infinite value at 2023-10-01T00:30Z")],
)
def test_bad_values_are_refused(values: np.ndarray, message: str) -> None:
    with pytest.raises(SignalError, match=message):
        SignalSeries("s", "u", Timeline(T0, 4), values)


def test_from_points_places_rows_and_reports_duplicates() -> None:
    starts = [T0, T0 + STEP, T0 + STEP, T0 + 3 * STEP, T0 + 3 * STEP, T0 + 3 * STEP]
    s = from_points("p", "u", starts, [1.0, 2.0, 2.0, 4.0, 5.0, 4.0])
    assert s.timeline == Timeline(T0, 4)
    np.testing.assert_array_equal(s.values, [1.0, 2.0, np.nan, 4.0])  # first row kept
    assert s.report.duplicates_dropped == 3
    assert s.report.conflicting_duplicates == 1  # only the 5.0 differs from the kept 4.0
    assert [str(r) for r in s.report.duplicates] == [
        "1 period 2023-10-01T00:30Z",
        "1 period 2023-10-01T01:30Z",
    ]
    assert "dropped 3 duplicate rows (1 with a different value)" in s.report.summary()


def test_from_points_on_a_given_timeline_ignores_points_outside() -> None:
    starts = np.array(["2023-09-30T23:30", "2023-10-01T00:00", "2023-10-01T01:00"], dtype="datetime64[s]")
    s = from_points("p", "u", starts, [9.0, 1.0, 3.0], timeline=Timeline(T0, 2))
    np.testing.assert_array_equal(s.values, [1.0, np.nan])
    assert s.report.duplicates_dropped == 0


@pytest.mark.parametrize(
    ("starts", "message"),
    [
        (
            np.array(["2023-10-01T00:10"], dtype="datetime64[m]"),
            "not on the 30-minute grid.*2023-10-01T00:10Z",
        ),
        (np.array(["2023-10-01T00:00:05"], dtype="datetime64[s]"), "whole minutes"),
        (np.array(["NaT"], dtype="datetime64[s]"), "NaT"),
        ([datetime(2023, 10, 1)], "naive"),
    ],
)
def test_from_points_refuses_bad_times(starts: object, message: str) -> None:
    with pytest.raises(SignalError, match=message):
        from_points("p", "u", starts, [1.0])  # type: ignore[arg-type]


def test_flag_and_mask_suspicious() -> None:
    s = flag_values(series([5.0, 0.0, 0.0, np.nan, 0.0]), np.array([0, 1, 1, 1, 1], bool), "zero")
    (flag,) = s.report.suspicious
    assert flag.n_periods == 3  # the missing period is not flagged
    assert [str(r) for r in flag.ranges] == [
        "2 periods 2023-10-01T00:30Z→2023-10-01T01:00Z",
        "1 period 2023-10-01T02:00Z",
    ]
    np.testing.assert_array_equal(s.values, [5.0, 0.0, 0.0, np.nan, 0.0])  # flagging changes nothing
    masked = mask_suspicious(s)
    np.testing.assert_array_equal(masked.values, [5.0, np.nan, np.nan, np.nan, np.nan])
    assert masked.report.suspicious == ()
    assert masked.report.notes == ("set 3 suspicious values to missing: zero",)
    assert flag_values(s, np.zeros(5, bool), "none") is s


# -- filling ----------------------------------------------------------------------------------------------
def test_previous_day_then_previous_week_then_linear() -> None:
    # 9 days of a ramp v[t] = t, so each filled value shows which period it came from
    n = 9 * 48
    values = np.arange(n, dtype=float)
    values[350:410] = np.nan  # 60 periods: 48 have the previous day, 12 only the previous week
    values[20:26] = np.nan  # first day: no day or week before, so linear (exact on a ramp)
    values[0:3] = np.nan  # series start: nothing before it, stays missing
    filled, text = fill_gaps(series(values), "previous-day-same-period")
    out = filled.values
    np.testing.assert_array_equal(out[350:398], np.arange(350, 398) - 48)
    np.testing.assert_array_equal(out[398:410], np.arange(398, 410) - 336)
    np.testing.assert_allclose(out[20:26], np.arange(20, 26))
    assert np.isnan(out[:3]).all()
    np.testing.assert_array_equal(out[3:20], np.arange(3, 20))  # observed values untouched
    start = format_utc(T0 + 350 * STEP)
    assert text.splitlines() == [
        "filled 6 periods 2023-10-01T10:00Z→2023-10-01T12:30Z from linear interpolation",
        f"filled 48 periods {start}→{format_utc(T0 + 397 * STEP)} from the previous day",
        f"filled 12 periods {format_utc(T0 + 398 * STEP)}→{format_utc(T0 + 409 * STEP)} "
        "from the previous week",
        "left 3 periods 2023-10-01T00:00Z→2023-10-01T01:00Z missing: no value to fill from",
    ]
    assert filled.report.n_filled == 66
    assert filled.report.n_missing == 3
    assert [f.rule for f in filled.report.filled] == ["linear", *["previous-day-same-period"] * 2]


def test_linear_fill_hand_calculation() -> None:
    filled, text = fill_gaps(series([1.0, np.nan, np.nan, 4.0, np.nan]), "linear")
    np.testing.assert_array_equal(filled.values, [1.0, 2.0, 3.0, 4.0, np.nan])
    assert text == (
        "filled 2 periods 2023-10-01T00:30Z→2023-10-01T01:00Z from linear interpolation\n"
        "left 1 period 2023-10-01T02:00Z missing: no value to fill from"
    )


def test_forecast_for_actual() -> None:
    actual = series([100.0, np.nan, np.nan, 130.0])
    forecast = series([90.0, 111.0, np.nan, 120.0])
    filled, text = fill_gaps(actual, "forecast-for-actual", forecast=forecast)
    np.testing.assert_array_equal(filled.values, [100.0, 111.0, np.nan, 130.0])
    assert text.splitlines() == [
        "filled 1 period 2023-10-01T00:30Z from the forecast",
        "left 1 period 2023-10-01T01:00Z missing: no value to fill from",
    ]
    with pytest.raises(SignalError, match="needs forecast="):
        fill_gaps(actual, "forecast-for-actual")
    with pytest.raises(SignalError, match="align"):
        fill_gaps(actual, "forecast-for-actual", forecast=series([1.0, 2.0, 3.0, 4.0], T0 + STEP))
    with pytest.raises(SignalError, match="only used by rule"):
        fill_gaps(actual, "linear", forecast=forecast)


def test_unknown_rule_and_nothing_to_fill() -> None:
    with pytest.raises(SignalError, match="unknown fill rule 'mean'"):
        fill_gaps(series([1.0]), "mean")  # type: ignore[arg-type]
    filled, text = fill_gaps(series([1.0, 2.0]), "linear")
    assert text == "nothing to fill"
    assert filled.report.is_clean


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.floats(-50, 300), st.just(float("nan"))), min_size=1, max_size=800),
    st.sampled_from(["previous-day-same-period", "linear"]),
)
def test_fill_keeps_observed_values_and_accounts_for_every_gap(values: list[float], rule: str) -> None:
    s = series(values)
    filled, _ = fill_gaps(s, rule)  # type: ignore[arg-type]
    observed = ~np.isnan(s.values)
    np.testing.assert_array_equal(filled.values[observed], s.values[observed])
    assert filled.report.n_filled + filled.report.n_missing == s.report.n_missing
    known = np.flatnonzero(observed)
    if known.size:  # everything strictly inside the observed span gets a value
        assert not np.isnan(filled.values[known[0] : known[-1] + 1]).any()
        lo, hi = s.values[observed].min(), s.values[observed].max()
        assert (filled.values[~np.isnan(filled.values)] >= lo).all()
        assert (filled.values[~np.isnan(filled.values)] <= hi).all()


@given(st.lists(st.booleans(), max_size=300))
def test_period_ranges_cover_exactly_the_mask(mask: list[bool]) -> None:
    tl = Timeline(T0, len(mask))
    rebuilt = np.zeros(len(mask), bool)
    for r in period_ranges(tl, mask):
        a = tl.index_of(r.first)
        assert tl.index_of(r.last) - a + 1 == r.n_periods
        rebuilt[a : a + r.n_periods] = True
    np.testing.assert_array_equal(rebuilt, np.asarray(mask, bool))


# -- alignment --------------------------------------------------------------------------------------------
def test_align_reindexes_with_nan_outside_and_clips_the_report() -> None:
    s = flag_values(series([1.0, 2.0, 3.0, 4.0]), np.array([1, 0, 0, 1], bool), "odd")
    shifted = align(s, Timeline(T0 + 2 * STEP, 4))
    np.testing.assert_array_equal(shifted.values, [3.0, 4.0, np.nan, np.nan])
    assert [str(r) for r in shifted.report.missing] == ["2 periods 2023-10-01T02:00Z→2023-10-01T02:30Z"]
    assert [str(r) for r in shifted.report.suspicious[0].ranges] == ["1 period 2023-10-01T01:30Z"]
    earlier = align(s, Timeline(T0 - STEP, 3))
    np.testing.assert_array_equal(earlier.values, [np.nan, 1.0, 2.0])
    disjoint = align(s, Timeline(T0 + 10 * STEP, 2))
    assert np.isnan(disjoint.values).all()
    assert disjoint.report.suspicious == ()
    with pytest.raises(SignalError, match="resample"):
        align(s, Timeline(T0, 4, period_minutes=15))
    two_hourly = SignalSeries("s", "u", Timeline(T0, 2, period_minutes=120), np.ones(2))
    with pytest.raises(SignalError, match="period grid"):
        align(two_hourly, Timeline(T0 + timedelta(hours=1), 2, period_minutes=120))
