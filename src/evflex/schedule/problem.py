"""The scheduling problem for one vehicle: battery, charger, plug-in sessions, signals and objective.

Everything is a frozen dataclass with units in the field names. Time is an index of equal periods
(``period_minutes``, 30 by default) counted from the start of the problem's timeline; the timeline itself
(its UTC start, local days, clock changes) belongs to :mod:`evflex.periods`. Per-period signals are 1-D
float arrays of the same length ``n_periods``; they are copied and made read-only on construction.

Conventions
-----------
* Power is in kW at the charger (AC side for an AC charger, the grid side of a DC unit such as the
  Wallbox Quasar 1). Energy into the battery is ``charge_efficiency × charge_kw × hours``; energy taken
  out of the battery to deliver ``discharge_kw`` is ``discharge_kw × hours / discharge_efficiency``.
* A session ``[arrival_period, departure_period)`` covers the periods the car is plugged in; SoC index
  ``k`` is the state at the *start* of period ``k`` (there are ``n_periods + 1`` of them), so the target
  applies at index ``departure_period``. The floor and the ceiling apply at every index of every session
  (arrival to departure inclusive); while the car is away only the trip energy changes its SoC.
* The first session states ``arrival_soc_kwh``. Each later session states ``trip_kwh``, the energy the
  car used while away since the previous departure, so its arrival SoC is the previous departure SoC
  minus that trip; a later session must arrive at least one period after the previous one left.
* ``home_load_kwh`` is the home's consumption behind the same meter (≥ 0, net of nothing). Discharge
  serves the home first; only the excess is exported, and ``export_limit_kw`` (3.68 kW, the G98 limit
  for a home without G99 permission) caps the export at the grid connection.
* ``battery_wear_p_per_kwh`` is charged on the energy through the charger in either direction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from evflex.schedule.errors import InvalidProblemError

__all__ = [
    "DEFAULT_EXPORT_LIMIT_KW",
    "Battery",
    "Charger",
    "Objective",
    "ObjectiveKind",
    "ScheduleProblem",
    "Session",
]

FloatArray = npt.NDArray[np.float64]

DEFAULT_EXPORT_LIMIT_KW = 3.68
"""G98: 16 A per phase at 230 V; more needs the DNO's G99 permission."""

_PERIOD_MINUTES = (5, 10, 15, 20, 30, 60)
_FORMAT_VERSION = 1


