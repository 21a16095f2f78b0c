"""Export controls: each action does what it says, to exactly the orders in scope. Licences reviewed at
placement are in test_controls_licences.py, controls at the border in test_controls_shipment.py."""

import datetime as dt

import pytest

from supplychain.engine.controls import idle_rules
from supplychain.engine.network import compile_network
from supplychain.results import simulate
from supplychain.scenario_schema import Scenario
from supplychain.topology import graph_to_model

from _controls import TOPO, lab_orders, rule, run
from conftest import ROOT


def test_ban_refuses_exactly_the_scoped_orders():
    r = run(rule())
    cn = lab_orders(r, "lab_cn", "acc")
    us = lab_orders(r, "lab_us", "acc")
    assert len(cn) > 10 and (cn["status"] == "denied").all() and (cn["rule"] == "r1").all()
    assert (us["status"] != "denied").all() and us["denied_qty"].sum() == 0
    # below the threshold (asc: TPP 12000 >= 4800 is in scope; raise the bar to spare it)
    r2 = run(rule(scope={"destinations": ["CN"], "product_kinds": ["accelerator"], "min_tpp": 13000}))
    assert (lab_orders(r2, "lab_cn", "asc")["status"] != "denied").all()
    assert (lab_orders(r2, "lab_cn", "acc")["status"] == "denied").all()
    ev = r.events
    logged = ev[(ev["id"] == "r1") & (ev["what"] == "denied") & (ev["product"] == "acc") & (ev["customer"] == "lab_cn")]
    assert len(logged) == len(cn)


