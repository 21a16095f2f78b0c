"""`supplychain compare BASELINE SCENARIO...`: paired differences with 95 % CIs."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .common import guard, path_arg
from .experiment_options import (FORMAT, FRESH, OUT, QUIET, REPLICATIONS, SCHEDULER, SEED, TOPOLOGY, WORKERS,
                                 ExperimentOptions, interrupt_hint, no_half_written_output, warn)


def compare(
    baseline: Path = typer.Argument(..., parser=path_arg, help="Baseline scenario file"),
    scenarios: List[Path] = typer.Argument(..., parser=path_arg, help="Scenario files to compare against the baseline"),
    counterfactual: bool = typer.Option(True, "--counterfactual/--no-counterfactual",
                                        help="Also run each scenario unconstrained, for the throttle"),
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
    """Compare scenarios with a baseline, replication by replication (same seeds); tables to <out>/compare/."""
    from ..comparison import compare as run_compare
    from ..experiment import prepare
    from ..scenario import check_scenario_file
    from ..store import safe_name

    with guard():
        opts = ExperimentOptions(seed, replications, workers, scheduler, out, quiet, fmt, fresh, topology).check()
        for path in [baseline, *scenarios]:
            check_scenario_file(Path(path))
        prepared = [prepare(p, topology=topology) for p in [baseline, *scenarios]]
        warn(prepared)
        if out is None:
            names = [es.name for es in prepared]
            out = Path("outputs") / safe_name("compare_" + names[0] + "_vs_" + "+".join(names[1:]))[:120]
        with interrupt_hint(out):  # a Ctrl-C while the results print says the same
            with no_half_written_output(out):
                c = run_compare(baseline, list(scenarios), counterfactuals=counterfactual, lean=True, **opts.kwargs(out))
            opts.echo(c.text)
            opts.echo(f"tables written to {c.folder}")
