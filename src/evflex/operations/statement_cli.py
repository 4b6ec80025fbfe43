"""Command functions for ``evflex`` (registered by ``evflex/cli.py``): monthly statements and savings estimates.

``statement`` exit codes: 0 statement written, 1 statement written but meter and charger disagree beyond
tolerance (review before issuing), 2 bad input (one ``error:`` line). ``savings``: 0, or 2 on bad input.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from evflex.billing import Supply
from evflex.billing.money import format_gbp
from evflex.cli_support import console, fail, handle_errors, write_atomic
from evflex.household import charger_preset
from evflex.operations.savings import SavingsEstimate, estimate_savings
from evflex.operations.statement import Account, Statement, build_statement, read_month_data
from evflex.operations.statement_html import statement_html
from evflex.periods import LONDON, local_year
from evflex.tariffs.catalogue import load_catalogue
from evflex.tariffs.vat import DOMESTIC_ELECTRICITY_VAT

__all__ = ["EXIT_STATEMENT_WARNING", "savings_command", "statement_command"]

EXIT_STATEMENT_WARNING = 1


def _print_statement(s: Statement) -> None:
    table = Table(
        title=f"{s.account.customer_name} ({s.account.account_id}) – {s.month}: {s.supply_name}", title_justify="left"
    )
    for col, justify in (("item", "left"), ("quantity", "right"), ("source", "left"), ("amount", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for line in s.lines:
        qty = f"{line.quantity:,.2f} {line.unit}" if line.unit else ""
        table.add_row(line.label, qty, f"[dim]{line.meter}[/]", format_gbp(line.amount_gbp))
    table.add_row("[bold]Total[/]", "", "", f"[bold]{format_gbp(s.total_gbp)}[/]")
    console.print(table)
    for text in s.warnings:
        console.print(f"[bold red]warning:[/] {text}", soft_wrap=True)
    for text in s.flags:
        console.print(f"[yellow]estimated:[/] {text}", soft_wrap=True)


@handle_errors
def statement_command(
    meter: Annotated[Path, typer.Option(help="smart-meter CSV: interval_start,import_kwh,export_kwh")],
    charger: Annotated[Path, typer.Option(help="charger CSV: interval_start,ev_charge_kwh,ev_discharge_kwh")],
    month: Annotated[str, typer.Option(help="local calendar month, YYYY-MM")],
    region: Annotated[str, typer.Option(help="GSP region letter A–P (C = London)")],
    home_tariff: Annotated[str, typer.Option(help="the home's import tariff code")] = "FLEXIBLE-OCTOPUS",
    export_tariff: Annotated[
        str | None, typer.Option(help="export tariff code for solar/battery export, e.g. OUTGOING-OCTOPUS")
    ] = None,
    add_on: Annotated[str, typer.Option(help="the V2G add-on's tariff code")] = "POWER-PACK",
    solar: Annotated[
        Path | None, typer.Option(help="generation-meter CSV: interval_start,solar_kwh (optional)")
    ] = None,
    has_solar: Annotated[
        bool, typer.Option("--has-solar", help="the home generates (solar/battery) even without --solar data")
    ] = False,
    kwh_per_mile: Annotated[float, typer.Option(help="the car's kWh per mile, for free miles", min=0.05)] = 0.306,
    charger_model: Annotated[str, typer.Option(help="wallbox-quasar-1 | generic-smart-7kw")] = "wallbox-quasar-1",
    account_id: Annotated[str, typer.Option(help="account number shown on the statement")] = "",
    customer: Annotated[str, typer.Option(help="customer name shown on the statement")] = "",
    json_path: Annotated[Path | None, typer.Option("--json", help="write the statement as JSON here")] = None,
    html_path: Annotated[Path | None, typer.Option("--html", help="write the statement as HTML here")] = None,
    tariffs: Annotated[list[Path] | None, typer.Option("--tariffs", help="extra catalogue TOML file(s)")] = None,
) -> None:
    """Monthly statement for a V2G add-on customer from smart-meter and charger half-hourly data.

    \b
    Example:
      evflex statement --meter meter.csv --charger charger.csv --month 2025-10 --region C \\
          --export-tariff OUTGOING-OCTOPUS --html out/2025-10.html --json out/2025-10.json

    Home use is billed at the home tariff; EV charging (charger-metered) at the same rates and credited back;
    car export counts toward free miles, unpaid; solar/battery export paid at the export rate. Missing charger
    half-hours are estimated from the meter and flagged; a warning is printed (exit code 1) when meter and
    charger disagree beyond tolerance. File formats: docs/statements.md.
    """
    catalogue = load_catalogue(list(tariffs or []) or None)
    supply = Supply(
        catalogue.get(home_tariff),
        catalogue.get(export_tariff) if export_tariff else None,
        catalogue.get(add_on),
    )
    account = Account(
        account_id or "—", customer or "Customer", region, kwh_per_mile, charger_preset(charger_model),
        has_solar or solar is not None,
    )
    data = read_month_data(month, meter, charger, solar)
    statement = build_statement(account, supply, data)
    _print_statement(statement)
    if json_path is not None:
        write_atomic(json_path, json.dumps(statement.to_dict(), indent=2, ensure_ascii=False) + "\n")
        console.print(f"JSON written to {json_path}")
    if html_path is not None:
        write_atomic(html_path, statement_html(statement))
        console.print(f"HTML written to {html_path}")
    if statement.warnings:
        raise typer.Exit(EXIT_STATEMENT_WARNING)


def _print_savings(estimate: SavingsEstimate) -> None:
    table = Table(title=f"Estimated cost over {estimate.period}", title_justify="left")
    for col, justify in (("option", "left"), ("cost", "right"), ("vs current", "right"), ("", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for row in estimate.rows:
        if row.available:
            assert row.cost_gbp is not None
            assert row.saving_gbp is not None
            saving = row.saving_gbp
            mark = (
                "–" if row is estimate.current
                else f"[green]saves {format_gbp(saving)}[/]" if saving > 0
                else f"[red]costs {format_gbp(-saving)} more[/]" if saving < 0 else "same"
            )
            table.add_row(row.supply or row.label, format_gbp(row.cost_gbp), mark, f"[dim]{row.note}[/]")
        else:
            table.add_row(row.label, "n/a", "", f"[dim]{row.reason}[/]")
    console.print(table)
    console.print(estimate.summary(), soft_wrap=True)
    for note in estimate.assumptions:
        console.print(f"[dim]- {note}[/]", soft_wrap=True)


@handle_errors
def savings_command(
    current_tariff: Annotated[str, typer.Option(help="the tariff you are on now (code)")] = "FLEXIBLE-OCTOPUS",
    region: Annotated[str, typer.Option(help="GSP region letter A–P (C = London)")] = "C",
    miles: Annotated[float, typer.Option(help="annual miles driven on electricity", min=0)] = 8000.0,
    home_kwh: Annotated[float, typer.Option(help="annual home use without the car, kWh (typical profile)")] = 3100.0,
    vehicle: Annotated[
        str, typer.Option(help="nissan-leaf-40 | nissan-e-nv200 | mitsubishi-outlander-phev | generic-ccs")
    ] = "nissan-leaf-40",
    charger: Annotated[str, typer.Option(help="wallbox-quasar-1 | generic-smart-7kw")] = "wallbox-quasar-1",
    kwh_per_mile: Annotated[float | None, typer.Option(help="override the vehicle's kWh per mile")] = None,
    export_tariff: Annotated[str | None, typer.Option(help="export tariff code, e.g. OUTGOING-OCTOPUS")] = None,
    solar_kwp: Annotated[float, typer.Option(help="rooftop solar size, kWp (0 = none)", min=0)] = 0.0,
    g99: Annotated[bool, typer.Option(help="you have (or will get) G99 export permission")] = True,
    meter_data: Annotated[
        Path | None,
        typer.Option(help="your half-hourly import without the car (Octopus JSON or CSV interval_start,kwh)"),
    ] = None,
    fill_gaps: Annotated[
        str | None, typer.Option(help="fill missing meter half-hours: same-period-previous-week | linear | zero")
    ] = None,
    year: Annotated[int, typer.Option(help="local calendar year to simulate (without --meter-data)")] = 2023,
    as_of: Annotated[
        str | None, typer.Option(help="price at the rates in force on this date, YYYY-MM-DD [default: today]")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="print the estimate as JSON")] = False,
) -> None:
    """Estimate what a household would save with the V2G add-on, and against Intelligent Octopus Go.

    \b
    Examples:
      evflex savings                                   # the default household on Flexible Octopus
      evflex savings --current-tariff PRICE-CAP-SVT --miles 10000 --home-kwh 4100
      evflex savings --meter-data consumption.json --region J

    Each option is costed by the comparison engine with the charging it implies; an option the household cannot
    take is listed with the reason instead of a figure.
    """
    from evflex.compare.market_data import load_market_data
    from evflex.compare.scenario import HouseholdSpec

    try:
        day = date.fromisoformat(as_of) if as_of else datetime.now(UTC).astimezone(LONDON).date()
    except ValueError:
        raise fail(f"--as-of {as_of!r} is not a date: use YYYY-MM-DD") from None
    moment = datetime.combine(day, time(12), tzinfo=LONDON).astimezone(UTC)
    spec = HouseholdSpec(
        region=region, home_kwh=home_kwh, miles=miles, vehicle=vehicle, charger=charger, kwh_per_mile=kwh_per_mile,
        export_tariff=export_tariff, solar_kwp=solar_kwp, g99=g99,
    )
    household = spec.build()
    notes: list[str] = []
    timeline, measured = local_year(year), None
    if meter_data is not None:
        from evflex.compare.meter_input import load_meter_year

        measured, meter_notes, timeline = load_meter_year(meter_data, fill_gaps, None)
        notes += meter_notes
    vat = DOMESTIC_ELECTRICITY_VAT.fraction_at(moment)
    notes.append(f"VAT {vat:.0%}: the domestic rate in force on {moment:%Y-%m-%d}, applied throughout")
    market = load_market_data(timeline, household.region)
    notes += market.notes
    estimate = estimate_savings(
        household, current_tariff, timeline=timeline, vat_fraction=vat, as_of=moment, measured_home_kwh=measured,
        series=market.series, carbon_g_per_kwh=market.carbon_g_per_kwh, assumptions=notes,
    )
    if json_output:
        console.print_json(json.dumps(estimate.to_dict()))
    else:
        _print_savings(estimate)
