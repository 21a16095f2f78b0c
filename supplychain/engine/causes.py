"""Delay causes: which wait dominated each order line.

An order's lead time splits into segments: licence review (`licence:<rule>`: at
placement, or goods held at the border through one at shipment), waiting for a
missing BOM input (`component:<supplier>`, the input that came last), queueing
for capacity (`queue:<node>`), production (`production:<node>`) and transport
(`transport:<from>-><to>`); a stock point's customer waits for goods (`backorder:<node>`,
the generic kernel). A lab's order also inherits the
segments of the packaging lot that arrived last, and ends with its accelerators'
wait for powered capacity once commissioned (`power:<lab>`). The label of the longest
wait (queue, licence, missing input, power, backorder: `WAITS`) of a week or more is the order's cause, else
the longest step (in calm times, the slowest production step): that is what lets a
report say what throttled a generation.

This module is the definition, one order at a time (`segments`, `pick`); `causes_batch`
computes every line's cause of a run at once, equal to it (tested line by line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .orders import Order

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["segments", "pick", "WAITS", "MIN_WAIT_DAYS"]

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
        self.commissioning_days = np.zeros(len(self.ids))  # a lab's, by node index (0 for a node not a lab)
        for j, node in enumerate(w.labs.nodes):
            self.commissioning_days[node] = w.labs.states[j].policy.commissioning_days
        self._transport: dict[tuple[int, int], str] = {}
        self._ct: dict[tuple[int, int], float] = {}
        self.memo: dict[int, Segments] = {}  # the lots other orders inherit
        self.longest: dict[int, Longest] = {}  # their `_longest`: a kit's own cause, and its lab orders'
        self.stocked = frozenset(w.build_ahead.ahead)  # makers whose customers are filled from stock
        self.stock_points = frozenset(w.stocks.state)  # the generic kernel's stock points
        #: the makers whose lines `causes_batch` leaves to the definition, one by one
        self.one_by_one_makers = np.array(sorted(self.stocked | self.stock_points), dtype=np.int64)
        self.backorder = [f"backorder:{i}" for i in self.ids]
        self.border = w.border_holds  # order id -> (rule, held from, held until): licences granted at shipment
        self._open_lots: dict[tuple[int, str], Order] | None = None  # `open_lot`, found on first use

    def open_lot(self, vendor: int, product: str) -> Order | None:
        """The vendor's oldest build lot of `product` neither delivered nor refused at the end of
        the run: what its lab orders that no lot has reached wait behind (None if none)."""
        if self._open_lots is None:
            self._open_lots = {}
            kinds = self.net.kinds
            for o in self.w.orders:  # in the order they were placed: the first is the oldest
                if (o.kind == "assembly" and o.parent is None and o.delivered is None and o.status != "denied"
                        and kinds[o.customer] == "vendor"):
                    self._open_lots.setdefault((o.customer, o.product), o)
        return self._open_lots.get((vendor, product))

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


#: the statuses of a line a rule holds before release: under licence review, or waiting for a quota's next period
HELD = ("licence", "waiting")


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
    elif o.released is None and o.status in HELD:  # a rule held it to the end of the run: it waited all along
        out.append((_licence(o.rule), cx.end - o.ordered))
    end = cx.end
    if o.kind == "lab":
        live = [c for c in o.children if c.status != "denied"]
        if live:
            crit = max(live, key=lambda c: c.delivered if c.delivered is not None else end)
            if crit.delivered is None or crit.delivered > o.ordered:  # not simply filled from stock
                out.extend(_inherited(cx, crit))
            if o.delivered is not None and crit.delivered is not None:  # the lot's last leg to the lab
                leg = max(0.0, o.delivered - crit.delivered)
                held = _held(cx, o, crit.delivered, o.delivered)
                if held > 0.0:
                    out.append((_licence(cx.border[o.id][0]), held))
                out.append((cx.transport(o.supplier, o.customer), leg - held))
        elif o.shipped is not None and o.released is not None:
            # filled from the vendor's stock (goods another buyer could not take): the wait for
            # that stock, the vendor's own step (system integration), transport
            ct = cx.ct(o.supplier, min(int(o.released), cx.net.days - 1))
            queue = max(0.0, o.shipped - o.released - ct)
            held = min(queue, _held(cx, o, o.released, o.shipped))  # (a hold at its first shipment ends at `shipped`)
            out.append((cx.queue[o.supplier], queue - held))
            out.append((cx.production[o.supplier], ct))
            out.extend(_last_leg(cx, o, held))
        elif o.released is not None and o.delivered is None:
            # no build lot has come to it yet: it waits behind the vendor's oldest lot still open (that
            # lot's waits, a packaging or HBM shortage), or, with none, in the vendor's queue
            lot = cx.open_lot(o.supplier, o.product)
            if lot is not None:
                out.extend(_inherited(cx, lot))
            else:
                out.append((cx.queue[o.supplier], end - o.released))
        if o.delivered is not None and o.delivered_qty > 0.0:
            out.extend(_power_wait(cx, o))
        return out
    if o.supplier in cx.stock_points and o.kind != "assembly":  # a stock point's customer: backordered until shipped
        since = o.released if o.released is not None else o.ordered
        wait = (o.shipped if o.shipped is not None else end) - since
        held = min(max(wait, 0.0), _held(cx, o, since, o.shipped)) if o.shipped is not None else 0.0
        if wait - held > 0.0:
            out.append((cx.backorder[o.supplier], wait - held))
        out.extend(_last_leg(cx, o, held))
        return out
    if o.supplier in cx.stocked and o.kind != "build":  # filled from a build-ahead maker's stock (stocking.py)
        if o.entered is not None:  # waiting for stock is waiting for that maker's capacity
            out.append((cx.queue[o.supplier], (o.finished if o.finished is not None else end) - o.entered))
        # filled in parts (the first left at `shipped`, the last at `finished`): the wait runs to the last
        # part, so its transport does too, as for a line a producer shipped in parts (below)
        left = o.finished if o.finished is not None and o.shipped is not None and o.finished > o.shipped else None
        out.extend(_last_leg(cx, o, _held(cx, o, o.finished, o.shipped), left))
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
    if o.kind != "build":  # a lot goes into its maker's stock
        # a line shipped in parts (finished output ships weekly) sent its last goods when it finished:
        # its transport runs from then, not from its first shipment, which overlapped its production
        left = o.finished if o.finished is not None and o.shipped is not None and o.finished > o.shipped else None
        out.extend(_last_leg(cx, o, _held(cx, o, o.finished, o.shipped), left))
    return out


def _held(cx: _Context, o: Order, start: float | None, end: float | None) -> float:
    """The days of `o`'s hold at the border (a licence reviewed at shipment and granted: the
    goods waited for it) within [start, end]; 0 without a hold or a span. A hold running past
    the end of the run counts whole, as `shipped` (its end) does: its length was known when it began."""
    hold = cx.border.get(o.id)
    if hold is None or start is None or end is None:
        return 0.0
    return max(0.0, min(hold[2], end) - max(hold[1], start))


def _last_leg(cx: _Context, o: Order, before: float, left: float | None = None) -> Segments:
    """The end of a line's lead time: its hold at the border, if the goods waited there (`before`
    days of it until `shipped`, as its caller counted them, and what fell after `shipped`, in a
    later shipment), then the transport from `shipped` (or `left`, when its last goods left) to
    `delivered`. The hold is a licence wait of its rule, as one at placement: not transport, nor a
    gap in the lead time."""
    out: Segments = []
    start = o.shipped if left is None else left
    transport = o.delivered - start if o.delivered is not None and start is not None else None
    after = _held(cx, o, start, o.delivered) if transport is not None else 0.0
    if before + after > 0.0:
        out.append((_licence(cx.border[o.id][0]), before + after))
    if transport is not None:
        out.append((cx.transport(o.supplier, o.customer), transport - after))
    return out


def _power_wait(cx: _Context, o: Order) -> Segments:
    """A lab's accelerators, commissioned, waiting for powered capacity: from when the last of
    them was ready until the last was installed (or the end of the run, if some never were).
    The daily step installs on whole days: a wait under a day is that, not power."""
    ready = o.delivered + float(cx.commissioning_days[o.customer])
    done = o.installed if o.installed is not None and o.installed_qty >= o.delivered_qty * (1 - 1e-9) else cx.end
    return [(cx.power[o.customer], done - ready)] if done - ready > 1.0 else []


def _slowest_input(w: "World", kit: Order) -> str:
    frac = {p: (got / need if need > 0 else 1.0) for p, (need, got, *_) in (kit.inputs or {}).items()}
    worst = min(frac, key=frac.get) if frac else None
    sup = [c for c in kit.children if c.product == worst]
    # split sourcing: the line of that input still to come, not the first supplier's (which may have delivered)
    due = [c for c in sup if c.delivered is None and c.status != "denied"]
    return w.net.ids[(due or sup)[0].supplier] if sup else "?"


WAITS = ("queue:", "licence:", "component:", "waiting", "power:", "backorder:")
MIN_WAIT_DAYS = 7.0


def _longest(segs: Segments) -> Longest:
    """The first longest wait (`WAITS`) and the first longest segment of `segs`, as max() picks:
    all `pick` reads of them."""
    wait, step = None, None
    for seg in segs:
        if step is None or seg[1] > step[1]:
            step = seg
        if seg[0].startswith(WAITS) and (wait is None or seg[1] > wait[1]):
            wait = seg
    return wait, step


def pick(segs: Segments) -> str | None:
    """The longest wait (`WAITS`: queue, licence, missing input, power, backorder) if one lasted
    a week or more, else the longest step: in calm times the slowest production step is the cause."""
    return _decide(_longest(segs))


def _decide(longest: Longest) -> str | None:
    """`pick` from `_longest` (a kit's, kept once for it and for the lab orders inheriting it)."""
    wait, step = longest
    if wait is not None and wait[1] >= MIN_WAIT_DAYS:
        return wait[0]
    return step[0] if step is not None and step[1] > 0 else None
