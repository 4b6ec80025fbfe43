"""Exceptions of :mod:`evflex.schedule`.

:class:`ScheduleError` is the package's single base exception. It derives from :class:`ValueError` because
every error the package raises is about the values it was given (an invalid problem, a target that cannot
be met in strict mode); callers that already catch ``ValueError`` keep working.
"""

from __future__ import annotations

__all__ = ["InfeasibleProblemError", "InvalidProblemError", "ScheduleError", "SolverError"]


class ScheduleError(ValueError):
    """Base class of every error raised by :mod:`evflex.schedule`."""


class InvalidProblemError(ScheduleError):
    """A problem, or its JSON form, is malformed (wrong shapes, units out of range, unknown keys)."""


class InfeasibleProblemError(ScheduleError):
    """A hard target cannot be met and the caller asked for ``strict=True``.

    Without ``strict`` the solvers never raise this: they return the best-effort schedule with its
    shortfall instead.
    """

    def __init__(self, message: str, *, shortfall_kwh: float, binding_reason: str | None) -> None:
        super().__init__(message)
        self.shortfall_kwh = shortfall_kwh
        self.binding_reason = binding_reason


class SolverError(ScheduleError):
    """The reference LP solver (HiGHS) failed to return an optimal solution."""
