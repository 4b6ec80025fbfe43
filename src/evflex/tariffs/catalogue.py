"""The tariff catalogue: human-edited TOML files turned into validated :class:`~evflex.tariffs.model.Tariff`.

The packaged data (``evflex/tariffs/data/*.toml``, format in ``docs/catalogue.md``) covers every tariff of the
2026 UK EV table plus the flat and export tariffs they are compared with. A file may hold three top-level
tables:

* ``[sources.KEY]`` – where numbers come from: ``ref`` (URL or path), ``checked`` date, ``indicative``;
* ``[rate_tables.NAME]`` – a dated, possibly regional rate shared by tariffs (``[….use] table = "NAME"``);
* ``[[tariffs]]`` – the entries; rates exc VAT, every dated value citing a source key.

Files load in order and later files override earlier ones key by key (source keys, rate-table names, tariff
codes), so a user file can add or correct entries. Validation happens at the edge, with pydantic (the models
are in :mod:`evflex.tariffs.catalogue_schema`): unknown keys are errors and every message names the file, the
tariff code and the field.
"""

from __future__ import annotations

import difflib
import itertools
import os
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from pydantic import ValidationError

from evflex.periods import LocalWindow, PeriodError

# the `X as X` imports are re-exports: these names were importable from here before the schema moved out
from evflex.tariffs.catalogue_schema import AddOnSpec as AddOnSpec
from evflex.tariffs.catalogue_schema import (
    BandSpec,
    DatedRateSpec,
    FileSpec,
    RateSpec,
    RateTableSpec,
    SourceSpec,
    TariffSpec,
    UseSpec,
    _window,
)
from evflex.tariffs.catalogue_schema import Clock as Clock
from evflex.tariffs.catalogue_schema import Code as Code
from evflex.tariffs.catalogue_schema import Region as Region
from evflex.tariffs.catalogue_schema import RequirementsSpec as RequirementsSpec
from evflex.tariffs.catalogue_schema import SmartSpec as SmartSpec
from evflex.tariffs.catalogue_schema import Unit as Unit
from evflex.tariffs.catalogue_schema import UtcTime as UtcTime
from evflex.tariffs.catalogue_schema import Window as Window
from evflex.tariffs.model import (
    AddOnRules,
    Band,
    DatedRate,
    Direction,
    RateHistory,
    RegionalRate,
    Requirements,
    SmartRules,
    Source,
    Structure,
    Tariff,
    TariffError,
)

__all__ = ["Catalogue", "CatalogueError", "UnknownTariffError", "load_catalogue"]

_PACKAGE = "evflex.tariffs"
_DATA_DIR = "data"


class CatalogueError(TariffError):
    """A catalogue file is malformed; the message names the file, the tariff code and the field."""


class UnknownTariffError(TariffError):
    """No catalogue entry has the requested code; the message suggests close matches."""



# -- pydantic errors → one line naming file, code and field --------------------------------------------------
def _loc(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part != "[key]":
            text += f".{part}" if text else part
    return text


def _describe(exc: ValidationError, prefix: str) -> str:
    errors = exc.errors()
    first = errors[0]
    loc = tuple(first["loc"])
    if first["type"] == "extra_forbidden":  # backstop: _Spec._known_keys usually reports these
        message = f"unknown key {loc[-1]!r}"
    elif first["type"] == "missing":
        message, loc = f"missing required key {loc[-1]!r}", loc[:-1]
    else:
        message = str(first["msg"]).removeprefix("Value error, ")
        got = first.get("input")
        if first["type"] != "value_error" and isinstance(got, str | int | float | date):
            message += f" (got {got!r})"
    more = len(errors) - 1
    tail = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
    return f"{prefix}: {_loc(loc) + ': ' if loc else ''}{message}{tail}"


@contextmanager
def _context(where: str) -> Iterator[None]:
    """Re-raise model errors (overlapping dates, bad structure) with the file, code and field in front."""
    try:
        yield
    except CatalogueError:
        raise
    except (TariffError, PeriodError) as exc:
        raise CatalogueError(f"{where}: {exc}") from None


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.7)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _mark(history: RateHistory, indicative: bool, note: str) -> RateHistory:
    """The same history with every source flagged indicative and/or annotated."""
    if not indicative and not note:
        return history
    return RateHistory(tuple(
        replace(e, source=replace(e.source, indicative=e.source.indicative or indicative,
                                  note=_join(e.source.note, note)))
        for e in history.entries
    ))


