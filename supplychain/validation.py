"""Named semantic checks on a schema-valid topology.

Schema validation (pydantic) catches wrong types, unknown kinds or fields,
unknown distributions, unparsable dates and bad values inside one record;
these checks catch what needs the whole network: duplicate ids, dangling
edges, trades that make no sense, BOM inputs nobody supplies, labs cut off
from accelerators, shares that cannot be normalised, cycles, stock chains
too long to pass an order up. Each check raises an `InputError` with the
field path; `warnings_for` lists the suspicious but legal. Checks run in
registration order and are linear in the size of the network, so a
5,000-node generated topology checks quickly.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Callable

import networkx as nx

from .errors import InputError
from .quantities import MAX_DAYS
from .schema import MIN_FRACTION, TRADES, TopologyModel

__all__ = ["CHECKS", "check_topology", "warnings_for", "MAKES", "ACCEPTS"]

Check = Callable[[TopologyModel, "str | Path | None"], None]
CHECKS: dict[str, Check] = {}

#: Product kinds each producer kind may make (generic kinds: any).
MAKES: dict[str, frozenset[str]] = {
    "equipment": frozenset({"tool"}),
    "fab": frozenset({"logic"}),
    "memory": frozenset({"hbm"}),
    "packaging": frozenset({"accelerator"}),
    "vendor": frozenset({"accelerator"}),
    "grid": frozenset({"power"}),
}
#: Product kinds each customer kind can use (generic kinds: any).
ACCEPTS: dict[str, frozenset[str]] = {
    "fab": frozenset({"tool"}),
    "memory": frozenset({"tool"}),
    "packaging": frozenset({"tool", "logic", "hbm"}),
    "vendor": frozenset({"accelerator"}),
    "lab": frozenset({"accelerator", "power"}),
}


def check(fn: Check) -> Check:
    CHECKS[fn.__name__.removeprefix("check_")] = fn
    return fn


@check
def check_duplicate_ids(model: TopologyModel, file) -> None:
    seen: set[str] = set()
    for node in model.nodes:
        if node.id in seen:
            raise InputError(file, f"nodes.{node.id}.id", f"duplicate node id (got {node.id!r})")
        seen.add(node.id)
    pairs: dict[tuple[str, str, str], int] = {}
    for i, e in enumerate(model.edges):
        key = (e.source_id, e.target, e.product)
        if key in pairs:
            raise InputError(file, f"edges.{i}", f"duplicate of edges.{pairs[key]} ({e.source_id} -> {e.target} for {e.product})")
        pairs[key] = i


@check
def check_product_refs(model: TopologyModel, file) -> None:
    products = model.products
    kinds = {n.id: n.kind for n in model.nodes}
    for pid, p in products.items():
        if p.vendor is not None and kinds.get(p.vendor) != "vendor":
            # the designer: export-control rules aimed at it (scope.entities) reach its products' orders
            problem = f"not a vendor node (got {p.vendor!r}, a {kinds[p.vendor]})" if p.vendor in kinds else f"unknown node (got {p.vendor!r})"
            raise InputError(file, f"products.{pid}.vendor", problem)
        if p.bom is not None:
            for field, kind in (("logic", "logic"), ("hbm", "hbm")):
                ref = getattr(p.bom, field)
                if ref is not None and (ref not in products or products[ref].kind != kind):
                    raise InputError(file, f"products.{pid}.bom.{field}", f"not a {kind} product (got {ref!r})")
            if p.bom.hbm_stacks > 0 and p.bom.hbm is None:
                raise InputError(file, f"products.{pid}.bom.hbm", f"hbm_stacks is {p.bom.hbm_stacks:g} but no hbm product is named")
        if p.compliant_variant is not None:
            cv = products.get(p.compliant_variant)
            if cv is None or cv.kind != "accelerator":
                raise InputError(file, f"products.{pid}.compliant_variant", f"not an accelerator product (got {p.compliant_variant!r})")
            if p.compliant_variant == pid:  # the rule that blocks it blocks its "variant": no substitute, silently
                raise InputError(file, f"products.{pid}.compliant_variant", f"a product cannot be its own compliant variant (got {pid!r})")
    for node in model.nodes:
        for field in ("makes", "skus"):
            for ref in getattr(node, field, None) or []:
                if ref not in products:
                    raise InputError(file, f"nodes.{node.id}.{field}", f"unknown product (got {ref!r})")
                allowed = MAKES.get(node.kind)
                if allowed is not None and products[ref].kind not in allowed:
                    raise InputError(
                        file, f"nodes.{node.id}.{field}",
                        f"a {node.kind} makes {'/'.join(sorted(allowed))} products (got {ref!r}, a {products[ref].kind})",
                    )
        ref = getattr(node, "item", None)
        if ref is not None and ref not in products:
            raise InputError(file, f"nodes.{node.id}.item", f"unknown product (got {ref!r})")
        for ref in getattr(node, "bom", None) or {}:
            if ref not in products:
                raise InputError(file, f"nodes.{node.id}.bom.{ref}", f"unknown product (got {ref!r})")
            if ref == getattr(node, "item", None):  # it ran: each widget assembled from a widget ordered upstream
                raise InputError(file, f"nodes.{node.id}.bom.{ref}", f"the stock's own item cannot be an input of itself (got {ref!r})")
        for ref in getattr(node, "fleet", None) or {}:
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
    ids = {n.id for n in model.nodes}
    for i, e in enumerate(model.edges):
        for end, ref in (("from", e.source_id), ("to", e.target)):
            if ref not in ids:
                raise InputError(file, f"edges.{i}.{end}", f"unknown node (got {ref!r})")
        if e.source_id == e.target:
            raise InputError(file, f"edges.{i}", f"edge from a node to itself (got {e.source_id!r})")


@check
def check_trades(model: TopologyModel, file) -> None:
    """Supplier kind may ship to customer kind, and the customer can use the product."""
    nodes = {n.id: n for n in model.nodes}
    for i, e in enumerate(model.edges):
        sup, cus = nodes[e.source_id], nodes[e.target]
        if cus.kind not in TRADES[sup.kind]:
            raise InputError(file, f"edges.{i}", f"a {sup.kind} cannot supply a {cus.kind} ({e.source_id} -> {e.target})")
        kind = model.products[e.product].kind
        if cus.kind in ACCEPTS and kind not in ACCEPTS[cus.kind]:
            raise InputError(file, f"edges.{i}.product", f"a {cus.kind} has no use for {kind} products (got {e.product!r})")
        if cus.kind == "vendor" and e.product not in cus.skus:  # type: ignore[union-attr]
            raise InputError(file, f"edges.{i}.product", f"{cus.id} does not list {e.product!r} in its skus")
        # a stock orders its item (a kit: its inputs), a demand point its item: any other product on the edge
        # never flowed, and the run reported zero demand (fill rate NaN) without a word
        if cus.kind == "stock" and e.product != cus.item and e.product not in cus.bom:  # type: ignore[union-attr]
            uses = f"{cus.item!r}" + (f" from {', '.join(map(repr, cus.bom))}" if cus.bom else "")  # type: ignore[union-attr]
            raise InputError(file, f"edges.{i}.product", f"{cus.id} stocks {uses}; it has no use for {e.product!r}")
        if cus.kind == "demand" and e.product != cus.item:  # type: ignore[union-attr]
            raise InputError(file, f"edges.{i}.product", f"{cus.id} demands {cus.item!r}; it has no use for {e.product!r}")


def _packaged(model: TopologyModel) -> dict[str, set[str]]:
    """Packaging node -> the accelerator SKUs it ships (what it assembles)."""
    out: dict[str, set[str]] = defaultdict(set)
    for e in model.edges:
        if model.products[e.product].kind == "accelerator":
            out[e.source_id].add(e.product)
    return out


@check
def check_makes(model: TopologyModel, file) -> None:
    """A supplier ships only what it makes (vendors: their SKUs; packaging: the SKUs it assembles)."""
    nodes = {n.id: n for n in model.nodes}
    packaged = _packaged(model)
    power = {p for p, prod in model.products.items() if prod.kind == "power"}
    for i, e in enumerate(model.edges):
        sup = nodes[e.source_id]
        made = set(getattr(sup, "makes", None) or []) | set(getattr(sup, "skus", None) or [])
        if sup.kind == "stock":
            made = {sup.item}  # type: ignore[union-attr]
        if sup.kind == "grid" and not made:
            made = power
        if sup.kind == "packaging":
            made |= packaged[sup.id]
        if e.product not in made:
            raise InputError(file, f"edges.{i}.product", f"{e.source_id} does not make {e.product!r}")


#: the longest cycle time, in days (100 years): 1e300 became a garbage lag in the engine's integer days
MAX_CYCLE_DAYS = MAX_DAYS
#: the most installed units of one accelerator a lab may start with (the world's AI fleet is ~1e7)
MAX_FLEET = 1e12


@check
def check_positive_figures(model: TopologyModel, file) -> None:
    """Capacities positive, yields and AI shares in (0, 1], times and stocks not negative."""
    for node in model.nodes:
        cap = getattr(node, "capacity", None)
        if cap is not None and cap.min_value() <= 0:
            raise InputError(file, f"nodes.{node.id}.capacity", f"capacity must be positive (got {cap.min_value():g})")
        for field, attr in (("yield", "yield_"), ("ai_share", "ai_share")):
            s = getattr(node, attr, None)
            if s is not None and not (0 < s.min_value() and s.max_value() <= 1):
                bad = s.min_value() if s.min_value() <= 0 else s.max_value()
                raise InputError(file, f"nodes.{node.id}.{field}", f"{field} must be in (0, 1] (got {bad:g})")
            if field == "yield" and s is not None and s.min_value() < MIN_FRACTION:  # starts = good units / yield
                raise InputError(file, f"nodes.{node.id}.yield", f"yield must be at least {MIN_FRACTION:g}, one good unit "
                                                                 f"in a million: a run cannot hold the starts (got {s.min_value():g})")
        for field in ("cycle_time", "power_mw", "target_h100e"):
            s = getattr(node, field, None)
            if s is not None and s.min_value() < 0:
                raise InputError(file, f"nodes.{node.id}.{field}", f"{field} must not be negative (got {s.min_value():g})")
        ct = getattr(node, "cycle_time", None)
        if ct is not None and ct.max_value() > MAX_CYCLE_DAYS:  # the engine counts it in whole days (int32)
            raise InputError(file, f"nodes.{node.id}.cycle_time",
                             f"cycle_time must be at most {MAX_CYCLE_DAYS:,} days, 100 years (got {ct.max_value():g})")
        for field, what in (("fleet", "installed units"), ("in_flight", "units in flight")):
            for sku, units in (getattr(node, field, None) or {}).items():
                if units < 0:
                    raise InputError(file, f"nodes.{node.id}.{field}.{sku}", f"{what} must not be negative (got {units:g})")
                # times the FLOP/s of each unit and a day's seconds, 1e300 overflowed (in flight: left on order
                # by float cancellation as each part arrived, on_order_h100e went negative)
                if units > MAX_FLEET:
                    raise InputError(file, f"nodes.{node.id}.{field}.{sku}", f"{what} must be at most {MAX_FLEET:g} (got {units:g})")
        target = getattr(node, "target_h100e", None)
        if target is not None and target.max_value() > MAX_FLEET:  # 1e300 ordered as much, and installed it unconstrained:
            raise InputError(file, f"nodes.{node.id}.target_h100e",  # its training FLOP/s were infinite
                             f"a fleet target must be at most {MAX_FLEET:g} H100e (got {target.max_value():g})")
        for item, units in (getattr(node, "bom", None) or {}).items():
            if units <= 0:
                raise InputError(file, f"nodes.{node.id}.bom.{item}", f"units per unit must be positive (got {units:g})")
    for pid, p in model.products.items():
        if p.bom is not None and p.bom.hbm is not None and p.bom.hbm_stacks == 0:
            raise InputError(file, f"products.{pid}.bom.hbm_stacks", f"names hbm {p.bom.hbm!r} but needs 0 stacks")


@check
def check_shares(model: TopologyModel, file) -> None:
    """Shares into one (customer, product) must be non-negative and never all zero at once.

    Shares are piecewise linear between dated points and constant or growing
    past them, so their sum is positive everywhere iff it is positive at every
    point date of the group (and at any date when all shares are constant).
    """
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, e in enumerate(model.edges):
        if e.share.min_value() < 0:
            raise InputError(file, f"edges.{i}.share", f"share must not be negative (got {e.share.min_value():g})")
        groups[(e.target, e.product)].append(i)
    for (target, product), idxs in groups.items():
        shares = [model.edges[i].share for i in idxs]
        dates = sorted({d for s in shares for d in (s.points or {})})
        for when in dates or [None]:
            total = sum(s.value if when is None else s.at(when) for s in shares)  # type: ignore[misc]
            if total <= 0:
                why = f"they sum to zero on {when}" if when else "all zero"
                raise InputError(file, f"edges.{idxs[0]}.share", f"shares into {target} for {product} cannot be normalised ({why})")


@check
def check_bom_suppliers(model: TopologyModel, file) -> None:
    """Every packaging node that ships a SKU must receive that SKU's logic and HBM."""
    nodes = {n.id: n for n in model.nodes}
    inbound: dict[str, set[str]] = defaultdict(set)
    for e in model.edges:
        inbound[e.target].add(e.product)
    for i, e in enumerate(model.edges):
        prod = model.products[e.product]
        if prod.kind != "accelerator" or prod.bom is None:
            continue
        sup = nodes[e.source_id]
        if sup.kind == "vendor":
            continue
        if sup.kind != "packaging":
            raise InputError(file, f"edges.{i}.from", f"accelerators are assembled at packaging nodes (got {sup.kind} {sup.id!r})")
        for field in ("logic", "hbm"):
            need = getattr(prod.bom, field)
            if need is None or (field == "hbm" and prod.bom.hbm_stacks == 0):
                continue
            if need not in inbound[sup.id]:
                raise InputError(file, f"products.{e.product}.bom.{field}", f"no supplier ships {need!r} to {sup.id}, which packages {e.product}")
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
    """Every lab buys accelerators from at least one vendor (the only kind that sells them)."""
    kinds = {n.id: n.kind for n in model.nodes}
    supplied = {e.target for e in model.edges if kinds[e.source_id] == "vendor"}
    for node in model.nodes:
        if node.kind == "lab" and node.id not in supplied:
            raise InputError(file, f"nodes.{node.id}", "lab has no path from any accelerator vendor")


