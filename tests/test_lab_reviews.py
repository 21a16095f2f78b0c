"""A lab's review against hand arithmetic: it orders its target less what it has installed and on order,
a substitute in the units it budgeted, and the weekly fleet row adds up that lab's orders."""

from __future__ import annotations

import pytest

from supplychain.errors import ScenarioWarning
from supplychain.results import simulate
from supplychain.topology import parse_topology

from _controls import lab_orders, rule, run
from _labs import minimal, scenario
from _topo import minimal_data, node


def test_a_review_orders_the_target_less_installed_and_on_order():
    """T = 10,050, I = 10,000 installed and O = 20 in flight (placed before the start): the review on
    day 0 orders T - I - O = 30, and nothing more comes due before the end (no retirement in a
    100-year lifetime's first half year), so it is the lab's only order."""
    model = minimal(fleet={"acc": 10000}, target_h100e={"points": {"2022-01-01": 10050}},
                    in_flight={"acc": 20}, in_flight_days=7)
    r = simulate(model, scenario(end="2022-03-31"))
    o = r.orders[r.orders["kind"] == "lab"]
    # the order in flight first (delivered on day 3.5, the first of its one week of arrivals), then the review's
    assert list(o["ordered"]) == [0.0, 0.0] and o["delivered"].iloc[0] == 3.5
    assert list(o["qty"]) == pytest.approx([20.0, 30.0])


def test_a_substitute_is_ordered_in_the_units_the_lab_budgeted_for_the_sku():
    """acc (1 H100e a unit) blocked from day 0 for lab_cn and ordered as its variant acc_c (0.2): the
    first review that orders orders as many acc_c units as it orders acc units without the rule, not five times
    as many (the H100e of the gap over the variant's H100e)."""
    free = lab_orders(run(end="2022-03-31"), "lab_cn", "acc")
    subbed = lab_orders(run(rule(substitute=True, scope={"destinations": ["CN"], "products": ["acc"]}), end="2022-03-31"), "lab_cn", "acc_c")
    assert len(free) and len(subbed) and free["ordered"].iloc[0] == subbed["ordered"].iloc[0]
    assert subbed["qty"].iloc[0] == pytest.approx(free["qty"].iloc[0])


def test_the_weekly_fleet_row_adds_up_the_labs_orders_and_its_target():
    """On the minimal network (one SKU of 1 H100e), each week's `on_order_h100e` is the units of the
    lab's orders placed by that day less those delivered by it, and `installed + commissioning +
    stranded + on order` is the start fleet plus what was ordered, less what retired (nothing in
    the first half year of a 100-year lifetime); `target_h100e` is the target that day."""
    model = minimal(fleet={"acc": 10000}, target_h100e={"points": {"2022-01-01": 10000, "2022-12-31": 46400}})
    r = simulate(model, scenario(end="2022-06-30"))
    o = r.orders[r.orders["kind"] == "lab"]
    f = r.fleet.set_index("day")
    for day in f.index[1:]:
        placed = o[o["ordered"] <= day]
        arrived = placed[placed["delivered"] <= day]["qty"].sum()
        assert f.loc[day, "on_order_h100e"] == pytest.approx(placed["qty"].sum() - arrived, abs=1e-6), day
        held = f.loc[day, ["installed_h100e", "commissioning_h100e", "stranded_h100e", "on_order_h100e"]].sum()
        assert held == pytest.approx(10000 + placed["qty"].sum()), day
        assert f.loc[day, "target_h100e"] == pytest.approx(10000 + 100 * day), day  # 36,400 over 364 days


def test_a_lab_with_two_kinds_of_power_orders_what_it_lacks_once():
    """A lab fed by two grids of two power products orders the MW it lacks (17 x 1.1 - 10 = 7.7, as
    in test_labs) from the first of them, once: not 7.7 of each."""
    data = minimal_data()
    data["products"]["power2"] = {"kind": "power", "name": "Second powered datacentre MW"}
    data["nodes"].append({"id": "grid2", "kind": "grid", "country": "US", "makes": ["power2"],
                          "capacity": {"value": 2000}, "cycle_time": {"value": 365}})
    data["edges"].append({"from": "grid2", "to": "lab", "product": "power2"})
    node(data, "lab").update(fleet={"acc": 10000}, power_mw=10.0)
    node(data, "lab").pop("target_h100e")
    with pytest.warns(ScenarioWarning):
        o = simulate(parse_topology(data), scenario(end="2022-06-30")).orders
    power = o[o["kind"] == "power"]
    assert power["qty"].sum() == pytest.approx(17 * 1.1 - 10, rel=1e-9)
    assert power["ordered"].tolist() == [0.0]


def test_a_labs_power_quote_is_its_grids_latest_quote_whichever_flow_comes_first():
    """A lab fed by one grid waits, for a new power order, the grid's latest weekly quote (docs/model.md,
    power-aware labs), also when its grid's edge is the network's first flow (index 0)."""
    from supplychain.engine import World
    from supplychain.scenario_schema import Scenario

    data = minimal_data()
    data["edges"].sort(key=lambda e: e["product"] != "power")  # the grid's edge first
    w = World(parse_topology(data), Scenario.model_validate(scenario(end="2022-03-31")), 0)
    power = [f.index for f in w.net.flows if f.product == "power"]
    assert power == [0]
    seen: list[float] = []

    def check(day: int) -> None:  # right after the week's record
        q = w._power_quote(0, float(day))
        assert q == w.quote_book.latest[0], day
        seen.append(q)

    w.run(progress=check)
    assert len(seen) > 10 and all(0.0 < q < float("inf") for q in seen)
