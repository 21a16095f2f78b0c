"""Run a scenario file into a run folder: the path behind `supplychain run`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .outputs import atomic_write_text, manifest, write_json, write_table
from .results import simulate
from .scenario import load_scenario
from .summary import summarise
from .topology import graph_to_model, load_topology

__all__ = ["run_scenario"]


def run_scenario(scenario: Path, *, topology: Path | None = None, seed: int | None = None, replications: int | None = None,
                 out: Path | None = None, fmt: str = "parquet") -> tuple[Path, str]:
    resolved = load_scenario(scenario)
    sc = resolved.scenario
    graph = load_topology(topology) if topology is not None else resolved.topology
    model = graph_to_model(graph)
    seed_value = sc.seed if seed is None else seed
    n = sc.replications if replications is None else replications
    runs = [simulate(model, sc, seed=seed_value, replication=r) for r in range(n)]
    tables = {name: pd.concat([r.tables[name] for r in runs], ignore_index=True) for name in runs[0].tables}
    folder = Path(out) if out is not None else Path("outputs") / sc.name
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        write_table(df, folder, name, fmt)
    h100e = {k: p.h100e for k, p in model.products.items() if p.h100e}
    text = summarise(tables, h100e, sc.name)
    atomic_write_text(folder / "summary.md", text)
    write_json(folder / "manifest.json", manifest(scenario=sc.name, scenario_file=str(scenario),
                                                 topology=str(topology or resolved.topology_path), seed=seed_value,
                                                 replications=n, config_hash=resolved.config_hash, format=fmt,
                                                 wall_s=[r.info["wall_s"] for r in runs]))
    return folder, text
