"""What the quote tests share: the quotes `QuotePlan` makes on a day, and checking them against a
quoter that computes the definition by recursion (`ReferenceQuoter` in test_quotes.py, or a variant)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from supplychain.engine import World


def plan_quotes(world: World, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Today's capacity, and the node and at-supplier quotes the plan makes from it and the backlogs."""
    prod = world.production
    cap = prod.capacity(day)
    node_q, at = world.quote_book.plan.evaluate(world, day, cap, prod.backlog_vector(day))
    return cap, node_q, at


def reference_at(ref, world: World) -> np.ndarray:
    """The quoter `ref`'s quote at every (supplier, product) key of the quote book, in its order."""
    return np.array([ref.at_supplier(n, p) for n, p in world.quote_book.keys])


def assert_plan_matches(world: World, day: int, quoter: Callable) -> tuple[np.ndarray, object]:
    """Assert the plan's at-supplier quotes equal `quoter(world, day, capacity)`'s at every key (to 1e-12);
    returns the plan's node quotes and the quoter, for the checks a test adds."""
    cap, node_q, at = plan_quotes(world, day)
    ref = quoter(world, day, cap)
    np.testing.assert_allclose(at, reference_at(ref, world), rtol=1e-12, atol=1e-12)
    return node_q, ref
