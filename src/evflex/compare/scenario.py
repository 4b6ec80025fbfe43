"""Scenario files for ``evflex compare --scenario FILE`` (TOML or JSON), validated at this edge.

A scenario describes one household and how to compare tariffs for it; presets (``--preset NAME``) are
packaged scenarios that also carry the figures they must reproduce. The format is documented in
``docs/scenario.md``. Paths inside a scenario are relative to the scenario file.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evflex.household import (
    Household,
    MeterType,
    UsagePattern,
    charger_preset,
    vehicle_preset,
)
from evflex.household.ev import Vehicle
from evflex.household.solar import SolarArray
from evflex.periods import LocalWindow

__all__ = [
    "PRESETS",
    "ComparisonSpec",
    "Expectation",
    "HouseholdSpec",
    "Scenario",
    "ScenarioError",
    "load_preset",
    "load_scenario",
]


class ScenarioError(ValueError):
    """A scenario or preset file is missing, malformed or inconsistent."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HouseholdSpec(_Spec):
    """The household. Every field has a default: an empty section is the default household."""

    region: str = "C"
    home_kwh: float = Field(3100.0, description="annual home use without the car, kWh")
    home_share: float | None = Field(None, description="share of home use inside home_share_window (0–1)")
    home_share_window: str | None = None
    miles: float = Field(8000.0, ge=0, description="annual miles driven on electricity")
    vehicle: str = "nissan-leaf-40"
    kwh_per_mile: float | None = Field(None, gt=0, le=2, description="overrides the vehicle's figure")
    charger: str = "wallbox-quasar-1"
    plug_in: str = Field("18:00-07:30", description="local plug-in window, HH:MM-HH:MM")
    plug_in_days: str | None = Field(None, description="e.g. 'mon-fri'; default every day")
    every_n_days: int = Field(1, ge=1, le=28)
    solar_kwp: float = Field(0.0, ge=0, le=50)
    solar_tilt_deg: float = 35.0
    solar_azimuth_deg: float = 180.0
    export_tariff: str | None = None
    meter_type: str = "SMETS2"
    prepayment: bool = False
    g99: bool = True
    meter_data: str | None = Field(None, description="Octopus consumption JSON or CSV (interval_start, kwh)")

    def build(self) -> Household:
        vehicle = vehicle_preset(self.vehicle)
        if self.kwh_per_mile is not None:
            vehicle = Vehicle(
                vehicle.name,
                vehicle.battery_usable_kwh,
                self.kwh_per_mile,
                bidirectional=vehicle.bidirectional,
                connector=vehicle.connector,
                smart_api=vehicle.smart_api,
            )
        solar = None
        if self.solar_kwp > 0:
            solar = SolarArray(self.solar_kwp, tilt_deg=self.solar_tilt_deg, azimuth_deg=self.solar_azimuth_deg)
        window = LocalWindow.parse(self.home_share_window) if self.home_share_window else None
        return Household(
            region=self.region,
            annual_home_kwh=self.home_kwh,
            vehicle=vehicle,
            charger=charger_preset(self.charger),
            usage=UsagePattern.parse(self.miles, self.plug_in, self.plug_in_days, self.every_n_days),
            solar=solar,
            export_tariff_code=self.export_tariff,
            meter_type=MeterType.parse(self.meter_type),
            prepayment=self.prepayment,
            g99=self.g99,
            home_share_window=window,
            home_share=self.home_share,
        )


class ComparisonSpec(_Spec):
    year: int = Field(2023, ge=2018, le=2100, description="local calendar year the household is simulated over")
    baseline: str | None = Field(None, description="tariff code the savings are measured against")
    as_of: date | None = Field(None, description="price every tariff at its rates in force on this date")
    vat: float | None = Field(None, ge=0, le=0.5, description="a constant VAT rate instead of the VAT schedule")
    tariffs: tuple[str, ...] = Field((), description="extra catalogue TOML files (relative paths)")
    only: tuple[str, ...] = Field((), description="compare only these tariff codes")
    current: str | None = Field(None, description="the current tariff: its exit fee is added to switches")


class Expectation(_Spec):
    label: str
    supply: str = Field(description="codes joined by '+', e.g. 'FAQ-FLEXIBLE+POWER-PACK'")
    metric: Literal["annual_cost_gbp", "saving_gbp"]
    vs: str | None = Field(None, description="for savings: the code of the supply compared against")
    value: float
    tolerance: float = 1.0
    source: str = ""


class Scenario(_Spec):
    name: str = "custom scenario"
    description: str = ""
    household: HouseholdSpec = HouseholdSpec()
    comparison: ComparisonSpec = ComparisonSpec()
    expect: tuple[Expectation, ...] = ()
    base_dir: Path = Path(".")

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.base_dir / path


def _errors(exc: ValidationError, where: str) -> str:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {loc}: {first['msg']}{more}"


def _parse(text: str, where: str, base_dir: Path) -> Scenario:
    try:
        data: dict[str, Any] = json.loads(text) if where.endswith(".json") else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{where} is not valid {'JSON' if where.endswith('.json') else 'TOML'}: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: a scenario is a table with [household] and [comparison] sections")
    try:
        return Scenario.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        raise ScenarioError(_errors(exc, where) + "; see docs/scenario.md") from None


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file (``.toml`` or ``.json``)."""
    if not path.is_file():
        raise ScenarioError(f"scenario file {path} not found; see docs/scenario.md for the format")
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise ScenarioError(f"scenario file {path} is empty; see docs/scenario.md for the format")
    return _parse(text, str(path), path.parent)


_PRESET_DIR = resources.files("evflex") / "presets"
PRESETS: tuple[str, ...] = tuple(
    sorted(
        p.name.removesuffix(".toml")
        for p in _PRESET_DIR.iterdir()
        if p.name.endswith(".toml") and not p.name.endswith("-tariffs.toml")
    )
)


def load_preset(name: str) -> Scenario:
    """A packaged scenario, e.g. ``power-pack-faq`` (the V2G tariff page's worked example)."""
    if name not in PRESETS:
        raise ScenarioError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    resource = _PRESET_DIR / f"{name}.toml"
    with resources.as_file(resource) as path:
        return _parse(path.read_text(encoding="utf-8"), f"preset {name}", path.parent)
