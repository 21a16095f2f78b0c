"""What `topology show` reports: composition, capacity by year, chokepoints.

A single point of failure is found with dominators rather than undirected
articulation points, because supply is directional and product-specific:
node d cuts lab L from an input (logic dies, HBM, power) when every path
that carries that input to L, for every accelerator L buys, passes through
d. For one SKU the paths run supplier -> packaging (the SKU's die or HBM)
-> vendor -> lab (the SKU); a super-source feeding all suppliers of the
input turns "on every path" into "dominates L" (`nx.immediate_dominators`),
one dominator tree per (SKU, input) shared by all labs. Tools are left out:
they gate capacity growth, not the supply that exists.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

import networkx as nx
import numpy as np

from .schema import TopologyModel

__all__ = ["KEY_KINDS", "kinds_by_country", "capacity_by_year", "single_points_of_failure", "Chokepoint", "central_nodes"]

#: The kinds whose capacity paces supply.
KEY_KINDS = ("fab", "memory", "packaging", "grid")
DEFAULT_START = dt.date(2022, 1, 1)
_SOURCE = ("__inputs__",)  # a tuple cannot clash with a node id (ids are strings)


def kinds_by_country(model: TopologyModel) -> dict[str, Counter[str]]:
    """kind -> country -> number of nodes, kinds in schema order."""
    out: dict[str, Counter[str]] = {}
    for node in model.nodes:
        out.setdefault(node.kind, Counter())[node.country] += 1
    return out


def capacity_by_year(model: TopologyModel, years: range | None = None, kinds: tuple[str, ...] = KEY_KINDS) -> dict[str, dict[int, float]]:
    """kind -> year -> summed capacity open to AI orders (capacity x ai_share), yearly mean of daily values;
    `years` default: 14 from the topology's start year (fewer before year 9999). Nodes without a capacity (unlimited sources) are left out.

    Packaging capacity given in interposer wafers (`packages_per_wafer` set) is
    converted to packages, so the packaging column adds like with like.
    """
    start = model.start or DEFAULT_START
    if years is None:  # the last year ends on a date Python holds: a start in 9990 was a ValueError traceback in `show`
        years = range(min(start.year, dt.MAXYEAR - 1), min(start.year + 14, dt.MAXYEAR))
    first, last = dt.date(years[0], 1, 1), dt.date(years[-1] + 1, 1, 1)
    days = np.arange((first - start).days, (last - start).days, dtype=float)
    idx = _years(start, days) - years[0]
    per_year = np.bincount(idx, minlength=len(years)).astype(float)
    out: dict[str, dict[int, float]] = {k: {y: 0.0 for y in years} for k in kinds}
    totals = {k: np.zeros(len(days)) for k in kinds}
    for node in model.nodes:
        if node.kind not in kinds or getattr(node, "capacity", None) is None:
            continue
        values = node.capacity.on_days(start, days)  # type: ignore[union-attr]
        share = getattr(node, "ai_share", None)
        if share is not None:
            values = values * share.on_days(start, days)
        per_wafer = getattr(node, "packages_per_wafer", None)
        if per_wafer is not None:  # CoWoS-style capacity in interposer wafers/week
            values = values * per_wafer
        totals[node.kind] += values
    for k in kinds:
        means = np.bincount(idx, weights=totals[k], minlength=len(years)) / np.maximum(per_year, 1)
        out[k] = {y: float(m) for y, m in zip(years, means)}
    return out


def _years(start: dt.date, days: np.ndarray) -> np.ndarray:
    dates = np.datetime64(start) + days.astype("timedelta64[D]")
    return dates.astype("datetime64[Y]").astype(int) + 1970


@dataclass(frozen=True)
class Chokepoint:
    """A node whose loss cuts some labs off an input; `share` weighs labs by their fleet target at the start."""

    node: str
    kind: str
    country: str
    labs: tuple[str, ...]
    inputs: tuple[str, ...]
    share: float


def _dominators(g: nx.DiGraph, targets: set[str]) -> dict[str, set[str]]:
    """target -> nodes (other than itself) on every path from the super-source to it."""
    idom = nx.immediate_dominators(g, _SOURCE)
    out: dict[str, set[str]] = {}
    for t in targets & idom.keys():
        doms: set[str] = set()
        d = idom[t]
        while d != _SOURCE:
            doms.add(d)
            d = idom[d]
        out[t] = doms
    return out


def _lab_weights(model: TopologyModel) -> dict[str, float]:
    start = model.start or DEFAULT_START
    w = {}
    for node in model.nodes:
        if node.kind == "lab":
            target = node.target_h100e  # type: ignore[union-attr]
            fleet = sum(u * (model.products[s].h100e or 1.0) for s, u in node.fleet.items())  # type: ignore[union-attr]
            w[node.id] = target.at(start) if target is not None else fleet
    total = sum(w.values())
    return {k: (v / total if total > 0 else 1 / len(w)) for k, v in w.items()}


def single_points_of_failure(model: TopologyModel) -> list[Chokepoint]:
    """Nodes whose removal cuts at least one lab from all suppliers of logic, HBM or power."""
    nodes = {n.id: n for n in model.nodes}
    labs = {n.id for n in model.nodes if n.kind == "lab"}
    by_product: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for e in model.edges:
        by_product[e.product].append((e.source_id, e.target))
    bought: dict[str, set[str]] = defaultdict(set)  # lab -> SKUs
    cuts: dict[str, dict[str, set[str]]] = defaultdict(dict)  # lab -> input -> dominators so far
    for sku, prod in model.products.items():
        if prod.kind != "accelerator" or prod.bom is None:
            continue
        flows = by_product[sku]
        buyers = {v for _, v in flows if v in labs}
        if not buyers:
            continue
        for lab in buyers:
            bought[lab].add(sku)
        packers = {u for u, _ in flows if nodes[u].kind == "packaging"}
        for field in ("logic", "hbm"):
            need = getattr(prod.bom, field)
            doms: dict[str, set[str]] = {}
            if need is not None and not (field == "hbm" and prod.bom.hbm_stacks == 0):
                g = nx.DiGraph(flows)
                for u, v in by_product[need]:
                    if v in packers:
                        g.add_edge(u, v)
                        g.add_edge(_SOURCE, u)
                if _SOURCE in g:
                    doms = _dominators(g, buyers)
            for lab in buyers:
                found = doms.get(lab, set())  # a SKU without this input cannot be cut on it
                cuts[lab][field] = found if field not in cuts[lab] else cuts[lab][field] & found
    power: dict[str, list[str]] = defaultdict(list)
    for p, prod in model.products.items():
        if prod.kind == "power":
            for u, v in by_product[p]:
                if v in labs:
                    power[v].append(u)
    for lab, grids in power.items():
        if len(set(grids)) == 1:
            cuts[lab]["power"] = {grids[0]}
    hits: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # node -> lab -> inputs
    for lab, per_input in cuts.items():
        for field, doms in per_input.items():
            for d in doms:
                hits[d][lab].add(field)
    weights = _lab_weights(model)
    out = [
        Chokepoint(
            node=d, kind=nodes[d].kind, country=nodes[d].country, labs=tuple(sorted(by_lab)),
            inputs=tuple(sorted({f for fs in by_lab.values() for f in fs})), share=sum(weights.get(lab, 0.0) for lab in by_lab),
        )
        for d, by_lab in hits.items()
    ]
    return sorted(out, key=lambda c: (-c.share, -len(c.labs), c.node))


def central_nodes(model: TopologyModel, top: int = 10, max_sources: int = 150) -> tuple[list[tuple[str, float]], bool]:
    """Nodes by betweenness centrality on the supply graph, and whether it was estimated.

    Only nodes that ship something start paths, so betweenness sums over
    those sources alone (labs, three quarters of a generated network, add
    nothing); above `max_sources` sources a seeded sample estimates it.
    """
    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in model.nodes)
    g.add_edges_from((e.source_id, e.target) for e in model.edges)
    sources = [n for n in g if g.out_degree(n) > 0]
    sampled = len(sources) > max_sources
    if sampled:
        rng = np.random.default_rng(0)
        sources = [sources[i] for i in sorted(rng.choice(len(sources), size=max_sources, replace=False))]
    n = g.number_of_nodes()
    scale = (len([u for u in g if g.out_degree(u) > 0]) / len(sources) if sources else 0.0) / max((n - 1) * (n - 2), 1)
    bc = nx.betweenness_centrality_subset(g, sources=sources, targets=list(g), normalized=False)
    ranked = sorted(((u, v * scale) for u, v in bc.items()), key=lambda kv: (-kv[1], kv[0]))
    return [(u, v) for u, v in ranked[:top] if v > 0], sampled
