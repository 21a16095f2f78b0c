"""Shocks: each kind does what it says, only where it is aimed, only while it lasts."""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from supplychain.engine import World
from supplychain.engine.shocks import occurrences
from supplychain.errors import PluginError
from supplychain.results import simulate
from supplychain.scenario_events import Shock
from supplychain.scenario_schema import Scenario
from supplychain.topology import graph_to_model, load_topology

from conftest import ROOT, serial_chain

MODEL = graph_to_model(load_topology(ROOT / "tests" / "data" / "two_labs.yaml"))
START = 365  # 2023-01-01


def world(*shocks, **over):
    sc = Scenario.model_validate({"name": "s", "end": "2024-12-31", "shocks": list(shocks), **over})
    return World(MODEL, sc, 0)


def shock(kind, m, **kw):
    base = {"id": "s1", "kind": kind, "start": "2023-01-01", "duration_days": 100, "multiplier": m, "target": {"countries": ["TW"]}}
    base.update(kw)
    return base


def idx(w, node):
    return w.net.ids.index(node)


def test_capacity_shock_hits_targeted_nodes_in_its_window_only():
    w = world(shock("capacity", 0.2))
    for node in ("fab_tw", "pkg_tw"):
        m = w.net.cap_mult[idx(w, node)]
        assert m[START - 1] == 1 and m[START] == pytest.approx(0.2) and m[START + 99] == pytest.approx(0.2) and m[START + 100] == 1
    for node in ("fab_cn", "hbm_kr", "pkg_cn"):
        assert (w.net.cap_mult[idx(w, node)] == 1).all()


def test_a_shock_aimed_by_kind_and_country_hits_only_the_nodes_of_both():
    """Every non-empty list of a target must hold a node: `kinds: [fab], countries: [TW]` is Taiwan's fab, not
    its packager nor China's fab."""
    w = world(shock("capacity", 0.2, target={"kinds": ["fab"], "countries": ["TW"]}))
    hit = [n for n in ("fab_tw", "pkg_tw", "fab_cn", "hbm_kr") if w.net.cap_mult[idx(w, n)][START] != 1]
    assert hit == ["fab_tw"]


def test_capacity_shock_recovers_linearly():
    w = world(shock("capacity", 0.0, recovery_days=99))
    m = w.net.cap_mult[idx(w, "fab_tw")]
    assert m[START + 100] == pytest.approx(0.01) and m[START + 149] == pytest.approx(0.5) and m[START + 199] == 1


def test_capacity_shock_shows_in_the_node_table_and_lengthens_lead_times():
    base = simulate(MODEL, {"name": "b", "end": "2024-06-30"})
    hit = simulate(MODEL, {"name": "h", "end": "2024-06-30", "shocks": [shock("capacity", 0.01, target={"ids": ["pkg_tw"]})]})
    cap = hit.nodes[(hit.nodes["node"] == "pkg_tw")].set_index("day")["capacity_per_week"]
    assert cap.loc[371] == pytest.approx(1000, rel=1e-6) and cap.loc[357] == pytest.approx(100000)
    q = lambda r: r.lead_times[(r.lead_times["customer"] == "lab_us") & (r.lead_times["day"].between(400, 460))]["quoted_days"].max()
    assert q(hit) > q(base) + 30
    assert (hit.events["id"] == "s1").sum() == 1 and "pkg_tw" in hit.events.loc[hit.events["id"] == "s1", "what"].iloc[0] + hit.events.loc[hit.events["id"] == "s1", "supplier"].iloc[0]


def test_yield_shock_lowers_yield_within_bounds():
    w = world(shock("yield", 0.5, target={"ids": ["fab_tw"]}))
    y = w.net.yields[idx(w, "fab_tw")]
    assert y[START] == pytest.approx(0.4) and y[START - 1] == pytest.approx(0.8)
    assert (w.net.yields[idx(w, "fab_cn")] == 0.5).all()


