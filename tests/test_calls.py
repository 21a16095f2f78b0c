"""Timed calls: calls SimPy would run back to back share one kernel event, yet run in SimPy's own order."""

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.engine.calls import Calls

# a call: (delay after the call that made it, calls it makes when it runs)
DELAYS = st.sampled_from([0.0, 0.0, 0.0, 0.5, 1.0, 2.0])
TREES = st.recursive(
    st.tuples(DELAYS, st.just(())),
    lambda kids: st.tuples(DELAYS, st.lists(kids, max_size=3).map(tuple)),
    max_leaves=25,
)
PROGRAMS = st.lists(st.tuples(st.sampled_from([0.0, 1.0, 2.5]), TREES), max_size=8)


def one_event_per_call(env: simpy.Environment):
    """The reference: a SimPy timeout with a callback for every call."""

    def at(when, fn, *args):
        env.timeout(max(when - env.now, 0.0)).callbacks.append(lambda _ev: fn(*args))

    return at


def play(program, make_at, days_as_calls=False):
    """Run `program` (roots at given times, plus a daily process adding calls due now) and
    log (time, call) in the order the calls ran. `days_as_calls`: the days are a chain of
    calls, as `World` runs them, not a process whose timeouts are events of another kind."""
    env = simpy.Environment()
    at = make_at(env)
    log = []

    def call(path, node):
        log.append((env.now, path))
        for k, kid in enumerate(node[1]):
            at(env.now + kid[0], call, path + (k,), kid)

    def day(d):
        at(env.now, call, ("day", d), (0.0, ((0.0, ()), (1.0, ()), (0.5, ()))))

    def daily():
        for d in range(4):
            day(d)
            yield env.timeout(1)

    def day_call(d):
        day(d)
        if d < 3:
            at(d + 1, day_call, d + 1)

    for r, (when, node) in enumerate(program):
        at(when, call, (r,), node)
    if days_as_calls:
        day_call(0)
    else:
        env.process(daily())
    env.run(until=20)
    return log, env


@settings(max_examples=150, deadline=None)
@given(PROGRAMS, st.booleans())
def test_calls_run_in_the_order_of_one_simpy_event_each(program, days_as_calls):
    calls = {}

    def make(env):
        calls["c"] = Calls(env)
        return calls["c"].at

    got, env = play(program, make, days_as_calls)
    want, ref_env = play(program, one_event_per_call, days_as_calls)
    assert got == want
    # every call ran, and the ones that shared an event saved one each
    assert next(env._eid) + calls["c"].batched == next(ref_env._eid)


@pytest.mark.parametrize("program, batched, events", [
    # five calls due now share one event; the later call has its own
    ([(0.0, k) for k in range(5)] + [(1.0, "later")], 4, 2),
    # later calls at one time made back to back share one event; a timeout numbered in between runs in
    # between and ends the sharing: one event for the first three, the timeout, one each for the last two
    ([(1.0, 0), (1.0, 1), (1.0, 2), "timeout", (1.0, 3), (2.0, "later")], 2, 4),
])
def test_calls_simpy_would_run_back_to_back_share_one_event(program, batched, events):
    env = simpy.Environment()
    calls = Calls(env)
    ran = []
    for step in program:
        if step == "timeout":
            env.timeout(1.0).callbacks.append(lambda _ev: ran.append("timeout"))
        else:
            calls.at(step[0], ran.append, step[1])
    env.run()
    assert ran == [step if step == "timeout" else step[1] for step in program]
    assert calls.batched == batched
    assert next(env._eid) == events


def test_two_calls_on_one_environment_share_its_counter():
    """A second `Calls` leaves the first reading the counter SimPy advances (a stale one would
    only stop it sharing events)."""
    env = simpy.Environment()
    first, second = Calls(env), Calls(env)
    ran = []
    first.at(1.0, ran.append, "a")
    second.at(1.0, ran.append, "b")  # numbered between the first's two calls: runs between them
    first.at(1.0, ran.append, "c")
    first.at(1.0, ran.append, "d")  # back to back with "c": shares its event
    env.run()
    assert ran == ["a", "b", "c", "d"]
    assert (first.batched, second.batched) == (1, 0)


