"""Hostile input, figures a run cannot hold: a schema-valid number so large (or so small) that it overflowed,
never ended or filled the fleet with infinite compute (growth 1e308, a lifetime of 1e300 years, a review of
1e-300 days, a demand shock past the arrivals a run can hold). Each is refused by `InputError` naming its field,
or, where it is harmless, loads. (What the parsers hand the schema: test_hostile_input.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from _topo import MINIMAL, minimal_data, node, write_yaml

from supplychain.errors import InputError
from supplychain.scenario import load_scenario
from supplychain.topology import load_topology


# --- huge figures that overflowed or never ended -----------------------------------


@pytest.mark.parametrize("mutate, field, words", [
    (lambda d: node(d, "lab")["target_h100e"].update(growth=1e308), "nodes.lab.target_h100e.growth", "less than or equal to 100"),
    (lambda d: node(d, "fab").update(cycle_time=1e300), "nodes.fab.cycle_time", "at most 36,525 days"),
    (lambda d: node(d, "customers")["demand"].update(rate=1e300), "nodes.customers.demand", "at most 100 orders a day"),
])
def test_figures_that_overflow_or_never_end_are_refused(tmp_path: Path, mutate, field: str, words: str) -> None:
    """growth 1e308 overflowed to an InvariantError traceback; cycle time 1e300 became a garbage int32 lag;
    a poisson demand of 1e300 orders a day drew arrivals forever."""
    data = minimal_data()
    mutate(data)
    with pytest.raises(InputError) as info:
        load_topology(write_yaml(tmp_path, data))
    assert info.value.field == field and words in info.value.problem, str(info.value)


@pytest.mark.parametrize("extra, field", [
    ({"shocks": [{"id": "s", "kind": "capacity", "random": {"rate_per_year": 1e300}, "multiplier": 0.5}]},
     "shocks.s.random.rate_per_year"),
    ({"demand": {"growth": 1e308}}, "demand.growth"),
    ({"set": {"nodes.lab.target_h100e.growth": 1e308}}, "set.nodes.lab.target_h100e.growth"),
    ({"labs": {"lifetime_years": 1e300}}, "labs.lifetime_years"),
    ({"per_lab": {"lab": {"lifetime_years": 101}}}, "per_lab.lab.lifetime_years"),
    ({"labs": {"commissioning_days": 1e300}}, "labs.commissioning_days"),
    ({"labs": {"power_headroom": 1e307}}, "labs.power_headroom"),  # overflowed the grid's order book: InvariantError
    ({"per_lab": {"lab": {"power_headroom": 101}}}, "per_lab.lab.power_headroom"),
    ({"labs": {"horizon_days": 36_526}}, "labs.horizon_days"),
    ({"per_lab": {"lab": {"order_ahead_days": 1e300}}}, "per_lab.lab.order_ahead_days"),
    ({"generations": {"min_training_days": 1e300}}, "generations.min_training_days"),
    ({"shocks": [{"id": "s", "kind": "capacity", "start": "2022-02-01", "multiplier": 0.5, "recovery_days": 1e300}]},
     "shocks.s.recovery_days"),
    # ordered 1e300 accelerators ahead of the rule, installed in an unconstrained run: infinite training FLOP/s
    ({"controls": [{"id": "r", "announced": "2022-01-01", "effective": "2022-06-01", "action": "ban", "stockpile": 1e300}]},
     "controls.r.stockpile"),
])
def test_scenario_figures_that_overflow_or_never_end_are_refused(tmp_path: Path, extra: dict, field: str) -> None:
    """A random shock of 1e300 a year drew occurrences forever (the run hung); a fleet lifetime of 1e300
    years listed a retirement tranche per year of it until a MemoryError traceback."""
    sc = tmp_path / "s.yaml"
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), **extra}), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field.startswith(field) and "less than or equal to" in info.value.problem, str(info.value)


# --- durations, rates and demand a run cannot hold -------------------------------


@pytest.mark.parametrize("extra, field", [
    ({"controls": [{"id": "r", "announced": "2022-01-01", "effective": "2022-02-01", "action": "license",
                    "review_days": 1e300, "approval": 0.5}]}, "controls.r.review_days.mean"),  # OutOfBoundsDatetime
    ({"labs": {"review_days": 1e-300}}, "labs.review_days"),  # reviewed forever without reaching day 1
    ({"algorithms": {"efficiency_growth": 1e300}}, "algorithms.efficiency_growth"),  # overflowed the FLOP count
    ({"generations": {"scale": 1e300}}, "generations.scale"),
    ({"rsi": {"preset": "full", "gain": 1e300}}, "rsi.gain"),
    # a quota of 0 every 0.001 days re-checked each waiting order 1,000 times a day: the run never ended
    ({"controls": [{"id": "r", "announced": "2022-01-01", "effective": "2022-02-01", "action": "quota", "quota": 0,
                    "period_days": 0.001}]}, "controls.r.period_days"),
])
def test_scenario_durations_and_rates_a_run_cannot_hold_are_refused(tmp_path: Path, extra: dict, field: str) -> None:
    sc = tmp_path / "s.yaml"
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), **extra}), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field == field, str(info.value)


@pytest.mark.parametrize("extra, field", [
    ({"demand": {"targets": {"lab": 1e300}}}, "demand.targets.lab"),
    ({"demand": {"multiplier": {"points": {"2022-01-01": 1, "2023-01-01": 1e300}}}}, "demand.multiplier"),
    ({"shocks": [{"id": "s", "kind": "demand", "start": "2022-02-01", "multiplier": 1e300, "target": {"ids": ["lab"]}}]},
     "shocks.s.multiplier"),
])
def test_lab_demand_a_fleet_cannot_hold_is_refused(tmp_path: Path, extra: dict, field: str) -> None:
    """A lab target, demand multiplier or demand shock of 1e300 ordered as much, and an unconstrained run (every
    comparison's counterfactual) installed it: infinite training FLOP/s in the fleet table."""
    sc = tmp_path / "s.yaml"
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), **extra}), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field == field and "at most" in info.value.problem, str(info.value)


