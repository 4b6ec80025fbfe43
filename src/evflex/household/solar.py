"""Optional rooftop solar: half-hourly generation from pvlib for a UK location.

Model (stated assumptions, not a site survey):

* clear-sky irradiance from pvlib (Ineichen with Linke turbidity) at each period's midpoint, scaled by a
  monthly **UK clear-sky index** (:data:`UK_CLEAR_SKY_INDEX`, our assumption: all-sky over clear-sky GHI,
  chosen so London gets ≈ 1,000 kWh/m² a year, the usual southern-England figure) to stand for average
  cloudiness — no weather, so no day-to-day variation, and the same index everywhere (so Scotland comes
  out a little high). Cloud cuts the beam more than the diffuse part: beam × index², diffuse makes up
  the rest of the global irradiance;
* transposition to the panel plane with the isotropic sky model;
* PVWatts DC (−0.37 %/°C, cells from the Faiman model at a monthly UK mean air temperature,
  :data:`UK_MEAN_AIR_TEMP_C`, 2 m/s wind), 14 % system losses, PVWatts inverter (96 % nominal) sized to
  the array.

With these, a south-facing 35° array makes ≈ 950 kWh/kWp a year in London (≈ 915 in Inverness).
``pvlib`` is imported when generation is computed, so the rest of evflex runs without it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.household.profile import HouseholdError
from evflex.periods import Timeline
from evflex.tariffs.model import check_region

__all__ = [
    "REGION_LOCATIONS",
    "UK_CLEAR_SKY_INDEX",
    "UK_MEAN_AIR_TEMP_C",
    "SolarArray",
    "solar_generation_kwh",
]

FloatArray = npt.NDArray[np.float64]

REGION_LOCATIONS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {  # a representative town in each GSP region: (latitude, longitude)
        "A": (52.21, 0.12),  # Cambridge
        "B": (52.95, -1.15),  # Nottingham
        "C": (51.51, -0.13),  # London
        "D": (53.41, -2.98),  # Liverpool
        "E": (52.49, -1.89),  # Birmingham
        "F": (54.98, -1.61),  # Newcastle
        "G": (53.48, -2.24),  # Manchester
        "H": (50.91, -1.40),  # Southampton
        "J": (51.27, 0.52),  # Maidstone
        "K": (51.48, -3.18),  # Cardiff
        "L": (50.72, -3.53),  # Exeter
        "M": (53.80, -1.55),  # Leeds
        "N": (55.86, -4.25),  # Glasgow
        "P": (57.48, -4.22),  # Inverness
    }
)
UK_CLEAR_SKY_INDEX = np.array([0.58, 0.60, 0.63, 0.66, 0.67, 0.69, 0.70, 0.69, 0.68, 0.65, 0.62, 0.60])
"""Assumed monthly ratio of all-sky to clear-sky global irradiance, January…December."""
UK_MEAN_AIR_TEMP_C = np.array([5.0, 5.5, 7.5, 10.0, 13.0, 16.0, 18.0, 18.0, 15.5, 12.0, 8.0, 5.5])
"""Assumed monthly mean air temperature (°C), January…December."""


@dataclass(frozen=True, slots=True)
class SolarArray:
    """A rooftop PV array; ``latitude``/``longitude`` default to the household's region."""

    kwp: float
    tilt_deg: float = 35.0
    azimuth_deg: float = 180.0
    """Compass bearing the panels face (180 = south)."""
    latitude: float | None = None
    longitude: float | None = None
    losses_percent: float = 14.0

    def __post_init__(self) -> None:
        if not 0.0 < self.kwp <= 50.0:
            raise HouseholdError(f"solar array of {self.kwp} kWp: give a domestic size in (0, 50], e.g. 4")
        if not 0.0 <= self.tilt_deg <= 90.0:
            raise HouseholdError(f"solar tilt {self.tilt_deg}° must be 0 (flat) … 90 (vertical)")
        if not 0.0 <= self.azimuth_deg < 360.0:
            raise HouseholdError(f"solar azimuth {self.azimuth_deg}° must be a bearing 0…360 (180 = south)")
        if (self.latitude is None) != (self.longitude is None):
            raise HouseholdError("give both latitude and longitude for the solar array, or neither")
        if self.latitude is not None and not (49.0 <= self.latitude <= 61.0):
            raise HouseholdError(f"latitude {self.latitude} is outside Great Britain (49…61 °N)")
        if not 0.0 <= self.losses_percent < 100.0:
            raise HouseholdError(f"losses_percent {self.losses_percent} must be in [0, 100)")

    def location(self, region: str) -> tuple[float, float]:
        if self.latitude is not None and self.longitude is not None:
            return self.latitude, self.longitude
        return REGION_LOCATIONS[check_region(region)]


