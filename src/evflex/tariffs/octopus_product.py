"""Octopus Energy tariff codes and product details → frozen dataclasses (from files or parsed JSON, no network).

:func:`parse_tariff_code` splits codes such as ``E-1R-AGILE-24-10-01-C``; :func:`read_product` reads a product
detail response, ``/v1/products/{code}/``: tariffs keyed by register count, GSP region ``_A``…``_P`` and payment
key. The JSON helpers and :class:`OctopusDataError` live here too, since the rate lists of
:mod:`evflex.tariffs.octopus` (which re-exports every public name of this module) read the same files.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evflex.tariffs.model import Direction, TariffError, check_region

__all__ = [
    "PAYMENT_PREFERENCE",
    "OctopusDataError",
    "Product",
    "ProductFamily",
    "ProductTariff",
    "TariffCode",
    "load_json",
    "parse_tariff_code",
    "product_family",
    "read_product",
]

JsonInput = Mapping[str, Any] | str | Path

PAYMENT_PREFERENCE: tuple[str, ...] = ("direct_debit_monthly", "direct_debit_quarterly", "varying")
"""Payment keys tried in order when none is asked for; ``prepayment`` only when asked (evflex excludes it)."""
_REGISTER_KEYS = {
    "single": "single_register_electricity_tariffs",
    "dual": "dual_register_electricity_tariffs",
}


class OctopusDataError(TariffError):
    """Octopus API data (a file, page, record or tariff code) is malformed or cannot be used as asked."""


# -- tariff codes ---------------------------------------------------------------------------------------
class ProductFamily(StrEnum):
    AGILE = "agile"
    AGILE_OUTGOING = "agile_outgoing"
    INTELLIGENT = "intelligent"
    TRACKER = "tracker"
    GO = "go"
    FLEXIBLE = "flexible"
    OUTGOING = "outgoing"
    OTHER = "other"


def product_family(product_code: str) -> ProductFamily:
    """The family of an Octopus product code (rules of the Home Assistant integration, facts §1.7)."""
    code = product_code.strip().upper()
    if "AGILE" in code:
        return ProductFamily.AGILE_OUTGOING if "OUTGOING" in code else ProductFamily.AGILE
    intelli = ("INTELLI-VAR", "INTELLI-BB-VAR", "INTELLI-FIX")
    if code.startswith("IOG") or any(k in code for k in intelli) or re.search(r"INTELLI-\d", code):
        return ProductFamily.INTELLIGENT
    if "SILVER" in code:
        return ProductFamily.TRACKER
    if code.startswith("GO-"):
        return ProductFamily.GO
    if code.startswith("VAR-"):
        return ProductFamily.FLEXIBLE
    if code.startswith("OUTGOING"):
        return ProductFamily.OUTGOING
    return ProductFamily.OTHER


_TARIFF_CODE = re.compile(
    r"^(?P<fuel>[EG])-(?P<registers>[A-Z]*(?P<n>\d)R)-(?P<product>[A-Z0-9]+(?:-[A-Z0-9]+)*)-(?P<region>[A-Z])$"
)


@dataclass(frozen=True, slots=True)
class TariffCode:
    """A parsed tariff code ``{fuel}-{registers}-{PRODUCT}-{region}``, e.g. ``E-1R-AGILE-24-10-01-C``."""

    code: str
    fuel: str
    """``E`` electricity or ``G`` gas."""
    registers: str
    """The register part as written: ``1R``, ``2R`` (Economy 7 day/night), ``FLAT2R``…"""
    n_registers: int
    product: str
    region: str
    family: ProductFamily

    def __str__(self) -> str:
        return self.code


def parse_tariff_code(code: str) -> TariffCode:
    """Split a tariff code into fuel, registers, product code and GSP region, and name the product family."""
    text = code.strip().upper()
    match = _TARIFF_CODE.match(text)
    if match is None:
        raise OctopusDataError(
            f"tariff code {code!r} is not '{{fuel}}-{{registers}}-{{PRODUCT}}-{{region}}' "
            "(e.g. 'E-1R-AGILE-24-10-01-C'); business and other codes are not supported"
        )
    try:
        region = check_region(match["region"])
    except TariffError as exc:
        raise OctopusDataError(f"tariff code {code!r}: {exc}") from None
    product = match["product"]
    return TariffCode(
        text, match["fuel"], match["registers"], int(match["n"]), product, region, product_family(product)
    )


# -- JSON helpers -----------------------------------------------------------------------------------------
def load_json(path: str | Path) -> Any:
    """Parse a JSON file saved from the API; errors name the file and what to do."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise OctopusDataError(f"cannot read {path}: {exc.strerror or exc}; check the path") from None
    if not text.strip():
        raise OctopusDataError(f"{path} is empty; save the API response body (JSON) into it")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise OctopusDataError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "save the raw API response body"
        ) from None


def _document(item: JsonInput, default_label: str) -> tuple[Mapping[str, Any], str]:
    if isinstance(item, str | Path):
        data, label = load_json(item), str(item)
    else:
        data, label = item, default_label
    if not isinstance(data, Mapping):
        raise OctopusDataError(f"{label}: expected a JSON object, found {type(data).__name__}")
    return data, label


