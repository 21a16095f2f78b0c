"""`supplychain scenario ...`: validate and show scenario files; print their JSON Schema.

`show` prints the scenario as the engine will run it (after `extends`,
`remove` and `set:`), so a reader of a policy file can check what the
inheritance actually produced instead of working it out by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from ..file_schemas import scenario_schema
from ..scenario import ResolvedScenario, resolve, shown_data
from ..topology import dump_yaml
from .common import guard, path_arg
from .experiment_options import TOPOLOGY  # run's option: a policy checked on one's own network before a run

app = typer.Typer(help="Validate and inspect scenario (policy) files.", no_args_is_help=True)


def _short(value: Any, limit: int = 40) -> str:
    """An override's value as `scenario show` lists it: text as written (`errors.short` quotes it), cut."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def describe(rs: ResolvedScenario) -> str:
    """One line: the topology and the overrides applied to it."""
    g = rs.topology
    line = f"topology {_show_path(rs.topology_path)} ({g.number_of_nodes()} nodes, {len(g.graph['model'].edges)} edges)"
    if rs.overrides:
        sets = "; ".join(f"{k}: {_short(old)} -> {_short(new)}" for k, old, new in rs.overrides)
        return f"{line}; overrides: {sets}"
    return f"{line}; no overrides"


@app.command("validate")
def validate(path: Path = typer.Argument(..., parser=path_arg, help="Scenario YAML file"),
             topology: Optional[Path] = TOPOLOGY) -> None:
    """Check a scenario and its topology; exit 2 with one line naming the field if it is bad."""
    with guard():
        rs = resolve(path, topology)  # a missing topology: one line, from the loader
        for w in rs.warnings:
            typer.echo(f"warning: {path}: {w}", err=True)
        sc = rs.scenario
        typer.echo(
            f"{path}: ok ({len(sc.controls)} controls, {len(sc.shocks)} shocks, "
            f"{sc.start} to {sc.end}; {describe(rs)})"
        )


@app.command("show")
def show(path: Path = typer.Argument(..., parser=path_arg, help="Scenario YAML file"),
         topology: Optional[Path] = TOPOLOGY) -> None:
    """Print the resolved scenario as YAML, after extends and overrides."""
    with guard():
        rs = resolve(path, topology)  # a missing topology: one line, from the loader
        chain = " <- ".join(_show_path(p) for p in rs.chain)
        typer.echo(f"# {chain}")
        typer.echo(f"# {describe(rs)}")
        typer.echo(f"# config hash {rs.config_hash}")
        for w in rs.warnings:
            typer.echo(f"warning: {path}: {w}", err=True)
        typer.echo(dump_yaml(shown_data(rs)).rstrip("\n"))


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of a scenario file, for an editor to check and complete files as they are written."""
    typer.echo(json.dumps(scenario_schema(), indent=2))
