"""Assemble the Typer app from the command groups."""

from __future__ import annotations

import typer

from . import run_cmd, scenario_cmd, topology_cmd
from . import compare_cmd, report_cmd, sweep_cmd

app = typer.Typer(
    name="supplychain",
    help="Simulate the AI semiconductor supply chain and the pace of frontier model generations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("run")(run_cmd.run)
app.command("compare")(compare_cmd.compare)
app.command("sweep")(sweep_cmd.sweep)
app.command("report")(report_cmd.report)
app.add_typer(topology_cmd.app, name="topology")
app.add_typer(scenario_cmd.app, name="scenario")


def main() -> None:  # pragma: no cover - entry point
    app()
