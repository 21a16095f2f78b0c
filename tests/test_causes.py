"""Delay causes: the label an order line gets from the segments of its lead time."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from supplychain.engine.causes import MIN_WAIT_DAYS, WAITS, pick

labels = st.sampled_from(["queue:fab", "licence:oct2023", "component:hbm", "waiting", "production:fab",
                          "transport:a->b", "production:pack"])
segments = st.lists(st.tuples(labels, st.floats(0.0, 60.0) | st.sampled_from([0.0, 7.0, 6.999])), max_size=8)


def definition(segs):
    """The rule in words: the longest wait (queue, licence, missing input) if it lasted a week or
    more, else the longest step; the first of equals; nothing if every segment is empty."""
    waits = [s for s in segs if s[0].startswith(WAITS)]
    if waits and max(d for _, d in waits) >= MIN_WAIT_DAYS:
        return next(s for s in waits if s[1] == max(d for _, d in waits))[0]
    if segs and max(d for _, d in segs) > 0:
        return next(s for s in segs if s[1] == max(d for _, d in segs))[0]
    return None


@given(segments)
def test_pick_is_the_longest_long_wait_else_the_longest_step(segs):
    assert pick(segs) == definition(segs)


def test_a_short_queue_gives_way_to_the_slow_production_step():
    segs = [("queue:fab", 6.0), ("production:fab", 190.0), ("transport:a->b", 3.0)]
    assert pick(segs) == "production:fab"
    assert pick([("queue:fab", 8.0), ("production:fab", 190.0)]) == "queue:fab"
    assert pick([]) is None and pick([("production:fab", 0.0)]) is None


@pytest.mark.parametrize("wait", ["queue:fab", "licence:oct2023", "component:hbm", "waiting", "power:lab",
                                  "backorder:dc"])
def test_each_kind_of_wait_of_a_week_outranks_a_longer_step(wait):
    """The waits are named here, not read from `WAITS` (the property test's definition reads it, so a
    kind dropped from it went unseen): each, lasting a week, is the cause beside a 30-day transport leg;
    under a week, the leg is."""
    assert pick([(wait, 7.0), ("transport:a->b", 30.0)]) == wait
    assert pick([(wait, 6.5), ("transport:a->b", 30.0)]) == "transport:a->b"


def _hbm_licence_and_logic_quota_world():
    """Component lines (the ones `delay_causes` labels with numpy) with licence waits, quota
    waits and refusals: HBM to China under licence review, logic dies to China under a quota."""
    from supplychain.engine import World
    from supplychain.scenario_schema import Scenario
    from supplychain.topology import graph_to_model, load_topology

    from conftest import ROOT

    rules = [
        {"id": "hbm_lic", "announced": "2022-01-01", "effective": "2022-06-01", "action": "license", "review_days": 20,
         "approval": 0.7, "scope": {"destinations": ["CN"], "product_kinds": ["hbm"]}},
        {"id": "logic_quota", "announced": "2022-01-01", "effective": "2022-03-01", "action": "quota", "quota": 3000,
         "period_days": 90, "quota_excess": "wait", "scope": {"destinations": ["CN"], "product_kinds": ["logic"]}},
    ]
    sc = Scenario.model_validate({"name": "c", "end": "2023-12-31", "controls": rules, "labs": {"review_days": 7}})
    return World(graph_to_model(load_topology(ROOT / "tests" / "data" / "two_labs.yaml")), sc, 3).run()


def test_every_line_of_a_controlled_run_gets_the_cause_its_segments_name():
    """`delay_causes` (numpy for kits, lab orders and component, tool and power lines; one by one
    for the lines of stock points and build-ahead makers) names, for every line, what `pick`
    makes of the line's own segments."""
    from supplychain.engine.causes import segments
    from supplychain.engine.causes_batch import delay_causes

    w = _hbm_licence_and_logic_quota_world()
    causes = delay_causes(w)
    lines = [(o, c) for o, c in zip(w.orders, causes) if o.status != "denied"]
    simple = [c for o, c in lines if o.kind not in ("lab", "assembly")]
    assert len(simple) > 200
    assert any(c == "licence:hbm_lic" for c in simple) and any(c == "licence:logic_quota" for c in simple)
    assert any(c and c.startswith("queue:") for c in simple) and any(c and c.startswith("production:") for c in simple)
    assert all(pick(segments(w, o)) == c for o, c in lines)
    assert all(c == (f"denied:{o.rule}" if o.rule else "denied") for o, c in zip(w.orders, causes) if o.status == "denied")


