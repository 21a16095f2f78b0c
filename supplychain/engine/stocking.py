"""Build-ahead component makers: wafers and stacks started on forecast, sold from stock.

A fab or memory node with `build_ahead_days` A > 0 does not put its customers' orders in
its order book. Every week (with the vendors' builds) it places a build lot on its own
book, per product, order-up-to on its position (a base-stock policy with weekly review):

    build = max(0, r x (c + 7 + A) - (stock + in build - unfilled orders))

with `r` its order flow of that product smoothed as a vendor's (half-life 60 days; `StockBook`) and `c`
its cycle time: the lots in production cover the cycle and the week to the next build,
and A days of flow are held as finished stock on top. A component whose accelerators are
all discontinued by the time a lot started now would be done is built only for the orders
waiting (`r x 0`), as a vendor stops building a SKU off sale. The
lots are produced like any order (capacity, allocation, yield, cycle time); their output
goes to the node's finished stock, and the stock goes to waiting orders first come,
first served, and ships at once (export controls are checked at shipment as ever). In
calm times an order is filled the day it arrives and its lead time is transport; when
demand outruns the forecast it waits for the next lots, and the quote is the queue's.
This is how HBM and wafer starts follow a forecast rather than each order (backtest.md,
Known limits 1); with A = 0 (the default) the node makes to order, as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .orders import Order
from .vendors import BUILD_DAYS, StockBook

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["BuildAhead", "build_ahead_days"]

EPS = 1e-9


def build_ahead_days(net) -> dict[int, float]:
    """The nodes that build ahead (fabs and memory makers with `build_ahead_days` > 0) and their days."""
    return {i: float(m.build_ahead_days) for i, m in enumerate(net.node_models)
            if m.kind in ("fab", "memory") and m.build_ahead_days > 0}


class BuildAhead(StockBook):
    """Finished stock, waiting orders and weekly build lots of every build-ahead node."""

    def __init__(self, world: "World") -> None:
        super().__init__(world)
        net = world.net
        self.ahead = build_ahead_days(net)
        self.lots: dict[tuple[int, str], list[Order]] = defaultdict(list)  # build lots not all in stock yet
        self.built = 0.0  # goods the lots put in stock
        self.given = 0.0  # goods taken from stock for orders (a return counts back)
        # dies per wafer of each die, for a fab's lots (an order's own comes from the package it goes into)
        self.dies_per_wafer = {}
        # the last day (from the start) any accelerator using a component is on sale (inf: no end)
        self.sold_until: dict[str, float] = {}
        start = world.scenario.start
        for p in net.products.values():
            if p.bom is None:
                continue
            if p.bom.dies_per_wafer:
                self.dies_per_wafer.setdefault(p.bom.logic, p.bom.dies_per_wafer)
            end = (p.discontinued - start).days if p.discontinued else float("inf")
            for part in (p.bom.logic, p.bom.hbm):
                if part is not None:
                    self.sold_until[part] = max(self.sold_until.get(part, -float("inf")), end)

    def held(self, nodes: np.ndarray) -> np.ndarray:
        """Finished goods in stock at each of `nodes`, all products together (0 at a maker that
        makes to order): the `stock` column of the weekly nodes table."""
        out = np.zeros(len(nodes))
        if self.stock:
            at = {int(n): k for k, n in enumerate(nodes.tolist())}
            for (node, _), qty in self.stock.items():
                if node in at:
                    out[at[node]] += qty
        return out

    def take(self, o: Order, now: float) -> None:
        """A released order at a build-ahead node waits for stock, first come first served."""
        self._fill(self._enqueue(o, now), now)

    def build(self, day: int) -> None:
        """Place this week's build lots (the daily step calls it every BUILD_DAYS)."""
        if not self.ahead:
            return
        w, net = self.w, self.w.net
        d = min(day, net.days - 1)
        for key in sorted(set(self.rate) | set(self.arrivals)):  # sorted: independent of the hash seed
            node, product = key
            rate = self._smoothed(key)
            position = self.stock[key] + self.in_build[key] - self.unfilled[key]
            ct = float(net.cycle[node, d] * net.ct_mult[node, d])
            # no stock for accelerators off sale by the time a lot started now is done (as vendors, `Vendors.build`)
            cover = ct + BUILD_DAYS + self.ahead[node] if day + ct < self.sold_until.get(product, float("inf")) else 0.0
            need = rate * cover - position
            if need <= EPS:
                continue
            lot = w._new("build", None, product, need, float(day), supplier=node, customer=node)
            lot.released = float(day)
            lot.unit_cost = self._unit_cost(key)
            self.in_build[key] += need
            self.lots[key].append(lot)
            w.production.add(lot, float(day))

    def quote(self, key: tuple[int, str], cap: float, ct: float, y: float, full: float,
              days: Callable[[float], float] | None = None) -> float:
        """Days a new order of `key` would wait for stock: none while there is stock; else the time
        the lots already started take to cover the orders waiting before it (their output comes
        evenly over the cycle time), or, past what they hold, the rest made from the lots queued
        at capacity `cap` (capacity units a day at yield `y`; `days(units)` instead, if given: the
        time the capacity plan takes, `quotes.capacity: plan`) + the cycle time `ct`, so at least the
        cycle with nothing in production. At most `full`, the node's whole backlog: the lots of its
        other products are ahead of ours in its book too."""
        if self.stock.get(key, 0.0) > EPS:
            return 0.0
        lots = self.lots.get(key)
        if lots:
            lots[:] = [x for x in lots if x.delivered_qty < x.qty - x.denied_qty - 1e-9]
        ready = making = 0.0  # finished, not yet moved to stock (the weekly move); in production
        for x in lots or ():
            ready += x.made - x.delivered_qty
            making += (x.qty - x.denied_qty - x.remaining) - x.made
        waiting = self.unfilled.get(key, 0.0) - ready
        if waiting < 0.0:  # finished goods on their way to stock cover it
            return 0.0
        if making > 0.0 and waiting <= making:
            return ct * waiting / making
        units = (waiting - making) * self._unit_cost(key) / y  # capacity units still to start
        if days is not None:
            return min(full, days(units) + ct)
        return min(full, units / cap + ct) if cap > 0.0 else full

    def _unit_cost(self, key: tuple[int, str]) -> float:
        """Capacity units per good unit of a lot of `key` (a die: its package's dies per wafer)."""
        return self.w.net.unit_cost(key[0], key[1], self.dies_per_wafer.get(key[1]))

    def arrived(self, lot: Order, qty: float, now: float) -> None:
        """A build lot's finished goods (weekly, and when it is done) go to stock, then to waiting orders."""
        key = (lot.supplier, lot.product)
        lot.shipped_qty += qty
        lot.delivered_qty += qty
        lot.shipped = lot.shipped if lot.shipped is not None else now
        lot.arrived = now
        if lot.delivered_qty >= lot.qty * (1 - 1e-9):
            lot.delivered, lot.status = now, "delivered"
        self.in_build[key] -= qty
        self.stock[key] += qty
        self.built += qty
        self._fill(key, now, lot)

    def returned(self, o: Order, qty: float, now: float) -> None:
        """Goods refused at shipment stay with the maker for the next customer."""
        self.given -= qty
        super().returned(o, qty, now)

    def _fill(self, key: tuple[int, str], now: float, lot: Order | None = None) -> None:
        q = self.queue[key]
        while q and self.stock[key] > EPS:
            entry = q[0]
            o = entry[0]
            left = min(entry[1], o.qty - o.denied_qty - o.shipped_qty)  # a refused part (held goods too) is not owed
            if left <= EPS:
                self.unfilled[key] -= entry[1]
                q.popleft()
                continue
            give = min(left, self.stock[key])
            self.stock[key] -= give
            self.unfilled[key] -= give
            self.given += give
            entry[1] -= give
            if o.started is None:
                o.started = now
            o.made += give
            if lot is not None and lot not in o.children:
                if o.children:
                    o.children.append(lot)  # type: ignore[union-attr]
                else:
                    o.children = [lot]
            if give >= left - EPS:
                o.finished = now
                self.unfilled[key] -= entry[1]
                q.popleft()
            # shipped by a call due now, not from inside this loop: goods refused at shipment come
            # back (`returned`) and fill the next order, which must not nest one call per order
            self.w.at(now, self.w.ship, o, give, now)
