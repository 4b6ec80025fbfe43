"""Usage-rule compliance for the V2G add-on: plug-in hours and monthly EV charging, per customer.

The tariff page asks the driver to "plug in for roughly 12 hours a day every couple of days, and charge
less than 333kWh per month", adding "We're not fussed if you occasionally miss these targets, but if it's a
regular occurrence, you'll need to hop off". :class:`ComplianceRules` makes that explicit:

* **plug-in rule** – for every complete local day ``d``, the window of the ``window_days`` local days
  ending on ``d`` must hold at least ``min_plugged_hours`` plugged-in hours. Hours are counted in periods
  (× 0.5 h), so the 46- and 50-period clock-change days count 23 and 25 hours. A calendar month misses
  the plug-in rule when more than ``max_failed_window_share`` of the windows ending in it fail ("roughly");
* **charge rule** – EV charging (charger-metered kWh) in a local calendar month must stay below
  ``monthly_charge_limit_kwh``: a month at or above it is a miss;
* **occasional vs regular** – a month misses when either rule misses; ``regular_misses`` or more missed
  months among the last ``lookback_months`` months of the history is regular (SHOULD_LEAVE), fewer is
  occasional (WARNING), none is OK.

Everything is array algebra: a cumulative sum over the plugged-in flags gives each local day's plugged
periods, a second one over days gives the rolling windows, and ``np.add.reduceat`` groups days and periods
into months. :func:`check_compliance_batch` does many customers at once (2-D arrays, one row each).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.operations.errors import OperationsError
from evflex.periods import LONDON, Timeline, ensure_utc

__all__ = [
    "BatchCompliance",
    "ComplianceReport",
    "ComplianceRules",
    "MonthEvidence",
    "OperationsError",
    "Status",
    "WindowEvidence",
    "check_compliance",
    "check_compliance_batch",
    "classify_misses",
    "plugged_in_from_sessions",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

_CHUNK_ROWS = 1024  # customers per block: bounds the temporaries of the period-level cumulative sum


class Status(StrEnum):
    OK = "OK"
    WARNING = "WARNING"
    SHOULD_LEAVE = "SHOULD_LEAVE"

    @property
    def severity(self) -> int:
        """0, 1, 2: larger is worse (for comparisons and monotonicity checks)."""
        return _SEVERITY[self]


_SEVERITY = {Status.OK: 0, Status.WARNING: 1, Status.SHOULD_LEAVE: 2}
_BY_SEVERITY = (Status.OK, Status.WARNING, Status.SHOULD_LEAVE)


@dataclass(frozen=True, slots=True)
class ComplianceRules:
    """The usage rules, with defaults read from the tariff page's words.

    * ``window_days = 2`` and ``min_plugged_hours = 12``: "roughly 12 hours a day every couple of days" –
      12 plugged-in hours in every 2 consecutive local days; plugging in 6 h every day also meets it.
    * ``max_failed_window_share = 0.25``: "roughly" – up to a quarter of a month's windows (about a week,
      e.g. a holiday without the car) may fail before the month counts as missed.
    * ``monthly_charge_limit_kwh = 333``: "charge less than 333kWh per month" – 333 kWh itself is a miss.
    * ``regular_misses = 3`` of ``lookback_months = 6``: "occasionally" vs "a regular occurrence" –
      missing every other month or more, over the last half year, is regular.
    """

    window_days: int = 2
    min_plugged_hours: float = 12.0
    max_failed_window_share: float = 0.25
    monthly_charge_limit_kwh: float = 333.0
    regular_misses: int = 3
    lookback_months: int = 6

    def __post_init__(self) -> None:
        if isinstance(self.window_days, bool) or not isinstance(self.window_days, int) or self.window_days < 1:
            raise OperationsError(f"window_days={self.window_days!r} must be a whole number of days ≥ 1, e.g. 2")
        if not 0.0 < self.min_plugged_hours <= 24.0 * self.window_days:
            raise OperationsError(
                f"min_plugged_hours={self.min_plugged_hours} must be in (0, {24 * self.window_days}] "
                f"for a {self.window_days}-day window, e.g. 12"
            )
        if not 0.0 <= self.max_failed_window_share < 1.0:
            raise OperationsError(
                f"max_failed_window_share={self.max_failed_window_share} must be in [0, 1), e.g. 0.25"
            )
        if not self.monthly_charge_limit_kwh > 0.0:
            raise OperationsError(f"monthly_charge_limit_kwh={self.monthly_charge_limit_kwh} must be > 0, e.g. 333")
        if not 1 <= self.lookback_months <= 120:
            raise OperationsError(f"lookback_months={self.lookback_months} must be 1…120, e.g. 6")
        if not 1 <= self.regular_misses <= self.lookback_months:
            raise OperationsError(
                f"regular_misses={self.regular_misses} must be 1…lookback_months ({self.lookback_months}), e.g. 3"
            )


@dataclass(frozen=True, slots=True)
class MonthEvidence:
    """One local calendar month of one customer's history."""

    month: str
    """``YYYY-MM`` (local calendar month)."""
    complete: bool
    """The history covers the whole month (a partial month can still miss, e.g. by over-charging)."""
    charge_kwh: float | None
    """EV charging in the month (charger-metered); ``None`` when no charging history was given."""
    charge_miss: bool
    plugged_hours: float
    windows_evaluated: int
    windows_failed: int
    plug_miss: bool
    worst_window_hours: float | None
    """Fewest plugged-in hours in one of the month's windows (``None``: no complete window ends in it)."""

    @property
    def missed(self) -> bool:
        return self.charge_miss or self.plug_miss

    @property
    def failed_window_share(self) -> float | None:
        return self.windows_failed / self.windows_evaluated if self.windows_evaluated else None


