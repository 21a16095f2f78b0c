"""Plug-ins on worker processes and Dask workers: a work unit carries the entries its files name, by reference or
by value; what a worker raises comes back whole, with the user's exception as its cause."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest
from _plugins import POLICY, forget  # noqa: F401 - forget is a fixture
from _topo import MINIMAL

from supplychain.engine.ordering import ORDERING_POLICIES
from supplychain.engine.production import ALLOCATION_RULES
from supplychain.engine.shocks import SHOCK_KINDS
from supplychain.errors import PluginError
from supplychain.plugins import install, load_plugin, plugins_used


def test_a_unit_carries_exactly_the_plugins_its_files_name(tmp_path, forget):
    (tmp_path / "kinds.py").write_text(textwrap.dedent('''
        from supplychain.engine.shocks import register_shock_kind

        @register_shock_kind("halve")
        def halve(net, shock, f, begin, nodes):
            net.cap_mult[nodes] *= 0.5
            return ""
    ''') + textwrap.dedent(POLICY))
    module = load_plugin(str(tmp_path / "kinds.py"))
    from supplychain.scenario import resolve

    sc = resolve({"name": "p", "topology": str(MINIMAL), "end": "2022-03-31", "labs": {"ordering": "half_gap"},
                  "shocks": [{"id": "h", "kind": "halve", "start": "2022-02-01", "multiplier": 0.5}]})
    from supplychain.topology import graph_to_model

    used = plugins_used(graph_to_model(sc.topology), sc.scenario)
    assert {(r, n) for r, n, _ in used} == {("allocation", "fifo"), ("ordering", "half_gap"), ("shock", "halve")}
    assert dict(((r, n), e) for r, n, e in used)[("allocation", "fifo")] is ALLOCATION_RULES["fifo"]  # by reference
    del ORDERING_POLICIES["half_gap"], SHOCK_KINDS["halve"]
    install(used)  # as a Dask worker does: the file's entries arrive by value, copies that work alike
    from supplychain.engine.ordering import Review

    review = Review("lab", 0.0, 100.0, 40.0, 100.0, 14.0, {"part": 0.5})
    assert ORDERING_POLICIES["half_gap"].decide(review) == module.half_gap(review) == 30.0
    assert ORDERING_POLICIES["half_gap"].defaults == {"part": 0.5} and SHOCK_KINDS["halve"].__name__ == "halve"


def test_plugin_and_input_errors_survive_pickling_whole():
    """A worker process raises them and the parent prints them: the fields, the option and the type come back."""
    import pickle

    from supplychain.errors import InputError

    for err in (PluginError("ordering", "x", "returned nan"), InputError.bad_option("--seed", "must be at least 0"),
                InputError("f.yaml", "nodes.a", "bad")):
        back = pickle.loads(pickle.dumps(err))
        assert (type(back), str(back), back.file, back.field, back.problem, back.option) == \
               (type(err), str(err), err.file, err.field, err.problem, err.option)


def test_installing_a_copy_of_a_built_in_keeps_the_built_in():
    """A unit's plug-ins may come back from pickling as copies (an ordering policy is a dataclass):
    installing one where the registry already holds an equal entry must keep the built-in, or every
    later run in the process reads it as a user's plug-in (its store fingerprint changed, and a resume
    refused the replications it had just stored)."""
    import pickle

    from supplychain.engine.ordering import BUILT_IN
    from supplychain.plugins import plugins_fingerprint
    from supplychain.scenario_schema import Scenario
    from supplychain.topology import graph_to_model, load_topology

    original = ORDERING_POLICIES["order_up_to"]
    copy = pickle.loads(pickle.dumps(original))
    assert copy is not original and copy == original
    try:
        install((("ordering", "order_up_to", copy),))
        assert ORDERING_POLICIES["order_up_to"] is BUILT_IN["order_up_to"]
        assert plugins_fingerprint(graph_to_model(load_topology(MINIMAL)), Scenario.model_validate({"name": "x"})) is None
    finally:
        ORDERING_POLICIES["order_up_to"] = original


class _Unrebuildable(Exception):
    """Pickles, but cannot be unpickled (its constructor takes two arguments, its args hold one)."""

    def __init__(self, a, b):
        super().__init__(f"{a} {b}")


def _divides(book, budget, y):
    return [(o, 1 / 0) for o in book]


def _unrebuildable(book, budget, y):
    raise _UNREBUILDABLE[-1]("a", "b")


_UNREBUILDABLE: list[type] = [_Unrebuildable]  # the class the rule raises: one defined after Dask was imported too


def _define_after_dask() -> type:
    """An exception class defined once `distributed` is imported, as in a notebook that used Dask first: tblib then
    pickles every exception it knew with its chain (`PluginError` included), and this one by its `args`, which
    do not rebuild it."""
    import distributed  # noqa: F401 - installs tblib's pickling of the exception classes defined so far

    cls = type("_LateUnrebuildable", (_Unrebuildable,), {"__module__": __name__})
    globals()["_LateUnrebuildable"] = cls  # found by name when pickled
    return cls


@pytest.mark.parametrize("dask_imported", [False, True])
@pytest.mark.parametrize("workers", [1, 2])
def test_a_plugin_errors_cause_is_the_users_exception_also_from_a_worker_process(workers, dask_imported):
    """README: a `PluginError`'s `__cause__` is the exception the user's code raised. From a worker process it
    was concurrent.futures' traceback text instead (pickling drops a cause, and the pool puts its own in);
    the worker's traceback, which names the user's line, stays as that exception's cause. An exception that
    cannot come back whole leaves the traceback text as the cause, not a broken pool, also once `distributed`
    is imported (a notebook that used Dask), which pickles every exception with its chain (tblib): the
    parent failed to rebuild the chain and the pool broke. (Once imported it stays: the first parameter
    runs without it only if nothing before imported it.)"""
    if dask_imported:
        pytest.importorskip("distributed")
        _UNREBUILDABLE.append(_define_after_dask())
    from supplychain.engine.allocation import register_allocation
    from supplychain.experiment import run_experiment
    from supplychain.topology import parse_topology
    from _topo import minimal_data

    data = minimal_data()
    next(n for n in data["nodes"] if n["id"] == "packager")["allocation"] = "raising"
    sc = {"name": "c", "end": "2022-09-30"}
    try:
        for rule, want in ((_divides, ZeroDivisionError), (_unrebuildable, None)):
            register_allocation("raising")(rule)
            model = parse_topology(data)
            with pytest.raises(PluginError) as got:
                run_experiment(sc, replications=2, seed=1, workers=workers, topology=model)
            assert str(got.value).startswith("<plugin>: allocation.raising: raised ")
            if want is None:
                assert got.value.__cause__ is not None
                continue
            assert type(got.value.__cause__) is want and str(got.value.__cause__) == "division by zero"
            if workers > 1:  # where in the user's code: the worker's traceback
                assert "return [(o, 1 / 0) for o in book]" in str(got.value.__cause__.__cause__)
    finally:
        ALLOCATION_RULES.pop("raising", None)
        del _UNREBUILDABLE[1:]


def test_a_lambda_or_a_factory_made_plugin_runs_on_worker_processes_as_in_one(forget):
    """A policy a factory made (one per parameter value) or a lambda, registered in a notebook, stopped
    `run_experiment` on worker processes with pickle's "Can't pickle local object" (a unit carries the entries it
    names, and pickle finds a function by name): they go by value. In one process the entry itself runs, so
    what its closure records stays the user's."""
    from supplychain.engine.ordering import register_ordering
    from supplychain.experiment import run_experiment

    def part_of_gap(part, calls):
        def decide(r):
            calls.append(r.now)
            return part * (r.level - r.position)
        return decide

    calls: list[float] = []
    register_ordering("half_gap")(part_of_gap(0.5, calls))
    register_ordering("whole_gap")(lambda r: r.level - r.position)
    sc = {"name": "f", "topology": str(MINIMAL), "end": "2022-06-30", "labs": {"ordering": "half_gap"},
          "per_lab": {"lab": {"ordering": "whole_gap"}}}
    try:
        one = run_experiment(sc, replications=2, seed=3, workers=1)
        two = run_experiment(sc, replications=2, seed=3, workers=2)
        pd.testing.assert_frame_equal(one.orders, two.orders)
        sc["per_lab"] = {}
        calls.clear()
        run_experiment(sc, replications=1, seed=3, workers=1)
        assert calls  # the copy a unit carries would have recorded into a copy of the list
    finally:
        ORDERING_POLICIES.pop("whole_gap", None)


