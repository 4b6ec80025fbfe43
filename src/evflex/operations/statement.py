"""Monthly statements for V2G add-on customers, from smart-meter and charger data.

A statement bills one local calendar month (a :func:`~evflex.periods.local_days` timeline: 46/50 half-hours
on the clock-change days, every local day's standing charge) with the billing engine —
``bill(Supply(home, export, add_on), Flows.from_meters(...), BillingContext(region, VAT per period))`` — so
pricing lives in one place. What this module adds is what the engine cannot know:

* missing charger readings are estimated by a stated rule and flagged (:mod:`evflex.operations.reconcile`);
* meter and charger are reconciled, and a warning goes on the statement when they disagree beyond tolerance;
* the car's export is shown as free-miles energy (kWh and miles at the customer's kWh/mile), the EV lines say
  how many of their half-hours were estimated, and a VAT line is shown even at 0 %;
* daily energy for the chart, and ``to_dict`` (money as strings) for JSON.

Input files (``docs/statements.md``): CSV ``interval_start,import_kwh,export_kwh`` (smart meter),
``interval_start,ev_charge_kwh,ev_discharge_kwh`` (charger) and optionally ``interval_start,solar_kwh``
(generation meter); ISO 8601 times with an offset; records outside the month are ignored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.billing import Bill, BillingContext, BillLine, LineKind, Supply, bill
from evflex.billing.money import gbp_from_pence
from evflex.household.ev import WALLBOX_QUASAR_1, Charger
from evflex.household.flows import Flows
from evflex.household.meter_data import meter_series
from evflex.operations.errors import OperationsError
from evflex.operations.reconcile import (
    DEFAULT_TOLERANCE,
    ChargerEstimate,
    Reconciliation,
    Tolerance,
    derived_home_kwh,
    estimate_missing_charger,
    reconcile,
)
from evflex.periods import Timeline, local_days
from evflex.tariffs.model import check_region
from evflex.tariffs.vat import DOMESTIC_ELECTRICITY_VAT, VatSchedule, vat_fraction_over

__all__ = [
    "Account",
    "DailyEnergy",
    "EnergyTotals",
    "MonthData",
    "Statement",
    "StatementError",
    "build_statement",
    "month_timeline",
    "read_month_data",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class StatementError(OperationsError):
    """A statement's inputs are missing, malformed or do not cover the month."""


@dataclass(frozen=True, slots=True)
class Account:
    """The customer a statement is for."""

    account_id: str
    customer_name: str
    region: str
    kwh_per_mile: float = 0.306
    """The car's energy per mile (the tariff page's example: 0.306), for the free-miles figures."""
    charger: Charger = WALLBOX_QUASAR_1
    has_solar: bool = False
    """Generation (solar/battery) on site, whether or not it has its own meter."""

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "region", check_region(self.region))
        except ValueError as exc:
            raise StatementError(str(exc)) from None
        if not 0.05 <= self.kwh_per_mile <= 2.0:
            raise StatementError(f"{self.kwh_per_mile} kWh/mile is implausible; give e.g. 0.306")


def month_timeline(month: str | date) -> Timeline:
    """The half-hours of a local calendar month, ``"2025-10"`` or any date inside it."""
    if isinstance(month, str):
        try:
            year, mon = (int(part) for part in month.strip().split("-"))
            first = date(year, mon, 1)
        except ValueError:
            raise StatementError(f"month {month!r} is not YYYY-MM (e.g. 2025-10)") from None
    else:
        first = month.replace(day=1)
    end = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return local_days(first, end)


