"""``evflex simulate`` (a year of receding-horizon charging on real prices) and ``evflex schedule`` (one problem).

Both are adapters: they read files (the shared half-hourly data, a problem's JSON form), call the pure
core (:mod:`evflex.schedule.simulate`, :func:`evflex.schedule.solve`) and print tables, JSON or PNGs.
Bad input ends in one ``error:`` line and exit code 2 (:mod:`evflex.cli_support`).
"""

from __future__ import annotations

import json
import time as clock
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
import typer
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evflex.cli_support import console, err_console, fail, handle_errors, write_atomic
from evflex.household.ev import UsagePattern, charger_preset, vehicle_preset
from evflex.household.model import Household
from evflex.periods import LONDON, Timeline, local_days
from evflex.schedule._kernels import use_numba
from evflex.schedule.batch import schedule_many
from evflex.schedule.fast import solve
from evflex.schedule.lp import solve_lp
from evflex.schedule.problem import Objective, ObjectiveKind, ScheduleProblem
from evflex.schedule.result import ScheduleResult
from evflex.schedule.simulate import (
    SimulationResult,
    SimulationSignals,
    Strategy,
    StrategyKind,
    simulate,
    vehicle_setup,
)
from evflex.schedule.smart import smart_charge
from evflex.signals.agile import CONSTANTS, peak_mask, region_shift
from evflex.signals.series import SignalError, SignalSeries, fill_gaps, mask_suspicious
from evflex.signals.shared_data import (
    ENV_VAR,
    find_shared_data,
    load_agile_import,
    load_agile_outgoing,
    load_carbon_intensity,
)

__all__ = ["load_year_signals", "schedule_command", "simulate_command"]

FloatArray = npt.NDArray[np.float64]
IMPORT_REGION = "J"
"""The shared data's Agile import file is region J (South Eastern England)."""
OUTGOING_REGION = "C"
"""The shared data's Agile Outgoing file is region C (London)."""
OUTGOING_MODES = ("published-c", "formula")
MAX_FILLED_SHARE = 0.02
"""Price series with more than this share of periods missing are refused rather than filled."""


# -- data (file I/O) ------------------------------------------------------------------------------------
def _filled_prices(series: SignalSeries, what: str, span: str) -> tuple[FloatArray, list[str]]:
    """Fill a price series' few gaps from the previous day; refuse a series that mostly is not there."""
    missing = int(series.missing_mask.sum())
    if missing == 0:
        return np.asarray(series.values), []
    n = series.timeline.n_periods
    if missing > MAX_FILLED_SHARE * n:
        raise SignalError(
            f"{what} covers only {n - missing:,} of the {n:,} half-hours of {span}: choose a span inside the "
            "data (2023 is complete in the shared files)"
        )
    filled = fill_gaps(series, "previous-day-same-period")
    if np.isnan(filled.series.values).any():
        raise SignalError(f"{what}: {filled.description.splitlines()[-1]}; choose a span inside the data")
    return np.asarray(filled.series.values), [f"{what}: " + filled.description.replace("\n", "; ")]


def _outgoing_by_formula(published_c: FloatArray, timeline: Timeline, region: str) -> tuple[FloatArray, str]:
    """Region ``region``'s Agile Outgoing from the wholesale price implied by region C's published prices."""
    c, r = CONSTANTS[OUTGOING_REGION], CONSTANTS[region]
    peak = peak_mask(timeline)
    wholesale = (published_c - c.outgoing_adder_p - c.outgoing_peak_p * peak) / c.outgoing_multiplier
    derived = np.maximum(r.outgoing_multiplier * wholesale + r.outgoing_adder_p + r.outgoing_peak_p * peak, 0.0)
    floored = published_c <= 0.0
    derived[floored] = 0.0  # C at its 0p floor: W unknown below; exact off-peak, a lower bound in the peak
    return derived, (
        f"Agile Outgoing region {region}: max(0, {r.outgoing_multiplier:g}·W + {r.outgoing_adder_p:g} + "
        f"{r.outgoing_peak_p:g}·peak) with W = (C − {c.outgoing_adder_p:g} − {c.outgoing_peak_p:g}·peak)/"
        f"{c.outgoing_multiplier:g} implied by region C's published prices (constants indicative, not published "
        f"by Octopus); {int(floored.sum())} periods where C sat at 0p taken as 0"
    )


