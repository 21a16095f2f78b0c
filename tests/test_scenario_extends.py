"""Scenario files and `extends`: mappings merge, lists and figures replace, rules and shocks merge by id,
`remove`, chains and lists of parents, a file's name, cycles and over-long chains, errors blamed on the file
that wrote them, paths relative to the file that wrote them."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.scenario import deep_merge, load_scenario

from _scenarios import RULE, fails, scenario_with, world  # noqa: F401 - world is a fixture
from conftest import write


def test_mappings_merge_lists_replace_figures_replace(world: Path) -> None:
    child = write(
        world,
        "child.yaml",
        """
        extends: base.yaml
        name: child
        sources: [c]
        labs: {utilisation: 0.5}
        demand: {multiplier: {points: {2025-01-01: 1.0, 2030-01-01: 2.0}}}
        """,
    )
    sc = load_scenario(child).scenario
    assert sc.name == "child"
    assert sc.sources == ["c"]  # lists replace
    assert sc.labs.utilisation == 0.5 and sc.labs.review_days == 7  # mappings merge
    assert sc.demand.multiplier.value is None and sc.demand.multiplier.growth == 0.0  # a figure replaces whole
    assert len(sc.demand.multiplier.points) == 2


def test_controls_and_shocks_merge_by_id(world: Path) -> None:
    child = write(
        world,
        "child.yaml",
        f"""
        extends: base.yaml
        controls:
          - {{id: r2, announced: 2024-01-01, effective: 2024-06-01, action: license, review_days: 30, approval: 0.5}}
          - {RULE.format(id="r3")}
        shocks:
          - {{id: s2, kind: yield, start: 2026-01-01, multiplier: 0.9}}
        """,
    )
    sc = load_scenario(child).scenario
    assert [r.id for r in sc.controls] == ["r1", "r2", "r3"]  # replaced in place, new appended
    assert sc.controls[1].action == "license" and sc.controls[1].approval == 0.5
    assert [s.id for s in sc.shocks] == ["s1", "s2"]


@pytest.mark.parametrize("own", [
    [RULE.format(id="c1"), RULE.format(id="c1")],  # a new id, twice
    [RULE.format(id="r1"), RULE.format(id="r1").replace("[TW]", "[US]")],  # an inherited id, overridden twice
])
def test_an_id_twice_in_one_file_is_an_error_with_extends_too(world: Path, own: list[str]) -> None:
    """Merging by id must not collapse the file's own entries: the earlier one would vanish silently."""
    body = "".join(f"\n  - {rule}" for rule in own)
    write(world, "dup.yaml", f"extends: base.yaml\nname: dup\ncontrols:{body}\n")
    rid = own[0].split(",")[0].split()[-1]
    fails(world / "dup.yaml", f"controls.{rid}.id", match=f"duplicate rule/shock id (got '{rid}')")
    write(world, "alone.yaml", f"topology: topo.yaml\nname: dup\ncontrols:{body}\n")
    fails(world / "alone.yaml", f"controls.{rid}.id", match=f"duplicate rule/shock id (got '{rid}')")


def test_remove_drops_inherited_rules_and_shocks(world: Path) -> None:
    write(world, "one.yaml", "extends: base.yaml\nremove: [r1, s1]\n")
    sc = load_scenario(world / "one.yaml").scenario
    assert [r.id for r in sc.controls] == ["r2"] and sc.shocks == []
    write(world, "all.yaml", f"extends: base.yaml\nremove: [controls.*]\ncontrols: [{RULE.format(id='new')}]\n")
    sc = load_scenario(world / "all.yaml").scenario
    assert [r.id for r in sc.controls] == ["new"] and [s.id for s in sc.shocks] == ["s1"]


def test_remove_of_an_id_nothing_inherits_is_an_error(world: Path) -> None:
    write(world, "bad.yaml", "extends: base.yaml\nremove: [r1, typo]\n")
    fails(world / "bad.yaml", "remove.1", match="typo")


def test_chains_and_lists_of_parents(world: Path) -> None:
    write(world, "mid.yaml", "extends: base.yaml\nseed: 7\nlabs: {review_days: 21}\n")
    write(world, "other.yaml", f"extends: base.yaml\ncontrols: [{RULE.format(id='r9')}]\n")
    write(world, "leaf.yaml", "extends: [mid.yaml, other.yaml]\nreplications: 3\n")
    rs = load_scenario(world / "leaf.yaml")
    sc = rs.scenario
    assert (sc.seed, sc.replications, sc.labs.review_days, sc.labs.utilisation) == (7, 3, 21, 0.35)
    assert [r.id for r in sc.controls] == ["r1", "r2", "r9"]
    assert [p.name for p in rs.chain] == ["base.yaml", "mid.yaml", "other.yaml", "leaf.yaml"]


