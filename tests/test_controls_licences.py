"""Export-control licences reviewed at placement: the review delays a granted line (and counts in its lead
time), refuses at the approval rate, routes buyers around a licence never granted as around a ban,
lapses undecided when the rule ends (as a quota wait does), and the `rule` column names the ban, not
the licence, for a licensed line refused whole. Licences at shipment are in test_controls_shipment.py."""

import pytest
from scipy import stats

from supplychain.results import simulate

from _controls import lab_orders, rule, run
from conftest import ROOT


def test_licence_delays_by_review_time_and_denies_at_rate():
    r = run(rule(action="license", review_days=30, approval=0.6), end="2025-12-31")
    cn = lab_orders(r, "lab_cn", "acc")
    granted = cn[cn["status"] != "denied"]
    assert (granted["released"] - granted["ordered"]).to_numpy() == pytest.approx(30.0)
    n, k = len(cn), len(granted)
    lo, hi = stats.binomtest(k, n).proportion_ci(0.99)
    assert n > 100 and lo <= 0.6 <= hi
    assert (lab_orders(r, "lab_us")["released"] == lab_orders(r, "lab_us")["ordered"]).all()


def test_buyers_route_around_a_licence_never_granted_as_around_a_ban():
    """A licence with `approval` 0 refuses every order as a ban does, so a packager splits its
    dies over the suppliers still open instead of applying for licences it will not get."""
    never = {"id": "fdp", "announced": "2022-01-01", "effective": "2022-01-01", "action": "license",
             "review_days": 30, "approval": 0.0, "scope": {"tech_origin": ["US"], "entities": ["huawei"]}}
    comp = run(never).orders
    logic = comp[(comp["kind"] == "component") & (comp["customer"] == "pkg_cn") & (comp["product"] == "logic")]
    assert len(logic) > 10 and set(logic["supplier"]) == {"fab_cn"}


def test_a_licence_review_is_part_of_the_lead_time():
    """`lead_time_days` runs from the order, so a 30-day review adds 30 days to the lead time
    of every granted line over its time from release to delivery."""
    r = run(rule(action="license", review_days=30, approval=1.0), end="2023-06-30")
    cn = lab_orders(r, "lab_cn", "acc")
    cn = cn[cn["delivered"].notna()]
    assert len(cn) > 10
    assert (cn["lead_time_days"] - (cn["delivered"] - cn["released"])).to_numpy() == pytest.approx(30.0)


def test_a_licence_review_or_quota_wait_outlasting_the_rule_ends_with_it():
    """A rule acts up to its `ends`: an order still under a licence review, or waiting for a quota's
    next period, when the rule ends goes on that day ("licence lapsed" in events). The review used to
    decide after the rule had ended (a licence ended 2022-05-01 refused orders on 2022-06-08), and a
    quota wait ran to the next period's start, up to a period past the end."""
    licence = rule(action="license", review_days=200, approval=0.0001, announced="2022-03-01", effective="2022-03-01",
                   ends="2022-05-01")  # days 59 to 120
    r = run(licence, end="2022-12-31")
    cn = lab_orders(r, "lab_cn", "acc")
    held = cn[(cn["ordered"] >= 59) & (cn["ordered"] < 120)]
    assert len(held) > 3 and (held["released"] == 120).all() and (held["denied_qty"] == 0).all()
    ev = r.events[(r.events["id"] == "r1") & (r.events["detail"] == "order")]
    lapsed = ev[ev["what"] == "licence lapsed"]
    assert len(lapsed) == (ev["what"] == "licence review").sum() and (lapsed["day"] == 120).all()
    assert not ev["what"].isin(["licence granted", "licence denied"]).any()

    quota = rule(action="quota", quota=20000, period_days=365, quota_excess="wait", ends="2022-07-01")  # day 181
    cn = lab_orders(run(quota, end="2023-06-30"), "lab_cn", "acc")
    waited = cn[cn["released"] > cn["ordered"]]
    assert len(waited) > 3 and (waited["released"] == 181).all()


def test_a_licence_review_ending_on_the_rules_end_lapses_undecided():
    """A rule acts from `effective` up to, not on, its `ends`: a review that ends on that very day has nothing
    left to decide either. It was decided then, and with approval 0.0001 refused the orders whose review
    ended as the rule did, while those whose review ended a day later went ("licence lapsed")."""
    window = dict(announced="2022-03-01", effective="2022-03-01", ends="2022-05-01")  # days 59 to 120
    free = lab_orders(run(end="2022-12-31"), "lab_cn", "acc")
    first = free.loc[free["ordered"].between(59, 119), "ordered"].min()  # the first lab order under the rule
    r = run(rule(action="license", review_days=float(120 - first), approval=0.0001, **window), end="2022-12-31")
    cn = lab_orders(r, "lab_cn", "acc")
    on_the_day = cn[cn["ordered"] == first]  # its review ends on day 120
    assert len(on_the_day) > 0
    assert (on_the_day["released"] == 120).all() and (on_the_day["denied_qty"] == 0).all()
    ev = r.events[(r.events["id"] == "r1") & r.events["order_id"].isin(on_the_day["order_id"])]
    assert sorted(ev["what"]) == sorted(["licence review", "licence lapsed"] * len(on_the_day))
    assert (ev.loc[ev["what"] == "licence lapsed", "day"] == 120).all()


def test_a_licensed_line_refused_whole_under_a_ban_names_the_ban():
    """The `rule` column names the rule that delayed or refused a line. A lab line held by a licence (granted),
    then refused whole because the build lots that were to fill it lost their HBM to a ban, named the licence
    (cause `denied:lic`, a licence that refused nothing). It names the ban now; a line refused only in part
    keeps the licence it waited for, the cause of its wait."""
    lic = {"id": "lic", "announced": "2022-01-01", "effective": "2022-02-01", "action": "license", "review_days": 10,
           "approval": 1.0, "scope": {"product_kinds": ["accelerator"]}}
    ban = {"id": "ban", "announced": "2022-06-01", "effective": "2022-07-01", "action": "ban",
           "scope": {"product_kinds": ["hbm"]}}
    r = simulate(ROOT / "topology" / "minimal.yaml",
                 {"name": "x", "end": "2023-06-30", "controls": [lic, ban], "labs": {"review_days": 7}}, seed=1)
    lab = r.orders[r.orders["kind"] == "lab"]
    licensed = set(r.events.loc[(r.events["id"] == "lic") & (r.events["what"] == "licence granted"), "order_id"])
    refused = lab[lab["status"] == "denied"]
    assert len(refused) > 10 and refused["order_id"].isin(licensed).all()
    assert (refused["rule"] == "ban").all() and (refused["cause"] == "denied:ban").all()
    part = lab[(lab["denied_qty"] > 0) & (lab["status"] != "denied") & (lab["released"] > lab["ordered"])]
    assert len(part) > 0 and (part["rule"] == "lic").all() and (part["cause"] == "licence:lic").all()
