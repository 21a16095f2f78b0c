"""Labs: training compute, generations, RSI feedback, power limit, ordering to target."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.engine.training import H100_FLOPS
from supplychain.errors import ScenarioWarning
from supplychain.results import simulate
from supplychain.topology import parse_topology, read_yaml

from _labs import minimal, scenario
from conftest import ROOT


def test_generation_release_matches_compute_requirement():
    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    r = simulate(model, scenario())
    daily = 10000 * H100_FLOPS * 0.5 * 0.1 * 86400
    g = r.generations.set_index("generation")
    # a generation is released on the first day that starts with its compute done, so its
    # training_days are the whole days of compute it needed; the first generation's too
    days0, days1 = math.ceil(1e24 / daily), math.ceil(4e24 / daily)
    assert (g.loc[0, "started_day"], g.loc[0, "day"], g.loc[0, "training_days"]) == (0, days0, days0)
    assert (g.loc[1, "started_day"], g.loc[1, "day"], g.loc[1, "training_days"]) == (days0, days0 + days1, days1)


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


def test_a_review_sees_the_target_at_its_horizon_today_and_at_its_power_horizon():
    """`review_targets`: the planned fleet `horizon_days` ahead (what the lab orders toward), today, and
    `power_horizon_days` ahead (what it orders power for), each on its whole day, past the last point the
    last, times today's demand multiplier. A target growing 1,000 H100e a day to 730,000 (2024-01-01)."""
    from supplychain.engine import World
    from supplychain.scenario_schema import Scenario

    model = minimal(target_h100e={"points": {"2022-01-01": 0, "2024-01-01": 730000}})
    labs = {"utilisation": 0.5, "training_fraction": 0.1, "horizon_days": 270, "power_horizon_days": 500}
    w = World(model, Scenario.model_validate(scenario(end="2024-12-31", labs=labs, demand={"multiplier": 2.0})), 0)
    assert w.labs.review_targets(0, 100.0) == pytest.approx((2 * 370e3, 2 * 100e3, 2 * 600e3))
    assert w.labs.review_targets(0, 400.5) == pytest.approx((2 * 670e3, 2 * 400e3, 2 * 730e3))


