"""Bad command-line input, second round: output paths that cannot be made, odd scenario names, sweep values.

Every case ends in exit status 2 and one line naming the command and the option (or the file and the
field), without a traceback and without leaving an output folder behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _topo import MINIMAL, assert_clean_failure, cli

from supplychain.store import safe_name


def _scenario(folder: Path, name: str = "s", extra: str = "") -> Path:
    path = folder / f"{name.strip('./') or 'x'}.yaml"
    path.write_text(f"name: '{name}'\ntopology: {MINIMAL}\nend: 2022-06-30\nreplications: 1\n{extra}", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_out_below_a_file_is_an_option_error_not_a_traceback(tmp_path: Path, command: str) -> None:
    sc, other = _scenario(tmp_path), _scenario(tmp_path, "t")
    blocker = tmp_path / "run.log"
    blocker.write_text("x")
    args = {"run": [sc], "compare": [sc, other], "sweep": [sc, "--param", "labs.utilisation=0.3"]}[command]
    line = assert_clean_failure(cli(command, *args, "--out", blocker / "sub" / "out", "-n", "1", "-w", "1", "-q"))
    assert line.startswith(f"supplychain {command}: --out: cannot make the folder: ") and "is a file" in line
    assert blocker.read_text() == "x"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_out_where_no_folder_can_be_made_is_an_option_error(tmp_path: Path) -> None:
    line = assert_clean_failure(cli("run", _scenario(tmp_path), "--out", "/proc/no_such_run", "-n", "1", "-w", "1", "-q"))
    assert line.startswith("supplychain run: --out: cannot make the folder (")


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_out_with_bytes_that_are_not_utf8_is_an_option_error(tmp_path: Path, command: str) -> None:
    """A name Linux holds but UTF-8 does not (kept as surrogates, `o\\udcff`): pyarrow could not encode it,
    a UnicodeEncodeError traceback once the first replication was written."""
    out = tmp_path / "o\udcff" / "run"
    args = [_scenario(tmp_path)] + (["--param", "labs.utilisation=0.3"] if command == "sweep" else [])
    line = assert_clean_failure(cli(command, *args, "--out", out, "-n", "1", "-w", "1", "-q"))
    assert line.startswith(f"supplychain {command}: --out: the path is not UTF-8 text; tables cannot be written there (got ")
    assert list(tmp_path.iterdir()) == [tmp_path / "s.yaml"]


def test_out_names_too_long_for_the_file_system(tmp_path: Path) -> None:
    long = tmp_path / ("a" * 300)
    line = assert_clean_failure(cli("run", _scenario(tmp_path), "--out", long, "-n", "1", "-w", "1", "-q"))
    assert line.startswith("supplychain run: --out: cannot use the folder (File name too long)")
    for args in (["topology", "generate", "-n", "10", "-o", f"{long}.yaml"], ["topology", "convert", MINIMAL, long]):
        assert "File name too long" in assert_clean_failure(cli(*args))


@pytest.mark.parametrize("name", [".", "..", "...", "../.."])
def test_a_scenario_name_never_names_a_folder_above_the_outputs(name: str) -> None:
    folder = safe_name(name)
    assert folder not in (".", "..") and "/" not in folder and set(folder) != {"."}


def test_a_scenario_named_dot_dot_runs_in_its_own_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = cli("run", _scenario(tmp_path, ".."), "-n", "1", "-w", "1", "-q")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in work.iterdir()) == ["outputs"]  # not the tables in the working folder
    assert (work / "outputs" / "__" / "manifest.json").is_file()


def test_an_empty_scenario_name_is_refused(tmp_path: Path) -> None:
    sc = _scenario(tmp_path, "")
    assert_clean_failure(cli("scenario", "validate", sc), f"{sc}: name: ")


def test_a_scenario_name_too_long_for_a_folder_names_the_field_not_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """300 characters: `supplychain run: --out: cannot make the folder (File name too long)`, without --out given."""
    monkeypatch.chdir(tmp_path)
    sc = _scenario(tmp_path)
    text = sc.read_text(encoding="utf-8")
    sc.write_text(text.replace("name: 's'", f"name: '{'x' * 300}'"), encoding="utf-8")
    for args in (["scenario", "validate", sc], ["run", sc, "-n", "1", "-w", "1", "-q"]):
        assert_clean_failure(cli(*args), f"{sc}: name: String should have at most 200 characters")
    assert not (tmp_path / "outputs").exists()
    sc.write_text(text.replace("name: 's'", f"name: '{'y' * 200}'"), encoding="utf-8")
    assert cli("scenario", "validate", sc).exit_code == 0


@pytest.mark.parametrize("value, words", [("2024-13-01", "month must be in 1..12"), ("2024-02-30", "day is out of range"),
                                          ("!!int x", "cannot read value"), ("9" * 5000, "cannot read value")])
def test_sweep_values_python_cannot_read_are_option_errors(tmp_path: Path, value: str, words: str) -> None:
    out = tmp_path / "out"
    line = assert_clean_failure(cli("sweep", _scenario(tmp_path), "--param", f"end={value}", "--out", out))
    assert line.startswith("supplychain sweep: --param end: ") and words in line
    assert not out.exists()
    assert len(line) < 200


# --- report on a folder that is not quite a run's ---------------------------------


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("report")
    out = base / "run"
    result = cli("run", _scenario(base), "--out", out, "-n", "1", "-w", "1", "-q")
    assert result.exit_code == 0, result.stderr
    return out


def _copy(run_folder: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(run_folder, tmp_path / "run"))


@pytest.mark.parametrize("manifest, field", [("[]", "<root>"), ('{"kind": "compare"}', "scenarios"),
                                             ('{"scenarios": [{"x": 1}]}', "scenarios.0.name"), ('{"scenarios": 5}', "scenarios"),
                                             ("{bad", "<file>")])
def test_report_on_a_malformed_manifest_names_it(run_folder: Path, tmp_path: Path, manifest: str, field: str) -> None:
    folder = _copy(run_folder, tmp_path)
    (folder / "manifest.json").write_text(manifest)
    assert_clean_failure(cli("report", folder, "-q"), f"{folder / 'manifest.json'}: {field}: ")
    assert not (folder / "figures").exists() and not (folder / "report.html").exists()


def test_report_on_a_table_without_a_column_writes_no_figure(run_folder: Path, tmp_path: Path) -> None:
    """The figures before the one that failed (KeyError traceback) used to be written: half a report. The report
    says it as `load_run` does (it said "not a table a run writes", `load_run` "not the orders table the program writes")."""
    import pandas as pd

    from supplychain import load_run
    from supplychain.errors import InputError

    folder = _copy(run_folder, tmp_path)
    orders = pd.read_parquet(folder / "orders.parquet")
    orders.drop(columns=["cause"]).to_parquet(folder / "orders.parquet")
    line = assert_clean_failure(cli("report", folder, "-q"), f"{folder / 'orders.parquet'}: cause: missing column; "
                                                             "not the orders table the program writes, or one of an older program (has [")
    assert not (folder / "figures").exists() and not (folder / "report.html").exists()
    with pytest.raises(InputError) as err:
        load_run(folder).orders
    assert line.endswith(str(err.value))


def test_report_on_a_missing_table_names_the_file(run_folder: Path, tmp_path: Path) -> None:
    folder = _copy(run_folder, tmp_path)
    (folder / "events.parquet").unlink()
    assert_clean_failure(cli("report", folder, "-q"), f"{folder / 'events.parquet'}: <file>: no such table")



@pytest.mark.parametrize("text", ["summary.md", "compare/compare.md"])
def test_report_on_a_text_that_is_not_utf8_names_it_and_writes_nothing(run_folder: Path, tmp_path: Path, text: str) -> None:
    """A summary.md saved in another encoding (or damaged) ended `report` in a UnicodeDecodeError traceback,
    after the figures had been written: figures/ without the report.html that shows them."""
    folder = _copy(run_folder, tmp_path)
    (folder / text).parent.mkdir(exist_ok=True)
    (folder / text).write_bytes("caf\u00e9 lead times\n".encode("latin-1"))
    assert_clean_failure(cli("report", folder, "-q"), f"{folder / text}: <file>: not UTF-8 text (")
    assert not (folder / "figures").exists() and not (folder / "report.html").exists()


@pytest.mark.parametrize("block, problem", [
    ("figures", "a file where the report writes its figures folder; move it away"),
    ("report.html/", "a folder where the report writes a file; move it away"),
    ("figures/fleet.png/", "a folder where the report writes a file; move it away"),
])
def test_report_where_a_file_or_folder_is_in_the_way_names_it_and_writes_nothing(run_folder: Path, tmp_path: Path,
                                                                              block: str, problem: str) -> None:
    """A file named `figures`, or a folder named `report.html`, ended `report` in a traceback (FileExistsError,
    IsADirectoryError) after it had written some figures."""
    folder = _copy(run_folder, tmp_path)
    shutil.rmtree(folder / "figures", ignore_errors=True)
    (folder / "report.html").unlink(missing_ok=True)
    path = folder / block.rstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir() if block.endswith("/") else path.write_text("x")
    assert_clean_failure(cli("report", folder, "-q"), f"{path}: <file>: {problem}")
    assert not [p for p in (folder / "figures").glob("*.png") if p.is_file()] if (folder / "figures").is_dir() else True
    assert (folder / "report.html").is_file() is False

@pytest.mark.parametrize("rng, line", [
    ("labs.utilisation=0.5:1.5", "--param labs.utilisation: the range 0.5:1.5: Input should be less than or equal to 1 (got 1.5)"),
    ("labs.utilisation=-0.5:0.5", "--param labs.utilisation: the range -0.5:0.5: Input should be greater than 0 (got -0.5)"),
])
def test_a_range_reaching_past_a_fields_bounds_names_the_range_not_a_sample(tmp_path: Path, rng: str, line: str) -> None:
    """An LHS range partly out of bounds was refused at the first sample that fell out (`got 1.0728...`), a value
    nobody wrote: the line names the range and the end past the bound."""
    out = tmp_path / "out"
    assert_clean_failure(cli("sweep", _scenario(tmp_path), "--lhs", "4", "--param", rng, "--out", out),
                         f"supplychain sweep: {line}")
    assert not out.exists()


# --- counts too large to plan, and long values ------------------------------------


@pytest.mark.parametrize("args, line", [
    (["run", "{sc}", "-n", "1000000000"], "supplychain run: --replications: must be at most 100,000 (got 1000000000)"),
    (["sweep", "{sc}", "--lhs", "1000000000", "--param", "labs.utilisation=0.3:0.5"],
     "supplychain sweep: --lhs: must be at most 100,000 (got 1000000000)"),
    (["sweep", "{sc}", "--param", "labs.utilisation=" + ",".join(["0.3"] * 400),
      "--param", "generations.scale=" + ",".join(str(2 + i) for i in range(400))],
     "supplychain sweep: --param: the grid has 160,000 points; at most 100,000 (use --lhs to sample it)"),
    (["topology", "generate", "-n", "100000000000", "-o", "{tmp}/big.yaml"],
     "supplychain topology generate: --nodes: at most 1,000,000 nodes (got 100000000000)"),
])
def test_counts_too_large_to_plan_are_refused_before_any_work(tmp_path: Path, args: list[str], line: str) -> None:
    """10^9 replications or LHS points were planned one by one before the first ran (minutes, then memory)."""
    sc = _scenario(tmp_path)
    out = tmp_path / "out"
    args = [a.format(sc=sc, tmp=tmp_path) for a in args] + ([] if args[0] == "topology" else ["--out", str(out)])
    assert assert_clean_failure(cli(*args)) == line
    assert not out.exists() and not (tmp_path / "big.yaml").exists()


def test_a_scenario_asking_for_too_many_replications_is_refused(tmp_path: Path) -> None:
    sc = _scenario(tmp_path, extra="seed: 1\n").with_suffix(".yaml")
    sc.write_text(sc.read_text().replace("replications: 1", "replications: 1000000000"))
    assert_clean_failure(cli("scenario", "validate", sc), f"{sc}: replications: Input should be less than or equal to 100000")


def test_convert_onto_its_own_input_is_refused(tmp_path: Path) -> None:
    """It rewrote the file in the lean form: comments, and the sources they carried, were gone."""
    path = tmp_path / "m.yaml"
    path.write_text(MINIMAL.read_text())
    assert_clean_failure(cli("topology", "convert", path, tmp_path / "." / "m.yaml"), f"{tmp_path / 'm.yaml'}: <file>: is the input")
    assert path.read_text() == MINIMAL.read_text()


def test_an_option_value_too_long_is_shortened_in_the_line(tmp_path: Path) -> None:
    line = assert_clean_failure(cli("run", _scenario(tmp_path), "--seed", "9" * 5000))
    assert line.startswith("supplychain run: --seed: ") and len(line) < 250


@pytest.mark.parametrize("command", [["topology", "convert", str(MINIMAL)], ["topology", "generate", "-n", "10", "-o"]])
def test_a_yaml_output_that_is_a_folder_is_refused(tmp_path: Path, command: list[str]) -> None:
    """It became a CSV folder named t.yaml, which asked for YAML."""
    folder = tmp_path / "t.yaml"
    folder.mkdir()
    assert_clean_failure(cli(*command, folder), f"{folder}: <file>: is a folder; a .yaml topology is a file")
    assert list(folder.iterdir()) == []


def test_a_topology_given_as_the_scenario_and_the_reverse_say_so(tmp_path: Path) -> None:
    """Not `products: unknown field` or `nodes: a topology needs at least one node`: the file is the other kind."""
    sc = _scenario(tmp_path)
    out = tmp_path / "o"
    line = assert_clean_failure(cli("run", MINIMAL, "--out", out, "-q"))
    assert line == (f"{MINIMAL}: <root>: this is a topology (it has nodes and edges), not a scenario: a scenario names "
                    "it as `topology: FILE`, or pass it with --topology")
    for args in (["run", sc, "--topology", sc, "--out", out, "-q"], ["topology", "validate", sc]):
        line = assert_clean_failure(cli(*args))
        assert line.startswith(f"{sc}: <root>: this is a scenario (it has no nodes, and scenario fields), not a topology")
    assert not out.exists()



@pytest.mark.parametrize("command", ["run", "compare", "sweep", "scenario validate"])
def test_a_topology_in_another_format_or_a_folder_given_as_the_scenario_says_what_it_is(tmp_path: Path, command: str) -> None:
    """A GraphML topology read as `invalid YAML` at a line of its XML, a CSV topology's table at a line of the CSV;
    `compare` and `sweep` said `no such file` of a folder that exists."""
    from supplychain.topology import load_topology, save_topology

    save_topology(load_topology(MINIMAL), tmp_path / "t.graphml")
    save_topology(load_topology(MINIMAL), tmp_path / "csv")
    (tmp_path / "folder").mkdir()
    topo = "a scenario names it as `topology: {}`, or pass it with --topology"
    out = tmp_path / "o"
    for given, line in [
        ("t.graphml", "<root>: this is a GraphML topology, not a scenario: " + topo.format("FILE")),
        ("csv", "<root>: this is a CSV topology folder, not a scenario: " + topo.format("FOLDER")),
        ("csv/nodes.csv", "<root>: this is a CSV table, not a scenario (a YAML file); its folder is a CSV topology: "
                          + topo.format("FOLDER")),
        ("folder", "<file>: is a folder, expected a scenario file (YAML)"),
    ]:
        path = tmp_path / given
        args = {"run": [path, "--out", out, "-q"], "compare": [_scenario(tmp_path), path, "--out", out, "-q"],
                "sweep": [path, "--param", "labs.utilisation=0.3", "--out", out, "-q"],
                "scenario validate": [path]}[command]
        assert assert_clean_failure(cli(*command.split(), *args)) == f"{path}: {line}"
    assert not out.exists()

def test_out_a_link_to_nowhere_says_so(tmp_path: Path) -> None:
    """It said 'cannot make the folder (File exists)' of a path that does not exist."""
    (tmp_path / "out").symlink_to(tmp_path / "gone")
    line = assert_clean_failure(cli("run", _scenario(tmp_path), "-q", "--out", tmp_path / "out"))
    assert line == f"supplychain run: --out: a link to {str(tmp_path / 'gone')!r}, which does not exist (got {str(tmp_path / 'out')!r})"
    assert not (tmp_path / "gone").exists()


@pytest.mark.parametrize("args, name", [
    (["run", "-t", ""], "--topology"), (["run", ""], "SCENARIO"), (["run", "--out", ""], "--out"),
    (["compare", "", "x.yaml"], "BASELINE"), (["compare", "x.yaml", ""], "SCENARIOS"), (["sweep", ""], "SCENARIO"),
    (["report", ""], "RUN_DIR"), (["topology", "validate", ""], "PATH"), (["topology", "convert", "", "x.yaml"], "IN"),
    (["topology", "convert", str(MINIMAL), ""], "OUT"), (["topology", "generate", "-n", "10", "-o", ""], "--out"),
    (["scenario", "show", ""], "PATH")])
def test_an_empty_path_is_a_usage_error_naming_the_argument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            args: list[str], name: str) -> None:
    """`-t ""` (an unset shell variable) became the working folder: the line named `nodes.csv`, or `.`,
    and `--out ""` wrote into the working folder's run; an argument's bad value crashed the usage line."""
    monkeypatch.chdir(tmp_path)
    line = assert_clean_failure(cli(*args))
    command = " ".join(a for a in args[:2] if a in ("run", "compare", "sweep", "report", "topology", "scenario", "validate",
                                                    "convert", "generate", "show"))
    assert line == f"supplychain {command}: {name}: an empty path; name a file or folder (got '')"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["scenario", "show", "policies/baseline.yaml"], ["topology", "show", "topology/default.yaml"],
                                  ["scenario", "schema"], ["--help"]])
def test_a_command_printing_into_a_closed_pipe_ends_quietly_with_status_1(args: list[str]) -> None:
    """`supplychain scenario show FILE | head -1`: Python's note on SIGPIPE, no traceback and no message (not even
    "Exception ignored" from the flush at exit), status 1. Typer's main does it (stdout pacified, exit 1)."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line
    try:
        r = subprocess.run([sys.executable, "-c", "from supplychain.cli import main; main()", *args], stdout=write,
                           stderr=subprocess.PIPE, text=True, env=env, cwd=root, timeout=120)
    finally:
        os.close(write)
    assert (r.returncode, r.stderr) == (1, "")