def _span(timeline: Timeline) -> str:
    """``2023-01-01…2023-12-31``: the local days a timeline covers."""
    last = (timeline.end - timedelta(minutes=1)).astimezone(LONDON)
    return f"{timeline.start.astimezone(LONDON):%Y-%m-%d}…{last:%Y-%m-%d}"


def load_year_signals(
    root: Path, timeline: Timeline, region: str, outgoing: str, home_load_kwh: FloatArray | None
) -> SimulationSignals:
    """Agile import (inc VAT, as published), Agile Outgoing, carbon forecast/actual over ``timeline``."""
    span = _span(timeline)
    notes: list[str] = []
    agile = load_agile_import(root, region=IMPORT_REGION, timeline=timeline)
    if region == IMPORT_REGION:
        prices, fills = _filled_prices(agile.inc_vat, "Agile import J", span)
        notes.append(f"Agile import: published region-J prices {span}, inc 5% VAT as published")
    else:
        shifted = region_shift(agile.inc_vat, region, from_region=IMPORT_REGION)
        prices, fills = _filled_prices(shifted, f"Agile import {region}", span)
        notes.append(
            f"Agile import: region {region} re-derived from region J's published prices by the Agile formula "
            "(approximate where J did not follow it, e.g. the price holds of H1 2023), inc 5% VAT"
        )
    notes += fills
    published = load_agile_outgoing(root, region=OUTGOING_REGION, timeline=timeline)
    export, fills = _filled_prices(published, "Agile Outgoing C", span)
    notes += fills
    if outgoing == "formula" or region != OUTGOING_REGION:
        if outgoing == "formula":
            export, note = _outgoing_by_formula(export, timeline, region)
        else:
            note = (
                f"Agile Outgoing: region C's published prices used as they are for region {region} (the shared "
                f"data has no region-{region} Outgoing file; --outgoing formula derives {region}'s from them)"
            )
        notes.append(note)
    else:
        notes.append(f"Agile Outgoing: published region-C prices {span} (no VAT)")
    carbon = load_carbon_intensity(root, timeline=timeline)
    if carbon.actual is None:
        raise SignalError("the carbon intensity file has no actuals")
    forecast_raw = mask_suspicious(carbon.forecast)
    forecast = fill_gaps(forecast_raw, "previous-day-same-period")
    actual = fill_gaps(mask_suspicious(carbon.actual), "forecast-for-actual", forecast=forecast_raw)
    actual_full = fill_gaps(actual.series, "previous-day-same-period")
    for series in (forecast.series, actual_full.series):
        if np.isnan(series.values).any():
            raise SignalError(
                f"{series.name}: {series.report.n_missing} half-hours of {span} cannot be filled; choose a span "
                "inside the carbon data (2023)"
            )
    notes.append("carbon intensity: NESO national, plans on the file's forecast column, outcomes on its actual column")
    for what, raw in (("forecast", carbon.forecast), ("actual", carbon.actual)):
        found = [f"missing {r}" for r in raw.report.missing]
        found += [f"{flag} → treated as missing" for flag in raw.report.suspicious]
        if found:
            notes.append(f"carbon {what}: " + "; ".join(found))
    fills = [
        f"{what} {fill}"
        for what, filled in (("forecast", forecast), ("actual", actual_full))
        for fill in filled.series.report.filled
    ]
    if fills:
        notes.append("carbon filled (evflex.signals.fill_gaps): " + "; ".join(fills))
    return SimulationSignals(
        timeline,
        prices,
        export,
        np.asarray(forecast.series.values),
        np.asarray(actual_full.series.values),
        home_load_kwh,
        tuple(notes),
    )


# -- simulate -------------------------------------------------------------------------------------------
def _objective(kind: str, carbon_price: float) -> Objective:
    try:
        parsed = ObjectiveKind(kind)
    except ValueError:
        raise fail(f"--objective {kind!r}: use cost, carbon or blend") from None
    if parsed is ObjectiveKind.BLEND:
        if carbon_price <= 0:
            raise fail("--objective blend needs --carbon-price > 0 (p per kgCO2)")
        return Objective.blend(carbon_price)
    if carbon_price:
        raise fail("--carbon-price only applies to --objective blend")
    return Objective(parsed)


