"""The curated public API works as the README shows it."""

import supplychain
from supplychain import load_scenario, load_topology, simulate

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


def test_progress_over_simulated_time_does_not_change_results(capsys):
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
