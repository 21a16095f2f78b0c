"""Experiments: replications of one or more scenarios on an executor, with resume.

    from supplychain import run_experiment
    res = run_experiment("policies/baseline.yaml", replications=8, workers=2)
    res.generations            # every table, all replications, `scenario` and `replication` columns

A work unit is (scenario, replication): seeds in, tables out. Replication r of
every scenario gets `replication_seed(seed, r)` (common random numbers), so
the same seed gives the same tables on any executor, and two scenarios run
with one seed are paired replication by replication.

With `out`, each replication is stored as it completes (see `store.py`);
rerunning the same call computes only what is missing, and the top-level
tables of the folder are rebuilt from the stored replications.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import networkx as nx
import numpy as np
import pandas as pd

from .arguments import ARGUMENTS, FORMATS, MAX_UNITS, check_run, whole
from .columns import ARRAYS
from .engine.record import TABLES
from .errors import InputError, short
from .executors import Executor, make_executor
from .outputs import atomic_write_text, manifest, write_json, write_table_stream, writing_folder
from .plugins import install, plugins_fingerprint, plugins_used
from .progress import DayBar, LogProgress, bar_class, bar_disable, end_bar_line, log_lines
from .results import run_replication
from .scenario import config_hash, resolve
from .scenario_merge import STREAM_NAME
from .stream_paths import is_stream
from .scenario_schema import Scenario
from .schema import TopologyModel
from .store import ScenarioStore, claim_folder, drop_derived, folder_lock, open_scenario, safe_name
from .topology import graph_to_model
from .tabular import TableAttributes, table_sizes

__all__ = ["ExperimentScenario", "ExperimentResult", "Unit", "prepare", "counterfactual", "run_unit", "run_experiment",
           "concat_tables", "FORMATS", "UNCONSTRAINED"]

#: suffix of the name of a scenario's unconstrained counterfactual
UNCONSTRAINED = "__unconstrained"


@dataclass(frozen=True)
class ExperimentScenario:
    """A scenario ready to run: validated scenario, topology model, hash, seed, replications."""

    name: str
    scenario: Scenario
    model: TopologyModel
    graph: nx.DiGraph
    config_hash: str
    seed: int
    replications: int
    source: str = "<python>"
    topology_path: str = ""  # absolute: the manifest must find it from wherever the report is made
    warnings: tuple[str, ...] = ()  # the suspicious but legal (ResolvedScenario.warnings)

    @property
    def h100e(self) -> dict[str, float]:
        return {k: p.h100e for k, p in self.model.products.items() if p.h100e}


@dataclass(frozen=True)
class Unit:
    """One work unit: replication `replication` of one scenario."""

    name: str
    scenario: Scenario
    model: TopologyModel
    seed: int
    replication: int
    progress: Any = None  # a progress.Reporter: called with the simulated day reached
    store: ScenarioStore | None = None  # set when the worker shares this machine: it stores the tables itself
    plugins: tuple = ()  # (registry, name, entry) of the plug-ins the unit names (`plugins_used`): registered by the worker


def run_unit(unit: Unit) -> dict[str, Any]:
    """Run one unit; the small result an executor sends back."""
    install(unit.plugins)  # a Dask worker has only the built-in plug-ins; a forked one has them all
    res = run_replication(unit.model, unit.scenario, seed=unit.seed, replication=unit.replication,
                          progress=unit.progress if unit.progress is not None else False)
    tables = res.tables
    if unit.name != unit.scenario.name:
        for df in tables.values():
            df["scenario"] = unit.name
    wall = float(res.info.get("wall_s", 0.0))
    if unit.store is not None:  # written where it ran: ~50 MB of tables need not cross a pipe
        unit.store.save(unit.replication, tables, {"wall_s": wall})
        return {"tables": None, "wall_s": wall}
    return {"tables": tables, "wall_s": wall}


def prepare(item: Any, *, topology: Any = None, seed: int | None = None, replications: int | None = None,
            name: str | None = None) -> ExperimentScenario:
    """A scenario file, `ResolvedScenario`, `Scenario` or dict -> an `ExperimentScenario`.

    `topology` replaces the scenario's own (its `set:` overrides still apply);
    `seed` and `replications` override the scenario's; `name` renames it.
    """
    seed, replications = whole("seed", seed, 0), whole("replications", replications, 1, MAX_UNITS)
    resolved = resolve(item, topology)
    source = str(resolved.path) if resolved.path is not None else "<python>"
    sc = resolved.scenario
    return ExperimentScenario(
        name=name or sc.name, scenario=sc, model=graph_to_model(resolved.topology), graph=resolved.topology,
        config_hash=resolved.config_hash, seed=sc.seed if seed is None else seed,
        replications=sc.replications if replications is None else replications,
        source=source, topology_path=_absolute(str(resolved.topology_path)), warnings=resolved.warnings,
    )


def counterfactual(es: ExperimentScenario) -> ExperimentScenario:
    """The same scenario with supply limits lifted (`unconstrained: true`), same seed: paired."""
    if es.scenario.unconstrained:
        return es
    sc = es.scenario.model_copy(update={"unconstrained": True})
    return replace(es, name=es.name + UNCONSTRAINED, scenario=sc, config_hash=config_hash(sc, es.graph))


def concat_tables(parts: Iterable[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Concatenate per-replication tables, table by table, in the order given."""
    bucket: dict[str, list[pd.DataFrame]] = {}
    for tables in parts:
        for name, df in tables.items():
            bucket.setdefault(name, []).append(df)
    out: dict[str, pd.DataFrame] = {}
    for name, frames in bucket.items():
        full = [f for f in frames if len(f)]
        out[name] = pd.concat(full, ignore_index=True) if full else frames[0].iloc[0:0].reset_index(drop=True)
    return out


