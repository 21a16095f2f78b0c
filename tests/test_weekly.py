"""Weekly records: column blocks give the long tables row by row, and the fleet's stranded
H100e (a running sum) equals its definition scanned from the waiting queue."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from pandas.testing import assert_frame_equal

from supplychain.engine import World
from supplychain.engine.weekly import WeeklyBlocks, _stock, _stock_rows, fleet_blocks
from supplychain.results import simulate
from supplychain.scenario_schema import Scenario
from supplychain.topology import parse_topology, read_yaml

from conftest import ROOT

START = dt.date(2022, 1, 1)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 4), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_blocks_give_the_rows_week_by_week_in_entity_order(weeks, size, seed):
    rng = np.random.default_rng(seed)
    ids = [f"n{i}" for i in range(size)]
    blocks = WeeklyBlocks(("day", "node", "a", "b"), {"node": ids})
    rows = []
    for k in range(weeks):
        a, b = rng.random(size), rng.integers(0, 9, size)
        blocks.add(7 * k, a, b)
        rows += [(7.0 * k, ids[i], a[i], b[i]) for i in range(size)]
    got = blocks.frame(START)
    want = pd.DataFrame.from_records(rows, columns=["day", "node", "a", "b"])
    want["date"] = pd.Timestamp(START) + pd.to_timedelta(want["day"], unit="D")
    assert list(got.columns) == ["day", "node", "a", "b", "date"]
    assert len(got) == weeks * size
    if weeks:
        assert_frame_equal(got, want, check_dtype=False)


def _stranded_by_scan(labs, j: int, day: int) -> float:
    """The definition: waiting H100e less the deliveries still commissioning."""
    st_ = labs.states[j]
    commissioning = sum(u * labs.net.products[s].h100e for ready, s, u, _ in st_.waiting if ready > day)
    return max(st_.waiting_h100e - commissioning, 0.0)


def test_stranded_running_sum_equals_the_scan_while_power_binds():
    data = read_yaml(ROOT / "topology" / "minimal.yaml")
    for node in data["nodes"]:
        if node["id"] == "lab":
            node.update(fleet={"acc": 1000}, power_mw=2.0,
                        target_h100e={"points": {"2022-01-01": 1000, "2022-06-01": 50000}})
    sc = Scenario.model_validate({"name": "strand", "start": START, "end": "2024-06-30",
                                  "labs": {"commissioning_days": 45}})
    w = World(parse_topology(data), sc, 0)
    seen: list[float] = []

    def check(day: int) -> None:  # called weekly, right after the week's record
        got = w.labs.stranded_all(day).copy()
        want = [_stranded_by_scan(w.labs, j, day) for j in range(len(w.labs.states))]
        assert got == pytest.approx(want, rel=1e-9, abs=1e-6)
        seen.append(float(got.max()))

    w.run(progress=check)
    assert len(seen) > 100
    assert max(seen) > 0, "the scenario must strand accelerators for the check to mean anything"


def test_stranded_running_sums_equal_the_scan_with_labs_of_different_commissioning_times():
    """Deliveries still commissioning wait in one queue per commissioning time (`Labs.stranded_all`): two labs
    share one, the third has its own, and every lab's figure is still its own definition, week by week."""
    from supplychain.results import graph_to_model
    from supplychain.scenario import resolve

    resolved = resolve({"name": "strand3", "start": "2022-01-01", "end": "2025-12-31",
                        "per_lab": {"lab_us": {"commissioning_days": 20}, "lab_row": {"commissioning_days": 20},
                                    "lab_cn": {"commissioning_days": 90}}}, None)
    w = World(graph_to_model(resolved.topology), resolved.scenario, 0)
    assert sorted({st_.policy.commissioning_days for st_ in w.labs.states}) == [20, 90]
    seen = np.zeros(len(w.labs.states))

    def check(day: int) -> None:
        got = w.labs.stranded_all(day).copy()
        want = [_stranded_by_scan(w.labs, j, day) for j in range(len(w.labs.states))]
        assert got == pytest.approx(want, rel=1e-9, abs=1e-6)
        np.maximum(seen, got, out=seen)

    w.run(progress=check)
    assert (seen > 0).all(), "every lab must strand accelerators for the check to mean anything"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e7, 1e7, allow_nan=False), min_size=1, max_size=8), st.floats(1e-13, 1e-10))
