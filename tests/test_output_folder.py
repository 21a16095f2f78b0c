"""An output folder is never left half-written or taken over by mistake: an error removes what the failed
invocation added, a folder of other files or of another kind is refused, new tables drop what was made from
the old ones, and a rebuild stopped half-way leaves no manifest (the folder is refused until it is finished)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from supplychain.cli import app

MINIMAL = str(Path(__file__).resolve().parents[1] / "topology" / "minimal.yaml")
runner = CliRunner()


def scenario_file(tmp_path: Path, **fields) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "res", "topology": MINIMAL, "end": "2024-06-30", "seed": 4, **fields}))
    return path


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def _refuse(*args, **kwargs):
    from supplychain.errors import InputError

    raise InputError.bad_option("--scheduler", "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1' (test)")


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_an_error_leaves_no_half_written_output_folder(tmp_path, monkeypatch, command):
    """The executor fails after the replication folders and their config.json were written: exit 2, one
    line, and the output folder this invocation created is gone."""
    import supplychain.experiment as experiment

    path = scenario_file(tmp_path, end="2023-03-31")
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump({"extends": "s.yaml", "name": "other", "algorithms": {"efficiency_growth": 4.0}}))
    out = tmp_path / "new" / "out"
    args = {"run": ["run", str(path)], "compare": ["compare", str(path), str(other), "--no-counterfactual"],
            "sweep": ["sweep", str(path), "-p", "algorithms.efficiency_growth=2,4"]}[command]
    monkeypatch.setattr(experiment, "make_executor", _refuse)
    res = runner.invoke(app, [*args, "-n", "1", "-o", str(out), "-q"])
    assert res.exit_code == 2 and res.stderr.splitlines() == [f"supplychain {command}: --scheduler: cannot reach the Dask scheduler at "
                                                              "'tcp://127.0.0.1:1' (test)"], res.output
    assert not (tmp_path / "new").exists()


def test_an_error_keeps_what_the_folder_held_before(tmp_path, monkeypatch):
    """Into an existing folder: the earlier run's replications (reused on resume) and the user's own files
    stay; only what the failed invocation added goes."""
    import supplychain.experiment as experiment

    path = scenario_file(tmp_path, end="2023-03-31")
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(path), "-n", "1", "-w", "1", "-o", str(out), "-q"]).exit_code == 0
    (out / "notes.txt").write_text("mine")
    before = sorted(out.rglob("*"))
    monkeypatch.setattr(experiment, "make_executor", _refuse)
    other = tmp_path / "second.yaml"
    other.write_text(yaml.safe_dump({"extends": "s.yaml", "name": "second"}))
    for args in (["run", str(path), "-n", "3"], ["run", str(other), "-n", "1"]):
        res = runner.invoke(app, [*args, "-o", str(out), "-q"])
        assert res.exit_code == 2, res.output
        assert sorted(out.rglob("*")) == before
    monkeypatch.undo()
    res = runner.invoke(app, ["run", str(path), "-n", "2", "-w", "1", "-o", str(out), "-q"])
    assert res.exit_code == 0 and (manifest(out)["computed"], manifest(out)["reused"]) == (1, 1)


def test_the_manifest_names_the_scenario_and_topology_files_by_absolute_paths(tmp_path, monkeypatch):
    """`run s.yaml` from the scenario's folder recorded `s.yaml` beside an absolute topology path: the folder,
    read from elsewhere, did not say which file it ran."""
    path = scenario_file(tmp_path, end="2022-06-30")
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["run", "s.yaml", "-n", "1", "-w", "1", "-o", "out", "-q"]).exit_code == 0
    entry = manifest(tmp_path / "out")["scenarios"][0]
    assert (entry["scenario_file"], entry["topology"]) == (str(path.resolve()), str(Path(MINIMAL).resolve()))


def test_a_folder_of_other_files_is_not_taken_as_a_run_folder(tmp_path):
    """A run writes its tables into --out and removes the other format's: into a folder that
    holds the user's own files and no run, it would overwrite or delete them. Refused, exit 2;
    an empty folder and a run folder are fine."""
    path = scenario_file(tmp_path, end="2023-03-31")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "orders.csv").write_text("my,own\n1,2\n")
    res = runner.invoke(app, ["run", str(path), "-n", "1", "-w", "1", "-o", str(mine), "-q"])
    assert res.exit_code == 2 and len(res.stderr.splitlines()) == 1 and "not a run folder" in res.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["orders.csv"] and (mine / "orders.csv").read_text() == "my,own\n1,2\n"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(app, ["run", str(path), "-n", "1", "-w", "1", "-o", str(empty), "-q"]).exit_code == 0
    res = runner.invoke(app, ["run", str(path), "-n", "1", "-w", "1", "-o", str(empty), "-q", "--format", "csv"])
    assert res.exit_code == 0 and (empty / "orders.csv").is_file() and not (empty / "orders.parquet").exists()


@pytest.mark.parametrize("name", ["fleet.parquet", "fleet.csv", "manifest.json", "summary.md"])
@pytest.mark.parametrize("fresh", [[], ["--fresh"]])
def test_a_folder_where_the_run_writes_a_file_is_refused_before_any_work(tmp_path, name, fresh):
    """A folder in --out named as a table, the manifest or the summary (`mkdir fleet.parquet` by mistake) ended
    the run in a traceback (IsADirectoryError from os.replace or unlink) after the work, with the old manifest
    already removed: an unfinished folder. It is named before anything is computed or removed."""
    path = scenario_file(tmp_path, end="2022-06-30")
    out = tmp_path / "out"
    args = ["run", str(path), "-n", "1", "-w", "1", "-o", str(out), "-q"]
    assert runner.invoke(app, args).exit_code == 0
    (out / name).unlink(missing_ok=True)
    (out / name).mkdir()
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    res = runner.invoke(app, [*args, "-n", "2", *fresh])
    assert res.exit_code == 2 and res.stderr.splitlines() == [
        f"{out / name}: <file>: a folder where the run writes a file; move it away, or choose another --out (out=)"], res.output
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


@pytest.mark.parametrize("where", ["replications/res/rep_0001/fleet.parquet", "fleet.parquet", "compare/gaps.parquet",
                                   "sweep/outcomes.parquet"])
def test_an_output_folder_the_file_system_refuses_to_write_is_one_line_naming_the_file(tmp_path, monkeypatch, where):
    """No permission, a read-only or a full disk met while a replication, the tables or the comparison's or sweep's
    own were written ended the command in a PermissionError (or OSError) traceback, after the work."""
    import errno
    import os

    import supplychain.outputs as outputs

    path = scenario_file(tmp_path, end="2022-06-30")
    other = tmp_path / "t.yaml"
    other.write_text(yaml.safe_dump({"name": "other", "topology": MINIMAL, "end": "2022-06-30", "seed": 4}))
    out = tmp_path / "out"
    command = {"compare": ["compare", str(path), str(other), "--no-counterfactual"],
               "sweep": ["sweep", str(path), "--param", "labs.utilisation=0.3,0.5"]}.get(where.split("/")[0], ["run", str(path)])
    args = [*command, "-w", "1", "-o", str(out), "-q"]
    if command[0] == "run":  # resumed: replication 0 stored, replication 1 to compute
        assert runner.invoke(app, [*args, "-n", "1"]).exit_code == 0
    real = os.replace

    def refuse(src, dst):
        if Path(dst) == out / where:
            raise PermissionError(errno.EACCES, "Permission denied", str(src), None, str(dst))  # as os.replace does
        return real(src, dst)

    monkeypatch.setattr(outputs.os, "replace", refuse)
    res = runner.invoke(app, [*args, "-n", "2"])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert res.stderr.splitlines() == [f"{out / where}: <file>: cannot write in the output folder (Permission denied)"]

def test_a_folder_of_another_kind_is_refused_and_replaced_only_with_fresh(tmp_path):
    """A run into a compare's folder left compare/ and the report of the comparison beside the new
    tables (and `load_run` read them as the run's): it is refused, and --fresh replaces it whole."""
    base = scenario_file(tmp_path, end="2022-09-30")
    other = tmp_path / "t.yaml"
    other.write_text(yaml.safe_dump({"name": "other", "topology": MINIMAL, "end": "2022-09-30", "seed": 4,
                                     "algorithms": {"efficiency_growth": 2.0}}))
    out = tmp_path / "out"
    assert runner.invoke(app, ["compare", str(base), str(other), "-n", "1", "-w", "1", "-q", "-o", str(out)]).exit_code == 0
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    assert (out / "compare").is_dir() and (out / "report.html").is_file()

    res = runner.invoke(app, ["run", str(base), "-n", "1", "-w", "1", "-q", "-o", str(out)])
    assert res.exit_code == 2 and res.stderr.splitlines() == [
        f"{out}: kind: the folder holds a compare (manifest.json); choose another --out (out=), or rerun with --fresh "
        "(fresh=True) to replace it by this run (got 'run')"], res.stderr
    assert (out / "compare").is_dir() and json.loads((out / "manifest.json").read_text())["kind"] == "compare"

    res = runner.invoke(app, ["run", str(base), "-n", "1", "-w", "1", "-q", "-o", str(out), "--fresh"])
    assert res.exit_code == 0, res.stderr
    assert json.loads((out / "manifest.json").read_text())["kind"] == "run"
    assert not (out / "compare").exists() and not (out / "report.html").exists() and not (out / "figures").exists()
    from supplychain import load_run

    assert len(load_run(out).compare) == 0 and load_run(out).kind == "run"


def test_new_tables_drop_the_report_made_from_the_old_ones(tmp_path):
    path = scenario_file(tmp_path, end="2022-09-30")
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(path), "-n", "1", "-w", "1", "-q", "-o", str(out)]).exit_code == 0
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    assert (out / "report.html").is_file()
    assert runner.invoke(app, ["run", str(path), "-n", "2", "-w", "1", "-q", "-o", str(out)]).exit_code == 0
    assert not (out / "report.html").exists() and not (out / "figures").exists()  # it showed one replication


