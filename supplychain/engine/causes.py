"""Delay causes: which wait dominated each order line.

An order's lead time splits into segments: licence review (`licence:<rule>`),
waiting for a missing BOM input (`component:<supplier>`, the input that came
last), queueing for capacity (`queue:<node>`), production (`production:<node>`)
and transport (`transport:<from>-><to>`). A lab's order also inherits the
segments of the packaging lot that arrived last, and ends with its accelerators'
wait for powered capacity once commissioned (`power:<lab>`). The label of the longest
wait (queue, licence, missing input, power) of a week or more is the order's cause, else
the longest step (in calm times, the slowest production step): that is what lets a
report say what throttled a generation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from .orders import Order, OrderArrays, all_installed, order_arrays

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["delay_causes", "segments"]

Segments = list[tuple[str, float]]
Longest = tuple[tuple[str, float] | None, tuple[str, float] | None]  # see `_longest`


class _Context:
    """What every order's segments read: the world, the end of the run, and labels and cycle
    times cached per node, pair and day (a 1,000-node run has most of a million lines, and
    formatting the same label or reading the same cycle time for each was most of the work)."""

    def __init__(self, w: "World") -> None:
        self.w, self.net, self.ids = w, w.net, w.net.ids
        self.end = float(w.env.now)
        self.queue = [f"queue:{i}" for i in self.ids]
        self.production = [f"production:{i}" for i in self.ids]
        self.component = [f"component:{i}" for i in self.ids]
        self.power = [f"power:{i}" for i in self.ids]
        self.commissioning = {node: w.labs.states[j].policy.commissioning_days for j, node in enumerate(w.labs.nodes)}
        self.commissioning_days = np.zeros(len(self.ids))  # the same, by node index (0 for a node not a lab)
        for node, days in self.commissioning.items():
            self.commissioning_days[node] = days
        self._transport: dict[tuple[int, int], str] = {}
        self._ct: dict[tuple[int, int], float] = {}
        self.memo: dict[int, Segments] = {}  # the lots other orders inherit
        self.longest: dict[int, Longest] = {}  # their `_longest`: a kit's own cause, and its lab orders'
        self.stocked = frozenset(w.build_ahead.ahead)  # makers whose customers are filled from stock
        self.stock_points = frozenset(w.stocks.state)  # the generic kernel's stock points
        self.backorder = [f"backorder:{i}" for i in self.ids]

    def transport(self, supplier: int, customer: int) -> str:
        key = (supplier, customer)
        label = self._transport.get(key)
        if label is None:
            label = self._transport[key] = f"transport:{self.ids[supplier]}->{self.ids[customer]}"
        return label

    def ct(self, node: int, day: int) -> float:
        key = (node, day)
        v = self._ct.get(key)
        if v is None:
            v = self._ct[key] = float(self.net.cycle[node, day] * self.net.ct_mult[node, day])
        return v


def segments(w: "World", o: Order) -> Segments:
    """The segments of one order's lead time, for inspecting a single line (`delay_causes`
    does the whole run with one shared context)."""
    return _segments(_Context(w), o)


def _licence(rule: str) -> str:
    return f"licence:{rule}" if rule else "waiting"


def _inherited(cx: _Context, o: Order) -> Segments:
    got = cx.memo.get(o.id)
    if got is None:
        got = cx.memo[o.id] = _segments(cx, o)
    return got


def _lot_longest(cx: _Context, o: Order) -> Longest:
    got = cx.longest.get(o.id)
    if got is None:
        got = cx.longest[o.id] = _longest(_inherited(cx, o))
    return got


def _segments(cx: _Context, o: Order) -> Segments:
    out: Segments = []
    if o.released is not None and o.released > o.ordered:
        out.append((_licence(o.rule), o.released - o.ordered))
    end = cx.end
    if o.kind == "lab":
        live = [c for c in o.children if c.status != "denied"]
        if live:
            crit = max(live, key=lambda c: c.delivered if c.delivered is not None else end)
            if crit.delivered is None or crit.delivered > o.ordered:  # not simply filled from stock
                out.extend(_inherited(cx, crit))
            if o.delivered is not None and crit.delivered is not None:
                out.append((cx.transport(o.supplier, o.customer), max(0.0, o.delivered - crit.delivered)))
        elif o.shipped is not None and o.released is not None:
            # filled from the vendor's stock (goods another buyer could not take): the wait for
            # that stock, the vendor's own step (system integration), transport
            ct = cx.ct(o.supplier, min(int(o.released), cx.net.days - 1))
            out.append((cx.queue[o.supplier], max(0.0, o.shipped - o.released - ct)))
            out.append((cx.production[o.supplier], ct))
            if o.delivered is not None:
                out.append((cx.transport(o.supplier, o.customer), o.delivered - o.shipped))
        if o.delivered is not None and o.delivered_qty > 0.0:
            out.extend(_power_wait(cx, o))
        return out
    if o.supplier in cx.stock_points and o.kind != "assembly":  # a stock point's customer: backordered until shipped
        wait = (o.shipped if o.shipped is not None else end) - (o.released if o.released is not None else o.ordered)
        if wait > 0.0:
            out.append((cx.backorder[o.supplier], wait))
        if o.delivered is not None and o.shipped is not None:
            out.append((cx.transport(o.supplier, o.customer), o.delivered - o.shipped))
        return out
    if o.supplier in cx.stocked and o.kind != "build":  # filled from a build-ahead maker's stock (stocking.py)
        if o.entered is not None:  # waiting for stock is waiting for that maker's capacity
            out.append((cx.queue[o.supplier], (o.finished if o.finished is not None else end) - o.entered))
        if o.delivered is not None and o.shipped is not None:
            out.append((cx.transport(o.supplier, o.customer), o.delivered - o.shipped))
        return out
    kit_done = o.entered
    if o.kind == "assembly" and o.released is not None:
        kit_done = o.kitted if o.kitted is not None else (o.entered if o.inputs is None else o.finished)
        if kit_done is not None and kit_done > o.released:
            arrived = [c for c in o.children if c.delivered is not None]
            if arrived:  # the input that came last: its own queue, production and transport
                crit = max(arrived, key=lambda c: c.delivered)
                inner = _inherited(cx, crit)
                out.extend(inner)
                rest = (kit_done - o.released) - sum(d for _, d in inner)
                if rest > 0:
                    out.append((cx.component[crit.supplier], rest))
            else:
                out.append(("component:?", kit_done - o.released))
    if kit_done is None and o.kind == "assembly" and o.inputs is not None and o.released is not None:
        out.append((f"component:{_slowest_input(cx.w, o)}", end - o.released))  # still waiting for inputs
    elif o.entered is not None:
        day = min(int(o.started if o.started is not None else o.entered), cx.net.days - 1)
        ct = cx.ct(o.supplier, day)
        done = o.finished if o.finished is not None else end + ct  # open orders: queue so far
        out.append((cx.queue[o.supplier], max(0.0, done - max(kit_done or 0.0, o.entered) - ct)))
        out.append((cx.production[o.supplier], ct))
    if o.delivered is not None and o.shipped is not None and o.kind != "build":  # a lot goes into its maker's stock
        out.append((cx.transport(o.supplier, o.customer), o.delivered - o.shipped))
    return out


def _power_wait(cx: _Context, o: Order) -> Segments:
    """A lab's accelerators, commissioned, waiting for powered capacity: from when the last of
    them was ready until the last was installed (or the end of the run, if some never were).
    The daily step installs on whole days: a wait under a day is that, not power."""
    ready = o.delivered + cx.commissioning.get(o.customer, 0.0)
    done = o.installed if o.installed is not None and o.installed_qty >= o.delivered_qty * (1 - 1e-9) else cx.end
    return [(cx.power[o.customer], done - ready)] if done - ready > 1.0 else []


def _slowest_input(w: "World", kit: Order) -> str:
    frac = {p: (got / need if need > 0 else 1.0) for p, (need, got) in (kit.inputs or {}).items()}
    worst = min(frac, key=frac.get) if frac else None
    sup = [c for c in kit.children if c.product == worst]
    return w.net.ids[sup[0].supplier] if sup else "?"


WAITS = ("queue:", "licence:", "component:", "waiting", "power:", "backorder:")
MIN_WAIT_DAYS = 7.0


def _longest(segs: Segments) -> Longest:
    """The first longest wait (queue, licence, missing input, power) and the first longest
    segment of `segs`, as max() picks: all `pick` reads of them."""
    wait, step = None, None
    for seg in segs:
        if step is None or seg[1] > step[1]:
            step = seg
        if seg[0].startswith(WAITS) and (wait is None or seg[1] > wait[1]):
            wait = seg
    return wait, step


def pick(segs: Segments) -> str | None:
    """The longest wait (queue, licence, missing input) if one lasted a week or more,
    else the longest step: in calm times the slowest production step is the cause."""
    return _decide(_longest(segs))


def _decide(longest: Longest) -> str | None:
    """`pick` from `_longest` (a kit's, kept once for it and for the lab orders inheriting it)."""
    wait, step = longest
    if wait is not None and wait[1] >= MIN_WAIT_DAYS:
        return wait[0]
    return step[0] if step is not None and step[1] > 0 else None


_CHUNK = 1 << 15  # order lines per numpy pass of `_simple_causes` and `_lab_causes`


def delay_causes(w: "World", arrays: OrderArrays | None = None) -> list[str | None]:
    """The cause of every order line, in order: `pick` of its segments. Kits, which inherit the
    segments of the input that came last, lab orders, which inherit their kit's, and every other
    line (components, tools, power: most of a run) are picked for all of them at once with numpy
    (`_kit_causes`, `_lab_causes`, `_simple_causes`); the lines of stock points and build-ahead
    makers go one by one through `_segments`, the definition. `arrays`: the orders'
    `order_arrays`, if the caller has them already."""
    a = arrays if arrays is not None else order_arrays(w.orders)
    orders = w.orders
    causes: list[str | None] = [None] * len(orders)
    cx = _Context(w)
    kind = a["kind"]
    denied = a["status"] == "denied"
    lab = (kind == "lab") & ~denied
    stocked = np.isin(a["supplier"], list(cx.stocked | cx.stock_points))
    kits = ~denied & (kind == "assembly") & ~stocked
    one_by_one = ~denied & ~lab & ~kits & ((kind == "assembly") | stocked)
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
        licence = np.where(released > ordered, released - ordered, neg)
        queue = np.where(in_prod, np.maximum(0.0, done - entered - ct), neg)
        production = np.where(in_prod, ct, neg)
        transport = np.where(~np.isnan(delivered) & ~np.isnan(shipped), delivered - shipped, neg)
    return [licence, queue, production, transport]


def _simple_label(cx: _Context, a: OrderArrays, k: int, segment: int) -> str:
    """The label of segment `segment` (0-3, as `_simple_segments`) of the order at row `k`."""
    if segment == 0:
        return _licence(a["rule"][k])
    sup = int(a["supplier"][k])
    if segment == 1:
        return cx.queue[sup]
    return cx.production[sup] if segment == 2 else cx.transport(sup, int(a["customer"][k]))


def _simple_causes(cx: _Context, rows: np.ndarray, a: OrderArrays) -> list[str | None]:
    """`pick(_segments(o))` for the orders at `rows` that are neither lab orders nor kits,
    vectorised (`_simple_segments`)."""
    licence, queue, production, transport = _simple_segments(cx, rows, a)
    which = _pick_columns([licence, queue], [licence, queue, production, transport])
    out: list[str | None] = [None] * len(rows)
    at = np.flatnonzero(which >= 0)
    for j, col, rule, s, c in zip(at.tolist(), which[at].tolist(), a["rule"][rows[at]], a["supplier"][rows[at]].tolist(),
                                  a["customer"][rows[at]].tolist()):
        if col in (0, 2):
            out[j] = _licence(rule)
        elif col in (1, 3):
            out[j] = cx.queue[s]
        elif col == 4:
            out[j] = cx.production[s]
        else:
            out[j] = cx.transport(s, c)
    return out


def _kit_causes(cx: _Context, rows: np.ndarray, a: OrderArrays) -> list[str | None]:
    """`pick(_segments(o))` for the kits at `rows` (not at a build-ahead maker), vectorised where
    the input that came last is a plain line (`_simple_segments`), else one by one; each kit's
    `_longest` is kept for the lab orders that inherit it. A kit's segments, in order: licence
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
    plain = ~np.isin(a["kind"][crit], ("lab", "assembly")) & ~np.isin(a["supplier"][crit], list(cx.stocked | cx.stock_points))
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
        licence = np.where(released > ordered, released - ordered, neg)
        transport = np.where(~np.isnan(delivered) & ~np.isnan(shipped), delivered - shipped, neg)
    waits = np.stack([licence, inner_wait, rest, unknown, slowest, queue], axis=1)
    steps = np.stack([licence, inner_step, rest, unknown, slowest, queue, production, transport], axis=1)
    wait_at, step_at = waits.argmax(axis=1), steps.argmax(axis=1)  # the first of equals
    wait_d, step_d = waits[np.arange(n), wait_at], steps[np.arange(n), step_at]

    def label(j: int, col: int, wait: bool) -> str:
        o = kits[j]
        if col == 0:
            return _licence(o.rule)
        if col == 1:
            return _simple_label(cx, a, int(crit[j]), int(inner_wait_at[j] if wait else inner_step_at[j]))
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
    a queue, the vendor's step and the transport; the wait for power. The lot's segments enter
    as their first longest wait and step (`_longest`, one per lot): all `pick` reads of them."""
    ordered, released, shipped, delivered = (a[t][rows] for t in ("ordered", "released", "shipped", "delivered"))
    sup, cust, delivered_qty = a["supplier"][rows], a["customer"][rows], a["delivered_qty"][rows]
    n, neg, end = len(rows), -np.inf, cx.end
    crit = _critical_lots(cx, rows, a)
    has = crit >= 0
    crit_done = np.where(has, a["delivered"][crit], np.nan)  # (-1 reads the last line: masked)
    with np.errstate(invalid="ignore"):
        licence = np.where(released > ordered, released - ordered, neg)
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
