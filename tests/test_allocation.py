"""Allocation rules: what each gives an order book, and the pro-rata ShareBook against them.

The rules are checked as invariants over random books (never more than the
budget or than an order can start; work-conserving; fifo in order of entry;
pro_rata on one level of each order's size; priority by tier). The ShareBook,
which advances pro_rata books by a cumulative level instead of order by
order, must reproduce the rule function's schedule exactly on a chain in
steady overload, and keep the chain's throughput at the bottleneck capacity.
A rule a user registers is accepted by topology files and runs as written.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.engine import World, check_invariants
from supplychain.engine.completion import TRANCHE
from supplychain.engine.orders import Order
from supplychain.engine.production import ALLOCATION_RULES, EPS, Production, register_allocation, startable
from supplychain.errors import InputError
from supplychain.results import simulate
from supplychain.scenario_schema import Scenario, Shock
from supplychain.topology import parse_topology

from conftest import ROOT, topo, two_customers

books = st.lists(
    st.tuples(
        st.floats(0.5, 500.0),  # qty
        st.floats(0.0, 1.0),  # share of qty already started
        st.floats(0.2, 5.0),  # unit cost
        st.one_of(st.just(math.inf), st.floats(0.0, 1.0)),  # kit: share of qty its inputs cover
        st.integers(0, 2),  # tier
    ),
    min_size=0,
    max_size=25,
)


def make_book(rows) -> list[Order]:
    out = []
    for i, (qty, done, cost, ready, tier) in enumerate(rows):
        o = Order(id=i, kind="component", product="p", qty=qty, supplier=0, customer=1, ordered=float(i))
        o.entered, o.unit_cost, o.tier = float(i), cost, tier
        o.remaining = qty * (1 - done)
        o.ready_qty = math.inf if ready == math.inf else qty * ready
        out.append(o)
    return out


def capacity(give, y):
    return sum(g * o.unit_cost / y for o, g in give)


@settings(max_examples=200, deadline=None)
@given(books, st.floats(0.0, 2000.0), st.floats(0.3, 1.0), st.sampled_from(sorted(ALLOCATION_RULES)))
def test_rules_respect_budget_and_startable_and_conserve_work(rows, budget, y, rule):
    book = make_book(rows)
    give = ALLOCATION_RULES[rule](book, budget, y)
    for o, g in give:
        assert -1e-9 <= g <= startable(o) * (1 + 1e-9) + 1e-12
    used = capacity(give, y)
    assert used <= budget * (1 + 1e-9) + 1e-9
    demand = sum(max(startable(o), 0.0) * o.unit_cost / y for o in book if startable(o) > EPS)
    assert used == pytest.approx(min(budget, demand), rel=1e-6, abs=1e-6)  # work-conserving


@settings(max_examples=200, deadline=None)
@given(books, st.floats(0.0, 2000.0), st.floats(0.3, 1.0))
def test_fifo_serves_in_order_of_entry(rows, budget, y):
    book = make_book(rows)
    got = {o.id: g for o, g in ALLOCATION_RULES["fifo"](book, budget, y)}
    short = [o for o in book if startable(o) > EPS and got.get(o.id, 0.0) < startable(o) * (1 - 1e-9)]
    if short:  # everyone after the first order left short gets nothing
        first = short[0]
        assert all(got.get(o.id, 0.0) == 0.0 for o in book if o.entered > first.entered)


@settings(max_examples=200, deadline=None)
@given(books, st.floats(0.0, 2000.0), st.floats(0.3, 1.0))
def test_pro_rata_gives_one_level_of_each_orders_size(rows, budget, y):
    book = make_book(rows)
    give = ALLOCATION_RULES["pro_rata"](book, budget, y)
    ratios = [(g / (o.qty - o.denied_qty), g >= startable(o) * (1 - 1e-9)) for o, g in give]
    capped = [r for r, full in ratios if not full]
    if capped:  # orders left short all got the same fraction of their size; the full ones needed less
        level = capped[0]
        assert all(r == pytest.approx(level, rel=1e-6, abs=1e-12) for r in capped)
        assert all(r <= level * (1 + 1e-6) + 1e-12 for r, full in ratios if full)


@settings(max_examples=100, deadline=None)
@given(books, st.floats(0.0, 2000.0), st.floats(0.3, 1.0))
def test_priority_serves_lower_tiers_first(rows, budget, y):
    book = make_book(rows)
    got = {o.id: g for o, g in ALLOCATION_RULES["priority"](book, budget, y)}
    short_tiers = [o.tier for o in book if startable(o) > EPS and got.get(o.id, 0.0) < startable(o) * (1 - 1e-9)]
    if short_tiers:
        worst = min(short_tiers)
        assert all(got.get(o.id, 0.0) == 0.0 for o in book if o.tier > worst)


def overloaded_chain(cycle: float = 12.0):
    """src (pro_rata, 14/week) -> depot (make to order) -> two customers asking 3.5 a day (daily) and 2.5 a day (10 every 4 days)."""
    return topo(
        [
            {"id": "src", "kind": "source", "makes": ["widget"], "cycle_time": cycle, "capacity": 14.0, "allocation": "pro_rata"},
            {"id": "depot", "kind": "stock", "item": "widget", "policy": "make_to_order"},
            {"id": "small", "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": 3.5, "period_days": 1}},
            {"id": "big", "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": 2.5, "period_days": 4}},
        ],
        [
            {"from": "src", "to": "depot", "product": "widget", "transport": 3},
            {"from": "depot", "to": "small", "product": "widget", "transport": 1},
            {"from": "depot", "to": "big", "product": "widget", "transport": 1},
        ],
    )


SC = Scenario.model_validate({"name": "overload", "start": "2022-01-01", "end": "2023-06-30"})


def run(model, shared: bool) -> World:
    w = World(model, SC, 0)
    w.production = Production(w.net, w._finished, shared=shared)  # nothing is placed before run()
    w.run()
    check_invariants(w)
    return w


def test_share_book_reproduces_the_pro_rata_rule_order_by_order():
    model = overloaded_chain()
    fast, slow = run(model, True), run(model, False)
    src = fast.net.index["src"]
    assert src in fast.production.shares and not slow.production.shares
    assert len(fast.orders) == len(slow.orders)
    stamps = ("entered", "started", "finished", "delivered")
    for a, b in zip(fast.orders, slow.orders):
        if a.supplier != src:
            continue
        for f in stamps:  # orders finish when the last unit is made: the same under both
            u, v = getattr(a, f), getattr(b, f)
            assert (u is None) == (v is None) and (u is None or u == pytest.approx(v, abs=1e-6)), (a.id, f, u, v)
    prod_f, prod_s = fast.production, slow.production
    assert prod_f.started[src] == pytest.approx(prod_s.started[src], rel=1e-9)
    assert prod_f.finished[src] == pytest.approx(prod_s.finished[src], rel=1e-9)


def test_pro_rata_chain_runs_at_the_bottleneck_and_backlog_grows_at_the_excess():
    w = run(overloaded_chain(), True)
    src = w.net.index["src"]
    days = w.net.days
    prod = w.production
    assert prod.started[src] == pytest.approx(2.0 * days, rel=0.01)  # 14/week, every day busy
    demand = 3.5 + 2.5
    backlog_end = prod.backlog_units(src, days - 1)
    assert backlog_end == pytest.approx((demand - 2.0) * days, rel=0.03)


def test_share_book_bounds_partial_shipments_per_order():
    """Tranches: an order ships its output in at most 1 / TRANCHE + 1 parts, each on the first shipping day
    after it reached its share, even a shipping day on which none of the node's work finishes (a day without
    capacity, day 16, 12 days before day 28, a shipping day)."""
    outage = {"id": "out", "kind": "capacity", "start": "2022-01-17", "duration_days": 1, "multiplier": 0.0,
              "target": {"ids": ["src"]}}
    w = World(overloaded_chain(), SC.model_copy(update={"shocks": [Shock.model_validate(outage)]}), 0)
    shipments: dict[int, int] = {}
    ship = w.ship
    src = w.net.index["src"]
    book, late = w.production.shares[src], []

    def counting(o, qty, now):
        shipments[o.id] = shipments.get(o.id, 0) + 1
        ship(o, qty, now)

    def shipping_day(day: int) -> None:  # after the day's production step: no tranche left that has reached its share
        if book._ship and book._ship[0][0] <= book.done_level + EPS:
            late.append(day)

    w.ship = counting  # type: ignore[method-assign]
    w.run(progress=shipping_day)
    assert not late, late[:5]
    per_order = np.array([shipments.get(o.id, 0) for o in w.orders if o.supplier == src])
    assert per_order.max() <= math.ceil(1 / TRANCHE) + 1
    # without tranches every open order would ship weekly for as long as it stays open
    open_weeks = max((o.finished - o.entered) / 7 for o in w.orders if o.supplier == src and o.finished is not None)
    assert open_weeks > 2 * (1 / TRANCHE + 1)


@pytest.fixture
def lifo():
    """A user's rule, newest order first, registered for one test (the registry is global) and
    recording per call each order's (entry, startable, given)."""
    calls: list[list[tuple[float, float, float]]] = []

    @register_allocation("lifo")
    def rule(book: list[Order], budget: float, y: float) -> list[tuple[Order, float]]:
        give = []
        for o in reversed(book):
            can = startable(o)
            if budget <= EPS or can <= EPS:
                continue
            goods = min(can, budget * y / o.unit_cost)
            give.append((o, goods))
            budget -= goods * o.unit_cost / y
        got = {id(o): g for o, g in give}
        calls.append([(o.entered, startable(o), got.get(id(o), 0.0)) for o in book])
        return give

    try:
        yield calls
    finally:
        del ALLOCATION_RULES["lifo"]