# -- spec → model conversion ---------------------------------------------------------------------------------
@dataclass
class _Builder:
    sources: Mapping[str, SourceSpec]
    tables: Mapping[str, tuple[str, RateTableSpec]]
    built: dict[str, RegionalRate] = field(default_factory=dict)

    def source(self, key: str, where: str, *, indicative: bool = False, note: str = "") -> Source:
        spec = self.sources.get(key)
        if spec is None:
            hint = _suggest(key, self.sources)
            raise CatalogueError(f"{where}: unknown source {key!r}{hint}; define it under [sources.{key}]")
        return Source(f"{key}: {spec.ref}", spec.checked, spec.indicative or indicative, note)

    def dated(self, spec: DatedRateSpec, value: float, where: str) -> DatedRate:
        inc, vat = spec.quoted_inc_vat, spec.quoted_vat
        note = _join(spec.note, "" if inc is None else f"quoted {inc:g} p inc {vat:.0%} VAT")
        source = self.source(spec.source, f"{where}.source", indicative=spec.indicative, note=note)
        with _context(where):
            return DatedRate(value, source, spec.valid_from, spec.valid_to)

    def table(self, use: UseSpec, where: str, unit: str) -> RegionalRate:
        if use.table not in self.tables:
            hint = _suggest(use.table, self.tables)
            raise CatalogueError(f"{where}.table: unknown rate table {use.table!r}{hint}")
        label, spec = self.tables[use.table]
        if spec.unit != unit:
            raise CatalogueError(f"{where}.table: rate table {use.table!r} is in {spec.unit}, not {unit}")
        if use.table not in self.built:
            self.built[use.table] = self.regional(spec, f"{label}: rate_tables.{use.table}", unit)
        base = self.built[use.table]
        return RegionalRate(
            _mark(base.default, use.indicative, use.note) if base.default else None,
            {r: _mark(h, use.indicative, use.note) for r, h in base.by_region.items()},
        )

    def regional(self, spec: RateSpec | RateTableSpec, where: str, unit: str) -> RegionalRate:
        default: RateHistory | None = None
        regions: dict[str, RateHistory] = {}
        if isinstance(spec, RateSpec) and spec.use is not None:
            base = self.table(spec.use, f"{where}.use", unit)
            default, regions = base.default, dict(base.by_region)
        plain: list[tuple[int, DatedRate]] = []
        per_region: dict[str, list[tuple[int, DatedRate]]] = {}
        for i, entry in enumerate(spec.rates):
            at = f"{where}.rates[{i}]"
            if entry.value_exc_vat is not None:
                plain.append((i, self.dated(entry, entry.value_exc_vat, at)))
            for region, value in (entry.by_region or {}).items():
                per_region.setdefault(region, []).append((i, self.dated(entry, value, at)))
        if plain:
            default = _history(plain, where)
        for region, entries in per_region.items():
            regions[region] = _history(entries, f"{where} (region {region})")
        if spec.fallback_region:
            if spec.fallback_region not in regions:
                raise CatalogueError(f"{where}.fallback_region: no rates for region {spec.fallback_region}")
            note = f"region {spec.fallback_region} figure used for regions without their own"
            default = _mark(regions[spec.fallback_region], True, note)
        with _context(where):
            return RegionalRate(default, regions)

    def tariff(self, label: str, spec: TariffSpec) -> Tariff:
        where = f"{label}: {spec.code}"
        bands = tuple(self.band(b, f"{where}: bands[{i}]") for i, b in enumerate(spec.bands))
        _check_bands(bands, where)
        rates: list[tuple[str, RegionalRate]] = [(f"bands[{i}]", b.rate) for i, b in enumerate(bands)]
        standing = None
        if spec.standing_charge is not None:
            standing = self.regional(spec.standing_charge, f"{where}: standing_charge", "p/day")
            rates.append(("standing_charge", standing))
        add_on = None
        if spec.add_on is not None:
            a = spec.add_on
            ev_rate = self.regional(a.ev_rate, f"{where}: add_on.ev_rate", "p/kWh")
            rates.append(("add_on.ev_rate", ev_rate))
            add_on = AddOnRules(ev_rate, a.requires_bidirectional, a.car_export_paid,
                                tuple(a.compatible_import), tuple(a.incompatible_import),
                                tuple(a.incompatible_export))
        smart = None
        if spec.smart is not None:
            hh, mm = spec.smart.cap_day_start.split(":")
            smart = SmartRules(spec.smart.offpeak_band, spec.smart.cap_hours, int(hh) * 60 + int(mm),
                               spec.smart.cap_counts_fixed_window)
        req = spec.requirements
        requirements = Requirements(
            frozenset(req.smart_meter), req.ev_proof, req.prepayment_allowed, frozenset(req.regions),
            req.compatible_ev_or_charger, req.v2g_hardware, req.export_permission_g99,
        )
        for name, rate in rates:  # every region the tariff is offered in must have a price
            missing = [r for r in sorted(req.regions) if rate.default is None and r not in rate.by_region]
            if missing:
                raise CatalogueError(
                    f"{where}: {name}: no rate for region(s) {', '.join(missing)}: add them to by_region, "
                    "give a default value_exc_vat or a fallback_region"
                )
        sources = tuple(self.source(k, f"{where}: sources[{i}]") for i, k in enumerate(spec.sources))
        direction = Direction(spec.direction)
        try:
            return Tariff(
                code=spec.code, name=spec.name, supplier=spec.supplier, direction=direction,
                structure=Structure(spec.structure), bands=bands, standing_charge=standing,
                price_series=spec.price_series, smart=smart, add_on=add_on,
                exit_fee_pence_per_fuel=spec.exit_fee_gbp_per_fuel * 100, requirements=requirements,
                vat_applies=direction is Direction.IMPORT if spec.vat_applies is None else spec.vat_applies,
                summary=spec.summary, notes=tuple(spec.notes), sources=sources,
            )
        except TariffError as exc:
            raise CatalogueError(f"{where}: {str(exc).removeprefix(f'{spec.code}: ')}") from None

    def band(self, spec: BandSpec, where: str) -> Band:
        rate = self.regional(spec, where, "p/kWh")
        with _context(f"{where}.windows"):
            windows = tuple(_window(w) for w in spec.windows)
        return Band(spec.name, rate, windows)