@dataclass(frozen=True, slots=True, eq=False)
class MonthData:
    """A month of half-hourly readings aligned to ``timeline`` (kWh per period).

    Meter arrays are complete. Charger arrays hold NaN where the charger reported nothing (both NaN
    together). ``solar_kwh`` is the generation meter, if any. ``smart_slots`` are the dispatch slots to
    bill for a smart-session home tariff (see :func:`evflex.operations.dispatch.billable_smart_slots`).
    """

    timeline: Timeline
    meter_import_kwh: FloatArray
    meter_export_kwh: FloatArray
    ev_charge_kwh: FloatArray
    ev_discharge_kwh: FloatArray
    solar_kwh: FloatArray | None = None
    smart_slots: BoolArray | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = self.timeline.n_periods
        for name in ("meter_import_kwh", "meter_export_kwh", "ev_charge_kwh", "ev_discharge_kwh", "solar_kwh"):
            values = getattr(self, name)
            if values is None:
                continue
            arr = np.array(values, dtype=np.float64)
            if arr.shape != (n,):
                raise StatementError(f"{name} has {arr.size} values; the month has {n} half-hours")
            if (arr < 0).any():
                raise StatementError(f"{name} is negative at period {int(np.flatnonzero(arr < 0)[0])}; kWh ≥ 0")
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        for name in ("meter_import_kwh", "meter_export_kwh", "solar_kwh"):
            arr = getattr(self, name)
            if arr is not None and np.isnan(arr).all():
                raise StatementError(f"{name}: no readings in this month; check the month and the file's dates")
            if arr is not None and np.isnan(arr).any():
                first = self.timeline.period_start(int(np.flatnonzero(np.isnan(arr))[0]))
                raise StatementError(
                    f"{name} lacks {int(np.isnan(arr).sum())} half-hours (first {first:%Y-%m-%dT%H:%MZ}): "
                    "a statement bills metered data; obtain the missing reads before issuing"
                )
        missing_c, missing_d = np.isnan(self.ev_charge_kwh), np.isnan(self.ev_discharge_kwh)
        if (missing_c != missing_d).any():
            both = missing_c | missing_d
            object.__setattr__(self, "ev_charge_kwh", _frozen(np.where(both, np.nan, self.ev_charge_kwh)))
            object.__setattr__(self, "ev_discharge_kwh", _frozen(np.where(both, np.nan, self.ev_discharge_kwh)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))


def _frozen(arr: FloatArray) -> FloatArray:
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True)
class EnergyTotals:
    """The month's energy, kWh, and where each figure came from."""

    meter_import_kwh: float
    meter_export_kwh: float
    ev_charge_kwh: float
    ev_discharge_kwh: float
    solar_kwh: float | None
    """Generation meter total (``None`` without one)."""
    home_import_kwh: float
    """Billed home use: import the home would have drawn without the car."""
    home_export_kwh: float
    """Export not from the car (solar/battery), paid at the export rate."""

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if v is None else round(v, 3)) for k, v in (
            ("meter_import_kwh", self.meter_import_kwh), ("meter_export_kwh", self.meter_export_kwh),
            ("ev_charge_kwh", self.ev_charge_kwh), ("ev_discharge_kwh", self.ev_discharge_kwh),
            ("solar_kwh", self.solar_kwh), ("home_import_kwh", self.home_import_kwh),
            ("home_export_kwh", self.home_export_kwh),
        )}


@dataclass(frozen=True, slots=True)
class DailyEnergy:
    """kWh per local day (for the chart)."""

    days: tuple[date, ...]
    home_import_kwh: tuple[float, ...]
    ev_charge_kwh: tuple[float, ...]
    ev_discharge_kwh: tuple[float, ...]
    home_export_kwh: tuple[float, ...]
    estimated_periods: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": [d.isoformat() for d in self.days],
            "home_import_kwh": [round(v, 3) for v in self.home_import_kwh],
            "ev_charge_kwh": [round(v, 3) for v in self.ev_charge_kwh],
            "ev_discharge_kwh": [round(v, 3) for v in self.ev_discharge_kwh],
            "home_export_kwh": [round(v, 3) for v in self.home_export_kwh],
            "estimated_periods": list(self.estimated_periods),
        }


