"""The tariff model: dated, regional, exc-VAT rates arranged in one of the UK tariff structures.

A :class:`Tariff` is data. Every number in it is a :class:`RateHistory` of :class:`DatedRate` entries
(``valid_from``/``valid_to`` in UTC, value exc VAT, the source it came from and the date it was checked),
optionally overridden per GSP region. Structures:

* ``FLAT`` – one band, any hour.
* ``TIME_OF_USE`` – bands with local windows (possibly weekday-dependent or crossing midnight); the first
  band whose window contains a period prices it, the window-less band prices the rest.
* ``DYNAMIC`` – a price per half-hour taken from a named price series (Agile) supplied at billing time.
* ``SMART_SESSION`` – time-of-use bands plus :class:`SmartRules`: supplier-dispatched slots that price the
  whole home at the off-peak band, capped per midday-to-midday period (Intelligent Octopus Go).
* ``ADD_ON`` – sits on a compatible import tariff and re-prices only the EV's charging (:class:`AddOnRules`):
  free for the V2G add-on (Power Pack), a flat session rate for OVO Charge Anytime.
* export tariffs use ``FLAT``, ``TIME_OF_USE`` or ``DYNAMIC`` with ``direction = EXPORT``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from evflex.periods import LocalWindow, Timeline, ensure_utc

__all__ = [
    "REGIONS",
    "REGION_NAMES",
    "AddOnRules",
    "Band",
    "DatedRate",
    "Direction",
    "RateHistory",
    "RegionalRate",
    "Requirements",
    "SmartRules",
    "Source",
    "Structure",
    "Tariff",
    "TariffError",
    "check_region",
]

FloatArray = npt.NDArray[np.float64]

REGION_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "A": "Eastern England",
        "B": "East Midlands",
        "C": "London",
        "D": "Merseyside & North Wales",
        "E": "West Midlands",
        "F": "North East England",
        "G": "North West England",
        "H": "Southern England",
        "J": "South East England",
        "K": "South Wales",
        "L": "South West England",
        "M": "Yorkshire",
        "N": "South Scotland",
        "P": "North Scotland",
    }
)
REGIONS: tuple[str, ...] = tuple(REGION_NAMES)


class TariffError(ValueError):
    """A tariff, rate or region is malformed or unknown."""


def check_region(region: str) -> str:
    """Normalise a GSP region letter (``"c"``, ``"_C"`` → ``"C"``) or raise with the valid choices."""
    letter = region.strip().upper().lstrip("_")
    if letter not in REGION_NAMES:
        hint = " (Northern Ireland is a separate market and is not covered)" if letter in ("NI", "Z") else ""
        raise TariffError(
            f"unknown region {region!r}{hint}: use a GSP group letter A–P without I or O, "
            f"e.g. C for London ({', '.join(REGIONS)})"
        )
    return letter


class Direction(StrEnum):
    IMPORT = "import"
    EXPORT = "export"


class Structure(StrEnum):
    FLAT = "flat"
    TIME_OF_USE = "time_of_use"
    DYNAMIC = "dynamic"
    SMART_SESSION = "smart_session"
    ADD_ON = "add_on"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a number came from and when it was last checked against that source."""

    ref: str
    checked: date
    indicative: bool = False
    """True where the public page says "verify live" or the figure is an estimate, not a quoted rate."""
    note: str = ""


