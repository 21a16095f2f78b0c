"""Delay causes under export controls: goods held at the border for a licence reviewed at shipment, and lines
a licence review or a quota still held when the run ended (`licence:<rule>`). The rule that picks a cause, and
the other waits: test_causes."""

from __future__ import annotations

import pytest

from supplychain.engine.causes import pick


def _licence_at_shipment_world(review_days: float, kinds: tuple[str, ...] = ("accelerator", "logic", "hbm")):
    """Goods of these kinds to China under a licence that takes effect while goods are in the
    pipeline (granted always, after `review_days`): the lines ordered before it are reviewed at
    shipment, and their goods wait at the border meanwhile."""
    from supplychain.engine import World
    from supplychain.scenario_schema import Scenario
    from supplychain.topology import graph_to_model, load_topology

    from conftest import ROOT

    rules = [{"id": "ship_lic", "announced": "2023-01-01", "effective": "2023-01-01", "action": "license",
              "review_days": review_days, "approval": 1.0,
              "scope": {"destinations": ["CN"], "product_kinds": list(kinds)}}]
    sc = Scenario.model_validate({"name": "c", "end": "2023-12-31", "controls": rules, "labs": {"review_days": 7}})
    return World(graph_to_model(load_topology(ROOT / "tests" / "data" / "two_labs.yaml")), sc, 3).run()


def test_goods_held_at_the_border_for_a_licence_wait_for_that_licence_not_for_transport():
    """A licence reviewed at shipment holds the goods at the border (docs/model.md section 5): those
    60 days are a `licence:<rule>` wait of the line, as a review at placement is, not transport
    (a lab order's last leg had them) nor missing from its lead time (a component's or a kit's,
    whose `shipped` is when the hold ended, lost them and named its production step)."""
    from supplychain.engine.causes import segments
    from supplychain.engine.causes_batch import delay_causes

    w = _licence_at_shipment_world(60)
    causes = delay_causes(w)
    held = [w.orders[k] for k in w.border_holds]
    assert {o.kind for o in held} == {"component", "assembly", "lab"}
    for o in held:
        assert w.border_holds[o.id][2] - w.border_holds[o.id][1] == 60.0
        assert causes[o.id] == "licence:ship_lic", (o.id, segments(w, o))
        segs = segments(w, o)
        assert ("licence:ship_lic", 60.0) in segs
        legs = [d for label, d in segs if label.startswith("transport:")]
        assert legs[-1] <= 5.0 + 1e-9  # the transport after the hold: 2 days (5 with the vendor's step)
        if o.kind != "lab":  # a line of its own stages: its segments tile its lead time
            assert abs(sum(d for _, d in segs) - (o.delivered - o.ordered)) < 1e-9, segs
    assert all(pick(segments(w, o)) == c for o, c in zip(w.orders, causes) if o.status != "denied")


def test_a_short_hold_at_the_border_is_a_licence_segment_but_not_the_cause():
    """Under a week, a licence hold at shipment gives way to the longest step, as any wait does."""
    from supplychain.engine.causes import segments
    from supplychain.engine.causes_batch import delay_causes

    w = _licence_at_shipment_world(3)
    causes = delay_causes(w)
    held = [w.orders[k] for k in w.border_holds]
    assert held
    for o in held:
        assert ("licence:ship_lic", 3.0) in segments(w, o)
        assert causes[o.id].startswith("production:"), causes[o.id]
    assert all(pick(segments(w, o)) == c for o, c in zip(w.orders, causes) if o.status != "denied")


def test_a_kit_whose_last_input_was_held_at_the_border_inherits_that_licence_wait():
    """The licence covers dies and HBM only: the kits they go into, and the lab orders those fill,
    waited for the inputs held at the border, and name that licence, not the HBM maker's step
    (`_kit_causes` leaves such kits to the definition, as it does kits whose input inherits)."""
    from supplychain.engine.causes import segments
    from supplychain.engine.causes_batch import delay_causes

    w = _licence_at_shipment_world(60, ("logic", "hbm"))
    causes = delay_causes(w)
    assert {w.orders[k].kind for k in w.border_holds} == {"component"}
    kits = [o for o in w.orders if o.kind == "assembly" and any(c.id in w.border_holds for c in o.children)]
    assert len(kits) >= 3 and all(causes[o.id] == "licence:ship_lic" for o in kits)
    labs = [o for o in w.orders if o.kind == "lab" and set(o.children) & set(kits)]
    assert labs and any(causes[o.id] == "licence:ship_lic" for o in labs)
    assert all(pick(segments(w, o)) == c for o, c in zip(w.orders, causes) if o.status != "denied")


