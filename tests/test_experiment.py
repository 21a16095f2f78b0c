"""Replications: seeding, executors, the experiment result and `supplychain run`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest
import yaml
from typer.testing import CliRunner

from supplychain.cli import app
from supplychain.experiment import prepare, run_experiment
from supplychain.executors import ProcessExecutor, SerialExecutor, make_executor

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = str(ROOT / "topology" / "minimal.yaml")
runner = CliRunner()


def scenario(name: str = "x", end: str = "2023-06-30", **fields) -> dict:
    return {"name": name, "topology": MINIMAL, "end": end, **fields}


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def assert_tables_equal(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert set(a) == set(b)
    for name in a:
        pdt.assert_frame_equal(a[name].drop(columns=["wall_s"], errors="ignore"),
                               b[name].drop(columns=["wall_s"], errors="ignore"), obj=name)


def test_same_seed_same_tables_serial_and_processes():
    serial = run_experiment(scenario(), replications=3, seed=11, workers=1)
    procs = run_experiment(scenario(), replications=3, seed=11, workers=2)
    assert serial.executor.startswith("serial") and procs.executor.startswith("processes")
    assert_tables_equal(serial.tables, procs.tables)


def test_workers_on_this_machine_store_their_own_replications(tmp_path, monkeypatch):
    """With --out, local worker processes write each replication's tables themselves and send
    back none; the stored and the written tables equal a serial run's."""
    import supplychain.experiment as exp

    received: list = []
    original = exp.ScenarioStore.save

    def parent_save(self, replication, tables, info=None):  # only the parent's saves are seen here
        received.append(replication)
        return original(self, replication, tables, info)

    serial = run_experiment(scenario(), replications=3, seed=11, workers=1)
    monkeypatch.setattr(exp.ScenarioStore, "save", parent_save)
    procs = run_experiment(scenario(), replications=3, seed=11, workers=2, out=tmp_path / "o")
    assert received == [], "the workers stored the replications, not the parent"
    assert procs.computed and len(procs.computed) == 3
    assert_tables_equal(serial.tables, procs.tables)
    written = {name: pd.read_parquet(tmp_path / "o" / f"{name}.parquet") for name in serial.tables}
    assert_tables_equal(serial.tables, written)


def test_keep_returns_only_the_named_tables_and_refuses_unknown_names():
    res = run_experiment(scenario(), replications=1, seed=1, workers=1, keep=["fleet", "generations"])
    assert set(res.tables) == {"fleet", "generations"} and len(res.fleet)
    names = pd.Series(["fleet", "generations"], dtype="str")  # names picked from a frame: a Series, its values
    for keep in (names, names.to_numpy(), names.array, pd.Index(names)):
        assert set(run_experiment(scenario(), replications=1, seed=1, workers=1, keep=keep).tables) == {"fleet", "generations"}
    with pytest.raises(ValueError, match="unknown table"):
        run_experiment(scenario(), replications=1, seed=1, workers=1, keep=["fleet", "generatoins"])


def test_replications_get_their_own_streams_and_are_ordered():
    res = run_experiment(scenario(), replications=3, seed=3, workers=1)
    lt = res.lead_times
    assert lt["replication"].tolist() == sorted(lt["replication"]), "concatenated in replication order"
    assert set(lt["replication"]) == {0, 1, 2}
    rep = {r: g.drop(columns="replication").reset_index(drop=True) for r, g in res.orders.groupby("replication")}
    assert not rep[0].equals(rep[1]), "transport times are random: replications must differ"


def test_common_random_numbers_across_scenarios():
    """Replication r of two scenarios run with one seed gets the same streams."""
    res = run_experiment([scenario("a"), scenario("b")], replications=2, seed=5, workers=1)
    a, b = res.scenario("a"), res.scenario("b")
    for name in ("orders", "generations", "lead_times"):
        pdt.assert_frame_equal(a[name].drop(columns="scenario"), b[name].drop(columns="scenario"))


