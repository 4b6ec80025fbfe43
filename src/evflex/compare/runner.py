"""Assemble a comparison for a household: timeline, prices, charging policies, bills.

This layer takes already-loaded inputs (tariffs, half-hourly price series, optional measured home load);
reading files is the CLI's job. It decides the stated assumptions every comparison prints.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from evflex.billing import BillingContext
from evflex.billing.bill import BillLine, LineKind
from evflex.billing.money import gbp_from_pence
from evflex.compare.annual import (
    Comparison,
    HouseholdFacts,
    OptionResult,
    PolicySpec,
    applicable_supplies,
    compare,
)
from evflex.household import Household, simulate
from evflex.household.flows import Flows
from evflex.periods import Timeline
from evflex.tariffs.model import Tariff

__all__ = ["ComparisonInputs", "household_facts", "run_comparison"]

FloatArray = npt.NDArray[np.float64]


def household_facts(household: Household) -> HouseholdFacts:
    vehicle, charger = household.vehicle, household.charger
    return HouseholdFacts(
        region=household.region,
        meter_type=str(household.meter_type),
        prepayment=household.prepayment,
        ev_smart_compatible=vehicle.smart_api or charger.smart_api,
        v2g_capable=household.v2g_capable,
        g99=household.g99,
        export_tariff_code=household.export_tariff_code,
    )


@dataclass(frozen=True, slots=True, eq=False)
class ComparisonInputs:
    """Everything a comparison needs besides the household and the tariffs."""

    timeline: Timeline
    baseline_code: str
    vat_fraction: float | FloatArray
    as_of: datetime | None = None
    series: Mapping[str, FloatArray] = field(default_factory=dict)
    """Named half-hourly prices exc VAT aligned to the timeline (``agile_import``, ``agile_export``)."""
    carbon_g_per_kwh: FloatArray | None = None
    measured_home_kwh: FloatArray | None = None
    """Measured whole-home import (e.g. smart-meter data) to bill instead of the synthetic profile."""
    current_code: str | None = None
    """The tariff the household is on: its exit fee is added to every switch away from it."""
    fuels: int = 1
    assumptions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "series", MappingProxyType(dict(self.series)))


def _rates_end_before(tariff: Tariff, region: str, moment: datetime) -> bool:
    rates = [b.rate for b in tariff.bands] + [r for r in (tariff.standing_charge,) if r is not None]
    if tariff.add_on is not None:
        rates.append(tariff.add_on.ev_rate)
    return any(rate.for_region(region).ends_before(moment) for rate in rates if rate.default or rate.by_region)


def _exit_fee_line(current: Tariff, fuels: int) -> BillLine:
    pence = current.exit_fee_pence_per_fuel * fuels
    return BillLine(
        LineKind.EXIT_FEE,
        f"Exit fee leaving {current.name} ({fuels} fuel)",
        float(fuels),
        "fuel",
        gbp_from_pence(float(pence)),
    )


def run_comparison(household: Household, tariffs: Iterable[Tariff], inputs: ComparisonInputs) -> Comparison:
    """Cost every applicable supply for ``household`` over ``inputs.timeline`` and rank them."""
    all_tariffs = list(tariffs)
    timeline = inputs.timeline
    ctx = BillingContext(household.region, inputs.vat_fraction, inputs.as_of, inputs.series)
    facts = household_facts(household)
    supplies, refused = applicable_supplies(all_tariffs, facts)

    if inputs.measured_home_kwh is not None:  # bill the measured home use; the car is still modelled
        household = dataclasses.replace(household, home_load_kwh=inputs.measured_home_kwh)

    def simulate_spec(spec: PolicySpec) -> Flows:
        return simulate(
            household,
            timeline,
            spec.name,
            spec.price_p_per_kwh,
            spec.window_mask,
            spec.preferred_mask,
            inputs.carbon_g_per_kwh,
        )

    if inputs.as_of is not None:
        stale = sorted({t.name for t in all_tariffs if _rates_end_before(t, household.region, inputs.as_of)})
        if stale:
            inputs = dataclasses.replace(
                inputs,
                assumptions=(
                    *inputs.assumptions,
                    (
                        f"the catalogue has no rates in force on {inputs.as_of:%Y-%m-%d} for {', '.join(stale)}: their "
                        "latest known rates are projected (update the catalogue: docs/catalogue.md)"
                    ),
                ),
            )

    baseline = inputs.baseline_code
    result = compare(
        supplies,
        simulate_spec,
        ctx,
        timeline,
        baseline,
        refused,
        inputs.assumptions,
        _describe(household, timeline, inputs),
    )
    if inputs.current_code is None:
        return result
    current = next((t for t in all_tariffs if t.code == inputs.current_code), None)
    if current is None or current.exit_fee_pence_per_fuel == 0:
        return result
    return _with_exit_fees(result, current, inputs.fuels)


def _with_exit_fees(result: Comparison, current: Tariff, fuels: int) -> Comparison:
    """Add the current tariff's exit fee to every supply that switches away from it, and re-rank."""
    base = next(r for r in result.results if r.supply.name == result.baseline)
    updated: list[OptionResult] = []
    for r in result.results:
        bill = r.bill if current.code in r.supply.codes else r.bill.with_lines(_exit_fee_line(current, fuels))
        updated.append(OptionResult(r.supply, bill, r.policy, Decimal(0), r.indicative))
    base_total = next(u.bill.total_gbp for u in updated if u.supply.name == base.supply.name)
    ranked = sorted(updated, key=lambda u: (u.bill.total_gbp, u.supply.name))
    final = tuple(OptionResult(u.supply, u.bill, u.policy, base_total - u.bill.total_gbp, u.indicative) for u in ranked)
    notes = (
        *result.assumptions,
        f"switching away from {current.name} costs its exit fee (£"
        f"{current.exit_fee_pence_per_fuel / 100:.0f} per fuel × {fuels})",
    )
    return Comparison(result.timeline, result.baseline, final, result.not_applicable, notes, result.household)


def _describe(household: Household, timeline: Timeline, inputs: ComparisonInputs) -> dict[str, object]:
    v = household.vehicle
    return {
        "region": household.region,
        "home_kwh_per_year": None if inputs.measured_home_kwh is not None else household.annual_home_kwh,
        "home_data": "smart meter data" if inputs.measured_home_kwh is not None else "synthetic profile",
        "miles_per_year": household.usage.annual_miles,
        "vehicle": v.name,
        "kwh_per_mile": v.efficiency_kwh_per_mile,
        "charger": household.charger.name,
        "v2g_capable": household.v2g_capable,
        "solar": household.solar is not None,
        "export_tariff": household.export_tariff_code,
        "year": f"{timeline.start:%Y-%m-%d} → {timeline.end:%Y-%m-%d} ({timeline.n_local_days()} days)",
    }
