"""Half-hourly energy flows at a home, and which meter each came from.

All arrays are kWh per period (≥ 0), aligned to one :class:`~evflex.periods.Timeline`. The balance at the
grid connection, period by period::

    meter_import − meter_export = home_load + ev_charge − ev_discharge − solar

Flows are built either from a household model (home load, EV and solar known, meter derived) or from
metered data (smart-meter import/export plus charger readings, home net load derived). ``provenance``
says which meter or model each array came from, so bills can state it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from evflex.periods import Timeline

__all__ = ["Flows", "FlowsError"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_FIELDS = ("home_load_kwh", "ev_charge_kwh", "ev_discharge_kwh", "solar_kwh", "meter_import_kwh", "meter_export_kwh")


class FlowsError(ValueError):
    """Flow arrays are misaligned, negative or do not balance."""


def _array(name: str, values: npt.ArrayLike, n: int) -> FloatArray:
    arr = np.array(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise FlowsError(f"{name} has {arr.shape[0] if arr.ndim else 1} values; the timeline has {n} periods")
    if not np.isfinite(arr).all():
        raise FlowsError(
            f"{name} has missing or non-finite values at period {int(np.flatnonzero(~np.isfinite(arr))[0])}"
        )
    if (arr < 0).any():
        i = int(np.flatnonzero(arr < 0)[0])
        raise FlowsError(f"{name} is negative ({arr[i]:.3f} kWh) at period {i}; flows are kWh ≥ 0")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class Flows:
    """Energy flows of one home over ``timeline`` (kWh per period)."""

    timeline: Timeline
    home_load_kwh: FloatArray
    ev_charge_kwh: FloatArray
    ev_discharge_kwh: FloatArray
    solar_kwh: FloatArray
    meter_import_kwh: FloatArray
    meter_export_kwh: FloatArray
    smart_slots: BoolArray | None = None
    """Periods the supplier dispatched (scheduled) EV charging, for smart-session tariffs."""
    provenance: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.timeline.n_periods
        for name in _FIELDS:
            object.__setattr__(self, name, _array(name, getattr(self, name), n))
        if self.smart_slots is not None:
            slots = np.asarray(self.smart_slots, dtype=np.bool_)
            if slots.shape != (n,):
                raise FlowsError(f"smart_slots has shape {slots.shape}; the timeline has {n} periods")
            slots.setflags(write=False)
            object.__setattr__(self, "smart_slots", slots)
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))
        gap = self.balance_residual_kwh()
        if np.abs(gap).max(initial=0.0) > 1e-6:
            i = int(np.argmax(np.abs(gap)))
            raise FlowsError(
                f"flows do not balance at period {i} ({self.timeline.period_start(i).isoformat()}): "
                f"import − export − (home + ev_charge − ev_discharge − solar) = {gap[i]:+.4f} kWh"
            )

    # -- construction ---------------------------------------------------------------------------------
    @classmethod
    def from_household(
        cls,
        timeline: Timeline,
        home_load_kwh: npt.ArrayLike,
        ev_charge_kwh: npt.ArrayLike = 0.0,
        ev_discharge_kwh: npt.ArrayLike = 0.0,
        solar_kwh: npt.ArrayLike = 0.0,
        smart_slots: BoolArray | None = None,
        provenance: Mapping[str, str] | None = None,
    ) -> Flows:
        """Flows from a household model; the meter sees the per-period net (netted within each period)."""
        n = timeline.n_periods
        home = _array("home_load_kwh", home_load_kwh, n)
        ev_c = _array("ev_charge_kwh", ev_charge_kwh, n)
        ev_d = _array("ev_discharge_kwh", ev_discharge_kwh, n)
        solar = _array("solar_kwh", solar_kwh, n)
        net = home + ev_c - ev_d - solar
        prov = {name: "household model" for name in _FIELDS[:4]}
        prov |= {
            "meter_import_kwh": "derived: positive part of the balance",
            "meter_export_kwh": "derived: negative part of the balance",
        }
        prov |= dict(provenance or {})
        return cls(timeline, home, ev_c, ev_d, solar, np.maximum(net, 0.0), np.maximum(-net, 0.0), smart_slots, prov)

    @classmethod
    def from_meters(
        cls,
        timeline: Timeline,
        meter_import_kwh: npt.ArrayLike,
        meter_export_kwh: npt.ArrayLike = 0.0,
        ev_charge_kwh: npt.ArrayLike = 0.0,
        ev_discharge_kwh: npt.ArrayLike = 0.0,
        solar_kwh: npt.ArrayLike | None = None,
        smart_slots: BoolArray | None = None,
        provenance: Mapping[str, str] | None = None,
    ) -> Flows:
        """Flows from a smart meter (import/export) and a charger; the home load is derived from the balance.

        Without a generation meter the home's *net* load is what can be known: ``solar`` is then taken
        as the part of the derived net that is negative (export not explained by the car), and
        ``home_load`` as its positive part.
        """
        n = timeline.n_periods
        imp = _array("meter_import_kwh", meter_import_kwh, n)
        exp = _array("meter_export_kwh", meter_export_kwh, n)
        ev_c = _array("ev_charge_kwh", ev_charge_kwh, n)
        ev_d = _array("ev_discharge_kwh", ev_discharge_kwh, n)
        net_home = imp - exp - ev_c + ev_d  # = home_load − solar
        prov = {
            "meter_import_kwh": "smart meter (import)",
            "meter_export_kwh": "smart meter (export)",
            "ev_charge_kwh": "charger",
            "ev_discharge_kwh": "charger",
        }
        if solar_kwh is None:
            solar = np.maximum(-net_home, 0.0)
            home = np.maximum(net_home, 0.0)
            prov |= {
                "home_load_kwh": "derived: meter − charger (net of any solar)",
                "solar_kwh": "derived: export not explained by the car",
            }
        else:
            solar = _array("solar_kwh", solar_kwh, n)
            home = net_home + solar
            if (home < -1e-9).any():
                i = int(np.flatnonzero(home < -1e-9)[0])
                raise FlowsError(
                    f"meter, charger and solar readings disagree at period {i}: derived home load {home[i]:.3f} kWh < 0"
                )
            home = np.maximum(home, 0.0)
            prov |= {"home_load_kwh": "derived: meter − charger + solar", "solar_kwh": "generation meter"}
        prov |= dict(provenance or {})
        return cls(timeline, home, ev_c, ev_d, solar, imp, exp, smart_slots, prov)

    # -- derived quantities -----------------------------------------------------------------------------
    def balance_residual_kwh(self) -> FloatArray:
        lhs = self.meter_import_kwh - self.meter_export_kwh
        rhs = self.home_load_kwh + self.ev_charge_kwh - self.ev_discharge_kwh - self.solar_kwh
        return lhs - rhs

    def home_net_kwh(self) -> FloatArray:
        """The home's own net draw without the car: ``meter_import − meter_export − ev_charge + ev_discharge``."""
        return self.meter_import_kwh - self.meter_export_kwh - self.ev_charge_kwh + self.ev_discharge_kwh

    def home_import_kwh(self) -> FloatArray:
        """What the meter would import if the car were not there (the V2G add-on's billed home use)."""
        return np.maximum(self.home_net_kwh(), 0.0)

    def home_export_kwh(self) -> FloatArray:
        """Solar/battery export not caused by the car (paid at the export rate under the V2G add-on)."""
        return np.maximum(-self.home_net_kwh(), 0.0)

    def totals(self) -> dict[str, float]:
        return {name: float(getattr(self, name).sum()) for name in _FIELDS}
