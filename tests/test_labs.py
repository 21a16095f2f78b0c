"""Labs: training compute, generations, RSI feedback, power limit, ordering to target."""

import math

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


def test_a_lab_that_never_powered_a_sku_retires_its_deliveries_from_the_waiting_queue():
    """A lab with no grid and no power installs nothing, so it has no installed units of the SKU
    when its first delivery comes due: that delivery leaves the waiting queue (it raised a
    KeyError: retirement took the installed units of a SKU with no entry)."""
    from supplychain.engine import World, check_invariants
    from supplychain.scenario_schema import Scenario

    data = read_yaml(ROOT / "topology" / "minimal.yaml")
    for node in data["nodes"]:
        if node["id"] == "lab":
            node.update(fleet={}, power_mw=0.0, target_h100e={"points": {"2022-01-01": 1000, "2023-01-01": 40000}})
    data["nodes"] = [n for n in data["nodes"] if n["id"] != "grid"]
    data["edges"] = [e for e in data["edges"] if e["from"] != "grid"]
    sc = Scenario.model_validate(scenario(end="2024-12-31", labs={"lifetime_years": 0.5, "commissioning_days": 30}))
    w = World(parse_topology(data), sc, 0)
    arrived = []
    delivered = w.labs.delivered
    w.labs.delivered = lambda j, sku, units, now, order=None: (arrived.append((now, units)), delivered(j, sku, units, now, order))[1]
    w.run()
    check_invariants(w)
    due = sum(u for t, u in arrived if t + 30 + 0.5 * 365.25 < w.net.days)
    assert due > 1000 and w.labs.installed_units == 0.0
    assert w.labs.retired_units == pytest.approx(due, rel=1e-6)
