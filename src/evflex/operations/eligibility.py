"""Eligibility at sign-up: every rule of a tariff checked against what the customer told us.

A :class:`Customer` (parsed from a JSON document, see ``docs/operations.md``) is checked against a
catalogue :class:`~evflex.tariffs.model.Tariff`. Which rules apply is data: the tariff's
:class:`~evflex.tariffs.model.Requirements` (region, smart meter, prepayment, EV proof, compatible car or
chargepoint, V2G hardware, G99), its :class:`~evflex.tariffs.model.AddOnRules` (compatible import and export
tariffs) and ``operations/data/*.toml`` (car and charger lists, DNOs by region, usage rules such as the V2G
add-on's minimum state of charge and plug-in pattern). Every applicable rule is reported as PASS, FAIL or
UNKNOWN with the reason in plain words and the next step; a field the customer left out gives UNKNOWN, never
an exception. The verdict: any FAIL → NOT_ELIGIBLE, else any UNKNOWN → NEEDS_INFORMATION, else ELIGIBLE.

The customer document and MPAN live in :mod:`evflex.operations.customer`, the TOML data in
:mod:`evflex.operations.rules_data`; their public names are re-exported here.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from evflex.operations.compliance import ComplianceRules, classify_misses
from evflex.operations.customer import (
    Customer,
    G99Status,
    MeterType,
    PaymentMethod,
    load_customer,
    mpan_check_digit,
    parse_customer,
    parse_mpan,
)
from evflex.operations.errors import OperationsError
from evflex.operations.rules_data import (
    ChargerSpec,
    CompatibilitySpec,
    DnoArea,
    RulesData,
    UsageSpec,
    VehicleSpec,
    load_rules_data,
)
from evflex.tariffs.catalogue import Catalogue
from evflex.tariffs.model import Direction, Structure, Tariff

__all__ = [
    "ChargerSpec",
    "CompatibilitySpec",
    "Customer",
    "DnoArea",
    "G99Status",
    "MeterType",
    "Overall",
    "PaymentMethod",
    "Result",
    "RuleOutcome",
    "RulesData",
    "UsageSpec",
    "VehicleSpec",
    "Verdict",
    "check_all",
    "check_eligibility",
    "load_customer",
    "load_rules_data",
    "min_window_hours",
    "mpan_check_digit",
    "parse_customer",
    "parse_mpan",
    "v2g_add_on",
]

_DEFAULT_KWH_PER_MILE = 0.306  # the tariff page's worked example (333 kWh ≈ 1,084 miles ≈ 0.307 kWh/mile)


class Result(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"


class Overall(StrEnum):
    ELIGIBLE = "ELIGIBLE"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    NEEDS_INFORMATION = "NEEDS_INFORMATION"


# -- verdicts ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RuleOutcome:
    rule: str
    """Stable identifier, e.g. ``g99`` or ``min_soc``."""
    title: str
    result: Result
    reason: str
    next_step: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "title": self.title, "result": self.result.value,
                "reason": self.reason, "next_step": self.next_step}


@dataclass(frozen=True, slots=True)
class Verdict:
    customer_id: str
    tariff_code: str
    tariff_name: str
    outcomes: tuple[RuleOutcome, ...]

    @property
    def overall(self) -> Overall:
        results = {o.result for o in self.outcomes}
        if Result.FAIL in results:
            return Overall.NOT_ELIGIBLE
        return Overall.NEEDS_INFORMATION if Result.UNKNOWN in results else Overall.ELIGIBLE

    def outcome(self, rule: str) -> RuleOutcome:
        for o in self.outcomes:
            if o.rule == rule:
                return o
        raise KeyError(f"{self.tariff_code} has no rule {rule!r} (rules: {', '.join(o.rule for o in self.outcomes)})")

    def to_dict(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "tariff": self.tariff_code, "tariff_name": self.tariff_name,
                "verdict": self.overall.value, "rules": [o.to_dict() for o in self.outcomes]}


# -- the rules ---------------------------------------------------------------------------------------------
def _norm(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _listing(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}" if items else "none"


def _car(c: Customer) -> str:
    return " ".join(p for p in (c.vehicle_make, c.vehicle_model) if p)


def min_window_hours(hours: float, every_days: float, window_days: int) -> float:
    """Fewest plugged-in hours any ``window_days`` window can hold when the car is plugged in for ``hours``
    in one stretch every ``every_days`` days (worst case over where the window falls)."""
    period, length = 24.0 * every_days, 24.0 * window_days
    hours = min(hours, period)
    full = math.floor(length / period)
    return full * hours + max(0.0, hours + (length - full * period) - period)


@dataclass(frozen=True, slots=True)
class _Context:
    customer: Customer
    tariff: Tariff
    data: RulesData
    catalogue: Catalogue | None
    area: DnoArea | None
    region_how: str
    mpan_note: str


def _match_vehicle(ctx: _Context) -> tuple[VehicleSpec | None, list[str]]:
    """The listed car the customer's make/model names (longest alias wins), or close names to suggest."""
    c = ctx.customer
    model = _norm(c.vehicle_model or "")
    make = _norm(c.vehicle_make or "")
    best: tuple[int, VehicleSpec] | None = None
    for v in ctx.data.vehicles.values():
        if make and make not in {_norm(m) for m in (v.make, *v.make_aliases)}:
            continue
        for alias in (v.model, *v.model_aliases):
            if model.startswith(_norm(alias)) and (best is None or len(_norm(alias)) > best[0]):
                best = (len(_norm(alias)), v)
    if best:
        return best[1], []
    labels = {_norm(v.label): v.label for v in ctx.data.vehicles.values()}
    close = difflib.get_close_matches(make + model, list(labels), n=2, cutoff=0.75)
    return None, [labels[k] for k in close]


