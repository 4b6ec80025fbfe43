"""Consumption import: Octopus JSON and CSV, clock changes, gaps, duplicates, errors and explicit filling."""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evflex.household.meter_data import (
    MeterDataError,
    MeterSeries,
    consumption_pages,
    fill_gaps,
    read_consumption_csv,
    read_consumption_json,
    read_meter_data,
)
from evflex.periods import Timeline, local_day

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "octopus" / "consumption_clock_change.json"
NAN = math.nan
# UTC half-hours from 2025-10-25T22:00Z (23:00 BST) to 04:00Z; 02:30Z is missing
EXPECTED = [0.211, 0.198, 0.154, 0.143, 0.127, 0.119, 0.122, 0.118, 0.131, NAN, 0.109, 0.145]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def fixture_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text())
    return data


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# -- Octopus consumption JSON ---------------------------------------------------------------------------------
def test_clock_change_fixture() -> None:
    series = read_consumption_json(FIXTURE)
    assert series.timeline == Timeline(utc(2025, 10, 25, 22), 12)
    np.testing.assert_array_equal(series.kwh, EXPECTED)
    report = series.report
    assert (report.total_periods, report.missing_periods, report.present_periods) == (12, 1, 11)
    assert report.duplicates_dropped == 1
    assert report.clock_change_days == ((date(2025, 10, 26), 50),)
    (gap,) = report.missing_ranges
    assert (gap.start, gap.end, gap.n_periods) == (utc(2025, 10, 26, 2, 30), utc(2025, 10, 26, 3), 1)
    assert str(gap) == (
        "2025-10-26 02:30 GMT → 2025-10-26 03:00 GMT local (2025-10-26T02:30Z → 2025-10-26T03:00Z, 1 half-hour)"
    )
    lines = report.lines()
    assert lines[0] == f"{FIXTURE}: 11 of 12 half-hours present"
    assert "clock change on 2025-10-26: 50 half-hours that day" in lines
    assert not series.complete
    with pytest.raises(ValueError, match="read-only"):
        series.kwh[0] = 1.0


def test_pages_in_any_order_give_the_same_series() -> None:
    data = fixture_data()
    newest, oldest = copy.deepcopy(data), copy.deepcopy(data)
    oldest["results"] = oldest["results"][::-1]
    pages = [
        {**data, "next": "…?page=2", "results": data["results"][:5]},
        {**data, "previous": "…?page=1", "results": data["results"][5:]},
    ]
    for source in (newest, oldest, pages, pages[::-1]):
        series = read_consumption_json(source)
        np.testing.assert_array_equal(series.kwh, EXPECTED)
    with pytest.raises(MeterDataError, match="hold 5 records but the API counted 12: pass every page"):
        read_consumption_json(pages[0])


def test_caller_timeline_reports_absent_periods_and_ignores_outside() -> None:
    day = local_day(date(2025, 10, 26))  # 50 half-hours from 2025-10-25T23:00Z
    series = read_consumption_json(FIXTURE, timeline=day)
    assert series.timeline is day
    report = series.report
    assert (report.total_periods, report.present_periods, report.missing_periods) == (50, 9, 41)
    assert report.outside_timeline == 2  # 23:00 and 23:30 BST on the 25th
    np.testing.assert_array_equal(series.kwh[:10], EXPECTED[2:])
    assert [(r.start, r.end) for r in report.missing_ranges] == [
        (utc(2025, 10, 26, 2, 30), utc(2025, 10, 26, 3)),
        (utc(2025, 10, 26, 4), utc(2025, 10, 27)),
    ]
    assert report.n_missing_ranges == 2


def test_clock_change_day_reported_when_the_change_itself_is_outside_the_series() -> None:
    after = read_consumption_json(consumption_pages(Timeline(utc(2025, 10, 26, 2), 4), [0.1, 0.2, 0.3, 0.4]))
    assert after.report.clock_change_days == ((date(2025, 10, 26), 50),)
    before = read_consumption_json(consumption_pages(Timeline(utc(2026, 3, 29, 0), 2), [0.1, 0.2]))
    assert before.report.clock_change_days == ((date(2026, 3, 29), 46),)  # 00:00–01:00 GMT on the 29th
    plain = read_consumption_json(consumption_pages(Timeline(utc(2026, 1, 1), 96), np.full(96, 0.2)))
    assert plain.report.clock_change_days == ()


