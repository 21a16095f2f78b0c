"""Compile a validated topology + scenario into arrays the daily step can use.

Schedules are evaluated once for every day of the horizon (numpy, nodes x
days), so the hot loop only indexes arrays. Shocks later multiply these
arrays in place; the engine never re-reads the pydantic models per event.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..quantities import DAYS_PER_YEAR, Distribution
from ..schema import Product, TopologyModel
from ..scenario_schema import Scenario

__all__ = ["Net", "Flow", "compile_network", "own_transport_mult", "ai_share_row", "PRODUCER_KINDS"]

PRODUCER_KINDS = frozenset({"equipment", "fab", "memory", "packaging", "grid", "source"})

#: capacity unit -> per-day factor
_PER_DAY = {"equipment": 1 / DAYS_PER_YEAR, "grid": 1 / DAYS_PER_YEAR, "fab": 1 / 7, "memory": 1 / 7, "packaging": 1 / 7, "source": 1 / 7}


@dataclass(slots=True)
class Flow:
    """One supplier -> customer edge for one product."""

    index: int
    supplier: int
    customer: int
    product: str
    share: np.ndarray  # per day
    transport: Distribution
    transport_mult: np.ndarray  # per day, shocks multiply it


@dataclass
class Net:
    """The network as arrays and lookup tables, for one run."""

    model: TopologyModel
    scenario: Scenario
    days: int
    ids: list[str]
    kinds: list[str]
    countries: list[str]
    juris: list[str]
    tech: list[frozenset[str]]
    entities: list[frozenset[str]]
    products: dict[str, Product]
    planned: np.ndarray  # nodes x days, capacity units/day (before tool cap and multipliers)
    cap_mult: np.ndarray  # nodes x days, ai_share x shocks
    yields: np.ndarray  # nodes x days
    cycle: np.ndarray  # nodes x days, days
    ct_mult: np.ndarray  # nodes x days (power build-out delays)
    demand_mult: np.ndarray  # nodes x days (demand surges at labs)
    flows: list[Flow] = field(default_factory=list)
    flow_share: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # flows x days; Flow.share are its rows
    constant_shares: bool = False  # no edge share changes over the run (the usual case): callers may cache
    flow_mult: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # flows x days; Flow.transport_mult rows
    inbound: dict[tuple[int, str], list[Flow]] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)
    unlimited: np.ndarray | None = None  # bool per node: no capacity limit
    expansion: dict[int, tuple[str, float]] = field(default_factory=dict)
    node_models: list = field(default_factory=list)
    # with `quotes.capacity: plan` only: nodes x days+1, the planned capacity (x ai_share, before
    # shocks and tool caps) summed from day 0 to each day, what a plan-based quote reads
    plan_cum: np.ndarray | None = None
    # with it, per node a `plan` shock reaches: (start days, its plan_cum row as known from each on), `plans.py`
    plan_known: dict[int, tuple[list[int], list[np.ndarray]]] = field(default_factory=dict)
    _parties: dict[tuple[int, str], frozenset[str]] = field(default_factory=dict, repr=False)
    _splits: dict[tuple[int, str], list[tuple[Flow, float]]] = field(default_factory=dict, repr=False)
    _share_cuts: dict[tuple[int, str], list[int]] = field(default_factory=dict, repr=False)

    def parties(self, customer: int, product: str) -> frozenset[str]:
        """Who an order concerns (what a rule's `entities` match): the customer and the designer of
        the product it serves (for a component, the accelerator it goes into). Static, so cached."""
        key = (customer, product)
        hit = self._parties.get(key)
        if hit is None:
            names = set(self.entities[customer])
            vendor = self.products[product].vendor
            if vendor is not None and vendor in self.index:
                names |= self.entities[self.index[vendor]]
            hit = self._parties[key] = frozenset(names)
        return hit

    def known_plans(self, day: int) -> dict[int, np.ndarray]:
        """The summed plan as known on `day` of each node a plan shock has changed by then (the
        others: `plan_cum`); a quote must not foresee a plan shock that starts later."""
        out = {}
        for n, (starts, rows) in self.plan_known.items():
            k = bisect.bisect_right(starts, day)
            if k:
                out[n] = rows[k - 1]
        return out

    def flows_into(self, customer: int, product: str) -> list[Flow]:
        return self.inbound.get((customer, product), [])

    def split(self, customer: int, product: str, day: int) -> list[tuple[Flow, float]]:
        """(flow, share) of the customer's suppliers of `product` on `day` with a positive share,
        as `shares` normalises them over all of them. With constant edge shares the same every
        day, so kept per (customer, product): a 1,000-node, 10-year run splits 300,000 needs.
        The list returned is shared: read it, do not change it."""
        key = (customer, product)
        if self.constant_shares:
            hit = self._splits.get(key)
            if hit is not None:
                return hit
        flows = self.inbound.get(key, [])
        out = [(f, s) for f, s in zip(flows, self.shares(flows, day)) if s > 0] if flows else []
        if self.constant_shares:
            self._splits[key] = out
        return out

    def share_period(self, customer: int, product: str, day: int) -> int:
        """Which stretch of days `day` falls in, among those over which no edge share of the customer's
        suppliers of `product` changes (0 before the first change): `shares` of any of those flows is
        the same on two days of one period. Change days are found once per (customer, product)."""
        key = (customer, product)
        cuts = self._share_cuts.get(key)
        if cuts is None:
            rows = self.flow_share[[f.index for f in self.inbound.get(key, ())]]
            cuts = self._share_cuts[key] = (np.flatnonzero((rows[:, 1:] != rows[:, :-1]).any(axis=0)) + 1).tolist()
        return bisect.bisect_right(cuts, min(max(day, 0), self.days - 1)) if cuts else 0

    def shares(self, flows: list[Flow], day: int) -> list[float]:
        """Edge shares of `flows` on `day`, normalised; equal shares if none is positive. Plain
        floats: a handful of flows per order, where numpy's per-call cost would dominate."""
        d = min(max(day, 0), self.days - 1)
        s = [float(f.share[d]) for f in flows]
        total = sum(s)
        return [x / total for x in s] if total > 0 else [1.0 / len(s)] * len(s)

    def unit_cost(self, node: int, product: str, dies_per_wafer: float | None = None) -> float:
        """Capacity units one good unit of `product` takes at `node`, before yield.

        Fabs: one wafer gives `dies_per_wafer` candidate dies of that SKU;
        packaging: a package takes its BOM's packaging units (CoWoS wafers if
        the node counts interposer wafers); everything else: one unit.
        """
        kind = self.kinds[node]
        if kind == "fab":
            return 1.0 / (dies_per_wafer or 1.0)
        if kind == "packaging":
            prod = self.products[product]
            units = prod.bom.packaging_units if prod.bom else 1.0
            ppw = getattr(self.node_models[node], "packages_per_wafer", None)
            return units / (ppw or 1.0)
        return 1.0



def compile_network(model: TopologyModel, scenario: Scenario) -> Net:
    start = scenario.start
    days = (scenario.end - scenario.start).days + 1
    grid = np.arange(days, dtype=float)
    n = len(model.nodes)
    planned = np.zeros((n, days))
    cap_mult = np.ones((n, days))
    yields = np.ones((n, days))
    cycle = np.zeros((n, days))
    unlimited = np.zeros(n, dtype=bool)
    expansion: dict[int, tuple[str, float]] = {}
    for i, node in enumerate(model.nodes):
        cap = getattr(node, "capacity", None)
        if node.kind in PRODUCER_KINDS and cap is not None:
            planned[i] = cap.on_days(start, grid) * _PER_DAY[node.kind]
        else:
            unlimited[i] = True
        share = getattr(node, "ai_share", None)
        if share is not None:
            cap_mult[i] = ai_share_row(node, start, grid)
        y = getattr(node, "yield_", None)
        if y is not None:
            yields[i] = y.on_days(start, grid)
        ct = getattr(node, "cycle_time", None)
        if ct is not None:
            cycle[i] = ct.on_days(start, grid)
        exp = getattr(node, "expansion", None)
        if exp is not None:
            expansion[i] = (exp.tool, exp.capacity_per_tool * _PER_DAY[node.kind])
    if scenario.unconstrained:
        unlimited[:] = True
    index = {node.id: i for i, node in enumerate(model.nodes)}
    net = Net(
        model=model,
        scenario=scenario,
        days=days,
        ids=[nd.id for nd in model.nodes],
        kinds=[nd.kind for nd in model.nodes],
        countries=[nd.country for nd in model.nodes],
        juris=[nd.juris for nd in model.nodes],
        tech=[frozenset(nd.tech_origin) for nd in model.nodes],
        entities=[frozenset(nd.entities) | {nd.id} for nd in model.nodes],
        products=dict(model.products),
        planned=planned,
        cap_mult=cap_mult,
        yields=yields,
        cycle=cycle,
        ct_mult=np.ones((n, days)),
        demand_mult=np.ones((n, days)),
        index=index,
        unlimited=unlimited,
        expansion=expansion,
        node_models=list(model.nodes),
    )
    if scenario.quotes.capacity == "plan":
        net.plan_cum = np.zeros((n, days + 1))
        np.cumsum(planned * cap_mult, axis=1, out=net.plan_cum[:, 1:])
    inbound: dict[tuple[int, str], list[Flow]] = defaultdict(list)
    # one flows x days matrix each, the flows' arrays are its rows (views): the weekly quotes read
    # them whole, without a copy. Constant shares and untouched transport times take no memory
    # (read-only broadcasts); on a 1,000-node, 10-year network each full matrix is ~90 MB.
    shares = [e.share.on_days(start, grid) for e in model.edges]
    if all(s.size == 0 or (s == s[0]).all() for s in shares):
        column = np.array([[s[0] if s.size else 0.0] for s in shares]).reshape(len(shares), 1)
        net.flow_share = np.broadcast_to(column, (len(shares), days))
        net.constant_shares = True
    else:
        net.flow_share = np.array(shares).reshape(len(shares), days)
    del shares
    net.flow_mult = np.broadcast_to(np.ones(days), (len(model.edges), days))
    for k, e in enumerate(model.edges):
        f = Flow(
            index=k,
            supplier=index[e.source_id],
            customer=index[e.target],
            product=e.product,
            share=net.flow_share[k],
            transport=e.transport,
            transport_mult=net.flow_mult[k],
        )
        net.flows.append(f)
        inbound[(f.customer, f.product)].append(f)
    net.inbound = dict(inbound)
    return net


def ai_share_row(node, start, grid: np.ndarray) -> np.ndarray | float:
    """A node's ai_share on each day of `grid` (1.0 without one): the factor `Net.plan_cum` carries,
    which `cap_mult` no longer holds alone once shocks have multiplied it."""
    share = getattr(node, "ai_share", None)
    return share.on_days(start, grid) if share is not None else 1.0


def own_transport_mult(net: Net) -> np.ndarray:
    """The flows' transport multipliers as a writable matrix (a shock is about to scale some rows)."""
    if not net.flow_mult.flags.writeable:
        net.flow_mult = np.ones(net.flow_mult.shape)
        for f in net.flows:
            f.transport_mult = net.flow_mult[f.index]
    return net.flow_mult
