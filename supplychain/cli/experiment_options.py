"""Options shared by every command that runs simulations (`run`, `compare`, `sweep`).

Each command declares the same parameters with these defaults, so they read
the same everywhere:

    def run(..., seed: Optional[int] = SEED, replications: Optional[int] = REPLICATIONS, ...):
        opts = ExperimentOptions(seed, replications, workers, scheduler, out, quiet, fmt, fresh)

`ExperimentOptions.check()` runs the API's own checks (`arguments.check_run`) before
any work; `guard` names the option in the error. `kwargs()` is what `run_experiment`,
`compare` and `sweep` take.
"""

from __future__ import annotations

import shutil
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

import typer

from ..arguments import check_run, scheduler_problem
from ..errors import InputError, ScenarioWarning
from ..executors import WorkerLost
from ..store import FolderInUse
from .common import path_arg, stopped

__all__ = ["SEED", "REPLICATIONS", "WORKERS", "SCHEDULER", "OUT", "QUIET", "FORMAT", "FRESH", "TOPOLOGY",
           "ExperimentOptions", "echo_warnings", "interrupt_hint", "no_half_written_output", "warn"]

SEED = typer.Option(None, "--seed", help="Seed of the replication streams (default: the scenario's; compare: the baseline's)")
REPLICATIONS = typer.Option(None, "--replications", "-n", help="Replications per scenario (default: the scenario's)")
WORKERS = typer.Option(None, "--workers", "-w", help="Local worker processes (default: all cores; 1 = serial)")


def _scheduler(value: Optional[str]) -> Optional[str]:
    """`--scheduler` is a Dask address or `local`; anything else is a usage error, before any work."""
    problem = scheduler_problem(value)
    if problem:
        raise typer.BadParameter(problem)
    return value


SCHEDULER = typer.Option(None, "--scheduler", callback=_scheduler,
                         help="Run on Dask: tcp://HOST:PORT of a scheduler, or 'local' to start a local cluster "
                              "(--workers sets its size)")
OUT = typer.Option(None, "--out", "-o", parser=path_arg, metavar="PATH", help="Output folder; replications stored there are reused (resume)")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars and no printed results, only errors and warning: lines")
FORMAT = typer.Option("parquet", "--format", help="Table format of the output folder: parquet or csv")
FRESH = typer.Option(False, "--fresh", help="Discard replications stored in the output folder and start over")
TOPOLOGY = typer.Option(None, "--topology", "-t", parser=path_arg, metavar="PATH", help="Topology instead of the scenario's own (its set: overrides still apply)")


@dataclass
class ExperimentOptions:
    seed: Optional[int] = None
    replications: Optional[int] = None
    workers: Optional[int] = None
    scheduler: Optional[str] = None
    out: Optional[Path] = None
    quiet: bool = False
    fmt: str = "parquet"
    fresh: bool = False
    topology: Optional[Path] = None

    def check(self) -> "ExperimentOptions":
        check_run(seed=self.seed, replications=self.replications, workers=self.workers, scheduler=self.scheduler,
                  fmt=self.fmt, out=self.out)
        if self.topology is not None and not Path(self.topology).exists():
            raise InputError(self.topology, "<file>", "no such file")
        return self

    def kwargs(self, out: Path) -> dict[str, Any]:
        """Keyword arguments of `run_experiment` / `compare` / `sweep`."""
        return {"seed": self.seed, "replications": self.replications, "workers": self.workers,
                "scheduler": self.scheduler, "out": out, "fmt": self.fmt, "quiet": self.quiet, "fresh": self.fresh,
                "topology": self.topology}

    def echo(self, text: str) -> None:
        if not self.quiet:
            typer.echo(text)


@contextmanager
def interrupt_hint(out: Path) -> Iterator[None]:
    """On Ctrl-C (exit 130) or SIGTERM (exit 143) say where the finished replications are and how to resume;
    likewise (exit 1) when a worker process was killed, e.g. out of memory, with fewer workers as the remedy."""
    try:
        yield
    except KeyboardInterrupt as exc:
        word, code = stopped(exc)
        typer.echo(f"{word}: finished replications are stored in {out}; rerun the same command to resume", err=True)
        raise typer.Exit(code=code) from None
    except WorkerLost as exc:
        typer.echo(f"{exc}: finished replications are stored in {out}; rerun the same command to resume "
                   "(fewer --workers need less memory)", err=True)
        raise typer.Exit(code=1) from None


def warn(prepared: Any) -> None:
    """Print each scenario's warnings (the suspicious but legal, as `scenario validate` does), one line each
    on stderr, even with --quiet: a rule or shock that touches nothing is worth knowing before a long run."""
    for es in prepared:
        for w in es.warnings:
            typer.echo(f"warning: {es.source}: {w}", err=True)


@contextmanager
def echo_warnings(shown: Iterable[str] = ()) -> Iterator[None]:
    """Print each `ScenarioWarning` raised inside as its own `warning:` line on stderr when it is raised (each
    text once, none of `shown`: printed already by `warn`), for what only the API sees: a sweep point's own
    warnings (a shock date swept past the end, ordering parameters a swept policy does not take)."""
    seen = set(shown)
    other = warnings.showwarning

    def show(message: Any, category: type, *args: Any, **kwargs: Any) -> None:
        if not issubclass(category, ScenarioWarning):
            other(message, category, *args, **kwargs)
        elif str(message) not in seen:
            seen.add(str(message))
            typer.echo(f"warning: {message}", err=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always", ScenarioWarning)
        warnings.showwarning = show
        yield


@contextmanager
def no_half_written_output(out: Path) -> Iterator[None]:
    """On an error, remove what this invocation wrote under `out`, so a failed command leaves no half-written
    folder: the folder itself if it did not exist, else the files and folders in it that did not exist before.
    What was there (an earlier run's replications, reused on resume, or the user's own files) stays. Ctrl-C
    is not an error here, nor a killed worker process (`WorkerLost`): finished replications stay for the rerun
    to resume (see `interrupt_hint`). Nor is a folder another run is writing (`FolderInUse`): all that is new
    in it is that run's."""
    out = Path(out)
    created = None  # the outermost folder on the way to `out` that this invocation creates
    p = out
    while not p.exists() and p != p.parent:
        created, p = p, p.parent
    before = set() if created is not None else set(out.rglob("*"))
    try:
        yield
    except (FolderInUse, WorkerLost):
        raise
    except Exception:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        else:
            new = [q for q in out.rglob("*") if q not in before]
            fresh = set(new)
            for q in new:
                if q.parent in fresh:
                    continue  # goes with its new folder
                if q.is_dir() and not q.is_symlink():
                    shutil.rmtree(q, ignore_errors=True)
                else:
                    q.unlink(missing_ok=True)
        raise
