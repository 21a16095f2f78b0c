"""Scheduled and random shocks, applied to the compiled network's arrays.

A shock multiplies a per-day array over its window (and a linear recovery
after it): capacity, yield, transport time, lab demand, or grid build time;
a `plan` shock scales planned capacity growth from its start on (cancel with
0, accelerate with > 1). Random shocks are Poisson occurrences drawn from
a child of the shocks stream keyed by the shock's id, so the same seed gives
the same occurrences of a shock in every scenario that shares it, whatever
other shocks a scenario adds, removes or lists before it. Shock kinds are a
registry a user can extend (`register_shock_kind`).
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
from typing import Callable

import numpy as np

from ..errors import PluginError
from ..quantities import MAX_DAYS
from ..scenario_events import Shock, Target
from ..scenario_schema import Scenario
from ..schema import NODE_KINDS
from .network import PRODUCER_KINDS, Net, ai_share_row, own_transport_mult
from .plans import PlanLog, grow
from .streams import PluginStreams, keyed_stream

__all__ = ["apply_shocks", "SHOCK_KINDS", "register_shock_kind", "shock_kinds_used", "targeted_nodes", "occurrences",
           "ACTS_ON", "acts_on", "worst_stack", "MAX_COMPOUND", "COMPOUNDING", "shock_stream"]

#: applier(net, shock, f, begin, nodes) -> what it touched (the event log's text), or None
Applier = Callable[[Net, Shock, np.ndarray, int, np.ndarray], str | None]
SHOCK_KINDS: dict[str, Applier] = {}


def register_shock_kind(name: str) -> Callable[[Applier], Applier]:
    """Decorator: make `applier` the shock kind `name`, usable as `kind: name` in a scenario's shocks.

    `applier(net, shock, f, begin, nodes) -> str | None` is called once per occurrence of the shock,
    before the run starts, and changes the run's per-day arrays in place (rows are nodes,
    columns days from the start; `net.index[id]` is a node's row, `net.days` the columns):

    - `f`: the occurrence's profile, one factor per day: `shock.multiplier` over its window,
      a linear ramp back to 1 over `recovery_days` after it, 1 elsewhere (multiply an array
      by it, or read the window off `f != 1`);
    - `begin`: the occurrence's first day; `nodes`: the rows the shock's `target` selects;
    - the arrays: `net.cap_mult` (capacity factor: ai_share x shocks), `net.yields`,
      `net.cycle` (cycle time, days), `net.ct_mult` (a factor on the cycle time), `net.demand_mult`
      (labs' targets), `net.planned` (planned capacity before the factors; with `quotes.capacity: plan`,
      quotes count on what an occurrence changed in it from the occurrence's first day on) and per flow
      `f.transport_mult` (call `own_transport_mult(net)` first: the rows start shared).

    An applier with a parameter `rng` is called with `rng=` the shock's random stream (a numpy
    Generator seeded per replication, shared by the shock's occurrences in turn): a random
    footprint drawn from it gives the same tables for the same seed, serial or on workers.

    It returns what it touched (node ids, comma-separated), or None, for the events table. The
    arrays are checked after it: a value that is not finite, a negative one, or a yield outside
    (0, 1] is an error naming the shock, the array, the node and the day.
    Register before the scenario is validated (`kind` accepts registered names only). Local
    worker processes are forked and inherit the registry; a Dask work unit carries the kinds
    its scenario names. A name registered again replaces the kind.
    """

    def deco(fn: Applier) -> Applier:
        SHOCK_KINDS[name] = fn
        return fn

    return deco


def shock_kinds_used(scenario: Scenario) -> tuple[tuple[str, Applier], ...]:
    """The shock kinds a scenario names, as registered here (for Dask work units)."""
    names = sorted({s.kind for s in scenario.shocks})
    return tuple((n, SHOCK_KINDS[n]) for n in names if n in SHOCK_KINDS)


def targeted_nodes(net: Net, target: Target) -> np.ndarray:
    """Indices of nodes matching every given list of the target (empty lists match all)."""
    return np.array([i for i in range(len(net.ids)) if target.matches(net.ids[i], net.kinds[i], net.countries[i])],
                    dtype=int)


def occurrences(shock: Shock, rng: np.random.Generator, start: dt.date, days: int) -> list[tuple[int, float]]:
    """(start day, duration) of each occurrence of the shock inside the run."""
    if shock.start is not None:
        return [((shock.start - start).days, shock.duration_days.sample(rng))]
    occ = shock.random
    assert occ is not None
    lo = max(0, (occ.first - start).days) if occ.first else 0
    hi = min(days, (occ.last - start).days) if occ.last else days
    out, t = [], float(lo)
    while True:
        t += rng.exponential(365.25 / occ.rate_per_year)
        if t >= hi:
            return out
        out.append((int(t), shock.duration_days.sample(rng)))


#: the largest factor the built-in shocks of one kind may compound to where they overlap: their arrays multiply, and
#: a random demand surge of x40 at 365 a year for 400 days each stacked ~400 deep to infinity (an InvariantError)
MAX_COMPOUND = 1e100
#: the kinds whose occurrences multiply one array (a yield is clipped to 1)
COMPOUNDING = ("capacity", "demand", "transport", "power_delay", "plan")


def worst_stack(shock: Shock, span_days: int, tail: float = 1e-9) -> tuple[int, float]:
    """(occurrences, ln of their factor) of a shock stacked on one day: one for a scheduled shock; for a random one,
    those that may start within its longest duration and recovery before that day (a `plan` shock: in the run), the
    Poisson count exceeded with probability `tail` (1e-9: at worst; 0.5: as a day typically sees). Only a
    multiplier above 1 grows when stacked (below 1 it tends to 0, which a run holds)."""
    from scipy import stats

    if shock.multiplier <= 1.0:
        return 0, 0.0
    if shock.random is None:
        return 1, math.log(shock.multiplier)
    d = shock.duration_days
    longest = {"fixed": d.mean, "uniform": d.high, "triangular": d.high}.get(d.dist)
    if longest is None:  # lognormal, drawn up to MAX_DAYS
        sigma = math.sqrt(math.log1p(float(d.cv) ** 2))  # 0 for a cv of 0, or one so small its square is (1e-300)
        longest = min(float(stats.lognorm.ppf(1 - 1e-9, sigma, scale=float(d.mean) * math.exp(-sigma * sigma / 2))), MAX_DAYS) \
            if d.mean and sigma > 0 else d.mean  # sigma 0: the ppf is nan, and int(nan) a ValueError traceback
    # a plan shock scales growth from its start on: every occurrence of the run stacks
    window = float(span_days) if shock.kind == "plan" else min(float(longest) + shock.recovery_days + 1.0, float(span_days))
    depth = int(stats.poisson.ppf(1 - tail, shock.random.rate_per_year * window / 365.25)) + 1
    return depth, depth * math.log(shock.multiplier)


def _profile(days: int, begin: int, duration: float, recovery: float, m: float) -> np.ndarray:
    f = np.ones(days)
    end = begin + int(round(duration))
    lo, hi = max(begin, 0), min(end, days)
    if hi > lo:
        f[lo:hi] = m
    if recovery > 0:
        r = np.arange(end, min(end + int(round(recovery)), days))
        r = r[r >= 0]
        f[r] = m + (1 - m) * (r - end + 1) / (recovery + 1)
    return f


#: the built-in kinds' reach: kind -> (node kind, whether the node has a capacity) -> acted on, and its
#: description. A shock's target may match other nodes too (a country's nodes); those it leaves alone, and
#: `scenario_refs` warns where a target names one by id or matches none it acts on.
_CAPACITATED = tuple(k for k in NODE_KINDS if k in PRODUCER_KINDS)  # in the order the schema lists kinds
ACTS_ON: dict[str, tuple[Callable[[str, bool], bool], str]] = {
    "capacity": (lambda kind, cap: cap and kind in _CAPACITATED, "nodes with a capacity (" + ", ".join(_CAPACITATED) + ")"),
    "yield": (lambda kind, cap: (cap and kind in _CAPACITATED) or kind == "packaging",
              "nodes with a capacity, and packaging nodes (kits)"),
    "plan": (lambda kind, cap: cap and kind in _CAPACITATED, "nodes with a capacity (" + ", ".join(_CAPACITATED) + ")"),
    "demand": (lambda kind, cap: kind in ("lab", "demand"), "labs and demand nodes"),
    "power_delay": (lambda kind, cap: kind == "grid", "grids"),
}


def acts_on(shock_kind: str, node_kind: str, has_capacity: bool) -> bool | None:
    """Whether a built-in shock kind changes anything at a node of `node_kind` (None: a user's kind,
    or `transport`, which acts on the flows touching any node)."""
    rule = ACTS_ON.get(shock_kind)
    if rule is None or SHOCK_KINDS.get(shock_kind) is not BUILT_IN.get(shock_kind):
        return None
    return rule[0](node_kind, has_capacity)


def _reached(net: Net, kind: str, nodes: np.ndarray) -> list[int]:
    """The targeted nodes a built-in kind acts on (the others it leaves alone, and does not log)."""
    test = ACTS_ON[kind][0]
    return [int(i) for i in nodes if test(net.kinds[i], getattr(net.node_models[i], "capacity", None) is not None)]


@register_shock_kind("capacity")
def _capacity(net: Net, shock: Shock, f: np.ndarray, begin: int, nodes: np.ndarray) -> str:
    hit = _reached(net, "capacity", nodes)
    net.cap_mult[hit] *= f
    return ",".join(net.ids[i] for i in hit)


@register_shock_kind("yield")
def _yield(net: Net, shock: Shock, f: np.ndarray, begin: int, nodes: np.ndarray) -> str:
    hit = _reached(net, "yield", nodes)
    net.yields[hit] = np.clip(net.yields[hit] * f, 1e-6, 1.0)
    return ",".join(net.ids[i] for i in hit)


@register_shock_kind("demand")
def _demand(net: Net, shock: Shock, f: np.ndarray, begin: int, nodes: np.ndarray) -> str:
    hit = _reached(net, "demand", nodes)
    net.demand_mult[hit] *= f
    return ",".join(net.ids[i] for i in hit)


@register_shock_kind("power_delay")
def _power(net: Net, shock: Shock, f: np.ndarray, begin: int, nodes: np.ndarray) -> str:
    hit = _reached(net, "power_delay", nodes)
    net.ct_mult[hit] *= f
    return ",".join(net.ids[i] for i in hit)


@register_shock_kind("plan")
def _plan(net: Net, shock: Shock, f: np.ndarray, begin: int, nodes: np.ndarray) -> str:
    hit = _reached(net, "plan", nodes)
    for i in hit:
        grow(net.planned[i], begin, shock.multiplier)
    return ",".join(net.ids[i] for i in hit)


@register_shock_kind("transport")
def _transport(net: Net, shock: Shock, f: np.ndarray, begin: int, nodes: np.ndarray) -> str:
    t = shock.target
    chosen = set(int(i) for i in nodes) if (t.ids or t.kinds or t.countries) else None
    hit = []
    own_transport_mult(net)
    for fl in net.flows:
        if t.edge_from_countries and net.countries[fl.supplier] not in t.edge_from_countries:
            continue
        if t.edge_to_countries and net.countries[fl.customer] not in t.edge_to_countries:
            continue
        if chosen is not None and fl.supplier not in chosen and fl.customer not in chosen:
            continue
        fl.transport_mult *= f
        hit.append(f"{net.ids[fl.supplier]}->{net.ids[fl.customer]}")
    return ",".join(hit)


#: the kinds defined here, which keep the arrays in range by construction
BUILT_IN: dict[str, Applier] = dict(SHOCK_KINDS)

#: what a shock kind must leave the arrays it may change: (name, lowest value, highest value, whether
#: the lowest is excluded); a yield must stay above 0 (what is started is divided by it)
_RANGES = (("cap_mult", 0.0, np.inf, False), ("yields", 0.0, 1.0, True), ("cycle", 0.0, np.inf, False),
           ("ct_mult", 0.0, np.inf, False), ("demand_mult", 0.0, np.inf, False), ("planned", 0.0, np.inf, False),
           ("flow_mult", 0.0, np.inf, False))


def _check_arrays(net: Net, shock: Shock) -> None:
    """A user's shock kind must leave every array finite and in range: nan or a negative capacity
    would otherwise surface, if at all, as an invariant failure far from its cause."""
    for name, lo, hi, open_low in _RANGES:
        a = getattr(net, name)
        rows = len(net.flows) if name == "flow_mult" else len(net.ids)
        if not isinstance(a, np.ndarray) or a.shape != (rows, net.days):  # replaced, not changed in place
            raise PluginError("shock", shock.kind, f"shock {shock.id!r} left net.{name} of shape {np.shape(a)}: it must keep its "
                              f"shape ({rows}, {net.days}) ({'flows' if name == 'flow_mult' else 'nodes'} x days); change "
                              "it in place")
        bad = ~(np.isfinite(a) & ((a > lo) if open_low else (a >= lo)) & (a <= hi))
        if bad.any():
            row, day = (int(x[0]) for x in np.nonzero(bad))
            where = (f"flow {net.ids[net.flows[row].supplier]}->{net.ids[net.flows[row].customer]} (its transport_mult)"
                     if name == "flow_mult" else f"node {net.ids[row]!r}")
            raise PluginError("shock", shock.kind, f"shock {shock.id!r} left net.{name} at {float(a[row, day])!r} for {where} "
                              f"on day {day}: it must stay finite and within {'(' if open_low else '['}{lo:g}, {hi:g}]")
    # shipping reads a flow's row, the quotes and the check above the matrix: a row assigned anew splits them
    fl = next((fl for fl in net.flows if not np.may_share_memory(fl.transport_mult, net.flow_mult)), None)
    if fl is not None:
        raise PluginError("shock", shock.kind, f"shock {shock.id!r} replaced the transport_mult of flow {net.ids[fl.supplier]}->"
                          f"{net.ids[fl.customer]}: it is a row of net.flow_mult; change it in place (after own_transport_mult)")


def _takes_rng(applier: Applier) -> bool:
    """Whether a kind asks for the shock's random stream: a parameter `rng` it may be given by name."""
    try:
        p = inspect.signature(applier).parameters.get("rng")
    except (TypeError, ValueError):  # no signature to read: called as before
        return False
    return p is not None and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)


