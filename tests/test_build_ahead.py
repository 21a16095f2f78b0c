"""Build-ahead component makers (`build_ahead_days` on a fab or memory node): wafers and stacks
started on forecast, customers filled from finished stock."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest
from _topo import minimal_data, node

from supplychain import ScenarioWarning
from supplychain.engine import World
from supplychain.engine.orders import Order
from supplychain.errors import InputError
from supplychain.results import simulate
from supplychain.scenario import resolve
from supplychain.topology import graph_to_model, parse_topology

SCENARIO = {"name": "ba", "end": "2024-12-31", "labs": {"review_days": 7}}


def model(days: float | None = 120.0, **hbm):
    data = minimal_data()
    if days is not None:
        node(data, "hbm_maker")["build_ahead_days"] = days
    node(data, "hbm_maker").update(hbm)
    return parse_topology(data)


def hbm_orders(r) -> pd.DataFrame:
    o = r.orders
    return o[(o["kind"] == "component") & (o["supplier"] == "hbm_maker")]


def test_zero_days_is_make_to_order_to_the_unit():
    plain, zero = simulate(model(None), SCENARIO), simulate(model(0.0), SCENARIO)
    for name in ("orders", "lead_times", "nodes", "fleet"):
        pd.testing.assert_frame_equal(plain.tables[name], zero.tables[name])
    assert "build" not in set(plain.orders["kind"])


def test_orders_filled_from_stock_take_only_transport():
    """Once the first lots are in stock (the first take the 150-day cycle), an HBM order is filled the day
    it is placed: its lead time is the 5 days of transport, its cause the transport leg. Before, orders
    waited for stock: the maker's queue."""
    r = simulate(model(), SCENARIO)
    hbm = hbm_orders(r)
    late, early = hbm[hbm["ordered"] >= 300], hbm[hbm["ordered"] < 200]
    assert len(late) > 50 and (late["started"] == late["entered"]).all()
    assert np.allclose(late["lead_time_days"], 5.0)
    assert set(late["cause"]) == {"transport:hbm_maker->packager"}
    assert len(early) > 20 and (early["started"] > early["entered"]).all() and set(early["cause"]) == {"queue:hbm_maker"}
    plain = hbm_orders(simulate(model(None), SCENARIO))
    assert plain["lead_time_days"].median() > 150  # make to order: every order waits the cycle


def test_the_quote_is_transport_while_there_is_stock():
    r = simulate(model(), SCENARIO)
    q = r.lead_times.query("supplier == 'hbm_maker'").set_index("day")["quoted_days"]
    assert (q[q.index >= 300] == 5.0).all() and q[q.index < 200].max() > 150
    plain = simulate(model(None), SCENARIO).lead_times.query("supplier == 'hbm_maker'")["quoted_days"]
    assert plain.min() >= 150 + 5


def test_each_build_brings_the_position_up_to_the_forecast():
    """After a week's build: stock + in build - unfilled = r x (c + 7 + A) when a lot was placed (at least
    that otherwise), r the smoothed order flow, c the 150-day cycle, A = 120 days; the lots put in stock
    what was given out plus what is left."""
    res = resolve(SCENARIO, model())
    w = World(graph_to_model(res.topology), res.scenario, 0)
    w._progress = None
    w._day(0)  # what `run` does first
    ba, key = w.build_ahead, (w.net.ids.index("hbm_maker"), "hbm")
    checked = 0
    for day in range(7, 700, 7):
        w.env.run(until=day + 0.5)  # the build of `day` is placed in that day's step
        position = ba.stock[key] + ba.in_build[key] - ba.unfilled[key]
        assert position >= ba.rate[key] * (150 + 7 + 120) - 1e-6 * max(1.0, position)
        if ba.lots[key] and ba.lots[key][-1].ordered == day:
            assert position == pytest.approx(ba.rate[key] * (150 + 7 + 120))
            checked += 1
        assert ba.built == pytest.approx(ba.given + sum(ba.stock.values()))
    assert checked > 15


def _lot(qty: float, started: float, made: float, in_stock: float) -> Order:
    lot = Order(id=0, kind="build", product="hbm", qty=qty, supplier=0, customer=0, ordered=0.0)
    lot.remaining, lot.made, lot.delivered_qty, lot.unit_cost = qty - started, made, in_stock, 1.0
    return lot


