"""The AI chain end to end: BOM explosion, kitting, lead times, determinism, invariants."""

import pandas as pd
import pytest

from supplychain.engine import InvariantError, World, check_invariants
from supplychain.results import simulate
from supplychain.scenario_schema import Scenario

from conftest import ROOT
from _labs import minimal

SC = {"name": "w", "end": "2024-12-31", "labs": {"lifetime_years": 100}}


def test_unconstrained_accelerator_lead_time_is_the_slowest_bom_path():
    r = simulate(ROOT / "topology" / "minimal.yaml", {**SC, "unconstrained": True})
    o = r.orders
    lab = o[(o["kind"] == "lab") & o["delivered"].notna()]
    # max(fab 100 + 3, hbm 150 + 5) + packaging 40 + 2 + vendor->lab transport (7..28 days)
    base = 150 + 5 + 40 + 2
    assert lab["lead_time_days"].min() >= base + 7 - 1e-9
    # + up to one day per daily-step stage + up to one build period at the vendor
    assert lab["lead_time_days"].max() <= base + 28 + 3 + 7
    kits = o[o["kind"] == "assembly"]
    assert (kits["kitted"] - kits["released"]).min() >= 155 - 1e-9  # waits for the HBM, the slower input
    assert (kits["started"] - kits["released"]).min() >= 155 - 1e-9  # nothing starts before both inputs arrive


def test_bom_explosion_orders_dies_and_stacks_per_package():
    r = simulate(ROOT / "topology" / "minimal.yaml", {**SC, "unconstrained": True})
    o = r.orders
    kits = o[o["kind"] == "assembly"].set_index("order_id")
    comp = o[o["kind"] == "component"]
    per_kit = comp.groupby(["parent_id", "product"])["qty"].sum().unstack()
    ratio = per_kit.div(kits.loc[per_kit.index, "qty"], axis=0)
    # packaging yield 0.95: kits = packages / 0.95; 1 die and 5 stacks per kit
    assert ratio["logic"].to_numpy() == pytest.approx(1 / 0.95)
    assert ratio["hbm"].to_numpy() == pytest.approx(5 / 0.95)


def test_packaging_bottleneck_caps_deliveries_until_lifted():
    model = minimal(fleet={"acc": 10000})
    pkg = next(n for n in model.nodes if n.id == "packager")
    pkg.capacity = pkg.capacity.model_validate(500)  # packages/week, far below demand
    tight = simulate(model, SC)
    free = simulate(model, {**SC, "unconstrained": True}).fleet
    delivered = tight.orders[tight.orders["kind"] == "lab"]["delivered_qty"].sum()
    weeks = (pd.Timestamp("2024-12-31") - pd.Timestamp("2022-01-01")).days / 7
    assert delivered <= 500 * 0.95 * weeks  # good packages per week x weeks
    pipeline_weeks = (155 + 40 + 2 + 28) / 7  # before the first lot can arrive
    assert delivered >= 0.95 * 500 * 0.95 * (weeks - pipeline_weeks)
    assert tight.fleet["installed_h100e"].iloc[-1] < free["installed_h100e"].iloc[-1]
    causes = tight.orders[tight.orders["kind"] == "lab"]["cause"].value_counts()
    assert causes.index[0] == "queue:packager"


def test_same_seed_gives_identical_tables():
    a = simulate(ROOT / "topology" / "minimal.yaml", SC, seed=11)
    b = simulate(ROOT / "topology" / "minimal.yaml", SC, seed=11)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])


def test_different_replications_differ_where_randomness_enters():
    a = simulate(ROOT / "topology" / "minimal.yaml", SC, seed=11, replication=0).orders
    b = simulate(ROOT / "topology" / "minimal.yaml", SC, seed=11, replication=1).orders
    assert not a["delivered"].equals(b["delivered"])


