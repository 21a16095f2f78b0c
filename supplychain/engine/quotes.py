"""Quoted lead times, every flow, every week.

The quoted lead time is what a new order placed now would face, the figure
industry reports ("36-52 weeks"): at a producer, backlog / effective rate +
cycle time; for a packaged accelerator, the slowest of its BOM inputs (each
quoted at its suppliers, plus transport) + the packaging quote; for a
vendor's customer, that + the vendor's cycle time + transport to the lab.
A stock point (the generic kernel) with goods on hand ships at once (0); without,
an order waits for replenishment, quoted like a vendor without stock: its chain
(a kit's slowest input) + its cycle time.
"""

from __future__ import annotations

import bisect
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from .network import PRODUCER_KINDS
from .stocking import build_ahead_days

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["QuotePlan", "QuoteBook", "plan_wait", "plan_days", "atp_wait"]


def plan_wait(cum: np.ndarray, d: int, cap: np.ndarray, backlog: np.ndarray, nodes: np.ndarray,
              known: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """Days from day `d` until each node's planned capacity covers its backlog (0 where `nodes` is
    False; `cum`: the plan summed from day 0, nodes x days+1; `known`: the rows a plan shock has
    changed by day `d`, `Net.known_plans`): `plan_days` of every node."""
    out = np.zeros(len(cap))
    for n in np.flatnonzero(nodes).tolist():
        row = known[n] if known and n in known else cum[n]
        out[n] = plan_days(row, d, float(cap[n]), float(backlog[n]))
    return out


def atp_wait(scheduled: list[float], due: list[float], left: float, unfilled: float, day: float, chain: float) -> float:
    """Days until a vendor can fill a new order from its build lots (available to promise).

    Lots arrive in the order they were placed, and orders are filled first come, first served,
    so a new order is filled by the unit `left + unfilled` of the lots' running total
    (`scheduled`: units placed up to each lot; `left`: units that have arrived or were denied;
    `unfilled`: units the orders ahead of it still wait for). Its promise is that lot's due day
    (`due`), at the earliest today; with every lot in build spoken for, a new build: `chain`.
    """
    k = bisect.bisect_left(scheduled, left + unfilled + 1e-9)
    return max(due[k] - day, 0.0) if k < len(scheduled) else chain


def plan_days(row: np.ndarray, d: int, cap: float, backlog: float) -> float:
    """Days from day `d` until one node's planned capacity (`row`: its plan summed from day 0)
    makes `backlog` capacity units. The quotes are made after the day's production, so a new
    order's first capacity is tomorrow's: the plan counts from d + 1.

    The plan is scaled by today's effective / planned capacity `r` (`cap` / the plan today), so
    a shock or a tool shortfall is taken to persist in proportion (`r` = 0: inf; a node not yet
    built, planned 0 today, counts on its plan). Past the run's last day the last day's plan
    continues. With a flat plan this is backlog / capacity, the `today` quote.
    """
    first, last = d + 1, len(row) - 1
    today = row[first] - row[d]
    if today > 0.0 and cap <= 1e-12:
        return np.inf
    target = row[first] + backlog * (today / cap if today > 0.0 else 1.0)  # plan units to cover
    if target <= row[first]:  # no backlog, or one below the float resolution of the summed plan
        return 0.0
    if target <= row[last]:
        k = int(np.searchsorted(row, target, side="left"))  # first day boundary the plan reaches it
        return (k - 1 - first) + (target - row[k - 1]) / (row[k] - row[k - 1])
    rate = row[last] - row[last - 1]
    return (last - first) + (target - row[last]) / rate if rate > 0.0 else np.inf


class QuotePlan:
    """How every flow's quote is computed, compiled once so a week is a few numpy passes.

    The quote at a supplier depends on its inputs' quotes (a vendor without stock waits
    for its build chain, a packager for its slowest BOM input), so the keys are
    evaluated repeatedly, as many times as the deepest such chain, each pass a vector
    operation over all flows: share-weighted means over each (customer, product)'s
    supplying flows by `np.add.reduceat`.
    """

    def __init__(self, net, keys: list[tuple[int, str]], key_of: np.ndarray, expected: np.ndarray) -> None:
        self.key_of, self.expected = key_of, expected  # flow -> key; expected transport days per flow
        self.key_node = np.array([n for n, _ in keys], dtype=np.intp)
        self.producer = np.array([k in PRODUCER_KINDS for k in net.kinds], dtype=bool)
        pairs: dict[tuple[int, str], int] = {}
        vendor, pack, inputs, stock, stock_in = [], [], [], [], []
        for k, (n, p) in enumerate(keys):
            if net.kinds[n] == "vendor":
                vendor.append((k, pairs.setdefault((n, p), len(pairs))))
            elif net.kinds[n] == "stock":  # replenished with its item, or assembled from its bom's inputs
                model = net.node_models[n]
                stock.append(k)
                stock_in.append([pairs.setdefault((n, i), len(pairs)) for i in (list(model.bom) or [model.item])])
            elif net.kinds[n] == "packaging" and net.products[p].bom is not None:
                bom = net.products[p].bom
                ins = [bom.logic] + ([bom.hbm] if bom.hbm and bom.hbm_stacks > 0 else [])
                pack.append(k)
                inputs.append([pairs.setdefault((n, i), len(pairs)) for i in ins])
        self.vendor_keys = np.array([k for k, _ in vendor], dtype=np.intp)
        self.vendor_pair = np.array([j for _, j in vendor], dtype=np.intp)
        self.vendor_stock_keys = [keys[k] for k, _ in vendor]
        # keys of build-ahead makers (stocking.py): a new order is filled from their stock while it lasts
        ahead = build_ahead_days(net)
        self.stocked_keys = np.array([k for k, (n, _) in enumerate(keys) if n in ahead], dtype=np.intp)
        self.stocked = [keys[k] for k in self.stocked_keys]
        self.pack_keys = np.array(pack, dtype=np.intp)
        self.pack_in = np.array([[ins[0], ins[-1]] for ins in inputs], dtype=np.intp).reshape(len(pack), 2)
        self.stock_keys = np.array(stock, dtype=np.intp)
        self.vendor_node, self.pack_node = self.key_node[self.vendor_keys], self.key_node[self.pack_keys]
        self.pack_in0, self.pack_in1 = self.pack_in[:, 0].copy(), self.pack_in[:, 1].copy()  # each pass's gathers
        self.stock_nodes = [keys[k][0] for k in stock]
        self.stock_in = np.array([j for ins in stock_in for j in ins], dtype=np.intp)
        self.stock_start = np.cumsum([0] + [len(ins) for ins in stock_in[:-1]]).astype(np.intp)
        self.stock_node = self.key_node[self.stock_keys]
        self.n_pairs = len(pairs)
        seg, starts, filled = [], [], []
        for (c, p), j in sorted(pairs.items(), key=lambda kv: kv[1]):
            flows = net.flows_into(c, p)
            if flows:
                filled.append(j)
                starts.append(len(seg))
                seg.extend(f.index for f in flows)
        self.seg_flow = np.array(seg, dtype=np.intp)
        self.seg_start = np.array(starts, dtype=np.intp)
        self.filled = np.array(filled, dtype=np.intp)
        # passes needed: the longest chain of vendor / packaging keys feeding one another
        key_index = {key: k for k, key in enumerate(keys)}
        pair_keys = {j: [key_index[(net.flows[f].supplier, net.flows[f].product)] for f in
                         (x.index for x in net.flows_into(c, p))] for (c, p), j in pairs.items()}
        deps = {k: pair_keys[j] for k, j in vendor}
        deps.update({k: [d for j in ins for d in pair_keys[j]] for k, ins in zip(pack, inputs)})
        deps.update({k: [d for j in ins for d in pair_keys[j]] for k, ins in zip(stock, stock_in)})
        depth: dict[int, int] = {}

        def depth_of(k: int) -> int:
            if k not in depth:
                depth[k] = 0  # guards recursion; goods never flow in a cycle (validation)
                if k in deps:
                    depth[k] = 1 + max((depth_of(x) for x in deps[k]), default=-1)
            return depth[k]

        self.passes = max((depth_of(k) for k in deps), default=0)

    def evaluate(self, w: "World", day: int, cap: np.ndarray, backlog: np.ndarray,
                 refused: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(quote at every node, quote at every (supplier, product) key) for this week. `refused`:
        per flow, a control refuses it outright; a new order skips that supplier, so its quote does too."""
        net = w.net
        d = min(day, net.days - 1)
        ct = net.cycle[:, d] * net.ct_mult[:, d]
        node_q = ct.copy()
        limited = self.producer & np.isfinite(cap)
        # divide only where the quote reads it: a denormal capacity (a shock's multipliers multiplied) overflows
        flowing = cap > 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(flowing, backlog / np.where(flowing, cap, 1.0) + ct, np.where(backlog > 0, np.inf, ct))
        plan = net.plan_cum
        known = net.known_plans(d) if net.plan_known else None  # plan shocks started by today (plans.py)
        if plan is not None:  # `quotes.capacity: plan`: the wait along the capacity plan
            q = ct + plan_wait(plan, d, cap, backlog, limited & (backlog > 0), known)
        node_q[limited] = q[limited]
        at = node_q[self.key_node]
        if len(self.stocked_keys):  # build-ahead makers: the wait for their stock (stocking.py)
            ys = net.yields[:, d]
            for k, key in zip(self.stocked_keys.tolist(), self.stocked):
                n = key[0]
                row = None if plan is None else known[n] if known and n in known else plan[n]
                days = None if row is None else partial(plan_days, row, d, float(cap[n]))  # `quotes.capacity: plan`
                at[k] = w.build_ahead.quote(key, float(cap[n]), float(ct[n]), float(ys[n]), float(node_q[n]), days)
        if self.passes:
            stock = w.vendors.stock
            empty = np.array([stock.get(key, 0.0) <= 1e-9 for key in self.vendor_stock_keys], dtype=bool)
            # the nodes' own quotes, the same every pass
            vendor_q, pack_q, stock_q = node_q[self.vendor_node], node_q[self.pack_node], node_q[self.stock_node]
            mult, share = net.flow_mult[:, d], net.flow_share[self.seg_flow, d]
            if w.sourcing.on:  # the split buyers use now (sourcing.py)
                share = share * w.sourcing.weight[self.seg_flow]
            if refused is not None:
                share = np.where(refused[self.seg_flow], 0.0, share)
            if len(self.stock_keys):  # goods on hand (then no backorders: arrivals serve those first) ship at once
                states = w.stocks.state
                on_hand = np.array([states[n].on_hand > 1e-9 for n in self.stock_nodes], dtype=bool)
            transit = self.expected * mult  # the week's, every pass
            weights = self._weights(share)
            for _ in range(self.passes):
                supply = self._supply(at[self.key_of] + transit, weights)
                at[self.vendor_keys] = vendor_q + np.where(empty, supply[self.vendor_pair], 0.0)
                if len(self.pack_keys):
                    at[self.pack_keys] = np.maximum(supply[self.pack_in0], supply[self.pack_in1]) + pack_q
                if len(self.stock_keys):
                    slowest = np.maximum.reduceat(supply[self.stock_in], self.stock_start)
                    at[self.stock_keys] = np.where(on_hand, 0.0, stock_q + slowest)
            if w.vendors.atp:  # `quotes.vendor: atp`: the promise of the lots in build, not a new build
                at[self.vendor_keys] = vendor_q + np.where(empty, self._promise(w, day, supply[self.vendor_pair]), 0.0)
        return node_q, at

    def _promise(self, w: "World", day: int, chain: np.ndarray) -> np.ndarray:
        """Per vendor key, the wait `atp_wait` promises; this week's new lots are due a `chain` from now."""
        v = w.vendors
        out = chain.copy()
        for i, key in enumerate(self.vendor_stock_keys):
            scheduled = v.scheduled.get(key)
            if not scheduled:
                continue
            due = v.due[key]
            k = len(due) - 1
            while k >= 0 and due[k] != due[k]:  # nan: placed since the last quotes
                due[k] = day + float(chain[i])
                k -= 1
            left = scheduled[-1] - v.in_build[key]  # arrived or denied
            out[i] = atp_wait(scheduled, due, left, v.unfilled.get(key, 0.0), day, float(chain[i]))
        return out

    def _weights(self, share: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """What `_supply` needs of the week's shares, the same every pass: (positive, their sum per
        (customer, product), whether it is positive); None with no supplying flow."""
        if not len(self.seg_flow):
            return None
        pos = share > 0
        den = np.add.reduceat(np.where(pos, share, 0.0), self.seg_start)
        return share, pos, den

    def _supply(self, flow_q: np.ndarray, weights: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> np.ndarray:
        """Per (customer, product): the share-weighted mean quote of its supplying flows (the
        quickest one if no share is positive today; 0 with no supplier). `weights`: `_weights` of the shares."""
        out = np.zeros(self.n_pairs)
        if weights is None:
            return out
        share, pos, den = weights
        q = flow_q[self.seg_flow]
        with np.errstate(invalid="ignore", divide="ignore"):
            num = np.add.reduceat(np.where(pos, share * q, 0.0), self.seg_start)
            out[self.filled] = np.where(den > 0, num / den, np.minimum.reduceat(q, self.seg_start))
        return out


class QuoteBook:
    """Weekly quotes of every flow as a weeks x flows matrix (long table built once at the end)."""

    def __init__(self, net, orderable: dict[int, np.ndarray] | None = None) -> None:
        """`orderable`: per flow into a lab, the days its customer may order it; a lab's
        flow has no quote on other days, nor while its share is 0."""
        keys: dict[tuple[int, str], int] = {}
        self.key_of = np.array([keys.setdefault((f.supplier, f.product), len(keys)) for f in net.flows], dtype=int)
        self.keys = list(keys)
        self.expected = np.array([f.transport.expected for f in net.flows])
        self.net = net
        to_lab = np.array([net.kinds[f.customer] == "lab" for f in net.flows], dtype=bool)
        self.live = (net.flow_share > 0) | ~to_lab[:, None] if net.flows else np.zeros((0, net.days), dtype=bool)
        for f, days in (orderable or {}).items():
            self.live[f] &= days
        self.days: list[float] = []
        self.rows: list[np.ndarray] = []
        self.shares: list[np.ndarray] = []  # each week's split of every flow's (customer, product)
        self.latest: np.ndarray | None = None  # this week's quote of every flow, before the mask of `live`
        self.flows = [(net.ids[f.supplier], net.ids[f.customer], f.product) for f in net.flows]
        self.plan = QuotePlan(net, self.keys, self.key_of, self.expected)
