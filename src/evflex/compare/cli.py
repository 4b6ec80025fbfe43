"""``evflex compare``: rank every applicable UK EV tariff for a household by annual cost."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from evflex.billing.money import format_gbp
from evflex.cli_support import console, fail, handle_errors
from evflex.compare.annual import Comparison, ComparisonError
from evflex.compare.market_data import load_market_data
from evflex.compare.runner import ComparisonInputs, run_comparison
from evflex.compare.scenario import PRESETS, Expectation, Scenario, load_preset, load_scenario
from evflex.periods import LONDON, local_year
from evflex.tariffs.catalogue import load_catalogue
from evflex.tariffs.model import Tariff
from evflex.tariffs.vat import DOMESTIC_ELECTRICITY_VAT

__all__ = ["CheckResult", "check_expectations", "compare_command"]

DEFAULT_BASELINE = "PRICE-CAP-SVT"


@dataclass(frozen=True, slots=True)
class CheckResult:
    expectation: Expectation
    computed: Decimal

    @property
    def delta(self) -> Decimal:
        return self.computed - Decimal(str(self.expectation.value))

    @property
    def ok(self) -> bool:
        return abs(self.delta) <= Decimal(str(self.expectation.tolerance))


def _find(comparison: Comparison, codes: str) -> Decimal:
    wanted = {c.strip() for c in codes.split("+")}
    for r in comparison.results:
        if set(r.supply.codes) - {r.supply.export_tariff.code if r.supply.export_tariff else ""} == wanted:
            return r.annual_cost_gbp
    raise ComparisonError(f"supply {codes!r} was not costed in this comparison")


def check_expectations(comparison: Comparison, expectations: tuple[Expectation, ...]) -> list[CheckResult]:
    """Evaluate a preset's stated figures against the comparison (annual costs and savings)."""
    checks = []
    for e in expectations:
        cost = _find(comparison, e.supply)
        computed = cost if e.metric == "annual_cost_gbp" else _find(comparison, e.vs or "") - cost
        checks.append(CheckResult(e, computed))
    return checks


def _as_of(value: date | None) -> datetime:
    day = value or datetime.now(UTC).astimezone(LONDON).date()  # the clock is read here, at the edge
    return datetime.combine(day, time(12), tzinfo=LONDON).astimezone(UTC)


def _tariffs(scenario: Scenario, extra: list[Path]) -> list[Tariff]:
    paths = [scenario.resolve(p) for p in scenario.comparison.tariffs] + extra
    catalogue = load_catalogue(paths or None)
    only = scenario.comparison.only
    if only:
        return [catalogue.get(code) for code in only]
    return list(catalogue)


