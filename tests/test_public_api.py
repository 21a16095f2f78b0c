"""The curated public API works as the README shows it."""

import numpy as np
import pytest

import supplychain
from supplychain import InputError, compare, load_scenario, load_topology, run_experiment, simulate, sweep

from conftest import ROOT


def test_public_names_resolve():
    for name in supplychain.__all__:
        assert getattr(supplychain, name) is not None


def test_simulate_from_files_gives_dataframes():
    g = load_topology(ROOT / "topology" / "minimal.yaml")
    r = simulate(g, {"name": "api", "end": "2023-06-30"}, seed=3)
    assert set(r.tables) >= {"orders", "lead_times", "nodes", "fleet", "generations", "events"}
    assert r.fleet["date"].dtype.kind == "M" and (r.fleet["scenario"] == "api").all()
    assert r.seed == 3


def test_load_scenario_resolves_its_topology():
    rs = load_scenario(ROOT / "policies" / "baseline.yaml")
    assert rs.topology.number_of_nodes() > 20 and rs.scenario.name == "baseline"


def test_progress_over_simulated_time_does_not_change_results(capsys, monkeypatch):
    monkeypatch.setenv("SUPPLYCHAIN_PROGRESS", "1")  # captured stderr is no terminal: force the bar
    g = load_topology(ROOT / "topology" / "minimal.yaml")
    quiet = simulate(g, {"name": "p", "end": "2023-06-30"}, seed=2)
    shown = simulate(g, {"name": "p", "end": "2023-06-30"}, seed=2, progress=True)
    import pandas as pd

    pd.testing.assert_frame_equal(quiet.orders, shown.orders)
    assert "day" in capsys.readouterr().err  # the tqdm bar counts simulated days


def test_csv_tables_read_back_with_and_without_dates(tmp_path):
    import pandas as pd

    from supplychain.outputs import read_table, write_table

    write_table(pd.DataFrame({"a": [1, 2]}), tmp_path, "plain", "csv")
    write_table(pd.DataFrame({"date": pd.to_datetime(["2022-01-01"]), "ordered_date": ["2023-01-01"]}), tmp_path, "dated", "csv")
    assert read_table(tmp_path, "plain")["a"].tolist() == [1, 2]
    assert read_table(tmp_path, "dated").dtypes.map(lambda t: t.kind).tolist() == ["M", "M"]


MINIMAL = str(ROOT / "topology" / "minimal.yaml")
SHORT = {"name": "args", "topology": MINIMAL, "end": "2022-03-31"}
GRID = {"algorithms.efficiency_growth": [2.0, 3.0]}


