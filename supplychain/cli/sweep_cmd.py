"""`supplychain sweep SCENARIO --param PATH=v1,v2 [--lhs N --param PATH=lo:hi]`: inputs -> outcomes, ranked."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .common import guard, path_arg
from .experiment_options import (FORMAT, FRESH, OUT, QUIET, REPLICATIONS, SCHEDULER, SEED, TOPOLOGY, WORKERS,
                                 ExperimentOptions, echo_warnings, interrupt_hint, no_half_written_output)


def sweep(
    scenario: Path = typer.Argument(..., parser=path_arg, help="Scenario file to vary"),
    param: List[str] = typer.Option(..., "--param", "-p",
                                    help="PATH=v1,v2,... (grid) or PATH=lo:hi (with --lhs); PATH is a scenario "
                                         "field path, e.g. algorithms.efficiency_growth or "
                                         "set.nodes.<id>.capacity.growth"),
    lhs: Optional[int] = typer.Option(None, "--lhs", help="Latin hypercube of N points over the PATH=lo:hi ranges"),
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
    """Run a scenario over a grid or Latin hypercube of inputs; tidy outcomes and a sensitivity ranking to <out>/sweep/."""
    from ..experiment import prepare
    from ..scenario import check_scenario_file
    from ..store import safe_name
    from ..sweeps import design, parse_param, sweep as run_sweep

    with guard():
        opts = ExperimentOptions(seed, replications, workers, scheduler, out, quiet, fmt, fresh, topology).check()
        check_scenario_file(Path(scenario))
        parsed = [parse_param(p) for p in param]
        design(parsed, lhs, 0)  # shape errors before anything loads
        base = prepare(scenario, topology=topology)  # its warnings are printed by its points (run_sweep)
        if out is None:
            out = Path("outputs") / safe_name("sweep_" + base.name)
        with interrupt_hint(out):  # a Ctrl-C while the results print says the same
            with no_half_written_output(out), echo_warnings():
                s = run_sweep(scenario, parsed, lhs=lhs, **opts.kwargs(out))  # the points' warnings, each once
            opts.echo(s.text)
            opts.echo(f"tables written to {s.folder}")
