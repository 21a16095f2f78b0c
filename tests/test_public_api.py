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