def test_a_yield_shock_shows_in_the_nodes_tables_yield_for_its_weeks():
    """An analyst checks a yield shock from the tables: the nodes table's `yield` is the node's yield
    on each weekly row's day, halved for the shock's 100 days from 2023-01-01 (day 365) and only at its target."""
    r = simulate(MODEL, {"name": "y", "end": "2023-12-31", "shocks": [shock("yield", 0.5, target={"ids": ["fab_tw"]})]})
    n = r.nodes
    tw, cn = n[n["node"] == "fab_tw"], n[n["node"] == "fab_cn"]
    inside = tw["day"].between(START, START + 99)
    assert inside.sum() >= 14
    assert tw.loc[inside, "yield"].to_numpy() == pytest.approx(0.4)
    assert tw.loc[~inside, "yield"].to_numpy() == pytest.approx(0.8)
    assert (cn["yield"] == 0.5).all()


def test_transport_shock_slows_edges_out_of_the_country():
    w = world(shock("transport", 3.0, target={"edge_from_countries": ["TW"]}))
    for f in w.net.flows:
        slowed = w.net.countries[f.supplier] == "TW"
        assert f.transport_mult[START + 10] == (3.0 if slowed else 1.0)
        assert f.transport_mult[START - 10] == 1.0
    r = simulate(MODEL, {"name": "t", "end": "2023-12-31", "shocks": [shock("transport", 3.0, target={"edge_from_countries": ["TW"]})]})
    o = r.orders[(r.orders["supplier"] == "fab_tw") & r.orders["delivered"].notna()]
    inside = o[o["shipped"].between(START, START + 99)]
    assert len(inside) > 5 and np.allclose(inside["delivered"] - inside["shipped"], 6.0)


@pytest.mark.parametrize("m", [3.0, 0.5])
def test_a_transport_shock_sets_the_time_of_goods_shipped_on_its_days_and_no_others(m):
    """Goods take their edge's transport time x the multiplier of the day they leave, on the shock's first
    day to its last and on no other: a slower shock and a faster one (multipliers below 1 are shocks too),
    with goods shipped every day before, in and after the window."""
    model = serial_chain(None, 1, 4, 1, demand_rate=2)  # src ships daily; src -> depot takes 4 days
    shocked = {"id": "s1", "kind": "transport", "start": "2022-03-01", "duration_days": 30, "multiplier": m,
               "target": {"ids": ["src"]}}  # days 59 to 88, on src -> depot only
    o = simulate(model, {"name": "t", "start": "2022-01-01", "end": "2022-06-30", "shocks": [shocked]}).orders
    o = o[(o["supplier"] == "src") & o["delivered"].notna()]
    days = o["shipped"].to_numpy()
    assert {58.0, 59.0, 88.0, 89.0} <= set(days.tolist())
    want = np.where((days >= 59) & (days <= 88), 4.0 * m, 4.0)
    assert (o["delivered"].to_numpy() - days).tolist() == pytest.approx(want.tolist())


def test_demand_surge_scales_lab_targets():
    w = world(shock("demand", 1.5, target={"ids": ["lab_us"]}))
    assert w.labs.target_now(START + 5)[0] / world().labs.target_now(START + 5)[0] == pytest.approx(1.5)
    assert w.labs.target_now(START + 5)[1] == world().labs.target_now(START + 5)[1]


def test_a_demand_surge_is_not_foreseen():
    """Labs plan on their trajectory `horizon_days` ahead, times the demand multiplier of the
    day they order (docs/model.md: T(t + h) x m(t)): the extra orders of a surge come once it
    has begun, not `horizon_days` before."""
    surge = shock("demand", 2.0, duration_days=180, target={"ids": ["lab_us"]})
    base, surged = (simulate(MODEL, {"name": "s", "end": "2023-12-31", "labs": {"review_days": 7}, "shocks": s})
                    for s in ([], [surge]))
    ordered = [r.orders[(r.orders["kind"] == "lab") & (r.orders["customer"] == "lab_us")].groupby("ordered")["qty"].sum()
               for r in (base, surged)]
    before = [o[o.index < START].sum() for o in ordered]
    assert before[1] == pytest.approx(before[0])  # nothing extra before the surge
    assert ordered[1][ordered[1].index >= START].sum() > ordered[0][ordered[0].index >= START].sum()


def test_plan_shock_cancels_or_accelerates_capacity_growth():
    cancel = world(shock("plan", 0.0, target={"ids": ["fab_cn"]}))
    fast = world(shock("plan", 2.0, target={"ids": ["fab_cn"]}))
    base = world()
    i = idx(base, "fab_cn")
    assert cancel.net.planned[i, -1] == pytest.approx(base.net.planned[i, START])
    grow = base.net.planned[i, 700] - base.net.planned[i, START]
    assert fast.net.planned[i, 700] - fast.net.planned[i, START] == pytest.approx(2 * grow)


