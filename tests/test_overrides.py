"""`set:` overrides: topology figures changed by dotted path from a scenario (`supplychain.overrides`)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from supplychain.errors import InputError
from supplychain.overrides import apply_overrides
from supplychain.scenario import load_scenario, resolve_scenario
from supplychain.topology import graph_to_data, load_topology, model_to_graph, parse_topology, read_yaml

from _scenarios import MINIMAL, fails, scenario_with, world, write  # noqa: F401 - world is a fixture


def test_set_onto_growth_value_points_and_whole_figures(world: Path) -> None:
    rs = load_scenario(
        scenario_with(
            world,
            {
                "nodes.fab.capacity.growth": 0.4,
                "nodes.hbm_maker.yield.value": 0.3,
                "nodes.lab.target_h100e.points.2030-01-01": 1e6,
                "nodes.grid.cycle_time": 730,
                "products.acc.tpp": 2000,
                "edges.fab->packager:logic.transport.mean": 9,
            },
        )
    )
    g = rs.topology
    assert g.nodes["fab"]["capacity"]["growth"] == 0.4 and g.nodes["fab"]["capacity"]["value"] == 2000
    assert g.nodes["hbm_maker"]["yield"]["value"] == 0.3
    assert g.nodes["lab"]["target_h100e"]["points"]["2030-01-01"] == 1e6
    assert g.nodes["lab"]["target_h100e"]["points"]["2025-01-01"] == 300000
    assert g.nodes["grid"]["cycle_time"] == {"value": 730.0, "growth": 0.0}
    assert g.graph["products"]["acc"]["tpp"] == 2000
    assert g.edges["fab", "packager"]["flows"]["logic"]["transport"]["mean"] == 9
    assert [k for k, _, _ in rs.overrides][0] == "nodes.fab.capacity.growth"
    assert rs.overrides[0][1] == 0.0  # the old value is reported


def test_set_onto_a_bare_number_and_switching_schedule_form() -> None:
    data = read_yaml(MINIMAL)
    data["nodes"][1]["capacity"] = 2000  # a bare number, as a topology file may write it
    out = apply_overrides(data, {"nodes.fab.capacity.growth": 0.4, "edges.fab->packager:logic.transport.mean": 4})
    assert out["nodes"][1]["capacity"] == {"value": 2000, "growth": 0.4}
    assert out["edges"][1]["transport"] == {"dist": "fixed", "mean": 4}
    out = apply_overrides(data, {"nodes.fab.capacity.points.2026-01-01": 5000})
    assert out["nodes"][1]["capacity"] == {"points": {"2026-01-01": 5000}}
    lab_points = {"nodes.lab.target_h100e.value": 5.0}
    assert apply_overrides(data, lab_points)["nodes"][6]["target_h100e"]["value"] == 5.0
    assert "points" not in apply_overrides(data, lab_points)["nodes"][6]["target_h100e"]
    assert data["nodes"][1]["capacity"] == 2000  # input untouched


def test_set_onto_a_list_entry_by_its_index_and_a_whole_points_mapping() -> None:
    data = read_yaml(MINIMAL)
    data["nodes"][1]["tech_origin"] = ["US", "NL"]
    assert apply_overrides(data, {"nodes.fab.tech_origin.1": "JP"})["nodes"][1]["tech_origin"] == ["US", "JP"]
    with pytest.raises(InputError) as err:  # one past the end: a line, not an IndexError
        apply_overrides(data, {"nodes.fab.tech_origin.2": "JP"})
    assert (err.value.field, err.value.problem) == ("set.nodes.fab.tech_origin.2", "no list entry '2' (the list has 2)")
    # a schedule holds `value` or `points`: a whole `points` set on one given by `value` switches its form
    cap = apply_overrides(data, {"nodes.fab.capacity.points": {"2026-01-01": 5000}})["nodes"][1]["capacity"]
    assert "value" not in cap and cap["points"] == {"2026-01-01": 5000}


def test_an_error_is_blamed_on_the_most_specific_override_behind_it() -> None:
    """A whole figure, then a field inside it: the field's value is the bad one, not the figure's."""
    with pytest.raises(InputError) as err:
        apply_overrides(read_yaml(MINIMAL), {"nodes.fab.capacity": 3000, "nodes.fab.capacity.growth": float("nan")})
    assert err.value.field == "set.nodes.fab.capacity.growth" and "finite" in err.value.problem


def test_a_bare_figure_is_spelled_out_as_its_declared_kind() -> None:
    """`nodes.fab.capacity.mean` on `capacity: 2000` spelled the schedule out as a distribution (`mean` is one of its
    fields): the line blamed `set` and named a `nodes.fab.capacity.dist` nobody wrote, where on `capacity: {value:
    2000}` it named the override. A bare transport is still a distribution."""
    data = read_yaml(MINIMAL)
    for capacity in (2000, {"value": 2000}):
        data["nodes"][1]["capacity"] = capacity
        with pytest.raises(InputError) as err:
            apply_overrides(data, {"nodes.fab.capacity.mean": 4})
        assert (err.value.field, err.value.problem) == ("set.nodes.fab.capacity.mean", "unknown field (got 4)")
    data["edges"][1]["transport"] = 3
    assert apply_overrides(data, {"edges.fab->packager:logic.transport.mean": 4})["edges"][1]["transport"] == \
        {"dist": "fixed", "mean": 4}


def test_set_onto_edges_of_ids_holding_arrows_and_colons() -> None:
    """Ids may hold `->` and `:` (not dots or spaces): an edge path names `<from>-><to>:<product>` whole, which
    was split at the first arrow and the last colon ('unknown edge')."""
    data = read_yaml(MINIMAL)
    renamed = {"fab": "fab->tw:18", "packager": "osat->1:x"}
    for node in data["nodes"]:
        node["id"] = renamed.get(node["id"], node["id"])
    for edge in data["edges"]:
        edge["from"], edge["to"] = renamed.get(edge["from"], edge["from"]), renamed.get(edge["to"], edge["to"])
    out = apply_overrides(data, {"nodes.fab->tw:18.capacity.growth": 0.4,
                                 "edges.fab->tw:18->osat->1:x:logic.transport.mean": 4,
                                 "nodes.osat->1:x.cycle_time": 9})
    fab = next(n for n in out["nodes"] if n["id"] == "fab->tw:18")
    assert fab["capacity"]["growth"] == 0.4
    edge = next(e for e in out["edges"] if (e["from"], e["product"]) == ("fab->tw:18", "logic"))
    assert edge["transport"]["mean"] == 4
    assert next(n for n in out["nodes"] if n["id"] == "osat->1:x")["cycle_time"] == 9


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("nodes.nope.capacity.value", 1, "unknown node"),
        ("nodes.fa.capacity.value", 1, "unknown node in topology topo.yaml (got 'fa')"),  # not `fab`, which it begins
        ("nodes.fab.capacityy", 1, "unknown field"),
        ("nodes.fab.capacity.valu", 1, "unknown field"),
        ("nodes.fab.yield.value", 2, "yield must be in"),
        ("nodes.fab.capacity.value", "lots", "valid number"),
        ("nodes.fab.capacity.value", float("inf"), "figures must be finite (got inf)"),
        ("nodes.fab.capacity.growth", float("nan"), "finite"),
        ("nodes.fab.capacity.value", True, "expected a number (got True)"),
        ("products.acc.h100e", True, "expected a number (got True)"),
        ("nodes.fab.id", "x", "cannot be overridden"),
        ("products.nope.tpp", 1, "unknown product"),
        ("edges.fab->lab:logic.share", 1, "unknown edge"),
        ("edges.fab-packager.share", 1, "<from>-><to>:<product>"),
        ("fab.capacity", 1, "expected nodes."),
        ("nodes.fab", 1, "expected nodes."),
    ],
)
def test_bad_set_paths_name_the_override(world: Path, key: str, value, match: str) -> None:
    err = fails(scenario_with(world, {key: value}), f"set.{key}", match=match)
    assert err.file.endswith("s.yaml")


def test_an_unknown_id_in_set_names_the_topology_and_the_file_that_wrote_it(world: Path) -> None:
    """A scenario run on another network (`--topology`) meets ids it lacks: the line names that network,
    as an unknown id of a control does, and an inherited override is blamed on the file whose `set:`
    wrote it (its dotted path is one key, which the walk key by key of `written_by` missed)."""
    fails(scenario_with(world, {"nodes.nope.capacity.value": 1}), "set.nodes.nope.capacity.value",
          match="unknown node in topology topo.yaml (got 'nope')")
    parent = write(world, "parent.yaml", yaml.safe_dump({"extends": "base.yaml", "set": {"products.nope.tpp": 1}}))
    child = write(world, "child.yaml", yaml.safe_dump({"extends": "parent.yaml", "set": {"nodes.fab.capacity.value": 2}}))
    err = fails(child, "set.products.nope.tpp", match="unknown product in topology topo.yaml (got 'nope')")
    assert err.file == str(parent)
    err = fails(scenario_with(world, {"edges.fab->lab:logic.share": 1}), "set.edges.fab->lab:logic.share", match="unknown edge")
    assert err.file.endswith("s.yaml")


def test_overrides_that_break_the_topology_elsewhere_say_so(world: Path) -> None:
    # a share of zero on the only logic edge: the check fires on that edge, named by the override
    fails(scenario_with(world, {"edges.fab->packager:logic.share": 0}), "set.edges.fab->packager:logic.share", match="all zero")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cap=st.floats(1.0, 1e7, allow_nan=False),
    growth=st.floats(-0.9, 5.0, allow_nan=False),
    yld=st.floats(0.01, 1.0, allow_nan=False),
    transport=st.floats(0.0, 400.0, allow_nan=False),
)
def test_override_values_round_trip(cap: float, growth: float, yld: float, transport: float) -> None:
    sets = {
        "nodes.fab.capacity.value": cap,
        "nodes.fab.capacity.growth": growth,
        "nodes.hbm_maker.yield": yld,
        "edges.hbm_maker->packager:hbm.transport.mean": transport,
    }
    rs = resolve_scenario({"topology": str(MINIMAL), "set": sets})
    g = rs.topology
    assert g.nodes["fab"]["capacity"]["value"] == cap and g.nodes["fab"]["capacity"]["growth"] == growth
    assert g.nodes["hbm_maker"]["yield"]["value"] == yld
    assert g.edges["hbm_maker", "packager"]["flows"]["hbm"]["transport"]["mean"] == transport
    # the library function gives the same topology as the scenario route, and the input is untouched
    plain = graph_to_data(load_topology(MINIMAL))
    before = copy.deepcopy(plain)
    assert graph_to_data(model_to_graph(parse_topology(apply_overrides(plain, sets)))) == graph_to_data(g)
    assert plain == before
