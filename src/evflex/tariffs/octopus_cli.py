"""``evflex tariffs octopus``: import one Octopus product's tariff from API JSON files or live (``--live``)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import numpy.typing as npt
import typer
from rich.markup import escape
from rich.table import Table

from evflex.billing.prices import BillingContext, resolve_prices
from evflex.cli_support import console, fail, handle_errors, write_atomic
from evflex.periods import LONDON, LocalWindow, Timeline, local_days
from evflex.tariffs.model import RateHistory, TariffError, check_region
from evflex.tariffs.octopus import (
    ImportedTariff,
    ImportReport,
    Product,
    RateRecord,
    import_tariff,
    read_product,
    read_rate_pages,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["Registers", "live_transport", "octopus_command"]

FloatArray = npt.NDArray[np.float64]


def _now() -> datetime:
    return datetime.now(UTC)


class Registers(StrEnum):
    SINGLE = "single"
    DUAL = "dual"


_PAYMENT_METHODS = ("DIRECT_DEBIT", "NON_DIRECT_DEBIT")
_MAX_DAY_ROWS = 31  # longer timelines are summarised by local month
_MAX_RANGES_SHOWN = 5
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def live_transport() -> httpx.BaseTransport | None:
    """The httpx transport ``--live`` uses; ``None`` is httpx's own (the network). Tests replace it."""
    return None


@dataclass(frozen=True, slots=True)
class _Input:
    """The product and rate records of one import, read from files or fetched, and where they came from."""

    product: Product
    unit_rates: tuple[RateRecord, ...]
    night_rates: tuple[RateRecord, ...] | None
    standing_charges: tuple[RateRecord, ...]
    checked: date
    origin: dict[str, Any]


def _date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{flag} {value!r} is not a date: use YYYY-MM-DD") from None


def _timeline(date_from: str | None, date_to: str | None) -> Timeline | None:
    first, end = _date(date_from, "--from"), _date(date_to, "--to")
    if first is None and end is None:
        return None
    if first is None or end is None:
        raise fail("give --from and --to together (local dates; --to is the day after the last)")
    if end <= first:
        raise fail(f"--to {end} must be after --from {first} (--to is the day after the last)")
    return local_days(first, end)


def _from_files(
    product_file: Path,
    unit_files: list[Path],
    night_files: list[Path] | None,
    standing_files: list[Path],
    checked: date | None,
) -> _Input:
    product = read_product(product_file)
    if checked is None:  # best evidence of when the files were downloaded
        checked = datetime.fromtimestamp(product_file.stat().st_mtime, UTC).date()
    origin: dict[str, Any] = {
        "source": "files",
        "product": str(product_file),
        "unit_rates": [str(p) for p in unit_files],
        "night_rates": [str(p) for p in night_files or ()],
        "standing_charges": [str(p) for p in standing_files],
    }
    return _Input(
        product,
        read_rate_pages(unit_files),
        read_rate_pages(night_files) if night_files else None,
        read_rate_pages(standing_files) if standing_files else (),
        checked,
        origin,
    )


def _from_api(code: str, region: str, registers: Registers, payment: str | None, timeline: Timeline) -> _Input:
    from evflex.tariffs import octopus_live  # imported here: httpx is optional and only the live path needs it

    transport = live_transport()
    start, end = timeline.start, timeline.end
    product = read_product(octopus_live.fetch_product(code, tariffs_active_at=start, transport=transport))
    entry = product.tariff(region, registers.value, payment)
    units = ("standard-unit-rates",) if registers is Registers.SINGLE else ("day-unit-rates", "night-unit-rates")
    pages = {
        kind: octopus_live.fetch_rates(product.code, entry.code.code, kind, start, end, transport=transport)
        for kind in (*units, "standing-charges")
    }
    records = {kind: read_rate_pages(kind_pages) for kind, kind_pages in pages.items()}
    for kind in units:
        if not records[kind]:
            raise fail(
                f"the Octopus API has no {kind} for {entry.code} from {start:%Y-%m-%d %H:%M}Z to "
                f"{end:%Y-%m-%d %H:%M}Z; check --from/--to (was the product on sale then?)"
            )
    origin = {
        "source": "api",
        "base_url": octopus_live.BASE_URL,
        "tariffs_active_at": octopus_live.api_time(start),
        "pages": {kind: len(kind_pages) for kind, kind_pages in pages.items()},
    }
    night = records["night-unit-rates"] if registers is Registers.DUAL else None
    return _Input(product, records[units[0]], night, records["standing-charges"], _now().date(), origin)


