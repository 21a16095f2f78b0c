"""What all commands share: the bad-input guard."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import typer

from ..errors import InputError


@contextmanager
def guard() -> Iterator[None]:
    """Turn an `InputError` into one line on stderr and exit status 2."""
    try:
        yield
    except InputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(code=130) from None


def echo(text: str, quiet: bool = False) -> None:
    if not quiet:
        typer.echo(text)


def fail(file: str, field: str, problem: str) -> None:
    raise InputError(file, field, problem)


