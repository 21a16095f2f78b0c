"""The generic kernel: stock points and demand streams.

These kinds let the same engine express textbook inventory systems (a
base-stock or (s, S) stock point with backorders fed by a source, in a
serial or assembly chain), which is how the engine is checked against
theory. Time-averages of on-hand stock are integrated exactly between
events, not sampled.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .orders import Order
from .streams import keyed_stream

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["Stocks", "StockState", "kit_lost"]


@dataclass
class StockState:
    node: int
    item: str
    policy: str
    S: float
    s: float
    on_hand: float
    on_order: float = 0.0
    backorders: deque = field(default_factory=deque)  # [order, remaining]
    last_t: float = 0.0
    area: float = 0.0  # integral of on-hand over time
    back_area: float = 0.0  # integral of backordered units over time
    demand_units: float = 0.0
    filled_on_arrival: float = 0.0
    periodic: bool = False  # replenished at reviews every review_days, not as demand comes

    @property
    def backordered(self) -> float:
        return sum(r for _, r in self.backorders)

    @property
    def position(self) -> float:
        return self.on_hand + self.on_order - self.backordered


class Stocks:
    """All stock and demand nodes of a run."""

    def __init__(self, world: "World") -> None:
        self.w = world
        net = world.net
        self.state: dict[int, StockState] = {}
        self._mult: dict[int, np.ndarray | None] = {}
        # one demand stream per demand point, keyed by its id (`keyed_stream`): a second demand point leaves the
        # first one's arrivals as they were
        self._rng = {i: keyed_stream(world.rng["demand"], m.id) for i, m in enumerate(net.node_models) if m.kind == "demand"}
        for i, m in enumerate(net.node_models):
            if m.kind == "stock":
                S = m.S if m.policy == "sS" else m.base_stock
                s = m.s if m.policy == "sS" else m.base_stock - 1
                init = m.initial if m.initial is not None else (S if m.policy != "make_to_order" else 0.0)
                self.state[i] = StockState(i, m.item, m.policy, float(S), float(s), float(init))
        for i, m in enumerate(net.node_models):
            if m.kind == "demand":
                self._schedule_demand(i, 0.0)
            if m.kind == "stock" and (m.policy == "sS" or (m.policy == "base_stock" and m.review_days > 1)):
                self.state[i].periodic = True
                self.w.at(0.0, self._review, i)

    # -- demand streams --------------------------------------------------------
    def _multiplier(self, node: int) -> np.ndarray | None:
        """The node's demand factor by day (`demand` shocks), None where it is 1 throughout."""
        if node not in self._mult:
            m = self.w.net.demand_mult[node]
            self._mult[node] = None if (m == 1.0).all() else m
        return self._mult[node]

    def _schedule_demand(self, node: int, now: float) -> None:
        """The next order of a demand stream. Under a `demand` shock, fixed orders scale by the
        factor of the day they arrive, and Poisson arrivals by thinning (Lewis and Shedler 1979):
        candidates at the highest rate, each kept with probability factor / highest factor."""
        spec = self.w.net.node_models[node].demand
        rng = self._rng[node]
        days = self.w.net.days
        if spec.mode == "fixed":
            delay, qty = spec.period_days, spec.rate * spec.period_days
        else:
            qty = spec.size
            m = self._multiplier(node)
            if m is None:
                delay = rng.exponential(1.0 / spec.rate)
            else:
                top = float(m.max())
                if top <= 0.0:
                    return  # no demand for the rest of the run
                t = now
                while True:
                    t += rng.exponential(1.0 / (spec.rate * top))
                    if t >= days or rng.random() * top < m[int(t)]:
                        break
                delay = t - now
        if now + delay < days:
            self.w.at(now + delay, self._arrive, node, qty)

    def _arrive(self, node: int, qty: float) -> None:
        now = self.w.env.now
        model = self.w.net.node_models[node]
        if model.demand.mode == "fixed":
            m = self._multiplier(node)
            if m is not None:
                qty *= float(m[min(int(now), self.w.net.days - 1)])
        if qty > 0.0:
            self.w.order_from_suppliers("demand", node, model.item, qty, now)
        self._schedule_demand(node, now)

    # -- stock points ----------------------------------------------------------
    def _advance(self, st: StockState, now: float) -> None:
        dt_ = now - st.last_t
        st.area += st.on_hand * dt_
        st.back_area += st.backordered * dt_
        st.last_t = now

    def receive_order(self, order: Order, now: float) -> None:
        """A customer's order at a stock point: ship from stock, backorder the rest."""
        st = self.state[order.supplier]
        self._advance(st, now)
        st.demand_units += order.qty
        take = min(st.on_hand, order.qty) if not st.backorders else 0.0
        st.filled_on_arrival += take
        st.on_hand -= take
        if take > 0:
            self.w.ship(order, take, now)
        if order.qty - take > 1e-12:
            st.backorders.append([order, order.qty - take])
        self._replenish(st, now, order.qty)

    def _replenish(self, st: StockState, now: float, demanded: float) -> None:
        if st.periodic:
            return  # (s, S) and (R, S) order at their reviews
        qty = demanded if st.policy == "make_to_order" else st.S - st.position
        if qty > 1e-12:
            self._order(st, qty, now)

    def _review(self, node: int) -> None:
        """(s, S): order up to S when the position is at s or below; (R, S), a base stock reviewed every
        R = review_days: order up to S whenever the position is below it."""
        st = self.state[node]
        now = self.w.env.now
        gap = st.S - st.position
        if (st.position <= st.s) if st.policy == "sS" else gap > 1e-12:
            self._order(st, gap, now)
        period = self.w.net.node_models[node].review_days
        if now + period < self.w.net.days:
            self.w.at(now + period, self._review, node)

    def _order(self, st: StockState, qty: float, now: float) -> None:
        st.on_order += qty
        bom = self.w.net.node_models[st.node].bom
        if not bom:
            self.w.order_from_suppliers("replenish", st.node, st.item, qty, now)
            return
        kit = self.w.new_kit(st.node, st.item, qty, now)
        for item, per_unit in bom.items():
            self.w.order_from_suppliers("replenish", st.node, item, qty * per_unit, now, parent=kit)

    def lost(self, node: int, qty: float) -> None:
        """Replenishment a control refused: no longer on order, so the position orders it again (it stayed
        on order for ever, and a base stock counted on goods that never came)."""
        self.state[node].on_order -= qty

    def goods_in(self, node: int, qty: float, now: float) -> None:
        """Replenishment arrived: stock up, then serve backorders first come first served."""
        st = self.state[node]
        self._advance(st, now)
        st.on_order -= qty
        st.on_hand += qty
        while st.backorders and st.on_hand > 1e-12:
            entry = st.backorders[0]
            take = min(entry[1], st.on_hand)
            st.on_hand -= take
            entry[1] -= take
            self.w.ship(entry[0], take, now)
            if entry[1] <= 1e-12:
                st.backorders.popleft()

    def close(self, now: float) -> None:
        for st in self.state.values():
            self._advance(st, now)

    def summary(self) -> list[tuple]:
        ids = self.w.net.ids
        T = max(self.w.env.now, 1e-9)
        return [
            (ids[st.node], st.item, st.demand_units, st.filled_on_arrival / st.demand_units if st.demand_units else np.nan,
             st.area / T, st.back_area / T, st.on_hand, st.backordered)
            for st in self.state.values()
        ]

def kit_lost(kit: Order) -> float:
    """Units of a generic kit its refused inputs no longer cover: its worst-hit input's refused share of
    what the kit ordered of it (from every supplier, both parts of a quota split), as a packaging kit's
    (`World._deny_kit_input`). One input line's own refused share counted as the kit's lost the whole
    kit when one of two lines of that input was refused."""
    need: dict[str, float] = {}
    refused: dict[str, float] = {}
    for c in kit.children:
        need[c.product] = need.get(c.product, 0.0) + c.qty
        refused[c.product] = refused.get(c.product, 0.0) + c.denied_qty
    return max((kit.qty * refused[p] / n for p, n in need.items() if n > 0), default=0.0)
