"""Plug-ins: a user's module named on the command line registers before the files are read."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml
from _plugins import POLICY, forget  # noqa: F401 - forget is a fixture
from _topo import MINIMAL, assert_clean_failure, cli

from supplychain.engine.ordering import ORDERING_POLICIES
from supplychain.engine.production import ALLOCATION_RULES
from supplychain.engine.shocks import SHOCK_KINDS
from supplychain.errors import PluginError
from supplychain.plugins import load_plugin


def scenario(folder: Path, **fields) -> Path:
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "plug", "topology": str(MINIMAL), "end": "2022-03-31", "replications": 1,
                                    **fields}))
    return path


def first_lab_order(out: Path) -> float:
    return float(pd.read_csv(out / "orders.csv").query("kind == 'lab'")["qty"].iloc[0])


def test_a_plugin_file_registers_a_policy_the_scenario_names(tmp_path, forget):
    (tmp_path / "mine.py").write_text(textwrap.dedent(POLICY))
    sc = scenario(tmp_path, labs={"ordering": "half_gap"})
    res = cli("--plugin", tmp_path / "mine.py", "run", sc, "-w", "1", "-q", "--format", "csv", "--out", tmp_path / "a")
    assert res.exit_code == 0, res.stderr
    base = cli("run", scenario(tmp_path), "-w", "1", "-q", "--format", "csv", "--out", tmp_path / "b")
    assert base.exit_code == 0, base.stderr
    assert first_lab_order(tmp_path / "a") == pytest.approx(first_lab_order(tmp_path / "b") / 2)


def test_a_plugin_module_is_imported_by_name_from_the_working_folder(tmp_path, monkeypatch, forget):
    (tmp_path / "my_policies.py").write_text(textwrap.dedent(POLICY))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # the console script's working folder; in-process here
    sc = scenario(tmp_path, labs={"ordering": "half_gap"})
    res = cli("--plugin", "my_policies", "run", sc, "-w", "1", "-q", "--out", tmp_path / "o")
    assert res.exit_code == 0, res.stderr


def test_the_console_script_imports_a_plugin_module_from_the_working_folder(tmp_path):
    """The installed script's sys.path starts with its own folder, not the working one: `--plugin NAME`
    looks in the working folder too, as `python -m` would."""
    import subprocess
    import sys

    script = Path(sys.executable).parent / "supplychain"
    if not script.exists():
        pytest.skip("no console script beside this interpreter")
    (tmp_path / "my_policies.py").write_text(textwrap.dedent(POLICY))
    sc = scenario(tmp_path, labs={"ordering": "half_gap"})
    res = subprocess.run([str(script), "--plugin", "my_policies", "scenario", "validate", str(sc)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr


def test_a_plugin_file_imports_a_module_beside_it_from_any_working_folder(tmp_path, monkeypatch, forget):
    """As `python plug/mine.py` would: the file's folder is searched first while it loads."""
    import sys

    from supplychain.plugins import _FROM_FILES

    folder = tmp_path / "plug"
    (folder / ".venv" / "site-packages").mkdir(parents=True)
    (folder / "half_gap_part.py").write_text("PART = 0.5\n")
    (folder / ".venv" / "site-packages" / "installed_dep.py").write_text("X = 1\n")  # installed, not a sibling
    (folder / "mine.py").write_text(textwrap.dedent(POLICY).replace('part=0.5', 'part=half_gap_part.PART')
                                    .replace("from supplychain", "import half_gap_part\nimport installed_dep\nfrom supplychain"))
    monkeypatch.chdir(tmp_path)  # not the plug-in's folder
    monkeypatch.setattr(sys, "path", [*sys.path, str(folder / ".venv" / "site-packages")])
    try:
        load_plugin("plug/mine.py")
        assert ORDERING_POLICIES["half_gap"].defaults == {"part": 0.5}
        assert sys.path[0] != str(folder)  # first only while the file loads
        assert "half_gap_part" in _FROM_FILES and "installed_dep" not in _FROM_FILES  # what goes to Dask by value
    finally:
        sys.modules.pop("half_gap_part", None)
        sys.modules.pop("installed_dep", None)


