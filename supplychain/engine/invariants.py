"""Invariants checked at the end of every run; a violation is an error.

Units are conserved (started = finished + WIP at every producer; shipped =
delivered + in transit; delivered accelerators = installed + retired +
waiting at labs), time-average WIP equals throughput x mean time in the
pipeline (Little's law) at every producer, and no order moves backwards in
time (delivered before ordered, started before it joined the book).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .orders import OrderArrays, order_arrays

if TYPE_CHECKING:  # pragma: no cover
    from .orders import Order
    from .world import World

__all__ = ["InvariantError", "check_invariants"]


class InvariantError(RuntimeError):
    """The engine broke one of its own invariants (a bug, not bad input)."""


def _close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-6) -> bool:
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def check_invariants(w: "World", little_tol: float = 0.02, arrays: OrderArrays | None = None) -> dict[str, float]:
    """Raise `InvariantError` on the first broken invariant; the conserved totals otherwise.
    `arrays`: the orders' `order_arrays`, if the caller has them (the tables are built from the
    same): the checks of every order line are numpy passes over them, not a loop over the lines."""
    prod, net = w.production, w.net
    T = float(net.days)
    in_progress_by = prod.in_progress_area(T)
    for n in range(len(net.ids)):
        queued = sum(o.remaining * o.unit_cost for o in prod.books[n])
        if not _close(prod.queued[n], queued, rel=1e-6, abs_=1e-6 * max(1.0, prod.started[n])):
            raise InvariantError(f"order book out of step at {net.ids[n]}: running backlog {prod.queued[n]:.6g} != "
                                 f"open orders {queued:.6g} capacity units")
        if not _close(prod.started[n], prod.finished[n] + prod.wip[n]):
            raise InvariantError(f"units not conserved at {net.ids[n]}: started {prod.started[n]:.6g} != finished "
                                 f"{prod.finished[n]:.6g} + wip {prod.wip[n]:.6g}")
        # Little's law on the production pipeline: L = lambda W, counting chunks still in progress
        in_progress = in_progress_by[n]
        L = prod.wip_area[n] / T
        lam_w = (prod.flow_time[n] + in_progress) / T
        if not _close(L, lam_w, rel=little_tol, abs_=1e-6 * max(1.0, prod.started[n])):
            raise InvariantError(f"Little's law fails at {net.ids[n]}: mean WIP {L:.6g} != throughput x time {lam_w:.6g}")
    if not _close(w.shipped_qty, w.delivered_qty + w.in_transit):
        raise InvariantError(f"shipments not conserved: shipped {w.shipped_qty:.6g} != delivered {w.delivered_qty:.6g} + in transit {w.in_transit:.6g}")
    ba = w.build_ahead  # build-ahead makers: what their lots put in stock is given out or still there
    held = sum(ba.stock.values())
    if not _close(ba.built, ba.given + held) or min(ba.stock.values(), default=0.0) < -1e-6 * max(1.0, ba.built):
        raise InvariantError(f"build-ahead stock not conserved: built {ba.built:.6g} != given {ba.given:.6g} + in stock {held:.6g}")
    labs = w.labs
    total_start = sum(sum(net.node_models[n].fleet.values()) for n in labs.nodes)
    a = arrays if arrays is not None else order_arrays(w.orders)
    # the same floats added in the same order as a sum over the lab orders: the same total
    total_delivered = sum(a["delivered_qty"][a["kind"] == "lab"].tolist())
    total_now = sum(sum(st.installed.values()) + sum(lot[2] for lot in st.waiting) for st in labs.states)
    if not _close(total_start + total_delivered, total_now + labs.retired_units, rel=1e-6, abs_=1e-3):
        raise InvariantError(f"accelerators not conserved at labs: start {total_start:.6g} + delivered {total_delivered:.6g} != "
                             f"installed/waiting {total_now:.6g} + retired {labs.retired_units:.6g}")
    _check_stages(w, a)
    return {"shipped": w.shipped_qty, "delivered": w.delivered_qty, "in_transit": w.in_transit, "checked_nodes": float(len(net.ids))}


def _check_stages(w: "World", a: OrderArrays) -> None:
    """No order line moves backwards in time: delivered before ordered, or two stages it reached
    (ordered, released, entered, started, finished, delivered) out of order, 1e-9 of a day allowed.
    A stage not reached (nan) is skipped: each is compared with the last one reached before it
    (carried forward), which is `_stage_error`'s test of neighbours among the stages reached. A line
    whose last goods were refused at the border was delivered when its last goods arrived, which can
    be before the refused ones were finished: its delivery is compared with the stages before
    `finished`. The first line that fails is named by `_stage_error`, line by line."""
    ordered, finished, delivered = a["ordered"], a["finished"], a["delivered"]
    bad = delivered < ordered - 1e-9  # nan (not delivered) compares False
    last = ordered
    for stage in ("released", "entered", "started"):
        x = a[stage]
        bad |= x < last - 1e-9
        last = np.where(np.isnan(x), last, x)
    bad |= finished < last - 1e-9
    before_delivery = np.where((a["denied_qty"] > 0.0) | np.isnan(finished), last, finished)
    bad |= delivered < before_delivery - 1e-9
    for k in np.flatnonzero(bad).tolist():
        error = _stage_error(w, w.orders[k])
        if error:
            raise InvariantError(error)


def _stage_error(w: "World", o: "Order") -> str:
    """What is wrong with the stage times of order line `o`, or "" (the definition `_check_stages` vectorises)."""
    ids = w.net.ids
    stamps = [o.ordered, o.released, o.entered, o.started, o.finished, o.delivered]
    if o.delivered is not None and o.delivered < o.ordered - 1e-9:
        return f"order {o.id} at {ids[o.supplier]} delivered at day {o.delivered} before it was ordered ({o.ordered})"
    # a line whose last goods were refused at the border was delivered when its last
    # goods arrived, which can be before the refused ones were finished
    chains = (stamps,) if o.denied_qty <= 0.0 else (stamps[:5], stamps[:4] + stamps[5:])
    for chain in chains:
        seq = [s for s in chain if s is not None]
        if any(b < a - 1e-9 for a, b in zip(seq, seq[1:])):
            return f"order {o.id} at {ids[o.supplier]} has stage times out of order: {stamps}"
    return ""