@dataclass(frozen=True, slots=True)
class WindowEvidence:
    """One rolling window: the local days it spans and the plugged-in hours in it."""

    first_day: date
    last_day: date
    plugged_hours: float


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    customer_id: str
    status: Status
    summary: str
    """One plain sentence: the status, the months missed and why."""
    rules: ComplianceRules
    months: tuple[MonthEvidence, ...]
    lookback: tuple[str, ...]
    """The months the status is judged on (the last ``lookback_months`` of the history)."""
    missed_months: tuple[str, ...]
    """Months of the lookback that missed a rule."""
    worst_windows: tuple[WindowEvidence, ...]
    """The windows with the fewest plugged-in hours within the lookback, worst first."""

    def to_dict(self) -> dict[str, Any]:
        months = []
        for m in self.months:
            row = asdict(m)
            row["missed"] = m.missed
            row["failed_window_share"] = m.failed_window_share
            months.append(row)
        return {
            "customer_id": self.customer_id,
            "status": self.status.value,
            "summary": self.summary,
            "rules": asdict(self.rules),
            "lookback": list(self.lookback),
            "missed_months": list(self.missed_months),
            "months": months,
            "worst_windows": [
                {
                    "first_day": w.first_day.isoformat(),
                    "last_day": w.last_day.isoformat(),
                    "plugged_hours": w.plugged_hours,
                }
                for w in self.worst_windows
            ],
        }


# -- the calendar of a timeline: complete local days, months, windows (cached per timeline) -----------------
@dataclass(frozen=True, slots=True)
class _Calendar:
    months: tuple[str, ...]
    month_period_start: IntArray
    """First period index of each month (months are contiguous runs of periods)."""
    month_complete: BoolArray
    day_bounds: IntArray
    """Complete local days: day k covers periods ``[day_bounds[k], day_bounds[k + 1])``."""
    day_ordinals: IntArray
    window_month: IntArray
    """Month index of each window's last day; window j spans complete days ``j … j + W − 1``."""
    window_month_start: IntArray
    """First window index of each month that has windows (for ``reduceat``)."""
    window_months: IntArray
    """The month index of each entry of ``window_month_start``."""


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _month_keys(day_ordinals: IntArray) -> IntArray:
    """``year * 12 + month - 1`` for each ``date.toordinal()``, vectorised via datetime64."""
    days = (day_ordinals - _EPOCH_ORDINAL).astype("datetime64[D]")
    keys: IntArray = days.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return keys


