"""Lab ordering policies: the built-ins against their arithmetic, and a user's policy from a file."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from _topo import MINIMAL, assert_clean_failure, cli, minimal_data, node

from supplychain.engine.ordering import ORDERING_POLICIES, Review, order_up_to, register_ordering, smooth
from supplychain.errors import PluginError
from supplychain.results import simulate
from supplychain.topology import parse_topology

GAP = 10_000.0


def lab_orders(**labs):
    """The lab's accelerator orders (day, H100e) on the minimal network: a fleet of 10,000 and a flat
    target of 20,000, so the first review sees a gap of 10,000; lifetimes of 100 years, so nothing
    retires before day 182 (the first yearly tranche) and the gap moves only by what is ordered."""
    data = minimal_data()
    node(data, "lab").update(fleet={"acc": 10_000}, target_h100e={"value": 20_000})
    sc = {"name": "o", "end": "2022-06-30", "labs": {"lifetime_years": 100, **labs}}
    o = simulate(parse_topology(data), sc).orders.query("kind == 'lab' and ordered < 180")
    return list(zip(o["ordered"], o["qty"]))


def test_order_up_to_orders_the_whole_gap_at_the_first_review():
    assert lab_orders() == [(0.0, GAP)]
    assert lab_orders(ordering="order_up_to") == [(0.0, GAP)]


def test_smooth_closes_a_fixed_fraction_of_the_gap_each_review():
    """Position counts what is on order, so with review 14 and adjustment 70 days every review
    orders a fifth of what is left: the gap left after k reviews is G x 0.8^k."""
    got = lab_orders(ordering="smooth", ordering_params={"adjustment_days": 70})
    assert [d for d, _ in got] == [14.0 * k for k in range(13)]
    for k, (_, qty) in enumerate(got):
        assert qty == pytest.approx(GAP * 0.2 * 0.8**k, rel=1e-12)


def test_smooth_with_its_default_and_with_an_adjustment_no_longer_than_the_review():
    first = lab_orders(ordering="smooth")[0][1]
    assert first == pytest.approx(GAP * 14 / 90)  # the declared default, 90 days
    assert lab_orders(ordering="smooth", ordering_params={"adjustment_days": 14}) == [(0.0, GAP)]
    assert lab_orders(ordering="smooth", ordering_params={"adjustment_days": 0}) == [(0.0, GAP)]


@given(level=st.floats(0, 1e9), position=st.floats(0, 1e9), review=st.floats(1, 400), adjust=st.floats(0, 4000))
def test_smooth_orders_between_nothing_and_the_whole_gap(level, position, review, adjust):
    r = Review("lab", 0.0, level, position, level, review, {"adjustment_days": adjust})
    whole, part = order_up_to(r), smooth(r)
    if whole >= 0:
        assert 0.0 <= part <= whole
    else:  # above the level: neither orders (the engine orders nothing for a negative amount)
        assert part <= 0.0
    if adjust <= review:
        assert part == whole


@pytest.fixture
def quarter_of_gap():
    """A user's policy with a parameter, registered for one test (the registry is global)."""
    seen: list[Review] = []

    @register_ordering("fraction_of_gap", fraction=0.5)
    def decide(r: Review) -> float:
        seen.append(r)
        return r.params["fraction"] * (r.level - r.position)

    try:
        yield seen
    finally:
        del ORDERING_POLICIES["fraction_of_gap"]


def test_a_registered_policy_runs_from_a_scenario_file_with_its_parameter(quarter_of_gap, tmp_path):
    data = minimal_data()
    node(data, "lab").update(fleet={"acc": 10_000}, target_h100e={"value": 20_000})
    topo = tmp_path / "t.yaml"
    topo.write_text(yaml.safe_dump(data))
    sc = tmp_path / "s.yaml"
    sc.write_text(yaml.safe_dump({"name": "mine", "topology": str(topo), "end": "2022-03-31", "replications": 1,
                                  "labs": {"lifetime_years": 100, "ordering": "fraction_of_gap",
                                           "ordering_params": {"fraction": 0.25}}}))
    res = cli("run", sc, "--out", tmp_path / "out", "-w", "1", "-q", "--format", "csv")
    assert res.exit_code == 0, res.stderr
    first = quarter_of_gap[0]
    assert (first.lab, first.now, first.level, first.position, first.params) == ("lab", 0.0, 20_000.0, 10_000.0, {"fraction": 0.25})
    assert first.target == 20_000.0 and first.review_days == 14
    import pandas as pd

    orders = pd.read_csv(tmp_path / "out" / "orders.csv").query("kind == 'lab'")
    assert orders["qty"].iloc[0] == pytest.approx(2_500.0)


