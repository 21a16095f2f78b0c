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
import pandas as pd

__all__ = ["Order", "OrderArrays", "order_arrays", "order_columns", "all_installed"]

# Order kinds: lab: lab -> vendor; assembly: vendor -> packaging kit (or a stock point's own kit);
# component: die/HBM to packaging; tool: equipment -> producer; power: grid -> lab; replenish/demand:
# generic kernel; build: a build-ahead maker's lot for its own stock.


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
    flow: int = -1  # edge index the goods travel on (tenth field: `World._new` passes it by position)
    unit_cost: float = 1.0  # capacity units per good unit before yield
    tier: int = 0
    released: float | None = None  # passed the export-control check
    entered: float | None = None  # joined the supplier's order book (a kit: once each input has partly arrived; `kitted`: all)
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
    kitted: float | None = None  # a kit: when its last input arrived (refused in part: the last its units left need)
    inputs: dict[str, list[float]] | None = None  # a kit: product -> [still needed, arrived, first needed, refused]
    in_book: bool = False  # a kit waiting for inputs is parked outside its supplier's book
    denied_qty: float = 0.0
    status: str = "open"  # open | licence | waiting | book | shipped | delivered | denied
    rule: str = ""  # rule that delayed or denied it
    licence: tuple[str, ...] = ()  # rules under which licences were granted (cleared again at shipment)
    pending: int = 0  # children not yet delivered (assembly kits, lab orders)
    children: "list[Order] | tuple[()]" = ()  # a shared empty tuple until the first child: most orders have none
    note: str = ""
    rules: "list | tuple[()] | None" = None  # export-control rules whose scope covers it (looked up once: scope is static)
    made_at: float | None = None  # an unfinished line's: when its latest good units finished production


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
_NUMBERS = ("qty", *_TIMES, "installed", "installed_qty", "delivered_qty", "denied_qty")
_CODES = ("id", "supplier", "customer", "lab", "flow")
_TEXTS = ("kind", "product", "status", "rule", "note")

OrderArrays = dict[str, np.ndarray]
_DTYPES = {**{a: np.dtype(np.float64) for a in _NUMBERS}, **{a: np.dtype(np.int64) for a in _CODES}}


def order_arrays(orders: list[Order]) -> OrderArrays:
    """The fields of every order the tables compute with, one numpy array per `Order` attribute,
    read once: `order_columns`, the delay causes and the realised lead times all work from
    these (a 1,000-node run has most of a million lines, and each read of a field of each
    costs: the floats are objects all over the heap). Numbers are float64 with nan for a stage
    not reached (None), node and flow indices int64, `parent` the parent's id (nan for none),
    text object arrays. Each number column is one `fromiter` over the orders (None -> nan): a
    quarter faster than one tuple per order into a record array, whose conversion field by
    field costs more than the reads."""
    n = len(orders)
    out: OrderArrays = {a: np.fromiter(map(attrgetter(a), orders), dtype, n) for a, dtype in _DTYPES.items()}
    out["parent"] = np.array([None if p is None else p.id for p in map(attrgetter("parent"), orders)],
                             dtype=float).reshape(n)
    for a in _TEXTS:
        out[a] = np.array(list(map(attrgetter(a), orders)), dtype=object).reshape(n)
    return out


def all_installed(a: OrderArrays, rows: "np.ndarray | slice" = slice(None)) -> np.ndarray:
    """A lab's accelerators: the day the last delivered unit was installed, if every one was
    (nan otherwise), of the orders at `rows`: the `installed` column, and where a wait for
    power ends."""
    delivered_qty = a["delivered_qty"][rows]
    with np.errstate(invalid="ignore"):
        every = (delivered_qty > 0.0) & (a["installed_qty"][rows] >= delivered_qty * (1 - 1e-9))
    return np.where(every, a["installed"][rows], np.nan)


def order_columns(a: OrderArrays, ids: list[str]) -> dict[str, Any]:
    """The `orders` table column by column, from `order_arrays`, without a tuple per order. Node
    names are made text once and taken by index."""
    names = pd.array(ids, dtype="str")
    cols: dict[str, Any] = {
        "order_id": a["id"],
        "kind": a["kind"],
        "product": a["product"],
        "qty": a["qty"],
        "supplier": names.take(a["supplier"]),
        "customer": names.take(a["customer"]),
        "lab": names.take(a["lab"], allow_fill=True),  # -1 (no lab) is null
        "parent_id": a["parent"],
    }
    for t in _TIMES:
        cols[t] = a[t]
    cols["installed"] = all_installed(a)
    cols["delivered_qty"] = a["delivered_qty"]
    cols["denied_qty"] = a["denied_qty"]
    cols["status"] = a["status"]
    rule = a["rule"]
    cols["rule"] = np.where(rule == "", None, rule)  # no rule is null, as in the other text columns
    assert tuple(cols) == ORDER_COLUMNS
    return cols