def test_the_wait_for_stock_by_hand():
    res = resolve(SCENARIO, model())
    ba = World(graph_to_model(res.topology), res.scenario, 0).build_ahead
    key = (0, "hbm")
    ba.lots[key] = [_lot(100, 100, 40, 30), _lot(100, 0, 0, 0)]  # 10 made, 60 in production, 100 queued
    ba.unfilled[key] = 40.0  # 30 wait beyond the 10 made: half of what is in production
    assert ba.quote(key, cap=5.0, ct=150.0, y=0.5, full=1e9) == pytest.approx(150.0 * 30 / 60)
    ba.unfilled[key] = 110.0  # 40 beyond production: 40 x 1 / 0.5 capacity units at 5 a day, then the cycle
    assert ba.quote(key, cap=5.0, ct=150.0, y=0.5, full=1e9) == pytest.approx(40 / 0.5 / 5 + 150)
    assert ba.quote(key, cap=5.0, ct=150.0, y=0.5, full=100.0) == 100.0  # never past the whole backlog
    ba.stock[key] = 1.0
    assert ba.quote(key, cap=5.0, ct=150.0, y=0.5, full=1e9) == 0.0
    ba.stock[key], ba.lots[key], ba.unfilled[key] = 0.0, [], 0.0  # nothing in stock or in production: a lot's cycle
    assert ba.quote(key, cap=5.0, ct=150.0, y=0.5, full=1e9) == 150.0
    ba.lots[key], ba.unfilled[key] = [_lot(100, 100, 40, 30)], 5.0  # 10 made, on their way to stock
    assert ba.quote(key, cap=5.0, ct=150.0, y=0.5, full=1e9) == 0.0


def test_the_wait_for_stock_along_the_capacity_plan():
    """With `quotes.capacity: plan` the part made from queued lots takes the time the plan needs for
    it (`plan_days`), not units / today's capacity: here capacity doubles from 5 to 10 a day on day 10."""
    from functools import partial

    from supplychain.engine.quotes import plan_days

    res = resolve(SCENARIO, model())
    ba = World(graph_to_model(res.topology), res.scenario, 0).build_ahead
    key = (0, "hbm")
    row = np.concatenate([[0.0], np.cumsum(np.r_[np.full(10, 5.0), np.full(90, 10.0)])])
    ba.lots[key] = [_lot(100, 100, 40, 30), _lot(100, 0, 0, 0)]  # 10 made, 60 in production
    ba.unfilled[key] = 110.0  # 40 beyond production: 80 capacity units at yield 0.5
    days = partial(plan_days, row, 0, 5.0)  # days 1-9 make 45, the other 35 take 3.5 days at 10
    assert ba.quote(key, cap=5.0, ct=150.0, y=0.5, full=1e9, days=days) == pytest.approx(9 + 3.5 + 150)
    assert ba.quote(key, cap=5.0, ct=150.0, y=0.5, full=1e9) == pytest.approx(80 / 5 + 150)  # today's capacity
    assert ba.quote(key, cap=5.0, ct=150.0, y=0.5, full=100.0, days=days) == 100.0  # never past the whole backlog
    ba.unfilled[key] = 40.0  # within what is in production: the plan does not enter
    assert ba.quote(key, cap=5.0, ct=150.0, y=0.5, full=1e9, days=days) == pytest.approx(150.0 * 30 / 60)


def test_the_weekly_quote_of_a_build_ahead_maker_follows_its_capacity_plan():
    """In a run with `quotes.capacity: plan`, an HBM maker building ahead far below demand until its
    capacity triples on 2023-07-01: every week its recorded quote is `BuildAhead.quote` with the wait
    for lots not yet started taken along the plan, and in the queue before the step that is shorter
    than the wait at today's capacity."""
    from functools import partial

    from supplychain.engine.quotes import plan_days

    capacity = {"points": {"2022-01-01": 20000, "2023-06-30": 20000, "2023-07-01": 60000}, "source": "test"}
    res = resolve({**SCENARIO, "quotes": {"capacity": "plan"}}, model(30.0, capacity=capacity))
    w = World(graph_to_model(res.topology), res.scenario, 0)
    n = w.net.index["hbm_maker"]
    plan = w.quote_book.plan
    k = int(plan.stocked_keys[0])
    key = plan.stocked[0]
    shorter = []

    def check(day: int) -> None:
        d = min(day, w.net.days - 1)
        cap, backlog = w.production.capacity(day), w.production.backlog_vector(day)
        node_q, at = plan.evaluate(w, day, cap, backlog)
        args = (key, float(cap[n]), float(w.net.cycle[n, d] * w.net.ct_mult[n, d]), float(w.net.yields[n, d]), float(node_q[n]))
        want = w.build_ahead.quote(*args, partial(plan_days, w.net.plan_cum[n], d, float(cap[n])))
        assert at[k] == pytest.approx(want, rel=1e-12, abs=1e-9), day
        if want < w.build_ahead.quote(*args) - 1.0:
            shorter.append(day)

    w.run(progress=check)
    assert shorter and max(shorter) < 546  # days before the step (2023-07-01 is day 546)