@pytest.mark.parametrize("policy", ["hbm_full_ban_power_constrained", "taiwan_blockade_6m_resourcing",
                                    "build_ahead_components"])
def test_numpy_causes_match_each_line_segments_in_runs_with_controls_shocks_and_power(policy):
    """Kits, lab orders (which inherit their kit's segments) and component, tool and power lines
    are picked with numpy (`_kit_causes`, `_lab_causes`, `_simple_causes`); `segments` goes line
    by line through `_segments`, the definition. Under a ban, a blockade, a power-constrained
    grid (power waits, queues, lab orders filled from a vendor's stock) and build-ahead makers
    (kits whose inputs come from stock go one by one) they name the same cause."""
    from supplychain.engine import World
    from supplychain.engine.causes import segments
    from supplychain.engine.causes_batch import delay_causes
    from supplychain.scenario import load_scenario
    from supplychain.topology import graph_to_model

    from conftest import ROOT

    res = load_scenario(ROOT / "policies" / f"{policy}.yaml")
    w = World(graph_to_model(res.topology), res.scenario, 1).run()
    causes = delay_causes(w)
    lab = {(c or "").split(":")[0] for o, c in zip(w.orders, causes) if o.kind == "lab"}
    assert {"power", "queue", "production", "denied"} <= lab
    assert any(o.kind == "lab" and not o.children and o.shipped is not None for o in w.orders)  # from stock
    assert all(pick(segments(w, o)) == c for o, c in zip(w.orders, causes) if o.status != "denied")


def test_numpy_lab_causes_follow_the_definition_in_its_rare_branches():
    """Branches no policy run reaches, made by editing a controlled run's lines: a lab order's own
    licence or quota wait, a denied lot among its children (the next live one is the lot it
    waited for, none left: filled from stock), lots delivered on the same day (the first of
    equals, as max() picks), a lot already there when the lab ordered (nothing inherited), and
    a delivery that brought no units (no wait for power)."""
    from supplychain.engine.causes import segments
    from supplychain.engine.causes_batch import delay_causes

    w = _hbm_licence_and_logic_quota_world()
    labs = [o for o in w.orders if o.kind == "lab" and o.status != "denied"]
    several = [o for o in labs if len(o.children) > 1]
    assert len(labs) > 40 and len(several) >= 2
    for i, o in enumerate(labs[::5]):
        o.released = o.ordered + (9.0 if i % 2 else 3.0)
        o.rule = "lab_rule" if i % 3 else ""
    for o in several[:1]:
        o.children[-1].delivered = o.children[0].delivered = max(c.delivered or 0.0 for c in o.children)
    for o in several[1:2]:
        o.children[0].status = "denied"
    for o in labs[1::7]:
        for c in o.children:
            c.status = "denied"
    delivered = [o for o in labs if o.delivered is not None and o.children and o.children[0].delivered is not None]
    for o in delivered[2::6]:
        o.ordered = max(c.delivered or 0.0 for c in o.children)
    for o in delivered[3::6]:
        o.delivered_qty, o.installed = 0.0, None
    causes = delay_causes(w)
    assert any(c == "licence:lab_rule" for c in causes) and any(c == "waiting" for c in causes)
    assert all(pick(segments(w, o)) == c for o, c in zip(w.orders, causes) if o.status != "denied")


def test_numpy_kits_keep_exactly_the_longest_wait_and_step_of_their_segments():
    """A kit picked with numpy (`_kit_causes`) keeps its first longest wait and step, labels and
    durations, for the lab orders that inherit it: `_longest` of its own segments, exactly. In
    the branches a controlled run reaches, and, by editing its kits, in rarer ones: complete
    with no input delivered (`component:?`), waiting without input bookkeeping, the input that
    came last itself a kit (that kit goes one by one)."""
    from supplychain.engine.causes import _Context, _longest, segments
    from supplychain.engine.causes_batch import _kit_causes, delay_causes
    from supplychain.engine.orders import order_arrays

    w = _hbm_licence_and_logic_quota_world()
    kits = [o for o in w.orders if o.kind == "assembly" and o.status != "denied"]
    waited = [o for o in kits if o.released is not None and o.kitted is not None and o.kitted > o.released]
    open_ = [o for o in kits if o.kitted is None and o.inputs is not None and o.released is not None]
    assert len(waited) > 20 and open_
    for o in waited[:3]:
        for c in o.children:
            c.delivered = None
    open_[0].inputs = None
    waited[3].children.append(waited[4])
    waited[4].delivered = waited[3].kitted + 1.0  # after the inputs: the one that came last
    cx, a = _Context(w), order_arrays(w.orders)
    rows = np.array([o.id for o in kits])
    _kit_causes(cx, rows, a)
    assert all(cx.longest[k] == _longest(segments(w, w.orders[k])) for k in rows.tolist())
    assert any(cx.longest[o.id][0] == ("component:?", o.kitted - o.released) for o in waited[:3])
    causes = delay_causes(w)
    assert all(pick(segments(w, o)) == c for o, c in zip(w.orders, causes) if o.status != "denied")