@pytest.mark.parametrize(("lifetime", "end"), [(0.5, "2025-12-31"), (4.0, "2027-12-31")])
def test_delivered_accelerators_retire_a_lifetime_after_commissioning(lifetime, end):
    """Each delivery retires `commissioning_days + lifetime_years` after it arrived, in full, in
    due order, before anything reads the lab's fleet: the lab keeps its retirements in a queue
    that the daily step and the lab's reviews empty of what is due, so each is applied at its
    due instant or at the first read after it (the next daily step at the latest). A lifetime of
    4 years is 1,461 days: deliveries on whole days retire on a daily step's instant, before it reads."""
    from supplychain.engine import World
    from supplychain.scenario_schema import Scenario

    model = minimal(fleet={}, power_mw=1e6, target_h100e={"points": {"2022-01-01": 1000, "2024-01-01": 40000}})
    sc = Scenario.model_validate(scenario(end=end, labs={"lifetime_years": lifetime, "commissioning_days": 30,
                                                         "utilisation": 0.5, "training_fraction": 0.1}))
    w = World(model, sc, 0)
    if lifetime == 4.0:  # the vendor -> lab transport (7-28 days, triangular) fixed at 14: deliveries on whole days
        w.fixed_transport = [14.0 if t is None else t for t in w.fixed_transport]
    arrived, log = [], []  # log: ("retire", time, units) and ("read", time) in the order they happen
    delivered, retire = w.labs.delivered, w.labs.retire
    w.labs.delivered = lambda j, sku, units, now, order: (arrived.append((now, units)), delivered(j, sku, units, now, order))[1]
    w.labs.retire = lambda j, sku, units: (log.append(("retire", w.env.now, units)), retire(j, sku, units))[1]
    step, review = w.production.step, w._review_lab  # what reads the fleet: the daily step and reviews
    w.production.step = lambda day: (log.append(("read", w.env.now)), step(day))[1]
    w._review_lab = lambda j: (review(j), log.append(("read", w.env.now)))[0]
    w.run()
    life = 30 + lifetime * 365.25
    due = [(t + life, u) for t, u in arrived if t + life < w.net.days]
    retired = [(k, e[1], e[2]) for k, e in enumerate(log) if e[0] == "retire"]
    assert len(due) > 20
    if lifetime == 4.0:
        assert all(float(when).is_integer() for when, _ in due)
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
            node.update(fleet={}, power_mw=0.0, target_h100e={"points": {"2022-01-01": 1000, "2023-01-01": 40000},
                                                                     "growth": 1.0})  # deliveries to the end
        if node["id"] == "grid":
            node["capacity"] = 1e-6  # MW a year: next to nothing ever arrives
    sc = Scenario.model_validate(scenario(end="2025-12-31", labs={"lifetime_years": 0.5, "commissioning_days": 30,
                                                                  "utilisation": 0.5, "training_fraction": 0.1}))
    w = World(parse_topology(data), sc, 0)
    arrived = []
    delivered = w.labs.delivered
    w.labs.delivered = lambda j, sku, units, now, order: (arrived.append((now, units)), delivered(j, sku, units, now, order))[1]
    w.run()
    life = 30 + 0.5 * 365.25
    due = sum(u for t, u in arrived if t + life < w.net.days)
    young = sum(u for t, u in arrived if t + life >= w.net.days)
    st = w.labs.states[0]
    assert due > 1000 and sum(st.installed.values()) < 1.0  # stranded, never installed
    assert w.labs.retired_units == pytest.approx(due, rel=1e-6)
    assert sum(lot[2] for lot in st.waiting) == pytest.approx(young, rel=1e-6, abs=1e-6)
    assert st.waiting_h100e == pytest.approx(young * w.net.products["acc"].h100e, rel=1e-6, abs=1e-6)
    # and the power they were to draw is no longer pending: only what waits or is on order (1.7 kW each) is
    assert st.pending_mw == pytest.approx((young + st.on_order_h100e) * 1.7 / 1000.0, rel=1e-6, abs=1e-9)
    ready = [lot[0] for lot in st.waiting]  # what still waits, in the order it became ready
    assert len(ready) > 1 and ready == sorted(ready)


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


def test_compounding_rsi_saturates_instead_of_overflowing():
    """Gain 101 growing x10 a release over 100 cheap generations passes every field's bound but would
    overflow the multiplier (inf FLOP, numpy warnings); it saturates at RSI_CAP and the run is clean."""
    import warnings

    from supplychain.engine.training import RSI_CAP

    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    sc = scenario(end="2024-12-31", rsi={"gain": 101.0, "gain_growth": 10.0},
                  generations={"requirement_0": 1e22, "scale": 1.0001, "min_training_days": 1, "max_generations": 100})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = simulate(model, sc).generations
    assert len(g) == 100 and g["rsi_multiplier"].max() == RSI_CAP
    assert (g["day"].diff().dropna() >= 1).all()


def test_rsi_gain_fades_by_gain_growth_release_by_release():
    """The k-th release multiplies the lab's efficiency by 1 + (gain - 1) x gain_growth^k: with
    gain 2 and growth 0.5 (the plateau story) the gains are 2, 1.5, 1.25, 1.125, so the multiplier
    each generation trains at is 1, 2, 3, 3.75, 4.21875, and each trains in
    ceil(requirement / (daily compute x multiplier)) days."""
    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    g = simulate(model, scenario(end="2027-12-31", rsi={"gain": 2.0, "gain_growth": 0.5})).generations
    g = g.set_index("generation")
    want = [1.0, 2.0, 3.0, 3.75, 4.21875]
    assert g["rsi_multiplier"].iloc[:5].tolist() == pytest.approx(want, rel=1e-12)
    daily = 10000 * H100_FLOPS * 0.5 * 0.1 * 86400  # less 1 % of the start fleet retired a year
    for k in range(1, 5):
        assert g.loc[k, "training_days"] == pytest.approx(1e24 * 4.0**k / (daily * want[k]), rel=0.05)