def solar_generation_kwh(array: SolarArray, timeline: Timeline, region: str = "C") -> FloatArray:
    """AC generation (kWh per period) of ``array`` over ``timeline``; see the module docstring."""
    try:
        import pandas as pd
        import pvlib
    except ImportError:  # pragma: no cover - pvlib is a declared dependency
        raise HouseholdError("solar needs pvlib: install it with `pip install pvlib`") from None
    n = timeline.n_periods
    if n == 0:
        return np.zeros(0)
    lat, lon = array.location(region)
    with warnings.catch_warnings():
        # pvlib 0.16 calls DatetimeIndex.dayofyear, deprecated in pandas 3: not ours to fix, not useful to see
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pvlib\.")
        return _generation_kwh(array, timeline, lat, lon, pd, pvlib)


def _generation_kwh(
    array: SolarArray, timeline: Timeline, lat: float, lon: float, pd: Any, pvlib: Any
) -> FloatArray:
    half = np.timedelta64(timeline.period_minutes * 30, "s")  # period midpoints
    times = pd.DatetimeIndex(timeline.starts() + half, tz="UTC")
    site = pvlib.location.Location(lat, lon, tz="UTC", altitude=50.0)
    sun = site.get_solarposition(times)
    clear = site.get_clearsky(times, model="ineichen", solar_position=sun)
    month = times.month.to_numpy() - 1
    csi = UK_CLEAR_SKY_INDEX[month]
    # beam × csi², global × csi, diffuse = the rest (≥ 0 because csi ≤ 1 and clear GHI ≥ beam·cos z)
    cos_z = np.clip(np.cos(np.radians(sun["apparent_zenith"].to_numpy())), 0.0, None)
    dni = clear["dni"].to_numpy() * csi**2
    ghi = clear["ghi"].to_numpy() * csi
    dhi = np.clip(ghi - dni * cos_z, 0.0, None)
    poa = pvlib.irradiance.get_total_irradiance(
        array.tilt_deg, array.azimuth_deg, sun["apparent_zenith"].to_numpy(), sun["azimuth"].to_numpy(),
        dni, ghi, dhi, model="isotropic",
    )["poa_global"]
    poa_w_m2 = np.nan_to_num(np.asarray(poa, dtype=np.float64), nan=0.0)
    temp_cell = pvlib.temperature.faiman(poa_w_m2, UK_MEAN_AIR_TEMP_C[month], wind_speed=2.0)
    pdc0_w = array.kwp * 1000.0
    pdc = pvlib.pvsystem.pvwatts_dc(poa_w_m2, temp_cell, pdc0_w, gamma_pdc=-0.0037)
    pdc = np.asarray(pdc, dtype=np.float64) * (1.0 - array.losses_percent / 100.0)
    pac = pvlib.inverter.pvwatts(pdc, pdc0_w / 0.96)  # inverter rated at the array's nameplate AC output
    ac_kw = np.clip(np.nan_to_num(np.asarray(pac, dtype=np.float64), nan=0.0), 0.0, None) / 1000.0
    kwh: FloatArray = ac_kw * timeline.period_hours
    return kwh
