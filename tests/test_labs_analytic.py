"""The labs' contract computed by hand: release dates with efficiency growth and growing RSI gains (a
day-by-day sum and the continuous closed form), and the stranded fleet under a fixed power limit."""

import math

import numpy as np
import pytest

from supplychain.engine.training import H100_FLOPS
from supplychain.results import simulate
from supplychain.topology import parse_topology, read_yaml

from _labs import minimal, scenario
from conftest import ROOT


def test_release_dates_of_three_generations_with_efficiency_growth_and_growing_rsi_gains():
    """g0, g1, g2 by hand: generation g needs req x s^g of effective compute, summed day by day
    from the previous release's day (g0 from day 0), and is released the day after the sum reaches it, at a(t) = G^(t / 365.25) and the
    multiplier of the gains of the releases before it, 1 + (gain - 1) x growth^k: 1, 2, 2 x 2.5.
    Against the continuous closed form, G^(t_g / Y) = G^(t_(g-1) / Y) + req s^g ln G / (c Y R_g)
    for a constant fleet, the dates agree within the start fleet's retirement and whole days."""
    G, gain, growth, req, s = 3.0, 2.0, 1.5, 3e25, 4.0
    g = simulate(minimal(fleet={"acc": 10000}, target_h100e=None),
                 scenario(end="2025-12-31", algorithms={"efficiency_growth": G}, rsi={"gain": gain, "gain_growth": growth},
                          generations={"requirement_0": req, "scale": s, "min_training_days": 0})).generations
    days = np.arange(1461)
    fleet = 10000 - 100 * np.floor(days / 365.25 + 0.5)  # the start fleet retires a hundredth a year
    daily = fleet * H100_FLOPS * 0.5 * 0.1 * 86400 * G ** (days / 365.25)
    c, year = 10000 * H100_FLOPS * 0.5 * 0.1 * 86400, 365.25
    want, rsi, first, t = [], [1.0, 2.0, 5.0], 0, 0.0
    for k in range(3):
        day = first + int(np.argmax(np.cumsum(daily[first:] * rsi[k]) >= req * s**k))
        want.append(day + 1)  # released the next morning, whose compute goes to the next generation
        first = day + 1
        t = year * math.log(G ** (t / year) + req * s**k * math.log(G) / (c * year * rsi[k]), G)
        assert day == pytest.approx(t, rel=0.01)
    assert g["day"].iloc[:3].tolist() == want
    assert g["rsi_multiplier"].iloc[:3].tolist() == rsi
    assert g["requirement_flop"].iloc[:3].tolist() == [req, req * s, req * s * s]


def test_stranded_is_what_finished_commissioning_beyond_the_power_and_still_counts_as_ordered():
    """A lab with 5 MW and no grid runs 5,000 / 1.7 accelerators: each week installed = min(commissioned,
    2,941) and stranded = commissioned - installed, where commissioned is every delivery 30 days after
    it arrived; the stranded ones count in its position, so it orders its target once. Unconstrained,
    the power limit is lifted: everything commissioned runs."""
    from supplychain.engine import World
    from supplychain.engine.record import build_tables
    from supplychain.scenario_schema import Scenario

    data = read_yaml(ROOT / "topology" / "minimal.yaml")
    for node in data["nodes"]:
        if node["id"] == "lab":
            node.update(fleet={}, power_mw=5.0, target_h100e={"points": {"2022-01-01": 1000, "2023-01-01": 20000}})
    data["nodes"] = [n for n in data["nodes"] if n["id"] != "grid"]
    data["edges"] = [e for e in data["edges"] if e["from"] != "grid"]
    for free in (False, True):
        w = World(parse_topology(data), Scenario.model_validate(scenario(end="2023-12-31", unconstrained=free)), 0)
        arrived = []
        delivered = w.labs.delivered
        w.labs.delivered = lambda j, sku, units, now, order: (arrived.append((now, units)), delivered(j, sku, units, now, order))[1]
        w.run()
        tables = build_tables(w)
        f, o = tables["fleet"], tables["orders"]
        t = np.array(arrived)
        ready = np.array([t[t[:, 0] + 30 <= d, 1].sum() for d in f["day"]])
        runs = ready if free else np.minimum(ready, 5.0 * 1000 / 1.7)
        assert ready[-1] == pytest.approx(20000, rel=1e-9)
        assert f["installed_h100e"].to_numpy() == pytest.approx(runs, abs=1e-6)
        assert f["stranded_h100e"].to_numpy() == pytest.approx(ready - runs, abs=1e-6)
        assert o.loc[o["kind"] == "lab", "qty"].sum() == pytest.approx(20000, rel=1e-9)
        assert free or f["stranded_h100e"].iloc[-1] == pytest.approx(20000 - 5000 / 1.7, rel=1e-9)


