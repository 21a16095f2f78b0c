"""The synthetic network generator: valid by construction, realistic shape, sized sensibly.

Its speed is measured in benchmarks/ (`bench_engine.py --only generate`)."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from supplychain.errors import InputError
from supplychain.generate import MIN_NODES, PROPORTIONS, generate_topology
from supplychain.schema import TopologyModel
from supplychain.topology import parse_topology
from supplychain.validation import check_topology, warnings_for


@settings(max_examples=25, deadline=None)
@given(n=st.integers(MIN_NODES, 400), seed=st.integers(0, 2**63))
def test_generated_topologies_pass_every_check_without_warnings(n: int, seed: int) -> None:
    model = generate_topology(n, seed)
    check_topology(model)  # raises on any failed check
    assert warnings_for(model) == []
    assert len(model.nodes) == n
    # the plain data form validates too (what a file written from it would hold)
    assert parse_topology(model.model_dump(mode="json", by_alias=True, exclude_none=True)) == model


def test_kind_proportions_follow_the_table() -> None:
    model = generate_topology(2000, 5)
    counts = Counter(n.kind for n in model.nodes)
    for kind, share in PROPORTIONS.items():
        assert abs(counts[kind] - share * 2000) <= 1, (kind, counts[kind])
    assert counts.most_common(1)[0][0] == "lab"


def test_smallest_network_has_one_of_each_kind_and_too_small_is_refused() -> None:
    model = generate_topology(MIN_NODES, 0)
    assert Counter(n.kind for n in model.nodes) == Counter(dict.fromkeys(PROPORTIONS, 1))
    with pytest.raises(InputError, match="^<arguments>: n_nodes: need at least 7 nodes"):
        generate_topology(MIN_NODES - 1, 0)


def test_same_seed_same_network_and_no_global_random_state_is_touched() -> None:
    np.random.seed(123)
    random.seed(123)
    np_state, py_state = np.random.get_state()[1].copy(), random.getstate()
    a, b = generate_topology(300, 42), generate_topology(300, 42)
    assert a == b
    assert generate_topology(300, 43) != a
    assert np.array_equal(np.random.get_state()[1], np_state) and random.getstate() == py_state


def _start_utilisation(model: TopologyModel) -> dict[str, float]:
    """Load / capacity of every producer at the start, recomputed from the model alone.

    Lab demand is the growth of its fleet target (H100e/week), split over the
    SKUs it holds in proportion to its installed fleet; it flows up the edges
    by their shares (normalised per customer and product) through the BOM.
    """
    nodes = {n.id: n for n in model.nodes}
    products = model.products
    start = model.start
    into: dict[tuple[str, str], list] = defaultdict(list)
    for e in model.edges:
        into[(e.target, e.product)].append(e)

    def split(customer: str, product: str, qty: float) -> list[tuple[str, float]]:
        edges = into[(customer, product)]
        total = sum(e.share.at(start) for e in edges)
        return [(e.source_id, qty * e.share.at(start) / total) for e in edges]

    load: dict[str, float] = defaultdict(float)
    for lab in (n for n in model.nodes if n.kind == "lab"):
        target = lab.target_h100e
        rate = target.at(start) * math.log1p(target.growth) / 52.18
        fleet_h100e = {s: u * products[s].h100e for s, u in lab.fleet.items()}
        total = sum(fleet_h100e.values())
        mw = 0.0
        for sku, h in fleet_h100e.items():
            packages = rate * h / total / products[sku].h100e
            mw += packages * products[sku].power_kw / 1000 * 52.18
            for vendor, q in split(lab.id, sku, packages):
                for packer, qp in split(vendor, sku, q):
                    gross = qp / nodes[packer].yield_.at(start)
                    load[packer] += gross
                    bom = products[sku].bom
                    for fab, qf in split(packer, bom.logic, gross * bom.logic_dies):
                        load[fab] += qf / (bom.dies_per_wafer * nodes[fab].yield_.at(start))
                    for mem, qm in split(packer, bom.hbm, gross * bom.hbm_stacks):
                        load[mem] += qm / nodes[mem].yield_.at(start)
        for grid, qg in split(lab.id, "power", mw):
            load[grid] += qg
    return {nid: load[nid] / nodes[nid].capacity.at(start) for nid in load}


@pytest.mark.parametrize("n, seed", [(12, 0), (200, 1), (1000, 2)])
def test_capacities_are_sized_for_the_steady_flow_at_the_start(n: int, seed: int) -> None:
    util = _start_utilisation(generate_topology(n, seed))
    kinds = {nid.rsplit("_", 1)[0] for nid in util}
    assert kinds == {"fab", "memory", "packaging", "grid"}
    # the steady flow would use 65-90 %; HBM is pooled per packager, so allow some spread
    assert all(0.5 <= u <= 1.0 for u in util.values()), {k: round(u, 2) for k, u in util.items() if not 0.5 <= u <= 1.0}


def test_capacity_grows_with_demand() -> None:
    model = generate_topology(100, 3)
    lab_growth = np.mean([n.target_h100e.growth for n in model.nodes if n.kind == "lab"])
    producer_growth = {n.capacity.growth for n in model.nodes if n.kind in ("fab", "memory", "packaging", "grid", "equipment")}
    assert len(producer_growth) == 1 and abs(producer_growth.pop() - lab_growth) < 0.1


def test_five_thousand_nodes_generate_a_valid_network() -> None:
    """The largest size the docs name builds into a graph the loader accepts. Its speed is measured
    in benchmarks/ (`bench_engine.py --only generate`), not asserted here: the machines are shared."""
    model = generate_topology(5000, 7)
    check_topology(model)  # raises on any failed check (a cycle, a dangling edge, a bad figure)
    assert len(model.nodes) == 5000 and warnings_for(model) == []


def test_generated_networks_saturate_from_the_first_weeks() -> None:
    """What the module docstring says: the labs order far above the flow capacities are sized
    for, so tool makers, fabs, HBM makers and grids run flat out while packagers wait."""
    from supplychain.results import simulate

    r = simulate(generate_topology(50, 0), {"name": "g", "start": "2022-01-01", "end": "2022-06-30"}, seed=1)
    weeks = r.nodes[r.nodes["day"].between(14, 84)].groupby("kind")["utilisation"].mean()
    assert (weeks[["equipment", "fab", "memory", "grid"]] >= 0.99).all(), weeks.to_dict()
    assert weeks["packaging"] < 0.5, weeks.to_dict()


@pytest.mark.parametrize(("args", "line"), [
    ((10.5, 0), "<arguments>: n_nodes: must be a whole number, at least 7 (got 10.5)"),
    ((10, -1), "<arguments>: seed: must be at least 0 (got -1)"),
    ((2_000_000, 0), "<arguments>: n_nodes: at most 1,000,000 nodes (got 2000000)"),
])
def test_bad_arguments_are_input_errors_naming_them(args, line) -> None:
    """As every API function's: not numpy's words from inside (a negative seed) or 10.5 nodes taken."""
    with pytest.raises(InputError) as err:
        generate_topology(*args)
    assert str(err.value) == line