def _match_charger(ctx: _Context) -> tuple[ChargerSpec | None, list[str]]:
    given = _norm(ctx.customer.charger_model or "")
    names = {_norm(n): ch for ch in ctx.data.chargers.values() for n in (ch.name, *ch.aliases)}
    if given in names:
        return names[given], []
    close = difflib.get_close_matches(given, list(names), n=2, cutoff=0.8)
    return None, list(dict.fromkeys(names[k].name for k in close))


def _rule_region(ctx: _Context) -> RuleOutcome:
    title, c, t = "Region (Great Britain only)", ctx.customer, ctx.tariff
    if c.northern_ireland:
        return RuleOutcome("region", title, Result.FAIL,
                           "Northern Ireland is a separate electricity market (Utility Regulator, not Ofgem); "
                           f"{t.name} is offered in Great Britain only.",
                           "Look at Northern Ireland suppliers' EV tariffs instead.")
    if ctx.area is None:
        return RuleOutcome("region", title, Result.UNKNOWN, f"The region is not known.{ctx.mpan_note}",
                           "Give the 13-digit MPAN from a bill (its first two digits name the region) "
                           "or the region letter A–P.")
    where = f"region {ctx.area.region} ({ctx.area.name}, {ctx.region_how})"
    if ctx.area.region not in t.requirements.regions:
        offered = ", ".join(sorted(t.requirements.regions))
        return RuleOutcome("region", title, Result.FAIL, f"{t.name} is not offered in {where}.",
                           f"Choose a tariff offered in region {ctx.area.region} (this one covers {offered}).")
    return RuleOutcome("region", title, Result.PASS, f"Great Britain, {where}; the tariff is offered there.")


