"""`simulate`: one replication of a scenario on a topology, as tidy DataFrames."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from .arguments import whole
from .engine import World, check_invariants
from .engine.gcpause import gc_paused
from .engine.orders import order_arrays
from .engine.record import build_tables
from .scenario_schema import Scenario
from .schema import TopologyModel
from .topology import graph_to_model
from .tabular import TableAttributes, table_sizes

__all__ = ["Results", "simulate", "run_replication", "replication_seed"]


@dataclass
class Results(TableAttributes):
    """Tables of one replication (pandas DataFrames) and what produced them."""

    scenario: str
    replication: int
    seed: int
    tables: dict[str, pd.DataFrame]
    info: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        sizes = table_sizes(self.tables)
        return f"Results(scenario={self.scenario!r}, replication={self.replication}, {sizes})"

    def summary(self) -> str:
        """The text `supplychain run` prints and writes to summary.md (release dates, peak quotes, what bound
        the labs' orders, the fleet at the end), of this replication: as `ExperimentResult.summary()` and
        `load_run(...).summary()` give it, so a notebook reads one replication the same way."""
        from .summary import summarise

        return summarise(self.tables, self.info.get("h100e", {}), self.scenario)


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """Replication r of every scenario gets the same stream: common random numbers."""
    return np.random.SeedSequence(seed).spawn(replication + 1)[replication]


def simulate(topology: Any = None, scenario: Any = None, *, seed: int | None = None, replication: int = 0,
             check: bool = True, progress: bool | Callable[[int], None] = False) -> Results:
    """Run one replication.

    `topology`: a path, a `networkx.DiGraph` from `load_topology`, or a model;
    None takes the scenario's own. `scenario`: a path, a loaded scenario, a
    `Scenario`, a dict, or None (defaults; data naming no topology runs on `topology/default.yaml`), resolved
    as `run_experiment` resolves it (`extends`, `set:` overrides, checks against the topology, which a given
    `topology` replaces). `seed` overrides the scenario's seed; `replication` r runs on
    `SeedSequence(seed).spawn(r + 1)[r]`, as replication r of `run_experiment` does, and is the
    tables' `replication` column (so runs stacked with `pd.concat` should differ in it, or carry
    a column of their own: the tables have no seed column). `progress=True`
    shows a tqdm bar over simulated time (weekly updates), for long runs; a
    callable instead gets each simulated day reached (weekly), to report elsewhere.
    """
    from .scenario import resolve

    seed, replication = whole("seed", seed, 0), whole("replication", replication, 0)
    resolved = resolve(scenario, topology)
    return run_replication(graph_to_model(resolved.topology), resolved.scenario, seed=seed, replication=replication,
                           check=check, progress=progress)


def run_replication(model: TopologyModel, sc: Scenario, *, seed: int | None = None, replication: int = 0,
                    check: bool = True, progress: bool | Callable[[int], None] = False) -> Results:
    """One replication of a scenario already resolved on `model` (its `set:` applied): what `simulate`
    and the executors' work units run, so a worker never resolves (or overrides) a scenario twice."""
    seed, replication = whole("seed", seed, 0), whole("replication", replication, 0)
    seed_value = sc.seed if seed is None else seed
    with gc_paused():  # the run's objects are freed by `release`, not walked by the collector
        t0 = time.perf_counter()
        world = World(model, sc, replication_seed(seed_value, replication))
        try:
            if callable(progress):
                world.run(progress=progress)
            elif progress:
                from tqdm.auto import tqdm

                from .progress import bar_disable

                with tqdm(total=world.net.days, desc=f"{sc.name} r{replication}", unit="day", disable=bar_disable(False)) as bar:
                    world.run(progress=lambda day: bar.update(day + 1 - bar.n))
                    bar.update(bar.total - bar.n)
            else:
                world.run()
            wall = time.perf_counter() - t0
            arrays = order_arrays(world.orders)  # every line's fields, read once for the checks and the tables
            inv = check_invariants(world, arrays=arrays) if check else {}
            tables = build_tables(world, arrays)
            kernel_events = next(world.env._eid)  # events scheduled (SimPy numbers them)
        finally:
            world.release()
    for df in tables.values():
        df.insert(0, "replication", replication)
        df.insert(0, "scenario", sc.name)
    info = {"wall_s": wall, "kernel_events": kernel_events, "invariants": inv, "topology": model.name,
            "h100e": {k: p.h100e for k, p in model.products.items() if p.h100e}}  # what `summary` weighs orders by
    return Results(sc.name, replication, seed_value, tables, info)
