"""Sourcing (`sourcing.elasticity`): buyers move new orders toward the suppliers quoting shorter lead times.

The weights are worked out by hand from the weekly quotes the run itself records (`lead_times`),
and checked against the split of the orders placed between two weekly records.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _topo import MINIMAL, assert_clean_failure, cli, minimal_data, node
from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.engine import World
from supplychain.engine.sourcing import MIN_QUOTE_DAYS
from supplychain.results import simulate
from supplychain.scenario_schema import Scenario
from supplychain.topology import parse_topology

from conftest import topo


def two_sources(slow_capacity: float | None = 3.0, shares: tuple[object, object] = (0.5, 0.5)) -> object:
    """Two sources of one widget with equal edge shares (or `shares`: slow's, fast's) into a base-stock depot:
    `slow` makes `slow_capacity` a week (a queue that grows under 4 a day of demand), `fast` has no limit."""
    slow = {"id": "slow", "kind": "source", "makes": ["widget"], "cycle_time": 2}
    if slow_capacity is not None:
        slow["capacity"] = slow_capacity
    return topo(
        [slow, {"id": "fast", "kind": "source", "makes": ["widget"], "cycle_time": 2},
         {"id": "depot", "kind": "stock", "item": "widget", "policy": "base_stock", "base_stock": 40},
         {"id": "cust", "kind": "demand", "item": "widget", "demand": {"mode": "poisson", "rate": 4.0, "size": 1}}],
        [{"from": "slow", "to": "depot", "product": "widget", "transport": 3, "share": shares[0]},
         {"from": "fast", "to": "depot", "product": "widget", "transport": 3, "share": shares[1]},
         {"from": "depot", "to": "cust", "product": "widget"}],
    )


def run(model, end: str = "2022-12-31", **sourcing):
    return simulate(model, {"name": "src", "start": "2022-01-01", "end": end, "seed": 3, "sourcing": sourcing})


def depot_series(r) -> pd.DataFrame:
    """Weekly quote and share of both flows into the depot, one row per week."""
    lt = r.lead_times[r.lead_times["customer"] == "depot"]
    return lt.pivot_table(index="day", columns="supplier", values=["quoted_days", "share"])


def expected_weights(q: pd.DataFrame, elasticity: float, half_life: float) -> pd.DataFrame:
    """The weights week by week, from 1: each moves 1 - 0.5^(7 / half-life) of the way to (q_min / q)^e."""
    alpha = 1.0 if half_life == 0 else 1.0 - 0.5 ** (7.0 / half_life)
    w = np.ones(q.shape[1])
    out = []
    for row in q.to_numpy():
        row = np.maximum(row, MIN_QUOTE_DAYS)
        w = w + alpha * ((row.min() / row) ** elasticity - w)
        out.append(w.copy())
    return pd.DataFrame(out, index=q.index, columns=q.columns)


def test_by_default_a_need_splits_by_the_fixed_edge_shares():
    r = run(two_sources())
    rep = r.orders[r.orders["kind"] == "replenish"]
    by_time = rep.pivot_table(index="ordered", columns="supplier", values="qty", aggfunc="sum")
    assert len(by_time) > 100 and np.allclose(by_time["slow"], by_time["fast"])
    s = depot_series(r)
    assert (s["share"] == 0.5).all().all()
    assert s["quoted_days"]["slow"].iloc[-1] > 10 * s["quoted_days"]["fast"].iloc[-1]  # while the slow queue grows


def test_without_sourcing_a_need_splits_by_the_edge_shares_of_its_day():
    """With constant shares a need's split is kept per (customer, product) (`Net.split`; the test above); shares
    that move are read on each order's day: slow's share falls from 0.9 to 0.1 over the year, fast's rises
    (points interpolated daily)."""
    shares = ({"points": {"2022-01-01": 0.9, "2022-12-31": 0.1}}, {"points": {"2022-01-01": 0.1, "2022-12-31": 0.9}})
    r = run(two_sources(None, shares))
    rep = r.orders[r.orders["kind"] == "replenish"]
    by_day = rep.pivot_table(index="ordered", columns="supplier", values="qty", aggfunc="sum")
    assert len(by_day) > 100
    days = by_day.index.to_numpy()
    np.testing.assert_allclose((by_day["slow"] / (by_day["slow"] + by_day["fast"])).to_numpy(),
                               0.9 + (0.1 - 0.9) * np.floor(days) / 364, rtol=1e-9, atol=1e-12)


def test_orders_split_by_the_weights_the_quotes_call_for():
    """Half-life 0: each week's weight is (q_min / q)^2 of that week's quotes, exactly; every order placed
    between two weekly records splits by the shares recorded with the first of them."""
    r = run(two_sources(), end="2023-12-31", elasticity=2.0, half_life_days=0)
    s = depot_series(r)
    w = expected_weights(s["quoted_days"], 2.0, 0.0)
    share = w.div(w.sum(axis=1), axis=0)  # equal edge shares cancel
    assert np.allclose(s["share"][["fast", "slow"]], share[["fast", "slow"]])

    rep = r.orders[r.orders["kind"] == "replenish"]
    split = rep.pivot_table(index="ordered", columns="supplier", values="qty", aggfunc="sum").dropna()
    week = np.floor(split.index / 7) * 7  # the record of day 7k comes before orders later that week
    inside = split.index.to_numpy() % 7 != 0  # on a record day itself the order of events decides
    got = (split["slow"] / split.sum(axis=1))[inside]
    want = s["share"]["slow"].reindex(week[inside]).to_numpy()
    assert len(got) > 100 and np.allclose(got.to_numpy(), want)


def test_a_slow_supplier_ends_with_its_capacity_share():
    """Weights that follow the quotes at once balance the queues: were `slow` given less than its
    capacity (3 of the 28 a week demanded), its queue would empty and its quote fall to `fast`'s, which
    gives it half; more, and its queue and quote grow without bound. So in the long run it is ordered
    3 / 28 of the goods (in the second year, once its first-year queue has settled)."""
    r = run(two_sources(), end="2023-12-31", elasticity=2.0, half_life_days=0)
    rep = r.orders[(r.orders["kind"] == "replenish") & (r.orders["ordered"] >= 365)]
    slow = rep.loc[rep["supplier"] == "slow", "qty"].sum() / rep["qty"].sum()
    assert slow == pytest.approx(3 / 28, abs=0.015)
    fixed = run(two_sources(), end="2023-12-31")
    q = fixed.lead_times.query("supplier == 'slow'")["quoted_days"]
    assert q.iloc[-1] > 10 * r.lead_times.query("supplier == 'slow'")["quoted_days"].iloc[-1]  # fixed shares: a queue of years


def test_the_split_moves_with_the_half_life():
    r = run(two_sources(), elasticity=1.0, half_life_days=60)
    s = depot_series(r)
    w = expected_weights(s["quoted_days"], 1.0, 60.0)
    assert np.allclose(s["share"][["fast", "slow"]], w.div(w.sum(axis=1), axis=0)[["fast", "slow"]])
    first = s["share"]["slow"]
    assert first.iloc[0] > 0.45 and first.iloc[-1] < 0.2  # slow at first, far along by the end of the year


def test_suppliers_quoting_alike_keep_their_shares_to_the_unit():
    """Both sources unlimited: equal quotes, weights 1, and the run is the fixed-share run, line for line."""
    model = two_sources(slow_capacity=None)
    plain, moving = run(model), run(model, elasticity=3.0, half_life_days=0)
    pd.testing.assert_frame_equal(plain.orders, moving.orders)
    pd.testing.assert_frame_equal(plain.lead_times, moving.lead_times)


def _banned_fast_hbm() -> tuple[object, dict]:
    """minimal.yaml with a second HBM maker, `hbm_cn`, quicker (50-day cycle against 150, ample capacity),
    but an export control refuses its HBM to the packager from mid-2022."""
    data = minimal_data()
    data["nodes"].append({**node(data, "hbm_maker"), "id": "hbm_cn", "country": "CN", "capacity": 1e6, "cycle_time": 50})
    data["edges"].append({"from": "hbm_cn", "to": "packager", "product": "hbm", "transport": {"dist": "fixed", "mean": 5}})
    ban = {"id": "cn_hbm", "announced": "2022-06-01", "effective": "2022-07-01", "action": "ban",
           "scope": {"supplier_countries": ["CN"], "product_kinds": ["hbm"]}}
    return parse_topology(data), ban


@pytest.mark.parametrize("elasticity", [0.0, 2.0])
def test_a_supplier_a_ban_refuses_gets_no_share_and_no_say_in_the_quote(elasticity: float):
    """After the ban, the packager's HBM goes to hbm_maker alone (as `order_from_suppliers` routes it),
    and the packager's quote counts only hbm_maker's: quote(packager -> vendor) = its transport +
    the packager's own quote + the slower of its inputs as their open suppliers quote them."""
    model, ban = _banned_fast_hbm()
    r = simulate(model, {"name": "ban", "end": "2023-06-30", "controls": [ban], "sourcing": {"elasticity": elasticity}})
    lt = r.lead_times
    into = lt[lt["customer"] == "packager"].pivot_table(index="day", columns="supplier", values=["quoted_days", "share"])
    after = into.index >= 181  # 2022-07-01
    assert (into["share"]["hbm_cn"][after] == 0.0).all() and (into["share"]["hbm_maker"][after] == 1.0).all()
    hbm_cn = r.orders[(r.orders["supplier"] == "hbm_cn") & (r.orders["ordered"] >= 181)]
    assert hbm_cn.empty
    out = lt[(lt["supplier"] == "packager")].set_index("day")["quoted_days"]
    node_q = r.nodes[r.nodes["node"] == "packager"].set_index("day")["quoted_days"]
    want = 2.0 + node_q + np.maximum(into["quoted_days"]["fab"], into["quoted_days"]["hbm_maker"])
    days = into.index[after]
    assert np.allclose(out.reindex(days), want.reindex(days))
    assert (into["quoted_days"]["hbm_cn"][after] < into["quoted_days"]["hbm_maker"][after]).all()  # quicker, but shut


