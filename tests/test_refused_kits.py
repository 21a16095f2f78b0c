"""Kits refused in part or whole under export controls: the `rule` column of a kit names the first rule that
refused part of it, and, for a kit refused whole, the rule whose refusal ended it (README, the orders table);
a packaging kit refused in part starts what its arrived inputs cover, no more and no less (docs/model.md,
section 3), and is complete once they cover the units its refused inputs left."""

from __future__ import annotations

import pytest

import pandas as pd
import yaml

from supplychain.engine import World
from supplychain.results import simulate
from supplychain.scenario_schema import Scenario
from supplychain.topology import parse_topology

from conftest import ROOT, kit_point

def _quota(rid: str, product: str, units: float) -> dict:
    """A quota of `units` a year on `product`, the excess refused at placement, from the run's start."""
    return {"id": rid, "announced": "2022-01-01", "effective": "2022-01-01", "action": "quota", "quota": units,
            "period_days": 365, "quota_excess": "refuse", "scope": {"products": [product]}}


def _generic_kit_orders(*rules: dict, end: str = "2022-03-31") -> pd.DataFrame:
    """sa and sb feed a make-to-order point assembling ab from one a and one b; 300 ab are demanded on day 30."""
    model = kit_point()
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


def _packaging_world(hbm_cycle: float) -> tuple[World, list[float]]:
    """minimal.yaml with a slow fab (70 wafers a week: a lot's dies arrive over weeks), stacks made in
    `hbm_cycle` days, and a quota of 20,000 logic dies a year, the excess refused at placement. Returns the
    run and, for every day and kit refused in part, its packages started less those its arrived inputs
    cover (arrived / first needed x its units, the least over its inputs)."""
    data = yaml.safe_load((ROOT / "topology" / "minimal.yaml").read_text())
    for n in data["nodes"]:
        if n["id"] == "fab":
            n["capacity"] = 70
            n.pop("expansion", None)
        if n["id"] == "hbm_maker":
            n["cycle_time"] = hbm_cycle
        if n["id"] == "lab":
            n["target_h100e"] = {"points": {"2022-01-01": 0, "2026-12-31": 1826000}}
    data["nodes"] = [n for n in data["nodes"] if n["id"] != "toolmaker"]
    data["edges"] = [e for e in data["edges"] if e["from"] != "toolmaker"]
    sc = {"start": "2022-01-01", "end": "2022-12-31", "controls": [_quota("qd", "logic", 20000)]}
    w = World(parse_topology(data), Scenario.model_validate(sc), 0)
    over: list[float] = []

    def check(day: int) -> None:
        for o in w.orders:
            if o.kind == "assembly" and o.inputs and 0 < o.denied_qty < o.qty:
                started = o.qty - o.denied_qty - o.remaining
                covered = o.qty * min(got / first for _, got, first, _ in o.inputs.values())
                over.append(started - covered)

    w.run(progress=check)
    return w, over


def _first_lot(w: World):
    """The first build lot (~260,000 packages): 20,000 of its dies pass the quota, the rest are refused; at
    the packager's 0.95 yield they cover 19,000 packages, its good units. Returns it and its passed dies."""
    kit = next(o for o in w.orders if o.kind == "assembly")
    dies = next(c for c in kit.children if c.product == "logic" and c.status == "delivered")
    assert dies.delivered_qty == pytest.approx(20000)
    assert kit.qty - kit.denied_qty == pytest.approx(20000 * 0.95)
    return kit, dies


def test_a_packaging_kit_refused_in_part_starts_no_package_its_arrived_inputs_do_not_cover():
    """Stacks in 30 days, before the dies: the passed dies, trickling in, bound what may start. Counted
    on the lot's whole size, the arrived share of the passed dies let it start packages for dies that had
    not come. It makes its 19,000 and is complete (`kitted`) when its last passed die came."""
    w, over = _packaging_world(30)
    assert len(over) > 30 and max(over) <= 1e-6
    kit, dies = _first_lot(w)
    assert kit.made == pytest.approx(19000) and kit.status == "delivered"
    assert kit.kitted == dies.delivered


def test_a_packaging_kit_refused_in_part_starts_every_package_its_arrived_inputs_cover():
    """Stacks in 150 days, ordered for the whole lot: 19,000 packages need under a tenth of them. Once the
    20,000 passed dies and the stacks for 19,000 packages are in, the lot makes all 19,000, is complete
    (`kitted`) and delivered, its stacks for the refused packages still coming at the run's end. Its good
    units times the arrived share of the stacks still needed (all of the lot's) held back the last ~2,350
    packages until every stack of the refused ones came: 13,155 made in the year."""
    w, over = _packaging_world(150)
    assert len(over) > 30 and max(over) <= 1e-6
    kit, dies = _first_lot(w)
    assert kit.made == pytest.approx(19000) and kit.status == "delivered"
    stacks = [c for c in kit.children if c.product == "hbm"]
    assert sum(c.delivered_qty for c in stacks) < sum(c.qty for c in stacks)  # not all in by the run's end
    assert dies.delivered <= kit.kitted < kit.finished