def test_one_order_segments_give_the_cause_the_run_table_names():
    """`segments` of a single line (its own context) agrees with `delay_causes` (one shared
    context and memo for the whole run)."""
    import datetime as dt

    from supplychain.engine import World
    from supplychain.engine.causes import segments
    from supplychain.engine.causes_batch import delay_causes
    from supplychain.scenario import load_scenario
    from supplychain.topology import graph_to_model

    from conftest import ROOT

    res = load_scenario(ROOT / "policies" / "baseline.yaml")
    w = World(graph_to_model(res.topology), res.scenario.model_copy(update={"end": dt.date(2023, 6, 30)}), 1).run()
    causes = delay_causes(w)
    lines = [(o, c) for o, c in zip(w.orders, causes) if o.status != "denied"][::25]
    assert len(lines) > 50 and any(c and c.startswith("queue:") for _, c in lines)
    assert all(pick(segments(w, o)) == c for o, c in lines)


def test_a_lab_order_filled_from_the_vendors_stock_has_a_cause():
    """Goods refused to one buyer go back to the vendor's stock and fill other labs' orders:
    such an order has no build lot to inherit from, and its wait for that stock is a queue at
    the vendor (it had no cause at all)."""
    from supplychain.engine import World
    from supplychain.engine.causes import segments
    from supplychain.engine.causes_batch import delay_causes
    from supplychain.scenario import load_scenario
    from supplychain.topology import graph_to_model

    from conftest import ROOT

    res = load_scenario(ROOT / "policies" / "baseline.yaml")  # the Oct 2022 rule sends A100s back to NVIDIA
    w = World(graph_to_model(res.topology), res.scenario, 0).run()
    causes = delay_causes(w)
    lab = [(o, c) for o, c in zip(w.orders, causes) if o.kind == "lab" and o.delivered is not None and o.ordered > 0]
    assert all(c is not None for _, c in lab)
    stocked = [(o, c) for o, c in lab if not o.children]
    assert stocked and any(c == f"queue:{w.net.ids[o.supplier]}" for o, c in stocked)
    for o, c in stocked:
        total = sum(d for label, d in segments(w, o) if not label.startswith("power:"))
        assert abs(total - (o.delivered - o.released)) < 1e-6  # up to delivery the segments tile its lead time
    # H20 orders the apr2025_h20 licence held at the border for months: that wait is the licence's, not the queue's
    held = [o for o, _ in lab if o.id in w.border_holds]
    assert held
    for o in held:
        rule, since, until = w.border_holds[o.id]
        segs = dict(segments(w, o))
        assert until - since > 30
        live = [c for c in o.children if c.status != "denied"]
        if live:  # its critical path is its last lot's goods: their wait at the border, from when they came
            start = max(c.delivered for c in live)  # (a hold its first goods began earlier is longer: seeds 3, 4)
            assert segs[f"licence:{rule}"] == pytest.approx(max(0.0, min(until, o.delivered) - max(since, start)))
        else:
            assert segs[f"licence:{rule}"] == until - since
        if not o.children:  # filled from stock: the rest of its wait to the border is the vendor's queue
            ct = segs[f"production:{w.net.ids[o.supplier]}"]
            assert abs(segs[f"queue:{w.net.ids[o.supplier]}"] - (since - o.released - ct)) < 1e-6


