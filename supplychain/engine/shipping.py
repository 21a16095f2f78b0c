"""Shipping: finished goods leave their supplier, cross their edge and arrive.

An order ships what it has made (weekly, or when it is done), checked against
export controls at shipment; the goods travel for a transport time drawn per
shipment and, on arrival, go where the customer's kind says: a lab's
commissioning queue or its powered MW, a vendor's stock, a packaging kit's
inputs, a fab's tools, a stock point. Mixed into `World`.
"""

from __future__ import annotations

from .controls import rules_after
from .orders import Order

__all__ = ["Shipping"]


class Shipping:
    """Finishing, shipping and delivering order lines (a mixin of `World`)."""

    def _finished_now(self, o: Order) -> None:
        o.finished = self.env.now
        self._finished(o, self.env.now)

    def _finished(self, o: Order, now: float) -> None:
        kind = o.kind
        if kind == "build":  # a build-ahead maker's lot: into its stock
            qty = o.made - o.shipped_qty
            if qty > 1e-12:
                self.build_ahead.arrived(o, qty, now)
            return
        if kind == "assembly" and o.supplier == o.customer:  # generic assembly kit at a stock point
            good = o.qty - o.denied_qty  # less what its refused inputs no longer cover
            self.stocks.goods_in(o.supplier, good, now)
            o.delivered, o.delivered_qty, o.status = now, good, "delivered"
            return
        qty = o.made - o.shipped_qty - o.held_qty
        if qty > 1e-12:
            self.ship(o, qty, now)

    def ship(self, o: Order, qty: float, now: float) -> None:
        """Check controls at shipment, then send the goods along the order's edge."""
        rules = o.rules
        if rules is None:
            rules = self._rules(o)
        delay = 0.0
        if rules:  # no rule covers most orders: nothing to decide (allowed, no delay)
            border = self._border(o, qty, now, rules)
            if border is None:  # held or refused
                return
            delay = border
        tt = 0.0
        flow = o.flow
        if flow >= 0:
            tt = self.fixed_transport[flow]  # None: drawn, from the flow's own stream
            if tt is None:
                tt = self.draw_transport[flow]()  # type: ignore[misc]
            if self.transport_shocked[flow]:  # x 1.0 elsewhere: skip the lookup
                tt *= float(self.net.flows[flow].transport_mult[min(int(now), self.net.days - 1)])
        if o.shipped is None:
            o.shipped = now + delay
        o.shipped_qty += qty
        o.status = "shipped"
        self.in_transit += qty
        self.shipped_qty += qty
        self.at(now + delay + tt, self._deliver, o, qty)

    def _border(self, o: Order, qty: float, now: float, rules: list) -> float | None:
        """Decide `rules` on goods of `o` reaching the border: how long they wait there, or None if
        they are held (through a licence review that will refuse them) or refused. What a licence lets
        go meets the rules listed after it when its review ends, as at placement (`_check`)."""
        refused = self.refused_licences.get(o.id)
        if refused is not None and now < refused[1]:  # the order's licence is under review, to be refused:
            o.held_qty += qty  # these goods wait for the same decision (one application per order)
            self.controls.record(refused[1], refused[0], "denied", o.supplier, o.customer, o.product, qty, "shipment", o.id)
            self.at(refused[1], self._refused_at_shipment, o, qty, refused[0])
            return None
        t, delay = now, 0.0  # when the goods have met the rules decided so far, and their wait until then
        while True:
            d = self.controls.decide(rules, t, o.supplier, o.customer, o.product, qty, "shipment", o.licence,
                                     refused[0] if refused is not None else "", o.id)  # refused: its later goods are too
            if d.action == "deny":
                o.held_qty += qty
                if t > now:  # after a licence's review: refused when it ends
                    self.at(t, self._refused_at_shipment, o, qty, d.rule)
                else:
                    self._refused_at_shipment(o, qty, d.rule)
                return None
            if d.action == "wait":  # (a quota counts units only when they are ordered: not at shipment)
                delay += d.delay
                break
            if d.action != "review":
                break
            # the decision comes when the review ends, as at placement (a licence never granted refuses
            # at once: the exporter knows, as `Controls.banned` reads it)
            when = t if d.never else t + d.delay
            lapsed = when >= d.until  # the rule ends first, or as the review does: the goods wait for its end, then go
            when = min(when, d.until)
            self.controls.record(when, d.rule, "licence lapsed" if lapsed else "licence granted" if d.approved
                                 else "licence denied", o.supplier, o.customer, o.product, qty, "shipment", o.id)
            if not (d.approved or lapsed):  # held at the border through the review, then refused
                o.held_qty += qty  # the order's later goods are refused with it (then at once, not reviewed again)
                self.refused_licences[o.id] = (d.rule, when)
                if d.never and when <= now:
                    self._refused_at_shipment(o, qty, d.rule)
                else:
                    self.at(when, self._refused_at_shipment, o, qty, d.rule)
                return None
            # one licence covers the rest of this order's shipments, from when it is granted: goods
            # reaching the border during the review wait for its end (`border_holds`, below)
            o.licence += (d.rule,)
            step = d.until - t if lapsed else d.delay
            if step > 0.0:  # the goods wait at the border meanwhile: a licence wait of the order (causes.py)
                held = self.border_holds.get(o.id)
                if held is not None and held[2] > now:  # one hold of the order's goods, to the last review's end
                    self.border_holds[o.id] = (held[0], held[1], max(held[2], when))
                else:
                    self.border_holds[o.id] = (d.rule, t, when)
                o.rule = o.rule or d.rule  # the rule that delayed it (the `rule` column), unless one did before
            t, delay = when, delay + step
            rules = rules_after(rules, d.rule)
        hold = self.border_holds.get(o.id)
        if hold is not None and hold[2] > now + delay:  # its licence, granted, is still under review
            delay = hold[2] - now
        return delay

    def _refused_at_shipment(self, o: Order, qty: float, rule: str) -> None:
        """Goods a control refused at the border (already counted in `o.held_qty`): the order loses
        them, and they stay with the supplier for its next customer. An order filled from stock (a
        vendor's, a build-ahead maker's) loses the units still waiting for stock with them: the rule
        that refused these goods refuses those too (logged `denied` at the same check)."""
        now = self.env.now
        self.denied_at_shipment += qty
        o.rule = rule
        self._deny(o, qty, now, made=True, rule=rule)
        book = self.vendors if o.kind == "lab" else self.build_ahead if o.supplier in self.build_ahead.ahead else None
        if book is None:
            return
        rest = book.waiting_rest(o)
        if rest > 1e-12:
            self.controls.record(now, rule, "denied", o.supplier, o.customer, o.product, rest, "shipment", o.id)
            self._deny(o, rest, now, rule=rule)
        book.returned(o, qty, now)

    def _input_done(self, kit: Order, now: float) -> None:
        """One of a generic kit's inputs is all in (delivered, or its rest refused): with the last, the
        kit is kitted and assembled, less the units its refused inputs no longer cover."""
        kit.pending -= 1
        if kit.pending == 0 and kit.status == "waiting":
            kit.kitted = now  # every input has arrived
            net = self.net
            if kit.supplier == kit.customer and net.kinds[kit.supplier] == "stock":
                ct = float(net.cycle[kit.supplier, min(int(now), net.days - 1)])
                kit.entered = kit.started = now
                kit.made, kit.remaining = kit.qty - kit.denied_qty, 0.0
                self.at(now + ct, self._finished_now, kit)
            else:
                self.production.add(kit, now)

    def _deliver(self, o: Order, qty: float) -> None:
        now = self.env._now  # type: ignore[attr-defined]  # `env.now` without the property's call: one per shipment
        self.in_transit -= qty
        self.delivered_qty += qty
        o.delivered_qty = got = o.delivered_qty + qty
        o.arrived = now
        if got + o.denied_qty >= o.qty * (1 - 1e-9):
            o.delivered, o.status = now, "delivered"
        net = self.net
        customer = o.customer
        kind = net.kinds[customer]
        if kind == "lab":
            labs = self.labs
            j = labs.pos[customer]
            if o.product in labs.power_names:  # (a set: no pydantic field read per delivery)
                st = labs.states[j]
                st.power_mw += qty
                st.power_on_order_mw -= qty
            else:  # off the order book, into commissioning, and a retirement date
                labs.delivered(j, o.product, qty, now, o)
        elif kind == "vendor":
            self.vendors.arrived(o, qty, now)
        elif o.kind == "tool":
            self.production.tools[o.customer] += qty
            self.tools_on_order[o.customer] -= qty
        elif (kit := o.parent) is not None and kit.kind == "assembly":
            # (a stockpiling order has no parent: it goes to the packager's `inventory`, below)
            if kit.inputs is not None:
                kit.inputs[o.product][1] += qty
                self._kit_progress(kit, now)
            elif o.delivered is not None:  # a generic kit's input, all in
                self._input_done(kit, now)
        elif kind == "packaging":  # stockpiled components
            key = (o.customer, o.product)
            self.inventory[key] = self.inventory.get(key, 0.0) + qty
        elif kind == "stock":
            self.stocks.goods_in(o.customer, qty, now)
