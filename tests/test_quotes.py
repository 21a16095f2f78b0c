"""Quoted lead times: the vectorised weekly plan against the definition written out plainly.

The quote at a producer is backlog / effective rate + cycle time; at a packager the
slowest BOM input (share-weighted over its suppliers, plus transport) + its own quote;
at a vendor without stock the build chain + its own quote. `ReferenceQuoter` computes
that by recursion; `QuotePlan.evaluate` must agree at every (supplier, product) key,
week after week, on networks with vendors, kits, pro-rata books and shocks.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from supplychain.engine import World
from supplychain.engine.record import build_tables
from supplychain.engine.network import PRODUCER_KINDS
from supplychain.generate import generate_topology
from supplychain.scenario import load_scenario
from supplychain.scenario_schema import Scenario
from supplychain.topology import graph_to_model

ROOT = Path(__file__).resolve().parents[1]


class ReferenceQuoter:
    """The quotes of one week by plain recursion with memo dicts: the definition the vectorised
    QuotePlan must reproduce."""

    def __init__(self, world: World, day: int, cap: np.ndarray) -> None:
        self.w, self.day, self.cap = world, day, cap
        self.node_q: dict[int, float] = {}
        self.supply_q: dict[tuple[int, str], float] = {}
        self.supplier_q: dict[tuple[int, str], float] = {}
        self.flow_q: dict[int, float] = {}
        self.expected = [f.transport.expected for f in world.net.flows]

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


def check_every_week(world: World, weeks: set[int]) -> int:
    """Run `world`, comparing plan and reference on the given weeks; returns the checks made."""
    done = []

    def compare(day: int) -> None:
        if day // 7 not in weeks:
            return
        prod = world.production
        cap = prod.capacity(day)
        node_q, at = world.quote_book.plan.evaluate(world, day, cap, prod.backlog_vector(day))
        ref = ReferenceQuoter(world, day, cap)
        want = np.array([ref.at_supplier(n, p) for n, p in world.quote_book.keys])
        np.testing.assert_allclose(at, want, rtol=1e-12, atol=1e-12)
        for n, kind in enumerate(world.net.kinds):
            if kind in PRODUCER_KINDS:
                assert node_q[n] == pytest.approx(ref.node(n), rel=1e-12, abs=1e-12)
        done.append(day)

    world.run(progress=compare)
    return len(done)


def test_plan_matches_the_definition_on_a_generated_network():
    model = generate_topology(80, seed=5)  # vendors, kits, pro-rata nodes, growing backlogs
    sc = Scenario.model_validate({"name": "q", "start": "2022-01-01", "end": "2024-12-31", "seed": 5})
    w = World(model, sc, 0)
    assert w.quote_book.plan.passes >= 2, "vendor -> packaging -> producer chains"
    assert check_every_week(w, set(range(0, 157, 13))) == 13


def test_plan_matches_the_definition_on_the_default_network_under_a_blockade():
    res = load_scenario(ROOT / "policies" / "taiwan_blockade_6m.yaml")
    sc = res.scenario.model_copy(update={"end": dt.date(2028, 6, 30)})
    w = World(graph_to_model(res.topology), sc, 0)
    weeks = {int((dt.date(2027, 7, 1) - sc.start).days // 7) + k for k in (0, 4, 12, 26, 40)} | {10, 80}
    assert check_every_week(w, weeks) == len(weeks)


def test_labs_get_quotes_only_while_they_may_order_the_sku():
    # a SKU is quoted to a lab from `order_ahead_days` before its first sales until as long
    # before it is discontinued: the days `sku_offers` lets the lab order it, no others
    res = load_scenario(ROOT / "policies" / "baseline.yaml")
    sc = res.scenario.model_copy(update={"end": dt.date(2031, 12, 31)})
    w = World(graph_to_model(res.topology), sc, 0).run()
    checked = 0
    for f in w.net.flows:
        if w.net.kinds[f.customer] != "lab" or w.net.products[f.product].kind != "accelerator":
            continue
        j = w.labs.pos[f.customer]
        ahead = w.labs.states[j].policy.order_ahead_days
        for day, row in zip(w.quote_book.days, w.quote_book.rows):
            offered = any(g is f for g, _, _ in w.labs.sku_offers(j, day, ahead))
            assert offered == (not np.isnan(row[f.index])), (w.net.ids[f.customer], f.product, day)
            checked += 1
    assert checked > 1000
    lt = build_tables(w)["lead_times"]
    lt = lt[lt["customer"].isin({w.net.ids[n] for n in w.labs.nodes})]
    assert not ((lt["product"] == "amd_2030") & (lt["date"] < "2030-01-01")).any()  # on sale from 2030-07
    assert not ((lt["product"] == "a100") & (lt["date"] >= "2024-01-01")).any()  # discontinued 2024-01-01


def test_a_fifo_producers_quote_is_the_lead_time_a_new_order_gets():
    """FIFO at a constant capacity C and yield y makes good units at C x y a day, so an order that
    joins a backlog of B good units starts its last unit after B / (C y) days and finishes a cycle
    time later: its realised time at the producer is the quote (backlog / rate + cycle time)
    rounded up to the daily step. Checked on an HBM maker (yield 0.7) far below demand."""
    from _topo import minimal_data, node

    from supplychain.results import simulate
    from supplychain.topology import parse_topology

    data = minimal_data()
    node(data, "hbm_maker")["capacity"] = 20000  # stacks/week: months of queue
    r = simulate(parse_topology(data), {"name": "q", "end": "2024-12-31", "labs": {"lifetime_years": 100}})
    quote = r.nodes[r.nodes["node"] == "hbm_maker"].set_index("day")["quoted_days"]
    o = r.orders[(r.orders["supplier"] == "hbm_maker") & r.orders["finished"].notna()]
    assert (o["entered"] % 7 == 0).all()  # lots are placed on the weekly build day, a recorded day
    excess = (o["finished"] - o["entered"]) - o["entered"].map(quote)
    assert len(o) > 50 and quote.max() > 150 + 100  # over 100 days of queue at the peak
    assert excess.min() >= -1e-9 and excess.max() < 1.0