def test_spring_clock_change_day_has_46_periods() -> None:
    day = local_day(date(2026, 3, 29))
    kwh = np.linspace(0.1, 0.56, day.n_periods)
    pages = consumption_pages(day, kwh)
    starts = [r["interval_start"] for r in pages[0]["results"]]
    assert starts[-1] == "2026-03-29T00:00:00Z"
    assert starts[0] == "2026-03-29T23:30:00+01:00"
    series = read_consumption_json(pages)
    assert series.report.clock_change_days == ((date(2026, 3, 29), 46),)
    assert series.timeline == day
    assert series.complete
    np.testing.assert_array_equal(series.kwh, kwh)


def test_consumption_pages_shape() -> None:
    timeline = Timeline(utc(2025, 10, 26, 0), 3)
    pages = consumption_pages(timeline, [0.5, NAN, 0.25], newest_first=False, page_size=1)
    assert pages == [
        {
            "count": 2,
            "next": "?page=2",
            "previous": None,
            "results": [
                {
                    "consumption": 0.5,
                    "interval_start": "2025-10-26T01:00:00+01:00",
                    "interval_end": "2025-10-26T01:30:00+01:00",
                }
            ],
        },
        {
            "count": 2,
            "next": None,
            "previous": "?page=1",
            "results": [
                {"consumption": 0.25, "interval_start": "2025-10-26T01:00:00Z", "interval_end": "2025-10-26T01:30:00Z"}
            ],
        },
    ]
    compact = consumption_pages(timeline, [0.5, 0.1, 0.25], compact_offsets=True)
    assert compact[0]["results"][-1]["interval_end"] == "2025-10-26T01:30:00+0100"
    assert compact[0]["results"][0]["interval_start"] == "2025-10-26T01:00:00+0000"


# hypothesis: random series, local offsets, pages, order → parsed back exactly
CHANGES = [date(2024, 3, 31), date(2024, 10, 27), date(2025, 3, 30), date(2025, 10, 26), date(2026, 6, 1)]


@st.composite
def half_hourly(draw: st.DrawFn) -> tuple[Timeline, list[float]]:
    day = draw(st.sampled_from(CHANGES))
    shift = draw(st.integers(-150, 150))
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=30 * shift)
    n = draw(st.integers(1, 300))
    reading = st.floats(min_value=0.0, max_value=50.0, allow_nan=False)
    values = draw(st.lists(st.one_of(reading, st.just(NAN)), min_size=n, max_size=n))
    values[0] = draw(reading)  # the series' own span is first → last present
    return Timeline(start, n), values


@settings(max_examples=120, deadline=None)
@given(half_hourly(), st.booleans(), st.booleans(), st.one_of(st.none(), st.integers(1, 50)))
def test_json_round_trip(
    series: tuple[Timeline, list[float]], newest_first: bool, compact: bool, page_size: int | None
) -> None:
    timeline, values = series
    pages = consumption_pages(timeline, values, newest_first=newest_first, compact_offsets=compact, page_size=page_size)
    text = [json.loads(json.dumps(p)) for p in pages]  # through real JSON text
    back = read_consumption_json(text, timeline=timeline)
    np.testing.assert_array_equal(back.kwh, values)  # NaN where missing, bit-exact elsewhere
    assert back.report.missing_periods == sum(math.isnan(v) for v in values)
    derived = read_consumption_json(text)  # own span: from the first to the last reading
    last = max(i for i, v in enumerate(values) if not math.isnan(v))
    assert derived.timeline == Timeline(timeline.start, last + 1)


