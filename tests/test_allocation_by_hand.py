"""The built-in allocation rule functions by hand and against the contract a user's rule is held to.

`test_allocation.py` checks the rules as invariants over random books of whole orders; these add what those
books never hold: refused units, kits with nothing to start, a day without capacity, orders that entered a
book in another order than they were placed. A user's rule may call the built-in ones (they are exported),
so they must keep the same contract (`register_allocation`, `checked_give`). Found by mutation testing of
`allocation.py` (docs/mutation_testing.md, twenty-eighth session).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.engine.allocation import checked_give, fifo, priority, pro_rata
from supplychain.engine.completion import TRANCHE
from supplychain.engine.orders import Order
from supplychain.engine.sharing import ShareBook
from supplychain.errors import PluginError
from supplychain.results import simulate

from conftest import two_customers

RULES = {"fifo": fifo, "pro_rata": pro_rata, "priority": priority}


def _order(k: int, qty: float, denied: float = 0.0, entered: float | None = None, ordered: float = 0.0,
           tier: int = 0) -> Order:
    o = Order(k, "replenish", "widget", qty, 0, 1, ordered, tier=tier, denied_qty=denied)
    o.entered = float(k) if entered is None else entered
    o.remaining = qty - denied
    return o


books = st.lists(
    st.tuples(
        st.floats(0.5, 500.0),  # qty
        st.sampled_from([0.0, 0.0, 0.25, 0.9]),  # share of qty refused
        st.floats(0.0, 1.0),  # share of the rest already started
        st.floats(0.2, 5.0),  # unit cost
        st.one_of(st.just(math.inf), st.just(0.0), st.floats(0.0, 1.0)),  # a kit: share of its rest its inputs cover
        st.integers(0, 2),  # tier
    ),
    max_size=12,
)


def _book(rows) -> list[Order]:
    out = []
    for k, (qty, refused, done, cost, ready, tier) in enumerate(rows):
        o = _order(k, qty, denied=qty * refused, tier=tier)
        o.unit_cost = cost
        rest = o.remaining
        o.remaining = rest * (1 - done)
        o.ready_qty = math.inf if ready == math.inf else (rest - o.remaining) + o.remaining * ready
        out.append(o)
    return out


@settings(max_examples=150, deadline=None)
@given(books, st.sampled_from([0.0, 1e-12, 0.5, 30.0, 2000.0]), st.floats(0.3, 1.0), st.sampled_from(sorted(RULES)))
def test_the_built_in_rules_keep_the_contract_a_users_rule_is_held_to(rows, budget, y, name):
    """Each built-in rule's answer passes `checked_give` (positive amounts, at most what an order may start, the
    budget) on books with refused units, kits with nothing to start and days with no capacity."""
    book = _book(rows)
    give = checked_give(name, "src", 0, RULES[name], book, budget, y)
    assert all(g > 0.0 for _, g in give)


def test_pro_rata_gives_nothing_on_a_day_without_capacity():
    """A day with no capacity (an outage) gives no order anything: no pair at all, not a pair of 0 units, which
    a user's rule is refused for."""
    book = [_order(0, 10.0), _order(1, 4.0)]
    assert pro_rata(book, 0.0, 1.0) == []


def test_a_users_rule_calling_pro_rata_runs_through_an_outage(pro_rata_by_order):
    """The source of two customers rationed by a user's rule that calls `pro_rata`, shut for a week (capacity x 0):
    the run goes through the outage (it stopped with 'gave 0.0 units to an order ... amounts must be positive')
    and rations the shortage 3 : 1 as the built-in rule does."""
    outage = {"id": "out", "kind": "capacity", "start": "2022-03-01", "duration_days": 7, "multiplier": 0.0,
              "target": {"ids": ["src"]}}
    sc = {"name": "outage", "start": "2022-01-01", "end": "2022-06-30", "shocks": [outage]}
    o = simulate(two_customers("pro_rata_by_order", capacity=24.5, period=7), sc).orders
    got = {c: o[o["customer"] == c]["delivered_qty"].sum() for c in ("a", "b")}
    assert got["a"] / got["b"] == pytest.approx(3.0, rel=0.01)
    assert not ((o["started"] >= 59) & (o["started"] < 66)).any()  # nothing starts while the source is shut


def test_pro_rata_shares_by_what_each_order_still_asks_after_its_refused_units():
    """a asked 10 and had 4 refused before it started, b asked 6: both want 6, so 3 units of capacity go 1.5 and
    1.5 (by the 10 asked, 1.875 and 1.125). The ShareBook, which runs the built-in rule, splits them alike."""
    a, b = _order(0, 10.0, denied=4.0), _order(1, 6.0)
    assert [(o.id, g) for o, g in pro_rata([a, b], 3.0, 1.0)] == [(0, pytest.approx(1.5)), (1, pytest.approx(1.5))]
    share = ShareBook(TRANCHE)
    share.add(a)
    share.add(b)
    share.allocate(3.0, 1.0, 0, [])
    assert (share.remaining(a), share.remaining(b)) == pytest.approx((4.5, 4.5))


def test_priority_serves_a_tier_first_come_first_served_by_entry_into_the_book():
    """Within a tier `priority` is `fifo`: the order that entered the book first is served first, whenever it was
    placed (an order held for a licence review enters after orders placed later). Of a 5-unit day, x (entered
    day 0, placed day 3) gets 4, y (entered day 1, placed day 0) 1; with y in a better tier y gets its 4 first."""
    x, y = _order(0, 4.0, ordered=3.0), _order(1, 4.0, ordered=0.0)
    assert [(o.id, g) for o, g in priority([x, y], 5.0, 1.0)] == [(0, 4.0), (1, 1.0)]
    assert [(o.id, g) for o, g in priority([x, y], 5.0, 1.0)] == [(o.id, g) for o, g in fifo([x, y], 5.0, 1.0)]
    x.tier = 1
    assert [(o.id, g) for o, g in priority([x, y], 5.0, 1.0)] == [(1, 4.0), (0, 1.0)]


def test_a_rule_is_held_to_its_budget_at_the_yield_of_the_day():
    """At yield 0.5 a good unit of unit cost 1 takes 2 capacity units: a rule that gives the 2 units a budget of 2
    would make at yield 1 spends 4, and is refused; the 1 unit the budget makes passes."""
    o = _order(0, 10.0)

    def ignores_yield(book, budget, y):
        return [(book[0], budget / book[0].unit_cost)]

    with pytest.raises(PluginError, match=r"spent 4.0 capacity units at node 'src' on day 0, more than the budget of 2.0$"):
        checked_give("ignores_yield", "src", 0, ignores_yield, [o], 2.0, 0.5)
    assert checked_give("fifo", "src", 0, fifo, [o], 2.0, 0.5) == [(o, 1.0)]
