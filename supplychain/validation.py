"""Named semantic checks on a schema-valid topology.

Schema validation (pydantic) catches wrong types, unknown fields and bad
values inside one record; these checks catch what needs the whole network:
duplicate ids, dangling edges, trades that make no sense, BOM inputs nobody
supplies, labs cut off from accelerators. Each check raises an `InputError`
with the field path; `warnings_for` lists the suspicious but legal.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Callable

import networkx as nx

from .errors import InputError
from .schema import TRADES, TopologyModel

__all__ = ["CHECKS", "check_topology", "warnings_for"]

Check = Callable[[TopologyModel, "str | Path | None"], None]
CHECKS: dict[str, Check] = {}


def check(fn: Check) -> Check:
    CHECKS[fn.__name__.removeprefix("check_")] = fn
    return fn


def _idx(model: TopologyModel) -> dict[str, int]:
    return {n.id: i for i, n in enumerate(model.nodes)}


@check
def check_duplicate_ids(model: TopologyModel, file) -> None:
    seen: set[str] = set()
    for node in model.nodes:
        if node.id in seen:
            raise InputError(file, f"nodes.{node.id}.id", f"duplicate node id (got {node.id!r})")
        seen.add(node.id)
    pairs: set[tuple[str, str, str]] = set()
    for i, e in enumerate(model.edges):
        key = (e.source_id, e.target, e.product)
        if key in pairs:
            raise InputError(file, f"edges.{i}", f"duplicate edge {e.source_id} -> {e.target} for {e.product}")
        pairs.add(key)


@check
def check_product_refs(model: TopologyModel, file) -> None:
    products = model.products
    for pid, p in products.items():
        if p.bom is not None:
            for field in ("logic", "hbm"):
                ref = getattr(p.bom, field)
                if ref is not None and ref not in products:
                    raise InputError(file, f"products.{pid}.bom.{field}", f"unknown product (got {ref!r})")
        if p.compliant_variant is not None:
            cv = products.get(p.compliant_variant)
            if cv is None or cv.kind != "accelerator":
                raise InputError(file, f"products.{pid}.compliant_variant", f"not an accelerator product (got {p.compliant_variant!r})")
    for node in model.nodes:
        for field in ("makes", "skus"):
            for ref in getattr(node, field, None) or []:
                if ref not in products:
                    raise InputError(file, f"nodes.{node.id}.{field}", f"unknown product (got {ref!r})")
        for field in ("item",):
            ref = getattr(node, field, None)
            if ref is not None and ref not in products:
                raise InputError(file, f"nodes.{node.id}.{field}", f"unknown product (got {ref!r})")
        for ref in (getattr(node, "fleet", None) or {}):
            if ref not in products or products[ref].kind != "accelerator":
                raise InputError(file, f"nodes.{node.id}.fleet.{ref}", f"not an accelerator product (got {ref!r})")
        exp = getattr(node, "expansion", None)
        if exp is not None and (exp.tool not in products or products[exp.tool].kind != "tool"):
            raise InputError(file, f"nodes.{node.id}.expansion.tool", f"not a tool product (got {exp.tool!r})")
    for i, e in enumerate(model.edges):
        if e.product not in products:
            raise InputError(file, f"edges.{i}.product", f"unknown product (got {e.product!r})")


@check
def check_dangling_edges(model: TopologyModel, file) -> None:
    ids = _idx(model)
    for i, e in enumerate(model.edges):
        for end, ref in (("from", e.source_id), ("to", e.target)):
            if ref not in ids:
                raise InputError(file, f"edges.{i}.{end}", f"unknown node (got {ref!r})")
        if e.source_id == e.target:
            raise InputError(file, f"edges.{i}", f"edge from a node to itself (got {e.source_id!r})")


@check
def check_trades(model: TopologyModel, file) -> None:
    kinds = {n.id: n.kind for n in model.nodes}
    for i, e in enumerate(model.edges):
        a, b = kinds[e.source_id], kinds[e.target]
        if b not in TRADES[a]:
            raise InputError(file, f"edges.{i}", f"a {a} cannot supply a {b} ({e.source_id} -> {e.target})")


@check
def check_positive_figures(model: TopologyModel, file) -> None:
    for node in model.nodes:
        cap = getattr(node, "capacity", None)
        if cap is not None and cap.min_value() <= 0:
            raise InputError(file, f"nodes.{node.id}.capacity", f"capacity must be positive (got {cap.min_value():g})")
        y = getattr(node, "yield_", None)
        if y is not None and not (0 < y.min_value() and y.max_value() <= 1):
            bad = y.min_value() if y.min_value() <= 0 else y.max_value()
            raise InputError(file, f"nodes.{node.id}.yield", f"yield must be in (0, 1] (got {bad:g})")
        share = getattr(node, "ai_share", None)
        if share is not None and not (0 < share.min_value() and share.max_value() <= 1):
            raise InputError(file, f"nodes.{node.id}.ai_share", f"share must be in (0, 1] (got {share.min_value():g})")
        ct = getattr(node, "cycle_time", None)
        if ct is not None and ct.min_value() < 0:
            raise InputError(file, f"nodes.{node.id}.cycle_time", f"cycle time must not be negative (got {ct.min_value():g})")
        for sku, units in (getattr(node, "fleet", None) or {}).items():
            if units < 0:
                raise InputError(file, f"nodes.{node.id}.fleet.{sku}", f"installed units must not be negative (got {units:g})")
        pw = getattr(node, "power_mw", None)
        if pw is not None and pw.min_value() < 0:
            raise InputError(file, f"nodes.{node.id}.power_mw", f"power must not be negative (got {pw.min_value():g})")
        tgt = getattr(node, "target_h100e", None)
        if tgt is not None and tgt.min_value() < 0:
            raise InputError(file, f"nodes.{node.id}.target_h100e", f"target must not be negative (got {tgt.min_value():g})")


@check
def check_makes(model: TopologyModel, file) -> None:
    """A supplier ships only what it makes (vendors: their SKUs)."""
    nodes = {n.id: n for n in model.nodes}
    for i, e in enumerate(model.edges):
        sup = nodes[e.source_id]
        made = set(getattr(sup, "makes", None) or []) | set(getattr(sup, "skus", None) or [])
        if sup.kind == "stock":
            made = {sup.item}  # type: ignore[union-attr]
        if sup.kind == "grid" and not made:
            made = {p for p, prod in model.products.items() if prod.kind == "power"}
        if sup.kind == "packaging":
            made |= _packaged_by(model, sup.id)
        if e.product not in made:
            raise InputError(file, f"edges.{i}.product", f"{e.source_id} does not make {e.product!r}")


def _packaged_by(model: TopologyModel, node_id: str) -> set[str]:
    return {e.product for e in model.edges if e.source_id == node_id and model.products[e.product].kind == "accelerator"}


@check
def check_shares(model: TopologyModel, file) -> None:
    """Shares into one (customer, product) must be non-negative and not all zero."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, e in enumerate(model.edges):
        if e.share.min_value() < 0:
            raise InputError(file, f"edges.{i}.share", f"share must not be negative (got {e.share.min_value():g})")
        groups[(e.target, e.product)].append(i)
    for (target, product), idxs in groups.items():
        if all(model.edges[i].share.max_value() == 0 for i in idxs):
            raise InputError(file, f"edges.{idxs[0]}.share", f"shares into {target} for {product} cannot be normalised (all zero)")


