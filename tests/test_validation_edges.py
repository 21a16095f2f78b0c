"""What loads at the edge of each check, and the loader's own edges (suffix, exponents, nesting, the wrong kind of file).

test_validation has a refused case per check; these are the figures just inside a bound, and the legal
networks a check too eager would refuse: each is a file a user writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from _topo import MINIMAL, minimal_data, node, write_yaml
from test_validation import add_stock_chain

from supplychain.errors import InputError
from supplychain.topology import MAX_NESTING, load_topology, load_yaml_text, parse_topology, save_topology


def _node(model: Any, nid: str) -> Any:
    return next(n for n in model.nodes if n.id == nid)


def test_an_accelerator_without_hbm_loads() -> None:
    """`hbm` is optional in a BOM: a logic-only accelerator (no stacks) is legal."""
    data = minimal_data()
    bom = data["products"]["acc"]["bom"]
    bom.pop("hbm"), bom.pop("hbm_stacks")
    assert parse_topology(data).products["acc"].bom.hbm is None


def test_a_kit_stock_takes_edges_of_its_inputs() -> None:
    """A stock with a `bom` orders its inputs: an edge of an input into it is its supply, not a stray product."""
    data = minimal_data()
    data["products"]["gadget"] = {"kind": "item"}
    node(data, "supply")["makes"].append("gadget")
    node(data, "depot")["bom"] = {"gadget": 2}
    data["edges"].append({"from": "supply", "to": "depot", "product": "gadget"})
    assert _node(parse_topology(data), "depot").bom == {"gadget": 2}


@pytest.mark.parametrize("field, value", [("yield", 1e-6), ("ai_share", 1e-6), ("yield", 1.0), ("ai_share", 1.0)])
def test_a_fraction_at_either_end_of_its_range_loads(field: str, value: float) -> None:
    """A yield is at least 1e-6 (one good unit in a million) and at most 1; an AI share in (0, 1]."""
    data = minimal_data()
    node(data, "fab")[field] = value
    assert getattr(_node(parse_topology(data), "fab"), "yield_" if field == "yield" else field).value == value


def test_a_lab_may_start_with_none_of_an_accelerator() -> None:
    data = minimal_data()
    node(data, "lab")["fleet"] = {"acc": 0}
    assert _node(parse_topology(data), "lab").fleet == {"acc": 0}


def test_a_chain_of_100_stocks_beside_another_stock_loads() -> None:
    """101 stock nodes trading with each other, the longest run of them 100 (the most allowed): the bound is on a
    chain, not a count (`spare` orders from `depot` too, a branch beside `s1`)."""
    data = minimal_data()
    add_stock_chain(data, 99)
    data["nodes"].append({"id": "spare", "kind": "stock", "item": "widget"})
    data["edges"].append({"from": "depot", "to": "spare", "product": "widget"})
    assert sum(n.kind == "stock" for n in parse_topology(data).nodes) == 101


def test_a_poisson_stream_of_100_orders_a_day_loads() -> None:
    data = minimal_data()
    node(data, "customers")["demand"] = {"mode": "poisson", "rate": 100}
    assert _node(parse_topology(data), "customers").demand.rate == 100


def test_a_source_may_supply_a_source() -> None:
    """Sources trade with stocks, demand points and other sources (`TRADES`): a mine feeding a refiner."""
    data = minimal_data()
    data["nodes"].append({"id": "mine", "kind": "source", "makes": ["widget"]})
    data["edges"].append({"from": "mine", "to": "supply", "product": "widget"})
    assert len(parse_topology(data).edges) == 9


@pytest.mark.parametrize("name", ["t.YAML", "t.Yml"])
def test_a_suffix_in_capitals_is_the_same_format(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(MINIMAL.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_topology(path).number_of_nodes() == 10


@pytest.mark.parametrize("written, value", [("2E3", 2000.0), ("2E+3", 2000.0), ("2.5E3", 2500.0)])
def test_an_exponent_written_with_a_capital_e_is_a_number_even_as_a_bare_schedule(tmp_path: Path, written: str,
                                                                                   value: float) -> None:
    """YAML 1.2's `2E3` is a number; YAML 1.1 read it as text, which a bare schedule (`capacity: 2E3`) refuses."""
    old = 'capacity: {value: 2000, source: "assumption: wafers/week open to AI"}'
    text = MINIMAL.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "t.yaml"
    path.write_text(text.replace(old, f"capacity: {written}"), encoding="utf-8")
    assert load_topology(path).nodes["fab"]["capacity"]["value"] == value


def test_text_nested_as_deep_as_allowed_loads_and_a_level_more_is_refused_naming_its_line() -> None:
    assert load_yaml_text("[" * MAX_NESTING + "]" * MAX_NESTING) is not None
    with pytest.raises(ValueError, match=f"^nested more than {MAX_NESTING} levels deep \\(line 1\\)$"):
        load_yaml_text("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1))


@pytest.mark.parametrize("key", ["topology", "labs", "controls", "shocks", "extends"])
def test_a_scenario_given_as_a_topology_is_said_to_be_one(tmp_path: Path, key: str) -> None:
    path = write_yaml(tmp_path, {"name": "s", key: {} if key in ("labs",) else []})
    with pytest.raises(InputError) as info:
        load_topology(path)
    assert info.value.field == "<root>"
    assert info.value.problem.startswith("this is a scenario (it has no nodes, and scenario fields), not a topology")


def test_a_graph_no_file_could_hold_is_not_written(tmp_path: Path) -> None:
    """`save_topology` never writes what it could not read back: a negative capacity is refused, no file left."""
    g = load_topology(MINIMAL)
    g.nodes["fab"]["capacity"] = -1
    path = tmp_path / "t.yaml"
    with pytest.raises(InputError, match="nodes.fab.capacity: capacity must be positive"):
        save_topology(g, path)
    assert not path.exists()
    assert yaml.safe_load(save_topology(load_topology(MINIMAL), path).read_text())["name"] == "minimal"


def test_a_sexagesimal_float_too_large_for_a_float_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """YAML 1.1's base 60 (`1:59:59`) as a `!!float` of 300 places is an integer no float holds (OverflowError)."""
    from _topo import assert_clean_failure, cli

    path = tmp_path / "t.yaml"
    path.write_text("name: a\nstart: !!float 1:" + "59:" * 300 + "1\n", encoding="utf-8")
    line = assert_clean_failure(cli("topology", "validate", path))
    assert line == f"{path}: <file>: invalid YAML: int too large to convert to float"
