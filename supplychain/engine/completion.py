"""Completion: the chunks due today leave the WIP pipelines and their output ships.

`Production` starts work into per-day pipelines (`pipeline`, and `share_pipeline` at `pro_rata`
nodes); this is the other end of them: a chunk due today leaves work in progress, counts as finished
(and in the flow time Little's law checks), and its order's output ships when the order completes,
else on the weekly shipping day (in tranches at `pro_rata` nodes, `TRANCHE`). Kept apart from the
books and the starts, which decide what enters the pipelines. Mixed into `Production`, whose
pipelines and statistics it updates: `step` calls `_complete` once a day, as before, and the loop
over the day's chunks is unchanged (no call per chunk).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .network import Net
    from .orders import Order
    from .sharing import ShareBook

__all__ = ["Completion", "TRANCHE"]

#: assumption: at a `pro_rata` node, where every open order trickles, the finished output of
#: an unfinished order ships on the weekly shipping day once it reaches this share of the
#: order (the rest ships when the order is done). This bounds an order's partial shipments
#: at 1 / TRANCHE however long rationing stretches it; other rules ship partials weekly.
TRANCHE = 0.1


class Completion:
    """Finishing chunks and shipping their output (a mixin of `Production`)."""

    net: "Net"
    pipeline: "dict[int, list[tuple[int, Order, float, int]]]"
    share_pipeline: dict[int, list[tuple[int, float, int, float]]]
    shares: "dict[int, ShareBook]"
    on_finished: "Callable[[Order, float], None]"
    #: orders with finished output not yet shipped (it finished on another day than the weekly
    #: shipping day): they ship on the next shipping day, whether or not a chunk finishes then
    unshipped: "dict[Order, None]"
    _wip_v: memoryview
    _finished_v: memoryview
    _flow_time_v: memoryview

    def in_progress_area(self, end: float) -> np.ndarray:
        """Per node, good units x days of the chunks still in production at `end` (Little's law)."""
        area = np.zeros(len(self.net.ids))
        for items in self.pipeline.values():
            for node, _, g, began in items:
                area[node] += g * (end - began)
        for items in self.share_pipeline.values():
            for node, g, began, _ in items:
                area[node] += g * (end - began)
        return area

    def _complete(self, day: int) -> None:
        """Finish today's chunks; ship what is made when an order completes, else weekly (in tranches
        at pro_rata nodes)."""
        ship_day = day % 7 == 0
        reached: dict[int, float] = {}
        for node, goods, began, level in self.share_pipeline.pop(day, ()):
            self._wip_v[node] -= goods
            self._finished_v[node] += goods
            self._flow_time_v[node] += goods * (day - began)
            was = reached.get(node, 0.0)
            reached[node] = was if was > level else level  # max(level, was), without the call
        for node, share in self.shares.items():
            if node in reached or (ship_day and share.members):
                share.finish(reached.get(node, share.done_level), day, ship_day, self.on_finished)
        # keyed by the order itself (hashed by identity): no load of its id, a cold int, per chunk
        touched: dict[Order, None] = {}
        wip, finished, flow_time = self._wip_v, self._finished_v, self._flow_time_v
        for node, o, goods, began in self.pipeline.pop(day, ()):
            wip[node] -= goods
            finished[node] += goods
            flow_time[node] += goods * (day - began)
            o.made += goods
            touched[o] = None
        now = float(day)
        on_finished, unshipped = self.on_finished, self.unshipped
        if ship_day and unshipped:  # output of earlier days first, in the order it finished
            self.unshipped = {}
            for o in unshipped:
                if o not in touched:
                    on_finished(o, now)
            unshipped = self.unshipped
        for o in touched:
            if o.remaining == 0.0 and o.made + o.denied_qty >= o.qty * (1 - 1e-9):  # done
                o.finished = now
                unshipped.pop(o, None)
                on_finished(o, now)
                continue
            o.made_at = now  # not done: if its rest is refused, it finished now (`Production.drop`)
            if ship_day:
                on_finished(o, now)
            else:
                unshipped[o] = None