def test_a_rebuild_stopped_half_way_leaves_no_manifest_and_the_rerun_finishes_it(tmp_path, monkeypatch):
    """A run stopped while it rewrites the tables at the top (more replications than before) must not leave
    the old manifest and summary beside tables that hold other replications: `load_run` refuses the folder
    as unfinished, and the same command again finishes it."""
    import supplychain.experiment as experiment
    from supplychain import InputError, load_run

    path = scenario_file(tmp_path, end="2023-03-31")
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(path), "-n", "1", "-w", "1", "-o", str(out), "-q"]).exit_code == 0
    real, written = experiment.write_table_stream, []

    def stop_after_two(*args, **kwargs):
        if len(written) == 2:
            raise KeyboardInterrupt
        written.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(experiment, "write_table_stream", stop_after_two)
    res = runner.invoke(app, ["run", str(path), "-n", "2", "-w", "1", "-o", str(out), "-q"])
    assert res.exit_code == 130, res.output
    assert not (out / "manifest.json").exists() and not (out / "summary.md").exists()
    with pytest.raises(InputError, match="no manifest.json"):
        load_run(out)
    monkeypatch.undo()
    assert runner.invoke(app, ["run", str(path), "-n", "2", "-w", "1", "-o", str(out), "-q"]).exit_code == 0
    r = load_run(out)
    assert r.scenarios[0].replications == 2
    assert all(sorted(pd.unique(t["replication"])) == [0, 1] for t in r.tables.values() if len(t))


