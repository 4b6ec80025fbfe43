"""The data behind the eligibility rules: ``operations/data/*.toml``, validated and cross-checked.

Car and charger compatibility lists (``vehicles.toml``, ``chargers.toml``), the DNO area of each GSP region
and the G99 process (``dnos.toml``), and per-tariff compatibility and usage rules (``tariff_rules.toml``).
:func:`load_rules_data` reads the packaged copy (cached) or an edited copy of the folder.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from evflex.operations.compliance import ComplianceRules
from evflex.operations.errors import OperationsError
from evflex.tariffs.model import REGIONS, check_region

__all__ = [
    "ChargerSpec",
    "CompatibilitySpec",
    "DnoArea",
    "G99Spec",
    "RulesData",
    "UsageSpec",
    "VehicleSpec",
    "load_rules_data",
]


# -- compatibility data (operations/data/*.toml) ---------------------------------------------------------
class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VehicleSpec(_Data):
    key: str
    make: str
    model: str
    make_aliases: tuple[str, ...] = ()
    model_aliases: tuple[str, ...] = ()
    connector: str
    can_discharge: bool
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.make} {self.model}"


class ChargerSpec(_Data):
    key: str
    name: str
    aliases: tuple[str, ...] = ()
    bidirectional: bool
    connector: str
    note: str = ""


class DnoArea(_Data):
    region: Annotated[str, AfterValidator(check_region)]
    name: str
    mpan_distributor_id: int = Field(ge=10, le=99)
    market_participant: str
    operator: str
    licence_area: str

    @property
    def label(self) -> str:
        return f"{self.operator} – {self.licence_area}"


class G99Spec(_Data):
    source: str
    lead_time_working_days: tuple[int, int]
    threshold_kw: float
    note: str = ""


class CompatibilitySpec(_Data):
    source: str
    vehicles: tuple[str, ...] = ()
    vehicle_makes: tuple[str, ...] = ()
    chargers: tuple[str, ...] = ()
    requires: str = ""
    published: bool = True
    note: str = ""


class UsageSpec(_Data):
    source: str
    min_soc_below_percent: float | None = Field(default=None, gt=0, le=100)
    window_days: int | None = None
    min_plugged_hours: float | None = None
    max_failed_window_share: float | None = None
    monthly_charge_limit_kwh: float | None = None
    regular_misses: int | None = None
    lookback_months: int | None = None

    def compliance_rules(self) -> ComplianceRules:
        given = {f.name: getattr(self, f.name) for f in fields(ComplianceRules) if getattr(self, f.name) is not None}
        return ComplianceRules(**given)


class _TariffRulesFile(_Data):
    compatibility: dict[str, CompatibilitySpec] = {}
    usage: dict[str, UsageSpec] = {}


@dataclass(frozen=True, slots=True)
class RulesData:
    """Car and charger lists, DNOs by region and per-tariff rules, validated and cross-checked."""

    vehicles: Mapping[str, VehicleSpec]
    chargers: Mapping[str, ChargerSpec]
    dnos: Mapping[str, DnoArea]
    g99: G99Spec
    compatibility: Mapping[str, CompatibilitySpec]
    usage: Mapping[str, UsageSpec]

    def region_of_distributor(self, distributor_id: int) -> DnoArea | None:
        return next((d for d in self.dnos.values() if d.mpan_distributor_id == distributor_id), None)


def _read_toml(folder: Path | None, name: str) -> dict[str, Any]:
    where = f"operations/data/{name}" if folder is None else str(folder / name)
    try:
        if folder is None:
            text = (resources.files("evflex.operations") / "data" / name).read_text(encoding="utf-8")
        else:
            text = (folder / name).read_text(encoding="utf-8")
        return tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise OperationsError(f"{where}: cannot read: {exc}") from None


def _validated(model: type[_Data], raw: Any, where: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise OperationsError(f"{where}: {loc}: {err['msg']}") from None


def _keyed(model: type[_Data], entries: list[Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, raw in enumerate(entries):
        spec = _validated(model, raw, f"{where}[{i}]")
        if spec.key in out:
            raise OperationsError(f"{where}[{i}]: key {spec.key!r} appears twice")
        out[spec.key] = spec
    return out


def _load(folder: Path | None) -> RulesData:
    veh = _read_toml(folder, "vehicles.toml")
    chg = _read_toml(folder, "chargers.toml")
    dno = _read_toml(folder, "dnos.toml")
    rules = _read_toml(folder, "tariff_rules.toml")
    vehicles: dict[str, VehicleSpec] = _keyed(VehicleSpec, veh.get("vehicles", []), "vehicles.toml: vehicles")
    chargers: dict[str, ChargerSpec] = _keyed(ChargerSpec, chg.get("chargers", []), "chargers.toml: chargers")
    areas = [_validated(DnoArea, raw, f"dnos.toml: regions[{i}]") for i, raw in enumerate(dno.get("regions", []))]
    g99 = _validated(G99Spec, dno.get("g99"), "dnos.toml: g99")
    tariff_rules: _TariffRulesFile = _validated(_TariffRulesFile, rules, "tariff_rules.toml")
    ids = {a.mpan_distributor_id for a in areas}
    if sorted(a.region for a in areas) != sorted(REGIONS) or len(ids) != len(REGIONS):
        raise OperationsError("dnos.toml: give each GSP region A–P exactly once, each with its own distributor id")
    for code, spec in tariff_rules.compatibility.items():
        for kind, keys, known in (("vehicles", spec.vehicles, vehicles), ("chargers", spec.chargers, chargers)):
            for key in keys:
                if key not in known:
                    raise OperationsError(
                        f"tariff_rules.toml: compatibility.{code}.{kind}: no {kind[:-1]} {key!r} "
                        f"(known: {', '.join(known)}); add it to {kind}.toml first"
                    )
    for code, usage in tariff_rules.usage.items():
        try:
            usage.compliance_rules()
        except OperationsError as exc:
            raise OperationsError(f"tariff_rules.toml: usage.{code}: {exc}") from None
    return RulesData(
        MappingProxyType(vehicles), MappingProxyType(chargers), MappingProxyType({a.region: a for a in areas}),
        g99, MappingProxyType(tariff_rules.compatibility), MappingProxyType(tariff_rules.usage),
    )


@functools.cache
def _packaged() -> RulesData:
    return _load(None)


def load_rules_data(folder: Path | None = None) -> RulesData:
    """The packaged compatibility data (cached), or the four TOML files of ``folder`` (same names and format:
    copy ``evflex/operations/data`` and edit it)."""
    return _packaged() if folder is None else _load(Path(folder))
