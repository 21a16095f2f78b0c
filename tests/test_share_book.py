"""The pro-rata ShareBook by hand: a few orders on one book, a day's budget at a time, against the level each
day must reach and what each order must have started, finished and shipped.

`test_allocation.py` checks the ShareBook against the rule function on whole chains at yield 1 without
refusals; these check what those chains never reach: a yield below 1, a book that empties, refused units
taken out of orders that are part started, the day an order's start is stamped, and the weekly tranches
(`TRANCHE`) an unfinished order ships. Found by mutation testing of `sharing.py` (docs/mutation_testing.md,
twenty-eighth session).
"""

from __future__ import annotations

import pytest

from supplychain.engine.allocation import pro_rata
from supplychain.engine.completion import TRANCHE
from supplychain.engine.orders import Order
from supplychain.engine import World, check_invariants
from supplychain.engine.production import Production
from supplychain.engine.sharing import ShareBook
from supplychain.scenario_schema import Scenario

from conftest import topo


def _order(k: int, qty: float, denied: float = 0.0, cost: float = 1.0) -> Order:
    """An order as `Production.add` puts it in a share book: its remaining units are what was not refused."""
    o = Order(k, "replenish", "widget", qty, 0, 1, 0.0, unit_cost=cost, denied_qty=denied)
    o.remaining = qty - denied
    return o


def _book(*orders: Order) -> ShareBook:
    book = ShareBook(TRANCHE)
    for o in orders:
        book.add(o)
    return book


def test_at_a_yield_below_one_a_day_starts_what_its_capacity_makes_and_an_emptied_book_sits_at_the_last_final():
    """Orders of 6 and 1 units (1 capacity unit each) at yield 0.5: 10 capacity units make 5 good units, 5/7 of
    each order's size (6 x 5/7 and 1 x 5/7). The next day 4 capacity units start the 2 units left, both orders
    are fully started (the level is 1, where both end), the book is empty and its work, once done, finishes
    both on that day."""
    a, b = _order(0, 6.0), _order(1, 1.0)
    book = _book(a, b)
    used, started, give = book.allocate(10.0, 0.5, 0, [])
    assert (used, give) == (10.0, []) and started == pytest.approx(5.0)
    assert book.level == pytest.approx(5 / 7)
    assert book.remaining(a) == pytest.approx(6 * 2 / 7) and book.remaining(b) == pytest.approx(2 / 7)
    assert book.backlog() == pytest.approx(2.0)  # capacity units at yield 1
    used, started, _ = book.allocate(10.0, 0.5, 1, [])
    assert used == pytest.approx(4.0) and started == pytest.approx(2.0)
    assert not book and book.level == pytest.approx(1.0) and book.backlog() == 0.0
    done: list[tuple[int, float]] = []
    book.finish(book.level, 3, False, lambda o, now: done.append((o.id, now)))
    assert done == [(0, 3.0), (1, 3.0)] and (a.made, b.made) == pytest.approx((6.0, 1.0))


def test_an_orders_start_is_the_first_day_the_level_rises_not_the_day_it_enters():
    """An order entering on a day without capacity (an outage) has not started; it starts the next day, when the
    book's level first rises."""
    o = _order(0, 10.0)
    book = _book(o)
    assert book.allocate(0.0, 1.0, 4, []) == (0.0, 0.0, [])
    assert o.started is None and book.level == 0.0
    book.allocate(2.0, 1.0, 5, [])
    assert o.started == 5.0 and book.remaining(o) == pytest.approx(8.0)


def test_refused_units_leave_the_orders_share_and_the_backlog_and_the_rest_starts():
    """Orders a and b (8 units each) get 8 units of a day, half of each. 2 of a's 4 units not started are then
    refused: the backlog is 6 units (2 of a, 4 of b). The next day's 6 units start both rests (a's 2 at a level
    of 1/4, b's 4 at 1/2), the book is empty, and a finishes with 6 made, b with 8."""
    a, b = _order(0, 8.0), _order(1, 8.0)
    book = _book(a, b)
    book.allocate(8.0, 1.0, 0, [])
    assert (book.remaining(a), book.remaining(b)) == (4.0, 4.0)
    assert book.drop(a, 2.0) == 2.0
    assert a.remaining == 2.0 and book.backlog() == 6.0
    used, started, _ = book.allocate(6.0, 1.0, 1, [])
    assert (used, started) == (6.0, 6.0)
    assert not book and book.backlog() == 0.0 and (book.remaining(a), book.remaining(b)) == (0.0, 0.0)
    done: list[int] = []
    book.finish(book.level, 2, False, lambda o, now: done.append(o.id))
    assert sorted(done) == [0, 1] and (a.made, b.made) == (6.0, 8.0)