@pytest.mark.parametrize("call, line", [
    (lambda: simulate(MINIMAL, SHORT, seed=-1), "seed: must be at least 0 (got -1)"),
    (lambda: simulate(MINIMAL, SHORT, seed="abc"), "seed: must be a whole number, at least 0 (got 'abc')"),
    (lambda: simulate(MINIMAL, SHORT, seed=2.5), "seed: must be a whole number, at least 0 (got 2.5)"),
    (lambda: simulate(MINIMAL, SHORT, replication=-1), "replication: must be at least 0 (got -1)"),
    (lambda: run_experiment(SHORT, replications=1, seed="x"), "seed: must be a whole number, at least 0 (got 'x')"),
    (lambda: run_experiment(SHORT, replications=0), "replications: must be at least 1 (got 0)"),
    (lambda: run_experiment(SHORT, replications=True), "replications: must be a whole number, at least 1 (got True)"),
    (lambda: run_experiment(SHORT, replications=1, workers=0), "workers: must be at least 1 (got 0)"),
    (lambda: run_experiment(SHORT, replications=1, fmt="xlsx"), "fmt: use parquet or csv (got 'xlsx')"),
    (lambda: run_experiment(SHORT, replications=1, scheduler="nowhere"),
     "scheduler: 'nowhere' is not tcp://HOST:PORT or local"),
    (lambda: run_experiment(SHORT, replications=1, out=MINIMAL), f"out: exists and is not a folder (got {MINIMAL!r})"),
    (lambda: run_experiment(SHORT, replications=1, keep=["flet"]), "keep: unknown table(s) ['flet']"),
    (lambda: compare(SHORT, [{**SHORT, "name": "b"}], seed=-1), "seed: must be at least 0 (got -1)"),
    (lambda: compare(SHORT, [{**SHORT, "name": "b"}], workers=0), "workers: must be at least 1 (got 0)"),
    (lambda: sweep(SHORT, GRID, replications=0), "replications: must be at least 1 (got 0)"),
    (lambda: sweep(SHORT, GRID, seed="7"), "seed: must be a whole number, at least 0 (got '7')"),
    (lambda: sweep(SHORT, {"algorithms.efficiency_growth": (2.0, 3.0)}, lhs=0), "lhs: must be at least 1 (got 0)"),
    # wrong types and empty collections (a TypeError, an IndexError and a silent baseline-only run before)
    (lambda: simulate(42, SHORT), "topology: a path, a networkx.DiGraph or a TopologyModel (got 42)"),
    (lambda: simulate(None, 42), "scenario: a path, a dict, a Scenario or a loaded scenario (got 42)"),
    (lambda: run_experiment([SHORT, 7], replications=1), "scenario: a path, a dict, a Scenario or a loaded scenario (got 7)"),
    (lambda: compare(SHORT, []), "scenarios: at least one scenario to compare with the baseline (got [])"),
    (lambda: run_experiment([], replications=1), "scenarios: at least one scenario to run (got [])"),
    (lambda: run_experiment(SHORT, replications=1, keep=5), "keep: table names (got 5)"),
    (lambda: run_experiment(SHORT, replications=1, reduce=5), "reduce: a function of a replication's tables (got 5)"),
    (lambda: run_experiment(SHORT, replications=1, workers=1, reduce=lambda t: None),
     "reduce: must return a dict of table name -> DataFrame (got None)"),
    (lambda: sweep(SHORT, 5), "params: PATH=v1,v2 strings, Params or a dict {path: values} (got 5)"),
    (lambda: sweep(SHORT, None), "params: PATH=v1,v2 strings, Params or a dict {path: values} (got None)"),
    (lambda: sweep(SHORT, GRID, topology=42), "topology: a path, a networkx.DiGraph or a TopologyModel (got 42)"),
    (lambda: sweep(SHORT, {"algorithms.efficiency_growth": []}), "params[algorithms.efficiency_growth]: needs at least one value (got [])"),
    # an empty path (an unset variable) was the working folder: `nodes.csv: no such file`, `.: is a folder`
    (lambda: simulate("", SHORT), "topology: an empty path; name a file or folder (got '')"),
    (lambda: simulate(None, ""), "scenario: an empty path; name a file or folder (got '')"),
    (lambda: load_topology(" "), "path: an empty path; name a file or folder (got ' ')"),
    (lambda: load_scenario(""), "path: an empty path; name a file or folder (got '')"),
    (lambda: supplychain.load_run(""), "folder: an empty path; name a file or folder (got '')"),
    (lambda: run_experiment(SHORT, replications=1, out=""), "out: an empty path; name a file or folder (got '')"),
])
def test_bad_arguments_are_input_errors_naming_the_argument_and_value(call, line):
    """Refused before any work as one `InputError` line that names the argument, not a CLI option, and the
    value, rather than numpy's or Python's words from deep inside."""
    with pytest.raises(InputError) as err:
        call()
    assert str(err.value).startswith(f"<arguments>: {line}"), str(err.value)
    assert "--" not in str(err.value) and "\n" not in str(err.value)


SAME_DAY = {"name": "x", "topology": MINIMAL, "start": "2024-01-01", "end": "2024-01-01"}


@pytest.mark.parametrize("call", [
    lambda: simulate(None, SAME_DAY),
    lambda: simulate(MINIMAL, {k: v for k, v in SAME_DAY.items() if k != "topology"}),
    lambda: run_experiment(SAME_DAY, replications=1),
    lambda: compare(SHORT, [SAME_DAY]),
    lambda: sweep(SAME_DAY, GRID),
], ids=["simulate", "simulate-topology-apart", "run_experiment", "compare", "sweep"])
def test_a_bad_scenario_dict_is_one_input_error_naming_the_field_on_every_entry_point(call):
    """What the CLI refuses with exit 2 is an `InputError` from Python too, not pydantic's many-line report."""
    with pytest.raises(InputError, match=r"^<input>: end: must be after start 2024-01-01 \(got 2024-01-01\)$"):
        call()


def test_simulate_names_a_bad_per_lab_field_by_its_lab():
    with pytest.raises(InputError, match=r"^<input>: per_lab\.lab_us\.utilisation: Input should be less than or equal to 1"):
        simulate(MINIMAL, {**SHORT, "per_lab": {"lab_us": {"utilisation": 2}}})


def test_numpy_integers_are_whole_numbers():
    r = simulate(MINIMAL, SHORT, seed=np.int64(3), replication=np.int32(1))
    assert (r.seed, r.replication) == (3, 1) and isinstance(r.seed, int)


