"""A scenario figure at the edge of its range: the bound itself loads, a step past it is one `InputError`
naming the field path and the bound (the huge figures that overflowed: test_hostile_limits.py)."""

from __future__ import annotations

import pytest

from supplychain.scenario import resolve_scenario

from _scenarios import MINIMAL, fails


def loads(extra: dict):
    """The scenario `extra` over the minimal topology, resolved (its warnings kept, not raised)."""
    return resolve_scenario({"topology": str(MINIMAL), **extra}, None, warn=False).scenario


# -- demand --------------------------------------------------------------------


@pytest.mark.parametrize("multiplier, low, high", [(0, 0, 0), ({"points": {"2022-01-01": 1, "2023-01-01": 0}}, 0, 1),
                                                   (100, 100, 100)])
def test_a_demand_multiplier_of_0_or_of_100_loads(multiplier, low: float, high: float) -> None:
    """0 is demand switched off (from a date, with points), a figure a user means; 100 is MAX_GROWTH, the bound."""
    sc = loads({"demand": {"multiplier": multiplier}})
    assert (sc.demand.multiplier.min_value(), sc.demand.multiplier.max_value()) == (low, high)


def test_a_demand_multiplier_past_100_is_refused_naming_it() -> None:
    fails({"topology": str(MINIMAL), "demand": {"multiplier": 100.5}}, "demand.multiplier",
          match="a demand multiplier must be at most 100 (got 100.5)")


def test_a_fleet_target_that_passes_the_fleet_bound_later_is_refused_at_its_peak() -> None:
    """A target of 1 H100e growing to 1e13 by points: its peak, not its first figure, passes MAX_FLEET (1e12)."""
    fails({"topology": str(MINIMAL), "demand": {"targets": {"lab": {"points": {"2022-01-01": 1, "2030-01-01": 1e13}}}}},
          "demand.targets.lab", match="a fleet target must be at most 1e+12 H100e (got 1e+13)")
    assert loads({"demand": {"targets": {"lab": {"points": {"2022-01-01": 1, "2030-01-01": 1e12}}}}}).demand.targets


# -- the run's span ------------------------------------------------------------


def test_a_run_that_ends_on_its_start_day_is_refused() -> None:
    """A run of no days has nothing to tell: `end` must be after `start`, a day after at least."""
    fails({"topology": str(MINIMAL), "start": "2024-01-01", "end": "2024-01-01"}, "end",
          match="must be after start 2024-01-01 (got 2024-01-01)")
    sc = loads({"start": "2024-01-01", "end": "2024-01-02"})
    assert (sc.end - sc.start).days == 1


# -- rules ---------------------------------------------------------------------


def rule(**fields) -> dict:
    return {"controls": [{"id": "r", "announced": "2023-01-01", "effective": "2023-02-01", "action": "ban", **fields}]}


def test_a_rule_that_ends_on_its_effective_day_is_refused_and_one_in_force_a_day_loads() -> None:
    fails({"topology": str(MINIMAL), **rule(ends="2023-02-01")}, "controls.r",
          match="ends 2023-02-01 is not after effective 2023-02-01")
    assert loads(rule(ends="2023-02-02")).controls[0].ends.isoformat() == "2023-02-02"


def test_a_license_rule_without_review_days_is_refused() -> None:
    """A licence's review time is what the rule does; none given is an omission, not a review of 0 days."""
    fails({"topology": str(MINIMAL), **rule(action="license")}, "controls.r", match="a license rule needs review_days")
    assert loads(rule(action="license", review_days=30)).controls[0].review_days.mean == 30


@pytest.mark.parametrize("stockpile, ok", [(1.0, True), (0.5, False), (100, True), (100.5, False)])
def test_a_rules_stockpile_multiplies_orders_by_1_to_100(stockpile: float, ok: bool) -> None:
    """Targeted buyers order ahead of a rule by `stockpile` x: below 1 would be ordering less ahead of a ban."""
    if ok:
        assert loads(rule(stockpile=stockpile)).controls[0].stockpile == stockpile
    else:
        fails({"topology": str(MINIMAL), **rule(stockpile=stockpile)}, "controls.r.stockpile",
              match=f"than or equal to {1 if stockpile < 1 else 100} (got {stockpile})")


def test_a_quota_of_0_loads_and_a_quota_rule_without_one_is_refused() -> None:
    """A quota of 0 units a period is an embargo told as a quota (every order waits or is refused), a figure a
    user means; a quota rule that gives none is an omission."""
    assert loads(rule(action="quota", quota=0)).controls[0].quota == 0
    fails({"topology": str(MINIMAL), **rule(action="quota")}, "controls.r", match="a quota rule needs quota")


# -- shocks --------------------------------------------------------------------


def test_a_random_shock_whose_last_date_is_its_first_is_refused() -> None:
    """`random: {first, last}` is the window occurrences fall in: one of no days holds none."""
    random = {"rate_per_year": 1, "first": "2025-01-01"}
    shock = {"id": "z", "kind": "capacity", "multiplier": 0.5}
    fails({"topology": str(MINIMAL), "shocks": [{**shock, "random": {**random, "last": "2025-01-01"}}]},
          "shocks.z.random.last", match="must be after first 2025-01-01 (got 2025-01-01)")
    assert loads({"shocks": [{**shock, "random": {**random, "last": "2025-01-02"}}]}).shocks[0].random.last


@pytest.mark.parametrize("when", [{}, {"start": "2024-01-01", "random": {"rate_per_year": 1}}])
def test_a_shock_with_neither_or_both_of_start_and_random_is_refused(when: dict) -> None:
    """A shock is scheduled or random; both at once would leave one of them silently unused."""
    fails({"topology": str(MINIMAL), "shocks": [{"id": "z", "kind": "capacity", "multiplier": 0.5, **when}]}, "shocks.z",
          match="give exactly one of `start` (scheduled) or `random`")


def test_only_a_demand_shocks_multiplier_is_bounded_by_100() -> None:
    """A demand surge past x100 fills the fleet with compute no run holds; one transport shock x150 (a route
    150 times slower) or a capacity boom x1000 is a figure the engine holds, and loads."""
    for kind, multiplier in (("transport", 150), ("capacity", 1000)):
        s = {"id": "z", "kind": kind, "start": "2024-01-01", "multiplier": multiplier}
        assert loads({"shocks": [s]}).shocks[0].multiplier == multiplier
    fails({"topology": str(MINIMAL), "shocks": [{"id": "z", "kind": "demand", "start": "2024-01-01", "multiplier": 150}]},
          "shocks.z.multiplier", match="a demand shock's multiplier must be at most 100 (got 150)")
