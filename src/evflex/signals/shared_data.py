"""Loaders for the real half-hourly CSVs in the shared data folder (``../shared/data``).

The files (see their README) have one row per half-hour, ``interval_start_utc`` as ``…T…:00Z`` and
prices in p/kWh: Agile import **including 5% VAT** as published, Agile Outgoing (no VAT), and GB
national carbon intensity (forecast and actual, gCO2/kWh). Loaders place rows on a
:class:`~evflex.periods.Timeline`: absent rows and empty values become missing periods, duplicate
timestamps are dropped (first row kept), and all of it is reported in the series' :class:`GapReport`;
nothing is filled here.

The files are third-party data and are never copied into the repository; :func:`find_shared_data`
locates them (``EVFLEX_SHARED_DATA``, else ``../shared/data`` above the package or the working directory).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from evflex.periods import Timeline, local_year
from evflex.signals.agile import UNIT_EXC_VAT, UNIT_INC_VAT, UNIT_NO_VAT
from evflex.signals.carbon import NATIONAL_REGION_ID, UNIT, CarbonIntensity, flag_zero_actuals
from evflex.signals.series import SignalError, SignalSeries, flag_values, format_utc, from_points
from evflex.tariffs.model import TariffError, check_region

__all__ = [
    "ENV_VAR",
    "PUBLISHED_VAT",
    "AgileImport",
    "find_shared_data",
    "load_agile_import",
    "load_agile_outgoing",
    "load_carbon_intensity",
]

ENV_VAR = "EVFLEX_SHARED_DATA"
PUBLISHED_VAT = 0.05
"""VAT included in the shared Agile import prices (domestic electricity, 5%)."""

_TIME = "interval_start_utc"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def find_shared_data() -> Path | None:
    """The shared data folder, or ``None`` when there is none.

    ``$EVFLEX_SHARED_DATA`` wins (an error if it is set but not a directory); otherwise each ancestor
    ``X`` of this package's folder, then of the working directory, is tried as ``X/../shared/data``,
    and the first that exists and holds a ``.csv`` is returned.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        folder = Path(env).expanduser()
        if not folder.is_dir():
            raise SignalError(f"{ENV_VAR}={env} is not a directory: point it at the shared data folder or unset it")
        return folder
    for origin in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for base in (origin, *origin.parents):
            candidate = base.parent / "shared" / "data"
            if candidate.is_dir() and any(candidate.glob("*.csv")):
                return candidate
    return None


@dataclass(frozen=True, slots=True)
class AgileImport:
    """Agile import prices of one region as published (inc VAT) and as evflex stores them (exc VAT)."""

    region: str
    inc_vat: SignalSeries
    exc_vat: SignalSeries
    """``inc_vat / 1.05``: the shared files carry 5% VAT, evflex stores prices exc VAT."""


# -- reading -----------------------------------------------------------------------------------------
def _files(path: Path | str | None, pattern: str, what: str) -> list[Path]:
    if path is None:
        found = find_shared_data()
        if found is None:
            raise SignalError(
                f"no shared data folder found for {what}: set {ENV_VAR}=/path/to/shared/data or pass path="
            )
        path = found
    path = Path(path)
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(path.glob(pattern))
        if not files:
            raise SignalError(f"no {what} file matching {pattern!r} in {path}")
        return files
    raise SignalError(f"{path} does not exist: give the shared data folder or one of its CSV files")


def _read(files: list[Path], schema: Mapping[str, type[pl.DataType]]) -> pl.DataFrame:
    frames = []
    for file in files:
        try:
            header = pl.read_csv(file, n_rows=0).columns
            absent = [c for c in schema if c not in header]
            if absent:
                raise SignalError(
                    f"{file.name}: missing column(s) {', '.join(absent)} (has {', '.join(header)}); "
                    f"expected {', '.join(schema)}"
                )
            frame = pl.read_csv(file, columns=list(schema), schema_overrides=dict(schema))
            frame = frame.with_columns(
                pl.col(_TIME).str.to_datetime(_TIME_FORMAT, time_unit="us", strict=True).dt.epoch("s")
            )
        except pl.exceptions.PolarsError as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise SignalError(
                f"{file.name}: cannot read ({first}); times must look like 2023-01-01T00:00:00Z"
            ) from None
        if frame[_TIME].null_count():
            raise SignalError(f"{file.name}: {frame[_TIME].null_count()} rows have no {_TIME}")
        frames.append(frame)
    return pl.concat(frames, how="vertical")


