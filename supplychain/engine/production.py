"""Capacity-limited production: order books, allocation rules, WIP pipelines.

Once a day every node with open orders spends today's capacity on its book
by its allocation rule; what starts today finishes after the node's cycle
time. Work in progress sits in a per-day completion pipeline, so a lot costs
a handful of list operations per day, never one kernel event per unit.
Allocation rules are a registry a user can extend (`ALLOCATION_RULES`).
"""

from __future__ import annotations

import bisect
import math
from typing import Callable

import numpy as np

from .network import Net
from .orders import Order

__all__ = ["Production", "ALLOCATION_RULES", "register_allocation"]

EPS = 1e-9

#: rule(book, budget, yield) -> [(order, good units to start today)]. A rule sees only
#: orders with something startable and must not give more capacity than `budget`.
AllocationRule = Callable[[list[Order], float, float], list[tuple[Order, float]]]
ALLOCATION_RULES: dict[str, AllocationRule] = {}


def register_allocation(name: str) -> Callable[[AllocationRule], AllocationRule]:
    def deco(fn: AllocationRule) -> AllocationRule:
        ALLOCATION_RULES[name] = fn
        return fn

    return deco


def startable(o: Order) -> float:
    """Good units of `o` that may start now: not yet started, and covered by arrived inputs."""
    return min(o.remaining, o.ready_qty - (o.qty - o.denied_qty - o.remaining))


def _fill(orders, budget: float, y: float) -> list[tuple[Order, float]]:
    out = []
    for o in orders:
        if budget <= EPS:
            break
        can = startable(o)
        if can <= EPS:
            continue
        cost = o.unit_cost / y
        goods = can if can * cost <= budget else budget / cost
        budget -= goods * cost
        out.append((o, goods))
    return out


@register_allocation("fifo")
def fifo(book: list[Order], budget: float, y: float) -> list[tuple[Order, float]]:
    """First come, first served: the oldest order takes what it needs first."""
    return _fill(book, budget, y)


@register_allocation("pro_rata")
def pro_rata(book: list[Order], budget: float, y: float) -> list[tuple[Order, float]]:
    """Shortage rationing: every open order gets capacity in proportion to what it still needs."""
    cans = [(o, startable(o)) for o in book]
    cans = [(o, c) for o, c in cans if c > EPS]
    total = sum(c * o.unit_cost / y for o, c in cans)
    if total <= budget:
        return cans
    f = budget / total
    return [(o, c * f) for o, c in cans]


@register_allocation("priority")
def priority(book: list[Order], budget: float, y: float) -> list[tuple[Order, float]]:
    """Customer tiers (0 first), first come first served within a tier."""
    return _fill(sorted(book, key=lambda o: (o.tier, o.entered)), budget, y)


class Production:
    """Order books and WIP pipelines of every capacity-limited node."""

    def __init__(self, net: Net, on_finished: Callable[[Order, float], None]) -> None:
        self.net = net
        n = len(net.ids)
        self.books: list[list[Order]] = [[] for _ in range(n)]
        self.active: set[int] = set()
        self.tiers: dict[int, dict[str, int]] = {}
        self.pipeline: dict[int, list[tuple[int, Order, float, int]]] = {}
        self.on_finished = on_finished
        self.rules = [ALLOCATION_RULES[getattr(m, "allocation", "fifo")] for m in net.node_models]
        for i, m in enumerate(net.node_models):
            if getattr(m, "allocation", "fifo") == "priority" and m.priority:
                self.tiers[i] = dict(m.priority)
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
        tiers = self.tiers.get(order.supplier)
        if tiers:
            order.tier = tiers.get(self.net.ids[order.customer], max(tiers.values()) + 1)
        order.entered = now
        order.remaining = order.qty - order.denied_qty
        order.status = "book"
        order.in_book = True
        self.books[order.supplier].append(order)
        self.active.add(order.supplier)

    def unpark(self, order: Order) -> None:
        """Put a kit whose inputs arrived back in its book, in order of entry."""
        if order.in_book or order.remaining <= 0.0:
            return
        order.in_book = True
        bisect.insort(self.books[order.supplier], order, key=lambda o: o.entered)
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
        y = float(self.net.yields[node, d])
        if budget == np.inf:
            give = [(o, c) for o in book if (c := startable(o)) > EPS]
        else:
            give = self.rules[node](book, budget, y)
        if not give:
            return
        ct = self.net.cycle[node, d] * self.net.ct_mult[node, d]
        due = day + int(math.ceil(ct - EPS)) if ct > EPS else day
        slot = self.pipeline.setdefault(due, [])
        used = started = 0.0
        emptied = False
        for o, goods in give:
            o.remaining -= goods
            if o.remaining < EPS * max(1.0, o.qty):
                goods += o.remaining
                o.remaining = 0.0
                emptied = True
            if o.started is None:
                o.started = float(day)
            used += goods * o.unit_cost / y
            started += goods
            slot.append((node, o, goods, day))
        self.used_today[node] += used
        self.started[node] += started
        self.wip[node] += started
        for o, _ in give:  # kits that started all their arrived inputs wait outside the book
            if o.remaining > 0.0 and o.ready_qty != np.inf and startable(o) <= EPS:
                o.in_book = False
                emptied = True
        if emptied:
            self.books[node] = [o for o in book if o.remaining > 0.0 and o.in_book]

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