def test_a_lab_order_no_build_lot_has_reached_waits_behind_the_vendors_oldest_open_lot():
    """Packaging far short of a vendor's orders: most of the lab's orders have no build lot by the
    end of the run. Each waits behind the vendor's oldest lot still open and names its wait, the
    packaging queue; they had no cause at all, so the `binding` shares left out the orders never
    filled (in the baseline, 73 M of China's 81 M H100e ordered)."""
    from supplychain.engine import World
    from supplychain.engine.causes import segments
    from supplychain.engine.causes_batch import delay_causes
    from supplychain.scenario_schema import Scenario
    from supplychain.topology import graph_to_model, load_topology

    from conftest import ROOT

    model = graph_to_model(load_topology(ROOT / "tests" / "data" / "two_labs.yaml")).model_copy(deep=True)
    pkg = next(n for n in model.nodes if n.id == "pkg_cn")
    pkg.capacity = pkg.capacity.model_validate(300)  # packages a week, against ~1,000 ordered
    w = World(model, Scenario.model_validate({"name": "c", "end": "2023-12-31", "labs": {"review_days": 7}}), 0).run()
    causes = delay_causes(w)
    unfilled = [(o, c) for o, c in zip(w.orders, causes) if o.kind == "lab" and o.delivered is None and not o.children]
    assert len(unfilled) > 20
    lots = [o for o in w.orders if o.kind == "assembly" and o.customer == unfilled[0][0].supplier and o.delivered is None]
    for o, c in unfilled:
        assert c == "queue:pkg_cn" and segments(w, o) == segments(w, lots[0])
    assert all(c is not None for o, c in zip(w.orders, causes) if o.kind == "lab")
    for lot in lots:  # no lot left open (all refused, say): they wait in the vendor's queue
        lot.status = "denied"
    causes = delay_causes(w)
    for o, _ in unfilled:
        assert causes[o.id] == "queue:hw" and segments(w, o) == [("queue:hw", w.env.now - o.released)]
    assert all(pick(segments(w, o)) == c for o, c in zip(w.orders, causes) if o.status != "denied")


def test_accelerators_waiting_for_power_name_power_as_the_cause():
    """docs/model.md lists power among the delay causes: a lab whose grid cannot keep up
    has its delivered accelerators wait, commissioned, for powered capacity; that wait is
    its orders' cause, and `installed` says when the last unit got power."""
    import yaml

    from supplychain.results import simulate
    from supplychain.topology import parse_topology

    from conftest import ROOT

    data = yaml.safe_load((ROOT / "topology" / "minimal.yaml").read_text())
    runs = {}
    for name, grid_mw in (("starved", 20), ("ample", 1e6)):  # MW/year the grid can connect
        for n in data["nodes"]:
            if n["id"] == "grid":
                n["capacity"] = grid_mw
        runs[name] = simulate(parse_topology(data), {"name": name, "end": "2025-12-31"}, seed=1).orders
    starved, ample = (r[(r["kind"] == "lab") & r["delivered"].notna()] for r in (runs["starved"], runs["ample"]))
    assert (starved["cause"] == "power:lab").mean() > 0.5
    assert not ample["cause"].str.startswith("power:").any()
    commissioning = 75.0  # LabPolicy's default commissioning_days
    done = ample[ample["installed"].notna()]
    wait = done["installed"] - done["delivered"] - commissioning
    assert len(done) > 10 and (wait >= -1e-9).all() and (wait <= 1.0).mean() > 0.9  # installed on the next daily step
    assert starved["installed"].isna().mean() > 0.5  # most still wait for power at the end


def test_a_lab_order_installed_in_part_waits_for_power_to_the_end_of_the_run():
    """A lab order some of whose accelerators got power and some did not by the end: its power wait runs
    from when they were ready (delivered + commissioning) to the end of the run, not to its last partial
    installation (`installed` marks each one; the orders table leaves it empty while some wait)."""
    import yaml

    from supplychain.engine import World
    from supplychain.engine.causes import segments
    from supplychain.scenario_schema import Scenario
    from supplychain.topology import parse_topology

    from conftest import ROOT

    data = yaml.safe_load((ROOT / "topology" / "minimal.yaml").read_text())
    next(n for n in data["nodes"] if n["id"] == "grid")["capacity"] = 20  # MW/year: a starved grid
    w = World(parse_topology(data), Scenario.model_validate({"name": "p", "end": "2025-12-31"}), 1).run()
    end, commissioning = float(w.env.now), 75.0
    part = [o for o in w.orders if o.kind == "lab" and o.installed is not None and 0 < o.installed_qty < o.delivered_qty]
    assert part
    for o in part:
        power = [d for label, d in segments(w, o) if label == "power:lab"]
        assert power == [pytest.approx(end - (o.delivered + commissioning))], (o.id, segments(w, o))