@pytest.mark.parametrize(("labs", "line"), [
    ({"ordering": "just_in_time"}, "labs.ordering: unknown ordering policy (got 'just_in_time'); registered: order_up_to, smooth"),
    ({"ordering": "smooth", "ordering_params": {"adjust": 30}},
     "labs.ordering_params.adjust: not a parameter of ordering policy 'smooth' (got 'adjust'); its parameters: adjustment_days"),
    ({"ordering_params": {"adjustment_days": 30}},
     "labs.ordering_params.adjustment_days: not a parameter of ordering policy 'order_up_to' (got 'adjustment_days'); its parameters: none"),
    ({"ordering": "smooth", "ordering_params": {"adjustment_days": -5}}, "labs.ordering_params.adjustment_days: "),
    ({"ordering": "smooth", "ordering_params": {"adjustment_days": float("inf")}},
     "labs.ordering_params.adjustment_days: figures must be finite (got inf)"),
    ({"ordering": "smooth", "ordering_params": {"adjustment_days": True}},
     "labs.ordering_params.adjustment_days: expected a number (got True)"),
    ({"ordering": "smooth", "ordering_params": [90]}, "labs.ordering_params: "),
])
def test_a_bad_ordering_policy_is_one_line_naming_the_field(tmp_path, labs, line):
    sc = tmp_path / "s.yaml"
    sc.write_text(yaml.safe_dump({"name": "bad", "topology": str(MINIMAL), "end": "2022-03-31", "labs": labs}))
    got = assert_clean_failure(cli("run", sc, "--out", tmp_path / "out", "-q"))
    assert got.startswith(f"{sc}: {line}"), got
    assert not (tmp_path / "out").exists()


def test_a_lab_of_its_own_may_order_by_another_policy():
    data = minimal_data()
    node(data, "lab").update(fleet={"acc": 10_000}, target_h100e={"value": 20_000})
    sc = {"name": "o", "end": "2022-02-28", "labs": {"lifetime_years": 100},
          "per_lab": {"lab": {"ordering": "smooth", "ordering_params": {"adjustment_days": 28}}}}
    o = simulate(parse_topology(data), sc).orders.query("kind == 'lab'")
    assert list(o["qty"][:3]) == pytest.approx([GAP / 2, GAP / 4, GAP / 8])


def test_a_bad_parameter_of_one_lab_names_the_lab(tmp_path):
    sc = tmp_path / "s.yaml"
    sc.write_text(yaml.safe_dump({"name": "bad", "topology": str(MINIMAL), "end": "2022-03-31",
                                  "per_lab": {"lab": {"ordering": "smooth", "ordering_params": {"adjust": 1}}}}))
    got = assert_clean_failure(cli("run", sc, "--out", tmp_path / "out", "-q"))
    assert got.startswith(f"{sc}: per_lab.lab.ordering_params.adjust: not a parameter of ordering policy 'smooth'"), got


def test_registering_a_default_that_is_not_a_non_negative_number_is_refused():
    for bad in (-1.0, float("nan"), "3", True):
        with pytest.raises(ValueError, match="must be a non-negative number"):
            register_ordering("broken", level=bad)
    assert "broken" not in ORDERING_POLICIES


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_policy_returning_no_finite_number_is_an_error_naming_it_not_an_order(bad):
    @register_ordering("broken_policy")
    def broken(r: Review) -> float:
        return bad

    data = minimal_data()
    try:
        with pytest.raises(PluginError, match=r"^<plugin>: ordering.broken_policy: returned .* H100e for lab 'lab' on day 0: "
                                              r"it must return a finite number$"):
            simulate(parse_topology(data), {"name": "b", "end": "2022-03-31", "labs": {"ordering": "broken_policy"}})
    finally:
        del ORDERING_POLICIES["broken_policy"]