def _parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not a date: use YYYY-MM-DD (e.g. 2023-01-16)") from None


def _default_week(timeline: Timeline) -> date:
    first = timeline.start.astimezone(LONDON).date()
    last = (timeline.end - timedelta(minutes=1)).astimezone(LONDON).date()
    candidate = first + timedelta(days=14)
    candidate += timedelta(days=(7 - candidate.weekday()) % 7)  # the next Monday
    return candidate if candidate + timedelta(days=6) <= last else first


_SHORT = {StrategyKind.DUMB: "dumb", StrategyKind.SMART: "smart", StrategyKind.V2G: "V2G"}
_COLUMNS = (
    "strategy",
    "£\ncar",
    "kgCO2\ncar",
    "charged\nkWh",
    "discharged\nkWh",
    "exported\nkWh",
    "full\ncycles",
    "unmet\nkWh",
)


def _row(result: SimulationResult) -> list[str]:
    t = result.totals()
    return [
        _SHORT[result.strategy.kind],
        f"{t.car_cost_gbp:,.2f}",
        f"{t.car_carbon_kg:,.1f}",
        f"{t.ev_charge_kwh:,.0f}",
        f"{t.ev_discharge_kwh:,.0f}",
        f"{t.export_kwh:,.0f}",
        f"{t.full_cycle_equivalents:,.1f}",
        f"{t.unmet_kwh:,.2f}",
    ]


def _trace_csv(results: list[SimulationResult]) -> str:
    import polars as pl

    base = results[0]
    s = base.signals
    columns: dict[str, Any] = {
        "interval_start_utc": [f"{t}:00Z" for t in base.timeline.starts().astype(str)],
        "import_p_per_kwh": s.import_price_p_per_kwh,
        "export_p_per_kwh": s.export_price_p_per_kwh,
        "carbon_forecast_g_per_kwh": s.carbon_forecast_g_per_kwh,
        "carbon_actual_g_per_kwh": s.carbon_actual_g_per_kwh,
        "home_kwh": s.home_loads(),
        "plugged_in": base.plugged,
    }
    for r in results:
        k = r.strategy.kind.value
        columns |= {
            f"{k}_charge_kw": r.charge_kw,
            f"{k}_discharge_kw": r.discharge_kw,
            f"{k}_soc_kwh": r.soc_kwh[:-1],
            f"{k}_import_kwh": r.grid_import_kwh,
            f"{k}_export_kwh": r.grid_export_kwh,
        }
    return pl.DataFrame(columns).write_csv(float_precision=4)