def _history(entries: list[tuple[int, DatedRate]], where: str) -> RateHistory:
    """A rate history, refusing overlapping dates with the indices of the clashing entries."""
    def span(r: DatedRate) -> str:
        ends = [f"{t:%Y-%m-%dT%H:%MZ}" if t else None for t in (r.valid_from, r.valid_to)]
        return f"{ends[0] or 'always'} → {ends[1] or 'open-ended'}"

    ordered = sorted(entries, key=lambda e: e[1].start)
    for (i, a), (j, b) in itertools.pairwise(ordered):
        if b.start < a.end:
            raise CatalogueError(f"{where}: rates[{i}] ({span(a)}) and rates[{j}] ({span(b)}) overlap")
    with _context(where):
        return RateHistory(tuple(e for _, e in entries))


_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _week_slots(windows: Iterable[LocalWindow]) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Which of the week's 336 local half-hours (Monday 00:00 first) the windows cover."""
    slots = np.zeros(7 * 48, dtype=np.bool_)
    for w in windows:
        span = w.start_minute // 30 + np.arange(w.minutes_per_day // 30)
        for day in w.weekdays:
            slots[(day * 48 + span) % slots.size] = True
    return slots


def _check_bands(bands: Sequence[Band], where: str) -> None:
    names = [b.name for b in bands]
    for name in set(names):
        if names.count(name) > 1:
            raise CatalogueError(f"{where}: bands: band name {name!r} appears twice")
    covered = [(b.name, _week_slots(b.windows)) for b in bands if b.windows]
    for i, (name_a, a) in enumerate(covered):
        for name_b, b in covered[i + 1 :]:
            both = np.flatnonzero(a & b)
            if both.size:
                slot = int(both[0])
                at = f"{_DAY_NAMES[slot // 48]} {slot % 48 // 2:02d}:{slot % 2 * 30:02d}"
                raise CatalogueError(f"{where}: bands: windows of {name_a!r} and {name_b!r} overlap ({at})")


