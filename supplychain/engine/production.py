"""Capacity-limited production: order books, allocation rules, WIP pipelines.

Once a day every node with open orders spends today's capacity on its book
by its allocation rule; what starts today finishes after the node's cycle
time. Work in progress sits in a per-day completion pipeline, so a lot costs
a handful of list operations per day, never one kernel event per unit.
Allocation rules are a registry a user can extend (`ALLOCATION_RULES`).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .network import Net
from .orders import Order

__all__ = ["Production", "ALLOCATION_RULES", "register_allocation"]

EPS = 1e-9

#: rule(book, budget, costs) -> capacity units given to each order (same order as `book`)
AllocationRule = Callable[[list[Order], float, np.ndarray], np.ndarray]
ALLOCATION_RULES: dict[str, AllocationRule] = {}


def register_allocation(name: str) -> Callable[[AllocationRule], AllocationRule]:
    def deco(fn: AllocationRule) -> AllocationRule:
        ALLOCATION_RULES[name] = fn
        return fn

    return deco


def _fill_in_order(needs: np.ndarray, budget: float, order: np.ndarray) -> np.ndarray:
    give = np.zeros_like(needs)
    for i in order:
        if budget <= EPS:
            break
        take = min(budget, needs[i])
        give[i] = take
        budget -= take
    return give


@register_allocation("fifo")
def fifo(book: list[Order], budget: float, needs: np.ndarray) -> np.ndarray:
    """First come, first served: the oldest order takes what it needs first."""
    return _fill_in_order(needs, budget, np.arange(len(book)))


@register_allocation("pro_rata")
def pro_rata(book: list[Order], budget: float, needs: np.ndarray) -> np.ndarray:
    """Shortage rationing: every open order gets capacity in proportion to what it still needs."""
    total = needs.sum()
    if total <= budget:
        return needs.copy()
    return needs * (budget / total)


@register_allocation("priority")
def priority(book: list[Order], budget: float, needs: np.ndarray) -> np.ndarray:
    """Customer tiers (0 first), first come first served within a tier."""
    order = np.array(sorted(range(len(book)), key=lambda i: (book[i].tier, book[i].entered)), dtype=int)
    return _fill_in_order(needs, budget, order)


class Production:
    """Order books and WIP pipelines of every capacity-limited node."""

    def __init__(self, net: Net, on_finished: Callable[[Order, float], None]) -> None:
        self.net = net
        n = len(net.ids)
        self.books: list[list[Order]] = [[] for _ in range(n)]
        self.active: set[int] = set()
        self.pipeline: dict[int, list[tuple[int, Order, float, int]]] = {}
        self.on_finished = on_finished
        self.rules = [ALLOCATION_RULES[getattr(m, "allocation", "fifo")] for m in net.node_models]
        self.tools = np.full(n, np.inf)
        self.tool_cap = np.full(n, np.inf)
        for i, (_, per_tool) in net.expansion.items():
            self.tool_cap[i] = per_tool
            self.tools[i] = net.planned[i, 0] / per_tool
        # statistics for Little's law and conservation
        self.wip = np.zeros(n)
        self.wip_area = np.zeros(n)
        self.started = np.zeros(n)
        self.finished = np.zeros(n)
        self.flow_time = np.zeros(n)  # sum of qty x days in production over finished chunks
        self.used_today = np.zeros(n)
        self.cap_today = np.zeros(n)

    # -- capacity ----------------------------------------------------------
    def capacity(self, day: int) -> np.ndarray:
        """Effective capacity units/day of every node today (inf where unlimited)."""
        d = min(day, self.net.days - 1)
        planned = self.net.planned[:, d]
        if self.net.expansion:
            planned = np.minimum(planned, self.tools * self.tool_cap)
        cap = planned * self.net.cap_mult[:, d]
        return np.where(self.net.unlimited, np.inf, cap)

    def backlog_units(self, node: int, day: int) -> float:
        """Capacity units still to start at `node`."""
        y = self.net.yields[node, min(day, self.net.days - 1)]
        return sum(o.remaining * o.unit_cost for o in self.books[node]) / y

    # -- flow --------------------------------------------------------------
    def add(self, order: Order, now: float) -> None:
        order.entered = now
        order.remaining = order.qty
        order.status = "book"
        self.books[order.supplier].append(order)
        self.active.add(order.supplier)

    def step(self, day: int) -> None:
        """Spend today's capacity on every active book, then finish what is due."""
        net = self.net
        d = min(day, net.days - 1)
        self.used_today[:] = 0.0
        if self.active:
            cap = self.capacity(day)
            self.cap_today = cap
            for node in sorted(self.active):
                self._allocate(node, day, d, cap[node])
            self.active = {n for n in self.active if self.books[n]}
        self._complete(day)
        self.wip_area += self.wip

    def _allocate(self, node: int, day: int, d: int, budget: float) -> None:
        book = self.books[node]
        y = self.net.yields[node, d]
        costs = np.array([o.unit_cost / y for o in book])
        startable = np.array([min(o.remaining, o.ready_qty - (o.qty - o.denied_qty - o.remaining)) for o in book])
        needs = np.maximum(startable, 0.0) * costs
        give = self.rules[node](book, budget, needs) if np.isfinite(budget) else needs
        ct = self.net.cycle[node, d] * self.net.ct_mult[node, d]
        due = day + int(math.ceil(ct - EPS)) if ct > EPS else day
        keep: list[Order] = []
        for o, cap_units, cost, can in zip(book, give, costs, startable):
            if cap_units > EPS:
                goods = min(can, cap_units / cost)
                o.remaining -= goods
                if o.remaining < EPS * max(1.0, o.qty):
                    goods += o.remaining
                    o.remaining = 0.0
                if o.started is None:
                    o.started = float(day)
                self.used_today[node] += goods * cost
                self.started[node] += goods
                self.wip[node] += goods
                self.pipeline.setdefault(due, []).append((node, o, goods, day))
            if o.remaining > 0.0:
                keep.append(o)
        self.books[node] = keep

    def _complete(self, day: int) -> None:
        """Finish today's chunks; ship what is made when an order completes, else weekly."""
        touched: dict[int, Order] = {}
        for node, o, goods, began in self.pipeline.pop(day, ()):
            self.wip[node] -= goods
            self.finished[node] += goods
            self.flow_time[node] += goods * (day - began)
            o.made += goods
            touched[o.id] = o
        for o in touched.values():
            done = o.remaining == 0.0 and o.made + o.denied_qty >= o.qty * (1 - 1e-9)
            if done:
                o.finished = float(day)
            if done or day % 7 == 0:
                self.on_finished(o, float(day))

    def drop(self, o: Order, units: float) -> float:
        """Take units that can no longer be made (denied inputs) out of an order's book."""
        cut = min(units, o.remaining)
        o.remaining -= cut
        if o.remaining <= EPS and o.made + o.denied_qty >= o.qty * (1 - 1e-9) and o.finished is None:
            o.finished = o.finished or (o.started if o.started is not None else o.entered)
        return cut

    def quoted(self, node: int, day: int) -> float:
        """Lead time a new order would face: backlog / effective rate + cycle time."""
        d = min(day, self.net.days - 1)
        ct = self.net.cycle[node, d] * self.net.ct_mult[node, d]
        cap = self.cap_today[node] if self.cap_today.size else np.inf
        if not np.isfinite(cap):
            return float(ct)
        if cap <= EPS:
            return float("inf") if self.books[node] else float(ct)
        return self.backlog_units(node, day) / cap + float(ct)