def test_seed_changes_results_and_defaults_to_the_scenarios():
    es = prepare(scenario(seed=42, replications=3))
    assert (es.seed, es.replications) == (42, 3)
    one = run_experiment(scenario(), replications=1, seed=1, workers=1)
    two = run_experiment(scenario(), replications=1, seed=2, workers=1)
    assert not one.orders.equals(two.orders)


def test_executors_yield_every_item_once():
    items = list(range(7))
    with SerialExecutor() as ex:
        assert sorted(ex.run(abs, items)) == [(i, i) for i in items]
    with ProcessExecutor(2) as ex:
        assert sorted(ex.run(abs, items)) == [(i, i) for i in items]
    assert isinstance(make_executor(workers=1), SerialExecutor)
    assert isinstance(make_executor(), ProcessExecutor)


def test_an_aborted_pool_leaves_nothing_for_the_interpreters_exit_hook():
    """Ctrl-C aborts the pool; its manager thread then closes a wakeup pipe that CPython 3.11's exit
    hook writes to without a lock. A close racing the exit printed an 'Exception ignored ... Bad file
    descriptor' traceback after the resume line (5 runs in 55 of the Ctrl-C test), so the abort waits
    for the thread to end: by the exit the pipe is closed, and the hook skips it."""
    import concurrent.futures.process as cfp
    import time

    ex = ProcessExecutor(2)
    stream = ex.run(time.sleep, [0.0, 600.0, 600.0, 600.0])
    assert next(stream) == (0, None)
    manager = ex._pool._executor_manager_thread
    t0 = time.monotonic()
    ex.close(abort=True)
    # the running 600 s sleeps were stopped, not waited for (not a speed limit: half their length)
    assert time.monotonic() - t0 < 300
    assert not manager.is_alive()
    wakeup = cfp._threads_wakeups.get(manager)
    assert wakeup is None or wakeup._closed


def test_duplicate_scenario_names_are_refused():
    from supplychain.errors import InputError

    with pytest.raises(InputError, match="share the name"):
        run_experiment([scenario("a"), scenario("a")], replications=1, workers=1)


def test_files_without_a_name_are_named_after_the_file(tmp_path):
    """`compare a.yaml b.yaml` of two files that set no `name:` ran both as 'scenario' and was refused (one name,
    one folder): a file without a name is named after the file."""
    a, b = (write(tmp_path / f"{n}.yaml", {k: v for k, v in scenario("x").items() if k != "name"}) for n in "ab")
    res = run_experiment([a, b], replications=1, workers=1)
    assert sorted(res.tables["generations"]["scenario"].unique()) == ["a", "b"]


def test_two_files_of_one_name_are_told_how_to_part_them(tmp_path):
    """Two unnamed files of one file name (in two folders) share that name: the line says where it came from."""
    from supplychain.errors import InputError

    body = {k: v for k, v in scenario("x").items() if k != "name"}
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    a, b = write(tmp_path / "one" / "s.yaml", body), write(tmp_path / "two" / "s.yaml", body)
    with pytest.raises(InputError) as err:
        run_experiment([a, b], replications=1, workers=1)
    assert str(err.value) == (f"{b}: name: two scenarios of one experiment share the name 's'; give each its own "
                              "`name:` (a file without one is named after the file), which names its tables and folder")


def test_run_command_writes_run_folder(tmp_path):
    path = write(tmp_path / "s.yaml", scenario("mine"))
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(path), "-n", "2", "--workers", "1", "--seed", "9", "--out", str(out),
                              "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "Model generations" in res.output and "2 replication(s) computed" in res.output
    gens = pd.read_csv(out / "generations.csv")
    assert set(gens["replication"]) == {0, 1} and set(gens["scenario"]) == {"mine"}
    man = json.loads((out / "manifest.json").read_text())
    assert (man["seed"], man["replications"], man["format"], man["kind"]) == (9, 2, "csv", "run")
    assert (out / "summary.md").read_text().startswith("# mine")
    assert not list(out.glob("*.parquet")), "csv requested: no parquet tables at the top"