def _number(value: Any, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OctopusDataError(
            f"{where}: {name} is {value!r}, not a number; check the file is an unedited API response"
        )
    return float(value)


def _time(value: Any, name: str, where: str, *, aligned: bool = True) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise OctopusDataError(
            f"{where}: {name} {value!r} is not an ISO 8601 time like '2025-10-01T00:00:00Z'"
        ) from None
    if moment.tzinfo is None:
        raise OctopusDataError(f"{where}: {name} {value!r} has no UTC offset; write it with 'Z' or '+01:00'")
    moment = moment.astimezone(UTC)
    if aligned and (moment.second or moment.microsecond or moment.minute % 30):
        raise OctopusDataError(f"{where}: {name} {value!r} is not on a half-hour boundary")
    return moment


# -- products ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ProductTariff:
    """One region's tariff in a product detail: a snapshot at ``tariffs_active_at`` (history: rate lists)."""

    code: TariffCode
    registers: str
    """``single`` or ``dual`` (day/night)."""
    payment: str
    standing_charge_exc_vat: float | None
    unit_rates_exc_vat: Mapping[str, float]
    """Snapshot unit rates by register: ``standard`` or ``day``/``night``."""
    links: Mapping[str, str]
    """Rate-list URLs by ``rel`` (``standard_unit_rates``, ``standing_charges``…)."""


@dataclass(frozen=True, slots=True)
class Product:
    """A product detail response: names, direction and its tariffs by (registers, region, payment key)."""

    code: str
    full_name: str
    display_name: str
    direction: Direction
    family: ProductFamily
    tariffs_active_at: datetime | None
    tariffs: Mapping[tuple[str, str], Mapping[str, ProductTariff]] = field(repr=False)

    def regions(self, registers: str = "single") -> tuple[str, ...]:
        return tuple(sorted(region for regs, region in self.tariffs if regs == registers))

    def tariff(self, region: str, registers: str = "single", payment: str | None = None) -> ProductTariff:
        """The region's tariff: ``payment`` if given, else the first of :data:`PAYMENT_PREFERENCE` offered."""
        letter = check_region(region)
        offered = self.tariffs.get((registers, letter))
        if not offered:
            have = ", ".join(self.regions(registers)) or "none"
            raise OctopusDataError(
                f"{self.code} has no {registers}-register tariff for region {letter} (regions: {have}); "
                "check the region or the register type"
            )
        if payment is not None:
            if payment not in offered:
                raise OctopusDataError(
                    f"{self.code} region {letter} offers no {payment!r} tariff (offered: {', '.join(sorted(offered))})"
                )
            return offered[payment]
        for key in PAYMENT_PREFERENCE:
            if key in offered:
                return offered[key]
        raise OctopusDataError(
            f"{self.code} region {letter} offers only {', '.join(sorted(offered))}; prepayment is excluded "
            "unless asked for explicitly (payment='prepayment')"
        )


def read_product(source: JsonInput) -> Product:
    """Read a product detail response (a file path or the parsed JSON)."""
    data, label = _document(source, "product detail")
    code = data.get("code")
    if not isinstance(code, str) or not code.strip():
        raise OctopusDataError(f"{label}: no product 'code'; is this a /v1/products/{{code}}/ response?")
    code = code.strip().upper()
    raw_direction = str(data.get("direction") or ("EXPORT" if "OUTGOING" in code else "IMPORT")).upper()
    if raw_direction not in ("IMPORT", "EXPORT"):
        raise OctopusDataError(f"{label}: direction {raw_direction!r} is neither IMPORT nor EXPORT")
    tariffs: dict[tuple[str, str], dict[str, ProductTariff]] = {}
    for registers, key in _REGISTER_KEYS.items():
        by_region = data.get(key) or {}
        if not isinstance(by_region, Mapping):
            raise OctopusDataError(f"{label}: {key} should map regions to tariffs")
        for region_key, by_payment in by_region.items():
            where = f"{label} {key}.{region_key}"
            try:
                region = check_region(str(region_key))
            except TariffError as exc:
                raise OctopusDataError(f"{where}: {exc}") from None
            if not isinstance(by_payment, Mapping):
                raise OctopusDataError(f"{where}: expected payment keys such as 'direct_debit_monthly'")
            for payment, raw in by_payment.items():
                tariff = _product_tariff(raw, registers, str(payment), f"{where}.{payment}")
                if tariff.code.region != region:
                    raise OctopusDataError(f"{where}.{payment}: tariff {tariff.code} is not for region {region}")
                tariffs.setdefault((registers, region), {})[str(payment)] = tariff
    return Product(
        code=code,
        full_name=str(data.get("full_name") or code),
        display_name=str(data.get("display_name") or data.get("full_name") or code),
        direction=Direction(raw_direction.lower()),
        family=product_family(code),
        tariffs_active_at=_time(data.get("tariffs_active_at"), "tariffs_active_at", label, aligned=False),
        tariffs=MappingProxyType({k: MappingProxyType(v) for k, v in tariffs.items()}),
    )


def _product_tariff(raw: Any, registers: str, payment: str, where: str) -> ProductTariff:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("code"), str):
        raise OctopusDataError(f"{where}: expected a tariff object with a 'code'")
    code = parse_tariff_code(raw["code"])
    names = ("standard",) if registers == "single" else ("day", "night")
    units = {
        n: _number(raw[f"{n}_unit_rate_exc_vat"], f"{n}_unit_rate_exc_vat", where)
        for n in names
        if raw.get(f"{n}_unit_rate_exc_vat") is not None
    }
    standing = raw.get("standing_charge_exc_vat")
    links = {
        str(link.get("rel")): str(link.get("href")) for link in raw.get("links") or () if isinstance(link, Mapping)
    }
    return ProductTariff(
        code=code,
        registers=registers,
        payment=payment,
        standing_charge_exc_vat=None if standing is None else _number(standing, "standing_charge_exc_vat", where),
        unit_rates_exc_vat=MappingProxyType(units),
        links=MappingProxyType(links),
    )