# -- CSV ------------------------------------------------------------------------------------------------------------
def test_csv_interval_start_kwh(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "use.csv",
        "interval_start,kwh\n2025-10-26T01:00:00+01:00,0.127\n2025-10-26T00:30:00Z,0.119\n\n2025-10-26T01:00:00Z,0.122\n",
    )
    series = read_consumption_csv(path)
    assert series.timeline == Timeline(utc(2025, 10, 26, 0), 3)
    np.testing.assert_array_equal(series.kwh, [0.127, 0.119, 0.122])
    assert read_meter_data(str(path)).kwh.tolist() == series.kwh.tolist()


def test_csv_octopus_dashboard_export(tmp_path: Path) -> None:
    text = (
        " Consumption (kWh), Start, End\r\n"
        " 0.093, 2025-10-26T00:30:00+01:00, 2025-10-26T01:00:00+01:00\r\n"
        " 0.101, 2025-10-26T01:00:00+01:00, 2025-10-26T01:30:00+01:00\r\n"
        " 0.110, 2025-10-26T01:30:00+01:00, 2025-10-26T01:00:00Z\r\n"
        " 0.120, 2025-10-26T01:00:00Z, 2025-10-26T01:30:00Z\r\n"
        " 0E-20, 2025-10-26T01:30:00Z, 2025-10-26T02:00:00Z\r\n"
    )
    series = read_consumption_csv(write(tmp_path, "export.csv", text, encoding="utf-8-sig"))
    assert series.timeline == Timeline(utc(2025, 10, 25, 23, 30), 5)
    np.testing.assert_array_equal(series.kwh, [0.093, 0.101, 0.110, 0.120, 0.0])
    assert series.report.clock_change_days == ((date(2025, 10, 26), 50),)


