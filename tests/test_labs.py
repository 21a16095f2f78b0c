"""Labs: training compute, generations, RSI feedback, power limit, ordering to target."""

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.engine.labs import H100_FLOPS
from supplychain.results import simulate
from supplychain.topology import parse_topology, read_yaml

from conftest import ROOT


def minimal(**lab_fields):
    data = read_yaml(ROOT / "topology" / "minimal.yaml")
    for node in data["nodes"]:
        if node["id"] == "lab":
            node.update(lab_fields)
            if "target_h100e" in lab_fields and lab_fields["target_h100e"] is None:
                node.pop("target_h100e")
    return parse_topology(data)


def scenario(**over):
    base = {
        "name": "labs",
        "end": "2025-12-31",
        "labs": {"utilisation": 0.5, "training_fraction": 0.1, "lifetime_years": 100, "commissioning_days": 30},
        "algorithms": {"efficiency_growth": 1.0},
        "generations": {"requirement_0": 1e24, "scale": 4.0, "min_training_days": 0},
    }
    base.update(over)
    return base


def test_generation_release_matches_compute_requirement():
    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    r = simulate(model, scenario())
    daily = 10000 * H100_FLOPS * 0.5 * 0.1 * 86400
    g = r.generations.set_index("generation")
    first = math.ceil(1e24 / daily) - 1
    assert g.loc[0, "day"] == first
    assert g.loc[1, "day"] == first + math.ceil(4e24 / daily)


def test_rsi_gain_shortens_the_next_generation():
    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    plain = simulate(model, scenario()).generations.set_index("generation")
    rsi = simulate(model, scenario(rsi={"gain": 2.0, "gain_growth": 1.0})).generations.set_index("generation")
    assert rsi.loc[0, "day"] == plain.loc[0, "day"]
    assert rsi.loc[1, "training_days"] == pytest.approx(plain.loc[1, "training_days"] / 2, abs=1)
    assert rsi.loc[1, "rsi_multiplier"] == 2.0


def test_algorithmic_efficiency_speeds_up_training():
    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    slow = simulate(model, scenario()).generations
    fast = simulate(model, scenario(algorithms={"efficiency_growth": 3.0})).generations
    assert len(fast) > len(slow)


def test_min_training_days_holds_a_release_back():
    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    g = simulate(model, scenario(generations={"requirement_0": 1e20, "scale": 2, "min_training_days": 50})).generations
    assert (g["training_days"] >= 50).all()


def test_unpowered_accelerators_are_stranded_until_power_arrives():
    model = minimal(fleet={"acc": 1000}, power_mw=2.0,
                    target_h100e={"points": {"2022-01-01": 1000, "2022-06-01": 50000}})
    r = simulate(model, scenario(end="2024-12-31"))
    f = r.fleet
    assert f["stranded_h100e"].max() > 0
    # installed power never exceeds what the lab has
    assert (f["power_used_mw"] <= f["power_mw"] + 1e-6).all()
    # stranded accelerators get installed once grid power is delivered
    assert f["installed_h100e"].iloc[-1] > 20000


def test_labs_order_up_to_target_counting_installed_and_on_order():
    model = minimal(fleet={"acc": 10000}, target_h100e={"points": {"2022-01-01": 10000, "2023-01-01": 60000}})
    r = simulate(model, scenario(end="2024-06-30", unconstrained=True))
    o = r.orders[r.orders["kind"] == "lab"]
    # ordered in total what the target adds (no double counting of what is on order)
    assert o["qty"].sum() == pytest.approx(50000, rel=0.01)
    assert r.fleet["installed_h100e"].iloc[-1] == pytest.approx(60000, rel=0.01)


def test_initial_fleet_retires_over_its_lifetime():
    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    r = simulate(model, scenario(end="2027-12-31", labs={"lifetime_years": 4.0}))
    f = r.fleet.set_index("day")["installed_h100e"]
    assert f.iloc[0] == 10000
    assert f.iloc[-1] == pytest.approx(0, abs=1e-6)
    mid = f.loc[f.index[f.index >= 2 * 365.25][0]]
    assert mid == pytest.approx(5000, rel=1e-6)


