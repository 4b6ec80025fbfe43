"""Bill many households at once under one supply: one pass over a (households × periods) matrix.

Every per-band quantity a bill needs is a weighted sum over periods, so all of them come out of a single
matrix product ``kwh @ W`` where the columns of ``W`` are the band masks, the band masks times the unit
rate, and the unit rate times the VAT rate. Reading the consumption matrix once is the memory-bound limit
(the same traffic as one ``numpy.dot``), which ``bench/bench_billing.py`` measures against.

The result matches :func:`evflex.billing.engine.bill` household by household (tested); only plain
supplies and supplies without dispatched smart slots are billed here (slots differ per household).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evflex.billing.bill import Bill, BillLine, LineKind
from evflex.billing.engine import Supply
from evflex.billing.money import gbp_from_pence
from evflex.billing.prices import BillingContext, resolve_prices, standing_charge_per_day
from evflex.periods import Timeline
from evflex.tariffs.model import TariffError

__all__ = ["FleetBill", "bill_fleet"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class FleetBill:
    """Per-household results as arrays (pence exc VAT unless stated); ``bill(i)`` gives household i's Bill."""

    supply: Supply
    timeline: Timeline
    band_names: tuple[str, ...]
    band_kwh: FloatArray
    """(households, bands) kWh imported per band."""
    band_cost_pence: FloatArray
    standing_pence: float
    vat_pence: FloatArray
    export_kwh: FloatArray
    export_credit_pence: FloatArray
    total_pence: FloatArray
    """Exact (unrounded) total inc VAT per household."""
    has_vat: bool

    def bill(self, i: int) -> Bill:
        single = len(self.band_names) == 1
        lines = [
            BillLine(
                LineKind.ENERGY,
                "Electricity" if single else f"Electricity, {band}",
                float(self.band_kwh[i, b]),
                "kWh",
                gbp_from_pence(float(self.band_cost_pence[i, b])),
                "smart meter import",
                band,
            )
            for b, band in enumerate(self.band_names)
            if single or self.band_kwh[i, b] != 0.0
        ]
        if self.supply.import_tariff.standing_charge is not None:
            lines.append(
                BillLine(
                    LineKind.STANDING_CHARGE,
                    "Standing charge",
                    float(self.timeline.n_local_days()),
                    "days",
                    gbp_from_pence(self.standing_pence),
                )
            )
        if self.supply.export_tariff is not None and self.export_kwh[i] > 0:
            lines.append(
                BillLine(
                    LineKind.EXPORT_CREDIT,
                    f"Export ({self.supply.export_tariff.name})",
                    float(self.export_kwh[i]),
                    "kWh",
                    -gbp_from_pence(float(self.export_credit_pence[i])),
                    "smart meter export",
                    self.supply.export_tariff.bands[0].name if self.supply.export_tariff.bands else "half-hourly",
                )
            )
        if self.has_vat:
            rounded = sum((line.amount_gbp for line in lines), gbp_from_pence(0.0))
            lines.append(BillLine(LineKind.VAT, "VAT", 0.0, "", gbp_from_pence(float(self.total_pence[i])) - rounded))
        return Bill(self.supply.name, self.timeline.start, self.timeline.end, tuple(lines))


def _constant(values: FloatArray) -> bool:
    return bool(values.size == 0 or values.min() == values.max())


def _energy_sums(
    imp: FloatArray, band_index: npt.NDArray[np.int8], n_bands: int, unit: FloatArray, vat: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """kWh and cost (pence) per household and band, and the energy VAT, from one product ``imp @ W``.

    ``W`` gets as few columns as the tariff allows (a tall-skinny product costs more per column): the
    last band's kWh is the total minus the others; where every band has one rate (rates frozen ``as_of``,
    or undated) costs are rate × kWh and need no columns; a constant VAT rate needs no column either.
    """
    masks = [(band_index == b).astype(np.float64) for b in range(n_bands)]
    per_band_rate = [unit[m == 1.0] for m in masks]
    rates_constant = all(_constant(r) for r in per_band_rate)
    vat_constant = _constant(vat)
    columns = [*masks[:-1], np.ones(imp.shape[1])]
    if not rates_constant:
        columns += [m * unit for m in masks]
    if not vat_constant:
        columns.append(unit * vat)
    sums = imp @ np.column_stack(columns)  # the one pass over the consumption matrix
    band_kwh = np.empty((imp.shape[0], n_bands))
    band_kwh[:, :-1] = sums[:, : n_bands - 1]
    band_kwh[:, -1] = sums[:, n_bands - 1] - sums[:, : n_bands - 1].sum(axis=1)
    if rates_constant:
        rates = np.array([r[0] if r.size else 0.0 for r in per_band_rate])
        band_cost = band_kwh * rates
    else:
        band_cost = sums[:, n_bands : 2 * n_bands]
    energy_vat = band_cost.sum(axis=1) * vat[0] if vat_constant and vat.size else sums[:, -1]
    return band_kwh, band_cost, np.asarray(energy_vat, dtype=np.float64)


def bill_fleet(
    supply: Supply,
    import_kwh: FloatArray,
    ctx: BillingContext,
    timeline: Timeline,
    export_kwh: FloatArray | None = None,
) -> FleetBill:
    """Bill every row of ``import_kwh`` (households × periods, smart-meter import) under ``supply``."""
    if supply.add_on is not None:
        raise TariffError("fleet billing covers plain supplies; bill add-on customers one by one with bill()")
    imp = np.asarray(import_kwh, dtype=np.float64)
    if imp.ndim != 2 or imp.shape[1] != timeline.n_periods:
        raise TariffError(f"import_kwh must be (households, {timeline.n_periods}); got {imp.shape}")
    plan = resolve_prices(supply.import_tariff, timeline, ctx)
    vat = ctx.vat_over(timeline) if supply.import_tariff.vat_applies else np.zeros(timeline.n_periods)
    band_kwh, band_cost, energy_vat = _energy_sums(
        imp, plan.band_index, len(plan.band_names), plan.unit_rate_p_per_kwh, vat
    )

    days_pence, firsts = standing_charge_per_day(supply.import_tariff, timeline, ctx)
    standing = float(days_pence.sum())
    vat_pence = energy_vat + float(days_pence @ vat[firsts])
    households = imp.shape[0]
    exp_kwh = np.zeros(households)
    exp_credit = np.zeros(households)
    if export_kwh is not None and supply.export_tariff is not None:
        exp = np.asarray(export_kwh, dtype=np.float64)
        if exp.shape != imp.shape:
            raise TariffError(f"export_kwh has shape {exp.shape}; import_kwh has {imp.shape}")
        exp_price = resolve_prices(supply.export_tariff, timeline, ctx).unit_rate_p_per_kwh
        both = exp @ np.column_stack([np.ones(timeline.n_periods), exp_price])
        exp_kwh, exp_credit = both[:, 0], both[:, 1]
    total = band_cost.sum(axis=1) + standing + vat_pence - exp_credit
    return FleetBill(
        supply,
        timeline,
        plan.band_names,
        band_kwh,
        band_cost,
        standing,
        vat_pence,
        exp_kwh,
        exp_credit,
        total,
        bool(vat.any()),
    )
