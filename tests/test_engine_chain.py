"""The kernel against theory on deterministic serial and assembly chains.

Unconstrained lead time = sum of cycle and transport times; throughput =
bottleneck capacity (for a kit, the scarcest input per kit); with demand
over capacity the backlog grows at demand minus capacity; mean WIP =
throughput x cycle time (Little's law).
"""

import numpy as np
import pytest

from supplychain.results import simulate

from conftest import serial_chain, topo

SC = {"name": "chain", "start": "2022-01-01", "end": "2023-12-31"}


def demand_orders(r):
    o = r.orders
    return o[(o["kind"] == "demand") & o["delivered"].notna()]


@pytest.mark.parametrize("cycle,t_in,t_out", [(10, 5, 2), (0, 3, 0), (30, 0, 7)])
def test_unconstrained_lead_time_is_sum_of_cycle_and_transport(cycle, t_in, t_out):
    r = simulate(serial_chain(None, cycle, t_in, t_out, demand_rate=3), SC)
    lead = demand_orders(r)["lead_time_days"]
    assert len(lead) > 600
    assert lead.min() == pytest.approx(cycle + t_in + t_out)
    assert lead.max() == pytest.approx(cycle + t_in + t_out)


def test_throughput_equals_bottleneck_capacity():
    cap_week = 14.0  # 2/day, demand 5/day
    r = simulate(serial_chain(cap_week, 5, 1, 1, demand_rate=5), SC)
    o = demand_orders(r)
    late = o[o["delivered"] > 365]
    per_day = late["delivered_qty"].sum() / (late["delivered"].max() - 365)
    assert per_day == pytest.approx(cap_week / 7, rel=0.02)


def test_backlog_grows_at_demand_minus_capacity():
    r = simulate(serial_chain(14.0, 5, 1, 1, demand_rate=5), SC)
    nodes = r.nodes[r.nodes["node"] == "src"]
    slope = np.polyfit(nodes["day"], nodes["backlog"], 1)[0]
    assert slope == pytest.approx(5 - 2, rel=0.01)


def test_no_backlog_when_capacity_exceeds_demand():
    r = simulate(serial_chain(70.0, 5, 1, 1, demand_rate=5), SC)
    nodes = r.nodes[r.nodes["node"] == "src"]
    assert nodes["backlog"].max() <= 5 + 1e-9
    lead = demand_orders(r)["lead_time_days"]
    assert lead.max() <= 5 + 1 + 1 + 1 + 1e-9  # at most one day waiting for the daily step


def test_littles_law_on_recorded_wip():
    cap_week, cycle = 14.0, 20
    r = simulate(serial_chain(cap_week, cycle, 1, 1, demand_rate=5), SC)
    nodes = r.nodes[(r.nodes["node"] == "src") & (r.nodes["day"] > 60)]
    # saturated: throughput = capacity, every unit spends `cycle` days in WIP
    assert nodes["wip"].mean() == pytest.approx(cap_week / 7 * cycle, rel=0.01)


def test_utilisation_is_one_at_the_bottleneck_and_below_elsewhere():
    busy = simulate(serial_chain(14.0, 5, 1, 1, demand_rate=5), SC).nodes
    idle = simulate(serial_chain(70.0, 5, 1, 1, demand_rate=5), SC).nodes
    assert busy[busy["day"] > 30]["utilisation"].min() == pytest.approx(1.0)
    assert idle[idle["day"] > 30]["utilisation"].mean() == pytest.approx(5 / 10, rel=0.02)


def test_a_lot_made_over_weeks_ships_its_output_weekly():
    """Finished goods of an unfinished lot ship on the weekly shipping day, whether or not a
    chunk of it finishes that day: a packaging lot whose dies arrive weekly (a slow fab) made
    packages on other weekdays only, and held them all until the whole lot was done. They ship
    on no other day (only a lot's last goods leave on the day it is done)."""
    import yaml

    from supplychain.engine import World
    from supplychain.scenario_schema import Scenario
    from supplychain.topology import parse_topology

    from conftest import ROOT

    data = yaml.safe_load((ROOT / "topology" / "minimal.yaml").read_text())
    for n in data["nodes"]:
        if n["id"] == "fab":
            n["capacity"] = 70  # wafers/week: dies for a lot arrive over weeks
            n.pop("expansion", None)
        if n["id"] == "lab":
            n["target_h100e"] = {"points": {"2022-01-01": 0, "2026-12-31": 1826000}}
    data["nodes"] = [n for n in data["nodes"] if n["id"] != "toolmaker"]
    data["edges"] = [e for e in data["edges"] if e["from"] != "toolmaker"]
    w = World(parse_topology(data), Scenario.model_validate({"start": "2022-01-01", "end": "2024-12-31"}), 0)
    held: list[float] = []
    partial: list[float] = []  # days an unfinished packaging lot's output shipped

    def shipping_day(day: int) -> None:  # called after the day's production step, on shipping days
        held.extend(o.made - o.shipped_qty - o.held_qty for o in w.orders if o.kind == "assembly")

    ship = w.ship
    w.ship = lambda o, qty, now: (partial.append(now) if o.kind == "assembly" and o.finished is None else None,
                                  ship(o, qty, now))[1]
    w.run(progress=shipping_day)
    made = max(o.made for o in w.orders if o.kind == "assembly")
    assert made > 1000 and len(held) > 100
    assert max(held) <= 1e-6 * made  # everything made by a shipping day left that day
    assert len(partial) > 100 and all(day % 7 == 0 for day in partial)  # and not on other days


