"""Kits refused in part or whole under export controls: the `rule` column of a kit names the first rule that
refused part of it, and, for a kit refused whole, the rule whose refusal ended it (README, the orders table)."""

from __future__ import annotations

import pytest

import pandas as pd

from supplychain.results import simulate

from conftest import topo

ITEMS = {"a": {"kind": "item"}, "b": {"kind": "item"}, "ab": {"kind": "item"}}


def _quota(rid: str, product: str, units: float) -> dict:
    """A quota of `units` a year on `product`, the excess refused at placement, from the run's start."""
    return {"id": rid, "announced": "2022-01-01", "effective": "2022-01-01", "action": "quota", "quota": units,
            "period_days": 365, "quota_excess": "refuse", "scope": {"products": [product]}}


def _generic_kit_orders(*rules: dict, end: str = "2022-03-31") -> pd.DataFrame:
    """sa and sb feed a make-to-order point assembling ab from one a and one b; 300 ab are demanded on day 30."""
    model = topo(
        [{"id": "sa", "kind": "source", "makes": ["a"], "country": "US"},
         {"id": "sb", "kind": "source", "makes": ["b"], "country": "CN"},
         {"id": "asm", "kind": "stock", "item": "ab", "policy": "make_to_order", "bom": {"a": 1, "b": 1},
          "cycle_time": 1},
         {"id": "cust", "kind": "demand", "item": "ab", "demand": {"mode": "fixed", "rate": 10, "period_days": 30}}],
        [{"from": "sa", "to": "asm", "product": "a", "transport": 2},
         {"from": "sb", "to": "asm", "product": "b", "transport": 2},
         {"from": "asm", "to": "cust", "product": "ab"}],
        ITEMS)
    sc = {"name": "k", "start": "2022-01-01", "end": end, "seed": 1, "controls": list(rules)}
    return simulate(model, sc).orders


def _first_kit(orders: pd.DataFrame) -> pd.Series:
    """The first kit's line of the orders table."""
    return orders[orders["kind"] == "assembly"].iloc[0]


def test_a_kit_refused_in_part_by_two_rules_names_the_first_that_refused_it():
    """The first kit's a (300) meets quota qa (200 pass, 100 refused), then its b meets qb (150 pass, 150
    refused): the kit loses its worst-hit input's 150 and 150 are assembled. Not refused whole, it names the
    first rule it met, qa, on the kit's line of the orders table (its b line names qb)."""
    orders = _generic_kit_orders(_quota("qa", "a", 200), _quota("qb", "b", 150))
    kit = _first_kit(orders)
    assert kit["qty"] == pytest.approx(300)
    assert kit["denied_qty"] == pytest.approx(150) and kit["delivered_qty"] == pytest.approx(150)
    assert kit["status"] == "delivered" and kit["rule"] == "qa"
    inputs = orders[(orders["parent_id"] == kit["order_id"]) & (orders["denied_qty"] > 0)]
    assert dict(zip(inputs["product"], inputs["rule"])) == {"a": "qa", "b": "qb"}


def test_a_kit_whose_second_rule_refuses_nothing_more_keeps_the_first():
    """qb refuses 50 of the kit's b after qa refused 100 of its a: the worst-hit input is still a, so qb costs
    the kit nothing; the kit, 200 assembled, names qa alone."""
    kit = _first_kit(_generic_kit_orders(_quota("qa", "a", 200), _quota("qb", "b", 250)))
    assert kit["denied_qty"] == pytest.approx(100) and kit["delivered_qty"] == pytest.approx(200)
    assert kit["rule"] == "qa"


def test_a_kit_refused_whole_names_the_rule_whose_refusal_ended_it():
    """qa refuses 100 of the first kit's a, then a ban on b (its supplier's country) refuses all its b: the
    kit is refused whole, and names the ban, whose refusal ended it, not the quota that refused it first."""
    ban = {"id": "ban_b", "announced": "2022-01-01", "effective": "2022-01-01", "action": "ban",
           "scope": {"supplier_countries": ["CN"]}}
    kit = _first_kit(_generic_kit_orders(_quota("qa", "a", 200), ban))
    assert kit["status"] == "denied" and kit["denied_qty"] == pytest.approx(300)
    assert kit["rule"] == "ban_b"
