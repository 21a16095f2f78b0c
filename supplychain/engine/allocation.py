"""Allocation rules: how a node shares a day's capacity among the orders in its book.

Three are built in (`fifo`, `pro_rata`, `priority`); a user adds one with
`register_allocation` and names it as a node's `allocation` in a topology. The
production step (`production.py`) calls a node's rule once a day; a user's rule
is held to the contract at every call (`checked_give`). The built-in `fifo` and
`priority` are not called there: `Production._fill_start` runs `_fill` fused with
the start of the units it gives (the same arithmetic), so a change to `_fill`
goes there too.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..errors import PluginError, short
from .orders import Order

__all__ = ["ALLOCATION_RULES", "AllocationRule", "AllocationContext", "register_allocation", "rules_used", "startable",
           "startable_after", "takes_context", "checked_give", "fifo", "pro_rata", "priority"]

EPS = 1e-9
INF = float("inf")
#: a user's rule may round (float32 amounts, its own arithmetic): what it gives may exceed what is allowed by this share
TOLERANCE = 1e-6

#: rule(book, budget, yield[, ctx]) -> [(order, good units to start today)]. A rule must not give
#: more capacity than `budget`.
AllocationRule = Callable[..., list[tuple[Order, float]]]
ALLOCATION_RULES: dict[str, AllocationRule] = {}


@dataclass(frozen=True, slots=True)
class AllocationContext:
    """What a rule taking a 4th parameter gets beside the book: an order's supplier, customer and lab
    are node rows, which only the topology's order of nodes names, and a rule's own random numbers
    would make the tables depend on the executor (`streams.py`)."""

    node: str  # the id of the node allocating
    day: int  # simulated day (0 = the scenario's start)
    rng: np.random.Generator  # the node's seeded stream for allocation rules, its own across the run
    names: tuple[str, ...] = field(repr=False)  # node ids by row

    def name(self, row: int) -> str | None:
        """The id of node `row` (`o.customer`, `o.supplier`, `o.lab`); None for -1, an order no lab placed."""
        return self.names[row] if row >= 0 else None


def takes_context(rule: AllocationRule) -> bool:
    """Whether `rule` is called with an `AllocationContext` as 4th argument: its 4th positional
    parameter has no default, or is named `ctx`. One written for three arguments with an optional
    4th of its own keeps being called with three."""
    try:
        params = inspect.signature(rule).parameters.values()
    except (TypeError, ValueError):  # no signature to read: called as before
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 4 and (positional[3].default is inspect.Parameter.empty or positional[3].name == "ctx")


def register_allocation(name: str) -> Callable[[AllocationRule], AllocationRule]:
    """Decorator: make `rule` the allocation rule `name`, usable as `allocation: name` on a node.

    `rule(book, budget, y) -> [(order, good units to start today)]` is called once a day for
    each node with open orders and finite capacity (unlimited capacity starts everything
    without asking the rule); `rule(book, budget, y, ctx)` gets an `AllocationContext` too
    (`takes_context`):

    - `book`: the node's open orders, oldest entry first (`o.entered`). It may hold orders
      with nothing to start today (a kit whose inputs are still on the way): `startable(o)`
      is what `o` may start, so skip orders where it is 0 (the built-in rules do);
    - `budget`: today's capacity units; a good unit of `o` costs `o.unit_cost / y` of them;
    - `y`: the node's yield today;
    - `ctx.node`, `ctx.day`: the node's id and the day; `ctx.name(o.customer)`: a node row's id
      (`o.supplier`, `o.customer` and `o.lab` are rows); `ctx.rng`: the node's random stream
      (a numpy Generator, seeded per replication: a rule drawing from it gives the same tables
      for the same seed, serial or on workers).

    A rule must give each order at most `startable(o)`, positive amounts only, and no more
    than `budget` in total (sum of units x `o.unit_cost / y`); it should spend the whole
    budget while something is startable (the built-in rules do; a rule that idles
    capacity is legal but throttles the node). It must not change the orders or the book:
    the engine starts the units, finishes them after the cycle time and keeps the books.
    `o.tier` is filled from the node's `priority` map only under `priority`.

    Register before the topology is validated (the `allocation` field accepts registered
    names only). Local worker processes are forked and inherit the registry; a Dask work
    unit carries the rules its model names (`rules_used`). A name registered again replaces the
    rule (the built-in `pro_rata` itself runs through `ShareBook`, the same schedule by level).
    """

    def deco(fn: AllocationRule) -> AllocationRule:
        ALLOCATION_RULES[name] = fn
        return fn

    return deco


def rules_used(model: Any) -> tuple[tuple[str, AllocationRule], ...]:
    """The allocation rules a topology model's nodes name, as registered here: a work unit carries them
    to its worker, so a rule registered in a notebook also runs on Dask workers that never imported it."""
    names = sorted({getattr(n, "allocation", "fifo") for n in model.nodes})
    return tuple((name, ALLOCATION_RULES[name]) for name in names if name in ALLOCATION_RULES)


def startable(o: Order) -> float:
    """Good units of `o` that may start now: not yet started, and covered by arrived inputs."""
    return startable_after(o, o.remaining)


def startable_after(o: Order, remaining: float) -> float:
    """`startable(o)` once `o.remaining` is `remaining` (before it is written back)."""
    can = o.ready_qty - (o.qty - o.denied_qty - remaining)
    return can if can < remaining else remaining  # min(remaining, can), without the call


def _fill(orders, budget: float, y: float) -> list[tuple[Order, float]]:
    out = []
    for o in orders:
        if budget <= EPS:
            break
        rem = o.remaining
        can = min(rem, o.ready_qty - (o.qty - o.denied_qty - rem))  # startable(o), inline: the hottest loop
        if can <= EPS:
            continue
        cost = o.unit_cost / y
        goods = can if can * cost <= budget else budget / cost
        budget -= goods * cost
        out.append((o, goods))
    return out


@register_allocation("fifo")
def fifo(book: list[Order], budget: float, y: float) -> list[tuple[Order, float]]:
    """First come, first served: the oldest order takes what it needs first."""
    return _fill(book, budget, y)


@register_allocation("pro_rata")
def pro_rata(book: list[Order], budget: float, y: float) -> list[tuple[Order, float]]:
    """Shortage rationing: capacity is shared in proportion to each open order's size.

    Shares follow the order's quantity (what the customer asked for), capped at
    what it can start today; what a capped order leaves goes to the others
    (water-filling). Sharing by what is *still* needed instead would give an
    order that is nearly done a vanishing share, so its last units would trickle
    for hundreds of days (a geometric tail) while every open order shipped a
    sliver each week.
    """
    cans = [(o, c) for o in book if (c := startable(o)) > EPS]
    total = sum(c * o.unit_cost for o, c in cans) / y
    if total <= budget:
        return cans
    # water-filling over orders sorted by the fraction of their size they can start today
    sized = sorted(((o, c, max(o.qty - o.denied_qty, EPS)) for o, c in cans), key=lambda r: r[1] / r[2])
    weight = sum(size * o.unit_cost for o, _, size in sized) / y  # capacity units of the whole orders
    out: list[tuple[Order, float]] = []
    for o, c, size in sized:
        level = budget / weight if weight > EPS else 0.0  # capacity per capacity unit of order size
        goods = min(c, level * size)
        if goods > 0.0:  # positive amounts only (the contract): a day without capacity gives no pair of 0
            out.append((o, goods))
        budget -= goods * o.unit_cost / y
        weight -= size * o.unit_cost / y
    return out


@register_allocation("priority")
def priority(book: list[Order], budget: float, y: float) -> list[tuple[Order, float]]:
    """Customer tiers (0 first), first come first served within a tier."""
    return _fill(sorted(book, key=priority_key), budget, y)


def priority_key(o: Order) -> tuple[int, float]:
    """The order `priority` serves a book in."""
    return (o.tier, o.entered)


BUILT_IN: dict[str, AllocationRule] = dict(ALLOCATION_RULES)


def checked_give(name: str, node_id: str, day: int, rule: AllocationRule, book: list[Order], budget: float,
                 y: float, ctx: AllocationContext | None = None) -> list[tuple[Order, float]]:
    """A user's rule called (with `ctx` if it takes one) and its answer held to the contract
    (`register_allocation`): orders of the book, positive finite amounts, none above what the order
    may start, the budget not exceeded. A breach is a `PluginError` naming the rule; unchecked, it
    would make units out of nothing (a utilisation above 1), start units an order has not got the
    inputs for, or (a book changed in place) lose or double orders. Changes to the orders' own fields
    are not detected."""
    where = f"at node {node_id!r} on day {day}"
    before = tuple(book)  # the engine's book: a rule that sorts or pops it in place would corrupt it
    try:
        answer = rule(book, budget, y) if ctx is None else rule(book, budget, y, ctx)
        if answer is None or not hasattr(answer, "__iter__"):
            raise PluginError("allocation", name, f"returned {short(answer)} {where}: it must return a list of (order, good "
                              "units) pairs")
        give = list(answer)  # inside the try: a generator rule runs, and may raise, only here
    except PluginError:
        raise
    except (Exception, SystemExit) as exc:  # sys.exit() in a rule: see ordering.ask
        raise PluginError.raised("allocation", name, exc, where) from exc
    if len(book) != len(before) or any(a is not b for a, b in zip(book, before)):
        raise PluginError("allocation", name, f"changed the book {where} (added, removed or reordered orders): a rule reads "
                          "it, the engine keeps it; sort a copy, e.g. sorted(book, key=...)")
    members = {id(o) for o in book}
    given: dict[int, float] = {}
    spent = 0.0
    for item in give:
        try:
            o, goods = item
            goods = float(goods)
        except (TypeError, ValueError):
            raise PluginError("allocation", name, f"returned a {type(item).__name__} {where}: it must return (order, good units) "
                              "pairs") from None
        if id(o) not in members:
            raise PluginError("allocation", name, f"gave units to an order not in the book {where}")
        if not (0.0 < goods < INF):
            raise PluginError("allocation", name, f"gave {goods!r} units to an order {where}: amounts must be positive and finite")
        given[id(o)] = total = given.get(id(o), 0.0) + goods
        can = startable(o)
        if total > can * (1 + TOLERANCE) + EPS:
            raise PluginError("allocation", name, f"gave {total!r} units to an order {where}, more than the {can!r} it may start")
        spent += goods * o.unit_cost / y
    if spent > budget * (1 + TOLERANCE) + EPS:
        raise PluginError("allocation", name, f"spent {spent!r} capacity units {where}, more than the budget of {budget!r}")
    return give
