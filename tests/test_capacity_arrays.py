"""The arrays `compile_network` builds from the topology and what `Capacity` reads from them: the share of
capacity open to AI, a packager's capacity in interposer wafers, edge shares by day, tools at fabs, whole-day lags."""

import pandas as pd
import pytest

from supplychain.engine import World, capacity
from supplychain.results import simulate
from supplychain.scenario_schema import Scenario
from supplychain.topology import graph_to_model, load_topology

from _controls import run
from conftest import ROOT, topo
from _labs import minimal

SC = {"name": "a", "start": "2022-01-01", "end": "2023-12-31"}
#: never matches an order: a rule in force is what sends the split through `Net.share_period`'s cache
IDLE_RULE = {"id": "idle", "announced": "2022-01-01", "effective": "2022-01-01", "action": "ban", "scope": {"destinations": ["ZZ"]}}


def _packages_delivered_at_500_a_week(model):
    """The lab gets at most 500 x 0.95 good packages a week, and nearly as many once the pipeline is full
    (the bounds `test_packaging_bottleneck_caps_deliveries_until_lifted` checks for 500 packages a week). The run."""
    r = simulate(model, {"name": "w", "end": "2024-12-31", "labs": {"lifetime_years": 100}})
    delivered = r.orders.query("kind == 'lab'")["delivered_qty"].sum()
    weeks = (pd.Timestamp("2024-12-31") - pd.Timestamp("2022-01-01")).days / 7
    assert delivered <= 500 * 0.95 * weeks
    assert delivered >= 0.95 * 500 * 0.95 * (weeks - (155 + 40 + 2 + 28) / 7)
    return r


def test_ai_share_scales_the_capacity_orders_get():
    """2,000 packages a week with a quarter open to AI is 500 a week, in the node table and in deliveries."""
    model = minimal(fleet={"acc": 10000})
    pkg = next(n for n in model.nodes if n.id == "packager")
    pkg.capacity, pkg.ai_share = pkg.capacity.model_validate(2000), pkg.capacity.model_validate(0.25)
    nodes = _packages_delivered_at_500_a_week(model).nodes
    assert nodes[nodes["node"] == "packager"]["capacity_per_week"].to_numpy() == pytest.approx(500.0)


def test_a_packager_counting_interposer_wafers_makes_wafers_x_packages_per_wafer_over_packaging_units():
    """100 interposer wafers a week, 10 package sites a wafer, 2 sites a package: 500 packages a week."""
    model = minimal(fleet={"acc": 10000})
    pkg = next(n for n in model.nodes if n.id == "packager")
    pkg.capacity, pkg.packages_per_wafer = pkg.capacity.model_validate(100), 10.0
    model.products["acc"].bom.packaging_units = 2.0
    _packages_delivered_at_500_a_week(model)


def _sources(shares: dict, rules=()):
    """Sources (id -> edge share; c in CN, the others in US) -> a make-to-order depot -> 2 a day; the depot's orders."""
    model = topo([{"id": k, "kind": "source", "makes": ["widget"], "country": "CN" if k == "c" else "US"} for k in shares]
                 + [{"id": "depot", "kind": "stock", "item": "widget", "policy": "make_to_order"},
                    {"id": "cust", "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": 2}}],
                 [{"from": k, "to": "depot", "product": "widget", "transport": 1, "share": v} for k, v in shares.items()]
                 + [{"from": "depot", "to": "cust", "product": "widget", "transport": 1}])
    o = simulate(model, {**SC, "end": "2022-06-30", "controls": list(rules)}).orders
    return o[o["customer"] == "depot"]


def test_a_supplier_with_share_0_gets_no_order_line():
    o = _sources({"a": 1.0, "b": 0.0})
    assert len(o) > 100 and set(o["supplier"]) == {"a"}


def test_open_suppliers_all_of_share_0_split_a_banned_suppliers_orders_equally():
    """c, the only supplier with a share, is banned: a and b (share 0 each) take half of each need, 1 a day each."""
    ban = {"id": "ban", "announced": "2022-01-01", "effective": "2022-01-01", "action": "ban",
           "scope": {"supplier_countries": ["CN"]}}
    o = _sources({"a": 0.0, "b": 0.0, "c": 1.0}, [ban])
    by_day = o.groupby(["ordered", "supplier"])["qty"].sum().unstack()
    assert len(by_day) > 100 and list(by_day) == ["a", "b"]
    assert (by_day == 1.0).all().all()


