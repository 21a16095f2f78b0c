"""Seeds of replications: replication r of a seed is one stream, whoever runs it (`simulate`, a serial run, worker
processes) and however many replications run beside it; seeds do not share streams; a given seed, 0 too, wins
over the scenario's."""

from __future__ import annotations

from pathlib import Path

import pandas.testing as pdt

from supplychain.experiment import run_experiment
from supplychain.results import simulate

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = str(ROOT / "topology" / "minimal.yaml")
SC = {"name": "s", "topology": MINIMAL, "end": "2023-03-31"}


def _same(a, b) -> None:
    for name in ("orders", "lead_times", "generations"):
        pdt.assert_frame_equal(a[name].reset_index(drop=True), b[name].reset_index(drop=True), obj=name)


def test_replication_r_is_the_same_alone_serial_or_on_two_workers():
    """`simulate(replication=r)` gives replication r of a run of 3 on 2 worker processes, rows and `replication`
    column; the replications come back in order whatever order the workers finished them in."""
    run = run_experiment(SC, replications=3, seed=9, workers=2)
    assert run.executor.startswith("processes")
    assert run.orders["replication"].is_monotonic_increasing and set(run.orders["replication"]) == {0, 1, 2}
    alone = simulate(MINIMAL, SC, seed=9, replication=2)
    assert alone.replication == 2 and set(alone.orders["replication"]) == {2}
    _same({k: v[v["replication"] == 2] for k, v in run.tables.items()}, alone.tables)
    _same({k: v[v["replication"] == 0] for k, v in run.tables.items()},
          run_experiment(SC, replications=1, seed=9, workers=1).tables)


def test_seeds_next_to_each_other_share_no_replications_stream():
    """Replication 1 of seed s and replication 0 of seed s + 1 are different streams (a sweep over seeds would
    otherwise repeat replications under other names)."""
    one = simulate(MINIMAL, SC, seed=4, replication=1).orders.drop(columns="replication")
    other = simulate(MINIMAL, SC, seed=5, replication=0).orders.drop(columns="replication")
    assert not one.equals(other)


def test_a_given_seed_0_wins_over_the_scenarios_and_results_name_the_seed_used():
    own = simulate(MINIMAL, {**SC, "seed": 5})
    assert own.seed == 5
    zero = simulate(MINIMAL, {**SC, "seed": 5}, seed=0)
    assert zero.seed == 0
    _same(zero.tables, simulate(MINIMAL, {**SC, "seed": 0}).tables)
    assert not zero.orders.equals(own.orders)
