"""Validation: one test per check, each naming the exact field and exiting with status 2.

Each case mutates minimal.yaml, writes it, and checks both the library
(`InputError.field`) and the command line (`topology validate`: status 2 and
the one line `FILE: field: problem`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from _topo import assert_clean_failure, cli, minimal_data, node, write_yaml

from supplychain.errors import InputError
from supplychain.topology import load_topology, parse_topology
from supplychain.validation import CHECKS, warnings_for

Mutation = Callable[[dict[str, Any]], None]


def add_edge(**edge: Any) -> Mutation:
    return lambda d: d["edges"].append(edge)


def set_node(nid: str, **fields: Any) -> Mutation:
    return lambda d: node(d, nid).update(fields)


def drop_edge(src: str, dst: str) -> Mutation:
    return lambda d: d.__setitem__("edges", [e for e in d["edges"] if (e["from"], e["to"]) != (src, dst)])


def both(*muts: Mutation) -> Mutation:
    def run(d: dict[str, Any]) -> None:
        for m in muts:
            m(d)
    return run


def add_depot_cycle(d: dict[str, Any]) -> None:
    d["nodes"].append({"id": "depot2", "kind": "stock", "item": "widget"})
    d["edges"] += [{"from": "depot", "to": "depot2", "product": "widget"}, {"from": "depot2", "to": "depot", "product": "widget"}]


def add_stock_chain(d: dict[str, Any], n: int = 100) -> None:
    """depot and `n` stock nodes after it, each ordering from the one before."""
    d["nodes"] += [{"id": f"s{i}", "kind": "stock", "item": "widget"} for i in range(1, n + 1)]
    d["edges"] += [{"from": "depot" if i == 1 else f"s{i - 1}", "to": f"s{i}", "product": "widget"} for i in range(1, n + 1)]


# (check or schema rule, mutation, field path, words in the problem)
CASES: list[tuple[str, Mutation, str, str]] = [
    # schema: wrong types, unknown kinds and fields, dates, distributions
    ("schema:unknown_kind", set_node("fab", kind="factory"), "nodes.fab.kind", "unknown kind (got 'factory')"),
    ("schema:unknown_field", set_node("fab", colour="red"), "nodes.fab.colour", "unknown field (got 'red')"),
    ("schema:unknown_top_field", lambda d: d.update(colour="red"), "colour", "unknown field (got 'red')"),
    # a misspelt key names the field it is close to, at any depth (a node of one kind, a schedule, a BOM, an edge)
    ("schema:misspelt_field", set_node("fab", capcity=5), "nodes.fab.capcity", "unknown field (got 5); did you mean 'capacity'?"),
    ("schema:misspelt_schedule", set_node("lab", target_h100e={"points": {"2022-01-01": 1}, "grow": 0.5}),
     "nodes.lab.target_h100e.grow", "did you mean 'growth'?"),
    ("schema:misspelt_bom", lambda d: d["products"]["acc"]["bom"].update(hbm_stack=5), "products.acc.bom.hbm_stack",
     "did you mean 'hbm_stacks'?"),
    ("schema:misspelt_edge", lambda d: d["edges"][0].update(shares=1), "edges.0.shares", "did you mean 'share'?"),
    ("schema:missing_field", lambda d: d["products"]["acc"]["bom"].pop("dies_per_wafer"), "products.acc.bom.dies_per_wafer", "Field required"),
    ("schema:missing_kind", lambda d: node(d, "fab").pop("kind"), "nodes.fab.kind", "Field required"),
    ("schema:wrong_type", set_node("fab", capacity="lots"), "nodes.fab.capacity", "got 'lots'"),
    ("schema:unparsable_date", lambda d: d.update(start="2022-13-01"), "start", "month must be in 1..12"),
    ("schema:unparsable_point_date", lambda d: node(d, "lab")["target_h100e"]["points"].update({"2022-02-30": 5}),
     "nodes.lab.target_h100e.points.2022-02-30", "day is out of range for month"),
    # one date written twice (a stray space): the later value silently replaced the earlier
    ("schema:unparsable_point_date", lambda d: node(d, "lab")["target_h100e"]["points"].update({"2025-01-01 ": 5}),
     "nodes.lab.target_h100e.points", "date 2025-01-01 given twice"),
    ("schema:unknown_distribution", lambda d: d["edges"][1].update(transport={"dist": "gamma", "mean": 3}),
     "edges.1.transport.dist", "got 'gamma'"),
    ("schema:bool_number", set_node("fab", capacity={"value": True}), "nodes.fab.capacity.value", "expected a number (got True)"),
    ("schema:bool_number", lambda d: d["products"]["acc"].update(h100e=True), "products.acc.h100e", "expected a number (got True)"),
    ("schema:bool_number", set_node("lab", fleet={"acc": False}), "nodes.lab.fleet.acc", "expected a number (got False)"),
    ("schema:no_nodes", lambda d: d.update(nodes=[], edges=[]), "nodes", "a topology needs at least one node"),
    # edges name nodes the file never defines: the missing `nodes` is the problem, not edges.0.from
    ("schema:no_nodes", lambda d: d.pop("nodes"), "nodes", "a topology needs at least one node"),
    ("schema:bad_id", lambda d: d["nodes"].append({"id": "two words", "kind": "lab"}), "nodes.10.id", "spaces or dots"),
    # a control character wrote a GraphML file no XML reader opens; an invisible one hides in `unknown node 'fab'`
    ("schema:bad_id", lambda d: d["nodes"].append({"id": "fa\x00b", "kind": "lab"}), "nodes.10.id", "control or invisible"),
    ("schema:bad_id", lambda d: d["nodes"].append({"id": "fab\u200b", "kind": "lab"}), "nodes.10.id", "control or invisible"),
    # product ids are path parts too (`products.n3.die.h100e` is ambiguous); none were checked
    ("schema:bad_id", lambda d: d["products"].update({"n3.die": {"kind": "logic"}}), "products", "spaces or dots"),
    ("schema:bad_id", lambda d: d["products"].update({"": {"kind": "logic"}}), "products", "may not be empty"),
    # named checks
    ("duplicate_ids", lambda d: d["nodes"].append(dict(node(d, "grid"))), "nodes.grid.id", "duplicate node id"),
    ("duplicate_ids", lambda d: d["edges"].append(dict(d["edges"][0])), "edges.8", "duplicate of edges.0"),
    ("schema:finite", lambda d: d["products"]["acc"].update(h100e=float("inf")), "products.acc.h100e", "finite"),
    ("schema:finite", lambda d: d["edges"][1].update(transport={"dist": "uniform", "low": 1, "high": float("inf")}), "edges.1.transport.high", "finite"),
    ("product_refs", set_node("fab", makes=["unobtainium"]), "nodes.fab.makes", "unknown product (got 'unobtainium')"),
    ("product_refs", set_node("fab", makes=["hbm"]), "nodes.fab.makes", "a fab makes logic products (got 'hbm', a hbm)"),
    ("product_refs", lambda d: d["products"]["acc"]["bom"].update(logic="hbm"), "products.acc.bom.logic", "not a logic product"),
    ("product_refs", lambda d: d["products"]["acc"]["bom"].pop("hbm"), "products.acc.bom.hbm", "no hbm product is named"),
    ("product_refs", set_node("lab", fleet={"widget": 5}), "nodes.lab.fleet.widget", "not an accelerator"),
    ("product_refs", lambda d: d["products"]["acc"].update(vendor="nobody"), "products.acc.vendor", "unknown node (got 'nobody')"),
    ("product_refs", lambda d: d["products"]["acc"].update(vendor="fab"), "products.acc.vendor", "not a vendor node (got 'fab', a fab)"),
    # the rule that blocks it blocks its "variant" too: no substitute, and no word of it
    ("product_refs", lambda d: d["products"]["acc"].update(compliant_variant="acc"), "products.acc.compliant_variant",
     "cannot be its own compliant variant"),
    ("dangling_edges", lambda d: d["edges"][1].update(to="ghost"), "edges.1.to", "unknown node (got 'ghost')"),
    ("dangling_edges", lambda d: d["edges"][6].update(to="supply"), "edges.6", "edge from a node to itself"),
    ("trades", add_edge(**{"from": "lab", "to": "fab", "product": "tool"}), "edges.8", "a lab cannot supply a fab"),
    ("trades", add_edge(**{"from": "toolmaker", "to": "packager", "product": "acc"}), "edges.8.product", "a packaging has no use for accelerator products (got 'acc')"),
    ("trades", both(lambda d: d["products"].update(acc2=dict(d["products"]["acc"])), add_edge(**{"from": "packager", "to": "vendor", "product": "acc2"})),
     "edges.8.product", "does not list 'acc2' in its skus"),
    # a demand point or stock fed another product: nothing flowed and the run reported zero demand, fill rate NaN
    ("trades", set_node("customers", item="power"), "edges.7.product", "customers demands 'power'; it has no use for 'widget'"),
    ("trades", both(lambda d: d["products"].update(gadget={"kind": "item"}), set_node("supply", makes=["widget", "gadget"]),
                    add_edge(**{"from": "supply", "to": "depot", "product": "gadget"})),
     "edges.8.product", "depot stocks 'widget'; it has no use for 'gadget'"),
    ("makes", add_edge(**{"from": "fab", "to": "packager", "product": "hbm"}), "edges.8.product", "fab does not make 'hbm'"),
    ("positive_figures", set_node("fab", capacity=0), "nodes.fab.capacity", "capacity must be positive (got 0)"),
    ("positive_figures", set_node("grid", capacity={"points": {"2022-01-01": 10, "2030-01-01": -1}}), "nodes.grid.capacity", "(got -1)"),
    ("positive_figures", set_node("fab", **{"yield": 1.5}), "nodes.fab.yield", "yield must be in (0, 1] (got 1.5)"),
    ("positive_figures", set_node("hbm_maker", **{"yield": 0}), "nodes.hbm_maker.yield", "(got 0)"),
    # a yield, H100e, dies per wafer or capacity per tool too small to divide by made inf starts, accelerators or tools
    # in the run: an InvariantError traceback ("order book out of step ... inf")
    ("positive_figures", set_node("packager", **{"yield": 1e-305}), "nodes.packager.yield",
     "yield must be at least 1e-06, one good unit in a million: a run cannot hold the starts (got 1e-305)"),
    ("schema:h100e", lambda d: d["products"]["acc"].update(h100e=1e-305), "products.acc.h100e",
     "greater than or equal to 0.000001 (got 1e-305)"),
    ("schema:dies_per_wafer", lambda d: d["products"]["acc"]["bom"].update(dies_per_wafer=1e-305),
     "products.acc.bom.dies_per_wafer", "greater than or equal to 0.000001 (got 1e-305)"),
    ("schema:packages_per_wafer", set_node("packager", packages_per_wafer=1e-305), "nodes.packager.packages_per_wafer",
     "greater than or equal to 0.000001 (got 1e-305)"),
    # delivered in weekly parts: 1e12 days listed 1.4e11 parts until memory ran out (MemoryError, or killed)
    ("schema:in_flight_days", set_node("lab", in_flight={"acc": 100}, in_flight_days=1e12), "nodes.lab.in_flight_days",
     "less than or equal to 36525 (got 1000000000000.0)"),
    ("schema:capacity_per_tool", lambda d: next(n for n in d["nodes"] if n["id"] == "fab")["expansion"].update(
        capacity_per_tool=5e-324), "nodes.fab.expansion.capacity_per_tool", "greater than or equal to 0.000001 (got 5e-324)"),
    ("positive_figures", set_node("fab", ai_share=2), "nodes.fab.ai_share", "ai_share must be in (0, 1] (got 2)"),
    ("positive_figures", set_node("fab", cycle_time=-3), "nodes.fab.cycle_time", "must not be negative (got -3)"),
    ("positive_figures", set_node("lab", fleet={"acc": -1}), "nodes.lab.fleet.acc", "must not be negative"),
    ("positive_figures", lambda d: d["products"]["acc"]["bom"].update(hbm_stacks=0), "products.acc.bom.hbm_stacks", "needs 0 stacks"),
    ("shares", lambda d: d["edges"][1].update(share=-0.5), "edges.1.share", "must not be negative"),
    ("shares", lambda d: d["edges"][1].update(share=0), "edges.1.share", "cannot be normalised (all zero)"),
    ("shares", lambda d: d["edges"][1].update(share={"points": {"2022-01-01": 1, "2025-01-01": 0}}), "edges.1.share",
     "cannot be normalised (they sum to zero on 2025-01-01)"),
    ("bom_suppliers", drop_edge("hbm_maker", "packager"), "products.acc.bom.hbm", "no supplier ships 'hbm' to packager"),
    ("bom_suppliers", both(set_node("vendor", skus=["acc", "acc2"]), lambda d: d["products"].update(acc2=dict(d["products"]["acc"]))),
     "nodes.vendor.skus", "no packaging node ships 'acc2'"),
    ("bom_suppliers", set_node("depot", bom={"acc": 1}), "nodes.depot.bom.acc", "no supplier ships this input"),
    ("labs_reach_vendors", drop_edge("vendor", "lab"), "nodes.lab", "no path from any accelerator vendor"),
    ("no_cycles", add_depot_cycle, "edges.8", "goods flow in a cycle (depot -> depot2 -> depot)"),
    # an order at a stock is passed up the chain within one call: 200 in a row was a RecursionError mid-run
    ("stock_chains", add_stock_chain, "nodes.s100", "a chain of 101 stock nodes in a row (depot -> ... -> s100); at most 100"),
    # each reference a file can get wrong is named where it is written, not where it fails later
    ("product_refs", lambda d: d["products"]["acc"].update(compliant_variant="logic"), "products.acc.compliant_variant",
     "not an accelerator product (got 'logic')"),
    ("product_refs", set_node("vendor", skus=["acc", "ghost"]), "nodes.vendor.skus", "unknown product (got 'ghost')"),
    ("product_refs", set_node("depot", item="ghost"), "nodes.depot.item", "unknown product (got 'ghost')"),
    ("product_refs", set_node("depot", bom={"widget": 1}), "nodes.depot.bom.widget",
     "the stock's own item cannot be an input of itself (got 'widget')"),
    ("product_refs", lambda d: node(d, "fab")["expansion"].update(tool="logic"), "nodes.fab.expansion.tool",
     "not a tool product (got 'logic')"),
    ("product_refs", lambda d: d["edges"][7].update(product="ghost"), "edges.7.product", "unknown product (got 'ghost')"),
    ("dangling_edges", lambda d: d["edges"][1].update(**{"from": "ghost"}), "edges.1.from", "unknown node (got 'ghost')"),
    # a figure out of range anywhere in its schedule, the value said the one out of range
    ("positive_figures", set_node("fab", ai_share=0), "nodes.fab.ai_share", "ai_share must be in (0, 1] (got 0)"),
    ("positive_figures", set_node("fab", **{"yield": {"points": {"2022-01-01": 0.5, "2025-01-01": 0}}}), "nodes.fab.yield",
     "yield must be in (0, 1] (got 0)"),
    ("positive_figures", set_node("fab", cycle_time={"points": {"2022-01-01": 10, "2030-01-01": 1e6}}), "nodes.fab.cycle_time",
     "cycle_time must be at most 36,525 days, 100 years (got 1e+06)"),
    ("positive_figures", both(lambda d: d["products"].update(gadget={"kind": "item"}), set_node("depot", bom={"gadget": 0})),
     "nodes.depot.bom.gadget", "units per unit must be positive (got 0)"),
    # a group's error names its first edge, whichever of its shares the file wrote last
    ("shares", both(lambda d: d["nodes"].append({"id": "fab2", "kind": "fab", "makes": ["logic"], "capacity": 100}),
                    add_edge(**{"from": "fab2", "to": "packager", "product": "logic", "share": 0}),
                    lambda d: d["edges"][1].update(share=0)),
     "edges.1.share", "shares into packager for logic cannot be normalised (all zero)"),
    # one record's rules (schema.py): bounds and combinations of fields
    ("schema:logic_dies", lambda d: d["products"]["acc"]["bom"].update(logic_dies=0), "products.acc.bom.logic_dies",
     "greater than 0 (got 0)"),
    ("schema:discontinued", lambda d: d["products"]["acc"].update(discontinued="2022-01-01"), "products.acc",
     "discontinued 2022-01-01 is not after available 2022-01-01"),
    ("schema:accelerator", lambda d: d["products"]["acc"].pop("bom"), "products.acc", "accelerator needs bom"),
    ("schema:bom", lambda d: d["products"]["logic"].update(bom={"logic": "logic", "dies_per_wafer": 30}), "products.logic.bom",
     "only an accelerator has a bom (got one on a logic product)"),
    ("schema:period_days", set_node("customers", demand={"mode": "fixed", "rate": 2, "period_days": 0.5}),
     "nodes.customers.demand.period_days", "greater than or equal to 1 (got 0.5)"),
    ("schema:poisson_rate", set_node("customers", demand={"mode": "poisson", "rate": 101}), "nodes.customers.demand",
     "at most 100 orders a day (got 101)"),
    ("schema:country", set_node("fab", country=""), "nodes.fab.country", "at least 1 character (got '')"),
    ("schema:sS", set_node("depot", policy="sS", s=5, S=5, base_stock=0), "nodes.depot", "s must be below S (got s=5.0, S=5.0)"),
    ("schema:stray", set_node("depot", S=30), "nodes.depot", "policy base_stock does not use S ("),
    ("schema:review_days", set_node("depot", review_days=0.5), "nodes.depot.review_days", "greater than or equal to 1 (got 0.5)"),
]


@pytest.mark.parametrize("rule, mutate, field, words", CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES])
def test_each_problem_names_its_field_and_exits_2(tmp_path: Path, rule: str, mutate: Mutation, field: str, words: str) -> None:
    data = minimal_data()
    mutate(data)
    path = write_yaml(tmp_path, data)
    with pytest.raises(InputError) as info:
        load_topology(path)
    assert info.value.field == field, str(info.value)
    assert words in info.value.problem, str(info.value)
    line = assert_clean_failure(cli("topology", "validate", path))
    assert line == f"{path}: {field}: {info.value.problem}"


def test_every_named_check_has_a_case() -> None:
    assert set(CHECKS) == {rule for rule, *_ in CASES if not rule.startswith("schema:")}


def test_a_run_through_the_longest_stock_chain_allowed_ends(tmp_path: Path) -> None:
    """100 stock nodes in a row (the most `stock_chains` allows) run without overflowing the stack."""
    from supplychain import simulate

    data = minimal_data()
    add_stock_chain(data, 99)
    data["edges"] = [e for e in data["edges"] if not (e["from"] == "depot" and e["to"] == "customers")]
    data["edges"].append({"from": "s99", "to": "customers", "product": "widget"})
    simulate(write_yaml(tmp_path, data), {"end": "2022-03-31"})


def test_minimal_is_valid_and_quiet() -> None:
    result = cli("topology", "validate", "topology/minimal.yaml")
    assert result.exit_code == 0 and result.stdout.strip() == "topology/minimal.yaml: ok (10 nodes, 8 edges)"
    assert result.stderr == ""


def test_shares_that_cross_over_time_can_be_normalised() -> None:
    data = minimal_data()
    data["nodes"].append({"id": "fab2", "kind": "fab", "makes": ["logic"], "capacity": 100})
    data["edges"][1]["share"] = {"points": {"2022-01-01": 1, "2025-01-01": 0}}
    data["edges"].append({"from": "fab2", "to": "packager", "product": "logic", "share": {"points": {"2022-01-01": 0, "2025-01-01": 1}}})
    model = parse_topology(data)
    assert len(model.edges) == 9


def test_checks_stop_at_the_first_problem_in_registration_order(tmp_path: Path) -> None:
    data = minimal_data()
    set_node("fab", capacity=0)(data)
    data["edges"][1]["to"] = "ghost"  # dangling edges are checked before capacities
    with pytest.raises(InputError) as info:
        parse_topology(data)
    assert info.value.field == "edges.1.to"
    assert list(CHECKS).index("dangling_edges") < list(CHECKS).index("positive_figures")


# --- warnings: suspicious but legal -------------------------------------------


@pytest.mark.parametrize(
    "mutate, warning",
    [
        (lambda d: d["products"].update(spare={"kind": "item"}), "products.spare: defined but nothing ships, uses or holds it"),
        (drop_edge("grid", "lab"), "nodes.lab: no grid supplies power; the fleet is capped at power_mw"),
        (drop_edge("toolmaker", "fab"), "nodes.fab.expansion: no equipment maker supplies tools here, so capacity cannot expand"),
        (drop_edge("toolmaker", "fab"), "nodes.toolmaker: nothing consumes what this equipment makes"),
        (drop_edge("supply", "depot"), "nodes.depot: this stock has no supplier; it only sells its initial stock"),
        (lambda d: d["products"]["acc"].pop("available"), "products.acc.available: no availability date; treated as available from the start"),
    ],
)
def test_warnings_for_the_suspicious_but_legal(tmp_path: Path, mutate: Mutation, warning: str) -> None:
    data = minimal_data()
    mutate(data)
    assert warning in warnings_for(parse_topology(data))
    path = write_yaml(tmp_path, data)
    result = cli("topology", "validate", path)
    assert result.exit_code == 0
    assert f"warning: {path}: {warning}" in result.stderr.splitlines()


def test_minimal_has_no_warnings() -> None:
    assert warnings_for(parse_topology(minimal_data())) == []
