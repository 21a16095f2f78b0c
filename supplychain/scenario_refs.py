"""A scenario against its topology: references that must exist, and what is legal but
probably not meant.

Unknown node, lab, entity and product ids and node kinds are `InputError`s naming the
field. Warnings (one line each, shown by every command that loads the scenario and, from
Python, as `ScenarioWarning`): a country no node is in, a shock or control that touches
nothing or falls outside the run, a run that starts before the date its topology describes, a lab
that can buy no accelerator during the run.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Iterable, Iterator, get_args

import networkx as nx
import numpy as np

from .engine.shocks import ACTS_ON, BUILT_IN, COMPOUNDING, MAX_COMPOUND, SHOCK_KINDS, acts_on, worst_stack
from .errors import InputError
from .quantities import Schedule
from .scenario_schema import Scenario
from .schema import MAX_ARRIVALS_PER_DAY, NODE_KINDS
from .topology import graph_to_model

__all__ = ["ONE_ACTION", "check_refs", "topology_label"]


def topology_label(g: nx.DiGraph) -> str:
    """How an unknown id's message names the network (its file's name): with --topology a scenario
    meets a network it was not written for, and the line says which."""
    path = g.graph.get("path")
    return Path(path).name if path else repr(g.graph.get("name") or "given")


def check_refs(sc: Scenario, g: nx.DiGraph, file: Path | None) -> list[str]:
    """Unknown node, lab, entity, product ids and kinds are errors; unknown countries warnings."""
    nodes = set(g.nodes)
    labs = {n for n, a in g.nodes(data=True) if a.get("kind") == "lab"}
    entities = nodes | {e for _, a in g.nodes(data=True) for e in a.get("entities") or []}
    products = set(g.graph.get("products") or {})
    countries = {c for _, a in g.nodes(data=True) for c in (a.get("country"), a.get("jurisdiction"), *(a.get("tech_origin") or [])) if c}
    warnings: list[str] = []

    label = topology_label(g)

    def need(values: Iterable[str], known: set[str], where: str, what: str, of_topology: bool = True) -> None:
        for v in values:
            if v not in known:
                raise InputError(file, where, f"unknown {what}{f' in topology {label}' if of_topology else ''} (got {v!r})")

    def countries_known(values: Iterable[str], where: str) -> None:
        warnings.extend(f"{where}: no node of the topology is in country {v!r}" for v in values if v not in countries)

    for lab in sc.per_lab:
        need([lab], labs, f"per_lab.{lab}", "lab id")
    for lab in sc.demand.targets:
        need([lab], labs, f"demand.targets.{lab}", "lab id")
    idle = _idle_rules(sc, g) if sc.controls else set()
    for r in sc.controls:
        at = f"controls.{r.id}.scope"
        need(r.scope.entities, entities, f"{at}.entities", "node or entity")
        need(r.scope.products, products, f"{at}.products", "product")
        before = len(warnings)
        for axis in ("supplier_countries", "tech_origin", "destinations"):
            countries_known(getattr(r.scope, axis), f"{at}.{axis}")
        if len(warnings) == before and r.id in idle:
            warnings.append(f"{at}: no flow of the topology matches every part of the scope (origin, destination or "
                            "entities, product); the rule touches nothing")
        warnings.extend(_rule_outside_run(r, sc))
        warnings.extend(_read_by_another_action(r))
    stacked: dict[str, float] = {}  # poisson demand node -> ln of its demand shocks' worst stack so far
    for s in sc.shocks:
        at = f"shocks.{s.id}.target"
        need(s.target.ids, nodes, f"{at}.ids", "node")
        need(s.target.kinds, set(NODE_KINDS), f"{at}.kinds", "node kind", of_topology=False)
        _flows_of_transport(s, at, file)
        before = len(warnings)
        for axis in ("countries", "edge_from_countries", "edge_to_countries"):
            countries_known(getattr(s.target, axis), f"{at}.{axis}")
        matched = [(n, a) for n, a in g.nodes(data=True) if s.target.matches(n, a.get("kind"), a.get("country"))]
        if len(warnings) == before and not matched:
            warnings.append(f"{at}: no node of the topology matches every list of the target (ids, kinds, countries); "
                            "the shock touches nothing")
        elif len(warnings) == before:
            warnings.extend(_out_of_reach(s, matched, at))
        warnings.extend(_outside_run(s, sc))
        _arrivals(s, matched, file, stacked, (sc.end - sc.start).days + 1)  # the run's days, its end date the last
    _compounding(sc, file)
    warnings.extend(_before_topology(sc, g))
    warnings.extend(_unpowered_start_fleets(sc, g))
    warnings.extend(_labs_without_skus(sc, g))
    _figures_at_end(sc, g, file)
    return warnings


def _flows_of_transport(s: Any, at: str, file: Path | None) -> None:
    """`edge_from_countries` and `edge_to_countries` choose the flows of a transport shock; the built-in kinds that
    act on nodes never read them. A capacity shock aimed at `edge_from_countries: [TW]` hit every node with a
    capacity, without a word: the target's other lists were empty, and an empty target is every node."""
    given = [axis for axis in ("edge_from_countries", "edge_to_countries") if getattr(s.target, axis)]
    if given and s.kind in ACTS_ON and SHOCK_KINDS.get(s.kind) is BUILT_IN.get(s.kind):
        raise InputError(file, f"{at}.{given[0]}", f"a {s.kind} shock acts on nodes, not on flows: edge_from_countries "
                                                   f"and edge_to_countries choose the flows of a transport shock; aim "
                                                   f"it with countries, kinds or ids (got {getattr(s.target, given[0])})")