def _rule_smart_meter(ctx: _Context) -> RuleOutcome:
    title, accepted, meter = "Smart meter", ctx.tariff.requirements.smart_meter, ctx.customer.meter_type
    names = {"SMETS2": "SMETS2", "SMETS1_MIGRATED": "SMETS1 migrated to the DCC", "ANY": "any meter"}
    wanted = _listing([names.get(a, a) for a in sorted(accepted, reverse=True)])
    if "ANY" in accepted:
        return RuleOutcome("smart_meter", title, Result.PASS, "The tariff accepts any meter.")
    if meter is None:
        return RuleOutcome("smart_meter", title, Result.UNKNOWN, f"Meter type not given; the tariff needs {wanted}.",
                           "Check the meter or ask the supplier: SMETS2, SMETS1 (migrated or not), or traditional.")
    if meter.value in accepted:
        return RuleOutcome("smart_meter", title, Result.PASS, f"A {names[meter.value]} meter: accepted.")
    if meter is MeterType.SMETS1 and "SMETS1_MIGRATED" in accepted:
        return RuleOutcome("smart_meter", title, Result.FAIL,
                           "A SMETS1 meter not (yet) migrated to the DCC: the supplier cannot connect to it.",
                           "Ask the supplier whether the meter has been migrated to the DCC, "
                           "or book a SMETS2 install (typically 4–8 weeks).")
    return RuleOutcome("smart_meter", title, Result.FAIL,
                       f"A {meter.value.replace('_', ' ')} meter; the tariff needs {wanted}.",
                       "Book a SMETS2 smart meter install (typically 4–8 weeks); the tariff starts once it "
                       "sends half-hourly readings.")


def _rule_payment(ctx: _Context) -> RuleOutcome:
    title, method = "No prepayment", ctx.customer.payment_method
    if ctx.tariff.requirements.prepayment_allowed:
        return RuleOutcome("payment", title, Result.PASS, "The tariff accepts prepayment and credit meters.")
    if method is None:
        return RuleOutcome("payment", title, Result.UNKNOWN, "Payment method not given; prepayment is excluded.",
                           "Tell us whether you pay by direct debit, on receipt of bill, or prepayment.")
    if method is PaymentMethod.PREPAYMENT:
        return RuleOutcome("payment", title, Result.FAIL, "A prepayment meter: the tariff needs a credit account.",
                           "Ask the supplier to switch the meter to credit mode (they must offer it where "
                           "it is safe to do so), then apply.")
    return RuleOutcome("payment", title, Result.PASS, f"Pays by {method.value.lower().replace('_', ' ')}.")


def _rule_ev_proof(ctx: _Context) -> RuleOutcome:
    title, c = "Proof of EV ownership", ctx.customer
    if c.v5c_provided or c.chargepoint_serial:
        what = "the V5C logbook" if c.v5c_provided else f"chargepoint serial {c.chargepoint_serial}"
        return RuleOutcome("ev_proof", title, Result.PASS, f"Provided {what}.")
    if c.v5c_provided is False:
        return RuleOutcome("ev_proof", title, Result.FAIL, "No V5C logbook and no chargepoint serial provided.",
                           "Provide the car's V5C logbook or the chargepoint's serial number.")
    return RuleOutcome("ev_proof", title, Result.UNKNOWN, "Not known whether a V5C or chargepoint serial is at hand.",
                       "Provide the car's V5C logbook or the chargepoint's serial number.")


def _rule_ev_or_charger(ctx: _Context) -> RuleOutcome:
    title, c, t = "Compatible car or chargepoint", ctx.customer, ctx.tariff
    spec = ctx.data.compatibility.get(t.code)
    if spec is None or not spec.published:
        return RuleOutcome("ev_or_charger", title, Result.UNKNOWN,
                           f"{t.supplier} keeps a list of compatible cars and chargepoints; we hold no copy of it.",
                           f"Check {t.supplier}'s compatibility list for your car and chargepoint.")
    vehicle, _ = _match_vehicle(ctx)
    charger, _ = _match_charger(ctx)
    make_ok = bool(c.vehicle_make) and _norm(c.vehicle_make or "") in {_norm(m) for m in spec.vehicle_makes}
    if (vehicle and vehicle.key in spec.vehicles) or make_ok:
        how = "listed" if vehicle and vehicle.key in spec.vehicles else "of a listed make (model confirmed at sign-up)"
        return RuleOutcome("ev_or_charger", title, Result.PASS, f"The car ({_car(c)}) is {how}.")
    if charger and charger.key in spec.chargers:
        return RuleOutcome("ev_or_charger", title, Result.PASS, f"The chargepoint ({charger.name}) is listed.")
    listed = [ctx.data.chargers[k].name for k in spec.chargers]
    makes = list(spec.vehicle_makes) + [ctx.data.vehicles[k].label for k in spec.vehicles]
    step = f"Use a listed chargepoint ({_listing(listed)}) or a car from {_listing(makes)}."
    if c.vehicle_make is None or c.charger_model is None:
        return RuleOutcome("ev_or_charger", title, Result.UNKNOWN,
                           "Not enough known: give both the car (make and model) and the chargepoint model.", step)
    return RuleOutcome("ev_or_charger", title, Result.FAIL,
                       f"Neither the car ({_car(c)}) nor the chargepoint ({c.charger_model}) is on "
                       f"{t.supplier}'s list.", step)