def test_a_registered_rule_runs_from_a_topology_newest_order_first(lifo):
    model = overloaded_chain()  # at 5 a day instead of 2: short of the 6 a day asked, so orders still finish
    nodes = [n.model_dump(by_alias=True, exclude_none=True) for n in model.nodes]
    nodes[0].update(allocation="lifo", capacity=35.0)
    edges = [e.model_dump(by_alias=True, exclude_none=True) for e in model.edges]
    w = World(topo(nodes, edges), SC, 0)
    w.run()
    check_invariants(w)
    rationed = [c for c in lifo if any(g < can * (1 - 1e-9) for _, can, g in c if can > EPS)]
    assert len(rationed) > 100  # short of capacity: the rule decided most days
    for book in rationed:  # whoever is left short, every order that entered after it got all it could start
        first_short = max(e for e, can, g in book if can > EPS and g < can * (1 - 1e-9))
        assert all(g >= can * (1 - 1e-9) for e, can, g in book if e > first_short)
    src = w.net.index["src"]  # so newer orders overtake older ones (fifo finishes them in order of entry)
    done = [(o.entered, o.finished) for o in w.orders if o.supplier == src]
    late = [e for e, f in done if any(e2 > e and f2 is not None and (f is None or f2 < f) for e2, f2 in done)]
    assert len(late) > len(done) / 10 and sum(f is not None for _, f in done) > len(done) / 2