def _compounding(sc: Scenario, file: Path | None) -> None:
    """Overlapping occurrences of the built-in shocks of one kind multiply one array (`worst_stack`): past a float
    it is infinite, and an infinite demand or capacity broke the order books (an InvariantError traceback). Every
    shock of a kind counts, wherever it aims: a bound, not a forecast of where they meet."""
    total: dict[str, tuple[int, float]] = {}
    for s in sc.shocks:
        if s.kind not in COMPOUNDING or SHOCK_KINDS.get(s.kind) is not BUILT_IN.get(s.kind):
            continue  # a user's kind: its arrays are checked as it runs
        depth, log_factor = worst_stack(s, (sc.end - sc.start).days + 1)
        n, log_total = total.get(s.kind, (0, 0.0))
        total[s.kind] = n + depth, log_total + log_factor
        # one occurrence alone the engine holds (x1e300 on a grid's build time: work that never finishes)
        if n + depth > 1 and log_total + log_factor > math.log(MAX_COMPOUND):
            stacked = f"up to {depth} of its occurrences may overlap; " if s.random is not None else ""
            raise InputError(file, f"shocks.{s.id}.multiplier", f"{stacked}the {s.kind} shocks' multipliers, multiplied where "
                             f"they may overlap, pass {MAX_COMPOUND:g}, more than a run can hold (got {s.multiplier:g})")


def _arrivals(s: Any, matched: list[tuple[str, dict]], file: Path | None, stacked: dict[str, float], span: int) -> None:
    """A `demand` shock raises a poisson demand node's rate by its multiplier, and each arrival is an event: the
    topology caps the rate (`MAX_ARRIVALS_PER_DAY`), which a multiplier of 1,000 on 2 orders a day passed by (the
    run never ended), as did x2 at 365 a year lasting 30 days, ~30 deep. The cap is on a sustained rate: a random
    shock counts the stack a day typically sees (`worst_stack` at its median; brief peaks above it only slow a run).
    `stacked`: each node's ln of that stack of the demand shocks before this one."""
    if acts_on(s.kind, "demand", False) is not True:  # a user's kind named `demand` acts as it says
        return
    depth, log_factor = worst_stack(s, span, tail=0.5)
    for node, a in matched:
        spec = a.get("demand") or {}
        if a.get("kind") != "demand" or spec.get("mode") != "poisson":
            continue
        stacked[node] = stacked.get(node, 0.0) + log_factor
        top = spec["rate"] * math.exp(min(stacked[node], 700.0))
        if top > MAX_ARRIVALS_PER_DAY:
            overlap = f" where {depth} of its occurrences typically overlap" if depth > 1 else ""
            raise InputError(file, f"shocks.{s.id}.multiplier", f"takes the poisson demand of {node!r} from {spec['rate']:g} "
                             f"to {top:.3g} orders a day{overlap}; each arrival is an event, at most "
                             f"{MAX_ARRIVALS_PER_DAY:g} a day (got {s.multiplier:g}): for heavy demand give the node mode "
                             "fixed or a larger size")