def test_power_delay_stretches_grid_build_times():
    w = world(shock("power_delay", 2.0, target={"kinds": ["grid"]}))
    assert w.net.ct_mult[idx(w, "grid_us"), START + 1] == 2.0
    assert (w.net.ct_mult[idx(w, "fab_tw")] == 1.0).all()
    lag = w.production.cap.lag[:, idx(w, "grid_us")]  # whole days a start takes, what the daily step reads
    assert (lag[START - 1], lag[START + 1], lag[START + 100]) == (10, 20, 10)


def test_random_shocks_follow_a_poisson_rate_and_the_seed():
    s = Shock.model_validate({"id": "q", "kind": "capacity", "random": {"rate_per_year": 2.0}, "multiplier": 0.5})
    import datetime as dt

    counts = [len(occurrences(s, np.random.default_rng(k), dt.date(2022, 1, 1), 3653)) for k in range(300)]
    assert np.mean(counts) == pytest.approx(20, rel=0.05)
    a = occurrences(s, np.random.default_rng(5), dt.date(2022, 1, 1), 3653)
    b = occurrences(s, np.random.default_rng(5), dt.date(2022, 1, 1), 3653)
    assert a == b


def test_shocked_transport_and_grid_build_times_show_in_the_quotes():
    """With every capacity lifted a quote is cycle times + expected transport times, so a shock's
    multiplier shows exactly while it lasts: the TW -> US edge (2 days, x3) quotes 4 more days,
    the grid's 10-day build (x2) quotes 20 days."""
    shocks = [shock("transport", 3.0, target={"edge_from_countries": ["TW"], "edge_to_countries": ["US"]}),
              shock("power_delay", 2.0, id="s2", target={"kinds": ["grid"]})]
    lt = simulate(MODEL, {"name": "q", "end": "2023-12-31", "unconstrained": True, "shocks": shocks}).lead_times
    q = lambda sup, cus, prod: lt[(lt["supplier"] == sup) & (lt["customer"] == cus) & (lt["product"] == prod)].set_index("day")["quoted_days"]
    pkg = q("pkg_tw", "vend", "acc")  # max(fab 20 + 2, HBM 30 + 2) + packaging 10, + the edge's 2 days
    grid = q("grid_us", "lab_us", "power")
    inside, outside = 371, 364  # recorded weeks on either side of the start (day 365)
    assert pkg[outside] == pytest.approx(32 + 10 + 2) and pkg[inside] == pytest.approx(32 + 10 + 2 * 3)
    assert grid[outside] == pytest.approx(10) and grid[inside] == pytest.approx(20)


@pytest.fixture
def slow_cycle():
    """A user's shock kind, registered for one test (the registry is global): cycle time x multiplier."""
    from supplychain.engine.shocks import SHOCK_KINDS, register_shock_kind

    @register_shock_kind("slow_cycle")
    def apply(net, shock, f, begin, nodes):
        net.cycle[nodes] *= f
        return ",".join(net.ids[i] for i in nodes)

    try:
        yield apply
    finally:
        del SHOCK_KINDS["slow_cycle"]


def test_a_registered_shock_kind_acts_on_its_targets_in_its_window(slow_cycle):
    from supplychain.topology import load_topology as load

    model = graph_to_model(load(ROOT / "topology" / "minimal.yaml"))
    hit = {"id": "x", "kind": "slow_cycle", "start": "2022-06-01", "duration_days": 60, "multiplier": 2,
           "target": {"ids": ["packager"]}}
    sc = Scenario.model_validate({"name": "s", "end": "2022-12-31", "shocks": [hit]})
    w = World(model, sc, 0)
    pk, fab = w.net.index["packager"], w.net.index["fab"]
    assert (w.net.cycle[pk, 151:211] == 80).all() and w.net.cycle[pk, 150] == 40 and w.net.cycle[pk, 211] == 40
    assert (w.net.cycle[fab] == 100).all()
    r = simulate(model, sc)
    logged = r.events.query("type == 'shock'")
    assert list(logged[["id", "what", "supplier", "day", "duration_days"]].itertuples(index=False)) == [
        ("x", "slow_cycle", "packager", 151.0, 60.0)]
    assert r.events.query("type != 'shock'")["duration_days"].isna().all()  # a control decision has no duration
    o = r.orders.query("supplier == 'packager'").dropna(subset=["started", "finished"])
    took = o["finished"] - o["started"]
    inside, after = took[(o["started"] >= 151) & (o["started"] < 211)], took[o["started"] >= 211]
    assert len(inside) and (inside >= 80).all()
    assert len(after) and (after < 50).all()


