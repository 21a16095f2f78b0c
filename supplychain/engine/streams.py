"""Random streams keyed by id: the run's own below its streams by source (one per flow for transport
times, per export-control rule for licence reviews, per shock, per demand point: `keyed_stream`), and
the plug-ins': one per node for allocation rules, per lab for ordering policies and per shock for
shock kinds.

A plug-in drawing from a generator of its own would make the tables depend on the executor
(serial replications share one process, forked workers start from copies of it): these are
seeded per replication, as the run's own streams are. They come from one more child of the
replication's SeedSequence, after the run's streams (`world.RNG_STREAMS`), made by its spawn
key so those draw what they drew before; below it, one child per registry and per node, lab or
shock, keyed by its id, not its row: a rule's draws at one node depend neither on what happens
at other nodes nor on where the node is listed. Each is made on first use: built-in entries
never ask.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

__all__ = ["PluginStreams", "id_key", "child_stream", "keyed_stream", "flow_key"]

#: registry -> its child below the plug-in child
_REGISTRY = {"allocation": 0, "ordering": 1, "shock": 2}


def id_key(name: str) -> int:
    """A stable number for an id (Python's `hash` of a string changes with every process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def child_stream(seq: np.random.SeedSequence, *keys: int) -> np.random.Generator:
    """The generator of `seq`'s descendant at `keys` (its spawn key extended by them): made by key, not
    by `seq.spawn`, which counts the children spawned so far, so one stream never moves another."""
    return np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, *keys),
                                                        pool_size=seq.pool_size))


def keyed_stream(rng: np.random.Generator, name: str) -> np.random.Generator:
    """The stream of one flow, rule, shock or demand point `name` below the run's stream `rng` (its child keyed
    by the id). One stream shared by all of them in the order they draw made a change at one place move every
    other's draws (a China-only rule moved Western transport times by a day here and there): with one each, a
    comparison of two scenarios keeps its common random numbers wherever the scenarios agree."""
    seq = rng.bit_generator.seed_seq
    assert isinstance(seq, np.random.SeedSequence), seq
    return child_stream(seq, id_key(name))


def flow_key(supplier: str, customer: str, product: str) -> str:
    """The name a flow's stream is keyed by: `supplier>customer:product`, or, if an id holds `>` or `:`, the three as
    a JSON list (`a>b` -> `c` and `a` -> `b>c` would share a name; the list has spaces, which no id has, so it never
    equals a plain name)."""
    if any(">" in x or ":" in x for x in (supplier, customer, product)):
        return json.dumps([supplier, customer, product])
    return f"{supplier}>{customer}:{product}"


class PluginStreams:
    """The plug-in streams of one replication, made when first asked for."""

    def __init__(self, seq: np.random.SeedSequence, child: int) -> None:
        """`child`: the plug-ins' child of `seq`, by number (`seq.spawn` would count the children spawned so far)."""
        self._seq = seq
        self._child = child
        self._made: dict[tuple[str, str], np.random.Generator] = {}

    def get(self, registry: str, name: str) -> np.random.Generator:
        """The stream of node, lab or shock `name` for plug-ins of `registry` ("allocation", "ordering", "shock")."""
        rng = self._made.get((registry, name))
        if rng is None:
            rng = self._made[(registry, name)] = child_stream(self._seq, self._child, _REGISTRY[registry], id_key(name))
        return rng
