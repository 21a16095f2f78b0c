"""Export controls at the border: rules that take effect while goods are in the pipeline, licences
reviewed at shipment (one application per order), goods refused there."""

import pytest

from supplychain.results import simulate
from supplychain.topology import graph_to_model

from _controls import TOPO, lab_orders, rule, run


def test_rule_effective_while_goods_in_pipeline_acts_at_shipment():
    r = run(rule(announced="2022-03-01", effective="2022-03-01"))
    cn = lab_orders(r, "lab_cn", "acc")
    early = cn[cn["ordered"] < 59]
    caught = early[~(early["shipped"] < 59)]  # still in the pipeline when the rule took effect
    assert len(caught) > 0 and (caught["denied_qty"] > 0).all()
    assert (early[early["shipped"] < 59]["delivered_qty"] > 0).all()
    ev = r.events
    assert ((ev["stage"] if "stage" in ev else ev["detail"]) == "shipment").any()


def test_nothing_in_scope_crosses_the_border_after_a_ban_takes_effect():
    # partial shipments of one order: a refusal of the first part must not clear the rest
    r = run(rule(announced="2022-06-01", effective="2022-06-01"), end="2023-06-30")
    o = r.orders
    lab_cn = o[(o["customer"] == "lab_cn") & (o["product"] == "acc")]
    # vendor -> lab transport is 5 days: nothing may arrive later than that after the rule
    assert not (lab_cn["delivered"] > 151 + 5 + 1e-9).any()
    assert lab_cn[lab_cn["ordered"] >= 151]["delivered_qty"].sum() == 0


def test_goods_refused_at_the_border_are_refused_once():
    hbm_rule = rule(announced="2022-03-01", effective="2022-03-01",
                    scope={"destinations": ["CN"], "product_kinds": ["hbm"]})
    model = graph_to_model(TOPO).model_copy(deep=True)
    hbm = next(n for n in model.nodes if n.id == "hbm_kr")
    hbm.capacity = hbm.capacity.model_validate(20000)  # lots take weeks: shipped in weekly parts
    r = simulate(model, {"name": "c", "end": "2023-06-30", "controls": [hbm_rule], "labs": {"review_days": 7}})
    ev = r.events
    refused = ev[(ev["id"] == "r1") & (ev["detail"] == "shipment")]
    o = r.orders
    hbm_to_cn = o[(o["product"] == "hbm") & (o["customer"] == "pkg_cn")]
    assert refused["qty"].sum() > 0
    # goods held at the border are not re-checked (and re-counted) every week
    assert refused["qty"].sum() <= hbm_to_cn["qty"].sum() + 1e-6


def test_order_partly_delivered_then_refused_keeps_its_last_delivery_day():
    # weekly partial shipments of HBM to China, then a ban refuses the rest at the border: the
    # line is delivered (what arrived) on the day its last goods arrived, not left without a date
    hbm_rule = rule(announced="2022-09-01", effective="2022-09-01",
                    scope={"destinations": ["CN"], "product_kinds": ["hbm"]})
    model = graph_to_model(TOPO).model_copy(deep=True)
    hbm = next(n for n in model.nodes if n.id == "hbm_kr")
    hbm.capacity = hbm.capacity.model_validate(20000)
    r = simulate(model, {"name": "c", "end": "2023-06-30", "controls": [hbm_rule], "labs": {"review_days": 7}})
    o = r.orders
    cut = o[(o["delivered_qty"] > 0) & (o["denied_qty"] > 0)]
    assert len(cut) > 0 and (cut["status"] == "delivered").all()
    assert cut["delivered"].notna().all() and (cut["delivered"] >= cut["shipped"]).all()
    hbm_cut = cut[cut["product"] == "hbm"]
    assert len(hbm_cut) > 0 and (hbm_cut["delivered"] < 243).all()  # the last HBM that crossed left before the ban (day 243)
    assert not ((o["status"] == "delivered") & o["delivered"].isna()).any()