def test_through_a_total_outage_the_pipeline_and_stock_last_a_cycle_plus_the_stock_days():
    """Capacity 0 from 2023-03-01 (day 424) for 300 days: what is in production still comes out over the
    150-day cycle, and 30 days of flow are in stock on top, so orders are filled at once for about 180
    days (to ~day 604); after that they wait for the maker (its queue), and its quote is no longer transport."""
    shock = {"id": "outage", "kind": "capacity", "start": "2023-03-01", "duration_days": 300, "multiplier": 0.0,
             "target": {"ids": ["hbm_maker"]}}
    r = simulate(model(30.0), {**SCENARIO, "shocks": [shock]})
    hbm = hbm_orders(r)
    covered, short = hbm[hbm["ordered"].between(424, 580)], hbm[hbm["ordered"].between(620, 724)]
    assert len(covered) > 15 and (covered["started"] == covered["entered"]).all()
    assert len(short) > 10 and (short["started"] - short["entered"] > 100).all() and set(short["cause"]) == {"queue:hbm_maker"}
    q = r.lead_times.query("supplier == 'hbm_maker'").set_index("day")["quoted_days"]
    assert (q.loc[424:580] == 5.0).all() and (q.loc[620:724] > 100).all()
    stock = r.nodes.query("node == 'hbm_maker'").set_index("day")["stock"]  # the weekly nodes table shows it
    assert (stock.loc[350:500] > 0).all() and (stock.loc[620:724] == 0).all()
    assert (r.nodes.query("node != 'hbm_maker'")["stock"] == 0).all()


def test_goods_refused_at_the_border_stay_in_the_makers_stock():
    """A ban on Korean HBM from 2022-06-01 (day 151), while the orders of the first weeks still wait for the
    first lots (150-day cycle): filled after it, they are refused at shipment, and the stacks go back into
    the maker's stock for the next order, which is refused in turn. Nothing arrives after the ban; what the
    lots made is all in stock or in what was shipped before (conservation is checked at the end of every run)."""
    ban = {"id": "hbm", "announced": "2022-05-01", "effective": "2022-06-01", "action": "ban",
           "scope": {"supplier_countries": ["KR"], "product_kinds": ["hbm"]}}
    res = resolve({**SCENARIO, "end": "2023-06-30", "controls": [ban]}, model())
    w = World(graph_to_model(res.topology), res.scenario, 0).run()
    ba, key = w.build_ahead, (w.net.ids.index("hbm_maker"), "hbm")
    hbm = [o for o in w.orders if o.kind == "component" and o.product == "hbm"]
    assert not any(o.delivered_qty > 0 for o in hbm)
    refused = [row for row in w.controls.log if row[2] == "hbm" and row[3] == "denied" and row[8] == "shipment"]
    assert refused and ba.given == pytest.approx(0.0, abs=1e-6) and ba.stock[key] == pytest.approx(ba.built)
    assert ba.built > 0 and w.denied_at_shipment > 0


@pytest.mark.parametrize("where, value, field", [
    ("hbm_maker", -1, "nodes.hbm_maker.build_ahead_days"),
    ("packager", 30, "nodes.packager.build_ahead_days"),  # packages are kits: not built ahead
])
def test_bad_build_ahead_days_are_refused_with_their_field(where: str, value: float, field: str):
    data = minimal_data()
    node(data, where)["build_ahead_days"] = value
    with pytest.raises(InputError) as info:
        parse_topology(data)
    assert info.value.field == field


def test_no_stock_is_built_for_accelerators_off_sale_when_the_lot_would_be_done():
    """As a vendor stops building a SKU off sale: a component whose accelerators are all discontinued
    before a lot started now is done (day + 150-day cycle) is built only for the orders waiting."""
    res = resolve(SCENARIO, model())
    w = World(graph_to_model(res.topology), res.scenario, 0)
    ba, key = w.build_ahead, (w.net.ids.index("hbm_maker"), "hbm")
    assert ba.sold_until["hbm"] == float("inf")  # minimal.yaml's accelerator is never discontinued
    ba.rate[key], ba.unfilled[key] = 100.0, 40.0
    ba.build(7)  # no orders this week: the smoothed flow decays by 0.5^(7/60) first
    r = 100.0 * 0.5 ** (7 / 60)
    assert [lot.qty for lot in ba.lots[key]] == pytest.approx([r * (150 + 7 + 120) + 40.0])
    ba.sold_until["hbm"] = 7 + 150  # off sale the day a lot started on day 14 would be done
    ba.in_build[key], ba.unfilled[key] = 0.0, 40.0
    ba.build(14)
    assert [lot.qty for lot in ba.lots[key]][1:] == pytest.approx([40.0])


