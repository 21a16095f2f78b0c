"""Weekly state records and quoted lead times.

The quoted lead time is what a new order placed now would face, the figure
industry reports ("36-52 weeks"): at a producer, backlog / effective rate +
cycle time; for a packaged accelerator, the slowest of its BOM inputs (each
quoted at its suppliers, plus transport) + the packaging quote; for a
vendor's customer, that + the vendor's cycle time + transport to the lab.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .labs import H100_FLOPS
from .network import PRODUCER_KINDS

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["record_week", "Quoter", "QuoteBook"]


class Quoter:
    """Memoised quotes for one week."""

    def __init__(self, world: "World", day: int, cap: np.ndarray) -> None:
        self.w, self.day, self.cap = world, day, cap
        self.node_q: dict[int, float] = {}
        self.supply_q: dict[tuple[int, str], float] = {}
        self.supplier_q: dict[tuple[int, str], float] = {}
        self.flow_q: dict[int, float] = {}
        self.expected = world.expected_transport

    def node(self, n: int) -> float:
        if n not in self.node_q:
            w, d = self.w, min(self.day, self.w.net.days - 1)
            ct = float(w.net.cycle[n, d] * w.net.ct_mult[n, d])
            if w.net.kinds[n] in PRODUCER_KINDS and np.isfinite(self.cap[n]):
                backlog = w.production.backlog_units(n, self.day)
                q = backlog / self.cap[n] + ct if self.cap[n] > 1e-12 else (np.inf if backlog > 0 else ct)
            else:
                q = ct
            self.node_q[n] = float(q)
        return self.node_q[n]

    def flow(self, f) -> float:
        """Quote for goods of `f.product` from `f.supplier`, delivered at `f.customer`."""
        q = self.flow_q.get(f.index)
        if q is None:
            d = min(self.day, self.w.net.days - 1)
            q = self.flow_q[f.index] = self.at_supplier(f.supplier, f.product) + self.expected[f.index] * float(f.transport_mult[d])
        return q

    def at_supplier(self, n: int, product: str) -> float:
        key = (n, product)
        if key not in self.supplier_q:
            self.supplier_q[key] = self._at_supplier(n, product)
        return self.supplier_q[key]

    def _at_supplier(self, n: int, product: str) -> float:
        net = self.w.net
        kind = net.kinds[n]
        if kind == "vendor":
            # a vendor with unallocated finished goods ships from stock; otherwise the build chain
            if self.w.vendors.stock.get((n, product), 0.0) > 1e-9:
                return self.node(n)
            return self.supply(n, product) + self.node(n)
        if kind == "packaging" and net.products[product].bom is not None:
            bom = net.products[product].bom
            inputs = [bom.logic] + ([bom.hbm] if bom.hbm and bom.hbm_stacks > 0 else [])
            return max(self.supply(n, p) for p in inputs) + self.node(n)
        return self.node(n)

    def supply(self, customer: int, product: str) -> float:
        key = (customer, product)
        if key not in self.supply_q:
            flows = self.w.net.flows_into(customer, product)
            if not flows:
                self.supply_q[key] = 0.0
            else:
                d = min(self.day, self.w.net.days - 1)
                num = den = 0.0
                for f in flows:
                    s = f.share[d]
                    if s > 0:
                        num += s * self.flow(f)
                        den += s
                self.supply_q[key] = num / den if den > 0 else min(self.flow(f) for f in flows)
        return self.supply_q[key]


def record_week(w: "World", day: int) -> None:
    net, prod, labs = w.net, w.production, w.labs
    cap = prod.capacity(day)
    q = Quoter(w, day, cap)
    d = min(day, net.days - 1)
    for n, kind in enumerate(net.kinds):
        if kind in PRODUCER_KINDS and not net.unlimited[n]:
            c = cap[n]
            used = prod.used_today[n]
            w.node_rows.append((float(day), net.ids[n], kind, c * 7.0, prod.backlog_units(n, day), prod.wip[n],
                                used / c if c > 0 else np.nan, q.node(n)))
    for j, node in enumerate(labs.nodes):
        st = labs.states[j]
        labs.stranded_h100e(j, day)
        phys = labs.h100e[j] * H100_FLOPS * labs.util[j]
        w.fleet_rows.append((float(day), net.ids[node], labs.h100e[j], st.waiting_h100e - labs.stranded[j], labs.stranded[j],
                             st.on_order_h100e, labs.targets[j, d], st.power_mw, st.used_mw, phys * labs.train_frac[j],
                             phys * labs.train_frac[j] * labs.efficiency(day)[j], int(labs.gen[j])))
    book = w.quote_book
    at = [q.at_supplier(n, p) for n, p in book.keys]
    row = np.asarray(at)[book.key_of] + book.expected * net.flow_mult[:, d]
    row[~book.live[:, d]] = np.nan  # a lab's SKU it does not buy that day
    book.days.append(float(day))
    book.rows.append(row)


class QuoteBook:
    """Weekly quotes of every flow as a weeks x flows matrix (long table built once at the end)."""

    def __init__(self, net) -> None:
        keys: dict[tuple[int, str], int] = {}
        self.key_of = np.array([keys.setdefault((f.supplier, f.product), len(keys)) for f in net.flows], dtype=int)
        self.keys = list(keys)
        self.expected = np.array([f.transport.expected for f in net.flows])
        self.net = net
        to_lab = np.array([net.kinds[f.customer] == "lab" for f in net.flows], dtype=bool)
        self.live = (net.flow_share > 0) | ~to_lab[:, None] if net.flows else np.zeros((0, net.days), dtype=bool)
        self.days: list[float] = []
        self.rows: list[np.ndarray] = []
        self.flows = [(net.ids[f.supplier], net.ids[f.customer], f.product) for f in net.flows]
