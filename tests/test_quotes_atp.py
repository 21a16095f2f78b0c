"""Available-to-promise vendor quotes (`quotes.vendor: atp`): a vendor without stock promises the build
lot that will fill a new order, by hand and against what orders then take; the lot schedule accounts
for every unit; a vendor with stock quotes its own step, as in chain mode."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from supplychain.engine import World
from supplychain.engine.quotes import atp_wait
from supplychain.scenario import load_scenario
from supplychain.scenario_schema import Scenario
from supplychain.topology import graph_to_model

from _quotes import plan_quotes

ROOT = Path(__file__).resolve().parents[1]


def test_atp_wait_by_hand():
    """Available to promise: lots of 100, 50 and 200 units placed in that order, due on days 40, 60, 90."""
    scheduled, due = [100.0, 150.0, 350.0], [40.0, 60.0, 90.0]
    assert atp_wait(scheduled, due, 0.0, 0.0, 10.0, 300.0) == 30.0  # nothing ahead: the first lot
    assert atp_wait(scheduled, due, 0.0, 120.0, 10.0, 300.0) == 50.0  # 120 units ahead: the second lot
    assert atp_wait(scheduled, due, 100.0, 20.0, 10.0, 300.0) == 50.0  # the first lot arrived, 20 ahead
    assert atp_wait(scheduled, due, 0.0, 100.0, 10.0, 300.0) == 50.0  # the first lot is spoken for exactly
    assert atp_wait(scheduled, due, 100.0, 250.0, 10.0, 300.0) == 300.0  # every lot spoken for: a new build
    assert atp_wait(scheduled, due, 0.0, 0.0, 45.0, 300.0) == 0.0  # a lot past its due day: at the earliest today
    assert atp_wait([], [], 0.0, 0.0, 10.0, 300.0) == 300.0


def test_an_atp_quote_is_the_lead_time_a_new_order_gets():
    """A vendor building 60 days ahead, HBM far below demand, demand tripled from 2023: the vendor
    has no stock, and its lots in build are spoken for by the orders ahead. The chain quote (a new
    build) overstates what the lab's orders then take by 35-55 days; the promise of the lot that will
    fill the order is within days of it once the first lots have a quote to be dated by (after the
    first five months; transport to the lab is random, 7-28 days, the quote counts its mean)."""
    from _topo import minimal_data, node

    from supplychain.results import simulate
    from supplychain.topology import parse_topology

    data = minimal_data()
    node(data, "vendor")["build_ahead_days"] = 60
    node(data, "hbm_maker")["capacity"] = 20000
    topo = parse_topology(data)
    gap = {}
    for mode in ("chain", "atp"):
        r = simulate(topo, {"name": "q", "end": "2025-12-31", "labs": {"lifetime_years": 100, "review_days": 7},
                            "demand": {"multiplier": {"points": {"2022-01-01": 1, "2022-12-31": 1, "2023-01-01": 3}}},
                            "quotes": {"vendor": mode}})
        lt = r.lead_times
        x = lt[(lt["supplier"] == "vendor") & (lt["day"] >= 150)].dropna(subset=["realised_by_order_days"])
        gap[mode] = x["quoted_days"] - x["realised_by_order_days"]
    assert len(gap["atp"]) > 25
    assert gap["chain"].min() > 30
    assert gap["atp"].abs().mean() < 8 and gap["atp"].abs().max() < 20


def test_the_atp_schedule_accounts_for_every_lot_unit():
    """The schedule's running total is every unit a vendor placed in build lots, and what has left it
    (the total less what is in build) is what the lots delivered to the vendor or had denied, counted
    from the lots themselves, in the baseline with `vendor: atp`, whose controls deny Huawei's lots."""
    res = load_scenario(ROOT / "policies" / "atp_quotes.yaml")
    sc = Scenario.model_validate({**res.scenario.model_dump(), "end": dt.date(2026, 6, 30)})
    w = World(graph_to_model(res.topology), sc, 0)
    v = w.vendors
    weeks = []

    def check(day: int) -> None:
        if day % 91:
            return
        lots: dict = {}
        for o in w.orders:
            if o.kind == "assembly" and o.parent is None and w.net.kinds[o.customer] == "vendor":
                lots.setdefault((o.customer, o.product), []).append(o)
        for key, total in v.scheduled.items():
            mine = lots[key]
            assert total[-1] == pytest.approx(sum(o.qty for o in mine), rel=1e-9)
            gone = sum(o.delivered_qty + o.denied_qty for o in mine)
            assert total[-1] - v.in_build[key] == pytest.approx(gone, rel=1e-9, abs=1e-6), (key, day)
        weeks.append(day)

    w.run(progress=check)
    lots = [o for o in w.orders if o.kind == "assembly" and o.parent is None]
    assert len(weeks) > 15 and sum(o.denied_qty for o in lots) > 0  # lots were denied, and counted as gone


def test_an_atp_vendor_with_stock_quotes_its_own_step_not_a_lot():
    """`quotes.vendor: atp` promises the lots in build only to an order the vendor's stock cannot fill: a
    vendor building 60 days ahead in calm times holds stock, so its quote is then its own cycle time (as
    in chain mode), however far off its lots in build are due."""
    from _topo import minimal_data, node

    from supplychain.topology import parse_topology

    data = minimal_data()
    node(data, "vendor")["build_ahead_days"] = 60
    sc = Scenario.model_validate({"name": "q", "end": "2023-06-30", "labs": {"lifetime_years": 100, "review_days": 7},
                                  "quotes": {"vendor": "atp"}})
    w = World(parse_topology(data), sc, 0)
    vendor = w.net.index["vendor"]
    keys = [k for k, (n, _) in enumerate(w.quote_book.keys) if n == vendor]
    seen = []

    def compare(day: int) -> None:
        _, node_q, at = plan_quotes(w, day)
        for k in keys:
            key = w.quote_book.keys[k]
            if w.vendors.stock.get(key, 0.0) > 1e-9 and w.vendors.in_build.get(key, 0.0) > 0.0:
                assert at[k] == node_q[vendor], (day, key)
                seen.append(day)

    w.run(progress=compare)
    assert len(seen) >= 5
