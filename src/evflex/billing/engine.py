"""The half-hourly billing engine: one supply (import tariff, optional export tariff, optional add-on).

Plain supplies bill what the smart meter saw: import by band at the import tariff, export at the export
tariff. Under an add-on the car is separated from the home (DESIGN.md): the home's own net draw is derived
per period from the balance (``meter_import − meter_export − ev_charge + ev_discharge``), its positive part
billed by the base tariff and its negative part (solar/battery) paid at the export tariff; the charger's
EV charging is priced at the home rates and then credited down to the add-on's EV rate (zero for the V2G
add-on); energy exported from the car is shown as free-miles energy and unpaid. VAT is applied per period
(the VAT rate can change mid-bill) on the import side only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evflex.billing.bill import Bill, BillLine, LineKind
from evflex.billing.money import gbp_from_pence
from evflex.billing.prices import BillingContext, PricePlan, resolve_prices, standing_charge_per_day
from evflex.household.flows import Flows
from evflex.tariffs.model import Direction, Structure, Tariff, TariffError

__all__ = ["IncompatibleSupplyError", "Supply", "bill"]

FloatArray = npt.NDArray[np.float64]


class IncompatibleSupplyError(TariffError):
    """An add-on or export tariff cannot be combined with the chosen import tariff."""


@dataclass(frozen=True, slots=True)
class Supply:
    """What a household pays under: an import tariff, optionally an export tariff and an add-on."""

    import_tariff: Tariff
    export_tariff: Tariff | None = None
    add_on: Tariff | None = None

    def __post_init__(self) -> None:
        imp, exp, add = self.import_tariff, self.export_tariff, self.add_on
        if imp.direction is not Direction.IMPORT or imp.structure is Structure.ADD_ON:
            raise IncompatibleSupplyError(f"{imp.code} is not an import tariff")
        if exp is not None and exp.direction is not Direction.EXPORT:
            raise IncompatibleSupplyError(f"{exp.code} is not an export tariff")
        if add is not None:
            if add.add_on is None:
                raise IncompatibleSupplyError(f"{add.code} is not an add-on")
            if not add.add_on.import_compatible(imp.code):
                raise IncompatibleSupplyError(
                    f"{add.name} cannot sit on {imp.name} ({imp.code}); switch import tariff first"
                )
            if exp is not None and not add.add_on.export_compatible(exp.code):
                raise IncompatibleSupplyError(f"{add.name} cannot be combined with the export tariff {exp.name}")

    @property
    def name(self) -> str:
        name = self.import_tariff.name
        if self.add_on is not None:
            name += f" + {self.add_on.name}"
        return name

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in (self.import_tariff, self.add_on, self.export_tariff) if t is not None)


def _band_lines(
    kind: LineKind, label: str, meter: str, quantity_kwh: FloatArray, plan: PricePlan
) -> tuple[list[BillLine], FloatArray]:
    """One line per band present; returns the lines and the per-period cost in pence (exc VAT)."""
    cost = quantity_kwh * plan.unit_rate_p_per_kwh
    lines: list[BillLine] = []
    single = len(plan.band_names) == 1
    kwh_by_band, pence_by_band = plan.band_sums(quantity_kwh), plan.band_sums(cost)
    for i, band in enumerate(plan.band_names):
        kwh = float(kwh_by_band[i])
        if kwh == 0.0 and not single:
            continue
        text = label if single else f"{label}, {band}"
        lines.append(BillLine(kind, text, kwh, "kWh", gbp_from_pence(float(pence_by_band[i])), meter, band))
    return lines, cost


def bill(supply: Supply, flows: Flows, ctx: BillingContext) -> Bill:
    """Bill ``flows`` under ``supply``. Each line is rounded once; the total is the sum of the lines."""
    timeline = flows.timeline
    imp = supply.import_tariff
    plan = resolve_prices(imp, timeline, ctx, flows.smart_slots)
    vat = ctx.vat_over(timeline) if imp.vat_applies else np.zeros(timeline.n_periods)
    lines: list[BillLine] = []
    notes: list[str] = []
    addon = supply.add_on.add_on if supply.add_on is not None else None

    if addon is None:
        energy, import_cost = _band_lines(
            LineKind.ENERGY,
            "Electricity",
            flows.provenance.get("meter_import_kwh", "smart meter import"),
            flows.meter_import_kwh,
            plan,
        )
        lines += energy
        export_kwh, export_meter = (
            flows.meter_export_kwh,
            flows.provenance.get("meter_export_kwh", "smart meter export"),
        )
    else:
        assert supply.add_on is not None
        home_meter = "derived: meter import − export − EV charge + EV discharge (charger)"
        energy, home_cost = _band_lines(LineKind.ENERGY, "Home electricity", home_meter, flows.home_import_kwh(), plan)
        ev_lines, ev_cost = _band_lines(
            LineKind.EV_CHARGING, "EV charging at home rates", "charger", flows.ev_charge_kwh, plan
        )
        ev_rate = addon.ev_rate.for_region(ctx.region).over(timeline, ctx.as_of)
        credit = ev_cost - flows.ev_charge_kwh * ev_rate
        ev_kwh = float(flows.ev_charge_kwh.sum())
        rate_note = "free" if not ev_rate.any() else f"re-priced at {ev_rate.mean():.2f} p/kWh"
        lines += energy + ev_lines
        lines.append(
            BillLine(
                LineKind.EV_CREDIT,
                f"{supply.add_on.name}: EV charging {rate_note}",
                ev_kwh,
                "kWh",
                -gbp_from_pence(float(credit.sum())),
                "charger",
            )
        )
        import_cost = home_cost + ev_cost - credit
        if addon.car_export_paid:
            export_kwh, export_meter = flows.meter_export_kwh, "smart meter export"
        else:
            export_kwh, export_meter = flows.home_export_kwh(), "derived: meter export not from the car"
            car_kwh = float(flows.ev_discharge_kwh.sum())
            if car_kwh > 0:
                lines.append(
                    BillLine(
                        LineKind.CAR_EXPORT,
                        "Energy from the car (free miles, unpaid)",
                        car_kwh,
                        "kWh",
                        gbp_from_pence(0.0),
                        "charger",
                    )
                )

    days_pence, firsts = standing_charge_per_day(imp, timeline, ctx)
    if days_pence.size:
        lines.append(
            BillLine(
                LineKind.STANDING_CHARGE,
                "Standing charge",
                float(days_pence.size),
                "days",
                gbp_from_pence(float(days_pence.sum())),
                "",
            )
        )
    total_pence = float(import_cost.sum()) + float(days_pence.sum())

    exp = supply.export_tariff
    if exp is not None:
        exp_plan = resolve_prices(exp, timeline, ctx)
        exp_lines, exp_cost = _band_lines(
            LineKind.EXPORT_CREDIT, f"Export ({exp.name})", export_meter, export_kwh, exp_plan
        )
        lines += [
            BillLine(x.kind, x.label, x.quantity, x.unit, -x.amount_gbp, x.meter, x.band)
            for x in exp_lines
            if x.quantity > 0
        ]
        total_pence -= float(exp_cost.sum())
    elif float(export_kwh.sum()) > 0:
        notes.append(f"{float(export_kwh.sum()):,.1f} kWh exported with no export tariff: unpaid")

    # VAT on the import side, period by period (the rate can change mid-bill). The VAT line takes the
    # rounding of the other lines so the total is the exact total rounded once (VAT charged on the total).
    vat_pence = float(np.einsum("t,t->", import_cost, vat)) + float(np.einsum("d,d->", days_pence, vat[firsts]))
    if vat.any():
        rounded = sum((line.amount_gbp for line in lines), gbp_from_pence(0.0))
        lines.append(BillLine(LineKind.VAT, "VAT", 0.0, "", gbp_from_pence(total_pence + vat_pence) - rounded, ""))
    return Bill(supply.name, timeline.start, timeline.end, tuple(lines), tuple(notes))