def test_stocks_record_rounding_residue_as_zero_and_keep_real_negatives(values, residue):
    x = np.array(values + [-residue])
    got = _stock(x)
    assert got[-1] == 0.0  # what running sums leave where a stock emptied
    scale = max(1.0, float(np.abs(x).max()))
    keep = (x >= 0) | (x <= -1e-9 * scale)
    np.testing.assert_array_equal(got[keep], x[keep])  # a negative beyond rounding (a bug) still shows


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1e7, allow_nan=False), max_size=8), st.booleans())
def test_a_stock_with_nothing_negative_is_recorded_as_it_is_in_a_copy_of_its_own(values, negative_zero):
    """`_stock`'s shortcut (nothing below 0: nothing to zero) gives what the full test gives, -0.0 kept,
    in a new array: the weekly blocks keep it while the engine's own vector (`Labs.h100e`) moves on."""
    x = np.array(values + ([-0.0] if negative_zero else []), dtype=float)
    got = _stock(x)
    assert got is not x and not np.shares_memory(got, x) and got.dtype == np.float64
    np.testing.assert_array_equal(got, x)
    assert np.array_equal(np.signbit(got), np.signbit(x))


def test_no_stock_in_the_weekly_tables_is_negative():
    from supplychain import simulate

    r = simulate(None, ROOT / "policies" / "baseline.yaml")
    assert (r.tables["nodes"][["backlog", "wip"]] >= 0).all().all()
    fleet = r.tables["fleet"][["installed_h100e", "commissioning_h100e", "stranded_h100e", "on_order_h100e", "power_used_mw"]]
    assert (fleet >= 0).all().all()


_HBM_QUOTA = {"id": "hbm_quota", "action": "quota", "announced": "2027-01-23", "effective": "2027-01-23",
              "scope": {"product_kinds": ["hbm"]}, "quota": 0, "period_days": 7, "quota_excess": "refuse"}


@pytest.mark.parametrize("start, end, seed, extra", [
    # fleet and order book empty again and again: -1e-11 H100e installed gave training_flops -9e3 FLOP/s,
    # and -1e-9 on order (after 1e5 passed through) beat a tolerance scaled to what was left (nothing)
    ("2027-01-01", "2028-12-01", 4118873460, {"labs": {"lifetime_years": 0.01, "ordering": "smooth"},
                                               "controls": [_HBM_QUOTA]}),
    ("2027-06-01", "2029-05-01", 3435874791, {"labs": {"lifetime_years": 0.01}, "unconstrained": True}),  # installed -2e-9
    # all that waits is stranded: commissioning (waiting - stranded) was -1e-8
    ("2027-01-01", "2028-12-01", 642482542, {"labs": {"review_days": 400}, "unconstrained": True,
                                              "set": {"nodes.tsmc_cowos.cycle_time": 3000}}),
])
def test_a_fleet_that_emptied_records_no_negative_stock_or_compute(start, end, seed, extra):
    """Running sums of H100e leave float residues where a stock emptied; their tolerance is scaled to the
    most the lab ever held (what passed through), and the training compute is that of the fleet recorded."""
    from supplychain import simulate

    sc = {"name": "empties", "extends": str(ROOT / "policies" / "baseline.yaml"), "start": start, "end": end,
          "seed": seed, **extra}
    f = simulate(scenario=sc).tables["fleet"]
    cols = ["installed_h100e", "commissioning_h100e", "stranded_h100e", "on_order_h100e", "training_flops",
            "effective_training_flops"]
    assert (f[cols] >= 0).all().all(), f[cols].min()


def test_utilisation_mean_is_the_weeks_capacity_used_over_capacity_available():
    """A source of 14 a week fed 7 units once a week works 3.5 days of 7: the recorded day's snapshot
    (`utilisation`) reads 1 (the order arrives on the recording day), the week's mean (`utilisation_mean`) 0.5."""
    from supplychain.results import simulate

    from conftest import topo

    model = topo(
        [{"id": "src", "kind": "source", "makes": ["widget"], "capacity": 14.0, "cycle_time": 1},
         {"id": "depot", "kind": "stock", "item": "widget", "policy": "make_to_order"},
         {"id": "cust", "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": 1, "period_days": 7}}],
        [{"from": "src", "to": "depot", "product": "widget"}, {"from": "depot", "to": "cust", "product": "widget"}],
    )
    n = simulate(model, {"name": "u", "end": "2022-12-31"}).nodes
    steady = n[(n["node"] == "src") & (n["day"] >= 28)]
    assert np.allclose(steady["utilisation_mean"], 0.5)
    assert np.allclose(steady["utilisation"], 1.0)