def test_a_power_wait_of_a_week_outranks_a_longer_production_step():
    """Power is a wait (docs/model.md section 4), like a queue: a lab's month without power, not the
    packager's longer but normal cycle, is what throttled it."""
    assert pick([("production:packager", 40.0), ("power:lab", 30.0), ("transport:vendor->lab", 14.0)]) == "power:lab"
    assert pick([("production:packager", 40.0), ("power:lab", 6.0)]) == "production:packager"


def test_without_limits_kits_and_lab_orders_wait_for_the_slowest_input():
    """Unconstrained, a kit waits for its slowest input, the HBM (150-day cycle against the fab's
    100): the HBM maker's production step is the cause of every kit and of every lab order, which
    inherits the lot that filled it last. Nothing waits a week anywhere."""
    from supplychain.results import simulate

    from conftest import ROOT

    o = simulate(ROOT / "topology" / "minimal.yaml", {"name": "u", "end": "2024-12-31", "unconstrained": True}).orders
    done = o[o["kind"].isin(["lab", "assembly"]) & o["delivered"].notna() & (o["ordered"] > 0)]
    assert len(done) > 50
    assert set(done["cause"]) == {"production:hbm_maker"}
    comp = o[(o["kind"] == "component") & o["delivered"].notna()]
    assert set(comp["cause"]) == {"production:hbm_maker", "production:fab"}


def test_labels_name_the_nodes_the_wait_was_at():
    """A missing input names the supplier it was waiting for (not the kit's own packager); a
    transport leg names supplier -> customer; a lab order's last leg is the vendor -> lab
    transport of the lot that filled it last (5 days in this network), not of the first one."""
    from supplychain.engine.causes import _Context, segments
    from supplychain.engine.causes_batch import delay_causes

    w = _hbm_licence_and_logic_quota_world()
    ids = w.net.ids
    missing = 0
    cx = _Context(w)
    for o, cause in zip(w.orders, delay_causes(w)):
        if cause and cause.startswith("component:"):
            # a lab order no lot has reached names what the vendor's oldest open lot waits for, one a lot reached
            # what that lot waits for: a line of the input still to come (split sourcing: not the one delivered)
            lots = o.children or [cx.open_lot(o.supplier, o.product)] if o.kind == "lab" else [o]
            kids = [c for lot in lots for c in lot.children]
            due = {ids[c.supplier] for c in kids if c.delivered is None and c.status != "denied"}
            assert cause.split(":", 1)[1] in (due or {ids[c.supplier] for c in kids}), (o.id, cause)
            missing += 1
        if o.kind == "lab" and o.delivered is not None and o.children:
            legs = [(label, d) for label, d in segments(w, o) if label.startswith("transport:")]
            assert legs[-1][0] == f"transport:{ids[o.supplier]}->{ids[o.customer]}"
            assert legs[-1][1] <= 5.0 + 1e-9, (o.id, legs)
    assert missing > 5


def test_a_line_shipped_in_parts_has_its_transport_from_when_it_finished():
    """Finished output ships weekly, so a long line's first goods leave before it finishes. Its transport
    segment runs from when its last goods left (it finished) to delivery, and its segments tile its lead
    time; measured from its first shipment, the transport overlapped its production (9.7 days on average
    over the baseline's 8,903 such lines; a CoWoS lot's 'transport' of 53 days, for a few days' trip)."""
    from supplychain.engine import World
    from supplychain.engine.causes import segments
    from supplychain.scenario import load_scenario
    from supplychain.topology import graph_to_model

    from conftest import ROOT

    res = load_scenario(ROOT / "policies" / "baseline.yaml")
    w = World(graph_to_model(res.topology), res.scenario, 0).run()
    parts = [o for o in w.orders if o.kind == "component" and o.delivered is not None and o.shipped is not None
             and o.finished is not None and o.finished > o.shipped + 1.0 and o.id not in w.border_holds]
    assert len(parts) > 100
    for o in parts[:500]:
        segs = segments(w, o)
        label, days = segs[-1]
        assert label == f"transport:{w.net.ids[o.supplier]}->{w.net.ids[o.customer]}"
        assert days == pytest.approx(o.delivered - o.finished)
        assert sum(d for _, d in segs) == pytest.approx(o.delivered - o.ordered)