@handle_errors
def simulate_command(
    year: Annotated[int, typer.Option(help="local calendar year (the shared data covers 2023 completely)")] = 2023,
    region: Annotated[str, typer.Option(help="GSP region letter; J uses the shared Agile prices directly")] = "J",
    miles: Annotated[float, typer.Option(help="annual miles driven on electricity", min=0)] = 8000.0,
    plug_in: Annotated[str, typer.Option(help="local plug-in window, arrival-departure")] = "18:00-07:30",
    weekdays: Annotated[str | None, typer.Option(help="plug-in days, e.g. mon-fri [default: every day]")] = None,
    every_n_days: Annotated[int, typer.Option(help="plug in only every n-th day", min=1)] = 1,
    home_kwh: Annotated[float, typer.Option(help="annual home use behind the meter, kWh (0 = none)", min=0)] = 3100.0,
    vehicle: Annotated[str, typer.Option(help="nissan-leaf-40 | nissan-e-nv200 | mitsubishi-outlander-phev")] = (
        "nissan-leaf-40"
    ),
    charger: Annotated[str, typer.Option(help="wallbox-quasar-1 | generic-smart-7kw")] = "wallbox-quasar-1",
    target_percent: Annotated[float, typer.Option(help="SoC ready by each departure, % of usable")] = 80.0,
    floor_percent: Annotated[float, typer.Option(help="minimum SoC while plugged in, % (below 30 on V2G)")] = 25.0,
    ceiling_percent: Annotated[float, typer.Option(help="maximum SoC charging may reach, %")] = 90.0,
    wear: Annotated[float, typer.Option(help="battery-wear cost, p per kWh through the charger", min=0)] = 2.0,
    objective: Annotated[str, typer.Option(help="what smart and V2G plans minimise: cost | carbon | blend")] = "cost",
    carbon_price: Annotated[float, typer.Option(help="blend objective: p per kgCO2", min=0)] = 0.0,
    export_limit_kw: Annotated[
        float | None, typer.Option(help="export limit at the meter, kW [default: none below the charger (G99)]")
    ] = None,
    outgoing: Annotated[
        str, typer.Option(help="export prices: published-c (region C's file as is) | formula (region's formula)")
    ] = "published-c",
    first_days: Annotated[int | None, typer.Option(help="simulate only the first N days (a quick look)", min=1)] = None,
    data: Annotated[
        Path | None, typer.Option(help=f"shared data folder [default: ${ENV_VAR} or ../shared/data]")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="print the results as JSON")] = False,
    plot: Annotated[Path | None, typer.Option(help="write a PNG of one week: price, carbon, power, SoC")] = None,
    week: Annotated[str | None, typer.Option(help="first day of the plotted week, YYYY-MM-DD")] = None,
    trace: Annotated[Path | None, typer.Option(help="write the per-period trace of every strategy as CSV")] = None,
) -> None:
    """Simulate a year of dumb, one-way smart and V2G charging on real half-hourly prices and carbon.

    \b
    Examples:
      evflex simulate                                   # 2023, region J, Leaf 40 on a Quasar 1
      evflex simulate --plot out/week.png --week 2023-11-20
      evflex simulate --objective carbon --json

    Every half-hour while the car is plugged in, smart and V2G replan with only the prices published by
    then (to 23:00 today before 16:00, to 23:00 tomorrow from 16:00) and the carbon forecast, apply the
    first period and move on. Outcomes are billed at the real prices and judged on actual carbon.
    """
    if outgoing not in OUTGOING_MODES:
        raise fail(f"--outgoing {outgoing!r}: use {' or '.join(OUTGOING_MODES)}")
    if week is not None and plot is None:
        raise fail("--week chooses the plotted week: give --plot out.png too")
    goal = _objective(objective, carbon_price)
    first = date(year, 1, 1)
    end = date(year + 1, 1, 1) if first_days is None else min(first + timedelta(days=first_days), date(year + 1, 1, 1))
    timeline = local_days(first, end)
    week_start = _parse_day(week, "--week") if week is not None else _default_week(timeline)
    root = data if data is not None else find_shared_data()
    if root is None or not root.is_dir() or not any(root.glob("*.csv")):
        where = (
            "no shared data folder found"
            if root is None
            else f"{root} is not a folder"
            if not root.is_dir()
            else f"{root} holds no CSV files"
        )
        raise fail(
            f"{where}: put the Agile and carbon CSVs (see docs/simulation.md) in ../shared/data beside the "
            f"repository, set {ENV_VAR}=/path/to/data or pass --data"
        )
    usage = UsagePattern.parse(miles, plug_in, weekdays, every_n_days)
    household = Household(
        region=region,
        annual_home_kwh=home_kwh or 3100.0,
        vehicle=vehicle_preset(vehicle),
        charger=charger_preset(charger),
        usage=usage,
        g99=export_limit_kw is None,
    )
    home = household.home_load(timeline)[0] if home_kwh > 0 else None
    try:
        signals = load_year_signals(root, timeline, household.region, outgoing, home)
    except SignalError as exc:
        raise fail(f"year {year}: {exc}") from None
    limit = export_limit_kw if export_limit_kw is not None else household.charger.max_charge_kw
    sessions = household.sessions(timeline)
    setup = vehicle_setup(
        household.vehicle,
        household.charger,
        sessions,
        floor_fraction=floor_percent / 100.0,
        ceiling_fraction=ceiling_percent / 100.0,
        target_fraction=target_percent / 100.0,
        export_limit_kw=limit,
    )
    strategies = [Strategy(StrategyKind.DUMB), Strategy(StrategyKind.SMART, goal, wear)]
    skipped = []
    if setup.charger.bidirectional:
        strategies.append(Strategy(StrategyKind.V2G, goal, wear))
    else:
        skipped.append(f"V2G not simulated: {household.vehicle.name} on a {household.charger.name} cannot discharge")
    results, seconds = _run(signals, setup, strategies, show=not json_output)
    if plot is not None:
        from evflex.schedule.plot import plot_week

        plot_week(results, week_start, plot)
    if trace is not None:
        write_atomic(trace, _trace_csv(results))

    s = signals
    home_loads = s.home_loads()
    home_alone = {
        "kwh": float(home_loads.sum()),
        "cost_gbp": float(s.import_price_p_per_kwh @ home_loads) / 100.0,
        "carbon_kg": float(s.carbon_actual_g_per_kwh @ home_loads) / 1000.0,
    }
    assumptions = _assumptions(household, setup.description, sessions.n_sessions, home_kwh, goal, wear)
    if json_output:
        payload = {
            "year": year,
            "span": {
                "start": timeline.start.isoformat(),
                "end": timeline.end.isoformat(),
                "periods": timeline.n_periods,
            },
            "assumptions": assumptions + skipped,
            "data_notes": list(signals.notes),
            "home_alone": home_alone,
            "strategies": [
                {
                    "strategy": r.strategy.kind.value,
                    **r.totals().to_dict(),
                    "seconds": round(sec, 3),
                    "notes": list(r.notes),
                }
                for r, sec in zip(results, seconds, strict=True)
            ],
        }
        console.print_json(json.dumps(payload))
        return
    table = Table(
        title=f"Receding-horizon simulation, {_span(timeline)}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col in _COLUMNS:
        table.add_column(col, justify="left" if col == "strategy" else "right", no_wrap=True)
    for r in results:
        table.add_row(*_row(r))
    console.print(table)
    console.print(
        f"car = meter − home alone; home alone: {home_alone['kwh']:,.0f} kWh, £{home_alone['cost_gbp']:,.2f}, "
        f"{home_alone['carbon_kg']:,.1f} kgCO2. Meter totals: "
        + "; ".join(
            f"{_SHORT[r.strategy.kind]} £{t.net_cost_gbp:,.2f}, {t.carbon_kg:,.1f} kgCO2"
            for r in results
            if (t := r.totals())
        ),
        soft_wrap=True,
    )
    console.print(
        "run time: "
        + ", ".join(
            f"{r.strategy.label} {sec:.1f} s ({r.n_plans:,} plans)" for r, sec in zip(results, seconds, strict=True)
        ),
        soft_wrap=True,
    )
    console.print("[bold]Assumptions[/]")
    for line in assumptions + skipped:
        console.print(f"[dim]- {line}[/]", soft_wrap=True, markup=True)
    console.print("[bold]Data[/]")
    for line in signals.notes:
        console.print(f"[dim]- {line}[/]", soft_wrap=True)
    for r in results:
        for note in r.notes:
            console.print(f"[dim]- {r.strategy.label}: {note}[/]", soft_wrap=True)
    if plot is not None:
        console.print(f"week plot written to {plot}")
    if trace is not None:
        console.print(f"trace written to {trace}")


def _run(
    signals: SimulationSignals, setup: Any, strategies: list[Strategy], *, show: bool
) -> tuple[list[SimulationResult], list[float]]:
    results: list[SimulationResult] = []
    seconds: list[float] = []
    columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True, disable=not (show and err_console.is_terminal)) as bar:
        for strategy in strategies:
            task = bar.add_task(strategy.label, total=signals.timeline.n_periods)

            def step(done: int, total: int, _task: Any = task) -> None:
                bar.update(_task, completed=done)

            started = clock.perf_counter()  # the clock is read here, at the edge
            results.append(simulate(signals, setup, strategy, progress=step))
            seconds.append(clock.perf_counter() - started)
    return results, seconds


