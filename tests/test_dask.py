"""Dask: a real scheduler and worker processes on loopback run a small sweep; same seed, same tables."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas.testing as pdt
import pytest
import yaml
from typer.testing import CliRunner

pytest.importorskip("distributed")

from supplychain.cli import app  # noqa: E402
from supplychain.experiment import run_experiment  # noqa: E402
from supplychain.outputs import read_table  # noqa: E402
from supplychain.sweeps import sweep  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = str(ROOT / "topology" / "minimal.yaml")
SCENARIO = {"name": "dk", "topology": MINIMAL, "end": "2023-06-30"}
PARAMS = ["algorithms.efficiency_growth=2,4"]
runner = CliRunner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(procs: list[subprocess.Popen], grace: float = 5.0) -> None:
    """SIGTERM every process (workers run without a nanny, so nothing is orphaned), SIGKILL what lingers."""
    for p in reversed(procs):  # workers first, then the scheduler they would try to reconnect to
        if p.poll() is None:
            p.terminate()
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=15)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """`tcp://127.0.0.1:PORT` of a scheduler with two single-threaded worker processes; torn down after."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs: list[subprocess.Popen] = []
    files = []  # the processes' log files, closed at teardown (the child keeps its own descriptor)

    def spawn(name: str, *args: str) -> None:
        files.append(open(logs / f"{name}.log", "w"))
        procs.append(subprocess.Popen([sys.executable, "-m", *args], stdout=files[-1], stderr=subprocess.STDOUT, env=env,
                                      cwd=logs))

    try:
        spawn("scheduler", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
        for i in range(2):
            spawn(f"worker{i}", "distributed.cli.dask_worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                  "--no-dashboard", "--no-nanny", "--name", f"w{i}", "--death-timeout", "60")
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=45)
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                    raise RuntimeError("dask cluster did not start: " + " | ".join(
                        f.read_text()[-400:] for f in sorted(logs.glob("*.log"))))
                time.sleep(0.5)
        yield address
    finally:
        stop(procs)
        for f in files:
            f.close()


def test_same_seed_same_tables_on_serial_processes_and_dask(scheduler):
    serial = run_experiment(SCENARIO, replications=3, seed=8, workers=1)
    procs = run_experiment(SCENARIO, replications=3, seed=8, workers=2)
    dask = run_experiment(SCENARIO, replications=3, seed=8, scheduler=scheduler)
    assert dask.executor.startswith(f"dask {scheduler} (2 workers")
    for name in serial.tables:
        pdt.assert_frame_equal(serial.tables[name], procs.tables[name], obj=f"processes {name}")
        pdt.assert_frame_equal(serial.tables[name], dask.tables[name], obj=f"dask {name}")


def test_sweep_through_the_cluster_matches_serial_and_resumes(scheduler, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    out = tmp_path / "out"
    res = runner.invoke(app, ["sweep", str(path), "-p", PARAMS[0], "-n", "2", "--seed", "3", "--scheduler", scheduler,
                              "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    local = sweep(SCENARIO, PARAMS, replications=2, seed=3, workers=1)
    pdt.assert_frame_equal(read_table(out / "sweep", "outcomes"), local.outcomes)
    assert len(list((out / "replications").glob("dk_p00*/rep_*/done.json"))) == 4
    again = runner.invoke(app, ["sweep", str(path), "-p", PARAMS[0], "-n", "2", "--seed", "3", "--scheduler", scheduler,
                                "-o", str(out), "-q"])
    assert again.exit_code == 0
    assert '"reused": 4' in (out / "manifest.json").read_text()


def test_unreachable_scheduler_is_one_line_exit_2(tmp_path, monkeypatch):
    import supplychain.executors as executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1.0)
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    address = f"tcp://127.0.0.1:{free_port()}"
    res = runner.invoke(app, ["run", str(path), "-n", "1", "--scheduler", address, "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"supplychain run: --scheduler: cannot reach the Dask scheduler at '{address}'"), res.output
    assert not (tmp_path / "o").exists(), "a failed run leaves no half-written output folder"


def test_a_rule_registered_here_runs_on_dask_workers_that_never_imported_it(scheduler, tmp_path):
    """The workers are separate processes started before the rule existed: the unit carries it."""
    from supplychain.engine.production import ALLOCATION_RULES, register_allocation, startable

    @register_allocation("newest_first")
    def newest_first(book, budget, y):  # a closure: cloudpickle sends it by value, as from a notebook
        give = []
        for o in reversed(book):
            goods = min(startable(o), budget * y / o.unit_cost)
            if goods > 0:
                give.append((o, goods))
                budget -= goods * o.unit_cost / y
        return give

    try:
        data = yaml.safe_load(Path(MINIMAL).read_text())
        for n in data["nodes"]:
            if n["id"] == "packager":
                n["allocation"] = "newest_first"
        path = tmp_path / "newest.yaml"
        path.write_text(yaml.safe_dump(data))
        sc = {**SCENARIO, "topology": str(path)}
        dask = run_experiment(sc, replications=2, seed=4, scheduler=scheduler)
        serial = run_experiment(sc, replications=2, seed=4, workers=1)
        fifo = run_experiment({**SCENARIO}, replications=2, seed=4, workers=1)
    finally:
        del ALLOCATION_RULES["newest_first"]
    for name in serial.tables:
        pdt.assert_frame_equal(serial.tables[name], dask.tables[name], obj=f"dask {name}")
    mine, theirs = (r.tables["orders"].query("supplier == 'packager'")["finished"] for r in (serial, fifo))
    assert not mine.reset_index(drop=True).equals(theirs.reset_index(drop=True)), "the rule changed the packager's order"


def test_an_ordering_policy_and_a_shock_kind_registered_here_run_on_dask_workers(scheduler):
    """Like allocation rules, the unit carries the other plug-ins its scenario names."""
    from supplychain.engine.ordering import ORDERING_POLICIES, register_ordering
    from supplychain.engine.shocks import SHOCK_KINDS, register_shock_kind

    @register_ordering("third_of_gap", part=1 / 3)
    def third(r):  # closures: sent by value, as from a notebook
        return r.params["part"] * (r.level - r.position)

    @register_shock_kind("slow_packaging")
    def slow(net, shock, f, begin, nodes):
        net.cycle[nodes] *= f
        return ",".join(net.ids[i] for i in nodes)

    sc = {**SCENARIO, "labs": {"ordering": "third_of_gap"},
          "shocks": [{"id": "s", "kind": "slow_packaging", "start": "2022-06-01", "multiplier": 3,
                      "target": {"ids": ["packager"]}}]}
    try:
        dask = run_experiment(sc, replications=2, seed=4, scheduler=scheduler)
        serial = run_experiment(sc, replications=2, seed=4, workers=1)
        plain = run_experiment({**SCENARIO}, replications=2, seed=4, workers=1)
    finally:
        del ORDERING_POLICIES["third_of_gap"], SHOCK_KINDS["slow_packaging"]
    for name in serial.tables:
        pdt.assert_frame_equal(serial.tables[name], dask.tables[name], obj=f"dask {name}")
    assert "slow_packaging" in set(dask.tables["events"]["what"])
    mine, theirs = (r.tables["orders"].query("kind == 'lab' and replication == 0")["qty"] for r in (dask, plain))
    assert mine.iloc[0] == pytest.approx(theirs.iloc[0] / 3)


def test_a_plugin_no_pickler_can_send_is_refused_by_a_dask_worker_in_one_line(scheduler):
    """A policy holding a lock cannot travel; a Dask worker has only the built-ins: the unit is refused with a
    PluginError naming the policy and why, not run with another policy nor failing with a traceback."""
    from _plugins import register_locked

    from supplychain.engine.ordering import ORDERING_POLICIES
    from supplychain.errors import PluginError

    register_locked()
    try:
        with pytest.raises(PluginError, match=r"ordering\.locked_gap: cannot be sent to this worker .*not on Dask workers"):
            run_experiment({**SCENARIO, "labs": {"ordering": "locked_gap"}}, replications=1, seed=4, scheduler=scheduler)
    finally:
        del ORDERING_POLICIES["locked_gap"]


def test_a_plugin_file_named_on_the_command_line_reaches_dask_workers(scheduler, tmp_path):
    """The workers cannot import a file the command loaded, nor the module beside it that it imports;
    both go by value (cloudpickle)."""
    from supplychain.engine.ordering import ORDERING_POLICIES

    plugin = tmp_path / "quarter.py"
    (tmp_path / "quarter_divisor.py").write_text("DIVISOR = 4\n")  # a sibling module, on no worker's path
    plugin.write_text("from supplychain.engine.ordering import register_ordering\n"
                      "import quarter_divisor\n\n"
                      "@register_ordering('quarter_gap')\n"
                      "def quarter(r):\n    return (r.level - r.position) / quarter_divisor.DIVISOR\n")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**SCENARIO, "labs": {"ordering": "quarter_gap"}}))
    try:
        res = runner.invoke(app, ["--plugin", str(plugin), "run", str(path), "-n", "2", "--seed", "4", "--scheduler",
                                  scheduler, "-q", "-o", str(tmp_path / "dask")])
        assert res.exit_code == 0, res.output
        res = runner.invoke(app, ["run", str(path), "-n", "2", "--seed", "4", "-w", "1", "-q", "-o", str(tmp_path / "serial")])
        assert res.exit_code == 0, res.output
    finally:
        ORDERING_POLICIES.pop("quarter_gap", None)
        sys.modules.pop("quarter_divisor", None)
    for name in ("orders", "generations", "fleet"):
        pdt.assert_frame_equal(read_table(tmp_path / "dask", name), read_table(tmp_path / "serial", name), obj=name)


def test_the_workers_of_a_local_cluster_ignore_ctrl_c():
    """Ctrl-C reaches the terminal's whole process group: a local cluster's worker that took it printed a
    KeyboardInterrupt traceback under the command's `interrupted` line. The parent stops them."""
    import signal

    from supplychain.executors import DaskExecutor

    ex = DaskExecutor("local", 1)
    try:
        got = ex._client.run(lambda: signal.getsignal(signal.SIGINT) == signal.SIG_IGN)
    finally:
        ex.close()
    assert list(got.values()) == [True]


def _children(pid: int) -> list[int]:
    """The processes `pid` started (Linux /proc), none if it has ended."""
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the worker processes through Linux /proc")
def test_ctrl_c_as_a_local_clusters_workers_start_prints_one_line(tmp_path):
    """Ctrl-C reaches the terminal's whole process group. Sent while the first worker process of `--scheduler
    local` imports (before its preload ignores Ctrl-C), that worker printed a KeyboardInterrupt traceback or a
    "Fatal Python error" from its `site` import under the command's line. Ctrl-C is blocked in the parent while
    the cluster starts, and the workers, started meanwhile, keep it blocked: one line, status 130."""
    import signal

    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(SCENARIO))
    cmd = [sys.executable, "-c", "from supplychain.cli import main; main()", "run", str(scenario), "-n", "4",
           "--scheduler", "local", "-w", "2", "-o", str(tmp_path / "out"), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not any("spawn_main" in _cmdline(k) and "resource_tracker" not in _cmdline(k) for k in _children(proc.pid)):
            assert proc.poll() is None and time.monotonic() < deadline, "no worker process started"
            time.sleep(0.005)
        time.sleep(0.3)  # into the worker's imports (a second or more): Python now turns Ctrl-C into an exception
        os.killpg(proc.pid, signal.SIGINT)  # the terminal's Ctrl-C: every process of the group
        _, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130 and err.startswith("interrupted") and len(err.splitlines()) == 1, err


def test_ctrl_c_while_a_local_cluster_starts_stops_that_cluster(monkeypatch):
    """A Ctrl-C that landed inside `LocalCluster(...)` (its start takes seconds) left the half-made cluster to
    Dask's exit hook, which printed a traceback ("Exception ignored in atexit callback ... Status.init") under
    the command's `interrupted` line. It is held until the start ends; the executor then closes the cluster
    and the interrupt goes on."""
    import signal

    import distributed

    from supplychain.executors import DaskExecutor

    made = []
    start = distributed.LocalCluster

    def interrupted_start(*args, **kwargs):
        cluster = start(*args, **kwargs)
        made.append(cluster)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, as the workers come up
        time.sleep(0.05)
        return cluster

    monkeypatch.setattr(distributed, "LocalCluster", interrupted_start)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own Ctrl-C, whatever runs pytest
    try:
        with pytest.raises(KeyboardInterrupt):
            DaskExecutor("local", 1)
    finally:
        signal.signal(signal.SIGINT, before)
        for cluster in made:
            if cluster.status.name != "closed":
                cluster.close()
                pytest.fail("the cluster started before the Ctrl-C was left running")
    assert len(made) == 1


def test_a_dask_worker_that_dies_running_a_unit_is_a_lost_worker_not_a_traceback():
    """A worker killed mid-unit (out of memory on a cluster node): Dask gives up with KilledWorker, which the
    commands printed as a traceback and cleaned up after, removing the finished replications. It is a
    `WorkerLost` now, as a dead local worker process is: one line, and a rerun resumes."""
    import dask

    from supplychain.executors import DaskExecutor, WorkerLost

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # give up at the first death
        ex = DaskExecutor("local", 1)
        try:
            with pytest.raises(WorkerLost, match="Dask workers that ran a unit died"):
                list(ex.run(os._exit, [1]))  # the unit kills its worker
        finally:
            ex.close()


def test_random_plugins_give_the_same_tables_on_dask_workers_as_serial(scheduler):
    """The plug-ins' seeded streams (`ctx.rng`, `review.rng`, a shock kind's `rng`) are made on the worker from
    the replication's seed: the same tables as a serial run (test_plugins_workers: worker processes)."""
    from _plugins import RANDOM_SCENARIO, random_topology, register_random

    from supplychain.engine.allocation import ALLOCATION_RULES
    from supplychain.engine.ordering import ORDERING_POLICIES
    from supplychain.engine.shocks import SHOCK_KINDS

    register_random()
    try:
        model = random_topology()
        dask = run_experiment(RANDOM_SCENARIO, replications=2, seed=5, scheduler=scheduler, topology=model)
        serial = run_experiment(RANDOM_SCENARIO, replications=2, seed=5, workers=1, topology=model)
    finally:
        del ALLOCATION_RULES["lottery"], ORDERING_POLICIES["noisy"], SHOCK_KINDS["one_of"]
    for name in serial.tables:
        pdt.assert_frame_equal(serial.tables[name], dask.tables[name], obj=f"dask {name}")


def test_a_local_cluster_beside_another_on_port_8787_warns_nothing_and_serves_no_dashboard():
    """The scheduler's HTTP server took Dask's default port 8787: beside another cluster (a user's own, or this
    file's scheduler) the run printed "Port 8787 is already in use ... Hosting the HTTP server on port N". It
    takes a free local port now, and no dashboard is served."""
    import urllib.error
    import urllib.request
    import warnings

    from supplychain.executors import DaskExecutor

    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 8787))
        taken.listen()
    except OSError:  # held already (another cluster): the case this test is about either way
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any warning while the cluster starts fails the test
            ex = DaskExecutor("local", 1)
        try:
            port = ex._cluster.scheduler.http_server.port
            assert port != 8787
            with pytest.raises(urllib.error.HTTPError, match="404"):  # the dashboard's page is not served
                urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=10)
        finally:
            ex.close()
    finally:
        taken.close()