def test_with_every_supplier_refused_the_shares_stand_and_the_orders_go_to_be_refused():
    """The README's `share`: 0 for a refused supplier only while another stays open. A ban on all HBM leaves
    the packager's split at the edge shares (not 0 for both), and its orders go on and are denied."""
    model, ban = _banned_fast_hbm()
    ban["scope"] = {"product_kinds": ["hbm"]}
    r = simulate(model, {"name": "ban", "end": "2022-12-31", "controls": [ban]})
    lt = r.lead_times
    into = lt[(lt["customer"] == "packager") & (lt["product"] == "hbm") & (lt["day"] >= 181)]
    assert len(into) and np.allclose(into.groupby("day")["share"].sum(), 1.0) and (into["share"] == 0.5).all()
    after = r.orders[(r.orders["product"] == "hbm") & (r.orders["ordered"] >= 181)]
    assert len(after) and (after["status"] == "denied").all()


def test_shares_row_with_every_supplier_refused_keeps_the_unequal_edge_shares():
    """`shares_row` by hand at edge shares 0.8 : 0.2 (the test above has equal ones, where equal shares are
    the edge shares): one supplier refused gives the other all; both refused leave the edge shares, as
    `order_from_suppliers` splits, not equal shares."""
    w = World(two_sources(shares=(0.8, 0.2)), Scenario.model_validate({"name": "x"}), 0)
    into = [f.index for f in w.net.flows if w.net.ids[f.customer] == "depot"]
    slow = next(i for i in into if w.net.ids[w.net.flows[i].supplier] == "slow")
    fast = next(i for i in into if i != slow)
    refused = np.zeros(len(w.net.flows), dtype=bool)
    row = w.sourcing.shares_row(0, refused)
    assert (row[slow], row[fast]) == pytest.approx((0.8, 0.2))
    refused[slow] = True
    row = w.sourcing.shares_row(0, refused.copy())
    assert (row[slow], row[fast]) == pytest.approx((0.0, 1.0))
    refused[fast] = True
    row = w.sourcing.shares_row(0, refused.copy())
    assert (row[slow], row[fast]) == pytest.approx((0.8, 0.2))


