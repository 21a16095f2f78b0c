"""Timed calls: the engine's one way to schedule something (docs/model.md section 1: event
scheduling, timeouts with callbacks, no process per order).

A call is a SimPy event born triggered with one callback, which runs `fn(*args)`;
orders ride along as plain data. Calls due now share one event (`Calls.at`).
"""

from __future__ import annotations

from typing import Any, Callable

import simpy
from simpy.core import NORMAL

__all__ = ["Calls"]


def _fire(ev: simpy.Event) -> None:
    """The one callback of every call's event: the call rides as the event's value, so
    scheduling builds no closure."""
    fn, args = ev._value
    fn(*args)


class _Call(simpy.Event):
    """A call scheduled `delay` from now: an event born triggered, like a Timeout (same NORMAL
    priority), but with its callback list built in one step. A large run makes millions."""

    def __init__(self, env: simpy.Environment, call: tuple, delay: float) -> None:
        self.env = env
        self.callbacks = [_fire]
        self._ok = True
        self._value = call
        env.schedule(self, NORMAL, delay)


class Calls:
    """Schedules calls on `env`, in the order SimPy would run one event per call."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._due_now: list[tuple[Callable[..., Any], tuple]] = []
        self.batched = 0  # calls that ran without a kernel event of their own

    def at(self, when: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call `fn(*args)` at simulated time `when` (now if `when` has passed).

        Calls due now queue behind the first one, whose event runs them all in the
        order they came. That is the order SimPy gives them one event each (same time
        and priority: by event id), because every event due now and scheduled after the
        first is one of these calls. Power deliveries (no transport time) are a fifth of
        a large run's events.
        """
        env = self.env
        delay = when - env.now
        if delay > 0.0:
            _Call(env, (fn, args), delay)
            return
        due = self._due_now
        due.append((fn, args))
        if len(due) == 1:
            _Call(env, (self._run_due, ()), 0.0)

    def _run_due(self) -> None:
        """Run the calls due now, including those they add (appended, so run in turn)."""
        due = self._due_now
        i = 0
        while i < len(due):
            fn, args = due[i]
            i += 1
            fn(*args)
        due.clear()
        self.batched += i - 1
