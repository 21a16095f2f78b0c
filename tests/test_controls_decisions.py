"""Export-control decisions by hand, on `Controls` alone: what a rule's scope matches, a quota's
periods counted from the rule's effective day, the stockpile factor, substitution, and the flows a
buyer's split skips (`refused_flows`), each checked on the day its rule changes."""

import numpy as np
import pytest

from supplychain.engine.controls import Controls
from supplychain.engine.network import compile_network
from supplychain.scenario_schema import Scenario
from supplychain.topology import graph_to_model

from _controls import TOPO, rule

EFFECTIVE = 151  # 2022-06-01, days from the run's start (2022-01-01)


def controls(*rules, model=None):
    sc = Scenario.model_validate({"name": "c", "end": "2023-06-30", "controls": list(rules)})
    net = compile_network(model or graph_to_model(TOPO), sc)
    return Controls(sc.controls, net, np.random.default_rng(0), sc.start), net


def matched(scope, action="ban", model=None):
    """The products of the topology a rule of `scope` covers, by its product tests alone."""
    c, net = controls(rule(action=action, scope=scope), model=model)
    r = c.rules[0].rule
    return {p for p, prod in net.products.items() if c._product_matches(r, prod, p)}


def test_an_equipment_rule_without_product_kinds_covers_tools_only():
    assert matched({"destinations": ["CN"]}, action="equipment") == {"tool"}
    assert matched({"destinations": ["CN"]}, action="ban") == {"tool", "logic", "hbm", "acc", "acc_c", "asc", "power"}


def test_a_tpp_threshold_leaves_out_products_without_a_tpp():
    """Dies, HBM, tools and power have no TPP: `min_tpp` alone (no product kinds) covers the accelerators at or above it."""
    assert matched({"min_tpp": 2400}) == {"acc", "acc_c", "asc"}
    assert matched({"min_tpp": 12000}) == {"acc", "asc"}


def test_perf_density_matches_at_or_above_and_bw_density_strictly_above():
    model = graph_to_model(TOPO).model_copy(deep=True)
    model.products["acc"].perf_density = 5.92
    assert matched({"min_perf_density": 5.92}, model=model) == {"acc"}
    assert matched({"min_perf_density": 5.93}, model=model) == set()
    assert matched({"min_bw_density": 3.3}) == set()  # hbm: 3.3 GB/s per mm2, not above 3.3
    assert matched({"min_bw_density": 3.29}) == {"hbm"}


def test_origin_and_destination_each_match_if_either_of_their_lists_does():
    """Supplier country OR technology origin; destination country OR a named entity."""
    c, net = controls(rule(scope={"supplier_countries": ["US"], "tech_origin": ["US"], "product_kinds": ["logic"]}),
                      rule(id="r2", scope={"destinations": ["CN"], "entities": ["huawei"], "product_kinds": ["accelerator"]}))
    origin, dest = (x.rule for x in c.rules)
    fab_tw, pkg_tw, vend, lab_cn = (net.index[n] for n in ("fab_tw", "pkg_tw", "vend", "lab_cn"))
    assert c.matches(origin, fab_tw, pkg_tw, "logic", net.parties(pkg_tw, "acc"))  # TW, made with US technology
    assert not c.matches(origin, net.index["fab_cn"], net.index["pkg_cn"], "logic", net.parties(net.index["pkg_cn"], "asc"))
    assert c.matches(dest, vend, lab_cn, "acc", net.parties(lab_cn, "acc"))  # to China, no Huawei among the parties
    assert c.matches(dest, net.index["hw"], lab_cn, "asc", net.parties(lab_cn, "asc"))
    assert not c.matches(dest, vend, net.index["lab_us"], "acc", net.parties(net.index["lab_us"], "acc"))