def _sourcing(model) -> object:
    return World(model, Scenario.model_validate({"name": "x", "sourcing": {"elasticity": 2.0}}), 0).sourcing


def test_targets_by_hand():
    s = _sourcing(two_sources())
    nan, inf = float("nan"), float("inf")
    slow, fast = (f.index for f in s.net.flows[:2])  # the edges in file order

    def targets(q_slow: float, q_fast: float, refused=None) -> tuple[float, float]:
        q = np.zeros(len(s.net.flows))
        q[slow], q[fast] = q_slow, q_fast
        t = dict(zip(s.seg_flow.tolist(), s.targets(q, refused).tolist()))
        return t[slow], t[fast]

    assert targets(40.0, 10.0) == pytest.approx((1 / 16, 1.0))
    assert targets(inf, 10.0) == (0.0, 1.0)
    assert targets(nan, 10.0) == (1.0, 1.0)  # no quote: nothing says it is slower
    assert targets(inf, inf) == (1.0, 1.0)  # nobody quotes a finite time: no one to move to
    assert targets(0.2, 0.5) == (1.0, 1.0)  # within a day: a tie
    assert targets(10.0, 40.0, np.array([False, True, False])) == (1.0, 0.0)  # the quick one is shut

    flows = s.net.flows[:2]  # weights of 0 everywhere leave nothing to split by: plain edge shares
    s._weights = [0.0] * len(s.net.flows)
    assert s.shares(flows, 0) == s.net.shares(flows, 0) == [0.5, 0.5]