@check
def check_bom_suppliers(model: TopologyModel, file) -> None:
    """Every packaging node that ships a SKU must receive that SKU's logic and HBM."""
    inbound: dict[str, set[str]] = defaultdict(set)
    for e in model.edges:
        inbound[e.target].add(e.product)
    for i, e in enumerate(model.edges):
        prod = model.products[e.product]
        if prod.kind != "accelerator" or prod.bom is None:
            continue
        sup = next(n for n in model.nodes if n.id == e.source_id)
        if sup.kind != "packaging":
            if sup.kind == "vendor":
                continue
            raise InputError(file, f"edges.{i}.from", f"accelerators are assembled at packaging nodes (got {sup.kind} {sup.id!r})")
        for field in ("logic", "hbm"):
            need = getattr(prod.bom, field)
            if field == "hbm" and (need is None or prod.bom.hbm_stacks == 0):
                continue
            if need not in inbound[sup.id]:
                raise InputError(file, f"products.{e.product}.bom.{field}", f"no supplier ships {need!r} to {sup.id}")
    for node in model.nodes:
        if node.kind == "stock":
            for item in node.bom:  # type: ignore[union-attr]
                if item not in inbound[node.id]:
                    raise InputError(file, f"nodes.{node.id}.bom.{item}", "no supplier ships this input")
        if node.kind == "vendor":
            for sku in node.skus:  # type: ignore[union-attr]
                if sku not in inbound[node.id]:
                    raise InputError(file, f"nodes.{node.id}.skus", f"no packaging node ships {sku!r} to this vendor")


@check
def check_labs_reach_vendors(model: TopologyModel, file) -> None:
    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in model.nodes)
    g.add_edges_from((e.source_id, e.target) for e in model.edges)
    vendors = {n.id for n in model.nodes if n.kind == "vendor"}
    for node in model.nodes:
        if node.kind == "lab" and not (nx.ancestors(g, node.id) & vendors):
            raise InputError(file, f"nodes.{node.id}", "lab has no path from any accelerator vendor")


@check
def check_no_cycles(model: TopologyModel, file) -> None:
    g = nx.DiGraph()
    g.add_edges_from((e.source_id, e.target) for e in model.edges)
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return
    path = " -> ".join([u for u, _ in cycle] + [cycle[-1][1]])
    raise InputError(file, "edges", f"goods flow in a cycle ({path})")


def check_topology(model: TopologyModel, file: str | Path | None = None) -> None:
    """Run every named check; the first failure raises."""
    for fn in CHECKS.values():
        fn(model, file)


def warnings_for(model: TopologyModel) -> list[str]:
    """Suspicious but legal: nodes nothing consumes, producers nobody orders from."""
    out: list[str] = []
    has_out = {e.source_id for e in model.edges}
    has_in = {e.target for e in model.edges}
    for node in model.nodes:
        if node.kind not in ("lab", "demand") and node.id not in has_out:
            out.append(f"nodes.{node.id}: nothing consumes what this {node.kind} makes")
        if node.kind in ("fab", "memory", "packaging", "vendor", "stock") and node.id not in has_in and node.kind != "fab" and node.kind != "memory":
            out.append(f"nodes.{node.id}: this {node.kind} has no supplier")
    for pid, p in model.products.items():
        if p.kind == "accelerator" and p.available is None:
            out.append(f"products.{pid}.available: no availability date; treated as available from the start")
    return out
