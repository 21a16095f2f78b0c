"""Plug-in random streams (`engine.streams`): seeded per replication, one per node, lab or shock, independent of
the order they are asked for in, and leaving the run's own streams as they were."""

from __future__ import annotations

import numpy as np

from supplychain.engine import World
from supplychain.engine.streams import PluginStreams
from supplychain.engine.world import RNG_STREAMS
from supplychain.results import replication_seed
from supplychain.scenario_schema import Scenario
from supplychain.topology import graph_to_model, load_topology

from conftest import ROOT


def streams(seed: int, replication: int = 1) -> PluginStreams:
    return PluginStreams(replication_seed(seed, replication), len(RNG_STREAMS))


def draws(s: PluginStreams, *names: str, registry: str = "allocation") -> dict[str, list[float]]:
    return {n: s.get(registry, n).random(3).tolist() for n in names}


def test_a_streams_draws_follow_the_seed_and_its_id_not_the_order_it_was_asked_for():
    one = draws(streams(7), "fab", "packager")
    assert one == draws(streams(7), "packager", "fab")
    assert one["fab"] != one["packager"]  # one stream per node
    assert one["fab"] != draws(streams(8), "fab")["fab"] != draws(streams(7, 0), "fab")["fab"]  # seed, replication
    assert one["fab"] != draws(streams(7), "fab", registry="ordering")["fab"]  # one per registry
    s = streams(7)
    assert s.get("allocation", "fab") is s.get("allocation", "fab")  # one stream across the run, not one per call


def test_the_plugin_streams_are_the_next_child_and_leave_the_runs_own_streams_as_they_were():
    """The run's streams are the first children of the replication's SeedSequence, as before plug-in streams
    existed; the plug-ins' come from the next child, made by its key: asking for them spawns nothing from the
    sequence (which would shift what it spawns next) and draws nothing from the run's streams."""
    seq = replication_seed(5, 2)
    w = World(graph_to_model(load_topology(ROOT / "topology" / "minimal.yaml")), Scenario.model_validate({"name": "s"}), seq)
    states = {name: g.bit_generator.state for name, g in w.rng.items()}
    rng = w.plugin_streams.get("allocation", "fab")
    assert [w.rng[n].bit_generator.seed_seq.spawn_key for n in RNG_STREAMS] == [(2, k) for k in range(len(RNG_STREAMS))]
    assert rng.bit_generator.seed_seq.spawn_key[:3] == (2, len(RNG_STREAMS), 0)  # below the next child: allocation
    assert seq.n_children_spawned == len(RNG_STREAMS)
    rng.random(10)
    assert {name: g.bit_generator.state for name, g in w.rng.items()} == states
