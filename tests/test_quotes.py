"""Quoted lead times: the vectorised weekly plan against the definition written out plainly.

The quote at a producer is backlog / effective rate + cycle time; at a packager the
slowest BOM input (share-weighted over its suppliers, plus transport) + its own quote;
at a vendor without stock the build chain + its own quote; at a stock point with goods on hand
0, without them its replenishment chain (a kit's slowest input) + its cycle time. `ReferenceQuoter` computes
that by recursion; `QuotePlan.evaluate` must agree at every (supplier, product) key,
week after week, on networks with vendors, kits, pro-rata books and shocks, under dynamic sourcing and
with `quotes.capacity: plan`; and a quote is the lead time a new order then gets. The vendors' `atp`
quotes are in test_quotes_atp.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.engine import World
from supplychain.engine.record import build_tables
from supplychain.engine.network import PRODUCER_KINDS
from supplychain.engine.quotes import plan_wait
from supplychain.generate import generate_topology
from supplychain.scenario import load_scenario
from supplychain.scenario_schema import Scenario
from supplychain.topology import graph_to_model

from _plans import planned_days
from _quotes import assert_plan_matches, reference_at

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
                if w.net.scenario.quotes.capacity == "plan":
                    q = walk_plan(planned_days(w, n), d, float(self.cap[n]), backlog) + ct
                else:
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
        if kind == "stock":
            # goods on hand ship at once; without, an order waits for a replenishment through the chain
            if self.w.stocks.state[n].on_hand > 1e-9:
                return 0.0
            m = net.node_models[n]
            return max(self.supply(n, p) for p in (list(m.bom) or [m.item])) + self.node(n)
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


def walk_plan(plan: np.ndarray, d: int, cap: float, backlog: float) -> float:
    """Days until the plan, scaled by today's capacity / plan, covers `backlog`: day by day from
    tomorrow (today's capacity is spent when the quotes are made)."""
    if backlog <= 0.0:
        return 0.0
    if plan[d] > 0.0 and cap <= 1e-12:
        return np.inf
    r = cap / plan[d] if plan[d] > 0.0 else 1.0
    t, left, k = 0.0, backlog, d + 1
    while True:
        rate = plan[min(k, len(plan) - 1)] * r
        if rate >= left:
            return t + left / rate
        if k >= len(plan) - 1 and rate <= 0.0:
            return np.inf
        left -= rate
        t += 1.0
        k += 1


def check_every_week(world: World, weeks: set[int]) -> int:
    """Run `world`, comparing plan and reference on the given weeks; returns the checks made."""
    done = []

    def compare(day: int) -> None:
        if day // 7 not in weeks:
            return
        node_q, ref = assert_plan_matches(world, day, ReferenceQuoter)
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


class WeightedQuoter(ReferenceQuoter):
    """The definition under dynamic sourcing: a new order splits by edge share x the buyers' weight
    (`Sourcing.weight`), so the quote of its supply is the mean weighted by those, and the quickest
    supplier's where none is positive."""

    def supply(self, customer: int, product: str) -> float:
        key = (customer, product)
        if key not in self.supply_q:
            flows = self.w.net.flows_into(customer, product)
            d = min(self.day, self.w.net.days - 1)
            weight = self.w.sourcing.weight
            num = den = 0.0
            for f in flows:
                s = f.share[d] * weight[f.index]
                if s > 0:
                    num += s * self.flow(f)
                    den += s
            self.supply_q[key] = 0.0 if not flows else num / den if den > 0 else min(self.flow(f) for f in flows)
        return self.supply_q[key]


def test_quotes_follow_the_sourcing_weights_and_the_quickest_supplier_without_a_share():
    """With sourcing on, the quote of a buyer's supply is weighted by edge share x weight. The weights are
    set at random each checked week (the last week every re-sourced group's all 0: no positive share, the
    quickest supplier's quote), and the plan must agree with `WeightedQuoter` at every key."""
    model = generate_topology(80, seed=5)
    sc = Scenario.model_validate({"name": "q", "start": "2022-01-01", "end": "2023-06-30", "seed": 5,
                                  "sourcing": {"elasticity": 2.0}})
    w = World(model, sc, 0)
    src = w.sourcing
    assert src.on and len(src.seg_start) > 1
    rng = np.random.default_rng(1)
    done = []

    def compare(day: int) -> None:
        if day // 7 not in (10, 30, 60):
            return
        src.weight[:] = rng.uniform(0.05, 1.0, len(src.weight))
        if day // 7 == 60:  # every re-sourced group without a positive share
            src.weight[src.seg_flow] = 0.0
        _, ref = assert_plan_matches(w, day, WeightedQuoter)
        plain = ReferenceQuoter(w, day, ref.cap)  # the weights matter: the unweighted definition differs
        assert not np.allclose(reference_at(ref, w), reference_at(plain, w), rtol=1e-9)
        done.append(day)

    w.run(progress=compare)
    assert len(done) == 3


def test_plan_matches_the_definition_on_the_default_network_under_a_blockade():
    res = load_scenario(ROOT / "policies" / "taiwan_blockade_6m.yaml")
    sc = res.scenario.model_copy(update={"end": dt.date(2028, 6, 30)})
    w = World(graph_to_model(res.topology), sc, 0)
    weeks = {int((dt.date(2027, 7, 1) - sc.start).days // 7) + k for k in (0, 4, 12, 26, 40)} | {10, 80}
    assert check_every_week(w, weeks) == len(weeks)


def textbook_chain(wh_level: float, asm_s: float, asm_S: float):
    """plant (70/week, 2 d) -(3 d)-> wh (base stock) -(1 d)-> asm (sS kit: 2 a + 1 b, 3 d) -(2 d)-> dc -> shop,
    b from an unlimited source -(4 d)-> asm; dc replenishes to order from asm. A planner's textbook chain."""
    from conftest import topo

    items = {"a": {"kind": "item"}, "b": {"kind": "item"}, "kit": {"kind": "item"}}
    return topo(
        [
            {"id": "plant", "kind": "source", "makes": ["a"], "capacity": 70, "cycle_time": 2},
            {"id": "pb", "kind": "source", "makes": ["b"]},
            {"id": "wh", "kind": "stock", "item": "a", "base_stock": wh_level},
            {"id": "asm", "kind": "stock", "item": "kit", "policy": "sS", "s": asm_s, "S": asm_S,
             "bom": {"a": 2, "b": 1}, "cycle_time": 3},
            {"id": "dc", "kind": "stock", "item": "kit", "policy": "make_to_order"},
            {"id": "shop", "kind": "demand", "item": "kit", "demand": {"mode": "fixed", "rate": 3}},
        ],
        [
            {"from": "plant", "to": "wh", "product": "a", "transport": 3},
            {"from": "pb", "to": "asm", "product": "b", "transport": 4},
            {"from": "wh", "to": "asm", "product": "a", "transport": 1},
            {"from": "asm", "to": "dc", "product": "kit", "transport": 2},
            {"from": "dc", "to": "shop", "product": "kit"},
        ],
        items,
    )


@pytest.mark.parametrize("levels", [(100, 45, 70), (40, 5, 25)], ids=["stocked", "short"])
def test_plan_matches_the_definition_on_a_textbook_chain(levels):
    sc = Scenario.model_validate({"name": "q", "start": "2024-01-01", "end": "2024-12-31", "seed": 1})
    w = World(textbook_chain(*levels), sc, 0)
    assert w.quote_book.plan.passes >= 3, "dc -> asm -> wh -> plant"
    assert check_every_week(w, set(range(0, 52))) == 52


def test_a_stock_points_quote_is_what_its_orders_take():
    """A stock point with goods on hand ships at once, so an order takes only the transport: asm, which
    never runs out, quoted its cycle time + transport (5 days) for orders that all took 2. A point
    without goods (dc, make to order) waits for a replenishment through its chain: asm's 0 + 2 days."""
    from supplychain.results import simulate

    r = simulate(textbook_chain(100, 45, 70), {"name": "q", "start": "2024-01-01", "end": "2024-12-31", "seed": 1})
    assert r.stocks.set_index("node").loc["asm", "fill_rate"] == 1.0
    lt = r.lead_times.set_index(["supplier", "customer"])
    for flow, days in ((("asm", "dc"), 2.0), (("dc", "shop"), 2.0), (("pb", "asm"), 4.0)):
        quoted, took = lt.loc[flow, "quoted_days"], lt.loc[flow, "realised_by_order_days"].dropna()
        assert (quoted == days).all(), (flow, quoted.unique())
        assert len(took) > 30 and (took == days).all(), (flow, took.unique())


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


def test_a_denormal_capacity_quotes_without_a_numpy_warning():
    """Two overlapping shocks of x1e-160 leave the fab a denormal capacity (under the 1e-12 floor, so its
    quote reads the backlog as unbounded); dividing the backlog by it anyway overflowed, and numpy's
    RuntimeWarning reached the user's console. The quote is inf with work waiting, as for a zero capacity."""
    import warnings

    from supplychain.results import simulate

    shocks = [{"id": f"s{i}", "kind": "capacity", "start": "2022-01-10", "duration_days": 400, "multiplier": 1e-160,
               "target": {"ids": ["fab"]}} for i in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        r = simulate(str(ROOT / "topology" / "minimal.yaml"), {"name": "q", "end": "2022-03-01", "shocks": shocks})
    q = r.nodes[(r.nodes["node"] == "fab") & (r.nodes["day"] > 14)]
    assert len(q) and np.isinf(q["quoted_days"]).all()


def test_plan_wait_by_hand():
    """Days to cover a backlog along the capacity plan: flat, a step, a shock, a node not built yet."""
    def wait(plan, d, cap, backlog):
        cum = np.concatenate([[0.0], np.cumsum(plan)])[None, :]
        return float(plan_wait(cum, d, np.array([cap]), np.array([backlog]), np.array([True]))[0])

    flat = np.full(100, 10.0)
    assert wait(flat, 3, 10.0, 250.0) == pytest.approx(25.0)  # the `today` quote: backlog / capacity
    step = np.r_[np.full(20, 10.0), np.full(80, 30.0)]  # capacity triples on day 20
    assert wait(step, 0, 10.0, 150.0) == pytest.approx(15.0)  # covered before the step
    assert wait(step, 10, 10.0, 250.0) == pytest.approx(9 + 160 / 30)  # days 11-19 make 90, then 30 a day
    assert wait(step, 10, 5.0, 250.0) == pytest.approx(9 + 205 / 15)  # half capacity today: half the plan
    assert wait(step, 10, 0.0, 1.0) == np.inf  # planned but nothing today (a blockade): no finite quote
    unbuilt = np.r_[np.zeros(30), np.full(70, 4.0)]
    assert wait(unbuilt, 0, 0.0, 40.0) == pytest.approx(29 + 10)  # opens on day 30, as planned
    assert wait(flat, 90, 10.0, 1000.0) == pytest.approx(100.0)  # past the run: the last day's plan goes on
    assert wait(np.r_[np.full(10, 1.0), np.zeros(90)], 0, 1.0, 50.0) == np.inf  # the plan ends short
    assert wait(flat, 0, 10.0, 0.0) == 0.0


@settings(max_examples=150, deadline=None)
@given(plan=st.lists(st.just(0.0) | st.floats(0.01, 50.0), min_size=2, max_size=60), d=st.integers(0, 59),
       backlog=st.just(0.0) | st.floats(1e-6, 3000.0), ratio=st.sampled_from([0.0, 0.3, 1.0]))
def test_plan_wait_is_the_day_by_day_walk(plan, d, backlog, ratio):
    plan = np.array(plan)
    d = min(d, len(plan) - 1)
    cap = plan[d] * ratio
    cum = np.concatenate([[0.0], np.cumsum(plan)])[None, :]
    got = float(plan_wait(cum, d, np.array([cap]), np.array([backlog]), np.array([backlog > 0]))[0])
    want = walk_plan(plan, d, cap, backlog)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-9) or (np.isinf(got) and np.isinf(want))


def test_plan_quotes_match_the_definition_on_a_generated_network():
    model = generate_topology(80, seed=5)  # capacities that grow every year, kits, pro-rata books
    sc = Scenario.model_validate({"name": "q", "start": "2022-01-01", "end": "2024-12-31", "seed": 5,
                                  "quotes": {"capacity": "plan"}})
    assert check_every_week(World(model, sc, 0), set(range(0, 157, 26))) == 7


def test_plan_quotes_match_the_definition_under_a_blockade():
    res = load_scenario(ROOT / "policies" / "taiwan_blockade_6m.yaml")
    sc = Scenario.model_validate({**res.scenario.model_dump(), "end": dt.date(2028, 6, 30), "quotes": {"capacity": "plan"}})
    w = World(graph_to_model(res.topology), sc, 0)
    weeks = {int((dt.date(2027, 7, 1) - sc.start).days // 7) + k for k in (0, 12, 40)} | {80}
    assert check_every_week(w, weeks) == len(weeks)


def test_a_plan_quote_is_the_lead_time_a_new_order_gets_when_capacity_grows():
    """An HBM maker far below demand triples its capacity on 2023-07-01. FIFO spends each day's
    capacity on the oldest orders, so an order's time at the producer is the wait until the
    planned capacity covers the backlog it joins, plus the cycle time: the `plan` quote, rounded
    up to the daily step. The `today` quote, blind to the step, overstates it for the orders the
    step speeds up."""
    from _topo import minimal_data, node

    from supplychain.results import simulate
    from supplychain.topology import parse_topology

    data = minimal_data()
    node(data, "hbm_maker")["capacity"] = {"points": {"2022-01-01": 20000, "2023-06-30": 20000,
                                                      "2023-07-01": 60000}, "source": "test"}
    topo = parse_topology(data)
    excess = {}
    for mode in ("plan", "today"):
        r = simulate(topo, {"name": "q", "end": "2024-12-31", "labs": {"lifetime_years": 100},
                            "quotes": {"capacity": mode}})
        quote = r.nodes[r.nodes["node"] == "hbm_maker"].set_index("day")["quoted_days"]
        o = r.orders[(r.orders["supplier"] == "hbm_maker") & r.orders["finished"].notna()]
        excess[mode] = (o["finished"] - o["entered"]) - o["entered"].map(quote)
    assert len(excess["plan"]) > 50
    assert excess["plan"].min() >= -1e-9 and excess["plan"].max() < 1.0
    assert excess["today"].min() < -10  # quoted over a week too long before the step
