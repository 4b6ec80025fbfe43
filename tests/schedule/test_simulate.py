"""Receding-horizon simulation on synthetic signals whose right answer is easy to reason about.

Two weeks around the March 2023 clock change (26 March has 46 half-hours). Prices by local time: night
00:00–06:00 5p, day 9p, peak 16:00–19:00 40p; export 30p in the peak, 4p otherwise. With the car plugged
in 17:00–07:30, dumb charging lands in the peak, one-way smart at night, and V2G also exports in the peak
(30p − the cost of putting the kWh back at night with losses and wear ≈ 16p) but nowhere else (into the
home at 9p it would save 9p and cost ≈ 10.3p).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evflex.household.ev import (
    GENERIC_CCS,
    GENERIC_SMART_CHARGER_7KW,
    NISSAN_LEAF_40,
    WALLBOX_QUASAR_1,
    UsagePattern,
    plug_in_sessions,
)
from evflex.periods import Timeline, local_days
from evflex.schedule import Objective, ScheduleProblem, ScheduleResult, solve
from evflex.schedule.simulate import (
    InformationRules,
    SimulationError,
    SimulationResult,
    SimulationSignals,
    Strategy,
    StrategyKind,
    VehicleSetup,
    known_horizon_end,
    scheduler_charger,
    simulate,
    simulate_strategies,
    vehicle_setup,
)

NIGHT_P, DAY_P, PEAK_P = 5.0, 9.0, 40.0
PEAK_EXPORT_P, EXPORT_P = 30.0, 4.0
HOME_KWH = 0.2


def _minutes(timeline: Timeline) -> np.ndarray:
    return np.asarray(timeline.local().minute_of_day)


def _signals(
    timeline: Timeline,
    *,
    carbon_forecast: np.ndarray | None = None,
    carbon_actual: np.ndarray | None = None,
    home: float | None = HOME_KWH,
) -> SimulationSignals:
    m = _minutes(timeline)
    night = m < 6 * 60
    peak = (m >= 16 * 60) & (m < 19 * 60)
    prices = np.where(night, NIGHT_P, np.where(peak, PEAK_P, DAY_P))
    export = np.where(peak, PEAK_EXPORT_P, EXPORT_P)
    n = timeline.n_periods
    forecast = carbon_forecast if carbon_forecast is not None else np.where(night, 150.0, 250.0)
    actual = carbon_actual if carbon_actual is not None else forecast + 10.0 * np.sin(np.arange(n))
    return SimulationSignals(
        timeline, prices, export, forecast, actual, None if home is None else np.full(n, home), ("synthetic",)
    )


def _setup(timeline: Timeline, window: str = "17:00-07:30", miles: float = 8000.0) -> VehicleSetup:
    sessions = plug_in_sessions(timeline, UsagePattern.parse(miles, window), NISSAN_LEAF_40)
    return vehicle_setup(NISSAN_LEAF_40, WALLBOX_QUASAR_1, sessions, export_limit_kw=7.4)


@pytest.fixture(scope="module")
def two_weeks() -> tuple[SimulationSignals, VehicleSetup, dict[StrategyKind, SimulationResult]]:
    timeline = local_days(date(2023, 3, 20), date(2023, 4, 3))
    signals, setup = _signals(timeline), _setup(timeline)
    results = simulate_strategies(signals, setup)
    return signals, setup, {r.strategy.kind: r for r in results}


def test_each_strategy_charges_where_expected(two_weeks) -> None:  # type: ignore[no-untyped-def]
    signals, setup, results = two_weeks
    m = _minutes(signals.timeline)
    night = m < 6 * 60
    peak = (m >= 16 * 60) & (m < 19 * 60)
    dumb, smart, v2g = (results[k] for k in StrategyKind)
    for a in setup.arrival_index[1:]:  # every arrival at 17:00 needs a day's driving: full power at once
        assert m[a] == 17 * 60
        assert dumb.charge_kw[a] == pytest.approx(7.4)
        assert peak[a]
    # the last session ends with the timeline at midnight: it has no night to charge in
    day = ~night & (np.arange(signals.timeline.n_periods) < setup.arrival_index[-1])
    assert np.all(smart.charge_kw[day] == 0.0)
    assert smart.charge_kw.sum() * 0.5 == pytest.approx(dumb.charge_kw.sum() * 0.5)
    assert np.all(smart.discharge_kw == 0.0)
    assert np.all(dumb.discharge_kw == 0.0)
    assert np.all(v2g.charge_kw[day] == 0.0)
    assert v2g.discharge_kw[peak].sum() > 0.0
    assert np.all(v2g.discharge_kw[~peak] == 0.0)
    assert np.all(v2g.grid_export_kwh[~peak] == 0.0)
    # exporting pays: every evening V2G discharges at the full 7.4 kW for 3 of its 4 peak periods (the
    # fourth takes the rest) and reaches the floor: 24.2 kWh on arrival − 9.5 kWh = 14.7 kWh from the battery
    assert int(np.isclose(v2g.discharge_kw, 7.4).sum()) == 3 * (setup.n_sessions - 1)
    assert v2g.totals().min_plugged_soc_kwh == pytest.approx(setup.battery.soc_min_kwh)


def test_costs_rank_v2g_smart_dumb(two_weeks) -> None:  # type: ignore[no-untyped-def]
    signals, setup, results = two_weeks
    dumb, smart, v2g = (results[k].totals() for k in StrategyKind)
    assert v2g.car_cost_gbp < smart.car_cost_gbp < dumb.car_cost_gbp
    # hand check of dumb and smart: the same wall energy at 40p (first 2 periods) vs 5p
    wall = dumb.ev_charge_kwh
    home_cost = float(signals.import_price_p_per_kwh @ signals.home_loads()) / 100
    # all at 5p, except the last session, which ends at midnight with the timeline: at 9p after the peak
    last = float(results[StrategyKind.SMART].charge_kw[setup.arrival_index[-1] :].sum()) * 0.5
    assert last == pytest.approx(float(setup.trip_kwh[-1]) / setup.charger.charge_efficiency)
    assert smart.car_cost_gbp == pytest.approx(((wall - last) * NIGHT_P + last * DAY_P) / 100)
    assert smart.net_cost_gbp == pytest.approx(smart.car_cost_gbp + home_cost)
    dumb_trace = results[StrategyKind.DUMB]
    dumb_pence = float(signals.import_price_p_per_kwh @ (dumb_trace.charge_kw * 0.5))
    assert dumb.car_cost_gbp == pytest.approx(dumb_pence / 100)
    assert v2g.export_kwh > 0
    assert v2g.export_revenue_gbp == pytest.approx(v2g.export_kwh * PEAK_EXPORT_P / 100)


def test_floor_targets_and_energy_balance(two_weeks) -> None:  # type: ignore[no-untyped-def]
    signals, setup, results = two_weeks
    dt = signals.timeline.period_hours
    eta_c, eta_d = setup.charger.charge_efficiency, setup.charger.discharge_efficiency
    for r in results.values():
        t = r.totals()
        assert t.unmet_kwh == 0.0
        assert np.all(r.departure_soc_kwh >= setup.target_soc_kwh - 1e-6)
        plugged = r.plugged
        assert np.all(r.soc_kwh[:-1][plugged] >= setup.battery.soc_min_kwh - 1e-9)
        assert np.all(r.soc_kwh <= setup.battery.soc_max_kwh + 1e-9)
        assert np.all(r.charge_kw[~plugged] == 0.0)
        assert np.all(r.discharge_kw[~plugged] == 0.0)
        assert np.all((r.charge_kw == 0.0) | (r.discharge_kw == 0.0))
        stored = float((eta_c * r.charge_kw * dt).sum() - (r.discharge_kw * dt / eta_d).sum())
        trips = float(setup.trip_kwh.sum())
        assert stored == pytest.approx(r.soc_kwh[-1] - setup.start_soc_kwh + trips, abs=1e-9)
        meter = r.grid_import_kwh - r.grid_export_kwh
        np.testing.assert_allclose(meter, signals.home_loads() + (r.charge_kw - r.discharge_kw) * dt, atol=1e-12)
        assert t.full_cycle_equivalents == pytest.approx(
            (float((eta_c * r.charge_kw * dt).sum()) + float((r.discharge_kw * dt / eta_d).sum())) / 2 / 38.0
        )
    # a day's driving: 8,000 miles × 0.306 kWh/mile spread over the sessions, charged back at the wall
    assert results[StrategyKind.DUMB].totals().ev_charge_kwh == pytest.approx(
        setup.trip_kwh.sum() / setup.charger.charge_efficiency, rel=1e-9
    )


def test_plans_are_replanned_every_plugged_in_period(two_weeks) -> None:  # type: ignore[no-untyped-def]
    _, _, results = two_weeks
    plugged = results[StrategyKind.V2G].plugged
    for kind in (StrategyKind.SMART, StrategyKind.V2G):
        r = results[kind]
        assert r.n_plans == int(plugged.sum())
        assert np.all((r.plan_end_index >= 0) == plugged)
    assert results[StrategyKind.DUMB].n_plans == 0


# -- information rules -----------------------------------------------------------------------------------
def _index(timeline: Timeline, utc: str) -> int:
    return timeline.index_of(datetime.fromisoformat(utc).replace(tzinfo=UTC))


@pytest.mark.parametrize(
    ("start", "now_utc", "end_utc"),
    [
        (date(2023, 1, 16), "2023-01-17T10:00", "2023-01-17T23:00"),  # GMT: 10:00 → 23:00 today
        (date(2023, 1, 16), "2023-01-17T15:30", "2023-01-17T23:00"),
        (date(2023, 1, 16), "2023-01-17T16:00", "2023-01-18T23:00"),  # from 16:00: to 23:00 tomorrow
        (date(2023, 1, 16), "2023-01-17T23:30", "2023-01-18T23:00"),
        (date(2023, 3, 25), "2023-03-26T09:00", "2023-03-26T22:00"),  # 46-period day: 10:00 BST
        (date(2023, 3, 25), "2023-03-26T15:00", "2023-03-27T22:00"),  # 16:00 BST
        (date(2023, 10, 28), "2023-10-29T00:30", "2023-10-29T23:00"),  # 50-period day: 01:30 BST → 23:00 GMT
        (date(2023, 10, 28), "2023-10-29T16:00", "2023-10-30T23:00"),
    ],
)
def test_known_horizon_end_on_ordinary_and_clock_change_days(start: date, now_utc: str, end_utc: str) -> None:
    timeline = local_days(start, start + timedelta(days=4))
    ends = known_horizon_end(timeline)
    assert ends[_index(timeline, now_utc)] == _index(timeline, end_utc)


def test_known_horizon_end_is_capped_by_the_timeline() -> None:
    timeline = local_days(date(2023, 1, 16), date(2023, 1, 17))
    ends = known_horizon_end(timeline)
    assert ends[-1] == timeline.n_periods  # 23:30 on the last day: tomorrow's prices lie beyond the data
    assert ends[0] == 46  # 00:00 GMT → 23:00 the same day
    with pytest.raises(SimulationError, match="publish minute"):
        InformationRules(publish_local_minute=23 * 60, day_end_local_minute=16 * 60)


def test_a_plan_at_10_00_never_sees_prices_after_23_00() -> None:
    # Plugged in 09:00–08:00 (23 h): the plans before 16:00 cannot see the whole session.
    timeline = local_days(date(2023, 1, 16), date(2023, 1, 20))
    signals = _signals(timeline)
    # a price after 23:00 that would change every plan that could see it
    m = _minutes(timeline)
    bait = np.where((m >= 23 * 60) | (m < 6 * 60), -50.0, signals.import_price_p_per_kwh)
    signals = SimulationSignals(
        timeline,
        bait,
        signals.export_price_p_per_kwh,
        signals.carbon_forecast_g_per_kwh,
        signals.carbon_actual_g_per_kwh,
        signals.home_load_kwh,
    )
    setup = _setup(timeline, "09:00-08:00")
    seen: list[ScheduleProblem] = []

    def recording(problem: ScheduleProblem) -> ScheduleResult:
        seen.append(problem)
        return solve(problem)

    result = simulate(signals, setup, Strategy(StrategyKind.V2G), solver=recording)
    planned = np.flatnonzero(result.plan_end_index >= 0)
    assert len(seen) == planned.size == result.n_plans
    day_end = known_horizon_end(timeline)
    for t, problem in zip(planned.tolist(), seen, strict=True):
        end = int(result.plan_end_index[t])
        assert end <= day_end[t]
        assert problem.n_periods == end - t
        np.testing.assert_array_equal(problem.import_price_p_per_kwh, bait[t:end])
        np.testing.assert_array_equal(problem.home_load_kwh, signals.home_loads()[t:end])
    ten = _index(timeline, "2023-01-17T10:00")
    k = int(np.searchsorted(planned, ten))
    assert planned[k] == ten
    assert result.plan_end_index[ten] == _index(timeline, "2023-01-17T23:00")
    assert np.all(seen[k].import_price_p_per_kwh > 0)  # none of the −50p bait
    # the horizon stops before the departure, so the plan keeps the SoC it has (it may not sell into the
    # unknown) and the target stays reachable
    assert seen[k].sessions[0].target_soc_kwh >= min(setup.target_soc_kwh, seen[k].initial_soc_kwh) - 1e-12
    sixteen = _index(timeline, "2023-01-17T16:00")
    departure = _index(timeline, "2023-01-18T08:00")
    assert result.plan_end_index[sixteen] == departure  # from 16:00 the whole session is known
    assert result.totals().unmet_kwh == 0.0


# -- forecast vs actual ----------------------------------------------------------------------------------
def test_carbon_is_planned_on_the_forecast_and_judged_on_the_actual() -> None:
    # ends at noon, so every session (17:00–07:30) contains a night
    timeline = Timeline.between(datetime(2023, 1, 16, tzinfo=UTC), datetime(2023, 1, 22, 12, tzinfo=UTC))
    m = _minutes(timeline)
    early = m < 3 * 60
    late = (m >= 3 * 60) & (m < 6 * 60)
    # the forecast says 00:00–03:00 is greenest; in fact 03:00–06:00 was
    forecast = np.where(early, 100.0, np.where(late, 200.0, 300.0))
    actual = np.where(early, 250.0, np.where(late, 80.0, 300.0))
    signals = _signals(timeline, carbon_forecast=forecast, carbon_actual=actual, home=None)
    setup = _setup(timeline)
    result = simulate(signals, setup, Strategy(StrategyKind.SMART, Objective.carbon()))
    charged = result.charge_kw > 0
    assert np.all(early[charged])  # followed the forecast
    t = result.totals()
    net = result.grid_import_kwh - result.grid_export_kwh
    assert t.carbon_kg == pytest.approx(float(actual @ net) / 1000)
    assert t.carbon_planned_kg == pytest.approx(float(forecast @ net) / 1000)
    assert t.carbon_kg == pytest.approx(t.ev_charge_kwh * 250.0 / 1000)  # judged on what actually happened
    assert t.carbon_planned_kg == pytest.approx(t.ev_charge_kwh * 100.0 / 1000)


def test_v2g_export_is_credited_at_the_actual_intensity_of_its_period(two_weeks) -> None:  # type: ignore[no-untyped-def]
    signals, _, results = two_weeks
    t = results[StrategyKind.V2G].totals()
    r = results[StrategyKind.V2G]
    actual = signals.carbon_actual_g_per_kwh
    assert t.carbon_export_credit_kg == pytest.approx(float(actual @ r.grid_export_kwh) / 1000)
    assert t.carbon_kg == pytest.approx(t.carbon_import_kg - t.carbon_export_credit_kg)
    home_carbon = float(actual @ signals.home_loads()) / 1000
    assert t.car_carbon_kg == pytest.approx(t.carbon_kg - home_carbon)


# -- inputs ----------------------------------------------------------------------------------------------
def test_inputs_are_checked() -> None:
    timeline = local_days(date(2023, 1, 16), date(2023, 1, 18))
    good = _signals(timeline)
    prices = good.import_price_p_per_kwh.copy()
    prices[5] = np.nan
    with pytest.raises(SimulationError, match="fill gaps first"):
        SimulationSignals(
            timeline, prices, good.export_price_p_per_kwh, good.carbon_forecast_g_per_kwh, good.carbon_actual_g_per_kwh
        )
    with pytest.raises(SimulationError, match="shape"):
        SimulationSignals(
            timeline,
            prices[:-1],
            good.export_price_p_per_kwh,
            good.carbon_forecast_g_per_kwh,
            good.carbon_actual_g_per_kwh,
        )
    sessions = plug_in_sessions(timeline, UsagePattern(8000.0), GENERIC_CCS)
    one_way = vehicle_setup(GENERIC_CCS, GENERIC_SMART_CHARGER_7KW, sessions)
    assert not one_way.charger.bidirectional
    with pytest.raises(SimulationError, match="bidirectional"):
        simulate(good, one_way, Strategy(StrategyKind.V2G))
    with pytest.raises(SimulationError, match="unknown strategy"):
        Strategy("v3g")  # type: ignore[arg-type]
    with pytest.raises(SimulationError, match="floor"):
        vehicle_setup(NISSAN_LEAF_40, WALLBOX_QUASAR_1, sessions, floor_fraction=0.5, target_fraction=0.4)
    charger = scheduler_charger(NISSAN_LEAF_40, WALLBOX_QUASAR_1)
    assert (charger.bidirectional, charger.max_discharge_kw, charger.charge_efficiency) == (True, 7.4, 0.92)
    assert not scheduler_charger(GENERIC_CCS, WALLBOX_QUASAR_1).bidirectional  # the car cannot discharge


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    arrival_hour=st.integers(12, 20),
    departure_hour=st.integers(5, 9),
    miles=st.floats(2000.0, 15000.0),
    floor=st.sampled_from([0.1, 0.25]),
    objective=st.sampled_from([Objective.cost(), Objective.carbon(), Objective.blend(50.0)]),
)
def test_invariants_on_random_prices(
    seed: int, arrival_hour: int, departure_hour: int, miles: float, floor: float, objective: Objective
) -> None:
    timeline = local_days(date(2023, 3, 24), date(2023, 3, 28))  # spans the 46-period day
    rng = np.random.default_rng(seed)
    n = timeline.n_periods
    prices = np.round(rng.normal(15.0, 12.0, n), 2)
    signals = SimulationSignals(
        timeline,
        prices,
        np.maximum(prices * 0.6, 0.0),
        rng.uniform(50, 300, n),
        rng.uniform(50, 300, n),
        rng.uniform(0.05, 0.6, n),
    )
    sessions = plug_in_sessions(
        timeline, UsagePattern.parse(miles, f"{arrival_hour:02d}:00-{departure_hour:02d}:30"), NISSAN_LEAF_40
    )
    setup = vehicle_setup(NISSAN_LEAF_40, WALLBOX_QUASAR_1, sessions, floor_fraction=floor, export_limit_kw=3.68)
    dt = timeline.period_hours
    for kind in StrategyKind:
        r = simulate(signals, setup, Strategy(kind, objective))
        assert r.totals().unmet_kwh == 0.0
        assert np.all(r.soc_kwh[:-1][r.plugged] >= setup.battery.soc_min_kwh - 1e-9)
        assert np.all(r.charge_kw <= 7.4 + 1e-9)
        assert np.all(r.discharge_kw <= 7.4 + 1e-9)
        assert np.all(r.grid_export_kwh <= np.maximum(3.68 * dt, 0) + 1e-9)
        eta = setup.charger.charge_efficiency
        stored = float((eta * r.charge_kw * dt).sum() - (r.discharge_kw * dt / eta).sum())
        assert stored == pytest.approx(r.soc_kwh[-1] - setup.start_soc_kwh + setup.trip_kwh.sum(), abs=1e-8)
