"""Reviews: what labs and fabs decide on a schedule, and the state a run starts from.

Labs review their orders every `review_days` (toward a target fleet by their
ordering policy, `engine.ordering`; the level is capped by the power expected
when the chips arrive if the lab is `power_aware`,
split over the SKUs on sale `order_ahead_days` ahead, with substitution and
stockpiling under export controls, and power sized from what the fleet will
draw); fabs with an expansion plan order tools a year ahead of planned
capacity. The start fleet retires in yearly tranches, delivered accelerators a
lifetime after commissioning, and orders placed before the start arrive evenly.
Mixed into `World`.
"""

from __future__ import annotations

from ..scenario_events import Rule
from .labs import LabState
from .network import Flow
from .ordering import BUILT_IN, Review, ask
from .orders import Order

__all__ = ["Reviews", "TOOL_LEAD_DAYS", "TOOL_REVIEW_DAYS"]

INF = float("inf")
NAN = float("nan")
TOOL_LEAD_DAYS = 365.0  # assumption: fabs order tools a year ahead of planned capacity
TOOL_REVIEW_DAYS = 30.0  # assumption: fabs review their tool orders monthly


class Reviews:
    """Scheduled decisions of labs and fabs (a mixin of `World`)."""

    def _schedule_initial_retirements(self) -> None:
        """The fleet at the start has ages spread evenly over a lifetime (assumption), so it
        retires in equal yearly tranches, the oldest first.

        Retirements wait in each lab's queue (`Labs.retire_later`), without kernel events: the
        daily step and the lab's reviews, which are all that read a lab's fleet, first retire
        what has come due (`Labs.retire_due`). Between reads, a retirement touches nothing
        anything else touches, so every read sees the fleet it would see had each retirement
        been an event at its due instant; one event per delivery was a tenth of a default run's
        events and, years ahead, deepened the pending heap. The start fleet's tranches all fall
        within one lifetime, before any delivery's, so each queue stays in due order."""
        for j, node in enumerate(self.labs.nodes):
            life = self.labs.states[j].policy.lifetime_years
            tranches = max(1, int(round(life)))
            due = [((k + 0.5) * life / tranches * 365.25, sku, units / tranches)
                   for sku, units in self.net.node_models[node].fleet.items() for k in range(tranches)]
            for when, sku, units in sorted(due, key=lambda r: r[0]):  # stable: SKUs in fleet order at equal times
                if when < self.net.days:
                    self.labs.retire_later(j, when, sku, units)

    def _schedule_in_flight(self) -> None:
        """Orders placed before the start arrive evenly (weekly) over the lab's `in_flight_days`,
        so the run does not begin with an empty pipeline."""
        net = self.net
        for j, node in enumerate(self.labs.nodes):
            m = net.node_models[node]
            for sku, units in m.in_flight.items():
                flows = [f for f in self.labs.acc_flows[j] if f.product == sku]
                o = self._new("lab", flows[0] if flows else None, sku, units, 0.0, supplier=node, customer=node, lab=node)
                o.released = o.entered = 0.0
                o.note = "in_flight"
                self.labs.on_order(j, o.flow, sku, units)
                weeks = max(1, int(round(m.in_flight_days / 7)))
                for k in range(weeks):
                    self.at(7.0 * k + 3.5, self._in_flight_arrival, o, units / weeks)

    def _in_flight_arrival(self, o: Order, qty: float) -> None:
        if o.shipped is None:
            o.shipped = self.env.now
        o.shipped_qty += qty
        self.in_transit += qty
        self.shipped_qty += qty
        self._deliver(o, qty)

    def _review_lab(self, j: int) -> None:
        now = self.env._now  # type: ignore[attr-defined]  # `env.now` without the property's call
        labs, net, controls = self.labs, self.net, self.controls
        if labs.next_retire_view[j] <= now:  # the memoryview: a float, not a numpy scalar to compare
            labs.retire_due(j, now)
        st = labs.states[j]
        pol = labs.review_policy[j]  # its policy's fields, plain (`ReviewPolicy`)
        node = labs.nodes[j]
        target, today, power_target = labs.review_targets(j, now)
        position = labs.h100e_view[j] + st.waiting_h100e + st.on_order_h100e  # `labs.position(j)`, without the call
        limit = INF  # the largest position a power-aware lab's expected power runs
        if pol.power_aware and not labs.free_power:
            limit = position + labs.power_room_h100e(j, now, self._quote, self._power_quote(j, now))
        policy, params = labs.ordering[j]
        # min(target, limit), max(1.0, today), max(1.0, target): the same floats without the calls (two a review)
        level = limit if limit < target else target
        if (policy.every_review or level - position > 1e-6 * (today if today > 1.0 else 1.0)
                or (controls.rules and controls.any_announced(now))):  # (no rule: none announced, no call)
            rules = controls.rules
            least = 1e-6 * (target if target > 1.0 else 1.0)  # a SKU's part of the gap no larger is not ordered
            review = None
            # the lab's stream for a user's policy (`Review.rng`); a built-in one draws nothing: no stream to make
            built_in = policy is BUILT_IN.get(st.policy.ordering)
            rng = None if built_in else self.plugin_streams.get("ordering", net.ids[node])
            want = 0.0  # a built-in policy's answer, the same for every SKU (it reads only the review): asked once
            offers = self._lab_offers(j, now)
            extra = None  # H100e of each SKU stockpiled now, beside the policy's orders
            if rules and offers:
                position, limit, extra = self._lab_stockpile(st, offers, node, now, target, position, limit)
            for k, (flow, sku, share, chosen, blocked) in enumerate(offers):
                if review is None:  # every SKU's is the same: built once, when one is asked
                    review = Review(net.ids[node], now, limit if limit < target else target, position, target,
                                    pol.review_days, params, rng)
                    if built_in:
                        want = ask(policy, review)
                # how much of the gap to order now: the lab's ordering policy (`engine.ordering`; a user's, per SKU)
                gap = (want if built_in else ask(policy, review)) * share
                if extra is not None and extra[k] > 0.0:
                    gap += extra[k]
                    st.stockpiled[sku] = st.stockpiled.get(sku, 0.0) + extra[k]
                if gap <= least:
                    continue
                # a substitute keeps the units the lab budgeted for, not the H100e
                units = gap / labs.sku_units[sku][0]
                o = self._new("lab", flow, chosen, units, now, lab=node)
                if chosen != sku:  # the rule that blocked the SKU, the units ordered as its variant
                    self.controls.record(now, blocked.id, f"substitution {sku}->{chosen}", flow.supplier, node, chosen,
                                         units, "order", o.id)
                labs.on_order(j, o.flow, chosen, units)
                self.place(o, now)
        need = labs.power_need_mw(j, now, power_target) - st.power_mw - st.power_on_order_mw
        if need > 1e-6:
            for pid in labs.power_products[j]:
                st.power_on_order_mw += need
                if not self.order_from_suppliers("power", node, pid, need, now, lab=node):
                    st.power_on_order_mw -= need
                break
        if now + pol.review_days < net.days:
            self.at(now + pol.review_days, self._review_lab, j)

    def _lab_stockpile(self, st: LabState, offers: list, node: int, now: float, target: float, position: float,
                   limit: float) -> tuple[float, float, list[float] | None]:
        """Stockpiling: a lab a rule will soon hit (between its announcement and effect) raises its
        target for the SKU the rule covers by the rule's factor f: it orders that SKU's part of its
        target x (f - 1), share x (f - 1) x target, topped up as the target grows, beside what its
        policy orders. The policy sees the lab's position without that stockpile meanwhile, so its
        other SKUs are ordered as before; once the window is over the stockpile counts like the rest
        (the lab orders that much less later). Returns (position and limit for the policy, H100e per
        SKU to stockpile now, None outside every window). Raising the whole level by the factor
        instead bought f x the lab's whole target of that SKU and starved its other SKUs."""
        controls, held = self.controls, st.stockpiled
        factors = [controls.stockpile(now, flow.supplier, node, chosen, self.parties(node, chosen))
                   for flow, _, _, chosen, _ in offers]
        raised = {sku for (_, sku, _, _, _), f in zip(offers, factors) if f > 1.0}
        for sku in [s for s in held if s not in raised]:  # its window is over: the stockpile is the lab's fleet
            del held[sku]
        if not raised:
            return position, limit, None
        aside = sum(held.values())
        extra = [max(0.0, share * (f - 1.0) * target - held.get(sku, 0.0)) if f > 1.0 else 0.0
                 for (_, sku, share, _, _), f in zip(offers, factors)]
        room, total = limit - position, sum(extra)  # a power-aware lab's room caps the stockpile too
        if total > room:
            extra = [x * max(room, 0.0) / total for x in extra]
        return position - aside, limit - aside, extra

    def _quote(self, flow: int) -> float:
        """This week's quote of a flow, days, also on days its lab may not order it (a SKU no longer
        sold, whose orders are still in the chain); nan before the first week or without a flow."""
        latest = self.quote_book.latest
        return latest.item(flow) if latest is not None and flow >= 0 else NAN

    def _power_quote(self, j: int, now: float) -> float:
        """Days a new power order of lab `j` would wait: the latest weekly quote of its grids,
        weighted by the split of its power orders (inf before the first quote, or with no grid quoting)."""
        d = int(min(now, self.net.days - 1))
        node = self.labs.nodes[j]
        weights = self.sourcing.weight
        total = weight = 0.0
        for pid in self.labs.power_products[j]:
            for f in self.net.inbound.get((node, pid), ()):
                # `.item`: Python floats, the same values; a numpy scalar would carry its slower
                # arithmetic into the review's every product with the quote
                q, s = self._quote(f.index), f.share.item(d) * weights.item(f.index)
                if q == q and s > 0.0:  # nan: no quote yet
                    total += q * s
                    weight += s
        return total / weight if weight > 0.0 else INF

    def _lab_offers(self, j: int, now: float) -> list[tuple[Flow, str, float, str, Rule | None]]:
        """(vendor flow, SKU, share, SKU to order, rule blocking the SKU) for lab `j` today.

        A blocked SKU is ordered as its compliant variant if the vendor has one. A SKU refused
        outright (a ban, or a licence never granted: `approval` 0), with no variant, is left out
        and its share goes to the SKUs still open, as an order's suppliers are split
        (`order_from_suppliers`); a lab re-ordering it every review would only collect refusals.
        A licence that may be granted is applied for: still ordered.
        """
        labs = self.labs
        offers = labs.sku_offers(j, now, labs.review_policy[j].order_ahead_days)
        if not self.controls.rules:
            return [(flow, sku, share, sku, None) for flow, sku, share in offers]
        node = labs.nodes[j]
        out = []
        for flow, sku, share in offers:
            parties = self.parties(node, sku)
            blocked = self.controls.blocking_rule(now, flow.supplier, node, sku, parties)
            chosen = sku
            if blocked is not None:
                chosen = self.controls.substitute(now, flow.supplier, node, sku, parties) or sku
            out.append((flow, sku, share, chosen, blocked))
        still_open = [(flow, sku, share, chosen, blocked) for flow, sku, share, chosen, blocked in out
                      if blocked is None or chosen != sku or not _refused(blocked)]
        if still_open and len(still_open) < len(out):  # none open: order as before, to be refused
            total = sum(share for _, _, share, _, _ in still_open)
            out = [(flow, sku, share / total, chosen, blocked) for flow, sku, share, chosen, blocked in still_open]
        return out

    def _review_tools(self, node: int) -> None:
        now = self.env.now
        net = self.net
        tool, per_tool = net.expansion[node]
        future = int(min(now + TOOL_LEAD_DAYS, net.days - 1))
        gap = net.planned[node, future] / per_tool - self.production.tools[node] - self.tools_on_order[node]
        if gap > 1e-6:
            self.tools_on_order[node] += gap
            if not self.order_from_suppliers("tool", node, tool, gap, now):
                self.tools_on_order[node] -= gap
        if now + TOOL_REVIEW_DAYS < net.days:
            self.at(now + TOOL_REVIEW_DAYS, self._review_tools, node)


def _refused(rule: Rule) -> bool:
    """A rule that refuses every order in its scope: a ban, or a licence with no chance of approval."""
    return rule.action == "ban" or (rule.action == "license" and rule.approval <= 0.0)
