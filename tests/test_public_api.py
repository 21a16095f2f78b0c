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