@check
def check_no_cycles(model: TopologyModel, file) -> None:
    g = nx.DiGraph()
    index: dict[tuple[str, str], int] = {}
    for i, e in enumerate(model.edges):
        g.add_edge(e.source_id, e.target)
        index.setdefault((e.source_id, e.target), i)
    if nx.is_directed_acyclic_graph(g):  # fast path; find_cycle is slow on large graphs
        return
    cycle = nx.find_cycle(g)
    path = " -> ".join([u for u, _ in cycle] + [cycle[-1][1]])
    first = min(index[(u, v)] for u, v in cycle)
    raise InputError(file, f"edges.{first}", f"goods flow in a cycle ({path})")


#: the most stock nodes in a row: an order at one is passed up to the next within the same call, and
#: a chain of 200 overflowed the stack mid-run (RecursionError traceback); textbook chains have ~4
MAX_STOCK_CHAIN = 100


@check
def check_stock_chains(model: TopologyModel, file) -> None:
    """No path through more than `MAX_STOCK_CHAIN` stock nodes in a row (after `no_cycles`: a DAG)."""
    stocks = {n.id for n in model.nodes if n.kind == "stock"}
    g = nx.DiGraph((e.source_id, e.target) for e in model.edges if e.source_id in stocks and e.target in stocks)
    if g.number_of_nodes() <= MAX_STOCK_CHAIN:
        return
    path = nx.dag_longest_path(g)
    if len(path) > MAX_STOCK_CHAIN:
        raise InputError(file, f"nodes.{path[-1]}", f"a chain of {len(path)} stock nodes in a row ({path[0]} -> ... -> "
                                                    f"{path[-1]}); at most {MAX_STOCK_CHAIN}")


