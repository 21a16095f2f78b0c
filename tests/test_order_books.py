"""Order books by hand: what a node's daily step leaves in its book. Orders placed directly in one source's
book, stepped a day at a time, against what a 10- or 70-unit day must give: fully started orders leave the
book wherever they stand in it, a parked kit goes back in order of entry, a kit's refused units are not
counted as started. Found by mutation testing of `_fill_start`, `_settle` and `unpark` (docs/mutation_testing.md)."""

from __future__ import annotations

import pytest

from supplychain.engine import World
from supplychain.engine.orders import Order
from supplychain.engine.production import ALLOCATION_RULES
from supplychain.scenario_schema import Scenario

from conftest import topo

SC = Scenario.model_validate({"name": "books", "start": "2022-01-01", "end": "2022-12-31"})


def _one_book(per_day: float, rule: str = "fifo"):
    """A source making `per_day` units a day (cycle 1) under `rule`, its book empty: (production, node) to place
    orders in by hand and step day by day."""
    model = topo([{"id": "src", "kind": "source", "makes": ["widget"], "capacity": 7 * per_day, "cycle_time": 1},
                  {"id": "cust", "kind": "stock", "item": "widget", "policy": "make_to_order"}],
                 [{"from": "src", "to": "cust", "product": "widget", "transport": 1}])
    w = World(model, SC, 0)
    prod, src = w.production, w.net.index["src"]
    prod.rules[src] = ALLOCATION_RULES[rule]
    return prod, src


def _order(k: int, qty: float, node: int, tier: int = 0) -> Order:
    return Order(k, "replenish", "widget", qty, node, node + 1, 0.0, tier=tier)


def test_priority_takes_the_orders_it_finishes_out_of_the_book_wherever_they_are():
    """Priority serves tier 0 first: the book, in entry order, [x (tier 0, 2 units), y (tier 1, 100), z (tier 0,
    2)] gives 2, 2 and 6 of a 10-unit day. x and z are done and leave; y, partly started, is all that is left,
    with its 94 units queued. (Trimmed as if the orders that left were the oldest, z stayed in the book.)"""
    prod, src = _one_book(10.0, "priority")
    x, y, z = _order(0, 2.0, src, 0), _order(1, 100.0, src, 1), _order(2, 2.0, src, 0)
    for day, o in enumerate((x, y, z)):
        prod.add(o, float(day))
    prod.step(3)
    assert (x.remaining, y.remaining, z.remaining) == (0.0, 94.0, 0.0)
    assert prod.books[src] == [y] and prod.queued[src] == pytest.approx(94.0)


def test_a_kit_whose_inputs_arrive_goes_back_to_its_place_in_the_book():
    """A kit that started what its arrived inputs cover waits outside the book (parked); when more arrive it goes
    back in order of entry, so fifo serves it before the orders that came after it: here all of a 10-unit day.
    (Put back at the end, it waited behind a 1,000-unit order that entered after it.)"""
    prod, src = _one_book(10.0)
    kit, big = _order(0, 100.0, src), _order(1, 1000.0, src)
    kit.kind, kit.ready_qty = "assembly", 5.0  # inputs for 5 of its 100 units so far
    prod.add(kit, 0.0)
    prod.add(big, 1.0)
    prod.step(2)  # the kit starts its 5 and is parked; the big order gets the other 5
    assert prod.books[src] == [big] and not kit.in_book and kit.remaining == 95.0
    kit.ready_qty = 50.0
    prod.unpark(kit)
    assert prod.books[src] == [kit, big]
    prod.step(3)
    assert (kit.remaining, big.remaining) == (85.0, 995.0)


def test_a_kit_cut_by_refused_inputs_starts_what_its_arrived_inputs_cover():
    """A kit of 100 loses 20 to refused inputs (denied, dropped from its book), and has inputs for 40: on a
    70-unit day it starts those 40 and waits for more, 40 left. Its started units are qty - denied - remaining,
    so forgetting the denied 20 would start only 20 and leave it in the book."""
    prod, src = _one_book(70.0)
    kit = _order(0, 100.0, src)
    kit.kind = "assembly"
    kit.ready_qty = 40.0
    prod.add(kit, 0.0)
    kit.denied_qty = 20.0  # as `World._deny` does, then takes them out of the book
    assert prod.drop(kit, 20.0) == 20.0
    prod.step(1)
    assert kit.remaining == 40.0 and not kit.in_book and prod.books[src] == []
    assert prod.started[src] == 40.0 and prod.queued[src] == 0.0


def test_a_kit_whose_unstarted_rest_is_refused_is_finished_no_earlier_than_it_started():
    """A kit of 15 enters on day 0 behind a 20-unit order, starts the 10 its inputs cover on day 2 (made on day
    3) and waits; then its other 5 are refused and dropped. It is all accounted for (made + refused), so `drop`
    stamps it finished when its last goods were made, day 3: stamped at its entry, it moved backwards in time;
    at its start, its production took no time and the day went to its transport in the delay causes."""
    prod, src = _one_book(10.0)
    first, kit = _order(0, 20.0, src), _order(1, 15.0, src)
    kit.kind, kit.ready_qty = "assembly", 10.0
    prod.add(first, 0.0)
    prod.add(kit, 0.0)
    for day in range(4):
        prod.step(day)
    assert kit.started == 2.0 and kit.made == 10.0 and kit.remaining == 5.0 and kit.finished is None
    kit.denied_qty = 5.0
    prod.drop(kit, 5.0)
    assert kit.remaining == 0.0 and kit.finished == 3.0


def test_a_kit_cut_by_refused_inputs_whose_inputs_cover_its_rest_starts_at_the_nodes_pace():
    """A kit of 10 with 4 refused has inputs for its other 6, all arrived: on 2-unit days it starts 2 a day and
    stays in the book until its 6 are started (on day 3). Counting the refused 4 as started parked it after day 1
    (inputs for 6, '6 started'), to wait outside the book for inputs that never come."""
    prod, src = _one_book(2.0)
    kit = _order(0, 10.0, src)
    kit.kind, kit.denied_qty, kit.ready_qty = "assembly", 4.0, 6.0
    prod.add(kit, 0.0)
    for day in (1, 2):
        prod.step(day)
        assert kit.in_book and prod.books[src] == [kit] and kit.remaining == 6.0 - 2.0 * day
    prod.step(3)
    assert kit.remaining == 0.0 and prod.books[src] == [] and prod.started[src] == 6.0