def test_replications_made_by_an_earlier_version_of_a_plugin_are_not_reused(tmp_path, forget):
    """Editing a plug-in changes results without changing the scenario or the program: a rerun into the same
    folder must not stack the old replications as if they were the new code's (as it did)."""
    import json
    import sys

    folder = tmp_path / "plug"
    folder.mkdir()
    (folder / "half_gap_part.py").write_text("PART = 0.5\n")
    mine = folder / "mine.py"
    mine.write_text("import half_gap_part\n" + textwrap.dedent(POLICY))
    sc, out = scenario(tmp_path, labs={"ordering": "half_gap"}), tmp_path / "o"
    run = ("--plugin", mine, "run", sc, "-w", "1", "-q", "--format", "csv", "--out", out)
    try:
        assert cli(*run).exit_code == 0
        assert cli(*run).exit_code == 0  # unchanged: resumed, all stored
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["reused"] == 1
        stored = json.loads((out / "replications" / "plug" / "config.json").read_text())["plugins"]
        assert manifest["scenarios"][0]["plugins"] == stored  # provenance: which plug-in code made the tables
        (folder / "half_gap_part.py").write_text("PART = 0.25\n")  # the module beside it counts too
        mine.write_text(mine.read_text() + "\n# edited\n")
        line = assert_clean_failure(cli(*run))
        assert line.startswith(f"{out / 'replications' / 'plug'}: plugins: stored replications were made by other plug-in code")
        assert cli(*run[:-2], "--fresh", "--out", out).exit_code == 0
    finally:
        sys.modules.pop("half_gap_part", None)
    plain = tmp_path / "b"
    assert cli("run", scenario(tmp_path), "-w", "1", "-q", "--out", plain).exit_code == 0
    assert "plugins" not in json.loads((plain / "replications" / "plug" / "config.json").read_text())  # as before


def test_a_plugin_fingerprint_ignores_where_a_notebook_defined_it_but_not_what_it_does(forget):
    from supplychain.engine.ordering import register_ordering
    from supplychain.plugins import plugins_fingerprint
    from supplychain.scenario import resolve
    from supplychain.topology import graph_to_model

    def fingerprint(cell: str, name: str) -> str | None:
        exec(compile(textwrap.dedent(cell), name, "exec"), {"register_ordering": register_ordering})
        sc = resolve({"name": "p", "topology": str(MINIMAL), "labs": {"ordering": "half_gap"}})
        return plugins_fingerprint(graph_to_model(sc.topology), sc.scenario)

    cell = POLICY.replace("from supplychain.engine.ordering import register_ordering", "")
    first = fingerprint(cell, "<kernel 1 cell 3>")
    assert first is not None and fingerprint("\n\n" + cell, "<kernel 2 cell 9>") == first  # a new session
    assert fingerprint(cell.replace("r.params", "0.9 * r.params"), "<kernel 2 cell 10>") != first
    assert fingerprint(cell.replace("part=0.5", "part=0.4"), "<kernel 2 cell 11>") != first  # a default
    sc = resolve({"name": "p", "topology": str(MINIMAL)})
    assert plugins_fingerprint(graph_to_model(sc.topology), sc.scenario) is None  # built-ins only


def test_without_the_plugin_the_scenario_names_an_unknown_policy(tmp_path):
    sc = scenario(tmp_path, labs={"ordering": "half_gap"})
    line = assert_clean_failure(cli("run", sc, "-q", "--out", tmp_path / "o"))
    assert line == f"{sc}: labs.ordering: unknown ordering policy (got 'half_gap'); registered: order_up_to, smooth"


@pytest.mark.parametrize(("make", "spec", "line"), [
    (None, "nope.py", "supplychain: --plugin: no such file (got '"),
    (None, "no_such_module_here", "supplychain: --plugin: no module named 'no_such_module_here' (got 'no_such_module_here')"),
    ("import no_such_dependency\n", "broken.py",
     "supplychain: --plugin: ModuleNotFoundError while importing it: No module named 'no_such_dependency' (got '"),
    ("raise RuntimeError('bad\\nplugin')\n", "raises.py",
     "supplychain: --plugin: RuntimeError while importing it: bad plugin (got '"),
    ("def f(:\n", "syntax.py", "supplychain: --plugin: SyntaxError while importing it: "),
    # a sys.exit() in it ended the command with its status (3, or 0 as if the run had gone well) and no word
    ("import sys\nsys.exit(3)\n", "exits.py", "supplychain: --plugin: it called sys.exit(3) while being imported; "
                                              "a plug-in module should only define and register (got '"),
    ("import sys\nsys.exit()\n", "exits0.py", "supplychain: --plugin: it called sys.exit(None) while being imported"),
])
def test_a_plugin_that_cannot_be_loaded_is_one_line_and_exit_2(tmp_path, make, spec, line):
    if make is not None:
        (tmp_path / spec).write_text(make)
    target = str(tmp_path / spec) if spec.endswith(".py") else spec
    got = assert_clean_failure(cli("--plugin", target, "run", scenario(tmp_path), "-q", "--out", tmp_path / "o"))
    assert got.startswith(line), got  # the path itself is shortened when long
    assert not (tmp_path / "o").exists()