@pytest.mark.filterwarnings("ignore::supplychain.errors.ScenarioWarning")  # the idle rule, warned about
@pytest.mark.parametrize("rules", [(), (IDLE_RULE,)])
def test_an_edge_share_that_drops_to_0_and_comes_back_splits_by_the_days_share(rules):
    """a's share is 1, 0 from 2022-03-02 (day 60) to 2022-04-01 (day 90), 1 again from 2022-04-02: the order
    of day 60 goes to b alone, as every order up to day 90; the day before and the day after they split
    evenly. A share back where it started is not a constant one; with a rule in force, the split kept for
    a stretch of unchanged shares ends on the day a share changes, not the day after."""
    a = {"points": {"2022-03-01": 1, "2022-03-02": 0, "2022-04-01": 0, "2022-04-02": 1}}
    o = _sources({"a": a, "b": 1.0}, rules)
    by_day = o.groupby(["ordered", "supplier"])["qty"].sum().unstack(fill_value=0.0)
    assert by_day.loc[59].tolist() == pytest.approx([1.0, 1.0])
    assert (by_day.loc[60:90, "a"] == 0).all() and by_day.loc[60:90, "b"].tolist() == pytest.approx([2.0] * 31)
    assert by_day.loc[91].tolist() == pytest.approx([1.0, 1.0])


def test_a_fab_limited_by_its_tools_is_not_limited_in_the_unconstrained_counterfactual():
    """A fab of 10 wafers a week with an expansion plan (0.1 tools of 100) caps nothing when unconstrained:
    lead times stay the slowest BOM path, as `test_unconstrained_accelerator_lead_time_is_the_slowest_bom_path`."""
    model = minimal()
    fab = next(n for n in model.nodes if n.id == "fab")
    fab.capacity = fab.capacity.model_validate(10)
    o = simulate(model, {"name": "u", "end": "2024-12-31", "unconstrained": True}).orders
    lab = o[(o["kind"] == "lab") & o["delivered"].notna()]
    assert len(lab) > 50 and lab["lead_time_days"].max() <= 150 + 5 + 40 + 2 + 28 + 3 + 7


def test_a_fab_orders_tools_a_year_ahead_of_its_plan_so_its_capacity_follows_the_plan():
    """Planned 2,000 wafers a week rising linearly to 6,000 two years on: once the first tools ordered a
    year ahead have come (the toolmaker's 180 days and its queue), capacity is the plan every week."""
    model = minimal(fleet={"acc": 10000})
    fab = next(n for n in model.nodes if n.id == "fab")
    fab.capacity = fab.capacity.model_validate({"points": {"2022-01-01": 2000, "2024-01-01": 6000}})
    r = simulate(model, {"name": "t", "end": "2024-12-31", "labs": {"lifetime_years": 100}})
    weeks = r.nodes[(r.nodes["node"] == "fab") & (r.nodes["day"] >= 400)]
    plan = 2000 + 4000 * weeks["day"].clip(upper=730) / 730
    assert weeks["capacity_per_week"].to_numpy() == pytest.approx(plan.to_numpy(), rel=1e-9)


def test_a_cycle_time_stretched_to_a_whole_number_of_days_up_to_rounding_takes_that_many_days():
    """A 100-day grid build x a power delay of 1.1 is 110.00000000000001 in floats: 110 whole days, not 111."""
    model = graph_to_model(load_topology(ROOT / "tests" / "data" / "two_labs.yaml"))
    grid_us = next(n for n in model.nodes if n.id == "grid_us")
    grid_us.cycle_time = grid_us.cycle_time.model_validate(100)
    shock = {"id": "d", "kind": "power_delay", "start": "2023-01-01", "duration_days": 100, "multiplier": 1.1,
             "target": {"kinds": ["grid"]}}
    w = World(model, Scenario.model_validate({"name": "s", "end": "2024-12-31", "shocks": [shock]}), 0)
    grid = w.net.ids.index("grid_us")
    assert w.net.cycle[grid, 400] * w.net.ct_mult[grid, 400] > 110.0
    assert (w.production.cap.lag[364, grid], w.production.cap.lag[400, grid]) == (100, 110)


@pytest.mark.parametrize("few", [True, False])
def test_a_capacity_shock_scales_a_fab_held_to_its_tools(monkeypatch, few):
    """An equipment ban holds fab_cn at its 10 start tools (1,000 wafers a week of a plan rising to 5,000):
    a capacity shock of 0.5 halves that to 500 while it lasts, not the plan to 2,500 (which the tools would
    cap at 1,000). Both of `Capacity.today`'s paths: Python floats for a few tooled nodes, numpy for many."""
    monkeypatch.setattr(capacity, "_FEW_TOOLED", 8 if few else 0)
    eq = {"id": "eq", "announced": "2022-01-01", "effective": "2022-01-01", "action": "equipment",
          "scope": {"destinations": ["CN"]}}
    shock = {"id": "s", "kind": "capacity", "start": "2024-06-01", "duration_days": 100, "multiplier": 0.5,
             "target": {"countries": ["CN"], "kinds": ["fab"]}}
    nodes = run(eq, shocks=[shock]).nodes
    cap = nodes[nodes["node"] == "fab_cn"].set_index("day")["capacity_per_week"]
    assert cap.loc[cap.index < 882].iloc[-1] == pytest.approx(1000, rel=0.01)  # 2024-06-01 is day 882
    assert cap.loc[900:970].to_numpy() == pytest.approx(500, rel=0.01)
    assert cap.iloc[-1] == pytest.approx(1000, rel=0.01)