def _assumptions(
    household: Household, car: str, n_sessions: int, home_kwh: float, goal: Objective, wear: float
) -> list[str]:
    usage = household.usage
    days = "" if len(usage.plug_in.weekdays) == 7 else " on the chosen weekdays"
    every = f" every {usage.every_n_days} days" if usage.every_n_days > 1 else ""
    plan = {
        ObjectiveKind.COST: "cost: Agile import − Agile Outgoing export",
        ObjectiveKind.CARBON: "carbon: forecast intensity × net grid energy",
        ObjectiveKind.BLEND: f"cost + {goal.carbon_price_p_per_kgco2:g} p/kgCO2 × forecast carbon",
    }[goal.kind]
    return [
        f"household: region {household.region}, "
        + (f"{home_kwh:,.0f} kWh/yr synthetic home profile behind the meter" if home_kwh else "no home load")
        + f"; {usage.annual_miles:,.0f} miles/yr at {household.vehicle.efficiency_kwh_per_mile:g} kWh/mile at the wall"
        f" ({usage.annual_charge_kwh(household.vehicle):,.0f} kWh/yr); plugged in {usage.plug_in}{days}{every}: "
        f"{n_sessions} sessions",
        f"car: {car}",
        f"strategies: dumb = full power from plug-in to the target; one-way smart and V2G minimise {plan} "
        f"+ {wear:g} p/kWh battery wear through the charger; one-way smart never discharges",
        "information: every plugged-in half-hour a new plan sees Agile prices to 23:00 local today (before "
        "16:00) or tomorrow (from 16:00), never past the departure; carbon planned on the forecast; the home "
        "load of the horizon is taken as known",
        "£: import × Agile import price (inc 5% VAT, as published) − export × Agile Outgoing (no VAT); no "
        "standing charge",
        "kgCO2: net grid energy × actual national intensity (exports credited at their period's actual "
        "intensity); full cycles = battery throughput ÷ 2 ÷ usable kWh",
    ]