def _rule_charger(ctx: _Context) -> RuleOutcome:
    title, c, t = "Compatible V2G charger", ctx.customer, ctx.tariff
    spec = ctx.data.compatibility.get(t.code)
    listed = [ctx.data.chargers[k].name for k in spec.chargers] if spec else []
    step = (f"{t.name} needs a {_listing(listed)} already installed; if your charger is V2G-capable, "
            "register interest with the supplier.")
    if spec is None:
        return RuleOutcome("charger", title, Result.UNKNOWN, f"No charger list held for {t.code}.",
                           f"Check {t.supplier}'s list of V2G chargers.")
    if not c.charger_model:
        return RuleOutcome("charger", title, Result.UNKNOWN, f"Charger model not given; needs {_listing(listed)}.",
                           "Give the installed charger's make and model.")
    charger, close = _match_charger(ctx)
    if charger is None and close:
        return RuleOutcome("charger", title, Result.UNKNOWN, f"Charger {c.charger_model!r} not recognised.",
                           f"Did you mean {_listing(close)}? Give the model exactly.")
    if charger is None or charger.key not in spec.chargers:
        name = charger.name if charger else c.charger_model
        return RuleOutcome("charger", title, Result.FAIL,
                           f"{name} is not on the list (compatible: {_listing(listed)}).", step)
    note = f" {charger.note}" if charger.note else ""
    return RuleOutcome("charger", title, Result.PASS, f"{charger.name} is on the list.{note}")


def _rule_vehicle(ctx: _Context) -> RuleOutcome:
    title, c, t = "Compatible car (CHAdeMO, can discharge)", ctx.customer, ctx.tariff
    spec = ctx.data.compatibility.get(t.code)
    if spec is None:
        return RuleOutcome("vehicle", title, Result.UNKNOWN, f"No car list held for {t.code}.",
                           f"Check {t.supplier}'s list of V2G cars.")
    listed = [ctx.data.vehicles[k].label for k in spec.vehicles]
    if not c.vehicle_model:
        return RuleOutcome("vehicle", title, Result.UNKNOWN, f"Car not given; it must be {_listing(listed)}.",
                           "Give the car's make and model.")
    vehicle, close = _match_vehicle(ctx)
    given = _car(c)
    if vehicle is None and close:
        return RuleOutcome("vehicle", title, Result.UNKNOWN, f"Car {given!r} not recognised.",
                           f"Did you mean {_listing(close)}? Give the make and model exactly.")
    step = ("If the car can discharge over CHAdeMO, register interest with the supplier; for one-way smart "
            "charging look at a smart tariff such as Intelligent Octopus Go.")
    if vehicle is None or vehicle.key not in spec.vehicles:
        return RuleOutcome("vehicle", title, Result.FAIL,
                           f"{given} is not on the list ({_listing(listed)}; {spec.requires or 'listed cars only'}).",
                           step)
    if c.vehicle_connector and _norm(c.vehicle_connector) != _norm(vehicle.connector):
        return RuleOutcome("vehicle", title, Result.FAIL,
                           f"This {vehicle.label} has a {c.vehicle_connector} connector; the tariff's charger "
                           f"needs {vehicle.connector}.", step)
    if not vehicle.can_discharge:
        return RuleOutcome("vehicle", title, Result.FAIL, f"The {vehicle.label} cannot discharge.", step)
    return RuleOutcome("vehicle", title, Result.PASS,
                       f"{vehicle.label}: on the list ({vehicle.connector}, can discharge).")


