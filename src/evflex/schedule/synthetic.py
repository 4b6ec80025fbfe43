"""Synthetic problems for tests, benchmarks and demos (seeded; no data files).

:func:`random_problem` draws deliberately awkward instances: negative prices, export worth more than
import, zero export limits, efficiencies of exactly 1, cars arriving below the floor or above the
ceiling, targets above the ceiling or out of reach, several sessions with trips. :func:`vehicle_day`
draws a plausible evening-to-morning V2G session on Agile-like prices, the benchmark's unit of work.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from evflex.schedule.problem import (
    DEFAULT_EXPORT_LIMIT_KW,
    Battery,
    Charger,
    Objective,
    ScheduleProblem,
    Session,
)

__all__ = ["random_problem", "vehicle_day"]


def _prices(rng: np.random.Generator, n: int, allow_negative: bool) -> npt.NDArray[np.float64]:
    walk = np.cumsum(rng.normal(0.0, 3.0, n)) + rng.uniform(5.0, 35.0)
    prices = walk + rng.normal(0.0, 2.0, n)
    if rng.random() < 0.3:
        prices = np.round(prices)  # ties
    if not allow_negative:
        prices = np.abs(prices)
    return np.round(prices, 4)


def random_problem(
    rng: np.random.Generator,
    n_periods: int | None = None,
    *,
    bidirectional: bool | None = None,
    home_load: bool | None = None,
    min_setpoint: bool = False,
    max_sessions: int = 3,
) -> ScheduleProblem:
    """A random problem; unspecified choices are drawn from ``rng``."""
    n = int(n_periods if n_periods is not None else rng.integers(8, 145))
    usable = float(rng.uniform(8.0, 80.0))
    floor = float(rng.uniform(0.0, 0.45)) * usable
    ceiling = usable if rng.random() < 0.4 else float(rng.uniform(floor, usable))
    battery = Battery(usable, floor, ceiling)
    bidi = bool(rng.random() < 0.6) if bidirectional is None else bidirectional
    perfect = rng.random() < 0.15
    eta_c = 1.0 if perfect else float(rng.uniform(0.8, 1.0))
    eta_d = 1.0 if perfect else float(rng.uniform(0.8, 1.0))
    max_charge = float(rng.uniform(1.0, 11.0))
    max_discharge = float(rng.uniform(1.0, 11.0)) if bidi else 0.0
    setpoint = float(rng.uniform(0.5, min(2.0, max_charge, max_discharge or max_charge))) if min_setpoint else 0.0
    charger = Charger(max_charge, max_discharge, eta_c, eta_d, setpoint, bidi)

    n_sessions = int(rng.integers(1, max_sessions + 1))
    cuts = np.sort(rng.choice(np.arange(0, n + 1), size=min(2 * n_sessions, n + 1), replace=False))
    sessions: list[Session] = []
    last_departure = -1
    for i in range(0, cuts.size - 1, 2):
        arrival, departure = int(cuts[i]), int(cuts[i + 1])
        if arrival <= last_departure or departure <= arrival:
            continue
        r = rng.random()
        # About a third of the instances end up best effort (unreachable target or a car below its floor).
        if r < 0.15:
            target = 0.0
        elif r < 0.45:
            target = float(rng.uniform(0.0, usable))
        else:
            target = float(rng.uniform(0.0, floor + 0.6 * (ceiling - floor)))
        if sessions:
            sessions.append(Session(arrival, departure, target, trip_kwh=float(rng.uniform(0.0, 0.25 * usable))))
        else:
            low = 0.0 if rng.random() < 0.2 else floor
            arrival_soc = float(rng.uniform(low, usable if rng.random() < 0.1 else ceiling))
            sessions.append(Session(arrival, departure, target, arrival_soc_kwh=arrival_soc))
        last_departure = departure
    if not sessions:
        sessions.append(Session(0, n, float(rng.uniform(0.0, usable)), arrival_soc_kwh=float(rng.uniform(0.0, usable))))

    negative = rng.random() < 0.4
    imp = _prices(rng, n, negative)
    choice = rng.random()
    if choice < 0.2:
        exp = None
    elif choice < 0.5:
        exp = np.round(imp * float(rng.uniform(0.3, 1.0)), 4)
    else:
        exp = _prices(rng, n, negative)  # sometimes above import: exercises the cap
    carbon = np.round(rng.uniform(20.0, 400.0, n), 1)
    kind = rng.random()
    if kind < 0.6:
        objective = Objective.cost()
    elif kind < 0.8:
        objective = Objective.carbon()
    else:
        objective = Objective.blend(float(rng.uniform(0.0, 50.0)))
    with_home = bool(rng.random() < 0.5) if home_load is None else home_load
    home = np.round(rng.uniform(0.0, 2.0, n) * (rng.random(n) < 0.8), 4) if with_home else None
    limit_draw = rng.random()
    export_limit = (
        0.0 if limit_draw < 0.1 else DEFAULT_EXPORT_LIMIT_KW if limit_draw < 0.6 else float(rng.uniform(0.0, 15.0))
    )
    wear = 0.0 if rng.random() < 0.4 else float(rng.uniform(0.0, 6.0))
    return ScheduleProblem(
        battery=battery,
        charger=charger,
        sessions=tuple(sessions),
        import_price_p_per_kwh=imp,
        export_value_p_per_kwh=exp,
        carbon_g_per_kwh=carbon,
        home_load_kwh=home,
        export_limit_kw=export_limit,
        objective=objective,
        battery_wear_p_per_kwh=wear,
        period_minutes=30 if rng.random() < 0.8 else 15,
    )


def vehicle_day(rng: np.random.Generator, n_periods: int = 48, *, bidirectional: bool = True) -> ScheduleProblem:
    """A V2G household on Agile-like prices over ``n_periods`` half-hours starting at local noon.

    The car (a 40 kWh Leaf, 38 kWh usable, behind a Quasar 1) is plugged in 17:30–07:30 every night and
    must be 80 % full at 07:30; 30 % floor, 90 % ceiling, 2 p/kWh wear, home load with an evening peak,
    export at the G98 limit. Between nights it drives 3–12 kWh.
    """
    hours = (12.0 + np.arange(n_periods) / 2.0) % 24.0
    peak = ((hours >= 16) & (hours < 19)).astype(np.float64)
    imp = 14.0 + 7.0 * np.cos((hours - 18.0) / 24.0 * 2 * np.pi) + 12.0 * peak + rng.normal(0.0, 2.5, n_periods)
    exp = np.maximum(0.55 * imp + 4.0 * peak + rng.normal(0.0, 1.0, n_periods), 0.0)
    home = 0.15 + 0.35 * ((hours >= 17) & (hours < 22)) + rng.uniform(0.0, 0.15, n_periods)
    usable = 38.0
    sessions: list[Session] = []
    for day in range((n_periods + 47) // 48):
        arrival, departure = day * 48 + 11, min(day * 48 + 39, n_periods)
        if departure <= arrival:
            break
        if day == 0:
            arrival_soc = float(rng.uniform(0.35, 0.7)) * usable
            sessions.append(Session(arrival, departure, 0.8 * usable, arrival_soc_kwh=arrival_soc))
        else:
            sessions.append(Session(arrival, departure, 0.8 * usable, trip_kwh=float(rng.uniform(3.0, 12.0))))
    charger = Charger.wallbox_quasar_1() if bidirectional else Charger(7.4, 0.0, 0.92, 0.92, 1.38, False)
    return ScheduleProblem(
        battery=Battery.from_fractions(usable, 0.3, 0.9),
        charger=charger,
        sessions=tuple(sessions),
        import_price_p_per_kwh=np.round(imp, 2),
        export_value_p_per_kwh=np.asarray(np.round(exp, 2), dtype=np.float64),
        home_load_kwh=np.round(home, 3),
        battery_wear_p_per_kwh=2.0,
    )
