"""Scheduling: smart one-way charging and V2G, exact and fast, with an LP reference (HiGHS)."""

from evflex.schedule.batch import schedule_many
from evflex.schedule.errors import InfeasibleProblemError, InvalidProblemError, ScheduleError, SolverError
from evflex.schedule.fast import solve
from evflex.schedule.lp import solve_lp
from evflex.schedule.problem import (
    DEFAULT_EXPORT_LIMIT_KW,
    Battery,
    Charger,
    Objective,
    ObjectiveKind,
    ScheduleProblem,
    Session,
)
from evflex.schedule.result import ScheduleResult, ScheduleStatus, check_schedule
from evflex.schedule.smart import SmartMode, smart_charge

__all__ = [
    "DEFAULT_EXPORT_LIMIT_KW",
    "Battery",
    "Charger",
    "InfeasibleProblemError",
    "InvalidProblemError",
    "Objective",
    "ObjectiveKind",
    "ScheduleError",
    "ScheduleProblem",
    "ScheduleResult",
    "ScheduleStatus",
    "Session",
    "SmartMode",
    "SolverError",
    "check_schedule",
    "schedule_many",
    "smart_charge",
    "solve",
    "solve_lp",
]
