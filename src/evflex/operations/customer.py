"""The customer document for eligibility at sign-up: what the customer told us, validated.

:func:`parse_customer` turns a decoded JSON object (fields in ``docs/operations.md``) into a :class:`Customer`;
a field left out stays ``None`` (the rules that need it become UNKNOWN). An MPAN core is checked against
its check digit (:func:`parse_mpan`); its first two digits, the distributor id, place the customer's region.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from evflex.operations.errors import OperationsError
from evflex.tariffs.model import TariffError, check_region

__all__ = [
    "Customer",
    "G99Status",
    "MeterType",
    "PaymentMethod",
    "load_customer",
    "mpan_check_digit",
    "parse_customer",
    "parse_mpan",
]

_MPAN_WEIGHTS = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)


class MeterType(StrEnum):
    SMETS2 = "SMETS2"
    SMETS1_MIGRATED = "SMETS1_MIGRATED"
    SMETS1 = "SMETS1"
    TRADITIONAL = "TRADITIONAL"


class PaymentMethod(StrEnum):
    DIRECT_DEBIT = "DIRECT_DEBIT"
    STANDARD_CREDIT = "STANDARD_CREDIT"
    PREPAYMENT = "PREPAYMENT"


class G99Status(StrEnum):
    APPROVED = "APPROVED"
    APPLIED = "APPLIED"
    NOT_APPLIED = "NOT_APPLIED"


# -- MPAN ------------------------------------------------------------------------------------------------
def mpan_check_digit(first_twelve: str) -> int:
    """The 13th digit of an MPAN core: Σ digit × prime weight, mod 11, mod 10."""
    if len(first_twelve) != 12 or not first_twelve.isdigit():
        raise OperationsError(f"{first_twelve!r}: the check digit is computed from 12 digits")
    return sum(int(d) * w for d, w in zip(first_twelve, _MPAN_WEIGHTS, strict=True)) % 11 % 10


def parse_mpan(text: str) -> str:
    """The 13-digit MPAN core from ``text`` (spaces allowed; a 21-digit full MPAN keeps its last 13)."""
    digits = re.sub(r"[\s-]", "", text)
    if not digits.isdigit() or len(digits) not in (13, 21):
        raise OperationsError(
            f"MPAN {text!r} is not 13 digits: copy the 13-digit core from the bill (the bottom line of the "
            "'S' box), e.g. 1200023305967"
        )
    core = digits[-13:]
    expected = mpan_check_digit(core[:12])
    if int(core[12]) != expected:
        raise OperationsError(
            f"MPAN {core} fails its check digit (last digit {core[12]}, expected {expected}): "
            "re-read the 13 digits from the bill"
        )
    return core



# -- the customer document ---------------------------------------------------------------------------------
_FIELD_HINTS = {
    "region": "a GSP region letter A–P (e.g. 'C' for London), or 'NI' for Northern Ireland",
    "mpan": "the 13-digit MPAN core as a string, e.g. \"1200023305967\"",
    "meter_type": "one of SMETS2, SMETS1_MIGRATED, SMETS1, TRADITIONAL",
    "payment_method": "one of direct_debit, standard_credit, prepayment",
    "g99": "one of approved, applied, not_applied",
    "min_soc_percent": "a percentage 0–100, e.g. 20",
    "plug_in_hours": "hours plugged in per plug-in, e.g. 12",
    "plug_in_every_days": "days between plug-ins, ≥ 1 (1 = every day)",
    "plug_in_days_per_week": "plug-in days per week, 1–7",
    "annual_miles": "miles driven a year, e.g. 8000",
    "kwh_per_mile": "the car's kWh per mile at the wall, e.g. 0.306",
    "monthly_charge_kwh": "a list of monthly EV charging kWh, oldest first, e.g. [250.5, 301.0]",
    "v5c_provided": "true or false",
}


def _upper_enum(value: Any) -> Any:
    return re.sub(r"[\s-]+", "_", value.strip()).upper() if isinstance(value, str) else value


class _CustomerDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    customer_id: str = ""
    region: str | None = None
    mpan: str | None = None
    postcode: str | None = None
    vehicle_make: str | None = None
    vehicle_model: str | None = None
    vehicle_connector: str | None = None
    charger_model: str | None = None
    chargepoint_serial: str | None = None
    v5c_provided: bool | None = None
    meter_type: MeterType | None = None
    payment_method: PaymentMethod | None = None
    import_tariff: str | None = None
    export_tariff: str | None = None
    g99: G99Status | None = None
    min_soc_percent: float | None = Field(default=None, ge=0, le=100)
    plug_in_hours: float | None = Field(default=None, ge=0, le=168)
    plug_in_every_days: float | None = Field(default=None, ge=1, le=28)
    plug_in_days_per_week: float | None = Field(default=None, gt=0, le=7)
    annual_miles: float | None = Field(default=None, ge=0, le=100_000)
    kwh_per_mile: float | None = Field(default=None, ge=0.05, le=2.0)
    monthly_charge_kwh: tuple[Annotated[float, Field(ge=0)], ...] | None = None

    _enums = field_validator("meter_type", "payment_method", "g99", mode="before")(_upper_enum)

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is None or _upper_enum(value) in ("NI", "NORTHERN_IRELAND"):
            return None if value is None else "NI"
        try:
            return check_region(value)
        except TariffError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("mpan")
    @classmethod
    def _mpan(cls, value: str | None) -> str | None:
        return None if value is None else parse_mpan(value)


@dataclass(frozen=True, slots=True)
class Customer:
    """What the customer told us; ``None`` = not given (the rules that need it are UNKNOWN)."""

    customer_id: str = ""
    region: str | None = None
    """GSP letter A–P as given (an MPAN can supply it instead)."""
    northern_ireland: bool = False
    mpan: str | None = None
    vehicle_make: str | None = None
    vehicle_model: str | None = None
    vehicle_connector: str | None = None
    charger_model: str | None = None
    chargepoint_serial: str | None = None
    v5c_provided: bool | None = None
    meter_type: MeterType | None = None
    payment_method: PaymentMethod | None = None
    import_tariff: str | None = None
    export_tariff: str | None = None
    """``"NONE"`` when the customer has no export tariff."""
    g99: G99Status | None = None
    min_soc_percent: float | None = None
    plug_in_hours: float | None = None
    plug_in_every_days: float | None = None
    annual_miles: float | None = None
    kwh_per_mile: float | None = None
    monthly_charge_kwh: tuple[float, ...] | None = None


def parse_customer(document: Any, where: str = "customer") -> Customer:
    """A :class:`Customer` from a decoded JSON object; :class:`OperationsError` naming the field and the fix."""
    if not isinstance(document, dict):
        raise OperationsError(f"{where}: expected a JSON object {{\"field\": value, …}}, got {type(document).__name__}")
    try:
        spec = _CustomerDocument.model_validate(document)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(name, list(_CustomerDocument.model_fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise OperationsError(f"{where}: unknown field {name!r}{hint}; see docs/operations.md") from None
        detail = str(err["msg"]).removeprefix("Value error, ")
        hint = f"; give {_FIELD_HINTS[name]}" if name in _FIELD_HINTS and err["type"] != "value_error" else ""
        raise OperationsError(f"{where}: field {name!r}: {detail} (got {err.get('input')!r}){hint}") from None
    if spec.plug_in_every_days is not None and spec.plug_in_days_per_week is not None:
        raise OperationsError(f"{where}: give plug_in_every_days or plug_in_days_per_week, not both")
    every = spec.plug_in_every_days
    if spec.plug_in_days_per_week is not None:
        every = 7.0 / spec.plug_in_days_per_week
    postcode_ni = spec.postcode is not None and spec.postcode.strip().upper().startswith("BT")
    blank = {"", "NONE", "NO"}

    def code(value: str | None) -> str | None:
        return None if value is None else ("NONE" if value.strip().upper() in blank else value.strip().upper())

    return Customer(
        customer_id=spec.customer_id, region=None if spec.region == "NI" else spec.region,
        northern_ireland=spec.region == "NI" or postcode_ni, mpan=spec.mpan,
        vehicle_make=spec.vehicle_make, vehicle_model=spec.vehicle_model, vehicle_connector=spec.vehicle_connector,
        charger_model=spec.charger_model, chargepoint_serial=spec.chargepoint_serial or None,
        v5c_provided=spec.v5c_provided, meter_type=spec.meter_type, payment_method=spec.payment_method,
        import_tariff=code(spec.import_tariff), export_tariff=code(spec.export_tariff), g99=spec.g99,
        min_soc_percent=spec.min_soc_percent, plug_in_hours=spec.plug_in_hours, plug_in_every_days=every,
        annual_miles=spec.annual_miles, kwh_per_mile=spec.kwh_per_mile, monthly_charge_kwh=spec.monthly_charge_kwh,
    )


def load_customer(path: Path) -> Customer:
    """Read and validate a customer JSON file."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise OperationsError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except UnicodeDecodeError:
        raise OperationsError(f"{path}: not a UTF-8 text file; give the customer JSON document") from None
    return parse_customer(document, str(path))
