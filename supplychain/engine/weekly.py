"""Weekly records of node and lab-fleet states, kept as column blocks.

A week is one numpy vector per column over the recorded nodes or labs, not one
tuple per row: a 1,000-node run records ~750 labs x 520 weeks, and building
those rows one by one (with a vector op per lab) was a tenth of its run time.
The long tables are assembled once, at the end.
"""

from __future__ import annotations

import datetime as dt
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .network import PRODUCER_KINDS
from .record import day_dates

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["WeeklyBlocks", "record_week", "NODE_COLUMNS", "FLEET_COLUMNS"]

NODE_COLUMNS = ("day", "node", "kind", "capacity_per_week", "backlog", "wip", "stock", "utilisation", "utilisation_mean",
                "quoted_days", "yield")
FLEET_COLUMNS = ("day", "lab", "installed_h100e", "commissioning_h100e", "stranded_h100e", "on_order_h100e",
                 "target_h100e", "power_mw", "power_used_mw", "training_flops", "effective_training_flops", "generation")


class WeeklyBlocks:
    """Weekly vectors over a fixed set of entities (nodes or labs), one table at the end.

    `labels` are the columns that do not change between weeks (an id, a kind); every
    `add` gives the day and one vector per remaining column, in `columns` order: over the
    entities, or over every node when `index` (the recorded nodes) is given, picked at the end.
    `stocked` columns are quantities recorded as `_stock` gives them, row by row at the end
    (a week's vector, its residues zeroed against its own largest value and, for the columns
    `stocked` maps to True, against that week's `scale`): a week's record is then no gather
    and no check per column, which were a third of its numpy calls on a default run's 20 nodes.
    """

    def __init__(self, columns: tuple[str, ...], labels: dict[str, list[str]], index: np.ndarray | None = None,
                 stocked: dict[str, bool] | None = None) -> None:
        self.columns = columns
        self.index = index  # which entries of a per-node vector are recorded
        self.labels = labels
        self.stocked = stocked or {}
        self.size = len(next(iter(labels.values()))) if labels else 0
        self.days: list[float] = []
        self.scales: list[float] = []
        self.blocks: list[tuple[np.ndarray, ...]] = []
        self.every: np.ndarray | None = None  # with `index`: every node, what `add`'s vectors are over

    def add(self, day: float, *values: np.ndarray, scale: float = 0.0) -> None:
        """A week's vectors, kept as they are: the caller gives arrays that nothing changes later."""
        self.days.append(float(day))
        self.scales.append(scale)
        self.blocks.append(values)

    def frame(self, start: dt.date) -> pd.DataFrame:
        """Rows week by week, entities in order within a week (the order of `labels`)."""
        weeks = len(self.days)
        measured = [c for c in self.columns if c != "day" and c not in self.labels]
        by_column = zip(*self.blocks) if self.blocks else [()] * len(measured)
        data: dict[str, object] = {}
        for c, col in zip(measured, by_column):
            if not col:
                data[c] = np.array([], dtype=float)
                continue
            x = np.concatenate(col).reshape(weeks, len(col[0]))
            if self.index is not None:
                x = x[:, self.index]
            if c in self.stocked:
                x = _stock_rows(x, self.scales if self.stocked[c] else None)
            data[c] = x.ravel()
        data["day"] = np.repeat(np.asarray(self.days, dtype=float), self.size)
        for c, values in self.labels.items():
            data[c] = np.tile(np.asarray(values, dtype=object), weeks)
        df = pd.DataFrame(data, columns=list(self.columns))
        df["date"] = day_dates(start, df["day"])
        return df


def node_blocks(w: "World") -> WeeklyBlocks:
    net = w.net
    rec = [n for n, kind in enumerate(net.kinds) if kind in PRODUCER_KINDS and not net.unlimited[n]]
    blocks = WeeklyBlocks(NODE_COLUMNS, {"node": [net.ids[n] for n in rec], "kind": [net.kinds[n] for n in rec]},
                          np.asarray(rec, dtype=np.int64), dict.fromkeys(("backlog", "wip", "stock"), False))
    blocks.every = np.arange(len(net.ids), dtype=np.int64)  # a week's vectors are over these, `index` picks
    return blocks


def fleet_blocks(w: "World") -> WeeklyBlocks:
    # the lab's peak fleet scales its H100e residues (`_stock`), not its power's
    stocked = {"commissioning_h100e": True, "stranded_h100e": True, "on_order_h100e": True, "power_used_mw": False}
    return WeeklyBlocks(FLEET_COLUMNS, {"lab": [w.net.ids[n] for n in w.labs.nodes]}, None, stocked)


