"""Carbon intensity from the NESO Carbon Intensity API (gCO2/kWh, half-hourly, UTC).

Parses the three JSON shapes the API returns (see ``docs/signals.md``):

* national ``/intensity/…``: ``{"data": [{"from", "to", "intensity": {"forecast", "actual", "index"}}]}``,
  ``actual`` is ``null`` for periods not yet measured;
* all regions ``/regional/intensity/…``: ``{"data": [{"from", "to", "regions": [{"regionid", …}]}]}``,
  forecasts only; ids outside 1–17 (the aggregate ``18`` "GB" seen in live responses) are skipped;
* one region ``/regional/intensity/…/regionid/{id}``: ``{"data": {"regionid", …, "data": [...]}}``, whose
  outer ``data`` is an object in live responses and a one-element list in the docs; both are accepted.

Plans use forecasts and outcomes are judged on actuals, so both are kept as separate series. Parsing is
pure (payload in, series out); fetching over HTTP is an adapter's job.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.periods import Timeline
from evflex.signals.series import SignalError, SignalSeries, flag_values, format_utc, from_points
from evflex.tariffs.model import TariffError, check_region

__all__ = [
    "CI_REGION_TO_GSP",
    "GSP_TO_CI_REGION",
    "INDEX_BANDS",
    "KNOWN_REGION_IDS",
    "NATIONAL_REGION_ID",
    "UNIT",
    "CarbonIntensity",
    "RegionalCarbon",
    "ci_region_for_gsp",
    "flag_zero_actuals",
    "gsp_for_ci_region",
    "parse_national",
    "parse_region",
    "parse_regional",
]

UNIT = "gCO2/kWh"
NATIONAL_REGION_ID = 0
"""Id used for national (GB) data, as in the shared CSV's ``region_id`` column; not an API region id."""
KNOWN_REGION_IDS = frozenset(range(1, 18))
"""1–14 DNO areas, 15 England, 16 Scotland, 17 Wales (CI docs "Regions" table)."""
INDEX_BANDS: tuple[str, ...] = ("very low", "low", "moderate", "high", "very high")

CI_REGION_TO_GSP: Mapping[int, str] = MappingProxyType(
    # GSP groups A…P (no I, O) in order, each with the CI id whose region name matches it
    dict(zip((10, 9, 13, 6, 8, 4, 3, 12, 14, 7, 11, 5, 2, 1), "ABCDEFGHJKLMNP", strict=True))
)
"""Carbon Intensity region id → GSP group letter. **Derived** by matching region names (facts sheet §5):
neither NESO nor Octopus publishes it; H ↔ 12 rests on an unverified ``dnoregion``."""
GSP_TO_CI_REGION: Mapping[str, int] = MappingProxyType({gsp: rid for rid, gsp in CI_REGION_TO_GSP.items()})

_PERIOD = timedelta(minutes=30)


def gsp_for_ci_region(region_id: int) -> str:
    """GSP letter for a CI DNO region id 1–14 (derived mapping); 15–17 are nations, not GSP groups."""
    if region_id in CI_REGION_TO_GSP:
        return CI_REGION_TO_GSP[region_id]
    what = "a nation (15 England, 16 Scotland, 17 Wales)" if region_id in (15, 16, 17) else "not a DNO region"
    raise SignalError(f"Carbon Intensity region {region_id} is {what}: use an id 1–14 for a GSP group")


def ci_region_for_gsp(region: str) -> int:
    """CI region id for a GSP letter (``"J"`` → 14; derived mapping)."""
    try:
        return GSP_TO_CI_REGION[check_region(region)]
    except TariffError as err:
        raise SignalError(str(err)) from None


@dataclass(frozen=True, slots=True)
class CarbonIntensity:
    """Forecast and (where the source has them) actual intensity for one region on one timeline."""

    region_id: int
    """0 for national GB data, else the CI region id 1–17."""
    forecast: SignalSeries
    actual: SignalSeries | None
    """``None`` where the source carries no actuals (the regional endpoints are forecast-only)."""
    index: npt.NDArray[np.str_] | None = None
    """NESO's band per period (one of :data:`INDEX_BANDS`; ``""`` where absent or unrecognised).

    ``None`` when the source has no bands (the shared CSV)."""

    @property
    def timeline(self) -> Timeline:
        return self.forecast.timeline


