"""Order lines: lots of goods with a timestamp per stage.

An order is plain data (a slotted dataclass), never a SimPy process: stages
advance by callbacks and by the daily production step, which keeps kernel
events few (docs/model.md section 1). Every order ends in the `orders` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np

__all__ = ["Order", "order_columns"]

# Order kinds: lab: lab -> vendor; assembly: vendor -> packaging kit; component: die/HBM to packaging;
# tool: equipment -> producer; power: grid -> lab; replenish/demand: generic kernel;
# build: a build-ahead maker's lot for its own stock.


@dataclass(slots=True, eq=False)
class Order:
    id: int
    kind: str
    product: str
    qty: float
    supplier: int
    customer: int
    ordered: float
    lab: int = -1
    parent: "Order | None" = None
    unit_cost: float = 1.0  # capacity units per good unit before yield
    tier: int = 0
    flow: int = -1  # edge index the goods travel on
    released: float | None = None  # passed the export-control check
    entered: float | None = None  # joined the supplier's order book (kit complete for assembly)
    started: float | None = None  # first production start
    finished: float | None = None  # last unit finished production
    shipped: float | None = None
    delivered: float | None = None  # the delivery that completed it (all its goods arrived or were refused)
    arrived: float | None = None  # its latest delivery so far
    installed: float | None = None  # a lab's accelerators: when the last of its units was installed (powered)
    installed_qty: float = 0.0  # a lab's accelerators: units installed
    remaining: float = 0.0  # good units not yet started
    made: float = 0.0  # good units finished
    delivered_qty: float = 0.0
    shipped_qty: float = 0.0
    held_qty: float = 0.0  # made, but refused at the border: stays with the supplier
    ready_qty: float = float("inf")  # units allowed to start (a kit: what its arrived inputs cover)
    kitted: float | None = None  # a kit: when its last input arrived
    inputs: dict[str, list[float]] | None = None  # a kit: product -> [needed, arrived]
    in_book: bool = False  # a kit waiting for inputs is parked outside its supplier's book
    denied_qty: float = 0.0
    status: str = "open"  # open | licence | waiting | book | shipped | delivered | denied
    rule: str = ""  # rule that delayed or denied it
    licence: str = ""  # rule under which a licence was granted (cleared again at shipment)
    pending: int = 0  # children not yet delivered (assembly kits, lab orders)
    children: "list[Order] | tuple[()]" = ()  # a shared empty tuple until the first child: most orders have none
    note: str = ""
    rules: list | None = None  # export-control rules whose scope covers it (looked up once: scope is static)


ORDER_COLUMNS = (
    "order_id",
    "kind",
    "product",
    "qty",
    "supplier",
    "customer",
    "lab",
    "parent_id",
    "ordered",
    "released",
    "entered",
    "kitted",
    "started",
    "finished",
    "shipped",
    "delivered",
    "installed",
    "delivered_qty",
    "denied_qty",
    "status",
    "rule",
)


_TIMES = ("ordered", "released", "entered", "kitted", "started", "finished", "shipped", "delivered")


def order_columns(orders: list[Order], ids: list[str]) -> dict[str, Any]:
    """The `orders` table column by column (the same frame as one `row` per order, without
    a tuple per order: a 1,000-node run has most of a million lines)."""
    nan = float("nan")

    def num(attr: str) -> np.ndarray:  # a stage not reached (None) is nan
        return np.fromiter((nan if x is None else x for x in map(attrgetter(attr), orders)), float, len(orders))

    cols: dict[str, Any] = {
        "order_id": np.array(list(map(attrgetter("id"), orders)), dtype=np.int64).reshape(len(orders)),
        "kind": list(map(attrgetter("kind"), orders)),
        "product": list(map(attrgetter("product"), orders)),
        "qty": num("qty"),
        "supplier": [ids[o.supplier] for o in orders],
        "customer": [ids[o.customer] for o in orders],
        "lab": [ids[o.lab] if o.lab >= 0 else None for o in orders],
        "parent_id": np.fromiter((nan if o.parent is None else o.parent.id for o in orders), dtype=float, count=len(orders)),
    }
    for t in _TIMES:
        cols[t] = num(t)
    # a lab's accelerators: the day the last delivered unit was installed, if every one was
    cols["installed"] = np.fromiter((o.installed if o.installed is not None and o.delivered_qty > 0.0 and
                                     o.installed_qty >= o.delivered_qty * (1 - 1e-9) else nan for o in orders),
                                    float, len(orders))
    cols["delivered_qty"] = num("delivered_qty")
    cols["denied_qty"] = num("denied_qty")
    cols["status"] = list(map(attrgetter("status"), orders))
    cols["rule"] = [o.rule or None for o in orders]  # no rule is null, as in the other text columns
    assert tuple(cols) == ORDER_COLUMNS
    return cols
