"""Sourcing: how a buyer splits a need over the suppliers of one product.

By default (`sourcing.elasticity` 0) by edge share, fixed. With elasticity e > 0, buyers
move new orders toward short queues: once a week each supplier's target weight is
(q_min / q)^e, q its quote for a new order on that edge (the weekly quoted lead time,
transport included, at least a day: the model's resolution) and q_min the quickest
of the customer's suppliers of that product; the weight moves toward its target with
the scenario's half-life, and the split is edge share x weight, renormalised. A supplier
quoting k times the quickest ends with k^-e of its share; one an export control refuses
outright (a ban, as `order_from_suppliers` skips) goes to 0. Only suppliers with a positive
edge share (qualified) gain volume; a lab's split over accelerator SKUs is its own
(`Labs.sku_offers`) and is left alone. Nothing here draws a random number.
"""

from __future__ import annotations

import numpy as np

from ..scenario_schema import Sourcing as SourcingPolicy
from .network import Flow, Net

__all__ = ["Sourcing", "MIN_QUOTE_DAYS"]

MIN_QUOTE_DAYS = 1.0  # quotes below a day (the daily step) count as a day: two such suppliers tie


class Sourcing:
    """Weekly supplier weights per flow (1.0 everywhere while sourcing is off)."""

    def __init__(self, net: Net, policy: SourcingPolicy) -> None:
        self.net = net
        self.elasticity = float(policy.elasticity)
        half_life = float(policy.half_life_days)
        self.alpha = 1.0 if half_life <= 0.0 else 1.0 - 0.5 ** (7.0 / half_life)  # one weekly step
        self.on = self.elasticity > 0.0
        n = len(net.flows)
        self.weight = np.ones(n)
        self._weights: list[float] = [1.0] * n  # the same, as floats for the per-order split
        # every flow's (customer, product) group, to renormalise shares per group
        groups: dict[tuple[int, str], int] = {}
        self.group = np.array([groups.setdefault((f.customer, f.product), len(groups)) for f in net.flows], dtype=np.intp)
        self.n_groups = len(groups)
        # each flow's equal share of its group (no group is empty: a flow is in its own), for `shares_row`
        self._equal = 1.0 / np.bincount(self.group, minlength=self.n_groups)[self.group]
        # the groups buyers re-source: two or more suppliers, and not a lab's accelerator SKUs
        seg: list[int] = []
        starts: list[int] = []
        for (customer, product), flows in net.inbound.items():
            if len(flows) < 2 or (net.kinds[customer] == "lab" and net.products[product].kind == "accelerator"):
                continue
            starts.append(len(seg))
            seg.extend(f.index for f in flows)
        self.seg_flow = np.array(seg, dtype=np.intp)
        self.seg_start = np.array(starts, dtype=np.intp)
        self.seg_len = np.diff(np.append(self.seg_start, len(seg))) if starts else np.zeros(0, dtype=np.intp)
        self._row: tuple[np.ndarray | None, np.ndarray] | None = None  # (refused, shares_row) while nothing else moves

    def targets(self, quotes: np.ndarray, refused: np.ndarray | None = None) -> np.ndarray:
        """Target weight of every re-sourced flow (in `seg_flow` order) for this week's quotes.

        A supplier an export control refuses outright (`refused`, per flow) has
        target 0 and does not count as the quickest. One with no quote (nan), or in a group
        where no open supplier quotes a finite time, has target 1: nothing says another
        supplier is quicker."""
        q = np.maximum(quotes[self.seg_flow], MIN_QUOTE_DAYS)  # nan stays nan
        if refused is not None:
            q = np.where(refused[self.seg_flow], np.inf, q)
        finite = np.isfinite(q)
        q_min = np.minimum.reduceat(np.where(finite, q, np.inf), self.seg_start)
        q_min = np.repeat(q_min, self.seg_len)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = (q_min / q) ** self.elasticity  # inf quote: 0
        return np.where(np.isnan(q) | ~np.isfinite(q_min), 1.0, t)

    def update(self, quotes: np.ndarray, refused: np.ndarray | None = None) -> None:
        """Move the weights one week toward the targets of `quotes` (every flow's quote, days);
        `refused`: per flow, an export control in force refuses its trade outright."""
        if not self.on or not len(self.seg_flow):
            return
        w = self.weight[self.seg_flow]
        self.weight[self.seg_flow] = w + self.alpha * (self.targets(quotes, refused) - w)
        self._weights = self.weight.tolist()

    def shares(self, flows: list[Flow], day: int) -> list[float]:
        """The split of a need over `flows` on `day`: edge share x weight, normalised (plain edge
        shares, as `Net.shares`, if that leaves nothing)."""
        net = self.net
        d = min(max(day, 0), net.days - 1)
        w = self._weights
        s = [float(f.share[d]) * w[f.index] for f in flows]
        total = sum(s)
        return [x / total for x in s] if total > 0 else net.shares(flows, day)

    def shares_row(self, day: int, refused: np.ndarray | None = None) -> np.ndarray:
        """Every flow's share of its customer's orders of its product on `day` (the `share`
        column of `lead_times`): edge share x weight, normalised per (customer, product) over the
        flows no control refuses outright (`refused`), as `order_from_suppliers` splits; over all
        of them if every one is refused; equal shares where none is positive, as `Net.shares`."""
        fixed = not self.on and self.net.constant_shares  # then only the refusals change it
        if fixed and self._row is not None and self._row[0] is refused:
            return self._row[1]
        d = min(max(day, 0), self.net.days - 1)
        s = self.net.flow_share[:, d] * self.weight
        if refused is not None and refused.any():
            open_s = np.where(refused, 0.0, s)
            open_total = np.bincount(self.group, weights=open_s, minlength=self.n_groups)[self.group]
            s = np.where(open_total > 0, open_s, s)
        total = np.bincount(self.group, weights=s, minlength=self.n_groups)[self.group]
        with np.errstate(invalid="ignore", divide="ignore"):
            row = np.where(total > 0, s / total, self._equal)
        if fixed:
            self._row = (refused, row)  # `refused` is the controls' cached array of the rules in force
        return row
