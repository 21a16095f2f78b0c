"""Tables as attributes: `r.orders` for `r.tables["orders"]`, and listed by `dir()`.

Every result a user holds (`Results`, `ExperimentResult`, `Comparison`, `RunFolder`)
keeps its DataFrames in a `tables` mapping; this mixin is the one place that makes
them attributes, so a notebook completes `r.lead_times` on each of them alike.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TableAttributes", "table_sizes"]


class TableAttributes:
    """Mixin for a class with a `tables` mapping (name -> DataFrame)."""

    def __getattr__(self, name: str) -> Any:
        tables = self.__dict__.get("tables")
        if tables is not None and name in tables:
            return tables[name]
        from .engine.record import TABLES  # here, not at the top: only a miss needs the engine's names

        if tables is not None and name in TABLES:  # a table of the run not kept (`keep=`)
            raise AttributeError(f"{type(self).__name__} has no {name!r} table: kept {', '.join(tables) or 'none'} "
                                 "(run_experiment's keep=)")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        """The tables too, so a notebook completes `.lead_times`."""
        return sorted({*super().__dir__(), *self.__dict__.get("tables", {})})


def table_sizes(tables: dict) -> str:
    """`name=rows, ...`: what a short repr says of its tables (the auto repr printed every one)."""
    return ", ".join(f"{k}={len(v)}" for k, v in tables.items())