def test_a_file_without_a_name_is_named_after_the_file_not_its_parent(world: Path) -> None:
    """A child of base.yaml that sets no `name:` took "base": its run wrote into outputs/base/ and could not be
    compared with its parent. A file is named after itself unless it says otherwise; data has the default."""
    write(world, "what_if.yaml", "extends: base.yaml\nseed: 7\n")
    write(world, "named.yaml", "extends: base.yaml\nname: mine\n")
    assert load_scenario(world / "what_if.yaml").scenario.name == "what_if"
    assert load_scenario(world / "named.yaml").scenario.name == "mine"
    assert load_scenario(world / "base.yaml").scenario.name == "base"
    write(world, "plain.yaml", "topology: topo.yaml\n")
    assert load_scenario(world / "plain.yaml").scenario.name == "plain"
    from supplychain.scenario import resolve_scenario
    assert resolve_scenario({"topology": str(world / "topo.yaml")}).scenario.name == "scenario"


def test_extends_cycle_is_an_error_naming_file_and_field(world: Path) -> None:
    write(world, "a.yaml", "extends: b.yaml\n")
    write(world, "b.yaml", "extends: a.yaml\n")
    err = fails(world / "a.yaml", "extends", match="cycle")
    assert err.file.endswith("b.yaml") and "a.yaml -> b.yaml -> a.yaml" in err.problem
    write(world, "self.yaml", "extends: self.yaml\n")
    fails(world / "self.yaml", "extends", match="cycle")


def test_an_extends_chain_too_long_is_an_error_not_a_recursion_error(world: Path) -> None:
    """~1,000 files each extending the one before overflowed the stack: a RecursionError traceback."""
    write(world, "f0.yaml", "topology: topo.yaml\n")
    for i in range(1, 1001):
        write(world, f"f{i}.yaml", f"extends: f{i - 1}.yaml\nseed: {i}\n")
    assert load_scenario(world / "f100.yaml").scenario.seed == 100
    for top in (world / "f101.yaml", world / "f1000.yaml"):
        err = fails(top, "extends", match="a chain of more than 100 files extending one another (the 101st, ")
        assert err.file == str(top.resolve()), str(err)



def test_an_empty_scenario_file_or_parent_says_it_is_empty(world: Path) -> None:
    """An empty file read `expected a mapping of scenario fields (got NoneType)`: Python's word for nothing."""
    write(world, "empty.yaml", "# to be written\n")
    fails(world / "empty.yaml", "<root>", match="the file is empty (or only comments); expected a mapping of scenario fields")
    write(world, "child.yaml", "extends: empty.yaml\n")
    err = fails(world / "child.yaml", "<root>", match="the file is empty (or only comments)")
    assert err.file.endswith("empty.yaml")
    write(world, "list.yaml", "- labs\n")
    fails(world / "list.yaml", "<root>", match="expected a mapping of scenario fields (got ['labs'])")

def test_missing_parent_and_bad_extends(world: Path) -> None:
    write(world, "x.yaml", "extends: nope.yaml\n")
    fails(world / "x.yaml", "extends", match="no such scenario file")
    write(world, "y.yaml", "extends: 3\n")
    fails(world / "y.yaml", "extends", match="expected")
    # a parent listed twice (also as ./base.yaml) merged once: a typo for another parent, silently missing
    write(world, "twice.yaml", "extends: [base.yaml, ./base.yaml]\n")
    fails(world / "twice.yaml", "extends.1", match="lists a parent twice (got './base.yaml')")
    # topologies in the other formats: not "directed: unknown field" or "invalid YAML" at a line of the XML
    (world / "t.graphml").write_text("<graphml/>")
    write(world, "g.yaml", "extends: t.graphml\n")
    fails(world / "g.yaml", "extends", match="a GraphML topology, not a scenario")
    (world / "t.json").write_text('{"directed": true, "graph": {}, "nodes": [], "links": []}')
    write(world, "j.yaml", "extends: t.json\n")
    fails(world / "j.yaml", "<root>", match="this is a topology")


def test_error_in_a_parent_names_the_parent(world: Path) -> None:
    write(world, "p.yaml", "topology: topo.yaml\nseed: -1\n")
    write(world, "c.yaml", "extends: p.yaml\n")
    err = fails(world / "c.yaml", "seed")
    assert err.file.endswith("p.yaml")