def _stock(x: np.ndarray, scale: float = 0.0) -> np.ndarray:
    """A quantity that cannot be negative, its rounding residue (running sums of float
    additions and removals leave -1e-10 where a stock emptied) recorded as 0; a real
    negative, a bug, still shows. `scale`: the most the stock has held, when it has since
    emptied everywhere (the residue is relative to what passed through, not to what is left)."""
    if len(x) and x.dtype == np.float64 and x.min() >= 0.0:  # nothing negative (nor nan): nothing to zero
        return x.copy()
    tol = 1e-9 * max(1.0, float(np.abs(x).max()), scale) if len(x) else 0.0
    return np.where((x < 0.0) & (x > -tol), 0.0, x)


def _stock_rows(x: np.ndarray, scales: list[float] | None) -> np.ndarray:
    """`_stock` of every row of `x` (weeks x entities), each against its own largest value and
    `scales[week]`: the same tolerance, max(1.0, |row| max, scale) as Python's max takes it (a nan
    row max gives 1.0), and the same zeroing (the shortcut of a row with nothing negative keeps it
    as it is, as this does)."""
    if not x.size:
        return x
    m = np.abs(x).max(axis=1)
    m = np.where(m > 1.0, m, 1.0)
    if scales is not None:
        s = np.asarray(scales, dtype=float)
        m = np.where(s > m, s, m)
    return np.where((x < 0.0) & (x > -(1e-9 * m)[:, None]), 0.0, x)


_WAITING, _PEAK, _ON_ORDER = attrgetter("waiting_h100e"), attrgetter("peak_h100e"), attrgetter("on_order_h100e")
_POWER, _USED = attrgetter("power_mw"), attrgetter("used_mw")


def record_week(w: "World", day: int) -> None:
    """This week's node states, fleet states and quoted lead times."""
    net, prod, labs = w.net, w.production, w.labs
    cap = prod.capacity(day)
    backlog = prod.backlog_vector(day)
    book = w.quote_book
    refused = w.controls.refused_flows(float(day)) if w.controls.rules else None  # what a new order skips
    node_q, at = book.plan.evaluate(w, day, cap, backlog, refused)
    d = min(day, net.days - 1)
    with np.errstate(invalid="ignore", divide="ignore"):  # over every node: the blocks pick the recorded ones
        util = np.where(cap > 0, np.asarray(prod.used_today) / np.where(cap > 0, cap, 1.0), np.nan)
    w.node_rows.add(day, cap * 7.0, backlog, np.array(prod.wip), w.build_ahead.held(w.node_rows.every), util,
                    prod.utilisation_since(), node_q,
                    net.yields[:, d])  # a yield shock shows here, as a capacity shock does in capacity_per_week
    stranded = labs.stranded_all(day)
    states = labs.states
    # each field of 750 labs at 1,000 nodes: `map` of an attrgetter, no generator resumed per lab
    waiting = np.fromiter(map(_WAITING, states), float, len(states))
    training = labs.training
    peak = max(map(_PEAK, states), default=0.0)  # what passed through: the residues' scale
    installed = _stock(labs.h100e, peak)
    train = training.flops_per_second(installed)  # of the fleet the row reports: a residue of -1e-11 H100e is none
    with np.errstate(over="ignore", invalid="ignore"):  # compounding gains past a float: inf
        effective = train * training.efficiency(day)
    on_order = np.fromiter(map(_ON_ORDER, states), float, len(states))
    w.fleet_rows.add(day, installed, waiting - stranded, stranded.copy(), on_order, labs.target_now(day),
                     np.fromiter(map(_POWER, states), float, len(states)),
                     np.fromiter(map(_USED, states), float, len(states)),
                     train, effective, training.gen.copy(), scale=peak)
    row = at[book.key_of] + book.expected * net.flow_mult[:, d]
    book.latest = row.copy()  # every flow, orderable or not: what a lab's orders still in the chain face
    w.sourcing.update(book.latest, refused)  # buyers move toward this week's short queues (off: no change)
    book.shares.append(w.sourcing.shares_row(day, refused))
    row[~book.live[:, d]] = np.nan  # a lab's SKU it does not buy that day
    book.days.append(float(day))
    book.rows.append(row)
