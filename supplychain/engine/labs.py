"""Labs: fleet, power, ordering to a target, commissioning and retirement.

Ordering: every review a lab orders the gap between its target fleet
(H100e, `horizon_days` ahead) and its position (installed + waiting to be
installed + on order), split over the SKUs its vendors offer that day by
edge share. Delivered accelerators are installed after commissioning if
powered capacity allows; otherwise they wait, counted as stranded.
What the powered fleet trains, and the generations it releases, is
`training.py`.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field
from operator import attrgetter
from types import MappingProxyType
from typing import Callable

import numpy as np

from ..scenario_schema import LabPolicy, Scenario
from .network import Flow, Net
from .ordering import ORDERING_POLICIES
from .orders import Order
from .retirement import Retirement
from .training import Training

__all__ = ["Labs"]

#: all-in kW per H100e when a lab has no SKU on sale to take it from (Epoch 2030: ~1.7 kW per H100)
FALLBACK_KW_PER_H100E = 1.7


def _due(horizon: float, quote: float) -> float:
    """The share of an order quoted `quote` days due within `horizon` days, arriving evenly."""
    return min(1.0, horizon / quote) if quote > 0.0 else 1.0  # nan > 0 is False: all of it


@dataclass(slots=True)  # fields in the object, no dict: every delivery, installation and weekly record reads them
class LabState:
    node: int
    policy: LabPolicy
    installed: dict[str, float] = field(default_factory=dict)  # sku -> units
    waiting: deque = field(default_factory=deque)  # (ready day, sku, units, order) after commissioning, unpowered
    waiting_h100e: float = 0.0  # delivered, not yet installed (commissioning or stranded)
    commissioning: int = 0  # deliveries not yet ready (in `Labs._commissioning`)
    commissioning_h100e: float = 0.0
    on_order_h100e: float = 0.0
    peak_h100e: float = 0.0  # the most ever installed, waiting or on order: the scale of those sums' rounding residue
    power_mw: float = 0.0
    power_on_order_mw: float = 0.0
    used_mw: float = 0.0
    pending_mw: float = 0.0  # power the accelerators on order or waiting will draw
    on_order_mw: dict = field(default_factory=dict)  # power_aware only: flow index -> MW its accelerators on order draw
    power_log: deque = field(default_factory=deque)  # power_aware only: (day, powered MW) at its reviews, a year back
    stockpiled: dict = field(default_factory=dict)  # SKU -> H100e ordered as stockpile in its rule's window (`Reviews._lab_stockpile`)


@dataclass(frozen=True, slots=True)
class ReviewPolicy:
    """What a lab's reviews, orders and power sizing read of its policy, copied as it is into slots: a
    `LabPolicy` (pydantic) field goes through the model's `__getattr__` hook on every read, a dozen a review."""

    horizon_days: float
    power_horizon_days: float
    power_headroom: float
    order_ahead_days: float
    review_days: float
    power_aware: bool


_WAITING, _COMMISSIONING = attrgetter("waiting_h100e"), attrgetter("commissioning_h100e")