def test_a_plugin_option_after_the_command_says_where_it_goes(tmp_path):
    got = assert_clean_failure(cli("run", "--plugin", tmp_path / "mine.py", scenario(tmp_path), "-q"))
    assert got == "supplychain run: No such option: --plugin (it goes before the command: supplychain --plugin FILE run ...)"


def test_a_plugin_path_that_is_a_folder_says_so(tmp_path):
    (tmp_path / "rules.py").mkdir()
    got = assert_clean_failure(cli("--plugin", tmp_path / "rules.py", "run", scenario(tmp_path), "-q", "--out", tmp_path / "o"))
    assert got.startswith("supplychain: --plugin: a folder, not a Python file (got '"), got



@pytest.mark.parametrize("name", ["rules.txt", "rules.yaml"])
def test_a_plugin_named_by_a_file_that_is_not_python_says_so(tmp_path, monkeypatch, name):
    """`--plugin rules.txt` (a file beside the command) said `no module named 'rules'`, of a file that exists."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text("x = 1\n")
    got = assert_clean_failure(cli("--plugin", name, "run", scenario(tmp_path), "-q", "--out", tmp_path / "o"))
    assert got == f"supplychain: --plugin: a file, not a Python file (.py) or a module name (got '{name}')"
    assert not (tmp_path / "o").exists()


# -- a plug-in that raises or breaks its contract: one line naming it, exit 2 -------------------------------
BROKEN = '''
    from supplychain.engine.ordering import register_ordering
    from supplychain.engine.production import register_allocation
    from supplychain.engine.shocks import register_shock_kind

    @register_ordering("divides")
    def divides(r):
        return r.level / 0.0

    @register_ordering("gives_nan")
    def gives_nan(r):
        return float("nan")

    @register_ordering("gives_text")
    def gives_text(r):
        return "lots"

    @register_shock_kind("breaks_down")
    def breaks_down(net, shock, f, begin, nodes):
        raise KeyError("no such array")

    @register_ordering("quits")
    def quits(r):
        import sys
        sys.exit(0)

    @register_shock_kind("quits_too")
    def quits_too(net, shock, f, begin, nodes):
        import sys
        sys.exit(3)

    @register_allocation("greedy")
    def greedy(book, budget, y):  # ignores the budget
        from supplychain.engine.production import startable
        return [(o, startable(o)) for o in book if startable(o) > 0]
'''


@pytest.fixture
def broken(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text(textwrap.dedent(BROKEN))
    yield path
    for name in ("divides", "gives_nan", "gives_text", "quits"):
        ORDERING_POLICIES.pop(name, None)
    SHOCK_KINDS.pop("breaks_down", None)
    SHOCK_KINDS.pop("quits_too", None)
    ALLOCATION_RULES.pop("greedy", None)


@pytest.mark.parametrize(("fields", "line"), [
    ({"labs": {"ordering": "divides"}},
     "<plugin>: ordering.divides: raised ZeroDivisionError for lab 'lab' on day 0: float division by zero"),
    ({"labs": {"ordering": "gives_nan"}},
     "<plugin>: ordering.gives_nan: returned nan H100e for lab 'lab' on day 0: it must return a finite number"),
    ({"labs": {"ordering": "gives_text"}},
     "<plugin>: ordering.gives_text: returned 'lots' H100e for lab 'lab' on day 0: it must return a finite number"),
    ({"shocks": [{"id": "s", "kind": "breaks_down", "start": "2022-02-01", "multiplier": 0.5, "target": {"ids": ["fab"]}}]},
     "<plugin>: shock.breaks_down: raised KeyError applying shock 's': 'no such array'"),
    # sys.exit() in a plug-in ended the command with its status (0: a run that wrote nothing, read as done)
    ({"labs": {"ordering": "quits"}}, "<plugin>: ordering.quits: called sys.exit(0) for lab 'lab' on day 0: a plug-in "
                                      "returns its answer, it does not end the program"),
    ({"shocks": [{"id": "s", "kind": "quits_too", "start": "2022-02-01", "multiplier": 0.5, "target": {"ids": ["fab"]}}]},
     "<plugin>: shock.quits_too: called sys.exit(3) applying shock 's': a plug-in returns its answer, it does not end "
     "the program"),
])
def test_a_plugin_that_raises_or_returns_no_number_stops_the_run_with_one_line(tmp_path, broken, fields, line):
    """The user's code is at fault, not the input files or the engine: exit 2 and one line naming the
    entry, also when the run is a worker process's (the error pickles by its fields)."""
    for workers in ("1", "2"):
        out = tmp_path / f"o{workers}"
        got = assert_clean_failure(cli("--plugin", broken, "run", scenario(tmp_path, **fields), "--out", out, "-q",
                                       "-n", workers, "-w", workers))
        assert got == line
        assert not (out / "manifest.json").exists()