def _table(comparison: Comparison) -> Table:
    table = Table(title=f"Annual cost, {comparison.household.get('year', '')}", title_justify="left")
    for col, justify in (
        ("#", "right"),
        ("supply", "left"),
        ("charging", "left"),
        ("£/year", "right"),
        ("vs baseline", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for i, r in enumerate(comparison.results, 1):
        saving = r.saving_gbp
        colour = "green" if saving > 0 else "red" if saving < 0 else "dim"
        mark = (
            "baseline"
            if r.supply.name == comparison.baseline
            else "same"
            if saving == 0
            else (f"[{colour}]{'saves' if saving > 0 else 'costs'} {format_gbp(abs(saving))}[/]")
        )
        table.add_row(
            str(i),
            r.supply.name + (" [dim]*[/]" if r.indicative else ""),
            r.policy,
            format_gbp(r.annual_cost_gbp),
            mark,
        )
    return table


def _print(comparison: Comparison, checks: list[CheckResult], scenario: Scenario) -> None:
    h = comparison.household
    console.print(
        f"[bold]{scenario.name}[/]: region {h['region']}, home {h['home_data']}"
        + (f" {h['home_kwh_per_year']:,.0f} kWh/yr" if h.get("home_kwh_per_year") else "")
        + f", {h['miles_per_year']:,.0f} miles/yr in a {h['vehicle']} on a {h['charger']}"
    )
    console.print(_table(comparison))
    console.print("[dim]* indicative rates (the public source says verify live, or the figure is a stand-in)[/]")
    if comparison.not_applicable:
        na = Table(title="Not applicable", title_justify="left")
        na.add_column("tariff")
        na.add_column("why")
        na.add_column("next step")
        for x in comparison.not_applicable:
            na.add_row(x.name, x.reason, x.next_step)
        console.print(na)
    if checks:
        ct = Table(title="Worked example check", title_justify="left")
        for col in ("figure", "stated", "computed", "Δ", ""):
            ct.add_column(col, justify="left" if col == "figure" else "right")
        for c in checks:
            ct.add_row(
                c.expectation.label,
                format_gbp(Decimal(str(c.expectation.value))),
                format_gbp(c.computed),
                f"{c.delta:+.2f}",
                "[green]✓[/]" if c.ok else "[red]✗[/]",
            )
        console.print(ct)
    for note in comparison.assumptions:
        console.print(f"[dim]- {note}[/]", soft_wrap=True)


def _csv(comparison: Comparison) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["rank", "supply", "codes", "annual_cost_gbp", "saving_vs_baseline_gbp", "charging_policy", "indicative"]
    )
    for i, r in enumerate(comparison.results, 1):
        writer.writerow(
            [i, r.supply.name, "+".join(r.supply.codes), r.annual_cost_gbp, r.saving_gbp, r.policy, r.indicative]
        )
    return buffer.getvalue()


def _scenario_from_flags(
    scenario: Scenario,
    region: str | None,
    miles: float | None,
    home_kwh: float | None,
    vehicle: str | None,
    charger: str | None,
    export_tariff: str | None,
    solar_kwp: float | None,
    year: int | None,
    baseline: str | None,
    meter_data: Path | None,
) -> Scenario:
    household: dict[str, Any] = {
        k: v
        for k, v in {
            "region": region,
            "miles": miles,
            "home_kwh": home_kwh,
            "vehicle": vehicle,
            "charger": charger,
            "export_tariff": export_tariff,
            "solar_kwp": solar_kwp,
            "meter_data": str(meter_data) if meter_data else None,
        }.items()
        if v is not None
    }
    if meter_data is not None and miles is None and scenario.household.meter_data is None:
        household["miles"] = 0.0  # the car's charging is taken to be in the meter data already
    comparison = {k: v for k, v in {"year": year, "baseline": baseline}.items() if v is not None}
    return scenario.model_copy(
        update={
            "household": scenario.household.model_copy(update=household),
            "comparison": scenario.comparison.model_copy(update=comparison),
        }
    )


@handle_errors
def compare_command(
    region: Annotated[str | None, typer.Option(help="GSP region letter A–P (C = London, J = South East)")] = None,
    miles: Annotated[float | None, typer.Option(help="annual miles driven on electricity", min=0)] = None,
    home_kwh: Annotated[float | None, typer.Option(help="annual home use without the car, kWh")] = None,
    vehicle: Annotated[
        str | None, typer.Option(help="nissan-leaf-40 | nissan-e-nv200 | mitsubishi-outlander-phev | generic-ccs")
    ] = None,
    charger: Annotated[str | None, typer.Option(help="wallbox-quasar-1 | generic-smart-7kw")] = None,
    export_tariff: Annotated[str | None, typer.Option(help="export tariff code, e.g. OUTGOING-OCTOPUS")] = None,
    solar_kwp: Annotated[float | None, typer.Option(help="rooftop solar size, kWp (0 = none)", min=0)] = None,
    meter_data: Annotated[
        Path | None,
        typer.Option(
            help="your half-hourly import: Octopus consumption JSON or CSV (interval_start,kwh); the car's "
            "charging is assumed to be in it unless you pass --miles"
        ),
    ] = None,
    fill_gaps: Annotated[
        str | None,
        typer.Option(help="fill missing meter periods by a stated rule: same-period-previous-week | linear | zero"),
    ] = None,
    scenario_file: Annotated[
        Path | None, typer.Option("--scenario", help="scenario TOML/JSON (docs/scenario.md)")
    ] = None,
    preset: Annotated[str | None, typer.Option(help=f"a packaged scenario: {', '.join(PRESETS)}")] = None,
    year: Annotated[
        int | None,
        typer.Option(help="local calendar year to simulate (default 2023, the year the shared Agile data covers)"),
    ] = None,
    baseline: Annotated[
        str | None, typer.Option(help=f"tariff code savings are measured against (default {DEFAULT_BASELINE})")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="price tariffs at the rates in force on this date (YYYY-MM-DD; default today)")
    ] = None,
    tariffs: Annotated[list[Path] | None, typer.Option("--tariffs", help="extra catalogue TOML file(s)")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="print the full comparison as JSON")] = False,
    csv_output: Annotated[bool, typer.Option("--csv", help="print the ranking as CSV")] = False,
    plot: Annotated[Path | None, typer.Option(help="write a PNG: annual cost bars and a typical day's rates")] = None,
) -> None:
    """Rank every applicable UK EV tariff by annual cost for a household, with the saving against a baseline.

    \b
    Examples:
      evflex compare                                  # the default household (region C, V2G Leaf)
      evflex compare --region J --miles 12000 --home-kwh 4200 --plot out/compare.png
      evflex compare --meter-data consumption.json --region C
      evflex compare --preset power-pack-faq          # the V2G tariff page's worked example

    Each tariff is costed with the charging it implies: plug-in charging on flat tariffs, the off-peak
    window on time-of-use tariffs, cheapest slots on Agile and smart tariffs, free (greenest) charging on
    the V2G add-on. Rates are those in force on --as-of applied across the simulated year.
    """
    if preset and scenario_file:
        raise fail("give --preset or --scenario, not both")
    if json_output and csv_output:
        raise fail("give --json or --csv, not both")
    scenario = (
        load_preset(preset)
        if preset
        else load_scenario(scenario_file)
        if scenario_file
        else Scenario(name="default household")
    )
    scenario = _scenario_from_flags(
        scenario, region, miles, home_kwh, vehicle, charger, export_tariff, solar_kwp, year, baseline, meter_data
    )
    try:
        as_of_date = date.fromisoformat(as_of) if as_of else scenario.comparison.as_of
    except ValueError:
        raise fail(f"--as-of {as_of!r} is not a date: use YYYY-MM-DD") from None
    household = scenario.household.build()
    timeline = local_year(scenario.comparison.year)
    notes: list[str] = []
    measured = None
    if scenario.household.meter_data:
        from evflex.compare.meter_input import load_meter_year

        measured, meter_notes, timeline = load_meter_year(
            scenario.resolve(scenario.household.meter_data),
            fill_gaps,
            scenario.comparison.year if year is not None or scenario.household.meter_data is None else None,
        )
        notes += meter_notes
    moment = _as_of(as_of_date)
    if scenario.comparison.vat is not None:
        vat: float = scenario.comparison.vat
        notes.append(f"VAT {vat:.0%} throughout (scenario setting)")
    else:
        vat = DOMESTIC_ELECTRICITY_VAT.fraction_at(moment)
        notes.append(f"VAT {vat:.0%}: the domestic rate in force on {moment:%Y-%m-%d}, applied throughout")
    market = load_market_data(timeline, household.region)
    notes += market.notes
    notes.append(f"unit rates and standing charges in force on {moment:%Y-%m-%d} applied to every period")
    catalogue_tariffs = _tariffs(scenario, list(tariffs or []))
    inputs = ComparisonInputs(
        timeline=timeline,
        baseline_code=scenario.comparison.baseline or DEFAULT_BASELINE,
        vat_fraction=vat,
        as_of=moment,
        series=market.series,
        carbon_g_per_kwh=market.carbon_g_per_kwh,
        measured_home_kwh=measured,
        current_code=scenario.comparison.current,
        assumptions=tuple(notes),
    )
    comparison = run_comparison(household, catalogue_tariffs, inputs)
    checks = check_expectations(comparison, scenario.expect)
    if plot is not None:
        from evflex.billing import BillingContext
        from evflex.compare.plot import plot_comparison

        plot_comparison(comparison, BillingContext(household.region, vat, moment, market.series), plot)
    if json_output:
        payload = comparison.to_dict() | {
            "scenario": scenario.name,
            "checks": [
                {
                    "label": c.expectation.label,
                    "stated_gbp": c.expectation.value,
                    "computed_gbp": str(c.computed),
                    "ok": c.ok,
                }
                for c in checks
            ],
        }
        console.print_json(json.dumps(payload))
    elif csv_output:
        print(_csv(comparison), end="")
    else:
        _print(comparison, checks, scenario)
        if plot is not None:
            console.print(f"chart written to {plot}")
    if not all(c.ok for c in checks):
        raise typer.Exit(1)
