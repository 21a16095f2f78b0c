"""Shared builders for small topologies written inline (textbook systems)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from supplychain.schema import TopologyModel
from supplychain.topology import parse_topology

ROOT = Path(__file__).resolve().parents[1]

# Hypothesis fails an example that takes over 200 ms by default: a wall-clock limit, which a loaded
# shared machine breaks. Speed is measured in benchmarks/, so no property test has a deadline.
settings.register_profile("shared-machine", deadline=None)
settings.load_profile("shared-machine")


def topo(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], products: dict[str, Any] | None = None) -> TopologyModel:
    products = products or {"widget": {"kind": "item"}}
    return parse_topology({"name": "test", "products": products, "nodes": nodes, "edges": edges})


def kit_point(b_per_unit: float = 1, **b_source: Any) -> TopologyModel:
    """sa (US) and sb (CN, with `b_source`'s fields) feed a make-to-order point `asm` assembling ab from one a and
    `b_per_unit` b (cycle 1 day, transport 2 days); `cust` demands 10 ab a day, 300 every 30 days."""
    return topo(
        [{"id": "sa", "kind": "source", "makes": ["a"], "country": "US"},
         {"id": "sb", "kind": "source", "makes": ["b"], "country": "CN", **b_source},
         {"id": "asm", "kind": "stock", "item": "ab", "policy": "make_to_order", "bom": {"a": 1, "b": b_per_unit},
          "cycle_time": 1},
         {"id": "cust", "kind": "demand", "item": "ab", "demand": {"mode": "fixed", "rate": 10, "period_days": 30}}],
        [{"from": "sa", "to": "asm", "product": "a", "transport": 2},
         {"from": "sb", "to": "asm", "product": "b", "transport": 2},
         {"from": "asm", "to": "cust", "product": "ab"}],
        {"a": {"kind": "item"}, "b": {"kind": "item"}, "ab": {"kind": "item"}})


def serial_chain(capacity_per_week: float | None, cycle: float, transport_in: float, transport_out: float,
                 demand_rate: float, mode: str = "fixed", policy: str = "make_to_order", base_stock: float = 0.0) -> TopologyModel:
    """source (capacity, cycle) -> stock (policy) -> demand."""
    src: dict[str, Any] = {"id": "src", "kind": "source", "makes": ["widget"], "cycle_time": cycle}
    if capacity_per_week is not None:
        src["capacity"] = capacity_per_week
    return topo(
        [
            src,
            {"id": "depot", "kind": "stock", "item": "widget", "policy": policy, "base_stock": base_stock},
            {"id": "cust", "kind": "demand", "item": "widget", "demand": {"mode": mode, "rate": demand_rate, "size": 1}},
        ],
        [
            {"from": "src", "to": "depot", "product": "widget", "transport": transport_in},
            {"from": "depot", "to": "cust", "product": "widget", "transport": transport_out},
        ],
    )


@pytest.fixture
def minimal_path() -> Path:
    return ROOT / "topology" / "minimal.yaml"


def write(folder: Path, name: str, text: str) -> Path:
    """Write `text` (dedented) to `folder/name`, making folders; the path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def two_customers(allocation: str, priority: dict | None = None, capacity: float = 14.0, rates=(3.0, 1.0), ids=("a", "b"),
                  period: float = 1.0):
    """src (2-day cycle, `capacity` a week, under `allocation`) -> customers asking `rates` a day, a line every `period` days."""
    src = {"id": "src", "kind": "source", "makes": ["widget"], "cycle_time": 2, "capacity": capacity, "allocation": allocation}
    if priority:
        src["priority"] = priority
    nodes = [src] + [{"id": c, "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": q, "period_days": period}}
                     for c, q in zip(ids, rates)]
    edges = [{"from": "src", "to": c, "product": "widget", "transport": 1} for c in ids]
    return topo(nodes, edges)


@pytest.fixture
def pro_rata_by_order():
    """The built-in `pro_rata` rule function under another name, as a user's rule handing the day to it would be:
    a node naming it runs the rule order by order in every world (only `pro_rata` itself goes through a ShareBook)."""
    from supplychain.engine.allocation import ALLOCATION_RULES, register_allocation

    rule = ALLOCATION_RULES["pro_rata"]
    register_allocation("pro_rata_by_order")(lambda book, budget, y: rule(book, budget, y))
    try:
        yield
    finally:
        del ALLOCATION_RULES["pro_rata_by_order"]