def test_power_needed_counts_the_fleet_the_accelerators_waiting_and_on_order_and_the_rest_of_the_target():
    """`power_need_mw`: (MW the installed fleet draws + MW of what waits or is on order + the target
    left beyond installed, waiting and on order at the mix's kW per H100e) x `power_headroom`. 1,000
    installed, 500 delivered and waiting, 200 on order, a target of 2,000: the rest is 300 H100e,
    and each accelerator is 1 H100e at 1.7 kW."""
    from supplychain.engine import World
    from supplychain.scenario_schema import Scenario

    w = World(minimal(fleet={"acc": 1000}, power_mw=10.0), Scenario.model_validate(scenario()), 0)
    labs, flow = w.labs, w.labs.acc_flows[0][0]
    p = w.net.products["acc"]
    assert (p.h100e, p.power_kw) == (1.0, 1.7)
    labs.on_order(0, flow.index, "acc", 700.0)
    labs.delivered(0, "acc", 500.0, 0.0, w._new("lab", flow, "acc", 500.0, 0.0, lab=flow.customer))
    headroom = labs.review_policy[0].power_headroom
    need = (1000 + 500 + 200 + 300) * 1.7 / 1000 * headroom
    assert labs.power_need_mw(0, 0.0, 2000.0) == pytest.approx(need, rel=1e-12)
    # a target below the position adds nothing: what draws or will draw is all
    assert labs.power_need_mw(0, 0.0, 1000.0) == pytest.approx(1700 * 1.7 / 1000 * headroom, rel=1e-12)


@pytest.mark.parametrize("lot, due", [(100.0, 100.0), (0.1 + 0.2, 0.3)])
def test_a_stranded_lot_retired_whole_leaves_no_empty_lot_ahead_of_the_next_delivery(lot, due):
    """A lab without power: a lot delivered on day 0 (ready on day 30) strands and retires whole from the
    waiting queue (0.1 + 0.2 against 0.3 due: within rounding, whole). Power then comes for 50 units,
    and a lot of 50 delivered on day 10 is installed on day 40, the day its commissioning ends: nothing
    of the retired lot is left at the front of the queue to hold it back."""
    from supplychain.engine import World
    from supplychain.scenario_schema import Scenario

    w = World(minimal(fleet={}, power_mw=0.0), Scenario.model_validate(scenario()), 0)
    labs, flow = w.labs, w.labs.acc_flows[0][0]
    st = labs.states[0]
    for qty, day in ((lot, 0.0), (50.0, 10.0)):
        labs.on_order(0, flow.index, "acc", qty)
        labs.delivered(0, "acc", qty, day, w._new("lab", flow, "acc", qty, day, lab=flow.customer))
    assert labs.install_ready(0, 30) == 0.0  # no power: stranded
    assert labs.retire(0, "acc", due) == pytest.approx(due)
    assert [(ready, units) for ready, _, units, _ in st.waiting] == [(40.0, 50.0)]
    st.power_mw = 50 * 1.7 / 1000
    assert labs.install_ready(0, 40) == pytest.approx(50.0)
    assert not st.waiting and st.installed["acc"] == pytest.approx(50.0)


def test_the_stranded_rest_of_a_partly_installed_lot_retires_whole_and_later_deliveries_install():
    """A lab of 33,000 accelerators (1.7 kW each) at its power gets 1,000 more and power for 300 of
    them: 300 install, 700 strand. The start fleet retires in three tranches of 11,000, then the lot
    itself: 1,000 due, the installed units first, the rest from the waiting queue. Nothing of the lot
    is left (the sums' rounding left 1e-12 units at the front of the queue, which no power fits), so
    100 delivered later install in full on the day their commissioning ends."""
    from supplychain.engine import World
    from supplychain.scenario_schema import Scenario

    fleet = 33000.0
    w = World(minimal(fleet={"acc": fleet}, power_mw=fleet * 1.7 / 1000), Scenario.model_validate(scenario()), 0)
    labs, flow = w.labs, w.labs.acc_flows[0][0]
    st = labs.states[0]

    def deliver(qty, day):
        labs.on_order(0, flow.index, "acc", qty)
        labs.delivered(0, "acc", qty, day, w._new("lab", flow, "acc", qty, day, lab=flow.customer))

    deliver(1000.0, 0.0)
    st.power_mw += 0.3 * 1000.0 * 1.7 / 1000
    assert labs.install_ready(0, 30) == pytest.approx(300.0)
    for _ in range(3):
        labs.retire(0, "acc", fleet / 3)
    labs.retire(0, "acc", 1000.0)
    assert not st.waiting and st.installed["acc"] == pytest.approx(0.0, abs=1e-6)
    deliver(100.0, 40.0)
    assert labs.install_ready(0, 70) == pytest.approx(100.0)
    assert not st.waiting and st.installed["acc"] == pytest.approx(100.0)


def test_a_rounding_residue_at_the_front_of_the_waiting_queue_does_not_hold_later_deliveries():
    """Whatever leaves a lot of under 1e-9 units first in line (a sum's rounding), it installs whole
    and the deliveries behind it install as their power allows; before, no power ever 'fitted' it and
    every later delivery of that lab stayed stranded to the end of the run."""
    from supplychain.engine import World
    from supplychain.scenario_schema import Scenario

    w = World(minimal(fleet={"acc": 10.0}, power_mw=10 * 1.7 / 1000), Scenario.model_validate(scenario()), 0)
    labs, flow = w.labs, w.labs.acc_flows[0][0]
    st = labs.states[0]
    labs.on_order(0, flow.index, "acc", 100.0)
    labs.delivered(0, "acc", 100.0, 0.0, w._new("lab", flow, "acc", 100.0, 0.0, lab=flow.customer))
    ready = st.waiting[0][0]
    st.waiting.appendleft((ready, "acc", 4e-13, None))
    st.power_mw += 60 * 1.7 / 1000
    assert labs.install_ready(0, int(ready)) == pytest.approx(60.0)
    assert [round(lot[2], 6) for lot in st.waiting] == [40.0]