def test_a_registered_shock_kind_may_return_none_for_what_it_touched():
    """`Applier` returns text or None: None runs, and the shock's events row names no node."""
    from supplychain.engine.shocks import SHOCK_KINDS, register_shock_kind
    from supplychain.topology import load_topology as load

    @register_shock_kind("quiet_cycle")
    def apply(net, shock, f, begin, nodes):
        net.cycle[nodes] *= f

    sc = Scenario.model_validate({"name": "s", "end": "2022-12-31", "shocks": [
        {"id": "q", "kind": "quiet_cycle", "start": "2022-06-01", "duration_days": 60, "multiplier": 2,
         "target": {"ids": ["packager"]}}]})
    try:
        r = simulate(graph_to_model(load(ROOT / "topology" / "minimal.yaml")), sc)
    finally:
        del SHOCK_KINDS["quiet_cycle"]
    logged = r.events.query("type == 'shock'")
    assert logged["id"].tolist() == ["q"] and logged["supplier"].isna().all()


def test_an_unknown_shock_kind_lists_the_registered_ones(tmp_path):
    from _topo import MINIMAL, assert_clean_failure, cli

    sc = tmp_path / "s.yaml"
    sc.write_text(f"name: s\ntopology: {MINIMAL}\nend: 2022-06-30\nshocks:\n  - {{id: q, kind: quake, start: 2022-02-01, multiplier: 0.5}}\n")
    line = assert_clean_failure(cli("run", sc, "--out", tmp_path / "o", "-q"))
    assert line == (f"{sc}: shocks.q.kind: unknown shock kind (got 'quake'); "
                    "registered: capacity, demand, plan, power_delay, transport, yield")


@pytest.mark.parametrize(("array", "value", "problem"), [
    ("cycle", float("nan"), "shock 'oops' left net.cycle at nan for node 'packager' on day 151: it must stay finite and within [0, inf]"),
    ("cap_mult", -1.0, "shock 'oops' left net.cap_mult at -1.0 for node 'packager' on day 151"),
    ("yields", 0.0, "shock 'oops' left net.yields at 0.0 for node 'packager' on day 151: it must stay finite and within (0, 1]"),
    ("flow_mult", float("nan"), "shock 'oops' left net.flow_mult at nan for flow toolmaker->fab (its transport_mult) on day 151"),
    ("cap_mult", "replace", "shock 'oops' left net.cap_mult of shape (10, 10): it must keep its shape (10, 365) "
                            "(nodes x days); change it in place"),
    ("cap_mult", "return", "returned 3 applying shock 'oops': it must return the ids it touched as text"),
    # a flow's row assigned, not scaled in place: shipping read it, the quotes and the range check the matrix (a nan ran)
    ("transport_mult", float("nan"), "shock 'oops' replaced the transport_mult of flow toolmaker->fab: it is a row of "
                                     "net.flow_mult; change it in place"),
    ("flow_mult", "same shape", "shock 'oops' replaced the transport_mult of flow toolmaker->fab"),
])
def test_a_registered_shock_kind_that_breaks_an_array_is_an_error_naming_it(array, value, problem):
    """Out of range, replaced by an array of another shape (a traceback deep in the engine before) or a
    report of what it touched that is no text: one line naming the kind."""
    from supplychain.engine.network import own_transport_mult
    from supplychain.engine.shocks import SHOCK_KINDS, register_shock_kind
    from supplychain.topology import load_topology as load

    @register_shock_kind("breaks")
    def apply(net, shock, f, begin, nodes):
        if value == "replace":
            net.cap_mult = net.cap_mult[:, :10]
        elif value == "return":
            return 3
        elif array == "transport_mult":
            own_transport_mult(net)
            net.flows[0].transport_mult = net.flows[0].transport_mult * value
        elif value == "same shape":
            net.flow_mult = own_transport_mult(net) * 2
        elif array == "flow_mult":
            own_transport_mult(net)[0, begin] = value
        else:
            getattr(net, array)[nodes, begin] = value
        return ""

    sc = Scenario.model_validate({"name": "s", "end": "2022-12-31", "shocks": [
        {"id": "oops", "kind": "breaks", "start": "2022-06-01", "multiplier": 1, "target": {"ids": ["packager"]}}]})
    try:
        with pytest.raises(PluginError, match=re.escape("<plugin>: shock.breaks: " + problem)):
            World(graph_to_model(load(ROOT / "topology" / "minimal.yaml")), sc, 0)
    finally:
        del SHOCK_KINDS["breaks"]


