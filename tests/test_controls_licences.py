"""Export-control licences reviewed at placement: the review delays a granted line (and counts in its lead
time), refuses at the approval rate, routes buyers around a licence never granted as around a ban,
lapses undecided when the rule ends (as a quota wait does) and the order meets the rules after it, keeps
its grant in the part a quota holds, is needed by the part a quota lets go, and the `rule` column names
the ban, not the licence, for a licensed line refused whole. Licences at shipment are in test_controls_shipment.py."""

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


def test_the_part_a_quota_lets_go_still_meets_the_licence_after_it_and_what_it_holds_is_waiting():
    """A quota whose excess waits, listed before a licence (10-day review): what fits the quota goes on to the
    licence, so every line released was released 10 days or more after it was ordered, never at once (the part
    held to the next period too: it met no licence before), and as much was granted as released; lines the quota
    holds at the end say `waiting`, a line under review would say `licence` (the README's statuses)."""
    lic = rule(id="lic", action="license", review_days=10, approval=1.0)
    quo = rule(id="quo", action="quota", quota=20000, period_days=365, quota_excess="wait")
    r = run(quo, lic, end="2023-06-30")
    cn = lab_orders(r, "lab_cn")
    out = cn[cn["released"].notna()]  # the first year's 20,000 and the next's, each after its review
    assert len(out) >= 2 and (out["released"] - out["ordered"] >= 10 - 1e-9).all()
    ev = r.events[(r.events["type"] == "control") & (r.events["detail"] == "order")]
    assert ev.loc[ev["what"] == "licence granted", "qty"].sum() == pytest.approx(out["qty"].sum(), rel=1e-12)
    held = cn[cn["released"].isna()]
    by_quota = held["rule"] == "quo"
    assert by_quota.sum() > 3 and (held.loc[by_quota, "status"] == "waiting").all()
    assert (held.loc[~by_quota, "status"] == "licence").all()


def test_the_rest_of_a_licensed_order_a_quota_holds_goes_in_the_next_period_without_a_second_review():
    """Licence first (10-day review), then a quota whose excess waits: a licensed order the quota cuts keeps
    its licence in both parts: each order is reviewed once, when placed, and the part held goes on the day the
    next period starts (day 365), not after a second review (which let another line take the new period's quota)."""
    lic = rule(id="lic", action="license", review_days=10, approval=1.0)
    quo = rule(id="quo", action="quota", quota=20000, period_days=365, quota_excess="wait")
    r = run(lic, quo, end="2023-06-30")
    cn = lab_orders(r, "lab_cn")
    rest = cn[(cn["ordered"] < 355) & (cn["released"] >= 365)]  # reviewed in the first year, held over
    assert len(rest) >= 1 and (rest["released"] == 365).all()
    ev = r.events[(r.events["type"] == "control") & (r.events["detail"] == "order") & (r.events["what"] == "licence review")]
    assert ev["order_id"].nunique() == len(ev)
    ordered = cn.set_index("order_id")["ordered"]
    assert (ev["day"].to_numpy() == ordered.reindex(ev["order_id"]).to_numpy()).all()  # at placement, never again


def test_an_order_whose_licence_review_lapses_meets_the_rules_listed_after_it():
    """A licence in force from day 59 to 120 (a 200-day review) and a ban from day 119, listed after it: an
    order under review when the licence ends goes on to the ban ("licence lapsed", then refused at placement:
    never released), not straight to its supplier."""
    licence = rule(action="license", review_days=200, approval=0.0001, announced="2022-03-01", effective="2022-03-01",
                   ends="2022-05-01")  # days 59 to 120
    ban = rule(id="ban", announced="2022-04-30", effective="2022-04-30")  # day 119
    r = run(licence, ban, end="2022-12-31")
    cn = lab_orders(r, "lab_cn", "acc")
    held = cn[(cn["ordered"] >= 59) & (cn["ordered"] < 119)]
    assert len(held) > 3 and held["released"].isna().all()
    assert (held["status"] == "denied").all() and (held["rule"] == "ban").all()
    ev = r.events[r.events["order_id"].isin(held["order_id"])]
    assert (ev.loc[ev["what"] == "licence lapsed", "day"] == 120).all()
    assert (ev["what"] == "licence lapsed").sum() == len(held)
