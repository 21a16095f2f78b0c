"""Plan quotes under plan shocks: a quote counts on the capacity plan as known on its day (`engine/plans.py`),
with no foresight of a plan shock that starts later, and several plan shocks on one node compose."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from supplychain.engine import World
from supplychain.engine.quotes import plan_days
from supplychain.engine.record import build_tables
from supplychain.scenario_schema import Scenario

from _plans import planned_days


def _at_hbm(sid: str, kind: str, start: str, multiplier: float) -> dict:
    """A one-day shock of `kind` at the HBM maker (a plan shock acts from its start on, whatever its duration)."""
    return {"id": sid, "kind": kind, "start": start, "duration_days": 1, "multiplier": multiplier,
            "target": {"ids": ["hbm_maker"]}}


def _plan_shock_run(shocks: list[dict]):
    """The minimal network with an HBM maker far below demand planning to triple its capacity over 2022-2024,
    with plan quotes; (world, per week: (recorded quote, capacity, backlog, cycle time) at the HBM maker)."""
    from _topo import minimal_data, node

    from supplychain.topology import parse_topology

    data = minimal_data()
    node(data, "hbm_maker")["capacity"] = {"points": {"2022-01-01": 8000, "2024-12-31": 24000}, "source": "test"}
    sc = Scenario.model_validate({"name": "q", "end": "2024-12-31", "labs": {"lifetime_years": 100},
                                  "quotes": {"capacity": "plan"}, "shocks": shocks})
    w = World(parse_topology(data), sc, 0)
    n = w.net.index["hbm_maker"]
    seen: dict[int, tuple[float, float, float]] = {}

    def look(day: int) -> None:  # after the week's record: the same state its quote was made on
        seen[day] = (float(w.production.capacity(day)[n]), float(w.production.backlog_vector(day)[n]),
                     float(w.net.cycle[n, day] * w.net.ct_mult[n, day]))

    w.run(progress=look)
    nodes = build_tables(w)["nodes"]
    q = nodes[nodes["node"] == "hbm_maker"].set_index("day")["quoted_days"]
    return w, {day: (float(q.loc[day]), *seen[day]) for day in seen}


def test_a_plan_shock_changes_plan_quotes_from_its_start_on():
    """A plan shock on 2023-01-01 (day 365) halves the HBM maker's planned growth. A quote made before it
    is the unshocked run's (no foresight of the shock); from it on, the quote counts on the plan production
    now runs on (`plan_days` on the shocked plan), longer than the plan without the shock gives for the
    same backlog. (Before, plan quotes read the plan summed before the shocks, and never saw it.)"""
    start = 365
    shock = _at_hbm("slow", "plan", "2023-01-01", 0.5)
    w = _quotes_follow_the_plan_from(shock, start)
    n = w.net.index["hbm_maker"]
    assert w.net.plan_cum[n][-1] > w.net.planned[n].sum() + 1000, "the shock slows the plan"


def _quotes_follow_the_plan_from(shock: dict, start: int):
    """Run the HBM maker with and without `shock` (first day `start`): quotes before it are the unshocked run's,
    from it on they count on the plan production runs on (`plan_days` on the shocked plan) and, in most weeks,
    are over a day longer than the plan summed before the shocks gives for the same backlog. Returns the world."""
    _, calm = _plan_shock_run([])
    w, hit = _plan_shock_run([shock])
    n = w.net.index["hbm_maker"]
    old = w.net.plan_cum[n]  # summed before the shocks
    new = np.zeros(w.net.days + 1)
    np.cumsum(w.net.planned[n], out=new[1:])  # no ai_share here
    before = [day for day in hit if day < start]
    after = [day for day in hit if day >= start and hit[day][2] > 0]
    assert len(before) > 40 and len(after) > 80
    for day in before:
        assert hit[day][0] == calm[day][0], day
    longer = 0
    for day in after:
        q, cap, backlog, ct = hit[day]
        assert q == pytest.approx(ct + plan_days(new, day, cap, backlog), rel=1e-12), day
        blind = ct + plan_days(old, day, cap, backlog)
        assert q >= blind - 1e-9, day
        longer += q > blind + 1.0
    assert longer > 0.8 * len(after)
    return w


def test_plan_shocks_on_one_node_compose_as_known_by_day():
    """Two plan shocks at the HBM maker (halve growth from day 365, then double it from day 600, listed in the
    other order): quotes read the plan with neither before day 365, with the first alone until day 599, with both
    from day 600 (the plan production runs on)."""
    shocks = [_at_hbm("fast", "plan", "2023-08-24", 2.0), _at_hbm("slow", "plan", "2023-01-01", 0.5)]
    w, hit = _plan_shock_run(shocks)
    n = w.net.index["hbm_maker"]
    first, second = 365, 600
    assert (dt.date(2022, 1, 1) + dt.timedelta(days=second)).isoformat() == "2023-08-24"
    plan = planned_days(w, n)
    slow = plan.copy()
    slow[first:] = np.maximum(slow[first] + 0.5 * (slow[first:] - slow[first]), 0.0)
    summed = {k: np.concatenate([[0.0], np.cumsum(p)]) for k, p in (("none", plan), ("slow", slow), ("both", w.net.planned[n]))}
    checked = 0
    for day, (q, cap, backlog, ct) in hit.items():
        if backlog <= 0:
            continue
        which = "none" if day < first else "slow" if day < second else "both"
        assert q == pytest.approx(ct + plan_days(summed[which], day, cap, backlog), rel=1e-12), (day, which)
        checked += day >= second
    assert checked > 40
    assert w.net.known_plans(second - 1)[n][-1] == pytest.approx(summed["slow"][-1], rel=1e-12)
    assert w.net.known_plans(second)[n][-1] > summed["slow"][-1] * 1.05


@pytest.fixture
def plan_kinds():
    """Two user's shock kinds that write `net.planned` from the occurrence's first day on: `stall_plan` holds
    the targeted nodes' plan at that day's level (no more growth), `cut_plan` scales it by the multiplier."""
    from supplychain.engine.shocks import SHOCK_KINDS, register_shock_kind

    @register_shock_kind("stall_plan")
    def stall(net, shock, f, begin, nodes):
        for i in nodes.tolist():
            net.planned[i, begin:] = net.planned[i, begin]
        return ",".join(net.ids[i] for i in nodes.tolist())

    @register_shock_kind("cut_plan")
    def cut(net, shock, f, begin, nodes):
        for i in nodes.tolist():
            net.planned[i, begin:] *= shock.multiplier
        return ",".join(net.ids[i] for i in nodes.tolist())

    yield
    SHOCK_KINDS.pop("stall_plan", None)
    SHOCK_KINDS.pop("cut_plan", None)


def test_a_user_shock_kind_writing_the_plan_reaches_plan_quotes_from_its_start(plan_kinds):
    """A user's kind that stalls the HBM maker's plan from 2023-01-01 (day 365): quotes before it are the
    unshocked run's, and from it on count on the stalled plan production runs on. (Before, plan quotes saw
    only the built-in `plan` kind: the stalled maker went on quoting its old growth.)"""
    start = 365
    shock = _at_hbm("stall", "stall_plan", "2023-01-01", 0.5)
    w = _quotes_follow_the_plan_from(shock, start)
    n = w.net.index["hbm_maker"]
    assert (w.net.planned[n, start:] == w.net.planned[n, start]).all() and w.net.planned[n, start] > 0
    assert w.net.plan_known[n][0] == [start]


def test_a_user_kind_and_a_plan_shock_compose_as_known_by_day(plan_kinds):
    """A user's cut to half from day 365, then a built-in plan shock doubling growth from day 600: the plan known
    from day 365 is the cut one, and from day 600 on the plan production runs on (both, in turn)."""
    shocks = [_at_hbm("cut", "cut_plan", "2023-01-01", 0.5), _at_hbm("fast", "plan", "2023-08-24", 2.0)]
    w, _ = _plan_shock_run(shocks)
    n = w.net.index["hbm_maker"]
    plan = planned_days(w, n)
    cut = plan.copy()
    cut[365:] *= 0.5
    both = cut.copy()
    both[600:] = cut[600] + 2.0 * (cut[600:] - cut[600])
    assert w.net.plan_known[n][0] == [365, 600]
    assert n not in w.net.known_plans(364)  # before either: the plan as compiled
    np.testing.assert_allclose(w.net.plan_cum[n], np.concatenate([[0.0], np.cumsum(plan)]), rtol=1e-12)
    np.testing.assert_allclose(w.net.known_plans(599)[n], np.concatenate([[0.0], np.cumsum(cut)]), rtol=1e-12)
    np.testing.assert_allclose(w.net.planned[n], both, rtol=1e-12)  # what production runs on
    np.testing.assert_allclose(w.net.known_plans(600)[n], np.concatenate([[0.0], np.cumsum(both)]), rtol=1e-12)


def _summed(row: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(row)])


def test_the_plan_as_known_carries_the_nodes_ai_share():
    """`PlanLog.versions` sums each known plan times the node's ai_share, as `plan_cum` does: a node half
    of whose capacity serves AI counts on half its shocked plan."""
    from supplychain.engine.plans import PlanLog, grow

    planned = np.array([[10.0, 12.0, 14.0, 16.0, 18.0, 20.0]])
    log = PlanLog()
    log.record(planned, 2, 0.5, [0])
    grow(planned[0], 2, 0.5)  # as apply_shocks goes on to do
    starts, rows = log.versions(lambda i: 0.5)[0]
    assert starts == [2]
    np.testing.assert_allclose(rows[0], _summed(0.5 * np.array([10.0, 12.0, 14.0, 15.0, 16.0, 17.0])), rtol=1e-12)


def test_a_user_kind_listed_after_a_later_plan_shock_is_replayed_in_the_order_applied():
    """A built-in plan shock doubling growth from day 6 is applied first, then a user's kind halving the plan
    from day 2 (listed after it, starting earlier). Its recorded difference was taken on the doubled plan, so
    the plan known from day 2 carries the doubling's part back (the documented approximation), and the plan
    known from day 6 must be the one production runs on: the occurrences replayed in the order applied, not
    the day-6 shock stacked again on the day-2 version."""
    from supplychain.engine.plans import PlanLog, grow

    before = np.array([10.0, 12.0, 14.0, 16.0, 18.0, 20.0, 22.0, 24.0, 26.0, 28.0])
    planned = before[None, :].copy()
    log = PlanLog()
    log.record(planned, 6, 2.0, [0])
    grow(planned[0], 6, 2.0)
    old = planned.copy()
    planned[0, 2:] *= 0.5
    log.record_change(old, planned, 2)
    starts, rows = log.versions(lambda i: 1.0)[0]
    assert starts == [2, 6]
    np.testing.assert_allclose(rows[0], _summed(before + (planned[0] - old[0])), rtol=1e-12)
    np.testing.assert_allclose(rows[1], _summed(planned[0]), rtol=1e-12)


def test_grow_scales_the_growth_from_its_day_clipped_to_the_run_and_never_below_zero():
    """`grow`, a plan shock on one node's plan: from day b on, plan = plan[b] + m x (plan - plan[b]). One starting
    before the run acts from day 0 (day 0's level, not a day counted back from the end); one past the run's last
    day moves nothing; a falling plan made steeper stops at 0."""
    from supplychain.engine.plans import grow

    def grown(row: list[float], b: int, m: float) -> list[float]:
        r = np.array(row, dtype=float)
        grow(r, b, m)
        return r.tolist()

    assert grown([1, 2, 3, 4, 5, 6], 2, 0.5) == [1, 2, 3, 3.5, 4, 4.5]
    assert grown([1, 2, 3, 4, 5, 6], -3, 0.5) == [1, 1.5, 2, 2.5, 3, 3.5]
    assert grown([1, 2, 3, 4, 5, 6], 9, 0.5) == [1, 2, 3, 4, 5, 6]
    assert grown([6, 5, 4, 3, 2, 1], 1, 3.0) == [6, 5, 2, 0, 0, 0]


def test_each_version_is_the_plan_with_the_occurrences_started_by_its_day_applied_in_the_order_applied():
    """The rule of plan quotes (`engine/plans.py`), by hand on one node's 10-day plan 1..10: four occurrences
    applied in the order (grow x3 from day 5, grow x0.5 from day 1, a user's kind adding 2 from day 7, one
    zeroing the plan from day 3). The version known from each start day (1, 3, 5, 7) is the first plan with
    every occurrence started by then replayed in that order, a user's kind as the difference it made, never
    below zero: from day 3 the zeroing, replayed without the growth from day 5 it was applied after, takes
    more than is there (0, not negative), and from day 7 the 2 it was applied after is zeroed with the rest."""
    from supplychain.engine.plans import PlanLog, grow

    first = np.arange(1.0, 11.0)
    planned = first[None, :].copy()
    log, ops = PlanLog(), []
    for kind, b, x in (("grow", 5, 3.0), ("grow", 1, 0.5), ("add", 7, 2.0), ("zero", 3, 0.0)):
        if kind == "grow":
            log.record(planned, b, x, [0])
            grow(planned[0], b, x)
            ops.append((b, x))
        else:
            old = planned.copy()
            planned[0, b:] = planned[0, b:] + x if kind == "add" else 0.0
            log.record_change(old, planned, b)
            ops.append((b, planned[0] - old[0]))
    (starts, rows), = log.versions(lambda i: 1.0).values()
    assert starts == [1, 3, 5, 7]
    for start, cum in zip(starts, rows):
        want = first.copy()
        for b, x in ops:
            if b > start:
                continue
            if isinstance(x, float):
                grow(want, b, x)
            else:
                want = np.maximum(want + x, 0.0)
        assert cum.tolist() == pytest.approx(np.r_[0.0, np.cumsum(want)].tolist()), start
    assert rows[-1][-1] == pytest.approx(planned[0].sum())  # the last version is the plan production runs on
    assert (np.diff(rows[1])[3:] == 0).all()  # known from day 3: nothing planned from day 3 on


def test_a_user_kind_writing_the_plan_from_after_the_run_is_known_on_no_day_of_it():
    """A user's kind may write a node's plan on days before its occurrence's first day (here: halve the whole row);
    what it changed counts from that first day, not before (docs/model.md: no foresight). An occurrence starting
    after the run's last day (2023-03-01, day 424, in a run of days 0-364) is then known on no day of the run:
    its start was clipped to day 364, a weekly quote day, whose quote counted on the halved plan."""
    from _topo import minimal_data

    from supplychain.engine.shocks import SHOCK_KINDS, register_shock_kind
    from supplychain.topology import parse_topology

    @register_shock_kind("halve_plan")
    def halve(net, shock, f, begin, nodes):
        for i in nodes.tolist():
            net.planned[i] *= 0.5
        return ",".join(net.ids[i] for i in nodes.tolist())

    try:
        sc = Scenario.model_validate({"name": "q", "end": "2022-12-31", "quotes": {"capacity": "plan"},
                                      "shocks": [_at_hbm("late", "halve_plan", "2023-03-01", 0.5)]})
        w = World(parse_topology(minimal_data()), sc, 0)
    finally:
        SHOCK_KINDS.pop("halve_plan", None)
    n = w.net.index["hbm_maker"]
    assert w.net.days == 365 and w.net.planned[n, 0] == pytest.approx(0.5 * planned_days(w, n)[0])
    assert not [d for d in range(w.net.days) if n in w.net.known_plans(d)]