def _rule_g99(ctx: _Context) -> RuleOutcome:
    title, status, g = "G99 export permission", ctx.customer.g99, ctx.data.g99
    days = f"{g.lead_time_working_days[0]}–{g.lead_time_working_days[1]} working days"
    dno = f"the DNO for region {ctx.area.region}, {ctx.area.label}" if ctx.area else "your DNO"
    unnamed = "" if ctx.area else " (give your MPAN or region letter and we will name it)"
    apply = f"Apply to {dno} for G99 permission{unnamed}; approval takes {days}."
    if status is G99Status.APPROVED:
        return RuleOutcome("g99", title, Result.PASS, f"G99 permission to export granted by {dno}.")
    if status is G99Status.APPLIED:
        return RuleOutcome("g99", title, Result.FAIL, "G99 applied for but not yet approved.",
                           f"Wait for the decision of {dno}: {days} from the application.")
    if status is G99Status.NOT_APPLIED:
        return RuleOutcome("g99", title, Result.FAIL,
                           f"No G99 permission: exporting over {g.threshold_kw:g} kW (16 A) needs it.", apply)
    return RuleOutcome("g99", title, Result.UNKNOWN, "Not known whether the home has G99 permission to export.",
                       f"Tell us whether you hold a G99 certificate; if not: {apply}")


def _alternatives(ctx: _Context, direction: Direction, ok: Callable[[str], bool]) -> str:
    """Same-supplier catalogue tariffs the add-on accepts, to suggest as the switch."""
    if ctx.catalogue is None:
        return ""
    pool = ctx.catalogue.imports() if direction is Direction.IMPORT else ctx.catalogue.exports()
    codes = [t.code for t in pool if t.supplier == ctx.tariff.supplier and ok(t.code)]
    return f", e.g. {_listing(codes[:3])}" if codes else ""


def _known(ctx: _Context, code: str, direction: Direction, field: str) -> Tariff | None:
    if ctx.catalogue is None or code not in ctx.catalogue:
        return None
    known = ctx.catalogue.get(code)
    if known.direction is not direction or known.structure is Structure.ADD_ON:
        raise OperationsError(f"{field}: {code} is not an {direction.value} tariff; give the current "
                              f"{direction.value} tariff's code")
    return known


def _rule_import_tariff(ctx: _Context) -> RuleOutcome:
    title, code, t = "Compatible import tariff", ctx.customer.import_tariff, ctx.tariff
    assert t.add_on is not None
    rules = t.add_on
    excluded = _listing(list(rules.incompatible_import)) if rules.incompatible_import else ""
    accepted = f"accepted: {_listing(list(rules.compatible_import))}" if rules.compatible_import else \
        f"not {excluded}"
    alt = _alternatives(ctx, Direction.IMPORT, rules.import_compatible)
    switch = f"Switch to a compatible {t.supplier} import tariff first{alt}."
    if code is None or code == "NONE":
        return RuleOutcome("import_tariff", title, Result.UNKNOWN, f"Current import tariff not given ({accepted}).",
                           "Give the current import tariff code, e.g. FLEXIBLE-OCTOPUS or E-1R-VAR-22-11-01-C.")
    known = _known(ctx, code, Direction.IMPORT, "import_tariff")
    if not rules.import_compatible(code):
        return RuleOutcome("import_tariff", title, Result.FAIL, f"{t.name} cannot sit on {code} ({accepted}).", switch)
    if known is not None and known.supplier != t.supplier:
        return RuleOutcome("import_tariff", title, Result.FAIL,
                           f"{code} is a {known.supplier} tariff; {t.name} sits on a {t.supplier} import tariff.",
                           switch)
    return RuleOutcome("import_tariff", title, Result.PASS, f"{code} is compatible ({accepted}).")