#: the tables `ExperimentResult.summary` reads when no run folder wrote it
SUMMARY_TABLES = ("fleet", "generations", "lead_times", "orders")


@dataclass
class ExperimentResult(TableAttributes):
    """Tables of every scenario and replication, and how they were made."""

    tables: dict[str, pd.DataFrame]
    scenarios: list[ExperimentScenario]
    folder: Path | None = None
    computed: list[tuple[str, int]] = field(default_factory=list)
    reused: list[tuple[str, int]] = field(default_factory=list)
    executor: str = ""
    wall_s: float = 0.0
    summary_text: str | None = None  # set when the run folder was written

    @property
    def replications(self) -> int:
        """Replications of the scenario that ran the most (all alike in a comparison or a sweep)."""
        return max((es.replications for es in self.scenarios), default=0)

    def scenario(self, name: str) -> dict[str, pd.DataFrame]:
        """The tables of one scenario (an `InputError` for a name the experiment has not: not empty tables)."""
        check_scenario_name(name, [es.name for es in self.scenarios])
        return {k: v[v["scenario"] == name].reset_index(drop=True) for k, v in self.tables.items()}

    def summary(self) -> str:
        """The text `supplychain run` prints and writes to summary.md, for every scenario."""
        from .summary import summarise

        if self.summary_text is not None:
            return self.summary_text
        missing = [t for t in SUMMARY_TABLES if t not in self.tables]
        if missing:  # `keep=` or `reduce` dropped them: a bare KeyError 'fleet' from deep in the summary
            raise InputError(ARGUMENTS, "keep", f"summary() reads the tables {', '.join(SUMMARY_TABLES)}, and this run "
                                                f"kept {', '.join(self.tables) or 'none'} (keep=, reduce=, or a sweep's "
                                                "rows); keep them, or run with out=, whose summary.md is written as "
                                                "the replications arrive")
        return "\n".join(summarise(self.scenario(es.name), es.h100e, es.name) for es in self.scenarios)

    def __repr__(self) -> str:
        """Short, naming the tables (rows) as `Results` and `Comparison` do: the attributes a notebook reads next."""
        names, sizes = ", ".join(es.name for es in self.scenarios), table_sizes(self.tables)
        return (f"ExperimentResult(scenarios=[{names}], replications={self.replications}, computed={len(self.computed)}, "
                f"reused={len(self.reused)}, {sizes + ', ' if sizes else ''}folder={self.folder})")


def check_scenario_name(name: Any, names: list[str]) -> None:
    """`name` is one of the scenarios `names`: a misspelt one would select empty tables, which read as a run
    where nothing happened."""
    if name not in names:
        raise InputError(ARGUMENTS, "name", f"no such scenario here; the scenarios are {', '.join(names)} (got {short(name)})")


