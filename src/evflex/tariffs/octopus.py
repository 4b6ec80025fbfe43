"""Octopus Energy public REST API data → the evflex tariff model (from files or parsed JSON, no network).

Three shapes are read (see ``docs/data-formats.md``):

* product detail, ``/v1/products/{code}/``: tariffs keyed by register count, GSP region ``_A``…``_P`` and
  payment key, read by :func:`read_product`;
* paginated rate lists, ``…/electricity-tariffs/{tariff}/standard-unit-rates/`` (also ``day-unit-rates``,
  ``night-unit-rates`` and ``standing-charges``), newest first, read with :func:`read_rate_pages`;
* tariff codes such as ``E-1R-AGILE-24-10-01-C`` (:func:`parse_tariff_code`).

:func:`clean_rates` chooses one payment method (``DIRECT_DEBIT``, else ``null``; never both kinds of debit),
drops identical duplicates and resolves overlaps, reporting each; :func:`unit_rates_over` lays band or
half-hourly records onto a timeline; :func:`import_tariff` builds a :class:`~evflex.tariffs.model.Tariff` for
one region. Values are kept exc VAT; ``value_inc_vat`` only cross-checks them. Nothing here reads the clock:
the date the data was retrieved is an argument (``checked``).

Tariff codes and product details are read in :mod:`evflex.tariffs.octopus_product`; every public name of it is
re-exported here.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from evflex.periods import LONDON, LocalWindow, Timeline
from evflex.tariffs.model import (
    Band,
    DatedRate,
    Direction,
    RateHistory,
    RegionalRate,
    Source,
    Structure,
    Tariff,
)
from evflex.tariffs.octopus_product import (
    PAYMENT_PREFERENCE,
    JsonInput,
    OctopusDataError,
    Product,
    ProductFamily,
    ProductTariff,
    TariffCode,
    _document,
    _number,
    _time,
    load_json,
    parse_tariff_code,
    product_family,
    read_product,
)

__all__ = [
    "PAYMENT_PREFERENCE",
    "ImportReport",
    "ImportedTariff",
    "OctopusDataError",
    "Product",
    "ProductFamily",
    "ProductTariff",
    "RateRecord",
    "RatesOver",
    "TariffCode",
    "clean_rates",
    "import_tariff",
    "load_json",
    "parse_tariff_code",
    "product_family",
    "rate_history",
    "read_product",
    "read_rate_pages",
    "unit_rates_over",
]

FloatArray = npt.NDArray[np.float64]

_VAT_RATES = (0.05, 0.0)
_VAT_TOLERANCE_P = 0.01  # inc-VAT values are published rounded; 0.01p is beyond any rounding seen
_EXAMPLES = 3  # examples kept per kind of warning
_OPEN_START = datetime(1970, 1, 1, tzinfo=UTC)
_OPEN_END = datetime(2200, 1, 1, tzinfo=UTC)


# -- rate lists ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RateRecord:
    """One rate-list record: p/kWh (or p/day for standing charges) on ``[valid_from, valid_to)``, UTC."""

    value_exc_vat: float
    value_inc_vat: float | None
    valid_from: datetime | None
    valid_to: datetime | None
    payment_method: str | None = None
    where: str = field(default="", compare=False)
    """Where it was read (file, page, record) for messages."""

    @property
    def start(self) -> datetime:
        return self.valid_from or _OPEN_START

    @property
    def end(self) -> datetime:
        return self.valid_to or _OPEN_END


def read_rate_pages(pages: JsonInput | Sequence[JsonInput]) -> tuple[RateRecord, ...]:
    """Records of every page of one rate list (files or parsed JSON), in the order given.

    Fails when the pages hold fewer records than their ``count`` says (a page is missing).
    """
    items: Sequence[JsonInput] = [pages] if isinstance(pages, Mapping | str | Path) else pages
    if not items:
        raise OctopusDataError("no rate pages given; pass every page of the API response")
    records: list[RateRecord] = []
    expected = 0
    times: dict[str, datetime | None] = {}  # Agile: each valid_to is the next record's valid_from

    def when(value: Any, name: str, where: str) -> datetime | None:
        if not isinstance(value, str):
            return _time(value, name, where)
        if value not in times:
            times[value] = _time(value, name, where)
        return times[value]

    for p, item in enumerate(items, start=1):
        data, label = _document(item, f"rates page {p}")
        results = data.get("results")
        if not isinstance(results, list):
            raise OctopusDataError(f"{label}: no 'results' list; is this a standard-unit-rates/standing-charges page?")
        if isinstance(data.get("count"), int):
            expected = max(expected, data["count"])
        for r, raw in enumerate(results, start=1):
            where = f"{label} record {r}"
            if not isinstance(raw, Mapping):
                raise OctopusDataError(f"{where}: expected an object with value_exc_vat, valid_from, valid_to")
            valid_from = when(raw.get("valid_from"), "valid_from", where)
            valid_to = when(raw.get("valid_to"), "valid_to", where)
            if valid_from and valid_to and valid_to <= valid_from:
                raise OctopusDataError(f"{where}: valid_to {valid_to} is not after valid_from {valid_from}")
            inc = raw.get("value_inc_vat")
            method = raw.get("payment_method")
            records.append(
                RateRecord(
                    value_exc_vat=_number(raw.get("value_exc_vat"), "value_exc_vat", where),
                    value_inc_vat=None if inc is None else _number(inc, "value_inc_vat", where),
                    valid_from=valid_from,
                    valid_to=valid_to,
                    payment_method=None if method is None else str(method).upper(),
                    where=where,
                )
            )
    if len(records) < expected:
        raise OctopusDataError(
            f"the pages hold {len(records)} records but the API counted {expected}: pass every page "
            "(follow 'next' until it is null) or fetch them with the live path"
        )
    return tuple(records)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What :func:`clean_rates` and :func:`unit_rates_over` did to the records, with examples."""

    records_read: int = 0
    records_used: int = 0
    dropped_payment_method: int = 0
    """Rows of another payment method (``NON_DIRECT_DEBIT``) or ``null`` rows superseded by the wanted one."""
    duplicates: int = 0
    overlaps: int = 0
    vat_mismatches: int = 0
    uncovered_periods: int = 0
    uncovered: tuple[tuple[datetime, datetime], ...] = ()
    """UTC ``[start, end)`` ranges of the timeline that no record covers."""
    warnings: tuple[str, ...] = ()

    def combine(self, other: ImportReport) -> ImportReport:
        return ImportReport(
            self.records_read + other.records_read,
            self.records_used + other.records_used,
            self.dropped_payment_method + other.dropped_payment_method,
            self.duplicates + other.duplicates,
            self.overlaps + other.overlaps,
            self.vat_mismatches + other.vat_mismatches,
            self.uncovered_periods + other.uncovered_periods,
            self.uncovered + other.uncovered,
            self.warnings + other.warnings,
        )