# -- schedule -------------------------------------------------------------------------------------------
SOLVERS = ("fast", "lp", "smart")


def _solve(problem: ScheduleProblem, solver: str) -> ScheduleResult:
    if solver == "fast":
        return solve(problem)
    if solver == "lp":
        return solve_lp(problem)
    return smart_charge(problem)


def _period_table(problem: ScheduleProblem, result: ScheduleResult) -> tuple[Table, int]:
    plugged = problem.plugged_mask()
    rows = np.flatnonzero(plugged | (result.grid_export_kwh > 0))
    table = Table(title="Plugged-in periods", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    columns = ["period", "import\np/kWh", "export\np/kWh"]
    if problem.carbon_g_per_kwh is not None:
        columns.append("carbon\ng/kWh")
    columns += ["home\nkWh", "charge\nkW", "dischg\nkW", "SoC end\nkWh", "import\nkWh", "export\nkWh"]
    for col in columns:
        table.add_column(col, justify="right", no_wrap=True)
    exports, home = problem.export_values(), problem.home_loads()
    for t in rows.tolist():
        cells = [str(t), f"{problem.import_price_p_per_kwh[t]:.2f}", f"{exports[t]:.2f}"]
        if problem.carbon_g_per_kwh is not None:
            cells.append(f"{problem.carbon_g_per_kwh[t]:.0f}")
        cells += [
            f"{home[t]:.3f}",
            f"{result.charge_kw[t]:.3f}" if result.charge_kw[t] else "·",
            f"{result.discharge_kw[t]:.3f}" if result.discharge_kw[t] else "·",
            f"{result.soc_kwh[t + 1]:.2f}",
            f"{result.grid_import_kwh[t]:.3f}",
            f"{result.grid_export_kwh[t]:.3f}",
        ]
        table.add_row(*cells)
    return table, problem.n_periods - int(rows.size)


_BATCH_SOLVERS: dict[str, Literal["fast", "lp", "smart"]] = {"fast": "fast", "lp": "lp", "smart": "smart"}


def _schedule_fleet(input_path: Path, data: list[Any], solver: str, json_output: bool) -> None:
    """Many independent vehicles (a JSON list of problems): ``schedule_many`` with a progress bar."""
    problems = []
    for i, item in enumerate(data):
        try:
            problems.append(ScheduleProblem.from_dict(item))
        except (TypeError, ValueError) as exc:
            raise fail(f"{input_path.name}: problem [{i}]: {exc}") from None
    if not problems:
        raise fail(f"{input_path.name}: an empty list; give one problem object or a list of them")
    columns = (TextColumn("scheduling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    started = clock.perf_counter()
    with Progress(*columns, console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
        task = bar.add_task("fleet", total=len(problems))
        results = schedule_many(
            problems,
            solver=_BATCH_SOLVERS[solver],
            progress=lambda done, _total: bar.update(task, completed=done),
        )
    seconds = clock.perf_counter() - started
    if json_output:
        console.print_json(json.dumps([r.to_dict() for r in results]))
        return
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status.value] = statuses.get(r.status.value, 0) + 1
    shortfall = sum(r.shortfall_kwh for r in results)
    total = sum(r.total_cost_p for r in results) / 100
    console.print(
        f"{len(results):,} vehicles scheduled in {seconds:.2f} s ({len(results) / seconds:,.0f}/s): "
        + ", ".join(f"{n:,} {status}" for status, n in sorted(statuses.items()))
    )
    console.print(f"total cost £{total:,.2f}; shortfall {shortfall:.3f} kWh across the fleet")
    for i, r in enumerate(results):
        if r.shortfall_kwh:
            console.print(f"  [{i}] short by {r.shortfall_kwh:.3f} kWh: {r.binding_reason}", markup=False)


@handle_errors
def schedule_command(
    input_path: Annotated[Path, typer.Option("--input", help="problem in the JSON form of docs/schedule.md")],
    json_output: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    plot: Annotated[Path | None, typer.Option(help="write a PNG of power and SoC")] = None,
    solver: Annotated[str, typer.Option(help="fast (exact) | lp (HiGHS reference) | smart (one-way policy)")] = "fast",
) -> None:
    """Solve one scheduling problem and print its status, cost breakdown and per-period plan.

    A JSON list of problems schedules a fleet of independent vehicles (in parallel, with a progress
    bar) and prints a summary (--json: every result).

    \b
    Example:
      evflex schedule --input problem.json --plot out/schedule.png
      evflex schedule --input fleet.json --json > results.json
    """
    if solver not in SOLVERS:
        raise fail(f"--solver {solver!r}: use {', '.join(SOLVERS)}")
    text = input_path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"{input_path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    if isinstance(data, list):
        _schedule_fleet(input_path, data, solver, json_output)
        return
    try:
        problem = ScheduleProblem.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise fail(f"{input_path.name}: {exc}") from None
    with use_numba(False):  # one problem: the pure-Python path beats loading numba (~1 s)
        result = _solve(problem, solver)
    if plot is not None:
        from evflex.schedule.plot import plot_schedule

        plot_schedule(problem, result, plot)
    if json_output:
        payload = result.to_dict() | {
            "n_periods": problem.n_periods,
            "net_cost_p": result.net_cost_p,
            "total_cost_p": result.total_cost_p,
        }
        console.print_json(json.dumps(payload))
        return
    colour = {"optimal": "green", "feasible": "yellow", "best_effort": "red"}[result.status.value]
    console.print(f"status: [{colour}]{result.status.value}[/] ({result.solver}), {problem.n_periods} periods")
    if result.shortfall_kwh:
        console.print(f"shortfall: {result.shortfall_kwh:.3f} kWh", soft_wrap=True)
    if result.binding_reason:
        console.print(f"binding: {result.binding_reason}", soft_wrap=True, markup=False)
    for note in result.relaxations:
        console.print(f"relaxed: {note}", soft_wrap=True, markup=False)
    cost = (
        f"import £{result.import_cost_p / 100:.2f} − export £{result.export_revenue_p / 100:.2f} = net "
        f"£{result.net_cost_p / 100:.2f}; wear £{result.wear_cost_p / 100:.2f}; total £{result.total_cost_p / 100:.2f}"
    )
    console.print(cost)
    if result.carbon_g is not None:
        console.print(f"carbon: {result.carbon_g / 1000:.3f} kgCO2 net (import − export) × intensity")
    console.print(f"objective: {result.objective:.3f} {result.objective_unit}")
    if result.setpoint_repair_delta:
        console.print(f"minimum-setpoint repair added {result.setpoint_repair_delta:.3f} {result.objective_unit}")
    table, hidden = _period_table(problem, result)
    console.print(table)
    if hidden:
        console.print(f"[dim]{hidden} periods with the car unplugged and no export not shown (--json has all)[/]")
    if plot is not None:
        console.print(f"plot written to {plot}")
