"""The catalogue file format: pydantic models of the TOML tables, validated at the edge.

:mod:`evflex.tariffs.catalogue` reads files into :class:`FileSpec` and :class:`TariffSpec` and converts them to
the frozen model dataclasses. Unknown keys are errors; validators raise ``ValueError`` whose text becomes the
one-line error message (the loader adds the file, the tariff code and the field).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from evflex.periods import LocalWindow
from evflex.tariffs.model import REGIONS, check_region

__all__ = [
    "AddOnSpec",
    "BandSpec",
    "Clock",
    "Code",
    "DatedRateSpec",
    "FileSpec",
    "RateSpec",
    "RateTableSpec",
    "Region",
    "RequirementsSpec",
    "SmartSpec",
    "SourceSpec",
    "TariffSpec",
    "Unit",
    "UseSpec",
    "UtcTime",
    "Window",
]


# -- field checks (pydantic validators raise ValueError; their text becomes the error message) ---------------
_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")
_WINDOW_RE = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)(?:\s+(\S.*))?$")


def _check_code(code: str) -> str:
    if not _CODE_RE.match(code):
        raise ValueError(f"code {code!r} must be upper-case letters, digits and '-' (e.g. OCTOPUS-GO)")
    return code


def _clock_minutes(hh: str, mm: str, *, end: bool) -> int | None:
    hours, minutes = int(hh), int(mm)
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not end)):
        return None
    return hours * 60 + minutes


def _check_window(text: str) -> str:
    match = _WINDOW_RE.match(text.strip())
    start = end = None
    if match:
        start = _clock_minutes(match[1], match[2], end=False)
        end = _clock_minutes(match[3], match[4], end=True)
    if start is None or end is None:
        raise ValueError(
            f"{text!r} is not HH:MM-HH:MM (24-hour local clock, optionally followed by weekdays: "
            "'00:30-04:30' or '13:00-15:00 sat,sun')"
        )
    if start % 30 or end % 30:
        raise ValueError(f"{text!r}: windows start and end on the half-hour (settlement periods are 30 min)")
    if start == end % 1440:
        raise ValueError(f"{text!r} is empty or a whole day: give the off-peak part only")
    _window(text)  # weekday names
    return text


def _window(text: str) -> LocalWindow:
    clock, _, weekdays = text.strip().partition(" ")
    return LocalWindow.parse(clock, weekdays.strip() or None)


def _check_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise ValueError(
            f"{moment.isoformat()} must be UTC written with Z, e.g. 2026-09-30T23:00:00Z (= 1 Oct 00:00 BST)"
        )
    return moment.astimezone(UTC)


Code = Annotated[str, AfterValidator(_check_code)]
Region = Annotated[str, AfterValidator(check_region)]
Window = Annotated[str, AfterValidator(_check_window)]
Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
UtcTime = Annotated[datetime, AfterValidator(_check_utc)]
Unit = Literal["p/kWh", "p/day"]


# -- the file format (pydantic models, converted to the frozen model dataclasses below) ---------------------
class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        unknown = [k for k in data if k not in cls.model_fields] if isinstance(data, dict) else []
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} (allowed: {', '.join(cls.model_fields)})")
        return data


class SourceSpec(_Spec):
    ref: str = Field(min_length=1)
    title: str = ""
    checked: date
    indicative: bool = False
    note: str = ""


class DatedRateSpec(_Spec):
    value_exc_vat: float | None = None
    by_region: dict[Region, float] | None = None
    source: str
    valid_from: UtcTime | None = None
    valid_to: UtcTime | None = None
    indicative: bool = False
    note: str = ""
    quoted_inc_vat: float | None = None
    quoted_vat: float = Field(default=0.05, ge=0.0, lt=1.0)

    @model_validator(mode="after")
    def _consistent(self) -> DatedRateSpec:
        if (self.value_exc_vat is None) == (self.by_region is None):
            raise ValueError("give either value_exc_vat or by_region = { A = …, B = … }")
        if self.by_region is not None and not self.by_region:
            raise ValueError("by_region is empty")
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError(f"valid_to {self.valid_to:%Y-%m-%dT%H:%MZ} is not after valid_from")
        if self.quoted_inc_vat is not None:
            if self.value_exc_vat is None:
                raise ValueError("quoted_inc_vat goes with value_exc_vat, not by_region")
            expected = self.quoted_inc_vat / (1 + self.quoted_vat)
            # quotes are rounded to 0.01p inc VAT; stored values to 4 dp exc VAT
            if abs(self.value_exc_vat - expected) > 0.005:
                raise ValueError(
                    f"value_exc_vat {self.value_exc_vat} does not match quoted_inc_vat {self.quoted_inc_vat} "
                    f"at {self.quoted_vat:.0%} VAT: expected {expected:.4f}"
                )
        return self


class UseSpec(_Spec):
    table: str
    indicative: bool = False
    note: str = ""


class RateSpec(_Spec):
    use: UseSpec | None = None
    rates: list[DatedRateSpec] = []
    fallback_region: Region | None = None

    @model_validator(mode="after")
    def _something(self) -> RateSpec:
        if self.use is None and not self.rates:
            raise ValueError("give [[…rates]] (dated values) or a [….use] table = '<rate table>'")
        if self.fallback_region and any(r.value_exc_vat is not None for r in self.rates):
            raise ValueError("fallback_region supplies the default rate: drop it or the value_exc_vat rates")
        return self


class RateTableSpec(_Spec):
    description: str = Field(min_length=1)
    unit: Unit
    rates: list[DatedRateSpec] = Field(min_length=1)
    fallback_region: Region | None = None


class BandSpec(RateSpec):
    name: str = Field(min_length=1)
    windows: list[Window] = []


class SmartSpec(_Spec):
    offpeak_band: str
    cap_hours: float | None = Field(default=None, gt=0, le=24)
    cap_day_start: Clock = "12:00"
    cap_counts_fixed_window: bool = False


class AddOnSpec(_Spec):
    ev_rate: RateSpec
    requires_bidirectional: bool = False
    car_export_paid: bool = True
    compatible_import: list[Code] = []
    incompatible_import: list[str] = []
    incompatible_export: list[str] = []


class RequirementsSpec(_Spec):
    smart_meter: list[Literal["SMETS2", "SMETS1_MIGRATED", "ANY"]] = Field(min_length=1)
    ev_proof: bool
    prepayment_allowed: bool = False
    regions: list[Region] = Field(default=list(REGIONS), min_length=1)
    compatible_ev_or_charger: bool = False
    v2g_hardware: bool = False
    export_permission_g99: bool = False


class TariffSpec(_Spec):
    code: Code
    name: str = Field(min_length=1)
    supplier: str = Field(min_length=1)
    direction: Literal["import", "export"]
    structure: Literal["flat", "time_of_use", "dynamic", "smart_session", "add_on"]
    summary: str = ""
    sources: list[str] = Field(min_length=1)
    exit_fee_gbp_per_fuel: int = Field(default=0, ge=0)
    requirements: RequirementsSpec
    vat_applies: bool | None = None
    standing_charge: RateSpec | None = None
    price_series: str | None = None
    smart: SmartSpec | None = None
    add_on: AddOnSpec | None = None
    bands: list[BandSpec] = []
    notes: list[str] = []


    @model_validator(mode="after")
    def _fits_structure(self) -> TariffSpec:
        for key, structure in (("smart", "smart_session"), ("add_on", "add_on"), ("price_series", "dynamic")):
            if (getattr(self, key) is not None) != (self.structure == structure):
                verb = "needs" if self.structure == structure else "cannot have"
                raise ValueError(f"a {self.structure} tariff {verb} {key}")
        return self


class FileSpec(_Spec):
    sources: dict[str, SourceSpec] = {}
    rate_tables: dict[str, RateTableSpec] = {}
    tariffs: list[dict[str, Any]] = []