def test_a_registered_rule_is_accepted_in_a_topology_file_and_an_unknown_one_lists_the_rules(lifo, tmp_path):
    data = yaml.safe_load((ROOT / "topology" / "minimal.yaml").read_text())
    for n in data["nodes"]:
        if n["id"] == "packager":
            n["allocation"] = "lifo"
    path = tmp_path / "lifo.yaml"
    path.write_text(yaml.safe_dump(data))
    r = simulate(path, {"name": "lifo", "start": "2022-01-01", "end": "2022-12-31"})  # checks the invariants
    assert lifo and len(r.orders) > 0
    data["nodes"][3]["allocation"] = "lifx"
    with pytest.raises(InputError) as err:
        parse_topology(data, "t.yaml")
    assert str(err.value) == ("t.yaml: nodes.packager.allocation: unknown allocation rule (got 'lifx'); "
                              "registered: fifo, lifo, priority, pro_rata")


def test_an_unregistered_rule_is_rejected():
    data = yaml.safe_load((ROOT / "topology" / "minimal.yaml").read_text())
    data["nodes"][3]["allocation"] = "lifo"
    with pytest.raises(InputError, match="nodes.packager.allocation: unknown allocation rule"):
        parse_topology(data, "t.yaml")


def test_priority_serves_a_listed_customer_in_full_and_the_rest_first_come_first_served():
    """A source of 2 units a day under `priority: {vip: 0}` and two customers asking 1.5 a day each:
    vip (tier 0) never queues (lead time = cycle + transport), the unlisted customer comes after
    every listed one and gets the remaining 0.5 a day, first come first served, so its lead
    times grow with the order date."""
    model = topo(
        [
            {"id": "src", "kind": "source", "makes": ["widget"], "cycle_time": 5, "capacity": 14.0,
             "allocation": "priority", "priority": {"vip": 0}},
            {"id": "vip", "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": 1.5, "period_days": 1}},
            {"id": "other", "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": 1.5, "period_days": 1}},
        ],
        [
            {"from": "src", "to": "vip", "product": "widget", "transport": 1},
            {"from": "src", "to": "other", "product": "widget", "transport": 1},
        ],
    )
    o = simulate(model, {"name": "p", "start": "2022-01-01", "end": "2022-12-31"}).orders
    vip, other = (o[(o["customer"] == c) & o["delivered"].notna()].sort_values("ordered") for c in ("vip", "other"))
    assert len(vip) > 350 and (vip["lead_time_days"] == 5 + 1).all()
    late = other[other["delivered"] > 30]
    assert late["delivered_qty"].sum() / (late["delivered"].max() - 30) == pytest.approx(0.5, rel=0.02)
    assert len(other) > 100 and other["lead_time_days"].is_monotonic_increasing


