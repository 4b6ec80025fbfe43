"""``evflex tariffs list|show|octopus``: browse the tariff catalogue; import a tariff from the Octopus API.

``octopus`` reads saved Octopus API JSON (or, with ``--live``, fetches it with httpx, imported only then)
through :mod:`evflex.tariffs.octopus` and shows what the tariff became; ``--save`` writes its per-period
unit rates as a price series.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt
import typer
from rich.table import Table

from evflex.cli_support import console, handle_errors
from evflex.tariffs.catalogue import load_catalogue
from evflex.tariffs.model import DatedRate, RegionalRate, Tariff, check_region
from evflex.tariffs.octopus_cli import octopus_command

if TYPE_CHECKING:
    pass

__all__ = ["app"]

FloatArray = npt.NDArray[np.float64]
P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    help="Browse the tariff catalogue: every UK EV tariff, export tariff and add-on, with sources.",
    no_args_is_help=True,
)

RegionOpt = Annotated[str, typer.Option(help="GSP region letter A–P used to show regional rates")]
FilesOpt = Annotated[list[Path] | None, typer.Option("--tariffs", help="extra catalogue TOML file(s)")]


def _now() -> datetime:
    return datetime.now(UTC)


def _current(rate: RegionalRate, region: str, moment: datetime) -> DatedRate | None:
    history = rate.for_region(region)
    try:
        return history.at(moment)
    except ValueError:
        return history.latest()


def _fmt(entry: DatedRate | None) -> str:
    if entry is None:
        return "—"
    return f"{entry.value_exc_vat:.2f}" + ("*" if entry.source.indicative else "")


def _windows(tariff: Tariff) -> str:
    parts = [f"{b.name} {', '.join(str(w) for w in b.windows)}" for b in tariff.bands if b.windows]
    if tariff.price_series:
        parts.append(f"half-hourly ({tariff.price_series})")
    return "; ".join(parts) or "any hour"


def _summary(tariff: Tariff, region: str, moment: datetime) -> dict[str, Any]:
    rates = {b.name: _current(b.rate, region, moment) for b in tariff.bands}
    if tariff.add_on is not None:
        rates["EV charging"] = _current(tariff.add_on.ev_rate, region, moment)
    standing = _current(tariff.standing_charge, region, moment) if tariff.standing_charge else None
    return {
        "code": tariff.code,
        "name": tariff.name,
        "supplier": tariff.supplier,
        "direction": tariff.direction.value,
        "structure": tariff.structure.value,
        "windows": _windows(tariff),
        "unit_rates_p_per_kwh_exc_vat": {k: (v.value_exc_vat if v else None) for k, v in rates.items()},
        "standing_charge_p_per_day_exc_vat": standing.value_exc_vat if standing else None,
        "exit_fee_gbp_per_fuel": tariff.exit_fee_pence_per_fuel / 100,
        "indicative": tariff.indicative,
        "_rates": rates,
        "_standing": standing,
    }


@app.command("list")
@handle_errors
def list_command(
    region: RegionOpt = "C",
    json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    tariffs: FilesOpt = None,
) -> None:
    """List every tariff with today's rates in a region (p exc VAT; * = indicative)."""
    region = check_region(region)
    moment = _now()
    rows = [_summary(t, region, moment) for t in load_catalogue(tariffs or None)]
    if json_output:
        console.print_json(json.dumps([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]))
        return
    table = Table(
        title=f"Tariff catalogue, region {region}, rates in force {moment:%Y-%m-%d} (p exc VAT; * indicative)",
        title_justify="left",
    )
    for col in ("code", "name", "structure", "windows", "unit rates p/kWh", "standing p/day", "exit £/fuel"):
        table.add_column(col, overflow="fold")
    for r in rows:
        rates = ", ".join(f"{k} {_fmt(v)}" for k, v in r["_rates"].items())
        table.add_row(
            r["code"],
            r["name"],
            r["structure"].replace("_", " "),
            r["windows"],
            rates,
            _fmt(r["_standing"]),
            f"{r['exit_fee_gbp_per_fuel']:.0f}",
        )
    console.print(table)


def _history_rows(rate: RegionalRate, region: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for entry in rate.for_region(region).entries:
        span = f"{entry.valid_from:%Y-%m-%d}" if entry.valid_from else "…"
        span += f" → {entry.valid_to:%Y-%m-%d}" if entry.valid_to else " → open"
        src = entry.source
        rows.append(
            (
                span,
                f"{entry.value_exc_vat:.4f}",
                f"{src.ref} (checked {src.checked})" + (" [indicative]" if src.indicative else ""),
                src.note,
            )
        )
    return rows


@app.command("show")
@handle_errors
def show_command(
    code: Annotated[str, typer.Argument(help="tariff code, e.g. INTELLIGENT-OCTOPUS-GO (see 'evflex tariffs list')")],
    region: RegionOpt = "C",
    json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    tariffs: FilesOpt = None,
) -> None:
    """Show one tariff: structure, windows, dated rates with sources, requirements and notes."""
    region = check_region(region)
    tariff = load_catalogue(tariffs or None).get(code)
    summary = _summary(tariff, region, _now())
    req = tariff.requirements
    requirements = {
        "smart_meter": sorted(req.smart_meter),
        "ev_proof": req.ev_proof,
        "prepayment_allowed": req.prepayment_allowed,
        "regions": "".join(sorted(req.regions)),
        "compatible_ev_or_charger": req.compatible_ev_or_charger,
        "v2g_hardware": req.v2g_hardware,
        "export_permission_g99": req.export_permission_g99,
    }
    if json_output:
        out = {k: v for k, v in summary.items() if not k.startswith("_")}
        out |= {"summary": tariff.summary, "requirements": requirements, "notes": list(tariff.notes)}
        console.print_json(json.dumps(out))
        return
    console.print(
        f"[bold]{tariff.name}[/] ({tariff.code}) — {tariff.supplier}, {tariff.direction.value}, "
        f"{tariff.structure.value.replace('_', ' ')}"
    )
    if tariff.summary:
        console.print(tariff.summary)
    console.print(f"windows: {summary['windows']}   exit fee: £{summary['exit_fee_gbp_per_fuel']:.0f} per fuel")
    rates: list[tuple[str, RegionalRate]] = [(f"unit rate: {b.name}", b.rate) for b in tariff.bands]
    if tariff.add_on is not None:
        rates.append(("EV charging (add-on)", tariff.add_on.ev_rate))
    if tariff.standing_charge is not None:
        rates.append(("standing charge (p/day)", tariff.standing_charge))
    table = Table(title=f"Rates, region {region}, exc VAT", title_justify="left")
    for col in ("rate", "valid", "value", "source", "note"):
        table.add_column(col, overflow="fold")
    for label, rate in rates:
        for span, value, src, note in _history_rows(rate, region):
            table.add_row(label, span, value, src, note)
    console.print(table)
    console.print("requirements: " + ", ".join(f"{k}={v}" for k, v in requirements.items()))
    for note in tariff.notes:
        console.print(f"[dim]- {note}[/]", soft_wrap=True)


app.command("octopus")(octopus_command)
