"""Every order line's delay cause at once: `pick(segments(o))` of `causes`, vectorised.

A 1,000-node, 10-year run has most of a million lines; one `_segments` list per line
was most of the tables' build. Lines fall in three shapes, each done as numpy columns:
plain lines (components, tools, power: a licence wait, a queue, a production step, a
transport leg), kits (which inherit the segments of the input that came last) and lab
orders (which inherit their lot's). Lines of stock points and build-ahead makers, lines whose
goods were held at the border for a licence (`World.border_holds`, a few per run), and kits
whose last input inherits further up or was held, go one by one through the definition.
Tests compare every line of controlled and shocked runs with `pick(segments(w, o))`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from .causes import HELD, MIN_WAIT_DAYS, _Context, _decide, _licence, _lot_longest, _segments, _slowest_input, pick
from .orders import Order, OrderArrays, all_installed, order_arrays

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["delay_causes"]

_CHUNK = 1 << 15  # order lines per numpy pass of `_simple_causes` and `_lab_causes`


def delay_causes(w: "World", arrays: OrderArrays | None = None) -> list[str | None]:
    """The cause of every order line, in order: `pick` of its segments. Kits, which inherit the
    segments of the input that came last, lab orders, which inherit their kit's, and every other
    line (components, tools, power: most of a run) are picked for all of them at once with numpy
    (`_kit_causes`, `_lab_causes`, `_simple_causes`); the lines of stock points and build-ahead
    makers, and those held at the border, go one by one through `_segments`, the definition.
    `arrays`: the orders' `order_arrays`, if the caller has them already."""
    a = arrays if arrays is not None else order_arrays(w.orders)
    orders = w.orders
    causes: list[str | None] = [None] * len(orders)
    cx = _Context(w)
    kind = a["kind"]
    denied = a["status"] == "denied"
    held = np.isin(a["id"], _held_ids(cx))
    lab = (kind == "lab") & ~denied & ~held
    stocked = np.isin(a["supplier"], cx.one_by_one_makers)
    kits = ~denied & (kind == "assembly") & ~stocked & ~held
    one_by_one = ~denied & ~lab & ~kits & ((kind == "assembly") | stocked | held)
    for k in np.flatnonzero(denied).tolist():
        rule = a["rule"][k]
        causes[k] = f"denied:{rule}" if rule else "denied"
    for k in np.flatnonzero(one_by_one).tolist():
        o = orders[k]  # a kit's segments are kept: its lab orders inherit them
        causes[k] = _decide(_lot_longest(cx, o)) if o.kind == "assembly" else pick(_segments(cx, o))
    for rows, pick_rows in ((np.flatnonzero(~denied & ~lab & ~kits & ~one_by_one), _simple_causes),
                            (np.flatnonzero(kits), _kit_causes),  # before the lab orders that inherit them
                            (np.flatnonzero(lab), _lab_causes)):
        for first in range(0, len(rows), _CHUNK):  # in chunks: a few MB of arrays at a time, not ~100 MB
            part = rows[first:first + _CHUNK]
            for k, cause in zip(part.tolist(), pick_rows(cx, part, a)):
                causes[k] = cause
    return causes


def _held_ids(cx: _Context) -> np.ndarray:
    """The ids of the order lines whose goods were held at the border for a licence (a few per run)."""
    return np.fromiter(cx.border, np.int64, len(cx.border))


def _rule_wait(cx: _Context, rows: np.ndarray, a: OrderArrays, ordered: np.ndarray, released: np.ndarray) -> np.ndarray:
    """The licence or quota wait of the lines at `rows` (absent: -inf): from ordered to released, or to the end
    of the run for a line a rule still held then (`HELD`), as `_segments`. Call under errstate(invalid="ignore")."""
    held = np.isnan(released) & np.isin(a["status"][rows], HELD)
    return np.where(released > ordered, released - ordered, np.where(held, cx.end - ordered, -np.inf))


def _pick_columns(waits: list[np.ndarray], steps: list[np.ndarray]) -> np.ndarray:
    """`pick` row by row over segments laid out as columns in their order (an absent one is
    -inf): `waits` the wait segments, `steps` every segment. The index into `waits` of the
    first longest wait if it lasted a week or more, else `len(waits)` + the index into `steps`
    of the first longest segment if longer than nothing, else -1."""
    n = len(waits[0])
    w, s = np.stack(waits, axis=1), np.stack(steps, axis=1)
    wait_at, step_at = w.argmax(axis=1), s.argmax(axis=1)  # the first of equals, as pick's scan
    use_wait = w[np.arange(n), wait_at] >= MIN_WAIT_DAYS
    use_step = ~use_wait & (s[np.arange(n), step_at] > 0)
    return np.where(use_wait, wait_at, np.where(use_step, len(waits) + step_at, -1))


