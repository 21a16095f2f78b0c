"""Same seed, same tables: twice in one process (no hidden state between calls, as in a notebook
kernel), on local processes, and on an in-process Dask LocalCluster."""

from __future__ import annotations

from pathlib import Path

import pandas.testing as pdt
import pytest

from supplychain import compare, run_experiment, sweep

TWO_LABS = str(Path(__file__).resolve().parent / "data" / "two_labs.yaml")
BASE = {"name": "base", "topology": TWO_LABS, "end": "2023-06-30"}
BAN = {**BASE, "name": "ban", "controls": [{"id": "r1", "announced": "2022-03-01", "effective": "2022-06-01",
                                             "action": "license", "review_days": {"dist": "uniform", "low": 10, "high": 90},
                                             "approval": 0.5, "scope": {"destinations": ["CN"],
                                                                        "product_kinds": ["accelerator"]}}]}
LHS = ["labs.utilisation=0.3:0.5", "algorithms.efficiency_growth=2:4"]


def same(a: dict, b: dict, what: str) -> None:
    assert list(a) == list(b), what
    for name in a:
        pdt.assert_frame_equal(a[name], b[name], check_exact=True, obj=f"{what} {name}")


def test_compare_twice_in_one_process_and_on_processes_gives_identical_tables():
    first = compare(BASE, [BAN], replications=2, seed=7, workers=1)
    again = compare(BASE, [BAN], replications=2, seed=7, workers=2)
    same(first.tables, again.tables, "compare")
    same(first.experiment.tables, again.experiment.tables, "compare experiment")
    assert first.seed == 7 and "seed=7" in repr(first)
    other = compare(BASE, [BAN], replications=2, seed=8, workers=1)
    assert not first.experiment.tables["orders"].equals(other.experiment.tables["orders"]), "the seed matters"


def test_an_lhs_sweep_twice_gives_identical_points_outcomes_and_ranking():
    first = sweep(BASE, LHS, lhs=4, replications=2, seed=3, workers=1)
    again = sweep(BASE, LHS, lhs=4, replications=2, seed=3, workers=2)
    same(first.tables, again.tables, "sweep")
    assert first.seed == 3 and "seed=3" in repr(first)
    assert set(first.outcomes["replication"]) == {0, 1}


def test_dask_local_cluster_gives_the_tables_of_the_process_pool():
    """A notebook's own cluster (`LocalCluster(processes=False)`), reached by its scheduler address."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        address = client.scheduler.address
        dask_run = run_experiment(BAN, replications=2, seed=5, scheduler=address)
        dask_sweep = sweep(BASE, LHS, lhs=3, replications=2, seed=5, scheduler=address)
        assert client.status == "running", "the caller's client is left open"
    assert dask_run.executor.startswith("dask ")
    same(dask_run.tables, run_experiment(BAN, replications=2, seed=5, workers=2).tables, "dask run")
    same(dask_sweep.tables, sweep(BASE, LHS, lhs=3, replications=2, seed=5, workers=2).tables, "dask sweep")