# -- simulate resolves its scenario as run_experiment does ---------------------

FAB10 = {"name": "fab10", "end": "2022-12-31", "set": {"nodes.fab.capacity": 10}}


def test_simulate_applies_set_overrides_of_a_dict_as_run_experiment_does():
    plain = simulate(MINIMAL, {**FAB10, "set": {}}, seed=1).orders
    mine = simulate(MINIMAL, FAB10, seed=1).orders
    theirs = run_experiment({**FAB10, "topology": MINIMAL}, replications=1, seed=1, workers=1).orders
    assert not mine.equals(plain), "the set: override changed nothing"
    import pandas as pd

    pd.testing.assert_frame_equal(mine, theirs)


def test_simulate_takes_the_topology_a_dict_names():
    r = simulate(None, {**SHORT, "name": "own"})
    assert r.info["topology"] == load_topology(MINIMAL).graph["name"] and len(r.orders)


@pytest.mark.parametrize("data, line", [
    ({"per_lab": {"no_such_lab": {"utilisation": 0.3}}}, "<input>: per_lab.no_such_lab: unknown lab id in topology minimal.yaml (got 'no_such_lab')"),
    ({"bogus": 1}, "<input>: bogus: unknown field (got 1)"),
    ({"extends": "no_such_parent.yaml"}, "<input>: extends: no such scenario file (got 'no_such_parent.yaml')"),
])
def test_simulate_refuses_a_bad_dict_as_run_experiment_does(data, line):
    for call in (lambda: simulate(MINIMAL, {**SHORT, **data}), lambda: run_experiment({**SHORT, **data}, replications=1)):
        with pytest.raises(InputError) as err:
            call()
        assert str(err.value) == line


@pytest.mark.parametrize("scenario", [{}, {"name": "d"}, "Scenario"])
def test_a_scenario_as_data_naming_no_topology_runs_on_the_default_one(tmp_path, monkeypatch, scenario):
    """`simulate()` in a notebook: the default `topology` is relative to `policies/`, so from the repository root (or
    anywhere without a `../topology/default.yaml`) it was `<input>: topology: no such topology file (got
    '../topology/default.yaml')`, a file the user never named. A topology the data does name is still looked for."""
    from supplychain.scenario_schema import Scenario

    monkeypatch.chdir(tmp_path)
    end = {"end": "2022-01-31"}
    r = simulate(None, Scenario(name="d", **end) if scenario == "Scenario" else {**scenario, **end})
    assert r.info["topology"] == "default" and "tsmc_cowos" in set(r.nodes["node"])
    with pytest.raises(InputError, match="no such topology file"):
        simulate(None, {**end, "topology": "topology/default.yaml"})


def test_a_scenario_file_naming_no_topology_outside_policies_runs_on_the_default_one(tmp_path):
    """A user's own scenario file without a `topology` line, in a folder with no `../topology/`: the default
    topology, not `no such topology file (got '../topology/default.yaml')`. One that names it is still looked for."""
    from conftest import write

    own = write(tmp_path, "mine/s.yaml", "name: mine\nend: 2022-01-31\n")
    assert load_scenario(own).topology.graph["name"] == "default"
    named = write(tmp_path, "mine/t.yaml", "name: t\ntopology: ../topology/default.yaml\nend: 2022-01-31\n")
    with pytest.raises(InputError, match="t.yaml: topology: no such topology file"):
        load_scenario(named)


def test_without_the_checkouts_topology_a_scenario_naming_none_says_where_the_default_lives(tmp_path, monkeypatch):
    """Installed without -e and run outside the checkout, the default topology is not there: the line said only
    `no such topology file (got '../topology/default.yaml')`, a file the user never named."""
    import supplychain.scenario as scenario

    monkeypatch.setattr(scenario, "PROJECT_TOPOLOGY", tmp_path / "absent" / "default.yaml")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="not in this install: name a topology, or install with pip install -e"):
        simulate(None, {"name": "x", "end": "2022-01-31"})


def test_simulate_resolves_extends_of_a_dict(tmp_path, monkeypatch):
    from conftest import write

    write(tmp_path, "parent.yaml", f"name: parent\ntopology: {MINIMAL}\nend: 2022-12-31\nset: {{nodes.fab.capacity: 10}}\n")
    monkeypatch.chdir(tmp_path)  # a dict's extends is relative to the working folder, as for run_experiment
    r = simulate(None, {"extends": "parent.yaml", "name": "child"}, seed=1)
    assert r.scenario == "child"
    assert r.orders.drop(columns="scenario").equals(simulate(MINIMAL, FAB10, seed=1).orders.drop(columns="scenario"))