def test_a_line_refused_in_part_is_delivered_when_the_rest_arrives():
    """A ban that ends while an HBM line still ships in weekly parts: the parts reaching the border in its 20 days
    are refused, the later ones cross. Such a line is all accounted for when its last part arrives (delivered +
    refused = ordered), so it is delivered then; counting only the units that arrived left it 'shipped' for ever."""
    hbm_rule = rule(announced="2022-09-01", effective="2022-09-01", ends="2022-09-21",
                    scope={"destinations": ["CN"], "product_kinds": ["hbm"]})
    model = graph_to_model(TOPO).model_copy(deep=True)
    hbm = next(n for n in model.nodes if n.id == "hbm_kr")
    hbm.capacity = hbm.capacity.model_validate(20000)
    o = simulate(model, {"name": "c", "end": "2023-06-30", "controls": [hbm_rule], "labs": {"review_days": 7}}).orders
    hbm_cn = o[(o["product"] == "hbm") & (o["customer"] == "pkg_cn")]
    whole = hbm_cn[(hbm_cn["denied_qty"] > 0) & (hbm_cn["delivered_qty"] > 0)
                   & (hbm_cn["delivered_qty"] + hbm_cn["denied_qty"] >= hbm_cn["qty"] * (1 - 1e-9))]
    assert len(whole) > 0
    assert (whole["status"] == "delivered").all() and (whole["delivered"] > 263).all()  # after the ban (days 243-262)


def test_goods_refused_at_the_border_leave_the_rest_of_their_line_in_production():
    """A refusal at the border is of goods already made: the line's units not yet started are still made
    (and refused in turn while the ban lasts). They were taken out of the supplier's book instead, as
    many as were refused, and so were never made nor refused: the line finished short, and its kit
    waited for them to the end of the run."""
    hbm_rule = rule(announced="2022-04-01", effective="2022-04-01",
                    scope={"destinations": ["CN"], "product_kinds": ["hbm"]})
    model = graph_to_model(TOPO).model_copy(deep=True)
    hbm = next(n for n in model.nodes if n.id == "hbm_kr")
    hbm.capacity = hbm.capacity.model_validate(10000)  # the first lot is still being started when the ban comes
    r = simulate(model, {"name": "c", "end": "2023-06-30", "controls": [hbm_rule], "labs": {"review_days": 7}})
    o = r.orders
    lines = o[(o["product"] == "hbm") & (o["customer"] == "pkg_cn") & o["finished"].notna()]
    first = lines.iloc[0]
    assert first["ordered"] < 90 and first["finished"] > 90  # ordered before the ban, made after it
    assert (lines["delivered_qty"] + lines["denied_qty"]).to_numpy() == pytest.approx(lines["qty"].to_numpy())
    kit = o[o["order_id"] == first["parent_id"]].iloc[0]
    assert kit["status"] == "denied" and kit["denied_qty"] == pytest.approx(kit["qty"])


def test_a_licence_that_takes_effect_in_the_pipeline_holds_shipments_for_its_review():
    """Goods in the pipeline when a licence rule takes effect (2022-03-01, day 59) are reviewed at
    shipment: granted, they leave 30 days after they were ready, so nothing in scope ships in
    the 30 days after the rule, and orders placed before it still ship after the review. Their
    month at the border is the licence's delay (`cause`, and `rule`: the rule that delayed them),
    not a transport leg's."""
    r = run(rule(action="license", review_days=30, approval=1.0, announced="2022-03-01", effective="2022-03-01"),
            end="2022-12-31")
    cn = lab_orders(r, "lab_cn", "acc")
    shipped = cn["shipped"].dropna()
    assert not shipped.between(59, 89, inclusive="left").any()
    held = cn[(cn["ordered"] < 59) & (cn["shipped"] >= 89)]
    assert len(held) > 3 and (held["cause"] == "licence:r1").all() and (held["rule"] == "r1").all()
    assert (cn["status"] != "denied").all()


def test_a_licence_reviewed_at_shipment_decides_when_its_review_ends():
    """A licence that takes effect in the pipeline reviews goods at shipment as at placement: each
    review's outcome (granted or denied) is logged when the review ends, 30 days on, not at its start."""
    r = run(rule(action="license", review_days=30, approval=0.5, announced="2022-03-01", effective="2022-03-01"),
            end="2022-12-31")
    ev = r.events[(r.events["type"] == "control") & (r.events["detail"] == "shipment")]
    reviews = ev[ev["what"] == "licence review"]
    decided = ev[ev["what"].isin(["licence granted", "licence denied"])]
    assert len(reviews) > 5 and set(decided["what"]) == {"licence granted", "licence denied"}
    assert sorted(decided["day"]) == pytest.approx(sorted(reviews["day"] + 30.0))