def test_quiet_prints_nothing(tmp_path):
    path = write(tmp_path / "s.yaml", scenario())
    res = runner.invoke(app, ["run", str(path), "-n", "1", "-w", "1", "-o", str(tmp_path / "o"), "--quiet"])
    assert res.exit_code == 0 and res.stdout == ""


def test_run_without_arguments_runs_the_baseline_policy(tmp_path, monkeypatch):
    (tmp_path / "policies").mkdir()
    write(tmp_path / "policies" / "baseline.yaml", scenario("baseline", replications=1))
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["run", "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "# baseline" in res.output
    assert (tmp_path / "outputs" / "baseline" / "generations.parquet").is_file()


def test_run_without_arguments_from_another_folder_runs_the_checkouts_baseline(tmp_path, monkeypatch):
    """`supplychain run` from a cluster job's working folder failed on `policies/baseline.yaml`, a file the user
    never named: it runs the checkout's (here a small stand-in); a path the user types is taken as typed, and an
    install without the checkout says why there is no default."""
    from supplychain.cli import run_cmd

    stand_in = write(tmp_path / "base.yaml", scenario("base", replications=1))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(run_cmd, "PROJECT_SCENARIO", stand_in, raising=False)
    res = runner.invoke(app, ["run", "-w", "1", "-q"])
    assert res.exit_code == 0, res.output
    assert json.loads((work / "outputs" / "base" / "manifest.json").read_text())["scenarios"][0]["scenario_file"] == str(stand_in)
    typed = runner.invoke(app, ["run", "policies/baseline.yaml", "-q"])
    assert typed.exit_code == 2 and typed.stderr == "policies/baseline.yaml: <file>: no such file\n"
    monkeypatch.setattr(run_cmd, "PROJECT_SCENARIO", tmp_path / "none.yaml")
    res = runner.invoke(app, ["run", "-w", "1", "-q"])
    assert res.exit_code == 2 and res.stderr.splitlines() == [
        "policies/baseline.yaml: <file>: no such file: the default scenario, which is in the project's checkout, "
        "not in this install; name a scenario file"]


@pytest.mark.parametrize("args, start", [
    (["run", "nope.yaml"], "nope.yaml: <file>: no such file"),
    # out-of-range values read like the parser's own errors: the command, the option, the problem, the value
    (["run", "{s}", "--format", "xlsx"], "supplychain run: --format: use parquet or csv (got 'xlsx')"),
    (["run", "{s}", "--workers", "0"], "supplychain run: --workers: must be at least 1 (got 0)"),
    (["run", "{s}", "--replications", "0"], "supplychain run: --replications: must be at least 1 (got 0)"),
    (["run", "{s}", "--seed", "-1"], "supplychain run: --seed: must be at least 0 (got -1)"),
    (["compare", "{s}", "{s}", "-w", "0"], "supplychain compare: --workers: must be at least 1 (got 0)"),
    (["sweep", "{s}", "-p", "labs.utilisation=0.2:0.4", "--lhs", "0"], "supplychain sweep: --lhs: must be at least 1 (got 0)"),
    (["sweep", "{s}", "-p", "labs.utilisation=0.2:0.4", "-n", "0"], "supplychain sweep: --replications: must be at least 1"),
    (["run", "{s}", "--scheduler", "somewhere"], "supplychain run: --scheduler: 'somewhere' is not tcp://HOST:PORT or local"),
    # addresses Dask itself fails to parse (a ValueError and a traceback before)
    (["run", "{s}", "--scheduler", "tcp://host:notaport"], "supplychain run: --scheduler: not a HOST:PORT address ("),
    (["run", "{s}", "--scheduler", "foo://bar"], "supplychain run: --scheduler: unknown address scheme 'foo'"),
    (["run", "{s}", "--scheduler", "tcp://[::1"], "supplychain run: --scheduler: not a HOST:PORT address (Invalid IPv6 URL)"),
    (["run", "{s}", "--scheduler", "tcp://10.0.0.1"], "supplychain run: --scheduler: no port: tcp://HOST:PORT (got 'tcp://10.0.0.1')"),
    (["sweep", "{s}", "-p", "labs.utilisation=0.2,0.4", "--scheduler", "tcp://:8786"],
     "supplychain sweep: --scheduler: not a tcp://HOST:PORT address (got 'tcp://:8786')"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, start):
    path = write(tmp_path / "s.yaml", scenario())
    res = runner.invoke(app, [a.format(s=path) for a in args] + ["-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("option, value, argument", [
    ("--seed", "-1", "seed"), ("--replications", "0", "replications"), ("--workers", "0", "workers"),
    ("--format", "xlsx", "fmt"), ("--out", "{s}", "out"),
])
def test_options_are_refused_as_the_api_refuses_their_arguments(tmp_path, option, value, argument):
    """One check serves both: the command's line is the API's, told as a bad value of the option."""
    from supplychain.errors import InputError

    path = write(tmp_path / "s.yaml", scenario())
    value = value.format(s=path)
    args = ["run", str(path), option, value, "-q"] + ([] if option == "--out" else ["-o", str(tmp_path / "o")])
    res = runner.invoke(app, args)
    with pytest.raises(InputError) as err:
        run_experiment(scenario(), **{argument: int(value) if value.lstrip("-").isdigit() else value})
    assert str(err.value).startswith(f"<arguments>: {argument}: ")
    assert res.exit_code == 2 and res.stderr.splitlines() == [f"supplychain run: {option}: {err.value.problem}"], res.output
    assert path.is_file() and not (tmp_path / "o").exists()


@pytest.mark.parametrize("args, line", [
    (["run", "{s}", "--seed", "abc"], "supplychain run: --seed: Input should be a valid integer, unable to parse string as an "
                                      "integer (got 'abc')"),
    (["run", "{s}", "-n", "abc"], "supplychain run: --replications: Input should be a valid integer"),
    (["run", "{s}", "-n", "1.5"], "supplychain run: --replications: Input should be a valid integer"),
    (["run", "{s}", "--bogus-flag"], "supplychain run: No such option: --bogus-flag"),
    (["compare", "{s}"], "supplychain compare: Missing argument 'scenarios'"),
    (["sweep", "{s}"], "supplychain sweep: Missing option '--param'"),
    (["sweep", "{s}", "--lhs", "x", "-p", "labs.utilisation=0.2:0.4"], "supplychain sweep: --lhs: "),
    (["topology", "show", "{t}", "--top", "abc"], "supplychain topology show: --top: Input should be a valid integer"),
    (["scenario", "validate"], "supplychain scenario validate: Missing argument 'path'"),
    (["nosuchcommand"], "supplychain: No such command 'nosuchcommand'"),
    # the option parser's own errors carry no command: the line still names the subcommand
    (["sweep", "{s}", "--param"], "supplychain sweep: Option '--param' requires an argument"),
    (["scenario", "validate", "{s}", "--bogus"], "supplychain scenario validate: No such option: --bogus"),
    (["--bogus"], "supplychain: No such option: --bogus"),
])
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, line):
    """Typer's usage errors (bad option values, unknown options, missing arguments) are one line on stderr
    like every other bad input, not a box of five or six lines."""
    path = write(tmp_path / "s.yaml", scenario())
    res = runner.invoke(app, [a.format(s=path, t=MINIMAL) for a in args])
    assert res.exit_code == 2, res.output
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(line), res.stderr
    assert res.stdout == "" and not (tmp_path / "outputs").exists()


def test_help_is_still_typers(tmp_path):
    for args in (["--help"], ["run", "--help"], ["topology", "show", "--help"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0 and "Usage: " in res.stdout and "--help" in res.stdout and len(res.stdout.splitlines()) > 5
    res = runner.invoke(app, [])
    assert res.exit_code == 2 and "Commands" in res.output  # no arguments: the help, as before


def test_the_help_of_each_command_ends_with_examples_that_parse():
    """`run --help` showed no example of a call: each command's help ends with a few, and each is a command line
    the parser takes (option names as they are, values of the right kind), so a renamed option breaks this test."""
    import shlex

    from typer.main import get_command

    from supplychain.cli.commands import EXAMPLES

    group = get_command(app)
    for name, lines in EXAMPLES.items():
        help_text = runner.invoke(app, [name, "--help"], terminal_width=200).stdout
        calls = [line for line in lines if line.startswith("supplychain ")]
        assert "Examples:" in help_text and calls and all(line.split("  #")[0].strip() in help_text for line in lines)
        for line in calls:
            words = shlex.split(line, comments=True)[1:]
            command = group.commands[words[0]]
            parsed = command.make_context(words[0], words[1:], parent=group.make_context("supplychain", list(words)))
            assert parsed.params, line


def test_every_table_column_is_documented_in_the_readme(tmp_path):
    """README section "Tables" names every column the program writes (run, compare and sweep folders)."""
    from supplychain.comparison import compare
    from supplychain.sweeps import sweep

    text = (ROOT / "README.md").read_text()
    assert "\n## Tables\n" in text
    section = text.split("\n## Tables\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z_0-9]+)`", section)) | set(re.findall(r"\*\*([a-z_]+)\*\*", section))
    res = run_experiment(scenario(end="2022-12-31"), replications=1, seed=1, workers=1)
    c = compare(scenario("a", end="2022-12-31"), [scenario("b", end="2022-12-31")], replications=1, workers=1)
    s = sweep(scenario(end="2022-12-31"), ["labs.utilisation=0.3,0.4"], replications=1, workers=1)
    frames = {**res.tables, **c.tables, **s.tables}
    for name, df in frames.items():
        assert name in documented, f"table {name} is not documented"
        cols = {col for col in df.columns if not col.startswith(("release_day_g", "release_date_g", "labs."))}
        missing = sorted(cols - documented)
        assert not missing, f"{name}: columns not documented in README 'Tables': {missing}"


def test_public_api_names_the_functions():
    import supplychain.comparison  # noqa: F401  (a loaded submodule must not shadow the function)
    import supplychain.sweeps  # noqa: F401
    from supplychain import compare, make_report, run_experiment as rx, sweep

    assert rx is run_experiment
    assert all(callable(f) and f.__name__ == n for f, n in
               ((compare, "compare"), (sweep, "sweep"), (make_report, "make_report")))


HASH_CHECK = """
import hashlib, sys
from supplychain.experiment import prepare, run_unit, Unit
es = prepare(sys.argv[1], seed=1)
sc = es.scenario.model_copy(update={"end": __import__("datetime").date(2023, 6, 30)})
tables = run_unit(Unit(es.name, sc, es.model, 1, 2))["tables"]
print({k: hashlib.sha256(v.to_csv().encode()).hexdigest()[:16] for k, v in sorted(tables.items())})
"""


def test_results_do_not_depend_on_the_process_hash_seed():
    """Dask workers and resumed runs are other processes, each with its own str hash seed; results must not care.

    Iterating a set of strings (or of tuples holding strings) makes the order of
    events depend on PYTHONHASHSEED: sort such keys.
    """
    scenario_file = ROOT / "policies" / "baseline.yaml"
    if not (scenario_file.is_file() and (ROOT / "topology" / "default.yaml").is_file()):
        pytest.skip("needs the default scenario")
    import os
    import subprocess
    import sys

    out = []
    for hash_seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", HASH_CHECK, str(scenario_file)], capture_output=True, text=True,
                              timeout=300, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert done.returncode == 0, done.stderr[-2000:]
        out.append(done.stdout)
    assert out[0] == out[1], "tables differ between processes with different PYTHONHASHSEED"
