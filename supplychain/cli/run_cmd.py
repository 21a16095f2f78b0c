"""`supplychain run`: one scenario on its topology, tables to a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import guard

DEFAULT_SCENARIO = Path("policies/baseline.yaml")


def run(
    scenario: Path = typer.Argument(DEFAULT_SCENARIO, help="Scenario file (default: policies/baseline.yaml)"),
    topology: Optional[Path] = typer.Option(None, "--topology", "-t", help="Topology instead of the scenario's own"),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed (default: the scenario's)"),
    replications: Optional[int] = typer.Option(None, "--replications", "-n", help="Replications (default: the scenario's)"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run folder (default: outputs/<scenario name>)"),
    fmt: str = typer.Option("parquet", "--format", help="parquet or csv"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors"),
) -> None:
    """Run a scenario and write manifest.json, the tables and summary.md."""
    from ..errors import InputError
    from ..runner import run_scenario

    with guard():
        if fmt not in ("parquet", "csv"):
            raise InputError("--format", "format", f"use parquet or csv (got {fmt!r})")
        folder, summary = run_scenario(scenario, topology=topology, seed=seed, replications=replications, out=out, fmt=fmt)
        if not quiet:
            typer.echo(summary)
            typer.echo(f"tables written to {folder}")