def test_a_licence_never_granted_refuses_at_shipment_at_once():
    """`approval: 0` is a refusal known in advance (buyers route around it as around a ban), so goods
    meeting it at shipment are refused at once, not held for a review whose outcome is certain."""
    r = run(rule(action="license", review_days=30, approval=0.0, announced="2022-03-01", effective="2022-03-01"),
            end="2022-12-31")
    ev = r.events[(r.events["type"] == "control") & (r.events["detail"] == "shipment")]
    reviews, denied = ev[ev["what"] == "licence review"], ev[ev["what"] == "licence denied"]
    assert len(reviews) > 5 and len(denied) == len(reviews) and (ev["what"] != "licence granted").all()
    assert sorted(denied["day"]) == pytest.approx(sorted(reviews["day"]))


def _shipment_licence_world(approval: float):
    """Labs order before a licence takes effect, so their lines meet it at the border (packaging held to
    5,000 a day, so some ship weekly in parts); a World that records every delivery and every refusal
    at shipment of each order."""
    from supplychain.engine import World
    from supplychain.scenario import resolve

    class Recording(World):
        def _deliver(self, o, qty):
            self.seen.setdefault(o.id, []).append(("delivered", self.env.now, qty))
            super()._deliver(o, qty)

        def _refused_at_shipment(self, o, qty, rule):
            self.seen.setdefault(o.id, []).append(("refused", self.env.now, qty))
            super()._refused_at_shipment(o, qty, rule)

    lic = rule(action="license", review_days=60, approval=approval, announced="2022-03-01", effective="2022-03-01")
    res = resolve({"name": "c", "end": "2022-12-31", "controls": [lic], "labs": {"review_days": 7},
                   "set": {"nodes.pkg_tw.capacity": 5000}}, TOPO)
    w = Recording.__new__(Recording)
    w.seen = {}
    w.__init__(graph_to_model(res.topology), res.scenario, 3)
    return w.run()


def test_goods_of_an_order_reaching_the_border_during_its_licence_review_wait_for_its_end():
    """One licence application per order, as at placement: once its review has begun, the order's later
    goods at the border wait for the same decision. Granted, none arrives before the review ends (they
    went through at once: 7 of the baseline's 12 held lab orders shipped tens of thousands of units
    during their own reviews). Refused, the goods held meanwhile are refused with it, when it ends, and
    later ones at once (each part applied anew, under a review of its own)."""
    w = _shipment_licence_world(1.0)
    assert w.border_holds
    parts = 0
    for oid, (_, since, until) in w.border_holds.items():
        got = [t for what, t, _ in w.seen.get(oid, []) if what == "delivered"]
        parts += len(got) > 1
        assert got and min(got) >= until - 1e-9, (oid, since, until, got)
    assert parts  # orders shipped in parts were held

    w = _shipment_licence_world(1e-9)  # every review refuses, after its 60 days
    refused = {oid: [t for what, t, _ in seen if what == "refused"] for oid, seen in w.seen.items()}
    refused = {oid: times for oid, times in refused.items() if times}
    log = [row for row in w.controls.log if row[8] == "shipment"]
    decided = [row for row in log if row[3] == "licence denied"]
    assert len(decided) == len(refused)  # one review per order
    assert sum(len(t) > 1 for t in refused.values())  # orders refused in parts: joined or followed it
    ends = {row[0] for row in decided}
    assert all(min(times) in ends for times in refused.values())  # nothing refused before its review ended
    # every unit refused is in the events table: the review's own, then a `denied` row for each part after,
    # and one for the units still waiting for the vendor's stock, refused with the goods
    logged = sum(row[7] for row in log if row[3] in ("licence denied", "denied"))
    assert logged == pytest.approx(sum(w.orders[oid].denied_qty for oid in refused))
    assert logged > sum(qty for seen in w.seen.values() for what, _, qty in seen if what == "refused")


def test_a_licence_never_granted_is_applied_for_once_per_order_at_shipment():
    """Refused at its first goods, an order's later goods at the border are denied at once (a `denied` row each),
    as after a review that refuses: not a fresh review and refusal per part, which counted one order's weekly
    parts as that many applications in the events table and in summary.md's licence reviews."""
    w = _shipment_licence_world(0.0)
    log = [row for row in w.controls.log if row[8] == "shipment"]
    reviewed = [row[10] for row in log if row[3] == "licence review"]
    assert len(reviewed) == len(set(reviewed)) == sum(row[3] == "licence denied" for row in log) > 5
    refused = {oid: [t for what, t, _ in seen if what == "refused"] for oid, seen in w.seen.items()}
    parts = {oid for oid, times in refused.items() if len(times) > 1}
    assert parts and parts <= {int(o) for o in reviewed}  # orders refused in parts were reviewed, once
    assert {int(row[10]) for row in log if row[3] == "denied"} >= parts
    for oid in parts:  # the review and its refusal are the order's first check at the border
        first = min(row[0] for row in log if row[10] == oid)
        assert [row[3] for row in log if row[10] == oid and row[0] == first][:2] == ["licence review", "licence denied"]


