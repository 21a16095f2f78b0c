"""Placing orders under export controls (`engine/placing.py`): the split of a need among the suppliers a
ban leaves open, kept between the days a rule takes effect or ends and an edge share changes."""

import datetime as dt

from supplychain.scenario_schema import Scenario
from supplychain.topology import graph_to_model

from _controls import TOPO
from conftest import ROOT


def test_a_split_kept_between_rule_and_share_changes_is_the_split_of_its_day(monkeypatch):
    """`World._split_among` keeps a need's split while no rule takes effect or ends and no edge share of
    the customer's suppliers changes: every split of the baseline over four years (rules acting from
    day 279 to 1,194, shares interpolated daily) is the one worked out afresh at that instant."""
    from supplychain.engine import World
    from supplychain.scenario import load_scenario
    from supplychain.topology import graph_to_model

    res = load_scenario(ROOT / "policies" / "baseline.yaml")
    sc = res.scenario.model_copy(update={"end": dt.date(2025, 12, 31)})
    w = World(graph_to_model(res.topology), sc, 1)
    assert not w.net.constant_shares and len(w.controls.rules) > 2
    kept = World._split_among
    seen = []

    def checked(self, customer, product, now, served):
        split = kept(self, customer, product, now, served)
        assert split == self._split_now(customer, product, now, served), (customer, product, now, served)
        seen.append(now)
        return split

    monkeypatch.setattr(World, "_split_among", checked)
    w.run()
    assert len(seen) > 3000 and max(seen) > 1194  # past every rule's effective or end day


def test_a_kept_split_drops_a_supplier_the_instant_a_ban_takes_effect_and_takes_it_back_when_it_ends():
    from supplychain.engine import World

    ban = {"id": "fdp", "announced": "2022-01-01", "effective": "2022-06-01", "ends": "2022-09-01", "action": "ban",
           "scope": {"tech_origin": ["US"], "entities": ["huawei"]}}
    w = World(graph_to_model(TOPO), Scenario.model_validate({"name": "c", "end": "2022-12-31", "controls": [ban]}), 1)
    pkg, ids = w.net.index["pkg_cn"], w.net.ids
    effective, ends = 151, 243  # days from 2022-01-01
    for now, suppliers in ((100, {"fab_tw", "fab_cn"}), (effective - 1e-6, {"fab_tw", "fab_cn"}), (effective, {"fab_cn"}),
                           (200, {"fab_cn"}), (ends - 1e-6, {"fab_cn"}), (ends, {"fab_tw", "fab_cn"}), (300, {"fab_tw", "fab_cn"})):
        assert {ids[f.supplier] for f, _ in w._split_among(pkg, "logic", now, "asc")} == suppliers, now
