"""Vendors: pool labs' orders into periodic builds, fill them from finished goods.

A vendor does not explode every lab's order through the BOM: it sums the
orders of each SKU it released in a build period and places one build lot
per packaging supplier (split by edge share). Finished packages arrive in
the vendor's stock and go to waiting lab orders first come, first served.
This keeps the number of lots independent of the number of labs (DESIGN
section 4), the way vendors plan builds from their order book. Each lab
order keeps links to the lots that filled it, for delay causes.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import TYPE_CHECKING

from .orders import Order

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["Vendors", "BUILD_DAYS"]

BUILD_DAYS = 7  # assumption: vendors place build lots weekly from their order book


class Vendors:
    def __init__(self, world: "World") -> None:
        self.w = world
        self.queue: dict[tuple[int, str], deque[list]] = defaultdict(deque)  # (vendor, sku) -> [order, unfilled]
        self.to_build: dict[tuple[int, str], float] = defaultdict(float)
        self.stock: dict[tuple[int, str], float] = defaultdict(float)
        self.in_build: dict[tuple[int, str], float] = defaultdict(float)

    def take(self, o: Order, now: float) -> None:
        """A released lab order joins the vendor's book and the next build."""
        key = (o.supplier, o.product)
        o.entered, o.status = now, "waiting"
        self.queue[key].append([o, o.qty])
        before = self.stock[key]
        self._fill(key, now)
        self.to_build[key] += o.qty - (before - self.stock[key])

    def build(self, day: int) -> None:
        """Place this period's build lots (called by the daily step every BUILD_DAYS)."""
        for key, qty in list(self.to_build.items()):
            if qty <= 1e-9:
                continue
            vendor, sku = key
            need = qty
            self.to_build[key] = 0.0
            lots = self.w.order_from_suppliers("assembly", vendor, sku, need, float(day))
            if not lots:
                self.shortfall(key, need, float(day))
            self.in_build[key] += sum(x.qty for x in lots)

    def arrived(self, lot: Order, qty: float, now: float) -> None:
        key = (lot.customer, lot.product)
        self.in_build[key] -= qty
        self.stock[key] += qty
        self._fill(key, now, lot)

    def returned(self, o: Order, qty: float, now: float) -> None:
        """Goods refused at shipment stay with the vendor for the next customer."""
        key = (o.supplier, o.product)
        self.stock[key] += qty
        self._fill(key, now)

    def _fill(self, key: tuple[int, str], now: float, lot: Order | None = None) -> None:
        q = self.queue[key]
        w = self.w
        ct = float(w.net.cycle[key[0], min(int(now), w.net.days - 1)])
        while q and self.stock[key] > 1e-9:
            entry = q[0]
            o, unfilled = entry
            if o.status == "denied" or unfilled <= 1e-9:
                q.popleft()
                continue
            give = min(unfilled, self.stock[key])
            self.stock[key] -= give
            entry[1] -= give
            if lot is not None and lot not in o.children:
                o.children.append(lot)
            w.at(now + ct, w.ship, o, give, now + ct)
            if entry[1] <= 1e-9:
                q.popleft()

    def shortfall(self, key: tuple[int, str], qty: float, now: float) -> None:
        """A build lot was refused: deny that much of the newest waiting orders."""
        q = self.queue[key]
        for entry in reversed(q):
            if qty <= 1e-9:
                break
            o, unfilled = entry
            cut = min(unfilled, qty)
            if cut > 0:
                entry[1] -= cut
                qty -= cut
                self.w._deny(o, cut, now)