def test_random_plugins_give_the_same_tables_for_the_same_seed_serial_or_on_worker_processes(forget):
    """A lottery allocation rule, a noisy ordering policy and a random shock footprint draw from their seeded
    streams (`ctx.rng`, `review.rng`, `rng=`): serial and forked workers give the same tables, another seed
    other ones. test_dask runs them on Dask workers."""
    from _plugins import RANDOM_SCENARIO, random_topology, register_random

    from supplychain.experiment import run_experiment

    register_random()
    model = random_topology()
    one = run_experiment(RANDOM_SCENARIO, replications=2, seed=5, workers=1, topology=model)
    two = run_experiment(RANDOM_SCENARIO, replications=2, seed=5, workers=2, topology=model)
    other = run_experiment(RANDOM_SCENARIO, replications=2, seed=6, workers=1, topology=model)
    for name in one.tables:
        pd.testing.assert_frame_equal(one.tables[name], two.tables[name], obj=name)
    assert not one.orders["qty"].equals(other.orders["qty"])
    shocked = [r.events.query("type == 'shock'")["supplier"].tolist() for r in (one, other)]
    assert all(len(s) == 2 for s in shocked) and shocked[0] != shocked[1]  # one node a replication, drawn


def test_a_plugin_no_pickler_can_send_runs_on_forked_worker_processes(forget):
    """A policy holding a lock: pickle and cloudpickle both refuse it, and the pool's feeder thread failed with a
    traceback (exit 1) on `-w 2`. A forked worker inherited the registry, so the unit names the entry and the
    worker takes its own copy; test_dask checks that a Dask worker, which has none, refuses it in one line."""
    from _plugins import register_locked

    from supplychain.experiment import run_experiment

    register_locked()
    sc = {"name": "locked", "topology": str(MINIMAL), "end": "2022-06-30", "labs": {"ordering": "locked_gap"}}
    one = run_experiment(sc, replications=2, seed=3, workers=1)
    two = run_experiment(sc, replications=2, seed=3, workers=2)
    for name in one.tables:
        pd.testing.assert_frame_equal(one.tables[name], two.tables[name], obj=name)
