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


def segments(w: "World", o: Order, memo: dict[int, list[tuple[str, float]]] | None = None) -> list[tuple[str, float]]:
    """The segments of `o`'s lead time. `memo` (order id -> segments) shares the work
    when many orders inherit the segments of the same lot."""
    if memo is not None:
        got = memo.get(o.id)
        if got is None:
            got = memo[o.id] = _segments(w, o, memo)
        return got
    return _segments(w, o, None)


def _segments(w: "World", o: Order, memo: dict[int, list[tuple[str, float]]] | None) -> list[tuple[str, float]]:
    ids, net = w.net.ids, w.net
    out: list[tuple[str, float]] = []
    if o.released is not None and o.released > o.ordered:
        out.append((f"licence:{o.rule}" if o.rule else "waiting", o.released - o.ordered))
    end = float(w.env.now)
    if o.kind == "lab":
        live = [c for c in o.children if c.status != "denied"]
        if live:
            crit = max(live, key=lambda c: c.delivered if c.delivered is not None else end)
            if crit.delivered is None or crit.delivered > o.ordered:  # not simply filled from stock
                out.extend(segments(w, crit, memo))
            if o.delivered is not None and crit.delivered is not None:
                out.append((f"transport:{ids[o.supplier]}->{ids[o.customer]}", max(0.0, o.delivered - crit.delivered)))
        return out
    kit_done = o.entered
    if o.kind == "assembly" and o.released is not None:
        kit_done = o.kitted if o.kitted is not None else (o.entered if o.inputs is None else o.finished)
        if kit_done is not None and kit_done > o.released:
            arrived = [c for c in o.children if c.delivered is not None]
            if arrived:  # the input that came last: its own queue, production and transport
                crit = max(arrived, key=lambda c: c.delivered)
                inner = segments(w, crit, memo)
                out.extend(inner)
                rest = (kit_done - o.released) - sum(d for _, d in inner)
                if rest > 0:
                    out.append((f"component:{ids[crit.supplier]}", rest))
            else:
                out.append(("component:?", kit_done - o.released))
    if kit_done is None and o.kind == "assembly" and o.inputs is not None and o.released is not None:
        out.append((f"component:{_slowest_input(w, o)}", end - o.released))  # still waiting for inputs
    elif o.entered is not None:
        day = min(int(o.started if o.started is not None else o.entered), net.days - 1)
        ct = float(net.cycle[o.supplier, day] * net.ct_mult[o.supplier, day])
        done = o.finished if o.finished is not None else end + ct  # open orders: queue so far
        out.append((f"queue:{ids[o.supplier]}", max(0.0, done - max(kit_done or 0.0, o.entered) - ct)))
        out.append((f"production:{ids[o.supplier]}", ct))
    if o.delivered is not None and o.shipped is not None:
        out.append((f"transport:{ids[o.supplier]}->{ids[o.customer]}", o.delivered - o.shipped))
    return out


def _slowest_input(w: "World", kit: Order) -> str:
    frac = {p: (got / need if need > 0 else 1.0) for p, (need, got) in (kit.inputs or {}).items()}
    worst = min(frac, key=frac.get) if frac else None
    sup = [c for c in kit.children if c.product == worst]
    return w.net.ids[sup[0].supplier] if sup else "?"


WAITS = ("queue:", "licence:", "component:", "waiting")
MIN_WAIT_DAYS = 7.0


def pick(segs: list[tuple[str, float]]) -> str | None:
    """The longest wait (queue, licence, missing input) if one lasted a week or more,
    else the longest step: in calm times the slowest production step is the cause."""
    waits = [s for s in segs if s[0].startswith(WAITS)]
    if waits:
        best = max(waits, key=lambda s: s[1])
        if best[1] >= MIN_WAIT_DAYS:
            return best[0]
    if segs and max(s[1] for s in segs) > 0:
        return max(segs, key=lambda s: s[1])[0]
    return None


def delay_causes(w: "World") -> list[str | None]:
    causes: list[str | None] = []
    memo: dict[int, list[tuple[str, float]]] = {}
    for o in w.orders:
        if o.status == "denied":
            causes.append(f"denied:{o.rule}" if o.rule else "denied")
            continue
        causes.append(pick(_segments(w, o, memo)))  # only the lots others inherit are kept in memo
    return causes