class Labs(Retirement):
    """All labs of the network, with vectors over labs for the daily training step."""

    def __init__(self, net: Net, scenario: Scenario) -> None:
        self.net = net
        self.sc = scenario
        self.nodes = [i for i, k in enumerate(net.kinds) if k == "lab"]
        self.pos = {node: j for j, node in enumerate(self.nodes)}
        self.states = [LabState(node, scenario.lab_policy(net.ids[node])) for node in self.nodes]
        #: per lab, its ordering policy (`engine.ordering`) and that policy's parameters, read-only: a policy
        #: that wrote to them would change every later review of its lab without saying so
        self.ordering = [(ORDERING_POLICIES[st.policy.ordering], MappingProxyType(st.policy.ordering_values()))
                         for st in self.states]
        m = len(self.nodes)
        self.h100e = np.zeros(m)  # powered (installed) H100e
        self.stranded = np.zeros(m)
        #: training compute and the generations it releases (`training.py`)
        self.training = Training([net.ids[n] for n in self.nodes], self.states, scenario)
        self.next_ready = np.full(m, np.inf)  # ready day of the front of each lab's waiting queue
        # deliveries still commissioning, (ready day, lab, H100e), one queue per commissioning time (so in
        # ready order) for `stranded_all`
        self._commissioning: dict[float, deque] = {}
        self._commissioning_of = [self._commissioning.setdefault(st.policy.commissioning_days, deque())
                                  for st in self.states]
        self.review_policy = [ReviewPolicy(p.horizon_days, p.power_horizon_days, p.power_headroom, p.order_ahead_days,
                                           p.review_days, p.power_aware) for p in (st.policy for st in self.states)]
        # per SKU, (H100e, kW) per unit, for the same reason: read per order, delivery and installed lot
        self.sku_units = {name: (p.h100e, p.power_kw) for name, p in net.products.items()}
        self.power_names = frozenset(name for name, p in net.products.items() if p.kind == "power")
        self.free_power = scenario.unconstrained  # power never limits installation (nor a power-aware lab's level)
        # per lab, what a delivery reads of its policy (a pydantic model, a dict lookup per field)
        self._on_delivery = [(st.policy.power_aware, st.policy.commissioning_days, st.policy.lifetime_years * 365.25)
                             for st in self.states]
        self.retiring: list[deque] = [deque() for _ in range(m)]  # (day, sku, units) in due order
        self.next_retire = np.full(m, np.inf)  # due day of the front of each lab's retirement queue
        # memoryviews of these three vectors' own memory: one lab's element read or written as a Python float
        # (the same double) without `.item`'s argument parsing or numpy's scalar indexing, a few times per
        # review, delivery and installation; the daily step and weekly record read the arrays whole
        self.h100e_view, self.next_ready_view = memoryview(self.h100e), memoryview(self.next_ready)
        self.next_retire_view = memoryview(self.next_retire)
        days = np.arange(net.days, dtype=float)
        self.targets = np.zeros((m, net.days))  # the planned fleet trajectory T_L, H100e
        self.demand = np.ones((m, net.days))  # the demand multiplier m (scenario x demand shocks)
        for j, node in enumerate(self.nodes):
            lab = net.node_models[node]
            sched = scenario.demand.targets.get(lab.id, lab.target_h100e)
            if sched is not None:
                if scenario.demand.growth is not None:
                    sched = sched.model_copy(update={"growth": scenario.demand.growth})
                self.targets[j] = sched.on_days(scenario.start, days)
            self.demand[j] = scenario.demand.multiplier.on_days(scenario.start, days) * net.demand_mult[node]
            st = self.states[j]
            st.power_mw = lab.power_mw.at(scenario.start)
            for sku, units in lab.fleet.items():
                st.installed[sku] = st.installed.get(sku, 0.0) + units
                p = net.products[sku]
                self.h100e[j] += units * p.h100e
                st.used_mw += units * p.power_kw / 1000.0
            st.peak_h100e = self.h100e.item(j)
        # each lab's rows of both as memoryviews of the arrays' own memory: `row[day]` reads the float without
        # `.item`'s argument parsing (a review reads four); the arrays stay as they are for the vector reads
        self._target_rows = [memoryview(row) for row in self.targets]
        self._demand_rows = [memoryview(row) for row in self.demand]
        self.acc_flows: list[list[Flow]] = [[] for _ in self.nodes]
        self.power_products: list[list[str]] = [[] for _ in self.nodes]
        for (cust, product), flows in net.inbound.items():
            if cust in self.pos:
                kind = net.products[product].kind
                if kind == "accelerator":
                    self.acc_flows[self.pos[cust]].extend(flows)
                elif kind == "power":
                    self.power_products[self.pos[cust]].append(product)
        self.retired_units = 0.0
        self.installed_units = 0.0
        # on-sale window of every product in days from the start (ordering compares these ints)
        inf = float("inf")
        self.sale_days = {name: ((p.available - scenario.start).days if p.available else -inf,
                                 (p.discontinued - scenario.start).days if p.discontinued else inf)
                          for name, p in net.products.items()}
        # days where some SKU of a lab's vendors goes on or off sale: its offer mix is constant between
        self._sale_cuts = [sorted({x for f in flows for x in self.sale_days[f.product] if abs(x) != inf})
                           for flows in self.acc_flows]
        self._mixes: list[dict[int, tuple[list[tuple[Flow, str, float]], float]]] = [{} for _ in self.nodes]

    # -- ordering ------------------------------------------------------------
    def orderable(self) -> dict[int, np.ndarray]:
        """Per accelerator flow into a lab (by flow index): the days on which the lab may order
        it, those `order_ahead_days` before the SKU's sale window (as `sku_offers`)."""
        days = np.arange(self.net.days, dtype=float)
        out: dict[int, np.ndarray] = {}
        for j, flows in enumerate(self.acc_flows):
            ahead = np.floor(days + self.states[j].policy.order_ahead_days)  # the day whose sale window counts
            for f in flows:
                first, last = self.sale_days[f.product]
                out[f.index] = (ahead >= first) & (ahead < last)
        return out

    def review_targets(self, j: int, now: float) -> tuple[float, float, float]:
        """The fleet targets a review of lab `j` on `now` sees, `horizon_days` ahead, today, and
        `power_horizon_days` ahead: the planned trajectory on that day (clamped to the run) times
        today's demand multiplier, T(day) x m(now). A lab plans ahead on its trajectory, but does
        not foresee a surge or a cut before it happens. The multiplier is read once for the three
        (750 labs review every two weeks on a 1,000-node network)."""
        pol = self.review_policy[j]
        last = self.net.days - 1  # the rows' memoryviews read floats, not numpy scalars
        ahead, power = now + pol.horizon_days, now + pol.power_horizon_days
        t = last if now >= last else int(now) if now > 0 else 0
        m, row = self._demand_rows[j][t], self._target_rows[j]
        return (row[last if ahead >= last else int(ahead) if ahead > 0 else 0] * m, row[t] * m,
                row[last if power >= last else int(power) if power > 0 else 0] * m)

    def target_now(self, day: int) -> np.ndarray:
        """Every lab's target for `day` as known that day (the fleet table's `target_h100e`)."""
        d = min(day, self.net.days - 1)
        return self.targets[:, d] * self.demand[:, d]

    def position(self, j: int) -> float:
        st = self.states[j]
        return self.h100e_view[j] + st.waiting_h100e + st.on_order_h100e

    def sku_offers(self, j: int, day: float, ahead: float = 0.0) -> list[tuple[Flow, str, float]]:
        """(vendor flow, sku, share) for SKUs on sale `ahead` days from `day`, shares of `day`, normalised.

        Ordering looks `order_ahead_days` ahead: order books open before a SKU's
        first shipments (its `available` date) and close before it is discontinued.
        """
        return self._offer_mix(j, day, ahead)[0]

    def _offer_mix(self, j: int, day: float, ahead: float = 0.0) -> tuple[list[tuple[Flow, str, float]], float]:
        """`sku_offers` and the kW per H100e of that mix (0 if none). With constant edge shares
        the mix changes only where a SKU's sale window opens or closes, so it is kept per
        (lab, window interval): a 1,000-node network has 750 labs reviewing every two weeks."""
        net = self.net
        today = int((day if day > 0 else 0) + ahead)  # days from the start
        mixes = None  # this lab's, by window interval (a plain int key: no tuple to build and hash)
        if net.constant_shares:
            mixes, key = self._mixes[j], bisect.bisect_right(self._sale_cuts[j], today)
            hit = mixes.get(key)
            if hit is not None:
                return hit
        d = int(min(max(day, 0), net.days - 1))
        offers = []
        for f in self.acc_flows[j]:
            first, last = self.sale_days[f.product]
            if today < first or today >= last:
                continue
            s = float(f.share[d])
            if s > 0:
                offers.append((f, f.product, s))
        total = sum(s for _, _, s in offers)
        offers = [(f, sku, s / total) for f, sku, s in offers] if total > 0 else []
        kw = sum(s * net.products[sku].power_kw / net.products[sku].h100e for _, sku, s in offers) if offers else 0.0
        if mixes is not None:
            mixes[key] = (offers, kw)
        return offers, kw

    def power_need_mw(self, j: int, day: float, target: float) -> float:
        """MW needed `power_horizon_days` ahead: what the installed fleet draws, what the
        accelerators on order or waiting will draw, and the rest of `target` (the fleet target
        then, from `review_targets`) at the SKU mix on sale then."""
        st = self.states[j]
        pol = self.review_policy[j]
        offers, kw_per_h100e = self._offer_mix(j, day + pol.power_horizon_days)
        if not offers:
            offers, kw_per_h100e = self._offer_mix(j, day)
            if not offers:
                kw_per_h100e = FALLBACK_KW_PER_H100E
        gap = target - (self.h100e_view[j] + st.waiting_h100e + st.on_order_h100e)  # less the position
        gap = 0.0 if 0.0 > gap else gap  # max(gap, 0.0), without the call
        return (st.used_mw + st.pending_mw + gap * kw_per_h100e / 1000.0) * pol.power_headroom

    def on_order(self, j: int, flow: int, sku: str, units: float, pending: bool = True) -> None:
        """Lab `j`'s accelerators on order change by `units` of `sku` on `flow` (negative: delivered,
        or refused); `pending=False` for a delivery, whose power stays pending until it is installed."""
        st = self.states[j]
        h100e, kw = self.sku_units[sku]
        st.on_order_h100e = h = st.on_order_h100e + units * h100e
        if h > st.peak_h100e:  # max(peak, h), without the call
            st.peak_h100e = h
        mw = units * kw / 1000.0
        if pending:
            st.pending_mw += mw
        if self.review_policy[j].power_aware:
            st.on_order_mw[flow] = st.on_order_mw.get(flow, 0.0) + mw

    def power_room_h100e(self, j: int, day: float, quote: Callable[[int], float], power_quote: float) -> float:
        """H100e a power-aware lab may still order on `day`: the MW it expects `horizon_days` ahead
        less what will draw on it by then, at the kW per H100e of the SKUs it buys now.

        What is on order counts by the share due within the horizon if it arrives evenly over the
        quote for a new order on its flow (assumption: the lab's own orders are in that queue, so
        no later than that): power by `power_quote`, accelerators by `quote(flow)` (nan, no quote
        yet: all of it). So accelerators stuck in a queue of years do not hold power back
        from those that can come sooner, as power due in years does not buy chips now. Orders are
        served oldest first, though, so power keeps arriving while the quote for a new order is
        years: power due is at least the lab's connections of the past year, extrapolated (as
        far as its power on order goes). Called once per review: it logs today's power for that rate."""
        st = self.states[j]
        h = st.policy.horizon_days
        log = st.power_log
        log.append((day, st.power_mw))
        while len(log) > 2 and log[1][0] <= day - 365.0:  # assumption: the past year's connections as the rate
            log.popleft()
        then, mw_then = log[0]
        rate = (st.power_mw - mw_then) / (day - then) if day > then else 0.0  # MW a day, the past year
        power_due = min(st.power_on_order_mw, max(st.power_on_order_mw * _due(h, power_quote), rate * h))
        chips_mw = sum(st.on_order_mw.values())
        soon_mw = 0.0  # sum()'s additions, in its order, without a generator resumed per flow
        for f, mw in st.on_order_mw.items():
            if mw > 1e-12:
                soon_mw += mw * _due(h, quote(f))
        room_mw = st.power_mw + power_due - st.used_mw - (st.pending_mw - chips_mw) - soon_mw
        kw = self._offer_mix(j, day, st.policy.order_ahead_days)[1] or FALLBACK_KW_PER_H100E
        return max(room_mw, 0.0) * 1000.0 / kw

    # -- deliveries, installation, retirement ---------------------------------
    def delivered(self, j: int, sku: str, units: float, now: float, order: Order) -> None:
        """Units of `sku` arrived on `order` (the lab's order line): off the order book (their power
        stays pending until installed), they commission, wait for power in arrival order and retire a
        lifetime after commissioning; `order` learns when they are installed."""
        st = self.states[j]
        power_aware, commissioning_days, lifetime_days = self._on_delivery[j]
        h100e, kw = self.sku_units[sku]
        h = units * h100e
        # `on_order(j, order.flow, sku, -units, pending=False)` written out (a call per delivery:
        # 500k in 1,000 nodes x 10 years); a - b is a + (-b) in floats: the same books
        st.on_order_h100e -= h
        if power_aware:
            st.on_order_mw[order.flow] = st.on_order_mw.get(order.flow, 0.0) - units * kw / 1000.0
        ready = now + commissioning_days
        if not st.waiting:
            self.next_ready_view[j] = ready
        st.waiting.append((ready, sku, units, order))
        st.waiting_h100e = waiting = st.waiting_h100e + h
        if waiting > st.peak_h100e:  # max(peak, waiting), without the call
            st.peak_h100e = waiting
        self._commissioning_of[j].append((ready, j, h))
        st.commissioning += 1
        st.commissioning_h100e += h
        retire_at = ready + lifetime_days
        if retire_at < self.net.days:  # `retire_later`, written out
            q = self.retiring[j]
            if not q:
                self.next_retire_view[j] = retire_at
            q.append((retire_at, sku, units))

    def install_ready(self, j: int, day: int) -> float:
        """Install, first in first out, what has finished commissioning and fits the power.

        Deliveries wait in ready order, so the scan stops at the first lot that is not ready or does
        not fit: a lab with thousands of stranded lots costs O(1) a day while it has no free power.
        Returns the units installed. Running sums stay in locals until the end (the same additions).
        """
        st = self.states[j]
        q, installed, sku_units, free_power = st.waiting, st.installed, self.sku_units, self.free_power
        power_mw, used_mw, pending_mw, waiting_h100e = st.power_mw, st.used_mw, st.pending_mw, st.waiting_h100e
        fleet, installed_units, done = self.h100e_view[j], self.installed_units, 0.0
        while q and q[0][0] <= day:
            ready, sku, units, order = q[0]
            h100e, kw = sku_units[sku]
            if free_power:
                fit = units
            else:  # min(units, max(room, 0.0) x 1000 / kW), without the calls (the same floats)
                room = power_mw - used_mw
                fit = (0.0 if 0.0 > room else room) * 1000.0 / kw
                fit = fit if fit < units else units
            if fit <= 1e-9:
                if units > 1e-9:
                    break
                fit = units  # a residue of rounding at the front: installed whole, not a lot that no power fits
            installed[sku] = installed.get(sku, 0.0) + fit
            mw, h = fit * kw / 1000.0, fit * h100e
            used_mw, pending_mw = used_mw + mw, pending_mw - mw
            fleet, waiting_h100e = fleet + h, waiting_h100e - h
            installed_units, done = installed_units + fit, done + fit
            if order is not None:
                order.installed_qty += fit
                order.installed = float(day)
            if units - fit > 1e-9:
                q[0] = (ready, sku, units - fit, order)
                break
            q.popleft()
        st.used_mw, st.pending_mw, st.waiting_h100e = used_mw, pending_mw, waiting_h100e
        self.h100e_view[j], self.installed_units = fleet, installed_units
        if fleet > st.peak_h100e:  # max(peak, fleet), without the call
            st.peak_h100e = fleet
        self.next_ready_view[j] = q[0][0] if q else np.inf
        return done

    def stranded_all(self, day: int) -> np.ndarray:
        """H100e per lab delivered and commissioned but waiting for power: all that waits, less
        what is still commissioning (a running sum per lab). The deliveries of labs with one
        commissioning time become ready in the order they came, so their queue pops what became
        ready this week and no lab is visited in Python for nothing (750 labs at 1,000 nodes)."""
        states = self.states
        for q in self._commissioning.values():
            while q and q[0][0] <= day:
                _, j, h = q.popleft()
                st = states[j]
                st.commissioning -= 1
                # a lab's last delivery ready: exactly 0, no rounding residue of the running sum
                st.commissioning_h100e = st.commissioning_h100e - h if st.commissioning else 0.0
        # the two fields as arrays (`map` of an attrgetter, no generator per lab), then one subtraction (the same doubles)
        x = (np.fromiter(map(_WAITING, states), float, len(states))
             - np.fromiter(map(_COMMISSIONING, states), float, len(states)))
        self.stranded[:] = np.where(0.0 > x, 0.0, x)  # max(x, 0.0) as Python's comparison gives it (-0.0 stays)
        return self.stranded
