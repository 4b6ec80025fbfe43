"""One-way charging policies: when a household's car charges within each plug-in session.

Every policy is a pure function with the same signature::

    policy(sessions, charger, vehicle, timeline, price_p_per_kwh=None, window_mask=None,
           *, preferred_mask=None, carbon_g_per_kwh=None) -> EvSchedule

and works the same way: it ranks the periods of each session, then fills them in rank order at the
charger's full power (``max_charge_kw × period_hours`` per period) until the session's need is met, the
last period taking only the remainder. So energy delivered equals the need exactly when the session is
long enough, is never above the power limit, and only flows while the car is plugged in; otherwise the
shortfall is reported in ``unmet_kwh``. A need larger than the usable battery is capped there (the rest
is unmet: the driver charges elsewhere, or a hybrid burns petrol).

A last, partial period is delivered at full power for part of the half-hour, so it may carry less energy
than ``min_setpoint_kw × period_hours``: no setpoint below the charger's minimum is ever implied.

Rankings (ties always go to the earlier period, which keeps the car ready for unplanned trips):

* ``dumb`` — in time order from plug-in.
* ``window`` — periods inside ``window_mask`` (the tariff's cheapest band) earliest first; if the window
  cannot deliver the need, the remainder goes into the *latest* periods outside the window before
  departure (a timer that tops up to be ready by the departure time).
* ``smart`` — cheapest ``price_p_per_kwh`` first; among equal prices, periods in ``preferred_mask`` (e.g.
  Intelligent Octopus Go's fixed 23:30–05:30 window) first, then earlier. A greedy stand-in for the
  supplier's dispatch; the exact optimiser lives in the scheduler. Returns the dispatched ``smart_slots``.
* ``v2g_addon`` — the V2G add-on makes charging free, so the car charges when the grid is greenest: lowest
  ``carbon_g_per_kwh`` first (earlier on ties); without carbon data it follows ``window`` if a window mask
  is given, else ``dumb``. Discharge (V2G export) is not modelled here: the scheduler does that.

Sessions are ranked all at once on a padded (sessions × longest session) array, so a household-year takes
well under a millisecond per policy after the session table is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

import numpy as np
import numpy.typing as npt

from evflex.household.ev import Charger, PlugInSessions, Vehicle
from evflex.household.profile import HouseholdError
from evflex.periods import Timeline

__all__ = [
    "POLICIES",
    "ChargingPolicy",
    "EvSchedule",
    "apply_policy",
    "dumb",
    "smart",
    "v2g_addon",
    "window",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class EvSchedule:
    """What a policy decided: kWh per period (charger side) and what it could not do."""

    ev_charge_kwh: FloatArray
    ev_discharge_kwh: FloatArray
    smart_slots: BoolArray | None
    """Periods the supplier dispatched (``smart`` only)."""
    unmet_kwh: float
    """Energy needed by departure but not delivered, summed over sessions."""
    notes: tuple[str, ...] = ()


class ChargingPolicy(Protocol):
    def __call__(
        self,
        sessions: PlugInSessions,
        charger: Charger,
        vehicle: Vehicle,
        timeline: Timeline,
        price_p_per_kwh: npt.ArrayLike | None = None,
        window_mask: npt.ArrayLike | None = None,
        *,
        preferred_mask: npt.ArrayLike | None = None,
        carbon_g_per_kwh: npt.ArrayLike | None = None,
    ) -> EvSchedule: ...


# -- the shared machinery -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Grid:
    """Sessions laid out on a padded 2-D grid: ``index[s, j]`` is the j-th period of session s."""

    index: IntArray
    valid: BoolArray
    position: IntArray  # j, broadcast to the grid


def _grid(sessions: PlugInSessions) -> _Grid:
    lengths = sessions.lengths()
    width = int(lengths.max(initial=0))
    position = np.broadcast_to(np.arange(width, dtype=np.int64), (lengths.size, width))
    valid = position < lengths[:, None]
    last = max(sessions.timeline.n_periods - 1, 0)
    index = np.minimum(sessions.arrival_index[:, None] + position, last)
    return _Grid(index, valid, position)


def _check_inputs(sessions: PlugInSessions, timeline: Timeline) -> None:
    if sessions.timeline != timeline:
        raise HouseholdError(
            "the plug-in sessions were built for another timeline: call plug_in_sessions() with this one"
        )


def _series(name: str, values: npt.ArrayLike | None, timeline: Timeline, fix: str) -> FloatArray:
    if values is None:
        raise HouseholdError(f"this policy needs {name}: {fix}")
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (timeline.n_periods,):
        raise HouseholdError(f"{name} has shape {arr.shape}; the timeline has {timeline.n_periods} periods")
    if not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise HouseholdError(f"{name} is missing at period {i}: fill gaps in the series before scheduling")
    return arr


def _mask(name: str, values: npt.ArrayLike | None, timeline: Timeline) -> BoolArray | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.bool_)
    if arr.shape != (timeline.n_periods,):
        raise HouseholdError(f"{name} has shape {arr.shape}; the timeline has {timeline.n_periods} periods")
    return arr


def _fill(
    sessions: PlugInSessions,
    charger: Charger,
    vehicle: Vehicle,
    grid: _Grid,
    order: IntArray | None,
    policy: str,
) -> tuple[FloatArray, float, list[str]]:
    """Deliver each session's need into its periods in ``order`` (rank → position) at full power."""
    n = sessions.timeline.n_periods
    cap_kwh = charger.max_charge_kw * sessions.timeline.period_hours
    need = np.minimum(sessions.need_kwh, vehicle.battery_usable_kwh)
    charge = np.zeros(n)
    notes: list[str] = []
    if sessions.n_sessions == 0 or grid.index.shape[1] == 0:
        return charge, float(sessions.need_kwh.sum()), notes
    rank = grid.position  # the j-th pick of each session
    take = np.clip(need[:, None] - rank * cap_kwh, 0.0, cap_kwh)
    take = np.where(grid.valid, take, 0.0)  # invalid cells sort last, so rank ≥ length means no period
    periods = grid.index if order is None else np.take_along_axis(grid.index, order, axis=1)
    charge[periods[grid.valid]] = take[grid.valid]  # sessions never overlap: plain assignment is safe
    delivered = take.sum(axis=1)
    unmet = np.maximum(sessions.need_kwh - delivered, 0.0)
    unmet[unmet < 1e-9] = 0.0
    short = np.flatnonzero(unmet > 0)
    if short.size:
        over = np.maximum(sessions.need_kwh - vehicle.battery_usable_kwh, 0.0)
        reason = (
            "need above the usable battery" if over[short].sum() >= unmet[short].sum() - 1e-9
            else "sessions too short at the charger's power"
        )
        notes.append(f"{policy}: {short.size} session(s) short by {unmet.sum():.2f} kWh ({reason})")
    return charge, float(unmet.sum()), notes


