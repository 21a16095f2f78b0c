"""What the plug-in tests share: a policy file's text, random plug-ins and the fixture that forgets what they registered."""

from __future__ import annotations

from typing import Any

import pytest

from supplychain.engine.allocation import ALLOCATION_RULES, register_allocation, startable
from supplychain.engine.ordering import ORDERING_POLICIES, register_ordering
from supplychain.engine.shocks import SHOCK_KINDS, register_shock_kind

POLICY = '''
    from supplychain.engine.ordering import register_ordering

    @register_ordering("half_gap", part=0.5)
    def half_gap(r):
        return r.params["part"] * (r.level - r.position)
'''


def register_random() -> None:
    """A lottery allocation rule, a noisy ordering policy and a random shock footprint, each drawing from its
    seeded stream. Made here, at each call, not at the module's top: Dask workers cannot import this module,
    and a function made by a call goes to them by value."""

    @register_allocation("lottery")
    def lottery(book, budget, y, ctx):  # the open lines in a random order
        give = []
        for k in ctx.rng.permutation(len(book)):
            goods = min(startable(book[k]), budget * y / book[k].unit_cost)
            if goods > 0:
                give.append((book[k], goods))
                budget -= goods * book[k].unit_cost / y
        return give

    @register_ordering("noisy")
    def noisy(r):  # a random part of the gap
        return (r.level - r.position) * r.rng.uniform(0.2, 1.0)

    @register_shock_kind("one_of")
    def one_of(net, shock, f, begin, nodes, *, rng):  # one of the targeted nodes loses capacity
        i = int(rng.choice(nodes))
        net.cap_mult[i] *= f
        return net.ids[i]


def random_topology() -> Any:
    """The minimal network with the fab and the packager allocating by lottery."""
    from _topo import minimal_data

    from supplychain.topology import parse_topology

    data = minimal_data()
    for n in data["nodes"]:
        if n["id"] in ("fab", "packager"):
            n["allocation"] = "lottery"
    return parse_topology(data)


def register_locked() -> None:
    """`locked_gap`: an ordering policy a factory made around a lock, which no pickler (pickle, cloudpickle) can
    send: a forked worker inherits it, a Dask worker cannot be given it."""
    import threading

    def make(lock: Any) -> Any:
        def decide(r):
            with lock:
                return 0.5 * (r.level - r.position)
        return decide

    register_ordering("locked_gap")(make(threading.Lock()))


#: a scenario naming the random policy and shock kind
RANDOM_SCENARIO = {"name": "random", "end": "2023-06-30", "labs": {"ordering": "noisy"},
                   "shocks": [{"id": "x", "kind": "one_of", "start": "2022-09-01", "duration_days": 90, "multiplier": 0.3,
                               "target": {"kinds": ["fab", "memory", "packaging"]}}]}


@pytest.fixture
def forget():
    """The registries are global: forget what a test's plug-in registered."""
    yield
    ORDERING_POLICIES.pop("half_gap", None)
    SHOCK_KINDS.pop("halve", None)
    ALLOCATION_RULES.pop("lottery", None)
    ORDERING_POLICIES.pop("noisy", None)
    SHOCK_KINDS.pop("one_of", None)
    ORDERING_POLICIES.pop("locked_gap", None)