def test_an_inherited_reference_the_topology_lacks_names_the_file_that_wrote_it(world: Path) -> None:
    """A parent's shock naming a node the topology lacks: the error names the parent that wrote the reference
    (it named the child, which never mentions the shock), from a file and from a dict alike. A reference the
    child itself writes names the child."""
    ghost = "  - {id: s9, kind: capacity, start: 2025-01-01, multiplier: 0.5, target: {ids: [ghost]}}\n"
    write(world, "parent.yaml", "extends: base.yaml\nshocks:\n" + ghost)
    write(world, "child.yaml", "extends: parent.yaml\nseed: 3\n")
    err = fails(world / "child.yaml", "shocks.s9.target.ids", match="unknown node")
    assert err.file.endswith("parent.yaml"), str(err)
    err = fails({"extends": str(world / "parent.yaml")}, "shocks.s9.target.ids")
    assert err.file.endswith("parent.yaml"), str(err)
    write(world, "own.yaml", "extends: parent.yaml\nshocks:\n" + ghost)
    err = fails(world / "own.yaml", "shocks.s9.target.ids")
    assert err.file.endswith("own.yaml"), str(err)


def test_inherited_topology_stays_relative_to_its_file(world: Path) -> None:
    write(world, "sub/parent.yaml", "topology: ../topo.yaml\n")
    write(world, "other/child.yaml", "extends: ../sub/parent.yaml\n")
    rs = load_scenario(world / "other" / "child.yaml")
    assert rs.topology_path.resolve() == (world / "topo.yaml").resolve()
    assert rs.scenario.topology == "../topo.yaml"


def test_deep_merge_leaves_inputs_alone() -> None:
    base = {"labs": {"a": 1}, "controls": [{"id": "x", "v": 1}]}
    over = {"labs": {"b": 2}, "controls": [{"id": "x", "v": 2}]}
    out = deep_merge(base, over)
    assert out == {"labs": {"a": 1, "b": 2}, "controls": [{"id": "x", "v": 2}]}
    assert base == {"labs": {"a": 1}, "controls": [{"id": "x", "v": 1}]}


def test_a_whole_figure_applies_before_the_paths_inside_it_whatever_the_order_of_the_keys(world: Path) -> None:
    """In the order written, `capacity.growth` then `capacity` kept only the whole figure (the growth listed as
    applied all the same), the other order kept both: which counted hung on the order of the keys."""
    for sets in ({"nodes.fab.capacity.growth": 0.4, "nodes.fab.capacity": 3000},
                 {"nodes.fab.capacity": 3000, "nodes.fab.capacity.growth": 0.4}):
        rs = load_scenario(scenario_with(world, sets))
        assert rs.topology.nodes["fab"]["capacity"] == {"value": 3000.0, "growth": 0.4}
        assert [k for k, _, _ in rs.overrides] == ["nodes.fab.capacity", "nodes.fab.capacity.growth"]
    three = {"nodes.lab.target_h100e.points.2031-01-01": 9e5, "nodes.lab.target_h100e.points": {"2030-01-01": 8e5},
             "nodes.lab.target_h100e": 5e5}  # innermost first: applied outermost first, each refining the last
    assert load_scenario(scenario_with(world, three)).topology.nodes["lab"]["target_h100e"]["points"] == {
        "2030-01-01": 8e5, "2031-01-01": 9e5}
    # a path sharing a prefix of characters, not of parts, is another field: the order written stays
    sc = load_scenario(scenario_with(world, {"nodes.lab.in_flight_days": 30, "nodes.lab.in_flight": {"acc": 10.0}}))
    assert [k for k, _, _ in sc.overrides] == ["nodes.lab.in_flight_days", "nodes.lab.in_flight"]


def test_a_childs_whole_figure_drops_the_inherited_paths_inside_it(world: Path) -> None:
    """A child's `capacity: 3000` is the figure: an inherited `capacity.growth` is not applied after it (nor listed
    as applied); a child's `capacity.growth` over an inherited whole `capacity` refines it."""
    write(world, "mid.yaml", "extends: base.yaml\nset: {nodes.fab.capacity.growth: 0.4, nodes.fab.yield: 0.5}\n")
    whole = load_scenario(write(world, "whole.yaml", "extends: mid.yaml\nset: {nodes.fab.capacity: 3000}\n"))
    assert whole.topology.nodes["fab"]["capacity"] == {"value": 3000.0, "growth": 0.0}
    assert [k for k, _, _ in whole.overrides] == ["nodes.fab.yield", "nodes.fab.capacity"]
    write(world, "top.yaml", "extends: base.yaml\nset: {nodes.fab.capacity: 3000}\n")
    refined = load_scenario(write(world, "refined.yaml", "extends: top.yaml\nset: {nodes.fab.capacity.growth: 0.4}\n"))
    assert refined.topology.nodes["fab"]["capacity"] == {"value": 3000.0, "growth": 0.4}