@dataclass(frozen=True, slots=True, eq=False)
class Statement:
    """One customer's month: the bill, the energy behind it, and every warning and flag."""

    account: Account
    month: str
    timeline: Timeline
    supply_name: str
    tariff_codes: tuple[str, ...]
    bill: Bill
    energy: EnergyTotals
    reconciliation: Reconciliation
    estimate: ChargerEstimate
    daily: DailyEnergy
    notes: tuple[str, ...] = ()

    @property
    def lines(self) -> tuple[BillLine, ...]:
        return self.bill.lines

    @property
    def total_gbp(self) -> Decimal:
        return self.bill.total_gbp

    @property
    def n_days(self) -> int:
        return self.timeline.n_local_days()

    @property
    def free_miles(self) -> float:
        """Miles' worth of energy exported from the car (unpaid; it counts toward the free miles)."""
        return self.energy.ev_discharge_kwh / self.account.kwh_per_mile

    @property
    def charged_miles(self) -> float:
        """Miles' worth of EV charging credited (free)."""
        return self.energy.ev_charge_kwh / self.account.kwh_per_mile

    @property
    def warnings(self) -> tuple[str, ...]:
        text = self.reconciliation.warning()
        return () if text is None else (text,)

    @property
    def flags(self) -> tuple[str, ...]:
        text = self.estimate.flag()
        return () if text is None else (text,)

    def home_lines(self) -> tuple[BillLine, ...]:
        """The home's part: home energy, standing charge and solar/battery export credit."""
        kinds = (LineKind.ENERGY, LineKind.STANDING_CHARGE, LineKind.EXPORT_CREDIT)
        return tuple(line for line in self.lines if line.kind in kinds)

    def to_dict(self) -> dict[str, Any]:
        first, last = self.timeline.local_days()[0][[0, -1]]
        return {
            "account": {
                "account_id": self.account.account_id,
                "customer_name": self.account.customer_name,
                "region": self.account.region,
                "kwh_per_mile": self.account.kwh_per_mile,
                "charger": self.account.charger.name,
            },
            "month": self.month,
            "period": {
                "start": self.timeline.start.isoformat(),
                "end": self.timeline.end.isoformat(),
                "first_day": date.fromordinal(int(first)).isoformat(),
                "last_day": date.fromordinal(int(last)).isoformat(),
                "days": self.n_days,
                "half_hours": self.timeline.n_periods,
            },
            "supply": self.supply_name,
            "tariff_codes": list(self.tariff_codes),
            "lines": [line.to_dict() for line in self.lines],
            "total_gbp": str(self.total_gbp),
            "energy": self.energy.to_dict(),
            "free_miles": {
                "car_export_kwh": round(self.energy.ev_discharge_kwh, 3),
                "car_export_miles": round(self.free_miles, 1),
                "ev_charge_kwh": round(self.energy.ev_charge_kwh, 3),
                "ev_charge_miles": round(self.charged_miles, 1),
                "kwh_per_mile": self.account.kwh_per_mile,
            },
            "reconciliation": self.reconciliation.to_dict(),
            "estimated_charger_data": self.estimate.to_dict(),
            "warnings": list(self.warnings),
            "flags": list(self.flags),
            "notes": list(self.notes),
            "daily": self.daily.to_dict(),
        }