@settings(max_examples=60, deadline=None)
@given(q=st.lists(st.one_of(st.floats(0.0, 1e4), st.just(float("inf")), st.just(float("nan"))), min_size=2, max_size=2),
       e=st.floats(0.01, 10.0))
def test_targets_are_weights_that_favour_the_quicker(q: list[float], e: float):
    s = _sourcing(two_sources())
    s.elasticity = e
    t = s.targets(np.array(q + [0.0]))
    assert ((t >= 0.0) & (t <= 1.0)).all()
    a, b = (max(x, MIN_QUOTE_DAYS) for x in q)
    if a == a and b == b and min(a, b) < float("inf"):  # both quoted: the quicker has target 1, the slower no more
        assert t[int(np.argmin([a, b]))] == 1.0
        assert t[0] >= t[1] if a <= b else t[1] >= t[0]


def test_a_negative_elasticity_is_refused_with_its_field(tmp_path: Path):
    sc = tmp_path / "s.yaml"
    sc.write_text(f"name: s\ntopology: {MINIMAL}\nend: 2022-06-30\nsourcing:\n  elasticity: -1\n", encoding="utf-8")
    line = assert_clean_failure(cli("run", sc, "--out", tmp_path / "out", "-q"))
    assert "sourcing.elasticity" in line and not (tmp_path / "out").exists()


def test_a_die_refused_for_the_accelerator_it_goes_into_gets_no_share():
    """A rule on the accelerator's designer (an entity listing, as the FDP rule on Huawei) refuses a fab's
    dies for that accelerator: the die itself names no designer, so the split must judge it by the
    accelerator the packager makes with it, as `order_from_suppliers` does for a kit's components."""
    data = minimal_data()
    data["nodes"].append({**node(data, "fab"), "id": "fab_cn", "country": "CN", "tech_origin": []})
    data["nodes"][-1].pop("expansion")
    data["edges"].append({"from": "fab_cn", "to": "packager", "product": "logic", "transport": {"dist": "fixed", "mean": 3}})
    fdp = {"id": "fdp", "announced": "2022-03-01", "effective": "2022-03-01", "action": "ban",
           "scope": {"tech_origin": ["US"], "entities": ["vendor"], "product_kinds": ["logic"]}}
    r = simulate(parse_topology(data), {"name": "fdp", "end": "2022-12-31", "controls": [fdp]})
    share = r.lead_times.query("customer == 'packager' and product == 'logic'").pivot_table(
        index="day", columns="supplier", values="share")
    after = share.index >= 59  # 2022-03-01
    assert (share["fab"][after] == 0.0).all() and (share["fab_cn"][after] == 1.0).all()
    assert (share["fab"][~after] == 0.5).all()
    late = r.orders.query("kind == 'component' and product == 'logic' and ordered >= 59")
    assert len(late) > 0 and set(late["supplier"]) == {"fab_cn"}


