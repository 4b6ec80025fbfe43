"""Command functions for ``evflex`` (registered by ``evflex/cli.py``): eligibility at sign-up.

Exit codes: 0 eligible, 1 not eligible or information missing, 2 bad input (one ``error:`` line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from evflex.cli_support import console, fail, handle_errors
from evflex.operations.eligibility import (
    Overall,
    Result,
    Verdict,
    check_all,
    check_eligibility,
    load_customer,
    v2g_add_on,
)
from evflex.tariffs.catalogue import load_catalogue

__all__ = ["EXIT_ELIGIBLE", "EXIT_NOT_ELIGIBLE", "eligibility_command"]

EXIT_ELIGIBLE = 0
EXIT_NOT_ELIGIBLE = 1
_STYLE = {Result.PASS: "green", Result.FAIL: "bold red", Result.UNKNOWN: "yellow"}
_VERDICT_STYLE = {Overall.ELIGIBLE: "bold green", Overall.NOT_ELIGIBLE: "bold red",
                  Overall.NEEDS_INFORMATION: "bold yellow"}


def _rules_table(verdict: Verdict) -> Table:
    who = f" – customer {verdict.customer_id}" if verdict.customer_id else ""
    verdict_text = f"[{_VERDICT_STYLE[verdict.overall]}]{verdict.overall.value}[/]"
    table = Table(title=f"{verdict.tariff_name} [{verdict.tariff_code}]{who}: {verdict_text}",
                  title_justify="left", show_lines=True)
    table.add_column("Rule", ratio=2)
    table.add_column("Result", no_wrap=True)
    table.add_column("Reason", ratio=5)
    table.add_column("Next step", ratio=4)
    for o in verdict.outcomes:
        table.add_row(o.title, f"[{_STYLE[o.result]}]{o.result.value}[/]", o.reason, o.next_step or "–")
    return table


def _summary_table(verdicts: tuple[Verdict, ...]) -> Table:
    table = Table(title="Eligibility for every catalogue tariff", title_justify="left")
    table.add_column("Tariff", no_wrap=True)
    table.add_column("Verdict", no_wrap=True)
    table.add_column("Failed", ratio=1)
    table.add_column("Unknown", ratio=1)
    for v in verdicts:
        failed = ", ".join(o.rule for o in v.outcomes if o.result is Result.FAIL)
        unknown = ", ".join(o.rule for o in v.outcomes if o.result is Result.UNKNOWN)
        table.add_row(v.tariff_code, f"[{_VERDICT_STYLE[v.overall]}]{v.overall.value}[/]", failed or "–",
                      unknown or "–")
    table.caption = "Run with --tariff CODE for the reasons and next steps."
    table.caption_justify = "left"
    return table


@handle_errors
def eligibility_command(
    input: Annotated[
        Path, typer.Option("--input", "-i", help="Customer JSON document (format: docs/operations.md).")
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
    tariff: Annotated[
        str | None, typer.Option("--tariff", help="Catalogue code to check (default: the V2G add-on).")
    ] = None,
    all_tariffs: Annotated[bool, typer.Option("--all", help="Check every catalogue tariff.")] = False,
) -> None:
    """Check a customer against a tariff's rules: every rule PASS, FAIL or UNKNOWN, with the next step.

    Exit code 0 when eligible (with --all: for at least one tariff), 1 when not eligible or information
    is missing, 2 on bad input.
    """
    if tariff is not None and all_tariffs:
        raise fail("give --tariff CODE or --all, not both")
    customer = load_customer(input)
    catalogue = load_catalogue()
    if all_tariffs:
        verdicts = check_all(customer, catalogue)
        if json_output:
            document = {"customer_id": customer.customer_id, "verdicts": [v.to_dict() for v in verdicts]}
            console.print_json(json.dumps(document, ensure_ascii=False))
        else:
            console.print(_summary_table(verdicts))
        ok = any(v.overall is Overall.ELIGIBLE for v in verdicts)
    else:
        chosen = catalogue.get(tariff) if tariff is not None else v2g_add_on(catalogue)
        verdict = check_eligibility(customer, chosen, catalogue=catalogue)
        if json_output:
            console.print_json(json.dumps(verdict.to_dict(), ensure_ascii=False))
        else:
            console.print(_rules_table(verdict))
        ok = verdict.overall is Overall.ELIGIBLE
    raise typer.Exit(EXIT_ELIGIBLE if ok else EXIT_NOT_ELIGIBLE)