def _progress(total: int, initial: int, quiet: bool, desc: str):
    if total > initial and log_lines(quiet):  # a batch job's log: plain lines, not a bar that draws nothing
        return LogProgress(total, initial, desc)
    disable = True if total == 0 else bar_disable(quiet)
    return bar_class(disable)(total=total, initial=initial, desc=desc, unit="rep", disable=disable, file=sys.stderr,
                              leave=False, dynamic_ncols=True)


def _day_bar(todo: list[Unit], ex: Executor, quiet: bool) -> DayBar | None:
    """A bar over simulated days, for replications run here or in local worker processes."""
    if quiet or not todo or ex.name not in ("serial", "processes"):
        return None
    days = {i: (u.scenario.end - u.scenario.start).days + 1 for i, u in enumerate(todo)}
    bar = DayBar(days, "simulated", remote=ex.name == "processes", disable=bar_disable(quiet))
    if bar.bar.disable:  # stderr is not a terminal: no bar, and no reports to feed it
        bar.close()
        return None
    return bar


def _as_list(scenarios: Any) -> list[Any]:
    """A list, tuple or iterator (a generator, `map`) of scenarios, or one scenario: a dict and a `Scenario`
    iterate too (over their keys and fields), so only these forms count as several."""
    if isinstance(scenarios, (list, tuple, Iterator)):
        return list(scenarios)
    return [scenarios]