def _hold(lock: Path) -> subprocess.Popen:
    """Another process holding the folder as a run does, until its stdin closes."""
    code = ("import fcntl, sys; f = open(sys.argv[1], 'a+'); fcntl.lockf(f, fcntl.LOCK_EX); "
            "f.write('process 4242 on node7\\n'); f.flush(); print('held', flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "held\n"
    return proc


def test_a_folder_another_run_is_writing_is_refused_and_left_to_it(tmp_path, monkeypatch):
    """Two runs into one --out at once (a job array sharing it) each rebuilt the tables from replications the
    other was writing and removed what the other had made: both stopped with a traceback, the folder gone.
    The second is refused with exit 2 and one line naming the holder, and leaves the folder to it, even one
    that did not exist when it started (so its error clean-up would have removed the whole folder)."""
    import supplychain.experiment as experiment
    from supplychain import InputError, run_experiment
    from supplychain.store import LOCK

    path = scenario_file(tmp_path, end="2022-09-30")
    out = tmp_path / "out"
    other: list[subprocess.Popen] = []
    real_check = experiment.check_run

    def other_run_starts(**kwargs):  # the other run takes the folder after this one saw it missing
        if not other:
            (out / "replications").mkdir(parents=True)
            other.append(_hold(out / "replications" / LOCK))
        return real_check(**kwargs)

    monkeypatch.setattr(experiment, "check_run", other_run_starts)
    line = f"{out}: <folder>: process 4242 on node7 is writing this folder; wait for it to end, or choose another --out (out=)"
    try:
        for command in (["run", str(path)], ["sweep", str(path), "-p", "algorithms.efficiency_growth=2,4"]):
            res = runner.invoke(app, [*command, "-n", "1", "-w", "1", "-o", str(out), "-q"])
            assert res.exit_code == 2 and res.stderr.splitlines() == [line], res.output
            assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["replications", f"replications/{LOCK}"]
        with pytest.raises(InputError, match="is writing this folder"):
            run_experiment(str(path), replications=1, workers=1, out=out)
    finally:
        for proc in other:
            proc.communicate("")  # the other run ends: the folder is free
    monkeypatch.undo()
    assert runner.invoke(app, ["run", str(path), "-n", "1", "-w", "1", "-o", str(out), "-q"]).exit_code == 0
    assert manifest(out)["computed"] == 1


def test_a_pool_kept_for_the_next_run_does_not_hold_the_folder(tmp_path):
    """Worker processes forked during a run outlive it when the caller keeps its executor (a notebook's next
    call): they must not hold the folder against the same caller's next run into it."""
    from supplychain import run_experiment
    from supplychain.executors import ProcessExecutor

    path = scenario_file(tmp_path, end="2022-09-30")
    pool = ProcessExecutor(2)
    try:
        run_experiment(str(path), replications=2, executor=pool, out=tmp_path / "out")
        res = run_experiment(str(path), replications=3, executor=pool, out=tmp_path / "out")
    finally:
        pool.close()
    assert (len(res.computed), len(res.reused)) == (1, 2)


def _held_elsewhere(lock: Path) -> bool:
    """Whether another process would find the folder held (a POSIX lock does not conflict with its own process)."""
    code = ("import fcntl, sys; f = open(sys.argv[1], 'a+')\n"
            "try:\n    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')\nexcept OSError:\n    print('held')")
    return subprocess.run([sys.executable, "-c", code, str(lock)], capture_output=True, text=True).stdout.strip() == "held"


@pytest.mark.parametrize("kind", ["compare", "sweep"])
def test_compare_and_sweep_hold_the_folder_until_their_own_tables_are_written(tmp_path, monkeypatch, kind):
    """compare/ and sweep/ are written after the runs: the lock was let go with the runs, so a second command in
    that window rebuilt the folder under the first one's comparison."""
    import supplychain.comparison as comparison
    import supplychain.sweeps as sweeps
    from supplychain.store import LOCK

    path = scenario_file(tmp_path, end="2022-09-30")
    out = tmp_path / "out"
    module, name = (comparison, "_compared") if kind == "compare" else (sweeps, "_swept")
    real, seen = getattr(module, name), []

    def writing(*args, **kwargs):
        seen.append(_held_elsewhere(out / "replications" / LOCK))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, writing)
    if kind == "compare":
        comparison.compare(str(path), {"name": "other", "extends": str(path)}, replications=1, workers=1, out=out,
                           counterfactuals=False)
    else:
        sweeps.sweep(str(path), ["algorithms.efficiency_growth=2,4"], replications=1, workers=1, out=out)
    assert seen == [True]
    assert not _held_elsewhere(out / "replications" / LOCK)  # and let go after


def test_a_table_is_written_under_a_hidden_name_and_an_error_there_names_its_folder(tmp_path, monkeypatch):
    """While a table is written, its bytes sit in a hidden temporary beside it (`ls`, a file browser and the CSV
    topology's check for a folder of other files pass it by); a full disk met there names the output folder,
    a name the user knows, never the temporary's, which is gone when the message is read."""
    import errno

    from supplychain.errors import InputError
    from supplychain.outputs import write_table, writing_folder

    out = tmp_path / "run"
    seen = []

    def full(self, path, **kwargs):
        seen.append(Path(path))
        Path(path).write_bytes(b"PAR1 half")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    with pytest.raises(InputError) as info, writing_folder(out):
        write_table(pd.DataFrame({"lab": ["a"]}), out, "fleet")
    assert [p.parent for p in seen] == [out] and seen[0].name.startswith(".fleet.parquet.")
    assert str(info.value) == f"{out}: <file>: cannot write in the output folder (No space left on device)"
    assert list(out.iterdir()) == []  # nothing half-written left behind