def _cycle_times(cx: _Context, sup: np.ndarray, day: np.ndarray) -> np.ndarray:
    """`_Context.ct` of many (node, day) pairs: day numbers past the run's last day read it."""
    day = np.minimum(day, cx.net.days - 1).astype(np.int64)  # int() of a non-negative day truncates: floor
    return cx.net.cycle[sup, day] * cx.net.ct_mult[sup, day]


def _simple_segments(cx: _Context, rows: np.ndarray, a: OrderArrays) -> list[np.ndarray]:
    """`_segments` of the orders at `rows` that are neither lab orders nor kits nor the lines of
    stock points and build-ahead makers, as columns in their order (absent: -inf): licence or
    quota wait (if released after ordered), queue and production (if it entered production),
    transport (if delivered)."""
    ordered, released, entered, started, finished, shipped, delivered = (
        a[t][rows] for t in ("ordered", "released", "entered", "started", "finished", "shipped", "delivered"))
    in_prod = ~np.isnan(entered)
    ct = _cycle_times(cx, a["supplier"][rows], np.where(in_prod, np.where(np.isnan(started), entered, started), 0))
    done = np.where(np.isnan(finished), cx.end + ct, finished)
    neg = -np.inf
    with np.errstate(invalid="ignore"):
        licence = _rule_wait(cx, rows, a, ordered, released)
        queue = np.where(in_prod, np.maximum(0.0, done - entered - ct), neg)
        production = np.where(in_prod, ct, neg)
        # from when the last goods left: a line shipped in parts, when it finished (`causes._segments`)
        transport = np.where(~np.isnan(delivered) & ~np.isnan(shipped), delivered - np.fmax(shipped, finished), neg)
    return [licence, queue, production, transport]


def _simple_label(cx: _Context, segment: int, rule: str, sup: int, cust: int) -> str:
    """The label of segment `segment` (0-3, as `_simple_segments`) of a line with this rule,
    supplier and customer."""
    if segment == 0:
        return _licence(rule)
    if segment == 1:
        return cx.queue[sup]
    return cx.production[sup] if segment == 2 else cx.transport(sup, cust)


def _simple_causes(cx: _Context, rows: np.ndarray, a: OrderArrays) -> list[str | None]:
    """`pick(_segments(o))` for the orders at `rows` that are neither lab orders nor kits,
    vectorised (`_simple_segments`)."""
    licence, queue, production, transport = _simple_segments(cx, rows, a)
    which = _pick_columns([licence, queue], [licence, queue, production, transport])
    out: list[str | None] = [None] * len(rows)
    at = np.flatnonzero(which >= 0)
    for j, col, rule, s, c in zip(at.tolist(), which[at].tolist(), a["rule"][rows[at]], a["supplier"][rows[at]].tolist(),
                                  a["customer"][rows[at]].tolist()):
        out[j] = _simple_label(cx, col if col < 2 else col - 2, rule, s, c)  # waits (licence, queue), then steps
    return out