def test_delivered_accelerators_retire_a_lifetime_after_commissioning():
    """Each delivery retires `commissioning_days + lifetime_years` after it arrived, in full, in
    due order, before anything reads the lab's fleet: the lab keeps its retirements in a queue
    that the daily step and the lab's reviews empty of what is due, so each is applied at its
    due instant or at the first read after it (the next daily step at the latest)."""
    from supplychain.engine import World
    from supplychain.scenario_schema import Scenario

    model = minimal(fleet={}, power_mw=1e6, target_h100e={"points": {"2022-01-01": 1000, "2024-01-01": 40000}})
    sc = Scenario.model_validate(scenario(end="2025-12-31", labs={"lifetime_years": 0.5, "commissioning_days": 30,
                                                                  "utilisation": 0.5, "training_fraction": 0.1}))
    w = World(model, sc, 0)
    arrived, log = [], []  # log: ("retire", time, units) and ("read", time) in the order they happen
    delivered, retire = w.labs.delivered, w.labs.retire
    w.labs.delivered = lambda j, sku, units, now, order=None: (arrived.append((now, units)), delivered(j, sku, units, now, order))[1]
    w.labs.retire = lambda j, sku, units: (log.append(("retire", w.env.now, units)), retire(j, sku, units))[1]
    step, review = w.production.step, w._review_lab  # what reads the fleet: the daily step and reviews
    w.production.step = lambda day: (log.append(("read", w.env.now)), step(day))[1]
    w._review_lab = lambda j: (review(j), log.append(("read", w.env.now)))[0]
    w.run()
    life = 30 + 0.5 * 365.25
    due = [(t + life, u) for t, u in arrived if t + life < w.net.days]
    retired = [(k, e[1], e[2]) for k, e in enumerate(log) if e[0] == "retire"]
    assert len(due) > 20
    assert len(retired) == len(due)
    assert [u for _, _, u in retired] == pytest.approx([u for _, u in due], rel=1e-12)
    for (k, applied, _), (when, _) in zip(retired, due):
        assert when - 1e-9 <= applied <= math.floor(when) + 1  # at its instant or the next daily step
        # nothing read the fleet between the due instant and the retirement
        assert not [e for e in log[:k] if e[0] == "read" and e[1] >= when]
    assert w.labs.retired_units == pytest.approx(sum(u for _, u in due), rel=1e-9)


def test_accelerators_stranded_for_a_whole_lifetime_retire_from_the_waiting_queue():
    """A delivery retires a lifetime after its commissioning ends whether or not it was ever
    powered: with no power to speak of, every due delivery leaves the waiting (stranded)
    queue, and only the deliveries not yet due still wait at the end."""
    from supplychain.engine import World
    from supplychain.scenario_schema import Scenario

    data = read_yaml(ROOT / "topology" / "minimal.yaml")
    for node in data["nodes"]:
        if node["id"] == "lab":
            node.update(fleet={}, power_mw=0.0, target_h100e={"points": {"2022-01-01": 1000, "2023-01-01": 40000}})
        if node["id"] == "grid":
            node["capacity"] = 1e-6  # MW a year: next to nothing ever arrives
    sc = Scenario.model_validate(scenario(end="2025-12-31", labs={"lifetime_years": 0.5, "commissioning_days": 30,
                                                                  "utilisation": 0.5, "training_fraction": 0.1}))
    w = World(parse_topology(data), sc, 0)
    arrived = []
    delivered = w.labs.delivered
    w.labs.delivered = lambda j, sku, units, now, order=None: (arrived.append((now, units)), delivered(j, sku, units, now, order))[1]
    w.run()
    life = 30 + 0.5 * 365.25
    due = sum(u for t, u in arrived if t + life < w.net.days)
    young = sum(u for t, u in arrived if t + life >= w.net.days)
    st = w.labs.states[0]
    assert due > 1000 and sum(st.installed.values()) < 1.0  # stranded, never installed
    assert w.labs.retired_units == pytest.approx(due, rel=1e-6)
    assert sum(lot[2] for lot in st.waiting) == pytest.approx(young, rel=1e-6, abs=1e-6)
    assert st.waiting_h100e == pytest.approx(young * w.net.products["acc"].h100e, rel=1e-6, abs=1e-6)