def test_after_a_refusal_the_book_shares_by_the_size_an_order_entered_with_the_rule_function_by_what_it_still_asks():
    """The known limit of docs/model.md section 9 ("A refusal leaves a pro-rata order's share"): orders of 8
    units, 4 of each started, 2 of a's refused; 3 units of capacity give each 1.5 (its size at entry, 8) in the
    book, and 6/14 x 3 to a and 8/14 x 3 to b by the rule function (a's size is now 8 - 2)."""
    a, b = _order(0, 8.0), _order(1, 8.0)
    book = _book(a, b)
    book.allocate(8.0, 1.0, 0, [])
    a.denied_qty = 2.0  # as `World._deny` counts the refusal before it takes the units out
    book.drop(a, 2.0)
    before = book.level
    book.allocate(3.0, 1.0, 1, [])
    assert 8.0 * (book.level - before) == pytest.approx(1.5) and book.remaining(b) == pytest.approx(2.5)
    assert book.remaining(a) == pytest.approx(0.5)
    c, d = _order(0, 8.0, denied=2.0), _order(1, 8.0)  # the same state, as the rule function sees it
    c.remaining, d.remaining = 2.0, 4.0
    give = [(o.id, g) for o, g in pro_rata([c, d], 3.0, 1.0)]
    assert give == [(0, pytest.approx(18 / 14)), (1, pytest.approx(24 / 14))]


def test_a_refusal_takes_at_most_what_is_not_started():
    """After half of a's 8 units started, refusing 5 takes the 4 not started, no more: a has nothing left to start
    and the next day's capacity goes to b alone."""
    a, b = _order(0, 8.0), _order(1, 8.0)
    book = _book(a, b)
    book.allocate(8.0, 1.0, 0, [])
    assert book.drop(a, 5.0) == 4.0
    assert a.remaining == 0.0 and book.backlog() == 4.0
    used, started, _ = book.allocate(10.0, 1.0, 1, [])
    assert (used, started) == (4.0, 4.0) and not book


def _ship_days(rate: float, hold_first: bool = False) -> list[tuple[int, float]]:
    """One order of 100 units alone on a book starting `rate` a day, its work done the day it starts; the days
    its output goes out and how much. With `hold_first`, the first output is held at the border (it stays with
    the supplier and never ships, `Order.held_qty`)."""
    o = _order(0, 100.0)
    book = _book(o)
    out: list[tuple[int, float]] = []

    def on_finished(order: Order, now: float) -> None:
        qty = order.made - order.shipped_qty - order.held_qty
        if hold_first and not order.held_qty:
            order.held_qty += qty
        else:
            order.shipped_qty += qty
            out.append((int(now), round(qty, 9)))

    day = 0
    while book.members and day < 400:  # an order that never finishes fails the test, not the run
        book.allocate(rate, 1.0, day, [])
        book.finish(book.level, day, day % 7 == 0, on_finished)
        day += 1
    return out


def test_an_unfinished_order_ships_on_shipping_days_once_a_tenth_of_it_is_made_since_it_last_shipped():
    """2 units a day of a 100-unit order: on day 7 (a shipping day) 16 are made, over a tenth: they ship; from
    then on 14 a week, again over a tenth, ship every shipping day; the last 14 ship on day 49, when the order
    is done. At 1 a day with the first tranche (15 units on day 14) held at the border, the next tenth is
    counted from what is made past those 15: 22 on day 21 is not enough, 29 on day 28 ships 14."""
    assert _ship_days(2.0) == [(7, 16.0), (14, 14.0), (21, 14.0), (28, 14.0), (35, 14.0), (42, 14.0), (49, 14.0)]
    held = _ship_days(1.0, hold_first=True)
    assert held[:2] == [(28, 14.0), (42, 14.0)] and held[-1][0] == 99
    assert sum(q for _, q in held) == pytest.approx(100.0 - 15.0)


