"""The SimPy world: builds the run from graph + scenario, moves orders, returns records.

Hybrid by design (docs/model.md section 1): node states advance in one daily step
(production over all active order books, lab installation and training,
vectorised where it pays), while SimPy timeouts with callbacks carry what is
discrete: orders, licence decisions, shipments, reviews. Orders are lots of
plain data, never processes, so kernel events stay few.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import simpy

from ..scenario_schema import Scenario
from ..schema import TopologyModel
from .calls import Calls
from .controls import Controls
from .gcpause import gc_paused
from .labs import Labs
from .network import PRODUCER_KINDS, Flow, compile_network
from .orders import Order
from .placing import Placing
from .production import Production
from .quotes import QuoteBook
from .reviews import Reviews
from .shipping import Shipping
from .shocks import apply_shocks
from .sourcing import Sourcing
from .stocking import BuildAhead
from .stock import Stocks, kit_lost
from .streams import PluginStreams, flow_key, keyed_stream
from .vendors import BUILD_DAYS, Vendors
from .weekly import fleet_blocks, node_blocks, record_week

__all__ = ["World", "RNG_STREAMS"]

#: one child stream of the replication's SeedSequence per random source; plug-ins draw from the next child (`streams.py`).
#: Nothing draws from `yields` (yields are schedules): it keeps the children after it, and so every run's numbers, as they were
RNG_STREAMS = ("transport", "yields", "licences", "shocks", "demand")


_INF = float("inf")


#: up to this many labs, `_due` scans Python floats
_FEW_LABS = 16


class World(Placing, Reviews, Shipping):
    """One replication of one scenario."""

    def __init__(self, model: TopologyModel, scenario: Scenario, seed: np.random.SeedSequence | int = 0) -> None:
        seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self.rng = {name: np.random.default_rng(s) for name, s in zip(RNG_STREAMS, seq.spawn(len(RNG_STREAMS)))}
        # the plug-ins' streams: the next child, which leaves the streams above as they were
        self.plugin_streams = PluginStreams(seq, len(RNG_STREAMS))
        self.scenario = scenario
        self.net = net = compile_network(model, scenario)
        self.events: list[tuple] = apply_shocks(net, scenario.shocks, self.rng["shocks"], scenario.start, self.plugin_streams)
        self.env = simpy.Environment()
        self.calls = Calls(self.env)
        self.at = self.calls.at  # schedule `fn(*args)` at a simulated time: `Calls.at`
        self.controls = Controls(scenario.controls, net, self.rng["licences"], scenario.start)
        self.production = Production(net, self._finished, streams=self.plugin_streams)
        self.labs = Labs(net, scenario)
        self.node_rows = node_blocks(self)
        self.fleet_rows = fleet_blocks(self)
        self.orders: list[Order] = []
        self.inventory: dict[tuple[int, str], float] = {}
        self.tools_on_order = np.zeros(len(net.ids))
        self.in_transit = 0.0
        self.shipped_qty = 0.0
        self.delivered_qty = 0.0
        self.denied_at_shipment = 0.0
        # order id -> (rule, held from, held until): goods held at the border through a licence review at
        # shipment that was granted (the latest, if two rules held one order), for the delay causes
        # (causes.py); a few lines of a run, so kept here, not as a field of each of its ~1M Orders
        self.border_holds: dict[int, tuple[str, float, float]] = {}
        # order id -> (rule, review ends): a licence review at shipment that refuses; the order's goods
        # reaching the border meanwhile share its outcome (held, refused when it ends), and later ones
        # are denied at once while the rule is in force (one application per order, as at placement)
        self.refused_licences: dict[int, tuple[str, float]] = {}
        self.quote_book = QuoteBook(net, self.labs.orderable())
        self.sourcing = Sourcing(net, scenario.sourcing)
        self.parties = net.parties  # who an order concerns: `Net.parties`
        # per product, the dies per wafer of its BOM (None without one), read out of the pydantic models once
        self._dies_of = {name: (p.bom.dies_per_wafer if p.bom else None) for name, p in net.products.items()}
        self._order_rules: dict[tuple[int, int, str, str], list] = {}  # `_rules`' lookups
        self._splits: dict[tuple[int, str, str], tuple[tuple[int, int], list[tuple[Flow, float]]]] = {}
        self.stocks = Stocks(self)
        self.vendors = Vendors(self)
        self.build_ahead = BuildAhead(self)
        # one stream per flow, keyed by its ends and product (`keyed_stream`); a fixed time draws nothing
        ids, transport = net.ids, self.rng["transport"]
        # a fixed time's value (over half the shipments: no draw to call for), None for a drawn one
        self.fixed_transport = [float(f.transport.mean) if f.transport.dist == "fixed" else None for f in net.flows]
        # a drawn time's sampler on the flow's own stream, drawn in blocks (`sampler(own=True)`); None for a fixed one
        self.draw_transport = [
            None if f.transport.dist == "fixed" else
            f.transport.sampler(keyed_stream(transport, flow_key(ids[f.supplier], ids[f.customer], f.product)), own=True)
            for f in net.flows]
        self.transport_shocked = [bool((f.transport_mult != 1.0).any()) for f in net.flows]
        for j, st in enumerate(self.labs.states):
            self.at(j % max(1, int(st.policy.review_days)), self._review_lab, j)
        for node in net.expansion:
            self.at(0.0, self._review_tools, node)
        self._schedule_initial_retirements()
        self._schedule_in_flight()

    def run(self, progress: Callable[[int], None] | None = None) -> "World":
        """Run to the end. The cyclic garbage collector is paused meanwhile: every order is
        kept until the tables are built anyway, and its passes over a growing heap of
        lots cost about a third of the run on large networks."""
        self._progress = progress
        self._day(0)  # first, as SimPy starts a process: before the calls due at time 0
        with gc_paused():
            self.env.run(until=self.net.days)
        for j in range(len(self.labs.nodes)):  # due after the last daily step, before the end
            self.labs.retire_due(j, self.net.days)
        self.stocks.close(float(self.net.days))
        return self

    def release(self) -> None:
        """Free the run's objects by reference counting, once its tables are built; the
        World is unusable afterwards.

        Orders link both ways (a parent lists its children, a child names its parent) and
        the world's parts point back at it, so a finished World is one reference cycle that
        only the cyclic collector can free, by walking every one of its objects: several
        passes, about 5 s of a 1,000-node, 10-year `simulate`. Cutting the order links and
        dropping the world's state (and the SimPy environment's, which binds its own methods
        and holds the events still pending) frees it all at once.
        """
        for o in self.orders:
            o.children = ()
        vars(self.env).clear()
        self.__dict__.clear()

    def _day(self, day: int) -> None:
        """The daily step of `day`, which schedules the next one: a call like the rest, so every
        kernel event of the run is a call and `Calls.at` can share them (a timeout of a daily
        process would be an event of another kind, numbered once a day)."""
        labs = self.labs
        for j in _due(labs.next_retire, day):
            labs.retire_due(j, day)
        self.production.step(day)
        for j in _due(labs.next_ready, day):
            st = labs.states[j]
            # something commissioned, and power to run it: a lab without free power costs no call
            if labs.free_power or st.power_mw - st.used_mw > 1e-12:
                labs.install_ready(j, day)
        labs.training.step(day, labs.h100e)
        if day % BUILD_DAYS == 0:
            self.vendors.build(day)
            self.build_ahead.build(day)
        if day % 7 == 0:
            self._record(day)
            if self._progress is not None:
                self._progress(day)
        if day + 1 < self.net.days:  # the end's own event (urgent) would stop the run before it anyway
            self.at(day + 1, self._day, day + 1)

    # -- placing orders ------------------------------------------------------------
    def _new(self, kind: str, flow: Flow | None, product: str, qty: float, now: float, *, supplier: int = -1,
             customer: int = -1, parent: Order | None = None, lab: int = -1) -> Order:
        # Order's first ten fields by position: a keyword argument doubles a 38-field __init__'s cost
        if flow is not None:
            o = Order(len(self.orders), kind, product, float(qty), flow.supplier, flow.customer, now, lab, parent, flow.index)
        else:
            o = Order(len(self.orders), kind, product, float(qty), supplier, customer, now, lab, parent)
        self.orders.append(o)
        if parent is not None:
            if parent.children:
                parent.children.append(o)  # type: ignore[union-attr]
            else:
                parent.children = [o]
            parent.pending += 1
        return o

    def new_kit(self, node: int, product: str, qty: float, now: float) -> Order:
        """An assembly job at `node` that waits for its inputs (children) before production."""
        kit = self._new("assembly", None, product, qty, now, supplier=node, customer=node)
        kit.released = now
        kit.status = "waiting"
        return kit

    def order_from_suppliers(self, kind: str, customer: int, product: str, qty: float, now: float,
                             parent: Order | None = None, lab: int = -1) -> list[Order]:
        """Split a need over the customer's suppliers of `product` by edge share, skipping banned ones."""
        if self.controls.rules or self.sourcing.on:
            served = parent.product if parent is not None and kind == "component" else product
            split = self._split_among(customer, product, now, served)
        else:  # every supplier, by edge share: the usual case, cached per (customer, product)
            split = self.net.split(customer, product, int(now))
        out = [self._new(kind, f, product, qty * s, now, parent=parent, lab=lab) for f, s in split]
        for o in out:
            self.place(o, now)
        return out

    def _release(self, o: Order, now: float) -> None:
        o.released = now
        kind = self.net.kinds[o.supplier]
        if kind == "vendor":
            self.vendors.take(o, now)
        elif kind == "packaging" and o.kind == "assembly":
            self._explode(o, now)
        elif kind == "stock":
            self.stocks.receive_order(o, now)
        elif o.supplier in self.build_ahead.ahead and o.kind != "build":  # filled from the maker's stock
            self.build_ahead.take(o, now)
        elif kind in PRODUCER_KINDS and not (kind == "source" and self.net.unlimited[o.supplier]):
            # (only a fab's cost reads dies per wafer: no BOM to look up for the others)
            o.unit_cost = self.net.unit_cost(o.supplier, o.product, self._dies_per_wafer(o) if kind == "fab" else None)
            self.production.add(o, now)
        else:  # unlimited source: only its cycle time
            o.entered = o.started = now
            ct = float(self.net.cycle[o.supplier, min(int(now), self.net.days - 1)])
            o.remaining, o.made = 0.0, o.qty
            self.at(now + ct, self._finished_now, o)

    def _dies_per_wafer(self, o: Order) -> float | None:
        return self._dies_of[o.parent.product] if o.parent is not None else None

    def _explode(self, kit: Order, now: float) -> None:
        """Packaging: order the dies and HBM stacks a lot needs; assemble as they arrive.

        The kit joins the packaging book once each of its inputs has partly
        arrived (at once if the packager's stockpile holds some of each), and
        only as many packages may start as its arrived inputs cover
        (`ready_qty`), so partial deliveries flow on without one event per unit.
        """
        net = self.net
        bom = net.products[kit.product].bom
        node = kit.supplier
        y = float(net.yields[node, min(int(now), net.days - 1)])
        kits = kit.qty / y
        needs = [(bom.logic, kits * bom.logic_dies)]
        if bom.hbm is not None and bom.hbm_stacks > 0:
            needs.append((bom.hbm, kits * bom.hbm_stacks))
        kit.inputs = {}
        kit.unit_cost = net.unit_cost(node, kit.product)
        kit.ready_qty = 0.0
        kit.remaining = kit.qty
        kit.status = "waiting"
        for product, qty in needs:
            have = self.inventory.get((node, product), 0.0)
            take = qty if qty < have else have  # min(have, qty), without the call
            self.inventory[(node, product)] = have - take
            kit.inputs[product] = [qty, take, qty, 0.0]  # still needed, arrived, first needed, refused
            if qty - take > 1e-9:
                parts = self.order_from_suppliers("component", node, product, qty - take, now, parent=kit, lab=kit.lab)
                if not parts:
                    self._deny(kit, kit.qty - kit.denied_qty, now)
                    return
                self._stockpile(product, parts, now, kit)
        self._kit_progress(kit, now)

    def _kit_progress(self, kit: Order, now: float) -> None:
        """Packages a kit may start = the packages its least-covering input's arrivals cover (arrived /
        first needed x its units); it is complete (`kitted`) once they cover every unit no refused input
        took, so a lot refused in part never waits for the inputs of its refused packages.
        A kit refused in full has nothing to start: its other inputs arriving later do not put it
        in the packaging book (it would sit there as `book`, with nothing to make, to the end)."""
        if kit.denied_qty >= kit.qty * (1 - 1e-9):
            return
        cover = _INF  # the least arrived share of what was first needed: the share of its units covered
        lost = 0.0  # the worst-hit input's refused share of it: the share of its units no longer covered
        for _, got, first, refused in kit.inputs.values():  # type: ignore[union-attr]
            if first > 0:
                c = got / first
                if c < cover:
                    cover = c
                if refused > 0.0 and refused / first > lost:
                    lost = refused / first
        if cover >= (1.0 - lost) - 1e-9 and kit.kitted is None:
            kit.kitted = now
            kit.ready_qty = _INF
        else:  # min(cover, 1.0) without the call: a kit's inputs arrive in tens of thousands of parts
            kit.ready_qty = kit.qty * (1.0 if 1.0 < cover else cover)
        if kit.entered is None:
            if kit.ready_qty > 1e-9:
                self.production.add(kit, now)
        elif kit.remaining > 0:
            self.production.unpark(kit)

    def _stockpile(self, product: str, parts: list[Order], now: float, kit: Order) -> None:
        """Between announcement and effect of a rule, targeted buyers order extra into stock."""
        for o in parts:
            rules = o.rules if o.rules is not None else self._rules(o)
            factor = self.controls.stockpile_among(rules, now) if rules else 1.0
            if factor > 1.0:
                extra = self._new("component", self.net.flows[o.flow], product, o.qty * (factor - 1.0), now, lab=kit.lab)
                extra.note = "stockpile"
                self.place(extra, now)

    def _deny(self, o: Order, qty: float, now: float, made: bool = False, rule: str = "") -> None:
        """Refuse `qty` of an order and pass the loss up to what it was for. `made`: the units are goods
        already made, refused at the border; the order's unmade units stay in production. `rule`: the rule
        refusing them, passed up with the loss ("" if none is known: the line's own `rule` is passed)."""
        qty = min(qty, o.qty - o.denied_qty - o.delivered_qty - (o.shipped_qty - o.delivered_qty))
        if qty <= 1e-12:
            return
        if rule:
            name_refusal(o, rule, qty)
        rule = rule or o.rule
        o.denied_qty += qty
        done = False  # all of it now delivered or refused
        if o.denied_qty >= o.qty * (1 - 1e-9) or o.delivered_qty + o.denied_qty >= o.qty * (1 - 1e-9):
            done = True
            if o.delivered_qty <= 0:
                o.status = "denied"
            else:  # the rest refused after some arrived: delivered, on the day the last goods came
                o.status, o.delivered = "delivered", o.arrived
        if o.status == "book" or o.entered is not None:  # (made goods: nothing unmade to drop; it still
            self.production.drop(o, 0.0 if made else qty)  # stamps a line all accounted for as finished)
        if o.kind == "lab":
            self.labs.on_order(self.labs.pos[o.customer], o.flow, o.product, -qty)
        elif o.kind == "power":
            self.labs.states[self.labs.pos[o.customer]].power_on_order_mw -= qty
        elif o.kind == "tool":
            self.tools_on_order[o.customer] -= qty
        parent = o.parent
        if parent is None:
            if o.kind in ("replenish", "assembly") and self.net.kinds[o.customer] == "stock":
                self.stocks.lost(o.customer, qty)  # a stock point's own order (a kit carries its inputs')
            elif o.kind == "assembly" and self.net.kinds[o.customer] == "vendor":
                self.vendors.in_build[(o.customer, o.product)] -= qty
                self.vendors.shortfall((o.customer, o.product), qty, now, rule or self._child_rule(o))
            return
        if rule and not parent.rule:  # what its input was refused under refused it (the `rule` column)
            parent.rule = rule
        if parent.kind == "assembly" and parent.inputs is not None and o.product in parent.inputs:
            self._deny_kit_input(parent, o.product, qty, now, rule)
        elif parent.kind == "assembly" and parent.supplier == parent.customer:  # a generic kit at a stock point
            self._deny(parent, kit_lost(parent) - parent.denied_qty, now, rule=rule)
            if done:  # the input is all in: the kit may be complete (its arrivals alone counted before)
                self._input_done(parent, now)
        else:
            self._deny(parent, qty, now, rule=rule)

    def _deny_kit_input(self, kit: Order, product: str, qty: float, now: float, rule: str = "") -> None:
        """`qty` of a kit's input `product` was refused: the kit loses the packages that input no
        longer covers. An input's refusals count against what it first needed, and the kit loses
        its worst-hit input's share, not the sum of refusals: with a share of HBM refused by two
        suppliers, measuring the second against the need the first left counted the first
        refusal's packages again, and die and HBM refusals starve the same packages."""
        inputs: dict[str, list[float]] = kit.inputs  # type: ignore[assignment]

        def lost() -> float:  # packages the worst-hit input no longer covers
            return max((kit.qty * refused / first for _, _, first, refused in inputs.values() if first > 0), default=0.0)

        before = lost()
        entry = inputs[product]
        entry[3] += qty
        self._deny(kit, lost() - before, now, rule=rule)
        entry[0] = max(entry[0] - qty, 0.0)
        self._kit_progress(kit, now)

    # -- weekly records ------------------------------------------------------------------
    def _record(self, day: int) -> None:
        record_week(self, day)


def name_refusal(o: Order, rule: str, qty: float) -> None:
    """Name `rule` in the `rule` column of a line about to lose `qty` units to it. The column names the rule
    that delayed or refused the line, the first it met, except that a line refused whole names the rule whose
    refusal ended it, not one that only delayed it: a line licensed, then refused because the lots that were
    to fill it were banned, read `denied:<the licence>`, a licence that refused nothing."""
    if not o.rule or (o.shipped_qty <= 0.0 and o.denied_qty + qty >= o.qty * (1 - 1e-9)):
        o.rule = rule


def _due(when: np.ndarray, day: int) -> list[int]:
    """The labs whose `when` (next retirement or commissioning day) is due by `day`, in lab order.
    A few labs' floats scanned in Python cost a tenth of a numpy comparison and `flatnonzero`
    (a default run's 3 labs, twice a day); a large fleet keeps numpy."""
    if len(when) <= _FEW_LABS:
        return [j for j, t in enumerate(when.tolist()) if t <= day]
    return np.flatnonzero(when <= day).tolist()

