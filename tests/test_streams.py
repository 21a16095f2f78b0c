"""Random streams (`engine.streams`): the plug-ins' are seeded per replication, one per node, lab or shock,
independent of the order they are asked for in, and leave the run's own streams as they were; the run's own
draw one stream per flow, rule and demand point, so one place's draws never move another's."""

from __future__ import annotations

import numpy as np

from supplychain.engine import World
from supplychain.engine.streams import PluginStreams
from supplychain.engine.world import RNG_STREAMS
from supplychain.results import replication_seed
from supplychain.scenario_schema import Scenario
from supplychain.topology import graph_to_model, load_topology

from conftest import ROOT, topo


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


def _transport_draws(model, seed: int = 3, n: int = 4) -> dict[tuple[str, str, str], list[float]]:
    """The first `n` transport times of every flow of `model`, by (supplier, customer, product)."""
    w = World(model, Scenario.model_validate({"name": "s"}), seed)
    ids = w.net.ids
    return {(ids[f.supplier], ids[f.customer], f.product): [draw() for _ in range(n)]
            for f, draw in zip(w.net.flows, w.draw_transport)}


def test_a_flows_transport_times_follow_the_seed_and_its_ends_not_the_other_flows():
    """One stream per flow, keyed by its ends and product: listing the edges in another order (or any other flow
    drawing more or less, which moves a shared stream the same way) leaves every flow's times as they were."""
    model = graph_to_model(load_topology(ROOT / "topology" / "default.yaml"))
    one = _transport_draws(model)
    assert _transport_draws(model.model_copy(update={"edges": list(reversed(model.edges))})) == one
    random = [tuple(v) for v in one.values() if len(set(v)) > 1]
    assert len(random) > 10 and len(set(random)) == len(random)  # a stream each, not one shared
    assert _transport_draws(model, seed=4) != one


def _licence_reviews(rule_ids: list[str], interleave: str | None = None, n: int = 6) -> list[tuple[float, bool]]:
    """`n` licence reviews of rule "b" on HBM to China (two_labs); before each, one of `interleave`'s if given."""
    rules = [{"id": r, "announced": "2022-01-01", "effective": "2022-01-01", "action": "license", "approval": 0.5,
              "review_days": {"dist": "uniform", "low": 10, "high": 50}, "scope": {"destinations": ["CN"]}}
             for r in rule_ids]
    w = World(graph_to_model(load_topology(ROOT / "tests" / "data" / "two_labs.yaml")),
              Scenario.model_validate({"name": "s", "controls": rules}), 3)
    by_id = {c.rule.id: c for c in w.controls.rules}
    sup, cus = w.net.ids.index("hbm_kr"), w.net.ids.index("pkg_cn")
    out = []
    for _ in range(n):
        if interleave:
            w.controls.decide([by_id[interleave]], 10.0, sup, cus, "hbm", 1.0, "order")
        d = w.controls.decide([by_id["b"]], 10.0, sup, cus, "hbm", 1.0, "order")
        assert d.action == "review"
        out.append((d.delay, d.approved))
    return out


def test_a_rules_licence_reviews_draw_from_its_own_stream():
    """Another rule's reviews before each of this rule's, or another rule listed first, leave this rule's review
    times and outcomes as they were: a rule added to a scenario moves no other rule's licences."""
    alone = _licence_reviews(["a", "b"])
    assert len(set(alone)) == len(alone) and {ok for _, ok in alone} == {True, False}
    assert _licence_reviews(["c", "a", "b"], interleave="a") == alone
    assert _licence_reviews(["b"]) == alone


def _arrivals(customers: list[str], seed: int = 5) -> dict[str, list[float]]:
    """Order times of Poisson demand points `customers` (rate 2/day) on one source, over 60 days."""
    nodes = [{"id": "src", "kind": "source", "makes": ["widget"], "cycle_time": 1}]
    nodes += [{"id": c, "kind": "demand", "item": "widget", "demand": {"mode": "poisson", "rate": 2, "size": 1}}
              for c in customers]
    model = topo(nodes, [{"from": "src", "to": c, "product": "widget"} for c in customers])
    w = World(model, Scenario.model_validate({"name": "s", "start": "2022-01-01", "end": "2022-03-01"}), seed).run()
    out: dict[str, list[float]] = {c: [] for c in customers}
    for o in w.orders:
        out[w.net.ids[o.customer]].append(o.ordered)
    return out


def test_a_demand_points_arrivals_draw_from_its_own_stream():
    """A second demand point leaves the first one's Poisson arrivals as they were."""
    alone = _arrivals(["a"])["a"]
    both = _arrivals(["b", "a"])
    assert len(alone) > 60 and both["a"] == alone and both["b"] != alone
