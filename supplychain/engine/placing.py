"""Placing orders: the export-control check when an order is placed, and the split of a need
among the suppliers a ban leaves open.

An order passes every rule in force that covers it (`Controls.decide`): allowed, it is
released to its supplier; a licence holds it for its review; a quota lets the part that fits
go now and holds or refuses the rest; a ban refuses it, and the refusal passes up to what it
was for (`World._deny`). Mixed into `World`.
"""

from __future__ import annotations

from .controls import rules_after
from .network import Flow
from .orders import Order

__all__ = ["Placing"]

_NO_RULES: tuple[()] = ()  # the rules of every order in a scenario without export controls


class Placing:
    """Export controls at placement and the split among open suppliers (a mixin of `World`)."""

    def _split_among(self, customer: int, product: str, now: float, served: str) -> list[tuple[Flow, float]]:
        """`Net.split` without the banned suppliers (unless all are), by the weights of dynamic
        sourcing if it is on. `served`: the product the order serves (who it concerns). Without
        dynamic sourcing the split changes only when a rule takes effect or ends or an edge share
        changes, so it is kept per (customer, product, served) for the stretch it holds over: most
        needs of a run with controls are split again within one (a shared list: read it only)."""
        if self.sourcing.on:
            return self._split_now(customer, product, now, served)
        net = self.net
        period = (self.controls.phase(now), net.share_period(customer, product, int(now)))
        key = (customer, product, served)
        hit = self._splits.get(key)
        if hit is not None and hit[0] == period:
            return hit[1]
        split = self._split_now(customer, product, now, served)
        self._splits[key] = (period, split)
        return split

    def _split_now(self, customer: int, product: str, now: float, served: str) -> list[tuple[Flow, float]]:
        """`_split_among` worked out."""
        flows = self.net.flows_into(customer, product)
        use = flows
        if self.controls.rules:
            parties = self.parties(customer, served)
            use = [f for f in flows if not self.controls.banned(now, f.supplier, customer, product, parties)] or flows
        if not use:
            return []
        shares = self.sourcing.shares(use, int(now)) if self.sourcing.on else self.net.shares(use, int(now))
        return [(f, s) for f, s in zip(use, shares) if s > 0]

    def place(self, o: Order, now: float) -> None:
        """Check export controls at order time, then release (or delay, or deny) the order."""
        rules = o.rules
        if rules is None:  # a new order: its rules looked up (none at all without controls: no call)
            if self.controls.rules:
                rules = self._rules(o)
            else:
                o.rules = rules = _NO_RULES
        if not rules:  # no rule covers the trade: allowed
            self._release(o, now)
            return
        self._check(o, now, rules)

    def _check(self, o: Order, now: float, rules: list) -> None:
        """Act on the first of `rules` that holds `o` up. What it lets go (a licence granted, the part
        within a quota) goes on to the rules after it: every rule in force applies, in any order."""
        d = self.controls.decide(rules, now, o.supplier, o.customer, o.product, o.qty, "order", o.licence, order=o.id)
        if d.action == "allow":
            self._release(o, now)
        elif d.action == "deny":
            if d.allowed > 1e-9:  # a quota refuses only the excess
                rest = self._split(o, d.allowed)
                self._check(o, now, rules_after(rules, d.rule))
                o = rest
            o.rule = d.rule
            self._deny(o, o.qty, now, rule=d.rule)
        elif d.action == "wait":
            if d.allowed > 1e-9:  # what fits the quota goes now, the rest waits for the next period
                rest = self._split(o, d.allowed)
                self._check(o, now, rules_after(rules, d.rule))
                o = rest
            o.rule, o.status = d.rule, "waiting"
            when = min(now + d.delay, d.until)  # a quota that ends first lets the order go when it ends
            self.at(when, self.place, o, when)
        else:
            o.rule, o.status = d.rule, "licence"
            # the rule ends before the review does, or as it does (a rule acts up to, not on, its `ends`):
            # the requirement lapses then, with no decision
            if now + d.delay >= d.until:
                self.at(d.until, self._licence_lapsed, o)
            else:
                self.at(now + d.delay, self._licence_decided, o, d.approved)

    def _child_rule(self, o: Order) -> str:
        """The rule that refused one of an order's inputs, for the delay cause of what it starves."""
        for c in o.children:
            if c.rule:
                return c.rule
        return ""

    def _split(self, o: Order, keep: float) -> Order:
        """Cut an unreleased order in two: `o` keeps `keep` units, the new order the rest."""
        rest = self._new(o.kind, self.net.flows[o.flow] if o.flow >= 0 else None, o.product, o.qty - keep, o.ordered,
                         supplier=o.supplier, customer=o.customer, parent=o.parent, lab=o.lab)
        rest.note, rest.licence = o.note, o.licence
        o.qty = keep
        return rest

    def _rules(self, o: Order) -> "list | tuple[()]":
        """The rules whose scope covers `o`, cached on it: supplier, customer, product and
        parties never change, so `place` and every shipment share one lookup. The lookup is
        kept per (supplier, customer, product, product served) too, which decide the parties:
        one dictionary read per order where the parties and `Controls.relevant` took two calls."""
        if not self.controls.rules:
            o.rules = _NO_RULES
            return _NO_RULES
        parent = o.parent
        served = parent.product if o.kind == "component" and parent is not None else o.product
        key = (o.supplier, o.customer, o.product, served)
        rules = self._order_rules.get(key)
        if rules is None:
            rules = self._order_rules[key] = self.controls.relevant(o.supplier, o.customer, o.product,
                                                                    self.parties(o.customer, served))
        o.rules = rules
        return rules

    def _licence_decided(self, o: Order, approved: bool) -> None:
        now = self.env.now
        if approved:
            o.licence += (o.rule,)
            self.controls.record(now, o.rule, "licence granted", o.supplier, o.customer, o.product, o.qty, "order", o.id)
            self._check(o, now, rules_after(o.rules, o.rule))  # the rules after the licence apply too
            return
        self.controls.record(now, o.rule, "licence denied", o.supplier, o.customer, o.product, o.qty, "order", o.id)
        self._deny(o, o.qty, now, rule=o.rule)

    def _licence_lapsed(self, o: Order) -> None:
        """The rule of `o`'s licence review ended before the review did: nothing is left to decide (a
        rule acts only up to its `ends`), so the order goes on to the rules after it, as if granted."""
        now = self.env.now
        self.controls.record(now, o.rule, "licence lapsed", o.supplier, o.customer, o.product, o.qty, "order", o.id)
        self._check(o, now, rules_after(o.rules, o.rule))