@pytest.mark.parametrize("multiplier, target", [(60, {"ids": ["customers"]}), (100, {})])
def test_a_demand_shock_past_the_arrivals_a_run_can_hold_is_refused(tmp_path: Path, multiplier: float, target: dict) -> None:
    """The topology caps a poisson stream at 100 orders a day; a demand shock of 1,000 on its 2 a day passed by
    and the run never ended (a demand shock is at most 100 now, which still takes 2 a day to 200)."""
    sc = tmp_path / "s.yaml"
    shock = {"id": "s", "kind": "demand", "start": "2022-02-01", "multiplier": multiplier, "target": target}
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "shocks": [shock]}), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field == "shocks.s.multiplier" and "'customers'" in info.value.problem, str(info.value)
    shock["multiplier"] = 50  # 100 orders a day: the topology's own cap
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "shocks": [shock]}), encoding="utf-8")
    load_scenario(sc)


@pytest.mark.parametrize("cv", [1e-300, 1e-160, 0.0])
def test_a_random_shock_of_lognormal_duration_with_a_cv_too_small_to_square_loads(tmp_path: Path, cv: float) -> None:
    """A cv whose square is 0 in floats (1e-300) gave the check of overlapping occurrences a lognormal of sigma 0,
    whose quantile is nan: `int(nan)`, a ValueError traceback from `scenario validate`
    (found by the scenario fuzz of test_hostile_input.py)."""
    sc = tmp_path / "s.yaml"
    shock = {"id": "s", "kind": "transport", "random": {"rate_per_year": 0.5}, "multiplier": 2,
             "duration_days": {"dist": "lognormal", "mean": 30, "cv": cv}}
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "end": "2022-06-30", "shocks": [shock]}),
                  encoding="utf-8")
    assert load_scenario(sc).scenario.shocks[0].duration_days.cv == cv

def test_a_random_demand_shock_whose_occurrences_stack_past_the_arrivals_a_run_can_hold_is_refused(tmp_path: Path) -> None:
    """x2 at 365 a year lasting 30 days: each occurrence within the cap, but ~40 of them overlapped, 2^40 times the
    node's 2 orders a day, and the run never ended."""
    sc = tmp_path / "s.yaml"
    shock = {"id": "s", "kind": "demand", "random": {"rate_per_year": 365}, "duration_days": 30, "multiplier": 2,
             "target": {"ids": ["customers"]}}
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "end": "2022-06-30", "shocks": [shock]}),
                  encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(sc)
    assert info.value.field == "shocks.s.multiplier" and "occurrences typically overlap" in info.value.problem, str(info.value)
    # surges of x3 a month lasting 30 days (a day sees ~1 under way): brief peaks, which a run holds
    shock.update(random={"rate_per_year": 12}, multiplier=3)
    sc.write_text(yaml.safe_dump({"name": "s", "topology": str(MINIMAL), "end": "2022-06-30", "shocks": [shock]}),
                  encoding="utf-8")
    load_scenario(sc)


@pytest.mark.parametrize("mutate, field, problem", [
    (lambda d: node(d, "depot").update(review_days=1e-300), "nodes.depot.review_days", ""),
    (lambda d: node(d, "customers")["demand"].update(mode="fixed", period_days=1e-300), "nodes.customers.demand.period_days", ""),
    (lambda d: d["edges"][1].update(transport={"dist": "uniform", "low": 1, "high": 1e300}), "edges.1.transport.high", ""),
    # it ran, assembling each widget from a widget ordered upstream: a BOM that references itself
    (lambda d: node(d, "depot").update(bom={"widget": 1}), "nodes.depot.bom.widget", "input of itself"),
    # 1e300 installed units ran with overflow warnings and infinite training compute
    (lambda d: node(d, "lab").update(fleet={"acc": 1e300}), "nodes.lab.fleet.acc", "at most 1e+12"),
    # 1e300 in flight left on_order_h100e negative (float cancellation as its parts arrived)
    (lambda d: node(d, "lab").update(in_flight={"acc": 1e300}), "nodes.lab.in_flight.acc", "at most 1e+12"),
    # a target (or an accelerator's H100e) of 1e300 gave infinite training FLOP/s in an unconstrained run
    (lambda d: node(d, "lab").update(target_h100e=1e300), "nodes.lab.target_h100e", "at most 1e+12 H100e"),
    (lambda d: d["products"]["acc"].update(h100e=1e300), "products.acc.h100e", "less than or equal to 1000000"),
])
def test_topology_figures_a_run_cannot_hold_are_refused(tmp_path: Path, mutate, field: str, problem: str) -> None:
    data = minimal_data()
    mutate(data)
    with pytest.raises(InputError) as info:
        load_topology(write_yaml(tmp_path, data))
    assert info.value.field == field and problem in info.value.problem, str(info.value)


def test_lognormal_draws_stay_within_a_century() -> None:
    """A wide lognormal's tail (cv 10) drew days past pandas' last date (2262), a traceback at the end of a run."""
    import numpy as np

    from supplychain.quantities import MAX_DAYS, Distribution

    draw = Distribution(dist="lognormal", mean=30000, cv=10).sampler(np.random.default_rng(1))
    draws = [draw() for _ in range(2000)]
    assert max(draws) == MAX_DAYS and min(draws) > 0
