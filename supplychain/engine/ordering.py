"""Lab ordering policies: how many H100e a lab orders at a review (a registry a user can extend).

At every review (`review_days`) a lab knows its order-up-to level, the fleet it plans for
`horizon_days` ahead (with `power_aware`, capped by the power it expects; under a stockpiling
rule, raised for the SKUs the rule will hit), and its position: installed + delivered but not
installed + on order, in H100e. The policy named by the scenario's `labs.ordering` turns them
into the H100e to order now; the engine splits that over the SKUs on offer by their shares,
keeps what export controls allow and places the orders. Power is ordered up to need apart.

Two policies are built in. `order_up_to` (the default) orders the whole gap at once, the
periodic-review base-stock rule. `smooth` closes a fraction `review_days / adjustment_days`
of it per review, the anchoring-and-adjustment heuristic of Sterman (1989, "Modeling
managerial behavior: misperceptions of feedback in a dynamic decision making experiment"),
with which buyers chase a gap over `adjustment_days` instead of ordering it all in the
first review that sees it: a surge in targets reaches the suppliers spread out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping, NamedTuple

import numpy as np

from ..errors import PluginError

__all__ = ["Review", "OrderingPolicy", "ORDERING_POLICIES", "register_ordering", "orderings_used", "ask"]


class Review(NamedTuple):
    """What a lab knows at a review, H100e and days; the policy is asked once per SKU on offer with the
    same review, and the lab orders that SKU's share of the answer. Read-only, as a frozen dataclass,
    at a quarter of its cost to build: labs build one per review (1,000 nodes x 10 years: 150k)."""

    lab: str  # the lab's id
    now: float  # simulated day of the review (0 = the scenario's start)
    level: float  # order-up-to level: the target `horizon_days` ahead, capped by power
    position: float  # installed + delivered not yet installed + on order (less a stockpile in its rule's window)
    target: float  # the target `horizon_days` ahead (trajectory x today's demand multiplier), before factor and cap
    review_days: float  # days to the lab's next review
    params: Mapping[str, float] = MappingProxyType({})  # `labs.ordering_params`, defaults filled in
    #: the lab's random stream for ordering policies (`streams.py`): seeded per replication, so a policy
    #: drawing from it gives the same tables for the same seed, serial or on workers (None for a built-in policy)
    rng: np.random.Generator | None = None


@dataclass(frozen=True)
class OrderingPolicy:
    """A registered policy: `decide(review) -> H100e to order now`, its parameters' defaults, and
    whether it is asked at every review or only where the lab is below its level."""

    name: str
    decide: Callable[[Review], float]
    defaults: Mapping[str, float]
    every_review: bool = False


ORDERING_POLICIES: dict[str, OrderingPolicy] = {}


def register_ordering(name: str, *, every_review: bool = False,
                      **defaults: float) -> Callable[[Callable[[Review], float]], Callable[[Review], float]]:
    """Decorator: make `decide` the lab ordering policy `name`, usable as `labs: {ordering: name}`
    in a scenario (or per lab under `per_lab`).

    `decide(review) -> float` is called at each review where the lab is below its level (with
    `every_review=True`, at every review: a policy that orders without a gap, such as a fixed
    volume), once per SKU on offer (`Review`), and returns the H100e to order now, before the
    SKU's share is applied: 0 or less orders nothing. It must not change anything it is given.
    A policy that draws random numbers draws them from `review.rng`, the lab's seeded stream.
    The other keyword arguments are the policy's parameters and their defaults: a scenario sets
    them under `labs.ordering_params` (non-negative numbers; a name the policy does not declare
    is an input error), and `review.params` holds every one of them.

    Register before the scenario is validated (`labs.ordering` accepts registered names only).
    Local worker processes are forked and inherit the registry; a Dask work unit carries the
    policies its scenario names. A name registered again replaces the policy.
    """
    for k, v in defaults.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
            raise ValueError(f"ordering policy {name!r}: the default of {k!r} must be a non-negative number (got {v!r})")

    def deco(fn: Callable[[Review], float]) -> Callable[[Review], float]:
        ORDERING_POLICIES[name] = OrderingPolicy(name, fn, {k: float(v) for k, v in defaults.items()}, bool(every_review))
        return fn

    return deco


def orderings_used(scenario: object) -> tuple[tuple[str, OrderingPolicy], ...]:
    """The ordering policies a scenario's labs name, as registered here (a work unit carries them
    to Dask workers, which have only the built-in ones)."""
    names = {scenario.labs.ordering}  # type: ignore[attr-defined]
    for fields in scenario.per_lab.values():  # type: ignore[attr-defined]
        names.add(fields.get("ordering", scenario.labs.ordering))  # type: ignore[attr-defined]
    return tuple((n, ORDERING_POLICIES[n]) for n in sorted(names) if n in ORDERING_POLICIES)


@register_ordering("order_up_to")
def order_up_to(r: Review) -> float:
    """The whole gap to the order-up-to level, at once."""
    return r.level - r.position


@register_ordering("smooth", adjustment_days=90.0)
def smooth(r: Review) -> float:
    """A fraction review_days / adjustment_days of the gap per review (all of it when
    `adjustment_days` is no longer than the review period). assumption: 90 days, a quarter,
    the planning cycle of the labs' capex guidance; no published figure."""
    adjust = r.params["adjustment_days"]
    frac = 1.0 if adjust <= r.review_days else r.review_days / adjust
    return (r.level - r.position) * frac


BUILT_IN: dict[str, OrderingPolicy] = dict(ORDERING_POLICIES)


def ask(policy: OrderingPolicy, review: Review) -> float:
    """`policy.decide(review)`, checked: a user's policy that raises, or returns anything but a
    finite number, is a `PluginError` naming it (nan would pass the engine's "gap too small" test
    and place an order of nan units)."""
    try:
        want = policy.decide(review)
    except (Exception, SystemExit) as exc:  # sys.exit() in a policy ended the command with its status, silently
        built_in = BUILT_IN.get(policy.name)
        if built_in is not None and policy.decide is built_in.decide:  # a copy on a Dask worker has the same function
            raise  # the engine's own: a bug to see whole
        raise PluginError.raised("ordering", policy.name, exc, f"for lab {review.lab!r} on day {review.now:g}") from exc
    ok = False
    if isinstance(want, float) or type(want) is int:  # the usual answers (numpy's float64 is a float): no numpy call
        ok = -math.inf < want < math.inf
    elif not isinstance(want, (bool, str, bytes)) and np.ndim(want) == 0:  # one number: not an array, text or None
        try:
            want = float(want)
            ok = -math.inf < want < math.inf
        except (TypeError, ValueError):
            pass
    if not ok:
        raise PluginError("ordering", policy.name, f"returned {want!r} H100e for lab {review.lab!r} on day {review.now:g}: "
                          "it must return a finite number")
    return want
