"""`supplychain report RUN_DIR`: figures (PNG) and a self-contained report.html."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import guard, path_arg


def report(
    run_dir: Path = typer.Argument(..., parser=path_arg, help="A folder written by run, compare or sweep"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors"),
) -> None:
    """Draw the run's figures into RUN_DIR/figures/ and write RUN_DIR/report.html with them embedded."""
    from ..report import make_report

    with guard():
        path = make_report(run_dir)
        if not quiet:
            typer.echo(f"report written to {path} (figures in {path.parent / 'figures'})")