# -- errors: one sentence naming the file, the row and the fix -----------------------------------------------
CSV_HEAD = "interval_start,kwh\n"


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("empty.csv", "", "empty.csv is empty; export the consumption data again"),
        ("blank.json", " \n", "blank.json is empty"),
        ("bad.json", '{"results": [', "bad.json is not valid JSON (line 1, column 14"),
        ("list.json", "[]", "list.json: expected a JSON object with 'results', found a list"),
        ("shape.json", '{"data": []}', "shape.json has no 'results' list"),
        ("none.json", '{"count": 0, "results": []}', "none.json holds no consumption records"),
        ("header.csv", "interval_start,kwh\n", "header.csv holds no consumption records"),
        ("cols.csv", "time,value\n2025-01-01T00:00Z,1\n", "cols.csv: columns time, value are not recognised"),
        ("fields.csv", CSV_HEAD + "2025-01-01T00:00Z,0.1,9\n", "fields.csv line 2 has 3 fields, the header has 2"),
        ("stamp.csv", CSV_HEAD + "2025-01-01T00:00Z,0.1\nsoon,0.2\n", "stamp.csv line 3: cannot read timestamp 'soon'"),
        (
            "naive.csv",
            CSV_HEAD + "2025-01-01T00:00:00,0.1\n",
            "naive.csv line 2: timestamp '2025-01-01T00:00:00' has no UTC offset",
        ),
        (
            "quarter.csv",
            CSV_HEAD + "2025-01-01T00:15:00Z,0.1\n",
            "quarter.csv line 2 (0.1 kWh at 2025-01-01T00:15Z) does not start on a half-hour",
        ),
        (
            "seconds.csv",
            CSV_HEAD + "2025-01-01T00:00:10Z,0.1\n",
            "seconds.csv line 2: timestamp '2025-01-01T00:00:10Z' is not on a half-hour",
        ),
        (
            "neg.csv",
            CSV_HEAD + "2025-01-01T00:00Z,0.1\n2025-01-01T00:30Z,-0.2\n",
            "neg.csv line 3 (-0.2 kWh at 2025-01-01T00:30Z) is negative",
        ),
        (
            "big.csv",
            CSV_HEAD + "2025-01-01T00:00Z,0.1\n2025-01-01T00:30Z,51\n",
            "big.csv line 3 (51 kWh at 2025-01-01T00:30Z) is above 50 kWh in a half-hour",
        ),
        (
            "nan.csv",
            CSV_HEAD + "2025-01-01T00:00Z,nan\n",
            "nan.csv line 2 (nan kWh at 2025-01-01T00:00Z) has no kWh value",
        ),
        (
            "word.csv",
            CSV_HEAD + "2025-01-01T00:00Z,lots\n",
            "word.csv line 2: consumption 'lots' is not a number of kWh",
        ),
        (
            "cell.csv",
            CSV_HEAD + "2025-01-01T00:00Z, \n",
            "cell.csv line 2: kWh is empty; delete the row to mark the half-hour missing",
        ),
        (
            "dup.csv",
            CSV_HEAD + "2025-01-01T00:00Z,0.1\n2025-01-01T00:30Z,0.2\n2025-01-01T00:00Z,0.3\n",
            "dup.csv line 4 both give 2025-01-01T00:00Z with different readings (0.1 vs 0.3 kWh); keep the right one",
        ),
        (
            "hour.csv",
            "interval_start,interval_end,kwh\n2025-01-01T00:00Z,2025-01-01T01:00Z,0.4\n",
            "hour.csv line 2: the interval lasts 60 minutes, not 30; export half-hourly data",
        ),
        (
            "rec.json",
            '{"results": [{"consumption": 0.1}]}',
            "rec.json record 1: expected an object with 'consumption' and 'interval_start'",
        ),
        (
            "num.json",
            '{"results": [{"consumption": "x", "interval_start": "2025-01-01T00:00Z"}]}',
            "num.json record 1: consumption 'x' is not a number",
        ),
        (
            "bool.json",
            '{"results": [{"consumption": true, "interval_start": "2025-01-01T00:00Z"}]}',
            "bool.json record 1: consumption True is not a number",
        ),
        (
            "null.json",
            '{"results": [{"consumption": 0.1, "interval_start": null}]}',
            "null.json record 1: timestamp None is missing",
        ),
        (
            "big.json",
            '{"results": [{"consumption": 0.1, "interval_start": "2025-01-01T00:00Z"}, '
            '{"consumption": 75.5, "interval_start": "2025-01-01T00:30Z"}]}',
            "big.json record 2 (75.5 kWh at 2025-01-01T00:30Z) is above 50 kWh",
        ),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path: Path, name: str, text: str, says: str) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(MeterDataError) as info:
        read_meter_data(path)
    message = str(info.value)
    assert says in message, message
    assert str(tmp_path) in message
    assert "\n" not in message


def test_other_input_errors(tmp_path: Path) -> None:
    with pytest.raises(MeterDataError, match=r"cannot read .*missing\.json"):
        read_consumption_json(tmp_path / "missing.json")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("interval_start,kwh\n2025-01-01T00:00Z,0.1 \xb5\n".encode("latin-1"))
    with pytest.raises(MeterDataError, match=r"latin\.csv is not UTF-8 text"):
        read_consumption_csv(latin)
    with pytest.raises(MeterDataError, match=r"give Octopus consumption \.json page\(s\) or one \.csv file"):
        read_meter_data(tmp_path / "use.txt")
    with pytest.raises(MeterDataError, match="no consumption pages given"):
        read_consumption_json([])
    with pytest.raises(MeterDataError, match="half-hourly; give a 30-minute timeline"):
        read_consumption_json(FIXTURE, timeline=Timeline(utc(2025, 10, 26), 4, period_minutes=15))


def test_order_and_identical_duplicates_do_not_matter() -> None:
    data = fixture_data()
    rng = np.random.default_rng(7)
    for _ in range(5):
        shuffled = copy.deepcopy(data)
        extra = [shuffled["results"][i] for i in rng.integers(0, 12, 4)]
        shuffled["results"] = [shuffled["results"][i] for i in rng.permutation(12)] + extra
        shuffled["count"] = len(shuffled["results"])
        series = read_consumption_json(shuffled)
        np.testing.assert_array_equal(series.kwh, EXPECTED)
        assert series.report.duplicates_dropped == 5