def test_a_backordered_line_held_at_the_border_waits_for_the_licence_not_at_the_stock_point():
    """The generic kernel: a line backordered at a depot when a licence on its item takes effect is
    reviewed when the depot ships it; the goods' wait at the border is `licence:<rule>`, taken out of
    its `backorder:depot` wait, and the segments still tile its lead time from release."""
    from supplychain.engine import World
    from supplychain.engine.causes import segments
    from supplychain.engine.causes_batch import delay_causes
    from supplychain.scenario_schema import Scenario

    from conftest import serial_chain

    model = serial_chain(None, 0, 5.0, 0, demand_rate=2.0, mode="poisson", policy="base_stock", base_stock=8)
    rules = [{"id": "wid", "announced": "2022-07-01", "effective": "2022-07-01", "action": "license", "review_days": 10,
              "approval": 1.0, "scope": {"products": ["widget"]}}]
    w = World(model, Scenario.model_validate({"name": "s", "end": "2022-12-31", "controls": rules}), 2).run()
    causes = delay_causes(w)
    held = [w.orders[k] for k in w.border_holds]
    assert held and all(o.kind == "demand" for o in held)
    for o in held:
        segs = segments(w, o)
        assert causes[o.id] == "licence:wid" and ("licence:wid", 10.0) in segs
        assert segs[0][0] == "backorder:depot" and segs[0][1] < 10.0
        assert abs(sum(d for _, d in segs) - (o.delivered - o.released)) < 1e-9
    assert all(pick(segments(w, o)) == c for o, c in zip(w.orders, causes) if o.status != "denied")


def test_a_hold_at_the_border_past_the_end_of_the_run_counts_whole():
    """A review of 400 days decided at shipment in 2023 ends after the run (end 2023): its length was
    known when it began, as its end is (`shipped`), so the lines still at the border wait for it whole."""
    from supplychain.engine.causes import segments
    from supplychain.engine.causes_batch import delay_causes

    w = _licence_at_shipment_world(400, ("logic", "hbm"))
    causes = delay_causes(w)
    held = [w.orders[k] for k in w.border_holds]
    assert held and all(o.delivered is None and o.shipped > w.env.now for o in held)
    for o in held:
        assert ("licence:ship_lic", 400.0) in segments(w, o) and causes[o.id] == "licence:ship_lic"
    assert all(pick(segments(w, o)) == c for o, c in zip(w.orders, causes) if o.status != "denied")


@pytest.mark.parametrize("rule", [
    {"action": "license", "review_days": 1000, "approval": 1.0},  # under review when the run ends
    {"action": "quota", "quota": 0, "period_days": 30, "quota_excess": "wait"},  # waiting for room that never comes
])
def test_a_line_a_rule_holds_to_the_end_of_the_run_waits_for_that_rule(rule):
    """A lab's order under a licence review or over a quota at the end of the run had no cause at all (its
    licence wait counted only once it was released): a run whose rule held every order named nothing that
    bound the labs, and summary.md's section was empty. It waits for the rule, from ordered to the end."""
    from supplychain.engine import World
    from supplychain.engine.causes import segments
    from supplychain.engine.causes_batch import delay_causes
    from supplychain.scenario_schema import Scenario
    from supplychain.topology import graph_to_model, load_topology

    from conftest import ROOT

    held = {"id": "hold", "announced": "2022-01-01", "effective": "2022-01-01", **rule,
            "scope": {"destinations": ["CN"], "supplier_countries": ["US", "KR"]}}  # acc to lab_cn, HBM to pkg_cn
    sc = Scenario.model_validate({"name": "c", "end": "2022-12-31", "controls": [held], "labs": {"review_days": 7}})
    w = World(graph_to_model(load_topology(ROOT / "tests" / "data" / "two_labs.yaml")), sc, 3).run()
    causes = delay_causes(w)
    waiting = [o for o in w.orders if o.released is None and o.status in ("licence", "waiting")]
    assert {o.kind for o in waiting} >= {"lab", "component"}
    for o in waiting:
        assert ("licence:hold", w.env.now - o.ordered) in segments(w, o) and causes[o.id] == "licence:hold", o
    assert all(pick(segments(w, o)) == c for o, c in zip(w.orders, causes) if o.status != "denied")