def _window_order(grid: _Grid, window: BoolArray) -> IntArray:
    width = grid.index.shape[1]
    in_window = window[grid.index] & grid.valid
    key = np.where(in_window, grid.position, 2 * width - grid.position)  # window earliest, then latest out
    key = np.where(grid.valid, key, 3 * width)
    return np.argsort(key, axis=1, kind="stable")


def _value_order(grid: _Grid, values: FloatArray, preferred: BoolArray | None) -> IntArray:
    cell = np.where(grid.valid, values[grid.index], np.inf)
    pref = np.zeros_like(grid.valid) if preferred is None else ~(preferred[grid.index] & grid.valid)
    # np.lexsort sorts by the last key first: validity, then value, then preference, then time
    return np.lexsort((grid.position, pref, cell, ~grid.valid), axis=-1)


def _schedule(
    sessions: PlugInSessions,
    charger: Charger,
    vehicle: Vehicle,
    order: IntArray | None,
    grid: _Grid,
    policy: str,
    slots: bool = False,
    notes: tuple[str, ...] = (),
) -> EvSchedule:
    charge, unmet, fill_notes = _fill(sessions, charger, vehicle, grid, order, policy)
    charge.setflags(write=False)
    discharge = np.zeros_like(charge)
    discharge.setflags(write=False)
    smart_slots = charge > 0 if slots else None
    return EvSchedule(charge, discharge, smart_slots, unmet, (*notes, *fill_notes))


# -- the policies ---------------------------------------------------------------------------------------
def dumb(
    sessions: PlugInSessions,
    charger: Charger,
    vehicle: Vehicle,
    timeline: Timeline,
    price_p_per_kwh: npt.ArrayLike | None = None,
    window_mask: npt.ArrayLike | None = None,
    *,
    preferred_mask: npt.ArrayLike | None = None,
    carbon_g_per_kwh: npt.ArrayLike | None = None,
) -> EvSchedule:
    """Full power from plug-in until the session's need is delivered."""
    _check_inputs(sessions, timeline)
    return _schedule(sessions, charger, vehicle, None, _grid(sessions), "dumb")