@functools.lru_cache(maxsize=32)
def _calendar(start: datetime, n_periods: int, period_minutes: int, window_days: int) -> _Calendar:
    timeline = Timeline(start, n_periods, period_minutes)
    local = timeline.local()
    period_month = _month_keys(local.day_ordinal)
    month_start = np.flatnonzero(np.diff(period_month, prepend=period_month[0] - 1))
    keys = period_month[month_start]
    months = tuple(f"{k // 12:04d}-{k % 12 + 1:02d}" for k in keys.tolist())

    ordinals, firsts = timeline.local_days()
    bounds = np.append(firsts, n_periods)
    starts_at_midnight = local.minute_of_day[0] == 0
    end_local = timeline.end.astimezone(LONDON)
    ends_at_midnight = end_local.hour == 0 and end_local.minute == 0
    lo = 0 if starts_at_midnight else 1
    hi = ordinals.size if ends_at_midnight else ordinals.size - 1
    day_bounds = bounds[lo : hi + 1] if hi > lo else bounds[:0]
    day_ordinals = ordinals[lo:hi]

    # a month is complete when its first and last local days are complete days of the history
    first_day, last_day = (day_ordinals[0], day_ordinals[-1]) if day_ordinals.size else (1, 0)
    first_ord = np.array([date(k // 12, k % 12 + 1, 1).toordinal() for k in keys.tolist()], dtype=np.int64)
    next_ord = np.array([date((k + 1) // 12, (k + 1) % 12 + 1, 1).toordinal() for k in keys.tolist()], dtype=np.int64)
    month_complete = (first_ord >= first_day) & (next_ord - 1 <= last_day)

    n_windows = max(day_ordinals.size - window_days + 1, 0)
    end_keys = _month_keys(day_ordinals[window_days - 1 :]) if n_windows else np.zeros(0, np.int64)
    window_month = np.searchsorted(keys, end_keys).astype(np.int64)
    if n_windows:
        window_month_start = np.flatnonzero(np.diff(window_month, prepend=window_month[0] - 1))
    else:
        window_month_start = np.zeros(0, np.int64)
    for arr in (month_start, month_complete, day_bounds, day_ordinals, window_month, window_month_start):
        arr.setflags(write=False)
    return _Calendar(
        months,
        month_start,
        month_complete,
        day_bounds,
        day_ordinals,
        window_month,
        window_month_start,
        window_month[window_month_start],
    )


# -- batch evaluation --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class BatchCompliance:
    """Compliance of many customers on one timeline; arrays have one row per customer.

    ``report(i)`` builds the full per-customer evidence for row ``i``.
    """

    timeline: Timeline
    rules: ComplianceRules
    months: tuple[str, ...]
    month_complete: BoolArray
    status_code: npt.NDArray[np.int8]
    """0 OK, 1 WARNING, 2 SHOULD_LEAVE per customer (see :attr:`statuses`)."""
    monthly_charge_kwh: FloatArray
    """(customers, months); NaN when no charging history was given."""
    monthly_plugged_hours: FloatArray
    windows_evaluated: IntArray
    """(months,): windows ending in each month (the same for every customer)."""
    windows_failed: IntArray
    """(customers, months)."""
    worst_window_hours: FloatArray
    """(customers, months); NaN where no window ends in the month."""
    window_hours: npt.NDArray[np.float32]
    """(customers, windows): plugged-in hours per rolling window (window j ends on complete day j + W − 1)."""
    window_first_day: IntArray
    """(windows,): ``date.toordinal()`` of each window's first local day."""
    charge_miss: BoolArray
    plug_miss: BoolArray

    @property
    def n_customers(self) -> int:
        return int(self.status_code.size)

    @property
    def statuses(self) -> tuple[Status, ...]:
        return tuple(_BY_SEVERITY[int(c)] for c in self.status_code)

    @property
    def missed(self) -> BoolArray:
        missed: BoolArray = self.charge_miss | self.plug_miss
        return missed

    def report(self, i: int, customer_id: str = "", *, n_worst: int = 5) -> ComplianceReport:
        """The evidence for customer row ``i``: every month, the months missed and the worst windows."""
        if not 0 <= i < self.n_customers:
            raise IndexError(f"customer row {i} outside 0…{self.n_customers - 1}")
        have_charge = not np.isnan(self.monthly_charge_kwh[i]).all()
        months = tuple(
            MonthEvidence(
                month=self.months[m],
                complete=bool(self.month_complete[m]),
                charge_kwh=round(float(self.monthly_charge_kwh[i, m]), 3) if have_charge else None,
                charge_miss=bool(self.charge_miss[i, m]),
                plugged_hours=float(self.monthly_plugged_hours[i, m]),
                windows_evaluated=int(self.windows_evaluated[m]),
                windows_failed=int(self.windows_failed[i, m]),
                plug_miss=bool(self.plug_miss[i, m]),
                worst_window_hours=None
                if np.isnan(self.worst_window_hours[i, m])
                else float(self.worst_window_hours[i, m]),
            )
            for m in range(len(self.months))
        )
        look = slice(max(len(months) - self.rules.lookback_months, 0), None)
        lookback = months[look]
        missed = tuple(m.month for m in lookback if m.missed)
        status = _BY_SEVERITY[int(self.status_code[i])]
        worst = self._worst_windows(i, {m.month for m in lookback}, n_worst)
        return ComplianceReport(
            customer_id,
            status,
            _summary(status, lookback, self.rules),
            self.rules,
            months,
            tuple(m.month for m in lookback),
            missed,
            worst,
        )

    def _worst_windows(self, i: int, months: set[str], n_worst: int) -> tuple[WindowEvidence, ...]:
        if not self.window_hours.shape[1]:
            return ()
        cal = _calendar(
            self.timeline.start, self.timeline.n_periods, self.timeline.period_minutes, self.rules.window_days
        )
        in_lookback = np.array([self.months[m] in months for m in cal.window_month.tolist()], dtype=np.bool_)
        candidates = np.flatnonzero(in_lookback)
        hours = self.window_hours[i, candidates]
        order = candidates[np.lexsort((candidates, hours))][:n_worst]  # fewest hours first, then earliest
        span = self.rules.window_days - 1
        return tuple(
            WindowEvidence(
                date.fromordinal(int(self.window_first_day[j])),
                date.fromordinal(int(self.window_first_day[j]) + span),
                float(self.window_hours[i, j]),
            )
            for j in order.tolist()
        )


def _summary(status: Status, lookback: Sequence[MonthEvidence], rules: ComplianceRules) -> str:
    missed = [m for m in lookback if m.missed]
    n = len(lookback)
    if not missed:
        return f"OK: both usage rules met in each of the last {n} month{'s' if n != 1 else ''}."
    reasons = []
    for m in missed:
        why = []
        if m.charge_miss and m.charge_kwh is not None:
            why.append(f"charged {m.charge_kwh:.1f} kWh (limit: under {rules.monthly_charge_limit_kwh:g})")
        if m.plug_miss:
            why.append(
                f"{m.windows_failed} of {m.windows_evaluated} {rules.window_days}-day windows under "
                f"{rules.min_plugged_hours:g} plugged-in hours"
            )
        reasons.append(f"{m.month}: {' and '.join(why)}")
    head = f"missed the usage rules in {len(missed)} of the last {n} months ({'; '.join(reasons)})"
    if status is Status.SHOULD_LEAVE:
        return (
            f"SHOULD_LEAVE: {head} – {rules.regular_misses} or more is a regular occurrence; "
            "the customer should move off the V2G add-on."
        )
    return f"WARNING: {head} – an occasional miss, allowed; tell the customer before it becomes regular."


def classify_misses(missed: npt.ArrayLike, rules: ComplianceRules) -> npt.NDArray[np.int8]:
    """Status codes (0 OK, 1 WARNING, 2 SHOULD_LEAVE) from missed months, oldest first (last axis)."""
    recent = np.asarray(missed, dtype=np.bool_)[..., -rules.lookback_months :].sum(axis=-1)
    codes: npt.NDArray[np.int8] = np.where(recent >= rules.regular_misses, 2, np.where(recent > 0, 1, 0)).astype(
        np.int8
    )
    return codes


def _as_2d(name: str, values: npt.ArrayLike, n_periods: int) -> npt.NDArray[Any]:
    arr = np.asarray(values)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2 or arr.shape[1] != n_periods:
        raise OperationsError(
            f"{name} has shape {np.shape(values)}: give one value per period of the timeline "
            f"({n_periods}), or a (customers, {n_periods}) array"
        )
    return arr


def _flags(plugged_in: npt.ArrayLike, n_periods: int) -> BoolArray:
    arr = _as_2d("plugged_in", plugged_in, n_periods)
    if arr.dtype != np.bool_:
        if not np.issubdtype(arr.dtype, np.number) or not np.isin(arr, (0, 1)).all():
            raise OperationsError("plugged_in must be booleans (or 0/1) per period: True when the car is plugged in")
        arr = arr.astype(np.bool_)
    return arr


def _charge(ev_charge_kwh: npt.ArrayLike, n_periods: int, n_customers: int) -> FloatArray:
    arr = _as_2d("ev_charge_kwh", ev_charge_kwh, n_periods).astype(np.float64, copy=False)
    if arr.shape[0] != n_customers:
        raise OperationsError(f"ev_charge_kwh has {arr.shape[0]} customers but plugged_in has {n_customers}")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        row, col = (int(v[0]) for v in np.nonzero(bad))
        raise OperationsError(
            f"ev_charge_kwh[{row}, {col}] = {arr[row, col]}: charging must be a finite kWh ≥ 0 per period "
            "(fill gaps in the charger readings first)"
        )
    return arr


def check_compliance_batch(
    timeline: Timeline,
    plugged_in: npt.ArrayLike,
    ev_charge_kwh: npt.ArrayLike | None = None,
    rules: ComplianceRules | None = None,
) -> BatchCompliance:
    """Compliance of many customers sharing ``timeline``.

    ``plugged_in``: (customers, periods) booleans, True while the car is plugged in; ``ev_charge_kwh``:
    (customers, periods) charger-metered EV charging in kWh, or ``None`` to judge the plug-in rule only.
    1-D arrays are one customer. Only complete local days form windows; months are local calendar months.
    """
    rules = rules or ComplianceRules()
    n = timeline.n_periods
    if n == 0:
        raise OperationsError("the timeline is empty: give at least one local day of history")
    flags = _flags(plugged_in, n)
    charge = None if ev_charge_kwh is None else _charge(ev_charge_kwh, n, flags.shape[0])
    cal = _calendar(timeline.start, n, timeline.period_minutes, rules.window_days)
    hours_per_period = timeline.period_hours
    n_cust, n_months = flags.shape[0], len(cal.months)
    # integer period counts keep the comparisons exact; hours = periods × period length
    min_periods = rules.min_plugged_hours / hours_per_period

    plugged_periods = np.empty((n_cust, n_months), dtype=np.int64)
    window_counts = np.empty((n_cust, max(cal.day_ordinals.size - rules.window_days + 1, 0)), dtype=np.int32)
    for lo in range(0, n_cust, _CHUNK_ROWS):
        block = flags[lo : lo + _CHUNK_ROWS]
        csum = np.zeros((block.shape[0], n + 1), dtype=np.int32)
        np.cumsum(block, axis=1, out=csum[:, 1:])
        plugged_periods[lo : lo + block.shape[0]] = np.diff(csum[:, np.append(cal.month_period_start, n)], axis=1)
        if window_counts.shape[1]:
            at_bounds = csum[:, cal.day_bounds]  # plugged periods before each complete-day boundary
            window_counts[lo : lo + block.shape[0]] = (
                at_bounds[:, rules.window_days :] - at_bounds[:, : -rules.window_days]
            )

    window_failed = window_counts < min_periods
    windows_evaluated = np.zeros(n_months, dtype=np.int64)
    windows_failed = np.zeros((n_cust, n_months), dtype=np.int64)
    worst = np.full((n_cust, n_months), np.nan)
    if window_counts.shape[1]:
        starts = cal.window_month_start
        windows_evaluated[cal.window_months] = np.diff(np.append(starts, window_counts.shape[1]))
        windows_failed[:, cal.window_months] = np.add.reduceat(window_failed, starts, axis=1)
        worst[:, cal.window_months] = np.minimum.reduceat(window_counts, starts, axis=1) * hours_per_period
    with np.errstate(invalid="ignore", divide="ignore"):
        share = windows_failed / windows_evaluated
    plug_miss = (windows_evaluated > 0) & (share > rules.max_failed_window_share)

    if charge is None:
        monthly_kwh = np.full((n_cust, n_months), np.nan)
        charge_miss = np.zeros((n_cust, n_months), dtype=np.bool_)
    else:
        monthly_kwh = np.add.reduceat(charge, cal.month_period_start, axis=1)
        charge_miss = monthly_kwh >= rules.monthly_charge_limit_kwh

    first_days = cal.day_ordinals[: window_counts.shape[1]]
    return BatchCompliance(
        timeline=timeline,
        rules=rules,
        months=cal.months,
        month_complete=cal.month_complete,
        status_code=classify_misses(charge_miss | plug_miss, rules),
        monthly_charge_kwh=monthly_kwh,
        monthly_plugged_hours=(plugged_periods * hours_per_period).astype(np.float64),
        windows_evaluated=windows_evaluated,
        windows_failed=windows_failed,
        worst_window_hours=worst,
        window_hours=(window_counts * hours_per_period).astype(np.float32),
        window_first_day=first_days,
        charge_miss=charge_miss,
        plug_miss=plug_miss,
    )


def check_compliance(
    timeline: Timeline,
    plugged_in: npt.ArrayLike,
    ev_charge_kwh: npt.ArrayLike | None = None,
    rules: ComplianceRules | None = None,
    *,
    customer_id: str = "",
) -> ComplianceReport:
    """One customer's compliance report: status, months missed and the evidence (see the module docstring)."""
    flags = np.asarray(plugged_in)
    if flags.ndim != 1:
        raise OperationsError(f"plugged_in has shape {flags.shape}: one customer takes a 1-D array per period")
    return check_compliance_batch(timeline, flags, ev_charge_kwh, rules).report(0, customer_id)


def _to_minutes(moments: Sequence[datetime] | npt.NDArray[np.datetime64]) -> IntArray:
    if isinstance(moments, np.ndarray) and np.issubdtype(moments.dtype, np.datetime64):
        minutes: IntArray = moments.astype("datetime64[m]").astype(np.int64)
        return minutes
    return np.array([int(ensure_utc(m).timestamp() // 60) for m in moments], dtype=np.int64)


def plugged_in_from_sessions(
    timeline: Timeline,
    starts: Sequence[datetime] | npt.NDArray[np.datetime64],
    ends: Sequence[datetime] | npt.NDArray[np.datetime64],
) -> BoolArray:
    """Plugged-in flags per period from session records ``[start, end)``.

    ``starts``/``ends`` are timezone-aware datetimes or UTC ``datetime64`` values. A period counts as
    plugged in when a session covers its midpoint (sessions are rounded to the nearest period boundary);
    overlapping sessions are fine, sessions outside the timeline are clipped.
    """
    first, last = _to_minutes(starts), _to_minutes(ends)
    if first.shape != last.shape:
        raise OperationsError(f"{first.size} session starts but {last.size} ends: give one end per start")
    if (last < first).any():
        k = int(np.flatnonzero(last < first)[0])
        raise OperationsError(f"session {k} ends before it starts: check the order of its start and end")
    origin = int(timeline.start.timestamp() // 60)
    step = timeline.period_minutes
    n = timeline.n_periods
    # index of the first period whose midpoint is at or after the moment
    lo = np.clip(np.ceil((first - origin) / step - 0.5), 0, n).astype(np.int64)
    hi = np.clip(np.ceil((last - origin) / step - 0.5), 0, n).astype(np.int64)
    edges = np.zeros(n + 1, dtype=np.int64)
    np.add.at(edges, lo, 1)
    np.add.at(edges, hi, -1)
    plugged: BoolArray = np.cumsum(edges[:-1]) > 0
    return plugged