def test_a_plugin_error_after_progress_bars_is_the_last_line_and_clean(tmp_path, broken, monkeypatch):
    """Without -q, bars forced onto a log (SUPPLYCHAIN_PROGRESS=1) closed on the error but left their clearing
    codes open on its line: the last line read `   \x1b[A<plugin>: ...`."""
    monkeypatch.setenv("SUPPLYCHAIN_PROGRESS", "1")
    shock = {"id": "s", "kind": "breaks_down", "start": "2022-02-01", "multiplier": 0.5, "target": {"ids": ["fab"]}}
    for workers in ("1", "2"):
        res = cli("--plugin", broken, "run", scenario(tmp_path, shocks=[shock]), "--out", tmp_path / f"o{workers}",
                  "-n", "2", "-w", workers)
        assert res.exit_code == 2, res.stderr
        assert "simulated" in res.stderr and "Traceback" not in res.stderr  # the bars drew
        assert res.stderr.splitlines()[-1] == "<plugin>: shock.breaks_down: raised KeyError applying shock 's': 'no such array'"


def test_an_allocation_rule_that_spends_more_than_the_budget_is_an_error_naming_it(broken):
    from supplychain.plugins import load_plugin
    from supplychain.results import simulate
    from supplychain.topology import parse_topology
    from _topo import minimal_data, node

    load_plugin(str(broken))
    data = minimal_data()
    node(data, "packager")["allocation"] = "greedy"
    with pytest.raises(PluginError, match=r"^<plugin>: allocation.greedy: spent [\d.e+]+ capacity units at node 'packager' "
                                          r"on day \d+, more than the budget of [\d.e+]+$"):
        simulate(parse_topology(data), {"name": "g", "end": "2022-12-31"})


@pytest.mark.parametrize(("answer", "problem"), [
    ("[(book[0], 2 * startable(book[0]))]", r"gave [\d.e+]+ units to an order at node 'src' on day \d+, more than the [\d.e+]+ it may start"),
    ("[(book[0], 0.6 * startable(book[0]))] * 2", r"gave [\d.e+]+ units to an order at node 'src' on day \d+, more than the "
                                                  r"[\d.e+]+ it may start"),  # in two parts, each within
    ("[(book[0], -1.0)]", r"gave -1.0 units to an order at node 'src' on day \d+: amounts must be positive and finite"),
    ("[(book[0], 0.0)]", r"gave 0.0 units to an order at node 'src' on day \d+: amounts must be positive and finite"),
    ("[(object(), 1.0)]", r"gave units to an order not in the book at node 'src' on day \d+"),
    ("[book[0]]", r"returned a Order at node 'src' on day \d+: it must return \(order, good units\) pairs"),
    ("None", r"returned None at node 'src' on day \d+: it must return a list of \(order, good units\) pairs"),
    ("((o, 1 / 0) for o in book)", r"raised ZeroDivisionError at node 'src' on day \d+: division by zero"),  # raises when listed
    ("__import__('sys').exit(0)", r"called sys.exit\(0\) at node 'src' on day \d+: a plug-in returns its answer, it does "
                                  r"not end the program"),

    *[(f"({change}, [])[1]", r"changed the book at node 'src' on day \d+ \(added, removed or reordered orders\): a rule "
       r"reads it, the engine keeps it; sort a copy, e.g. sorted\(book, key=...\)")
      for change in ("book.pop()", "book.append(book[0])", "book.sort(key=lambda o: -o.entered)")],
])
def test_an_allocation_rule_is_held_to_its_contract(answer, problem):
    """Each breach of `register_allocation`'s contract, which would make units from nothing or start
    what has no inputs, is caught at the call; the built-in rules are not checked (the engine's own)."""
    from supplychain.engine.production import register_allocation, startable
    from supplychain.results import simulate

    from conftest import serial_chain

    namespace = {"startable": startable}
    exec(f"def rule(book, budget, y):\n    return {answer}", namespace)
    register_allocation("breach")(namespace["rule"])
    model = serial_chain(7.0, 1.0, 1.0, 0.0, demand_rate=2.0)
    model.nodes[0].allocation = "breach"
    try:
        with pytest.raises(PluginError, match="^<plugin>: allocation.breach: " + problem + "$"):
            simulate(model, {"name": "b", "end": "2022-03-31"})
    finally:
        ALLOCATION_RULES.pop("breach", None)


