"""``evflex compliance``: usage-rule reports for V2G add-on customers from their plug-in sessions.

The input is a CSV of charging sessions, one row each, as a charge-point operator exports them (OCPP
transactions): ``customer_id,plug_in,unplug,ev_charge_kwh`` with ISO 8601 times carrying a UTC offset. A
session's energy is spread evenly over its half-hours (only monthly totals are judged).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import numpy as np
import numpy.typing as npt
import typer
from rich.table import Table

from evflex.cli_support import console, handle_errors
from evflex.operations.compliance import ComplianceRules, Status, check_compliance_batch, plugged_in_from_sessions
from evflex.operations.errors import OperationsError
from evflex.periods import LONDON, Timeline, ensure_utc, local_days

__all__ = ["SessionRecord", "compliance_command", "read_sessions", "session_energy"]

HEADER = ("customer_id", "plug_in", "unplug", "ev_charge_kwh")
MAX_SESSION_KWH = 200.0

SessionRecord = tuple[str, datetime, datetime, float]


def _time(text: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise OperationsError(f"{where}: {text!r} is not an ISO 8601 time (e.g. 2025-06-01T18:05:00+01:00)") from None
    if moment.tzinfo is None:
        raise OperationsError(f"{where}: {text!r} has no UTC offset; add Z or +01:00")
    return ensure_utc(moment)


def read_sessions(path: Path) -> list[SessionRecord]:
    """Parse and check the sessions CSV; every problem names the file, the row and the fix."""
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise OperationsError(f"{path} is empty: give a header {','.join(HEADER)} and one row per session")
    if tuple(c.strip() for c in rows[0]) != HEADER:
        raise OperationsError(f"{path}: the header must be {','.join(HEADER)} (got {','.join(rows[0])})")
    records: list[SessionRecord] = []
    for number, row in enumerate(rows[1:], start=2):
        where = f"{path} row {number}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            raise OperationsError(f"{where}: expected {len(HEADER)} columns ({','.join(HEADER)}), got {len(row)}")
        customer, start_text, end_text, kwh_text = (cell.strip() for cell in row)
        if not customer:
            raise OperationsError(f"{where}: customer_id is empty")
        start, end = _time(start_text, where), _time(end_text, where)
        if end <= start:
            raise OperationsError(f"{where}: unplug {end_text} is not after plug_in {start_text}")
        try:
            kwh = float(kwh_text)
        except ValueError:
            raise OperationsError(f"{where}: ev_charge_kwh {kwh_text!r} is not a number") from None
        if not 0.0 <= kwh <= MAX_SESSION_KWH:
            raise OperationsError(f"{where}: ev_charge_kwh {kwh} must be between 0 and {MAX_SESSION_KWH:g} kWh")
        records.append((customer, start, end, kwh))
    if not records:
        raise OperationsError(f"{path} has a header but no sessions")
    return records


def _span(records: list[SessionRecord]) -> Timeline:
    """From the first session's month start to the end of the last session's local day.

    A month the history does not cover to its end is partial; the compliance rules do not judge it.
    """
    first = min(r[1] for r in records).astimezone(LONDON).date().replace(day=1)
    last = max(r[2] for r in records).astimezone(LONDON).date()
    return local_days(first, last + timedelta(days=1))


def session_energy(timeline: Timeline, records: list[SessionRecord]) -> npt.NDArray[np.float64]:
    """kWh per period of one customer, each session's energy spread evenly over its plugged-in periods."""
    energy = np.zeros(timeline.n_periods)
    for _, start, end, kwh in records:
        mask = plugged_in_from_sessions(timeline, [start], [end])
        count = int(mask.sum())
        if count:
            energy[mask] += kwh / count
    return energy


@handle_errors
def compliance_command(
    sessions: Annotated[Path, typer.Option("--sessions", help="CSV: customer_id,plug_in,unplug,ev_charge_kwh")],
    min_plugged_hours: Annotated[float, typer.Option(help="plugged-in hours needed in every window")] = 12.0,
    window_days: Annotated[int, typer.Option(help="length of the rolling window, local days")] = 2,
    monthly_limit_kwh: Annotated[float, typer.Option(help="monthly EV charging must stay below this")] = 333.0,
    json_output: Annotated[bool, typer.Option("--json", help="print every report with its evidence as JSON")] = False,
) -> None:
    """Judge each customer's plug-in sessions against the V2G add-on's usage rules.

    \b
    Rules (the tariff page: "plug in for roughly 12 hours a day every couple of days, and charge less
    than 333kWh per month"; occasional misses are fine, regular ones are not):
      - at least --min-plugged-hours plugged in within every --window-days local days; a month is missed
        when more than a quarter of its windows fail;
      - EV charging below --monthly-limit-kwh in every calendar month;
      - 3 or more missed months of the last 6 = regular (SHOULD_LEAVE); any miss = WARNING.
    Exit code 0 when every customer is OK, 1 when any has a warning or should leave, 2 on bad input.
    """
    rules = ComplianceRules(
        window_days=window_days, min_plugged_hours=min_plugged_hours, monthly_charge_limit_kwh=monthly_limit_kwh
    )
    records = read_sessions(sessions)
    timeline = _span(records)
    by_customer: dict[str, list[SessionRecord]] = defaultdict(list)
    for record in records:
        by_customer[record[0]].append(record)
    customers = sorted(by_customer)
    plugged = np.stack(
        [
            plugged_in_from_sessions(timeline, [r[1] for r in by_customer[c]], [r[2] for r in by_customer[c]])
            for c in customers
        ]
    )
    energy = np.stack([session_energy(timeline, by_customer[c]) for c in customers])
    batch = check_compliance_batch(timeline, plugged, energy, rules)
    reports = [batch.report(i, customer) for i, customer in enumerate(customers)]
    if json_output:
        console.print_json(json.dumps({"customers": [r.to_dict() for r in reports]}, default=str))
    else:
        table = Table(
            title=f"Usage-rule compliance, {len(customers)} customer(s), {batch.months[0]} → {batch.months[-1]}",
            title_justify="left",
        )
        for col in ("customer", "status", "missed months", "summary"):
            table.add_column(col, overflow="fold")
        colour = {Status.OK: "green", Status.WARNING: "yellow", Status.SHOULD_LEAVE: "red"}
        for r in reports:
            table.add_row(
                r.customer_id, f"[{colour[r.status]}]{r.status.value}[/]", ", ".join(r.missed_months) or "–", r.summary
            )
        console.print(table)
    if any(r.status is not Status.OK for r in reports):
        raise typer.Exit(1)
