"""Export-control rules: which orders they touch and what they decide.

A rule matches an order by the supplier's origin (country, jurisdiction, or
technology origin for the foreign direct product rule: the origin axis
matches if either is listed), the destination (the direct customer's
country, or a named entity among the parties to the order), the product
kind or id, and performance thresholds. Rules are checked when an order is
placed and again at shipment, so a rule that takes effect while goods are
in the pipeline acts on them. Every decision is logged with the rule id.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ..schema import Product
from ..scenario_events import Rule
from .network import Net
from .streams import keyed_stream

__all__ = ["Controls", "Decision", "ALLOW", "idle_rules", "rules_after"]


@dataclass(slots=True)
class Decision:
    action: str  # allow | deny | review | wait
    rule: str = ""
    delay: float = 0.0
    approved: bool = True
    allowed: float = 0.0  # quota: units that fit this period (the rest waits)
    never: bool = False  # licence: never granted (approval 0), a refusal known at once (as `banned` reads it)
    until: float = float("inf")  # the rule's `ends` day: a review or quota wait outlasting it ends there (the rule lapsed)


_NAN = float("nan")
ALLOW = Decision("allow")


@dataclass
class _Compiled:
    rule: Rule
    announced: int
    effective: int
    ends: float
    used: dict[int, float] = field(default_factory=dict)  # quota used per period
    rng: np.random.Generator | None = None  # the rule's licence draws (`Controls._rng`), made on its first review


class Controls:
    """The scenario's rules, compiled to day numbers, with their random licence draws."""

    def __init__(self, rules: list[Rule], net: Net, rng: np.random.Generator, start: dt.date) -> None:
        self.net = net
        self.rng = rng
        self.rules = [
            _Compiled(r, (r.announced - start).days, (r.effective - start).days, (r.ends - start).days if r.ends else np.inf)
            for r in rules
        ]
        self.log: list[tuple] = []
        self._memo: dict[tuple, bool] = {}  # scope matching is static: cache it
        self._relevant: dict[tuple, list[_Compiled]] = {}
        self._refused: dict[tuple[int, ...], np.ndarray] = {}  # rules in force -> `refused_flows`
        self._refused_in: dict[int, np.ndarray] = {}  # `phase` -> `refused_flows`
        self._ships: dict[int, set[str]] | None = None
        # the days some rule takes effect or ends: between two of them the same rules are in force
        self._cuts = sorted({c.effective for c in self.rules} | {c.ends for c in self.rules})

    # -- matching ------------------------------------------------------------
    def _product_matches(self, rule: Rule, prod: Product, pid: str) -> bool:
        sc = rule.scope
        kinds = list(sc.product_kinds) or (["tool"] if rule.action == "equipment" else [])
        if kinds and prod.kind not in kinds:
            return False
        if sc.products and pid not in sc.products:
            return False
        tests = []
        if sc.min_tpp is not None:
            tests.append(prod.tpp is not None and prod.tpp >= sc.min_tpp)
        if sc.min_perf_density is not None:
            tests.append(prod.perf_density is not None and prod.perf_density >= sc.min_perf_density)
        if sc.min_bw_density is not None:
            tests.append(prod.bw_density is not None and prod.bw_density > sc.min_bw_density)
        if tests:
            return any(tests) if sc.threshold_any else all(tests)
        return True

    def relevant(self, supplier: int, customer: int, product: str, parties: frozenset[str]) -> list[_Compiled]:
        """The rules whose scope covers this trade (static, so cached); callers check dates."""
        if not self.rules:
            return []
        key = (supplier, customer, product, parties)
        hit = self._relevant.get(key)
        if hit is None:
            hit = self._relevant[key] = [c for c in self.rules if self.matches(c.rule, supplier, customer, product, parties)]
        return hit

    def matches(self, rule: Rule, supplier: int, customer: int, product: str, parties: frozenset[str]) -> bool:
        key = (id(rule), supplier, customer, product, parties)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._matches(rule, supplier, customer, product, parties)
        return hit

    def _matches(self, rule: Rule, supplier: int, customer: int, product: str, parties: frozenset[str]) -> bool:
        net = self.net
        sc = rule.scope
        origin = []
        if sc.supplier_countries:
            origin.append(net.countries[supplier] in sc.supplier_countries or net.juris[supplier] in sc.supplier_countries)
        if sc.tech_origin:
            origin.append(bool(net.tech[supplier] & set(sc.tech_origin)))
        if origin and not any(origin):
            return False
        dest = []
        if sc.destinations:
            dest.append(net.countries[customer] in sc.destinations)
        if sc.entities:
            dest.append(bool(parties & set(sc.entities)))
        if dest and not any(dest):
            return False
        return self._product_matches(rule, net.products[product], product)

    def _rng(self, c: _Compiled) -> np.random.Generator:
        """The stream of one rule's licence reviews (a child of the run's licence stream keyed by the rule's id):
        a rule added to a scenario, or reviewing more, leaves every other rule's draws as they were."""
        c.rng = keyed_stream(self.rng, c.rule.id)
        return c.rng

    # -- decisions -----------------------------------------------------------
    def decide(
        self, rules: list[_Compiled], now: float, supplier: int, customer: int, product: str, qty: float, stage: str,
        cleared: tuple[str, ...] = (), refused: str = "", order: int = -1
    ) -> Decision:
        """The first effective rule of `rules` that holds the trade up decides (a quota the units fit
        counts them and lets the check go on); `cleared` names the licences already granted, `refused`
        the licence already refused to this order (at shipment: its later goods are denied at once).
        `rules` are those that cover the trade (`relevant`): an order's rules are static, so the
        world looks them up once per order (`Order.rules`), not once per shipment. `order`: the line's id,
        for the events table's `order_id`."""
        for c in rules:
            if not (c.effective <= now < c.ends):
                continue
            r = c.rule
            if r.id in cleared:
                continue
            if r.id == refused:
                return self._logged(now, r, "denied", supplier, customer, product, qty, stage, order, Decision("deny", r.id))
            if r.action in ("ban", "equipment"):
                return self._logged(now, r, "denied", supplier, customer, product, qty, stage, order, Decision("deny", r.id))
            if r.action == "license":
                rng = c.rng or self._rng(c)
                delay = max(0.0, r.review_days.sample(rng))  # type: ignore[union-attr]
                approved = bool(rng.random() < r.approval)
                d = Decision("review", r.id, delay, approved, never=r.approval <= 0.0, until=c.ends)
                return self._logged(now, r, "licence review", supplier, customer, product, qty, stage, order, d)
            if r.action == "quota":
                if stage != "order":
                    continue  # a quota counts units once, when they are ordered
                period = int((now - c.effective) // r.period_days)
                if c.effective + (period + 1) * r.period_days <= now:  # 0.5 // 0.1 is 4.0: the next period has begun
                    period += 1
                used = c.used.get(period, 0.0)
                if used + qty <= r.quota + 1e-9:  # type: ignore[operator]
                    c.used[period] = used + qty
                    continue
                room = max(r.quota - used, 0.0)  # type: ignore[operator]
                c.used[period] = used + room
                if r.quota_excess == "refuse":
                    return self._logged(now, r, "quota refused", supplier, customer, product, qty - room, stage, order,
                                        Decision("deny", r.id, allowed=room))
                wait = c.effective + (period + 1) * r.period_days - now
                return self._logged(now, r, "quota wait", supplier, customer, product, qty - room, stage, order,
                                    Decision("wait", r.id, wait, allowed=room, until=c.ends))
        return ALLOW

    def _logged(self, now, rule: Rule, what: str, supplier, customer, product, qty, stage, order: int,
                decision: Decision) -> Decision:
        self.record(now, rule.id, what, supplier, customer, product, qty, stage, order)
        return decision

    def record(self, when: float, rule: str, what: str, supplier: int, customer: int, product: str, qty: float,
               stage: str, order: int = -1) -> None:
        """One row of the events table for a control decision (`what`: "denied", "licence granted", ...) on
        order line `order` (its `order_id`: the decision joins the orders table; -1: none, left empty)."""
        ids = self.net.ids
        self.log.append((when, "control", rule, what, ids[supplier], ids[customer], product, qty, stage, _NAN,
                         float(order) if order >= 0 else _NAN))

    def any_announced(self, now: float) -> bool:
        """Is any stockpiling rule between its announcement and its effect now?"""
        return any(c.announced <= now < c.effective and c.rule.stockpile > 1.0 for c in self.rules)

    def stockpile(self, now: float, supplier: int, customer: int, product: str, parties: frozenset[str]) -> float:
        """Order multiplier for buyers a rule will soon hit (between announcement and effect)."""
        return self.stockpile_among(self.relevant(supplier, customer, product, parties), now)

    def stockpile_among(self, rules: list[_Compiled], now: float) -> float:
        """`stockpile` over rules already known to cover the trade (an order's `rules`)."""
        factor = 1.0
        for c in rules:
            if c.announced <= now < c.effective and c.rule.stockpile > 1.0:
                factor = max(factor, c.rule.stockpile)
        return factor

    def substitute(self, now: float, supplier: int, customer: int, product: str, parties: frozenset[str]) -> str | None:
        """A compliant variant the vendor may ship instead, if no active rule blocks it."""
        variant = self.net.products[product].compliant_variant
        blocking = self.blocking_rule(now, supplier, customer, product, parties)
        if variant is None or (blocking is not None and not blocking.substitute):
            return None
        for c in self.relevant(supplier, customer, variant, parties):
            if c.effective <= now < c.ends and c.rule.action != "quota":
                return None
        return variant

    def phase(self, now: float) -> int:
        """Which stretch of time `now` falls in, among those over which no rule takes effect or ends:
        `banned` (and every test of `effective <= now < ends`) answers alike within one."""
        return bisect.bisect_right(self._cuts, now)

    def banned(self, now: float, supplier: int, customer: int, product: str, parties: frozenset[str]) -> bool:
        """True if an effective ban, equipment control or never-approved licence refuses this trade.

        Buyers route around such suppliers instead of re-applying for licences
        that are certain to be denied."""
        for c in self.relevant(supplier, customer, product, parties):
            hard = c.rule.action in ("ban", "equipment") or (c.rule.action == "license" and c.rule.approval == 0.0)
            if c.effective <= now < c.ends and hard:
                return True
        return False

    def refused_flows(self, now: float) -> np.ndarray:
        """Per flow of the network: would `banned` refuse a new order on it today (so a buyer's split
        skips that supplier, `World.order_from_suppliers`)? A component (die, HBM) counts as refused
        when it is refused for every accelerator its customer packages with it, as the order for a kit
        is judged by the accelerator it goes into. Cached per set of rules in force, which changes only
        on a rule's effective and end dates."""
        phase = self.phase(now)
        hit = self._refused_in.get(phase)  # the rules in force, and so the array, are those of the phase
        if hit is not None:
            return hit
        key = tuple(i for i, c in enumerate(self.rules) if c.effective <= now < c.ends)
        hit = self._refused.get(key)
        if hit is None:
            net = self.net
            hit = self._refused[key] = np.fromiter(
                (all(self.banned(now, f.supplier, f.customer, f.product, net.parties(f.customer, p))
                     for p in self._served(f.customer, f.product)) for f in net.flows), bool, len(net.flows))
        self._refused_in[phase] = hit  # one array per set of rules in force: two phases may share it
        return hit

    def _served(self, customer: int, product: str) -> list[str]:
        """What an order of `product` by `customer` is for, as rules see it: for a die or an HBM stack
        the accelerators `customer` packages with it (any that has it in its BOM if it ships none), else
        the product itself."""
        net = self.net
        if net.products[product].kind not in ("logic", "hbm"):
            return [product]
        if self._ships is None:  # node -> the products it ships, once
            self._ships = {}
            for f in net.flows:
                self._ships.setdefault(f.supplier, set()).add(f.product)
        uses = [p for p, x in net.products.items() if x.bom is not None and product in (x.bom.logic, x.bom.hbm)]
        made = self._ships.get(customer, set())
        return [p for p in uses if p in made] or uses or [product]

    def blocking_rule(self, now: float, supplier: int, customer: int, product: str, parties: frozenset[str]) -> Rule | None:
        for c in self.relevant(supplier, customer, product, parties):
            if c.effective <= now < c.ends and c.rule.action in ("ban", "equipment", "license"):
                return c.rule
        return None


def rules_after(rules: list, rule: str) -> list:
    """The rules listed after `rule` (ids are unique): what one lets go (a licence granted, the part within
    a quota) meets these, at placement and at the border alike."""
    return rules[next(k for k, c in enumerate(rules) if c.rule.id == rule) + 1:]


def idle_rules(rules: list[Rule], net: Net) -> list[Rule]:
    """The rules whose scope covers no trade of the network, by the engine's own matching (`relevant`).

    A trade is a flow's supplier, customer and product (or the compliant variant a
    vendor may ship on it instead), with every party an order on it can concern:
    those of the product and, for a die or HBM stack, of the accelerators it goes into.
    """
    controls = Controls(rules, net, np.random.default_rng(0), net.scenario.start)  # the rng only draws licences
    uses: dict[str, set[str]] = {}  # component -> the accelerators whose BOM takes it
    for pid, p in net.products.items():
        for part in (p.bom.logic, p.bom.hbm) if p.bom else ():
            if part is not None:
                uses.setdefault(part, set()).add(pid)
    acting: set[int] = set()
    for f in net.flows:
        parties = frozenset().union(*(net.parties(f.customer, p) for p in {f.product, *uses.get(f.product, ())}))
        for product in {f.product, net.products[f.product].compliant_variant} - {None}:
            acting.update(id(c.rule) for c in controls.relevant(f.supplier, f.customer, product, parties))
    return [r for r in rules if id(r) not in acting]
