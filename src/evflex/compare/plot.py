"""PNG chart of a comparison: annual cost per supply, and a typical day's unit rates."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import numpy as np

from evflex.billing import BillingContext, resolve_prices
from evflex.compare.annual import Comparison
from evflex.periods import LONDON, Timeline, local_day
from evflex.tariffs.model import Structure

__all__ = ["plot_comparison"]


def _typical_day(timeline: Timeline) -> Timeline:
    """A mid-January weekday inside the timeline (winter: the peak matters most), else its first full day."""
    start = timeline.start.astimezone(LONDON).date()
    for candidate in (date(start.year, 1, 18), date(start.year + 1, 1, 18)):
        day = local_day(candidate)
        if timeline.start <= day.start and day.end <= timeline.end:
            return day
    return local_day(start)


def plot_comparison(comparison: Comparison, ctx: BillingContext, path: Path, max_rows: int = 16) -> Path:
    """Write the chart to ``path`` atomically (a temporary file renamed into place)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = comparison.results[:max_rows]
    fig, (ax_cost, ax_rate) = plt.subplots(
        1, 2, figsize=(15, max(5.0, 0.42 * len(rows) + 2)), gridspec_kw={"width_ratios": [1.15, 1]}
    )
    names = [r.supply.name + (" *" if r.indicative else "") for r in rows][::-1]
    costs = [float(r.annual_cost_gbp) for r in rows][::-1]
    colours = ["#2a9d8f" if r.saving_gbp > 0 else "#e76f51" if r.saving_gbp < 0 else "#264653" for r in rows][::-1]
    bars = ax_cost.barh(names, costs, color=colours)
    for bar, cost in zip(bars, costs, strict=True):
        ax_cost.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" £{cost:,.0f}", va="center", fontsize=8)
    ax_cost.set_xlabel("annual cost, £ (inc VAT)")
    ax_cost.set_title(f"Annual cost vs baseline: {comparison.baseline}\n(* = indicative rates)", fontsize=10)
    ax_cost.set_xlim(0, max(costs, default=1) * 1.18)
    ax_cost.tick_params(axis="y", labelsize=8)

    day = _typical_day(comparison.timeline)
    offset = comparison.timeline.index_of(day.start)
    hours = np.arange(day.n_periods) * day.period_hours
    day_ctx = BillingContext(
        ctx.region,
        ctx.vat_fraction
        if np.ndim(ctx.vat_fraction) == 0
        else np.asarray(ctx.vat_fraction)[offset : offset + day.n_periods],
        ctx.as_of,
        {k: np.asarray(v)[offset : offset + day.n_periods] for k, v in ctx.series.items()},
    )
    seen: set[str] = set()
    for r in rows:
        tariff = r.supply.import_tariff
        if tariff.code in seen or tariff.structure is Structure.ADD_ON:
            continue
        seen.add(tariff.code)
        plan = resolve_prices(tariff, day, day_ctx)
        inc_vat = plan.unit_rate_p_per_kwh * (1 + day_ctx.vat_over(day))
        ax_rate.step(hours, inc_vat, where="post", label=tariff.name, linewidth=1.2)
    ax_rate.set_xlabel(f"local time on {day.start.astimezone(LONDON):%a %d %b %Y} (hours)")
    ax_rate.set_ylabel("unit rate, p/kWh inc VAT")
    ax_rate.set_xticks(range(0, 25, 3))
    ax_rate.set_title("A typical day's import rates", fontsize=10)
    ax_rate.grid(alpha=0.3)
    ax_rate.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    fig.tight_layout()

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