_MIN_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_UTC = datetime(2200, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DatedRate:
    """A rate exc VAT (p/kWh for unit rates, p/day for standing charges) valid on ``[valid_from, valid_to)``."""

    value_exc_vat: float
    source: Source
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def __post_init__(self) -> None:
        if not np.isfinite(self.value_exc_vat):
            raise TariffError(f"rate {self.value_exc_vat} is not a finite number")
        for name in ("valid_from", "valid_to"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, ensure_utc(value))
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise TariffError(f"rate valid_to {self.valid_to} is not after valid_from {self.valid_from}")

    @property
    def start(self) -> datetime:
        return self.valid_from or _MIN_UTC

    @property
    def end(self) -> datetime:
        return self.valid_to or _MAX_UTC

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class RateHistory:
    """Non-overlapping dated rates, oldest first. Periods no entry covers have no price (an error to bill)."""

    entries: tuple[DatedRate, ...]

    def __post_init__(self) -> None:
        if not self.entries:
            raise TariffError("a rate needs at least one dated value")
        ordered = tuple(sorted(self.entries, key=lambda r: r.start))
        for prev, nxt in itertools.pairwise(ordered):
            if nxt.start < prev.end:
                raise TariffError(f"rates overlap: {prev.start}…{prev.end} and {nxt.start}…{nxt.end}")
        object.__setattr__(self, "entries", ordered)

    @classmethod
    def constant(cls, value_exc_vat: float, source: Source) -> RateHistory:
        return cls((DatedRate(value_exc_vat, source),))

    def at(self, moment: datetime) -> DatedRate:
        moment = ensure_utc(moment)
        for entry in self.entries:
            if entry.covers(moment):
                return entry
        raise TariffError(f"no rate in force at {moment.isoformat()} (rates cover {self.coverage()})")

    def ends_before(self, moment: datetime) -> bool:
        """True when every dated rate has ended by ``moment`` (the catalogue needs the next quarter's)."""
        return self.latest().end <= ensure_utc(moment)

    def latest(self) -> DatedRate:
        return self.entries[-1]

    def coverage(self) -> str:
        first, last = self.entries[0], self.entries[-1]
        start = "always" if first.valid_from is None else first.start.date().isoformat()
        end = "open-ended" if last.valid_to is None else last.end.date().isoformat()
        return f"{start} → {end}"

    def constant_value(self, as_of: datetime | None = None) -> float | None:
        """The single value every period gets, when there is one (frozen ``as_of``, or one open entry).

        Frozen pricing is a projection ("at the rates in force on ``as_of``"): when ``as_of`` is after the
        last dated rate has ended, the latest rate is projected (callers say so; see :meth:`ends_before`).
        """
        if as_of is not None:
            if self.ends_before(as_of):
                return self.latest().value_exc_vat
            return self.at(as_of).value_exc_vat
        only = self.entries[0]
        if len(self.entries) == 1 and only.valid_from is None and only.valid_to is None:
            return only.value_exc_vat
        return None

    def over(self, timeline: Timeline, as_of: datetime | None = None) -> FloatArray:
        """The rate per period of ``timeline``; with ``as_of``, the rate in force then, for every period."""
        constant = self.constant_value(as_of)
        if constant is not None:
            return np.full(timeline.n_periods, constant)
        starts = timeline.starts()
        out = np.full(timeline.n_periods, np.nan)
        for entry in self.entries:
            lo = np.datetime64(entry.start.replace(tzinfo=None), "m")
            hi = np.datetime64(entry.end.replace(tzinfo=None), "m")
            i, j = np.searchsorted(starts, [lo, hi])
            out[i:j] = entry.value_exc_vat
        if np.isnan(out).any():
            first = timeline.period_start(int(np.flatnonzero(np.isnan(out))[0]))
            raise TariffError(f"no rate in force at {first.isoformat()} (rates cover {self.coverage()})")
        return out


@dataclass(frozen=True, slots=True)
class RegionalRate:
    """A rate history that may differ by GSP region: ``by_region`` overrides ``default``."""

    default: RateHistory | None
    by_region: Mapping[str, RateHistory] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.default is None and not self.by_region:
            raise TariffError("a regional rate needs a default or at least one region")
        for region in self.by_region:
            check_region(region)
        object.__setattr__(self, "by_region", MappingProxyType(dict(self.by_region)))

    @classmethod
    def constant(cls, value_exc_vat: float, source: Source) -> RegionalRate:
        return cls(RateHistory.constant(value_exc_vat, source))

    def for_region(self, region: str) -> RateHistory:
        history = self.by_region.get(check_region(region), self.default)
        if history is None:
            raise TariffError(f"no rate for region {region} (regions covered: {', '.join(sorted(self.by_region))})")
        return history

    def sources(self) -> tuple[Source, ...]:
        histories = ([self.default] if self.default else []) + list(self.by_region.values())
        return tuple(entry.source for h in histories for entry in h.entries)


@dataclass(frozen=True, slots=True)
class Band:
    """A named unit rate applying inside ``windows`` (local clock); no windows = every other period."""

    name: str
    rate: RegionalRate
    windows: tuple[LocalWindow, ...] = ()

    def window_mask(self, timeline: Timeline) -> npt.NDArray[np.bool_]:
        mask = np.zeros(timeline.n_periods, dtype=np.bool_)
        for window in self.windows:
            mask |= window.mask(timeline)
        return mask


@dataclass(frozen=True, slots=True)
class SmartRules:
    """Supplier-dispatched smart-charging slots (Intelligent Octopus Go style).

    Dispatched slots price the *whole home* at ``offpeak_band`` — up to ``cap_hours`` of dispatch per
    local period starting at ``cap_day_start_minute`` (midday-to-midday). Dispatch beyond the cap, boost and
    any unscheduled EV draw are priced by the ordinary bands (peak outside the fixed window).
    """

    offpeak_band: str
    cap_hours: float | None = 6.0
    cap_day_start_minute: int = 12 * 60
    cap_counts_fixed_window: bool = False
    """Whether dispatch inside the fixed off-peak window uses up the cap (the public rules are unclear)."""


@dataclass(frozen=True, slots=True)
class AddOnRules:
    """An add-on that re-prices the EV's own charging on top of a compatible import tariff.

    The car is separated from the home: the home's consumption (derived from the meter and charger
    readings) is billed by the base tariff as normal, the EV's charging (charger-metered) at
    ``ev_rate`` (zero for the V2G add-on), energy exported *from the car* is unpaid when
    ``car_export_paid`` is false, and solar/battery export is still paid at the export tariff.
    """

    ev_rate: RegionalRate
    requires_bidirectional: bool = False
    car_export_paid: bool = True
    compatible_import: tuple[str, ...] = ()
    """Catalogue codes the add-on may sit on; empty = any not excluded."""
    incompatible_import: tuple[str, ...] = ()
    """Code prefixes/families the add-on may not sit on (e.g. ``AGILE``, ``SILVER``, ``INTELLI``)."""
    incompatible_export: tuple[str, ...] = ()

    def import_compatible(self, code: str) -> bool:
        upper = code.upper()
        if self.compatible_import and upper not in {c.upper() for c in self.compatible_import}:
            return False
        return not any(bad.upper() in upper for bad in self.incompatible_import)

    def export_compatible(self, code: str) -> bool:
        upper = code.upper()
        return not any(bad.upper() in upper for bad in self.incompatible_export)


@dataclass(frozen=True, slots=True)
class Requirements:
    """Who can take the tariff. ``None`` means the public sources say nothing either way."""

    smart_meter: frozenset[str] = frozenset({"SMETS2"})
    """Meter types accepted: ``SMETS2``, ``SMETS1_MIGRATED`` (SMETS1 after DCC migration), ``ANY``."""
    ev_proof: bool = False
    prepayment_allowed: bool = False
    regions: frozenset[str] = frozenset(REGIONS)
    compatible_ev_or_charger: bool = False
    """Needs a car or chargepoint on the supplier's integration list (session-model tariffs)."""
    v2g_hardware: bool = False
    export_permission_g99: bool = False


@dataclass(frozen=True, slots=True)
class Tariff:
    """A catalogue entry. Unit rates and standing charges are exc VAT; VAT comes from a VAT schedule."""

    code: str
    name: str
    supplier: str
    direction: Direction
    structure: Structure
    bands: tuple[Band, ...] = ()
    standing_charge: RegionalRate | None = None
    """p/day exc VAT; ``None`` where the tariff has none (export tariffs, add-ons)."""
    price_series: str | None = None
    """DYNAMIC only: name of the half-hourly price series (e.g. ``agile_import``) needed to bill it."""
    smart: SmartRules | None = None
    add_on: AddOnRules | None = None
    exit_fee_pence_per_fuel: int = 0
    requirements: Requirements = field(default_factory=Requirements)
    vat_applies: bool = True
    summary: str = ""
    notes: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()

    def __post_init__(self) -> None:
        if not self.code or self.code != self.code.strip():
            raise TariffError(f"tariff code {self.code!r} must be non-empty without surrounding spaces")
        kind = self.structure
        windowless = [b for b in self.bands if not b.windows]
        if kind in (Structure.FLAT, Structure.TIME_OF_USE, Structure.SMART_SESSION):
            if len(windowless) != 1:
                raise TariffError(f"{self.code}: {kind} needs exactly one band without windows (the default)")
            if kind is Structure.FLAT and len(self.bands) != 1:
                raise TariffError(f"{self.code}: a flat tariff has one band")
        if kind is Structure.DYNAMIC and not self.price_series:
            raise TariffError(f"{self.code}: a dynamic tariff names its price_series")
        if kind is Structure.SMART_SESSION and (
            self.smart is None or self.smart.offpeak_band not in {b.name for b in self.bands}
        ):
            raise TariffError(f"{self.code}: smart-session rules must name one of its bands as off-peak")
        if kind is Structure.ADD_ON and self.add_on is None:
            raise TariffError(f"{self.code}: an add-on needs add_on rules")
        if self.direction is Direction.IMPORT and kind is not Structure.ADD_ON and self.standing_charge is None:
            raise TariffError(f"{self.code}: an import tariff needs a standing charge")
        if self.exit_fee_pence_per_fuel < 0:
            raise TariffError(f"{self.code}: exit fee cannot be negative")

    def band(self, name: str) -> Band:
        for band in self.bands:
            if band.name == name:
                return band
        raise TariffError(f"{self.code} has no band {name!r} (bands: {', '.join(b.name for b in self.bands)})")

    @property
    def default_band(self) -> Band:
        return next(b for b in self.bands if not b.windows)

    @property
    def indicative(self) -> bool:
        """True when any of its numbers is marked indicative by its source."""
        rates = [b.rate for b in self.bands]
        if self.standing_charge:
            rates.append(self.standing_charge)
        if self.add_on:
            rates.append(self.add_on.ev_rate)
        return any(s.indicative for r in rates for s in r.sources())