@dataclass(frozen=True, slots=True)
class RegionalCarbon:
    """An all-regions response: one :class:`CarbonIntensity` per known region id on a common timeline."""

    regions: Mapping[int, CarbonIntensity]
    skipped_region_ids: tuple[int, ...] = ()
    """Region ids present in the payload but outside 1–17 (e.g. 18, an aggregate), left out."""

    def for_gsp(self, region: str) -> CarbonIntensity:
        """The series for a GSP letter via the derived mapping (:data:`GSP_TO_CI_REGION`)."""
        rid = ci_region_for_gsp(region)
        if rid not in self.regions:
            raise SignalError(f"region {rid} (GSP {check_region(region)}) is not in this response")
        return self.regions[rid]


# -- parsing -----------------------------------------------------------------------------------------
def _load(payload: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError as err:
            raise SignalError(
                f"Carbon Intensity response is not JSON ({err.msg} at position {err.pos})"
            ) from None
    if not isinstance(payload, Mapping):
        raise SignalError(f"Carbon Intensity response must be a JSON object, got {type(payload).__name__}")
    if "error" in payload:
        error = payload["error"]
        if isinstance(error, Mapping):
            code, message = error.get("code", "?"), error.get("message", "(no message)")
            raise SignalError(f"Carbon Intensity API error {code}: {message}")
        raise SignalError(f"Carbon Intensity API error: {error}")
    if "data" not in payload:
        raise SignalError(f"Carbon Intensity response has no 'data' (keys: {', '.join(map(str, payload))})")
    return payload


def _records(value: object, where: str) -> Sequence[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(r, Mapping) for r in value):
        raise SignalError(f"{where}: expected a list of period objects, got {type(value).__name__}")
    if not value:
        raise SignalError(f"{where}: no periods in the response")
    return value


def _time(text: object, where: str) -> datetime:
    if not isinstance(text, str):
        raise SignalError(f"{where}: time {text!r} is not a string like '2018-01-20T12:00Z'")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SignalError(f"{where}: time {text!r} is not ISO 8601 like '2018-01-20T12:00Z'") from None
    if moment.tzinfo is None:
        raise SignalError(
            f"{where}: time {text!r} has no 'Z'; the API writes UTC times as '2018-01-20T12:00Z'"
        )
    return moment.astimezone(UTC)


def _number(value: object, where: str) -> float:
    if value is None:
        return np.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SignalError(f"{where}: intensity {value!r} is not a number or null")
    return float(value)


def _period_starts(records: Sequence[Mapping[str, Any]], where: str) -> list[datetime]:
    starts = []
    for i, rec in enumerate(records):
        at = f"{where}[{i}]"
        start, end = _time(rec.get("from"), f"{at}.from"), _time(rec.get("to"), f"{at}.to")
        if end - start != _PERIOD:
            raise SignalError(f"{at}: {format_utc(start)}→{format_utc(end)} is not one half-hour period")
        starts.append(start)
    return starts


def _series_for(
    records: Sequence[Mapping[str, Any]],
    starts: list[datetime],
    timeline: Timeline | None,
    name: str,
    where: str,
) -> tuple[SignalSeries, SignalSeries | None, npt.NDArray[np.str_]]:
    """Forecast, actual (``None`` if no record has the key) and index band per period."""
    forecast, actual, bands = [], [], []
    has_actual = False
    for i, rec in enumerate(records):
        intensity = rec.get("intensity")
        if not isinstance(intensity, Mapping):
            raise SignalError(f"{where}[{i}]: no 'intensity' object")
        forecast.append(_number(intensity.get("forecast"), f"{where}[{i}].intensity.forecast"))
        has_actual |= "actual" in intensity
        actual.append(_number(intensity.get("actual"), f"{where}[{i}].intensity.actual"))
        band = intensity.get("index")
        bands.append(float(INDEX_BANDS.index(band)) if band in INDEX_BANDS else np.nan)
    fc = from_points(f"{name}_forecast", UNIT, starts, forecast, timeline=timeline)
    act = from_points(f"{name}_actual", UNIT, starts, actual, timeline=fc.timeline) if has_actual else None
    codes = from_points("index", "", starts, bands, timeline=fc.timeline).values
    names = np.array(("", *INDEX_BANDS))
    index = names[np.where(np.isnan(codes), 0, np.nan_to_num(codes) + 1).astype(np.int64)]
    return fc, act, index


def flag_zero_actuals(actual: SignalSeries) -> SignalSeries:
    """Flag actuals of exactly 0 gCO2/kWh: GB intensity is never zero, so these are upstream glitches."""
    return flag_values(
        actual, actual.values == 0.0, "actual of exactly 0 gCO2/kWh (impossible for GB; an upstream glitch)"
    )


def parse_national(payload: Mapping[str, Any] | str | bytes) -> CarbonIntensity:
    """National intensity (``/intensity/…``): forecast, actual (``null`` → missing), index band."""
    records = _records(_load(payload)["data"], "data")
    starts = _period_starts(records, "data")
    fc, act, index = _series_for(records, starts, None, "carbon_intensity_national", "data")
    return CarbonIntensity(NATIONAL_REGION_ID, fc, flag_zero_actuals(act) if act is not None else None, index)


def parse_regional(payload: Mapping[str, Any] | str | bytes) -> RegionalCarbon:
    """All regions (``/regional/intensity/…``): forecast per known region id on one common timeline."""
    entries = _records(_load(payload)["data"], "data")
    starts = _period_starts(entries, "data")
    per_region: dict[int, tuple[list[Mapping[str, Any]], list[datetime]]] = {}
    skipped: set[int] = set()
    for i, (entry, start) in enumerate(zip(entries, starts, strict=True)):
        regions = entry.get("regions")
        if not isinstance(regions, list):
            raise SignalError(f"data[{i}]: no 'regions' list (is this a national or single-region response?)")
        for j, region in enumerate(regions):
            rid = region.get("regionid") if isinstance(region, Mapping) else None
            if not isinstance(rid, int):
                raise SignalError(f"data[{i}].regions[{j}]: no integer 'regionid'")
            if rid not in KNOWN_REGION_IDS:
                skipped.add(rid)
                continue
            recs, times = per_region.setdefault(rid, ([], []))
            recs.append(region)
            times.append(start)
    if not per_region:
        raise SignalError(f"no known region ids (1–17) in the response; found {sorted(skipped)}")
    lo, hi = min(starts), max(starts)
    timeline = Timeline.between(lo, hi + _PERIOD)
    result = {}
    for rid in sorted(per_region):
        recs, times = per_region[rid]
        fc, act, index = _series_for(
            recs, times, timeline, f"carbon_intensity_region_{rid}", f"regionid {rid}"
        )
        result[rid] = CarbonIntensity(rid, fc, flag_zero_actuals(act) if act is not None else None, index)
    return RegionalCarbon(MappingProxyType(result), tuple(sorted(skipped)))


def parse_region(payload: Mapping[str, Any] | str | bytes) -> CarbonIntensity:
    """One region (``…/regionid/{id}`` or ``…/postcode/{pc}``); outer ``data`` an object or 1-element list."""
    outer = _load(payload)["data"]
    if isinstance(outer, list):
        if len(outer) != 1:
            raise SignalError(
                f"single-region response: 'data' is a list of {len(outer)}, expected one region"
            )
        outer = outer[0]
    if not isinstance(outer, Mapping):
        raise SignalError(f"single-region response: 'data' must be an object, got {type(outer).__name__}")
    rid = outer.get("regionid")
    if not isinstance(rid, int) or rid not in KNOWN_REGION_IDS:
        raise SignalError(f"single-region response: regionid {rid!r} is not a known region id 1–17")
    records = _records(outer.get("data"), "data.data")
    starts = _period_starts(records, "data.data")
    fc, act, index = _series_for(records, starts, None, f"carbon_intensity_region_{rid}", "data.data")
    return CarbonIntensity(rid, fc, flag_zero_actuals(act) if act is not None else None, index)
