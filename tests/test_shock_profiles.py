"""A shock's profile and reach by hand: the multiplier over its whole days, the recovery ramp day by day
(also for a shock begun before the run), when random occurrences fall, which flows a transport shock's
target picks, and how deep `worst_stack` says a shock may stack."""

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from supplychain.engine import World
from supplychain.engine.shocks import _profile, occurrences, worst_stack
from supplychain.scenario_events import Shock
from supplychain.scenario_schema import Scenario

from conftest import serial_chain
from test_shocks import MODEL, START, idx, shock, world


def test_a_recovery_ramp_climbs_from_the_multiplier_to_one_in_recovery_plus_one_steps():
    """Multiplier 0 over days 2-4, recovery 1: day 5 is halfway back (1/2), day 6 whole."""
    np.testing.assert_allclose(_profile(8, 2, 3, 1, 0.0), [1, 1, 0, 0, 0, 0.5, 1, 1])
    np.testing.assert_allclose(_profile(8, 2, 3, 3, 0.2), [1, 1, 0.2, 0.2, 0.2, 0.4, 0.6, 0.8])


def test_a_shock_begun_before_the_run_acts_for_what_is_left_of_it():
    """Begun 4 days before the run for 6 days: days 0 and 1 at the multiplier. Begun 4 days before for 2 days
    with 4 days of recovery: the run sees the ramp's last two steps, 3/5 and 4/5 of the way back."""
    np.testing.assert_allclose(_profile(6, -4, 6, 0, 0.5), [0.5, 0.5, 1, 1, 1, 1])
    np.testing.assert_allclose(_profile(6, -4, 2, 4, 0.0), [0.6, 0.8, 1, 1, 1, 1])
    np.testing.assert_allclose(_profile(6, -10, 2, 4, 0.0), np.ones(6))  # over, ramp and all, before day 0


def test_a_shock_begun_before_the_run_shows_in_the_capacity_from_day_0():
    w = world(shock("capacity", 0.5, start="2021-12-29", duration_days=5, target={"ids": ["fab_tw"]}))
    np.testing.assert_allclose(w.net.cap_mult[idx(w, "fab_tw"), :4], [0.5, 0.5, 1, 1])


def test_random_occurrences_start_on_the_day_of_each_poisson_arrival_between_first_and_last():
    """Arrivals are `first` plus exponential gaps of 365.25 / rate days, each occurrence starting on the
    whole day its arrival falls in, up to (not at) `last`; each draws its duration after its gap."""
    s = Shock.model_validate({"id": "q", "kind": "capacity", "multiplier": 0.5, "duration_days": {"dist": "uniform", "low": 1, "high": 9},
                              "random": {"rate_per_year": 20, "first": "2023-01-01", "last": "2024-01-01"}})
    got = occurrences(s, np.random.default_rng(3), dt.date(2022, 1, 1), 1000)
    rng, t, want = np.random.default_rng(3), 365.0, []
    while (t := t + rng.exponential(365.25 / 20)) < 730:
        want.append((math.floor(t), 1 + 8 * rng.random()))
    assert len(want) > 10 and got == want
    assert all(365 <= day < 730 for day, _ in got)


@pytest.mark.parametrize("target,hit", [
    ({"countries": ["KR"]}, {"hbm_kr->pkg_tw", "hbm_kr->pkg_cn"}),  # the flows touching Korea's nodes
    ({"edge_to_countries": ["US"], "edge_from_countries": ["TW"]}, {"pkg_tw->vend"}),
    ({"edge_to_countries": ["CN"], "edge_from_countries": ["US"]}, {"vend->lab_cn", "tools->fab_cn"}),
])
def test_a_transport_shock_slows_the_flows_its_target_picks_and_no_other(target, hit):
    w = world(shock("transport", 3.0, target=target))
    slowed = {f"{w.net.ids[f.supplier]}->{w.net.ids[f.customer]}" for f in w.net.flows if f.transport_mult[START] == 3.0}
    assert slowed == hit
    assert all(f.transport_mult[START - 1] == 1.0 for f in w.net.flows)


