"""`load_run`: a finished run, compare or sweep folder back as DataFrames, in a new session.

    from supplychain import load_run
    r = load_run("outputs/baseline")
    r.lead_times               # the table as `run_experiment` returned it (Parquet or CSV alike)
    r.scenarios[0].seed        # what the manifest recorded
    r.compare["release_delays"], r.sweep["outcomes"]   # in a compare or sweep folder
    r.read("lead_times", columns=["scenario", "replication", "date", "quoted_days"],
           where={"product": "h100", "customer": ["lab_us", "lab_cn"]})   # part of a table

It reads what `run_experiment`, `compare` and `sweep` wrote (`manifest.json`, the
tables at the top of the folder, `summary.md`, `compare/`, `sweep/`), so a notebook
can pick up a run made by `supplychain run` on a cluster without running it again.
Tables are read on first use (a baseline replication is ~50 MB of them) and kept.
Of ~200 replications `lead_times`, `orders` and `nodes` are many GB each, more than a laptop holds:
`read(name, columns=, where=)` reads only some columns and the rows matching `where` ({column: value
or list of values}), filtering Parquet row groups or CSV chunks as they are read (`selection`); the
frame equals the full read filtered, and is not kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .arguments import FORMATS, given_path
from .columns import COLUMNS
from .errors import InputError
from .fields import read_text, short
from .outputs import read_table
from .selection import Where
from .tabular import TableAttributes

__all__ = ["load_run", "read_manifest", "read_stored_table", "RunFolder", "StoredScenario", "LazyTables"]



@dataclass(frozen=True)
class StoredScenario:
    """A scenario of a finished run, as its manifest records it (the fields `ExperimentScenario` shares)."""

    name: str
    seed: int
    replications: int
    config_hash: str
    source: str = ""
    topology_path: str = ""
    unconstrained: bool = False


class LazyTables(Mapping[str, pd.DataFrame]):
    """The tables of one folder by name, each read (`read_table`: declared types) on first access."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._names = sorted({p.stem for fmt in FORMATS for p in folder.glob(f"*.{fmt}")
                              if not p.name.startswith(".")}) if folder.is_dir() else []
        self._read: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._read:
            self._read[name] = self._table(name)
        return self._read[name]

    def read(self, name: str, columns: Sequence[str] | None = None, where: Where | None = None) -> pd.DataFrame:
        """Part of table `name`: only `columns`, only the rows matching `where` ({column: value or list of
        values}); read afresh each time and not kept, as a whole table may not fit in memory."""
        if not isinstance(name, str) or name not in self._names:
            raise InputError(self.folder, "name", f"no such table here; the tables are {', '.join(self._names) or 'none'} "
                                                  f"(got {short(name)})")
        return self._table(name, columns, where)

    def _table(self, name: str, columns: Sequence[str] | None = None, where: Where | None = None) -> pd.DataFrame:
        # a table of a name the program writes has its columns: one copied over another (events.parquet saved as
        # fleet.parquet) was returned as the fleet without a word, where `report` refuses it
        return read_stored_table(self.folder, name, columns, where, needs=COLUMNS.get(name, ()) if columns is None else ())

    def __contains__(self, name: object) -> bool:
        """Without reading the table (`Mapping`'s own test reads it: all of a `lead_times` of many GB)."""
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"LazyTables({', '.join(self._names)})"


def read_stored_table(folder: Path, name: str, columns: Sequence[str] | None = None, where: Where | None = None,
                      needs: Iterable[str] = ()) -> pd.DataFrame:
    """Table `name` of `folder` as `read_table` reads it, or an `InputError` naming its file: one that cannot be read,
    or lacks a column of `needs` (`LazyTables`: every column the program writes; `report`: those its figures read),
    said alike by `load_run` and `report`."""
    file = next((p for p in (folder / f"{name}.{fmt}" for fmt in FORMATS) if p.is_file()), folder / f"{name}.parquet")
    try:
        df = read_table(folder, name, columns, where)
    except InputError:
        raise
    except (ValueError, OSError, TypeError) as exc:  # edited by hand, cut short, not a table: pandas' error named no file
        raise InputError(file, "<file>", f"cannot read the table ({short(str(exc), 80)})") from None
    missing = [c for c in needs if c not in df.columns]
    if missing:
        raise InputError(file, missing[0], f"missing column; not the {name} table the program writes, "
                                           f"or one of an older program (has {short(list(df.columns), 80)})")
    return df


