"""Power-aware ordering (`labs.power_aware`): a lab buys accelerators only for the power it expects."""

from types import SimpleNamespace

import pandas as pd
import pytest

from supplychain.results import simulate
from supplychain.topology import parse_topology, read_yaml

from conftest import ROOT
from _labs import minimal, scenario


def _no_grid(mw_per_year: float):
    """minimal.yaml whose grid builds `mw_per_year`, with a lab far short of its target."""
    data = read_yaml(ROOT / "topology" / "minimal.yaml")
    for node in data["nodes"]:
        if node["id"] == "grid":
            node["capacity"] = mw_per_year
    return parse_topology(data)


def test_a_power_aware_lab_orders_only_for_the_power_it_will_have():
    """40 MW on hand, 17 MW drawn by the 10,000 start accelerators (1.7 kW per H100e): 23 MW of room,
    13,529 H100e. With a grid that builds almost nothing, its quote is centuries, so the power on order
    counts for nothing and that room is all the lab orders; a lab ordering to its target alone orders
    hundreds of thousands and strands them."""
    model = _no_grid(1e-3)
    labs = {"utilisation": 0.5, "training_fraction": 0.1, "lifetime_years": 100, "commissioning_days": 30}
    aware = simulate(model, scenario(end="2023-12-31", labs={**labs, "power_aware": True}))
    plain = simulate(model, scenario(end="2023-12-31", labs=labs))
    first = aware.orders.query("kind == 'lab'").sort_values("ordered").iloc[0]
    assert first["ordered"] == 0 and first["qty"] == pytest.approx(23.0 * 1000 / 1.7)
    ordered = aware.orders.query("kind == 'lab'")["qty"].sum()  # then what retires frees: 1 % at 0.5 and 1.5 years
    assert ordered == pytest.approx(23.0 * 1000 / 1.7 + 2 * 100, rel=1e-3)
    assert aware.fleet["stranded_h100e"].max() < 1.0
    f = aware.fleet  # it runs all the power it has, less a replacement still on its way
    assert (f["power_used_mw"] <= f["power_mw"] + 1e-6).all() and f["power_mw"].iloc[-1] < 40.01
    assert f["power_used_mw"].iloc[-1] >= f["power_mw"].iloc[-1] - 100 * 1.7 / 1000 - 0.01
    assert plain.orders.query("kind == 'lab'")["qty"].sum() > 10 * ordered
    assert plain.fleet["stranded_h100e"].max() > 100000


def test_a_power_aware_lab_counts_what_is_on_order_by_its_quote():
    """The room on a review: MW on hand + MW on order x horizon / quote (all of it once the quote is
    within the horizon) - MW drawn - MW of accelerators waiting - MW of accelerators on order, each
    flow's x horizon / its quote, over kW per H100e. A delivery (`Labs.delivered`) moves its MW from its
    flow's on order to waiting."""
    from supplychain.engine import World
    from supplychain.scenario import resolve
    from supplychain.topology import graph_to_model

    res = resolve(scenario(labs={"power_aware": True, "horizon_days": 270}), minimal())
    w = World(graph_to_model(res.topology), res.scenario, 0)
    j = 0
    st = w.labs.states[j]
    st.power_mw, st.power_on_order_mw, st.used_mw, st.pending_mw = 40.0, 100.0, 17.0, 3.0  # 3 MW waiting
    room = w.labs.power_room_h100e
    nan = float("nan")
    assert room(j, 0, lambda f: nan, 540.0) == pytest.approx((40 + 100 * 0.5 - 17 - 3) * 1000 / 1.7)
    assert room(j, 0, lambda f: nan, 200.0) == pytest.approx((40 + 100 - 17 - 3) * 1000 / 1.7)
    assert room(j, 0, lambda f: nan, float("inf")) == pytest.approx((40 - 17 - 3) * 1000 / 1.7)
    w.labs.on_order(j, 0, "acc", 2000.0)  # 3.4 MW on flow 0
    w.labs.on_order(j, 1, "acc", 1000.0)  # 1.7 MW on flow 1
    assert st.pending_mw == pytest.approx(3.0 + 5.1) and st.on_order_h100e == pytest.approx(3000)
    quotes = {0: 2700.0, 1: nan}  # flow 0: a tenth due within the horizon; flow 1 not quoted: all of it
    assert room(j, 0, quotes.get, 540.0) == pytest.approx((40 + 50 - 17 - 3 - 0.34 - 1.7) * 1000 / 1.7)
    w.labs.delivered(j, "acc", 2000.0, 0.0, SimpleNamespace(flow=0))  # flow 0's: waiting for installation now
    assert st.on_order_mw[0] == pytest.approx(0.0) and st.pending_mw == pytest.approx(3.0 + 5.1)
    assert room(j, 0, quotes.get, 540.0) == pytest.approx((40 + 50 - 17 - 3 - 3.4 - 1.7) * 1000 / 1.7)
    st.used_mw = 100.0
    assert room(j, 0, quotes.get, float("inf")) == 0.0, "no room is no order, never a negative one"


def test_a_power_aware_lab_expects_at_least_its_past_years_connections():
    """Grids serve the oldest orders first, so power keeps arriving while a new order's quote is years:
    power due within the horizon is at least the past year's connections per day x the horizon (and at
    most what is on order); the year is measured back from today, through the lab's own reviews."""
    from supplychain.engine import World
    from supplychain.scenario import resolve
    from supplychain.topology import graph_to_model

    res = resolve(scenario(labs={"power_aware": True, "horizon_days": 270}), minimal())
    w = World(graph_to_model(res.topology), res.scenario, 0)
    st = w.labs.states[0]
    room = w.labs.power_room_h100e
    nan = float("nan")
    st.power_mw, st.power_on_order_mw, st.used_mw, st.pending_mw = 40.0, 1000.0, 40.0, 0.0
    assert room(0, 0, lambda f: nan, float("inf")) == 0.0  # no history yet: nothing due
    st.power_mw = 76.5  # 36.5 MW connected in 365 days: 0.1 MW a day
    assert room(0, 365, lambda f: nan, float("inf")) == pytest.approx((76.5 + 0.1 * 270 - 40) * 1000 / 1.7)
    assert room(0, 380, lambda f: nan, 540.0) == pytest.approx((76.5 + 500 - 40) * 1000 / 1.7), "the quote's share when larger"
    st.power_on_order_mw = 10.0
    assert room(0, 390, lambda f: nan, float("inf")) == pytest.approx((76.5 + 10 - 40) * 1000 / 1.7), "no more than on order"


def test_power_awareness_is_off_in_the_unconstrained_counterfactual():
    """Supply limits lifted means power too: the counterfactual orders to the target."""
    model = _no_grid(1e-3)
    labs = {"utilisation": 0.5, "training_fraction": 0.1, "lifetime_years": 100, "commissioning_days": 30}
    free = simulate(model, scenario(end="2023-12-31", unconstrained=True, labs={**labs, "power_aware": True}))
    plain = simulate(model, scenario(end="2023-12-31", unconstrained=True, labs=labs))
    assert free.orders.query("kind == 'lab'")["qty"].sum() > 100000
    pd.testing.assert_frame_equal(free.orders, plain.orders)
