"""Plug-ins: a user's module named on the command line registers before the files are read."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml
from _topo import MINIMAL, assert_clean_failure, cli

from supplychain.engine.ordering import ORDERING_POLICIES
from supplychain.engine.production import ALLOCATION_RULES
from supplychain.engine.shocks import SHOCK_KINDS
from supplychain.plugins import install, load_plugin, plugins_used

POLICY = '''
    from supplychain.engine.ordering import register_ordering

    @register_ordering("half_gap", part=0.5)
    def half_gap(r):
        return r.params["part"] * (r.level - r.position)
'''


@pytest.fixture
def forget():
    """The registries are global: forget what a test's plug-in registered."""
    yield
    ORDERING_POLICIES.pop("half_gap", None)
    SHOCK_KINDS.pop("halve", None)


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
])
def test_a_plugin_that_cannot_be_loaded_is_one_line_and_exit_2(tmp_path, make, spec, line):
    if make is not None:
        (tmp_path / spec).write_text(make)
    target = str(tmp_path / spec) if spec.endswith(".py") else spec
    got = assert_clean_failure(cli("--plugin", target, "run", scenario(tmp_path), "-q", "--out", tmp_path / "o"))
    assert got.startswith(line), got  # the path itself is shortened when long
    assert not (tmp_path / "o").exists()


def test_a_unit_carries_exactly_the_plugins_its_files_name(tmp_path, forget):
    (tmp_path / "kinds.py").write_text(textwrap.dedent('''
        from supplychain.engine.shocks import register_shock_kind

        @register_shock_kind("halve")
        def halve(net, shock, f, begin, nodes):
            net.cap_mult[nodes] *= 0.5
            return ""
    ''') + textwrap.dedent(POLICY))
    module = load_plugin(str(tmp_path / "kinds.py"))
    from supplychain.scenario import resolve

    sc = resolve({"name": "p", "topology": str(MINIMAL), "end": "2022-03-31", "labs": {"ordering": "half_gap"},
                  "shocks": [{"id": "h", "kind": "halve", "start": "2022-02-01", "multiplier": 0.5}]})
    from supplychain.topology import graph_to_model

    used = plugins_used(graph_to_model(sc.topology), sc.scenario)
    assert {(r, n) for r, n, _ in used} == {("allocation", "fifo"), ("ordering", "half_gap"), ("shock", "halve")}
    assert dict(((r, n), e) for r, n, e in used)[("allocation", "fifo")] is ALLOCATION_RULES["fifo"]  # by reference
    del ORDERING_POLICIES["half_gap"], SHOCK_KINDS["halve"]
    install(used)  # as a Dask worker does: the file's entries arrive by value, copies that work alike
    from supplychain.engine.ordering import Review

    review = Review("lab", 0.0, 100.0, 40.0, 100.0, 14.0, {"part": 0.5})
    assert ORDERING_POLICIES["half_gap"].decide(review) == module.half_gap(review) == 30.0
    assert ORDERING_POLICIES["half_gap"].defaults == {"part": 0.5} and SHOCK_KINDS["halve"].__name__ == "halve"
