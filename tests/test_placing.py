"""Placing orders under export controls (`engine/placing.py`): the split of a need among the suppliers a
ban leaves open (by edge share, the open ones taking the whole need, none to a supplier of share 0), kept
between the days a rule takes effect or ends and an edge share changes, and per product served, as the
rules an order meets are."""

import datetime as dt

import numpy as np

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


def _two_fabs(share_tw: float, share_cn: float, extra_fab: bool = False) -> dict:
    """two_labs.yaml with pkg_cn's dies split `share_tw`/`share_cn` between fab_tw and fab_cn, pkg_tw buying dies
    from fab_cn too and packaging hw's `asc` as well as `acc` (a packager serving two designers), and, with
    `extra_fab`, a Korean fab on pkg_cn's list with an edge share of 0."""
    import yaml

    data = yaml.safe_load((ROOT / "tests" / "data" / "two_labs.yaml").read_text(encoding="utf-8"))
    for e in data["edges"]:
        if e["to"] == "pkg_cn" and e["product"] == "logic":
            e["share"] = {"value": share_tw if e["from"] == "fab_tw" else share_cn}
    data["edges"] += [{"from": "fab_cn", "to": "pkg_tw", "product": "logic", "transport": 2},
                      {"from": "pkg_tw", "to": "hw", "product": "asc", "transport": 2}]
    if extra_fab:
        data["nodes"].append({"id": "fab_kr", "kind": "fab", "country": "KR", "makes": ["logic"], "capacity": 100000,
                              "yield": 0.8, "cycle_time": 20})
        data["edges"].append({"from": "fab_kr", "to": "pkg_cn", "product": "logic", "transport": 2, "share": {"value": 0}})
    return data


_FDP = {"id": "fdp", "announced": "2022-01-01", "effective": "2022-02-01", "ends": "2022-03-15", "action": "ban",
        "scope": {"tech_origin": ["US"], "entities": ["huawei"]}}


def test_a_ban_gives_the_open_supplier_the_whole_need_and_the_split_returns_to_the_edge_shares_after():
    """Edge shares 0.7/0.3: before the FDP-like ban each need of pkg_cn's dies splits 0.7/0.3; while fab_tw is
    banned the open fab_cn takes all of it (share 1, not its 0.3 nor fab_tw's 0.7); after, 0.7/0.3 again."""
    from supplychain.engine import World
    from supplychain.topology import parse_topology

    w = World(parse_topology(_two_fabs(0.7, 0.3)), Scenario.model_validate({"name": "c", "end": "2022-12-31",
                                                                              "controls": [_FDP]}), 1)
    pkg, ids = w.net.index["pkg_cn"], w.net.ids
    for now, want in ((20, {"fab_tw": 0.7, "fab_cn": 0.3}), (50, {"fab_cn": 1.0}), (80, {"fab_tw": 0.7, "fab_cn": 0.3})):
        got = {ids[f.supplier]: s for f, s in w._split_among(pkg, "logic", now, "asc")}
        assert got.keys() == want.keys() and all(abs(got[k] - v) < 1e-12 for k, v in want.items()), (now, got)


def test_over_a_run_each_kits_dies_split_in_the_edge_shares_and_a_zero_share_fab_gets_no_line():
    """Over half a year of pkg_cn's kits with a rule in force part of it: every kit ordered outside the ban asks
    fab_tw for 0.7 of its dies and fab_cn for 0.3 (to rounding); one ordered under it asks fab_cn for all,
    as many dies as a kit of its size asks in all outside it; fab_kr, on the list with an edge share of 0,
    is sent no order line at all (not a line of 0 units)."""
    from supplychain.results import simulate
    from supplychain.topology import parse_topology

    r = simulate(parse_topology(_two_fabs(0.7, 0.3, extra_fab=True)), {"name": "c", "end": "2022-06-30", "controls": [_FDP]})
    o = r.orders
    dies = o[(o["kind"] == "component") & (o["product"] == "logic") & (o["customer"] == "pkg_cn")]
    assert "fab_kr" not in set(dies["supplier"]) and "fab_kr" not in set(o["supplier"])
    kits = o[(o["kind"] == "assembly") & (o["supplier"] == "pkg_cn")].set_index("order_id")
    per = dies.pivot_table(index="parent_id", columns="supplier", values="qty", aggfunc="sum").fillna(0.0)
    ordered = dies.groupby("parent_id")["ordered"].min().loc[per.index]
    ban = (ordered >= 31) & (ordered < 73)  # 2022-02-01 to 2022-03-15
    out = per[~ban]
    assert ban.sum() >= 2 and len(out) >= 2
    assert np.allclose(out["fab_tw"] / (out["fab_tw"] + out["fab_cn"]), 0.7, rtol=0, atol=1e-12)
    assert (per.loc[ban, "fab_tw"] == 0).all()
    # dies per kit unit: the same in and out of the ban (the open fab takes the whole need)
    per_unit = (per["fab_tw"] + per["fab_cn"]) / kits.loc[per.index, "qty"]
    assert np.allclose(per_unit[ban], per_unit[~ban].iloc[0], rtol=1e-12)