# -- building a statement --------------------------------------------------------------------------------
def build_statement(
    account: Account,
    supply: Supply,
    data: MonthData,
    *,
    tolerance: Tolerance = DEFAULT_TOLERANCE,
    vat: VatSchedule = DOMESTIC_ELECTRICITY_VAT,
) -> Statement:
    """Bill ``data`` under ``supply`` and add the reconciliation, estimates, free miles and daily energy."""
    tl = data.timeline
    imp, exp, solar = data.meter_import_kwh, data.meter_export_kwh, data.solar_kwh
    if solar is not None and not account.has_solar:
        account = replace(account, has_solar=True)
    notes: list[str] = list(data.notes)
    check = reconcile(
        tl, imp, exp, data.ev_charge_kwh, data.ev_discharge_kwh, solar,
        charger=account.charger, has_solar=account.has_solar, tolerance=tolerance,
    )
    try:
        est = estimate_missing_charger(tl, imp, exp, data.ev_charge_kwh, data.ev_discharge_kwh, solar, account.charger)
    except OperationsError as exc:
        raise StatementError(f"{exc}: the car cannot be separated from the home this month") from None
    notes += check.notes

    flows_solar = solar
    if solar is not None:  # the engine needs a balancing home load ≥ 0; raise generation where data disagree
        h = derived_home_kwh(imp, exp, est.ev_charge_kwh, est.ev_discharge_kwh, solar)
        if (h < 0).any():
            flows_solar = solar - np.minimum(h, 0.0)
            notes.append(
                f"generation raised by {float(-np.minimum(h, 0.0).sum()):.2f} kWh in {int((h < 0).sum())} "
                "half-hours so the balance holds (meter and charger disagree there)"
            )
    provenance = {"meter_import_kwh": data.sources.get("meter", "smart meter (import)"),
                  "meter_export_kwh": data.sources.get("meter", "smart meter (export)")}
    flows = Flows.from_meters(
        tl, imp, exp, est.ev_charge_kwh, est.ev_discharge_kwh, flows_solar, data.smart_slots, provenance
    )
    vat_fraction = vat_fraction_over(tl, vat)
    result = bill(supply, flows, BillingContext(account.region, vat_fraction))
    result = _presented(result, account, est, tl.n_periods, vat_fraction, supply)
    if not vat_fraction.any():
        notes.append("VAT is 0 % on domestic electricity for this month")
    notes.append("unit rates and standing charges are those in force in each half-hour (exc VAT, then VAT)")

    days, firsts = tl.local_days()
    home_imp, home_exp = flows.home_import_kwh(), flows.home_export_kwh()

    def per_day(values: npt.NDArray[Any]) -> tuple[float, ...]:
        return tuple(float(v) for v in np.add.reduceat(values, firsts))

    daily = DailyEnergy(
        tuple(date.fromordinal(int(d)) for d in days),
        per_day(home_imp),
        per_day(est.ev_charge_kwh),
        per_day(est.ev_discharge_kwh),
        per_day(home_exp),
        tuple(int(v) for v in np.add.reduceat(est.estimated.astype(np.int64), firsts)),
    )
    energy = EnergyTotals(
        float(imp.sum()), float(exp.sum()), float(est.ev_charge_kwh.sum()), float(est.ev_discharge_kwh.sum()),
        None if solar is None else float(solar.sum()), float(home_imp.sum()), float(home_exp.sum()),
    )
    label = f"{date.fromordinal(int(days[0])):%Y-%m}"
    return Statement(account, label, tl, supply.name, supply.codes, result, energy, check, est, daily, tuple(notes))


def _presented(
    result: Bill, account: Account, est: ChargerEstimate, n_periods: int, vat_fraction: FloatArray, supply: Supply
) -> Bill:
    """The engine's lines with the statement's wording: estimated half-hours, free miles, VAT at 0 %."""
    lines: list[BillLine] = []
    for line in result.lines:
        if line.kind in (LineKind.EV_CHARGING, LineKind.EV_CREDIT) and est.n_periods:
            line = replace(line, meter=f"charger; {est.n_periods} of {n_periods} half-hours estimated from the meter")
        elif line.kind is LineKind.CAR_EXPORT:
            miles = line.quantity / account.kwh_per_mile
            line = replace(
                line,
                label=f"Energy from the car: ≈ {miles:,.0f} free miles at {account.kwh_per_mile:g} kWh/mile (unpaid)",
                meter="charger" + (f"; {est.n_periods} half-hours estimated" if est.n_periods else ""),
            )
        elif line.kind is LineKind.STANDING_CHARGE and not line.meter:
            line = replace(line, meter="tariff: each local day")
        lines.append(line)
    if supply.import_tariff.vat_applies and not any(x.kind is LineKind.VAT for x in lines):
        lines.append(BillLine(LineKind.VAT, "VAT (0%)", 0.0, "", gbp_from_pence(0.0), ""))
    elif vat_fraction.size and np.ptp(vat_fraction) == 0:
        lines = [
            replace(x, label=f"VAT ({vat_fraction[0]:.0%})") if x.kind is LineKind.VAT else x for x in lines
        ]
    return Bill(result.supply, result.start, result.end, tuple(lines), result.notes)


