"""Smart-session dispatch slots to bill (Intelligent Octopus Go style), including chargepoint/API outages.

On a smart-session tariff the supplier schedules the car; the slots it dispatched are billed off-peak for the
*whole home*, up to the charge cap per midday-to-midday period (the billing engine applies the cap, see
:func:`evflex.billing.prices.smart_offpeak_mask`). Boost and any draw outside a dispatched slot are billed by
the ordinary bands (peak outside the fixed window). This module decides which slots reach the engine:

* no outage: the planned (dispatched) slots;
* an outage of the chargepoint or the car/charger API: the supplier could not control the car, so planned
  slots inside the outage are not dispatched and the car's draw there is *unscheduled* (peak) — the
  suppliers' default (``reference/uk-ev-tariffs-2026.txt``: "the supplier defaults the unscheduled draw to
  the peak rate");
* the same outage credited as the **supplier's fault** ("most suppliers credit back the difference if the
  customer can show the outage was on the supplier's side"): the planned slots stand as if dispatched and,
  when the charger's readings are given, the car's draw during the outage counts as dispatched too. The cap
  still applies, so a credit can never price more than the cap's hours off-peak.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from evflex.operations.errors import OperationsError

__all__ = ["DispatchError", "billable_smart_slots"]

BoolArray = npt.NDArray[np.bool_]


class DispatchError(OperationsError):
    """Dispatch slots, outage mask or charger readings are misaligned or malformed."""


def _mask(name: str, values: npt.ArrayLike, n: int | None) -> BoolArray:
    arr = np.asarray(values)
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n):
        raise DispatchError(f"{name} has shape {arr.shape}; give one value per period of the timeline ({n})")
    if arr.dtype != np.bool_:
        if not np.isin(arr, (0, 1)).all():
            raise DispatchError(f"{name} must be true/false per period")
        arr = arr.astype(np.bool_)
    return arr


def billable_smart_slots(
    planned_slots: npt.ArrayLike,
    outage: npt.ArrayLike,
    *,
    supplier_fault: bool,
    ev_charge_kwh: npt.ArrayLike | None = None,
) -> BoolArray:
    """The dispatch slots to bill off-peak (pass them as ``Flows.smart_slots``).

    ``planned_slots``: periods the supplier scheduled the car; ``outage``: periods the chargepoint or the
    car/charger API was unreachable; ``supplier_fault``: whether the outage is credited as the supplier's
    fault; ``ev_charge_kwh`` (optional, charger readings): with a supplier-fault outage, periods of the outage
    where the car drew energy are billed as dispatched as well.
    """
    planned = _mask("planned_slots", planned_slots, None)
    n = planned.shape[0]
    down = _mask("outage", outage, n)
    if not supplier_fault:
        return np.asarray(planned & ~down)
    slots = planned.copy()
    if ev_charge_kwh is not None:
        draw = np.asarray(ev_charge_kwh, dtype=np.float64)
        if draw.shape != (n,) or not np.isfinite(draw).all() or (draw < 0).any():
            raise DispatchError(f"ev_charge_kwh must be {n} finite kWh ≥ 0, one per period")
        slots |= down & (draw > 0)
    return slots
