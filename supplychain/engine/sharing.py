"""Pro-rata rationing in O(log n) per order, not O(open orders) per day.

Under `pro_rata` every open order gets the same fraction of its size each day
(the *level*; orders that need less than that take only what they need and
leave the rest to the others). So an order's progress is the node's
cumulative level since it entered: with `L` the cumulative level started,
`E` its value when the order entered and `F = E + remaining/size`, the order
has started `size x (min(L, F) - E)` and is fully started once `L >= F`.
Work does not overtake inside the node (a start finishes no earlier than the
start before it), so what has *finished* is the same formula with `Lc`, the
cumulative level whose work is done.

A `ShareBook` keeps the node's plain orders in heaps keyed by `F` (and by
their next shipping threshold) and touches an order only when it enters,
finishes starting, ships a tranche, finishes, or loses units to a denial.
A book that would otherwise hand a sliver to hundreds of open orders every
day (a supplier rationing a growing backlog) then costs a few heap
operations a day. Kits whose inputs limit what may start stay in the plain
list (`Production.books`) and share the same level through `allocate`.
"""

from __future__ import annotations

import heapq
from typing import Callable

from .allocation import INF
from .orders import Order

__all__ = ["ShareBook"]

EPS = 1e-9


class _Member:
    __slots__ = ("order", "size", "cost", "entry", "final", "starting")

    def __init__(self, order: Order, size: float, entry: float) -> None:
        self.order = order
        self.size = size  # good units the order had to start when it entered
        self.cost = order.unit_cost  # capacity units per good unit before yield
        self.entry = entry  # cumulative level when it entered
        self.final = entry + order.remaining / size  # level at which it is fully started
        self.starting = True  # still counted in the level's denominator


