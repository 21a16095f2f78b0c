"""A vendor's weekly build lots worked by hand: a vendor building ahead orders up to `build_ahead_days`
of its smoothed order flow on its position (finished stock + lots in build - unfilled orders), the
flow smoothed weekly with weight ALPHA on the week's orders per day (`engine/vendors.py`)."""

import pytest

from supplychain.engine import World
from supplychain.engine.vendors import ALPHA, BUILD_DAYS
from supplychain.scenario_schema import Scenario

from _labs import minimal

SC = {"name": "v", "end": "2022-12-31", "labs": {"lifetime_years": 100}}
AHEAD = 70.0


def _world(ahead=AHEAD):
    """A world on the minimal chain whose vendor builds `ahead` days ahead, and the build lots it
    places as (day, units asked of its packagers, the lots)."""
    model = minimal()
    next(n for n in model.nodes if n.id == "vendor").build_ahead_days = ahead
    w = World(model, Scenario.model_validate(SC), 0)
    lots: list[tuple[float, float, list]] = []
    place = w.order_from_suppliers

    def placed(kind, customer, product, qty, now, **kw):
        out = place(kind, customer, product, qty, now, **kw)
        if kind == "assembly":  # (not the dies and stacks the packager orders for it)
            lots.append((now, qty, out))
        return out

    w.order_from_suppliers = placed
    flow = w.labs.acc_flows[0][0]
    return w, flow, (flow.supplier, "acc"), lots


def _order(w, flow, qty, day):
    o = w._new("lab", flow, "acc", qty, day, lab=flow.customer)
    w.labs.states[0].on_order_h100e += o.qty
    w.vendors.take(o, day)
    return o


def test_a_weeks_orders_all_count_in_the_flow_and_the_unfilled_lower_the_position():
    """Orders of 30 and 40 units in the first week: a flow of 70/7 = 10 a day smoothed to 10 x ALPHA,
    a target of 70 days of it, and the 70 owed (position -70) built on top."""
    w, flow, key, lots = _world()
    _order(w, flow, 30.0, 1.0)
    _order(w, flow, 40.0, 3.0)
    w.vendors.build(BUILD_DAYS)
    assert [(day, qty) for day, qty, _ in lots] == [(BUILD_DAYS, pytest.approx(AHEAD * 10.0 * ALPHA + 70.0))]


def test_a_lot_that_arrived_leaves_the_position_as_stock_given_out():
    """Week 1: 70 ordered, a lot of 70 + 700 ALPHA built. It arrives on day 10: 70 go to the orders,
    700 ALPHA stay in stock. Week 2: 140 ordered on day 11 take that stock, 140 - 700 ALPHA stay owed;
    nothing is in build any more, so the week's lot is the new target plus what is owed."""
    w, flow, key, lots = _world()
    _order(w, flow, 70.0, 1.0)
    w.vendors.build(BUILD_DAYS)
    (_, first, (lot,)), = lots
    w.vendors.arrived(lot, lot.qty, 10.0)
    assert w.vendors.stock[key] == pytest.approx(first - 70.0)
    _order(w, flow, 140.0, 11.0)
    w.vendors.build(2 * BUILD_DAYS)
    r1 = ALPHA * 10.0
    r2 = r1 + ALPHA * (20.0 - r1)
    assert lots[1][:2] == (2 * BUILD_DAYS, pytest.approx(AHEAD * r2 + 140.0 - (first - 70.0)))


def test_units_a_refused_lot_denied_are_no_longer_owed():
    """100 ordered, 40 of them denied (a build lot refused) before the week's build: the vendor owes
    60, so it builds its target (70 days of 100/7 a day, smoothed) plus 60, not plus 100."""
    w, flow, key, lots = _world()
    o = _order(w, flow, 100.0, 1.0)
    w.vendors.shortfall(key, 40.0, 2.0)
    assert o.denied_qty == 40.0
    w.vendors.build(BUILD_DAYS)
    assert [(day, qty) for day, qty, _ in lots] == [(BUILD_DAYS, pytest.approx(AHEAD * ALPHA * 100.0 / 7 + 60.0))]


def test_a_vendor_building_to_order_builds_what_was_ordered_that_week():
    """Without `build_ahead_days` a vendor builds each week what was ordered from it that week, not
    the gap on its position: 100 ordered in week 1 go into build; the rule that refused the first
    goods of that order at the border takes the 100 still waiting; 40 ordered in week 2 are built
    as 40, though the lot of 100 still in build would cover them."""
    w, flow, key, lots = _world(0.0)
    o = _order(w, flow, 100.0, 1.0)
    w.vendors.build(BUILD_DAYS)
    assert w.vendors.waiting_rest(o) == 100.0
    _order(w, flow, 40.0, 8.0)
    w.vendors.build(2 * BUILD_DAYS)
    assert [(day, qty) for day, qty, _ in lots] == [(BUILD_DAYS, 100.0), (2 * BUILD_DAYS, 40.0)]


def test_units_refused_at_the_border_while_waiting_are_no_longer_owed():
    """100 ordered; the rule that refused the order's first goods at the border takes the 100 still
    waiting for stock: the vendor owes nothing, so its build is its target alone (70 days of 100/7 a
    day, smoothed), not the target plus 100."""
    w, flow, key, lots = _world()
    o = _order(w, flow, 100.0, 1.0)
    assert w.vendors.waiting_rest(o) == 100.0
    w.vendors.build(BUILD_DAYS)
    assert [(day, qty) for day, qty, _ in lots] == [(BUILD_DAYS, pytest.approx(AHEAD * ALPHA * 100.0 / 7))]
