"""`supplychain topology ...`: validate, show, convert, generate."""

from __future__ import annotations

from pathlib import Path

import typer

from ..topology import load_topology
from ..validation import warnings_for
from .common import guard

app = typer.Typer(help="Validate, inspect, convert and generate topologies.", no_args_is_help=True)


@app.command("validate")
def validate(path: Path = typer.Argument(..., help="Topology file (YAML, JSON, GraphML) or CSV folder")) -> None:
    """Check a topology; exit 2 with one line naming the field if it is bad."""
    with guard():
        g = load_topology(path)
        for w in warnings_for(g.graph["model"]):
            typer.echo(f"warning: {path}: {w}", err=True)
        typer.echo(f"{path}: ok ({g.number_of_nodes()} nodes, {g.number_of_edges()} edges)")
