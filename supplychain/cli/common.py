"""What all commands share: the bad-input guard."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import typer

from ..errors import InputError

try:  # Typer >= 0.20 ships its own copy of click; older Typer uses click itself
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - depends on the installed Typer
    from click import get_current_context


@contextmanager
def guard() -> Iterator[None]:
    """Turn an `InputError` into one line on stderr and exit status 2; a bad option value names the
    command, as a usage error does (`supplychain run: --seed: must be 0 or more (got -1)`)."""
    try:
        yield
    except InputError as exc:
        ctx = get_current_context(silent=True)
        typer.echo(str(exc.on_command_line(ctx.command_path if ctx is not None else "supplychain")), err=True)
        raise typer.Exit(code=2) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(code=130) from None


def echo(text: str, quiet: bool = False) -> None:
    if not quiet:
        typer.echo(text)


def fail(file: str, field: str, problem: str) -> None:
    raise InputError(file, field, problem)


