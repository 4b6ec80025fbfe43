"""Savings estimate for a prospective V2G add-on customer, made with the comparison engine.

Three rows, each costed by :func:`evflex.compare.runner.run_comparison` over one timeline (a year by
default) with the charging each supply implies: the customer's **current tariff**, the current tariff **plus
the V2G add-on** (on a compatible base: when the current tariff cannot carry the add-on — another supplier,
Agile, Tracker or an Intelligent tariff — the row uses Flexible Octopus + the add-on and says so), and
**Intelligent Octopus Go**. A row that cannot be taken carries the reason and the next step from the
comparison, never an invented figure: the add-on needs a car and charger that can discharge, G99 permission
and a supported smart meter; Intelligent Octopus Go needs a car or chargepoint on Octopus's integration list.
The current tariff's exit fee is added to the rows that switch away from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.billing.money import format_gbp
from evflex.compare.annual import Comparison, OptionResult
from evflex.compare.runner import ComparisonInputs, run_comparison
from evflex.household import Household
from evflex.operations.errors import OperationsError
from evflex.periods import Timeline, local_year
from evflex.tariffs.catalogue import Catalogue, load_catalogue
from evflex.tariffs.model import Tariff

__all__ = [
    "ADD_ON_CODE",
    "ADD_ON_FALLBACK_BASE",
    "SMART_CODE",
    "SavingsError",
    "SavingsEstimate",
    "SavingsOption",
    "estimate_savings",
]

FloatArray = npt.NDArray[np.float64]

ADD_ON_CODE = "POWER-PACK"
SMART_CODE = "INTELLIGENT-OCTOPUS-GO"
ADD_ON_FALLBACK_BASE = "FLEXIBLE-OCTOPUS"


class SavingsError(OperationsError):
    """The savings estimate cannot be made as asked (e.g. the current tariff cannot be costed)."""


@dataclass(frozen=True, slots=True)
class SavingsOption:
    """One row: a costed supply, or why it is not available."""

    label: str
    supply: str | None = None
    codes: tuple[str, ...] = ()
    cost_gbp: Decimal | None = None
    saving_gbp: Decimal | None = None
    """Current tariff's cost minus this row's (positive = cheaper than staying)."""
    charging: str | None = None
    indicative: bool = False
    reason: str = ""
    next_step: str = ""
    note: str = ""

    @property
    def available(self) -> bool:
        return self.cost_gbp is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "available": self.available,
            "supply": self.supply,
            "codes": list(self.codes),
            "cost_gbp": None if self.cost_gbp is None else str(self.cost_gbp),
            "saving_vs_current_gbp": None if self.saving_gbp is None else str(self.saving_gbp),
            "charging_policy": self.charging,
            "indicative": self.indicative,
            "reason": self.reason,
            "next_step": self.next_step,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True, eq=False)
class SavingsEstimate:
    current: SavingsOption
    with_add_on: SavingsOption
    intelligent_go: SavingsOption
    days: int
    comparison: Comparison
    household: Mapping[str, Any] = field(default_factory=dict)
    assumptions: tuple[str, ...] = ()
    as_of: datetime | None = None
    """The moment whose rates were applied to every period (``None``: each period's own rates)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "household", MappingProxyType(dict(self.household)))

    @property
    def rows(self) -> tuple[SavingsOption, SavingsOption, SavingsOption]:
        return self.current, self.with_add_on, self.intelligent_go

    @property
    def period(self) -> str:
        return "a year" if self.days in (365, 366) else f"the {self.days} days of your data"

    def summary(self) -> str:
        """One plain-English paragraph."""
        h, cur = self.household, self.current
        per = "a year" if self.days in (365, 366) else f"over {self.period}"
        home = (
            "your own meter data"
            if h.get("home_data") == "smart meter data"
            else f"a typical home using {h.get('home_kwh_per_year') or 0:,.0f} kWh a year"
        )
        text = [
            f"On your current tariff, {cur.supply}, your home and car would cost about "
            f"{format_gbp(_money(cur.cost_gbp))} {per} "
            f"({home}, {h.get('miles_per_year', 0):,.0f} miles in a {h.get('vehicle', 'car')})."
        ]
        for row in (self.with_add_on, self.intelligent_go):
            if row.available:
                saving = _money(row.saving_gbp)
                verdict = (
                    f"saving {format_gbp(saving)}" if saving > 0 else
                    f"costing {format_gbp(-saving)} more" if saving < 0 else "the same"
                )
                text.append(f"{row.supply} would cost {format_gbp(_money(row.cost_gbp))}, {verdict}.")
            else:
                step = f" ({row.next_step})" if row.next_step else ""
                text.append(f"{row.label} is not available to you: {row.reason}{step}.")
            if row.note:
                text.append(row.note[0].upper() + row.note[1:] + ".")
        rates = f"the rates in force on {self.as_of:%d %B %Y}" if self.as_of else "each half-hour's rates"
        text.append(
            f"These are estimates from the stated assumptions and {rates}, not quotes"
            + ("; some rates are indicative stand-ins." if any(r.indicative for r in self.rows) else ".")
        )
        return " ".join(text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "household": dict(self.household),
            "current": self.current.to_dict(),
            "with_add_on": self.with_add_on.to_dict(),
            "intelligent_go": self.intelligent_go.to_dict(),
            "summary": self.summary(),
            "assumptions": list(self.assumptions),
        }


def _money(value: Decimal | None) -> Decimal:
    assert value is not None
    return value


def _row(label: str, result: OptionResult, note: str = "") -> SavingsOption:
    return SavingsOption(
        label, result.supply.name, result.supply.codes, result.annual_cost_gbp, result.saving_gbp, result.policy,
        result.indicative, note=note,
    )


def _refused(label: str, comparison: Comparison, *codes: str) -> SavingsOption:
    for code in codes:
        for x in comparison.not_applicable:
            if x.code == code:
                return SavingsOption(label, reason=x.reason, next_step=x.next_step)
    return SavingsOption(label, reason="not costed by the comparison")


def _add_on_base(current: Tariff, add_on: Tariff, fallback: Tariff) -> tuple[Tariff, str]:
    rules = add_on.add_on
    if rules is None:
        raise SavingsError(f"{add_on.code} is not an add-on tariff")
    if current.supplier == add_on.supplier and rules.import_compatible(current.code):
        return current, ""
    base = fallback
    why = (
        f"{add_on.name} is sold by {add_on.supplier} only"
        if current.supplier != add_on.supplier
        else f"{add_on.name} cannot sit on {current.name}"
    )
    return base, f"{why}, so this row switches to {base.name} and adds it"


def estimate_savings(
    household: Household,
    current_code: str,
    *,
    catalogue: Catalogue | None = None,
    timeline: Timeline | None = None,
    vat_fraction: float | FloatArray = 0.05,
    as_of: datetime | None = None,
    measured_home_kwh: FloatArray | None = None,
    series: Mapping[str, FloatArray] | None = None,
    carbon_g_per_kwh: FloatArray | None = None,
    assumptions: Sequence[str] = (),
    add_on_code: str = ADD_ON_CODE,
    smart_code: str = SMART_CODE,
    fallback_base_code: str = ADD_ON_FALLBACK_BASE,
) -> SavingsEstimate:
    """Current tariff vs current + V2G add-on vs Intelligent Octopus Go for ``household``.

    ``timeline`` defaults to the local year 2023 (the year the shared Agile and carbon data cover);
    ``measured_home_kwh`` (aligned to it) replaces the synthetic home profile — the home's use without the car,
    whose charging is modelled from the household's miles. The codes name the add-on, the smart tariff and
    the base the add-on sits on when the current tariff cannot carry it (catalogue codes by default).
    """
    cat = catalogue or load_catalogue()
    current = cat.get(current_code)
    add_on, smart = cat.get(add_on_code), cat.get(smart_code)
    base, base_note = _add_on_base(current, add_on, cat.get(fallback_base_code))
    export = cat.get(household.export_tariff_code) if household.export_tariff_code else None
    tariffs = list({t.code: t for t in (current, base, add_on, smart, export) if t is not None}.values())
    tl = timeline or local_year(2023)
    notes = list(assumptions)
    if base_note:
        notes.append(base_note)
    inputs = ComparisonInputs(
        timeline=tl,
        baseline_code=current.code,
        vat_fraction=vat_fraction,
        as_of=as_of,
        series=dict(series or {}),
        carbon_g_per_kwh=carbon_g_per_kwh,
        measured_home_kwh=measured_home_kwh,
        current_code=current.code,
        assumptions=tuple(notes),
    )
    try:
        comparison = run_comparison(household, tariffs, inputs)
    except ValueError as exc:
        refused = _why_not_costed(household, current, tariffs, inputs)
        raise SavingsError(f"your current tariff {current.name} cannot be costed: {refused or exc}") from None

    def find(import_code: str, with_add_on: bool) -> OptionResult | None:
        return next(
            (
                r
                for r in comparison.results
                if r.supply.import_tariff.code == import_code and (r.supply.add_on is not None) == with_add_on
            ),
            None,
        )

    cur = find(current.code, False)
    assert cur is not None  # the comparison's baseline
    pp = find(base.code, True)
    iog = find(smart.code, False)
    add_label = f"{current.name} + {add_on.name}" if base is current else f"{base.name} + {add_on.name}"
    smart_note = "you are on it already" if smart.code == current.code else ""
    return SavingsEstimate(
        current=_row(f"Current tariff ({current.name})", cur),
        with_add_on=_row(add_label, pp, base_note) if pp else _refused(add_label, comparison, add_on.code, base.code),
        intelligent_go=_row(smart.name, iog, smart_note) if iog else _refused(smart.name, comparison, smart.code),
        days=tl.n_local_days(),
        comparison=comparison,
        household=comparison.household,
        assumptions=comparison.assumptions,
        as_of=as_of,
    )


def _why_not_costed(household: Household, current: Tariff, tariffs: list[Tariff], inputs: ComparisonInputs) -> str:
    """The comparison's reason for refusing the current tariff, if it gave one."""
    from evflex.compare.annual import applicable_supplies
    from evflex.compare.runner import household_facts

    _, refused = applicable_supplies(tariffs, household_facts(household))
    reason = next((f"{x.reason} ({x.next_step})" if x.next_step else x.reason
                   for x in refused if x.code == current.code), "")
    if not reason and current.price_series and current.price_series not in inputs.series:
        reason = f"no half-hourly '{current.price_series}' prices for this period"
    return reason