def _timeline(year: int | None, timeline: Timeline | None) -> Timeline | None:
    if year is not None and timeline is not None:
        raise SignalError("give year= or timeline=, not both")
    return local_year(year) if year is not None else timeline


def _inside(frame: pl.DataFrame, timeline: Timeline | None, files: list[Path]) -> pl.DataFrame:
    if timeline is None:
        if frame.is_empty():
            raise SignalError(f"{', '.join(f.name for f in files)}: no rows")
        return frame
    lo, hi = int(timeline.start.timestamp()), int(timeline.end.timestamp())
    inside = frame.filter((pl.col(_TIME) >= lo) & (pl.col(_TIME) < hi))
    if inside.is_empty():
        span = "no rows" if frame.is_empty() else _span(frame)
        raise SignalError(
            f"{', '.join(f.name for f in files)} ({span}) has no rows in "
            f"{format_utc(timeline.start)}…{format_utc(timeline.end)}"
        )
    return inside


def _span(frame: pl.DataFrame) -> str:
    seconds = frame[_TIME].to_numpy()
    lo, hi = (datetime.fromtimestamp(int(s), UTC) for s in (seconds.min(), seconds.max()))
    return f"covers {format_utc(lo)}…{format_utc(hi)}"


def _starts(frame: pl.DataFrame) -> npt.NDArray[np.datetime64]:
    return frame[_TIME].to_numpy().astype("datetime64[s]")


def _select_region(frame: pl.DataFrame, region: str | None, files: list[Path], what: str) -> tuple[pl.DataFrame, str]:
    present = sorted(frame["region"].unique().drop_nulls().to_list())
    if region is None:
        if len(present) != 1:
            raise SignalError(f"{what}: files hold regions {', '.join(present)}: pass region= to choose one")
        region = present[0]
    letter = _letter(region)
    chosen = frame.filter(pl.col("region") == letter)
    if chosen.is_empty():
        raise SignalError(
            f"no {what} rows for region {letter} in {', '.join(f.name for f in files)} "
            f"(regions present: {', '.join(present) or 'none'})"
        )
    return chosen, letter


def _letter(region: str) -> str:
    try:
        return check_region(region)
    except TariffError as err:
        raise SignalError(str(err)) from None


def _source_note(files: list[Path]) -> str:
    return "from " + ", ".join(f.name for f in files)


# -- loaders -----------------------------------------------------------------------------------------
def _price_series(
    path: Path | str | None,
    region: str | None,
    year: int | None,
    timeline: Timeline | None,
    file_stem: str,
    column: str,
    what: str,
    name: str,
    unit: str,
) -> SignalSeries:
    """One region's half-hourly prices from the shared CSVs named ``{file_stem}_{REGION}_*.csv``."""
    pattern = f"{file_stem}_{_letter(region)}_*.csv" if region else f"{file_stem}_*.csv"
    files = _files(path, pattern, what)
    frame = _read(files, {_TIME: pl.String, "region": pl.String, column: pl.Float64})
    frame, letter = _select_region(frame, region, files, what)
    span = _timeline(year, timeline)
    frame = _inside(frame, span, files)
    return from_points(
        f"{name}_{letter}",
        unit,
        _starts(frame),
        frame[column].to_numpy(),
        timeline=span,
        notes=(_source_note(files),),
    )


