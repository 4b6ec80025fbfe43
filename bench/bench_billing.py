"""Billing benchmarks, each beside a baseline measured in the same run.

1. One household-year billed under the whole catalogue (every applicable supply), flows precomputed:
   median time, against ``numpy.dot`` over the same arrays (one dot product per supply and flow) as the
   memory-bound floor. Goal: ≤ 10 ms.
2. Fleet billing throughput (half-hour rows per second) of :func:`evflex.billing.fleet.bill_fleet` on a
   (households × periods) matrix, against ``numpy.dot`` (matrix × price vector) over the same matrix.
   Goal: ≥ 30% of the ``numpy.dot`` rate.

Run: ``python -m bench.bench_billing`` (or ``make bench`` for every benchmark). ``--quick`` for a short run.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import numpy as np

from bench._timing import fmt_time, median_seconds
from evflex.billing import BillingContext, Supply, bill
from evflex.billing.fleet import bill_fleet
from evflex.compare.annual import applicable_supplies, policy_for
from evflex.compare.runner import household_facts
from evflex.household import default_household, simulate
from evflex.periods import local_year
from evflex.tariffs.catalogue import load_catalogue

AS_OF = datetime(2026, 11, 23, 12, tzinfo=UTC)


def bench_catalogue(repeats: int) -> None:
    household = default_household()
    timeline = local_year(2023)
    rng = np.random.default_rng(0)
    agile = 15 + 10 * rng.standard_normal(timeline.n_periods)  # stands in for real prices: timing only
    ctx = BillingContext(household.region, 0.05, AS_OF, {"agile_import": agile, "agile_export": agile * 0.5})
    supplies, _ = applicable_supplies(load_catalogue(), household_facts(household))
    flows = []
    for supply in supplies:
        spec = policy_for(supply, timeline, ctx)
        flows.append(
            simulate(household, timeline, spec.name, spec.price_p_per_kwh, spec.window_mask, spec.preferred_mask)
        )
    pairs: list[tuple[Supply, object]] = list(zip(supplies, flows, strict=True))

    def bill_all() -> None:
        for supply, f in pairs:
            bill(supply, f, ctx)  # type: ignore[arg-type]

    arrays = [np.asarray(f.meter_import_kwh) for f in flows]  # type: ignore[attr-defined]
    prices = [agile for _ in arrays]

    def dot_all() -> None:
        for a, p in zip(arrays, prices, strict=True):
            np.dot(a, p)

    t_bill = median_seconds(bill_all, repeats)
    t_dot = median_seconds(dot_all, repeats * 5)
    print(f"catalogue: {len(pairs)} supplies × {timeline.n_periods:,} half-hours (one household-year)")
    print(
        f"  evflex bill() for every supply    {fmt_time(t_bill)}   goal ≤ 10 ms: "
        f"{'met' if t_bill <= 0.010 else 'NOT met'}"
    )
    print(f"  numpy.dot per supply (baseline)   {fmt_time(t_dot)}   ratio bill/dot = {t_bill / t_dot:,.0f}×")
    print(f"  per supply                        {fmt_time(t_bill / len(pairs))}")


def bench_fleet(households: int, repeats: int) -> None:
    timeline = local_year(2023)
    rng = np.random.default_rng(1)
    matrix = rng.gamma(1.5, 0.25, (households, timeline.n_periods))
    catalogue = load_catalogue()
    ctx = BillingContext("C", 0.05, AS_OF)
    supply = Supply(catalogue.get("OCTOPUS-GO"))
    price = np.ascontiguousarray(rng.random(timeline.n_periods))
    rows = households * timeline.n_periods

    t_fleet = median_seconds(lambda: bill_fleet(supply, matrix, ctx, timeline), repeats)
    t_dot = median_seconds(lambda: matrix @ price, repeats)
    fleet_rate, dot_rate = rows / t_fleet, rows / t_dot
    print(
        f"fleet: {households:,} households × {timeline.n_periods:,} half-hours = {rows:,} rows, "
        f"{supply.import_tariff.name} (two bands)"
    )
    print(f"  evflex bill_fleet()               {fmt_time(t_fleet)}   {fleet_rate / 1e6:8.1f} M rows/s")
    print(f"  numpy.dot matrix @ price (base)   {fmt_time(t_dot)}   {dot_rate / 1e6:8.1f} M rows/s")
    ratio = fleet_rate / dot_rate
    print(f"  fleet rate / numpy.dot rate = {ratio:.0%}   goal ≥ 30%: {'met' if ratio >= 0.30 else 'NOT met'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a smaller fleet")
    args = parser.parse_args(argv)
    repeats = 5 if args.quick else 21
    bench_catalogue(repeats)
    bench_fleet(200 if args.quick else 1000, 3 if args.quick else 7)


if __name__ == "__main__":
    main()
