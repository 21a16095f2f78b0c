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


def test_labs_without_targets_weigh_their_fleets_in_h100e() -> None:
    """Without targets, the labs' fleets of 10,000, 10,000, 1,000 and 1,000 units of `acc` (2 H100e each) weigh
    them: grid2 (lab2) cuts 20,000 of 44,000 H100e, grid (lab, lab3) 22,000."""
    data = _four_labs()
    for n in data["nodes"]:
        n.pop("target_h100e", None)
    data["products"]["acc"]["h100e"] = 2.0
    by_node = {c.node: c for c in single_points_of_failure(parse_topology(data))}
    assert by_node["grid2"].share == pytest.approx(10 / 22) and by_node["grid"].share == pytest.approx(11 / 22)
    assert by_node["fab"].share == pytest.approx(1.0)


def test_labs_that_all_weigh_nothing_weigh_alike() -> None:
    """Every target 0 at the start: no lab outweighs another, so each is a quarter and a node cutting all four is 1."""
    data = _four_labs()
    for n in data["nodes"]:
        if n["kind"] == "lab":
            n["target_h100e"] = {"value": 0, "growth": 0.0, "source": "assumption"}
    by_node = {c.node: c for c in single_points_of_failure(parse_topology(data))}
    assert by_node["fab"].share == pytest.approx(1.0) and by_node["grid2"].share == pytest.approx(0.25)
    assert by_node["grid"].share == pytest.approx(0.5)


def test_a_textbook_chain_of_power_has_no_lab_to_cut() -> None:
    """A source shipping a `power` product to a stock feeds no lab: a chokepoint cuts labs, and there are none."""
    data = {
        "name": "chain", "products": {"mw": {"kind": "power"}},
        "nodes": [{"id": "src", "kind": "source", "makes": ["mw"]}, {"id": "depot", "kind": "stock", "item": "mw"},
                  {"id": "cust", "kind": "demand", "item": "mw", "demand": {"rate": 1}}],
        "edges": [{"from": "src", "to": "depot", "product": "mw"}, {"from": "depot", "to": "cust", "product": "mw"}],
    }
    assert single_points_of_failure(parse_topology(data)) == []


def test_chokepoints_of_equal_share_rank_the_one_cutting_more_labs_first() -> None:
    """`grid` powers lab2 (21,000) alone, `grid2` lab (20,000) and lab3 (1,000): equal shares, and the node cutting
    two labs ranks first though its id sorts after."""
    data = _four_labs()
    node(data, "lab")["target_h100e"]["points"] = {"2022-01-01": 20_000, "2025-01-01": 300_000}
    node(data, "lab2")["target_h100e"]["value"] = 21_000
    for e in data["edges"]:
        if e["product"] == "power" and e["to"] in ("lab", "lab2", "lab3"):
            e["from"] = {"lab": "grid2", "lab2": "grid", "lab3": "grid2"}[e["to"]]
    found = single_points_of_failure(parse_topology(data))
    assert [(c.node, c.labs) for c in found][-2:] == [("grid2", ("lab", "lab3")), ("grid", ("lab2",))]
    assert found[-1].share == pytest.approx(found[-2].share) == pytest.approx(21 / 43)