def test_a_released_world_is_freed_without_the_cyclic_collector():
    """`simulate` keeps the collector paused for the whole replication and frees the run by
    reference counting (`World.release`); left cyclic, its objects would wait for (and cost)
    collector passes over all of them."""
    import gc

    from supplychain.engine.record import build_tables

    def run() -> World:
        w = World(minimal(), Scenario.model_validate(SC), 0).run()
        build_tables(w)
        return w

    run().release()  # once first: imports and caches stay, whatever the run
    gc.collect()
    gc.disable()
    try:
        base = len(gc.get_objects())
        w = run()
        assert len(w.orders) > 500
        grown = len(gc.get_objects()) - base
        w.release()
        del w
        left = len(gc.get_objects()) - base
    finally:
        gc.enable()
    assert left < 0.02 * grown, (left, grown)


def test_simulate_leaves_only_its_tables_to_the_collector():
    """The objects a replication leaves tracked are its tables', not the run's (a minimal run
    of this size leaves ~1,100 with `World.release`, ~6,900 without)."""
    import gc

    simulate(ROOT / "topology" / "minimal.yaml", SC)  # once first: imports and caches stay
    gc.collect()
    gc.disable()
    try:
        base = len(gc.get_objects())
        r = simulate(ROOT / "topology" / "minimal.yaml", SC)
        left = len(gc.get_objects()) - base
    finally:
        gc.enable()
    assert len(r.orders) > 4000
    assert left < 0.5 * len(r.orders), left


def test_a_collector_pause_leaves_what_it_made_to_the_oldest_generation():
    """When a pause ends, what was made meanwhile (a run's orders, all kept until its tables) is in the
    oldest generation, not in the youngest, whose next collection would walk all of it for nothing; objects
    something else froze stay frozen."""
    import gc

    from supplychain.engine.gcpause import gc_paused

    was = gc.isenabled()
    gc.enable()
    try:
        with gc_paused():
            kept = [[k] for k in range(20_000)]
        assert gc.isenabled()
        assert any(x is kept for x in gc.get_objects(generation=2))
        gc.freeze()
        try:
            frozen = gc.get_freeze_count()
            with gc_paused():
                more = [[k] for k in range(1_000)]
            assert gc.get_freeze_count() == frozen and len(more) == 1_000
        finally:
            gc.unfreeze()
    finally:
        if not was:
            gc.disable()


def test_a_pause_inside_a_paused_or_disabled_collector_leaves_it_off():
    """A nested pause is a no-op (`simulate` holds one over the whole replication, a World's own `run` another
    inside it): its end leaves the collector off, as it found it, for the outer pause to turn back on."""
    import gc

    from supplychain.engine.gcpause import gc_paused

    was = gc.isenabled()
    gc.enable()
    try:
        with gc_paused():
            with gc_paused():
                pass
            assert not gc.isenabled()
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()

def test_invariant_violation_is_an_error_naming_the_node():
    w = World(minimal(), Scenario.model_validate({**SC, "end": "2022-12-31"}), 0).run()
    check_invariants(w)
    w.production.finished[2] += 5.0  # corrupt the books of the HBM maker
    with pytest.raises(InvariantError, match="hbm_maker"):
        check_invariants(w)


def test_lead_time_table_has_quoted_and_realised_series():
    lt = simulate(ROOT / "topology" / "minimal.yaml", SC).lead_times
    acc = lt[(lt["customer"] == "lab") & (lt["product"] == "acc")]
    assert acc["quoted_days"].notna().all()
    assert acc["realised_by_order_days"].notna().any()
    assert {"date", "supplier", "customer", "product"} <= set(lt.columns)


