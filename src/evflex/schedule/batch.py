"""Many independent vehicles at once: the fleet entry point of the scheduler.

Small batches run in this process (starting workers costs more than solving a few thousand problems);
large ones are split into contiguous chunks over a :class:`~concurrent.futures.ProcessPoolExecutor`.
Results always come back in the order of the input, and a progress callback sees ``(done, total)`` after
every chunk.

At well under a millisecond per vehicle-day, moving problems and results between processes costs as much
as solving them (pickling a problem takes about as long as solving it). So where workers are forked (the
default on Linux up to Python 3.13) they inherit the problem list and receive only index ranges, and
results travel in their compact pickled form (see ``ScheduleResult.__reduce__``). The compiled kernels
are loaded before the workers start, so forked workers inherit them too.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Literal

from evflex.schedule import _kernels
from evflex.schedule.errors import InvalidProblemError
from evflex.schedule.fast import solve
from evflex.schedule.lp import reset_after_fork, solve_lp
from evflex.schedule.problem import ScheduleProblem
from evflex.schedule.result import ScheduleResult
from evflex.schedule.smart import smart_charge

__all__ = ["PARALLEL_THRESHOLD", "Solver", "schedule_many"]

Solver = Literal["fast", "lp", "smart", "smart-continuous"]
Progress = Callable[[int, int], None]

PARALLEL_THRESHOLD = 2000
"""Below this many problems ``workers=None`` runs in-process."""


def _solve_one(problem: ScheduleProblem, solver: Solver) -> ScheduleResult:
    if solver == "fast":
        return solve(problem)
    if solver == "lp":
        return solve_lp(problem)
    if solver == "smart":
        return smart_charge(problem)
    return smart_charge(problem, mode="continuous")


def _solve_chunk(problems: Sequence[ScheduleProblem], solver: Solver) -> list[ScheduleResult]:
    return [_solve_one(p, solver) for p in problems]


_SHARED: dict[int, list[ScheduleProblem]] = {}
"""Problem lists of running batches, by key; forked workers read their chunks from here."""
_keys = itertools.count()


def _solve_shared(key: int, start: int, stop: int, solver: Solver) -> list[ScheduleResult]:
    return _solve_chunk(_SHARED[key][start:stop], solver)


def _start_worker() -> None:
    reset_after_fork()
    _kernels.active()  # compile or load the kernels now (a no-op when inherited from the parent)


def schedule_many(
    problems: Iterable[ScheduleProblem],
    *,
    solver: Solver = "fast",
    progress: Progress | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
) -> list[ScheduleResult]:
    """Schedule every problem; results in input order.

    ``workers=None`` uses every CPU for at least :data:`PARALLEL_THRESHOLD` problems and this process
    otherwise; ``workers=1`` always runs in-process; ``workers=k`` uses ``k`` processes.
    ``chunk_size`` (default: about 8 chunks per worker, at most 2,000 problems) trades scheduling
    overhead against progress granularity and load balance.
    """
    items = list(problems)
    if solver not in ("fast", "lp", "smart", "smart-continuous"):
        raise InvalidProblemError(f"unknown solver {solver!r}")
    total = len(items)
    if workers is not None and workers < 1:
        raise InvalidProblemError(f"workers must be ≥ 1, got {workers}")
    n_workers = workers if workers is not None else (os.cpu_count() or 1) if total >= PARALLEL_THRESHOLD else 1
    size = chunk_size or max(1, min(2000, -(-total // (8 * n_workers)) if total else 1))
    chunks = [items[i : i + size] for i in range(0, total, size)]
    out: list[ScheduleResult] = []
    if n_workers == 1 or len(chunks) <= 1:
        for chunk in chunks:
            out.extend(_solve_chunk(chunk, solver))
            if progress is not None:
                progress(len(out), total)
        return out
    results: list[list[ScheduleResult] | None] = [None] * len(chunks)
    done = 0
    _kernels.active()  # load the compiled kernels here, once: forked workers inherit them
    context = multiprocessing.get_context()
    key = next(_keys)
    shared = context.get_start_method() == "fork"
    if shared:
        _SHARED[key] = items  # before the pool forks its workers
    try:
        # A forked worker must not reuse the parent's HiGHS thread pool or solver instance.
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=context, initializer=_start_worker) as pool:
            futures: dict[Future[list[ScheduleResult]], int] = {}
            for i, chunk in enumerate(chunks):
                if shared:
                    futures[pool.submit(_solve_shared, key, i * size, i * size + len(chunk), solver)] = i
                else:
                    futures[pool.submit(_solve_chunk, chunk, solver)] = i
            for future in as_completed(futures):
                i = futures[future]
                results[i] = future.result()
                done += len(chunks[i])
                if progress is not None:
                    progress(done, total)
    finally:
        _SHARED.pop(key, None)
    for part in results:
        assert part is not None
        out.extend(part)
    return out