def test_a_supplier_without_a_quote_leaves_the_others_weighed_against_the_quickest_that_quotes():
    """Three sources of one widget: one with no quote this week (nan) has target 1 (nothing says it is slower),
    and the two that quote are weighed against the quicker of them, 10 and 40 days at elasticity 2 giving 1 and
    1/16, as if the third were not there (not 1 all round, as a group where no one quotes)."""
    src = [{"id": k, "kind": "source", "makes": ["widget"], "cycle_time": 2} for k in ("a", "b", "c")]
    model = topo(src + [{"id": "depot", "kind": "stock", "item": "widget", "policy": "base_stock", "base_stock": 40},
                        {"id": "cust", "kind": "demand", "item": "widget", "demand": {"mode": "poisson", "rate": 4.0, "size": 1}}],
                 [{"from": k, "to": "depot", "product": "widget", "transport": 3} for k in ("a", "b", "c")]
                 + [{"from": "depot", "to": "cust", "product": "widget"}])
    s = _sourcing(model)
    q = np.zeros(len(s.net.flows))
    q[:3] = float("nan"), 10.0, 40.0  # the edges in file order
    t = dict(zip(s.seg_flow.tolist(), s.targets(q).tolist()))
    assert (t[0], t[1], t[2]) == pytest.approx((1.0, 1.0, 1 / 16))


def test_with_sourcing_on_and_equal_quotes_the_split_and_the_share_column_follow_the_edge_shares_of_the_day():
    """Both sources unlimited (equal quotes, weights 1) with sourcing on: slow's edge share falls from 0.9 to 0.1
    over the year (fast's rises): each need splits by the shares of its day, and the weekly `share` column of
    `lead_times` is the share of its day, as without sourcing."""
    shares = ({"points": {"2022-01-01": 0.9, "2022-12-31": 0.1}}, {"points": {"2022-01-01": 0.1, "2022-12-31": 0.9}})
    r = run(two_sources(None, shares), elasticity=2.0, half_life_days=0)
    rep = r.orders[r.orders["kind"] == "replenish"]
    by_day = rep.pivot_table(index="ordered", columns="supplier", values="qty", aggfunc="sum")
    days = by_day.index.to_numpy()
    assert len(by_day) > 100 and days.max() > 300
    np.testing.assert_allclose((by_day["slow"] / (by_day["slow"] + by_day["fast"])).to_numpy(),
                               0.9 + (0.1 - 0.9) * np.floor(days) / 364, rtol=1e-9, atol=1e-12)
    s = depot_series(r)["share"]["slow"]
    np.testing.assert_allclose(s.to_numpy(), 0.9 + (0.1 - 0.9) * s.index.to_numpy() / 364, rtol=1e-9, atol=1e-12)



def test_a_labs_split_over_two_vendors_of_one_sku_is_its_own_whatever_their_quotes():
    """A lab's split over accelerators is its own (docs/model.md, section 2 item 8): buying one SKU from two vendors
    at edge shares 0.5 each, one of them 60 days of system integration slower, it orders half from each, and the
    `share` column says so every week. Re-sourcing that group would weigh the slower vendor's share down to
    (q_min / q)^2 of the other's in the column (about 0.38 here) while the lab's orders stayed at half."""
    data = minimal_data()
    data["nodes"].append({"id": "vendor2", "kind": "vendor", "country": "US", "skus": ["acc"], "cycle_time": 60})
    data["edges"] += [{"from": "packager", "to": "vendor2", "product": "acc", "transport": {"dist": "fixed", "mean": 2}},
                      {"from": "vendor2", "to": "lab", "product": "acc", "transport": {"dist": "fixed", "mean": 14}}]
    for e in data["edges"]:
        if e["from"] == "vendor":
            e["transport"] = {"dist": "fixed", "mean": 14}
    r = simulate(parse_topology(data), {"name": "s", "end": "2023-06-30",
                                        "sourcing": {"elasticity": 2, "half_life_days": 0}})
    lt = r.lead_times[(r.lead_times["customer"] == "lab") & (r.lead_times["product"] == "acc")]
    s = lt.pivot_table(index="day", columns="supplier", values=["quoted_days", "share"])
    assert (s["quoted_days"]["vendor2"] > s["quoted_days"]["vendor"] + 59).all()  # the slower vendor quotes so
    assert len(s) > 50 and (s["share"] == 0.5).all().all()
    o = r.orders[r.orders["kind"] == "lab"]
    qty = o.groupby("supplier")["qty"].sum()
    assert qty["vendor"] > 0 and qty["vendor2"] == pytest.approx(qty["vendor"])