def _examples(label: str, kind: str, lines: list[str]) -> list[str]:
    if not lines:
        return []
    more = f" (and {len(lines) - _EXAMPLES} more)" if len(lines) > _EXAMPLES else ""
    return [f"{label}: {len(lines)} {kind}: " + "; ".join(lines[:_EXAMPLES]) + more]


def clean_rates(
    records: Iterable[RateRecord], *, payment_method: str = "DIRECT_DEBIT", label: str = "rates"
) -> tuple[tuple[RateRecord, ...], ImportReport]:
    """Non-overlapping records, oldest first, for one payment method, with a report of what was changed.

    * ``payment_method``: rows of any other method are dropped; where a start has both a
      ``payment_method`` row and a ``null`` row, the ``null`` one is dropped (``null`` is the fallback; the
      two debits never mix).
    * same start and value: duplicates, the longer kept; same start, different values: an error.
    * overlaps: where records overlap, the later-starting record wins (it supersedes the earlier one).
    * VAT: ``value_inc_vat`` must equal ``value_exc_vat`` × 1.05 or × 1.00 within 0.01p, else a warning.
    """
    rows = list(records)
    wanted = payment_method.upper()
    preferred_starts = {r.start for r in rows if r.payment_method == wanted}
    kept = [
        r for r in rows if r.payment_method == wanted or (r.payment_method is None and r.start not in preferred_starts)
    ]
    dropped = len(rows) - len(kept)
    kept.sort(key=lambda r: (r.start, r.end))
    warnings: list[str] = []
    if dropped:
        warnings.append(f"{label}: kept {wanted} (null as fallback), dropped {dropped} other-payment row(s)")

    unique: list[RateRecord] = []
    duplicate_lines: list[str] = []
    for record in kept:  # sorted by (start, end): a same-start, same-value record is as long or longer
        prev = unique[-1] if unique else None
        if prev is not None and prev.start == record.start:
            if prev.value_exc_vat == record.value_exc_vat:
                duplicate_lines.append(f"{record.where} repeats {prev.where}")
                unique[-1] = record  # keep the longer; a later-starting successor still wins the overlap
                continue
            raise OctopusDataError(
                f"{label}: {prev.where} and {record.where} both start at {record.start.isoformat()} with "
                f"different rates ({prev.value_exc_vat} vs {record.value_exc_vat}); remove the wrong one"
            )
        unique.append(record)

    overlap_lines = [
        f"{a.where} ({a.start:%Y-%m-%d %H:%M}–{a.end:%Y-%m-%d %H:%M}Z) overlaps {b.where}; later start wins"
        for a, b in itertools.pairwise(unique)
        if b.start < a.end
    ]
    resolved = _resolve_overlaps(unique) if overlap_lines else unique

    vat_lines = [
        f"{r.where}: inc {r.value_inc_vat} vs exc {r.value_exc_vat}"
        for r in resolved
        if r.value_inc_vat is not None
        and all(abs(r.value_inc_vat - r.value_exc_vat * (1 + v)) > _VAT_TOLERANCE_P for v in _VAT_RATES)
    ]
    warnings += _examples(label, "duplicate(s) dropped", duplicate_lines)
    warnings += _examples(label, "overlap(s)", overlap_lines)
    warnings += _examples(label, "value_inc_vat not value_exc_vat at 5% or 0% VAT", vat_lines)
    report = ImportReport(
        records_read=len(rows),
        records_used=len(resolved),
        dropped_payment_method=dropped,
        duplicates=len(duplicate_lines),
        overlaps=len(overlap_lines),
        vat_mismatches=len(vat_lines),
        warnings=tuple(warnings),
    )
    return tuple(resolved), report