def _growing(sc: Scenario, g: nx.DiGraph) -> Iterator[tuple[str, Schedule]]:
    """(field path, schedule) of every figure of the topology and the scenario that grows."""
    model = graph_to_model(g)
    fields: dict[type, list[tuple[str, str]]] = {}  # node class -> its schedule fields (attribute, name in files)
    for node in model.nodes:
        if type(node) not in fields:
            fields[type(node)] = [(name, info.alias or name) for name, info in type(node).model_fields.items()
                                  if Schedule in (info.annotation, *get_args(info.annotation))]
        for name, alias in fields[type(node)]:
            value = getattr(node, name)
            if value is not None and value.growth > 0:
                yield f"nodes.{node.id}.{alias}", value
    for e in model.edges:
        if e.share.growth > 0:
            yield f"edges.{e.source_id}->{e.target}:{e.product}.share", e.share
    yield from ((f"demand.targets.{lab}", target) for lab, target in sc.demand.targets.items())
    yield "demand.multiplier", sc.demand.multiplier


#: node figures that are fractions: however they grow, a run must not see them above 1
_FRACTIONS = ("yield", "ai_share")


def _figures_at_end(sc: Scenario, g: nx.DiGraph, file: Path | None) -> None:
    """Growth is bounded for runs near the figures' dates, but a run may start anywhere: one far past them
    (a typo'd year) compounded a figure to infinity (start 6000 on minimal.yaml: an InvariantError traceback),
    and a growing yield or ai_share passed 1 unchecked (0.5 at +90 %/yr was 305 ten years on). The topology
    cannot check either: it does not know the run's end."""
    days = np.array([float((sc.end - sc.start).days)])
    for path, schedule in _growing(sc, g):
        if not schedule.finite_until(sc.start, sc.end):
            raise InputError(file, "end", f"{sc.end} is too far past the figures' dates: {path} grows "
                                          f"{schedule.growth:g} a year and is infinite by then")
        name = path.rpartition(".")[2]
        if name in _FRACTIONS and (value := float(schedule.on_days(sc.start, days)[0])) > 1:  # as the engine reads it
            raise InputError(file, "end", f"{sc.end} is past the day {path} passes 1 (it grows {schedule.growth:g} a "
                                          f"year, to {value:.3g}); {name} must stay in (0, 1]: give dated points instead")


def _out_of_reach(s: Any, matched: list[tuple[str, dict]], at: str) -> list[str]:
    """A built-in shock kind leaves alone the nodes it cannot act on (a capacity shock on a lab or on a
    source without a capacity): say so for nodes the target names by id, and when it reaches none."""
    reach = {n: acts_on(s.kind, str(a.get("kind")), a.get("capacity") is not None) for n, a in matched}
    if None in reach.values():
        return []
    what = ACTS_ON[s.kind][1]
    kinds = {n: a.get("kind") for n, a in matched}
    named = [n for n in s.target.ids if n in reach and not reach[n]]
    if named:
        return [f"{at}.ids: a {s.kind} shock does not act on {', '.join(f'{n!r} (kind {kinds[n]})' for n in named)}: "
                f"it acts on {what}" + ("; the shock touches nothing" if not any(reach.values()) else "")]
    if not any(reach.values()):
        return [f"{at}: a {s.kind} shock acts on {what}, and the target matches none (it matches "
                f"{len(matched)} node{'s' if len(matched) != 1 else ''}); the shock touches nothing"]
    return []


def _before_topology(sc: Scenario, g: nx.DiGraph) -> list[str]:
    """A run that starts before the date its topology describes places that date's fleets,
    capacities and orders in flight at its own start: legal (a what-if), rarely meant."""
    raw = g.graph.get("start")
    try:
        start = dt.date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return []
    if start is None or sc.start >= start:
        return []
    return [f"start: the run starts on {sc.start}, before the topology's start ({start}): the fleets, power and "
            f"orders in flight it gives for {start} are placed on {sc.start}"]


def _unpowered_start_fleets(sc: Scenario, g: nx.DiGraph) -> list[str]:
    """A lab whose start fleet draws more than its powered MW at the run's start: the engine installs
    the start fleet as given (it is counted as running, above the power limit, until it retires)."""
    model = graph_to_model(g)
    out = []
    for node in model.nodes:
        if node.kind != "lab" or not node.fleet:
            continue
        draw = sum(units * (model.products[sku].power_kw or 0.0) / 1000.0 for sku, units in node.fleet.items())
        power = node.power_mw.at(sc.start)
        if draw > power * (1 + 1e-9):
            out.append(f"nodes.{node.id}.fleet: the start fleet draws {draw:,.0f} MW, more than the {power:,.0f} MW of "
                       f"power_mw on {sc.start}: it is counted as running above the power limit until it retires")
    return out