@pytest.fixture(scope="module", params=["shares over time", "constant shares"])
def default_labs(request):
    """Labs of the default network, as it is (edge shares change over time) and with every
    share held at its first value (the case where offer mixes are kept per sale window)."""
    from supplychain.engine.labs import Labs
    from supplychain.engine.network import compile_network
    from supplychain.scenario import load_scenario

    res = load_scenario(ROOT / "policies" / "baseline.yaml")
    data = read_yaml(ROOT / "topology" / "default.yaml")
    if request.param == "constant shares":
        for e in data["edges"]:
            if isinstance(e.get("share"), dict):
                e["share"] = next(iter(e["share"]["points"].values()))
    net = compile_network(parse_topology(data), res.scenario)
    assert net.constant_shares == (request.param == "constant shares")
    return Labs(net, res.scenario)


@settings(max_examples=200, deadline=None)
@given(day=st.integers(-10, 6000), ahead=st.sampled_from([0.0, 90.0, 365.0, 3000.0]), j=st.integers(0, 2))
def test_offer_mix_is_the_sale_window_rule_written_plainly(default_labs, day, ahead, j):
    """The SKUs a lab orders: its vendors' SKUs on sale `ahead` days on, by edge share, normalised;
    the kept mixes (per sale-window interval) agree with that rule on every day."""
    labs = default_labs
    net = labs.net
    j = j % len(labs.nodes)
    today = max(day, 0) + ahead
    d = min(max(day, 0), net.days - 1)
    on = [(f, float(f.share[d])) for f in labs.acc_flows[j]
          if labs.sale_days[f.product][0] <= today < labs.sale_days[f.product][1] and f.share[d] > 0]
    total = sum(s for _, s in on)
    want = [(f.index, s / total) for f, s in on]
    got = labs.sku_offers(j, day, ahead)
    assert [f.index for f, _, _ in got] == [k for k, _ in want]
    assert [s for _, _, s in got] == pytest.approx([s for _, s in want])
    _, kw = labs._offer_mix(j, day, ahead)
    assert kw == pytest.approx(sum(s / total * net.products[f.product].power_kw / net.products[f.product].h100e for f, s in on))


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
    flow's x horizon / its quote, over kW per H100e."""
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
    w.labs.on_order(j, 0, "acc", -2000.0, pending=False)  # delivered: waiting for installation now
    assert room(j, 0, quotes.get, 540.0) == pytest.approx((40 + 50 - 17 - 3 - 3.4 - 1.7) * 1000 / 1.7)
    st.used_mw = 100.0
    assert room(j, 0, quotes.get, float("inf")) == 0.0, "no room is no order, never a negative one"


def test_power_awareness_is_off_in_the_unconstrained_counterfactual():
    """Supply limits lifted means power too: the counterfactual orders to the target."""
    model = _no_grid(1e-3)
    labs = {"utilisation": 0.5, "training_fraction": 0.1, "lifetime_years": 100, "commissioning_days": 30}
    free = simulate(model, scenario(end="2023-12-31", unconstrained=True, labs={**labs, "power_aware": True}))
    plain = simulate(model, scenario(end="2023-12-31", unconstrained=True, labs=labs))
    assert free.orders.query("kind == 'lab'")["qty"].sum() > 100000
    pd.testing.assert_frame_equal(free.orders, plain.orders)


def test_compounding_rsi_saturates_instead_of_overflowing():
    """Gain 101 growing x10 a release over 100 cheap generations passes every field's bound but would
    overflow the multiplier (inf FLOP, numpy warnings); it saturates at RSI_CAP and the run is clean."""
    import warnings

    from supplychain.engine.labs import RSI_CAP

    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    sc = scenario(end="2024-12-31", rsi={"gain": 101.0, "gain_growth": 10.0},
                  generations={"requirement_0": 1e22, "scale": 1.0001, "min_training_days": 1, "max_generations": 100})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = simulate(model, sc).generations
    assert len(g) == 100 and g["rsi_multiplier"].max() == RSI_CAP
    assert (g["day"].diff().dropna() >= 1).all()
