"""Half-hourly smart-meter consumption: Octopus consumption JSON and CSV in, a checked series out.

Inputs (see ``docs/data-formats.md``):

* Octopus consumption JSON, ``{"count", "next", "previous", "results": [{"consumption", "interval_start",
  "interval_end"}]}``, one or several pages, newest or oldest first, timestamps with local offsets (``Z``,
  ``+01:00``, ``+0100``) that change inside one response across a clock change;
* CSV with the header ``interval_start,kwh`` (ISO 8601 with an offset or ``Z``), or the Octopus dashboard
  export ``Consumption (kWh), Start, End``.

A :class:`MeterSeries` is aligned to a UTC :class:`~evflex.periods.Timeline`, with NaN where a half-hour is
missing, and a :class:`DataReport` of what was found. Missing data is never filled here: :func:`fill_gaps`
does that on request, by stated rules, and says what it filled where.

Choices: identical duplicates (same ``interval_start``, same kWh) are dropped and counted; conflicting
duplicates are an error, because no rule can tell which reading is right. Negative readings, readings above
50 kWh in a half-hour, half-hours not on the :00/:30 grid and intervals other than 30 minutes are errors.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.periods import LONDON, Timeline, local_days

__all__ = [
    "FILL_RULES",
    "MAX_KWH_PER_HALF_HOUR",
    "DataReport",
    "FilledGaps",
    "GapRange",
    "MeterDataError",
    "MeterSeries",
    "consumption_pages",
    "fill_gaps",
    "meter_series",
    "read_consumption_csv",
    "read_consumption_json",
    "read_meter_data",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
JsonPage = Mapping[str, Any] | str | Path

MAX_KWH_PER_HALF_HOUR = 50.0
"""Above this a half-hourly reading is taken as corrupt (100 kW sustained is beyond any home supply)."""
PERIOD_MINUTES = 30
FILL_RULES = ("same-period-previous-week", "linear", "zero")
_FIRST_RANGES = 5
_CSV_LAYOUTS: tuple[tuple[str, str, str | None], ...] = (
    ("interval_start", "kwh", "interval_end"),
    ("start", "consumption (kwh)", "end"),
)


def _half_hours(n: int) -> str:
    return f"{n} half-hour" if n == 1 else f"{n} half-hours"


class MeterDataError(ValueError):
    """Meter data cannot be read or fails a check; the message names the file, the row and the fix."""


@dataclass(frozen=True, slots=True)
class GapRange:
    """A run of missing half-hours ``[start, end)`` (UTC)."""

    start: datetime
    end: datetime

    @property
    def n_periods(self) -> int:
        return int((self.end - self.start) / timedelta(minutes=PERIOD_MINUTES))

    def __str__(self) -> str:
        a, b = self.start.astimezone(LONDON), self.end.astimezone(LONDON)
        return (
            f"{a:%Y-%m-%d %H:%M} {a.tzname()} → {b:%Y-%m-%d %H:%M} {b.tzname()} local "
            f"({self.start:%Y-%m-%dT%H:%M}Z → {self.end:%Y-%m-%dT%H:%M}Z, {_half_hours(self.n_periods)})"
        )


@dataclass(frozen=True, slots=True)
class DataReport:
    """What a consumption file held, against the timeline of the series built from it."""

    source: str
    total_periods: int
    missing_periods: int
    missing_ranges: tuple[GapRange, ...]
    """The first few runs of missing half-hours."""
    n_missing_ranges: int
    duplicates_dropped: int
    """Records repeating an earlier ``interval_start`` with the same kWh."""
    clock_change_days: tuple[tuple[date, int], ...]
    """Local days in range with 46 (March) or 50 (October) half-hours."""
    outside_timeline: int = 0
    """Records outside a caller-supplied timeline (ignored)."""

    @property
    def present_periods(self) -> int:
        return self.total_periods - self.missing_periods

    def lines(self) -> tuple[str, ...]:
        out = [f"{self.source}: {self.present_periods} of {self.total_periods} half-hours present"]
        if self.missing_periods:
            shown = "; ".join(str(r) for r in self.missing_ranges)
            more = (
                f" (+{self.n_missing_ranges - len(self.missing_ranges)} more runs)"
                if self.n_missing_ranges > len(self.missing_ranges)
                else ""
            )
            out.append(f"missing {_half_hours(self.missing_periods)} in {self.n_missing_ranges} run(s): {shown}{more}")
        if self.duplicates_dropped:
            out.append(f"dropped {self.duplicates_dropped} identical duplicate records")
        for day, n in self.clock_change_days:
            out.append(f"clock change on {day.isoformat()}: {n} half-hours that day")
        if self.outside_timeline:
            out.append(f"ignored {self.outside_timeline} records outside the requested timeline")
        return tuple(out)


@dataclass(frozen=True, slots=True, eq=False)
class MeterSeries:
    """kWh per half-hour of ``timeline`` (NaN where the meter reported nothing)."""

    timeline: Timeline
    kwh: FloatArray
    report: DataReport

    @property
    def complete(self) -> bool:
        return self.report.missing_periods == 0


# -- the core: epoch minutes and values → checked series -------------------------------------------------
def meter_series(
    start_minutes: IntArray,
    kwh: FloatArray,
    where: Callable[[int], str],
    *,
    source: str,
    timeline: Timeline | None = None,
) -> MeterSeries:
    """Check records (UTC starts as minutes since the epoch, kWh) and lay them on a timeline.

    ``where(i)`` describes record ``i`` for error messages. Without ``timeline`` the series runs from the
    first to the last half-hour present.
    """
    starts = np.asarray(start_minutes, dtype=np.int64)
    values = np.asarray(kwh, dtype=np.float64)
    if starts.size == 0:
        raise MeterDataError(f"{source} holds no consumption records; check the date range and the meter (MPAN/serial)")
    if timeline is not None and timeline.period_minutes != PERIOD_MINUTES:
        raise MeterDataError(f"meter data is half-hourly; give a {PERIOD_MINUTES}-minute timeline")
    checks: tuple[tuple[BoolArray, str], ...] = (
        (starts % PERIOD_MINUTES != 0, "does not start on a half-hour (:00 or :30); fix or delete the row"),
        (~np.isfinite(values), "has no kWh value; delete the row to mark the half-hour missing"),
        (values < 0, "is negative; consumption is kWh ≥ 0 (export belongs in a separate file)"),
        (
            values > MAX_KWH_PER_HALF_HOUR,
            f"is above {MAX_KWH_PER_HALF_HOUR:g} kWh in a half-hour; fix the row",
        ),
    )
    for bad, problem in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise MeterDataError(f"{where(i)} ({values[i]:g} kWh at {_utc(starts[i])}) {problem}")

    order = np.argsort(starts, kind="stable")
    s, v = starts[order], values[order]
    repeat = np.flatnonzero(s[1:] == s[:-1]) + 1  # a repeat of the record just before it (sorted order)
    conflict = repeat[v[repeat] != v[repeat - 1]]
    if conflict.size:
        j = int(conflict[0])
        a, b = int(order[j - 1]), int(order[j])
        raise MeterDataError(
            f"{where(a)} and {where(b)} both give {_utc(s[j])} with different readings "
            f"({v[j - 1]:g} vs {v[j]:g} kWh); keep the right one and delete the other"
        )
    keep = np.ones(s.size, dtype=np.bool_)
    keep[repeat] = False
    s, v = s[keep], v[keep]

    if timeline is None:
        first = datetime.fromtimestamp(int(s[0]) * 60, tz=UTC)
        timeline = Timeline(first, int((s[-1] - s[0]) // PERIOD_MINUTES) + 1)
    origin = int(timeline.start.timestamp()) // 60
    index = (s - origin) // PERIOD_MINUTES
    inside = (index >= 0) & (index < timeline.n_periods)
    series = np.full(timeline.n_periods, np.nan)
    series[index[inside]] = v[inside]
    series.setflags(write=False)

    missing = np.isnan(series)
    ranges = _runs(missing, timeline)
    report = DataReport(
        source=source,
        total_periods=timeline.n_periods,
        missing_periods=int(missing.sum()),
        missing_ranges=ranges[:_FIRST_RANGES],
        n_missing_ranges=len(ranges),
        duplicates_dropped=int(repeat.size),
        clock_change_days=_clock_change_days(timeline),
        outside_timeline=int((~inside).sum()),
    )
    return MeterSeries(timeline, series, report)


def _utc(minutes: np.int64 | int) -> str:
    return f"{datetime.fromtimestamp(int(minutes) * 60, tz=UTC):%Y-%m-%dT%H:%M}Z"


def _runs(mask: BoolArray, timeline: Timeline) -> tuple[GapRange, ...]:
    edges = np.flatnonzero(np.diff(mask.astype(np.int8), prepend=0, append=0))
    step = timedelta(minutes=timeline.period_minutes)
    return tuple(
        GapRange(timeline.start + step * int(a), timeline.start + step * int(b))
        for a, b in zip(edges[::2], edges[1::2], strict=True)
    )


def _clock_change_days(timeline: Timeline) -> tuple[tuple[date, int], ...]:
    """Local days touched by ``timeline`` that have 46 or 50 half-hours (whole days, not just the part in range)."""
    if timeline.n_periods == 0:
        return ()
    ordinals = timeline.local().day_ordinal
    days = local_days(date.fromordinal(int(ordinals[0])), date.fromordinal(int(ordinals[-1]) + 1))
    local = days.local()
    offsets = local.utc_offset_minutes
    changes = np.flatnonzero(np.diff(offsets)) + 1
    per_day = 1440 // days.period_minutes
    return tuple(
        (date.fromordinal(int(local.day_ordinal[i])), per_day + int(offsets[i - 1] - offsets[i]) // days.period_minutes)
        for i in changes
    )


# -- timestamps and numbers ------------------------------------------------------------------------------
def _minute(value: Any, where: str) -> int:
    """Minutes since the epoch (UTC) of an ISO 8601 timestamp with an offset."""
    if not isinstance(value, str) or not value.strip():
        raise MeterDataError(f"{where}: timestamp {value!r} is missing; give ISO 8601 like '2025-10-26T01:00:00Z'")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise MeterDataError(
            f"{where}: cannot read timestamp {value!r}; use ISO 8601 with an offset, e.g. '2025-06-01T00:30:00+01:00'"
        ) from None
    if moment.tzinfo is None:
        raise MeterDataError(
            f"{where}: timestamp {value!r} has no UTC offset, so the clock change makes it ambiguous; "
            "add 'Z' or '+01:00'"
        )
    seconds = moment.timestamp()
    if seconds % 60:
        raise MeterDataError(f"{where}: timestamp {value!r} is not on a half-hour (:00 or :30)")
    return int(seconds) // 60


def _fast_minutes(values: Sequence[Any]) -> IntArray | None:
    """Vectorised :func:`_minute` for the forms the API and dashboard write (``…:SSZ``, ``…:SS+01:00``,
    ``…:SS+0100``); ``None`` when any value has another form, so the per-record parser reports it."""
    if not values or not all(type(v) is str for v in values):
        return None
    text = np.strings.strip(np.array(values, dtype=np.str_))
    lengths = np.strings.str_len(text)
    if not np.isin(lengths, (20, 24, 25)).all():
        return None
    n, width = text.size, text.dtype.itemsize // 4
    codes = np.zeros((n, max(width, 25)), dtype=np.int64)  # strip() may leave the dtype wider
    codes[:, :width] = np.ascontiguousarray(text).view(np.uint32).reshape(n, width)
    digit = codes - ord("0")
    is_digit = (digit >= 0) & (digit <= 9)
    zulu = (lengths == 20) & (codes[:, 19] == ord("Z"))
    sign = np.where(codes[:, 19] == ord("+"), 1, np.where(codes[:, 19] == ord("-"), -1, 0))
    colon = (lengths == 25) & (codes[:, 22] == ord(":"))
    minute_at = np.where(colon, 23, 22)
    rows = np.arange(n)
    offset_digits = is_digit[:, 20] & is_digit[:, 21] & is_digit[rows, minute_at] & is_digit[rows, minute_at + 1]
    numeric = (sign != 0) & (colon | (lengths == 24)) & offset_digits
    if not (zulu | numeric).all() or not np.isin(codes[:, 10], (ord("T"), ord(" "))).all():
        return None
    try:
        local = text.astype("<U19").astype("datetime64[s]")
    except ValueError:
        return None
    if np.isnat(local).any():
        return None
    offset_hours = digit[:, 20] * 10 + digit[:, 21]
    offset_minutes = digit[rows, minute_at] * 10 + digit[rows, minute_at + 1]
    offset = np.where(zulu, 0, sign * (offset_hours * 60 + offset_minutes))
    seconds = local.astype(np.int64) - offset * 60
    if (seconds % 60).any():
        return None
    minutes: IntArray = seconds // 60
    return minutes


def _minutes(values: Sequence[Any], where: Callable[[int], str]) -> IntArray:
    fast = _fast_minutes(values)
    if fast is not None:
        return fast
    return np.array([_minute(v, where(i)) for i, v in enumerate(values)], dtype=np.int64)


def _kwh(value: Any, where: str) -> float:
    number: Any = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise MeterDataError(f"{where}: consumption {value!r} is not a number of kWh; fix or delete the record")
    return float(number)


def _kwhs(values: Sequence[Any] | FloatArray, where: Callable[[int], str]) -> FloatArray:
    if isinstance(values, np.ndarray):
        return values.astype(np.float64)
    if all(type(v) is float or type(v) is int for v in values):
        return np.array(values, dtype=np.float64)
    return np.array([_kwh(v, where(i)) for i, v in enumerate(values)], dtype=np.float64)


def _records(
    starts: Sequence[Any],
    ends: Sequence[Any],
    kwh: Sequence[Any] | FloatArray,
    where: Callable[[int], str],
    *,
    source: str,
    timeline: Timeline | None,
) -> MeterSeries:
    """Parse the raw cells of all records, check interval lengths, and build the series."""
    start_minutes = _minutes(starts, where)
    with_end = [i for i, e in enumerate(ends) if e is not None and not (isinstance(e, str) and not e.strip())]
    if with_end:
        end_minutes = _minutes([ends[i] for i in with_end], lambda k: where(with_end[k]))
        length = end_minutes - start_minutes[with_end]
        wrong = np.flatnonzero(length != PERIOD_MINUTES)
        if wrong.size:
            k = int(wrong[0])
            raise MeterDataError(
                f"{where(with_end[k])}: the interval lasts {int(length[k])} minutes, not 30; "
                "export half-hourly data (no group_by)"
            )
    return meter_series(start_minutes, _kwhs(kwh, where), where, source=source, timeline=timeline)


# -- Octopus consumption JSON ----------------------------------------------------------------------------
def read_consumption_json(pages: JsonPage | Sequence[JsonPage], *, timeline: Timeline | None = None) -> MeterSeries:
    """Read one or several pages (files or parsed JSON) of the Octopus consumption endpoint."""
    items: Sequence[JsonPage] = [pages] if isinstance(pages, Mapping | str | Path) else pages
    if not items:
        raise MeterDataError("no consumption pages given; pass the saved JSON file(s)")
    starts: list[Any] = []
    ends: list[Any] = []
    values: list[Any] = []
    places: list[tuple[int, int]] = []  # (page index, record number) for messages
    expected = 0
    labels: list[str] = []
    for p, item in enumerate(items):
        data, label = _json_document(item, f"consumption page {p + 1}")
        labels.append(label)
        results = data.get("results")
        if not isinstance(results, list):
            raise MeterDataError(
                f"{label} has no 'results' list; expected the consumption endpoint's "
                '{"count", "next", "previous", "results": [...]}'
            )
        if isinstance(data.get("count"), int):
            expected = max(expected, data["count"])
        for r, record in enumerate(results, start=1):
            if not isinstance(record, Mapping) or "interval_start" not in record or "consumption" not in record:
                raise MeterDataError(f"{label} record {r}: expected an object with 'consumption' and 'interval_start'")
            starts.append(record["interval_start"])
            ends.append(record.get("interval_end"))
            values.append(record["consumption"])
            places.append((p, r))
    if expected > len(starts):
        raise MeterDataError(
            f"{', '.join(labels)} hold {len(starts)} records but the API counted {expected}: pass every page "
            "(follow 'next' until it is null)"
        )
    return _records(
        starts,
        ends,
        values,
        lambda i: f"{labels[places[i][0]]} record {places[i][1]}",
        source=", ".join(labels),
        timeline=timeline,
    )


def _json_document(item: JsonPage, default_label: str) -> tuple[Mapping[str, Any], str]:
    if not isinstance(item, str | Path):
        data, label = item, default_label
    else:
        label = str(item)
        text = _read_text(Path(item))
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MeterDataError(
                f"{label} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                "save the raw API response body"
            ) from None
    if not isinstance(data, Mapping):
        raise MeterDataError(f"{label}: expected a JSON object with 'results', found a {type(data).__name__}")
    return data, label


def _read_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MeterDataError(f"cannot read {path}: {exc.strerror or exc}; check the path") from None
    except UnicodeDecodeError:
        raise MeterDataError(f"{path} is not UTF-8 text; export it again as CSV (UTF-8) or JSON") from None
    if not text.strip():
        raise MeterDataError(f"{path} is empty; export the consumption data again")
    return text


def consumption_pages(
    timeline: Timeline,
    kwh: npt.ArrayLike,
    *,
    newest_first: bool = True,
    compact_offsets: bool = False,
    page_size: int | None = None,
) -> list[dict[str, Any]]:
    """The consumption endpoint's JSON for a series: local offsets (``Z`` in GMT, ``+01:00`` in BST, or
    ``+0000``/``+0100`` with ``compact_offsets``), NaN half-hours left out as the API does."""
    values = np.asarray(kwh, dtype=np.float64)
    if values.shape != (timeline.n_periods,):
        raise MeterDataError(f"{values.size} values for a timeline of {timeline.n_periods} periods")
    present = np.flatnonzero(np.isfinite(values))
    if newest_first:
        present = present[::-1]
    starts = _local_stamps(timeline, compact_offsets)
    step = timedelta(minutes=timeline.period_minutes)
    ends = _local_stamps(Timeline(timeline.start + step, timeline.n_periods, timeline.period_minutes), compact_offsets)
    records = [
        {"consumption": float(values[i]), "interval_start": str(starts[i]), "interval_end": str(ends[i])}
        for i in present
    ]
    size = page_size or max(len(records), 1)
    chunks = [records[k : k + size] for k in range(0, len(records), size)] or [[]]
    return [
        {
            "count": len(records),
            "next": f"?page={n + 2}" if n + 1 < len(chunks) else None,
            "previous": f"?page={n}" if n else None,
            "results": chunk,
        }
        for n, chunk in enumerate(chunks)
    ]


def _local_stamps(timeline: Timeline, compact: bool) -> npt.NDArray[np.str_]:
    """ISO 8601 local times of the period starts, with the offset in force (``Z`` for GMT unless compact)."""
    offsets = timeline.local().utc_offset_minutes
    local = timeline.starts() + offsets.astype("timedelta64[m]")
    text = np.datetime_as_string(local.astype("datetime64[s]"), unit="s")
    distinct, which = np.unique(offsets, return_inverse=True)
    labels = []
    for offset in distinct.tolist():
        sign, hours, minutes = "+" if offset >= 0 else "-", abs(offset) // 60, abs(offset) % 60
        if offset == 0 and not compact:
            labels.append("Z")
        else:
            labels.append(f"{sign}{hours:02d}{minutes:02d}" if compact else f"{sign}{hours:02d}:{minutes:02d}")
    stamps: npt.NDArray[np.str_] = np.strings.add(text, np.array(labels, dtype=np.str_)[which])
    return stamps


# -- CSV -------------------------------------------------------------------------------------------------
def read_consumption_csv(path: str | Path, *, timeline: Timeline | None = None) -> MeterSeries:
    """Read ``interval_start,kwh[,interval_end]`` or the dashboard's ``Consumption (kWh), Start, End`` CSV."""
    path = Path(path)
    rows = csv.reader(io.StringIO(_read_text(path)))
    header = next(rows)
    names = [h.strip().lower() for h in header]
    for start_col, kwh_col, end_col in _CSV_LAYOUTS:  # noqa: B007 (the matching layout is used below)
        if start_col in names and kwh_col in names:
            break
    else:
        raise MeterDataError(
            f"{path}: columns {', '.join(h.strip() for h in header)!s} are not recognised; use the header "
            "'interval_start,kwh' (ISO 8601 times with an offset) "
            "or the Octopus export 'Consumption (kWh), Start, End'"
        )
    i_start, i_kwh = names.index(start_col), names.index(kwh_col)
    i_end = names.index(end_col) if end_col in names else None
    starts: list[str] = []
    ends: list[str | None] = []
    values: list[str] = []
    lines: list[int] = []
    for line_no, row in enumerate(rows, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        where = f"{path} line {line_no}"
        if len(row) != len(header):
            raise MeterDataError(f"{where} has {len(row)} fields, the header has {len(header)}; fix the row")
        if not row[i_kwh].strip():
            raise MeterDataError(f"{where}: kWh is empty; delete the row to mark the half-hour missing")
        starts.append(row[i_start])
        ends.append(None if i_end is None else row[i_end])
        values.append(row[i_kwh])
        lines.append(line_no)
    kwh = _csv_numbers(values)
    return _records(
        starts,
        ends,
        values if kwh is None else kwh,
        lambda i: f"{path} line {lines[i]}",
        source=str(path),
        timeline=timeline,
    )


def _csv_numbers(cells: list[str]) -> FloatArray | None:
    try:
        return np.array(cells, dtype=np.str_).astype(np.float64) if cells else None
    except ValueError:
        return None  # the per-record parser names the bad cell


def read_meter_data(paths: str | Path | Sequence[str | Path], *, timeline: Timeline | None = None) -> MeterSeries:
    """Read ``.json`` pages or one ``.csv`` file, chosen by suffix."""
    items = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    suffixes = {p.suffix.lower() for p in items}
    if suffixes == {".json"}:
        return read_consumption_json(items, timeline=timeline)
    if suffixes == {".csv"} and len(items) == 1:
        return read_consumption_csv(items[0], timeline=timeline)
    raise MeterDataError(
        f"cannot read {', '.join(map(str, items)) or 'nothing'}: "
        "give Octopus consumption .json page(s) or one .csv file"
    )


# -- filling gaps (explicit, on request) -----------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class FilledGaps:
    """A copy of the series with gaps filled, and where and how each was filled."""

    kwh: FloatArray
    filled_by: tuple[str | None, ...]
    """Per period: the rule that filled it, or ``None`` where the value is original or still missing."""
    description: tuple[str, ...]
    still_missing: int


def fill_gaps(series: MeterSeries, rule: str | Sequence[str]) -> FilledGaps:
    """Fill missing half-hours by one rule or several tried in order; the caller decides whether to use it.

    * ``same-period-previous-week``: the *original* reading at the same local clock time seven local days
      earlier (across a clock change too); left missing when that is missing, before the series, or on a
      local time that did not exist then.
    * ``linear``: straight line between the nearest readings either side; before the first / after the last
      reading, that reading is repeated.
    * ``zero``: 0 kWh (right for a meter that reports nothing when nothing flows; wrong for a lost reading).
    """
    rules = [rule] if isinstance(rule, str) else list(rule)
    unknown = [r for r in rules if r not in FILL_RULES]
    if unknown or not rules:
        raise MeterDataError(f"unknown fill rule {unknown or rules}; choose from {', '.join(FILL_RULES)}")
    original = np.asarray(series.kwh, dtype=np.float64)
    out = original.copy()
    by = np.full(out.size, -1, dtype=np.int64)
    known = np.flatnonzero(np.isfinite(original))
    description: list[str] = []
    for k, name in enumerate(rules):
        gap = np.isnan(out)
        if not gap.any():
            break
        if name == "same-period-previous-week":
            candidate = _previous_week(original, series.timeline)
        elif name == "linear":
            positions = np.arange(out.size)
            candidate = np.interp(positions, known, original[known]) if known.size else np.full(out.size, np.nan)
        else:
            candidate = np.zeros(out.size)
        take = gap & np.isfinite(candidate)
        out[take] = candidate[take]
        by[take] = k
        runs = _runs(take, series.timeline)
        shown = "; ".join(str(r) for r in runs[:_FIRST_RANGES]) + (" …" if len(runs) > _FIRST_RANGES else "")
        description.append(f"{name}: filled {_half_hours(int(take.sum()))}" + (f" ({shown})" if runs else ""))
    still = int(np.isnan(out).sum())
    if still:
        description.append(f"{_half_hours(still)} still missing after {', '.join(rules)}")
    out.setflags(write=False)
    filled_by = tuple(rules[int(b)] if b >= 0 else None for b in by)
    return FilledGaps(out, filled_by, tuple(description), still)


def _previous_week(values: FloatArray, timeline: Timeline) -> FloatArray:
    """Per period, the value at the same local clock time seven local days earlier (NaN if none)."""
    n, step = timeline.n_periods, timeline.period_minutes
    week = 7 * 1440 // step
    local = timeline.local()
    i = np.arange(n)
    back = np.clip(i - week, 0, None)
    # the UTC distance to the same local time a week ago differs by the offset change in between
    j = i - week + (local.utc_offset_minutes - local.utc_offset_minutes[back]) // step
    valid = (i - week >= 0) & (j >= 0) & (j < n)
    jj = np.clip(j, 0, n - 1)
    valid &= (local.minute_of_day[jj] == local.minute_of_day) & (local.day_ordinal[jj] == local.day_ordinal - 7)
    return np.where(valid, values[jj], np.nan)