def test_a_stock_points_customer_under_a_licence_waits_for_it_once():
    """A depot's customer in China under a 20-day licence at placement, the depot well stocked: each line's
    segments are its licence review, any wait for stock from its release (not from its order: the review is
    not a backorder too) and transport, adding up to its lead time; with stock on hand, the cause is the licence."""
    from supplychain.engine import World
    from supplychain.engine.causes import segments
    from supplychain.scenario_schema import Scenario

    from conftest import topo

    model = topo(
        [{"id": "src", "kind": "source", "makes": ["widget"], "country": "US", "cycle_time": 2},
         {"id": "depot", "kind": "stock", "item": "widget", "policy": "base_stock", "base_stock": 500, "country": "US"},
         {"id": "cust", "kind": "demand", "item": "widget", "country": "CN", "demand": {"mode": "fixed", "rate": 2}}],
        [{"from": "src", "to": "depot", "product": "widget", "transport": 3},
         {"from": "depot", "to": "cust", "product": "widget", "transport": 2}],
    )
    lic = {"id": "lic", "announced": "2022-01-01", "effective": "2022-02-01", "action": "license", "review_days": 20,
           "approval": 1.0, "scope": {"destinations": ["CN"]}}
    w = World(model, Scenario.model_validate({"name": "s", "end": "2022-06-30", "seed": 1, "controls": [lic]}), 0).run()
    cust = w.net.index["cust"]
    held = [o for o in w.orders if o.customer == cust and o.delivered is not None and o.released is not None
            and o.released - o.ordered >= 19.999]
    assert len(held) > 50
    for o in held:
        segs = segments(w, o)
        assert sum(d for _, d in segs) == pytest.approx(o.delivered - o.ordered, abs=1e-9), segs
        assert pick(segs) == "licence:lic", segs


def test_a_build_ahead_makers_customer_under_a_licence_waits_for_it_once():
    """HBM under a 20-day licence at placement, its maker building 120 days ahead: each delivered HBM line's
    segments (the licence review, the wait for the maker's stock from when the line entered its book, the
    transport) add up to its lead time: the review is not counted again as a wait for stock, and a line filled
    in parts has its transport from its last part, not its first."""
    from _topo import minimal_data, node

    from supplychain.engine import World
    from supplychain.engine.causes import segments
    from supplychain.scenario_schema import Scenario
    from supplychain.topology import parse_topology

    data = minimal_data()
    node(data, "hbm_maker")["build_ahead_days"] = 120
    lic = {"id": "lic", "announced": "2022-01-01", "effective": "2022-03-01", "action": "license", "review_days": 20,
           "approval": 1.0, "scope": {"product_kinds": ["hbm"]}}
    sc = Scenario.model_validate({"name": "b", "end": "2023-06-30", "labs": {"review_days": 7}, "controls": [lic]})
    w = World(parse_topology(data), sc, 0).run()
    hbm = w.net.index["hbm_maker"]
    held = [o for o in w.orders if o.supplier == hbm and o.kind == "component" and o.delivered is not None
            and o.released is not None and o.released - o.ordered >= 19.999]
    assert len(held) > 10
    # lines filled from stock in parts, their first part shipped before their last: their transport counted
    # from the first part overlapped the wait to the last (7 days too many, in 10 of the 40 lines)
    assert sum(o.finished > o.shipped for o in held) >= 5
    for o in held:
        segs = segments(w, o)
        assert sum(d for _, d in segs) == pytest.approx(o.delivered - o.ordered, abs=1e-6), segs
