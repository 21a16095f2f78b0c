"""A node's capacity plan as its model gives it, for the plan-quote tests."""

from __future__ import annotations

import numpy as np

from supplychain.engine import World
from supplychain.engine.network import _PER_DAY


def planned_days(w: World, n: int) -> np.ndarray:
    """Node `n`'s planned capacity units per day (capacity x ai_share, no shocks), from its model."""
    m, grid = w.net.node_models[n], np.arange(w.net.days, dtype=float)
    share = m.ai_share.on_days(w.scenario.start, grid) if getattr(m, "ai_share", None) is not None else 1.0
    return m.capacity.on_days(w.scenario.start, grid) * _PER_DAY[m.kind] * share
