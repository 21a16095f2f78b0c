"""The `supplychain` command line (Typer).

Every command runs inside `guard`, so bad input ends in exit status 2 and one
line `FILE: field.path: problem`, never a traceback.
"""

from .app import app, main

__all__ = ["app", "main"]