def test_share_book_reproduces_the_pro_rata_rule_on_a_packager_rationing_partial_kits(pro_rata_by_order):
    """Kits whose dies arrive over weeks share a pro-rata packager's capacity with each other by
    their size, whatever they have started already: the ShareBook's water-filling over kits must
    give the schedule of the rule applied order by order."""
    data = yaml.safe_load((ROOT / "topology" / "minimal.yaml").read_text())
    for n in data["nodes"]:
        if n["id"] == "fab":
            # ~900 good dies a week shared by every open lot, so each kit's dies arrive over weeks
            # (the same in both worlds: the rule by another name)
            n["capacity"], n["allocation"] = 30, "pro_rata_by_order"
            n.pop("expansion", None)
        if n["id"] == "packager":
            n["capacity"], n["allocation"] = 500, "pro_rata"  # below what the dies allow
    data["nodes"] = [n for n in data["nodes"] if n["id"] != "toolmaker"]
    data["edges"] = [e for e in data["edges"] if e["from"] != "toolmaker"]
    model = parse_topology(data)
    sc = Scenario.model_validate({"name": "kits", "start": "2022-01-01", "end": "2023-12-31"})

    def go(shared: bool) -> World:
        w = World(model, sc, 0)
        w.production = Production(w.net, w._finished, shared=shared)
        w.run()
        check_invariants(w)
        return w

    fast, slow = go(True), go(False)
    pkg = fast.net.index["packager"]
    assert pkg in fast.production.shares and fast.net.index["fab"] not in fast.production.shares
    kits = [(a, b) for a, b in zip(fast.orders, slow.orders) if a.supplier == pkg and a.kind == "assembly"]
    assert len(fast.orders) == len(slow.orders) and len(kits) > 20
    partial = [a for a, _ in kits if a.started is not None and (a.kitted is None or a.started < a.kitted)]
    assert len(partial) > 10, len(partial)  # kits that started on part of their inputs
    for a, b in kits:
        for f in ("started", "finished", "shipped", "delivered"):
            u, v = getattr(a, f), getattr(b, f)
            assert (u is None) == (v is None) and (u is None or u == pytest.approx(v, abs=1e-6)), (a.id, f, u, v)
        assert a.made == pytest.approx(b.made, rel=1e-9, abs=1e-9)



@pytest.mark.parametrize("allocation", ["pro_rata", "pro_rata_by_order"])
def test_pro_rata_rations_a_shortage_in_proportion_to_what_each_customer_orders(allocation, pro_rata_by_order):
    """Customers asking 21 and 7 a week (a line each every 7 days) of a source making 3.5 a day: pro rata
    gives every open line the same fraction of its size each day, so the two get 3 : 1 of what is made,
    what they ask, and the lines they place the same day finish the same day, though one is three times
    the other (first come first served would finish a's first, an equal split per line b's). Through the
    ShareBook and through the rule function order by order."""
    o = simulate(two_customers(allocation, capacity=24.5, period=7), {"name": "pr", "start": "2022-01-01", "end": "2022-12-31"}).orders
    got = {c: o[(o["customer"] == c)]["delivered_qty"].sum() for c in ("a", "b")}
    assert got["a"] / got["b"] == pytest.approx(3.0, rel=0.01)
    done = o[o["finished"].notna()].pivot(index="ordered", columns="customer", values="finished").dropna()
    assert len(done) > 20 and np.allclose(done["a"], done["b"])
    assert (done["a"] - done.index).max() > 7 + 3 * 2  # a rationed queue: lines wait well beyond their own week's work