def test_realised_series_count_their_lines_and_weight_to_the_mean_over_lines():
    """Each week's realised mean says how many lines it is over: summed over the weeks they are the
    delivered lines on the flow, and the line-weighted mean of the weekly means is their mean lead time."""
    from supplychain.analysis import across_replications

    r = simulate(ROOT / "topology" / "minimal.yaml", SC)
    lt, o = r.lead_times, r.orders
    for (sup, cust, prod), f in lt.groupby(["supplier", "customer", "product"]):
        assert (f["realised_by_order_lines"] > 0).eq(f["realised_by_order_days"].notna()).all()
        lines = o[(o["supplier"] == sup) & (o["customer"] == cust) & (o["product"] == prod) & o["delivered"].notna()]
        quoted_weeks = set((f["day"] // 7).astype(int))
        lines = lines[(lines["ordered"] // 7).astype(int).isin(quoted_weeks)]  # realised rows ride on the quote's weeks
        assert f["realised_by_order_lines"].sum() == len(lines), (sup, cust, prod)
        if len(lines):
            whole = across_replications(f.assign(all=0), "realised_by_order_days", by=("all",),
                                        weight="realised_by_order_lines")
            assert whole["mean"].iloc[0] == pytest.approx(lines["lead_time_days"].mean())
    # the vendor's kits at its packager are that flow's lines: its quotes have a realised series beside them
    kits = lt[(lt["supplier"] == "packager") & (lt["customer"] == "vendor")]
    assert kits["realised_by_order_lines"].sum() == ((o["kind"] == "assembly") & o["lead_time_days"].notna()).sum() > 10


def test_tool_deliveries_expand_fab_capacity():
    data_topo = minimal(fleet={"acc": 10000})
    fab = next(n for n in data_topo.nodes if n.id == "fab")
    fab.capacity = fab.capacity.model_validate({"points": {"2022-01-01": 2000, "2024-01-01": 6000}})
    r = simulate(data_topo, SC)
    caps = r.nodes[r.nodes["node"] == "fab"].set_index("day")["capacity_per_week"]
    assert caps.iloc[-1] == pytest.approx(6000, rel=0.02)
    tools = r.orders[r.orders["kind"] == "tool"]
    assert tools["qty"].sum() == pytest.approx(40, rel=0.01)


def test_vendor_building_ahead_ships_from_stock_in_calm_times():
    model = minimal(fleet={"acc": 10000}, target_h100e={"points": {"2022-01-01": 10000, "2026-01-01": 400000}})
    vendor = next(n for n in model.nodes if n.id == "vendor")
    to_order = simulate(model, {**SC, "unconstrained": True}).orders
    vendor.build_ahead_days = 400
    ahead = simulate(model, {**SC, "unconstrained": True}).orders
    late = lambda o: o[(o["kind"] == "lab") & (o["ordered"] > 500) & o["delivered"].notna()]["lead_time_days"].median()
    assert late(to_order) > 190
    assert late(ahead) < 35  # vendor stock + transport to the lab (7..28 days)


def test_in_flight_orders_arrive_evenly_at_the_start():
    model = minimal(fleet={"acc": 10000}, target_h100e=None, in_flight={"acc": 26000}, in_flight_days=182)
    r = simulate(model, {**SC, "end": "2022-12-31"})
    f = r.fleet.set_index("day")["installed_h100e"] + r.fleet.set_index("day")["commissioning_h100e"] + r.fleet.set_index("day")["stranded_h100e"]
    assert f.loc[0] == pytest.approx(10000)  # the first weekly arrival comes on day 3.5
    assert f.loc[7] == pytest.approx(11000)
    assert f.iloc[-1] == pytest.approx(36000 - 100)  # one 1/100 tranche of the start fleet retired at half a year
    assert r.orders[r.orders["kind"] == "lab"]["qty"].sum() == pytest.approx(26000)  # nothing reordered


def test_orders_in_flight_at_the_start_are_not_realised_lead_times():
    """An order in flight at the start has no order date (`ordered` 0 stands in for "before the
    run") and arrives spread over `in_flight_days` by assumption: the time it takes is that
    spread, not a lead time, so it stays out of the realised series (here the lab orders nothing else)."""
    model = minimal(fleet={"acc": 10000}, target_h100e=None, in_flight={"acc": 26000}, in_flight_days=182)
    r = simulate(model, {**SC, "end": "2022-12-31"})
    assert r.orders[r.orders["kind"] == "lab"]["delivered"].notna().all()  # it did arrive
    lt = r.lead_times[(r.lead_times["customer"] == "lab") & (r.lead_times["product"] == "acc")]
    assert len(lt) and (lt["realised_by_order_lines"] == 0).all() and (lt["realised_by_delivery_lines"] == 0).all()
    assert lt["realised_by_order_days"].isna().all() and lt["realised_by_delivery_days"].isna().all()
    # nor is it one in the orders table: its `lead_time_days` was delivered - 0, 180 days read as a lead time
    assert r.orders[r.orders["kind"] == "lab"]["lead_time_days"].isna().all()
    tools = r.orders[r.orders["kind"] != "lab"]  # ordered in the run: their lead time is delivered - ordered
    done = tools[tools["delivered"].notna()]
    assert len(done) and (done["lead_time_days"] == done["delivered"] - done["ordered"]).all()


def test_realised_lead_times_are_the_mean_of_the_lines_ordered_or_delivered_that_week():
    """On a chain whose backlog grows (demand 5 a day, capacity 2), lead times grow week by
    week, so a series binned a week off shows: each week's `realised_by_order_days` is the mean
    lead time of the lines ordered in that week, `realised_by_delivery_days` of those delivered in it."""
    from conftest import serial_chain

    r = simulate(serial_chain(14.0, 5, 1, 1, demand_rate=5), {"name": "r", "start": "2022-01-01", "end": "2022-12-31"})
    o = r.orders[(r.orders["supplier"] == "depot") & r.orders["delivered"].notna()]
    lead = o["delivered"] - o["ordered"]
    by_order = lead.groupby(o["ordered"] // 7).mean()
    by_delivery = lead.groupby(o["delivered"] // 7).mean()
    lt = r.lead_times[r.lead_times["supplier"] == "depot"].set_index("day")
    assert by_order.is_monotonic_increasing and by_order.iloc[-1] > by_order.iloc[0] + 100
    week = (lt.index // 7).to_series(index=lt.index)
    assert lt["realised_by_order_days"].to_numpy() == pytest.approx(week.map(by_order).to_numpy(), nan_ok=True)
    assert lt["realised_by_delivery_days"].to_numpy() == pytest.approx(week.map(by_delivery).to_numpy(), nan_ok=True)
    assert lt["realised_by_order_days"].notna().sum() > 15 and lt["realised_by_delivery_days"].notna().sum() > 40
    assert (r.orders["lead_time_days"] == r.orders["delivered"] - r.orders["ordered"]).where(r.orders["delivered"].notna(), True).all()


def test_deliveries_in_weeks_without_a_quote_keep_their_rows_with_a_null_quote():
    """A lab stops getting a quote for a SKU once it may no longer order it, but the lines it ordered
    before still arrive: those weeks have a row with the realised figure and no quote, so the realised
    series counts every delivered line (it lost the deliveries after the last quote before)."""
    model = minimal()
    model.products["acc"].discontinued = pd.Timestamp("2023-01-01").date()
    r = simulate(model, {**SC, "end": "2023-12-31"})
    o = r.orders
    lab = o[(o["kind"] == "lab") & o["lead_time_days"].notna()]  # delivered, not in flight at the start
    lt = r.lead_times[(r.lead_times["customer"] == "lab") & (r.lead_times["product"] == "acc")]
    late = lt[lt["quoted_days"].isna()]
    assert (lab["delivered_date"] >= "2023-01-01").sum() > 0 and len(late) > 0
    assert (late["realised_by_delivery_lines"] > 0).all() and late["realised_by_delivery_days"].notna().all()
    assert lt["realised_by_delivery_lines"].sum() == len(lab) == lt["realised_by_order_lines"].sum()
    week = (lab["delivered"] // 7 * 7).value_counts().sort_index()
    assert lt.set_index("day")["realised_by_delivery_lines"].loc[lambda s: s > 0].sort_index().to_dict() == week.to_dict()


def _corrupt_little(w):
    n = w.net.index["hbm_maker"]
    w.production.wip_area[n] *= 1.05  # 5 % more mean WIP than throughput x time: beyond the 2 % tolerance


def _corrupt_book(w):
    w.production.queued[w.net.index["packager"]] += 1000.0


def _corrupt_shipped(w):
    w.shipped_qty += 5.0


def _corrupt_fleet(w):
    w.labs.retired_units += 5.0


def _corrupt_stages(w):
    o = next(o for o in w.orders if o.started is not None and o.denied_qty == 0)
    o.started = o.entered - 3.0


def _corrupt_delivered(w):
    o = next(o for o in w.orders if o.delivered is not None and o.ordered > 10)
    o.delivered = o.ordered - 1.0


def _corrupt_finished(w):
    o = next(o for o in w.orders if o.finished is not None and o.started is not None and o.denied_qty == 0)
    o.finished = o.started - 2.0  # still after it was ordered and before it was delivered


def _corrupt_delivered_before_finished(w):
    o = next(o for o in w.orders if o.delivered is not None and o.finished is not None and o.denied_qty == 0
             and o.finished - o.ordered > 5)
    o.delivered = o.finished - 1.0  # still after it was ordered


def _corrupt_build_ahead(w):
    w.build_ahead.built += 5.0  # lots that put goods in stock no one was given and no stock holds


@pytest.mark.parametrize("corrupt,message", [
    (_corrupt_little, "Little's law fails at hbm_maker"),
    (_corrupt_book, "order book out of step at packager"),
    (_corrupt_shipped, "shipments not conserved"),
    (_corrupt_fleet, "accelerators not conserved at labs"),
    (_corrupt_stages, "stage times out of order"),
    (_corrupt_delivered, "before it was ordered"),
    (_corrupt_finished, "stage times out of order"),
    (_corrupt_delivered_before_finished, "stage times out of order"),
    (_corrupt_build_ahead, "build-ahead stock not conserved"),
])
def test_every_invariant_fires_when_its_books_are_broken(corrupt, message):
    w = World(minimal(), Scenario.model_validate({**SC, "end": "2022-12-31"}), 0).run()
    check_invariants(w)
    corrupt(w)
    with pytest.raises(InvariantError, match=message):
        check_invariants(w)


def test_a_vendor_building_ahead_holds_its_position_at_its_target():
    """Order-up-to: each week the vendor builds what lifts stock + lots in build - unfilled orders
    to `build_ahead_days` x its smoothed order flow, never more. So over a run it builds what
    was ordered plus at most that target, which is at most 400 days of the busiest week's flow."""
    model = minimal(fleet={"acc": 10000}, target_h100e={"points": {"2022-01-01": 10000, "2026-01-01": 400000}})
    vendor = next(n for n in model.nodes if n.id == "vendor")
    vendor.build_ahead_days = 400
    o = simulate(model, {**SC, "unconstrained": True}).orders
    lab = o[o["kind"] == "lab"]
    builds = o[(o["kind"] == "assembly") & (o["customer"] == "vendor")]["qty"].sum()
    busiest = lab.groupby(lab["ordered"] // 7)["qty"].sum().max() / 7
    assert lab["qty"].sum() < builds <= lab["qty"].sum() + 400 * busiest


def test_a_package_of_two_dies_orders_two_dies_per_kit():
    """Kits = packages / packaging yield; each kit takes `logic_dies` dies and `hbm_stacks` stacks."""
    from _topo import minimal_data

    from supplychain.topology import parse_topology

    data = minimal_data()
    data["products"]["acc"]["bom"].update(logic_dies=2, hbm_stacks=8)
    o = simulate(parse_topology(data), {**SC, "unconstrained": True}).orders
    kits = o[o["kind"] == "assembly"].set_index("order_id")
    per_kit = o[o["kind"] == "component"].groupby(["parent_id", "product"])["qty"].sum().unstack()
    ratio = per_kit.div(kits.loc[per_kit.index, "qty"], axis=0)
    assert len(ratio) > 10
    assert ratio["logic"].to_numpy() == pytest.approx(2 / 0.95) and ratio["hbm"].to_numpy() == pytest.approx(8 / 0.95)


def test_a_refused_build_lot_cancels_the_newest_waiting_orders_first():
    """What a refused build lot would have made is taken from the newest waiting orders of that
    SKU, so the oldest keep their place."""
    w = World(minimal(), Scenario.model_validate({**SC, "end": "2022-12-31"}), 0)
    flow = w.labs.acc_flows[0][0]
    orders = [w._new("lab", flow, "acc", 100.0, float(t), lab=flow.customer) for t in range(3)]
    for o in orders:
        w.labs.states[0].on_order_h100e += o.qty
        w.vendors.take(o, o.ordered)
    w.vendors.shortfall((flow.supplier, "acc"), 150.0, 5.0)
    assert [o.denied_qty for o in orders] == [0.0, 50.0, 100.0]
    assert [o.status for o in orders] == ["waiting", "waiting", "denied"]


def test_a_vendor_builds_only_what_its_stock_did_not_fill():
    """A vendor holding 30 units (goods refused at the border come back to it) takes an order of 100:
    the 30 go to it at once, and the period's build is the 70 still owed, not 100."""
    w = World(minimal(), Scenario.model_validate({**SC, "end": "2022-12-31"}), 0)
    flow = w.labs.acc_flows[0][0]
    key = (flow.supplier, "acc")
    w.vendors.stock[key] = 30.0
    o = w._new("lab", flow, "acc", 100.0, 0.0, lab=flow.customer)
    w.labs.states[0].on_order_h100e += o.qty
    w.vendors.take(o, 0.0)
    assert w.vendors.stock[key] == 0.0 and w.vendors.unfilled[key] == pytest.approx(70.0)
    assert w.vendors.to_build[key] == pytest.approx(70.0)


def test_order_quantities_and_lab_books_are_plain_floats():
    """Every sum over an order line is a float's, not a numpy scalar's (several times the cost):
    a numpy share or fleet vector read must not leak into a quantity."""
    from supplychain.generate import generate_topology

    w = World(generate_topology(60, 3), Scenario.model_validate({"name": "f", "start": "2024-01-01", "end": "2024-12-31"}), 0)
    w.run()
    fields = ("qty", "made", "remaining", "shipped_qty", "delivered_qty", "denied_qty", "unit_cost")
    leaks = {(o.kind, f, type(getattr(o, f)).__name__) for o in w.orders for f in fields if type(getattr(o, f)) is not float}
    assert len(w.orders) > 500 and not leaks
    books = ("on_order_h100e", "waiting_h100e", "pending_mw", "power_mw", "power_on_order_mw", "used_mw")
    assert {(b, type(getattr(st, b)).__name__) for st in w.labs.states for b in books if type(getattr(st, b)) is not float} == set()
    assert type(w.in_transit) is float and type(w.shipped_qty) is float


def test_the_events_table_is_in_day_order_across_shocks_and_control_decisions():
    """Shocks are logged when compiled and control decisions as they are made; the events table
    interleaves the two by day (a shock in September after licences granted from March)."""
    lic = {"id": "hbm_lic", "announced": "2022-01-01", "effective": "2022-03-01", "action": "license",
           "review_days": 10, "approval": 1.0, "scope": {"product_kinds": ["hbm"]}}
    shock = {"id": "quake", "kind": "capacity", "start": "2022-09-01", "duration_days": 20, "multiplier": 0.5,
             "target": {"ids": ["packager"]}}
    ev = simulate(minimal(), {**SC, "end": "2022-12-31", "controls": [lic], "shocks": [shock]}).events
    shock_day = ev.loc[ev["id"] == "quake", "day"]
    assert len(shock_day) and (ev.loc[ev["id"] == "hbm_lic", "day"] < shock_day.min()).any()
    assert ev["day"].is_monotonic_increasing