def test_simulate_on_a_given_topology_keeps_the_scenario_files_set(tmp_path):
    from conftest import write

    f = write(tmp_path, "fab10.yaml", f"name: fab10\ntopology: {MINIMAL}\nend: 2022-12-31\nset: {{nodes.fab.capacity: 10}}\n")
    own = simulate(None, load_scenario(f), seed=1).orders
    for topology in (MINIMAL, load_topology(MINIMAL)):
        assert simulate(topology, load_scenario(f), seed=1).orders.equals(own)
    assert simulate(MINIMAL, f, seed=1).orders.equals(own)


def test_a_table_not_kept_says_so_by_name():
    """`keep=` drops tables; asking for one raised a bare `AttributeError: orders`."""
    r = run_experiment(SHORT, replications=1, workers=1, keep=["fleet"])
    with pytest.raises(AttributeError, match=r"ExperimentResult has no 'orders' table: kept fleet \(run_experiment's keep=\)"):
        r.orders
    assert not hasattr(r, "no_such_thing") and len(r.fleet) > 0


def test_a_summary_of_a_run_that_kept_too_few_tables_says_which_it_reads():
    """`run_experiment(..., keep=["generations"]).summary()` (or a `reduce` dropping `orders`) raised a bare
    KeyError 'fleet'; it names the tables it reads and the way out. With out=, summary.md was written as it ran."""
    for kept in ({"keep": ["generations"]}, {"reduce": lambda t: {k: v for k, v in t.items() if k != "orders"}}):
        r = run_experiment(SHORT, replications=1, workers=1, **kept)
        with pytest.raises(InputError, match=r"^<arguments>: keep: summary\(\) reads the tables fleet, generations, "
                                             r"lead_times, orders, and this run kept "):
            r.summary()
    full = run_experiment(SHORT, replications=1, workers=1, keep=["fleet", "generations", "lead_times", "orders"])
    assert full.summary().startswith("# args\n")


def test_the_forms_every_runner_accepts_for_topology_params_and_keep():
    """A sweep takes a topology as a graph or a model as `simulate` and `compare` do (it took only a path),
    one parameter as a plain string (it read its characters as parameters), and `keep` one table name."""
    from supplychain.topology import graph_to_model, load_topology

    graph = load_topology(MINIMAL)
    for topology in (graph, graph_to_model(graph), MINIMAL):
        s = sweep({k: v for k, v in SHORT.items() if k != "topology"}, "labs.utilisation=0.3,0.4", topology=topology,
                  workers=1)
        assert list(s.points["labs.utilisation"]) == [0.3, 0.4]
    r = run_experiment(SHORT, replications=1, workers=1, keep="orders")
    assert set(r.tables) == {"orders"}


def test_a_notebook_completes_the_names_loaded_on_first_use():
    import supplychain

    assert {"simulate", "run_experiment", "compare", "sweep", "load_run", "make_report"} <= set(dir(supplychain))


def test_scenarios_from_a_generator_run_as_a_list_of_them():
    """`run_experiment(s for s in ...)` is several scenarios, as a list is (it was refused as one scenario)."""
    names = ("g1", "g2")
    got = run_experiment(({**SHORT, "name": n} for n in names), replications=1, workers=1)
    assert sorted(got.orders["scenario"].unique()) == list(names)


def test_one_replication_summarises_as_an_experiment_of_it_does():
    """`simulate(...).summary()` was an AttributeError while `run_experiment(...)` and `load_run(...)` results
    had one: a notebook reads one replication's release dates, peak quotes and binding inputs the same way."""
    r = simulate(MINIMAL, SHORT, seed=5)
    text = r.summary()
    assert text == run_experiment(SHORT, replications=1, seed=5, workers=1).summary()
    assert text.startswith("# args") and "What bound the labs' orders" in text


def test_an_experiments_repr_names_its_tables_as_one_replications_does():
    """`ExperimentResult`'s repr named scenarios and counts but no table, where `Results` and `Comparison` list
    theirs with rows: what a notebook cell shows is what it can read next."""
    r = simulate(MINIMAL, SHORT, seed=5)
    res = run_experiment(SHORT, replications=2, seed=5, workers=1)
    text = repr(res)
    assert text.startswith("ExperimentResult(scenarios=[args], replications=2, computed=2, reused=0, ")
    assert all(f"{name}={len(res.tables[name])}" in text for name in r.tables) and len(text) < 300
    assert repr(run_experiment(SHORT, replications=1, seed=5, workers=1, keep=())).endswith(", reused=0, folder=None)")
