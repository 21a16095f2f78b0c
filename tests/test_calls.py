"""Timed calls: calls SimPy would run back to back share one kernel event, yet run in SimPy's own order."""

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


def play(program, make_at):
    """Run `program` (roots at given times, plus a daily process adding calls due now) and
    log (time, call) in the order the calls ran."""
    env = simpy.Environment()
    at = make_at(env)
    log = []

    def call(path, node):
        log.append((env.now, path))
        for k, kid in enumerate(node[1]):
            at(env.now + kid[0], call, path + (k,), kid)

    def daily():
        for day in range(4):
            at(env.now, call, ("day", day), (0.0, ((0.0, ()), (1.0, ()))))
            yield env.timeout(1)

    for r, (when, node) in enumerate(program):
        at(when, call, (r,), node)
    env.process(daily())
    env.run(until=20)
    return log, env


@settings(max_examples=150, deadline=None)
@given(PROGRAMS)
def test_calls_run_in_the_order_of_one_simpy_event_each(program):
    calls = {}

    def make(env):
        calls["c"] = Calls(env)
        return calls["c"].at

    got, env = play(program, make)
    want, ref_env = play(program, one_event_per_call)
    assert got == want
    # every call ran, and the ones that shared an event saved one each
    assert next(env._eid) + calls["c"].batched == next(ref_env._eid)


def test_calls_due_now_share_one_event():
    env = simpy.Environment()
    calls = Calls(env)
    ran = []
    for k in range(5):
        calls.at(0.0, ran.append, k)
    calls.at(1.0, ran.append, "later")
    env.run()
    assert ran == [0, 1, 2, 3, 4, "later"]
    assert calls.batched == 4
    assert next(env._eid) == 2  # one event for the five calls due now, one for the later call


def test_later_calls_at_one_time_back_to_back_share_one_event():
    env = simpy.Environment()
    calls = Calls(env)
    ran = []
    for k in range(3):
        calls.at(1.0, ran.append, k)
    env.timeout(1.0).callbacks.append(lambda _ev: ran.append("timeout"))  # numbered in between: runs in between
    calls.at(1.0, ran.append, 3)
    calls.at(2.0, ran.append, "later")
    env.run()
    assert ran == [0, 1, 2, "timeout", 3, "later"]
    assert calls.batched == 2
    assert next(env._eid) == 4  # one event for the first three calls, the timeout, one each for the last two


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