def test_a_fractional_cycle_time_is_rounded_up_to_whole_days():
    """Production runs in whole days: what starts on a day finishes ceil(cycle time) days later,
    so a 10.5-day cycle gives every line the lead time of an 11-day one, a day more than 10, and a
    half-day cycle that of a 1-day one."""
    lead = {ct: demand_orders(simulate(serial_chain(70.0, ct, 1, 1, demand_rate=5), SC))["lead_time_days"].to_numpy()
            for ct in (0, 0.5, 1, 10, 10.5, 11)}
    n = min(len(x) for x in lead.values())  # the same orders, less those still open at the end
    assert n > 600
    assert lead[10.5][:n] == pytest.approx(lead[11][:n]) and lead[10.5][:n] == pytest.approx(lead[10][:n] + 1)
    # under a day is a whole day too: only a cycle time of 0 finishes on the day it starts
    assert lead[0.5][:n] == pytest.approx(lead[1][:n]) and lead[0.5][:n] == pytest.approx(lead[0][:n] + 1)


def test_a_lot_the_last_days_capacity_covers_up_to_rounding_finishes_that_day():
    """A lot of 1e8 units at 1e8 a week starts over 7 days: taking the day's capacity (1e8 x 1/7) off it seven
    times leaves 1.1e-8 units by rounding, far under the lot's tolerance (1e-9 of its size). That residue
    starts with the seventh day's units, so every lot finishes 6 + cycle days after it started; left in the
    book (an absolute tolerance of 1e-9 units), it started a day later and the whole lot finished a day late."""
    model = topo(
        [
            {"id": "src", "kind": "source", "makes": ["widget"], "capacity": 1e8, "cycle_time": 5},
            {"id": "depot", "kind": "stock", "item": "widget", "policy": "make_to_order"},
            {"id": "cust", "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": 1e6, "period_days": 100}},
        ],
        [
            {"from": "src", "to": "depot", "product": "widget", "transport": 1},
            {"from": "depot", "to": "cust", "product": "widget", "transport": 1},
        ],
    )
    o = simulate(model, SC).orders
    lots = o[(o["supplier"] == "src") & o["finished"].notna()]
    assert len(lots) >= 6 and (lots["qty"] == 1e8).all()
    assert (lots["finished"] - lots["started"]).tolist() == [6.0 + 5.0] * len(lots)


def kitting_chain(cap_a: float, cap_b: float):
    """Two capacity-limited sources (units a week) -> a make-to-order assembly stock point taking
    1 a and 2 b per unit (3-day cycle) -> a customer asking 3 a day."""
    return topo(
        [
            {"id": "sa", "kind": "source", "makes": ["a"], "capacity": cap_a, "cycle_time": 2},
            {"id": "sb", "kind": "source", "makes": ["b"], "capacity": cap_b, "cycle_time": 4},
            {"id": "asm", "kind": "stock", "item": "ab", "policy": "make_to_order", "bom": {"a": 1, "b": 2}, "cycle_time": 3},
            {"id": "cust", "kind": "demand", "item": "ab", "demand": {"mode": "fixed", "rate": 3}},
        ],
        [
            {"from": "sa", "to": "asm", "product": "a", "transport": 1},
            {"from": "sb", "to": "asm", "product": "b", "transport": 5},
            {"from": "asm", "to": "cust", "product": "ab", "transport": 1},
        ],
        {"a": {"kind": "item"}, "b": {"kind": "item"}, "ab": {"kind": "item"}},
    )


@pytest.mark.parametrize(("cap_a", "cap_b", "rate"), [
    (35.0, 28.0, 2.0),  # b binds through the BOM: min(5 / 1, 4 / 2) = 2 a day, though b makes more units than a
    (10.5, 70.0, 1.5),  # a binds: min(1.5 / 1, 10 / 2)
    (70.0, 70.0, 3.0),  # neither: min(10, 5) is above the demand of 3 a day
])
def test_an_assembly_chain_delivers_at_its_scarcest_input_per_kit(cap_a, cap_b, rate):
    """A kit needs every input, so the chain's throughput is min over inputs of capacity / units per kit
    (or the demand, if lower): the assembly point is the bottleneck's mirror, never faster than its slowest feed."""
    r = simulate(kitting_chain(cap_a, cap_b), SC)
    late = demand_orders(r)
    late = late[late["delivered"] > 200]
    assert len(late) > 200  # orders of 3 units
    per_day = late["delivered_qty"].sum() / (late["delivered"].max() - 200)
    assert per_day == pytest.approx(rate, rel=0.02)