def test_a_policy_that_writes_to_its_parameters_is_an_error_naming_it():
    """`review.params` is read-only: a policy that wrote to it changed every later review of its lab silently."""
    @register_ordering("shrinking", cap=8000.0)
    def shrinking(r: Review) -> float:
        r.params["cap"] = r.params["cap"] / 2  # type: ignore[index]
        return min(r.level - r.position, r.params["cap"])

    try:
        with pytest.raises(PluginError, match=r"^<plugin>: ordering.shrinking: raised TypeError for lab 'lab' on day 0: "):
            simulate(parse_topology(minimal_data()), {"name": "m", "end": "2022-03-31", "labs": {"ordering": "shrinking"}})
    finally:
        del ORDERING_POLICIES["shrinking"]


def test_a_policy_asked_at_every_review_orders_without_a_gap():
    """A fixed volume per review (take-or-pay commitments) orders even above the target; a policy
    registered without `every_review` is asked only where the lab is below its level."""
    data = minimal_data()
    node(data, "lab").update(fleet={"acc": 10_000}, target_h100e={"value": 5_000})  # above its target
    sc = {"name": "f", "end": "2022-03-31", "labs": {"lifetime_years": 100, "ordering": "fixed_volume"}}

    def run(every: bool) -> list[float]:
        register_ordering("fixed_volume", every_review=every, volume=300.0)(lambda r: r.params["volume"])
        try:
            return list(simulate(parse_topology(data), sc).orders.query("kind == 'lab'")["qty"])
        finally:
            del ORDERING_POLICIES["fixed_volume"]

    assert run(False) == []
    got = run(True)
    assert len(got) == 7 and got == pytest.approx([300.0] * 7)  # days 0, 14, ..., 84


def test_a_built_in_policy_that_raises_is_the_engines_error_not_a_plugin_error():
    """Only a user's entries are wrapped as `PluginError`: an error in a built-in is the engine's, shown whole."""
    from supplychain.engine.ordering import BUILT_IN, ask

    broken = Review("lab", 0.0, None, 1.0, 1.0, 14.0)  # type: ignore[arg-type]  # a level no policy should get
    with pytest.raises(TypeError):
        ask(BUILT_IN["order_up_to"], broken)


@pytest.mark.parametrize(("answer", "ok"), [(2.5, True), ("np.float64(2.5)", True), ("np.array(2.5)", True),
                                            ("np.array([2.5])", False), ("True", False), ("'2.5'", False)])
def test_a_policy_answers_one_number(answer, ok):
    """One real number, a numpy scalar or a 0-d array: an order; an array of them, a bool or text: an error."""
    import numpy as np

    from supplychain.engine.ordering import OrderingPolicy, ask

    value = eval(answer, {"np": np}) if isinstance(answer, str) else answer
    policy = OrderingPolicy("user_policy", lambda r: value, {})
    review = Review("lab", 0.0, 10.0, 1.0, 10.0, 14.0)
    if ok:
        assert ask(policy, review) == 2.5
    else:
        with pytest.raises(PluginError, match="it must return a finite number"):
            ask(policy, review)


def test_a_random_policy_draws_from_its_labs_seeded_stream():
    """`review.rng`: the lab's own stream, one across its reviews; the same seed orders the same, another seed
    other amounts (a random part of the gap at each review)."""
    streams = []

    @register_ordering("noisy")
    def noisy(r):
        streams.append(r.rng)
        return (r.level - r.position) * r.rng.uniform(0.1, 0.5)

    sc = {"name": "n", "topology": str(MINIMAL), "end": "2022-06-30", "labs": {"ordering": "noisy"}}
    try:
        one, again, other = (simulate(None, sc, seed=s).orders.query("kind == 'lab'")["qty"].tolist() for s in (1, 1, 2))
    finally:
        del ORDERING_POLICIES["noisy"]
    assert len(one) > 5 and one == again and one != other
    assert len({id(g) for g in streams}) == 3  # one per run's lab (the minimal network has one)


