"""How the generator builds a network, checked exactly: at a fixed utilisation every producer's capacity is the
start's steady flow over it (tool makers too), the seed draws the network (not only its name), every SKU has a
buyer and every producer a customer, nodes sit where `COUNTRIES` weighs them, and suppliers are drawn, not dealt
in id order."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import pytest
from test_generate import _start_utilisation

from supplychain import generate
from supplychain.generate import COUNTRIES, generate_topology
from supplychain.schema import TopologyModel


def _tool_utilisation(model: TopologyModel) -> dict[str, float]:
    """Tools a year each tool maker ships for the planned growth of the producers it equips / its capacity:
    a producer's capacity x growth / capacity_per_tool, split over its tool makers by the edges' shares."""
    start = model.start
    nodes = {n.id: n for n in model.nodes}
    into: dict[str, list] = defaultdict(list)
    for e in model.edges:
        if e.product in generate.TOOL_TYPES:
            into[e.target].append(e)
    load: dict[str, float] = defaultdict(float)
    for nid, edges in into.items():
        node = nodes[nid]
        tools = node.capacity.at(start) * node.capacity.growth / node.expansion.capacity_per_tool
        total = sum(e.share.at(start) for e in edges)
        for e in edges:
            load[e.source_id] += tools * e.share.at(start) / total
    return {m: load[m] / nodes[m].capacity.at(start) for m in load}


@pytest.mark.parametrize("n, seed", [(7, 0), (60, 3), (400, 4)])
def test_at_a_fixed_utilisation_every_capacity_is_the_starts_flow_over_it(monkeypatch, n: int, seed: int) -> None:
    """UTILISATION pinned to 0.8: the load recomputed from the model alone is 0.8 of every capacity, up to the
    rounding of shares (4 decimals), fleets (0.1 units) and capacities (3 decimals)."""
    monkeypatch.setattr(generate, "UTILISATION", (0.8, 0.8))
    model = generate_topology(n, seed)
    util = _start_utilisation(model) | _tool_utilisation(model)
    kinds = {nid.rsplit("_", 1)[0] for nid in util}
    assert kinds == {"fab", "memory", "packaging", "grid", "equipment"}
    assert all(abs(u - 0.8) < 0.002 for u in util.values()), {k: round(u, 4) for k, u in util.items() if abs(u - 0.8) >= 0.002}


def test_the_seed_draws_the_network_not_only_its_name() -> None:
    def drawn(seed: int) -> dict:
        return generate_topology(100, seed).model_dump(exclude={"name", "description"})

    assert drawn(42) == drawn(42) and drawn(42) != drawn(43)


@pytest.mark.parametrize("n", [7, 40])
def test_every_sku_has_a_buyer_and_every_producer_a_customer(n: int) -> None:
    for seed in range(10):
        model = generate_topology(n, seed)
        kind = {x.id: x.kind for x in model.nodes}
        bought = {e.product for e in model.edges if kind[e.target] == "lab"}
        skus = {p for p, x in model.products.items() if x.kind == "accelerator"}
        assert skus <= bought, (n, seed, skus - bought)
        shipping = {e.source_id for e in model.edges}
        idle = [x for x, k in kind.items() if k in ("fab", "memory", "packaging", "grid", "equipment") and x not in shipping]
        assert idle == [], (n, seed, idle)


def test_nodes_sit_where_the_countries_table_weighs_them() -> None:
    model = generate_topology(2000, 5)
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for x in model.nodes:
        by_kind[x.kind][x.country] += 1
    for kind, weights in COUNTRIES.items():
        counts = by_kind[kind]
        if sum(counts.values()) < 100:  # too few to tell a weight
            continue
        shares = {c: counts[c] / sum(counts.values()) for c in weights}
        assert all(abs(shares[c] - w) <= 0.12 for c, w in weights.items()), (kind, shares)


def test_suppliers_are_drawn_not_dealt_in_id_order() -> None:
    """The packagers SKU by SKU, as they were picked: a shuffled deal, each once before any repeats, not their ids
    in either order (1,000 nodes: more packaging slots than the 50 packagers, so the first 50 picks are the deal)."""
    model = generate_topology(1000, 2)
    kind = {x.id: x.kind for x in model.nodes}
    picks = [e.source_id for e in model.edges if kind[e.source_id] == "packaging" and kind[e.target] == "vendor"]
    deal = picks[: sum(k == "packaging" for k in kind.values())]
    assert len(set(deal)) == len(deal) == 50
    assert deal != sorted(deal) and deal != sorted(deal, reverse=True)


@pytest.mark.parametrize("n", range(14, 60))
def test_a_kind_raised_to_its_minimum_of_one_gets_no_remainder_node_too(n: int) -> None:
    """Largest remainder over the kinds whose share is a node or more; a kind below one node is raised to one and
    no further (at 30 nodes memory's 0.9 came out 2, while fab's and packaging's 1.5 came out 1 each)."""
    counts = generate._counts(n)
    assert sum(counts.values()) == n
    largest = max(generate.PROPORTIONS, key=generate.PROPORTIONS.get)  # the kind the minimums come out of at small n
    raised = sum(1 - p * n for p in generate.PROPORTIONS.values() if p * n < 1)  # nodes the minimums add
    for kind, p in generate.PROPORTIONS.items():
        raw = p * n
        if raw < 1:
            assert counts[kind] == 1, (kind, raw, counts)
        else:
            low = int(raw) - (math.ceil(raised) if kind == largest else 0)
            assert low <= counts[kind] <= int(raw) + 1, (kind, raw, counts)