def shock_stream(rng: np.random.Generator, shock_id: str) -> np.random.Generator:
    """The stream a shock's occurrences and durations are drawn from: a child of the run's shocks
    stream `rng` keyed by the shock's id. One stream shared in list order gave a shock other
    occurrences when a scenario added, removed or reordered another shock (a random quake listed
    before a random fire moved every fire), breaking the common random numbers of a comparison."""
    return keyed_stream(rng, shock_id)


def apply_shocks(net: Net, shocks: list[Shock], rng: np.random.Generator, start: dt.date,
                 streams: PluginStreams | None = None) -> list[tuple]:
    """Apply every shock occurrence to the arrays; return event-log rows. Each shock's occurrences are
    drawn from its child of `rng` (`shock_stream`); `streams` gives a user's kind asking for one its
    shock's footprint stream (None: seed 0). With `quotes.capacity: plan`, keeps the plan as known
    on each day at the nodes a plan shock reaches or a user's kind changes the plan of (`plans.py`,
    `Net.plan_known`)."""
    rows: list[tuple] = []
    plans = PlanLog() if net.plan_cum is not None else None
    for shock in shocks:
        nodes = targeted_nodes(net, shock.target)
        applier = SHOCK_KINDS[shock.kind]
        extra: dict[str, np.random.Generator] = {}
        if applier is not BUILT_IN.get(shock.kind) and _takes_rng(applier):
            streams = streams or PluginStreams(np.random.SeedSequence(0), 0)
            extra["rng"] = streams.get("shock", shock.id)
        for begin, duration in occurrences(shock, shock_stream(rng, shock.id), start, net.days):
            f = _profile(net.days, begin, duration, shock.recovery_days, shock.multiplier)
            if applier is BUILT_IN.get(shock.kind):
                if plans is not None and shock.kind == "plan":
                    plans.record(net.planned, begin, shock.multiplier, _reached(net, "plan", nodes))
                touched = applier(net, shock, f, begin, nodes)
            else:
                before = net.planned.copy() if plans is not None else None  # plan quotes: what it changes is known later
                try:
                    touched = applier(net, shock, f, begin, nodes, **extra)
                except (Exception, SystemExit) as exc:  # sys.exit() in a kind: see ordering.ask
                    raise PluginError.raised("shock", shock.kind, exc, f"applying shock {shock.id!r}") from exc
                _check_arrays(net, shock)
                if before is not None:
                    plans.record_change(before, net.planned, begin)
                if touched is not None and not isinstance(touched, str):
                    raise PluginError("shock", shock.kind, f"returned {touched!r} applying shock {shock.id!r}: it must return "
                                      "the ids it touched as text (comma-separated), or None")
            days = int(round(duration))  # the whole days `_profile` applied: a drawn 23.5 logged as 23.5 ran 24
            rows.append((float(begin), "shock", shock.id, shock.kind, touched, "", "", shock.multiplier, f"{days} days",
                         float(days)))
    if plans is not None and plans.before:
        grid = np.arange(net.days, dtype=float)
        net.plan_known = plans.versions(lambda i: ai_share_row(net.node_models[i], net.scenario.start, grid))
    return rows