def test_a_huge_power_delay_is_work_that_never_finishes_not_a_numpy_warning():
    """x1e300 on a grid's build time does not fit the engine's whole-day lags (an int32 cast warned,
    'invalid value'): what starts in the window finishes after the run."""
    import warnings

    from supplychain.topology import load_topology as load

    model = graph_to_model(load(ROOT / "topology" / "minimal.yaml"))
    sc = {"name": "s", "end": "2023-12-31", "shocks": [
        {"id": "p", "kind": "power_delay", "start": "2022-03-01", "duration_days": 300, "multiplier": 1e300}]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = simulate(model, sc)
    plain = simulate(model, {"name": "s", "end": "2023-12-31"})
    grid, calm = (x.orders.query("supplier == 'grid'") for x in (r, plain))
    assert len(calm) and calm["finished"].notna().all()  # a year's build, done within the run
    assert len(grid) and grid["finished"].isna().all()  # the power started in the window never comes
    got, want = (x.fleet["power_mw"].iloc[-1] for x in (r, plain))
    assert got < want  # only what started before the window arrives


def test_a_shock_kind_asking_for_rng_gets_its_shocks_seeded_stream():
    """A random footprint (one targeted node, drawn): the same seed draws the same, seeds differ, and a shock's
    stream is its own, keyed by its id: another shock drawing before it leaves its draws as they were.
    A kind without `rng` is called as before (the other tests)."""
    from supplychain.engine.shocks import SHOCK_KINDS, register_shock_kind

    @register_shock_kind("one_of")
    def one_of(net, shock, f, begin, nodes, *, rng):
        i = int(rng.choice(nodes))
        net.cap_mult[i] *= f
        return net.ids[i]

    def picks(seed, *shocks):
        sc = Scenario.model_validate({"name": "s", "end": "2024-12-31", "shocks": list(shocks)})
        return {row[2]: row[4] for row in World(MODEL, sc, seed).events}

    s1 = shock("one_of", 0.5, target={})
    try:
        seeds = [picks(seed, s1)["s1"] for seed in range(8)]
        again = [picks(seed, s1)["s1"] for seed in range(8)]
        after = [picks(seed, {**s1, "id": "s0"}, s1)["s1"] for seed in range(8)]
    finally:
        del SHOCK_KINDS["one_of"]
    assert seeds == again == after and len(set(seeds)) > 1


@pytest.mark.parametrize("shocks, refused", [
    # a demand surge of x40, 365 a year for 400 days each, stacked ~400 deep: an InvariantError traceback (grid backlog inf)
    ([{"id": "surge", "kind": "demand", "random": {"rate_per_year": 365}, "multiplier": 40, "duration_days": 400,
       "target": {"ids": ["lab"]}}], "surge"),
    # capacity x10 the same way, and two scheduled x1e300 on one fab: capacity_per_week inf in the nodes table
    ([{"id": "boom", "kind": "capacity", "random": {"rate_per_year": 365}, "multiplier": 10, "duration_days": 400}], "boom"),
    ([{"id": "a", "kind": "capacity", "start": "2022-02-01", "multiplier": 1e300, "target": {"ids": ["fab"]}},
      {"id": "b", "kind": "capacity", "start": "2022-02-01", "multiplier": 1e300, "target": {"ids": ["fab"]}}], "b"),
])
def test_shocks_that_compound_past_what_a_run_holds_are_refused(tmp_path, shocks, refused):
    import yaml

    from supplychain.errors import InputError
    from supplychain.scenario import load_scenario

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "s", "topology": str(ROOT / "topology" / "minimal.yaml"), "end": "2023-06-30",
                                    "shocks": shocks}), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.field == f"shocks.{refused}.multiplier" and "1e+100" in info.value.problem, str(info.value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["capacity", "demand", "transport", "power_delay", "plan"]),
       rate=st.sampled_from([0.5, 12.0, 100.0, 365.0]), duration=st.sampled_from([1, 30, 200, 400, 2000]),
       recovery=st.sampled_from([0, 100]), multiplier=st.sampled_from([0.0, 0.5, 1.5, 3.0, 10.0, 100.0]),
       seed=st.integers(0, 2**32 - 1))
