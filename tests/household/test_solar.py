"""Tests for rooftop solar generation (pvlib)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from evflex.household.profile import HouseholdError
from evflex.household.solar import REGION_LOCATIONS, SolarArray, solar_generation_kwh
from evflex.periods import local_day, local_year

pytest.importorskip("pvlib")


@pytest.fixture(scope="module")
def london_year() -> np.ndarray:
    return solar_generation_kwh(SolarArray(4.0), local_year(2025), "C")


def test_annual_yield_is_in_the_uk_range(london_year: np.ndarray) -> None:
    # south-facing 35° in London: UK installers quote roughly 850–1,050 kWh/kWp a year
    assert 850.0 < london_year.sum() / 4.0 < 1050.0
    assert (london_year >= 0).all()
    assert london_year.max() <= 4.0 * 0.5  # never above the nameplate over a half-hour


def test_night_is_dark_and_summer_beats_winter(london_year: np.ndarray) -> None:
    tl = local_year(2025)
    local = tl.local()
    night = (local.minute_of_day < 4 * 60) | (local.minute_of_day >= 22 * 60)
    assert not london_year[night].any()
    day = local.day_ordinal
    june = london_year[day == date(2025, 6, 21).toordinal()].sum()
    december = london_year[day == date(2025, 12, 21).toordinal()].sum()
    assert june > 3.0 * december > 0.0


def test_peak_is_near_solar_noon() -> None:
    tl = local_day(date(2025, 6, 21))
    gen = solar_generation_kwh(SolarArray(4.0), tl, "C")
    peak_local_minute = tl.local().minute_of_day[int(np.argmax(gen))]
    assert 12 * 60 <= peak_local_minute <= 13 * 60 + 30  # solar noon in London ≈ 13:00 BST


def test_orientation_scale_and_location() -> None:
    tl = local_day(date(2025, 5, 1))
    south = solar_generation_kwh(SolarArray(4.0), tl, "C")
    east = solar_generation_kwh(SolarArray(4.0, azimuth_deg=90.0), tl, "C")
    double = solar_generation_kwh(SolarArray(8.0), tl, "C")
    assert east.sum() < south.sum()
    # east-facing panels make their energy in the morning
    assert np.argmax(east) < np.argmax(south)
    np.testing.assert_allclose(double, 2.0 * south, rtol=1e-9, atol=1e-12)
    pinned = SolarArray(4.0, latitude=REGION_LOCATIONS["C"][0], longitude=REGION_LOCATIONS["C"][1])
    np.testing.assert_allclose(solar_generation_kwh(pinned, tl, "P"), south)
    assert SolarArray(4.0).location("p") == REGION_LOCATIONS["P"]


@pytest.mark.parametrize("day", [date(2025, 3, 30), date(2025, 10, 26)])
def test_clock_change_days(day: date) -> None:
    tl = local_day(day)
    gen = solar_generation_kwh(SolarArray(3.0), tl, "J")
    assert gen.shape == (tl.n_periods,)
    assert gen.sum() > 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kwp": 0.0}, "kWp"),
        ({"kwp": 4.0, "tilt_deg": 95.0}, "tilt"),
        ({"kwp": 4.0, "azimuth_deg": 360.0}, "azimuth"),
        ({"kwp": 4.0, "latitude": 51.5}, "both latitude and longitude"),
        ({"kwp": 4.0, "latitude": 40.0, "longitude": 0.0}, "outside Great Britain"),
        ({"kwp": 4.0, "losses_percent": 100.0}, "losses_percent"),
    ],
)
def test_validation(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(HouseholdError, match=match):
        SolarArray(**kwargs)
