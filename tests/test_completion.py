"""Completion by hand: what leaves the WIP pipelines, and when.

Little's law is checked at the end of every run within 2 % (`check_invariants`), which a day's error in the
chunks still in production does not reach over a long run; here the books must balance exactly on any day.
And a pro-rata node's work does not overtake (docs/model.md section 3): when its cycle time falls, what
starts after the fall finishes with the work started before it. Found by mutation testing of
`completion.py` (docs/mutation_testing.md, twenty-eighth session).
"""

from __future__ import annotations

import pytest

from supplychain.engine import World, check_invariants
from supplychain.engine.orders import Order
from supplychain.results import simulate
from supplychain.scenario_schema import Scenario

from conftest import topo, two_customers

SC = Scenario.model_validate({"name": "completion", "start": "2022-01-01", "end": "2022-06-30"})


def _two_rules():
    """A fifo fab (10-day cycle, short of what is asked) feeding a pro_rata packager (7-day cycle, also short):
    both always hold chunks in production."""
    return topo(
        [
            {"id": "fab", "kind": "source", "makes": ["widget"], "cycle_time": 10, "capacity": 28.0},
            {"id": "pack", "kind": "stock", "item": "widget", "policy": "make_to_order"},
            {"id": "src", "kind": "source", "makes": ["gadget"], "cycle_time": 7, "capacity": 21.0, "allocation": "pro_rata"},
            {"id": "a", "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": 5.0, "period_days": 1}},
            {"id": "b", "kind": "demand", "item": "gadget", "demand": {"mode": "fixed", "rate": 2.0, "period_days": 1}},
            {"id": "c", "kind": "demand", "item": "gadget", "demand": {"mode": "fixed", "rate": 6.0, "period_days": 3}},
        ],
        [
            {"from": "fab", "to": "pack", "product": "widget", "transport": 1},
            {"from": "pack", "to": "a", "product": "widget", "transport": 1},
            {"from": "src", "to": "b", "product": "gadget", "transport": 1},
            {"from": "src", "to": "c", "product": "gadget", "transport": 1},
        ],
        {"widget": {"kind": "item"}, "gadget": {"kind": "item"}},
    )


def test_work_in_progress_over_time_is_the_days_in_production_of_every_chunk_finished_or_not():
    """After each day D the area under a node's WIP (good units x days) is the days each finished chunk spent in
    production plus, for each chunk still in it, the days from its start to the end of day D (D + 1 - start): at
    the fifo fab and the pro_rata node alike, to rounding, every week of the run."""
    w = World(_two_rules(), SC, 0)
    prod = w.production
    nodes = [w.net.index[n] for n in ("fab", "src")]
    seen: list[int] = []

    def balanced(day: int) -> None:
        in_progress = prod.in_progress_area(day + 1.0)
        for n in nodes:
            assert in_progress[n] > 0.0 and prod.wip[n] > 0.0 or day == 0
            assert prod.wip_area[n] == pytest.approx(prod.flow_time[n] + in_progress[n], rel=1e-9), (day, w.net.ids[n])
        seen.append(day)

    w.run(progress=balanced)
    check_invariants(w)
    assert len(seen) == 26 and nodes[1] in prod.shares


def test_when_a_pro_rata_nodes_cycle_time_falls_later_starts_finish_with_the_earlier_ones():
    """A pro_rata source (10 a day, one 1-unit line a day from each of two customers, so each line starts whole
    on its day) whose cycle time falls from 4 days (to day 4) to 1 (from day 5): work started on days 5, 6 and 7
    would finish before that of day 4 (on days 6, 7, 8), so it waits for it: all finish on day 8; from day 8 on
    a line takes its 1 day."""
    model = two_customers("pro_rata", capacity=70.0, rates=(1.0, 1.0))
    nodes = [n.model_dump(by_alias=True, exclude_none=True) for n in model.nodes]
    nodes[0]["cycle_time"] = {"points": {"2022-01-05": 4, "2022-01-06": 1}}
    edges = [e.model_dump(by_alias=True, exclude_none=True) for e in model.edges]
    o = simulate(topo(nodes, edges), {"name": "fall", "start": "2022-01-01", "end": "2022-01-31"}).orders
    took = o.dropna(subset=["finished"]).groupby("started")["finished"].agg(["min", "max"])
    assert (took["min"] == took["max"]).all()
    finished = dict(zip(took.index.astype(int), took["max"].astype(int)))
    assert {s: finished[s] for s in range(3, 10)} == {3: 7, 4: 8, 5: 8, 6: 8, 7: 8, 8: 9, 9: 10}
    assert o["finished"].notna().sum() > 40


def test_a_line_with_refused_units_is_finished_when_the_rest_is_made():
    """A line of 10 with 4 refused before it entered the book: a 10-a-day source (1-day cycle) starts its 6 on
    day 1 and makes them on day 2, when the line is finished (made + refused = asked) and its 6 ship. Counting
    only what was made, it never finished."""
    w = World(topo([{"id": "src", "kind": "source", "makes": ["widget"], "capacity": 70.0, "cycle_time": 1},
                    {"id": "cust", "kind": "stock", "item": "widget", "policy": "make_to_order"}],
                   [{"from": "src", "to": "cust", "product": "widget", "transport": 1}]), SC, 0)
    prod, src = w.production, w.net.index["src"]
    line = Order(0, "replenish", "widget", 10.0, src, src + 1, 0.0, denied_qty=4.0)
    prod.add(line, 0.0)
    for day in (1, 2):
        prod.step(day)
        assert (line.started, line.made) == (1.0, 6.0 if day == 2 else 0.0)
    assert line.finished == 2.0 and line.shipped_qty == 6.0
