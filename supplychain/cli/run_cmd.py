"""`supplychain run`: replications of one scenario into a run folder (resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError
from .common import guard, path_arg
from .experiment_options import (FORMAT, FRESH, OUT, QUIET, REPLICATIONS, SCHEDULER, SEED, TOPOLOGY, WORKERS,
                                 ExperimentOptions, interrupt_hint, no_half_written_output, warn)

DEFAULT_SCENARIO = Path("policies/baseline.yaml")
#: the checkout's baseline, which `run` without a scenario runs from any working folder (a cluster job's)
PROJECT_SCENARIO = Path(__file__).resolve().parents[2] / DEFAULT_SCENARIO


def default_scenario() -> Path:
    """`policies/baseline.yaml` of the working folder if it has one, else the checkout's (an editable install):
    from elsewhere the command failed on a file the user never named. An install without the checkout has none."""
    if DEFAULT_SCENARIO.exists():
        return DEFAULT_SCENARIO
    if PROJECT_SCENARIO.is_file():
        return PROJECT_SCENARIO
    raise InputError(DEFAULT_SCENARIO, "<file>", "no such file: the default scenario, which is in the project's "
                                                 "checkout, not in this install; name a scenario file")


def run(
    scenario: Optional[Path] = typer.Argument(None, parser=path_arg, show_default=False,
                                              help="Scenario file (default: policies/baseline.yaml, of the "
                                                   "working folder or else of the project's checkout)"),
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
        es = prepare(default_scenario() if scenario is None else scenario, topology=topology, seed=seed, replications=replications)
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