def test_a_random_shock_the_scenario_accepts_leaves_every_array_finite(kind, rate, duration, recovery, multiplier, seed):
    """Whatever stack of occurrences a seed draws, a random shock that passes the checks keeps the run's arrays
    finite (an infinite factor broke the order books, or leaked into the tables)."""
    from supplychain.errors import InputError
    from supplychain.scenario_refs import check_refs

    sc = Scenario.model_validate({"name": "s", "end": "2024-12-31", "shocks": [
        {"id": "r", "kind": kind, "random": {"rate_per_year": rate}, "duration_days": duration, "recovery_days": recovery,
         "multiplier": multiplier, "target": {"kinds": ["lab", "fab", "grid"]}}]})
    try:
        check_refs(sc, load_topology(ROOT / "tests" / "data" / "two_labs.yaml"), None)
    except InputError:
        return
    with np.errstate(over="raise", invalid="raise"):
        w = World(MODEL, sc, seed)
    assert all(np.isfinite(a).all() for a in (w.net.cap_mult, w.net.demand_mult, w.net.ct_mult, w.net.planned, w.net.flow_mult))


def test_a_random_shocks_occurrences_do_not_depend_on_the_other_shocks_of_the_scenario():
    """Common random numbers: a shock keeps its occurrences when a scenario adds, removes or reorders
    others (each draws from its own stream, keyed by id). They shared one stream in list order, so a
    random quake listed before a random fire moved every fire (minimal topology, seed 3: one fire on
    day 264 became six)."""
    from supplychain.results import replication_seed

    fire = {"id": "fire", "kind": "capacity", "random": {"rate_per_year": 3.0}, "duration_days": 20, "multiplier": 0.5,
            "target": {"ids": ["fab_tw"]}}
    quake = {"id": "quake", "kind": "capacity", "random": {"rate_per_year": 2.0},
             "duration_days": {"dist": "uniform", "low": 5, "high": 40}, "multiplier": 0.5, "target": {"kinds": ["fab"]}}
    planned = shock("capacity", 0.5, id="cut", duration_days={"dist": "uniform", "low": 10, "high": 90})

    def fires(shocks, seed=3, rep=0):
        sc = Scenario.model_validate({"name": "s", "end": "2024-12-31", "shocks": shocks})
        w = World(MODEL, sc, replication_seed(seed, rep))
        return [(e[0], e[9]) for e in w.events if e[2] == "fire"]

    alone = fires([fire])
    assert len(alone) >= 2
    for shocks in ([quake, fire], [fire, quake], [planned, quake, fire]):
        assert fires(shocks) == alone
    assert fires([fire]) == alone  # the same seed, the same occurrences
    assert fires([fire], rep=1) != alone  # another replication, others


def test_a_drawn_duration_is_logged_as_the_whole_days_the_shock_ran():
    """`duration_days` and the `N days` detail are the days the multiplier was applied: a drawn 23.5
    ran 24 days (rounded, as `_profile` applies it) and was logged as 23.5."""
    s = shock("capacity", 0.5, start=None, random={"rate_per_year": 3}, target={"ids": ["fab_tw"]},
              duration_days={"dist": "uniform", "low": 5, "high": 40})
    w = world(s)
    rows = [r for r in w.events if r[1] == "shock"]
    assert len(rows) >= 3
    expected = np.ones(w.net.days)  # overlapping occurrences multiply
    for day, _, _, _, _, _, _, _, detail, days in rows:
        assert days == int(days) and detail == f"{int(days)} days"
        expected[int(day):int(day) + int(days)] *= 0.5
    np.testing.assert_allclose(w.net.cap_mult[idx(w, "fab_tw")], expected, rtol=1e-12)
