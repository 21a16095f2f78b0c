"""Stock points and demand streams on tiny deterministic runs, every figure worked out by hand.

The analytic tests (test_inventory, test_assembly) check the kernel's averages under random demand; these pin
the corner cases they do not reach: a make-to-order point holding initial stock, a stock point no one ordered
from, and a fixed stream's orders under a demand shock (a fractional period, a factor of 0).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from supplychain.results import simulate

from conftest import topo

YEAR = {"name": "h", "start": "2022-01-01", "end": "2022-12-31"}  # days 0-364: the run's clock ends at 365
DAYS = 365


def chain(depot: dict, demand: dict, transport: float = 4.0):
    """src -(transport)-> depot (the stock point) -> cust (the demand stream)."""
    return topo(
        [
            {"id": "src", "kind": "source", "makes": ["widget"]},
            {"id": "depot", "kind": "stock", "item": "widget", **depot},
            {"id": "cust", "kind": "demand", "item": "widget", "demand": demand},
        ],
        [
            {"from": "src", "to": "depot", "product": "widget", "transport": transport},
            {"from": "depot", "to": "cust", "product": "widget"},
        ],
    )


def test_a_make_to_order_point_orders_each_demand_as_it_comes_and_keeps_its_initial_stock():
    """`make_to_order` orders what each customer order asks, when it asks, whatever is on hand: with initial
    stock I = 10, a unit a day from day 1 and a 4-day lead time, every demand line brings a replenishment
    line of its size the same day, so the stock is a buffer that stays: on hand 10 - min(k, 4) over day k
    (a base stock of 10), never out. Ordered only as the position falls below 0 (the base-stock rule with
    S = 0), the point would first sell its 10 units and order nothing for 10 days."""
    r = simulate(chain({"policy": "make_to_order", "initial": 10}, {"mode": "fixed", "rate": 1}), YEAR)
    o = r.orders
    demand = o[o["kind"] == "demand"].sort_values("ordered")
    rep = o[o["kind"] == "replenish"].sort_values("ordered")
    assert len(demand) == DAYS - 1  # days 1-364
    assert rep["ordered"].tolist() == demand["ordered"].tolist() and np.allclose(rep["qty"], 1.0)
    row = r.stocks.iloc[0]
    assert row["fill_rate"] == 1.0 and row["mean_backorders"] == 0.0
    assert row["mean_on_hand"] == pytest.approx(sum(10 - min(k, 4) for k in range(DAYS)) / DAYS, abs=1e-12)
    assert row["final_on_hand"] == 6.0


def test_a_stock_point_no_one_ordered_from_has_no_fill_rate():
    """A fill rate is a share of the units demanded: with none demanded it is undefined (NaN), not a perfect 1
    (a stream whose first order falls after the run's end). The stock sits at S the whole run."""
    r = simulate(chain({"policy": "base_stock", "base_stock": 5}, {"mode": "fixed", "rate": 1, "period_days": 400}), YEAR)
    row = r.stocks.iloc[0]
    assert row["demand_units"] == 0.0 and math.isnan(row["fill_rate"])
    assert row["mean_on_hand"] == 5.0 and row["final_on_hand"] == 5.0
    assert r.orders.empty


def test_a_fixed_stream_is_scaled_by_the_factor_of_the_day_each_order_arrives_and_a_factor_of_0_orders_nothing():
    """Orders of rate x period = 3 every 1.5 days (t = 1.5, 3, 4.5, ...), a demand shock x3 over days 2-4 and one
    x0 over days 30-39: each order is scaled by the factor of the day it arrives on, int(t) (the order at 1.5 is
    day 1's, unscaled; the one at 4.5 day 4's, tripled), and the x0 days place no order at all (not lines of 0)."""
    shocks = [
        {"id": "x3", "kind": "demand", "multiplier": 3, "start": "2022-01-03", "duration_days": 3, "target": {"ids": ["cust"]}},
        {"id": "x0", "kind": "demand", "multiplier": 0, "start": "2022-01-31", "duration_days": 10, "target": {"ids": ["cust"]}},
    ]
    model = chain({"policy": "base_stock", "base_stock": 20}, {"mode": "fixed", "rate": 2, "period_days": 1.5})
    o = simulate(model, {**YEAR, "shocks": shocks}).orders
    d = o[o["kind"] == "demand"].sort_values("ordered")

    def factor(day: int) -> float:
        return 3.0 if 2 <= day <= 4 else 0.0 if 30 <= day <= 39 else 1.0

    times = [1.5 * k for k in range(1, 400) if 1.5 * k < DAYS]
    expect = [(t, 3.0 * factor(int(t))) for t in times if factor(int(t)) > 0]
    assert expect[:4] == [(1.5, 3.0), (3.0, 9.0), (4.5, 9.0), (6.0, 3.0)]
    assert d["ordered"].tolist() == [t for t, _ in expect]
    assert np.allclose(d["qty"], [q for _, q in expect])
