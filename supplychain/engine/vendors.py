"""Vendors: pool labs' orders into periodic builds, fill them from finished goods.

A vendor does not explode every lab's order through the BOM: it sums the
orders of each SKU it released in a build period and places one build lot
per packaging supplier (split by edge share). Finished packages arrive in
the vendor's stock and go to waiting lab orders first come, first served.
This keeps the number of lots independent of the number of labs (the
engine's cost is per lot), the way vendors plan builds from their order book. Each lab
order keeps links to the lots that filled it, for delay causes.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import TYPE_CHECKING

from .orders import Order

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["Vendors", "StockBook", "BUILD_DAYS"]

BUILD_DAYS = 7  # assumption: vendors place build lots weekly from their order book
INF = float("inf")
RATE_HALF_LIFE_DAYS = 60.0  # assumption: how fast a vendor's demand forecast follows orders


#: the weekly weight of the latest order flow in the smoothed rate (half-life RATE_HALF_LIFE_DAYS)
ALPHA = 1.0 - 0.5 ** (BUILD_DAYS / RATE_HALF_LIFE_DAYS)


class StockBook:
    """Finished stock per (node, product), the orders waiting for it (first come, first served) and
    the smoothed order flow a weekly build is sized on: what vendors and build-ahead makers share."""

    def __init__(self, world: "World") -> None:
        self.w = world
        self.queue: dict[tuple[int, str], deque[list]] = defaultdict(deque)  # (node, product) -> [order, unfilled]
        self.stock: dict[tuple[int, str], float] = defaultdict(float)
        self.unfilled: dict[tuple[int, str], float] = defaultdict(float)  # ordered, not yet given from stock
        self.in_build: dict[tuple[int, str], float] = defaultdict(float)
        self.arrivals: dict[tuple[int, str], float] = {}  # ordered since the last build
        self.rate: dict[tuple[int, str], float] = defaultdict(float)  # smoothed order flow, units/day

    def _enqueue(self, o: Order, now: float) -> tuple[int, str]:
        """A released order waits for stock; its key."""
        key = (o.supplier, o.product)
        o.entered, o.status = now, "waiting"
        self.queue[key].append([o, o.qty])
        self.unfilled[key] += o.qty
        self.arrivals[key] = self.arrivals.get(key, 0.0) + o.qty
        return key

    def _smoothed(self, key: tuple[int, str]) -> float:
        """This week's smoothed order flow of `key` (units/day), the week's orders counted in."""
        self.rate[key] += ALPHA * (self.arrivals.pop(key, 0.0) / BUILD_DAYS - self.rate[key])
        return self.rate[key]

    def waiting_rest(self, o: Order) -> float:
        """Take out the units of `o` still waiting for stock, and return them: the border refused its
        goods, and the rule that did refuses these too. Left waiting, they were given the refused goods
        back, again and again, a cycle time each time, and at once from a vendor without one: a float
        residue of 2e-7 units bounced between stock and a 5,748-unit order until memory ran out."""
        key = (o.supplier, o.product)
        for entry in self.queue[key]:
            if entry[0] is o:
                rest, entry[1] = entry[1], 0.0  # `_fill` pops it
                self.unfilled[key] -= rest
                return rest
        return 0.0

    def returned(self, o: Order, qty: float, now: float) -> None:
        """Goods refused at shipment stay with the supplier for the next customer."""
        key = (o.supplier, o.product)
        self.stock[key] += qty
        self._fill(key, now)

    def _fill(self, key: tuple[int, str], now: float, lot: Order | None = None) -> None:
        raise NotImplementedError  # each kind of supplier ships from stock its own way


class Vendors(StockBook):
    def __init__(self, world: "World") -> None:
        super().__init__(world)
        self.to_build: dict[tuple[int, str], float] = defaultdict(float)
        # `quotes.vendor: atp` only: per key the build lots in placement order, as the running total of
        # their units and the day each is due (set by the week's quotes); what a new order's promise
        # date is read from. The units that have left it (arrived, or denied) are the total less `in_build`.
        self.atp = world.scenario.quotes.vendor == "atp"
        self.scheduled: dict[tuple[int, str], list[float]] = defaultdict(list)
        self.due: dict[tuple[int, str], list[float]] = defaultdict(list)
        self.ahead = {i: float(getattr(m, "build_ahead_days", 0.0)) for i, m in enumerate(world.net.node_models) if m.kind == "vendor"}
        self._sale_ends: dict[str, float] = {}  # SKU -> days from the start to its `discontinued` date (inf: none)

    def take(self, o: Order, now: float) -> None:
        """A released lab order joins the vendor's book and the next build."""
        key = self._enqueue(o, now)
        before = self.stock[key]
        if before > 1e-9:  # else `_fill` gives nothing: before - stock is 0.0
            self._fill(key, now)
            self.to_build[key] += o.qty - (before - self.stock[key])
        else:
            self.to_build[key] += o.qty

    def build(self, day: int) -> None:
        """Place this period's build lots (called by the daily step every BUILD_DAYS).

        A vendor with `build_ahead_days` > 0 orders up to a target on its position (finished
        stock + lots in build - unfilled orders): `build_ahead_days` of the smoothed order flow
        (0 once the SKU is discontinued), so it ships from stock in calm times and quotes the
        whole chain only when its stock runs out. Any other vendor builds what was ordered from
        it this period.
        """
        for key in sorted(set(self.to_build) | set(self.rate)):  # sorted: independent of the hash seed
            new = self.to_build.get(key, 0.0)
            self.to_build[key] = 0.0
            vendor, sku = key
            self._smoothed(key)
            unfilled = self.unfilled[key]
            position = self.stock[key] + self.in_build[key] - unfilled
            target = self.rate[key] * self.ahead.get(vendor, 0.0) if self._on_sale(sku, day) else 0.0
            need = max(target - position, 0.0) if self.ahead.get(vendor, 0.0) > 0 else new
            if need <= 1e-9:
                continue
            lots = self.w.order_from_suppliers("assembly", vendor, sku, need, float(day))
            if not lots:
                self.shortfall(key, need, float(day))
            placed = sum(x.qty for x in lots)
            self.in_build[key] += placed
            if self.atp and placed > 0.0:
                total = self.scheduled[key]
                total.append((total[-1] if total else 0.0) + placed)
                self.due[key].append(float("nan"))  # this week's quotes date it

    def _on_sale(self, sku: str, day: int) -> bool:
        """Is `sku` still sold on `day` (before its `discontinued` date)? The start + `day` days is
        before that date exactly when `day` is before the days between them, worked out once per SKU."""
        last = self._sale_ends.get(sku)
        if last is None:
            p = self.w.net.products[sku]
            last = self._sale_ends[sku] = INF if p.discontinued is None else (p.discontinued - self.w.scenario.start).days
        return day < last

    def arrived(self, lot: Order, qty: float, now: float) -> None:
        key = (lot.customer, lot.product)
        self.in_build[key] -= qty
        self.stock[key] += qty
        self._fill(key, now, lot)

    def _fill(self, key: tuple[int, str], now: float, lot: Order | None = None) -> None:
        """Give stock to the waiting orders, first come first served; each part ships after the
        vendor's cycle time. Stock and the unfilled total are kept in locals meanwhile (the
        same subtractions in the same order): a large run makes over a hundred thousand calls."""
        stock = self.stock[key]
        if stock <= 1e-9:
            return
        q = self.queue[key]
        if not q:
            return
        w = self.w
        net = w.net
        day = int(now)
        when = now + float(net.cycle[key[0], day if day < net.days else net.days - 1])
        unfilled_total = self.unfilled[key]
        while q and stock > 1e-9:
            entry = q[0]
            o, unfilled = entry
            if o.status == "denied" or unfilled <= 1e-9:
                unfilled_total -= unfilled
                q.popleft()
                continue
            give = stock if stock < unfilled else unfilled  # min(unfilled, stock)
            stock -= give
            unfilled_total -= give
            entry[1] -= give
            if lot is not None and lot not in o.children:
                if o.children:
                    o.children.append(lot)  # type: ignore[union-attr]
                else:
                    o.children = [lot]
            w.at(when, w.ship, o, give, when)
            if entry[1] <= 1e-9:
                q.popleft()
        self.stock[key] = stock
        self.unfilled[key] = unfilled_total

    def shortfall(self, key: tuple[int, str], qty: float, now: float, rule: str = "") -> None:
        """A build lot was refused: deny that much of the newest waiting orders."""
        q = self.queue[key]
        for entry in reversed(q):
            if qty <= 1e-9:
                break
            o, unfilled = entry
            cut = min(unfilled, qty)
            if cut > 0:
                entry[1] -= cut
                self.unfilled[key] -= cut
                qty -= cut
                self.w._deny(o, cut, now, rule=rule)
