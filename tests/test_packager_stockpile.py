"""A packager's stockpile of components (docs/model.md section 5, Stockpiling: between a rule's announcement and
its effect a packager orders extra inputs into stock), worked by hand on a World: what arrives adds up, and a
kit draws on all of it before ordering the rest from its suppliers."""

import pytest

from supplychain.engine import World
from supplychain.scenario_schema import Scenario

from _labs import minimal


def _world():
    w = World(minimal(), Scenario.model_validate({"name": "p", "end": "2022-12-31"}), 0)
    ids = w.net.ids
    hbm = next(f for f in w.net.flows if f.product == "hbm" and ids[f.customer] == "packager")
    acc = next(f for f in w.net.flows if f.product == "acc" and ids[f.supplier] == "packager")
    return w, hbm, acc


def test_two_stockpile_deliveries_add_up_and_a_kit_draws_both_before_ordering_the_rest():
    """Stockpile lots of 300 and 200 HBM stacks arrive at the packager (no kit is theirs: `parent` None); a kit of
    200 packages at yield y needs 200 / y x 5 stacks (the minimal BOM), takes the 500 in stock and orders only the rest."""
    w, hbm, acc = _world()
    for qty, day in ((300.0, 1.0), (200.0, 2.0)):
        lot = w._new("component", hbm, "hbm", qty, day)
        lot.note = "stockpile"
        w._deliver(lot, qty)
    kit = w._new("assembly", acc, "acc", 200.0, 3.0)
    before = len(w.orders)
    w._explode(kit, 3.0)
    y = float(w.net.yields[acc.supplier, 3])
    need = 200.0 / y * 5
    assert need > 500.0
    assert kit.inputs["hbm"][:3] == pytest.approx([need, 500.0, need])
    ordered = [o for o in w.orders[before:] if o.product == "hbm" and o.parent is kit]
    assert sum(o.qty for o in ordered) == pytest.approx(need - 500.0)
    assert w.inventory[(acc.supplier, "hbm")] == 0.0