def test_a_kept_split_is_per_product_served_a_die_for_a_banned_designer_is_not_one_for_another():
    """pkg_tw buys dies from fab_tw (US technology) and fab_cn and packages `acc` (vend) and `asc` (hw, huawei):
    under the ban on huawei, a die for `asc` may come only from fab_cn, one for `acc` from either, on the
    same day, whichever is split first."""
    from supplychain.engine import World
    from supplychain.topology import parse_topology

    w = World(parse_topology(_two_fabs(0.5, 0.5)), Scenario.model_validate({"name": "c", "end": "2022-12-31",
                                                                              "controls": [_FDP]}), 1)
    pkg, ids = w.net.index["pkg_tw"], w.net.ids
    for order in (("acc", "asc"), ("asc", "acc")):
        w._splits.clear()
        got = {served: {ids[f.supplier] for f, _ in w._split_among(pkg, "logic", 50, served)} for served in order}
        assert got == {"acc": {"fab_tw", "fab_cn"}, "asc": {"fab_cn"}}, order


def test_a_die_is_refused_by_the_accelerator_it_serves_whichever_die_the_packager_ordered_first():
    """A Malaysian packager, fab_tw (US technology) its only die maker, packages `acc` (vend) and `asc` (hw,
    huawei) under the FDP-like ban from the start: every die it orders for an `asc` kit is refused under the ban
    at placement, every one for an `acc` kit is not: the rules an order meets depend on what it serves, not only
    on supplier, customer and product."""
    import yaml

    from supplychain.results import simulate
    from supplychain.topology import parse_topology

    data = yaml.safe_load((ROOT / "tests" / "data" / "two_labs.yaml").read_text(encoding="utf-8"))
    data["nodes"].append({"id": "pkg_my", "kind": "packaging", "country": "MY", "capacity": 100000, "cycle_time": 10})
    data["edges"] += [{"from": "fab_tw", "to": "pkg_my", "product": "logic", "transport": 2},
                      {"from": "hbm_kr", "to": "pkg_my", "product": "hbm", "transport": 2},
                      {"from": "pkg_my", "to": "vend", "product": "acc", "transport": 2},
                      {"from": "pkg_my", "to": "hw", "product": "asc", "transport": 2}]
    ban = {**_FDP, "effective": "2022-01-01", "ends": None}
    r = simulate(parse_topology(data), {"name": "c", "end": "2022-06-30", "controls": [ban]})
    o = r.orders
    kits = o[(o["kind"] == "assembly") & (o["supplier"] == "pkg_my")].set_index("order_id")["product"]
    dies = o[(o["kind"] == "component") & (o["product"] == "logic") & (o["customer"] == "pkg_my")]
    serves = kits.reindex(dies["parent_id"]).to_numpy()
    for_asc, for_acc = dies[serves == "asc"], dies[serves == "acc"]
    assert len(for_asc) > 2 and len(for_acc) > 2
    assert (for_asc["status"] == "denied").all() and (for_asc["rule"] == "fdp").all() and for_asc["released"].isna().all()
    assert (for_acc["denied_qty"] == 0).all() and for_acc["released"].notna().all()
