"""Single points of failure weighed and ranked by hand: four labs on the minimal network with fleet targets of
10,000, 30,000, 1,000 and 1,000 H100e at the start (42,000 in all) and grids of their own or shared."""

from __future__ import annotations

import copy

import pytest
from _topo import minimal_data, node

from supplychain.topology import parse_topology
from supplychain.topology_stats import single_points_of_failure


def _four_labs() -> dict:
    """lab (target 10,000) and lab3 (1,000) draw on `grid`, lab2 (30,000) on `grid2` alone, lab4 (1,000) on `grid`
    and `grid3`. Every lab holds a fleet of 10,000 or 1,000 units, not its target: shares weigh targets."""
    data = minimal_data()
    lab, grid = node(data, "lab"), node(data, "grid")
    for lid, target, fleet in (("lab2", 30_000, 10_000), ("lab3", 1_000, 1_000), ("lab4", 1_000, 1_000)):
        data["nodes"].append(dict(copy.deepcopy(lab), id=lid, fleet={"acc": fleet},
                                  target_h100e={"value": target, "growth": 0.5, "source": "assumption"}))
        data["edges"].append({"from": "vendor", "to": lid, "product": "acc"})
    for gid in ("grid2", "grid3"):
        data["nodes"].append(dict(copy.deepcopy(grid), id=gid))
    data["edges"] += [{"from": "grid2", "to": "lab2", "product": "power"}, {"from": "grid", "to": "lab3", "product": "power"},
                      {"from": "grid", "to": "lab4", "product": "power"}, {"from": "grid3", "to": "lab4", "product": "power"}]
    return data


def test_a_chokepoints_share_is_the_sum_of_its_labs_targets_and_they_rank_by_it() -> None:
    found = single_points_of_failure(parse_topology(_four_labs()))
    by_node = {c.node: c for c in found}
    assert set(by_node) == {"fab", "hbm_maker", "packager", "vendor", "grid2", "grid"}  # a lab with two grids has no grid chokepoint
    for nid in ("fab", "hbm_maker", "packager", "vendor"):
        assert by_node[nid].labs == ("lab", "lab2", "lab3", "lab4") and by_node[nid].share == pytest.approx(1.0)
    assert (by_node["grid2"].labs, by_node["grid2"].share) == (("lab2",), pytest.approx(30 / 42))
    assert (by_node["grid"].labs, by_node["grid"].share) == (("lab", "lab3"), pytest.approx(11 / 42))
    assert [c.node for c in found][-2:] == ["grid2", "grid"]  # one lab of 30/42 before two of 11/42

