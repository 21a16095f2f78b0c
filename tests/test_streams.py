"""Random streams (`engine.streams`): the plug-ins' are seeded per replication, one per node, lab or shock,
independent of the order they are asked for in, and leave the run's own streams as they were; the run's own
draw one stream per flow, rule and demand point, so one place's draws never move another's."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    return {(ids[f.supplier], ids[f.customer], f.product): [fixed] * n if draw is None else [draw() for _ in range(n)]
            for f, fixed, draw in zip(w.net.flows, w.fixed_transport, w.draw_transport)}


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


def _two_worlds(controls: list[dict]) -> dict:
    """A Western and a Chinese supply chain that share no node (fab, HBM maker, packager, vendor, grid and lab
    each), every transport time random; simulated to end-2024 under `controls`."""
    from supplychain.results import simulate

    tri = {"dist": "triangular", "low": 1, "mode": 3, "high": 9}
    products = {"tool": {"kind": "tool"}, "logic": {"kind": "logic"}, "hbm": {"kind": "hbm", "bw_density": 3.3},
                "power": {"kind": "power"}}
    nodes, edges = [{"id": "tools", "kind": "equipment", "country": "JP", "makes": ["tool"], "capacity": 1000,
                     "cycle_time": 30}], []
    for c, sku in (("us", "acc"), ("cn", "asc")):
        country = c.upper()
        products[sku] = {"kind": "accelerator", "vendor": f"vend_{c}", "h100e": 1.0, "power_kw": 1.0, "tpp": 15800,
                         "bom": {"logic": "logic", "dies_per_wafer": 50, "hbm": "hbm", "hbm_stacks": 4}}
        nodes += [
            {"id": f"fab_{c}", "kind": "fab", "country": country, "makes": ["logic"], "capacity": 3000, "yield": 0.8,
             "cycle_time": 20, "expansion": {"tool": "tool", "capacity_per_tool": 100}},
            {"id": f"hbm_{c}", "kind": "memory", "country": country, "makes": ["hbm"], "capacity": 100000, "cycle_time": 30},
            {"id": f"pkg_{c}", "kind": "packaging", "country": country, "capacity": 20000, "cycle_time": 10},
            {"id": f"vend_{c}", "kind": "vendor", "country": country, "skus": [sku]},
            {"id": f"grid_{c}", "kind": "grid", "country": country, "makes": ["power"], "capacity": 1000000, "cycle_time": 10},
            {"id": f"lab_{c}", "kind": "lab", "country": country, "power_mw": 1000,
             "target_h100e": {"points": {"2022-01-01": 0, "2025-01-01": 300000}}},
        ]
        edges += [{"from": "tools", "to": f"fab_{c}", "product": "tool", "transport": tri},
                  {"from": f"fab_{c}", "to": f"pkg_{c}", "product": "logic", "transport": tri},
                  {"from": f"hbm_{c}", "to": f"pkg_{c}", "product": "hbm", "transport": tri},
                  {"from": f"pkg_{c}", "to": f"vend_{c}", "product": sku, "transport": tri},
                  {"from": f"vend_{c}", "to": f"lab_{c}", "product": sku, "transport": tri},
                  {"from": f"grid_{c}", "to": f"lab_{c}", "product": "power"}]
    r = simulate(topo(nodes, edges, products), {"name": "s", "end": "2024-12-31", "controls": controls}, seed=11)
    return r.tables


def test_a_rule_on_one_of_two_separate_chains_leaves_the_others_tables_as_they_were():
    """Common random numbers where two scenarios agree: a licence on China's HBM (reviewed 20-90 days, half
    granted) moves China's chain, and leaves every order line, weekly node state and fleet row of the Western
    chain, which shares nothing with it, as they were. With one transport stream drawn in turn by every flow,
    each shipment China's rule moved handed the West's later shipments other transport times."""
    rule = {"id": "hbm_cn", "announced": "2022-01-01", "effective": "2022-03-01", "action": "license", "approval": 0.5,
            "review_days": {"dist": "uniform", "low": 20, "high": 90}, "scope": {"destinations": ["CN"], "product_kinds": ["hbm"]}}
    base, ruled = _two_worlds([]), _two_worlds([rule])
    west = {"orders": "customer", "fleet": "lab", "nodes": "node"}
    for name, col in west.items():
        a, b = (t[t[col].astype(str).str.endswith("_us")].drop(columns="scenario").reset_index(drop=True)
                for t in (base[name], ruled[name]))
        assert len(a) > 10
        pd.testing.assert_frame_equal(a, b, obj=name)
    cn = [t["orders"][t["orders"]["customer"] == "lab_cn"][["delivered"]].reset_index(drop=True) for t in (base, ruled)]
    assert not cn[0].equals(cn[1])  # the rule did move China's chain


def test_flows_whose_ids_hold_the_key_separators_draw_from_streams_of_their_own():
    """`a>b` -> `c` and `a` -> `b>c` (ids may hold `>` and `:`) would both be named `a>b>c:widget`: the same draws."""
    from supplychain.engine.streams import flow_key

    assert flow_key("a>b", "c", "widget") != flow_key("a", "b>c", "widget")
    assert flow_key("a:b", "c", "p") != flow_key("a", "b", "c:p") != flow_key("a", "b:c", "p")
    assert flow_key("fab", "pkg", "logic") == "fab>pkg:logic"  # plain ids: the name every run so far drew by
    tri = {"dist": "triangular", "low": 1, "mode": 3, "high": 9}
    nodes = [{"id": i, "kind": k, "item": "widget"} if k != "source" else {"id": i, "kind": k, "makes": ["widget"]}
             for i, k in (("a>b", "source"), ("a", "source"), ("c", "demand"), ("b>c", "demand"))]
    for n in nodes:
        if n["kind"] == "demand":
            n["demand"] = {"mode": "fixed", "rate": 1}
    model = topo(nodes, [{"from": "a>b", "to": "c", "product": "widget", "transport": tri},
                         {"from": "a", "to": "b>c", "product": "widget", "transport": tri}])
    draws = _transport_draws(model)
    assert draws[("a>b", "c", "widget")] != draws[("a", "b>c", "widget")]
