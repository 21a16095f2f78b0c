"""Delay causes: which wait dominated each order line.

An order's lead time splits into segments: licence review (`licence:<rule>`),
waiting for a missing BOM input (`component:<supplier>`, the input that came
last), queueing for capacity (`queue:<node>`), production (`production:<node>`)
and transport (`transport:<from>-><to>`). A lab's order also inherits the
segments of the packaging lot that arrived last. The label of the longest
wait (queue, licence, missing input) of a week or more is the order's cause, else
the longest step (in calm times, the slowest production step): that is what lets a
report say what throttled a generation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .orders import Order

if TYPE_CHECKING:  # pragma: no cover
    from .world import World

__all__ = ["delay_causes", "segments"]

Segments = list[tuple[str, float]]


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
        self._transport: dict[tuple[int, int], str] = {}
        self._ct: dict[tuple[int, int], float] = {}
        self.memo: dict[int, Segments] = {}  # the lots other orders inherit

    def transport(self, o: Order) -> str:
        key = (o.supplier, o.customer)
        label = self._transport.get(key)
        if label is None:
            label = self._transport[key] = f"transport:{self.ids[o.supplier]}->{self.ids[o.customer]}"
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


def _inherited(cx: _Context, o: Order) -> Segments:
    got = cx.memo.get(o.id)
    if got is None:
        got = cx.memo[o.id] = _segments(cx, o)
    return got


def _segments(cx: _Context, o: Order) -> Segments:
    out: Segments = []
    if o.released is not None and o.released > o.ordered:
        out.append((f"licence:{o.rule}" if o.rule else "waiting", o.released - o.ordered))
    end = cx.end
    if o.kind == "lab":
        live = [c for c in o.children if c.status != "denied"]
        if live:
            crit = max(live, key=lambda c: c.delivered if c.delivered is not None else end)
            if crit.delivered is None or crit.delivered > o.ordered:  # not simply filled from stock
                out.extend(_inherited(cx, crit))
            if o.delivered is not None and crit.delivered is not None:
                out.append((cx.transport(o), max(0.0, o.delivered - crit.delivered)))
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
    if o.delivered is not None and o.shipped is not None:
        out.append((cx.transport(o), o.delivered - o.shipped))
    return out


def _slowest_input(w: "World", kit: Order) -> str:
    frac = {p: (got / need if need > 0 else 1.0) for p, (need, got) in (kit.inputs or {}).items()}
    worst = min(frac, key=frac.get) if frac else None
    sup = [c for c in kit.children if c.product == worst]
    return w.net.ids[sup[0].supplier] if sup else "?"


WAITS = ("queue:", "licence:", "component:", "waiting")
MIN_WAIT_DAYS = 7.0


def pick(segs: Segments) -> str | None:
    """The longest wait (queue, licence, missing input) if one lasted a week or more,
    else the longest step: in calm times the slowest production step is the cause."""
    wait, step = None, None  # the first longest of each, as max() picks
    for seg in segs:
        if step is None or seg[1] > step[1]:
            step = seg
        if seg[0].startswith(WAITS) and (wait is None or seg[1] > wait[1]):
            wait = seg
    if wait is not None and wait[1] >= MIN_WAIT_DAYS:
        return wait[0]
    return step[0] if step is not None and step[1] > 0 else None


def delay_causes(w: "World") -> list[str | None]:
    causes: list[str | None] = []
    cx = _Context(w)
    for o in w.orders:
        if o.status == "denied":
            causes.append(f"denied:{o.rule}" if o.rule else "denied")
            continue
        causes.append(pick(_segments(cx, o)))  # only the lots others inherit are kept in memo
    return causes
