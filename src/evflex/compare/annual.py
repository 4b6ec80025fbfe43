"""Annual comparison: every applicable supply for one household, ranked, with the saving against a baseline.

Each supply is billed on the flows its tariff implies (``policy_for``): a flat tariff charges the car on
plug-in, a time-of-use tariff inside its cheapest window, a dynamic or smart-session tariff in the cheapest
slots before ready-by, and the V2G add-on (EV charging free) at the greenest times. A supply that cannot be
taken is listed with the reason and the next step, never silently dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.billing import Bill, BillingContext, LineKind, Supply, bill, resolve_prices
from evflex.household.flows import Flows
from evflex.periods import Timeline
from evflex.tariffs.model import Direction, Structure, Tariff

__all__ = [
    "Comparison",
    "ComparisonError",
    "HouseholdFacts",
    "NotApplicable",
    "OptionResult",
    "PolicySpec",
    "applicable_supplies",
    "compare",
    "policy_for",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class ComparisonError(ValueError):
    """A comparison cannot be made as asked (e.g. its baseline was not costed)."""


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    """What applicability depends on (the eligibility package does the full rule set)."""

    region: str
    meter_type: str = "SMETS2"
    prepayment: bool = False
    ev_smart_compatible: bool = True
    v2g_capable: bool = False
    g99: bool = False
    export_tariff_code: str | None = None


@dataclass(frozen=True, slots=True)
class NotApplicable:
    name: str
    code: str
    reason: str
    next_step: str = ""


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """The charging behaviour a supply implies, with the arrays the policy needs."""

    name: str
    """``dumb`` | ``window`` | ``smart`` | ``v2g_addon``."""
    price_p_per_kwh: FloatArray | None = None
    window_mask: BoolArray | None = None
    preferred_mask: BoolArray | None = None


@dataclass(frozen=True, slots=True)
class OptionResult:
    supply: Supply
    bill: Bill
    policy: str
    saving_gbp: Decimal
    """Baseline's annual cost minus this one's (positive = cheaper than the baseline)."""
    indicative: bool

    @property
    def annual_cost_gbp(self) -> Decimal:
        return self.bill.total_gbp

    def to_dict(self) -> dict[str, Any]:
        return {
            "supply": self.supply.name,
            "codes": list(self.supply.codes),
            "annual_cost_gbp": str(self.annual_cost_gbp),
            "saving_vs_baseline_gbp": str(self.saving_gbp),
            "charging_policy": self.policy,
            "indicative": self.indicative,
            "ev_charge_kwh": round(self.bill.quantity(LineKind.EV_CHARGING), 3),
            "bill": self.bill.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    timeline: Timeline
    baseline: str
    results: tuple[OptionResult, ...]
    not_applicable: tuple[NotApplicable, ...]
    assumptions: tuple[str, ...] = ()
    household: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "household", MappingProxyType(dict(self.household)))

    def result(self, code_or_name: str) -> OptionResult:
        for r in self.results:
            if code_or_name in r.supply.codes or code_or_name == r.supply.name:
                return r
        raise ComparisonError(f"no costed supply {code_or_name!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": {"start": self.timeline.start.isoformat(), "end": self.timeline.end.isoformat()},
            "baseline": self.baseline,
            "household": dict(self.household),
            "results": [r.to_dict() for r in self.results],
            "not_applicable": [
                {"supply": x.name, "code": x.code, "reason": x.reason, "next_step": x.next_step}
                for x in self.not_applicable
            ],
            "assumptions": list(self.assumptions),
        }


def _requirement_gaps(tariff: Tariff, facts: HouseholdFacts) -> tuple[str, str] | None:
    req = tariff.requirements
    if facts.region not in req.regions:
        return f"not offered in region {facts.region}", "choose a tariff offered in your region"
    if "ANY" not in req.smart_meter and facts.meter_type not in req.smart_meter:
        accepted = " or ".join(sorted(req.smart_meter)).replace("SMETS1_MIGRATED", "a DCC-migrated SMETS1")
        return f"needs a {accepted} smart meter (you have {facts.meter_type})", "book a SMETS2 install (4–8 weeks)"
    if facts.prepayment and not req.prepayment_allowed:
        return "prepayment meters are excluded", "switch to a credit (direct debit) account first"
    if req.v2g_hardware and not facts.v2g_capable:
        return (
            "needs a car and charger that can discharge (V2G)",
            "a CHAdeMO car able to discharge (Nissan Leaf, e-NV200, Mitsubishi Outlander PHEV) on a Wallbox Quasar 1",
        )
    if req.export_permission_g99 and not facts.g99:
        return "needs G99 export permission", "apply to your DNO (10–45 working days)"
    # V2G hardware that passed the check above is what a V2G add-on's integration list holds
    if req.compatible_ev_or_charger and not (facts.ev_smart_compatible or req.v2g_hardware):
        return (
            f"needs a car or chargepoint on {tariff.supplier}'s integration list",
            "check the supplier's compatibility list or fit a compatible smart chargepoint",
        )
    return None


def applicable_supplies(tariffs: Iterable[Tariff], facts: HouseholdFacts) -> tuple[list[Supply], list[NotApplicable]]:
    """Every supply the household could take (import tariffs alone, add-ons on each compatible base)."""
    all_tariffs = list(tariffs)
    export = next((t for t in all_tariffs if t.code == facts.export_tariff_code), None)
    imports = [t for t in all_tariffs if t.direction is Direction.IMPORT and t.structure is not Structure.ADD_ON]
    add_ons = [t for t in all_tariffs if t.structure is Structure.ADD_ON]
    supplies: list[Supply] = []
    refused: list[NotApplicable] = []
    open_imports: list[Tariff] = []
    for tariff in imports:
        gap = _requirement_gaps(tariff, facts)
        if gap:
            refused.append(NotApplicable(tariff.name, tariff.code, *gap))
        else:
            open_imports.append(tariff)
            supplies.append(Supply(tariff, export))
    for add in add_ons:
        assert add.add_on is not None
        gap = _requirement_gaps(add, facts)
        if gap is None and export is not None and not add.add_on.export_compatible(export.code):
            gap = (f"cannot be combined with the export tariff {export.name}", "switch export tariff first")
        bases = [t for t in open_imports if t.supplier == add.supplier and add.add_on.import_compatible(t.code)]
        if gap is None and not bases:
            gap = (f"no compatible {add.supplier} import tariff is available", "")
        if gap:
            refused.append(NotApplicable(add.name, add.code, *gap))
            continue
        supplies += [Supply(base, export, add) for base in bases]
    return supplies, refused


def policy_for(supply: Supply, timeline: Timeline, ctx: BillingContext) -> PolicySpec:
    """The charging behaviour implied by a supply (see the module docstring)."""
    if supply.add_on is not None:
        assert supply.add_on.add_on is not None
        if supply.add_on.add_on.requires_bidirectional:
            return PolicySpec("v2g_addon")
        return PolicySpec("smart", np.asarray(supply.add_on.add_on.ev_rate.for_region(ctx.region).over(timeline)))
    tariff = supply.import_tariff
    if tariff.structure is Structure.FLAT:
        return PolicySpec("dumb")
    plan = resolve_prices(tariff, timeline, ctx)
    if tariff.structure is Structure.TIME_OF_USE:
        cheapest = int(np.argmin([b.rate.for_region(ctx.region).latest().value_exc_vat for b in tariff.bands]))
        return PolicySpec("window", plan.unit_rate_p_per_kwh, window_mask=plan.band_index == cheapest)
    if tariff.structure is Structure.SMART_SESSION:
        assert tariff.smart is not None
        fixed = plan.band_mask(tariff.smart.offpeak_band)
        return PolicySpec("smart", plan.unit_rate_p_per_kwh, preferred_mask=fixed)
    return PolicySpec("smart", plan.unit_rate_p_per_kwh)


Simulate = Callable[[PolicySpec], Flows]


def compare(
    supplies: Sequence[Supply],
    simulate: Simulate,
    ctx: BillingContext,
    timeline: Timeline,
    baseline_code: str,
    refused: Sequence[NotApplicable] = (),
    assumptions: Sequence[str] = (),
    household: Mapping[str, Any] | None = None,
) -> Comparison:
    """Bill every supply on the flows its policy implies; rank by annual cost; savings against the baseline.

    ``simulate`` turns a :class:`PolicySpec` into the household's flows (the household model, or metered
    data with the EV charging re-timed); flows are cached per distinct policy.
    """
    results: list[tuple[Supply, Bill, str]] = []
    refused_all = list(refused)
    cache: dict[tuple[str, ...], Flows] = {}
    for supply in supplies:
        unpriced = _unpriced(supply, ctx)
        if unpriced is not None:
            refused_all.append(unpriced)
            continue
        spec = policy_for(supply, timeline, ctx)
        key = (spec.name, *(_key(a) for a in (spec.price_p_per_kwh, spec.window_mask, spec.preferred_mask)))
        flows = cache.get(key)
        if flows is None:
            flows = cache[key] = simulate(spec)
        results.append((supply, bill(supply, flows, ctx), spec.name))
    baseline = next((r for r in results if baseline_code in r[0].codes and r[0].add_on is None), None)
    if baseline is None:
        costed = ", ".join(s.import_tariff.code for s, _, _ in results)
        raise ComparisonError(
            f"baseline {baseline_code!r} was not costed (costed: {costed}); choose one with --baseline"
        )
    base_total = baseline[1].total_gbp
    ranked = sorted(results, key=lambda r: (r[1].total_gbp, r[0].name))
    options = tuple(OptionResult(s, b, policy, base_total - b.total_gbp, _indicative(s)) for s, b, policy in ranked)
    return Comparison(timeline, baseline[0].name, options, tuple(refused_all), tuple(assumptions), household or {})


def _unpriced(supply: Supply, ctx: BillingContext) -> NotApplicable | None:
    """A supply whose dynamic import or export tariff has no half-hourly prices cannot be costed: say why."""
    for t in (supply.import_tariff, supply.export_tariff):
        if t is not None and t.structure is Structure.DYNAMIC and t.price_series not in ctx.series:
            return NotApplicable(
                supply.name,
                t.code,
                f"not costed: no half-hourly '{t.price_series}' prices for this period",
                "put the Agile CSVs in ../shared/data (or set EVFLEX_SHARED_DATA) or compare a year they cover",
            )
    return None


def _key(values: npt.NDArray[np.generic] | None) -> str:
    return "" if values is None else hashlib.sha1(np.ascontiguousarray(values).tobytes()).hexdigest()


def _indicative(supply: Supply) -> bool:
    return any(t.indicative for t in (supply.import_tariff, supply.add_on, supply.export_tariff) if t is not None)