def test_stock_goes_only_to_what_an_order_is_still_owed():
    """An order whose part was refused (its `denied_qty`) gets only the rest from stock; the next order
    in the queue gets what is left."""
    res = resolve(SCENARIO, model())
    w = World(graph_to_model(res.topology), res.scenario, 0)
    ba, maker = w.build_ahead, w.net.ids.index("hbm_maker")
    flow = w.net.flows_into(w.net.ids.index("packager"), "hbm")[0]
    first, second = (w._new("component", flow, "hbm", 100.0, 0.0) for _ in range(2))
    for o in (first, second):
        ba.take(o, 0.0)
    first.denied_qty = 70.0  # refused since it was queued: 30 still owed
    ba.stock[(maker, "hbm")] = 50.0
    ba._fill((maker, "hbm"), 0.0)
    assert (first.made, second.made) == (30.0, 20.0) and ba.stock[(maker, "hbm")] == 0.0
    assert ba.unfilled[(maker, "hbm")] == pytest.approx(80.0) and len(ba.queue[(maker, "hbm")]) == 1


@pytest.mark.parametrize("discontinued", ["2023-03-15", "2022-01-02", None])
def test_a_vendor_builds_for_a_sku_up_to_the_day_before_it_is_discontinued(discontinued):
    """`Vendors._on_sale` (what a build-ahead vendor's target reads) is the start + day before the SKU's
    `discontinued` date, day for day, from a day count worked out once per SKU."""
    import datetime as dt

    data = minimal_data()
    data["products"]["acc"]["discontinued"] = discontinued
    # discontinued on its second day: the lab's orders look 180 days ahead, past its sale, and it is told so
    with pytest.warns(ScenarioWarning, match="it orders none") if discontinued == "2022-01-02" else nullcontext():
        res = resolve(SCENARIO, parse_topology(data))
    w = World(graph_to_model(res.topology), res.scenario, 0)
    start, end = res.scenario.start, w.net.products["acc"].discontinued
    for day in range(0, w.net.days, 7):
        for d in (day, day + 1):
            assert w.vendors._on_sale("acc", d) == (end is None or start + dt.timedelta(days=d) < end), d


def test_an_order_filled_over_several_days_started_on_its_first_and_finished_on_its_last():
    """Stock given in parts: the order is `started` the day it first gets goods and `finished` the day its
    last come, not started then (the time from started to finished is how long it was being filled)."""
    res = resolve(SCENARIO, model())
    w = World(graph_to_model(res.topology), res.scenario, 0)
    ba, key = w.build_ahead, (w.net.ids.index("hbm_maker"), "hbm")
    o = w._new("component", w.net.flows_into(w.net.ids.index("packager"), "hbm")[0], "hbm", 100.0, 0.0)
    ba.take(o, 0.0)
    for day, qty in ((5.0, 30.0), (9.0, 70.0)):
        ba.stock[key] += qty
        ba._fill(key, day)
    assert (o.made, o.started, o.finished) == (100.0, 5.0, 9.0)


def test_a_build_lot_is_delivered_when_its_last_goods_are_in_stock():
    """A lot's finished goods go to stock as they come (weekly): it is `delivered` on the day the last of them
    do, and until then it has no delivery day."""
    res = resolve(SCENARIO, model())
    w = World(graph_to_model(res.topology), res.scenario, 0)
    maker = w.net.ids.index("hbm_maker")
    lot = w._new("build", None, "hbm", 100.0, 0.0, supplier=maker, customer=maker)
    w.build_ahead.arrived(lot, 40.0, 7.0)
    assert lot.delivered is None and lot.status != "delivered" and lot.delivered_qty == 40.0
    w.build_ahead.arrived(lot, 60.0, 14.0)
    assert (lot.delivered, lot.status, lot.arrived) == (14.0, "delivered", 14.0)
    assert w.build_ahead.stock[(maker, "hbm")] == 100.0 and w.build_ahead.built == 100.0