def _per_period(imported: ImportedTariff, region: str) -> tuple[FloatArray | None, str]:
    """Unit rate per period of the import's timeline, or ``None`` and why there is none."""
    if imported.unit_rates_p_per_kwh is not None:
        return imported.unit_rates_p_per_kwh, ""
    if imported.timeline is None:
        return None, "the rates are dated, not half-hourly: give --from and --to to lay them on half-hours"
    try:  # time of use: the bands' local windows decide each period's rate
        plan = resolve_prices(imported.tariff, imported.timeline, BillingContext(region))
    except TariffError as exc:
        return None, str(exc)
    return plan.unit_rate_p_per_kwh, ""


def _num(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def _stats(values: FloatArray, firsts: npt.NDArray[np.intp], labels: list[str]) -> list[dict[str, Any]]:
    """Half-hours, priced half-hours, min, mean and max of each run of ``values`` starting at ``firsts``."""
    priced = ~np.isnan(values)
    count = np.add.reduceat(priced.astype(np.int64), firsts)
    total = np.add.reduceat(np.where(priced, values, 0.0), firsts)
    mean = np.divide(total, count, out=np.full(firsts.size, np.nan), where=count > 0)
    low, high = np.fmin.reduceat(values, firsts), np.fmax.reduceat(values, firsts)  # fmin/fmax skip NaN
    sizes = np.diff(np.append(firsts, values.size))
    rows = zip(labels, sizes, count, low, mean, high, strict=True)
    keys = ("local", "periods", "priced", "min", "mean", "max")
    return [
        dict(zip(keys, (k, int(n), int(c), _num(lo), _num(mu), _num(hi)), strict=True)) for k, n, c, lo, mu, hi in rows
    ]


def _periods(values: FloatArray, timeline: Timeline) -> dict[str, Any]:
    """Statistics over the timeline and per local day (per local month beyond a month of days)."""
    days = (timeline.local().day_ordinal - _EPOCH_ORDINAL).astype("datetime64[D]")
    by_month = timeline.n_local_days() > _MAX_DAY_ROWS
    keys = days.astype("datetime64[M]") if by_month else days
    firsts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    labels = [str(k) if by_month else f"{k} {date.fromisoformat(str(k)):%a}" for k in keys[firsts]]
    (overall,) = _stats(values, np.zeros(1, np.intp), ["all"])
    del overall["local"], overall["periods"]
    negative = int((values < 0).sum())  # NaN compares False
    return _timeline_dict(timeline) | overall | {"negative": negative, "local": _stats(values, firsts, labels)}


def _utc(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(moment: datetime | None, open_text: str) -> str:
    if moment is None:
        return open_text
    local = moment.astimezone(LONDON)
    return f"{local:%Y-%m-%d}" if (local.hour, local.minute) == (0, 0) else f"{local:%Y-%m-%d %H:%M}"


def _entries(history: RateHistory) -> list[dict[str, Any]]:
    return [
        {"valid_from": _utc(e.valid_from), "valid_to": _utc(e.valid_to), "value_exc_vat": e.value_exc_vat}
        for e in history.entries
    ]


def _report(report: ImportReport) -> dict[str, Any]:
    return dataclasses.asdict(report) | {"uncovered": [[_utc(a), _utc(b)] for a, b in report.uncovered]}


def _timeline_dict(timeline: Timeline) -> dict[str, Any]:
    return {
        "start": _utc(timeline.start),
        "end": _utc(timeline.end),
        "period_minutes": timeline.period_minutes,
        "n_periods": timeline.n_periods,
    }


def _import_summary(
    data: _Input,
    imported: ImportedTariff,
    region: str,
    payment: str | None,
    payment_method: str,
    rates: FloatArray | None,
    why: str,
) -> dict[str, Any]:
    tariff, product = imported.tariff, data.product
    (source,) = tariff.sources
    registers = Registers.DUAL if data.night_rates is not None else Registers.SINGLE
    entry = product.tariff(region, registers.value, payment)  # the choice import_tariff made
    periods = _periods(rates, imported.timeline) if rates is not None and imported.timeline is not None else None
    return {
        "product": {
            "code": product.code,
            "full_name": product.full_name,
            "display_name": product.display_name,
            "family": product.family.value,
            "direction": product.direction.value,
            "tariffs_active_at": _utc(product.tariffs_active_at),
        },
        "tariff": {
            "code": tariff.code,
            "name": tariff.name,
            "structure": tariff.structure.name,
            "price_series": tariff.price_series,
            "region": region,
            "registers": registers.value,
            "payment": entry.payment,
            "payment_method": payment_method,
            "vat_applies": tariff.vat_applies,
            "source": {"ref": source.ref, "checked": source.checked.isoformat()},
        },
        "input": data.origin,
        "standing_charges_p_per_day_exc_vat": (
            _entries(tariff.standing_charge.for_region(region)) if tariff.standing_charge else []
        ),
        "unit_rates_p_per_kwh_exc_vat": {
            band.name: {"windows": [str(w) for w in band.windows], "history": _entries(band.rate.for_region(region))}
            for band in tariff.bands
        },
        "periods": periods,
        "periods_unavailable": why or None,
        "report": _report(imported.report),
        "saved": None,
    }


def _series_file(summary: dict[str, Any], timeline: Timeline, rates: FloatArray) -> str:
    tariff = summary["tariff"]
    payload = {
        "series": tariff["price_series"] or tariff["code"],
        "tariff_code": tariff["code"],
        "product": summary["product"]["code"],
        "region": tariff["region"],
        "structure": tariff["structure"],
        "unit": "p/kWh exc VAT",
        "source": tariff["source"],
        "timeline": _timeline_dict(timeline),
        "uncovered_periods": int(np.isnan(rates).sum()),
    }
    values = json.dumps([None if np.isnan(v) else v for v in rates.tolist()])
    head = json.dumps(payload, indent=1).removesuffix("\n}")
    return f'{head},\n "unit_rate_p_per_kwh_exc_vat": {values}\n}}\n'  # the values on one line, not 17,520


def _history_table(title: str, entries: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("from (UK time)", "to", "value"):
        table.add_column(col, justify="right" if col == "value" else "left")
    for e in entries:
        start = None if e["valid_from"] is None else datetime.fromisoformat(e["valid_from"])
        end = None if e["valid_to"] is None else datetime.fromisoformat(e["valid_to"])
        table.add_row(_local(start, "…"), _local(end, "open"), f"{e['value_exc_vat']:.4f}")
    return table


def _fmt_p(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _print_import(summary: dict[str, Any], saved: Path | None) -> None:
    product, tariff, origin = summary["product"], summary["tariff"], summary["input"]
    console.print(
        f"[bold]{escape(tariff['name'])}[/] ({tariff['code']}) — {escape(product['full_name'])}", soft_wrap=True
    )
    structure = tariff["structure"]
    if tariff["price_series"]:
        structure += f", half-hourly price series '{tariff['price_series']}'"
    console.print(
        f"product {product['code']} ({product['family']}, {product['direction']}), region {tariff['region']}, "
        f"{tariff['registers']} register, payment {tariff['payment']} / {tariff['payment_method']}",
        soft_wrap=True,
    )
    console.print(f"structure: [bold]{structure}[/]")
    if origin["source"] == "api":
        pages = ", ".join(f"{kind} {n} page(s)" for kind, n in origin["pages"].items())
        got = f"fetched from {origin['base_url']} (product as of {origin['tariffs_active_at']}): {pages}"
    else:
        got = (
            f"read from {origin['product']}, {len(origin['unit_rates'])} unit-rate page(s)"
            + (f", {len(origin['night_rates'])} night-rate page(s)" if origin["night_rates"] else "")
            + f", {len(origin['standing_charges'])} standing-charge page(s)"
        )
    source = f"source: {tariff['source']['ref']} (checked {tariff['source']['checked']}); {got}"
    console.print(escape(source), soft_wrap=True)

    if summary["standing_charges_p_per_day_exc_vat"]:
        console.print(_history_table("Standing charge, p/day exc VAT", summary["standing_charges_p_per_day_exc_vat"]))
    for name, band in summary["unit_rates_p_per_kwh_exc_vat"].items():
        windows = f" ({', '.join(band['windows'])} UK time)" if band["windows"] else ""
        console.print(_history_table(f"Unit rate '{name}'{windows}, p/kWh exc VAT", band["history"]))

    periods = summary["periods"]
    if periods is None:
        console.print(f"per-period unit rates: none ({escape(summary['periods_unavailable'])})", soft_wrap=True)
    else:
        start, end = (
            f"{datetime.fromisoformat(periods[k]).astimezone(LONDON):%Y-%m-%d %H:%M}" for k in ("start", "end")
        )
        span = f"{start} → {end.removeprefix(start[:11])}"  # the same day: its time only
        table = Table(title=f"Unit rate per half-hour, {span} UK time, p/kWh exc VAT", title_justify="left")
        for col in ("local", "half-hours", "priced", "min", "mean", "max"):
            table.add_column(col, justify="left" if col == "local" else "right")
        for g in periods["local"]:
            table.add_row(
                g["local"], str(g["periods"]), str(g["priced"]), _fmt_p(g["min"]), _fmt_p(g["mean"]), _fmt_p(g["max"])
            )
        console.print(table)
        console.print(
            f"all: {periods['priced']} of {periods['n_periods']} half-hours priced; min {_fmt_p(periods['min'])}, "
            f"mean {_fmt_p(periods['mean'])}, max {_fmt_p(periods['max'])}; {periods['negative']} negative"
        )

    r = summary["report"]
    console.print(
        f"import: {r['records_read']} records read, {r['records_used']} used; "
        f"{r['dropped_payment_method']} other-payment rows dropped, {r['duplicates']} duplicates, "
        f"{r['overlaps']} overlaps, {r['vat_mismatches']} VAT mismatches, "
        f"{r['uncovered_periods']} uncovered half-hours",
        soft_wrap=True,
    )
    for a, b in r["uncovered"][:_MAX_RANGES_SHOWN]:
        console.print(f"  no rate {a[:16].replace('T', ' ')}Z → {b[:16].replace('T', ' ')}Z")
    if len(r["uncovered"]) > _MAX_RANGES_SHOWN:
        console.print(f"  … and {len(r['uncovered']) - _MAX_RANGES_SHOWN} more range(s)")
    for warning in r["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    if saved is not None and periods is not None:
        console.print(f"saved {periods['n_periods']} half-hours ({periods['priced']} priced) to {escape(str(saved))}")


@handle_errors
def octopus_command(
    product_file: Annotated[
        Path | None,
        typer.Option("--product", metavar="FILE", help="product detail JSON saved from /v1/products/{code}/"),
    ] = None,
    unit_rates: Annotated[
        list[Path] | None,
        typer.Option(
            "--unit-rates",
            "--day-rates",
            metavar="FILE",
            help="standard-unit-rates page (day-unit-rates with --registers dual); repeat for every page",
        ),
    ] = None,
    night_rates: Annotated[
        list[Path] | None,
        typer.Option("--night-rates", metavar="FILE", help="night-unit-rates page (--registers dual); repeatable"),
    ] = None,
    standing_charges: Annotated[
        list[Path] | None, typer.Option("--standing-charges", metavar="FILE", help="standing-charges page; repeatable")
    ] = None,
    live: Annotated[
        str | None,
        typer.Option(
            "--live",
            metavar="PRODUCT_CODE",
            help="fetch the product and its rates from api.octopus.energy with httpx instead (needs --from/--to)",
        ),
    ] = None,
    region: Annotated[str, typer.Option(metavar="LETTER", help="GSP region letter A–P whose tariff to import")] = "C",
    registers: Annotated[
        Registers, typer.Option(help="single register, or dual (day/night, Economy 7)")
    ] = Registers.SINGLE,
    payment: Annotated[
        str | None,
        typer.Option(
            metavar="KEY",
            help="product payment key: direct_debit_monthly | direct_debit_quarterly | varying | prepayment "
            "(default: the first of the first three offered)",
        ),
    ] = None,
    payment_method: Annotated[
        str,
        typer.Option(metavar="METHOD", help="rate rows kept where a list has both: DIRECT_DEBIT | NON_DIRECT_DEBIT"),
    ] = "DIRECT_DEBIT",
    night_window: Annotated[
        str | None,
        typer.Option(
            metavar="HH:MM-HH:MM",
            help="local night window for --registers dual, e.g. 00:00-07:00 (not in the API data)",
        ),
    ] = None,
    date_from: Annotated[
        str | None,
        typer.Option("--from", metavar="DATE", help="first local day (YYYY-MM-DD) of the half-hours to price"),
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", metavar="DATE", help="the local day after the last (exclusive)")
    ] = None,
    checked: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="date the files were downloaded (default: the product file's modified date)"),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    save: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="write the half-hourly unit rates and their timeline to this JSON file (a price series)",
        ),
    ] = None,
) -> None:
    """Import one region's tariff of an Octopus product from API JSON and show what it became.

    \b
    Examples:
      evflex tariffs octopus --product product.json --unit-rates p1.json --unit-rates p2.json \\
          --standing-charges sc.json --region C
      evflex tariffs octopus --live AGILE-24-10-01 --region C --from 2025-01-01 --to 2025-02-01 --save agile.json

    Rates varying within a day (Agile, Go, Intelligent bands) become a DYNAMIC tariff priced per half-hour;
    rates changing only at local midnight become FLAT; dual-register rates with --night-window become
    TIME_OF_USE. Values are p exc VAT; inc-VAT values are only cross-checked. --from/--to (local days,
    --to exclusive) set the half-hours priced, and are required with --live.
    """
    region = check_region(region)
    payment_method = payment_method.strip().upper()
    if payment_method not in _PAYMENT_METHODS:
        raise fail(f"--payment-method {payment_method!r} is not one of {', '.join(_PAYMENT_METHODS)}")
    if live is not None and product_file is not None:
        raise fail("give --live PRODUCT_CODE or --product FILE, not both")
    if live is None and product_file is None:
        raise fail("give --product FILE with its --unit-rates and --standing-charges pages, or --live PRODUCT_CODE")
    dual = registers is Registers.DUAL
    if not dual and (night_rates or night_window):
        raise fail("--night-rates and --night-window are for dual-register tariffs: add --registers dual")
    if dual and night_window is None:
        raise fail("--registers dual needs --night-window (local clock, e.g. 00:00-07:00): it is not in the API data")
    window = LocalWindow.parse(night_window) if night_window else None
    timeline = _timeline(date_from, date_to)

    if live is not None:
        if unit_rates or night_rates or standing_charges or checked:
            raise fail("--unit-rates, --night-rates, --standing-charges and --checked are for files; --live fetches")
        if timeline is None:
            raise fail("--live needs --from and --to (local dates) to bound the rates it fetches")
        data = _from_api(live, region, registers, payment, timeline)
    else:
        assert product_file is not None
        if not unit_rates:
            raise fail("give the unit-rate pages: --unit-rates page1.json [--unit-rates page2.json …]")
        if dual and not night_rates:
            raise fail("--registers dual needs the night-unit-rates pages: --night-rates FILE")
        data = _from_files(product_file, unit_rates, night_rates, standing_charges or [], _date(checked, "--checked"))

    imported = import_tariff(
        data.product,
        region,
        data.unit_rates,
        data.standing_charges,
        checked=data.checked,
        timeline=timeline,
        payment=payment,
        payment_method=payment_method,
        night_rates=data.night_rates,
        night_window=window,
    )
    rates, why = _per_period(imported, region)
    summary = _import_summary(data, imported, region, payment, payment_method, rates, why)
    if save is not None:
        if rates is None or imported.timeline is None:
            raise fail(f"--save needs half-hourly rates, and there are none: {why}")
        write_atomic(save, _series_file(summary, imported.timeline, rates))
        summary["saved"] = str(save)
    if json_output:
        console.print_json(json.dumps(summary))
        return
    _print_import(summary, save)
