"""PNG charts of schedules (matplotlib, Agg backend), written atomically.

* :func:`plot_week`: a week of a simulated year: prices, carbon (forecast and actual), power and SoC of
  each strategy, plugged-in time shaded.
* :func:`plot_schedule`: one solved problem: signals, charge/discharge power and SoC against the floor,
  the ceiling and the targets.

Figures are rendered to memory and written with :func:`evflex.cli_support.write_atomic` (a temporary
file renamed into place), so a failed run never leaves half a PNG behind.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.cli_support import write_atomic
from evflex.periods import LONDON
from evflex.schedule.problem import ScheduleProblem
from evflex.schedule.result import ScheduleResult
from evflex.schedule.simulate import SimulationError, SimulationResult

__all__ = ["plot_schedule", "plot_week", "week_span"]

_STYLES: dict[str, dict[str, Any]] = {
    "dumb": {"color": "#e76f51", "ls": "-", "lw": 1.1},
    "smart": {"color": "#2a9d8f", "ls": "-", "lw": 2.2, "alpha": 0.8},
    "v2g": {"color": "#264653", "ls": "-", "lw": 1.0},
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path, plt: Any) -> Path:
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=110)
    finally:
        plt.close(fig)
    return write_atomic(path, buffer.getvalue())


def week_span(result: SimulationResult, first_day: date, days: int = 7) -> slice:
    """The periods of ``days`` local days from ``first_day``; an error if they leave the simulated span."""
    timeline = result.timeline
    start = datetime.combine(first_day, time(0), tzinfo=LONDON)
    end = datetime.combine(first_day + timedelta(days=days), time(0), tzinfo=LONDON)
    first_local = timeline.start.astimezone(LONDON).date()
    last_local = (timeline.end - timedelta(minutes=1)).astimezone(LONDON).date()
    if start < timeline.start or end > timeline.end:
        raise SimulationError(
            f"week {first_day.isoformat()}–{(first_day + timedelta(days=days - 1)).isoformat()} is outside the "
            f"simulated span {first_local.isoformat()}–{last_local.isoformat()}: choose a start date whose "
            f"{days} days lie inside it"
        )
    return slice(timeline.index_of(start), timeline.index_of(end - timedelta(minutes=1)) + 1)


def _local_times(result: SimulationResult, span: slice) -> npt.NDArray[np.datetime64]:
    """Local wall-clock period starts (naive datetime64) plus the end of the last period, for step plots."""
    timeline = result.timeline
    offsets = timeline.local().utc_offset_minutes[span]
    starts = timeline.starts()[span] + offsets.astype("timedelta64[m]")
    end = starts[-1:] + np.timedelta64(timeline.period_minutes, "m")
    out: npt.NDArray[np.datetime64] = np.concatenate([starts, end])
    return out


def _steps(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    out: npt.NDArray[np.float64] = np.append(array, array[-1:])
    return out


def plot_week(results: Sequence[SimulationResult], first_day: date, path: Path, *, days: int = 7) -> Path:
    """Prices, carbon, power and SoC of each strategy over ``days`` local days from ``first_day``."""
    if not results:
        raise SimulationError("nothing to plot: no strategy results")
    base = results[0]
    span = week_span(base, first_day, days)
    x = _local_times(base, span)
    s = base.signals
    plt = _pyplot()
    fig, axes = plt.subplots(4, 1, figsize=(13, 11), sharex=True, gridspec_kw={"height_ratios": [1, 0.8, 1.2, 1]})
    ax_price, ax_carbon, ax_power, ax_soc = axes
    ax_price.step(x, _steps(s.import_price_p_per_kwh[span]), where="post", color="#1d3557", lw=1.1, label="import")
    ax_price.step(x, _steps(s.export_price_p_per_kwh[span]), where="post", color="#e9c46a", lw=1.1, label="export")
    ax_price.set_ylabel("p/kWh")
    ax_price.axhline(0, color="0.6", lw=0.6)
    ax_price.legend(loc="upper right", fontsize=8, ncol=2)
    forecast = _steps(s.carbon_forecast_g_per_kwh[span])
    ax_carbon.step(x, forecast, where="post", color="0.55", ls="--", lw=1, label="forecast (plans)")
    ax_carbon.step(
        x, _steps(s.carbon_actual_g_per_kwh[span]), where="post", color="#6a994e", lw=1.1, label="actual (outcome)"
    )
    ax_carbon.set_ylabel("gCO2/kWh")
    ax_carbon.legend(loc="upper right", fontsize=8, ncol=2)

    plugged = base.plugged[span]
    for ax in axes:
        _shade(ax, x, plugged)
    battery = base.setup.battery
    usable = battery.usable_kwh
    for result in results:
        style = _STYLES.get(result.strategy.kind.value, {})
        week_cost = float(
            s.import_price_p_per_kwh[span] @ result.grid_import_kwh[span]
            - s.export_price_p_per_kwh[span] @ result.grid_export_kwh[span]
        )
        power = result.charge_kw[span] - result.discharge_kw[span]
        label = f"{result.strategy.label} (week £{week_cost / 100:.2f} at the meter)"
        ax_power.step(x, _steps(power), where="post", label=label, **style)
        ax_soc.plot(x, 100.0 * result.soc_kwh[span.start : span.stop + 1] / usable, **style)
    ax_power.axhline(0, color="0.6", lw=0.6)
    ax_power.set_ylabel("charger kW\n(+ charge, − discharge)")
    ax_power.legend(loc="lower right", fontsize=8)
    ax_soc.axhline(100 * battery.soc_min_kwh / usable, color="#e63946", ls=":", lw=1, label="floor")
    ax_soc.axhline(100 * base.setup.target_soc_kwh / usable, color="0.4", ls="--", lw=0.8, label="target at departure")
    ax_soc.set_ylabel("SoC, % of usable")
    ax_soc.set_ylim(0, 100)
    ax_soc.legend(loc="lower right", fontsize=8)
    ax_soc.set_xlabel("local time (Europe/London); shaded: plugged in")
    mdates: Any = importlib.import_module("matplotlib.dates")  # untyped module
    ax_soc.xaxis.set_major_locator(mdates.DayLocator())
    ax_soc.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b"))
    ax_soc.xaxis.set_minor_locator(mdates.HourLocator(byhour=[6, 12, 18]))
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle(
        f"{base.setup.description}\nweek from {first_day:%a %d %b %Y}: prices as paid, carbon planned on the "
        "forecast and judged on the actual",
        fontsize=9,
    )
    fig.tight_layout()
    return _save(fig, path, plt)


def _shade(ax: Any, x: npt.NDArray[Any], mask: npt.NDArray[np.bool_]) -> None:
    edges = np.diff(mask.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        ax.axvspan(x[a], x[b], color="0.93", zorder=0, lw=0)


def plot_schedule(problem: ScheduleProblem, result: ScheduleResult, path: Path) -> Path:
    """Signals (top) and charge/discharge power with the SoC (bottom) of one solved problem."""
    plt = _pyplot()
    n, dt = problem.n_periods, problem.period_hours
    hours = np.arange(n + 1) * dt
    fig, (ax_sig, ax_pow) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    ax_sig.step(hours, _steps(problem.import_price_p_per_kwh), where="post", color="#1d3557", label="import p/kWh")
    if problem.export_value_p_per_kwh is not None:
        ax_sig.step(hours, _steps(problem.export_value_p_per_kwh), where="post", color="#e9c46a", label="export p/kWh")
    ax_sig.set_ylabel("p/kWh")
    ax_sig.legend(loc="upper left", fontsize=8)
    if problem.carbon_g_per_kwh is not None:
        ax_c = ax_sig.twinx()
        ax_c.step(hours, _steps(problem.carbon_g_per_kwh), where="post", color="#6a994e", ls="--", label="gCO2/kWh")
        ax_c.set_ylabel("gCO2/kWh")
        ax_c.legend(loc="upper right", fontsize=8)
    mids = hours[:-1] + dt / 2
    plugged = problem.plugged_mask()
    for ax in (ax_sig, ax_pow):
        _shade(ax, hours, plugged)
    ax_pow.bar(mids, result.charge_kw, width=dt * 0.9, color="#2a9d8f", label="charge kW")
    ax_pow.bar(mids, -result.discharge_kw, width=dt * 0.9, color="#e76f51", label="discharge kW")
    ax_pow.axhline(0, color="0.6", lw=0.6)
    ax_pow.set_ylabel("kW at the charger")
    ax_pow.set_xlabel(f"hours from the start ({problem.period_minutes}-minute periods); shaded: plugged in")
    ax_soc = ax_pow.twinx()
    ax_soc.plot(hours, result.soc_kwh, color="#264653", lw=1.5, label="SoC kWh")
    b = problem.battery
    ax_soc.axhline(b.soc_min_kwh, color="#e63946", ls=":", lw=1, label="floor")
    ax_soc.axhline(b.soc_max_kwh, color="0.5", ls=":", lw=1, label="ceiling")
    for s in problem.sessions:
        if s.target_soc_kwh > 0:
            ax_soc.plot([s.departure_period * dt], [s.target_soc_kwh], "v", color="0.3", ms=7)
    ax_soc.set_ylabel("SoC, kWh (▼ target at departure)")
    ax_soc.set_ylim(0, b.usable_kwh * 1.05)
    ax_pow.legend(loc="upper left", fontsize=8)
    ax_soc.legend(loc="upper right", fontsize=8)
    for ax in (ax_sig, ax_pow):
        ax.grid(alpha=0.3)
    fig.suptitle(
        f"status {result.status.value}; net cost {result.net_cost_p:.1f} p + wear {result.wear_cost_p:.1f} p"
        + (f"; shortfall {result.shortfall_kwh:.2f} kWh" if result.shortfall_kwh else ""),
        fontsize=10,
    )
    fig.tight_layout()
    return _save(fig, path, plt)