# -- input files ----------------------------------------------------------------------------------------
_LAYOUTS = {
    "meter": ("import_kwh", "export_kwh"),
    "charger": ("ev_charge_kwh", "ev_discharge_kwh"),
    "solar": ("solar_kwh",),
}


def _read_columns(path: Path, kind: str, timeline: Timeline) -> tuple[list[FloatArray], list[str]]:
    """Columns of one CSV laid on ``timeline``: NaN where a half-hour has no row, or a row has an empty cell
    (a row with any empty reading counts as missing as a whole)."""
    wanted = ("interval_start", *_LAYOUTS[kind])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise StatementError(f"cannot read the {kind} file {path}: {exc.strerror or exc}; check the path") from None
    except UnicodeDecodeError:
        raise StatementError(f"{path} is not UTF-8 text; export it again as CSV") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if any(name not in header for name in wanted):
        raise StatementError(
            f"{path}: the {kind} file needs the header {','.join(wanted)} (found {','.join(header) or 'nothing'}); "
            "see docs/statements.md"
        )
    idx = [header.index(name) for name in wanted]
    body: list[tuple[int, list[str]]] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise StatementError(f"{path} line {n} has {len(row)} fields, the header has {len(header)}; fix the row")
        if all(row[i].strip() for i in idx[1:]):  # rows with an empty reading are gaps
            body.append((n, row))
    if not body:
        raise StatementError(f"{path} holds no readings; check the export")
    lines = [n for n, _ in body]
    minutes = np.array([_minute(row[idx[0]], f"{path} line {n}") for n, row in body], dtype=np.int64)

    def where(i: int) -> str:
        return f"{path} line {lines[i]}"

    out: list[FloatArray] = []
    notes: list[str] = []
    for k, column in enumerate(wanted[1:], start=1):
        numbers = np.array([_number(row[idx[k]], f"{path} line {n}") for n, row in body], dtype=np.float64)
        series = meter_series(minutes, numbers, where, source=f"{path} ({column})", timeline=timeline)
        out.append(np.asarray(series.kwh, dtype=np.float64))
        if k == 1:
            notes += [line for line in series.report.lines()[1:] if not line.startswith("missing")]
    return out, notes


def _minute(text: str, where: str) -> int:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise StatementError(f"{where}: cannot read time {text!r}; use ISO 8601 with an offset, e.g. "
                             "2025-10-01T00:00:00+01:00 or 2025-10-01T00:00:00Z") from None
    if moment.tzinfo is None:
        raise StatementError(f"{where}: time {text!r} has no UTC offset, so a clock change makes it ambiguous; "
                             "add 'Z' or '+01:00'")
    return int(moment.timestamp()) // 60


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise StatementError(f"{where}: {text!r} is not a number of kWh; fix or blank the cell") from None


def read_month_data(
    month: str | date,
    meter: str | Path,
    charger: str | Path,
    solar: str | Path | None = None,
) -> MonthData:
    """Read the meter, charger and optional generation CSVs for one month (see ``docs/statements.md``)."""
    timeline = month_timeline(month)
    (imp, exp), meter_notes = _read_columns(Path(meter), "meter", timeline)
    (ev_c, ev_d), _ = _read_columns(Path(charger), "charger", timeline)
    sol = None
    if solar is not None:
        (sol,), _ = _read_columns(Path(solar), "solar", timeline)
    sources = {"meter": f"smart meter ({Path(meter).name})", "charger": f"charger ({Path(charger).name})"}
    if solar is not None:
        sources["solar"] = f"generation meter ({Path(solar).name})"
    return MonthData(timeline, imp, exp, ev_c, ev_d, sol, None, sources, tuple(meter_notes))