@dataclass
class RunFolder(TableAttributes):
    """A finished run folder: its tables (like `ExperimentResult.tables`, read on first use), manifest,
    scenarios, summary text, and the `compare` or `sweep` tables when it holds them."""

    folder: Path
    manifest: dict[str, Any]
    tables: LazyTables
    compare: LazyTables
    sweep: LazyTables

    @property
    def kind(self) -> str:
        """`run`, `compare` or `sweep`."""
        return str(self.manifest.get("kind", "run"))

    @property
    def scenarios(self) -> list[StoredScenario]:
        return [StoredScenario(name=s["name"], seed=int(s["seed"]), replications=int(s["replications"]),
                               config_hash=str(s.get("config_hash", "")), source=str(s.get("scenario_file", "")),
                               topology_path=str(s.get("topology", "")), unconstrained=bool(s.get("unconstrained")))
                for s in self.manifest.get("scenarios", [])]

    def read(self, name: str, columns: Sequence[str] | None = None, where: Where | None = None) -> pd.DataFrame:
        """Part of table `name` (a run table, or one of `compare/` or `sweep/`), read without loading the
        whole table: only `columns` (all if None, in the order given) and the rows where each column of
        `where` holds its value or one of its list of values, e.g.
        `r.read("lead_times", ["date", "quoted_days"], where={"product": "h100", "replication": [0, 1]})`.
        The same DataFrame as the full table filtered (same dtypes, a fresh index); an `InputError`
        for an unknown table or column, or a value not of its column's kind."""
        for tables in (self.tables, self.compare, self.sweep):
            if name in tables:
                return tables.read(name, columns, where)
        names = [*self.tables, *self.compare, *self.sweep]
        raise InputError(self.folder, "name", f"no such table here; the tables are {', '.join(names) or 'none'} (got {short(name)})")

    def scenario(self, name: str) -> dict[str, pd.DataFrame]:
        """The tables of one scenario (only its rows are read; an `InputError` for a name the folder has not)."""
        from .experiment import check_scenario_name

        if self.scenarios:  # what the manifest lists (a manifest of an older run may list none)
            check_scenario_name(name, [s.name for s in self.scenarios])
        return {k: self.tables.read(k, where={"scenario": name}) for k in self.tables}

    def summary(self) -> str:
        """The text of `summary.md`, as the run printed it."""
        path = self.folder / "summary.md"  # one that is not UTF-8 is an `InputError` naming it (read_text)
        return read_text(path) if path.is_file() else ""

    def __repr__(self) -> str:
        names = ", ".join(s.name for s in self.scenarios)
        extra = "".join(f", {k}=[{', '.join(v)}]" for k, v in (("compare", self.compare), ("sweep", self.sweep)) if len(v))
        return f"RunFolder({str(self.folder)!r}, kind={self.kind}, scenarios=[{names}], tables=[{', '.join(self.tables)}]{extra})"


def read_manifest(path: Path) -> dict[str, Any]:
    """A folder's manifest.json as a run writes it: a JSON object whose `scenarios` (if any) each have a
    name, a whole seed and replications; anything else is an `InputError` naming the file and field."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:  # not JSON, not UTF-8, unreadable
        raise InputError(path, "<file>", f"not a run's manifest ({short(str(exc), 80)})") from None
    if not isinstance(manifest, dict):
        raise InputError(path, "<root>", f"expected a JSON object (got {type(manifest).__name__})")
    scenarios = manifest.get("scenarios", [])
    if not isinstance(scenarios, list):
        raise InputError(path, "scenarios", f"expected a list (got {type(scenarios).__name__})")
    for i, sc in enumerate(scenarios):
        if not isinstance(sc, dict):
            raise InputError(path, f"scenarios.{i}", f"expected an object (got {type(sc).__name__})")
        for key in ("name", "seed", "replications"):
            if key not in sc:
                raise InputError(path, f"scenarios.{i}.{key}", "missing: not as a run writes it")
        if not isinstance(sc["name"], str) or not sc["name"]:
            raise InputError(path, f"scenarios.{i}.name", f"expected a scenario's name (got {short(sc['name'])})")
        if not all(isinstance(sc[k], int) and not isinstance(sc[k], bool) for k in ("seed", "replications")):
            raise InputError(path, f"scenarios.{i}", f"seed and replications must be whole numbers "
                                                    f"(got {short(sc['seed'])}, {short(sc['replications'])})")
    return manifest


def load_run(folder: str | Path) -> RunFolder:
    """The run, compare or sweep folder `folder` (what `supplychain run|compare|sweep` or an API call
    with `out=` wrote); an `InputError` if it is not one."""
    path = given_path("folder", folder)
    manifest = path / "manifest.json"
    if not manifest.is_file():
        problem = "no such folder" if not path.exists() else "not a finished run folder (no manifest.json)"
        raise InputError(path, "<folder>", problem)
    data = read_manifest(manifest)
    from .comparison import COMPARE_DIR
    from .sweeps import SWEEP_DIR

    return RunFolder(path, data, LazyTables(path), LazyTables(path / COMPARE_DIR), LazyTables(path / SWEEP_DIR))