def test_worst_stack_is_one_deep_for_a_scheduled_shock_and_none_for_a_multiplier_of_at_most_one():
    grow = Shock.model_validate({"id": "g", "kind": "demand", "start": "2023-01-01", "multiplier": 2.0})
    assert worst_stack(grow, 1000) == (1, math.log(2.0))
    assert worst_stack(grow.model_copy(update={"multiplier": 1.0}), 1000) == (0, 0.0)


def test_worst_stack_counts_a_random_shock_over_its_longest_footprint_and_a_plan_shock_over_the_run():
    """A demand shock of 10 days and 5 of recovery stacks with those begun in the 16 days before; a plan shock
    scales growth from its start on, so with every one of the run's; a rare shock still stacks one deep."""
    spec = {"id": "g", "kind": "demand", "multiplier": 2.0, "duration_days": 10, "recovery_days": 5, "random": {"rate_per_year": 36.525}}
    depth = lambda days: int(stats.poisson.ppf(1 - 1e-9, 0.1 * days)) + 1
    assert worst_stack(Shock.model_validate(spec), 3000)[0] == depth(16)
    assert worst_stack(Shock.model_validate({**spec, "kind": "plan"}), 3000)[0] == depth(3000)
    rare = Shock.model_validate({**spec, "random": {"rate_per_year": 1e-9}})
    assert worst_stack(rare, 3000) == (1, math.log(2.0))


def logged(w, shock_id):
    return [r[4] for r in w.events if r[1] == "shock" and r[2] == shock_id]


def test_capacity_and_yield_shocks_reach_a_source_only_if_it_has_a_capacity_and_a_packager_always():
    """A source without a capacity has no capacity to cut: the shock leaves it (and its log) alone. A yield
    shock reaches a packaging node without a capacity all the same (the yield of its kits)."""
    sc = Scenario.model_validate({"name": "s", "end": "2022-12-31", "shocks": [
        {"id": "cut", "kind": "capacity", "start": "2022-03-01", "duration_days": 10, "multiplier": 0.5, "target": {"ids": ["src"]}}]})
    w = World(serial_chain(None, 1.0, 1.0, 1.0, 1.0), sc, 0)
    assert logged(w, "cut") == [""] and (w.net.cap_mult[w.net.index["src"]] == 1.0).all()
    model = MODEL.model_copy(deep=True)
    pkg = next(n for n in model.nodes if n.id == "pkg_tw")
    pkg.capacity = None
    w = World(model, Scenario.model_validate({"name": "s", "end": "2024-12-31", "shocks": [
        shock("yield", 0.5, target={"ids": ["pkg_tw"]})]}), 0)
    assert logged(w, "s1") == ["pkg_tw"] and w.net.yields[idx(w, "pkg_tw"), START] == pytest.approx(0.5 * w.net.yields[idx(w, "pkg_tw"), 0])


def test_a_demand_shock_scales_a_demand_nodes_stream_in_its_window():
    sc = Scenario.model_validate({"name": "s", "end": "2022-12-31", "shocks": [
        {"id": "surge", "kind": "demand", "start": "2022-03-01", "duration_days": 10, "multiplier": 2.0, "target": {"ids": ["cust"]}}]})
    w = World(serial_chain(7.0, 1.0, 1.0, 1.0, 1.0), sc, 0)
    row = w.net.demand_mult[w.net.index["cust"]]
    assert logged(w, "surge") == ["cust"] and (row[59:69] == 2.0).all() and row[58] == 1.0 and row[69] == 1.0


def test_a_yield_shock_above_one_raises_a_yield_to_one_at_most():
    w = world(shock("yield", 2.0, target={"ids": ["fab_tw"]}))  # yield 0.8
    row = w.net.yields[idx(w, "fab_tw")]
    assert (row[START - 1], row[START], row[START + 100]) == (pytest.approx(0.8), 1.0, pytest.approx(0.8))
