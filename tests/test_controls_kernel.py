"""Export controls on the generic kernel: a stock point's replenishments and its assembly kits refused in
part. A kit loses the units its worst-hit input no longer covers, is assembled from the rest once every
input is in, delivered or refused, and the stock point counts nothing refused as still on order."""

from __future__ import annotations

import pytest

from supplychain.engine import World
from supplychain.scenario_schema import Scenario

from conftest import kit_point


def _kit_world(b_per_unit: int, b_source: dict, rule: dict, end: str) -> World:
    """sa and sb feed a make-to-order assembly point (one a and `b_per_unit` b a unit), 300 demanded a month."""
    model = kit_point(b_per_unit, **b_source)
    sc = Scenario.model_validate({"name": "k", "start": "2022-01-01", "end": end, "seed": 1, "controls": [rule]})
    return World(model, sc, 0).run()


def _on_order_is_what_is_open(w: World) -> None:
    """The stock point's on-order count is its own orders' units neither delivered nor refused."""
    node = w.net.index["asm"]
    open_units = sum(o.qty - o.delivered_qty - o.denied_qty for o in w.orders
                     if o.customer == node and o.parent is None and o.kind in ("assembly", "replenish"))
    assert w.stocks.state[node].on_order == pytest.approx(open_units, abs=1e-6)


def test_a_kit_loses_only_what_its_refused_input_no_longer_covers():
    """A quota lets 300 of the first kit's 600 b through and refuses the rest (two lines of one input): the
    kit loses half, and 150 units are assembled and shipped. Measured on the refused line alone, it was lost
    whole, and stayed on the stock point's order for ever."""
    quota = {"id": "qb", "announced": "2022-01-01", "effective": "2022-01-01", "action": "quota", "quota": 300,
             "period_days": 365, "quota_excess": "refuse", "scope": {"products": ["b"]}}
    w = _kit_world(2, {}, quota, "2022-03-31")
    kit = next(o for o in w.orders if o.kind == "assembly")
    b = [o for o in kit.children if o.product == "b"]
    assert len(b) == 2 and sum(o.denied_qty for o in b) == pytest.approx(300)
    assert kit.denied_qty == pytest.approx(150) and kit.delivered_qty == pytest.approx(150)
    assert kit.status == "delivered"
    _on_order_is_what_is_open(w)


def test_a_kit_whose_input_is_finished_by_a_refusal_is_assembled_from_what_came():
    """A ban from 2022-02-14 refuses the rest of the first kit's b line after 130 arrived: that input is
    all in, so the kit is assembled from the 130 it covers (it waited for the refused 170 to the end)."""
    ban = {"id": "ban_b", "announced": "2022-01-01", "effective": "2022-02-14", "action": "ban",
           "scope": {"supplier_countries": ["CN"]}}
    w = _kit_world(1, {"capacity": 70}, ban, "2022-04-30")
    kit = next(o for o in w.orders if o.kind == "assembly")
    (b,) = [o for o in kit.children if o.product == "b"]
    assert b.delivered_qty == pytest.approx(130) and b.denied_qty == pytest.approx(170)
    assert kit.status == "delivered" and kit.delivered_qty == pytest.approx(130)
    assert kit.kitted is not None and kit.delivered > kit.kitted
    demand = next(o for o in w.orders if o.kind == "demand")
    assert demand.shipped_qty == pytest.approx(130)  # the stock point shipped what was assembled
    _on_order_is_what_is_open(w)
