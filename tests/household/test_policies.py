"""Tests for the one-way charging policies."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evflex.household.ev import (
    NISSAN_LEAF_40,
    WALLBOX_QUASAR_1,
    Charger,
    PlugInSessions,
    UsagePattern,
    Vehicle,
)
from evflex.household.ev import plug_in_sessions as build_sessions
from evflex.household.policies import POLICIES, apply_policy, dumb, smart, v2g_addon, window
from evflex.household.profile import HouseholdError
from evflex.periods import LocalWindow, Timeline, local_year

START = datetime(2025, 1, 6, tzinfo=UTC)
CHARGER = Charger("test 7.4 kW", 7.4)  # 3.7 kWh per half-hour
BIG_CAR = Vehicle("test car", 100.0, 0.3)
CAP = 3.7


def sessions_of(n: int, spans: list[tuple[int, int]], need: list[float]) -> PlugInSessions:
    tl = Timeline(START, n)
    arr = np.array([a for a, _ in spans], dtype=np.int64)
    dep = np.array([d for _, d in spans], dtype=np.int64)
    return PlugInSessions(tl, arr, dep, np.array(need, dtype=np.float64), float(sum(need)))


# -- hand-worked cases -----------------------------------------------------------------------------
def test_dumb_by_hand() -> None:
    s = sessions_of(12, [(1, 6), (8, 12)], [8.0, 3.7])
    out = dumb(s, CHARGER, BIG_CAR, s.timeline)
    np.testing.assert_allclose(out.ev_charge_kwh, [0, 3.7, 3.7, 0.6, 0, 0, 0, 0, 3.7, 0, 0, 0], atol=1e-12)
    assert out.unmet_kwh == 0.0
    assert out.smart_slots is None
    assert not out.ev_discharge_kwh.any()


def test_window_by_hand_when_the_window_is_too_short() -> None:
    s = sessions_of(10, [(0, 10)], [10.0])
    mask = np.zeros(10, dtype=bool)
    mask[[2, 3]] = True
    out = window(s, CHARGER, BIG_CAR, s.timeline, window_mask=mask)
    # 7.4 kWh in the window, the remaining 2.6 kWh in the last period before departure
    np.testing.assert_allclose(out.ev_charge_kwh, [0, 0, 3.7, 3.7, 0, 0, 0, 0, 0, 2.6], atol=1e-12)
    assert any("outside the window" in note for note in out.notes)


def test_window_stays_in_the_window_when_it_suffices_earliest_first() -> None:
    s = sessions_of(12, [(0, 12)], [5.0])
    mask = np.zeros(12, dtype=bool)
    mask[4:8] = True
    out = window(s, CHARGER, BIG_CAR, s.timeline, window_mask=mask)
    np.testing.assert_allclose(out.ev_charge_kwh, [0, 0, 0, 0, 3.7, 1.3, 0, 0, 0, 0, 0, 0], atol=1e-12)
    assert out.notes == ()


def test_smart_by_hand_with_ties_to_the_earlier_period() -> None:
    s = sessions_of(6, [(0, 6)], [6.0])
    price = np.array([20.0, 5.0, 9.0, 5.0, 9.0, 30.0])
    out = smart(s, CHARGER, BIG_CAR, s.timeline, price)
    np.testing.assert_allclose(out.ev_charge_kwh, [0, 3.7, 0, 2.3, 0, 0], atol=1e-12)
    np.testing.assert_array_equal(out.smart_slots, [False, True, False, True, False, False])
    out = smart(s, CHARGER, BIG_CAR, s.timeline, np.full(6, 9.0))  # all equal: earliest, like dumb
    np.testing.assert_allclose(out.ev_charge_kwh, dumb(s, CHARGER, BIG_CAR, s.timeline).ev_charge_kwh)


def test_smart_prefers_the_preferred_mask_among_equal_prices() -> None:
    s = sessions_of(8, [(0, 8)], [7.4])
    preferred = np.array([0, 0, 0, 0, 0, 1, 1, 0], dtype=bool)
    out = smart(s, CHARGER, BIG_CAR, s.timeline, np.full(8, 7.0), preferred_mask=preferred)
    np.testing.assert_allclose(out.ev_charge_kwh, [0, 0, 0, 0, 0, 3.7, 3.7, 0], atol=1e-12)
    # a cheaper period still wins over the preferred ones
    price = np.full(8, 7.0)
    price[1] = 6.0
    out = smart(s, CHARGER, BIG_CAR, s.timeline, price, preferred_mask=preferred)
    np.testing.assert_allclose(out.ev_charge_kwh, [0, 3.7, 0, 0, 0, 3.7, 0, 0], atol=1e-12)


def test_iog_charges_in_the_fixed_window_when_that_suffices() -> None:
    tl = local_year(2025)
    s = build_sessions(tl, UsagePattern(), NISSAN_LEAF_40)
    iog = LocalWindow.parse("23:30-05:30").mask(tl)
    flat = np.full(tl.n_periods, 7.0)  # the supplier sees flat prices; only the preference steers
    out = smart(s, WALLBOX_QUASAR_1, NISSAN_LEAF_40, tl, flat, preferred_mask=iog)
    # every session but 31 Dec (window cut at the end of the year) fits in 23:30–05:30
    outside = out.ev_charge_kwh[~iog]
    assert outside.sum() == pytest.approx(2448.0 / 365 - 3.7, rel=1e-9)
    assert out.smart_slots is not None
    np.testing.assert_array_equal(out.smart_slots, out.ev_charge_kwh > 0)


def test_v2g_addon_follows_carbon_then_window_then_time() -> None:
    s = sessions_of(6, [(0, 6)], [5.0])
    carbon = np.array([200.0, 150.0, 90.0, 90.0, 300.0, 60.0])
    out = v2g_addon(s, CHARGER, BIG_CAR, s.timeline, carbon_g_per_kwh=carbon)
    np.testing.assert_allclose(out.ev_charge_kwh, [0, 0, 1.3, 0, 0, 3.7], atol=1e-12)
    assert out.smart_slots is None
    mask = np.array([0, 0, 0, 1, 1, 0], dtype=bool)
    np.testing.assert_allclose(
        v2g_addon(s, CHARGER, BIG_CAR, s.timeline, window_mask=mask).ev_charge_kwh,
        window(s, CHARGER, BIG_CAR, s.timeline, window_mask=mask).ev_charge_kwh,
    )
    np.testing.assert_allclose(
        v2g_addon(s, CHARGER, BIG_CAR, s.timeline).ev_charge_kwh,
        dumb(s, CHARGER, BIG_CAR, s.timeline).ev_charge_kwh,
    )


def test_infeasible_sessions_report_the_shortfall() -> None:
    s = sessions_of(6, [(0, 2), (3, 6)], [10.0, 1.0])
    out = dumb(s, CHARGER, BIG_CAR, s.timeline)
    assert out.ev_charge_kwh.sum() == pytest.approx(8.4)
    assert out.unmet_kwh == pytest.approx(2.6)
    assert any("too short" in note for note in out.notes)


def test_need_above_the_battery_is_capped() -> None:
    small = Vehicle("small", 5.0, 0.3)
    s = sessions_of(6, [(0, 6)], [8.0])
    out = dumb(s, CHARGER, small, s.timeline)
    assert out.ev_charge_kwh.sum() == pytest.approx(5.0)
    assert out.unmet_kwh == pytest.approx(3.0)
    assert any("usable battery" in note for note in out.notes)


def test_input_errors() -> None:
    s = sessions_of(4, [(0, 4)], [1.0])
    tl = s.timeline
    with pytest.raises(HouseholdError, match="price"):
        smart(s, CHARGER, BIG_CAR, tl)
    with pytest.raises(HouseholdError, match="missing at period 2"):
        smart(s, CHARGER, BIG_CAR, tl, np.array([1.0, 2.0, np.nan, 3.0]))
    with pytest.raises(HouseholdError, match="shape"):
        smart(s, CHARGER, BIG_CAR, tl, np.ones(5))
    with pytest.raises(HouseholdError, match="window_mask"):
        window(s, CHARGER, BIG_CAR, tl)
    with pytest.raises(HouseholdError, match="another timeline"):
        dumb(s, CHARGER, BIG_CAR, Timeline(START, 5))
    with pytest.raises(HouseholdError, match="choose one of"):
        apply_policy("cheapest", s, CHARGER, BIG_CAR, tl)


# -- properties ------------------------------------------------------------------------------------
@st.composite
def random_case(draw: st.DrawFn) -> tuple[PlugInSessions, np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 60))
    cuts = sorted(draw(st.sets(st.integers(0, n), min_size=2, max_size=12)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    spans = list(itertools.pairwise(cuts))[::2]
    need = [draw(st.floats(0.0, 40.0)) for _ in spans]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    price = rng.integers(-5, 40, n).astype(float)  # integers so that ties happen
    mask = rng.random(n) < 0.3
    carbon = rng.uniform(20, 400, n)
    return sessions_of(n, spans, need), price, mask, carbon


@settings(max_examples=300, deadline=None)
@given(case=random_case(), name=st.sampled_from(sorted(POLICIES)))
def test_policies_deliver_the_need_within_limits(
    case: tuple[PlugInSessions, np.ndarray, np.ndarray, np.ndarray], name: str
) -> None:
    s, price, mask, carbon = case
    out = apply_policy(name, s, CHARGER, BIG_CAR, s.timeline, price, mask,
                       preferred_mask=mask, carbon_g_per_kwh=carbon)
    charge = out.ev_charge_kwh
    assert (charge >= 0).all()
    assert charge.max(initial=0) <= CAP + 1e-12
    assert not charge[~s.plugged_in()].any()
    expected_unmet = 0.0
    for a, d, need in zip(s.arrival_index, s.departure_index, s.need_kwh, strict=True):
        deliverable = min(need, (d - a) * CAP)
        assert charge[a:d].sum() == pytest.approx(deliverable, abs=1e-9)
        expected_unmet += need - deliverable
    assert out.unmet_kwh == pytest.approx(expected_unmet, abs=1e-9)
    assert not out.ev_discharge_kwh.any()


def brute_force_cost(price: np.ndarray, need: float) -> float:
    """Cheapest cost of ``need`` kWh in these periods: full periods plus one partial, all subsets."""
    full, rest = int(need // CAP), need - (need // CAP) * CAP
    best = np.inf
    periods = range(price.size)
    for chosen in itertools.combinations(periods, full):
        base = CAP * price[list(chosen)].sum()
        others = [p for p in periods if p not in chosen]
        extra = rest * min(price[others]) if rest > 1e-12 and others else 0.0
        best = min(best, base + extra)
    return float(best)


@settings(max_examples=200, deadline=None)
@given(
    prices=st.lists(st.integers(-10, 40), min_size=1, max_size=8),
    fraction=st.floats(0.0, 1.0),
)
def test_smart_matches_brute_force_cheapest(prices: list[int], fraction: float) -> None:
    n = len(prices)
    need = fraction * n * CAP
    s = sessions_of(n, [(0, n)], [need])
    price = np.array(prices, dtype=float)
    out = smart(s, CHARGER, BIG_CAR, s.timeline, price)
    assert out.ev_charge_kwh.sum() == pytest.approx(need, abs=1e-9)
    assert float(out.ev_charge_kwh @ price) == pytest.approx(brute_force_cost(price, need), abs=1e-9)


def test_time_policies_for_a_household_year() -> None:
    """Prints the time per policy for a household-year (≈ 366 sessions); not asserted."""
    tl = local_year(2025)
    s = build_sessions(tl, UsagePattern(), NISSAN_LEAF_40)
    win = LocalWindow.parse("23:30-05:30").mask(tl)
    rng = np.random.default_rng(1)
    price, carbon = rng.uniform(0, 40, tl.n_periods), rng.uniform(30, 300, tl.n_periods)
    for name in POLICIES:
        best = np.inf
        for _ in range(5):
            t0 = time.perf_counter()
            out = apply_policy(name, s, WALLBOX_QUASAR_1, NISSAN_LEAF_40, tl, price, win,
                               preferred_mask=win, carbon_g_per_kwh=carbon)
            best = min(best, time.perf_counter() - t0)
        assert out.ev_charge_kwh.sum() == pytest.approx(2448.0, abs=1e-9)
        print(f"{name}: {best * 1e3:.2f} ms for {s.n_sessions} sessions")
