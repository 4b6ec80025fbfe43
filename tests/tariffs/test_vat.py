from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evflex.periods import Timeline, local_day, local_year
from evflex.tariffs.model import TariffError
from evflex.tariffs.vat import DOMESTIC_ELECTRICITY_VAT, VatSchedule, vat_fraction_over

ZERO_FROM = datetime(2026, 9, 30, 23, 0, tzinfo=UTC)  # 1 Oct 2026 00:00 BST
ZERO_TO = datetime(2027, 3, 31, 23, 0, tzinfo=UTC)  # 1 Apr 2027 00:00 BST


@pytest.mark.parametrize(
    ("moment", "fraction"),
    [
        (datetime(2020, 1, 1, tzinfo=UTC), 0.05),
        (ZERO_FROM - timedelta(minutes=30), 0.05),  # 23:30 BST on 30 Sep
        (ZERO_FROM, 0.0),
        (datetime(2026, 12, 25, tzinfo=UTC), 0.0),
        (ZERO_TO - timedelta(minutes=30), 0.0),  # 23:30 BST on 31 Mar 2027
        (ZERO_TO, 0.05),
        (datetime(2040, 6, 1, tzinfo=UTC), 0.05),
    ],
)
def test_default_schedule_at_the_boundaries(moment: datetime, fraction: float) -> None:
    assert DOMESTIC_ELECTRICITY_VAT.fraction_at(moment) == fraction


def test_fraction_over_a_timeline_crossing_the_october_2026_change() -> None:
    timeline = Timeline(ZERO_FROM - timedelta(hours=1), 4)
    assert vat_fraction_over(timeline).tolist() == [0.05, 0.05, 0.0, 0.0]
    assert set(vat_fraction_over(local_day(date(2026, 9, 30)))) == {0.05}
    assert set(vat_fraction_over(local_day(date(2026, 10, 1)))) == {0.0}
    assert set(vat_fraction_over(local_day(date(2027, 4, 1)))) == {0.05}


def test_zero_rate_periods_in_local_2026() -> None:
    vat = vat_fraction_over(local_year(2026))
    # 1 Oct – 31 Dec local = 92 days, one of them the 50-period 25 Oct clock change
    assert int((vat == 0.0).sum()) == 92 * 48 + 2
    assert int((vat == 0.05).sum()) == 17_520 - (92 * 48 + 2)


def test_inc_vat_reproduces_quoted_prices() -> None:
    # Flexible Octopus region C: 25.0927 exc → 26.35 inc (Jul–Sep 2026); 26.5956 exc is also inc in Oct 2026
    july, october = local_day(date(2026, 7, 1)), local_day(date(2026, 10, 1))
    assert np.round(DOMESTIC_ELECTRICITY_VAT.inc_vat(np.full(48, 25.0927), july), 2).tolist() == [26.35] * 48
    assert DOMESTIC_ELECTRICITY_VAT.inc_vat(np.full(48, 26.5956), october).tolist() == [26.5956] * 48
    with pytest.raises(TariffError, match="47 values"):
        DOMESTIC_ELECTRICITY_VAT.inc_vat(np.zeros(47), july)


def test_as_of_freezes_the_rate() -> None:
    timeline = local_day(date(2026, 7, 1))
    frozen = DOMESTIC_ELECTRICITY_VAT.fraction_over(timeline, as_of=datetime(2026, 11, 1, tzinfo=UTC))
    assert frozen.tolist() == [0.0] * 48


def test_constant_schedule_for_presets() -> None:
    flat = VatSchedule.constant(0.05)
    assert set(flat.fraction_over(local_year(2026))) == {0.05}
    assert flat.fraction_at(datetime(2026, 12, 1, tzinfo=UTC)) == 0.05
    assert vat_fraction_over(local_day(date(2026, 12, 1)), VatSchedule.constant(0.2)).max() == 0.2
    with pytest.raises(TariffError, match=r"write 5 % as 0\.05"):
        VatSchedule.constant(5)


def test_the_zero_rate_is_flagged_single_source() -> None:
    zero = DOMESTIC_ELECTRICITY_VAT.history.at(ZERO_FROM).source
    assert zero.indicative
    assert "single" in zero.note
    assert "gov.uk" in zero.ref
    assert zero.checked == date(2026, 10, 4)
    assert not DOMESTIC_ELECTRICITY_VAT.history.at(ZERO_TO).source.indicative
    assert len(DOMESTIC_ELECTRICITY_VAT.sources) == 3


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31)).map(
        lambda d: d.replace(minute=d.minute // 30 * 30, second=0, microsecond=0, tzinfo=UTC)
    ),
    n=st.integers(0, 400),
)
def test_vectorised_fractions_match_pointwise_lookups(start: datetime, n: int) -> None:
    timeline = Timeline(start, n)
    expected = [DOMESTIC_ELECTRICITY_VAT.fraction_at(timeline.period_start(i)) for i in range(n)]
    assert vat_fraction_over(timeline).tolist() == expected
