"""Capacity-limited production: order books and WIP pipelines.

Once a day every node with open orders spends today's capacity on its book
by its allocation rule (`allocation.py`, a registry a user can extend); what
starts today finishes after the node's cycle time (`completion.py`: finishing
and shipping the output). Work in progress sits in a per-day completion
pipeline, so a lot costs a handful of list operations per day, never one
kernel event per unit.
"""

from __future__ import annotations

import bisect
from array import array
from typing import Callable, Iterable

import numpy as np

from .allocation import (ALLOCATION_RULES, BUILT_IN, EPS, INF, AllocationContext, checked_give, fifo, priority,
                         priority_key, pro_rata, register_allocation, startable, startable_after, takes_context)
from .capacity import Capacity
from .completion import TRANCHE, Completion
from .network import Net
from .orders import Order
from .sharing import ShareBook
from .streams import PluginStreams

__all__ = ["Production", "ALLOCATION_RULES", "register_allocation", "startable"]

#: up to these many nodes, `step` reads today's rows whole as lists
_FEW_NODES = 64

class Production(Completion):
    """Order books and WIP pipelines of every capacity-limited node."""

    def __init__(self, net: Net, on_finished: Callable[[Order, float], None], shared: bool = True,
                 streams: PluginStreams | None = None) -> None:
        """`shared=False` runs `pro_rata` nodes through the rule function order by order (the
        reference the `ShareBook` is tested against) instead of by a cumulative level. `streams`: the
        replication's plug-in streams, for a user's rule taking a context (None: seed 0, a Production
        built alone)."""
        self.net = net
        n = len(net.ids)
        self.books: list[list[Order]] = [[] for _ in range(n)]
        self.queued = array("d", bytes(8 * n))  # capacity units (at yield 1) the books still have to start
        self.active: set[int] = set()
        self.tiers: dict[int, dict[str, int]] = {}
        self.pipeline: dict[int, list[tuple[int, Order, float, int]]] = {}
        # pro_rata nodes: plain orders advance by a shared level (sharing.py); chunks are
        # (node, good units, start day, level reached) and due days never overtake
        self.shares: dict[int, ShareBook] = {}
        self.share_pipeline: dict[int, list[tuple[int, float, int, float]]] = {}
        self.on_finished = on_finished
        self.unshipped: dict[Order, None] = {}  # finished output to ship on the next shipping day (`Completion`)
        self.rules = [ALLOCATION_RULES[getattr(m, "allocation", "fifo")] for m in net.node_models]
        # the name of a user's rule (checked at every call), None for a built-in one
        self.user_rule = [None if BUILT_IN.get(name) is rule else name for name, rule in
                          ((getattr(m, "allocation", "fifo"), r) for m, r in zip(net.node_models, self.rules))]
        # whether a user's rule takes an `AllocationContext` (built-in ones do not: never asked)
        takes = {id(r): takes_context(r) for r, u in zip(self.rules, self.user_rule) if u is not None}
        self.user_ctx = [u is not None and takes[id(r)] for r, u in zip(self.rules, self.user_rule)]
        self._streams = streams or PluginStreams(np.random.SeedSequence(0), 0)
        self._names = tuple(net.ids)
        for i, m in enumerate(net.node_models):
            if getattr(m, "allocation", "fifo") == "priority" and m.priority:
                self.tiers[i] = dict(m.priority)
            if shared and self.rules[i] is pro_rata:
                self.shares[i] = ShareBook(TRANCHE)
        # capacity and cycle lag by day (`capacity.py`); `tools` is its array, raised as tools arrive
        self.cap = Capacity(net)
        self.tools = self.cap.tools
        self._lag = self.cap.lag
        # statistics for Little's law and conservation: `array`s of doubles, not numpy arrays,
        # because every start and every finished chunk updates one node (an element is several
        # times quicker to read and write than a numpy scalar), nor lists, whose elements are float
        # objects scattered over the heap (a cache miss each, as a day's step touches hundreds);
        # the weekly record reads them through the buffer protocol
        self.wip = array("d", bytes(8 * n))
        self._wip_np = np.frombuffer(self.wip)  # a numpy view of it (shares its memory; `wip` never resizes)
        self.wip_area = np.zeros(n)
        self.started = array("d", bytes(8 * n))
        self.finished = array("d", bytes(8 * n))
        self.flow_time = array("d", bytes(8 * n))  # sum of qty x days in production over finished chunks
        self._zeros = bytes(8 * n)
        self._zero_days, self.used_today = array("d", self._zeros), array("d", self._zeros)  # zeroed in place daily
        self._used_np = np.frombuffer(self.used_today)
        # memoryviews of the same `array`s for the per-node and per-chunk updates: an element stored through a
        # memoryview is one float conversion; through the `array`, its setitem parses the value with PyArg_Parse
        # (about 1.5M stores on a 1,000-node, 3-year run). The `array`s stay what everything else reads
        self._queued_v, self._used_v, self._started_v, self._wip_v = (
            memoryview(self.queued), memoryview(self.used_today), memoryview(self.started), memoryview(self.wip))
        self._finished_v, self._flow_time_v = memoryview(self.finished), memoryview(self.flow_time)
        # capacity units used and available since the last weekly record: its mean utilisation
        self.used_since = np.zeros(n)
        self.cap_since = np.zeros(n)
        self._few = n <= _FEW_NODES  # `step` reads today's rows whole

    # -- capacity ----------------------------------------------------------
    def capacity(self, day: int) -> np.ndarray:
        """Effective capacity units/day of every node today (inf where unlimited)."""
        return self.cap.today(day)

    def backlog_units(self, node: int, day: int) -> float:
        """Capacity units still to start at `node`."""
        return float(self.backlog_vector(day)[node])

    def backlog_vector(self, day: int) -> np.ndarray:
        """Capacity units still to start, every node at once (the weekly record)."""
        q = np.maximum(np.asarray(self.queued), 0.0)
        for node, share in self.shares.items():
            q[node] += share.backlog()
        return q / self.net.yields[:, min(day, self.net.days - 1)]

    # -- flow --------------------------------------------------------------
    def add(self, order: Order, now: float) -> None:
        supplier = order.supplier
        tiers = self.tiers.get(supplier)
        if tiers:
            order.tier = tiers.get(self.net.ids[order.customer], max(tiers.values()) + 1)
        order.entered = now
        order.remaining = remaining = order.qty - order.denied_qty
        order.status = "book"
        order.in_book = True
        share = self.shares.get(supplier)
        if share is not None and order.ready_qty == INF and remaining > 0.0:
            share.add(order)
        else:
            self.books[supplier].append(order)
            self._queued_v[supplier] += remaining * order.unit_cost
        self.active.add(supplier)

    def unpark(self, order: Order) -> None:
        """Put a kit whose inputs arrived back in its book, in order of entry."""
        if order.in_book or order.remaining <= 0.0:
            return
        order.in_book = True
        bisect.insort(self.books[order.supplier], order, key=lambda o: o.entered)
        self._queued_v[order.supplier] += order.remaining * order.unit_cost
        self.active.add(order.supplier)

    def step(self, day: int) -> None:
        """Spend today's capacity on every active book, then finish what is due."""
        net = self.net
        d = min(day, net.days - 1)
        self.used_today[:] = self._zero_days  # in place (a copy of zeros, no numpy call): `_used_np` views it
        today = self.capacity(day)
        self.cap_since += today
        if self.active:
            # today's figures of the active nodes only (a fifth of a large network): the yields are
            # nodes x days, so a whole day's column would cost a cache miss per node
            nodes = sorted(self.active)
            if self._few:  # a small network: whole rows as lists cost less than three numpy gathers
                caps, lags, ys = today.tolist(), self._lag[d].tolist(), net.yields[:, d].tolist()
                rows = [(n, caps[n], lags[n], ys[n]) for n in nodes]
            else:
                at = np.fromiter(nodes, np.intp, len(nodes))  # np.array would first infer a dtype from every int
                rows = zip(nodes, today[at].tolist(), self._lag[d, at].tolist(), net.yields[at, d].tolist())
            self._fill_start(day, rows)
            shares, books = self.shares, self.books
            # a node stays active while its book or its share book has work
            self.active = {n for n in self.active if books[n] or (n in shares and shares[n])}
        self._complete(day)
        self.wip_area += self._wip_np  # through the views: no buffer export of the `array`s per day
        self.used_since += self._used_np

    def utilisation_since(self) -> np.ndarray:
        """Mean utilisation of every node over the days since the last call (capacity used / available),
        and start again: the weekly record's `utilisation_mean`."""
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(self.cap_since > 0, self.used_since / np.where(self.cap_since > 0, self.cap_since, 1.0), np.nan)
        self.used_since[:] = 0.0
        self.cap_since[:] = 0.0
        return out

    def _allocate(self, node: int, day: int, due: int, budget: float, y: float) -> None:
        """Spend `budget` (finite) capacity units at yield `y` on the node's book by a rule other than the
        built-in fifo and priority (`_fill_start` runs those, and every node at unlimited capacity); starts
        finish on `due`."""
        book = self.books[node]
        rule = self.rules[node]
        if self.user_rule[node] is None:
            give = rule(book, budget, y)
        else:
            ctx = None
            if self.user_ctx[node]:
                node_id = self._names[node]
                ctx = AllocationContext(node_id, day, self._streams.get("allocation", node_id), self._names)
            give = checked_give(self.user_rule[node], self.net.ids[node], day, rule, book, budget, y, ctx)
        if give:
            self._start(node, day, due, y, give)

    def _allocate_shared(self, node: int, day: int, due: int, budget: float, y: float) -> None:
        """pro_rata through the node's ShareBook: plain orders and kits on one level."""
        share = self.shares[node]
        book = self.books[node]
        kits = [(o, c) for o in book if (c := startable(o)) > EPS] if book else []  # empty most days
        last = share.last_due
        due = last if last > due else due  # max(due, last): no overtaking inside the node
        share.last_due = due
        used, started, give = share.allocate(budget, y, day, kits)
        if started > 0.0:
            self.share_pipeline.setdefault(due, []).append((node, started, day, share.level))
            # the kits' capacity is counted by `_start`; with no kit (most days) nothing to take off (x - 0 is x)
            self._used_v[node] += used - sum(g * o.unit_cost / y for o, g in give) if give else used
            self._started_v[node] += started
            self._wip_v[node] += started
        if give:
            give = [(o, g) for o, g in give if g > 0.0]
            if give:
                self._start(node, day, due, y, give)

    def _start(self, node: int, day: int, due: int, y: float, give: list[tuple[Order, float]]) -> None:
        """Start `give` ((order, good units)) today at `node`; they finish on day `due`."""
        slot = self.pipeline.setdefault(due, [])
        used = started = 0.0
        gone: list[Order] = []
        parked: list[Order] = []
        for o, goods in give:
            rem = o.remaining - goods
            if rem < (EPS * o.qty if o.qty > 1.0 else EPS):
                goods += rem
                rem = 0.0
                gone.append(o)
            elif o.ready_qty != INF and startable_after(o, rem) <= EPS:
                parked.append(o)  # a kit that started all its arrived inputs: waits outside the book
            o.remaining = rem
            if o.started is None:
                o.started = float(day)
            used += goods * o.unit_cost
            started += goods
            slot.append((node, o, goods, day))
        self._settle(node, y, used, started, gone, parked)

    def _fill_start(self, day: int, rows: Iterable[tuple[int, float, int, float]]) -> None:
        """Spend today's capacity at every active node ((node, capacity units, cycle days, yield), in node
        order: chunks due the same day finish in the order they started). fifo and priority nodes, and any
        node at unlimited capacity (where every startable unit starts, so `_fill` gives each order what it
        may start), run `_start(..., _fill(orders, budget, y))` in one pass, without the list of (order, units)
        between them: the same arithmetic in the same order as the two loops (`_fill` reads an order before
        `_start` writes it, and neither reads another order). The pass is inline in the loop over nodes, not
        a call per node-day: it is most of the production step."""
        books, rules, shares, pipeline = self.books, self.rules, self.shares, self.pipeline
        queued, used_today, started_at, wip = self._queued_v, self._used_v, self._started_v, self._wip_v
        eps, inf, fday = EPS, INF, float(day)  # locals: read per order
        for node, budget, lag, y in rows:
            due = day + lag
            rule = rules[node]
            if rule is fifo:  # most nodes (a share node is pro_rata)
                orders = books[node]
            elif node in shares:
                self._allocate_shared(node, day, due, budget, y)
                continue
            elif budget == INF:
                orders = books[node]
            elif rule is priority:
                orders = sorted(books[node], key=priority_key)
            else:
                self._allocate(node, day, due, budget, y)
                continue
            slot = None
            used = started = 0.0
            gone: list[Order] | None = None  # made on the first order to leave the book: most days none does
            parked: list[Order] | None = None
            for o in orders:
                if budget <= eps:
                    break
                rem, ready, qty = o.remaining, o.ready_qty, o.qty  # each field read once
                # startable(o), inline: the hottest loop; min(rem, can) without the call (min keeps its first
                # argument unless the second is smaller). Not a kit (no input limit): inf - x is inf, so rem
                if ready == inf:
                    can = rem
                else:
                    can = ready - (qty - o.denied_qty - rem)
                    if not can < rem:
                        can = rem
                if can <= eps:  # (a dropped order may have nothing left)
                    continue
                unit_cost = o.unit_cost
                cost = unit_cost / y
                goods = can if can * cost <= budget else budget / cost
                budget -= goods * cost
                rem -= goods
                if rem < (eps * qty if qty > 1.0 else eps):
                    goods += rem
                    rem = 0.0
                    if gone is None:
                        gone = []
                    gone.append(o)
                elif ready != inf and startable_after(o, rem) <= eps:
                    if parked is None:
                        parked = []
                    parked.append(o)
                o.remaining = rem
                if o.started is None:
                    o.started = fday
                used += goods * unit_cost
                started += goods
                if slot is None:
                    slot = pipeline.get(due)
                    if slot is None:
                        slot = pipeline[due] = []
                slot.append((node, o, goods, day))
            if slot is None:
                continue
            if gone is None and parked is None:
                # `_settle` when no order leaves the book (7 node-days in 10): the same four updates; the book
                # is not empty (an order in it started), so `queued` is kept, not zeroed
                queued[node] -= used
                used_today[node] += used / y
                started_at[node] += started
                wip[node] += started
            else:
                self._settle(node, y, used, started, gone or [], parked or ())

    def _settle(self, node: int, y: float, used: float, started: float, gone: list[Order],
                parked: "list[Order] | tuple[()]") -> None:
        """The node's statistics and book after today's starts: `used` capacity units at yield 1 and `started`
        good units; `gone` orders are fully started, `parked` kits wait for inputs outside the book."""
        book = self.books[node]
        queued = self._queued_v[node] - used
        self._used_v[node] += used / y
        self._started_v[node] += started
        self._wip_v[node] += started
        for o in parked:
            o.in_book = False
            queued -= o.remaining * o.unit_cost
            gone.append(o)
        if len(gone) == 1 and book[0] is gone[0]:  # the usual case: the oldest order left, no set of ids
            del book[0]
        elif gone:
            out = {id(o) for o in gone}
            k = 0
            while k < len(book) and id(book[k]) in out:
                k += 1
            if k == len(out):  # the usual case: the oldest orders left (fifo); trim in place
                del book[:k]
            else:
                self.books[node] = book = [o for o in book if o.remaining > 0.0 and o.in_book]
        self._queued_v[node] = queued if book else 0.0

    def drop(self, o: Order, units: float) -> float:
        """Take units that can no longer be made (denied inputs) out of an order's book."""
        share = self.shares.get(o.supplier)
        if share is not None and o.id in share.members:
            return share.drop(o, units)
        cut = min(units, o.remaining)
        o.remaining -= cut
        if o.in_book and cut > 0.0:
            self._queued_v[o.supplier] -= cut * o.unit_cost
        if o.remaining <= EPS and o.made + o.denied_qty >= o.qty * (1 - 1e-9) and o.finished is None:
            # its rest refused, all it made is made: it finished when its last goods did (at its start, or its
            # entry, if it made none); not at its start when goods were made after it
            o.finished = o.made_at if o.made_at is not None else o.started if o.started is not None else o.entered
        return cut