def test_a_quota_counts_its_periods_from_its_effective_day():
    """10 units per 30 days from day 151: periods [151, 181), [181, 211), ... An order that does not fit
    goes in part (`allowed`) and the rest waits until the next period begins."""
    c, net = controls(rule(action="quota", quota=10, period_days=30, quota_excess="wait", effective="2022-06-01",
                           scope={"destinations": ["CN"], "products": ["acc"]}))
    vend, lab = net.index["vend"], net.index["lab_cn"]
    rules = c.relevant(vend, lab, "acc", net.parties(lab, "acc"))
    decide = lambda now, qty: c.decide(rules, now, vend, lab, "acc", qty, "order")
    assert decide(EFFECTIVE + 5, 6.0).action == "allow"
    d = decide(EFFECTIVE + 25, 6.0)  # 4 units of the period's 10 left
    assert (d.action, d.allowed, d.delay) == ("wait", 4.0, pytest.approx(5.0))
    assert decide(EFFECTIVE + 29.5, 1.0).action == "wait"  # still the first period: full
    assert decide(EFFECTIVE + 30, 10.0).action == "allow"  # day 181 opens the second
    d = decide(EFFECTIVE + 31, 3.0)
    assert (d.action, d.allowed, d.delay) == ("wait", 0.0, pytest.approx(29.0))
    assert [row[3] for row in c.log] == ["quota wait", "quota wait", "quota wait"]
    assert [row[7] for row in c.log] == [2.0, 1.0, 3.0]  # the units that wait


def test_the_stockpile_factor_is_the_largest_of_the_rules_announced_and_not_yet_in_force():
    c, net = controls(rule(announced="2022-05-01", effective="2022-06-01", stockpile=3.0),
                      rule(id="r2", announced="2022-05-01", effective="2022-07-01", stockpile=2.0))
    vend, lab = net.index["vend"], net.index["lab_cn"]
    pile = lambda now: c.stockpile(now, vend, lab, "acc", net.parties(lab, "acc"))
    announced = 120  # 2022-05-01
    assert (pile(announced - 1e-6), pile(announced), pile(EFFECTIVE - 1e-6), pile(EFFECTIVE), pile(181)) == (1.0, 3.0, 3.0, 2.0, 1.0)
    assert (c.any_announced(announced - 1e-6), c.any_announced(announced), c.any_announced(180.5), c.any_announced(181)) == \
        (False, True, True, False)


def test_a_vendor_substitutes_unless_a_rule_in_force_other_than_a_quota_covers_the_variant():
    later = rule(id="r2", effective="2022-06-01", scope={"destinations": ["CN"], "products": ["acc_c"]})
    quota = rule(id="r3", action="quota", quota=1, period_days=30, scope={"destinations": ["CN"], "products": ["acc_c"]})
    for rules, before, after in (([later], "acc_c", None), ([quota], "acc_c", "acc_c")):
        c, net = controls(rule(scope={"destinations": ["CN"], "products": ["acc"]}, substitute=True), *rules)
        vend, lab = net.index["vend"], net.index["lab_cn"]
        sub = lambda now: c.substitute(now, vend, lab, "acc", net.parties(lab, "acc"))
        assert (sub(EFFECTIVE - 1), sub(EFFECTIVE)) == (before, after), rules


def refused(c, net, now):
    return {(net.ids[f.supplier], net.ids[f.customer], f.product) for f, x in zip(net.flows, c.refused_flows(now)) if x}


def test_the_flows_a_split_skips_change_on_a_rules_effective_day():
    """Asked the day before first, then on the effective day: the cached answer must not outlive the day."""
    c, net = controls(rule(effective="2022-06-01", scope={"destinations": ["CN"], "products": ["acc"]}))
    assert refused(c, net, EFFECTIVE - 1) == set()
    assert refused(c, net, EFFECTIVE) == {("vend", "lab_cn", "acc")}


def test_a_licence_is_routed_around_only_if_never_granted():
    for approval, banned in ((0.0, True), (0.5, False)):
        c, net = controls(rule(action="license", review_days=30, approval=approval, scope={"destinations": ["CN"], "products": ["acc"]}))
        vend, lab = net.index["vend"], net.index["lab_cn"]
        assert c.banned(10, vend, lab, "acc", net.parties(lab, "acc")) is banned
        assert refused(c, net, 10) == ({("vend", "lab_cn", "acc")} if banned else set())


def test_a_component_flow_is_refused_when_every_accelerator_its_packager_makes_with_it_is():
    """A die or HBM stack is judged with the parties of the accelerators its packager makes with it: a rule
    naming the designer `vend` as an entity covers the TW packager's dies and stacks (it makes acc and
    acc_c only), though the same die and stack also go into Huawei's asc, which it does not make."""
    c, net = controls(rule(scope={"entities": ["vend"], "product_kinds": ["logic", "hbm"]}))
    assert refused(c, net, 10) == {("fab_tw", "pkg_tw", "logic"), ("hbm_kr", "pkg_tw", "hbm")}
