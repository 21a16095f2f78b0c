"""Timed calls: the engine's one way to schedule something (docs/model.md section 1: event
scheduling, timeouts with callbacks, no process per order).

A call is a kernel event born triggered, like a Timeout, whose callback runs
`fn(*args)`; orders ride along as plain data. Calls that SimPy would run back to back
share one event (`Calls.at`).
"""

from __future__ import annotations

from heapq import heappush
from typing import Any, Callable

import simpy
from simpy.core import NORMAL

__all__ = ["Calls"]

_Batch = list  # [(fn, args), ...]: calls one kernel event runs, in order


class _Call:
    """A kernel event that runs calls, with what `Environment.step` reads off an event and nothing
    more: `step` pops (time, priority, id, event), swaps `callbacks` for None, calls each callback
    with the event and reads `_ok` (`_value` and `_defused` only if it is False). A `simpy.Event`
    would add an instance dict, its `env` and a callback list of its own; a large run makes
    millions, each held in the queue until its time. tests/test_calls.py fails if SimPy stops
    scheduling or stepping events this way.

    A later event holds its first call itself and the calls that join it in `more`: most run one
    call (a delivery at a transport time drawn for it), and need no list."""

    __slots__ = ("callbacks", "fn", "args", "more")
    _ok = True  # born triggered and never failed, like a Timeout

    def __init__(self, callbacks: tuple[Callable[["_Call"], None]], fn: Callable[..., Any] | None = None,
                 args: tuple = ()) -> None:
        self.callbacks = callbacks  # shared by the events of one kind: `step` iterates it, never changes it
        self.fn = fn
        self.args = args
        self.more: _Batch | None = None


class _Ids:
    """SimPy's event numbering (`Environment._eid`, an `itertools.count`), with the next number
    readable: what tells `Calls.at` that no other event was scheduled since its last one."""

    __slots__ = ("next",)

    def __init__(self, start: int) -> None:
        self.next = start

    def __iter__(self) -> "_Ids":
        return self

    def __next__(self) -> int:
        n = self.next
        self.next = n + 1
        return n


class Calls:
    """Schedules calls on `env`, in the order SimPy would run one event per call."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        ids = env._eid  # type: ignore[attr-defined]
        # one readable counter per environment, shared by every `Calls` on it
        self._ids = env._eid = ids if isinstance(ids, _Ids) else _Ids(next(ids))  # type: ignore[attr-defined]
        self._due_now: _Batch = []
        self._later: dict[float, _Call] = {}  # time -> this Calls' latest event at that time
        self._next_id = -1  # the number after this Calls' latest event: `_later` holds while it is the next
        self._fire_later_cbs = (self._fire_later,)  # bound once: the callbacks of every later event
        self._fire_due_cbs = (self._fire_due,)
        self.batched = 0  # calls that ran without a kernel event of their own

    def at(self, when: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call `fn(*args)` at simulated time `when` (now if `when` has passed).

        Calls due now queue behind the first one, whose event runs them all in the
        order they came. That is the order SimPy gives them one event each (same time
        and priority: by event id), because every event due now and scheduled after the
        first is one of these calls. Power deliveries (no transport time) are a fifth of
        a large run's events.

        A later call joins this Calls' latest event at the same time, if no other event
        was scheduled since that one (at any time: `_later` is dropped when one was).
        SimPy orders events of one time and priority by id, and every event at that time
        numbered after the joined one would be a call of this Calls at that time, which
        joins too: the calls run in the order they were made, as SimPy would run them,
        and what each schedules is numbered after them all either way. Deliveries over
        fixed transport times, a vendor's parts shipped together and labs' reviews due
        on one day share events even when other calls were made in between.
        """
        env = self.env
        now = env._now  # type: ignore[attr-defined]  # SimPy's clock: its `now` property is a Python call per read
        delay = when - now
        ids = self._ids
        if delay > 0.0:
            t = now + delay  # the time SimPy's `schedule` computes
            later = self._later
            if ids.next == self._next_id:
                ev = later.get(t)
                if ev is not None:
                    if ev.more is None:
                        ev.more = [(fn, args)]
                    else:
                        ev.more.append((fn, args))
                    self.batched += 1
                    return
            else:  # another event was numbered since this Calls' latest one: it may fall at any time
                later.clear()
            later[t] = ev = _Call(self._fire_later_cbs, fn, args)
            # `env.schedule(ev, NORMAL, delay)` written out: SimPy's own key, the next id
            n = ids.next
            ids.next = self._next_id = n + 1
            heappush(env._queue, (t, NORMAL, n, ev))  # type: ignore[attr-defined]
            return
        due = self._due_now
        due.append((fn, args))
        if len(due) == 1:
            n = ids.next
            ids.next = n + 1
            heappush(env._queue, (now + 0.0, NORMAL, n, _Call(self._fire_due_cbs)))  # type: ignore[attr-defined]
            if n == self._next_id:
                self._next_id = n + 1  # an event of this Calls' own: the later ones stay joinable

    def _fire_later(self, ev: _Call) -> None:
        """Run a later event's calls. The time is now: no call joins an event at it any more (calls
        due now are `_due_now`'s), so `_later` lets go of it, this event or a later-numbered one."""
        self._later.pop(self.env._now, None)  # type: ignore[attr-defined]  # `env.now` without the property's call
        more = ev.more
        ev.fn(*ev.args)
        if more is not None:
            for fn, args in more:
                fn(*args)

    def _fire_due(self, _ev: _Call) -> None:
        """Run the calls due now (`_due_now`), including those they add (appended, so run in turn)."""
        due = self._due_now
        i = 0
        while i < len(due):
            fn, args = due[i]
            i += 1
            fn(*args)
        due.clear()
        self.batched += i - 1
