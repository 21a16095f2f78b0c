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
every figure is positive. Capacities are sized backwards from the steady
flow the growth of the labs' fleet targets implies at the start: each
producer's capacity is that flow over 0.65-0.9 (`UTILISATION`), and grows as
fast as demand in aggregate. The flow is not what the labs order, though:
their orders from the first weeks are far above it, so the networks saturate.
Measured (50, 200, 500 and 1,000 nodes, seeds 0-7, 2022-2026): tool makers,
fabs, HBM makers and grids run at 1.00 utilisation from the second or third
week until 2025-26, quoting a median 400-500 days at fabs and HBM makers and
1,600-1,800 at grids (up to ~2,300); packagers, starved by them, stand idle
for a quarter, then run at 0.7-0.95. Synthetic networks are stress tests
that saturate (deep order books, long quotes), not a balanced supply chain;
benchmarks are measured on them as they are. Labs' growth rates scatter
around the producers' (+-15 points). All randomness comes from
`numpy.random.default_rng(seed)`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

import numpy as np

from .arguments import ARGUMENTS, whole
from .errors import InputError
from .schema import TopologyModel

__all__ = ["generate_topology", "PROPORTIONS", "MIN_NODES", "MAX_NODES"]

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
#: the largest network written (100,000 nodes take ~1 GB and a minute; 10^11 ran until killed)
MAX_NODES = 1_000_000

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
#: synthetic ranges (assumption), one draw per node; not calibrated: the generator labels its output synthetic
CYCLE_DAYS: dict[str, tuple[float, float]] = {
    "equipment": (120, 270), "fab": (80, 110), "memory": (110, 160),
    "packaging": (20, 45), "grid": (180, 540), "vendor": (0, 7),
}
#: synthetic ranges (assumption), as CYCLE_DAYS
YIELDS: dict[str, tuple[float, float]] = {"fab": (0.5, 0.9), "memory": (0.5, 0.8), "packaging": (0.9, 0.99)}
UTILISATION = (0.65, 0.9)  # the steady flow at the start / capacity; actual orders saturate (module docstring)
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
    # a kind raised to its minimum of one already has more than its share: no remainder node for it too (at 30
    # nodes memory's 0.9 came out 2 while fab's and packaging's 1.5 came out 1)
    by_remainder = sorted((k for k in raw if raw[k] >= 1), key=lambda k: raw[k] - math.floor(raw[k]), reverse=True)
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