def test_later_calls_at_one_time_share_an_event_across_calls_at_other_times():
    """Calls of one time made with only this Calls' own calls in between share one event; an
    event of another kind numbered in between ends the sharing (it may fall at that time)."""
    env = simpy.Environment()
    calls = Calls(env)
    ran = []
    calls.at(1.0, ran.append, "a")
    calls.at(2.0, ran.append, "b")
    calls.at(1.0, ran.append, "c")  # joins "a" across "b"
    calls.at(0.0, ran.append, "now")  # due now: its event does not end the sharing
    calls.at(2.0, ran.append, "d")  # joins "b"
    env.timeout(2.0).callbacks.append(lambda _ev: ran.append("timeout"))
    calls.at(1.0, ran.append, "e")  # after the timeout: an event of its own
    calls.at(2.0, ran.append, "f")  # and so, though "e" came in between, at 2.0 (after the timeout)
    env.run()
    assert ran == ["now", "a", "c", "e", "b", "d", "timeout", "f"]
    assert (calls.batched, next(env._eid)) == (2, 6)
    assert not calls._later  # an event that ran is no longer held (a long run has one per moment)


def test_calls_enter_simpys_queue_as_its_own_events_do():
    """`Calls.at` pushes its events onto SimPy's queue itself, with SimPy's key (time, priority,
    id), and its events carry only what `Environment.step` reads (tests above run them through
    `step`). Fails if SimPy changes either: the key `schedule` gives, or an event `step` handles."""
    env, ref = simpy.Environment(), simpy.Environment()
    calls = Calls(env)
    ran = []
    for when in (0.0, 1.5, 0.25):
        calls.at(when, ran.append, when)
        ref.schedule(simpy.Event(ref), delay=when)
    env.timeout(0.25)  # numbered after the calls, by SimPy itself
    ref.timeout(0.25)
    assert [entry[:3] for entry in env._queue] == [entry[:3] for entry in ref._queue]
    assert [type(t) for t, *_ in env._queue] == [type(t) for t, *_ in ref._queue]
    env.run()
    assert ran == [0.0, 0.25, 1.5] and env.now == 1.5


def test_calls_due_now_that_calls_due_now_make_run_in_their_event():
    """A call due now that makes another due now (a power delivery, no transport time, completing a line that
    places the next): the first one's event runs them all, in turn, as SimPy would run one event each."""
    env = simpy.Environment()
    calls = Calls(env)
    ran = []

    def step(k):
        ran.append((env.now, k))
        if k < 3:
            calls.at(env.now, step, k + 1)

    calls.at(1.0, step, 0)
    env.run()
    assert ran == [(1.0, 0), (1.0, 1), (1.0, 2), (1.0, 3)]
    # the call at 1.0 has its event, and the three it chained share the one the first of them made
    assert (next(env._eid), calls.batched) == (2, 2)


def test_a_call_falls_at_the_time_a_simpy_timeout_of_its_delay_would():
    """At a time like 0.3, `now + (when - now)` may round above `when` (6/7 here): a call at `when` falls at
    the time SimPy gives a timeout of `when - now`, so it runs after one made before it, not alone before."""
    env = simpy.Environment()
    calls = Calls(env)
    ran = []
    now, when = 0.3, 6 / 7
    assert now + (when - now) != when  # the case this checks

    def at_now(_ev):
        env.timeout(when - env.now).callbacks.append(lambda _e: ran.append(("timeout", env.now)))
        calls.at(when, lambda: ran.append(("call", env.now)))

    env.timeout(now).callbacks.append(at_now)
    env.run()
    assert ran == [("timeout", now + (when - now)), ("call", now + (when - now))]