def load_agile_import(
    path: Path | str | None = None,
    region: str | None = None,
    year: int | None = None,
    *,
    timeline: Timeline | None = None,
) -> AgileImport:
    """Agile import prices (p/kWh) for one region, inc VAT as published and exc VAT (÷ 1.05).

    ``path``: the shared data folder (default: :func:`find_shared_data`) or one CSV. ``region``: GSP letter,
    needed when several regions' files are present. ``year``: a local calendar year (else ``timeline``,
    else the files' own span); periods without a row are missing.
    """
    inc = _price_series(
        path,
        region,
        year,
        timeline,
        "octopus_agile_import",
        "import_p_per_kwh",
        "Agile import",
        "agile_import",
        UNIT_INC_VAT,
    )
    letter = inc.name.removeprefix("agile_import_")
    note = f"exc VAT = published inc-VAT price ÷ {1 + PUBLISHED_VAT:g} (domestic VAT {PUBLISHED_VAT:.0%})"
    exc = inc.replace(
        unit=UNIT_EXC_VAT,
        values=inc.values / (1.0 + PUBLISHED_VAT),
        report=dataclasses.replace(inc.report, notes=(*inc.report.notes, note)),
    )
    return AgileImport(letter, inc, exc)


def load_agile_outgoing(
    path: Path | str | None = None,
    region: str | None = None,
    year: int | None = None,
    *,
    timeline: Timeline | None = None,
) -> SignalSeries:
    """Agile Outgoing export prices (p/kWh, no VAT) for one region; values below 0 are flagged."""
    series = _price_series(
        path,
        region,
        year,
        timeline,
        "octopus_agile_outgoing_export",
        "export_p_per_kwh",
        "Agile Outgoing",
        "agile_outgoing",
        UNIT_NO_VAT,
    )
    return flag_values(series, series.values < 0, "below the 0p floor of Agile Outgoing")


def load_carbon_intensity(
    path: Path | str | None = None,
    year: int | None = None,
    *,
    timeline: Timeline | None = None,
) -> CarbonIntensity:
    """GB national carbon intensity (gCO2/kWh): forecast and actual series on one timeline.

    Empty actuals are missing (and counted in a note); actuals of exactly 0 are kept but flagged
    (:func:`~evflex.signals.series.mask_suspicious` turns them into gaps). The files carry no index band.
    """
    files = _files(path, "carbon_intensity_gb_national_*.csv", "carbon intensity")
    frame = _read(
        files,
        {
            _TIME: pl.String,
            "region_id": pl.Int64,
            "forecast_g_per_kwh": pl.Float64,
            "actual_g_per_kwh": pl.Float64,
        },
    )
    other = frame.filter(pl.col("region_id") != NATIONAL_REGION_ID)
    if not other.is_empty():
        raise SignalError(
            f"{', '.join(f.name for f in files)}: expected national rows (region_id 0), found region ids "
            f"{sorted(other['region_id'].unique().to_list())}"
        )
    span = _timeline(year, timeline)
    frame = _inside(frame, span, files)
    starts = _starts(frame)
    source = _source_note(files)
    forecast = from_points(
        "carbon_intensity_national_forecast",
        UNIT,
        starts,
        frame["forecast_g_per_kwh"].fill_null(np.nan).to_numpy(),
        timeline=span,
        notes=(source,),
    )
    null_actuals = frame.filter(pl.col("actual_g_per_kwh").is_null())
    notes = [source]
    if not null_actuals.is_empty():
        notes.append(f"{null_actuals.height} rows have no actual (empty in the source); they are missing")
    actual = from_points(
        "carbon_intensity_national_actual",
        UNIT,
        starts,
        frame["actual_g_per_kwh"].fill_null(np.nan).to_numpy(),
        timeline=forecast.timeline,
        notes=notes,
    )
    forecast = flag_values(
        forecast,
        forecast.values == 0.0,
        "forecast of exactly 0 gCO2/kWh (impossible for GB; an upstream glitch)",
    )
    return CarbonIntensity(NATIONAL_REGION_ID, forecast, flag_zero_actuals(actual), None)
