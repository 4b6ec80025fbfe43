"""The ``evflex`` command.

Every sub-command is defined next to the package it drives and registered here; bad input anywhere ends
in one ``error:`` line and exit code 2 (see :mod:`evflex.cli_support`).
"""

from __future__ import annotations

import typer

from evflex.compare.cli import compare_command
from evflex.operations.cli import eligibility_command
from evflex.operations.compliance_cli import compliance_command
from evflex.operations.statement_cli import savings_command, statement_command
from evflex.schedule.cli import schedule_command, simulate_command
from evflex.tariffs.cli import app as tariffs_app

__all__ = ["app", "main"]

app = typer.Typer(
    name="evflex",
    help="UK EV charging tariffs with vehicle-to-grid: compare tariffs on your own data, bill half-hourly, "
    "schedule smart and V2G charging.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text is plain: '[default: …]' in a help string stays as written
)
app.command("compare")(compare_command)
app.command("eligibility")(eligibility_command)
app.command("statement")(statement_command)
app.command("savings")(savings_command)
app.command("compliance")(compliance_command)
app.command("schedule")(schedule_command)
app.command("simulate")(simulate_command)
app.add_typer(tariffs_app, name="tariffs")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