class _Builder:
    """The network as plain data while it is built, stage by stage, down from the labs."""

    def __init__(self, n_nodes: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.ids = {kind: [f"{kind}_{i:04d}" for i in range(c)] for kind, c in _counts(n_nodes).items()}
        self.growth = float(rng.uniform(0.35, 0.6))  # demand and capacity growth per year
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: list[dict[str, Any]] = []
        self.products: dict[str, dict[str, Any]] = {"power": {"kind": "power", "name": "Powered datacentre MW"}}
        self.load: dict[str, float] = defaultdict(float)  # producer -> demand at the start, in its capacity units
        self.skus: list[str] = []
        for kind, names in self.ids.items():
            countries = list(COUNTRIES[kind])
            picks = rng.choice(len(countries), size=len(names), p=list(COUNTRIES[kind].values()))
            for nid, c in zip(names, picks):
                self.nodes[nid] = {"id": nid, "kind": kind, "country": countries[c]}
                if kind in ("fab", "memory", "packaging", "equipment"):
                    self.nodes[nid]["tech_origin"] = ["US"] if rng.random() < 0.9 else [countries[c]]
        self.yields = {n: float(rng.uniform(*YIELDS[k])) for k in YIELDS for n in self.ids[k]}

    def days(self, low: float, high: float) -> float:
        return round(float(self.rng.uniform(low, high)), 1)

    def edge(self, u: str, v: str, product: str, share: float = 1.0, transport: Any = 0.0) -> None:
        self.edges.append({"from": u, "to": v, "product": product, "share": round(float(share), 4), "transport": transport})

    def accelerators(self) -> None:
        """1-3 SKUs per vendor, each with its own logic die and one HBM generation."""
        rng = self.rng
        for v in self.ids["vendor"]:
            for j in range(int(rng.integers(1, 4))):
                sku, h100e = f"{v}_sku{j}", round(float(rng.uniform(0.5, 3.0)), 3)
                self.products[f"{sku}_die"] = {"kind": "logic"}
                self.products[sku] = {
                    "kind": "accelerator", "vendor": v, "h100e": h100e,
                    "power_kw": round(1.0 + 0.5 * h100e * rng.uniform(0.8, 1.2), 3), "tpp": round(15_800 * h100e),
                    "available": (START - dt.timedelta(days=int(rng.integers(0, 730)))).isoformat(),
                    "bom": {
                        "logic": f"{sku}_die", "logic_dies": float(rng.choice([1, 1, 2])),
                        "dies_per_wafer": float(rng.integers(25, 70)),
                        "hbm": HBM_GENERATIONS[int(rng.integers(len(HBM_GENERATIONS)))], "hbm_stacks": float(rng.choice([4, 6, 8])),
                    },
                    "source": SOURCE,
                }
                self.nodes[v].setdefault("skus", []).append(sku)
                self.skus.append(sku)
            self.nodes[v]["cycle_time"] = self.days(*CYCLE_DAYS["vendor"])
        for i, h in enumerate(sorted({self.products[s]["bom"]["hbm"] for s in self.skus})):
            self.products[h] = {"kind": "hbm", "bw_density": 3.3 + i}

    def labs(self) -> dict[str, float]:
        """Fleets, targets, the SKUs each lab buys (every SKU has a buyer), its grids; returns SKU demand."""
        rng, labs = self.rng, self.ids["lab"]
        demand: dict[str, float] = defaultdict(float)  # packages/week
        sku_pick, grid_pick = _Picker(rng, self.skus), _Picker(rng, self.ids["grid"])
        fleets = np.clip(rng.lognormal(np.log(3000), 1.3, size=len(labs)), 100, 500_000)
        buys = {lab: sku_pick.pick(int(rng.integers(1, 4))) for lab in labs}
        while sku_pick.unused:  # more SKUs than lab slots: give each SKU a buyer
            buys[labs[int(rng.integers(len(labs)))]].append(sku_pick.unused.pop())
        for lab, fleet in zip(labs, fleets):
            g = float(np.clip(self.growth + rng.uniform(-0.15, 0.15), 0.05, 2.0))
            rate = fleet * math.log1p(g) / WEEKS_PER_YEAR  # H100e/week the target adds at the start
            units: dict[str, float] = {}
            mw_per_week = 0.0
            for sku, w in zip(buys[lab], _shares(rng, len(buys[lab]))):
                p = self.products[sku]
                demand[sku] += rate * w / p["h100e"]
                units[sku] = round(fleet * w / p["h100e"], 1)
                mw_per_week += rate * w / p["h100e"] * p["power_kw"] / 1000
                lo = self.days(5, 15)
                self.edge(p["vendor"], lab, sku, transport={"dist": "triangular", "low": lo, "mode": lo * 1.5, "high": lo * 3})
            installed_mw = sum(u * self.products[s]["power_kw"] for s, u in units.items()) / 1000
            self.nodes[lab].update({
                "fleet": units, "power_mw": round(installed_mw * 1.2, 3),
                "target_h100e": {"value": round(float(fleet), 1), "growth": round(g, 4), "source": SOURCE},
            })
            grids = grid_pick.pick(int(rng.integers(1, 3)))
            for grid, s in zip(grids, _shares(rng, len(grids))):
                self.edge(grid, lab, "power", s)
                self.load[grid] += mw_per_week * s * WEEKS_PER_YEAR  # MW/year of new connections
        for grid in self.ids["grid"]:
            self.nodes[grid]["makes"] = ["power"]
        return demand

    def components(self, demand: dict[str, float]) -> None:
        """Packagers and fabs per SKU, memory makers per (packager, HBM generation); every producer gets work."""
        rng = self.rng
        pack_pick, fab_pick, mem_pick = (_Picker(rng, self.ids[k]) for k in ("packaging", "fab", "memory"))
        plan = {sku: (pack_pick.pick(int(rng.integers(1, 3))), fab_pick.pick(int(rng.integers(1, 3)))) for sku in self.skus}
        for picker, slot in ((pack_pick, 0), (fab_pick, 1)):
            while picker.unused:  # more producers than SKU slots: add them as second sources
                plan[self.skus[int(rng.integers(len(self.skus)))]][slot].append(picker.unused.pop())
        stacks: dict[tuple[str, str], float] = defaultdict(float)  # (packager, hbm) -> stacks/week
        for sku, (packers, fabs) in plan.items():
            p, bom = self.products[sku], self.products[sku]["bom"]
            fab_shares = _shares(rng, len(fabs))
            for pk, s in zip(packers, _shares(rng, len(packers))):
                packages = demand[sku] * s / self.yields[pk]  # gross packages/week started at pk
                self.load[pk] += packages
                stacks[(pk, bom["hbm"])] += packages * bom["hbm_stacks"]
                self.edge(pk, p["vendor"], sku, s, self.days(1, 5))
                for fab, fs in zip(fabs, fab_shares):
                    self.load[fab] += packages * bom["logic_dies"] * fs / (bom["dies_per_wafer"] * self.yields[fab])
                    self.edge(fab, pk, bom["logic"], fs, self.days(2, 10))
                    _makes(self.nodes[fab], bom["logic"])
        hbm_plan = {key: mem_pick.pick(int(rng.integers(1, 3))) for key in stacks}
        keys = list(hbm_plan)
        while mem_pick.unused:
            hbm_plan[keys[int(rng.integers(len(keys)))]].append(mem_pick.unused.pop())
        for (pk, hbm), mems in hbm_plan.items():
            for mem, ms in zip(mems, _shares(rng, len(mems))):
                self.load[mem] += stacks[(pk, hbm)] * ms / self.yields[mem]
                self.edge(mem, pk, hbm, ms, self.days(2, 10))
                _makes(self.nodes[mem], hbm)

    def tools_and_capacities(self) -> None:
        """Size every producer from its load; fabs, memory and packaging expand with one tool type from 1-2 makers."""
        rng, growth = self.rng, self.growth
        tools = TOOL_TYPES[: min(len(TOOL_TYPES), len(self.ids["equipment"]))]
        makers_of: dict[str, list[str]] = defaultdict(list)
        for i, e in enumerate(self.ids["equipment"]):
            makers_of[tools[i % len(tools)]].append(e)
            self.nodes[e]["makes"] = [tools[i % len(tools)]]
        self.products |= {t: {"kind": "tool"} for t in tools}
        tool_pick = _Picker(rng, self.ids["equipment"])
        for nid in self.ids["fab"] + self.ids["memory"] + self.ids["packaging"]:
            capacity = self.load[nid] / rng.uniform(*UTILISATION)
            first = tool_pick.pick(1)[0]
            tool = self.nodes[first]["makes"][0]
            makers = [first] + [m for m in tool_pick.pick(1, makers_of[tool]) if m != first]
            per_tool = float(f"{capacity / rng.uniform(20, 200):.4g}")
            self.nodes[nid]["expansion"] = {"tool": tool, "capacity_per_tool": per_tool, "installed_tools_at_start": round(capacity / per_tool, 1)}
            for m, s in zip(makers, _shares(rng, len(makers))):
                self.edge(m, nid, tool, s, self.days(7, 30))
                self.load[m] += capacity * growth / per_tool * s  # tools/year for the planned growth
            self._producer(nid, capacity, self.yields[nid])
        for nid in self.ids["equipment"] + self.ids["grid"]:
            self._producer(nid, self.load[nid] / rng.uniform(*UTILISATION), None)

    def _producer(self, nid: str, capacity: float, yield_: float | None) -> None:
        """Capacity (positive, growing with demand), cycle time, yield and allocation rule of a producer."""
        node = self.nodes[nid]
        node["capacity"] = {"value": max(round(capacity, 3), 0.001), "growth": round(self.growth, 4), "source": SOURCE}
        node["cycle_time"] = self.days(*CYCLE_DAYS[node["kind"]])
        if yield_ is not None:
            node["yield"] = round(yield_, 4)
        node["allocation"] = "pro_rata" if self.rng.random() < 0.1 else "fifo"


def _makes(node: dict[str, Any], product: str) -> None:
    made = node.setdefault("makes", [])
    if product not in made:
        made.append(product)


def generate_topology(n_nodes: int, seed: int = 0) -> TopologyModel:
    """A synthetic network of `n_nodes` nodes (at least `MIN_NODES`), the same for the same seed.
    Bad arguments are `InputError`s naming them (the command reads `n_nodes` as `--nodes`)."""
    if isinstance(n_nodes, int) and not isinstance(n_nodes, bool) and n_nodes < MIN_NODES:
        raise InputError(ARGUMENTS, "n_nodes", f"need at least {MIN_NODES} nodes, one of each kind (got {n_nodes})")
    n_nodes, seed = whole("n_nodes", n_nodes, MIN_NODES), whole("seed", seed, 0)
    if n_nodes > MAX_NODES:
        raise InputError(ARGUMENTS, "n_nodes", f"at most {MAX_NODES:,} nodes (got {n_nodes})")
    b = _Builder(n_nodes, np.random.default_rng(seed))
    b.accelerators()
    b.components(b.labs())
    b.tools_and_capacities()
    return TopologyModel.model_validate({
        "name": f"generated-{n_nodes}-{seed}",
        "description": f"Synthetic network of {n_nodes} nodes (seed {seed}); figures are not calibrated.",
        "start": START.isoformat(),
        "products": b.products,
        "nodes": list(b.nodes.values()),
        "edges": b.edges,
        "sources": [SOURCE],
    })
