"""Every scenario in policies/ runs end to end on its topology, with its invariants,
and leaves the mark it should (shocks logged, rules deciding)."""

from pathlib import Path

import pytest

from supplychain.results import simulate
from supplychain.scenario import load_scenario

POLICIES = sorted((Path(__file__).resolve().parents[1] / "policies").glob("*.yaml"))




@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_policy_runs_and_checks_its_invariants(path: Path):
    resolved = load_scenario(path)
    r = simulate(None, resolved)  # raises InvariantError if conservation or Little's law fails
    sc = resolved.scenario
    assert r.info["invariants"]["checked_nodes"] > 0
    assert not r.generations.empty, "no lab released any generation"
    assert r.fleet["installed_h100e"].iloc[-1] > 0
    events = r.events
    for shock in sc.shocks:
        if shock.start is not None:
            assert (events["id"] == shock.id).any(), f"shock {shock.id} left no trace"
    effective = {c.id for c in sc.controls if c.effective < sc.end}
    decided = set(events.loc[events["type"] == "control", "id"])
    assert decided <= effective
    if effective:
        assert decided & effective, "no rule ever decided anything"
