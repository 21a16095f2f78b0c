"""A user's allocation rule that asks for a context (`rule(book, budget, y, ctx)`): the node, the day, node
names for an order's rows, and the node's seeded random stream; rules written for three arguments keep being
called with three."""

from __future__ import annotations

import numpy as np
import pandas as pd

from supplychain.engine.allocation import AllocationContext, takes_context
from supplychain.engine.production import ALLOCATION_RULES, EPS, register_allocation, startable
from supplychain.results import simulate

from conftest import two_customers


def test_a_rule_taking_a_context_serves_a_customer_it_names_first():
    """`rule(book, budget, y, ctx)`: `ctx.name` turns an order's rows into node ids, so a planner's rule may rank
    customers by name. A source making 2 a day for a (3 a day) and b (1 a day), b first by name: b never
    queues (lead time = cycle + transport), a gets the 1 a day left and its queue grows."""
    seen = []

    @register_allocation("b_first")
    def b_first(book, budget, y, ctx):
        seen.append((ctx.node, ctx.day, {ctx.name(o.lab) for o in book}))
        give = []
        for o in sorted(book, key=lambda o: (ctx.name(o.customer) != "b", o.entered)):
            goods = min(startable(o), budget * y / o.unit_cost)
            if goods > EPS:
                give.append((o, goods))
                budget -= goods * o.unit_cost / y
        return give

    try:
        o = simulate(two_customers("b_first"), {"name": "b", "start": "2022-01-01", "end": "2022-12-31"}).orders
    finally:
        del ALLOCATION_RULES["b_first"]
    a, b = (o[(o["customer"] == c) & o["delivered"].notna()] for c in ("a", "b"))
    assert len(b) > 350 and (b["lead_time_days"] == 2 + 1).all()
    assert a["lead_time_days"].is_monotonic_increasing and a["lead_time_days"].max() > 100
    assert {n for n, _, _ in seen} == {"src"} and [d for _, d, _ in seen] == sorted({d for _, d, _ in seen})
    assert set().union(*(labs for _, _, labs in seen)) == {None}  # no lab placed these lines: row -1 names none


def test_a_random_rule_draws_from_its_nodes_seeded_stream():
    """`ctx.rng`: the same seed gives the same tables, another seed other ones (a lottery among the open lines)."""

    @register_allocation("lottery")
    def lottery(book, budget, y, ctx):
        give = []
        for k in ctx.rng.permutation(len(book)):
            o = book[k]
            goods = min(startable(o), budget * y / o.unit_cost)
            if goods > EPS:
                give.append((o, goods))
                budget -= goods * o.unit_cost / y
        return give

    sc = {"name": "l", "start": "2022-01-01", "end": "2022-06-30"}
    model = two_customers("lottery", capacity=21.0, rates=(2.0, 2.0))
    try:
        one, again, other = (simulate(model, sc, seed=s).orders for s in (1, 1, 2))
    finally:
        del ALLOCATION_RULES["lottery"]
    pd.testing.assert_frame_equal(one, again)
    assert not one["finished"].equals(other["finished"])


def test_a_rule_is_given_a_context_only_if_it_asks_for_one():
    """A 4th positional parameter without a default (or named `ctx`) asks; a rule written for three arguments,
    one with an optional 4th of its own included, keeps being called with three."""
    import functools

    def three(book, budget, y): ...
    def optional(book, budget, y, margin=0.1): ...
    def four(book, budget, y, ctx): ...
    def named(book, budget, y, ctx=None): ...

    @functools.wraps(four)
    def wrapped(*args): ...

    assert [takes_context(r) for r in (three, optional, four, named, wrapped, lambda *a: a, print)] == \
           [False, False, True, True, True, False, False]
    margins = []

    @register_allocation("margin")
    def margin(book, budget, y, margin=0.1):
        margins.append(margin)
        return ALLOCATION_RULES["fifo"](book, budget, y)

    try:
        simulate(two_customers("margin"), {"name": "m", "start": "2022-01-01", "end": "2022-03-31"})
    finally:
        del ALLOCATION_RULES["margin"]
    assert margins and set(margins) == {0.1}


def test_a_contexts_names_are_the_node_ids_by_row_from_row_0():
    """`ctx.name(row)` is the id of the topology's node at `row`, the first node (row 0) too; -1 (an order no lab
    placed) is None."""
    ctx = AllocationContext("src", 3, np.random.default_rng(0), ("src", "a", "b"))
    assert [ctx.name(r) for r in (0, 1, 2, -1)] == ["src", "a", "b", None]