# -- files --------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _FileRef:
    label: str
    """How errors name the file: ``tariffs/data/edf.toml`` for packaged data, the path as given otherwise."""
    path: str | None
    """Filesystem path; ``None`` for packaged data read through importlib.resources."""
    stamp: tuple[int, int] = (0, 0)
    """``(mtime_ns, size)``: part of the cache key so an edited user file is re-read."""

    def read_text(self) -> str:
        if self.path is None:
            name = self.label.rsplit("/", 1)[-1]
            return (resources.files(_PACKAGE) / _DATA_DIR / name).read_text(encoding="utf-8")
        return Path(self.path).read_text(encoding="utf-8")


def _packaged_files() -> list[_FileRef]:
    folder = resources.files(_PACKAGE) / _DATA_DIR
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".toml"))
    return [_FileRef(f"tariffs/{_DATA_DIR}/{name}", None) for name in names]


def _user_files(paths: Iterable[str | os.PathLike[str]]) -> list[_FileRef]:
    refs: list[_FileRef] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(path.glob("*.toml"))
            if not found:
                raise CatalogueError(f"{given}: no *.toml catalogue files in this folder")
        elif path.is_file():
            found = [path]
        else:
            raise CatalogueError(f"{given}: catalogue file not found")
        for f in found:
            st = f.stat()
            label = os.fspath(given) if f == path else str(f)
            refs.append(_FileRef(label, str(f.resolve()), (st.st_mtime_ns, st.st_size)))
    return refs