def test_priority_serves_each_tier_in_full_before_the_next():
    """A source making 3 a day, tiers 0, 1 and 2 (listed) asking 1.5, 1 and 1 a day: tiers 0 and 1 get all
    they ask and never queue (lead time = cycle + transport), tier 2 the 0.5 a day left, so its queue grows."""
    model = two_customers("priority", {"t0": 0, "t1": 1, "t2": 2}, capacity=21.0, rates=(1.5, 1.0, 1.0), ids=("t0", "t1", "t2"))
    o = simulate(model, {"name": "p3", "start": "2022-01-01", "end": "2022-12-31"}).orders
    lines = {c: o[(o["customer"] == c) & o["delivered"].notna()] for c in ("t0", "t1", "t2")}
    for c in ("t0", "t1"):
        assert len(lines[c]) > 350 and (lines[c]["lead_time_days"] == 2 + 1).all(), c
    late = lines["t2"][lines["t2"]["delivered"] > 30]
    assert late["delivered_qty"].sum() / (late["delivered"].max() - 30) == pytest.approx(0.5, rel=0.02)
    assert lines["t2"]["lead_time_days"].is_monotonic_increasing and lines["t2"]["lead_time_days"].max() > 100


#: a ban on HBM to China that takes effect while HBM lots ship in weekly parts (two_labs, hbm_kr at
#: 20,000 a week): packaging kits at pkg_cn lose the packages their refused HBM no longer covers
HBM_BAN = {"id": "r1", "announced": "2022-09-01", "effective": "2022-09-01", "action": "ban",
           "scope": {"destinations": ["CN"], "product_kinds": ["hbm"]}, "substitute": False}


@pytest.mark.parametrize(("rule", "case"), [("fifo", "minimal"), ("priority", "minimal"), ("fifo", "hbm_ban")])
def test_built_in_fifo_and_priority_start_as_their_rule_functions(rule, case):
    """The daily step runs the built-in `fifo` and `priority` fused with the start (`_fill_start`, with a fast
    path for days no order leaves the book); the same rule function under another name goes through the rule
    call and `_start`. The two worlds, with kits parked and unparked at the packager (and, under the HBM ban,
    kits cut short by their refused inputs), must be the same to the last bit: every table, so the nodes'
    backlog, WIP and utilisation at yields below 1 as well as the orders."""
    fn = ALLOCATION_RULES[rule]
    register_allocation(f"{rule}_by_call")(lambda book, budget, y: fn(book, budget, y))
    try:
        path = ROOT / "topology" / "minimal.yaml" if case == "minimal" else ROOT / "tests" / "data" / "two_labs.yaml"
        data = yaml.safe_load(path.read_text())
        customers = {e["from"]: [] for e in data["edges"]}
        for e in data["edges"]:
            customers[e["from"]].append(e["to"])
        sc = {"name": "fused", "start": "2022-01-01", "end": "2023-06-30"}
        if case == "hbm_ban":
            next(n for n in data["nodes"] if n["id"] == "hbm_kr")["capacity"] = 20000
            sc.update(labs={"review_days": 7}, controls=[HBM_BAN])

        def tables(name: str):
            for n in data["nodes"]:
                if "capacity" in n:
                    n["allocation"] = name
                    if rule == "priority":
                        n["priority"] = {c: k % 2 for k, c in enumerate(customers.get(n["id"], []))}
            return simulate(parse_topology(data), sc).tables

        fused, by_call = tables(rule), tables(f"{rule}_by_call")
        o = fused["orders"]
        assert len(o) > 100 and o["started"].notna().sum() > 100
        if case == "hbm_ban":  # kits that started, then lost part of their size to refused HBM
            cut = o[(o["kind"] == "assembly") & (o["denied_qty"] > 0) & (o["denied_qty"] < o["qty"]) & o["started"].notna()]
            assert len(cut) > 0
        assert sorted(fused) == sorted(by_call)
        for name in fused:
            pd.testing.assert_frame_equal(fused[name], by_call[name], check_exact=True, obj=name)
    finally:
        del ALLOCATION_RULES[f"{rule}_by_call"]