def test_an_allocation_rule_may_round_its_amounts_and_a_policy_must_return_one_number():
    """float32 amounts (a rule's own rounding) are within the contract's tolerance; an ordering policy's
    numpy array is refused by name (it was a ValueError traceback: 'truth value ... ambiguous')."""
    import numpy as np

    from supplychain.engine.allocation import fifo
    from supplychain.engine.ordering import register_ordering
    from supplychain.engine.production import register_allocation
    from supplychain.results import simulate

    from conftest import serial_chain

    register_allocation("rounded")(lambda book, budget, y: [(o, float(np.float32(g))) for o, g in fifo(book, budget, y)])
    model = serial_chain(7.0, 1.0, 1.0, 0.0, demand_rate=2.9)
    model.nodes[0].allocation = "rounded"
    try:
        assert len(simulate(model, {"name": "r", "end": "2022-06-30"}).orders)
    finally:
        ALLOCATION_RULES.pop("rounded", None)
    register_ordering("arrayed")(lambda r: np.array([1.0, 2.0]))
    from _topo import minimal_data
    from supplychain.topology import parse_topology

    try:
        with pytest.raises(PluginError, match=r"^<plugin>: ordering.arrayed: returned array\(\[1\., 2\.\]\) H100e"):
            simulate(parse_topology(minimal_data()), {"name": "a", "end": "2022-03-31", "labs": {"ordering": "arrayed"}})
    finally:
        ORDERING_POLICIES.pop("arrayed", None)


def test_two_plugin_files_of_one_name_in_two_folders_are_two_modules(tmp_path):
    """`a/rules.py` and `b/rules.py` were one module name: the second replaced the first in sys.modules
    and their files mixed in the fingerprint of the plug-ins each registered."""
    import sys

    from supplychain.plugins import plugins_fingerprint
    from supplychain.scenario_schema import Scenario
    from supplychain.topology import graph_to_model, load_topology

    modules = []
    for folder, part in (("a", 0.25), ("b", 0.75)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "rules.py").write_text(
            "from supplychain.engine.ordering import register_ordering\n"
            f"@register_ordering('part_{folder}')\n"
            f"def part_{folder}(r):\n    return {part} * (r.target - r.position)\n")
        modules.append(load_plugin(str(tmp_path / folder / "rules.py")))
    try:
        assert modules[0].__name__ != modules[1].__name__
        assert all(sys.modules[m.__name__] is m for m in modules)
        assert load_plugin(str(tmp_path / "a" / "rules.py")).__name__ == modules[0].__name__  # the same file again
        model = graph_to_model(load_topology(MINIMAL))
        prints = [plugins_fingerprint(model, Scenario.model_validate({"name": "x", "labs": {"ordering": f"part_{f}"}}))
                  for f in "ab"]
        assert None not in prints and prints[0] != prints[1]
    finally:
        for f in "ab":
            ORDERING_POLICIES.pop(f"part_{f}", None)
        for m in modules:
            sys.modules.pop(m.__name__, None)


def test_a_plugin_fingerprint_sees_the_values_a_function_holds(forget):
    """Two policies of one factory (`make(0.25)`, `make(1.0)`), or one whose default argument changed, had the
    same fingerprint (the same code), so a rerun into the same folder reused the other's replications as its
    own. What a rule records into (a list it captured) does not count: it changes as the rule runs."""
    from supplychain.engine.ordering import register_ordering
    from supplychain.plugins import plugins_fingerprint
    from supplychain.scenario import resolve
    from supplychain.topology import graph_to_model

    register_ordering("half_gap")(lambda r: 0.0)
    sc = resolve({"name": "p", "topology": str(MINIMAL), "labs": {"ordering": "half_gap"}})
    model = graph_to_model(sc.topology)

    def make(part, seen):
        def decide(r):
            seen.append(r.now)
            return part * (r.level - r.position)
        return decide

    def fingerprint(fn):
        register_ordering("half_gap")(fn)
        return plugins_fingerprint(model, sc.scenario)

    quarter = fingerprint(make(0.25, []))
    assert fingerprint(make(1.0, [])) != quarter
    assert fingerprint(make(0.25, [1.0, 2.0])) == quarter

    def by_default(r, part=0.25):
        return part * (r.level - r.position)

    first = fingerprint(by_default)
    by_default.__defaults__ = (1.0,)
    assert fingerprint(by_default) != first
