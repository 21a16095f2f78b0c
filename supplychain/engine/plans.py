"""The capacity plan as known on each day: what `quotes.capacity: plan` counts on.

`compile_network` sums every node's plan (capacity x ai_share) once, before the shocks
(`Net.plan_cum`). A `plan` shock rewrites a node's plan from its start on; a quote made before
that start must not know it (no foresight), one made from it on must. So for each node a plan
shock reaches, the summed plan is kept once per distinct start day: the plan before the first
occurrence with every occurrence started by that day applied, in the order `apply_shocks`
applies them (the last version is the plan production runs on). A user's shock kind that writes
`net.planned` counts the same way: what one occurrence changed in a node's row is known from that
occurrence's first day, replayed as the difference it made (`record_change`): exact when the shocks writing a
node's plan are listed in start order; a kind cannot be re-run on the plan as known earlier, so one listed after a
shock that starts later carries that shock's part of its difference back to its own start. A week's quotes read a node's
version of the day (`Net.known_plans`); the other nodes read `plan_cum`, as before. Each
version is one row of days + 1 floats: a shock starting 10 times over a 10-year run at 100
nodes keeps 29 MB.
"""

from __future__ import annotations

import numpy as np

__all__ = ["grow", "PlanLog"]


def grow(row: np.ndarray, begin: int, m: float) -> None:
    """Scale `row`'s growth from day `begin` on (clipped to the run) by `m`, in place: a plan shock."""
    b = min(max(begin, 0), len(row) - 1)
    base = row[b]
    row[b:] = np.maximum(base + m * (row[b:] - base), 0.0)


class PlanLog:
    """The plan shocks' occurrences, in the order applied, and each reached node's plan before the first."""

    def __init__(self) -> None:
        self.before: dict[int, np.ndarray] = {}
        # node -> (start day, growth multiplier of a built-in plan shock, or the change a user's kind made to the
        # row) in the order applied
        self.hits: dict[int, list[tuple[int, float | np.ndarray]]] = {}

    def record(self, planned: np.ndarray, begin: int, m: float, nodes: list[int]) -> None:
        """An occurrence about to be applied to `planned` (nodes x days) at `nodes`."""
        b = min(max(begin, 0), planned.shape[1] - 1)
        for i in nodes:
            if i not in self.before:
                self.before[i] = planned[i].copy()
            self.hits.setdefault(i, []).append((b, m))

    def record_change(self, old: np.ndarray, planned: np.ndarray, begin: int) -> None:
        """An occurrence of a user's shock kind has changed `planned` (nodes x days) from `old`, a copy taken
        before it: each row it changed is known from `begin` on (from day 0 if earlier), as the difference; from
        an occurrence starting after the run's last day, on no day of the run (no foresight)."""
        b = max(begin, 0)
        for i in np.flatnonzero((old != planned).any(axis=1)).tolist():
            if i not in self.before:
                self.before[i] = old[i].copy()
            self.hits.setdefault(i, []).append((b, planned[i] - old[i]))

    def versions(self, share_of) -> dict[int, tuple[list[int], list[np.ndarray]]]:
        """Per node: (start days ascending, the plan summed from day 0 as known from each on).
        `share_of(node)`: its ai_share per day (or 1.0), the factor `plan_cum` carries."""
        out: dict[int, tuple[list[int], list[np.ndarray]]] = {}
        for i, before in self.before.items():
            hits, share = self.hits[i], share_of(i)
            row, done = before.copy(), -1  # done: the last occurrence (in the order applied) in `row`
            starts, rows = [], []
            for start in sorted({b for b, _ in hits}):
                new = [j for j, (b, _) in enumerate(hits) if b == start]
                if new[0] < done:  # one applied earlier starts later: replay in the order applied
                    row = before.copy()
                    for b, m in hits:
                        if b <= start:
                            _replay(row, b, m)
                else:
                    for j in new:
                        _replay(row, *hits[j])
                done = max(done, new[-1])
                cum = np.zeros(len(row) + 1)
                np.cumsum(row * share, out=cum[1:])
                starts.append(start)
                rows.append(cum)
            out[i] = (starts, rows)
        return out


def _replay(row: np.ndarray, begin: int, change: float | np.ndarray) -> None:
    """Apply one recorded occurrence to `row` in place: a built-in plan shock's growth multiplier, or the
    difference a user's kind made (never below zero: the sum may round a zero a hair under it)."""
    if isinstance(change, np.ndarray):
        np.maximum(row + change, 0.0, out=row)
    else:
        grow(row, begin, change)