def test_kits_share_the_level_and_one_needing_less_than_its_share_leaves_the_rest_to_the_other():
    """Kits of 100 units (5 startable) and 10 (3 startable) and 10 capacity units: the level 10/110 would give
    the big kit 9.1 units but it can start 5, so it takes 5 and the other kit's level is 5/10, more than its 3:
    both start all they may, 8 units (water-filling by the fraction of its size a kit may start; taken by what
    it may start, the small kit came first, held the level at 10/110 and 2 capacity units idled)."""
    big, small = _order(0, 100.0), _order(1, 10.0)
    big.ready_qty, small.ready_qty = 5.0, 3.0
    book = ShareBook(TRANCHE)
    used, started, give = book.allocate(10.0, 1.0, 0, [(small, 3.0), (big, 5.0)])
    assert (used, started) == pytest.approx((8.0, 0.0))
    assert sorted((o.id, g) for o, g in give) == [(0, pytest.approx(5.0)), (1, pytest.approx(3.0))]


def test_an_order_its_last_day_leaves_short_of_its_final_by_rounding_finishes_on_its_own_day_at_cycle_time_0():
    """3 units at 1 a day: the level reaches 1/3, 2/3 and, on day 2, 2/3 + 1/3, which rounds to 1.0 while the
    order's share left (1 - 2/3) rounds above 1/3, so the day's level did not take it out of the book's share.
    Its work is done that day (cycle time 0, the default): it must finish on day 2 with its 3 units made, as
    the rule function finishes it (it gives an order within 1e-9 of its size all of it), not be left out of the
    done heap for ever (before the fix it never finished: the customer never got the order)."""
    o = _order(0, 3.0)
    book = _book(o)
    done: list[tuple[int, float]] = []
    for day in range(5):
        book.allocate(1.0, 1.0, day, [])
        book.finish(book.level, day, False, lambda order, now: done.append((order.id, now)))
    assert done == [(0, 2.0)] and o.made == 3.0 and o.remaining == 0.0
    assert not book and not book.members and book.backlog() == 0.0


def test_such_an_order_finishes_when_its_work_is_done_even_if_the_next_day_has_no_capacity():
    """6 units at 1 a day: on day 5 the level stops 1e-16 short of 1, the order's final, so it still counts in the
    book's share. At a cycle time of 1 day with an outage on day 6, its work of day 5 is done on day 6, when no
    capacity has taken it out of the share first; it finishes on day 6 all the same, with its 6 units made (to
    rounding: its made is read at the done level, 1e-16 short of its final, as for any order). Before the fix the
    done level dropped it as still starting, and it never finished."""
    o = _order(0, 6.0)
    book = _book(o)
    done: list[tuple[int, float]] = []
    levels: dict[int, float] = {}
    for day in range(9):
        book.allocate(0.0 if day == 6 else 1.0, 1.0, day, [])
        levels[day] = book.level
        if day == 5:
            assert 0.0 < 1.0 - book.level <= 1e-15 and book  # the rounding this is about: still starting
        book.finish(levels.get(day - 1, 0.0), day, False, lambda order, now: done.append((order.id, now)))
    assert done == [(0, 6.0)] and o.made == pytest.approx(6.0, rel=1e-12) and not book.members


def test_a_pro_rata_source_at_the_default_cycle_time_finishes_every_order_when_the_rule_function_does():
    """A pro-rata source making 1 unit a day (7 a week) at the default cycle time of 0 for a customer asking 3
    units every 6 days: each order takes 3 days alone on the book, its last day ending on a level rounded to
    1.0. Through the ShareBook every order finishes on the day the rule function applied order by order
    finishes it (before the fix 6 of the 14 never finished and never reached the customer)."""
    model = topo([
        {"id": "src", "kind": "source", "makes": ["widget"], "capacity": 7.0, "allocation": "pro_rata"},
        {"id": "depot", "kind": "stock", "item": "widget", "policy": "make_to_order"},
        {"id": "cust", "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": 0.5, "period_days": 6}},
    ], [
        {"from": "src", "to": "depot", "product": "widget", "transport": 1},
        {"from": "depot", "to": "cust", "product": "widget", "transport": 1},
    ])
    sc = Scenario.model_validate({"name": "threes", "start": "2022-01-01", "end": "2022-03-31"})
    finished: list[list[float | None]] = []
    for shared in (True, False):
        w = World(model, sc, 0)
        w.production = Production(w.net, w._finished, shared=shared)
        w.run()
        check_invariants(w)
        src = w.net.index["src"]
        assert (src in w.production.shares) is shared
        finished.append([o.finished for o in w.orders if o.supplier == src])
    assert len(finished[0]) == 14 and finished[0][:3] == [8.0, 14.0, 20.0]
    assert finished[0] == finished[1]
