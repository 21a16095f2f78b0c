"""Resume: a killed run, rerun with the same command, computes only what is missing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas.testing as pdt
import pytest
import yaml

from supplychain.cli import app
from supplychain.outputs import read_table

from _resume import MINIMAL, N, TABLES, cli, done, manifest, runner, scenario_file, start_and_stop


def test_a_stopped_command_ends_even_if_its_exit_stalls(tmp_path):
    """Once a run is stopped (exit 130), the console script ends within `EXIT_GRACE_S` whatever the
    interpreter's exit then waits for: here a thread that never ends stands for the stalled join
    once seen after Ctrl-C. Without the guard this child would hang until killed."""
    path = scenario_file(tmp_path, end="2023-03-31")
    code = (
        "import sys, threading\n"
        "import supplychain.cli.common as common, supplychain.experiment as experiment\n"
        "common.EXIT_GRACE_S = 0.5\n"
        "def stop(*a, **k):\n"
        "    threading.Thread(target=threading.Event().wait, name='stalled-join').start()  # never ends\n"
        "    raise KeyboardInterrupt\n"
        "experiment.run_experiment = stop\n"
        f"sys.argv = ['supplychain', 'run', {str(path)!r}, '-o', {str(tmp_path / 'out')!r}, '-q']\n"
        "from supplychain.cli import main\n"
        "main()\n"
    )
    try:  # without the guard the child never ends; the timeout only bounds that failure
        done_ = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.fail("the stopped command did not end: its exit waited for the stalled thread")
    assert done_.returncode == 130, done_.stderr
    assert "rerun the same command to resume" in done_.stderr and "Traceback" not in done_.stderr


def test_ctrl_c_after_the_run_while_its_summary_prints_says_how_to_resume(tmp_path, monkeypatch):
    """A Ctrl-C that lands once every replication is stored, while the summary is being printed, gets
    the same line as one during the run (the rerun then computes nothing), not a bare 'interrupted'."""
    from supplychain.experiment import ExperimentResult

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(ExperimentResult, "summary", interrupted)
    path = scenario_file(tmp_path, end="2023-03-31")
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(path), "-n", "1", "-w", "1", "-o", str(out)])
    assert res.exit_code == 130
    assert res.output.strip().splitlines()[-1] == (f"interrupted: finished replications are stored in {out}; "
                                                   "rerun the same command to resume")
    assert (out / "manifest.json").is_file()


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_ctrl_c_while_the_cluster_shuts_down_after_the_run_says_how_to_resume(tmp_path, monkeypatch, command):
    """A Ctrl-C that lands as the executor (here standing for a Dask cluster) is closed once every unit is
    done gets the resume line and 130 from every command that runs replications."""
    from supplychain import experiment
    from supplychain.executors import SerialExecutor

    class ShutsDown(SerialExecutor):
        name = "dask"

        def close(self, abort: bool = False) -> None:
            if not abort:
                raise KeyboardInterrupt

    monkeypatch.setattr(experiment, "make_executor", lambda *a, **k: ShutsDown())
    path = scenario_file(tmp_path, end="2023-03-31")
    other = tmp_path / "b.yaml"
    other.write_text(yaml.safe_dump({"name": "b", "topology": MINIMAL, "end": "2023-03-31"}))
    out = tmp_path / "out"
    args = {"run": ["run", str(path)], "compare": ["compare", str(path), str(other), "--no-counterfactual"],
            "sweep": ["sweep", str(path), "-p", "labs.utilisation=0.3,0.4"]}[command]
    res = runner.invoke(app, [*args, "-n", "1", "--scheduler", "local", "-o", str(out)])
    assert res.exit_code == 130, res.output
    assert res.stderr.splitlines()[-1] == (f"interrupted: finished replications are stored in {out}; "
                                           "rerun the same command to resume"), res.stderr


def test_the_console_script_ignores_ctrl_c_once_its_command_has_ended(tmp_path, monkeypatch):
    """A Ctrl-C in the interpreter's teardown after a finished run (a Dask cluster's, ~0.5 s) killed the process
    with 130 and no line once Python had restored the default action: the command has said how it ended, so
    from then on Ctrl-C is ignored."""
    from supplychain.cli import main

    monkeypatch.setattr(sys, "argv", ["supplychain", "scenario", "validate", str(scenario_file(tmp_path))])
    try:
        with pytest.raises(SystemExit) as ended:
            main()
        assert ended.value.code == 0
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def test_the_package_and_the_command_line_load_nothing_heavy_until_used():
    """`import supplychain` and the console script's first step load neither pydantic, numpy nor pandas (about a
    second): a notebook's import is quick, and the commands load inside the script's own Ctrl-C handler."""
    code = ("import sys, supplychain, supplychain.cli\n"
            "print(sorted(m for m in ('pydantic', 'numpy', 'pandas', 'networkx') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_ctrl_c_while_the_commands_load_says_interrupted_not_a_traceback():
    """A Ctrl-C in the first second, while the console script imports its commands, printed the import's
    KeyboardInterrupt traceback. It is one line and status 130, as later in a command. The Ctrl-C is sent as the
    commands' module starts to load (an import hook), so the test does not race the clock."""
    code = (
        "import os, signal, sys\n"
        "class CtrlC:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'supplychain.cli.commands':\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "        return None\n"
        "sys.meta_path.insert(0, CtrlC())\n"
        "sys.argv = ['supplychain', '--help']\n"
        "from supplychain.cli import main\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr, proc.stdout) == (130, "interrupted\n", ""), proc.stderr


def test_killed_run_resumes_and_equals_a_clean_run(tmp_path):
    path = scenario_file(tmp_path)
    out, clean = tmp_path / "out", tmp_path / "clean"
    args = ["run", str(path), "-n", str(N), "--workers", "1", "--out", str(out), "--quiet"]
    killed = start_and_stop(cli(*args), out, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    stored = len(done(out))
    assert 2 <= stored < N
    # a replication being written when the process died has no done-marker: fake one with a junk table
    partial = out / "replications" / "res" / f"rep_{N - 1:04d}"
    partial.mkdir(exist_ok=True)
    (partial / "generations.parquet").write_text("half a file")
    assert not (out / "manifest.json").exists(), "top-level tables are written only at the end"

    res = runner.invoke(app, ["run", str(path), "-n", str(N), "--workers", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"{N - stored} replication(s) computed" in res.output and f"{stored} reused" in res.output
    m = manifest(out)
    assert (m["computed"], m["reused"]) == (N - stored, stored)
    assert len(done(out)) == N

    assert runner.invoke(app, ["run", str(path), "-n", str(N), "-w", "1", "-o", str(clean), "-q"]).exit_code == 0
    for name in TABLES:
        a, b = read_table(out, name), read_table(clean, name)
        pdt.assert_frame_equal(a, b, obj=name)
    gens = read_table(out, "generations")
    assert not gens.duplicated(["replication", "lab", "generation"]).any()
    assert sorted(gens["replication"].unique()) == list(range(N))

    again = runner.invoke(app, ["run", str(path), "-n", str(N), "-w", "1", "-o", str(out)])
    assert again.exit_code == 0 and "0 replication(s) computed" in again.output and f"{N} reused" in again.output


def test_ctrl_c_says_how_to_resume(tmp_path):
    path = scenario_file(tmp_path)
    out = tmp_path / "out"
    # worker processes: Ctrl-C stops the running units instead of waiting for them
    stopped = start_and_stop(cli("run", str(path), "-n", str(N), "-w", "2", "-o", str(out), "-q"), out, signal.SIGINT,
                             after=1)
    assert stopped.returncode == 130, stopped.stderr
    assert "rerun the same command to resume" in stopped.stderr and "Traceback" not in stopped.stderr, stopped.stderr
    res = runner.invoke(app, ["run", str(path), "-n", str(N), "-w", "1", "-o", str(out), "-q"])
    assert res.exit_code == 0
    assert manifest(out)["reused"] >= 1 and len(done(out)) == N


def test_a_fresh_run_stopped_before_its_tables_leaves_no_finished_folder_of_the_old_run(tmp_path):
    """--fresh starts over: stopped before its own tables are written, it left the old run's manifest, tables and
    summary, which `load_run` and `report` read as this run's. Now the folder is unfinished (no manifest) until the
    same command is rerun, which finishes it with the new configuration."""
    from supplychain.errors import InputError
    from supplychain.runfolder import load_run

    path = scenario_file(tmp_path)
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(path), "-n", "2", "-w", "1", "-o", str(out), "-q"]).exit_code == 0
    assert (out / "manifest.json").exists() and (out / "summary.md").exists()
    scenario_file(tmp_path, algorithms={"efficiency_growth": 5.0})
    shutil.rmtree(out / "replications")  # as --fresh does: so `start_and_stop` counts only the new run's replications
    args = ["run", str(path), "-n", str(N), "-w", "1", "-o", str(out), "-q", "--fresh"]
    stopped = start_and_stop(cli(*args), out, signal.SIGINT, after=1)
    assert stopped.returncode == 130, stopped.stderr
    assert not (out / "manifest.json").exists() and not (out / "summary.md").exists()
    with pytest.raises(InputError, match="manifest"):
        load_run(out)
    rerun = runner.invoke(app, args[:-1])  # the same command without --fresh resumes the fresh run
    assert rerun.exit_code == 0, rerun.output
    assert manifest(out)["reused"] >= 1 and len(done(out)) == N


def children(pid: int) -> dict[int, str]:
    """Live child processes of `pid` (Linux /proc): pid -> start time, which tells a reused pid apart."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone while we looked
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(stat.parent.name)] = fields[19]
    return found


def alive(procs: dict[int, str]) -> list[int]:
    """Those of `procs` (pid -> start time) still running: not gone, not a zombie, not a new process on the pid."""
    out = []
    for pid, start in procs.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and fields[19] == start:
            out.append(pid)
    return out


def stop_with_workers(tmp_path: Path, sig: int) -> tuple[subprocess.CompletedProcess, dict[int, str]]:
    """Start a run on 2 worker processes, send `sig` once both exist; (the stopped run, its workers)."""
    path = scenario_file(tmp_path)
    cmd = cli("run", str(path), "-n", "200", "-w", "2", "-o", str(tmp_path / "out"), "-q")  # far more than it gets to
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 120
        while len(workers := children(proc.pid)) < 2:
            assert proc.poll() is None, f"run ended before it was stopped: {proc.communicate()}"
            assert time.monotonic() < deadline, "no worker processes in time"
            time.sleep(0.02)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)  # orphaned workers holding its pipes: times out
    except BaseException:
        for pid in alive(workers):  # a failing test leaves no processes behind
            os.kill(pid, signal.SIGKILL)
        raise
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), workers


def assert_gone(workers: dict[int, str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while left := alive(workers):
        if time.monotonic() > deadline:
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            pytest.fail(f"worker processes outlived the run: {left}")
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from Linux /proc")
def test_sigterm_stops_the_workers_and_exits_143(tmp_path):
    """SIGTERM (a cluster scheduler pre-empting the job) takes Ctrl-C's path: one line, exit 128 + 15, and the
    worker processes end with the run instead of computing on as orphans."""
    stopped, workers = stop_with_workers(tmp_path, signal.SIGTERM)
    assert stopped.returncode == 143, stopped.stderr
    lines = stopped.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("terminated: ") and "rerun the same command to resume" in lines[0]
    assert "Traceback" not in stopped.stderr
    assert_gone(workers)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from Linux /proc")
def test_workers_do_not_outlive_a_parent_killed_outright(tmp_path):
    """SIGKILL leaves the parent no chance to stop its workers: they notice it is gone and exit by themselves."""
    killed, workers = stop_with_workers(tmp_path, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    assert_gone(workers)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from Linux /proc")
def test_a_killed_worker_keeps_the_finished_replications_for_a_rerun(tmp_path):
    """A worker process killed mid-unit (the out-of-memory killer on a cluster node) broke the pool: a
    BrokenProcessPool traceback, exit 1, and the clean-up after an error removed the new folder with every
    replication finished before. Now one line saying so and how to resume, exit 1, and the rerun resumes."""
    path = scenario_file(tmp_path)
    out = tmp_path / "out"
    cmd = cli("run", str(path), "-n", str(N), "-w", "2", "-o", str(out), "-q")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not done(out) or len(workers := children(proc.pid)) < 2:
            assert proc.poll() is None, f"run ended before a worker was killed: {proc.communicate()}"
            assert time.monotonic() < deadline, "no replication stored in time"
            time.sleep(0.02)
        os.kill(next(iter(workers)), signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1 and stdout == "", stderr
    assert stderr.splitlines() == [f"a worker process was killed (out of memory, or the job's limits?): finished "
                                   f"replications are stored in {out}; rerun the same command to resume (fewer "
                                   "--workers need less memory)"]
    stored = len(done(out))
    assert 1 <= stored < N and not (out / "manifest.json").exists()
    res = runner.invoke(app, ["run", str(path), "-n", str(N), "-w", "1", "-o", str(out), "-q"])
    assert res.exit_code == 0 and manifest(out)["reused"] == stored