def run_experiment(scenarios: Any, replications: int | None = None, seed: int | None = None, *,
                   workers: int | None = None, scheduler: str | None = None, executor: Executor | None = None,
                   out: str | Path | None = None, fmt: str = "parquet", quiet: bool = True, fresh: bool = False,
                   topology: Any = None, kind: str = "run", write: bool = True,
                   extra_manifest: dict[str, Any] | None = None, keep: Iterable[str] | None = None,
                   reduce: Callable[[dict[str, pd.DataFrame]], dict[str, pd.DataFrame]] | None = None,
                   lock: bool = True) -> ExperimentResult:
    """Run `replications` of each scenario; return all tables concatenated.

    `scenarios`: one or a list of scenario files, `ResolvedScenario`, `Scenario`,
    dicts or already prepared `ExperimentScenario`. `replications`/`seed`
    default to each scenario's own. Executor: `executor` if given, else
    `scheduler` ("local" or "tcp://HOST:PORT": Dask), else `workers` (1: serial,
    None: processes on all cores). `out`: store replications there as they
    complete, resume what is stored, and (with `write`) write the concatenated
    tables in `fmt`, `summary.md` and `manifest.json`. `fresh` discards stored
    replications; without it, stored replications of a different configuration
    are an error. `quiet=False` shows progress bars over replications and
    simulated days. `topology` replaces each scenario's own (its `set:` still
    applies). `kind`, `write` and `extra_manifest` are for `compare` and
    `sweep`, which write their folders through this. `keep`: the tables to return concatenated in memory (None:
    all), and `reduce` what to keep of each replication's tables (e.g. only the
    rows a sweep's outcomes need); with `out`, replications wait on disk and the
    written tables are streamed from there, so a large sweep never holds every
    replication at once. `lock=False`: the caller holds `out` (`store.folder_lock`).
    """
    args = check_run(seed=seed, replications=replications, workers=workers, scheduler=scheduler, fmt=fmt, out=out)
    seed, replications, workers, folder = args["seed"], args["replications"], args["workers"], args["out"]
    if isinstance(keep, ARRAYS):
        keep = np.asarray(keep).tolist()  # table names picked from a frame or a numpy array: a list of them
    if keep is not None and not isinstance(keep, (str, list, tuple, set, frozenset)):
        raise InputError(ARGUMENTS, "keep", f"table names (got {short(keep)})")
    if reduce is not None and not callable(reduce):
        raise InputError(ARGUMENTS, "reduce", f"a function of a replication's tables (got {short(reduce)})")
    keep = None if keep is None else {keep} if isinstance(keep, str) else set(keep)
    if keep is not None and keep - set(TABLES):
        raise InputError(ARGUMENTS, "keep", f"unknown table(s) {sorted(keep - set(TABLES))}; the tables are {', '.join(TABLES)}")

    def kept(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        tables = {k: v for k, v in tables.items() if keep is None or k in keep}
        if reduce is None:
            return tables
        out = reduce(tables)
        if not isinstance(out, dict) or not all(isinstance(v, pd.DataFrame) for v in out.values()):
            # else an AttributeError deep in the concatenation, naming neither `reduce` nor what it returned
            raise InputError(ARGUMENTS, "reduce", f"must return a dict of table name -> DataFrame (got {short(out)})")
        return out

    t0 = time.perf_counter()
    listed = _as_list(scenarios)
    if not listed:
        raise InputError(ARGUMENTS, "scenarios", "at least one scenario to run (got [])")
    prepared = [s if isinstance(s, ExperimentScenario) else prepare(s, topology=topology, seed=seed, replications=replications)
                for s in listed]
    prepared = [replace(es, seed=es.seed if seed is None else seed,
                        replications=es.replications if replications is None else replications) for es in prepared]
    seen: dict[str, str] = {}
    for es in prepared:
        key = safe_name(es.name)
        if key in seen:
            default = Scenario.model_fields["name"].default
            unset = (" (the default of data without `name`)" if es.name == default else
                     " (the name of a scenario read from a stream without `name`)" if es.name == STREAM_NAME else "")
            raise InputError(es.source, "name", f"two scenarios of one experiment share the name {es.name!r}{unset}; "
                                                "give each its own `name:` (a file without one is named after the "
                                                "file), which names its tables and folder")
        seen[key] = es.name
    # one experiment writes a folder at a time; `lock=False`: the caller holds it (compare and sweep, through their own tables)
    with folder_lock(folder) if folder is not None and lock else nullcontext():
        stores: dict[str, ScenarioStore] = {}
        if folder is not None:
            claim_folder(folder, kind, fresh=fresh)
            try:
                stores = {es.name: open_scenario(folder, es.name, es.config_hash, es.seed,
                                                 plugins=plugins_fingerprint(es.model, es.scenario)) for es in prepared}
            except OSError as exc:  # a read-only place (/proc, a full or read-only disk, no permission)
                raise InputError(ARGUMENTS, "out", f"cannot make the folder ({exc.strerror or exc}) (got {str(folder)!r})") from None

        todo: list[Unit] = []
        reused: list[tuple[str, int]] = []
        for es in prepared:
            for r in range(es.replications):
                if es.name in stores and stores[es.name].is_done(r):
                    reused.append((es.name, r))
                else:
                    todo.append(Unit(es.name, es.scenario, es.model, es.seed, r, plugins=plugins_used(es.model, es.scenario)))

        memory: dict[tuple[str, int], dict[str, pd.DataFrame]] = {}
        walls: dict[str, list[float]] = {}
        computed: list[tuple[str, int]] = []
        described = "none (all stored)"
        total = len(todo) + len(reused)
        if todo:
            own = executor is None
            if executor is None and not scheduler and len(todo) == 1:
                workers = 1  # one unit: run it here, nothing to gain from a pool
            ex = executor if executor is not None else make_executor(workers, scheduler)
            described = ex.describe()
            failed = True
            days = _day_bar(todo, ex, quiet)
            try:
                if days is not None:
                    todo = [replace(u, progress=days.reporter(i)) for i, u in enumerate(todo)]
                if ex.same_machine:
                    todo = [replace(u, store=stores.get(u.name)) for u in todo]
                stream = ex.run(run_unit, todo)
                desc = prepared[0].name if len(prepared) == 1 else f"{len(prepared)} scenarios"
                with _progress(total, len(reused), quiet, desc) as bar:
                    for i, result in stream:
                        if days is not None:
                            days.finished(i)
                        unit = todo[i]
                        walls.setdefault(unit.name, []).append(result["wall_s"])
                        if result["tables"] is not None:  # None: the worker stored them itself
                            if unit.name in stores:
                                stores[unit.name].save(unit.replication, result["tables"], {"wall_s": result["wall_s"]})
                            else:
                                memory[(unit.name, unit.replication)] = kept(result["tables"])
                        computed.append((unit.name, unit.replication))
                        bar.update(1)
                failed = False
            finally:
                if own:
                    ex.close(abort=failed)
                if days is not None:
                    days.close()
                if failed:
                    end_bar_line(quiet)  # the error the caller prints next starts a line of its own

        def parts() -> Iterable[dict[str, pd.DataFrame]]:
            for es in prepared:
                for r in range(es.replications):
                    yield memory[(es.name, r)] if (es.name, r) in memory else kept(stores[es.name].load(r, keep))

        tables = concat_tables(parts())
        result = ExperimentResult(tables, prepared, folder, computed, reused, described, time.perf_counter() - t0)
        if folder is not None and write:
            write_run_folder(result, fmt, stores, kind=kind, walls=walls, extra=extra_manifest)
        return result


def write_run_folder(result: ExperimentResult, fmt: str, stores: dict[str, ScenarioStore], *, kind: str = "run",
                     walls: dict[str, list[float]] | None = None, extra: dict[str, Any] | None = None) -> None:
    """Concatenated tables (in `fmt`), summary.md and manifest.json into the result's folder.

    Tables are streamed from the stored replications one at a time, and the
    summary is built one scenario at a time, whatever `result` kept in memory.
    """
    assert result.folder is not None
    with writing_folder(result.folder):
        _write_run_folder(result, fmt, stores, kind=kind, walls=walls, extra=extra)


def _write_run_folder(result: ExperimentResult, fmt: str, stores: dict[str, ScenarioStore], *, kind: str,
                      walls: dict[str, list[float]] | None, extra: dict[str, Any] | None) -> None:
    folder = result.folder
    assert folder is not None
    drop_derived(folder)  # a report or comparison of the tables about to be replaced would go stale
    # the manifest says the folder is finished and what its tables hold: gone until they are rewritten, so
    # a rebuild stopped half-way leaves a folder `load_run` refuses (rerunning finishes it), never one whose
    # manifest and summary describe other tables than some of those beside them
    for stale in ("manifest.json", "summary.md"):
        (folder / stale).unlink(missing_ok=True)
    other = [f for f in FORMATS if f != fmt]
    units = [(stores[es.name], r) for es in result.scenarios for r in range(es.replications)]
    for name in units[0][0].tables(units[0][1]):
        write_table_stream([store.table_path(r, name) for store, r in units], folder, name, fmt)
        for o in other:
            (folder / f"{name}.{o}").unlink(missing_ok=True)
    from .summary import summarise, summary_rows

    text = []
    for es in result.scenarios:  # what the summary reads, one replication at a time: never the whole tables
        tables = concat_tables(summary_rows(stores[es.name].load(r)) for r in range(es.replications))
        text.append(summarise(tables, es.h100e, es.name))
    result.summary_text = "\n".join(text)
    atomic_write_text(folder / "summary.md", result.summary_text)
    write_json(folder / "manifest.json", manifest(
        kind=kind, format=fmt, executor=result.executor, wall_s=round(result.wall_s, 3),
        computed=len(result.computed), reused=len(result.reused),
        scenarios=[{"name": es.name, "scenario_file": _absolute(es.source), "topology": es.topology_path, "seed": es.seed,
                    "replications": es.replications, "config_hash": es.config_hash,
                    "unconstrained": es.scenario.unconstrained,
                    **({"plugins": fp} if (fp := plugins_fingerprint(es.model, es.scenario)) else {}),
                    "replication_wall_s": [round(w, 4) for w in (walls or {}).get(es.name, [])]}
                   for es in result.scenarios],
        # single-scenario runs keep the flat fields of earlier manifests
        **({"scenario": result.scenarios[0].name, "seed": result.scenarios[0].seed,
            "replications": result.scenarios[0].replications, "config_hash": result.scenarios[0].config_hash}
           if len(result.scenarios) == 1 else {}),
        **(extra or {}),
    ))


def _absolute(source: str) -> str:
    """A scenario or topology file's path as the manifest records it: absolute, so the folder names its
    inputs wherever it is read; `<python>` (data, no file) as it is. A stream (`/dev/stdin`, `<(cat s.yaml)`) as
    named: its links lead to a descriptor of this process (`/proc/4242/fd/pipe:[358176]`), gone once it ends."""
    if source == "<python>":
        return source
    return os.path.abspath(source) if is_stream(Path(source)) else str(Path(source).resolve())