class ShareBook:
    """The plain orders of one `pro_rata` node, advanced by a cumulative level."""

    def __init__(self, tranche: float) -> None:
        self.tranche = tranche
        self.level = 0.0  # L: cumulative level started
        self.done_level = 0.0  # Lc: cumulative level whose work has finished
        self.members: dict[int, _Member] = {}
        self.weight = 0.0  # sum of size x cost over orders still starting (capacity units at yield 1)
        self.sizes = 0.0  # sum of size over the same (good units)
        self.n_starting = 0
        self.weight_final = 0.0  # sum of size x cost x final over the same: backlog = this - L x weight
        self._start: list[tuple[float, int]] = []  # (final, id): leaves the denominator when L reaches it
        self._done: list[tuple[float, int]] = []  # (final, id): done when Lc reaches it
        self._ship: list[tuple[float, int]] = []  # (level of the next tranche, id)
        self._fresh: list[_Member] = []  # entered, `started` stamp not yet given
        self.last_due = -1

    def __bool__(self) -> bool:
        """True while some order still has units to start."""
        return self.n_starting > 0

    # -- orders in and out -------------------------------------------------------
    def add(self, o: Order) -> None:
        size = o.remaining
        m = _Member(o, size, self.level)
        self.members[o.id] = m
        self._enter(m)
        heapq.heappush(self._ship, (m.entry + self.tranche, o.id))
        self._fresh.append(m)

    def _enter(self, m: _Member) -> None:
        self.n_starting += 1
        self.sizes += m.size
        self.weight += m.size * m.cost
        self.weight_final += m.size * m.cost * m.final
        heapq.heappush(self._start, (m.final, m.order.id))
        heapq.heappush(self._done, (m.final, m.order.id))

    def _leave(self, m: _Member) -> None:
        """Fully started: out of the level's denominator."""
        if m.starting:
            m.starting = False
            self.n_starting -= 1
            self.sizes -= m.size
            self.weight -= m.size * m.cost
            self.weight_final -= m.size * m.cost * m.final
            if self.n_starting == 0:  # no float residue of the running sums survives an empty book
                self.sizes = self.weight = self.weight_final = 0.0

    def remaining(self, o: Order) -> float:
        m = self.members[o.id]
        level, final = self.level, m.final
        return m.size * (final - (final if final < level else level))  # min(level, final), without the call

    def made(self, m: _Member) -> float:
        done, final = self.done_level, m.final
        x = (final if final < done else done) - m.entry  # max(0.0, min(done, final) - entry), without the calls
        return m.size * (x if x > 0.0 else 0.0)

    def drop(self, o: Order, units: float) -> float:
        """Take up to `units` not yet started out of an order (denied inputs: goods refused at the border
        are made already, `World._deny(made=True)`). Its size, its share per unit of level, stays what it
        entered with, where the rule function shares by `qty - denied_qty` (docs/model.md, section 9)."""
        m = self.members.get(o.id)
        if m is None or not m.starting:
            return 0.0
        cut = min(units, self.remaining(o))
        if cut <= 0.0:
            return 0.0
        final = m.final - cut / m.size
        if final <= self.level + EPS:  # nothing left to start
            final = max(final, self.level)
        self.weight_final += m.size * m.cost * (final - m.final)
        m.final = final
        if final <= self.level + EPS:
            self._leave(m)
        else:
            heapq.heappush(self._start, (m.final, o.id))
        heapq.heappush(self._done, (m.final, o.id))
        o.remaining = self.remaining(o)
        return cut

    def backlog(self) -> float:
        """Capacity units (at yield 1) still to start."""
        return max(0.0, self.weight_final - self.level * self.weight)

    # -- the daily step ------------------------------------------------------------
    def allocate(self, budget: float, y: float, day: int,
                 kits: list[tuple[Order, float]]) -> tuple[float, float, list[tuple[Order, float]]]:
        """Spend `budget` capacity units on one level shared by the plain orders and by the
        `kits` ((kit, units it may start)), water-filled so nobody gets more than it can start.

        Returns (capacity used, plain good units started, [(kit, good units)]).
        """
        level0 = self.level
        pool = self.weight / y  # capacity per unit of level: plain orders still starting
        if kits:
            rows = sorted(((o, c, max(o.qty - o.denied_qty, EPS)) for o, c in kits), key=lambda r: r[1] / r[2])
            kit_pool = sum(s * o.unit_cost for o, _, s in rows) / y
        else:  # the usual day: no kit has arrived inputs (0 / y is 0.0: no generators to build)
            rows, kit_pool = [], 0.0
        left, used, started, top_final = budget, 0.0, 0.0, level0
        give: list[tuple[Order, float]] = []
        k = 0
        while True:  # take out whoever needs less than the level, lowest need first; the level rises
            total = pool + kit_pool
            lev = left / total if total > EPS else INF
            top = self._peek_start()
            gap = top[0] - level0 if top is not None else INF
            ratio = rows[k][1] / rows[k][2] if k < len(rows) else INF
            if gap <= ratio and gap <= lev and top is not None:
                heapq.heappop(self._start)
                m = self.members[top[1]]
                need = m.size * (m.final - level0)
                left -= need * m.cost / y
                used += need * m.cost / y
                started += need
                pool -= m.size * m.cost / y
                if m.final > top_final:  # max(top_final, m.final), without the call
                    top_final = m.final
                self._leave(m)
            elif ratio <= lev and k < len(rows):
                o, c, s = rows[k]
                give.append((o, c))
                left -= c * o.unit_cost / y
                used += c * o.unit_cost / y
                kit_pool -= s * o.unit_cost / y
                k += 1
            else:
                break
        total = (self.weight / y if self.n_starting else 0.0) + kit_pool
        lev = max(0.0, left / total) if total > EPS else 0.0
        if self.n_starting:
            self.level = level0 + lev
            started += lev * self.sizes
            left -= lev * self.weight / y
            used += lev * self.weight / y
        else:
            self.level = top_final
        for o, c, s in rows[k:]:
            g = lev * s
            if not g < c:  # min(c, lev x s), without the call
                g = c
            give.append((o, g))
            left -= g * o.unit_cost / y
            used += g * o.unit_cost / y
        if self.level > level0 and self._fresh:
            for m in self._fresh:
                if m.order.started is None:
                    m.order.started = float(day)
            self._fresh = []
        return (budget if budget < used else used), started, give  # min(used, budget), without the call

    def _peek_start(self) -> tuple[float, int] | None:
        h = self._start
        while h:
            final, oid = h[0]
            m = self.members.get(oid)
            if m is not None and m.starting and m.final == final:
                return h[0]
            heapq.heappop(h)
        return None

    # -- finishing ---------------------------------------------------------------
    def finish(self, done_level: float, day: int, ship_day: bool, on_finished: Callable[[Order, float], None]) -> None:
        """Work started up to `done_level` is done: finish the orders it completes and, on a
        shipping day, ship tranches that reached their share of the order."""
        if done_level > self.done_level:  # max(done_level of before, done_level), without the call
            self.done_level = done_level
        now = float(day)
        h = self._done
        while h and h[0][0] <= self.done_level + EPS:
            final, oid = heapq.heappop(h)
            m = self.members.get(oid)
            if m is None or m.final != final:
                continue
            if m.starting:  # its final within 1e-9 above the level (done <= level): the day's level fell short of it
                self._leave(m)  # by rounding; the rule function gives such an order all of it (`Production._start`)
            o = m.order
            o.made = self.made(m) if self.done_level < m.final else m.size * (m.final - m.entry)
            o.remaining = 0.0
            o.finished = now
            del self.members[oid]
            on_finished(o, now)
        if not ship_day:
            return
        h = self._ship
        while h and h[0][0] <= self.done_level + EPS:
            _, oid = heapq.heappop(h)
            m = self.members.get(oid)
            if m is None:
                continue
            o = m.order
            o.made = self.made(m)
            level, final = self.level, m.final  # self.remaining(o) without finding m again
            o.remaining = m.size * (final - (final if final < level else level))
            on_finished(o, now)
            frac = (o.shipped_qty + o.held_qty) / m.size
            nxt = m.entry + frac + self.tranche
            if nxt < m.final - EPS:
                heapq.heappush(h, (nxt, oid))