def _rule_export_tariff(ctx: _Context) -> RuleOutcome:
    title, code, t = "Compatible export tariff", ctx.customer.export_tariff, ctx.tariff
    assert t.add_on is not None
    rules = t.add_on
    excluded = _listing(list(rules.incompatible_export))
    if code is None:
        return RuleOutcome("export_tariff", title, Result.UNKNOWN, f"Current export tariff not given (not {excluded}).",
                           "Give the export tariff code, or \"none\" if the home has none.")
    if code == "NONE":
        return RuleOutcome("export_tariff", title, Result.PASS, "No export tariff: nothing to switch.")
    _known(ctx, code, Direction.EXPORT, "export_tariff")
    if not rules.export_compatible(code):
        alt = _alternatives(ctx, Direction.EXPORT, rules.export_compatible)
        return RuleOutcome("export_tariff", title, Result.FAIL, f"{t.name} cannot be combined with {code}.",
                           f"Switch to another export tariff first{alt}.")
    return RuleOutcome("export_tariff", title, Result.PASS, f"{code} is compatible (not {excluded}).")


def _rule_min_soc(ctx: _Context, usage: UsageSpec) -> RuleOutcome:
    title, soc, limit = "Minimum state of charge", ctx.customer.min_soc_percent, usage.min_soc_below_percent or 0.0
    step = f"Set the minimum state of charge below {limit:g}% (e.g. 20–25%), so the car can still discharge."
    if soc is None:
        return RuleOutcome("min_soc", title, Result.UNKNOWN, f"Minimum state of charge not given (< {limit:g}%).", step)
    if soc < limit:
        return RuleOutcome("min_soc", title, Result.PASS, f"{soc:g}% is below {limit:g}%.")
    return RuleOutcome("min_soc", title, Result.FAIL, f"{soc:g}% is not below {limit:g}%.", step)


def _rule_plug_in(ctx: _Context, rules: ComplianceRules) -> RuleOutcome:
    title, c = "Plug-in pattern", ctx.customer
    need = f"at least {rules.min_plugged_hours:g} h plugged in within every {rules.window_days} days"
    step = (f"Plan to plug in for {rules.min_plugged_hours:g} hours every {rules.window_days} days "
            "(e.g. overnight every other night).")
    if c.plug_in_hours is None or c.plug_in_every_days is None:
        return RuleOutcome("plug_in", title, Result.UNKNOWN, f"Plug-in routine not given (needs {need}).",
                           "Give plug_in_hours and plug_in_every_days (or plug_in_days_per_week).")
    worst = min_window_hours(c.plug_in_hours, c.plug_in_every_days, rules.window_days)
    every = "every day" if c.plug_in_every_days == 1 else f"every {c.plug_in_every_days:.3g} days"
    stated = (f"Plugged in {c.plug_in_hours:g} h {every}: at worst {worst:g} h in a {rules.window_days}-day "
              f"window; needs {need}.")
    if worst >= rules.min_plugged_hours:
        return RuleOutcome("plug_in", title, Result.PASS, stated)
    return RuleOutcome("plug_in", title, Result.FAIL, stated, step)


def _rule_monthly_charge(ctx: _Context, rules: ComplianceRules) -> RuleOutcome:
    title, c, limit = "Monthly EV charging", ctx.customer, rules.monthly_charge_limit_kwh
    step = (f"The add-on suits under {limit:g} kWh of charging a month (about {limit / _DEFAULT_KWH_PER_MILE:,.0f} "
            "miles); charge the rest elsewhere or choose another EV tariff.")
    if c.monthly_charge_kwh:
        history = c.monthly_charge_kwh
        missed = [kwh >= limit for kwh in history]
        recent = history[-rules.lookback_months :]
        n_miss = sum(missed[-rules.lookback_months :])
        code = int(classify_misses(missed, rules))
        said = f"{n_miss} of the last {len(recent)} months at or above {limit:g} kWh (max {max(recent):.0f} kWh)"
        if code == 2:
            return RuleOutcome("monthly_charge", title, Result.FAIL, f"{said}: a regular occurrence.", step)
        tail = ": occasional, allowed." if n_miss else "."
        return RuleOutcome("monthly_charge", title, Result.PASS, f"{said}{tail}")
    if c.annual_miles is None:
        return RuleOutcome("monthly_charge", title, Result.UNKNOWN, f"Annual mileage not given (limit: under {limit:g} "
                           "kWh a month).", "Give annual_miles (and kwh_per_mile), or monthly charging history.")
    per_mile = c.kwh_per_mile or _DEFAULT_KWH_PER_MILE
    monthly = c.annual_miles * per_mile / 12.0
    source = "" if c.kwh_per_mile else " (the tariff page's figure; give kwh_per_mile for your car)"
    said = (f"{c.annual_miles:,.0f} miles a year × {per_mile:g} kWh/mile{source} ≈ {monthly:.0f} kWh a month; "
            f"the limit is under {limit:g}.")
    return RuleOutcome("monthly_charge", title, Result.PASS if monthly < limit else Result.FAIL, said,
                       "" if monthly < limit else step)


