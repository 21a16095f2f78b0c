"""The Dask executor's own promises, on local clusters of one or two workers: a cluster named by its address
gets no share of this machine's files, a local cluster has the workers asked for, an unreachable scheduler is
one line, and a unit's error cancels the units not started (the twenty-eighth mutation session)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

pytest.importorskip("distributed")

from supplychain.cli import app  # noqa: E402
from supplychain.executors import DaskExecutor  # noqa: E402
from supplychain.experiment import run_experiment  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = {"name": "dk", "topology": str(ROOT / "topology" / "minimal.yaml"), "end": "2023-03-31"}


def test_a_cluster_by_address_sends_each_replications_tables_back_to_be_stored_here(tmp_path, monkeypatch):
    """A cluster named by its address may share no file system with this machine: its workers send every
    replication's tables back and the parent stores them (a local cluster's workers store their own)."""
    import logging

    from distributed import LocalCluster

    import supplychain.experiment as exp

    saved: list[int] = []
    original = exp.ScenarioStore.save

    def parent_save(self, replication, tables, info=None):  # only the parent's saves are seen here
        saved.append(replication)
        return original(self, replication, tables, info)

    monkeypatch.setattr(exp.ScenarioStore, "save", parent_save)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster:  # reached by its address, as a remote one
        res = run_experiment(SCENARIO, replications=2, seed=8, scheduler=cluster.scheduler_address, out=tmp_path / "o")
    assert res.executor.startswith("dask tcp://") and sorted(saved) == [0, 1] and len(res.computed) == 2


def test_a_local_cluster_has_the_workers_asked_for():
    ex = DaskExecutor("local", 2)
    try:
        assert ex.workers == 2 and ex.describe() == "dask local cluster (2 workers)"
    finally:
        ex.close()


def test_a_scheduler_refusing_with_a_message_of_several_lines_is_still_one_line(tmp_path, monkeypatch):
    """Bad input is one line: a connection error whose text runs over several lines gives its first."""
    import distributed

    def refuse(*args, **kwargs):
        raise OSError("Timed out trying to connect to tcp://127.0.0.1:1\nConnection refused: more\ndetail")

    monkeypatch.setattr(distributed, "Client", refuse)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    res = CliRunner().invoke(app, ["run", str(path), "-n", "1", "--scheduler", "tcp://127.0.0.1:1", "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == ["supplychain run: --scheduler: cannot reach the Dask scheduler at "
                                               "'tcp://127.0.0.1:1' (Timed out trying to connect to tcp://127.0.0.1:1)"]


def test_a_units_error_cancels_the_units_a_given_cluster_has_not_started(tmp_path):
    """An executor passed to `run_experiment` is not closed by it, and the error's traceback holds the futures: the
    units not started are cancelled, not run for nobody ahead of the next work."""

    def fail_or_write(path: str) -> str:  # a local function: sent by value to the workers
        import pathlib
        import time

        if path.endswith("0"):
            raise ValueError("unit 0 fails")
        time.sleep(0.5)  # the last of 8 would finish 3.5 s after the error
        pathlib.Path(path).touch()
        return path

    units = [str(tmp_path / f"u{i}") for i in range(8)]
    ex = DaskExecutor("local", 1)
    try:
        with pytest.raises(ValueError, match="unit 0 fails") as got:
            for _ in ex.run(fail_or_write, units):
                pass
        assert list(ex.run(abs, [-5])) == [(0, 5)]  # queued after whatever was not cancelled
        assert not Path(units[-1]).exists(), [u for u in units if Path(u).exists()]
    finally:
        ex.close()
    assert got.traceback  # held until here, with the generator's frame and its futures
