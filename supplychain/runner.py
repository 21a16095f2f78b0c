"""Run a scenario file into a run folder: the path behind `supplychain run`.

A thin layer over `experiment.run_experiment`: the default folder is
`outputs/<scenario name>/`, replications are stored there as they complete
and reused when the same command runs again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .experiment import ExperimentResult, ExperimentScenario, prepare, run_experiment
from .store import safe_name

__all__ = ["run_scenario", "run_folder", "default_out"]


def default_out(es: ExperimentScenario, prefix: str = "") -> Path:
    return Path("outputs") / safe_name(prefix + es.name)


def run_folder(scenario: Any, *, topology: Path | None = None, seed: int | None = None, replications: int | None = None,
               out: Path | None = None, fmt: str = "parquet", workers: int | None = None, scheduler: str | None = None,
               quiet: bool = True, fresh: bool = False) -> tuple[Path, ExperimentResult]:
    """Replications of one scenario into `out` (default outputs/<name>): (folder, result)."""
    es = prepare(scenario, topology=topology, seed=seed, replications=replications)
    folder = Path(out) if out is not None else default_out(es)
    return folder, run_experiment(es, out=folder, fmt=fmt, workers=workers, scheduler=scheduler, quiet=quiet, fresh=fresh)


def run_scenario(scenario: Path, *, topology: Path | None = None, seed: int | None = None, replications: int | None = None,
                 out: Path | None = None, fmt: str = "parquet", workers: int | None = None, scheduler: str | None = None,
                 quiet: bool = True, fresh: bool = False) -> tuple[Path, str]:
    """As `run_folder`, returning (folder, summary text)."""
    folder, result = run_folder(scenario, topology=topology, seed=seed, replications=replications, out=out, fmt=fmt,
                                workers=workers, scheduler=scheduler, quiet=quiet, fresh=fresh)
    return folder, result.summary()