def _labs_without_skus(sc: Scenario, g: nx.DiGraph) -> list[str]:
    """A lab that can order none of its accelerators in the run orders nothing: its fleet only retires and
    its generations stall, and the summary had no line saying why (a SKU's `available` date after the run,
    a typo in a year, is legal). As the engine lets it (`Labs.sku_offers`): on a day of the run, a SKU
    on sale `order_ahead_days` later."""
    model = graph_to_model(g)
    labs = {n.id for n in model.nodes if n.kind == "lab"}
    skus: dict[str, set[str]] = {}
    for e in model.edges:
        if e.target in labs and model.products[e.product].kind == "accelerator":
            skus.setdefault(e.target, set()).add(e.product)
    out = []
    for lab, bought in skus.items():
        ahead = dt.timedelta(days=int(sc.lab_policy(lab).order_ahead_days))
        # the sale days the run's days look at, both included (past the calendar's end: its last day, later than any date given)
        first, last = (d + ahead if dt.date.max - d >= ahead else dt.date.max for d in (sc.start, sc.end))

        def orderable(sku: str) -> bool:
            p = model.products[sku]
            return (p.available is None or p.available <= last) and (p.discontinued is None or p.discontinued > first)
        if not any(orderable(sku) for sku in bought):
            when = ", ".join(f"{sku} " + " ".join(f"{w} {d}" for w, d in (("from", model.products[sku].available),
                                                                            ("until", model.products[sku].discontinued)) if d)
                             for sku in sorted(bought))
            out.append(f"nodes.{lab}: none of the accelerators it buys is on sale on the days its orders look at "
                       f"(order_ahead_days {ahead.days} after a day of the run: {first} to {last}; {when}): it orders none")
    return out


def _idle_rules(sc: Scenario, g: nx.DiGraph) -> set[str]:
    """Ids of the rules whose scope no trade of the topology falls in, by the engine's own matching."""
    from .engine.controls import idle_rules
    from .engine.network import compile_network

    one_day = sc.model_copy(update={"end": sc.start + dt.timedelta(days=1)})  # matching needs the tables, not the horizon
    return {r.id for r in idle_rules(list(sc.controls), compile_network(graph_to_model(g), one_day))}


#: a rule's fields that one action alone reads
ONE_ACTION = {"review_days": "license", "approval": "license", "quota": "quota", "period_days": "quota",
               "quota_excess": "quota"}


def _read_by_another_action(r: Any) -> list[str]:
    """A figure given to a rule whose action never reads it (`approval: 0.5` on a ban, a `quota` on a licence)
    was ignored without a word: legal, but the rule does not do what the figure says."""
    article = "an" if r.action[0] in "aeiou" else "a"
    return [f"controls.{r.id}.{name}: {article} {r.action} rule does not read {name} (a {action} rule does); it is ignored"
            for name, action in ONE_ACTION.items() if name in r.model_fields_set and r.action != action]


def _rule_outside_run(r: Any, sc: Scenario) -> list[str]:
    """A rule never in force inside [start, end] (the end date is the run's last day), nor announced in it to buyers
    who stockpile: suspicious but legal."""
    if r.effective > sc.end and (r.announced > sc.end or r.stockpile == 1.0):
        return [f"controls.{r.id}.effective: {r.effective} is after the run's last day {sc.end}; the rule never takes "
                "effect in the run"]
    if r.ends is not None and r.ends <= sc.start:
        return [f"controls.{r.id}.ends: {r.ends} is not after the run's start {sc.start}; the rule is never in force "
                "in the run"]
    return []


def _outside_run(s: Any, sc: Scenario) -> list[str]:
    """A shock that cannot happen inside [start, end] (the end date is the run's last day, on which a shock acts):
    suspicious (a typo in a year?) but legal."""
    if s.start is not None:
        if s.start > sc.end:
            return [f"shocks.{s.id}.start: {s.start} is after the run's last day {sc.end}; the shock never happens in the run"]
        d = s.duration_days
        longest = {"fixed": d.mean, "uniform": d.high, "triangular": d.high}.get(d.dist)  # lognormal: unbounded
        if longest is not None and (s.start - sc.start).days + longest + s.recovery_days <= 0:
            return [f"shocks.{s.id}.start: the shock ({s.start}, {longest:g} days) is over before the run starts {sc.start}"]
        return []
    occ = s.random
    if occ.first is not None and occ.first > sc.end:
        return [f"shocks.{s.id}.random.first: {occ.first} is after the run's last day {sc.end}; the shock never happens in the run"]
    if occ.last is not None and occ.last <= sc.start:
        return [f"shocks.{s.id}.random.last: {occ.last} is not after the run's start {sc.start}; the shock never happens in the run"]
    return []
