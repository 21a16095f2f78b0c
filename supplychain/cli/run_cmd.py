"""`supplychain run`: replications of one scenario into a run folder (resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import guard, path_arg
from .experiment_options import (FORMAT, FRESH, OUT, QUIET, REPLICATIONS, SCHEDULER, SEED, TOPOLOGY, WORKERS,
                                 ExperimentOptions, interrupt_hint, no_half_written_output, warn)

DEFAULT_SCENARIO = Path("policies/baseline.yaml")


def run(
    scenario: Path = typer.Argument(DEFAULT_SCENARIO, parser=path_arg, help="Scenario file (default: policies/baseline.yaml)"),
    topology: Optional[Path] = TOPOLOGY,
    seed: Optional[int] = SEED,
    replications: Optional[int] = REPLICATIONS,
    workers: Optional[int] = WORKERS,
    scheduler: Optional[str] = SCHEDULER,
    out: Optional[Path] = OUT,
    fmt: str = FORMAT,
    quiet: bool = QUIET,
    fresh: bool = FRESH,
) -> None:
    """Run a scenario's replications; write manifest.json, the tables and summary.md (default: outputs/<name>/)."""
    from ..experiment import prepare, run_experiment
    from ..store import safe_name

    with guard():
        opts = ExperimentOptions(seed, replications, workers, scheduler, out, quiet, fmt, fresh, topology).check()
        es = prepare(scenario, topology=topology, seed=seed, replications=replications)
        warn([es])
        folder = out if out is not None else Path("outputs") / safe_name(es.name)  # default: outputs/<name>/
        with interrupt_hint(folder):  # a Ctrl-C while the summary prints says the same
            with no_half_written_output(folder):
                # keep=(): the command prints the summary and writes the tables from the stored
                # replications; it never needs them all in memory at once
                result = run_experiment(es, keep=(), **opts.kwargs(folder))
            opts.echo(result.summary())
            reused = f", {len(result.reused)} reused from earlier runs" if result.reused else ""
            opts.echo(f"{len(result.computed)} replication(s) computed on {result.executor}{reused}; tables written to {folder}")
