"""Goods at the border under more than one rule (docs/model.md section 5): every rule in force applies, whatever the
order they are listed in, and what a licence lets go meets the rules listed after it, at shipment as at placement.
The two-lab network's lab_cn buys `acc` (ordered before the rules take effect on 2022-03-01, day 59, so its lines
meet them at shipment); vendor -> lab transport is 5 days."""

import pytest

from _controls import lab_orders, rule, run

DAY = 59  # 2022-03-01
LIC = rule(id="lic", action="license", review_days=30, approval=1.0, announced="2022-03-01", effective="2022-03-01")
BAN = rule(id="ban", announced="2022-03-01", effective="2022-03-01")


@pytest.mark.parametrize("rules", [(LIC, BAN), (BAN, LIC)], ids=["licence first", "ban first"])
def test_a_licence_granted_at_the_border_does_not_let_goods_past_a_ban_listed_after_it(rules):
    """A licence granted at shipment let its goods go without meeting the ban listed after it: 68,852
    accelerators reached lab_cn after the ban took effect (22 reviews granted, none denied by the ban),
    where listing the ban first refused them all. Now the goods a granted licence lets go meet the ban
    when the review ends, and are refused then."""
    r = run(*rules, end="2022-12-31")
    cn = lab_orders(r, "lab_cn", "acc")
    assert cn.loc[cn["delivered"] > DAY + 5 + 1e-9, "delivered_qty"].sum() == 0
    ev = r.events[(r.events["type"] == "control") & (r.events["detail"] == "shipment")]
    assert (ev.loc[ev["id"] == "ban", "what"] == "denied").sum() > 5
    granted = ev[(ev["id"] == "lic") & (ev["what"] == "licence granted")]
    if rules[0] is LIC:  # each licence granted at the border, and the ban refusing its goods when it was
        denied = ev[(ev["id"] == "ban") & ev["order_id"].isin(granted["order_id"])]
        assert len(granted) > 5 and sorted(denied.groupby("order_id")["day"].min()) == sorted(granted["day"])
    else:  # the ban refuses first: no review
        assert granted.empty and not (ev["what"] == "licence review").any()


def test_goods_needing_two_licences_wait_for_both_reviews_and_name_the_first_rule():
    """Two licences (30 and 20 days, both granted) taking effect in the pipeline: goods reaching the border wait
    for the first review, then the second, 50 days, so nothing in scope ships in the 50 days after day 59
    (they went after the first review alone). The line's `rule` is the rule that first delayed it, and its
    cause the longer wait, that licence's: one hold, as at placement a line names the rule that held it first."""
    lic2 = rule(id="lic2", action="license", review_days=20, approval=1.0, announced="2022-03-01",
                effective="2022-03-01")
    r = run(LIC, lic2, end="2022-12-31")
    cn = lab_orders(r, "lab_cn", "acc")
    assert not cn["shipped"].dropna().between(DAY, DAY + 50, inclusive="left").any()
    held = cn[(cn["ordered"] < DAY) & (cn["shipped"] >= DAY + 50)]
    assert len(held) > 3 and (held["rule"] == "lic").all() and (held["cause"] == "licence:lic").all()
    ev = r.events[(r.events["type"] == "control") & (r.events["detail"] == "shipment")]
    first = ev[(ev["id"] == "lic") & (ev["what"] == "licence granted")]
    second = ev[(ev["id"] == "lic2") & (ev["what"] == "licence review")]
    pairs = set(zip(second["order_id"], second["day"]))  # each granted first licence meets the second then
    assert len(first) > 3 and all(pair in pairs for pair in zip(first["order_id"], first["day"]))