def check_topology(model: TopologyModel, file: str | Path | None = None) -> None:
    """Run every named check; the first failure raises."""
    for fn in CHECKS.values():
        fn(model, file)


def warnings_for(model: TopologyModel) -> list[str]:
    """Suspicious but legal: idle nodes, suppliers nobody orders from, gaps the engine papers over."""
    out: list[str] = []
    has_out = {e.source_id for e in model.edges}
    inbound: dict[str, set[str]] = defaultdict(set)
    for e in model.edges:
        inbound[e.target].add(model.products[e.product].kind)
    used = {e.product for e in model.edges}
    for p in model.products.values():
        used |= {p.bom.logic, p.bom.hbm} if p.bom else set()
        used |= {p.compliant_variant}
    for node in model.nodes:
        used |= {getattr(node, "item", None)} | set(getattr(node, "bom", None) or {}) | set(getattr(node, "fleet", None) or {})
        used |= {node.expansion.tool} if getattr(node, "expansion", None) else set()  # type: ignore[union-attr]
    for node in model.nodes:
        if node.kind not in ("lab", "demand") and node.id not in has_out:
            out.append(f"nodes.{node.id}: nothing consumes what this {node.kind} makes")
        if node.kind == "stock" and not inbound[node.id]:
            out.append(f"nodes.{node.id}: this stock has no supplier; it only sells its initial stock")
        exp = getattr(node, "expansion", None)
        if exp is not None and "tool" not in inbound[node.id]:
            out.append(f"nodes.{node.id}.expansion: no equipment maker supplies tools here, so capacity cannot expand")
        if node.kind == "lab" and "power" not in inbound[node.id]:
            out.append(f"nodes.{node.id}: no grid supplies power; the fleet is capped at power_mw")
    for pid, p in model.products.items():
        if pid not in used:
            out.append(f"products.{pid}: defined but nothing ships, uses or holds it")
        if p.kind == "accelerator" and p.available is None:
            out.append(f"products.{pid}.available: no availability date; treated as available from the start")
    return out