def test_rsi_feedback_starts_with_the_first_release_on_or_after_its_start():
    """Releases before `rsi.start` give no feedback, and the first release on or after it is
    the k = 0 one (full gain), not the k-th release of the lab."""
    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    plain = simulate(model, scenario(end="2024-12-31")).generations.set_index("generation")
    assert plain.loc[1, "day"] < 151 < plain.loc[2, "day"]  # 2022-06-01 falls between g1 and g2
    g = simulate(model, scenario(end="2025-12-31", rsi={"gain": 2.0, "gain_growth": 0.5, "start": "2022-06-01"}))
    g = g.generations.set_index("generation")
    assert g.loc[:2, "day"].tolist() == plain.loc[:2, "day"].tolist()
    assert g["rsi_multiplier"].iloc[:4].tolist() == pytest.approx([1.0, 1.0, 1.0, 2.0], rel=1e-12)


def test_algorithmic_efficiency_grows_smoothly_day_by_day():
    """a(t) = G^(t / 365.25) every day, not yearly steps: with a constant fleet the first release
    is the day after the running sum of daily compute x a(t) reaches the requirement."""
    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    req = 3e25
    g = simulate(model, scenario(end="2024-12-31", algorithms={"efficiency_growth": 3.0},
                                 generations={"requirement_0": req, "scale": 4.0, "min_training_days": 0})).generations
    days = np.arange(1096)
    # the start fleet (lifetime 100 years) retires a hundredth at each of (k + 0.5) x 365.25 days
    fleet = 10000 - 100 * np.floor(days / 365.25 + 0.5)
    daily = fleet * H100_FLOPS * 0.5 * 0.1 * 86400
    first = int(np.argmax(np.cumsum(daily * 3.0 ** (days / 365.25)) >= req))
    assert 365 < first < 1000  # past the first year, where yearly steps and smooth growth part
    assert g["day"].iloc[0] == first + 1


def test_power_is_ordered_once_for_what_the_fleet_draws_times_the_headroom():
    """With no target beyond its fleet, a lab needs the MW its installed fleet draws x
    `power_headroom`: 10,000 accelerators at 1.7 kW draw 17 MW, so a lab with 10 MW orders
    17 x 1.1 - 10 = 7.7 MW at its first review, and no more while that is on order (it counts
    the MW on order) or after it arrived. (A start fleet above its power is legal, and warned about.)"""
    model = minimal(fleet={"acc": 10000}, target_h100e=None, power_mw=10.0)
    with pytest.warns(ScenarioWarning, match="the start fleet draws 17 MW, more than the 10 MW"):
        o = simulate(model, scenario(end="2024-06-30")).orders
    power = o[o["kind"] == "power"]
    assert power["qty"].sum() == pytest.approx(17 * 1.1 - 10, rel=1e-9)
    assert power["ordered"].tolist() == [0.0]
    # the grid's one-year build, after ~1.4 days of its 2,000 MW/year and a daily step
    assert 365 <= power["delivered"].iloc[0] <= 368


def test_no_generation_past_max_generations():
    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    g = simulate(model, scenario(generations={"requirement_0": 1e22, "scale": 1.5, "min_training_days": 0,
                                              "max_generations": 3})).generations
    assert g["generation"].tolist() == [0, 1, 2]


def test_powered_accelerators_are_installed_on_the_day_their_commissioning_ends():
    """With free power and whole-day transport times every delivery lands on a whole day, and its
    accelerators run on the daily step at delivery + `commissioning_days`, not a day later."""
    data = read_yaml(ROOT / "topology" / "minimal.yaml")
    for e in data["edges"]:
        if e["to"] == "lab" and e["product"] == "acc":
            e["transport"] = {"dist": "fixed", "mean": 7}
    for node in data["nodes"]:
        if node["id"] == "lab":
            node["in_flight"] = {}
    r = simulate(parse_topology(data), scenario(end="2023-12-31", unconstrained=True))
    lab = r.orders[(r.orders["kind"] == "lab") & r.orders["installed"].notna()]
    assert len(lab) > 10
    assert (lab["delivered"] % 1 == 0).all()
    assert (lab["installed"] - lab["delivered"]).tolist() == [30.0] * len(lab)