def test_a_usage_error_after_a_root_option_names_the_command(tmp_path: Path) -> None:
    """`supplychain --plugin mine.py run s.yaml --seed abc`: the line names `run`, as without `--plugin`
    (the words before the first option name no command, so the line cannot be read off them)."""
    (tmp_path / "mine.py").write_text("")
    line = assert_clean_failure(cli("--plugin", tmp_path / "mine.py", "run", _scenario(tmp_path), "--seed", "abc"))
    assert line.startswith("supplychain run: --seed: "), line
    assert line.endswith("(got 'abc')"), line


@pytest.mark.parametrize("args, line", [
    (["nosuchcommand"], "supplychain: No such command 'nosuchcommand'"),
    (["scenario", "validate"], "supplychain scenario validate: Missing argument 'path'"),
    (["sweep", "x.yaml"], "supplychain sweep: Missing option '--param' / '-p'"),
])
def test_a_usage_error_is_one_sentence_without_the_closing_full_stop(args: list[str], line: str) -> None:
    """The line reads like every other bad-input line, `where: problem`, with no full stop after Click's sentence."""
    assert assert_clean_failure(cli(*args)) == line


@pytest.mark.parametrize("value", [" ", "\t"])
def test_a_path_of_blanks_is_an_empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """`-t " "` names no file either: refused as `-t ""` is, not looked up as a file named by a blank."""
    monkeypatch.chdir(tmp_path)
    line = assert_clean_failure(cli("run", "-t", value))
    assert line == f"supplychain run: --topology: an empty path; name a file or folder (got {value!r})"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, line", [
    (["sweep", "x.yaml", "--param"], "supplychain sweep: Option '--param' requires an argument"),
    (["scenario", "validate", "x.yaml", "--topology"], "supplychain scenario validate: Option '--topology' requires an argument"),
])
def test_an_option_missing_its_value_after_a_root_option_names_the_command(tmp_path: Path, args: list[str], line: str) -> None:
    """The option parser's own errors carry no command, so the line reads it off the words typed: with
    `--plugin FILE` before the command those were taken to end the command's path (`supplychain: Option ...`)."""
    (tmp_path / "mine.py").write_text("")
    assert assert_clean_failure(cli("--plugin", tmp_path / "mine.py", *args)) == line
    assert assert_clean_failure(cli(*args)) == line


@pytest.mark.parametrize("step", ["parse_args", "resolve_command"])
def test_ctrl_c_before_a_commands_guard_is_interrupted_with_status_130(monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    """While the words are parsed or the command is found, a Ctrl-C ended silently with status 130 (Typer 0.29),
    or as `Aborted!` with status 1 (older Typer): every other Ctrl-C says `interrupted` and exits 130."""
    from typer.core import TyperGroup

    def ctrl_c(self, ctx, args):
        raise KeyboardInterrupt

    monkeypatch.setattr(TyperGroup, step, ctrl_c)
    res = cli("topology", "validate", MINIMAL)
    assert (res.exit_code, res.stderr.strip()) == (130, "interrupted")