def _kit_causes(cx: _Context, rows: np.ndarray, a: OrderArrays) -> list[str | None]:
    """`pick(_segments(o))` for the kits at `rows` (not at a build-ahead maker), vectorised where
    the input that came last is a plain line (`_simple_segments`; not held at the border), else
    one by one; each kit's `_longest` is kept for the lab orders that inherit it. A kit's segments, in order: licence
    wait; if its kit completed after release, the segments of the input that came last and the
    rest of the wait for inputs (or `component:?` if none came); if still waiting for inputs,
    that wait; else its queue and production; transport."""
    orders, end, neg = cx.w.orders, cx.end, -np.inf
    kits = [orders[k] for k in rows.tolist()]
    n = len(kits)
    ordered, released, entered, kitted, started, finished, shipped, delivered = (
        a[t][rows] for t in ("ordered", "released", "entered", "kitted", "started", "finished", "shipped", "delivered"))
    sup = a["supplier"][rows]
    inputs = np.fromiter((o.inputs is not None for o in kits), bool, n)
    crit = _last_child(kits, lambda kid: a["delivered"][kid])  # the input that came last
    has = crit >= 0
    plain = (~np.isin(a["kind"][crit], ("lab", "assembly")) & ~np.isin(a["supplier"][crit], cx.one_by_one_makers)
             & ~np.isin(crit, _held_ids(cx)))
    kit_done = np.where(np.isnan(released), entered, np.where(~np.isnan(kitted), kitted, np.where(inputs, finished, entered)))
    with np.errstate(invalid="ignore"):
        waited = ~np.isnan(released) & (kit_done > released)  # (a nan kit_done compares false)
        by_one = waited & has & ~plain  # the last input inherits from further up: one by one
        inner = _simple_segments(cx, crit, a)  # (-1, no input delivered, reads the last line: masked)
        total = np.zeros(n)
        for seg in inner:  # as sum(): left to right from 0
            total = total + np.where(seg > neg, seg, 0.0)
        inner_wait_at = np.stack(inner[:2], axis=1).argmax(axis=1)
        inner_step_at = np.stack(inner, axis=1).argmax(axis=1)
        inner_wait = np.where(waited & has, np.choose(inner_wait_at, inner[:2]), neg)
        inner_step = np.where(waited & has, np.choose(inner_step_at, inner), neg)
        rest = (kit_done - released) - total
        rest = np.where(waited & has & (rest > 0), rest, neg)
        unknown = np.where(waited & ~has, kit_done - released, neg)
        slowest = np.where(np.isnan(kit_done) & inputs & ~np.isnan(released), end - released, neg)
        producing = ~(slowest > neg) & ~np.isnan(entered)
        ct = _cycle_times(cx, sup, np.where(producing, np.where(np.isnan(started), entered, started), 0))
        done = np.where(np.isnan(finished), end + ct, finished)
        start = np.maximum(np.where(np.isnan(kit_done), 0.0, kit_done), entered)
        queue = np.where(producing, np.maximum(0.0, done - start - ct), neg)
        production = np.where(producing, ct, neg)
        licence = _rule_wait(cx, rows, a, ordered, released)
        transport = np.where(~np.isnan(delivered) & ~np.isnan(shipped), delivered - np.fmax(shipped, finished), neg)
    waits = np.stack([licence, inner_wait, rest, unknown, slowest, queue], axis=1)
    steps = np.stack([licence, inner_step, rest, unknown, slowest, queue, production, transport], axis=1)
    wait_at, step_at = waits.argmax(axis=1), steps.argmax(axis=1)  # the first of equals
    wait_d, step_d = waits[np.arange(n), wait_at], steps[np.arange(n), step_at]

    def label(j: int, col: int, wait: bool) -> str:
        o = kits[j]
        if col == 0:
            return _licence(o.rule)
        if col == 1:
            k = int(crit[j])
            return _simple_label(cx, int(inner_wait_at[j] if wait else inner_step_at[j]), a["rule"][k], int(a["supplier"][k]),
                                 int(a["customer"][k]))
        if col == 2:
            return cx.component[int(a["supplier"][crit[j]])]
        if col == 3:
            return "component:?"
        if col == 4:
            return f"component:{_slowest_input(cx.w, o)}"
        if col == 5:
            return cx.queue[o.supplier]
        return cx.production[o.supplier] if col == 6 else cx.transport(o.supplier, o.customer)

    out: list[str | None] = [None] * n
    for j, o in enumerate(kits):
        if by_one[j]:
            out[j] = _decide(_lot_longest(cx, o))
            continue
        wait = None if wait_d[j] == neg else (label(j, int(wait_at[j]), True), float(wait_d[j]))
        if wait is not None and step_d[j] == wait_d[j] and step_at[j] == wait_at[j] != 1:
            step = wait  # the same segment (a kit's longest wait for inputs: its slowest input named once)
        else:
            step = None if step_d[j] == neg else (label(j, int(step_at[j]), False), float(step_d[j]))
        cx.longest[o.id] = (wait, step)
        out[j] = _decide((wait, step))
    return out