def _resolve_area(customer: Customer, data: RulesData) -> tuple[DnoArea | None, str, str]:
    """The customer's DNO area, how we know it, and a note when the MPAN could not place it."""
    given = data.dnos[customer.region] if customer.region else None
    if customer.mpan is None:
        return given, "as given", ""
    distributor = int(customer.mpan[:2])
    area = data.region_of_distributor(distributor)
    if area is None:
        note = (f" MPAN distributor id {distributor} is not one of the 14 GB DNO areas (an independent "
                "network, IDNO?).")
        return given, "as given", note
    if given is not None and given.region != area.region:
        raise OperationsError(
            f"region {given.region} ({given.name}) disagrees with MPAN {customer.mpan}, whose distributor id "
            f"{distributor} is region {area.region} ({area.name}): correct one of them"
        )
    return area, f"from MPAN distributor id {distributor}", ""


def check_eligibility(
    customer: Customer, tariff: Tariff, *, catalogue: Catalogue | None = None, data: RulesData | None = None
) -> Verdict:
    """Every rule of ``tariff`` checked for ``customer``.

    ``catalogue`` (a :class:`~evflex.tariffs.catalogue.Catalogue`, optional) lets the add-on rules name
    the supplier of the customer's current tariffs and suggest compatible ones to switch to.
    """
    data = data or load_rules_data()
    area, how, note = _resolve_area(customer, data)
    ctx = _Context(customer, tariff, data, catalogue, area, how, note)
    req = tariff.requirements
    outcomes = [_rule_region(ctx), _rule_smart_meter(ctx), _rule_payment(ctx)]
    if req.ev_proof:
        outcomes.append(_rule_ev_proof(ctx))
    if req.v2g_hardware:
        outcomes += [_rule_charger(ctx), _rule_vehicle(ctx)]
    elif req.compatible_ev_or_charger:
        outcomes.append(_rule_ev_or_charger(ctx))
    if req.export_permission_g99:
        outcomes.append(_rule_g99(ctx))
    if tariff.add_on is not None:
        outcomes.append(_rule_import_tariff(ctx))
        if tariff.add_on.incompatible_export:
            outcomes.append(_rule_export_tariff(ctx))
    usage = data.usage.get(tariff.code)
    if usage is not None:
        rules = usage.compliance_rules()
        if usage.min_soc_below_percent is not None:
            outcomes.append(_rule_min_soc(ctx, usage))
        outcomes += [_rule_plug_in(ctx, rules), _rule_monthly_charge(ctx, rules)]
    return Verdict(customer.customer_id, tariff.code, tariff.name, tuple(outcomes))


def check_all(customer: Customer, catalogue: Catalogue, *, data: RulesData | None = None) -> tuple[Verdict, ...]:
    """The verdict for every tariff of ``catalogue`` (imports, exports and add-ons), in catalogue order."""
    return tuple(check_eligibility(customer, t, catalogue=catalogue, data=data) for t in catalogue)


def v2g_add_on(catalogue: Catalogue) -> Tariff:
    """The catalogue's V2G add-on (the add-on whose requirements include V2G hardware)."""
    for tariff in catalogue.add_ons():
        if tariff.requirements.v2g_hardware:
            return tariff
    raise OperationsError("the catalogue has no V2G add-on (an add_on tariff with v2g_hardware = true)")