def window(
    sessions: PlugInSessions,
    charger: Charger,
    vehicle: Vehicle,
    timeline: Timeline,
    price_p_per_kwh: npt.ArrayLike | None = None,
    window_mask: npt.ArrayLike | None = None,
    *,
    preferred_mask: npt.ArrayLike | None = None,
    carbon_g_per_kwh: npt.ArrayLike | None = None,
) -> EvSchedule:
    """Inside the off-peak window first (earliest first), then the latest periods before departure."""
    _check_inputs(sessions, timeline)
    mask = _mask("window_mask", window_mask, timeline)
    if mask is None:
        raise HouseholdError("the window policy needs window_mask: pass the tariff's off-peak band mask")
    grid = _grid(sessions)
    order = _window_order(grid, mask)
    schedule = _schedule(sessions, charger, vehicle, order, grid, "window")
    outside = float(schedule.ev_charge_kwh[~mask].sum())
    if outside > 1e-9:
        note = f"window: {outside:.2f} kWh charged outside the window to be ready by departure"
        return EvSchedule(schedule.ev_charge_kwh, schedule.ev_discharge_kwh, None, schedule.unmet_kwh,
                          (*schedule.notes, note))
    return schedule


def smart(
    sessions: PlugInSessions,
    charger: Charger,
    vehicle: Vehicle,
    timeline: Timeline,
    price_p_per_kwh: npt.ArrayLike | None = None,
    window_mask: npt.ArrayLike | None = None,
    *,
    preferred_mask: npt.ArrayLike | None = None,
    carbon_g_per_kwh: npt.ArrayLike | None = None,
) -> EvSchedule:
    """Supplier dispatch: cheapest periods of each session first (preferred, then earlier, on ties)."""
    _check_inputs(sessions, timeline)
    price = _series("price_p_per_kwh", price_p_per_kwh, timeline,
                    "pass the per-period import price the supplier optimises against")
    preferred = _mask("preferred_mask", preferred_mask, timeline)
    grid = _grid(sessions)
    order = _value_order(grid, price, preferred)
    return _schedule(sessions, charger, vehicle, order, grid, "smart", slots=True)


def v2g_addon(
    sessions: PlugInSessions,
    charger: Charger,
    vehicle: Vehicle,
    timeline: Timeline,
    price_p_per_kwh: npt.ArrayLike | None = None,
    window_mask: npt.ArrayLike | None = None,
    *,
    preferred_mask: npt.ArrayLike | None = None,
    carbon_g_per_kwh: npt.ArrayLike | None = None,
) -> EvSchedule:
    """Free charging under the V2G add-on: greenest periods first (charging only; no discharge here)."""
    _check_inputs(sessions, timeline)
    grid = _grid(sessions)
    note = "v2g_addon: charging only; V2G discharge is left to the scheduler"
    if carbon_g_per_kwh is not None:
        carbon = _series("carbon_g_per_kwh", carbon_g_per_kwh, timeline, "pass a carbon intensity series")
        order: IntArray | None = _value_order(grid, carbon, None)
        basis = "lowest carbon intensity first"
    elif window_mask is not None:
        mask = _mask("window_mask", window_mask, timeline)
        assert mask is not None
        order = _window_order(grid, mask)
        basis = "no carbon data: off-peak window first"
    else:
        order, basis = None, "no carbon data or window: from plug-in"
    return _schedule(sessions, charger, vehicle, order, grid, "v2g_addon", notes=(f"{note}; {basis}",))


POLICIES: Mapping[str, ChargingPolicy] = MappingProxyType(
    {"dumb": dumb, "window": window, "smart": smart, "v2g_addon": v2g_addon}
)


def apply_policy(
    name: str,
    sessions: PlugInSessions,
    charger: Charger,
    vehicle: Vehicle,
    timeline: Timeline,
    price_p_per_kwh: npt.ArrayLike | None = None,
    window_mask: npt.ArrayLike | None = None,
    *,
    preferred_mask: npt.ArrayLike | None = None,
    carbon_g_per_kwh: npt.ArrayLike | None = None,
) -> EvSchedule:
    """Run the policy called ``name`` (one of :data:`POLICIES`)."""
    try:
        policy = POLICIES[name.strip().lower().replace("-", "_")]
    except KeyError:
        choices = ", ".join(POLICIES)
        raise HouseholdError(f"unknown charging policy {name!r}: choose one of {choices}") from None
    return policy(
        sessions, charger, vehicle, timeline, price_p_per_kwh, window_mask,
        preferred_mask=preferred_mask, carbon_g_per_kwh=carbon_g_per_kwh,
    )