def power_capped(fleet: float, ordering: str, **params: float) -> list[tuple[float, float]]:
    """The lab's orders (day, H100e) to the end of March on the minimal network with a grid that builds next to
    nothing (its quote is centuries: power on order counts for nothing) and a power-aware lab of `fleet` H100e
    on its 40 MW at 1.7 kW each, targeting 20,000 H100e more than it has."""
    data = minimal_data()
    node(data, "grid")["capacity"] = 1e-3
    node(data, "lab").update(fleet={"acc": fleet}, target_h100e={"value": fleet + 20_000})
    labs = {"lifetime_years": 100, "power_aware": True, "ordering": ordering, "ordering_params": params}
    o = simulate(parse_topology(data), {"name": "p", "end": "2022-03-31", "labs": labs}).orders.query("kind == 'lab'")
    return list(zip(o["ordered"], o["qty"]))


def test_the_policies_order_towards_the_power_capped_level_not_the_target():
    """10,000 H100e draw 17 MW of the 40: room for 23 MW / 1.7 kW = 13,529 H100e, below the 20,000 of the
    target, so the level is the position + the room. `order_up_to` orders the room; `smooth` a fifth of it
    (review 14, adjustment 70 days), not a fifth of the gap to the target (4,000)."""
    room = 23.0 * 1000 / 1.7
    assert power_capped(10_000, "order_up_to")[0] == (0.0, pytest.approx(room))
    assert power_capped(10_000, "smooth", adjustment_days=70)[0] == (0.0, pytest.approx(room * 0.2))


@pytest.mark.filterwarnings("ignore:.*the start fleet draws 51 MW")  # the point of the test: no room
def test_a_policy_is_asked_only_below_its_power_capped_level():
    """30,000 H100e draw 51 MW, more than the 40 there are: no room, so the lab is at its level though 20,000
    short of its target. A policy registered without `every_review` is not asked (a fixed volume orders
    nothing), nor does `order_up_to` order; asked at every review, the fixed volume is ordered at each."""
    assert power_capped(30_000, "order_up_to") == []

    def run(every: bool) -> list[tuple[float, float]]:
        register_ordering("fixed_volume", every_review=every, volume=300.0)(lambda r: r.params["volume"])
        try:
            return power_capped(30_000, "fixed_volume")
        finally:
            del ORDERING_POLICIES["fixed_volume"]

    assert run(False) == []
    assert run(True) == [(14.0 * k, pytest.approx(300.0)) for k in range(7)]


def test_a_default_of_zero_is_a_non_negative_number():
    """Parameters are non-negative, so 0 is a default a policy may declare (a floor, a fixed volume of none)."""
    try:
        register_ordering("floor_at", floor=0, volume=0.0)(lambda r: max(r.params["floor"], r.level - r.position))
        assert dict(ORDERING_POLICIES["floor_at"].defaults) == {"floor": 0.0, "volume": 0.0}
    finally:
        del ORDERING_POLICIES["floor_at"]


def test_a_users_policy_registered_under_a_built_in_name_that_raises_is_a_plugin_error():
    """Registering a name again replaces the policy: the user's `order_up_to` is a plug-in like any, and its
    error names it; only the engine's own function (or its copy on a worker) is let through whole."""
    from supplychain.engine.ordering import BUILT_IN, ask

    register_ordering("order_up_to")(lambda r: 1 / 0)
    try:
        with pytest.raises(PluginError, match=r"^<plugin>: ordering.order_up_to: raised ZeroDivisionError for lab 'lab' on day 0"):
            ask(ORDERING_POLICIES["order_up_to"], Review("lab", 0.0, 10.0, 1.0, 10.0, 14.0))
    finally:
        ORDERING_POLICIES["order_up_to"] = BUILT_IN["order_up_to"]
