"""The `supplychain` command line (Typer).

Every command runs inside `guard`, so bad input ends in exit status 2 and one
line `FILE: field.path: problem`, never a traceback.

The commands (`app`) load on first use: the console script's `main` imports them
(pandas, pydantic, numpy: about a second) inside its own handler of Ctrl-C, so a
Ctrl-C in that second says `interrupted` and exits 130, as it does later, instead
of printing the import's traceback.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

__all__ = ["app", "main"]


def main() -> None:
    """The console script (`supplychain`): the app, once loaded (`commands.main`)."""
    try:
        from .commands import main as run
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(128 + signal.SIGINT) from None
    run()


def __getattr__(name: str) -> Any:
    if name == "app":
        from .commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
