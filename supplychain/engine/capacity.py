"""Every production node's capacity and cycle lag by day, shocks and tools included.

Split from `production.py`: what the order books spend each day (`Capacity.today`)
and how many whole days a start takes to finish (`Capacity.lag`) are properties of the
network, its shocks and the tools delivered so far, not of the books themselves.
"""

from __future__ import annotations

import numpy as np

from .allocation import EPS
from .network import Net

__all__ = ["Capacity"]

#: up to these many tool-limited nodes, `today` caps them in Python floats
_FEW_TOOLED = 8


class Capacity:
    """Planned capacity x shock multipliers, capped at tool-limited nodes by the tools installed."""

    def __init__(self, net: Net) -> None:
        self.net = net
        n = len(net.ids)
        # tools installed (a fab with an expansion plan; inf elsewhere), raised as tool orders arrive
        self.tools = np.full(n, np.inf)
        self.tool_cap = np.full(n, np.inf)  # capacity units per tool
        for i, (_, per_tool) in net.expansion.items():
            self.tool_cap[i] = per_tool
            self.tools[i] = net.planned[i, 0] / per_tool
        # capacity by day, days x nodes so a day is one contiguous row (a column of the nodes x
        # days arrays is a strided gather, cache misses on a large network); tool-limited nodes
        # are capped again each day. Shocks are already in the arrays when production is built.
        self._cap = np.ascontiguousarray(np.where(net.unlimited[:, None], np.inf, net.planned * net.cap_mult).T)
        self._tooled = np.array([i for i in net.expansion if not net.unlimited[i]], dtype=np.int64)
        self._tooled_mult = np.ascontiguousarray(net.cap_mult[self._tooled].T)
        few = len(self._tooled) <= _FEW_TOOLED  # (node, capacity per tool), each day's multipliers: `today`'s floats
        self._tooled_few = [(i, float(self.tool_cap[i])) for i in self._tooled.tolist()] if few else []
        self._tooled_rows = self._tooled_mult.tolist() if few and len(self._tooled) else None
        # days x nodes as well: what starts today finishes `lag` whole days later (the cycle
        # time, stretched by shocks, rounded up; past the run's end, the day after it, which never
        # comes: a shock's x1e300 would not fit the int32). The daily step reads today's row as a
        # list, not one numpy scalar per node
        ct = np.minimum(net.cycle * net.ct_mult, net.days + 1.0)
        self.lag = np.ascontiguousarray(np.where(ct > EPS, np.ceil(ct - EPS), 0.0).T.astype(np.int32))

    def today(self, day: int) -> np.ndarray:
        """Effective capacity units/day of every node on `day` (inf where unlimited)."""
        d = min(day, self.net.days - 1)
        cap = self._cap[d].copy()
        if self._tooled_rows is not None:  # a few tool-limited nodes: 8 numpy calls cost more than the floats
            for (i, per_tool), mult in zip(self._tooled_few, self._tooled_rows[d]):
                v, c = self.tools.item(i) * per_tool * mult, cap.item(i)
                if not (c <= v or c != c):  # np.minimum(c, v), nan from either side
                    cap[i] = v
        elif len(self._tooled):
            t = self._tooled
            cap[t] = np.minimum(cap[t], self.tools[t] * self.tool_cap[t] * self._tooled_mult[d])
        return cap