def test_a_sku_is_offered_from_its_first_day_on_sale_to_the_day_before_it_is_discontinued(default_labs):
    """The sale window is [available, discontinued): on the first day on sale a lab may order
    the SKU (and `order_ahead_days` before it, in `orderable`), the day before it may not; on the
    last day before `discontinued` it may, on that day not."""
    labs = default_labs
    orderable = labs.orderable()
    seen = 0
    for j, flows in enumerate(labs.acc_flows):
        ahead = labs.states[j].policy.order_ahead_days
        for f in flows:
            for edge, inside, outside in ((0, 0, -1), (1, -1, 0)):
                day = labs.sale_days[f.product][edge]
                if not ahead + 2 <= day < labs.net.days - 2:  # an open end (-inf, inf) or out of the run
                    continue
                d_in, d_out = int(day) + inside, int(day) + outside
                if f.share[d_in] <= 0 or f.share[d_out] <= 0:
                    continue
                assert f.index in [x.index for x, _, _ in labs.sku_offers(j, d_in)]
                assert f.index not in [x.index for x, _, _ in labs.sku_offers(j, d_out)]
                assert orderable[f.index][int(d_in - ahead)] and not orderable[f.index][int(d_out - ahead)]
                seen += 1
    assert seen >= 5


def test_gaps_between_generations_are_taken_lab_by_lab():
    """`gap_days` is the days since the same lab's previous release (none for its first), and
    `training_days` the days since that generation started."""
    data = read_yaml(ROOT / "topology" / "minimal.yaml")
    lab = next(n for n in data["nodes"] if n["id"] == "lab")
    lab.pop("target_h100e")
    data["nodes"].append({**lab, "id": "lab2", "fleet": {"acc": 3000}})
    data["edges"].append({"from": "vendor", "to": "lab2", "product": "acc", "transport": 7})
    g = simulate(parse_topology(data), scenario()).generations
    assert set(g["lab"]) == {"lab", "lab2"} and len(g) > 4
    for name, rows in g.groupby("lab"):
        rows = rows.sort_values("generation")
        assert rows["gap_days"].iloc[0] != rows["gap_days"].iloc[0]  # NaN: no earlier release of this lab
        assert rows["gap_days"].iloc[1:].tolist() == rows["day"].diff().iloc[1:].tolist()
        assert (rows["training_days"] == rows["day"] - rows["started_day"]).all()


def test_effective_training_flops_are_the_fleets_flops_times_efficiency_and_rsi():
    """The fleet table's FLOP/s: installed H100e x 1e15 x utilisation x training fraction, and the
    effective figure that times a(t) = G^(t / 365.25) and the RSI multiplier."""
    model = minimal(fleet={"acc": 10000}, target_h100e=None)
    r = simulate(model, scenario(end="2024-12-31", algorithms={"efficiency_growth": 3.0},
                                 rsi={"gain": 2.0, "gain_growth": 1.0}))
    f = r.fleet
    assert f["training_flops"].to_numpy() == pytest.approx((f["installed_h100e"] * H100_FLOPS * 0.5 * 0.1).to_numpy(), rel=1e-12)
    rel = r.generations["day"].tolist()
    rsi = np.array([2.0 ** sum(1 for d in rel if d <= day) for day in f["day"]])
    want = f["training_flops"] * 3.0 ** (f["day"] / 365.25) * rsi
    assert (rsi > 1).any() and f["effective_training_flops"].to_numpy() == pytest.approx(want.to_numpy(), rel=1e-12)


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
    w.labs.delivered = lambda j, sku, units, now, order: (arrived.append((now, units)), delivered(j, sku, units, now, order))[1]
    w.run()
    check_invariants(w)
    due = sum(u for t, u in arrived if t + 30 + 0.5 * 365.25 < w.net.days)
    assert due > 1000 and w.labs.installed_units == 0.0
    assert w.labs.retired_units == pytest.approx(due, rel=1e-6)


def test_compounding_gains_past_a_float_saturate_without_an_error_or_a_warning():
    """101x algorithmic efficiency a year with full RSI over the longest run (100 years) passes
    1e308: an OverflowError and numpy warnings before; now infinite compute, generations keep
    coming, and the tables stay numbers."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = simulate(minimal(), scenario(end="2121-12-31", algorithms={"efficiency_growth": 101.0},
                                         rsi={"preset": "full", "start": "2023-01-01"},
                                         generations={"requirement_0": 1e24, "scale": 4.0, "min_training_days": 30,
                                                      "max_generations": 100}))
    assert r.generations["generation"].max() == 99
    assert not r.fleet.select_dtypes("number").isna().any().any()
