"""The engine's Python-float paths for a small network (few labs, nodes, tool-limited nodes) give the
same bits as its numpy paths, which large networks run: every table of a run equal, with the paths off."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from supplychain.engine import capacity, production, training, world
from supplychain.results import simulate
from supplychain.scenario_schema import Scenario

from conftest import ROOT

#: the default chain to 2027 with RSI on: generations released, tool-limited fabs, retirements
SC = {"name": "small", "end": "2027-12-31", "rsi": {"preset": "full", "start": "2024-01-01"}}


def _tables() -> dict[str, pd.DataFrame]:
    return simulate(ROOT / "topology" / "default.yaml", SC, seed=3).tables


def test_small_network_paths_match_the_numpy_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _tables()
    assert len(fast["generations"]) > 0  # the release path ran
    with monkeypatch.context() as m:
        m.setattr(world, "_FEW_LABS", 0)
        m.setattr(training, "_FEW_LABS", 0)
        m.setattr(production, "_FEW_NODES", 0)
        m.setattr(capacity, "_FEW_TOOLED", 0)
        slow = _tables()
    assert sorted(fast) == sorted(slow)
    for name in fast:
        pd.testing.assert_frame_equal(fast[name], slow[name], check_exact=True, obj=name)


def _training(monkeypatch: pytest.MonkeyPatch, few: bool) -> training.Training:
    """Three labs' training over 600 days of a fleet that grows unevenly, by the Python or the numpy step."""
    monkeypatch.setattr(training, "_FEW_LABS", 16 if few else 0)
    states = [SimpleNamespace(policy=SimpleNamespace(utilisation=u, training_fraction=f))
              for u, f in ((0.37, 0.61), (0.43, 0.29), (0.9, 0.7))]
    sc = Scenario(name="t", start="2024-01-01", rsi={"preset": "full", "start": "2024-03-01"})
    t = training.Training(["a", "b", "c"], states, sc)
    rng = np.random.default_rng(5)
    h = np.zeros(3)
    for day in range(600):
        h += rng.uniform(0.0, 3e4, 3) * (day % 3 != 0)
        t.step(day, h)
    return t


def test_training_few_labs_step_is_the_numpy_step_bit_for_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    fast, slow = _training(monkeypatch, True), _training(monkeypatch, False)
    assert len(fast.releases) > 3 and (fast.rsi > 1.0).any()  # releases and RSI gains on the way
    assert fast.accum.tobytes() == slow.accum.tobytes()
    assert fast.releases == slow.releases