def test_the_nodes_table_holds_capacity_limited_producers_and_no_utilisation_without_capacity():
    """README, `nodes`: a row per capacity-limited node (a source without a capacity has none), and
    `utilisation` empty where capacity was 0 (an outage from day 63 to 90), not 0, and `utilisation_mean` for
    the weeks down throughout."""
    from supplychain.results import simulate

    from conftest import topo

    model = topo(
        [{"id": "src", "kind": "source", "makes": ["widget"], "capacity": 14.0, "cycle_time": 1},
         {"id": "free", "kind": "source", "makes": ["gadget"], "cycle_time": 1},
         {"id": "depot", "kind": "stock", "item": "widget", "policy": "make_to_order"},
         {"id": "shed", "kind": "stock", "item": "gadget", "policy": "make_to_order"},
         {"id": "cust", "kind": "demand", "item": "widget", "demand": {"mode": "fixed", "rate": 1}},
         {"id": "cust2", "kind": "demand", "item": "gadget", "demand": {"mode": "fixed", "rate": 1}}],
        [{"from": "src", "to": "depot", "product": "widget"}, {"from": "depot", "to": "cust", "product": "widget"},
         {"from": "free", "to": "shed", "product": "gadget"}, {"from": "shed", "to": "cust2", "product": "gadget"}],
        {"widget": {"kind": "item"}, "gadget": {"kind": "item"}},
    )
    outage = {"id": "out", "kind": "capacity", "start": "2022-03-05", "duration_days": 28, "multiplier": 0.0,
              "target": {"ids": ["src"]}}
    n = simulate(model, {"name": "u", "end": "2022-06-30", "shocks": [outage]}).nodes
    assert set(n["node"]) == {"src"}
    down = n["capacity_per_week"] == 0.0
    assert set(n.loc[down, "day"]) == {63.0, 70.0, 77.0, 84.0}
    assert n.loc[down, "utilisation"].isna().all()
    assert n.loc[down & (n["day"] >= 70), "utilisation_mean"].isna().all()  # weeks down throughout
    assert n.loc[~down & (n["day"] >= 7), "utilisation"].notna().all()


_CELL = st.one_of(st.floats(-1e7, 1e7), st.floats(-1e-10, 1e-10), st.sampled_from([0.0, -0.0, np.nan, np.inf, -np.inf]))


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_stock_rows_give_the_bits_of_stock_week_by_week(weeks, size, data):
    """The weekly blocks zero residues at the end, every week's row at once: the same bits as `_stock` of
    each week's vector with its scale (residues, real negatives, -0.0, nan and inf rows)."""
    x = np.array(data.draw(st.lists(_CELL, min_size=weeks * size, max_size=weeks * size)), dtype=float).reshape(weeks, size)
    scales = data.draw(st.lists(st.floats(0.0, 1e8), min_size=weeks, max_size=weeks))
    for rows_scale, one in ((None, lambda r, s: _stock(r)), (scales, _stock)):
        got = _stock_rows(x, rows_scale)
        want = np.stack([one(x[k], scales[k]) for k in range(weeks)])
        assert got.tobytes() == want.tobytes()


def test_a_producers_backlog_and_wip_are_what_it_was_ordered_less_started_and_its_rate_times_its_cycle():
    """A source of 14 a week (2 a day) with a 5-day cycle, ordered 5 a day from day 1: on each weekly
    row from day 7, `backlog` (capacity still to start, README) is the 5 x d ordered less the 2 x d
    started, and `wip` (started, not finished) the 2 a day x 5 days in production."""
    from conftest import serial_chain

    r = simulate(serial_chain(14.0, 5, 1, 1, demand_rate=5, mode="fixed"),
                 {"name": "r", "start": START, "end": "2022-03-31"})
    rows = r.nodes[(r.nodes["node"] == "src") & (r.nodes["day"] >= 7)]
    assert len(rows) >= 10
    assert list(rows["backlog"]) == pytest.approx([5 * d - 2 * d for d in rows["day"]])
    assert list(rows["wip"]) == pytest.approx([10.0] * len(rows))


def test_a_labs_power_is_not_zeroed_against_its_fleets_peak_of_h100e():
    """The fleet rows zero an H100e column's residue against the lab's peak fleet (1e-9 of 1e6 H100e:
    -1e-4 is a residue), but `power_used_mw` only against its own week's values: -1e-4 MW there is a
    real negative, and shows."""
    from types import SimpleNamespace

    w = SimpleNamespace(net=SimpleNamespace(ids=["lab"]), labs=SimpleNamespace(nodes=[0]))
    blocks = fleet_blocks(w)
    one = lambda v: np.array([v])
    blocks.add(7.0, one(0.0), one(-1e-4), one(0.0), one(-1e-4), one(1e6), one(5.0), one(-1e-4), one(0.0), one(0.0),
               one(0.0), scale=1e6)
    row = blocks.frame(START).iloc[0]
    assert row["commissioning_h100e"] == 0.0 and row["on_order_h100e"] == 0.0
    assert row["power_used_mw"] == -1e-4