def _finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise InvalidProblemError(f"{name} must be finite, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Battery:
    """The car's usable battery and the customer's SoC band, in kWh of usable energy.

    ``soc_min_kwh`` is the floor V2G may never take the car below (e.g. 30 % on the V2G add-on);
    ``soc_max_kwh`` the ceiling charging never exceeds (defaults to the usable capacity).
    """

    usable_kwh: float
    soc_min_kwh: float = 0.0
    soc_max_kwh: float = math.inf

    def __post_init__(self) -> None:
        usable = _finite("usable_kwh", self.usable_kwh)
        if usable <= 0.0:
            raise InvalidProblemError(f"usable_kwh must be > 0, got {usable}")
        soc_max = usable if self.soc_max_kwh == math.inf else _finite("soc_max_kwh", self.soc_max_kwh)
        soc_min = _finite("soc_min_kwh", self.soc_min_kwh)
        if not 0.0 <= soc_min <= soc_max <= usable:
            raise InvalidProblemError(
                f"need 0 ≤ soc_min_kwh ({soc_min}) ≤ soc_max_kwh ({soc_max}) ≤ usable_kwh ({usable})"
            )
        object.__setattr__(self, "usable_kwh", usable)
        object.__setattr__(self, "soc_min_kwh", soc_min)
        object.__setattr__(self, "soc_max_kwh", soc_max)

    @classmethod
    def from_fractions(cls, usable_kwh: float, soc_min_fraction: float = 0.0, soc_max_fraction: float = 1.0) -> Battery:
        """A battery whose floor and ceiling are given as fractions of the usable capacity."""
        if not 0.0 <= soc_min_fraction <= soc_max_fraction <= 1.0:
            raise InvalidProblemError(
                f"need 0 ≤ soc_min_fraction ({soc_min_fraction}) ≤ soc_max_fraction ({soc_max_fraction}) ≤ 1"
            )
        return cls(usable_kwh, soc_min_fraction * usable_kwh, soc_max_fraction * usable_kwh)


@dataclass(frozen=True, slots=True)
class Charger:
    """The chargepoint (with the car's own conversion losses folded into the efficiencies).

    ``min_setpoint_kw`` is the smallest non-zero power magnitude the hardware accepts (1.38 kW, i.e. 6 A,
    on the Wallbox Quasar 1; 0 if none), applied to charge and discharge alike. A charger that is not
    ``bidirectional`` never discharges, whatever ``max_discharge_kw`` says.
    """

    max_charge_kw: float
    max_discharge_kw: float = 0.0
    charge_efficiency: float = 1.0
    discharge_efficiency: float = 1.0
    min_setpoint_kw: float = 0.0
    bidirectional: bool = False

    def __post_init__(self) -> None:
        for name in ("max_charge_kw", "max_discharge_kw", "min_setpoint_kw"):
            if _finite(name, getattr(self, name)) < 0.0:
                raise InvalidProblemError(f"{name} must be ≥ 0, got {getattr(self, name)}")
            object.__setattr__(self, name, float(getattr(self, name)))
        for name in ("charge_efficiency", "discharge_efficiency"):
            eta = _finite(name, getattr(self, name))
            if not 0.0 < eta <= 1.0:
                raise InvalidProblemError(f"{name} must be in (0, 1], got {eta}")
            object.__setattr__(self, name, eta)
        if self.min_setpoint_kw > self.max_charge_kw:
            raise InvalidProblemError(
                f"min_setpoint_kw ({self.min_setpoint_kw}) exceeds max_charge_kw ({self.max_charge_kw})"
            )
        if self.bidirectional and 0.0 < self.max_discharge_kw < self.min_setpoint_kw:
            raise InvalidProblemError(
                f"min_setpoint_kw ({self.min_setpoint_kw}) exceeds max_discharge_kw ({self.max_discharge_kw})"
            )
        object.__setattr__(self, "bidirectional", bool(self.bidirectional))

    @property
    def effective_discharge_kw(self) -> float:
        """Discharge power actually available (0 unless bidirectional)."""
        return self.max_discharge_kw if self.bidirectional else 0.0

    @classmethod
    def wallbox_quasar_1(cls, round_trip_efficiency: float = 0.85) -> Charger:
        """Wallbox Quasar 1: CHAdeMO DC, ±7.4 kW, 1.38 kW minimum non-zero setpoint.

        No measured Quasar 1 efficiency is public; the default splits V2G Liberty's 85 % charger + car
        round trip evenly between the two directions (√0.85 ≈ 0.922 each).
        """
        if not 0.0 < round_trip_efficiency <= 1.0:
            raise InvalidProblemError(f"round_trip_efficiency must be in (0, 1], got {round_trip_efficiency}")
        eta = math.sqrt(round_trip_efficiency)
        return cls(7.4, 7.4, eta, eta, min_setpoint_kw=1.38, bidirectional=True)


@dataclass(frozen=True, slots=True)
class Session:
    """One plug-in session: periods ``[arrival_period, departure_period)`` of the problem's timeline.

    ``target_soc_kwh`` must be reached by ``departure_period`` (a hard target; when it cannot be reached
    the solvers return the best-effort schedule and the shortfall). Give ``arrival_soc_kwh`` for the first
    session only; give ``trip_kwh`` (energy used while away since the previous departure) for later ones.
    A target of 0 means "no ready-by requirement" (the floor still applies).
    """

    arrival_period: int
    departure_period: int
    target_soc_kwh: float
    arrival_soc_kwh: float | None = None
    trip_kwh: float = 0.0

    def __post_init__(self) -> None:
        for name in ("arrival_period", "departure_period"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise InvalidProblemError(f"{name} must be an integer period index, got {value!r}")
            object.__setattr__(self, name, int(value))
        if not 0 <= self.arrival_period < self.departure_period:
            raise InvalidProblemError(
                f"need 0 ≤ arrival_period ({self.arrival_period}) < departure_period ({self.departure_period})"
            )
        if _finite("target_soc_kwh", self.target_soc_kwh) < 0.0:
            raise InvalidProblemError(f"target_soc_kwh must be ≥ 0, got {self.target_soc_kwh}")
        object.__setattr__(self, "target_soc_kwh", float(self.target_soc_kwh))
        if self.arrival_soc_kwh is not None:
            if _finite("arrival_soc_kwh", self.arrival_soc_kwh) < 0.0:
                raise InvalidProblemError(f"arrival_soc_kwh must be ≥ 0, got {self.arrival_soc_kwh}")
            object.__setattr__(self, "arrival_soc_kwh", float(self.arrival_soc_kwh))
        if _finite("trip_kwh", self.trip_kwh) < 0.0:
            raise InvalidProblemError(f"trip_kwh must be ≥ 0, got {self.trip_kwh}")
        object.__setattr__(self, "trip_kwh", float(self.trip_kwh))

    @property
    def n_periods(self) -> int:
        """Plugged-in periods."""
        return self.departure_period - self.arrival_period


class ObjectiveKind(StrEnum):
    """What the schedule minimises."""

    COST = "cost"
    """Import cost − export value + wear, in pence."""
    CARBON = "carbon"
    """Carbon intensity × net grid energy, in gCO2 (wear is not included: it is not carbon)."""
    BLEND = "blend"
    """Cost + wear + ``carbon_price_p_per_kgco2`` × net kgCO2, in pence."""


@dataclass(frozen=True, slots=True)
class Objective:
    """The objective and, for a blend, the price put on carbon (p per kgCO2)."""

    kind: ObjectiveKind = ObjectiveKind.COST
    carbon_price_p_per_kgco2: float = 0.0

    def __post_init__(self) -> None:
        try:
            kind = ObjectiveKind(self.kind)
        except ValueError:
            raise InvalidProblemError(
                f"objective kind must be one of {[k.value for k in ObjectiveKind]}, got {self.kind!r}"
            ) from None
        object.__setattr__(self, "kind", kind)
        price = _finite("carbon_price_p_per_kgco2", self.carbon_price_p_per_kgco2)
        if price < 0.0:
            raise InvalidProblemError(f"carbon_price_p_per_kgco2 must be ≥ 0, got {price}")
        if kind is not ObjectiveKind.BLEND and price != 0.0:
            raise InvalidProblemError("carbon_price_p_per_kgco2 only applies to the 'blend' objective")
        object.__setattr__(self, "carbon_price_p_per_kgco2", price)

    @classmethod
    def cost(cls) -> Objective:
        return cls(ObjectiveKind.COST)

    @classmethod
    def carbon(cls) -> Objective:
        return cls(ObjectiveKind.CARBON)

    @classmethod
    def blend(cls, carbon_price_p_per_kgco2: float) -> Objective:
        return cls(ObjectiveKind.BLEND, carbon_price_p_per_kgco2)

    @property
    def needs_carbon(self) -> bool:
        return self.kind is not ObjectiveKind.COST

    @property
    def unit(self) -> str:
        return "gCO2" if self.kind is ObjectiveKind.CARBON else "p"


def _signal(name: str, values: Any, n: int | None) -> FloatArray:
    array = np.array(values, dtype=np.float64, copy=True)
    if array.ndim != 1 or array.size == 0:
        raise InvalidProblemError(f"{name} must be a non-empty 1-D array, got shape {array.shape}")
    if n is not None and array.size != n:
        raise InvalidProblemError(f"{name} has {array.size} values, expected {n} (one per period)")
    if not np.all(np.isfinite(array)):
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise InvalidProblemError(f"{name} has a missing or non-finite value at period {bad}; fill gaps first")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, slots=True, eq=False)
class ScheduleProblem:
    """One vehicle's scheduling problem over ``n_periods`` periods."""

    battery: Battery
    charger: Charger
    sessions: tuple[Session, ...]
    import_price_p_per_kwh: FloatArray
    export_value_p_per_kwh: FloatArray | None = None
    """Value of exported energy; ``None`` means exports earn nothing."""
    carbon_g_per_kwh: FloatArray | None = None
    """Grid carbon intensity; required by the carbon and blend objectives."""
    home_load_kwh: FloatArray | None = None
    """Home consumption behind the meter per period; ``None`` means none."""
    export_limit_kw: float = DEFAULT_EXPORT_LIMIT_KW
    objective: Objective = field(default_factory=Objective)
    battery_wear_p_per_kwh: float = 0.0
    period_minutes: int = 30

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        prices = _signal("import_price_p_per_kwh", self.import_price_p_per_kwh, None)
        n = prices.size
        set_(self, "import_price_p_per_kwh", prices)
        for name in ("export_value_p_per_kwh", "carbon_g_per_kwh", "home_load_kwh"):
            value = getattr(self, name)
            set_(self, name, None if value is None else _signal(name, value, n))
        if self.home_load_kwh is not None and float(self.home_load_kwh.min()) < 0.0:
            raise InvalidProblemError("home_load_kwh must be ≥ 0 (net solar export is not modelled)")
        if self.objective.needs_carbon and self.carbon_g_per_kwh is None:
            raise InvalidProblemError(f"the {self.objective.kind.value!r} objective needs carbon_g_per_kwh")
        if not isinstance(self.battery, Battery) or not isinstance(self.charger, Charger):
            raise InvalidProblemError("battery and charger must be Battery and Charger instances")
        if _finite("export_limit_kw", self.export_limit_kw) < 0.0:
            raise InvalidProblemError(f"export_limit_kw must be ≥ 0, got {self.export_limit_kw}")
        set_(self, "export_limit_kw", float(self.export_limit_kw))
        if _finite("battery_wear_p_per_kwh", self.battery_wear_p_per_kwh) < 0.0:
            # A negative wear cost would pay for cycling energy round and round.
            raise InvalidProblemError(f"battery_wear_p_per_kwh must be ≥ 0, got {self.battery_wear_p_per_kwh}")
        set_(self, "battery_wear_p_per_kwh", float(self.battery_wear_p_per_kwh))
        if self.period_minutes not in _PERIOD_MINUTES or isinstance(self.period_minutes, bool):
            raise InvalidProblemError(f"period_minutes must be one of {_PERIOD_MINUTES}, got {self.period_minutes}")
        set_(self, "sessions", tuple(self.sessions))
        self._check_sessions(n)

    def _check_sessions(self, n: int) -> None:
        if not self.sessions:
            raise InvalidProblemError("a problem needs at least one plug-in session")
        usable = self.battery.usable_kwh
        previous: Session | None = None
        for i, session in enumerate(self.sessions):
            if not isinstance(session, Session):
                raise InvalidProblemError(f"session {i} must be a Session, got {type(session).__name__}")
            if session.departure_period > n:
                raise InvalidProblemError(
                    f"session {i} departs at period {session.departure_period}, after the last period ({n})"
                )
            if session.target_soc_kwh > usable:
                raise InvalidProblemError(
                    f"session {i}: target_soc_kwh {session.target_soc_kwh} exceeds usable_kwh {usable}"
                )
            if previous is None:
                if session.arrival_soc_kwh is None:
                    raise InvalidProblemError("the first session must state arrival_soc_kwh")
                if session.arrival_soc_kwh > usable:
                    raise InvalidProblemError(f"arrival_soc_kwh {session.arrival_soc_kwh} exceeds usable_kwh {usable}")
                if session.trip_kwh != 0.0:
                    raise InvalidProblemError("the first session's trip_kwh must be 0 (give arrival_soc_kwh)")
            else:
                if session.arrival_soc_kwh is not None:
                    raise InvalidProblemError(
                        f"session {i}: only the first session states arrival_soc_kwh; later ones give trip_kwh"
                    )
                if session.arrival_period <= previous.departure_period:
                    raise InvalidProblemError(
                        f"session {i} arrives at period {session.arrival_period}, not after the previous "
                        f"departure at {previous.departure_period} (sessions must be ordered and apart)"
                    )
            previous = session

    # -- derived ------------------------------------------------------------------------------------------
    @property
    def n_periods(self) -> int:
        return int(self.import_price_p_per_kwh.size)

    @property
    def period_hours(self) -> float:
        return self.period_minutes / 60.0

    @property
    def initial_soc_kwh(self) -> float:
        soc = self.sessions[0].arrival_soc_kwh
        assert soc is not None  # checked in __post_init__
        return soc

    def plugged_mask(self) -> npt.NDArray[np.bool_]:
        """True for the periods the car is plugged in."""
        mask = np.zeros(self.n_periods, dtype=bool)
        for s in self.sessions:
            mask[s.arrival_period : s.departure_period] = True
        return mask

    def export_values(self) -> FloatArray:
        if self.export_value_p_per_kwh is None:
            return np.zeros(self.n_periods)
        return self.export_value_p_per_kwh

    def home_loads(self) -> FloatArray:
        if self.home_load_kwh is None:
            return np.zeros(self.n_periods)
        return self.home_load_kwh

    # -- JSON form ----------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (see ``docs/schedule.md``); :meth:`from_dict` reads it back."""

        def opt(array: FloatArray | None) -> list[float] | None:
            return None if array is None else [float(v) for v in array]

        sessions: list[dict[str, Any]] = []
        for s in self.sessions:
            entry: dict[str, Any] = {
                "arrival_period": s.arrival_period,
                "departure_period": s.departure_period,
                "target_soc_kwh": s.target_soc_kwh,
            }
            if s.arrival_soc_kwh is not None:
                entry["arrival_soc_kwh"] = s.arrival_soc_kwh
            if s.trip_kwh:
                entry["trip_kwh"] = s.trip_kwh
            sessions.append(entry)
        c = self.charger
        return {
            "version": _FORMAT_VERSION,
            "period_minutes": self.period_minutes,
            "battery": {
                "usable_kwh": self.battery.usable_kwh,
                "soc_min_kwh": self.battery.soc_min_kwh,
                "soc_max_kwh": self.battery.soc_max_kwh,
            },
            "charger": {
                "max_charge_kw": c.max_charge_kw,
                "max_discharge_kw": c.max_discharge_kw,
                "charge_efficiency": c.charge_efficiency,
                "discharge_efficiency": c.discharge_efficiency,
                "min_setpoint_kw": c.min_setpoint_kw,
                "bidirectional": c.bidirectional,
            },
            "sessions": sessions,
            "import_price_p_per_kwh": opt(self.import_price_p_per_kwh),
            "export_value_p_per_kwh": opt(self.export_value_p_per_kwh),
            "carbon_g_per_kwh": opt(self.carbon_g_per_kwh),
            "home_load_kwh": opt(self.home_load_kwh),
            "export_limit_kw": self.export_limit_kw,
            "objective": {
                "kind": self.objective.kind.value,
                "carbon_price_p_per_kgco2": self.objective.carbon_price_p_per_kgco2,
            },
            "battery_wear_p_per_kwh": self.battery_wear_p_per_kwh,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScheduleProblem:
        """Build a problem from its JSON form; unknown keys are errors (they are usually typos)."""
        _check_types(data)  # wrong JSON types name their field (a string for a number, null for a required key)
        top = _keys(
            "problem",
            data,
            required=("battery", "charger", "sessions", "import_price_p_per_kwh"),
            optional=(
                "version",
                "period_minutes",
                "export_value_p_per_kwh",
                "carbon_g_per_kwh",
                "home_load_kwh",
                "export_limit_kw",
                "objective",
                "battery_wear_p_per_kwh",
            ),
        )
        if top.get("version", _FORMAT_VERSION) != _FORMAT_VERSION:
            raise InvalidProblemError(f"unsupported problem format version {top['version']!r}")
        battery = _keys("battery", top["battery"], ("usable_kwh",), ("soc_min_kwh", "soc_max_kwh"))
        charger = _keys(
            "charger",
            top["charger"],
            ("max_charge_kw",),
            ("max_discharge_kw", "charge_efficiency", "discharge_efficiency", "min_setpoint_kw", "bidirectional"),
        )
        raw_sessions = top["sessions"]
        if not isinstance(raw_sessions, Sequence) or isinstance(raw_sessions, str):
            raise InvalidProblemError("sessions must be a list of objects")
        sessions = tuple(
            Session(
                **_keys(
                    f"sessions[{i}]",
                    s,
                    ("arrival_period", "departure_period", "target_soc_kwh"),
                    ("arrival_soc_kwh", "trip_kwh"),
                )
            )
            for i, s in enumerate(raw_sessions)
        )
        objective = Objective(**_keys("objective", top.get("objective", {}), (), ("kind", "carbon_price_p_per_kgco2")))
        kwargs: dict[str, Any] = {
            k: top[k]
            for k in (
                "export_value_p_per_kwh",
                "carbon_g_per_kwh",
                "home_load_kwh",
                "export_limit_kw",
                "battery_wear_p_per_kwh",
                "period_minutes",
            )
            if k in top
        }
        return cls(
            battery=Battery(**battery),
            charger=Charger(**charger),
            sessions=sessions,
            import_price_p_per_kwh=top["import_price_p_per_kwh"],
            objective=objective,
            **kwargs,
        )


def _keys(where: str, data: Any, required: Sequence[str], optional: Sequence[str]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidProblemError(f"{where} must be a JSON object, got {type(data).__name__}")
    missing = [k for k in required if k not in data]
    unknown = sorted(set(data) - set(required) - set(optional))
    if missing:
        raise InvalidProblemError(f"{where}: missing {missing}")
    if unknown:
        raise InvalidProblemError(f"{where}: unknown keys {unknown} (allowed: {[*required, *optional]})")
    return {k: v for k, v in data.items() if v is not None}  # null means "use the default"


# Field types of the JSON form (docs/schedule.md); "!" marks keys that may not be null.
_FIELDS: dict[str, dict[str, str]] = {
    "": {"export_limit_kw": "number", "battery_wear_p_per_kwh": "number", "period_minutes": "integer"},
    "battery": {"usable_kwh": "number!", "soc_min_kwh": "number", "soc_max_kwh": "number"},
    "charger": {"max_charge_kw": "number!", "bidirectional": "boolean"}
    | dict.fromkeys(("max_discharge_kw", "charge_efficiency", "discharge_efficiency", "min_setpoint_kw"), "number"),
    "objective": {"kind": "string", "carbon_price_p_per_kgco2": "number"},
    "sessions": {"arrival_period": "integer!", "departure_period": "integer!", "target_soc_kwh": "number!"}
    | {"arrival_soc_kwh": "number", "trip_kwh": "number"},
}
_KINDS: dict[str, tuple[str, Any]] = {
    "number": ("a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
    "integer": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "boolean": ("true or false", lambda v: isinstance(v, bool)),
    "string": ("a string", lambda v: isinstance(v, str)),
}
_ARRAYS = ("import_price_p_per_kwh", "export_value_p_per_kwh", "carbon_g_per_kwh", "home_load_kwh")


def _check_types(data: Any) -> None:
    """Name the field of a problem's JSON form whose value has the wrong type (the rest is checked later)."""
    if not isinstance(data, Mapping):
        raise InvalidProblemError(f"the problem must be a JSON object, got {type(data).__name__}")
    is_number = _KINDS["number"][1]
    for key in _ARRAYS:
        values = data.get(key)
        if values is None:
            continue
        if not isinstance(values, list):
            raise InvalidProblemError(f"{key} must be a list of numbers (one per period), got {type(values).__name__}")
        bad = next((i for i, v in enumerate(values) if not is_number(v)), None)
        if bad is not None:
            raise InvalidProblemError(f"{key}[{bad}] must be a number, got {values[bad]!r}")
    groups = [("", "", data)] + [(k, f"{k}.", data.get(k)) for k in ("battery", "charger", "objective")]
    if isinstance(data.get("sessions"), list):
        groups += [("sessions", f"sessions[{i}].", s) for i, s in enumerate(data["sessions"])]
    for group, where, entry in groups:
        if not isinstance(entry, Mapping):
            continue
        for key, kind in _FIELDS[group].items():
            value = entry.get(key)
            if value is None:
                if key in entry and kind.endswith("!"):
                    raise InvalidProblemError(f"{where}{key} is required, got null")
                continue
            noun, ok = _KINDS[kind.rstrip("!")]
            if not ok(value):
                raise InvalidProblemError(f"{where}{key} must be {noun}, got {value!r}")