def _last_child(parents: list[Order], key: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """For each of `parents`, the row of its child with the greatest `key` (of children's rows;
    nan leaves a child out), the first of equals as max() picks; -1 for none (ids are rows)."""
    children = [o.children for o in parents]
    last = np.full(len(parents), -1, dtype=np.int64)
    par = np.repeat(np.arange(len(parents)), np.fromiter(map(len, children), np.int64, len(parents)))
    kid = np.array([c.id for cs in children for c in cs], dtype=np.int64)
    value = key(kid)
    keep = ~np.isnan(value)
    par, kid, value = par[keep], kid[keep], value[keep]
    if not len(par):
        return last
    starts = np.flatnonzero(np.r_[True, par[1:] != par[:-1]])  # children come parent by parent
    top = np.maximum.reduceat(value, starts)
    tops = np.flatnonzero(value == np.repeat(top, np.diff(np.r_[starts, len(value)])))
    last[par[starts]] = kid[tops[np.searchsorted(tops, starts)]]  # the first top of each parent
    return last


def _critical_lots(cx: _Context, rows: np.ndarray, a: OrderArrays) -> np.ndarray:
    """For the lab orders at `rows`, the row of the lot each waited for: its live (not denied)
    child delivered last, still open ones counting as delivered at the end of the run; -1 for
    an order without one."""
    def key(kid: np.ndarray) -> np.ndarray:
        done = a["delivered"][kid]
        return np.where(a["status"][kid] == "denied", np.nan, np.where(np.isnan(done), cx.end, done))

    return _last_child([cx.w.orders[k] for k in rows.tolist()], key)


def _lab_causes(cx: _Context, rows: np.ndarray, a: OrderArrays) -> list[str | None]:
    """`pick(_segments(o))` for the lab orders at `rows`, vectorised. Their segments, in order:
    licence wait; the segments of the lot they waited for (`_critical_lots`, unless it was
    there when they were ordered) and the transport from it, or, filled from the vendor's stock,
    a queue, the vendor's step and the transport, or, with no lot yet, the vendor's oldest open
    lot's (`_Context.open_lot`), else the queue at the vendor to the end of the run; the wait for power. The lot's segments enter
    as their first longest wait and step (`_longest`, one per lot): all `pick` reads of them."""
    ordered, released, shipped, delivered = (a[t][rows] for t in ("ordered", "released", "shipped", "delivered"))
    sup, cust, delivered_qty = a["supplier"][rows], a["customer"][rows], a["delivered_qty"][rows]
    n, neg, end = len(rows), -np.inf, cx.end
    crit = _critical_lots(cx, rows, a)
    for j in np.flatnonzero((crit < 0) & ~np.isnan(released) & np.isnan(delivered) & np.isnan(shipped)).tolist():
        lot = cx.open_lot(int(sup[j]), a["product"][rows[j]])  # no lot has reached it: the vendor's oldest open one
        if lot is not None:
            crit[j] = lot.id
    has = crit >= 0
    crit_done = np.where(has, a["delivered"][crit], np.nan)  # (-1 reads the last line: masked)
    with np.errstate(invalid="ignore"):
        licence = _rule_wait(cx, rows, a, ordered, released)
        inherit = has & (np.isnan(crit_done) | (crit_done > ordered))  # not simply filled from stock
        lots, lot_of = np.unique(crit[inherit], return_inverse=True)
        longest = [_lot_longest(cx, cx.w.orders[r]) for r in lots.tolist()]
        lot = np.full(n, -1, dtype=np.int64)
        lot[inherit] = lot_of
        # a line inheriting nothing (lot -1) reads the -inf appended last
        lot_wait = np.array([neg if wt is None else wt[1] for wt, _ in longest] + [neg])[lot]
        lot_step = np.array([neg if st is None else st[1] for _, st in longest] + [neg])[lot]
        # filled from the vendor's stock (goods another buyer could not take)
        stock = ~has & ~np.isnan(shipped) & ~np.isnan(released)
        ct = _cycle_times(cx, sup, np.where(stock, released, 0))
        queue = np.where(stock, np.maximum(0.0, shipped - released - ct), neg)
        # no lot has come to it yet, and the vendor has none open: waiting in its queue to the end of the run
        unfilled = ~has & ~stock & ~np.isnan(released) & np.isnan(delivered)
        queue = np.where(unfilled, end - released, queue)
        production = np.where(stock, ct, neg)
        transport = np.where(has & ~np.isnan(delivered) & ~np.isnan(crit_done), np.maximum(0.0, delivered - crit_done),
                             np.where(stock & ~np.isnan(delivered), delivered - shipped, neg))
        # power: from the last unit's commissioning until the last was installed (or the end)
        installed = all_installed(a, rows)
        power = np.where(np.isnan(installed), end, installed) - (delivered + cx.commissioning_days[cust])
        power = np.where(~np.isnan(delivered) & (delivered_qty > 0.0) & (power > 1.0), power, neg)
    which = _pick_columns([licence, lot_wait, queue, power], [licence, lot_step, queue, production, transport, power])
    out: list[str | None] = [None] * n
    at = np.flatnonzero(which >= 0)
    for j, col, rule, s, c, i in zip(at.tolist(), which[at].tolist(), a["rule"][rows[at]], sup[at].tolist(),
                                     cust[at].tolist(), lot[at].tolist()):
        if col in (0, 4):
            out[j] = _licence(rule)
        elif col == 1:
            out[j] = longest[i][0][0]  # type: ignore[index]  # chosen, so there is one
        elif col == 5:
            out[j] = longest[i][1][0]  # type: ignore[index]
        elif col in (2, 6):
            out[j] = cx.queue[s]
        elif col == 7:
            out[j] = cx.production[s]
        elif col == 8:
            out[j] = cx.transport(s, c)
        else:
            out[j] = cx.power[c]
    return out