# -- filling, only on request -----------------------------------------------------------------------------------
def series_of(start: datetime, kwh: list[float]) -> MeterSeries:
    return read_consumption_json(consumption_pages(Timeline(start, len(kwh)), kwh), timeline=Timeline(start, len(kwh)))


def test_fill_same_period_previous_week_across_the_clock_change() -> None:
    start = utc(2025, 10, 20)  # Monday, BST; clocks go back on Sunday the 26th
    n = 12 * 48
    kwh = (np.arange(n) % 97 / 100).tolist()
    gap = 9 * 48 + 24  # 2025-10-29T12:00Z = 12:00 GMT local
    kwh[gap] = NAN
    kwh[3] = NAN  # the first week has nothing to copy
    series = series_of(start, kwh)
    filled = fill_gaps(series, "same-period-previous-week")
    source = gap - 7 * 48 - 2  # 12:00 BST on the 22nd = 11:00Z: two half-hours further back in UTC
    assert filled.kwh[gap] == kwh[source]
    assert np.isnan(filled.kwh[3])
    assert filled.still_missing == 1
    assert filled.filled_by[gap] == "same-period-previous-week"
    assert filled.filled_by[3] is None
    assert filled.description == (
        "same-period-previous-week: filled 1 half-hour (2025-10-29 12:00 GMT → 2025-10-29 12:30 GMT local "
        "(2025-10-29T12:00Z → 2025-10-29T12:30Z, 1 half-hour))",
        "1 half-hour still missing after same-period-previous-week",
    )
    assert np.isnan(series.kwh[gap])  # the series itself is untouched


def test_fill_chain_linear_and_zero() -> None:
    start = utc(2025, 1, 6)
    series = series_of(start, [1.0, NAN, NAN, NAN, 2.0, NAN])
    linear = fill_gaps(series, ["same-period-previous-week", "linear"])
    np.testing.assert_array_equal(linear.kwh, [1.0, 1.25, 1.5, 1.75, 2.0, 2.0])
    assert linear.filled_by == (None, "linear", "linear", "linear", None, "linear")
    assert linear.description[0] == "same-period-previous-week: filled 0 half-hours"
    assert linear.description[1].startswith("linear: filled 4 half-hours (2025-01-06 00:30 GMT")
    assert linear.still_missing == 0
    zero = fill_gaps(series, "zero")
    np.testing.assert_array_equal(zero.kwh, [1.0, 0, 0, 0, 2.0, 0])
    with pytest.raises(MeterDataError, match="unknown fill rule \\['mean'\\]; choose from same-period-previous-week"):
        fill_gaps(series, ["linear", "mean"])


# -- the vectorised timestamp path agrees with the per-record parser --------------------------------------------
@st.composite
def stamp(draw: st.DrawFn) -> str:
    moment = draw(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1)))
    if draw(st.booleans()):
        moment = moment.replace(second=0, microsecond=0)
    text = moment.strftime("%Y-%m-%d") + draw(st.sampled_from("T ")) + moment.strftime("%H:%M:%S")
    offset = draw(st.sampled_from(["Z", "+01:00", "+0100", "-05:30", "+00:00", "+0000", "", "+01", "z", "+1:00"]))
    return draw(st.sampled_from(["", " "])) + text + offset


@settings(max_examples=300, deadline=None)
@given(st.lists(stamp(), min_size=1, max_size=8))
def test_fast_timestamps_match_the_per_record_parser(stamps: list[str]) -> None:
    from evflex.household.meter_data import _fast_minutes, _minute

    fast = _fast_minutes(stamps)
    try:
        slow: list[int] | None = [_minute(s, f"record {i}") for i, s in enumerate(stamps)]
    except MeterDataError:
        slow = None
    if fast is not None:  # the fast path only ever answers what the careful parser answers
        assert slow is not None
        assert fast.tolist() == slow
    canonical = all(s.strip()[19:] in ("Z", "+01:00", "+0100", "-05:30", "+00:00", "+0000") for s in stamps)
    if canonical and slow is not None:
        assert fast is not None  # and it does answer the API's own forms