def _read(ref: _FileRef) -> tuple[FileSpec, list[TariffSpec]]:
    try:
        raw = tomllib.loads(ref.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{ref.label}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{ref.label}: cannot read: {exc}") from None
    try:
        spec = FileSpec.model_validate(raw)
    except ValidationError as exc:
        raise CatalogueError(_describe(exc, ref.label)) from None
    tariffs: list[TariffSpec] = []
    for i, entry in enumerate(spec.tariffs):
        code = entry.get("code")
        name = code if isinstance(code, str) and code else f"tariffs[{i}]"
        try:
            tariffs.append(TariffSpec.model_validate(entry))
        except ValidationError as exc:
            raise CatalogueError(_describe(exc, f"{ref.label}: {name}")) from None
        if tariffs[-1].code in {t.code for t in tariffs[:-1]}:
            raise CatalogueError(f"{ref.label}: {name}: code: appears twice in this file")
    return spec, tariffs


@lru_cache(maxsize=16)
def _load(refs: tuple[_FileRef, ...]) -> Catalogue:
    sources: dict[str, SourceSpec] = {}
    tables: dict[str, tuple[str, RateTableSpec]] = {}
    entries: dict[str, tuple[str, TariffSpec]] = {}
    for ref in refs:  # later files override earlier ones, key by key
        spec, tariffs = _read(ref)
        sources.update(spec.sources)
        tables.update({name: (ref.label, t) for name, t in spec.rate_tables.items()})
        entries.update({t.code: (ref.label, t) for t in tariffs})
    builder = _Builder(sources, tables)
    built = {code: builder.tariff(label, spec) for code, (label, spec) in entries.items()}
    for code, tariff in built.items():
        if tariff.add_on is not None:
            for i, other in enumerate(tariff.add_on.compatible_import):
                if other.upper() not in built:
                    where = f"{entries[code][0]}: {code}: add_on.compatible_import[{i}]"
                    hint = _suggest(other.upper(), built)
                    raise CatalogueError(f"{where}: no tariff {other!r} in the catalogue{hint}")
    return Catalogue(built, {code: label for code, (label, _) in entries.items()})


def load_catalogue(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str] | None = None,
    *,
    include_packaged: bool = True,
) -> Catalogue:
    """Load the packaged catalogue plus any user ``paths`` (TOML files or folders of them), cached.

    User files load after the packaged data and override it key by key (tariff codes, source keys,
    rate-table names). With ``include_packaged=False`` only ``paths`` are read. Raises
    :class:`CatalogueError` naming the file, tariff code and field of the first problem found.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    refs = (_packaged_files() if include_packaged else []) + _user_files(paths or ())
    if not refs:
        raise CatalogueError("no catalogue files given (pass paths or include_packaged=True)")
    return _load(tuple(refs))


# -- the catalogue -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Catalogue:
    """Tariffs by code, in load order. ``origins`` maps each code to the file that defined it."""

    tariffs: Mapping[str, Tariff]
    origins: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for code, tariff in self.tariffs.items():
            if code != tariff.code:
                raise TariffError(f"catalogue key {code!r} does not match tariff code {tariff.code!r}")
        object.__setattr__(self, "tariffs", MappingProxyType(dict(self.tariffs)))
        object.__setattr__(self, "origins", MappingProxyType(dict(self.origins)))

    def __iter__(self) -> Iterator[Tariff]:
        return iter(self.tariffs.values())

    def __len__(self) -> int:
        return len(self.tariffs)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().upper() in self.tariffs

    def codes(self) -> tuple[str, ...]:
        return tuple(self.tariffs)

    def get(self, code: str) -> Tariff:
        """The tariff with ``code`` (any case); :class:`UnknownTariffError` with suggestions if none."""
        key = code.strip().upper()
        tariff = self.tariffs.get(key)
        if tariff is None:
            raise UnknownTariffError(self._unknown(code))
        return tariff

    def origin(self, code: str) -> str:
        """The file that defined ``code`` (``tariffs/data/….toml`` or a user path)."""
        return self.origins.get(self.get(code).code, "")

    def imports(self) -> tuple[Tariff, ...]:
        """Import tariffs a household can be on by themselves (add-ons excluded)."""
        return tuple(t for t in self if t.direction is Direction.IMPORT and t.structure != Structure.ADD_ON)

    def exports(self) -> tuple[Tariff, ...]:
        return tuple(t for t in self if t.direction is Direction.EXPORT and t.structure != Structure.ADD_ON)

    def add_ons(self) -> tuple[Tariff, ...]:
        return tuple(t for t in self if t.structure is Structure.ADD_ON)

    def _unknown(self, code: str) -> str:
        key = code.strip().upper()
        close = difflib.get_close_matches(key, list(self.tariffs), n=4, cutoff=0.5)
        by_name = {t.name.lower(): t.code for t in self}
        names = difflib.get_close_matches(code.strip().lower(), list(by_name), n=2, cutoff=0.6)
        close += [by_name[n] for n in names]
        if key:
            close += [c for c in self.tariffs if key in c]
        suggestions = list(dict.fromkeys(close))[:4]
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        return f"unknown tariff {code!r}{hint} Run `evflex tariffs list` to see every code."
