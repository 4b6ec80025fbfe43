"""Compiled kernels of the scheduler (numba) and the switch between them and the pure-Python reference.

The pure-Python/numpy code in :mod:`~evflex.schedule.model`, :mod:`~evflex.schedule.fast`,
:mod:`~evflex.schedule.setpoint`, :mod:`~evflex.schedule.smart` and :mod:`~evflex.schedule.result` is the
readable reference. Each kernel (defined in :mod:`~evflex.schedule._kernels_model` and
:mod:`~evflex.schedule._kernels_repair`, re-exported here) is a line-by-line translation of one of them onto
preallocated float64/int64 arrays, with the same arithmetic in the same order, so that both paths return the same
schedules (the tests compare them on thousands of instances). Only sums reported in the result (the
objective, the bill) may differ in the last bits: numpy sums pairwise, these loops sum in order.

Why compiled: at 48 periods the reference spends most of its time in interpreter and numpy-call
overhead (a few hundred tiny operations per vehicle-day), not in arithmetic.

Switch. The kernels are used when numba can be imported, unless ``EVFLEX_NO_NUMBA=1`` is set;
:func:`use_numba` switches for a block (tests and the benchmark compare both paths in one process).
numba is imported on first use, not with the package (importing it costs about 0.6 s), and all kernels are
compiled at that moment with explicit signatures, so a process compiles once, never in the middle of a
run; ``cache=True`` stores the machine code next to the kernels' files (or in numba's user cache), so later
processes only load it. Input arrays are typed read-only, which accepts writable arrays too.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from evflex.schedule import _kernels_model, _kernels_repair
from evflex.schedule._kernels_model import _FEASIBILITY_TOL_KWH as _FEASIBILITY_TOL_KWH
from evflex.schedule._kernels_model import _INF as _INF
from evflex.schedule._kernels_model import _N_INDEX_ROWS as _N_INDEX_ROWS
from evflex.schedule._kernels_model import _N_PERIOD_ROWS as _N_PERIOD_ROWS
from evflex.schedule._kernels_model import _SNAP_KWH as _SNAP_KWH
from evflex.schedule._kernels_model import MODEL_ROWS, compile_model, stored_energy
from evflex.schedule._kernels_model import _bisect_right as _bisect_right
from evflex.schedule._kernels_model import _insert as _insert
from evflex.schedule._kernels_repair import _TOL as _TOL
from evflex.schedule._kernels_repair import BoolArray as BoolArray
from evflex.schedule._kernels_repair import FloatArray as FloatArray
from evflex.schedule._kernels_repair import IntArray as IntArray
from evflex.schedule._kernels_repair import _allowed as _allowed
from evflex.schedule._kernels_repair import _before as _before
from evflex.schedule._kernels_repair import _phi as _phi
from evflex.schedule._kernels_repair import cheapest_one_way, repair_setpoint, result_flows, result_powers

__all__ = [
    "MODEL_ROWS",
    "Kernels",
    "active",
    "cheapest_one_way",
    "compile_model",
    "load_seconds",
    "numba_available",
    "repair_setpoint",
    "result_flows",
    "result_powers",
    "stored_energy",
    "use_numba",
]

_F = TypeVar("_F", bound=Callable[..., Any])

# Helpers the kernels call, registered with numba's register_jitable (each defined once, next to its kernels).
_HELPERS = _kernels_model._HELPERS + _kernels_repair._HELPERS


# -- switch and compilation ---------------------------------------------------------------------------------
class Kernels:
    """The kernels re-exported above compiled by numba (same signatures)."""

    def __init__(self) -> None:
        numba = importlib.import_module("numba")
        nt = numba.types
        ro = nt.Array(nt.float64, 1, "C", readonly=True)
        ro2 = nt.Array(nt.float64, 2, "C", readonly=True)
        rob = nt.Array(nt.boolean, 1, "C", readonly=True)
        f1 = nt.Array(nt.float64, 1, "C")
        f2 = nt.Array(nt.float64, 2, "C")
        i1 = nt.Array(nt.int64, 1, "C")
        b1 = nt.Array(nt.boolean, 1, "C")
        f8, b = nt.float64, nt.boolean

        def jit(fn: _F, signature: Any) -> _F:
            return cast(_F, numba.njit(signature, cache=True)(fn))

        # Helpers become callable from compiled code (and stay plain functions for Python). numba inlines
        # inner closures at every call site, which compiles several times more slowly.
        for helper in _HELPERS:
            numba.extending.register_jitable(helper)

        self.compile_model = jit(
            compile_model, nt.Tuple((f2, f2, b1, b))(ro2, ro, ro, ro, b, f8, f8, f8, f8, f8, f8, f8, f8, f8, f8)
        )
        self.stored_energy = jit(stored_energy, f1(ro, ro, ro, ro, ro, ro, ro, ro))
        self.repair_setpoint = jit(
            repair_setpoint, nt.Tuple((f1, i1, b, f8))(ro, ro, ro, ro, ro, ro, ro, ro, ro, rob, f8, f8)
        )
        self.cheapest_one_way = jit(cheapest_one_way, f1(ro, ro, ro, ro))
        self.result_powers = jit(result_powers, nt.Tuple((f1, f1, f8))(ro, f8, f8, f8, ro, ro, ro, ro, ro))
        self.result_flows = jit(result_flows, nt.Tuple((f1, f1, f1, f1))(ro, ro, ro, ro, ro, ro, ro, ro, f8))


def _env_disabled() -> bool:
    return os.environ.get("EVFLEX_NO_NUMBA", "").strip().lower() not in ("", "0", "false", "no")


class _State:
    enabled = True
    kernels: Kernels | None = None
    unavailable = _env_disabled()  # EVFLEX_NO_NUMBA=1: as if numba were not installed
    load_seconds = 0.0
    lock = threading.Lock()


def _load() -> Kernels | None:
    with _State.lock:
        if _State.kernels is None and not _State.unavailable:
            start = time.perf_counter()
            try:
                _State.kernels = Kernels()
            except ImportError:
                _State.unavailable = True  # numba is optional: the pure-Python reference is the implementation
            except Exception as error:  # a numba that cannot compile here must not break scheduling
                _State.unavailable = True
                warnings.warn(
                    f"evflex.schedule: numba could not compile the kernels ({error!r}); using the pure-Python "
                    "path (about 5× slower; set EVFLEX_NO_NUMBA=1 to skip this attempt)",
                    RuntimeWarning,
                    stacklevel=3,
                )
            _State.load_seconds = time.perf_counter() - start
    return _State.kernels


def active() -> Kernels | None:
    """The compiled kernels if they are to be used now, else ``None`` (use the pure-Python reference).

    The first call imports numba and compiles (or loads from the cache) every kernel: about 1 s from the
    cache, 15–20 s into an empty one.
    """
    if not _State.enabled:
        return None
    return _State.kernels or _load()


def numba_available() -> bool:
    """Whether the compiled kernels can be used: numba importable and ``EVFLEX_NO_NUMBA`` not set."""
    return _load() is not None


def load_seconds() -> float:
    """Time this process spent importing numba and compiling or loading the kernels."""
    return _State.load_seconds


@contextmanager
def use_numba(enabled: bool) -> Iterator[None]:
    """Use (or not) the compiled kernels inside the block, where available; process-wide, so not for
    concurrent threads. Forked workers inherit the setting."""
    previous = _State.enabled
    _State.enabled = enabled
    try:
        yield
    finally:
        _State.enabled = previous