def test_goods_held_at_the_border_for_a_review_go_when_the_rule_ends():
    """A review at shipment that would end after the rule does ends with it: the goods held at the
    border go on the rule's `ends` ("licence lapsed"), not refused after the rule has ended."""
    r = run(rule(action="license", review_days=200, approval=0.0001, announced="2022-03-01", effective="2022-03-01",
                 ends="2022-05-01"), end="2022-12-31")  # days 59 to 120
    ev = r.events[(r.events["id"] == "r1") & (r.events["detail"] == "shipment")]
    lapsed = ev[ev["what"] == "licence lapsed"]
    assert len(lapsed) > 0 and len(lapsed) == (ev["what"] == "licence review").sum() and (lapsed["day"] == 120).all()
    assert not ev["what"].isin(["licence granted", "licence denied", "denied"]).any()
    cn = lab_orders(r, "lab_cn", "acc")
    assert cn["denied_qty"].sum() == 0 and not cn["shipped"].between(59, 120, inclusive="neither").any()


def test_a_review_at_the_border_ending_on_the_rules_end_lapses_undecided():
    """As at placement: goods whose review at the border ends on the rule's `ends` go then ("licence lapsed");
    they were refused (approval 0.0001) by a rule no longer acting."""
    window = dict(announced="2022-03-01", effective="2022-03-01", ends="2022-05-01")  # days 59 to 120
    probe = run(rule(action="license", review_days=200, approval=0.0001, **window), end="2022-12-31")
    ev = probe.events[(probe.events["id"] == "r1") & (probe.events["detail"] == "shipment")]
    first = ev.loc[ev["what"] == "licence review", "day"].min()  # the first goods reviewed at the border
    r = run(rule(action="license", review_days=float(120 - first), approval=0.0001, **window), end="2022-12-31")
    ev = r.events[(r.events["id"] == "r1") & (r.events["detail"] == "shipment")]
    reviews = ev[ev["what"] == "licence review"]
    assert (reviews["day"] == first).any()  # the same first review, which now ends on day 120
    assert not ev["what"].isin(["licence granted", "licence denied", "denied"]).any()
    assert (ev.loc[ev["what"] == "licence lapsed", "day"] == 120).all()
    assert lab_orders(r, "lab_cn", "acc")["denied_qty"].sum() == 0


def test_a_lab_order_refused_at_the_border_is_refused_whole_at_once():
    """Goods of a lab order refused at the border go back to the vendor's stock; the order's units still
    waiting for stock meet the same rule, and are refused with them (a `denied` row at that check).
    Left waiting, they were given the refused goods back, again and again (an order of lab_cn refused
    10 times under a ban from 2024-01-01; at a float residue of stock, without end), and the goods
    reached the vendor's other customers only after every bounce."""
    from collections import Counter

    from supplychain.engine import World
    from supplychain.results import replication_seed
    from supplychain.scenario import resolve_scenario

    class Counting(World):
        def _refused_at_shipment(self, o, qty, rule):
            self.refusals[o.id] += 1
            super()._refused_at_shipment(o, qty, rule)

    ban = rule(announced="2024-01-01", effective="2024-01-01", scope={"destinations": ["CN"], "products": ["acc"]})
    res = resolve_scenario({"name": "c", "end": "2024-12-31", "controls": [ban], "labs": {"review_days": 7}},
                           topology=TOPO)
    w = Counting(graph_to_model(res.topology), res.scenario, replication_seed(0, 0))
    w.refusals = Counter()
    w.run()
    assert len(w.refusals) >= 3 and max(w.refusals.values()) == 1
    for i in w.refusals:  # every unit of each is delivered or refused: none left waiting for stock
        o = w.orders[i]
        assert o.status == "denied" and o.delivered_qty + o.denied_qty == pytest.approx(o.qty)
