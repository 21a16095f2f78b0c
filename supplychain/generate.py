"""Synthetic supply networks for scale tests, valid by construction.

`generate_topology(n_nodes, seed)` builds an AI-chip network of any size with
the shape of the real one: few tool makers, foundries, HBM makers and
packagers feeding a few vendors, and many labs (buyers) drawing power from
regional grids. Node shares by kind (`PROPORTIONS`) follow the real market's
shape: about 10 tool makers, 5 leading-edge foundries, 4 HBM makers, 6
advanced packagers and 6 accelerator vendors serve a few hundred
labs/clusters; every kind gets at least one node.

Valid by construction: every SKU is packaged where its logic die and HBM
arrive, every lab buys from a vendor and draws power from a grid, every
producer has a customer, goods only flow down the tiers (no cycles), and
every figure is positive. Capacities are sized backwards from the labs'
demand at the start (the growth of their fleet targets) so that each
producer starts at 65-90 % utilisation and grows as fast as demand: neither
idle nor starved. All randomness comes from `numpy.random.default_rng(seed)`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

import numpy as np

from .schema import TopologyModel

__all__ = ["generate_topology", "PROPORTIONS", "MIN_NODES"]

#: Share of nodes by kind (sums to 1).
PROPORTIONS: dict[str, float] = {
    "equipment": 0.02,
    "fab": 0.05,
    "memory": 0.03,
    "packaging": 0.05,
    "vendor": 0.03,
    "grid": 0.07,
    "lab": 0.75,
}
MIN_NODES = len(PROPORTIONS)

#: Where each kind sits (country, weight): the real industry's footprint, roughly.
COUNTRIES: dict[str, dict[str, float]] = {
    "equipment": {"US": 0.45, "JP": 0.3, "NL": 0.25},
    "fab": {"TW": 0.5, "US": 0.2, "KR": 0.15, "CN": 0.1, "JP": 0.05},
    "memory": {"KR": 0.6, "US": 0.2, "CN": 0.2},
    "packaging": {"TW": 0.45, "US": 0.15, "CN": 0.15, "MY": 0.15, "KR": 0.1},
    "vendor": {"US": 0.75, "CN": 0.25},
    "grid": {"US": 0.4, "CN": 0.25, "DE": 0.1, "JP": 0.1, "AE": 0.15},
    "lab": {"US": 0.5, "CN": 0.2, "GB": 0.07, "FR": 0.06, "DE": 0.06, "AE": 0.06, "JP": 0.05},
}
CYCLE_DAYS: dict[str, tuple[float, float]] = {
    "equipment": (120, 270), "fab": (80, 110), "memory": (110, 160),
    "packaging": (20, 45), "grid": (180, 540), "vendor": (0, 7),
}
YIELDS: dict[str, tuple[float, float]] = {"fab": (0.5, 0.9), "memory": (0.5, 0.8), "packaging": (0.9, 0.99)}
UTILISATION = (0.65, 0.9)
HBM_GENERATIONS = ("hbm3", "hbm3e")
TOOL_TYPES = ("litho", "etch", "deposition", "metrology", "bonder")
START = dt.date(2022, 1, 1)
WEEKS_PER_YEAR = 52.18
SOURCE = "generated: synthetic figure, not calibrated"


def _counts(n: int) -> dict[str, int]:
    """Nodes per kind: the proportions rounded (largest remainder), at least one each."""
    raw = {k: p * n for k, p in PROPORTIONS.items()}
    counts = {k: max(1, math.floor(v)) for k, v in raw.items()}
    left = n - sum(counts.values())
    by_remainder = sorted(raw, key=lambda k: raw[k] - math.floor(raw[k]), reverse=True)
    for k in by_remainder[: max(left, 0)]:
        counts[k] += 1
    while left < 0:  # tiny n: the minimum of one each came out of the largest kinds
        k = max(counts, key=counts.get)  # type: ignore[arg-type]
        counts[k] -= 1
        left += 1
    return counts


class _Picker:
    """Draws suppliers so that every candidate is used once before any repeats."""

    def __init__(self, rng: np.random.Generator, items: list[str]) -> None:
        self.rng, self.items = rng, items
        self.unused = [items[i] for i in rng.permutation(len(items))]

    def pick(self, k: int, among: list[str] | None = None) -> list[str]:
        pool = among if among is not None else self.items
        k = min(k, len(pool))
        chosen: list[str] = []
        allowed = set(pool)
        while self.unused and len(chosen) < k and self.unused[-1] in allowed:
            chosen.append(self.unused.pop())
        if len(chosen) < k:
            rest = [x for x in pool if x not in chosen] if len(pool) < 64 else pool
            while len(chosen) < k:
                x = rest[int(self.rng.integers(len(rest)))]
                if x not in chosen:
                    chosen.append(x)
        return chosen


def _shares(rng: np.random.Generator, k: int) -> np.ndarray:
    return rng.dirichlet(np.full(k, 2.0)) if k > 1 else np.ones(1)


def generate_topology(n_nodes: int, seed: int = 0) -> TopologyModel:
    """A synthetic network of `n_nodes` nodes (at least `MIN_NODES`), the same for the same seed."""
    if n_nodes < MIN_NODES:
        raise ValueError(f"need at least {MIN_NODES} nodes, one of each kind (got {n_nodes})")
    rng = np.random.default_rng(seed)
    counts = _counts(n_nodes)
    ids = {kind: [f"{kind}_{i:04d}" for i in range(c)] for kind, c in counts.items()}
    growth = float(rng.uniform(0.35, 0.6))  # demand and capacity growth per year
    nodes: dict[str, dict[str, Any]] = {}
    for kind, names in ids.items():
        countries = list(COUNTRIES[kind])
        picks = rng.choice(len(countries), size=len(names), p=list(COUNTRIES[kind].values()))
        for nid, c in zip(names, picks):
            nodes[nid] = {"id": nid, "kind": kind, "country": countries[c]}
            if kind in ("fab", "memory", "packaging", "equipment"):
                nodes[nid]["tech_origin"] = ["US"] if rng.random() < 0.9 else [countries[c]]
    edges: list[dict[str, Any]] = []
    load: dict[str, float] = defaultdict(float)  # producer -> demand in its capacity units

    def edge(u: str, v: str, product: str, share: float = 1.0, transport: Any = 0.0) -> None:
        edges.append({"from": u, "to": v, "product": product, "share": round(share, 4), "transport": transport})

    # products: tools, HBM generations, power; one logic die per SKU
    n_tools = min(len(TOOL_TYPES), counts["equipment"])
    products: dict[str, dict[str, Any]] = {t: {"kind": "tool"} for t in TOOL_TYPES[:n_tools]}
    products |= {h: {"kind": "hbm", "bw_density": 3.3 + i} for i, h in enumerate(HBM_GENERATIONS)}
    products["power"] = {"kind": "power", "name": "Powered datacentre MW"}
    skus: list[str] = []
    for v in ids["vendor"]:
        for j in range(int(rng.integers(1, 4))):
            sku, h100e = f"{v}_sku{j}", float(rng.uniform(0.5, 3.0))
            products[f"{sku}_die"] = {"kind": "logic"}
            products[sku] = {
                "kind": "accelerator", "vendor": v, "h100e": round(h100e, 3),
                "power_kw": round(1.0 + 0.5 * h100e * rng.uniform(0.8, 1.2), 3),
                "tpp": round(15_800 * h100e), "available": (START - dt.timedelta(days=int(rng.integers(0, 730)))).isoformat(),
                "bom": {
                    "logic": f"{sku}_die", "logic_dies": float(rng.choice([1, 1, 2])),
                    "dies_per_wafer": float(rng.integers(25, 70)),
                    "hbm": HBM_GENERATIONS[int(rng.integers(len(HBM_GENERATIONS)))],
                    "hbm_stacks": float(rng.choice([4, 6, 8])),
                },
                "source": SOURCE,
            }
            nodes[v].setdefault("skus", []).append(sku)
            skus.append(sku)

    # labs: fleets, growth, what they buy (every SKU has a buyer), which grids power them
    sku_demand: dict[str, float] = defaultdict(float)  # packages/week
    sku_pick, grid_pick = _Picker(rng, skus), _Picker(rng, ids["grid"])
    fleets = np.clip(rng.lognormal(np.log(3000), 1.3, size=counts["lab"]), 100, 500_000)
    buys = {lab: sku_pick.pick(int(rng.integers(1, 4))) for lab in ids["lab"]}
    while sku_pick.unused:  # more SKUs than lab slots: give each SKU a buyer
        buys[ids["lab"][int(rng.integers(len(ids["lab"])))]].append(sku_pick.unused.pop())
    for lab, fleet in zip(ids["lab"], fleets):
        g = float(np.clip(growth + rng.uniform(-0.15, 0.15), 0.05, 2.0))
        bought = buys[lab]
        weights = _shares(rng, len(bought))
        rate = fleet * math.log1p(g) / WEEKS_PER_YEAR  # H100e/week the target adds at the start
        mw_per_week = 0.0
        fleet_units: dict[str, float] = {}
        for sku, w in zip(bought, weights):
            p = products[sku]
            sku_demand[sku] += rate * w / p["h100e"]
            fleet_units[sku] = round(fleet * w / p["h100e"], 1)
            mw_per_week += rate * w / p["h100e"] * p["power_kw"] / 1000
            lo = float(rng.uniform(5, 15))
            edge(p["vendor"], lab, sku, transport={"dist": "triangular", "low": lo, "mode": lo * 1.5, "high": lo * 3})
        installed_mw = sum(u * products[s]["power_kw"] for s, u in fleet_units.items()) / 1000
        nodes[lab].update({
            "fleet": fleet_units, "power_mw": round(installed_mw * 1.2, 3),
            "target_h100e": {"value": round(float(fleet), 1), "growth": round(g, 4), "source": SOURCE},
        })
        grids = grid_pick.pick(int(rng.integers(1, 3)))
        for grid, s in zip(grids, _shares(rng, len(grids))):
            edge(grid, lab, "power", float(s))
            load[grid] += mw_per_week * s * WEEKS_PER_YEAR  # MW/year of connections

    # packaging and logic per SKU, HBM per (packager, generation): every producer gets work
    yields = {n: float(rng.uniform(*YIELDS[nodes[n]["kind"]])) for k in YIELDS for n in ids[k]}
    pack_pick, fab_pick, mem_pick = (_Picker(rng, ids[k]) for k in ("packaging", "fab", "memory"))
    plan = {sku: (pack_pick.pick(int(rng.integers(1, 3))), fab_pick.pick(int(rng.integers(1, 3)))) for sku in skus}
    for picker, slot in ((pack_pick, 0), (fab_pick, 1)):
        while picker.unused:  # more producers than SKU slots: add them as second sources
            plan[skus[int(rng.integers(len(skus)))]][slot].append(picker.unused.pop())
    stacks: dict[tuple[str, str], float] = defaultdict(float)  # (packager, hbm) -> stacks/week
    for sku, (packers, fabs) in plan.items():
        p, bom = products[sku], products[sku]["bom"]
        fab_shares = _shares(rng, len(fabs))
        for pk, s in zip(packers, _shares(rng, len(packers))):
            packages = sku_demand[sku] * s / yields[pk]  # gross packages/week started at pk
            load[pk] += packages
            stacks[(pk, bom["hbm"])] += packages * bom["hbm_stacks"]
            edge(pk, p["vendor"], sku, float(s), round(float(rng.uniform(1, 5)), 1))
            for fab, fs in zip(fabs, fab_shares):
                load[fab] += packages * bom["logic_dies"] * fs / (bom["dies_per_wafer"] * yields[fab])
                edge(fab, pk, bom["logic"], float(fs), round(float(rng.uniform(2, 10)), 1))
                _makes(nodes[fab], bom["logic"])
    hbm_plan = {key: mem_pick.pick(int(rng.integers(1, 3))) for key in stacks}
    keys = list(hbm_plan)
    while mem_pick.unused:
        hbm_plan[keys[int(rng.integers(len(keys)))]].append(mem_pick.unused.pop())
    for (pk, hbm), mems in hbm_plan.items():
        for mem, ms in zip(mems, _shares(rng, len(mems))):
            load[mem] += stacks[(pk, hbm)] * ms / yields[mem]
            edge(mem, pk, hbm, float(ms), round(float(rng.uniform(2, 10)), 1))
            _makes(nodes[mem], hbm)

    # tools: each fab, memory maker and packager expands with one tool type from 1-2 makers
    makers_of: dict[str, list[str]] = defaultdict(list)
    for i, e in enumerate(ids["equipment"]):
        tool = TOOL_TYPES[i % n_tools]
        makers_of[tool].append(e)
        nodes[e]["makes"] = [tool]
    tool_pick = _Picker(rng, ids["equipment"])
    for kind in ("fab", "memory", "packaging"):
        for nid in ids[kind]:
            capacity = load[nid] / rng.uniform(*UTILISATION)
            first = tool_pick.pick(1)[0]
            tool = nodes[first]["makes"][0]
            makers = [first] + [m for m in tool_pick.pick(1, makers_of[tool]) if m != first]
            per_tool = capacity / float(rng.uniform(20, 200))
            per_tool = float(f"{per_tool:.4g}")
            nodes[nid]["expansion"] = {"tool": tool, "capacity_per_tool": per_tool, "installed_tools_at_start": round(capacity / per_tool, 1)}
            for m, s in zip(makers, _shares(rng, len(makers))):
                edge(m, nid, tool, float(s), round(float(rng.uniform(7, 30)), 1))
                load[m] += capacity * growth / per_tool * s  # tools/year for planned growth
            _producer(nodes[nid], rng, capacity, growth, yields[nid])
    for kind in ("equipment", "grid"):
        for nid in ids[kind]:
            _producer(nodes[nid], rng, load[nid] / rng.uniform(*UTILISATION), growth, None)
    for nid in ids["grid"]:
        nodes[nid]["makes"] = ["power"]
    for v in ids["vendor"]:
        nodes[v]["cycle_time"] = round(float(rng.uniform(*CYCLE_DAYS["vendor"])), 1)
    used = {products[s]["bom"]["hbm"] for s in skus}
    products = {k: p for k, p in products.items() if p["kind"] != "hbm" or k in used}
    return TopologyModel.model_validate({
        "name": f"generated-{n_nodes}-{seed}",
        "description": f"Synthetic network of {n_nodes} nodes (seed {seed}); figures are not calibrated.",
        "start": START.isoformat(),
        "products": products,
        "nodes": list(nodes.values()),
        "edges": edges,
        "sources": [SOURCE],
    })


def _makes(node: dict[str, Any], product: str) -> None:
    made = node.setdefault("makes", [])
    if product not in made:
        made.append(product)


def _producer(node: dict[str, Any], rng: np.random.Generator, capacity: float, growth: float, yield_: float | None) -> None:
    """Capacity (positive, growing with demand), cycle time, yield and allocation rule of a producer."""
    node["capacity"] = {"value": max(round(capacity, 3), 0.001), "growth": round(growth, 4), "source": SOURCE}
    node["cycle_time"] = round(float(rng.uniform(*CYCLE_DAYS[node["kind"]])), 1)
    if yield_ is not None:
        node["yield"] = round(yield_, 4)
    node["allocation"] = "pro_rata" if rng.random() < 0.1 else "fifo"