def _resolve_overlaps(records: list[RateRecord]) -> list[RateRecord]:
    """Split overlapping records so that at each moment the record with the latest start applies."""
    cuts = sorted({t for r in records for t in (r.start, r.end)})
    out: list[RateRecord] = []
    owners: list[int] = []
    active: list[tuple[float, int]] = []  # max-heap on start (negated timestamps)
    i = 0
    for lo, hi in itertools.pairwise(cuts):
        while i < len(records) and records[i].start <= lo:
            heapq.heappush(active, (-records[i].start.timestamp(), i))
            i += 1
        while active and records[active[0][1]].end <= lo:
            heapq.heappop(active)
        if not active:
            continue
        k = active[0][1]
        if owners and owners[-1] == k and out[-1].end == lo:
            out[-1] = _span(records[k], out[-1].start, hi)
        else:
            out.append(_span(records[k], lo, hi))
            owners.append(k)
    return out


def _span(record: RateRecord, start: datetime, end: datetime) -> RateRecord:
    return RateRecord(
        record.value_exc_vat,
        record.value_inc_vat,
        None if start == _OPEN_START else start,
        None if end == _OPEN_END else end,
        record.payment_method,
        record.where,
    )


def _minutes(moments: Iterable[datetime]) -> npt.NDArray[np.int64]:
    return np.fromiter((int(m.timestamp()) // 60 for m in moments), dtype=np.int64)


class RatesOver(NamedTuple):
    unit_rate_p_per_kwh: FloatArray
    """p/kWh exc VAT per period; NaN where no record covers the period's start."""
    uncovered: tuple[tuple[datetime, datetime], ...]
    """UTC ``[start, end)`` ranges with no record."""


def unit_rates_over(records: Sequence[RateRecord], timeline: Timeline) -> RatesOver:
    """Lay cleaned (non-overlapping) records onto ``timeline``: band records cover every period they span."""
    ordered = sorted(records, key=lambda r: r.start)
    if not ordered:
        return RatesOver(np.full(timeline.n_periods, np.nan), _ranges(np.ones(timeline.n_periods, np.bool_), timeline))
    starts, ends = _minutes(r.start for r in ordered), _minutes(r.end for r in ordered)
    if (starts[1:] < ends[:-1]).any():
        raise OctopusDataError("rate records overlap; pass them through clean_rates() first")
    values = np.array([r.value_exc_vat for r in ordered], dtype=np.float64)
    period_min = timeline.starts().astype(np.int64)  # datetime64[m] → minutes since the epoch (UTC)
    idx = np.searchsorted(starts, period_min, side="right") - 1  # last record starting at or before
    safe = np.clip(idx, 0, None)
    covered = (idx >= 0) & (period_min < ends[safe])
    rates = np.where(covered, values[safe], np.nan)
    return RatesOver(rates, _ranges(~covered, timeline))


def _ranges(mask: npt.NDArray[np.bool_], timeline: Timeline) -> tuple[tuple[datetime, datetime], ...]:
    edges = np.flatnonzero(np.diff(mask.astype(np.int8), prepend=0, append=0))
    step = timedelta(minutes=timeline.period_minutes)
    return tuple(
        (timeline.start + step * int(a), timeline.start + step * int(b))
        for a, b in zip(edges[::2], edges[1::2], strict=True)
    )


def rate_history(records: Sequence[RateRecord], source: Source) -> RateHistory:
    """A :class:`RateHistory` (exc VAT) from cleaned records, each entry citing ``source``."""
    if not records:
        raise OctopusDataError(f"no rate records for {source.ref}; check the payment method and the date range")
    return RateHistory(tuple(DatedRate(r.value_exc_vat, source, r.valid_from, r.valid_to) for r in records))


def _has_intraday_variation(records: Sequence[RateRecord]) -> bool:
    """True unless every record boundary falls on a local (Europe/London) midnight."""
    if any(r.end - r.start < timedelta(hours=23) for r in records):
        return True
    bounds = {t for r in records for t in (r.valid_from, r.valid_to) if t is not None}
    return any(t.astimezone(LONDON).time() != datetime.min.time() for t in bounds)


# -- tariff construction -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class ImportedTariff:
    """A tariff imported for one region, with per-period unit rates for dynamic (or band) products."""

    tariff: Tariff
    unit_rates_p_per_kwh: FloatArray | None
    """p/kWh exc VAT per period of ``timeline`` (NaN where uncovered); ``None`` if flat with no timeline."""
    timeline: Timeline | None
    report: ImportReport


def import_tariff(
    product: Product,
    region: str,
    unit_rates: Sequence[RateRecord],
    standing_charges: Sequence[RateRecord],
    *,
    checked: date,
    timeline: Timeline | None = None,
    payment: str | None = None,
    payment_method: str = "DIRECT_DEBIT",
    night_rates: Sequence[RateRecord] | None = None,
    night_window: LocalWindow | None = None,
) -> ImportedTariff:
    """Build the region's :class:`Tariff` from its rate lists.

    * unit rates with no intra-day variation → ``FLAT`` (one band, its :class:`RateHistory`);
    * otherwise → ``DYNAMIC`` with ``price_series`` = the tariff code, and the per-period prices over
      ``timeline`` (default: from the first record's start to the last record's end);
    * dual-register products: pass the day rates as ``unit_rates`` plus ``night_rates`` and ``night_window``
      (local clock; not in the API data) → ``TIME_OF_USE``, bands ``night`` and ``day``. Smart-meter
      Economy 7 (00:30–07:30 UTC) has no exact local window; the model has no UTC windows.

    ``checked`` is the date the files were retrieved; every rate cites ``octopus-api:{product}/{tariff}``.
    """
    registers = "dual" if night_rates is not None else "single"
    entry = product.tariff(region, registers, payment)
    letter, code = entry.code.region, entry.code.code
    source = Source(f"octopus-api:{product.code}/{code}", checked)
    units, report = clean_rates(unit_rates, payment_method=payment_method, label="unit rates")
    if not units:
        raise OctopusDataError(f"{code}: no unit-rate records for payment method {payment_method}; check the files")
    standing, sc_report = clean_rates(standing_charges, payment_method=payment_method, label="standing charges")
    report = report.combine(sc_report)
    standing_rate = RegionalRate(None, {letter: rate_history(standing, source)}) if standing else None
    if standing_rate is None and product.direction is Direction.IMPORT:
        raise OctopusDataError(f"{code}: no standing-charge records; pass the standing-charges pages too")
    common: dict[str, Any] = {
        "code": code,
        "name": product.display_name,
        "supplier": "Octopus Energy",
        "direction": product.direction,
        "standing_charge": standing_rate,
        "vat_applies": product.direction is Direction.IMPORT,
        "summary": product.full_name,
        "notes": (f"family: {product.family}", f"payment: {entry.payment}, {payment_method}"),
        "sources": (source,),
    }

    def regional(records: Sequence[RateRecord]) -> RegionalRate:
        return RegionalRate(None, {letter: rate_history(records, source)})

    if night_rates is not None:
        if night_window is None:
            raise OctopusDataError(f"{code}: a dual-register tariff needs night_window (it is not in the API data)")
        night, night_report = clean_rates(night_rates, payment_method=payment_method, label="night rates")
        report = report.combine(night_report)
        if _has_intraday_variation(units) or _has_intraday_variation(night):
            raise OctopusDataError(f"{code}: day/night rates vary within a day; import them as single-register rates")
        bands = (Band("night", regional(night), (night_window,)), Band("day", regional(units)))
        tariff = Tariff(structure=Structure.TIME_OF_USE, bands=bands, **common)
        return ImportedTariff(tariff, None, timeline, report)

    if not _has_intraday_variation(units):
        tariff = Tariff(structure=Structure.FLAT, bands=(Band("standard", regional(units)),), **common)
        if timeline is None:
            return ImportedTariff(tariff, None, None, report)
    else:
        tariff = Tariff(structure=Structure.DYNAMIC, price_series=code, **common)
        if timeline is None:
            first, last = units[0], units[-1]
            if first.valid_from is None or last.valid_to is None:
                raise OctopusDataError(f"{code}: the rates are open-ended; pass a timeline to lay them on")
            timeline = Timeline.between(first.valid_from, last.valid_to)
    rates, uncovered = unit_rates_over(units, timeline)
    if uncovered:
        n = int(np.isnan(rates).sum())
        first_gap = f"{uncovered[0][0]:%Y-%m-%d %H:%M}Z–{uncovered[0][1]:%Y-%m-%d %H:%M}Z"
        gap_report = ImportReport(
            uncovered_periods=n,
            uncovered=uncovered,
            warnings=(f"unit rates: {n} period(s) in {len(uncovered)} range(s) have no rate, first {first_gap}",),
        )
        report = report.combine(gap_report)
    return ImportedTariff(tariff, rates, timeline, report)