def test_quota_caps_units_released_per_period():
    r = run(rule(action="quota", quota=20000, period_days=365, quota_excess="wait"), end="2025-12-31")
    cn = lab_orders(r, "lab_cn", "acc")
    cn = cn[cn["released"].notna()]
    period = (cn["released"] // 365).astype(int)
    per = cn.groupby(period)["qty"].sum()
    # whole lots wait for the next period, so each period fills to within one lot of the quota
    assert (per <= 20000 + 1e-6).all() and (per.iloc[1:-1] > 20000 - cn["qty"].max()).all()
    refused = run(rule(action="quota", quota=20000, period_days=365, quota_excess="refuse"), end="2023-12-31")
    cn2 = lab_orders(refused, "lab_cn", "acc")
    assert (cn2["status"] == "denied").any()
    assert cn2[cn2["status"] != "denied"].groupby(((cn2["ordered"]) // 365).astype(int))["qty"].sum().max() <= 20000 + 1e-6


def test_stockpiling_raises_orders_only_between_announcement_and_effect():
    plain = run(rule(announced="2023-01-01", effective="2023-07-01"))
    pile = run(rule(announced="2023-01-01", effective="2023-07-01", stockpile=2.0))
    a, b = lab_orders(plain, "lab_cn", "acc"), lab_orders(pile, "lab_cn", "acc")
    window = lambda o: o[(o["ordered"] >= 365) & (o["ordered"] < 546)]["qty"].sum()
    before = lambda o: o[o["ordered"] < 365]["qty"].sum()
    assert window(b) > 1.5 * window(a)
    assert before(b) == pytest.approx(before(a))
    after = lambda o: o[o["ordered"] >= 546]
    assert (after(a)["status"] == "denied").all() and (after(b)["status"] == "denied").all()
    assert pile.fleet[pile.fleet["lab"] == "lab_cn"]["installed_h100e"].max() > 1.5 * plain.fleet[plain.fleet["lab"] == "lab_cn"]["installed_h100e"].max()


def test_stockpiling_raises_the_target_of_the_sku_the_rule_covers_by_its_factor_and_no_other():
    """model.md: a lab the rule will hit raises its target for the SKU it covers by the factor. lab_cn buys
    acc (share 1/1.3) and asc (0.3/1.3); a rule on acc with stockpile 3 adds acc's part of the target x 2,
    topped up to the last review of the window (the target 270 days ahead, 300k H100e on 2025-01-01 from 0
    on 2022-01-01), and asc is ordered exactly as without it. The lab's whole level x 3 bought 3 x its
    whole target of acc alone (no longer asked once the position passed the target, asc was starved)."""
    scope = {"destinations": ["CN"], "products": ["acc"]}
    plain = run(rule(announced="2023-01-01", effective="2023-07-01", scope=scope))
    pile = run(rule(announced="2023-01-01", effective="2023-07-01", stockpile=3.0, scope=scope))
    window = lambda r, sku: lab_orders(r, "lab_cn", sku).query("365 <= ordered < 546")
    assert window(pile, "asc")["qty"].sum() == pytest.approx(window(plain, "asc")["qty"].sum(), rel=1e-12)
    last = window(pile, "acc")["ordered"].max()
    horizon = Scenario.model_validate({}).lab_policy("lab_cn").horizon_days
    target = 300_000 * (last + horizon) / (dt.date(2025, 1, 1) - dt.date(2022, 1, 1)).days
    extra = window(pile, "acc")["qty"].sum() - window(plain, "acc")["qty"].sum()
    assert extra == pytest.approx(1 / 1.3 * (3.0 - 1.0) * target, rel=1e-9)
    before = lambda r: lab_orders(r, "lab_cn").query("ordered < 365")["qty"].sum()
    assert before(pile) == pytest.approx(before(plain), rel=1e-12)


def test_foreign_direct_product_rule_catches_us_technology_made_abroad():
    fdp = {"id": "fdp", "announced": "2022-01-01", "effective": "2022-01-01", "action": "ban",
           "scope": {"tech_origin": ["US"], "entities": ["huawei"]}}
    r = run(fdp)
    comp = r.orders[(r.orders["kind"] == "component") & (r.orders["customer"] == "pkg_cn")]
    logic = comp[comp["product"] == "logic"]
    assert set(logic["supplier"]) == {"fab_cn"}  # TSMC-like fab (US tech) refused, domestic fab takes all
    assert (comp[comp["product"] == "hbm"]["status"] == "denied").all() or comp[comp["product"] == "hbm"].empty
    base = run()
    logic0 = base.orders[(base.orders["kind"] == "component") & (base.orders["product"] == "logic") & (base.orders["customer"] == "pkg_cn")]
    assert set(logic0["supplier"]) == {"fab_cn", "fab_tw"}
    # the US lab's supply through the same fab is untouched
    assert (lab_orders(r, "lab_us")["status"] != "denied").all()


def test_vendor_substitutes_compliant_variant():
    r = run(rule(substitute=True))
    cn = lab_orders(r, "lab_cn")
    assert set(cn["product"]) >= {"acc_c"} and "acc" not in set(cn["product"])
    assert (cn[cn["product"] == "acc_c"]["status"] != "denied").all()
    subs = r.events[r.events["what"] == "substitution acc->acc_c"]
    assert len(subs) > 0 and (subs["id"] == "r1").all() and (subs["product"] == "acc_c").all()
    assert subs["qty"].sum() == pytest.approx(cn[cn["product"] == "acc_c"]["qty"].sum())  # every unit ordered as the variant
    lt = r.lead_times  # the variant travels on the SKU's edge: its lines are that series' realised lead times
    assert lt[(lt["customer"] == "lab_cn") & (lt["product"] == "acc")]["realised_by_delivery_days"].notna().any()


def test_a_substituted_variants_lines_are_the_skus_realised_series_as_the_readme_says():
    """README "Tables", lead_times: a variant ordered in place of a blocked SKU counts on the SKU's flow,
    while `orders` names the variant. So an analyst who groups `orders` by its own product finds the SKU's
    realised lines there, not on the variant's flow; over the lab's flows together every line is counted once."""
    r = run(rule(substitute=True))
    o = r.orders
    cn = o[(o["kind"] == "lab") & (o["customer"] == "lab_cn") & o["lead_time_days"].notna()]
    lt = r.lead_times[r.lead_times["customer"] == "lab_cn"]
    assert "acc" not in set(cn["product"]) and (cn["product"] == "acc_c").sum() > 10
    on_sku = lt[lt["product"] == "acc"]
    variant = cn[cn["product"] == "acc_c"]
    assert on_sku["realised_by_order_lines"].sum() == len(variant)  # the variant's lines, on the SKU's flow
    week = (variant["ordered"] // 7 * 7).rename("day")
    means = variant["lead_time_days"].groupby(week).mean()
    got = on_sku[on_sku["realised_by_order_lines"] > 0].set_index("day")["realised_by_order_days"]
    assert got.sort_index().to_numpy() == pytest.approx(means.sort_index().to_numpy())
    assert lt["realised_by_order_lines"].sum() == len(cn)  # every delivered line once, over the lab's flows


def test_equipment_control_stalls_capacity_expansion():
    eq = {"id": "eq", "announced": "2022-01-01", "effective": "2022-01-01", "action": "equipment",
          "scope": {"destinations": ["CN"]}}
    free = run().nodes
    held = run(eq).nodes
    cap = lambda n: n[n["node"] == "fab_cn"]["capacity_per_week"].iloc[-1]
    assert cap(free) == pytest.approx(5000, rel=0.01)
    assert cap(held) == pytest.approx(1000, rel=0.01)


@pytest.mark.filterwarnings("ignore::supplychain.errors.ScenarioWarning")  # the idle rules, warned about as they should be
def test_idle_rules_are_exactly_the_rules_that_never_act():
    """`idle_rules` (behind the warning "the rule touches nothing") matches as the engine does, parties included."""
    rules = [rule(id="cn_acc", scope={"destinations": ["CN"], "products": ["acc"]}),
             rule(id="hw_hbm", scope={"entities": ["hw"], "product_kinds": ["hbm"]}),  # via the accelerator it goes into
             rule(id="acc_c_cn", scope={"destinations": ["CN"], "products": ["acc_c"]}),  # the variant shipped for acc
             rule(id="kr_tools", scope={"supplier_countries": ["KR"], "product_kinds": ["tool"]}),  # no KR tool maker
             rule(id="us_power_cn", scope={"supplier_countries": ["US"], "destinations": ["CN"], "product_kinds": ["power"]})]
    sc = Scenario.model_validate({"name": "c", "end": "2023-06-30", "controls": rules})
    idle = {r.id for r in idle_rules(sc.controls, compile_network(graph_to_model(TOPO), sc))}
    assert idle == {"kr_tools", "us_power_cn"}
    r = run(*rules, end="2023-06-30")
    acted = set(r.events.loc[r.events["type"] == "control", "id"])
    assert acted.isdisjoint(idle) and acted >= {"hw_hbm"}, acted
    # cn_acc acts before any order is placed: lab_cn no longer orders the SKU it bans
    assert len(lab_orders(run(end="2023-06-30"), "lab_cn", "acc")) > 0 and len(lab_orders(r, "lab_cn", "acc")) == 0


@pytest.mark.parametrize("refusal", [{"action": "ban"}, {"action": "license", "review_days": 30, "approval": 0.0}])
def test_a_lab_moves_the_share_of_a_refused_sku_to_the_skus_still_open(refusal):
    """A SKU refused outright (a ban, or a licence never granted; no compliant variant) is not
    ordered: its share of the gap goes to the lab's other SKUs, as a component order's share goes
    to the suppliers still open. Before, the lab re-ordered it every review and collected refusals."""
    banned = run(rule(announced="2022-06-01", effective="2022-06-01", scope={"destinations": ["CN"], "products": ["acc"]},
                      **refusal), end="2023-12-31")
    cn = lab_orders(banned, "lab_cn")
    after = cn[cn["ordered"] >= 151]
    assert len(after) > 0 and set(after["product"]) != {"acc"} and "acc" not in set(after["product"])
    assert (after["status"] != "denied").all()
    free = lab_orders(run(end="2023-12-31"), "lab_cn")
    other = set(after["product"])
    # the open SKUs take the whole gap: more of them than without the ban
    assert after["qty"].sum() > free[(free["ordered"] >= 151) & free["product"].isin(other)]["qty"].sum()


def test_a_rule_acts_from_its_effective_day_up_to_its_end():
    """The window is [effective, ends): an order on the effective day is refused, one an instant
    before is not; on the day the rule ends it no longer acts."""
    import numpy as np

    from supplychain.engine.controls import Controls

    sc = Scenario.model_validate({"name": "c", "end": "2023-06-30",
                                  "controls": [rule(announced="2022-05-01", effective="2022-06-01", ends="2022-09-01")]})
    net = compile_network(graph_to_model(TOPO), sc)
    controls = Controls(sc.controls, net, np.random.default_rng(0), sc.start)
    vend, lab = net.index["vend"], net.index["lab_cn"]
    rules = controls.relevant(vend, lab, "acc", net.parties(lab, "acc"))
    assert len(rules) == 1
    effective, ends = 151, 243  # days from 2022-01-01
    for now, action in ((effective - 1e-6, "allow"), (effective, "deny"), (ends - 1e-6, "deny"), (ends, "allow")):
        for stage in ("order", "shipment"):
            assert controls.decide(rules, now, vend, lab, "acc", 10.0, stage).action == action, (now, stage)
    parties = net.parties(lab, "acc")
    assert controls.banned(effective, vend, lab, "acc", parties) and not controls.banned(ends, vend, lab, "acc", parties)


@pytest.mark.parametrize("refusal", [{"action": "ban"}, {"action": "license", "review_days": 30, "approval": 0.0}])
def test_the_shares_of_the_skus_still_open_add_up_to_one(refusal):
    """A lab splits its whole gap over the SKUs a rule leaves open: their shares, renormalised,
    add up to 1 (the refused SKU's share is moved, not lost)."""
    from supplychain.engine import World

    sc = Scenario.model_validate({"name": "c", "end": "2023-06-30", "controls": [
        rule(announced="2022-06-01", effective="2022-06-01", scope={"destinations": ["CN"], "products": ["acc"]}, **refusal)]})
    w = World(graph_to_model(TOPO), sc, 0)
    j = w.labs.pos[w.net.index["lab_cn"]]
    before = w._lab_offers(j, 100.0)
    assert sorted(sku for _, sku, _, _, _ in before) == ["acc", "asc"]
    assert sum(s for _, _, s, _, _ in before) == pytest.approx(1.0)
    after = w._lab_offers(j, 200.0)
    assert [sku for _, sku, _, _, _ in after] == ["asc"]
    assert sum(s for _, _, s, _, _ in after) == pytest.approx(1.0)


@pytest.mark.parametrize("scope,matched", [
    ({"min_tpp": 15800}, {"acc"}),  # at the threshold is in scope ("or more")
    ({"min_tpp": 15801}, set()),
    ({"min_tpp": 12000}, {"acc", "asc"}),
    ({"min_tpp": 13000, "min_perf_density": 1.0}, {"acc"}),  # either threshold (the default)
    ({"min_tpp": 13000, "min_perf_density": 1.0, "threshold_any": False}, set()),  # both: no perf density given
    ({"min_tpp": 2000, "threshold_any": False}, {"acc", "acc_c", "asc"}),
])
def test_thresholds_match_at_or_above_and_combine_by_threshold_any(scope, matched):
    sc = Scenario.model_validate({"name": "c", "end": "2023-06-30", "controls": [
        rule(scope={"product_kinds": ["accelerator"], **scope})]})
    net = compile_network(graph_to_model(TOPO), sc)
    from supplychain.engine.controls import Controls
    import numpy as np

    c = Controls(sc.controls, net, np.random.default_rng(0), sc.start)
    got = {p for p in ("acc", "acc_c", "asc") if c._product_matches(sc.controls[0], net.products[p], p)}
    assert got == matched


@pytest.mark.parametrize("countries,hit", [(["US"], True), (["TW"], True), (["KR"], False)])
def test_supplier_origin_is_the_country_or_the_jurisdiction(countries, hit):
    """A Micron-like HBM maker stacks in Taiwan under US jurisdiction: a rule on US suppliers
    covers it, as does one on Taiwanese suppliers."""
    import numpy as np

    from supplychain.engine.controls import Controls

    model = graph_to_model(TOPO).model_copy(deep=True)
    maker = next(n for n in model.nodes if n.id == "hbm_kr")
    maker.country, maker.jurisdiction = "TW", "US"
    sc = Scenario.model_validate({"name": "c", "end": "2023-06-30", "controls": [
        rule(scope={"supplier_countries": countries, "product_kinds": ["hbm"]})]})
    net = compile_network(model, sc)
    c = Controls(sc.controls, net, np.random.default_rng(0), sc.start)
    sup, cus = net.index["hbm_kr"], net.index["pkg_tw"]
    assert c.matches(sc.controls[0], sup, cus, "hbm", net.parties(cus, "acc")) == hit


def test_a_refusing_quota_releases_exactly_the_quota_each_period():
    """`quota_excess: refuse`: the part of a lot that fits the period's quota goes (released at
    once), the rest is refused, so in every period the lab wants more than the quota exactly the
    quota is released."""
    r = run(rule(action="quota", quota=20000, period_days=365, quota_excess="refuse"), end="2024-12-30")
    cn = lab_orders(r, "lab_cn", "acc")
    released = cn[cn["released"].notna()]
    assert (released["released"] == released["ordered"]).all()
    per = released.groupby((released["released"] // 365).astype(int))["qty"].sum()
    assert len(per) == 3 and per.to_numpy() == pytest.approx(20000.0)
    assert cn["denied_qty"].sum() > 20000


def test_a_kit_loses_the_packages_its_refused_inputs_would_have_made():
    """A kit needs qty / yield x hbm_stacks stacks; refusing part of them refuses the same
    fraction of its packages (not one package per refused stack)."""
    hbm_quota = rule(action="quota", quota=30000, period_days=365, quota_excess="refuse",
                     scope={"destinations": ["CN"], "product_kinds": ["hbm"]})
    o = run(hbm_quota, end="2023-12-31").orders
    kits = o[(o["kind"] == "assembly") & (o["supplier"] == "pkg_cn")].set_index("order_id")
    hbm = o[(o["kind"] == "component") & (o["product"] == "hbm") & o["parent_id"].isin(kits.index)]
    frac = hbm.groupby("parent_id")["denied_qty"].sum() / hbm.groupby("parent_id")["qty"].sum()
    cut = frac[(frac > 0) & (frac < 1)]
    assert len(cut) > 0 and (frac > 0).sum() > 3
    assert (kits.loc[frac.index, "denied_qty"] / kits.loc[frac.index, "qty"]).to_numpy() == pytest.approx(frac.to_numpy(), rel=1e-9)


@pytest.mark.parametrize("period", [1.1, 1.3, 7.1, 30.4, 91.3])  # (5 x 1.1) // 1.1 is 4.0, as with 0.1
@pytest.mark.parametrize("periods_in", [1, 5, 7, 12])
def test_a_quota_wait_always_ends_in_the_next_period(period, periods_in):
    """A lot over the quota waits for the next period to start. At a period's boundary, where
    (now - effective) // period can round down to the period before (5.5 // 1.1 is 4.0), the wait
    was 0 and the order asked again at once, forever: a run that never ended."""
    import numpy as np

    from supplychain.engine.controls import Controls

    q = rule(action="quota", quota=100, period_days=period, quota_excess="wait")
    sc = Scenario.model_validate({"name": "c", "end": "2023-06-30", "controls": [q]})
    net = compile_network(graph_to_model(TOPO), sc)
    controls = Controls(sc.controls, net, np.random.default_rng(0), sc.start)
    vend, lab = net.index["vend"], net.index["lab_cn"]
    rules = controls.relevant(vend, lab, "acc", net.parties(lab, "acc"))
    now = periods_in * period  # a boundary, computed as the engine's clock would reach it
    assert controls.decide(rules, now, vend, lab, "acc", 100.0, "order").action == "allow"
    d = controls.decide(rules, now, vend, lab, "acc", 50.0, "order")  # the period's quota is spent
    assert d.action == "wait" and 0.0 < d.delay <= period * (1 + 1e-9)
    assert controls.decide(rules, now + d.delay, vend, lab, "acc", 50.0, "order").action == "allow"


def test_a_quota_with_a_fractional_period_runs_to_the_end():
    r = run(rule(action="quota", quota=500, period_days=30.4, quota_excess="wait"), end="2022-12-31")
    cn = lab_orders(r, "lab_cn", "acc")
    released = cn[cn["released"].notna()]
    assert len(released) > 5
    per = released.groupby(((released["released"] + 1e-9) // 30.4).astype(int))["qty"].sum()
    assert (per <= 500 * (1 + 1e-9)).all()


@pytest.mark.parametrize("order", ["licence first", "quota first"])
def test_a_quota_binds_whatever_the_order_of_the_rules_beside_a_licence(order):
    """Every rule in force applies to an order, whatever the order the scenario lists them in: a
    licence granted at placement does not let the order past a quota listed after it (it did: the
    order was released on the grant, 10x the quota in the first year), and the part a quota lets go
    still needs its licence. Each year exactly the quota is released, each unit after a 10-day review."""
    lic = rule(id="lic", action="license", review_days=10, approval=1.0)
    quo = rule(id="quo", action="quota", quota=20000, period_days=365, quota_excess="refuse")
    r = run(*((lic, quo) if order == "licence first" else (quo, lic)), end="2023-12-30")
    cn = lab_orders(r, "lab_cn")
    out = cn[cn["released"].notna()]
    assert (out["qty"] - out["denied_qty"]).groupby(out["released"] // 365).sum().to_numpy() == pytest.approx([20000, 20000])
    ev = r.events[(r.events["type"] == "control") & (r.events["detail"] == "order")]
    granted = ev[ev["what"] == "licence granted"]["qty"].sum()
    if order == "quota first":  # only the part within the quota applies for the licence
        assert granted == pytest.approx(40000)
    assert (out["released"] - out["ordered"] >= 10 - 1e-9).all()


def _three_hbm_makers(**rule_kw):
    """two_labs with pkg_cn buying HBM from two Korean makers and a Chinese one, a third each,
    and an HBM ban on Korea -> China that takes effect at the border while the first lots are made."""
    import yaml

    from supplychain.topology import parse_topology

    data = yaml.safe_load((ROOT / "tests" / "data" / "two_labs.yaml").read_text())
    data["nodes"] += [{"id": "hbm_kr2", "kind": "memory", "country": "KR", "makes": ["hbm"], "capacity": 1000000, "cycle_time": 30},
                      {"id": "hbm_cn", "kind": "memory", "country": "CN", "makes": ["hbm"], "capacity": 1000000, "cycle_time": 30}]
    data["edges"] += [{"from": "hbm_kr2", "to": "pkg_cn", "product": "hbm", "transport": 2},
                      {"from": "hbm_cn", "to": "pkg_cn", "product": "hbm", "transport": 2}]
    ban = rule(announced="2022-01-20", effective="2022-01-20", **rule_kw)
    return simulate(parse_topology(data), {"name": "c", "end": "2022-12-31", "controls": [ban], "labs": {"review_days": 7}})


def test_a_kit_whose_input_two_suppliers_refuse_loses_their_share_once():
    """Two of a kit's three HBM suppliers refused at the border: the kit loses the packages their
    two thirds of the stacks would have made, and makes the rest from the third's. Measuring the
    second refusal against the need the first had left counted the first's packages again (five
    sixths lost, not two thirds: in the baseline, China's kits whose HBM from SK hynix and Samsung
    was refused at the end of 2024 lost up to all their packages though CXMT's stacks came)."""
    r = _three_hbm_makers(scope={"supplier_countries": ["KR"], "destinations": ["CN"], "product_kinds": ["hbm"]})
    o = r.orders
    kits = o[(o["kind"] == "assembly") & (o["supplier"] == "pkg_cn")].set_index("order_id")
    hbm = o[(o["product"] == "hbm") & o["parent_id"].isin(kits.index)]
    refused = hbm.groupby("parent_id")["denied_qty"].sum() / hbm.groupby("parent_id")["qty"].sum()
    two = refused[hbm[hbm["denied_qty"] > 0].groupby("parent_id").size().reindex(refused.index, fill_value=0) == 2]
    assert len(two) > 0 and (two < 0.9).all()  # both Korean makers refused, the Chinese one's third came
    lost = kits.loc[two.index, "denied_qty"] / kits.loc[two.index, "qty"]
    assert lost.to_numpy() == pytest.approx(two.to_numpy(), rel=1e-9)
    made = kits.loc[two.index]
    assert (made["delivered_qty"] > 0).all() and (made["rule"] == "r1").all()  # the rule that refused its inputs


def test_a_kit_refused_in_full_stays_out_of_the_packaging_book():
    """A kit whose every HBM stack was refused has nothing to make: when its dies arrive later it
    is `denied` under the rule, not parked in the book (`book`, nothing to start) to the end."""
    r = _three_hbm_makers(scope={"destinations": ["CN"], "product_kinds": ["hbm"]})
    o = r.orders
    kits = o[(o["kind"] == "assembly") & (o["supplier"] == "pkg_cn")]
    gone = kits[kits["denied_qty"] >= kits["qty"] * (1 - 1e-9)]
    assert len(gone) > 0
    assert (gone["status"] == "denied").all() and gone["entered"].isna().all()
    assert (gone["cause"] == "denied:r1").all()


def test_every_control_decision_names_the_order_line_it_was_on():
    """`events.order_id` joins a decision to its line in `orders` (same supplier, customer and product, the
    variant for a substitution); a licence review and its decision name one line; a shock names none."""
    shock = {"id": "s1", "kind": "capacity", "start": "2023-01-01", "duration_days": 30, "multiplier": 0.5,
             "target": {"countries": ["TW"]}}
    ban = rule(substitute=True, scope={"destinations": ["CN"], "products": ["acc"]})
    licence = rule(id="r2", action="license", review_days=30, approval=0.5, scope={"destinations": ["CN"], "product_kinds": ["hbm"]})
    r = run(ban, licence, shocks=[shock])
    ev = r.events
    decisions = ev[ev["type"] == "control"]
    assert len(decisions) > 20 and decisions["order_id"].notna().all()
    assert ev.loc[ev["type"] == "shock", "order_id"].isna().all()
    m = decisions.merge(r.orders, on="order_id", suffixes=("", "_line"))
    assert len(m) == len(decisions)
    for c in ("supplier", "customer", "product"):
        assert (m[c] == m[f"{c}_line"]).all(), c
    assert m["what"].str.startswith("substitution").any()
    reviewed = set(decisions.loc[decisions["what"] == "licence review", "order_id"])
    decided = set(decisions.loc[decisions["what"].isin(["licence granted", "licence denied"]), "order_id"])
    assert decided and decided <= reviewed


def test_a_contract_packagers_dies_concern_the_designer_of_the_accelerator_they_go_into():
    """An order concerns the designer of the product it serves, for a component the accelerator it goes into
    (`Net.parties`): with the Chinese packager no entity of its own, the foreign direct product rule on the
    designer's entity still routes its dies for the designer's accelerator to the domestic fab, none refused."""
    from supplychain.topology import parse_topology, read_yaml

    data = read_yaml(ROOT / "tests" / "data" / "two_labs.yaml")
    for node in data["nodes"]:
        if node["id"] == "pkg_cn":
            node.pop("entities")
    fdp = {"id": "fdp", "announced": "2022-01-01", "effective": "2022-01-01", "action": "ban",
           "scope": {"tech_origin": ["US"], "entities": ["huawei"]}}
    r = simulate(parse_topology(data), {"name": "c", "end": "2023-06-30", "controls": [fdp], "labs": {"review_days": 7}})
    o = r.orders
    logic = o[(o["kind"] == "component") & (o["customer"] == "pkg_cn") & (o["product"] == "logic")]
    assert len(logic) > 0 and set(logic["supplier"]) == {"fab_cn"}
    assert (logic["status"] != "denied").all()


def test_a_kit_whose_input_the_stockpile_covers_orders_none_of_it():
    """HBM stockpiled ahead of a rule (x3 between announcement and effect) is drawn by the packager's later
    kits first: a kit the pile covers orders no HBM, not a line of 0 units, and every line orders something."""
    pile = rule(id="hbm", announced="2022-03-01", effective="2022-09-01", action="license", approval=0.0,
                review_days=30, stockpile=3.0, scope={"destinations": ["CN"], "product_kinds": ["hbm"]})
    o = run(pile, end="2023-03-31").orders
    assert (o["qty"] > 0).all()
    kits = o[(o["kind"] == "assembly") & (o["supplier"] == "pkg_cn")]
    hbm = o[(o["kind"] == "component") & (o["product"] == "hbm") & (o["customer"] == "pkg_cn")]
    from_pile = kits[~kits["order_id"].isin(hbm["parent_id"])]
    assert len(from_pile) > 0 and (from_pile["status"] != "denied").any()
