"""A scenario's references to its topology (`scenario_refs.check_refs`): each list takes ids of its own kind
only, an id of another kind is an unknown one, one line naming the file, the field and the network."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.scenario import resolve_scenario

from _scenarios import MINIMAL, fails

pytestmark = pytest.mark.filterwarnings("ignore::supplychain.errors.ScenarioWarning")

BAN = {"id": "q", "announced": "2023-01-01", "effective": "2023-01-01", "action": "ban"}


@pytest.mark.parametrize("extra, field, problem", [
    # `fab` is a node of minimal.yaml, but not a lab: a lab's demand target or policy names a lab
    ({"demand": {"targets": {"fab": 5}}}, "demand.targets.fab", "unknown lab id in topology minimal.yaml (got 'fab')"),
    ({"per_lab": {"vendor": {"utilisation": 0.3}}}, "per_lab.vendor", "unknown lab id in topology minimal.yaml (got 'vendor')"),
    # a node id is no product: a rule's `products` names products
    ({"controls": [{**BAN, "scope": {"products": ["fab"]}}]}, "controls.q.scope.products",
     "unknown product in topology minimal.yaml (got 'fab')"),
    # the topology with a `set:` override applied is still named by its file
    ({"set": {"nodes.fab.capacity": 3000}, "demand": {"targets": {"fab": 5}}}, "demand.targets.fab",
     "unknown lab id in topology minimal.yaml (got 'fab')"),
])
def test_a_reference_to_an_id_of_another_kind_is_an_unknown_id(extra: dict, field: str, problem: str) -> None:
    err = fails({"topology": str(MINIMAL), **extra}, field, match=problem)
    assert str(err) == f"<input>: {field}: {problem}"


def test_an_unknown_lab_on_the_command_line_is_one_line_naming_file_field_and_network(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from supplychain.cli import app
    from conftest import write

    bad = write(tmp_path, "s.yaml", f"topology: {MINIMAL}\ndemand: {{targets: {{fab: 5}}}}\n")
    result = CliRunner().invoke(app, ["scenario", "validate", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip() == f"{bad}: demand.targets.fab: unknown lab id in topology minimal.yaml (got 'fab')"


def test_one_huge_scheduled_shock_alone_loads_and_a_second_overlapping_it_is_refused() -> None:
    """Only occurrences that multiply one another can pass what a float holds: one scheduled x1e300 on a fab's
    capacity (capacity without limit, a what-if) is held by the engine alone, so it loads; a second one of the
    kind is refused, naming it."""
    shock = {"id": "a", "kind": "capacity", "start": "2022-02-01", "multiplier": 1e300, "target": {"ids": ["fab"]}}
    rs = resolve_scenario({"topology": str(MINIMAL), "end": "2022-06-30", "shocks": [shock]}, warn=False)
    assert [s.multiplier for s in rs.scenario.shocks] == [1e300]
    err = fails({"topology": str(MINIMAL), "end": "2022-06-30", "shocks": [shock, {**shock, "id": "b"}]},
                "shocks.b.multiplier", match="the capacity shocks' multipliers, multiplied where they may overlap, pass 1e+100")
    assert err.problem.endswith("more than a run can hold (got 1e+300)")


def test_a_demand_shock_past_the_poisson_cap_loads_once_the_node_takes_the_advice_to_be_fixed() -> None:
    """x60 on the 2 poisson orders a day of `customers` is 120 arrivals a day, past the cap of 100, and the line
    says to give the node mode fixed; so given, the same shock loads (a fixed stream's arrivals do not grow)."""
    shock = {"id": "s", "kind": "demand", "start": "2022-02-01", "multiplier": 60, "target": {"ids": ["customers"]}}
    data = {"topology": str(MINIMAL), "end": "2022-06-30", "shocks": [shock]}
    fails(data, "shocks.s.multiplier", match="takes the poisson demand of 'customers' from 2 to 120 orders a day")
    rs = resolve_scenario({**data, "set": {"nodes.customers.demand.mode": "fixed"}}, warn=False)
    assert rs.topology.nodes["customers"]["demand"]["mode"] == "fixed" and rs.scenario.shocks[0].multiplier == 60


def test_a_yield_that_reaches_1_on_the_runs_last_day_is_fine_and_one_day_past_it_is_not() -> None:
    """A fraction must stay in (0, 1]: 1 itself is a yield (every candidate good). Climbing to 1 on the run's
    last day and growing after it, the run never sees it above 1; a run that goes on past that day does."""
    yield_ = {"points": {"2022-01-01": 0.8, "2023-06-30": 1.0}, "growth": 0.1}
    data = {"topology": str(MINIMAL), "end": "2023-06-30", "set": {"nodes.fab.yield": yield_}}
    assert str(resolve_scenario(data, warn=False).scenario.end) == "2023-06-30"
    fails({**data, "end": "2023-07-31"}, "end",
          match="2023-07-31 is past the day nodes.fab.yield passes 1 (it grows 0.1 a year, to 1.01)")


def test_a_rule_that_ends_on_the_runs_first_day_is_warned_never_in_force_and_one_a_day_later_is_not() -> None:
    """A rule acts from its effective day up to, not on, its `ends` day: ending on the run's first day it never
    acts in the run (legal, a warning); ending the day after, it acts on the first day and is not warned about."""
    rule = {**BAN, "announced": "2021-01-01", "effective": "2021-06-01", "ends": "2022-01-01",
            "scope": {"destinations": ["US"]}}
    data = {"topology": str(MINIMAL), "start": "2022-01-01", "end": "2022-06-30"}
    rs = resolve_scenario({**data, "controls": [rule]}, warn=False)
    assert rs.warnings == ("controls.q.ends: 2022-01-01 is not after the run's start 2022-01-01; the rule is never in "
                           "force in the run",)
    assert resolve_scenario({**data, "controls": [{**rule, "ends": "2022-01-02"}]}, warn=False).warnings == ()
